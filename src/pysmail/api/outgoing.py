"""A message handed to the API -> what the scheduler sends: envelope, data stream, Message-ID.

pysmail's own `Message` becomes a MessageSpec composed by mime/ (as `smail` composes); a
stdlib `email.message.Message` (EmailMessage, or Django's) is written by the email package's
BytesGenerator (CRLF, the SMTP policy) with Bcc and Resent-Bcc removed from what is sent and
used in the envelope. Both are checked here, before anything is sent.
"""

from __future__ import annotations

from pysmail.delivery.scheduler import Job
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import email.message
    from collections.abc import Iterable, Iterator
    from email.policy import Policy

    from pysmail.api.message import Message
    from pysmail.mime.addresses import Address

__all__ = ["Outgoing", "outgoing"]

_SHOWN = "<email.message>"  # how an error names a stdlib message (it has no file name)


class Outgoing(Job):
    """One message ready for the scheduler: a Job (`chunks()` gives a fresh stream per
    attempt) that knows its Message-ID for the Receipt. Its tag is given when it is sent
    (api/mailer.py's send_prepared numbers the messages of a call)."""

    message_id: str = ""


def outgoing(message: object, default_sender: str | None) -> Outgoing:
    """`message` (a pysmail Message or a stdlib email.message.Message) made ready to send.

    Raises: UsageError (no sender, no recipient, a bad address, header or charset),
    InputError (an attachment missing or unreadable, text the charset cannot write), and
    TypeError for anything that is not a message.
    """
    import email.message

    from pysmail.api.message import Message

    if isinstance(message, Message):
        return _own(message, default_sender)
    if isinstance(message, email.message.Message):
        return _stdlib(message, default_sender)
    raise TypeError(
        f"expected a pysmail.Message or an email.message.EmailMessage, not {type(message).__name__}"
    )


def _addresses(values: Iterable[str]) -> tuple[Address, ...]:
    from pysmail.mime.addresses import parse_address_list

    return tuple(a for value in values for a in parse_address_list(value))


def _own(message: Message, default_sender: str | None) -> Outgoing:
    from pathlib import Path

    from pysmail.mime.addresses import Recipients, parse_address
    from pysmail.mime.compose import MessageSpec, freeze, needs_smtputf8
    from pysmail.mime.parts import check_attachments

    sender = message.sender or default_sender
    if not sender:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    rcpts = Recipients(_addresses(message.to), _addresses(message.cc), _addresses(message.bcc))
    envelope = rcpts.envelope()
    if not envelope:
        raise UsageError(ErrCode.RECIPIENT, "config.no_recipient")
    attachments = tuple(Path(a).absolute() for a in message.attachments)
    check_attachments(attachments)
    spec = freeze(
        MessageSpec(
            from_=parse_address(sender, code=ErrCode.OPTION),
            to=rcpts.to,
            cc=rcpts.cc,
            reply_to=_addresses(message.reply_to),
            subject=message.subject,
            text=message.text,
            html=message.html,
            attachments=attachments,
            charset=message.charset,
            message_id="",
            extra_headers=message.headers,
        )
    )
    from pysmail.mime.template import MessageTemplate

    # charset, headers and texts checked now; the same bytes written for each attempt
    prepared = MessageTemplate.compile(spec).prepare()
    assert spec.message_id is not None
    utf8 = needs_smtputf8(spec) or rcpts.needs_smtputf8
    return Outgoing(
        0, spec.from_.wire_addr, envelope, prepared.chunks, utf8, message_id=spec.message_id
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
        from pysmail.mime.addresses import parse_address

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
