"""Proves the OAuth half of the real stack: oidc-provider tokens authenticate to Dovecot.

Dovecot's oauth2 passdb introspects every token at the test authorization server
(scripts/stack/oidc/server.mjs); these tests pin the behaviour the OAuth code of pysmail relies
on (test-stack.md sections 3, 4, 6, 7), and the test-only hooks of the server (counter, faults).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import poplib
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
XOAUTH2_401 = {"status": "401", "schemes": "bearer", "scope": "mail"}
OAUTHBEARER_401 = {"status": "invalid_token"}


def _xoauth2(user: str, token: str) -> str:
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def _oauthbearer(user: str, token: str, host: str, port: int) -> str:
    gs2 = f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(gs2.encode()).decode()


def _smtp_tls(stack: Stack) -> smtplib.SMTP:
    smtp = smtplib.SMTP(stack.host, stack.submission, timeout=10)
    smtp.ehlo()
    smtp.starttls(context=stack.ssl_context())
    smtp.ehlo()
    return smtp


def _xoauth2_two_step(smtp: smtplib.SMTP, user: str, token: str) -> tuple[int, bytes]:
    """AUTH XOAUTH2, then the response on its own line (pitfall 6: no long initial response)."""
    code, reply = smtp.docmd("AUTH", "XOAUTH2")
    assert (code, reply) == (334, b""), (code, reply)
    return smtp.docmd(_xoauth2(user, token))


def _challenge(reply: bytes) -> object:
    return json.loads(base64.b64decode(reply))


def _send(smtp: smtplib.SMTP, subject: str) -> None:
    msg = (
        f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\n\r\nsent with an OAuth token\r\n"
    )
    assert smtp.sendmail(ALICE, [BOB], msg.encode()) == {}


def _subject_of(raw: bytes) -> bytes:
    return next(ln for ln in raw.split(b"\r\n") if ln.startswith(b"Subject: "))


# --------------------------------------------------------------------------- authentication


def test_xoauth2_is_offered_only_after_starttls(stack: Stack) -> None:
    with smtplib.SMTP(stack.host, stack.submission, timeout=10) as smtp:
        smtp.ehlo()
        before = smtp.esmtp_features.get("auth", "").upper().split()
        assert "XOAUTH2" not in before and "OAUTHBEARER" not in before
        smtp.starttls(context=stack.ssl_context())
        smtp.ehlo()
        after = smtp.esmtp_features.get("auth", "").upper().split()
    assert {"XOAUTH2", "OAUTHBEARER", "PLAIN", "LOGIN"} <= set(after), after


def test_xoauth2_token_sends_mail_through_submission(stack: Stack) -> None:
    stack.clear(BOB)
    tokens = stack.issue_tokens(ALICE)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert set(tokens["scope"].split()) == {"openid", "offline_access", "email"}
    subject = f"xoauth2 {uuid.uuid4().hex}"
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, tokens["access_token"])
        assert code == 235, reply
        _send(smtp, subject)
    (received,) = stack.fetch(BOB, expect=1)
    assert _subject_of(received) == f"Subject: {subject}".encode()


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
def test_oauthbearer_token_authenticates(stack: Stack, implicit_tls: bool) -> None:
    token = stack.issue_tokens(ALICE)["access_token"]
    smtp: smtplib.SMTP
    if implicit_tls:
        smtp = smtplib.SMTP_SSL(
            stack.host, stack.submissions, timeout=10, context=stack.ssl_context()
        )
        smtp.ehlo()
        port = stack.submissions
    else:
        smtp = _smtp_tls(stack)
        port = stack.submission
    with smtp:
        code, reply = smtp.docmd(
            "AUTH", "OAUTHBEARER " + _oauthbearer(ALICE, token, stack.host, port)
        )
        assert code == 235, reply


def test_pop3_xoauth2_only_after_stls(stack: Stack) -> None:
    tokens = stack.issue_tokens(BOB)
    line = "AUTH XOAUTH2 " + _xoauth2(BOB, tokens["access_token"])
    pop = poplib.POP3(stack.host, stack.pop3, timeout=10)
    try:
        assert pop.capa()["SASL"] == ["CRAM-MD5"]
        with pytest.raises(poplib.error_proto, match="Plaintext authentication disabled"):
            pop._shortcmd(line)  # type: ignore[attr-defined]
        pop.stls(context=stack.ssl_context())
        assert {"XOAUTH2", "OAUTHBEARER"} <= set(pop.capa()["SASL"])
        reply = pop._shortcmd(line)  # type: ignore[attr-defined]
        assert reply.startswith(b"+OK"), reply
        assert len(pop.stat()) == 2  # a transaction-state command works
    finally:
        pop.quit()


def test_pop3_revoked_token_json_error_then_err(stack: Stack) -> None:
    tokens = stack.issue_tokens(BOB)
    stack.revoke(tokens["refresh_token"])  # revokes the whole grant, access token included
    pop = poplib.POP3(stack.host, stack.pop3, timeout=10)
    try:
        pop.stls(context=stack.ssl_context())
        pop._putcmd("AUTH XOAUTH2 " + _xoauth2(BOB, tokens["access_token"]))  # type: ignore[attr-defined]
        challenge, _octets = pop._getline()  # type: ignore[attr-defined]
        assert challenge.startswith(b"+ ") and _challenge(challenge[2:]) == XOAUTH2_401
        pop._putcmd("")  # type: ignore[attr-defined]
        assert pop._getline()[0] == b"-ERR [AUTH] Authentication failed."  # type: ignore[attr-defined]
    finally:
        pop.quit()


def test_passwords_and_tokens_live_side_by_side(stack: Stack) -> None:
    """The oauth2 passdb must not take over PLAIN, and a password is not a token."""
    with _smtp_tls(stack) as smtp:
        smtp.user, smtp.password = ALICE, stack.users[ALICE]
        assert smtp.auth("PLAIN", smtp.auth_plain)[0] == 235
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, stack.users[ALICE])
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535


def test_token_of_another_user_is_refused(stack: Stack) -> None:
    token = stack.issue_tokens(ALICE)["access_token"]
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, BOB, token)
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535
    assert "did not match" in stack.log_text()


def test_revoked_token_gets_json_error_then_535(stack: Stack) -> None:
    token = stack.issue_tokens(ALICE)["access_token"]
    assert stack.introspect(token)["active"] is True
    stack.revoke(token)
    assert stack.introspect(token) == {"active": False}
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, token)
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        code, reply = smtp.docmd("")  # the client's answer to the error challenge
        assert code == 535 and reply.startswith(b"5.7.8"), reply
    with _smtp_tls(stack) as smtp:
        code, reply = smtp.docmd(
            "AUTH", "OAUTHBEARER " + _oauthbearer(ALICE, token, stack.host, stack.submission)
        )
        assert code == 334 and _challenge(reply) == OAUTHBEARER_401
        assert smtp.docmd("AQ==")[0] == 535  # base64 of the %x01 dummy response (RFC 7628)


def test_client_credentials_token_has_no_user_454(stack: Stack) -> None:
    """A client without a grant: its token names no mailbox and no `sub`, and Dovecot answers
    454 temporary failure, not 535 (pitfall 10)."""
    assert "mailcli-post" not in stack.app_grants
    status, tokens = stack.token_request("mailcli-post", {"grant_type": "client_credentials"})
    assert status == 200, tokens
    assert "mailboxes" not in stack.introspect(tokens["access_token"])
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, tokens["access_token"])
    assert code == 454, reply


def test_client_credentials_token_acts_for_granted_mailboxes_only(stack: Stack) -> None:
    """Exchange's app-only model: the application may log in as a mailbox it was granted
    (XOAUTH2, OAUTHBEARER, POP3), and as no other; the introspection answer names the grant."""
    status, tokens = stack.token_request("mailcli", {"grant_type": "client_credentials"})
    assert status == 200, tokens
    token = tokens["access_token"]
    facts = stack.introspect(token)
    assert facts["mailboxes"] == ",".join(stack.app_grants["mailcli"]) == ALICE
    assert facts["sub"] == "app:mailcli" and "username" not in facts
    with _smtp_tls(stack) as smtp:
        assert _xoauth2_two_step(smtp, ALICE, token)[0] == 235
        _send(smtp, "app-only " + uuid.uuid4().hex)
    with _smtp_tls(stack) as smtp:
        code, reply = smtp.docmd(
            "AUTH", "OAUTHBEARER " + _oauthbearer(ALICE, token, stack.host, stack.submission)
        )
        assert code == 235, reply
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, BOB, token)
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535  # not granted: refused, not a temporary failure
    assert "mailbox-not-granted-to-this-application" in stack.log_text()
    pop = poplib.POP3(stack.host, stack.pop3, timeout=10)
    try:
        pop.stls(context=stack.ssl_context())
        reply = pop._shortcmd("AUTH XOAUTH2 " + _xoauth2(ALICE, token))  # type: ignore[attr-defined]
        assert reply.startswith(b"+OK"), reply
    finally:
        pop.quit()
    stack.clear(BOB)


# --------------------------------------------------------------------------- tokens


def test_refresh_rotates_and_reuse_revokes_the_grant(stack: Stack) -> None:
    first = stack.issue_tokens(ALICE)
    status, second = stack.refresh(first["refresh_token"])
    assert status == 200, second
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    with _smtp_tls(stack) as smtp:
        assert _xoauth2_two_step(smtp, ALICE, second["access_token"])[0] == 235

    status, error = stack.refresh(first["refresh_token"])  # the rotated-away one
    assert (status, error["error"]) == (400, "invalid_grant")
    # ... and the whole grant is gone (pitfall 9): the newest tokens are dead too.
    assert stack.introspect(second["access_token"]) == {"active": False}
    status, error = stack.refresh(second["refresh_token"])
    assert (status, error["error"]) == (400, "invalid_grant")
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, second["access_token"])
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535


def test_no_refresh_token_without_offline_access(stack: Stack) -> None:
    tokens = stack.issue_tokens(ALICE, scope="openid email")
    assert "refresh_token" not in tokens
    assert stack.introspect(tokens["access_token"])["sub"] == ALICE


@pytest.mark.parametrize("client_id", ["mailcli-post", "mailcli-public"])
def test_other_clients_and_any_loopback_port(stack: Stack, client_id: str) -> None:
    tokens = stack.issue_tokens(
        BOB, client_id=client_id, redirect_uri="http://localhost:54321/callback"
    )
    info = stack.introspect(tokens["access_token"])
    assert (info["active"], info["client_id"], info["sub"]) == (True, client_id, BOB)
    status, fresh = stack.refresh(tokens["refresh_token"], client_id=client_id)
    assert status == 200 and fresh["refresh_token"] != tokens["refresh_token"]


def test_client_authentication_method_is_recorded(stack: Stack) -> None:
    """oidc-provider takes client_secret_basic and _post alike; the counter tells them apart."""
    secret = stack.oidc_clients["mailcli"]
    assert secret is not None and stack.oidc_clients["mailcli-public"] is None
    stack.reset_token_stats()
    stack.token_request("mailcli", {"grant_type": "client_credentials"})  # Basic header
    stack.token_request("mailcli-post", {"grant_type": "client_credentials"})  # in the body
    form = {"grant_type": "client_credentials", "client_id": "mailcli", "client_secret": secret}
    req = urllib.request.Request(
        stack.oidc_token_endpoint, data=urllib.parse.urlencode(form).encode(), method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:  # accepted although mailcli is registered basic
        assert resp.status == 200
    status, answer = stack.refresh("unknown", client_id="mailcli-public")
    assert (status, answer["error"]) == (400, "invalid_grant")
    auths = [(r["client_id"], r["client_auth"]) for r in stack.token_requests()]
    assert auths == [
        ("mailcli", "client_secret_basic"),
        ("mailcli-post", "client_secret_post"),
        ("mailcli", "client_secret_post"),
        ("mailcli-public", "none"),
    ]
    impostor = dataclasses.replace(stack, oidc_clients={**stack.oidc_clients, "mailcli": "wrong"})
    status, answer = impostor.token_request("mailcli", {"grant_type": "client_credentials"})
    assert (status, answer["error"]) == (401, "invalid_client")


def test_short_lived_access_token_expires(stack: Stack) -> None:
    """mailcli-short tokens really run out after short_at_ttl seconds. Nothing here has to
    happen within the lifetime: a slow machine can only make the token more expired."""
    tokens = stack.issue_tokens(ALICE, client_id="mailcli-short")
    issued = time.monotonic()  # after the token was: it expires before issued + ttl
    assert tokens["expires_in"] == stack.short_at_ttl == 4
    time.sleep(max(0.0, issued + stack.short_at_ttl + 1.2 - time.monotonic()))
    assert stack.introspect(tokens["access_token"]) == {"active": False}
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, tokens["access_token"])
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535
    status, fresh = stack.refresh(tokens["refresh_token"], client_id="mailcli-short")
    assert status == 200 and fresh["expires_in"] == 4


def test_expire_access_token_ends_its_life_at_once(stack: Stack) -> None:
    """The hook tests use instead of racing a short lifetime: from the call on, the provider
    and Dovecot treat the token as expired; a refresh gives a working one."""
    tokens = stack.issue_tokens(ALICE)
    with _smtp_tls(stack) as smtp:
        assert _xoauth2_two_step(smtp, ALICE, tokens["access_token"])[0] == 235
    stack.expire_access_token(tokens["access_token"])
    assert stack.introspect(tokens["access_token"]) == {"active": False}
    with _smtp_tls(stack) as smtp:
        code, reply = _xoauth2_two_step(smtp, ALICE, tokens["access_token"])
        assert code == 334 and _challenge(reply) == XOAUTH2_401
        assert smtp.docmd("")[0] == 535
    status, fresh = stack.refresh(tokens["refresh_token"])
    assert status == 200
    with _smtp_tls(stack) as smtp:
        assert _xoauth2_two_step(smtp, ALICE, fresh["access_token"])[0] == 235
    with pytest.raises(AssertionError, match="HTTP 404"):
        stack.expire_access_token("no-such-token")


# --------------------------------------------------------------------------- test-only hooks


def test_token_counter_counts_by_grant_and_client(stack: Stack) -> None:
    tokens = stack.issue_tokens(ALICE)
    stack.reset_token_stats()
    assert stack.token_request_count() == 0
    refresh = tokens["refresh_token"]
    for _ in range(3):
        status, answer = stack.refresh(refresh)
        assert status == 200
        refresh = answer["refresh_token"]
    stack.token_request("mailcli-post", {"grant_type": "client_credentials"})
    stack.refresh("not-a-refresh-token", client_id="mailcli-post")  # failures count too
    assert stack.token_request_count() == 5
    assert stack.token_request_count(grant_type="refresh_token") == 4
    assert stack.token_request_count(grant_type="refresh_token", client_id="mailcli") == 3
    assert stack.token_request_count(client_id="mailcli-post") == 2
    assert stack.token_request_count(grant_type="authorization_code") == 0
    assert [r["status"] for r in stack.token_requests()] == [200, 200, 200, 200, 400]
    stack.issue_tokens(BOB, client_id="mailcli-public")
    assert stack.token_request_count(grant_type="authorization_code") == 1
    assert stack.token_request_count(client_id="mailcli-public") == 1
    stack.reset_token_stats()
    assert stack.token_request_count() == 0


def test_injected_failures_then_recovery(stack: Stack) -> None:
    tokens = stack.issue_tokens(ALICE)
    stack.reset_token_stats()
    stack.fail_next_token_requests(status=500, count=2)
    for _ in range(2):
        status, answer = stack.refresh(tokens["refresh_token"])
        assert (status, answer["error"]) == (500, "server_error")
    # An injected failure never reached oidc-provider: the refresh token is still unused.
    status, answer = stack.refresh(tokens["refresh_token"])
    assert status == 200, answer
    requests = stack.token_requests()
    assert [r.get("injected", False) for r in requests] == [True, True, False]
    assert [r["grant_type"] for r in requests] == ["refresh_token"] * 3
    assert stack.token_request_count(client_id="mailcli") == 3


def test_injected_malformed_body(stack: Stack) -> None:
    stack.fail_next_token_requests(
        status=200, body="<html>proxy login</html>", content_type="text/html"
    )
    req = urllib.request.Request(
        stack.oidc_token_endpoint, data=b"grant_type=refresh_token&refresh_token=x"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers.get_content_type() == "text/html"
        assert resp.read() == b"<html>proxy login</html>"


def test_injected_delay_then_normal_processing(stack: Stack) -> None:
    tokens = stack.issue_tokens(ALICE)
    stack.fail_next_token_requests(status=None, delay_ms=1500)
    started = time.monotonic()
    status, answer = stack.refresh(tokens["refresh_token"])
    assert status == 200 and answer["refresh_token"] != tokens["refresh_token"]
    assert time.monotonic() - started >= 1.4
    started = time.monotonic()
    assert stack.refresh(answer["refresh_token"])[0] == 200
    assert time.monotonic() - started < 1.0  # only the next request was delayed


def test_reset_cancels_pending_failures(stack: Stack) -> None:
    stack.fail_next_token_requests(status=503, count=5)
    stack.reset_token_stats()
    status, _answer = stack.token_request("mailcli", {"grant_type": "client_credentials"})
    assert status == 200
