"""A short password (`test`) is masked where it is sent, never in ordinary text (issue 12).

Masking every occurrence of `test` would print `Subject: **** subject` and so show the password
to anyone who reads the transcript. Through the real stack (carol's password is `test`), the
real executable's `-d -i` keeps the subject whole and masks the AUTH, LOGIN and PASS lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.util import BOB, fetch_one, forbidden, marker, printing, run_exe, server_args, write_ini
from stackutil import Stack

pytestmark = pytest.mark.stack

CAROL = "carol@example.test"
PASSWORD = "test"


@pytest.mark.parametrize("mechanism", ["plain", "login"])
def test_short_password_masked_where_sent_subject_intact(
    stack: Stack, tmp_path: Path, mechanism: str
) -> None:
    assert stack.users[CAROL] == PASSWORD
    mark = marker("short")
    subject = f"test subject {mark}"
    ini = (
        f"[smail]\nuser = {CAROL}\npassword_command = {printing(PASSWORD)}\n"
        f"[pop_before_smtp]\nenabled = yes\ntls = stls\nport = {stack.pop3}\nuser = {CAROL}\n"
        f"password_command = {printing(PASSWORD)}\n"
    )
    write_ini(tmp_path, ini)
    argv = [*server_args(stack), "--auth", mechanism, "--config", "smail.ini", "-f" + CAROL,
            "-s" + subject, "-Ta test body", "-d", "-i", BOB]  # fmt: skip
    result = run_exe(argv, tmp_path)
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert f"Send: Subject: {subject}" in lines, result.out
    assert any(line.endswith(subject) and not line.startswith("Send:") for line in lines)  # -i
    assert "Send: PASS ****" in lines and "Recv: +OK Logged in." in lines
    if mechanism == "plain":
        assert "Send: AUTH PLAIN ****" in lines
    else:
        assert lines[lines.index("Send: AUTH LOGIN") + 1 :][:4] == [
            "Recv: 334 VXNlcm5hbWU6",
            "Send: ****",
            "Recv: 334 UGFzc3dvcmQ6",
            "Send: ****",
        ]
    assert "Recv: 235 2.7.0 Logged in." in lines
    assert "****" not in result.out.replace("Send: AUTH PLAIN ****", "").replace(
        "Send: ****", ""
    ).replace("Send: PASS ****", ""), result.out
    shown = result.out + result.err
    leaks = sorted(form for form in forbidden(PASSWORD, CAROL) - {PASSWORD} if form in shown)
    assert not leaks, leaks
    fetch_one(stack, BOB, mark)
