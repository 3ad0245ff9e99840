"""A valid EHLO name, from --helo or smail.ini, still goes out as given (through the real stack);
bad ones are rows of tests/cli/test_bad_inputs.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.util import ALICE, BOB, auth_ini, fetch_one, marker, run_exe, server_args, write_ini
from stackutil import Stack

pytestmark = pytest.mark.stack


@pytest.mark.parametrize(
    ("option", "ini_line", "sent"),
    [
        (["--helo", "client.example.test"], "", "client.example.test"),
        ([], "helo = [127.0.0.1]\n", "[127.0.0.1]"),
        (["--helo", "[IPv6:::1]"], "helo = ignored.example\n", "[IPv6:::1]"),
    ],
)
def test_valid_ehlo_name_is_sent(
    stack: Stack, tmp_path: Path, option: list[str], ini_line: str, sent: str
) -> None:
    write_ini(tmp_path, auth_ini(extra=ini_line))
    mark = marker("helo")
    argv = [*server_args(stack), *option, "--config", "smail.ini", "-f" + ALICE, "-s" + mark,
            "-Tx", "-d", BOB]  # fmt: skip
    result = run_exe(argv, tmp_path)
    assert result.code == 0, result.out + result.err
    assert f"Send: EHLO {sent}" in result.out.splitlines()
    fetch_one(stack, BOB, mark)
