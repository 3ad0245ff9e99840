"""`smail` with the outbox, retries, bulk sending, finished messages, completion and --setup:
the command-line wiring of docs/reliability.md and docs/batch.md, through the real stack.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    ScriptedHandler,
    fetch_one,
    free_port,
    hermetic_env,
    marker,
    run_exe,
    run_main,
    smail_command,
    smtpd,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack


def _relay_args(stack: Stack) -> list[str]:
    """Postfix's relay: plain SMTP, no AUTH, delivering into the Dovecot mailboxes."""
    return [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]


def _outbox_ini(folder: Path, extra: str = "") -> Path:
    spool = folder / "outbox"
    write_ini(folder, f"[smail]\noutbox_dir = {spool}\n{extra}")
    return spool


def test_queue_sends_at_once_and_leaves_nothing(stack: Stack, tmp_path: Path) -> None:
    spool = _outbox_ini(tmp_path)
    mark = marker("queue-now")
    result = run_main([*_relay_args(stack), "--queue", "-s" + mark, "-Tq", BOB], tmp_path)
    assert result.code == 0, result.out
    fetch_one(stack, BOB, mark)
    assert not list(spool.glob("*.msg"))


def test_queue_keeps_what_cannot_go_and_flush_sends_it_later(stack: Stack, tmp_path: Path) -> None:
    spool = _outbox_ini(tmp_path)
    down = free_port()  # nothing listens: connection refused (temporary)
    mark = marker("queued")
    argv = ["-h127.0.0.1", "--port", str(down), "--tls", "none", "-f" + ALICE, "--queue"]
    result = run_main([*argv, "-s" + mark, "-Tlater", BOB], tmp_path)
    assert result.code == 0, result.out  # safely in the outbox: the job may go on
    queued = list(spool.glob("*.msg"))
    assert len(queued) == 1
    listing = run_main(["--queue-list"], tmp_path)
    assert listing.code == 0 and queued[0].stem in listing.out and BOB in listing.out
    # the server is back (the relay): a flush sends it, once; the message keeps its Message-ID
    for state in spool.glob("*.state"):
        state.unlink()  # due now instead of after the backoff
    flushed = run_main([*_relay_args(stack), "--flush"], tmp_path)
    assert flushed.code == 0, flushed.out
    msg = fetch_one(stack, BOB, mark)
    assert msg["Message-ID"]
    assert not list(spool.glob("*.msg"))
    assert run_main([*_relay_args(stack), "--flush"], tmp_path).code == 0  # nothing left
    time.sleep(0.5)
    assert stack.fetch(BOB, expect=0) == []


def test_a_flush_sends_every_due_message_over_one_connection(stack: Stack, tmp_path: Path) -> None:
    """D39: one greeting, EHLO and QUIT for the whole flush, each message its transaction."""
    spool = _outbox_ini(tmp_path)
    down = free_port()
    argv = ["-h127.0.0.1", "--port", str(down), "--tls", "none", "-f" + ALICE, "--queue"]
    marks = [marker(f"one-connection-{n}") for n in range(3)]
    for mark in marks:
        assert run_main([*argv, "-s" + mark, "-Tx", BOB], tmp_path).code == 0
    for state in spool.glob("*.state"):
        state.unlink()  # due now
    flushed = run_main([*_relay_args(stack), "--flush", "-d"], tmp_path)
    assert flushed.code == 0, flushed.out
    lines = flushed.out.splitlines()
    assert sum("EHLO " in ln for ln in lines) == 1, flushed.out
    assert sum("QUIT" in ln for ln in lines) == 1, flushed.out
    assert sum("MAIL FROM:" in ln for ln in lines) == 3, flushed.out
    for mark in marks:
        fetch_one(stack, BOB, mark)
    assert not list(spool.glob("*.msg"))


def test_two_flushes_at_once_never_send_twice(stack: Stack, tmp_path: Path) -> None:
    spool = _outbox_ini(tmp_path)
    down = free_port()
    mark = marker("two-flush")
    argv = ["-h127.0.0.1", "--port", str(down), "--tls", "none", "-f" + ALICE, "--queue"]
    for i in range(10):
        assert run_main([*argv, f"-s{mark}-{i}", "-Tx", BOB], tmp_path).code == 0
    for state in spool.glob("*.state"):
        state.unlink()
    command = [*smail_command(), *_relay_args(stack), "--config", "smail.ini", "--flush"]
    env = hermetic_env(tmp_path)
    procs = [subprocess.Popen(command, cwd=tmp_path, env=env) for _ in range(2)]
    for proc in procs:
        proc.wait(timeout=60)
    remaining = list(spool.glob("*.msg"))
    if remaining:  # the second flush found the lock taken and left the rest for later
        assert run_main([*_relay_args(stack), "--flush"], tmp_path).code == 0
    messages = stack.fetch(BOB, expect=10, timeout=20)
    time.sleep(1.0)
    messages += stack.fetch(BOB, expect=0)
    assert len(messages) == 10


