"""The setup page's state (a Session) and its sign-in: authorization code + PKCE, as
`smail-token login`. The test mail is test_mail.py, saving the files save.py, the HTTP side
server.py; the decisions are actions.py.

Secrets (client secret, SMTP password, tokens) live only in a Session and in the files written;
every text a page may show goes through the Session's Scrubber first.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, format_error, text
from pysmail.oauth.authorize import LoginPlan
from pysmail.oauth.flow import TokenResponse
from pysmail.oauth.http import HttpPort
from pysmail.oauth.providers import AuthMethod
from pysmail.redact import Scrubber
from pysmail.setup.actions import TOKEN_FILE_NAME, Draft

__all__ = ["Login", "Notice", "Pending", "Session", "finish_login", "load_existing",
           "match_pending", "start_login"]  # fmt: skip

DEFAULT_OAUTH_TIMEOUT = 30.0  # OAUTH2_TIME_OUT, as SmailRefreshToken writes it


@dataclass(frozen=True)
class Notice:
    """A result shown in one section of the page: `ok`, a plain `text`, and an optional
    preformatted `detail` (an ERR block, a transcript). Already scrubbed."""

    ok: bool
    text: str
    detail: str = ""


@dataclass
class Login:
    """A sign-in done on this page: what smail_refreshtoken.ini will hold."""

    plan: LoginPlan
    response: TokenResponse
    secret: str | None
    method: AuthMethod
    timeout: float


@dataclass(frozen=True)
class Pending:
    """A sign-in waiting for the provider's redirect."""

    state: str
    verifier: str
    plan: LoginPlan
    secret: str | None
    method: AuthMethod
    lang: Lang


@dataclass
class Session:
    draft: Draft
    cwd: Path
    env: Mapping[str, str]
    client_secret: str | None = None
    password: str | None = None
    stored_token: Path | None = None  # an existing token file with a refresh token
    login: Login | None = None
    pending: Pending | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notices: dict[str, Notice] = field(default_factory=dict)
    scrubber: Scrubber = field(default_factory=Scrubber)
    # where the kept password / client secret may be sent (actions.*_destination)
    password_for: tuple[str, ...] | None = None
    secret_for: tuple[str, ...] | None = None

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


def load_existing(cwd: Path, env: Mapping[str, str]) -> Session:
    """A Session prefilled from the smail.ini smail would read (and its token file), so that
    running setup again edits the settings in place. Unreadable files are simply not used."""
    from pysmail.config.ini import read_ini
    from pysmail.config.paths import find_config

    home = Path(env["HOME"]) if env.get("HOME") else None
    draft = Draft(folder=str(cwd))
    session = Session(draft=draft, cwd=cwd, env=env)
    try:
        ini_path = find_config(None, env, cwd, home=home)
        ini = read_ini(ini_path) if ini_path is not None else None
    except SmailError:
        ini_path, ini = None, None
    token_path = cwd / TOKEN_FILE_NAME
    if ini is not None and ini_path is not None:
        pop = ini.pop
        draft = replace(
            draft,
            server=ini.server or "",
            port=str(ini.port) if ini.port else "",
            tls=ini.tls.value if ini.tls else draft.tls,
            auth=ini.auth.value if ini.auth else draft.auth,
            user=ini.user or "",
            sender=ini.sender or "",
            charset=ini.charset.value if ini.charset else draft.charset,
            cafile=str(ini.cafile) if ini.cafile else "",
            pop_enabled=bool(pop.enabled),
            pop_server=pop.server or "",
            pop_port=str(pop.port) if pop.port else "",
            pop_tls=pop.tls.value if pop.tls else "none",
            pop_user=pop.user or "",
            folder=str(ini_path.parent),
        )
        if ini.secret.password is not None:
            session.password = ini.secret.password.reveal()
        token_path = ini.oauth_token_file or ini_path.parent / TOKEN_FILE_NAME
    session.draft = _with_token_file(session, draft, token_path)
    session.learn(session.password, session.client_secret)
    from pysmail.setup.actions import password_destination, secret_destination

    # the stored secrets belong where the files send them
    session.password_for = password_destination(session.draft)
    session.secret_for = secret_destination(session.draft)
    return session


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
    from pysmail.oauth.login import GENERIC_SCOPES, endpoints
    from pysmail.oauth.pkce import challenge_s256, make_state, make_verifier
    from pysmail.oauth.providers import GENERIC, PRESETS

    draft = session.draft
    preset = PRESETS[draft.provider]
    opts = argparse.Namespace(
        issuer=draft.issuer if preset is GENERIC else None,
        tenant=draft.tenant or None if draft.provider == "microsoft" else None,
        timeout=DEFAULT_OAUTH_TIMEOUT,
        auth_url=None,
        token_url=None,
        device_url=None,
    )
    ends = endpoints(opts, preset, http)
    if not ends.token or not ends.auth:
        what = "token endpoint" if not ends.token else "authorization endpoint"
        raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.no_endpoint", what=what)
    configured: AuthMethod | None = None if preset is GENERIC else preset.client_auth
    if preset is GENERIC and not ends.auth_methods:
        configured = "client_secret_basic"  # as `smail-token login` (RFC 6749 2.3.1)
    secret = session.client_secret
    method = choose_auth_method(configured, ends.auth_methods, bool(secret))
    scopes = tuple(draft.scope.split()) or preset.scopes or GENERIC_SCOPES
    plan = LoginPlan(
        preset=preset,
        user=draft.user,
        client_id=draft.client_id,
        auth_url=ends.auth,
        token_url=ends.token,
        scopes=scopes,
        redirect_uri=redirect,
        issuer=opts.issuer,
        tenant=opts.tenant,
    )
    state, verifier = make_state(), make_verifier()
    session.learn(verifier)
    session.pending = Pending(state, verifier, plan, secret, method, lang)
    return authorize_url(plan, state, challenge_s256(verifier))


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
