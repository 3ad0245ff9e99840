"""A cross-process lock file (flock on POSIX, msvcrt.locking on Windows) and deferred signals.

The lock is the operating system's: it dies with its process, so a killed holder never leaves a
stale lock behind. The lock file itself stays (deleting it would let two processes lock two
different inodes of the same name).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

__all__ = ["FileLock", "deferred_signals"]

_POLL = 0.05  # seconds between attempts while another process holds the lock


class FileLock:
    """An exclusive lock on `path` (created 0600 if missing), waited for up to `timeout` s.

    with FileLock(folder / "smail_refreshtoken.ini.lock", timeout=60):
        ...  # one process at a time, across processes

    Raises (on enter): OAuthError(NO_ACCESS_TOKEN, "oauth.lock_timeout" | "oauth.lock_failed" |
        "oauth.lock_symlink": the name is a symbolic link, which is never followed).
    """

    def __init__(self, path: Path, *, timeout: float) -> None:
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
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _try_lock(fd)
                break
            except OSError as exc:
                if not _is_busy(exc):
                    os.close(fd)
                    reason = exc.strerror or type(exc).__name__
                    raise OAuthError(
                        ErrCode.NO_ACCESS_TOKEN, "oauth.lock_failed", path=self.path, reason=reason
                    ) from exc
            if time.monotonic() >= deadline:
                os.close(fd)
                raise OAuthError(
                    ErrCode.NO_ACCESS_TOKEN,
                    "oauth.lock_timeout",
                    path=self.path,
                    timeout=f"{self.timeout:g}",
                )
            time.sleep(_POLL)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)  # closing releases the lock anyway


class _LinkError(OSError):
    """The lock file's name is a symbolic link (or, on Windows, another reparse point)."""


def open_no_follow(path: Path) -> int:
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


def _is_link(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    reparse = getattr(st, "st_file_attributes", 0) & 0x400  # FILE_ATTRIBUTE_REPARSE_POINT
    return stat.S_ISLNK(st.st_mode) or bool(reparse)


if sys.platform == "win32":  # pragma: no cover - Windows only
    import msvcrt

    def _try_lock(fd: int) -> None:
        # Lock byte 0 (Windows allows locking past the end of the file); LK_NBLCK fails at once.
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _is_busy(exc: OSError) -> bool:
        import errno

        return exc.errno in (errno.EACCES, errno.EDEADLK)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _is_busy(exc: OSError) -> bool:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl+C, SIGTERM, SIGHUP (SIGBREAK on Windows) until the block ends, then deliver them.

    Used around "grant request -> save the rotated refresh token": a polite kill in between
    would lose the only valid refresh token. SIGKILL cannot be held; the network call is bounded
    by its timeout. Only the main thread can set handlers; elsewhere this does nothing.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
    wanted = [getattr(signal, n) for n in names if hasattr(signal, n)]
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[int, object] = {}
    for signum in wanted:
        try:
            previous[signum] = signal.signal(signum, hold)
        except (OSError, ValueError):
            continue
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler installed outside Python; the default is the closest we can restore
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # type: ignore[arg-type]
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)
