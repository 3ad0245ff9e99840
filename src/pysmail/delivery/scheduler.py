"""The delivery scheduler: a stream of jobs over reconnecting SMTP connections.

`deliver()` reconnects when the connection drops or the server says 421 (or refuses MAIL once
a connection has carried messages: a per-session message limit), retries the messages that
were in flight, and reports each job's outcome once. Its state is one `_Scheduler`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from pysmail.delivery.retry import Backoff, classify
from pysmail.errors import NetworkError, SmailError
from pysmail.record import SlotValue
from pysmail.smtp.protocol import goes_again

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.smtp.connection import SmtpConnection
    from pysmail.smtp.protocol import Outcome
    from pysmail.smtp.replies import Reply

__all__ = ["Aborted", "Interrupted", "Job", "Result", "deliver"]


class Job(SlotValue):
    """One message to deliver. `chunks()` gives a fresh stream for each attempt."""

    tag: int
    sender: str
    recipients: tuple[str, ...]
    chunks: Callable[[], Iterable[bytes]]
    smtputf8: bool = False
    eight_bit: bool = False


class Result(SlotValue):
    """A job's final outcome. `maybe_duplicate`: an earlier attempt may have been delivered
    too (the connection was lost after its data, before the reply)."""

    job: Job
    reply: Reply | None
    error: SmailError | None
    attempts: int
    maybe_duplicate: bool = False


class Aborted(Exception):
    """No connection could be had: `error` says why; the remaining jobs were not sent."""

    def __init__(self, error: SmailError) -> None:
        super().__init__(error)
        self.error = error


class Interrupted(KeyboardInterrupt):  # noqa: N818 - it is a KeyboardInterrupt
    """Ctrl+C during deliver(): `maybe_sent` holds the jobs whose whole message had gone to
    the server with no answer known then (it may have accepted them). A KeyboardInterrupt
    still, so every handler of Ctrl+C sees it."""

    def __init__(self, maybe_sent: frozenset[int]) -> None:
        super().__init__()
        self.maybe_sent = maybe_sent


def deliver(
    next_job: Callable[[], Job | None],
    connect: Callable[[], SmtpConnection],
    on_result: Callable[[Result], None],
    *,
    gate: Callable[[Job], None] | None = None,
    max_attempts: int = 3,
    max_per_connection: int | None = None,
    connect_tries: int = 4,
    base: float = 1.0,
    cap: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] | None = None,
) -> None:
    """Deliver jobs from `next_job()` (None: no more) until there are none; report each once.

    One connection at a time (call it from N threads for N connections). A dropped connection
    or a 421 sends the messages in flight again over a new connection (at most `max_attempts`
    tries each; a message whose data had gone out may then arrive twice, same Message-ID).
    A 4xx to MAIL on a connection that already carried messages is taken as a per-session
    limit: new connection, same message. `max_per_connection` reconnects proactively. After
    a lost data reply, later connections stop pipelining across messages (pipeline_across).
    `gate(job)` runs before each message, once the one before it is answered and reported
    (pacing: it may sleep, or raise SmailError to fail the job). A connection that cannot be
    opened is retried `connect_tries` times with backoff; then Aborted(error) is raised (jobs
    not yet taken stay untaken).

    While a connection waits for the server (its `idle` hook), the successes learnt so far
    are reported and the next job is taken from `next_job()` with its chunks made: that work
    then costs no round-trip time. `on_result` is still called in the order outcomes are
    learnt, and every learnt outcome is reported before deliver() returns or raises.
    """
    scheduler = _Scheduler(next_job, connect, on_result, gate, max_attempts, max_per_connection)
    scheduler.connect_tries = connect_tries
    scheduler.wait = reconnect_wait(sleep, Backoff(base, cap, rng))
    try:
        scheduler.run()
    except KeyboardInterrupt as exc:  # say which messages may have been delivered
        raise Interrupted(scheduler.maybe_sent()) from exc
    finally:
        scheduler.report()


def reconnect_wait(sleep: Callable[[float], None], waits: Backoff) -> Callable[[int], None]:
    """The wait before opening a connection again after `failures` failed opens."""
    return lambda failures: sleep(waits.wait(failures - 1))


_Made = Iterable[bytes] | SmailError  # a job's chunks, or the error making them raised


class _Scheduler:
    """The state of one deliver() call: one connection at a time, the jobs around it.

    Work done while the server works (conn.idle, called inside submit() once the commands are
    on their way): the successes learnt from the previous submit() are `deferred` and reported
    there, and the next job is taken and its chunks made ready (`ahead`). Results keep their
    order: any other report first reports the deferred ones. An exception raised inside idle()
    is not the message's fault: it is kept in `trouble` and raised after submit().
    """

    def __init__(
        self,
        next_job: Callable[[], Job | None],
        connect: Callable[[], SmtpConnection],
        on_result: Callable[[Result], None],
        gate: Callable[[Job], None] | None,
        max_attempts: int,
        max_per_connection: int | None,
    ) -> None:
        self.next_job = next_job
        self.connect = connect
        self.on_result = on_result
        self.gate = gate
        self.max_attempts = max_attempts
        self.max_per_connection = max_per_connection
        self.connect_tries = 4
        self.wait: Callable[[int], None] = lambda failures: None
        self.attempts: dict[int, int] = {}
        self.maybe: set[int] = set()  # tags whose data may have been delivered already
        self.retry: deque[Job] = deque()
        self.inflight: dict[int, Job] = {}
        self.conn: SmtpConnection | None = None
        self.failures = 0
        # After a reply lost behind a pipelined next message, the following connections wait
        # for each data reply first: a server that breaks on it will not lose another one.
        self.cautious = False
        self.deferred: list[tuple[Job, Reply | None]] = []
        self.ahead: list[tuple[Job, _Made]] = []  # the next job, prepared
        self.trouble: list[BaseException] = []
        self.idled = 0
        self.hold = False  # out of jobs: return, the connection open (delivery/held.py)
        # The gate runs once the message before is answered and reported (pacing counts from
        # the reply); False: at once, pipelined (a gate that only refuses, delivery/held.py)
        self.gate_drains = True

    # -- reporting ---------------------------------------------------------------------------

    def report(self) -> None:
        """Report the deferred successes, in order."""
        while self.deferred:
            job, reply = self.deferred.pop(0)
            self.inflight.pop(job.tag, None)
            attempts = self.attempts.get(job.tag, 1)
            self.on_result(Result(job, reply, None, attempts, job.tag in self.maybe))

    def finish(self, job: Job, reply: Reply | None, error: SmailError | None) -> None:
        self.report()
        self.inflight.pop(job.tag, None)
        attempts = self.attempts.get(job.tag, 1)
        self.on_result(Result(job, reply, error, attempts, job.tag in self.maybe))

    def again(self, job: Job, error: SmailError) -> None:
        """Send `job` once more on a new connection, or fail it when its tries are used up."""
        self.inflight.pop(job.tag, None)
        tries = self.attempts.get(job.tag, 1)
        if tries >= self.max_attempts:
            self.finish(job, None, error)
            return
        self.attempts[job.tag] = tries + 1
        self.retry.append(job)

    def idle(self) -> None:
        """The connection's idle hook: report, and prepare the next job."""
        self.idled += 1
        try:
            self.report()
            if not self.ahead and not self.retry:
                upcoming = self.next_job()
                if upcoming is not None:
                    made: _Made
                    try:
                        made = upcoming.chunks()
                    except SmailError as exc:  # raised again where the job is submitted
                        made = exc
                    self.ahead.append((upcoming, made))
        except BaseException as exc:  # not the message's fault: raised after submit()
            self.trouble.append(exc)

    def maybe_sent(self) -> frozenset[int]:
        """The jobs that may have been delivered, with no answer known: lost after their
        data (waiting to go again), and the one whose data went out, its answer awaited."""
        maybe = set(self.maybe)
        if self.conn is not None and self.conn.pending is not None:
            maybe.add(self.conn.pending)
        return frozenset(maybe)

    # -- outcomes ----------------------------------------------------------------------------

    def settle(self, outcomes: list[Outcome], current: SmtpConnection) -> None:
        for outcome in outcomes:
            job = self.inflight[outcome.tag]
            err = outcome.error
            if err is None:
                self.deferred.append((job, outcome.reply))
            elif goes_again(outcome, current.sent):  # not the message's fault
                current.alive = False
                self.again(job, err)
            else:
                self.finish(job, None, err)

    def lost(self, current: SmtpConnection, job: Job | None, err: SmailError) -> None:
        """The connection failed: what was in flight goes again (maybe delivered already)."""
        self.settle(current.take_known(), current)
        self.report()
        if current.pending is not None:
            self.cautious = self.cautious or current.pipeline_across
            self.maybe.add(current.pending)
            self.again(self.inflight[current.pending], err)
            current.pending = None
        if job is not None and job.tag in self.inflight:
            self.again(job, err)
        current.alive = False
        current.close()

    def hang_up(self, conn: SmtpConnection) -> None:
        """Read the last message's reply (if it is lost, the message goes round again), QUIT."""
        try:
            self.settle(conn.drain(), conn)
        except NetworkError as err:
            self.lost(conn, None, err)
        self.report()
        conn.close()
        self.conn = None

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            if self.trouble:
                raise self.trouble.pop()
            job, made = self.take()
            if job is None:
                if self.conn is None or self.hold:
                    return
                self.hang_up(self.conn)
                continue
            conn = self.connection(job)
            if conn is None or (self.gate is not None and not self.passes_gate(job, conn)):
                continue
            self.submit(conn, job, made)

    def take(self) -> tuple[Job | None, _Made | None]:
        if self.retry:
            return self.retry.popleft(), None
        if self.ahead:
            return self.ahead.pop()
        return self.next_job(), None

    def connection(self, job: Job) -> SmtpConnection | None:
        """The connection to send `job` over: the open one, or a new one. None: `job` waits
        in `retry` for a connection (after the backoff). Raises Aborted."""
        conn = self.conn
        if conn is not None and (
            not conn.alive or (self.max_per_connection and conn.sent >= self.max_per_connection)
        ):
            self.hang_up(conn)
        if self.conn is not None:
            return self.conn
        try:
            conn = self.connect()
        except SmailError as err:
            self.failures += 1
            self.retry.appendleft(job)
            if classify(err).permanent or self.failures >= self.connect_tries:
                self.abort(err)
            self.wait(self.failures)
            return None
        self.failures = 0
        conn.idle = self.idle
        if self.cautious:
            conn.pipeline_across = False
        self.conn = conn
        return conn

    def abort(self, err: SmailError) -> None:
        for waiting in (*self.retry, *(prepared for prepared, _made in self.ahead)):
            self.finish(waiting, None, err)
        self.retry.clear()
        self.ahead.clear()
        raise Aborted(err) from err

    def passes_gate(self, job: Job, conn: SmtpConnection) -> bool:
        if self.gate is None:
            return True
        try:  # pacing counts from the server's reply: the message in flight is reported first
            if self.gate_drains:
                self.settle(conn.drain(), conn)
                self.report()
            self.gate(job)
        except NetworkError as err:  # lost meanwhile: `job` waits for the next connection
            self.lost(conn, None, err)
            self.conn = None
            self.retry.appendleft(job)
            return False
        except SmailError as err:
            self.report()
            self.on_result(Result(job, None, err, self.attempts.get(job.tag, 0)))
            return False
        if self.conn is not conn:  # the gate hung up (a long wait): `job` takes a new one
            self.retry.appendleft(job)
            return False
        return True

    def submit(self, conn: SmtpConnection, job: Job, made: _Made | None) -> None:
        self.attempts.setdefault(job.tag, 1)
        self.inflight[job.tag] = job
        before = self.idled
        try:
            if made is None:
                made = job.chunks()
            elif isinstance(made, SmailError):
                raise made
            outcomes = conn.submit(
                job.tag,
                job.sender,
                job.recipients,
                made,
                smtputf8=job.smtputf8,
                eight_bit=job.eight_bit,
            )
        except NetworkError as err:
            self.lost(conn, job, err)
            self.conn = None
            return
        except SmailError as err:  # the message itself is wrong (an unsafe address, a file)
            if not conn.alive:
                self.lost(conn, None, err)
                self.conn = None
            self.finish(job, None, err)
            return
        self.settle(outcomes, conn)
        if self.idled == before:  # this connection does not call idle(): report now
            self.report()
