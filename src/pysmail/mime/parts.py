"""MIME leaf parts: text bodies, attachment headers and streamed base64 attachment bodies.

Only attachment_body(), check_attachments() and text_attachment_type() (through
attachment_fields()) touch the file system.
"""

from __future__ import annotations

import binascii
import os

from pysmail.errors import InputError
from pysmail.exitcodes import ErrCode
from pysmail.fs import pathtext
from pysmail.mime import headers
from pysmail.mime.bodyfile import normalise_newlines
from pysmail.mime.charsets import CHARSETS

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import BinaryIO

    from pysmail.fs.pathtext import StrPath

__all__ = [
    "BASE64_BLOCK",
    "Base64Block",
    "attachment_body",
    "attachment_fields",
    "attachment_name",
    "base64_lines",
    "check_attachments",
    "content_type_for",
    "text_attachment_type",
    "text_body",
]

# 57 input bytes make one 76-character base64 line (RFC 2045 6.8); 1024 lines per block.
BASE64_LINE_INPUT = 57
BASE64_BLOCK = BASE64_LINE_INPUT * 1024
_BASE64_LINE = 76
_MAX_LINE_OCTETS = 998  # RFC 5322 2.1.1 / RFC 2045 2.7: 7bit lines are at most 998 octets
# RFC 2231 attribute-char: what may stand unencoded in an extended parameter value.
_ATTR_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~"
)
# A text attachment is read through once before it is sent, in blocks of this size, to label
# its charset as -F would read it (docs/decisions.md D24).
_SNIFF_BLOCK = 256 * 1024
# detect_encoding's codec -> the charset label. "utf-8" is "US-ASCII" when every byte is 7-bit;
# "cp932" is "Shift_JIS" when the text is plain Shift_JIS, else "Windows-31J" (IANA's name for
# CP932: ①, ㈱ and the other Windows extras).
_LABELS = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "iso-2022-jp": "ISO-2022-JP",
    "iso2022_jp_ext": "ISO-2022-JP",
    "iso2022_jp_2004": "ISO-2022-JP-2004",
}
# (path, device, inode, size, mtime) -> Content-Type: --batch sends one file many times.
_TEXT_TYPES: dict[tuple[str, int, int, int, int], str] = {}
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


class Base64Block(bytes):
    """Base64 lines, each ended by CRLF: already SMTP DATA content as it is.

    Such bytes hold no "." and no CR or LF outside a CRLF pair, and end with CRLF, so
    pysmail.smtp.content.DotStuffer passes them through without scanning (`smtp_safe`).
    """

    __slots__ = ()
    smtp_safe = True


def base64_lines(data: bytes) -> bytes:
    """`data` in base64, 76-character lines each ended by CRLF ("" for no data)."""
    encoded = binascii.b2a_base64(data, newline=False)
    lines = [encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)]
    if not lines:
        return b""
    lines.append(b"")  # one join writes every CRLF, the last one included
    return b"\r\n".join(lines)


def _is_7bit(data: bytes) -> bool:
    return (
        data.isascii()
        and b"\0" not in data
        and all(len(line) <= _MAX_LINE_OCTETS for line in data.split(b"\r\n"))
    )


