"""POP before SMTP with AUTH XOAUTH2 against the real Dovecot POP3, tokens from oidc-provider."""

from __future__ import annotations

import base64

import pytest

from pysmail.errors import Pop3Error
from pysmail.exitcodes import ErrCode
from pysmail.pop3.before_smtp import PopParams, pop_before_smtp
from pysmail.redact import base64_forms
from pysmail.smtp.trace import Trace
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"


def _params(stack: Stack, tls: str) -> PopParams:
    port = stack.pop3s if tls == "pop3s" else stack.pop3
    return PopParams(stack.host, port, tls, stack.cafile, timeout=10.0)  # type: ignore[arg-type]


def _no_password() -> str:
    raise AssertionError("the password source must not be used with a token")


def _assert_no_token(lines: list[str], token: str) -> None:
    blob = f"user={ALICE}\x01auth=Bearer {token}\x01\x01".encode()
    forms = {token, *base64_forms(token), base64.b64encode(blob).decode()}
    assert lines
    for line in lines:
        for form in forms:
            assert form not in line, line


@pytest.mark.parametrize("tls", ["stls", "pop3s"])
def test_xoauth2_login_two_line_form(stack: Stack, tls: str) -> None:
    token = stack.issue_tokens(ALICE)["access_token"]
    lines: list[str] = []
    pop_before_smtp(
        _params(stack, tls), ALICE, _no_password, False, Trace(lines.append), token=lambda: token
    )
    _assert_no_token(lines, token)
    start = lines.index("Send: AUTH XOAUTH2")  # no initial response on the AUTH line
    assert lines[start + 1 : start + 3] == ["Recv: + ", "Send: ****"]
    assert lines[start + 3].startswith("Recv: +OK")
    assert lines[-2] == "Send: QUIT"
    assert any(line.startswith("TLS: TLSv1.") for line in lines)


def test_revoked_token_is_pop3_login_with_the_decoded_status(stack: Stack) -> None:
    token = stack.issue_tokens(ALICE)["access_token"]
    stack.revoke(token)
    lines: list[str] = []
    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(
            _params(stack, "pop3s"),
            ALICE,
            _no_password,
            False,
            Trace(lines.append),
            token=lambda: token,
        )
    err = info.value
    assert err.code == ErrCode.POP3_LOGIN and err.msgid == "pop3.oauth_failed"
    assert "status=401" in str(err.params["detail"])  # {"status":"401","schemes":"bearer",...}
    assert err.reply is not None and err.reply.startswith("-ERR")
    text = str(err)
    assert "status=401" in text and token not in text
    # The dance: the JSON challenge is answered with an empty line, then -ERR.
    challenge = next(i for i, line in enumerate(lines) if line.startswith("Recv: + ey"))
    assert lines[challenge + 1] == "Send: " and lines[challenge + 2].startswith("Recv: -ERR")
    _assert_no_token(lines, token)


def test_token_in_clear_is_refused_before_connecting(stack: Stack) -> None:
    def never() -> str:
        raise AssertionError("fetched")

    with pytest.raises(Pop3Error) as info:
        pop_before_smtp(_params(stack, "none"), ALICE, _no_password, False, token=never)
    assert info.value.code == ErrCode.POP3_LOGIN
    assert info.value.msgid == "pop3.cleartext_token_refused"
