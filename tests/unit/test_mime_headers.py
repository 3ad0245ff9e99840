"""Header fields: encoded words, folding, addresses, Date, Message-ID, injection refused."""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import re
import time
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address
from pysmail.mime.headers import (
    address_field,
    check_name,
    encode_words,
    format_date,
    message_id,
    unstructured_field,
)

WORD = re.compile(r"=\?([^?]+)\?B\?([A-Za-z0-9+/=]*)\?=")
LONG_JA = "日本語の件名がとても長い場合に正しく折り返されるかを確かめるためのテキストです。" * 3


def parse_field(field: str) -> EmailMessage:
    raw = (field + "\r\n\r\n").encode("utf-8")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def check_words(field: str) -> None:
    """Lines <= 78, words <= 75, every ISO-2022-JP word a complete sequence ending in ASCII."""
    for line in field.split("\r\n"):
        assert len(line) <= 78, line
    for match in WORD.finditer(field):
        assert len(match.group(0)) <= 75
        data = base64.b64decode(match.group(2))
        if match.group(1) == "ISO-2022-JP":
            assert data.isascii()
            assert data.rfind(b"\x1b(B") >= data.rfind(b"\x1b$B")  # ends in ASCII
            data.decode("iso-2022-jp")  # each word decodes on its own
        elif match.group(1) == "UTF-8":
            data.decode("utf-8")


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        ("テスト", "iso-2022-jp"),
        (LONG_JA, "iso-2022-jp"),
        (LONG_JA, "utf-8"),
        ("報告書①" * 30, "utf-8"),
        ("A" + "あ" * 100 + "B", "iso-2022-jp"),
        ("mixed 日本語 and English words " * 5, "iso-2022-jp"),
        ("日本語" * 40, "shift_jis"),
        ("日本語" * 40, "euc-jp"),
    ],
)
def test_subject_words_and_round_trip(text: str, charset: str) -> None:
    field = unstructured_field("Subject", text, charset)
    assert field.startswith("Subject: =?")
    check_words(field)
    assert parse_field(field)["subject"] == text


def test_iso2022jp_subject_uses_iso2022jp_words() -> None:
    field = unstructured_field("Subject", "テスト", "iso-2022-jp")
    assert field == "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="


def test_text_the_charset_cannot_write_falls_back_to_utf8() -> None:
    field = unstructured_field("X-Note", "①", "iso-2022-jp")
    assert "=?UTF-8?B?" in field
    assert parse_field(field)["x-note"] == "①"


def test_ascii_stays_plain_and_is_folded() -> None:
    text = " ".join(f"word{i}" for i in range(40))
    field = unstructured_field("Subject", text, "us-ascii")
    assert "=?" not in field
    assert field.count("\r\n ") >= 2
    check_words(field)
    assert parse_field(field)["subject"] == text


def test_ascii_that_would_be_misread_is_encoded() -> None:
    for text in ("=?utf-8?q?x?=", " leading", "trailing ", "tab\there", "x" * 90):
        field = unstructured_field("Subject", text, "us-ascii")
        assert "=?US-ASCII?B?" in field
        check_words(field)
        assert parse_field(field)["subject"] == text


def test_word_split_never_inside_a_character() -> None:
    for word in encode_words("😀" * 50, "utf-8"):
        data = base64.b64decode(WORD.fullmatch(word).group(2))  # type: ignore[union-attr]
        assert data.decode("utf-8") == "😀" * (len(data) // 4)


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "a\r\nBcc: x@y", "a\0"])
def test_header_injection_refused(value: str) -> None:
    with pytest.raises(UsageError) as info:
        unstructured_field("Subject", value, "utf-8")
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, "mime.header_injection")
    assert info.value.params["header"] == "Subject"
    with pytest.raises(UsageError):
        address_field("To", [Address(value, "a@b.c")], "utf-8")
    with pytest.raises(UsageError):
        address_field("To", [Address("", "a@b.c" + value)], "utf-8")


@pytest.mark.parametrize("name", ["", "Bad Name", "Bad:Name", "日本", "X-\x7f"])
def test_bad_header_names(name: str) -> None:
    with pytest.raises(UsageError) as info:
        check_name(name)
    assert info.value.msgid == "mime.bad_header_name"


