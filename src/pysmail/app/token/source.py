"""Access tokens for `check` and `access-token`: the refresh-token source smail uses, or a
client-credentials token for an app-only file."""

from __future__ import annotations

import time
from pathlib import Path

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.oauth.http import HttpPort
    from pysmail.oauth.tokenfile import TokenFile
    from pysmail.redact import Scrubber

__all__ = ["AppOnlySource", "expiry", "sasl_blob"]


_CODE = ErrCode.NO_ACCESS_TOKEN


class AppOnlySource:
    """A client-credentials token per need (app-only files); same shape as TokenSource."""

    def __init__(self, doc: TokenFile, http: HttpPort, scrubber: Scrubber) -> None:
        self.doc, self.http, self.scrubber = doc, http, scrubber
        self.user = doc.user
        self.token: str | None = None
        self.expires_at: float | None = None

    def __call__(self) -> str:
        from pysmail.oauth.app_only import app_only_request, explain_refusal
        from pysmail.oauth.exchange import post_grant
        from pysmail.oauth.flow import TokenResponse, choose_auth_method
        from pysmail.oauth.providers import resolve

        if self.token is not None:
            return self.token
        doc = self.doc
        resolved = resolve(doc)
        if not resolved.token_uri or not (doc.client_secret or doc.get("CertificateFile")):
            key = "TokenURI" if not resolved.token_uri else "ClientSecret"
            raise OAuthError(_CODE, "oauth.token_file_incomplete", path=doc.path, key=key)
        method = choose_auth_method(resolved.auth_method, None, True)
        # the ClientSecret, or a client assertion signed with CertificateFile's key
        request = app_only_request(
            doc, resolved.token_uri, method, doc.get("Scope"), learn=self.scrubber.add
        )
        started = time.time()
        try:
            answer = post_grant(
                self.http, request, preset=resolved.preset.key, path=doc.path,
                timeout=doc.timeout,
            )  # fmt: skip
        except OAuthError as err:
            raise explain_refusal(err, doc) from err
        assert isinstance(answer, TokenResponse)
        self.scrubber.add(answer.access_token)
        self.token = answer.access_token
        if answer.expires_in is not None:
            self.expires_at = started + answer.expires_in
        return self.token


def expiry(path: Path, source: object) -> float | None:
    from pysmail.oauth.store import read_cache

    if isinstance(source, AppOnlySource):
        return source.expires_at
    cache = read_cache(path)
    return cache.expires_at if cache is not None else None


def sasl_blob(mechanism: str, user: str, token: str) -> str:
    """The base64 initial response of XOAUTH2 or OAUTHBEARER (RFC 7628, no host/port)."""
    import base64

    if mechanism == "xoauth2":
        raw = f"user={user}\x01auth=Bearer {token}\x01\x01"
    else:
        raw = f"n,a={user},\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")
