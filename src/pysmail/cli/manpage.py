"""Man pages in roff (the `man` macros), built from the definitions behind --help.

smail.1 comes from the OPTIONS table of cli.smail_args and the English catalogue texts (the same
sources as `smail -?`); any argparse-based command (smail-token) gets its page from its parser.
The output is plain ASCII (other characters become `\\[uXXXX]`), so `man -l` renders it with no
preprocessor and no warning on any groff or mandoc.

    python -m pysmail.cli.manpage smail > smail.1
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pysmail import __version__
from pysmail.cli.roff import bold, header, italic, manpage_date, paragraphs, roff_code, roff_text
from pysmail.cli.smail_args import OPTIONS, Kind, OptionSpec
from pysmail.messages import text

if TYPE_CHECKING:
    import argparse

__all__ = ["PAGES", "argparse_manpage", "main", "smail_manpage"]


# --- smail.1 ----------------------------------------------------------------------------------


def _option_label(spec: OptionSpec) -> str:
    """`-h<host>, --host <host>` in roff fonts (the same shapes as usage.option_label)."""
    parts = []
    if spec.short:
        if spec.kind == Kind.VALUE:
            parts.append(bold(f"-{spec.short}") + italic(spec.metavar))
        elif spec.kind == Kind.OPTIONAL:
            parts.append(bold(f"-{spec.short}") + "[" + italic(spec.metavar) + "]")
        else:
            parts.append(bold(f"-{spec.short}"))
    if spec.long:
        if spec.kind == Kind.FLAG:
            parts.append(bold(f"--{spec.long}"))
        elif spec.kind == Kind.OPTIONAL:
            parts.append(bold(f"--{spec.long}") + "[=" + italic(spec.metavar) + "]")
        else:
            parts.append(bold(f"--{spec.long}") + " " + italic(spec.metavar))
    return ", ".join(parts)


def _synopsis_item(spec: OptionSpec) -> str:
    flag = bold(f"-{spec.short}")
    if spec.kind == Kind.VALUE:
        return f"[{flag}{italic(spec.metavar)}]"
    if spec.kind == Kind.OPTIONAL:
        return f"[{flag}[{italic(spec.metavar)}]]"
    return f"[{flag}]"


_SMAIL_DESCRIPTION = """\
smail sends one mail message through an SMTP server: a subject, a body from a file or from the \
command line, attachments, and any number of To, Cc and Bcc recipients. It reads the command line \
of SMAIL, the Windows command-line mailer, and exits with SMAIL's error numbers, printing the \
matching ERR-xxxx line; pysmail adds long options, verified TLS, SMTP AUTH (including OAuth 2.0 \
with XOAUTH2 and OAUTHBEARER) and Japanese MIME.

Settings come from three layers, each overriding the one before: the built-in defaults, the \
settings file smail.ini, and the command line. Passwords never come from the command line: \
smail.ini names a password command, the system keyring, or (in a file private to its owner) the \
password itself."""

_SMAIL_RULES = """\
Option letters are case-sensitive: -f (sender) and -F (body file), -s and -S, -t and -T differ. \
Options and recipients may come in any order; every argument that does not start with - is a \
recipient argument, and -- ends the options.

A value belongs attached to its flag, as in SMAIL (-hsmtp.example.com, -s"Subject"). A value in \
the next argument is accepted only when that argument cannot be a recipient: it must not start \
with - and must not contain @. A bare -s or -T is an empty subject or body. Flags cannot be \
bundled: write -d -i, not -di.

