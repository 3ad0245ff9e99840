"""What the setup server reads from a request, without answering it: the page's language,
whether a POST comes from another site, and the posted form (docs/setup.md)."""

from __future__ import annotations

from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import http.server
    from collections.abc import Mapping

    from pysmail.messages import Lang

__all__ = ["Refusal", "choose_lang", "from_other_site", "page_lang", "read_form"]

_TEXT = "text/plain; charset=utf-8"


@record
class Refusal:
    """A request refused before it reaches the page: the status and the plain body sent."""

    status: int
    body: bytes
    ctype: str = _TEXT


def page_lang(query: Mapping[str, list[str]], accept_language: str | None, default: str) -> Lang:
    """The page's language: ?lang=, else the browser's Accept-Language, else `default`."""
    asked = query.get("lang", [""])[0]
    return "ja" if choose_lang(asked, accept_language, default) == "ja" else "en"


def choose_lang(asked: str | None, accept_language: str | None, default: str) -> str:
    """`en` or `ja`: the page's switch (`asked`), else the browser's Accept-Language (the
    preferred of en/ja by q-value, RFC 9110 12.5.4), else `default`."""
    if asked in _PAGE_LANGS:
        return asked
    offers = [
        (quality, -index, primary)
        for index, (primary, quality) in enumerate(_accepted(accept_language or ""))
        if primary in _PAGE_LANGS and quality > 0
    ]
    if offers:
        return max(offers)[2]  # the highest q-value, the first of equals
    return default if default in _PAGE_LANGS else "en"


_PAGE_LANGS = ("en", "ja")


def _accepted(header: str) -> list[tuple[str, float]]:
    """Accept-Language's items as (primary language tag, q-value)."""
    items = []
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        items.append((tag.strip().lower().split("-")[0], _quality(params)))
    return items


def _quality(params: str) -> float:
    """The q parameter of an Accept-Language item (1 when absent, 0 when not a number)."""
    quality = 1.0
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return quality


def from_other_site(req: http.server.BaseHTTPRequestHandler, origins: set[str]) -> bool:
    """True for a POST whose Origin is not this server, or whose Sec-Fetch-Site says another
    site sent it."""
    origin = req.headers.get("Origin")
    site = (req.headers.get("Sec-Fetch-Site") or "").lower()
    if origin is not None and origin.lower() not in origins:
        return True
    return site in ("cross-site", "same-site")


def read_form(req: http.server.BaseHTTPRequestHandler, max_body: int) -> dict[str, str] | Refusal:
    """The posted form (the first value of each field), or why it is refused: not form data
    (415), no or a too long length (411, 413), not UTF-8 or not a form (400)."""
    from urllib.parse import parse_qs

    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return Refusal(415, b"form data expected")
    length = _content_length(req)
    if not 0 <= length <= max_body:
        return Refusal(413 if length > max_body else 411, b"bad length", "text/plain")
    raw = req.rfile.read(length)
    try:
        parsed = parse_qs(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError):
        return Refusal(400, b"bad form")
    return {name: values[0] for name, values in parsed.items()}


def _content_length(req: http.server.BaseHTTPRequestHandler) -> int:
    """Content-Length as a number; -1 when absent or not a number."""
    try:
        return int(req.headers.get("Content-Length") or "-1")
    except ValueError:
        return -1
