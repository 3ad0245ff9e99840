"""fs.lock.wait_for_lock: the busy/retry/timeout loop of the lock file, run on a fake clock."""

from __future__ import annotations

import errno
from collections.abc import Callable

import pytest

from pysmail.fs.lock import wait_for_lock


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


def _holder(
    busy_times: int, error: int = errno.EWOULDBLOCK
) -> tuple[list[int], Callable[[], None]]:
    tries: list[int] = []

    def try_lock() -> None:
        tries.append(1)
        if len(tries) <= busy_times:
            raise OSError(error, "busy")

    return tries, try_lock


def _busy(exc: OSError) -> bool:
    return exc.errno in (errno.EWOULDBLOCK, errno.EACCES)


def test_a_free_lock_is_taken_at_once() -> None:
    clock = _Clock()
    tries, try_lock = _holder(0)
    assert wait_for_lock(try_lock, _busy, timeout=5, clock=clock, sleep=clock.sleep)
    assert tries == [1] and clock.naps == []


def test_a_busy_lock_is_polled_until_free() -> None:
    clock = _Clock()
    tries, try_lock = _holder(3)
    assert wait_for_lock(try_lock, _busy, timeout=5, clock=clock, sleep=clock.sleep, poll=0.05)
    assert len(tries) == 4 and clock.naps == [0.05] * 3


def test_a_lock_held_past_the_timeout_gives_up() -> None:
    clock = _Clock()
    tries, try_lock = _holder(10**6)
    assert not wait_for_lock(try_lock, _busy, timeout=1, clock=clock, sleep=clock.sleep, poll=0.25)
    assert len(tries) == 5 and clock.now == pytest.approx(101.0)


def test_a_zero_timeout_still_tries_once() -> None:
    clock = _Clock()
    tries, try_lock = _holder(10**6)
    assert not wait_for_lock(try_lock, _busy, timeout=0, clock=clock, sleep=clock.sleep)
    assert tries == [1] and clock.naps == []


def test_an_error_that_is_not_busy_is_raised() -> None:
    clock = _Clock()
    tries, try_lock = _holder(1, errno.EBADF)
    with pytest.raises(OSError) as caught:
        wait_for_lock(try_lock, _busy, timeout=5, clock=clock, sleep=clock.sleep)
    assert caught.value.errno == errno.EBADF and tries == [1]
