"""`smail` with OAuth 2.0 end to end: smail_refreshtoken.ini as SmailRefreshToken writes it, tokens
from the real oidc-provider (rotating refresh tokens), Dovecot validating them by introspection.

The seed's flow: smail.ini says OAUTH-XOAUTH2, the token file sits beside it, `smail -d -i` sends.
Every output is scanned for the access token, the refresh tokens and the client secret.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    fetch_one,
    forbidden,
    hermetic_env,
    later_by,
    marker,
    run_exe,
    run_main,
    smail_command,
    write_ini,
)
from pysmail.oauth.store import read_cache
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack


def _token_file(stack: Stack, folder: Path, client_id: str = "mailcli") -> tuple[Path, list[str]]:
    """smail_refreshtoken.ini in SmailRefreshToken's layout; returns it and the secrets in it."""
    path, tokens = stack.write_token_file(folder, ALICE, client_id)
    secret = stack.oidc_clients[client_id] or ""
    return path, [s for s in (secret, tokens["refresh_token"], tokens["access_token"]) if s]


def _smail_ini(
    stack: Stack, folder: Path, auth: str = "OAUTH-XOAUTH2", tls: str = "starttls"
) -> None:
    port = stack.submission if tls == "starttls" else stack.submissions
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {port}\ntls = {tls}\n"
        f"cafile = {stack.cafile}\nauth = {auth}\nfrom = {ALICE}\n",
    )


def _secrets_now(path: Path) -> list[str]:
    """Every secret the token file and its cache hold now (the rotated refresh token too)."""
    doc = read_token_file(path)
    found = [doc.refresh_token, doc.client_secret or ""]
    cache = path.with_name(path.name + ".cache")
    if cache.exists():
        import json

        found.append(json.loads(cache.read_text()).get("access_token", ""))
    return [s for s in found if s]


def _assert_no_secret(outputs: Iterable[str], secrets: Iterable[str]) -> None:
    shown = "\n".join(outputs)
    assert "Traceback" not in shown
    for secret in set(secrets):
        leaks = sorted(f for f in forbidden(secret, ALICE) if f in shown)
        assert not leaks, "a secret (or a base64 form of it) reached the output"


def test_seed_flow_xoauth2_with_d_and_i(stack: Stack, tmp_path: Path) -> None:
    token_path, secrets = _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    mark = marker("oauth-seed")
    result = run_exe(["-s" + mark, "-Tseed", BOB, "-d", "-i"], tmp_path)
    assert result.code == 0, result.out
    assert result.err == ""
    assert f"[Try get access token from {stack.oidc_token_endpoint}]" in result.out
    assert "Send: AUTH XOAUTH2" in result.out and "Recv: 235" in result.out
    assert str(token_path) in result.out  # -i names the OAuth settings file
    fetch_one(stack, BOB, mark)
    assert stack.token_request_count(grant_type="refresh_token") == 1
    _assert_no_secret([result.out, result.err], secrets + _secrets_now(token_path))


def test_oauthbearer_over_smtps(stack: Stack, tmp_path: Path) -> None:
    token_path, secrets = _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path, auth="OAUTHBEARER", tls="smtps")
    mark = marker("oauth-bearer")
    result = run_exe(["-s" + mark, "-Tb", BOB, "-d"], tmp_path)
    assert result.code == 0, result.out
    assert "Send: AUTH OAUTHBEARER" in result.out
    fetch_one(stack, BOB, mark)
    _assert_no_secret([result.out, result.err], secrets + _secrets_now(token_path))


def test_pop_before_smtp_with_the_same_token(stack: Stack, tmp_path: Path) -> None:
    """The seed's POP.AccessAsUser.All: POP3 AUTH XOAUTH2 with the access token, then SMTP."""
    token_path, secrets = _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    ini = tmp_path / "smail.ini"
    ini.write_text(
        ini.read_text()
        + f"[pop_before_smtp]\nenabled = yes\nserver = {stack.host}\nport = {stack.pop3}\n"
        f"tls = stls\nuser = {ALICE}\n"
    )
    mark = marker("pop-oauth")
    result = run_exe(["-s" + mark, "-Tx", BOB, "-d"], tmp_path)
    assert result.code == 0, result.out
    assert "AUTH XOAUTH2" in result.out and "+OK" in result.out
    fetch_one(stack, BOB, mark)
    assert stack.token_request_count(grant_type="refresh_token") == 1  # one token for both
    _assert_no_secret([result.out, result.err], secrets + _secrets_now(token_path))


def test_missing_token_file_is_err_0028_with_the_fix(stack: Stack, tmp_path: Path) -> None:
    _smail_ini(stack, tmp_path)
    result = run_main(["-sx", "-Tx", BOB], tmp_path)
    assert result.code == 28
    assert result.out.startswith("ERR-0028:")
    assert "smail_refreshtoken.ini" in result.out and "smail-token login" in result.out


def test_revoked_grant_names_the_fix(stack: Stack, tmp_path: Path) -> None:
    token_path, secrets = _token_file(stack, tmp_path)
    stack.revoke(read_token_file(token_path).refresh_token)
    _smail_ini(stack, tmp_path)
    mark = marker("revoked")
    result = run_main(["-s" + mark, "-Tx", BOB, "-d"], tmp_path)
    assert result.code == 28, result.out
    assert "invalid_grant" in result.out and "smail-token login" in result.out
    assert read_token_file(token_path).refresh_token  # never emptied
    _assert_no_secret([result.out], secrets)
    time.sleep(0.5)
    assert stack.fetch(BOB, expect=0) == []


