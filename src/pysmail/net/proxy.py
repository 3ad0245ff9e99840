"""Proxies for the mail connection: HTTP CONNECT (RFC 9110 9.3.6) and SOCKS5 (RFC 1928, 1929).

`http://[user:pass@]host:port`, `socks5://...` (the mail host is resolved here) and
`socks5h://...` (the proxy resolves it). The tunnel carries raw TCP, so TLS (SMTPS, STARTTLS,
POP3S, STLS) still runs end to end and the certificate is still checked against the mail host.

This module is pure (URL parsing, message building and parsing); net.tunnel.open_tunnel is the
thin I/O shell, the only place that touches the proxy's socket.

The mail proxy is never taken from HTTPS_PROXY/ALL_PROXY: those variables describe HTTP proxies
for web requests, many of which refuse CONNECT to mail ports, and a job that worked yesterday
must not start sending mail through whatever proxy a login script sets today.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pysmail.record import field, record

if TYPE_CHECKING:
    from urllib.parse import SplitResult

__all__ = [
    "MAX_HEAD",
    "METHOD_NONE",
    "METHOD_USERPASS",
    "NO_ACCEPTABLE_METHOD",
    "NO_PROXY",
    "SOCKS5_REPLIES",
    "ProxyProtocolError",
    "ProxySetting",
    "ProxyUrl",
    "ProxyUrlError",
    "authority",
    "connect_request",
    "find_head_end",
    "mask_proxy_text",
    "parse_connect_response",
    "parse_proxy",
    "parse_proxy_setting",
    "socks5_connect_request",
    "socks5_greeting",
    "socks5_method",
    "socks5_reply",
    "socks5_reply_size",
    "socks5_userpass",
    "socks5_userpass_ok",
]

ProxyScheme = Literal["http", "socks5", "socks5h"]
SCHEMES: tuple[ProxyScheme, ...] = ("http", "socks5", "socks5h")
# `proxy = none` in smail.ini or `--proxy none`: no proxy, overriding a setting below it.
NO_PROXY: Literal["none"] = "none"
MAX_HEAD = 16 * 1024  # a CONNECT answer is a status line and a few headers

# RFC 1928 6: the REP field of a SOCKS5 reply.
SOCKS5_REPLIES = {
    0: "succeeded",
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}
NO_ACCEPTABLE_METHOD = 0xFF
METHOD_NONE = 0x00
METHOD_USERPASS = 0x02


class ProxyUrlError(ValueError):
    """The proxy setting cannot be used; the message says why (never holds the password)."""


class ProxyProtocolError(ValueError):
    """The proxy answered something that is not HTTP CONNECT / SOCKS5."""


@record
class ProxyUrl:
    """A parsed proxy setting; the password never shows in repr() or `shown`."""

    scheme: ProxyScheme
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The URL as it may be printed: `http://user:****@host:port`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = ""
        if self.username is not None:
            user = self.username + (":****" if self.password else "") + "@"
        return f"{self.scheme}://{user}{host}:{self.port}"

    @property
    def remote_dns(self) -> bool:
        """True when the proxy resolves the mail host name (HTTP CONNECT and socks5h)."""
        return self.scheme != "socks5"

    def __str__(self) -> str:
        return self.shown


ProxySetting = ProxyUrl | Literal["none"]

_USERINFO = re.compile(r"(://[^:@/\s]*:)[^@/\s]*@")


def mask_proxy_text(text: str) -> str:
    """`text` with the password of any `scheme://user:pass@` in it replaced by `****` (pure).

    For showing a setting that could not be parsed, so it may not even be a URL.
    """
    return _USERINFO.sub(r"\1****@", text)


def parse_proxy(text: str) -> ProxyUrl:
    """`http://[user:pass@]host:port`, `socks5://...` or `socks5h://...` -> ProxyUrl (pure).

    User and password are percent-decoded (`%40` for `@`). The port is required: proxies have
    no one usual port. Raises ProxyUrlError naming what is wrong.
    """
    from urllib.parse import unquote, urlsplit

    value = text.strip()
    if "://" not in value:
        raise ProxyUrlError("the scheme is missing (http://, socks5:// or socks5h://)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ProxyUrlError(mask_proxy_text(str(exc))) from None
    scheme = _checked_scheme(parts.scheme.lower())
    host = parts.hostname or ""
    port = _checked_place(host, port, parts)
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    _check_credentials(scheme, username, password)
    return ProxyUrl(scheme, host, port, username, password)


def _checked_place(host: str, port: int | None, parts: SplitResult) -> int:
    """The port, when there is a host and a port and nothing after them."""
    if not host:
        raise ProxyUrlError("the host is missing")
    if port is None or not 0 < port < 65536:
        raise ProxyUrlError("the port is missing or not in 1..65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyUrlError("a proxy URL has no path, query or fragment")
    return port


def _checked_scheme(scheme: str) -> ProxyScheme:
    if scheme == "https":
        raise ProxyUrlError("https:// proxies (TLS to the proxy) are not supported; use http://")
    for known in SCHEMES:
        if scheme == known:
            return known
    raise ProxyUrlError(f"unknown scheme {scheme}:// (http, socks5 or socks5h)")


def _check_credentials(scheme: ProxyScheme, username: str | None, password: str | None) -> None:
    if username is not None and not username:
        raise ProxyUrlError("the user name is empty")
    if scheme != "http" and username is not None:
        # RFC 1929 2: ULEN and PLEN are one octet each, and neither may be zero.
        for what, value in (("user name", username), ("password", password or "")):
            if not 0 < len(value.encode("utf-8")) < 256:
                raise ProxyUrlError(f"a SOCKS5 {what} must be 1 to 255 bytes long")


def parse_proxy_setting(text: str) -> ProxySetting:
    """A proxy URL, or "none" (also "direct") for an explicit "no proxy" (pure)."""
    if text.strip().lower() in (NO_PROXY, "direct"):
        return NO_PROXY
    return parse_proxy(text)


def authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- HTTP CONNECT ---------------------------------------------------------------------------------


def connect_request(proxy: ProxyUrl, host: str, port: int) -> bytes:
    """`CONNECT host:port HTTP/1.1` with Host and, with a user, Basic Proxy-Authorization."""
    import base64

    if any(c in host for c in "\r\n\0 /@"):
        raise ProxyUrlError("the mail host name holds characters a proxy request cannot carry")
    target = authority(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.username is not None:
        pair = f"{proxy.username}:{proxy.password or ''}".encode()
        lines.append("Proxy-Authorization: Basic " + base64.b64encode(pair).decode("ascii"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def find_head_end(data: bytes) -> int | None:
    """The length of the response head (through the blank line), or None if not all there."""
    index = data.find(b"\r\n\r\n")
    if index >= 0:
        return index + 4
    index = data.find(b"\n\n")  # bare LF: lenient, as HTTP clients are
    return index + 2 if index >= 0 else None


_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: ([^\r\n]*))?\r?\n")


def parse_connect_response(head: bytes) -> tuple[int, str]:
    """(status, reason) from the head of a CONNECT answer; any 2xx means the tunnel is open."""
    match = _STATUS_LINE.match(head)
    if match is None:
        first = head.split(b"\n", 1)[0][:80].decode("ascii", "replace").strip()
        raise ProxyProtocolError(f"not an HTTP answer: {first!r}")
    reason = (match.group(2) or b"").decode("latin-1").strip()
    return int(match.group(1)), "".join(c if c.isprintable() else "?" for c in reason)


# -- SOCKS5 ---------------------------------------------------------------------------------------


def socks5_greeting(with_password: bool) -> bytes:
    """The method offer: "no authentication", plus "username/password" when we have one."""
    methods = [METHOD_NONE, METHOD_USERPASS] if with_password else [METHOD_NONE]
    return bytes([5, len(methods), *methods])


def socks5_method(data: bytes) -> int:
    """The method the proxy chose (0xFF: none acceptable); `data` is its 2-byte answer."""
    if len(data) != 2 or data[0] != 5:
        raise ProxyProtocolError("not a SOCKS5 answer")
    return data[1]


def socks5_userpass(username: str, password: str) -> bytes:
    """RFC 1929 2: VER=1, ULEN, UNAME, PLEN, PASSWD."""
    user, secret = username.encode("utf-8"), password.encode("utf-8")
    if not (0 < len(user) < 256 and 0 < len(secret) < 256):
        raise ProxyUrlError("a SOCKS5 user name and password must be 1 to 255 bytes long")
    return bytes([1, len(user)]) + user + bytes([len(secret)]) + secret


def socks5_userpass_ok(data: bytes) -> bool:
    """RFC 1929 2: the 2-byte status; 0 is success."""
    if len(data) != 2 or data[0] not in (1, 5):  # a few servers answer VER=5
        raise ProxyProtocolError("not a SOCKS5 username/password answer")
    return data[1] == 0


def socks5_connect_request(host: str, port: int) -> bytes:
    """CONNECT to `host` (an IPv4/IPv6 literal, else a name the proxy resolves) and `port`."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            name = host.encode("idna")
        except UnicodeError as exc:
            raise ProxyUrlError(f"the host name cannot be sent to a SOCKS5 proxy: {exc}") from None
        if not 0 < len(name) < 256:
            raise ProxyUrlError("the host name is too long for SOCKS5") from None
        target = bytes([3, len(name)]) + name
    else:
        target = bytes([1 if address.version == 4 else 4]) + address.packed
    return bytes([5, 1, 0]) + target + port.to_bytes(2, "big")


def socks5_reply_size(first: bytes) -> int:
    """The whole reply's length, from its first 5 bytes (VER REP RSV ATYP and one more)."""
    if len(first) < 5 or first[0] != 5:
        raise ProxyProtocolError("not a SOCKS5 reply")
    kind = first[3]
    if kind == 1:
        return 4 + 4 + 2
    if kind == 4:
        return 4 + 16 + 2
    if kind == 3:
        return 4 + 1 + first[4] + 2
    raise ProxyProtocolError(f"unknown address type {kind} in the SOCKS5 reply")


def socks5_reply(data: bytes) -> int:
    """The REP code of a complete reply (0: the tunnel is open)."""
    if len(data) < 5 or len(data) != socks5_reply_size(data[:5]):
        raise ProxyProtocolError("truncated SOCKS5 reply")
    return data[1]


def socks5_reply_text(code: int) -> str:
    """`5 (connection refused)`: the code and its RFC 1928 meaning."""
    return f"{code} ({SOCKS5_REPLIES.get(code, 'unknown reply code')})"
