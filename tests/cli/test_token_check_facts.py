"""`smail-token check` says what the access token is for: the provider's introspection answer
for an opaque token (the stack's oidc-provider publishes an endpoint and lets the token's own
confidential client ask), a JWT's claims decoded here, and otherwise plainly that an opaque token
cannot be read here and why. Never the token file's UserID passed off as the token's user.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cli.util import ALICE, LOOPBACK, forbidden, run_token, write_ini
from pysmail.oauth.http import HttpResult
from pysmail.oauth.introspect import INTROSPECTION, JWT, Opaque, describe, facts_from_claims
from pysmail.oauth.tokenfile import parse_token_file
from stackutil import Stack

OPAQUE = "  opaque token: its user, audience and scopes cannot be read here ("


def _token_file(stack: Stack, folder: Path, client: str, **keys: str) -> list[str]:
    """smail_refreshtoken.ini for `client` (a key given as "" is left out)."""
    tokens = stack.issue_tokens(ALICE, client_id=client)
    secret = stack.oidc_clients[client] or ""
    values = {
        "UserID": ALICE, "ClientID": client, "ClientSecret": secret,
        "RefreshToken": tokens["refresh_token"], "TokenURI": stack.oidc_token_endpoint,
        "OAUTH2_TIME_OUT": "10", "Provider": "generic", "Issuer": stack.oidc_issuer,
    }  # fmt: skip
    values.update(keys)
    body = "".join(f"{k}={v}\r\n" for k, v in values.items() if v)
    path = folder / "smail_refreshtoken.ini"
    path.write_bytes(("[OAUTH2]\r\n" + body).encode())
    path.chmod(0o600)
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )
    return [s for s in (secret, tokens["refresh_token"], tokens["access_token"]) if s]


def _check(folder: Path, secrets: list[str]) -> str:
    ran = run_token(["check"], folder)
    assert ran.code == 0, ran.out + ran.err
    assert "accepted AUTH" in ran.out and "no message was sent" in ran.out
    cache = json.loads((folder / "smail_refreshtoken.ini.cache").read_text())
    for secret in [*secrets, cache["access_token"]]:
        for form in forbidden(secret, ALICE):
            assert form not in ran.out + ran.err
    return ran.out


@pytest.mark.stack
def test_opaque_token_is_described_by_the_providers_introspection(
    stack: Stack, tmp_path: Path
) -> None:
    secrets = _token_file(stack, tmp_path, "mailcli")
    out = _check(tmp_path, secrets)
    endpoint = f"{stack.oidc_issuer}/token/introspection"
    assert f"the provider says (introspection at {endpoint}): active, user {ALICE}," in out
    assert "scopes openid offline_access email," in out or "scopes openid email offline" in out
    assert "access token: OK (valid until " in out and f"the token file names {ALICE}" in out
    assert OPAQUE not in out


@pytest.mark.stack
def test_public_client_may_not_introspect_and_is_told_so(stack: Stack, tmp_path: Path) -> None:
    """oidc-provider answers active=false to a client without a secret (the stack's policy, as
    RFC 7662 2.1 asks: only authorized callers learn about a token)."""
    secrets = _token_file(stack, tmp_path, "mailcli-public")
    out = _check(tmp_path, secrets)
    assert OPAQUE + f"the introspection endpoint {stack.oidc_issuer}/token/introspection " in out
    assert "answered active=false: providers describe tokens only to clients that " in out
    assert "the provider says" not in out


@pytest.mark.stack
def test_file_without_issuer_says_the_endpoint_is_unknown(stack: Stack, tmp_path: Path) -> None:
    """A file as SmailRefreshToken writes it: TokenURI, no Issuer=."""
    secrets = _token_file(stack, tmp_path, "mailcli", Issuer="")
    out = _check(tmp_path, secrets)
    assert OPAQUE + "the token file has no Issuer=, so the provider's introspection " in out


@pytest.fixture
def issuer_without_introspection(stack: Stack) -> Iterator[str]:
    """A loopback issuer whose discovery document is the stack's minus introspection_endpoint
    (a provider that has none); the token endpoint stays the stack's."""
    with urllib.request.urlopen(f"{stack.oidc_issuer}/.well-known/openid-configuration") as got:
        document = json.loads(got.read())
    document.pop("introspection_endpoint")
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            found = self.path == "/.well-known/openid-configuration"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.stack
def test_provider_without_introspection_endpoint_is_said_plainly(
    stack: Stack, tmp_path: Path, issuer_without_introspection: str
) -> None:
    secrets = _token_file(stack, tmp_path, "mailcli", Issuer=issuer_without_introspection)
    out = _check(tmp_path, secrets)
    assert OPAQUE + f"{issuer_without_introspection} publishes no introspection_endpoint)." in out


