"""`smail-token login --keyring`: the refresh token in the OS keyring, the file a reference.

Everything runs as the user runs it, in separate processes sharing one REAL keyring backend
(keyrings.alt's PlaintextKeyring, chosen with PYTHON_KEYRING_BACKEND; its file lives in the
test's own XDG_DATA_HOME): the `smail-token` executable signs in against the real oidc-provider
(the test plays the browser over HTTP: dev login page, consent, the redirect to OUR listener),
the `smail` executable sends through Dovecot, the refresh token rotates into the keyring while
the file stays byte for byte the same, `status` names the keyring entry, `logout` revokes and
deletes it. Every output is scanned for every token and the client secret.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

import browser.tokenutil as tokenutil
from browser.tokenutil import TokenRun, authorize_url
from cli.util import ALICE, fetch_one, forbidden, hermetic_env, marker, run_exe, write_ini
from pysmail.oauth.keyref import KEYRING_SERVICE
from pysmail.oauth.store import fingerprint
from stackutil import Stack, _http, _opener

pytestmark = pytest.mark.stack

BACKEND = "keyrings.alt.file.PlaintextKeyring"
_INSTALLED = tokenutil.token_command
CALLBACK = "http://127.0.0.1:0/callback"  # the stack registers 127.0.0.1/callback, any port


@dataclass(frozen=True)
class Ring:
    """The test's keyring: the environment every process gets, and a reader for the test."""

    env: dict[str, str]
    data: Path

    def get(self, account: str) -> str | None:
        from keyrings.alt.file import PlaintextKeyring

        ring = PlaintextKeyring()
        ring.file_path = str(self.data / "python_keyring" / ring.filename)  # type: ignore[misc]
        value = ring.get_password(KEYRING_SERVICE, account)
        return None if value is None else str(value)


def _ring(tmp_path: Path, stack: Stack) -> Ring:
    data = tmp_path / "xdg-data"
    extra = {
        "PYTHON_KEYRING_BACKEND": BACKEND,
        "XDG_DATA_HOME": str(data),
        "SMAIL_CLIENT_SECRET": stack.oidc_clients["mailcli"] or "",
    }
    return Ring(hermetic_env(tmp_path, extra), data)


def token_command() -> list[str]:
    """The `smail-token` console script; without one (an editable install made before it
    existed), the same entry point in a child interpreter."""
    try:
        return _INSTALLED()
    except AssertionError:
        return [sys.executable, "-c", "from pysmail.cli.token_main import run; run()"]


@pytest.fixture(autouse=True)
def _token_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenutil, "token_command", token_command)


