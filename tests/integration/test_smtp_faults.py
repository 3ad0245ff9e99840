"""The SMTP session against servers that misbehave on purpose: aiosmtpd and scripted sockets.

Only what the real Dovecot/Postfix stack cannot produce on demand is here (refused recipients,
no STARTTLS, broken replies, OAuth error challenges, silence); see test_smtp_stack.py.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pysmail.errors import AuthError, NetworkError, SmailError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.redact import base64_forms
from pysmail.sasl import AuthRequest
from pysmail.smtp.session import SmtpParams, send
from pysmail.smtp.trace import Trace

HOST = "127.0.0.1"
MESSAGE = [b"From: a@example.test\r\nTo: b@example.test\r\nSubject: t\r\n\r\n", b"body\r\n"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# -- aiosmtpd -------------------------------------------------------------------------------------


class Recorder:
    """aiosmtpd handler: records delivered envelopes; refuses some recipients; extra EHLO."""

    def __init__(self, refuse: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> None:
        self.refuse = refuse or {}
        self.extra = extra
        self.delivered: list[Any] = []
        self.mail_options: list[list[str]] = []
        self.auth: list[tuple[str, bytes, bytes]] = []

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return responses[:-1] + [f"250-{x}" for x in self.extra] + responses[-1:]

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mail_options.append(list(options))
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered.append(envelope)
        return "250 2.0.0 queued"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.auth.append((mechanism, data.login, data.password))
        ok = data.password == b"right-pw"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


@pytest.fixture
def smtpd() -> Iterator[Callable[..., tuple[Recorder, int]]]:
    controllers: list[Controller] = []

    def start(recorder: Recorder, **kwargs: Any) -> tuple[Recorder, int]:
        port = _free_port()
        controller = Controller(
            recorder,
            hostname=HOST,
            port=port,
            authenticator=recorder.authenticator,
            auth_require_tls=False,
            **kwargs,
        )
        controller.start()
        controllers.append(controller)
        return recorder, port

    yield start
    for controller in controllers:
        controller.stop()


def _params(port: int, tls: str = "none", timeout: float = 5.0) -> SmtpParams:
    return SmtpParams(HOST, port, tls, timeout=timeout, helo="client.example.test")  # type: ignore[arg-type]


def test_starttls_required_but_not_offered_sends_nothing(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder())
    auth = AuthRequest("PLAIN", "u", password=lambda: pytest.fail("password fetched"))
    with pytest.raises(NetworkError) as info:
        send(_params(port, "starttls"), "a@example.test", ["b@example.test"], MESSAGE, auth=auth)
    assert info.value.code == ErrCode.STARTTLS
    assert info.value.msgid == "smtp.starttls_not_offered"
    assert recorder.delivered == [] and recorder.auth == [] and recorder.mail_options == []


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
@pytest.mark.parametrize(
    ("reply", "code"),
    [("550 5.1.1 No such user", ErrCode.HANDLING), ("450 4.2.1 Try later", ErrCode.TEMPORARY)],
)
def test_one_refused_recipient_means_nothing_is_sent(
    smtpd: Any, pipelining: bool, reply: str, code: ErrCode
) -> None:
    extra = ("PIPELINING",) if pipelining else ()
    recorder, port = smtpd(Recorder(refuse={"bad@example.test": reply}, extra=extra))
    rcpts = ["ok1@example.test", "bad@example.test", "ok2@example.test"]
    lines: list[str] = []
    with pytest.raises(SmtpReplyError) as info:
        send(_params(port), "a@example.test", rcpts, MESSAGE, trace=Trace(lines.append))
    err = info.value
    assert err.code == code and err.smtp_code == int(reply[:3])
    assert err.params["recipient"] == "bad@example.test" and err.params["count"] == 1
    assert err.reply == f"<bad@example.test>: {reply}"
    assert "bad@example.test" in str(err)
    assert recorder.delivered == []
    # no data went out; QUIT ends the open transaction (RFC 5321 4.1.1.10), no RSET needed
    assert "Send: DATA" not in lines and lines[-2:] == ["Send: QUIT", "Recv: 221 Bye"]
    # all three RCPTs were asked, so the error could name every refused one
    assert sum(line.startswith("Send: RCPT") for line in lines) == 3


def test_5xx_wins_over_4xx_when_several_recipients_are_refused(smtpd: Any) -> None:
    refuse = {"t@example.test": "451 4.3.0 later", "p@example.test": "553 5.1.3 bad"}
    _recorder, port = smtpd(Recorder(refuse=refuse))
    with pytest.raises(SmtpReplyError) as info:
        send(_params(port), "a@x.test", ["t@example.test", "p@example.test"], MESSAGE)
    assert info.value.code == ErrCode.HANDLING and info.value.smtp_code == 553
    assert info.value.params["recipient"] == "t@example.test" and info.value.params["count"] == 2


def test_delivery_to_aiosmtpd_with_login_in_clear_when_allowed(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder())
    auth = AuthRequest("LOGIN", "user", password=lambda: "right-pw", allow_plaintext=True)
    reply = send(_params(port), "a@example.test", ["b@example.test"], MESSAGE, auth=auth)
    assert reply.code == 250
    assert recorder.auth == [("LOGIN", b"user", b"right-pw")]
    (envelope,) = recorder.delivered
    assert envelope.rcpt_tos == ["b@example.test"]
    assert envelope.original_content == b"".join(MESSAGE)


def test_plain_in_clear_is_refused_before_the_server_sees_anything(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder())
    fetched: list[str] = []
    auth = AuthRequest("auto", "user", password=lambda: fetched.append("x") or "right-pw")
    with pytest.raises(AuthError) as info:
        send(_params(port), "a@example.test", ["b@example.test"], MESSAGE, auth=auth)
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.msgid == "smtp.auth_cleartext_refused"
    assert fetched == [] and recorder.auth == [] and recorder.delivered == []


def test_wrong_password_against_aiosmtpd(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder())
    auth = AuthRequest("PLAIN", "user", password=lambda: "wrong-pw", allow_plaintext=True)
    with pytest.raises(AuthError) as info:
        send(_params(port), "a@example.test", ["b@example.test"], MESSAGE, auth=auth)
    assert info.value.code == ErrCode.AUTH_FAILED
    assert info.value.reply is not None and info.value.reply.startswith("535")
    assert recorder.delivered == []


def test_smtputf8_address(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder(), enable_SMTPUTF8=True)
    send(_params(port), "差出人@example.test", ["受取人@example.test"], MESSAGE)
    assert recorder.mail_options == [["SMTPUTF8", "BODY=8BITMIME"]]
    assert recorder.delivered[0].rcpt_tos == ["受取人@example.test"]


def test_smtputf8_needed_but_not_offered(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder(), enable_SMTPUTF8=False)
    with pytest.raises(SmailError) as info:
        send(_params(port), "a@example.test", ["受取人@example.test"], MESSAGE)
    assert info.value.code == ErrCode.HANDLING
    assert info.value.msgid == "smtp.smtputf8_unsupported"
    assert recorder.mail_options == []


def test_crlf_in_an_address_is_refused_before_connecting_further(smtpd: Any) -> None:
    recorder, port = smtpd(Recorder())
    evil = "b@example.test>\r\nRCPT TO:<evil@example.test"
    with pytest.raises(UsageError) as info:
        send(_params(port), "a@example.test", [evil], MESSAGE)
    assert info.value.code == ErrCode.RECIPIENT
    assert recorder.delivered == []


def test_no_recipient_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        send(_params(1), "a@example.test", [], MESSAGE)
    assert info.value.code == ErrCode.RECIPIENT


# -- scripted servers -----------------------------------------------------------------------------


class Peer:
    """The server side of one connection, for scripts: read lines, send raw bytes."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""
        self.received: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            data = self.conn.recv(65536)
            if not data:
                raise EOFError
            self.buffer += data
        data, _, self.buffer = self.buffer.partition(b"\n")
        self.received.append(data + b"\n")
        return data + b"\n"

    def idle(self, seconds: float) -> bool:
        """True when the client sends nothing more for `seconds`."""
        import select

        if self.buffer:
            return False
        readable, _, _ = select.select([self.conn], [], [], seconds)
        return not readable

    def expect(self, prefix: bytes, answer: bytes | None = None) -> bytes:
        data = self.line()
        assert data.upper().startswith(prefix.upper()), (prefix, data)
        if answer is not None:
            self.send(answer)
        return data

    def rest(self) -> None:
        """Answer RSET and QUIT like a server, record everything, until QUIT or EOF."""
        try:
            while True:
                data = self.line()
                if data.upper().startswith(b"RSET"):
                    self.send(b"250 2.0.0 ok\r\n")
                elif data.upper().startswith(b"QUIT"):
                    self.send(b"221 2.0.0 bye\r\n")
                    return
        except EOFError:
            return


