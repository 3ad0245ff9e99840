"""The spool folder on disk: queue a message, read the queue, move messages aside or back."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from pysmail.delivery.outbox.fileformat import (
    MAGIC,
    Entry,
    Envelope,
    QueueState,
    decode_header,
    decode_state,
    encode_header,
    error_text,
    find_message_id,
    stamp,
)
from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.record import replace
from pysmail.smtp.content import data_content

__all__ = [
    "FAILED",
    "SENT_NAME",
    "UNSENT",
    "default_spool",
    "ensure_dir",
    "enqueue",
    "entries",
    "journaled",
    "keep_unsent",
    "move_aside",
    "open_message",
    "plain_name",
    "queued",
    "read_message",
    "requeue",
    "state_path",
    "work_error",
    "write_small",
]

FAILED = "failed"
UNSENT = "unsent"
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation (read once, not per file)
SENT_NAME = ".sent"  # the sent journal (sentlog.py): sent messages whose files are still here
_BAD_IN_NAME = ("/", "\\", ":", "\0", "\n", "\r")
CHUNK = 64 * 1024
MAX_HEADER = 64 * 1024 * 1024  # an envelope line longer than this is not ours
HEAD_PEEK = 256 * 1024  # bytes of the message searched for its Message-ID
SMALL = 64 * 1024  # a queued message smaller than this is sent from one read of its file (a buffer
# under the C library's mmap threshold: no mmap/munmap per message)


def default_spool(
    environ: Mapping[str, str], *, platform: str | None = None, home: Path | None = None
) -> Path:
    """The per-user outbox folder: the user data folder + outbox.

    Windows %LOCALAPPDATA%\\pysmail\\outbox; macOS ~/Library/Application Support/pysmail/outbox;
    elsewhere $XDG_DATA_HOME/pysmail/outbox (when absolute) or ~/.local/share/pysmail/outbox.
    """
    from pysmail.fs.userdirs import user_data_dir

    return user_data_dir(environ, platform=platform, home=home) / "outbox"


def work_error(msgid: str, path: Path, exc: OSError) -> SmailError:
    reason = exc.strerror or type(exc).__name__
    return SmailError(ErrCode.WORK_FILE, msgid, path=path, reason=reason)


def ensure_dir(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise work_error("outbox.folder_failed", folder, exc) from exc


def _fsync_dir(folder: Path) -> None:
    import sys

    if sys.platform == "win32":  # pragma: no cover - NTFS journals the rename
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _new_name(clock: Callable[[], float]) -> str:
    import secrets

    # Sorts by creation time (oldest first), then randomly among equal times.
    return f"{int(clock() * 1e9):020d}-{secrets.token_hex(6)}"


def _write_stream(target: Path, parts: Iterable[bytes]) -> int:
    """Stream `parts` into a private temporary file beside `target`, fsync, rename; return size.

    Raises: OSError (the temporary file is removed), or whatever `parts` raises.
    """
    import secrets

    from pysmail.fs.atomic import retry_shared
    from pysmail.fs.fileperm import create_private

    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    fd = create_private(tmp)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                out.write(part)
                size += len(part)
            out.flush()
            os.fsync(out.fileno())
        retry_shared(lambda: os.replace(tmp, target))  # Windows: a scanner may hold tmp
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)
    return size


def write_small(path: Path, data: bytes) -> None:
    from pysmail.fs.atomic import write_atomic

    write_atomic(path, data)


def _peek_head(chunks: Iterator[bytes]) -> tuple[list[bytes], bytes]:
    """Take chunks until the header block is complete (or HEAD_PEEK bytes); return them."""
    taken: list[bytes] = []
    head = b""
    for chunk in chunks:
        taken.append(chunk)
        head += chunk
        if b"\r\n\r\n" in head or len(head) >= HEAD_PEEK:
            break
    return taken, head


def store(
    folder: Path, envelope: Envelope, chunks: Iterable[bytes], clock: Callable[[], float]
) -> Path:
    ensure_dir(folder)
    stream = iter(chunks)
    taken, head = _peek_head(stream)
    if envelope.message_id is None:
        envelope = replace(envelope, message_id=find_message_id(head))

    def parts() -> Iterator[bytes]:
        yield encode_header(envelope)
        yield from taken
        yield from stream

    path = folder / f"{_new_name(clock)}.msg"
    try:
        _write_stream(path, parts())
    except OSError as exc:
        raise work_error("outbox.write_failed", path, exc) from exc
    return path


def enqueue(
    spool: Path,
    envelope: Envelope,
    chunks: Iterable[bytes],
    *,
    clock: Callable[[], float] = time.time,
) -> Path:
    """Write a composed message into the outbox (streamed to disk, never held in memory).

    The Message-ID is read from the message's header when `envelope.message_id` is None.
    Returns the .msg path. Raises: SmailError(WORK_FILE, "outbox.*"), or whatever `chunks`
    raises (InputError for an unreadable attachment): nothing is queued then.
    """
    return store(spool, envelope, chunks, clock)


@contextlib.contextmanager
def open_message(path: Path) -> Iterator[tuple[Envelope, Iterator[bytes]]]:
    """(envelope, the message bytes in chunks) of a .msg file; the file is closed on exit.

    Raises: OSError; ValueError for a file that is not a valid outbox file.
    """
    with open(path, "rb") as raw:
        envelope = _read_header(raw)

        def body() -> Iterator[bytes]:
            while chunk := raw.read(CHUNK):
                yield chunk

        yield envelope, body()


def _read_header(raw: BinaryIO) -> Envelope:
    magic = raw.read(len(MAGIC))
    line = raw.readline(MAX_HEADER)
    if not line.endswith(b"\n"):
        raise ValueError("truncated envelope")
    envelope, _ = decode_header(magic + line)
    return envelope


def state_path(msg: Path) -> Path:
    return msg.with_suffix(".state")


def _read_state(msg: Path) -> QueueState:
    try:
        return decode_state(state_path(msg).read_bytes())
    except FileNotFoundError:
        return QueueState()
    except (OSError, ValueError):
        return QueueState(last_error="state file unreadable")


def plain_name(name: str) -> bool:
    """A name that can only mean a file directly in the spool folder."""
    return name not in ("", ".", "..") and not any(c in name for c in _BAD_IN_NAME)


def journaled(spool: Path) -> set[str]:
    """The names in the spool's sent journal: sent, their files not removed yet (sentlog.py).
    A line that is not a plain file name is ignored."""
    try:
        data = (spool / SENT_NAME).read_bytes()
    except OSError:
        return set()
    return {name for name in os.fsdecode(data).split("\n") if plain_name(name)}


def queued(spool: Path) -> list[tuple[Path, QueueState | None]]:
    """The queued messages' paths, oldest first, each with its state (None: no .state file, never
    tried), from one read of the folder: no message is opened (a flush reads each once, as it
    sends it: read_message). Messages the sent journal names are left out."""
    files = _files(spool)
    states = {name[: -len(".state")] for name in files if name.endswith(".state")}
    sent = journaled(spool) if SENT_NAME in files else set()
    return [
        (path, _read_state(path) if name[: -len(".msg")] in states else None)
        for name, path in sorted(files.items())
        if name.endswith(".msg") and name[: -len(".msg")] not in sent
    ]


def _files(spool: Path) -> dict[str, Path]:
    """The regular files in `spool` by name (one scandir: no stat where the OS says the type)."""
    try:
        with os.scandir(spool) as found:
            return {e.name: Path(e.path) for e in found if e.is_file()}
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise work_error("outbox.read_failed", spool, exc) from exc


def read_message(path: Path) -> tuple[Envelope, Callable[[], Iterable[bytes]]]:
    """A .msg file's envelope and its message bytes (a fresh stream on each call).

    A message under SMALL bytes is read whole, in one system call, and the file closed at once:
    its bytes are given as one chunk (marked DataContent when it needs no dot-stuffing). A
    larger one is streamed from the file on each call (open_message).
    Raises: OSError; ValueError for a file that is not a valid outbox file.
    """
    fd = os.open(path, os.O_RDONLY | O_BINARY)
    try:
        data = os.read(fd, SMALL)
        whole = len(data) < SMALL and not os.read(fd, 1)
    finally:
        os.close(fd)
    if not whole:
        with open_message(path) as (envelope, _):
            pass
        return envelope, lambda: _streamed(path)
    envelope, start = decode_header(data)
    body = (data_content(data[start:]),)
    return envelope, lambda: body


def _streamed(path: Path) -> Iterator[bytes]:
    with open_message(path) as (_, chunks):
        yield from chunks


def entries(spool: Path) -> tuple[list[Entry], list[tuple[Path, str]]]:
    """The queued messages, oldest first, and the files that are not valid outbox files
    (path, why). Leftover temporary files of an interrupted write are ignored, and so are the
    messages the sent journal names (sent, not removed yet)."""
    good: list[Entry] = []
    bad: list[tuple[Path, str]] = []
    try:
        sent = journaled(spool)
        names = sorted(
            p for p in spool.iterdir() if p.suffix == ".msg" and p.stem not in sent and p.is_file()
        )
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise work_error("outbox.read_failed", spool, exc) from exc
    for path in names:
        try:
            with open(path, "rb") as raw:
                envelope = _read_header(raw)
            size = path.stat().st_size
        except FileNotFoundError:
            continue  # sent and removed meanwhile
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            bad.append((path, str(exc)))
            continue
        good.append(Entry(path, envelope, _read_state(path), size))
    return good, bad


def move_aside(path: Path, folder: Path, reason: str) -> Path:
    """Move a .msg (and drop its .state) into `folder` with a .reason file beside it."""
    from pysmail.fs.atomic import retry_shared

    ensure_dir(folder)
    target = folder / path.name
    try:
        write_small(target.with_suffix(".reason"), reason.encode("utf-8") + b"\n")
        retry_shared(lambda: os.replace(path, target))
    except OSError as exc:
        raise work_error("outbox.move_failed", path, exc) from exc
    with contextlib.suppress(OSError):
        state_path(path).unlink()
    _fsync_dir(folder)
    return target


def keep_unsent(
    spool: Path,
    envelope: Envelope,
    chunks: Iterable[bytes],
    error: SmailError,
    *,
    clock: Callable[[], float] = time.time,
) -> Path:
    """Keep a message that a plain `smail` could not send: <spool>/unsent/<name>.msg, private,
    with a .reason file. Returns its path (to name it in the ERR block). It is not sent by
    `smail --flush` (the caller may well run its job again): move it into the spool folder
    (requeue()) to have it sent.

    Raises: SmailError(WORK_FILE, "outbox.*").
    """
    path = store(spool / UNSENT, envelope, chunks, clock)
    reason = f"{stamp(clock())} ERR-{int(error.code):04d} {error_text(error)}"
    try:
        write_small(path.with_suffix(".reason"), reason.encode("utf-8") + b"\n")
    except OSError as exc:
        raise work_error("outbox.write_failed", path, exc) from exc
    return path


def requeue(path: Path, spool: Path) -> Path:
    """Move a message from unsent/ or failed/ back into the queue (it is tried at once)."""
    from pysmail.fs.atomic import retry_shared

    target = spool / path.name
    try:
        retry_shared(lambda: os.replace(path, target))
    except OSError as exc:
        raise work_error("outbox.move_failed", path, exc) from exc
    with contextlib.suppress(OSError):
        path.with_suffix(".reason").unlink()
    return target
