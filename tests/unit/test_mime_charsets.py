"""The charset table and the automatic choice (ISO-2022-JP first, UTF-8 when it cannot)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.charsets import CHARSETS, can_encode, choose_charset, first_unencodable


def test_table_entries() -> None:
    assert CHARSETS["iso-2022-jp"].body_encoding == "7bit"
    assert CHARSETS["us-ascii"].body_encoding == "7bit"
    assert CHARSETS["utf-8"].body_encoding == "base64"
    assert CHARSETS["shift_jis"].body_encoding == "base64"
    assert CHARSETS["euc-jp"].body_encoding == "base64"
    assert {c.header_encoding for c in CHARSETS.values()} == {"B"}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        ([], "us-ascii"),
        (["Hello", "plain body\n"], "us-ascii"),
        (["テスト", "本文です。〜"], "iso-2022-jp"),
        (["Hello", "日本語 and English"], "iso-2022-jp"),
        (["報告書①"], "utf-8"),  # NEC special: not JIS X 0208
        (["㈱ピコリックス"], "utf-8"),
        (["～"], "utf-8"),  # FULLWIDTH TILDE (CP932's 〜) is not in JIS X 0208
        (["髙橋"], "utf-8"),  # IBM extension kanji
        (["ｱｲｳ"], "utf-8"),  # half-width katakana: not in ISO-2022-JP (RFC 1468)
        (["¥100"], "utf-8"),  # would need ESC ( J
        (["日本語", "Ünïcödé"], "utf-8"),
        (["日本語\x1b"], "utf-8"),  # a literal ESC cannot be ISO-2022-JP text
        (["😀"], "utf-8"),
    ],
)
def test_auto(texts: list[str], expected: str) -> None:
    assert choose_charset(texts, "auto") == expected
    assert choose_charset(texts) == expected


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("ISO-2022-JP", "iso-2022-jp"),
        ("jis", "iso-2022-jp"),
        ("Shift_JIS", "shift_jis"),
        ("sjis", "shift_jis"),
        ("EUC-JP", "euc-jp"),
        ("", "iso-2022-jp"),
    ],
)
def test_requested_is_honoured(requested: str, expected: str) -> None:
    assert choose_charset(["日本語"], requested) == expected


def test_us_ascii_requested_for_ascii() -> None:
    assert choose_charset(["abc"], "us-ascii") == "us-ascii"


@pytest.mark.parametrize(
    ("text", "requested", "char"),
    [
        ("報告書①", "iso-2022-jp", "①"),
        ("¥", "iso-2022-jp", "¥"),
        ("①", "shift_jis", "①"),
        ("日本", "us-ascii", "日"),
        ("😀", "euc-jp", "😀"),
    ],
)
def test_requested_cannot_encode(text: str, requested: str, char: str) -> None:
    with pytest.raises(InputError) as info:
        choose_charset(["ok", text], requested)
    assert (info.value.code, info.value.msgid) == (ErrCode.ENCODING, "mime.cannot_encode")
    assert char in str(info.value.params["char"])
    assert first_unencodable(text, requested) == char


def test_unknown_charset() -> None:
    with pytest.raises(UsageError) as info:
        choose_charset(["x"], "koi8-r")
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, "mime.unknown_charset")


@given(st.text())
def test_auto_choice_can_always_encode(text: str) -> None:
    charset = choose_charset([text])
    assert can_encode(text, charset)
    codec = CHARSETS[charset].codec
    assert text.encode(codec).decode(codec) == text


@given(st.text(alphabet=st.characters(max_codepoint=0x9FFF)))
def test_iso2022jp_choice_is_strict(text: str) -> None:
    if choose_charset([text]) == "iso-2022-jp":
        data = text.encode("iso-2022-jp")
        assert data.isascii()
        rest = data.replace(b"\x1b$B", b"").replace(b"\x1b(B", b"")
        assert b"\x1b" not in rest
