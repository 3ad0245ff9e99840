"""SMAIL's command line (argv) -> CommandLine: pure, no file or network access.

SMAIL attaches each value to its flag (`-hsmtp.example.com`, `-s"a subject"`), flags are
case-sensitive and may come in any order, and the non-option arguments are the recipient list.
The rules for a value in the NEXT argument, bundling and long options are in docs/settings.md
("Command-line rules"); OPTIONS below is the one table that the parser, `usage_text()` and the
man pages are built from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum

from pysmail.config.model import AuthMode, Charset, TlsMode
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import LANGS
from pysmail.record import record, record_fields

TYPE_CHECKING = False  # not typing's: `import typing` costs 2 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from pysmail.net.proxy import ProxySetting

__all__ = ["OPTIONS", "CommandLine", "Kind", "OptionSpec", "parse_args"]


class Kind(Enum):
    FLAG = "flag"  # -d, --dry-run: no value
    VALUE = "value"  # -h<host>, --port N / --port=N
    OPTIONAL = "optional"  # -m[<id>], --message-id[=<id>]: a value only when attached


# (value, option as the user typed it) -> the converted value; raises UsageError
Converter = Callable[[str, str], object]


@record
class OptionSpec:
    """One row of the option table; `field` is the CommandLine field it sets."""

    field: str
    kind: Kind
    short: str | None = None  # "h" for -h
    long: str | None = None  # "host" for --host
    metavar: str = ""
    append: bool = False  # repeatable: every use adds (else the last one wins)
    convert: Converter | None = None
    empty_ok: bool = False  # an empty value is meaningful (-s"" gives an empty subject)
    smail: bool = False  # one of SMAIL's own options (listed first in the help)
    path: bool = False  # a file name: any bytes the file system allows, UTF-8 or not

    @property
    def help_id(self) -> str:
        """The catalogue id of the option's one-line description."""
        return f"cli.help.{self.field}"

    def spellings(self) -> list[str]:
        names = []
        if self.short:
            names.append(f"-{self.short}")
        if self.long:
            names.append(f"--{self.long}")
        return names


@record
class CommandLine:
    """What the command line said; None / () / False where an option was not given.

    `given` names the fields that were set. Recipient strings are kept raw: SMAIL's positional
    list may hold `CC:`/`BCC:` prefixes, and --to/--cc/--bcc values may be comma-separated.
    """

    host: str | None = None
    sender: str | None = None
    subject: str | None = None
    body_file: str | None = None
    body_text: str | None = None
    attachments: tuple[str, ...] = ()
    priority: int | None = None
    tz_adjust: bool = False
    silent: bool = False
    debug: bool = False
    info: bool = False
    message_id: str | None = None  # "" for a bare -m: generate one
    help: bool = False
    port: int | None = None
    tls: TlsMode | None = None
    auth: AuthMode | None = None
    user: str | None = None
    charset: Charset | None = None
    body_encoding: str | None = None
    config: str | None = None
    cafile: str | None = None
    insecure: bool = False
    no_chunking: bool = False
    allow_plaintext_auth: bool = False
    reply_to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    html_file: str | None = None
    dry_run: bool = False
    helo: str | None = None
    timeout: float | None = None
    proxy: ProxySetting | None = None  # "none": no proxy, overriding smail.ini
    lang: str | None = None
    version: bool = False
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    # reliability (docs/reliability.md)
    queue: bool = False
    flush: bool = False
    queue_list: bool = False
    retry: float | None = None
    # bulk sending and finished messages (docs/batch.md)
    batch: str | None = None
    eml: str | None = None
    report: str | None = None
    attach_dir: str | None = None
    parallel: int | None = None
    # tools
    completion: str | None = None
    setup: bool = False
    given: frozenset[str] = frozenset()


# --- converters -------------------------------------------------------------------------------


def _choice(values: Sequence[str], make: Callable[[str], object]) -> Converter:
    def convert(value: str, option: str) -> object:
        key = value.strip().lower()
        if key not in values:
            raise UsageError(
                ErrCode.OPTION,
                "cli.bad_choice",
                option=option,
                value=value,
                choices="|".join(values),
            )
        return make(key)

    return convert


def _priority(value: str, option: str) -> int:
    if len(value) == 1 and value in "123456789":
        return int(value)
    raise UsageError(ErrCode.OPTION, "cli.bad_priority", option=option, value=value)


