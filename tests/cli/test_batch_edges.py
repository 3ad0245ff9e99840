"""Bulk sending at its edges (issue 12): a batch file's attachments stay in their folder,
--dry-run never opens a connection in any mode, and smail.ini's pacing overrides work.

Delivery goes through the real stack (Postfix's relay into Dovecot, read back over POP3);
"no connection" is proved by a loopback listener of the test's own that every server setting
points at (SMTP, POP before SMTP, the OAuth token endpoint): after the run, nothing is waiting
in its accept queue.
"""

from __future__ import annotations

import csv
import io
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    fetch_one,
    hermetic_env,
    marker,
    run_main,
    write_ini,
)
from pysmail.delivery.outbox import Envelope, enqueue, entries
from pysmail.exitcodes import ErrCode
from stackutil import Stack

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not really\n"


def relay_args(stack: Stack) -> list[str]:
    """Postfix's relay: plain SMTP, no AUTH, delivering into the Dovecot mailboxes."""
    return [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def attached(msg: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): bytes(part.get_payload(decode=True) or b"")
        for part in msg.iter_attachments()
    }


# -- attachments stay in the attachments folder -------------------------------------------------


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    """The current folder of the run (tmp_path/work) with sub/ok.txt; tmp_path/secret.txt and
    tmp_path/outside/ lie outside it."""
    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "ok.txt").write_text("inside\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "outside").mkdir()
    return folder


def outside_name(work: Path, how: str) -> str:
    """A name for tmp_path/secret.txt as a hostile batch file would write it."""
    secret = work.parent / "secret.txt"
    if how == "dotdot":
        return "../secret.txt"
    if how == "absolute":
        return str(secret)
    if how == "link":
        (work / "notes.txt").symlink_to(secret)
        return "notes.txt"
    if how == "linked-folder":
        (work / "docs").symlink_to(work.parent, target_is_directory=True)
        return "docs/secret.txt"
    raise AssertionError(how)


@pytest.mark.stack
@pytest.mark.parametrize("how", ["dotdot", "absolute", "link", "linked-folder"])
def test_a_row_naming_a_file_outside_the_folder_is_refused_and_nothing_is_sent(
    stack: Stack, work: Path, how: str
) -> None:
    mark = marker(f"confine-{how}")
    name = outside_name(work, how)
    rows = [
        {"to": BOB, "attachments": "sub/ok.txt"},
        {"to": BOB, "attachments": f"sub/ok.txt,{name}"},
    ]
    write_csv(work / "rows.csv", rows)
    result = run_main([*relay_args(stack), "-s" + mark, "-Tx", "--batch", "rows.csv"], work)
    assert result.code == ErrCode.ATTACHMENT, result.out
    assert f"In {work / 'rows.csv'}, row 2:" in result.out
    assert result.err_lines() == ["ERR-0003:Attachment file not found."], result.out
    said = f"rows.csv, row 2: the attachment {name} is outside the attachments folder {work}"
    assert said in result.out and "--attach-dir DIR" in result.out, result.out
    assert SECRET.strip() not in result.out
    assert_not_delivered(stack, [BOB], [mark])  # row 1 was fine, but nothing is sent


@pytest.mark.stack
def test_rows_naming_files_inside_the_folder_are_delivered(stack: Stack, work: Path) -> None:
    mark = marker("confine-in")
    (work / "in.txt").symlink_to(work / "sub" / "ok.txt")  # a link that stays inside
    write_csv(
        work / "rows.csv",
        [
            {"to": BOB, "attachments": "sub/ok.txt", "n": "1"},
            {"to": BOB, "attachments": f"in.txt,{work / 'sub' / 'ok.txt'}", "n": "2"},
        ],
    )
    argv = [*relay_args(stack), f"-s{mark} {{n}}", "-Tx", "--batch", "rows.csv"]
    result = run_main(argv, work)
    assert result.code == 0, result.out
    assert attached(fetch_one(stack, BOB, f"{mark} 1")) == {"ok.txt": b"inside\n"}
    assert attached(fetch_one(stack, BOB, f"{mark} 2")) == {
        "in.txt": b"inside\n",
        "ok.txt": b"inside\n",
    }


@pytest.mark.stack
@pytest.mark.parametrize("how", ["dotdot", "absolute"])
def test_attach_dir_widens_the_folder(stack: Stack, work: Path, how: str) -> None:
    mark = marker(f"attach-dir-{how}")
    name = "secret.txt" if how == "dotdot" else str(work.parent / "secret.txt")
    write_csv(work / "rows.csv", [{"to": BOB, "attachments": name}])
    argv = [*relay_args(stack), "-s" + mark, "-Tx", "--batch", "rows.csv", "--attach-dir", ".."]
    result = run_main(argv, work)
    assert result.code == 0, result.out
    assert attached(fetch_one(stack, BOB, mark)) == {"secret.txt": SECRET.encode()}


def test_attach_dir_confines_to_the_folder_it_names(work: Path) -> None:
    """--attach-dir DIR is the new folder, not an addition: the current folder is outside."""
    write_csv(work / "rows.csv", [{"to": BOB, "attachments": "../work/sub/ok.txt"}])
    argv = ["-h127.0.0.1", "-f" + ALICE, "-sS", "-Tx", "--batch", "rows.csv"]
    result = run_main([*argv, "--attach-dir", "../outside", "--dry-run"], work)
    assert result.code == ErrCode.ATTACHMENT, result.out
    assert "../work/sub/ok.txt is outside the attachments folder" in result.out


# -- --dry-run never opens a connection ---------------------------------------------------------


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A loopback port that is listened on but never accepted from: a connection made to it
    waits in the accept queue, where the test finds it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _addr = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def dry_folder(folder: Path, port: int, auth: str) -> None:
    """smail.ini whose SMTP server, POP before SMTP server and (with OAuth) token endpoint are
    all the listener; the outbox holds one message that is due."""
    ini = f"[smail]\noutbox_dir = {folder / 'outbox'}\ntimeout = 2\n"
    if auth == "oauth":
        token = folder / "smail_refreshtoken.ini"
        token.write_bytes(
            b"[OAUTH2]\r\nUserID=" + ALICE.encode() + b"\r\nClientID=cli\r\nClientSecret=s\r\n"
            b"RefreshToken=r-token\r\nTokenURI=http://127.0.0.1:%d/token\r\nOAUTH2_TIME_OUT=2\r\n"
            % port
        )
        token.chmod(0o600)
        ini += f"auth = oauth-xoauth2\noauth_token_file = {token}\n"
    else:
        ini += f"user = {ALICE}\npassword_command = never-run-by-a-dry-run\n"
    ini += (
        f"[pop_before_smtp]\nenabled = yes\nserver = 127.0.0.1\nport = {port}\ntls = none\n"
        f"user = {ALICE}\npassword_command = never-run-by-a-dry-run\n"
    )
    write_ini(folder, ini)
    write_csv(folder / "rows.csv", [{"to": BOB, "n": "1"}, {"to": ALICE, "n": "2"}])
    (folder / "eml").mkdir()
    message = f"From: {ALICE}\r\nTo: {BOB}\r\nBcc: {ALICE}\r\nSubject: eml-dry\r\n\r\nbody\r\n"
    (folder / "m.eml").write_text(message, encoding="utf-8", newline="")
    (folder / "eml" / "a.eml").write_text(message, encoding="utf-8", newline="")
    envelope = Envelope(ALICE, (BOB,), time.time(), message_id="<q@x>")
    enqueue(folder / "outbox", envelope, [b"Subject: queued-dry\r\n\r\nq\r\n"])


MODES = {
    "single": ["-sS {n}", "-Tx", BOB],
    "queue": ["--queue", "-sS", "-Tx", BOB],
    "batch": ["-sdry {n}", "-Tbody {n}", "--batch", "rows.csv", "--report", "report.csv"],
    "batch-parallel": ["-sdry {n}", "-Tx", "--batch", "rows.csv", "--parallel", "2"],
    "batch-folder": ["--batch", "eml"],
    "eml": ["--eml", "m.eml"],
    "flush": ["--flush"],
}


def dry_run(folder: Path, port: int, mode: str) -> Result:
    argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "-f" + ALICE]
    return run_main([*argv, *MODES[mode], "--dry-run"], folder, hermetic_env(folder))


