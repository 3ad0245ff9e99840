"""text.flatjson reads what json reads (docs/decisions.md D47): for any text, the same object as
`json.loads` or None (then its caller asks json); and the access-token cache as `json.dumps`
writes it is always read without json."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pysmail.text.flatjson import flat_object

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
# texts near the grammar: JSON's own pieces, whitespace, escapes, control characters, numbers
_PIECES = st.sampled_from(
    ['{', '}', '"', '"a"', '"b"', ':', ',', ' ', '\n', '\t', '\r', '\x0b', '1', '0', '-', '.', 'e',
     '+', '01', '1.5', 'true', 'false', 'null', 'NaN', 'Infinity', '\\', '\\"', '\x00', '\x1f',
     '\u0663', '\ufeff', '[', ']', 'é']
)  # fmt: skip
# objects near the grammar: raw string contents (control characters too), whitespace JSON has
# and has not, numbers and words JSON reads and refuses, missing and doubled separators
_RAW = st.text(st.characters(exclude_characters='"\\'), max_size=4)
_SPACE = st.sampled_from(["", "", " ", " ", "\n", "\t", "\r", "\x0b", "\x0c", "\xa0", "\u3000"])
_VALUE = _RAW.map('"{}"'.format) | st.sampled_from(
    ["1", "-0", "01", "1.", ".5", "1.5", "1e5", "1E+2", "2e-3", "1e", "1e+", "-", "--1", "true",
     "True", "null", "nul", "NaN", "-Infinity", "1_0", "\u0663", "1 2", "[]", "{}"]
)  # fmt: skip


@st.composite
def _near(draw: st.DrawFn) -> str:
    text = draw(_SPACE) + draw(st.sampled_from(["{", "", "[", "{{"]))
    for _ in range(draw(st.integers(0, 4))):
        colon = draw(st.sampled_from([":", ":", "", "::", ";"]))
        text += draw(_SPACE) + f'"{draw(_RAW)}"' + draw(_SPACE) + colon + draw(_SPACE)
        text += draw(_VALUE) + draw(_SPACE) + draw(st.sampled_from([",", ",", "", ",,"]))
    if text.endswith(",") and draw(st.booleans()):
        text = text[:-1]
    return text + draw(st.sampled_from(["}", "}", "", "}}", "]"])) + draw(_SPACE)


TEXTS = (
    _near()
    | st.dictionaries(st.text(), _SCALARS, max_size=6).map(json.dumps)
    | st.dictionaries(st.text(), _SCALARS, max_size=6).map(lambda d: json.dumps(d, indent=1))
    | st.lists(_PIECES, max_size=14).map("".join)
    | st.text(max_size=40)
)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return ValueError


@settings(max_examples=2000, deadline=None)
@given(text=TEXTS)
@example(text='{"v": 1, "rt": "ab", "access_token": "x.y-z", "scope": null, "obtained_at": 1.5}')
@example(text=" {} ")
@example(text='{"a": 1} "b"')
@example(text='{"a": -0, "b": 0.0, "c": 01}')
@example(text='{"a": 1e5, "b": -2.5E-3, "c": 1e, "d": 1e+}')
@example(text='{"a": "\x7f"}')
@example(text='{"a": "\x1f"}')
@example(text='{"\x00": 1}')
@example(text='{"a": \u0663}')
@example(text='{"a": 1e\u0663}')
@example(text='{"a": 1' + "0" * 5000 + "}")
def test_the_object_json_reads(text: str) -> None:
    expected = _json(text)
    try:
        found = flat_object(text)
    except ValueError:
        assert expected is ValueError
        return
    if found is not None:
        assert found == expected and type(found) is dict
        assert [type(v) for v in found.values()] == [type(v) for v in expected.values()]


_TOKEN = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'))


@settings(max_examples=500, deadline=None)
@given(
    token=_TOKEN,
    fingerprint=st.text("0123456789abcdef", min_size=16, max_size=16),
    scope=st.none() | _TOKEN,
    obtained=st.floats(0, 4e9),
    expires=st.none() | st.floats(0, 4e9),
)
def test_the_cache_as_written_is_read_without_json(
    token: str, fingerprint: str, scope: str | None, obtained: float, expires: float | None
) -> None:
    data = {"v": 1, "rt": fingerprint, "access_token": token, "token_type": "Bearer",
            "scope": scope, "obtained_at": obtained, "expires_at": expires}  # fmt: skip
    assert flat_object(json.dumps(data)) == data


@settings(max_examples=800, deadline=None)
@given(
    text=TEXTS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]),
    junk=st.binary(max_size=3),
)
@example(text='{"a": 1}', encoding="utf-16-le", junk=b"")
@example(text='{"a": "\udcff"}', encoding="utf-8", junk=b"")
def test_the_cache_file_reads_as_json_loads_reads_it(text: str, encoding: str, junk: bytes) -> None:
    """oauth.store reads the cache's bytes as json.loads(bytes) does, in any encoding it knows."""
    from pysmail.oauth.store import _json as read_json

    try:
        raw = text.encode(encoding, "surrogatepass") + junk
    except UnicodeEncodeError:
        return
    try:
        expected = json.loads(raw)
    except ValueError:
        expected = ValueError
    try:
        assert repr(read_json(raw)) == repr(expected)  # repr: NaN is not equal to itself
    except ValueError:
        assert expected is ValueError
