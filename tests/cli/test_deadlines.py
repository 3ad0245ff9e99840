"""Every network wait ends by its deadline, however slowly a hostile peer trickles (issue 12, D20).

The servers here are the suite's own, on loopback: no real server trickles one byte at a time
on purpose. Each one reads what the client sends, then drips its answer a byte per DRIP seconds
without ever finishing it, so a per-read timeout never trips and only an overall deadline ends
the wait. The checks are on exit codes and ERR texts; the only time bound is the generous one
of the child process (and pytest-timeout), which catches "never ends".

Also here: a token endpoint that redirects (never followed), and answers no parser may turn into
ERR-0016 (deeply nested JSON, more than 100 headers).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    LOOPBACK,
    ScriptedHandler,
    hermetic_env,
    polite_stop,
    run_exe,
    smail_command,
    smtpd,
    write_ini,
)
from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.provider import TokenSource

DRIP = 0.05  # seconds between two bytes of a trickled answer
SECRETS = ("cs-deadline-secret", "rt-deadline-secret")


class Hostile:
    """A loopback TCP server: per connection, `greet` (before reading), then for HTTP the
    request is read, then `answer(conn)` runs until the client goes away."""

    def __init__(self, answer: Callable[[socket.socket], None], *, http: bool = False) -> None:
        self.answer = answer
        self.http = http
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = int(self.listener.getsockname()[1])
        self.arrived = threading.Event()  # a client is connected (its request read, for HTTP)
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            if self.http:
                _read_request(conn)
            self.arrived.set()
            self.answer(conn)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def trickle(prefix: bytes, unit: bytes) -> Callable[[socket.socket], None]:
    """Send `prefix`, then `unit` over and over, one byte per DRIP seconds, for ever."""

    def answer(conn: socket.socket) -> None:
        stop = threading.Event()
        for byte in prefix:
            conn.sendall(bytes([byte]))
            stop.wait(DRIP)
        while True:
            for byte in unit:
                conn.sendall(bytes([byte]))
                stop.wait(DRIP)

    return answer


def fixed(data: bytes) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        with suppress(OSError):
            conn.recv(1)  # until the client closes

    return answer


@contextmanager
def hostile(answer: Callable[[socket.socket], None], *, http: bool = False) -> Iterator[Hostile]:
    server = Hostile(answer, http=http)
    try:
        yield server
    finally:
        server.close()


def _token_file(folder: Path, token_uri: str, timeout: str) -> Path:
    path = folder / "smail_refreshtoken.ini"
    path.write_text(
        "[OAUTH2]\r\n"
        f"UserID={ALICE}\r\nClientID=client-1\r\nClientSecret={SECRETS[0]}\r\n"
        f"RefreshToken={SECRETS[1]}\r\nTokenURI={token_uri}\r\nOAUTH2_TIME_OUT={timeout}\r\n"
        "Provider=generic\r\n",
        newline="",
    )
    path.chmod(0o600)
    return path


# -- the token request ---------------------------------------------------------------------------

SLOW_HTTP = trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ", b"a")


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_port() -> Iterator[int]:
    """An SMTP server that offers XOAUTH2 in clear: smail asks for the token at AUTH."""
    with smtpd(ScriptedHandler()) as port:
        yield port


def _oauth_ini(folder: Path, smtp: int, token_port: int, timeout: str) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {LOOPBACK}\nport = {smtp}\ntls = none\n"
        f"auth = OAUTH-XOAUTH2\nallow_plaintext_auth = yes\nfrom = {ALICE}\n",
    )
    _token_file(folder, f"http://{LOOPBACK}:{token_port}/token", timeout)


def test_a_trickling_token_endpoint_ends_by_oauth2_time_out(tmp_path: Path, smtp_port: int) -> None:
    with hostile(SLOW_HTTP, http=True) as server:
        _oauth_ini(tmp_path, smtp_port, server.port, "1")
        result = run_exe(["-sdeadline", "-Tbody", BOB], tmp_path, timeout=60)
    assert result.code == ErrCode.NO_ACCESS_TOKEN, result.out
    assert result.err_lines()[0].startswith("ERR-0028:"), result.out
    assert "did not answer within 1" in result.out, result.out


def _start(folder: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    extra: dict[str, object] = {}
    if sys.platform == "win32":  # so CTRL_BREAK_EVENT reaches only the child
        extra["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return subprocess.Popen(
        [*smail_command(), "-sdeadline", "-Tbody", BOB],
        cwd=folder,
        env=hermetic_env(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **extra,  # type: ignore[call-overload]
    )


def test_sigterm_during_the_token_wait_ends_smail_at_once(tmp_path: Path, smtp_port: int) -> None:
    """OAUTH2_TIME_OUT=60: only the signal can end this run within the 15 s allowed."""
    with hostile(SLOW_HTTP, http=True) as server:
        _oauth_ini(tmp_path, smtp_port, server.port, "60")
        proc = _start(tmp_path)
        try:
            assert server.arrived.wait(30)
            polite_stop(proc)
            proc.communicate(timeout=15)
        finally:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0


def test_a_second_smail_on_the_same_token_is_not_blocked(tmp_path: Path, smtp_port: int) -> None:
    """The first run holds the token lock while it waits; it ends by its deadline (2 s), so the
    second gets the lock and ends by its own deadline, not by the lock's (3 x 2 + 30 s)."""
    with hostile(SLOW_HTTP, http=True) as server:
        _oauth_ini(tmp_path, smtp_port, server.port, "2")
        first = _start(tmp_path)
        try:
            assert server.arrived.wait(30)
            second = run_exe(["-sdeadline", "-Tbody", BOB], tmp_path, timeout=60)
            out, _ = first.communicate(timeout=60)
        finally:
            first.kill()
            first.communicate()
    for code, text in ((first.returncode, out.decode()), (second.code, second.out)):
        assert code == ErrCode.NO_ACCESS_TOKEN, text
        assert "did not answer within 2 seconds" in text, text
    assert server.connections == 2  # the second did make its own request


