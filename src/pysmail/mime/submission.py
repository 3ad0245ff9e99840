"""A message handed to `smail-sendmail` on stdin, made ready as a submission agent does
(RFC 6409 8): read up to a lone "." unless -i, a body without a header told apart, the
recipients of -t, and a missing From, Date and Message-ID added.

Pure, on bytes, but for DotEnd, which wraps the input stream. The rest of a finished
message's handling (Bcc removed, lines checked, streamed) is pysmail.mime.eml's.
"""

from __future__ import annotations

import re

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO

__all__ = ["DotEnd", "complete_head", "envelope_recipients", "split_submitted"]

LINE_PIECE = 64 * 1024  # DotEnd reads lines in pieces of at most this many bytes
# RFC 5322 3.6.8: field-name = 1*ftext (printable ASCII but ":"); obs-syntax allows WSP before ":"
_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")


class DotEnd:
    """The input stream up to a line holding a lone "." (sendmail's end of input without -i);
    what follows that line is left unread. A stream-like object: read(size)."""

    __slots__ = ("_at_start", "_ended", "_stream")

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._ended = False
        self._at_start = True  # the next byte starts a line

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        total = 0
        while not self._ended and (size < 0 or total < size):
            piece = self._stream.readline(LINE_PIECE)
            if not piece or (self._at_start and piece.rstrip(b"\r\n") == b"."):
                self._ended = True
                break
            self._at_start = piece.endswith(b"\n")
            parts.append(piece)
            total += len(piece)
        return b"".join(parts)


def split_submitted(head: bytes, rest: bytes) -> tuple[bytes, bytes]:
    """(header, rest) of what eml.split_head() read, the header ending at its first blank line
    or before its first line that is no header field (`echo hi | sendmail bob`: all body).
    A header cut short that way gets the blank line that ends it."""
    lines = head.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            return b"".join(lines[: i + 1]), b"".join(lines[i + 1 :]) + rest
        continued = i > 0 and line[:1] in (b" ", b"\t")
        if not continued and _FIELD.match(line) is None:
            eol = b"\r\n" if line.endswith(b"\r\n") else b"\n"
            return b"".join(lines[:i]) + eol, b"".join(lines[i:]) + rest
    return head, rest


def envelope_recipients(head: bytes, given: Sequence[str], *, extract: bool) -> list[str]:
    """The envelope recipients (wire form, each once): the command line's, and with -t
    (`extract`) every address of To, Cc and Bcc, or of Resent-To, Resent-Cc and Resent-Bcc
    when the message has any of those (a resent message goes to its new recipients only).

    Raises: UsageError(RECIPIENT, "mime.bad_address" | "mime.address_too_long").
    """
    from pysmail.mime.addresses import parse_address_list
    from pysmail.mime.eml import header_addresses, header_values

    found = [a for text in given for a in parse_address_list(text)]
    if extract:
        resent = ("resent-to", "resent-cc", "resent-bcc")
        names = resent if any(header_values(head, n) for n in resent) else ("to", "cc", "bcc")
        found += header_addresses(head, names, ErrCode.RECIPIENT)
    return list(dict.fromkeys(a.wire_addr for a in found))


def complete_head(
    head: bytes, *, sender: str, full_name: str | None, timestamp: float | None = None
) -> bytes:
    """`head` with what it lacks of From (`full_name <sender>`: -F and the envelope sender),
    Date and Message-ID (at the sender's domain) added at its end, before the blank line.

    Raises: UsageError(OPTION, "mime.header_injection"): CR, LF or NUL in `full_name`.
    """
    added = _missing_fields(head, sender, full_name, timestamp)
    if not added:
        return head
    eol = b"\r\n" if head.partition(b"\n")[0].endswith(b"\r") else b"\n"
    fields = head
    for blank in (b"\r\n", b"\n"):
        if fields.endswith(blank * 2) or fields == blank:
            fields = fields[: -len(blank)]
            break
    if fields and not fields.endswith(b"\n"):
        fields += eol
    text_eol = eol.decode("ascii")
    new = [f.replace("\r\n", "\n").replace("\n", text_eol).encode("utf-8") for f in added]
    return fields + eol.join(new) + eol + eol


def _missing_fields(
    head: bytes, sender: str, full_name: str | None, timestamp: float | None
) -> list[str]:
    from pysmail.mime.eml import header_values
    from pysmail.mime.headers import address_field, format_date, message_id

    added: list[str] = []
    if not header_values(head, "from"):
        from pysmail.mime.addresses import Address

        added.append(address_field("From", [Address(full_name or "", sender)], "utf-8"))
    if not header_values(head, "date"):
        added.append("Date: " + format_date(timestamp))
    if not header_values(head, "message-id"):
        domain = sender.rpartition("@")[2] or "localhost"
        added.append("Message-ID: " + message_id("", domain, timestamp=timestamp))
    return added
