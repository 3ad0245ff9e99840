"""One exception tree for pysmail; every error knows its exit code and its catalogue message.

SmailError                      base; .code (ErrCode; .err_code its number), .msgid (catalogue
                                id), .params, .reply, and what a retry needs: .transient,
                                .scope (a Step), .smtp_code, .http_status (see SmailError)
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

from enum import StrEnum

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")
    D = TypeVar("D")

__all__ = [
    "AuthError",
    "ConfigError",
    "InputError",
    "NetworkError",
    "OAuthError",
    "REPLY_LOST_MSGID",
    "Pop3Error",
    "SmailError",
    "SmtpReplyError",
    "Step",
    "TEMPORARY_OAUTH_ERRORS",
    "UsageError",
    "enhanced_codes",
]


class Step(StrEnum):
    """Which step failed (an error's `scope`)."""

    LOCAL = "local"  # no server involved: the command line, input files, settings
    CONNECT = "connect"  # name lookup, TCP connect, the proxy
    TLS = "tls"  # TLS handshake, certificate, STARTTLS
    GREETING = "greeting"  # the server's banner, EHLO/HELO
    AUTH = "auth"  # SMTP AUTH
    MAIL = "mail"  # MAIL FROM (and RSET between messages)
    RCPT = "rcpt"  # RCPT TO
    DATA = "data"  # DATA/BDAT, and the server's answer to the message
    TRANSFER = "transfer"  # sending or receiving on an open SMTP connection
    TOKEN = "token"  # getting an OAuth access token (token endpoint, token file, its lock)
    POP3 = "pop3"  # POP before SMTP


class SmailError(Exception):
    """Base of every error pysmail reports.

    `msgid` names a detail message in pysmail.messages; `params` fill its placeholders.
    `reply` is the server's reply text, when a server said something.

    Set where the error is raised (delivery.retry.classify reads only these):
    `transient`: a later attempt may succeed. `scope`: the Step that failed.
    `smtp_code`: the SMTP reply code, when a server answered. `http_status`: the token
    endpoint's HTTP status, when it answered. A field left out is inferred from the code (and,
    for errors that older callers build without the fields, from the message id): see _infer.
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
        # The typed fields arrive as keywords beside the message's parameters (so that callers
        # passing **parameters keep type-checking); they never reach the message.
        transient, scope = params.pop("transient", None), params.pop("scope", None)
        smtp_code, http_status = params.pop("smtp_code", None), params.pop("http_status", None)
        self.params = params
        self.reply = reply
        self.kept: object = None  # a Path: where the unsent message's text was kept
        self.smtp_code: int | None = _optional(int, smtp_code, "smtp_code")
        self.http_status: int | None = _optional(int, http_status, "http_status")
        guess_transient, guess_scope = self._infer()
        self.transient: bool = _optional(bool, transient, "transient", guess_transient)
        self.scope: Step = _optional(Step, scope, "scope", guess_scope)
        super().__init__(code, msgid, params, reply)

    @property
    def err_code(self) -> int:
        """SMAIL's error number (the xxxx of `ERR-xxxx`, smail's exit code): the public API's
        name for `int(code)`."""
        return int(self.code)

    def _infer(self) -> tuple[bool, Step]:
        """(transient, scope) when the raise site did not say."""
        return self.code is ErrCode.TEMPORARY, Step.LOCAL

    def __str__(self) -> str:
        from pysmail.messages import format_error

        return format_error(self, "en")


def _optional(kind: type[T], value: object, name: str, default: D = None) -> T | D:  # type: ignore[assignment]
    """`value` when given (checked to be a `kind`), else `default`."""
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} must be {kind.__name__}, not {type(value).__name__}")
    return value


class UsageError(SmailError):
    """The command line is wrong."""


class InputError(SmailError):
    """A file named on the command line is missing, unreadable or undecodable."""


class ConfigError(SmailError):
    """smail.ini (or a secret it points to) is unusable."""


# Inferred steps by exit code, for a NetworkError raised without its fields.
_NETWORK_STEPS = {
    ErrCode.HOST_LOOKUP: Step.CONNECT,
    ErrCode.CONNECT: Step.CONNECT,
    ErrCode.SEND: Step.TRANSFER,
    ErrCode.RECEIVE: Step.TRANSFER,
    ErrCode.TLS: Step.TLS,
    ErrCode.STARTTLS: Step.TLS,
}
# TLS failures that a retry cannot fix: the certificate or the settings are wrong.
_PERMANENT_TLS = frozenset(
    {"smtp.tls_verify_failed", "smtp.tls_no_ca_store", "smtp.tls_cafile", "smtp.starttls_injection"}
)
# The id of a network failure after the whole message was handed over (retry.send_tracked).
REPLY_LOST_MSGID = "outbox.reply_lost"


class NetworkError(SmailError, ConnectionError):
    """Name lookup, connection, TLS or transfer failed."""

    def _infer(self) -> tuple[bool, Step]:
        step = _NETWORK_STEPS.get(self.code, Step.LOCAL)
        if self.msgid == REPLY_LOST_MSGID:
            return True, Step.DATA
        if self.code is ErrCode.STARTTLS:
            if self.smtp_code is None:
                self.smtp_code = _reply_code(self.reply)
            return self.smtp_code is not None and self.smtp_code // 100 == 4, step
        if self.code is ErrCode.TLS:
            return self.msgid not in _PERMANENT_TLS, step
        return step is not Step.LOCAL, step


def _reply_code(reply: str | None) -> int | None:
    """The reply code a masked reply text starts with (`454 4.7.0 ...` -> 454)."""
    head = (reply or "").lstrip()[:3]
    return int(head) if len(head) == 3 and head.isdigit() else None


class SmtpReplyError(SmailError):
    """The SMTP server refused a command; `smtp_code` is its reply code.

    `enhanced`: the RFC 3463 codes in the reply (`4.7.1`, ...), in order.
    """

    smtp_code: int

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
        self.enhanced = enhanced_codes(reply or "")
        super().__init__(code, msgid, reply=reply, smtp_code=smtp_code, **params)

    def _infer(self) -> tuple[bool, Step]:
        assert self.smtp_code is not None
        transient = self.smtp_code // 100 == 4 or self.code is ErrCode.TEMPORARY
        command = str(self.params.get("command", "")).upper()
        step = _REPLY_STEPS.get(self.msgid) or _COMMAND_STEPS.get(command, Step.DATA)
        return transient, step


_REPLY_STEPS = {
    "smtp.greeting_refused": Step.GREETING,
    "smtp.sender_refused": Step.MAIL,
    "smtp.recipient_refused": Step.RCPT,
    "smtp.message_refused": Step.DATA,
}
_COMMAND_STEPS = {
    "EHLO": Step.GREETING,
    "HELO": Step.GREETING,
    "MAIL": Step.MAIL,
    "RSET": Step.MAIL,
    "RCPT": Step.RCPT,
    "DATA": Step.DATA,
    "BDAT": Step.DATA,
}


def enhanced_codes(reply: str) -> tuple[str, ...]:
    """The RFC 3463 enhanced status codes in a reply text (`5.7.139`, ...), in order."""
    import re

    return tuple(re.findall(r"\b([245]\.\d{1,3}\.\d{1,3})\b", reply))


class AuthError(SmailError):
    """SMTP authentication failed or could not be attempted."""

    def _infer(self) -> tuple[bool, Step]:
        return self.code is ErrCode.TEMPORARY, Step.AUTH


class Pop3Error(SmailError):
    """POP before SMTP failed."""

    def _infer(self) -> tuple[bool, Step]:
        return self.code in (ErrCode.POP3_TIMEOUT, ErrCode.POP3_CONNECT), Step.POP3


class OAuthError(SmailError):
    """No access token could be had."""

    def _infer(self) -> tuple[bool, Step]:
        if self.http_status is None:
            self.http_status = _http_status(self.params)
        if self.msgid == "oauth.provider_error":
            return str(self.params.get("error", "")) in TEMPORARY_OAUTH_ERRORS, Step.TOKEN
        status = self.http_status
        if status is not None:
            return status >= 500 or status == 429, Step.TOKEN
        return self.msgid in _TEMPORARY_OAUTH, Step.TOKEN


_TEMPORARY_OAUTH = frozenset(
    {
        "oauth.http_timeout",
        "oauth.http_connect_failed",
        "oauth.http_proxy_failed",
        "oauth.lock_timeout",  # another process holds the refresh lock
    }
)
# RFC 6749 5.2 error codes (and RFC 8628's slow_down) that say "try again later".
TEMPORARY_OAUTH_ERRORS = frozenset({"server_error", "temporarily_unavailable", "slow_down"})


def _http_status(params: dict[str, object]) -> int | None:
    """The HTTP status of an OAuthError built without `http_status` (a `status` parameter, or
    the `HTTP nnn` reason of oauth.discovery_failed)."""
    status = params.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    reason = str(params.get("reason", ""))
    if reason.startswith("HTTP ") and reason[5:].isdigit():
        return int(reason[5:])
    return None
