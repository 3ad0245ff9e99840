"""The setup server over real loopback HTTP (a free port, urllib/http.client): the key, the Host
check, CSRF and cross-site refusals, GET never changing anything, the sign-in round trip (a
fake token endpoint behind the HttpPort), saving the two files, Finish and the idle stop."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pysmail.config.ini import read_ini
from pysmail.errors import OAuthError
from pysmail.oauth.http import HttpResult
from pysmail.oauth.tokenfile import read_token_file
from pysmail.setup.server import SetupServer

ISSUER = "https://id.example.test"
SECRET = "client-secret-VALUE-123"
REFRESH = "refresh-TOKEN-abcdef"
ACCESS = "access-TOKEN-uvwxyz"


@dataclass
class FakeProvider:
    """Discovery + token endpoint of a provider, answered in memory."""

    posts: list[tuple[str, dict[str, str], tuple[str, str] | None]] = field(default_factory=list)
    fail: bool = False

    def get_json(self, url: str, *, timeout: float) -> HttpResult:
        assert url == ISSUER + "/.well-known/openid-configuration"
        doc = {"issuer": ISSUER, "authorization_endpoint": ISSUER + "/auth",
               "token_endpoint": ISSUER + "/token",
               "token_endpoint_auth_methods_supported": ["client_secret_basic"]}  # fmt: skip
        return HttpResult(200, {}, doc)

    def post_form(self, url: str, data: Mapping[str, str], *, auth: tuple[str, str] | None,
                  timeout: float) -> HttpResult:  # fmt: skip
        self.posts.append((url, dict(data), auth))
        if self.fail:
            return HttpResult(400, {}, {"error": "invalid_client", "error_description": "bad"})
        return HttpResult(200, {}, {"access_token": ACCESS, "token_type": "Bearer",
                                    "expires_in": 3600, "refresh_token": REFRESH,
                                    "scope": "openid offline_access email"})  # fmt: skip


Answer = tuple[int, dict[str, str], str]  # status, headers (lower-case names), body


@dataclass
class Running:
    server: SetupServer
    provider: FakeProvider
    folder: Path
    result: dict[str, str]
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.port

    def request(
        self,
        method: str,
        target: str,
        *,
        host: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            if host != "":  # "": no Host header at all
                conn.putheader("Host", f"127.0.0.1:{self.port}" if host is None else host)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
        finally:
            conn.close()

    def page(self, lang: str = "en") -> str:
        status, _, body = self.request("GET", f"/?k={self.server.key}&lang={lang}")
        assert status == 200
        return body

    def post(
        self,
        fields: Mapping[str, str],
        *,
        csrf: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        data = dict(fields)
        data.setdefault("csrf", self.server.csrf if csrf is None else csrf)
        hdrs = {"Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{self.port}"}  # fmt: skip
        hdrs.update(headers or {})
        body = urllib.parse.urlencode(data).encode()
        return self.request("POST", f"/?k={self.server.key}&lang=en", body=body, headers=hdrs)


FORM = {
    "provider": "generic",
    "user": "alice@example.test",
    "client_id": "mailcli",
    "issuer": ISSUER,
    "server": "mail.example.test",
    "port": "587",
    "tls": "starttls",
    "auth": "oauth-xoauth2",
    "charset": "auto",
}


def serve(folder: Path, account: str | None = None) -> Iterator[Running]:
    """The setup server over `folder` (the current folder), serving in a thread until closed."""
    provider = FakeProvider()
    env = {"HOME": str(folder / "home"), "LANG": "C"}
    server = SetupServer(
        cwd=folder, env=env, lang="en", port=0, idle=60, http=provider, account=account
    )
    result: dict[str, str] = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", server.serve()), daemon=True)
    thread.start()
    try:
        yield Running(server, provider, folder, result, thread)
    finally:
        server.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    yield from serve(tmp_path)


def test_key_is_required_everywhere(running: Running) -> None:
    key = running.server.key
    assert running.request("GET", "/")[0] == 403
    assert running.request("GET", "/?k=wrong")[0] == 403
    assert running.request("GET", f"/?k={key[:-1]}")[0] == 403
    assert running.request("GET", f"/?k={key}&k={key}")[0] == 403
    assert running.request("GET", "/favicon.ico")[0] == 403
    assert running.request("POST", "/", body=b"")[0] == 403
    assert running.request("GET", f"/other?k={key}")[0] == 404
    status, headers, body = running.request("GET", f"/?k={key}")
    assert status == 200 and "smail setup" in body


def test_host_header_is_checked(running: Running) -> None:
    key, port = running.server.key, running.port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1",
                 f"127.0.0.2:{port}", ""):  # fmt: skip
        assert running.request("GET", f"/?k={key}", host=host)[0] == 421, host
    assert running.request("GET", f"/?k={key}", host=f"localhost:{port}")[0] == 200
    assert running.request("GET", f"/?k={key}", host=f"LOCALHOST:{port}")[0] == 200


def test_security_headers(running: Running) -> None:
    _, headers, body = running.request("GET", f"/?k={running.server.key}")
    csp = headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'nonce="{nonce[1]}"' in body
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["server"].startswith("smail-setup") and "Python" not in headers["server"]


def test_get_never_changes_state(running: Running) -> None:
    key = running.server.key
    for query in ("action=save", "action=done", "server=evil.example", "csrf=x&action=save"):
        status, _, _ = running.request("GET", f"/?k={key}&{query}")
        assert status == 405, query
    for method in ("PUT", "DELETE", "PATCH"):
        assert running.request(method, f"/?k={key}")[0] == 405
    assert not (running.folder / "smail.ini").exists()
    assert "r" not in running.result  # Finish was not triggered by a GET


def test_post_needs_csrf_same_origin_and_a_form(running: Running) -> None:
    fields = {**FORM, "action": "apply"}
    assert running.post(fields, csrf="")[0] == 403
    assert running.post(fields, csrf="wrong")[0] == 403
    status, _, body = running.post(fields, headers={"Origin": "http://evil.example"})
    assert status == 403 and "another site" in body
    assert running.post(fields, headers={"Origin": "null"})[0] == 403
    assert running.post(fields, headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert running.post(fields, headers={"Content-Type": "text/plain"})[0] == 415
    big = {**fields, "pad": "x" * 70000}
    assert running.post(big)[0] == 413
    assert running.post({**fields, "action": "rm -rf"})[0] == 400
    status, headers, _ = running.post(fields)
    assert status == 303 and headers["location"] == f"/?k={running.server.key}&lang=en#s-account"
    assert 'value="mail.example.test"' in running.page()


def test_validation_errors_are_shown_on_the_page(running: Running) -> None:
    status, _, _ = running.post({**FORM, "port": "99999", "action": "save"})
    assert status == 303
    page = running.page()
    assert "A port is a number from 1 to 65535." in page and 'aria-invalid="true"' in page
    assert not (running.folder / "smail.ini").exists()


def test_defaults_button_fills_the_provider_server(running: Running) -> None:
    running.post({**FORM, "provider": "microsoft", "action": "defaults"})
    page = running.page()
    assert 'value="smtp.office365.com"' in page and 'value="587"' in page


def _sign_in(running: Running) -> str:
    """Press "Get refresh token", then come back as the provider would: the page's HTML."""
    status, headers, _ = running.post({**FORM, "client_secret": SECRET, "action": "token"})
    assert status == 303
    url = headers["location"]
    assert url.startswith(ISSUER + "/auth?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert params["redirect_uri"] == f"http://localhost:{running.port}/myapp/"
    assert params["code_challenge_method"] == "S256" and params["client_id"] == "mailcli"
    # a forged answer (wrong state) is refused, and the real sign-in stays pending
    forged = f"/myapp/?code=stolen&state=forged&iss={ISSUER}"
    assert running.request("GET", forged, host=f"localhost:{running.port}")[0] == 403
    back = f"/myapp/?code=the-code&state={params['state']}&iss={urllib.parse.quote(ISSUER)}"
    status, headers, _ = running.request("GET", back, host=f"localhost:{running.port}")
    assert status == 303 and headers["location"].startswith(f"/?k={running.server.key}&lang=en")
    # the same answer again: the sign-in is over
    assert running.request("GET", back, host=f"localhost:{running.port}")[0] == 403
    return running.page()


def test_sign_in_then_save_writes_both_files_privately(running: Running) -> None:
    page = _sign_in(running)
    assert "Signed in as alice@example.test" in page and "openid offline_access email" in page
    (url, data, auth) = running.provider.posts[-1]
    assert url == ISSUER + "/token" and data["code"] == "the-code" and data["code_verifier"]
    assert auth == ("mailcli", SECRET)  # client_secret_basic, as discovery said
    status, _, _ = running.post({**FORM, "folder": str(running.folder), "action": "save"})
    assert status == 303
    page = running.page()
    ini_path, token_path = running.folder / "smail.ini", running.folder / "smail_refreshtoken.ini"
    assert f"Saved: {ini_path}, {token_path}" in page
    assert "smail -s" in page
    ini = read_ini(ini_path)
    assert ini.server == "mail.example.test" and ini.oauth_token_file == str(token_path)
    doc = read_token_file(token_path)
    assert doc.refresh_token == REFRESH and doc.client_secret == SECRET
    assert doc.get("Issuer") == ISSUER and doc.user == "alice@example.test"
    for path in (ini_path, token_path):
        assert path.stat().st_mode & 0o077 == 0, path
    for secret in (SECRET, REFRESH, ACCESS, "the-code"):
        assert secret not in page


def test_provider_error_is_shown_with_its_fix(running: Running) -> None:
    running.provider.fail = True
    page = _sign_in(running)
    assert "Getting the refresh token failed" in page and "ERR-0028" in page
    assert "invalid_client" in page and SECRET not in page


def test_oauth_save_without_token_says_so(running: Running) -> None:
    running.post({**FORM, "folder": str(running.folder), "action": "save"})
    assert "press “Get refresh token” first" in running.page()
    assert not (running.folder / "smail.ini").exists()


def test_password_is_kept_but_never_shown(running: Running) -> None:
    fields = {**FORM, "auth": "plain", "password": "pw-SECRET-42", "folder": "sub"}
    running.post({**fields, "action": "save"})
    page = running.page()
    assert "pw-SECRET-42" not in page and "A password is stored (not shown)" in page
    ini = read_ini(running.folder / "sub" / "smail.ini")
    assert ini.secret.password is not None and ini.secret.password.reveal() == "pw-SECRET-42"
    assert "--config" in page  # not the folder smail starts in


def test_language_switch_and_accept_language(running: Running) -> None:
    assert '<html lang="ja">' in running.page("ja")
    key = running.server.key
    _, _, body = running.request("GET", f"/?k={key}", headers={"Accept-Language": "ja,en;q=0.5"})
    assert "リフレッシュトークンを取得" in body
    _, _, body = running.request("GET", f"/?k={key}", headers={"Accept-Language": "en-GB"})
    assert "Get refresh token" in body


def test_finish_stops_the_server(running: Running) -> None:
    status, _, body = running.post({**FORM, "action": "done"})
    assert status == 200 and "Setup finished" in body
    running.thread.join(5)
    assert running.result["r"] == "done"


def test_idle_timeout(tmp_path: Path) -> None:
    now = [0.0]
    server = SetupServer(cwd=tmp_path, env={"HOME": str(tmp_path)}, lang="en", port=0,
                         idle=10, clock=lambda: now[0])  # fmt: skip
    with server:
        now[0] = 11.0
        assert server.serve() == "idle"


def test_explicit_busy_port_is_an_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(OAuthError) as info:
            SetupServer(cwd=tmp_path, env={}, lang="en", port=port)
    assert info.value.msgid == "token.port_in_use"


def test_existing_files_prefill_the_page(tmp_path: Path) -> None:
    (tmp_path / "smail.ini").write_text(
        "[smail]\nserver = smtp.office365.com\nport = 587\nauth = OAUTH-XOAUTH2\n"
    )
    (tmp_path / "smail_refreshtoken.ini").write_text(
        f"[OAUTH2]\nUserID=me@contoso.com\nClientID=cid-1\nClientSecret={SECRET}\n"
        f"RefreshToken={REFRESH}\nProvider=1\nTenant=contoso.onmicrosoft.com\n"
    )
    (tmp_path / "smail_refreshtoken.ini").chmod(0o600)  # a secret in it: private (fs.trust)
    server = SetupServer(cwd=tmp_path, env={"HOME": str(tmp_path)}, lang="en", port=0)
    with server:
        d = server.session.draft
        assert (d.provider, d.user, d.client_id, d.tenant) == (
            "microsoft", "me@contoso.com", "cid-1", "contoso.onmicrosoft.com")  # fmt: skip
        assert server.session.stored_token == tmp_path / "smail_refreshtoken.ini"
        assert server.session.client_secret == SECRET


def test_an_account_is_saved_in_its_own_sections_with_its_own_token_file(tmp_path: Path) -> None:
    """`smail-token setup --account work`: [account work] and smail_refreshtoken.work.ini; the
    [smail] section and its token file stay as they were (docs/settings.md 3a)."""
    old = "[smail]\nserver = base.example.test\nuser = base@example.test\n"
    (tmp_path / "smail.ini").write_text(old)
    (tmp_path / "smail.ini").chmod(0o600)
    for running in serve(tmp_path, account="work"):
        assert running.server.session.draft.server == "base.example.test"  # inherited
        assert "Account: [account work] of smail.ini" in running.page()
        _sign_in(running)
        status, _, _ = running.post({**FORM, "folder": str(tmp_path), "action": "save"})
        assert status == 303
        page = running.page()
        assert "smail --account work -s" in page
    text = (tmp_path / "smail.ini").read_text()
    assert text.startswith(old) and "[account work]" in text
    token_path = tmp_path / "smail_refreshtoken.work.ini"
    ini = read_ini(tmp_path / "smail.ini", account="work")
    assert (ini.account, ini.server) == ("work", "mail.example.test")
    assert ini.user == "alice@example.test" and ini.oauth_token_file == str(token_path)
    assert read_token_file(token_path).refresh_token == REFRESH
    assert read_ini(tmp_path / "smail.ini").server == "base.example.test"
    assert not (tmp_path / "smail_refreshtoken.ini").exists()
    # setup again for the same account: the page starts from what was saved for it
    for again in serve(tmp_path, account="WORK"):
        session = again.server.session
        assert session.account == "work" and session.stored_token == token_path
        assert session.draft.server == "mail.example.test"
