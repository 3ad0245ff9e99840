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
    marker,
    printing,
    run_exe,
    server_args,
    smtpd,
    write_ini,
)
from pysmail.redact import base64_forms
from stackutil import Stack

pytestmark = pytest.mark.stack

MIN_CORE = 4  # shorter base64 runs occur by chance in any text


def _b64(data: bytes) -> set[str]:
    std = base64.b64encode(data).decode("ascii")
    return {std, std.rstrip("="), std.replace("+", "-").replace("/", "_").rstrip("=")}


def _cores(secret: bytes) -> set[str]:
    """The base64 characters that depend on `secret` alone, at each alignment.

    Computed independently of pysmail.redact: encode the secret between different neighbour
    bytes and keep the characters that never change.
    """
    cores: set[str] = set()
    for shift in range(3):
        variants = [
            base64.b64encode(bytes([fill]) * shift + secret + bytes([fill2]) * 3).decode()
            for fill in (0x00, 0xFF)
            for fill2 in (0x00, 0xFF)
        ]
        stable = "".join(
            ch if all(v[i] == ch for v in variants) else "\0" for i, ch in enumerate(variants[0])
        )
        for run in stable.split("\0"):
            if len(run) >= MIN_CORE:
                cores.add(run)
                cores.add(run.replace("+", "-").replace("/", "_"))
    return cores


def forbidden(secret: str, user: str, host: str = "", port: int = 0) -> set[str]:
    raw = secret.encode()
    forms = {secret} | _cores(raw)
    for blob in (
        raw,  # LOGIN, and any standalone encoding
        f"\0{user}\0{secret}".encode(),  # PLAIN
        f"{user}\0{user}\0{secret}".encode(),  # PLAIN with an authzid
        f"user={user}\x01auth=Bearer {secret}\x01\x01".encode(),  # XOAUTH2
        f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {secret}\x01\x01".encode(),
    ):
        forms |= _b64(blob)
    # pysmail's own list must be covered by ours (it is what its scrubber masks).
    assert base64_forms(secret) <= forms, base64_forms(secret) - forms
    return forms


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
