"""Settings -> the connection parameters of pysmail.smtp and pysmail.pop3 (one mapping for every
command: smail, --batch, smail-token check)."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import PopSettings, Settings
    from pysmail.pop3.before_smtp import PopParams
    from pysmail.smtp.session import SmtpParams

__all__ = ["pop_params", "smtp_params"]


def smtp_params(settings: Settings) -> SmtpParams:
    """Where and how to reach the SMTP server (TLS, CA file, verification, proxy...)."""
    from pysmail.smtp.session import SmtpParams

    server = settings.server
    return SmtpParams(
        server.host,
        server.port,
        server.tls.value,
        str(server.cafile) if server.cafile else None,
        server.tls_verify,
        server.timeout,
        server.helo,
        server.proxy,
        server.chunking,
    )


def pop_params(settings: Settings, pop: PopSettings) -> PopParams:
    """Where and how to reach the POP3 server of POP before SMTP (the SMTP TLS trust)."""
    from pysmail.pop3.before_smtp import PopParams

    cafile = str(settings.server.cafile) if settings.server.cafile else None
    verify = settings.server.tls_verify
    return PopParams(pop.host, pop.port, pop.tls.value, cafile, verify, pop.timeout, pop.proxy)
