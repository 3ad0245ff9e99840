"""Where a run's settings come from: smail.ini found and read, the command line layered over it,
and the folders derived from them (outbox, token file)."""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping

    from pysmail.config.model import IniSettings, Settings
    from pysmail.config.overrides import Overrides

__all__ = ["home", "load_ini", "load_settings", "spool", "spool_of", "token_file"]


def load_ini(config: str | None, env: Mapping[str, str], cwd: Path) -> IniSettings | None:
    """smail.ini (`config`: the -c path, else the usual search), or None when there is none."""
    from pysmail.config.paths import find_config

    path = find_config(config, env, cwd, home=home(env))
    if path is None:
        return None
    from pysmail.config.ini import read_ini

    return read_ini(path, explicit=config is not None)


def spool(ini: IniSettings | None, env: Mapping[str, str]) -> Path:
    """The outbox folder: `outbox_dir` in smail.ini, else the per-user data folder."""
    from pysmail.delivery.outbox import default_spool

    if ini is not None and ini.outbox_dir is not None:
        return ini.outbox_dir
    return default_spool(env, home=home(env))


def spool_of(settings: Settings, env: Mapping[str, str]) -> Path:
    """The outbox folder of merged settings."""
    return settings.reliability.outbox_dir or spool(None, env)


def home(env: Mapping[str, str]) -> Path | None:
    """The home folder of the given environment (not necessarily this process's own)."""
    return Path(env["HOME"]) if env.get("HOME") else None


def load_settings(
    given: Overrides, config: str | None, env: Mapping[str, str], cwd: Path
) -> Settings:
    """The effective settings: defaults < smail.ini < the command line."""
    from pysmail.config.merge import merge

    return merge(given, load_ini(config, env, cwd))


def token_file(settings: Settings, env: Mapping[str, str], cwd: Path) -> Path:
    """smail_refreshtoken.ini: `oauth_token_file`, else beside smail.ini (merge), else the current
    folder when it has one (SMAIL keeps it beside smail.exe), else the user's settings folder."""
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME
    from pysmail.fs.userdirs import user_config_dir

    if settings.auth.oauth_token_file is not None:
        return settings.auth.oauth_token_file
    here = cwd / OAUTH_TOKEN_FILE_NAME
    if here.is_file():
        return here
    return user_config_dir(env, home=home(env)) / OAUTH_TOKEN_FILE_NAME