def _fails(path: Path) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        TokenSource(path)()
    err = info.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN
    shown = format_error(err, "en") + format_error(err, "ja")
    assert not any(secret in shown for secret in SECRETS)
    return err


def test_a_redirect_is_never_followed(tmp_path: Path) -> None:
    """302 to another loopback port: nothing (no Basic header, no form) goes there."""
    recorder = socket.create_server((LOOPBACK, 0))
    recorder.setblocking(False)
    elsewhere = f"http://{LOOPBACK}:{recorder.getsockname()[1]}/steal"
    answer = (
        f"HTTP/1.1 302 Found\r\nLocation: {elsewhere}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        for status in (301, 302, 303, 307, 308):
            data = answer.replace(b"302 Found", f"{status} Moved".encode())
            with hostile(fixed(data), http=True) as server:
                path = _token_file(tmp_path, f"http://{LOOPBACK}:{server.port}/token", "5")
                err = _fails(path)
            assert err.msgid == "oauth.http_redirect", err
            text = format_error(err, "en")
            assert f"HTTP {status}" in text and elsewhere in text, text
            with pytest.raises(BlockingIOError):
                recorder.accept()  # nobody came
    finally:
        recorder.close()


@pytest.mark.parametrize(
    ("answer", "msgid"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n"
            + b"[" * 100_000
            + b"]" * 100_000,
            "oauth.token_malformed",
        ),
        (
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(150))
            + b"Content-Length: 2\r\n\r\n{}",
            "oauth.http_malformed",
        ),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n{}", "oauth.http_malformed"),
    ],
    ids=["nested-json", "150-headers", "header-line-too-long"],
)
def test_hostile_token_answers_get_their_own_err(tmp_path: Path, answer: bytes, msgid: str) -> None:
    with hostile(fixed(answer), http=True) as server:
        err = _fails(_token_file(tmp_path, f"http://{LOOPBACK}:{server.port}/token", "5"))
    assert err.msgid == msgid, err


