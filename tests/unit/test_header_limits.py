"""Every header line pysmail writes is at most 998 octets (RFC 5322 2.1.1 MUST), and at most 78
unless it is one token that cannot be folded (an address, a Message-ID, a field name): issue 12,
where a long -m<id> or ASCII display name gave header lines of 1,005-3,001 octets."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address
from pysmail.mime.compose import MessageSpec, compose_bytes
from pysmail.mime.headers import LINE_LIMIT, address_field, message_id

LINE_MAX = 998  # RFC 5322 2.1.1

_NO_BREAKS = st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",))
_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_names = st.one_of(
    st.text(_ASCII, max_size=3000),
    st.text(st.sampled_from("abcXYZ012"), min_size=70, max_size=3000),  # one long atom
    st.text(st.sampled_from('ab ,."()<>@\\'), max_size=400),
    st.text(_NO_BREAKS, max_size=600),
    st.text(st.sampled_from("山田 太郎"), max_size=600),
    # long for sure: hypothesis draws mostly short texts
    st.builds(
        lambda unit, n: unit * n, st.sampled_from(["x", "a b", "Doe, ", "本"]), st.integers(0, 1500)
    ),
)
_local = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-+"), min_size=1, max_size=240
)


def _head_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def _check_lines(lines: list[bytes]) -> None:
    for line in lines:
        assert len(line) <= LINE_MAX, (len(line), line[:100])
        if len(line) > LINE_LIMIT:
            # only what cannot be folded: a field name alone, an address, a Message-ID
            rest = re.sub(rb"^[!-9;-~]+:", b"", line) if line[:1] not in b" \t" else line
            assert re.fullmatch(rb"(<[^ <>]+>|[^ <>]+@[^ <>]+)?,?", rest.strip(b" ")), line[:200]


@settings(max_examples=150, deadline=None)
@given(
    from_name=_names,
    to_names=st.lists(_names, min_size=1, max_size=3),
    local=_local,
    subject=st.one_of(st.text(_ASCII, max_size=3000), st.text(_NO_BREAKS, max_size=1500)),
    value=st.text(_ASCII, max_size=2000),
    charset=st.sampled_from(["auto", "utf-8", "iso-2022-jp"]),
)
def test_every_header_line_fits(
    from_name: str,
    to_names: list[str],
    local: str,
    subject: str,
    value: str,
    charset: str,
) -> None:
    if charset == "iso-2022-jp":
        texts = [from_name, *to_names, subject]
        # ISO-2022-JP writes ASCII but its own shifts (SO, SI, ESC), and these two names
        if not all(
            (t.isascii() and not set(t) & set("\x0e\x0f\x1b")) or set(t) <= set("山田 太郎")
            for t in texts
        ):
            charset = "utf-8"
    spec = MessageSpec(
        from_=Address(from_name, f"{local}@example.test"),
        to=tuple(Address(n, f"{local}{i}@example.test") for i, n in enumerate(to_names)),
        reply_to=(Address(from_name, "r@example.test"),),
        subject=subject,
        text="body",
        charset=charset,
        message_id="",
        extra_headers=(("X-Long-" + "n" * 80, value), ("X-Value", value)),
    )
    _check_lines(_head_lines(compose_bytes(spec)))


@pytest.mark.parametrize("name", ["x" * 3001, "x" * 1005, "Doe, " + "y" * 2000, "a " * 1500])
def test_long_ascii_display_names_are_folded(name: str) -> None:
    field = address_field("To", [Address(name, "a@example.test")], "utf-8")
    lines = field.split("\r\n")
    assert max(len(line) for line in lines) <= LINE_LIMIT
    assert lines[-1].endswith("<a@example.test>")


def test_message_id_that_would_pass_998_is_refused() -> None:
    room = LINE_MAX - len("Message-ID: <@example.test>")
    assert len("Message-ID: " + message_id("x" * room, "example.test")) == LINE_MAX
    for too_long in ("x" * (room + 1), "x" * 3000, "<" + "y" * 1000 + "@z>"):
        with pytest.raises(UsageError) as exc:
            message_id(too_long, "example.test")
        assert (exc.value.code, exc.value.msgid) == (ErrCode.OPTION, "mime.message_id_too_long")


def test_a_subject_of_many_spaces_is_not_one_long_line() -> None:
    spec = MessageSpec(from_=Address("", "a@example.test"), subject="a" + " " * 2000 + "b")
    _check_lines(_head_lines(compose_bytes(spec)))


def test_header_name_that_cannot_fit_is_refused() -> None:
    spec = MessageSpec(from_=Address("", "a@example.test"), extra_headers=(("X" * 1000, "v"),))
    with pytest.raises(UsageError) as exc:
        compose_bytes(spec)
    assert exc.value.msgid == "mime.bad_header_name"
