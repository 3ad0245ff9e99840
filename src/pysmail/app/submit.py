"""The sendmail use-case (`smail-sendmail`): a whole message on a stream, made ready
(pysmail.mime.submission), written into the outbox and sent from there at once.

The message goes to the outbox first, as sendmail's queue file: once it is there it is not
lost. Sent: it leaves the outbox. A temporary failure (server down, 4xx, token endpoint
unreachable): it stays, one line says so, and the run still succeeds (0), as sendmail's does
once a message is queued; `smail-sendmail -q` or `smail --flush` sends it later. A permanent
failure: it moves to the outbox's failed/ folder and the error is raised (the caller's exit
code says why). `queue_only` (-odq): queued and not tried now.

What reading the message refuses (a NUL byte, a line over 998 octets, no sender, no
recipient) is raised before anything is queued.
"""

from __future__ import annotations

from pysmail.errors import SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import BinaryIO

    from pysmail.app.context import Context
    from pysmail.config.model import Settings
    from pysmail.delivery.outbox import Event
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace

__all__ = ["Submission", "submit"]

SHOWN = "-"  # the name of standard input in messages
# Another process flushing the outbox holds its lock: wait this long for it (it sends only what
# it was asked to, so this message would otherwise wait for the next `smail-sendmail -q`).
LOCK_WAIT = 120.0


@record
class Submission:
    """What the sendmail command line asks of one message."""

    recipients: tuple[str, ...] = ()  # given as arguments
    extract: bool = False  # -t: also every recipient of To, Cc and Bcc
    ignore_dots: bool = False  # -i / -oi: a lone "." is text, not the end of the message
    full_name: str | None = None  # -F: the name of a From header the message lacks
    queue_only: bool = False  # -odq: into the outbox, not tried now


def submit(
    settings: Settings,
    stream: BinaryIO,
    ctx: Context,
    request: Submission,
    note: Callable[[str], None],
) -> int:
    """Read the message from `stream`, queue it, send it (see the module docstring); 0, or
    raise the error of a permanent failure. `note` prints a line (a deferred message)."""
    import time

    from pysmail.app.send import prepare
    from pysmail.app.settings import spool_of
    from pysmail.config.overrides import Mode
    from pysmail.delivery.outbox import Envelope, enqueue
    from pysmail.mime.eml import eml_envelope, eml_stream, read_head
    from pysmail.mime.submission import (
        DotEnd,
        complete_head,
        envelope_recipients,
        split_submitted,
    )

    trace = prepare(settings, Mode(eml=SHOWN), ctx).trace
    # DotEnd has the one method the readers call, read(size)
    reader: BinaryIO = stream if request.ignore_dots else DotEnd(stream)  # type: ignore[assignment]
    head, rest = split_submitted(*read_head(reader, SHOWN))
    rcpts = envelope_recipients(head, request.recipients, extract=request.extract)
    if not rcpts:
        raise UsageError(ErrCode.RECIPIENT, "sendmail.no_recipients")
    sender, rcpts_, smtputf8 = eml_envelope(head, SHOWN, settings.message.sender, rcpts)
    head = complete_head(head, sender=sender, full_name=_full_name(request, settings))
    envelope = Envelope(sender, rcpts_, time.time(), smtputf8=smtputf8, eight_bit=True)
    spool = spool_of(settings, ctx.env)
    path = enqueue(spool, envelope, eml_stream(head, rest, reader, SHOWN))
    if request.queue_only:
        return int(ErrCode.OK)
    try:
        auth, source = _log_in(settings, ctx, trace)
    except SmailError as err:  # before the server had the message: it is still queued
        from pysmail.delivery.retry import classify

        if classify(err).temporary:
            note(_deferred(err, path, ctx))
            return int(ErrCode.OK)
        from pysmail.delivery.outbox.fileformat import error_text, stamp
        from pysmail.delivery.outbox.spool import FAILED, move_aside

        reason = f"{stamp(time.time())} ERR-{int(err.code):04d} {error_text(err)}"
        err.kept = move_aside(path, spool / FAILED, reason)
        raise
    return _flush_one(settings, ctx, trace, (auth, source), path, note)


def _full_name(request: Submission, settings: Settings) -> str | None:
    """The name of an added From: -F, else the name the sender has in smail.ini's `from`."""
    if request.full_name is not None or not settings.message.sender:
        return request.full_name
    from pysmail.mime.addresses import parse_address

    return parse_address(settings.message.sender).display or None


def _log_in(
    settings: Settings, ctx: Context, trace: Trace | None
) -> tuple[AuthRequest | None, TokenSource | None]:
    """The AUTH request and its token source; POP before SMTP when configured."""
    from pysmail.app.auth import auth_request

    auth, source = auth_request(settings, ctx, trace)
    if settings.pop is not None:
        from pysmail.app.auth import pop_before_smtp

        pop_before_smtp(settings, settings.pop, trace, ctx, source)
    return auth, source


def _flush_one(
    settings: Settings,
    ctx: Context,
    trace: Trace | None,
    login: tuple[AuthRequest | None, TokenSource | None],
    path: Path,
    note: Callable[[str], None],
) -> int:
    """Send the one queued message; raise the error of a permanent failure (the flush has
    moved the message to failed/). Ctrl+C: the flush's ERR-0016 says where it is."""
    from pysmail.app.flush import flush_outbox
    from pysmail.delivery.outbox import describe
    from pysmail.messages import text

    failed: list[SmailError] = []

    def on_event(event: Event) -> None:
        if event.kind in ("failed", "expired", "corrupt"):
            err = event.error or SmailError(ErrCode.HANDLING, "sendmail.not_sent")
            err.kept = event.where
            failed.append(err)
        elif event.kind in ("deferred", "paced"):
            note(describe(event, ctx.lang) + " " + _hint(ctx))
        elif event.kind == "busy":
            busy = text("sendmail.busy", ctx.lang, wait=f"{LOCK_WAIT:.0f}", path=path)
            note(busy + " " + _hint(ctx))

    auth, source = login
    flush_outbox(settings, ctx, trace, auth, source, [path], on_event, LOCK_WAIT)
    if failed:
        raise failed[0]
    return int(ErrCode.OK)


def _hint(ctx: Context) -> str:
    from pysmail.messages import text

    return text("sendmail.flush_hint", ctx.lang)


def _deferred(err: SmailError, path: Path, ctx: Context) -> str:
    from pysmail.messages import format_error, text

    reason = " / ".join(line.strip() for line in format_error(err, ctx.lang).splitlines())
    return text("sendmail.deferred", ctx.lang, path=path, reason=reason) + " " + _hint(ctx)
