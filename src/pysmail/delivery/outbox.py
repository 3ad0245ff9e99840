"""The durable outbox: composed messages on disk until the server's final 250 to DATA.

Spool folder layout (default: default_spool(); INI `outbox_dir`):

    <spool>/<created_ns>-<random>.msg     one queued message (private file, written to a
                                          temporary name, fsynced, renamed): a magic line, the
                                          envelope as one JSON line, then the message bytes
    <spool>/<name>.state                  attempts, next try, last error (JSON; rewritten
                                          atomically; missing = never tried)
    <spool>/failed/<name>.msg + .reason   permanent failures, with why (never deleted by smail)
    <spool>/unsent/<name>.msg + .reason   messages a plain `smail` (no --queue) could not send
    <spool>/.flush.lock                   one flush at a time, across processes
    <spool>/pacing.json                   what was sent in the last 24 h (pacing.Pacer)

Guarantee: a message in the outbox is delivered at least once. It is removed only after the
server answered 250 to the data. The one case where it can be delivered twice is a connection
lost (or Ctrl+C) after the final "." and before that reply (the server may have accepted it): it
is then retried with the same bytes, so the same Message-ID, and receivers can drop the copy.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from pysmail.delivery.retry import DataSentInterrupt, Verdict, backoff, classify, send_tracked
from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.mime.compose import freeze  # re-exported: the outbox's callers freeze specs

if TYPE_CHECKING:
    from pysmail.delivery.pacing import Pacer
    from pysmail.messages import Lang

__all__ = [
    "MAGIC",
    "Entry",
    "Envelope",
    "Event",
    "FlushResult",
    "QueueState",
    "SendOne",
    "decode_header",
    "default_spool",
    "describe",
    "encode_header",
    "enqueue",
    "entries",
    "flush",
    "freeze",
    "interrupted",
    "keep_unsent",
    "list_lines",
    "open_message",
]

MAGIC = b"PYSMAIL-OUTBOX 1\n"
FAILED = "failed"
UNSENT = "unsent"
LOCK_NAME = ".flush.lock"
PACING_NAME = "pacing.json"
CHUNK = 64 * 1024
MAX_HEADER = 64 * 1024 * 1024  # an envelope line longer than this is not ours
HEAD_PEEK = 256 * 1024  # bytes of the message searched for its Message-ID
QUEUE_BASE = 60.0  # first retry of a queued message: within a minute
QUEUE_CAP = 3600.0  # then no longer than an hour between tries
LIFETIME = 5 * 86400.0  # Postfix's maximal_queue_lifetime: then it moves to failed/

_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)")

# send_one(envelope, chunks): submit the message; return after the final 250, raise SmailError.
SendOne = Callable[["Envelope", Iterable[bytes]], object]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who the message goes to, and what it is. `recipients` include Bcc (never in headers)."""

    sender: str
    recipients: tuple[str, ...]
    created: float
    message_id: str | None = None
    smtputf8: bool = False


@dataclass(slots=True)
class QueueState:
    """The mutable part of a queued message (its .state file)."""

    attempts: int = 0
    next_try: float = 0.0
    last_error: str = ""
    maybe_sent: bool = False  # an earlier attempt lost the reply after the final "."


@dataclass(frozen=True, slots=True)
class Entry:
    """One queued message as found on disk."""

    path: Path
    envelope: Envelope
    state: QueueState
    size: int

    @property
    def name(self) -> str:
        return self.path.stem


# -- the file format (pure) -------------------------------------------------------------------


def encode_header(envelope: Envelope) -> bytes:
    """The bytes a .msg file starts with: MAGIC, then the envelope as one ASCII JSON line."""
    doc = {
        "from": envelope.sender,
        "rcpts": list(envelope.recipients),
        "created": envelope.created,
        "message_id": envelope.message_id,
        "smtputf8": envelope.smtputf8,
    }
    line = json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return MAGIC + line.encode("ascii") + b"\n"


