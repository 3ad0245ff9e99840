"""One operation's overall time limit, for every network wait (issue 12, docs/decisions.md D20).

A socket timeout bounds each read, not the wait: a peer that sends one byte a second never
trips it. A Deadline fixes the end of the wait when it starts; every socket call under it gets
the per-read timeout capped by what is left, and a spent deadline is a TimeoutError, the same
exception a socket timeout is, so every caller's timeout ERR stays the one it was.

    deadline = Deadline(30.0)
    sock.settimeout(deadline.timeout())  # before each recv/send/connect of the wait

Libraries that read through `sock.makefile("rb")` (http.client, poplib) get `DeadlineIO`,
whose every read is capped by the deadline it holds. Pure but for the clock: no threads, no
signals, no imports beyond `socket` (already loaded by every network path).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import ClassVar

__all__ = ["Deadline", "DeadlineIO"]


class Deadline:
    """The end of one wait: `seconds` from now on the monotonic clock.

    `per_read` (default `seconds`) is the longest any single socket call may block; the
    deadline caps it. timeout() raises TimeoutError once the time is spent.
    """

    __slots__ = ("_clock", "_expires", "per_read", "seconds")

    # Class-wide, for the one token request a process makes at a time (oauth/signals.py
    # request_signals): `asked` once the request has gone out; `hurry_at` (monotonic) once a
    # signal has cut every wait short, giving an answer already on its way a grace period.
    asked: ClassVar[bool] = False
    hurry_at: ClassVar[float | None] = None

    def __init__(
        self,
        seconds: float,
        *,
        per_read: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.per_read = seconds if per_read is None else per_read
        self._clock = clock
        self._expires = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (0 or less when spent)."""
        left = self._expires - self._clock()
        hurry_at = Deadline.hurry_at
        if hurry_at is not None:
            left = min(left, hurry_at - time.monotonic())
        return left

    def timeout(self) -> float:
        """The timeout for the next socket call: min(per_read, what is left).

        Raises: TimeoutError when the deadline has passed.
        """
        left = self.remaining()
        if left <= 0:
            raise TimeoutError("timed out")
        return min(self.per_read, left)

    def arm(self, sock: socket.socket) -> None:
        """Set `sock`'s timeout for its next call (raises TimeoutError when spent)."""
        sock.settimeout(self.timeout())

    @classmethod
    def hurry(cls, seconds: float) -> None:
        """Cut every deadline to at most `seconds` from now (a signal came during a wait)."""
        at = time.monotonic() + seconds
        if cls.hurry_at is None or at < cls.hurry_at:
            cls.hurry_at = at

    @classmethod
    def reset(cls) -> None:
        """Forget `asked` and `hurry` (a token request starts or has ended)."""
        cls.asked = False
        cls.hurry_at = None


class DeadlineIO(socket.SocketIO):
    """The raw reader `sock.makefile("rb")` makes, with every read bounded by `deadline`.

    Wrap it in io.BufferedReader. `deadline` may be replaced between reads (POP3 gives each
    reply a new one); None leaves the socket's own timeout alone. With `poll`, a read blocks at
    most that long before the deadline is looked at again, so that Deadline.hurry() takes
    effect within `poll` seconds, not at the end of a long read.
    """

    def __init__(
        self, sock: socket.socket, deadline: Deadline | None = None, *, poll: float | None = None
    ) -> None:
        super().__init__(sock, "rb")
        # What sock.makefile() does: the socket stays open until this reader is closed too
        # (urllib closes the connection's socket before the body is read); close() undoes it.
        sock._io_refs += 1  # type: ignore[attr-defined]
        self.deadline = deadline
        self.poll = poll

    def readinto(self, b: memoryview) -> int | None:  # type: ignore[override]
        sock: socket.socket = self._sock  # type: ignore[attr-defined]
        while True:
            if self.deadline is not None:
                wait = self.deadline.timeout()
                sock.settimeout(wait if self.poll is None else min(wait, self.poll))
            try:
                return super().readinto(b)
            except TimeoutError:
                if self.poll is None or self.deadline is None or self.deadline.remaining() <= 0:
                    raise
                self._timeout_occurred = False  # only a poll: the socket is still usable
