"""`smail -d -i` never shows a password or token, in any form, on stdout or stderr.

Every run is the real executable in a child process; every byte it writes is scanned for the
secret itself and for every base64 text that carries it: standalone (LOGIN), inside PLAIN's
`\\0user\\0pass`, inside XOAUTH2's `user=..\\x01auth=Bearer ..\\x01\\x01` and OAUTHBEARER's GS2
header, at each of the three base64 alignments, in both alphabets. Each test also checks the
secret really went over the wire (the transcript shows the AUTH exchange, or the test server
recorded the token), so a run that never authenticated cannot pass for a clean one.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    ScriptedHandler,
    auth_ini,
    fetch_one,
    forbidden,
    marker,
    printing,
    run_exe,
    server_args,
    smtpd,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack


def assert_clean(result: Result, secret: str, user: str = ALICE) -> None:
    shown = result.out + "\n" + result.err
    assert "Traceback" not in shown, shown
    leaks = sorted(f for f in forbidden(secret, user) if f in shown)
    assert not leaks, f"secret forms on output: {leaks}\n{shown}"


def run_debug(folder: Path, argv: list[str], ini: str) -> Result:
    write_ini(folder, ini)
    return run_exe([*argv, "--config", "smail.ini", "-d", "-i"], folder)


def test_forbidden_forms_are_not_vacuous() -> None:
    """The scan finds the forms a careless transcript would print."""
    forms = forbidden("alice-pw", ALICE)
    plain = base64.b64encode(f"\0{ALICE}\0alice-pw".encode()).decode()
    assert "alice-pw" in forms and plain in forms
    assert base64.b64encode(b"alice-pw").decode() in forms  # LOGIN's second answer
    careless = f"Send: AUTH PLAIN {base64.b64encode(b'xx' + b'alice-pw').decode()}"
    assert any(f in careless for f in forms)  # any alignment, whatever precedes it


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5", "auto"])
def test_password_mechanisms(stack: Stack, tmp_path: Path, mechanism: str, tls: str) -> None:
    mark = marker(f"leak-{mechanism}-{tls}")
    argv = [*server_args(stack, tls), "--auth", mechanism, "-f" + ALICE, "-s" + mark, "-Tx", BOB]
    result = run_debug(tmp_path, argv, auth_ini())
    assert result.code == 0, result.out + result.err
    wire = "PLAIN" if mechanism == "auto" else mechanism.upper()
    assert f"Send: AUTH {wire}" in result.out and "Recv: 235 " in result.out
    assert_clean(result, "alice-pw")
    fetch_one(stack, BOB, mark)


@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5"])
def test_wrong_password(stack: Stack, tmp_path: Path, mechanism: str) -> None:
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    argv = [*server_args(stack), "--auth", mechanism, "-f" + ALICE, "-s" + marker("x"), BOB]
    result = run_debug(tmp_path, argv, auth_ini(password=wrong))
    assert result.code == 25, result.out + result.err
    assert result.out.count("ERR-0025:") == 1 and "Recv: 535 " in result.out
    assert result.err == ""
    assert_clean(result, wrong)


@pytest.mark.parametrize(
    ("pop_tls", "apop"), [("stls", False), ("pop3s", False), ("stls", True), ("none", True)]
)
def test_pop_before_smtp(stack: Stack, tmp_path: Path, pop_tls: str, apop: bool) -> None:
    mark = marker("leak-pop")
    port = stack.pop3s if pop_tls == "pop3s" else stack.pop3
    ini = auth_ini() + (
        f"[pop_before_smtp]\nenabled = yes\ntls = {pop_tls}\nport = {port}\nuser = {ALICE}\n"
        f"apop = {'yes' if apop else 'no'}\npassword_command = {printing('alice-pw')}\n"
    )
    argv = [*server_args(stack), "-f" + ALICE, "-s" + mark, BOB]
    result = run_debug(tmp_path, argv, ini)
    assert result.code == 0, result.out + result.err
    assert ("Send: APOP " if apop else "Send: PASS ") in result.out
    assert "Recv: +OK Logged in." in result.out
    assert_clean(result, "alice-pw")
    fetch_one(stack, BOB, mark)


@pytest.mark.parametrize("apop", [False, True], ids=["user-pass", "apop"])
def test_pop_wrong_password(stack: Stack, tmp_path: Path, apop: bool) -> None:
    wrong = "P0p-" + secrets.token_urlsafe(12)
    ini = auth_ini() + (
        f"[pop_before_smtp]\nenabled = yes\ntls = stls\nport = {stack.pop3}\nuser = {ALICE}\n"
        f"apop = {'yes' if apop else 'no'}\npassword_command = {printing(wrong)}\n"
    )
    result = run_debug(tmp_path, [*server_args(stack), "-f" + ALICE, "-sx", BOB], ini)
    assert result.code == 22 and "ERR-0022:" in result.out, result.out + result.err
    assert_clean(result, wrong)


@pytest.mark.parametrize("accept", [True, False], ids=["accepted", "refused"])
@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_bearer_token(tmp_path: Path, mechanism: str, accept: bool) -> None:
    token = "ya29." + secrets.token_urlsafe(48)
    handler = ScriptedHandler(accept_bearer=accept)
    with smtpd(handler) as port:
        argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "--allow-plaintext-auth",
                "--auth", mechanism, "--user", ALICE, "-f" + ALICE, "-sx", "-Tx", BOB]  # fmt: skip
        result = run_debug(tmp_path, argv, f"[smail]\npassword_command = {printing(token)}\n")
    assert [token in sent.decode() for sent in handler.auth] == [True], handler.auth
    if accept:
        assert result.code == 0, result.out + result.err
        assert len(handler.delivered) == 1
    else:
        assert result.code == 25 and "ERR-0025:" in result.out, result.out + result.err
        assert handler.delivered == []
    assert f"Send: AUTH {mechanism.upper()}" in result.out
    assert_clean(result, token)
