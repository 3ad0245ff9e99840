"""One authenticated SMTP connection, many messages: pipelined submission and reconnection.

    conn = SmtpConnection.open(params, auth=auth, trace=trace)   # greeting .. AUTH, once
    conn.send(sender, recipients, chunks) -> Reply                # one message, all-or-nothing
    conn.reset(); conn.close()

`submit()` is the pipelined form: it writes a message's data and returns at once; the reply to
that data is read together with the replies to the NEXT message's MAIL/RCPT(/DATA), which go
out in the same write as the data's final "." (RFC 2920). One round trip per message when the
message has one recipient (DATA joins the group: a refused RCPT makes the server refuse DATA
too, so nothing is sent), two with several (all-or-nothing needs every RCPT reply before DATA).

When the server offers CHUNKING the data goes as BDAT (RFC 3030; docs/decisions.md D15): a
one-recipient message that fits one chunk (1 MiB) goes in the group itself, `BDAT n LAST` and
its bytes behind MAIL and RCPT, so no 354 is waited for; a bigger one follows the group in
chunks whose replies are read one chunk late. Either way the reply to BDAT LAST is the data's
reply, read as above. Every refused BDAT message is followed by RSET.

`conn.idle`, when set, is called inside submit() once the commands are on their way and before
their replies are read: deliver() reports results and prepares the next message there, so that
work costs no round trip. A message that needs no dot-stuffing (data_content() marks it) is
written as it is.

`deliver()` runs a stream of jobs over such connections: reconnects when the connection drops
or the server says 421 (or refuses MAIL once a connection has carried messages: a per-session
message limit), retries the messages that were in flight, and reports each job's outcome.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress

from pysmail.delivery.retry import backoff, classify
from pysmail.errors import NetworkError, SmailError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.smtp.replies import (
    Chunker,
    DotStuffer,
    Extensions,
    Reply,
    SmtpStatus,
    UnsafeCommand,
    format_command,
)

TYPE_CHECKING = False  # not typing's: `import typing` costs 3 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from typing import Literal

    from pysmail.redact import Scrubber
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.replies import Frame
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import Trace
    from pysmail.smtp.wire import SmtpTransport as Transport

__all__ = ["DataContent", "Job", "Outcome", "Result", "SmtpConnection", "data_content", "deliver"]

QUIT_TIMEOUT = 5.0
if TYPE_CHECKING:
    Stage = Literal["mail", "rcpt", "data", "message", "pacing"]


class _Value:
    """Equality and repr from __slots__. The value classes below are written out by hand rather
    than as dataclasses: one of each is made per message (a dataclass __init__ with frozen=True
    costs twice as much), and `import dataclasses` alone costs 5-8 ms of a batch's start-up."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Value) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({inner})"


class Outcome(_Value):
    """What became of one submitted message: `reply` (the 250 to its data) or `error`."""

    __slots__ = ("tag", "reply", "error", "stage")

    def __init__(
        self,
        tag: int,
        reply: Reply | None = None,
        error: SmailError | None = None,
        stage: Stage = "message",
    ) -> None:
        self.tag = tag
        self.reply = reply
        self.error = error
        self.stage: Stage = stage


