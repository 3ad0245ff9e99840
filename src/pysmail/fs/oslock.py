"""The operating system's file lock, one call each: msvcrt.locking on Windows, flock on POSIX.

Nothing is decided here but which errors mean "another process holds it" (`is_busy`); the
waiting is fs.lock.wait_for_lock. The Windows branch runs on Linux against a fake msvcrt
(tests/unit/test_portability.py), never on Windows yet.
"""

from __future__ import annotations

import errno
import os
import sys

__all__ = ["is_busy", "try_lock", "unlock"]

if sys.platform == "win32":  # pragma: no cover - Windows only
    import msvcrt

    def try_lock(fd: int) -> None:
        # Lock byte 0 (Windows allows locking past the end of the file); LK_NBLCK fails at once.
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def is_busy(exc: OSError) -> bool:
        import errno  # the block also runs alone, in tests/unit/test_portability.py

        return exc.errno in (errno.EACCES, errno.EDEADLK)

else:
    import fcntl

    def try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def is_busy(exc: OSError) -> bool:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
