"""The setup page's state (a Session) and its sign-in: authorization code + PKCE, as
`smail-token login`. The test mail is test_mail.py, saving the files save.py, the HTTP side
server.py; the decisions are actions.py.

Secrets (client secret, SMTP password, tokens) live only in a Session and in the files written;
every text a page may show goes through the Session's Scrubber first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pysmail.errors import ConfigError, OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, format_error, text
from pysmail.oauth.authorize import LoginPlan
from pysmail.oauth.flow import TokenResponse
from pysmail.oauth.http import HttpPort
from pysmail.oauth.providers import AuthMethod
from pysmail.record import record, replace
from pysmail.redact import Scrubber
from pysmail.setup.actions import TOKEN_FILE_NAME, Draft

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from enum import Enum

    from pysmail.config.model import IniSettings
    from pysmail.oauth.login import LoginOptions
    from pysmail.oauth.providers import Preset

__all__ = ["Login", "Notice", "Pending", "Session", "finish_login", "load_existing",
           "match_pending", "start_login"]  # fmt: skip

DEFAULT_OAUTH_TIMEOUT = 30.0  # OAUTH2_TIME_OUT, as SmailRefreshToken writes it


@record
class Notice:
    """A result shown in one section of the page: `ok`, a plain `text`, and an optional
    preformatted `detail` (an ERR block, a transcript). Already scrubbed."""

    ok: bool
    text: str
    detail: str = ""


@record
class Login:
    """A sign-in done on this page: what smail_refreshtoken.ini will hold (a test mail that
    rotates the tokens replaces the Session's Login)."""

    plan: LoginPlan
    response: TokenResponse
    secret: str | None
    method: AuthMethod
    timeout: float


@record
class Pending:
    """A sign-in waiting for the provider's redirect."""

    state: str
    verifier: str
    plan: LoginPlan
    secret: str | None
    method: AuthMethod
    lang: Lang


class Session:
    """What one setup page knows between requests; changed in place by every request (a plain
    class, not a record: the page's state, not a value)."""

    def __init__(self, draft: Draft, cwd: Path, env: Mapping[str, str]) -> None:
        self.draft = draft
        self.cwd = cwd
        self.env = env
        self.client_secret: str | None = None  # from the form, or the files setup edits
        self.password: str | None = None
        self.stored_token: Path | None = None  # an existing token file with a refresh token
        self.account: str | None = None  # the [account NAME] the page edits; None: [smail]
        self.login: Login | None = None
        self.pending: Pending | None = None
        self.errors: dict[str, str] = {}
        self.notices: dict[str, Notice] = {}
        self.scrubber = Scrubber()
        # where the kept password / client secret may be sent (actions.*_destination)
        self.password_for: tuple[str, ...] | None = None
        self.secret_for: tuple[str, ...] | None = None

    def learn(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret:
                self.scrubber.add(secret)

    def take_secrets(self, form: Mapping[str, str]) -> dict[str, str]:
        """The secrets typed on the page (a field left empty keeps the one stored), each bound
        to the destination the same form names. Returns field -> catalogue id for a typed
        secret holding a line break or another control character: it is not taken (the INI
        writer would refuse it anyway)."""
        from pysmail.setup.actions import password_destination, secret_destination
        from pysmail.text.ini_edit import is_safe

        errors: dict[str, str] = {}
        secret, password = form.get("client_secret", "").strip(), form.get("password", "")
        self.learn(secret, password)  # masked even when refused
        if secret and not is_safe(secret):
            errors["client_secret"] = "setup.err_control"
        elif secret:
            self.client_secret, self.secret_for = secret, secret_destination(self.draft)
        elif form.get("secret_clear"):
            self.client_secret = None
        if password and not is_safe(password):
            errors["password"] = "setup.err_control"
        elif password:
            self.password, self.password_for = password, password_destination(self.draft)
        return errors

    def stale_secrets(self, need: str) -> dict[str, str]:
        """field -> catalogue id for a kept secret this button would send somewhere other than
        where it was saved or typed (another server, port, TLS mode or CA file; another
        provider or issuer): it must be typed again first."""
        from pysmail.setup.actions import password_destination, secret_destination

        errors: dict[str, str] = {}
        d = self.draft
        moved = self.password_for != password_destination(d)
        if need in ("test", "save") and d.uses_password and self.password and moved:
            errors["password"] = "setup.err_password_again"
        if need == "token" and self.client_secret and self.secret_for != secret_destination(d):
            errors["client_secret"] = "setup.err_secret_again"
        return errors

    def has_token(self) -> bool:
        return self.login is not None or self.stored_token is not None


# -- prefill from the files smail would use ----------------------------------------------------


def load_existing(cwd: Path, env: Mapping[str, str], account: str | None = None) -> Session:
    """A Session prefilled from the smail.ini smail would read (and its token file), so that
    running setup again edits the settings in place: those of `account` (--account; a new one
    starts from [smail]), else of the account default_account names, else [smail]. Unreadable
    files are simply not used."""
    from pysmail.config.accounts import token_file_name
    from pysmail.setup.actions import password_destination, secret_destination

    draft = Draft(folder=str(cwd))
    session = Session(draft=draft, cwd=cwd, env=env)
    token_path = cwd / token_file_name(account)
    found = _read_smail_ini(cwd, env, account)
    if found is not None:
        ini_path, ini = found
        draft = _draft_from_ini(draft, ini, ini_path.parent)
        if ini.secret.password is not None:
            session.password = ini.secret.password.reveal()
        account = ini.account or account
        token_path = Path(ini.oauth_token_file or ini_path.parent / token_file_name(account))
        if ini.account is None and account is not None:  # a new account: its own token file
            token_path = ini_path.parent / token_file_name(account)
    session.account = account
    session.draft = _with_token_file(session, draft, token_path)
    session.learn(session.password, session.client_secret)
    # the stored secrets belong where the files send them
    session.password_for = password_destination(session.draft)
    session.secret_for = secret_destination(session.draft)
    return session


def _read_smail_ini(
    cwd: Path, env: Mapping[str, str], account: str | None
) -> tuple[Path, IniSettings] | None:
    """The smail.ini smail would read and what it says (of `account`; [smail] alone when the
    file has no such account yet); None when there is none or it cannot be read."""
    from pysmail.config.accounts import ACCOUNT_MSGIDS, SMAIL_ONLY
    from pysmail.config.ini import read_ini
    from pysmail.config.paths import find_config

    home = Path(env["HOME"]) if env.get("HOME") else None
    try:
        found = find_config(None, env, cwd, home=home)
        if found is None:
            return None
        ini_path = Path(found)
        try:
            return ini_path, read_ini(ini_path, account=account)
        except ConfigError as exc:
            if exc.msgid not in ACCOUNT_MSGIDS:
                raise
            return ini_path, read_ini(ini_path, account=SMAIL_ONLY)
    except SmailError:
        return None


def _text(value: object) -> str:
    """A setting as the form shows it: empty when unset (or 0)."""
    return str(value) if value else ""


def _choice(value: Enum | None, default: str) -> str:
    """An enumerated setting's name as the form's select holds it, else the form's default."""
    return str(value.value) if value else default


def _draft_from_ini(draft: Draft, ini: IniSettings, folder: Path) -> Draft:
    pop = ini.pop
    return replace(
        draft,
        server=_text(ini.server),
        port=_text(ini.port),
        tls=_choice(ini.tls, draft.tls),
        auth=_choice(ini.auth, draft.auth),
        user=_text(ini.user),
        sender=_text(ini.sender),
        charset=_choice(ini.charset, draft.charset),
        cafile=_text(ini.cafile),
        pop_enabled=bool(pop.enabled),
        pop_server=_text(pop.server),
        pop_port=_text(pop.port),
        pop_tls=_choice(pop.tls, "none"),
        pop_user=_text(pop.user),
        folder=str(folder),
    )


def _with_token_file(session: Session, draft: Draft, path: Path) -> Draft:
    from pysmail.oauth.providers import preset_for
    from pysmail.oauth.tokenfile import load_token_file

    try:
        doc = load_token_file(path)  # one that others may change or read is not used (fs.trust)
    except (OSError, SmailError):
        return draft
    session.client_secret = doc.client_secret
    session.learn(doc.client_secret, doc.refresh_token)
    if doc.refresh_token:
        session.stored_token = path
    preset = preset_for(doc.get("Provider"), doc.get("TokenURI"))
    return replace(
        draft,
        provider=preset.key,
        user=draft.user or doc.user,
        client_id=doc.client_id,
        tenant=doc.get("Tenant") or "",
        issuer=doc.get("Issuer") or "",
        scope=doc.get("Scope") or "",
    )


# -- sign in ------------------------------------------------------------------------------------


def start_login(session: Session, http: HttpPort, redirect: str, lang: Lang) -> str:
    """Prepare the sign-in for the page's account fields; return the authorization URL the
    browser goes to. Raises SmailError (discovery failed, no endpoint)."""
    from pysmail.oauth.authorize import authorize_url
    from pysmail.oauth.flow import choose_auth_method
    from pysmail.oauth.login import GENERIC_SCOPES
    from pysmail.oauth.pkce import challenge_s256, make_state, make_verifier
    from pysmail.oauth.providers import PRESETS

    draft = session.draft
    preset = PRESETS[draft.provider]
    opts = _endpoint_options(draft, preset)
    auth_url, token_url, methods = _endpoints(opts, preset, http)
    secret = session.client_secret
    method = choose_auth_method(_configured_method(preset, methods), methods, bool(secret))
    plan = LoginPlan(
        preset=preset,
        user=draft.user,
        client_id=draft.client_id,
        auth_url=auth_url,
        token_url=token_url,
        scopes=tuple(draft.scope.split()) or preset.scopes or GENERIC_SCOPES,
        redirect_uri=redirect,
        issuer=opts.issuer,
        tenant=opts.tenant,
    )
    state, verifier = make_state(), make_verifier()
    session.learn(verifier)
    session.pending = Pending(state, verifier, plan, secret, method, lang)
    return authorize_url(plan, state, challenge_s256(verifier))


def _endpoint_options(draft: Draft, preset: Preset) -> LoginOptions:
    """The options `smail-token login` would have for the page's account fields."""
    from pysmail.oauth.login import LoginOptions
    from pysmail.oauth.providers import GENERIC

    return LoginOptions(
        issuer=draft.issuer if preset is GENERIC else None,
        tenant=draft.tenant or None if draft.provider == "microsoft" else None,
        timeout=DEFAULT_OAUTH_TIMEOUT,
    )


def _endpoints(
    opts: LoginOptions, preset: Preset, http: HttpPort
) -> tuple[str, str, tuple[str, ...] | None]:
    """The provider's authorization and token endpoints and the client authentications it
    names; OAuthError when an endpoint is missing."""
    from pysmail.oauth.login import endpoints

    ends = endpoints(opts, preset, http)
    if not ends.token or not ends.auth:
        what = "token endpoint" if not ends.token else "authorization endpoint"
        raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.no_endpoint", what=what)
    return ends.auth, ends.token, ends.auth_methods


def _configured_method(preset: Preset, methods: tuple[str, ...] | None) -> AuthMethod | None:
    """The client authentication the preset fixes; a generic provider whose discovery names
    none gets client_secret_basic, as `smail-token login` (RFC 6749 2.3.1)."""
    from pysmail.oauth.providers import GENERIC

    if preset is not GENERIC:
        return preset.client_auth
    return None if methods else "client_secret_basic"


def match_pending(session: Session, state: str) -> Pending | None:
    """The pending sign-in whose `state` this is (constant-time compare), else None."""
    import hmac

    pending = session.pending
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        return None
    return pending


def finish_login(session: Session, pending: Pending, target: str, http: HttpPort) -> None:
    """Exchange the redirect's code (the `target` path?query) and keep the tokens in memory.
    The outcome goes to session.notices["token"]: the account and scopes, or the provider's
    error with its fix. Never raises SmailError."""
    from pysmail.oauth.authorize import code_request, parse_redirect
    from pysmail.oauth.exchange import post_grant

    session.pending = None
    lang = pending.lang
    plan = pending.plan
    try:
        code = parse_redirect(target, plan, pending.state)
        session.learn(code)
        request = code_request(plan, code, pending.verifier, pending.secret, pending.method)
        answer = post_grant(
            http, request, preset=plan.preset.key, path=TOKEN_FILE_NAME,
            timeout=DEFAULT_OAUTH_TIMEOUT,
        )  # fmt: skip
        assert isinstance(answer, TokenResponse)
        session.learn(answer.access_token, answer.refresh_token)
        if not answer.refresh_token:
            raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.no_refresh_token")
    except SmailError as err:
        detail = session.scrubber.scrub(format_error(err, lang))
        session.notices["token"] = Notice(False, text("setup.token_failed", lang), detail)
        return
    session.login = Login(plan, answer, pending.secret, pending.method, DEFAULT_OAUTH_TIMEOUT)
    scopes = answer.scope or plan.scope
    shown = text("setup.token_ok", lang, user=plan.user, scopes=scopes)
    session.notices["token"] = Notice(True, session.scrubber.scrub(shown))
