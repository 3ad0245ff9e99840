"""The one way either command prints a line: secrets masked, control characters made visible.

Both `smail` and `smail-token` print every line through an Output, so no caller can forget the
Scrubber (defence in depth against a secret echoed by a server) or the escaper (a server's ESC,
BEL, BS or OSC sequence shown as `\\x1b`..., never obeyed by the terminal: docs/decisions.md D22).
"""

from __future__ import annotations

import os

from pysmail.redact import Scrubber
from pysmail.text.escape import escape_controls

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import TextIO

    from pysmail.ui.progress import Progress

__all__ = ["Output", "silence"]


class Output:
    """Everything printed goes through here: one Scrubber and the escaper see every line.

    A closed output (`smail -d ... | head`) must neither abort a send nor end in a traceback:
    after the first failed write, output is dropped and the stream is pointed at the null device
    (what the Python documentation advises for SIGPIPE), so the exit code still tells the truth.
    `bar`: a progress line on the terminal (stderr), wiped before every line printed here, as
    both streams are often the same terminal.
    """

    __slots__ = ("bar", "broken", "scrubber", "stream")

    def __init__(self, stream: TextIO, scrubber: Scrubber | None = None) -> None:
        self.stream = stream
        self.scrubber = scrubber if scrubber is not None else Scrubber()
        self.broken = False
        self.bar: Progress | None = None

    def line(self, value: str) -> None:
        """Print `value` (one or more lines), masked and escaped."""
        self._write(escape_controls(self.scrubber.scrub(value)))

    def secret_value(self, value: str) -> None:
        """Print a secret on purpose (`smail-token access-token`, for a program): not masked,
        but still escaped, as no real token holds a control character."""
        self._write(escape_controls(value))

    def prompt(self, value: str) -> None:
        """Print a question, masked and escaped, with no line end (the answer follows it)."""
        self._write(escape_controls(self.scrubber.scrub(value)), end="")

    def _write(self, shown: str, end: str = "\n") -> None:
        if self.bar is not None:
            self.bar.clear()
        if self.broken:
            return
        try:
            self.stream.write(shown + end)
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
            self.broken = True
            silence(self.stream)


def silence(stream: TextIO) -> None:
    """Point a broken standard stream at the null device so interpreter shutdown stays quiet."""
    try:
        fileno = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)
