"""smail.ini -> IniSettings: decoding (UTF-8, BOMs, CP932) and typed keys; see docs/settings.md."""

from __future__ import annotations

from pysmail.config.model import (
    AuthMode,
    Charset,
    IniPop,
    IniSettings,
    PopTls,
    Secret,
    SecretSources,
    TlsMode,
)
from pysmail.config.values import DAY, encoding_name, number_in, seconds_in
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import is_absolute, join, parent
from pysmail.fs.userdirs import expand_home

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from pysmail.fs.pathtext import StrPath

    # (value, folder of the file) -> typed value; raises _Bad on a bad value
    _Parser = Callable[[str, str], object]

__all__ = ["MAIN_SECTION", "POP_SECTION", "decode_ini", "decode_ini_as", "ini_sections"]
__all__ += ["parse_ini", "read_ini"]

MAIN_SECTION = "smail"
POP_SECTION = "pop_before_smtp"

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class _Bad(ValueError):
    """A value that does not fit; `expected` says what would (language-neutral)."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _text(value: str, _base: str) -> str:
    return value


def _bool(value: str, _base: str) -> bool:
    key = value.lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Bad("yes|no")


def _int_in(low: int, high: int) -> _Parser:
    def parse(value: str, _base: str) -> int:
        number = number_in(value, low, high)
        if number is None:
            raise _Bad(f"{low}..{high}")
        return number

    return parse


def _seconds(value: str, _base: str) -> float:
    seconds = seconds_in(value, DAY)
    if seconds is None:
        raise _Bad("seconds > 0")
    return seconds


def _enum(kind: type[TlsMode] | type[PopTls] | type[AuthMode] | type[Charset]) -> _Parser:
    def parse(value: str, _base: str) -> object:
        try:
            return kind(value.lower())
        except ValueError:
            raise _Bad("|".join(m.value for m in kind)) from None

    return parse


def _encoding(value: str, _base: str) -> str:
    codec = encoding_name(value)
    if codec is None:
        raise _Bad("auto or an encoding name (utf-8, cp932...)")
    return codec


def _path(value: str, base: str) -> str:
    """A path relative to the INI file's folder; `~` is the home folder."""
    path = expand_home(value)
    return path if is_absolute(path) else join(base, path)


def _proxy(value: str, _base: str) -> object:
    from pysmail.net.proxy import ProxyUrlError, parse_proxy_setting

    try:
        return parse_proxy_setting(value)
    except ProxyUrlError as exc:
        raise _Bad(
            f"http://host:port, socks5://host:port, socks5h://host:port or none; {exc}"
        ) from None


def _helo(value: str, _base: str) -> str:
    from pysmail.smtp.ehlo_name import EXPECTED, is_ehlo_name

    if is_ehlo_name(value):
        return value
    raise _Bad(EXPECTED)


def _pacing(value: str, _base: str) -> str:
    from pysmail.config.limits import PRESETS

    key = value.strip().lower()
    if key not in PRESETS:
        raise _Bad(" | ".join(PRESETS))
    return key


_PACING_MAX = 100_000_000  # a pacing override: a count of messages or recipients

# key -> (IniSettings/IniPop field, parser); password keys are handled apart (Secret, sources)
_MAIN_KEYS: dict[str, tuple[str, _Parser]] = {
    "server": ("server", _text),
    "port": ("port", _int_in(1, 65535)),
    "tls": ("tls", _enum(TlsMode)),
    "tls_verify": ("tls_verify", _bool),
    "cafile": ("cafile", _path),
    "auth": ("auth", _enum(AuthMode)),
    "user": ("user", _text),
    "from": ("sender", _text),
    "charset": ("charset", _enum(Charset)),
    "body_encoding": ("body_encoding", _encoding),
    "helo": ("helo", _helo),
    "timeout": ("timeout", _seconds),
    "allow_plaintext_auth": ("allow_plaintext_auth", _bool),
    "chunking": ("chunking", _bool),
    "max_text_length": ("max_text_length", _int_in(1, 10_000_000)),
    "oauth_token_file": ("oauth_token_file", _path),
    "proxy": ("proxy", _proxy),
    "queue": ("queue", _bool),
    "retry": ("retry", _seconds),
    "outbox_dir": ("outbox_dir", _path),
    "pacing": ("pacing", _pacing),
    # Overrides of the preset's limits (docs/reliability.md 3); 0 = no limit
    "pacing_per_minute": ("pacing_per_minute", _int_in(0, _PACING_MAX)),
    "pacing_per_day": ("pacing_per_day", _int_in(0, _PACING_MAX)),
    "pacing_recipients_per_day": ("pacing_recipients_per_day", _int_in(0, _PACING_MAX)),
    "pacing_recipients_per_message": ("pacing_recipients_per_message", _int_in(0, _PACING_MAX)),
}
# [smail] alone: the account to use when no --account is given (config.accounts)
_SMAIL_KEYS = {**_MAIN_KEYS, "default_account": ("default_account", _text)}
_POP_KEYS: dict[str, tuple[str, _Parser]] = {
    "enabled": ("enabled", _bool),
    "server": ("server", _text),
    "port": ("port", _int_in(1, 65535)),
    "tls": ("tls", _enum(PopTls)),
    "apop": ("apop", _bool),
    "user": ("user", _text),
    "wait_ms": ("wait_ms", _int_in(0, 600_000)),
    "timeout": ("timeout", _seconds),
    "proxy": ("proxy", _proxy),
}
_SECRET_KEYS = ("password", "password_command", "password_keyring")


