"""The console scripts leave without the interpreter's teardown when it has nothing left to do
(docs/decisions.md D40): nothing a run writes is lost by it. The real `smail` executable, the
real stack: the outbox file of a queued message, the token file and its cache after a refresh,
stdout (a whole message, far beyond a pipe's buffer, and the -d transcript), exit codes.
And `_leave` itself in a child: the teardown is skipped only when no atexit handler and no
thread module is there, and the buffered standard streams are flushed first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    fetch_one,
    free_port,
    hermetic_env,
    marker,
    run_exe,
    run_main,
    write_ini,
)
from pysmail.oauth.store import read_cache
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

SRC = Path(__file__).resolve().parents[2] / "src"


def _leave_in_child(setup: str, code: int = 3) -> subprocess.CompletedProcess[str]:
    """A child that writes 200,000 characters to stdout in small pieces and a line's start to
    stderr, without flushing,
    keeps an object whose finaliser says "teardown", runs `setup`, then `_leave(code)`."""
    script = (
        f"import sys\nsys.path.insert(0, {str(SRC)!r})\n"
        "from pysmail.cli.guard import _leave\n"
        "class Marker:\n"
        "    def __del__(self):\n"
        "        sys.__stderr__.write('teardown\\n')\n"
        "kept = Marker()\n"
        f"{setup}\n"
        "for _ in range(1000):\n    sys.stdout.write('x' * 200)\nsys.stderr.write('last line')\n"
        f"_leave({code})\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": ""}
    return subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )


def test_leave_skips_the_teardown_and_loses_no_output() -> None:
    done = _leave_in_child("")
    assert done.returncode == 3
    assert done.stdout == "x" * 200000
    assert done.stderr == "last line"  # flushed; no finaliser ran


@pytest.mark.parametrize(
    "setup",
    [
        "import atexit\natexit.register(lambda: sys.__stderr__.write('atexit\\n'))",
        "import threading",
    ],
)
def test_leave_tears_down_when_something_may_need_it(setup: str) -> None:
    done = _leave_in_child(setup)
    assert done.returncode == 3
    assert done.stdout == "x" * 200000
    assert done.stderr.startswith("last line") and "teardown\n" in done.stderr
    assert ("atexit\n" in done.stderr) == ("atexit" in setup)


def test_leave_lets_a_profiler_write_its_results(tmp_path: Path) -> None:
    """`python -m cProfile -o FILE smail ...` writes FILE after the script has ended: a run
    under a profiler (or a tracer: a debugger, coverage) takes the interpreter's own exit."""
    script = tmp_path / "run.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(SRC)!r})\n"
        "from pysmail.cli.guard import _leave\n_leave(3)\n"
    )
    prof = tmp_path / "run.prof"
    done = subprocess.run(
        [sys.executable, "-I", "-m", "cProfile", "-o", str(prof), str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr  # cProfile's own: it takes the SystemExit
    assert prof.is_file() and prof.stat().st_size > 0


@pytest.mark.stack
def test_a_queued_message_is_whole_in_the_outbox(stack: Stack, tmp_path: Path) -> None:
    spool = tmp_path / "outbox"
    write_ini(tmp_path, f"[smail]\noutbox_dir = {spool}\n")
    mark = marker("fast-exit-queued")
    body = tmp_path / "body.txt"
    body.write_text("".join(f"line {i:06d} of the body\n" for i in range(20000)))
    down = ["-h127.0.0.1", "--port", str(free_port()), "--tls", "none", "-f" + ALICE]
    queued = run_exe([*down, "--queue", "-s" + mark, f"-F{body}", BOB], tmp_path)
    assert queued.code == 0, queued.err
    assert len(list(spool.glob("*.msg"))) == 1
    for state in spool.glob("*.state"):
        state.unlink()  # due now
    relay = ["-h", stack.relay_host, "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]
    flushed = run_exe([*relay, "--flush"], tmp_path)
    assert flushed.code == 0, flushed.err
    got = fetch_one(stack, BOB, mark)
    assert got.get_payload(decode=True).decode() == body.read_text().replace("\n", "\r\n")
    assert not list(spool.glob("*.msg"))


@pytest.mark.stack
def test_a_refreshed_token_is_on_disk_and_stdout_and_stderr_are_whole(
    stack: Stack, tmp_path: Path
) -> None:
    token_path, _tokens = stack.write_token_file(tmp_path, ALICE, "mailcli")
    write_ini(
        tmp_path,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )
    mark = marker("fast-exit-oauth")
    sent = run_exe(["-s" + mark, "-Tx", BOB, "-d"], tmp_path)
    assert sent.code == 0, sent.out
    assert sent.out.rstrip().endswith("Recv: 221 2.0.0 Bye")  # the whole transcript
    fetch_one(stack, BOB, mark)
    # the refresh wrote the token file and its cache; the next sends read them, no new request
    cache = read_cache(token_path)
    assert cache is not None and cache.access_token
    assert read_token_file(token_path).refresh_token  # still a whole file
    for i in range(2):
        again = run_exe([f"-s{mark}-{i}", "-Tx", BOB], tmp_path)
        assert again.code == 0, again.out
    assert stack.token_request_count() == 1
    # a whole message on stdout (far more than a pipe holds), as in-process main writes it
    (tmp_path / "big.txt").write_text("body " * 60000)
    big = ["-s" + mark, "-Fbig.txt", "-m<id@fast.exit>", "--dry-run", BOB]
    shown = run_exe(big, tmp_path)
    assert shown.code == 0
    inside = run_main(big, tmp_path, hermetic_env(tmp_path))
    date = [line for line in inside.out.splitlines() if line.startswith("Date:")]
    assert shown.out.replace(_date(shown.out), date[0]) == inside.out
    # an error's exit code and text
    bad = run_exe(["--port", "x", BOB], tmp_path)
    assert bad.code == run_main(["--port", "x", BOB], tmp_path).code != 0
    assert "ERR-" in bad.out + bad.err


def _date(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Date:"))
