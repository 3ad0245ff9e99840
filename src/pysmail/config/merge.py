"""Layering: built-in defaults < smail.ini < command line, validated once, into Settings."""

from __future__ import annotations

from pysmail.config.model import (
    DEFAULT_TIMEOUT,
    MAX_TEXT_LENGTH,
    OAUTH_TOKEN_FILE_NAME,
    AuthMode,
    AuthSettings,
    Charset,
    IniSettings,
    MessageSettings,
    PopSettings,
    PopTls,
    ReliabilitySettings,
    ServerSettings,
    Settings,
    TlsMode,
    default_pop_port,
    default_port,
)
from pysmail.errors import ConfigError, Pop3Error, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import join, parent

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import TypeVar

    from pysmail.config.overrides import Overrides
    from pysmail.net.proxy import ProxySetting, ProxyUrl

__all__ = ["merge", "tls_for_port"]

if TYPE_CHECKING:
    _T = TypeVar("_T")


def _first(*values: _T | None) -> _T | None:
    """The first value that is set (not None and not an empty string)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def tls_for_port(port: int | None) -> TlsMode:
    """The TLS mode implied by a port when none is set: 465 SMTPS, 587 STARTTLS, else none."""
    return {465: TlsMode.SMTPS, 587: TlsMode.STARTTLS}.get(port or 0, TlsMode.NONE)


def merge(cmdline: Overrides, ini: IniSettings | None, *, need_recipient: bool = True) -> Settings:
    """The effective settings for one run (`need_recipient=False`: settings for messages that
    bring their own recipients, as the public API's Account).

    Raises:
        UsageError(ErrCode.TOO_LONG, "config.text_too_long"): -s or -T over max_text_length.
        UsageError(ErrCode.NO_SERVER, "config.no_server"): no -h and no server= (ERR-0012).
        UsageError(ErrCode.RECIPIENT, "config.no_recipient"): no recipient at all (ERR-0001).
        ConfigError(ErrCode.CONFIG, "config.auth_needs_user"): an AUTH mode that needs a user.
        Pop3Error(ErrCode.POP3_ACCOUNT, "config.pop_no_account"): POP before SMTP, no user.
    """
    ini = ini or IniSettings()
    limit = ini.max_text_length or MAX_TEXT_LENGTH
    _check_lengths(cmdline, limit)
    host = _first(cmdline.host, ini.server)
    if host is None:
        raise UsageError(ErrCode.NO_SERVER, "config.no_server")
    if need_recipient:
        _check_recipients(cmdline)
    server = _server(cmdline, ini, host)
    auth = _auth(cmdline, ini)
    return Settings(
        server=server,
        auth=auth,
        message=_message(cmdline.message, ini, auth.user),
        pop=_pop(ini, host, server.timeout, cmdline.proxy),
        config_path=ini.path,
        account=ini.account,
        max_text_length=limit,
        debug=cmdline.debug,
        info=cmdline.info,
        silent=cmdline.silent,
        dry_run=cmdline.dry_run,
        lang=cmdline.lang,
        unknown_keys=ini.unknown,
        reliability=ReliabilitySettings(
            queue=cmdline.queue or bool(ini.queue),
            retry=_first(cmdline.retry, ini.retry) or 0.0,
            outbox_dir=ini.outbox_dir,
            pacing=ini.pacing or "none",
            pacing_overrides=_pacing_overrides(ini),
        ),
    )


def _check_lengths(cmdline: Overrides, limit: int) -> None:
    """-s and -T within max_text_length."""
    for option, value in (("-s", cmdline.message.subject), ("-T", cmdline.message.body_text)):
        if value is not None and len(value) > limit:
            raise UsageError(
                ErrCode.TOO_LONG,
                "config.text_too_long",
                option=option,
                length=len(value),
                limit=limit,
            )


def _check_recipients(cmdline: Overrides) -> None:
    """A single send needs a recipient; --batch and --eml bring theirs, --flush sends what is
    queued."""
    given = cmdline.message
    recipients = (*given.recipients, *given.to, *given.cc, *given.bcc)
    if cmdline.mode.single and not any(r.strip() for r in recipients):
        raise UsageError(ErrCode.RECIPIENT, "config.no_recipient")


def _server(cmdline: Overrides, ini: IniSettings, host: str) -> ServerSettings:
    port = _first(cmdline.port, ini.port)
    tls = _first(cmdline.tls, ini.tls) or tls_for_port(port)
    return ServerSettings(
        host=host,
        port=port or default_port(tls),
        tls=tls,
        tls_verify=False if cmdline.insecure else ini.tls_verify is not False,
        cafile=join(cmdline.cafile) if cmdline.cafile else ini.cafile,
        helo=_first(cmdline.helo, ini.helo),
        timeout=_first(cmdline.timeout, ini.timeout) or DEFAULT_TIMEOUT,
        proxy=_proxy(cmdline.proxy, ini.proxy),
        chunking=not cmdline.no_chunking and ini.chunking is not False,
    )


def _message(given: MessageSettings, ini: IniSettings, user: str | None) -> MessageSettings:
    """The command line's message with smail.ini's sender, body_encoding and charset."""
    from pysmail.record import replace  # D8

    sender = _first(given.sender, ini.sender)
    if sender is None and user and "@" in user:
        sender = user  # SMAIL real uses send without -f: the SMTP account is the address
    return replace(
        given,
        sender=sender,
        body_encoding=_first(given.body_encoding, ini.body_encoding),
        charset=_first(given.charset, ini.charset) or Charset.AUTO,
    )


def _pacing_overrides(ini: IniSettings) -> tuple[tuple[str, int], ...]:
    """`pacing_per_minute` & co. as (config.limits.Limits field, value): the keys that are set."""
    given = (
        ("per_minute", ini.pacing_per_minute),
        ("per_day", ini.pacing_per_day),
        ("recipients_per_day", ini.pacing_recipients_per_day),
        ("recipients_per_message", ini.pacing_recipients_per_message),
    )
    return tuple((name, value) for name, value in given if value is not None)


def _auth(cmdline: Overrides, ini: IniSettings) -> AuthSettings:
    mode = _first(cmdline.auth, ini.auth) or AuthMode.AUTO
    user = _first(cmdline.user, ini.user)
    auth = AuthSettings(
        mode=mode,
        user=user,
        secret=ini.secret,
        allow_plaintext=cmdline.allow_plaintext_auth or bool(ini.allow_plaintext_auth),
        oauth_token_file=ini.oauth_token_file,
    )
    if auth.token_from_file:  # UserID= of the token file is the user
        if auth.oauth_token_file is None and ini.path is not None:
            from pysmail.record import replace  # D8

            # SMAIL keeps smail_refreshtoken.ini beside smail.ini
            auth = replace(auth, oauth_token_file=join(parent(ini.path), OAUTH_TOKEN_FILE_NAME))
    elif mode not in (AuthMode.NONE, AuthMode.AUTO) and user is None:
        raise ConfigError(ErrCode.CONFIG, "config.auth_needs_user", mode=mode.value)
    return auth


def _proxy(*layers: ProxySetting | None) -> ProxyUrl | None:
    """The first proxy setting that is given; "none" means no proxy. Never from HTTPS_PROXY:
    that variable is for web requests (docs/settings.md)."""
    for layer in layers:
        if layer is not None:
            return None if layer == "none" else layer
    return None


def _pop(
    ini: IniSettings, smtp_host: str, timeout: float, cmdline_proxy: ProxySetting | None = None
) -> PopSettings | None:
    pop = ini.pop
    if not pop.enabled:
        return None
    if not pop.user:
        raise Pop3Error(ErrCode.POP3_ACCOUNT, "config.pop_no_account")
    tls = pop.tls or PopTls.NONE
    return PopSettings(
        host=pop.server or smtp_host,
        port=pop.port or default_pop_port(tls),
        tls=tls,
        apop=bool(pop.apop),
        user=pop.user,
        secret=pop.secret,
        wait_ms=pop.wait_ms if pop.wait_ms is not None else 0,
        timeout=pop.timeout or timeout,
        # --proxy, then [pop_before_smtp] proxy, then [smail] proxy
        proxy=_proxy(cmdline_proxy, pop.proxy, ini.proxy),
    )
