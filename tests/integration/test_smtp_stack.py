"""The SMTP session against the real Dovecot submission server and Postfix (tests/stackutil.py)."""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import Iterator

import pytest

from pysmail.errors import AuthError, NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.redact import base64_forms
from pysmail.sasl import AuthRequest
from pysmail.smtp.session import SmtpParams, send
from pysmail.smtp.trace import Trace
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
STACK_HEADERS = (b"Return-Path", b"Delivered-To", b"Received")


def _message(subject: str) -> tuple[bytes, list[bytes]]:
    """(what the mailbox must hold after our headers, the chunks we stream)."""
    headers = (
        f"From: Alice <{ALICE}>\r\nTo: Bob <{BOB}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    ).encode()
    body = (
        b"first line\r\n.starts with a dot\r\n..two dots\r\n.\r\ntrailing   \r\n\r\n"
        + b"x" * 900
        + b"\r\n"
        + b"".join(b"line %d of a longer body\r\n" % i for i in range(3000))
        + b".last"  # no final CRLF: the client must add it
    )
    whole = headers + body
    # Chunks cut anywhere: inside CRLF, right before a leading dot, tiny and large.
    cuts = [5, 6, len(headers) + 11, len(headers) + 12, len(headers) + 31, len(headers) + 5000]
    edges = [0, *cuts, len(whole)]
    chunks = [whole[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    return whole + b"\r\n", chunks


def _params(stack: Stack, tls: str, **kw: object) -> SmtpParams:
    port = {"starttls": stack.submission, "smtps": stack.submissions, "none": stack.submission}
    values: dict[str, object] = {"cafile": stack.cafile, "timeout": 10.0}
    values.update(kw)
    return SmtpParams(stack.host, port[tls], tls, **values)  # type: ignore[arg-type]


def _password(user: str, stack: Stack) -> AuthRequest:
    return AuthRequest("auto", user, password=lambda: stack.users[user])


def _assert_no_password(lines: list[str], password: str, user: str) -> None:
    """No line holds the password, its base64 forms, or any SASL blob carrying it."""
    blobs = [
        f"\0{user}\0{password}",
        password,
        f"{user} {password}",
    ]
    forms = {password, *base64_forms(password)}
    forms |= {base64.b64encode(b.encode()).decode() for b in blobs}
    assert lines
    for line in lines:
        for form in forms:
            assert form not in line, (form, line)


@pytest.fixture
def clean(stack: Stack) -> Iterator[Stack]:
    stack.clear(BOB)
    yield stack


@pytest.mark.parametrize("chunking", [True, False], ids=["bdat", "data"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "auto"])
@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_delivered_message_is_what_we_sent(
    clean: Stack, tls: str, mechanism: str, chunking: bool
) -> None:
    stack = clean
    expected, chunks = _message(f"{tls} {mechanism} {uuid.uuid4().hex}")
    lines: list[str] = []
    auth = AuthRequest(mechanism, ALICE, password=lambda: stack.users[ALICE])
    params = _params(stack, tls, chunking=chunking)
    reply = send(params, ALICE, [BOB], chunks, auth=auth, trace=Trace(lines.append))
    assert ("Send: DATA" in lines) is not chunking
    assert reply.code == 250 and reply.enhanced == "2.0.0"
    (received,) = stack.fetch(BOB, expect=1)
    assert received.endswith(expected)
    # Only the stack's own trace headers precede what we sent.
    prefix = received[: -len(expected)]
    assert all(
        ln[:1] in (b" ", b"\t")
        or ln.split(b":")[0] in (b"Return-Path", b"Delivered-To", b"Received")
        for ln in prefix.split(b"\r\n")
        if ln
    ), prefix
    _assert_no_password(lines, stack.users[ALICE], ALICE)
    assert any(line.startswith("TLS: TLSv1.") for line in lines)
    assert "X509 issuer: /CN=pysmail test stack CA" in lines
    shown = {"auto": "PLAIN"}.get(mechanism, mechanism)
    if shown == "PLAIN":
        assert "Send: AUTH PLAIN ****" in lines
    else:
        assert f"Send: AUTH {shown}" in lines and "Send: ****" in lines
    # pipelined: MAIL and RCPT went out before their replies came back
    mail = lines.index(f"Send: MAIL FROM:<{ALICE}>")
    assert lines[mail + 1] == f"Send: RCPT TO:<{BOB}>"
    # the body is never in the transcript, only its size
    assert not any("longer body" in line for line in lines)
    assert any(line.startswith("[message body: ") for line in lines)


def test_several_recipients_and_a_postfix_relay_without_auth(stack: Stack) -> None:
    stack.clear(ALICE)
    stack.clear(BOB)
    expected, chunks = _message(f"relay {uuid.uuid4().hex}")
    params = SmtpParams(stack.relay_host, stack.relay, "none", timeout=10.0)
    send(params, ALICE, [ALICE, BOB], chunks)
    assert stack.fetch(ALICE, expect=1)[0].endswith(expected)
    assert stack.fetch(BOB, expect=1)[0].endswith(expected)


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_wrong_password_is_auth_failed(clean: Stack, tls: str) -> None:
    auth = AuthRequest("PLAIN", ALICE, password=lambda: "not-alice-pw")
    lines: list[str] = []
    with pytest.raises(AuthError) as info:
        send(_params(clean, tls), ALICE, [BOB], [b"Subject: x\r\n\r\nx\r\n"], auth=auth,
             trace=Trace(lines.append))  # fmt: skip
    assert info.value.code == ErrCode.AUTH_FAILED
    assert info.value.reply == "535 5.7.8 Authentication failed."
    assert clean.fetch(BOB, expect=0) == []
    _assert_no_password(lines, "not-alice-pw", ALICE)


def test_plain_in_clear_is_refused_by_us(clean: Stack) -> None:
    auth = AuthRequest("PLAIN", ALICE, password=lambda: pytest.fail("password fetched"))
    with pytest.raises(AuthError) as info:
        send(_params(clean, "none"), ALICE, [BOB], [b"x\r\n"], auth=auth)
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.msgid == "smtp.auth_cleartext_refused"


def test_plain_in_clear_allowed_by_us_is_still_not_offered_by_dovecot(clean: Stack) -> None:
    auth = AuthRequest("PLAIN", ALICE, password=lambda: "alice-pw", allow_plaintext=True)
    with pytest.raises(AuthError) as info:
        send(_params(clean, "none"), ALICE, [BOB], [b"x\r\n"], auth=auth)
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.msgid == "smtp.auth_not_offered"
    assert "PLAIN" not in str(info.value.params["offered"]).split()


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_unknown_ca_is_tls_error(stack: Stack, tls: str) -> None:
    with pytest.raises(NetworkError) as info:
        send(
            _params(stack, tls, cafile=None), ALICE, [BOB], [b"x\r\n"], auth=_password(ALICE, stack)
        )
    assert info.value.code == ErrCode.TLS and info.value.msgid == "smtp.tls_verify_failed"
    assert "local issuer" in str(info.value.params["reason"])


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_certificate_not_naming_the_host_is_tls_error(stack: Stack, tls: str) -> None:
    params = _params(stack, tls)
    params = SmtpParams(stack.mismatch_host, params.port, params.tls, stack.cafile, timeout=10)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"], auth=_password(ALICE, stack))
    assert info.value.code == ErrCode.TLS
    assert "mismatch" in str(info.value.params["reason"])
    assert stack.mismatch_host in str(info.value)


def test_verify_false_accepts_the_mismatch(clean: Stack) -> None:
    params = SmtpParams(clean.mismatch_host, clean.submissions, "smtps", None, False, 10.0)
    expected, chunks = _message(f"noverify {uuid.uuid4().hex}")
    send(params, ALICE, [BOB], chunks, auth=_password(ALICE, clean))
    assert clean.fetch(BOB, expect=1)[0].endswith(expected)


def test_bad_cafile_is_tls_error(stack: Stack, tmp_path: object) -> None:
    with pytest.raises(NetworkError) as info:
        send(_params(stack, "smtps", cafile="/nonexistent/ca.pem"), ALICE, [BOB], [b"x\r\n"])
    assert info.value.code == ErrCode.TLS and info.value.msgid == "smtp.tls_cafile"


def test_smtps_port_spoken_to_in_clear_is_receive_error(stack: Stack) -> None:
    params = SmtpParams(stack.host, stack.submissions, "none", timeout=3.0)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"])
    assert info.value.code in (ErrCode.RECEIVE, ErrCode.SEND)


def test_starttls_on_the_smtps_port_is_tls_error(stack: Stack) -> None:
    params = SmtpParams(stack.host, stack.submission, "smtps", stack.cafile, timeout=5.0)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"])
    assert info.value.code == ErrCode.TLS and info.value.msgid == "smtp.tls_failed"


def test_closed_port_is_connect_error(stack: Stack) -> None:
    with socket.socket() as s:
        s.bind((stack.host, 0))
        port = s.getsockname()[1]
    params = SmtpParams(stack.host, port, "starttls", stack.cafile, timeout=5.0)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"])
    assert info.value.code == ErrCode.CONNECT and info.value.msgid == "smtp.connect_failed"
