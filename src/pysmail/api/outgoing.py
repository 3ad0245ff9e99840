"""A message handed to the API -> what the scheduler sends: envelope, data stream, Message-ID.

pysmail's own `Message` becomes a MessageSpec composed by mime/ (as `smail` composes); a
stdlib `email.message.Message` (EmailMessage, or Django's) is written by the email package's
BytesGenerator (CRLF, the SMTP policy) with Bcc and Resent-Bcc removed from what is sent and
used in the envelope. Both are checked here, before anything is sent.
"""

from __future__ import annotations

from pysmail.delivery.batch.plan import Planned
from pysmail.delivery.scheduler import Job
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Recipients, parse_address, parse_address_list
from pysmail.mime.compose import MessageSpec
from pysmail.mime.headers import now
from pysmail.mime.parts import check_attachments
from pysmail.mime.template import Fill, MessageTemplate
from pysmail.smtp.content import data_content

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import email.message
    from collections.abc import Callable, Iterable, Iterator
    from email.policy import Policy

    from pysmail.api.message import Message
    from pysmail.mime.addresses import Address
    from pysmail.mime.template import Prepared

    _Rcpts = tuple[Recipients, tuple[str, ...], bool]  # parsed, envelope, needs SMTPUTF8

__all__ = ["Outgoing", "Shapes", "outgoing"]

_SHOWN = "<email.message>"  # how an error names a stdlib message (it has no file name)


class Outgoing(Job):
    """One message ready for the scheduler: a Job (`chunks()` gives a fresh stream per
    attempt) that knows its Message-ID for the Receipt. Its tag is given when it is sent
    (api/mailer.py's send_prepared numbers the messages of a call)."""

    message_id: str = ""


def outgoing(message: object, default_sender: str | None, shapes: Shapes | None = None) -> Outgoing:
    """`message` (a pysmail Message or a stdlib email.message.Message) made ready to send;
    `shapes`: the templates of the messages made ready before it in the same call.

    Raises: UsageError (no sender, no recipient, a bad address, header or charset),
    InputError (an attachment missing or unreadable, text the charset cannot write), and
    TypeError for anything that is not a message.
    """
    import email.message

    from pysmail.api.message import Message

    if isinstance(message, Message):
        return _own(message, default_sender, shapes)
    if isinstance(message, email.message.Message):
        return _stdlib(message, default_sender)
    raise TypeError(
        f"expected a pysmail.Message or an email.message.EmailMessage, not {type(message).__name__}"
    )


def _addresses(values: Iterable[str]) -> tuple[Address, ...]:
    return tuple(a for value in values for a in parse_address_list(value))


def _own(message: Message, default_sender: str | None, shapes: Shapes | None) -> Outgoing:
    sender = message.sender or default_sender
    if not sender:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    shapes = shapes or Shapes()
    rcpts, envelope, rcpts_utf8 = shapes.recipients(message)
    if not envelope:
        raise UsageError(ErrCode.RECIPIENT, "config.no_recipient")
    shape = shapes.shape(message, sender)
    spec = shape.template.spec
    fill = Fill(
        to=rcpts.to,
        cc=rcpts.cc,
        subject=None if message.subject == spec.subject else message.subject,
        text=None if message.text == spec.text else message.text,
        html=None if message.html == spec.html else message.html,
        message_id="",
        date=shape.date,
    )
    # charset, headers and texts checked now; the same bytes written for each attempt
    prepared = shape.template.prepare(fill)
    assert prepared.message_id is not None
    smtputf8 = shape.sender_utf8 or rcpts_utf8
    return Outgoing(
        0,
        spec.from_.wire_addr,
        envelope,
        shape.chunks(fill, prepared, envelope, smtputf8),
        smtputf8,
        message_id=prepared.message_id,
    )


class _Shape:
    """The MessageTemplate of messages alike but for their recipients, subject and texts."""

    __slots__ = ("bodies", "date", "sender_utf8", "template")

    def __init__(self, spec: MessageSpec, date: float) -> None:
        self.template = MessageTemplate.compile(spec)
        self.sender_utf8 = any(a.needs_smtputf8 for a in (spec.from_, *spec.reply_to))
        self.date = date
        self.bodies: dict[bytes, bytes] = {}  # the spec's one-part body -> data_content() of it

    def chunks(
        self, fill: Fill, prepared: Prepared, envelope: tuple[str, ...], smtputf8: bool
    ) -> Callable[[], Iterable[bytes]]:
        """The message's bytes for each attempt: a one-part message as --batch writes it (its
        header block, then its body checked for DATA once per shape), else its parts streamed."""
        body = prepared.one_body
        if body is None:
            return prepared.chunks
        if fill.text is None and fill.html is None:
            body = self.bodies.get(body) or self.bodies.setdefault(body, data_content(body))
        mid = prepared.message_id or ""
        made = Planned(
            0, self.template, fill, envelope, smtputf8, mid, prepared=prepared, body=body
        )
        return made.chunks  # (row 0: a Mailer's message has no CSV row)


