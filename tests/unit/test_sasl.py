"""SASL mechanisms driven by hand (next/send), checked against the published examples."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode
from pysmail.sasl import (
    MECHANISMS,
    AuthRequest,
    Credentials,
    canonical_name,
    choose,
    describe_oauth_error,
)

TIM = Credentials("tim", "tanstaaftanstaaf", "server.example.com", 143)


def _b64(data: bytes | None) -> str:
    assert data is not None
    return base64.b64encode(data).decode()


def _run(name: str, creds: Credentials, initial: bool, challenges: list[bytes]) -> list[bytes]:
    """Drive a mechanism; return the initial response (if any) and each answer."""
    steps = MECHANISMS[name].steps(creds, initial)
    first = next(steps)
    out = [] if first is None else [first]
    for challenge in challenges:
        answer = steps.send(challenge)
        assert answer is not None
        out.append(answer)
    return out


# -- the table ------------------------------------------------------------------------------------


def test_table_rows() -> None:
    rows = {
        name: (m.needs_cleartext_protection, m.credential, m.may_use_initial_response)
        for name, m in MECHANISMS.items()
    }
    assert rows == {
        "PLAIN": (True, "password", True),
        "LOGIN": (True, "password", False),
        "CRAM-MD5": (False, "password", False),
        "XOAUTH2": (True, "token", True),
        "OAUTHBEARER": (True, "token", True),
    }


# -- PLAIN (RFC 4616 section 4) -------------------------------------------------------------------


def test_plain_rfc4616_example_as_initial_response() -> None:
    (message,) = _run("PLAIN", TIM, True, [])
    assert message == b"\0tim\0tanstaaftanstaaf"
    assert _b64(message) == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"


def test_plain_without_initial_response_waits_for_the_empty_challenge() -> None:
    steps = MECHANISMS["PLAIN"].steps(TIM, False)
    assert next(steps) is None
    assert steps.send(b"") == b"\0tim\0tanstaaftanstaaf"
    with pytest.raises(StopIteration):  # nothing more to say: the session cancels
        steps.send(b"again?")


def test_plain_is_utf8_never_ascii() -> None:
    (message,) = _run("PLAIN", Credentials("山田", "パスワード"), True, [])
    assert message == "\0山田\0パスワード".encode()


@given(st.text(), st.text())
def test_plain_round_trips_any_credentials(user: str, password: str) -> None:
    (message,) = _run("PLAIN", Credentials(user.replace("\0", ""), password), True, [])
    _authzid, authcid, passwd = message.split(b"\0", 2)
    assert passwd.decode() == password and authcid.decode() == user.replace("\0", "")


# -- LOGIN ----------------------------------------------------------------------------------------


def test_login_answers_user_then_password_whatever_the_prompts_say() -> None:
    out = _run("LOGIN", TIM, True, [b"Username:", b"Password:"])
    assert out == [b"tim", b"tanstaaftanstaaf"]  # no initial response even when allowed
    assert [_b64(x) for x in out] == ["dGlt", "dGFuc3RhYWZ0YW5zdGFhZg=="]
    assert _run("LOGIN", TIM, False, [b"User Name\0", b"Secret"]) == out


# -- CRAM-MD5 (RFC 2195 section 2) ----------------------------------------------------------------


def test_cram_md5_rfc2195_example() -> None:
    challenge_b64 = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    challenge = base64.b64decode(challenge_b64)
    assert challenge == b"<1896.697170952@postoffice.reston.mci.net>"
    (answer,) = _run("CRAM-MD5", TIM, True, [challenge])
    assert answer == b"tim b913a602c7eda7a495b4e6e7334d3890"
    assert _b64(answer) == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"


@pytest.mark.parametrize("challenge", [b"", b" ", b"\r\n"])
def test_cram_md5_refuses_an_empty_challenge(challenge: bytes) -> None:
    with pytest.raises(AuthError) as info:
        _run("CRAM-MD5", TIM, True, [challenge])
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.msgid == "smtp.cram_md5_empty_challenge"


# -- XOAUTH2 (Google's "SASL XOAUTH2" page) -------------------------------------------------------

GOOGLE_TOKEN = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
GOOGLE_B64 = (
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhk"
    "SFJoZG1semRHRXVZMjl0Q2cBAQ=="
)
XOAUTH2_ERROR = base64.b64decode(
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="
)  # what Dovecot sends for a bad token (test-stack.md section 7)


def test_xoauth2_google_example_as_initial_response() -> None:
    creds = Credentials("someuser@example.com", GOOGLE_TOKEN)
    (message,) = _run("XOAUTH2", creds, True, [])
    assert _b64(message) == GOOGLE_B64


def test_xoauth2_two_step_form_and_failure_dance() -> None:
    creds = Credentials("someuser@example.com", GOOGLE_TOKEN)
    steps = MECHANISMS["XOAUTH2"].steps(creds, False)
    assert next(steps) is None  # AUTH XOAUTH2 alone, then "334 "
    assert _b64(steps.send(b"")) == GOOGLE_B64
    # The error challenge is answered with an empty line, never the token again.
    assert steps.send(XOAUTH2_ERROR) == b""
    with pytest.raises(StopIteration):
        steps.send(XOAUTH2_ERROR)


def test_xoauth2_failure_json_is_explained() -> None:
    explain = MECHANISMS["XOAUTH2"].explain_failure
    assert explain(XOAUTH2_ERROR) == "status=401 schemes=bearer scope=mail"
    assert explain(b"") is None
    assert explain(b"not json") is None
    assert explain(b"\xff\xfe") is None
    assert explain(b"[1, 2]") is None
    assert MECHANISMS["PLAIN"].explain_failure(XOAUTH2_ERROR) is None


# -- OAUTHBEARER (RFC 7628 section 4.1 and 4.3) ---------------------------------------------------

RFC7628_TOKEN = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
RFC7628_B64 = (
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
    "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
)


def test_oauthbearer_rfc7628_example() -> None:
    creds = Credentials("user@example.com", RFC7628_TOKEN, "server.example.com", 143)
    (message,) = _run("OAUTHBEARER", creds, True, [])
    assert _b64(message) == RFC7628_B64


def test_oauthbearer_failure_dance_answers_ctrl_a() -> None:
    creds = Credentials("user@example.com", RFC7628_TOKEN, "server.example.com", 143)
    steps = MECHANISMS["OAUTHBEARER"].steps(creds, False)
    assert next(steps) is None
    assert _b64(steps.send(b"")) == RFC7628_B64
    error = b'{"status":"invalid_token","scope":"mail","openid-configuration":"https://x/.wk"}'
    assert steps.send(error) == b"\x01"
    assert _b64(b"\x01") == "AQ=="
    assert MECHANISMS["OAUTHBEARER"].explain_failure(error) == (
        "status=invalid_token scope=mail openid-configuration=https://x/.wk"
    )


def test_oauthbearer_escapes_comma_and_equals_in_the_user() -> None:
    (message,) = _run("OAUTHBEARER", Credentials("a,b=c", "t", "h", 1), True, [])
    assert message.startswith(b"n,a=a=2Cb=3Dc,\x01host=h\x01port=1\x01")


def test_describe_oauth_error_directly() -> None:
    assert describe_oauth_error(b'{"status":"400"}') == "status=400"
    assert describe_oauth_error(b"{}") is None


# -- choosing -------------------------------------------------------------------------------------


def test_canonical_name_resolves_smail_alias() -> None:
    assert canonical_name("oauth-xoauth2") == "XOAUTH2"
    assert canonical_name(" auto ") == "AUTO"
    assert canonical_name("cram-md5") == "CRAM-MD5"


def test_choose_auto_over_tls_prefers_plain() -> None:
    offered = ["LOGIN", "CRAM-MD5", "PLAIN"]
    assert choose(offered, "auto", True, False, "password").name == "PLAIN"


def test_choose_auto_in_clear_needs_allow_plaintext_even_for_cram_md5() -> None:
    """CRAM-MD5's HMAC is offline-crackable by anyone on the path: in clear, "auto" treats it as
    it treats PLAIN and LOGIN (issue 12); with allow_plaintext it still comes first."""
    for offered in (["CRAM-MD5"], ["PLAIN", "CRAM-MD5"], ["PLAIN", "LOGIN"]):
        with pytest.raises(AuthError) as info:
            choose(offered, "auto", False, False, "password")
        assert info.value.code == ErrCode.AUTH_UNAVAILABLE
        assert info.value.msgid == "smtp.auth_cleartext_refused"
        assert info.value.params["mechanism"].split() == [
            m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered
        ]
    assert choose(["PLAIN", "CRAM-MD5"], "auto", False, True, "password").name == "CRAM-MD5"
    assert choose(["PLAIN", "LOGIN"], "auto", False, True, "password").name == "PLAIN"
    assert choose(["CRAM-MD5"], "auto", True, False, "password").name == "CRAM-MD5"


def test_choose_named_mechanism_in_clear_is_refused_before_looking_at_the_offer() -> None:
    with pytest.raises(AuthError) as info:
        choose([], "PLAIN", False, False, "password")
    assert info.value.msgid == "smtp.auth_cleartext_refused"
    # CRAM-MD5 does not reveal the password: allowed in clear when offered.
    assert choose(["CRAM-MD5"], "CRAM-MD5", False, False, "password").name == "CRAM-MD5"


def test_choose_named_mechanism_not_offered_names_the_offer() -> None:
    with pytest.raises(AuthError) as info:
        choose(["LOGIN", "PLAIN"], "CRAM-MD5", True, False, "password")
    assert info.value.code == ErrCode.AUTH_UNAVAILABLE
    assert info.value.params == {"mechanism": "CRAM-MD5", "offered": "LOGIN PLAIN"}
    assert "LOGIN PLAIN" in str(info.value)


def test_choose_unknown_name_and_wrong_credential_kind() -> None:
    with pytest.raises(AuthError) as info:
        choose(["GSSAPI"], "GSSAPI", True, False, "password")
    assert info.value.msgid == "smtp.auth_unknown_mechanism"
    with pytest.raises(AuthError) as info:
        choose(["XOAUTH2"], "XOAUTH2", True, False, "password")
    assert info.value.msgid == "smtp.auth_needs_token"
    with pytest.raises(AuthError) as info:
        choose(["PLAIN"], "PLAIN", True, False, "token")
    assert info.value.msgid == "smtp.auth_needs_password"


def test_choose_tokens() -> None:
    assert choose(["XOAUTH2", "OAUTHBEARER"], "auto", True, False, "token").name == "XOAUTH2"
    assert choose(["OAUTHBEARER", "PLAIN"], "auto", True, False, "token").name == "OAUTHBEARER"
    assert choose(["XOAUTH2"], "OAUTH-XOAUTH2", True, False, "token").name == "XOAUTH2"
    with pytest.raises(AuthError) as info:
        choose(["PLAIN", "LOGIN"], "auto", True, False, "token")
    assert info.value.msgid == "smtp.auth_no_token_mechanism"
    assert info.value.params["offered"] == "PLAIN LOGIN"
    with pytest.raises(AuthError):
        choose(["XOAUTH2"], "auto", False, False, "token")  # bearer tokens need TLS too


def test_choose_nothing_offered() -> None:
    with pytest.raises(AuthError) as info:
        choose([], "auto", True, False, "password")
    assert info.value.msgid == "smtp.auth_no_password_mechanism"
    assert info.value.params["offered"] == "(none)"


def test_auth_request_kind_and_repr_hide_secrets() -> None:
    req = AuthRequest("auto", "alice", password=lambda: "alice-pw")
    assert req.kind == "password" and not req.token_initial_response
    assert AuthRequest("auto", "alice", token=lambda: "tok").kind == "token"
    assert "alice-pw" not in repr(req) and "lambda" not in repr(req)
    assert "secret" not in repr(TIM) and "tanstaaf" not in repr(TIM)
