"""Bulk sending at its edges (issue 12): smail.ini's pacing overrides work.

Delivery goes through the real stack (Postfix's relay into Dovecot, read back over POP3).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cli.util import ALICE, BOB, assert_not_delivered, fetch_one, marker, run_main, write_ini
from pysmail.exitcodes import ErrCode
from stackutil import Stack


def relay_args(stack: Stack) -> list[str]:
    """Postfix's relay: plain SMTP, no AUTH, delivering into the Dovecot mailboxes."""
    return [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


# -- pacing overrides ---------------------------------------------------------------------------


@pytest.mark.stack
def test_a_batch_with_pacing_overrides_is_accepted_and_delivers(
    stack: Stack, tmp_path: Path
) -> None:
    mark = marker("paced")
    write_ini(
        tmp_path,
        "[smail]\npacing = gmail\npacing_per_minute = 600\npacing_per_day = 0\n"
        "pacing_recipients_per_day = 1000\npacing_recipients_per_message = 2\n",
    )
    write_csv(tmp_path / "rows.csv", [{"to": BOB, "n": "1"}, {"to": f"{BOB},CC:{ALICE}", "n": "2"}])
    argv = [*relay_args(stack), f"-s{mark} {{n}}", "-Tx", "--batch", "rows.csv", "-d"]
    result = run_main(argv, tmp_path)
    assert result.code == 0, result.out
    assert "unknown key" not in result.out
    fetch_one(stack, BOB, f"{mark} 1")
    fetch_one(stack, BOB, f"{mark} 2")
    fetch_one(stack, ALICE, f"{mark} 2")


@pytest.mark.stack
def test_a_pacing_override_is_applied(stack: Stack, tmp_path: Path) -> None:
    """pacing_recipients_per_message = 1: the two-recipient row is refused, the other sent."""
    mark = marker("paced-one")
    write_ini(tmp_path, "[smail]\npacing_recipients_per_message = 1\n")
    write_csv(tmp_path / "rows.csv", [{"to": f"{BOB},{ALICE}", "n": "1"}, {"to": BOB, "n": "2"}])
    argv = [*relay_args(stack), f"-s{mark} {{n}}", "-Tx", "--batch", "rows.csv"]
    result = run_main(argv, tmp_path)
    assert result.code == ErrCode.HANDLING, result.out
    assert "2 recipients are more than smail.ini accepts for one message" in result.out
    fetch_one(stack, BOB, f"{mark} 2")
    assert_not_delivered(stack, [BOB, ALICE], [f"{mark} 1"])
