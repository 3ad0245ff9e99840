"""The pacing gate of a --batch run: the provider's limits (delivery/pacing.py) between the
workers and the connections, counted on the server's clock."""

from __future__ import annotations

from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from pysmail.delivery.pacing import Pacer
    from pysmail.delivery.scheduler import Job, Result

__all__ = ["PacingGate", "paced"]


class PacingGate:
    """The pacer between the workers and the connections: `gate(job)` waits until `job` may go
    and counts it; the `reporting` wrapper of on_result counts it again from when it was done
    (Pacer.settle), so that the limit holds on the server's clock, pipelined and parallel
    messages included."""

    def __init__(self, pacer: Pacer, sleep: Callable[[float], None]) -> None:
        import threading

        self.pacer, self.sleep = pacer, sleep
        self.lock = threading.Lock()
        self.pending: dict[int, list[tuple[float, int]]] = {}

    def gate(self, job: Job) -> None:
        import math

        pacer = self.pacer
        while True:
            with self.lock:
                wait = pacer.delay(len(job.recipients))
                if math.isinf(wait):
                    raise SmailError(
                        ErrCode.HANDLING,
                        "batch.too_many_recipients",
                        count=len(job.recipients),
                        preset=pacer.limits.name,
                    )
                if wait <= 0:
                    event = pacer.record(len(job.recipients))
                    self.pending.setdefault(job.tag, []).append(event)
                    return
            self.sleep(wait)

    def reporting(self, on_result: Callable[[Result], None]) -> Callable[[Result], None]:
        """`on_result` that settles each message first."""

        def settled(result: Result) -> None:
            with self.lock:
                for event in self.pending.pop(result.job.tag, ()):
                    self.pacer.settle(event)
            on_result(result)

        return settled


def paced(
    pacer: Pacer | None, sleep: Callable[[float], None], on_result: Callable[[Result], None]
) -> tuple[Callable[[Job], None] | None, Callable[[Result], None]]:
    """(gate, on_result) of a run: the pacing gate and the reporting that settles, or none."""
    if pacer is None:
        return None, on_result
    pacing = PacingGate(pacer, sleep)
    return pacing.gate, pacing.reporting(on_result)
