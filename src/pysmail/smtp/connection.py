"""One authenticated SMTP connection, many messages: pipelined submission and reconnection.

    conn = SmtpConnection.open(params, auth=auth, trace=trace)   # greeting .. AUTH, once
    conn.send(sender, recipients, chunks) -> Reply                # one message, all-or-nothing
    conn.reset(); conn.close()

`submit()` is the pipelined form: it writes a message's data and returns at once; the reply to
that data is read together with the replies to the NEXT message's MAIL/RCPT(/DATA), which go
out in the same write as the data's final "." (RFC 2920). One round trip per message when the
message has one recipient (DATA joins the group: a refused RCPT makes the server refuse DATA
too, so nothing is sent), two with several (all-or-nothing needs every RCPT reply before DATA).

With CHUNKING the data goes as BDAT (RFC 3030; docs/decisions.md D15; the rules are in
protocol.py): the reply to BDAT LAST is the data's reply, read as above.

`conn.idle`, when set, is called inside submit() once the commands are on their way and before
their replies are read: deliver() reports results and prepares the next message there, so that
work costs no round trip. A message that needs no dot-stuffing (content.data_content() marks
it) is written as it is.

smtp/protocol.py decides what to send and what each reply means (sans I/O); this module is the
pump that moves the bytes between it and the Transport, in the order the wire and the -d
transcript show. delivery/scheduler.py runs many messages over reconnecting connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress

from pysmail.errors import NetworkError, SmailError
from pysmail.smtp.content import DotStuffer, one_block
from pysmail.smtp.protocol import DATA, RSET, Outcome, SmtpProtocol, frames_of
from pysmail.smtp.replies import Reply, SmtpStatus

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.content import Frame
    from pysmail.smtp.protocol import Group
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import DataTrace, Trace
    from pysmail.smtp.wire import SmtpTransport as Transport

__all__ = ["SmtpConnection"]

QUIT_TIMEOUT = 5.0


class SmtpConnection:
    """An open SMTP session past AUTH. Not thread-safe: one thread per connection.

    After a refused message the transaction is reset (RSET goes out with the next message) and
    the connection stays usable. `alive` turns False when the server said 421 or the
    connection failed; then only close() is left.
    """

    def __init__(
        self,
        transport: Transport,
        protocol: SmtpProtocol,
        *,
        trace: Trace | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.transport = transport
        self.trace = trace
        self.timeout = timeout
        self.alive = True
        self.pending: int | None = None  # tag whose data went out and whose reply is unread
        self.sent = 0  # messages accepted over this connection
        self._known: list[Outcome] = []  # outcomes learnt, not yet returned
        self.protocol = protocol
        self.pipelining = protocol.pipelining
        self.chunking = self.protocol.chunking
        # Called (when pipelining) once a message's commands are on their way and before their
        # replies are read: the caller's bookkeeping then runs while the server works.
        self.idle: Callable[[], None] | None = None

    @property
    def pipeline_across(self) -> bool:  # protocol.pipelines_across; the scheduler may clear it
        return self.protocol.pipeline_across

    @pipeline_across.setter
    def pipeline_across(self, value: bool) -> None:
        self.protocol.pipeline_across = value

    @classmethod
    def open(
        cls, params: SmtpParams, *, auth: AuthRequest | None = None, trace: Trace | None = None
    ) -> SmtpConnection:
        """Connect, EHLO, STARTTLS, AUTH (the secret or token is asked for once, here)."""
        from pysmail.smtp.session import open_session

        opened = open_session(params, auth=auth, trace=trace)
        protocol = SmtpProtocol(
            opened.extensions,
            host=params.host,
            scrubber=opened.scrubber,
            greeting=opened.greeting,
            chunking=params.chunking,
        )
        return cls(opened.transport, protocol, trace=trace, timeout=params.timeout)

    # -- plumbing ---------------------------------------------------------------------------

    def _write(self, line: bytes) -> None:
        self.transport.write(line)
        if self.trace is not None:
            self.trace.send(line.decode("utf-8", "replace").rstrip("\r\n"))

    def _write_group(self, group: Group, lines: list[bytes]) -> None:
        """The group's commands, and the message when it joins them as one BDAT LAST."""
        if self.trace is not None:
            for line in lines:
                self._write(line)
            if group.bdat_in_group:
                self._put_frames(iter(group.frames))
            return
        if group.bdat_in_group:  # one frame, its pieces in memory: nothing to read or stream
            command, pieces = group.frames[0]
            lines = [*lines, command, *pieces]
        self.transport.write(b"".join(lines))

    def _flush(self) -> None:
        try:
            self.transport.flush()
        except NetworkError:
            self.alive = False
            raise

    def _read(self) -> Reply:
        try:
            reply = self.transport.read_reply()
        except NetworkError:
            self.alive = False
            raise
        if self.trace is not None:
            self.trace.recv(reply.wire)
        if reply.code == SmtpStatus.SERVICE_UNAVAILABLE:
            self.alive = False  # RFC 5321 3.8: the server closes after 421
        return reply

    def _command(self, line: bytes) -> Reply:
        self._write(line)
        return self._read()

    # -- messages ---------------------------------------------------------------------------

    def submit(
        self,
        tag: int,
        sender: str,
        recipients: Sequence[str],
        chunks: Iterable[bytes],
        *,
        smtputf8: bool = False,
        eight_bit: bool = False,
    ) -> list[Outcome]:
        """Start message `tag`; return the outcomes that became known (the previous message's
        data reply, and this message's refusal). When this message's data went out, it is
        `pending` until the next submit() or drain().

        Raises: NetworkError when the connection failed: then take_known() has the outcomes
        learnt before the failure, `pending` (if not None) may have been delivered, and `tag`
        was not. SmailError(RECIPIENT) for CR/LF in an address.
        """
        refused = self._submit(tag, sender, recipients, chunks, smtputf8, eight_bit)
        known, self._known = self._known, []  # take_known(), without its call per message
        if refused is not None:
            known.append(refused)
        return known

    def take_known(self) -> list[Outcome]:
        """The outcomes learnt and not yet returned (after submit() raised)."""
        known = self._known
        self._known = []
        return known

    def _submit(
        self,
        tag: int,
        sender: str,
        recipients: Sequence[str],
        chunks: Iterable[bytes],
        smtputf8: bool,
        eight_bit: bool,
    ) -> Outcome | None:
        """Submit; return this message's refusal, or None when its data went out."""
        proto = self.protocol
        refused = proto.unsupported(tag, recipients, smtputf8)
        if refused is not None:
            self._settle_pending()
            return refused
        group = proto.open_group(
            sender, recipients, chunks, smtputf8=smtputf8, eight_bit=eight_bit
        )  # nothing is written before this
        if not proto.pipeline_across:
            self._settle_pending()  # first: a refused BDAT LAST asks for RSET (below)
        lines = proto.group_lines(group)
        if self.pipelining:
            self._write_group(group, lines)
            if self.idle is not None:
                # The pending data's end and this group go out in one write now.
                self._flush()
                self.idle()
        # Pipelining: the pending data's end and this group go out in one write (above, or
        # here, as the first reply is read).
        self._settle_pending()
        replies = self._exchange(lines)
        refused = proto.judge_group(tag, sender, group, replies)
        if refused is None:
            return self._send_data(tag, group, chunks)
        if proto.must_abandon(group, replies):
            self._abandon()
        if group.bdat_in_group and self.alive:
            self._read()  # the answer to the chunk the server discarded
        return refused

    def _send_data(self, tag: int, group: Group, chunks: Iterable[bytes]) -> Outcome | None:
        """The data after an accepted group: BDAT chunks, or DATA and the dot-stuffed lines."""
        if self.chunking:
            if not group.bdat_in_group:
                refusal = self._put_frames(frames_of(group))
                if refusal is not None:
                    return self.protocol.chunk_refused(tag, refusal)
            self.pending = tag  # the reply to BDAT LAST is read later
            return None
        if not group.data_in_group:
            reply = self._command(DATA)
            if reply.code != SmtpStatus.START_INPUT:
                return self.protocol.data_refused(tag, reply)
        self._stream(chunks)
        self.pending = tag
        return None

    def _exchange(self, group: Sequence[bytes]) -> list[Reply]:
        """The replies to `group`: already written when pipelining, else one command at a
        time (stopping at a refused MAIL). Stops early when the server says 421."""
        replies: list[Reply] = []
        if self.pipelining:  # written already: read as many replies (fewer if a 421 comes)
            for _line in group:
                replies.append(self._read())
                if not self.alive:
                    break
            return replies
        mail_at = 1 if group[0] == RSET else 0
        for i, line in enumerate(group):
            if i > mail_at and replies[mail_at].kind != 2:
                break
            self._write(line)
            replies.append(self._read())
            if not self.alive:
                break
        return replies

    def _abandon(self) -> None:
        """The server waits for data we must not send: the only way out is to hang up."""
        self.alive = False
        self.transport.close()

    def _stream(self, chunks: Iterable[bytes]) -> None:
        block = one_block(chunks) if self.trace is None else None  # traced: through the tap
        if block is not None:
            self.transport.write(block)  # what DotStuffer would write, without the calls
            self.transport.write(b".\r\n")
            return
        stuffer = DotStuffer()
        tap = self.trace.data() if self.trace is not None else None
        try:
            for chunk in chunks:
                if tap is not None:
                    tap.feed(chunk)
                self.transport.write(stuffer.feed(chunk))
        except BaseException:
            # Without the final "." the server discards the partial message.
            self.alive = False
            self.transport.close()
            raise
        self.transport.write(stuffer.finish())
        if tap is not None:
            tap.finish()

    def _put_frames(self, frames: Iterator[Frame]) -> Reply | None:
        """Write the message as BDAT chunks.

        The reply to BDAT LAST is the message's reply and stays unread (`pending`). The reply
        to an earlier chunk is read one chunk late when pipelining (protocol.bdat_window: so
        one chunk is always on its way), at once otherwise; a refused chunk stops the message
        (RSET follows with the next one) and is returned. If the stream raises, the connection
        is dropped: without its LAST chunk the server discards the message.
        """
        tap = self.trace.data() if self.trace is not None else None
        try:
            unread, refusal, last = self._write_chunks(frames, tap)
        except NetworkError:
            raise
        except BaseException:
            self.alive = False
            self.transport.close()
            raise
        for _ in range(unread):  # replies to earlier chunks come before LAST's
            refusal = refusal or self._refusal(self._read())
        if tap is not None:
            tap.finish(dot=False)
        if refusal is not None and last:
            self._read()  # LAST's answer too: the message is over either way
        return refusal

    def _write_chunks(
        self, frames: Iterator[Frame], tap: DataTrace | None
    ) -> tuple[int, Reply | None, bool]:
        """Write chunks until LAST or a refusal: (replies unread, the refusal, LAST written)."""
        window = self.protocol.bdat_window
        unread = 0
        last = False
        for command, pieces in frames:
            self._write(command)
            for piece in pieces:
                self.transport.write(piece)
                if tap is not None:
                    tap.feed(piece)
            last = command.endswith(b" LAST\r\n")
            if last:
                break
            unread += 1
            if unread > window:
                unread -= 1
                refusal = self._refusal(self._read())
                if refusal is not None:
                    return unread, refusal, last
        return unread, None, last

    @staticmethod
    def _refusal(reply: Reply) -> Reply | None:
        return reply if reply.kind != 2 else None

    def _settle_pending(self) -> None:
        """Read the reply to the pending message's data into the known outcomes."""
        tag = self.pending
        if tag is None:
            return
        reply = self._read()
        self.pending = None
        outcome = self.protocol.data_reply(tag, reply)
        if outcome.error is None:
            self.sent += 1
        self._known.append(outcome)

    def drain(self) -> list[Outcome]:
        """Read the reply to the pending message's data, if one is pending; return what is
        known. Raises NetworkError (see submit())."""
        self._settle_pending()
        return self.take_known()

    def send(
        self,
        sender: str,
        recipients: Sequence[str],
        chunks: Iterable[bytes],
        *,
        smtputf8: bool = False,
        eight_bit: bool = False,
    ) -> Reply:
        """Send one message and wait for its reply. Raises the refusal as SmtpReplyError."""
        outcomes = self.submit(
            0, sender, recipients, chunks, smtputf8=smtputf8, eight_bit=eight_bit
        )
        outcomes.extend(self.drain())
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
        assert outcomes and outcomes[-1].reply is not None
        return outcomes[-1].reply

    def reset(self) -> None:
        """Read any pending reply, then RSET. Raises NetworkError."""
        self.drain()
        self._command(RSET)
        self.protocol.reset()

    def close(self) -> None:
        """QUIT politely (errors ignored) and close the socket. Read the pending reply first."""
        if self.alive:
            self.transport.set_timeout(min(self.timeout, QUIT_TIMEOUT))
            with suppress(SmailError):
                self._command(b"QUIT\r\n")
        self.alive = False
        self.transport.close()
