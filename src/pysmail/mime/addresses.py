"""Mail addresses: the one parser for every address pysmail reads (the command line, smail.ini,
--batch rows, and the From/To/Cc/Bcc headers of an --eml message).

Accepted forms of one address (smail-spec 3.3, 3.4; RFC 5322 3.4):
    a@b.c    Name <a@b.c>    Name<a@b.c> (SMAIL allows no space)    "Quoted, Name" <a@b.c>
    a@b.c (comment)    Name (comment) <a@b.c>    < a@b.c >
Display names may be any Unicode; local parts may be UTF-8 (then the mail needs SMTPUTF8) and
domains may be IDNs (sent as A-labels, so they need no SMTPUTF8). Local parts are not held to
RFC 5322's dot-atom: legacy Japanese mobile addresses such as "taro..x.@docomo.ne.jp" are real
and are accepted as they are.

The parser is strict (docs/decisions.md D23): it reads the RFC 5322 grammar exactly (quoted
strings with their quoted pairs, nested comments) and refuses anything left over, so an address
means one thing only. `alice@example.org)<evil@x.com>` is refused (the ")" closes no comment),
not read as the display name `alice@example.org)` of evil@x.com, the CVE-2023-27043 class of
parser difference. Refused as well, with the address named: a quoted local part (`"a@b"@c`,
which servers disagree on), comments or spaces inside an addr-spec, source routes, and an
address whose SMTP path would pass RFC 5321 4.5.3.1.3's 256 octets (which also keeps every
MAIL and RCPT command under 512 octets).

Recipient list (smail-spec 3.4): comma-separated; each address may carry its own "CC:" or "BCC:"
prefix, which applies to that address only. We also accept the prefixes in any case ("cc:",
"Bcc:"), spaces around commas and after the prefix, empty items (a trailing comma) which are
ignored, and several arguments, which are joined as if separated by commas. A header's address
list (parse_address_list) is RFC 5322's instead: groups (`Team: a@b.c, d@e.f;`) in place of the
prefixes.
"""

from __future__ import annotations

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.address_scanner import Refused, Scanner, item_text
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_PATH",
    "Address",
    "Recipients",
    "parse_address",
    "parse_address_list",
    "parse_recipients",
    "shown",
]

MAX_PATH = 256  # RFC 5321 4.5.3.1.3: a reverse- or forward-path, "<" and ">" included, in octets
_SHOWN_MAX = 200  # an address longer than this is cut in the ERR line


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


def _shown_address(text: str) -> str:
    text = text.strip()
    if len(text) > _SHOWN_MAX:
        text = text[:_SHOWN_MAX] + f"... ({len(text)} characters)"
    return shown(text)


def _mailbox(scanner: Scanner, display: str, kinds: list[str]) -> Address:
    """The rest of a mailbox whose leading phrase has been read."""
    ch = scanner.peek()
    if ch == "<":
        if any(not c.isprintable() and c != "\t" for c in display.strip()):
            raise Refused
        address = Address(display.strip(), scanner.angle_addr())
    elif ch == "@" and kinds == ["atom"]:  # one bare word: a local part, nothing around it
        address = Address("", scanner.addr_spec(display))
    else:
        raise Refused
    scanner.cfws()
    _check_length(address)
    return address


def _check_length(address: Address) -> None:
    if len(address.wire_addr.encode("utf-8")) + 2 > MAX_PATH:
        raise Refused("mime.address_too_long")


def _error(refused: Refused, text: str, code: ErrCode) -> UsageError:
    if refused.msgid == "mime.address_too_long":
        return UsageError(code, refused.msgid, address=_shown_address(text), limit=MAX_PATH - 2)
    return UsageError(code, refused.msgid, address=_shown_address(text))


def _bad(text: str, code: ErrCode) -> UsageError:
    return _error(Refused(), text, code)


def _refuse_line_breaks(text: str, code: ErrCode) -> None:
    if any(ch in text for ch in "\r\n\0"):
        raise _bad(text, code)


