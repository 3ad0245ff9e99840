"""Hostile loopback servers of the suite's own, for what no real server does on purpose.

`HostileSmtp` answers every SMTP command from a table of raw replies (any bytes: ESC, BEL, an
OSC sequence, an empty CRAM-MD5 challenge), and records what the client sent. `HostileTokenEndpoint`
answers every token request with one fixed HTTP status and JSON body. Both listen on 127.0.0.1
only and serve until the `with` block ends.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"


class HostileSmtp:
    """A scripted SMTP server: `greeting`, then for each client line the reply of its verb.

    `replies` maps an upper-case verb (EHLO, MAIL, RCPT, DATA, AUTH, QUIT, and "." for the end of
    the message data) to the raw reply bytes, CRLF-terminated lines included; "" is the reply to
    a line that is no command (an AUTH continuation). A missing verb gets "250 2.0.0 OK".
    """

    def __init__(self, greeting: bytes, replies: Mapping[str, bytes]) -> None:
        self.greeting = greeting
        self.replies = dict(replies)
        self.received: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(4)
        self._sock.settimeout(0.1)  # accept() wakes up to see `_stop` (close() does not wake it)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileSmtp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(60)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _reply(self, key: str) -> bytes:
        return self.replies.get(key, b"250 2.0.0 OK\r\n")

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            try:
                conn.sendall(self.greeting)
                for line in reader:
                    self.received.append(line)
                    verb = line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")
                    known = verb in {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "AUTH", "RSET",
                                     "NOOP", "QUIT", "STARTTLS", "BDAT"}  # fmt: skip
                    conn.sendall(self._reply(verb if known else ""))
                    if verb == "DATA" and self._reply("DATA").startswith(b"354"):
                        for data in reader:
                            if data in (b".\r\n", b".\n"):
                                break
                        conn.sendall(self._reply("."))
                    if verb == "QUIT" or self._reply(verb if known else "").startswith(b"421"):
                        return
            except OSError:
                return


class HostileTokenEndpoint:
    """An HTTP token endpoint on loopback that answers every POST with `status` and `body`."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileTokenEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
