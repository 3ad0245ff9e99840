"""A rotated refresh token is saved before anything else happens: before the old one is spent,
prepare() proves its successor can be saved (a file written next to the token file, or the OS
keyring taking a write of the value it holds); keep() then saves it there.
"""

from __future__ import annotations

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.fs.atomic import PendingWrite
    from pysmail.fs.pathtext import StrPath
    from pysmail.oauth.tokenfile import TokenFile

__all__ = ["KeyringWrite", "keep", "prepare", "write_failed"]


def prepare(doc: TokenFile) -> PendingWrite | KeyringWrite:
    """Before the token is spent: prove its successor can be saved (the keyring takes a write
    of the same value, or a file can be written next to the token file)."""
    from pysmail.fs.atomic import PendingWrite

    if doc.keyring_account is not None:
        return KeyringWrite(doc)
    try:
        return PendingWrite(doc.path, through_link=True)
    except OSError as exc:
        raise write_failed(doc.path, exc) from exc


def keep(doc: TokenFile, new: str, pending: PendingWrite | KeyringWrite) -> None:
    """Save the rotated refresh token `new`: in the keyring (the file keeps its keyring:
    reference), or the file rewritten through `pending`."""
    from pysmail.oauth.tokenfile import rotation_bytes

    if isinstance(pending, KeyringWrite):
        pending.store(new)
        return
    data = rotation_bytes(doc, new)  # refuses CR/LF: file kept
    try:
        pending.commit(data)
    except OSError as exc:
        raise write_failed(doc.path, exc) from exc


class KeyringWrite:
    """PendingWrite's part for a file whose refresh token lives in the OS keyring: the file is
    never rewritten; the rotated token is stored under the file's keyring account.

    Raises (constructor and store): OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_*").
    """

    def __init__(self, doc: TokenFile) -> None:
        from pysmail.oauth.keyref import store

        assert doc.keyring_account is not None
        self._path = doc.path
        self._account = doc.keyring_account
        store(self._account, doc.refresh_token, doc.path)  # a probe: the same value back

    def store(self, token: str) -> None:
        from pysmail.oauth.keyref import store

        store(self._account, token, self._path)

    def discard(self) -> None:
        """Nothing to undo: the keyring was only written with the value it had."""


def write_failed(path: StrPath, exc: OSError) -> OAuthError:
    reason = exc.strerror or type(exc).__name__
    return OAuthError(
        ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_write_failed", path=path, reason=reason
    )
