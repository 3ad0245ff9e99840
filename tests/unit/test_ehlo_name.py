"""The EHLO name check (RFC 5321 4.1.2, 4.1.3, 4.5.3.1.2), and what an ERR repeats of it."""

from __future__ import annotations

import pytest

from pysmail.cli.smail_args import parse_args
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.smtp.ehlo_name import MAX_DOMAIN, is_ehlo_name


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "mail.example.org",
        "MX-1.Example.ORG",
        "a" * 63 + ".example",
        ".".join(["a" * 63] * 4),  # 255 octets
        "[192.0.2.1]",
        "[IPv6:2001:db8::1]",
        "[ipv6:::1]",
        "xn--wgv71a.jp",
    ],
)
def test_valid_names(name: str) -> None:
    assert is_ehlo_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "foo bar evil",
        "mail.example.org\r\nRCPT TO:<eve@example.test>",
        "mail\x00.example",
        "mail\x1b.example",
        "a" * 64 + ".example",
        ".".join(["a" * 63] * 4) + "a",  # 256 octets
        "a" * 2_000_000,
        "-mail.example",
        "mail-.example",
        "mail..example",
        "mail.example.",
        ".mail.example",
        "my_pc.example",
        "日本.jp",
        "[300.1.2.3]",
        "[192.0.2]",
        "[::1]",
        "[IPv6:192.0.2.1]",
        "[IPv6:fe80::1%eth0]",
        "[tag:anything]",
        "[192.0.2.1",
    ],
)
def test_invalid_names(name: str) -> None:
    assert not is_ehlo_name(name)


def test_limit_is_rfc5321() -> None:
    assert MAX_DOMAIN == 255


def test_a_huge_bad_value_is_named_not_repeated() -> None:
    with pytest.raises(UsageError) as info:
        parse_args(["--helo", "a b" * 1_000_000, "x@example.test"])
    assert info.value.code == ErrCode.OPTION
    shown = str(info.value)
    assert "(3000000 characters)" in shown and len(shown) < 400, shown
