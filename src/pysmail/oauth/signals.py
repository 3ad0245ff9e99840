"""Ctrl+C, SIGTERM, SIGHUP (SIGBREAK on Windows) around a token request and its save (D20)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["GRACE", "RequestSignals", "deferred_signals", "request_signals"]

# Seconds a token request that has gone out still waits for its answer after Ctrl+C/SIGTERM: the
# answer may carry the rotated refresh token, the only valid one (D20).
GRACE = 3.0


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl+C, SIGTERM, SIGHUP (SIGBREAK on Windows) until the block ends, then deliver them.

    For a block with no network wait in it (D20): a token request uses request_signals().
    SIGKILL cannot be held. Only the main thread can set handlers; elsewhere this does nothing.
    """
    with request_signals() as signals:
        signals.hold()
        yield


_SIGNAL_NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")


class RequestSignals:
    """What request_signals() does with Ctrl+C, SIGTERM, SIGHUP (SIGBREAK on Windows)."""

    def __init__(self) -> None:
        self.holding = False
        self.received: list[int] = []
        self.previous: dict[int, object] = {}

    def hold(self) -> None:
        """The answer is in: hold every signal until the block ends (the token is being saved)."""
        self.holding = True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        from pysmail.net.deadline import Deadline

        if self.holding or Deadline.asked:
            self.received.append(signum)
            if not self.holding:
                Deadline.hurry(GRACE)  # the wait ends within GRACE (or at its deadline)
            return
        # The request has not gone out: no token can be spent, so the signal acts now.
        import signal

        self.restore()
        signal.raise_signal(signum)

    def restore(self) -> None:
        import signal

        previous, self.previous = self.previous, {}
        for signum, handler in previous.items():
            # None: a handler installed outside Python; the default is the closest we can restore
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # type: ignore[arg-type]


@contextmanager
def request_signals() -> Iterator[RequestSignals]:
    """Ctrl+C, SIGTERM, SIGHUP (SIGBREAK on Windows) around a token request and its save (D20).

        with request_signals() as signals:
            result = http.post_form(...)  # bounded by OAUTH2_TIME_OUT
            signals.hold()
            ...  # save the rotated refresh token and the cache

    Before the request has gone out, a signal acts at once (nothing is spent yet). While its
    answer is awaited, the wait is cut to GRACE seconds (pysmail.net.deadline: Deadline.hurry), so
    an answer already on its way is still saved; after hold(), signals wait for the block's end.
    Every held signal is delivered when the block ends. Never longer than GRACE plus the save:
    smail does not keep running for OAUTH2_TIME_OUT after Ctrl+C. Only the main thread can set
    handlers; elsewhere the signals act as usual and hold() does nothing.
    """
    import signal
    import threading

    from pysmail.net.deadline import Deadline

    state = RequestSignals()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    Deadline.reset()
    for signum in [getattr(signal, n) for n in _SIGNAL_NAMES if hasattr(signal, n)]:
        try:
            state.previous[signum] = signal.signal(signum, state.handle)
        except (OSError, ValueError):
            continue
    try:
        yield state
    finally:
        state.restore()
        Deadline.reset()
        for signum in dict.fromkeys(state.received):
            signal.raise_signal(signum)
