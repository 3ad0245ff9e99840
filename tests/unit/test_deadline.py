"""pysmail.net.deadline: the overall bound of one network wait (D20), on a fake clock; the signals
during a token request (oauth/signals.py request_signals)."""

from __future__ import annotations

import io
import signal
import socket
from pathlib import Path

import pytest

from pysmail.errors import OAuthError
from pysmail.net.deadline import Deadline, DeadlineIO
from pysmail.oauth.signals import GRACE, request_signals
from pysmail.oauth.tokenfile import parse_token_file


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_call_gets_the_per_read_timeout_capped_by_what_is_left() -> None:
    clock = Clock()
    deadline = Deadline(10.0, per_read=4.0, clock=clock)
    assert deadline.timeout() == 4.0
    clock.now += 7.5
    assert deadline.timeout() == pytest.approx(2.5)
    assert deadline.remaining() == pytest.approx(2.5)
    clock.now += 2.5
    with pytest.raises(TimeoutError):  # what a socket timeout raises: callers map it already
        deadline.timeout()


def test_per_read_defaults_to_the_whole_wait() -> None:
    clock = Clock()
    deadline = Deadline(3.0, clock=clock)
    assert deadline.timeout() == 3.0
    clock.now += 1.0
    assert deadline.timeout() == pytest.approx(2.0)


def test_a_reader_whose_deadline_is_spent_stops_though_bytes_keep_coming() -> None:
    clock = Clock()
    left, right = socket.socketpair()
    with left, right:
        reader = io.BufferedReader(DeadlineIO(left, Deadline(5.0, clock=clock)))
        right.sendall(b"+OK one\r\n+OK tw")
        assert reader.readline() == b"+OK one\r\n"
        clock.now += 5.0
        right.sendall(b"o\r\n")  # there, but the wait is over
        with pytest.raises(TimeoutError):
            reader.readline()
        reader.close()


def test_the_socket_stays_open_until_the_reader_is_closed() -> None:
    """urllib closes the connection's socket before the body is read (as with makefile())."""
    left, right = socket.socketpair()
    with right:
        reader = io.BufferedReader(DeadlineIO(left, Deadline(5.0)))
        left.close()
        right.sendall(b"body")
        assert reader.read(4) == b"body"
        reader.close()
    assert left.fileno() == -1


@pytest.mark.parametrize("raw", ["1e308", "inf", "86400", "100000"])
def test_oauth2_time_out_of_a_day_or_more_is_refused(raw: str) -> None:
    doc = parse_token_file(Path("t.ini"), f"[OAUTH2]\nOAUTH2_TIME_OUT={raw}\n".encode())
    with pytest.raises(OAuthError) as info:
        doc.timeout  # noqa: B018
    assert info.value.msgid == "oauth.token_file_bad_timeout"
    assert info.value.params["value"] == raw


def test_request_signals_act_at_once_then_hurry_then_hold() -> None:
    """Ctrl+C, with a recording handler of the test's own in place of KeyboardInterrupt."""
    got: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    try:
        with request_signals():  # nothing asked yet: no token can be spent, the signal acts now
            signal.raise_signal(signal.SIGINT)
            assert got == [signal.SIGINT]
        got.clear()
        with request_signals() as signals:
            Deadline.asked = True  # what the token request's connection sets once it has sent
            signal.raise_signal(signal.SIGINT)
            assert got == []
            assert Deadline.hurry_at is not None
            assert 0 < Deadline(60.0).remaining() <= GRACE  # every wait is cut to the grace
            signals.hold()
            signal.raise_signal(signal.SIGINT)
            assert got == []
        assert got == [signal.SIGINT]  # delivered once, when the block ends
        assert Deadline.hurry_at is None and not Deadline.asked
    finally:
        signal.signal(signal.SIGINT, previous)
        Deadline.reset()
