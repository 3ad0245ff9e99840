"""The sent journal (delivery/outbox/sentlog.py, docs/decisions.md D46): a message the server
took is written down at once and never sent again, whatever happens to the process after that;
its files go behind the sending, many at a time; a journal a killed run left is settled by the
next flush; the listing never shows a journaled message; a hostile journal removes nothing
outside the spool. The real-server kill is tests/cli/test_flush_killed.py."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from outboxutil import OneByOne
from pysmail.delivery import outbox
from pysmail.delivery.outbox import Envelope
from pysmail.delivery.outbox.sentlog import SentLog, settle
from pysmail.delivery.outbox.spool import SENT_NAME, journaled, queued
from pysmail.delivery.scheduler import Job
from pysmail.fs import remove
from pysmail.messages import text

MSG = b"From: a@x\r\nSubject: s\r\n\r\nbody\r\n"


def _queue(spool: Path, n: int) -> list[Path]:
    return [
        outbox.enqueue(spool, Envelope("a@x", (f"r{i}@x",), 1e9), [MSG], clock=lambda i=i: 1e9 + i)
        for i in range(n)
    ]


class _Recorder:
    """The delivery's send_one: what it was given, and a look at the spool after each 250."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.sent: list[tuple[str, ...]] = []
        self.journal_sizes: list[int] = []

    def __call__(self, job: Job, chunks: Iterable[bytes]) -> str:
        b"".join(chunks)
        self.sent.append(tuple(job.recipients))
        journal = self.spool / SENT_NAME
        self.journal_sizes.append(len(journal.read_bytes()) if journal.exists() else -1)
        return "250 ok"


def _flush(spool: Path, **kw: object) -> tuple[outbox.FlushResult, _Recorder]:
    recorder = _Recorder(spool)
    result = outbox.flush(spool, OneByOne(recorder), clock=lambda: 1e9 + 10, **kw)  # type: ignore[arg-type]
    return result, recorder