@pytest.mark.stack
def test_japanese_sentence(stack: Stack, tmp_path: Path) -> None:
    secrets = _token_file(stack, tmp_path, "mailcli", Issuer="")
    ran = run_token(["--lang", "ja", "check"], tmp_path)
    assert ran.code == 0, ran.out + ran.err
    assert "不透明なトークン: そのユーザー、オーディエンス、スコープはここでは読めません" in ran.out
    assert "トークンファイルに Issuer= がない" in ran.out
    assert not any(s in ran.out for s in secrets)


# -- without a server: the presets and JWTs ---------------------------------------------------


class _NoNetwork:
    """An HttpPort that fails the test if anything is asked."""

    def post_form(self, url: str, data: object, *, auth: object, timeout: float) -> HttpResult:
        raise AssertionError(f"no request expected, got POST {url}")

    def get_json(self, url: str, *, timeout: float) -> HttpResult:
        raise AssertionError(f"no request expected, got GET {url}")


def _doc(text: str):  # type: ignore[no-untyped-def]
    return parse_token_file(Path("smail_refreshtoken.ini"), ("[OAUTH2]\n" + text).encode())


@pytest.mark.parametrize(("provider", "name"), [("1", "microsoft"), ("0", "google")])
def test_microsoft_and_google_publish_no_introspection(provider: str, name: str) -> None:
    doc = _doc(f"UserID=u@x.example\nClientID=c\nRefreshToken=r\nProvider={provider}\n")
    facts = describe("opaque-access-token", doc, _NoNetwork())
    assert facts == Opaque("token.opaque_no_endpoint_preset", (("provider", name),))


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def test_jwt_access_token_is_decoded_here_without_asking() -> None:
    exp = int(time.time()) + 3600
    token = _jwt({"aud": "https://outlook.office.com", "scp": "SMTP.Send POP.AccessAsUser.All",
                  "upn": "u@contoso.example", "sub": "abc", "exp": exp})  # fmt: skip
    doc = _doc("UserID=u@contoso.example\nClientID=c\nRefreshToken=r\nProvider=1\n")
    facts = describe(token, doc, _NoNetwork())
    assert facts == facts_from_claims(
        {"aud": "https://outlook.office.com", "scp": "SMTP.Send POP.AccessAsUser.All",
         "upn": "u@contoso.example", "exp": exp}, JWT,
    )  # fmt: skip
    assert not isinstance(facts, Opaque)
    assert (facts.user, facts.audience, facts.expires) == (
        "u@contoso.example", "https://outlook.office.com", float(exp),
    )  # fmt: skip
    assert facts.scopes == "SMTP.Send POP.AccessAsUser.All"


def test_hostile_introspection_values_are_bounded() -> None:
    facts = facts_from_claims(
        {"active": True, "username": "x" * 5000, "aud": ["a", {"b": 1}, "c"],
         "scope": 7, "exp": 1e308}, INTROSPECTION, "https://idp.example/introspect",
    )  # fmt: skip
    assert facts.user is not None and len(facts.user) == 303
    assert (facts.audience, facts.scopes, facts.expires) == ("a c", "7", None)