def _port(value: str, option: str) -> int:
    text = value.strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 65535:
        return int(text)
    raise UsageError(ErrCode.OPTION, "cli.bad_port", option=option, value=value)


def _seconds(value: str, option: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86400:  # also refuses nan and inf
        raise UsageError(ErrCode.OPTION, "cli.bad_timeout", option=option, value=value)
    return seconds


def _retry(value: str, option: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 7 * 86400:  # also refuses nan and inf
        raise UsageError(ErrCode.OPTION, "cli.bad_retry", option=option, value=value)
    return seconds


def _parallel(value: str, option: str) -> int:
    text = value.strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 32:
        return int(text)
    raise UsageError(ErrCode.OPTION, "cli.bad_parallel", option=option, value=value)


def _proxy(value: str, option: str) -> object:
    from pysmail.net.proxy import ProxyUrlError, mask_proxy_text, parse_proxy_setting

    try:
        setting = parse_proxy_setting(value)
    except ProxyUrlError as exc:
        raise UsageError(
            ErrCode.OPTION,
            "cli.bad_proxy",
            option=option,
            value=mask_proxy_text(value),
            reason=str(exc),
        ) from None
    if setting != "none" and setting.username is not None:
        raise UsageError(ErrCode.OPTION, "cli.proxy_credentials", option=option)
    return setting


def _encoding(value: str, option: str) -> str:
    from pysmail.mime.bodyfile import text_codec

    name = value.strip().lower()
    if name == "auto":
        return name
    codec = text_codec(name)
    if codec is None:
        raise UsageError(ErrCode.OPTION, "cli.bad_encoding", option=option, value=value)
    return codec


def _attachments(value: str, option: str) -> list[str]:
    # Empty pieces come from empty batch variables (-a%A%,%B%) and are dropped.
    names = [name for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(ErrCode.OPTION, "cli.missing_value", option=option, example="-afile.pdf")
    return names


def _helo(value: str, option: str) -> str:
    from pysmail.smtp.ehlo_name import is_ehlo_name

    if is_ehlo_name(value):
        return value
    from pysmail.text.escape import clip

    raise UsageError(ErrCode.OPTION, "cli.bad_helo", option=option, value=clip(value))


def _header(value: str, option: str) -> tuple[str, str]:
    name, colon, body = value.partition(":")
    name = name.strip()
    # RFC 5322 3.6.8: a field name is printable US-ASCII except ":"; no CR/LF may sneak in.
    ok_name = bool(name) and all(33 <= ord(c) <= 126 for c in name)
    if not (colon and ok_name) or "\r" in body or "\n" in body:
        raise UsageError(ErrCode.OPTION, "cli.bad_header", option=option, value=value)
    return name, body.strip()


# --- the table --------------------------------------------------------------------------------

_TLS = [m.value for m in TlsMode]
_AUTH = [m.value for m in AuthMode]
_CHARSETS = [m.value for m in Charset]
_tls, _auth = _choice(_TLS, TlsMode), _choice(_AUTH, AuthMode)
_charset, _lang = _choice(_CHARSETS, Charset), _choice(LANGS, str)

OPTIONS: tuple[OptionSpec, ...] = (
    # SMAIL's own options, in the order of its readme synopsis
    OptionSpec("host", Kind.VALUE, "h", "host", "host", smail=True),
    OptionSpec("sender", Kind.VALUE, "f", "from", "sender", smail=True),
    OptionSpec("subject", Kind.VALUE, "s", "subject", "subject", empty_ok=True, smail=True),
    OptionSpec("body_file", Kind.VALUE, "F", "body-file", "file", smail=True, path=True),
    OptionSpec("body_text", Kind.VALUE, "T", "text", "text", empty_ok=True, smail=True),
    OptionSpec(
        "attachments",
        Kind.VALUE,
        "a",
        "attach",
        "file[,file...]",
        append=True,
        convert=_attachments,
        smail=True,
        path=True,
    ),
    OptionSpec("priority", Kind.VALUE, "p", "priority", "1-9", convert=_priority, smail=True),
    OptionSpec("tz_adjust", Kind.FLAG, "t", smail=True),
    OptionSpec("silent", Kind.FLAG, "S", "silent", smail=True),
    OptionSpec("debug", Kind.FLAG, "d", "debug", smail=True),
    OptionSpec("info", Kind.FLAG, "i", "info", smail=True),
    OptionSpec("message_id", Kind.OPTIONAL, "m", "message-id", "id", smail=True),
    OptionSpec("help", Kind.FLAG, "?", "help", smail=True),
    # pysmail's additions (long options only)
    OptionSpec("to", Kind.VALUE, long="to", metavar="addr[,addr...]", append=True),
    OptionSpec("cc", Kind.VALUE, long="cc", metavar="addr[,addr...]", append=True),
    OptionSpec("bcc", Kind.VALUE, long="bcc", metavar="addr[,addr...]", append=True),
    OptionSpec("port", Kind.VALUE, long="port", metavar="N", convert=_port),
    OptionSpec("tls", Kind.VALUE, long="tls", metavar="|".join(_TLS), convert=_tls),
    OptionSpec("auth", Kind.VALUE, long="auth", metavar="MODE", convert=_auth),
    OptionSpec("user", Kind.VALUE, long="user", metavar="USER"),
    OptionSpec("allow_plaintext_auth", Kind.FLAG, long="allow-plaintext-auth"),
    OptionSpec("cafile", Kind.VALUE, long="cafile", metavar="PATH", path=True),
    OptionSpec("insecure", Kind.FLAG, long="insecure"),
    OptionSpec("no_chunking", Kind.FLAG, long="no-chunking"),
    OptionSpec("helo", Kind.VALUE, long="helo", metavar="NAME", convert=_helo),
    OptionSpec("timeout", Kind.VALUE, long="timeout", metavar="SEC", convert=_seconds),
    OptionSpec("proxy", Kind.VALUE, long="proxy", metavar="URL", convert=_proxy),
    OptionSpec(
        "charset",
        Kind.VALUE,
        long="charset",
        metavar="CHARSET",
        convert=_choice(_CHARSETS, Charset),
    ),
    OptionSpec("body_encoding", Kind.VALUE, long="body-encoding", metavar="ENC", convert=_encoding),
    OptionSpec("html_file", Kind.VALUE, long="html", metavar="FILE", path=True),
    OptionSpec("reply_to", Kind.VALUE, long="reply-to", metavar="ADDR", append=True),
    OptionSpec(
        "headers", Kind.VALUE, long="header", metavar='"Name: value"', append=True, convert=_header
    ),
    OptionSpec("config", Kind.VALUE, long="config", metavar="PATH", path=True),
    OptionSpec("dry_run", Kind.FLAG, long="dry-run"),
    OptionSpec("lang", Kind.VALUE, long="lang", metavar="en|ja", convert=_lang),
    OptionSpec("version", Kind.FLAG, long="version"),
    OptionSpec("queue", Kind.FLAG, long="queue"),
    OptionSpec("flush", Kind.FLAG, long="flush"),
    OptionSpec("queue_list", Kind.FLAG, long="queue-list"),
    OptionSpec("retry", Kind.VALUE, long="retry", metavar="SEC", convert=_retry),
    OptionSpec("batch", Kind.VALUE, long="batch", metavar="FILE", path=True),
    OptionSpec("eml", Kind.VALUE, long="eml", metavar="FILE|-", path=True),
    OptionSpec("report", Kind.VALUE, long="report", metavar="FILE", path=True),
    OptionSpec("attach_dir", Kind.VALUE, long="attach-dir", metavar="DIR", path=True),
    OptionSpec("parallel", Kind.VALUE, long="parallel", metavar="N", convert=_parallel),
    OptionSpec(
        "completion",
        Kind.VALUE,
        long="completion",
        metavar="bash|zsh|powershell",
        convert=_choice(["bash", "zsh", "powershell"], str),
    ),
    OptionSpec("setup", Kind.FLAG, long="setup"),
)

_SHORT = {spec.short: spec for spec in OPTIONS if spec.short}
_LONG = {spec.long: spec for spec in OPTIONS if spec.long}


# --- the parser -------------------------------------------------------------------------------


def _may_be_spaced_value(arg: str) -> bool:
    """Whether the argument after a bare `-x` can be its value and not a recipient.

    Every recipient holds an "@" (`you@x`, `CC:you@x`), every option starts with "-".
    """
    return not arg.startswith("-") and "@" not in arg


def _check_text(value: str, option: str) -> None:
    """Refuse a value that is not valid UTF-8 text: on POSIX, Python hands invalid bytes of argv
    over as lone surrogates (U+DC80-U+DCFF, PEP 383), which no header, SMTP command or console
    can carry."""
    if value.isascii():
        return
    for position, ch in enumerate(value, 1):
        if "\ud800" <= ch <= "\udfff":
            code = ord(ch)
            byte = f"0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise UsageError(
                ErrCode.OPTION, "cli.not_utf8", option=option, byte=byte, position=position
            )


def _example(spec: OptionSpec, option: str) -> str:
    sample = {"h": "smtp.example.com", "f": "me@example.com", "F": "body.txt", "p": "3"}
    if option.startswith("--"):
        return f"{option}={spec.metavar}"
    return option + sample.get(spec.short or "", spec.metavar)


def parse_args(argv: Sequence[str]) -> CommandLine:
    """Parse SMAIL's arguments (without the program name).

    Raises:
        UsageError(ErrCode.OPTION, "cli.*"): unknown option, missing or invalid value.
    """
    values: dict[str, Any] = {}
    given: set[str] = set()
    recipients: list[str] = []

    def store(spec: OptionSpec, raw: str, option: str) -> None:
        if spec.kind is Kind.VALUE and not raw.strip() and not spec.empty_ok:
            raise UsageError(
                ErrCode.OPTION, "cli.missing_value", option=option, example=_example(spec, option)
            )
        if not spec.path:
            _check_text(raw, option)
        value: object = True if spec.kind is Kind.FLAG else raw
        if spec.convert:
            value = spec.convert(raw, option)
        if spec.append:
            items = value if isinstance(value, list) else [value]  # -aA,B adds two
            values[spec.field] = values.get(spec.field, ()) + tuple(items)
        else:
            values[spec.field] = value
        given.add(spec.field)

    i = 0
    positional_only = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if positional_only or not arg.startswith("-"):
            recipients.append(arg)
        elif arg == "--":
            positional_only = True
        elif arg.startswith("--"):
            name, eq, attached = arg[2:].partition("=")
            spec = _LONG.get(name)
            option = f"--{name}"
            if spec is None:
                raise UsageError(ErrCode.OPTION, "cli.unknown_option", option=arg)
            if spec.kind is Kind.FLAG:
                if eq:
                    raise UsageError(ErrCode.OPTION, "cli.no_value_expected", option=option)
                store(spec, "", option)
            elif spec.kind is Kind.OPTIONAL or eq:
                store(spec, attached, option)
            elif i < len(argv):  # `--opt value`: the next argument is the value, always
                store(spec, argv[i], option)
                i += 1
            else:
                raise UsageError(
                    ErrCode.OPTION,
                    "cli.missing_value",
                    option=option,
                    example=_example(spec, option),
                )
        else:
            spec = _SHORT.get(arg[1:2])
            option, attached = arg[:2], arg[2:]
            if spec is None or (spec.kind is Kind.FLAG and attached):
                _unknown_short(arg)
            assert spec is not None  # for mypy: _unknown_short always raises
            if spec.kind is not Kind.VALUE or attached:
                store(spec, attached, option)
            elif i < len(argv) and _may_be_spaced_value(argv[i]):
                store(spec, argv[i], option)
                i += 1
            elif spec.empty_ok:
                store(spec, "", option)  # -s"" reaches us as a bare -s
            elif i < len(argv) and not argv[i].startswith("-"):
                raise UsageError(
                    ErrCode.OPTION, "cli.value_not_attached", option=option, value=argv[i]
                )
            else:
                raise UsageError(
                    ErrCode.OPTION,
                    "cli.missing_value",
                    option=option,
                    example=_example(spec, option),
                )

    values["recipients"] = tuple(recipients)
    if recipients:
        given.add("recipients")
    values["given"] = frozenset(given)
    return CommandLine(**values)


def _unknown_short(arg: str) -> None:
    """Raise the error for an unknown short option, with a hint when flags were bundled."""
    letters = arg[1:]
    flags = {s.short for s in OPTIONS if s.short and s.kind is Kind.FLAG}
    if len(letters) > 1 and all(c in flags for c in letters):
        split = " ".join(f"-{c}" for c in letters)
        raise UsageError(ErrCode.OPTION, "cli.bundled_flags", option=arg, split=split)
    raise UsageError(ErrCode.OPTION, "cli.unknown_option", option=arg)


def _check_table() -> None:
    """Every CommandLine field but `recipients` and `given` has exactly one row."""
    names = [name for name in record_fields(CommandLine) if name not in ("recipients", "given")]
    rows = [spec.field for spec in OPTIONS]
    if sorted(names) != sorted(rows):  # pragma: no cover - guarded by a unit test
        raise RuntimeError("OPTIONS and CommandLine disagree")


_check_table()
