"""Where smail.ini is looked for, per OS (the lookup order is in docs/settings.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.userdirs import user_config_dir

__all__ = ["CONFIG_ENV", "CONFIG_NAME", "find_config"]

CONFIG_NAME = "smail.ini"
CONFIG_ENV = "SMAIL_CONFIG"


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
