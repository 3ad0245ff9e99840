"""Provider pacing on the real stack: a `--batch` and a `--flush` under a per-minute limit
deliver no faster than the limit, measured from the server's own clock: Dovecot submission's
"Successfully relayed message" lines, microsecond timestamps (log_timestamp in
scripts/stack/dovecot.conf.tmpl), not our clock.

The window is rolling (delivery/pacing.py, as providers count): `LIMIT` messages may go at once,
the next one only when the first has left the last 60 seconds. Seeing that takes a minute
whatever the limit, so the limit is small (2 a minute, 3 messages a run) and the `--batch` and
the `--flush` run side by side, two processes with two senders, to spend that minute once. This
checks that we never exceed a provider's limit; it does not time our speed: the lower bound is
strict, the upper bounds are generous for a loaded 2-core machine.
"""

from __future__ import annotations

import csv
import datetime
import re
import subprocess
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    free_port,
    hermetic_env,
    marker,
    run_main,
    smail_command,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack

LIMIT = 2  # messages a minute
COUNT = 3  # the third must wait for the first to leave the window
WINDOW = 60.0
SLACK = 45.0  # generous: a loaded CI machine may be slow, never the other way round

_RELAYED = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) submission\([^)]*\)<[^>]*><[^>]*>: "
    r"Info: Successfully relayed message: from=<([^>]*)>"
)


def _ini(stack: Stack, folder: Path, user: str, pacing: str) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {user}\npassword = {stack.users[user]}\n"
        f"from = {user}\noutbox_dir = {folder / 'outbox'}\n{pacing}",
    )


def _relayed(stack: Stack, offset: int, sender: str) -> list[float]:
    """Dovecot's acceptance times (POSIX seconds) of the messages from `sender` logged after
    byte `offset` of its log."""
    with (stack.run_dir / "logs" / "dovecot.log").open("rb") as log:
        log.seek(offset)
        lines = log.read().decode("utf-8", "replace").splitlines()
    times = []
    for line in lines:
        found = _RELAYED.match(line)
        if found and found.group(2) == sender:
            stamp = datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S.%f")
            times.append(stamp.timestamp())
    return sorted(times)


def _assert_paced(times: list[float], what: str) -> None:
    assert len(times) == COUNT, f"{what}: {len(times)} messages relayed, not {COUNT}"
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]
    for i in range(LIMIT, COUNT):
        # never faster than the limit: no 60 s window of the server's holds more than LIMIT
        assert times[i] - times[i - LIMIT] >= WINDOW, f"{what}: too fast, gaps {gaps}"
        # and not held back far longer than the limit asks
        assert times[i] - times[i - LIMIT] < WINDOW + SLACK, f"{what}: gaps {gaps}"
    assert times[LIMIT - 1] - times[0] < SLACK, f"{what}: the first {LIMIT} waited: {gaps}"


@pytest.mark.timeout(300)
def test_batch_and_flush_keep_to_a_per_minute_limit_on_the_server(
    stack: Stack, tmp_path: Path
) -> None:
    batch_dir, flush_dir = tmp_path / "batch", tmp_path / "flush"
    batch_dir.mkdir()
    flush_dir.mkdir()
    # --flush: three messages queued while the server is "down" (a port nobody listens on)
    _ini(stack, flush_dir, BOB, "")
    down = ["-h127.0.0.1", "--port", str(free_port()), "--tls", "none", "--queue"]
    flush_marks = [marker(f"paced-flush-{i}") for i in range(COUNT)]
    for mark in flush_marks:
        queued = run_main([*down, "-s" + mark, "-Tx", ALICE], flush_dir)
        assert queued.code == 0, queued.out
    for state in (flush_dir / "outbox").glob("*.state"):
        state.unlink()  # due now instead of after the backoff
    # a preset with its per-minute value overridden (Exchange's 30 would not show in 3)
    _ini(stack, flush_dir, BOB, f"pacing = microsoft365\npacing_per_minute = {LIMIT}\n")
    # --batch: three rows; a per-minute limit of the user's own, no preset
    _ini(stack, batch_dir, ALICE, f"pacing_per_minute = {LIMIT}\n")
    batch_marks = [marker(f"paced-batch-{i}") for i in range(COUNT)]
    with (batch_dir / "rows.csv").open("w", newline="") as rows:
        writer = csv.writer(rows)
        writer.writerow(["to", "subject"])
        writer.writerows([BOB, mark] for mark in batch_marks)

    offset = (stack.run_dir / "logs" / "dovecot.log").stat().st_size
    runs = {
        "batch": subprocess.Popen(
            [*smail_command(), "-Tpaced", "--batch", "rows.csv"], cwd=batch_dir,
            env=hermetic_env(batch_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ),
        "flush": subprocess.Popen(
            [*smail_command(), "--flush"], cwd=flush_dir, env=hermetic_env(flush_dir),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ),
    }  # fmt: skip
    outputs = {name: proc.communicate(timeout=240)[0].decode() for name, proc in runs.items()}
    for name, proc in runs.items():
        assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{outputs[name]}"
    assert "Waiting" in outputs["flush"], outputs["flush"]  # the flush said it paced

    _assert_paced(_relayed(stack, offset, ALICE), "--batch")
    _assert_paced(_relayed(stack, offset, BOB), "--flush")
    got_bob = stack.fetch(BOB, expect=COUNT, timeout=20)
    got_alice = stack.fetch(ALICE, expect=COUNT, timeout=20)
    for mark in batch_marks:
        assert any(mark.encode() in m for m in got_bob), mark
    for mark in flush_marks:
        assert any(mark.encode() in m for m in got_alice), mark
    assert not list((flush_dir / "outbox").glob("*.msg"))