def text_body(text: str, charset: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends) of a text part.

    Newlines are normalised, and a non-empty text always ends with one. A charset whose table
    entry says 7bit falls back to base64 when the bytes are not 7bit-safe after all.
    """
    entry = CHARSETS[charset]
    normalised = normalise_newlines(text)
    if normalised and not normalised.endswith("\n"):
        normalised += "\n"
    # Every charset in the table is ASCII-compatible for LF: no multibyte sequence holds 0x0A.
    data = normalised.encode(entry.codec).replace(b"\n", b"\r\n")
    if entry.body_encoding == "7bit" and _is_7bit(data):
        return "7bit", data
    return "base64", base64_lines(data)


def attachment_name(path: StrPath) -> str:
    """The file name shown for `path`; undecodable bytes (POSIX) become U+FFFD."""
    return pathtext.name(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def content_type_for(name: str) -> str:
    """The media type guessed from a file name, application/octet-stream when unknown."""
    import mimetypes

    media_type, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:
        return _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    return media_type or "application/octet-stream"


def text_attachment_type(path: StrPath, media_type: str) -> str:
    """`media_type` (text/...) with the charset of the file at `path`, detected as -F detects
    it, reading the whole file once in _SNIFF_BLOCK blocks: "text/plain; charset=UTF-8".
    7-bit text is US-ASCII; text in no charset that -F reads is application/octet-stream.

    Raises: OSError from reading (the caller reports the attachment).
    """
    from pysmail.fs.inputfile import open_regular
    from pysmail.text.decode import EncodingSniffer

    with open_regular(path) as stream:
        info = os.fstat(stream.fileno())
        key = (str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        known = _TEXT_TYPES.get(key)
        if known is not None:
            return known
        sniffer = EncodingSniffer(also=("shift_jis",))
        while block := stream.read(_SNIFF_BLOCK):
            sniffer.feed(block)
    codec = sniffer.codec()
    if codec is None or not sniffer.fits(codec):  # a BOM, then bytes its codec cannot read
        label = None
    elif codec == "utf-8":
        label = "US-ASCII" if sniffer.ascii else "UTF-8"
    elif codec == "cp932":
        label = "Shift_JIS" if sniffer.fits("shift_jis") else "Windows-31J"
    else:
        label = _LABELS.get(codec, codec)
    result = "application/octet-stream" if label is None else f"{media_type}; charset={label}"
    _TEXT_TYPES[key] = result
    return result


def _plain_param(param: str, value: str) -> str | None:
    """` param="value"` when value is printable ASCII and the line fits, else None."""
    line = f" {param}={headers.quote_string(value)}"
    if value.isascii() and value.isprintable() and len(line) + 1 <= headers.LINE_LIMIT:
        return line
    return None


def _rfc2047_param(param: str, value: str, charset: str) -> str:
    """` param="=?cs?B?..?= =?cs?B?..?="`: not RFC 2047 proper (words in a quoted string), but
    what Japanese mail clients (Outlook, Becky!, older Thunderbird) read for file names.
    """
    start = f" {param}=" + '"'
    words = headers.encode_words(
        value, headers.header_charset(value, charset), first_limit=headers.LINE_LIMIT - len(start)
    )
    return start + "\r\n ".join(words) + '"'


def _rfc2231_param(param: str, value: str) -> str:
    """` param*=UTF-8''%E5...` (RFC 2231), as continuations `param*0*=` ... when long.

    Segments break between characters, never inside one's %XX bytes.
    """
    units = [
        ch if ch in _ATTR_CHARS else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
        for ch in value
    ]
    single = f" {param}*=UTF-8''" + "".join(units)
    if len(single) + 1 <= headers.LINE_LIMIT:
        return single
    lines: list[str] = []
    line, empty = f" {param}*0*=UTF-8''", True
    for unit in units:
        if len(line) + len(unit) + 1 > headers.LINE_LIMIT and not empty:
            lines.append(line)
            line = f" {param}*{len(lines)}*="
        line, empty = line + unit, False
    lines.append(line)
    return ";\r\n".join(lines)


def attachment_fields(path: StrPath, charset: str) -> list[str]:
    """Content-Type, Content-Disposition and Content-Transfer-Encoding of one attachment.

    A text/* file gets its charset (text_attachment_type), or goes as application/octet-stream
    when it is not text after all. An ASCII name is quoted plainly. Any other name is given
    twice: as RFC 2231 `filename*` (UTF-8, percent-encoded) for standard readers, and RFC 2047
    words in `name=` and `filename=` for Japanese mail clients; the words use `charset` when it
    can write the name, else UTF-8.
    """
    name = attachment_name(path)
    media_type = content_type_for(name)
    if media_type.startswith("text/"):
        try:
            media_type = text_attachment_type(path, media_type)
        except OSError as exc:
            raise _unreadable(path, exc) from exc
    plain_name = _plain_param("name", name)
    plain_filename = _plain_param("filename", name)
    if plain_name is not None and plain_filename is not None:
        type_params = [plain_name]
        disposition_params = [plain_filename]
    else:
        type_params = [_rfc2047_param("name", name, charset)]
        disposition_params = [
            _rfc2231_param("filename", name),
            _rfc2047_param("filename", name, charset),
        ]
    return [
        f"Content-Type: {media_type};\r\n" + ";\r\n".join(type_params),
        "Content-Disposition: attachment;\r\n" + ";\r\n".join(disposition_params),
        "Content-Transfer-Encoding: base64",
    ]


def _unreadable(path: StrPath, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, FileNotFoundError):
        return InputError(ErrCode.ATTACHMENT, "mime.attachment_not_found", path=str(path))
    return InputError(
        ErrCode.ATTACHMENT, "mime.attachment_unreadable", path=str(path), reason=reason
    )


def check_attachments(paths: Iterable[StrPath]) -> None:
    """Check every attachment is a readable regular file, before anything is sent: a
    directory, FIFO or device (/dev/zero would never end) is refused without being read.

    Raises:
        InputError(ATTACHMENT, "mime.attachment_not_found" | "mime.attachment_unreadable")
    """
    from pysmail.fs.inputfile import open_regular

    for path in paths:
        try:
            open_regular(path).close()
        except OSError as exc:
            raise _unreadable(path, exc) from exc


def _read_block(stream: BinaryIO, size: int) -> bytes:
    """Exactly `size` bytes unless the file ends first (read() may return less on pipes)."""
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def attachment_body(path: StrPath) -> Iterator[bytes]:
    """The base64 body of an attachment, read and encoded BASE64_BLOCK bytes at a time.

    Raises (while iterating):
        InputError(ATTACHMENT, "mime.attachment_not_found" | "mime.attachment_unreadable")
    """
    from pysmail.fs.inputfile import open_regular

    try:
        stream = open_regular(path)  # closed by the with below, across yields
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    with stream:
        while True:
            try:
                block = _read_block(stream, BASE64_BLOCK)
            except OSError as exc:
                raise _unreadable(path, exc) from exc
            if not block:
                return
            yield Base64Block(base64_lines(block))
