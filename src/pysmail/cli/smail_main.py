"""The `smail` command: argv -> settings -> message -> (POP before SMTP) -> SMTP -> exit code.

This is the only module that imports config, mime, smtp and pop3 together, and the only place where
an error becomes an exit code (`main` has the one try block).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pysmail import __version__
from pysmail.cli.output import Output, silence
from pysmail.errors import SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, detect_lang, text
from pysmail.redact import Scrubber

TYPE_CHECKING = False  # mypy knows this idiom; `typing` costs ~2 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import NoReturn, TextIO

    from pysmail.cli.smail_args import CommandLine
    from pysmail.config.model import IniSettings, PopSettings, SecretSources, Settings
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.addresses import Recipients
    from pysmail.mime.compose import MessageSpec
    from pysmail.oauth.provider import TokenSource
    from pysmail.outbox import Envelope, Event
    from pysmail.pacing import Pacer
    from pysmail.progress import Progress
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace

__all__ = ["main", "run"]


class _Context:
    """What every step of one run shares: the output, the environment, the folder, the language."""

    __slots__ = ("cwd", "env", "lang", "out")

    def __init__(self, out: Output, env: Mapping[str, str], cwd: Path, lang: Lang) -> None:
        self.out = out
        self.env = env
        self.cwd = cwd
        self.lang = lang


def run() -> NoReturn:
    """Console-script entry point."""
    from pysmail.cli.guard import console_run

    console_run(main)


def main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Run smail with `argv`; return the exit code. Never raises, never prints a traceback."""
    from pysmail.cli.guard import early_lang, guarded

    env = dict(os.environ if environ is None else environ)
    out = Output(stdout if stdout is not None else sys.stdout, Scrubber())
    lang = detect_lang(early_lang(argv), env)
    ctx = _Context(out, env, cwd or Path.cwd(), lang)
    say = None if "-S" in argv else out.line
    return guarded(lambda: _run(argv, ctx), say=say, lang=lang, env=env)


def _run(argv: Sequence[str], ctx: _Context) -> int:
    from pysmail.cli.smail_args import parse_args

    out, env, cwd, lang = ctx.out, ctx.env, ctx.cwd, ctx.lang
    cmd = parse_args(argv)
    if cmd.help:
        from pysmail.cli.usage import usage_text

        out.line(usage_text(lang))
        return int(ErrCode.OK)
    if cmd.version:
        out.line(f"smail (pysmail) {__version__}")
        return int(ErrCode.OK)
    if cmd.completion is not None:
        from pysmail.cli.completion import completion_script

        out.stream.write(completion_script(cmd.completion, lang))
        return int(ErrCode.OK)
    if cmd.setup:  # SMAIL's settings screen: the same page as `smail-token setup`
        from pysmail.cli.token_main import main as token_main

        return token_main(["--lang", lang, "setup"], stdout=out.stream, environ=env, cwd=cwd)
    if cmd.queue_list:  # needs no server, only the outbox folder
        from pysmail.outbox import list_lines

        for line in list_lines(_spool(_load_ini(cmd, env, cwd), env), lang):
            out.line(line)
        return int(ErrCode.OK)

    settings = _settings(cmd, env, cwd)
    for proxy in (settings.server.proxy, settings.pop.proxy if settings.pop else None):
        if proxy is not None and proxy.password:
            out.scrubber.add(proxy.password)
    if settings.debug:
        for section, key in settings.unknown_keys:
            path = settings.config_path
            out.line(text("main.unknown_key", lang, path=path, section=section, key=key))
    if not settings.server.tls_verify:
        out.line(text("main.insecure", lang))
    trace = None
    if settings.debug:
        from pysmail.smtp.trace import Trace

        trace = Trace(out.line, out.scrubber)

    single = None  # a single send's message and recipients (the other modes read files)
    if not (cmd.flush or cmd.batch or cmd.eml):
        recipients = _recipients(settings)
        spec = _message_spec(settings, recipients, cwd)
        single = spec, recipients
        if settings.info:
            from pysmail.cli.info import info_block

            oauth_file = None
            if settings.auth.enabled and settings.auth.token_from_file:
                oauth_file = _token_file(settings, env, cwd)
            out.line(info_block(settings, spec, recipients, lang, oauth_file))
    if settings.dry_run:
        # The one place where a dry run stops, in every mode: before a token is read or
        # refreshed, before POP before SMTP and before any SMTP connection.
        return _dry_run(cmd, settings, ctx, single[0] if single is not None else None)

    auth, source = _auth_request(settings, ctx, trace)
    if settings.pop is not None:
        _pop_before_smtp(settings, settings.pop, trace, ctx, source)
    if single is not None:
        return _deliver(settings, single[0], single[1], trace, ctx, auth, source)
    if cmd.flush:
        return _flush(settings, ctx, trace, auth, source, None)
    return _bulk(cmd, settings, ctx, auth=auth, source=source, trace=trace)


