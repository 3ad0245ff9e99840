"""Finished RFC 5322 messages: `smail --eml FILE|-` and the .eml files of a `--batch` folder.

A finished message is sent as is, but for its header block: split_head() reads the header (a
leading mbox `From ` line dropped, the body left unread), strip_bcc() removes Bcc and
Resent-Bcc (continuation lines included), eml_envelope() finds the envelope sender and
recipients (-f and the command line first, else From and To/Cc/Bcc), eml_message_id() the
file's own Message-ID (for the batch report). These are pure, on bytes. Line ends (CRLF or
LF) are left as the file has them: the SMTP layer sends every one as CRLF (DotStuffer).

The reading: open_eml() and read_head() turn an OSError into InputError(BODY_FILE,
"batch.eml_read_failed"); eml_stream() yields the cleaned header and then the rest of the
stream block by block (EML_BLOCK), and file_chunks() does it all afresh for a file on each
call (a retried message is read again). The sending is pysmail.delivery.batch.run's
(send_eml(), run_batch()).

Addresses are read by pysmail.mime.addresses, the parser of the command line's addresses too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pathlib import Path
    from typing import BinaryIO

    from pysmail.mime.addresses import Address

__all__ = [
    "EML_BLOCK",
    "MAX_HEAD",
    "MAX_LINE",
    "LineCheck",
    "eml_envelope",
    "eml_message_id",
    "eml_stream",
    "file_chunks",
    "header_addresses",
    "header_values",
    "open_eml",
    "read_head",
    "split_head",
    "strip_bcc",
]

MAX_HEAD = 1024 * 1024  # an RFC 5322 header block longer than this is not a message
EML_BLOCK = 64 * 1024
MAX_LINE = 998  # RFC 5322 2.1.1: a line MUST be no more than 998 octets, CRLF excluded


class LineCheck:
    """Refuses, as a message goes past block by block, what RFC 5322 2.1.1 and 2.3 forbid:
    a NUL byte, and a line longer than 998 octets (its CR LF or LF not counted). A header
    line could be folded, a body line cannot; neither is rewritten: a finished message is
    sent as it is or not at all. Lines are numbered from the message's first header line (a
    leading mbox `From ` line, which is never sent, not counted).

    Raises (feed, finish): InputError(BODY_FILE, "batch.eml_nul" | "batch.eml_line_too_long").
    """

    __slots__ = ("cr", "length", "line", "path")

    def __init__(self, path: object, line: int = 1) -> None:
        self.path = path
        self.line = line  # the number of the line being read
        self.length = 0  # its octets so far
        self.cr = False  # whether they end in CR

    def feed(self, data: bytes) -> bytes:
        nul = data.find(b"\0")
        if nul >= 0:
            at = self.line + data.count(b"\n", 0, nul)
            raise InputError(ErrCode.BODY_FILE, "batch.eml_nul", path=self.path, line=at)
        if not data:
            return data
        lines = data.split(b"\n")  # C speed: a 13 MB message costs ~10 ms (docs/decisions.md D23)
        if len(lines) > 1:
            first = lines[0]
            self._end_line(self.length + len(first), first.endswith(b"\r") if first else self.cr)
            whole = lines[1:-1]
            if max(map(len, whole), default=0) > MAX_LINE:  # rare: look line by line
                for text in whole:
                    self._end_line(len(text), text.endswith(b"\r"))
            else:
                self.line += len(whole)
            self.length = 0
        last = lines[-1]
        if last:
            self.length += len(last)
            self.cr = last.endswith(b"\r")
            if self.length > MAX_LINE + 1:  # not waiting for the line's end
                self._too_long()
        return data

    def finish(self) -> None:
        if self.length:
            self._end_line(self.length, False)

    def _end_line(self, length: int, cr: bool) -> None:
        if length - cr > MAX_LINE:
            self._too_long()
        self.line += 1
        self.length = 0
        self.cr = False

    def _too_long(self) -> None:
        raise InputError(
            ErrCode.BODY_FILE,
            "batch.eml_line_too_long",
            path=self.path,
            line=self.line,
            limit=MAX_LINE,
        )


def split_head(stream: BinaryIO, path: str, limit: int = MAX_HEAD) -> tuple[bytes, bytes]:
    """Read the header block of a message: (header bytes up to and including the blank line,
    the bytes read past it). A leading mbox `From ` line is dropped.

    Raises: InputError(BODY_FILE, "batch.eml_header_too_long" | "batch.eml_nul" |
    "batch.eml_line_too_long").
    """
    import re

    buffer = b""
    end = re.compile(rb"\r?\n\r?\n")
    while True:
        found = end.search(buffer)
        if found is not None:
            head, rest = buffer[: found.end()], buffer[found.end() :]
            break
        if len(buffer) > limit:
            raise InputError(ErrCode.BODY_FILE, "batch.eml_header_too_long", path=path, limit=limit)
        block = stream.read(EML_BLOCK)
        if not block:
            head, rest = buffer, b""
            break
        buffer += block
    if head.startswith(b"From "):
        head = head.partition(b"\n")[2]
    check = LineCheck(path)
    check.feed(head)
    check.finish()
    return head, rest


def _fields(head: bytes) -> list[list[bytes]]:
    """The header fields, each as its physical lines (line ends kept)."""
    fields: list[list[bytes]] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        elif line.strip():
            fields.append([line])
    return fields


def _name(field_lines: list[bytes]) -> str:
    return field_lines[0].partition(b":")[0].strip().decode("ascii", "replace").lower()


def strip_bcc(head: bytes) -> bytes:
    """The header block without Bcc and Resent-Bcc fields (continuation lines included)."""
    kept = []
    for lines in _fields(head):
        if _name(lines) not in ("bcc", "resent-bcc"):
            kept.extend(lines)
    blank = b"\r\n" if head.endswith(b"\r\n") else b"\n"
    return b"".join(kept) + blank


def header_values(head: bytes, name: str) -> list[str]:
    """The unfolded values of every `name` field (UTF-8, RFC 6532; bad bytes replaced)."""
    values = []
    for lines in _fields(head):
        if _name(lines) == name.lower():
            raw = b"".join(lines).partition(b":")[2]
            text = raw.decode("utf-8", "replace")
            values.append(" ".join(text.split()))
    return values


def eml_message_id(head: bytes) -> str:
    """The message's Message-ID as written (its first one), or "" when it has none."""
    return (header_values(head, "message-id") or [""])[0]


