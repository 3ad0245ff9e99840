"""Masking secrets in anything shown to a person: known secrets and their base64 forms (the
-d transcript masks its AUTH, PASS and APOP lines itself: pysmail.smtp.trace)."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Scrubber", "base64_forms"]

MASK = "****"
# The safety net learns only secrets at least this long. A shorter one (`test`) occurs in ordinary
# text (`Subject: test subject`, a server's name), and masking it there would show it to anyone
# who knows that text. Lines that carry a secret are masked where they are written, whatever its
# length (`Send: AUTH PLAIN ****`, `Send: PASS ****`, `[access_token=****]`): docs/decisions.md D22.
MIN_SECRET_LENGTH = 8

_B64_CHARS = "A-Za-z0-9+/_-"


def base64_forms(secret: str) -> set[str]:
    """The substrings that appear in any base64 text that encodes `secret` (UTF-8).

    A secret inside a larger blob (PLAIN's `\\0user\\0password`, XOAUTH2's `auth=Bearer TOKEN`)
    starts at one of three bit alignments; for each, the characters that depend only on the
    secret's own bytes are the same whatever surrounds it. Both alphabets (RFC 4648 4 and 5).
    """
    import base64

    raw = secret.encode("utf-8")
    forms: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-8 * offset // 6)  # first character made only of secret bits
        end = 8 * (offset + len(raw)) // 6  # characters after this one need the following bytes
        core = encoded[start:end]
        if len(core) >= MIN_SECRET_LENGTH:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))
    return forms


class Scrubber:
    """Replaces known secrets, and every base64 text that carries one, with `****`.

    The second line of defence, for text pysmail does not write itself (a server reply that
    echoes a password, a provider's error): the transcript masks AUTH/PASS/APOP lines where it
    writes them; the CLI passes everything it prints through a Scrubber that knows the password
    and the tokens. Secrets shorter than MIN_SECRET_LENGTH are not learned (see there).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._plain: set[str] = set()
        self._encoded: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Remember `secret` (ignored when shorter than MIN_SECRET_LENGTH)."""
        if len(secret) < MIN_SECRET_LENGTH or secret in self._plain:
            return
        self._plain.add(secret)
        self._encoded |= base64_forms(secret)
        self._pattern = None

    def __bool__(self) -> bool:
        return bool(self._plain)

    def scrub(self, text: str) -> str:
        """`text` with every known secret, and every base64 run holding one, masked."""
        if not self._plain:
            return text
        if self._pattern is None:
            # A base64 form masks the whole base64 run around it: the few characters at its
            # edges would otherwise still tell something about the secret's first bytes.
            encoded = [
                f"[{_B64_CHARS}]*{re.escape(form)}[{_B64_CHARS}]*=*"
                for form in sorted(self._encoded, key=len, reverse=True)
            ]
            plain = [re.escape(s) for s in sorted(self._plain, key=len, reverse=True)]
            self._pattern = re.compile("|".join(plain + encoded))
        return self._pattern.sub(MASK, text)
