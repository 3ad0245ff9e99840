"""Token revocation (RFC 7009) where the provider offers it.

Google: https://oauth2.googleapis.com/revoke. Generic: discovery's revocation_endpoint.
Microsoft has no RFC 7009 endpoint for refresh tokens: the user removes the app's consent
(https://myapps.microsoft.com, or account.live.com/consent/Manage for personal accounts), or an
admin revokes the sessions; smail-token says so.
"""

from __future__ import annotations

from pysmail.oauth.flow import FormRequest, authenticated_form
from pysmail.oauth.providers import AuthMethod

__all__ = ["GOOGLE_REVOKE", "revocation_request"]

GOOGLE_REVOKE = "https://oauth2.googleapis.com/revoke"


def revocation_request(
    url: str,
    token: str,
    hint: str,
    client_id: str,
    client_secret: str | None,
    method: AuthMethod,
) -> FormRequest:
    """POST token=..&token_type_hint=.. with the client authenticated (RFC 7009 2.1)."""
    data = {"token": token, "token_type_hint": hint}
    return authenticated_form(url, data, client_id, client_secret, method)
