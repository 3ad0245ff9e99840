"""The `smail-token` command: login, status, check, revoke/logout, access-token.

Like smail's main: one try block turns every error into `ERR-xxxx` + the fix (on stderr here, so
that `access-token` output stays clean) and the exit code; every line shown passes through one
Scrubber that knows the client secret and every token seen. Exit codes: 0 OK, 0017 bad command
line, 0028 any token or login failure, the SMTP codes (0008, 0023-0026, 0029...) for `check`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from pysmail.cli.output import Output
from pysmail.errors import AuthError, OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, detect_lang, format_error, text
from pysmail.redact import Scrubber

if TYPE_CHECKING:
    from pysmail.oauth.app_only import CertificateFacts
    from pysmail.oauth.http import HttpPort
    from pysmail.oauth.tokenfile import TokenFile

__all__ = ["main", "run"]

_CODE = ErrCode.NO_ACCESS_TOKEN


@dataclass
class _Ctx:
    out: Output
    err: Output
    env: Mapping[str, str]
    cwd: Path
    lang: Lang
    stdin: TextIO | None
    interactive: bool
    browser: Callable[[str], bool] | None
    http: HttpPort | None

    def text(self, msgid: str, **params: object) -> str:
        return text(msgid, self.lang, **params)


def run() -> NoReturn:
    """Console-script entry point."""
    from pysmail.cli.guard import console_run

    console_run(main)


def main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    interactive: bool | None = None,
    browser: Callable[[str], bool] | None = None,
    http: HttpPort | None = None,
) -> int:
    """Run smail-token with `argv`; return the exit code. Never raises, never a traceback.

    `interactive` None: prompts only when stdin is a terminal. `browser` None: `webbrowser`.
    """
    from pysmail.cli.guard import early_lang, guarded

    env = dict(os.environ if environ is None else environ)
    scrubber = Scrubber()
    out = Output(stdout if stdout is not None else sys.stdout, scrubber)
    err = Output(stderr if stderr is not None else sys.stderr, scrubber)
    lang = detect_lang(early_lang(argv), env)
    source = stdin if stdin is not None else sys.stdin
    if interactive is None:
        try:
            interactive = stdin is None and sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, ValueError):
            interactive = False
    ctx = _Ctx(out, err, env, cwd or Path.cwd(), lang, source, interactive, browser, http)
    return guarded(lambda: _run(argv, ctx), say=err.line, lang=lang, env=env)


def _run(argv: Sequence[str], ctx: _Ctx) -> int:
    from pysmail.cli.token_args import parse_args

    opts = parse_args(argv)
    command = {
        "login": _login,
        "status": _status,
        "check": _check,
        "revoke": _revoke,
        "logout": _revoke,
        "access-token": _access_token,
        "setup": _setup,
    }[opts.command]
    command(opts, ctx)
    return int(ErrCode.OK)


# -- files ------------------------------------------------------------------------------------


def default_token_file(env: Mapping[str, str], cwd: Path, *, for_write: bool) -> Path:
    """Where smail looks: smail.ini's oauth_token_file, else beside smail.ini; else the current
    folder (where SmailRefreshToken writes it); else the user's settings folder."""
    from pysmail.config.ini import read_ini
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME
    from pysmail.config.paths import find_config, user_config_dir

    home = Path(env["HOME"]) if env.get("HOME") else None
    try:
        ini_path = find_config(None, env, cwd, home=home)
        ini = read_ini(ini_path) if ini_path is not None else None
    except SmailError:
        ini_path, ini = None, None
    if ini is not None and ini.oauth_token_file is not None:
        return ini.oauth_token_file
    if ini_path is not None:
        return ini_path.parent / OAUTH_TOKEN_FILE_NAME
    here = cwd / OAUTH_TOKEN_FILE_NAME
    if for_write or here.is_file():
        return here
    return user_config_dir(env, home=home) / OAUTH_TOKEN_FILE_NAME


def _path(given: str | None, ctx: _Ctx, *, for_write: bool = False) -> Path:
    if given:
        return ctx.cwd / given
    return default_token_file(ctx.env, ctx.cwd, for_write=for_write)


