"""What a --batch tells: the --report file (one CSV line per message as it finishes), the lines
printed for failed rows, the progress bar, the summary, and the exit code. error_line() and
report_row() are pure."""

from __future__ import annotations

import time
from _thread import allocate_lock  # threading.Lock, without the threading module (D8)

from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path
    from typing import TextIO

    from pysmail.delivery.scheduler import Result
    from pysmail.messages import Lang

__all__ = ["REPORT_COLUMNS", "Outcomes", "ReportFile", "error_line", "report_row"]

REPORT_COLUMNS = ("row", "status", "attempts", "recipients", "message_id", "reply")


def error_line(err: SmailError, lang: Lang) -> str:
    """An error on one line: `ERR-0011 <detail> (<server reply>)`."""
    from pysmail.messages import text, title

    parts = [
        f"ERR-{int(err.code):04d}",
        text(err.msgid, lang, **err.params) if err.msgid else title(err.code, lang),
    ]
    if err.reply:
        parts.append("[" + " / ".join(err.reply.splitlines()) + "]")
    return " ".join(parts)


def report_row(
    row: int,
    recipients: Sequence[str],
    message_id: str,
    *,
    reply: str | None = None,
    error: SmailError | None = None,
    attempts: int = 1,
    lang: Lang = "en",
    not_sent: bool = False,
    status: str | None = None,
) -> list[str]:
    """One report line, in REPORT_COLUMNS order. status: sent, failed, not_sent (the batch
    stopped before trying it, or was interrupted before its data had gone), or, given as
    `status`, maybe_sent (interrupted after its data went, before the server's answer)."""
    if error is None and reply is not None:
        status, final = "sent", reply
    else:
        status = status or ("not_sent" if not_sent else "failed")
        final = error_line(error, lang) if error is not None else ""
    final = " / ".join(final.splitlines())
    return [str(row), status, str(attempts), ", ".join(recipients), message_id, final]


def _write_failed(path: Path | None, exc: OSError) -> SmailError:
    reason = exc.strerror or type(exc).__name__
    return SmailError(ErrCode.WORK_FILE, "batch.report_failed", path=path, reason=reason)


