"""The token request against small in-process servers that fail on purpose.

Only what the real oidc-provider cannot do on demand is here: 500s, silence, malformed JSON,
Microsoft's AADSTS bodies, refused connections, proxies that refuse, TLS to a non-TLS port.
Each case checks the ERR-0028 cause SMAIL's guide lists (12006, 12157, 12045, 12029) or the
provider's fix, and that no secret from the token file appears in any message.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.provider import TokenSource

HOST = "127.0.0.1"
SECRETS = ("cs-very-secret", "rt-very-secret")


@dataclass
class Seen:
    path: str
    form: dict[str, str]
    authorization: str | None


@dataclass
class Script:
    """What the fault server answers: status, raw body, delay; and what it has seen."""

    status: int = 200
    body: bytes = b"{}"
    delay: float = 0.0
    content_type: str = "application/json"
    seen: list[Seen] = field(default_factory=list)
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def base_url(script: Script) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes) -> None:
            if script.delay:
                time.sleep(script.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", script.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout test)

        def do_GET(self) -> None:  # noqa: N802
            status, body = script.routes.get(self.path, (404, b"not found"))
            self._answer(status, body)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            script.seen.append(Seen(self.path, form, self.headers.get("Authorization")))
            self._answer(script.status, script.body)

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{HOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _file(tmp_path: Path, **keys: str) -> Path:
    values = {
        "UserID": "alice@example.test",
        "ClientID": "client-1",
        "ClientSecret": SECRETS[0],
        "RefreshToken": SECRETS[1],
        "OAUTH2_TIME_OUT": "5",
        **keys,
    }
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_text("[OAUTH2]\n" + "".join(f"{k}={v}\n" for k, v in values.items() if v))
    path.chmod(0o600)  # it holds a refresh token: private, or smail refuses it
    return path


def _fails(path: Path, **kwargs: object) -> OAuthError:
    lines: list[str] = []
    with pytest.raises(OAuthError) as info:
        TokenSource(path, trace=lines.append, **kwargs)()  # type: ignore[arg-type]
    err = info.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN
    shown = "\n".join([format_error(err, "en"), format_error(err, "ja"), *lines])
    for secret in SECRETS:
        assert secret not in shown
    return err


def test_microsoft_request_on_the_wire_and_aadsts_body(
    tmp_path: Path, script: Script, base_url: str
) -> None:
    script.status = 400
    script.body = json.dumps(
        {
            "error": "invalid_grant",
            "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
            "error_codes": [700082],
        }
    ).encode()
    err = _fails(_file(tmp_path, Provider="1", TokenURI=f"{base_url}/common/oauth2/v2.0/token"))
    assert err.msgid == "oauth.aadsts_inactive"
    [seen] = script.seen
    assert seen.authorization is None
    assert seen.form == {
        "grant_type": "refresh_token",
        "refresh_token": SECRETS[1],
        "client_id": "client-1",
        "client_secret": SECRETS[0],
        "scope": "https://outlook.office.com/SMTP.Send "
        "https://outlook.office.com/POP.AccessAsUser.All offline_access",
    }


def test_public_client_aadsts700025(tmp_path: Path, script: Script, base_url: str) -> None:
    script.status = 401
    script.body = b'{"error":"invalid_client","error_description":"AADSTS700025: Client is public"}'
    err = _fails(_file(tmp_path, Provider="1", ClientSecret="", TokenURI=f"{base_url}/t"))
    assert err.msgid == "oauth.aadsts_public_client_secret"
    [seen] = script.seen
    assert "client_secret" not in seen.form and seen.authorization is None


def test_generic_uses_basic_and_discovery_can_switch_to_post(
    tmp_path: Path, script: Script, base_url: str
) -> None:
    script.body = b'{"access_token":"at-1","token_type":"Bearer","expires_in":60}'
    assert TokenSource(_file(tmp_path, TokenURI=f"{base_url}/token"))() == "at-1"
    assert script.seen[-1].authorization is not None
    assert script.seen[-1].authorization.startswith("Basic ")
    assert "client_secret" not in script.seen[-1].form

    discovery = {
        "issuer": base_url,
        "token_endpoint": f"{base_url}/token2",
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
    }
    script.routes["/.well-known/openid-configuration"] = (200, json.dumps(discovery).encode())
    (tmp_path / "smail_refreshtoken.ini.cache").unlink()
    assert TokenSource(_file(tmp_path, Issuer=base_url))() == "at-1"
    assert script.seen[-1].path == "/token2" and script.seen[-1].authorization is None
    assert script.seen[-1].form["client_secret"] == SECRETS[0]


def test_discovery_not_found(tmp_path: Path, base_url: str) -> None:
    err = _fails(_file(tmp_path, Issuer=base_url))
    assert err.msgid == "oauth.discovery_failed" and err.params["reason"] == "HTTP 404"


@pytest.mark.parametrize(
    ("status", "body", "msgid"),
    [
        (500, b"<html>Internal Server Error</html>", "oauth.http_status"),
        (503, b"", "oauth.http_status"),
        (500, b'{"error":"server_error","error_description":"try later"}', "oauth.provider_error"),
        (200, b'{"access_token": "at-x", ', "oauth.token_malformed"),
        (200, b'{"token_type":"Bearer"}', "oauth.token_malformed"),
        (200, b"[1, 2]", "oauth.token_malformed"),
    ],
)
def test_bad_answers(
    tmp_path: Path, script: Script, base_url: str, status: int, body: bytes, msgid: str
) -> None:
    script.status, script.body = status, body
    path = _file(tmp_path, TokenURI=f"{base_url}/token")
    before = path.read_bytes()
    err = _fails(path)
    assert err.msgid == msgid
    assert path.read_bytes() == before  # nothing rotated, nothing rewritten
    assert not (tmp_path / "smail_refreshtoken.ini.cache").exists()


def test_slow_server_honours_oauth2_time_out(tmp_path: Path, script: Script, base_url: str) -> None:
    script.delay = 3.0
    start = time.monotonic()
    err = _fails(_file(tmp_path, TokenURI=f"{base_url}/token", OAUTH2_TIME_OUT="0.5"))
    assert err.msgid == "oauth.http_timeout" and err.params["timeout"] == "0.5"
    assert time.monotonic() - start < 2.5


def test_connection_refused_is_12029(tmp_path: Path) -> None:
    err = _fails(_file(tmp_path, TokenURI=f"http://{HOST}:{_free_port()}/token"))
    assert err.msgid == "oauth.http_connect_failed"


@pytest.mark.parametrize(
    "uri",
    [
        "htps://login.example/token",
        "https://",
        "login.microsoftonline.com/x/token",
        "http://login.example/token",
        "https://host:notaport/token",
    ],
)
def test_malformed_token_uri_is_12006(tmp_path: Path, uri: str) -> None:
    err = _fails(_file(tmp_path, TokenURI=uri))
    assert err.msgid == "oauth.http_bad_url"


def test_tls_to_a_plain_port_is_12157(tmp_path: Path, base_url: str) -> None:
    err = _fails(_file(tmp_path, TokenURI=base_url.replace("http:", "https:") + "/token"))
    assert err.msgid == "oauth.http_tls_failed"


def test_proxy_refused_explicit_and_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://{HOST}:{_free_port()}"
    err = _fails(_file(tmp_path, TokenURI="https://login.example.test/token"), proxy=dead)
    assert err.msgid == "oauth.http_proxy_failed" and err.params["proxy"] == dead
    err = _fails(_file(tmp_path, TokenURI="https://login.example.test/token", Proxy=dead))
    assert err.msgid == "oauth.http_proxy_failed"
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", dead)
    err = _fails(_file(tmp_path, TokenURI="https://login.example.test/token"))
    assert err.msgid == "oauth.http_proxy_failed"


def _connect_refusing_proxy() -> tuple[str, Callable[[], None], list[bytes]]:
    """A proxy that answers every CONNECT with 403, recording the request line."""
    seen: list[bytes] = []
    listener = socket.create_server((HOST, 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                seen.append(data.split(b"\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        thread.join(5)
        listener.close()

    return f"http://{HOST}:{listener.getsockname()[1]}", close, seen


def test_proxy_refusing_connect(tmp_path: Path) -> None:
    proxy, close, seen = _connect_refusing_proxy()
    try:
        err = _fails(_file(tmp_path, TokenURI="https://login.example.test/token"), proxy=proxy)
    finally:
        close()
    assert err.msgid == "oauth.http_proxy_failed" and "403" in str(err.params["reason"])
    assert seen == [b"CONNECT login.example.test:443 HTTP/1.0"] or seen[0].startswith(
        b"CONNECT login.example.test:443 "
    )


def test_missing_token_file_names_the_path(tmp_path: Path) -> None:
    err = _fails(tmp_path / "smail_refreshtoken.ini")
    assert err.msgid == "oauth.token_file_missing"
    assert str(tmp_path / "smail_refreshtoken.ini") in format_error(err, "en")
