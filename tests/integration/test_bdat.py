"""BDAT (RFC 3030 CHUNKING) against the real servers: Dovecot submission and the Postfix relay
both offer it, so every send of the suite goes through it; these tests cover what only BDAT
has: several chunks read one chunk late, a chunk refused mid-message (Postfix's size limit),
a refused recipient whose chunk went out in the same write, and `chunking=False`."""

from __future__ import annotations

import re
import uuid

import pytest

from pysmail.delivery.scheduler import Job, Result, deliver
from pysmail.errors import SmtpReplyError
from pysmail.exitcodes import ErrCode
from pysmail.sasl import AuthRequest
from pysmail.smtp.connection import SmtpConnection
from pysmail.smtp.content import CHUNK_SIZE
from pysmail.smtp.session import SmtpParams, send
from pysmail.smtp.trace import Trace
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
REJECTED = "rejected@example.test"  # the stack's Postfix refuses it at RCPT (550 5.1.1)


def _dovecot(stack: Stack, **kw: object) -> tuple[SmtpParams, AuthRequest]:
    params = SmtpParams(stack.host, stack.submission, "starttls", stack.cafile, timeout=20.0, **kw)  # type: ignore[arg-type]
    return params, AuthRequest("PLAIN", ALICE, password=lambda: stack.users[ALICE])


def _relay(stack: Stack) -> SmtpParams:
    return SmtpParams(stack.relay_host, stack.relay, "none", timeout=20.0)


def _small(subject: str) -> bytes:
    return f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()


def _bdat_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.startswith("Send: BDAT ")]


