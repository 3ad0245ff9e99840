"""Address and recipient-list parsing (smail-spec 3.3, 3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import Address, Recipients, parse_address, parse_recipients


@pytest.mark.parametrize(
    ("text", "display", "addr"),
    [
        ("a@b.c", "", "a@b.c"),
        ("  a@b.c  ", "", "a@b.c"),
        ("Name <a@b.c>", "Name", "a@b.c"),
        ("eva<who7@example.jp>", "eva", "who7@example.jp"),  # SMAIL: no space before <
        ('"Quoted, Name" <a@b.c>', "Quoted, Name", "a@b.c"),
        ('"Say \\"hi\\"" <a@b.c>', 'Say "hi"', "a@b.c"),
        ('"a <b>" <c@d.e>', "a <b>", "c@d.e"),
        ("山田 太郎 <yamada@example.jp>", "山田 太郎", "yamada@example.jp"),
        ("<a@b.c>", "", "a@b.c"),
        ("taro..x.@docomo.ne.jp", "", "taro..x.@docomo.ne.jp"),  # legacy Japanese mobile
        ("user@[192.0.2.1]", "", "user@[192.0.2.1]"),
        ("ユーザー@例え.jp", "", "ユーザー@例え.jp"),
    ],
)
def test_accepted_forms(text: str, display: str, addr: str) -> None:
    assert parse_address(text) == Address(display, addr)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "a b@c.d",
        "@c.d",
        "a@",
        "a@@b.c",
        "a@b..c",
        "a@.b",
        "a@b.c\r\nBcc: x@y.z",
        "a@b.c\n",
        "a\0@b.c",
        "<a@b.c",
        "a@b.c>",
        "Name <a@b.c",
        "Name a@b.c>",
        "<<a@b.c>>",
        '"unclosed <a@b.c>',
        "Name <a@b.c> trailing",
        "Name <>",
        "Name <a b@c.d>",
        "a,b@c.d",
        '"q"@b.c',
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_address(text)
    assert info.value.code is ErrCode.RECIPIENT
    assert info.value.msgid == "mime.bad_address"
    shown = str(info.value.params["address"])
    assert "\r" not in shown and "\n" not in shown and "\0" not in shown


def test_sender_errors_can_carry_option_code() -> None:
    with pytest.raises(UsageError) as info:
        parse_address("nobody", code=ErrCode.OPTION)
    assert info.value.code is ErrCode.OPTION


def test_idn_domain_is_sent_as_a_label_without_smtputf8() -> None:
    address = parse_address("user@例え.jp")
    assert address.wire_addr == "user@xn--r8jz45g.jp"
    assert not address.needs_smtputf8


def test_utf8_local_part_needs_smtputf8() -> None:
    address = parse_address("ユーザー@example.jp")
    assert address.needs_smtputf8
    assert not parse_address("user@example.jp").needs_smtputf8


def _addrs(items: tuple[Address, ...]) -> list[str]:
    return [a.addr for a in items]


def test_smail_readme_example_5() -> None:
    """smail-spec 3.4: each prefix applies to one address only."""
    r = parse_recipients("CC:who1@x.jp,who2@x.jp,CC:who3@x.jp,who4@x.jp,BCC:who5@x.jp,who6@x.jp")
    assert _addrs(r.to) == ["who2@x.jp", "who4@x.jp", "who6@x.jp"]
    assert _addrs(r.cc) == ["who1@x.jp", "who3@x.jp"]
    assert _addrs(r.bcc) == ["who5@x.jp"]
    assert r.envelope() == tuple(f"who{i}@x.jp" for i in (2, 4, 6, 1, 3, 5))


def test_prefixes_any_case_and_spaces() -> None:
    r = parse_recipients("a@x.jp, cc: b@x.jp , Bcc:c@x.jp,  bCc : d@x.jp")
    assert _addrs(r.to) == ["a@x.jp"]
    assert _addrs(r.cc) == ["b@x.jp"]
    assert _addrs(r.bcc) == ["c@x.jp", "d@x.jp"]


def test_several_arguments_are_joined() -> None:
    r = parse_recipients(["a@x.jp,CC:b@x.jp", "c@x.jp", "BCC:d@x.jp"])
    assert r == Recipients(
        to=(Address("", "a@x.jp"), Address("", "c@x.jp")),
        cc=(Address("", "b@x.jp"),),
        bcc=(Address("", "d@x.jp"),),
    )


def test_quoted_comma_does_not_split() -> None:
    r = parse_recipients('"Doe, John" <j@x.jp>,CC:"山田, 太郎"<y@x.jp>')
    assert r.to == (Address("Doe, John", "j@x.jp"),)
    assert r.cc == (Address("山田, 太郎", "y@x.jp"),)


def test_trailing_comma_is_ignored_and_duplicates_sent_once() -> None:
    r = parse_recipients("a@x.jp,CC:a@x.jp,")
    assert r.envelope() == ("a@x.jp",)


@pytest.mark.parametrize("texts", ["", " , ,", [], ["", " "]])
def test_no_recipient(texts: str | list[str]) -> None:
    with pytest.raises(UsageError) as info:
        parse_recipients(texts)
    assert (info.value.code, info.value.msgid) == (ErrCode.RECIPIENT, "mime.no_recipient")


@pytest.mark.parametrize("text", ["a@x.jp,bogus", "CC:", "a@x.jp\r\nb@x.jp", "BCC:<a@x.jp"])
def test_bad_item_in_list(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_recipients(text)
    assert (info.value.code, info.value.msgid) == (ErrCode.RECIPIENT, "mime.bad_address")


_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-+", min_size=1, max_size=20)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)


@given(
    local=_local,
    labels=st.lists(_label, min_size=1, max_size=3),
    display=st.text(max_size=20).filter(lambda s: not any(c in s for c in "\r\n\0")),
)
def test_quoted_display_round_trips(local: str, labels: list[str], display: str) -> None:
    addr = f"{local}@{'.'.join(labels)}"
    quoted = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
    try:
        parsed = parse_address(f"{quoted} <{addr}>")
    except UsageError:
        assert not display.strip().isprintable()  # control characters in a name are refused
        return
    assert parsed == Address(display.strip(), addr)