class Scripted:
    """A one-connection server on 127.0.0.1 running `script(peer)` in a thread."""

    def __init__(self, script: Callable[[Peer], None], *, recv_timeout: float = 5.0) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self.script = script
        self.recv_timeout = recv_timeout
        self.error: BaseException | None = None
        self.peer: Peer | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
            with conn:
                conn.settimeout(self.recv_timeout)
                self.peer = Peer(conn)
                self.script(self.peer)
        except EOFError:
            pass
        except BaseException as exc:  # reported by join()
            self.error = exc
        finally:
            self.listener.close()

    def join(self) -> Peer:
        self.thread.join(10)
        assert not self.thread.is_alive(), "scripted server still running"
        if self.error is not None:
            raise self.error
        assert self.peer is not None
        return self.peer

    def received(self) -> bytes:
        return b"".join(self.join().received)


EHLO_OK = b"250-test.example\r\n250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n"


def _deliver(peer: Peer) -> None:
    """Accept one message after the envelope; QUIT."""
    peer.expect(b"DATA", b"354 go\r\n")
    while peer.line() != b".\r\n":
        pass
    peer.send(b"250 2.0.0 queued\r\n")
    peer.expect(b"QUIT", b"221 bye\r\n")


def test_pipelining_sends_mail_and_every_rcpt_before_waiting() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250-test.example\r\n250 PIPELINING\r\n")
        # No reply until all three commands are in: a client that waits for the MAIL reply
        # would deadlock here and the read would time out.
        peer.expect(b"MAIL FROM:<a@example.test>")
        peer.expect(b"RCPT TO:<b@example.test>")
        peer.expect(b"RCPT TO:<c@example.test>")
        peer.send(b"250 ok\r\n250 ok\r\n250 ok\r\n")
        _deliver(peer)

    server = Scripted(script, recv_timeout=3)
    reply = send(
        _params(server.port), "a@example.test", ["b@example.test", "c@example.test"], MESSAGE
    )
    assert reply.code == 250
    server.join()


