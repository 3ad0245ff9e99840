"""The `-i` information block (SMAIL's `#設定ファイル : [...]` lines), built from values only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pysmail import __version__
from pysmail.messages import Lang, text

if TYPE_CHECKING:
    from pysmail.config.model import Settings
    from pysmail.mime.addresses import Address, Recipients
    from pysmail.mime.compose import MessageSpec

__all__ = ["info_block"]


def _addresses(addresses: tuple[Address, ...], lang: Lang) -> str:
    if not addresses:
        return text("info.none", lang)
    return ", ".join(a.wire_addr for a in addresses)


def _token_user(path: Path) -> str | None:
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
    oauth_file: Path | None = None,
) -> str:
    """Every setting that decides how this message goes out; never a secret.

    `oauth_file`: the smail_refreshtoken.ini in use, when the token comes from one.
    """
    from pysmail.config.model import AuthMode, TlsMode
    from pysmail.mime.compose import resolve_charset
    from pysmail.mime.parts import text_body

    def yes_no(flag: bool) -> str:
        return text("info.used" if flag else "info.not_used", lang)

    server, auth, msg = settings.server, settings.auth, settings.message
    none = text("info.none", lang)
    if not auth.enabled:
        auth_value = yes_no(False)
    elif auth.mode is AuthMode.AUTO:
        auth_value = text("info.auth_auto", lang)
    else:
        auth_value = text("info.auth_mech", lang, mechanism=auth.mode.sasl_name)
    if not server.tls_verify:
        verify = text("info.verify_off", lang)
    elif server.cafile:
        verify = text("info.verify_cafile", lang, path=server.cafile)
    else:
        verify = text("info.verify_system", lang)
    pop = settings.pop
    pop_value = f"{yes_no(True)} ({pop.host}:{pop.port}, {pop.tls})" if pop else yes_no(False)
    charset = resolve_charset(spec)
    encoding = text_body(spec.text or "", charset)[0]
    rows: list[tuple[str, object]] = [
        ("info.config", f"[{settings.config_path}]" if settings.config_path else none),
        ("info.pop", pop_value),
        ("info.apop", yes_no(bool(pop and pop.apop))),
        ("info.auth", auth_value),
    ]
    if oauth_file is not None:
        rows.append(("info.oauth_file", f"[{oauth_file}]"))
        rows.append(("info.api_account", f"[{_token_user(oauth_file) or none}]"))
    rows += [
        ("info.account", auth.user or none),
        ("info.smtps", yes_no(server.tls is TlsMode.SMTPS)),
        ("info.starttls", yes_no(server.tls is TlsMode.STARTTLS)),
        ("info.verify", verify),
        ("info.body_file", msg.body_file if msg.body_text is None and msg.body_file else none),
        ("info.attachments", ", ".join(msg.attachments) or none),
        ("info.server", f"{server.host}:{server.port}"),
        ("info.proxy", server.proxy.shown if server.proxy else none),
        ("info.from", spec.from_.wire_addr),
        ("info.to", _addresses(recipients.to, lang)),
        ("info.cc", _addresses(recipients.cc, lang)),
        ("info.bcc", _addresses(recipients.bcc, lang)),
        ("info.subject", spec.subject),
        ("info.charset", charset.upper()),
        ("info.encoding", encoding),
    ]
    lines = [text("info.header", lang, version=__version__)]
    lines += [text(msgid, lang, value=value) for msgid, value in rows]
    return "\n".join(lines)
