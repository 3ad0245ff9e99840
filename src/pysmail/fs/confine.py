"""Whether a path stays inside a folder once every link is followed (--batch attachments).

A batch file may come from someone else: a name it gives (`../x`, an absolute path, a link
inside the folder that points out of it) must not reach files outside the folder the user
chose. Path.resolve() follows symbolic links, and on Windows junctions and mapped drives too;
os.path.commonpath() compares the results (case-insensitively on Windows, and paths on
different drives have no common path at all).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["inside"]


def inside(folder: Path, path: Path) -> bool:
    """True when `path` (relative paths are taken from `folder`) is `folder` or lies within it
    after every link on the way is followed. A path that does not exist yet is judged by the
    parts that do (a missing file is reported elsewhere); one that cannot be resolved (a link
    loop, no permission) is outside."""
    try:
        root = folder.resolve()
        real = (folder / path).resolve()
        return os.path.commonpath([root, real]) == str(root)
    except (OSError, RuntimeError, ValueError):  # loops; different drives (ValueError)
        return False
