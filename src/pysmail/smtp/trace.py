"""The `-d` transcript: `Send:`/`Recv:` lines, TLS details, headers of DATA/BDAT; secrets masked."""

from __future__ import annotations

import re
from collections.abc import Callable

from pysmail.redact import MASK, Scrubber

__all__ = ["DataTrace", "Trace", "mask_command"]

# The header block is shown; past this size it is cut (a message with no blank line at all).
MAX_HEADER_SHOWN = 64 * 1024


class Trace:
    """Writes a protocol transcript, one line per call of `write`.

    Secrets are masked where the line is produced (`Send: AUTH PLAIN ****`, `Send: ****`),
    whatever their length; on top of that every line passes mask_command and a Scrubber that
    learns each secret the session fetches (`protect`), so a server that echoes a password of
    MIN_SECRET_LENGTH or more cannot leak it either. The Scrubber does not replace a shorter
    secret's text: `Subject: test subject` stays whole when the password is `test`.
    """

    def __init__(self, write: Callable[[str], None], scrubber: Scrubber | None = None) -> None:
        self._write = write
        self.scrubber = scrubber if scrubber is not None else Scrubber()

    def protect(self, secret: str) -> None:
        """Mask `secret` and its base64 forms in every later line (if it is long enough)."""
        self.scrubber.add(secret)

    def line(self, text: str) -> None:
        """Write one line as is (after scrubbing)."""
        self._write(self.scrubber.scrub(text))

    def send(self, command: str) -> None:
        """`Send: <command>`; AUTH/PASS/APOP arguments are masked."""
        self.line("Send: " + mask_command(command))

    def send_secret(self, shown: str = "") -> None:
        """A line that carries a secret: `Send: <shown> ****` (or `Send: ****`)."""
        self.line(f"Send: {shown} {MASK}" if shown else f"Send: {MASK}")

    def recv(self, text: str) -> None:
        """`Recv: <line>` for each line of a server reply."""
        for part in text.splitlines() or [""]:
            self.line("Recv: " + part)

    def note(self, text: str) -> None:
        self.line(text)

    def data(self) -> DataTrace:
        """A tap for the DATA bytes: shows the header block and counts the body."""
        return DataTrace(self)


class DataTrace:
    """Shows a message's header block as `Send:` lines, then `[message body: N bytes]`."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._head = bytearray()
        self._in_head = True
        self._body = 0

    def feed(self, chunk: bytes) -> None:
        if not self._in_head:
            self._body += len(chunk)
            return
        self._head += chunk
        end, sep = _header_end(self._head)
        if end >= 0:
            self._body = len(self._head) - end - sep
            del self._head[end:]
            self._emit_head()
        elif len(self._head) > MAX_HEADER_SHOWN:
            self._body = len(self._head) - MAX_HEADER_SHOWN
            del self._head[MAX_HEADER_SHOWN:]
            self._emit_head()

    def _emit_head(self) -> None:
        self._in_head = False
        text = bytes(self._head).decode("utf-8", "replace")
        for line in text.splitlines():
            self._trace.line("Send: " + line)
        self._trace.line("Send: ")
        self._head.clear()

    def finish(self, dot: bool = True) -> None:
        """The body's size, and (DATA, not BDAT) the final `.`."""
        if self._in_head:
            self._emit_head()
        self._trace.line(f"[message body: {self._body} bytes]")
        if dot:
            self._trace.line("Send: .")


def _header_end(data: bytearray) -> tuple[int, int]:
    """Index and length of the blank line that ends the header block, or (-1, 0)."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf + 2, 2
    if lf >= 0:
        return lf + 1, 1
    return -1, 0


_COMMAND_MASKS = (
    # AUTH <mechanism> <initial response>: keep the mechanism, mask the rest.
    (re.compile(r"^(\s*AUTH\s+\S+)\s+\S.*$", re.IGNORECASE | re.DOTALL), r"\1 " + MASK),
    # POP3 PASS <password> and APOP <user> <digest>.
    (re.compile(r"^(\s*PASS)\s.*$", re.IGNORECASE | re.DOTALL), r"\1 " + MASK),
    (re.compile(r"^(\s*APOP\s+\S+)\s+\S.*$", re.IGNORECASE | re.DOTALL), r"\1 " + MASK),
)


def mask_command(line: str) -> str:
    """A protocol command as it may be shown: AUTH, PASS and APOP arguments become `****`."""
    for pattern, replacement in _COMMAND_MASKS:
        masked, count = pattern.subn(replacement, line)
        if count:
            return masked
    return line
