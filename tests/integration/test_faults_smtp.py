"""Fault injection at every point of the SMTP dialogue and at the token endpoint, against the
real stack (Dovecot submission -> Postfix -> Dovecot LMTP, oidc-provider), with and without
the outbox.

With the outbox, each message must arrive exactly once, except when the reply to the final
"." was lost: then at most twice, both copies with the same Message-ID. Without it, the error
is temporary (ERR-0029, or the network code it maps to) and the message is kept in a file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from faultproxy import (
    ALICE,
    Fault,
    FaultProxy,
    collect,
    drain_queue,
    message,
    password_sender,
    subjects_and_ids,
)
from pysmail.delivery import outbox
from pysmail.delivery.outbox import Envelope
from pysmail.delivery.retry import classify, run_with_retry, send_tracked
from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error, text
from pysmail.oauth.provider import TokenSource
from pysmail.oauth.store import cache_path
from pysmail.sasl import AuthRequest
from pysmail.smtp.session import SmtpParams, send
from stackutil import Stack

TESTS = Path(__file__).resolve().parents[1]

# (fault, is the message possibly delivered by the failed attempt)
PLAIN_FAULTS: list[tuple[Fault, bool]] = [
    (Fault("greeting", "drop"), False),
    (Fault("greeting", "reply", b"421 4.3.2 Service not available"), False),
    (Fault("ehlo", "drop"), False),
    (Fault("ehlo", "reply", b"421 4.7.0 Too many connections"), False),
    (Fault("auth", "drop"), False),
    (Fault("auth", "reply", b"454 4.7.0 Temporary authentication failure"), False),
    (Fault("mail", "drop"), False),
    (Fault("mail", "reply", b"451 4.3.0 Temporary server error"), False),
    (Fault("mail", "reply", b"421 4.7.0 Throttled, closing"), False),
    (Fault("rcpt", "drop"), False),
    (Fault("rcpt", "reply", b"452 4.5.3 Too many recipients"), False),
    (Fault("rcpt", "reply", b"451 4.7.1 Rate limited"), False),
    (Fault("data", "drop"), False),
    (Fault("data", "reply", b"451 4.3.0 Try again later"), False),
    (Fault("body", "drop"), False),
    (Fault("after_dot", "drop"), True),
    (Fault("after_dot", "reply", b"451 4.3.0 Queue file write error"), True),
    (Fault("after_dot", "delay", delay=2.5), True),  # longer than the client's 1.5 s timeout
    (Fault("after_reply", "drop"), False),
]
STARTTLS_FAULTS: list[Fault] = [
    Fault("greeting", "drop"),
    Fault("ehlo", "reply", b"421 4.7.0 Too many connections"),
    Fault("starttls", "drop"),
    Fault("starttls", "reply", b"454 4.7.0 TLS not available due to temporary reason"),
]


def _id(fault: Fault) -> str:
    return f"{fault.point}-{fault.action}-{fault.reply[:3].decode() or int(fault.delay)}"


@pytest.fixture
def proxy(stack: Stack, request: pytest.FixtureRequest) -> FaultProxy:
    """The fault proxy in front of Dovecot; `chunking` (indirect parameter, default True):
    whether it lets Dovecot's CHUNKING through (the client then sends BDAT, else DATA)."""
    chunking = getattr(request, "param", True)
    with FaultProxy((stack.host, stack.submission), chunking=chunking) as running:
        yield running  # type: ignore[misc]


@pytest.fixture(autouse=True)
def empty_box(stack: Stack) -> None:
    stack.clear(ALICE)


def _queue_one(spool: Path, label: str) -> tuple[Path, str]:
    subject = f"{label}-{uuid.uuid4().hex[:8]}"
    path = outbox.enqueue(spool, Envelope(ALICE, (ALICE,), time.time()), [message(subject)])
    return path, subject


