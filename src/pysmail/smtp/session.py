"""An SMTP session up to MAIL FROM (greeting, EHLO, STARTTLS, AUTH) and send(), one message."""

from __future__ import annotations

from contextlib import suppress

from pysmail.errors import AuthError, NetworkError, SmailError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.net.tls import make_tls_context
from pysmail.record import record
from pysmail.redact import Scrubber
from pysmail.smtp.auth_reply import auth_error
from pysmail.smtp.ehlo_name import local_ehlo_name
from pysmail.smtp.protocol import reply_error
from pysmail.smtp.replies import (
    Extensions,
    Reply,
    SmtpStatus,
    UnsafeCommand,
    format_command,
    parse_ehlo,
)
from pysmail.smtp.wire import SmtpTransport as Transport

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterable, Sequence
    from typing import Literal

    from pysmail.net.proxy import ProxyUrl

    # pysmail.sasl is imported when AUTH happens: a send without AUTH does not load it.
    from pysmail.sasl import AuthRequest, Credentials, Mechanism
    from pysmail.smtp.trace import Trace

__all__ = [
    "AuthRequest",
    "OpenedSession",
    "SmtpParams",
    "TlsMode",
    "authenticate_only",
    "open_session",
    "send",
]

if TYPE_CHECKING:
    TlsMode = Literal["none", "starttls", "smtps"]


