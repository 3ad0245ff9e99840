"""Password sources: command, keyring, private file, prompt; lazily, once, and never shown."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from pysmail.config.ini import read_ini
from pysmail.config.model import Secret, SecretSources
from pysmail.config.secrets import (
    check_private,
    keyring_password,
    password_source,
    run_password_command,
)
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode

PW = "s3cret-pässword"


def _command(code: str) -> str:
    """A password_command running `python -c code`, quoted for this OS."""
    args = [sys.executable, "-c", code]
    return subprocess.list2cmdline(args) if sys.platform == "win32" else shlex.join(args)


def _no_tty() -> bool:
    return False


def _never_ask(prompt: str) -> str:
    raise AssertionError("must not prompt")


# --- password_command -----------------------------------------------------------------------


def test_command_success_first_line_without_line_end() -> None:
    code = f"import sys; sys.stdout.buffer.write({PW!r}.encode() + b'\\r\\nsecond line\\n')"
    assert run_password_command(_command(code)) == PW


@pytest.mark.parametrize(
    ("code", "msgid"),
    [
        ("import sys; sys.stderr.write('LEAKED " + PW + "'); sys.exit(3)", "failed"),
        ("pass", "empty"),
        ("print()", "empty"),
    ],
)
def test_command_failures_do_not_show_its_output(
    code: str, msgid: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        run_password_command(_command(code))
    err = info.value
    assert (err.code, err.msgid) == (ErrCode.AUTH_UNAVAILABLE, f"config.password_command_{msgid}")
    if msgid == "failed":
        assert err.params == {"status": 3}
    assert PW not in str(err) and "LEAKED" not in str(err)
    assert "LEAKED" not in capfd.readouterr().err  # its stderr was captured, not passed on


def test_command_timeout() -> None:
    with pytest.raises(ConfigError) as info:
        run_password_command(_command("import time; time.sleep(30)"), timeout=0.5)
    assert info.value.msgid == "config.password_command_timeout"
    assert info.value.params == {"seconds": 0.5}


def test_command_that_cannot_start() -> None:
    with pytest.raises(ConfigError) as info:
        run_password_command("no-such-program-for-pysmail --flag")
    assert info.value.msgid == "config.password_command_start"
    assert info.value.params["program"] == "no-such-program-for-pysmail"


@pytest.mark.parametrize("command", ["", "   ", "'unclosed"])
def test_command_syntax(command: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_password_command(command, platform="linux")
    assert (info.value.code, info.value.msgid) == (
        ErrCode.CONFIG,
        "config.password_command_syntax",
    )


def test_source_is_lazy_and_runs_once(tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    code = f"open({str(marker)!r}, 'a').write('x'); print({PW!r})"
    get = password_source(
        SecretSources(command=_command(code), keyring=True, password=Secret("file-pw")),
        user="u",
        server="s",
        isatty=_no_tty,
    )
    assert not marker.exists()  # nothing runs before the server asks for AUTH
    assert get() == PW and get() == PW
    assert marker.read_text() == "x"


# --- keyring --------------------------------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring held in a dict, for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}
        self.fail = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise RuntimeError("backend broke while reading " + PW)
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_keyring_entry(memory_keyring: MemoryKeyring) -> None:
    keyring.set_password("pysmail", "me@example.com@smtp.example.com", PW)
    assert keyring_password("me@example.com", "smtp.example.com") == PW
    get = password_source(
        SecretSources(keyring=True, password=Secret("file-pw")),
        user="me@example.com",
        server="smtp.example.com",
        isatty=_no_tty,
    )
    assert get() == PW  # the keyring comes before the file


def test_keyring_without_entry_says_how_to_store_it(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ConfigError) as info:
        keyring_password("me", "smtp.example.com")
    assert (info.value.code, info.value.msgid) == (
        ErrCode.AUTH_UNAVAILABLE,
        "config.keyring_no_entry",
    )
    assert "keyring set pysmail me@smtp.example.com" in str(info.value)


def test_keyring_backend_failure(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.fail = True
    with pytest.raises(ConfigError) as info:
        keyring_password("me", "h")
    assert info.value.msgid == "config.keyring_error" and PW not in str(info.value)


def test_keyring_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # `import keyring` raises ImportError
    with pytest.raises(ConfigError) as info:
        keyring_password("me", "h")
    assert info.value.msgid == "config.keyring_missing"
    assert "pip install keyring" in str(info.value)


# --- the password in the settings file ------------------------------------------------------


def _ini_with_password(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "smail.ini"
    path.write_text(f"[smail]\nserver = h\nuser = u\npassword = {PW}\n", encoding="utf-8")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o600, 0o400])
def test_file_password_needs_a_private_file(tmp_path: Path, mode: int) -> None:
    path = _ini_with_password(tmp_path, mode)
    warnings: list[str] = []
    get = password_source(
        read_ini(path).secret,
        user="u",
        server="h",
        isatty=_no_tty,
        ask=_never_ask,
        warn=warnings.append,
    )
    if sys.platform == "win32":  # the ACL is not checked there: accepted with a warning
        assert get() == PW and str(path) in warnings[0]
    elif mode & 0o077:
        with pytest.raises(ConfigError) as info:
            get()
        assert (info.value.code, info.value.msgid) == (ErrCode.CONFIG, "config.not_private")
        assert info.value.params["mode"] == f"{mode:03o}"
        assert PW not in str(info.value) and "chmod 600" in str(info.value)
    else:
        assert get() == PW and not warnings


def test_windows_accepts_with_a_warning(tmp_path: Path) -> None:
    path = _ini_with_password(tmp_path, 0o644)
    warnings: list[str] = []
    check_private(path, warn=warnings.append, platform="win32", lang="ja")
    assert len(warnings) == 1 and "警告" in warnings[0] and PW not in warnings[0]


def test_warning_on_stderr_shows_a_control_character_in_the_path_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The warning printed when no `warn` is given goes through the one escaper: an ESC in a
    file name (a planted `\x1b]0;title\x07` retitles the terminal) is shown, not obeyed."""
    from pysmail.config.secrets import _warn_stderr
    from pysmail.messages import text

    path = "/tmp/evil\x1b]0;owned\x07/smail.ini"
    _warn_stderr(text("config.acl_unchecked", "en", path=path))
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "/tmp/evil\\x1b]0;owned\\x07/smail.ini" in err


# --- the prompt -----------------------------------------------------------------------------


def test_prompt_only_on_a_terminal() -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return PW

    get = password_source(SecretSources(), user="u", server="h", isatty=lambda: True, ask=ask)
    assert get() == PW and get() == PW
    assert asked == ["Password for u at h: "]

    get = password_source(SecretSources(), user="u", server="h", isatty=_no_tty, ask=_never_ask)
    with pytest.raises(ConfigError) as info:
        get()
    assert (info.value.code, info.value.msgid) == (ErrCode.AUTH_UNAVAILABLE, "config.no_password")
    assert "keyring set pysmail u@h" in str(info.value)


def test_prompt_end_of_input_or_empty_is_no_password() -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    for ask in (eof, lambda prompt: ""):
        get = password_source(SecretSources(), user="u", server="h", isatty=lambda: True, ask=ask)
        with pytest.raises(ConfigError) as info:
            get()
        assert info.value.msgid == "config.no_password"


def test_secret_hides_itself() -> None:
    secret = Secret(PW)
    assert PW not in repr(secret) and PW not in str(secret) and PW not in f"{secret}"
    assert PW not in repr(SecretSources(password=secret))
    assert secret == Secret(PW) and secret != Secret("other") and secret.reveal() == PW