def decode_header(data: bytes) -> tuple[Envelope, int]:
    """The envelope at the start of `data`, and the offset where the message bytes begin.

    Raises: ValueError when `data` does not start with a complete, valid header.
    """
    if not data.startswith(MAGIC):
        raise ValueError("not a pysmail outbox file")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise ValueError("truncated envelope")
    doc = json.loads(data[len(MAGIC) : end].decode("ascii"))
    return _envelope(doc), end + 1


def _envelope(doc: object) -> Envelope:
    if not isinstance(doc, dict):
        raise ValueError("envelope is not an object")
    sender, rcpts, created = doc.get("from"), doc.get("rcpts"), doc.get("created")
    mid, utf8 = doc.get("message_id"), doc.get("smtputf8", False)
    if not isinstance(sender, str) or not isinstance(rcpts, list):
        raise ValueError("envelope without sender or recipients")
    if not all(isinstance(r, str) for r in rcpts):
        raise ValueError("a recipient is not a string")
    if isinstance(created, bool) or not isinstance(created, int | float):
        raise ValueError("envelope without a creation time")
    if not math.isfinite(created) or not (mid is None or isinstance(mid, str)):
        raise ValueError("bad creation time or Message-ID")
    if not isinstance(utf8, bool):
        raise ValueError("bad smtputf8 flag")
    return Envelope(sender, tuple(rcpts), float(created), mid, utf8)


def _encode_state(state: QueueState) -> bytes:
    doc = {
        "attempts": state.attempts,
        "next_try": state.next_try,
        "last_error": state.last_error,
        "maybe_sent": state.maybe_sent,
    }
    return json.dumps(doc, ensure_ascii=True, allow_nan=False).encode("ascii") + b"\n"


def _decode_state(data: bytes) -> QueueState:
    doc = json.loads(data.decode("ascii"))
    if not isinstance(doc, dict):
        raise ValueError("state is not an object")
    attempts, next_try = doc.get("attempts", 0), doc.get("next_try", 0.0)
    if not isinstance(attempts, int) or not isinstance(next_try, int | float):
        raise ValueError("bad state")
    return QueueState(
        attempts, float(next_try), str(doc.get("last_error", "")), bool(doc.get("maybe_sent"))
    )


def find_message_id(head: bytes) -> str | None:
    """The Message-ID in a message's header block (the part before the first empty line)."""
    block = head.split(b"\r\n\r\n", 1)[0]
    block = re.sub(rb"\r?\n[ \t]+", b" ", block)
    match = _MESSAGE_ID.search(block)
    return match[1].decode("ascii", "replace") if match else None


# -- folders ----------------------------------------------------------------------------------


def default_spool(
    environ: Mapping[str, str], *, platform: str | None = None, home: Path | None = None
) -> Path:
    """The per-user outbox folder: the user data folder + outbox.

    Windows %LOCALAPPDATA%\\pysmail\\outbox; macOS ~/Library/Application Support/pysmail/outbox;
    elsewhere $XDG_DATA_HOME/pysmail/outbox (when absolute) or ~/.local/share/pysmail/outbox.
    """
    from pysmail.config.paths import user_data_dir

    return user_data_dir(environ, platform=platform, home=home) / "outbox"


def _work_error(msgid: str, path: Path, exc: OSError) -> SmailError:
    reason = exc.strerror or type(exc).__name__
    return SmailError(ErrCode.WORK_FILE, msgid, path=path, reason=reason)


