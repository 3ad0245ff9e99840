"""`smail-token status`: what each token file holds and how long it lives (never a token)."""

from __future__ import annotations

import time

from pysmail.app.token.files import http_port, load_token, stamp, token_path
from pysmail.errors import OAuthError
from pysmail.messages import format_error

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pathlib import Path

    from pysmail.app.token.context import TokenContext
    from pysmail.oauth.certificate import CertificateFacts
    from pysmail.oauth.health import Status as TokenStatus
    from pysmail.oauth.tokenfile import TokenFile

__all__ = ["status"]


def _introspect(doc: TokenFile, ctx: TokenContext) -> bool | None:
    """Whether the provider says the refresh token is active (RFC 7662), None when it cannot
    be asked (no Issuer, no introspection endpoint, a failure)."""
    from pysmail.oauth.introspect import Opaque, ask

    if not doc.refresh_token:
        return None
    answer = ask(doc.refresh_token, "refresh_token", doc, http_port(ctx, doc))
    if isinstance(answer, Opaque):
        return None
    return answer[1].get("active") is True


def status(files: list[str] | None, ctx: TokenContext, *, offline: bool) -> None:
    """One block per token file: who, which client, the access token's and the refresh
    token's life, and the rule that ends it (the provider is asked unless `offline`)."""
    paths = [ctx.cwd / f for f in files] if files else [token_path(None, ctx)]
    now = time.time()
    for number, path in enumerate(paths):
        if number:
            ctx.out.line("")
        _show_file(path, ctx, now, offline=offline)


def _show_file(path: Path, ctx: TokenContext, now: float, *, offline: bool) -> None:
    """The status block of one token file (and its certificate line, if it has one)."""
    from pysmail.oauth.health import token_status
    from pysmail.oauth.store import read_cache

    doc = load_token(path, ctx.out.scrubber, resolve=False)
    where, doc = _keyring_place(doc, ctx)
    st = token_status(doc, read_cache(path), now)
    access = _access(st, ctx, now)
    refresh = where + _refresh(st, ctx, now)
    if not offline and st.grant != "client_credentials":
        refresh += _active(doc, ctx)
    dies, rule, cert_line = _end(st, doc, ctx, now)
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


def _active(doc: TokenFile, ctx: TokenContext) -> str:
    """What the provider says of the refresh token; nothing when it cannot be asked."""
    active = _introspect(doc, ctx)
    if active is None:
        return ""
    return ctx.text("token.active_yes" if active else "token.active_no")


def _access(st: TokenStatus, ctx: TokenContext, now: float) -> str:
    """The access token: none cached, valid until when (minutes left), or expired."""
    if st.access_expires is None:
        return ctx.text("token.access_none")
    if st.access_expires > now:
        minutes = int((st.access_expires - now) // 60)
        return ctx.text("token.access_valid", when=stamp(st.access_expires, ctx), minutes=minutes)
    return ctx.text("token.access_expired", when=stamp(st.access_expires, ctx))


def _refresh(st: TokenStatus, ctx: TokenContext, now: float) -> str:
    """The refresh token: none (app-only), of unknown age, or issued when (days ago)."""
    from pysmail.oauth.health import DAY

    if st.grant == "client_credentials":
        return ctx.text("token.refresh_none")
    if st.issued is None:
        return ctx.text("token.refresh_unknown", last=stamp(st.last_used, ctx))
    days = f"{(now - st.issued) / DAY:.1f}"
    return ctx.text(
        "token.refresh_age", when=stamp(st.issued, ctx), days=days,
        last=stamp(st.last_used, ctx),
    )  # fmt: skip


def _end(
    st: TokenStatus, doc: TokenFile, ctx: TokenContext, now: float
) -> tuple[str, str, str | None]:
    """(dies by, the rule, the `certificate:` line or None) of one file."""
    rule = ctx.text(st.rule)
    if st.grant == "client_credentials" and doc.get("CertificateFile"):
        dies, cert_line = _certificate_status(doc, ctx, now)
        return dies, ctx.text("token.rule_app_only_cert"), cert_line
    if st.grant == "client_credentials":
        return ctx.text("token.never"), rule, None
    if st.dies_by is None:
        return ctx.text("token.unknown"), rule, None
    if st.warn:
        return ctx.text("token.dies_soon", when=stamp(st.dies_by, ctx)), rule, None
    return stamp(st.dies_by, ctx), rule, None


def _certificate_status(doc: TokenFile, ctx: TokenContext, now: float) -> tuple[str, str]:
    """(dies by, the `certificate:` line) of an app-only file with a certificate: its
    thumbprint and expiry, read from the CERTIFICATE block only (never the key)."""
    from pysmail.oauth.app_only import certificate_paths
    from pysmail.oauth.certificate import certificate_facts
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
        dies = ctx.text("token.certificate_dies_soon", when=stamp(facts.not_after, ctx))
    else:
        dies = stamp(facts.not_after, ctx)
    if facts.not_after is None:
        until, days = ctx.text("token.unknown"), "-"
    else:
        until, days = stamp(facts.not_after, ctx), f"{(facts.not_after - now) / DAY:.0f}"
    line = ctx.text(
        "token.status_certificate", path=facts.path, thumbprint=facts.thumbprint, dies=until,
        days=days,
    )  # fmt: skip
    return dies, line


def _keyring_place(doc: TokenFile, ctx: TokenContext) -> tuple[str, TokenFile]:
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