def test_temporary_failure_without_outbox_keeps_the_text(tmp_path: Path) -> None:
    spool = _outbox_ini(tmp_path)
    with smtpd(ScriptedHandler(rcpt_reply="451 4.3.0 try again later")) as port:
        argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "-f" + ALICE]
        result = run_main([*argv, "-skept", "-Tkeep me", BOB], tmp_path)
    assert result.code == 29, result.out
    kept = list((spool / "unsent").glob("*.msg"))
    assert len(kept) == 1 and str(kept[0]) in result.out
    assert b"keep me" in kept[0].read_bytes()
    assert kept[0].stat().st_mode & 0o077 == 0


def test_permanent_failure_keeps_nothing(tmp_path: Path) -> None:
    spool = _outbox_ini(tmp_path)
    with smtpd(ScriptedHandler(rcpt_reply="550 5.1.1 no such user")) as port:
        argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "-f" + ALICE]
        result = run_main([*argv, "-sx", "-Tx", BOB], tmp_path)
    assert result.code == 11, result.out
    assert not (spool / "unsent").exists() or not list((spool / "unsent").glob("*.msg"))


def test_retry_rides_out_a_server_that_comes_back(stack: Stack, tmp_path: Path) -> None:
    """--retry: the first attempts are refused (nothing listens), then a relay proxy appears."""
    import socket
    import threading

    _outbox_ini(tmp_path)
    port = free_port()
    mark = marker("retry")

    def forward_later() -> None:
        time.sleep(1.5)
        with socket.create_server(("127.0.0.1", port)) as listener:
            client, _ = listener.accept()
        upstream = socket.create_connection((stack.relay_host, stack.relay))
        with client, upstream:

            def pump(src: socket.socket, dst: socket.socket) -> None:
                try:
                    while data := src.recv(65536):
                        dst.sendall(data)
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

            back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
            back.start()
            pump(client, upstream)
            back.join(10)

    forwarder = threading.Thread(target=forward_later, daemon=True)
    forwarder.start()
    argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "-f" + ALICE, "--retry", "60"]
    result = run_main([*argv, "-s" + mark, "-Tx", BOB, "-d"], tmp_path)
    assert result.code == 0, result.out
    assert "trying again in" in result.out
    forwarder.join(10)
    fetch_one(stack, BOB, mark)


def test_batch_sends_every_row_with_its_variables(stack: Stack, tmp_path: Path) -> None:
    mark = marker("batch")
    rows = ["to,name"] + [f"{BOB},person{i}" for i in range(25)]
    (tmp_path / "rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    argv = [*_relay_args(stack), "--batch", "rows.csv", "--report", "report.csv"]
    result = run_main([*argv, f"-s{mark} {{name}}", "-THello {name}."], tmp_path)
    assert result.code == 0, result.out
    messages = stack.fetch(BOB, expect=25, timeout=30)
    assert len(messages) == 25
    report = (tmp_path / "report.csv").read_text(encoding="utf-8").splitlines()
    assert len(report) == 26  # header + one line per row


def test_eml_sends_a_finished_message(stack: Stack, tmp_path: Path) -> None:
    mark = marker("eml")
    (tmp_path / "m.eml").write_bytes(
        f"From: {ALICE}\r\nTo: {BOB}\r\nBcc: {ALICE}\r\nSubject: {mark}\r\n\r\nbody\r\n".encode()
    )
    result = run_main([*_relay_args(stack), "--eml", "m.eml"], tmp_path)
    assert result.code == 0, result.out
    msg = fetch_one(stack, BOB, mark)
    assert msg["Bcc"] is None
    hidden = fetch_one(stack, ALICE, mark)  # the Bcc recipient got it, without the header
    assert hidden["Bcc"] is None


def test_completion_and_setup_are_reachable_from_smail(tmp_path: Path) -> None:
    bash = run_exe(["--completion", "bash"], tmp_path)
    assert bash.code == 0 and "complete" in bash.out and "--queue" in bash.out
    proc = subprocess.Popen(
        [*smail_command(), "--setup"],
        cwd=tmp_path,
        env=hermetic_env(tmp_path, {"BROWSER": "true"}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        deadline = time.monotonic() + 10
        while "http://127.0.0.1:" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
        assert "http://127.0.0.1:" in line, line
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
