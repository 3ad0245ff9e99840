"""POP before SMTP against the real Dovecot POP3 server, plus faults it cannot produce."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable

import pytest

from pysmail.errors import Pop3Error
from pysmail.exitcodes import ErrCode
from pysmail.pop3.before_smtp import PopParams, pop_before_smtp
from pysmail.redact import base64_forms
from pysmail.smtp.trace import Trace
from stackutil import Stack

ALICE = "alice@example.test"


def _params(stack: Stack, tls: str, **kw: object) -> PopParams:
    port = {"none": stack.pop3, "stls": stack.pop3, "pop3s": stack.pop3s}[tls]
    values: dict[str, object] = {"cafile": stack.cafile, "timeout": 10.0}
    values.update(kw)
    return PopParams(stack.host, port, tls, **values)  # type: ignore[arg-type]


def _assert_no_secret(lines: list[str], secret: str) -> None:
    forms = {secret, *base64_forms(secret)}
    assert lines
    for line in lines:
        for form in forms:
            assert form not in line, (form, line)


@pytest.mark.stack
@pytest.mark.parametrize("tls", ["stls", "pop3s"])
@pytest.mark.parametrize("apop", [False, True], ids=["user-pass", "apop"])
def test_login_succeeds_and_transcript_masks_the_secret(stack: Stack, tls: str, apop: bool) -> None:
    lines: list[str] = []
    pop_before_smtp(
        _params(stack, tls), ALICE, lambda: stack.users[ALICE], apop, Trace(lines.append)
    )
    _assert_no_secret(lines, stack.users[ALICE])
    assert lines[0].startswith("Recv: +OK")
    assert any(line.startswith("TLS: TLSv1.") for line in lines)
    if apop:
        assert f"Send: APOP {ALICE} ****" in lines
    else:
        assert f"Send: USER {ALICE}" in lines and "Send: PASS ****" in lines
    assert lines[-2:] == ["Send: QUIT", lines[-1]] and lines[-1].startswith("Recv: +OK")


@pytest.mark.stack
def test_apop_in_clear_is_allowed_it_never_sends_the_password(stack: Stack) -> None:
    lines: list[str] = []
    pop_before_smtp(_params(stack, "none"), ALICE, lambda: "alice-pw", True, Trace(lines.append))
    _assert_no_secret(lines, "alice-pw")
    assert not any(line.startswith("TLS:") for line in lines)


@pytest.mark.stack
@pytest.mark.parametrize("apop", [False, True], ids=["user-pass", "apop"])
def test_wrong_password_is_pop3_login(stack: Stack, apop: bool) -> None:
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(_params(stack, "pop3s"), ALICE, lambda: "wrong-pw", apop)
    assert info.value.code == ErrCode.POP3_LOGIN
    assert info.value.reply is not None and info.value.reply.startswith("-ERR")
    assert "wrong-pw" not in str(info.value)


@pytest.mark.stack
def test_user_pass_in_clear_refused_by_us_before_connecting(stack: Stack) -> None:
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(_params(stack, "none"), ALICE, lambda: pytest.fail("fetched"), False)
    assert info.value.code == ErrCode.POP3_LOGIN
    assert info.value.msgid == "pop3.cleartext_refused"


@pytest.mark.stack
def test_user_pass_in_clear_allowed_by_us_is_refused_by_dovecot(stack: Stack) -> None:
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(
            _params(stack, "none"), ALICE, lambda: "alice-pw", False, allow_plaintext=True
        )
    assert info.value.code == ErrCode.POP3_LOGIN
    assert info.value.reply is not None and "-ERR" in info.value.reply


@pytest.mark.stack
@pytest.mark.parametrize("tls", ["stls", "pop3s"])
def test_unknown_ca_is_pop3_connect(stack: Stack, tls: str) -> None:
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(_params(stack, tls, cafile=None), ALICE, lambda: "alice-pw", False)
    assert info.value.code == ErrCode.POP3_CONNECT and info.value.msgid == "pop3.tls_failed"
    assert "local issuer" in str(info.value.params["reason"])


@pytest.mark.stack
def test_mismatched_host_is_pop3_connect(stack: Stack) -> None:
    params = PopParams(stack.mismatch_host, stack.pop3s, "pop3s", stack.cafile, timeout=10)
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(params, ALICE, lambda: "alice-pw", False)
    assert info.value.code == ErrCode.POP3_CONNECT
    assert "mismatch" in str(info.value.params["reason"])


def test_closed_port_is_pop3_connect() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(PopParams("127.0.0.1", port, "pop3s"), ALICE, lambda: "x", True)
    assert info.value.code == ErrCode.POP3_CONNECT


def _one_shot_server(script: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                script(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def test_silent_server_is_pop3_timeout() -> None:
    done = threading.Event()
    port, thread = _one_shot_server(lambda conn: done.wait(5))
    try:
        with pytest.raises(Pop3Error) as info:
            pop_before_smtp(PopParams("127.0.0.1", port, timeout=0.3), ALICE, lambda: "x", True)
    finally:
        done.set()
        thread.join(5)
    assert info.value.code == ErrCode.POP3_TIMEOUT


def test_apop_without_timestamp_is_pop3_login_and_no_digest_is_sent() -> None:
    received: list[bytes] = []

    def script(conn: socket.socket) -> None:
        conn.sendall(b"+OK no timestamp here\r\n")
        conn.settimeout(5)
        received.append(conn.recv(1000))

    port, thread = _one_shot_server(script)
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(PopParams("127.0.0.1", port, timeout=5), ALICE, lambda: "x", True)
    thread.join(5)
    assert info.value.code == ErrCode.POP3_LOGIN and info.value.msgid == "pop3.apop_unavailable"
    assert b"APOP" not in b"".join(received)


def test_stls_not_offered_is_pop3_connect() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"+OK ready\r\n")
        conn.settimeout(5)
        file = conn.makefile("rb")
        try:
            assert file.readline().startswith(b"CAPA")
            conn.sendall(b"+OK\r\nUSER\r\n.\r\n")
            file.readline()
        finally:
            file.close()

    port, thread = _one_shot_server(script)
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(PopParams("127.0.0.1", port, "stls", timeout=5), ALICE, lambda: "x", False)
    thread.join(5)
    assert info.value.code == ErrCode.POP3_CONNECT and info.value.msgid == "pop3.stls_failed"


def test_base64_forms_of_short_passwords_are_checked_too() -> None:
    # guard for the assertion helper above: it really looks for the base64 form
    with pytest.raises(AssertionError):
        _assert_no_secret([base64.b64encode(b"xx alice-pw").decode()], "alice-pw")
