"""Whole messages: every one is read back with Python's email parser."""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import itertools
import os
import re
import secrets
from collections.abc import Callable
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address, parse_address
from pysmail.mime.bodyfile import normalise_newlines
from pysmail.mime.compose import (
    MessageSpec,
    check_attachments,
    compose,
    compose_bytes,
    needs_smtputf8,
    resolve_charset,
)
from pysmail.mime.headers import format_date

SENDER = parse_address("山田 太郎 <yamada@example.jp>")
TO = (parse_address("鈴木 一郎 <suzuki@example.jp>"), parse_address('"Doe, John" <john@x.test>'))
WORD = re.compile(r"=\?([^?]+)\?B\?([A-Za-z0-9+/=]*)\?=")


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    for part in message.walk():
        assert not part.defects, part.defects
    return message


def header_block(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")


def field_names(raw: bytes) -> list[str]:
    return [line.split(":", 1)[0] for line in header_block(raw).split("\r\n") if line[:1] != " "]


def check_lines(raw: bytes, limit: int = 78) -> None:
    """CRLF only, no line over `limit`, every encoded word <= 75 characters."""
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= limit, line[:100]
    for match in WORD.finditer(raw.decode("utf-8", "replace")):
        assert len(match.group(0)) <= 75


def text_of(part: MIMEPart | None) -> str:
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return normalise_newlines(content)


def expected_text(text: str) -> str:
    text = normalise_newlines(text)
    return text + "\n" if text and not text.endswith("\n") else text


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    data = {
        "報告書①.pdf": b"%PDF-1.4\n" + os.urandom(3000),
        "テスト.xls": os.urandom(1234),
        "report.txt": b"plain ascii\r\n",
    }
    paths = {}
    for name, content in data.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_japanese_message_with_attachments(files: dict[str, Path]) -> None:
    spec = MessageSpec(
        from_=SENDER,
        to=TO,
        cc=(parse_address("佐藤 <sato@example.jp>"),),
        subject="SMAILのテスト　エクセルとワードファイル添付です。",
        text="本文です。\nよろしくお願いします。\n",
        attachments=(files["報告書①.pdf"], files["テスト.xls"], files["report.txt"]),
        message_id="",
        priority=4,
    )
    assert resolve_charset(spec) == "iso-2022-jp"
    raw = compose_bytes(spec)
    check_lines(raw)
    message = parse(raw)
    assert message["subject"] == spec.subject
    assert message["from"].addresses[0].display_name == "山田 太郎"
    assert [a.display_name for a in message["to"].addresses] == ["鈴木 一郎", "Doe, John"]
    assert message["cc"].addresses[0].display_name == "佐藤"
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    assert parts[0]["content-transfer-encoding"] == "7bit"
    assert parts[0].get_content_charset() == "iso-2022-jp"
    assert text_of(parts[0]) == spec.text
    attachments = parts[1:]
    assert [a.get_filename() for a in attachments] == ["報告書①.pdf", "テスト.xls", "report.txt"]
    assert [a.get_content_type() for a in attachments] == [
        "application/pdf",
        "application/vnd.ms-excel",
        "text/plain",
    ]
    for attachment, path in zip(attachments, spec.attachments, strict=True):
        assert attachment.get_payload(decode=True) == path.read_bytes()
        assert attachment.get_content_disposition() == "attachment"
    # The ISO-2022-JP name for Japanese readers, RFC 2231 UTF-8 for standard ones.
    head = header_block(raw.split(b"--=_pysmail_")[3].split(b"\r\n", 1)[1])
    assert 'name="=?ISO-2022-JP?B?' in head
    assert "filename*=UTF-8''%E3%83%86%E3%82%B9%E3%83%88.xls" in head
    assert 'filename="=?ISO-2022-JP?B?' in head
    assert 'name="report.txt"' in raw.decode("ascii") and 'filename="report.txt"' in raw.decode()


def test_header_order_and_values() -> None:
    spec = MessageSpec(
        from_=SENDER,
        to=TO,
        cc=(Address("", "cc@example.jp"),),
        reply_to=(Address("", "reply@example.jp"),),
        subject="件名",
        text="x",
        message_id="abc",
        priority=7,
        extra_headers=(("X-Extra", "値"), ("X-Plain", "v")),
        date=1_700_000_000.0,
        mailer="pysmail-test",
    )
    raw = compose_bytes(spec)
    assert field_names(raw) == [
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "X-Mailer",
        "X-Priority",
        "Importance",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "X-Extra",
        "X-Plain",
    ]
    message = parse(raw)
    assert message["date"] == format_date(1_700_000_000.0)
    assert message["message-id"] == "<abc@example.jp>"
    assert message["x-mailer"] == "pysmail-test"
    assert (message["x-priority"], message["importance"]) == ("7", "low")
    assert message["x-extra"] == "値"
    assert "X-Extra: =?ISO-2022-JP?B?" in header_block(raw)
    assert message["reply-to"].addresses[0].addr_spec == "reply@example.jp"


@pytest.mark.parametrize(("priority", "importance"), [(1, "high"), (4, "high"), (5, "low")])
def test_priority(priority: int, importance: str) -> None:
    message = parse(compose_bytes(MessageSpec(from_=SENDER, to=TO, priority=priority)))
    assert (message["x-priority"], message["importance"]) == (str(priority), importance)


@pytest.mark.parametrize("priority", [0, 10, -1])
def test_bad_priority(priority: int) -> None:
    with pytest.raises(UsageError) as info:
        compose(MessageSpec(from_=SENDER, to=TO, priority=priority))
    assert info.value.msgid == "mime.bad_priority"


def test_no_message_id_no_priority_by_default() -> None:
    message = parse(compose_bytes(MessageSpec(from_=SENDER, to=TO, subject="s", text="t")))
    assert message["message-id"] is None
    assert message["x-priority"] is None and message["importance"] is None
    assert message["bcc"] is None


def test_generated_message_id_uses_sender_domain() -> None:
    spec = MessageSpec(from_=Address("", "me@例え.jp"), to=TO, message_id="")
    message = parse(compose_bytes(spec))
    assert re.fullmatch(r"<\d+\.[0-9a-f]+@xn--r8jz45g\.jp>", message["message-id"])


@pytest.mark.parametrize("name", ["Bcc", "subject", "Content-Type", "content-disposition"])
def test_reserved_extra_headers_refused(name: str) -> None:
    with pytest.raises(UsageError) as info:
        compose(MessageSpec(from_=SENDER, to=TO, extra_headers=((name, "x"),)))
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, "mime.reserved_header")


