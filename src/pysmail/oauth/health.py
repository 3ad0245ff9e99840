"""Token health: what `smail-token status` shows (pure arithmetic on the token file and the
cache) and the SMTP probe of `smail-token check` (connect, TLS, AUTH, QUIT: no message).

Lifetimes (oauth-facts 4.3): Microsoft refresh tokens die after 90 days without use (each use
gives a new one, so the clock restarts at the last refresh); Google's die 7 days after consent
when the app is in "Testing" status, else after 6 months without use. Other providers: unknown.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pysmail.oauth.providers import GOOGLE, MICROSOFT, Preset, resolve
from pysmail.oauth.store import CachedToken, fingerprint
from pysmail.record import record

if TYPE_CHECKING:
    from pysmail.oauth.tokenfile import TokenFile
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import Trace

__all__ = [
    "GOOGLE_IDLE_DAYS",
    "GOOGLE_TESTING_DAYS",
    "MS_INACTIVITY_DAYS",
    "Status",
    "authenticate_only",
    "parse_iso",
    "token_status",
]

DAY = 86400.0
MS_INACTIVITY_DAYS = 90
GOOGLE_TESTING_DAYS = 7
GOOGLE_IDLE_DAYS = 182  # "unused for six months"
WARN_DAYS = 14  # status warns when the latest death is closer than this


@record
class Status:
    """One account as `status` shows it; times are Unix seconds, None when unknown."""

    provider: str
    user: str
    client_id: str
    grant: str
    scopes: str
    access_expires: float | None  # of the cached access token (None: none cached)
    issued: float | None  # the login that produced the refresh token
    last_used: float | None  # the last refresh (the cache's) or the login
    dies_by: float | None  # the latest date it will stop working
    rule: str  # catalogue id naming the lifetime rule
    warn: bool  # dies_by is near (or past)

    def age_days(self, now: float) -> float | None:
        return None if self.issued is None else max(0.0, (now - self.issued) / DAY)


def parse_iso(value: str | None) -> float | None:
    """Seconds of a `2026-05-01T10:00:00Z` stamp (the file's Issued=), None when unreadable."""
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def _current_cache(doc: TokenFile, cache: CachedToken | None, grant: str) -> CachedToken | None:
    """`cache` if it belongs to the file's current refresh token (app-only files have none)."""
    refresh = doc.refresh_token
    if cache is not None and refresh and cache.refresh_fingerprint != fingerprint(refresh):
        return None
    return None if grant == "client_credentials" else cache


def _lifetime(
    grant: str, preset: Preset, issued: float | None, last_used: float | None
) -> tuple[str, float | None]:
    """The catalogue id of the rule that ends the refresh token, and the date it ends by."""
    if grant == "client_credentials":
        return "token.rule_app_only", None
    if preset is MICROSOFT:  # counted from the last use
        return "token.rule_microsoft", _after(last_used, MS_INACTIVITY_DAYS)
    if preset is GOOGLE:  # an app in testing: counted from the sign-in
        return "token.rule_google", _after(issued, GOOGLE_TESTING_DAYS)
    return "token.rule_generic", None


def _after(start: float | None, days: float) -> float | None:
    return None if start is None else start + days * DAY


def token_status(doc: TokenFile, cache: CachedToken | None, now: float) -> Status:
    """The Status of one token file (pure): `cache` counts only if it belongs to the file's
    current refresh token (same fingerprint)."""
    preset = resolve(doc).preset
    grant = doc.get("Grant") or "authorization_code"
    cache = _current_cache(doc, cache, grant)
    issued = parse_iso(doc.get("Issued"))
    last_used = max(filter(None, (issued, cache.obtained_at if cache else None)), default=None)
    scopes = (
        (cache.scope if cache else None)
        or doc.get("GrantedScope")
        or doc.get("Scope")
        or " ".join(preset.scopes)
    )
    rule, dies_by = _lifetime(grant, preset, issued, last_used)
    return Status(
        provider=preset.key,
        user=doc.user,
        client_id=doc.client_id,
        grant=grant,
        scopes=scopes,
        access_expires=cache.expires_at if cache else None,
        issued=issued,
        last_used=last_used,
        dies_by=dies_by,
        rule=rule,
        warn=dies_by is not None and dies_by - now < WARN_DAYS * DAY,
    )


def authenticate_only(params: SmtpParams, auth: AuthRequest, trace: Trace | None) -> None:
    """Greeting, EHLO, STARTTLS (or SMTPS), AUTH, QUIT: no message is sent (session.py)."""
    from pysmail.smtp.session import authenticate_only as run

    run(params, auth, trace)