class Shapes:
    """The templates of one send_many() call, one per message shape: the sender, Reply-To,
    attachments, charset, extra fields and which texts a message has. A message of a shape
    met before is a Fill of its template (its recipients, subject, texts, Message-ID): what
    the shape holds is parsed, checked and formatted once, as --batch does for its rows.
    Date: the time the call began (as --batch's), the same for every message of it."""

    __slots__ = ("_date", "_recipients", "_shapes")

    def __init__(self) -> None:
        self._shapes: dict[tuple[object, ...], _Shape] = {}
        self._recipients: dict[tuple[tuple[str, ...], ...], _Rcpts] = {}
        self._date = now()

    def recipients(self, message: Message) -> _Rcpts:
        """The message's To, Cc and Bcc parsed, its envelope (To, Cc, Bcc, each once) and
        whether they need SMTPUTF8; worked out once per set of recipients, as --batch does."""
        key = (message.to, message.cc, message.bcc)
        found = self._recipients.get(key)
        if found is None:
            rcpts = Recipients(*map(_addresses, key))
            found = self._recipients[key] = (rcpts, rcpts.envelope(), rcpts.needs_smtputf8)
        return found

    def shape(self, message: Message, sender: str) -> _Shape:
        """The shape of `message`, made (its attachments checked, its sender and Reply-To
        parsed) the first time it is met."""
        key = (
            sender,
            message.reply_to,
            message.attachments,
            message.charset,
            message.headers,
            message.text is None,
            message.html is None,
        )
        found = self._shapes.get(key)
        if found is None:
            found = self._shapes[key] = _Shape(_spec(message, sender), self._date)
        return found


def _spec(message: Message, sender: str) -> MessageSpec:
    """The MessageSpec of `message` (its recipients left to the Fill); attachments checked."""
    from pathlib import Path

    attachments = tuple(Path(a).absolute() for a in message.attachments)
    check_attachments(attachments)
    return MessageSpec(
        from_=parse_address(sender, code=ErrCode.OPTION),
        reply_to=_addresses(message.reply_to),
        subject=message.subject,
        text=message.text,
        html=message.html,
        attachments=attachments,
        charset=message.charset,
        message_id="",
        extra_headers=message.headers,
    )


def _stdlib(message: email.message.Message, default_sender: str | None) -> Outgoing:
    """A stdlib message: envelope from From (else the account's sender) and To/Cc/Bcc; a copy
    gets Message-ID and Date when it has none, and loses Bcc and Resent-Bcc."""
    import copy

    def field(*names: str) -> tuple[Address, ...]:
        return _addresses(str(v) for name in names for v in message.get_all(name, ()))

    senders = field("from")
    if senders:
        sender = senders[0]
    elif default_sender:
        sender = parse_address(default_sender, code=ErrCode.OPTION)
    else:
        raise UsageError(ErrCode.OPTION, "batch.eml_no_sender", path=_SHOWN)
    envelope = tuple(dict.fromkeys(a.wire_addr for a in field("to", "cc", "bcc")))
    if not envelope:
        raise UsageError(ErrCode.RECIPIENT, "batch.eml_no_recipient", path=_SHOWN)
    sent = copy.copy(message)  # the caller's message keeps its fields (del makes a new list)
    del sent["bcc"]
    del sent["resent-bcc"]
    message_id = _complete(sent, sender)
    smtputf8 = not all(a.isascii() for a in (sender.wire_addr, *envelope))
    blocks = _generate(sent, smtputf8)
    chunks = lambda: _checked(blocks)  # noqa: E731 - one name for a long call
    return Outgoing(0, sender.wire_addr, envelope, chunks, smtputf8, True, message_id)


def _complete(message: email.message.Message, sender: Address) -> str:
    """Add the Message-ID and Date a message must carry (RFC 5322; Gmail refuses mail without
    a Message-ID) when it has none; return the Message-ID."""
    from pysmail.mime.headers import format_date, message_id

    if message.get("date") is None:
        message["Date"] = format_date()
    found = message.get("message-id")
    if found is None:
        found = message_id("", sender.wire_addr.rpartition("@")[2])
        message["Message-ID"] = found
    return str(found).strip()


def _generate(message: email.message.Message, utf8: bool) -> list[bytes]:
    """The message as the pieces BytesGenerator writes them (CRLF line ends; not joined: the
    pieces go into the transaction as they are)."""
    from email import policy
    from email.generator import BytesGenerator

    pieces: list[bytes] = []

    class _Pieces:
        def write(self, data: bytes) -> None:
            if data:
                pieces.append(bytes(data))

    chosen: Policy = policy.SMTPUTF8 if utf8 else policy.SMTP
    if not isinstance(message.policy, policy.EmailPolicy):  # compat32 (email.mime, Django)
        chosen = message.policy.clone(linesep="\r\n")
    generator = BytesGenerator(_Pieces(), mangle_from_=False, policy=chosen)
    generator.flatten(message)
    return pieces


def _checked(blocks: list[bytes]) -> Iterator[bytes]:
    """The pieces, with RFC 5322's line rules checked as they pass (as --eml checks)."""
    from pysmail.mime.eml import LineCheck

    check = LineCheck(_SHOWN)
    for block in blocks:
        yield check.feed(block)
    check.finish()
