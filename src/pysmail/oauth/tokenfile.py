"""smail_refreshtoken.ini: read it as SmailRefreshToken writes it, rewrite it keeping the rest.

[OAUTH2]
UserID=someone@outlook.com
ClientID=3b...                  ClientSecret=se4...        (empty for a public client)
RefreshToken=M.R3_BAY.-...
TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token
OuthURI=https://login.microsoftonline.com/common/oauth2/v2.0/authorize   (sic)
OAUTH2_TIME_OUT=30              Provider=1 (Microsoft; 0 = Google, an assumption)

Keys are case-insensitive, as GetPrivateProfileString reads them, and the first occurrence wins.
Our optional keys: Scope, Tenant, Issuer, TokenAuthMethod, Proxy, CAFile; CertificateFile and
PrivateKeyFile (app-only with a certificate: paths of PEM files, relative ones taken from this
file's folder; the key itself is never in this file); and, written by
`smail-token login` for `status`: Grant, Issued (UTC time of the login), GrantedScope. Unknown keys,
comments, other sections, line endings and the file's encoding survive a rewrite.
`RefreshToken=keyring:<account>` refers to the OS keyring (keyref.py resolves it).

Lines and section headers are read by text.ini_edit's rules, the editor's own. Keys are not
read as config.ini's configparser reads smail.ini, on purpose: GetPrivateProfileString takes
only `=`, keeps the first of repeated keys, ignores anything outside [OAUTH2] and never fails
on a line it does not understand, and a token file must read as SmailRefreshToken reads it.
"""

from __future__ import annotations

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.fs.pathtext import StrPath

__all__ = [
    "DEFAULT_TIMEOUT",
    "KEYRING_PREFIX",
    "SECTION",
    "TokenFile",
    "decode_ini",
    "load_token_file",
    "parse_token_file",
    "read_token_file",
    "reference_account",
    "render_update",
    "require_keys",
    "rotation_bytes",
    "save_refresh_token",
    "unsafe_value_error",
]

SECTION = "OAUTH2"
# RefreshToken=keyring:<account>: the refresh token is in the OS keyring (keyref.py reads it)
KEYRING_PREFIX = "keyring:"
DEFAULT_TIMEOUT = 30.0  # seconds, when OAUTH2_TIME_OUT is absent (SmailRefreshToken writes 30)
MAX_TIMEOUT = 86400.0  # OAUTH2_TIME_OUT must stay below a day, as smail's --timeout does
MAX_FILE_SIZE = 1024 * 1024  # a token file is a few hundred bytes; anything bigger is not one

# canonical key -> lower-case spellings accepted (OuthURI is SMAIL's own spelling)
_KEYS = {
    "UserID": ("userid",),
    "ClientID": ("clientid",),
    "ClientSecret": ("clientsecret",),
    "RefreshToken": ("refreshtoken",),
    "TokenURI": ("tokenuri",),
    "OuthURI": ("outhuri", "authuri", "oauthuri"),
    "OAUTH2_TIME_OUT": ("oauth2_time_out",),
    "Provider": ("provider",),
    "Scope": ("scope",),
    "Tenant": ("tenant",),
    "Issuer": ("issuer",),
    "TokenAuthMethod": ("tokenauthmethod",),
    "Proxy": ("proxy",),
    "CAFile": ("cafile",),
    # app-only with a certificate (private_key_jwt, app_only.py): PEM paths, never the key itself
    "CertificateFile": ("certificatefile",),
    "PrivateKeyFile": ("privatekeyfile",),
    # written by `smail-token login` for `smail-token status` (the sending path ignores them)
    "Grant": ("grant",),
    "Issued": ("issued",),
    "GrantedScope": ("grantedscope",),
}


