"""Failure classes, backoff with jitter, the retry loop, and provider pacing (pure, no I/O)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.config.limits import PRESETS, Limits, limits_for
from pysmail.delivery.pacing import DAY, MINUTE, Pacer
from pysmail.delivery.retry import (
    REPLY_LOST_MSGID,
    Attempt,
    TrackedStream,
    backoff,
    classify,
    run_with_retry,
    send_tracked,
)
from pysmail.errors import (
    AuthError,
    ConfigError,
    InputError,
    NetworkError,
    OAuthError,
    Pop3Error,
    SmailError,
    SmtpReplyError,
    UsageError,
)
from pysmail.exitcodes import ErrCode
from pysmail.smtp.content import DataContent, one_block

H = "smtp.example.test"


def reply_error(code: int, text: str) -> SmtpReplyError:
    kind = ErrCode.TEMPORARY if code // 100 == 4 else ErrCode.HANDLING
    return SmtpReplyError(
        kind, "smtp.message_refused", smtp_code=code, reply=f"{code} {text}", host=H
    )


# -- classify ---------------------------------------------------------------------------------

TEMPORARY_CASES: list[tuple[SmailError, str]] = [
    (reply_error(451, "4.3.0 Try again later"), "message"),
    (reply_error(452, "4.3.1 Insufficient system storage"), "message"),
    (reply_error(450, "4.2.1 Mailbox busy"), "message"),
    (reply_error(421, "4.3.2 Service not available"), "server"),
    (reply_error(451, "4.7.1 Rate limited"), "server"),
    (reply_error(452, "4.7.0 Throttled"), "server"),
    (reply_error(450, "4.7.500 Server busy. Please try again later (Exchange)"), "server"),
    (AuthError(ErrCode.TEMPORARY, "smtp.auth_temporary", host=H), "server"),
    (NetworkError(ErrCode.HOST_LOOKUP, "smtp.host_lookup", host=H, reason="x"), "server"),
    (NetworkError(ErrCode.CONNECT, "smtp.connect_failed", host=H, port=25, reason="x"), "server"),
    (NetworkError(ErrCode.CONNECT, "smtp.connect_timeout", host=H, port=25, timeout=3), "server"),
    (NetworkError(ErrCode.SEND, "smtp.send_failed", host=H, reason="x"), "message"),
    (NetworkError(ErrCode.RECEIVE, "smtp.receive_timeout", host=H, timeout=3), "message"),
    (NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H), "message"),
    (NetworkError(ErrCode.TLS, "smtp.tls_failed", host=H, reason="EOF"), "server"),
    (
        NetworkError(ErrCode.STARTTLS, "smtp.starttls_refused", host=H, reply="454 4.7.0 later"),
        "server",
    ),
    (OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.http_timeout", url="u", timeout=30), "server"),
    (
        OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.http_connect_failed", url="u", reason="r"),
        "server",
    ),
    (OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.http_status", url="u", status=503), "server"),
    (OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.http_status", url="u", status=429), "server"),
    (
        OAuthError(
            ErrCode.NO_ACCESS_TOKEN,
            "oauth.provider_error",
            url="u",
            error="server_error",
            description="-",
            path="p",
        ),
        "server",
    ),  # fmt: skip
    (
        OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.discovery_failed", issuer="i", reason="HTTP 502"
        ),
        "server",
    ),
    (OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.lock_timeout", path="p", timeout="5"), "server"),
    (Pop3Error(ErrCode.POP3_TIMEOUT, "pop3.timeout", host=H), "server"),
    (Pop3Error(ErrCode.POP3_CONNECT, "pop3.connect_failed", host=H), "server"),
]

PERMANENT_CASES: list[SmailError] = [
    reply_error(550, "5.1.1 No such user"),
    reply_error(554, "5.7.1 Relay denied"),
    reply_error(552, "5.3.4 Message too big"),
    AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", host=H),
    AuthError(ErrCode.AUTH_UNAVAILABLE, "smtp.auth_refused", host=H),
    UsageError(ErrCode.RECIPIENT, "smtp.no_recipients"),
    InputError(ErrCode.ATTACHMENT, "mime.attachment_missing", path="a"),
    ConfigError(ErrCode.CONFIG, "config.bad_value"),
    NetworkError(ErrCode.TLS, "smtp.tls_verify_failed", host=H, reason="x"),
    NetworkError(ErrCode.TLS, "smtp.tls_cafile", cafile="c", reason="x"),
    NetworkError(ErrCode.STARTTLS, "smtp.starttls_not_offered", host=H),
    NetworkError(ErrCode.STARTTLS, "smtp.starttls_refused", host=H, reply="502 5.5.1 no"),
    OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.http_status", url="u", status=404),
    OAuthError(
        ErrCode.NO_ACCESS_TOKEN,
        "oauth.invalid_grant",
        url="u",
        error="invalid_grant",
        description="-",
        path="p",
    ),  # fmt: skip
    OAuthError(
        ErrCode.NO_ACCESS_TOKEN,
        "oauth.provider_error",
        url="u",
        error="access_denied",
        description="-",
        path="p",
    ),  # fmt: skip
    OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_missing", path="p"),
    Pop3Error(ErrCode.POP3_LOGIN, "pop3.login_failed", host=H),
    SmailError(ErrCode.HANDLING, "smtp.smtputf8_unsupported", host=H),
    SmailError(ErrCode.UNKNOWN, "main.internal", kind="X"),
]


@pytest.mark.parametrize(("err", "scope"), TEMPORARY_CASES, ids=lambda v: getattr(v, "msgid", v))
def test_temporary_failures(err: SmailError, scope: str) -> None:
    verdict = classify(err)
    assert verdict.temporary and not verdict.permanent, err
    assert verdict.scope == scope, err
    assert not verdict.ambiguous


@pytest.mark.parametrize("err", PERMANENT_CASES, ids=lambda e: e.msgid)
def test_permanent_failures(err: SmailError) -> None:
    verdict = classify(err)
    assert verdict.permanent, err
    # Even after the data went out, a refusal or bad input is never "maybe delivered".
    assert not classify(err, data_sent=True).ambiguous


def test_a_network_failure_after_the_data_is_ambiguous() -> None:
    closed = NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H)
    assert not classify(closed).ambiguous
    assert classify(closed, data_sent=True).ambiguous
    assert classify(closed, data_sent=True).temporary
    lost = NetworkError(ErrCode.RECEIVE, REPLY_LOST_MSGID, host=H, reason="x")
    assert classify(lost).ambiguous
    refused_after_data = reply_error(451, "4.3.0 later")
    assert not classify(refused_after_data, data_sent=True).ambiguous  # the server answered


# -- TrackedStream and send_tracked -----------------------------------------------------------


def test_tracked_stream_finishes_only_when_consumed_to_the_end() -> None:
    stream = TrackedStream([b"ab", b"cd"])
    it = iter(stream)
    assert next(it) == b"ab" and not stream.finished
    assert next(it) == b"cd" and not stream.finished
    with pytest.raises(StopIteration):
        next(it)
    assert stream.finished and stream.size == 4


def test_a_stream_of_one_data_content_block_is_taken_whole() -> None:
    """content.one_block takes it (the pump writes it as it is): finished, its size counted."""
    block = DataContent(b"Subject: a\r\n\r\nbody\r\n")
    stream = TrackedStream((block,))
    assert not stream.finished
    assert one_block(stream) is block
    assert stream.finished and stream.size == len(block)
    for chunks in ([block], (b"body\r\n",), (block, block)):  # not one block: nothing taken
        other = TrackedStream(chunks)
        assert one_block(other) is None and not other.finished and other.size == 0


def _consume_then(err: SmailError, consume: int):  # type: ignore[no-untyped-def]
    def send(stream):  # type: ignore[no-untyped-def]
        it = iter(stream)
        for _ in range(consume):
            next(it, None)
        raise err

    return send


def test_send_tracked_renames_a_failure_after_the_last_chunk() -> None:
    err = NetworkError(ErrCode.RECEIVE, "smtp.receive_timeout", host=H, timeout=5)
    with pytest.raises(NetworkError) as caught:
        send_tracked(_consume_then(err, 3), [b"a", b"b"])
    assert caught.value.msgid == REPLY_LOST_MSGID
    assert caught.value.code is ErrCode.RECEIVE
    assert caught.value.params["host"] == H
    assert "5 seconds" in str(caught.value.params["reason"])
    assert caught.value.__cause__ is err
    assert "may have been delivered" in str(caught.value)


def test_send_tracked_keeps_failures_before_the_end_and_replies() -> None:
    err = NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H)
    with pytest.raises(NetworkError) as caught:
        send_tracked(_consume_then(err, 1), [b"a", b"b"])
    assert caught.value is err
    refusal = reply_error(451, "4.3.0 later")
    with pytest.raises(SmtpReplyError) as refused:
        send_tracked(_consume_then(refusal, 3), [b"a"])
    assert refused.value is refusal


def test_send_tracked_returns_the_result() -> None:
    assert send_tracked(lambda s: b"".join(s), [b"a", b"b"]) == b"ab"


# -- backoff ----------------------------------------------------------------------------------


@given(st.integers(0, 200), st.floats(0, 1, exclude_max=True))
def test_backoff_is_full_jitter_within_the_cap(attempt: int, roll: float) -> None:
    wait = backoff(attempt, base=2.0, cap=300.0, rng=lambda: roll)
    assert 0.0 <= wait <= min(300.0, 2.0 * 2**attempt)
    assert wait == pytest.approx(min(300.0, 2.0 * 2.0 ** min(attempt, 62)) * roll)


def test_backoff_grows_exponentially_then_caps() -> None:
    top = [backoff(n, base=1.0, cap=100.0, rng=lambda: 0.999999) for n in range(10)]
    assert top[:7] == pytest.approx([1, 2, 4, 8, 16, 32, 64], rel=1e-5)
    assert top[7:] == pytest.approx([100, 100, 100], rel=1e-5)
    with pytest.raises(ValueError):
        backoff(-1, base=1.0, cap=1.0, rng=lambda: 0.5)


# -- run_with_retry ---------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _failing(errors: list[SmailError], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_retries_temporary_failures_until_success() -> None:
    t = FakeTime()
    closed = NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=H)
    fn, calls = _failing([reply_error(451, "4.3.0 x"), closed])
    seen: list[Attempt] = []
    got = run_with_retry(
        fn, deadline=t.now + 60, clock=t.clock, sleep=t.sleep, rng=lambda: 0.5, base=2.0,
        on_retry=seen.append,
    )  # fmt: skip
    assert got == "ok" and len(calls) == 3
    assert t.sleeps == [1.0, 2.0]  # 0.5 * 2 * 2**n
    assert [a.number for a in seen] == [1, 2] and seen[1].error is closed


def test_permanent_failures_are_not_retried() -> None:
    t = FakeTime()
    refused = reply_error(550, "5.1.1 no such user")
    fn, calls = _failing([refused])
    with pytest.raises(SmtpReplyError) as caught:
        run_with_retry(fn, deadline=t.now + 600, clock=t.clock, sleep=t.sleep, rng=lambda: 0.5)
    assert caught.value is refused and len(calls) == 1 and not t.sleeps


def test_the_deadline_is_never_passed() -> None:
    t = FakeTime()
    start = t.now
    errors: list[SmailError] = [reply_error(451, "4.3.0 x") for _ in range(100)]
    fn, calls = _failing(errors)
    with pytest.raises(SmtpReplyError):
        run_with_retry(
            fn, deadline=start + 30, clock=t.clock, sleep=t.sleep, rng=lambda: 0.999, base=1.0,
        )  # fmt: skip
    assert t.now <= start + 30
    assert sum(t.sleeps) <= 30
    assert len(calls) == len(t.sleeps) + 1 and 3 <= len(calls) < 10


def test_zero_deadline_means_one_attempt() -> None:
    t = FakeTime()
    fn, calls = _failing([reply_error(451, "4.3.0 x")])
    with pytest.raises(SmtpReplyError):
        run_with_retry(fn, deadline=t.now, clock=t.clock, sleep=t.sleep, rng=lambda: 0.5)
    assert len(calls) == 1


# -- pacing -----------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_microsoft365_allows_30_messages_a_minute() -> None:
    clock = Clock()
    pacer = Pacer(PRESETS["microsoft365"], clock=clock)
    start = clock.now
    for i in range(30):
        assert pacer.delay(1) == 0.0, i
        pacer.record(1)
        clock.now += 0.5
    # 30 sent in 15 s: the 31st waits until the first leaves the 60 s window.
    assert pacer.delay(1) == pytest.approx(start + MINUTE - clock.now)
    clock.now = start + MINUTE + 0.001
    assert pacer.delay(1) == 0.0


def test_a_simulated_bulk_run_never_exceeds_the_limits() -> None:
    clock = Clock()
    limits = Limits("t", per_minute=30, per_day=100, recipients_per_day=150)
    pacer = Pacer(limits, clock=clock)
    sent: list[tuple[float, int]] = []
    for i in range(100):
        wait = pacer.delay(1 + i % 3)
        clock.now += wait
        assert pacer.delay(1 + i % 3) == 0.0
        pacer.record(1 + i % 3)
        sent.append((clock.now, 1 + i % 3))
    for when, _ in sent:
        in_minute = [s for s in sent if when - MINUTE < s[0] <= when]
        in_day = [s for s in sent if when - DAY < s[0] <= when]
        assert len(in_minute) <= 30
        assert len(in_day) <= 100
        assert sum(n for _, n in in_day) <= 150


def test_daily_recipient_limit_and_too_many_recipients() -> None:
    clock = Clock()
    pacer = Pacer(Limits("t", recipients_per_day=10, recipients_per_message=5), clock=clock)
    assert pacer.delay(6) == math.inf and pacer.too_many_recipients(6)
    pacer.record(5)
    clock.now += 100
    pacer.record(5)
    assert pacer.delay(1) == pytest.approx(DAY - 100)
    clock.now += DAY - 100 + 1  # the first 5 left the window
    assert pacer.delay(5) == 0.0


def test_history_survives_a_restart_and_is_pruned() -> None:
    clock = Clock()
    pacer = Pacer(Limits("t", per_minute=2), clock=clock)
    pacer.record(1)
    pacer.record(1)
    saved = pacer.history()
    again = Pacer(Limits("t", per_minute=2), clock=clock, history=saved)
    assert again.delay(1) == pytest.approx(MINUTE)
    again.merge(saved)  # merging the same history twice counts it once
    assert len(again.history()) == 2
    clock.now += DAY + 1
    assert again.history() == []


def test_presets_and_overrides() -> None:
    assert limits_for("Microsoft365").per_minute == 30
    assert limits_for("office365").recipients_per_day == 10_000
    assert limits_for("gmail").per_day == 500
    assert limits_for("workspace").per_day == 2_000
    assert limits_for("none") == Limits("none")
    custom = limits_for("microsoft365", {"per_minute": 10, "recipients_per_message": 0})
    assert custom.per_minute == 10 and custom.recipients_per_message is None
    assert custom.recipients_per_day == 10_000
    with pytest.raises(KeyError):
        limits_for("nosuchprovider")
    with pytest.raises(KeyError):
        limits_for("gmail", {"per_hour": 3})


def test_a_message_counts_from_when_it_was_done_once_settled() -> None:
    """A batch lets a message through (record) before it goes and settles it when the server
    has taken it: the window is then counted from the server's acceptance, so a slow first
    transfer (TLS, AUTH) cannot let the third message of a 2-a-minute limit in early (the
    stack measured 59.986 s between the first and the third before this)."""
    now = [0.0]
    pacer = Pacer(Limits("x", per_minute=2), clock=lambda: now[0])
    first = pacer.record()
    now[0] = 0.01
    second = pacer.record()
    now[0] = 0.5  # the first is accepted only now, the second just after
    pacer.settle(first)
    now[0] = 0.51
    pacer.settle(second)
    now[0] = 60.2
    assert pacer.delay() == pytest.approx(0.3)  # from 0.5, not from 0.0
    now[0] = 60.5
    assert pacer.delay() == 0.0
    assert [t for t, _ in pacer.history()] == [0.5, 0.51]
    pacer.settle((123.0, 1))  # unknown (pruned) events are ignored
    assert len(pacer.history()) == 2