Long options take --name value or --name=value, written in full. A repeated option keeps its last \
value, except -a, --to, --cc, --bcc, --reply-to and --header, which add each time."""

_SMAIL_FILES: tuple[tuple[str, str], ...] = (
    (
        "smail.ini",
        "The settings file. The first one found is used: --config PATH; the file named by the "
        "environment variable SMAIL_CONFIG; smail.ini in the current folder; smail.ini beside the "
        "smail command (the folder of the command run: the scripts folder of a pip or pipx "
        "install; with python -m pysmail, that Python's scripts folder); smail.ini in the user "
        "settings folder: %APPDATA%\\pysmail on Windows, ~/Library/Application Support/pysmail "
        "on macOS, $XDG_CONFIG_HOME/pysmail or ~/.config/pysmail elsewhere. Without one, "
        "everything comes from the command line. -i shows which file was used.",
    ),
    (
        "smail_refreshtoken.ini",
        "The OAuth 2.0 token file of SMAIL's SmailRefreshToken, written by smail-token login "
        "and used with auth = OAUTH-XOAUTH2: the file named by oauth_token_file in smail.ini, "
        "else the one beside smail.ini, else the one in the current folder, else the one in the "
        "user settings folder. smail rewrites it when the provider rotates the refresh token; "
        "smail_refreshtoken.ini.cache and smail_refreshtoken.ini.lock beside it hold the access "
        "token cache and the lock shared by concurrent runs.",
    ),
)

_SMAIL_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("SMAIL_CONFIG", "Path of the settings file, used when --config is not given."),
    (
        "LANGUAGE, LC_ALL, LC_MESSAGES, LANG",
        "The first one set chooses the language of the messages: a value starting with ja gives "
        "Japanese, anything else English. --lang overrides them; on Windows, without them, the "
        "user interface language decides.",
    ),
    (
        "XDG_CONFIG_HOME, APPDATA",
        "Where the user settings folder is (see FILES).",
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, NO_PROXY",
        "Proxy for the requests to the OAuth token endpoint, unless Proxy= in "
        "smail_refreshtoken.ini names one.",
    ),
)

_SMAIL_EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "Send a text file with two attachments to one recipient, a Cc and a Bcc, showing the "
        "settings and the SMTP dialogue:",
        'smail -hsmtp.example.com -fme@example.com -s"Monthly report" -Freport.txt \\\n'
        "      -areport.pdf,data.xlsx -d -i \\\n"
        "      boss@example.com,CC:team@example.com,BCC:archive@example.com",
    ),
    (
        "Print the message that would be sent, without connecting:",
        'smail -fme@example.com -s"Test" -T"Hello" you@example.com --dry-run',
    ),
    (
        "In a Windows batch file, act on the exit code:",
        'smail -s"Backup done" -Flog.txt admin@example.com\nif %ERRORLEVEL% neq 0 echo failed',
    ),
)

_SMAIL_SEE_ALSO = "smail-token(1); docs/settings.md, docs/oauth.md and the guides in docs/guides/."


def _definition_list(items: Sequence[tuple[str, str]], *, code: bool) -> list[str]:
    lines = []
    for term, body in items:
        label = ", ".join(bold(t.strip()) for t in term.split(",")) if code else roff_text(term)
        lines.extend([".TP", label, roff_text(body)])
    return lines


def smail_manpage(*, date: str | None = None) -> str:
    """smail.1: NAME, SYNOPSIS, DESCRIPTION, OPTIONS (from OPTIONS and the English catalogue),
    RECIPIENTS, COMMAND-LINE RULES, FILES, ENVIRONMENT, EXIT STATUS (the ERR titles), EXAMPLES."""
    summary = text("cli.usage.title", "en", version=__version__).partition(" - ")[2]
    lines = header("smail", date or manpage_date())
    lines.append(f"smail \\- {roff_text(summary)}")
    lines += _smail_synopsis()
    lines += [".SH DESCRIPTION", *paragraphs(_SMAIL_DESCRIPTION)]
    lines += _smail_options()
    lines += [".SH RECIPIENTS", *paragraphs(text("cli.usage.recipients", "en"))]
    lines += [".SH COMMAND-LINE RULES", *paragraphs(_SMAIL_RULES)]
    lines += [".SH FILES", *_definition_list(_SMAIL_FILES, code=True)]
    lines += [".SH ENVIRONMENT", *_definition_list(_SMAIL_ENVIRONMENT, code=True)]
    lines += _exit_status()
    lines += _smail_examples()
    lines += [".SH NOTES", roff_text(text("cli.usage.footer", "en"))]
    lines += [".SH SEE ALSO", roff_text(_SMAIL_SEE_ALSO)]
    return "\n".join(lines) + "\n"


def _smail_synopsis() -> list[str]:
    lines = [".SH SYNOPSIS", ".in +6n", ".ti -6n", bold("smail")]
    lines.append(" ".join(_synopsis_item(s) for s in OPTIONS if s.smail and s.short != "?"))
    lines.append("[" + italic("option") + " ...]")
    lines.append(
        italic("recipient")
        + "[,"
        + bold("CC:")
        + italic("recipient")
        + ","
        + bold("BCC:")
        + italic("recipient")
        + " ...] ..."  # fmt: skip
    )
    lines += [".ti -6n", bold("smail") + " " + bold("-?") + " | " + bold("--version"), ".in"]
    return lines


def _smail_options() -> list[str]:
    """OPTIONS: SMAIL's own, then pysmail's, each under the heading of `smail -?`."""
    lines = [".SH OPTIONS"]
    for heading, smail in (("cli.usage.smail_heading", True), ("cli.usage.extra_heading", False)):
        title, _, note = text(heading, "en").rstrip(":").partition(" (")
        lines.append(f'.SS "{roff_text(title)}"')
        if note:  # "(the value is attached to the flag: ...)" -> a sentence under the heading
            note = note.removesuffix(")")
            lines += [".PP", roff_text(note[:1].upper() + note[1:] + ".")]
        for spec in OPTIONS:
            if spec.smail is smail:
                lines += [".TP", _option_label(spec), roff_text(text(spec.help_id, "en"))]
    return lines


def _exit_status() -> list[str]:
    """EXIT STATUS: every ERR number with its title."""
    from pysmail.catalog import TITLES
    from pysmail.exitcodes import ErrCode

    lines = [".SH EXIT STATUS"]
    lines.append(
        roff_text(
            "The exit status is the ERR number; on failure smail prints ERR-xxxx: and the title "
            "below on standard output, then the cause (nothing with -S). 0-22 and 28 are "
            "SMAIL's own numbers."
        )
    )
    for code in ErrCode:
        lines += [".TP", f"\\fB{int(code)}\\fR", roff_text(TITLES[code][0])]
    return lines


def _smail_examples() -> list[str]:
    lines = [".SH EXAMPLES"]
    for intro, command in _SMAIL_EXAMPLES:
        lines += [".PP", roff_text(intro), ".PP", ".RS 4", ".nf"]
        lines += [roff_code(line) for line in command.split("\n")]
        lines += [".fi", ".RE"]
    return lines


# --- any argparse command (smail-token) ------------------------------------------------------


def _usage_line(parser: argparse.ArgumentParser) -> str:
    usage = " ".join(parser.format_usage().split())  # independent of COLUMNS
    return usage.removeprefix("usage:").strip()


def _action_label(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """`-o FILE, --output FILE` / `name`, in roff fonts."""
    if not action.option_strings:
        return italic(action.metavar if isinstance(action.metavar, str) else action.dest)
    invocation = parser._get_formatter()._format_action_invocation(action)
    pieces = []
    for part in invocation.split(", "):
        name, _, meta = part.partition(" ")
        pieces.append(bold(name) + (" " + italic(meta) if meta else ""))
    return ", ".join(pieces)


def _argparse_arguments(
    parser: argparse.ArgumentParser, *, with_help: bool = True
) -> tuple[list[str], list[str]]:
    """(positional items, option items) of one parser, as .TP entries; subcommands excluded.
    `with_help=False` leaves out -h/--help (said once, on the main page)."""
    import argparse

    formatter = parser._get_formatter()
    positionals: list[str] = []
    optionals: list[str] = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
            continue
        if not with_help and isinstance(action, argparse._HelpAction):
            continue
        item = [".TP", _action_label(parser, action)]
        help_text = " ".join(formatter._expand_help(action).split()) if action.help else ""
        if help_text:
            item.append(roff_text(help_text))
        (optionals if action.option_strings else positionals).extend(item)
    return positionals, optionals


def _subcommands(
    parser: argparse.ArgumentParser,
) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of each subcommand, in definition order."""
    import argparse

    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # aliases map to the same parser
                    continue
                seen.add(id(sub))
                found.append((name, helps.get(name, ""), sub))
    return found


