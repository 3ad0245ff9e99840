"""POST one grant to a token endpoint and read the answer; OpenID discovery. The I/O half of the
smail-token flows (the requests themselves are built by pure functions elsewhere)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import (
    FormRequest,
    ProviderError,
    TokenResponse,
    parse_error,
    parse_token_response,
    shown_url,
)
from pysmail.oauth.http import HttpPort, HttpResult

__all__ = ["DISCOVERY_PATH", "discover", "post", "post_grant"]

DISCOVERY_PATH = "/.well-known/openid-configuration"


def post(http: HttpPort, request: FormRequest, timeout: float) -> HttpResult:
    return http.post_form(request.url, request.data, auth=request.basic, timeout=timeout)


def post_grant(
    http: HttpPort,
    request: FormRequest,
    *,
    preset: str,
    path: str | os.PathLike[str],
    timeout: float,
    soft_errors: tuple[str, ...] = (),
) -> TokenResponse | ProviderError:
    """The TokenResponse of a grant; a ProviderError only for the `soft_errors` (device polling:
    authorization_pending, slow_down). Every other failure raises OAuthError(NO_ACCESS_TOKEN)
    with its fix (oauth/errors.py)."""
    from pysmail.oauth.errors import provider_error

    result = post(http, request, timeout)
    error = parse_error(result.status, result.json)
    if error is None and 200 <= result.status < 300:
        return parse_token_response(request.url, result.status, result.json)
    if error is None:
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN,
            "oauth.http_status",
            http_status=result.status,
            url=shown_url(request.url),
            status=result.status,
        )
    if error.error in soft_errors:
        return error
    raise provider_error(error, preset, request.url, path)


def discover(http: HttpPort, issuer: str, timeout: float) -> Mapping[str, object]:
    """The issuer's OpenID discovery document.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.discovery_failed").
    """
    url = issuer.rstrip("/") + DISCOVERY_PATH
    result = http.get_json(url, timeout=timeout)
    if result.status != 200 or not isinstance(result.json, Mapping):
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN,
            "oauth.discovery_failed",
            http_status=result.status,
            issuer=shown_url(issuer),
            reason=f"HTTP {result.status}",
        )
    return result.json


def endpoint(document: Mapping[str, object], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) and value else None
