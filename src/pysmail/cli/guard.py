"""What both commands do around parsing: the console-script exit, and `--lang` read early."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import NoReturn

__all__ = ["console_run", "early_lang"]


def console_run(main: Callable[[Sequence[str]], int]) -> NoReturn:
    """A console script's `run()`: exit with `main(argv)`'s code; a console that cannot show a
    character (a Windows code page) gets an escape instead of a UnicodeEncodeError, and a
    standard stream that is not there at all (closed by the caller) swallows what is written."""
    import os
    import sys

    # Started with a standard stream closed (`smail ... >&-`): Python then has None there. What
    # would go to it goes nowhere, as after a broken pipe (ui/output.py); the exit code tells.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives to the exit)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    _leave(main(sys.argv[1:]))


def _leave(code: int) -> NoReturn:
    """Exit with `code`. When the interpreter's teardown has nothing left to do for us (the
    standard streams flushed, no thread module loaded, no atexit handler registered, no profiler
    or tracer that writes its results at the end), leave at
    once instead of tearing down every module and object first (docs/decisions.md D40)."""
    import atexit
    import os
    import sys

    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the teardown reports it as before
        sys.exit(code)
    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython's count of atexit handlers
    watched = sys.getprofile() is not None or sys.gettrace() is not None  # cProfile, a debugger
    if watched or "threading" in sys.modules or callbacks is None or callbacks():
        sys.exit(code)
    os._exit(code)


def early_lang(argv: Sequence[str]) -> str | None:
    """`--lang` before parsing, so that parse errors are already in the chosen language."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    return None
