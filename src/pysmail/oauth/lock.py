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

__all__ = ["GRACE", "FileLock", "RequestSignals", "deferred_signals", "request_signals"]

# Seconds a token request that has gone out still waits for its answer after Ctrl+C/SIGTERM: the
# answer may carry the rotated refresh token, the only valid one (D20).
GRACE = 3.0

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
                    transient=True,  # another process holds the refresh lock
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
        from pysmail.deadline import Deadline

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
    answer is awaited, the wait is cut to GRACE seconds (pysmail.deadline: Deadline.hurry), so
    an answer already on its way is still saved; after hold(), signals wait for the block's end.
    Every held signal is delivered when the block ends. Never longer than GRACE plus the save:
    smail does not keep running for OAUTH2_TIME_OUT after Ctrl+C. Only the main thread can set
    handlers; elsewhere the signals act as usual and hold() does nothing.
    """
    import signal
    import threading

    from pysmail.deadline import Deadline

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