@pytest.mark.parametrize(
    ("spec_kwargs", "msgid"),
    [
        ({"subject": "hi\r\nBcc: victim@example.jp"}, "mime.header_injection"),
        ({"subject": "nul\0"}, "mime.header_injection"),
        ({"extra_headers": (("X-A", "v\nX-B: w"),)}, "mime.header_injection"),
        ({"extra_headers": (("X A", "v"),)}, "mime.bad_header_name"),
        ({"extra_headers": (("X-A:", "v"),)}, "mime.bad_header_name"),
        ({"to": (Address("x\r\nBcc: y@z", "a@b.c"),)}, "mime.header_injection"),
        ({"mailer": "m\r\n"}, "mime.header_injection"),
    ],
)
def test_header_injection_refused(spec_kwargs: dict[str, Any], msgid: str) -> None:
    kwargs: dict[str, Any] = {"from_": SENDER, "to": TO, **spec_kwargs}
    with pytest.raises(UsageError) as info:
        compose(MessageSpec(**kwargs))
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, msgid)


def test_utf8_for_nec_specials() -> None:
    spec = MessageSpec(from_=SENDER, to=TO, subject="㈱ピコリックス", text="報告書①を送ります。\n")
    assert resolve_charset(spec) == "utf-8"
    raw = compose_bytes(spec)
    check_lines(raw)
    assert "Subject: =?UTF-8?B?" in header_block(raw)
    message = parse(raw)
    assert message["content-transfer-encoding"] == "base64"
    assert message.get_content_charset() == "utf-8"
    assert message["subject"] == spec.subject
    assert text_of(message) == spec.text


def test_ascii_message() -> None:
    spec = MessageSpec(from_=Address("", "me@x.test"), to=(Address("", "you@x.test"),), text="hi")
    raw = compose_bytes(spec)
    assert b"Content-Type: text/plain; charset=US-ASCII\r\nContent-Transfer-Encoding: 7bit" in raw
    assert raw.endswith(b"\r\n\r\nhi\r\n")


@pytest.mark.parametrize(
    ("charset", "cte"), [("shift_jis", "base64"), ("euc-jp", "base64"), ("utf-8", "base64")]
)
def test_requested_charset(charset: str, cte: str) -> None:
    spec = MessageSpec(from_=SENDER, to=TO, subject="件名", text="本文", charset=charset)
    message = parse(compose_bytes(spec))
    assert message.get_content_charset() == charset
    assert message["content-transfer-encoding"] == cte
    assert (message["subject"], text_of(message)) == ("件名", "本文\n")


def test_requested_charset_cannot_encode() -> None:
    with pytest.raises(InputError) as info:
        compose(MessageSpec(from_=SENDER, to=TO, text="①", charset="iso-2022-jp"))
    assert (info.value.code, info.value.msgid) == (ErrCode.ENCODING, "mime.cannot_encode")


