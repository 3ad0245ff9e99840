"""The SMTP client's message transactions, sans I/O: what to send, and what the replies mean.

h11's shape for SMTP (no sockets here): `SmtpProtocol` is told each message's envelope and
data stream and each reply, and gives back the command lines to write and each message's
`Outcome`. smtp/connection.py is the pump that moves the bytes. Its states and transitions:

    READY --open_group--> (group on the wire) --judge_group: all 2xx--> data goes out
                                               --judge_group: refused--> RSET_FIRST
    data out: `pending` = tag --data_reply(250)--> READY (message accepted)
                              --data_reply(5xx) after DATA's "."--> READY (transaction over)
                              --data_reply(5xx) after BDAT LAST--> RSET_FIRST (Dovecot keeps
                                the transaction until RSET: its next MAIL would get 503)
    BDAT chunk refused (chunk_refused) / DATA refused (data_refused) --> RSET_FIRST
    RSET_FIRST --open_group--> the group starts with RSET

Named rules: PIPELINING puts MAIL, RCPT (and DATA, or the whole message as `BDAT n LAST` for
one recipient and one chunk) in one write (`Group`); a bigger BDAT message follows in chunks
whose replies are read one chunk late (`bdat_window`); `pipelines_across(greeting)` is the
Dovecot rule (no next MAIL behind a data's final dot); `goes_again(outcome, sent)` is the rule
that a 421, a per-session limit or a 503 to a pipelined MAIL resends on a new connection.
"""

from __future__ import annotations

from pysmail.errors import SmailError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import SlotValue
from pysmail.smtp.content import Chunker, one_block
from pysmail.smtp.replies import SmtpStatus, UnsafeCommand, format_command

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Literal

    from pysmail.redact import Scrubber
    from pysmail.smtp.content import Frame
    from pysmail.smtp.replies import Extensions, Reply

    Stage = Literal["mail", "rcpt", "data", "message", "pacing"]

__all__ = [
    "RSET",
    "RSET_FIRST",
    "READY",
    "Group",
    "Outcome",
    "SmtpProtocol",
    "goes_again",
    "pipelines_across",
    "reply_error",
]

RSET = b"RSET\r\n"
DATA = b"DATA\r\n"
READY = "READY"  # no transaction open: the next group starts with MAIL
RSET_FIRST = "RSET_FIRST"  # a refused transaction may still be open: RSET before the next MAIL


class Outcome(SlotValue):
    """What became of one submitted message: `reply` (the 250 to its data) or `error`."""

    tag: int
    reply: Reply | None = None
    error: SmailError | None = None
    stage: Stage = "message"


class Group(SlotValue):
    """One message's pipelined commands: `lines` ([RSET,] MAIL, RCPT..., [DATA]), and when the
    data joins them (one recipient): `data_in_group` (DATA) or `bdat_in_group` (the whole
    message as `frames`, one BDAT LAST). With CHUNKING, `frames` are the first chunks cut and
    `chunker`/`rest` make the others; `rest` is None when the message fitted one chunk."""

    lines: list[bytes]
    recipients: Sequence[str]
    data_in_group: bool
    bdat_in_group: bool
    frames: list[Frame]
    chunker: Chunker | None
    rest: Iterator[bytes] | None

    def all_passed(self, replies: Sequence[Reply]) -> bool:
        """Every reply came, each 2xx (DATA's 354): nothing to judge (the fast path)."""
        last = len(self.lines)
        if len(replies) != last:
            return False
        if self.data_in_group:
            last -= 1
            if replies[last].code != SmtpStatus.START_INPUT:
                return False
        for rep in replies[:last]:  # noqa: SIM110 - a loop, not all(): no call per reply
            if not 200 <= rep.code < 300:
                return False
        return True


def pipelines_across(pipelining: bool, greeting: str) -> bool:
    """The next message's MAIL/RCPT in the same write as the data's final ".": RFC 2920 allows
    it, and it saves a round trip per message; Dovecot 2.3 submission aborts on it (assertion
    pending_rcpt_cmds == 0), so it is off there."""
    return pipelining and "dovecot" not in greeting.lower()


