"""One flush run over a delivery: the jobs it is given (each file read once, as it is sent), the
gate before each, and what each outcome does to the outbox's files (delivery/outbox/flush.py
holds the lock and lists what is due)."""

from __future__ import annotations

import contextlib
import json
import math
from collections import deque
from collections.abc import Callable, Iterable
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
from pysmail.delivery.outbox.sentlog import SentLog
from pysmail.delivery.outbox.spool import (
    FAILED,
    move_aside,
    queued,
    read_message,
    state_path,
    work_error,
    write_small,
)
from pysmail.delivery.retry import (
    Backoff,
    DataSentInterrupt,
    TrackedStream,
    Verdict,
    reply_lost,
)
from pysmail.delivery.scheduler import Aborted, Interrupted, Job
from pysmail.errors import NetworkError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

if TYPE_CHECKING:
    from pysmail.delivery.held import HeldDelivery as Delivery
    from pysmail.delivery.pacing import Pacer
    from pysmail.delivery.scheduler import Result

__all__ = ["IDLE_HANGUP", "Event", "FlushResult", "FlushRun"]

PACING_NAME = "pacing.json"
IDLE_HANGUP = 10.0  # seconds: a longer pacing wait closes the connection first


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


def load_history(spool: Path) -> list[tuple[float, int]]:
    try:
        doc = json.loads((spool / PACING_NAME).read_bytes())
        return [(float(t), int(n)) for t, n in doc]
    except (OSError, ValueError, TypeError):
        return []


def save_history(spool: Path, pacer: Pacer) -> None:
    with contextlib.suppress(OSError):
        write_small(spool / PACING_NAME, json.dumps(pacer.history()).encode("ascii"))


Outcome = Literal["next", "stop"]


class _NotTried(SmailError):
    """The gate's refusal of a message that stays as it is (the run stopped, or pacing)."""

    def __init__(self) -> None:
        super().__init__(ErrCode.TEMPORARY, "outbox.busy")


class _Sending:
    """A message taken for sending: its entry, and its byte stream of the last attempt."""

    __slots__ = ("entry", "stream", "has_state")

    def __init__(self, entry: Entry, has_state: bool) -> None:
        self.entry = entry
        self.has_state = has_state
        self.stream: TrackedStream | None = None


@record
class FlushPolicy:
    """How a flush run paces, waits and gives up: the `pacer` (None: no limits), the `clock`
    and `sleep`, the `backoff` between a message's tries and `classify_error` (retry.py's
    homes), a message's `lifetime` in the outbox, the longest pacing wait before the run ends."""

    pacer: Pacer | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    backoff: Backoff
    classify_error: Callable[..., Verdict]
    lifetime: float
    max_pacing_wait: float


