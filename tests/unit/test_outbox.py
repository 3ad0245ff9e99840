"""The outbox: file format (property-based), streaming to disk, flush outcomes, lock, pacing."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outboxutil import OneByOne
from pysmail.config.limits import Limits
from pysmail.delivery import outbox
from pysmail.delivery.outbox import Envelope, Event, QueueState
from pysmail.delivery.pacing import Pacer
from pysmail.delivery.retry import REPLY_LOST_MSGID
from pysmail.errors import InputError, NetworkError, SmailError, SmtpReplyError
from pysmail.exitcodes import ErrCode
from pysmail.fs.lock import FileLock
from pysmail.mime.addresses import parse_address
from pysmail.mime.compose import MessageSpec, compose_bytes

H = "smtp.example.test"
MSG = b"From: a@example.test\r\nMessage-ID: <fixed.1@example.test>\r\nSubject: s\r\n\r\nbody\r\n"

envelopes = st.builds(
    Envelope,
    sender=st.text(),
    recipients=st.lists(st.text(), max_size=8).map(tuple),
    created=st.floats(allow_nan=False, allow_infinity=False),
    message_id=st.none() | st.text(),
    smtputf8=st.booleans(),
    eight_bit=st.booleans(),
)


# -- format -----------------------------------------------------------------------------------


@given(envelopes, st.binary(max_size=2000))
def test_header_round_trip(envelope: Envelope, body: bytes) -> None:
    data = outbox.encode_header(envelope) + body
    got, offset = outbox.decode_header(data)
    assert got == envelope
    assert data[offset:] == body
    assert outbox.encode_header(envelope).count(b"\n") == 2  # magic line + one JSON line


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,  # each example fsyncs a file: no time limit on a loaded machine
)
@given(envelopes, st.lists(st.binary(max_size=3000), max_size=6))
def test_file_round_trip(tmp_path: Path, envelope: Envelope, chunks: list[bytes]) -> None:
    spool = tmp_path / "spool"
    path = outbox.enqueue(spool, envelope, chunks)
    with outbox.open_message(path) as (got, body):
        data = b"".join(body)
    want_id = envelope.message_id
    if want_id is None:
        want_id = outbox.find_message_id(b"".join(chunks))
    assert got == Envelope(
        envelope.sender,
        envelope.recipients,
        envelope.created,
        want_id,
        envelope.smtputf8,
        envelope.eight_bit,
    )
    assert data == b"".join(chunks)
    path.unlink()


@given(st.binary(max_size=300))
def test_garbage_is_refused_cleanly(data: bytes) -> None:
    """Either an envelope or ValueError (json's errors and UnicodeDecodeError are ValueErrors);
    never KeyError, TypeError or AttributeError."""
    for candidate in (data, outbox.MAGIC + data, outbox.MAGIC + data + b"\n"):
        try:
            envelope, offset = outbox.decode_header(candidate)
        except ValueError:
            continue
        assert isinstance(envelope, Envelope) and offset <= len(candidate)


def test_message_id_is_read_from_the_header_block_only() -> None:
    head = b"Subject: x\r\nmessage-id:\r\n <a.b@c>\r\n\r\nMessage-ID: <body@x>\r\n"
    assert outbox.find_message_id(head) == "<a.b@c>"
    assert outbox.find_message_id(b"Subject: x\r\n\r\nMessage-ID: <no@x>\r\n") is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_files_are_private_and_written_in_one_rename(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    path = outbox.enqueue(spool, Envelope("a@x", ("b@x",), 1.0), [MSG])
    assert path.stat().st_mode & 0o077 == 0
    assert spool.stat().st_mode & 0o077 == 0
    assert [p.name for p in spool.iterdir()] == [path.name]  # no temporary file left


def test_the_message_is_streamed_not_held(tmp_path: Path) -> None:
    seen_on_disk: list[int] = []
    spool = tmp_path / "spool"

    def chunks() -> Iterator[bytes]:
        yield b"Message-ID: <m@x>\r\n\r\n"
        for _ in range(64):
            # While we produce, earlier chunks are already in the temporary file.
            tmp = [p for p in spool.iterdir() if p.name.endswith(".tmp")] if spool.exists() else []
            seen_on_disk.append(sum(p.stat().st_size for p in tmp))
            yield b"x" * 65536

    path = outbox.enqueue(spool, Envelope("a@x", ("b@x",), 1.0), chunks())
    assert path.stat().st_size > 64 * 65536
    assert seen_on_disk[-1] > 32 * 65536  # flushed to disk on the way (not all at the end)


def test_a_failing_message_stream_queues_nothing(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield MSG
        raise InputError(ErrCode.ATTACHMENT, "mime.attachment_unreadable", path="a", reason="r")

    spool = tmp_path / "spool"
    with pytest.raises(InputError):
        outbox.enqueue(spool, Envelope("a@x", ("b@x",), 1.0), chunks())
    assert list(spool.iterdir()) == []


def test_an_unwritable_spool_is_a_work_file_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SmailError) as caught:
        outbox.enqueue(blocker / "spool", Envelope("a@x", ("b@x",), 1.0), [MSG])
    assert caught.value.code is ErrCode.WORK_FILE
    assert "outbox" in str(caught.value)


# -- flush ------------------------------------------------------------------------------------


class Server:
    """A fake send_one: fails with the scripted errors in turn, then accepts."""

    def __init__(self, *errors: SmailError | None) -> None:
        self.errors = list(errors)
        self.delivered: list[tuple[Envelope, bytes]] = []
        self.calls = 0

    def __call__(self, envelope: Envelope, chunks: Iterable[bytes]) -> None:
        self.calls += 1
        data = b"".join(chunks)
        err = self.errors.pop(0) if self.errors else None
        if err is not None:
            raise err
        self.delivered.append((envelope, data))


class Now:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def temp(code: int = 451, text: str = "4.3.0 later") -> SmtpReplyError:
    return SmtpReplyError(
        ErrCode.TEMPORARY, "smtp.message_refused", smtp_code=code, reply=f"{code} {text}", host=H
    )


def perm() -> SmtpReplyError:
    return SmtpReplyError(
        ErrCode.HANDLING, "smtp.message_refused", smtp_code=550, reply="550 5.1.1 no", host=H
    )


def queue(spool: Path, now: Now, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        body = MSG.replace(b"fixed.1", f"m{i}".encode())
        paths.append(outbox.enqueue(spool, Envelope("a@x", (f"r{i}@x",), now()), [body]))
        now.now += 1
    return paths


def run(
    spool: Path, server: Server, now: Now, **kw: object
) -> tuple[outbox.FlushResult, list[Event]]:
    events: list[Event] = []
    delivery = OneByOne(server)
    result = outbox.flush(
        spool, delivery, report=events.append, clock=now, sleep=now.sleep, rng=lambda: 0.5, **kw
    )  # type: ignore[arg-type]
    return result, events


def test_flush_sends_oldest_first_and_removes_only_after_success(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 3)
    server = Server()
    result, events = run(spool, server, now)
    assert [e.recipients for e, _ in server.delivered] == [("r0@x",), ("r1@x",), ("r2@x",)]
    assert [e.kind for e in events] == ["sent"] * 3
    assert len(result.sent) == 3 and result.exit_code() == 0
    assert not list(spool.glob("*.msg")) and not list(spool.glob("*.state"))
    assert b"<m0@example.test>" in server.delivered[0][1]


def test_temporary_failure_stays_with_backoff_and_same_bytes(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    (path,) = queue(spool, now, 1)
    server = Server(temp(), temp())
    result, events = run(spool, server, now)
    assert result.deferred == [path.stem] and result.exit_code() == ErrCode.TEMPORARY
    entries, _ = outbox.entries(spool)
    assert entries[0].state.attempts == 1
    assert entries[0].state.next_try == pytest.approx(now.now + 0.5 * outbox.QUEUE_BASE)
    assert "451 4.3.0 later" in entries[0].state.last_error
    # Not due yet: a second flush does nothing.
    result, _ = run(spool, server, now)
    assert server.calls == 1 and not result.deferred
    now.now += outbox.QUEUE_BASE
    result, _ = run(spool, server, now)  # fails again: backoff doubles
    entries, _ = outbox.entries(spool)
    assert entries[0].state.attempts == 2
    assert entries[0].state.next_try == pytest.approx(now.now + 0.5 * 2 * outbox.QUEUE_BASE)
    now.now += 3600
    result, events = run(spool, server, now)
    assert result.sent == [path.stem] and events[-1].attempts == 3
    assert server.delivered[0][1] == MSG.replace(b"fixed.1", b"m0")


def test_permanent_failure_moves_to_failed_with_a_reason(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    first, second = queue(spool, now, 2)
    server = Server(perm())
    result, events = run(spool, server, now)
    assert result.failed == [first.stem] and result.sent == [second.stem]
    assert result.exit_code() == ErrCode.HANDLING
    moved = spool / "failed" / first.name
    assert moved.is_file()
    reason = moved.with_suffix(".reason").read_text()
    assert "ERR-0011" in reason and "550 5.1.1 no" in reason
    assert events[0].kind == "failed" and events[0].where == moved
    line = outbox.describe(events[0], "en")
    assert "Failed for good" in line and "<m0@example.test>" in line


def test_a_server_wide_failure_ends_the_run(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 3)
    refused = NetworkError(ErrCode.CONNECT, "smtp.connect_failed", host=H, port=25, reason="x")
    server = Server(refused)
    result, _ = run(spool, server, now)
    assert server.calls == 1 and len(result.deferred) == 1 and not result.sent
    throttled = Server(None, temp(421, "4.7.0 throttled"))
    now.now += 3600
    result, _ = run(spool, throttled, now)
    assert throttled.calls == 2 and len(result.sent) == 1 and len(result.deferred) == 1


def test_a_message_level_failure_goes_on_with_the_next(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 3)
    server = Server(NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H))
    result, _ = run(spool, server, now)
    assert server.calls == 3 and len(result.sent) == 2 and len(result.deferred) == 1


def test_a_lost_reply_after_the_dot_is_retried_and_reported(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    (path,) = queue(spool, now, 1)
    lost = NetworkError(ErrCode.RECEIVE, "smtp.receive_timeout", host=H, timeout=5)
    server = Server(lost)
    result, events = run(spool, server, now)
    assert events[0].kind == "deferred" and events[0].verdict is not None
    assert events[0].verdict.ambiguous
    assert events[0].error is not None and events[0].error.msgid == REPLY_LOST_MSGID
    entries, _ = outbox.entries(spool)
    assert entries[0].state.maybe_sent
    now.now += 3600
    result, _ = run(spool, server, now)
    assert result.maybe_duplicated == [path.stem]


def test_messages_queued_during_a_run_are_sent_by_it(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 1)
    server = Server()
    added: list[Path] = []

    def send_one(envelope: Envelope, chunks: Iterable[bytes]) -> None:
        server(envelope, chunks)
        if not added:
            added.append(outbox.enqueue(spool, Envelope("a@x", ("late@x",), now()), [MSG]))

    outbox.flush(spool, OneByOne(send_one), clock=now, sleep=now.sleep)
    assert [e.recipients for e, _ in server.delivered] == [("r0@x",), ("late@x",)]


def test_only_restricts_the_run_and_ignores_the_backoff(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    first, second = queue(spool, now, 2)
    server = Server(temp())
    run(spool, server, now, only=[second])
    assert server.calls == 1
    result, _ = run(spool, server, now, only=[second])  # --queue: try it now regardless
    assert result.sent == [second.stem] and first.exists()


def test_expired_messages_move_to_failed(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    (path,) = queue(spool, now, 1)
    now.now += outbox.LIFETIME + 1
    server = Server()
    result, events = run(spool, server, now)
    assert server.calls == 0 and result.failed == [path.stem]
    assert events[0].kind == "expired" and (spool / "failed" / path.name).is_file()


def test_corrupt_files_are_moved_aside_not_deleted(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "00000000000000000001-bad.msg").write_bytes(b"garbage")
    queue(spool, now, 1)
    result, events = run(spool, Server(), now)
    assert [e.kind for e in events] == ["corrupt", "sent"]
    assert (spool / "failed" / "00000000000000000001-bad.msg").read_bytes() == b"garbage"


def test_a_second_flush_finds_the_lock_held(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 1)
    server = Server()
    with FileLock(spool / outbox.LOCK_NAME, timeout=1):
        result, events = run(spool, server, now)
    assert result.busy and server.calls == 0 and result.exit_code() == 0
    assert outbox.describe(events[0], "en").startswith("Another smail --flush")
    result, _ = run(spool, server, now)
    assert len(result.sent) == 1


def test_pacing_waits_and_stops_when_the_wait_is_long(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 5)
    server = Server()
    pacer = Pacer(Limits("t", per_minute=2, per_day=4), clock=now)
    result, events = run(spool, server, now, pacer=pacer)
    kinds = [e.kind for e in events]
    # 2 at once, a minute's wait, 2 more, then the daily limit: the run stops.
    assert kinds == ["sent", "sent", "paced", "sent", "sent", "paced"]
    assert result.paced and len(result.sent) == 4 and result.exit_code() == ErrCode.TEMPORARY
    assert now.sleeps and max(now.sleeps) <= 60
    # The history is on disk: a new run with a fresh pacer still respects the daily limit.
    fresh = Pacer(Limits("t", per_minute=2, per_day=4), clock=now)
    result, _ = run(spool, server, now, pacer=fresh)
    assert result.paced and not result.sent


def test_too_many_recipients_for_the_provider_fails(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    path = outbox.enqueue(spool, Envelope("a@x", ("1@x", "2@x", "3@x"), now()), [MSG])
    result, _ = run(
        spool, Server(), now, pacer=Pacer(Limits("t", recipients_per_message=2), clock=now)
    )
    assert result.failed == [path.stem]


def test_list_lines_show_the_queue(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, 2)
    run(spool, Server(temp(), perm()), now)
    lines = outbox.list_lines(spool, "en", clock=now)
    text = "\n".join(lines)
    assert lines[0].startswith("Outbox ") and "0 message(s) queued" not in lines[0]
    assert "<m0@example.test>" in text and "attempts 1" in text and "451 4.3.0 later" in text
    assert "1 message(s) failed for good" in text
    ja = "\n".join(outbox.list_lines(spool, "ja", clock=now))
    assert "送信待ち" in ja


def test_keep_unsent_writes_a_private_copy_with_the_reason(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    err = temp()
    path = outbox.keep_unsent(spool, Envelope("a@x", ("b@x",), time.time()), [MSG], err)
    assert path.parent == spool / "unsent"
    with outbox.open_message(path) as (env, body):
        assert b"".join(body) == MSG and env.message_id == "<fixed.1@example.test>"
    assert "ERR-0029" in path.with_suffix(".reason").read_text()
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o077 == 0
    # Not sent by a flush; requeue() puts it back.
    server = Server()
    outbox.flush(spool, OneByOne(server))
    assert server.calls == 0
    outbox.requeue(path, spool)
    outbox.flush(spool, OneByOne(server))
    assert server.delivered[0][1] == MSG


def test_freeze_makes_every_compose_carry_the_same_message_id() -> None:
    spec = MessageSpec(from_=parse_address("a@example.test"), subject="s", text="t", message_id="")
    first, second = compose_bytes(spec), compose_bytes(spec)
    assert outbox.find_message_id(first) != outbox.find_message_id(second)
    frozen = outbox.freeze(spec, clock=lambda: 1_700_000_000.0)
    ids = {outbox.find_message_id(compose_bytes(frozen)) for _ in range(3)}
    assert len(ids) == 1 and next(iter(ids)).endswith("@example.test>")
    dates = {compose_bytes(frozen).split(b"Date: ")[1].split(b"\r\n")[0] for _ in range(3)}
    assert len(dates) == 1
    given_id = outbox.freeze(MessageSpec(from_=parse_address("a@example.test"), message_id="x1"))
    assert given_id.message_id == "<x1@example.test>"
    assert outbox.freeze(MessageSpec(from_=parse_address("a@x.test"))).message_id is None


def test_default_spool_per_platform(tmp_path: Path) -> None:
    home = tmp_path
    assert outbox.default_spool({}, platform="linux", home=home) == (
        home / ".local/share/pysmail/outbox"
    )
    assert outbox.default_spool({"XDG_DATA_HOME": "/d"}, platform="linux", home=home) == Path(
        "/d/pysmail/outbox"
    )
    assert outbox.default_spool({"XDG_DATA_HOME": "rel"}, platform="linux", home=home) == (
        home / ".local/share/pysmail/outbox"
    )
    assert outbox.default_spool({"LOCALAPPDATA": str(home / "L")}, platform="win32", home=home) == (
        home / "L/pysmail/outbox"
    )
    assert outbox.default_spool({}, platform="darwin", home=home) == (
        home / "Library/Application Support/pysmail/outbox"
    )


def test_state_file_is_atomic_json(tmp_path: Path) -> None:
    now = Now()
    spool = tmp_path / "spool"
    (path,) = queue(spool, now, 1)
    run(spool, Server(temp()), now)
    state = path.with_suffix(".state")
    assert state.read_bytes().startswith(b"{") and state.read_bytes().endswith(b"}\n")
    state.write_bytes(b"{broken")
    entries, _ = outbox.entries(spool)
    assert entries[0].state == QueueState(last_error="state file unreadable")
    assert not math.isnan(entries[0].state.next_try)
    if sys.platform != "win32":
        assert os.stat(path).st_mode & 0o077 == 0


class Pipelined:
    """A Delivery that learns outcomes as a pipelined connection does: each job is taken (and its
    stream made) one message ahead of its outcome, and the gate runs just before each job."""

    def __init__(self, *outcomes: tuple[SmailError | None, bool]) -> None:
        self.outcomes = list(outcomes)  # (error, maybe_duplicate) per job taken, then success
        self.taken: list[tuple[str, ...]] = []

    def run(self, next_job, on_result, gate=None, *, gate_drains=True) -> None:  # type: ignore[no-untyped-def]
        from pysmail.delivery.scheduler import Result

        job = next_job()
        while job is not None:
            self.taken.append(job.recipients)
            try:
                if gate is not None:
                    gate(job)
            except SmailError as err:
                on_result(Result(job, None, err, 0))
                job = next_job()
                continue
            job.chunks()
            ahead = next_job()  # the next job is taken before this one's answer
            err, maybe = self.outcomes.pop(0) if self.outcomes else (None, False)
            on_result(Result(job, None, err, 1, maybe))
            job = ahead

    def close(self) -> None:
        return None


def closed() -> NetworkError:
    return NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H)


def _run_pipelined(
    tmp_path: Path, count: int, *outcomes: tuple[SmailError | None, bool]
) -> tuple[Path, Pipelined, list[Event]]:
    """`count` messages queued, flushed by a Pipelined delivery with these outcomes."""
    now = Now()
    spool = tmp_path / "spool"
    queue(spool, now, count)
    delivery = Pipelined(*outcomes)
    events: list[Event] = []
    outbox.flush(spool, delivery, report=events.append, clock=now, sleep=now.sleep, rng=lambda: 0.5)  # type: ignore[arg-type]
    return spool, delivery, events


def test_a_server_wide_failure_leaves_the_message_behind_it_untried(tmp_path: Path) -> None:
    spool, delivery, events = _run_pipelined(
        tmp_path, 3, (temp(421, "4.7.0 closing"), False), (closed(), False)
    )
    assert [(e.kind, e.envelope.recipients) for e in events if e.envelope] == [
        ("deferred", ("r0@x",))
    ]
    assert delivery.taken == [("r0@x",), ("r1@x",)]  # the third was never taken
    found, _ = outbox.entries(spool)
    assert [e.state.attempts for e in found] == [1, 0, 0]  # r1 was in flight: not tried


def test_the_message_behind_a_lost_reply_goes_again(tmp_path: Path) -> None:
    lost = closed()
    # r0's reply is lost; r1, in flight behind it, fails by the same failure: not tried
    _, delivery, events = _run_pipelined(tmp_path, 3, (lost, True), (lost, False))
    assert [(e.kind, e.envelope.recipients) for e in events if e.envelope] == [
        ("deferred", ("r0@x",)),
        ("sent", ("r2@x",)),
        ("sent", ("r1@x",)),
    ]
    assert delivery.taken == [("r0@x",), ("r1@x",), ("r2@x",), ("r1@x",)]


def test_a_connection_lost_on_its_own_defers_the_message(tmp_path: Path) -> None:
    spool, _, events = _run_pipelined(tmp_path, 2, (closed(), False))
    assert [e.kind for e in events] == ["deferred", "sent"]
    assert outbox.entries(spool)[0][0].state.attempts == 1


def test_a_reply_lost_after_the_data_is_ambiguous(tmp_path: Path) -> None:
    spool, _, events = _run_pipelined(tmp_path, 1, (closed(), True))
    assert events[0].kind == "deferred" and events[0].error is not None
    assert events[0].error.msgid == REPLY_LOST_MSGID
    assert events[0].verdict is not None and events[0].verdict.ambiguous
    assert outbox.entries(spool)[0][0].state.maybe_sent
