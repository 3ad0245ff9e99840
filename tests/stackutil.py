"""Client-side view of the real loopback mail + OAuth stack started by scripts/stack.py.

`Stack.load(run_dir)` reads RUN/stack.json. Tests get a `Stack` from the session-scoped `stack`
fixture (tests/conftest.py) and use its attributes to connect:

    stack.host            "127.0.0.2" (Dovecot; clients come from 127.0.0.1, so AUTH needs TLS)
    stack.mismatch_host   "127.0.0.3" (same Dovecot; the certificate does NOT name it)
    stack.submission      STARTTLS port        stack.submissions   implicit-TLS port
    stack.pop3            STLS port            stack.pop3s         implicit-TLS port
    stack.relay           Postfix smtpd on stack.relay_host (127.0.0.1), plain SMTP, no auth
    stack.cafile          per-run CA certificate (str path)
    stack.users           {"alice@example.test": "alice-pw", "bob@example.test": "bob-pw"}

and read mail back with `stack.fetch(user, expect=n)` (POP3S, verified TLS, RETR + DELE).

The TEST-ONLY OAuth 2.0 authorization server (oidc-provider, scripts/stack/oidc/server.mjs):

    stack.oidc_issuer     "http://127.0.0.1:PORT" (discovery at /.well-known/openid-configuration)
    stack.oidc_token_endpoint   issuer + "/token"
    stack.oidc_clients    {"mailcli": secret, "mailcli-post": secret, "mailcli-short": secret,
                           "mailcli-public": None, "dovecot": secret}  (per-run secrets)
                          mailcli: client_secret_basic; mailcli-post: client_secret_post;
                          mailcli-short: access tokens live stack.short_at_ttl (4) s;
                          mailcli-public: no secret (PKCE); dovecot: introspection only.
                          Redirect URIs: http://127.0.0.1/callback, http://localhost/callback,
                          http://localhost:8001/myapp/ (any port: loopback, RFC 8252 7.3).
    stack.jwt_client      "mailcli-jwt": client credentials only, authenticated by private_key_jwt
                          (RFC 7523 2.2); the server holds the public key of a per-run RSA
                          certificate and requires the assertion's x5t header to be its SHA-1
                          thumbprint (as Microsoft does)
    stack.client_certificate  its certificate (PEM, 0644)   stack.client_key  its key (PEM, 0600)
    stack.client_pem      certificate + key in one PEM (0600)
    stack.app_grants      {"mailcli": ["alice@example.test"], "mailcli-jwt": [alice, carol]}:
                          the mailboxes each client's client-credentials tokens may act for
                          (Exchange: SMTP.SendAsApp + the mailbox permission). Dovecot lets such
                          a token in only as one of them (535 otherwise); a client not listed
                          has no grant and its token gets 454 (no user at all)
    stack.issue_tokens(user, client_id="mailcli", scope="openid offline_access email",
                       redirect_uri=None) -> dict     a real token response (access_token,
                          refresh_token, id_token, expires_in, scope, token_type) from the
                          authorization-code flow with PKCE (S256) and state; any login works
                          and becomes the token's `sub` (= the Dovecot user name). It makes ONE
                          authorization_code request to the token endpoint (it counts).
    stack.refresh(refresh_token, client_id="mailcli") -> (status, json)   a refresh grant
    stack.token_request_count(grant_type=None, client_id=None) -> int     requests to /token
                          since the last reset (all of them, failed and injected included)
    stack.token_requests() -> list[dict]   each {"grant_type", "client_id", "client_auth",
                          "status", ["injected": True]}; client_auth is "client_secret_basic",
                          "client_secret_post", "private_key_jwt" or "none" as the request did
                          it (oidc-provider
                          accepts basic and post alike, so only this tells them apart)
    stack.wait_for_token_requests(count=1, timeout=30)   until `count` requests have arrived
    stack.reset_token_stats()              zero the counter, cancel pending injected failures
    stack.fail_next_token_requests(status=500, count=1, delay_ms=0, body=None,
                                   content_type=None)   the next `count` token requests wait
                          delay_ms, then get `status` + `body` (status=None: processed normally
                          after the delay)
    stack.expire_access_token(token)       the provider treats that access token as expired from
                          now on (its exp set a second back; introspection {"active": false}),
                          as a real expiry: a test ends a token's life where it chooses
    stack.revoke(token, client_id="mailcli")   RFC 7009 revocation (a refresh token revokes the
                          whole grant, so its access tokens too)
    stack.introspect(token) -> dict        RFC 7662, as Dovecot does it (client "dovecot")

Refresh tokens rotate on every use; presenting a rotated-away one gives invalid_grant AND
revokes the grant (test-stack.md pitfall 9).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.cookiejar
import json
import poplib
import re
import secrets
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# poplib refuses lines over 2048 bytes; a test message may legitimately carry longer ones.
_MAX_LINE = 1 << 20


class _POP3S(poplib.POP3_SSL):
    """POP3_SSL that accepts long lines (reading back raw test messages)."""

    def _getline(self) -> tuple[bytes, int]:
        line = self.file.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise poplib.error_proto("line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line.endswith(b"\r\n"):
            return line[:-2], octets
        return line.rstrip(b"\n"), octets


def _summary(raw: bytes) -> str:
    """One line per message for assertion texts: its Subject (or first line) and size."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    subject = next(
        (ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"subject:")), head[:60]
    )
    return f"{subject.decode('utf-8', 'replace')!r} ({len(raw)} bytes)"


