"""The scheduler's held connection: one SMTP connection for messages handed over at different
times, the one home of "a connection kept between sends" (the public API's Mailer,
pysmail/api/mailer.py; the outbox's flush, delivery/outbox/flush.py, for `smail --flush`,
`--queue` and the logging handler).

`deliver()` (scheduler.py) hangs up when its jobs run out; a `HeldDelivery` runs the same
scheduler, the same pipelining, BDAT, reconnection and per-message outcomes, but with its `hold`
flag: out of jobs, the scheduler returns with the connection open, the last reply is read here,
and the connection stays open after each `run()` while it is alive. A connection the server closed
in between (an idle timeout, a 421) is found out by the next message, which goes again over a
new connection as --batch's do. `close()` hangs up.
"""

from __future__ import annotations

import time

from pysmail.delivery.retry import Backoff
from pysmail.delivery.scheduler import Interrupted, _Scheduler, reconnect_wait
from pysmail.errors import NetworkError

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from pysmail.delivery.scheduler import Job, Result
    from pysmail.smtp.connection import SmtpConnection

__all__ = ["HeldDelivery"]


def _no_job() -> Job | None:
    return None


def _no_result(result: Result) -> None:
    return None


class HeldDelivery:
    """deliver() over a connection that outlives each run. Not thread-safe (one connection).

    `run(next_job, on_result, gate)` has deliver()'s contract (every job taken ends in one
    on_result call; Aborted when no connection can be had; Interrupted on Ctrl+C); job tags
    must be unique within a run. `gate`: deliver()'s (pacing: it runs once the message before
    is answered); with `gate_drains=False` it runs at once and the messages stay pipelined (a
    gate that only refuses, as the outbox's once its run has stopped). `max_attempts=1,
    connect_tries=1`: each message tried once (the outbox's rule; its flush decides again).
    """

    def __init__(
        self,
        connect: Callable[[], SmtpConnection],
        *,
        max_attempts: int = 3,
        connect_tries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        scheduler = _Scheduler(_no_job, connect, _no_result, None, max_attempts, None)
        scheduler.hold = True
        scheduler.connect_tries = connect_tries
        scheduler.wait = reconnect_wait(sleep, Backoff(1.0, 30.0))
        self._scheduler = scheduler

    @property
    def connected(self) -> bool:
        """Whether a connection is open now (kept from the last run)."""
        return self._scheduler.conn is not None

    def run(
        self,
        next_job: Callable[[], Job | None],
        on_result: Callable[[Result], None],
        gate: Callable[[Job], None] | None = None,
        *,
        gate_drains: bool = True,
    ) -> None:
        scheduler = self._scheduler
        scheduler.next_job = next_job
        scheduler.on_result = on_result
        scheduler.gate, scheduler.gate_drains = gate, gate_drains
        scheduler.failures = 0
        scheduler.attempts.clear()  # every job of the last run has had its outcome
        scheduler.maybe.clear()
        try:
            scheduler.run()
            while self._rest():  # the last message goes again, over a new connection
                scheduler.run()
        except KeyboardInterrupt as exc:  # say which messages may have been delivered
            maybe = scheduler.maybe_sent()
            conn, scheduler.conn = scheduler.conn, None
            if conn is not None:
                conn.alive = False  # hang up: no QUIT to wait for after Ctrl+C
                conn.close()
            raise Interrupted(maybe) from exc
        finally:
            scheduler.report()
            scheduler.next_job, scheduler.on_result = _no_job, _no_result
            scheduler.gate = None

    def _rest(self) -> bool:
        """Out of jobs: read the last message's reply and keep the connection while it lives
        (the scheduler's hang_up, without the QUIT). True when a message must go again."""
        scheduler = self._scheduler
        conn = scheduler.conn
        if conn is None:
            return False
        try:
            scheduler.settle(conn.drain(), conn)
        except NetworkError as err:  # lost: what was in flight goes again
            scheduler.lost(conn, None, err)
        scheduler.report()
        if not conn.alive:  # lost, or a 421
            conn.close()
            scheduler.conn = None
        return bool(scheduler.retry)

    def close(self) -> None:
        """Hang up (a reply still pending read first, then QUIT), if a connection is open."""
        scheduler = self._scheduler
        if scheduler.conn is not None:
            scheduler.hang_up(scheduler.conn)
