"""Where the SMTP/POP password comes from, resolved lazily: command, keyring, file, prompt."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from pysmail.config.model import SecretSources
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, text

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.fs.pathtext import StrPath

__all__ = [
    "DEFAULT_COMMAND_TIMEOUT",
    "KEYRING_SERVICE",
    "check_private",
    "keyring_account",
    "keyring_password",
    "password_source",
    "run_password_command",
]

KEYRING_SERVICE = "pysmail"
DEFAULT_COMMAND_TIMEOUT = 120.0  # seconds; a password manager may wait for the user


def keyring_account(user: str, server: str) -> str:
    """The keyring user name of an account: `<user>@<server>`."""
    return f"{user}@{server}"


def password_source(
    sources: SecretSources,
    *,
    user: str,
    server: str,
    lang: Lang = "en",
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    isatty: Callable[[], bool] | None = None,
    ask: Callable[[str], str] | None = None,
    warn: Callable[[str], None] | None = None,
    platform: str | None = None,
) -> Callable[[], str]:
    """A callable giving the password, looked up on its first call only (then remembered).

    Order: password_command, the system keyring (when password_keyring = yes), password= in
    the settings file (only when the file is private to its owner), a hidden prompt (only when
    standard input is a terminal).

    Raises (from the callable):
        ConfigError(ErrCode.AUTH_UNAVAILABLE, "config.*"): no source gave a password.
        ConfigError(ErrCode.CONFIG, "config.not_private" | "config.password_command_syntax" |
            "config.command_untrusted").
    """
    cache: list[str] = []

    def resolve() -> str:
        if sources.command:
            if sources.command_refused is not None:
                raise sources.command_refused
            return run_password_command(sources.command, timeout=command_timeout, platform=platform)
        if sources.keyring:
            return keyring_password(user, server)
        if sources.password is not None:
            if sources.file is not None:
                check_private(sources.file, lang=lang, warn=warn, platform=platform)
            return sources.password.reveal()
        tty = isatty() if isatty else _stdin_isatty()
        if tty:
            prompt = ask or _getpass
            try:
                answer = prompt(text("config.password_prompt", lang, user=user, server=server))
            except EOFError:
                answer = ""
            if answer:
                return answer
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE,
            "config.no_password",
            user=user,
            server=server,
            service=KEYRING_SERVICE,
            account=keyring_account(user, server),
        )

    def password() -> str:
        if not cache:
            cache.append(resolve())
        return cache[0]

    return password


def _stdin_isatty() -> bool:
    stream = sys.stdin
    return bool(stream is not None and stream.isatty())


def _getpass(prompt: str) -> str:
    import getpass

    return getpass.getpass(prompt)


def run_password_command(
    command: str, *, timeout: float = DEFAULT_COMMAND_TIMEOUT, platform: str | None = None
) -> str:
    """Run `command` (no shell) and return its first output line without the line end.

    POSIX splits the command with shlex; Windows hands the string to CreateProcess as is.
    The command's error output is never shown: it may echo what it was given.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.password_command_syntax"): cannot split it.
        ConfigError(ErrCode.AUTH_UNAVAILABLE, "config.password_command_*"): it could not start,
            failed, timed out or printed nothing.
    """
    import subprocess

    platform = sys.platform if platform is None else platform
    args, program = _command_args(command, platform)
    if not program:
        raise ConfigError(ErrCode.CONFIG, "config.password_command_syntax")
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE, "config.password_command_timeout", seconds=timeout
        ) from None
    except OSError as exc:
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE,
            "config.password_command_start",
            program=program,
            reason=exc.strerror or type(exc).__name__,
        ) from None
    if done.returncode != 0:
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE, "config.password_command_failed", status=done.returncode
        )
    # Like msmtp's passwordeval: the first line, without its line end.
    lines = _decode(done.stdout).splitlines()
    value = lines[0] if lines else ""
    if not value:
        raise ConfigError(ErrCode.AUTH_UNAVAILABLE, "config.password_command_empty")
    return value


def _command_args(command: str, platform: str) -> tuple[str | list[str], str]:
    """What subprocess.run() gets for `command`, and the program it names ("" for none)."""
    if platform == "win32":
        return command, _windows_program(command)
    import shlex

    try:
        args = shlex.split(command)
    except ValueError:
        args = []
    return args, args[0] if args else ""


def _decode(data: bytes) -> str:
    """UTF-8, else the locale's encoding with U+FFFD for what it cannot read; no BOM is read."""
    import locale

    from pysmail.text.decode import decode

    candidates = ("utf-8", locale.getpreferredencoding(False))
    return decode(data, candidates, boms=(), replace=True)[0]


