"""What every command does around parsing: the console-script exit, the console a run writes
to (environment, standard streams behind one Scrubber, language), and `--lang` read early."""

from __future__ import annotations

from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import NoReturn, TextIO

    from pysmail.messages import Lang
    from pysmail.ui.output import Output

__all__ = ["Console", "console", "console_run", "console_script", "early_lang"]


@record
class Console:
    """What a command's `main` sets up before parsing: the environment (a copy), standard
    output and standard error (one Scrubber masks both) and the language of its messages."""

    env: dict[str, str]
    out: Output
    err: Output
    lang: Lang


def console(
    argv: Sequence[str],
    environ: Mapping[str, str] | None,
    stdout: TextIO | None,
    stderr: TextIO | None,
) -> Console:
    """The Console of a `main(argv, ...)`: None stands for os.environ, sys.stdout, sys.stderr;
    the language is `--lang` of `argv`, else the environment's."""
    import os
    import sys

    from pysmail.messages import detect_lang
    from pysmail.redact import Scrubber
    from pysmail.ui.output import Output

    env = dict(os.environ if environ is None else environ)
    scrubber = Scrubber()
    out = Output(stdout if stdout is not None else sys.stdout, scrubber)
    err = Output(stderr if stderr is not None else sys.stderr, scrubber)
    return Console(env, out, err, detect_lang(early_lang(argv), env))


def console_script(main: Callable[[Sequence[str]], int]) -> Callable[[], NoReturn]:
    """The console-script entry point (`run`) of a command's `main`: console_run(main)."""

    def run() -> NoReturn:
        """Console-script entry point."""
        console_run(main)

    return run


def console_run(main: Callable[[Sequence[str]], int]) -> NoReturn:
    """A console script's `run()`: exit with `main(argv)`'s code; a console that cannot show a
    character (a Windows code page) gets an escape instead of a UnicodeEncodeError, and a
    standard stream that is not there at all (closed by the caller) swallows what is written."""
    import gc
    import os
    import sys

    # A run that sends one message allocates ~14,000 container objects, nearly all of them the
    # functions, classes and constants of the modules it imports, which live until the exit. At
    # the default threshold (700) the cyclic collector went over them ten times in a send, finding
    # nothing: 5 M instructions, 3 % of it (docs/decisions.md D47). Young objects are now
    # collected every 20,000 allocations: such a run never stops for it, a long one (--batch,
    # --flush, setup) still collects its cycles.
    gc.set_threshold(20_000)

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
