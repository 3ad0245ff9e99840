"""Mail addresses: parsing SMAIL's sender and recipient arguments into Address values.

Accepted forms of one address (smail-spec 3.3, 3.4):
    a@b.c    Name <a@b.c>    Name<a@b.c> (SMAIL allows no space)    "Quoted, Name" <a@b.c>
Display names may be any Unicode; local parts may be UTF-8 (then the mail needs SMTPUTF8) and
domains may be IDNs (sent as A-labels, so they need no SMTPUTF8). Local parts are not held to
RFC 5322's dot-atom: legacy Japanese mobile addresses such as "taro..x.@docomo.ne.jp" are real
and are accepted as they are.

Recipient list (smail-spec 3.4): comma-separated; each address may carry its own "CC:" or "BCC:"
prefix, which applies to that address only. We also accept the prefixes in any case ("cc:",
"Bcc:"), spaces around commas and after the prefix, empty items (a trailing comma) which are
ignored, and several arguments, which are joined as if separated by commas.
"""

from __future__ import annotations

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # not typing's: `import typing` costs 2 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["Address", "Recipients", "parse_address", "parse_recipients", "shown"]

# RFC 5322 specials that may not appear unquoted in an address, plus whitespace.
_ADDR_FORBIDDEN = frozenset('<>()[],;:\\"')


@record
class Address:
    """A mailbox: `display` name (may be "") and `addr` ("local@domain", as given)."""

    display: str
    addr: str

    @property
    def local(self) -> str:
        return self.addr.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.addr.rpartition("@")[2]

    @property
    def wire_addr(self) -> str:
        """`addr` as written on the wire: the domain as an IDNA A-label where it can be one."""
        domain = self.domain
        if domain.isascii():
            return self.addr
        return f"{self.local}@{_idna(domain)}"

    @property
    def needs_smtputf8(self) -> bool:
        """True when the address cannot be written in ASCII (a UTF-8 local part)."""
        return not self.wire_addr.isascii()


@record
class Recipients:
    """The recipients of one message; `bcc` goes to the envelope only."""

    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()

    def envelope(self) -> tuple[str, ...]:
        """Every RCPT TO address (wire form), To then Cc then Bcc, each once."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(address.wire_addr, None)
        return tuple(seen)

    @property
    def needs_smtputf8(self) -> bool:
        return any(a.needs_smtputf8 for a in (*self.to, *self.cc, *self.bcc))


def _idna(domain: str) -> str:
    """The A-label form of a domain; the domain unchanged when IDNA 2003 cannot convert it."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def shown(text: str) -> str:
    """`text` safe to show in a one-line message: control characters as \\xNN escapes."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _bad(text: str, code: ErrCode) -> UsageError:
    return UsageError(code, "mime.bad_address", address=shown(text))


def _outside_quotes(text: str) -> Iterator[tuple[int, str]]:
    """(position, character) of every character outside quoted strings (RFC 5322 3.2.4).

    Ends with (len(text), "") when the quotes balance, so callers can tell an open quote.
    """
    in_quote = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif in_quote:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
        else:
            yield i, ch
    if not in_quote:
        yield len(text), ""


def _scan(text: str) -> tuple[list[int], list[int], bool]:
    """Positions of '<' and '>' outside quoted strings, and whether the quotes balance."""
    opens: list[int] = []
    closes: list[int] = []
    balanced = False
    for i, ch in _outside_quotes(text):
        if ch == "<":
            opens.append(i)
        elif ch == ">":
            closes.append(i)
        elif ch == "":
            balanced = True
    return opens, closes, balanced


def _unquote_phrase(raw: str) -> str:
    """A display name with its quoted-string parts unquoted: `"A, B" C` -> `A, B C`."""
    out: list[str] = []
    in_quote = escaped = False
    for ch in raw:
        if escaped:
            out.append(ch)
            escaped = False
        elif in_quote and ch == "\\":
            escaped = True
        elif ch == '"':
            in_quote = not in_quote
        else:
            out.append(ch)
    return "".join(out).strip()


def _bad_addr_char(ch: str) -> bool:
    return ch.isspace() or not ch.isprintable() or ch in _ADDR_FORBIDDEN


def _valid_addr_spec(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(_bad_addr_char(ch) or ch == "@" for ch in local):
        return False
    if domain.startswith("[") and domain.endswith("]"):  # address literal, e.g. [192.0.2.1]
        inner = domain[1:-1]
        return bool(inner) and inner.isascii() and not any(_bad_addr_char(ch) for ch in inner)
    if any(_bad_addr_char(ch) or ch == "@" for ch in domain):
        return False
    return all(domain.split("."))


def parse_address(text: str, *, code: ErrCode = ErrCode.RECIPIENT) -> Address:
    """One address, in any of the forms in the module docstring.

    Raises:
        UsageError(code, "mime.bad_address"): CR, LF or NUL; no "@"; empty local part or domain;
            spaces or specials in the address; unbalanced "<>" or quotes. `code` is RECIPIENT
            unless the caller parses the sender (then OPTION).
    """
    if any(ch in text for ch in "\r\n\0"):
        raise _bad(text, code)
    body = text.strip()
    opens, closes, balanced = _scan(body)
    if not balanced or len(opens) > 1 or len(closes) > 1 or len(opens) != len(closes):
        raise _bad(text, code)
    if opens:
        start, end = opens[0], closes[0]
        if end < start or end != len(body) - 1:
            raise _bad(text, code)
        display = _unquote_phrase(body[:start])
        addr = body[start + 1 : end].strip()
        if any(not ch.isprintable() and ch != "\t" for ch in display):
            raise _bad(text, code)
    else:
        display, addr = "", body
    if not _valid_addr_spec(addr):
        raise _bad(text, code)
    return Address(display, addr)


def _split_list(text: str) -> list[str]:
    """Split on commas outside quoted strings."""
    items: list[str] = []
    start = 0
    for i, ch in _outside_quotes(text):
        if ch == ",":
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _split_prefix(item: str) -> tuple[str, str]:
    """("to" | "cc" | "bcc", rest) for one recipient item."""
    head, colon, rest = item.partition(":")
    kind = head.strip().lower()
    if colon and kind in ("cc", "bcc"):
        return kind, rest
    return "to", item


def parse_recipients(texts: str | Sequence[str]) -> Recipients:
    """SMAIL's recipient argument(s) -> Recipients (see the module docstring for the syntax).

    Raises:
        UsageError(RECIPIENT, "mime.no_recipient"): no address at all.
        UsageError(RECIPIENT, "mime.bad_address"): one item is not an address.
    """
    joined = texts if isinstance(texts, str) else ",".join(texts)
    if any(ch in joined for ch in "\r\n\0"):
        raise _bad(joined, ErrCode.RECIPIENT)
    lists: dict[str, list[Address]] = {"to": [], "cc": [], "bcc": []}
    for item in _split_list(joined):
        if not item.strip():
            continue
        kind, rest = _split_prefix(item.strip())
        lists[kind].append(parse_address(rest))
    if not any(lists.values()):
        raise UsageError(ErrCode.RECIPIENT, "mime.no_recipient")
    return Recipients(tuple(lists["to"]), tuple(lists["cc"]), tuple(lists["bcc"]))
