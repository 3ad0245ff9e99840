"""A loopback SMTP fault proxy: between the client and the real Dovecot submission service, it
parses the client's commands and, at a chosen point, drops the connection, delays, or answers
in the server's place.

Why it can see every command: the proxy connects to Dovecot FROM stack.host (127.0.0.2) TO
stack.host, and Dovecot treats a connection whose remote address equals its local address as
secured (test-stack.md pitfall 3), so AUTH PLAIN / XOAUTH2 are offered without TLS. The client
talks to the proxy in clear (`--tls none`, plaintext allowed). Everything behind it is real:
Dovecot submission relays to Postfix, which delivers to Dovecot over LMTP, and mail is read
back over POP3. With STARTTLS the proxy parses until the TLS handshake and then only relays
bytes, so only greeting/EHLO/STARTTLS faults apply there.

The message goes with DATA (dot-stuffed lines, then ".") or with CHUNKING (RFC 3030): `BDAT <n>`
followed by exactly n bytes, one reply per chunk, the last one `BDAT <n> LAST`. Dovecot offers
CHUNKING; `FaultProxy(..., chunking=False)` removes CHUNKING (and BINARYMIME, which needs it) from
the EHLO reply the client sees, so the same proxy drives the DATA path, and a BDAT sent anyway is
refused (500, its bytes discarded). `proxy.verbs` records each connection's commands (verb only,
"BDAT <n> [LAST]" in full; never an AUTH argument), so a test can tell which path was taken.

Fault points, in dialogue order:

    greeting   the server's 220            ehlo       EHLO/HELO
    starttls   STARTTLS                    auth       AUTH and its continuation lines
    mail       MAIL FROM                   rcpt       the first RCPT TO
    data       the DATA command            body       inside the message (after its first line)
    after_dot  the final "." was forwarded and the server answered: its reply is withheld
    after_reply the server's reply to the data was forwarded; then the connection drops

With BDAT: "data" is the first BDAT of a transaction, before it is forwarded ("reply" answers in
the server's place and discards that chunk's bytes, as a server does; the later chunks of that
transaction, already pipelined, get "503 5.5.0 Previous data chunk failed, issue RSET first",
as Dovecot answers them, until RSET/EHLO). "body" is inside the first chunk: its command and
bytes up to its first line end are forwarded, the rest after the fault (so a drop there never
delivers: Dovecot delivers a complete LAST chunk even if the client is gone before the reply).
"after_dot" is the server's reply to the LAST chunk, "after_reply" comes after it was forwarded.

Actions: "drop" (close both sides; the command is not forwarded; at after_dot the server has
already accepted the message), "delay" (wait `delay` seconds, then go on), "reply" (answer
`reply` instead of forwarding; a 421 also closes the connection).

    with FaultProxy((stack.host, stack.submission)) as proxy:
        proxy.script(Fault("rcpt", "reply", b"452 4.5.3 Too many recipients"), None)
        ... connect to (proxy.host, proxy.port) ...
    proxy.applied   -> [(connection number, Fault), ...]

Call script() before connecting: a connection takes its fault when it is accepted.
"""

from __future__ import annotations

import contextlib
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Literal

Point = Literal[
    "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "body", "after_dot",
    "after_reply",
]  # fmt: skip
Action = Literal["drop", "delay", "reply"]
POINTS: tuple[Point, ...] = (
    "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "body", "after_dot",
    "after_reply",
)  # fmt: skip
# Points that exist in a plain (no STARTTLS) session that authenticates.
PLAIN_POINTS: tuple[Point, ...] = tuple(p for p in POINTS if p != "starttls")
_BDAT = re.compile(rb"BDAT +([0-9]{1,12})( +LAST)? *\r?\n", re.IGNORECASE)
_HIDDEN_WITHOUT_CHUNKING = (b"CHUNKING", b"BINARYMIME")
CHUNK_FAILED = b"503 5.5.0 Previous data chunk failed, issue RSET first"  # Dovecot's words
# Replies a server (or a throttling front end) may give instead at each point.
REPLIES: dict[Point, tuple[bytes, ...]] = {
    "greeting": (b"421 4.3.2 Service not available, closing", b"421 4.7.0 Try again later"),
    "ehlo": (b"421 4.7.0 Too many connections, closing",),
    "starttls": (b"454 4.7.0 TLS not available due to temporary reason",),
    "auth": (b"454 4.7.0 Temporary authentication failure", b"421 4.7.0 Try again later"),
    "mail": (b"451 4.3.0 Temporary server error", b"421 4.7.0 Throttled, closing",
             b"452 4.3.1 Insufficient system storage"),
    "rcpt": (b"452 4.5.3 Too many recipients", b"451 4.7.1 Rate limited, try later",
             b"450 4.2.1 Mailbox busy"),
    "data": (b"451 4.3.0 Try again later", b"452 4.3.1 Insufficient system storage"),
    "body": (),
    "after_dot": (b"451 4.3.0 Error: queue file write error", b"421 4.4.2 Timeout, closing"),
    "after_reply": (),
}  # fmt: skip


