"""The setup page's decisions, without I/O: form fields -> Draft -> errors, smail.ini text.

    draft = draft_from_form(fields)               what the page sent (strings, trimmed)
    errors = validate(draft, need="save")         field name -> catalogue id ({} when fine)
    text = render_smail_ini(draft, old_text, nl)  smail.ini with our keys set, the rest kept

Secrets (the client secret, an SMTP password) are never part of a Draft: the server keeps them
apart, so nothing that renders a Draft can show one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pysmail.record import record, record_fields, replace

__all__ = [
    "AUTH_CHOICES",
    "CALLBACK_PATH",
    "CHARSETS",
    "OAUTH_AUTH",
    "PASSWORD_AUTH",
    "POP_TLS_CHOICES",
    "PROVIDERS",
    "TLS_CHOICES",
    "Draft",
    "Need",
    "ServerDefaults",
    "apply_defaults",
    "draft_from_form",
    "password_destination",
    "ini_sections",
    "provider_defaults",
    "render_smail_ini",
    "secret_destination",
    "update_ini",
    "validate",
]

PROVIDERS = ("microsoft", "google", "generic")
TLS_CHOICES = ("starttls", "smtps", "none")
AUTH_CHOICES = ("oauth-xoauth2", "oauthbearer", "plain", "login", "cram-md5", "none")
OAUTH_AUTH = ("oauth-xoauth2", "oauthbearer")
PASSWORD_AUTH = ("plain", "login", "cram-md5")
CHARSETS = ("auto", "utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "us-ascii")
POP_TLS_CHOICES = ("none", "stls", "pop3s")
# The seed's registered redirect for Microsoft is http://localhost:8001/myapp/; the setup server
# answers it itself, on whatever port it listens on.
CALLBACK_PATH = "/myapp/"
TOKEN_FILE_NAME = "smail_refreshtoken.ini"

Need = Literal["token", "test", "save"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ADDRESS = re.compile(r"^[^\s@<>\"(),;:\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_NAMED_ADDRESS = re.compile(r"^(?P<name>[^<>]*)<(?P<addr>[^<>]+)>$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$|^\[[0-9A-Fa-f:.]+\]$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$")
_CLIENT_ID = re.compile(r"^\S{1,512}$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$")  # RFC 6749 3.3
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


@record
class Draft:
    """Every non-secret field of the page, as text (ports included: the form shows what was
    typed). Booleans are checkboxes."""

    provider: str = "microsoft"
    user: str = ""
    client_id: str = ""
    tenant: str = ""
    issuer: str = ""
    scope: str = ""
    server: str = ""
    port: str = ""
    tls: str = "starttls"
    auth: str = "oauth-xoauth2"
    sender: str = ""
    charset: str = "auto"
    cafile: str = ""
    pop_enabled: bool = False
    pop_server: str = ""
    pop_port: str = ""
    pop_tls: str = "none"
    pop_user: str = ""
    test_to: str = ""
    folder: str = ""

    @property
    def uses_oauth(self) -> bool:
        return self.auth in OAUTH_AUTH

    @property
    def uses_password(self) -> bool:
        return self.auth in PASSWORD_AUTH


_BOOL_FIELDS = frozenset(name for name, kind in Draft.__annotations__.items() if kind == "bool")
TEXT_FIELDS = tuple(name for name in record_fields(Draft) if name not in _BOOL_FIELDS)


@record
class ServerDefaults:
    server: str
    port: str
    tls: str
    auth: str


def provider_defaults(provider: str) -> ServerDefaults:
    """The SMTP settings each provider documents: Exchange Online smtp.office365.com:587
    STARTTLS (XOAUTH2 only); Gmail smtp.gmail.com:465 implicit TLS (587 STARTTLS works too)."""
    if provider == "microsoft":
        return ServerDefaults("smtp.office365.com", "587", "starttls", "oauth-xoauth2")
    if provider == "google":
        return ServerDefaults("smtp.gmail.com", "465", "smtps", "oauth-xoauth2")
    return ServerDefaults("", "587", "starttls", "oauth-xoauth2")


def apply_defaults(draft: Draft) -> Draft:
    """`draft` with the server part set from its provider's defaults (the "use the provider's
    settings" button); a generic provider keeps a server already typed."""
    d = provider_defaults(draft.provider)
    return replace(draft, server=d.server or draft.server, port=d.port, tls=d.tls, auth=d.auth)


def draft_from_form(form: Mapping[str, str]) -> Draft:
    """A Draft from the posted fields (absent text fields: empty; checkboxes: present = on).
    Values are trimmed; nothing is judged here (see validate)."""
    values: dict[str, object] = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    for name in _BOOL_FIELDS:
        values[name] = form.get(name, "") not in ("", "0", "off", "no")
    for name in ("provider", "tls", "auth", "charset", "pop_tls"):
        values[name] = str(values[name]).lower()
    return Draft(**values)  # type: ignore[arg-type]


