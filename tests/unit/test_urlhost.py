"""net.urlhost reads a URL's host as urlsplit does (docs/decisions.md D47): the same host for
every text, and "" where urlsplit refuses the URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pysmail.net.urlhost import url_host

# What URLs are made of, and what makes them tricky: schemes (one starting with a digit, one
# with a character no scheme has), the authority's delimiters, user info, ports, brackets (IPv6,
# IPvFuture, unbalanced), characters urlsplit strips or removes, upper case, a zone, non-ASCII
# (one that lower() makes ASCII, one that NFKC makes a slash).
_PIECES = st.sampled_from(
    [
        "https:", "HTTP:", "a+b.c-d:", "1x:", "a_b:", "//", "/", "?", "#", "@", ":", ":443",
        "[", "]", "[::1]", "[v1.x]", "[1.2.3.4]", "[fe80::1%25Eth0]", "login.MicrosoftOnline.com",
        "oauth2.googleapis.com", "u:p@", "%41", " ", "\t", "\r\n", "\x00", "\x1f", "\u212a",
        "\uff0f", "é", "token", ".",
    ]
)  # fmt: skip
URLS = st.lists(_PIECES, max_size=10).map("".join) | st.text(max_size=30)


def _library(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@settings(max_examples=1500, deadline=None)
@given(url=URLS)
@example(url="https://login.microsoftonline.com/common/oauth2/v2.0/token")
@example(url="https://u]@login.microsoftonline.com/t")
@example(url="https://u[x]@login.microsoftonline.com/t")
@example(url=" \x00https://Login.Live.COM:443/x?y#z")
@example(url="https://\u212aey.example/")
@example(url="https://a\uff0fb/")
@example(url="http://[::1]:8080/token")
@example(url="ht\ttp://host/")
@example(url="//host/")
@example(url="host:443")
def test_the_host_urlsplit_reads(url: str) -> None:
    assert url_host(url) == _library(url)
