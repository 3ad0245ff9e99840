"""urllib handlers for token requests: one Deadline for the whole request, and no redirects.

urllib keeps its socket to itself, so its two hooks are used: the connection class that
HTTPHandler/HTTPSHandler.do_open builds (connect, TLS handshake and every send armed by the
deadline) and that connection's response class (every read of the status line, headers and
body goes through DeadlineIO). The proxy CONNECT answer is read by the same response class.
A redirect is never followed: the Basic header (client id and secret) and the form would go
to whatever origin the answer names, past check_url's https-or-loopback rule (issue 12). The
3xx then arrives as an HTTPError like any other status, and http.py says what it was.

Imported only when a token request is made (it loads http.client and urllib.request).
"""

from __future__ import annotations

import http.client
import io
import socket
import urllib.request
from typing import Any

from pysmail.net.deadline import Deadline, DeadlineIO

__all__ = ["POLL", "handlers"]

# Reads wake up this often to see whether a signal cut the deadline short (oauth/signals.py).
POLL = 0.25


class _Response(http.client.HTTPResponse):
    """HTTPResponse reading through DeadlineIO; `deadline` is the connection's."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain makefile() reader, not read from yet
        self.fp = io.BufferedReader(DeadlineIO(sock, deadline, poll=POLL))


class _Connection(http.client.HTTPConnection):
    def __init__(self, host: str, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(host, *args, **kwargs)
        self.deadline = deadline

    def response_class(self, sock: socket.socket, *args: Any, **kwargs: Any) -> _Response:  # type: ignore[override]
        return _Response(sock, *args, deadline=self.deadline, **kwargs)

    def connect(self) -> None:
        self.timeout = self.deadline.timeout()
        super().connect()

    def send(self, data: Any) -> None:
        if self.sock is None and self.auto_open:
            self.connect()
        if self.sock is not None:
            self.deadline.arm(self.sock)
        super().send(data)
        Deadline.asked = True  # from now on the server may have spent the refresh token


class _TlsConnection(_Connection, http.client.HTTPSConnection):
    def connect(self) -> None:
        # HTTPSConnection.connect, with the handshake bounded by what is left
        self.timeout = self.deadline.timeout()
        http.client.HTTPConnection.connect(self)
        assert self.sock is not None
        self.deadline.arm(self.sock)
        server_hostname = self._tunnel_host or self.host  # type: ignore[attr-defined]
        context = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx stays an HTTPError


def handlers(deadline: Deadline, context: Any | None) -> list[urllib.request.BaseHandler]:
    """The handlers that replace urllib's HTTP, HTTPS and redirect handlers for one request."""

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_Connection, req, deadline=deadline)  # type: ignore[arg-type]

    class Tls(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_TlsConnection, req, context=context, deadline=deadline)  # type: ignore[arg-type]

    found: list[urllib.request.BaseHandler] = [Plain(), _NoRedirect()]
    if context is not None:
        found.append(Tls(context=context))
    return found