def test_layouts(files: dict[str, Path]) -> None:
    def layout(**kwargs: Any) -> list[str]:
        spec = MessageSpec(from_=SENDER, to=TO, **kwargs)
        return [p.get_content_type() for p in parse(compose_bytes(spec)).walk()]

    pdf = (files["報告書①.pdf"],)
    assert layout(text="t") == ["text/plain"]
    assert layout() == ["text/plain"]  # subject-only mail
    assert layout(html="<p>h</p>") == ["text/html"]
    assert layout(text="t", html="<p>h</p>") == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert layout(text="t", attachments=pdf) == ["multipart/mixed", "text/plain", "application/pdf"]
    assert layout(attachments=pdf) == ["multipart/mixed", "application/pdf"]
    assert layout(text="t", html="h", attachments=pdf) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]


def test_alternative_texts_round_trip() -> None:
    spec = MessageSpec(from_=SENDER, to=TO, text="テキスト\n", html="<p>エイチティーエムエル</p>")
    message = parse(compose_bytes(spec))
    assert text_of(message.get_body(("plain",))) == "テキスト\n"
    assert text_of(message.get_body(("html",))) == "<p>エイチティーエムエル</p>\n"


def test_empty_body() -> None:
    raw = compose_bytes(MessageSpec(from_=SENDER, to=TO, subject="件名だけ"))
    assert raw.endswith(b"Content-Transfer-Encoding: 7bit\r\n\r\n")
    message = parse(raw)
    assert message["subject"] == "件名だけ"
    assert text_of(message) == ""


def test_not_dot_stuffed_and_long_lines_fall_back_to_base64() -> None:
    raw = compose_bytes(MessageSpec(from_=SENDER, to=TO, text=".\n..\nend"))
    assert b"\r\n.\r\n..\r\nend\r\n" in raw
    long_line = "あ" * 600 + "\n"  # 1206 octets in ISO-2022-JP: too long for 7bit
    message = parse(compose_bytes(MessageSpec(from_=SENDER, to=TO, text=long_line)))
    assert message["content-transfer-encoding"] == "base64"
    assert message.get_content_charset() == "iso-2022-jp"
    assert text_of(message) == long_line


def test_smtputf8_addresses() -> None:
    spec = MessageSpec(from_=SENDER, to=(parse_address("ユーザー@例え.jp"),))
    assert needs_smtputf8(spec)
    assert not needs_smtputf8(MessageSpec(from_=SENDER, to=TO))
    raw = compose_bytes(spec)
    assert "To: ユーザー@xn--r8jz45g.jp" in header_block(raw)
    # BytesParser keeps 8-bit headers as surrogates; RFC 6532 headers are UTF-8 text.
    message = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert message["to"].addresses[0].addr_spec == "ユーザー@xn--r8jz45g.jp"


def test_long_japanese_file_name(tmp_path: Path) -> None:
    name = "とても長いファイル名の添付ファイルのテストです。三十文字を超える名前①②③.pdf"
    path = tmp_path / name
    path.write_bytes(b"data")
    raw = compose_bytes(MessageSpec(from_=SENDER, to=TO, attachments=(path,)))
    check_lines(raw)
    assert b"filename*0*=UTF-8''" in raw and b"filename*1*=" in raw
    attachment = list(parse(raw).iter_attachments())[0]
    assert attachment.get_filename() == name
    assert attachment.get_param("name") == name


def test_ascii_long_and_odd_file_names(tmp_path: Path) -> None:
    for name in ("a" * 90 + ".bin", 'quote"and\\back.bin', "tab\tname.bin"):
        path = tmp_path / name
        path.write_bytes(b"x")
        raw = compose_bytes(MessageSpec(from_=SENDER, to=TO, attachments=(path,)))
        check_lines(raw)
        assert list(parse(raw).iter_attachments())[0].get_filename() == name


def test_check_attachments(tmp_path: Path, files: dict[str, Path]) -> None:
    check_attachments(files.values())
    with pytest.raises(InputError) as info:
        check_attachments([files["テスト.xls"], tmp_path / "missing.pdf"])
    assert (info.value.code, info.value.msgid) == (ErrCode.ATTACHMENT, "mime.attachment_not_found")
    assert info.value.params["path"] == str(tmp_path / "missing.pdf")
    with pytest.raises(InputError) as info:
        check_attachments([tmp_path])
    assert info.value.msgid == "mime.attachment_unreadable"
    assert info.value.params["reason"]


