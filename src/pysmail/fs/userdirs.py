"""The per-user folders pysmail keeps its files in, per OS (settings; data: the outbox)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["APP_DIR_NAME", "expand_home", "user_config_dir", "user_data_dir"]

APP_DIR_NAME = "pysmail"


def expand_home(value: str) -> Path:
    """`value` as a path with a leading `~` or `~user` made the home folder, as a shell does:
    a `~name` of no such user (or no home folder to be found) stays as written, so that it is
    reported as a file that is not there, never as a crash."""
    try:
        return Path(value).expanduser()
    except RuntimeError:  # "Could not determine home directory."
        return Path(value)


# kind -> (Windows variable, its fallback under the home folder, XDG variable, XDG fallback)
_USER_DIRS = {
    "config": ("APPDATA", ("AppData", "Roaming"), "XDG_CONFIG_HOME", (".config",)),
    "data": ("LOCALAPPDATA", ("AppData", "Local"), "XDG_DATA_HOME", (".local", "share")),
}


def _user_dir(
    kind: str, environ: Mapping[str, str], platform: str | None, home: Path | None
) -> Path:
    win_var, win_default, xdg_var, xdg_default = _USER_DIRS[kind]
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if platform == "win32":
        value = environ.get(win_var)
        base = Path(value) if value else home.joinpath(*win_default)
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = environ.get(xdg_var, "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home.joinpath(*xdg_default)
    return base / APP_DIR_NAME


def user_config_dir(
    environ: Mapping[str, str], *, platform: str | None = None, home: Path | None = None
) -> Path:
    """The per-user settings folder.

    Windows %APPDATA%\\pysmail; macOS ~/Library/Application Support/pysmail;
    elsewhere $XDG_CONFIG_HOME/pysmail (only when absolute, per the XDG spec) or ~/.config/pysmail.
    """
    return _user_dir("config", environ, platform, home)


def user_data_dir(
    environ: Mapping[str, str], *, platform: str | None = None, home: Path | None = None
) -> Path:
    """The per-user data folder (the outbox lives there).

    Windows %LOCALAPPDATA%\\pysmail; macOS ~/Library/Application Support/pysmail;
    elsewhere $XDG_DATA_HOME/pysmail (only when absolute) or ~/.local/share/pysmail.
    """
    return _user_dir("data", environ, platform, home)
