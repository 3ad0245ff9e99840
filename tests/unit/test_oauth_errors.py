"""The fix table: every provider error and SMTP refusal code gets its own message and next step."""

from __future__ import annotations

import base64
import json

import pytest

from pysmail.catalog import CATALOGUE
from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.errors import AADSTS_FIXES, SMTP_FIXES, explain_auth_failure, provider_error
from pysmail.oauth.flow import parse_error

URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
PATH = "/srv/smail/smail_refreshtoken.ini"


def _err(body: dict[str, object], preset: str = "microsoft", status: int = 400):  # type: ignore[no-untyped-def]
    parsed = parse_error(status, body)
    assert parsed is not None
    return provider_error(parsed, preset, URL, PATH)


@pytest.mark.parametrize(
    ("code", "msgid", "hint"),
    [
        (65001, "oauth.aadsts_consent", "consent"),
        (50011, "oauth.aadsts_redirect_uri", "http://localhost"),
        (700025, "oauth.aadsts_public_client_secret", "Remove the ClientSecret"),
        (7000218, "oauth.aadsts_secret_required", "Allow public client flows"),
        (70043, "oauth.aadsts_sign_in_frequency", "Conditional Access"),
        (700082, "oauth.aadsts_inactive", "90 days"),
        (90009, "oauth.aadsts_scope_required", "Provider=1"),
        (7000215, "oauth.aadsts_bad_secret", "Value (not its ID)"),
        (7000222, "oauth.aadsts_secret_expired", "new secret"),
    ],
)
def test_every_aadsts_code(code: int, msgid: str, hint: str) -> None:
    desc = f"AADSTS{code}: something Microsoft says. Trace ID: abc"
    err = _err({"error": "invalid_grant", "error_description": desc})
    assert err.code is ErrCode.NO_ACCESS_TOKEN and err.msgid == msgid
    en, ja = format_error(err, "en"), format_error(err, "ja")
    assert hint in en and f"AADSTS{code}" in en and f"AADSTS{code}" in ja
    assert en.startswith("ERR-0028:")
    # the same code given only in Microsoft's error_codes list
    assert _err({"error": "invalid_client", "error_codes": [code]}).msgid == msgid


def test_aadsts_table_is_complete_and_catalogued() -> None:
    required = {65001, 50011, 700025, 7000218, 70043, 700082, 90009}
    assert required <= AADSTS_FIXES.keys()
    for msgid in (*AADSTS_FIXES.values(), *SMTP_FIXES.values()):
        assert msgid in CATALOGUE, msgid


@pytest.mark.parametrize(
    ("body", "preset", "msgid", "hint"),
    [
        (
            {"error": "invalid_grant", "error_description": "grant request is invalid"},
            "generic",
            "oauth.invalid_grant",
            "smail-token login",
        ),
        (
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            "google",
            "oauth.google_token_expired",
            "In production",
        ),
        (
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            "generic",
            "oauth.invalid_grant",
            "smail-token login",
        ),
        (
            {"error": "invalid_client", "error_description": "Unauthorized"},
            "google",
            "oauth.invalid_client",
            "ClientSecret",
        ),
        ({"error": "invalid_scope"}, "generic", "oauth.invalid_scope", "Scope="),
        ({"error": "unauthorized_client"}, "generic", "oauth.unauthorized_client", "refresh"),
        ({"error": "invalid_request"}, "generic", "oauth.invalid_request", "TokenAuthMethod"),
        ({"error": "server_error"}, "generic", "oauth.provider_error", "server_error"),
    ],
)
def test_rfc6749_and_google_errors(
    body: dict[str, object], preset: str, msgid: str, hint: str
) -> None:
    err = _err(body, preset)
    assert err.msgid == msgid and err.code is ErrCode.NO_ACCESS_TOKEN
    assert hint in format_error(err, "en")
    assert format_error(err, "ja")


def _auth_error(reply: str, detail: str | None = None) -> AuthError:
    params: dict[str, object] = {"host": "smtp.office365.com", "mechanism": "XOAUTH2", "user": "u"}
    if detail:
        return AuthError(
            ErrCode.AUTH_FAILED, "smtp.auth_failed_detail", reply=reply, detail=detail, **params
        )
    return AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply=reply, **params)