def _bulk(
    cmd: CommandLine,
    settings: Settings,
    ctx: _Context,
    *,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """--eml and --batch: send, or with `show` (--dry-run) check and show every message."""
    from pysmail import batch

    cwd = ctx.cwd
    if cmd.eml:
        return batch.send_eml(
            settings, cmd.eml, cwd=cwd, auth=auth, source=source, trace=trace, show=show
        )
    return batch.run_batch(
        settings,
        cwd / (cmd.batch or ""),
        out=ctx.out.line,
        lang=ctx.lang,
        cwd=cwd,
        auth=auth,
        source=source,
        trace=trace,
        parallel=cmd.parallel or 1,
        report_path=(cwd / cmd.report) if cmd.report else None,
        attach_dir=(cwd / cmd.attach_dir) if cmd.attach_dir else None,
        pacer=_pacer(settings),
        show=show,
    )


def _dry_run(cmd: CommandLine, settings: Settings, ctx: _Context, spec: MessageSpec | None) -> int:
    """--dry-run: everything a run checks before it connects is checked; what would be sent
    is printed; nothing is sent, no connection opened, no token refreshed, no file written.
    A single send prints its message; --eml and --batch each message after a line naming its
    envelope; --flush the outbox as --queue-list shows it."""
    out = ctx.out
    if spec is not None:
        from pysmail.mime.compose import compose

        _write_message(out, compose(spec))
    elif cmd.flush:
        from pysmail.outbox import list_lines

        for line in list_lines(_spool_of(settings, ctx), ctx.lang):
            out.line(line)
    else:

        def show(job: Job) -> None:
            rcpts = ", ".join(job.recipients)
            msgid = "main.dry_run_message"
            out.line(text(msgid, ctx.lang, number=job.tag, sender=job.sender, recipients=rcpts))
            _write_message(out, job.chunks())

        return _bulk(cmd, settings, ctx, show=show)
    return int(ErrCode.OK)


def _load_ini(cmd: CommandLine, env: Mapping[str, str], cwd: Path) -> IniSettings | None:
    from pysmail.config.paths import find_config

    path = find_config(cmd.config, env, cwd, home=_home(env))
    if path is None:
        return None
    from pysmail.config.ini import read_ini

    return read_ini(path, explicit=cmd.config is not None)


def _spool(ini: IniSettings | None, env: Mapping[str, str]) -> Path:
    """The outbox folder: `outbox_dir` in smail.ini, else the per-user data folder."""
    from pysmail.outbox import default_spool

    if ini is not None and ini.outbox_dir is not None:
        return ini.outbox_dir
    return default_spool(env, home=_home(env))


def _home(env: Mapping[str, str]) -> Path | None:
    """The home folder of the given environment (not necessarily this process's own)."""
    return Path(env["HOME"]) if env.get("HOME") else None


def _settings(cmd: CommandLine, env: Mapping[str, str], cwd: Path) -> Settings:
    from pysmail.config.merge import merge

    return merge(cmd, _load_ini(cmd, env, cwd))


def _recipients(settings: Settings) -> Recipients:
    from pysmail.mime.addresses import Recipients, parse_recipients

    msg = settings.message
    parts = [parse_recipients(list(msg.recipients))] if msg.recipients else []
    for field, values in (("to", msg.to), ("cc", msg.cc), ("bcc", msg.bcc)):
        if values:
            extra = parse_recipients(list(values))
            parts.append(Recipients(**{field: (*extra.to, *extra.cc, *extra.bcc)}))
    if not parts:
        raise UsageError(ErrCode.RECIPIENT, "config.no_recipient")
    return Recipients(
        to=tuple(a for p in parts for a in p.to),
        cc=tuple(a for p in parts for a in p.cc),
        bcc=tuple(a for p in parts for a in p.bcc),
    )


def _message_spec(settings: Settings, recipients: Recipients, cwd: Path) -> MessageSpec:
    from pysmail.mime.addresses import parse_address
    from pysmail.mime.bodyfile import read_body_file
    from pysmail.mime.compose import MessageSpec
    from pysmail.mime.parts import check_attachments

    msg = settings.message
    if msg.sender is None:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    sender = parse_address(msg.sender, code=ErrCode.OPTION)
    if msg.body_text is not None:  # -T wins over -F (SMAIL)
        body: str | None = msg.body_text
    elif msg.body_file is not None:
        body = read_body_file(
            cwd / msg.body_file, msg.body_file, msg.body_encoding, "main.body_file_missing"
        )
    else:
        body = None
    html = None
    if msg.html_file is not None:
        html = read_body_file(
            cwd / msg.html_file, msg.html_file, msg.body_encoding, "main.html_file_missing"
        )
    attachments = tuple(cwd / a for a in msg.attachments)
    check_attachments(attachments)
    return MessageSpec(
        from_=sender,
        to=recipients.to,
        cc=recipients.cc,
        reply_to=tuple(parse_address(r, code=ErrCode.OPTION) for r in msg.reply_to),
        subject=msg.subject or "",
        text=body,
        html=html,
        attachments=attachments,
        charset=str(msg.charset),
        priority=msg.priority,
        # Always a Message-ID (RFC 5322 "SHOULD"; Gmail refuses mail without one): SMAIL wrote one
        # only with -m, which still works, and -m<id> still chooses it.
        message_id="" if msg.message_id is None else msg.message_id,
        extra_headers=msg.headers,
    )


def _write_message(out: Output, chunks: Iterable[bytes]) -> None:
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


def _secret(
    sources: SecretSources, user: str, server: str, scrubber: Scrubber, lang: Lang
) -> Callable[[], str]:
    """A lazily resolved password whose value the output scrubber learns the moment it exists."""
    from pysmail.config.secrets import password_source

    source = password_source(sources, user=user, server=server, lang=lang)

    def resolve() -> str:
        value = source()
        scrubber.add(value)
        return value

    return resolve


def _token_file(settings: Settings, env: Mapping[str, str], cwd: Path) -> Path:
    """smail_refreshtoken.ini: `oauth_token_file`, else beside smail.ini (merge), else the current
    folder when it has one (SMAIL keeps it beside smail.exe), else the user's settings folder."""
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME
    from pysmail.config.paths import user_config_dir

    if settings.auth.oauth_token_file is not None:
        return settings.auth.oauth_token_file
    here = cwd / OAUTH_TOKEN_FILE_NAME
    if here.is_file():
        return here
    return user_config_dir(env, home=_home(env)) / OAUTH_TOKEN_FILE_NAME


def _auth_request(
    settings: Settings, ctx: _Context, trace: Trace | None
) -> tuple[AuthRequest | None, TokenSource | None]:
    """The AUTH to perform, and the OAuth token source behind it (None for passwords).

    OAUTH-XOAUTH2 (SMAIL's setting) always takes its token from smail_refreshtoken.ini; XOAUTH2
    and OAUTHBEARER take it from a password source when one is configured (like msmtp's
    passwordeval), else from the token file.
    """
    auth = settings.auth
    if not auth.enabled:
        return None, None
    from pysmail.sasl import AuthRequest

    allow = auth.allow_plaintext
    mechanism = auth.mode.sasl_name or "auto"
    if auth.token_from_file:
        from pysmail.oauth.provider import access_token_provider

        source = access_token_provider(
            _token_file(settings, ctx.env, ctx.cwd),
            trace=trace.note if trace is not None else None,
            scrubber=ctx.out.scrubber,
        )
        user = auth.user or source.user
        return AuthRequest(mechanism, user, token=source, allow_plaintext=allow), source
    user = auth.user or ""
    secret = _secret(auth.secret, user, settings.server.host, ctx.out.scrubber, ctx.lang)
    if auth.mode.is_bearer:
        return AuthRequest(mechanism, user, token=secret, allow_plaintext=allow), None
    return AuthRequest(mechanism, user, password=secret, allow_plaintext=allow), None


def _pop_before_smtp(
    settings: Settings,
    pop: PopSettings,
    trace: Trace | None,
    ctx: _Context,
    token: TokenSource | None,
) -> None:
    """POP before SMTP. With SMAIL's OAuth setting and no POP password source, the POP login
    uses the same access token (AUTH XOAUTH2; the seed asks for POP.AccessAsUser.All)."""
    import time

    from pysmail.cli.params import pop_params
    from pysmail.pop3.before_smtp import pop_before_smtp

    params = pop_params(settings, pop)
    s = pop.secret
    use_token = token is not None and not (s.command or s.keyring or s.password)
    password = _secret(pop.secret, pop.user, pop.host, ctx.out.scrubber, ctx.lang)
    pop_before_smtp(
        params,
        pop.user,
        password,
        pop.apop,
        trace,
        allow_plaintext=settings.auth.allow_plaintext,
        token=token if use_token else None,
    )
    if pop.wait_ms:
        time.sleep(pop.wait_ms / 1000)


def _sender(
    settings: Settings,
    trace: Trace | None,
    auth: AuthRequest | None,
    source: TokenSource | None,
) -> Callable[[str, Sequence[str], bool, Iterable[bytes]], object]:
    """`send_one(sender, recipients, smtputf8, chunks)`: one SMTP transaction; when the server
    refuses an OAuth token (401-style), the token is refreshed once and the transaction tried
    again (AUTH fails before any of the message is read, so the same chunks serve)."""
    from pysmail.cli.params import smtp_params
    from pysmail.smtp.session import send

    params = smtp_params(settings)

    def send_one(
        sender: str, recipients: Sequence[str], smtputf8: bool, chunks: Iterable[bytes]
    ) -> object:
        def attempt() -> object:
            return send(
                params, sender, recipients, chunks, auth=auth, trace=trace, smtputf8=smtputf8
            )

        return attempt() if source is None else source.with_refresh(attempt)

    return send_one


def _spool_of(settings: Settings, ctx: _Context) -> Path:
    return settings.reliability.outbox_dir or _spool(None, ctx.env)


def _pacer(settings: Settings) -> Pacer | None:
    """The provider's pacing with smail.ini's overrides, or None when nothing is limited
    (pysmail.pacing is imported only when a preset or an override is set)."""
    rel = settings.reliability
    if rel.pacing == "none" and not any(value for _name, value in rel.pacing_overrides):
        return None
    import time
    from dataclasses import replace

    from pysmail.pacing import Limits, Pacer, limits_for

    limits = limits_for(rel.pacing, dict(rel.pacing_overrides))
    if limits == Limits(limits.name):
        return None  # every limit overridden with 0
    if limits.name == "none":  # limits of the user's own: named after where they are set
        limits = replace(limits, name="smail.ini")
    return Pacer(limits, clock=time.time)


def _bar_stream(settings: Settings) -> TextIO | None:
    """stderr, when a progress bar may be drawn on it: a terminal, and no -S."""
    if settings.silent:
        return None
    stream = sys.stderr
    try:
        return stream if stream is not None and stream.isatty() else None
    except (AttributeError, OSError, ValueError):
        return None


def _flush_bar(
    settings: Settings, spool: Path, only: list[Path] | None
) -> tuple[Progress | None, dict[str, int]]:
    """The bar of a flush on a terminal (bytes, and N/M messages), with the size of every
    message due. `--queue` (`only`): a bar only for a large message."""
    stream = _bar_stream(settings)
    if stream is None:
        return None, {}
    import time

    from pysmail.outbox import entries
    from pysmail.progress import LARGE, Progress

    wanted = None if only is None else {p.name for p in only}
    now = time.time()
    found, _bad = entries(spool)
    sizes = {
        e.name: e.size
        for e in found
        if (e.path.name in wanted if wanted is not None else e.state.next_try <= now)
    }
    total = sum(sizes.values())
    if not sizes or (only is not None and total < LARGE):
        return None, sizes
    count_total = len(sizes) if only is None else None
    return Progress(stream, total, count_total=count_total), sizes


def _flush(
    settings: Settings,
    ctx: _Context,
    trace: Trace | None,
    auth: AuthRequest | None,
    source: TokenSource | None,
    only: list[Path] | None,
) -> int:
    """Send what is due in the outbox (`--flush`, or the one message just queued)."""
    from pysmail.outbox import describe, flush, interrupted

    spool = _spool_of(settings, ctx)
    quiet = only is not None and not settings.debug
    bar, sizes = _flush_bar(settings, spool, only)
    finished = [0, 0]  # messages done, and their bytes (the bar's base)
    sent: list[str] = []  # for the message of a Ctrl+C

    def report(event: Event) -> None:
        if event.kind == "sent":
            sent.append(event.name)
        if not quiet or event.kind not in ("sent", "deferred"):
            ctx.out.line(describe(event, ctx.lang))
        if bar is not None and event.kind in ("sent", "deferred", "failed", "expired"):
            finished[0] += 1
            finished[1] += sizes.get(event.name, 0)
            bar.update(finished[1], count=finished[0])

    send_one = _sender(settings, trace, auth, source)

    def send_entry(env: Envelope, chunks: Iterable[bytes]) -> object:
        if bar is not None:
            from pysmail.progress import counted

            chunks = counted(chunks, bar, start=finished[1], finish=False)
        return send_one(env.sender, env.recipients, env.smtputf8, chunks)

    ctx.out.bar = bar
    try:
        result = flush(spool, send_entry, report=report, pacer=_pacer(settings), only=only)
        if bar is not None:
            bar.finish()
    except KeyboardInterrupt as exc:  # say what is true: queued, sent, or maybe delivered
        from pysmail.retry import DataSentInterrupt

        after_data = isinstance(exc, DataSentInterrupt)
        raise interrupted(spool, only, sent, after_data=after_data) from exc
    finally:
        ctx.out.bar = None
        if bar is not None:
            bar.clear()
    if only is not None and not result.failed:
        return int(ErrCode.OK)  # --queue: sent, or safely in the outbox for the next --flush
    return result.exit_code()


def _deliver(
    settings: Settings,
    spec: MessageSpec,
    recipients: Recipients,
    trace: Trace | None,
    ctx: _Context,
    auth: AuthRequest | None,
    source: TokenSource | None,
) -> int:
    """Send one message: through the outbox (`--queue`), or directly, with `--retry` seconds
    of retries; a temporary failure keeps the message text in a file named in the error.
    The plain path (no queue, no retry) imports nothing of the outbox until something fails."""
    import time

    from pysmail.mime.compose import compose, freeze, needs_smtputf8

    rel = settings.reliability
    spec = freeze(spec)  # every attempt and every kept copy: the same Date and Message-ID
    sender, rcpts = spec.from_.wire_addr, tuple(recipients.envelope())
    smtputf8 = needs_smtputf8(spec) or recipients.needs_smtputf8

    def envelope() -> Envelope:
        from pysmail.outbox import Envelope

        return Envelope(sender, rcpts, time.time(), message_id=spec.message_id, smtputf8=smtputf8)

    if rel.queue:
        from pysmail.outbox import enqueue

        path = enqueue(_spool_of(settings, ctx), envelope(), compose(spec))
        return _flush(settings, ctx, trace, auth, source, [path])

    from pysmail.retry import DataSentInterrupt, send_tracked

    send_one = _sender(settings, trace, auth, source)
    bar = _send_bar(settings, spec)
    ctx.out.bar = bar

    def once() -> object:
        chunks: Iterable[bytes] = compose(spec)
        if bar is not None:
            from pysmail.progress import counted

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
        from pysmail.retry import classify

        if classify(err).temporary:
            import contextlib

            from pysmail.outbox import keep_unsent

            with contextlib.suppress(SmailError):  # the original error is the one to report
                err.kept = keep_unsent(_spool_of(settings, ctx), envelope(), compose(spec), err)
        raise
    finally:
        ctx.out.bar = None
        if bar is not None:
            bar.clear()
    return int(ErrCode.OK)


def _send_bar(settings: Settings, spec: MessageSpec) -> Progress | None:
    """A progress bar for a message with large attachments (together >= progress.LARGE), on
    a terminal; None otherwise. The plain small send looks at nothing but the file sizes and
    never imports pysmail.progress."""
    if not spec.attachments:
        return None
    try:
        attached = [p.stat().st_size for p in spec.attachments]
    except OSError:
        return None  # composing reports it
    if sum(attached) < 1024 * 1024:  # progress.LARGE, without importing the module
        return None
    stream = _bar_stream(settings)
    if stream is None:
        return None
    from pysmail.progress import Progress, base64_size

    texts = sum(len(t.encode("utf-8", "replace")) for t in (spec.text, spec.html) if t)
    # Estimated: base64 attachments, texts a third bigger (quoted-printable or base64), and
    # a few KB of header fields and MIME part headers. counted() raises it if it was short.
    total = sum(base64_size(n) for n in attached) + texts * 4 // 3 + 2048 + 256 * len(attached)
    return Progress(stream, total)


def _with_retry(
    once: Callable[[], object], seconds: float, trace: Trace | None, lang: Lang
) -> None:
    """Retry temporary failures for `seconds` (backoff with jitter; pysmail.retry decides)."""
    import random
    import time

    from pysmail.retry import Attempt, run_with_retry

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