def _ensure_dir(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _work_error("outbox.folder_failed", folder, exc) from exc


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

    from pysmail.fileperm import create_private
    from pysmail.oauth.atomic import retry_shared

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


def _write_small(path: Path, data: bytes) -> None:
    from pysmail.oauth.atomic import write_atomic

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


def _store(
    folder: Path, envelope: Envelope, chunks: Iterable[bytes], clock: Callable[[], float]
) -> Path:
    _ensure_dir(folder)
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
        raise _work_error("outbox.write_failed", path, exc) from exc
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
    return _store(spool, envelope, chunks, clock)


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


def _state_path(msg: Path) -> Path:
    return msg.with_suffix(".state")


def _read_state(msg: Path) -> QueueState:
    try:
        return _decode_state(_state_path(msg).read_bytes())
    except FileNotFoundError:
        return QueueState()
    except (OSError, ValueError):
        return QueueState(last_error="state file unreadable")


def entries(spool: Path) -> tuple[list[Entry], list[tuple[Path, str]]]:
    """The queued messages, oldest first, and the files that are not valid outbox files
    (path, why). Leftover temporary files of an interrupted write are ignored."""
    good: list[Entry] = []
    bad: list[tuple[Path, str]] = []
    try:
        names = sorted(p for p in spool.iterdir() if p.suffix == ".msg" and p.is_file())
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise _work_error("outbox.read_failed", spool, exc) from exc
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


def _move_aside(path: Path, folder: Path, reason: str) -> Path:
    """Move a .msg (and drop its .state) into `folder` with a .reason file beside it."""
    from pysmail.oauth.atomic import retry_shared

    _ensure_dir(folder)
    target = folder / path.name
    try:
        _write_small(target.with_suffix(".reason"), reason.encode("utf-8") + b"\n")
        retry_shared(lambda: os.replace(path, target))
    except OSError as exc:
        raise _work_error("outbox.move_failed", path, exc) from exc
    with contextlib.suppress(OSError):
        _state_path(path).unlink()
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
    path = _store(spool / UNSENT, envelope, chunks, clock)
    reason = f"{_stamp(clock())} ERR-{int(error.code):04d} {_error_text(error)}"
    try:
        _write_small(path.with_suffix(".reason"), reason.encode("utf-8") + b"\n")
    except OSError as exc:
        raise _work_error("outbox.write_failed", path, exc) from exc
    return path


def requeue(path: Path, spool: Path) -> Path:
    """Move a message from unsent/ or failed/ back into the queue (it is tried at once)."""
    from pysmail.oauth.atomic import retry_shared

    target = spool / path.name
    try:
        retry_shared(lambda: os.replace(path, target))
    except OSError as exc:
        raise _work_error("outbox.move_failed", path, exc) from exc
    with contextlib.suppress(OSError):
        path.with_suffix(".reason").unlink()
    return target


# -- flushing ---------------------------------------------------------------------------------

EventKind = Literal["sent", "deferred", "failed", "expired", "paced", "busy", "corrupt"]


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a flush report."""

    kind: EventKind
    name: str = ""
    envelope: Envelope | None = None
    attempts: int = 0
    error: SmailError | None = None
    verdict: Verdict | None = None
    wait: float = 0.0  # deferred: seconds until the next try; paced: seconds to wait
    where: Path | None = None  # failed/expired/corrupt: where the message went


@dataclass
class FlushResult:
    """What a flush did: names of the messages sent, deferred (still queued) and failed."""

    sent: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    maybe_duplicated: list[str] = field(default_factory=list)  # sent after a lost reply
    busy: bool = False  # another process was flushing: nothing done
    paced: bool = False  # stopped early: a provider limit needs a longer wait
    first_permanent: ErrCode | None = None

    def exit_code(self) -> int:
        """0 when the queue is empty of due work; the first permanent error's code when a
        message failed; TEMPORARY (ERR-0029) when messages are still waiting."""
        if self.first_permanent is not None:
            return int(self.first_permanent)
        if self.deferred or self.paced:
            return int(ErrCode.TEMPORARY)
        return int(ErrCode.OK)


@contextlib.contextmanager
def _flush_lock(spool: Path, timeout: float) -> Iterator[bool]:
    """Hold the spool's lock; yields False (without it) when another process holds it."""
    from pysmail.oauth.lock import FileLock

    lock = FileLock(spool / LOCK_NAME, timeout=timeout)
    try:
        lock.__enter__()
    except OAuthError as exc:  # FileLock speaks OAuth's ids: translate them
        if exc.msgid == "oauth.lock_timeout":
            yield False
            return
        reason = str(exc.params.get("reason", ""))
        raise SmailError(
            ErrCode.WORK_FILE, "outbox.lock_failed", path=spool / LOCK_NAME, reason=reason
        ) from exc
    try:
        yield True
    finally:
        lock.__exit__(None, None, None)


def _load_history(spool: Path) -> list[tuple[float, int]]:
    try:
        doc = json.loads((spool / PACING_NAME).read_bytes())
        return [(float(t), int(n)) for t, n in doc]
    except (OSError, ValueError, TypeError):
        return []


def _save_history(spool: Path, pacer: Pacer) -> None:
    with contextlib.suppress(OSError):
        _write_small(spool / PACING_NAME, json.dumps(pacer.history()).encode("ascii"))


def flush(
    spool: Path,
    send_one: SendOne,
    *,
    report: Callable[[Event], None] = lambda event: None,
    pacer: Pacer | None = None,
    only: Iterable[Path] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] | None = None,
    lock_timeout: float = 0.0,
    max_pacing_wait: float = 65.0,
    base: float = QUEUE_BASE,
    cap: float = QUEUE_CAP,
    lifetime: float = LIFETIME,
    classify_error: Callable[..., Verdict] = classify,
) -> FlushResult:
    """Send what is due in the outbox, oldest first, one process at a time.

    Each due message is tried once per flush (messages queued meanwhile are picked up too).
    Sent -> removed. Temporary failure -> stays, attempts+1, next try after a backoff with
    jitter (base*2**n, at most `cap`); a failure that concerns the whole server (connection
    refused, 421, 4.7.x throttling, token endpoint down) ends the run, leaving the rest for the
    next one. Permanent failure, or older than `lifetime` -> moved to failed/ with a .reason.
    `pacer` (pacing.Pacer) slows the run down to the provider's limits; a wait longer than
    `max_pacing_wait` ends the run. `only`: restrict the run to these .msg paths (`--queue`).
    With `lock_timeout` 0, a run that finds another one in progress returns at once (busy).

    Raises: SmailError(WORK_FILE, "outbox.*") when the spool cannot be read or written.
    """
    import random

    rand = rng if rng is not None else random.random
    result = FlushResult()
    _ensure_dir(spool)
    wanted = None if only is None else {Path(p).name for p in only}
    with _flush_lock(spool, lock_timeout) as locked:
        if not locked:
            result.busy = True
            report(Event("busy"))
            return result
        if pacer is not None:
            pacer.merge(_load_history(spool))
        tried: set[str] = set()
        stop = False
        while not stop:
            found, bad = entries(spool)
            for path, why in bad:
                where = _move_aside(path, spool / FAILED, f"{_stamp(clock())} unreadable: {why}")
                report(Event("corrupt", path.stem, where=where))
            now = clock()
            due = [
                e
                for e in found
                if e.path.name not in tried
                and (wanted is None or e.path.name in wanted)
                and (e.state.next_try <= now or wanted is not None)
            ]
            if not due:
                break
            for entry in due:
                tried.add(entry.path.name)
                outcome = _flush_one(
                    spool, entry, send_one, report, pacer, clock, sleep, rand, result,
                    max_pacing_wait, base, cap, lifetime, classify_error,
                )  # fmt: skip
                if outcome == "stop":
                    stop = True
                    break
    return result