class FlushRun:
    """One flush run: its settings, its clock and what it did so far (`result`); a mutable
    runner, so a plain class. The delivery asks it for jobs (next_job: each file read once,
    as it is sent), asks its gate before each, and tells it each outcome (on_result)."""

    def __init__(
        self, spool: Path, delivery: Delivery, report: Callable[[Event], None], policy: FlushPolicy
    ) -> None:
        self.spool = spool
        self.delivery = delivery
        self.report = report
        self.pacer = policy.pacer
        self.clock = policy.clock
        self.policy = policy
        self.result = FlushResult()
        self.sentlog = SentLog(spool)
        self.watch: Callable[[Iterable[bytes]], Iterable[bytes]] | None = None
        self.stopped = False  # a server-wide failure or pacing ended the run
        self.todo: deque[tuple[Path, QueueState | None]] = deque()
        self.taken: dict[int, _Sending] = {}
        self.spared: set[str] = set()  # messages sent once more after their connection failed
        self.lost: NetworkError | None = None  # the failure of the last reply lost
        self.tags = 0

    def due(self, tried: set[str], wanted: set[str] | None) -> list[tuple[Path, QueueState | None]]:
        """The messages to try now (their files are read as they are sent)."""
        now = self.clock()
        return [
            (path, state)
            for path, state in queued(self.spool)
            if (name := path.name) not in tried
            and (wanted is None or name in wanted)
            and (state is None or state.next_try <= now or wanted is not None)
        ]

    def send(self, due: list[tuple[Path, QueueState | None]]) -> None:
        self.todo.extend(due)
        try:
            self.delivery.run(
                self.next_job, self.on_result, self.gate, gate_drains=self.pacer is not None
            )
        except Aborted:  # no connection: every message taken had its outcome
            self.stopped = True
        except Interrupted as exc:  # Ctrl+C: mark what may have been delivered, say so
            maybe = [s for t, s in self.taken.items() if t in exc.maybe_sent or _handed(s)]
            for sending in maybe:
                _note_maybe_sent(sending.entry.path, sending.entry.state)
            if maybe or isinstance(exc.__cause__, DataSentInterrupt):
                raise DataSentInterrupt from exc
            raise

    def fail(self, path: Path, why: str) -> Path:
        """Move a message into failed/ with a time-stamped reason; return where it went."""
        return move_aside(path, self.spool / FAILED, f"{stamp(self.clock())} {why}")

    # -- the delivery's three hooks -----------------------------------------------------------

    def next_job(self) -> Job | None:
        """The next message to send: its file read (a corrupt one moved aside, an expired one
        to failed/ on the way). None when none is left or the run has stopped."""
        while self.todo and not self.stopped:
            path, state = self.todo.popleft()
            try:
                envelope, body = read_message(path)
            except FileNotFoundError:
                continue  # removed by hand meanwhile
            except (OSError, ValueError) as exc:
                where = self.fail(path, f"unreadable: {exc}")
                self.report(Event("corrupt", path.stem, where=where))
                continue
            entry = Entry(path, envelope, state or QueueState(), 0)
            if self.clock() - envelope.created > self.policy.lifetime:
                self.expire(entry)
                continue
            return self.job(_Sending(entry, state is not None), body)
        return None

    def job(self, sending: _Sending, body: Callable[[], Iterable[bytes]]) -> Job:
        env = sending.entry.envelope
        tag = self.tags = self.tags + 1
        self.taken[tag] = sending

        def chunks() -> Iterable[bytes]:
            stream = body() if self.watch is None else self.watch(body())
            sending.stream = TrackedStream(stream)
            return sending.stream

        ascii_only = all(a.isascii() for a in (env.sender, *env.recipients))
        smtputf8 = env.smtputf8 or not ascii_only
        return Job(tag, env.sender, env.recipients, chunks, smtputf8, env.eight_bit)

    def gate(self, job: Job) -> None:
        """Before each message: refuse once the run has stopped; the provider's pacing."""
        if self.stopped:
            raise _NotTried
        if self.pacer is not None and self.pace(self.taken[job.tag].entry, self.pacer):
            raise _NotTried

    def on_result(self, result: Result) -> None:
        sending = self.taken.pop(result.job.tag)
        err = result.error
        if err is None:
            self.sent(sending)
            return
        if isinstance(err, _NotTried):
            return
        if isinstance(err, NetworkError):
            if result.maybe_duplicate or _handed(sending):
                self.lost = err
                err = reply_lost(err)
            elif self.stopped:
                return  # in flight behind the failure that ended the run: not tried
            elif err is self.lost and self.spare(sending):
                return
        if self.failed(sending.entry, err) == "stop":
            self.stopped = True

    def spare(self, sending: _Sending) -> bool:
        """In flight behind a message whose reply was lost (the same failure), its own data
        not gone out: it was not tried, and goes once more, first, over a new connection."""
        entry = sending.entry
        if entry.name in self.spared:
            return False
        self.spared.add(entry.name)
        self.todo.appendleft((entry.path, entry.state if sending.has_state else None))
        return True

    # -- outcomes -----------------------------------------------------------------------------

    def expire(self, entry: Entry) -> None:
        state = entry.state
        where = self.fail(
            entry.path, f"expired after {state.attempts} attempt(s): {state.last_error}"
        )
        self.result.failed.append(entry.name)
        self.result.first_permanent = self.result.first_permanent or ErrCode.TEMPORARY
        self.report(Event("expired", entry.name, entry.envelope, state.attempts, where=where))

    def pace(self, entry: Entry, pacer: Pacer) -> bool:
        """Wait for the provider's limits; True when the message is not sent now."""
        env, attempts = entry.envelope, entry.state.attempts
        wait = pacer.delay(len(env.recipients))
        if math.isinf(wait):
            where = self.fail(entry.path, f"more recipients than {pacer.limits.name} accepts")
            self.result.failed.append(entry.name)
            self.result.first_permanent = self.result.first_permanent or ErrCode.HANDLING
            self.report(Event("failed", entry.name, env, attempts, where=where))
            return True
        if wait > self.policy.max_pacing_wait:
            self.result.paced = self.stopped = True
            self.report(Event("paced", entry.name, env, attempts, wait=wait))
            return True
        if wait > 0:
            self.report(Event("paced", entry.name, env, attempts, wait=wait))
            if wait > IDLE_HANGUP:
                self.delivery.close()  # a server may drop a connection that idles: log in again
            self.policy.sleep(wait)
        return False

    def failed(self, entry: Entry, err: SmailError) -> Outcome:
        """A failed attempt: to failed/ when permanent, else a later try (the run stops when
        the failure concerns the whole server)."""
        env, state, name = entry.envelope, entry.state, entry.name
        verdict = self.policy.classify_error(err)
        state.attempts += 1
        state.last_error = f"ERR-{int(err.code):04d} {error_text(err)}"
        state.maybe_sent = state.maybe_sent or verdict.ambiguous
        if verdict.permanent:
            where = self.fail(entry.path, state.last_error)
            self.result.failed.append(name)
            self.result.first_permanent = self.result.first_permanent or err.code
            self.report(Event("failed", name, env, state.attempts, err, verdict, where=where))
            return "next"
        wait = self.policy.backoff.wait(state.attempts - 1)
        state.next_try = self.clock() + wait
        try:
            write_small(state_path(entry.path), encode_state(state))
        except OSError as exc:
            raise work_error("outbox.write_failed", state_path(entry.path), exc) from exc
        self.result.deferred.append(name)
        self.report(Event("deferred", name, env, state.attempts, err, verdict, wait=wait))
        return "stop" if verdict.scope == "server" else "next"

    def sent(self, sending: _Sending) -> None:
        """The final 250: only now may the message go (written down in the sent journal, its
        files removed later; where the journal cannot be written, removed at once)."""
        entry = sending.entry
        try:
            self.sentlog.add(entry.path, sending.has_state)
        except OSError:
            _remove_sent(entry, sending.has_state)
        except KeyboardInterrupt as exc:  # delivered; its line maybe not written
            _note_maybe_sent(entry.path, entry.state)
            raise DataSentInterrupt from exc
        env, state, name = entry.envelope, entry.state, entry.name
        self.result.sent.append(name)
        if state.maybe_sent:
            self.result.maybe_duplicated.append(name)
        if self.pacer is not None:
            self.pacer.record(len(env.recipients))
            save_history(self.spool, self.pacer)
        self.report(Event("sent", name, env, state.attempts + 1))


def _handed(sending: _Sending) -> bool:
    """The whole message was handed to the connection: it may have been delivered."""
    return sending.stream is not None and sending.stream.finished


def _remove_sent(entry: Entry, has_state: bool) -> None:
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
    if has_state:
        with contextlib.suppress(OSError):
            state_path(entry.path).unlink()


def _note_maybe_sent(path: Path, state: QueueState) -> None:
    """Mark a message interrupted after its data went out: a later flush that sends it counts
    it as maybe duplicated (best effort: the interrupt is what gets reported)."""
    state.maybe_sent = True
    with contextlib.suppress(OSError):
        write_small(state_path(path), encode_state(state))
