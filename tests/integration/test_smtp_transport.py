"""Transport: write coalescing, reply reads over many recv() calls, error mapping (loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.net import transport as transport_module
from pysmail.net.transport import WRITE_BUFFER
from pysmail.smtp.content import DotStuffer
from pysmail.smtp.replies import Reply
from pysmail.smtp.wire import SmtpTransport as Transport


class CountingSocket:
    """Wraps one end of a socketpair; counts sendall() calls (socket objects take no attrs)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sends: list[int] = []
        self.timeouts: list[float] = []
        self.after_recv: list[Callable[[], object]] = []  # run after each recv(), in turn

    def sendall(self, data: bytes) -> None:
        self.sends.append(len(data))
        self.sock.sendall(data)

    def recv(self, size: int) -> bytes:
        data = self.sock.recv(size)
        if self.after_recv:
            self.after_recv.pop(0)()
        return data

    def settimeout(self, value: float) -> None:
        self.timeouts.append(value)
        self.sock.settimeout(value)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 0)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def pair() -> Iterator[tuple[Transport, CountingSocket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.settimeout(2)
    theirs.settimeout(2)
    counting = CountingSocket(ours)
    transport = Transport(counting, "peer.test", 2.0)  # type: ignore[arg-type]
    yield transport, counting, theirs
    transport.close()
    theirs.close()


def _drain(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return data


def test_small_writes_are_coalesced_into_64k_sends(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    transport, counting, theirs = pair
    import threading

    total = 10_000 * 81  # 79 digits + CRLF after stuffing
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(_drain(theirs, total)))
    reader.start()
    stuffer = DotStuffer()
    for i in range(10_000):
        transport.write(stuffer.feed(b"%079d\n" % i))
    transport.flush()
    reader.join(10)
    assert len(got[0]) == total and got[0].count(b"\r\n") == 10_000  # every LF became CRLF
    assert len(counting.sends) <= total // WRITE_BUFFER + 2
    assert all(n >= WRITE_BUFFER for n in counting.sends[:-1])


def test_large_write_is_sent_without_copy_into_the_buffer(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    transport, counting, theirs = pair
    import threading

    big = b"y" * (3 * WRITE_BUFFER)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(_drain(theirs, len(big))))
    reader.start()
    transport.write(big)
    reader.join(10)
    assert counting.sends == [len(big)] and got == [big]


def test_replies_split_across_reads_and_pipelined_replies(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    transport, _counting, theirs = pair
    theirs.sendall(b"250-a\r\n25")
    theirs.sendall(b"0 b\r\n250 c\r\n550 d\r\n")
    assert transport.read_reply() == Reply(250, ("a", "b"))
    assert transport.read_reply() == Reply(250, ("c",))
    assert transport.read_reply() == Reply(550, ("d",))


def test_a_reply_in_one_read_changes_no_timeout(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    """The socket's own timeout is the whole wait of a first read (D39): a batch's one-read
    replies cost no settimeout calls; a reply in pieces arms the deadline, then restores."""
    transport, counting, theirs = pair
    theirs.sendall(b"250 a\r\n250 b\r\n")
    assert transport.read_reply() == Reply(250, ("a",))
    assert transport.read_reply() == Reply(250, ("b",))
    assert counting.timeouts == []
    theirs.sendall(b"250-c\r\n")
    counting.after_recv.append(lambda: theirs.sendall(b"250 d\r\n"))  # once "250-c" is read
    assert transport.read_reply() == Reply(250, ("c", "d"))
    assert len(counting.timeouts) == 2
    assert all(t <= 2.0 for t in counting.timeouts) and counting.timeouts[-1] == 2.0


def test_read_reply_flushes_pending_writes_first(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    transport, _counting, theirs = pair
    transport.write(b"NOOP\r\n")
    theirs.sendall(b"250 ok\r\n")
    assert transport.read_reply().code == 250
    assert theirs.recv(100) == b"NOOP\r\n"


def test_eof_is_receive_error(pair: tuple[Transport, CountingSocket, socket.socket]) -> None:
    transport, _counting, theirs = pair
    theirs.sendall(b"250-partial\r\n")
    theirs.shutdown(socket.SHUT_WR)
    with pytest.raises(NetworkError) as info:
        transport.read_reply()
    assert info.value.code == ErrCode.RECEIVE and info.value.msgid == "smtp.connection_closed"


def test_send_to_closed_peer_is_send_error(
    pair: tuple[Transport, CountingSocket, socket.socket],
) -> None:
    transport, _counting, theirs = pair
    theirs.close()
    with pytest.raises(NetworkError) as info:
        for _ in range(100):  # the first sends may still land in the kernel buffer
            transport.write_all(b"z" * WRITE_BUFFER)
    assert info.value.code == ErrCode.SEND and info.value.msgid == "smtp.send_failed"


def test_tls_info_is_none_in_clear(pair: tuple[Transport, CountingSocket, socket.socket]) -> None:
    assert pair[0].tls_info() is None and not pair[0].is_tls


def test_name_lookup_failure_is_host_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real failing lookup would query a resolver off loopback; fail it locally instead.
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(transport_module.socket, "create_connection", fail)
    with pytest.raises(NetworkError) as info:
        Transport.connect("mail.invalid", 25, 1.0)
    assert info.value.code == ErrCode.HOST_LOOKUP
    assert info.value.params == {"host": "mail.invalid", "reason": "Name or service not known"}


def test_connect_timeout_is_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        raise TimeoutError("timed out")

    monkeypatch.setattr(transport_module.socket, "create_connection", slow)
    with pytest.raises(NetworkError) as info:
        Transport.connect("192.0.2.1", 25, 0.5)
    assert info.value.code == ErrCode.CONNECT and info.value.msgid == "smtp.connect_timeout"
