"""`smail --flush` on the scheduler's pipelined path (docs/decisions.md D43), through the real
stack's Postfix relay (it pipelines across messages): every outcome as before (sent and removed,
a refused message to failed/, the exit code of the first permanent failure), one connection, and
the next message's commands on their way before the previous message's answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    assert_not_delivered,
    fetch_one,
    free_port,
    marker,
    run_main,
    write_ini,
)
from pysmail.exitcodes import ErrCode
from stackutil import Stack

pytestmark = pytest.mark.stack

REJECTED = "rejected@example.test"  # the stack's Postfix refuses it at RCPT (550 5.1.1)


def _queue(tmp_path: Path, recipients: list[str]) -> tuple[Path, list[str]]:
    """Queue one message per recipient (the server is down: each stays in the outbox), due now."""
    spool = tmp_path / "outbox"
    write_ini(tmp_path, f"[smail]\noutbox_dir = {spool}\n")
    down = ["-h127.0.0.1", "--port", str(free_port()), "--tls", "none", "-f" + ALICE, "--queue"]
    marks = [marker(f"pipelined-{n}") for n in range(len(recipients))]
    for mark, rcpt in zip(marks, recipients, strict=True):
        assert run_main([*down, "-s" + mark, "-Tx", rcpt], tmp_path).code == 0
    for state in spool.glob("*.state"):
        state.unlink()  # due now
    return spool, marks


def test_a_pipelined_flush_keeps_every_outcome(stack: Stack, tmp_path: Path) -> None:
    spool, marks = _queue(tmp_path, [BOB, REJECTED, BOB, BOB])
    relay = [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]
    flushed = run_main([*relay, "--flush", "-d"], tmp_path)
    assert flushed.code == ErrCode.HANDLING, flushed.out
    lines = flushed.out.splitlines()
    assert sum("EHLO " in ln for ln in lines) == 1, flushed.out
    assert sum("QUIT" in ln for ln in lines) == 1, flushed.out
    assert sum(ln.startswith("Sent ") for ln in lines) == 3, flushed.out
    assert sum("Failed for good" in ln for ln in lines) == 1, flushed.out
    assert any("RSET" in ln for ln in lines), flushed.out  # the refused transaction's end
    # pipelined: the second message's MAIL went out before the first message's 250
    mails = [i for i, ln in enumerate(lines) if "MAIL FROM:" in ln]
    queued = [i for i, ln in enumerate(lines) if "queued as" in ln]
    assert mails[1] < queued[0], flushed.out
    for mark in (marks[0], marks[2], marks[3]):
        fetch_one(stack, BOB, mark)
    assert_not_delivered(stack, [BOB], [marks[1]])
    assert not list(spool.glob("*.msg")) and not list(spool.glob("*.state"))
    [failed] = (spool / "failed").glob("*.msg")
    assert "550 5.1.1" in failed.with_suffix(".reason").read_text()
