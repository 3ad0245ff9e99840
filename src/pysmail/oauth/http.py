"""A tiny HTTP port for the token endpoint: POST a form or GET a JSON document, over urllib.

Proxies: an explicit one, else HTTPS_PROXY/HTTP_PROXY/NO_PROXY (and, on Windows and macOS, the
system settings urllib reads). TLS is always verified: the system store, or `cafile` instead.
Every failure becomes OAuthError(NO_ACCESS_TOKEN) naming its cause the way SMAIL's WinINet
errors did: 12006 malformed URL, 12157 TLS failure, 12045 unknown CA, 12029 no connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.flow import shown_url
from pysmail.record import field, record

if TYPE_CHECKING:
    import ssl
    import urllib.request

    from pysmail.net.deadline import Deadline

__all__ = ["MAX_BODY", "HttpPort", "HttpResult", "UrllibPort", "check_url", "proxy_for"]

MAX_BODY = 1024 * 1024  # a token response is a few kB
_LOOPBACK = ("localhost", "::1")


@record
class HttpResult:
    """Status, headers (lower-case names) and the body parsed as JSON (None if it is not JSON)."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    json: object = field(repr=False)


class HttpPort:
    """What the OAuth code needs from HTTP: a form POSTed, a JSON document fetched. Both are
    one `request`, which a port implements (UrllibPort); tests pass their own."""

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        auth: tuple[str, str] | None,
        timeout: float,
    ) -> HttpResult:
        """POST `data` as a form; `auth`: (client id, secret) for HTTP Basic authentication."""
        import base64
        from urllib.parse import urlencode

        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if auth is not None:
            pair = f"{auth[0]}:{auth[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return self.request(url, urlencode(dict(data)).encode("ascii"), headers, timeout)

    def get_json(self, url: str, *, timeout: float) -> HttpResult:
        return self.request(url, None, {"Accept": "application/json"}, timeout)

    def request(
        self, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        """POST `body` (None: GET) with `headers`; every failure an OAuthError."""
        raise NotImplementedError


def _is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.") or host.endswith(".localhost")


def check_url(url: str) -> str | None:
    """Why `url` cannot be a token endpoint, or None (pure).

    https only; http only to a loopback host (a client secret and tokens travel in the body).
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return str(exc)
    if any(c <= " " or c == "\x7f" for c in url.strip()):
        return "it contains a space or a control character"
    if parts.scheme not in ("https", "http") or not host:
        return "not an https:// URL"
    if parts.scheme == "http" and not _is_loopback(host):
        return "plain http:// is allowed for loopback hosts only"
    return None


def proxy_for(url: str, explicit: str | None) -> str | None:
    """The proxy a request to `url` goes through: `explicit`, else the environment's unless
    NO_PROXY (or the system's bypass list) names the host."""
    import urllib.request
    from urllib.parse import urlsplit

    if explicit:
        return explicit
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme)
    if not proxy:
        return None
    host = parts.hostname or ""
    if urllib.request.proxy_bypass(parts.netloc.rpartition("@")[2]) or (
        host and urllib.request.proxy_bypass(host)
    ):
        return None
    return proxy


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc) or type(exc).__name__
    return text


