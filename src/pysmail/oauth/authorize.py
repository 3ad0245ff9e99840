"""Pure steps of the authorization code flow with PKCE: the URL, the redirect, the code exchange,
the token file it produces, and the page the browser shows. No I/O.

    plan = LoginPlan(...)                       what the user chose (provider, ids, endpoints)
    url = authorize_url(plan, state, challenge) open it in a browser
    code = parse_redirect(target, plan, state)  the redirect that came back (or was pasted)
    req = code_request(plan, code, verifier, secret, method)   POST it to the token endpoint
    values = token_file_values(plan, response, ...)            smail_refreshtoken.ini keys
"""

from __future__ import annotations

from collections.abc import Mapping

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import FormRequest, TokenResponse, authenticated_form, shown_url
from pysmail.oauth.providers import GENERIC, GOOGLE, MICROSOFT, AuthMethod, Preset
from pysmail.record import field, record

__all__ = [
    "DEFAULT_MS_REDIRECT",
    "LOOPBACK_HOSTS",
    "LoginPlan",
    "authorize_url",
    "code_request",
    "parse_redirect",
    "render_token_file",
    "result_page",
    "token_file_values",
]

# What the seed tells users to register for SmailRefreshToken (Microsoft).
DEFAULT_MS_REDIRECT = "http://localhost:8001/myapp/"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_CODE = ErrCode.NO_ACCESS_TOKEN


