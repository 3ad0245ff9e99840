"""The per-user folders pysmail keeps its files in, per OS (settings; data: the outbox)."""

from __future__ import annotations

import os
import sys

from pysmail.fs.pathtext import expanduser, is_absolute, join

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pysmail.fs.pathtext import StrPath

__all__ = ["APP_DIR_NAME", "expand_home", "user_config_dir", "user_data_dir"]

APP_DIR_NAME = "pysmail"


def expand_home(value: str) -> str:
    """`value` as a path (fs.pathtext) with a leading `~` or `~user` made the home folder, as a
    shell does: a `~name` of no such user (or no home folder to be found) stays as written, so
    that it is reported as a file that is not there, never as a crash."""
    expanded = expanduser(value)
    return join(value) if expanded is None else expanded


# kind -> (Windows variable, its fallback under the home folder, XDG variable, XDG fallback)
_USER_DIRS = {
    "config": ("APPDATA", ("AppData", "Roaming"), "XDG_CONFIG_HOME", (".config",)),
    "data": ("LOCALAPPDATA", ("AppData", "Local"), "XDG_DATA_HOME", (".local", "share")),
}


def _user_dir(
    kind: str, environ: Mapping[str, str], platform: str | None, home: StrPath | None
) -> str:
    win_var, win_default, xdg_var, xdg_default = _USER_DIRS[kind]
    platform = sys.platform if platform is None else platform
    home = os.path.expanduser("~") if home is None else home  # pathlib's Path.home()
    if platform == "win32":
        value = environ.get(win_var)
        base = value if value else join(home, *win_default)
    elif platform == "darwin":
        base = join(home, "Library", "Application Support")
    else:
        xdg = environ.get(xdg_var, "")
        base = xdg if xdg and is_absolute(xdg) else join(home, *xdg_default)
    return join(base, APP_DIR_NAME)


def user_config_dir(
    environ: Mapping[str, str], *, platform: str | None = None, home: StrPath | None = None
) -> str:
    """The per-user settings folder.

    Windows %APPDATA%\\pysmail; macOS ~/Library/Application Support/pysmail;
    elsewhere $XDG_CONFIG_HOME/pysmail (only when absolute, per the XDG spec) or ~/.config/pysmail.
    """
    return _user_dir("config", environ, platform, home)


def user_data_dir(
    environ: Mapping[str, str], *, platform: str | None = None, home: StrPath | None = None
) -> Path:
    """The per-user data folder (the outbox lives there).

    Windows %LOCALAPPDATA%\\pysmail; macOS ~/Library/Application Support/pysmail;
    elsewhere $XDG_DATA_HOME/pysmail (only when absolute) or ~/.local/share/pysmail.
    A Path, as delivery/outbox (its one user, off the send path, pathlib loaded) joins it.
    """
    from pathlib import Path  # the outbox's type, at its boundary: never loaded by a send

    return Path(_user_dir("data", environ, platform, home))
