"""The responses of the setup server: every one with the same security headers (docs/setup.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import http.server
    from collections.abc import Mapping

__all__ = ["send"]


def send(
    req: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    ctype: str = "text/html; charset=utf-8",
    *,
    nonce: str = "",
    extra: Mapping[str, str] | None = None,
) -> None:
    """One complete response: no-store, frame-denied, nosniff, Referrer-Policy same-origin and
    a nonce-only CSP (no script or style without `nonce`); the connection is closed after it."""
    from pysmail.oauth.redirect import send_page

    sources = f"'nonce-{nonce}'" if nonce else "'none'"
    headers = [
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            f"default-src 'none'; style-src {sources}; script-src {sources}; img-src data:; "
            "base-uri 'none'; frame-ancestors 'none'",
        ),
        *(extra or {}).items(),
    ]
    send_page(req, status, body, ctype, headers)
