"""The loopback listener that receives the one authorization redirect.

- Binds 127.0.0.1 (or ::1 for an [::1] redirect URI) once: port 0 means "any free port", and
  the port the OS gave is the one put in the redirect URI (no bind-close-rebind race).
- Accepts only GET of the redirect path with a Host of localhost:PORT / 127.0.0.1:PORT /
  [::1]:PORT (a page on another name cannot reach it through DNS rebinding).
- Serves exactly one redirect: the first request on the path is handed to the caller, whose
  `respond()` gives the page that browser then shows (after the code exchange, so the page
  tells the final result). Later requests get 410; other paths (favicon.ico) 404.
- Runs in a thread; `wait()` polls, so Ctrl+C and the timeout work on Windows too.
- Windows: SO_EXCLUSIVEADDRUSE instead of SO_REUSEADDR (which there lets a second program
  bind the same port and steal the redirect).
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

__all__ = ["LoopbackHTTPServer", "RedirectListener", "is_addr_in_use", "send_page"]

_POLL = 0.2
_RESPOND_WAIT = 120.0  # seconds the browser waits for the page (the code exchange runs meanwhile)
_BACKLOG = 5


_PAGE_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
)


def send_page(
    req: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    ctype: str,
    headers: Iterable[tuple[str, str]],
) -> None:
    """One complete response to a browser: Content-Type, Content-Length, `headers`, then
    `Connection: close` and the body (a browser gone meanwhile is no error)."""
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        req.send_header(name, value)
    req.send_header("Connection", "close")
    req.end_headers()
    with contextlib.suppress(OSError):
        req.wfile.write(body)


class LoopbackHTTPServer(http.server.HTTPServer):
    """An HTTP server for a page on the loopback address (this listener, the setup page).

    POSIX: SO_REUSEADDR, so a port left in TIME_WAIT by the last run can be bound again. Windows:
    not that (there it would let another program bind the same port and steal the request), but
    SO_EXCLUSIVEADDRUSE. A browser closing a connection early is not worth a traceback.
    """

    allow_reuse_address = sys.platform != "win32"

    def server_bind(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
            if exclusive is not None:
                self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        super().server_bind()

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def is_addr_in_use(exc: OSError) -> bool:
    """Whether a bind failed because the port is taken (so another port may work).

    Windows also answers WSAEACCES (10013) for a port that another socket holds exclusively
    or that lies in an excluded port range (Hyper-V, WSL, Docker reserve some): no `netstat`
    line then, but another port works all the same. On POSIX EACCES means a privileged port.
    """
    import errno

    return exc.errno in (errno.EADDRINUSE, 10048) or getattr(exc, "winerror", None) in (
        10048,  # WSAEADDRINUSE
        10013,  # WSAEACCES
    )


class RedirectListener:
    """with RedirectListener(host, port, path) as listener: listener.port ...

    `wait()` returns the redirect's request target (path?query), or what `poll()` returned
    first (a pasted URL); `respond(ok, page)` answers the browser that brought the redirect.

    Raises (constructor): OAuthError(NO_ACCESS_TOKEN, "token.port_in_use" | "token.bind_failed").
    """

    def __init__(self, host: str, port: int, path: str) -> None:
        self.path = path or "/"
        self._done = threading.Event()
        self._answered = threading.Event()
        self._target: str | None = None
        self._page: tuple[bool, bytes] | None = None
        self._lock = threading.Lock()
        self._server = self._bind(host, port)
        self.port = int(self._server.server_address[1])
        self._allowed_hosts = {
            f"localhost:{self.port}",
            f"127.0.0.1:{self.port}",
            f"[::1]:{self.port}",
        }
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": _POLL}, daemon=True
        )
        self._thread.start()

    def _bind(self, host: str, port: int) -> http.server.HTTPServer:
        listener = self
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        bind_host = "::1" if family == socket.AF_INET6 else "127.0.0.1"

        class Server(LoopbackHTTPServer):
            address_family = family
            request_queue_size = _BACKLOG

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "smail-token"
            sys_version = ""

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the query holds the code: never log it

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                listener._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                self._plain(405, b"method not allowed")

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        try:
            return Server((bind_host, port), Handler)
        except OSError as exc:
            if is_addr_in_use(exc):
                raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.port_in_use", port=port) from exc
            reason = exc.strerror or type(exc).__name__
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "token.bind_failed", host=bind_host, port=port,
                reason=reason,
            ) from exc  # fmt: skip

    def _handle(self, req: http.server.BaseHTTPRequestHandler) -> None:
        from urllib.parse import urlsplit

        host = (req.headers.get("Host") or "").lower()
        path = urlsplit(req.path).path
        if host not in self._allowed_hosts:
            self._send(req, 400, b"wrong Host", "text/plain; charset=utf-8")
            return
        if path != self.path:
            self._send(req, 404, b"not found", "text/plain; charset=utf-8")
            return
        with self._lock:
            if self._done.is_set():
                self._send(req, 410, b"this login is already finished", "text/plain")
                return
            self._target = req.path
            self._done.set()
        self._answered.wait(_RESPOND_WAIT)
        ok, page = self._page or (False, b"smail-token stopped before it could answer.")
        self._send(req, 200 if ok else 400, page, "text/html; charset=utf-8")

    @staticmethod
    def _send(
        req: http.server.BaseHTTPRequestHandler, status: int, body: bytes, ctype: str
    ) -> None:
        send_page(req, status, body, ctype, _PAGE_HEADERS)

    def wait(
        self,
        timeout: float,
        poll: Callable[[], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> str:
        """The redirect's target (path?query), or what `poll()` returned first.

        Raises: OAuthError(NO_ACCESS_TOKEN, "token.timeout") after `timeout` seconds.
        KeyboardInterrupt reaches the caller within _POLL seconds (Windows included).
        """
        deadline = clock() + timeout
        while True:
            if self._done.wait(min(_POLL, max(0.0, deadline - clock()))):
                assert self._target is not None
                return self._target
            if poll is not None:
                other = poll()
                if other is not None:
                    return other
            if clock() >= deadline:
                raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.timeout", seconds=f"{timeout:g}")

    def respond(self, ok: bool, page: bytes) -> None:
        """The page for the browser waiting on the redirect (no-op when none is waiting)."""
        self._page = (ok, page)
        self._answered.set()

    def close(self) -> None:
        self._answered.set()  # a browser still waiting gets the fallback page
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RedirectListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
