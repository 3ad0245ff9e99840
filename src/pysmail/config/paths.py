"""Where smail.ini is looked for, per OS (the lookup order is in docs/settings.md)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode

__all__ = ["APP_DIR_NAME", "CONFIG_ENV", "CONFIG_NAME", "find_config", "user_config_dir"]

CONFIG_NAME = "smail.ini"
CONFIG_ENV = "SMAIL_CONFIG"
APP_DIR_NAME = "pysmail"


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


def find_config(
    explicit: str | None,
    environ: Mapping[str, str],
    cwd: Path,
    *,
    platform: str | None = None,
    home: Path | None = None,
) -> Path | None:
    """The settings file to use, or None to run on the command line alone.

    Order: --config PATH, then $SMAIL_CONFIG (both must exist), then ./smail.ini in the current
    folder (SMAIL keeps it next to smail.exe), then smail.ini in user_config_dir().
    config.ini.read_ini then refuses a found file that someone else may change (fs.trust);
    one named with --config (`explicit`) is read, but never runs its password_command.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.not_found"): --config names no file.
        ConfigError(ErrCode.CONFIG, "config.env_not_found"): $SMAIL_CONFIG names no file.
    """
    if explicit is not None:
        path = _anchor(explicit, cwd)
        if not path.is_file():
            raise ConfigError(ErrCode.CONFIG, "config.not_found", path=str(path))
        return path
    from_env = environ.get(CONFIG_ENV, "")
    if from_env:
        path = _anchor(from_env, cwd)
        if not path.is_file():
            raise ConfigError(
                ErrCode.CONFIG, "config.env_not_found", path=str(path), variable=CONFIG_ENV
            )
        return path
    for folder in (cwd, user_config_dir(environ, platform=platform, home=home)):
        path = folder / CONFIG_NAME
        if path.is_file():
            return path
    return None


def _anchor(value: str, cwd: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else cwd / path
