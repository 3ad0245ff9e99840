"""Control characters from servers, token endpoints and the command line are shown, not obeyed.

A hostile mail server puts ESC, BEL, BS and an OSC sequence (set the window title; a hyperlink)
in its greeting, its EHLO reply and its error reply; a hostile token endpoint puts them in its
error_description; a user's bad option value holds one. Every line smail and smail-token print
shows them as `\\x1b`, `\\x07`, `\\x08`: the terminal gets no control character at all, and
Japanese text prints unchanged.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from cli.hostile import HostileSmtp, HostileTokenEndpoint
from cli.util import ALICE, BOB, Result, hermetic_env, run_exe, run_main, run_token, write_ini

OSC_TITLE = b"\x1b]0;owned\x07"  # xterm: set the window title
OSC_LINK = b"\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # a hyperlink
RED = b"\x1b[31m"
CONTROLS = ("\x1b", "\x07", "\x08", "\x9b", "\u202e")


def assert_no_controls(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS})
    assert not found, f"raw control characters printed: {found}\n{text!r}"


def hostile_smtp(final: bytes) -> HostileSmtp:
    return HostileSmtp(
        b"220 mail.evil.example " + OSC_TITLE + "ESMTP\b\b\b ready 日本\r\n".encode(),
        {
            "EHLO": b"250-mail.evil.example " + RED + b"hi\x07\r\n250 AUTH XOAUTH2\r\n",
            "MAIL": final,
        },
    )


def test_smtp_replies_are_escaped_in_debug_and_err(tmp_path: Path) -> None:
    """The real `smail -d`: greeting, EHLO and the 550 with ESC/BEL/BS/OSC are shown escaped."""
    refusal = b"550 5.7.1 " + OSC_LINK + " denied \x07\x9b2J \u202e拒否\r\n".encode()
    with hostile_smtp(refusal) as server:
        argv = ["-h127.0.0.1", "--port", str(server.port), "--tls", "none", "--auth", "none",
                "-f" + ALICE, "-sx", "-Tx", "-d", BOB]  # fmt: skip
        result = run_exe(argv, tmp_path)
    assert result.code == 11, result.out + result.err
    assert_no_controls(result.out + result.err)
    shown = result.out
    assert "Recv: 220 mail.evil.example \\x1b]0;owned\\x07ESMTP\\x08\\x08\\x08 ready 日本" in shown
    assert "Recv: 250-mail.evil.example \\x1b[31mhi\\x07" in shown
    escaped_refusal = (
        "550 5.7.1 \\x1b]8;;http://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\ denied \\x07\\x9b2J "
        "\\u202e拒否"
    )
    assert f"Recv: {escaped_refusal}" in shown
    err = shown[shown.index("ERR-0011:") :]
    assert f"server reply: {escaped_refusal}" in err, err


def test_token_endpoint_error_is_escaped(tmp_path: Path) -> None:
    """smail-token and smail show a hostile error_description escaped (ERR-0028)."""
    description = "token \x1b]0;owned\x07revoked\x08\x08\x08 \x1b[2J\u202e期限切れ"
    refresh = "rt-" + secrets.token_urlsafe(24)
    with HostileTokenEndpoint(400, {"error": "invalid_grant",
                                    "error_description": description}) as endpoint:  # fmt: skip
        keys = {"UserID": ALICE, "ClientID": "mailcli", "ClientSecret": "", "RefreshToken": refresh,
                "TokenURI": endpoint.url, "OAUTH2_TIME_OUT": "10"}  # fmt: skip
        path = tmp_path / "smail_refreshtoken.ini"
        path.write_text("[OAUTH2]\r\n" + "".join(f"{k}={v}\r\n" for k, v in keys.items()))
        path.chmod(0o600)
        token = run_token(["access-token"], tmp_path)
        with hostile_smtp(b"250 2.1.0 OK\r\n") as server:
            write_ini(tmp_path, "[smail]\nauth = oauth-xoauth2\nallow_plaintext_auth = yes\n")
            argv = ["-h127.0.0.1", "--port", str(server.port), "--tls", "none",
                    "--config", "smail.ini", "-f" + ALICE, "-sx", "-Tx", "-d", BOB]  # fmt: skip
            smail = run_exe(argv, tmp_path)
        assert endpoint.requests >= 2
    escaped = "token \\x1b]0;owned\\x07revoked\\x08\\x08\\x08 \\x1b[2J\\u202e期限切れ"
    for result in (token, smail):
        assert result.code == 28, result.out + result.err
        assert_no_controls(result.out + result.err)
        assert escaped in result.out + result.err, result
        assert refresh not in result.out + result.err


def test_bad_option_value_is_echoed_escaped(tmp_path: Path) -> None:
    """A local message that repeats what the user typed (ERR-0017) escapes it too."""
    result = run_main(["-hlocalhost", "--port", "\x1b]0;owned\x0725", "-f" + ALICE, BOB], tmp_path)
    assert result.code == 17, result.out
    assert_no_controls(result.out)
    assert "\\x1b]0;owned\\x0725" in result.out


def test_token_command_bad_value_is_echoed_escaped(tmp_path: Path) -> None:
    """smail-token's usage errors repeat the value escaped too (in the real executable)."""
    folder = Path(sys.executable).parent
    exe = next(p for p in (folder / "smail-token", folder / "smail-token.exe") if p.is_file())
    done = subprocess.run(
        [str(exe), "access-token", "--file", "nope\x1b[2J\x07.ini"],
        cwd=tmp_path,
        env=hermetic_env(tmp_path),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    result = Result(done.returncode, done.stdout.decode(), done.stderr.decode())
    assert result.code == 28, result
    assert_no_controls(result.out + result.err)
    assert "nope\\x1b[2J\\x07.ini" in result.err, result