_LOG_NAMES = ("dovecot.log", "dovecot.out", "postfix.log", "postfix.out", "oidc.out")
DEFAULT_REDIRECT_URI = "http://127.0.0.1/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand (the last one goes to a redirect URI nobody listens on)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(jar: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler({}),  # loopback only: never through a proxy from the env
        _NoRedirect(),
    ]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def _http(
    opener: urllib.request.OpenerDirector,
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects NOT followed: (status, headers, body)."""
    data = body
    hdrs = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with opener.open(req, timeout=15) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers.items()), exc.read()


def _json(status: int, raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise AssertionError(f"{what}: HTTP {status}, not JSON: {raw[:200]!r}") from None


def _basic(client_id: str, secret: str) -> str:
    """RFC 6749 2.3.1: form-encode both parts, then base64."""
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


@dataclass(frozen=True)
class Stack:
    run_dir: Path
    host: str
    mismatch_host: str
    relay_host: str
    submission: int
    submissions: int
    pop3: int
    pop3s: int
    relay: int
    lmtp: int
    cafile: str
    users: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    oidc_issuer: str = ""
    oidc_clients: dict[str, str | None] = field(default_factory=dict, repr=False)  # secrets
    short_at_ttl: int = 4
    jwt_client: str = ""
    client_certificate: str = ""
    client_key: str = ""
    client_pem: str = ""
    app_grants: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, run_dir: str | Path) -> Stack:
        run = Path(run_dir)
        info = json.loads((run / "stack.json").read_text())
        ports = info["ports"]
        jwt = info["oidc"].get("jwt_client", {})  # absent in a stack started before it existed
        return cls(
            run_dir=run,
            host=info["host"],
            mismatch_host=info["mismatch_host"],
            relay_host=info["relay_host"],
            submission=ports["submission"],
            submissions=ports["submissions"],
            pop3=ports["pop3"],
            pop3s=ports["pop3s"],
            relay=ports["relay"],
            lmtp=ports["lmtp"],
            cafile=info["cafile"],
            users=dict(info["users"]),
            pids=dict(info["pids"]),
            oidc_issuer=info["oidc"]["issuer"],
            oidc_clients=dict(info["oidc"]["clients"]),
            short_at_ttl=int(info["oidc"]["short_at_ttl"]),
            jwt_client=jwt.get("client_id", ""),
            client_certificate=jwt.get("certificate", ""),
            client_key=jwt.get("private_key", ""),
            client_pem=jwt.get("pem", ""),
            app_grants=dict(info["oidc"].get("app_grants", {})),
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this run's CA (hostname checking on)."""
        return ssl.create_default_context(cafile=self.cafile)

    def _drain(self, user: str, *, minimum: int) -> list[bytes] | None:
        """One POP3S session: if at least `minimum` messages are there, RETR + DELE them all."""
        pop = _POP3S(self.host, self.pop3s, context=self.ssl_context(), timeout=10)
        try:
            pop.user(user)
            pop.pass_(self.users[user])
            count, _size = pop.stat()
            if count < minimum:
                return None
            messages = []
            for number in range(1, count + 1):
                _resp, lines, _octets = pop.retr(number)
                messages.append(b"".join(line + b"\r\n" for line in lines))
                pop.dele(number)
            return messages
        finally:
            try:
                pop.quit()  # commits the DELEs
            except (OSError, poplib.error_proto):
                pop.close()

    def fetch(self, user: str, *, expect: int = 1, timeout: float = 10.0) -> list[bytes]:
        """Wait until `user` has at least `expect` messages; return them raw and delete them.

        Each message is returned as received over POP3 (CRLF line ends, dot-unstuffed), with
        the Return-Path, Delivered-To and Received headers added by the stack on top. With
        expect=0 it returns whatever is there now. On timeout it deletes what was found and
        raises AssertionError listing it.
        """
        deadline = time.monotonic() + timeout
        while True:
            got = self._drain(user, minimum=max(expect, 0))
            if got is not None:
                return got
            if time.monotonic() >= deadline:
                found = self._drain(user, minimum=0) or []
                listing = "; ".join(_summary(m) for m in found) or "nothing"
                raise AssertionError(
                    f"{user}: expected {expect} message(s) within {timeout} s, found "
                    f"{len(found)}: {listing}\n--- stack log tail ---\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def clear(self, user: str) -> int:
        """Delete every message of `user`; return how many there were."""
        return len(self.fetch(user, expect=0))

    def log_text(self) -> str:
        """Dovecot and Postfix logs of this run (what they logged so far), for assertions."""
        parts = []
        for name in _LOG_NAMES:
            path = self.run_dir / "logs" / name
            if path.is_file():
                parts.append(f"=== {name} ===\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of each log, for failure messages."""
        parts = []
        for name in _LOG_NAMES:
            path = self.run_dir / "logs" / name
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"=== {name} (tail) ===\n" + "\n".join(tail))
        return "\n".join(parts)

    # ------------------------------------------------------------------ OAuth (test-only server)

    @property
    def oidc_token_endpoint(self) -> str:
        return f"{self.oidc_issuer}/token"

    def _client_auth(self, client_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, form fields) authenticating `client_id` the way it is registered."""
        if client_id not in self.oidc_clients:
            raise KeyError(f"unknown OAuth client {client_id!r}: {sorted(self.oidc_clients)}")
        secret = self.oidc_clients[client_id]
        if secret is None:
            return {}, {"client_id": client_id}
        if client_id == "mailcli-post":
            return {}, {"client_id": client_id, "client_secret": secret}
        return {"Authorization": _basic(client_id, secret)}, {}

    def _client_post(self, path: str, client_id: str, form: dict[str, str]) -> tuple[int, bytes]:
        headers, extra = self._client_auth(client_id)
        status, _hdrs, raw = _http(
            _opener(), "POST", self.oidc_issuer + path, form={**form, **extra}, headers=headers
        )
        return status, raw

    def token_request(self, client_id: str, form: dict[str, str]) -> tuple[int, Any]:
        """POST `form` to the token endpoint as `client_id`: (status, decoded JSON)."""
        status, raw = self._client_post("/token", client_id, form)
        return status, _json(status, raw, "token endpoint")

    def write_token_file(
        self, folder: Path, user: str, client_id: str = "mailcli", **extra: str
    ) -> tuple[Path, dict[str, Any]]:
        """smail_refreshtoken.ini in SmailRefreshToken's layout (CRLF, the seed's keys, mode 0600)
        with a fresh refresh token of `user`; the token counter is reset. Returns (path, tokens)."""
        tokens = self.issue_tokens(user, client_id=client_id)
        keys = {
            "UserID": user,
            "ClientID": client_id,
            "ClientSecret": self.oidc_clients[client_id] or "",
            "RefreshToken": tokens["refresh_token"],
            "TokenURI": self.oidc_token_endpoint,
            "OuthURI": f"{self.oidc_issuer}/auth",
            "OAUTH2_TIME_OUT": "10",
            **extra,
        }
        path = folder / "smail_refreshtoken.ini"
        text = "[OAUTH2]\r\n" + "".join(f"{k}={v}\r\n" for k, v in keys.items())
        path.write_text(text, newline="")
        path.chmod(0o600)
        self.reset_token_stats()
        return path, tokens

    def issue_tokens(
        self,
        user: str,
        client_id: str = "mailcli",
        scope: str = "openid offline_access email",
        redirect_uri: str | None = None,
    ) -> dict[str, Any]:
        """A real token response for `user` (authorization code + PKCE S256 + state).

        Drives the dev login and consent pages over HTTP with a fresh cookie jar (so a fresh
        session every time). prompt=consent is always sent: without it oidc-provider drops
        offline_access and issues no refresh token.
        """
        redirect = redirect_uri or DEFAULT_REDIRECT_URI
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect,
                "scope": scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "prompt": "consent",
                "login_hint": user,
            }
        )
        opener = _opener(http.cookiejar.CookieJar())
        url = f"{self.oidc_issuer}/auth?{query}"
        method, form = "GET", None
        seen: list[str] = []
        for _step in range(12):
            status, headers, body = _http(opener, method, url, form=form)
            seen.append(f"{method} {urllib.parse.urlsplit(url).path} -> {status}")
            location = headers.get("Location") or headers.get("location")
            if status in (302, 303) and location:
                url = urllib.parse.urljoin(url, location)
                method, form = "GET", None
                target = urllib.parse.urlsplit(url)
                if not url.startswith(self.oidc_issuer + "/"):
                    # The redirect to the client: nobody listens there, read code from the URL.
                    want = urllib.parse.urlsplit(redirect)
                    if (target.scheme, target.hostname, target.path) != (
                        want.scheme,
                        want.hostname,
                        want.path,
                    ):
                        raise AssertionError(f"unexpected redirect to {url} ({seen})")
                    return self._exchange_code(target.query, state, client_id, redirect, verifier)
                continue
            if status != 200:
                raise AssertionError(f"authorization flow failed: {seen}: {body[:300]!r}")
            page = body.decode("utf-8", "replace")
            action = re.search(r'<form[^>]*action="([^"]+)"', page)
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            if action is None or prompt is None:
                raise AssertionError(f"no login/consent form at {url} ({seen})")
            url = urllib.parse.urljoin(url, html.unescape(action.group(1)))
            method = "POST"
            if prompt.group(1) == "login":
                form = {"prompt": "login", "login": user, "password": "any"}
            else:
                form = {"prompt": prompt.group(1)}
        raise AssertionError(f"authorization flow did not end: {seen}")

    def _exchange_code(
        self, query: str, state: str, client_id: str, redirect: str, verifier: str
    ) -> dict[str, Any]:
        params = dict(urllib.parse.parse_qsl(query))
        if "error" in params:
            raise AssertionError(
                f"authorization error: {params['error']}: {params.get('error_description')}"
            )
        if params.get("state") != state or params.get("iss") != self.oidc_issuer:
            raise AssertionError("authorization response: state or iss mismatch")
        status, tokens = self.token_request(
            client_id,
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
        )
        if status != 200 or not isinstance(tokens, dict):
            raise AssertionError(f"code exchange failed: HTTP {status}: {tokens}")
        return tokens

    def refresh(self, refresh_token: str, client_id: str = "mailcli") -> tuple[int, Any]:
        """A refresh grant: (status, JSON). Rotation: the answer carries a NEW refresh token."""
        return self.token_request(
            client_id, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    def _test_api(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        status, _hdrs, raw = _http(
            _opener(), method, self.oidc_issuer + path, body=body, headers=headers
        )
        if status != 200:
            raise AssertionError(f"{method} {path}: HTTP {status}: {raw[:200]!r}")
        return _json(status, raw, path)

    def token_requests(self) -> list[dict[str, Any]]:
        """Every token-endpoint request since the last reset, oldest first."""
        requests: list[dict[str, Any]] = self._test_api("GET", "/__test/stats")["requests"]
        return requests

    def token_request_count(
        self, grant_type: str | None = None, client_id: str | None = None
    ) -> int:
        """How many requests reached the token endpoint since the last reset (filtered)."""
        return sum(
            1
            for r in self.token_requests()
            if (grant_type is None or r.get("grant_type") == grant_type)
            and (client_id is None or r.get("client_id") == client_id)
        )

    def wait_for_token_requests(self, count: int = 1, timeout: float = 30.0) -> None:
        """Return once `count` requests have reached the token endpoint since the last reset
        (a point in a client's life a test can act at, where a fixed sleep would guess)."""
        deadline = time.monotonic() + timeout
        while self.token_request_count() < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"fewer than {count} token request(s) within {timeout} s")
            time.sleep(0.02)

    def reset_token_stats(self) -> None:
        """Zero the token counter and cancel any pending injected failure."""
        self._test_api("POST", "/__test/reset")

    def fail_next_token_requests(
        self,
        status: int | None = 500,
        count: int = 1,
        delay_ms: int = 0,
        body: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """The next `count` token requests wait `delay_ms`, then get `status` with `body`
        (default: a JSON server_error) instead of being processed. status=None: only delay."""
        spec: dict[str, Any] = {"count": count, "delay_ms": delay_ms}
        if status is not None:
            spec["status"] = status
        if body is not None:
            spec["body"] = body
        if content_type is not None:
            spec["content_type"] = content_type
        self._test_api("POST", "/__test/fail", spec)

    def expire_access_token(self, token: str) -> None:
        """The provider's lifetime of access token `token` runs out now: it is expired from
        this call on, whatever expires_in said when it was issued (no wall-clock race)."""
        self._test_api("POST", "/__test/expire", {"access_token": token})

    def revoke(self, token: str, client_id: str = "mailcli") -> None:
        """RFC 7009 revocation, authenticated as the client the token was issued to."""
        status, raw = self._client_post("/token/revocation", client_id, {"token": token})
        if status != 200:
            raise AssertionError(f"revocation failed: HTTP {status}: {raw[:200]!r}")

    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662 introspection as Dovecot does it (client "dovecot", Basic auth)."""
        status, raw = self._client_post("/token/introspection", "dovecot", {"token": token})
        result = _json(status, raw, "introspection")
        if status != 200 or not isinstance(result, dict):
            raise AssertionError(f"introspection failed: HTTP {status}: {result}")
        return result