def keyring_password(user: str, server: str) -> str:
    """The password stored with `keyring set pysmail <user>@<server>`.

    Raises:
        ConfigError(ErrCode.AUTH_UNAVAILABLE, "config.keyring_*"): keyring is not installed,
            its backend failed, or it holds no such entry.
    """
    account = keyring_account(user, server)
    try:
        import keyring
    except ImportError:
        raise ConfigError(ErrCode.AUTH_UNAVAILABLE, "config.keyring_missing") from None
    try:
        value = keyring.get_password(KEYRING_SERVICE, account)
    except Exception as exc:  # noqa: BLE001 - backends raise anything (D-Bus, Win32, ...)
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE,
            "config.keyring_error",
            account=account,
            reason=type(exc).__name__,
        ) from None
    if not value:
        raise ConfigError(
            ErrCode.AUTH_UNAVAILABLE,
            "config.keyring_no_entry",
            service=KEYRING_SERVICE,
            account=account,
        )
    return str(value)


def check_private(
    path: StrPath,
    *,
    lang: Lang = "en",
    warn: Callable[[str], None] | None = None,
    platform: str | None = None,
) -> None:
    """Refuse a settings file holding a password that others may read (like msmtp).

    POSIX: no group or other permission bits (mode & 0o077 == 0). Windows: the DACL may let
    in only the owner, the current user, SYSTEM and Administrators (pysmail.fs.fileperm; that
    code has not been run on Windows yet). `platform="win32"` on another OS has no ACL to
    read: the file is accepted with the `config.acl_unchecked` warning.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.not_private" | "config.not_private_acl" |
            "config.unreadable" | "config.acl_unreadable").
    """
    platform = sys.platform if platform is None else platform
    if platform != "win32":
        _check_mode(path)
    elif sys.platform == "win32":  # pragma: no cover - Windows only
        _check_acl(path)
    else:
        # The Windows rule asked for on another OS (tests): there is no ACL to read.
        message = text("config.acl_unchecked", lang, path=str(path))
        (warn or _warn_stderr)(message)


def _check_acl(path: StrPath) -> None:  # pragma: no cover - Windows only
    from pysmail.fs import fileperm

    try:
        private, reason = fileperm.is_private(path)
    except OSError as exc:
        raise ConfigError(
            ErrCode.CONFIG,
            "config.acl_unreadable",
            path=str(path),
            reason=exc.strerror or exc,
        ) from None
    if not private:
        raise ConfigError(ErrCode.CONFIG, "config.not_private_acl", path=str(path), reason=reason)


def _check_mode(path: StrPath) -> None:
    from pysmail.fs import fileperm

    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ConfigError(
            ErrCode.CONFIG, "config.unreadable", path=str(path), reason=exc.strerror or exc
        ) from None
    if not fileperm.mode_verdict(mode)[0]:
        raise ConfigError(
            ErrCode.CONFIG, "config.not_private", path=str(path), mode=f"{mode & 0o777:03o}"
        )


def _warn_stderr(message: str) -> None:
    """A warning on stderr when the caller gave no `warn` (an Output's line): through the one
    escaper too, as the message names a file (an ESC in its name is shown, not obeyed)."""
    from pysmail.text.escape import escape_controls

    print(escape_controls(message), file=sys.stderr)


def _windows_program(command: str) -> str:
    """The program of a Windows command line, for messages: `"C:\\Program Files\\x.exe" -a` gives
    `C:\\Program Files\\x.exe` (a quoted path keeps its spaces), `x.exe -a` gives `x.exe`."""
    text = command.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        return text[1:end] if end > 0 else text[1:]
    return text.split()[0] if text else ""
