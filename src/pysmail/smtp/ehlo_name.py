"""The name sent in EHLO/HELO: a domain or an address literal, checked once for every source.

RFC 5321 4.1.1.1 and 4.1.3: `EHLO SP ( Domain / address-literal )`, where a Domain is dot-separated
labels of letters, digits and inner hyphens (4.1.2), at most 63 octets each (RFC 1035 2.3.4) and
255 in all (4.5.3.1.2); an address literal is `[192.0.2.1]` or `[IPv6:2001:db8::1]` (4.1.3).
`--helo` (ERR-0017) and smail.ini's `helo =` (ERR-0027) both ask `is_ehlo_name`, so a name with
a space, a line break or two megabytes never reaches the server.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["EXPECTED", "MAX_DOMAIN", "is_ehlo_name", "local_ehlo_name"]

MAX_DOMAIN = 255  # RFC 5321 4.5.3.1.2
# a pattern for re's cache, compiled when first used (docs/decisions.md D8)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z"
# What smail.ini's ERR-0027 says would fit (its `expected`, as the other keys' are in English).
EXPECTED = "a host name (mail.example.org) or an address literal ([192.0.2.1], [IPv6:2001:db8::1])"


def is_ehlo_name(value: str) -> bool:
    """True when `value` is a Domain or an IPv4/IPv6 address literal of RFC 5321."""
    if not value.isascii() or not 0 < len(value) <= MAX_DOMAIN:
        return False
    if value.startswith("[") and value.endswith("]"):
        return _is_address_literal(value[1:-1])
    return all(re.match(_LABEL, label) for label in value.split("."))


def _is_address_literal(inner: str) -> bool:
    import ipaddress

    version, text = (6, inner[5:]) if inner[:5].upper() == "IPV6:" else (4, inner)
    if not text or "%" in text:  # a zone index (fe80::1%eth0) is no part of the grammar
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.version == version


def local_ehlo_name(local_address: Callable[[], str]) -> str:
    """The host name for EHLO: a dotted host name, else our address (`local_address()`, which
    may raise) as a literal.

    RFC 5321 4.1.4 wants a fully qualified name or an address literal. socket.getfqdn() is
    avoided: its reverse lookup can stall for seconds on a badly configured resolver.
    """
    import socket

    try:
        name = socket.gethostname()
    except OSError:
        name = ""
    if "." in name and is_ehlo_name(name):
        return name
    address = local_address()
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"