def decode_ini(data: bytes, path: StrPath) -> str:
    """The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else CP932 (Windows tools).

    Raises:
        ConfigError(ErrCode.CONFIG, "config.encoding"): none of these fits.
    """
    return decode_ini_as(data, path)[0]


def decode_ini_as(data: bytes, path: StrPath) -> tuple[str, str]:
    """(text, encoding) of decode_ini: a rewrite keeps the encoding. Raises as decode_ini."""
    from pysmail.text.decode import decode

    try:
        return decode(data)  # strict: BOM (UTF-8, UTF-16), UTF-8, CP932
    except UnicodeDecodeError:
        raise ConfigError(ErrCode.CONFIG, "config.encoding", path=str(path)) from None


def read_ini(path: StrPath, *, explicit: bool = False, account: str | None = None) -> IniSettings:
    """Read and parse one settings file, refusing one that others can change (fs.trust).

    explicit: the user named the file with --config. Such a file is read even when others can
    change it, but its password_command is never run (docs/settings.md section 1).
    account: the `[account NAME]` to use (--account); None: `default_account`, else [smail].

    Raises:
        ConfigError(ErrCode.CONFIG, ...): unreadable, undecodable, bad syntax or a bad value;
            "config.untrusted_owner" | "config.untrusted_writable": not explicit and someone
            else owns it or may change it; "config.unknown_account" (see parse_ini).
    """
    from pysmail.fs.trust import read_checked, settings_refusal

    try:
        data, verdict = read_checked(path)
    except OSError as exc:
        raise ConfigError(
            ErrCode.CONFIG, "config.unreadable", path=str(path), reason=exc.strerror or exc
        ) from None
    refusal = settings_refusal(path, verdict, explicit=explicit)
    if refusal is not None and not explicit:
        raise refusal
    ini = parse_ini(decode_ini(data, path), path, account)
    if refusal is None:
        return ini
    from pysmail.record import replace

    pop = replace(ini.pop, secret=replace(ini.pop.secret, command_refused=refusal))
    return replace(ini, secret=replace(ini.secret, command_refused=refusal), pop=pop)


def parse_ini(text: str, path: StrPath, account: str | None = None) -> IniSettings:
    """Parse the text of `path` (pure: `path` is only named in messages and anchors paths).

    Section and key names are case-insensitive; unknown sections and keys are kept in
    `unknown` and otherwise ignored. A repeated key: the last one wins. `account`: the
    `[account NAME]` whose keys go over [smail]'s (config.accounts); None: the one
    `default_account` names, else [smail] alone.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.syntax" | "config.bad_value" |
            "config.unknown_account" | "config.unknown_default_account").
    """
    from pysmail.config.accounts import account_sections, account_token_file, choose, layered

    path = join(path)
    parsed = ini_sections(text, path)
    sections = {name.lower(): name for name in parsed}
    accounts = account_sections(sections.values())
    owned = {s for a in accounts.values() if a.main for s in (a.main, a.pop) if s is not None}
    unknown: list[tuple[str, str]] = [
        (name, "*")
        for low, name in sections.items()
        if low not in (MAIN_SECTION, POP_SECTION) and name not in owned
    ]
    reader = _SectionReader(parsed, path, unknown)
    main = reader.read(sections.get(MAIN_SECTION), _SMAIL_KEYS)
    pop = reader.read(sections.get(POP_SECTION), _POP_KEYS)
    chosen = choose(account, main.pop("default_account", None), accounts, path)
    if chosen is not None:
        main = layered(main, reader.read(chosen.main, _MAIN_KEYS))
        pop = layered(pop, reader.read(chosen.pop, _POP_KEYS))
        main["account"] = chosen.name
        main.setdefault("oauth_token_file", account_token_file(parent(path), chosen.name))
    return IniSettings(path=path, pop=IniPop(**pop), unknown=tuple(unknown), **main)


