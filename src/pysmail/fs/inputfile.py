"""Files the user names as input (-F, --html, -a): regular files only, opened without blocking.

A FIFO opened for reading waits for a writer, and a device (/dev/zero, /dev/stdin, CON) never
ends: both are refused before a byte is read. POSIX opens with O_NONBLOCK, so that opening a
FIFO returns at once, then looks at what the descriptor is (fstat); a regular file ignores
O_NONBLOCK, which is cleared anyway. Windows has no O_NONBLOCK: opening a pipe or a device
there does not wait, and fstat tells what it is (untested on Windows).
"""

from __future__ import annotations

import errno
import os
import stat
import sys

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import BinaryIO

    from pysmail.fs.pathtext import StrPath

__all__ = ["FileTooLargeError", "NotRegularFileError", "open_regular", "read_regular"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """The path names a FIFO, a device or a socket (a directory is IsADirectoryError)."""


class FileTooLargeError(OSError):
    """The file holds more than the reader's limit; `size` is at least limit + 1."""

    def __init__(self, path: str, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, os.strerror(errno.EFBIG), path)
        self.size = size
        self.limit = limit


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: StrPath) -> BinaryIO:
    """`path` opened for binary reading, when it is a regular file (symlinks followed).

    Raises:
        FileNotFoundError, PermissionError...: as open() does.
        IsADirectoryError: a directory (also on Windows, where opening one is EACCES).
        NotRegularFileError: a FIFO, device or socket; nothing was read from it.
    """
    if sys.platform == "win32":  # no O_NONBLOCK; O_BINARY: no newline translation
        flags = os.O_RDONLY | os.O_BINARY
    else:
        flags = os.O_RDONLY | os.O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except PermissionError:
        if os.path.isdir(path):  # Windows cannot open a directory as a file
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path)) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, f"not a regular file: {_kind(mode)}", str(path))
        if sys.platform != "win32":
            os.set_blocking(fd, True)
        return open(fd, "rb")  # noqa: SIM115 - the caller closes it
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: StrPath, limit: int) -> bytes:
    """The whole content of the regular file `path`, at most `limit` bytes.

    The size is checked before reading and the read stops at limit + 1, so a file that grows
    while it is read is refused too, and memory never holds more than limit + 1 bytes.

    Raises: as open_regular(); FileTooLargeError over `limit`.
    """
    with open_regular(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            raise FileTooLargeError(str(path), size, limit)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(str(path), len(data), limit)
    return data