@dataclass(frozen=True)
class Fault:
    point: Point
    action: Action = "drop"
    reply: bytes = b""
    delay: float = 0.0


class _Dropped(Exception):
    """The connection ends here (a fault, or either side went away)."""


def _read_reply(stream: BinaryIO) -> bytes:
    """One complete SMTP reply (all its lines) from the server side."""
    out = b""
    while True:
        line = stream.readline(65536)
        if not line:
            raise _Dropped("server closed")
        out += line
        if line[3:4] != b"-":
            return out


def _verb(line: bytes) -> str:
    return line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")


def _bdat(line: bytes) -> tuple[int, bool] | None:
    """(size, last) of a well-formed `BDAT <n> [LAST]` line, else None."""
    match = _BDAT.fullmatch(line)
    if match is None:
        return None
    return int(match.group(1)), match.group(2) is not None


def without_chunking(reply: bytes) -> bytes:
    """An EHLO reply without its CHUNKING and BINARYMIME lines, the multi-line framing kept
    (every line "250-", the last one "250 ")."""
    lines = reply.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    kept = [ln for ln in lines if ln[4:].split(b" ", 1)[0].upper() not in _HIDDEN_WITHOUT_CHUNKING]
    if not kept:
        return reply
    out = [ln[:3] + b"-" + ln[4:] for ln in kept[:-1]] + [kept[-1][:3] + b" " + kept[-1][4:]]
    return b"".join(ln + b"\r\n" for ln in out)


