"""Atomic, private file writes: private temp file in the same folder, fsync, os.replace."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["PendingWrite", "retry_shared", "shared_file_busy", "write_atomic"]

# Windows refuses to replace a file another process has open without FILE_SHARE_DELETE (a reader
# that does not take our lock). Such opens are short, so retry for a little while.
_REPLACE_RETRIES = 50
_REPLACE_PAUSE = 0.02
_NAME_ATTEMPTS = 100


class PendingWrite:
    """A private temporary file next to `path`, created now and moved over `path` by `commit`.

    Creating it first proves, before a refresh token is spent, that the new one can be saved:
    a folder we cannot write to fails here, not after the server has rotated the token.
    The file is private from its first byte (fileperm.create_private: mode 0600 on POSIX, an
    owner-only DACL on Windows), so the rename leaves a private file in place.

    `through_link` (the refresh-token rotation): a symbolic link at `path` is written
    through: the temporary file goes beside the link's final target and replaces it, so the
    link stays and its target gets the new bytes (a rename over the link would leave the target
    with a dead refresh token). Only there: the target is the file just read as the live token
    file. Every other write replaces a link at `path` with a regular file, so a link planted in
    a shared folder cannot make pysmail overwrite the file it points to (docs/decisions.md
    D19). Windows: os.path.realpath follows symlinks and junctions the same way.

    Raises: OSError when the folder is not writable.
    """

    def __init__(self, path: str | os.PathLike[str], *, through_link: bool = False) -> None:
        import secrets

        from pysmail.fs.fileperm import create_private

        path = Path(os.path.realpath(path) if through_link and os.path.islink(path) else path)
        self.path = path
        for _ in range(_NAME_ATTEMPTS):
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            try:
                fd = create_private(tmp)
            except FileExistsError:
                continue
            break
        else:  # pragma: no cover - 2**64 names, all taken
            raise FileExistsError(f"no free temporary name beside {path.name}")
        self._fd: int | None = fd
        self._tmp = tmp

    def commit(self, data: bytes) -> None:
        """Write `data`, flush it to disk, and replace `path` with it in one rename.

        Raises: OSError; the temporary file is removed and `path` is left as it was.
        """
        if self._fd is None:
            raise ValueError("PendingWrite used twice")
        fd, self._fd = self._fd, None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            _replace(self._tmp, self.path)
        except BaseException:
            _unlink(self._tmp)
            raise
        _fsync_dir(self.path.parent)

    def discard(self) -> None:
        """Remove the temporary file if `commit` did not run."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
            _unlink(self._tmp)

    def __enter__(self) -> PendingWrite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def write_atomic(path: str | os.PathLike[str], data: bytes, *, through_link: bool = False) -> None:
    """Replace `path` with `data` atomically; readers see the old or the new file, never half.
    `through_link`: see PendingWrite.

    Raises: OSError.
    """
    with PendingWrite(path, through_link=through_link) as pending:
        pending.commit(data)


# winerror.h: what MoveFileEx/DeleteFile answer while another process holds the file open
# without FILE_SHARE_DELETE (a virus scanner, an indexer, a reader): ERROR_ACCESS_DENIED,
# ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION. CPython turns all three into PermissionError.
_SHARING_WINERRORS = (5, 32, 33)


def shared_file_busy(exc: OSError) -> bool:
    """Whether a failed rename or unlink on Windows means "another process has it open"."""
    return isinstance(exc, PermissionError) or getattr(exc, "winerror", None) in _SHARING_WINERRORS


def retry_shared(
    action: Callable[[], object],
    *,
    windows: bool = sys.platform == "win32",
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """Run `action` (a rename or an unlink); on Windows retry it for about a second while it
    raises PermissionError: a scanner or a reader holding the file open without
    FILE_SHARE_DELETE makes MoveFileEx/DeleteFile fail with ERROR_ACCESS_DENIED or
    ERROR_SHARING_VIOLATION, both PermissionError. Elsewhere the error is raised at once.

    Raises: whatever `action` raises (PermissionError after the last attempt).
    """
    for attempt in range(_REPLACE_RETRIES):
        try:
            action()
            return
        except OSError as exc:
            if not windows or not shared_file_busy(exc) or attempt == _REPLACE_RETRIES - 1:
                raise
            sleep(_REPLACE_PAUSE)


def _replace(src: Path, dst: Path) -> None:
    retry_shared(lambda: os.replace(src, dst))


def _fsync_dir(folder: Path) -> None:
    # POSIX: the rename itself is durable only once the directory entry is on disk.
    # Windows cannot open a directory this way; NTFS journals the rename.
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
