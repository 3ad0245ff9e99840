"""The `smail-token` command: login, status, check, revoke/logout, access-token, setup.

Parses the command line and calls the use-case of pysmail.app.token. Like smail's main: one guard
turns every error into `ERR-xxxx` + the fix (on stderr here, so that `access-token` output stays
clean) and the exit code; every line shown passes through one Scrubber that knows the client
secret and every token seen. Exit codes: 0 OK, 0017 bad command line, 0028 any token or login
failure, the SMTP codes (0008, 0023-0026, 0029...) for `check`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pysmail.app.token.context import TokenContext
from pysmail.cli.guard import console, console_script
from pysmail.exitcodes import ErrCode

if TYPE_CHECKING:
    import argparse

    from pysmail.oauth.http import HttpPort

__all__ = ["main", "run"]


def main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    interactive: bool | None = None,
    browser: Callable[[str], bool] | None = None,
    http: HttpPort | None = None,
) -> int:
    """Run smail-token with `argv`; return the exit code. Never raises, never a traceback.

    `interactive` None: prompts only when stdin is a terminal. `browser` None: `webbrowser`.
    """
    from pysmail.app.guard import guarded

    con = console(argv, environ, stdout, stderr)
    source = stdin if stdin is not None else sys.stdin
    if interactive is None:
        try:
            interactive = stdin is None and sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, ValueError):
            interactive = False
    where = Path.cwd() if cwd is None else Path(cwd)
    ctx = TokenContext(
        con.out, con.err, con.env, where, con.lang, source, interactive, browser, http
    )
    return guarded(lambda: _run(argv, ctx), say=con.err.line, lang=con.lang, env=con.env)


run = console_script(main)


def _run(argv: Sequence[str], ctx: TokenContext) -> int:
    from pysmail.cli.token_args import parse_args

    opts = parse_args(argv, ctx.lang)
    if getattr(opts, "account", None) is not None:
        from pysmail.record import replace

        ctx = replace(ctx, account=opts.account)
    command = {
        "login": _login,
        "status": _status,
        "check": _check,
        "revoke": _revoke,
        "logout": _revoke,
        "access-token": _access_token,
        "setup": _setup,
    }[opts.command]
    command(opts, ctx)
    return int(ErrCode.OK)


def _login(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.app.token.login import login

    login(opts, ctx)


def _status(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.app.token.status import status

    status(opts.file, ctx, offline=opts.offline)


def _check(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.app.token.check import SmtpTarget, check

    target = SmtpTarget(opts.config, opts.server, opts.port, opts.tls, opts.cafile)
    check(opts.file, target, ctx, debug=opts.debug)


def _revoke(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.app.token.revoke import revoke

    revoke(opts.file, ctx, logout=opts.command == "logout")


def _access_token(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.app.token.check import access_token

    access_token(opts.file, ctx, sasl=opts.sasl, user=opts.user)


def _setup(opts: argparse.Namespace, ctx: TokenContext) -> None:
    from pysmail.setup.serve import setup

    setup(ctx, port=opts.port, idle=opts.idle, browser=not opts.no_browser)
