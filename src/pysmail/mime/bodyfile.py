"""Body files: bytes read from -F -> text, with the encoding given or detected.

Only read_body_file() touches the file system.
"""

from __future__ import annotations

import codecs

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.fs.pathtext import StrPath

__all__ = [
    "MAX_BODY_FILE",
    "decode_text",
    "normalise_newlines",
    "read_body_file",
    "text_codec",
]

# The largest -F or --html file: 32 MiB, more than any large provider takes in a whole message
# (Gmail, Outlook.com and Yahoo take 20-25 MB; a 32 MiB text grows to ~43 MB in base64). A body
# is held in memory several times while it is decoded and encoded (~5.5x its size: 180 MB for
# 32 MiB, measured); attachments (-a) are streamed and have no limit. docs/decisions.md D24.
MAX_BODY_FILE = 32 * 1024 * 1024

# Windows writes "Shift_JIS" files as CP932 (its superset with ①, ㈱, NEC and IBM extensions);
# reading them with CP932 loses nothing, so these names decode as CP932.
_READ_AS_CP932 = frozenset({"shift_jis", "cp932"})
# Python's own codecs that are no character set: they rewrite text (unicode_escape turns "\n"
# into a line break, punycode and idna decode host names) or fail on every byte (undefined).
# Bytes-to-bytes codecs (base64, rot13, zlib...) are refused as not text encodings at all.
_NOT_CHARSETS = frozenset(
    {"charmap", "idna", "punycode", "raw-unicode-escape", "undefined", "unicode-escape"}
)


def normalise_newlines(text: str) -> str:
    """CRLF and bare CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, encoding: str | None = None, *, source: str = "") -> str:
    """The text of a body file, newlines normalised to LF.

    `encoding` None means detect (see detect_encoding). `source` names the file in messages.

    Raises:
        UsageError(OPTION, "mime.unknown_encoding"): `encoding` is not a text codec.
        InputError(ENCODING, "mime.cannot_decode"): the bytes are not valid in `encoding`.
        InputError(ENCODING, "mime.undetectable_encoding"): detection found no encoding.
    """
    if encoding is None:
        from pysmail.text.decode import detect_encoding

        codec = detect_encoding(data)
        if codec is None:
            raise InputError(ErrCode.ENCODING, "mime.undetectable_encoding", source=source)
    else:
        codec = _codec_for(encoding)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            ErrCode.ENCODING,
            "mime.cannot_decode",
            source=source,
            encoding=encoding or codec,
            offset=exc.start,
        ) from exc
    return normalise_newlines(text)


def text_codec(name: str) -> str | None:
    """The Python codec name of the text encoding `name` (a character set such as utf-8,
    shift_jis, cp932, euc-jp, iso-2022-jp, utf-16, latin-1), or None when `name` is unknown or
    is not a character set (base64, rot13, unicode_escape, punycode, idna, undefined...).
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name ("embedded null character")
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _codec_for(encoding: str) -> str:
    name = text_codec(encoding)
    if name is None:
        raise UsageError(ErrCode.OPTION, "mime.unknown_encoding", encoding=encoding)
    if name in _READ_AS_CP932:
        return "cp932"
    if name == "utf-8":
        return "utf-8-sig"  # a BOM is not part of the text
    return name


def read_body_file(path: StrPath, shown: str, encoding: str | None, msgid: str) -> str:
    """The text of the body file `path` (-F, --html), read as decode_text() reads.

    `shown` is the path as the user wrote it; `msgid` the catalogue id of an unreadable file
    (main.body_file_missing, main.html_file_missing). Only a regular file of at most
    MAX_BODY_FILE bytes is read (pysmail.fs.inputfile): a FIFO or device is refused unread.

    Raises:
        InputError(BODY_FILE, msgid): missing, unreadable, a directory, FIFO or device.
        InputError(BODY_FILE, "main.body_file_too_large"): over MAX_BODY_FILE.
        UsageError / InputError(ENCODING): as decode_text().
    """
    from pysmail.fs.inputfile import FileTooLargeError, read_regular

    try:
        data = read_regular(path, MAX_BODY_FILE)
    except FileTooLargeError as exc:
        raise InputError(
            ErrCode.BODY_FILE,
            "main.body_file_too_large",
            path=shown,
            size=exc.size,
            limit=MAX_BODY_FILE // (1024 * 1024),
        ) from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(ErrCode.BODY_FILE, msgid, path=shown, reason=reason) from exc
    return decode_text(data, encoding, source=shown)
