"""Man pages: smail.1 from the OPTIONS table, any argparse page, escaping, and `man -l` rendering
without a single groff warning (needs the Debian packages man-db and groff-base)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pysmail import __version__
from pysmail.catalog import TITLES
from pysmail.cli.manpage import argparse_manpage, main, smail_manpage
from pysmail.cli.roff import manpage_date, roff_code, roff_text
from pysmail.cli.smail_args import OPTIONS
from pysmail.exitcodes import ErrCode
from pysmail.messages import text

DATE = "2026-01-02"


def _man_warnings(page: str, tmp_path: Path) -> str:
    """What `man -l` and `groff -ww` say on standard error while rendering `page`."""
    path = tmp_path / "page.1"
    path.write_text(page, encoding="ascii")
    env = {**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8", "MANPAGER": "cat", "PAGER": "cat"}
    man = subprocess.run(
        ["man", "-l", "--warnings=all", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert man.returncode == 0, man.stderr
    assert man.stdout.strip(), "man rendered nothing"
    groff = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert groff.returncode == 0, groff.stderr
    return man.stderr + groff.stderr


def _rendered(page: str, tmp_path: Path) -> str:
    """The page as plain ASCII text with whitespace collapsed (lines and fill do not matter)."""
    path = tmp_path / "plain.1"
    path.write_text(page, encoding="ascii")
    out = subprocess.run(
        ["groff", "-man", "-Tascii", "-P-c", "-P-b", "-P-u", "-rLL=200n", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return " ".join(out.split())


def _flat(value: str) -> str:
    return " ".join(value.split())


# --- smail.1 ----------------------------------------------------------------------------------


def test_smail_page_renders_without_warnings(tmp_path: Path) -> None:
    assert _man_warnings(smail_manpage(date=DATE), tmp_path) == ""


def test_smail_page_is_ascii_and_dated() -> None:
    page = smail_manpage(date=DATE)
    page.encode("ascii")  # raises on any non-ASCII character
    assert f'.TH SMAIL 1 "{DATE}" "pysmail {__version__}" "User Commands"' in page


def test_smail_page_lists_every_option_with_its_help(tmp_path: Path) -> None:
    rendered = _rendered(smail_manpage(date=DATE), tmp_path)
    for spec in OPTIONS:
        for spelling in spec.spellings():
            assert spelling in rendered, spelling
        assert _flat(text(spec.help_id, "en")) in rendered, spec.field


def test_smail_page_lists_every_exit_code(tmp_path: Path) -> None:
    rendered = _rendered(smail_manpage(date=DATE), tmp_path)
    exit_status = rendered.split("EXIT STATUS", 1)[1]
    for code in ErrCode:
        assert f"{int(code)} {_flat(TITLES[code][0])}" in exit_status, code


def test_smail_page_sections_and_catalogue_texts(tmp_path: Path) -> None:
    rendered = _rendered(smail_manpage(date=DATE), tmp_path)
    for section in (
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "RECIPIENTS",
        "FILES",
        "ENVIRONMENT",
        "EXIT STATUS",
        "EXAMPLES",
        "SEE ALSO",
    ):
        assert f" {section} " in f" {rendered} ", section
    assert "smail - SMAIL-compatible command-line mail sender" in rendered
    # the recipients text and its example, straight from the catalogue
    recipients = text("cli.usage.recipients", "en").splitlines()
    assert _flat(recipients[0]) in rendered
    assert _flat(recipients[-1]) in rendered
    assert "smail_refreshtoken.ini" in rendered and "SMAIL_CONFIG" in rendered


def test_option_names_are_typed_with_ascii_minus() -> None:
    page = smail_manpage(date=DATE)
    assert "\\fB\\-h\\fR\\fIhost\\fR, \\fB\\-\\-host\\fR \\fIhost\\fR" in page
    assert "\\fB\\-m\\fR[\\fIid\\fR], \\fB\\-\\-message\\-id\\fR[=\\fIid\\fR]" in page


def test_module_entry_writes_the_page(tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767312000"}  # 2026-01-02 00:00 UTC
    run = subprocess.run(
        [sys.executable, "-m", "pysmail.cli.manpage", "smail"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == smail_manpage(date=DATE)


def test_module_entry_refuses_an_unknown_page(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nosuchpage"])
    assert exited.value.code == 2
    assert "nosuchpage" in capsys.readouterr().err


def test_main_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smail"]) == 0
    assert capsys.readouterr().out.startswith('.\\" Generated by pysmail.cli.manpage')


def test_manpage_date() -> None:
    assert manpage_date({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01"
    assert manpage_date({"SOURCE_DATE_EPOCH": "1767312000"}) == DATE
    assert len(manpage_date({"SOURCE_DATE_EPOCH": "junk"})) == 10  # today, not a crash


# --- escaping ---------------------------------------------------------------------------------


def test_roff_text_escapes() -> None:
    assert roff_text(".SH EVIL") == "\\&.SH EVIL"
    assert roff_text("'br") == "\\&'br"
    assert roff_text("a\n.TH X") == "a\n\\&.TH X"
    assert roff_text("C:\\work\\smail.ini") == "C:\\ework\\esmail.ini"
    assert roff_text("件名 ～") == "\\[u4EF6]\\[u540D] \\[uFF5E]"
    assert roff_text("a\tb") == "a b"
    assert roff_text("not. a request") == "not. a request"


def test_roff_code_uses_minus() -> None:
    assert roff_code("--dry-run") == "\\-\\-dry\\-run"
    assert roff_code(".x-y") == "\\&.x\\-y"


def test_hostile_help_texts_render_literally(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="evil", description=".SH INJECTED\n'also\\fB bold")
    parser.add_argument("--name", help=".TH X 1\nwith a backslash \\ and 日本語")
    page = argparse_manpage(parser, summary="a test", date=DATE)
    assert _man_warnings(page, tmp_path) == ""
    rendered = _rendered(page, tmp_path)
    assert ".SH INJECTED 'also\\fB bold" in rendered
    assert ".TH X 1 with a backslash \\ and" in rendered
    assert "INJECTED" not in rendered.split("DESCRIPTION", 1)[0]


# --- argparse pages (smail-token) -------------------------------------------------------------


def _token_like_parser() -> argparse.ArgumentParser:
    """A parser shaped like smail-token's: global options, subcommands, choices, defaults."""
    parser = argparse.ArgumentParser(
        prog="smail-token",
        description="Get and keep OAuth 2.0 tokens for smail.\n\nThe token file is private.",
        epilog="Exit status: 0 on success, 28 when no token could be had.",
    )
    parser.add_argument("--file", metavar="PATH", help="token file (default: %(default)s)")
    parser.add_argument("--lang", choices=["en", "ja"], help="message language")
    parser.add_argument("--secret-debug", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    login = sub.add_parser(
        "login", help="sign in and write smail_refreshtoken.ini", aliases=["signin"]
    )
    login.add_argument("--provider", choices=["microsoft", "google"], default="microsoft")
    login.add_argument("--device", action="store_true", help="device flow (no browser)")
    login.add_argument("--port", type=int, default=8001, help="listener port (default %(default)s)")
    login.add_argument("user", metavar="ADDRESS", help="the mail address")
    sub.add_parser("status", help="show each stored account")
    check = sub.add_parser("check", description="Refresh, connect and authenticate; send nothing.")
    check.add_argument("-v", "--verbose", action="count", default=0, help="more detail")
    return parser


def test_argparse_page_renders_without_warnings(tmp_path: Path) -> None:
    page = argparse_manpage(_token_like_parser(), summary="OAuth tokens for smail", date=DATE)
    assert _man_warnings(page, tmp_path) == ""


def test_argparse_page_content(tmp_path: Path) -> None:
    page = argparse_manpage(
        _token_like_parser(),
        summary="OAuth tokens for smail",
        date=DATE,
        sections=[("Files", "smail_refreshtoken.ini\n\n  smail-token login you@example.com")],
    )
    assert f'.TH SMAIL-TOKEN 1 "{DATE}"' in page
    rendered = _rendered(page, tmp_path)
    assert "smail-token - OAuth tokens for smail" in rendered
    for expected in (
        "Get and keep OAuth 2.0 tokens for smail.",
        "--file PATH token file (default: None)",
        "--lang {en,ja} message language",
        "COMMANDS login",
        "sign in and write smail_refreshtoken.ini",
        "--port PORT listener port (default 8001)",
        "--device device flow (no browser)",
        "ADDRESS the mail address",
        "status smail-token status [-h] show each stored account",
        "--provider {microsoft,google} --device",
        "Refresh, connect and authenticate; send nothing.",
        "-v, --verbose more detail",
        "NOTES Exit status: 0 on success, 28 when no token could be had.",
        "FILES smail_refreshtoken.ini smail-token login you@example.com",
        "SEE ALSO smail(1)",
    ):
        assert expected in rendered, expected
    assert "secret-debug" not in rendered
    assert rendered.count("show this help message and exit") == 1  # the main page only
    assert rendered.count("COMMANDS") == 1
    assert " signin " not in rendered.split("COMMANDS", 1)[1]  # an alias is not a second command
    synopsis = rendered.split("SYNOPSIS", 1)[1].split("DESCRIPTION", 1)[0]
    assert "smail-token login [-h]" in synopsis and "smail-token check" in synopsis


def test_argparse_page_does_not_depend_on_the_terminal_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    wide = argparse_manpage(_token_like_parser(), summary="x", date=DATE)
    monkeypatch.setenv("COLUMNS", "30")
    narrow = argparse_manpage(_token_like_parser(), summary="x", date=DATE)
    assert wide == narrow


# --- smail-token.1 ----------------------------------------------------------------------------


def test_smail_token_page_renders_and_lists_every_subcommand(tmp_path: Path) -> None:
    from pysmail.cli.manpage import PAGES

    page = PAGES["smail-token"]()
    assert _man_warnings(page, tmp_path) == ""
    shown = _rendered(page, tmp_path)
    for sub in ("login", "status", "check", "revoke", "logout", "access-token", "setup"):
        assert f"smail-token {sub}" in shown, sub
    assert "--client-secret-file" in shown and "--device" in shown
