"""text.decode.decode: the settings-file policy of the one decoder (BOM, candidates, replace)."""

from __future__ import annotations

import codecs

import pytest

from pysmail.text.decode import bom_codec, decode

JA = "日本語①"


def test_a_utf8_bom_decides_and_is_dropped() -> None:
    assert decode(codecs.BOM_UTF8 + JA.encode("utf-8")) == (JA, "utf-8-sig")


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_a_utf16_bom_decides_in_its_byte_order(bom: bytes) -> None:
    order = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    assert decode(bom + JA.encode(order)) == (JA, "utf-16")


def test_without_a_bom_utf8_then_cp932() -> None:
    assert decode(JA.encode("utf-8")) == (JA, "utf-8")
    assert decode(JA.encode("cp932")) == (JA, "cp932")


def test_strict_raises_when_nothing_fits() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode(b"\x81\x20\xff")


def test_replace_reads_the_last_candidate_with_replacement() -> None:
    assert decode(b"a\x81\x20", replace=True) == ("a\ufffd ", "cp932")


def test_a_broken_bom_raises_even_with_replace() -> None:
    with pytest.raises(UnicodeDecodeError) as caught:
        decode(codecs.BOM_UTF8 + b"ab\xff", replace=True)
    assert caught.value.start == 2  # counted from after the BOM


def test_boms_not_asked_for_are_text() -> None:
    utf16 = codecs.BOM_UTF16_LE + "x".encode("utf-16-le")
    assert bom_codec(utf16, ("utf-8-sig",)) is None
    assert decode(utf16, boms=("utf-8-sig",), replace=True)[1] == "cp932"
    assert decode(codecs.BOM_UTF8 + b"pw", boms=())[0] == "\ufeffpw"
