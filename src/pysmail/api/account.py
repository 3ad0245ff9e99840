"""`Account`: where and as whom to send, from smail.ini (the same lookup and trust rules as
`smail`) or from arguments. It holds the merged Settings that app/ and delivery/ read."""

from __future__ import annotations

import os
from pathlib import Path

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping

    from pysmail.config.model import IniSettings, Settings

__all__ = ["Account"]

_TLS = ("auto", "none", "starttls", "smtps")
_AUTH = ("auto", "none", "plain", "login", "cram-md5", "xoauth2", "oauthbearer", "oauth-xoauth2")


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    chosen = str(value).lower()
    if chosen not in choices:
        raise UsageError(
            ErrCode.OPTION, "cli.bad_choice", option=option, value=value, choices=", ".join(choices)
        )
    return chosen


class Account:
    """An SMTP account: server, TLS, login (password or OAuth token file) and default sender.

    `Account(host, port, *, user=..., password=...)` from arguments; `Account.from_file()` from
    smail.ini. `tls`: "auto" (by the port: 465 implicit TLS, 587 STARTTLS), "none",
    "starttls", "smtps". `auth`: "auto" (a password mechanism the server offers, when `user`
    is given; OAuth with the token file when `token_file` is given), "none", "plain", "login",
    "cram-md5", "xoauth2", "oauthbearer", "oauth-xoauth2". TLS certificates are always
    verified (`ca_file`: a CA bundle instead of the system's). The password never shows in
    repr() or in an error.

    Raises (constructor): UsageError (ERR-0012 no server, ERR-0017 a bad choice), ConfigError
    (smail.ini unreadable, not trusted, or an AUTH mode that needs a user).
    """

    __slots__ = ("_cwd", "_env", "_settings")

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        tls: str = "auto",
        auth: str = "auto",
        token_file: str | os.PathLike[str] | None = None,
        sender: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
    ) -> None:
        from pysmail.config.model import AuthMode, IniSettings, Secret, SecretSources, TlsMode

        tls_mode = _choice("tls", tls, _TLS)
        mode = _choice("auth", auth, _AUTH)
        if mode == "auto" and token_file is not None:
            mode = "oauth-xoauth2"  # the token file's user logs in with its access token
        ini = IniSettings(
            server=host,
            port=port,
            tls=None if tls_mode == "auto" else TlsMode(tls_mode),
            cafile=str(Path(ca_file)) if ca_file is not None else None,
            auth=AuthMode(mode),
            user=user,
            secret=SecretSources(password=Secret(password) if password is not None else None),
            sender=sender,
            timeout=timeout,
            oauth_token_file=str(Path(token_file).absolute()) if token_file is not None else None,
        )
        self._setup(ini, os.environ, Path.cwd())

    def _setup(self, ini: IniSettings | None, env: Mapping[str, str], cwd: Path) -> None:
        from pysmail.config.merge import merge
        from pysmail.config.overrides import Overrides

        self._settings: Settings = merge(Overrides(), ini, need_recipient=False)
        self._env = dict(env)
        self._cwd = cwd

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str] | None = None, *, name: str | None = None
    ) -> Account:
        """The account of smail.ini: `path`, else where `smail` looks (SMAIL_CONFIG, the
        current folder, the user's settings folder). `name`: its [account NAME] section over
        [smail], as `smail --account NAME`; None: `default_account`, else [smail].

        Raises: ConfigError ERR-0027 for an account the file does not have (the message names
        those it has) or an account without a settings file; UsageError ERR-0012 when no
        server is set (no settings file at all)."""
        from pysmail.app.settings import load_ini

        env, cwd = os.environ, Path.cwd()
        config = os.fspath(path) if path is not None else None
        ini = load_ini(config, env, str(cwd), account=name)
        account = cls.__new__(cls)
        account._setup(ini, env, cwd)
        return account

    @property
    def host(self) -> str:
        return self._settings.server.host

    @property
    def port(self) -> int:
        return self._settings.server.port

    @property
    def tls(self) -> str:
        return self._settings.server.tls.value

    @property
    def user(self) -> str | None:
        return self._settings.auth.user

    @property
    def auth(self) -> str:
        return self._settings.auth.mode.value

    @property
    def sender(self) -> str | None:
        """The default sender: `from` of smail.ini (or `sender=`), else a user that is an
        address."""
        return self._settings.message.sender

    @property
    def token_file(self) -> Path | None:
        """The OAuth token file when this account logs in with OAuth (beside smail.ini, or
        the user's settings folder, when smail.ini names none)."""
        if not self._settings.auth.token_from_file:
            return None
        from pysmail.app.settings import token_file

        return Path(token_file(self._settings, self._env, str(self._cwd)))

    def __repr__(self) -> str:
        user = f", user={self.user!r}" if self.user else ""
        return (
            f"Account(host={self.host!r}, port={self.port}, tls={self.tls!r}, "
            f"auth={self.auth!r}{user})"
        )
