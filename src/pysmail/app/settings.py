"""Where a run's settings come from: smail.ini found and read, the command line layered over it,
and the folders derived from them (outbox, token file)."""

from __future__ import annotations

import os

from pysmail.fs.pathtext import join

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pysmail.config.model import IniSettings, Settings
    from pysmail.config.overrides import Overrides
    from pysmail.fs.pathtext import StrPath

__all__ = ["home", "load_ini", "load_settings", "spool", "spool_of", "token_file"]


def load_ini(
    config: str | None, env: Mapping[str, str], cwd: StrPath, account: str | None = None
) -> IniSettings | None:
    """smail.ini (`config`: the -c path, else the usual search), or None when there is none;
    `account`: its [account NAME] over [smail] (--account; None: default_account, else [smail]).

    Raises: ConfigError(CONFIG, "config.account_without_file"): an account but no file; and
    what config.ini.read_ini raises ("config.unknown_account" among them).
    """
    from pysmail.config.paths import find_config

    path = find_config(config, env, cwd, home=home(env))
    if path is None:
        if account is not None:
            from pysmail.errors import ConfigError
            from pysmail.exitcodes import ErrCode

            raise ConfigError(ErrCode.CONFIG, "config.account_without_file", name=account)
        return None
    from pysmail.config.ini import read_ini

    return read_ini(path, explicit=config is not None, account=account)


def spool(ini: IniSettings | None, env: Mapping[str, str]) -> Path:
    """The outbox folder: `outbox_dir` in smail.ini, else the per-user data folder (an
    account's own folder beside it: docs/decisions.md D34)."""
    given = ini.outbox_dir if ini is not None else None
    return _spool(given, env, ini.account if ini is not None else None)


def spool_of(settings: Settings, env: Mapping[str, str]) -> Path:
    """The outbox folder of merged settings."""
    return _spool(settings.reliability.outbox_dir, env, settings.account)


def _spool(given: str | None, env: Mapping[str, str], account: str | None) -> Path:
    """`given` (outbox_dir), else the per-user outbox folder, with `outbox-NAME` beside it for
    an account, so that a --flush of one account never sends another's queued mail through
    its own server. A Path: the outbox's type (delivery.outbox, loaded here, loads pathlib)."""
    from pathlib import Path

    from pysmail.delivery.outbox import default_spool

    if given is not None:
        return Path(given)
    folder = default_spool(env, home=Path(env["HOME"]) if env.get("HOME") else None)
    return folder if account is None else folder.with_name(f"{folder.name}-{account}")


def home(env: Mapping[str, str]) -> str | None:
    """The home folder of the given environment (not necessarily this process's own)."""
    return join(env["HOME"]) if env.get("HOME") else None


def load_settings(
    given: Overrides,
    config: str | None,
    env: Mapping[str, str],
    cwd: StrPath,
    account: str | None = None,
) -> Settings:
    """The effective settings: defaults < smail.ini (its `account`: see load_ini) < the
    command line."""
    from pysmail.config.merge import merge

    return merge(given, load_ini(config, env, cwd, account))


def token_file(settings: Settings, env: Mapping[str, str], cwd: StrPath) -> str:
    """smail_refreshtoken.ini: `oauth_token_file`, else beside smail.ini (merge), else the current
    folder when it has one (SMAIL keeps it beside smail.exe), else the user's settings folder."""
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME
    from pysmail.fs.userdirs import user_config_dir

    if settings.auth.oauth_token_file is not None:
        return settings.auth.oauth_token_file
    here = join(cwd, OAUTH_TOKEN_FILE_NAME)
    if os.path.isfile(here):
        return here
    return join(user_config_dir(env, home=home(env)), OAUTH_TOKEN_FILE_NAME)