def _flush_one(
    spool: Path,
    entry: Entry,
    send_one: SendOne,
    report: Callable[[Event], None],
    pacer: Pacer | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    rand: Callable[[], float],
    result: FlushResult,
    max_pacing_wait: float,
    base: float,
    cap: float,
    lifetime: float,
    classify_error: Callable[..., Verdict],
) -> Literal["next", "stop"]:
    env, state, name = entry.envelope, entry.state, entry.name
    if clock() - env.created > lifetime:
        why = f"{_stamp(clock())} expired after {state.attempts} attempt(s): {state.last_error}"
        where = _move_aside(entry.path, spool / FAILED, why)
        result.failed.append(name)
        result.first_permanent = result.first_permanent or ErrCode.TEMPORARY
        report(Event("expired", name, env, state.attempts, where=where))
        return "next"
    if pacer is not None:
        wait = pacer.delay(len(env.recipients))
        if math.isinf(wait):
            why = f"{_stamp(clock())} more recipients than {pacer.limits.name} accepts"
            where = _move_aside(entry.path, spool / FAILED, why)
            result.failed.append(name)
            result.first_permanent = result.first_permanent or ErrCode.HANDLING
            report(Event("failed", name, env, state.attempts, where=where))
            return "next"
        if wait > max_pacing_wait:
            result.paced = True
            report(Event("paced", name, env, state.attempts, wait=wait))
            return "stop"
        if wait > 0:
            report(Event("paced", name, env, state.attempts, wait=wait))
            sleep(wait)
    try:
        with open_message(entry.path) as (envelope, chunks):
            send_tracked(lambda stream: send_one(envelope, stream), chunks)
    except DataSentInterrupt:  # Ctrl+C after the final ".": it may have been delivered
        _note_maybe_sent(entry.path, state)
        raise
    except SmailError as err:  # first: NetworkError is an OSError too
        verdict = classify_error(err)
        state.attempts += 1
        state.last_error = f"ERR-{int(err.code):04d} {_error_text(err)}"
        state.maybe_sent = state.maybe_sent or verdict.ambiguous
        if verdict.permanent:
            where = _move_aside(entry.path, spool / FAILED, f"{_stamp(clock())} {state.last_error}")
            result.failed.append(name)
            result.first_permanent = result.first_permanent or err.code
            report(Event("failed", name, env, state.attempts, err, verdict, where=where))
            return "next"
        wait = backoff(state.attempts - 1, base=base, cap=cap, rng=rand)
        state.next_try = clock() + wait
        try:
            _write_small(_state_path(entry.path), _encode_state(state))
        except OSError as exc:
            raise _work_error("outbox.write_failed", _state_path(entry.path), exc) from exc
        result.deferred.append(name)
        report(Event("deferred", name, env, state.attempts, err, verdict, wait=wait))
        return "stop" if verdict.scope == "server" else "next"
    except FileNotFoundError:
        return "next"  # removed by hand meanwhile
    except (OSError, ValueError) as exc:
        where = _move_aside(entry.path, spool / FAILED, f"{_stamp(clock())} unreadable: {exc}")
        report(Event("corrupt", name, env, where=where))
        return "next"
    # The final 250: only now may the message go. On Windows a reader (`--queue-list`) holding
    # it open makes the unlink fail for a moment; failing here would send it again next time.
    from pysmail.oauth.atomic import retry_shared

    try:
        retry_shared(entry.path.unlink)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _work_error("outbox.remove_failed", entry.path, exc) from exc
    except KeyboardInterrupt as exc:  # delivered, but maybe still on disk
        if entry.path.exists():
            _note_maybe_sent(entry.path, state)
        raise DataSentInterrupt from exc
    with contextlib.suppress(OSError):
        _state_path(entry.path).unlink()
    result.sent.append(name)
    if state.maybe_sent:
        result.maybe_duplicated.append(name)
    if pacer is not None:
        pacer.record(len(env.recipients))
        _save_history(spool, pacer)
    report(Event("sent", name, env, state.attempts + 1))
    return "next"


