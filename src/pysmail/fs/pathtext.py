"""Paths as text, without pathlib: exactly what `str(PurePath(...))` shows on this OS.

pathlib costs a send ~17 M instructions to import (with fnmatch, ntpath, urllib.parse and
ipaddress; docs/decisions.md D42), and the send path only ever joins, splits and shows paths.
Those strings are in ERR texts and the -i block, so they are pathlib's text to the character:
`./a//b/` is `a/b`, `//x` keeps its two slashes (POSIX), and on Windows `/` is `\\`, `C:` and
`\\\\server\\share\\` are anchors, `c:x` joined to `C:\\y` stays on that drive.
tests/unit/test_pathtext.py holds every function to `PurePosixPath` and `PureWindowsPath` (the
rules of Python 3.11's pathlib; both flavours run on any OS). `windows`: the flavour, this OS's
by default.
"""

from __future__ import annotations

import os

__all__ = ["WINDOWS", "expanduser", "is_absolute", "join", "name", "parent", "path_text"]

WINDOWS = os.name == "nt"

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_Parsed = tuple[str, str, list[str]]  # drive, root, the names after them


def path_text(path: StrPath, *, windows: bool = WINDOWS) -> str:
    """`str(PurePath(path))`."""
    return _format(_parse(path, windows), windows)


def join(base: StrPath, *names: StrPath, windows: bool = WINDOWS) -> str:
    """`str(PurePath(base) / names[0] / names[1] ...)`: an absolute name starts afresh."""
    joined = _parse(base, windows)
    for added in names:
        joined = _join(joined, _parse(added, windows), windows)
    return _format(joined, windows)


def parent(path: StrPath, *, windows: bool = WINDOWS) -> str:
    """`str(PurePath(path).parent)`: an anchor and `.` are their own parent."""
    drive, root, names = _parse(path, windows)
    return _format((drive, root, names[:-1]), windows)


def name(path: StrPath, *, windows: bool = WINDOWS) -> str:
    """`PurePath(path).name`: the last name, "" for an anchor or `.`."""
    names = _parse(path, windows)[2]
    return names[-1] if names else ""


def is_absolute(path: StrPath, *, windows: bool = WINDOWS) -> bool:
    """`PurePath(path).is_absolute()`: a root, and on Windows a drive too."""
    drive, root, _ = _parse(path, windows)
    return bool(root) and (bool(drive) or not windows)


def expanduser(path: StrPath) -> str | None:
    """`str(Path(path).expanduser())` for this OS: a leading `~` or `~user` made that home
    folder; None where pathlib raises (no such user, no home folder to be found)."""
    drive, root, names = _parse(path, WINDOWS)
    if drive or root or not names or names[0][:1] != "~":
        return _format((drive, root, names), WINDOWS)
    home = os.path.expanduser(names[0])
    if home[:1] == "~":
        return None
    drive, root, first = _parse(home, WINDOWS)
    return _format((drive, root, first + names[1:]), WINDOWS)


def _parse(path: StrPath, windows: bool) -> _Parsed:
    text = os.fspath(path)
    sep = "\\" if windows else "/"
    if windows:
        text = text.replace("/", sep)
    drive, root, rest = _split_windows(text) if windows else _split_posix(text)
    return drive, root, [n for n in rest.split(sep) if n and n != "."]


def _split_posix(text: str) -> tuple[str, str, str]:
    if text[:1] != "/":
        return "", "", text
    rest = text.lstrip("/")
    return "", ("//" if len(text) - len(rest) == 2 else "/"), rest


def _split_windows(text: str) -> tuple[str, str, str]:
    """pathlib's _WindowsFlavour.splitroot (3.11): `\\\\?\\` and `\\\\?\\UNC\\` prefixes, UNC
    shares, drive letters; the root is one backslash."""
    prefix, text = _extended_prefix(text)
    if text[:2] == "\\\\" and text[2:3] != "\\":
        share = _unc_share_end(text)
        if share:
            drive = (prefix + text[1:share]) if prefix else text[:share]
            return drive, "\\", text[share + 1 :]
    drive = ""
    if text[1:2] == ":" and text[:1] in _LETTERS:
        drive, text = text[:2], text[2:]
    if text[:1] == "\\":
        return prefix + drive, "\\", text.lstrip("\\")
    return prefix + drive, "", text


def _extended_prefix(text: str) -> tuple[str, str]:
    """(`\\\\?\\` or `\\\\?\\UNC`, the rest, a UNC path's leading backslash back on)."""
    if not text.startswith("\\\\?\\"):
        return "", text
    prefix, text = text[:4], text[4:]
    if text.startswith("UNC\\"):
        return prefix + text[:3], "\\" + text[3:]
    return prefix, text


def _unc_share_end(text: str) -> int:
    """Where `\\\\server\\share` ends in `text` (its length when nothing follows), 0 when it is
    no share (no server, or two backslashes after it)."""
    server = text.find("\\", 2)
    if server == -1:
        return 0
    share = text.find("\\", server + 1)
    if share == server + 1:
        return 0
    return len(text) if share == -1 else share


def _join(left: _Parsed, right: _Parsed, windows: bool) -> _Parsed:
    drive, root, names = left
    drive2, root2, names2 = right
    if root2:
        return (drive, root2, names2) if drive and not drive2 else right
    if drive2:
        same = drive2 == drive or (windows and drive2.lower() == drive.lower())
        return (drive, root, names + names2) if same else right
    return drive, root, names + names2


def _format(parsed: _Parsed, windows: bool) -> str:
    drive, root, names = parsed
    sep = "\\" if windows else "/"
    return drive + root + sep.join(names) or "."
