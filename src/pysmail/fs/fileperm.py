"""Owner-only files: is a file private to its owner, make it so, create one already private.

POSIX: private means no group or other permission bits (`mode & 0o077 == 0`, msmtp's rule).
Windows: private means the file has a DACL (a NULL DACL lets everyone in) and every allow ACE
that applies to the file itself and grants more than reading attributes or the security
descriptor is for the owner, the current user, SYSTEM, Administrators or OWNER RIGHTS.
Deny ACEs are ignored (they only take rights away).

The decisions are pure functions tested on every OS: `mode_verdict` (fs.trust) and
`dacl_verdict` (fs.acl, with the parsers of the binary ACL and SID formats). This module only
dispatches: os.stat/os.chmod/os.open on POSIX, fs.winacl (advapi32 and kernel32 through ctypes,
UNTESTED ON WINDOWS) on Windows.
"""

from __future__ import annotations

import os
import sys

from pysmail.fs.trust import mode_verdict  # the POSIX rule lives with the trust check

__all__ = ["create_private", "is_private", "make_private", "mode_verdict"]


def is_private(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """Whether only the owner (and on Windows SYSTEM/Administrators) may use the file.

    Returns (True, "") or (False, a reason in English).
    Raises: OSError when the file or its permissions cannot be read.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        from pysmail.fs import winacl

        return winacl.is_private(path)
    return mode_verdict(os.stat(path).st_mode)


def make_private(path: str | os.PathLike[str]) -> None:
    """Restrict an existing file to its owner: chmod 0600; on Windows a protected DACL
    (no inherited entries) granting full control to the current user only.

    Raises: OSError.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        from pysmail.fs import winacl

        winacl.make_private(path)
        return
    os.chmod(path, 0o600)


def create_private(path: str | os.PathLike[str]) -> int:
    """Create `path`, which must not exist, private from its first byte; return a write-only fd.

    POSIX: O_CREAT | O_EXCL with mode 0600. Windows: CreateFileW(CREATE_NEW) with the private
    security descriptor, so no other account can open it even between creation and the
    first write. Wrap the fd with `os.fdopen(fd, "wb")`.

    Raises: FileExistsError when `path` exists (a symbolic link included); OSError.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        from pysmail.fs import winacl

        return winacl.create_private(path)
    # The umask can only take bits away from 0600; Python makes the fd non-inheritable.
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