def _note_maybe_sent(path: Path, state: QueueState) -> None:
    """Mark a message interrupted after its data went out: a later flush that sends it counts
    it as maybe duplicated (best effort: the interrupt is what gets reported)."""
    state.maybe_sent = True
    with contextlib.suppress(OSError):
        _write_small(_state_path(path), _encode_state(state))


def interrupted(
    spool: Path, only: Iterable[Path] | None, sent: Iterable[str], *, after_data: bool
) -> SmailError:
    """The ERR-0016 for Ctrl+C during a flush, saying what is true of the outbox then.

    `only` (`--queue`): the message just queued is still there (not sent; or, `after_data`,
    maybe delivered), and the next --flush sends it; or it is gone, because it was sent.
    A whole flush: how many were sent in this run and how many stay queued.
    """
    code = ErrCode.UNKNOWN  # the exit code of every interrupt (cli.guard)
    if only is not None:
        path = Path(next(iter(only)))
        if not path.exists():
            return SmailError(code, "outbox.interrupted_sent", name=path.stem)
        message_id = "-"
        with contextlib.suppress(OSError, ValueError), open_message(path) as (envelope, _):
            message_id = envelope.message_id or "-"
        msgid = (
            "outbox.interrupted_queued_after_data" if after_data else "outbox.interrupted_queued"
        )
        return SmailError(code, msgid, name=path.stem, message_id=message_id, path=path)
    try:
        left = str(len(entries(spool)[0]))
    except SmailError:
        left = "?"
    msgid = "outbox.interrupted_flush_after_data" if after_data else "outbox.interrupted_flush"
    return SmailError(code, msgid, sent=len(list(sent)), left=left, spool=spool)


