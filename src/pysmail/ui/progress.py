"""One progress line on a terminal: large attachments being sent, outbox flushes.

Drawn only when the stream is a terminal and -S was not given (`terminal()` decides); the first
update draws at once, later ones at most every `interval` seconds; `finish()` shows 100 % and
clears the line, `clear()` wipes it so that an ordinary output line starts clean (the next
update draws it again). Only ASCII, a carriage return and spaces: no ANSI sequences (a Windows
console without virtual-terminal mode prints them raw) and no words (numbers and units need no
catalogue entry). Imported only when a bar is actually drawn: a plain send never loads it.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Literal, TextIO

    Unit = Literal["bytes", "items"]

__all__ = [
    "INTERVAL",
    "LARGE",
    "Progress",
    "base64_size",
    "counted",
    "format_bytes",
    "render",
    "terminal",
]

LARGE = 1024 * 1024  # attachments at least this big (together) get a bar
INTERVAL = 0.1  # seconds between two redraws
BAR_WIDTH = 20
RATE_AFTER = 0.5  # seconds before a rate is shown (earlier ones are noise)


def terminal(stream: TextIO | None, silent: bool) -> TextIO | None:
    """`stream` when a bar may be drawn on it (a terminal, and not -S), else None."""
    if silent or stream is None:
        return None
    try:
        return stream if stream.isatty() else None
    except (AttributeError, OSError, ValueError):  # no isatty, or a closed stream
        return None


def base64_size(size: int) -> int:
    """Bytes of `size` bytes in MIME base64: 76-character lines (57 bytes each) with CRLF."""
    encoded = (size + 2) // 3 * 4
    return encoded + 2 * ((encoded + 75) // 76)


def format_bytes(size: float) -> str:
    """`512 B`, `1.5 KB`, `5.0 MB`, `1.2 GB` (binary multiples, as Windows shows file sizes)."""
    if size < 1024:
        return f"{int(size)} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


def render(
    done: int,
    total: int,
    *,
    unit: Unit = "bytes",
    count: int | None = None,
    count_total: int | None = None,
    rate: float | None = None,
) -> str:
    """The progress line, without the carriage return: `[#####---] 25 %  1.2 MB / 5.0 MB`.

    `total` <= 0: unknown (no bar, no percentage). `count`/`count_total`: a second counter
    (messages of a flush), `rate`: units per second.
    """
    parts: list[str] = []
    if total > 0:
        fraction = min(max(done, 0) / total, 1.0)
        filled = int(fraction * BAR_WIDTH)
        parts.append("[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]")
        parts.append(f"{int(fraction * 100):3d} %")
    if unit == "bytes":
        parts.append(format_bytes(done) + (f" / {format_bytes(total)}" if total > 0 else ""))
    else:
        parts.append(f"{done}/{total}" if total > 0 else str(done))
    if count is not None:
        parts.append(f"{count}/{count_total}" if count_total else str(count))
    if rate is not None:
        parts.append((format_bytes(rate) if unit == "bytes" else f"{rate:.0f}") + "/s")
    return "  ".join(parts)


def _width(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a real terminal (tests), or closed
        return 80
    return columns if columns > 0 else 80  # a pseudo-terminal nobody sized reports 0


class Progress:
    """A progress line on `stream` (None: draws nothing, every call is a no-op).

    `total`: the expected amount (bytes or items; 0 when unknown; raised when `done` passes
    it, since some totals are estimates). `count_total`: a second counter shown as N/M.
    """

    def __init__(
        self,
        stream: TextIO | None,
        total: int,
        *,
        unit: Unit = "bytes",
        count_total: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self.stream = stream
        self.total = total
        self.unit: Unit = unit
        self.done = 0
        self.count: int | None = None if count_total is None else 0
        self.count_total = count_total
        self.clock = clock
        self.interval = interval
        self.start = clock()
        self.drawn = False  # drawn at least once
        self._last: float | None = None  # when the line was last drawn; None: draw at once
        self._shown = 0  # characters on screen now
        self._width = _width(stream) if stream is not None else 80

    def update(self, done: int | None = None, *, count: int | None = None) -> None:
        """Record progress; redraw unless the last drawing is younger than `interval`."""
        if done is not None:
            self.done = done
        if count is not None:
            self.count = count
            if self.count_total is not None and count > self.count_total:
                self.count_total = count
        if self.stream is None:
            return
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return
        self._draw(now)

    def _draw(self, now: float) -> None:
        if self.stream is None:
            return
        if self.total > 0 and self.done > self.total:
            self.total = self.done
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed >= RATE_AFTER else None
        line = render(
            self.done,
            self.total,
            unit=self.unit,
            count=self.count,
            count_total=self.count_total,
            rate=rate,
        )[: max(self._width - 1, 10)]  # a wrapped line cannot be redrawn with \r
        pad = " " * max(self._shown - len(line), 0)
        if self._write("\r" + line + pad):
            self._shown = len(line)
            self._last = now
            self.drawn = True

    def _write(self, data: str) -> bool:
        assert self.stream is not None
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing, never fail
            self.stream = None
            return False
        return True

    def clear(self) -> None:
        """Wipe the line (the next update draws it again at once)."""
        if self.stream is not None and self._shown:
            self._write("\r" + " " * self._shown + "\r")
        self._shown = 0
        self._last = None

    def finish(self) -> None:
        """Show the end (100 % when the total is known), then wipe the line. Nothing when the
        bar was never drawn."""
        if self.stream is None or not self.drawn:
            return
        if self.total > 0:
            self.done = max(self.done, self.total)
        if self.count_total is not None:
            self.count = self.count_total
        self._draw(self.clock())
        self.clear()


def counted(
    chunks: Iterable[bytes], bar: Progress, *, start: int = 0, finish: bool = True
) -> Iterator[bytes]:
    """`chunks` unchanged (the same objects: a Base64Block stays one) while `bar` counts them:
    a chunk counts once the consumer comes back for the next one, i.e. once it was written.
    With `finish`, the bar ends (100 %, cleared) when the last chunk was taken; in any case it
    is cleared when the iteration stops early."""
    done = start
    bar.update(done)
    complete = False
    try:
        for chunk in chunks:
            yield chunk
            done += len(chunk)
            bar.update(done)
        complete = True
    finally:
        if complete and finish:
            bar.finish()
        elif not complete:
            bar.clear()
