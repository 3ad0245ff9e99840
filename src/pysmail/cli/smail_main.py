"""The `smail` command: parse the command line, call the send use-case (pysmail.app.send), print.

Help, version, shell completion, --setup and --queue-list are answered here; everything else is
settings (pysmail.app.settings) -> pysmail.app.send.prepare -> the -i block -> execute.
"""

from __future__ import annotations

import os

from pysmail import __version__
from pysmail.app.context import Context
from pysmail.cli.guard import console, console_script
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TextIO

    from pysmail.app.send import Prepared
    from pysmail.cli.smail_args import CommandLine
    from pysmail.fs.pathtext import StrPath

__all__ = ["main", "run"]


def main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
) -> int:
    """Run smail with `argv`; return the exit code. Never raises, never prints a traceback."""
    from pysmail.app.guard import guarded

    con = console(argv, environ, stdout, None)  # errors go to standard output, as SMAIL's
    ctx = Context(con.out, con.env, os.getcwd() if cwd is None else cwd, con.lang)
    say = None if "-S" in argv else con.out.line
    return guarded(lambda: _run(argv, ctx), say=say, lang=con.lang, env=con.env)


run = console_script(main)


def _run(argv: Sequence[str], ctx: Context) -> int:
    from pysmail.cli.smail_args import parse_args

    cmd = parse_args(argv)
    answered = _tool(cmd, ctx)
    if answered is not None:
        return answered
    from pysmail.app.send import execute, prepare
    from pysmail.app.settings import load_settings

    given = cmd.overrides
    settings = load_settings(given, cmd.config, ctx.env, ctx.cwd, cmd.account)
    prepared = prepare(settings, given.mode, ctx)
    if settings.info and prepared.spec is not None:
        _info(prepared, ctx)
    return execute(prepared, ctx)


def _tool(cmd: CommandLine, ctx: Context) -> int | None:
    """--help, --version, --completion, --setup and --queue-list: answered without sending."""
    out, lang = ctx.out, ctx.lang
    if cmd.help:
        from pysmail.cli.usage import usage_text

        out.line(usage_text(lang))
    elif cmd.version:
        out.line(f"smail (pysmail) {__version__}")
    elif cmd.completion is not None:
        from pysmail.cli.completion import completion_script

        out.stream.write(completion_script(cmd.completion, lang))
    elif cmd.setup:  # SMAIL's settings screen: the same page as `smail-token setup`
        from pysmail.cli.token_main import main as token_main

        account = [] if cmd.account is None else ["--account", cmd.account]
        return token_main(
            ["--lang", lang, "setup", *account], stdout=out.stream, environ=ctx.env, cwd=ctx.cwd
        )
    elif cmd.queue_list:  # needs no server, only the outbox folder
        from pysmail.app.send import queue_lines

        for line in queue_lines(cmd.config, ctx, cmd.account):
            out.line(line)
    else:
        return None
    return int(ErrCode.OK)


def _info(prepared: Prepared, ctx: Context) -> None:
    """-i: the block describing the message and the connection, before anything is sent."""
    from pysmail.cli.info import info_block

    settings = prepared.settings
    spec, recipients = prepared.single()
    oauth_file = None
    if settings.auth.enabled and settings.auth.token_from_file:
        from pysmail.app.settings import token_file

        oauth_file = token_file(settings, ctx.env, ctx.cwd)
    out = ctx.out
    out.line(info_block(settings, spec, recipients, ctx.lang, oauth_file))