@pytest.mark.parametrize("auth", ["password", "oauth"])
@pytest.mark.parametrize("mode", list(MODES))
def test_dry_run_opens_no_connection_in_any_mode(
    tmp_path: Path, listener: socket.socket, mode: str, auth: str
) -> None:
    port = int(listener.getsockname()[1])
    dry_folder(tmp_path, port, auth)
    result = dry_run(tmp_path, port, mode)
    assert result.code == 0, result.out
    assert connections(listener) == 0
    assert "ERR-" not in result.out
    assert not (tmp_path / "report.csv").exists()
    [queued], _bad = entries(tmp_path / "outbox")  # the flush sent nothing, --queue added nothing
    assert queued.envelope.message_id == "<q@x>"


def test_dry_run_shows_every_message_of_a_batch_and_its_envelope(
    tmp_path: Path, listener: socket.socket
) -> None:
    port = int(listener.getsockname()[1])
    dry_folder(tmp_path, port, "password")
    out = dry_run(tmp_path, port, "batch").out
    assert f"--dry-run: message 1, not sent; MAIL FROM:<{ALICE}> RCPT TO: {BOB}" in out
    assert f"--dry-run: message 2, not sent; MAIL FROM:<{ALICE}> RCPT TO: {ALICE}" in out
    assert "Subject: dry 1" in out and "Subject: dry 2" in out and "body 2" in out
    eml = dry_run(tmp_path, port, "eml").out
    assert f"RCPT TO: {BOB}, {ALICE}" in eml and "Subject: eml-dry" in eml
    assert "Bcc:" not in eml  # as it would be sent
    flush = dry_run(tmp_path, port, "flush").out
    assert "<q@x>" in flush


def test_dry_run_still_checks_every_row(tmp_path: Path, listener: socket.socket) -> None:
    port = int(listener.getsockname()[1])
    dry_folder(tmp_path, port, "password")
    write_csv(tmp_path / "rows.csv", [{"to": BOB, "n": "1"}, {"to": "not an address", "n": "2"}])
    result = dry_run(tmp_path, port, "batch")
    assert result.code == ErrCode.RECIPIENT, result.out
    assert "row 2" in result.out and "--dry-run: message" not in result.out
    assert connections(listener) == 0


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
