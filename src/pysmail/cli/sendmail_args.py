"""smail-sendmail's command line, read as sendmail(1) reads it: getopt-style short options
(grouped `-ti`, values attached `-fADDR` or apart `-f ADDR`), options and recipients in any
order until `--`, a few long options of pysmail's own.

What the programs that call sendmail pass (cron, mailx, git send-email, PHP's mail(), mutt) is
accepted; what only configures a real MTA is accepted and ignored as Postfix's sendmail does;
the modes smail-sendmail has not (a daemon, SMTP on stdin, address tests) are refused.
docs/sendmail.md has the table; docs/decisions.md D36 why.
"""

from __future__ import annotations

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["SendmailArgs", "parse_sendmail_args"]

# Short options that take a value (attached, or the next argument), as Postfix's getopt string.
_VALUED = frozenset("ABCFLNORVXbefhopr")
# Flags: -t and -i mean something; the others are accepted and ignored.
_FLAGS = frozenset("GIUimntv")
# -b modes: m (deliver: the default), p (list the queue), i (rebuild aliases: nothing to do).
_MODES = {"m": "send", "p": "list", "i": "noop"}
_LONG_VALUED = ("account", "config", "lang")
# Flags that set a field, and valued options whose value is kept.
_SETS = {"t": ("extract", True), "i": ("ignore_dots", True), "I": ("action", "noop")}
_KEEPS = {"f": "sender", "r": "sender", "F": "full_name", "C": "config"}


@record
class SendmailArgs:
    """The parsed command line; `action` is send, list (-bp), flush (-q), noop (-bi, -I),
    help or version."""

    action: str = "send"
    recipients: tuple[str, ...] = ()
    extract: bool = False  # -t
    ignore_dots: bool = False  # -i, -oi
    sender: str | None = None  # -f, -r
    full_name: str | None = None  # -F
    queue_only: bool = False  # -odq
    config: str | None = None  # -C, --config
    account: str | None = None  # --account
    lang: str | None = None  # --lang
    debug: bool = False  # --debug


class _Builder:
    """The values as the options are read (a mutable record under construction)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.recipients: list[str] = []

    def option(self, letter: str, value: str | None) -> None:
        """One short option (with its value when it takes one)."""
        if letter in _SETS:
            name, fixed = _SETS[letter]
            self.values[name] = fixed
        elif letter in _KEEPS:
            self.values[_KEEPS[letter]] = value
        elif letter == "b":
            self._mode(value or "")
        elif letter == "o":
            self._o(value or "")
        # the rest (-B, -N, -R, -V, -L, -h, -O, -X, -p, -e, -A, -v, -m, -n, -G, -U): ignored

    def _mode(self, value: str) -> None:
        action = _MODES.get(value)
        if action is None:
            raise UsageError(ErrCode.OPTION, "sendmail.unsupported", option=f"-b{value}")
        if action != "send":
            self.values["action"] = action

    def _o(self, value: str) -> None:
        if value == "i":
            self.values["ignore_dots"] = True
        elif value == "dq":
            self.values["queue_only"] = True

    def queue_run(self, arg: str) -> None:
        """-q: send the outbox; -q with a value (an interval, -qR...) would be a daemon."""
        if arg != "-q":
            raise UsageError(ErrCode.OPTION, "sendmail.queue_interval", option=arg)
        self.values["action"] = "flush"

    def long(self, name: str, value: str | None) -> None:
        if name in ("help", "version"):
            self.values["action"] = name
        elif name == "debug":
            self.values["debug"] = True
        else:
            self.values[name] = value

    def result(self) -> SendmailArgs:
        return SendmailArgs(recipients=tuple(self.recipients), **self.values)  # type: ignore[arg-type]


def parse_sendmail_args(argv: Sequence[str]) -> SendmailArgs:
    """Read sendmail's command line.

    Raises: UsageError(OPTION, "sendmail.unknown_option" | "sendmail.missing_value" |
    "sendmail.unsupported" | "sendmail.queue_interval").
    """
    built = _Builder()
    args = iter(argv)
    for arg in args:
        if arg == "--":
            built.recipients.extend(args)
        elif arg.startswith("--"):
            _long(arg, args, built)
        elif arg.startswith("-q"):
            built.queue_run(arg)
        elif arg.startswith("-") and arg != "-":
            _short_group(arg, args, built)
        else:
            built.recipients.append(arg)
    return built.result()


def _long(arg: str, rest: Iterator[str], built: _Builder) -> None:
    name, eq, value = arg[2:].partition("=")
    if name in _LONG_VALUED:
        if not eq:
            value = _next_value(rest, arg)
        built.long(name, value)
    elif name in ("help", "version", "debug") and not eq:
        built.long(name, None)
    else:
        raise UsageError(ErrCode.OPTION, "sendmail.unknown_option", option=arg)


def _short_group(arg: str, rest: Iterator[str], built: _Builder) -> None:
    """`-ti`, `-fADDR`, `-f ADDR`, `-oi`, `-odq`: flags, then at most one valued option."""
    i = 1
    while i < len(arg):
        letter = arg[i]
        if letter in _VALUED:
            value = arg[i + 1 :] or _next_value(rest, f"-{letter}")
            built.option(letter, value)
            return
        if letter not in _FLAGS:
            raise UsageError(ErrCode.OPTION, "sendmail.unknown_option", option=f"-{letter}")
        built.option(letter, None)
        i += 1


def _next_value(rest: Iterator[str], option: str) -> str:
    value = next(rest, None)
    if value is None:
        raise UsageError(ErrCode.OPTION, "sendmail.missing_value", option=option)
    return value
