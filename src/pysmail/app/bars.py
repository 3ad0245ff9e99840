"""Progress bars of a send and of a flush: on stderr when it is a terminal and -S is not given."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pathlib import Path
    from typing import TextIO

    from pysmail.config.model import Settings
    from pysmail.mime.compose import MessageSpec
    from pysmail.ui.progress import Progress

__all__ = ["bar_stream", "flush_bar", "send_bar"]


def bar_stream(settings: Settings) -> TextIO | None:
    """stderr, when a progress bar may be drawn on it: a terminal, and no -S."""
    if settings.silent:
        return None
    stream = sys.stderr
    try:
        return stream if stream is not None and stream.isatty() else None
    except (AttributeError, OSError, ValueError):
        return None


def flush_bar(
    settings: Settings, spool: Path, only: list[Path] | None
) -> tuple[Progress | None, dict[str, int]]:
    """The bar of a flush on a terminal (bytes, and N/M messages), with the size of every
    message due. `--queue` (`only`): a bar only for a large message."""
    stream = bar_stream(settings)
    if stream is None:
        return None, {}
    from pysmail.ui.progress import LARGE, Progress

    sizes = _due_sizes(spool, only)
    total = sum(sizes.values())
    if not sizes or (only is not None and total < LARGE):
        return None, sizes
    count_total = len(sizes) if only is None else None
    return Progress(stream, total, count_total=count_total), sizes


def _due_sizes(spool: Path, only: list[Path] | None) -> dict[str, int]:
    """name -> size of each message a flush sends: those named in `only`, else every one whose
    next try is due."""
    import time

    from pysmail.delivery.outbox import entries

    found, _bad = entries(spool)
    if only is not None:
        wanted = {p.name for p in only}
        return {e.name: e.size for e in found if e.path.name in wanted}
    now = time.time()
    return {e.name: e.size for e in found if e.state.next_try <= now}


def send_bar(settings: Settings, spec: MessageSpec) -> Progress | None:
    """A progress bar for a message with large attachments (together >= progress.LARGE), on
    a terminal; None otherwise. The plain small send looks at nothing but the file sizes and
    never imports pysmail.ui.progress."""
    if not spec.attachments:
        return None
    try:
        attached = [p.stat().st_size for p in spec.attachments]
    except OSError:
        return None  # composing reports it
    if sum(attached) < 1024 * 1024:  # progress.LARGE, without importing the module
        return None
    stream = bar_stream(settings)
    if stream is None:
        return None
    from pysmail.ui.progress import Progress, base64_size

    texts = sum(len(t.encode("utf-8", "replace")) for t in (spec.text, spec.html) if t)
    # Estimated: base64 attachments, texts a third bigger (quoted-printable or base64), and
    # a few KB of header fields and MIME part headers. counted() raises it if it was short.
    total = sum(base64_size(n) for n in attached) + texts * 4 // 3 + 2048 + 256 * len(attached)
    return Progress(stream, total)