@pytest.mark.parametrize(
    ("address", "written"),
    [
        (Address("", "a@b.c"), "a@b.c"),
        (Address("John Doe", "a@b.c"), "John Doe <a@b.c>"),
        (Address("Doe, John", "a@b.c"), '"Doe, John" <a@b.c>'),
        (Address('Say "hi"', "a@b.c"), '"Say \\"hi\\"" <a@b.c>'),
        (Address("J. Doe", "a@b.c"), '"J. Doe" <a@b.c>'),
        (Address("user", "u@例え.jp"), "user <u@xn--r8jz45g.jp>"),
    ],
)
def test_ascii_addresses(address: Address, written: str) -> None:
    field = address_field("To", [address], "us-ascii")
    assert field == f"To: {written}"
    parsed = parse_field(field)["to"].addresses[0]
    assert (parsed.display_name, parsed.addr_spec) == (address.display, address.wire_addr)


def test_japanese_address_list_folds_and_round_trips() -> None:
    people = [Address(f"山田 太郎{i}号", f"user{i}@example.jp") for i in range(6)]
    people.append(Address("Doe, John", "john@example.com"))
    field = address_field("To", people, "iso-2022-jp")
    check_words(field)
    parsed = parse_field(field)["to"].addresses
    assert [(a.display_name, a.addr_spec) for a in parsed] == [(p.display, p.addr) for p in people]


def test_date_format() -> None:
    text = format_date(0.0)
    assert re.fullmatch(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
        r" \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
        text,
    )
    parsed = email.utils.parsedate_to_datetime(text)
    assert parsed.timestamp() == 0.0
    now = time.time()
    assert abs(email.utils.parsedate_to_datetime(format_date()).timestamp() - now) < 5


def test_date_names_do_not_come_from_the_locale() -> None:
    """The names are tables in the code, not strftime's %a/%b (which follow LC_TIME)."""
    import locale

    old = locale.setlocale(locale.LC_TIME)
    for name in ("ja_JP.UTF-8", "ja_JP.utf8", "de_DE.UTF-8", "C"):
        try:
            locale.setlocale(locale.LC_TIME, name)
            break
        except locale.Error:
            continue
    try:
        # 1970-01-04 12:00 UTC is Sunday the 4th or Monday the 5th in every time zone
        assert re.match(r"(Sun, 04|Mon, 05) Jan 1970 ", format_date(3 * 86400.0 + 12 * 3600))
    finally:
        locale.setlocale(locale.LC_TIME, old)


def test_generated_message_id() -> None:
    first, second = message_id("", "example.jp"), message_id("", "example.jp")
    assert re.fullmatch(r"<\d+\.[0-9a-f]{16}@example\.jp>", first)
    assert first != second


@pytest.mark.parametrize(
    ("given_id", "expected"),
    [
        ("abc123", "<abc123@example.jp>"),
        ("abc@host.test", "<abc@host.test>"),
        ("<abc@host.test>", "<abc@host.test>"),
        ("<abc>", "<abc@example.jp>"),
    ],
)
def test_given_message_id(given_id: str, expected: str) -> None:
    assert message_id(given_id, "example.jp") == expected


@pytest.mark.parametrize("given_id", ["a b", "a\r\nb", "<a>b>", "日本", "@x", "a@"])
def test_bad_message_id(given_id: str) -> None:
    with pytest.raises(UsageError) as info:
        message_id(given_id, "example.jp")
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, "mime.bad_message_id")


_header_text = st.text().filter(lambda t: not any(c in t for c in "\r\n\0"))


@given(_header_text, st.sampled_from(["auto-utf", "iso-2022-jp", "us-ascii"]))
def test_any_subject_round_trips(text: str, charset: str) -> None:
    from pysmail.mime.charsets import choose_charset

    cs = choose_charset([text]) if charset == "auto-utf" else charset
    field = unstructured_field("Subject", text, cs)
    for line in field.split("\r\n"):
        assert len(line) <= 78
    assert parse_field(field)["subject"] == text
