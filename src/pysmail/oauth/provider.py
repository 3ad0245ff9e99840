"""TokenSource: the callable that gives smail an access token, refreshing and rotating safely.

The one thing the rest of pysmail calls. Per call: the token it already handed out; else a
cached one (no lock needed to read: writes are atomic); else, under the cross-process lock,
re-read the file and the cache (another process may have refreshed meanwhile) and only then
spend the refresh token. A rotated refresh token is saved before anything else happens: in
the file, or in the OS keyring when the file says RefreshToken=keyring:<account> (keyref.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from pysmail.errors import AuthError, OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import join
from pysmail.oauth.providers import Resolved, resolve
from pysmail.oauth.store import DEFAULT_MARGIN, CachedToken
from pysmail.oauth.tokenfile import TokenFile, read_token_file, reference_account
from pysmail.redact import MASK, Scrubber

# A send with a cached access token loads none of the HTTP side: pysmail.oauth.flow and
# pysmail.oauth.http (and typing) are imported where a refresh happens (docs/decisions.md D8).
TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import TypeVar

    from pysmail.fs.atomic import PendingWrite
    from pysmail.oauth.flow import FormRequest, ProviderError, TokenResponse
    from pysmail.oauth.http import HttpPort, HttpResult
    from pysmail.oauth.providers import AuthMethod
    from pysmail.oauth.rotation import KeyringWrite

    _T = TypeVar("_T")

__all__ = ["DEFAULT_MARGIN", "TokenSource"]

DISCOVERY_PATH = "/.well-known/openid-configuration"


class TokenSource:
    """`source()` -> a valid access token for the token file's user; see the module docstring.

    Arguments (all optional but the file):
        margin: seconds before expiry when a cached token stops being used (default 600).
        timeout: seconds per HTTP request; None: the file's OAUTH2_TIME_OUT (default 30).
        proxy: proxy URL for the token endpoint; None: the file's Proxy=, else HTTPS_PROXY...
        cafile: CA bundle replacing the system store; None: the file's CAFile=, else the system.
        trace: where `-d` lines go (`[Try get access token from <TokenURI>]`); never a token.
        scrubber: learns every secret read or received, so no output can show one.
        http: an HttpPort (tests); None: urllib.
        clock: time source (tests); lock_timeout: seconds to wait for another refresh.

    Raises (from the constructor and from calls): OAuthError(NO_ACCESS_TOKEN, "oauth.*").
    """

    def __init__(
        self,
        token_file: str | os.PathLike[str],
        *,
        margin: float = DEFAULT_MARGIN,
        timeout: float | None = None,
        proxy: str | None = None,
        cafile: str | None = None,
        trace: Callable[[str], None] | None = None,
        scrubber: Scrubber | None = None,
        http: HttpPort | None = None,
        clock: Callable[[], float] = time.time,
        lock_timeout: float | None = None,
    ) -> None:
        self.path = join(token_file)  # as pathlib shows it (fs.pathtext)
        self.margin = margin
        self._scrubber = scrubber if scrubber is not None else Scrubber()
        self._trace = trace
        self._clock = clock
        doc = self._read()
        self._unused: TokenFile | None = doc  # the first call's file (see _obtain)
        self.user = doc.user
        self.app_only = doc.app_only
        self.resolved: Resolved = resolve(doc)
        self.timeout = timeout if timeout is not None else doc.timeout
        self.lock_timeout = lock_timeout if lock_timeout is not None else 3 * self.timeout + 30
        self._given_http = http
        self._proxy = proxy or doc.get("Proxy")
        self._cafile = cafile or doc.get("CAFile")
        self._current: str | None = None
        self._refused: str | None = None
        self._retried = False
        self.requests = 0  # token endpoint requests made by this source (for -d and tests)

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """SASL mechanisms the provider's mail servers accept, preferred first."""
        return self.resolved.mechanisms

    def __call__(self) -> str:
        if self._current is None:
            self._current = self._obtain()
            self._note(f"[access_token={MASK}]")
        return self._current

    def invalidate(self) -> None:
        """The server refused the token: the next call refreshes (unless another process has
        already put a different token in the cache)."""
        if self._current is not None:
            self._refused = self._current
        self._current = None

    def retryable(self, err: AuthError) -> bool:
        """True once, for an AUTH failure worth one refresh and a second attempt (401-style)."""
        if self._retried or self._current is None or err.code is not ErrCode.AUTH_FAILED:
            return False
        self._retried = True
        return True

    def with_refresh(self, attempt: Callable[[], _T]) -> _T:
        """`attempt()`; when the server refuses the token (401-style), refresh once and call it
        again. Every AuthError that ends it is explained (what to fix)."""
        try:
            return attempt()
        except AuthError as err:
            if not self.retryable(err):
                raise self.explain(err) from err
            self.invalidate()
            try:
                return attempt()
            except AuthError as again:
                raise self.explain(again) from again

    def explain(self, err: AuthError) -> AuthError:
        """`err` with the message that says what to fix (5.7.139, 5.7.3 audience, 5.7.30...)."""
        from pysmail.oauth.errors import explain_auth_failure

        token = self._current or self._refused
        found = explain_auth_failure(err, user=self.user, token=token, app_only=self.app_only)
        return found or err

    # -- internals -----------------------------------------------------------------------

    @property
    def _http(self) -> HttpPort:
        """The HTTP client, made on first use (a cached token needs none)."""
        if self._given_http is None:
            from pysmail.oauth.http import UrllibPort

            self._given_http = UrllibPort(proxy=self._proxy, cafile=self._cafile)
        return self._given_http

    def _note(self, line: str) -> None:
        if self._trace is not None:
            self._trace(self._scrubber.scrub(line))

    def _read(self) -> TokenFile:
        doc = read_token_file(self.path)
        if reference_account(doc.get("RefreshToken")) is not None:
            # RefreshToken=keyring:<account>: the real token comes from the OS keyring.
            from pysmail.oauth.keyref import resolve as resolve_reference

            doc = resolve_reference(doc)
        for secret in doc.secrets():
            self._scrubber.add(secret)
        return doc

    def _usable(self, doc: TokenFile) -> CachedToken | None:
        from pysmail.oauth.store import read_cache, usable

        entry = usable(read_cache(self.path), doc.refresh_token, self._clock(), self.margin)
        if entry is None or entry.access_token == self._refused:
            return None
        self._scrubber.add(entry.access_token)
        return entry

    def _obtain(self) -> str:
        # The first call takes the file as the constructor read it, a moment before (for smail,
        # within the same send), instead of reading and checking it again; later calls read it
        # afresh. Either way a refresh reads it again under the lock.
        doc = self._unused if self._unused is not None else self._read()
        self._unused = None
        entry = self._usable(doc)
        if entry is None:
            from pysmail.fs.lock import FileLock
            from pysmail.oauth.store import lock_path

            with FileLock(lock_path(self.path), timeout=self.lock_timeout):
                doc = self._read()  # another process may have refreshed while we waited
                entry = self._usable(doc)
                if entry is None:
                    return self._refresh(doc, retried=False)
        if self._trace is not None:  # the date costs `import datetime`: only for -d
            self._note(f"[access token from the cache, valid until {_stamp(entry.expires_at)}]")
        return entry.access_token

    def _endpoint(self, doc: TokenFile) -> tuple[str, AuthMethod]:
        from pysmail.oauth.flow import choose_auth_method, parse_discovery, shown_url

        resolved = resolve(doc)
        has_secret = bool(doc.client_secret)
        if resolved.token_uri and (resolved.auth_method or not resolved.issuer):
            return resolved.token_uri, choose_auth_method(resolved.auth_method, None, has_secret)
        if not resolved.issuer:
            path = doc.path
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_incomplete", path=path, key="TokenURI"
            )
        url = resolved.issuer.rstrip("/") + DISCOVERY_PATH
        self._note(f"[OpenID discovery: {shown_url(url)}]")
        result = self._http.get_json(url, timeout=self.timeout)
        if result.status != 200:
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN,
                "oauth.discovery_failed",
                http_status=result.status,
                issuer=shown_url(resolved.issuer),
                reason=f"HTTP {result.status}",
            )
        endpoint, supported = parse_discovery(resolved.issuer, result.json)
        token_uri = resolved.token_uri or endpoint
        return token_uri, choose_auth_method(resolved.auth_method, supported, has_secret)

    def _grant_request(self, doc: TokenFile, token_uri: str, method: AuthMethod) -> FormRequest:
        """The refresh-token grant; for an app-only file (Grant=client_credentials) the client
        credentials grant with its Scope= (Microsoft's app-only scope by default)."""
        from pysmail.oauth.flow import refresh_request

        if not doc.app_only:
            return refresh_request(
                token_uri=token_uri,
                client_id=doc.client_id,
                client_secret=doc.client_secret,
                refresh_token=doc.refresh_token,
                scope=resolve(doc).refresh_scope,
                auth_method=method,
            )
        from pysmail.oauth.app_only import MS_APP_ONLY_SCOPE, app_only_request

        scope = doc.get("Scope") or (
            MS_APP_ONLY_SCOPE if resolve(doc).preset.key == "microsoft" else None
        )
        # the ClientSecret, or a client assertion signed with CertificateFile's key
        return app_only_request(doc, token_uri, method, scope, learn=self._scrubber.add)

    def _refresh(self, doc: TokenFile, *, retried: bool) -> str:
        """Spend the refresh token; save its successor first; then cache the access token.

        Called with the lock held.
        """
        from pysmail.oauth.flow import parse_error, parse_token_response, shown_url
        from pysmail.oauth.rotation import prepare
        from pysmail.oauth.signals import request_signals

        token_uri, method = self._endpoint(doc)
        request = self._grant_request(doc, token_uri, method)
        pending = prepare(doc)
        self._note(f"[Try get access token from {shown_url(token_uri)}]")
        started = self._clock()
        response: TokenResponse | None = None
        try:
            # A signal ends the request at once before it has gone out, within lock.GRACE
            # seconds while its answer is awaited, and is held from the answer to the save (D20).
            with request_signals() as signals:
                self.requests += 1
                result = self._http.post_form(
                    request.url, request.data, auth=request.basic, timeout=self.timeout
                )
                signals.hold()
                error = parse_error(result.status, result.json)
                if error is None and 200 <= result.status < 300:
                    response = parse_token_response(token_uri, result.status, result.json)
                    self._scrubber.add(response.access_token)
                    self._keep_successor(doc, response.refresh_token, pending)
                    # Still inside: the processes waiting for the lock find the cache filled.
                    self._save_cache(doc, response, started)
        finally:
            pending.discard()
        if response is None:
            return self._after_refusal(doc, token_uri, result, error, retried=retried)
        if response.refresh_token and response.refresh_token != doc.refresh_token:
            self._note("[new refresh token saved]")
        return response.access_token

    def _keep_successor(
        self, doc: TokenFile, new: str | None, pending: PendingWrite | KeyringWrite
    ) -> None:
        """Save a rotated refresh token (the keyring's entry, or the file through `pending`)."""
        from pysmail.oauth.rotation import keep

        if new is None or new == doc.refresh_token:
            return
        self._scrubber.add(new)
        keep(doc, new, pending)

    def _after_refusal(
        self,
        doc: TokenFile,
        token_uri: str,
        result: HttpResult,
        error: ProviderError | None,
        *,
        retried: bool,
    ) -> str:
        """A refresh the token endpoint refused: once more with a token changed on disk
        meanwhile, else the OAuthError that says why."""
        from pysmail.oauth.errors import provider_error
        from pysmail.oauth.flow import shown_url

        if error is None:
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN,
                "oauth.http_status",
                http_status=result.status,
                url=shown_url(token_uri),
                status=result.status,
            )
        self._note(f"[token endpoint: HTTP {result.status} {error.error}]")
        if error.error == "invalid_grant" and not retried:
            # Re-read before declaring the token dead: a writer outside our lock (an older
            # smail, a copied file, smail-token login) may have replaced it meanwhile.
            again = self._read()
            if again.refresh_token != doc.refresh_token:
                self._note("[the refresh token changed on disk; trying the new one]")
                return self._refresh(again, retried=True)
        raise provider_error(error, resolve(doc).preset.key, token_uri, doc.path)

    def _save_cache(
        self,
        doc: TokenFile,
        response: TokenResponse,
        started: float,
    ) -> None:
        from pysmail.oauth.store import cached_entry, write_cache

        refresh = response.refresh_token or doc.refresh_token
        try:
            write_cache(self.path, cached_entry(response, refresh, started))
        except OSError as exc:  # only a cache: the next run refreshes again
            self._note(f"[cannot write the token cache: {exc.strerror or type(exc).__name__}]")


def _stamp(when: float | None) -> str:
    import datetime as dt

    if when is None:
        return "unknown"
    return dt.datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
