"""smail.ini beside the `smail` command (issue 15, item 5): SMAIL kept it next to smail.exe, so a
program that starts smail from a folder of its own (Task Scheduler, a trading terminal) still finds
it. The real console script is copied into a folder of the test's own (the shared .venv stays as
it is) and run from an empty folder with an empty home: the file beside it is used, `-i` names
it, and a planted one there that someone else may change is refused like every other place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    fetch_one,
    hermetic_env,
    marker,
    smail_command,
    write_ini,
)
from stackutil import Stack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(sys.platform == "win32", reason="a copied console script is POSIX here"),
]

OTHER_UID = 65534  # nobody


def _settings(stack: Stack) -> str:
    return (
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nfrom = {ALICE}\nuser = {ALICE}\npassword = alice-pw\n"
    )


def _scripts(tmp_path: Path) -> Path:
    """A scripts folder holding a copy of this venv's `smail` (its #! names the venv's Python)."""
    folder = tmp_path / "scripts"
    folder.mkdir()
    shutil.copy2(smail_command()[0], folder / "smail")
    return folder


def _run(command: Path, argv: list[str], tmp_path: Path) -> Result:
    """`command` from an empty current folder, with an empty home (no other smail.ini)."""
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    done = subprocess.run(
        [str(command), *argv],
        cwd=empty,
        env=hermetic_env(tmp_path / "home"),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


def test_smail_ini_beside_the_command_is_found_from_any_folder(
    stack: Stack, tmp_path: Path
) -> None:
    scripts = _scripts(tmp_path)
    path = write_ini(scripts, _settings(stack))
    mark = marker("beside-command")
    sent = _run(scripts / "smail", ["-i", "-s" + mark, "-Tx", BOB], tmp_path)
    assert sent.code == 0, sent.out + sent.err
    assert f"#Settings file         : [{path}]" in sent.out, sent.out
    fetch_one(stack, BOB, mark)


def test_a_link_to_the_command_finds_the_file_beside_its_target(
    stack: Stack, tmp_path: Path
) -> None:
    """pipx on Linux and macOS: ~/.local/bin/smail is a link into the app's own folder."""
    scripts = _scripts(tmp_path)
    path = write_ini(scripts, _settings(stack))
    links = tmp_path / "local-bin"
    links.mkdir()
    (links / "smail").symlink_to(scripts / "smail")
    mark = marker("beside-target")
    sent = _run(links / "smail", ["-i", "-s" + mark, "-Tx", BOB], tmp_path)
    assert sent.code == 0, sent.out + sent.err
    assert f"[{path}]" in sent.out, sent.out
    fetch_one(stack, BOB, mark)


@pytest.mark.parametrize(
    ("mode", "uid", "why"),
    [(0o666, None, "mode 0666"), (0o644, OTHER_UID, f"uid {OTHER_UID}")],
    ids=["mode-666", "other-owner"],
)
def test_a_planted_file_beside_the_command_is_refused(
    stack: Stack, tmp_path: Path, mode: int, uid: int | None, why: str
) -> None:
    if uid is not None and os.geteuid() != 0:
        pytest.fail("needs root to chown (CI runs so)")
    scripts = _scripts(tmp_path)
    own = tmp_path / "home" / "xdg" / "pysmail"
    own.mkdir(parents=True)
    write_ini(own, _settings(stack))  # the user's own file comes later: the planted one hides it
    path = write_ini(scripts, _settings(stack).replace("password = alice-pw\n", ""), mode=mode)
    if uid is not None:
        os.chown(path, uid, -1)
    mark = marker("beside-planted")
    result = _run(scripts / "smail", ["-s" + mark, "-Tx", BOB], tmp_path)
    assert result.code == 27, result.out + result.err
    assert result.out.startswith("ERR-0027:"), result.out
    assert str(path) in result.out and why in result.out, result.out
    assert "Traceback" not in result.out + result.err
    assert_not_delivered(stack, [BOB], [mark])