def _jwt(claims: dict[str, object]) -> str:
    enc = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{enc}.c2ln"


@pytest.mark.parametrize(
    ("reply", "msgid", "hint"),
    [
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
            "Tenant.",
            "oauth.smtp_auth_disabled",
            "Set-CASMailbox -Identity me@contoso.example",
        ),
        (
            "535 5.7.3 Authentication unsuccessful [AM0PR01CA0001.eurprd01.prod.outlook.com]",
            "oauth.smtp_wrong_audience",
            "aud=https://graph.microsoft.com",
        ),
        (
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            "oauth.smtp_basic_auth",
            "OAUTH-XOAUTH2",
        ),
        (
            "501 5.5.124 Invalid XOAUTH2 auth data - User address provided is not valid",
            "oauth.smtp_hve_user",
            "UserID",
        ),
        (
            "501 5.5.127 Invalid XOAUTH2 auth data - Token will expire soon",
            "oauth.smtp_token_expiring",
            "600",
        ),
    ],
)
def test_smtp_refusals(reply: str, msgid: str, hint: str) -> None:
    token = _jwt({"aud": "https://graph.microsoft.com", "scp": "User.Read", "upn": "me"})
    better = explain_auth_failure(_auth_error(reply), user="me@contoso.example", token=token)
    assert better is not None and better.msgid == msgid
    assert better.code is ErrCode.AUTH_FAILED and better.reply == reply
    text = format_error(better, "en")
    assert hint in text and token not in text
    assert token not in format_error(better, "ja")


def test_401_json_challenge_with_535_5_7_8() -> None:
    err = _auth_error("535 5.7.8 Authentication failed.", "status=401 schemes=bearer scope=mail")
    better = explain_auth_failure(err, user="alice@example.test", token="opaque-token-xyz")
    assert better is not None and better.msgid == "oauth.smtp_token_refused"
    text = format_error(better, "en")
    assert "status=401 schemes=bearer scope=mail" in text and "(not a JWT)" in text
    assert "opaque-token-xyz" not in text


def test_nothing_to_add() -> None:
    temp = AuthError(ErrCode.TEMPORARY, "smtp.auth_temporary", reply="454 4.7.0 Temporary")
    assert explain_auth_failure(temp, user="u", token="t") is None
    odd = _auth_error("504 5.5.4 Unrecognized authentication type")
    assert explain_auth_failure(odd, user="u", token=None) is None


@pytest.mark.parametrize(
    ("error", "msgid"),
    [
        (AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply="535 5.7.3 Authentication "
                   "unsuccessful", host="smtp.office365.com"), "oauth.app_only_not_granted"),
        (AuthError(ErrCode.TEMPORARY, "smtp.auth_temporary", reply="454 4.7.0 Temporary "
                   "authentication failure.", host="h"), "oauth.app_only_no_mailbox"),
        (AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply="535 5.7.139 Authentication "
                   "unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
                   host="h"), "oauth.smtp_auth_disabled"),
        (AuthError(ErrCode.AUTH_UNAVAILABLE, "smtp.auth_refused", reply="504 5.5.4 no",
                   host="h"), None),
    ],
)  # fmt: skip
def test_app_only_refusals_name_the_grant(error: AuthError, msgid: str | None) -> None:
    """An app-only token refused: 535 (Exchange's 5.7.3) -> the mailbox is not granted to the
    application; 454 -> no grant at all (or a real temporary failure); both name the fix."""
    better = explain_auth_failure(error, user="box@contoso.example", token="t", app_only=True)
    assert (better.msgid if better is not None else None) == msgid
    if better is not None:
        assert better.code is error.code and better.reply == error.reply
        text = format_error(better, "en") + format_error(better, "ja")
        if msgid != "oauth.smtp_auth_disabled":
            assert "Add-MailboxPermission -Identity box@contoso.example" in text
            assert "SMTP.SendAsApp" in text
