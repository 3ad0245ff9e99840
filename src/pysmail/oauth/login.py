"""`smail-token login`: the browser (authorization code + PKCE), device and app-only flows
(with a client secret, or a certificate: private_key_jwt).

The steps are pure functions (authorize.py, device.py, app_only.py); this module checks the
options, finds the endpoints and saves the result atomically and privately; login_flows.py runs
each flow against a Console (what the user sees and types), an HttpPort and the loopback listener.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from pysmail.errors import OAuthError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang
from pysmail.oauth.authorize import LoginPlan
from pysmail.oauth.flow import TokenResponse, choose_auth_method
from pysmail.oauth.http import HttpPort
from pysmail.oauth.providers import GENERIC, GOOGLE, MICROSOFT, PRESETS, AuthMethod, Preset
from pysmail.record import record
from pysmail.redact import Scrubber

__all__ = ["Console", "Endpoints", "LoginOptions", "run_login", "save_login"]

GENERIC_SCOPES = ("openid", "offline_access", "email")
WAIT_FACTOR = 10  # the browser wait defaults to 10 x OAUTH2_TIME_OUT (300 s for the seed's 30)
_CODE = ErrCode.NO_ACCESS_TOKEN


@record
class Console:
    """The terminal side. `ask`/`ask_secret` are None when there is no terminal to ask on;
    `pasted()` returns a line the user pasted (non-blocking) or None."""

    say: Callable[[str], None]
    text: Callable[..., str]
    scrubber: Scrubber
    ask: Callable[[str], str] | None = None
    ask_secret: Callable[[str], str] | None = None
    open_browser: Callable[[str], bool] | None = None
    pasted: Callable[[], str | None] | None = None
    language: str = "en"

    def lang(self) -> Lang:
        return "ja" if self.language == "ja" else "en"


@record
class LoginOptions:
    """What `smail-token login` was asked to do (its options, file names relative to `cwd`).
    None or False: not given."""

    provider: str = "microsoft"
    user: str | None = None
    client_id: str | None = None
    client_secret_file: str | None = None
    public: bool = False
    issuer: str | None = None
    auth_url: str | None = None
    token_url: str | None = None
    device_url: str | None = None
    tenant: str | None = None
    scope: tuple[str, ...] = ()  # each item may hold several scopes, space-separated
    redirect_uri: str | None = None
    port: int | None = None
    prompt: str | None = None
    no_browser: bool = False
    device: bool = False
    app_only: bool = False
    certificate: str | None = None
    private_key: str | None = None
    timeout: float = 30.0
    wait: float | None = None
    keyring: bool = False


@record
class Endpoints:
    auth: str | None
    token: str | None
    device: str | None
    auth_methods: tuple[str, ...] | None


def _value(given: str | None, console: Console, label: str, option: str) -> str:
    if given:
        return given.strip()
    if console.ask is not None:
        answer = console.ask(f"{label}: ").strip()
        if answer:
            return answer
    raise UsageError(ErrCode.OPTION, "token.value_needed", what=label, option=option)


def client_secret(
    opts: LoginOptions, env: Mapping[str, str], console: Console, cwd: Path
) -> str | None:
    """--public: none; --client-secret-file; SMAIL_CLIENT_SECRET; else the hidden prompt."""
    if opts.public:
        return None
    secret: str | None = None
    if opts.client_secret_file:
        path = cwd / opts.client_secret_file
        try:
            secret = path.read_text(encoding="utf-8-sig").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise UsageError(ErrCode.OPTION, "token.secret_file", path=path, reason=reason) from exc
    elif env.get("SMAIL_CLIENT_SECRET"):
        secret = env["SMAIL_CLIENT_SECRET"].strip()
    elif console.ask_secret is not None:
        secret = console.ask_secret("Client secret (hidden; empty for a public client): ").strip()
    else:
        raise UsageError(ErrCode.OPTION, "token.secret_needed")
    if secret:
        console.scrubber.add(secret)
    return secret or None


def _discovered(http: HttpPort, issuer: str, timeout: float) -> Endpoints:
    """The endpoints and client authentication methods the issuer's discovery document names."""
    from pysmail.oauth.exchange import discover, endpoint

    doc = discover(http, issuer, timeout)
    raw = doc.get("token_endpoint_auth_methods_supported")
    methods = tuple(m for m in raw if isinstance(m, str)) if isinstance(raw, list) else None
    return Endpoints(
        auth=endpoint(doc, "authorization_endpoint"),
        token=endpoint(doc, "token_endpoint"),
        device=endpoint(doc, "device_authorization_endpoint"),
        auth_methods=methods,
    )


