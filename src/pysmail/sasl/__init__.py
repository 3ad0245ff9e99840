"""The SASL table: mechanism names -> Mechanism, and the choice of one for a server."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode
from pysmail.record import field, record
from pysmail.sasl.mechanisms import (
    MECHANISMS,
    CredentialKind,
    Credentials,
    Mechanism,
    Steps,
    describe_oauth_error,
)

__all__ = [
    "ALIASES",
    "MECHANISMS",
    "PREFERENCE",
    "AuthRequest",
    "CredentialKind",
    "Credentials",
    "Mechanism",
    "Steps",
    "canonical_name",
    "choose",
    "describe_oauth_error",
]

# SMAIL's smail.ini names XOAUTH2 "OAUTH-XOAUTH2".
ALIASES = {"OAUTH-XOAUTH2": "XOAUTH2", "OAUTH-OAUTHBEARER": "OAUTHBEARER"}

# "auto" order. Over TLS the simplest mechanism is best (CRAM-MD5 adds nothing there). In clear,
# "auto" authenticates only with allow_plaintext_auth (CRAM-MD5's HMAC can be cracked offline by
# anyone on the path, as PLAIN can be read); then CRAM-MD5 comes first because it does not show
# the password itself. XOAUTH2 before OAUTHBEARER: Microsoft offers only XOAUTH2 and it is what
# SMAIL sends.
PREFERENCE: dict[tuple[CredentialKind, bool], tuple[str, ...]] = {
    ("password", True): ("PLAIN", "LOGIN", "CRAM-MD5"),
    ("password", False): ("CRAM-MD5", "PLAIN", "LOGIN"),
    ("token", True): ("XOAUTH2", "OAUTHBEARER"),
    ("token", False): ("XOAUTH2", "OAUTHBEARER"),
}


@record
class AuthRequest:
    """How to log in: the mechanism ("auto" or a name), the user, and where the secret comes from.

    `password` and `token` are called only once a mechanism is chosen, so a keyring or an OAuth
    refresh happens only when the server really asks. `allow_plaintext` permits PLAIN/LOGIN (and
    bearer tokens) over an unencrypted connection. `token_initial_response` sends a token on the
    AUTH line; off by default because Dovecot 2.3 refuses AUTH lines over 1032 bytes.
    """

    mechanism: str
    user: str
    password: Callable[[], str] | None = field(default=None, repr=False)
    token: Callable[[], str] | None = field(default=None, repr=False)
    allow_plaintext: bool = False
    token_initial_response: bool = False

    @property
    def kind(self) -> CredentialKind:
        """What the request can supply: a token when it has a token source, else a password."""
        return "token" if self.token is not None else "password"


def canonical_name(requested: str) -> str:
    """Upper-case, with SMAIL's aliases resolved; "AUTO" stays "AUTO"."""
    name = requested.strip().upper()
    return ALIASES.get(name, name)


def choose(
    offered: Iterable[str],
    requested: str,
    has_tls: bool,
    allow_plaintext: bool,
    kind: CredentialKind,
) -> Mechanism:
    """The mechanism to use with a server that offers `offered`.

    Raises: AuthError(AUTH_UNAVAILABLE) when the name is unknown, the server does not offer it,
    it needs the other kind of credential, or it would expose the secret on a clear connection.
    """
    offered_names = [name.upper() for name in offered]
    shown = " ".join(offered_names) or "(none)"
    name = canonical_name(requested)
    protected = has_tls or allow_plaintext
    if name != "AUTO":
        return _named(name, requested, offered_names, shown, protected, kind)
    return _automatic(offered_names, shown, has_tls, protected, kind)


def _named(
    name: str,
    requested: str,
    offered_names: list[str],
    shown: str,
    protected: bool,
    kind: CredentialKind,
) -> Mechanism:
    """The mechanism asked for by name, if it fits the credential, the connection and the server."""
    mechanism = MECHANISMS.get(name)
    if mechanism is None:
        raise AuthError(
            ErrCode.AUTH_UNAVAILABLE,
            "smtp.auth_unknown_mechanism",
            mechanism=requested,
            known=" ".join(MECHANISMS),
        )
    if mechanism.credential != kind:
        raise AuthError(
            ErrCode.AUTH_UNAVAILABLE,
            f"smtp.auth_needs_{mechanism.credential}",
            mechanism=name,
        )
    # Our own refusal first: it is the reason even when the server hides AUTH in clear.
    if mechanism.needs_cleartext_protection and not protected:
        raise AuthError(ErrCode.AUTH_UNAVAILABLE, "smtp.auth_cleartext_refused", mechanism=name)
    if name not in offered_names:
        raise AuthError(
            ErrCode.AUTH_UNAVAILABLE, "smtp.auth_not_offered", mechanism=name, offered=shown
        )
    return mechanism


def _automatic(
    offered_names: list[str], shown: str, has_tls: bool, protected: bool, kind: CredentialKind
) -> Mechanism:
    """The first offered mechanism in PREFERENCE order that would not expose the secret."""
    refused_in_clear: list[str] = []
    for candidate in PREFERENCE[(kind, has_tls)]:
        if candidate not in offered_names:
            continue
        mechanism = MECHANISMS[candidate]
        exposed = mechanism.needs_cleartext_protection or mechanism.guessable_offline
        if exposed and not protected:
            refused_in_clear.append(candidate)
            continue
        return mechanism
    if refused_in_clear:
        raise AuthError(
            ErrCode.AUTH_UNAVAILABLE,
            "smtp.auth_cleartext_refused",
            mechanism=" ".join(refused_in_clear),
        )
    raise AuthError(
        ErrCode.AUTH_UNAVAILABLE,
        f"smtp.auth_no_{kind}_mechanism",
        offered=shown,
        usable=" ".join(PREFERENCE[(kind, True)]),
    )
