"""Typed error fields (transient, scope, smtp_code, http_status) as each kind of raise site sets
them, fed real replies, HTTP statuses and socket failures; retry.classify reads only them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence

import pytest

from pysmail.delivery.retry import classify, send_tracked
from pysmail.errors import (
    AuthError,
    NetworkError,
    OAuthError,
    Pop3Error,
    SmailError,
    SmtpReplyError,
    Step,
    UsageError,
)
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import FormRequest, ProviderError
from pysmail.oauth.http import HttpResult

H = "127.0.0.1"


# -- a scripted SMTP server: one reply per line read ------------------------------------------


class Scripted:
    """Answers the greeting, then one reply per command line, on a local port."""

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.sock = socket.create_server((H, 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(self.replies.pop(0).encode() + b"\r\n")
            for line in lines:
                if line.strip() == b"DATA" and self.replies[0].startswith("354"):
                    conn.sendall(self.replies.pop(0).encode() + b"\r\n")
                    for body in lines:  # swallow the message until its final dot
                        if body == b".\r\n":
                            break
                if not self.replies:
                    return
                conn.sendall(self.replies.pop(0).encode() + b"\r\n")

    def close(self) -> None:
        self.sock.close()
        self.thread.join(5)


Server = Callable[[Sequence[str]], Scripted]


@pytest.fixture
def server() -> Iterator[Server]:
    made: list[Scripted] = []

    def make(replies: Sequence[str]) -> Scripted:
        made.append(Scripted(replies))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _send(port: int, *, tls: str = "none", auth: object = None) -> SmailError:
    from pysmail.smtp.session import SmtpParams, send

    params = SmtpParams(H, port, tls=tls, verify=False, timeout=5, chunking=False)  # type: ignore[arg-type]
    with pytest.raises(SmailError) as caught:
        send(params, "a@example.test", ["b@example.test"], [b"Subject: x\r\n\r\nhi\r\n"], auth=auth)  # type: ignore[arg-type]
    return caught.value


EHLO = "250-example.test\r\n250-AUTH PLAIN\r\n250 STARTTLS"


def test_a_greeting_refusal_is_a_reply_at_the_greeting(server: Server) -> None:
    err = _send(server(["421 4.3.2 closing"]).port)
    assert isinstance(err, SmtpReplyError)
    assert (err.smtp_code, err.transient, err.scope) == (421, True, Step.GREETING)
    assert classify(err).scope == "server"  # 421: the server is going away
    err = _send(server(["554 5.3.2 no service"]).port)
    assert (err.smtp_code, err.transient, err.scope) == (554, False, Step.GREETING)


@pytest.mark.parametrize(
    ("replies", "code", "step", "transient", "reach"),
    [
        (["250 ok", "451 4.3.0 later"], 451, Step.MAIL, True, "message"),
        (["250 ok", "450 4.7.1 rate limited"], 450, Step.RCPT, True, "server"),
        (["250 ok", "550 5.1.1 no such user"], 550, Step.RCPT, False, "message"),
        (["250 ok", "250 ok", "554 5.7.1 no"], 554, Step.DATA, False, "message"),
        (["250 ok", "250 ok", "354 go", "452 4.3.1 full"], 452, Step.DATA, True, "message"),
    ],
)
def test_replies_in_the_transaction(
    server: Server, replies: list[str], code: int, step: Step, transient: bool, reach: str
) -> None:
    if code == 451:
        replies = ["451 4.3.0 later"]  # the refusal of MAIL FROM
    err = _send(server(["220 hi", EHLO, *replies]).port)
    assert isinstance(err, SmtpReplyError)
    assert (err.smtp_code, err.scope, err.transient) == (code, step, transient)
    verdict = classify(err)
    assert verdict.temporary is transient
    if transient:
        assert verdict.scope == reach
    assert not classify(err, data_sent=True).ambiguous  # the server answered


def test_starttls_refused_carries_its_reply_code(server: Server) -> None:
    err = _send(server(["220 hi", EHLO, "454 4.7.0 TLS not available"]).port, tls="starttls")
    assert isinstance(err, NetworkError) and err.code is ErrCode.STARTTLS
    assert (err.smtp_code, err.scope, err.transient) == (454, Step.TLS, True)
    assert classify(err).scope == "server"
    err = _send(server(["220 hi", EHLO, "502 5.5.1 no"]).port, tls="starttls")
    assert (err.smtp_code, err.transient) == (502, False)


def test_auth_refusals(server: Server) -> None:
    from pysmail.sasl import AuthRequest

    auth = AuthRequest("PLAIN", "u", password=lambda: "p", allow_plaintext=True)
    err = _send(server(["220 hi", EHLO, "454 4.7.0 later"]).port, auth=auth)
    assert isinstance(err, AuthError)
    assert (err.scope, err.transient) == (Step.AUTH, True)
    assert classify(err).scope == "server"
    err = _send(server(["220 hi", EHLO, "535 5.7.8 bad"]).port, auth=auth)
    assert (err.scope, err.transient) == (Step.AUTH, False)


# -- transport failures -----------------------------------------------------------------------


def test_connection_refused_and_closed(server: Server) -> None:
    free = socket.create_server((H, 0))
    port = free.getsockname()[1]
    free.close()
    err = _send(port)
    assert isinstance(err, NetworkError)
    assert (err.scope, err.transient, err.smtp_code) == (Step.CONNECT, True, None)
    assert classify(err).scope == "server"
    err = _send(server(["220 hi"]).port)  # closes after the greeting
    assert isinstance(err, NetworkError) and err.code is ErrCode.RECEIVE
    assert (err.scope, err.transient) == (Step.TRANSFER, True)
    assert not classify(err).ambiguous
    assert classify(err, data_sent=True).ambiguous


def test_a_failure_after_the_last_chunk_is_at_the_data_step() -> None:
    def send(stream):  # type: ignore[no-untyped-def]
        list(stream)
        raise NetworkError(ErrCode.RECEIVE, "smtp.receive_timeout", host=H, timeout=5)

    with pytest.raises(NetworkError) as caught:
        send_tracked(send, [b"a"])
    assert (caught.value.scope, caught.value.transient) == (Step.DATA, True)
    assert classify(caught.value).ambiguous


def test_tls_failures() -> None:
    from pysmail.net.tls import make_tls_context

    with pytest.raises(NetworkError) as caught:
        make_tls_context("/nonexistent/ca.pem", True)
    assert (caught.value.scope, caught.value.transient) == (Step.TLS, False)
    assert classify(caught.value).permanent


# -- the token endpoint -----------------------------------------------------------------------


class FakeHttp:
    def __init__(self, status: int, json: object) -> None:
        self.result = HttpResult(status, {}, json)

    def post_form(self, url, data, *, timeout, auth=None):  # type: ignore[no-untyped-def]
        return self.result

    def get_json(self, url, *, timeout):  # type: ignore[no-untyped-def]
        return self.result


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (404, False), (401, False)]
)
def test_token_endpoint_http_status(status: int, transient: bool) -> None:
    from pysmail.oauth.exchange import discover, post_grant

    request = FormRequest("https://idp.example.test/token", {"grant_type": "x"})
    with pytest.raises(OAuthError) as caught:
        post_grant(FakeHttp(status, "not json"), request, preset="generic", path="p", timeout=5)
    err = caught.value
    assert (err.http_status, err.transient, err.scope) == (status, transient, Step.TOKEN)
    assert classify(err).temporary is transient
    with pytest.raises(OAuthError) as caught:
        discover(FakeHttp(status, None), "https://idp.example.test", 5)
    assert (caught.value.http_status, caught.value.transient) == (status, transient)


@pytest.mark.parametrize(
    ("error", "transient"),
    [("server_error", True), ("temporarily_unavailable", True), ("invalid_grant", False)],
)
def test_token_endpoint_error_responses(error: str, transient: bool) -> None:
    from pysmail.oauth.errors import provider_error

    err = provider_error(ProviderError(400, error, "d"), "generic", "https://idp/t", "p")
    assert (err.http_status, err.transient, err.scope) == (400, transient, Step.TOKEN)
    assert classify(err).temporary is transient


def test_token_endpoint_network_failures() -> None:
    from pysmail.oauth.http import _network_error

    timeout = _network_error(TimeoutError(), "https://idp/t", None, 5)
    refused = _network_error(ConnectionRefusedError(111, "refused"), "https://idp/t", None, 5)
    proxied = _network_error(ConnectionRefusedError(111, "x"), "https://idp/t", "http://p:1", 5)
    bad_url = _network_error(ValueError("unknown url type"), "x", None, 5)
    for err in (timeout, refused, proxied):
        assert (err.transient, err.scope, err.http_status) == (True, Step.TOKEN, None)
    assert not bad_url.transient


# -- POP before SMTP, and errors with no server -----------------------------------------------


def test_pop3_failures() -> None:
    from pysmail.pop3.before_smtp import PopParams, pop_before_smtp

    free = socket.create_server((H, 0))
    port = free.getsockname()[1]
    free.close()
    params = PopParams(H, port, timeout=5)
    with pytest.raises(Pop3Error) as caught:
        pop_before_smtp(params, "u", lambda: "p", False, allow_plaintext=True)
    assert (caught.value.scope, caught.value.transient) == (Step.POP3, True)
    login = Pop3Error(ErrCode.POP3_LOGIN, "pop3.login_failed", host=H)
    assert (login.scope, login.transient) == (Step.POP3, False)


def test_local_errors_are_never_transient_and_fields_stay_out_of_the_message() -> None:
    err = UsageError(ErrCode.RECIPIENT, "smtp.no_recipients")
    assert (err.scope, err.transient, err.smtp_code, err.http_status) == (
        Step.LOCAL,
        False,
        None,
        None,
    )
    explicit = SmailError(ErrCode.HANDLING, "main.internal", transient=True, kind="X")
    assert explicit.transient and explicit.params == {"kind": "X"}
    with pytest.raises(TypeError):
        SmailError(ErrCode.HANDLING, "main.internal", scope="tls")