def test_the_nested_json_answer_through_smail(tmp_path: Path, smtp_port: int) -> None:
    """The same answer through the real executable: ERR-0028, never ERR-0016."""
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        + b"[" * 50_000
        + b"]" * 50_000
    )
    with hostile(fixed(answer), http=True) as server:
        _oauth_ini(tmp_path, smtp_port, server.port, "5")
        result = run_exe(["-sdeadline", "-Tbody", BOB], tmp_path, timeout=60)
    assert result.code == ErrCode.NO_ACCESS_TOKEN, result.out
    assert result.err_lines()[0].startswith("ERR-0028:") and "Traceback" not in result.err


# -- the SMTP dialogue and POP before SMTP ------------------------------------------------------


def _ehlo_trickles(conn: socket.socket) -> None:
    conn.sendall(b"220 hostile ESMTP\r\n")
    conn.recv(1024)  # EHLO
    trickle(b"250-hostile\r\n", b"250-SIZE 1000\r\n")(conn)


@pytest.mark.parametrize(
    ("answer", "proxy", "code"),
    [
        # a greeting whose continuation lines never end: --timeout bounds the whole reply
        (trickle(b"", b"220-slow\r\n"), False, ErrCode.RECEIVE),
        # a quick greeting, then an EHLO answer that trickles for ever
        (_ehlo_trickles, False, ErrCode.RECEIVE),
        # an HTTP proxy whose CONNECT answer trickles: the tunnel is given up
        (trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: a\r\n"), True, ErrCode.CONNECT),
    ],
    ids=["greeting", "ehlo-reply", "http-proxy"],
)
def test_a_trickling_mail_server_or_proxy_ends_by_timeout(
    tmp_path: Path, answer: Callable[[socket.socket], None], proxy: bool, code: ErrCode
) -> None:
    with hostile(answer, http=proxy) as server:
        argv = [f"-h{LOOPBACK}", "--port", str(server.port), "--tls", "none", "--timeout", "1"]
        if proxy:
            argv[2] = "25"
            argv += ["--proxy", f"http://{LOOPBACK}:{server.port}"]
        result = run_exe([*argv, "-f" + ALICE, "-sdeadline", "-Tbody", BOB], tmp_path, timeout=60)
    assert result.code == code, result.out
    assert result.err_lines()[0].startswith(f"ERR-{int(code):04d}:"), result.out
    assert "within 1" in result.out, result.out  # the --timeout value, as before


def _apop_trickles(conn: socket.socket) -> None:
    conn.sendall(b"+OK <1.2@hostile>\r\n")
    conn.recv(1024)  # APOP
    trickle(b"+OK ", b"y")(conn)


@pytest.mark.parametrize(
    "answer",
    # a greeting that never ends its line (poplib reads up to 2048 bytes); the APOP reply
    [trickle(b"+OK ", b"x"), _apop_trickles],
    ids=["greeting", "apop-reply"],
)
def test_a_trickling_pop3_server_ends_by_timeout(
    tmp_path: Path, answer: Callable[[socket.socket], None]
) -> None:
    with hostile(answer) as pop:
        write_ini(
            tmp_path,
            f"[smail]\nserver = {LOOPBACK}\nport = {_refused_port()}\ntls = none\n"
            f"[pop_before_smtp]\nenabled = yes\nserver = {LOOPBACK}\nport = {pop.port}\n"
            f"tls = none\napop = yes\nuser = {ALICE}\npassword = pw\ntimeout = 1\n",
        )
        result = run_exe(["-f" + ALICE, "-sdeadline", "-Tbody", BOB], tmp_path, timeout=60)
    assert result.code == ErrCode.POP3_TIMEOUT, result.out
    assert result.err_lines()[0].startswith("ERR-0019:"), result.out