def goes_again(outcome: Outcome, sent: int) -> bool:
    """The message goes again over a new connection (not its fault): a 421; a 4xx to MAIL on
    a connection that carried `sent` > 0 messages (a per-session limit); or 503 to MAIL: the
    server still holds a failed transaction that this message's pipelined MAIL went out behind
    (a server that wants RSET after a refused BDAT LAST)."""
    err = outcome.error
    if not isinstance(err, SmtpReplyError):
        return False
    if err.smtp_code == SmtpStatus.SERVICE_UNAVAILABLE:
        return True
    if outcome.stage != "mail":
        return False
    return (err.smtp_code // 100 == 4 and sent > 0) or err.smtp_code == SmtpStatus.BAD_SEQUENCE


class SmtpProtocol:
    """The transaction state of one SMTP session past AUTH (see the module docstring)."""

    def __init__(
        self,
        extensions: Extensions,
        *,
        host: str,
        scrubber: Scrubber,
        greeting: str = "",
        chunking: bool = True,
    ) -> None:
        self.extensions = extensions
        self.host = host
        self.scrubber = scrubber
        self.state = READY
        self.pipelining = extensions.has("PIPELINING")
        # BDAT instead of DATA (RFC 3030) when the server offers it: no 354 to wait for (a
        # one-recipient message goes out with its envelope, one round trip in all), no
        # dot-stuffing. `chunking=False` keeps DATA (a server whose CHUNKING is broken).
        self.chunking = chunking and extensions.has("CHUNKING")
        self.pipeline_across = pipelines_across(self.pipelining, greeting)
        self._mail_lines: dict[tuple[str, bool, bool], bytes] = {}

    @property
    def bdat_window(self) -> int:
        """BDAT chunks whose replies may be unread while the next goes out: one when
        pipelining (a chunk is always on its way), none otherwise."""
        return 1 if self.pipelining else 0

    def error(self, reply: Reply, msgid: str, **params: object) -> SmtpReplyError:
        return reply_error(reply, msgid, host=self.host, scrubber=self.scrubber, **params)

    # -- transitions --------------------------------------------------------------------------

    def unsupported(self, tag: int, recipients: Sequence[str], smtputf8: bool) -> Outcome | None:
        """The refusal of a message this server cannot take (SMTPUTF8 not offered). Raises
        UsageError for a message without recipients."""
        if not recipients:
            raise UsageError(ErrCode.RECIPIENT, "smtp.no_recipients")
        if smtputf8 and not self.extensions.has("SMTPUTF8"):
            error = SmailError(ErrCode.HANDLING, "smtp.smtputf8_unsupported", host=self.host)
            return Outcome(tag, error=error, stage="mail")
        return None

    def open_group(
        self,
        sender: str,
        recipients: Sequence[str],
        chunks: Iterable[bytes],
        *,
        smtputf8: bool,
        eight_bit: bool,
    ) -> Group:
        """The message's command group. With CHUNKING the stream is read until a first chunk
        is cut (nothing is written before this). Raises UsageError for an unsafe address."""
        mail = self._mail_lines.get((sender, smtputf8, eight_bit)) or self._mail_line(
            sender, smtputf8, eight_bit
        )
        rcpts = [_command("RCPT", f"TO:<{r}>") for r in recipients]
        # One recipient: the data may join the group, since a refused RCPT means refused data
        # (DATA answered 503/554, or the BDAT chunk discarded). With several, all-or-nothing
        # needs every RCPT reply before any data goes out.
        one = self.pipelining and len(rcpts) == 1
        frames, chunker, rest = self._frames(chunks)
        bdat_in_group = one and self.chunking and rest is None  # one chunk: the whole
        data_in_group = one and not self.chunking
        lines = [mail, *rcpts, DATA] if data_in_group else [mail, *rcpts]
        return Group(lines, recipients, data_in_group, bdat_in_group, frames, chunker, rest)

    def _frames(
        self, chunks: Iterable[bytes]
    ) -> tuple[list[Frame], Chunker | None, Iterator[bytes] | None]:
        """With CHUNKING: the first BDAT frames, the chunker and the rest of the stream (None
        when the message fitted one chunk). Without: nothing, the data goes after DATA."""
        if not self.chunking:
            return [], None, None
        block = one_block(chunks)  # BDAT content as it is: framed without a Chunker
        if block is not None:
            whole = Chunker.whole(block)
            if whole is not None:
                return [whole], None, None
            chunks = (block,)  # taken (one_block): cut from the block, not the stream again
        chunker = Chunker()
        frames, rest = _first_frames(chunker, chunks)
        return frames, chunker, rest

    def group_lines(self, group: Group) -> list[bytes]:
        """The lines to write for `group`, RSET first when a refused transaction may be open
        (called once the pending data's reply is read, when it must be)."""
        if self.state == RSET_FIRST:
            group.lines.insert(0, RSET)
        return group.lines

    def _mail_line(self, sender: str, smtputf8: bool, eight_bit: bool) -> bytes:
        """The MAIL command, formatted once: the same for every message of a batch."""
        params = ["SMTPUTF8"] if smtputf8 else []
        if (eight_bit or smtputf8) and self.extensions.has("8BITMIME"):
            params.append("BODY=8BITMIME")
        mail = _command("MAIL", f"FROM:<{sender}>", *params)
        self._mail_lines[(sender, smtputf8, eight_bit)] = mail
        return mail

    def judge_group(
        self, tag: int, sender: str, group: Group, replies: list[Reply]
    ) -> Outcome | None:
        """The group's refusal, or None when MAIL and every RCPT (and DATA) passed."""
        refused = None if group.all_passed(replies) else self._judge(tag, sender, group, replies)
        self.state = READY if refused is None else RSET_FIRST
        return refused

    @staticmethod
    def must_abandon(group: Group, replies: list[Reply]) -> bool:
        """A server that answered DATA 354 after refusing MAIL or RCPT waits for data we must
        not send: the only way out is to hang up."""
        count = 1 + len(group.recipients) + (1 if group.lines[0] == RSET else 0)
        if not group.data_in_group or len(replies) <= count:
            return False
        return replies[count].code == SmtpStatus.START_INPUT and any(
            rep.kind != 2 for rep in replies[count - 1 - len(group.recipients) : count]
        )

    def _judge(self, tag: int, sender: str, group: Group, replies: list[Reply]) -> Outcome | None:
        recipients = group.recipients
        if group.lines[0] == RSET:
            rset, replies = replies[0], replies[1:]
            if not replies:  # 421 to RSET: the server went away
                error = self.error(rset, "smtp.command_refused", command="RSET")
                return Outcome(tag, error=error, stage="mail")
        mail = replies[0]
        rcpt = replies[1 : 1 + len(recipients)]
        if mail.kind != 2:
            error = self.error(mail, "smtp.sender_refused", sender=sender)
            return Outcome(tag, error=error, stage="mail")
        judged = self._rcpt_judged(tag, mail, recipients, rcpt)
        if judged is not None:
            return judged
        return self._data_judged(tag, group, rcpt, replies[1 + len(recipients) :])

    def _rcpt_judged(
        self, tag: int, mail: Reply, recipients: Sequence[str], rcpt: list[Reply]
    ) -> Outcome | None:
        """The outcome when a recipient was refused or a 421 cut the RCPTs short."""
        refused = [(r, rep) for r, rep in zip(recipients, rcpt, strict=False) if rep.kind != 2]
        if refused:
            worst = max((rep for _, rep in refused), key=lambda rep: rep.kind)
            error = self.error(
                worst, "smtp.recipient_refused", recipient=refused[0][0], count=len(refused)
            )
            error.reply = self.scrubber.scrub("\n".join(f"<{r}>: {rep.wire}" for r, rep in refused))
            return Outcome(tag, error=error, stage="rcpt")
        if len(rcpt) < len(recipients):  # a 421 cut the group short
            error = self.error(mail, "smtp.command_refused", command="RCPT")
            return Outcome(tag, error=error, stage="rcpt")
        return None

    def _data_judged(
        self, tag: int, group: Group, rcpt: list[Reply], rest: list[Reply]
    ) -> Outcome | None:
        """The outcome of a pipelined DATA (its reply first in `rest`, if it came)."""
        data = rest[0] if rest else None
        if not group.data_in_group or (data is not None and data.code == SmtpStatus.START_INPUT):
            return None  # only RSET was refused: the transaction itself passed
        error = self.error(
            rcpt[-1] if data is None else data, "smtp.command_refused", command="DATA"
        )
        return Outcome(tag, error=error, stage="data")

    def chunk_refused(self, tag: int, reply: Reply) -> Outcome:
        """A BDAT chunk before LAST was refused: the message stops, RSET goes with the next."""
        self.state = RSET_FIRST
        return Outcome(tag, error=self.error(reply, "smtp.message_refused"))

    def data_refused(self, tag: int, reply: Reply) -> Outcome:
        """DATA (sent alone) was not answered 354."""
        if reply.kind != 3:
            self.state = RSET_FIRST
        error = self.error(reply, "smtp.command_refused", command="DATA")
        return Outcome(tag, error=error, stage="data")

    def data_reply(self, tag: int, reply: Reply) -> Outcome:
        """The reply to a message's data (its final "." or BDAT LAST)."""
        if 200 <= reply.code < 300:  # not `kind`: no Python call per message
            return Outcome(tag, reply=reply)
        # After a refused BDAT LAST, Dovecot keeps the transaction (503 to the next MAIL)
        # until RSET; after DATA's "." the transaction is over either way.
        if self.chunking:
            self.state = RSET_FIRST
        return Outcome(tag, error=self.error(reply, "smtp.message_refused"))

    def reset(self) -> None:
        """RSET was answered: no transaction is open."""
        self.state = READY


def reply_error(
    reply: Reply, msgid: str, *, host: str, scrubber: Scrubber, **params: object
) -> SmtpReplyError:
    """The error for a refusing `reply` (4xx: TEMPORARY, else HANDLING), its text scrubbed."""
    code = ErrCode.TEMPORARY if reply.kind == 4 else ErrCode.HANDLING
    return SmtpReplyError(
        code, msgid, smtp_code=reply.code, reply=scrubber.scrub(reply.wire), host=host, **params
    )


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


def frames_of(group: Group) -> Iterator[Frame]:
    """The message's BDAT chunks: the group's first frames, then what its chunker cuts."""
    yield from group.frames
    chunker, rest = group.chunker, group.rest
    if chunker is not None and rest is not None:
        for piece in rest:
            yield from chunker.feed(piece)
        yield chunker.finish()


def _command(verb: str, *args: str) -> bytes:
    try:
        return format_command(verb, *args)
    except UnsafeCommand as exc:
        raise UsageError(ErrCode.RECIPIENT, "smtp.unsafe_address", value=repr(args[0])) from exc
