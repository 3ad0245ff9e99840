"""The tree of a message's parts and how it is written: leaves (a text, an attachment) and
multiparts, their boundaries, and the stream of blocks (attachments read as it goes).

Layout (mime.template decides it): text only -> one text/plain part; text and HTML ->
multipart/alternative; HTML only -> one text/html part; attachments -> multipart/mixed with the
text (or the alternative) first. No text at all: an empty text/plain body, or, with
attachments, a multipart/mixed of the attachments only.
"""

from __future__ import annotations

from pysmail.mime.charsets import CHARSETS
from pysmail.mime.headers import random_hex
from pysmail.mime.parts import attachment_body, text_body

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pysmail.fs.pathtext import StrPath

__all__ = ["Leaf", "Multi", "set_boundaries", "stream", "text_leaf"]


def _lines(fields: Sequence[str]) -> str:
    return "".join(f + "\r\n" for f in fields)


class Leaf:
    """A part with a body: encoded bytes, or an attachment streamed from disk. `head`: its
    header fields, each line with its CRLF. Shared by the messages of a template: never
    changed once made."""

    __slots__ = ("body", "head")

    def __init__(self, fields: list[str], body: bytes | StrPath) -> None:
        self.head = _lines(fields)
        self.body = body


class Multi:
    """A multipart; its boundary (and so its `head`) is set by set_boundaries()."""

    __slots__ = ("boundary", "head", "parts", "subtype")

    def __init__(self, subtype: str, parts: list[Leaf | Multi]) -> None:
        self.subtype = subtype
        self.parts = parts
        self.boundary = ""
        self.head = ""


def text_leaf(subtype: str, text: str, charset: str) -> Leaf:
    """A text/plain or text/html part of `text`, encoded in `charset` (a CHARSETS key)."""
    cte, data = text_body(text, charset)
    content_type = f"Content-Type: text/{subtype}; charset={CHARSETS[charset].mime_name}"
    return Leaf([content_type, f"Content-Transfer-Encoding: {cte}"], data)


def _in_memory(node: Leaf | Multi) -> Iterator[bytes]:
    if isinstance(node, Leaf):
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


def _set(node: Leaf | Multi, avoid: list[bytes]) -> None:
    if isinstance(node, Multi):
        node.boundary = _new_boundary(avoid)
        avoid.append(b"--" + node.boundary.encode("ascii"))
        node.head = f'Content-Type: multipart/{node.subtype};\r\n boundary="{node.boundary}"\r\n'
        for part in node.parts:
            _set(part, avoid)


def set_boundaries(root: Leaf | Multi) -> None:
    """Give every multipart of the tree a new boundary (random: each message its own)."""
    if isinstance(root, Multi):
        _set(root, list(_in_memory(root)))


def _body(node: Leaf | Multi) -> Iterator[bytes]:
    if isinstance(node, Leaf):
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
        yield (part.head + "\r\n").encode("utf-8")
        yield from _body(part)
    yield f"\r\n{marker}--\r\n".encode("ascii")


def stream(head: bytes, root: Leaf | Multi) -> Iterator[bytes]:
    """The message: `head` (its header block), then the parts' headers and bodies."""
    yield head
    yield from _body(root)
