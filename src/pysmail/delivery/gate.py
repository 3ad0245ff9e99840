"""The scheduler's pacing gate (deliver(gate=)): a job waits until the provider's limits let it
go (pysmail.delivery.pacing decides, purely; this is where the waiting happens)."""

from __future__ import annotations

from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from pysmail.delivery.pacing import Pacer
    from pysmail.delivery.scheduler import Job

__all__ = ["pacing_gate"]


def pacing_gate(pacer: Pacer, sleep: Callable[[float], None]) -> Callable[[Job], None]:
    """The scheduler's gate (deliver(gate=)): waits until `pacer` lets the job go (several
    connections share it); a job with more recipients than a message may have fails."""
    import math
    import threading

    lock = threading.Lock()

    def gate(job: Job) -> None:
        while True:
            with lock:
                wait = pacer.delay(len(job.recipients))
                if math.isinf(wait):
                    raise SmailError(
                        ErrCode.HANDLING,
                        "batch.too_many_recipients",
                        count=len(job.recipients),
                        preset=pacer.limits.name,
                    )
                if wait <= 0:
                    pacer.record(len(job.recipients))
                    return
            sleep(wait)

    return gate
