"""`smail-token` command line (argparse: this is not SMAIL's syntax, so the usual GNU style).

smail-token [--lang en|ja] login [--provider microsoft|google|generic] [--user ADDR]
            [--client-id ID] [--client-secret-file PATH | --public] [--issuer URL]
            [--auth-url URL] [--token-url URL] [--device-url URL] [--tenant T] [--scope S]...
            [--redirect-uri URI] [--port N] [--prompt P] [--no-browser] [--device | --app-only]
            [--certificate PEM [--private-key KEY]]
            [--timeout S] [--wait S] [--file PATH] [--account NAME] [--cafile PATH]
            [--proxy URL] [--keyring]
smail-token status [--file PATH]... [--account NAME] [--offline]
smail-token check [--file PATH] [--config smail.ini] [--account NAME] [--server HOST]
            [--port N] [--tls starttls|smtps|none] [--cafile PATH] [-d]
smail-token revoke|logout [--file PATH] [--account NAME]
smail-token access-token [--file PATH] [--account NAME] [--user ADDR]
            [--sasl xoauth2|oauthbearer]
smail-token setup [--port N] [--idle MINUTES] [--no-browser] [--account NAME]

--account NAME: the token file (and, for check and setup, the settings) of smail.ini's
[account NAME] section (docs/settings.md 3a); --file, when given too, names the token file.

The client secret never comes from argv: a hidden prompt, --client-secret-file, or
SMAIL_CLIENT_SECRET. A certificate (--app-only --certificate) is named by its file path only.
Every help text, in English and Japanese, is in catalog/token_help.json (help_ids says which).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import NoReturn

from pysmail.catalog import CATALOGUE
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, text
from pysmail.text.wrap import wrap

__all__ = ["PROVIDERS", "build_parser", "help_ids", "parse_args"]

PROVIDERS = ("microsoft", "google", "generic")


class _Parser(argparse.ArgumentParser):
    lang: Lang = "en"  # the language of --help (set by _localize)

    def error(self, message: str) -> NoReturn:
        raise UsageError(ErrCode.OPTION, "token.bad_args", detail=f"{self.prog}: {message}")

    def _get_formatter(self) -> argparse.HelpFormatter:
        return _Formatter(self.prog, text("token.help.argparse.usage", self.lang))


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the `usage: ` prefix in the help's language, wrapping by
    terminal columns (a Japanese character takes two: text.wrap)."""

    def __init__(self, prog: str, usage_prefix: str) -> None:
        super().__init__(prog)
        self._usage_prefix = usage_prefix

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, self._usage_prefix if prefix is None else prefix)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def _account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", metavar="NAME")


def build_parser(lang: Lang = "en") -> _Parser:
    """The smail-token argument parser (also the source of its man page), its help texts in
    `lang` (catalog/token_help.json)."""
    return _localize(_parser(lang), lang, None)


def _parser(lang: Lang) -> _Parser:
    top = _Parser(prog="smail-token", description=text("token.help.description", lang))
    top.add_argument("--lang", choices=("en", "ja"))
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str) -> _Parser:
        """A subcommand, listed with its line of help; `--lang` is taken after it too."""
        parser = sub.add_parser(name, help=text(f"token.help.command.{name}", lang))
        parser.add_argument("--lang", choices=("en", "ja"), default=argparse.SUPPRESS)
        return parser

    login = command("login")
    login.add_argument("--provider", choices=PROVIDERS, default="microsoft")
    login.add_argument("--user")
    login.add_argument("--client-id")
    login.add_argument("--client-secret-file", metavar="PATH")
    login.add_argument("--public", action="store_true")
    login.add_argument("--issuer")
    login.add_argument("--auth-url")
    login.add_argument("--token-url")
    login.add_argument("--device-url")
    login.add_argument("--tenant")
    login.add_argument("--scope", action="append")
    login.add_argument("--redirect-uri")
    login.add_argument("--port", type=_port)
    login.add_argument("--prompt")
    login.add_argument("--no-browser", action="store_true")
    mode = login.add_mutually_exclusive_group()
    mode.add_argument("--device", action="store_true")
    mode.add_argument("--app-only", action="store_true")
    login.add_argument("--certificate", metavar="PEM")
    login.add_argument("--private-key", metavar="KEY")
    login.add_argument("--timeout", type=_positive, default=30.0)
    login.add_argument("--wait", type=_positive)
    login.add_argument("--cafile")
    login.add_argument("--proxy")
    login.add_argument("--file", metavar="PATH")
    _account(login)
    login.add_argument("--keyring", action="store_true")

    status = command("status")
    status.add_argument("--file", metavar="PATH", action="append")
    _account(status)
    status.add_argument("--offline", action="store_true")

    check = command("check")
    check.add_argument("--file", metavar="PATH")
    check.add_argument("--config", metavar="PATH")
    _account(check)
    check.add_argument("--server")
    check.add_argument("--port", type=_port)
    check.add_argument("--tls", choices=("starttls", "smtps", "none"))
    check.add_argument("--cafile")
    check.add_argument("-d", "--debug", action="store_true")

    for name in ("revoke", "logout"):
        cmd = command(name)
        cmd.add_argument("--file", metavar="PATH")
        _account(cmd)

    access = command("access-token")
    access.add_argument("--file", metavar="PATH")
    _account(access)
    access.add_argument("--user")
    access.add_argument("--sasl", choices=("xoauth2", "oauthbearer"))

    setup = command("setup")
    setup.add_argument("--port", type=_port)
    setup.add_argument("--idle", type=_positive, default=15.0, metavar="MINUTES")
    setup.add_argument("--no-browser", action="store_true")
    _account(setup)
    return top


def _localize(parser: _Parser, lang: Lang, command: str | None) -> _Parser:
    """Every help text of `parser` (and of its subcommands) from the catalogue (help_ids), and
    argparse's headings in `lang`."""
    parser.lang = lang
    parser._positionals.title = text("token.help.argparse.positionals", lang)
    parser._optionals.title = text("token.help.argparse.options", lang)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _localize(sub, lang, name)
        found = next((i for i in help_ids(command, action.dest) if i in CATALOGUE), None)
        if found is not None:
            action.help = text(found, lang).replace("%", "%%")  # argparse %-formats help
    return parser


def help_ids(command: str | None, dest: str) -> list[str]:
    """The catalogue ids of an option's help, the first one found wins: the command's own
    (`token.help.login.port`), then the one its commands share (`token.help.file`)."""
    shared = f"token.help.{dest}"
    return [f"token.help.{command}.{dest}", shared] if command else [shared]


def parse_args(argv: Sequence[str], lang: Lang = "en") -> argparse.Namespace:
    """The parsed command line (`--help` in `lang`).

    Raises: UsageError(OPTION, "token.secret_in_argv") when a secret option is on the command
    line (checked before argparse, whose messages would quote it); UsageError(OPTION,
    "token.bad_args") for anything argparse refuses.
    """
    for arg in argv:
        if arg.split("=", 1)[0] in ("--client-secret", "--secret", "--client_secret"):
            raise UsageError(ErrCode.OPTION, "token.secret_in_argv")
    return build_parser(lang).parse_args(list(argv))


def help_text(lang: Lang = "en") -> str:
    return build_parser(lang).format_help()
