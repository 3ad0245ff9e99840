"""Masking: known secrets and their base64 forms, AUTH/PASS/APOP lines, the DATA transcript."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from pysmail.redact import MASK, MIN_SECRET_LENGTH, Scrubber, base64_forms
from pysmail.smtp.trace import Trace, mask_command


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_plain_secret_is_masked() -> None:
    scrubber = Scrubber(["alice-pw"])
    assert scrubber.scrub("password is alice-pw, ok") == f"password is {MASK}, ok"


def test_base64_of_a_sasl_blob_holding_the_secret_is_masked_whole() -> None:
    scrubber = Scrubber(["alice-pw"])
    for blob in (
        b"\0alice@example.test\0alice-pw",  # PLAIN
        b"alice-pw",  # LOGIN's password step
        b"user=a@x\x01auth=Bearer alice-pw\x01\x01",  # XOAUTH2
    ):
        line = f"Send: {_b64(blob)}"
        assert scrubber.scrub(line) == f"Send: {MASK}", blob


def test_urlsafe_base64_is_masked_too() -> None:
    secret = "??>>??>>secret"  # encodes to characters that differ between the two alphabets
    blob = base64.urlsafe_b64encode(b"x" + secret.encode()).decode()
    assert Scrubber([secret]).scrub(blob) == MASK


def test_short_secrets_are_ignored_and_empty_scrubber_is_identity() -> None:
    assert Scrubber(["abc"]).scrub("abc abc") == "abc abc"
    assert not Scrubber()
    assert Scrubber().scrub("anything") == "anything"


def test_a_short_secret_is_masked_where_sent_never_in_ordinary_text() -> None:
    """Password `test`: masking every `test` would show it (`Subject: **** subject`, issue 12).
    The AUTH and LOGIN lines that carry it are masked where they are written instead."""
    lines: list[str] = []
    trace = Trace(lines.append)
    trace.protect("test")
    trace.recv("220 test.example.org ESMTP")
    trace.send("AUTH PLAIN " + _b64(b"\0carol@example.test\0test"))
    trace.send_secret()  # LOGIN's password step
    trace.send("PASS test")
    trace.send("APOP carol 0123456789abcdef0123456789abcdef")
    tap = trace.data()
    tap.feed(b"Subject: test subject\r\nX-Test: a test\r\n\r\nbody")
    tap.finish()
    assert lines == [
        "Recv: 220 test.example.org ESMTP",
        "Send: AUTH PLAIN ****",
        "Send: ****",
        "Send: PASS ****",
        "Send: APOP carol ****",
        "Send: Subject: test subject",
        "Send: X-Test: a test",
        "Send: ",
        "[message body: 4 bytes]",
        "Send: .",
    ]
    assert Scrubber(["test", "passw0r"]).scrub("test passw0rd") == "test passw0rd"
    assert MIN_SECRET_LENGTH == 8


def test_unrelated_base64_is_left_alone() -> None:
    scrubber = Scrubber(["alice-pw"])
    other = _b64(b"\0bob@example.test\0bob-pw")
    assert scrubber.scrub(other) == other


@given(
    st.text(min_size=MIN_SECRET_LENGTH, max_size=40).filter(
        lambda s: s.strip() == s and len(s.strip()) >= MIN_SECRET_LENGTH
    ),
    st.binary(max_size=20),
    st.binary(max_size=20),
)
def test_any_base64_embedding_is_masked(secret: str, before: bytes, after: bytes) -> None:
    encoded = _b64(before + secret.encode() + after)
    scrubbed = Scrubber([secret]).scrub(f"x {encoded} y")
    for form in base64_forms(secret):
        assert form not in scrubbed
    assert secret not in scrubbed


def test_mask_command() -> None:
    assert mask_command("AUTH PLAIN AHRpbQB0YW5zdGFhZg==") == "AUTH PLAIN ****"
    assert mask_command("auth xoauth2 dXNlcj1h") == "auth xoauth2 ****"
    assert mask_command("AUTH LOGIN") == "AUTH LOGIN"
    assert mask_command("PASS secret words") == "PASS ****"
    assert mask_command("APOP alice c4c9334bac560ecc979e58001b3e22fb") == "APOP alice ****"
    assert mask_command("MAIL FROM:<a@x>") == "MAIL FROM:<a@x>"


def test_trace_masks_what_it_is_given_and_learns_secrets() -> None:
    lines: list[str] = []
    trace = Trace(lines.append)
    trace.send("AUTH PLAIN " + _b64(b"\0u\0hunter22"))
    trace.send_secret("AUTH XOAUTH2")
    trace.send_secret()
    trace.protect("hunter22")
    trace.recv("535 5.7.8 your password hunter22 is wrong\n535 more")
    trace.note("echo " + _b64(b"hunter22"))
    assert lines == [
        "Send: AUTH PLAIN ****",
        "Send: AUTH XOAUTH2 ****",
        "Send: ****",
        "Recv: 535 5.7.8 your password **** is wrong",
        "Recv: 535 more",
        "echo ****",
    ]


def test_data_trace_shows_headers_and_counts_the_body() -> None:
    lines: list[str] = []
    tap = Trace(lines.append).data()
    for chunk in (b"From: a@x\r\nSubj", b"ect: hi\r\n\r", b"\nbody line\r\n", b"more\r\n"):
        tap.feed(chunk)
    tap.finish()
    assert lines == [
        "Send: From: a@x",
        "Send: Subject: hi",
        "Send: ",
        "[message body: 17 bytes]",
        "Send: .",
    ]


def test_data_trace_without_blank_line_or_with_lf_only() -> None:
    lines: list[str] = []
    tap = Trace(lines.append).data()
    tap.feed(b"X: 1\r\n")
    tap.finish()
    assert lines == ["Send: X: 1", "Send: ", "[message body: 0 bytes]", "Send: ."]
    lines.clear()
    tap = Trace(lines.append).data()
    tap.feed(b"X: 1\n\nsecret body")
    tap.finish()
    assert "secret body" not in "\n".join(lines)
    assert lines[-2] == "[message body: 11 bytes]"
