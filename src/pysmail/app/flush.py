"""Sending what is due in the outbox: `--flush`, or the one message `--queue` just put there."""

from __future__ import annotations

import sys

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from pysmail.app.context import Context
    from pysmail.config.model import Settings
    from pysmail.delivery.outbox import Envelope, Event
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace
    from pysmail.ui.progress import Progress

__all__ = ["flush_outbox"]


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
    from pysmail.app.auth import transaction_sender
    from pysmail.app.pacer import pacer
    from pysmail.app.settings import spool_of
    from pysmail.delivery.outbox import describe, flush, interrupted

    spool = spool_of(settings, ctx.env)
    quiet = only is not None and not settings.debug
    bar, sizes = _flush_bar(settings, spool, only)
    finished = [0, 0]  # messages done, and their bytes (the bar's base)
    sent: list[str] = []  # for the message of a Ctrl+C

    def report(event: Event) -> None:
        if event.kind == "sent":
            sent.append(event.name)
        if on_event is not None:
            on_event(event)
        elif not quiet or event.kind not in ("sent", "deferred"):
            ctx.out.line(describe(event, ctx.lang))
        if bar is not None and event.kind in ("sent", "deferred", "failed", "expired"):
            finished[0] += 1
            finished[1] += sizes.get(event.name, 0)
            bar.update(finished[1], count=finished[0])

    send_one = transaction_sender(settings, trace, auth, source)

    def send_entry(env: Envelope, chunks: Iterable[bytes]) -> object:
        if bar is not None:
            from pysmail.ui.progress import counted

            chunks = counted(chunks, bar, start=finished[1], finish=False)
        return send_one(env.sender, env.recipients, env.smtputf8, chunks, eight_bit=env.eight_bit)

    ctx.out.bar = bar
    try:
        result = flush(
            spool, send_entry, report=report, pacer=pacer(settings), only=only,
            lock_timeout=lock_wait,
        )  # fmt: skip
        if bar is not None:
            bar.finish()
    except KeyboardInterrupt as exc:  # say what is true: queued, sent, or maybe delivered
        from pysmail.delivery.retry import DataSentInterrupt

        after_data = isinstance(exc, DataSentInterrupt)
        raise interrupted(spool, only, sent, after_data=after_data) from exc
    finally:
        ctx.out.bar = None
        if bar is not None:
            bar.clear()
    if only is not None and not result.failed:
        return int(ErrCode.OK)  # --queue: sent, or safely in the outbox for the next --flush
    return result.exit_code()


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
