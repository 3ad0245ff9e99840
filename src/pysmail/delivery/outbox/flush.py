"""Sending what is queued: one flush at a time, each due message once, retry timing, pacing."""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pysmail.delivery.outbox.fileformat import (
    Entry,
    Envelope,
    QueueState,
    encode_state,
    error_text,
    stamp,
)
from pysmail.delivery.outbox.spool import (
    FAILED,
    ensure_dir,
    entries,
    move_aside,
    open_message,
    state_path,
    work_error,
    write_small,
)
from pysmail.delivery.retry import DataSentInterrupt, Verdict, backoff, classify, send_tracked
from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

if TYPE_CHECKING:
    from pysmail.delivery.pacing import Pacer

__all__ = [
    "LIFETIME",
    "LOCK_NAME",
    "QUEUE_BASE",
    "QUEUE_CAP",
    "Event",
    "FlushResult",
    "SendOne",
    "flush",
]

LOCK_NAME = ".flush.lock"
PACING_NAME = "pacing.json"
QUEUE_BASE = 60.0  # first retry of a queued message: within a minute
QUEUE_CAP = 3600.0  # then no longer than an hour between tries
LIFETIME = 5 * 86400.0  # Postfix's maximal_queue_lifetime: then it moves to failed/

# send_one(envelope, chunks): submit the message; return after the final 250, raise SmailError.
SendOne = Callable[[Envelope, Iterable[bytes]], object]


EventKind = Literal["sent", "deferred", "failed", "expired", "paced", "busy", "corrupt"]


@record
class Event:
    """One line of a flush report."""

    kind: EventKind
    name: str = ""
    envelope: Envelope | None = None
    attempts: int = 0
    error: SmailError | None = None
    verdict: Verdict | None = None
    wait: float = 0.0  # deferred: seconds until the next try; paced: seconds to wait
    where: Path | None = None  # failed/expired/corrupt: where the message went


class FlushResult:
    """What a flush did: names of the messages sent, deferred (still queued) and failed. A
    plain class, not a @record: the run fills it in as it goes."""

    __slots__ = (
        "busy",
        "deferred",
        "failed",
        "first_permanent",
        "maybe_duplicated",
        "paced",
        "sent",
    )

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.deferred: list[str] = []
        self.failed: list[str] = []
        self.maybe_duplicated: list[str] = []  # sent after a lost reply
        self.busy = False  # another process was flushing: nothing done
        self.paced = False  # stopped early: a provider limit needs a longer wait
        self.first_permanent: ErrCode | None = None

    def exit_code(self) -> int:
        """0 when the queue is empty of due work; the first permanent error's code when a
        message failed; TEMPORARY (ERR-0029) when messages are still waiting."""
        if self.first_permanent is not None:
            return int(self.first_permanent)
        if self.deferred or self.paced:
            return int(ErrCode.TEMPORARY)
        return int(ErrCode.OK)


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


def _load_history(spool: Path) -> list[tuple[float, int]]:
    try:
        doc = json.loads((spool / PACING_NAME).read_bytes())
        return [(float(t), int(n)) for t, n in doc]
    except (OSError, ValueError, TypeError):
        return []


def _save_history(spool: Path, pacer: Pacer) -> None:
    with contextlib.suppress(OSError):
        write_small(spool / PACING_NAME, json.dumps(pacer.history()).encode("ascii"))


