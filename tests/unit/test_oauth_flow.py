"""Pure OAuth steps: presets, refresh request bodies per provider, responses, JWT claims, URLs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import (
    choose_auth_method,
    describe_claims,
    jwt_claims,
    parse_discovery,
    parse_error,
    parse_token_response,
    refresh_request,
    shown_url,
)
from pysmail.oauth.http import check_url, proxy_for
from pysmail.oauth.providers import GENERIC, GOOGLE, MICROSOFT, preset_for, resolve
from pysmail.oauth.tokenfile import parse_token_file

MS_SCOPE = (
    "https://outlook.office.com/SMTP.Send https://outlook.office.com/POP.AccessAsUser.All "
    "offline_access"
)


def _doc(**values: str):  # type: ignore[no-untyped-def]
    body = "[OAUTH2]\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    return parse_token_file(Path("smail_refreshtoken.ini"), body.encode())


def _request(**values: str):  # type: ignore[no-untyped-def]
    doc = _doc(ClientID="cid", RefreshToken="rt-1", **values)
    resolved = resolve(doc)
    assert resolved.token_uri is not None
    method = choose_auth_method(resolved.auth_method, None, bool(doc.client_secret))
    return refresh_request(
        token_uri=resolved.token_uri,
        client_id=doc.client_id,
        client_secret=doc.client_secret,
        refresh_token=doc.refresh_token,
        scope=resolved.refresh_scope,
        auth_method=method,
    )


def test_microsoft_sends_scope_and_secret_in_the_body() -> None:
    req = _request(ClientSecret="s3cret", Provider="1")
    assert req.url == "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    assert req.data == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "cid",
        "client_secret": "s3cret",
        "scope": MS_SCOPE,
    }
    assert req.basic is None


def test_microsoft_tenant_scope_and_explicit_uri() -> None:
    req = _request(ClientSecret="s", Provider="1", Tenant="organizations", Scope="a b")
    assert req.url == "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    assert req.data["scope"] == "a b"
    uri = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
    assert _request(ClientSecret="s", TokenURI=uri, Tenant="x").url == uri  # TokenURI wins
    assert _request(ClientSecret="s", TokenURI=uri).data["scope"] == MS_SCOPE  # found by host


def test_google_sends_no_scope_on_refresh() -> None:
    req = _request(ClientSecret="gsecret", Provider="0")
    assert req.url == "https://oauth2.googleapis.com/token"
    assert req.data == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "cid",
        "client_secret": "gsecret",
    }


def test_generic_uses_basic_with_form_encoded_credentials_and_no_scope() -> None:
    req = _request(ClientSecret="p@ss:w rd", TokenURI="https://id.example/token")
    assert req.data == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert req.basic == ("cid", "p%40ss%3Aw+rd")  # RFC 6749 2.3.1
    scoped = _request(ClientSecret="s", TokenURI="https://id.example/token", Scope="mail")
    assert scoped.data["scope"] == "mail"


def test_explicit_token_auth_method_wins() -> None:
    req = _request(
        ClientSecret="s", TokenURI="https://id.example/t", TokenAuthMethod="client_secret_post"
    )
    assert req.basic is None and req.data["client_secret"] == "s"
    req = _request(ClientSecret="s", Provider="1", TokenAuthMethod="client_secret_basic")
    assert req.basic == ("cid", "s") and "client_secret" not in req.data


@pytest.mark.parametrize("provider", ["1", "0", "generic"])
def test_public_client_sends_no_secret(provider: str) -> None:
    req = _request(ClientSecret="", Provider=provider, TokenURI="https://id.example/token")
    assert req.basic is None
    assert "client_secret" not in req.data and req.data["client_id"] == "cid"


def test_discovery_decides_the_auth_method() -> None:
    assert choose_auth_method(None, ["client_secret_post"], True) == "client_secret_post"
    assert choose_auth_method(None, ["client_secret_post", "client_secret_basic"], True) == (
        "client_secret_basic"
    )
    assert choose_auth_method(None, ["private_key_jwt"], True) == "client_secret_basic"
    assert choose_auth_method(None, None, True) == "client_secret_basic"
    assert choose_auth_method("client_secret_post", ["client_secret_basic"], True) == (
        "client_secret_post"
    )
    assert choose_auth_method("client_secret_basic", None, False) == "none"
    doc = _doc(ClientID="c", RefreshToken="r", ClientSecret="s", Issuer="https://id.example")
    assert resolve(doc).auth_method is None and resolve(doc).token_uri is None
    endpoint, methods = parse_discovery(
        "https://id.example",
        {"token_endpoint": "https://id.example/t", "token_endpoint_auth_methods_supported": ["x"]},
    )
    assert endpoint == "https://id.example/t" and methods == ("x",)
    with pytest.raises(OAuthError) as info:
        parse_discovery("https://id.example", {"issuer": "x"})
    assert info.value.msgid == "oauth.discovery_failed"


def test_presets() -> None:
    assert preset_for("1", None) is MICROSOFT and preset_for("0", None) is GOOGLE
    assert preset_for(None, "https://oauth2.googleapis.com/token") is GOOGLE
    assert preset_for("7", "https://login.microsoftonline.com/x") is MICROSOFT
    assert preset_for(None, "http://127.0.0.1:9/token") is GENERIC
    assert MICROSOFT.mechanisms == ("XOAUTH2",)
    assert "OAUTHBEARER" in GOOGLE.mechanisms and "https://mail.google.com/" in GOOGLE.scopes


def test_token_response() -> None:
    body = {
        "access_token": "at-123",
        "token_type": "Bearer",
        "expires_in": "3599",
        "refresh_token": "rt-2",
        "scope": "mail",
    }
    resp = parse_token_response("https://x/t", 200, body)
    assert (resp.access_token, resp.expires_in, resp.refresh_token) == ("at-123", 3599.0, "rt-2")
    assert "at-123" not in repr(resp) and "rt-2" not in repr(resp)
    resp = parse_token_response("https://x/t", 200, {"access_token": "at", "expires_in": True})
    assert resp.refresh_token is None and resp.expires_in is None and resp.token_type == "Bearer"


@pytest.mark.parametrize(
    "payload", [None, [], "text", {"token_type": "Bearer"}, {"access_token": 5}]
)
def test_malformed_token_response(payload: object) -> None:
    with pytest.raises(OAuthError) as info:
        parse_token_response("https://u:p@x/t?q=1", 200, payload)
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN
    assert info.value.msgid == "oauth.token_malformed"
    assert info.value.params["url"] == "https://x/t"


def test_error_response_with_aadsts_codes() -> None:
    desc = "AADSTS70043: The refresh token has expired.\r\nTrace ID: 1 Timestamp: 2026"
    err = parse_error(400, {"error": "invalid_grant", "error_description": desc})
    assert err is not None and err.codes == (70043,)
    assert err.description.startswith("AADSTS70043: The refresh token has expired. Trace ID")
    err = parse_error(400, {"error": "invalid_client", "error_codes": [7000215], "x": 1})
    assert err is not None and err.codes == (7000215,) and err.description == ""
    assert parse_error(500, {"message": "oops"}) is None and parse_error(500, None) is None
    long = parse_error(400, {"error": "e", "error_description": "y" * 1000})
    assert long is not None and len(long.description) == 300


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_jwt_claims_are_decoded_for_diagnostics_only() -> None:
    token = _jwt(
        {
            "aud": "https://graph.microsoft.com",
            "scp": "User.Read SMTP.Send",
            "upn": "a@contoso.example",
            "exp": 1800000000,
            "secretish": "not shown",
        }
    )
    claims = jwt_claims(token)
    assert claims is not None and claims["aud"] == "https://graph.microsoft.com"
    shown = describe_claims(claims)
    assert shown == (
        "aud=https://graph.microsoft.com scp=User.Read SMTP.Send upn=a@contoso.example "
        "exp=2027-01-15T08:00:00Z"
    )
    assert token not in shown and "not shown" not in shown
    assert jwt_claims("opaque-token") is None and jwt_claims("a.!!!.c") is None
    assert describe_claims(None) == "(not a JWT)"
    assert describe_claims({"aud": ["a", "b"]}) == "aud=a b"


def test_urls() -> None:
    assert shown_url("https://user:pw@id.example:8443/t?x=secret") == "https://id.example:8443/t"
    assert check_url("https://login.microsoftonline.com/common/oauth2/v2.0/token") is None
    assert check_url("http://127.0.0.1:5000/token") is None
    assert check_url("http://localhost/token") is None
    assert check_url("http://id.example/token") is not None  # secrets in clear: refused
    assert check_url("ftp://id.example/token") is not None
    assert check_url("login.microsoftonline.com/token") is not None
    assert check_url("https://host:99999/token") is not None
    assert check_url("") is not None


def test_proxy_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://proxy.example:8080")
    monkeypatch.setenv("no_proxy", "internal.example")
    assert proxy_for("https://login.example/t", None) == "http://proxy.example:8080"
    assert proxy_for("https://internal.example/t", None) is None
    assert proxy_for("https://internal.example/t", "http://p:1") == "http://p:1"
    assert proxy_for("http://127.0.0.1:9/t", None) is None  # no http_proxy set
