"""The fault proxy speaks CHUNKING (RFC 3030, BDAT) in front of the real Dovecot submission.

A raw socket client (not pysmail) authenticates in clear through the proxy (see faultproxy's
docstring) and sends messages with `BDAT <n> [LAST]`; Dovecot relays to Postfix, which delivers
over LMTP, and the mail is read back over POP3. The last test pins how the real Dovecot answers
BDAT after a failure, which the client's RSET logic relies on.
"""

from __future__ import annotations

import base64
import socket
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from faultproxy import ALICE, CHUNK_FAILED, Fault, FaultProxy, collect, without_chunking
from stackutil import Stack

MAIL = f"MAIL FROM:<{ALICE}>\r\n".encode()
RCPT = f"RCPT TO:<{ALICE}>\r\n".encode()


class Raw:
    """A bare SMTP client: bytes out, (code, text) replies in."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.reader = self.sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, bytes]:
        text = b""
        while True:
            line = self.reader.readline(65536)
            if not line:
                raise ConnectionError(f"closed by the peer after {text!r}")
            text += line
            if line[3:4] != b"-":
                return int(line[:3]), text

    def cmd(self, line: bytes) -> tuple[int, bytes]:
        self.send(line)
        return self.reply()

    def closed(self) -> bool:
        """True if the peer closed without saying anything more."""
        return self.reader.readline(65536) == b""

    def login(self, stack: Stack) -> bytes:
        """Greeting, EHLO, AUTH PLAIN in clear (the proxy's upstream side counts as secured);
        returns the EHLO reply."""
        assert self.reply()[0] == 220
        code, ehlo = self.cmd(b"EHLO raw.example.test\r\n")
        assert code == 250, ehlo
        secret = base64.b64encode(f"\0{ALICE}\0{stack.users[ALICE]}".encode())
        code, text = self.cmd(b"AUTH PLAIN " + secret + b"\r\n")
        assert code == 235, text  # the reply, never the argument
        return ehlo


def message(subject: str, size: int = 0) -> bytes:
    """A message with lines a DATA sender would have to dot-stuff, padded to about `size`."""
    head = (
        f"From: {ALICE}\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@bdat.example.test>\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n"
    ).encode()
    body = b"first line\r\n.\r\n..two dots\r\n.leading dot\r\n"
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"
    return head + body + line * max(0, (size - len(head) - len(body)) // len(line)) + b"end\r\n"


def bdat(data: bytes, *cuts: int) -> bytes:
    """`data` as BDAT chunks cut at the given offsets, the last chunk marked LAST."""
    bounds = [0, *cuts, len(data)]
    out = b""
    for i, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        last = b" LAST" if i == len(bounds) - 2 else b""
        out += b"BDAT %d%s\r\n" % (end - start, last) + data[start:end]
    return out


def subject() -> str:
    return f"bdat-{uuid.uuid4().hex[:10]}"


def delivered(stack: Stack, expect: int) -> list[bytes]:
    """Everything that arrived for alice (waiting for `expect`, then a moment for more)."""
    return collect(stack, ALICE, expect, settle=1.0)


@pytest.fixture(autouse=True)
def empty_box(stack: Stack) -> None:
    stack.clear(ALICE)


@pytest.fixture
def proxy(stack: Stack) -> Iterator[FaultProxy]:
    with FaultProxy((stack.host, stack.submission)) as running:
        yield running


@pytest.fixture
def connect(proxy: FaultProxy) -> Iterator[Callable[[], Raw]]:
    """Connects to the proxy; call it AFTER proxy.script(): the fault is picked at accept."""
    opened: list[Raw] = []

    def open_one() -> Raw:
        opened.append(Raw(proxy.host, proxy.port))
        return opened[-1]

    yield open_one
    for raw in opened:
        raw.close()


def test_one_chunk_pipelined_with_the_envelope(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw]
) -> None:
    client = connect()
    ehlo = client.login(stack)
    assert b"250-CHUNKING\r\n" in ehlo and b"PIPELINING" in ehlo
    msg = message(subject())
    client.send(MAIL + RCPT + bdat(msg))  # one write, as the client does with PIPELINING
    assert [client.reply()[0] for _ in range(3)] == [250, 250, 250]
    assert client.cmd(b"QUIT\r\n")[0] == 221

    [got] = delivered(stack, 1)
    assert got.endswith(msg)  # byte for byte: no dot-stuffing, no lost "." line
    assert (1, f"BDAT {len(msg)} LAST") in proxy.verbs
    assert proxy.applied == []


def test_two_chunks_the_second_written_before_the_first_reply(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw]
) -> None:
    client = connect()
    client.login(stack)
    msg = message(subject(), size=300_000)
    cut = 150_001  # inside a line: chunks need not end at a line end
    client.send(MAIL + RCPT + bdat(msg, cut))
    replies = [client.reply() for _ in range(4)]
    assert [code for code, _ in replies] == [250, 250, 250, 250], replies
    assert b"%d octets" % cut in replies[2][1]  # Dovecot: "250 2.0.0 Added 150001 octets"

    [got] = delivered(stack, 1)
    assert got.endswith(msg)
    assert [v for n, v in proxy.verbs if v.startswith("BDAT")] == [
        f"BDAT {cut}",
        f"BDAT {len(msg) - cut} LAST",
    ]


def test_without_chunking_the_ehlo_reply_hides_it_and_data_still_works(stack: Stack) -> None:
    with FaultProxy((stack.host, stack.submission), chunking=False) as proxy:
        raw = Raw(proxy.host, proxy.port)
        try:
            ehlo = raw.login(stack)
            lines = ehlo.split(b"\r\n")[:-1]
            assert b"CHUNKING" not in ehlo.upper()
            assert all(ln.startswith(b"250-") for ln in lines[:-1]) and lines[-1][:4] == b"250 "
            assert {b"250-PIPELINING", b"250 PIPELINING"} & set(lines)  # the rest is kept
            # A BDAT sent anyway is refused and its bytes swallowed: the session stays in step.
            assert raw.cmd(MAIL + RCPT + b"BDAT 4 LAST\r\nabcd")[0] == 250
            assert [raw.reply()[0] for _ in range(2)] == [250, 500]
            assert raw.cmd(b"NOOP\r\n")[0] == 250
            msg = message(subject())
            assert raw.cmd(b"DATA\r\n")[0] == 354
            stuffed = b"".join(
                b"." + ln if ln.startswith(b".") else ln for ln in msg.splitlines(True)
            )
            assert raw.cmd(stuffed + b".\r\n")[0] == 250
            assert raw.cmd(b"QUIT\r\n")[0] == 221
        finally:
            raw.close()
    [got] = delivered(stack, 1)
    assert got.endswith(msg)
    assert "DATA" in [v for _, v in proxy.verbs]


@pytest.mark.parametrize("cuts", [(), (40,)], ids=["one-chunk", "two-chunks"])
def test_a_refused_first_chunk_leaves_the_session_usable(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw], cuts: tuple[int, ...]
) -> None:
    fault = Fault("data", "reply", b"451 4.3.0 Try again later")
    proxy.script(fault)
    client = connect()
    client.login(stack)
    lost, kept = message(subject()), message(subject())
    client.send(MAIL + RCPT + bdat(lost, *cuts))
    replies = [client.reply() for _ in range(2 + len(cuts) + 1)]
    codes = [code for code, _ in replies]
    # the pipelined later chunk is answered as Dovecot answers it after a failed chunk
    assert codes == [250, 250, 451] + [503] * len(cuts), replies
    if cuts:
        assert replies[-1][1] == CHUNK_FAILED + b"\r\n"
    assert client.cmd(b"RSET\r\n")[0] == 250
    client.send(MAIL + RCPT + bdat(kept, *cuts))
    assert [client.reply()[0] for _ in range(3 + len(cuts))] == [250] * (3 + len(cuts))
    assert client.cmd(b"QUIT\r\n")[0] == 221

    assert proxy.applied == [(1, fault)]
    [got] = delivered(stack, 1)  # the refused chunk's bytes never reached Dovecot
    assert got.endswith(kept)


@pytest.mark.parametrize(
    "fault",
    [Fault("after_dot", "drop"), Fault("after_dot", "reply", b"451 4.3.0 Queue file write error")],
    ids=["drop", "reply-451"],
)
def test_after_dot_withholds_the_reply_to_the_last_chunk(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw], fault: Fault
) -> None:
    proxy.script(fault)
    client = connect()
    client.login(stack)
    msg = message(subject())
    client.send(MAIL + RCPT + bdat(msg, 50))
    assert [client.reply()[0] for _ in range(3)] == [250, 250, 250]  # MAIL, RCPT, first chunk
    if fault.action == "drop":
        assert client.closed()
    else:
        assert client.reply()[0] == 451
    assert proxy.applied == [(1, fault)]
    [got] = delivered(stack, 1)  # Dovecot accepted it: the client cannot know
    assert got.endswith(msg)


def test_after_reply_drops_after_the_last_chunks_reply(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw]
) -> None:
    proxy.script(Fault("after_reply", "drop"))
    client = connect()
    client.login(stack)
    msg = message(subject())
    client.send(MAIL + RCPT + bdat(msg))
    assert [client.reply()[0] for _ in range(3)] == [250, 250, 250]
    assert client.closed()
    [got] = delivered(stack, 1)
    assert got.endswith(msg)


def test_a_drop_inside_the_only_chunk_delivers_nothing(
    stack: Stack, proxy: FaultProxy, connect: Callable[[], Raw]
) -> None:
    # Dovecot delivers a complete LAST chunk even when the client is gone before the reply,
    # so "body" must cut the connection before the chunk's last byte.
    proxy.script(Fault("body", "drop"))
    client = connect()
    client.login(stack)
    client.send(MAIL + RCPT + bdat(message(subject())))
    assert [client.reply()[0] for _ in range(2)] == [250, 250]
    assert client.closed()
    time.sleep(2.0)  # Postfix queue_run_delay is 1 s: anything accepted would be here by now
    assert stack.fetch(ALICE, expect=0) == []


def test_how_dovecot_ends_a_chunking_transaction(stack: Stack, connect: Callable[[], Raw]) -> None:
    """No fault: the real server's answers, which decide when the client must RSET."""
    client = connect()
    client.login(stack)
    bad = b"RCPT TO:<no-domain>\r\n"
    first, second = message(subject()), message(subject())
    # (a) BDAT after the only RCPT was refused: 554, the chunk's bytes are read and dropped
    client.send(MAIL + bad + bdat(first))
    assert [client.reply()[0] for _ in range(3)] == [250, 501, 554]
    assert client.cmd(b"NOOP\r\n")[0] == 250
    # (b) a failed BDAT LAST does NOT end the transaction: MAIL, BDAT and DATA get 503 ...
    assert client.cmd(MAIL)[0] == 503  # "MAIL already given"
    assert client.cmd(RCPT)[0] == 250  # (added to the failed transaction)
    assert client.cmd(bdat(first))[1] == CHUNK_FAILED + b"\r\n"
    assert client.cmd(b"DATA\r\n")[0] == 503
    # ... until RSET
    assert client.cmd(b"RSET\r\n")[0] == 250
    client.send(MAIL + RCPT + bdat(first, 30))
    assert [client.reply()[0] for _ in range(4)] == [250, 250, 250, 250]
    # (c) a successful BDAT LAST ends it: the next MAIL needs no RSET, a stray BDAT gets 503
    assert client.cmd(bdat(b"abcd"))[1].startswith(b"503 5.5.0 MAIL needed first")
    assert client.cmd(b"RSET\r\n")[0] == 250  # the stray BDAT failed: it poisons the next one
    client.send(MAIL + RCPT + bdat(second))
    assert [client.reply()[0] for _ in range(3)] == [250, 250, 250]
    client.send(MAIL + RCPT + bdat(first))
    assert [client.reply()[0] for _ in range(3)] == [250, 250, 250]
    assert client.cmd(b"QUIT\r\n")[0] == 221
    got = delivered(stack, 3)
    assert sorted(m.endswith(first) for m in got) == [False, True, True]
    assert sum(m.endswith(second) for m in got) == 1


def test_without_chunking_keeps_the_multiline_framing() -> None:
    reply = b"250-mail.example.test\r\n250-PIPELINING\r\n250-BINARYMIME\r\n250 CHUNKING\r\n"
    assert without_chunking(reply) == b"250-mail.example.test\r\n250 PIPELINING\r\n"
    reply = b"250-mail.example.test\r\n250-chunking\r\n250 SIZE\r\n"
    assert without_chunking(reply) == b"250-mail.example.test\r\n250 SIZE\r\n"
    assert without_chunking(b"250 mail.example.test\r\n") == b"250 mail.example.test\r\n"
