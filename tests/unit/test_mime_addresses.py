"""Address and recipient-list parsing (smail-spec 3.3, 3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import (
    Address,
    Recipients,
    parse_address,
    parse_address_list,
    parse_recipients,
)


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


# -- issue 12: one strict parser (CVE-2023-27043 shapes) --------------------------------------

_CVE_SHAPES = [
    "alice@example.org)<evil@x.com>",  # a stray ")" must not make the first address a name
    "alice@example.org) <evil@x.com>",
    "(alice@example.org<evil@x.com>",  # an open comment
    '"a@b"@c',  # a quoted local part: refused, never read as a@b or as b
    '"alice@example.org"@evil.com',
    '"a@b" <c@d.e> <f@g.h>',
    "a@b.c (x (y z)",  # unbalanced nested comment
    "a@b.c x (y) z)",
    '"unbalanced <a@b.c>',
    'Name "x <a@b.c>',
    "Name <a@b.c",
    "Name a@b.c>",
    "Name <a@b.c>>",
    "<a@b.c> <d@e.f>",
    "Name <a@b.c> d@e.f",
    "a@b.c <d@e.f>",  # an unquoted "@" in a display name
    "a(c)@b.c",  # a comment inside the addr-spec
    "a@(c)b.c",
    "a @b.c",
    "<@route.example:a@b.c>",  # a source route
    "Name: a@b.c",
    "a@b.c;",
    "a@[192.0.2.1",
    "a\\@b@c.d",
]


@pytest.mark.parametrize("text", _CVE_SHAPES)
def test_cve_2023_27043_shapes_are_refused_naming_the_address(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_address(text)
    assert (info.value.code, info.value.msgid) == (ErrCode.RECIPIENT, "mime.bad_address")
    assert info.value.params["address"] == text
    with pytest.raises(UsageError) as info:
        parse_recipients(f"ok@x.jp, {text}")
    assert info.value.msgid == "mime.bad_address"
    assert info.value.params["address"] == text


@pytest.mark.parametrize("text", _CVE_SHAPES)
def test_cve_shapes_are_refused_in_header_lists(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_address_list(f"ok@x.jp, {text}")
    assert info.value.msgid == "mime.bad_address"


@pytest.mark.parametrize(
    ("text", "display", "addr"),
    [
        ("a@b.c (x (y) z)", "", "a@b.c"),  # nested comment after an addr-spec
        ("(lead) a@b.c", "", "a@b.c"),
        ("Name (Sales) <a@b.c>", "Name (Sales)", "a@b.c"),  # the comment stays in the name
        ("Name <a@b.c> (trailing)", "Name", "a@b.c"),
        ("Name (a \\) b) <a@b.c>", "Name (a \\) b)", "a@b.c"),  # quoted pair in a comment
        ('"a) <evil@x.com>" <a@b.c>', "a) <evil@x.com>", "a@b.c"),  # specials quoted
        ('"(" <a@b.c>', "(", "a@b.c"),
        ("John Q. Public <j@x.jp>", "John Q. Public", "j@x.jp"),  # obs-phrase "."
        ("< a@b.c >", "", "a@b.c"),
    ],
)
def test_comments_and_quoted_strings_are_read_exactly(text: str, display: str, addr: str) -> None:
    assert parse_address(text) == Address(display, addr)


def test_header_list_groups_and_comments() -> None:
    found = parse_address_list('Team: a@b.c, "x, y" <d@e.f>;, (one, two) g@h.i, , j@k.l (J)')
    assert [(a.display, a.addr) for a in found] == [
        ("", "a@b.c"),
        ("x, y", "d@e.f"),
        ("", "g@h.i"),
        ("", "j@k.l"),
    ]
    assert parse_address_list("undisclosed-recipients:;") == []
    assert parse_address_list("") == []
    for bad in ("Team: a@b.c", "a@b.c;", "Team: a@b.c;;", "T: U: a@b.c;;"):
        with pytest.raises(UsageError):
            parse_address_list(bad)


def test_recipient_error_names_the_bad_item_only() -> None:
    with pytest.raises(UsageError) as info:
        parse_recipients('good@x.jp, "q, r" (s, t) <bad@x.jp>>, later@x.jp')
    assert info.value.params["address"] == '"q, r" (s, t) <bad@x.jp>>'


def test_path_length_limit_rfc_5321() -> None:
    """RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets: 254 for the address,
    counted in octets of the wire form (UTF-8, the domain as an A-label)."""
    domain = "@example.jp"
    fits = "x" * (254 - len(domain)) + domain
    assert parse_address(fits).addr == fits
    long_local = "x" * 70 + domain  # over 64 octets: accepted (docs/decisions.md D23)
    assert parse_address(long_local).addr == long_local
    for too_long in ("x" + fits, "x" * 1500 + domain, "あ" * 85 + domain):
        with pytest.raises(UsageError) as info:
            parse_address(too_long)
        assert (info.value.code, info.value.msgid) == (ErrCode.RECIPIENT, "mime.address_too_long")
        assert len(str(info.value.params["address"])) < 300  # cut in the ERR line
    with pytest.raises(UsageError) as info:
        parse_address("x" * 1500 + domain, code=ErrCode.OPTION)
    assert info.value.code is ErrCode.OPTION
    with pytest.raises(UsageError) as info:
        parse_recipients(["ok@x.jp", "CC:" + "x" * 1500 + domain])
    assert info.value.msgid == "mime.address_too_long"


_FUZZ = st.text(st.sampled_from('ab.@<>()[],;:\\" \t\x00\r\u3000\u200bあcC'), max_size=30)


@given(text=st.one_of(_FUZZ, st.text(max_size=30)))
def test_any_text_is_an_address_or_a_usage_error(text: str) -> None:
    """Never another exception (which would end in ERR-0016); what is accepted reads back."""
    for parse in (parse_address, parse_recipients, parse_address_list):
        try:
            parse(text)
        except UsageError as exc:
            assert exc.msgid in ("mime.bad_address", "mime.address_too_long", "mime.no_recipient")
    try:
        address = parse_address(text)
    except UsageError:
        return
    assert parse_address(f"<{address.addr}>") == Address("", address.addr)
    assert parse_address_list(f"{address.addr}, {address.addr}") == [Address("", address.addr)] * 2
