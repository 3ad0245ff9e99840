"""The `smail-sendmail` command: sendmail's command line (cli.sendmail_args), the sendmail
use-case (pysmail.app.submit), sysexits.h exit codes (pysmail.app.sysexits).

Every message and error goes to standard error as one line, `smail-sendmail: ...`, as
sendmail's do; standard output carries only what was asked for (--help, --version, -bp, -q).
"""

from __future__ import annotations

import os
import sys

from pysmail.app.context import Context
from pysmail.cli.guard import console, console_script

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import BinaryIO, TextIO

    from pysmail.cli.sendmail_args import SendmailArgs
    from pysmail.config.model import Settings
    from pysmail.config.overrides import Mode
    from pysmail.fs.pathtext import StrPath
    from pysmail.ui.output import Output

__all__ = ["NAME", "main", "run"]

NAME = "smail-sendmail"


def main(
    argv: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
) -> int:
    """Run smail-sendmail with `argv`, the message on `stdin`; return a sysexits.h code.
    Never raises, never prints a traceback."""
    from pysmail.app.guard import guarded
    from pysmail.app.sysexits import sysexit

    con = console(argv, environ, stdout, stderr)
    ctx = Context(con.err, con.env, os.getcwd() if cwd is None else cwd, con.lang)

    def say(block: str) -> None:
        con.err.line(one_line(block))

    def go() -> int:
        return _run(argv, ctx, con.out, stdin if stdin is not None else sys.stdin.buffer)

    return guarded(go, say=say, lang=con.lang, env=con.env, exit_code=sysexit)


run = console_script(main)


def one_line(block: str) -> str:
    """An ERR block (or any text) as sendmail prints an error: one line, named."""
    return f"{NAME}: " + " / ".join(line.strip() for line in block.splitlines() if line.strip())


def _run(argv: Sequence[str], ctx: Context, out: Output, stdin: BinaryIO) -> int:
    from pysmail.cli.sendmail_args import parse_sendmail_args

    args = parse_sendmail_args(argv)
    if args.action == "help":
        from pysmail import __version__
        from pysmail.messages import text

        out.line(text("sendmail.usage", ctx.lang, version=__version__))
        return 0
    if args.action == "version":
        from pysmail import __version__

        out.line(f"{NAME} (pysmail) {__version__}")
        return 0
    if args.action == "noop":
        return 0
    if args.action == "list":
        from pysmail.app.send import queue_lines

        for line in queue_lines(args.config, ctx, args.account):
            out.line(line)
        return 0
    if args.action == "flush":
        return _flush(args, ctx, out)
    from pysmail.app.submit import Submission, submit

    request = Submission(
        recipients=args.recipients,
        extract=args.extract,
        ignore_dots=args.ignore_dots,
        full_name=args.full_name,
        queue_only=args.queue_only,
    )
    from pysmail.config.overrides import Mode

    settings = _settings(args, ctx, Mode(eml="-"))
    return submit(settings, stdin, ctx, request, lambda s: ctx.out.line(one_line(s)))


def _settings(args: SendmailArgs, ctx: Context, mode: Mode) -> Settings:
    from pysmail.app.settings import load_settings
    from pysmail.config.model import MessageSettings
    from pysmail.config.overrides import Overrides

    message = MessageSettings(sender=args.sender)
    given = Overrides(debug=args.debug, lang=args.lang, mode=mode, message=message)
    return load_settings(given, args.config, ctx.env, ctx.cwd, args.account)


def _flush(args: SendmailArgs, ctx: Context, out: Output) -> int:
    """-q: what is due in the outbox, sent as `smail --flush` does (its report on stdout)."""
    from pysmail.app.send import execute, prepare
    from pysmail.app.sysexits import sysexit_of_code
    from pysmail.config.overrides import Mode

    run_ctx = Context(out, ctx.env, ctx.cwd, ctx.lang)
    mode = Mode(flush=True)
    settings = _settings(args, ctx, mode)
    return sysexit_of_code(execute(prepare(settings, mode, run_ctx), run_ctx))
