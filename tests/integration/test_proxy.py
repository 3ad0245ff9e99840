"""SMTP, POP3 and the token endpoint through real proxies: tinyproxy (HTTP CONNECT) and dante
(SOCKS5, with and without username/password), to the real stack (tests/proxies.py)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proxies import RunningProxy, dante, free_port, socks_user, tinyproxy
from pysmail.errors import NetworkError, OAuthError, Pop3Error
from pysmail.exitcodes import ErrCode
from pysmail.net.proxy import ProxyUrl, parse_proxy
from pysmail.oauth.http import UrllibPort
from pysmail.pop3.before_smtp import PopParams, pop_before_smtp
from pysmail.redact import base64_forms
from pysmail.sasl import AuthRequest
from pysmail.smtp.session import SmtpParams, send
from pysmail.smtp.trace import Trace
from pysmail.smtp.wire import SmtpTransport as Transport
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
HTTP_USER, HTTP_PASSWORD = "mailer", "tiny-Proxy-pw-7"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxies")


@pytest.fixture(scope="module")
def http_proxy(stack: Stack, folder: Path) -> Iterator[RunningProxy]:
    """CONNECT only to the submission and POP3 ports: the Postfix relay port gets 403."""
    ports = (stack.submission, stack.submissions, stack.pop3, stack.pop3s)
    with tinyproxy(folder, connect_ports=ports) as running:
        yield running


@pytest.fixture(scope="module")
def http_auth_proxy(folder: Path) -> Iterator[RunningProxy]:
    with tinyproxy(folder, basic_auth=(HTTP_USER, HTTP_PASSWORD)) as running:
        yield running


@pytest.fixture(scope="module")
def socks_proxy(folder: Path) -> Iterator[RunningProxy]:
    with dante(folder, username_auth=False) as running:
        yield running


@pytest.fixture(scope="module")
def socks_account() -> tuple[str, str]:
    return socks_user()


@pytest.fixture(scope="module")
def socks_auth_proxy(folder: Path, socks_account: tuple[str, str]) -> Iterator[RunningProxy]:
    with dante(folder, username_auth=True) as running:
        yield running


KINDS = ["http", "http-auth", "socks5", "socks5h", "socks5-auth"]


def _proxy(kind: str, request: pytest.FixtureRequest) -> tuple[ProxyUrl, RunningProxy]:
    if kind == "http":
        running: RunningProxy = request.getfixturevalue("http_proxy")
        return parse_proxy(f"http://127.0.0.1:{running.port}"), running
    if kind == "http-auth":
        running = request.getfixturevalue("http_auth_proxy")
        url = f"http://{HTTP_USER}:{HTTP_PASSWORD}@127.0.0.1:{running.port}"
        return parse_proxy(url), running
    if kind == "socks5-auth":
        user, password = request.getfixturevalue("socks_account")
        running = request.getfixturevalue("socks_auth_proxy")
        return parse_proxy(f"socks5://{user}:{password}@127.0.0.1:{running.port}"), running
    running = request.getfixturevalue("socks_proxy")
    return parse_proxy(f"{kind}://127.0.0.1:{running.port}"), running


def _message(subject: str) -> bytes:
    return (
        f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\n\r\nthrough a proxy\r\n"
    ).encode()


def _smtp(stack: Stack, tls: str, proxy: ProxyUrl | None, host: str | None = None) -> SmtpParams:
    port = stack.submissions if tls == "smtps" else stack.submission
    return SmtpParams(
        host or stack.host,
        port,
        tls,  # type: ignore[arg-type]
        stack.cafile,
        timeout=10.0,
        proxy=proxy,
    )


def _no_secret(lines: list[str], *secrets: str) -> None:
    assert lines
    for secret in secrets:
        for form in {secret, *base64_forms(secret)}:
            for line in lines:
                assert form not in line, (form, line)


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
@pytest.mark.parametrize("kind", KINDS)
def test_send_through_the_proxy_and_read_back(
    stack: Stack, request: pytest.FixtureRequest, kind: str, tls: str
) -> None:
    proxy, running = _proxy(kind, request)
    stack.clear(BOB)
    before = running.log().count(str(_smtp(stack, tls, None).port))
    subject = f"proxy {kind} {tls} {uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    auth = AuthRequest("PLAIN", ALICE, password=lambda: stack.users[ALICE])
    reply = send(
        _smtp(stack, tls, proxy),
        ALICE,
        [BOB],
        [_message(subject)],
        auth=auth,
        trace=Trace(lines.append),
    )
    assert reply.code == 250
    [mail] = stack.fetch(BOB)
    assert f"Subject: {subject}".encode() in mail
    # The proxy carried it: its log names the mail port once more than before.
    port = _smtp(stack, tls, None).port
    assert running.log().count(str(port)) > before, running.log()[-2000:]
    assert lines[0] == f"Proxy: {proxy.shown} -> {stack.host}:{port}"
    assert any(line.startswith("TLS: TLSv1.") for line in lines)  # end to end, verified
    _no_secret(lines, stack.users[ALICE], *([proxy.password] if proxy.password else []))


def test_socks5h_lets_the_proxy_resolve_the_name(stack: Stack, socks_proxy: RunningProxy) -> None:
    """socks5h sends a name to dante (here "localhost": the Postfix relay is on 127.0.0.1);
    socks5 resolves it here, so an unknown name fails here, before the proxy is asked."""
    stack.clear(BOB)
    remote = parse_proxy(f"socks5h://127.0.0.1:{socks_proxy.port}")
    subject = f"socks5h {uuid.uuid4().hex[:8]}"
    params = SmtpParams("localhost", stack.relay, "none", timeout=10.0, proxy=remote)
    send(params, ALICE, [BOB], [_message(subject)])
    assert f"Subject: {subject}".encode() in stack.fetch(BOB)[0]
    unknown = "no-such-host.invalid"
    with pytest.raises(NetworkError) as info:
        send(SmtpParams(unknown, 25, "none", timeout=10.0, proxy=remote), ALICE, [BOB], [b""])
    assert info.value.code == ErrCode.CONNECT and info.value.msgid == "smtp.proxy_refused"
    local = parse_proxy(f"socks5://127.0.0.1:{socks_proxy.port}")
    with pytest.raises(NetworkError) as info:
        send(SmtpParams(unknown, 25, "none", timeout=10.0, proxy=local), ALICE, [BOB], [b""])
    assert info.value.code == ErrCode.HOST_LOOKUP and info.value.params["host"] == unknown


@pytest.mark.parametrize("kind", ["http", "socks5"])
def test_certificate_is_still_checked_against_the_mail_host(
    stack: Stack, request: pytest.FixtureRequest, kind: str
) -> None:
    proxy, _running = _proxy(kind, request)
    with pytest.raises(NetworkError) as info:
        send(_smtp(stack, "smtps", proxy, host=stack.mismatch_host), ALICE, [BOB], [b"x\r\n"])
    assert info.value.code == ErrCode.TLS
    assert "mismatch" in str(info.value.params["reason"])


@pytest.mark.parametrize("scheme", ["http", "socks5", "socks5h"])
def test_proxy_down_is_connect_naming_the_proxy(stack: Stack, scheme: str) -> None:
    proxy = parse_proxy(f"{scheme}://someone:Pw-never-shown@127.0.0.1:{free_port()}")
    with pytest.raises(NetworkError) as info:
        send(_smtp(stack, "starttls", proxy), ALICE, [BOB], [b"x\r\n"])
    err = info.value
    assert err.code == ErrCode.CONNECT and err.msgid == "smtp.proxy_unreachable"
    text = str(err)
    assert f"{scheme}://someone:****@127.0.0.1" in text and "Pw-never-shown" not in text


def test_proxy_refusing_the_port_is_connect_with_its_403(
    stack: Stack, http_proxy: RunningProxy
) -> None:
    proxy = parse_proxy(f"http://127.0.0.1:{http_proxy.port}")
    params = SmtpParams(stack.relay_host, stack.relay, "none", timeout=10.0, proxy=proxy)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"])
    err = info.value
    assert err.code == ErrCode.CONNECT and err.msgid == "smtp.proxy_refused"
    assert str(err.params["answer"]).startswith("403")
    assert f"{stack.relay_host}:{stack.relay}" in str(err)


def test_http_proxy_wrong_password_is_407(stack: Stack, http_auth_proxy: RunningProxy) -> None:
    # tinyproxy: 407 without credentials, 401 for wrong ones; both mean "check the password".
    for userinfo, status in (("", "407"), (f"{HTTP_USER}:Wrong-pw-123@", "401")):
        proxy = parse_proxy(f"http://{userinfo}127.0.0.1:{http_auth_proxy.port}")
        with pytest.raises(NetworkError) as info:
            send(_smtp(stack, "starttls", proxy), ALICE, [BOB], [b"x\r\n"])
        err = info.value
        assert err.code == ErrCode.CONNECT and err.msgid == "smtp.proxy_refused_auth"
        assert str(err.params["answer"]).startswith(status)
        assert "Wrong-pw-123" not in str(err)


def test_socks_auth_failures(
    stack: Stack, socks_auth_proxy: RunningProxy, socks_account: tuple[str, str]
) -> None:
    user, _password = socks_account
    wrong = parse_proxy(f"socks5://{user}:Wrong-pw-456@127.0.0.1:{socks_auth_proxy.port}")
    with pytest.raises(NetworkError) as info:
        send(_smtp(stack, "starttls", wrong), ALICE, [BOB], [b"x\r\n"])
    assert info.value.code == ErrCode.CONNECT
    assert info.value.msgid == "smtp.proxy_refused_auth"
    assert info.value.params["answer"] == "user name or password refused"
    assert "Wrong-pw-456" not in str(info.value)
    # No credentials at all: dante accepts none of the methods offered.
    bare = parse_proxy(f"socks5://127.0.0.1:{socks_auth_proxy.port}")
    with pytest.raises(NetworkError) as info:
        send(_smtp(stack, "starttls", bare), ALICE, [BOB], [b"x\r\n"])
    assert info.value.msgid == "smtp.proxy_refused_auth"
    assert "no acceptable authentication method" in str(info.value)


def test_socks_reply_code_is_decoded(stack: Stack, socks_proxy: RunningProxy) -> None:
    proxy = parse_proxy(f"socks5://127.0.0.1:{socks_proxy.port}")
    params = SmtpParams("127.0.0.1", free_port(), "none", timeout=10.0, proxy=proxy)
    with pytest.raises(NetworkError) as info:
        send(params, ALICE, [BOB], [b"x\r\n"])
    err = info.value
    assert err.code == ErrCode.CONNECT and err.msgid == "smtp.proxy_refused"
    assert err.params["answer"] == "5 (connection refused)"  # RFC 1928 6, in words


# -- POP3 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tls", ["stls", "pop3s"])
@pytest.mark.parametrize("kind", ["http", "socks5-auth"])
def test_pop_before_smtp_through_the_proxy(
    stack: Stack, request: pytest.FixtureRequest, kind: str, tls: str
) -> None:
    proxy, running = _proxy(kind, request)
    port = stack.pop3s if tls == "pop3s" else stack.pop3
    before = running.log().count(str(port))
    lines: list[str] = []
    params = PopParams(stack.host, port, tls, stack.cafile, timeout=10.0, proxy=proxy)  # type: ignore[arg-type]
    pop_before_smtp(params, ALICE, lambda: stack.users[ALICE], False, Trace(lines.append))
    assert running.log().count(str(port)) > before
    assert lines[0] == f"Proxy: {proxy.shown} -> {stack.host}:{port}"
    assert any(line.startswith("TLS: TLSv1.") for line in lines)
    _no_secret(lines, stack.users[ALICE], *([proxy.password] if proxy.password else []))


def test_pop3_proxy_errors_are_pop3_connect(stack: Stack, http_proxy: RunningProxy) -> None:
    down = parse_proxy(f"socks5://127.0.0.1:{free_port()}")
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(
            PopParams(stack.host, stack.pop3s, "pop3s", stack.cafile, timeout=10.0, proxy=down),
            ALICE,
            lambda: stack.users[ALICE],
            False,
        )
    assert info.value.code == ErrCode.POP3_CONNECT
    assert info.value.msgid == "smtp.proxy_unreachable"
    refusing = parse_proxy(f"http://127.0.0.1:{http_proxy.port}")
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(
            PopParams(stack.relay_host, stack.relay, "pop3s", timeout=10.0, proxy=refusing),
            ALICE,
            lambda: stack.users[ALICE],
            False,
        )
    assert info.value.code == ErrCode.POP3_CONNECT
    assert info.value.msgid == "smtp.proxy_refused"
    assert str(info.value.params["answer"]).startswith("403")


# -- the token endpoint (oauth/http.py) through tinyproxy ----------------------------------------


def _refresh_form(stack: Stack) -> tuple[dict[str, str], tuple[str, str]]:
    tokens = stack.issue_tokens(ALICE)
    secret = stack.oidc_clients["mailcli"]
    assert secret is not None
    return {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, (
        "mailcli",
        secret,
    )


def test_token_request_through_tinyproxy(stack: Stack, folder: Path) -> None:
    form, client = _refresh_form(stack)
    with tinyproxy(folder) as running:
        stack.reset_token_stats()
        port = UrllibPort(proxy=f"http://127.0.0.1:{running.port}")
        result = port.post_form(stack.oidc_token_endpoint, form, auth=client, timeout=10.0)
        log = running.log()
    assert result.status == 200
    assert isinstance(result.json, dict) and result.json.get("access_token")
    assert stack.token_request_count(grant_type="refresh_token") == 1
    assert "POST " + stack.oidc_token_endpoint in log, log[-2000:]


def test_token_request_proxy_down_is_err_0028_proxy_cause(stack: Stack) -> None:
    proxy = f"http://someone:Pw-never-shown@127.0.0.1:{free_port()}"
    with pytest.raises(OAuthError) as info:
        UrllibPort(proxy=proxy).post_form(
            stack.oidc_token_endpoint, {"grant_type": "refresh_token"}, auth=None, timeout=10.0
        )
    err = info.value
    assert err.code == ErrCode.NO_ACCESS_TOKEN and err.msgid == "oauth.http_proxy_failed"
    assert "Pw-never-shown" not in str(err) and "127.0.0.1" in str(err.params["proxy"])


@pytest.mark.parametrize("refusal", ["403", "407"])
def test_token_request_proxy_refusing_is_err_0028_proxy_cause(
    stack: Stack, request: pytest.FixtureRequest, refusal: str
) -> None:
    """A real https TokenURI goes through CONNECT: tinyproxy refuses a port outside its
    ConnectPort list (403), or asks for credentials (407); both are SMAIL's "proxy refused"."""
    if refusal == "403":
        running: RunningProxy = request.getfixturevalue("http_proxy")
        url = f"https://127.0.0.1:{stack.relay}/token"  # not a ConnectPort of http_proxy
    else:
        running = request.getfixturevalue("http_auth_proxy")
        url = f"https://127.0.0.1:{stack.submissions}/token"
    with pytest.raises(OAuthError) as info:
        UrllibPort(proxy=f"http://127.0.0.1:{running.port}").post_form(
            url, {"grant_type": "refresh_token"}, auth=None, timeout=10.0
        )
    err = info.value
    assert err.code == ErrCode.NO_ACCESS_TOKEN and err.msgid == "oauth.http_proxy_failed"
    assert refusal in str(err.params["reason"])


