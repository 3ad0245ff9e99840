"""A rolling-window pacer that says how long to wait before the next message, under the
provider's limits (config/limits.py holds them as data).

Pure: the clock is passed in; the history of what was sent is a plain list the caller stores
(the outbox keeps it in its spool folder, so limits hold across `smail --flush` runs).
Windows are rolling (the last 60 s, the last 24 h), as the providers count them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from pysmail.config.limits import Limits

__all__ = ["DAY", "MINUTE", "Pacer"]

MINUTE = 60.0
DAY = 86400.0


class Pacer:
    """How long to wait before the next message so that `limits` hold.

        pacer = Pacer(limits, clock=time.time, history=saved)
        wait = pacer.delay(len(recipients))   # 0.0: go now; math.inf: never (too many rcpts)
        ...send...
        pacer.record(len(recipients))
        saved = pacer.history()               # (time, recipients) of the last 24 h

    `clock` gives POSIX seconds (wall time: the history outlives the process).
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float],
        history: Iterable[tuple[float, int]] = (),
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._events: list[tuple[float, int]] = sorted((float(t), int(n)) for t, n in history)

    def merge(self, events: Iterable[tuple[float, int]]) -> None:
        """Add events recorded elsewhere (a saved history that may overlap ours): each distinct
        event is kept as many times as the larger of the two lists has it."""
        from collections import Counter

        ours = Counter(self._events)
        theirs = Counter((float(t), int(n)) for t, n in events)
        self._events = sorted((ours | theirs).elements())

    def history(self) -> list[tuple[float, int]]:
        """What was sent in the last 24 hours, oldest first (to persist between runs)."""
        self._prune(self._clock())
        return list(self._events)

    def too_many_recipients(self, recipients: int) -> bool:
        """True when one message has more recipients than the provider takes at all."""
        lim = self.limits
        per_msg = lim.recipients_per_message is not None and recipients > lim.recipients_per_message
        per_day = lim.recipients_per_day is not None and recipients > lim.recipients_per_day
        return per_msg or per_day

    def delay(self, recipients: int = 1) -> float:
        """Seconds to wait before sending a message to `recipients` addresses (0.0: now)."""
        if self.too_many_recipients(recipients):
            return math.inf
        now = self._clock()
        self._prune(now)
        lim = self.limits
        waits = [0.0]
        if lim.per_minute is not None:
            waits.append(self._count_wait(now, MINUTE, lim.per_minute))
        if lim.per_day is not None:
            waits.append(self._count_wait(now, DAY, lim.per_day))
        if lim.recipients_per_day is not None:
            waits.append(self._recipient_wait(now, recipients, lim.recipients_per_day))
        return max(waits)

    def record(self, recipients: int = 1) -> tuple[float, int]:
        """A message to `recipients` addresses was sent now, or is about to be (then settle()
        the returned event when the server has taken it). Returns the event."""
        now = self._clock()
        event = (now, recipients)
        self._events.append(event)
        self._events.sort()
        self._prune(now)
        return event

    def settle(self, event: tuple[float, int]) -> None:
        """The message recorded as `event` before it went is done now: count it from now.

        A provider counts a message when it accepts it, after the transfer; counted from the
        moment it was let through, a message whose transfer took longer than a later one's
        (the first of a connection: TLS and AUTH) would let that later one in before the
        window has passed on the server's clock."""
        try:
            self._events.remove(event)
        except ValueError:  # pruned meanwhile (a day old): nothing to move
            return
        self.record(event[1])

    # -- windows -------------------------------------------------------------------------------

    def _prune(self, now: float) -> None:
        cut = now - DAY
        if self._events and self._events[0][0] <= cut:
            self._events = [e for e in self._events if e[0] > cut]

    def _window(self, now: float, span: float) -> list[tuple[float, int]]:
        return [e for e in self._events if now - span < e[0] <= now]

    def _count_wait(self, now: float, span: float, limit: int) -> float:
        inside = self._window(now, span)
        if len(inside) < limit:
            return 0.0
        if limit <= 0:
            return math.inf
        # The event whose leaving the window brings the count below the limit.
        oldest_needed = inside[len(inside) - limit][0]
        return max(0.0, oldest_needed + span - now)

    def _recipient_wait(self, now: float, recipients: int, limit: int) -> float:
        inside = self._window(now, DAY)
        total = sum(n for _, n in inside) + recipients
        if total <= limit:
            return 0.0
        for when, n in inside:  # oldest first: wait until enough of them have left the window
            total -= n
            if total <= limit:
                return max(0.0, when + DAY - now)
        return math.inf  # pragma: no cover - too_many_recipients() caught it