def test_without_pipelining_each_command_waits_for_its_reply() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250 test.example\r\n")
        peer.expect(b"MAIL")
        assert peer.idle(0.3), "the client sent RCPT before the MAIL reply"
        peer.send(b"250 ok\r\n")
        peer.expect(b"RCPT", b"250 ok\r\n")
        _deliver(peer)

    server = Scripted(script)
    send(_params(server.port), "a@example.test", ["b@example.test"], MESSAGE)
    server.join()


def test_ehlo_refused_falls_back_to_helo() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 old server\r\n")
        peer.expect(b"EHLO client.example.test", b"502 5.5.1 what?\r\n")
        peer.expect(b"HELO client.example.test", b"250 old.example\r\n")
        peer.expect(b"MAIL FROM:<a@example.test>\r\n", b"250 ok\r\n")
        peer.expect(b"RCPT", b"250 ok\r\n")
        _deliver(peer)

    server = Scripted(script)
    send(_params(server.port), "a@example.test", ["b@example.test"], MESSAGE)
    server.join()


@pytest.mark.parametrize(
    ("greeting", "code"),
    [(b"421 4.3.2 busy\r\n", ErrCode.TEMPORARY), (b"554 5.7.1 go away\r\n", ErrCode.HANDLING)],
)
def test_greeting_refused(greeting: bytes, code: ErrCode) -> None:
    server = Scripted(lambda peer: (peer.send(greeting), peer.rest()))
    with pytest.raises(SmtpReplyError) as info:
        send(_params(server.port), "a@example.test", ["b@example.test"], MESSAGE)
    assert info.value.code == code and info.value.reply == greeting.decode().strip()
    assert server.received() == b""


