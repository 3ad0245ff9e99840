"""Header fields: RFC 2047 encoded words, folding, address lists, Date and Message-ID.

Every function returns a whole field without its final CRLF, folded with CRLF + space so that
no line exceeds 78 characters unless one unbreakable token (an address, a Message-ID, a long
field name) is longer; and no line ever exceeds RFC 5322's 998 (LINE_MAX): a display name or
text that cannot be folded at its spaces goes as encoded words, a field name or Message-ID
that would pass 998 is refused (an address cannot: mime.addresses caps it at 254 octets).
"""

from __future__ import annotations

import binascii
import re
import time
from collections.abc import Iterable, Sequence

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address, shown
from pysmail.mime.charsets import CHARSETS, can_encode

__all__ = [
    "LINE_LIMIT",
    "LINE_MAX",
    "WORD_LIMIT",
    "address_field",
    "check_name",
    "check_value",
    "encode_words",
    "fold",
    "format_date",
    "now",
    "header_charset",
    "message_id",
    "quote_string",
    "random_hex",
    "unstructured_field",
]

LINE_LIMIT = 78  # RFC 5322 2.1.1: SHOULD be no more than 78 characters
LINE_MAX = 998  # RFC 5322 2.1.1: MUST be no more than 998 characters
WORD_LIMIT = 75  # RFC 2047 2: an encoded-word may not be more than 75 characters long

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Patterns for re's cache, compiled when first used (docs/decisions.md D8).
# RFC 5322 atext: what a display name word may hold without quoting.
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_FTEXT = r"[\x21-\x39\x3b-\x7e]+"  # RFC 5322 field name: printable ASCII but ":"
_MSGID_FORBIDDEN = frozenset('<>"\\()[],;: \t')


def check_value(name: str, value: str) -> None:
    """Refuse CR, LF and NUL in a header value: they would let a value inject header lines.

    Raises:
        UsageError(OPTION, "mime.header_injection")
    """
    if "\r" in value or "\n" in value or "\0" in value:
        raise UsageError(ErrCode.OPTION, "mime.header_injection", header=shown(name))


def check_name(name: str) -> None:
    """Refuse a field name that is not RFC 5322 ftext (printable ASCII except ":"), or so long
    that its first line ("Name: " and one encoded word) would pass 998 characters.

    Raises:
        UsageError(OPTION, "mime.bad_header_name")
    """
    if not re.fullmatch(_FTEXT, name) or len(name) + 2 + WORD_LIMIT > LINE_MAX:
        raise UsageError(ErrCode.OPTION, "mime.bad_header_name", header=shown(name[:100]))


def header_charset(text: str, charset: str) -> str:
    """`charset` when it can write `text`, else "utf-8" (for file names and extra headers)."""
    return charset if can_encode(text, charset) else "utf-8"


def _plain_ok(text: str) -> bool:
    """Whether unstructured `text` can be written as is, folded within 78 characters, and read
    back exactly. _fold_plain() folds before a word's spaces, so those count with the word."""
    return (
        text.isascii()
        and text.isprintable()
        and text == text.strip()
        and "=?" not in text
        and all(
            len(token) <= LINE_LIMIT - 1 and len(token.lstrip(" ")) <= LINE_LIMIT - 2
            for token in re.findall(r" *[^ ]+", text)
        )
    )


