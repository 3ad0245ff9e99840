"""SMAIL's command line (argv) -> CommandLine: pure, no file or network access.

SMAIL attaches each value to its flag (`-hsmtp.example.com`, `-s"a subject"`), flags are
case-sensitive and may come in any order, and the non-option arguments are the recipient list.
The rules for a value in the NEXT argument, bundling and long options are in docs/settings.md
("Command-line rules"); OPTIONS below is the one table that the parser, `usage_text()` and the
man pages are built from. Each row names the field it sets: one of config's Overrides, Mode or
MessageSettings (what the command line sets over smail.ini, the mode of the run, the message)
or of CommandLine (what smail answers by itself: --help, --version...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pysmail.cli import option_values as conv
from pysmail.config.model import MessageSettings
from pysmail.config.overrides import Mode, Overrides
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import field, record, record_fields

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Any

__all__ = ["OPTIONS", "CommandLine", "Kind", "OptionSpec", "command_line", "parse_args"]


class Kind:
    """How an option takes its value (`OptionSpec.kind`): one of these strings."""

    FLAG = "flag"  # -d, --dry-run: no value
    VALUE = "value"  # -h<host>, --port N / --port=N
    OPTIONAL = "optional"  # -m[<id>], --message-id[=<id>]: a value only when attached


@record
class OptionSpec:
    """One row of the option table; `field` is the field it sets, of config's Overrides, Mode or
    MessageSettings, or of CommandLine."""

    field: str
    kind: str  # a Kind
    short: str | None = None  # "h" for -h
    long: str | None = None  # "host" for --host
    metavar: str = ""
    append: bool = False  # repeatable: every use adds (else the last one wins)
    convert: conv.Converter | None = None
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
    """What the command line said: what it sets over smail.ini and the mode of the run
    (`overrides`, config's value objects), and what smail answers by itself; None / () / False
    where an option was not given.

    `given` names the fields that were set. Recipient strings are kept raw: SMAIL's positional
    list may hold `CC:`/`BCC:` prefixes, and --to/--cc/--bcc values may be comma-separated.
    """

    overrides: Overrides = field(default_factory=Overrides)
    tz_adjust: bool = False
    help: bool = False
    config: str | None = None
    account: str | None = None  # the [account NAME] of smail.ini
    version: bool = False
    queue_list: bool = False
    completion: str | None = None
    setup: bool = False
    given: frozenset[str] = frozenset()


# The record that holds each field an OPTIONS row may name.
_RECORDS = (MessageSettings, Mode, Overrides, CommandLine)
_HOLDER: dict[str, type] = {name: holder for holder in _RECORDS for name in record_fields(holder)}


def command_line(values: Mapping[str, Any]) -> CommandLine:
    """The CommandLine of these values, named by field: each goes to the record that holds it."""
    parts: dict[type, dict[str, Any]] = {holder: {} for holder in _RECORDS}
    for name, value in values.items():
        parts[_HOLDER[name]][name] = value
    message, mode = MessageSettings(**parts[MessageSettings]), Mode(**parts[Mode])
    overrides = Overrides(message=message, mode=mode, **parts[Overrides])
    return CommandLine(overrides=overrides, **parts[CommandLine])


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
        convert=conv.attachments,
        smail=True,
        path=True,
    ),
    OptionSpec("priority", Kind.VALUE, "p", "priority", "1-9", convert=conv.priority, smail=True),
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
    OptionSpec("port", Kind.VALUE, long="port", metavar="N", convert=conv.port),
    OptionSpec("tls", Kind.VALUE, long="tls", metavar="|".join(conv.TLS), convert=conv.tls),
    OptionSpec("auth", Kind.VALUE, long="auth", metavar="MODE", convert=conv.auth),
    OptionSpec("user", Kind.VALUE, long="user", metavar="USER"),
    OptionSpec("allow_plaintext_auth", Kind.FLAG, long="allow-plaintext-auth"),
    OptionSpec("cafile", Kind.VALUE, long="cafile", metavar="PATH", path=True),
    OptionSpec("insecure", Kind.FLAG, long="insecure"),
    OptionSpec("no_chunking", Kind.FLAG, long="no-chunking"),
    OptionSpec("helo", Kind.VALUE, long="helo", metavar="NAME", convert=conv.helo),
    OptionSpec("timeout", Kind.VALUE, long="timeout", metavar="SEC", convert=conv.seconds),
    OptionSpec("proxy", Kind.VALUE, long="proxy", metavar="URL", convert=conv.proxy),
    OptionSpec("charset", Kind.VALUE, long="charset", metavar="CHARSET", convert=conv.charset),
    OptionSpec(
        "body_encoding", Kind.VALUE, long="body-encoding", metavar="ENC", convert=conv.encoding
    ),
    OptionSpec("html_file", Kind.VALUE, long="html", metavar="FILE", path=True),
    OptionSpec("reply_to", Kind.VALUE, long="reply-to", metavar="ADDR", append=True),
    OptionSpec(
        "headers",
        Kind.VALUE,
        long="header",
        metavar='"Name: value"',
        append=True,
        convert=conv.header,
    ),
    OptionSpec("config", Kind.VALUE, long="config", metavar="PATH", path=True),
    OptionSpec("account", Kind.VALUE, long="account", metavar="NAME"),
    OptionSpec("dry_run", Kind.FLAG, long="dry-run"),
    OptionSpec("lang", Kind.VALUE, long="lang", metavar="en|ja", convert=conv.lang),
    OptionSpec("version", Kind.FLAG, long="version"),
    OptionSpec("queue", Kind.FLAG, long="queue"),
    OptionSpec("flush", Kind.FLAG, long="flush"),
    OptionSpec("queue_list", Kind.FLAG, long="queue-list"),
    OptionSpec("retry", Kind.VALUE, long="retry", metavar="SEC", convert=conv.retry),
    OptionSpec("batch", Kind.VALUE, long="batch", metavar="FILE", path=True),
    OptionSpec("eml", Kind.VALUE, long="eml", metavar="FILE|-", path=True),
    OptionSpec("report", Kind.VALUE, long="report", metavar="FILE", path=True),
    OptionSpec("attach_dir", Kind.VALUE, long="attach-dir", metavar="DIR", path=True),
    OptionSpec("parallel", Kind.VALUE, long="parallel", metavar="N", convert=conv.parallel),
    OptionSpec(
        "completion",
        Kind.VALUE,
        long="completion",
        metavar="|".join(conv.SHELLS),
        convert=conv.shell,
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
    return _Parser(argv).parse()


class _Parser:
    """One pass over argv: `values` and `given` collect the options, `recipients` the rest."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = argv
        self.i = 0  # the next argument
        self.values: dict[str, Any] = {}
        self.given: set[str] = set()
        self.recipients: list[str] = []

    def parse(self) -> CommandLine:
        argv = self.argv
        positional_only = False
        while self.i < len(argv):
            arg = argv[self.i]
            self.i += 1
            if positional_only or not arg.startswith("-"):
                self.recipients.append(arg)
            elif arg == "--":
                positional_only = True
            elif arg.startswith("--"):
                self._long(arg)
            else:
                self._short(arg)
        self.values["recipients"] = tuple(self.recipients)
        if self.recipients:
            self.given.add("recipients")
        self.values["given"] = frozenset(self.given)
        return command_line(self.values)

    def _next_value(self) -> str | None:
        """The next argument, taken as this option's value; None at the end."""
        if self.i >= len(self.argv):
            return None
        self.i += 1
        return self.argv[self.i - 1]

    def _long(self, arg: str) -> None:
        name, eq, attached = arg[2:].partition("=")
        spec = _LONG.get(name)
        option = f"--{name}"
        if spec is None:
            raise UsageError(ErrCode.OPTION, "cli.unknown_option", option=arg)
        if spec.kind == Kind.FLAG:
            if eq:
                raise UsageError(ErrCode.OPTION, "cli.no_value_expected", option=option)
            self._store(spec, "", option)
            return
        if spec.kind == Kind.OPTIONAL or eq:
            self._store(spec, attached, option)
            return
        value = self._next_value()  # `--opt value`: the next argument is the value, always
        if value is None:
            raise _missing_value(spec, option)
        self._store(spec, value, option)

    def _short(self, arg: str) -> None:
        spec = _SHORT.get(arg[1:2])
        option, attached = arg[:2], arg[2:]
        if spec is None or (spec.kind == Kind.FLAG and attached):
            _unknown_short(arg)
        assert spec is not None  # for mypy: _unknown_short always raises
        if spec.kind != Kind.VALUE or attached:
            self._store(spec, attached, option)
        else:
            self._store(spec, self._spaced_value(spec, option), option)

    def _spaced_value(self, spec: OptionSpec, option: str) -> str:
        """The value of a bare `-x` that takes one: the next argument when it may be a value
        (then taken), "" when the option may be empty, else the error saying why."""
        argv = self.argv
        following = argv[self.i] if self.i < len(argv) else None
        if following is not None and _may_be_spaced_value(following):
            self.i += 1
            return following
        if spec.empty_ok:
            return ""  # -s"" reaches us as a bare -s
        if following is not None and not following.startswith("-"):
            raise UsageError(
                ErrCode.OPTION, "cli.value_not_attached", option=option, value=following
            )
        raise _missing_value(spec, option)

    def _store(self, spec: OptionSpec, raw: str, option: str) -> None:
        if spec.kind == Kind.VALUE and not raw.strip() and not spec.empty_ok:
            raise _missing_value(spec, option)
        if not spec.path:
            _check_text(raw, option)
        value: object = True if spec.kind == Kind.FLAG else raw
        if spec.convert:
            value = spec.convert(raw, option)
        if spec.append:
            items = value if isinstance(value, list) else [value]  # -aA,B adds two
            self.values[spec.field] = self.values.get(spec.field, ()) + tuple(items)
        else:
            self.values[spec.field] = value
        self.given.add(spec.field)


def _missing_value(spec: OptionSpec, option: str) -> UsageError:
    return UsageError(
        ErrCode.OPTION, "cli.missing_value", option=option, example=_example(spec, option)
    )


def _unknown_short(arg: str) -> None:
    """Raise the error for an unknown short option, with a hint when flags were bundled."""
    letters = arg[1:]
    flags = {s.short for s in OPTIONS if s.short and s.kind == Kind.FLAG}
    if len(letters) > 1 and all(c in flags for c in letters):
        split = " ".join(f"-{c}" for c in letters)
        raise UsageError(ErrCode.OPTION, "cli.bundled_flags", option=arg, split=split)
    raise UsageError(ErrCode.OPTION, "cli.unknown_option", option=arg)


def _check_table() -> None:
    """Every field of the records but those holding records, `recipients` and `given` has
    exactly one row."""
    held = ("overrides", "mode", "message", "recipients", "given")
    names = [name for name in _HOLDER if name not in held]
    rows = [spec.field for spec in OPTIONS]
    if sorted(names) != sorted(rows):  # pragma: no cover - guarded by a unit test
        raise RuntimeError("OPTIONS and CommandLine disagree")


_check_table()