def _load(path: Path, scrubber: Scrubber, *, resolve: bool = True) -> TokenFile:
    """The token file; an app-only one (Grant=client_credentials) needs no RefreshToken.
    resolve: a `RefreshToken=keyring:<account>` is replaced by the keyring's token (keyref)."""
    from pysmail.oauth.keyref import resolve as resolve_reference
    from pysmail.oauth.tokenfile import load_token_file, require_keys

    # the sending path's checks: trust, privacy, ClientID and (unless app-only) RefreshToken
    doc = require_keys(load_token_file(path))
    if resolve:
        doc = resolve_reference(doc)
    for secret in doc.secrets():
        scrubber.add(secret)
    return doc


def _app_only(doc: TokenFile) -> bool:
    return (doc.get("Grant") or "").lower() == "client_credentials"


def _http(ctx: _Ctx, doc: TokenFile | None = None, **kw: str | None) -> HttpPort:
    if ctx.http is not None:
        return ctx.http
    from pysmail.oauth.http import UrllibPort

    proxy = kw.get("proxy") or (doc.get("Proxy") if doc else None)
    cafile = kw.get("cafile") or (doc.get("CAFile") if doc else None)
    return UrllibPort(proxy=proxy, cafile=cafile)


def _stamp(when: float | None, ctx: _Ctx) -> str:
    import datetime as dt

    if when is None:
        return ctx.text("token.unknown")
    return dt.datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


# -- login ------------------------------------------------------------------------------------


def _pasted_reader(stream: TextIO | None) -> Callable[[], str | None] | None:
    """A non-blocking view of lines pasted on stdin (a daemon thread reads them)."""
    if stream is None:
        return None
    import queue
    import threading

    lines: queue.Queue[str] = queue.Queue()

    def reader() -> None:
        try:
            for line in stream:
                if "code=" in line or "error=" in line:
                    lines.put(line.strip())
        except (OSError, ValueError):
            pass

    threading.Thread(target=reader, daemon=True).start()

    def poll() -> str | None:
        try:
            return lines.get_nowait()
        except queue.Empty:
            return None

    return poll


def _open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except Exception:  # noqa: BLE001 - no browser is a normal case (SSH, no display)
        return False


def _login(opts: argparse.Namespace, ctx: _Ctx) -> None:
    import getpass

    from pysmail.oauth.login import Console, run_login

    def ask(prompt: str) -> str:
        ctx.err.prompt(prompt)
        return ctx.stdin.readline() if ctx.stdin is not None else ""

    def ask_secret(prompt: str) -> str:
        return getpass.getpass(prompt, stream=ctx.err.stream)

    console = Console(
        say=ctx.out.line,
        text=ctx.text,
        scrubber=ctx.out.scrubber,
        ask=ask if ctx.interactive else None,
        ask_secret=ask_secret if ctx.interactive else None,
        open_browser=ctx.browser or _open_browser,
        pasted=_pasted_reader(ctx.stdin),
        language=ctx.lang,
    )
    path = _path(opts.file, ctx, for_write=True)
    http = _http(ctx, None, proxy=opts.proxy, cafile=opts.cafile)
    run_login(opts, path, console, http, ctx.env, ctx.cwd)


# -- status -----------------------------------------------------------------------------------


def _introspect(doc: TokenFile, ctx: _Ctx) -> bool | None:
    """Whether the provider says the refresh token is active (RFC 7662), None when it cannot
    be asked (no Issuer, no introspection endpoint, a failure)."""
    from pysmail.oauth.introspect import Opaque, ask

    if not doc.refresh_token:
        return None
    answer = ask(doc.refresh_token, "refresh_token", doc, _http(ctx, doc))
    if isinstance(answer, Opaque):
        return None
    return answer[1].get("active") is True