class UrllibPort(HttpPort):
    """HttpPort over urllib.request (imported lazily: most runs use the cached token)."""

    def __init__(self, *, proxy: str | None = None, cafile: str | None = None) -> None:
        self.proxy = proxy
        self.cafile = cafile

    def _context(self) -> ssl.SSLContext:
        import ssl

        try:
            return ssl.create_default_context(cafile=self.cafile)
        except (OSError, ssl.SSLError) as exc:
            reason = _reason(exc)
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.http_cafile", cafile=self.cafile, reason=reason
            ) from exc

    def _opener(
        self, url: str, proxy: str | None, deadline: Deadline
    ) -> urllib.request.OpenerDirector:
        import urllib.request

        from pysmail.oauth.bounded_http import handlers as bounded

        proxies = {"http": proxy, "https": proxy} if proxy else {}
        context = self._context() if url.lower().startswith("https:") else None
        handlers = [urllib.request.ProxyHandler(proxies), *bounded(deadline, context)]
        return urllib.request.build_opener(*handlers)

    def request(
        self, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        import http.client
        import urllib.error
        import urllib.request

        from pysmail.net.deadline import Deadline

        where = shown_url(url)
        problem = check_url(url)
        if problem is not None:
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.http_bad_url", url=where, reason=problem
            )
        try:
            proxy = proxy_for(url, self.proxy)
            request = urllib.request.Request(url.strip(), data=body, headers=headers)
            # The whole request (connect, TLS, proxy, answer) within `timeout` seconds (D20).
            deadline = Deadline(timeout)
            opener = self._opener(url, proxy, deadline)
        except ValueError as exc:
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.http_bad_url", url=where, reason=str(exc)
            ) from exc
        try:
            with opener.open(request, timeout=timeout) as response:
                status = int(response.status)
                raw_headers = response.headers
                payload = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:  # 4xx/5xx: the body still says why
            status = exc.code
            raw_headers = exc.headers
            try:
                payload = exc.read(MAX_BODY + 1)
            except OSError:
                payload = b""
            finally:
                exc.close()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise _network_error(exc, where, proxy, timeout) from exc
        except http.client.HTTPException as exc:  # over 100 headers, a line too long, ...
            reason = f"{type(exc).__name__}: {exc}"[:200]
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.http_malformed", url=where, reason=reason
            ) from exc
        if 300 <= status < 400:
            location = _headers(raw_headers).get("location", "")
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN,
                "oauth.http_redirect",
                http_status=status,
                url=where,
                status=status,
                location=shown_url(location) or "-",
            )
        return HttpResult(status, _headers(raw_headers), _json(payload))


def _headers(raw: object) -> dict[str, str]:
    items = getattr(raw, "items", None)
    if not callable(items):
        return {}
    return {str(k).lower(): str(v) for k, v in items()}


def _json(payload: bytes) -> object:
    import json

    if len(payload) > MAX_BODY:
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[...]]]]
        return None


def _tls_error(cause: BaseException, where: str) -> OAuthError | None:
    """The OAuthError of a certificate or TLS failure, None for any other cause."""
    import ssl

    code = ErrCode.NO_ACCESS_TOKEN
    if isinstance(cause, ssl.SSLCertVerificationError):  # WinINet 12045
        detail = cause.verify_message or _reason(cause)
        if "mismatch" in detail.lower():  # X509_V_ERR_HOSTNAME_MISMATCH / IP_ADDRESS_MISMATCH
            return OAuthError(code, "oauth.http_cert_name", url=where, reason=detail)
        return OAuthError(code, "oauth.http_unknown_ca", url=where, reason=detail)
    if isinstance(cause, ssl.SSLError):  # WinINet 12157
        return OAuthError(code, "oauth.http_tls_failed", url=where, reason=_reason(cause))
    return None


def _network_error(exc: BaseException, where: str, proxy: str | None, timeout: float) -> OAuthError:
    """The OAuthError for a failed request: SMAIL's four WinINet causes, plus timeout."""
    import socket
    import urllib.error

    cause: BaseException = exc
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        cause = exc.reason
    code = ErrCode.NO_ACCESS_TOKEN
    tls = _tls_error(cause, where)
    if tls is not None:
        return tls
    if isinstance(cause, TimeoutError | socket.timeout):
        return OAuthError(
            code, "oauth.http_timeout", transient=True, url=where, timeout=f"{timeout:g}"
        )
    text = _reason(cause)
    if isinstance(cause, ValueError) or "unknown url type" in str(exc):  # WinINet 12006
        return OAuthError(code, "oauth.http_bad_url", url=where, reason=text)
    if proxy:  # WinINet 12029 through a proxy: refused, unreachable, or CONNECT denied
        shown = shown_url(proxy)
        return OAuthError(
            code, "oauth.http_proxy_failed", transient=True, url=where, proxy=shown, reason=text
        )
    # WinINet 12029
    return OAuthError(code, "oauth.http_connect_failed", transient=True, url=where, reason=text)
