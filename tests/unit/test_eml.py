"""Finished RFC 5322 messages (pysmail.mime.eml): the header block read alone, Bcc and
Resent-Bcc removed, the envelope and Message-ID found from the header (pure, on bytes)."""

from __future__ import annotations

import io

import pytest

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.eml import eml_envelope, eml_message_id, header_values, split_head, strip_bcc

EML = (
    b"From: Ann <ann@x.test>\r\nTo: Bob <bob@x.test>, carol@x.test\r\n"
    b"Cc: =?utf-8?q?D=C3=A9?= <dee@x.test>\r\nBcc: hidden@x.test,\r\n  other@x.test\r\n"
    b"Subject: hi\r\nMessage-ID: <m1@x.test>\r\n\r\nbody\r\nBcc: not a header\r\n"
)


def test_split_head_reads_only_the_header_block() -> None:
    class Blocks(io.BytesIO):
        reads = 0

        def read(self, size: int | None = -1) -> bytes:
            self.reads += 1
            return super().read(min(size or 7, 7))  # tiny blocks: the end spans two reads

    stream = Blocks(EML)
    head, rest = split_head(stream, "m.eml")
    assert head.endswith(b"<m1@x.test>\r\n\r\n") and EML.startswith(head)
    assert head + rest + stream.read() == EML


def test_split_head_lf_mbox_line_no_body_and_limit() -> None:
    head, rest = split_head(io.BytesIO(b"From ann@x Mon Jan 1\nTo: b@x.test\n\nbody\n"), "m")
    assert head == b"To: b@x.test\n\n" and rest == b"body\n"
    head, rest = split_head(io.BytesIO(b"To: b@x.test\r\n"), "m")
    assert head == b"To: b@x.test\r\n" and rest == b""
    with pytest.raises(InputError) as exc:
        split_head(io.BytesIO(b"X: " + b"y" * 5000), "m", limit=1000)
    assert exc.value.code is ErrCode.BODY_FILE and exc.value.msgid == "batch.eml_header_too_long"


def test_strip_bcc_removes_folded_bcc_and_nothing_else() -> None:
    head, rest = split_head(io.BytesIO(EML), "m")
    clean = strip_bcc(head)
    assert b"hidden" not in clean and b"other@" not in clean
    assert clean == head.replace(b"Bcc: hidden@x.test,\r\n  other@x.test\r\n", b"")
    assert strip_bcc(b"To: a\nResent-Bcc: b\nbcc:c\n\n") == b"To: a\n\n"


def test_eml_envelope_from_headers_or_from_the_command_line() -> None:
    head, _ = split_head(io.BytesIO(EML), "m")
    sender, rcpts, utf8 = eml_envelope(head, "m", None, [])
    assert sender == "ann@x.test" and not utf8
    assert rcpts == ("bob@x.test", "carol@x.test", "dee@x.test", "hidden@x.test", "other@x.test")
    sender, rcpts, _ = eml_envelope(head, "m", "me@x.test", ["only@x.test"])
    assert (sender, rcpts) == ("me@x.test", ("only@x.test",))
    assert header_values(head, "message-id") == ["<m1@x.test>"]
    assert header_values(head, "bcc") == ["hidden@x.test, other@x.test"]
    assert eml_message_id(head) == "<m1@x.test>"
    assert eml_message_id(b"Message-ID:  <a@x>\nMessage-ID: <b@x>\n\n") == "<a@x>"
    assert eml_message_id(b"To: b@x.test\n\n") == ""


def test_eml_envelope_errors() -> None:
    with pytest.raises(UsageError) as exc:
        eml_envelope(b"To: b@x.test\r\n\r\n", "m.eml", None, [])
    assert exc.value.code is ErrCode.OPTION and exc.value.msgid == "batch.eml_no_sender"
    with pytest.raises(UsageError) as exc:
        eml_envelope(b"From: a@x.test\r\nSubject: s\r\n\r\n", "m.eml", None, [])
    assert exc.value.code is ErrCode.RECIPIENT and exc.value.msgid == "batch.eml_no_recipient"
    _, _, utf8 = eml_envelope("From: a@x.test\r\nTo: 山田@x.test\r\n\r\n".encode(), "m", None, [])
    assert utf8
