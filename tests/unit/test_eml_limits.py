"""--eml: the one address parser for To/Cc/Bcc/From (issue 12), and RFC 5322's line limits
(no NUL byte, no line over 998 octets) checked as the message is read."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import InputError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.eml import MAX_LINE, LineCheck, eml_envelope, eml_stream, split_head

HEAD = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: s\r\n\r\n"


@pytest.mark.parametrize(
    "to",
    [
        b"alice@example.org)<evil@x.com>",
        b'"alice@example.org"@evil.com',
        b"alice@example.org (open <evil@x.com>",
        b"Team: alice@example.org, evil@x.com",
    ],
)
def test_eml_recipients_use_the_strict_parser(to: bytes) -> None:
    """email.utils.getaddresses reads the first as two recipients (CVE-2023-27043)."""
    head = b"From: a@x.test\r\nTo: " + to + b"\r\n\r\n"
    with pytest.raises(UsageError) as exc:
        eml_envelope(head, "m.eml", None, [])
    assert (exc.value.code, exc.value.msgid) == (ErrCode.RECIPIENT, "mime.bad_address")
    assert exc.value.params["address"] == to.decode()


def test_eml_groups_and_comments() -> None:
    head = (
        b"From: Ann (the boss) <a@x.test>\r\nTo: undisclosed-recipients:;\r\n"
        b'Cc: Team: "b, c" <b@x.test>, c@x.test (C);\r\nBcc: d@x.test,\r\n e@x.test\r\n\r\n'
    )
    sender, rcpts, _ = eml_envelope(head, "m", None, [])
    assert sender == "a@x.test"
    assert rcpts == ("b@x.test", "c@x.test", "d@x.test", "e@x.test")


def test_eml_from_header_with_two_addresses_in_one_is_refused() -> None:
    with pytest.raises(UsageError):
        eml_envelope(b"From: a@x.test)<evil@x.com>\r\nTo: b@x.test\r\n\r\n", "m", None, [])


def _send(message: bytes, path: str = "m.eml", block: int = 7) -> bytes:
    """The bytes eml_stream gives for `message`, read in small blocks."""
    stream = io.BytesIO(message)
    head, rest = split_head(stream, path)

    class Small(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(block)

    return b"".join(eml_stream(head, rest, Small(stream.read()), path))


def test_nul_in_the_body_is_refused_naming_the_line() -> None:
    with pytest.raises(InputError) as exc:
        _send(HEAD + b"one\r\ntwo\0\r\n")
    assert (exc.value.code, exc.value.msgid) == (ErrCode.BODY_FILE, "batch.eml_nul")
    assert exc.value.params == {"path": "m.eml", "line": 6}


def test_nul_in_the_header_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(InputError) as exc:
        split_head(io.BytesIO(b"From: a@x.test\r\nSubject: a\0b\r\n\r\nbody\r\n"), "m.eml")
    assert exc.value.msgid == "batch.eml_nul" and exc.value.params["line"] == 2


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_line_limit_is_998_octets_without_the_line_end(eol: bytes) -> None:
    ok = HEAD + b"x" * MAX_LINE + eol + b"y" * MAX_LINE
    assert _send(ok) == ok
    for bad, line in [
        (HEAD + b"x" * (MAX_LINE + 1) + eol, 5),
        (HEAD + b"a" + eol + b"x" * 2000 + eol + b"b", 6),
        (HEAD + b"a" + eol + b"x" * (MAX_LINE + 1), 6),  # the last line, no line end
    ]:
        with pytest.raises(InputError) as exc:
            _send(bad)
        assert exc.value.msgid == "batch.eml_line_too_long"
        assert exc.value.params["line"] == line
        assert exc.value.params["limit"] == MAX_LINE


def test_a_long_header_line_is_refused_in_split_head() -> None:
    head = b"From: a@x.test\r\nX-Long: " + b"v" * 2000 + b"\r\n\r\n"
    with pytest.raises(InputError) as exc:
        split_head(io.BytesIO(head + b"body"), "m.eml")
    assert exc.value.msgid == "batch.eml_line_too_long" and exc.value.params["line"] == 2


def test_mbox_from_line_is_not_counted() -> None:
    with pytest.raises(InputError) as exc:
        _send(b"From sender Mon Jan 1 00:00:00 2024\n" + HEAD + b"ok\n\0\n")
    assert exc.value.params["line"] == 6


@given(
    lines=st.lists(st.binary(max_size=1100).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    eol=st.sampled_from([b"\n", b"\r\n"]),
    cut=st.integers(min_value=1, max_value=50),
)
def test_line_check_agrees_with_a_plain_split(lines: list[bytes], eol: bytes, cut: int) -> None:
    data = eol.join(lines)
    check = LineCheck("m")
    want: tuple[str, int] | None = None
    for number, line in enumerate(data.split(b"\n"), 1):
        if b"\0" in line:
            want = ("batch.eml_nul", number)
            break
        if len(line.removesuffix(b"\r")) > MAX_LINE:
            want = ("batch.eml_line_too_long", number)
            break
    got: tuple[str, int] | None = None
    try:
        for i in range(0, len(data), cut):
            check.feed(data[i : i + cut])
        check.finish()
    except InputError as exc:
        got = (exc.msgid, int(str(exc.params["line"])))
    if want is not None and want[0] == "batch.eml_nul":
        # a long line that has not ended yet may be refused before the NUL's block is read
        assert got is not None and got[1] <= want[1]
    else:
        assert got == want
