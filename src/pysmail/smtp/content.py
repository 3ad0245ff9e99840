"""The message content on the wire, without I/O: line ends made CRLF, dot-stuffing for DATA
(RFC 5321 4.5.2), BDAT chunks (RFC 3030), and the check that a block needs neither (DataContent:
written as it is)."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "CHUNK_SIZE",
    "Chunker",
    "DataContent",
    "DotStuffer",
    "crlf_lines",
    "data_content",
    "is_data_content",
    "one_block",
    "unstuff",
]


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
        and bare.find(b"\r") < 0  # not `in`: see smtp/replies.py _KINDS
        and bare.find(b"\n") < 0
        and message.find(b"\r\n.") < 0  # every LF follows a CR (above)
    )
