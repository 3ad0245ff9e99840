"""The trust check through the real `smail` and the real stack (issue 12, item 1 and the token
file and lock items): a settings or token file that another user owns or may change is refused
before anything runs or connects; --config still takes one, without its password_command.

The suite runs as root in CI, so a file chown'ed to uid 65534 is really another user's, and the
password_command of a planted file would really run as root: each one here writes a marker
file when it runs, and no test may find that marker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    command_line,
    fetch_one,
    hermetic_env,
    marker,
    run_exe,
    run_main,
    run_token,
    write_ini,
)
from stackutil import Stack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        sys.platform == "win32" or os.geteuid() != 0, reason="needs root to chown (CI runs so)"
    ),
]

OTHER_UID = 65534  # nobody
Runner = Callable[[list[str], Path, dict[str, str]], Result]
RUNNERS = {"in-process": run_main, "executable": run_exe}


def _shared(tmp_path: Path) -> Path:
    """A world-writable sticky folder, as /tmp or a team share."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


def _settings(stack: Stack, ran: Path | None) -> str:
    """smail.ini for alice on the stack: a password_command that leaves `ran` behind, or
    (`ran` None) `password =`."""
    if ran is None:
        secret = "password = alice-pw"
    else:
        code = f"open({str(ran)!r}, 'w').write('ran'); print('alice-pw')"
        secret = f"password_command = {command_line([sys.executable, '-c', code])}"
    return (
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nfrom = {ALICE}\nuser = {ALICE}\n{secret}\n"
    )


def _plant(folder: Path, text: str, mode: int, uid: int | None = None) -> Path:
    path = write_ini(folder, text, mode=mode)
    if uid is not None:
        os.chown(path, uid, -1)
    return path


def _refused(result: Result, *expected: str) -> None:
    assert result.code == 27, result.out
    assert result.out.startswith("ERR-0027:"), result.out
    assert "Traceback" not in result.out + result.err
    for text in expected:
        assert text in result.out, (text, result.out)


@pytest.mark.parametrize("runner", RUNNERS.values(), ids=RUNNERS.keys())
def test_planted_settings_file_of_another_user_is_refused(
    stack: Stack, tmp_path: Path, runner: Runner
) -> None:
    folder, ran, mark = _shared(tmp_path), tmp_path / "ran", marker("planted-owner")
    path = _plant(folder, _settings(stack, ran), 0o644, OTHER_UID)
    result = runner(["-s" + mark, "-Tx", BOB], folder, hermetic_env(tmp_path))
    _refused(result, str(path), f"uid {OTHER_UID}", f"chown root {path}", f"--config {path}")
    assert result.err == ""
    assert not ran.exists(), "the planted password_command ran"
    assert_not_delivered(stack, [BOB], [mark])


def test_own_settings_file_others_may_change_is_refused(stack: Stack, tmp_path: Path) -> None:
    folder, ran, mark = _shared(tmp_path), tmp_path / "ran", marker("planted-666")
    path = _plant(folder, _settings(stack, ran), 0o666)
    result = run_main(["-s" + mark, "-Tx", BOB], folder, hermetic_env(tmp_path))
    _refused(result, str(path), "mode 0666", f"chmod go-w {path}")
    assert not ran.exists()
    assert_not_delivered(stack, [BOB], [mark])


def test_a_refused_file_in_the_current_folder_hides_nothing(stack: Stack, tmp_path: Path) -> None:
    """The user's own settings come after the current folder: the planted file is not skipped
    silently either (the user learns someone planted it)."""
    folder, ran, mark = _shared(tmp_path), tmp_path / "ran", marker("planted-first")
    own = tmp_path / "xdg" / "pysmail"
    own.mkdir(parents=True)
    write_ini(own, _settings(stack, tmp_path / "own-ran"))
    planted = _plant(folder, _settings(stack, ran), 0o644, OTHER_UID)
    result = run_main(["-s" + mark, "-Tx", BOB], folder, hermetic_env(tmp_path))
    _refused(result, str(planted))
    assert not ran.exists() and not (tmp_path / "own-ran").exists()


def test_smail_config_variable_follows_the_same_rule(stack: Stack, tmp_path: Path) -> None:
    ran, mark = tmp_path / "ran", marker("env-config")
    path = _plant(_shared(tmp_path), _settings(stack, ran), 0o666)
    env = hermetic_env(tmp_path, {"SMAIL_CONFIG": str(path)})
    _refused(run_main(["-s" + mark, "-Tx", BOB], tmp_path, env), str(path), "mode 0666")
    assert not ran.exists()
    path.chmod(0o644)  # read-only for others: the user's own file is used
    sent = run_main(["-s" + mark, "-Tx", BOB], tmp_path, env)
    assert sent.code == 0, sent.out
    assert ran.exists()
    fetch_one(stack, BOB, mark)


