"""The pure parts of net/proxy.py (URLs, HTTP CONNECT, SOCKS5 messages) and the proxy settings."""

from __future__ import annotations

import ipaddress
import string
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.cli.smail_args import parse_args
from pysmail.config.ini import parse_ini
from pysmail.config.merge import merge
from pysmail.config.model import Settings
from pysmail.errors import ConfigError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.net.proxy import (
    SOCKS5_REPLIES,
    ProxyProtocolError,
    ProxyUrl,
    ProxyUrlError,
    connect_request,
    find_head_end,
    mask_proxy_text,
    parse_connect_response,
    parse_proxy,
    parse_proxy_setting,
    socks5_connect_request,
    socks5_greeting,
    socks5_method,
    socks5_reply,
    socks5_reply_size,
    socks5_reply_text,
    socks5_userpass,
    socks5_userpass_ok,
)

# -- URLs -----------------------------------------------------------------------------------------

labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
hostnames = st.lists(labels, min_size=1, max_size=4).map(".".join)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
hosts = st.one_of(hostnames, ipv4, ipv6)
ports = st.integers(1, 65535)
# Any printable text without controls; the user name must be non-empty.
credential = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(lambda s: len(s.encode()) < 256)


def _url(scheme: str, host: str, port: int, user: str | None, password: str | None) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    userinfo = ""
    if user is not None:
        userinfo = quote(user, safe="")
        if password is not None:
            userinfo += ":" + quote(password, safe="")
        userinfo += "@"
    return f"{scheme}://{userinfo}{shown_host}:{port}"


@given(
    st.sampled_from(["http", "socks5", "socks5h", "HTTP", "Socks5H"]),
    hosts,
    ports,
    st.none() | credential,
    credential,
)
def test_parse_proxy_round_trip(
    scheme: str, host: str, port: int, user: str | None, password: str
) -> None:
    secret = "Pw!" + password  # distinctive, so "not in shown" means something
    url = _url(scheme, host, port, user, secret if user is not None else None)
    proxy = parse_proxy(url)
    assert proxy.scheme == scheme.lower()
    assert ipaddress.ip_address(proxy.host) == ipaddress.ip_address(host) if ":" in host else True
    assert proxy.port == port and proxy.username == user
    assert proxy.password == (secret if user is not None else None)
    assert secret not in proxy.shown and secret not in repr(proxy) and secret not in str(proxy)
    assert quote(secret, safe="") not in mask_proxy_text(url)
    assert proxy.remote_dns == (proxy.scheme != "socks5")
    if user is not None:
        assert proxy.shown.startswith(f"{proxy.scheme}://{user}:****@")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("127.0.0.1:8080", "scheme is missing"),
        ("https://proxy:443", "not supported"),
        ("socks4://proxy:1080", "unknown scheme"),
        ("http://proxy", "port is missing"),
        ("http://proxy:0", "port is missing"),
        ("http://proxy:99999", "out of range"),
        ("http://:8080", "host is missing"),
        ("http://proxy:8080/path", "no path"),
        ("http://proxy:8080?x=1", "no path"),
        ("http://:pw@proxy:8080", "user name is empty"),
        ("socks5://u@proxy:1080", "1 to 255 bytes"),
        ("socks5://" + "u" * 256 + ":p@proxy:1080", "1 to 255 bytes"),
    ],
)
def test_parse_proxy_errors(text: str, why: str) -> None:
    with pytest.raises(ProxyUrlError, match=why):
        parse_proxy(text)


def test_parse_proxy_details() -> None:
    proxy = parse_proxy(" http://me%40corp:p%3Ass@Proxy.Example:3128/ ")
    assert proxy == ProxyUrl("http", "proxy.example", 3128, "me@corp", "p:ss")
    assert proxy.shown == "http://me@corp:****@proxy.example:3128"
    assert parse_proxy("http://u:@h:1").shown == "http://u@h:1"  # empty password: nothing hidden
    assert parse_proxy_setting("none") == parse_proxy_setting(" DIRECT ") == "none"
    assert mask_proxy_text("socks5://u:se:cret@h:port-bad") == "socks5://u:****@h:port-bad"
    assert mask_proxy_text("http://h:1") == "http://h:1"


