"""Cache, lock and rotation: many processes, one token request, no refresh token ever lost.

The token endpoint here is an in-process fake with oidc-provider's rotation rules (every refresh
returns a new refresh token; presenting a rotated-away one revokes the whole grant, test-stack.md
pitfall 9), so a client that loses or reuses a token fails these tests. The same properties are
checked against the real oidc-provider in tests/integration/test_oauth_stack.py.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from cli.util import polite_stop
from pysmail.errors import AuthError, OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.fs.lock import FileLock
from pysmail.oauth.provider import TokenSource
from pysmail.oauth.store import CachedToken, cache_path, fingerprint, lock_path, usable
from pysmail.oauth.tokenfile import read_token_file
from pysmail.redact import Scrubber

CHILD = """
import sys
from pysmail.oauth.provider import TokenSource
source = TokenSource(sys.argv[1], lock_timeout=60)
sys.stdout.write(source() + "\\n")
"""


class Grant:
    """oidc-provider's refresh rules, thread-safe."""

    def __init__(self, refresh_token: str, expires_in: int = 3600) -> None:
        self.lock = threading.Lock()
        self.current = refresh_token
        self.used: set[str] = set()
        self.revoked = False
        self.hits = 0
        self.expires_in = expires_in
        self.rotate = True
        self.arrived = threading.Event()  # the first request has come in
        self.release = threading.Event()  # let it go on
        self.hold: str | None = None  # "drop" (never processed) or "rotate-then-wait"

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        with self.lock:
            self.hits += 1
            token = form.get("refresh_token", "")
            if self.revoked or token in self.used or token != self.current:
                if token in self.used:
                    self.revoked = True  # reuse detection: the whole grant dies
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "grant request is invalid",
                }
            body: dict[str, object] = {
                "access_token": "at-" + secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": "openid offline_access",
            }
            if self.rotate:
                self.used.add(token)
                self.current = "rt-" + secrets.token_urlsafe(24)
                body["refresh_token"] = self.current
            return 200, body


def _server(grant: Grant) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            hold, grant.hold = grant.hold, None
            if hold == "drop":  # the request never reaches the grant logic
                grant.arrived.set()
                grant.release.wait(30)
                self.close_connection = True
                return
            status, body = grant.answer(form)
            if hold == "rotate-then-wait":  # rotated server-side; the answer is late
                grant.arrived.set()
                grant.release.wait(30)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def grant() -> Grant:
    return Grant("rt-initial")


@pytest.fixture
def endpoint(grant: Grant) -> Iterator[str]:
    server = _server(grant)
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


@pytest.fixture
def token_file(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_text(
        "[OAUTH2]\r\nUserID=alice@example.test\r\nClientID=mailcli\r\nClientSecret=cs-secret\r\n"
        f"RefreshToken=rt-initial\r\nTokenURI={endpoint}\r\nOAUTH2_TIME_OUT=10\r\n"
        "Provider=generic\r\nFutureKey=kept\r\n",
        newline="",
    )
    path.chmod(0o600)  # it holds a refresh token and a client secret: private (fs.trust)
    return path


def test_cache_validity_rules() -> None:
    entry = CachedToken(
        "at", obtained_at=1000.0, expires_at=4600.0, refresh_fingerprint=fingerprint("rt")
    )
    assert usable(entry, "rt", 3999.0, 600) is entry
    assert usable(entry, "rt", 4000.0, 600) is None  # inside the margin
    assert usable(entry, "other-rt", 1001.0, 600) is None  # smail-token login replaced it
    assert usable(entry, "rt", 500.0, 600) is None  # the clock went back
    short = CachedToken(
        "at", obtained_at=1000.0, expires_at=1004.0, refresh_fingerprint=fingerprint("rt")
    )
    assert usable(short, "rt", 1001.9, 600) is short  # margin capped at half the lifetime
    assert usable(short, "rt", 1002.0, 600) is None
    no_expiry = CachedToken("at", 1000.0, None, fingerprint("rt"))
    assert (
        usable(no_expiry, "rt", 3999.0, 600) is no_expiry
        and usable(no_expiry, "rt", 4000.0, 600) is None
    )


def test_refresh_rotates_persists_caches_and_traces_no_secret(
    token_file: Path, grant: Grant, endpoint: str
) -> None:
    lines: list[str] = []
    scrubber = Scrubber()
    source = TokenSource(token_file, trace=lines.append, scrubber=scrubber)
    assert source.user == "alice@example.test" and source.mechanisms == ("XOAUTH2", "OAUTHBEARER")
    token = source()
    assert token.startswith("at-") and source() == token and grant.hits == 1
    doc = read_token_file(token_file)
    assert doc.refresh_token == grant.current != "rt-initial"
    assert b"\r\nFutureKey=kept\r\n" in token_file.read_bytes() and doc.newline == "\r\n"
    assert f"[Try get access token from {endpoint}]" in lines and "[access_token=****]" in lines
    shown = "\n".join(lines)
    for secret in (token, grant.current, "cs-secret", "rt-initial"):
        assert secret not in shown
        assert scrubber.scrub(f"x {secret} y") == "x **** y"
    if sys.platform != "win32":
        assert (os.stat(cache_path(token_file)).st_mode & 0o777) == 0o600
        assert (token_file.stat().st_mode & 0o777) == 0o600
    # a second smail run: the cached token, no request
    again: list[str] = []
    assert TokenSource(token_file, trace=again.append)() == token and grant.hits == 1
    assert any(line.startswith("[access token from the cache") for line in again)


def test_invalidate_refreshes_once_and_retry_is_offered_once(
    token_file: Path, grant: Grant
) -> None:
    source = TokenSource(token_file)
    first = source()
    refused = AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply="535 5.7.8 failed")
    assert source.retryable(refused)
    source.invalidate()
    second = source()
    assert second != first and grant.hits == 2
    assert not source.retryable(refused)  # only once
    assert not TokenSource(token_file).retryable(
        AuthError(ErrCode.TEMPORARY, "smtp.auth_temporary", reply="454")
    )
    better = source.explain(AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply="535 5.7.3 x"))
    assert better.msgid == "oauth.smtp_wrong_audience"


