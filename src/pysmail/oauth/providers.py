"""Provider presets as data (Microsoft, Google, generic OpenID) and the choice for a token file."""

from __future__ import annotations

from pysmail.net.urlhost import url_host
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Literal

    from pysmail.oauth.tokenfile import TokenFile

__all__ = [
    "AUTH_METHODS",
    "GENERIC",
    "GOOGLE",
    "MICROSOFT",
    "PRESETS",
    "AuthMethod",
    "Preset",
    "Resolved",
    "preset_for",
    "resolve",
]

if TYPE_CHECKING:
    AuthMethod = Literal["client_secret_post", "client_secret_basic", "none"]
else:
    AuthMethod = str
AUTH_METHODS: tuple[AuthMethod, ...] = ("client_secret_post", "client_secret_basic", "none")

_AUTH_METHOD_NAMES: dict[str, AuthMethod] = {name: name for name in AUTH_METHODS}


@record
class Preset:
    """What a provider needs that smail_refreshtoken.ini does not say."""

    key: str
    smail_code: str | None  # the Provider= value SmailRefreshToken writes
    token_uri: str | None  # may hold {tenant}
    auth_uri: str | None
    device_uri: str | None
    scopes: tuple[str, ...]
    # Send `scope` with the refresh-token grant: Microsoft needs it in practice (AADSTS90009 without
    # it, oauth-facts 7); RFC 6749 6 makes it optional and omitting it keeps the original grant.
    scope_on_refresh: bool
    # How a confidential client presents its secret when the file does not say (RFC 6749 2.3.1).
    client_auth: AuthMethod
    mechanisms: tuple[str, ...]  # SASL mechanisms its mail servers accept, preferred first
    default_tenant: str | None
    token_hosts: tuple[str, ...]  # TokenURI host names that identify it


MICROSOFT = Preset(
    key="microsoft",
    smail_code="1",
    token_uri="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    auth_uri="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    device_uri="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
    scopes=(
        "https://outlook.office.com/SMTP.Send",
        "https://outlook.office.com/POP.AccessAsUser.All",
        "offline_access",
    ),
    scope_on_refresh=True,
    client_auth="client_secret_post",  # documented form; Basic is accepted too
    mechanisms=("XOAUTH2",),  # Exchange Online advertises AUTH LOGIN XOAUTH2 only
    default_tenant="common",  # or organizations, consumers, a tenant id or domain
    token_hosts=(
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "login.live.com",
    ),
)

# Provider=0 for Google is an assumption: the seed shows only Provider=1 (Microsoft).
GOOGLE = Preset(
    key="google",
    smail_code="0",
    token_uri="https://oauth2.googleapis.com/token",
    auth_uri="https://accounts.google.com/o/oauth2/v2/auth",
    device_uri=None,  # Google's device flow does not allow the mail scope
    scopes=("https://mail.google.com/",),
    scope_on_refresh=False,
    client_auth="client_secret_post",
    mechanisms=("XOAUTH2", "OAUTHBEARER"),
    default_tenant=None,
    token_hosts=("oauth2.googleapis.com", "accounts.google.com", "www.googleapis.com"),
)

# Any other OpenID provider: endpoints from Issuer (discovery) or TokenURI. RFC 6749 2.3.1: the
# server MUST support HTTP Basic for clients with a password, so Basic is the safe default.
GENERIC = Preset(
    key="generic",
    smail_code=None,
    token_uri=None,
    auth_uri=None,
    device_uri=None,
    scopes=(),
    scope_on_refresh=False,
    client_auth="client_secret_basic",
    mechanisms=("XOAUTH2", "OAUTHBEARER"),
    default_tenant=None,
    token_hosts=(),
)

PRESETS: dict[str, Preset] = {p.key: p for p in (MICROSOFT, GOOGLE, GENERIC)}
_NAMES = {
    "1": MICROSOFT,
    "microsoft": MICROSOFT,
    "ms": MICROSOFT,
    "azure": MICROSOFT,
    "entra": MICROSOFT,
    "office365": MICROSOFT,
    "0": GOOGLE,
    "google": GOOGLE,
    "gmail": GOOGLE,
    "generic": GENERIC,
    "oidc": GENERIC,
}


@record
class Resolved:
    """A token file's provider with every gap filled.

    `token_uri` is None when only `issuer` is known (discovery will find it); `auth_method` is
    None when discovery should decide; `refresh_scope` is None when no scope is sent.
    """

    preset: Preset
    token_uri: str | None
    issuer: str | None
    refresh_scope: str | None
    auth_method: AuthMethod | None
    mechanisms: tuple[str, ...]


def preset_for(provider: str | None, token_uri: str | None) -> Preset:
    """The preset named by Provider=, else the one whose host TokenURI uses, else GENERIC."""
    if provider:
        named = _NAMES.get(provider.strip().lower())
        if named is not None:
            return named
    host = url_host(token_uri) if token_uri else ""
    for preset in (MICROSOFT, GOOGLE):
        if host in preset.token_hosts:
            return preset
    return GENERIC


def _token_uri(doc: TokenFile, preset: Preset) -> str | None:
    """TokenURI=, else the preset's with Tenant= (or its default tenant)."""
    token_uri = doc.get("TokenURI")
    if token_uri is None and preset.token_uri is not None:
        tenant = doc.get("Tenant") or preset.default_tenant or ""
        token_uri = preset.token_uri.format(tenant=tenant)
    return token_uri


def _refresh_scope(preset: Preset, scope: str | None) -> str | None:
    if preset is MICROSOFT:
        return scope or " ".join(preset.scopes)
    if preset is GOOGLE:
        return None
    return scope


def _auth_method(doc: TokenFile, preset: Preset) -> AuthMethod | None:
    """TokenAuthMethod=, else the preset's (a generic issuer's discovery decides: None); a
    public client sends no secret (AADSTS700025 otherwise)."""
    if not doc.client_secret:
        return "none"
    named = _AUTH_METHOD_NAMES.get((doc.get("TokenAuthMethod") or "").strip().lower())
    if named is None and not (preset is GENERIC and doc.get("Issuer")):
        return preset.client_auth
    return named


def resolve(doc: TokenFile) -> Resolved:
    """Fill what the token file lacks from its provider's preset (pure).

    TokenURI wins over Tenant; Scope replaces the preset scopes. Microsoft sends a scope on
    refresh, Google never, a generic provider only when Scope= is set.
    """
    preset = preset_for(doc.get("Provider"), doc.get("TokenURI"))
    token_uri = _token_uri(doc, preset)
    refresh_scope = _refresh_scope(preset, doc.get("Scope"))
    auth_method = _auth_method(doc, preset)
    return Resolved(
        preset=preset,
        token_uri=token_uri,
        issuer=doc.get("Issuer"),
        refresh_scope=refresh_scope,
        auth_method=auth_method,
        mechanisms=preset.mechanisms,
    )
