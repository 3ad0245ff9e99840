"""`RefreshToken=keyring:<account>`: the refresh token kept in the OS keyring, the file a reference.

`smail-token login --keyring` stores the refresh token with the `keyring` package (service
"pysmail-oauth", user name `<UserID>|<ClientID>|<TokenURI host[:port]>`) and writes that
reference where SmailRefreshToken writes the token; every other key stays in the file. The
sending path resolves the reference when it reads the file (`resolve`); a rotated refresh token
goes back to the keyring (`store`) instead of into the file. An old SMAIL cannot use such a file.

`keyring` is an optional dependency (`pip install pysmail[keyring]`): it is imported only here,
only when a reference is met.
"""

from __future__ import annotations

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.tokenfile import KEYRING_PREFIX, reference_account

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Any

    from pysmail.fs.pathtext import StrPath
    from pysmail.oauth.tokenfile import TokenFile

__all__ = [
    "KEYRING_PREFIX",
    "KEYRING_SERVICE",
    "account_for",
    "delete",
    "fetch",
    "reference",
    "reference_account",
    "resolve",
    "store",
]

KEYRING_SERVICE = "pysmail-oauth"
_CODE = ErrCode.NO_ACCESS_TOKEN


def reference(account: str) -> str:
    """The file's RefreshToken value for `account` (pure)."""
    return KEYRING_PREFIX + account


def account_for(user: str, client_id: str, token_uri: str | None) -> str:
    """`<UserID>|<ClientID>|<TokenURI host[:port]>` (pure): one entry per login, so two accounts,
    two apps or two providers never share one."""
    from urllib.parse import urlsplit

    host = ""
    if token_uri:
        try:
            parts = urlsplit(token_uri)
            host = (parts.hostname or "").lower()
            if parts.port is not None:
                host += f":{parts.port}"
        except ValueError:
            host = ""
    return f"{user}|{client_id}|{host}"


def _module(path: StrPath | None, account: str) -> Any:
    try:
        import keyring
    except ImportError:
        raise OAuthError(
            _CODE, "oauth.keyring_missing", path=path or "-", service=KEYRING_SERVICE,
            account=account,
        ) from None  # fmt: skip
    return keyring


def _failed(exc: Exception, path: StrPath | None, account: str, action: str) -> OAuthError:
    # Only the exception's type: a backend's message could quote what it was given.
    return OAuthError(
        _CODE, "oauth.keyring_error", path=path or "-", service=KEYRING_SERVICE,
        account=account, action=action, reason=type(exc).__name__,
    )  # fmt: skip


def fetch(account: str, path: StrPath | None = None) -> str:
    """The refresh token stored for `account`.

    Raises:
        OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_missing"): the keyring package is missing.
        OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_no_entry"): no such entry.
        OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_error"): the backend failed.
    """
    keyring = _module(path, account)
    try:
        value = keyring.get_password(KEYRING_SERVICE, account)
    except Exception as exc:  # noqa: BLE001 - backends raise anything (D-Bus, Win32, ...)
        raise _failed(exc, path, account, "read") from None
    if not value:
        raise OAuthError(
            _CODE, "oauth.keyring_no_entry", path=path or "-", service=KEYRING_SERVICE,
            account=account,
        )  # fmt: skip
    return str(value)


def store(account: str, refresh_token: str, path: StrPath | None = None) -> None:
    """Store (or replace) the refresh token of `account`.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_missing" | "oauth.keyring_error").
    """
    keyring = _module(path, account)
    try:
        keyring.set_password(KEYRING_SERVICE, account, refresh_token)
    except Exception as exc:  # noqa: BLE001
        raise _failed(exc, path, account, "write") from None


def delete(account: str, path: StrPath | None = None) -> bool:
    """Delete the entry of `account`; False when there was none.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_missing" | "oauth.keyring_error").
    """
    keyring = _module(path, account)
    from keyring.errors import PasswordDeleteError

    try:
        if keyring.get_password(KEYRING_SERVICE, account) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, account)
    except PasswordDeleteError:
        return False
    except Exception as exc:  # noqa: BLE001
        raise _failed(exc, path, account, "delete") from None
    return True


def resolve(doc: TokenFile) -> TokenFile:
    """`doc` with the keyring's refresh token in place of its `keyring:` reference, and
    `keyring_account` set; `doc` itself when RefreshToken is not a reference.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.keyring_*" | "oauth.token_file_incomplete").
    """
    account = reference_account(doc.get("RefreshToken"))
    if account is None:
        return doc
    if not account:
        raise OAuthError(_CODE, "oauth.token_file_incomplete", path=doc.path, key="RefreshToken")
    token = fetch(account, doc.path)
    values = dict(doc.values)
    values["RefreshToken"] = token
    from pysmail.record import replace

    return replace(doc, values=values, keyring_account=account)
