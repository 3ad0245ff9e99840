"""Logging in: the AUTH request and its token source, POP before SMTP, and the one SMTP transaction
that refreshes a refused OAuth token once."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Protocol

    from pysmail.app.context import Context
    from pysmail.config.model import PopSettings, SecretSources, Settings
    from pysmail.messages import Lang
    from pysmail.oauth.provider import TokenSource
    from pysmail.redact import Scrubber
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.trace import Trace

    class SendOne(Protocol):
        """One SMTP transaction (transaction_sender)."""

        def __call__(
            self,
            sender: str,
            recipients: Sequence[str],
            smtputf8: bool,
            chunks: Iterable[bytes],
            *,
            eight_bit: bool = False,
        ) -> object: ...


__all__ = ["auth_request", "pop_before_smtp", "transaction_sender"]


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


def auth_request(
    settings: Settings, ctx: Context, trace: Trace | None
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
        from pysmail.app.settings import token_file
        from pysmail.oauth.provider import TokenSource

        source = TokenSource(
            token_file(settings, ctx.env, ctx.cwd),
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


def pop_before_smtp(
    settings: Settings,
    pop: PopSettings,
    trace: Trace | None,
    ctx: Context,
    token: TokenSource | None,
) -> None:
    """POP before SMTP. With SMAIL's OAuth setting and no POP password source, the POP login
    uses the same access token (AUTH XOAUTH2; the seed asks for POP.AccessAsUser.All)."""
    import time

    from pysmail.config.params import pop_params
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


def transaction_sender(
    settings: Settings,
    trace: Trace | None,
    auth: AuthRequest | None,
    source: TokenSource | None,
) -> SendOne:
    """`send_one(sender, recipients, smtputf8, chunks, eight_bit=False)`: one SMTP transaction;
    when the server refuses an OAuth token (401-style), the token is refreshed once and the
    transaction tried again (AUTH fails before any of the message is read, so the same chunks
    serve). `eight_bit`: BODY=8BITMIME where offered (a finished message)."""
    from pysmail.config.params import smtp_params
    from pysmail.smtp.session import send

    params = smtp_params(settings)

    def send_one(
        sender: str,
        recipients: Sequence[str],
        smtputf8: bool,
        chunks: Iterable[bytes],
        *,
        eight_bit: bool = False,
    ) -> object:
        def attempt() -> object:
            return send(
                params, sender, recipients, chunks, auth=auth, trace=trace, smtputf8=smtputf8,
                eight_bit=eight_bit,
            )  # fmt: skip

        return attempt() if source is None else source.with_refresh(attempt)

    return send_one
