"""A URL's host as `urlsplit(url).hostname` reads it, without loading urllib.parse.

On Python 3.11 `urllib.parse` brings `ipaddress` (together ~9 M instructions, docs/decisions.md
D47), and an OAuth send from a cached token reads one URL: TokenURI's host, which chooses the
provider's preset. `url_host` reads a plain ASCII URL by urlsplit's own steps and hands the rare
ones whose checks need the library (a bracket, that is an IPv6 literal, or a non-ASCII authority)
to urlsplit itself. tests/unit/test_urlhost.py holds it to urlsplit with a hypothesis property.
"""

from __future__ import annotations

__all__ = ["url_host"]

# urlsplit's: what it strips from the front and removes everywhere, and a scheme's characters
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_REMOVED = ("\t", "\r", "\n")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")


def url_host(url: str) -> str:
    """`(urlsplit(url).hostname or "").lower()`; "" where urlsplit raises ValueError (pure)."""
    authority = _authority(url)
    if not authority.isascii() or "[" in authority or "]" in authority:
        return _library_host(url)
    return authority.rpartition("@")[2].partition(":")[0].lower()


def _authority(url: str) -> str:
    """urlsplit's netloc: after the scheme and `//`, up to the first `/`, `?` or `#`."""
    rest = url.lstrip(_C0_OR_SPACE)
    for char in _REMOVED:
        rest = rest.replace(char, "")
    scheme, colon, after = rest.partition(":")
    if colon and scheme[:1].isascii() and scheme[:1].isalpha() and _SCHEME_CHARS.issuperset(scheme):
        rest = after
    if rest[:2] != "//":
        return ""
    authority = rest[2:]
    for delimiter in "/?#":
        authority = authority.partition(delimiter)[0]
    return authority


def _library_host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