# -- faults real proxies do not produce: small in-process proxies --------------------------------


def _fake_proxy(script: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def serve() -> None:
        with listener:
            conn, _addr = listener.accept()
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    script(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def _http_then_greeting(conn: socket.socket) -> None:
    _read_head(conn)
    # The tunnel's answer and the mail server's greeting in ONE segment.
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n220 fake ESMTP\r\n")
    conn.recv(100)


def _socks_then_greeting(conn: socket.socket) -> None:
    conn.recv(3)
    conn.sendall(b"\x05\x00")
    conn.recv(300)
    conn.sendall(b"\x05\x00\x00\x03\x09localhost\x00\x19220 fake ESMTP\r\n")
    conn.recv(100)


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
def test_bytes_after_the_proxy_answer_belong_to_the_mail_server(scheme: str) -> None:
    script = _http_then_greeting if scheme == "http" else _socks_then_greeting
    port, thread = _fake_proxy(script)
    proxy = parse_proxy(f"{scheme}://127.0.0.1:{port}")
    transport = Transport.connect("mail.example.test", 25, 5.0, proxy=proxy)
    try:
        reply = transport.read_reply()
    finally:
        transport.close()
    thread.join(5)
    assert (reply.code, reply.lines) == (220, ("fake ESMTP",))


def _garbage(conn: socket.socket) -> None:
    conn.recv(100)
    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")


def _silent(conn: socket.socket) -> None:
    conn.recv(100)
    time.sleep(2)


@pytest.mark.parametrize(
    ("scheme", "script", "msgid"),
    [
        ("http", _garbage, "smtp.proxy_bad_answer"),
        ("socks5", _garbage, "smtp.proxy_bad_answer"),
        ("http", _silent, "smtp.proxy_timeout"),
        ("socks5h", _silent, "smtp.proxy_timeout"),
    ],
)
def test_proxy_faults_are_connect(
    scheme: str, script: Callable[[socket.socket], None], msgid: str
) -> None:
    port, thread = _fake_proxy(script)
    proxy = parse_proxy(f"{scheme}://127.0.0.1:{port}")
    with pytest.raises(NetworkError) as info:
        Transport.connect("mail.example.test", 25, 0.5, proxy=proxy)
    thread.join(5)
    assert info.value.code == ErrCode.CONNECT and info.value.msgid == msgid
    assert f"127.0.0.1:{port}" in str(info.value)
