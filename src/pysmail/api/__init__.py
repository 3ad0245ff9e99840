"""pysmail's public Python API (docs/api.md): `import pysmail`, then `pysmail.send(...)`,
`pysmail.Mailer(account)`, `pysmail.Account`, `pysmail.Message`, `pysmail.Receipt` and the
exceptions. The names are exported lazily by pysmail/__init__.py; this package sits above app/
(docs/architecture.md): nothing below it imports it.
"""

from __future__ import annotations

from pysmail.api.account import Account
from pysmail.api.mailer import Mailer, send
from pysmail.api.message import Message, Receipt
from pysmail.errors import (
    AuthError,
    ConfigError,
    InputError,
    NetworkError,
    OAuthError,
    Pop3Error,
    SmailError,
    SmtpReplyError,
    UsageError,
)

__all__ = [
    "Account",
    "AuthError",
    "ConfigError",
    "InputError",
    "Mailer",
    "Message",
    "NetworkError",
    "OAuthError",
    "Pop3Error",
    "Receipt",
    "SmailError",
    "SmtpReplyError",
    "UsageError",
    "send",
]
