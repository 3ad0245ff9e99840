"""The public API and `smail` sharing one token file (pysmail.oauth.TokenStore, an OAuth
Account): the real oidc-provider rotates the refresh token on every use and counts the requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.util import ALICE, BOB, hermetic_env, marker, smail_command, write_ini
from pysmail.oauth.store import cache_path
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack

# One Python program: a token from TokenStore, then a message through pysmail.send with the
# Account of the same smail.ini the `smail` processes read.
PROGRAM = """
import sys
import pysmail
from pysmail.oauth import TokenStore

path, subject = sys.argv[1], sys.argv[2]
store = TokenStore(path)
token = store.access_token()
receipt = pysmail.send(
    pysmail.Message(to=sys.argv[3], subject=subject, text="from Python"),
    account=pysmail.Account.from_file("smail.ini"),
)
same = token == TokenStore(path).access_token()
print(store.user, receipt.accepted[0], same)
"""


def _smail_ini(stack: Stack, folder: Path) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )


def _start(argv: list[str], folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        cwd=folder,
        env=hermetic_env(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_python_program_and_20_smail_processes_make_one_refresh(
    stack: Stack, tmp_path: Path
) -> None:
    path, tokens = stack.write_token_file(tmp_path, ALICE)  # resets the server's counter
    _smail_ini(stack, tmp_path)
    stack.clear(BOB)
    mark = marker("api-shared")
    # the first refresh waits at the server: every process meets the lock held
    stack.fail_next_token_requests(status=None, delay_ms=1500)
    python = _start([sys.executable, "-c", PROGRAM, str(path), f"{mark}-py", BOB], tmp_path)
    # --retry as in tests/cli/test_oauth_cli.py: under 21 simultaneous logins Dovecot's
    # introspection may answer one "454 4.7.0 Temporary authentication failure".
    procs = [
        _start([*smail_command(), f"-s{mark}-{i}", "-Tconcurrent", BOB, "--retry", "60"], tmp_path)
        for i in range(20)
    ]
    results = []
    try:
        for proc in (python, *procs):
            out, err = proc.communicate(timeout=180)
            results.append((proc.returncode, out.decode(errors="replace"), err.decode()))
    finally:
        for proc in (python, *procs):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert [code for code, _, _ in results] == [0] * 21, results
    assert results[0][1].split() == [ALICE, BOB, "True"]
    assert stack.token_request_count(grant_type="refresh_token") == 1
    assert len(stack.fetch(BOB, expect=21, timeout=60)) == 21
    # none lost: the rotated refresh token is the one on disk, and it is live
    left = read_token_file(path).refresh_token
    assert left != tokens["refresh_token"]
    cached = json.loads(Path(cache_path(path)).read_text())["access_token"]
    assert stack.introspect(cached)["active"] is True
    status, body = stack.refresh(left)
    assert status == 200, body
    shown = "".join(out + err for _, out, err in results)
    for secret in (cached, left, tokens["refresh_token"]):
        assert secret not in shown
