"""The four ways `smail-token login` signs in, once login.py has checked the options and found
the endpoints: the browser (authorization code + PKCE, with the loopback listener), the device
code, and app-only with a client secret or a certificate (private_key_jwt)."""

from __future__ import annotations

import time
from pathlib import Path

from pysmail.errors import OAuthError, SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.authorize import LoginPlan
from pysmail.oauth.flow import TokenResponse
from pysmail.oauth.http import HttpPort
from pysmail.oauth.login import WAIT_FACTOR, Console, LoginOptions, save_login
from pysmail.oauth.providers import AuthMethod
from pysmail.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pysmail.oauth.certificate import Certificate
    from pysmail.oauth.redirect import RedirectListener

__all__ = ["LoginRun", "app_only", "app_only_certificate", "browser", "device"]

_CODE = ErrCode.NO_ACCESS_TOKEN


@record
class LoginRun:
    """One sign-in: the options, the plan, the file to save and the ports it runs against;
    `secret` None for a public client or a certificate."""

    opts: LoginOptions
    plan: LoginPlan
    path: Path
    console: Console
    http: HttpPort
    secret: str | None
    method: AuthMethod


def _saved(run: LoginRun) -> None:
    console, user, path = run.console, run.plan.user, run.path
    if run.opts.keyring:
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


def _keep(run: LoginRun, answer: TokenResponse, grant: str) -> None:
    """Save the refresh token a browser or device sign-in brought back."""
    _learn(run.console, answer)
    if not answer.refresh_token:
        raise OAuthError(_CODE, "token.no_refresh_token")
    save_login(
        run.path, run.plan, answer, secret=run.secret, timeout=run.opts.timeout, grant=grant,
        method=run.method, keyring=run.opts.keyring,
    )  # fmt: skip


# -- the browser --------------------------------------------------------------------------------


def _redirect_uri(run: LoginRun) -> str:
    """The redirect URI the listener serves: --redirect-uri or the preset's, with --port."""
    from pysmail.oauth.authorize import default_redirect, redirect_problem, with_port

    if not run.plan.auth_url:
        raise OAuthError(_CODE, "token.no_endpoint", what="authorization endpoint")
    wanted = run.opts.redirect_uri or default_redirect(run.plan.preset)
    if run.opts.port:
        wanted = with_port(wanted, run.opts.port)
    problem = redirect_problem(wanted)
    if problem is not None:
        raise UsageError(ErrCode.OPTION, "token.bad_redirect_uri", uri=wanted, reason=problem)
    return wanted


def _ask_browser(run: LoginRun, url: str, wait: float) -> None:
    """Show the authorization URL (and open the browser), then how to paste the redirect."""
    console = run.console
    console.say(console.text("token.open_browser", user=run.plan.user))
    console.say(url)
    if not run.opts.no_browser and console.open_browser is not None:
        console.open_browser(url)
    seconds = f"{wait:g}"
    console.say(console.text("token.paste_hint", redirect=run.plan.redirect_uri, seconds=seconds))


def _redeem(run: LoginRun, target: str, state: str, verifier: str) -> None:
    """Exchange the code the redirect brought for tokens and save them."""
    from pysmail.oauth.authorize import code_request, parse_redirect
    from pysmail.oauth.exchange import post_grant

    plan = run.plan
    code = parse_redirect(target, plan, state)
    run.console.scrubber.add(code)
    request = code_request(plan, code, verifier, run.secret, run.method)
    answer = post_grant(
        run.http, request, preset=plan.preset.key, path=run.path, timeout=run.opts.timeout
    )
    assert isinstance(answer, TokenResponse)
    _keep(run, answer, "authorization_code")


def _finish_page(run: LoginRun, listener: RedirectListener, error: SmailError | None) -> None:
    """Answer the browser: what went wrong, or where the token was saved."""
    from pysmail.messages import format_error
    from pysmail.oauth.authorize import result_page

    console, lang = run.console, run.console.lang()
    close = console.text("token.page_close")
    if error is not None:
        detail = console.scrubber.scrub(format_error(error, lang))
        title = console.text("token.page_fail_title")
    else:
        title = console.text("token.page_ok_title")
        detail = console.text("token.page_ok_detail", user=run.plan.user, path=run.path)
    ok = error is None
    listener.respond(ok, result_page(ok, title, detail, close, lang))