@pytest.mark.parametrize(
    ("step", "answer", "code", "msgid"),
    [
        ("MAIL", b"553 5.1.8 bad sender\r\n", ErrCode.HANDLING, "smtp.sender_refused"),
        ("MAIL", b"421 4.7.0 closing\r\n", ErrCode.TEMPORARY, "smtp.sender_refused"),
        ("DATA", b"554 5.5.1 no valid recipients\r\n", ErrCode.HANDLING, "smtp.command_refused"),
        ("END", b"552 5.3.4 too big\r\n", ErrCode.HANDLING, "smtp.message_refused"),
        ("END", b"451 4.3.0 queue full\r\n", ErrCode.TEMPORARY, "smtp.message_refused"),
        ("END", b"299 odd\r\n", None, None),
        ("DATA", b"250 not 354\r\n", ErrCode.HANDLING, "smtp.command_refused"),
    ],
)
def test_refusals_in_the_transaction(
    step: str, answer: bytes, code: ErrCode | None, msgid: str | None
) -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250 test.example\r\n")
        peer.expect(b"MAIL", answer if step == "MAIL" else b"250 ok\r\n")
        if step == "MAIL":
            peer.rest()
            return
        peer.expect(b"RCPT", b"250 ok\r\n")
        peer.expect(b"DATA", answer if step == "DATA" else b"354 go\r\n")
        if step == "END":
            while peer.line() != b".\r\n":
                pass
            peer.send(answer)
        peer.rest()

    server = Scripted(script)
    if code is None:  # any 2xx to the data is success
        assert send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE).code == 299
        server.join()
        return
    with pytest.raises(SmtpReplyError) as info:
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE)
    assert info.value.code == code and info.value.msgid == msgid
    assert info.value.reply == answer.decode().strip()
    server.join()


@pytest.mark.parametrize(
    ("answer", "msgid"),
    [
        (b"this is not smtp\r\n", "smtp.malformed_reply"),
        (b"250-" + b"x" * 9000, "smtp.malformed_reply"),
        (b"", "smtp.connection_closed"),  # the server hangs up instead of answering
    ],
    ids=["not_smtp", "line_too_long", "connection_closed"],
)
def test_broken_replies_are_receive_errors(answer: bytes, msgid: str) -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        # The EHLO is read before the answer and the hang-up: a socket closed with the EHLO
        # still unread ends in a reset (RST), which the client sees as a receive failure
        # instead of the end of the connection; that is the next test.
        peer.expect(b"EHLO", answer)

    server = Scripted(script)
    with pytest.raises(NetworkError) as info:
        send(_params(server.port), "a@example.test", ["b@example.test"], MESSAGE)
    assert info.value.code == ErrCode.RECEIVE and info.value.msgid == msgid
    server.join()


def test_server_hanging_up_with_the_ehlo_unread_is_a_receive_error_too() -> None:
    """The other order of that race, made certain: the server closes once the EHLO has arrived
    but before reading it, so the client's end is reset (Linux sends RST for unread data)."""

    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        assert not peer.idle(5), "no EHLO came"

    server = Scripted(script)
    with pytest.raises(NetworkError) as info:
        send(_params(server.port), "a@example.test", ["b@example.test"], MESSAGE)
    server.join()
    # A reset is "smtp.receive_failed" (Connection reset by peer); where the system turns
    # it into an orderly end, "smtp.connection_closed". The same ERR code either way.
    assert info.value.code == ErrCode.RECEIVE
    assert info.value.msgid in ("smtp.receive_failed", "smtp.connection_closed")


def test_silent_server_times_out_as_receive_error() -> None:
    stop = threading.Event()
    server = Scripted(lambda peer: stop.wait(5))
    try:
        with pytest.raises(NetworkError) as info:
            send(_params(server.port, timeout=0.3), "a@x.test", ["b@x.test"], MESSAGE)
    finally:
        stop.set()
    assert info.value.code == ErrCode.RECEIVE and info.value.msgid == "smtp.receive_timeout"
    server.join()


