"""CRAM-MD5 is not a way around TLS: an empty challenge is refused, and `auth = auto` does not
pick it over a plaintext connection (its HMAC can be cracked offline by anyone on the path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.hostile import HostileSmtp
from cli.util import ALICE, BOB, auth_ini, fetch_one, marker, run_exe, server_args, write_ini
from stackutil import Stack


def test_empty_cram_md5_challenge_is_refused(tmp_path: Path) -> None:
    """A hostile server's `334 ` (no challenge) gets `*`, never an HMAC; ERR-0026 says why."""
    script = {
        "EHLO": b"250-evil.example\r\n250 AUTH CRAM-MD5\r\n",
        "AUTH": b"334 \r\n",
        "": b"501 5.7.0 Authentication cancelled\r\n",
    }
    with HostileSmtp(b"220 evil.example ESMTP\r\n", script) as server:
        write_ini(tmp_path, auth_ini())
        argv = ["-h127.0.0.1", "--port", str(server.port), "--tls", "none", "--auth", "cram-md5",
                "--config", "smail.ini", "-f" + ALICE, "-sx", "-Tx", "-d", BOB]  # fmt: skip
        result = run_exe(argv, tmp_path)
    assert result.code == 26, result.out + result.err
    assert "ERR-0026:" in result.out and "empty CRAM-MD5 challenge" in result.out, result.out
    sent = [line.rstrip(b"\r\n") for line in server.received]
    assert sent[sent.index(b"AUTH CRAM-MD5") + 1] == b"*", sent
    assert not any(line.startswith((b"MAIL", b"RCPT", b"DATA")) for line in sent), sent


@pytest.mark.stack
def test_auto_does_not_pick_cram_md5_in_clear(stack: Stack, tmp_path: Path) -> None:
    """Dovecot before STARTTLS offers only CRAM-MD5: `auth = auto` over `--tls none` refuses
    (ERR-0026) before sending AUTH, as it does for PLAIN/LOGIN; allow_plaintext_auth permits it."""
    write_ini(tmp_path, auth_ini())
    mark = marker("cram-clear")
    argv = [*server_args(stack, "none"), "--auth", "auto", "--config", "smail.ini",
            "-f" + ALICE, "-s" + mark, "-Tx", "-d", BOB]  # fmt: skip
    refused = run_exe(argv, tmp_path)
    assert refused.code == 26, refused.out + refused.err
    offers = [ln for ln in refused.out.splitlines() if ln.startswith("Recv: 250") and "AUTH" in ln]
    assert offers == ["Recv: 250-AUTH CRAM-MD5"], refused.out
    assert "Send: AUTH" not in refused.out, refused.out
    assert "ERR-0026:" in refused.out and "CRAM-MD5" in refused.out
    allowed = run_exe([*argv, "--allow-plaintext-auth"], tmp_path)
    assert allowed.code == 0, allowed.out + allowed.err
    assert "Send: AUTH CRAM-MD5" in allowed.out
    fetch_one(stack, BOB, mark)
