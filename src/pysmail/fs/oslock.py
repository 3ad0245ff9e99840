"""The operating system's file lock, one call each: msvcrt.locking on Windows, flock on POSIX.

Nothing is decided here but which errors mean "another process holds it" (`is_busy`; on Windows
the pure `windows_lock_busy`, with the runtime's recorded errno values); the waiting is
fs.lock.wait_for_lock. The Windows branch runs on Linux against a fake msvcrt
(tests/unit/test_portability.py), never on Windows yet.
"""

from __future__ import annotations

import errno
import os
import sys

__all__ = ["WINDOWS_BUSY_ERRNOS", "is_busy", "try_lock", "unlock", "windows_lock_busy"]

# The MSVC runtime's errno values (its errno.h, not this OS's errno module: EDEADLK is 35 on
# Linux, 11 on macOS, 36 on Windows) that msvcrt.locking sets when another handle holds the
# byte: EACCES (13) from LK_NBLCK, EDEADLOCK (36) after LK_LOCK's ten tries.
WINDOWS_BUSY_ERRNOS = (13, 36)


def windows_lock_busy(code: int | None) -> bool:
    """Whether an OSError errno from msvcrt.locking means "another process holds the lock"."""
    return code in WINDOWS_BUSY_ERRNOS


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
        return windows_lock_busy(exc.errno)

else:
    import fcntl

    def try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def is_busy(exc: OSError) -> bool:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