class FaultProxy:
    """A threaded TCP proxy on `host` (default 127.0.0.2, a name the stack's certificate
    covers) in front of `upstream`; one fault at most per connection, from `script()`
    (consumed in order, one entry per connection) or else from `plan(number)`. With
    `chunking=False` the client is not told about CHUNKING (see the module docstring). `port`:
    listen there (a proxy stopped and started again on its port: a server down, then up)."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        host: str = "127.0.0.2",
        port: int = 0,
        source: str | None = "127.0.0.2",
        plan: Callable[[int], Fault | None] | None = None,
        timeout: float = 30.0,
        chunking: bool = True,
    ) -> None:
        self.upstream = upstream
        self.chunking = chunking
        self.host = host
        self.source = source
        self.plan = plan
        self.timeout = timeout
        self.port = port  # 0: a free one, chosen by start()
        self.connections = 0
        self.applied: list[tuple[int, Fault]] = []
        self.verbs: list[tuple[int, str]] = []  # (connection number, "MAIL" / "BDAT 12 LAST" ...)
        self._script: deque[Fault | None] = deque()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._stopping = False

    # -- control ----------------------------------------------------------------------------

    def script(self, *faults: Fault | None) -> None:
        """The next connections get these faults, in order (None: no fault)."""
        with self._lock:
            self._script.extend(faults)

    def start(self) -> FaultProxy:
        listener = socket.create_server((self.host, self.port))
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping = True
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- plumbing ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
                if self._script:
                    fault = self._script.popleft()
                else:
                    fault = self.plan(number) if self.plan is not None else None
            thread = threading.Thread(target=self._serve, args=(client, number, fault), daemon=True)
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve(self, client: socket.socket, number: int, fault: Fault | None) -> None:
        up: socket.socket | None = None
        self._track(client)
        try:
            client.settimeout(self.timeout)
            source = (self.source, 0) if self.source else None
            up = socket.create_connection(
                self.upstream, timeout=self.timeout, source_address=source
            )
            self._track(up)
            for sock in (client, up):  # lockstep small writes: Nagle would add 40 ms each
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _Session(self, number, fault, client, up).run()
        except (_Dropped, OSError):
            pass
        finally:
            for sock in (client, up):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
                    with self._lock:
                        self._open.discard(sock)

    def _applied(self, number: int, fault: Fault) -> None:
        with self._lock:
            self.applied.append((number, fault))

    def _verb(self, number: int, verb: str) -> None:
        with self._lock:
            self.verbs.append((number, verb))


class _Session:
    """One proxied connection, in lockstep: each client line (with a BDAT, its bytes too), then
    the server's one reply. Pipelined commands wait in the client side's buffer meanwhile."""

    def __init__(
        self,
        proxy: FaultProxy,
        number: int,
        fault: Fault | None,
        client: socket.socket,
        up: socket.socket,
    ) -> None:
        self.proxy = proxy
        self.number = number
        self.fault = fault
        self.client = client
        self.up = up
        self.cr = client.makefile("rb")
        self.ur = up.makefile("rb")
        # BDAT state of the transaction: "none" (no chunk yet), "open" (chunks go on),
        # "failed" (the proxy failed a chunk: answer the rest as the server would, until RSET)
        self.chunks: Literal["none", "open", "failed"] = "none"

    def _trigger(self, point: Point) -> Fault | None:
        """The fault if it is set for `point` and not yet used; apply drop/delay here."""
        fault = self.fault
        if fault is None or fault.point != point:
            return None
        self.fault = None
        self.proxy._applied(self.number, fault)
        if fault.action == "drop":
            raise _Dropped(point)
        if fault.action == "delay":
            time.sleep(fault.delay)
            return None
        return fault

    def _to_client(self, data: bytes) -> None:
        self.client.sendall(data)

    def _inject(self, fault: Fault) -> None:
        self._to_client(fault.reply.rstrip(b"\r\n") + b"\r\n")
        if fault.reply.startswith(b"421"):
            raise _Dropped("421")

    def run(self) -> None:
        greeting = _read_reply(self.ur)
        injected = self._trigger("greeting")
        if injected is not None:
            self._inject(injected)
            raise _Dropped("greeting refused")
        self._to_client(greeting)
        in_auth = False
        rcpt_seen = False
        while True:
            line = self.cr.readline(65536)
            if not line:
                return
            verb = _verb(line)
            if not in_auth:
                self.proxy._verb(
                    self.number, verb if verb != "BDAT" else line.strip().decode("ascii", "replace")
                )
                if verb in ("RSET", "EHLO", "HELO"):
                    self.chunks = "none"
                if verb == "BDAT":
                    self._bdat(line)
                    continue
                if verb == "DATA" and self.chunks == "failed":
                    self._to_client(CHUNK_FAILED + b"\r\n")
                    continue
            point: Point | None
            if in_auth:
                point = "auth"
            else:
                point = {
                    "EHLO": "ehlo", "HELO": "ehlo", "STARTTLS": "starttls", "AUTH": "auth",
                    "MAIL": "mail", "DATA": "data",
                }.get(verb)  # type: ignore[assignment]  # fmt: skip
                if verb == "RCPT" and not rcpt_seen:
                    point, rcpt_seen = "rcpt", True
            injected = self._trigger(point) if point is not None else None
            if injected is not None:
                self._inject(injected)
                in_auth = False
                continue
            self.up.sendall(line)
            reply = _read_reply(self.ur)
            if verb == "DATA" and not in_auth and reply.startswith(b"354"):
                self._to_client(reply)
                self._data()
                continue
            if verb == "EHLO" and not in_auth and not self.proxy.chunking:
                reply = without_chunking(reply)
            self._to_client(reply)
            if verb == "STARTTLS" and not in_auth and reply.startswith(b"220"):
                self._relay()
                return
            if verb == "QUIT" and not in_auth:
                return
            in_auth = reply.startswith(b"334")

    def _data(self) -> None:
        first = True
        while True:
            line = self.cr.readline(1 << 20)
            if not line:
                raise _Dropped("client closed in DATA")
            if line == b".\r\n":
                self.up.sendall(line)
                break
            self.up.sendall(line)
            if first:
                first = False
                self._trigger("body")
        self._final(_read_reply(self.ur))  # the server has decided now

    def _final(self, reply: bytes) -> None:
        """The server's reply to a message's end ("." or BDAT LAST): the after_dot and
        after_reply points."""
        injected = self._trigger("after_dot")
        if injected is not None:
            self._inject(injected)
            return
        self._to_client(reply)
        self._trigger("after_reply")

    def _bdat(self, line: bytes) -> None:
        """One BDAT command: its bytes go with it; its one reply comes back."""
        parsed = _bdat(line)
        if parsed is None:  # malformed: the server refuses it (501) and reads no bytes
            self.up.sendall(line)
            self._to_client(_read_reply(self.ur))
            return
        size, last = parsed
        if not self.proxy.chunking:
            self._discard(size)
            self._to_client(b"500 5.5.1 Unknown command (CHUNKING was not offered)\r\n")
            return
        if self.chunks == "failed":
            self._discard(size)
            self._to_client(CHUNK_FAILED + b"\r\n")
            return
        first = self.chunks == "none"
        self.chunks = "open"
        if first:
            injected = self._trigger("data")
            if injected is not None:
                self._discard(size)  # a server reads the chunk before it answers
                self.chunks = "failed"  # Dovecot too refuses every chunk until RSET
                self._inject(injected)
                return
        self.up.sendall(line)
        if first:  # "body": up to the chunk's first line end (never all of it) goes first
            head = self.cr.peek(1)[: size - 1] if size > 1 else b""  # peek blocks at 0
            cut = head.find(b"\n") + 1 or len(head) // 2
            self._copy(cut)
            self._trigger("body")
            self._copy(size - cut)
        else:
            self._copy(size)
        reply = _read_reply(self.ur)
        if not last:
            self._to_client(reply)
            return
        self.chunks = "none"
        self._final(reply)

    def _copy(self, size: int) -> None:
        """Exactly `size` bytes from the client to the server."""
        while size > 0:
            block = self.cr.read(min(size, 1 << 16))
            if not block:
                raise _Dropped("client closed in BDAT")
            self.up.sendall(block)
            size -= len(block)

    def _discard(self, size: int) -> None:
        """Read and drop exactly `size` bytes from the client."""
        while size > 0:
            block = self.cr.read(min(size, 1 << 16))
            if not block:
                raise _Dropped("client closed in BDAT")
            size -= len(block)

    def _relay(self) -> None:
        """After STARTTLS: copy bytes both ways until either side closes."""

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

        # Nothing is buffered: the client waits for the 220 before its ClientHello, and the
        # server says nothing until it gets one.
        other = threading.Thread(target=pump, args=(self.up, self.client), daemon=True)
        other.start()
        pump(self.client, self.up)
        other.join(timeout=self.proxy.timeout)


def random_plan(
    rng: random.Random, rate: float, points: tuple[Point, ...] = PLAIN_POINTS
) -> Callable[[int], Fault | None]:
    """A plan that breaks about `rate` of the connections at a random point, with a random
    action: drop, or a 4xx reply that fits the point (or a short delay)."""

    def plan(number: int) -> Fault | None:
        if rng.random() >= rate:
            return None
        point = rng.choice(points)
        replies = REPLIES[point]
        roll = rng.random()
        if replies and roll < 0.45:
            return Fault(point, "reply", rng.choice(replies))
        if roll < 0.55:
            return Fault(point, "delay", delay=rng.uniform(0.0, 0.05))
        return Fault(point, "drop")

    return plan


# -- helpers shared by the fault and soak tests -------------------------------------------------

ALICE = "alice@example.test"


def password_sender(
    host: str,
    port: int,
    *,
    tls: str = "none",
    cafile: str | None = None,
    timeout: float = 10.0,
    user: str = ALICE,
    password: str = "alice-pw",
) -> Callable[..., None]:
    """An outbox send_one over pysmail's own SMTP client, AUTH PLAIN (in clear to the proxy)."""
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.session import SmtpParams, send

    params = SmtpParams(host, port, tls, cafile, True, timeout)  # type: ignore[arg-type]
    auth = AuthRequest("PLAIN", user, password=lambda: password, allow_plaintext=True)

    def send_one(envelope: object, chunks: object) -> None:
        send(
            params,
            envelope.sender,  # type: ignore[attr-defined]
            envelope.recipients,  # type: ignore[attr-defined]
            chunks,  # type: ignore[arg-type]
            auth=auth,
            smtputf8=envelope.smtputf8,  # type: ignore[attr-defined]
        )

    return send_one


