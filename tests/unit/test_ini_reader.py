"""config.ini.ini_sections reads smail.ini as configparser did (docs/decisions.md D42).

The reference is the library, configured as config/ini.py configured it until D42: the same
generated text must give the same sections, keys and values, or be refused by both at the same
line. (Its one deliberate difference: a section named like configparser's hidden default
section, "\\0no default\\0", is an ordinary section.)
"""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pysmail.config.ini import ini_sections
from pysmail.errors import ConfigError

INI = Path("/x/smail.ini")
_NO_DEFAULT = "\0no default\0"


def _reference(text: str) -> dict[str, dict[str, str]] | int | None:
    """What configparser (as configured before D42) reads: the sections, else the line number
    config/ini.py reported from its error (None: the error named no line)."""
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, default_section=_NO_DEFAULT
    )
    try:
        parser.read_string(text, source=str(INI))
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        if line is None and isinstance(exc, configparser.ParsingError) and exc.errors:
            line = exc.errors[0][0]
        return line
    return {name: dict(parser[name].items()) for name in parser.sections()}


def _ours(text: str) -> dict[str, dict[str, str]] | int | None:
    try:
        return ini_sections(text, INI)
    except ConfigError as exc:
        assert exc.msgid == "config.syntax"
        line = exc.params["line"]
        assert isinstance(line, int)
        return line


# whitespace of every kind str.isspace knows, the delimiters, comment marks, brackets, case
# pairs whose lower() is longer, a BOM, CR, NUL and ordinary text
_CHARS = st.sampled_from(
    [" ", "\t", "\x0c", "\x0b", "\r", "\x1c", "\x85", "\xa0", "\u3000", "\u2028", "=", ":",
     "#", ";", "[", "]", "%", "\ufeff", "\0", "a", "B", "z", "İ", "ß", "Σ", "é", "日", "1", "."]
)  # fmt: skip
_TEXT = st.lists(_CHARS, max_size=8).map("".join)
_INDENT = st.sampled_from(["", " ", "  ", "\t", "\u3000", "\x0c", " \t"])
_NAMES = st.sampled_from(["smail", "SMAIL", "Smail", "pop_before_smtp", "account x", "a"]) | _TEXT
_KEYS = st.sampled_from(["server", "Server", "PASSWORD", "port", "from", "user"]) | _TEXT
_LINE = st.one_of(
    st.builds(lambda n, tail: f"[{n}]{tail}", _NAMES, st.sampled_from(["", " ", "x", "]", " ;c"])),
    st.builds(
        lambda k, sp1, d, sp2, v: f"{k}{sp1}{d}{sp2}{v}",
        _KEYS,
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from(["=", ":", " = ", "=="]),
        st.sampled_from(["", " ", "\t"]),
        _TEXT,
    ),  # fmt: skip
    st.builds(lambda mark, t: mark + t, st.sampled_from(["#", ";", " #", "\t;"]), _TEXT),
    st.sampled_from(["", " ", "\r", "\t \r"]),
    _TEXT,
)
_FILE = st.lists(st.tuples(_INDENT, _LINE, st.sampled_from(["\n", "\r\n", "\r"])), max_size=12)


@settings(max_examples=1500, deadline=None)
@given(lines=_FILE, head=st.sampled_from(["", "[smail]\n", "\ufeff", "[smail]\r\n x=1\n"]))
@example(lines=[], head="[smail]\nserver = a\n  b\n\n  c\n\n")
@example(lines=[], head="[smail]\n a=1\nb=2\n")
@example(lines=[], head="[s]\nk=1\n#c\n  more\n[S]\nk=2\n[s]\nK=3\nj:4\n")
def test_reads_what_configparser_reads(lines: list[tuple[str, str, str]], head: str) -> None:
    text = head + "".join(indent + line + end for indent, line, end in lines)
    assume(_NO_DEFAULT not in text)
    assert _ours(text) == _reference(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[smail]\nServer = a\nserver=b\n", {"smail": {"server": "b"}}),
        ("[smail]\npassword = p;w#%(x)s\n", {"smail": {"password": "p;w#%(x)s"}}),
        ("[a]\nk = 1\n  two\n\n\n[b]\n", {"a": {"k": "1\ntwo"}, "b": {}}),
        ("[a]\nk:v=w\n", {"a": {"k": "v=w"}}),
        ("[a]\nk=1\n[A]\nk=2\n[a]\nj=3\n", {"a": {"k": "1", "j": "3"}, "A": {"k": "2"}}),
        ("\ufeff[a]\n", 1),  # a BOM left in the text (decode_ini takes it off)
        ("k=v\n", 1),
        ("[a]\nk=v\nnot a key\n=v\nno key either\n", 3),
        ("[a]\r\nk = v\r\n", {"a": {"k": "v"}}),
    ],
)
def test_examples(text: str, expected: object) -> None:
    assert _ours(text) == _reference(text) == expected
