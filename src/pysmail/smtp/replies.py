"""SMTP wire grammar without I/O: reply framing, EHLO extensions, commands (the message content,
dot-stuffed or chunked, is smtp/content.py)."""

from __future__ import annotations

import re
from operator import itemgetter as _itemgetter

from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Any

    def _tuplegetter(index: int, doc: str) -> Any: ...

else:
    try:  # namedtuple's field accessor: a reply's code read in half the instructions (D48)
        from _collections import _tuplegetter
    except ImportError:  # another Python: what namedtuple falls back to

        def _tuplegetter(index, doc):
            return property(_itemgetter(index), doc=doc)


__all__ = [
    "MAX_REPLY_LINE",
    "MAX_REPLY_LINES",
    "Extensions",
    "MalformedReply",
    "Reply",
    "ReplyParser",
    "SmtpStatus",
    "UnsafeCommand",
    "format_command",
    "parse_ehlo",
]

# RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers stay far below. The bound
# keeps memory finite when a peer streams bytes without ever sending a line ending.
MAX_REPLY_LINE = 8192
# A reply of more lines than this is a broken or hostile server, not a long EHLO list.
MAX_REPLY_LINES = 1000


class SmtpStatus:
    """The reply codes the client acts on (RFC 5321 4.2.2, RFC 4954, RFC 3207): ints."""

    READY = 220
    CLOSING = 221
    AUTH_SUCCESSFUL = 235
    OK = 250
    AUTH_CONTINUE = 334
    START_INPUT = 354
    SERVICE_UNAVAILABLE = 421
    BAD_SEQUENCE = 503


class MalformedReply(ValueError):
    """The server sent bytes that are not an SMTP reply."""


class UnsafeCommand(ValueError):
    """A command argument holds CR, LF or NUL, which would let it inject further commands."""


# The first digit of a reply code, as bytes' items (ints). Not `raw[:1] in b"2345"`: `in` on
# bytes first tries its operand as an int, and raising and clearing that TypeError costs more
# than the rest of framing a one-line reply (docs/decisions.md D44).
_KINDS = frozenset(b"2345")

# The start of each one-line reply met so far (b"250 " -> 250), checked once by
# ReplyParser._line: feed() frames a reply that starts so without checking it again (D48).
_ONE_LINE: dict[bytes, int] = {}

# a pattern for re's cache, compiled when first used (docs/decisions.md D8)
_ENHANCED = r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)"


