"""`pysmail.oauth.TokenStore`: smail's token file for a Python program (docs/api.md).

A program that speaks SMTP (or IMAP, or an HTTP API) itself asks `TokenStore(path)
.access_token()` for a token and shares the file with `smail` processes safely: each call is
what one `smail` run does (provider.py's TokenSource): the cached access token while it lives,
else, under the cross-process lock, the cache read again and only then the refresh token spent,
the rotated one saved before anything else. So any number of processes, Python or `smail`,
make one refresh per expiry and never lose a rotated refresh token.
"""

from __future__ import annotations

import os
from pathlib import Path

from pysmail.oauth.store import DEFAULT_MARGIN

__all__ = ["TokenStore"]


class TokenStore:
    """smail_refreshtoken.ini (SmailRefreshToken's file, or `smail-token login`'s).

    `margin`: seconds before expiry when a cached token is no longer handed out (default 600).
    Raises (constructor, access_token): pysmail.OAuthError (ERR-0028) when the file cannot be
    used or no token can be had; its `transient` says whether a later try may succeed.
    """

    __slots__ = ("_margin", "_user", "path")

    def __init__(self, path: str | os.PathLike[str], *, margin: float = DEFAULT_MARGIN) -> None:
        from pysmail.oauth.provider import TokenSource

        self.path = Path(path).absolute()
        self._margin = margin
        self._user = TokenSource(self.path, margin=margin).user  # the file is read and checked

    @property
    def user(self) -> str:
        """The account the tokens are for (UserID= of the file): the SASL user name."""
        return self._user

    def access_token(self) -> str:
        """A valid access token: from the cache, or refreshed (once, whatever the number of
        processes asking at the same time)."""
        from pysmail.oauth.provider import TokenSource

        return TokenSource(self.path, margin=self._margin)()

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"
