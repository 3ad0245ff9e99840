"""The loopback listener: one redirect, Host check, other paths, busy port, timeout."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from pysmail.errors import OAuthError
from pysmail.oauth.redirect import RedirectListener


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host or f"localhost:{port}")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_one_redirect_then_page() -> None:
    with RedirectListener("127.0.0.1", 0, "/myapp/") as listener:
        port = listener.port
        assert _get(port, "/favicon.ico")[0] == 404
        assert _get(port, "/myapp/?code=x", host="evil.example:80")[0] == 400
        result: dict[str, tuple[int, bytes]] = {}
        thread = threading.Thread(
            target=lambda: result.setdefault("r", _get(port, "/myapp/?code=c&state=s"))
        )
        thread.start()
        target = listener.wait(10)
        assert target == "/myapp/?code=c&state=s"
        listener.respond(True, b"<p>done</p>")
        thread.join(10)
        assert result["r"] == (200, b"<p>done</p>")
        assert _get(port, "/myapp/?code=again")[0] == 410


def test_busy_port_names_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(OAuthError) as info:
            RedirectListener("localhost", port, "/")
    assert info.value.msgid == "token.port_in_use" and info.value.params["port"] == port


def test_timeout_and_paste() -> None:
    with RedirectListener("127.0.0.1", 0, "/") as listener:
        with pytest.raises(OAuthError) as info:
            listener.wait(0.3)
        assert info.value.msgid == "token.timeout"
        assert (
            listener.wait(5, poll=lambda: "http://x/?code=p&state=s") == "http://x/?code=p&state=s"
        )