def test_a_big_message_goes_in_chunks_and_arrives_byte_for_byte(stack: Stack) -> None:
    stack.clear(BOB)
    subject = f"big {uuid.uuid4().hex}"
    head = f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\n".encode()
    # lines with leading dots and bare LFs: no dot-stuffing with BDAT, line ends made CRLF
    body = b"".join(b".%06d dotted line, then a bare LF\n" % i for i in range(90_000))
    pieces = [head] + [body[i : i + 60_000] for i in range(0, len(body), 60_000)]
    lines: list[str] = []
    params, auth = _dovecot(stack)
    reply = send(params, ALICE, [BOB], pieces, auth=auth, trace=Trace(lines.append))
    assert reply.code == 250
    chunks = _bdat_lines(lines)
    assert len(chunks) == (len(head) + len(body) + 90_000) // CHUNK_SIZE + 1 >= 3
    assert all(re.fullmatch(r"Send: BDAT \d+", ln) for ln in chunks[:-1])
    assert re.fullmatch(r"Send: BDAT \d+ LAST", chunks[-1])
    sizes = [int(ln.split()[2]) for ln in chunks]
    assert sum(sizes) == len(head) + len(body) + 90_000  # every LF became CRLF
    assert "Send: DATA" not in lines and "Send: ." not in lines
    (received,) = stack.fetch(BOB, expect=1, timeout=20.0)
    assert received.endswith(head + body.replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("server", ["dovecot", "postfix"])
def test_a_refused_recipient_whose_chunk_went_with_it_delivers_nothing(
    stack: Stack, server: str
) -> None:
    """MAIL, RCPT and `BDAT n LAST` with the message go out in one write: the server refuses
    the RCPT and then the chunk (554 no valid recipients); the same connection then sends the
    next message (Dovecot keeps the failed transaction open: RSET goes first)."""
    stack.clear(BOB)
    lines: list[str] = []
    if server == "dovecot":
        params, auth = _dovecot(stack)
    else:
        params, auth = _relay(stack), None
    conn = SmtpConnection.open(params, auth=auth, trace=Trace(lines.append))
    try:
        refused = _small("refused")
        with pytest.raises(SmtpReplyError) as info:
            conn.send(ALICE, [REJECTED], [refused])
        assert info.value.code == ErrCode.HANDLING and info.value.smtp_code == 550
        assert info.value.params["recipient"] == REJECTED
        mail = lines.index(f"Send: MAIL FROM:<{ALICE}>")
        chunk = f"Send: BDAT {len(refused)} LAST"
        assert lines[mail + 1 : mail + 3] == [f"Send: RCPT TO:<{REJECTED}>", chunk]
        assert any(ln.startswith("Recv: 554 ") for ln in lines)  # the chunk's refusal, read
        subject = f"after {uuid.uuid4().hex}"
        assert conn.send(ALICE, [BOB], [_small(subject)]).code == 250
        assert "Send: RSET" in lines
    finally:
        conn.close()
    (received,) = stack.fetch(BOB, expect=1)
    assert subject.encode() in received


def test_a_chunk_over_the_size_limit_is_refused_and_the_connection_goes_on(stack: Stack) -> None:
    """Postfix (SIZE 10240000) refuses the chunk that crosses its limit (552): the message
    fails with the server's reply, the chunks after it are not sent, the next message is."""
    stack.clear(BOB)
    lines: list[str] = []
    conn = SmtpConnection.open(_relay(stack), trace=Trace(lines.append))
    line = b"y" * 76 + b"\r\n"
    big = [_small("too big")] + [line * 1000] * 256  # 20 MB in 78 KB pieces
    try:
        with pytest.raises(SmtpReplyError) as info:
            conn.send(ALICE, [BOB], big)
        assert info.value.code == ErrCode.HANDLING and info.value.smtp_code == 552
        assert "message_refused" in info.value.msgid
        sent = sum(int(ln.split()[2]) for ln in _bdat_lines(lines))
        assert sent < 13_000_000  # 10.24 MB limit, one chunk (~1 MB) in flight: the rest stayed
        assert not any(ln.endswith(" LAST") for ln in _bdat_lines(lines))
        subject = f"next {uuid.uuid4().hex}"
        assert conn.send(ALICE, [BOB], [_small(subject)]).code == 250
    finally:
        conn.close()
    (received,) = stack.fetch(BOB, expect=1)
    assert subject.encode() in received


def test_dovecot_refusing_the_last_chunk_needs_rset_and_gets_it(stack: Stack) -> None:
    """Dovecot takes chunks of an oversized message ("250 Added") and refuses at BDAT LAST
    (its relay's 10 MB limit); it then keeps the failed transaction until RSET (503 to a
    new MAIL): the next message on the same connection goes out behind an RSET."""
    stack.clear(BOB)
    lines: list[str] = []
    params, auth = _dovecot(stack)
    conn = SmtpConnection.open(params, auth=auth, trace=Trace(lines.append))
    line = b"z" * 76 + b"\r\n"
    try:
        with pytest.raises(SmtpReplyError) as info:
            conn.send(ALICE, [BOB], [_small("too big")] + [line * 1000] * 140)  # 10.9 MB
        assert info.value.code == ErrCode.HANDLING and info.value.smtp_code // 100 == 5
        subject = f"after {uuid.uuid4().hex}"
        assert conn.send(ALICE, [BOB], [_small(subject)]).code == 250
    finally:
        conn.close()
    at = next(i for i, ln in enumerate(lines) if ln.endswith(" LAST"))  # the big one
    assert "Send: RSET" in lines[at:]
    assert not any(ln.startswith("Recv: 503") for ln in lines)
    (received,) = stack.fetch(BOB, expect=1)
    assert subject.encode() in received


def test_chunking_off_keeps_data(stack: Stack) -> None:
    stack.clear(BOB)
    lines: list[str] = []
    params, auth = _dovecot(stack, chunking=False)
    subject = f"data {uuid.uuid4().hex}"
    send(
        params, ALICE, [BOB], [_small(subject) + b".dot\r\n"], auth=auth, trace=Trace(lines.append)
    )
    assert "Send: DATA" in lines and "Send: ." in lines and not _bdat_lines(lines)
    (received,) = stack.fetch(BOB, expect=1)
    assert received.endswith(b"hello\r\n.dot\r\n")


def test_pipelined_batch_with_bdat_and_a_refused_row_in_the_middle(stack: Stack) -> None:
    """Postfix: each message's chunk goes out behind the previous one's (pipelined across
    messages); a refused row in the middle fails alone, every other row is delivered once."""
    stack.clear(BOB)
    mark = uuid.uuid4().hex[:8]
    rows = [REJECTED if n in (7, 8, 30) else BOB for n in range(40)]
    jobs = iter(
        Job(n, ALICE, (to,), lambda n=n: [_small(f"row {n} {mark}")]) for n, to in enumerate(rows)
    )
    results: list[Result] = []
    lines: list[str] = []
    deliver(
        lambda: next(jobs, None),
        lambda: SmtpConnection.open(_relay(stack), trace=Trace(lines.append)),
        results.append,
    )
    assert [r.job.tag for r in results] == list(range(40))
    failed = [r.job.tag for r in results if r.error is not None]
    assert failed == [7, 8, 30]
    assert all(r.attempts == 1 and not r.maybe_duplicate for r in results)
    assert sum(ln.startswith("Send: BDAT ") for ln in lines) == 40
    got = stack.fetch(BOB, expect=37, timeout=20.0)
    subjects = sorted(int(m.split(b"Subject: row ")[1].split()[0]) for m in got)
    assert subjects == [n for n in range(40) if n not in (7, 8, 30)]
