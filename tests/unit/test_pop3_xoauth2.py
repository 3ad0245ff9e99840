"""POP3 AUTH XOAUTH2's challenge loop against a scripted server (no sockets)."""

from __future__ import annotations

import base64

import pytest

from pysmail.errors import Pop3Error
from pysmail.pop3.before_smtp import MAX_CHALLENGES, PopParams, _xoauth2
from pysmail.smtp.trace import Trace


class _ScriptedPop:
    """Answers `AUTH XOAUTH2` with `+ ` and each later line with the next scripted reply."""

    def __init__(self, replies: list[bytes]) -> None:
        self.replies = replies
        self.sent: list[str] = []

    def _shortcmd(self, line: str) -> bytes:
        self.sent.append(line)
        return b"+ "

    def _putcmd(self, line: str) -> None:
        self.sent.append(line)

    def _getresp(self) -> bytes:
        return self.replies.pop(0)


def _challenge(payload: bytes) -> bytes:
    return b"+ " + base64.b64encode(payload)


def _run(replies: list[bytes]) -> tuple[_ScriptedPop, list[str]]:
    pop = _ScriptedPop(replies)
    lines: list[str] = []
    _xoauth2(pop, PopParams("pop.test", 110), "alice", "tok", Trace(lines.append))  # type: ignore[arg-type]
    return pop, lines


def test_ok_after_the_first_answer_logs_in() -> None:
    pop, lines = _run([b"+OK logged in"])
    assert pop.sent[0] == "AUTH XOAUTH2" and len(pop.sent) == 2
    assert lines[-1] == "Recv: +OK logged in"


def test_ok_after_the_last_allowed_answer_logs_in() -> None:
    assert MAX_CHALLENGES == 3
    replies = [_challenge(b'{"status":"401"}'), _challenge(b"more"), b"+OK logged in"]
    pop, lines = _run(replies)
    assert len(pop.sent) == 1 + MAX_CHALLENGES
    assert lines[-1] == "Recv: +OK logged in"


def test_a_challenge_after_the_last_allowed_answer_is_refused() -> None:
    replies = [_challenge(b'{"status":"401"}'), _challenge(b"more"), _challenge(b"again")]
    with pytest.raises(Pop3Error) as info:
        _run(replies)
    assert info.value.msgid == "pop3.login_failed"
    assert info.value.reply == _challenge(b"again").decode()
