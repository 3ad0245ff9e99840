"""The `smail` command: argv -> settings -> message -> (POP before SMTP) -> SMTP -> exit code.

This is the only module that imports config, mime, smtp and pop3 together, and the only place where
an error becomes an exit code (`main` has the one try block).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from pysmail import __version__
from pysmail.errors import InputError, SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, detect_lang, format_error, text
from pysmail.redact import Scrubber

if TYPE_CHECKING:
    from pysmail.cli.smail_args import CommandLine
    from pysmail.config.model import PopSettings, SecretSources, Settings
    from pysmail.mime.addresses import Recipients
    from pysmail.mime.compose import MessageSpec
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace

__all__ = ["main", "run"]


@dataclass
class _Output:
    """Everything printed goes through here: one Scrubber sees every line (defence in depth).

    A closed output (`smail -d ... | head`) must neither abort a send nor end in a traceback:
    after the first failed write, output is dropped and the stream is pointed at the null device
    (what the Python documentation advises for SIGPIPE), so the exit code still tells the truth.
    """

    stream: TextIO
    scrubber: Scrubber
    broken: bool = False

    def line(self, value: str) -> None:
        if self.broken:
            return
        try:
            self.stream.write(self.scrubber.scrub(value) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
            self.broken = True
            _silence(self.stream)


def _silence(stream: TextIO) -> None:
    """Point a broken standard stream at the null device so interpreter shutdown stays quiet."""
    try:
        fileno = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


@dataclass(frozen=True)
class _Context:
    """What every step of one run shares: the output, the environment, the folder, the language."""

    out: _Output
    env: Mapping[str, str]
    cwd: Path
    lang: Lang


def run() -> NoReturn:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    sys.exit(main(sys.argv[1:]))


def main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Run smail with `argv`; return the exit code. Never raises, never prints a traceback."""
    env = dict(os.environ if environ is None else environ)
    out = _Output(stdout if stdout is not None else sys.stdout, Scrubber())
    lang = detect_lang(_early_lang(argv), env)
    silent = "-S" in argv
    try:
        return _run(argv, _Context(out, env, cwd or Path.cwd(), lang))
    except SmailError as err:
        if not silent:
            out.line(format_error(err, lang))
        return int(err.code)
    except KeyboardInterrupt:
        if not silent:
            out.line(format_error(SmailError(ErrCode.UNKNOWN, "main.interrupted"), lang))
        return int(ErrCode.UNKNOWN)
    except MemoryError:
        if not silent:
            out.line(format_error(SmailError(ErrCode.MEMORY, ""), lang))
        return int(ErrCode.MEMORY)
    except Exception as exc:  # the last line of defence: a bug must still end in ERR-0016
        if env.get("PYSMAIL_TRACEBACK") == "1":
            import traceback

            out.line("".join(traceback.format_exception(exc)))
        if not silent:
            internal = SmailError(ErrCode.UNKNOWN, "main.internal", kind=type(exc).__name__)
            out.line(format_error(internal, lang))
        return int(ErrCode.UNKNOWN)