def _is_address(value: str) -> bool:
    return bool(_ADDRESS.match(value)) and len(value) <= 320


def _is_sender(value: str) -> bool:
    match = _NAMED_ADDRESS.match(value)
    if match is not None:
        return '"' not in match["name"].strip('"') and _is_address(match["addr"].strip())
    return _is_address(value)


def _is_port(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= 65535


def _is_host(value: str) -> bool:
    return len(value) <= 253 and bool(_HOST.match(value))


def issuer_problem(value: str) -> str | None:
    """Why `value` cannot be an OpenID issuer (catalogue id), or None: https, or http only on
    this computer (a test or a local provider)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "setup.err_issuer"
    host = (parts.hostname or "").lower()
    if not host or parts.query or parts.fragment or parts.username is not None:
        return "setup.err_issuer"
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK):
        return None
    return "setup.err_issuer"


def validate(draft: Draft, *, need: Need) -> dict[str, str]:
    """field -> catalogue id of what is wrong with it, for what the button `need`s:
    `token` the account; `test` the server and the test address (and the account when the
    server wants a token); `save` the server and the folder (likewise)."""
    found = _Findings(draft)
    for name in TEXT_FIELDS:
        if _CONTROL.search(str(getattr(draft, name))):
            found.errors[name] = "setup.err_control"  # a line break would add INI lines
    if need == "token" or draft.uses_oauth:
        _check_account(found, draft)
    if need in ("test", "save"):
        _check_server(found, draft)
        if draft.pop_enabled:
            _check_pop(found, draft)
    if need == "test" and found.required("test_to"):
        found.check("test_to", _is_address(draft.test_to), "setup.err_address")
    if need == "save":
        found.required("folder")
    return found.errors


class _Findings:
    """The errors found so far: the first one found for a field is the one shown."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.errors: dict[str, str] = {}

    def check(self, name: str, ok: bool, msgid: str) -> None:
        if name not in self.errors and not ok:
            self.errors[name] = msgid

    def required(self, name: str) -> bool:
        present = bool(getattr(self.draft, name))
        self.check(name, present, "setup.err_required")
        return present


def _check_account(found: _Findings, draft: Draft) -> None:
    check, required = found.check, found.required
    check("provider", draft.provider in PROVIDERS, "setup.err_choice")
    if required("user"):
        check("user", _is_address(draft.user), "setup.err_address")
    if required("client_id"):
        check("client_id", bool(_CLIENT_ID.match(draft.client_id)), "setup.err_client_id")
    if draft.provider == "microsoft" and draft.tenant:
        check("tenant", bool(_TENANT.match(draft.tenant)), "setup.err_tenant")
    if draft.provider == "generic" and required("issuer"):
        problem = issuer_problem(draft.issuer)
        check("issuer", problem is None, problem or "")
    if draft.scope:
        check("scope", bool(_SCOPE.match(draft.scope)), "setup.err_scope")


def _check_server(found: _Findings, draft: Draft) -> None:
    check, required = found.check, found.required
    if required("server"):
        check("server", _is_host(draft.server), "setup.err_host")
    if required("port"):
        check("port", _is_port(draft.port), "setup.err_port")
    check("tls", draft.tls in TLS_CHOICES, "setup.err_choice")
    check("auth", draft.auth in AUTH_CHOICES, "setup.err_choice")
    check("charset", draft.charset in CHARSETS, "setup.err_choice")
    if draft.uses_password:
        required("user")
    if draft.sender:
        check("sender", _is_sender(draft.sender), "setup.err_address")
    elif not _is_address(draft.user):
        found.errors.setdefault("sender", "setup.err_sender_needed")


def _check_pop(found: _Findings, draft: Draft) -> None:
    check = found.check
    if draft.pop_server:
        check("pop_server", _is_host(draft.pop_server), "setup.err_host")
    if draft.pop_port:
        check("pop_port", _is_port(draft.pop_port), "setup.err_port")
    check("pop_tls", draft.pop_tls in POP_TLS_CHOICES, "setup.err_choice")
    found.required("pop_user")


# -- where a kept secret may go ------------------------------------------------------------------

Destination = tuple[str, ...]


def password_destination(draft: Draft) -> Destination:
    """Where the SMTP password goes: server, port, TLS mode and CA file. A password kept from
    smail.ini or an earlier form is sent only to the destination it came with (issue 12: a
    page opened with a stolen key must not send it to another server)."""
    return (draft.server.lower().rstrip("."), draft.port, draft.tls, draft.cafile)


def secret_destination(draft: Draft) -> Destination:
    """Where the client secret goes: the provider, its tenant and (generic) issuer."""
    return (draft.provider, draft.tenant.lower(), draft.issuer.rstrip("/"), draft.client_id)


# -- smail.ini --------------------------------------------------------------------------------

IniUpdates = Mapping[str, Mapping[str, "str | None"]]


def smail_ini_values(
    draft: Draft,
    *,
    password: str | None,
    token_file: str = TOKEN_FILE_NAME,
    account: str | None = None,
) -> dict[str, dict[str, str | None]]:
    """The keys the page manages, per section; None removes a key. See docs/settings.md.
    `account`: the keys go to [account NAME] and [account NAME pop_before_smtp] (3a)."""
    main, pop = ini_sections(account)
    return {main: _smail_keys(draft, password, token_file), pop: _pop_keys(draft)}


def ini_sections(account: str | None) -> tuple[str, str]:
    """The two sections the page writes: [smail] and [pop_before_smtp], or an account's."""
    if account is None:
        return "smail", "pop_before_smtp"
    return f"account {account}", f"account {account} pop_before_smtp"


def _smail_keys(draft: Draft, password: str | None, token_file: str) -> dict[str, str | None]:
    return {
        "server": draft.server,
        "port": draft.port,
        "tls": draft.tls,
        "auth": draft.auth.upper() if draft.auth == "oauth-xoauth2" else draft.auth,
        "user": draft.user or None,
        "from": draft.sender or None,
        "charset": draft.charset,
        "cafile": draft.cafile or None,
        "oauth_token_file": token_file if draft.uses_oauth else None,
        "password": password if draft.uses_password and password else None,
    }


def _pop_keys(draft: Draft) -> dict[str, str | None]:
    if not draft.pop_enabled:
        return {"enabled": "no"}
    return {
        "enabled": "yes",
        "server": draft.pop_server or None,
        "port": draft.pop_port or None,
        "tls": draft.pop_tls,
        "user": draft.pop_user,
    }


_HEADER = (
    "; pysmail settings, written by `smail-token setup` (keys: docs/settings.md).",
    "; Lines and keys the page does not manage are kept when it saves again.",
)


def render_smail_ini(
    draft: Draft,
    old: str | None,
    newline: str = "\n",
    *,
    password: str | None = None,
    token_file: str = TOKEN_FILE_NAME,
    account: str | None = None,
) -> str:
    """smail.ini's new text: `old` (None: a new file) with the managed keys set. `token_file`
    is written as oauth_token_file (relative to smail.ini's folder) when the auth is OAuth;
    `account`: in that account's sections, [smail] and the other accounts left as they are.

    Raises: UnsafeValue (the password, or any value, with a control character)."""
    updates = smail_ini_values(draft, password=password, token_file=token_file, account=account)
    main, pop = ini_sections(account)
    if not draft.pop_enabled and (old is None or f"[{pop}]" not in old.lower()):
        updates = {main: updates[main]}  # no empty section in a new file
    return update_ini(old, updates, newline, header=_HEADER)


def update_ini(
    old: str | None, updates: IniUpdates, newline: str = "\n", *, header: tuple[str, ...] = ()
) -> str:
    """`old` with each `updates[section][key]` set (None: removed): text/ini_edit.edit_ini, the
    one INI editor (comments, other sections, other keys, their order and `old`'s line endings
    stay; a repeated managed key keeps only its first line).

    Raises: UnsafeValue (a value with a line break or another control character).
    """
    from pysmail.text.ini_edit import edit_ini

    return edit_ini(old, updates, newline=newline, header=header)


# -- small choices ----------------------------------------------------------------------------


def redirect_uri(provider: str, port: int) -> str:
    """Where the provider sends the browser back: this server's CALLBACK_PATH. Microsoft and
    other providers: localhost (what the seed registered, http://localhost:8001/myapp/);
    Google: 127.0.0.1, the loopback address its desktop clients accept on any port."""
    host = "127.0.0.1" if provider == "google" else "localhost"
    return f"http://{host}:{port}{CALLBACK_PATH}"


def command_line(
    folder: str, cwd: str, user_dir: str, windows: bool, account: str | None = None
) -> str:
    """How to run smail with smail.ini saved in `folder` (absolute paths compared as given),
    with `--account NAME` when the page saved an account."""
    example = '-s"Test" -T"Hello" you@example.com'
    if account is not None:
        example = f"--account {account} {example}"
    quote = '"' if windows else "'"
    if folder in (cwd, user_dir):
        return f"smail {example}"
    sep = "\\" if windows else "/"
    return f"smail --config {quote}{folder.rstrip(sep)}{sep}smail.ini{quote} {example}"
