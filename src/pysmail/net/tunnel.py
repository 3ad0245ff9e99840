"""The tunnel through a mail proxy: open_tunnel, the thin I/O shell of net.proxy's pure messages.

It maps every failure to NetworkError(CONNECT) naming the proxy (its password masked), or
HOST_LOOKUP for the mail host that socks5:// resolves here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.net.proxy import (
    MAX_HEAD,
    METHOD_NONE,
    METHOD_USERPASS,
    NO_ACCEPTABLE_METHOD,
    ProxyProtocolError,
    ProxyUrl,
    ProxyUrlError,
    authority,
    connect_request,
    find_head_end,
    parse_connect_response,
    socks5_connect_request,
    socks5_greeting,
    socks5_method,
    socks5_reply,
    socks5_reply_size,
    socks5_reply_text,
    socks5_userpass,
    socks5_userpass_ok,
)

if TYPE_CHECKING:
    import socket

    from pysmail.net.deadline import Deadline

__all__ = ["open_tunnel"]


def open_tunnel(proxy: ProxyUrl, host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to `host`:`port` through `proxy`, ready for the mail protocol.

    Nothing past the proxy's own answer is read, so the server's greeting stays in the socket.

    Raises: NetworkError(CONNECT) for the proxy being unreachable, slow, refusing or speaking
    nonsense; NetworkError(HOST_LOOKUP) when socks5:// cannot resolve the mail host here.
    """
    from pysmail.net.deadline import Deadline
    from pysmail.net.transport import dial

    shown = proxy.shown
    target = authority(host, port)

    def timed_out() -> NetworkError:
        return NetworkError(
            ErrCode.CONNECT, "smtp.proxy_timeout", proxy=shown, target=target, timeout=timeout
        )

    def unreachable(exc: OSError) -> NetworkError:
        return NetworkError(
            ErrCode.CONNECT, "smtp.proxy_unreachable", proxy=shown, reason=_reason(exc)
        )

    deadline = Deadline(timeout)  # connecting and the proxy's whole answer, however slow (D20)
    sock = dial((proxy.host, proxy.port), timeout, timed_out, unreachable)
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
            raise timed_out() from exc
        if isinstance(exc, ProxyProtocolError | ProxyUrlError):
            raise NetworkError(
                ErrCode.CONNECT, "smtp.proxy_bad_answer", proxy=shown, reason=str(exc)
            ) from exc
        if isinstance(exc, OSError):
            raise unreachable(exc) from exc
        raise
    return sock


def _refused(proxy: ProxyUrl, host: str, port: int, answer: str, msgid: str) -> NetworkError:
    """CONNECT with the proxy's answer; `msgid` is smtp.proxy_refused or ..._refused_auth."""
    return NetworkError(
        ErrCode.CONNECT,
        msgid,
        proxy=proxy.shown,
        target=authority(host, port),
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
    _socks5_login(sock, proxy, host, port, deadline)
    address = host if proxy.remote_dns else _resolve(host, port)
    deadline.arm(sock)
    sock.sendall(socks5_connect_request(address, port))
    first = _recv_exact(sock, 5, deadline)
    rest = _recv_exact(sock, socks5_reply_size(first) - 5, deadline)
    code = socks5_reply(first + rest)
    if code != 0:
        raise _refused(proxy, host, port, socks5_reply_text(code), "smtp.proxy_refused")


def _socks5_login(
    sock: socket.socket, proxy: ProxyUrl, host: str, port: int, deadline: Deadline
) -> None:
    """RFC 1928 3 method negotiation, then RFC 1929 user/password when the proxy asks for it."""
    with_password = proxy.username is not None
    deadline.arm(sock)
    sock.sendall(socks5_greeting(with_password))
    method = socks5_method(_recv_exact(sock, 2, deadline))
    if method == NO_ACCEPTABLE_METHOD:
        answer = "no acceptable authentication method"
        msgid = "smtp.proxy_refused" if with_password else "smtp.proxy_refused_auth"
        raise _refused(proxy, host, port, answer, msgid)
    if method == METHOD_USERPASS and with_password:
        deadline.arm(sock)
        sock.sendall(socks5_userpass(proxy.username or "", proxy.password or ""))
        if not socks5_userpass_ok(_recv_exact(sock, 2, deadline)):
            answer = "user name or password refused"
            raise _refused(proxy, host, port, answer, "smtp.proxy_refused_auth")
    elif method != METHOD_NONE:
        raise ProxyProtocolError(f"the proxy chose authentication method {method}, not offered")


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