def _from_preset(template: str | None, tenant: str) -> str | None:
    return template.format(tenant=tenant) if template else None


def endpoints(opts: LoginOptions, preset: Preset, http: HttpPort) -> Endpoints:
    """Explicit URLs win; then discovery (--issuer); then the preset (with the tenant)."""
    found = Endpoints(None, None, None, None)
    if opts.issuer:
        found = _discovered(http, opts.issuer, opts.timeout)
    tenant = opts.tenant or preset.default_tenant or ""
    return Endpoints(
        auth=opts.auth_url or found.auth or _from_preset(preset.auth_uri, tenant),
        token=opts.token_url or found.token or _from_preset(preset.token_uri, tenant),
        device=opts.device_url or found.device or _from_preset(preset.device_uri, tenant),
        auth_methods=found.auth_methods,
    )


def _scopes(opts: LoginOptions, preset: Preset) -> tuple[str, ...]:
    if opts.scope:
        return tuple(s for item in opts.scope for s in item.split())
    if opts.app_only:
        from pysmail.oauth.app_only import MS_APP_ONLY_SCOPE

        return (MS_APP_ONLY_SCOPE,) if preset is MICROSOFT else ()
    return preset.scopes or GENERIC_SCOPES


def _check_options(opts: LoginOptions, preset: Preset, path: Path) -> str | None:
    """Refuse a wrong combination before anything is asked; the certificate, if one is used."""
    certificate = _certificate_options(opts)
    if opts.device and preset is GOOGLE:
        raise OAuthError(_CODE, "token.device_google")
    if opts.keyring:
        if opts.app_only:
            raise UsageError(ErrCode.OPTION, "token.keyring_app_only")
        _keyring_available(path)  # before the user signs in, not after
    return certificate


def _auth_method(preset: Preset, ends: Endpoints, secret: str | None) -> AuthMethod:
    configured: AuthMethod | None = None if preset is GENERIC else preset.client_auth
    if preset is GENERIC and not ends.auth_methods:
        configured = "client_secret_basic"  # RFC 6749 2.3.1: every server supports Basic
    return choose_auth_method(configured, ends.auth_methods, bool(secret))


def run_login(
    opts: LoginOptions,
    path: Path,
    console: Console,
    http: HttpPort,
    env: Mapping[str, str],
    cwd: Path,
) -> None:
    """Sign in the way `opts` says and save `path`. Raises SmailError (ERR-0028 mostly)."""
    from pysmail.oauth import login_flows as flows

    preset = PRESETS[opts.provider]
    certificate = _check_options(opts, preset, path)
    user = _value(opts.user, console, "Mail address", "--user")
    client_id = _value(opts.client_id, console, "Client ID", "--client-id")
    if certificate:
        from pysmail.oauth.certificate import load_certificate

        # Absolute: smail may run from another folder. Checked before any request is made.
        files = ((cwd / certificate).resolve(), _resolved(cwd, opts.private_key))
        credential = load_certificate(*files)
        secret = None
    else:
        secret = client_secret(opts, env, console, cwd)
    ends = endpoints(opts, preset, http)
    if not ends.token:
        raise OAuthError(_CODE, "token.no_endpoint", what="token endpoint")
    method = _auth_method(preset, ends, secret)
    plan = LoginPlan(
        preset=preset,
        user=user,
        client_id=client_id,
        auth_url=ends.auth or "",
        token_url=ends.token,
        scopes=_scopes(opts, preset),
        redirect_uri="",
        issuer=opts.issuer,
        tenant=opts.tenant,
        prompt=opts.prompt,
    )
    run = flows.LoginRun(opts, plan, path, console, http, secret, method)
    if certificate:
        flows.app_only_certificate(run, files, credential)
    elif opts.app_only:
        flows.app_only(run)
    elif opts.device:
        flows.device(run, ends.device)
    else:
        flows.browser(run)