def argparse_manpage(
    parser: argparse.ArgumentParser,
    *,
    summary: str,
    name: str | None = None,
    date: str | None = None,
    sections: Sequence[tuple[str, str]] = (),
    see_also: str = "smail(1)",
) -> str:
    """A man page from an argparse parser (and its subcommands, one subsection each).

    `summary`: the NAME line's text after the dash. `sections`: extra (TITLE, text) sections put
    before SEE ALSO, in the catalogue-text form (blank line: new paragraph; leading spaces:
    an example kept as typed).
    """
    prog = name or parser.prog
    lines = header(prog, date or manpage_date())
    lines.append(f"{roff_code(prog)} \\- {roff_text(summary)}")
    subs = _subcommands(parser)
    lines += _argparse_synopsis([parser] + [sub for _, _, sub in subs])
    positionals, optionals = _argparse_arguments(parser)
    lines += _section("DESCRIPTION", paragraphs(parser.description or ""))
    lines += _section("ARGUMENTS", positionals)
    lines += _section("OPTIONS", optionals)
    lines += _section("COMMANDS", _commands(subs))
    lines += _section("NOTES", paragraphs(parser.epilog or ""))
    for title, body in sections:
        lines += [f'.SH "{roff_text(title.upper())}"', *paragraphs(body)]
    lines += [".SH SEE ALSO", roff_text(see_also)]
    return "\n".join(lines) + "\n"


