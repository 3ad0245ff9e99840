"""Frozen values for the settings: the INI layer, the effective settings, and the Secret wrapper."""

from __future__ import annotations

from enum import StrEnum

from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.errors import ConfigError
    from pysmail.net.proxy import ProxySetting, ProxyUrl

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_TEXT_LENGTH",
    "OAUTH_TOKEN_FILE_NAME",
    "AuthMode",
    "AuthSettings",
    "Charset",
    "IniPop",
    "IniSettings",
    "MessageSettings",
    "PopSettings",
    "PopTls",
    "ReliabilitySettings",
    "Secret",
    "SecretSources",
    "ServerSettings",
    "Settings",
    "TlsMode",
    "default_pop_port",
    "default_port",
]

# The Windows command-line limit (CreateProcess: 32767 characters): no -s/-T text can be longer
# when SMAIL is started from another program, so it is the default limit of ERR-0018.
MAX_TEXT_LENGTH = 32767
DEFAULT_TIMEOUT = 60.0  # seconds, per network operation (SMTP and POP3)
OAUTH_TOKEN_FILE_NAME = "smail_refreshtoken.ini"  # SMAIL's name, next to smail.ini


class TlsMode(StrEnum):
    """How the SMTP connection is protected."""

    NONE = "none"
    STARTTLS = "starttls"  # RFC 3207, normally port 587
    SMTPS = "smtps"  # implicit TLS, RFC 8314, normally port 465


class PopTls(StrEnum):
    """How the POP-before-SMTP connection is protected."""

    NONE = "none"
    STLS = "stls"  # RFC 2595
    POP3S = "pop3s"  # implicit TLS, port 995


class AuthMode(StrEnum):
    """The SMTP AUTH setting.

    `auto` picks the best password mechanism the server offers (only when a user is set).
    `oauth-xoauth2` is SMAIL's name: XOAUTH2 with an access token from the OAuth token file;
    `xoauth2`/`oauthbearer` take the token from the password sources (password_command...).
    """

    NONE = "none"
    AUTO = "auto"
    PLAIN = "plain"
    LOGIN = "login"
    CRAM_MD5 = "cram-md5"
    XOAUTH2 = "xoauth2"
    OAUTHBEARER = "oauthbearer"
    OAUTH_XOAUTH2 = "oauth-xoauth2"

    @property
    def sasl_name(self) -> str | None:
        """The SASL mechanism name on the wire; None for `none` and `auto`."""
        if self in (AuthMode.NONE, AuthMode.AUTO):
            return None
        if self is AuthMode.OAUTH_XOAUTH2:
            return "XOAUTH2"
        return self.value.upper()

    @property
    def is_bearer(self) -> bool:
        """True when the secret is an OAuth access token, not a password."""
        return self in (AuthMode.XOAUTH2, AuthMode.OAUTHBEARER, AuthMode.OAUTH_XOAUTH2)


class Charset(StrEnum):
    """The charset setting for the message text; `auto` = ISO-2022-JP, else UTF-8."""

    AUTO = "auto"
    UTF_8 = "utf-8"
    ISO_2022_JP = "iso-2022-jp"
    SHIFT_JIS = "shift_jis"
    EUC_JP = "euc-jp"
    US_ASCII = "us-ascii"


def default_port(tls: TlsMode) -> int:
    """25 for plain SMTP, 587 for submission with STARTTLS, 465 for implicit TLS."""
    return {TlsMode.NONE: 25, TlsMode.STARTTLS: 587, TlsMode.SMTPS: 465}[tls]


def default_pop_port(tls: PopTls) -> int:
    return 995 if tls is PopTls.POP3S else 110