@record
class TokenFile:
    """The [OAUTH2] section as read. `values` maps canonical key -> value for present keys.

    `lines`, `encoding` and `newline` keep the file as it was so `render_update` can rewrite
    one value and leave everything else alone.
    """

    path: StrPath
    values: dict[str, str] = field(repr=False)
    lines: tuple[str, ...] = field(repr=False)
    encoding: str = "utf-8"
    newline: str = "\r\n"
    # Set by keyref.resolve: the file said RefreshToken=keyring:<account>, and `values` now
    # holds the token read from the OS keyring (a rotation goes back there, not to the file).
    keyring_account: str | None = None

    def get(self, key: str) -> str | None:
        """The value of `key` (canonical spelling), None when absent or empty."""
        value = self.values.get(key, "")
        return value or None

    @property
    def user(self) -> str:
        return self.get("UserID") or ""

    @property
    def client_id(self) -> str:
        return self.get("ClientID") or ""

    @property
    def client_secret(self) -> str | None:
        return self.get("ClientSecret")

    @property
    def refresh_token(self) -> str:
        return self.get("RefreshToken") or ""

    @property
    def app_only(self) -> bool:
        """Grant=client_credentials: the client's own credentials get each access token."""
        return (self.get("Grant") or "").lower() == "client_credentials"

    @property
    def timeout(self) -> float:
        """OAUTH2_TIME_OUT in seconds; DEFAULT_TIMEOUT when absent or not a positive number.

        Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_bad_timeout") for a number of a
        day or more (1e308, inf): no socket takes it, and no token request should wait that long.
        """
        raw = self.get("OAUTH2_TIME_OUT")
        try:
            value = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            return DEFAULT_TIMEOUT
        if value >= MAX_TIMEOUT:
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_bad_timeout", path=self.path, value=raw
            )
        return value if value > 0 else DEFAULT_TIMEOUT

    def secrets(self) -> tuple[str, ...]:
        """Every secret the file holds, for the output scrubber (a `keyring:` reference is not
        one: `status` shows it)."""
        refresh = self.get("RefreshToken")
        if reference_account(refresh) is not None:
            refresh = None
        return tuple(s for s in (self.client_secret, refresh) if s)


def reference_account(value: str | None) -> str | None:
    """The keyring account named by a `keyring:<account>` value (pure); None for anything else
    (a real refresh token never starts with `keyring:`). The prefix is matched in any case."""
    if not value or value[: len(KEYRING_PREFIX)].lower() != KEYRING_PREFIX:
        return None
    return value[len(KEYRING_PREFIX) :].strip()


