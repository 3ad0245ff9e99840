"""SASL mechanisms as step generators: PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER.

A mechanism's `steps(credentials, initial_response)` returns a generator. Its first value is the
initial response (bytes) or None when the client waits for a challenge. Each later value is the
answer to the decoded challenge sent in with `.send()`. When the generator ends, the client has
nothing more to say and cancels the exchange (`*`). No I/O here, no base64: the session encodes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up

__all__ = [
    "CRAM_MD5",
    "LOGIN",
    "MECHANISMS",
    "OAUTHBEARER",
    "PLAIN",
    "XOAUTH2",
    "CredentialKind",
    "Credentials",
    "Mechanism",
    "Steps",
    "describe_oauth_error",
]

if TYPE_CHECKING:
    from typing import Literal

    CredentialKind = Literal["password", "token"]
else:
    CredentialKind = str
Steps = Generator[bytes | None, bytes, None]


@record
class Credentials:
    """What a mechanism needs: the user, the password or token, and the server's name and port."""

    user: str
    secret: str = field(repr=False)
    host: str = ""
    port: int = 0


@record
class Mechanism:
    """One row of the SASL table."""

    name: str
    steps: Callable[[Credentials, bool], Steps] = field(repr=False)
    # True when the exchange reveals the secret to anyone who can read the connection.
    needs_cleartext_protection: bool
    credential: CredentialKind
    # Whether an initial response may be sent on the AUTH line (RFC 4954 4).
    may_use_initial_response: bool
    # Turns the last server challenge of a failed exchange into a readable detail, if it can.
    explain_failure: Callable[[bytes], str | None] = field(repr=False, default=lambda _c: None)
    # True when anyone who reads the exchange can test password guesses against it offline
    # (CRAM-MD5's HMAC-MD5): "auto" uses it in clear only where it would use PLAIN.
    guessable_offline: bool = False


def _utf8(text: str) -> bytes:
    # RFC 4616 and RFC 7628 carry UTF-8; smtplib's .encode("ascii") breaks non-ASCII passwords.
    return text.encode("utf-8")


def _plain(creds: Credentials, initial_response: bool) -> Steps:
    """RFC 4616: `authzid NUL authcid NUL passwd`, with an empty authzid.

    S: 334
    C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm
    """
    message = b"\0" + _utf8(creds.user) + b"\0" + _utf8(creds.secret)
    if initial_response:
        yield message
    else:
        yield None
        yield message


def _login(creds: Credentials, initial_response: bool) -> Steps:
    """The LOGIN mechanism (draft-murchison-sasl-login): user, then password, on request.

    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6        ("Username:")
    C: dGlt
    S: 334 UGFzc3dvcmQ6        ("Password:")
    C: dGFuc3RhYWZ0YW5zdGFhZg==
    Servers word the prompts differently, so the order decides, not the prompt text.
    """
    del initial_response  # LOGIN never sends one: several servers mishandle it
    yield None
    yield _utf8(creds.user)
    yield _utf8(creds.secret)


def _cram_md5(creds: Credentials, initial_response: bool) -> Steps:
    """RFC 2195: answer the challenge with `user SP hex(HMAC-MD5(password, challenge))`.

    An empty challenge is refused: the answer to it would be the same for every connection, so
    whoever sent it could replay it or look it up in a table made in advance (RFC 2195 2 wants a
    unique timestamp). Raises AuthError(AUTH_UNAVAILABLE, "smtp.cram_md5_empty_challenge").
    """
    import hmac

    del initial_response
    challenge = yield None
    if not challenge.strip():
        from pysmail.errors import AuthError
        from pysmail.exitcodes import ErrCode

        raise AuthError(ErrCode.AUTH_UNAVAILABLE, "smtp.cram_md5_empty_challenge", host=creds.host)
    digest = hmac.new(_utf8(creds.secret), challenge, "md5").hexdigest()
    yield _utf8(creds.user) + b" " + digest.encode("ascii")


def _bearer_dance(message: bytes, initial_response: bool, failure_answer: bytes) -> Steps:
    if not initial_response:
        yield None  # wait for the empty "334 " challenge
    yield message
    # A challenge after the token is the server's JSON error report (RFC 7628 3.2.2, Google's
    # XOAUTH2 page). Answering it is required to get the final 5xx; the session keeps the JSON.
    yield failure_answer


def _xoauth2(creds: Credentials, initial_response: bool) -> Steps:
    """Google/Microsoft XOAUTH2: `user=U ^A auth=Bearer T ^A ^A`; empty line after an error."""
    message = b"user=" + _utf8(creds.user) + b"\x01auth=Bearer " + _utf8(creds.secret) + b"\x01\x01"
    return _bearer_dance(message, initial_response, b"")


def _gs2_name(user: str) -> str:
    # RFC 5801 saslname: "," and "=" must be escaped inside the GS2 header.
    return user.replace("=", "=3D").replace(",", "=2C")


def _oauthbearer(creds: Credentials, initial_response: bool) -> Steps:
    """RFC 7628: `n,a=U, ^A host=H ^A port=P ^A auth=Bearer T ^A ^A`; `^A` after an error."""
    message = _utf8(
        f"n,a={_gs2_name(creds.user)},\x01host={creds.host}\x01port={creds.port}"
        f"\x01auth=Bearer {creds.secret}\x01\x01"
    )
    return _bearer_dance(message, initial_response, b"\x01")


def describe_oauth_error(challenge: bytes) -> str | None:
    """`status=401 schemes=bearer scope=mail` from a decoded XOAUTH2/OAUTHBEARER error challenge.

    The JSON holds no secret (status, schemes, scope, openid-configuration), and it is the only
    place the server says *why* a token was refused. Non-JSON challenges give None.
    """
    import json

    try:
        data = json.loads(challenge.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    return " ".join(f"{key}={value}" for key, value in data.items())


PLAIN = Mechanism("PLAIN", _plain, True, "password", True)
LOGIN = Mechanism("LOGIN", _login, True, "password", False)
CRAM_MD5 = Mechanism("CRAM-MD5", _cram_md5, False, "password", False, guessable_offline=True)
# Bearer tokens are as good as a password while they live: they need TLS as much (RFC 7628 5).
XOAUTH2 = Mechanism("XOAUTH2", _xoauth2, True, "token", True, describe_oauth_error)
OAUTHBEARER = Mechanism("OAUTHBEARER", _oauthbearer, True, "token", True, describe_oauth_error)

MECHANISMS: dict[str, Mechanism] = {
    m.name: m for m in (PLAIN, LOGIN, CRAM_MD5, XOAUTH2, OAUTHBEARER)
}