def flush(
    spool: Path,
    send_one: SendOne,
    *,
    report: Callable[[Event], None] = lambda event: None,
    pacer: Pacer | None = None,
    only: Iterable[Path] | None = None,
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
    """Send what is due in the outbox, oldest first, one process at a time.

    Each due message is tried once per flush (messages queued meanwhile are picked up too).
    Sent -> removed. Temporary failure -> stays, attempts+1, next try after a backoff with
    jitter (base*2**n, at most `cap`); a failure that concerns the whole server (connection
    refused, 421, 4.7.x throttling, token endpoint down) ends the run, leaving the rest for the
    next one. Permanent failure, or older than `lifetime` -> moved to failed/ with a .reason.
    `pacer` (pacing.Pacer) slows the run down to the provider's limits; a wait longer than
    `max_pacing_wait` ends the run. `only`: restrict the run to these .msg paths (`--queue`).
    With `lock_timeout` 0, a run that finds another one in progress returns at once (busy).

    Raises: SmailError(WORK_FILE, "outbox.*") when the spool cannot be read or written.
    """
    import random

    run = _Run(
        spool, send_one, report, pacer, clock, sleep, rng if rng is not None else random.random,
        max_pacing_wait, base, cap, lifetime, classify_error,
    )  # fmt: skip
    ensure_dir(spool)
    wanted = None if only is None else {Path(p).name for p in only}
    with _flush_lock(spool, lock_timeout) as locked:
        if not locked:
            run.result.busy = True
            report(Event("busy"))
            return run.result
        if pacer is not None:
            pacer.merge(_load_history(spool))
        tried: set[str] = set()
        while due := run.due(tried, wanted):
            for entry in due:
                tried.add(entry.path.name)
                if run.flush_one(entry) == "stop":
                    return run.result
    return run.result


Outcome = Literal["next", "stop"]


class _Run:
    """One flush run: its settings, its clock and what it did so far (`result`); a mutable
    runner, so a plain class."""

    def __init__(
        self,
        spool: Path,
        send_one: SendOne,
        report: Callable[[Event], None],
        pacer: Pacer | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        rand: Callable[[], float],
        max_pacing_wait: float,
        base: float,
        cap: float,
        lifetime: float,
        classify_error: Callable[..., Verdict],
    ) -> None:
        self.spool = spool
        self.send_one = send_one
        self.report = report
        self.pacer = pacer
        self.clock = clock
        self.sleep = sleep
        self.rand = rand
        self.max_pacing_wait = max_pacing_wait
        self.base = base
        self.cap = cap
        self.lifetime = lifetime
        self.classify_error = classify_error
        self.result = FlushResult()

    def due(self, tried: set[str], wanted: set[str] | None) -> list[Entry]:
        """The messages to try now (unreadable files go to failed/ on the way)."""
        found, bad = entries(self.spool)
        for path, why in bad:
            where = self.fail(path, f"unreadable: {why}")
            self.report(Event("corrupt", path.stem, where=where))
        now = self.clock()
        return [
            e
            for e in found
            if e.path.name not in tried
            and (wanted is None or e.path.name in wanted)
            and (e.state.next_try <= now or wanted is not None)
        ]

    def fail(self, path: Path, why: str) -> Path:
        """Move a message into failed/ with a time-stamped reason; return where it went."""
        return move_aside(path, self.spool / FAILED, f"{stamp(self.clock())} {why}")

    def flush_one(self, entry: Entry) -> Outcome:
        """Try one message: expired, paced, sent, deferred or failed."""
        if self.clock() - entry.envelope.created > self.lifetime:
            return self.expire(entry)
        if self.pacer is not None and (paced := self.pace(entry, self.pacer)) is not None:
            return paced
        state = entry.state
        try:
            with open_message(entry.path) as (envelope, chunks):
                send_tracked(lambda stream: self.send_one(envelope, stream), chunks)
        except DataSentInterrupt:  # Ctrl+C after the final ".": it may have been delivered
            _note_maybe_sent(entry.path, state)
            raise
        except SmailError as err:  # first: NetworkError is an OSError too
            return self.failed(entry, err)
        except FileNotFoundError:
            return "next"  # removed by hand meanwhile
        except (OSError, ValueError) as exc:
            where = self.fail(entry.path, f"unreadable: {exc}")
            self.report(Event("corrupt", entry.name, entry.envelope, where=where))
            return "next"
        return self.sent(entry)

    def expire(self, entry: Entry) -> Outcome:
        state = entry.state
        where = self.fail(
            entry.path, f"expired after {state.attempts} attempt(s): {state.last_error}"
        )
        self.result.failed.append(entry.name)
        self.result.first_permanent = self.result.first_permanent or ErrCode.TEMPORARY
        self.report(Event("expired", entry.name, entry.envelope, state.attempts, where=where))
        return "next"

    def pace(self, entry: Entry, pacer: Pacer) -> Outcome | None:
        """Wait for the provider's limits; an outcome when the message is not sent now."""
        env, attempts = entry.envelope, entry.state.attempts
        wait = pacer.delay(len(env.recipients))
        if math.isinf(wait):
            where = self.fail(entry.path, f"more recipients than {pacer.limits.name} accepts")
            self.result.failed.append(entry.name)
            self.result.first_permanent = self.result.first_permanent or ErrCode.HANDLING
            self.report(Event("failed", entry.name, env, attempts, where=where))
            return "next"
        if wait > self.max_pacing_wait:
            self.result.paced = True
            self.report(Event("paced", entry.name, env, attempts, wait=wait))
            return "stop"
        if wait > 0:
            self.report(Event("paced", entry.name, env, attempts, wait=wait))
            self.sleep(wait)
        return None

    def failed(self, entry: Entry, err: SmailError) -> Outcome:
        """A failed attempt: to failed/ when permanent, else a later try (the run stops when
        the failure concerns the whole server)."""
        env, state, name = entry.envelope, entry.state, entry.name
        verdict = self.classify_error(err)
        state.attempts += 1
        state.last_error = f"ERR-{int(err.code):04d} {error_text(err)}"
        state.maybe_sent = state.maybe_sent or verdict.ambiguous
        if verdict.permanent:
            where = self.fail(entry.path, state.last_error)
            self.result.failed.append(name)
            self.result.first_permanent = self.result.first_permanent or err.code
            self.report(Event("failed", name, env, state.attempts, err, verdict, where=where))
            return "next"
        wait = backoff(state.attempts - 1, base=self.base, cap=self.cap, rng=self.rand)
        state.next_try = self.clock() + wait
        try:
            write_small(state_path(entry.path), encode_state(state))
        except OSError as exc:
            raise work_error("outbox.write_failed", state_path(entry.path), exc) from exc
        self.result.deferred.append(name)
        self.report(Event("deferred", name, env, state.attempts, err, verdict, wait=wait))
        return "stop" if verdict.scope == "server" else "next"

    def sent(self, entry: Entry) -> Outcome:
        """The final 250: only now may the message go."""
        _remove_sent(entry)
        env, state = entry.envelope, entry.state
        self.result.sent.append(entry.name)
        if state.maybe_sent:
            self.result.maybe_duplicated.append(entry.name)
        if self.pacer is not None:
            self.pacer.record(len(env.recipients))
            _save_history(self.spool, self.pacer)
        self.report(Event("sent", entry.name, env, state.attempts + 1))
        return "next"


def _remove_sent(entry: Entry) -> None:
    """Remove a delivered message. On Windows a reader (`--queue-list`) holding it open makes
    the unlink fail for a moment; failing here would send it again next time."""
    from pysmail.fs.atomic import retry_shared

    try:
        retry_shared(entry.path.unlink)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise work_error("outbox.remove_failed", entry.path, exc) from exc
    except KeyboardInterrupt as exc:  # delivered, but maybe still on disk
        if entry.path.exists():
            _note_maybe_sent(entry.path, entry.state)
        raise DataSentInterrupt from exc
    with contextlib.suppress(OSError):
        state_path(entry.path).unlink()


def _note_maybe_sent(path: Path, state: QueueState) -> None:
    """Mark a message interrupted after its data went out: a later flush that sends it counts
    it as maybe duplicated (best effort: the interrupt is what gets reported)."""
    state.maybe_sent = True
    with contextlib.suppress(OSError):
        write_small(state_path(path), encode_state(state))
