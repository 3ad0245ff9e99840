"""`smail-token setup` (and `smail --setup`): serve the local set-up page until Finish or idle.

The setup page is a front end like cli/: it sits above pysmail.app and calls it (test_mail.py)."""

from __future__ import annotations

from pysmail.app.token.login import open_browser

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.app.token.context import TokenContext

__all__ = ["setup"]


def setup(ctx: TokenContext, *, port: int | None, idle: float, browser: bool) -> None:
    """The local set-up page (pysmail.setup): serve it until Finish or the idle timeout."""
    from pysmail.setup.server import SetupServer

    with SetupServer(
        cwd=ctx.cwd, env=ctx.env, lang=ctx.lang, port=port, idle=idle * 60,
        http=ctx.http, account=ctx.account,
    ) as server:  # fmt: skip
        minutes = f"{idle:g}"
        ctx.out.line(ctx.text("setup.listening", url=server.url, minutes=minutes))
        if server.port_note:
            ctx.out.line(server.port_note)
        if browser:
            try:  # the key in a private file, never on the browser's command line
                launcher = server.write_launcher().as_uri()
            except OSError:
                launcher = None  # no browser: the address printed above still works
            if launcher is not None:
                (ctx.browser or open_browser)(launcher)
        reason = server.serve()
    if reason == "idle":
        ctx.out.line(ctx.text("setup.stopped_idle", minutes=minutes))
    else:
        ctx.out.line(ctx.text("setup.stopped_done"))
