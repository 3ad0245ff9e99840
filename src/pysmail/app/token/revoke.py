"""`smail-token revoke` and `logout`: revoke the tokens at the provider; logout also removes
the file and its keyring entry."""

from __future__ import annotations

from pysmail.app.token.files import app_only, http_port, load_token, token_path
from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # mypy knows this idiom; `typing` costs ~2 ms on every run
if TYPE_CHECKING:
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
    from pysmail.fs.lock import FileLock
    from pysmail.oauth.exchange import post
    from pysmail.oauth.flow import choose_auth_method, shown_url
    from pysmail.oauth.providers import resolve
    from pysmail.oauth.revoke import revocation_request
    from pysmail.oauth.store import clear_cache, lock_path, read_cache

    path = token_path(file, ctx)
    doc = load_token(path, ctx.out.scrubber, resolve=False)
    account = _keyring_account(doc)
    if not app_only(doc):
        with FileLock(lock_path(path), timeout=3 * doc.timeout + 30):
            doc = load_token(path, ctx.out.scrubber, resolve=False)  # the newest refresh token
            account = _keyring_account(doc)
            doc, usable = _resolved_for_revoke(doc, ctx, logout=logout)
            # not usable: logout of a file whose keyring entry is gone, nothing left to revoke
            url = _revocation_endpoint(doc, ctx) if usable else None
            if usable and url is None:
                ctx.out.line(ctx.text("token.no_revocation", provider=resolve(doc).preset.key))
            elif url is not None:
                method = choose_auth_method(resolve(doc).auth_method, None, bool(doc.client_secret))
                cache = read_cache(path)
                tokens = [("refresh_token", doc.refresh_token)]
                if cache is not None:
                    ctx.out.scrubber.add(cache.access_token)
                    tokens.append(("access_token", cache.access_token))
                for hint, token in tokens:
                    request = revocation_request(
                        url, token, hint, doc.client_id, doc.client_secret, method
                    )
                    result = post(http_port(ctx, doc), request, doc.timeout)
                    if result.status != 200:
                        raise OAuthError(
                            _CODE, "token.revocation_failed", url=shown_url(url),
                            status=result.status,
                        )  # fmt: skip
                    ctx.out.line(ctx.text("token.revoked", what=hint, url=shown_url(url)))
            clear_cache(path)
    if logout:
        try:
            path.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OAuthError(
                _CODE, "oauth.token_file_write_failed", path=path, reason=reason
            ) from exc
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
