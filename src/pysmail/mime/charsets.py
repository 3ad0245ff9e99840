"""The charset table and the choice of a message's charset."""

from __future__ import annotations

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

__all__ = [
    "AUTO",
    "CHARSETS",
    "Charset",
    "can_encode",
    "choose_charset",
    "first_unencodable",
    "lookup",
    "normalise_charset",
]

AUTO = "auto"


@record
class Charset:
    """How one charset is written: MIME label, Python codec, header and body encodings.

    `body_encoding` is the preferred Content-Transfer-Encoding; a 7bit body that is not 7bit-safe
    after all (NUL, a line over 998 octets) falls back to base64 (see pysmail.mime.parts).
    """

    mime_name: str
    codec: str
    header_encoding: Literal["B"]
    body_encoding: Literal["7bit", "base64"]


# UTF-8 bodies are base64: Japanese text costs 3 bytes a character in UTF-8, which base64 grows
# by a third while quoted-printable would triple it. Shift_JIS and EUC-JP are 8-bit and are
# base64 too. ISO-2022-JP is 7bit by definition (RFC 1468), as SMAIL writes it.
CHARSETS: dict[str, Charset] = {
    "us-ascii": Charset("US-ASCII", "ascii", "B", "7bit"),
    "iso-2022-jp": Charset("ISO-2022-JP", "iso-2022-jp", "B", "7bit"),
    "utf-8": Charset("UTF-8", "utf-8", "B", "base64"),
    # "shift_jis", not "cp932": what we label Shift_JIS must decode as Shift_JIS everywhere,
    # so Windows-only characters (①, ㈱) are refused rather than sent mislabelled.
    "shift_jis": Charset("Shift_JIS", "shift_jis", "B", "base64"),
    "euc-jp": Charset("EUC-JP", "euc_jp", "B", "base64"),
}

_ALIASES = {
    "ascii": "us-ascii",
    "us_ascii": "us-ascii",
    "jis": "iso-2022-jp",
    "iso2022jp": "iso-2022-jp",
    "iso2022_jp": "iso-2022-jp",
    "iso-2022jp": "iso-2022-jp",
    "utf8": "utf-8",
    "utf_8": "utf-8",
    "sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "shiftjis": "shift_jis",
    "eucjp": "euc-jp",
    "euc_jp": "euc-jp",
}

# ISO-2022-JP as mail knows it (RFC 1468) switches only between ASCII and JIS X 0208.
# Python's codec also emits ESC ( J (JIS X 0201 Roman) for "¥" and "‾"; many readers mishandle
# that, so such text goes to UTF-8. Text that itself holds ESC, SO or SI cannot be ISO-2022-JP.
_JIS_SHIFTS = (b"\x1b$B", b"\x1b(B")
_JIS_FORBIDDEN_TEXT = frozenset("\x1b\x0e\x0f")


def normalise_charset(requested: str) -> str:
    """The table key for a requested charset name ("auto" included); unknown -> UsageError."""
    key = requested.strip().lower()
    if key in ("", AUTO):
        return AUTO
    key = _ALIASES.get(key, key)
    if key not in CHARSETS:
        raise UsageError(ErrCode.OPTION, "mime.unknown_charset", charset=requested)
    return key


def lookup(charset: str) -> Charset:
    """The table entry of a charset key (as returned by choose_charset)."""
    return CHARSETS[normalise_charset(charset)]


def _encodes(text: str, key: str) -> bool:
    entry = CHARSETS[key]
    if key == "us-ascii":
        return text.isascii()
    if key == "iso-2022-jp" and not _JIS_FORBIDDEN_TEXT.isdisjoint(text):
        return False
    try:
        data = text.encode(entry.codec)
    except UnicodeEncodeError:
        return False
    if key == "iso-2022-jp" and b"\x1b" in data:
        for shift in _JIS_SHIFTS:
            data = data.replace(shift, b"")
        return b"\x1b" not in data
    return True


def can_encode(text: str, charset: str) -> bool:
    """True when `text` can be written in `charset` strictly (see the ISO-2022-JP note above)."""
    return _encodes(text, normalise_charset(charset))


def first_unencodable(text: str, charset: str) -> str | None:
    """The first character of `text` that `charset` cannot write, or None."""
    key = normalise_charset(charset)
    if _encodes(text, key):
        return None
    return next((ch for ch in text if not _encodes(ch, key)), None)


def choose_charset(texts: Sequence[str], requested: str = AUTO) -> str:
    """The charset key for a message made of `texts`.

    "auto": all ASCII -> "us-ascii"; else "iso-2022-jp" when every text fits (SMAIL's charset);
    else "utf-8". Any other request is honoured or refused:

    Raises:
        UsageError(OPTION, "mime.unknown_charset"): `requested` is not in the table.
        InputError(ENCODING, "mime.cannot_encode"): a text cannot be written in `requested`.
    """
    key = normalise_charset(requested)
    if key == AUTO:
        if all(text.isascii() for text in texts):
            return "us-ascii"
        if all(_encodes(text, "iso-2022-jp") for text in texts):
            return "iso-2022-jp"
        return "utf-8"
    for text in texts:
        bad = first_unencodable(text, key)
        if bad is not None:
            raise InputError(
                ErrCode.ENCODING,
                "mime.cannot_encode",
                charset=CHARSETS[key].mime_name,
                char=_shown_char(bad),
            )
    return key


def _shown_char(ch: str) -> str:
    """A character as it may be shown in a message: controls as U+XXXX."""
    if ch.isprintable():
        return f"{ch} (U+{ord(ch):04X})"
    return f"U+{ord(ch):04X}"
