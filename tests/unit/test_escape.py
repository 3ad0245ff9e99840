"""The one escaper for printed text: control characters visible, printable Unicode unchanged."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from pysmail.redact import Scrubber
from pysmail.text.escape import escape_controls
from pysmail.ui.output import Output


def test_terminal_controls_are_shown_as_escapes() -> None:
    assert escape_controls("a\x1b]0;t\x07b\x08c\rd\x00\x7f") == (
        "a\\x1b]0;t\\x07b\\x08c\\x0dd\\x00\\x7f"
    )
    assert escape_controls("\x9b31m\x85") == "\\x9b31m\\x85"  # C1: CSI, NEL
    assert escape_controls("abc\u202edef\u2066\u2069\u200f\u061c") == (
        "abc\\u202edef\\u2066\\u2069\\u200f\\u061c"
    )
    assert escape_controls("a\u2028b") == "a\\u2028b"


def test_layout_and_printable_unicode_are_unchanged() -> None:
    for text in (
        "line one\nline two\twith a tab",
        "件名: 日本語のテキスト、半角ｶﾅ、全角　空白",
        "Grüße, café, naïve",
        "family 👨\u200d👩\u200d👧 and flags 🇯🇵",  # ZWJ sequences stay
        "C:\\Users\\alice\\smail.ini",
    ):
        assert escape_controls(text) == text


@given(st.text())
def test_output_never_holds_a_control_character(text: str) -> None:
    shown = escape_controls(text)
    assert all(ch in "\t\n" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F) for ch in shown)
    assert not set(shown) & set("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e")


def test_output_masks_then_escapes_every_kind_of_line() -> None:
    stream = io.StringIO()
    out = Output(stream, Scrubber(["hunter2-secret"]))
    out.line("Recv: 535 hunter2-secret\x1b[2J")
    out.prompt("Paste\x07: ")
    out.secret_value("tok\x1ben")
    assert stream.getvalue() == "Recv: 535 ****\\x1b[2J\nPaste\\x07: tok\\x1ben\n"