def __getattr__(name: str) -> object:
    """`AuthRequest` and `TlsMode` stay importable from here (they are in __all__) without
    loading pysmail.sasl and typing on every start."""
    if name == "AuthRequest":
        from pysmail.sasl import AuthRequest

        return AuthRequest
    if name == "TlsMode":
        from typing import Literal

        return Literal["none", "starttls", "smtps"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Once the outcome is decided, a server that does not answer QUIT must not hold the user long.
QUIT_TIMEOUT = 5.0
# smtplib's _MAXCHALLENGE: more 334s than any mechanism here needs (LOGIN: 2, bearer dance: 2)
# means a server loop, not a dialogue.
MAX_CHALLENGES = 5


@record
class SmtpParams:
    """Where and how to connect. `verify=False` skips certificate checks: UNSAFE, tests only."""

    host: str
    port: int
    tls: TlsMode = "starttls"
    cafile: str | None = None
    verify: bool = True
    timeout: float = 60.0
    helo: str | None = None
    proxy: ProxyUrl | None = None  # HTTP CONNECT or SOCKS5 tunnel (net/proxy.py)
    chunking: bool = True  # BDAT when the server offers CHUNKING (RFC 3030); False: DATA


def send(
    params: SmtpParams,
    envelope_from: str,
    recipients: Sequence[str],
    message: Iterable[bytes],
    *,
    auth: AuthRequest | None = None,
    trace: Trace | None = None,
    smtputf8: bool = False,
    eight_bit: bool = False,
) -> Reply:
    """Submit `message` to every recipient, or to none; return the server's reply to the data.

    All recipients are accepted before the data goes out: if the server refuses any of them,
    nothing is delivered. `message` is streamed (CRLF line endings; dot-stuffed for DATA, in
    BDAT chunks when the server offers CHUNKING) in large writes; if it raises while
    streaming, the connection is dropped before the data's end, so the server discards the
    partial message. Non-ASCII addresses turn on SMTPUTF8. The dialogue is the one of
    smtp/connection.py, for one message.

    Raises: NetworkError (HOST_LOOKUP, CONNECT, SEND, RECEIVE, TLS, STARTTLS), AuthError
    (AUTH_FAILED, AUTH_UNAVAILABLE, TEMPORARY), SmtpReplyError (HANDLING 5xx, TEMPORARY 4xx),
    SmailError (HANDLING: SMTPUTF8 needed and not offered), UsageError (RECIPIENT: no
    recipient, or CR/LF in an address).
    """
    from pysmail.smtp.connection import SmtpConnection

    if not recipients:
        raise UsageError(ErrCode.RECIPIENT, "smtp.no_recipients")
    conn = SmtpConnection.open(params, auth=auth, trace=trace)
    try:
        return conn.send(
            envelope_from,
            recipients,
            message,
            smtputf8=smtputf8 or not all(a.isascii() for a in (envelope_from, *recipients)),
            eight_bit=eight_bit,
        )
    finally:
        conn.close()


def authenticate_only(params: SmtpParams, auth: AuthRequest, trace: Trace | None) -> None:
    """Greeting, EHLO, STARTTLS (or SMTPS), AUTH, QUIT: what `smail-token check` needs; no
    message. Raises what send() raises before MAIL FROM."""
    session, _ext, _greeting = _open(params, auth, trace)
    try:
        session._quit()
    finally:
        session.transport.close()


def _open(
    params: SmtpParams, auth: AuthRequest | None, trace: Trace | None
) -> tuple[_Session, Extensions, Reply]:
    """Connect (through the proxy), greeting, EHLO, STARTTLS when asked (never downgraded),
    AUTH: the one path every use of a connection starts with. Closes the connection when it
    raises; else the caller does."""
    context = make_tls_context(params.cafile, params.verify) if params.tls != "none" else None
    if trace is not None and params.proxy is not None:
        trace.note(f"Proxy: {params.proxy.shown} -> {params.host}:{params.port}")
    transport = Transport.connect(
        params.host,
        params.port,
        params.timeout,
        tls=context if params.tls == "smtps" else None,
        server_hostname=params.host,
        proxy=params.proxy,
    )
    session = _Session(transport, params, trace)
    try:
        greeting, ext = session._handshake(context, auth)
    except BaseException:
        transport.close()
        raise
    return session, ext, greeting


class _Session:
    """The dialogue over one Transport; every method raises pysmail errors only."""

    def __init__(self, transport: Transport, params: SmtpParams, trace: Trace | None) -> None:
        self.transport = transport
        self.params = params
        self.trace = trace
        self.scrubber = trace.scrubber if trace is not None else Scrubber()

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, line: bytes, shown: str | None = None) -> None:
        """Queue a command; `shown` replaces its text in the transcript."""
        self.transport.write(line)
        if self.trace is not None:
            self.trace.send(shown if shown is not None else line.decode("utf-8").rstrip("\r\n"))

    def _read(self) -> Reply:
        reply = self.transport.read_reply()
        if self.trace is not None:
            self.trace.recv(reply.wire)
        return reply

    def _command(self, line: bytes) -> Reply:
        self._send(line)
        return self._read()

    def _reply_error(self, reply: Reply, msgid: str, **params: object) -> SmtpReplyError:
        return reply_error(reply, msgid, host=self.params.host, scrubber=self.scrubber, **params)

    def _quit(self) -> None:
        """Say goodbye politely; the outcome is already decided, so errors are ignored."""
        self.transport.set_timeout(min(self.params.timeout, QUIT_TIMEOUT))
        with suppress(SmailError):
            self._command(b"QUIT\r\n")

    def trace_tls(self) -> None:
        info = self.transport.tls_info()
        if self.trace is None or info is None:
            return
        self.trace.note(f"TLS: {info.version} {info.cipher}")
        self.trace.note(f"X509 subject: {info.subject}")
        self.trace.note(f"X509 issuer: {info.issuer}")

    # -- the dialogue -----------------------------------------------------------------------

    def _hello(self) -> Extensions:
        name = self.params.helo or self._local_name()
        reply = self._command(_format("EHLO", name))
        if reply.code == SmtpStatus.OK:
            return parse_ehlo(reply)
        if reply.kind == 5:  # RFC 5321 3.2: an old server; HELO has no extensions
            reply = self._command(_format("HELO", name))
            if reply.code == SmtpStatus.OK:
                return Extensions(reply.lines[0] if reply.lines else "", {})
            raise self._reply_error(reply, "smtp.command_refused", command="HELO")
        raise self._reply_error(reply, "smtp.command_refused", command="EHLO")

    def _local_name(self) -> str:
        try:
            return local_ehlo_name(self.transport.local_address)
        except NetworkError as exc:
            raise UsageError(ErrCode.LOCAL_HOST, "smtp.local_host", reason=str(exc)) from exc

    def _starttls(self, ext: Extensions, context: ssl.SSLContext) -> Extensions:
        host = self.params.host
        if not ext.has("STARTTLS"):
            self._quit()
            raise NetworkError(ErrCode.STARTTLS, "smtp.starttls_not_offered", host=host)
        reply = self._command(b"STARTTLS\r\n")
        if reply.code != SmtpStatus.READY:
            self._quit()
            raise NetworkError(
                ErrCode.STARTTLS,
                "smtp.starttls_refused",
                smtp_code=reply.code,
                host=host,
                reply=self.scrubber.scrub(reply.wire),
            )
        self.transport.starttls(context, host)
        self.trace_tls()
        # RFC 3207 4.2: the client MUST discard what it learnt before TLS and ask again.
        return self._hello()

    def _chosen(self, ext: Extensions, auth: AuthRequest) -> tuple[Mechanism, Callable[[], str]]:
        """The mechanism to use and the source of its secret; QUIT before raising AuthError
        when there is none."""
        from pysmail.sasl import canonical_name, choose

        try:
            if not ext.has("AUTH") and canonical_name(auth.mechanism) == "AUTO":
                raise AuthError(
                    ErrCode.AUTH_UNAVAILABLE, "smtp.auth_not_supported", host=self.params.host
                )
            mechanism = choose(
                ext.auth_mechanisms,
                auth.mechanism,
                self.transport.is_tls,
                auth.allow_plaintext,
                auth.kind,
            )
            source = auth.token if mechanism.credential == "token" else auth.password
            if source is None:
                raise AuthError(
                    ErrCode.AUTH_UNAVAILABLE,
                    f"smtp.auth_needs_{mechanism.credential}",
                    mechanism=mechanism.name,
                )
        except AuthError:
            self._quit()
            raise
        return mechanism, source

    def _handshake(
        self, context: ssl.SSLContext | None, auth: AuthRequest | None
    ) -> tuple[Reply, Extensions]:
        """Greeting, EHLO, STARTTLS when asked, AUTH when asked: the greeting and the
        extensions the server offers (after TLS)."""
        tls = self.params.tls
        if tls == "smtps":
            self.trace_tls()
        greeting = self._read()
        if greeting.code != SmtpStatus.READY:
            raise self._reply_error(greeting, "smtp.greeting_refused")
        ext = self._hello()
        if context is not None and tls == "starttls":
            ext = self._starttls(ext, context)
        if auth is not None:
            self._authenticate(ext, auth)
        return greeting, ext

    def _authenticate(self, ext: Extensions, auth: AuthRequest) -> None:
        from pysmail.sasl import Credentials

        mechanism, source = self._chosen(ext, auth)
        secret = source()
        self.scrubber.add(secret)
        creds = Credentials(auth.user, secret, self.params.host, self.params.port)
        initial = mechanism.may_use_initial_response and (
            mechanism.credential == "password" or auth.token_initial_response
        )
        reply, challenge = self._sasl(mechanism, creds, initial)
        if reply.code == SmtpStatus.AUTH_SUCCESSFUL:
            return
        if initial and reply.code == 500 and challenge is None:
            # Dovecot 2.3: "500 5.5.2 Line too long" for AUTH lines over 1032 bytes.
            reply, challenge = self._sasl(mechanism, creds, False)
            if reply.code == SmtpStatus.AUTH_SUCCESSFUL:
                return
        self._quit()
        raise auth_error(
            mechanism, auth.user, reply, challenge, host=self.params.host, scrubber=self.scrubber
        )

    def _sasl(
        self, mechanism: Mechanism, creds: Credentials, initial: bool
    ) -> tuple[Reply, bytes | None]:
        """Run one AUTH exchange; return the final reply and the last challenge seen."""
        import base64

        from pysmail.sasl.challenges import ChallengeDriver

        steps = mechanism.steps(creds, initial)
        first = next(steps)
        verb = f"AUTH {mechanism.name}"
        if first is None:
            self._send(format_command(verb))
        else:
            # RFC 4954 4: an empty initial response is sent as "=".
            encoded = base64.b64encode(first).decode("ascii") or "="
            self._send(format_command(verb, encoded), shown=f"{verb} ****")
        driver = ChallengeDriver(steps, limit=MAX_CHALLENGES + 1)
        while driver.more():
            reply = self._read()
            if reply.code != SmtpStatus.AUTH_CONTINUE:
                return reply, driver.challenge
            try:
                answer = driver.respond(reply.lines[0])
            except AuthError:  # the mechanism refuses the challenge: cancel, then say why
                with suppress(SmailError):
                    self._send(b"*\r\n")
                    self._read()
                self._quit()
                raise
            if answer is None:
                self._send(b"*\r\n")
            else:
                self._send(driver.line(answer) + b"\r\n", shown="****")
        self._send(b"*\r\n")
        reply = self._read()
        raise AuthError(
            ErrCode.AUTH_FAILED,
            "smtp.auth_loop",
            host=self.params.host,
            mechanism=mechanism.name,
            reply=self.scrubber.scrub(reply.wire),
        )


def _format(verb: str, name: str) -> bytes:
    try:
        return format_command(verb, name)
    except UnsafeCommand as exc:
        raise UsageError(ErrCode.LOCAL_HOST, "smtp.unsafe_helo", value=repr(name)) from exc


# -- one connection, many messages: the public entry of smtp/connection.py ---------------------


@record
class OpenedSession:
    """A connection past greeting, EHLO, STARTTLS and AUTH, ready for MAIL FROM."""

    transport: Transport
    extensions: Extensions
    scrubber: Scrubber
    greeting: str = ""  # the text of the server's 220


def open_session(
    params: SmtpParams, *, auth: AuthRequest | None = None, trace: Trace | None = None
) -> OpenedSession:
    """Connect and run the dialogue up to (not including) MAIL FROM; the caller closes it.

    The AuthRequest's secret or token callable is called once, here: every message sent over
    the returned connection shares that one authentication. Raises what send() raises before
    MAIL FROM.
    """
    session, ext, greeting = _open(params, auth, trace)
    return OpenedSession(session.transport, ext, session.scrubber, " ".join(greeting.lines))
