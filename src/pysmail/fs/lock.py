"""A cross-process lock file (flock on POSIX, msvcrt.locking on Windows: fs.oslock).

The lock is the operating system's: it dies with its process, so a killed holder never leaves a
stale lock behind. The lock file itself stays (deleting it would let two processes lock two
different inodes of the same name).
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.fs import oslock

__all__ = ["FileLock", "open_no_follow", "wait_for_lock"]

_POLL = 0.05  # seconds between attempts while another process holds the lock


class FileLock:
    """An exclusive lock on `path` (created 0600 if missing), waited for up to `timeout` s.

    with FileLock(folder / "smail_refreshtoken.ini.lock", timeout=60):
        ...  # one process at a time, across processes

    Raises (on enter): OAuthError(NO_ACCESS_TOKEN, "oauth.lock_timeout" | "oauth.lock_failed" |
        "oauth.lock_symlink": the name is a symbolic link, which is never followed).
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        try:
            fd = open_no_follow(self.path)
        except _LinkError as exc:
            raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.lock_symlink", path=self.path) from exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.lock_failed", path=self.path, reason=reason
            ) from exc
        try:
            locked = wait_for_lock(
                lambda: oslock.try_lock(fd), oslock.is_busy, timeout=self.timeout
            )
        except OSError as exc:
            os.close(fd)
            reason = exc.strerror or type(exc).__name__
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.lock_failed", path=self.path, reason=reason
            ) from exc
        if not locked:
            os.close(fd)
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN,
                "oauth.lock_timeout",
                transient=True,  # another process holds the refresh lock
                path=self.path,
                timeout=f"{self.timeout:g}",
            )
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            oslock.unlock(fd)
        finally:
            os.close(fd)  # closing releases the lock anyway


def wait_for_lock(
    try_lock: Callable[[], None],
    is_busy: Callable[[OSError], bool],
    *,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll: float = _POLL,
) -> bool:
    """Call `try_lock` until it succeeds (True) or `timeout` seconds have passed (False).

    An attempt that fails with an error `is_busy` accepts (another process holds the lock)
    is retried every `poll` seconds; the first attempt is made even with a timeout of 0.
    Raises: the OSError of an attempt that failed for any other reason.
    """
    deadline = clock() + timeout
    while True:
        try:
            try_lock()
            return True
        except OSError as exc:
            if not is_busy(exc):
                raise
        if clock() >= deadline:
            return False
        sleep(poll)


class _LinkError(OSError):
    """The lock file's name is a symbolic link (or, on Windows, another reparse point)."""


def open_no_follow(path: str | os.PathLike[str]) -> int:
    """Open `path` read-write, creating it 0600, never through a symbolic link: a link planted
    under the lock's name would make us create an empty file anywhere we may write.

    POSIX: O_NOFOLLOW, so the kernel refuses the link itself (no window between a check and
    the open). Windows has no O_NOFOLLOW: a reparse point (symbolic link, junction) found by
    lstat is refused; planting one there needs the symbolic-link privilege or Developer Mode.

    Raises: _LinkError when `path` is a link; OSError.
    """
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if not nofollow and _is_link(path):  # pragma: no cover - Windows only
        raise _LinkError(errno.ELOOP, "symbolic link", str(path))
    flags = os.O_RDWR | os.O_CREAT | nofollow | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        # Linux and macOS say ELOOP, FreeBSD EMLINK: ask the file system what is there
        if nofollow and _is_link(path):
            raise _LinkError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _is_link(path: str | os.PathLike[str]) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    reparse = getattr(st, "st_file_attributes", 0) & 0x400  # FILE_ATTRIBUTE_REPARSE_POINT
    return stat.S_ISLNK(st.st_mode) or bool(reparse)
