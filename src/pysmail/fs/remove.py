"""Removing many files at once: the outbox's sent messages (docs/decisions.md D46).

One unlink may wait for the disk: on a file system mounted with online `discard` (ext4, XFS),
freeing a file's blocks sends the device a TRIM and waits for it, ~86 us per file on the test
VM against ~6 us without. Those waits overlap when several threads remove at once (8 threads:
~19-22 us per file); without `discard` the threads cost nothing measurable. Small lists are
removed in the calling thread: a thread's start costs more than a few unlinks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from pysmail.fs import atomic

__all__ = ["remove_files"]

WORKERS = 8
ALONE = 64  # at most this many files: no threads


def remove_files(paths: Sequence[str], *, workers: int = WORKERS) -> list[tuple[str, OSError]]:
    """Remove every file of `paths` (one already gone counts as removed; on Windows a file
    held open by a reader is retried for a while, fs.atomic.retry_shared). Returns the files
    that could not be removed, each with its error; never raises an OSError."""
    failed: list[tuple[str, OSError]] = []
    todo = list(paths)
    if len(todo) <= ALONE or workers < 2:
        _drain(todo, failed)
        return failed
    import threading

    threads = [
        threading.Thread(target=_drain, args=(todo, failed), daemon=True)
        for _ in range(min(workers, len(todo) // ALONE + 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed


def _drain(todo: list[str], failed: list[tuple[str, OSError]]) -> None:
    """Take paths off `todo` until it is empty (list.pop is atomic: threads share the list)."""
    while True:
        try:
            path = todo.pop()
        except IndexError:
            return
        try:
            atomic.retry_shared(lambda: os.unlink(path))  # noqa: B023 - called at once
        except FileNotFoundError:
            pass
        except OSError as exc:
            failed.append((path, exc))
