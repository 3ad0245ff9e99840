"""What went wrong and what to do next: provider errors and SMTP refusals -> catalogue ids.

Token endpoint (RFC 6749 5.2, Microsoft AADSTS codes, Google quirks) -> OAuthError(NO_ACCESS_TOKEN);
an SMTP AuthError after XOAUTH2/OAUTHBEARER (5.7.139, 5.7.3, 5.7.30, 5.5.124, 5.5.127, the 334
JSON status) -> the same AuthError with a message that says which setting to change.
"""

from __future__ import annotations

from pysmail.errors import TEMPORARY_OAUTH_ERRORS, AuthError, OAuthError, enhanced_codes
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import ProviderError, describe_claims, jwt_claims, shown_url

__all__ = ["AADSTS_FIXES", "SMTP_FIXES", "explain_auth_failure", "provider_error"]

# AADSTS code -> message id. Sources: oauth-facts.md 3.3, 4.3 (issue threads quoted there).
AADSTS_FIXES: dict[int, str] = {
    65001: "oauth.aadsts_consent",  # the user or admin has not consented to the scopes
    50011: "oauth.aadsts_redirect_uri",  # redirect URI not registered for the app
    700025: "oauth.aadsts_public_client_secret",  # public client must not send a secret
    7000218: "oauth.aadsts_secret_required",  # "Allow public client flows" off: secret needed
    70043: "oauth.aadsts_sign_in_frequency",  # Conditional Access sign-in frequency
    700082: "oauth.aadsts_inactive",  # refresh token unused for 90 days
    90009: "oauth.aadsts_scope_required",  # refresh without scope (oauth-facts 7)
    7000215: "oauth.aadsts_bad_secret",  # wrong client secret (value vs id confusion)
    7000222: "oauth.aadsts_secret_expired",  # the client secret has expired
}

# RFC 6749 5.2 error -> message id, when no AADSTS code says more.
_ERROR_FIXES: dict[str, str] = {
    "invalid_grant": "oauth.invalid_grant",
    "invalid_client": "oauth.invalid_client",
    "unauthorized_client": "oauth.unauthorized_client",
    "invalid_scope": "oauth.invalid_scope",
    "invalid_request": "oauth.invalid_request",
}

# Enhanced status codes in an SMTP AUTH refusal -> message id (oauth-facts 3.4, 4.5).
SMTP_FIXES: dict[str, str] = {
    "5.7.139": "oauth.smtp_auth_disabled",
    "5.7.3": "oauth.smtp_wrong_audience",
    "5.7.30": "oauth.smtp_basic_auth",
    "5.5.124": "oauth.smtp_hve_user",
    "5.5.127": "oauth.smtp_token_expiring",
}

# Google's description when a refresh token of an app in "Testing" status dies after 7 days
# (also after revocation, 6 months unused, or a password change).
_GOOGLE_EXPIRED = "token has been expired or revoked"


def provider_error(err: ProviderError, preset: str, url: str, path: object) -> OAuthError:
    """The OAuthError (ERR-0028) for a token endpoint's error response, with its fix."""
    msgid = _ERROR_FIXES.get(err.error, "oauth.provider_error")
    for aadsts in err.codes:
        if aadsts in AADSTS_FIXES:
            msgid = AADSTS_FIXES[aadsts]
            break
    else:
        google_expired = _GOOGLE_EXPIRED in err.description.lower()
        if preset == "google" and err.error == "invalid_grant" and google_expired:
            msgid = "oauth.google_token_expired"
    # Only an error without a known fix is worth a retry: a fix means the request is wrong.
    temporary = msgid == "oauth.provider_error" and err.error in TEMPORARY_OAUTH_ERRORS
    return OAuthError(
        ErrCode.NO_ACCESS_TOKEN,
        msgid,
        transient=temporary,
        http_status=err.status,
        url=shown_url(url),
        error=err.error,
        description=err.description or "-",
        path=path,
    )


def explain_auth_failure(
    err: AuthError, *, user: str, token: str | None, app_only: bool = False
) -> AuthError | None:
    """A clearer AuthError for a refused XOAUTH2/OAUTHBEARER login, or None when none applies.

    `token` is the access token that was refused: only its JWT claims (aud, scp, upn, exp) are
    shown, decoded without verification. The server's reply and the 334 JSON detail are kept.
    `app_only`: the token came from the client credentials grant (an app-only file), whose
    refusals mean the application's grant on the mailbox (docs/oauth.md).
    """
    reply = err.reply or ""
    claims = describe_claims(jwt_claims(token)) if token else "(no token)"
    common: dict[str, object] = {
        "host": err.params.get("host", "?"),
        "user": user,
        "claims": claims,
        "detail": err.params.get("detail") or "-",
    }
    if app_only:
        return _app_only_refusal(err, reply, common)
    if err.code is not ErrCode.AUTH_FAILED:
        return None
    for status in enhanced_codes(reply):
        msgid = SMTP_FIXES.get(status)
        if msgid is not None:
            return AuthError(ErrCode.AUTH_FAILED, msgid, reply=err.reply, **common)
    if err.params.get("detail") or reply.startswith("535"):
        return AuthError(ErrCode.AUTH_FAILED, "oauth.smtp_token_refused", reply=err.reply, **common)
    return None


def _app_only_refusal(err: AuthError, reply: str, common: dict[str, object]) -> AuthError | None:
    """An app-only token refused: 5xx -> the mailbox is not granted to the application
    (Exchange answers 535 5.7.3), 4xx -> no grant at all (the test stack's Dovecot, whose
    introspection then names no mailbox, answers 454) or a real temporary failure. SMTP AUTH
    switched off (5.7.139) keeps its own message."""
    if "5.7.139" in enhanced_codes(reply):
        return AuthError(err.code, SMTP_FIXES["5.7.139"], reply=err.reply, **common)
    msgid = {
        ErrCode.AUTH_FAILED: "oauth.app_only_not_granted",
        ErrCode.TEMPORARY: "oauth.app_only_no_mailbox",
    }.get(err.code)
    if msgid is None:
        return None
    return AuthError(err.code, msgid, reply=err.reply, **common)