def browser(run: LoginRun) -> None:
    """The authorization code flow with PKCE: the browser comes back to the loopback listener
    (or the user pastes the redirect)."""
    from urllib.parse import urlsplit

    from pysmail.oauth.authorize import authorize_url, with_port
    from pysmail.oauth.pkce import challenge_s256, make_state, make_verifier
    from pysmail.oauth.redirect import RedirectListener
    from pysmail.record import replace

    wanted = _redirect_uri(run)
    parts = urlsplit(wanted)
    port = parts.port if parts.port is not None else 80
    wait = run.opts.wait or WAIT_FACTOR * run.opts.timeout
    with RedirectListener(parts.hostname or "127.0.0.1", port, parts.path or "/") as listener:
        run = replace(run, plan=replace(run.plan, redirect_uri=with_port(wanted, listener.port)))
        state, verifier = make_state(), make_verifier()
        run.console.scrubber.add(verifier)
        _ask_browser(run, authorize_url(run.plan, state, challenge_s256(verifier)), wait)
        target = listener.wait(wait, poll=run.console.pasted)
        try:
            _redeem(run, target, state, verifier)
        except SmailError as err:
            _finish_page(run, listener, err)
            raise
        _finish_page(run, listener, None)
    _saved(run)


# -- the device code ----------------------------------------------------------------------------


def device(run: LoginRun, device_url: str | None) -> None:
    """The device code flow (RFC 8628): show the code, poll until the user has signed in."""
    from pysmail.oauth.device import (
        DeviceCode,
        device_request,
        device_token_request,
        parse_device_response,
        poll_device,
    )
    from pysmail.oauth.errors import provider_error
    from pysmail.oauth.exchange import post
    from pysmail.record import replace

    plan, opts, console = run.plan, run.opts, run.console
    if not device_url:
        raise OAuthError(_CODE, "token.no_endpoint", what="device authorization endpoint")
    request = device_request(device_url, plan.client_id, run.secret, run.method, plan.scope)
    result = post(run.http, request, opts.timeout)
    parsed = parse_device_response(result.status, result.json)
    if not isinstance(parsed, DeviceCode):
        raise provider_error(parsed, plan.preset.key, device_url, run.path)
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
    poll = device_token_request(plan.token_url, parsed, plan.client_id, run.secret, run.method)
    answer = poll_device(
        run.http, poll, parsed, preset=plan.preset.key, path=run.path, timeout=opts.timeout
    )
    _keep(run, answer, "device_code")
    _saved(run)


# -- app-only -----------------------------------------------------------------------------------


def app_only(run: LoginRun) -> None:
    """`login --app-only` with a client secret: prove it with one client credentials grant."""
    from pysmail.oauth.app_only import APP_ONLY_GRANT, client_credentials_request
    from pysmail.oauth.exchange import post_grant

    plan, secret = run.plan, run.secret
    if not secret:
        raise UsageError(ErrCode.OPTION, "token.secret_needed")
    request = client_credentials_request(
        plan.token_url, plan.client_id, secret, run.method, plan.scope or None
    )
    answer = post_grant(
        run.http, request, preset=plan.preset.key, path=run.path, timeout=run.opts.timeout
    )
    assert isinstance(answer, TokenResponse)
    _learn(run.console, answer)  # proves the credentials now; the token itself is not kept
    save_login(
        run.path, plan, None, secret=secret, timeout=run.opts.timeout, grant=APP_ONLY_GRANT,
        method=run.method,
    )  # fmt: skip
    run.console.say(run.console.text("token.app_only_saved", user=plan.user, path=run.path))


def app_only_certificate(
    run: LoginRun, files: tuple[Path, Path | None], credential: Certificate
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

    plan, path, timeout, console = run.plan, run.path, run.opts.timeout, run.console
    certificate, key = files
    extra = {"CertificateFile": str(certificate), "PrivateKeyFile": str(key) if key else ""}
    assertion = client_assertion(
        credential, plan.client_id, plan.token_url, now=int(time.time()), jti=str(uuid.uuid4())
    )
    console.scrubber.add(assertion)
    request = assertion_request(plan.token_url, plan.client_id, plan.scope or None, assertion)
    try:
        answer = post_grant(run.http, request, preset=plan.preset.key, path=path, timeout=timeout)
    except OAuthError as err:
        values = token_file_values(
            plan, refresh_token=None, client_secret=None, timeout=timeout, now=time.time(),
            grant=APP_ONLY_GRANT,
        )  # fmt: skip
        values.update(extra)  # the file as it would be: the refusal names its certificate
        raise explain_refusal(err, parse_token_file(path, render_token_file(values))) from err
    assert isinstance(answer, TokenResponse)
    _learn(console, answer)  # proves the certificate now; the token itself is not kept
    save_login(
        path, plan, None, secret=None, timeout=timeout, grant=APP_ONLY_GRANT, method=None,
        extra=extra,
    )  # fmt: skip
    console.say(console.text("token.app_only_saved", user=plan.user, path=path))
    console.say(
        console.text(
            "token.certificate_saved", certificate=certificate, thumbprint=credential.thumbprint
        )
    )
