"""MessageSpec -> the message's bytes, streamed: CRLF line ends, not dot-stuffed.

compose() is the one-message case of pysmail.mime.template's MessageTemplate; the parts' layout
is pysmail.mime.layout's. No text at all is allowed (SMAIL sends subject-only mail).
"""

from __future__ import annotations

from pysmail import __version__
from pysmail.mime.addresses import Address
from pysmail.mime.charsets import AUTO, choose_charset
from pysmail.mime.parts import check_attachments
from pysmail.mime.template import MessageTemplate, charset_texts
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pysmail.fs.pathtext import StrPath

__all__ = [
    "MessageSpec",
    "check_attachments",
    "compose",
    "compose_bytes",
    "freeze",
    "needs_smtputf8",
    "resolve_charset",
]


@record
class MessageSpec:
    """Everything a message is made of. Bcc is not here: it never reaches the headers.

    `message_id`: None -> no Message-ID field; "" -> generated; else SMAIL's `-m<id>`.
    `date`: a POSIX timestamp, None for now. `charset`: "auto" or a key of CHARSETS.
    """

    from_: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    text: str | None = None
    html: str | None = None
    attachments: tuple[StrPath, ...] = ()
    charset: str = AUTO
    priority: int | None = None
    message_id: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    date: float | None = None
    mailer: str = f"pysmail {__version__}"


def resolve_charset(spec: MessageSpec) -> str:
    """The charset key of the message: chosen over subject, display names and body texts.

    Raises:
        UsageError(OPTION, "mime.unknown_charset"), InputError(ENCODING, "mime.cannot_encode")
    """
    texts = charset_texts(spec.subject, _addresses(spec), spec.text, spec.html)
    return choose_charset(texts, spec.charset)


def needs_smtputf8(spec: MessageSpec) -> bool:
    """True when a header address has a UTF-8 local part (RFC 6531 SMTPUTF8 needed)."""
    return any(a.needs_smtputf8 for a in _addresses(spec))


def _addresses(spec: MessageSpec) -> tuple[Address, ...]:
    return (spec.from_, *spec.to, *spec.cc, *spec.reply_to)


def compose(spec: MessageSpec) -> Iterator[bytes]:
    """The message in blocks: the header block, then part headers and bodies as they come.

    Checks the spec and encodes the texts now; attachments are read while iterating, so call
    check_attachments() first to fail before connecting. The one-message case of
    MessageTemplate (pysmail.mime.template).

    Raises:
        UsageError(OPTION, ...): bad priority, header name or value, Message-ID, charset name.
        InputError(ENCODING, "mime.cannot_encode"): text not writable in the requested charset.
        InputError(ATTACHMENT, ...): while iterating, an attachment cannot be read.
    """
    return MessageTemplate.compile(spec).render()


def freeze(spec: MessageSpec, *, clock: Callable[[], float] | None = None) -> MessageSpec:
    """`spec` with its Date and Message-ID fixed, so every compose() of it (each retry, the copy
    kept in the outbox's unsent/) carries the same Message-ID and Date.

    Raises: UsageError(OPTION, "mime.bad_message_id") for a bad -m<id>.
    """
    import time

    from pysmail.mime.headers import message_id
    from pysmail.record import record_fields

    date = spec.date if spec.date is not None else (clock or time.time)()
    mid = spec.message_id
    if mid is not None:
        domain = spec.from_.wire_addr.rpartition("@")[2]
        mid = message_id(mid, domain, timestamp=date)
    values = {name: getattr(spec, name) for name in record_fields(MessageSpec)}
    values.update(date=date, message_id=mid)
    return MessageSpec(**values)


def compose_bytes(spec: MessageSpec) -> bytes:
    """The whole message as one bytes value (see compose())."""
    return b"".join(compose(spec))
