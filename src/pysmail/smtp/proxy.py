"""Proxies for the mail connection: HTTP CONNECT (RFC 9110 9.3.6) and SOCKS5 (RFC 1928, 1929).

`http://[user:pass@]host:port`, `socks5://...` (the mail host is resolved here) and
`socks5h://...` (the proxy resolves it). The tunnel carries raw TCP, so TLS (SMTPS, STARTTLS,
POP3S, STLS) still runs end to end and the certificate is still checked against the mail host.

The first part is pure (URL parsing, message building and parsing); `open_tunnel` at the end is
the thin I/O shell, and the only place here that touches a socket. It maps every failure to
NetworkError(CONNECT) naming the proxy (its password masked), or HOST_LOOKUP for the mail host.

The mail proxy is never taken from HTTPS_PROXY/ALL_PROXY: those variables describe HTTP proxies
for web requests, many of which refuse CONNECT to mail ports, and a job that worked yesterday
must not start sending mail through whatever proxy a login script sets today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode

if TYPE_CHECKING:
    import socket
    from urllib.parse import SplitResult

    from pysmail.deadline import Deadline

__all__ = [
    "MAX_HEAD",
    "NO_PROXY",
    "SOCKS5_REPLIES",
    "ProxyProtocolError",
    "ProxySetting",
    "ProxyUrl",
    "ProxyUrlError",
    "connect_request",
    "find_head_end",
    "mask_proxy_text",
    "open_tunnel",
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
_NO_ACCEPTABLE_METHOD = 0xFF
_METHOD_NONE = 0x00
_METHOD_USERPASS = 0x02


class ProxyUrlError(ValueError):
    """The proxy setting cannot be used; the message says why (never holds the password)."""


class ProxyProtocolError(ValueError):
    """The proxy answered something that is not HTTP CONNECT / SOCKS5."""


@dataclass(frozen=True, slots=True)
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
    from urllib.parse import unquote

    parts, scheme, port = _split_proxy(text)
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if username is not None and not username:
        raise ProxyUrlError("the user name is empty")
    if scheme != "http" and username is not None:
        # RFC 1929 2: ULEN and PLEN are one octet each, and neither may be zero.
        for what, value_ in (("user name", username), ("password", password or "")):
            if not 0 < len(value_.encode("utf-8")) < 256:
                raise ProxyUrlError(f"a SOCKS5 {what} must be 1 to 255 bytes long")
    return ProxyUrl(scheme, parts.hostname or "", port, username, password)


def _split_proxy(text: str) -> tuple[SplitResult, ProxyScheme, int]:
    """The URL's parts, its scheme (lower case) and port, each checked; the host is there."""
    from urllib.parse import urlsplit

    value = text.strip()
    if "://" not in value:
        raise ProxyUrlError("the scheme is missing (http://, socks5:// or socks5h://)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ProxyUrlError(mask_proxy_text(str(exc))) from None
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise ProxyUrlError("https:// proxies (TLS to the proxy) are not supported; use http://")
    if scheme not in SCHEMES:
        raise ProxyUrlError(f"unknown scheme {scheme}:// (http, socks5 or socks5h)")
    if not parts.hostname:
        raise ProxyUrlError("the host is missing")
    if port is None or not 0 < port < 65536:
        raise ProxyUrlError("the port is missing or not in 1..65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyUrlError("a proxy URL has no path, query or fragment")
    return parts, scheme, port


def parse_proxy_setting(text: str) -> ProxySetting:
    """A proxy URL, or "none" (also "direct") for an explicit "no proxy" (pure)."""
    if text.strip().lower() in (NO_PROXY, "direct"):
        return NO_PROXY
    return parse_proxy(text)


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- HTTP CONNECT ---------------------------------------------------------------------------------


def connect_request(proxy: ProxyUrl, host: str, port: int) -> bytes:
    """`CONNECT host:port HTTP/1.1` with Host and, with a user, Basic Proxy-Authorization."""
    import base64

    if any(c in host for c in "\r\n\0 /@"):
        raise ProxyUrlError("the mail host name holds characters a proxy request cannot carry")
    target = _authority(host, port)
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
    methods = [_METHOD_NONE, _METHOD_USERPASS] if with_password else [_METHOD_NONE]
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


# -- the I/O shell ---------------------------------------------------------------------------------


def open_tunnel(proxy: ProxyUrl, host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to `host`:`port` through `proxy`, ready for the mail protocol.

    Nothing past the proxy's own answer is read, so the server's greeting stays in the socket.

    Raises: NetworkError(CONNECT) for the proxy being unreachable, slow, refusing or speaking
    nonsense; NetworkError(HOST_LOOKUP) when socks5:// cannot resolve the mail host here.
    """
    import socket

    from pysmail.deadline import Deadline

    shown = proxy.shown
    target = _authority(host, port)
    deadline = Deadline(timeout)  # connecting and the proxy's whole answer, however slow (D20)
    try:
        sock = socket.create_connection((proxy.host, proxy.port), timeout=timeout)
    except TimeoutError as exc:
        raise NetworkError(
            ErrCode.CONNECT, "smtp.proxy_timeout", proxy=shown, target=target, timeout=timeout
        ) from exc
    except OSError as exc:
        raise NetworkError(
            ErrCode.CONNECT, "smtp.proxy_unreachable", proxy=shown, reason=_reason(exc)
        ) from exc
    try:
        if proxy.scheme == "http":
            _http_connect(sock, proxy, host, port, deadline)
        else:
            _socks5_connect(sock, proxy, host, port, deadline)
        sock.settimeout(timeout)  # the mail dialogue sets its own deadlines
    except BaseException as exc:
        sock.close()
        if isinstance(exc, NetworkError):
            raise
        if isinstance(exc, TimeoutError):
            raise NetworkError(
                ErrCode.CONNECT, "smtp.proxy_timeout", proxy=shown, target=target, timeout=timeout
            ) from exc
        if isinstance(exc, ProxyProtocolError | ProxyUrlError):
            raise NetworkError(
                ErrCode.CONNECT, "smtp.proxy_bad_answer", proxy=shown, reason=str(exc)
            ) from exc
        if isinstance(exc, OSError):
            raise NetworkError(
                ErrCode.CONNECT, "smtp.proxy_unreachable", proxy=shown, reason=_reason(exc)
            ) from exc
        raise
    return sock


def _refused(proxy: ProxyUrl, host: str, port: int, answer: str, msgid: str) -> NetworkError:
    """CONNECT with the proxy's answer; `msgid` is smtp.proxy_refused or ..._refused_auth."""
    return NetworkError(
        ErrCode.CONNECT,
        msgid,
        proxy=proxy.shown,
        target=_authority(host, port),
        answer=answer,
    )


def _recv_exact(sock: socket.socket, size: int, deadline: Deadline) -> bytes:
    data = b""
    while len(data) < size:
        deadline.arm(sock)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ProxyProtocolError("the proxy closed the connection")
        data += chunk
    return data


def _http_connect(
    sock: socket.socket, proxy: ProxyUrl, host: str, port: int, deadline: Deadline
) -> None:
    import socket

    deadline.arm(sock)
    sock.sendall(connect_request(proxy, host, port))
    head = b""
    while True:
        # Peek, then take only the head: bytes after it already belong to the mail server.
        deadline.arm(sock)
        data = sock.recv(MAX_HEAD, socket.MSG_PEEK)
        if not data:
            raise ProxyProtocolError("the proxy closed the connection")
        end = find_head_end(head + data)
        take = len(data) if end is None else end - len(head)
        head += _recv_exact(sock, take, deadline)
        if end is not None:
            break
        if len(head) > MAX_HEAD:
            raise ProxyProtocolError("the proxy's answer is too long")
    status, reason = parse_connect_response(head)
    if not 200 <= status < 300:
        # 407 (RFC 9110 15.5.8); tinyproxy answers wrong credentials with 401.
        auth = status in (401, 407)
        msgid = "smtp.proxy_refused_auth" if auth else "smtp.proxy_refused"
        raise _refused(proxy, host, port, f"{status} {reason}".strip(), msgid)


def _socks5_connect(
    sock: socket.socket, proxy: ProxyUrl, host: str, port: int, deadline: Deadline
) -> None:
    with_password = proxy.username is not None
    deadline.arm(sock)
    sock.sendall(socks5_greeting(with_password))
    method = socks5_method(_recv_exact(sock, 2, deadline))
    if method == _NO_ACCEPTABLE_METHOD:
        answer = "no acceptable authentication method"
        msgid = "smtp.proxy_refused" if with_password else "smtp.proxy_refused_auth"
        raise _refused(proxy, host, port, answer, msgid)
    if method == _METHOD_USERPASS and with_password:
        deadline.arm(sock)
        sock.sendall(socks5_userpass(proxy.username or "", proxy.password or ""))
        if not socks5_userpass_ok(_recv_exact(sock, 2, deadline)):
            answer = "user name or password refused"
            raise _refused(proxy, host, port, answer, "smtp.proxy_refused_auth")
    elif method != _METHOD_NONE:
        raise ProxyProtocolError(f"the proxy chose authentication method {method}, not offered")
    address = host if proxy.remote_dns else _resolve(host, port)
    deadline.arm(sock)
    sock.sendall(socks5_connect_request(address, port))
    first = _recv_exact(sock, 5, deadline)
    rest = _recv_exact(sock, socks5_reply_size(first) - 5, deadline)
    code = socks5_reply(first + rest)
    if code != 0:
        raise _refused(proxy, host, port, socks5_reply_text(code), "smtp.proxy_refused")


def _resolve(host: str, port: int) -> str:
    """socks5://: the mail host's first address, looked up here."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NetworkError(
            ErrCode.HOST_LOOKUP, "smtp.host_lookup", host=host, reason=_reason(exc)
        ) from exc
    return str(infos[0][4][0])


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).rstrip(".") or type(exc).__name__
