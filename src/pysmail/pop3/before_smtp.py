"""POP before SMTP: log in to the POP3 server (USER/PASS, APOP or XOAUTH2), then QUIT."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Literal

from pysmail.errors import NetworkError, Pop3Error
from pysmail.exitcodes import ErrCode
from pysmail.record import record

if TYPE_CHECKING:
    import poplib
    import ssl

    from pysmail.net.proxy import ProxyUrl
    from pysmail.smtp.trace import Trace

__all__ = ["PopParams", "PopTls", "pop_before_smtp"]

PopTls = Literal["none", "stls", "pop3s"]


@record
class PopParams:
    """Where and how to reach the POP3 server. `verify=False` is UNSAFE (tests only)."""

    host: str
    port: int
    tls: PopTls = "none"
    cafile: str | None = None
    verify: bool = True
    timeout: float = 30.0
    proxy: ProxyUrl | None = None  # HTTP CONNECT or SOCKS5 tunnel (net/proxy.py)


def pop_before_smtp(
    params: PopParams,
    user: str,
    password: Callable[[], str],
    apop: bool,
    trace: Trace | None = None,
    *,
    allow_plaintext: bool = False,
    token: Callable[[], str] | None = None,
) -> None:
    """Log in to the POP3 server so that it lets this address send mail, then QUIT.

    APOP sends an MD5 digest, never the password. USER/PASS sends the password itself, so it is
    refused over a connection without TLS unless `allow_plaintext`. With `token` (an OAuth
    access token source, e.g. for Microsoft's POP.AccessAsUser.All), the login is
    `AUTH XOAUTH2` in the two-line form Microsoft requires, and `password`/`apop` are unused.

    Raises: Pop3Error with POP3_TIMEOUT, POP3_CONNECT (name lookup, refused, TLS, proxy) or
    POP3_LOGIN (login refused, APOP not offered, cleartext refused, token refused).
    """
    host = params.host
    if params.tls == "none" and not allow_plaintext:
        _refuse_cleartext(host, token is not None, apop)
    if trace is not None and params.proxy is not None:
        trace.note(f"Proxy: {params.proxy.shown} -> {host}:{params.port}")
    with _mapped(params, "pop3.connect_failed"):
        context = _tls_context(params) if params.tls != "none" else None
        pop = _connect(params, context)
    try:
        _greeted(pop, params, context, trace)
        secret = token() if token is not None else password()
        if trace is not None:
            trace.protect(secret)
        with _mapped(params, "pop3.login_failed", user=user):
            if token is not None:
                _xoauth2(pop, params, user, secret, trace)
            else:
                _password_login(pop, host, user, secret, apop, trace)
        with _mapped(params, "pop3.connect_failed"):
            _say(trace, "QUIT", pop.quit())
    finally:
        # After a failed STLS handshake poplib's close() trips over the detached socket.
        with suppress(OSError):
            pop.close()


def _refuse_cleartext(host: str, token: bool, apop: bool) -> None:
    """Without TLS only APOP may log in: a token or a password would cross in the clear."""
    if token:
        raise Pop3Error(ErrCode.POP3_LOGIN, "pop3.cleartext_token_refused", host=host)
    if not apop:
        raise Pop3Error(ErrCode.POP3_LOGIN, "pop3.cleartext_refused", host=host)


def _greeted(
    pop: poplib.POP3, params: PopParams, context: ssl.SSLContext | None, trace: Trace | None
) -> None:
    """Trace the greeting, then TLS: already up (pop3s) or started with STLS."""
    _say(trace, None, pop.getwelcome())
    if params.tls == "stls":
        with _mapped(params, "pop3.stls_failed"):
            _say(trace, "STLS", pop.stls(context))
    if params.tls != "none":
        _trace_tls(trace, pop)


def _password_login(
    pop: poplib.POP3, host: str, user: str, secret: str, apop: bool, trace: Trace | None
) -> None:
    """APOP (RFC 1939 7: it needs the <timestamp> of the greeting) or USER/PASS."""
    if not apop:
        _say(trace, f"USER {user}", pop.user(user))
        _say(trace, "PASS ****", pop.pass_(secret))
    elif re.search(rb"<[^<>]+>", pop.getwelcome()):
        _say(trace, f"APOP {user} ****", pop.apop(user, secret))
    else:
        raise Pop3Error(ErrCode.POP3_LOGIN, "pop3.apop_unavailable", host=host)


def _connect(params: PopParams, context: ssl.SSLContext | None) -> poplib.POP3:
    """poplib.POP3(_SSL), closing the socket if the greeting never comes (poplib leaks it)."""
    import poplib
    import socket

    started: list[poplib.POP3] = []
    # _create_socket is poplib's private hook (not in typeshed); it runs before the greeting.

    proxy = params.proxy

    def tunnel(timeout: float) -> socket.socket:
        from pysmail.net.tunnel import open_tunnel

        assert proxy is not None
        return open_tunnel(proxy, params.host, params.port, timeout)

    class Bounded(poplib.POP3):
        """Each reply line within the timeout in all; each command sent within it (D20)."""

        def _getline(self) -> tuple[bytes, int]:
            _new_deadline(self, params.timeout)
            line: tuple[bytes, int] = super()._getline()  # type: ignore[misc]
            return line

        def _putline(self, line: bytes) -> None:
            self.sock.settimeout(params.timeout)  # a slow reply may have lowered it
            super()._putline(line)  # type: ignore[misc]

    class Plain(Bounded):
        def _create_socket(self, timeout: float) -> socket.socket:
            started.append(self)
            if proxy is not None:
                return tunnel(timeout)
            sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]
            return sock

    class Tls(Bounded, poplib.POP3_SSL):
        def _create_socket(self, timeout: float) -> socket.socket:
            started.append(self)
            if proxy is not None:
                raw = tunnel(timeout)
                try:  # TLS end to end through the tunnel, checked against the POP3 host
                    wrapped: socket.socket = self.context.wrap_socket(  # type: ignore[attr-defined]
                        raw, server_hostname=params.host
                    )
                except BaseException:
                    raw.close()
                    raise
                return wrapped
            sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]
            return sock

    try:
        if params.tls == "pop3s":
            return Tls(params.host, params.port, context=context, timeout=params.timeout)
        return Plain(params.host, params.port, timeout=params.timeout)
    except BaseException:
        for pop in started:
            if getattr(pop, "sock", None) is not None:
                with suppress(OSError):
                    pop.close()  # the reader made by makefile() too, not only the socket
        raise


def _new_deadline(pop: poplib.POP3, timeout: float) -> None:
    """Give the next reply line `timeout` seconds in all, however slowly it trickles (D20).

    poplib reads through `self.file`, made by sock.makefile() after connecting and after STLS;
    before its first read it is swapped for one whose reads a Deadline bounds.
    """
    import io

    from pysmail.net.deadline import Deadline, DeadlineIO

    raw = getattr(pop, "_deadline_io", None)
    if raw is None or getattr(pop, "_deadline_sock", None) is not pop.sock:
        pop.file.close()  # not read from yet: nothing buffered is lost
        raw = DeadlineIO(pop.sock)
        pop.file = io.BufferedReader(raw)
        pop._deadline_io, pop._deadline_sock = raw, pop.sock  # type: ignore[attr-defined]
    raw.deadline = Deadline(timeout)


# A server that keeps sending challenges is looping, not talking (smtplib's _MAXCHALLENGE idea).
MAX_CHALLENGES = 3


def _xoauth2(
    pop: poplib.POP3, params: PopParams, user: str, token: str, trace: Trace | None
) -> None:
    """RFC 5034 AUTH with XOAUTH2, two-line form: `AUTH XOAUTH2`, `+ `, then the base64 line.

    A refused token gets a `+ <base64 JSON>` challenge (status, schemes, scope); the answer is
    an empty line, then `-ERR`. The JSON is decoded into the error (oauth-facts 4.1).
    """
    import poplib

    from pysmail.sasl.challenges import ChallengeDriver
    from pysmail.sasl.mechanisms import XOAUTH2, Credentials, describe_oauth_error

    host = params.host
    steps = XOAUTH2.steps(Credentials(user, token, host, params.port), False)
    next(steps)  # None: the two-line form waits for the server's "+ "
    reply = _auth_xoauth2(pop, host)
    _say(trace, "AUTH XOAUTH2", reply)
    detail: str | None = None
    driver = ChallengeDriver(steps, limit=MAX_CHALLENGES)
    while reply.startswith(b"+ ") or reply == b"+":  # anything else is +OK: logged in
        if not driver.more():
            raise Pop3Error(
                ErrCode.POP3_LOGIN,
                "pop3.login_failed",
                host=host,
                user=user,
                reply=reply.decode("utf-8", "replace"),
            )
        answer = driver.respond(reply[1:])
        detail = describe_oauth_error(driver.challenge or b"") or detail
        line = driver.line(answer).decode("ascii")  # "*": RFC 5034 4, cancel
        shown = "*" if answer is None else "****" if answer else ""
        pop._putcmd(line)  # type: ignore[attr-defined]
        try:
            reply = pop._getresp()  # type: ignore[attr-defined]
        except poplib.error_proto as exc:
            if trace is not None:
                trace.send(shown)
            raise _refused(exc, trace, host, user, detail) from exc
        _say(trace, shown, reply)


def _auth_xoauth2(pop: poplib.POP3, host: str) -> bytes:
    """Send `AUTH XOAUTH2`; an -ERR means the server does not take tokens."""
    import poplib

    try:
        reply: bytes = pop._shortcmd("AUTH XOAUTH2")  # type: ignore[attr-defined]
    except poplib.error_proto as exc:
        raise Pop3Error(
            ErrCode.POP3_LOGIN, "pop3.oauth_unavailable", host=host, reply=_reply_text(exc)
        ) from exc
    return reply


def _refused(
    exc: Exception, trace: Trace | None, host: str, user: str, detail: str | None
) -> Pop3Error:
    """The error for an -ERR answer to the token: the decoded JSON challenge when one came."""
    text = _reply_text(exc)
    _say(trace, None, text.encode("utf-8"))
    if detail:
        return Pop3Error(
            ErrCode.POP3_LOGIN,
            "pop3.oauth_failed",
            host=host,
            user=user,
            detail=detail,
            reply=text,
        )
    return Pop3Error(ErrCode.POP3_LOGIN, "pop3.login_failed", host=host, user=user, reply=text)


def _tls_context(params: PopParams) -> ssl.SSLContext:
    from pysmail.net.tls import make_tls_context

    return make_tls_context(params.cafile, params.verify)


def _say(trace: Trace | None, sent: str | None, received: bytes) -> None:
    if trace is None:
        return
    if sent is not None:
        trace.send(sent)
    trace.recv(received.decode("utf-8", "replace"))


def _trace_tls(trace: Trace | None, pop: poplib.POP3) -> None:
    sock = pop.sock
    version = getattr(sock, "version", None)
    cipher = getattr(sock, "cipher", None)
    if trace is not None and version is not None and cipher is not None:
        suite = cipher()
        trace.note(f"TLS: {version()} {suite[0] if suite else ''}")


@contextmanager
def _mapped(params: PopParams, msgid: str, **extra: object) -> Iterator[None]:
    """Translate poplib/socket/ssl failures into Pop3Error at this boundary."""
    import poplib
    import socket
    import ssl  # already loaded by poplib

    from pysmail.net.tls import tls_failure_reason

    host, port = params.host, params.port
    try:
        yield
    except TimeoutError as exc:
        raise Pop3Error(
            ErrCode.POP3_TIMEOUT, "pop3.timeout", timeout=params.timeout, host=host, port=port
        ) from exc
    except poplib.error_proto as exc:
        reply = _reply_text(exc)
        code = ErrCode.POP3_LOGIN if msgid == "pop3.login_failed" else ErrCode.POP3_CONNECT
        raise Pop3Error(
            code, msgid, reply=reply, reason=reply, host=host, port=port, **extra
        ) from exc
    except NetworkError as exc:
        raise _from_network_error(exc, host, port) from exc
    except socket.gaierror as exc:
        raise Pop3Error(
            ErrCode.POP3_CONNECT, "pop3.host_lookup", reason=_os_reason(exc), host=host, port=port
        ) from exc
    except OSError as exc:
        if isinstance(exc, ssl.SSLError):
            raise Pop3Error(
                ErrCode.POP3_CONNECT,
                "pop3.tls_failed",
                reason=tls_failure_reason(exc),
                host=host,
                port=port,
            ) from exc
        code = ErrCode.POP3_LOGIN if msgid == "pop3.login_failed" else ErrCode.POP3_CONNECT
        raise Pop3Error(
            code, "pop3.connect_failed", reason=_os_reason(exc), host=host, port=port
        ) from exc


def _from_network_error(exc: NetworkError, host: str, port: int) -> Pop3Error:
    """A proxy failure keeps its own text (it names the proxy); a failed name lookup (socks5://
    resolves the POP3 host here) or CA file is told as the POP3 server's."""
    if exc.msgid.startswith("smtp.proxy_"):
        same: dict[str, Any] = dict(exc.params)
        return Pop3Error(ErrCode.POP3_CONNECT, exc.msgid, **same)
    msgid = "pop3.host_lookup" if exc.msgid == "smtp.host_lookup" else "pop3.tls_failed"
    reason = str(exc.params.get("reason"))
    return Pop3Error(ErrCode.POP3_CONNECT, msgid, reason=reason, host=host, port=port)


def _reply_text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else b""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text.strip()


def _os_reason(exc: OSError) -> str:
    return str(exc.strerror or exc) or type(exc).__name__