def test_connection_refused_is_connect() -> None:
    port = _free_port()
    with pytest.raises(NetworkError) as info:
        send(_params(port), "a@example.test", ["b@example.test"], MESSAGE)
    assert info.value.code == ErrCode.CONNECT and info.value.params["port"] == port


def test_data_after_starttls_220_is_refused_as_injection() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250-x\r\n250 STARTTLS\r\n")
        peer.expect(b"STARTTLS", b"220 go ahead\r\n250 injected\r\n")
        peer.rest()

    server = Scripted(script)
    with pytest.raises(NetworkError) as info:
        send(_params(server.port, "starttls"), "a@x.test", ["b@x.test"], MESSAGE)
    assert info.value.code == ErrCode.TLS and info.value.msgid == "smtp.starttls_injection"
    server.join()


def test_starttls_refused_by_the_server() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250-x\r\n250 STARTTLS\r\n")
        peer.expect(b"STARTTLS", b"454 4.7.0 TLS not available\r\n")
        peer.expect(b"QUIT", b"221 bye\r\n")

    server = Scripted(script)
    with pytest.raises(NetworkError) as info:
        send(_params(server.port, "starttls"), "a@x.test", ["b@x.test"], MESSAGE)
    assert info.value.code == ErrCode.STARTTLS
    assert info.value.reply == "454 4.7.0 TLS not available"
    server.join()


def test_message_source_failing_mid_data_never_sends_the_terminator() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", b"250 x\r\n")
        peer.expect(b"MAIL", b"250 ok\r\n")
        peer.expect(b"RCPT", b"250 ok\r\n")
        peer.expect(b"DATA", b"354 go\r\n")
        peer.rest()

    def message() -> Iterator[bytes]:
        yield b"Subject: x\r\n\r\npartial body\r\n"
        raise UsageError(ErrCode.ATTACHMENT, "smtp.no_recipients")

    server = Scripted(script)
    with pytest.raises(UsageError):
        send(_params(server.port), "a@x.test", ["b@x.test"], message())
    received = server.received()
    assert b"partial body" in received or b"DATA" in received
    assert not received.endswith(b".\r\n") and b"\r\n.\r\n" not in received


# -- OAuth error challenges and other AUTH dialogues ----------------------------------------------

TOKEN = "tok-3f9a8b7c6d5e4f3a2b1c"
DOVECOT_XOAUTH2_ERROR = b"eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="


def _auth_script(
    mechanism: bytes, error_answer: bytes, *, challenge: bytes = DOVECOT_XOAUTH2_ERROR
) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", EHLO_OK)
        peer.expect(b"AUTH " + mechanism + b"\r\n", b"334 \r\n")
        token_line = peer.line()
        assert TOKEN.encode() in base64.b64decode(token_line)
        peer.send(b"334 " + challenge + b"\r\n")
        assert peer.line() == error_answer  # not the token again
        peer.send(b"535 5.7.8 Authentication failed.\r\n")
        peer.expect(b"QUIT", b"221 bye\r\n")

    return script


@pytest.mark.parametrize(
    ("mechanism", "answer"), [("XOAUTH2", b"\r\n"), ("OAUTHBEARER", b"AQ==\r\n")]
)
def test_oauth_failure_dance_surfaces_the_json(mechanism: str, answer: bytes) -> None:
    server = Scripted(_auth_script(mechanism.encode(), answer))
    lines: list[str] = []
    auth = AuthRequest(mechanism, "alice@example.test", token=lambda: TOKEN, allow_plaintext=True)
    with pytest.raises(AuthError) as info:
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth,
             trace=Trace(lines.append))  # fmt: skip
    server.join()
    err = info.value
    assert err.code == ErrCode.AUTH_FAILED and err.msgid == "smtp.auth_failed_detail"
    assert err.params["detail"] == "status=401 schemes=bearer scope=mail"
    assert err.reply == "535 5.7.8 Authentication failed."
    assert "status=401" in str(err)
    _assert_no_secret(lines, TOKEN)
    assert f"Send: AUTH {mechanism}" in lines and "Send: ****" in lines


