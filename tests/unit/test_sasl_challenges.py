"""sasl.challenges.ChallengeDriver: the one challenge loop of SMTP's 334 and POP3's "+ "."""

from __future__ import annotations

import base64
from collections.abc import Generator

import pytest

from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode
from pysmail.sasl.challenges import ChallengeDriver


def _echo(rounds: int) -> Generator[bytes | None, bytes, None]:
    """A mechanism that answers each challenge with it reversed, `rounds` times."""
    challenge = yield None
    for _ in range(rounds):
        challenge = yield challenge[::-1]


def _started(steps: Generator[bytes | None, bytes, None], limit: int) -> ChallengeDriver:
    next(steps)
    return ChallengeDriver(steps, limit=limit)


def test_a_challenge_is_decoded_answered_and_encoded() -> None:
    driver = _started(_echo(2), 3)
    answer = driver.respond(base64.b64encode(b"abc") + b"  ")
    assert answer == b"cba" and driver.challenge == b"abc"
    assert driver.line(answer) == base64.b64encode(b"cba")
    assert driver.respond(" " + base64.b64encode(b"xy").decode()) == b"yx"  # str: SMTP's line


def test_a_challenge_that_is_not_base64_is_cancelled() -> None:
    driver = _started(_echo(2), 3)
    assert driver.respond(b"not base64!") is None and driver.challenge == b""
    assert driver.respond("日本") is None  # not even ASCII
    assert driver.line(None) == b"*"


def test_a_mechanism_with_nothing_more_to_say_cancels() -> None:
    driver = _started(_echo(0), 3)
    assert driver.respond(base64.b64encode(b"more?")) is None
    assert driver.challenge == b"more?"


def test_an_empty_answer_is_an_empty_line() -> None:
    assert ChallengeDriver.line(b"") == b""


def test_the_limit_counts_every_challenge() -> None:
    driver = _started(_echo(10), 2)
    assert driver.more() and driver.challenge is None
    driver.respond(b"!!")  # a bad one counts too
    assert driver.more()
    driver.respond(base64.b64encode(b"a"))
    assert not driver.more() and driver.answered == 2


def test_a_refusing_mechanism_raises() -> None:
    def refuse() -> Generator[bytes | None, bytes, None]:
        yield None
        raise AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed")

    driver = _started(refuse(), 3)
    with pytest.raises(AuthError):
        driver.respond(base64.b64encode(b"x"))
