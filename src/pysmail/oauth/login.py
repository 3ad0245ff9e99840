"""`smail-token login`: the browser (authorization code + PKCE), device and app-only flows
(with a client secret, or a certificate: private_key_jwt).

The steps are pure functions (authorize.py, device.py, app_only.py); this module runs them
against a Console (what the user sees and types), an HttpPort and the loopback listener, and
saves the result atomically and privately.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pysmail.errors import OAuthError, SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang
from pysmail.oauth.authorize import LoginPlan
from pysmail.oauth.flow import TokenResponse, choose_auth_method
from pysmail.oauth.http import HttpPort
from pysmail.oauth.providers import GENERIC, GOOGLE, MICROSOFT, PRESETS, AuthMethod, Preset
from pysmail.redact import Scrubber

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pysmail.oauth.app_only import Certificate

__all__ = ["Console", "Endpoints", "run_login", "save_login"]

GENERIC_SCOPES = ("openid", "offline_access", "email")
WAIT_FACTOR = 10  # the browser wait defaults to 10 x OAUTH2_TIME_OUT (300 s for the seed's 30)
_CODE = ErrCode.NO_ACCESS_TOKEN


@dataclass
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


@dataclass(frozen=True)
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
    opts: argparse.Namespace, env: Mapping[str, str], console: Console, cwd: Path
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


def endpoints(opts: argparse.Namespace, preset: Preset, http: HttpPort) -> Endpoints:
    """Explicit URLs win; then discovery (--issuer); then the preset (with the tenant)."""
    from pysmail.oauth.exchange import discover, endpoint

    auth = token = device = None
    methods: tuple[str, ...] | None = None
    if opts.issuer:
        doc = discover(http, opts.issuer, opts.timeout)
        auth = endpoint(doc, "authorization_endpoint")
        token = endpoint(doc, "token_endpoint")
        device = endpoint(doc, "device_authorization_endpoint")
        raw = doc.get("token_endpoint_auth_methods_supported")
        methods = tuple(m for m in raw if isinstance(m, str)) if isinstance(raw, list) else None
    tenant = opts.tenant or preset.default_tenant or ""
    if preset.auth_uri and not auth:
        auth = preset.auth_uri.format(tenant=tenant)
    if preset.token_uri and not token:
        token = preset.token_uri.format(tenant=tenant)
    if preset.device_uri and not device:
        device = preset.device_uri.format(tenant=tenant)
    return Endpoints(
        auth=opts.auth_url or auth,
        token=opts.token_url or token,
        device=opts.device_url or device,
        auth_methods=methods,
    )


def _scopes(opts: argparse.Namespace, preset: Preset) -> tuple[str, ...]:
    if opts.scope:
        return tuple(s for item in opts.scope for s in item.split())
    if opts.app_only:
        from pysmail.oauth.app_only import MS_APP_ONLY_SCOPE

        return (MS_APP_ONLY_SCOPE,) if preset is MICROSOFT else ()
    return preset.scopes or GENERIC_SCOPES


def run_login(
    opts: argparse.Namespace,
    path: Path,
    console: Console,
    http: HttpPort,
    env: Mapping[str, str],
    cwd: Path,
) -> None:
    """Sign in the way `opts` says and save `path`. Raises SmailError (ERR-0028 mostly)."""
    preset = PRESETS[opts.provider]
    certificate = _certificate_options(opts)
    if opts.device and preset is GOOGLE:
        raise OAuthError(_CODE, "token.device_google")
    if getattr(opts, "keyring", False):
        if opts.app_only:
            raise UsageError(ErrCode.OPTION, "token.keyring_app_only")
        _keyring_available(path)  # before the user signs in, not after
    user = _value(opts.user, console, "Mail address", "--user")
    client_id = _value(opts.client_id, console, "Client ID", "--client-id")
    if certificate:
        from pysmail.oauth.app_only import load_certificate

        # Absolute: smail may run from another folder. Checked before any request is made.
        files = ((cwd / opts.certificate).resolve(), _resolved(cwd, opts.private_key))
        credential = load_certificate(*files)
        secret = None
    else:
        secret = client_secret(opts, env, console, cwd)
    ends = endpoints(opts, preset, http)
    if not ends.token:
        raise OAuthError(_CODE, "token.no_endpoint", what="token endpoint")
    configured: AuthMethod | None = None if preset is GENERIC else preset.client_auth
    if preset is GENERIC and not ends.auth_methods:
        configured = "client_secret_basic"  # RFC 6749 2.3.1: every server supports Basic
    method = choose_auth_method(configured, ends.auth_methods, bool(secret))
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
    if certificate:
        _app_only_certificate(opts, plan, files, credential, path, console, http)
    elif opts.app_only:
        _app_only(opts, plan, secret, method, path, console, http)
    elif opts.device:
        _device(opts, plan, ends, secret, method, path, console, http)
    else:
        _browser(opts, plan, secret, method, path, console, http)


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
    from pysmail.fs.atomic import write_atomic
    from pysmail.oauth.authorize import render_token_file, token_file_values
    from pysmail.oauth.store import cached_entry, clear_cache, write_cache

    now = time.time()
    refresh = response.refresh_token if response is not None else None
    stored = refresh
    account: str | None = None
    if keyring and refresh:
        from pysmail.oauth.keyref import account_for, reference, store

        account = account_for(plan.user, plan.client_id, plan.token_url)
        store(account, refresh, path)  # first: the file never refers to a missing entry
        stored = reference(account)
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
    clear_cache(path)
    if old is not None:
        _forget_old_entry(path, old, account)
    if response is not None and refresh:
        with contextlib.suppress(OSError):  # only a cache
            write_cache(path, cached_entry(response, refresh, now))


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


def _saved(console: Console, opts: argparse.Namespace, user: str, path: Path) -> None:
    if getattr(opts, "keyring", False):
        from pysmail.oauth.keyref import KEYRING_SERVICE

        console.say(
            console.text("token.saved_keyring", user=user, path=path, service=KEYRING_SERVICE)
        )
    else:
        console.say(console.text("token.saved", user=user, path=path))


def _learn(console: Console, response: TokenResponse) -> None:
    console.scrubber.add(response.access_token)
    if response.refresh_token:
        console.scrubber.add(response.refresh_token)


def _browser(
    opts: argparse.Namespace,
    plan: LoginPlan,
    secret: str | None,
    method: AuthMethod,
    path: Path,
    console: Console,
    http: HttpPort,
) -> None:
    from dataclasses import replace
    from urllib.parse import urlsplit

    from pysmail.messages import format_error
    from pysmail.oauth.authorize import (
        authorize_url,
        code_request,
        default_redirect,
        parse_redirect,
        redirect_problem,
        result_page,
        with_port,
    )
    from pysmail.oauth.exchange import post_grant
    from pysmail.oauth.pkce import challenge_s256, make_state, make_verifier
    from pysmail.oauth.redirect import RedirectListener

    if not plan.auth_url:
        raise OAuthError(_CODE, "token.no_endpoint", what="authorization endpoint")
    wanted = opts.redirect_uri or default_redirect(plan.preset)
    if opts.port:
        wanted = with_port(wanted, opts.port)
    problem = redirect_problem(wanted)
    if problem is not None:
        raise UsageError(ErrCode.OPTION, "token.bad_redirect_uri", uri=wanted, reason=problem)
    parts = urlsplit(wanted)
    port = parts.port if parts.port is not None else 80
    wait = opts.wait or WAIT_FACTOR * opts.timeout
    with RedirectListener(parts.hostname or "127.0.0.1", port, parts.path or "/") as listener:
        plan = replace(plan, redirect_uri=with_port(wanted, listener.port))
        state, verifier = make_state(), make_verifier()
        console.scrubber.add(verifier)
        url = authorize_url(plan, state, challenge_s256(verifier))
        console.say(console.text("token.open_browser", user=plan.user))
        console.say(url)
        if not opts.no_browser and console.open_browser is not None:
            console.open_browser(url)
        seconds = f"{wait:g}"
        console.say(console.text("token.paste_hint", redirect=plan.redirect_uri, seconds=seconds))
        target = listener.wait(wait, poll=console.pasted)
        close = console.text("token.page_close")
        try:
            code = parse_redirect(target, plan, state)
            console.scrubber.add(code)
            request = code_request(plan, code, verifier, secret, method)
            answer = post_grant(
                http, request, preset=plan.preset.key, path=path, timeout=opts.timeout
            )
            assert isinstance(answer, TokenResponse)
            _learn(console, answer)
            if not answer.refresh_token:
                raise OAuthError(_CODE, "token.no_refresh_token")
            save_login(
                path, plan, answer, secret=secret, timeout=opts.timeout,
                grant="authorization_code", method=method,
                keyring=getattr(opts, "keyring", False),
            )  # fmt: skip
        except SmailError as err:
            detail = console.scrubber.scrub(format_error(err, console.lang()))
            title = console.text("token.page_fail_title")
            listener.respond(False, result_page(False, title, detail, close, console.lang()))
            raise
        title = console.text("token.page_ok_title")
        detail = console.text("token.page_ok_detail", user=plan.user, path=path)
        listener.respond(True, result_page(True, title, detail, close, console.lang()))
    _saved(console, opts, plan.user, path)


def _device(
    opts: argparse.Namespace,
    plan: LoginPlan,
    ends: Endpoints,
    secret: str | None,
    method: AuthMethod,
    path: Path,
    console: Console,
    http: HttpPort,
) -> None:
    from dataclasses import replace

    from pysmail.oauth.device import (
        DeviceCode,
        device_request,
        device_token_request,
        parse_device_response,
        poll_device,
    )
    from pysmail.oauth.errors import provider_error
    from pysmail.oauth.exchange import post

    if not ends.device:
        raise OAuthError(_CODE, "token.no_endpoint", what="device authorization endpoint")
    request = device_request(ends.device, plan.client_id, secret, method, plan.scope)
    result = post(http, request, opts.timeout)
    parsed = parse_device_response(result.status, result.json)
    if not isinstance(parsed, DeviceCode):
        raise provider_error(parsed, plan.preset.key, ends.device, path)
    if opts.wait:
        parsed = replace(parsed, expires_in=min(parsed.expires_in, opts.wait))
    console.say(
        console.text(
            "token.device_prompt",
            uri=parsed.verification_uri,
            code=parsed.user_code,
            complete=parsed.verification_uri_complete or parsed.verification_uri,
            seconds=f"{parsed.expires_in:g}",
        )
    )
    assert plan.token_url
    poll = device_token_request(plan.token_url, parsed, plan.client_id, secret, method)
    answer = poll_device(
        http, poll, parsed, preset=plan.preset.key, path=path, timeout=opts.timeout
    )
    _learn(console, answer)
    if not answer.refresh_token:
        raise OAuthError(_CODE, "token.no_refresh_token")
    save_login(
        path, plan, answer, secret=secret, timeout=opts.timeout, grant="device_code",
        method=method, keyring=getattr(opts, "keyring", False),
    )  # fmt: skip
    _saved(console, opts, plan.user, path)


def _app_only(
    opts: argparse.Namespace,
    plan: LoginPlan,
    secret: str | None,
    method: AuthMethod,
    path: Path,
    console: Console,
    http: HttpPort,
) -> None:
    from pysmail.oauth.app_only import APP_ONLY_GRANT, client_credentials_request
    from pysmail.oauth.exchange import post_grant

    if not secret:
        raise UsageError(ErrCode.OPTION, "token.secret_needed")
    request = client_credentials_request(
        plan.token_url, plan.client_id, secret, method, plan.scope or None
    )
    answer = post_grant(http, request, preset=plan.preset.key, path=path, timeout=opts.timeout)
    assert isinstance(answer, TokenResponse)
    _learn(console, answer)  # proves the credentials now; the token itself is not kept
    save_login(
        path, plan, None, secret=secret, timeout=opts.timeout, grant=APP_ONLY_GRANT,
        method=method,
    )  # fmt: skip
    console.say(console.text("token.app_only_saved", user=plan.user, path=path))


def _certificate_options(opts: argparse.Namespace) -> bool:
    """Whether the login is app-only with a certificate; UsageError for a wrong combination."""
    if not (getattr(opts, "certificate", None) or getattr(opts, "private_key", None)):
        return False
    if not opts.certificate:
        raise UsageError(ErrCode.OPTION, "token.private_key_alone")
    if not opts.app_only:
        raise UsageError(ErrCode.OPTION, "token.certificate_app_only")
    if opts.client_secret_file or opts.public or getattr(opts, "keyring", False):
        raise UsageError(ErrCode.OPTION, "token.certificate_conflict")
    return True


def _resolved(cwd: Path, name: str | None) -> Path | None:
    return (cwd / name).resolve() if name else None


def _app_only_certificate(
    opts: argparse.Namespace,
    plan: LoginPlan,
    files: tuple[Path, Path | None],
    credential: Certificate,
    path: Path,
    console: Console,
    http: HttpPort,
) -> None:
    """`login --app-only --certificate PEM [--private-key KEY]`: prove the certificate with one
    client credentials grant (private_key_jwt), then save the app-only file naming the PEM
    files (absolute paths; the key stays where it is and never enters the token file)."""
    import uuid

    from pysmail.oauth.app_only import (
        APP_ONLY_GRANT,
        assertion_request,
        client_assertion,
        explain_refusal,
    )
    from pysmail.oauth.authorize import render_token_file, token_file_values
    from pysmail.oauth.exchange import post_grant
    from pysmail.oauth.tokenfile import parse_token_file

    certificate, key = files
    extra = {"CertificateFile": str(certificate), "PrivateKeyFile": str(key) if key else ""}
    assertion = client_assertion(
        credential, plan.client_id, plan.token_url, now=int(time.time()), jti=str(uuid.uuid4())
    )
    console.scrubber.add(assertion)
    request = assertion_request(plan.token_url, plan.client_id, plan.scope or None, assertion)
    try:
        answer = post_grant(http, request, preset=plan.preset.key, path=path, timeout=opts.timeout)
    except OAuthError as err:
        values = token_file_values(
            plan, refresh_token=None, client_secret=None, timeout=opts.timeout, now=time.time(),
            grant=APP_ONLY_GRANT,
        )  # fmt: skip
        values.update(extra)  # the file as it would be: the refusal names its certificate
        raise explain_refusal(err, parse_token_file(path, render_token_file(values))) from err
    assert isinstance(answer, TokenResponse)
    _learn(console, answer)  # proves the certificate now; the token itself is not kept
    save_login(
        path, plan, None, secret=None, timeout=opts.timeout, grant=APP_ONLY_GRANT, method=None,
        extra=extra,
    )  # fmt: skip
    console.say(console.text("token.app_only_saved", user=plan.user, path=path))
    console.say(
        console.text(
            "token.certificate_saved", certificate=certificate, thumbprint=credential.thumbprint
        )
    )
