"""The access-token cache: a private JSON sidecar next to the token file, tied to its refresh token.

smail_refreshtoken.ini         the refresh token (SMAIL's file; ours rewrites only RefreshToken)
smail_refreshtoken.ini.cache   {"v":1,"rt":<fingerprint>,"access_token":..,"expires_at":..}
smail_refreshtoken.ini.lock    the cross-process lock (empty)

An entry serves only while the file's refresh token has the fingerprint it was made with, so
`smail-token login` (a new refresh token) retires it at once. The fingerprint is a truncated
SHA-256: it identifies the token without revealing it.
"""

from __future__ import annotations

import contextlib
import os

from pysmail.fs.pathtext import join, name, parent
from pysmail.record import field, record
from pysmail.text.flatjson import flat_object

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.fs.pathtext import StrPath
    from pysmail.oauth.flow import TokenResponse

__all__ = [
    "CACHE_SUFFIX",
    "DEFAULT_MARGIN",
    "LOCK_SUFFIX",
    "CachedToken",
    "cache_path",
    "cached_entry",
    "clear_cache",
    "fingerprint",
    "lock_path",
    "read_cache",
    "usable",
    "write_cache",
]

CACHE_SUFFIX = ".cache"
LOCK_SUFFIX = ".lock"
DEFAULT_MARGIN = 600.0  # seconds; Microsoft's HVE endpoint refuses tokens closer to expiry
_VERSION = 1
_MAX_CACHE = 64 * 1024


@record
class CachedToken:
    """An access token with its lifetime; times are Unix seconds."""

    access_token: str = field(repr=False)
    obtained_at: float
    expires_at: float | None
    refresh_fingerprint: str
    token_type: str = "Bearer"
    scope: str | None = None


def cache_path(token_file: StrPath) -> str:
    return join(parent(token_file), name(token_file) + CACHE_SUFFIX)


def lock_path(token_file: StrPath) -> str:
    return join(parent(token_file), name(token_file) + LOCK_SUFFIX)


def fingerprint(refresh_token: str) -> str:
    import hashlib

    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()[:16]


def cached_entry(response: TokenResponse, refresh_token: str, obtained_at: float) -> CachedToken:
    """The cache entry for a token response obtained at `obtained_at` with `refresh_token`
    (the refresh token it belongs to: the rotated one, else the one spent)."""
    expires = obtained_at + response.expires_in if response.expires_in is not None else None
    return CachedToken(
        access_token=response.access_token,
        obtained_at=obtained_at,
        expires_at=expires,
        refresh_fingerprint=fingerprint(refresh_token),
        token_type=response.token_type,
        scope=response.scope,
    )


def usable(
    entry: CachedToken | None, refresh_token: str, now: float, margin: float
) -> CachedToken | None:
    """`entry` if it belongs to `refresh_token` and lives past `now` plus the margin (pure).

    The margin is at most half the token's lifetime, so a 4-second token (a test provider) or a
    5-minute one is still shared by the processes that wait for the same refresh.
    A token without expires_in is kept for 1 hour minus the margin.
    """
    if entry is None or entry.refresh_fingerprint != fingerprint(refresh_token):
        return None
    expires_at = entry.expires_at if entry.expires_at is not None else entry.obtained_at + 3600
    lifetime = max(0.0, expires_at - entry.obtained_at)
    if now < entry.obtained_at - 300:  # the clock went back: do not trust the entry
        return None
    return entry if now < expires_at - min(margin, lifetime / 2) else None


def read_cache(token_file: StrPath) -> CachedToken | None:
    """The cached token, or None when there is none or it is unreadable (it is only a cache)."""
    try:
        with open(cache_path(token_file), "rb") as stream:
            data = _json(stream.read(_MAX_CACHE))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return None
    return _entry(data)


def _json(raw: bytes) -> object:
    """`json.loads(raw)`. The cache as write_cache wrote it is read by text.flatjson, without
    importing json (docs/decisions.md D47); anything else by json."""
    try:
        data = flat_object(raw.decode("utf-8"))
    except UnicodeDecodeError:  # json reads UTF-16 and UTF-32 too
        data = None
    if data is not None:
        return data
    import json

    return json.loads(raw)


def _entry(data: dict[str, object]) -> CachedToken | None:
    """The CachedToken of a cache file's JSON object, None when a field is missing or wrong."""
    token, fp = data.get("access_token"), data.get("rt")
    obtained, expires = data.get("obtained_at"), data.get("expires_at")
    if not (isinstance(token, str) and token and isinstance(fp, str)):
        return None
    if not isinstance(obtained, int | float):
        return None
    if expires is not None and not isinstance(expires, int | float):
        return None
    token_type, scope = data.get("token_type"), data.get("scope")
    return CachedToken(
        access_token=token,
        obtained_at=float(obtained),
        expires_at=float(expires) if isinstance(expires, int | float) else None,
        refresh_fingerprint=fp,
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        scope=scope if isinstance(scope, str) else None,
    )


def write_cache(token_file: StrPath, entry: CachedToken) -> None:
    """Write the cache atomically, 0600 (POSIX) / the folder's ACL (Windows).

    Raises: OSError (callers treat a cache that cannot be written as no cache).
    """
    import json

    from pysmail.fs.atomic import write_atomic

    data = {
        "v": _VERSION,
        "rt": entry.refresh_fingerprint,
        "access_token": entry.access_token,
        "token_type": entry.token_type,
        "scope": entry.scope,
        "obtained_at": entry.obtained_at,
        "expires_at": entry.expires_at,
    }
    write_atomic(cache_path(token_file), json.dumps(data).encode("utf-8"))


def clear_cache(token_file: StrPath) -> None:
    """Forget the cached token (best effort)."""
    with contextlib.suppress(OSError):
        os.unlink(cache_path(token_file))
