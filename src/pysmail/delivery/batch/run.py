"""The shell of --batch and --eml: run_batch() and send_eml(), which the smail command calls;
the connections (connector) and the threads of --parallel (deliver_jobs)."""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock  # threading.Lock, without the threading module (D8)
from pathlib import Path

from pysmail.config.params import smtp_params
from pysmail.errors import SmailError, UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import BinaryIO, TextIO

    from pysmail.config.model import Settings
    from pysmail.delivery.pacing import Pacer
    from pysmail.delivery.scheduler import Job, Result
    from pysmail.messages import Lang
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.connection import SmtpConnection
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import Trace

    # (number, envelope recipients, Message-ID) of each message, for the report
    _Planned = list[tuple[int, tuple[str, ...], str]]

__all__ = ["MAX_PARALLEL", "BatchInterrupted", "connector", "deliver_jobs", "run_batch", "send_eml"]

MAX_PARALLEL = 32


def connector(
    params: SmtpParams,
    auth: AuthRequest | None,
    source: TokenSource | None,
    trace: Trace | None,
) -> Callable[[], SmtpConnection]:
    """Opens an authenticated connection; an OAuth token the server refuses is refreshed once
    (as a single send does). The token callable is called once per connection."""
    from pysmail.smtp.connection import SmtpConnection

    def connect() -> SmtpConnection:
        def attempt() -> SmtpConnection:
            return SmtpConnection.open(params, auth=auth, trace=trace)

        return attempt() if source is None else source.with_refresh(attempt)

    return connect


# -- many connections ---------------------------------------------------------------------------