def test_attachment_vanishing_while_composing(tmp_path: Path) -> None:
    path = tmp_path / "gone.bin"
    path.write_bytes(b"x")
    chunks = compose(MessageSpec(from_=SENDER, to=TO, attachments=(path,)))
    path.unlink()
    with pytest.raises(InputError) as info:
        b"".join(chunks)
    assert info.value.code is ErrCode.ATTACHMENT


@pytest.fixture
def fixed_random(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make secrets.token_hex count 1, 2, 3...; calling the result restarts the count."""

    def restart() -> None:
        counter = itertools.count(1)
        monkeypatch.setattr(secrets, "token_hex", lambda n: f"{next(counter):0{2 * n}x}")

    restart()
    return restart


def test_chunks_equal_whole_message_and_stay_small(
    tmp_path: Path, fixed_random: Callable[[], None]
) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    spec = MessageSpec(
        from_=SENDER, to=TO, text="大きな添付", attachments=(path,), message_id="", date=1.0
    )
    chunks = list(compose(spec))
    assert len(chunks) > 80
    assert max(len(c) for c in chunks) < 100_000  # streamed, never the whole file
    whole_first = b"".join(chunks)
    fixed_random()  # the same random numbers again -> the same message
    assert compose_bytes(spec) == whole_first
    check_lines(whole_first, 78)
    attachment = list(parse(whole_first).iter_attachments())[0]
    assert attachment.get_payload(decode=True) == data


def test_boundary_never_in_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = iter(["00" * 16, "00" * 16, "11" * 16, "22" * 16])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(values))
    path = tmp_path / "a.bin"
    path.write_bytes(b"x")
    trap = "--=_pysmail_" + "00" * 16
    spec = MessageSpec(from_=SENDER, to=TO, text=trap, html="h", attachments=(path,))
    raw = compose_bytes(spec)
    assert b'boundary="=_pysmail_' + b"11" * 16 + b'"' in raw
    assert b'boundary="=_pysmail_' + b"22" * 16 + b'"' in raw
    message = parse(raw)
    assert text_of(message.get_body(("plain",))) == trap + "\n"


def test_base64_lines_are_76(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(os.urandom(57 * 1024 * 2 + 100))
    raw = compose_bytes(MessageSpec(from_=SENDER, to=TO, attachments=(path,)))
    body = raw.split(b"Content-Transfer-Encoding: base64\r\n\r\n")[1].split(b"\r\n\r\n--")[0]
    lines = body.split(b"\r\n")
    assert {len(line) for line in lines[:-1]} == {76}
    assert base64.b64decode(body) == path.read_bytes()


_no_breaks = st.text().filter(lambda t: not any(c in t for c in "\r\n\0"))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    subject=_no_breaks,
    text=st.text(),
    name=_no_breaks,
    charset=st.sampled_from(["auto", "utf-8"]),
)
def test_any_text_round_trips(subject: str, text: str, name: str, charset: str) -> None:
    spec = MessageSpec(
        from_=Address(name, "me@example.jp"),
        to=(Address(name, "you@example.jp"),),
        subject=subject,
        text=text,
        charset=charset,
    )
    raw = compose_bytes(spec)
    check_lines(raw, 998)
    message = parse(raw)
    assert message["subject"] == subject
    assert message["to"].addresses[0].addr_spec == "you@example.jp"
    assert rfc2047_display(raw, "To") == name
    assert text_of(message) == expected_text(text)


def rfc2047_display(raw: bytes, name: str) -> str:
    """The display name of the one address in field `name`, decoded as RFC 2047 6.2 says.

    Python's modern address parser joins the encoded words of a long display name with a
    space (RFC 2047 6.2: white space between adjacent encoded words is ignored), so the
    legacy decoder, which follows the RFC, is used here.
    """
    from email.header import decode_header, make_header

    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
    value = str(legacy[name])
    if "<" not in value:
        return ""
    phrase = value[: value.rindex("<")].strip()
    if phrase.startswith('"'):
        return str(email.utils.parseaddr(value)[0])
    return str(make_header(decode_header(phrase)))


def test_text_attachment_label_follows_the_file(tmp_path: Path) -> None:
    """The label is cached for --batch, keyed by the file's identity, size and time."""
    from pysmail.mime.parts import text_attachment_type

    path = tmp_path / "memo.txt"
    path.write_bytes(b"ascii only\n")
    assert text_attachment_type(path, "text/plain") == "text/plain; charset=US-ASCII"
    path.write_bytes("日本語のメモ\n".encode("shift_jis"))
    assert text_attachment_type(path, "text/plain") == "text/plain; charset=Shift_JIS"
    path.write_bytes(b"\0binary")
    assert text_attachment_type(path, "text/plain") == "application/octet-stream"
