"""Proves the real loopback stack (scripts/stack.py) behaves as the other tests assume."""

from __future__ import annotations

import base64
import poplib
import smtplib
import ssl
import time
import uuid

import pytest

from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"


def _raw_message(subject: str) -> tuple[bytes, bytes]:
    """(header block, body) of a message whose body exercises dot-stuffing and spacing."""
    headers = (
        f"From: Alice <{ALICE}>\r\n"
        f"To: Bob <{BOB}>\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
    ).encode()
    body = b"first line\r\n.starts with a dot\r\n..two dots\r\ntrailing spaces   \r\n\r\nend\r\n"
    return headers, body


def _assert_delivered_unchanged(received: bytes, headers: bytes, body: bytes) -> None:
    got_headers, sep, got_body = received.partition(b"\r\n\r\n")
    assert sep, received
    assert got_body == body
    # The stack only prepends Return-Path, Delivered-To and Received: what we sent is intact.
    assert (got_headers + b"\r\n").endswith(headers), got_headers


def _plain(smtp: smtplib.SMTP, user: str, password: str) -> tuple[int, bytes]:
    smtp.user, smtp.password = user, password
    return smtp.auth("PLAIN", smtp.auth_plain)


def test_starttls_plain_alice_to_bob_is_byte_compatible(stack: Stack) -> None:
    stack.clear(BOB)
    subject = f"smoke starttls {uuid.uuid4().hex}"
    headers, body = _raw_message(subject)
    with smtplib.SMTP(stack.host, stack.submission, timeout=10) as smtp:
        smtp.ehlo()
        smtp.starttls(context=stack.ssl_context())
        smtp.ehlo()
        assert _plain(smtp, ALICE, stack.users[ALICE])[0] == 235
        assert smtp.sendmail(ALICE, [BOB], headers + b"\r\n" + body) == {}
    (received,) = stack.fetch(BOB, expect=1)
    _assert_delivered_unchanged(received, headers, body)
    assert f"\r\nSubject: {subject}\r\n".encode() in received
    assert stack.fetch(BOB, expect=0) == []  # fetch deleted it


def test_auth_before_starttls_is_refused(stack: Stack) -> None:
    with smtplib.SMTP(stack.host, stack.submission, timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        # Dovecot offers only non-plaintext mechanisms (or a bare AUTH) before TLS ...
        assert "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split()
        # ... and refuses a plaintext one: 523 5.7.10 Plaintext authentication disabled.
        token = base64.b64encode(f"\0{ALICE}\0{stack.users[ALICE]}".encode()).decode()
        code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
        assert code == 523, reply


def test_implicit_tls_submissions_delivers(stack: Stack) -> None:
    stack.clear(BOB)
    headers, body = _raw_message(f"smoke implicit tls {uuid.uuid4().hex}")
    with smtplib.SMTP_SSL(
        stack.host, stack.submissions, context=stack.ssl_context(), timeout=10
    ) as smtp:
        assert _plain(smtp, ALICE, stack.users[ALICE])[0] == 235
        smtp.sendmail(ALICE, [BOB], headers + b"\r\n" + body)
    (received,) = stack.fetch(BOB, expect=1)
    _assert_delivered_unchanged(received, headers, body)


def test_cram_md5_after_starttls(stack: Stack) -> None:
    with smtplib.SMTP(stack.host, stack.submission, timeout=10) as smtp:
        smtp.ehlo()
        smtp.starttls(context=stack.ssl_context())
        smtp.ehlo()
        assert "CRAM-MD5" in smtp.esmtp_features["auth"].upper().split()
        smtp.user, smtp.password = ALICE, "wrong-password"
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            smtp.auth("CRAM-MD5", smtp.auth_cram_md5)
        assert failed.value.smtp_code == 535
        smtp.user, smtp.password = ALICE, stack.users[ALICE]
        assert smtp.auth("CRAM-MD5", smtp.auth_cram_md5)[0] == 235


def test_failed_auth_is_not_delayed(stack: Stack) -> None:
    """auth_failure_delay = 0 and the anvil penalty off: failures do not cost 2, 4, 8 ... s.

    Each failure still takes up to 0.5 s (Dovecot 2.3's fixed failure-queue timer).
    """
    started = time.monotonic()
    for _ in range(3):
        with (
            smtplib.SMTP_SSL(
                stack.host, stack.submissions, context=stack.ssl_context(), timeout=10
            ) as smtp,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            _plain(smtp, ALICE, "wrong-password")
    with smtplib.SMTP_SSL(
        stack.host, stack.submissions, context=stack.ssl_context(), timeout=10
    ) as smtp:
        assert _plain(smtp, ALICE, stack.users[ALICE])[0] == 235
    assert time.monotonic() - started < 3.0  # with the penalty: > 6 s


def test_pop3_apop_after_stls(stack: Stack) -> None:
    pop = poplib.POP3(stack.host, stack.pop3, timeout=10)
    try:
        assert b"<" in pop.getwelcome()  # APOP timestamp offered
        pop.stls(context=stack.ssl_context())
        assert pop.apop(BOB, stack.users[BOB]).startswith(b"+OK")
        pop.stat()
    finally:
        pop.quit()
    pop = poplib.POP3(stack.host, stack.pop3, timeout=10)
    try:
        pop.stls(context=stack.ssl_context())
        with pytest.raises(poplib.error_proto):
            pop.apop(BOB, "wrong-password")
    finally:
        pop.close()


@pytest.mark.parametrize("service", ["submissions", "pop3s"])
def test_mismatch_host_fails_verification(stack: Stack, service: str) -> None:
    port = getattr(stack, service)
    with pytest.raises(ssl.SSLCertVerificationError) as failed:
        if service == "submissions":
            smtplib.SMTP_SSL(stack.mismatch_host, port, context=stack.ssl_context(), timeout=10)
        else:
            poplib.POP3_SSL(stack.mismatch_host, port, context=stack.ssl_context(), timeout=10)
    # X509_V_ERR_HOSTNAME_MISMATCH (62) or X509_V_ERR_IP_ADDRESS_MISMATCH (64)
    assert failed.value.verify_code in (62, 64), failed.value
    assert "mismatch" in str(failed.value).lower()


def test_mismatch_host_starttls_fails_verification(stack: Stack) -> None:
    with smtplib.SMTP(stack.mismatch_host, stack.submission, timeout=10) as smtp:
        smtp.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError, match="(?i)mismatch"):
            smtp.starttls(context=stack.ssl_context())


def test_relay_port_delivers_without_auth(stack: Stack) -> None:
    stack.clear(BOB)
    headers, body = _raw_message(f"smoke relay {uuid.uuid4().hex}")
    with smtplib.SMTP(stack.relay_host, stack.relay, timeout=10) as smtp:
        smtp.sendmail(ALICE, [BOB], headers + b"\r\n" + body)
    (received,) = stack.fetch(BOB, expect=1)
    _assert_delivered_unchanged(received, headers, body)


def test_fetch_times_out_with_a_listing(stack: Stack) -> None:
    stack.clear(ALICE)
    with pytest.raises(AssertionError, match="expected 1 message"):
        stack.fetch(ALICE, expect=1, timeout=0.3)
    assert "dovecot.log" in stack.log_text()
