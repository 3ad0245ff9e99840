"""`smail-token login`: sign in and save the token file."""

from __future__ import annotations

from pysmail.app.token.files import http_port, token_path

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import TextIO

    from pysmail.app.token.context import TokenContext
    from pysmail.oauth.login import LoginOptions

__all__ = ["login", "open_browser"]


def _pasted_reader(stream: TextIO | None) -> Callable[[], str | None] | None:
    """A non-blocking view of lines pasted on stdin (a daemon thread reads them)."""
    if stream is None:
        return None
    import queue
    import threading

    lines: queue.Queue[str] = queue.Queue()

    def reader() -> None:
        try:
            for line in stream:
                if "code=" in line or "error=" in line:
                    lines.put(line.strip())
        except (OSError, ValueError):
            pass

    threading.Thread(target=reader, daemon=True).start()

    def poll() -> str | None:
        try:
            return lines.get_nowait()
        except queue.Empty:
            return None

    return poll


def open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except Exception:  # noqa: BLE001 - no browser is a normal case (SSH, no display)
        return False


def login_options(opts: argparse.Namespace) -> LoginOptions:
    """The `login` command line as the use-case's options: each field is the option of its name
    (argparse's dest), --scope's list made a tuple."""
    from pysmail.oauth.login import LoginOptions
    from pysmail.record import record_fields

    given = {name: getattr(opts, name) for name in record_fields(LoginOptions)}
    return LoginOptions(**{**given, "scope": tuple(opts.scope or ())})


def login(opts: argparse.Namespace, ctx: TokenContext) -> None:
    import getpass

    from pysmail.oauth.login import Console, run_login

    def ask(prompt: str) -> str:
        ctx.err.prompt(prompt)
        return ctx.stdin.readline() if ctx.stdin is not None else ""

    def ask_secret(prompt: str) -> str:
        return getpass.getpass(prompt, stream=ctx.err.stream)

    console = Console(
        say=ctx.out.line,
        text=ctx.text,
        scrubber=ctx.out.scrubber,
        ask=ask if ctx.interactive else None,
        ask_secret=ask_secret if ctx.interactive else None,
        open_browser=ctx.browser or open_browser,
        pasted=_pasted_reader(ctx.stdin),
        language=ctx.lang,
    )
    path = token_path(opts.file, ctx, for_write=True)
    http = http_port(ctx, None, proxy=opts.proxy, cafile=opts.cafile)
    run_login(login_options(opts), path, console, http, ctx.env, ctx.cwd)