def decode_ini(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with BOM, UTF-8, else CP932 (Windows Japanese), as Windows writes.

    Unlike smail.ini (config.ini.decode_ini): no UTF-16, and CP932 reads anything, U+FFFD for
    what it cannot; bytes after a UTF-8 BOM that are not UTF-8 raise UnicodeDecodeError
    (parse_token_file turns it into an ERR).
    """
    from pysmail.text.decode import decode

    return decode(data, boms=("utf-8-sig",), replace=True)


def _canonical(key: str) -> str | None:
    low = key.strip().lower()
    for canonical, spellings in _KEYS.items():
        if low in spellings:
            return canonical
    return None


def _split(line: str) -> tuple[str, str] | None:
    """(key, value) of a `key=value` line; None for blanks, comments and section headers."""
    stripped = line.strip()
    if not stripped or stripped[0] in ";#[" or "=" not in stripped:
        return None
    key, _, value = stripped.partition("=")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return key.strip(), value


def parse_token_file(path: StrPath, data: bytes) -> TokenFile:
    """The TokenFile held in `data` (pure). Keys outside [OAUTH2] are kept but not read.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_unreadable"): bytes after a UTF-8 BOM
        that are not UTF-8 (the BOM promised UTF-8; nothing else can be trusted to read it).
    """
    from pysmail.text.ini_edit import section_name, split_lines

    try:
        text, encoding = decode_ini(data)
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 after its UTF-8 BOM (byte {exc.start + 1})"
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_unreadable", path=path, reason=reason
        ) from None
    newline = "\r\n" if "\r\n" in text else "\n"
    # Only CR/LF end a line: str.splitlines() would also split at \x1c-\x1e, \x85, U+2028.
    lines = tuple(split_lines(text))
    values: dict[str, str] = {}
    current: str | None = None
    for line in lines:
        name = section_name(line)
        if name is not None:
            current = name
            continue
        if current is None or current.upper() != SECTION:
            continue
        pair = _split(line)
        if pair is None:
            continue
        canonical = _canonical(pair[0])
        if canonical is not None and canonical not in values:
            values[canonical] = pair[1]
    return TokenFile(path, values, lines, encoding, newline)


def load_token_file(path: StrPath) -> TokenFile:
    """Read and parse the token file, requiring no key; refuse one that is not trusted or,
    holding a secret, not private (fs.trust: the rule of smail.ini and its `password =`).

    Raises:
        OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_missing"): no such file (SMAIL's warning).
        OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_unreadable"): it cannot be read.
        ConfigError(CONFIG, "oauth.token_untrusted" | "oauth.token_not_private").
    """
    from pysmail.fs.trust import read_checked, token_refusal

    try:
        data, verdict = read_checked(path, MAX_FILE_SIZE)
    except FileNotFoundError as exc:
        raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_missing", path=path) from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_unreadable", path=path, reason=reason
        ) from exc
    if len(data) > MAX_FILE_SIZE:
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_unreadable", path=path, reason="too large"
        )
    parsed = parse_token_file(path, data)
    refusal = token_refusal(path, verdict, holds_secret=bool(parsed.secrets()))
    if refusal is not None:
        raise refusal
    return parsed


def require_keys(parsed: TokenFile) -> TokenFile:
    """`parsed` when it has what sending needs: ClientID, and RefreshToken unless the file is
    app-only (Grant=client_credentials: the client's own credentials get each access token).

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_incomplete").
    """
    for key in ("ClientID",) if parsed.app_only else ("RefreshToken", "ClientID"):
        if not parsed.get(key):
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_incomplete", path=parsed.path, key=key
            )
    return parsed


def read_token_file(path: StrPath) -> TokenFile:
    """Read, check (load_token_file) and parse the token file, with the keys sending needs.

    Raises: as load_token_file, and OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_incomplete"):
        RefreshToken (except in an app-only file, Grant=client_credentials) or ClientID is
        missing or empty.
    """
    return require_keys(load_token_file(path))


def render_update(doc: TokenFile, updates: dict[str, str]) -> bytes:
    """The file's bytes with the [OAUTH2] keys in `updates` set (pure; text/ini_edit.py, the one
    INI editor): an existing key keeps its spelling and position (the first occurrence; later
    ones go), a missing key is added at the end of [OAUTH2], a missing section at the end.

    Raises: UnsafeValue (a value with a line break or another control character, or one the
    file's encoding cannot hold); see unsafe_value_error.
    """
    from pysmail.text.ini_edit import edit_ini, encode_ini

    sections = {SECTION: updates}
    aliases = {spelling: key for key, spellings in _KEYS.items() for spelling in spellings}
    old = doc.newline.join(doc.lines) if doc.lines else None
    text = edit_ini(
        old, sections, newline=doc.newline, separator="=", delimiters="=", aliases=aliases
    )
    return encode_ini(text, doc.encoding, sections)


def unsafe_value_error(path: StrPath, key: str) -> OAuthError:
    """The ERR for a value the INI editor refused (UnsafeValue.key), given to `smail-token` or
    the setup page: nothing was written."""
    return OAuthError(ErrCode.NO_ACCESS_TOKEN, "config.unsafe_value", path=path, key=key)


def rotation_bytes(doc: TokenFile, refresh_token: str) -> bytes:
    """The file's bytes with the token endpoint's new refresh token.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.refresh_token_unsafe"): the token holds CR, LF or
    another control character (it would add lines, say a TokenURI=, that win on every later
    refresh). The rotation is refused and the file keeps the previous token (docs D19).
    """
    from pysmail.text.ini_edit import UnsafeValue

    try:
        return render_update(doc, {"RefreshToken": refresh_token})
    except UnsafeValue:
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.refresh_token_unsafe", path=doc.path
        ) from None


def save_refresh_token(doc: TokenFile, refresh_token: str) -> None:
    """Persist a new refresh token atomically (see atomic.write_atomic); the rest is kept.
    A file resolved from a keyring reference keeps the reference: the token goes to the keyring.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.token_file_write_failed" | "oauth.keyring_*" |
        "oauth.refresh_token_unsafe": the file keeps the old token).
    """
    from pysmail.fs.atomic import write_atomic

    if doc.keyring_account is not None:
        from pysmail.oauth.keyref import store

        store(doc.keyring_account, refresh_token, doc.path)
        return

    data = rotation_bytes(doc, refresh_token)
    try:
        write_atomic(doc.path, data, through_link=True)  # a symlinked file keeps its link
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(
            ErrCode.NO_ACCESS_TOKEN, "oauth.token_file_write_failed", path=doc.path, reason=reason
        ) from exc
