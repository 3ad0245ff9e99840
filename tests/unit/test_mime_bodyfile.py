"""Body files: the encoding is given or detected, newlines normalised."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.bodyfile import decode_text, normalise_newlines
from pysmail.text.decode import EncodingSniffer, detect_encoding

TEXT = "SMAILのテスト\r\nエクセル添付です。①㈱\r\n"
EXPECTED = "SMAILのテスト\nエクセル添付です。①㈱\n"
JIS_TEXT = "本文です。\r\nこんにちは〜\r\n"


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with its BOM
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("cp932"), "cp932"),
    ],
)
def test_detected(data: bytes, codec: str) -> None:
    assert detect_encoding(data) == codec
    assert decode_text(data, None) == EXPECTED


def test_iso2022jp_detected() -> None:
    data = JIS_TEXT.encode("iso-2022-jp")
    assert detect_encoding(data) == "iso-2022-jp"
    assert decode_text(data) == "本文です。\nこんにちは〜\n"


def test_iso2022jp_with_half_width_katakana() -> None:
    data = "ｱｲｳ 日本".encode("iso2022_jp_ext")
    assert decode_text(data) == "ｱｲｳ 日本"


def test_ascii_is_utf8() -> None:
    assert decode_text(b"hello\rworld\r\n") == "hello\nworld\n"


def test_given_encoding_wins() -> None:
    data = "日本語".encode("euc_jp")
    assert decode_text(data, "euc-jp") == "日本語"
    # Shift_JIS files from Windows are CP932: ① must read.
    assert decode_text("①".encode("cp932"), "shift_jis") == "①"
    assert decode_text(codecs.BOM_UTF8 + b"abc", "utf-8") == "abc"


def test_given_encoding_wrong() -> None:
    with pytest.raises(InputError) as info:
        decode_text("日本語".encode("cp932"), "utf-8", source="body.txt")
    assert (info.value.code, info.value.msgid) == (ErrCode.ENCODING, "mime.cannot_decode")
    assert info.value.params["source"] == "body.txt"


@pytest.mark.parametrize(
    "name",
    ["no-such-codec", "base64", "rot13", "punycode", "undefined", "unicode_escape", "idna", "\x00"],
)
def test_unknown_encoding(name: str) -> None:
    with pytest.raises(UsageError) as info:
        decode_text(b"x", name)
    assert (info.value.code, info.value.msgid) == (ErrCode.OPTION, "mime.unknown_encoding")


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary", b"\xff\x81 \xa0"])
def test_undetectable(data: bytes) -> None:
    with pytest.raises(InputError) as info:
        decode_text(data, source="x.bin")
    assert (info.value.code, info.value.msgid) == (ErrCode.ENCODING, "mime.undetectable_encoding")


@given(st.text().filter(lambda t: "\0" not in t))
def test_utf8_round_trip(text: str) -> None:
    assert decode_text(text.encode("utf-8")) == normalise_newlines(text)


@given(st.text())
def test_utf16_round_trip(text: str) -> None:
    assert decode_text(text.encode("utf-16")) == normalise_newlines(text)


# Pieces that make every branch of detect_encoding likely: BOMs, NUL, JIS escapes, UTF-8,
# CP932 and ISO-2022-JP characters, and stray lead bytes.
_PIECES = st.sampled_from(
    [
        b"a",
        b"\n",
        b"\0",
        b"\x1b",
        b"$B",
        b"(J",
        b"(I",
        b"\x82",
        b"\xe6",
        b"\xff\xfe",
        codecs.BOM_UTF8,
        "日本".encode(),
        "日本".encode("cp932"),
        "①".encode("cp932"),
        "本".encode("iso-2022-jp"),
        "ｱ".encode("iso2022_jp_ext"),
    ]
)


@given(st.lists(_PIECES, max_size=12).map(b"".join), st.lists(st.integers(1, 5), min_size=1))
def test_sniffer_in_blocks_agrees_with_detect_encoding(data: bytes, sizes: list[int]) -> None:
    """An attachment is sniffed block by block; the verdict must be -F's on the whole."""
    sniffer = EncodingSniffer()
    start = 0
    for size in sizes * (len(data) + 1):
        if start >= len(data):
            break
        sniffer.feed(data[start : start + size])
        start += size
    assert sniffer.codec() == detect_encoding(data)


def test_sniffer_reports_ascii_and_other_fits() -> None:
    sniffer = EncodingSniffer(also=("shift_jis",))
    sniffer.feed("①".encode("cp932"))
    assert sniffer.codec() == "cp932" and not sniffer.fits("shift_jis") and not sniffer.ascii
    sniffer = EncodingSniffer()
    sniffer.feed(b"plain")
    assert sniffer.codec() == "utf-8" and sniffer.ascii
