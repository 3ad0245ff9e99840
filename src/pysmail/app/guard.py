"""The one place where an exception becomes an exit code and an ERR block: for both commands
and for the setup page's test mail.

    return guarded(lambda: _run(argv, ctx), say=out.line, lang=lang, env=env)

A SmailError prints its ERR block and exits with its code; Ctrl+C is ERR-0016 ("interrupted");
MemoryError is SMAIL's ERR-0014; any other exception is a bug and still ends in ERR-0016, never a
traceback (PYSMAIL_TRACEBACK=1 shows it, for a bug report). `say=None` prints nothing (-S).
`exit_code` maps the error to another exit code than its ErrCode (smail-sendmail's sysexits,
pysmail.app.sysexits.sysexit); the block printed is the same.
"""

from __future__ import annotations

from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pysmail.messages import Lang

__all__ = ["guarded"]


def guarded(
    run: Callable[[], int],
    *,
    say: Callable[[str], None] | None,
    lang: Lang,
    env: Mapping[str, str],
    exit_code: Callable[[SmailError], int] | None = None,
) -> int:
    """`run()`'s exit code, or the code of what it raised (see the module docstring)."""

    def fail(err: SmailError) -> int:
        if say is not None:
            say(format_error(err, lang))
        return int(err.code) if exit_code is None else exit_code(err)

    try:
        return run()
    except SmailError as err:
        return fail(err)
    except SystemExit as exc:  # argparse's --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return fail(SmailError(ErrCode.UNKNOWN, "main.interrupted"))
    except MemoryError:
        return fail(SmailError(ErrCode.MEMORY, ""))
    except Exception as exc:  # the last line of defence: a bug must still end in ERR-0016
        if env.get("PYSMAIL_TRACEBACK") == "1" and say is not None:
            import traceback

            say("".join(traceback.format_exception(exc)))
        return fail(SmailError(ErrCode.UNKNOWN, "main.internal", kind=type(exc).__name__))
