"""Sending what is queued: one flush at a time, each due message once, retry timing, pacing."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pysmail.delivery.outbox.run import Event, FlushPolicy, FlushResult, FlushRun, load_history
from pysmail.delivery.outbox.sentlog import settle
from pysmail.delivery.outbox.spool import ensure_dir
from pysmail.delivery.retry import Backoff, Verdict, classify
from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode

if TYPE_CHECKING:
    from pysmail.delivery.held import HeldDelivery
    from pysmail.delivery.pacing import Pacer

__all__ = [
    "LIFETIME",
    "LOCK_NAME",
    "QUEUE_BASE",
    "QUEUE_CAP",
    "Event",
    "FlushResult",
    "flush",
]

LOCK_NAME = ".flush.lock"
QUEUE_BASE = 60.0  # first retry of a queued message: within a minute
QUEUE_CAP = 3600.0  # then no longer than an hour between tries
LIFETIME = 5 * 86400.0  # Postfix's maximal_queue_lifetime: then it moves to failed/


@contextlib.contextmanager
def _flush_lock(spool: Path, timeout: float) -> Iterator[bool]:
    """Hold the spool's lock; yields False (without it) when another process holds it."""
    from pysmail.fs.lock import FileLock

    lock = FileLock(spool / LOCK_NAME, timeout=timeout)
    try:
        lock.__enter__()
    except OAuthError as exc:  # FileLock speaks OAuth's ids: translate them
        if exc.msgid == "oauth.lock_timeout":
            yield False
            return
        reason = str(exc.params.get("reason", ""))
        raise SmailError(
            ErrCode.WORK_FILE, "outbox.lock_failed", path=spool / LOCK_NAME, reason=reason
        ) from exc
    try:
        yield True
    finally:
        lock.__exit__(None, None, None)


def flush(
    spool: Path,
    delivery: HeldDelivery,
    *,
    report: Callable[[Event], None] = lambda event: None,
    pacer: Pacer | None = None,
    only: Iterable[Path] | None = None,
    watch: Callable[[Iterable[bytes]], Iterable[bytes]] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] | None = None,
    lock_timeout: float = 0.0,
    max_pacing_wait: float = 65.0,
    base: float = QUEUE_BASE,
    cap: float = QUEUE_CAP,
    lifetime: float = LIFETIME,
    classify_error: Callable[..., Verdict] = classify,
) -> FlushResult:
    """Send what is due in the outbox, oldest first, one process at a time, by `delivery`
    (delivery/held.py's HeldDelivery: one connection, pipelined; the caller closes it).

    Each due message is tried once per flush (messages queued meanwhile are picked up too).
    Sent -> written down in the sent journal, its files removed behind the sending
    (sentlog.py; a journal a killed run left is settled first). Temporary failure -> stays,
    attempts+1, next try after a backoff with jitter (base*2**n, at most `cap`); a failure that
    concerns the whole server (connection refused, 421, 4.7.x throttling, token endpoint down)
    ends the run, leaving the rest for the next one (the one message already in flight behind
    it ends as the server says; if the connection's end took it down, it was not tried). A
    message whose connection failed before its data went out, not by a server-wide failure,
    goes once more over a new connection.
    Permanent failure, or older than `lifetime` -> moved to failed/ with a .reason. `pacer`
    (pacing.Pacer) slows the run down to the provider's limits, counting each message from its
    reply; a wait longer than `max_pacing_wait` ends the run. `only`: restrict the run to these
    .msg paths (`--queue`). `watch` wraps each message's byte stream (a progress bar). With
    `lock_timeout` 0, a run that finds another one in progress returns at once (busy).

    Raises: SmailError(WORK_FILE, "outbox.*") when the spool cannot be read or written.
    """
    import random

    waits = Backoff(base, cap, rng if rng is not None else random.random)
    policy = FlushPolicy(pacer, clock, sleep, waits, classify_error, lifetime, max_pacing_wait)
    run = FlushRun(spool, delivery, report, policy)
    run.watch = watch
    ensure_dir(spool)
    wanted = None if only is None else {Path(p).name for p in only}
    with _flush_lock(spool, lock_timeout) as locked:
        if not locked:
            run.result.busy = True
            report(Event("busy"))
            return run.result
        settle(spool)  # what a killed run had sent: its files go, it is not sent again
        if pacer is not None:
            pacer.merge(load_history(spool))
        tried: set[str] = set()
        try:
            while not run.stopped and (due := run.due(tried, wanted)):
                tried.update(path.name for path, _ in due)
                run.send(due)
        except BaseException:  # Ctrl+C, a work-file error: the journal keeps what is not removed
            with contextlib.suppress(SmailError, KeyboardInterrupt):
                run.sentlog.close()
            raise
        run.sentlog.close()
    return run.result
