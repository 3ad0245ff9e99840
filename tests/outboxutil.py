"""A delivery for pysmail.delivery.outbox.flush (HeldDelivery's run and close) over a function
that sends one message, for the tests of the outbox's own rules (a scripted `send_one`) and of
its guarantee through a fault proxy (one connection per message: `smtp.session.send`). `smail
--flush` itself sends over the scheduler's held connection (delivery/held.py), tested in
tests/cli/test_flush_pipelined.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pysmail.delivery.scheduler import Interrupted, Job, Result
from pysmail.errors import SmailError


class OneByOne:
    """Each job by `send_one(job, chunks)` (returns after the final 250, raises SmailError), in
    turn; the gate before each, as the scheduler calls it."""

    def __init__(self, send_one: Callable[[Job, Iterable[bytes]], object]) -> None:
        self.send_one = send_one

    def run(
        self,
        next_job: Callable[[], Job | None],
        on_result: Callable[[Result], None],
        gate: Callable[[Job], None] | None = None,
        **_options: object,  # HeldDelivery's gate_drains: one job at a time either way
    ) -> None:
        while (job := next_job()) is not None:
            try:
                if gate is not None:
                    gate(job)
            except SmailError as err:
                on_result(Result(job, None, err, 0))
                continue
            try:
                reply = self.send_one(job, job.chunks())
            except SmailError as err:
                on_result(Result(job, None, err, 1))
                continue
            except KeyboardInterrupt as exc:
                raise Interrupted(frozenset()) from exc
            on_result(Result(job, reply, None, 1))  # type: ignore[arg-type]

    def close(self) -> None:
        return None
