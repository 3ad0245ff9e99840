"""MessageSpec -> the message's bytes, streamed: CRLF line ends, not dot-stuffed.

Layout: text only -> one text/plain part; text and HTML -> multipart/alternative; HTML only ->
one text/html part; attachments -> multipart/mixed with the text (or the alternative) first.
No text at all is allowed (SMAIL sends subject-only mail): an empty text/plain body, or, with
attachments, a multipart/mixed of the attachments only.
"""

from __future__ import annotations

from pysmail import __version__
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address
from pysmail.mime.charsets import AUTO, CHARSETS, choose_charset
from pysmail.mime.headers import (
    address_field,
    check_name,
    check_value,
    format_date,
    message_id,
    random_hex,
    unstructured_field,
)
from pysmail.mime.parts import (
    attachment_body,
    attachment_fields,
    check_attachments,
    text_body,
)
from pysmail.record import record

TYPE_CHECKING = False  # not typing's: `import typing` costs 2 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

__all__ = [
    "MessageSpec",
    "check_attachments",
    "compose",
    "compose_bytes",
    "freeze",
    "needs_smtputf8",
    "resolve_charset",
]

# Fields pysmail writes itself; extra headers may not repeat them (a second Subject, or a Bcc
# that would show blind recipients). Every Content-* field is reserved too.
_RESERVED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "x-mailer",
        "x-priority",
        "importance",
        "mime-version",
    }
)
_HIGH_PRIORITY_MAX = 4  # smail-spec 3.7: -p1..-p4 high importance, -p5..-p9 low


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
    attachments: tuple[Path, ...] = ()
    charset: str = AUTO
    priority: int | None = None
    message_id: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    date: float | None = None
    mailer: str = f"pysmail {__version__}"


class _Leaf:
    __slots__ = ("body", "fields")

    def __init__(self, fields: list[str], body: bytes | Path) -> None:
        self.fields = fields
        self.body = body  # encoded bytes, or an attachment streamed from disk


class _Multi:
    __slots__ = ("boundary", "fields", "parts", "subtype")

    def __init__(self, subtype: str, parts: list[_Leaf | _Multi]) -> None:
        self.subtype = subtype
        self.parts = parts
        self.boundary = ""
        self.fields: list[str] = []


def _addresses(spec: MessageSpec) -> tuple[Address, ...]:
    return (spec.from_, *spec.to, *spec.cc, *spec.reply_to)


def resolve_charset(spec: MessageSpec) -> str:
    """The charset key of the message: chosen over subject, display names and body texts.

    Raises:
        UsageError(OPTION, "mime.unknown_charset"), InputError(ENCODING, "mime.cannot_encode")
    """
    texts = [spec.subject, *(a.display for a in _addresses(spec))]
    texts.extend(t for t in (spec.text, spec.html) if t is not None)
    return choose_charset(texts, spec.charset)


def needs_smtputf8(spec: MessageSpec) -> bool:
    """True when a header address has a UTF-8 local part (RFC 6531 SMTPUTF8 needed)."""
    return any(a.needs_smtputf8 for a in _addresses(spec))


def _validate(spec: MessageSpec) -> None:
    if spec.priority is not None and not 1 <= spec.priority <= 9:
        raise UsageError(ErrCode.OPTION, "mime.bad_priority", priority=spec.priority)
    check_value("Subject", spec.subject)
    check_value("X-Mailer", spec.mailer)
    for name, value in spec.extra_headers:
        check_name(name)
        if name.lower() in _RESERVED or name.lower().startswith("content-"):
            raise UsageError(ErrCode.OPTION, "mime.reserved_header", header=name)
        check_value(name, value)


def _message_fields(spec: MessageSpec, charset: str) -> list[str]:
    fields = [address_field("From", [spec.from_], charset)]
    if spec.to:
        fields.append(address_field("To", spec.to, charset))
    if spec.cc:
        fields.append(address_field("Cc", spec.cc, charset))
    if spec.reply_to:
        fields.append(address_field("Reply-To", spec.reply_to, charset))
    fields.append(unstructured_field("Subject", spec.subject, charset))
    fields.append(f"Date: {format_date(spec.date)}")
    if spec.message_id is not None:
        domain = spec.from_.wire_addr.rpartition("@")[2]
        fields.append(f"Message-ID: {message_id(spec.message_id, domain, timestamp=spec.date)}")
    fields.append(unstructured_field("X-Mailer", spec.mailer, charset))
    if spec.priority is not None:
        importance = "high" if spec.priority <= _HIGH_PRIORITY_MAX else "low"
        fields.append(f"X-Priority: {spec.priority}")
        fields.append(f"Importance: {importance}")
    fields.append("MIME-Version: 1.0")
    return fields


