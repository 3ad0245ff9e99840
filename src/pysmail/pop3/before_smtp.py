"""POP before SMTP: log in to the POP3 server (USER/PASS or APOP), then QUIT."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pysmail.errors import Pop3Error
from pysmail.exitcodes import ErrCode

if TYPE_CHECKING:
    import poplib
    import ssl

    from pysmail.smtp.trace import Trace

__all__ = ["PopParams", "PopTls", "pop_before_smtp"]

PopTls = Literal["none", "stls", "pop3s"]


@dataclass(frozen=True)
class PopParams:
    """Where and how to reach the POP3 server. `verify=False` is UNSAFE (tests only)."""

    host: str
    port: int
    tls: PopTls = "none"
    cafile: str | None = None
    verify: bool = True
    timeout: float = 30.0


def pop_before_smtp(
    params: PopParams,
    user: str,
    password: Callable[[], str],
    apop: bool,
    trace: Trace | None = None,
    *,
    allow_plaintext: bool = False,
) -> None:
    """Log in to the POP3 server so that it lets this address send mail, then QUIT.

    APOP sends an MD5 digest, never the password. USER/PASS sends the password itself, so it is
    refused over a connection without TLS unless `allow_plaintext`.

    Raises: Pop3Error with POP3_TIMEOUT, POP3_CONNECT (name lookup, refused, TLS) or
    POP3_LOGIN (login refused, APOP not offered, cleartext refused).
    """
    host = params.host
    if not apop and params.tls == "none" and not allow_plaintext:
        raise Pop3Error(ErrCode.POP3_LOGIN, "pop3.cleartext_refused", host=host)
    with _mapped(params, "pop3.connect_failed"):
        context = _tls_context(params) if params.tls != "none" else None
        pop = _connect(params, context)
    try:
        _say(trace, None, pop.getwelcome())
        if params.tls == "pop3s":
            _trace_tls(trace, pop)
        if params.tls == "stls":
            with _mapped(params, "pop3.stls_failed"):
                _say(trace, "STLS", pop.stls(context))
            _trace_tls(trace, pop)
        secret = password()
        if trace is not None:
            trace.protect(secret)
        with _mapped(params, "pop3.login_failed", user=user):
            if apop:
                # RFC 1939 7: APOP needs the <timestamp> of the greeting.
                if not re.search(rb"<[^<>]+>", pop.getwelcome()):
                    raise Pop3Error(ErrCode.POP3_LOGIN, "pop3.apop_unavailable", host=host)
                _say(trace, f"APOP {user} ****", pop.apop(user, secret))
            else:
                _say(trace, f"USER {user}", pop.user(user))
                _say(trace, "PASS ****", pop.pass_(secret))
        with _mapped(params, "pop3.connect_failed"):
            _say(trace, "QUIT", pop.quit())
    finally:
        # After a failed STLS handshake poplib's close() trips over the detached socket.
        with suppress(OSError):
            pop.close()


def _connect(params: PopParams, context: ssl.SSLContext | None) -> poplib.POP3:
    """poplib.POP3(_SSL), closing the socket if the greeting never comes (poplib leaks it)."""
    import poplib
    import socket

    started: list[poplib.POP3] = []
    # _create_socket is poplib's private hook (not in typeshed); it runs before the greeting.

    class Plain(poplib.POP3):
        def _create_socket(self, timeout: float) -> socket.socket:
            started.append(self)
            sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]
            return sock

    class Tls(poplib.POP3_SSL):
        def _create_socket(self, timeout: float) -> socket.socket:
            started.append(self)
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


def _tls_context(params: PopParams) -> ssl.SSLContext:
    from pysmail.smtp.transport import make_tls_context

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

    from pysmail.errors import NetworkError
    from pysmail.smtp.transport import tls_failure_reason

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
    except NetworkError as exc:  # the CA file could not be loaded
        raise Pop3Error(
            ErrCode.POP3_CONNECT,
            "pop3.tls_failed",
            reason=str(exc.params.get("reason")),
            host=host,
            port=port,
        ) from exc
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


def _reply_text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else b""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text.strip()


def _os_reason(exc: OSError) -> str:
    return str(exc.strerror or exc) or type(exc).__name__