def _section(title: str, body: list[str]) -> list[str]:
    """A section with its title; nothing when it has no lines."""
    return [f".SH {title}", *body] if body else []


def _argparse_synopsis(parsers: list[argparse.ArgumentParser]) -> list[str]:
    lines = [".SH SYNOPSIS", ".in +4n"]  # a wrapped usage line is indented under its first
    for parser in parsers:
        lines += [".ti -4n", roff_code(_usage_line(parser))]
    lines.append(".in")
    return lines


def _commands(subs: list[tuple[str, str, argparse.ArgumentParser]]) -> list[str]:
    """One subsection for each subcommand: its usage, what it does, its arguments."""
    lines: list[str] = []
    for sub_name, sub_help, sub in subs:
        lines += [f".SS {roff_code(sub_name)}", roff_code(_usage_line(sub))]
        about = sub.description or sub_help
        if about:
            lines += paragraphs(about)
        sub_positionals, sub_optionals = _argparse_arguments(sub, with_help=False)
        lines += sub_positionals + sub_optionals
    return lines


# --- python -m pysmail.cli.manpage ------------------------------------------------------------


def smail_token_manpage() -> str:
    """smail-token.1, from the same argparse parser as `smail-token --help`."""
    from pysmail.cli.token_args import build_parser

    return argparse_manpage(
        build_parser(), summary="get and keep OAuth 2.0 tokens for smail", name="smail-token"
    )


# The pages this module can write: each from the definitions its --help comes from.
PAGES: dict[str, Callable[[], str]] = {"smail": smail_manpage, "smail-token": smail_token_manpage}


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pysmail.cli.manpage PAGE`: write the page to standard output (ASCII)."""
    import argparse

    cli = argparse.ArgumentParser(
        prog="python -m pysmail.cli.manpage", description="Write a man page in roff."
    )
    cli.add_argument("page", choices=sorted(PAGES))
    args = cli.parse_args(argv)
    sys.stdout.write(PAGES[args.page]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