def encode_words(text: str, charset: str, *, first_limit: int = WORD_LIMIT) -> list[str]:
    """`text` as RFC 2047 B encoded words of `charset`, each <= 75 characters (the first
    <= `first_limit`), split only between characters. ISO-2022-JP words each start and end in
    ASCII, since every chunk is encoded on its own.
    """
    entry = CHARSETS[charset]
    prefix = f"=?{entry.mime_name}?B?"
    overhead = len(prefix) + 2

    def size(nbytes: int) -> int:
        return overhead + 4 * ((nbytes + 2) // 3)

    words: list[str] = []
    limit = min(first_limit, WORD_LIMIT)
    chunk = ""
    chunk_bytes = b""
    for ch in text:
        trial = (chunk + ch).encode(entry.codec)
        if chunk and size(len(trial)) > limit:
            words.append(_word(prefix, chunk_bytes))
            limit = WORD_LIMIT
            chunk, chunk_bytes = ch, ch.encode(entry.codec)
        else:
            chunk, chunk_bytes = chunk + ch, trial
    if chunk or not words:
        words.append(_word(prefix, chunk_bytes))
    return words


def _word(prefix: str, data: bytes) -> str:
    return prefix + binascii.b2a_base64(data, newline=False).decode("ascii") + "?="


def fold(start: str, atoms: Iterable[str]) -> str:
    """Join `atoms` after `start` with single spaces, folding (CRLF + space) instead of a space
    where the line would pass 78 characters. An atom is never broken.
    """
    lines: list[str] = []
    line = start
    for atom in atoms:
        if len(line) + 1 + len(atom) > LINE_LIMIT:
            lines.append(line)
            line = " " + atom
        else:
            line = line + " " + atom
    lines.append(line)
    return "\r\n".join(lines)


def _fold_plain(start: str, text: str) -> str:
    """Fold ASCII `text` before its own spaces, keeping every space: unfolding restores it."""
    tokens = re.findall(r" *[^ ]+", text)
    if not tokens:
        return start
    lines: list[str] = []
    line = start + " " + tokens[0]
    if len(line) > LINE_LIMIT:  # fold right after the colon; the parser strips that space
        lines.append(start)
        line = " " + tokens[0]
    for token in tokens[1:]:
        if len(line) + len(token) > LINE_LIMIT:
            lines.append(line)
            line = token  # begins with a space: the folding white space
        else:
            line += token
    lines.append(line)
    return "\r\n".join(lines)


def unstructured_field(name: str, text: str, charset: str) -> str:
    """An unstructured field (Subject, X-...): plain when ASCII-safe, else encoded words.

    Raises:
        UsageError(OPTION, "mime.header_injection"): CR, LF or NUL in `text`.
    """
    check_value(name, text)
    start = name + ":"
    if _plain_ok(text):
        return _fold_plain(start, text)
    cs = header_charset(text, charset)
    return fold(start, encode_words(text, cs, first_limit=LINE_LIMIT - len(start) - 1))


def quote_string(text: str) -> str:
    """`text` as an RFC 5322 quoted-string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _display_atoms(display: str, charset: str) -> list[str]:
    """A display name as the atoms fold() joins: its words, or one quoted string, when each is
    short enough to fold within 78 characters; else encoded words (which fold anywhere)."""
    if not display:
        return []
    if display.isascii() and display.isprintable() and "=?" not in display:
        words = display.split(" ")
        if all(re.fullmatch(_ATEXT, w) and len(w) <= WORD_LIMIT for w in words):
            return words
        quoted = quote_string(display)
        if len(quoted) <= WORD_LIMIT:
            return [quoted]
    return encode_words(display, header_charset(display, charset))


def address_field(name: str, addresses: Sequence[Address], charset: str) -> str:
    """An address-list field: `Name <addr>` items (the name encoded when needed), comma-separated.

    Raises:
        UsageError(OPTION, "mime.header_injection"): CR, LF or NUL in a name or address.
    """
    atoms: list[str] = []
    for i, address in enumerate(addresses):
        check_value(name, address.display)
        check_value(name, address.addr)
        comma = "," if i < len(addresses) - 1 else ""
        display = _display_atoms(address.display, charset)
        if display:
            atoms.extend(display)
            atoms.append(f"<{address.wire_addr}>{comma}")
        else:
            atoms.append(address.wire_addr + comma)
    return fold(name + ":", atoms)


def random_hex(nbytes: int) -> str:
    """`nbytes` random bytes from the OS as lower-case hex: what secrets.token_hex() returns.

    secrets itself is not imported for it: it brings hmac, hashlib and OpenSSL's libcrypto
    (4-8 ms) into every start. When something has loaded secrets already, its token_hex is
    called (the same function; tests replace it to get known values).
    """
    import sys

    loaded = sys.modules.get("secrets")
    if loaded is not None:
        return str(loaded.token_hex(nbytes))
    import os

    return os.urandom(nbytes).hex()


def now() -> float:
    """The time Date and Message-ID fields are made of (tests fix it by replacing `time`)."""
    return time.time()


def format_date(timestamp: float | None = None) -> str:
    """RFC 5322 date-time in local time with its offset, English names whatever the locale.

    time.localtime() rather than datetime (one import less at start-up); the second is the one
    datetime.fromtimestamp() gives, which rounds to the microsecond (half to even) first.
    """
    import math

    when = now() if timestamp is None else timestamp
    fraction, whole = math.modf(when)
    micros = round(fraction * 1e6)
    seconds = int(whole) + (1 if micros >= 1_000_000 else -1 if micros < 0 else 0)
    moment = time.localtime(seconds)
    minutes = (moment.tm_gmtoff or 0) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[moment.tm_wday]}, {moment.tm_mday:02d} {_MONTHS[moment.tm_mon - 1]} "
        f"{moment.tm_year} {moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} "
        f"{sign}{hours:02d}{mins:02d}"
    )


def message_id(given: str, domain: str, *, timestamp: float | None = None) -> str:
    """The Message-ID field value.

    `given` "" -> generated: `<millis.random@domain>`, 64 random bits (random_hex).
    Else SMAIL's `-m<id>`: used as given, wrapped in <> when it has none, with `@domain` added
    when it has no "@" (RFC 5322 msg-id needs both).

    Raises:
        UsageError(OPTION, "mime.bad_message_id"): spaces, controls or specials inside the id.
        UsageError(OPTION, "mime.message_id_too_long"): a Message-ID field over 998 characters
            (a msg-id cannot be folded inside).
    """
    if not given:
        millis = int((now() if timestamp is None else timestamp) * 1000)
        return f"<{millis}.{random_hex(8)}@{domain}>"
    inner = given.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    if "@" not in inner:
        inner = f"{inner}@{domain}"
    if not _msg_id_ok(inner):
        raise UsageError(ErrCode.OPTION, "mime.bad_message_id", message_id=shown(given))
    if len(f"Message-ID: <{inner}>") > LINE_MAX:
        raise UsageError(
            ErrCode.OPTION,
            "mime.message_id_too_long",
            length=len(inner) + 2,
            limit=LINE_MAX - len("Message-ID: "),
        )
    return f"<{inner}>"


def _msg_id_ok(inner: str) -> bool:
    """Whether `left@right` (without its <>) is a printable ASCII msg-id with no specials;
    the right side may be a [domain literal]."""
    left, _, right = inner.rpartition("@")
    if not (left and right and inner.isascii() and inner.isprintable()):
        return False
    return not any(ch in _MSGID_FORBIDDEN for ch in left + right.strip("[]"))
