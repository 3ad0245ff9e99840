"""The responses of the setup server: every one with the same security headers (docs/setup.md)."""

from __future__ import annotations

import contextlib
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
    sources = f"'nonce-{nonce}'" if nonce else "'none'"
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    req.send_header("Cache-Control", "no-store")
    req.send_header("Referrer-Policy", "same-origin")
    req.send_header("X-Content-Type-Options", "nosniff")
    req.send_header("X-Frame-Options", "DENY")
    req.send_header(
        "Content-Security-Policy",
        f"default-src 'none'; style-src {sources}; script-src {sources}; img-src data:; "
        "base-uri 'none'; frame-ancestors 'none'",
    )
    for name, value in (extra or {}).items():
        req.send_header(name, value)
    req.send_header("Connection", "close")
    req.end_headers()
    with contextlib.suppress(OSError):
        req.wfile.write(body)
