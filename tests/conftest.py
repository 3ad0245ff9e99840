"""Shared pytest fixtures: only the real loopback mail + OAuth stack (`stack`), kept small."""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# --import-mode=importlib does not put tests/ on sys.path; tests import `stackutil` from here.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from stackutil import Stack  # noqa: E402

STACK_SCRIPT = TESTS.parent / "scripts" / "stack.py"
START_TIMEOUT = 60.0


def _read_until_started(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bool, str]:
    """Collect the supervisor's output until it reports "stack started" or exits."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    output = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"stack started" not in output:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return False, output.decode(errors="replace") + f"\n(not started in {timeout} s)"
            chunk = os.read(fd, 65536)  # raw reads: no buffered line hiding from select()
            if not chunk:
                return False, output.decode(errors="replace")  # the supervisor exited
            output += chunk
    return True, output.decode(errors="replace")


def _start_failed(run: Path, proc: subprocess.Popen[bytes], output: str) -> str:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    subprocess.run(
        [sys.executable, str(STACK_SCRIPT), "stop", "--dir", str(run)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return f"the test stack did not start (scripts/stack.py start --dir {run}):\n{output}"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The real Dovecot + Postfix + OAuth server stack (tests/stackutil.py documents it).

    With PYSMAIL_STACK_DIR set, an already-running stack (`scripts/stack.py start --dir DIR`)
    is used and left running. Otherwise one is started for the session in a temporary folder
    and stopped at the end. If it cannot start, every test using it FAILS with the log tail.
    """
    existing = os.environ.get("PYSMAIL_STACK_DIR")
    if existing:
        try:
            running = Stack.load(existing)
        except (OSError, ValueError, KeyError) as exc:
            message = f"PYSMAIL_STACK_DIR={existing}: no usable stack.json ({exc})"
            pytest.fail(message, pytrace=False)
        yield running
        return

    if sys.platform == "win32":
        pytest.fail("the real mail stack (Dovecot, Postfix, Node) needs Linux", pytrace=False)
    # Not pytest's tmp_path: its parents are 0700, and Dovecot/Postfix drop privileges.
    run = Path(tempfile.mkdtemp(prefix="pysmail-stack-"))
    os.chmod(run, 0o755)
    # --supervise: the supervisor stops the stack when our end of its stdin closes, even if
    # this process dies; it also reaps every server process.
    proc = subprocess.Popen(
        [sys.executable, str(STACK_SCRIPT), "start", "--dir", str(run), "--supervise"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    started, output = _read_until_started(proc, START_TIMEOUT)
    if not started:
        message = _start_failed(run, proc, output)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        _remove(run)
        pytest.fail(message, pytrace=False)
    try:
        yield Stack.load(run)
    finally:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()  # EOF: the supervisor stops the stack
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            subprocess.run(
                [sys.executable, str(STACK_SCRIPT), "stop", "--dir", str(run)],
                capture_output=True,
                check=False,
                timeout=30,
            )
        proc.stdout.close()
        _remove(run)


def _remove(run: Path) -> None:
    """Delete the run folder, unless PYSMAIL_STACK_KEEP is set (to read its logs afterwards)."""
    if not os.environ.get("PYSMAIL_STACK_KEEP"):
        shutil.rmtree(run, ignore_errors=True)