@pytest.mark.parametrize("proxy", [True, False], ids=["bdat", "data"], indirect=True)
@pytest.mark.parametrize(
    ("fault", "maybe_delivered"), PLAIN_FAULTS, ids=[_id(f) for f, _ in PLAIN_FAULTS]
)
def test_outbox_delivers_despite_the_fault(
    stack: Stack, proxy: FaultProxy, tmp_path: Path, fault: Fault, maybe_delivered: bool
) -> None:
    """With BDAT the one-chunk message goes out in the same write as MAIL and RCPT (D15): a
    connection lost anywhere after that write may have delivered it (Dovecot takes a whole
    chunk even when the client is gone), so the client may flag a duplicate there; with DATA
    only once the body went out. Never the other way round: a copy that may exist is flagged."""
    spool = tmp_path / "outbox"
    path, subject = _queue_one(spool, "fault")
    with outbox.open_message(path) as (envelope, _):
        message_id = envelope.message_id
    proxy.script(fault)
    send_one = password_sender(proxy.host, proxy.port, timeout=1.5)
    results = drain_queue(spool, send_one)

    assert proxy.applied == [(1, fault)]
    used = {verb.split()[0] for _, verb in proxy.verbs}
    assert ("BDAT" in used, "DATA" in used) == (proxy.chunking, not proxy.chunking), used
    first = results[0]
    fails = fault.point != "after_reply" and (fault.action != "delay" or maybe_delivered)
    if fails:
        assert first.deferred == [path.stem], first  # type: ignore[attr-defined]
    else:
        assert first.sent == [path.stem], first  # type: ignore[attr-defined]
    got = subjects_and_ids(collect(stack, ALICE, 2 if maybe_delivered else 1))
    assert {s for s, _ in got} == {subject}
    assert {mid for _, mid in got} == {message_id}  # the same Message-ID on every copy
    if maybe_delivered:
        # The server accepted the first copy; the reply never arrived: the retry duplicates,
        # and the outbox says so.
        assert len(got) == 2
        if fault.action != "reply":
            assert results[-1].maybe_duplicated == [path.stem]  # type: ignore[attr-defined]
        # A server that answers 451 after accepting (a broken relay; here the proxy) cannot
        # be told from one that refused: not flagged, but the Message-ID is still the same.
    else:
        assert len(got) == 1
        # Inside the message the client cannot tell either (its writes are buffered): it may
        # flag a duplicate that did not happen, never the other way round.
        bdat = proxy.chunking
        ambiguous = ("mail", "rcpt", "data", "body") if bdat else ("body",)
        if fault.point not in ambiguous:
            assert all(not r.maybe_duplicated for r in results)  # type: ignore[attr-defined]
    assert not list(spool.glob("*.msg")) and not (spool / "failed").exists()


@pytest.mark.parametrize("fault", STARTTLS_FAULTS, ids=_id)
def test_outbox_delivers_despite_starttls_level_faults(
    stack: Stack, proxy: FaultProxy, tmp_path: Path, fault: Fault
) -> None:
    spool = tmp_path / "outbox"
    _path, subject = _queue_one(spool, "tls")
    proxy.script(fault)
    send_one = password_sender(proxy.host, proxy.port, tls="starttls", cafile=stack.cafile)
    drain_queue(spool, send_one)
    assert proxy.applied == [(1, fault)]
    got = subjects_and_ids(collect(stack, ALICE, 1))
    assert [s for s, _ in got] == [subject]


def test_a_small_delay_is_not_a_failure(stack: Stack, proxy: FaultProxy, tmp_path: Path) -> None:
    spool = tmp_path / "outbox"
    path, subject = _queue_one(spool, "delay")
    proxy.script(Fault("mail", "delay", delay=0.3))
    results = drain_queue(spool, password_sender(proxy.host, proxy.port, timeout=5))
    assert len(results) == 1 and results[0].sent == [path.stem]  # type: ignore[attr-defined]
    assert [s for s, _ in subjects_and_ids(collect(stack, ALICE, 1))] == [subject]


def test_a_permanent_refusal_goes_to_failed_and_is_not_retried(
    stack: Stack, proxy: FaultProxy, tmp_path: Path
) -> None:
    spool = tmp_path / "outbox"
    path, subject = _queue_one(spool, "perm")
    proxy.script(Fault("rcpt", "reply", b"550 5.1.1 No such user"))
    results = drain_queue(spool, password_sender(proxy.host, proxy.port))
    assert results[0].failed == [path.stem]  # type: ignore[attr-defined]
    assert proxy.connections == 1
    reason = (spool / "failed" / path.name).with_suffix(".reason").read_text()
    assert "550 5.1.1 No such user" in reason
    assert stack.fetch(ALICE, expect=0) == []