def _early_lang(argv: Sequence[str]) -> str | None:
    """`--lang` before parsing, so that parse errors are already in the chosen language."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    return None


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

    recipients = _recipients(settings)
    spec = _message_spec(settings, recipients, cwd)
    if settings.info:
        from pysmail.cli.info import info_block

        oauth_file = None
        if settings.auth.enabled and settings.auth.token_from_file:
            oauth_file = _token_file(settings, env, cwd)
        out.line(info_block(settings, spec, recipients, lang, oauth_file))
    if settings.dry_run:
        _write_message(out, spec)
        return int(ErrCode.OK)

    trace = None
    if settings.debug:
        from pysmail.smtp.trace import Trace

        trace = Trace(out.line, out.scrubber)
    auth, source = _auth_request(settings, ctx, trace)
    if settings.pop is not None:
        _pop_before_smtp(settings, settings.pop, trace, ctx, source)
    _send(settings, spec, recipients, trace, auth, source)
    return int(ErrCode.OK)


def _home(env: Mapping[str, str]) -> Path | None:
    """The home folder of the given environment (not necessarily this process's own)."""
    return Path(env["HOME"]) if env.get("HOME") else None


def _settings(cmd: CommandLine, env: Mapping[str, str], cwd: Path) -> Settings:
    from pysmail.config.ini import read_ini
    from pysmail.config.merge import merge
    from pysmail.config.paths import find_config

    path = find_config(cmd.config, env, cwd, home=_home(env))
    return merge(cmd, read_ini(path) if path is not None else None)


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


def _read_text(path: str, cwd: Path, encoding: str | None, code: ErrCode, msgid: str) -> str:
    from pysmail.mime.bodyfile import decode_text

    full = cwd / path
    try:
        data = full.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(code, msgid, path=path, reason=reason) from exc
    return decode_text(data, encoding, source=path)


def _message_spec(settings: Settings, recipients: Recipients, cwd: Path) -> MessageSpec:
    from pysmail.mime.addresses import parse_address
    from pysmail.mime.compose import MessageSpec
    from pysmail.mime.parts import check_attachments

    msg = settings.message
    if msg.sender is None:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    sender = parse_address(msg.sender, code=ErrCode.OPTION)
    if msg.body_text is not None:  # -T wins over -F (SMAIL)
        body: str | None = msg.body_text
    elif msg.body_file is not None:
        body = _read_text(
            msg.body_file, cwd, msg.body_encoding, ErrCode.BODY_FILE, "main.body_file_missing"
        )
    else:
        body = None
    html = None
    if msg.html_file is not None:
        html = _read_text(
            msg.html_file, cwd, msg.body_encoding, ErrCode.BODY_FILE, "main.html_file_missing"
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


def _write_message(out: _Output, spec: MessageSpec) -> None:
    """--dry-run: the message exactly as it would be sent (bytes, when the stream has a buffer)."""
    from pysmail.mime.compose import compose

    stream = out.stream
    buffer = getattr(stream, "buffer", None)
    try:
        for chunk in compose(spec):
            if buffer is not None:
                buffer.write(chunk)
            else:
                stream.write(chunk.decode("utf-8", "replace"))
        stream.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): its choice, not an error
        out.broken = True
        _silence(stream)


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
    from pysmail.sasl import AuthRequest

    auth = settings.auth
    if not auth.enabled:
        return None, None
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


def _tls_params(settings: Settings) -> tuple[str | None, bool]:
    server = settings.server
    return (str(server.cafile) if server.cafile else None), server.tls_verify


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

    from pysmail.pop3.before_smtp import PopParams, pop_before_smtp

    cafile, verify = _tls_params(settings)
    params = PopParams(pop.host, pop.port, pop.tls.value, cafile, verify, pop.timeout, pop.proxy)
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


def _send(
    settings: Settings,
    spec: MessageSpec,
    recipients: Recipients,
    trace: Trace | None,
    auth: AuthRequest | None,
    source: TokenSource | None,
) -> None:
    """Send once; when the server refuses an OAuth token (401-style), refresh once and resend."""
    from pysmail.errors import AuthError
    from pysmail.mime.compose import compose, needs_smtputf8
    from pysmail.smtp.session import SmtpParams, send

    server = settings.server
    cafile, verify = _tls_params(settings)
    params = SmtpParams(
        server.host,
        server.port,
        server.tls.value,
        cafile,
        verify,
        server.timeout,
        server.helo,
        server.proxy,
    )

    def attempt() -> None:
        send(
            params,
            spec.from_.wire_addr,
            recipients.envelope(),
            compose(spec),  # a fresh stream per attempt: the previous one is used up
            auth=auth,
            trace=trace,
            smtputf8=needs_smtputf8(spec) or recipients.needs_smtputf8,
        )

    try:
        attempt()
    except AuthError as err:
        if source is None:
            raise
        if not source.retryable(err):
            raise source.explain(err) from err
        source.invalidate()
        try:
            attempt()
        except AuthError as again:
            raise source.explain(again) from again