def test_old_refresh_token_is_kept_when_none_comes_back(token_file: Path, grant: Grant) -> None:
    grant.rotate = False
    TokenSource(token_file)()
    assert read_token_file(token_file).refresh_token == "rt-initial"
    assert not [p for p in token_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_invalid_grant_is_err_0028_and_the_file_is_left_alone(
    token_file: Path, grant: Grant
) -> None:
    grant.current = "rt-someone-else"
    before = token_file.read_bytes()
    with pytest.raises(OAuthError) as info:
        TokenSource(token_file)()
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN and info.value.msgid == "oauth.invalid_grant"
    assert token_file.read_bytes() == before  # never deleted: the user decides
    assert grant.hits == 1


def test_invalid_grant_rereads_the_file_before_giving_up(token_file: Path, grant: Grant) -> None:
    """A writer outside the lock put a newer token in the file while we were refreshing."""
    source = TokenSource(token_file)
    text = token_file.read_text()
    grant.current = "rt-newer"
    token_file.write_text(text.replace("rt-initial", "rt-newer"))
    # our source read the old token at construction; it is read again under the lock, so to
    # exercise the re-read, swap the file between the lock and the grant: patch the port.
    real = source._http
    calls: list[str] = []

    class Swapping:
        def post_form(self, url: str, data: dict[str, str], *, auth: object, timeout: float):  # type: ignore[no-untyped-def]
            calls.append(data["refresh_token"])
            if len(calls) == 1:
                token_file.write_text(text.replace("rt-initial", "rt-newest"))
                grant.current = "rt-newest"
            return real.post_form(url, data, auth=auth, timeout=timeout)  # type: ignore[arg-type]

        def get_json(self, url: str, *, timeout: float):  # type: ignore[no-untyped-def]
            return real.get_json(url, timeout=timeout)

    source._given_http = Swapping()  # type: ignore[assignment]
    assert source().startswith("at-")
    assert calls == ["rt-newer", "rt-newest"]
    assert read_token_file(token_file).refresh_token == grant.current


def test_unwritable_folder_is_refused_before_the_token_is_spent(
    token_file: Path, grant: Grant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pysmail.fs.atomic as atomic

    def refuse(self: object, path: Path, **_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.PendingWrite, "__init__", refuse)
    with pytest.raises(OAuthError) as info:
        TokenSource(token_file)()
    assert info.value.msgid == "oauth.token_file_write_failed" and grant.hits == 0


def test_lock_excludes_and_times_out(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time\nfrom pysmail.fs.lock import FileLock\n"
            "with FileLock(__import__('pathlib').Path(sys.argv[1]), timeout=5):\n"
            "    print('locked', flush=True); time.sleep(30)",
            str(path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        start = time.monotonic()
        with pytest.raises(OAuthError) as info, FileLock(path, timeout=0.3):
            pass
        assert info.value.msgid == "oauth.lock_timeout" and time.monotonic() - start >= 0.3
        holder.kill()  # the OS releases the lock of a dead process
        holder.wait(10)
        with FileLock(path, timeout=5):
            pass
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout:
            holder.stdout.close()


def _spawn(token_file: Path, count: int) -> list[subprocess.Popen[bytes]]:
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":  # so CTRL_BREAK_EVENT reaches only the child
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(token_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,  # type: ignore[call-overload]
        )
        for _ in range(count)
    ]


def _results(procs: list[subprocess.Popen[bytes]]) -> list[tuple[int, str, str]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=90)
        out.append((proc.returncode, stdout.decode().strip(), stderr.decode()))
    return out


@pytest.mark.parametrize("expires_in", [3600, 4])
def test_twenty_processes_make_one_token_request(
    token_file: Path, grant: Grant, expires_in: int
) -> None:
    grant.expires_in = expires_in
    results = _results(_spawn(token_file, 20))
    assert all(code == 0 for code, _, _ in results), results
    tokens = {token for _, token, _ in results}
    assert len(tokens) == 1 and grant.hits == 1, (tokens, grant.hits)
    assert read_token_file(token_file).refresh_token == grant.current and not grant.revoked
    os.utime(token_file)  # the saved refresh token still works:
    os.unlink(cache_path(token_file))
    assert TokenSource(token_file)() not in tokens and grant.hits == 2 and not grant.revoked


def test_a_killed_lock_holder_blocks_nobody_and_loses_nothing(
    token_file: Path, grant: Grant
) -> None:
    """SIGKILL while the grant request is on its way (it never reached the grant logic)."""
    grant.hold = "drop"
    [victim] = _spawn(token_file, 1)
    try:
        assert grant.arrived.wait(30)
        victim.kill()
        victim.communicate(timeout=30)
        others = _spawn(token_file, 5)
        grant.release.set()
        results = _results(others)
    finally:
        victim.kill()
        grant.release.set()
    assert all(code == 0 for code, _, _ in results), results
    assert len({t for _, t, _ in results}) == 1 and grant.hits == 1
    assert read_token_file(token_file).refresh_token == grant.current and not grant.revoked


@pytest.mark.parametrize("answer_after", [0.2, None], ids=["answer-in-grace", "no-answer"])
def test_a_polite_kill_during_the_grant(
    token_file: Path, grant: Grant, answer_after: float | None
) -> None:
    """SIGTERM (Ctrl+Break on Windows) after the server rotated, before the answer arrived.

    An answer that comes within the grace is saved before smail dies. With none (the server
    holds it for 30 s, OAUTH2_TIME_OUT is 60), smail still ends within GRACE seconds (issue 12,
    D20), the file whole with the token it had and the lock free at once; the price, written in
    D20: that server has spent the token."""
    grant.hold = "rotate-then-wait"
    token_file.write_bytes(token_file.read_bytes().replace(b"TIME_OUT=10", b"TIME_OUT=60"))
    before = token_file.read_bytes()
    [victim] = _spawn(token_file, 1)
    try:
        assert grant.arrived.wait(30)
        time.sleep(0.2)
        polite_stop(victim)
        if answer_after is not None:
            time.sleep(answer_after)
            grant.release.set()
        code = victim.wait(20)
        assert grant.release.is_set() == (answer_after is not None)
        with FileLock(lock_path(token_file), timeout=0):
            pass
    finally:
        victim.kill()
        grant.release.set()
        victim.communicate(timeout=30)
    assert code != 0  # it did die of the signal...
    if answer_after is None:
        assert token_file.read_bytes() == before
        return
    assert read_token_file(token_file).refresh_token == grant.current  # ...after saving
    Path(cache_path(token_file)).unlink(missing_ok=True)
    assert TokenSource(token_file)().startswith("at-") and not grant.revoked


def test_lock_file_sits_next_to_the_token_file(token_file: Path) -> None:
    TokenSource(token_file)()
    assert os.path.exists(lock_path(token_file))
    names = sorted(p.name for p in token_file.parent.iterdir())
    assert names == [
        "smail_refreshtoken.ini",
        "smail_refreshtoken.ini.cache",
        "smail_refreshtoken.ini.lock",
    ]
