"""`smail-token revoke` and `logout`: revoke the tokens at the provider; logout also removes
the file and its keyring entry."""

from __future__ import annotations

from pysmail.app.token.files import app_only, http_port, load_token, token_path
from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pathlib import Path

    from pysmail.app.token.context import TokenContext
    from pysmail.oauth.tokenfile import TokenFile

__all__ = ["revoke"]


_CODE = ErrCode.NO_ACCESS_TOKEN


def _revocation_endpoint(doc: TokenFile, ctx: TokenContext) -> str | None:
    from pysmail.oauth.exchange import discover, endpoint
    from pysmail.oauth.providers import GOOGLE, resolve
    from pysmail.oauth.revoke import GOOGLE_REVOKE

    preset = resolve(doc).preset
    if preset is GOOGLE:
        return GOOGLE_REVOKE
    issuer = doc.get("Issuer")
    if issuer:
        return endpoint(discover(http_port(ctx, doc), issuer, doc.timeout), "revocation_endpoint")
    return None


def revoke(file: str | None, ctx: TokenContext, *, logout: bool) -> None:
    path = token_path(file, ctx)
    doc = load_token(path, ctx.out.scrubber, resolve=False)
    account = _keyring_account(doc)
    if not app_only(doc):
        account = _revoke_locked(path, doc.timeout, ctx, logout=logout)
    if logout:
        _remove(path, account, ctx)


def _revoke_locked(path: Path, timeout: float, ctx: TokenContext, *, logout: bool) -> str | None:
    """Under the token file's lock: revoke its tokens at the provider (one that names no
    revocation endpoint is said so) and drop the cached access token. Returns the keyring
    account of the file as read under the lock."""
    from pysmail.fs.lock import FileLock
    from pysmail.oauth.providers import resolve
    from pysmail.oauth.store import clear_cache, lock_path

    with FileLock(lock_path(path), timeout=3 * timeout + 30):
        doc = load_token(path, ctx.out.scrubber, resolve=False)  # the newest refresh token
        account = _keyring_account(doc)
        doc, usable = _resolved_for_revoke(doc, ctx, logout=logout)
        # not usable: logout of a file whose keyring entry is gone, nothing left to revoke
        url = _revocation_endpoint(doc, ctx) if usable else None
        if usable and url is None:
            ctx.out.line(ctx.text("token.no_revocation", provider=resolve(doc).preset.key))
        elif url is not None:
            _revoke_tokens(url, path, doc, ctx)
        clear_cache(path)
    return account


def _revoke_tokens(url: str, path: Path, doc: TokenFile, ctx: TokenContext) -> None:
    """Revoke the refresh token, then the cached access token if there is one (RFC 7009)."""
    from pysmail.oauth.exchange import post
    from pysmail.oauth.flow import choose_auth_method, shown_url
    from pysmail.oauth.providers import resolve
    from pysmail.oauth.revoke import revocation_request
    from pysmail.oauth.store import read_cache

    method = choose_auth_method(resolve(doc).auth_method, None, bool(doc.client_secret))
    cache = read_cache(path)
    tokens = [("refresh_token", doc.refresh_token)]
    if cache is not None:
        ctx.out.scrubber.add(cache.access_token)
        tokens.append(("access_token", cache.access_token))
    for hint, token in tokens:
        request = revocation_request(url, token, hint, doc.client_id, doc.client_secret, method)
        result = post(http_port(ctx, doc), request, doc.timeout)
        if result.status != 200:
            raise OAuthError(
                _CODE, "token.revocation_failed", url=shown_url(url), status=result.status
            )
        ctx.out.line(ctx.text("token.revoked", what=hint, url=shown_url(url)))


def _remove(path: Path, account: str | None, ctx: TokenContext) -> None:
    """logout: the file, its cached access token and its keyring entry go."""
    from pysmail.oauth.store import clear_cache

    try:
        path.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(_CODE, "oauth.token_file_write_failed", path=path, reason=reason) from exc
    clear_cache(path)
    ctx.out.line(ctx.text("token.removed", path=path))
    if account:
        from pysmail.oauth.keyref import KEYRING_SERVICE, delete

        deleted = delete(account, path)
        what = "token.keyring_deleted" if deleted else "token.keyring_absent"
        ctx.out.line(ctx.text(what, service=KEYRING_SERVICE, account=account))


def _keyring_account(doc: TokenFile) -> str | None:
    from pysmail.oauth.keyref import reference_account

    return reference_account(doc.get("RefreshToken")) or None


def _resolved_for_revoke(
    doc: TokenFile, ctx: TokenContext, *, logout: bool
) -> tuple[TokenFile, bool]:
    """(doc with the keyring's token, True); for `logout`, a missing entry is no error:
    (doc, False), and the file is removed all the same."""
    from pysmail.oauth.keyref import resolve

    try:
        doc = resolve(doc)
    except OAuthError as exc:
        if not logout or exc.msgid != "oauth.keyring_no_entry":
            raise
        return doc, False
    for secret in doc.secrets():
        ctx.out.scrubber.add(secret)
    return doc, True