def _token(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `smail-token` executable (a process of its own, as a user runs it)."""
    return subprocess.run(
        [*token_command(), *argv], cwd=cwd, env=env, capture_output=True, text=True,
        encoding="utf-8", errors="backslashreplace", stdin=subprocess.DEVNULL, timeout=60,
        check=False,
    )  # fmt: skip


def _play_browser(stack: Stack, url: str, user: str) -> str:
    """What the user does in the browser: sign in on oidc-provider's dev page, consent, and land
    on smail-token's listener. Returns the text of the listener's page."""
    opener = _opener(http.cookiejar.CookieJar())
    method, form = "GET", None
    seen: list[str] = []
    for _step in range(12):
        status, headers, body = _http(opener, method, url, form=form)
        seen.append(f"{method} {urllib.parse.urlsplit(url).path} -> {status}")
        location = headers.get("Location") or headers.get("location")
        if status in (302, 303) and location:
            url, method, form = urllib.parse.urljoin(url, location), "GET", None
            if not url.startswith(stack.oidc_issuer + "/"):
                assert url.startswith("http://127.0.0.1:") and "/callback?" in url, url
                status, _headers, body = _http(_opener(), "GET", url)
                page = body.decode("utf-8", "replace")
                return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
            continue
        assert status == 200, (seen, body[:300])
        page = body.decode("utf-8", "replace")
        action = re.search(r'<form[^>]*action="([^"]+)"', page)
        prompt = re.search(r'name="prompt" value="(\w+)"', page)
        assert action and prompt, seen
        url, method = urllib.parse.urljoin(url, html.unescape(action.group(1))), "POST"
        if prompt.group(1) == "login":
            form = {"prompt": "login", "login": user, "password": "any"}
        else:
            form = {"prompt": prompt.group(1)}
    raise AssertionError(f"the sign-in did not end: {seen}")


def _smail_ini(stack: Stack, folder: Path) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )


def _cached_access_token(path: Path) -> tuple[str, str]:
    data = json.loads(path.with_name(path.name + ".cache").read_text())
    return str(data["access_token"]), str(data["rt"])


def _clean(outputs: Iterable[str], secrets: Iterable[str]) -> None:
    texts = list(outputs)
    for secret in {s for s in secrets if s}:
        for form in forbidden(secret, ALICE):
            for text in texts:
                assert form not in text, f"a secret (or its base64 form) leaked: {form[:6]}..."


def _login(stack: Stack, tmp_path: Path, ring: Ring) -> tuple[int, str, str, str]:
    run = TokenRun(
        ["login", "--keyring", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", ALICE, "--client-id", "mailcli", "--no-browser", "--redirect-uri", CALLBACK],
        tmp_path, ring.env,
    )  # fmt: skip
    shown = _play_browser(stack, authorize_url(run), ALICE)
    code, out, err = run.finish()
    return code, out, err, shown


def test_login_keyring_send_rotate_status_logout(stack: Stack, tmp_path: Path) -> None:
    ring = _ring(tmp_path, stack)
    secret = stack.oidc_clients["mailcli"] or ""
    code, out, err, shown = _login(stack, tmp_path, ring)
    assert code == 0, (out, err)
    assert "Signed in: smail-token is done" in shown
    path = tmp_path / "smail_refreshtoken.ini"
    account = f"{ALICE}|mailcli|{urllib.parse.urlsplit(stack.oidc_token_endpoint).netloc}"
    assert f"saved in the OS keyring (service {KEYRING_SERVICE})" in out
    assert "an old SMAIL cannot use such a file" in out

    # The file: SmailRefreshToken's layout, the reference where the token was
    text = path.read_bytes().decode()
    assert f"\r\nRefreshToken=keyring:{account}\r\n" in text
    keys = [line.split("=", 1)[0] for line in text.split("\r\n")[1:] if "=" in line]
    assert keys[:8] == ["UserID", "ClientID", "ClientSecret", "RefreshToken", "TokenURI",
                        "OuthURI", "OAUTH2_TIME_OUT", "Provider"]  # fmt: skip
    first = ring.get(account)
    assert first and first not in text  # the real token is in the keyring only
    login_access, rt_fp = _cached_access_token(path)
    assert rt_fp == fingerprint(first)  # the login's cache belongs to the keyring's token

    # smail (its own process) sends with the reference file; the cache serves, no refresh
    _smail_ini(stack, tmp_path)
    stack.reset_token_stats()
    mark = marker("keyring-cached")
    sent = run_exe(["-s" + mark, "-Tvia the keyring", "-d", ALICE], tmp_path, ring.env)
    assert sent.code == 0, sent.out + sent.err
    assert "via the keyring" in str(fetch_one(stack, ALICE, mark).get_body(("plain",)))
    assert stack.token_request_count(grant_type="refresh_token") == 0
    assert "access token from the cache" in sent.out

    # without the cache, smail spends the keyring's token: the successor goes to the keyring,
    # the file is not touched
    before = path.read_bytes()
    path.with_name(path.name + ".cache").unlink()
    mark = marker("keyring-rotated")
    rotated_run = run_exe(["-s" + mark, "-Trotated", "-d", ALICE], tmp_path, ring.env)
    assert rotated_run.code == 0, rotated_run.out + rotated_run.err
    fetch_one(stack, ALICE, mark)
    assert stack.token_request_count(grant_type="refresh_token") == 1
    assert "[Try get access token from" in rotated_run.out
    assert "[new refresh token saved]" in rotated_run.out
    second = ring.get(account)
    assert second and second != first
    assert path.read_bytes() == before
    access, rt_fp = _cached_access_token(path)
    assert rt_fp == fingerprint(second)

    # status names the entry and asks the provider with the keyring's token
    status = _token(["status"], tmp_path, ring.env)
    assert status.returncode == 0, status.stderr
    assert f"refresh token: in the OS keyring ({account}); " in status.stdout
    assert "the provider says it is active" in status.stdout
    assert "valid until" in status.stdout

    # logout: revoked at the provider, the file and the keyring entry removed
    logout = _token(["logout"], tmp_path, ring.env)
    assert logout.returncode == 0, logout.stderr
    assert "revoked the refresh_token" in logout.stdout
    assert f"Deleted the refresh token from the OS keyring ({KEYRING_SERVICE}, {account})" in (
        logout.stdout
    )
    assert not path.exists() and ring.get(account) is None
    assert stack.refresh(second)[0] == 400

    _clean(
        [out, err, shown, sent.out, sent.err, rotated_run.out, rotated_run.err, status.stdout,
         status.stderr, logout.stdout, logout.stderr],
        [secret, first, second, login_access, access],
    )  # fmt: skip


def test_missing_entry_is_err_0028_with_the_fix(stack: Stack, tmp_path: Path) -> None:
    ring = _ring(tmp_path, stack)
    code, out, err, _shown = _login(stack, tmp_path, ring)
    assert code == 0, (out, err)
    path = tmp_path / "smail_refreshtoken.ini"
    account = re.search(r"RefreshToken=keyring:(\S+)", path.read_text())
    assert account
    first = ring.get(account.group(1))
    assert first
    # someone removes the entry (another process, with the keyring command's own API)
    gone = subprocess.run(
        [sys.executable, "-c",
         "import keyring; keyring.delete_password('pysmail-oauth', " + repr(account.group(1))
         + ")"],
        env=ring.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    path.with_name(path.name + ".cache").unlink()
    _smail_ini(stack, tmp_path)
    sent = run_exe(["-sgone", "-Tx", ALICE], tmp_path, ring.env)
    assert sent.code == 28, sent.out + sent.err
    both = sent.out + sent.err
    assert "ERR-0028" in both and "smail-token login --keyring" in both
    assert account.group(1) in both and "Traceback" not in both
    status = _token(["status", "--offline"], tmp_path, ring.env)
    assert status.returncode == 0, status.stderr
    assert "in the OS keyring" in status.stdout and "NOT readable" in status.stdout
    logout = _token(["logout"], tmp_path, ring.env)  # a missing entry does not block logout
    assert logout.returncode == 0, logout.stderr
    assert "had no entry" in logout.stdout and not path.exists()
    _clean([out, err, both, status.stdout, logout.stdout], [first, ring.env["SMAIL_CLIENT_SECRET"]])


def test_keyring_refuses_app_only(tmp_path: Path) -> None:
    env = hermetic_env(tmp_path, {"SMAIL_CLIENT_SECRET": "s3cret-value"})
    ran = _token(["login", "--keyring", "--app-only", "--provider", "generic", "--token-url",
                  "http://127.0.0.1:9/token", "--user", ALICE, "--client-id", "c"],
                 tmp_path, env)  # fmt: skip
    assert ran.returncode == 17, ran.stderr
    assert "--app-only has none" in ran.stderr
    assert not (tmp_path / "smail_refreshtoken.ini").exists()