def message(subject: str, sender: str = ALICE, to: str = ALICE, body: str = "hello") -> bytes:
    """A small composed message with a fresh, fixed Message-ID (as compose() writes one)."""
    import secrets

    mid = f"<{secrets.token_hex(8)}.soak@example.test>"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}\r\n"
    ).encode()


def drain_queue(
    spool: object, send_one: Callable[..., None], *, max_runs: int = 50, **kw: object
) -> list[object]:
    """Run outbox.flush until the queue is empty (retries due at once: base 0); the results."""
    from pathlib import Path

    from outboxutil import OneByOne
    from pysmail.delivery import outbox

    results = []
    delivery = OneByOne(send_one)
    for _ in range(max_runs):
        results.append(outbox.flush(Path(str(spool)), delivery, base=0.0, cap=0.0, **kw))  # type: ignore[arg-type]
        if not outbox.entries(Path(str(spool)))[0]:
            return results
    raise AssertionError(f"the queue is not empty after {max_runs} flush runs")


def subjects_and_ids(raw_messages: list[bytes]) -> list[tuple[str, str]]:
    import email
    import email.policy

    out = []
    for raw in raw_messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append((str(msg.get("Subject", "")), str(msg.get("Message-ID", ""))))
    return out


def collect(
    stack: object, user: str, expect: int, *, settle: float = 0.5, timeout: float = 30.0
) -> list[bytes]:
    """Every message of `user` once at least `expect` arrived, plus any that come in `settle`
    seconds more (a duplicate must have its chance to show up); the mailbox is emptied."""
    got: list[bytes] = list(stack.fetch(user, expect=expect, timeout=timeout))  # type: ignore[attr-defined]
    while True:
        time.sleep(settle)
        more = stack.fetch(user, expect=0)  # type: ignore[attr-defined]
        if not more:
            return got
        got.extend(more)