class ReportFile:
    """The report file, written one line per finished message (a crash keeps what is known).
    `path` None: no report, every write does nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stream: TextIO | None = None
        self._writer: object = None
        if path is None:
            return
        import csv

        try:
            self._stream = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise _write_failed(path, exc) from exc
        self._writer = csv.writer(self._stream)
        self.write(list(REPORT_COLUMNS))

    def write(self, line: list[str]) -> None:
        if self._stream is None:
            return
        try:
            self._writer.writerow(line)  # type: ignore[attr-defined]
            self._stream.flush()
        except OSError as exc:
            raise _write_failed(self.path, exc) from exc

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


class Outcomes:
    """What happened to every message of a run, told as it happens: record() takes each
    result (from one thread at a time), not_sent() the messages never tried, finish() prints
    the summary and gives the exit code: 0 when every message was sent, else the ERR code of
    the lowest-numbered message that was not. interrupted() (Ctrl+C) closes it: a result
    learnt later (a worker finishing what it held) is not told.

    `planned`: (number, recipients, Message-ID) of every message. `out` prints a line (failed
    rows, the summary; nothing with `silent`). `bar`: the progress bar (pysmail.ui.progress,
    counting finished messages), wiped before each line printed."""

    def __init__(
        self,
        planned: Sequence[tuple[int, tuple[str, ...], str]],
        report: ReportFile,
        *,
        out: Callable[[str], None],
        lang: Lang,
        silent: bool,
        stream: TextIO | None,
    ) -> None:
        from pysmail.ui.progress import Progress

        self.lock = allocate_lock()  # record() and interrupted() (the main thread)
        self.closed = False
        self.planned = planned
        self.info = {row: (rcpts, msgid) for row, rcpts, msgid in planned}
        self.report = report
        self.out = out
        self.lang = lang
        self.silent = silent
        self.bar = Progress(stream, len(planned), unit="items")
        self.sent = 0
        self.failed: dict[int, SmailError] = {}
        self.done: set[int] = set()
        self.start = time.monotonic()

    def _say(self, msgid: str, **params: object) -> None:
        if not self.silent:
            from pysmail.messages import text

            self.bar.clear()
            self.out(text(msgid, self.lang, **params))

    def record(self, result: Result) -> None:
        """One message's result: its report line, and a line when it failed or may arrive
        twice."""
        with self.lock:
            if not self.closed:
                self._record(result)

    def _record(self, result: Result) -> None:
        row = result.job.tag
        rcpts, msgid = self.info[row]
        self.done.add(row)
        if result.error is None:
            self.sent += 1
            if self.report.path is not None:
                reply = result.reply.wire if result.reply is not None else ""
                self.report.write(
                    report_row(row, rcpts, msgid, reply=reply, attempts=result.attempts)
                )
            if result.maybe_duplicate:
                self._say("batch.maybe_duplicate", row=row)
        else:
            self.failed[row] = result.error
            self.report.write(
                report_row(
                    row, rcpts, msgid, error=result.error, attempts=result.attempts, lang=self.lang
                )
            )
            recipients = ", ".join(rcpts)
            error = error_line(result.error, self.lang)
            self._say("batch.row_failed", row=row, recipients=recipients, error=error)
        self.bar.update(self.sent + len(self.failed))

    def not_sent(self, stopped: SmailError | None) -> None:
        """Every message without a result was never tried: `stopped` (why the run stopped)
        is its error."""
        for row, rcpts, msgid in self.planned:
            if row in self.done:
                continue
            err = stopped or SmailError(ErrCode.UNKNOWN, "batch.not_sent")
            self.failed[row] = err
            self.report.write(
                report_row(row, rcpts, msgid, error=err, attempts=0, lang=self.lang, not_sent=True)
            )
        self.bar.update(self.sent + len(self.failed))

    def interrupted(
        self, taken: frozenset[int] | None, maybe_sent: frozenset[int] | None
    ) -> SmailError:
        """Ctrl+C: the ERR-0016 that says what is true, and every row without a result goes
        into the report as `maybe_sent` or `not_sent`. `taken`: the rows the run had started
        (None: every row); `maybe_sent`: those whose whole message had gone to the server
        with no answer known (None: not known, with several connections: every row in
        flight may have been delivered)."""
        with self.lock:
            self.closed = True
        in_flight = (frozenset(self.info) if taken is None else taken) - self.done
        maybe = in_flight if maybe_sent is None else in_flight & maybe_sent
        self._leave(maybe, maybe_sent is not None)
        return _interrupted_error(
            self.sent,
            len(self.planned),
            len(self.failed),
            maybe,
            in_flight - maybe,
            self.report.path,
            maybe_sent is not None,
            self.lang,
        )

    def _leave(self, maybe: frozenset[int], known: bool) -> None:
        """The report lines of the rows without a result after Ctrl+C."""
        why_maybe = SmailError(
            ErrCode.UNKNOWN, "batch.row_maybe_sent" if known else "batch.row_in_flight"
        )
        why_not = SmailError(ErrCode.UNKNOWN, "batch.row_interrupted")
        for row, rcpts, msgid in self.planned:
            if row in self.done:
                continue
            if row in maybe:
                line = report_row(
                    row, rcpts, msgid, error=why_maybe, lang=self.lang, status="maybe_sent"
                )
            else:
                line = report_row(
                    row, rcpts, msgid, error=why_not, attempts=0, lang=self.lang, not_sent=True
                )
            self.report.write(line)

    def close(self, complete: bool) -> None:
        """The bar ends (shown full when the run went to its end, else wiped), the report is
        closed."""
        if complete:
            self.bar.finish()
        else:
            self.bar.clear()
        self.report.close()

    def finish(self) -> int:
        """Print the summary; return the exit code."""
        seconds = max(time.monotonic() - self.start, 1e-6)
        total = len(self.planned)
        failed = len(self.failed)
        rate = f"{self.sent / seconds:.0f}"
        self._say(
            "batch.summary",
            sent=self.sent,
            total=total,
            failed=failed,
            seconds=f"{seconds:.2f}",
            rate=rate,
        )
        if not self.failed:
            return int(ErrCode.OK)
        return int(self.failed[min(self.failed)].code)


def _interrupted_error(
    sent: int,
    total: int,
    failed: int,
    maybe: frozenset[int],
    cut: frozenset[int],
    path: Path | None,
    known: bool,
    lang: Lang,
) -> SmailError:
    """The ERR-0016 of Ctrl+C during a batch: how many messages the server accepted, which
    ones may have been delivered (their data had gone, the answer had not come: `maybe`;
    `known` False: they were in flight on one of several connections), which were cut off
    before their data had all gone (`cut`), how many were not sent, and the report."""
    from pysmail.messages import text

    where = "" if path is None else " " + text("batch.interrupted_report", lang, path=path)
    if not (sent or failed or maybe):
        return SmailError(ErrCode.UNKNOWN, "batch.interrupted_nothing", detail=where)
    detail = ""
    if maybe:
        msgid = "batch.interrupted_maybe" if known else "batch.interrupted_in_flight"
        detail += " " + text(msgid, lang, rows=_rows(maybe))
    if cut:
        detail += " " + text("batch.interrupted_cut", lang, rows=_rows(cut))
    return SmailError(
        ErrCode.UNKNOWN,
        "batch.interrupted",
        sent=sent,
        total=total,
        failed=failed,
        unsent=total - sent - failed - len(maybe),
        detail=detail + where,
    )


def _rows(rows: Iterable[int]) -> str:
    return ", ".join(str(row) for row in sorted(rows))