class Secret:
    """A password or token that never shows itself in repr(), str() or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(type(self))  # equal secrets must hash alike; the value stays out of it


@record
class SecretSources:
    """Where a password can come from, in the order they are tried (see config.secrets)."""

    command: str | None = None  # password_command
    keyring: bool = False  # password_keyring
    password: Secret | None = None  # password= in the INI file
    file: str | None = None  # the INI file that holds `password` (checked for privacy)
    # Set when the file came from --config although others can change it (fs.trust): raised
    # instead of running password_command.
    command_refused: ConfigError | None = None


@record
class IniPop:
    """The [pop_before_smtp] section as written: None where a key is absent."""

    enabled: bool | None = None
    server: str | None = None
    port: int | None = None
    tls: PopTls | None = None
    apop: bool | None = None
    user: str | None = None
    secret: SecretSources = field(default_factory=SecretSources)
    wait_ms: int | None = None
    timeout: float | None = None
    proxy: ProxySetting | None = None  # "none": no proxy even when [smail] has one


@record
class IniSettings:
    """smail.ini as read: None where a key is absent; paths already resolved against its folder."""

    path: str | None = None
    account: str | None = None  # the [account NAME] layered over [smail]; None: [smail] alone
    server: str | None = None
    port: int | None = None
    tls: TlsMode | None = None
    tls_verify: bool | None = None
    cafile: str | None = None
    auth: AuthMode | None = None
    user: str | None = None
    secret: SecretSources = field(default_factory=SecretSources)
    sender: str | None = None  # key `from`
    charset: Charset | None = None
    body_encoding: str | None = None
    helo: str | None = None
    timeout: float | None = None
    allow_plaintext_auth: bool | None = None
    chunking: bool | None = None
    max_text_length: int | None = None
    oauth_token_file: str | None = None
    proxy: ProxySetting | None = None  # "none": no proxy
    queue: bool | None = None
    retry: float | None = None
    outbox_dir: str | None = None
    pacing: str | None = None
    pacing_per_minute: int | None = None  # 0: no limit (overrides the preset's)
    pacing_per_day: int | None = None
    pacing_recipients_per_day: int | None = None
    pacing_recipients_per_message: int | None = None
    pop: IniPop = field(default_factory=IniPop)
    unknown: tuple[tuple[str, str], ...] = ()  # (section, key) pairs kept and ignored


@record
class ServerSettings:
    host: str
    port: int
    tls: TlsMode
    tls_verify: bool = True
    cafile: str | None = None
    helo: str | None = None  # None: the local host name
    timeout: float = DEFAULT_TIMEOUT
    proxy: ProxyUrl | None = None  # HTTP CONNECT / SOCKS5 tunnel for the SMTP connection
    chunking: bool = True  # BDAT when the server offers CHUNKING


@record
class AuthSettings:
    mode: AuthMode = AuthMode.AUTO
    user: str | None = None
    secret: SecretSources = field(default_factory=SecretSources)
    allow_plaintext: bool = False
    oauth_token_file: str | None = None

    @property
    def token_from_file(self) -> bool:
        """True when the secret is an access token from smail_refreshtoken.ini: always for
        SMAIL's OAUTH-XOAUTH2, and for XOAUTH2/OAUTHBEARER when no password source is set
        (a password_command or keyring then supplies the token, like msmtp's passwordeval)."""
        s = self.secret
        has_source = bool(s.command or s.keyring or s.password)
        return self.mode is AuthMode.OAUTH_XOAUTH2 or (self.mode.is_bearer and not has_source)

    @property
    def enabled(self) -> bool:
        """Whether AUTH is attempted at all: `none` never, `auto` only with a user."""
        if self.mode is AuthMode.NONE:
            return False
        return self.user is not None or self.mode is not AuthMode.AUTO


@record
class PopSettings:
    host: str
    port: int
    tls: PopTls
    apop: bool
    user: str
    secret: SecretSources
    wait_ms: int
    timeout: float
    proxy: ProxyUrl | None = None


@record
class MessageSettings:
    """What goes into the message; recipient strings are raw (CC:/BCC: parsed elsewhere).

    Also the command line's message (config.overrides.Overrides.message), which config.merge
    completes with smail.ini's sender, body_encoding and charset."""

    sender: str | None = None
    subject: str | None = None
    body_text: str | None = None  # -T: wins over body_file
    body_file: str | None = None
    body_encoding: str | None = None  # None: detect
    html_file: str | None = None
    attachments: tuple[str, ...] = ()
    priority: int | None = None
    message_id: str | None = None  # None: none; "": generate one; else this text
    charset: Charset | None = None  # None only in Overrides (not given): merged, at least AUTO
    reply_to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    recipients: tuple[str, ...] = ()  # SMAIL's positional list(s)
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()


@record
class ReliabilitySettings:
    """Retries, the outbox and pacing (docs/reliability.md)."""

    queue: bool = False  # write to the outbox first (--queue / queue = yes)
    retry: float = 0.0  # seconds to retry temporary failures (--retry / retry =)
    outbox_dir: str | None = None  # None: the per-user data folder
    pacing: str = "none"  # a pysmail.delivery.pacing preset
    # The preset's limits overridden: (pysmail.config.limits.Limits field, value; 0 = no limit)
    pacing_overrides: tuple[tuple[str, int], ...] = ()


@record
class Settings:
    """The effective settings: built-in defaults < smail.ini < command line."""

    server: ServerSettings
    auth: AuthSettings
    message: MessageSettings
    pop: PopSettings | None = None  # None: no POP before SMTP
    config_path: str | None = None
    account: str | None = None  # the [account NAME] of smail.ini in use (None: [smail] alone)
    max_text_length: int = MAX_TEXT_LENGTH
    debug: bool = False
    info: bool = False
    silent: bool = False
    dry_run: bool = False
    lang: str | None = None
    unknown_keys: tuple[tuple[str, str], ...] = ()
    reliability: ReliabilitySettings = field(default_factory=ReliabilitySettings)