def header_addresses(head: bytes, names: Iterable[str], code: ErrCode) -> list[Address]:
    """Every address of the `names` fields, read by pysmail's one address parser (not
    email.utils.getaddresses, whose readings differ: CVE-2023-27043)."""
    from pysmail.mime.addresses import parse_address_list

    found: list[Address] = []
    for name in names:
        for value in header_values(head, name):
            found.extend(parse_address_list(value, code=code))
    return found


def eml_envelope(
    head: bytes, path: str, sender: str | None, recipients: Sequence[str]
) -> tuple[str, tuple[str, ...], bool]:
    """(envelope sender, envelope recipients, needs SMTPUTF8) of a finished message.

    The sender is `sender` (-f) or the From header's first address; the recipients are
    `recipients` (the command line) or, when empty, every address of To, Cc and Bcc.

    Raises: UsageError(OPTION, "batch.eml_no_sender"), UsageError(RECIPIENT,
    "batch.eml_no_recipient"), UsageError(RECIPIENT, "mime.bad_address").
    """
    from pysmail.mime.addresses import parse_address

    if sender:
        from_addr = parse_address(sender, code=ErrCode.OPTION).wire_addr
    else:
        found = header_addresses(head, ["from"], ErrCode.RECIPIENT)
        if not found:
            raise UsageError(ErrCode.OPTION, "batch.eml_no_sender", path=path)
        from_addr = found[0].wire_addr
    if recipients:
        rcpts = tuple(dict.fromkeys(recipients))
    else:
        addrs = header_addresses(head, ["to", "cc", "bcc"], ErrCode.RECIPIENT)
        rcpts = tuple(dict.fromkeys(a.wire_addr for a in addrs))
    if not rcpts:
        raise UsageError(ErrCode.RECIPIENT, "batch.eml_no_recipient", path=path)
    smtputf8 = not all(a.isascii() for a in (from_addr, *rcpts))
    return from_addr, rcpts, smtputf8


def eml_stream(head: bytes, rest: bytes, stream: BinaryIO, path: object) -> Iterator[bytes]:
    """The message with its header cleaned, then the rest as it is read (split_head() has
    checked the header's lines, LineCheck checks the rest's as they pass)."""
    yield strip_bcc(head)
    check = LineCheck(path, head.count(b"\n") + 1)
    if rest:
        yield check.feed(rest)
    while True:
        try:
            block = stream.read(EML_BLOCK)
        except OSError as exc:
            raise _read_error(path, exc) from exc
        if not block:
            check.finish()
            return
        yield check.feed(block)


def _read_error(path: object, exc: OSError) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(ErrCode.BODY_FILE, "batch.eml_read_failed", path=path, reason=reason)


def open_eml(path: Path) -> BinaryIO:
    from pysmail.fs.inputfile import open_regular

    try:
        return open_regular(path)  # a FIFO or device is refused, not waited on
    except OSError as exc:
        raise _read_error(path, exc) from exc


def read_head(stream: BinaryIO, path: object) -> tuple[bytes, bytes]:
    try:
        return split_head(stream, str(path))
    except OSError as exc:
        raise _read_error(path, exc) from exc


def file_chunks(path: Path) -> Iterator[bytes]:
    """A finished message file, Bcc stripped, read block by block (a fresh pass each call)."""
    with open_eml(path) as stream:
        head, rest = read_head(stream, path)
        yield from eml_stream(head, rest, stream, path)