# -- without the outbox: the exit code and the kept file ------------------------------------------


NO_OUTBOX_CODES = {
    "greeting-drop-0": ErrCode.RECEIVE,
    "greeting-reply-421": ErrCode.TEMPORARY,
    "auth-reply-454": ErrCode.TEMPORARY,
    "mail-drop-0": ErrCode.RECEIVE,
    "rcpt-reply-452": ErrCode.TEMPORARY,
    "data-reply-451": ErrCode.TEMPORARY,
    "body-drop-0": ErrCode.RECEIVE,
    "after_dot-drop-0": ErrCode.RECEIVE,
}


@pytest.mark.parametrize(
    "fault", [f for f, _ in PLAIN_FAULTS if _id(f) in NO_OUTBOX_CODES], ids=_id
)
def test_without_the_outbox_the_error_is_temporary_and_the_text_is_kept(
    stack: Stack, proxy: FaultProxy, tmp_path: Path, fault: Fault
) -> None:
    """What main() does on its error path (see the report): one attempt, then keep_unsent."""
    spool = tmp_path / "outbox"
    subject = f"nooutbox-{uuid.uuid4().hex[:8]}"
    data = message(subject)
    proxy.script(fault)
    send_one = password_sender(proxy.host, proxy.port, timeout=5)
    envelope = Envelope(ALICE, (ALICE,), time.time())
    with pytest.raises(SmailError) as caught:
        send_tracked(lambda stream: send_one(envelope, stream), [data])
    err = caught.value
    assert err.code is NO_OUTBOX_CODES[_id(fault)]
    assert classify(err).temporary
    if fault.point == "after_dot":
        assert err.msgid == "outbox.reply_lost" and classify(err).ambiguous
        assert "may have been delivered" in format_error(err, "en")
    kept = outbox.keep_unsent(spool, envelope, [data], err)
    shown = text("outbox.kept", "en", path=kept)
    assert str(kept) in shown
    with outbox.open_message(kept) as (env, body):
        assert b"".join(body) == data and env.recipients == (ALICE,)
    assert f"ERR-{int(err.code):04d}" in kept.with_suffix(".reason").read_text()
    if fault.point == "after_dot":
        collect(stack, ALICE, 1)  # delivered although the client could not know
    else:
        assert stack.fetch(ALICE, expect=0) == []


def test_retry_without_the_outbox_keeps_the_message_id(stack: Stack, proxy: FaultProxy) -> None:
    """--retry: run_with_retry over send_tracked; the lost reply duplicates with one id."""
    subject = f"retry-{uuid.uuid4().hex[:8]}"
    data = message(subject)
    proxy.script(Fault("after_dot", "drop"), Fault("mail", "reply", b"451 4.3.0 later"))
    send_one = password_sender(proxy.host, proxy.port, timeout=5)
    envelope = Envelope(ALICE, (ALICE,), time.time())
    retries: list[object] = []
    run_with_retry(
        lambda: send_tracked(lambda s: send_one(envelope, s), [data]),
        deadline=time.monotonic() + 30,
        clock=time.monotonic,
        sleep=time.sleep,
        rng=lambda: 0.0,
        on_retry=retries.append,
    )
    assert len(retries) == 2
    got = subjects_and_ids(collect(stack, ALICE, 2))
    assert len(got) == 2 and len({mid for _, mid in got}) == 1


# -- the token endpoint ---------------------------------------------------------------------------


def _token_file(stack: Stack, folder: Path) -> Path:
    stack.reset_token_stats()  # no injected failure left pending
    tokens = stack.issue_tokens(ALICE, client_id="mailcli")
    path = folder / "smail_refreshtoken.ini"
    keys = {
        "UserID": ALICE,
        "ClientID": "mailcli",
        "ClientSecret": stack.oidc_clients["mailcli"] or "",
        "RefreshToken": tokens["refresh_token"],
        "TokenURI": stack.oidc_token_endpoint,
        "OAUTH2_TIME_OUT": "1",
    }
    path.write_text("[OAUTH2]\r\n" + "".join(f"{k}={v}\r\n" for k, v in keys.items()), newline="")
    path.chmod(0o600)  # it holds a refresh token: private, or smail refuses it
    return path