class _Queue:
    """The jobs, taken one at a time by the connections (under its lock: they may be several
    threads). `taken`: the tags taken so far. `stopped`: take no more (a worker crashed, or
    Ctrl+C)."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = iter(jobs)
        self._lock = allocate_lock()
        self._taken: list[int] = []
        self.stopped = False

    def take(self) -> Job | None:
        with self._lock:
            if self.stopped:
                return None
            job = next(self._jobs, None)
            if job is not None:
                self._taken.append(job.tag)
            return job

    def stop(self) -> frozenset[int]:
        """Take no more; the tags taken."""
        with self._lock:
            self.stopped = True
            return frozenset(self._taken)


class BatchInterrupted(KeyboardInterrupt):  # noqa: N818 - it is a KeyboardInterrupt
    """Ctrl+C during deliver_jobs(): `taken`, the jobs it had started (None: not known);
    `maybe_sent`, those whose whole message had gone to the server with no answer known
    (None: not known, with several connections)."""

    def __init__(self, taken: frozenset[int] | None, maybe_sent: frozenset[int] | None) -> None:
        super().__init__()
        self.taken = taken
        self.maybe_sent = maybe_sent


def _in_threads(
    parallel: int,
    work: Callable[[Callable[[], Job | None], Callable[[Result], None]], None],
    queue: _Queue,
    on_result: Callable[[Result], None],
) -> None:
    """`work(take, report)` in `parallel` threads; `report` one thread at a time. Ctrl+C: the
    workers finish what they hold and take no more."""
    import threading

    reporting = threading.Lock()

    def report(result: Result) -> None:
        with reporting:
            on_result(result)

    threads = [
        threading.Thread(
            target=work, args=(queue.take, report), name=f"smail-batch-{i}", daemon=True
        )
        for i in range(parallel)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except BaseException:
        queue.stop()
        raise


def deliver_jobs(
    jobs: Sequence[Job],
    connect: Callable[[], SmtpConnection],
    on_result: Callable[[Result], None],
    *,
    parallel: int = 1,
    pacer: Pacer | None = None,
    max_per_connection: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SmailError | None:
    """Send `jobs` over `parallel` connections; every job ends in exactly one on_result call
    (one at a time), except the ones never taken when every connection failed: the error is
    returned then (and those jobs are left to the caller). Ctrl+C raises BatchInterrupted."""
    from pysmail.delivery.scheduler import Aborted, Interrupted, deliver

    queue = _Queue(jobs)
    from pysmail.delivery.batch.gate import paced

    gate, on_result = paced(pacer, sleep, on_result)

    aborted: list[SmailError] = []
    crashed: list[BaseException] = []

    def work(take: Callable[[], Job | None], report: Callable[[Result], None]) -> None:
        try:
            deliver(take, connect, report, gate=gate, max_per_connection=max_per_connection,
                    sleep=sleep)  # fmt: skip
        except Aborted as exc:
            aborted.append(exc.error)
        except BaseException as exc:  # re-raised in the calling thread
            crashed.append(exc)
            queue.stopped = True

    try:
        if parallel <= 1:
            work(queue.take, on_result)
        else:
            _in_threads(parallel, work, queue, on_result)
        if crashed:
            raise crashed[0]
    except KeyboardInterrupt as exc:  # what was taken, and what may have been delivered
        # Several connections: what the workers' connections had sent is not known here.
        maybe = exc.maybe_sent if isinstance(exc, Interrupted) and parallel <= 1 else None
        raise BatchInterrupted(queue.stop(), maybe) from exc
    if len(queue.stop()) < len(jobs):
        return aborted[0] if aborted else None
    return None


# -- the commands -------------------------------------------------------------------------------


def _report_run(
    planned: _Planned,
    results: Callable[[Callable[[Result], None]], SmailError | None],
    *,
    report_path: Path | None,
    out: Callable[[str], None],
    lang: Lang,
    silent: bool,
    stream: TextIO | None,
) -> int:
    """Run `results(on_result)`, write the report and the output; return the exit code."""
    from pysmail.delivery.batch.report import Outcomes, ReportFile

    outcomes = Outcomes(
        planned, ReportFile(report_path), out=out, lang=lang, silent=silent, stream=stream
    )
    complete = False
    try:
        try:
            stopped = results(outcomes.record)
        except KeyboardInterrupt as exc:  # Ctrl+C: the report and the message say what is true
            why = exc if isinstance(exc, BatchInterrupted) else BatchInterrupted(None, None)
            raise outcomes.interrupted(why.taken, why.maybe_sent) from exc
        outcomes.not_sent(stopped)
        complete = True
    finally:
        outcomes.close(complete)
    return outcomes.finish()


def _row_jobs(
    settings: Settings,
    path: Path,
    full: Path,
    here: Path,
    attach_dir: Path | None,
    on_row_error: Callable[[int], None],
) -> tuple[list[Job], _Planned]:
    """The jobs of a CSV/JSON batch file, every row checked."""
    from pysmail.delivery.batch.plan import base_spec, cli_recipients, plan_rows
    from pysmail.delivery.batch.rows import read_batch_file, read_rows
    from pysmail.delivery.scheduler import Job

    rows = read_rows(read_batch_file(full, path), str(path))
    base, templates = base_spec(settings, here)
    messages = plan_rows(
        rows,
        str(path),
        base,
        templates,
        extra=cli_recipients(settings),
        cwd=here,
        attach_dir=attach_dir,
        on_row_error=lambda row: on_row_error(row.number),
    )
    sender = base.from_.wire_addr
    jobs = [Job(p.row, sender, p.recipients, p.chunks, p.smtputf8) for p in messages]
    return jobs, [(p.row, p.recipients, p.message_id) for p in messages]


def _folder_jobs(settings: Settings, folder: Path) -> tuple[list[Job], _Planned]:
    from pysmail.delivery.batch.plan import cli_recipients
    from pysmail.delivery.batch.rows import eml_files, eml_jobs

    files = eml_files(folder)
    cli = cli_recipients(settings)
    return eml_jobs(files, settings.message.sender, cli.envelope() if cli is not None else ())


def run_batch(
    settings: Settings,
    path: Path,
    *,
    out: Callable[[str], None],
    lang: Lang = "en",
    cwd: Path | None = None,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    report_path: Path | None = None,
    attach_dir: Path | None = None,
    parallel: int = 1,
    pacer: Pacer | None = None,
    max_per_connection: int | None = None,
    progress: TextIO | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """`smail --batch FILE`: send every row (or every .eml file of a folder); return the exit
    code: 0 when every message was sent, else the ERR code of the lowest-numbered message that
    was not. Every row is checked before the first connection: a bad row (missing template
    key, bad address, missing attachment) sends nothing and raises its error.

    `out` prints a line (failed rows, the summary; nothing with -S). `progress`: the stream of
    the progress bar (default stderr, only when it is a terminal and -S is not given).
    `report_path`: the per-message CSV report. `pacer`: provider pacing (pysmail.delivery.pacing).
    `attach_dir`: the folder the rows' attachments must be in (default: `cwd`). `show`
    (--dry-run): every checked message goes there instead; no connection, no report.

    Raises: SmailError for anything found before sending (usage, input, report file, and a
    connection that could not be opened for the first message is NOT raised: it is reported
    per message and decides the exit code).
    """
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(ErrCode.OPTION, "batch.bad_parallel", limit=MAX_PARALLEL, value=parallel)
    here = cwd if cwd is not None else Path.cwd()
    full = here / path
    if full.is_dir():
        jobs, planned = _folder_jobs(settings, full)
    else:
        from pysmail.messages import text

        def say_row(number: int) -> None:
            if not settings.silent:
                out(text("batch.in_row", lang, path=path, row=number))

        jobs, planned = _row_jobs(settings, path, full, here, attach_dir, say_row)
    if show is not None:
        for job in jobs:
            show(job)
        return int(ErrCode.OK)
    from pysmail.ui.progress import terminal

    connect = connector(smtp_params(settings), auth, source, trace)
    return _report_run(
        planned,
        lambda on_result: deliver_jobs(
            jobs,
            connect,
            on_result,
            parallel=parallel,
            pacer=pacer,
            max_per_connection=max_per_connection,
        ),
        report_path=report_path,
        out=out,
        lang=lang,
        silent=settings.silent,
        stream=terminal(sys.stderr if progress is None else progress, settings.silent),
    )


def send_eml(
    settings: Settings,
    source_path: str,
    *,
    cwd: Path | None = None,
    stdin: BinaryIO | None = None,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """`smail --eml FILE|-`: send a finished message as is (Bcc and Resent-Bcc removed, read
    and sent block by block). Envelope: -f or the From header; the command-line recipients,
    or To/Cc/Bcc when none are given. Returns 0; raises what a single send raises.
    `show` (--dry-run): the message goes there instead; no connection.
    """
    from pysmail.delivery.batch.plan import cli_recipients
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.eml import eml_envelope, eml_stream, open_eml, read_head

    here = cwd if cwd is not None else Path.cwd()
    cli = cli_recipients(settings)
    given = cli.envelope() if cli is not None else ()
    if source_path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        shown = "-"
        close = False
    else:
        stream = open_eml(here / source_path)
        shown = source_path
        close = True
    try:
        head, rest = read_head(stream, shown)
        sender, rcpts, utf8 = eml_envelope(head, shown, settings.message.sender, given)
        if show is not None:
            show(Job(1, sender, rcpts, lambda: eml_stream(head, rest, stream, shown), utf8, True))
            return int(ErrCode.OK)
        from pysmail.delivery.retry import TrackedStream

        conn = connector(smtp_params(settings), auth, source, trace)()
        try:
            chunks = TrackedStream(eml_stream(head, rest, stream, shown))
            conn.send(sender, rcpts, chunks, smtputf8=utf8, eight_bit=True)
        except KeyboardInterrupt as exc:  # not "nothing was sent" once the message went whole
            conn.alive = False  # hang up: no QUIT to wait for after Ctrl+C
            if chunks.finished:
                raise SmailError(ErrCode.UNKNOWN, "main.interrupted_after_data") from exc
            raise
        finally:
            conn.close()
    finally:
        if close:
            stream.close()
    return int(ErrCode.OK)
