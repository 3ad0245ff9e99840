"""The one decoder of pysmail: bytes -> text, by BOM, UTF-8, CP932 and ISO-2022-JP.

Two policies, one set of rules:
- `decode`, for settings, token files and command output: a BOM decides alone (UTF-8, and
  UTF-16 where the caller reads it); else the caller's candidates in turn (UTF-8, then CP932
  or the locale's encoding). Strict: UnicodeDecodeError when none fits. replace=True: the last
  candidate reads whatever is left, with U+FFFD for what it cannot read.
- `detect_encoding` / `EncodingSniffer`, for body files and attachments: BOM; NUL bytes mean
  binary; ISO-2022-JP (7-bit with a JIS escape); UTF-8; CP932. In one pass over a stream.
Pure.
"""

from __future__ import annotations

import codecs

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["BOMS", "EncodingSniffer", "bom_codec", "decode", "detect_encoding"]

# The byte order marks read, and the codec each means (utf-16 reads the BOM's byte order).
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ISO2022JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I", b"\x1b$(D")
# Decoders tried in turn for ISO-2022-JP files: plain, then with half-width katakana
# (ESC ( I), then JIS X 0213 (which covers NEC row 13 such as ①).
_ISO2022JP_CODECS = ("iso-2022-jp", "iso2022_jp_ext", "iso2022_jp_2004")


def bom_codec(data: bytes, boms: tuple[str, ...] = ("utf-8-sig", "utf-16")) -> str | None:
    """The codec the BOM at the start of `data` stands for, among `boms`; None without one."""
    return next((c for bom, c in BOMS if c in boms and data.startswith(bom)), None)


def decode(
    data: bytes,
    candidates: tuple[str, ...] = ("utf-8", "cp932"),
    *,
    boms: tuple[str, ...] = ("utf-8-sig", "utf-16"),
    replace: bool = False,
) -> tuple[str, str]:
    """(text, codec) of `data`: the codec of its BOM (one of `boms`), else the first of
    `candidates` that reads it all. `replace`: the last candidate reads what no other did,
    U+FFFD standing for what it cannot read. A BOM is a promise: data that breaks it raises
    even with `replace`.

    Raises: UnicodeDecodeError when nothing fits (never with `replace` and no BOM).
    """
    bom = bom_codec(data, boms)
    if bom == "utf-8-sig":
        # the position in an error counts from after the BOM
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), bom
    if bom is not None:
        return data.decode(bom), bom
    for codec in candidates[:-1]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    last = candidates[-1]
    return data.decode(last, errors="replace" if replace else "strict"), last


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
    (they are valid in every candidate, and leave no half character behind; the decoders are
    made at the first block that is not ASCII, so ASCII data loads no codec), and ISO-2022-JP
    is decoded only from the first JIS escape on, while all bytes are 7-bit. `also`: more
    codecs to try, never chosen, only told by fits() (the attachment labeller asks whether
    CP932 text is plain Shift_JIS).
    """

    __slots__ = (
        "_ascii",
        "_bom",
        "_clean",
        "_codecs",
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
        self._codecs = ("utf-8", "cp932", *also)
        self._decoders: dict[str, codecs.IncrementalDecoder] | None = None  # made when needed

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
        if not block or not self._fitting():
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
        self._bom = bom_codec(block)
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

    def _fitting(self) -> Collection[str]:
        """The codecs that read all the data so far (all of them before a decoder was needed)."""
        return self._codecs if self._decoders is None else self._decoders

    def _decode(self, block: bytes, *, final: bool) -> None:
        if self._decoders is None:
            if not block:
                return  # nothing has needed a decoder: every candidate reads the data
            self._decoders = {c: codecs.getincrementaldecoder(c)() for c in self._codecs}
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
        return next((c for c in ("utf-8", "cp932") if c in self._fitting()), None)

    @property
    def ascii(self) -> bool:
        """Every byte fed was 7-bit and none was NUL (call after codec())."""
        return self._bom is None and self._ascii and not self._nul

    def fits(self, codec: str) -> bool:
        """Whether all the data read in `codec`, one of those tried (call after codec())."""
        return codec in self._fitting() or (self._jis is not None and codec in self._jis)
