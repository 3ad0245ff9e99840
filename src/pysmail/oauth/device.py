"""Device authorization grant (RFC 8628), pure parts and the polling loop.

Microsoft supports it (the app registration needs "Allow public client flows"). Google does
NOT allow it for mail: its device flow accepts only a short list of scopes, and
https://mail.google.com/ is not on it (invalid_scope); use the browser login there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import (
    FormRequest,
    ProviderError,
    TokenResponse,
    authenticated_form,
    parse_error,
)
from pysmail.oauth.http import HttpPort
from pysmail.oauth.providers import AuthMethod
from pysmail.record import field, record

__all__ = [
    "DEVICE_GRANT",
    "DeviceCode",
    "device_request",
    "device_token_request",
    "parse_device_response",
    "poll_device",
]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0  # RFC 8628 3.5
_CODE = ErrCode.NO_ACCESS_TOKEN


@record
class DeviceCode:
    """The device authorization response (RFC 8628 3.2)."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


def device_request(
    url: str, client_id: str, client_secret: str | None, method: AuthMethod, scope: str
) -> FormRequest:
    return authenticated_form(url, {"scope": scope}, client_id, client_secret, method)


def parse_device_response(status: int, payload: object) -> DeviceCode | ProviderError:
    """The DeviceCode, or the provider's error.

    Raises: OAuthError(NO_ACCESS_TOKEN, "token.device_malformed") for anything else.
    """
    error = parse_error(status, payload)
    if error is not None:
        return error
    if not isinstance(payload, dict) or not 200 <= status < 300:
        raise OAuthError(_CODE, "token.device_malformed", reason=f"HTTP {status}")
    code, user, uri = _required(payload)
    complete = payload.get("verification_uri_complete")
    expires, interval = _number(payload.get("expires_in")), _number(payload.get("interval"))
    return DeviceCode(
        device_code=code,
        user_code=user,
        verification_uri=uri,
        verification_uri_complete=complete if isinstance(complete, str) else None,
        expires_in=expires if expires is not None else 900.0,
        interval=interval if interval is not None and interval > 0 else 5.0,
    )


def _required(payload: dict[str, object]) -> tuple[str, str, str]:
    """device_code, user_code and verification_uri, which every answer must have."""
    code, user = payload.get("device_code"), payload.get("user_code")
    # Azure AD v1 said verification_url; RFC 8628 says verification_uri.
    uri = payload.get("verification_uri") or payload.get("verification_url")
    if not (isinstance(code, str) and isinstance(user, str) and isinstance(uri, str)):
        raise OAuthError(_CODE, "token.device_malformed", reason="missing fields")
    return code, user, uri


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def device_token_request(
    token_url: str, code: DeviceCode, client_id: str, client_secret: str | None,
    method: AuthMethod,
) -> FormRequest:  # fmt: skip
    data = {"grant_type": DEVICE_GRANT, "device_code": code.device_code}
    return authenticated_form(token_url, data, client_id, client_secret, method)


def poll_device(
    http: HttpPort,
    request: FormRequest,
    code: DeviceCode,
    *,
    preset: str,
    path: Path,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> TokenResponse:
    """Poll the token endpoint until the user approved, refused, or the code expired.

    Raises: OAuthError(NO_ACCESS_TOKEN): token.consent_refused (access_denied),
    token.device_expired (expired_token or our deadline), or the provider error's fix.
    """
    from pysmail.oauth.exchange import post_grant

    interval = code.interval
    deadline = clock() + code.expires_in
    while True:
        sleep(interval)
        if clock() > deadline:
            raise OAuthError(_CODE, "token.device_expired")
        answer = post_grant(
            http, request, preset=preset, path=path, timeout=timeout,
            soft_errors=("authorization_pending", "slow_down", "access_denied", "expired_token"),
        )  # fmt: skip
        if isinstance(answer, TokenResponse):
            return answer
        if answer.error == "slow_down":
            interval += SLOW_DOWN_STEP
        elif answer.error == "access_denied":
            raise OAuthError(_CODE, "token.consent_refused", description=answer.description or "-")
        elif answer.error == "expired_token":
            raise OAuthError(_CODE, "token.device_expired")