@pytest.mark.parametrize("cache_knows", [True, False], ids=["cache_expired", "server_only"])
def test_expired_access_token_is_refreshed_once_and_the_send_retried(
    stack: Stack, tmp_path: Path, cache_knows: bool
) -> None:
    """The access token of the last send has expired: one refresh, and the send goes through.

    The test ends the token's life where it chooses, no wall-clock lifetime is raced (a
    4-second token once expired again between its refresh and its use on a slow machine):
    the provider is told it has expired, and the cache is moved an hour on (cache_expired:
    smail refreshes before AUTH) or left as it is (server_only: a provider that ends tokens
    early, a skewed clock; smail sends the cached token, is refused, refreshes, sends again).
    """
    token_path, _ = _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    first, second = marker("expired-1"), marker("expired-2")
    assert run_main(["-s" + first, "-Tx", BOB], tmp_path).code == 0
    cached = read_cache(token_path)
    assert cached is not None
    stack.expire_access_token(cached.access_token)
    if cache_knows:
        later_by(token_path, 3600)  # the cache as smail finds it an hour on
    result = run_main(["-s" + second, "-Tx", BOB, "-d"], tmp_path)
    assert result.code == 0, result.out
    fetch_one(stack, BOB, first)
    fetch_one(stack, BOB, second)
    assert stack.token_request_count(grant_type="refresh_token") == 2
    assert result.out.count("[Try get access token from") == 1
    refused = result.out.count("Recv: 535")
    assert (result.out.count("Send: AUTH XOAUTH2"), refused) == ((1, 0) if cache_knows else (2, 1))
    assert _secrets_now(token_path)


def test_100_sends_make_one_token_request(stack: Stack, tmp_path: Path) -> None:
    _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    mark = marker("hundred")
    for i in range(100):
        result = run_main([f"-s{mark}-{i}", "-Tx", ALICE], tmp_path)
        assert result.code == 0, result.out
    assert stack.token_request_count() == 1
    assert len(stack.fetch(ALICE, expect=100, timeout=30)) == 100


def _start(folder: Path, subject: str, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*smail_command(), "-s" + subject, "-Tconcurrent", BOB, *extra],
        cwd=folder,
        env=hermetic_env(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_while_refreshing(stack: Stack, folder: Path, subject: str, sig: signal.Signals) -> int:
    """Start one smail whose token request hangs at the server, send it `sig` meanwhile."""
    victim = _start(folder, subject)
    stack.wait_for_token_requests(1)
    victim.send_signal(sig)
    victim.communicate(timeout=30)
    return victim.returncode


def test_20_processes_at_once_one_refresh_after_one_was_killed_mid_refresh(
    stack: Stack, tmp_path: Path
) -> None:
    token_path, secrets = _token_file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    mark = marker("twenty")
    # SIGKILL while the token request is on the wire (the server never processes it): nothing
    # can be held, and the refresh token it was about to spend must still be there and valid.
    stack.fail_next_token_requests(status=503, count=1, delay_ms=3000)
    assert _kill_while_refreshing(stack, tmp_path, mark + "-victim", signal.SIGKILL) != 0
    stack.reset_token_stats()
    # --retry as a scheduler would run them: under 20 simultaneous logins Dovecot's introspection
    # may answer one with "454 4.7.0 Temporary authentication failure" (seen in CI); that is a
    # temporary failure, retried, and it must not cost another token request.
    procs = [_start(tmp_path, f"{mark}-{i}", "--retry", "60") for i in range(20)]
    outputs, codes = [], []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            outputs += [out.decode(errors="replace"), err.decode(errors="replace")]
            codes.append(proc.returncode)
    finally:
        for proc in procs:  # never leave a child (or its pipes) behind for a later test
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert codes == [0] * 20, outputs
    assert stack.token_request_count(grant_type="refresh_token") == 1
    assert len(stack.fetch(BOB, expect=20, timeout=30)) == 20
    # the refresh token left behind still works (the grant was never revoked by a reuse)
    status, body = stack.refresh(read_token_file(token_path).refresh_token)
    assert status == 200, body
    _assert_no_secret(outputs, secrets + _secrets_now(token_path))
    assert os.stat(token_path).st_mode & 0o077 == 0


def test_sigterm_mid_refresh_keeps_the_rotated_token(stack: Stack, tmp_path: Path) -> None:
    """A polite stop while the server rotates the token: smail holds the signal until the new
    refresh token is on disk, so the next run uses it (a lost one would revoke the grant)."""
    token_path, _ = _token_file(stack, tmp_path)
    before = read_token_file(token_path).refresh_token
    _smail_ini(stack, tmp_path)
    stack.fail_next_token_requests(status=None, count=1, delay_ms=1500)  # delayed, then served
    _kill_while_refreshing(stack, tmp_path, marker("term-victim"), signal.SIGTERM)
    after = read_token_file(token_path).refresh_token
    assert after != before, "the rotated refresh token was not saved"
    mark = marker("after-term")
    result = run_main(["-s" + mark, "-Tx", BOB], tmp_path)
    assert result.code == 0, result.out
    fetch_one(stack, BOB, mark)
    stack.clear(BOB)
