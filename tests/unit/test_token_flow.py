"""Pure parts of smail-token: PKCE, the authorization URL per provider, redirect parsing, the
result page's escaping, the token file it writes, device responses and status arithmetic."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pysmail.errors import OAuthError
from pysmail.oauth.authorize import (
    LoginPlan,
    authorize_url,
    code_request,
    default_redirect,
    parse_redirect,
    redirect_problem,
    render_token_file,
    result_page,
    token_file_values,
    with_port,
)
from pysmail.oauth.device import DeviceCode, parse_device_response
from pysmail.oauth.flow import ProviderError, TokenResponse
from pysmail.oauth.health import DAY, parse_iso, token_status
from pysmail.oauth.pkce import challenge_s256, make_state, make_verifier
from pysmail.oauth.providers import GENERIC, GOOGLE, MICROSOFT, Preset
from pysmail.oauth.store import CachedToken, fingerprint
from pysmail.oauth.tokenfile import parse_token_file


def test_pkce_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_random_values() -> None:
    verifier = make_verifier()
    assert 43 <= len(verifier) <= 128 and verifier != make_verifier()
    assert len(challenge_s256(verifier)) == 43
    assert make_state() != make_state()
    with pytest.raises(ValueError):
        challenge_s256("short")
    with pytest.raises(ValueError):
        challenge_s256("a" * 42 + "+")


def _plan(preset: Preset, **kw: object) -> LoginPlan:
    base: dict[str, object] = {
        "preset": preset, "user": "me@example.test", "client_id": "cid",
        "auth_url": "https://idp.example/authorize", "token_url": "https://idp.example/token",
        "scopes": preset.scopes or ("openid", "offline_access"),
        "redirect_uri": "http://localhost:8001/myapp/",
    }  # fmt: skip
    base.update(kw)
    return LoginPlan(**base)  # type: ignore[arg-type]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_authorize_url_microsoft() -> None:
    q = _query(authorize_url(_plan(MICROSOFT), "st", "ch"))
    assert q["response_type"] == "code" and q["client_id"] == "cid"
    assert q["code_challenge"] == "ch" and q["code_challenge_method"] == "S256"
    assert q["state"] == "st" and q["redirect_uri"] == "http://localhost:8001/myapp/"
    assert q["scope"].split() == list(MICROSOFT.scopes)
    assert "prompt" not in q and "access_type" not in q
    assert q["login_hint"] == "me@example.test"


def test_authorize_url_google_offline_consent() -> None:
    q = _query(authorize_url(_plan(GOOGLE), "st", "ch"))
    assert q["access_type"] == "offline" and q["prompt"] == "consent"
    assert q["scope"] == "https://mail.google.com/"


def test_authorize_url_generic_consent_only_for_offline_access() -> None:
    assert _query(authorize_url(_plan(GENERIC), "s", "c"))["prompt"] == "consent"
    assert "prompt" not in _query(authorize_url(_plan(GENERIC, scopes=("openid",)), "s", "c"))
    explicit = _plan(GENERIC, prompt="login")
    assert _query(authorize_url(explicit, "s", "c"))["prompt"] == "login"


def test_parse_redirect() -> None:
    plan = _plan(GENERIC, issuer="http://127.0.0.1:9")
    assert (
        parse_redirect("/myapp/?code=abc&state=S&iss=http%3A%2F%2F127.0.0.1%3A9", plan, "S")
        == "abc"
    )
    assert parse_redirect("http://localhost:8001/myapp/?state=S&code=x", plan, "S") == "x"
    cases = {
        "/?code=abc&state=other": "token.state_mismatch",
        "/?error=access_denied&state=forged": "token.state_mismatch",
        "/?error=access_denied&state=S": "token.consent_refused",
        "/?error=server_error&state=S&error_description=boom": "token.authorize_error",
        "/?state=S": "token.redirect_malformed",
        "/favicon.ico": "token.redirect_malformed",
        "/?code=abc&state=S&iss=http%3A%2F%2Fevil": "token.issuer_mismatch",
    }
    for target, msgid in cases.items():
        with pytest.raises(OAuthError) as info:
            parse_redirect(target, plan, "S")
        assert info.value.msgid == msgid, target
        assert int(info.value.code) == 28


def test_result_page_escapes_reflected_text() -> None:
    page = result_page(False, "T<i>", "<tag> & \"q\" 'a'", "close", "en").decode()
    assert "&lt;tag&gt; &amp; &quot;q&quot; &#x27;a&#x27;" in page
    assert "<tag>" not in page and "T&lt;i&gt;" in page
    assert (
        result_page(True, "ok", "d", "c", "ja")
        .decode()
        .startswith('<!DOCTYPE html>\n<html lang="ja">')
    )


def test_redirect_uri_rules() -> None:
    assert redirect_problem("http://localhost:8001/myapp/") is None
    assert redirect_problem("http://127.0.0.1:0/") is None
    assert redirect_problem("https://localhost/") is not None
    assert redirect_problem("http://example.com/cb") is not None
    assert with_port("http://127.0.0.1:0/callback", 5555) == "http://127.0.0.1:5555/callback"
    assert with_port("http://localhost/", 80) == "http://localhost:80/"
    assert default_redirect(MICROSOFT) == "http://localhost:8001/myapp/"
    assert default_redirect(GOOGLE).startswith("http://127.0.0.1:0/")


def test_code_request_client_auth() -> None:
    plan = _plan(GENERIC)
    basic = code_request(plan, "c", "v" * 43, "sec", "client_secret_basic")
    assert basic.basic == ("cid", "sec") and "client_secret" not in basic.data
    assert (
        basic.data["code_verifier"] == "v" * 43 and basic.data["grant_type"] == "authorization_code"
    )
    post = code_request(plan, "c", "v" * 43, "sec", "client_secret_post")
    assert post.basic is None and post.data["client_secret"] == "sec"
    public = code_request(plan, "c", "v" * 43, None, "none")
    assert public.data["client_id"] == "cid" and "client_secret" not in public.data


def test_token_file_values_seed_order_and_rewrite() -> None:
    response = TokenResponse("at", "Bearer", 3600, "rt", "openid offline_access")
    values = token_file_values(
        _plan(MICROSOFT), refresh_token="rt", client_secret="sec", timeout=30, now=0,
        response=response,
    )  # fmt: skip
    assert list(values)[:8] == ["UserID", "ClientID", "ClientSecret", "RefreshToken",
                                "TokenURI", "OuthURI", "OAUTH2_TIME_OUT", "Provider"]  # fmt: skip
    assert values["Provider"] == "1" and values["OAUTH2_TIME_OUT"] == "30"
    assert values["Issued"] == "1970-01-01T00:00:00Z" and "Scope" not in values
    new = render_token_file(values)
    assert new.startswith(b"[OAUTH2]\r\nUserID=me@example.test\r\n")
    old = b"; mine\n[OAUTH2]\nUserID=old@x\nScope=old scope\nExtra=keep\n[other]\nk=v\n"
    again = render_token_file(values, old).decode()
    assert "; mine" in again and "Extra=keep" in again and "[other]\nk=v" in again
    assert "UserID=me@example.test" in again and "Scope=\n" in again


def test_device_response() -> None:
    payload = {"device_code": "SECRET-DC", "user_code": "ABCD-EFGH",
               "verification_url": "https://x/device", "expires_in": 600}  # fmt: skip
    ok = parse_device_response(200, payload)
    assert isinstance(ok, DeviceCode) and ok.verification_uri == "https://x/device"
    assert ok.interval == 5.0 and "SECRET-DC" not in repr(ok)
    err = parse_device_response(400, {"error": "invalid_scope"})
    assert isinstance(err, ProviderError) and err.error == "invalid_scope"
    with pytest.raises(OAuthError):
        parse_device_response(200, {"user_code": "x"})


def test_status_arithmetic() -> None:
    now = 1_800_000_000.0
    issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 10 * DAY))
    ms = parse_token_file(
        Path("t"), f"[OAUTH2]\nClientID=c\nRefreshToken=rt1\nProvider=1\nIssued={issued}\n".encode()
    )
    st = token_status(ms, None, now)
    assert st.provider == "microsoft" and st.issued == now - 10 * DAY
    assert st.dies_by == now - 10 * DAY + 90 * DAY and not st.warn
    used = CachedToken("at", now - DAY, now + 3000, fingerprint("rt1"), scope="a b")
    st = token_status(ms, used, now)
    assert st.last_used == now - DAY and st.dies_by == now + 89 * DAY
    assert st.access_expires == now + 3000 and st.scopes == "a b"
    stale = CachedToken("at", now - DAY, now + 3000, fingerprint("other"))
    assert token_status(ms, stale, now).access_expires is None
    google = parse_token_file(
        Path("t"), f"[OAUTH2]\nClientID=c\nRefreshToken=r\nProvider=0\nIssued={issued}\n".encode()
    )
    st = token_status(google, None, now)
    assert st.dies_by == now - 3 * DAY and st.warn and st.rule == "token.rule_google"
    generic = parse_token_file(
        Path("t"), b"[OAUTH2]\nClientID=c\nRefreshToken=r\nProvider=generic\n"
    )
    st = token_status(generic, None, now)
    assert st.dies_by is None and st.issued is None and st.rule == "token.rule_generic"
    app = parse_token_file(
        Path("t"), b"[OAUTH2]\nClientID=c\nGrant=client_credentials\nProvider=1\n"
    )
    assert token_status(app, None, now).rule == "token.rule_app_only"
    assert parse_iso("2026-01-01T00:00:00Z") == 1767225600.0 and parse_iso("junk") is None


def test_login_options_are_the_login_command_line() -> None:
    """Every LoginOptions field is the `smail-token login` option of its name; --scope a tuple."""
    from pysmail.app.token.login import login_options
    from pysmail.cli.token_args import parse_args
    from pysmail.oauth.login import LoginOptions

    argv = ["login", "--provider", "google", "--scope", "a b", "--scope", "c", "--public"]
    got = login_options(parse_args([*argv, "--wait", "5", "--port", "8080", "--keyring"]))
    expected = LoginOptions(
        provider="google", scope=("a b", "c"), public=True, wait=5.0, port=8080, keyring=True
    )
    assert got == expected
    assert login_options(parse_args(["login"])) == LoginOptions()