def ini_sections(text: str, path: StrPath) -> dict[str, dict[str, str]]:
    """{section: {key: value}} of INI text, read as configparser.ConfigParser(interpolation=None,
    strict=False) read it (tests/unit/test_ini_reader.py holds the two to the same results),
    without the library's import (D42): section names as written, in file order, a
    repeated one continuing the first; keys lower-cased (str.lower), the first `=` or `:`
    ending the key; a repeated key: the last value, in the first one's place; whole-line `#`
    and `;` comments only (";" and "#" may be part of a password); a line indented deeper than
    its key's line continues the value (joined with LF; blank lines inside kept, trailing ones
    dropped); lines end at LF only; "whitespace" is str.isspace's. No interpolation (a "%" in a
    password is a "%"), no DEFAULT section.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.syntax"): naming the first line that is neither a
            section header, a key, a comment, a blank line nor a continuation (a line before
            the first section header, a line without `=` or `:`, an empty key); only its
            number, as the line may hold a password.
    """
    sections: dict[str, dict[str, list[str]]] = {}  # {section: {key: the value's lines}}
    values: dict[str, list[str]] | None = None  # the current section's
    key = ""  # the key continuation lines go to ("": none)
    indent = 0  # the indentation of the current key's (or header's) line
    bad: int | None = None  # the first bad line; configparser reads on and refuses at the end
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            if not stripped and values is not None and key:
                values[key].append("")
            continue
        depth = len(line) - len(line.lstrip())
        if values is not None and key and depth > indent:
            values[key].append(stripped)
            continue
        indent = depth
        end = stripped.rfind("]")
        if stripped[0] == "[" and end > 1:
            values = sections.setdefault(stripped[1:end], {})
            key = ""
        elif values is None:
            raise ConfigError(ErrCode.CONFIG, "config.syntax", path=str(path), line=number)
        elif (cut := _delimiter(stripped)) < 0:
            bad = bad or number
        else:
            key = stripped[:cut].rstrip().lower()
            bad = bad or (None if key else number)
            values[key] = [stripped[cut + 1 :].lstrip()]
    if bad is not None:
        raise ConfigError(ErrCode.CONFIG, "config.syntax", path=str(path), line=bad)
    return {
        name: {k: "\n".join(v).rstrip() for k, v in keys.items()} for name, keys in sections.items()
    }


def _delimiter(line: str) -> int:
    """The index of the first `=` or `:` in `line`; -1 without one."""
    equals, colon = line.find("="), line.find(":")
    return colon if equals < 0 or 0 <= colon < equals else equals


class _SectionReader:
    """Typed values of one section at a time; unknown keys are added to `unknown`."""

    __slots__ = ("base", "path", "sections", "unknown")

    def __init__(
        self, sections: dict[str, dict[str, str]], path: str, unknown: list[tuple[str, str]]
    ) -> None:
        self.sections = sections
        self.path = path
        self.base = parent(path)
        self.unknown = unknown

    def read(self, real: str | None, table: dict[str, tuple[str, _Parser]]) -> dict[str, Any]:
        """{field: value} of the keys set in section `real` (None: absent), and `secret` when
        a password source is set. Raises ConfigError(CONFIG, "config.bad_value")."""
        values: dict[str, Any] = {}
        if real is None:
            return values
        items = self.sections[real]
        for key, raw in items.items():
            value = raw.strip()
            if key in _SECRET_KEYS:
                continue
            if key not in table:
                self.unknown.append((real, key))
                continue
            if not value:
                continue  # `key=` with nothing: as if absent
            target, parse = table[key]
            try:
                values[target] = parse(value, self.base)
            except _Bad as bad:
                raise _bad_value(self.path, real, key, _shown(key, value), bad) from None
        if any((items.get(key) or "").strip() for key in _SECRET_KEYS):
            values["secret"] = _secret_sources(items, self.path, real)
        return values


def _bad_value(path: str, section: str, key: str, shown: str, bad: _Bad) -> ConfigError:
    return ConfigError(
        ErrCode.CONFIG,
        "config.bad_value",
        path=str(path),
        section=section,
        key=key,
        value=shown,
        expected=bad.expected,
    )


def _shown(key: str, value: str) -> str:
    """A bad value as it may be printed: a proxy's password masked, a huge value clipped."""
    from pysmail.text.escape import clip

    if key != "proxy":
        return clip(value)
    from pysmail.net.proxy import mask_proxy_text

    return clip(mask_proxy_text(value))


def _secret_sources(items: dict[str, str], path: str, section: str) -> SecretSources:
    password = (items.get("password") or "").strip()
    command = (items.get("password_command") or "").strip()
    keyring_raw = (items.get("password_keyring") or "").strip()
    try:
        keyring = _bool(keyring_raw, path) if keyring_raw else False
    except _Bad as bad:
        raise _bad_value(path, section, "password_keyring", keyring_raw, bad) from None
    return SecretSources(
        command=command or None,
        keyring=keyring,
        password=Secret(password) if password else None,
        file=path if password else None,
    )