def test_token_initial_response_retried_without_it_after_line_too_long() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", EHLO_OK)
        peer.expect(b"AUTH XOAUTH2 ", b"500 5.5.2 Line too long\r\n")
        peer.expect(b"AUTH XOAUTH2\r\n", b"334 \r\n")
        peer.line()
        peer.send(b"235 2.7.0 Logged in.\r\n")
        peer.expect(b"MAIL", b"250 ok\r\n")
        peer.expect(b"RCPT", b"250 ok\r\n")
        _deliver(peer)

    server = Scripted(script)
    auth = AuthRequest(
        "XOAUTH2", "u", token=lambda: TOKEN, allow_plaintext=True, token_initial_response=True
    )
    send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth)
    server.join()


@pytest.mark.parametrize(
    ("final", "code", "msgid"),
    [
        (
            b"454 4.7.0 Temporary authentication failure.\r\n",
            ErrCode.TEMPORARY,
            "smtp.auth_temporary",
        ),
        (b"535 5.7.8 Authentication failed.\r\n", ErrCode.AUTH_FAILED, "smtp.auth_failed"),
        (b"538 5.7.11 Encryption required\r\n", ErrCode.AUTH_UNAVAILABLE, "smtp.auth_refused"),
    ],
)
def test_auth_final_replies(final: bytes, code: ErrCode, msgid: str) -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", EHLO_OK)
        peer.expect(b"AUTH PLAIN ", final)
        peer.expect(b"QUIT", b"221 bye\r\n")

    server = Scripted(script)
    auth = AuthRequest("PLAIN", "u", password=lambda: "p-4s5w0rd", allow_plaintext=True)
    with pytest.raises(AuthError) as info:
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth)
    assert info.value.code == code and info.value.msgid == msgid
    assert info.value.reply == final.decode().strip()
    server.join()


def test_endless_challenges_are_cancelled() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", EHLO_OK)
        peer.expect(b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n")
        while True:
            data = peer.line()
            if data == b"*\r\n":
                peer.send(b"501 5.0.0 cancelled\r\n")
                break
            peer.send(b"334 UGFzc3dvcmQ6\r\n")
        peer.expect(b"QUIT", b"221 bye\r\n")

    server = Scripted(script)
    auth = AuthRequest("LOGIN", "u", password=lambda: "p-4s5w0rd", allow_plaintext=True)
    with pytest.raises(AuthError) as info:
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth)
    assert info.value.code == ErrCode.AUTH_FAILED
    assert info.value.msgid == "smtp.auth_failed"  # cancelled: the 501 is the final reply
    assert server.received().count(b"*\r\n") == 1


def test_non_base64_challenge_is_cancelled() -> None:
    def script(peer: Peer) -> None:
        peer.send(b"220 hi\r\n")
        peer.expect(b"EHLO", EHLO_OK)
        peer.expect(b"AUTH LOGIN\r\n", b"334 Username?\r\n")
        peer.expect(b"*\r\n", b"501 5.0.0 cancelled\r\n")
        peer.expect(b"QUIT", b"221 bye\r\n")

    server = Scripted(script)
    auth = AuthRequest("LOGIN", "u", password=lambda: "p-4s5w0rd", allow_plaintext=True)
    with pytest.raises(AuthError):
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth)
    server.join()


def test_server_without_auth() -> None:
    server = Scripted(lambda peer: (peer.send(b"220 hi\r\n"), peer.expect(b"EHLO", b"250 x\r\n"),
                                    peer.rest()))  # fmt: skip
    auth = AuthRequest("auto", "u", password=lambda: "p-4s5w0rd")
    with pytest.raises(AuthError) as info:
        send(_params(server.port), "a@x.test", ["b@x.test"], MESSAGE, auth=auth)
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.msgid == "smtp.auth_not_supported"
    server.join()


def _assert_no_secret(lines: list[str], secret: str) -> None:
    forms = {secret, *base64_forms(secret)}
    for line in lines:
        for form in forms:
            assert form not in line, (form, line)
