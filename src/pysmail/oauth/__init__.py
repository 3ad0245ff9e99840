"""OAuth 2.0 access tokens for SMTP/POP3: token file, providers, refresh, cache, lock.

The only entry point the rest of pysmail uses is `pysmail.oauth.provider.TokenSource`; the
other modules are its parts. Programs use `pysmail.oauth.TokenStore` (public.py, part of the
public API: docs/api.md), loaded on first use.
"""

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.oauth.public import TokenStore

__all__ = ["TokenStore"]


def __getattr__(name: str) -> object:
    if name == "TokenStore":
        from pysmail.oauth.public import TokenStore

        return TokenStore
    raise AttributeError(f"module 'pysmail.oauth' has no attribute {name!r}")