def _certificate_options(opts: LoginOptions) -> str | None:
    """The certificate of an app-only login with one; UsageError for a wrong combination."""
    if not (opts.certificate or opts.private_key):
        return None
    if not opts.certificate:
        raise UsageError(ErrCode.OPTION, "token.private_key_alone")
    if not opts.app_only:
        raise UsageError(ErrCode.OPTION, "token.certificate_app_only")
    if opts.client_secret_file or opts.public or opts.keyring:
        raise UsageError(ErrCode.OPTION, "token.certificate_conflict")
    return opts.certificate


def _resolved(cwd: Path, name: str | None) -> Path | None:
    return (cwd / name).resolve() if name else None


def save_login(
    path: Path,
    plan: LoginPlan,
    response: TokenResponse | None,
    *,
    secret: str | None,
    timeout: float,
    grant: str,
    method: AuthMethod | None,
    keyring: bool = False,
    extra: Mapping[str, str] | None = None,
) -> None:
    """Write smail_refreshtoken.ini (atomic, private; an existing file keeps its other lines)
    and put the access token just received in the cache, so the next send needs no refresh.

    keyring: the refresh token goes to the OS keyring (keyref.py) and the file holds
    `RefreshToken=keyring:<account>`. A keyring entry the old file referred to and the new one
    does not is deleted (best effort). `extra`: more keys of the file (CertificateFile=...).
    """
    from pysmail.oauth.authorize import token_file_values
    from pysmail.oauth.store import cached_entry, clear_cache, write_cache

    now = time.time()
    refresh = response.refresh_token if response is not None else None
    stored, account = refresh, None
    if keyring and refresh:
        stored, account = _keep_in_keyring(path, plan, refresh)
    values = token_file_values(
        plan,
        refresh_token=stored,
        client_secret=secret,
        timeout=timeout,
        now=now,
        response=response,
        grant=grant,
        auth_method=method if plan.preset is GENERIC else None,
    )
    values.update(extra or {})
    old = _write_token_file(path, values)
    clear_cache(path)
    if old is not None:
        _forget_old_entry(path, old, account)
    if response is not None and refresh:
        with contextlib.suppress(OSError):  # only a cache
            write_cache(path, cached_entry(response, refresh, now))


def _keep_in_keyring(path: Path, plan: LoginPlan, refresh: str) -> tuple[str, str]:
    """Store `refresh` in the OS keyring; the file's RefreshToken= value and the account."""
    from pysmail.oauth.keyref import account_for, reference, store

    account = account_for(plan.user, plan.client_id, plan.token_url)
    store(account, refresh, path)  # first: the file never refers to a missing entry
    return reference(account), account


def _write_token_file(path: Path, values: dict[str, str]) -> bytes | None:
    """Write the token file (keeping the other lines of an existing one); its old bytes."""
    from pysmail.fs.atomic import write_atomic
    from pysmail.oauth.authorize import render_token_file
    from pysmail.oauth.tokenfile import unsafe_value_error
    from pysmail.text.ini_edit import UnsafeValue

    try:
        old = path.read_bytes() if path.is_file() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, render_token_file(values, old))
    except UnsafeValue as exc:  # a client secret or a refresh token with a line break
        raise unsafe_value_error(path, exc.key) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(_CODE, "oauth.token_file_write_failed", path=path, reason=reason) from exc
    return old


def _keyring_available(path: Path) -> None:
    """Raises OAuthError(NO_ACCESS_TOKEN, "token.keyring_missing") without the keyring package."""
    try:
        import keyring  # noqa: F401 - only whether it is there
    except ImportError:
        raise OAuthError(_CODE, "token.keyring_missing", path=path) from None


def _forget_old_entry(path: Path, old: bytes, account: str | None) -> None:
    """Delete the keyring entry the replaced file referred to, unless it is still in use."""
    from pysmail.oauth.keyref import delete, reference_account
    from pysmail.oauth.tokenfile import parse_token_file

    previous = reference_account(parse_token_file(path, old).get("RefreshToken"))
    if previous and previous != account:
        with contextlib.suppress(OAuthError):
            delete(previous, path)