# -- HTTP CONNECT ---------------------------------------------------------------------------------


def test_connect_request() -> None:
    bare = parse_proxy("http://p:3128")
    assert connect_request(bare, "smtp.example.com", 587) == (
        b"CONNECT smtp.example.com:587 HTTP/1.1\r\nHost: smtp.example.com:587\r\n\r\n"
    )
    authed = parse_proxy("http://Aladdin:open%20sesame@p:3128")
    request = connect_request(authed, "::1", 465)
    assert request.startswith(b"CONNECT [::1]:465 HTTP/1.1\r\nHost: [::1]:465\r\n")
    # RFC 7617 2's example pair.
    assert b"Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n" in request
    for bad in ("a\r\nX-Evil: 1", "a b", "a/b"):
        with pytest.raises(ProxyUrlError):
            connect_request(bare, bad, 25)


@given(st.integers(100, 599), st.text(string.ascii_letters + " -", max_size=30), st.binary())
def test_parse_connect_response_round_trip(status: int, reason: str, after: bytes) -> None:
    head = f"HTTP/1.1 {status} {reason}\r\nVia: x\r\n\r\n".encode()
    assert find_head_end(head + after) == len(head)
    assert parse_connect_response(head) == (status, reason.strip())


def test_parse_connect_response_edges() -> None:
    assert parse_connect_response(b"HTTP/1.0 200 Connection established\r\n\r\n") == (
        200,
        "Connection established",
    )
    assert parse_connect_response(b"HTTP/1.1 200\r\n\r\n") == (200, "")
    assert parse_connect_response(b"HTTP/1.1 403 No\x1b[2J\r\n\r\n") == (403, "No?[2J")
    assert find_head_end(b"HTTP/1.1 200 OK\n\n220 x") == len(b"HTTP/1.1 200 OK\n\n")
    assert find_head_end(b"HTTP/1.1 200 OK\r\n") is None
    for bad in (b"SSH-2.0-OpenSSH\r\n\r\n", b"\x05\x00", b"HTTP/2 200\r\n\r\n"):
        with pytest.raises(ProxyProtocolError):
            parse_connect_response(bad)


# -- SOCKS5 ---------------------------------------------------------------------------------------


def test_socks5_greeting_and_method() -> None:
    assert socks5_greeting(False) == b"\x05\x01\x00"
    assert socks5_greeting(True) == b"\x05\x02\x00\x02"
    assert socks5_method(b"\x05\x02") == 2 and socks5_method(b"\x05\xff") == 0xFF
    for bad in (b"\x04\x00", b"\x05", b"HTTP/1.1"):
        with pytest.raises(ProxyProtocolError):
            socks5_method(bad)


@given(credential, credential)
def test_socks5_userpass_layout(user: str, password: str) -> None:
    message = socks5_userpass(user, password)
    u, p = user.encode(), password.encode()
    assert message[0] == 1 and message[1] == len(u) and message[2 : 2 + len(u)] == u
    assert message[2 + len(u)] == len(p) and message[3 + len(u) :] == p


def test_socks5_userpass_status() -> None:
    assert socks5_userpass_ok(b"\x01\x00") and not socks5_userpass_ok(b"\x01\x01")
    with pytest.raises(ProxyProtocolError):
        socks5_userpass_ok(b"\x00")
    with pytest.raises(ProxyUrlError):
        socks5_userpass("", "x")


def test_socks5_connect_request() -> None:
    assert socks5_connect_request("127.0.0.2", 587) == b"\x05\x01\x00\x01\x7f\x00\x00\x02\x02\x4b"
    six = socks5_connect_request("::1", 465)
    assert six[:4] == b"\x05\x01\x00\x04" and six[4:20] == ipaddress.ip_address("::1").packed
    assert six[20:] == (465).to_bytes(2, "big")
    name = socks5_connect_request("smtp.example.com", 25)
    assert name == b"\x05\x01\x00\x03\x10smtp.example.com\x00\x19"
    assert socks5_connect_request("bücher.example", 25)[5:-2] == b"xn--bcher-kva.example"
    with pytest.raises(ProxyUrlError):
        socks5_connect_request("a" * 256, 25)