def _status(opts: argparse.Namespace, ctx: _Ctx) -> None:
    from pysmail.oauth.health import DAY, token_status
    from pysmail.oauth.store import read_cache

    paths = [ctx.cwd / f for f in opts.file] if opts.file else [_path(None, ctx)]
    now = time.time()
    for number, path in enumerate(paths):
        doc = _load(path, ctx.out.scrubber, resolve=False)
        where, doc = _keyring_place(doc, ctx)
        st = token_status(doc, read_cache(path), now)
        if st.access_expires is None:
            access = ctx.text("token.access_none")
        elif st.access_expires > now:
            minutes = int((st.access_expires - now) // 60)
            access = ctx.text(
                "token.access_valid", when=_stamp(st.access_expires, ctx), minutes=minutes
            )
        else:
            access = ctx.text("token.access_expired", when=_stamp(st.access_expires, ctx))
        if st.grant == "client_credentials":
            refresh = ctx.text("token.refresh_none")
        elif st.issued is None:
            refresh = ctx.text("token.refresh_unknown", last=_stamp(st.last_used, ctx))
        else:
            days = f"{(now - st.issued) / DAY:.1f}"
            refresh = ctx.text(
                "token.refresh_age", when=_stamp(st.issued, ctx), days=days,
                last=_stamp(st.last_used, ctx),
            )  # fmt: skip
        if where:
            refresh = where + refresh
        if not opts.offline and st.grant != "client_credentials":
            active = _introspect(doc, ctx)
            if active is not None:
                refresh += ctx.text("token.active_yes" if active else "token.active_no")
        rule = ctx.text(st.rule)
        cert_line: str | None = None
        if st.grant == "client_credentials" and doc.get("CertificateFile"):
            dies, cert_line = _certificate_status(doc, ctx, now)
            rule = ctx.text("token.rule_app_only_cert")
        elif st.grant == "client_credentials":
            dies = ctx.text("token.never")
        elif st.dies_by is None:
            dies = ctx.text("token.unknown")
        elif st.warn:
            dies = ctx.text("token.dies_soon", when=_stamp(st.dies_by, ctx))
        else:
            dies = _stamp(st.dies_by, ctx)
        if number:
            ctx.out.line("")
        ctx.out.line(
            ctx.text(
                "token.status_block",
                path=path,
                provider=st.provider,
                user=st.user or "-",
                client=st.client_id,
                grant=st.grant,
                scopes=st.scopes,
                access=access,
                refresh=refresh,
                dies=dies,
                rule=rule,
            )  # fmt: skip
        )
        if cert_line is not None:
            ctx.out.line(cert_line)


def _certificate_status(doc: TokenFile, ctx: _Ctx, now: float) -> tuple[str, str]:
    """(dies by, the `certificate:` line) of an app-only file with a certificate: its
    thumbprint and expiry, read from the CERTIFICATE block only (never the key)."""
    from pysmail.oauth.app_only import certificate_facts, certificate_paths
    from pysmail.oauth.health import DAY, WARN_DAYS

    facts: CertificateFacts | None = None
    try:
        paths = certificate_paths(doc)
        assert paths is not None
        facts = certificate_facts(paths[0])
    except OAuthError as exc:
        problem = format_error(exc, ctx.lang)
        return ctx.text("token.unknown"), ctx.text("token.status_certificate_broken",
                                                   problem=problem)  # fmt: skip
    if facts.not_after is None:
        dies = ctx.text("token.certificate_expiry_unknown")
    elif facts.not_after - now < WARN_DAYS * DAY:
        dies = ctx.text("token.certificate_dies_soon", when=_stamp(facts.not_after, ctx))
    else:
        dies = _stamp(facts.not_after, ctx)
    if facts.not_after is None:
        until, days = ctx.text("token.unknown"), "-"
    else:
        until, days = _stamp(facts.not_after, ctx), f"{(facts.not_after - now) / DAY:.0f}"
    line = ctx.text(
        "token.status_certificate", path=facts.path, thumbprint=facts.thumbprint, dies=until,
        days=days,
    )  # fmt: skip
    return dies, line


def _keyring_place(doc: TokenFile, ctx: _Ctx) -> tuple[str, TokenFile]:
    """("in the OS keyring (<account>); ", the resolved file) for a keyring reference; when the
    entry cannot be read, that says why and the file stays unresolved. ("", doc) otherwise."""
    from pysmail.oauth.keyref import reference_account, resolve

    account = reference_account(doc.get("RefreshToken"))
    if account is None:
        return "", doc
    try:
        doc = resolve(doc)
    except OAuthError as exc:
        problem = format_error(exc, ctx.lang)
        return ctx.text("token.refresh_keyring_broken", account=account, problem=problem), doc
    ctx.out.scrubber.add(doc.refresh_token)
    return ctx.text("token.refresh_keyring", account=account), doc


# -- tokens for check and access-token ----------------------------------------------------------


class _AppOnlySource:
    """A client-credentials token per need (app-only files); same shape as TokenSource."""

    def __init__(self, doc: TokenFile, http: HttpPort, scrubber: Scrubber) -> None:
        self.doc, self.http, self.scrubber = doc, http, scrubber
        self.user = doc.user
        self.token: str | None = None
        self.expires_at: float | None = None

    def __call__(self) -> str:
        from pysmail.oauth.app_only import app_only_request, explain_refusal
        from pysmail.oauth.exchange import post_grant
        from pysmail.oauth.flow import TokenResponse, choose_auth_method
        from pysmail.oauth.providers import resolve

        if self.token is not None:
            return self.token
        doc = self.doc
        resolved = resolve(doc)
        if not resolved.token_uri or not (doc.client_secret or doc.get("CertificateFile")):
            key = "TokenURI" if not resolved.token_uri else "ClientSecret"
            raise OAuthError(_CODE, "oauth.token_file_incomplete", path=doc.path, key=key)
        method = choose_auth_method(resolved.auth_method, None, True)
        # the ClientSecret, or a client assertion signed with CertificateFile's key
        request = app_only_request(
            doc, resolved.token_uri, method, doc.get("Scope"), learn=self.scrubber.add
        )
        started = time.time()
        try:
            answer = post_grant(
                self.http, request, preset=resolved.preset.key, path=doc.path,
                timeout=doc.timeout,
            )  # fmt: skip
        except OAuthError as err:
            raise explain_refusal(err, doc) from err
        assert isinstance(answer, TokenResponse)
        self.scrubber.add(answer.access_token)
        self.token = answer.access_token
        if answer.expires_in is not None:
            self.expires_at = started + answer.expires_in
        return self.token


def _expiry(path: Path, source: object) -> float | None:
    from pysmail.oauth.store import read_cache

    if isinstance(source, _AppOnlySource):
        return source.expires_at
    cache = read_cache(path)
    return cache.expires_at if cache is not None else None


# -- check ------------------------------------------------------------------------------------


def _smtp_params(opts: argparse.Namespace, ctx: _Ctx, doc: TokenFile) -> tuple[object, str, str]:
    """(SmtpParams, user, mechanism) from smail.ini (found as smail finds it) and overrides."""
    from pysmail.cli.smail_args import CommandLine
    from pysmail.config.ini import read_ini
    from pysmail.config.merge import merge
    from pysmail.config.model import TlsMode
    from pysmail.config.paths import find_config
    from pysmail.errors import UsageError

    home = Path(ctx.env["HOME"]) if ctx.env.get("HOME") else None
    config = str(ctx.cwd / opts.config) if opts.config else None
    ini_path = find_config(config, ctx.env, ctx.cwd, home=home)
    ini = read_ini(ini_path, explicit=config is not None) if ini_path is not None else None
    cmd = CommandLine(
        host=opts.server,
        port=opts.port,
        tls=TlsMode(opts.tls) if opts.tls else None,
        cafile=opts.cafile,
        recipients=("check@invalid",),  # merge wants one; nothing is sent
    )
    try:
        settings = merge(cmd, ini)
    except UsageError as exc:
        if exc.code is ErrCode.NO_SERVER:
            raise UsageError(ErrCode.NO_SERVER, "token.no_server") from exc
        raise
    from pysmail.config.params import smtp_params

    params = smtp_params(settings)  # the same mapping as smail's: TLS, CA file, proxy...
    user = settings.auth.user or doc.user
    mode = settings.auth.mode
    mechanism = mode.sasl_name if mode.is_bearer and mode.sasl_name else "auto"
    return params, user, mechanism


def _check(opts: argparse.Namespace, ctx: _Ctx) -> None:
    from pysmail.oauth.flow import describe_claims, jwt_claims
    from pysmail.oauth.health import authenticate_only
    from pysmail.oauth.provider import TokenSource
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.session import SmtpParams

    path = _path(opts.file, ctx)
    doc = _load(path, ctx.out.scrubber)
    trace = None
    if opts.debug:
        from pysmail.smtp.trace import Trace

        trace = Trace(ctx.out.line, ctx.out.scrubber)
    source: TokenSource | _AppOnlySource
    if _app_only(doc):
        source = _AppOnlySource(doc, _http(ctx, doc), ctx.out.scrubber)
    else:
        source = TokenSource(
            path, scrubber=ctx.out.scrubber, http=ctx.http,
            trace=trace.note if trace is not None else None,
        )  # fmt: skip
    token = source()
    user_shown = doc.user or "-"
    ctx.out.line(
        ctx.text("token.check_token_ok", user=user_shown, when=_stamp(_expiry(path, source), ctx))
    )
    ctx.out.line(_token_facts(token, doc, ctx))
    params, user, mechanism = _smtp_params(opts, ctx, doc)
    assert isinstance(params, SmtpParams)
    auth = AuthRequest(mechanism, user, token=source)
    try:
        authenticate_only(params, auth, trace)
    except AuthError as err:
        if isinstance(source, _AppOnlySource):
            claims = describe_claims(jwt_claims(source.token)) if source.token else "-"
            raise AuthError(
                err.code, "token.app_only_refused", reply=err.reply, host=params.host,
                user=user, claims=claims,
            ) from err  # fmt: skip
        if not source.retryable(err):
            raise source.explain(err) from err
        source.invalidate()
        try:
            authenticate_only(params, auth, trace)
        except AuthError as again:
            raise source.explain(again) from again
    shown_mech = mechanism if mechanism != "auto" else "XOAUTH2/OAUTHBEARER"
    ctx.out.line(
        ctx.text(
            "token.check_smtp_ok",
            host=params.host,
            port=params.port,
            tls=params.tls,
            mechanism=shown_mech,
            user=user,
        )  # fmt: skip
    )


def _token_facts(token: str, doc: TokenFile, ctx: _Ctx) -> str:
    """The line saying who the access token is for, its audience, scopes and expiry: from its
    JWT claims, else from the provider's introspection endpoint, else plainly that an opaque
    token cannot be read here, and why (pysmail.oauth.introspect)."""
    from pysmail.oauth.introspect import JWT, Opaque, describe

    facts = describe(token, doc, _http(ctx, doc))
    if isinstance(facts, Opaque):
        params = dict(facts.params)
        if facts.error is not None:
            err = facts.error
            params["reason"] = ctx.text(err.msgid, **err.params) if err.msgid else "-"
        return ctx.text("token.check_opaque", why=ctx.text(facts.msgid, **params))
    shown = {
        "user": facts.user or "-",
        "audience": facts.audience or "-",
        "scopes": facts.scopes or "-",
        "expires": _stamp(facts.expires, ctx),
    }
    if facts.origin == JWT:
        return ctx.text("token.check_facts_jwt", **shown)
    return ctx.text("token.check_facts_introspection", url=facts.where or "-", **shown)


# -- revoke / logout --------------------------------------------------------------------------


def _revocation_endpoint(doc: TokenFile, ctx: _Ctx) -> str | None:
    from pysmail.oauth.exchange import discover, endpoint
    from pysmail.oauth.providers import GOOGLE, resolve
    from pysmail.oauth.revoke import GOOGLE_REVOKE

    preset = resolve(doc).preset
    if preset is GOOGLE:
        return GOOGLE_REVOKE
    issuer = doc.get("Issuer")
    if issuer:
        return endpoint(discover(_http(ctx, doc), issuer, doc.timeout), "revocation_endpoint")
    return None


def _revoke(opts: argparse.Namespace, ctx: _Ctx) -> None:
    from pysmail.oauth.exchange import post
    from pysmail.oauth.flow import choose_auth_method, shown_url
    from pysmail.oauth.lock import FileLock
    from pysmail.oauth.providers import resolve
    from pysmail.oauth.revoke import revocation_request
    from pysmail.oauth.store import clear_cache, lock_path, read_cache

    path = _path(opts.file, ctx)
    doc = _load(path, ctx.out.scrubber, resolve=False)
    account = _keyring_account(doc)
    if not _app_only(doc):
        with FileLock(lock_path(path), timeout=3 * doc.timeout + 30):
            doc = _load(path, ctx.out.scrubber, resolve=False)  # the newest refresh token
            account = _keyring_account(doc)
            doc, usable = _resolved_for_revoke(doc, ctx, logout=opts.command == "logout")
            # not usable: logout of a file whose keyring entry is gone, nothing left to revoke
            url = _revocation_endpoint(doc, ctx) if usable else None
            if usable and url is None:
                ctx.out.line(ctx.text("token.no_revocation", provider=resolve(doc).preset.key))
            elif url is not None:
                method = choose_auth_method(resolve(doc).auth_method, None, bool(doc.client_secret))
                cache = read_cache(path)
                tokens = [("refresh_token", doc.refresh_token)]
                if cache is not None:
                    ctx.out.scrubber.add(cache.access_token)
                    tokens.append(("access_token", cache.access_token))
                for hint, token in tokens:
                    request = revocation_request(
                        url, token, hint, doc.client_id, doc.client_secret, method
                    )
                    result = post(_http(ctx, doc), request, doc.timeout)
                    if result.status != 200:
                        raise OAuthError(
                            _CODE, "token.revocation_failed", url=shown_url(url),
                            status=result.status,
                        )  # fmt: skip
                    ctx.out.line(ctx.text("token.revoked", what=hint, url=shown_url(url)))
            clear_cache(path)
    if opts.command == "logout":
        try:
            path.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OAuthError(
                _CODE, "oauth.token_file_write_failed", path=path, reason=reason
            ) from exc
        clear_cache(path)
        ctx.out.line(ctx.text("token.removed", path=path))
        if account:
            from pysmail.oauth.keyref import KEYRING_SERVICE, delete

            deleted = delete(account, path)
            what = "token.keyring_deleted" if deleted else "token.keyring_absent"
            ctx.out.line(ctx.text(what, service=KEYRING_SERVICE, account=account))


def _keyring_account(doc: TokenFile) -> str | None:
    from pysmail.oauth.keyref import reference_account

    return reference_account(doc.get("RefreshToken")) or None


def _resolved_for_revoke(doc: TokenFile, ctx: _Ctx, *, logout: bool) -> tuple[TokenFile, bool]:
    """(doc with the keyring's token, True); for `logout`, a missing entry is no error:
    (doc, False), and the file is removed all the same."""
    from pysmail.oauth.keyref import resolve

    try:
        doc = resolve(doc)
    except OAuthError as exc:
        if not logout or exc.msgid != "oauth.keyring_no_entry":
            raise
        return doc, False
    for secret in doc.secrets():
        ctx.out.scrubber.add(secret)
    return doc, True


# -- access-token -----------------------------------------------------------------------------


def sasl_blob(mechanism: str, user: str, token: str) -> str:
    """The base64 initial response of XOAUTH2 or OAUTHBEARER (RFC 7628, no host/port)."""
    import base64

    if mechanism == "xoauth2":
        raw = f"user={user}\x01auth=Bearer {token}\x01\x01"
    else:
        raw = f"n,a={user},\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def _access_token(opts: argparse.Namespace, ctx: _Ctx) -> None:
    """Print a fresh access token (through TokenSource: same cache, lock and rotation as smail).
    This output is the one place a token is shown on purpose: stdout only, for a program."""
    from pysmail.oauth.provider import TokenSource

    path = _path(opts.file, ctx)
    doc = _load(path, ctx.out.scrubber)
    source: TokenSource | _AppOnlySource
    if _app_only(doc):
        source = _AppOnlySource(doc, _http(ctx, doc), ctx.out.scrubber)
    else:
        source = TokenSource(path, scrubber=ctx.out.scrubber, http=ctx.http)
    token = source()
    value = token if not opts.sasl else sasl_blob(opts.sasl, opts.user or doc.user, token)
    ctx.out.secret_value(value)


# -- setup --------------------------------------------------------------------------------------


def _setup(opts: argparse.Namespace, ctx: _Ctx) -> None:
    """The local set-up page (pysmail.setup): serve it until Finish or the idle timeout."""
    from pysmail.setup.server import SetupServer

    with SetupServer(
        cwd=ctx.cwd, env=ctx.env, lang=ctx.lang, port=opts.port, idle=opts.idle * 60,
        http=ctx.http,
    ) as server:  # fmt: skip
        minutes = f"{opts.idle:g}"
        ctx.out.line(ctx.text("setup.listening", url=server.url, minutes=minutes))
        if server.port_note:
            ctx.out.line(server.port_note)
        if not opts.no_browser:
            try:  # the key in a private file, never on the browser's command line
                launcher = server.write_launcher().as_uri()
            except OSError:
                launcher = None  # no browser: the address printed above still works
            if launcher is not None:
                (ctx.browser or _open_browser)(launcher)
        reason = server.serve()
    if reason == "idle":
        ctx.out.line(ctx.text("setup.stopped_idle", minutes=minutes))
    else:
        ctx.out.line(ctx.text("setup.stopped_done"))
