"""`smail-token --help` in English and Japanese (issue 15, item 4): every command and option has a
help text in both languages, from the catalogue (catalog/token_help.json); `--lang ja`, before or
after the command, and LANG=ja_JP.UTF-8 give the Japanese help; the man page carries the same
English texts; Japanese lines are wrapped by terminal columns.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pysmail.catalog import CATALOGUE
from pysmail.cli.manpage import PAGES
from pysmail.cli.roff import roff_text
from pysmail.cli.token_args import build_parser, help_ids
from pysmail.cli.token_main import main
from pysmail.text.wrap import display_width, wrap

LANGS = ("en", "ja")


def _actions(
    parser: argparse.ArgumentParser, command: str | None = None
) -> Iterator[tuple[str | None, argparse.Action]]:
    for action in parser._actions:
        yield command, action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, name)


def _is_japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


@pytest.mark.parametrize("lang", LANGS)
def test_every_option_and_command_has_a_help_from_the_catalogue(lang: str) -> None:
    seen = 0
    for command, action in _actions(build_parser(lang)):
        ids = [i for i in help_ids(command, action.dest) if i in CATALOGUE]
        where = f"{command or 'smail-token'} {'/'.join(action.option_strings) or action.dest}"
        assert ids, f"{where}: no catalogue text (one of {help_ids(command, action.dest)})"
        assert action.help and action.help.strip(), f"{where}: empty help in {lang}"
        en, ja = CATALOGUE[ids[0]]
        assert en.strip() and ja.strip(), where
        assert _is_japanese(ja), f"{where}: the Japanese text is not Japanese: {ja!r}"
        seen += 1
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, f"command {choice.dest}: no line of help"
                assert _is_japanese(choice.help) == (lang == "ja"), choice.dest
    assert seen > 40, "the walk finds too few options: it is stale"


def _help(argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> str:
    """--help through smail-token's main (argparse prints to sys.stdout and exits 0)."""
    code = main(argv, stdout=io.StringIO(), stderr=io.StringIO(), environ=env)
    assert code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--lang", "ja", "--help"], {"LANG": "C"}),
        (["login", "--lang", "ja", "--help"], {"LANG": "C"}),
        (["--lang=ja", "check", "--help"], {}),
        (["--help"], {"LANG": "ja_JP.UTF-8"}),
        (["setup", "--help"], {"LC_ALL": "ja_JP.UTF-8"}),
    ],
)
def test_japanese_help(
    argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _help(argv, env, capsys)
    assert shown.startswith("使い方: smail-token"), shown
    assert "オプション:" in shown and "このヘルプを表示して終了します" in shown
    assert "show this help" not in shown


def test_english_help(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _help(["login", "--help"], {"LANG": "C"}, capsys)
    assert shown.startswith("usage: smail-token login"), shown
    assert "--client-id CLIENT_ID" in shown and "application (client) ID" in shown


def test_lang_after_the_command_is_accepted() -> None:
    """`smail-token login --lang ja ...` is taken (and the top-level --lang is not overwritten
    by a subcommand that does not give it)."""
    parser = build_parser()
    assert parser.parse_args(["status", "--lang", "ja", "--offline"]).lang == "ja"
    assert parser.parse_args(["--lang", "ja", "status"]).lang == "ja"
    assert parser.parse_args(["status"]).lang is None


def test_the_real_command_follows_lang(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "smail-token"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "ja_JP.UTF-8"}
    done = subprocess.run([str(exe), "--help"], env=env, capture_output=True, check=False)
    shown = done.stdout.decode("utf-8")
    assert done.returncode == 0 and shown.startswith("使い方: smail-token"), shown
    assert "サインインして smail_refreshtoken.ini を保存します" in shown


def test_man_page_has_every_options_english_help() -> None:
    page = PAGES["smail-token"]()
    for command, action in _actions(build_parser("en")):
        if isinstance(action, argparse._SubParsersAction):
            continue
        shown = roff_text(" ".join(str(action.help).replace("%%", "%").split()))
        assert shown in page, (command, action.dest, shown)


def test_japanese_lines_fit_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    shown = _help(["login", "--lang", "ja", "--help"], {}, capsys)
    too_wide = [line for line in shown.splitlines() if display_width(line) > 80]
    # argparse puts a long option invocation on a line of its own; none of them is this wide
    assert not too_wide, too_wide


def test_wrap_by_columns() -> None:
    assert display_width("aあ") == 3
    text = (
        "プロバイダーの HTTPS サーバーを、システムの CA ではなく"
        + "この PEM ファイルで検証します（社内 CA）"
    )
    lines = wrap(text, 20)
    assert all(display_width(line) <= 20 for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("、", "）", "。")) for line in lines), lines
    assert not any(line.endswith("（") for line in lines), lines
    assert wrap("one two  three", 7) == ["one two", "three"]
    assert wrap("averyveryverylongword x", 5) == ["averyveryverylongword", "x"]
    assert wrap("", 10) == []
