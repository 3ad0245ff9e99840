"""SMTP wire grammar without I/O: reply framing, EHLO extensions, commands, dot-stuffing."""

from __future__ import annotations

import re
from operator import itemgetter as _itemgetter

from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    def _tuplegetter(index: int, doc: str) -> Any: ...

else:
    try:  # namedtuple's field accessor: a reply's code read in half the instructions (D48)
        from _collections import _tuplegetter
    except ImportError:  # another Python: what namedtuple falls back to

        def _tuplegetter(index, doc):
            return property(_itemgetter(index), doc=doc)


__all__ = [
    "CHUNK_SIZE",
    "MAX_REPLY_LINE",
    "MAX_REPLY_LINES",
    "Chunker",
    "DataContent",
    "DotStuffer",
    "Extensions",
    "MalformedReply",
    "Reply",
    "ReplyParser",
    "SmtpStatus",
    "UnsafeCommand",
    "data_content",
    "format_command",
    "is_data_content",
    "one_block",
    "parse_ehlo",
    "unstuff",
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


def crlf_lines(data: bytes) -> bytes:
    """`data` with every line ending (CR LF, a bare CR, a bare LF) made CR LF (pure).

    What `re.sub(rb"\r\n|\r|\n", b"\r\n", data)` does, in three passes of bytes.replace:
    2-3 times faster, and no pattern to compile on every send (docs/decisions.md D47).
    """
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


class DotStuffer:
    """Turns message bytes into DATA content, one chunk at a time (RFC 5321 4.5.2).

    Every line ending becomes CRLF (a bare CR or LF is never sent: it is how SMTP smuggling
    works), a line starting with "." gets a second ".", and `finish()` ends the last line with
    CRLF if needed and adds the terminating ".". Chunks may split a line anywhere, including
    between CR and LF or right before a leading ".".

    `dots=False` only makes the line endings CRLF and ends the last line: BDAT content
    (RFC 3030), which has no transparency and no terminating ".".

    A chunk whose class says `smtp_safe = True` (pysmail.mime.parts.Base64Block) promises that
    it is already DATA content: every CR and LF in a CRLF pair, no line (its first one
    included) starting with ".", and a final CRLF. It is passed through as it is, unscanned:
    that is what makes a 100 MB attachment cheap to send.
    """

    def __init__(self, dots: bool = True) -> None:
        self._dots = dots
        self._at_line_start = True
        self._held_cr = False
        self.bytes_in = 0

    def feed(self, chunk: bytes) -> bytes:
        """Return the stuffed form of `chunk` (possibly holding back one trailing CR)."""
        self.bytes_in += len(chunk)
        if not self._held_cr and getattr(chunk, "smtp_safe", False) and chunk:
            self._at_line_start = True
            return chunk
        data = b"\r" + chunk if self._held_cr else bytes(chunk)
        self._held_cr = data.endswith(b"\r")
        if self._held_cr:
            data = data[:-1]  # the next chunk decides whether this CR starts a CRLF
        if not data:
            return b""
        data = crlf_lines(data)
        if self._dots:
            data = data.replace(b"\r\n.", b"\r\n..")
            if self._at_line_start and data[:1] == b".":
                data = b"." + data
        self._at_line_start = data.endswith(b"\r\n")
        return data

    def finish(self) -> bytes:
        """The bytes that close the content: a pending line end, then (DATA) `.` CRLF."""
        tail = b""
        if self._held_cr:
            self._held_cr = False
            self._at_line_start = True
            tail = b"\r\n"
        if not self._at_line_start:
            tail += b"\r\n"
            self._at_line_start = True
        return tail + b".\r\n" if self._dots else tail


# A BDAT chunk is cut once this much content has gathered: big enough that the round trip
# per chunk does not matter (one reply per MiB), small enough to keep memory flat.
CHUNK_SIZE = 1 << 20

if TYPE_CHECKING:
    # `BDAT <n>[ LAST]` CRLF, and the n bytes of content as pieces (not joined: no copy).
    Frame = tuple[bytes, list[bytes]]


class Chunker:
    """Frames message bytes as BDAT chunks (RFC 3030), one piece at a time.

    The content is what DotStuffer(dots=False) makes of the bytes (CRLF line endings, the last
    line ended; no dot-stuffing, no final "."). feed() returns the chunks completed by a piece
    (a chunk is cut once `size` bytes have gathered), finish() the last one, `BDAT n LAST`
    (n may be 0). Pieces marked smtp_safe pass through unscanned, as in DotStuffer.
    """

    def __init__(self, size: int = CHUNK_SIZE) -> None:
        self._lines = DotStuffer(dots=False)
        self._size = size
        self._pieces: list[bytes] = []
        self._length = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        data = self._lines.feed(chunk)
        if data:
            self._pieces.append(data)
            self._length += len(data)
        return [self._cut(last=False)] if self._length >= self._size else []

    def finish(self) -> Frame:
        tail = self._lines.finish()
        if tail:
            self._pieces.append(tail)
            self._length += len(tail)
        return self._cut(last=True)

    def _cut(self, last: bool) -> Frame:
        frame = _frame(self._pieces, self._length, last)
        self._pieces = []
        self._length = 0
        return frame

    @staticmethod
    def whole(content: DataContent) -> Frame | None:
        """`content` (DataContent: BDAT content as it is) as the one frame a Chunker cuts of
        it, `BDAT n LAST`; None when a Chunker would cut it in more (CHUNK_SIZE or more)."""
        size = len(content)
        return _frame([content], size, True) if size < CHUNK_SIZE else None


def _frame(pieces: list[bytes], length: int, last: bool) -> Frame:
    """One BDAT chunk: `BDAT <length>[ LAST]` CRLF and its content, `pieces` (`length` bytes)."""
    return (b"BDAT %d%s\r\n" % (length, b" LAST" if last else b""), pieces)


def unstuff(data: bytes) -> bytes:
    """Undo DotStuffer on complete DATA content (as a server does); for tests and tools."""
    if not data.endswith(b".\r\n") or not (data == b".\r\n" or data.endswith(b"\r\n.\r\n")):
        raise ValueError("DATA content does not end with CRLF . CRLF")
    body = data[:-3]
    lines = body.split(b"\r\n")
    return b"\r\n".join(line[1:] if line[:1] == b"." else line for line in lines)


class DataContent(bytes):
    """Message bytes that are DATA content as they are (made by data_content()): DotStuffer
    passes them through without scanning them (its `smtp_safe` contract)."""

    __slots__ = ()
    smtp_safe = True


def one_block(chunks: Iterable[bytes]) -> DataContent | None:
    """The message when `chunks` is one block of DataContent (a --batch message: written as
    it is, as DATA or BDAT content), else None. A stream that wraps such a block gives it by
    its `take_block()` (retry.TrackedStream: the block counts as taken, as if iterated)."""
    if type(chunks) is tuple:
        return chunks[0] if len(chunks) == 1 and type(chunks[0]) is DataContent else None
    take = getattr(chunks, "take_block", None)
    return take() if take is not None else None


def data_content(message: bytes) -> bytes:
    """`message` marked as DataContent when dot-stuffing would not change it (is_data_content),
    else `message` itself, stuffed as it is sent. A composed message usually qualifies;
    checking it (three scans at C speed) costs a tenth of stuffing it."""
    return DataContent(message) if is_data_content(message) else message


def is_data_content(message: bytes) -> bool:
    """Dot-stuffing would not change `message`: every CR and LF in a CRLF pair, no line
    starting with ".", a final CRLF. Two such blocks joined are such a block too.

    A CR or LF left once the CRLF pairs are removed is bare; the two single-byte finds are
    memchr: a third fewer instructions than counting CRLF, CR and LF (docs/decisions.md D48)."""
    bare = message.replace(b"\r\n", b"")
    return (
        message.endswith(b"\r\n")
        and message[:1] != b"."
        and bare.find(b"\r") < 0  # not `in`: see _KINDS
        and bare.find(b"\n") < 0
        and message.find(b"\r\n.") < 0  # every LF follows a CR (above)
    )
