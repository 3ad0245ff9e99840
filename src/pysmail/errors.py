"""One exception tree for pysmail; every error knows its exit code and its catalogue message.

SmailError                      base; .code (ErrCode), .msgid (catalogue id), .params, .reply
+-- UsageError                  command line: OPTION, TOO_LONG, RECIPIENT, NO_SERVER
+-- InputError                  files given by the user: BODY_FILE, ATTACHMENT, ENCODING
+-- ConfigError                 smail.ini and secrets: CONFIG, AUTH_UNAVAILABLE (no secret)
+-- NetworkError(ConnectionError)  HOST_LOOKUP, CONNECT, SEND, RECEIVE, TLS, STARTTLS
+-- SmtpReplyError              the server said no: HANDLING (5xx), TEMPORARY (4xx)
+-- AuthError                   AUTH_FAILED, AUTH_UNAVAILABLE
+-- Pop3Error                   POP3_TIMEOUT, POP3_CONNECT, POP3_ACCOUNT, POP3_LOGIN
+-- OAuthError                  NO_ACCESS_TOKEN

Messages never carry a secret: callers pass hosts, paths, reply text (already masked) only.
"""

from __future__ import annotations

from pysmail.exitcodes import ErrCode

__all__ = [
    "AuthError",
    "ConfigError",
    "InputError",
    "NetworkError",
    "OAuthError",
    "Pop3Error",
    "SmailError",
    "SmtpReplyError",
    "UsageError",
]


class SmailError(Exception):
    """Base of every error pysmail reports.

    `msgid` names a detail message in pysmail.messages; `params` fill its placeholders.
    `reply` is the server's reply text, when a server said something.
    """

    def __init__(
        self,
        code: ErrCode,
        msgid: str,
        /,
        *,
        reply: str | None = None,
        **params: object,
    ) -> None:
        self.code = code
        self.msgid = msgid
        self.params = params
        self.reply = reply
        self.kept: object = None  # a Path: where the unsent message's text was kept
        super().__init__(code, msgid, params, reply)

    def __str__(self) -> str:
        from pysmail.messages import format_error

        return format_error(self, "en")


class UsageError(SmailError):
    """The command line is wrong."""


class InputError(SmailError):
    """A file named on the command line is missing, unreadable or undecodable."""


class ConfigError(SmailError):
    """smail.ini (or a secret it points to) is unusable."""


class NetworkError(SmailError, ConnectionError):
    """Name lookup, connection, TLS or transfer failed."""


class SmtpReplyError(SmailError):
    """The SMTP server refused a command; `smtp_code` is its reply code."""

    def __init__(
        self,
        code: ErrCode,
        msgid: str,
        /,
        *,
        smtp_code: int,
        reply: str | None = None,
        **params: object,
    ) -> None:
        self.smtp_code = smtp_code
        super().__init__(code, msgid, reply=reply, **params)


class AuthError(SmailError):
    """SMTP authentication failed or could not be attempted."""


class Pop3Error(SmailError):
    """POP before SMTP failed."""


class OAuthError(SmailError):
    """No access token could be had."""