def _text_leaf(subtype: str, text: str, charset: str) -> _Leaf:
    cte, data = text_body(text, charset)
    content_type = f"Content-Type: text/{subtype}; charset={CHARSETS[charset].mime_name}"
    return _Leaf([content_type, f"Content-Transfer-Encoding: {cte}"], data)


def _layout(spec: MessageSpec, charset: str) -> _Leaf | _Multi:
    texts: list[_Leaf | _Multi] = []
    if spec.text is not None:
        texts.append(_text_leaf("plain", spec.text, charset))
    if spec.html is not None:
        texts.append(_text_leaf("html", spec.html, charset))
    if not texts and not spec.attachments:
        texts.append(_text_leaf("plain", "", charset))
    parts: list[_Leaf | _Multi] = []
    if len(texts) == 1:
        parts.append(texts[0])
    elif texts:
        parts.append(_Multi("alternative", texts))
    if not spec.attachments:
        return parts[0]
    parts.extend(_Leaf(attachment_fields(path, charset), path) for path in spec.attachments)
    return _Multi("mixed", parts)


def _in_memory(node: _Leaf | _Multi) -> Iterator[bytes]:
    if isinstance(node, _Leaf):
        if isinstance(node.body, bytes):
            yield node.body
    else:
        for part in node.parts:
            yield from _in_memory(part)


def _new_boundary(avoid: Sequence[bytes]) -> str:
    """A boundary whose delimiter occurs in no part held in memory, nor in another boundary.

    Base64 bodies (every attachment) cannot hold "-" or "_"; 7bit text could hold anything, so
    it is searched.
    """
    while True:
        boundary = "=_pysmail_" + random_hex(16)
        marker = b"--" + boundary.encode("ascii")
        if not any(marker in data for data in avoid):
            return boundary


def _set_boundaries(node: _Leaf | _Multi, avoid: list[bytes]) -> None:
    if isinstance(node, _Multi):
        node.boundary = _new_boundary(avoid)
        avoid.append(b"--" + node.boundary.encode("ascii"))
        node.fields = [f'Content-Type: multipart/{node.subtype};\r\n boundary="{node.boundary}"']
        for part in node.parts:
            _set_boundaries(part, avoid)


def _fields_block(fields: Sequence[str]) -> bytes:
    # Headers are ASCII but for UTF-8 addresses (RFC 6532, sent only with SMTPUTF8).
    return "".join(f + "\r\n" for f in fields).encode("utf-8") + b"\r\n"


def _body(node: _Leaf | _Multi) -> Iterator[bytes]:
    if isinstance(node, _Leaf):
        if isinstance(node.body, bytes):
            if node.body:
                yield node.body
        else:
            yield from attachment_body(node.body)
        return
    marker = "--" + node.boundary
    for i, part in enumerate(node.parts):
        # The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
        yield ((marker if i == 0 else "\r\n" + marker) + "\r\n").encode("ascii")
        yield _fields_block(part.fields)
        yield from _body(part)
    yield f"\r\n{marker}--\r\n".encode("ascii")


def _stream(head: bytes, root: _Leaf | _Multi) -> Iterator[bytes]:
    yield head
    yield from _body(root)


def compose(spec: MessageSpec) -> Iterator[bytes]:
    """The message in blocks: the header block, then part headers and bodies as they come.

    Checks the spec and encodes the texts now; attachments are read while iterating, so call
    check_attachments() first to fail before connecting.

    Raises:
        UsageError(OPTION, ...): bad priority, header name or value, Message-ID, charset name.
        InputError(ENCODING, "mime.cannot_encode"): text not writable in the requested charset.
        InputError(ATTACHMENT, ...): while iterating, an attachment cannot be read.
    """
    _validate(spec)
    charset = resolve_charset(spec)
    fields = _message_fields(spec, charset)
    root = _layout(spec, charset)
    _set_boundaries(root, list(_in_memory(root)))
    fields.extend(root.fields)
    fields.extend(unstructured_field(name, value, charset) for name, value in spec.extra_headers)
    return _stream(_fields_block(fields), root)


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