replies = st.one_of(
    st.tuples(st.just(1), st.binary(min_size=4, max_size=4)),
    st.tuples(st.just(4), st.binary(min_size=16, max_size=16)),
    st.tuples(st.just(3), st.binary(min_size=0, max_size=255).map(lambda b: bytes([len(b)]) + b)),
)


@given(replies, st.integers(0, 255), ports, st.binary(max_size=20))
def test_socks5_reply_sizes(
    kind_addr: tuple[int, bytes], code: int, port: int, after: bytes
) -> None:
    kind, address = kind_addr
    reply = bytes([5, code, 0, kind]) + address + port.to_bytes(2, "big")
    data = reply + after  # the mail server's greeting may follow in the same segment
    assert socks5_reply_size(data[:5]) == len(reply)
    assert socks5_reply(reply) == code
    with pytest.raises(ProxyProtocolError):
        socks5_reply(reply[:-1])


def test_socks5_reply_words() -> None:
    assert socks5_reply_text(5) == "5 (connection refused)"
    assert socks5_reply_text(2) == "2 (connection not allowed by ruleset)"
    assert socks5_reply_text(99) == "99 (unknown reply code)"
    assert len(SOCKS5_REPLIES) == 9  # RFC 1928 6: X'00' to X'08'
    for bad in (b"\x05\x00\x00\x09\x00", b"\x04\x5a\x00\x01\x00"):
        with pytest.raises(ProxyProtocolError):
            socks5_reply_size(bad)


# -- settings: smail.ini, --proxy, layering ------------------------------------------------------

INI = Path("/nowhere/smail.ini")


def _settings(ini_text: str, *argv: str) -> Settings:
    return merge(
        parse_args(["-hsmtp.example.com", "-fme@example.com", *argv, "you@x"]).overrides,
        parse_ini(ini_text, INI),
    )


def test_ini_and_command_line_layers() -> None:
    pop = "[pop_before_smtp]\nenabled = yes\nuser = me\n"
    s = _settings("[smail]\nproxy = socks5h://u:pw12@p:1080\n" + pop)
    assert s.server.proxy == ProxyUrl("socks5h", "p", 1080, "u", "pw12")
    assert s.pop is not None and s.pop.proxy == s.server.proxy  # POP follows [smail]
    s = _settings("[smail]\nproxy = http://p:3128\n" + pop + "proxy = none\n")
    assert s.server.proxy == parse_proxy("http://p:3128") and s.pop is not None
    assert s.pop.proxy is None
    s = _settings("[smail]\nproxy = http://p:3128\n" + pop, "--proxy", "none")
    assert s.server.proxy is None and s.pop is not None and s.pop.proxy is None
    s = _settings("", "--proxy=socks5://q:1")
    assert s.server.proxy == parse_proxy("socks5://q:1")
    assert _settings("").server.proxy is None  # no proxy by default, whatever HTTPS_PROXY says


def test_bad_settings_never_show_the_password() -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini("[smail]\nproxy = http://u:Secret-99@p\n", INI)
    assert info.value.code == ErrCode.CONFIG and "Secret-99" not in str(info.value)
    assert "port is missing" in str(info.value)
    with pytest.raises(UsageError) as usage:
        parse_args(["--proxy", "gopher://u:Secret-99@p:1"])
    assert usage.value.msgid == "cli.bad_proxy" and "Secret-99" not in str(usage.value)
    # A password on the command line is visible to other users: refused, even a good one.
    with pytest.raises(UsageError) as usage:
        parse_args(["--proxy", "http://u:Secret-99@p:1"])
    assert usage.value.code == ErrCode.OPTION and usage.value.msgid == "cli.proxy_credentials"
    assert "Secret-99" not in str(usage.value)
