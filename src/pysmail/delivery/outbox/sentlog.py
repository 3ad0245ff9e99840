"""The sent journal: a flush writes down each message the server took, and removes the files
later, many at a time (docs/decisions.md D46).

`<spool>/.sent` holds one message name per line (the .msg file's name without `.msg`), appended
right after the server's final 250, in one write: from then on the message counts as sent, as
its removal did before, and a process killed at any later moment never sends it again. Its
files (.msg, .state) are removed behind the sending, PURGE_EVERY names at a time and at the
run's end (fs/remove.py: many removals overlap where one unlink waits for the disk), then the
journal is emptied. A journal left behind by a killed run is settled by the next flush before it
lists what is due; until then the listing and the due list leave its names out.

A line is trusted only as a plain file name (no folder part, not `.` or `..`): a journal
someone else wrote can make a flush remove queued messages of its own spool, nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pysmail.delivery.outbox.spool import (
    O_BINARY,
    SENT_NAME,
    journaled,
    plain_name,
    state_path,
    work_error,
    write_small,
)
from pysmail.fs.remove import remove_files

__all__ = ["PURGE_EVERY", "SentLog", "settle"]

PURGE_EVERY = 1024  # sent messages whose files wait for one removal round
_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND | O_BINARY | getattr(os, "O_NOFOLLOW", 0)


def settle(spool: Path) -> None:
    """Remove the files of the messages a journal left behind names, then the journal (a flush
    does this first, under the spool's lock). A file that cannot be removed keeps its name in
    the journal. Raises: SmailError(WORK_FILE, "outbox.remove_failed") when the journal itself
    cannot be rewritten."""
    names = journaled(spool)
    if not names and not (spool / SENT_NAME).exists():
        return
    _remove(spool, [(spool / f"{n}.msg", True) for n in sorted(names)])


def _remove(spool: Path, sent: Iterable[tuple[Path, bool]]) -> None:
    """Remove sent messages' files, then let the journal name only those still there."""
    paths = []
    for msg, has_state in sent:
        paths.append(str(msg))
        if has_state:
            paths.append(str(state_path(msg)))
    left = sorted({Path(p).stem for p, _ in remove_files(paths)})
    journal = spool / SENT_NAME
    try:
        if left:
            write_small(journal, os.fsencode("".join(f"{n}\n" for n in left)))
        else:
            journal.unlink(missing_ok=True)
    except OSError as exc:
        raise work_error("outbox.remove_failed", journal, exc) from exc


class SentLog:
    """One flush run's journal: `add` each sent message (its line written at once), `close`
    at the end (every file removed, the journal gone). A plain class: it fills as it goes."""

    def __init__(self, spool: Path, purge_every: int = PURGE_EVERY) -> None:
        self.spool = spool
        self.purge_every = purge_every
        self.fd: int | None = None
        self.pending: list[tuple[Path, bool]] = []  # journaled, files not removed yet

    def add(self, msg: Path, has_state: bool) -> None:
        """Write down a message the server took (its .msg path; `has_state`: a .state beside).
        Raises: OSError when the line cannot be written (nothing is pending then)."""
        name = msg.name[: -len(".msg")] if msg.name.endswith(".msg") else msg.name
        if not plain_name(name):
            raise OSError(0, "a file name the sent journal cannot hold", str(msg))
        if self.fd is None:
            self.fd = os.open(self.spool / SENT_NAME, _APPEND, 0o600)  # never through a link
        os.write(self.fd, os.fsencode(name) + b"\n")
        self.pending.append((msg, has_state))
        if len(self.pending) >= self.purge_every:
            self.purge()

    def purge(self) -> None:
        """Remove the pending files; the journal then names only those that stay."""
        if not self.pending:
            return
        self._close_fd()  # the journal is rewritten or removed: append to a fresh one next
        pending, self.pending = self.pending, []
        _remove(self.spool, pending)

    def close(self) -> None:
        """The run's end: every pending file removed, the journal gone (or naming what stays)."""
        try:
            self.purge()
        finally:
            self._close_fd()

    def _close_fd(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)
