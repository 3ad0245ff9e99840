"""smail --eml FILE|- (a finished message sent as is) and --batch FOLDER (.eml files), end to
end against the stack's Postfix relay: envelope from the headers or the command line, Bcc
removed from what is sent, the body byte for byte (dot-stuffing and line ends included).

These call pysmail.batch.send_eml/run_batch with the settings `smail` builds from its
arguments (the --eml/--batch options are wired in smail_main by the lead)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from pysmail.cli.smail_args import parse_args
from pysmail.config.merge import merge
from pysmail.config.model import Settings
from pysmail.delivery.batch.run import run_batch, send_eml
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from stackutil import Stack

ALICE = "alice@example.test"
BOB = "bob@example.test"


def settings_for(
    stack: Stack, extra: Sequence[str] = (), recipients: Sequence[str] = ()
) -> Settings:
    argv = [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", *extra]
    settings = merge(
        parse_args([*argv, *(recipients or ["placeholder@example.test"])]).overrides, None
    )
    if recipients:
        return settings
    return replace(settings, message=replace(settings.message, recipients=()))


def finished(mark: str, *, bcc: str | None, eol: bytes = b"\n") -> bytes:
    lines = [
        b"From: Ann Sender <sender@example.test>",
        b"To: Alice <alice@example.test>",
        *([b"Bcc: " + bcc.encode()] if bcc else []),
        b"Subject: finished " + mark.encode(),
        b"Message-ID: <" + mark.encode() + b"@example.test>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"",
        b"first line",
        b".a line that starts with a dot",
        b"..",
        b"last line",
    ]
    return eol.join(lines) + eol


def fetch(stack: Stack, user: str, mark: str, count: int = 1) -> list[bytes]:
    got: list[bytes] = []
    while len(got) < count:
        got += [m for m in stack.fetch(user, expect=1, timeout=20) if mark.encode() in m]
    return got


def body_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[1]


def head_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_eml_with_bcc_reaches_every_header_recipient_and_shows_no_bcc(
    stack: Stack, tmp_path: Path
) -> None:
    mark = uuid.uuid4().hex[:10]
    (tmp_path / "m.eml").write_bytes(finished(mark, bcc=f"Bob <{BOB}>", eol=b"\n"))
    code = send_eml(settings_for(stack), "m.eml", cwd=tmp_path)
    assert code == 0
    for user in (ALICE, BOB):
        [raw] = fetch(stack, user, mark)
        assert b"\r\nBcc:" not in head_of(raw) and b"Bob <" not in head_of(raw)
        assert b"Return-Path: <sender@example.test>" in raw  # envelope sender from From
        assert (
            body_of(raw) == b"first line\r\n.a line that starts with a dot\r\n..\r\nlast line\r\n"
        )
        assert f"Subject: finished {mark}".encode() in raw


def test_eml_from_stdin_with_command_line_recipients_and_sender(
    stack: Stack, tmp_path: Path
) -> None:
    """Without a Bcc header; the command line chooses the recipients (To: alice is only a
    header then) and -f the envelope sender."""
    mark = uuid.uuid4().hex[:10]
    data = finished(mark, bcc=None, eol=b"\r\n")
    settings = settings_for(stack, ["-fbounces@example.test"], recipients=[BOB])
    code = send_eml(settings, "-", cwd=tmp_path, stdin=io.BytesIO(data))
    assert code == 0
    [raw] = fetch(stack, BOB, mark)
    assert b"Return-Path: <bounces@example.test>" in raw
    assert raw.endswith(data.split(b"\r\n", 1)[1].split(b"\r\n\r\n", 1)[1])  # body as is
    assert b"\r\nTo: Alice <alice@example.test>\r\n" in raw
    assert not [m for m in stack.fetch(ALICE, expect=0) if mark.encode() in m]


def test_eml_without_sender_or_recipients_is_refused_before_connecting(tmp_path: Path) -> None:
    (tmp_path / "m.eml").write_bytes(b"To: a@example.test\n\nbody\n")
    settings = merge(
        parse_args(["-h127.0.0.1", "--port", "9", "--tls", "none", "x@x.test"]).overrides, None
    )
    settings = replace(settings, message=replace(settings.message, recipients=()))
    with pytest.raises(UsageError) as exc:
        send_eml(settings, "m.eml", cwd=tmp_path)
    assert exc.value.code is ErrCode.OPTION and exc.value.msgid == "batch.eml_no_sender"
    (tmp_path / "n.eml").write_bytes(b"From: a@example.test\n\nbody\n")
    with pytest.raises(UsageError) as exc:
        send_eml(settings, "n.eml", cwd=tmp_path)
    assert exc.value.code is ErrCode.RECIPIENT


def test_batch_of_a_folder_of_eml_files(stack: Stack, tmp_path: Path) -> None:
    mark = uuid.uuid4().hex[:10]
    folder = tmp_path / "outgoing"
    folder.mkdir()
    for n in range(1, 6):
        data = finished(f"{mark}-{n}", bcc=BOB if n == 3 else None)
        (folder / f"{n:02d}.eml").write_bytes(data)
    (folder / "notes.txt").write_text("not a message")
    lines: list[str] = []
    code = run_batch(settings_for(stack), Path("outgoing"), cwd=tmp_path, out=lines.append,
                     report_path=tmp_path / "report.csv")  # fmt: skip
    assert code == 0, lines
    got = fetch(stack, ALICE, mark, 5)
    assert sorted(int(head_of(m).split(b"Subject: finished ")[1][11:12]) for m in got) == [
        1, 2, 3, 4, 5,
    ]  # fmt: skip
    [bcc] = fetch(stack, BOB, mark)
    assert f"{mark}-3".encode() in bcc and b"\r\nBcc:" not in head_of(bcc)
    assert all(b"\r\nBcc:" not in head_of(m) for m in got)
    with (tmp_path / "report.csv").open(encoding="utf-8-sig", newline="") as fh:
        report = list(csv.DictReader(fh))
    assert [r["message_id"] for r in report] == [f"<{mark}-{n}@example.test>" for n in range(1, 6)]
    assert report[2]["recipients"] == f"{ALICE}, {BOB}"
    assert all(r["status"] == "sent" for r in report)
