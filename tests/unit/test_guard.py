"""cli/guard.py: every way a run can end becomes an exit code and at most one ERR block."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pysmail.app.guard import guarded
from pysmail.cli.guard import early_lang
from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode


def _run(raise_: BaseException | None, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    said: list[str] = []

    def run() -> int:
        if raise_ is not None:
            raise raise_
        return 0

    return guarded(run, say=said.append, lang="en", env=env or {}), said


def test_a_clean_run_says_nothing() -> None:
    assert _run(None) == (0, [])


@pytest.mark.parametrize(
    ("raised", "code", "start"),
    [
        (NetworkError(ErrCode.CONNECT, "smtp.connect_failed", host="h", port=25, reason="r"),
         ErrCode.CONNECT, "ERR-0008:"),
        (KeyboardInterrupt(), ErrCode.UNKNOWN, "ERR-0016:"),
        (MemoryError(), ErrCode.MEMORY, "ERR-0014:"),
        (ZeroDivisionError("boom"), ErrCode.UNKNOWN, "ERR-0016:"),
    ],
)  # fmt: skip
def test_each_ending_has_its_code_and_one_err_block(
    raised: BaseException, code: ErrCode, start: str
) -> None:
    rc, said = _run(raised)
    assert rc == int(code) and len(said) == 1 and said[0].startswith(start), said
    assert "Traceback" not in said[0] and "boom" not in said[0]


def test_a_bug_names_its_kind_and_shows_the_traceback_only_when_asked() -> None:
    rc, said = _run(ZeroDivisionError("boom"))
    assert "ZeroDivisionError" in said[0]
    rc, said = _run(ZeroDivisionError("boom"), {"PYSMAIL_TRACEBACK": "1"})
    assert rc == int(ErrCode.UNKNOWN) and said[0].startswith("Traceback") and len(said) == 2


def test_silent_says_nothing_but_keeps_the_code() -> None:
    def run() -> int:
        raise MemoryError

    assert guarded(run, say=None, lang="en", env={}) == int(ErrCode.MEMORY)


def test_systemexit_keeps_its_code() -> None:
    exits: list[Callable[[], int]] = [lambda: exit_with(0), lambda: exit_with(2)]
    assert [guarded(run, say=None, lang="en", env={}) for run in exits] == [0, 2]


def exit_with(code: int) -> int:
    raise SystemExit(code)


def test_early_lang() -> None:
    assert early_lang(["--lang=ja", "-hx"]) == "ja"
    assert early_lang(["-hx", "--lang", "en"]) == "en"
    assert early_lang(["--lang"]) is None and early_lang([]) is None
