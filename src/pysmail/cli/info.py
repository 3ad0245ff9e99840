"""The `-i` information block (SMAIL's `#設定ファイル : [...]` lines), built from values only."""

from __future__ import annotations

from pysmail import __version__
from pysmail.messages import Lang, text

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import AuthSettings, ServerSettings, Settings
    from pysmail.mime.addresses import Address, Recipients
    from pysmail.mime.compose import MessageSpec

__all__ = ["info_block"]


def _addresses(addresses: tuple[Address, ...], lang: Lang) -> str:
    if not addresses:
        return text("info.none", lang)
    return ", ".join(a.wire_addr for a in addresses)


def _token_user(path: str) -> str | None:
    """UserID= of the token file, for the "API account" line; None when it cannot be read."""
    from pysmail.errors import SmailError
    from pysmail.oauth.tokenfile import read_token_file

    try:
        return read_token_file(path).user
    except SmailError:
        return None  # the send itself reports why, with ERR-0028


def info_block(
    settings: Settings,
    spec: MessageSpec,
    recipients: Recipients,
    lang: Lang,
    oauth_file: str | None = None,
) -> str:
    """Every setting that decides how this message goes out; never a secret.

    `oauth_file`: the smail_refreshtoken.ini in use, when the token comes from one.
    """
    none = text("info.none", lang)
    rows = _account_rows(settings, lang, oauth_file, none)
    rows += _server_rows(settings, lang, none)
    rows += _message_rows(settings, spec, recipients, lang, none)
    lines = [text("info.header", lang, version=__version__)]
    lines += [text(msgid, lang, value=value) for msgid, value in rows]
    return "\n".join(lines)


def _yes_no(flag: bool, lang: Lang) -> str:
    return text("info.used" if flag else "info.not_used", lang)


def _auth_value(auth: AuthSettings, lang: Lang) -> str:
    from pysmail.config.model import AuthMode

    if not auth.enabled:
        return _yes_no(False, lang)
    if auth.mode is AuthMode.AUTO:
        return text("info.auth_auto", lang)
    return text("info.auth_mech", lang, mechanism=auth.mode.sasl_name)


def _verify_value(server: ServerSettings, lang: Lang) -> str:
    if not server.tls_verify:
        return text("info.verify_off", lang)
    if server.cafile:
        return text("info.verify_cafile", lang, path=server.cafile)
    return text("info.verify_system", lang)


def _account_rows(
    settings: Settings, lang: Lang, oauth_file: str | None, none: str
) -> list[tuple[str, object]]:
    """smail.ini, POP before SMTP, the authentication and its account."""
    pop = settings.pop
    pop_value = (
        f"{_yes_no(True, lang)} ({pop.host}:{pop.port}, {pop.tls})" if pop else _yes_no(False, lang)
    )
    rows: list[tuple[str, object]] = [
        ("info.config", f"[{settings.config_path}]" if settings.config_path else none),
        *([("info.settings_account", f"[{settings.account}]")] if settings.account else []),
        ("info.pop", pop_value),
        ("info.apop", _yes_no(bool(pop and pop.apop), lang)),
        ("info.auth", _auth_value(settings.auth, lang)),
    ]
    if oauth_file is not None:
        rows.append(("info.oauth_file", f"[{oauth_file}]"))
        rows.append(("info.api_account", f"[{_token_user(oauth_file) or none}]"))
    rows.append(("info.account", settings.auth.user or none))
    return rows


def _server_rows(settings: Settings, lang: Lang, none: str) -> list[tuple[str, object]]:
    """TLS, the certificate check, the files sent (body, attachments), the server, the proxy."""
    from pysmail.config.model import TlsMode

    server, msg = settings.server, settings.message
    return [
        ("info.smtps", _yes_no(server.tls is TlsMode.SMTPS, lang)),
        ("info.starttls", _yes_no(server.tls is TlsMode.STARTTLS, lang)),
        ("info.verify", _verify_value(server, lang)),
        ("info.body_file", msg.body_file if msg.body_text is None and msg.body_file else none),
        ("info.attachments", ", ".join(msg.attachments) or none),
        ("info.server", f"{server.host}:{server.port}"),
        ("info.proxy", server.proxy.shown if server.proxy else none),
    ]


def _message_rows(
    settings: Settings, spec: MessageSpec, recipients: Recipients, lang: Lang, none: str
) -> list[tuple[str, object]]:
    """The sender, the recipients, the subject, the charset and the body's encoding."""
    from pysmail.mime.compose import resolve_charset
    from pysmail.mime.parts import text_body

    charset = resolve_charset(spec)
    return [
        ("info.from", spec.from_.wire_addr),
        ("info.to", _addresses(recipients.to, lang)),
        ("info.cc", _addresses(recipients.cc, lang)),
        ("info.bcc", _addresses(recipients.bcc, lang)),
        ("info.subject", spec.subject),
        ("info.charset", charset.upper()),
        ("info.encoding", text_body(spec.text or "", charset)[0]),
    ]
