"""Sending what is due in the outbox: `--flush`, or the one message `--queue` just put there.

The messages of one flush go over one connection, pipelined (docs/decisions.md D39, D43): the
scheduler's held connection (delivery/held.py), opened for the first message (greeting, EHLO,
STARTTLS, AUTH once), opened again after a failure took it down or a long pacing wait, closed
(QUIT) when the flush ends; each message tried once (the outbox decides when it goes again)."""

from __future__ import annotations

import sys
import time

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from pysmail.app.context import Context
    from pysmail.config.model import Settings
    from pysmail.delivery.outbox import Event
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace
    from pysmail.ui.progress import Progress

__all__ = ["flush_outbox"]

HOLD = 0.1  # seconds: a Sent line this soon after the last block waits for the next line


def flush_outbox(
    settings: Settings,
    ctx: Context,
    trace: Trace | None,
    auth: AuthRequest | None,
    source: TokenSource | None,
    only: list[Path] | None,
    on_event: Callable[[Event], None] | None = None,
    lock_wait: float = 0.0,
) -> int:
    """Send what is due in the outbox (`--flush`, or the one message just queued).
    `on_event` (smail-sendmail) gets every event instead of the report lines; `lock_wait`: how
    long to wait for another process's flush to end (0: leave the work to it)."""
    from pysmail.app.pacer import pacer
    from pysmail.app.settings import spool_of
    from pysmail.config.params import smtp_params
    from pysmail.delivery.batch.run import connector
    from pysmail.delivery.held import HeldDelivery
    from pysmail.delivery.outbox import flush, interrupted

    spool = spool_of(settings, ctx.env)
    report = _Report(settings, ctx, only, on_event, *_flush_bar(settings, spool, only))
    held = HeldDelivery(
        connector(smtp_params(settings), auth, source, trace), max_attempts=1, connect_tries=1
    )
    ctx.out.bar = report.bar
    try:
        result = flush(
            spool, held, report=report, pacer=pacer(settings), only=only,
            watch=report.watch if report.bar is not None else None, lock_timeout=lock_wait,
        )  # fmt: skip
        held.close()  # --queue's own message(s): QUIT before the report line, as ever
        report.release()
    except KeyboardInterrupt as exc:  # say what is true: queued, sent, or maybe delivered
        from pysmail.delivery.retry import DataSentInterrupt

        after_data = isinstance(exc, DataSentInterrupt)
        raise interrupted(spool, only, report.sent, after_data=after_data) from exc
    finally:
        held.close()
        report.emit()  # before any ERR block: the lines of what was sent come first
        ctx.out.bar = None
        if report.bar is not None:
            report.bar.clear()
    if only is not None and not result.failed:
        return int(ErrCode.OK)  # --queue: sent, or safely in the outbox for the next --flush
    return result.exit_code()


class _Report:
    """A flush's events: the report lines (`--queue`'s own after the QUIT, and only what
    went wrong unless -d), or smail-sendmail's `on_event`; the bar; the names sent."""

    def __init__(
        self,
        settings: Settings,
        ctx: Context,
        only: list[Path] | None,
        on_event: Callable[[Event], None] | None,
        bar: Progress | None,
        sizes: dict[str, int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from pysmail.delivery.outbox import describe
        from pysmail.ui.progress import terminal

        self.ctx, self.on_event, self.bar, self.sizes = ctx, on_event, bar, sizes
        self.describe = describe
        self.quiet = only is not None and not settings.debug
        self.later: list[Event] | None = [] if only is not None else None
        self.sent: list[str] = []  # for the message of a Ctrl+C
        self.finished = [0, 0]  # messages done, and their bytes (the bar's base)
        # To a file or a pipe, a "Sent" line within HOLD of the last block waits for the next
        # line (any other kind goes at once, with what is held) or the run's end; on a
        # terminal and with -d (its transcript interleaves) each line goes out as it comes.
        alone = settings.debug or terminal(ctx.out.stream, silent=False) is not None
        self.held: list[str] | None = None if alone else []
        self.clock = clock
        self.shown_at = -HOLD  # the first line goes out at once

    def __call__(self, event: Event) -> None:
        if event.kind == "sent":
            self.sent.append(event.name)
        if self.later is not None:
            self.later.append(event)
        else:
            self.show(event)
        if self.bar is not None and event.kind in ("sent", "deferred", "failed", "expired"):
            self.finished[0] += 1
            self.finished[1] += self.sizes.get(event.name, 0)
            self.bar.update(self.finished[1], count=self.finished[0])

    def show(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)
            return
        if self.quiet and event.kind in ("sent", "deferred"):
            return
        line = self.describe(event, self.ctx.lang)
        if self.held is None:
            self.ctx.out.line(line)
            return
        self.held.append(line)
        if event.kind != "sent" or self.clock() - self.shown_at >= HOLD:
            self.emit()

    def emit(self) -> None:
        """The report lines held back, in one write."""
        if self.held:
            self.ctx.out.line("\n".join(self.held))
            self.held.clear()
        self.shown_at = self.clock()

    def release(self) -> None:
        """The events held back (`--queue`), the lines held back, and the bar's end."""
        for event in self.later or ():
            self.show(event)
        self.later = None
        self.emit()
        if self.bar is not None:
            self.bar.finish()

    def watch(self, chunks: Iterable[bytes]) -> Iterable[bytes]:
        """A message's bytes, counted on the bar as they go."""
        from pysmail.ui.progress import counted

        assert self.bar is not None
        return counted(chunks, self.bar, start=self.finished[1], finish=False)


def _flush_bar(
    settings: Settings, spool: Path, only: list[Path] | None
) -> tuple[Progress | None, dict[str, int]]:
    """The bar of a flush on a terminal without -S (bytes, and N/M messages), with the size of
    every message due. `--queue` (`only`): a bar only for a large message."""
    from pysmail.ui.progress import LARGE, Progress, terminal

    stream = terminal(sys.stderr, settings.silent)
    if stream is None:
        return None, {}
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
