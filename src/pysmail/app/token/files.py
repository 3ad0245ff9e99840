"""The token file of a smail-token command: where it is, reading it, and what it says."""

from __future__ import annotations

from pathlib import Path

from pysmail.errors import SmailError

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping

    from pysmail.app.token.context import TokenContext
    from pysmail.config.model import IniSettings
    from pysmail.oauth.http import HttpPort
    from pysmail.oauth.tokenfile import TokenFile
    from pysmail.redact import Scrubber

__all__ = ["app_only", "default_token_file", "http_port", "load_token", "stamp", "token_path"]


def default_token_file(
    env: Mapping[str, str],
    cwd: Path,
    *,
    for_write: bool,
    account: str | None = None,
    config: str | None = None,
) -> Path:
    """Where smail looks: smail.ini's oauth_token_file (of `account`: docs/decisions.md D34),
    else beside smail.ini; else the current folder (where SmailRefreshToken writes it); else
    the user's settings folder. `config`: smail.ini named with --config.

    Raises: ConfigError of choosing the account (config.accounts.ACCOUNT_MSGIDS; with
    `account` any error of reading smail.ini): the file of another account is never guessed.
    """
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME
    from pysmail.fs.userdirs import user_config_dir

    home = Path(env["HOME"]) if env.get("HOME") else None
    ini, ini_path = _settings_file(env, cwd, account, config)
    if ini is not None and ini.oauth_token_file is not None:
        return Path(ini.oauth_token_file)
    if ini_path is not None:
        return Path(ini_path).parent / OAUTH_TOKEN_FILE_NAME
    here = cwd / OAUTH_TOKEN_FILE_NAME
    if for_write or here.is_file():
        return here
    return Path(user_config_dir(env, home=home), OAUTH_TOKEN_FILE_NAME)


def _settings_file(
    env: Mapping[str, str], cwd: Path, account: str | None, config: str | None
) -> tuple[IniSettings | None, str | None]:
    """(smail.ini as read, its path): (None, path) when it cannot be read, (None, None) when
    there is none. Raises as default_token_file."""
    from pysmail.app.settings import home, load_ini
    from pysmail.config.accounts import ACCOUNT_MSGIDS
    from pysmail.config.paths import find_config

    try:
        ini = load_ini(config, env, cwd, account)
    except SmailError as exc:
        if account is not None or exc.msgid in ACCOUNT_MSGIDS:
            raise
        ini = None
    if ini is not None:
        return ini, ini.path
    try:
        return None, find_config(config, env, cwd, home=home(env))
    except SmailError:
        return None, None


def token_path(
    given: str | None, ctx: TokenContext, *, for_write: bool = False, config: str | None = None
) -> Path:
    if given:
        return ctx.cwd / given
    return default_token_file(
        ctx.env, ctx.cwd, for_write=for_write, account=ctx.account, config=config
    )


def load_token(path: Path, scrubber: Scrubber, *, resolve: bool = True) -> TokenFile:
    """The token file; an app-only one (Grant=client_credentials) needs no RefreshToken.
    resolve: a `RefreshToken=keyring:<account>` is replaced by the keyring's token (keyref)."""
    from pysmail.oauth.keyref import resolve as resolve_reference
    from pysmail.oauth.tokenfile import load_token_file, require_keys

    # the sending path's checks: trust, privacy, ClientID and (unless app-only) RefreshToken
    doc = require_keys(load_token_file(path))
    if resolve:
        doc = resolve_reference(doc)
    for secret in doc.secrets():
        scrubber.add(secret)
    return doc


def app_only(doc: TokenFile) -> bool:
    return doc.app_only


def http_port(ctx: TokenContext, doc: TokenFile | None = None, **kw: str | None) -> HttpPort:
    if ctx.http is not None:
        return ctx.http
    from pysmail.oauth.http import UrllibPort

    proxy = kw.get("proxy") or (doc.get("Proxy") if doc else None)
    cafile = kw.get("cafile") or (doc.get("CAFile") if doc else None)
    return UrllibPort(proxy=proxy, cafile=cafile)


def stamp(when: float | None, ctx: TokenContext) -> str:
    import datetime as dt

    if when is None:
        return ctx.text("token.unknown")
    return dt.datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
