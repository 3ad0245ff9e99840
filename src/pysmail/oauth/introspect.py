"""What a token says about itself, for `smail-token check` and `status`.

A JWT access token is decoded here (its claims, NOT verified: for diagnostics only). An opaque
one can be described only by the provider: RFC 7662 introspection, when the provider publishes
an `introspection_endpoint` in its discovery document and lets this client ask. Microsoft and
Google publish none for their access tokens (their discovery documents have no such endpoint),
and a provider may refuse a client that has no secret (RFC 7662 2.1: the caller must be
authorized; oidc-provider then answers `active: false`). Every such case is said plainly:
an `Opaque` with the reason, never a guess from the token file.

`describe_claims` maps a JWT's claims or an introspection answer to `TokenFacts` (pure);
`ask` is the one introspection request (I/O), used by `check` (the access token) and by
`status` (is the refresh token still active).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pysmail.errors import SmailError
from pysmail.record import record

if TYPE_CHECKING:
    from pysmail.oauth.http import HttpPort
    from pysmail.oauth.providers import Preset
    from pysmail.oauth.tokenfile import TokenFile

__all__ = [
    "JWT",
    "INTROSPECTION",
    "Opaque",
    "TokenFacts",
    "ask",
    "describe",
    "facts_from_claims",
]

JWT = "jwt"
INTROSPECTION = "introspection"
# Who the token is for, most specific first: RFC 7662's `username`, Microsoft's `upn` (what
# Exchange matches), OpenID's `preferred_username`, then `unique_name`, `email` and `sub`.
USER_CLAIMS = ("username", "upn", "preferred_username", "unique_name", "email", "sub")
MAX_SHOWN = 300  # characters of one value shown (a hostile server may send megabytes)


@record
class TokenFacts:
    """A token's user, audience, scopes and expiry, as its claims or the provider say."""

    origin: str  # JWT (decoded here) or INTROSPECTION (the provider's answer)
    user: str | None
    audience: str | None
    scopes: str | None
    expires: float | None  # Unix seconds
    where: str | None = None  # the introspection endpoint asked (shown_url), for INTROSPECTION


@record
class Opaque:
    """Why an opaque token cannot be described here: a catalogue id and its parameters."""

    msgid: str
    params: tuple[tuple[str, str], ...] = ()
    error: SmailError | None = None  # a failed discovery or request: its text is the reason


def _shown(value: object) -> str | None:
    """A claim as text: a list joined by spaces; None when absent or empty."""
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, list):
        text = " ".join(str(v) for v in value if not isinstance(v, dict | list))
    else:
        text = str(value)
    text = text.strip()
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "..."
    return text or None


def facts_from_claims(
    claims: Mapping[str, object], origin: str, where: str | None = None
) -> TokenFacts:
    """TokenFacts of a JWT's claims or of an introspection answer (pure).

    Scopes: `scope` (RFC 7662, RFC 9068), else Microsoft's `scp` (delegated) or `roles`
    (app-only). Expiry: `exp`, when it is a number.
    """
    user = next((v for v in (_shown(claims.get(k)) for k in USER_CLAIMS) if v), None)
    scopes = _shown(claims.get("scope")) or _shown(claims.get("scp")) or _shown(claims.get("roles"))
    exp = claims.get("exp")
    expires = float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    if expires is not None and not (0 <= expires < 1e11):
        expires = None  # not a date any clock can show
    return TokenFacts(origin, user, _shown(claims.get("aud")), scopes, expires, where)


def describe(token: str, doc: TokenFile, http: HttpPort) -> TokenFacts | Opaque:
    """The facts of an access token: its JWT claims, else the provider's introspection answer;
    else Opaque with the reason. Never raises for a provider's failure (it is the reason)."""
    from pysmail.oauth.flow import jwt_claims

    claims = jwt_claims(token)
    if claims is not None:
        return facts_from_claims(claims, JWT)
    answer = ask(token, "access_token", doc, http)
    if isinstance(answer, Opaque):
        return answer
    where, result = answer
    if result.get("active") is not True:
        # just issued to us, so "not active" means this client may not see it (or it was
        # revoked a moment ago): either way, nothing can be read
        msgid = "token.opaque_inactive" if doc.client_secret else "token.opaque_inactive_public"
        return Opaque(msgid, (("url", where),))
    return facts_from_claims(result, INTROSPECTION, where)


def _endpoint(
    doc: TokenFile, preset: Preset, http: HttpPort
) -> tuple[str, Mapping[str, object]] | Opaque:
    """The introspection endpoint of the file's issuer and its discovery document, or why
    there is none (a preset provider, no Issuer=, a failed discovery)."""
    from pysmail.oauth.exchange import discover, endpoint
    from pysmail.oauth.flow import shown_url
    from pysmail.oauth.providers import GENERIC

    if preset is not GENERIC:
        return Opaque("token.opaque_no_endpoint_preset", (("provider", preset.key),))
    issuer = doc.get("Issuer")
    if not issuer:
        return Opaque("token.opaque_no_issuer")
    try:
        found = discover(http, issuer, doc.timeout)
    except SmailError as exc:
        return Opaque("token.opaque_failed", error=exc)
    url = endpoint(found, "introspection_endpoint")
    if url is None:
        return Opaque("token.opaque_no_endpoint", (("issuer", shown_url(issuer)),))
    return url, found


def ask(
    token: str, hint: str, doc: TokenFile, http: HttpPort
) -> tuple[str, Mapping[str, object]] | Opaque:
    """(the endpoint as shown, the provider's RFC 7662 answer) for `token`, or why it cannot
    be asked. The client authenticates as it does at the token endpoint, with the method the
    discovery document lists for introspection when the file does not name one."""
    from pysmail.oauth.exchange import post
    from pysmail.oauth.flow import authenticated_form, choose_auth_method, shown_url
    from pysmail.oauth.providers import resolve

    resolved = resolve(doc)
    known = _endpoint(doc, resolved.preset, http)
    if isinstance(known, Opaque):
        return known
    url, found = known
    where = shown_url(url)
    listed = found.get("introspection_endpoint_auth_methods_supported")
    supported = [m for m in listed if isinstance(m, str)] if isinstance(listed, list) else None
    method = choose_auth_method(resolved.auth_method, supported, bool(doc.client_secret))
    data = {"token": token, "token_type_hint": hint}
    request = authenticated_form(url, data, doc.client_id, doc.client_secret, method)
    try:
        result = post(http, request, doc.timeout)
    except SmailError as exc:
        return Opaque("token.opaque_failed", error=exc)
    if result.status != 200 or not isinstance(result.json, Mapping):
        return Opaque("token.opaque_refused", (("url", where), ("status", str(result.status))))
    return where, result.json
