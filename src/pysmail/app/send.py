"""The send use-case: merged settings and the mode of the run -> the messages sent, or shown.

`prepare` does what every mode does before the server is asked anything (secrets learnt by the
scrubber, the -d notes, the single send's message built and checked); the caller may then show
the -i block; `execute` stops there for --dry-run, else logs in (AUTH request, POP before SMTP)
and sends: the single message, the outbox (--flush), or --eml / --batch. Every failure is a
SmailError (pysmail.errors), which the caller turns into its ERR block and exit code.
"""

from __future__ import annotations

from pysmail.exitcodes import ErrCode
from pysmail.messages import text
from pysmail.record import record
from pysmail.ui.output import silence

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pysmail.app.context import Context
    from pysmail.config.model import Settings
    from pysmail.config.overrides import Mode
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.addresses import Recipients
    from pysmail.mime.compose import MessageSpec
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace
    from pysmail.ui.output import Output

__all__ = ["Prepared", "execute", "prepare", "queue_lines", "write_message"]


@record
class Prepared:
    """A run checked and ready to log in: its settings, mode, -d trace and single message."""

    settings: Settings
    mode: Mode
    trace: Trace | None = None
    spec: MessageSpec | None = None  # the single send's message and recipients
    recipients: Recipients | None = None

    def single(self) -> tuple[MessageSpec, Recipients]:
        """The single send's message and recipients (prepare() sets both for a single send)."""
        assert self.spec is not None and self.recipients is not None
        return self.spec, self.recipients


def queue_lines(config: str | None, ctx: Context, account: str | None = None) -> list[str]:
    """--queue-list: the outbox (of `account`) as listed (needs no server, only its folder)."""
    from pysmail.app.settings import load_ini, spool
    from pysmail.delivery.outbox import list_lines

    ini = load_ini(config, ctx.env, ctx.cwd, account)
    return list(list_lines(spool(ini, ctx.env), ctx.lang))


def prepare(settings: Settings, mode: Mode, ctx: Context) -> Prepared:
    """Everything before the server: secrets, the -d notes, the single send's message."""
    _announce(settings, ctx)
    trace = None
    if settings.debug:
        from pysmail.smtp.trace import Trace

        trace = Trace(ctx.out.line, ctx.out.scrubber)
    if not mode.single:
        return Prepared(settings, mode, trace)
    from pysmail.app.message import message_spec, recipients

    rcpts = recipients(settings)
    return Prepared(settings, mode, trace, message_spec(settings, rcpts, ctx.cwd), rcpts)


def _announce(settings: Settings, ctx: Context) -> None:
    """Proxy passwords to the scrubber; unknown smail.ini keys (-d) and --insecure noted."""
    out, lang = ctx.out, ctx.lang
    for proxy in (settings.server.proxy, settings.pop.proxy if settings.pop else None):
        if proxy is not None and proxy.password:
            out.scrubber.add(proxy.password)
    if settings.debug:
        for section, key in settings.unknown_keys:
            path = settings.config_path
            out.line(text("main.unknown_key", lang, path=path, section=section, key=key))
    if not settings.server.tls_verify:
        out.line(text("main.insecure", lang))


def execute(run: Prepared, ctx: Context) -> int:
    """Show (--dry-run) or send what `run` holds; the exit code."""
    settings, mode, trace = run.settings, run.mode, run.trace
    if settings.dry_run:
        # The one place where a dry run stops, in every mode: before a token is read or
        # refreshed, before POP before SMTP and before any SMTP connection.
        return _dry_run(run, ctx)
    from pysmail.app.auth import auth_request

    auth, source = auth_request(settings, ctx, trace)
    if settings.pop is not None:
        from pysmail.app.auth import pop_before_smtp

        pop_before_smtp(settings, settings.pop, trace, ctx, source)
    if run.spec is not None and run.recipients is not None:
        from pysmail.app.deliver import deliver

        return deliver(run, ctx, auth, source)
    if mode.flush:
        from pysmail.app.flush import flush_outbox

        return flush_outbox(settings, ctx, trace, auth, source, None)
    return _bulk(mode, settings, ctx, auth=auth, source=source, trace=trace)


def _bulk(
    mode: Mode,
    settings: Settings,
    ctx: Context,
    *,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """--eml and --batch: send, or with `show` (--dry-run) check and show every message."""
    from pathlib import Path  # delivery.batch's type (and import): the bulk send's alone

    from pysmail.app.pacer import pacer
    from pysmail.delivery.batch import run as batch

    cwd = Path(ctx.cwd)
    if mode.eml:
        return batch.send_eml(
            settings, mode.eml, cwd=cwd, auth=auth, source=source, trace=trace, show=show
        )
    return batch.run_batch(
        settings,
        cwd / (mode.batch or ""),
        out=ctx.out.line,
        lang=ctx.lang,
        cwd=cwd,
        auth=auth,
        source=source,
        trace=trace,
        parallel=mode.parallel or 1,
        report_path=(cwd / mode.report) if mode.report else None,
        attach_dir=(cwd / mode.attach_dir) if mode.attach_dir else None,
        pacer=pacer(settings),
        show=show,
    )


def _dry_run(run: Prepared, ctx: Context) -> int:
    """--dry-run: everything a run checks before it connects is checked; what would be sent
    is printed; nothing is sent, no connection opened, no token refreshed, no file written.
    A single send prints its message; --eml and --batch each message after a line naming its
    envelope; --flush the outbox as --queue-list shows it."""
    out = ctx.out
    if run.spec is not None:
        from pysmail.mime.compose import compose

        write_message(out, compose(run.spec))
    elif run.mode.flush:
        from pysmail.app.settings import spool_of
        from pysmail.delivery.outbox import list_lines

        for line in list_lines(spool_of(run.settings, ctx.env), ctx.lang):
            out.line(line)
    else:

        def show(job: Job) -> None:
            rcpts = ", ".join(job.recipients)
            msgid = "main.dry_run_message"
            out.line(text(msgid, ctx.lang, number=job.tag, sender=job.sender, recipients=rcpts))
            write_message(out, job.chunks())

        return _bulk(run.mode, run.settings, ctx, show=show)
    return int(ErrCode.OK)


def write_message(out: Output, chunks: Iterable[bytes]) -> None:
    """--dry-run: a message exactly as it would be sent (bytes, when the stream has a buffer)."""
    if out.broken:
        return
    stream = out.stream
    buffer = getattr(stream, "buffer", None)
    try:
        for chunk in chunks:
            if buffer is not None:
                buffer.write(chunk)
            else:
                stream.write(chunk.decode("utf-8", "replace"))
        stream.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): its choice, not an error
        out.broken = True
        silence(stream)