@pytest.mark.parametrize(
    ("mode", "uid"), [(0o644, OTHER_UID), (0o666, None)], ids=["other-owner", "mode-666"]
)
def test_explicit_config_others_may_change_never_runs_its_command(
    stack: Stack, tmp_path: Path, mode: int, uid: int | None
) -> None:
    ran, mark = tmp_path / "ran", marker("explicit-cmd")
    path = _plant(_shared(tmp_path), _settings(stack, ran), mode, uid)
    result = run_exe(["--config", str(path), "-s" + mark, "-Tx", BOB], tmp_path)
    _refused(result, "password_command", str(path))
    assert not ran.exists(), "password_command ran from a file others may change"
    assert_not_delivered(stack, [BOB], [mark])


def test_explicit_config_is_taken_deliberately(stack: Stack, tmp_path: Path) -> None:
    """--config takes a file read-only for others (its command runs) and another user's file
    (it is read; here its password = is used, the file being 0600)."""
    shared, ran = _shared(tmp_path), tmp_path / "ran"
    own = _plant(shared, _settings(stack, ran), 0o644)
    mark = marker("explicit-own")
    sent = run_main(["--config", str(own), "-s" + mark, "-Tx", BOB], tmp_path)
    assert sent.code == 0, sent.out
    assert ran.exists()
    fetch_one(stack, BOB, mark)

    other = tmp_path / "other"
    other.mkdir()
    foreign = _plant(other, _settings(stack, None), 0o600, OTHER_UID)
    mark = marker("explicit-foreign")
    sent = run_main(["--config", str(foreign), "-s" + mark, "-Tx", BOB], tmp_path)
    assert sent.code == 0, sent.out
    fetch_one(stack, BOB, mark)


# --- the token file --------------------------------------------------------------------------


def _oauth_ini(stack: Stack, folder: Path, extra: str = "") -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n{extra}",
    )


def test_token_file_readable_by_others_is_refused(stack: Stack, tmp_path: Path) -> None:
    path, _tokens = stack.write_token_file(tmp_path, ALICE)
    _oauth_ini(stack, tmp_path)
    path.chmod(0o644)
    mark = marker("token-644")
    result = run_exe(["-s" + mark, "-Tx", BOB], tmp_path)
    _refused(result, str(path), "refresh token", "mode 0644", f"chmod 600 {path}")
    assert stack.token_requests() == [], "the refresh token was used"
    status = run_token(["status", "--offline"], tmp_path)
    assert status.code == 27 and f"chmod 600 {path}" in status.err, status.err
    assert_not_delivered(stack, [BOB], [mark])
    path.chmod(0o600)
    sent = run_main(["-s" + mark, "-Tx", BOB], tmp_path)
    assert sent.code == 0, sent.out
    fetch_one(stack, BOB, mark)


def test_oauth_token_file_of_another_user_is_refused(stack: Stack, tmp_path: Path) -> None:
    elsewhere = _shared(tmp_path)
    path, _tokens = stack.write_token_file(elsewhere, ALICE)
    os.chown(path, OTHER_UID, -1)
    _oauth_ini(stack, tmp_path, f"oauth_token_file = {path}\n")
    mark = marker("token-owner")
    result = run_main(["-s" + mark, "-Tx", BOB], tmp_path)
    _refused(result, str(path), f"uid {OTHER_UID}", f"chown root {path}")
    assert stack.token_requests() == []
    assert_not_delivered(stack, [BOB], [mark])


def test_a_planted_lock_link_makes_no_file(stack: Stack, tmp_path: Path) -> None:
    path, _tokens = stack.write_token_file(tmp_path, ALICE)
    _oauth_ini(stack, tmp_path)
    target = _shared(tmp_path) / "created-by-smail"
    (tmp_path / "smail_refreshtoken.ini.lock").symlink_to(target)
    mark = marker("lock-link")
    result = run_main(["-s" + mark, "-Tx", BOB], tmp_path)
    assert result.code == 28, result.out
    assert "symbolic link" in result.out and f"rm {path}.lock" in result.out
    assert not target.exists(), "smail created a file through the planted link"
    assert stack.token_requests() == []
    assert_not_delivered(stack, [BOB], [mark])