# -- presentation -----------------------------------------------------------------------------


def _stamp(when: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def _error_text(err: SmailError) -> str:
    from pysmail.messages import text

    detail = text(err.msgid, "en", **err.params) if err.msgid else ""
    if err.reply:
        detail += " [" + " / ".join(err.reply.splitlines()) + "]"
    return detail


def describe(event: Event, lang: Lang) -> str:
    """One report line for a flush event, in the user's language."""
    from pysmail.messages import text

    env = event.envelope
    common: dict[str, object] = {
        "name": event.name,
        "message_id": (env.message_id if env else None) or "-",
        "recipients": ", ".join(env.recipients) if env else "-",
        "attempts": event.attempts,
    }
    if event.kind == "busy":
        return text("outbox.busy", lang)
    if event.kind == "sent":
        return text("outbox.sent", lang, **common)
    if event.kind == "paced":
        return text("outbox.paced", lang, wait=f"{event.wait:.0f}", **common)
    if event.kind == "deferred":
        reason = _error_line(event.error, lang)
        return text("outbox.deferred", lang, wait=f"{event.wait:.0f}", reason=reason, **common)
    reason = _error_line(event.error, lang) if event.error else "-"
    msgid = {"failed": "outbox.failed", "expired": "outbox.expired"}.get(
        event.kind, "outbox.corrupt"
    )
    return text(msgid, lang, where=event.where or "-", reason=reason, **common)


def _error_line(err: SmailError | None, lang: Lang) -> str:
    from pysmail.messages import format_error

    if err is None:
        return "-"
    return " / ".join(line.strip() for line in format_error(err, lang).splitlines())


def list_lines(spool: Path, lang: Lang, *, clock: Callable[[], float] = time.time) -> list[str]:
    """`smail --queue-list`: one block per queued message, then the failed/unsent counts."""
    from pysmail.messages import text

    found, bad = entries(spool)
    now = clock()
    lines = [text("outbox.list_header", lang, spool=spool, count=len(found))]
    for e in found:
        env, st = e.envelope, e.state
        when = "now" if st.next_try <= now else _stamp(st.next_try)
        lines.append(
            text(
                "outbox.list_entry",
                lang,
                name=e.name,
                created=_stamp(env.created),
                size=e.size,
                sender=env.sender,
                recipients=", ".join(env.recipients),
                message_id=env.message_id or "-",
                attempts=st.attempts,
                next_try=when,
                last_error=st.last_error or "-",
            )
        )
    for path, why in bad:
        lines.append(text("outbox.list_bad", lang, path=path, reason=why))
    for folder in (FAILED, UNSENT):
        try:
            count = sum(1 for p in (spool / folder).iterdir() if p.suffix == ".msg")
        except OSError:
            count = 0
        if count:
            lines.append(text(f"outbox.list_{folder}", lang, folder=spool / folder, count=count))
    return lines
