"""Body files: bytes read from -F -> text, with the encoding given or detected.

Only read_body_file() touches the file system.
"""

from __future__ import annotations

import codecs

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # not typing's: `import typing` costs 2 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MAX_BODY_FILE",
    "EncodingSniffer",
    "decode_text",
    "detect_encoding",
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
_ISO2022JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I", b"\x1b$(D")
# Decoders tried in turn for ISO-2022-JP files: plain, then with half-width katakana
# (ESC ( I), then JIS X 0213 (which covers NEC row 13 such as ①).
_ISO2022JP_CODECS = ("iso-2022-jp", "iso2022_jp_ext", "iso2022_jp_2004")


def normalise_newlines(text: str) -> str:
    """CRLF and bare CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_encoding(data: bytes) -> str | None:
    """The codec to read `data` with, or None when no candidate fits.

    Order: BOM (UTF-8, UTF-16); ISO-2022-JP (7-bit with a JIS escape); UTF-8 (ASCII included);
    CP932. Data holding NUL bytes and no BOM is taken for binary, not text.
    """
    sniffer = EncodingSniffer()
    sniffer.feed(data)
    return sniffer.codec()


class EncodingSniffer:
    """detect_encoding() over data given in blocks (a streamed attachment), in one pass.

    Every candidate codec decodes the blocks incrementally and drops out at its first error,
    so memory holds one block, whatever the size of the file. Blocks of ASCII cost no decoding
    (they are valid in every candidate, and leave no half character behind), and ISO-2022-JP
    is decoded only from the first JIS escape on, while all bytes are 7-bit. `also`: more
    codecs to try, never chosen, only told by fits() (the attachment labeller asks whether
    CP932 text is plain Shift_JIS).
    """

    __slots__ = (
        "_ascii",
        "_bom",
        "_clean",
        "_decoders",
        "_escape",
        "_head",
        "_jis",
        "_nul",
        "_tail",
    )

    def __init__(self, also: tuple[str, ...] = ()) -> None:
        self._head: bytes | None = b""  # the first bytes, until a BOM can be told
        self._bom: str | None = None
        self._nul = False
        self._ascii = True
        self._clean = True  # no decoder holds half a character
        self._tail = b""  # the last bytes of the data, for a JIS escape across blocks
        self._escape = False  # a JIS escape sequence was seen
        self._jis: dict[str, codecs.IncrementalDecoder] | None = None
        self._decoders = {c: codecs.getincrementaldecoder(c)() for c in ("utf-8", "cp932", *also)}

    def feed(self, block: bytes) -> None:
        """Take the next block of the data."""
        if self._head is not None:
            self._head += block
            if len(self._head) < len(codecs.BOM_UTF8):
                return
            block, self._head = self._head, None
            self._start(block)
        self._feed(block)

    def _feed(self, block: bytes) -> None:
        if not block or not self._decoders:
            return
        if self._bom is None:
            self._nul = self._nul or b"\0" in block
            if self._ascii:
                self._scan_ascii(block)
            if self._clean and block.isascii():
                return
        self._decode(block, final=False)
        self._clean = block[-1] < 0x80

    def _start(self, block: bytes) -> None:
        if block.startswith(codecs.BOM_UTF8):
            self._bom = "utf-8-sig"
        elif block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self._bom = "utf-16"
        if self._bom is not None:
            self._decoders = {self._bom: codecs.getincrementaldecoder(self._bom)()}
            self._ascii = False

    def _scan_ascii(self, block: bytes) -> None:
        """While every byte is 7-bit: look for a JIS escape, decode ISO-2022-JP from it on."""
        if not block.isascii():
            self._ascii, self._jis = False, None
            return
        if not self._escape:
            seen = self._tail + block
            # every escape starts with ESC: one fast byte search first
            self._escape = b"\x1b" in seen and any(esc in seen for esc in _ISO2022JP_ESCAPES)
            self._tail = seen[-4:]
        if self._jis is not None:
            self._decode_jis(block, final=False)
        elif (start := block.find(b"\x1b")) >= 0:
            # ESC is the only 7-bit byte that ISO-2022-JP does not read as itself, so the
            # decoders may start at the first one.
            self._jis = {c: codecs.getincrementaldecoder(c)() for c in _ISO2022JP_CODECS}
            self._decode_jis(block[start:], final=False)

    def _decode(self, block: bytes, *, final: bool) -> None:
        for codec, decoder in list(self._decoders.items()):
            try:
                decoder.decode(block, final)
            except UnicodeDecodeError:
                del self._decoders[codec]

    def _decode_jis(self, block: bytes, *, final: bool) -> None:
        assert self._jis is not None
        for codec, decoder in list(self._jis.items()):
            try:
                decoder.decode(block, final)
            except UnicodeDecodeError:
                del self._jis[codec]

    def codec(self) -> str | None:
        """The codec the data fed so far reads with (see detect_encoding), after the end."""
        if self._head is not None:  # the data is shorter than a UTF-8 BOM
            head, self._head = self._head, None
            self._start(head)
            self._feed(head)
        self._decode(b"", final=True)
        if self._bom is not None:
            return self._bom
        if self._nul:
            return None
        if self._ascii and self._escape and self._jis is not None:
            self._decode_jis(b"", final=True)
            return next(iter(self._jis), None)
        return next((c for c in ("utf-8", "cp932") if c in self._decoders), None)

    @property
    def ascii(self) -> bool:
        """Every byte fed was 7-bit and none was NUL (call after codec())."""
        return self._bom is None and self._ascii and not self._nul

    def fits(self, codec: str) -> bool:
        """Whether all the data read in `codec`, one of those tried (call after codec())."""
        return codec in self._decoders or (self._jis is not None and codec in self._jis)


def decode_text(data: bytes, encoding: str | None = None, *, source: str = "") -> str:
    """The text of a body file, newlines normalised to LF.

    `encoding` None means detect (see detect_encoding). `source` names the file in messages.

    Raises:
        UsageError(OPTION, "mime.unknown_encoding"): `encoding` is not a text codec.
        InputError(ENCODING, "mime.cannot_decode"): the bytes are not valid in `encoding`.
        InputError(ENCODING, "mime.undetectable_encoding"): detection found no encoding.
    """
    if encoding is None:
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
    except LookupError:
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


def read_body_file(path: Path, shown: str, encoding: str | None, msgid: str) -> str:
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