class Reply(tuple[int, tuple[str, ...]]):
    """One complete reply: its code and the text of each line (code and separator removed).

    A tuple underneath, like a named tuple: a --batch reads four replies per message, and a
    tuple is made several times faster than a frozen class (and compares and hashes by value).
    """

    __slots__ = ()

    def __new__(cls, code: int, lines: tuple[str, ...]) -> Reply:
        return tuple.__new__(cls, (code, lines))

    code: int = _tuplegetter(0, "The reply code.")
    lines: tuple[str, ...] = _tuplegetter(1, "Each line's text.")

    def __repr__(self) -> str:
        return f"Reply(code={self[0]!r}, lines={self[1]!r})"

    def __getnewargs__(self) -> tuple[int, tuple[str, ...]]:  # copy and pickle
        return (self[0], self[1])

    @property
    def text(self) -> str:
        """The reply text, one line per reply line, without the codes."""
        return "\n".join(self.lines)

    @property
    def wire(self) -> str:
        """The reply as the server framed it (`250-a` / `250 b`), for messages and traces."""
        last = len(self.lines) - 1
        return "\n".join(
            f"{self.code}{' ' if i == last else '-'}{line}" for i, line in enumerate(self.lines)
        )

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code (`5.1.1`) at the start of the text, if present."""
        match = re.match(_ENHANCED, self.lines[0]) if self.lines else None
        return f"{match[1]}.{match[2]}.{match[3]}" if match else None

    @property
    def kind(self) -> int:
        """The first digit: 2 done, 3 go on, 4 transient failure, 5 permanent failure."""
        return self[0] // 100


class ReplyParser:
    """Frames replies out of a byte stream; feed it what recv() returned, in order.

    A line is `DDD-text` (more lines follow) or `DDD text` / `DDD` (last line); every line of a
    reply must carry the same code. Bare LF line endings are tolerated, as most clients do.
    """

    def __init__(self, max_line: int = MAX_REPLY_LINE) -> None:
        self._buffer = bytearray()
        self._lines: list[str] = []
        self._code: int | None = None
        self._max_line = max_line

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished reply are buffered."""
        return bool(self._buffer) or bool(self._lines)

    def feed(self, data: bytes) -> list[Reply]:
        """Buffer `data`; return the replies completed by it (possibly several when pipelining)."""
        if self._buffer:
            data = bytes(self._buffer) + data
            self._buffer.clear()
        *complete, rest = data.split(b"\n")
        limit = self._max_line
        if len(rest) > limit:
            raise MalformedReply(f"reply line longer than {limit} bytes")
        long = len(data) > limit  # else no line is
        replies: list[Reply] = []
        for raw in complete:
            if long and len(raw) > limit:
                raise MalformedReply(f"reply line longer than {limit} bytes")
            code = _ONE_LINE.get(raw[:4]) if self._code is None else None
            if code is not None:  # the common case, a one-line reply: no state to keep
                text = raw[4:-1] if raw[-1:] == b"\r" else raw[4:]
                lines = (text.decode("utf-8", "replace"),)
                replies.append(_new_reply(Reply, (code, lines)))  # Reply(code, lines)
                continue
            reply = self._line(raw[:-1] if raw[-1:] == b"\r" else raw)
            if reply is not None:
                replies.append(reply)
        self._buffer += rest
        return replies

    def _line(self, raw: bytes) -> Reply | None:
        if len(raw) < 3 or not raw[:3].isdigit() or raw[0] not in _KINDS:
            raise MalformedReply(f"not a reply line: {_show(raw)}")
        if len(raw) > 3 and raw[3:4] not in b" -":
            raise MalformedReply(f"bad separator after the code: {_show(raw)}")
        code = int(raw[:3])
        if self._code is not None and code != self._code:
            raise MalformedReply(f"code changed within a multi-line reply: {_show(raw)}")
        # RFC 6531 servers may answer in UTF-8; anything else is shown, never fatal.
        self._lines.append(raw[4:].decode("utf-8", "replace"))
        if len(self._lines) > MAX_REPLY_LINES:
            raise MalformedReply(f"reply longer than {MAX_REPLY_LINES} lines")
        if raw[3:4] == b"-":
            self._code = code
            return None
        reply = Reply(code, tuple(self._lines))
        if len(self._lines) == 1 and raw[3:4] == b" ":
            _ONE_LINE[raw[:4]] = code  # checked: the next reply that starts so is framed at once
        self._lines = []
        self._code = None
        return reply


_new_reply = tuple.__new__


def _show(raw: bytes) -> str:
    text = raw[:80].decode("ascii", "backslashreplace")
    return repr(text + ("..." if len(raw) > 80 else ""))


@record
class Extensions:
    """What an EHLO reply advertised: upper-case keyword -> its parameter text."""

    greeting: str
    keywords: dict[str, str]

    def has(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms offered, upper-case, in the server's order, without duplicates."""
        seen: dict[str, None] = {}
        for name in self.keywords.get("AUTH", "").split():
            seen.setdefault(name.upper(), None)
        return tuple(seen)


def parse_ehlo(reply: Reply) -> Extensions:
    """Parse an EHLO reply; the first line is the server's greeting, the others extensions.

    Some servers (old Exchange, some appliances) advertise `AUTH=LOGIN PLAIN` as well as, or
    instead of, `AUTH LOGIN PLAIN`; both are merged into the AUTH entry.
    """
    keywords: dict[str, str] = {}
    for line in reply.lines[1:]:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[:5].upper() == "AUTH=":
            keyword, params = "AUTH", stripped[5:]
        else:
            keyword, _, params = stripped.partition(" ")
            keyword = keyword.upper()
        params = params.strip()
        if keyword == "AUTH" and keywords.get("AUTH"):
            params = f"{keywords['AUTH']} {params}".strip()
        keywords[keyword] = params
    return Extensions(reply.lines[0] if reply.lines else "", keywords)


def format_command(verb: str, *args: str) -> bytes:
    """`verb args...` + CRLF as UTF-8 bytes; refuse CR, LF and NUL anywhere in it."""
    line = " ".join((verb, *args)) if args else verb
    if "\r" in line or "\n" in line or "\0" in line:  # not any(): no generator per command
        raise UnsafeCommand(line)
    return line.encode("utf-8") + b"\r\n"
