"""Bulk sending at its edges (issue 12): a batch file's attachments stay in their folder, and
smail.ini's pacing overrides work.

Delivery goes through the real stack (Postfix's relay into Dovecot, read back over POP3).
"""

from __future__ import annotations

import csv
import io
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    assert_not_delivered,
    fetch_one,
    marker,
    run_main,
    write_ini,
)
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