@record
class LoginPlan:
    """Everything the login needs except the secrets. `redirect_uri` is the final one (with the
    port the listener got). `prompt` None: the provider's default (see authorize_url)."""

    preset: Preset
    user: str
    client_id: str
    auth_url: str
    token_url: str
    scopes: tuple[str, ...]
    redirect_uri: str
    issuer: str | None = None
    tenant: str | None = None
    prompt: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def authorize_url(plan: LoginPlan, state: str, challenge: str) -> str:
    """The authorization request (RFC 6749 4.1.1 + RFC 7636 4.3).

    Google: access_type=offline and prompt=consent (a refresh token comes only with consent).
    Generic: prompt=consent when offline_access is asked (OpenID Core 11: without it the
    provider may drop offline_access; oidc-provider does). Microsoft: no prompt unless asked.
    login_hint pre-fills the address everywhere.
    """
    from urllib.parse import urlencode

    params: dict[str, str] = {
        "response_type": "code",
        "client_id": plan.client_id,
        "redirect_uri": plan.redirect_uri,
        "scope": plan.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if plan.user:
        params["login_hint"] = plan.user
    prompt = plan.prompt
    if plan.preset is GOOGLE:
        params["access_type"] = "offline"
        prompt = prompt or "consent"
    elif plan.preset is GENERIC and "offline_access" in plan.scopes:
        prompt = prompt or "consent"
    if prompt:
        params["prompt"] = prompt
    params.update(plan.extra)
    separator = "&" if "?" in plan.auth_url else "?"
    return plan.auth_url + separator + urlencode(params)


def parse_redirect(target: str, plan: LoginPlan, state: str) -> str:
    """The authorization code in the redirect `target` (a full URL, or path?query).

    Raises OAuthError(NO_ACCESS_TOKEN, ...):
        token.redirect_malformed  no code and no error in it
        token.state_mismatch      `state` differs (a forged or stale redirect): checked first
        token.consent_refused     error=access_denied (the user pressed cancel / refused)
        token.issuer_mismatch     RFC 9207 `iss` differs from the known issuer
        token.authorize_error     any other error=... (with its description)
    """
    import hmac
    from urllib.parse import parse_qs, urlsplit

    query = urlsplit(target.strip()).query
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if "code" not in params and "error" not in params:
        raise OAuthError(_CODE, "token.redirect_malformed")
    got = params.get("state", "")
    if not hmac.compare_digest(got.encode(), state.encode()):
        raise OAuthError(_CODE, "token.state_mismatch")
    if "error" in params:
        raise _authorize_error(params["error"], params.get("error_description", ""))
    _check_issuer(params.get("iss"), plan.issuer)
    code = params["code"]
    if not code:
        raise OAuthError(_CODE, "token.redirect_malformed")
    return code


def _authorize_error(error: str, description: str) -> OAuthError:
    """The error=... a redirect brought: the user refused, or another error."""
    shown = " ".join(description.split())[:300] or "-"
    if error == "access_denied":
        return OAuthError(_CODE, "token.consent_refused", description=shown)
    return OAuthError(_CODE, "token.authorize_error", error=error, description=shown)


def _check_issuer(iss: str | None, issuer: str | None) -> None:
    """RFC 9207: the redirect's `iss`, when both are known, must be the issuer signed in at."""
    if iss is not None and issuer and iss.rstrip("/") != issuer.rstrip("/"):
        raise OAuthError(_CODE, "token.issuer_mismatch", got=iss, expected=issuer)


def code_request(
    plan: LoginPlan, code: str, verifier: str, client_secret: str | None, method: AuthMethod
) -> FormRequest:
    """The authorization_code grant (RFC 6749 4.1.3) with the PKCE code_verifier."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": plan.redirect_uri,
        "code_verifier": verifier,
    }
    return authenticated_form(plan.token_url, data, plan.client_id, client_secret, method)


def iso_utc(when: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_file_values(
    plan: LoginPlan,
    *,
    refresh_token: str | None,
    client_secret: str | None,
    timeout: float,
    now: float,
    response: TokenResponse | None = None,
    grant: str = "authorization_code",
    auth_method: AuthMethod | None = None,
) -> dict[str, str]:
    """The [OAUTH2] keys, in SmailRefreshToken's order, then ours.

    Seed keys: UserID, ClientID, ClientSecret, RefreshToken, TokenURI, OuthURI, OAUTH2_TIME_OUT,
    Provider (1 Microsoft, 0 Google, `generic`). Ours: Scope (only when it differs from the
    preset's), Tenant, Issuer, TokenAuthMethod, and for `smail-token status`: Grant, Issued
    (UTC time of the login), GrantedScope (what the server said it granted).
    """
    values = {
        "UserID": plan.user,
        "ClientID": plan.client_id,
        "ClientSecret": client_secret or "",
        "RefreshToken": refresh_token or "",
        "TokenURI": plan.token_url,
        "OuthURI": plan.auth_url,
        "OAUTH2_TIME_OUT": f"{timeout:g}",
        "Provider": plan.preset.smail_code or plan.preset.key,
    }
    values.update(_chosen_keys(plan, auth_method))
    values["Grant"] = grant
    values["Issued"] = iso_utc(now)
    if response is not None and response.scope:
        values["GrantedScope"] = response.scope
    return values


def _chosen_keys(plan: LoginPlan, auth_method: AuthMethod | None) -> dict[str, str]:
    """Scope= (only when it differs from the preset's), Tenant=, Issuer=, TokenAuthMethod=:
    those the login chose."""
    chosen = {
        "Scope": plan.scope if plan.scopes != plan.preset.scopes else None,
        "Tenant": plan.tenant or None,
        "Issuer": plan.issuer or None,
        "TokenAuthMethod": auth_method if auth_method != "none" else None,
    }
    return {key: value for key, value in chosen.items() if value is not None}


# Keys a new login replaces; present in an old file but not set now, they are emptied.
REPLACED_KEYS = (
    "UserID", "ClientID", "ClientSecret", "RefreshToken", "TokenURI", "OuthURI",
    "OAUTH2_TIME_OUT", "Provider", "Scope", "Tenant", "Issuer", "TokenAuthMethod", "Grant",
    "Issued", "GrantedScope", "CertificateFile", "PrivateKeyFile",
)  # fmt: skip


def render_token_file(values: Mapping[str, str], old: bytes | None = None) -> bytes:
    """The file's bytes: a new CRLF file (as Windows tools write it), or `old` with the keys
    replaced, comments, other sections and unknown keys kept (tokenfile.render_update).

    Raises: UnsafeValue (text/ini_edit.py: a value with a control character).
    """
    from pathlib import Path

    from pysmail.oauth.tokenfile import SECTION, parse_token_file, render_update
    from pysmail.text.ini_edit import edit_ini, encode_ini

    if old is None:
        sections = {SECTION: dict(values)}
        text = edit_ini(None, sections, newline="\r\n", separator="=", delimiters="=")
        return encode_ini(text, "utf-8", sections)
    doc = parse_token_file(Path("smail_refreshtoken.ini"), old)
    updates = {k: "" for k in REPLACED_KEYS if k in doc.values}
    updates.update(values)
    return render_update(doc, updates)


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;margin:3em auto;max-width:40em;line-height:1.5}}
h1{{color:{colour}}}</style></head>
<body><h1>{title}</h1><p>{detail}</p><p>{close}</p></body></html>
"""


def result_page(ok: bool, title: str, detail: str, close: str, lang: str) -> bytes:
    """The listener's answer page. Every text is HTML-escaped: `detail` may reflect what came
    in the redirect (an error_description chosen by whoever sent the browser here)."""
    import html

    page = _PAGE.format(
        lang="ja" if lang == "ja" else "en",
        title=html.escape(title),
        detail=html.escape(detail),
        close=html.escape(close),
        colour="#1a7f37" if ok else "#b42318",
    )
    return page.encode("utf-8")


def redirect_problem(uri: str) -> str | None:
    """Why `uri` cannot be our loopback redirect URI, or None (pure).

    http only (RFC 8252 7.3), host localhost, 127.0.0.1 or [::1], no fragment.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return str(exc)
    if parts.scheme != "http":
        return "the loopback redirect URI must start with http://"
    if (parts.hostname or "").lower() not in LOOPBACK_HOSTS:
        return "the redirect URI must name localhost, 127.0.0.1 or [::1]"
    if parts.fragment:
        return "a redirect URI has no #fragment"
    return None


def with_port(uri: str, port: int) -> str:
    """`uri` with its port set to `port` (the one the listener really got)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(uri)
    host = parts.hostname or "localhost"
    shown = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    return urlunsplit((parts.scheme, f"{shown}:{port}", path, parts.query, ""))


def default_redirect(preset: Preset) -> str:
    """Microsoft: the seed's fixed URI; Google and generic: a port chosen at run time (0)."""
    if preset is MICROSOFT:
        return DEFAULT_MS_REDIRECT
    return "http://127.0.0.1:0/"


def describe_endpoint(url: str) -> str:
    return shown_url(url)