class SmtpConnection:
    """An open SMTP session past AUTH. Not thread-safe: one thread per connection.

    After a refused message the transaction is reset (RSET goes out with the next message) and
    the connection stays usable. `alive` turns False when the server said 421 or the
    connection failed; then only close() is left.
    """

    def __init__(
        self,
        transport: Transport,
        extensions: Extensions,
        *,
        host: str,
        scrubber: Scrubber,
        trace: Trace | None = None,
        timeout: float = 60.0,
        greeting: str = "",
        chunking: bool = True,
    ) -> None:
        self.transport = transport
        self.extensions = extensions
        self.host = host
        self.scrubber = scrubber
        self.trace = trace
        self.timeout = timeout
        self.alive = True
        self.pending: int | None = None  # tag whose data went out and whose reply is unread
        self.sent = 0  # messages accepted over this connection
        self._dirty = False  # a transaction was left open: RSET before the next MAIL
        self._known: list[Outcome] = []  # outcomes learnt, not yet returned
        self.pipelining = extensions.has("PIPELINING")
        # BDAT instead of DATA (RFC 3030) when the server offers it: no 354 to wait for (a
        # one-recipient message goes out with its envelope, one round trip in all), no
        # dot-stuffing. `chunking=False` keeps DATA (a server whose CHUNKING is broken).
        self.chunking = chunking and extensions.has("CHUNKING")
        # The next message's MAIL/RCPT in the same write as the data's final ".": RFC 2920
        # allows it, and it saves a round trip per message; Dovecot 2.3 submission aborts on
        # it (assertion pending_rcpt_cmds == 0), so it is off there.
        self.pipeline_across = self.pipelining and "dovecot" not in greeting.lower()
        # Called (when pipelining) once a message's commands are on their way and before their
        # replies are read: the caller's bookkeeping then runs while the server works.
        self.idle: Callable[[], None] | None = None
        self._mail_lines: dict[tuple[str, bool, bool], bytes] = {}

    @classmethod
    def open(
        cls, params: SmtpParams, *, auth: AuthRequest | None = None, trace: Trace | None = None
    ) -> SmtpConnection:
        """Connect, EHLO, STARTTLS, AUTH (the secret or token is asked for once, here)."""
        from pysmail.smtp.session import open_session

        opened = open_session(params, auth=auth, trace=trace)
        return cls(
            opened.transport,
            opened.extensions,
            host=params.host,
            scrubber=opened.scrubber,
            trace=trace,
            timeout=params.timeout,
            greeting=opened.greeting,
            chunking=params.chunking,
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _write(self, line: bytes) -> None:
        self.transport.write(line)
        if self.trace is not None:
            self.trace.send(line.decode("utf-8", "replace").rstrip("\r\n"))

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

    def _error(self, reply: Reply, msgid: str, **params: object) -> SmtpReplyError:
        code = ErrCode.TEMPORARY if reply.kind == 4 else ErrCode.HANDLING
        return SmtpReplyError(
            code,
            msgid,
            smtp_code=reply.code,
            reply=self.scrubber.scrub(reply.wire),
            host=self.host,
            **params,
        )

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
        if refused is not None:
            self._known.append(refused)
        return self.take_known()

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
        if not recipients:
            raise UsageError(ErrCode.RECIPIENT, "smtp.no_recipients")
        ext = self.extensions
        if smtputf8 and not ext.has("SMTPUTF8"):
            self._settle_pending()
            error = SmailError(ErrCode.HANDLING, "smtp.smtputf8_unsupported", host=self.host)
            return Outcome(tag, error=error, stage="mail")
        mail = self._mail_lines.get((sender, smtputf8, eight_bit))
        if mail is None:  # the same for every message of a batch: formatted once
            params = ["SMTPUTF8"] if smtputf8 else []
            if (eight_bit or smtputf8) and ext.has("8BITMIME"):
                params.append("BODY=8BITMIME")
            mail = _command("MAIL", f"FROM:<{sender}>", *params)
            self._mail_lines[(sender, smtputf8, eight_bit)] = mail
        rcpts = [_command("RCPT", f"TO:<{r}>") for r in recipients]
        # One recipient: the data may join the group, since a refused RCPT means refused data
        # (DATA answered 503/554, or the BDAT chunk discarded). With several, all-or-nothing
        # needs every RCPT reply before any data goes out.
        one = self.pipelining and len(rcpts) == 1
        chunker: Chunker | None = None
        frames: list[Frame] = []
        rest: Iterator[bytes] | None = None
        if self.chunking:
            chunker = Chunker()
            frames, rest = _first_frames(chunker, chunks)  # nothing is written before this
        bdat_in_group = one and chunker is not None and rest is None  # one chunk: the whole
        data_in_group = one and chunker is None
        if not self.pipeline_across:
            self._settle_pending()  # first: a refused BDAT LAST asks for RSET (below)
        group = [b"RSET\r\n"] if self._dirty else []
        group += [mail, *rcpts] + ([b"DATA\r\n"] if data_in_group else [])
        if self.pipelining:
            if self.trace is None:
                self.transport.write(b"".join(group))
            else:
                for line in group:
                    self._write(line)
            if bdat_in_group:
                self._put_frames(frames)
            if self.idle is not None:
                # The pending data's end and this group go out in one write now.
                self._flush()
                self.idle()
        # Pipelining: the pending data's end and this group go out in one write (above, or
        # here, as the first reply is read).
        self._settle_pending()
        replies = self._exchange(group)
        # All went well (every reply 2xx, DATA's 354): nothing to judge.
        last = len(group) - 1 if data_in_group else len(group)
        if (
            len(replies) == len(group)
            and all(rep.kind == 2 for rep in replies[:last])
            and (not data_in_group or replies[last].code == SmtpStatus.START_INPUT)
        ):
            refused = None
        else:
            refused = self._judge(tag, sender, recipients, replies, data_in_group)
        if refused is not None:
            self._dirty = True
            if bdat_in_group and self.alive:
                self._read()  # the answer to the chunk the server discarded
            return refused
        self._dirty = False
        if chunker is not None:
            if not bdat_in_group:
                refusal = self._put_frames(frames, chunker, rest)
                if refusal is not None:
                    self._dirty = True
                    return Outcome(tag, error=self._error(refusal, "smtp.message_refused"))
            self.pending = tag  # the reply to BDAT LAST is read later
            return None
        if not data_in_group:
            reply = self._command(b"DATA\r\n")
            if reply.code != SmtpStatus.START_INPUT:
                self._dirty = reply.kind != 3
                error = self._error(reply, "smtp.command_refused", command="DATA")
                return Outcome(tag, error=error, stage="data")
        self._stream(chunks)
        self.pending = tag
        return None

    def _command(self, line: bytes) -> Reply:
        self._write(line)
        return self._read()

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
        mail_at = 1 if group[0] == b"RSET\r\n" else 0
        for i, line in enumerate(group):
            if not self.pipelining:
                if i > mail_at and replies[mail_at].kind != 2:
                    break
                self._write(line)
            replies.append(self._read())
            if not self.alive:
                break
        return replies

    def _judge(
        self,
        tag: int,
        sender: str,
        recipients: Sequence[str],
        replies: list[Reply],
        data_in_group: bool,
    ) -> Outcome | None:
        """The refusal among the group's replies, or None when MAIL and every RCPT passed."""
        if self._dirty:
            rset, replies = replies[0], replies[1:]
            if not replies:  # 421 to RSET: the server went away
                error = self._error(rset, "smtp.command_refused", command="RSET")
                return Outcome(tag, error=error, stage="mail")
        mail = replies[0]
        rcpt = replies[1 : 1 + len(recipients)]
        data = replies[1 + len(recipients)] if len(replies) > 1 + len(recipients) else None
        if (
            data is not None
            and data.code == SmtpStatus.START_INPUT
            and (mail.kind != 2 or any(rep.kind != 2 for rep in rcpt))
        ):
            self._abandon()  # a server that takes DATA after a refusal: hang up, send nothing
        if mail.kind != 2:
            error = self._error(mail, "smtp.sender_refused", sender=sender)
            return Outcome(tag, error=error, stage="mail")
        refused = [(r, rep) for r, rep in zip(recipients, rcpt, strict=False) if rep.kind != 2]
        if refused:
            worst = max((rep for _, rep in refused), key=lambda rep: rep.kind)
            error = self._error(
                worst, "smtp.recipient_refused", recipient=refused[0][0], count=len(refused)
            )
            error.reply = self.scrubber.scrub("\n".join(f"<{r}>: {rep.wire}" for r, rep in refused))
            return Outcome(tag, error=error, stage="rcpt")
        if len(rcpt) < len(recipients):  # a 421 cut the group short
            error = self._error(mail, "smtp.command_refused", command="RCPT")
            return Outcome(tag, error=error, stage="rcpt")
        if data_in_group:
            if data is None:
                error = self._error(rcpt[-1], "smtp.command_refused", command="DATA")
                return Outcome(tag, error=error, stage="data")
            if data.code != SmtpStatus.START_INPUT:
                error = self._error(data, "smtp.command_refused", command="DATA")
                return Outcome(tag, error=error, stage="data")
        return None

    def _abandon(self) -> None:
        """The server waits for data we must not send: the only way out is to hang up."""
        self.alive = False
        self.transport.close()

    def _stream(self, chunks: Iterable[bytes]) -> None:
        if (
            self.trace is None
            and type(chunks) is tuple
            and len(chunks) == 1
            and type(chunks[0]) is DataContent
        ):
            self.transport.write(chunks[0])  # what DotStuffer would write, without the calls
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

    def _put_frames(
        self,
        frames: list[Frame],
        chunker: Chunker | None = None,
        rest: Iterator[bytes] | None = None,
    ) -> Reply | None:
        """Write the message as BDAT chunks: `frames`, then what `chunker` makes of `rest`.

        The reply to BDAT LAST is the message's reply and stays unread (`pending`). The reply
        to an earlier chunk is read one chunk late when pipelining (so one chunk is always on
        its way), at once otherwise; a refused chunk stops the message (RSET follows with the
        next one) and is returned. If `rest` raises, the connection is dropped: without its
        LAST chunk the server discards the message.
        """
        tap = self.trace.data() if self.trace is not None else None
        window = 1 if self.pipelining else 0
        unread = 0
        refusal: Reply | None = None
        last = False
        try:
            for command, pieces in _chain(frames, chunker, rest):
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
                        break
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
        if reply.kind != 2:
            # After a refused BDAT LAST, Dovecot keeps the transaction (503 to the next MAIL)
            # until RSET; after DATA's "." the transaction is over either way.
            self._dirty = self._dirty or self.chunking
            self._known.append(Outcome(tag, error=self._error(reply, "smtp.message_refused")))
            return
        self.sent += 1
        self._known.append(Outcome(tag, reply=reply))

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
        self._command(b"RSET\r\n")
        self._dirty = False

    def close(self) -> None:
        """QUIT politely (errors ignored) and close the socket. Read the pending reply first."""
        if self.alive:
            self.transport.set_timeout(min(self.timeout, QUIT_TIMEOUT))
            with suppress(SmailError):
                self._command(b"QUIT\r\n")
        self.alive = False
        self.transport.close()


def _first_frames(
    chunker: Chunker, chunks: Iterable[bytes]
) -> tuple[list[Frame], Iterator[bytes] | None]:
    """Feed `chunks` until a first BDAT chunk is cut: (the chunks, the rest of the stream), or
    ([the whole message as BDAT LAST], None) when it ends first."""
    stream = iter(chunks)
    for piece in stream:
        frames = chunker.feed(piece)
        if frames:
            return frames, stream
    return [chunker.finish()], None


def _chain(
    frames: list[Frame], chunker: Chunker | None, rest: Iterator[bytes] | None
) -> Iterator[Frame]:
    yield from frames
    if chunker is not None and rest is not None:
        for piece in rest:
            yield from chunker.feed(piece)
        yield chunker.finish()


class DataContent(bytes):
    """Message bytes that are DATA content as they are (made by data_content()): DotStuffer
    passes them through without scanning them (its `smtp_safe` contract)."""

    __slots__ = ()
    smtp_safe = True


def data_content(message: bytes) -> bytes:
    """`message` marked as DataContent when dot-stuffing would not change it: every CR and LF
    in a CRLF pair, no line starting with ".", a final CRLF. Else `message` itself, stuffed as
    it is sent. A composed message usually qualifies; checking it (four scans at C speed) costs
    a tenth of stuffing it."""
    crlf = message.count(b"\r\n")
    if (
        message.endswith(b"\r\n")
        and message[:1] != b"."
        and b"\n." not in message
        and message.count(b"\r") == crlf
        and message.count(b"\n") == crlf
    ):
        return DataContent(message)
    return message


def _command(verb: str, *args: str) -> bytes:
    try:
        return format_command(verb, *args)
    except UnsafeCommand as exc:
        raise UsageError(ErrCode.RECIPIENT, "smtp.unsafe_address", value=repr(args[0])) from exc


# -- many messages over reconnecting connections ------------------------------------------------


class Job(_Value):
    """One message to deliver. `chunks()` gives a fresh stream for each attempt."""

    __slots__ = ("tag", "sender", "recipients", "chunks", "smtputf8", "eight_bit")

    def __init__(
        self,
        tag: int,
        sender: str,
        recipients: tuple[str, ...],
        chunks: Callable[[], Iterable[bytes]],
        smtputf8: bool = False,
        eight_bit: bool = False,
    ) -> None:
        self.tag = tag
        self.sender = sender
        self.recipients = recipients
        self.chunks = chunks
        self.smtputf8 = smtputf8
        self.eight_bit = eight_bit


class Result(_Value):
    """A job's final outcome. `maybe_duplicate`: an earlier attempt may have been delivered
    too (the connection was lost after its data, before the reply)."""

    __slots__ = ("job", "reply", "error", "attempts", "maybe_duplicate")

    def __init__(
        self,
        job: Job,
        reply: Reply | None,
        error: SmailError | None,
        attempts: int,
        maybe_duplicate: bool = False,
    ) -> None:
        self.job = job
        self.reply = reply
        self.error = error
        self.attempts = attempts
        self.maybe_duplicate = maybe_duplicate


class Aborted(Exception):
    """No connection could be had: `error` says why; the remaining jobs were not sent."""

    def __init__(self, error: SmailError) -> None:
        super().__init__(error)
        self.error = error


class _State:
    __slots__ = ("attempts", "maybe")

    def __init__(self) -> None:
        self.attempts: dict[int, int] = {}
        self.maybe: set[int] = set()


def deliver(
    next_job: Callable[[], Job | None],
    connect: Callable[[], SmtpConnection],
    on_result: Callable[[Result], None],
    *,
    gate: Callable[[Job], None] | None = None,
    max_attempts: int = 3,
    max_per_connection: int | None = None,
    connect_tries: int = 4,
    base: float = 1.0,
    cap: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] | None = None,
) -> None:
    """Deliver jobs from `next_job()` (None: no more) until there are none; report each once.

    One connection at a time (call it from N threads for N connections). A dropped connection
    or a 421 sends the messages in flight again over a new connection (at most `max_attempts`
    tries each; a message whose data had gone out may then arrive twice, same Message-ID).
    A 4xx to MAIL on a connection that already carried messages is taken as a per-session
    limit: new connection, same message. `max_per_connection` reconnects proactively. After
    a lost data reply, later connections stop pipelining across messages (pipeline_across).
    `gate(job)` runs before each message (pacing: it may sleep, or raise SmailError to fail
    the job). A connection that cannot be opened is retried `connect_tries` times with
    backoff; then Aborted(error) is raised (jobs not yet taken stay untaken).

    While a connection waits for the server (its `idle` hook), the successes learnt so far
    are reported and the next job is taken from `next_job()` with its chunks made: that work
    then costs no round-trip time. `on_result` is still called in the order outcomes are
    learnt, and every learnt outcome is reported before deliver() returns or raises.
    """

    def rand() -> float:  # `random` is imported only when a connection must be waited for
        if rng is not None:
            return rng()
        import random

        return random.random()

    state = _State()
    retry: deque[Job] = deque()
    inflight: dict[int, Job] = {}
    conn: SmtpConnection | None = None
    failures = 0
    # After a reply lost behind a pipelined next message, the following connections wait for
    # each data reply first: a server that breaks on it will not lose another one.
    cautious = False
    # Work done while the server works (conn.idle, called inside submit() once the commands
    # are on their way): the successes learnt from the previous submit() are reported there,
    # and the next job is taken and its chunks made ready. Results keep their order: any
    # other report first reports the deferred ones.
    deferred: list[tuple[Job, Reply | None]] = []
    ahead: list[tuple[Job, Iterable[bytes] | SmailError]] = []  # the next job, prepared
    trouble: list[BaseException] = []  # raised inside idle(): re-raised after submit()
    idled = 0

    def report() -> None:
        while deferred:
            job, reply = deferred.pop(0)
            inflight.pop(job.tag, None)
            attempts = state.attempts.get(job.tag, 1)
            on_result(Result(job, reply, None, attempts, job.tag in state.maybe))

    def finish(job: Job, reply: Reply | None, error: SmailError | None) -> None:
        report()
        inflight.pop(job.tag, None)
        attempts = state.attempts.get(job.tag, 1)
        on_result(Result(job, reply, error, attempts, job.tag in state.maybe))

    def idle() -> None:
        nonlocal idled
        idled += 1
        try:
            report()
            if not ahead and not retry:
                upcoming = next_job()
                if upcoming is not None:
                    made: Iterable[bytes] | SmailError
                    try:
                        made = upcoming.chunks()
                    except SmailError as exc:  # raised again where the job is submitted
                        made = exc
                    ahead.append((upcoming, made))
        except BaseException as exc:  # not the message's fault: raised after submit()
            trouble.append(exc)

    def again(job: Job, error: SmailError) -> None:
        """Send `job` once more on a new connection, or fail it when its tries are used up."""
        inflight.pop(job.tag, None)
        tries = state.attempts.get(job.tag, 1)
        if tries >= max_attempts:
            finish(job, None, error)
            return
        state.attempts[job.tag] = tries + 1
        retry.append(job)

    def settle(outcomes: list[Outcome], current: SmtpConnection) -> None:
        for outcome in outcomes:
            job = inflight[outcome.tag]
            err = outcome.error
            if err is None:
                deferred.append((job, outcome.reply))
            elif isinstance(err, SmtpReplyError) and (
                err.smtp_code == SmtpStatus.SERVICE_UNAVAILABLE
                or (outcome.stage == "mail" and err.smtp_code // 100 == 4 and current.sent > 0)
                or (outcome.stage == "mail" and err.smtp_code == SmtpStatus.BAD_SEQUENCE)
            ):
                # 421; a per-session limit; or 503 to MAIL: the server still holds a failed
                # transaction that this message's pipelined MAIL went out behind (a server
                # that wants RSET after a refused BDAT LAST). Not the message's fault: it
                # goes again over a new connection.
                current.alive = False
                again(job, err)
            else:
                finish(job, None, err)

    def lost(current: SmtpConnection, job: Job | None, err: SmailError) -> None:
        nonlocal cautious
        settle(current.take_known(), current)
        report()
        if current.pending is not None:
            cautious = cautious or current.pipeline_across
            state.maybe.add(current.pending)
            again(inflight[current.pending], err)
            current.pending = None
        if job is not None and job.tag in inflight:
            again(job, err)
        current.alive = False
        current.close()

    try:
        while True:
            if trouble:
                raise trouble.pop()
            made: Iterable[bytes] | SmailError | None = None
            if retry:
                job: Job | None = retry.popleft()
            elif ahead:
                job, made = ahead.pop()
            else:
                job = next_job()
            if job is None:
                if conn is None:
                    break
                try:  # the last message's reply; if it is lost, the message goes round again
                    settle(conn.drain(), conn)
                except NetworkError as err:
                    lost(conn, None, err)
                report()
                conn.close()
                conn = None
                continue
            if conn is not None and (
                not conn.alive or (max_per_connection and conn.sent >= max_per_connection)
            ):
                try:
                    settle(conn.drain(), conn)
                except NetworkError as err:
                    lost(conn, None, err)
                report()
                conn.close()
                conn = None
            if conn is None:
                try:
                    conn = connect()
                    failures = 0
                    conn.idle = idle
                    if cautious:
                        conn.pipeline_across = False
                except SmailError as err:
                    failures += 1
                    retry.appendleft(job)
                    if classify(err).permanent or failures >= connect_tries:
                        for waiting in (*retry, *(prepared for prepared, _made in ahead)):
                            finish(waiting, None, err)
                        retry.clear()
                        ahead.clear()
                        raise Aborted(err) from err
                    sleep(backoff(failures - 1, base=base, cap=cap, rng=rand))
                    continue
            if gate is not None:
                try:
                    gate(job)
                except SmailError as err:
                    report()
                    on_result(Result(job, None, err, state.attempts.get(job.tag, 0)))
                    continue
            state.attempts.setdefault(job.tag, 1)
            inflight[job.tag] = job
            before = idled
            try:
                if made is None:
                    made = job.chunks()
                elif isinstance(made, SmailError):
                    raise made
                outcomes = conn.submit(
                    job.tag,
                    job.sender,
                    job.recipients,
                    made,
                    smtputf8=job.smtputf8,
                    eight_bit=job.eight_bit,
                )
            except NetworkError as err:
                lost(conn, job, err)
                conn = None
                continue
            except SmailError as err:  # the message itself is wrong (an unsafe address, a file)
                if not conn.alive:
                    lost(conn, None, err)
                    conn = None
                finish(job, None, err)
                continue
            settle(outcomes, conn)
            if idled == before:  # this connection does not call idle(): report now
                report()
    finally:
        report()
