"""PKCE (RFC 7636) and the OAuth `state`: random values from `secrets`, the S256 challenge."""

from __future__ import annotations

__all__ = ["challenge_s256", "make_state", "make_verifier"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def make_verifier(nbytes: int = 48) -> str:
    """A code_verifier: 64 characters of base64url from 48 random bytes (RFC 7636 4.1: 43-128)."""
    import secrets

    return secrets.token_urlsafe(nbytes)


def make_state(nbytes: int = 24) -> str:
    """An unguessable `state` (RFC 6749 10.12)."""
    import secrets

    return secrets.token_urlsafe(nbytes)


def challenge_s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 4.2).

    Raises: ValueError when `verifier` is not 43-128 unreserved characters.
    """
    import base64
    import hashlib

    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _UNRESERVED:
        raise ValueError("a PKCE verifier is 43-128 unreserved characters")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
