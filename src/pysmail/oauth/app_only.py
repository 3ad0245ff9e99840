"""App-only tokens (client credentials, RFC 6749 4.4) for Microsoft 365 SMTP.SendAsApp.

No refresh token and no user: each need gets a new access token from the client's own
credentials. Certificate credentials (private_key_jwt) are a documented follow-up.
"""

from __future__ import annotations

from pysmail.oauth.authorize import authenticated_form
from pysmail.oauth.flow import FormRequest
from pysmail.oauth.providers import AuthMethod

__all__ = ["APP_ONLY_GRANT", "MS_APP_ONLY_SCOPE", "client_credentials_request"]

APP_ONLY_GRANT = "client_credentials"
MS_APP_ONLY_SCOPE = "https://outlook.office365.com/.default"


def client_credentials_request(
    token_url: str, client_id: str, client_secret: str, method: AuthMethod, scope: str | None
) -> FormRequest:
    data = {"grant_type": APP_ONLY_GRANT}
    if scope:
        data["scope"] = scope
    return authenticated_form(token_url, data, client_id, client_secret, method)
