"""net.urlhost reads a URL's host as urlsplit does (docs/decisions.md D47): the same host for
every text, and "" where urlsplit refuses the URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
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


# a preset's token endpoint, and URLs that a wrong step would misread, with urlsplit's host
KNOWN = {
    "https://login.microsoftonline.com/common/oauth2/v2.0/token": "login.microsoftonline.com",
    "https://u]@login.microsoftonline.com/t": "",  # a bracket alone: urlsplit refuses the URL
    "https://u[x]@login.microsoftonline.com/t": "",  # "x" is no IP address
    " \x00https://Login.Live.COM:443/x?y#z": "login.live.com",  # stripped, lower case
    "https://\u212aey.example/": "key.example",  # the Kelvin sign's lower case is ASCII
    "https://a\uff0fb/": "",  # NFKC makes the fullwidth solidus a "/": refused
    "http://[::1]:8080/token": "::1",
    "ht\ttp://host/": "host",  # a tab is removed anywhere
    "//host/": "host",
    "host:443": "",  # a scheme "host", no authority
}


@pytest.mark.parametrize(("url", "host"), KNOWN.items())
def test_known_urls(url: str, host: str) -> None:
    assert url_host(url) == _library(url) == host


@settings(max_examples=1500, deadline=None)
@given(url=URLS)
def test_the_host_urlsplit_reads(url: str) -> None:
    assert url_host(url) == _library(url)
