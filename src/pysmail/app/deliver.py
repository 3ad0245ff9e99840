"""Sending one message: directly with --retry, or through the outbox with --queue."""

from __future__ import annotations

import os
import sys

from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import text

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pysmail.app.context import Context
    from pysmail.app.send import Prepared
    from pysmail.config.model import Settings
    from pysmail.delivery.outbox import Envelope
    from pysmail.messages import Lang
    from pysmail.mime.compose import MessageSpec
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace
    from pysmail.ui.progress import Progress

__all__ = ["deliver"]


def deliver(
    run: Prepared, ctx: Context, auth: AuthRequest | None, source: TokenSource | None
) -> int:
    """Send the single message of `run`: through the outbox (`--queue`), or directly, with
    `--retry` seconds of retries; a temporary failure keeps the message text in a file named in
    the error. The plain path (no queue, no retry) imports nothing of the outbox until
    something fails."""
    import time

    from pysmail.app.auth import transaction_sender
    from pysmail.app.settings import spool_of
    from pysmail.mime.compose import compose, freeze, needs_smtputf8

    settings, trace = run.settings, run.trace
    spec, recipients = run.single()
    rel = settings.reliability
    spec = freeze(spec)  # every attempt and every kept copy: the same Date and Message-ID
    sender, rcpts = spec.from_.wire_addr, tuple(recipients.envelope())
    smtputf8 = needs_smtputf8(spec) or recipients.needs_smtputf8

    def envelope() -> Envelope:
        from pysmail.delivery.outbox import Envelope

        return Envelope(sender, rcpts, time.time(), message_id=spec.message_id, smtputf8=smtputf8)

    if rel.queue:
        from pysmail.app.flush import flush_outbox
        from pysmail.delivery.outbox import enqueue

        path = enqueue(spool_of(settings, ctx.env), envelope(), compose(spec))
        return flush_outbox(settings, ctx, trace, auth, source, [path])

    from pysmail.delivery.retry import DataSentInterrupt, send_tracked

    send_one = transaction_sender(settings, trace, auth, source)
    bar = _send_bar(settings, spec)
    ctx.out.bar = bar

    def once() -> object:
        chunks: Iterable[bytes] = compose(spec)
        if bar is not None:
            from pysmail.ui.progress import counted

            chunks = counted(chunks, bar)  # every attempt starts the bar again
        try:
            return send_tracked(lambda stream: send_one(sender, rcpts, smtputf8, stream), chunks)
        finally:
            if bar is not None:
                bar.clear()  # before a retry's wait or the error line, not when collected

    try:
        if rel.retry > 0:
            _with_retry(once, rel.retry, trace, ctx.lang)
        else:
            once()
    except DataSentInterrupt as exc:  # not "nothing was sent": the server may have it
        raise SmailError(ErrCode.UNKNOWN, "main.interrupted_after_data") from exc
    except SmailError as err:
        from pysmail.delivery.retry import classify

        if classify(err).temporary:
            import contextlib

            from pysmail.delivery.outbox import keep_unsent

            with contextlib.suppress(SmailError):  # the original error is the one to report
                err.kept = keep_unsent(spool_of(settings, ctx.env), envelope(), compose(spec), err)
        raise
    finally:
        ctx.out.bar = None
        if bar is not None:
            bar.clear()
    return int(ErrCode.OK)


def _send_bar(settings: Settings, spec: MessageSpec) -> Progress | None:
    """A progress bar for a message with large attachments (together >= progress.LARGE), on
    a terminal and without -S; None otherwise. The plain small send looks at nothing but the
    file sizes and never imports pysmail.ui.progress."""
    if not spec.attachments:
        return None
    try:
        attached = [os.stat(p).st_size for p in spec.attachments]
    except OSError:
        return None  # composing reports it
    if sum(attached) < 1024 * 1024:  # progress.LARGE, without importing the module
        return None
    from pysmail.ui.progress import Progress, base64_size, terminal

    stream = terminal(sys.stderr, settings.silent)
    if stream is None:
        return None
    texts = sum(len(t.encode("utf-8", "replace")) for t in (spec.text, spec.html) if t)
    # Estimated: base64 attachments, texts a third bigger (quoted-printable or base64), and
    # a few KB of header fields and MIME part headers. counted() raises it if it was short.
    total = sum(base64_size(n) for n in attached) + texts * 4 // 3 + 2048 + 256 * len(attached)
    return Progress(stream, total)


def _with_retry(
    once: Callable[[], object], seconds: float, trace: Trace | None, lang: Lang
) -> None:
    """Retry temporary failures for `seconds` (backoff with jitter; delivery.retry decides)."""
    import random
    import time

    from pysmail.delivery.retry import Attempt, run_with_retry

    def retrying(attempt: Attempt) -> None:
        if trace is not None:
            reason = f"ERR-{int(attempt.error.code):04d}"
            wait = round(attempt.wait, 1)
            trace.note(
                text("outbox.retrying", lang, attempt=attempt.number, reason=reason, wait=wait)
            )

    run_with_retry(
        once,
        deadline=time.monotonic() + seconds,
        clock=time.monotonic,
        sleep=time.sleep,
        rng=random.random,
        on_retry=retrying,
    )