def oauth_sender(host: str, port: int, token_file: Path):  # type: ignore[no-untyped-def]
    """send_one with XOAUTH2; the token cache is dropped first, so every attempt refreshes
    (goes to the token endpoint)."""
    params = SmtpParams(host, port, "none", None, True, 10.0)

    def send_one(envelope: Envelope, chunks: object) -> None:
        Path(cache_path(token_file)).unlink(missing_ok=True)
        source = TokenSource(token_file)
        auth = AuthRequest("XOAUTH2", source.user, token=source, allow_plaintext=True)
        send(params, envelope.sender, envelope.recipients, chunks, auth=auth)  # type: ignore[arg-type]

    return send_one


@pytest.mark.parametrize(
    ("status", "delay_ms"), [(500, 0), (503, 0), (503, 1500)], ids=["500", "503", "timeout"]
)
def test_token_endpoint_faults_are_temporary_and_retried(
    stack: Stack, proxy: FaultProxy, tmp_path: Path, status: int | None, delay_ms: int
) -> None:
    token_file = _token_file(stack, tmp_path)
    spool = tmp_path / "outbox"
    path, subject = _queue_one(spool, "token")
    # With a delay longer than OAUTH2_TIME_OUT (1 s) the client gives up first: a timeout. The
    # server then answers 503 without processing the request, so the refresh token is intact
    # (a request processed after the client gave up would rotate it away: pitfall 9).
    stack.reset_token_stats()
    stack.fail_next_token_requests(status=status, count=1, delay_ms=delay_ms)
    events: list[outbox.Event] = []
    results = drain_queue(
        spool, oauth_sender(proxy.host, proxy.port, token_file), report=events.append
    )
    first = results[0]
    assert first.deferred == [path.stem]  # type: ignore[attr-defined]
    assert [e.kind for e in events] == ["deferred", "sent"]
    err = events[0].error
    assert err is not None and err.code is ErrCode.NO_ACCESS_TOKEN
    assert err.msgid == ("oauth.http_timeout" if delay_ms else "oauth.provider_error"), err.msgid
    state_error = " ".join(str(r) for r in results)
    assert [s for s, _ in subjects_and_ids(collect(stack, ALICE, 1))] == [subject], state_error
    requests = stack.token_requests()
    assert [r.get("injected", False) for r in requests] == [True, False], requests


def test_two_flushes_at_once_never_send_a_message_twice(
    stack: Stack, proxy: FaultProxy, tmp_path: Path
) -> None:
    spool = tmp_path / "outbox"
    subjects = [_queue_one(spool, f"two-{i:03d}")[1] for i in range(60)]
    script = textwrap.dedent(
        f"""
        import json, sys, time
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from faultproxy import password_sender
        from outboxutil import OneByOne
        from pysmail.delivery import outbox
        send_one = OneByOne(password_sender({proxy.host!r}, {proxy.port}, timeout=10))
        sent, busy = [], 0
        deadline = time.monotonic() + 60
        while outbox.entries(Path({str(spool)!r}))[0] and time.monotonic() < deadline:
            result = outbox.flush(Path({str(spool)!r}), send_one, base=0.0, cap=0.0)
            sent += result.sent
            busy += result.busy
            time.sleep(0.001)
        print(json.dumps({{"sent": sent, "busy": busy}}))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=90)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    sent_a, sent_b = (set(o["sent"]) for o in outputs)
    assert not sent_a & sent_b, "both processes sent the same message"
    assert sum(o["busy"] for o in outputs) > 0, "the two flushes never ran at the same time"
    assert len(sent_a | sent_b) == 60
    got = subjects_and_ids(collect(stack, ALICE, 60))
    assert sorted(s for s, _ in got) == sorted(subjects)  # each exactly once