def parse_address(text: str, *, code: ErrCode = ErrCode.RECIPIENT) -> Address:
    """One address, in any of the forms in the module docstring, and nothing else.

    Raises:
        UsageError(code, "mime.bad_address"): CR, LF or NUL; no "@"; empty local part or domain;
            spaces, comments or specials in the address; unbalanced quotes, comments or "<>";
            anything after the address. `code` is RECIPIENT unless the caller parses the
            sender (then OPTION).
        UsageError(code, "mime.address_too_long"): a path over 256 octets (RFC 5321).
    """
    _refuse_line_breaks(text, code)
    scanner = Scanner(text)
    try:
        scanner.cfws()
        address = _mailbox(scanner, *scanner.phrase())
        if scanner.pos != len(text):
            raise Refused
    except Refused as refused:
        raise _error(refused, text, code) from None
    return address


def _cc_prefix(scanner: Scanner) -> str:
    """The kind, cc or bcc, of the prefix ("CC:", " bcc :") at pos (then skipped); else to."""
    start = scanner.pos
    scanner.spaces()
    word = scanner.atom().lower()
    scanner.spaces()
    if word in ("cc", "bcc") and scanner.peek() == ":":
        scanner.pos += 1
        return word
    scanner.pos = start
    return "to"


def parse_recipients(texts: str | Sequence[str]) -> Recipients:
    """SMAIL's recipient argument(s) -> Recipients (see the module docstring for the syntax).

    Raises:
        UsageError(RECIPIENT, "mime.no_recipient"): no address at all.
        UsageError(RECIPIENT, "mime.bad_address" | "mime.address_too_long"): one item is not
            an address (the item is named).
    """
    joined = texts if isinstance(texts, str) else ",".join(texts)
    _refuse_line_breaks(joined, ErrCode.RECIPIENT)
    lists: dict[str, list[Address]] = {"to": [], "cc": [], "bcc": []}
    scanner = Scanner(joined)
    while scanner.pos < len(joined):
        start = scanner.pos
        try:
            scanner.cfws()
            if scanner.peek() in (",", ""):
                scanner.pos += 1
                continue
            kind = _cc_prefix(scanner)
            scanner.cfws()
            lists[kind].append(_mailbox(scanner, *scanner.phrase()))
            if scanner.peek() not in (",", ""):
                raise Refused
        except Refused as refused:
            raise _error(refused, item_text(joined, start), ErrCode.RECIPIENT) from None
    if not any(lists.values()):
        raise UsageError(ErrCode.RECIPIENT, "mime.no_recipient")
    return Recipients(tuple(lists["to"]), tuple(lists["cc"]), tuple(lists["bcc"]))


def parse_address_list(text: str, *, code: ErrCode = ErrCode.RECIPIENT) -> list[Address]:
    """An RFC 5322 address-list (a To, Cc, Bcc or From field's unfolded value): every mailbox,
    group members included (`undisclosed-recipients:;` gives none). Empty items are skipped.

    Raises:
        UsageError(code, "mime.bad_address" | "mime.address_too_long"): an item is not an
            address (the item is named).
    """
    _refuse_line_breaks(text, code)
    found: list[Address] = []
    scanner = Scanner(text)
    in_group = False
    while scanner.pos < len(text):
        start = scanner.pos
        try:
            in_group = _list_item(scanner, in_group, found)
        except Refused as refused:
            raise _error(refused, item_text(text, start), code) from None
    if in_group:
        raise _bad(text, code)  # a group without its ";"
    return found


def _list_item(scanner: Scanner, in_group: bool, found: list[Address]) -> bool:
    """Read one item of an address-list at pos: a mailbox (into `found`), a group's `Name:`
    or its closing `;`, or nothing (an empty item). Returns whether a group is open after it."""
    scanner.cfws()
    ch = scanner.peek()
    if _at_item_end(ch, in_group):
        scanner.pos += 1
        return in_group and ch != ";"
    display, kinds = scanner.phrase()
    if scanner.peek() == ":" and not in_group and any(k != "space" for k in kinds):
        scanner.pos += 1
        return True
    found.append(_mailbox(scanner, display, kinds))
    if not _at_item_end(scanner.peek(), in_group):
        raise Refused
    return in_group


def _at_item_end(ch: str, in_group: bool) -> bool:
    """Whether `ch` ends a list item: a comma, the end, or the `;` that closes an open group."""
    return ch in (",", "") or (in_group and ch == ";")
