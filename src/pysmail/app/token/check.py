"""`smail-token check`: refresh the token, connect and authenticate (no mail is sent); and
`access-token`, which prints a fresh token."""

from __future__ import annotations

from pysmail.app.token.files import app_only, http_port, load_token, stamp, token_path
from pysmail.app.token.source import AppOnlySource, expiry, sasl_blob
from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pathlib import Path

    from pysmail.app.token.context import TokenContext
    from pysmail.oauth.provider import TokenSource
    from pysmail.oauth.tokenfile import TokenFile
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import Trace

__all__ = ["SmtpTarget", "access_token", "check"]


@record
class SmtpTarget:
    """Where `check` authenticates: smail.ini (found as smail finds it, or --config) and the
    --server, --port, --tls and --cafile given over it."""

    config: str | None = None
    server: str | None = None
    port: int | None = None
    tls: str | None = None
    cafile: str | None = None


def _smtp_params(target: SmtpTarget, ctx: TokenContext, doc: TokenFile) -> tuple[object, str, str]:
    """(SmtpParams, user, mechanism) from smail.ini (found as smail finds it) and overrides."""
    from pysmail.app.settings import load_settings
    from pysmail.config.model import MessageSettings, TlsMode
    from pysmail.config.overrides import Overrides
    from pysmail.errors import UsageError

    config = str(ctx.cwd / target.config) if target.config else None
    given = Overrides(
        host=target.server,
        port=target.port,
        tls=TlsMode(target.tls) if target.tls else None,
        cafile=target.cafile,
        message=MessageSettings(recipients=("check@invalid",)),  # merge wants one; none is sent
    )
    try:
        settings = load_settings(given, config, ctx.env, ctx.cwd, ctx.account)
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


def check(file: str | None, target: SmtpTarget, ctx: TokenContext, *, debug: bool) -> None:
    """Refresh (or fetch) an access token, show what it is, and AUTH with it at the SMTP server."""
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.session import SmtpParams

    config = str(ctx.cwd / target.config) if target.config else None
    path = token_path(file, ctx, config=config)
    doc = load_token(path, ctx.out.scrubber)
    trace = _trace(ctx) if debug else None
    source = _token_source(path, doc, ctx, trace)
    token = source()
    user_shown = doc.user or "-"
    ctx.out.line(
        ctx.text("token.check_token_ok", user=user_shown, when=stamp(expiry(path, source), ctx))
    )
    ctx.out.line(_token_facts(token, doc, ctx))
    params, user, mechanism = _smtp_params(target, ctx, doc)
    assert isinstance(params, SmtpParams)
    _authenticate(params, AuthRequest(mechanism, user, token=source), source, trace)
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


def _trace(ctx: TokenContext) -> Trace:
    from pysmail.smtp.trace import Trace

    return Trace(ctx.out.line, ctx.out.scrubber)


def _token_source(
    path: Path, doc: TokenFile, ctx: TokenContext, trace: Trace | None = None
) -> TokenSource | AppOnlySource:
    """Where the access token comes from: the client credentials grant for an app-only file,
    else the refresh token (same cache, lock and rotation as smail)."""
    from pysmail.oauth.provider import TokenSource

    if app_only(doc):
        return AppOnlySource(doc, http_port(ctx, doc), ctx.out.scrubber)
    return TokenSource(
        path, scrubber=ctx.out.scrubber, http=ctx.http,
        trace=trace.note if trace is not None else None,
    )  # fmt: skip


def _authenticate(
    params: SmtpParams, auth: AuthRequest, source: TokenSource | AppOnlySource, trace: Trace | None
) -> None:
    """AUTH at the server; a refusal the token source may retry is tried once more with a new
    token, the others explained."""
    from pysmail.oauth.errors import explain_auth_failure
    from pysmail.oauth.health import authenticate_only

    try:
        authenticate_only(params, auth, trace)
    except AuthError as err:
        if isinstance(source, AppOnlySource):
            found = explain_auth_failure(err, user=auth.user, token=source.token, app_only=True)
            raise (found or err) from err
        if not source.retryable(err):
            raise source.explain(err) from err
        source.invalidate()
        try:
            authenticate_only(params, auth, trace)
        except AuthError as again:
            raise source.explain(again) from again


def _token_facts(token: str, doc: TokenFile, ctx: TokenContext) -> str:
    """The line saying who the access token is for, its audience, scopes and expiry: from its
    JWT claims, else from the provider's introspection endpoint, else plainly that an opaque
    token cannot be read here, and why (pysmail.oauth.introspect)."""
    from pysmail.oauth.introspect import JWT, Opaque, describe

    facts = describe(token, doc, http_port(ctx, doc))
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
        "expires": stamp(facts.expires, ctx),
    }
    if facts.origin == JWT:
        return ctx.text("token.check_facts_jwt", **shown)
    return ctx.text("token.check_facts_introspection", url=facts.where or "-", **shown)


def access_token(
    file: str | None, ctx: TokenContext, *, sasl: str | None, user: str | None
) -> None:
    """Print a fresh access token (through TokenSource: same cache, lock and rotation as smail).
    This output is the one place a token is shown on purpose: stdout only, for a program."""
    path = token_path(file, ctx)
    doc = load_token(path, ctx.out.scrubber)
    source = _token_source(path, doc, ctx)
    token = source()
    value = token if not sasl else sasl_blob(sasl, user or doc.user, token)
    ctx.out.secret_value(value)
