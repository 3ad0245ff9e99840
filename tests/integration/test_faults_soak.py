"""Soak: 1,000 messages through the outbox while the fault proxy breaks a random 20% of the
SMTP connections at random points and the token endpoint fails 10% of its requests.

Every message must arrive; none may be lost; a message that arrives twice must carry the same
Message-ID both times, and must be one the outbox flagged as "reply lost after the dot" (or
whose 4xx came after the dot). The counts are printed (pytest -s) and recorded as properties.
Seed: PYSMAIL_SOAK_SEED (printed on failure) to replay a run.
"""

from __future__ import annotations

import collections
import os
import random
import time
import uuid
from pathlib import Path

import pytest

from faultproxy import (
    ALICE,
    PLAIN_POINTS,
    FaultProxy,
    collect,
    drain_queue,
    message,
    random_plan,
    subjects_and_ids,
)
from pysmail.delivery import outbox
from pysmail.delivery.outbox import Envelope
from pysmail.oauth.provider import TokenSource
from pysmail.oauth.store import cache_path
from pysmail.sasl import AuthRequest
from pysmail.smtp.session import SmtpParams, send
from stackutil import Stack

MESSAGES = int(os.environ.get("PYSMAIL_SOAK_MESSAGES", "1000"))
CONNECTION_FAULT_RATE = 0.20
TOKEN_FAULT_RATE = 0.10


def _token_file(stack: Stack, folder: Path) -> Path:
    tokens = stack.issue_tokens(ALICE, client_id="mailcli")
    path = folder / "smail_refreshtoken.ini"
    keys = {
        "UserID": ALICE,
        "ClientID": "mailcli",
        "ClientSecret": stack.oidc_clients["mailcli"] or "",
        "RefreshToken": tokens["refresh_token"],
        "TokenURI": stack.oidc_token_endpoint,
        "OAUTH2_TIME_OUT": "5",
    }
    path.write_text("[OAUTH2]\r\n" + "".join(f"{k}={v}\r\n" for k, v in keys.items()), newline="")
    path.chmod(0o600)  # it holds a refresh token: private, or smail refuses it
    return path


def test_soak_nothing_lost(
    stack: Stack, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    seed = int(os.environ.get("PYSMAIL_SOAK_SEED", str(random.SystemRandom().randrange(2**32))))
    rng = random.Random(seed)
    stack.clear(ALICE)
    stack.reset_token_stats()  # no injected failure left pending by an earlier test
    token_file = _token_file(stack, tmp_path)
    spool = tmp_path / "outbox"
    run = uuid.uuid4().hex[:6]
    started = time.monotonic()

    ids: dict[str, str] = {}
    for i in range(MESSAGES):
        subject = f"soak-{run}-{i:04d}"
        path = outbox.enqueue(spool, Envelope(ALICE, (ALICE,), time.time()), [message(subject)])
        ids[subject] = path.stem
    queued = time.monotonic()

    token_faults = 0
    params_holder: dict[str, SmtpParams] = {}

    def send_one(envelope: Envelope, chunks: object) -> None:
        nonlocal token_faults
        if rng.random() < TOKEN_FAULT_RATE:
            # The next token request fails: HTTP 500/503 with a JSON server_error.
            stack.fail_next_token_requests(status=rng.choice((500, 503)), count=1)
            token_faults += 1
        # every attempt asks the token endpoint
        Path(cache_path(token_file)).unlink(missing_ok=True)
        source = TokenSource(token_file)
        auth = AuthRequest("XOAUTH2", source.user, token=source, allow_plaintext=True)
        send(params_holder["p"], envelope.sender, envelope.recipients, chunks, auth=auth)  # type: ignore[arg-type]

    stack.reset_token_stats()
    events: list[outbox.Event] = []
    plan = random_plan(rng, CONNECTION_FAULT_RATE, PLAIN_POINTS)
    with FaultProxy((stack.host, stack.submission), plan=plan) as proxy:
        params_holder["p"] = SmtpParams(proxy.host, proxy.port, "none", None, True, 10.0)
        try:
            results = drain_queue(spool, send_one, max_runs=2000, report=events.append)
        finally:
            requests = stack.token_requests()
            stack.reset_token_stats()  # cancel a failure injected for an attempt never made
        connections, applied = proxy.connections, list(proxy.applied)
    flushed = time.monotonic()

    raw = collect(stack, ALICE, MESSAGES, timeout=60)
    got = subjects_and_ids(raw)
    done = time.monotonic()

    by_subject: dict[str, list[str]] = collections.defaultdict(list)
    for subject, mid in got:
        by_subject[subject].append(mid)
    lost = sorted(set(ids) - set(by_subject))
    strangers = sorted(set(by_subject) - set(ids))
    duplicated = {s: mids for s, mids in by_subject.items() if len(mids) > 1}
    flagged = {name for r in results for name in r.maybe_duplicated}  # type: ignore[attr-defined]
    # A 4xx to the data itself ("smtp.message_refused"): after the dot, the server decided.
    after_dot_451 = {
        e.name
        for e in events
        if e.kind == "deferred" and e.error is not None and e.error.msgid == "smtp.message_refused"
    }
    injected = sum(1 for r in requests if r.get("injected"))
    deferred = sum(1 for e in events if e.kind == "deferred")
    by_point = collections.Counter(f"{f.point}:{f.action}" for _, f in applied)
    summary = {
        "seed": seed,
        "messages": MESSAGES,
        "delivered": len(got),
        "lost": len(lost),
        "duplicates": sum(len(m) - 1 for m in duplicated.values()),
        "flagged_maybe_duplicated": len(flagged),
        "connections": connections,
        "connection_faults": len(applied),
        "token_requests": len(requests),
        "token_faults": injected,
        "deferred_attempts": deferred,
        "flush_runs": len(results),
        "seconds_queue": round(queued - started, 1),
        "seconds_flush": round(flushed - queued, 1),
        "seconds_fetch": round(done - flushed, 1),
    }
    print(f"\nsoak summary: {summary}\nfaults by point: {dict(sorted(by_point.items()))}")
    for key, value in summary.items():
        record_property(key, value)

    assert not lost, f"LOST {len(lost)}: {lost[:10]} {summary}"
    assert not strangers, strangers[:10]
    assert not list(spool.glob("*.msg")) and not (spool / "failed").exists(), summary
    for subject, mids in duplicated.items():
        assert len(set(mids)) == 1, f"{subject}: different Message-IDs {mids}"
        # The only way to a duplicate: the reply to the final dot was lost (flagged), or a
        # 4xx came after the dot (the proxy answered in the server's place).
        assert ids[subject] in flagged | after_dot_451, (subject, summary)
    # The faults really happened, at a realistic rate.
    assert 0.12 * connections <= len(applied) <= 0.28 * connections, summary
    assert 0.04 * len(requests) <= injected <= 0.16 * len(requests), summary
    assert len({p for p in by_point if not p.endswith("delay")}) >= 8, by_point
