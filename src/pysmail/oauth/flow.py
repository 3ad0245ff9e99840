"""Pure OAuth steps: the refresh-token grant request, token and error responses, JWT claims.

No I/O: http.py moves the bytes, provider.py decides when. Nothing here prints a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.providers import AuthMethod
from pysmail.record import field, record

__all__ = [
    "DIAGNOSTIC_CLAIMS",
    "FormRequest",
    "ProviderError",
    "TokenResponse",
    "authenticated_form",
    "basic_credentials",
    "choose_auth_method",
    "describe_claims",
    "jwt_claims",
    "parse_discovery",
    "parse_error",
    "parse_token_response",
    "refresh_request",
    "shown_url",
]

_AADSTS = re.compile(r"\bAADSTS(\d{4,})\b")
DIAGNOSTIC_CLAIMS = ("aud", "scp", "scope", "upn", "preferred_username", "tid", "appid", "exp")
MAX_DESCRIPTION = 300  # characters of a provider's error_description shown to the user


@record
class FormRequest:
    """A POST of `application/x-www-form-urlencoded` `data` to `url`, Basic auth if `basic`."""

    url: str
    data: dict[str, str] = field(repr=False)
    basic: tuple[str, str] | None = field(default=None, repr=False)


@record
class TokenResponse:
    """A successful token response (RFC 6749 5.1); `refresh_token` None when none came back."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: float | None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None


@record
class ProviderError:
    """An error response (RFC 6749 5.2), with Microsoft's AADSTS codes pulled out."""

    status: int
    error: str
    description: str
    codes: tuple[int, ...] = ()


def shown_url(url: str) -> str:
    """`url` without user:password@ and without query, as it may appear in a message."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return url.rpartition("@")[2].partition("?")[0]


def choose_auth_method(
    configured: AuthMethod | None, supported: Sequence[str] | None, has_secret: bool
) -> AuthMethod:
    """How to present the client secret.

    No secret: "none" (public client). Else the configured method; else, from discovery's
    token_endpoint_auth_methods_supported, Basic if listed (RFC 6749 2.3.1 makes it mandatory
    to support), then post; with no list, OpenID Discovery's default, Basic.
    """
    if not has_secret:
        return "none"
    if configured is not None and configured != "none":
        return configured
    if supported:
        if "client_secret_basic" in supported:
            return "client_secret_basic"
        if "client_secret_post" in supported:
            return "client_secret_post"
    return "client_secret_basic"


def basic_credentials(client_id: str, client_secret: str) -> tuple[str, str]:
    """RFC 6749 2.3.1: id and secret are form-urlencoded before they go into HTTP Basic."""
    from urllib.parse import quote_plus

    return quote_plus(client_id), quote_plus(client_secret)


def authenticated_form(
    url: str,
    data: dict[str, str],
    client_id: str,
    client_secret: str | None,
    method: AuthMethod,
) -> FormRequest:
    """`data` POSTed to `url` with the client authenticated (RFC 6749 2.3.1): HTTP Basic, the
    secret in the body, or (public client) only client_id."""
    body = dict(data)
    basic = None
    if method == "client_secret_basic" and client_secret:
        basic = basic_credentials(client_id, client_secret)
    else:
        body["client_id"] = client_id
        if method == "client_secret_post" and client_secret:
            body["client_secret"] = client_secret
    return FormRequest(url, body, basic)


def refresh_request(
    *,
    token_uri: str,
    client_id: str,
    client_secret: str | None,
    refresh_token: str,
    scope: str | None,
    auth_method: AuthMethod,
) -> FormRequest:
    """The refresh-token grant (RFC 6749 6).

    POST token_uri
    grant_type=refresh_token&refresh_token=..&client_id=..[&client_secret=..][&scope=..]
    With client_secret_basic the secret goes in `Authorization: Basic` instead, and client_id
    stays out of the body; a public client ("none") sends client_id and no secret.
    """
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    request = authenticated_form(token_uri, data, client_id, client_secret, auth_method)
    if scope:
        request.data["scope"] = scope
    return request


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_error(status: int, payload: object) -> ProviderError | None:
    """The error response in `payload`, or None when it holds no `error` member."""
    if not isinstance(payload, Mapping):
        return None
    error = _text(payload.get("error"))
    if not error:
        return None
    description = " ".join(_text(payload.get("error_description")).split())
    codes: list[int] = []
    raw_codes = payload.get("error_codes")
    if isinstance(raw_codes, list):
        codes.extend(c for c in raw_codes if isinstance(c, int) and not isinstance(c, bool))
    codes.extend(int(c) for c in _AADSTS.findall(description) if int(c) not in codes)
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 3] + "..."
    return ProviderError(status, error, description, tuple(codes))


def _malformed(status: int, where: str, reason: str) -> OAuthError:
    return OAuthError(
        ErrCode.NO_ACCESS_TOKEN,
        "oauth.token_malformed",
        http_status=status,
        url=where,
        status=status,
        reason=reason,
    )


def parse_token_response(url: str, status: int, payload: object) -> TokenResponse:
    """The TokenResponse in a 2xx answer.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.token_malformed") when the answer is not a JSON
    object with a string `access_token` (the reason never quotes the body: it may hold tokens).
    """
    where = shown_url(url)
    if not isinstance(payload, Mapping):
        raise _malformed(status, where, "not a JSON object")
    token = payload.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise _malformed(status, where, "no access_token")
    refresh = payload.get("refresh_token")
    scope = payload.get("scope")
    return TokenResponse(
        access_token=token.strip(),
        token_type=_text(payload.get("token_type")) or "Bearer",
        expires_in=_as_float(payload.get("expires_in")),
        refresh_token=refresh.strip() if isinstance(refresh, str) and refresh.strip() else None,
        scope=scope if isinstance(scope, str) else None,
    )


def parse_discovery(issuer: str, payload: object) -> tuple[str, tuple[str, ...] | None]:
    """(token_endpoint, token_endpoint_auth_methods_supported) of a discovery document.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.discovery_failed").
    """
    endpoint = payload.get("token_endpoint") if isinstance(payload, Mapping) else None
    if not isinstance(endpoint, str) or not endpoint:
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN,
            "oauth.discovery_failed",
            issuer=shown_url(issuer),
            reason="no token_endpoint",
        )
    assert isinstance(payload, Mapping)
    methods = payload.get("token_endpoint_auth_methods_supported")
    supported = (
        tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list) else None
    )
    return endpoint, supported


def jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT, decoded WITHOUT verification, for diagnostics only; None if opaque."""
    import base64
    import binascii
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return data if isinstance(data, dict) else None


def describe_claims(claims: Mapping[str, object] | None) -> str:
    """`aud=.. scp=.. upn=.. exp=2026-..Z` from the claims that explain a refusal; never a token."""
    import datetime as dt

    if not claims:
        return "(not a JWT)"
    shown: list[str] = []
    for name in DIAGNOSTIC_CLAIMS:
        value = claims.get(name)
        if value is None:
            continue
        if name == "exp" and isinstance(value, int | float) and not isinstance(value, bool):
            stamp = dt.datetime.fromtimestamp(float(value), dt.UTC)
            shown.append(f"exp={stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        elif isinstance(value, list):
            shown.append(f"{name}={' '.join(str(v) for v in value)}")
        else:
            shown.append(f"{name}={value}")
    return " ".join(shown) or "(no aud/scp/upn/exp)"