def test_a_run_journals_each_message_and_leaves_nothing_behind(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    paths = _queue(spool, 5)
    result, recorder = _flush(spool)
    assert len(result.sent) == 5 and len(recorder.sent) == 5
    # at each send, the journal held the lines of the messages sent before it
    line = len(paths[0].stem) + 1
    assert recorder.journal_sizes == [-1, line, 2 * line, 3 * line, 4 * line]
    assert not any(p.exists() for p in paths)
    assert sorted(f.name for f in spool.iterdir()) == [".flush.lock"]


def test_files_go_every_purge_round_and_the_journal_names_only_the_rest(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    paths = _queue(spool, 5)
    log = SentLog(spool, purge_every=2)
    for path in paths[:3]:
        log.add(path, has_state=False)
    assert not paths[0].exists() and not paths[1].exists() and paths[2].exists()
    assert journaled(spool) == {paths[2].stem}
    log.close()
    assert not paths[2].exists() and not (spool / SENT_NAME).exists()
    assert [p.name for p, _ in queued(spool)] == [paths[3].name, paths[4].name]


def test_a_killed_run_s_journal_is_never_sent_again(tmp_path: Path) -> None:
    """A process killed after the 250s of messages 0-2 left their files and their lines: the
    listing leaves them out, the next flush removes them and sends only 3 and 4."""
    spool = tmp_path / "spool"
    paths = _queue(spool, 5)
    state = paths[1].with_suffix(".state")
    state.write_bytes(b'{"attempts": 1, "next_try": 0, "last_error": "x", "maybe_sent": false}\n')
    torn = paths[3].stem[:7]  # the kill came in the middle of a line: no message has that name
    (spool / SENT_NAME).write_bytes(
        "".join(f"{p.stem}\n" for p in paths[:3]).encode() + torn.encode()
    )
    entries, bad = outbox.entries(spool)
    assert [e.name for e in entries] == [paths[3].stem, paths[4].stem] and not bad
    listing = outbox.list_lines(spool, "en")
    assert listing[0] == text("outbox.list_header", "en", spool=spool, count=2)
    assert len(listing) == 3 and paths[3].stem in listing[1] and paths[4].stem in listing[2]
    result, recorder = _flush(spool)
    assert recorder.sent == [("r3@x",), ("r4@x",)]
    assert result.sent == [paths[3].stem, paths[4].stem]
    assert not any(p.exists() for p in paths) and not state.exists()
    assert not (spool / SENT_NAME).exists()


def test_a_hostile_journal_removes_nothing_outside_the_spool(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    [path] = _queue(spool, 1)
    outside = tmp_path / "precious.msg"
    outside.write_bytes(b"keep")
    (tmp_path / "precious.state").write_bytes(b"keep")
    lines = ["../precious", str(tmp_path / "precious"), "..", ".", "", "a\\..\\..\\precious", "c:x"]
    (spool / SENT_NAME).write_text("\n".join(lines) + "\n")
    assert journaled(spool) == set()
    settle(spool)
    assert outside.exists() and (tmp_path / "precious.state").exists()
    assert path.exists()  # not named by any valid line: still queued
    assert not (spool / SENT_NAME).exists()


def test_a_file_that_cannot_be_removed_stays_journaled_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holding a sent file open past every retry (Windows): it stays on disk with its
    name in the journal, is not listed, and the next flush removes it without sending it."""
    spool = tmp_path / "spool"
    paths = _queue(spool, 2)
    real_unlink = os.unlink

    def held(path: str) -> None:
        if str(path) == str(paths[0]):
            raise PermissionError(errno.EACCES, "sharing violation", path)
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", held)
    result, _ = _flush(spool)
    assert len(result.sent) == 2
    assert paths[0].exists() and journaled(spool) == {paths[0].stem}
    assert outbox.entries(spool) == ([], [])
    monkeypatch.setattr(os, "unlink", real_unlink)
    result, recorder = _flush(spool)
    assert recorder.sent == [] and result.sent == []
    assert not paths[0].exists() and not (spool / SENT_NAME).exists()


def test_an_unwritable_journal_removes_the_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    [path] = _queue(spool, 1)

    def full(self: SentLog, msg: Path, has_state: bool) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SentLog, "add", full)
    result, _ = _flush(spool)
    assert result.sent == [path.stem] and not path.exists()


def test_a_name_the_journal_cannot_hold_is_removed_at_once(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    odd = spool / "line\nbreak.msg"
    odd.write_bytes(outbox.encode_header(Envelope("a@x", ("b@x",), 1e9)) + MSG)
    result, recorder = _flush(spool)
    assert recorder.sent == [("b@x",)] and not odd.exists()
    assert not (spool / SENT_NAME).exists()


def test_below_a_purge_round_the_files_wait_for_the_run_s_end(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    paths = _queue(spool, 3)
    log = SentLog(spool)
    for path in paths:
        log.add(path, has_state=False)
    assert all(p.exists() for p in paths) and journaled(spool) == {p.stem for p in paths}
    assert queued(spool) == []
    log.close()
    assert not any(p.exists() for p in paths) and not (spool / SENT_NAME).exists()


@pytest.mark.parametrize("workers", [1, 4, 16])
def test_remove_files_removes_each_once_and_reports_what_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    files = [tmp_path / f"{i:04d}.msg" for i in range(300)]
    for f in files:
        f.write_bytes(b"x")
    missing = [str(tmp_path / "gone.msg")]
    real_unlink = os.unlink
    calls: list[str] = []

    def counted(path: str) -> None:
        calls.append(str(path))
        if str(path).endswith("0007.msg"):
            raise PermissionError(errno.EACCES, "denied", path)
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", counted)
    failed = remove.remove_files([str(f) for f in files] + missing, workers=workers)
    assert [(p, type(e)) for p, e in failed] == [(str(files[7]), PermissionError)]
    assert sorted(calls) == sorted([str(f) for f in files] + missing)  # each path once
    assert [f.name for f in tmp_path.iterdir()] == ["0007.msg"]


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX: a link planted as the journal")
def test_a_link_planted_as_the_journal_is_not_written_through(tmp_path: Path) -> None:
    """Planted during a run (a flush settles one it finds first): the append refuses the link,
    and the run falls back to removing the file at once."""
    spool = tmp_path / "spool"
    [path] = _queue(spool, 1)
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"mine\n")
    (spool / SENT_NAME).symlink_to(target)
    with pytest.raises(OSError):
        SentLog(spool).add(path, has_state=False)
    assert target.read_bytes() == b"mine\n" and path.exists()
