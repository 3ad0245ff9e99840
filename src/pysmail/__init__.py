"""pysmail: a SMAIL-compatible command-line mailer with OAuth 2.0 built in, and a Python API.

    import pysmail
    pysmail.send(pysmail.Message(to="bob@example.com", subject="Hi", text="Hello"))

The API's names (docs/api.md) are loaded on first use (module __getattr__, PEP 562): the
`smail` command imports this package and none of them (docs/decisions.md D8).
"""

__version__ = "0.1.0"

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
    "__version__",
    "send",
]
# The public API (docs/api.md): pysmail.api holds it all; the exceptions live in pysmail.errors.
_API = frozenset(__all__) - {"__version__"}

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.api import (
        Account,
        AuthError,
        ConfigError,
        InputError,
        Mailer,
        Message,
        NetworkError,
        OAuthError,
        Pop3Error,
        Receipt,
        SmailError,
        SmtpReplyError,
        UsageError,
        send,
    )


def __getattr__(name: str) -> object:
    if name in _API:
        import pysmail.api

        return getattr(pysmail.api, name)
    raise AttributeError(f"module 'pysmail' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
