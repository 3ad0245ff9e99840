"""The guides say what the commands do (issue 15, item 3).

Every `smail` / `smail-token` command line in docs/guides (English and Japanese: the lines of the
code blocks, and inline code that starts with the command and has arguments) is parsed by the
real parsers, cli/smail_args.py and cli/token_args.py. How a line is read:

- shell-split as the shell of its block would: POSIX rules in `sh` blocks (a backslash escapes,
  `\\` at the end continues the line), cmd.exe's in `bat` blocks and inline code (a backslash is
  a plain character, `^` at the end continues the line); `#` / `rem` comments are dropped;
- `NAME=value` words before the command are the environment (POSIX), not arguments;
- a shell operator (`|`, `&&`, `>`, `2>&1`, `&`, `;`) ends the command;
- `%VAR%`, `$VAR`, `${VAR}` stay as written: the parser sees the word the shell would pass with
  the variable still unexpanded, which for these options is one plain value, as after expansion;
- `<placeholder>` (`<client id>`, `<Directory (tenant) ID>`) is one value, as whatever the reader
  writes there.

Every relative link and #anchor in README*.md, docs/*.md and docs/guides/*.md is checked: the file
exists, and the anchor is one GitHub makes from a heading of that file (lower case; everything
but letters, digits, marks, `-`, `_` and spaces dropped, so Japanese stays and full-width
punctuation goes; spaces become `-`; a repeated heading gets `-1`, `-2`).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from pysmail.cli import smail_args, token_args
from pysmail.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs" / "guides").glob("*.md"))
LINKED_DOCS = sorted([*ROOT.glob("README*.md"), *(ROOT / "docs").glob("*.md"), *GUIDES], key=str)
COMMANDS = ("smail", "smail-token")
FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
PLACEHOLDER = re.compile(r"<[^<>\n]+>")
OPERATORS = ("|", "||", "&&", "&", ";", ">", ">>", "<", ">&", "2>", "2>&1")
POSIX_SHELLS = ("sh", "bash", "shell", "console", "zsh")


# --- command lines -----------------------------------------------------------------------------


def _blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, shell, logical line) of every code-block line and inline code span; the
    shell is "sh" for POSIX blocks, "cmd" for other blocks, "inline" for code in the text (a
    span may run over a line break, as markdown allows: each paragraph is read whole)."""
    fence: str | None = None
    shell = "cmd"
    pending, start = "", 0
    paragraph: list[str] = []
    first = 0
    for number, line in enumerate([*text.splitlines(), ""], 1):
        opened = FENCE.match(line)
        if fence is None and (opened or not line.strip()):
            yield from ((first, "inline", span) for span in INLINE.findall(" ".join(paragraph)))
            paragraph = []
        if fence is None and opened:
            fence, shell = opened.group(1), "sh" if opened.group(2) in POSIX_SHELLS else "cmd"
            continue
        if fence is None:
            if line.strip():
                first = number if not paragraph else first
                paragraph.append(line.strip())
            continue
        if line.strip().startswith(fence):
            fence = None
            continue
        start = start or number
        joined = pending + line
        cont = "\\" if shell == "sh" else "^"
        if joined.rstrip().endswith(cont):
            pending = joined.rstrip()[: -len(cont)] + " "
            continue
        yield start, shell, joined
        pending, start = "", 0


def _words(line: str, shell: str) -> list[str]:
    """The argv of a shell line (see the module docstring), placeholders kept whole."""
    holders: dict[str, str] = {}

    def hold(match: re.Match[str]) -> str:
        key = f"PLACEHOLDER{len(holders)}"
        holders[key] = match.group(0)
        return key

    lexer = shlex.shlex(PLACEHOLDER.sub(hold, line), posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    lexer.commenters = "#" if shell == "sh" else ""
    if shell != "sh":
        lexer.escape = ""  # cmd.exe: a backslash is a path separator
    words: list[str] = []
    for word in lexer:
        if word in OPERATORS:
            if words and re.search(rf"\s{re.escape(words[-1])}>", line):
                words.pop()  # the file descriptor of a redirection (2>&1)
            break
        words.append(holders.get(word, word))
    return words


def command_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, argv) of every smail / smail-token command line in a markdown text."""
    for number, shell, line in _blocks(text):
        if shell == "cmd" and line.lstrip().lower().startswith(("rem ", "::")):
            continue
        try:
            words = _words(line, "sh" if shell == "sh" else "cmd")
        except ValueError:  # unbalanced quotes: prose in backticks, not a command
            continue
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]) and shell == "sh":
            words.pop(0)  # environment assignments before the command
        if not words or words[0] not in COMMANDS:
            continue
        if shell == "inline" and len(words) == 1:
            continue  # the command's name in a sentence, not a command line
        yield number, words


def parse_failure(argv: list[str]) -> str | None:
    """None when the real parser takes `argv` (command name first), else why not."""
    try:
        if argv[0] == "smail":
            smail_args.parse_args(argv[1:])
        else:
            with contextlib.redirect_stdout(io.StringIO()):  # --help prints, then exits 0
                token_args.parse_args(argv[1:])
    except UsageError as err:
        return f"{err.msgid} {err.params}"
    except SystemExit as exit_:
        return None if exit_.code in (0, None) else f"exit {exit_.code}"
    return None


def test_every_command_line_in_the_guides_parses() -> None:
    seen: dict[str, int] = {}
    failures = []
    for guide in GUIDES:
        for number, argv in command_lines(guide.read_text(encoding="utf-8")):
            seen[guide.name] = seen.get(guide.name, 0) + 1
            why = parse_failure(argv)
            if why is not None:
                failures.append(f"{guide.relative_to(ROOT)}:{number}: {shlex.join(argv)}: {why}")
    assert not failures, "command lines the parsers refuse:\n" + "\n".join(failures)
    for guide in GUIDES:
        assert seen.get(guide.name, 0) >= 2, f"{guide.name}: too few command lines found"


def test_the_reader_finds_and_judges_commands() -> None:
    """The reader itself: continuations, comments, operators, environment, placeholders,
    variables; and a line with an option the parser does not know fails."""
    text = """
Run `smail-token login --port 8002` or `smail-token`; `smail.ini` is no command, and
`smail-token login
--issuer` over a line break is one (a bad one).

```sh
SMAIL_CLIENT_SECRET=x smail-token login --provider generic \\
    --client-id <client id> --scope a   # a comment
smail -s"$SUBJECT" -T"x" you@example.com | tee log
```

```bat
smail -s"Report %DATE%" -FC:\\jobs\\r.txt a@example.com ^
  -S >> log.txt 2>&1
set RC=%ERRORLEVEL%
```
"""
    found = [argv for _, argv in command_lines(text)]
    assert found == [
        ["smail-token", "login", "--port", "8002"],
        ["smail-token", "login", "--issuer"],
        ["smail-token", "login", "--provider", "generic", "--client-id", "<client id>",
         "--scope", "a"],
        ["smail", "-s$SUBJECT", "-Tx", "you@example.com"],
        ["smail", "-sReport %DATE%", "-FC:\\jobs\\r.txt", "a@example.com", "-S"],
    ]  # fmt: skip
    assert [parse_failure(argv) is None for argv in found] == [True, False, True, True, True]
    assert parse_failure(["smail-token", "login", "--no-such-option"]) is not None
    assert parse_failure(["smail", "--no-such-option"]) is not None
    assert parse_failure(["smail-token", "login", "--issuer"]) is not None  # needs its value


# --- links and anchors -------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _prose_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield number, line


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading's text (github-slugger): markdown markup dropped, lower case,
    only letters, digits, marks, `-`, `_` and spaces kept, spaces to `-`."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").replace("*", "")
    kept = "".join(c for c in text.lower() if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, line in _prose_lines(path):
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = github_anchor(match.group(1))
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def broken_links(path: Path) -> list[str]:
    broken = []
    for number, line in _prose_lines(path):
        for target in LINK.findall(re.sub(r"`[^`]*`", "``", line)):  # no links in code
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)}:{number}: {target}"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
                broken.append(f"{where}: no such heading")
    return broken


def test_github_anchor_rules() -> None:
    assert github_anchor("7. Get the refresh token: `smail-token login`") == (
        "7-get-the-refresh-token-smail-token-login"
    )
    assert github_anchor("smail.ini") == "smailini"
    assert github_anchor("4. Section `[pop_before_smtp]`") == "4-section-pop_before_smtp"
    assert github_anchor("終了コードとメッセージ") == "終了コードとメッセージ"
    assert github_anchor("3. リダイレクト URI（SMAIL と同じ）") == "3-リダイレクト-urismail-と同じ"
    assert github_anchor("10a. App-only: 証明書") == "10a-app-only-証明書"


def test_every_relative_link_and_anchor_resolves() -> None:
    assert len(LINKED_DOCS) >= 10
    broken = [item for doc in LINKED_DOCS for item in broken_links(doc)]
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_a_broken_anchor_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    doc = tmp_path / "a.md"
    doc.write_text(
        "# Title\n## 1. 準備（最初に）\n[ok](#1-準備最初に) [bad](#1-準備) [gone](b.md)\n"
        "```\n[not a link](#nowhere)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(doc) == [
        "a.md:3: #1-準備: no such heading",
        "a.md:3: b.md: no such file",
    ]


# --- both languages ----------------------------------------------------------------------------


def test_every_guide_has_both_languages_and_the_readmes_link_them() -> None:
    english = {g.name for g in GUIDES if not g.name.endswith(".ja.md")}
    japanese = {g.name.removesuffix(".ja.md") + ".md" for g in GUIDES if g.name.endswith(".ja.md")}
    assert english and english == japanese, (english, japanese)
    for readme in ("README.md", "README.ja.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        for name in sorted(english):
            for linked in (name, name.removesuffix(".md") + ".ja.md"):
                assert f"](docs/guides/{linked}" in text, f"{readme} does not link {linked}"


def test_each_japanese_guide_keeps_the_english_sections() -> None:
    """The same content: as many numbered sections, and the same command lines."""
    for guide in GUIDES:
        if guide.name.endswith(".ja.md"):
            continue
        ja = guide.with_name(guide.name.removesuffix(".md") + ".ja.md")
        en_text, ja_text = guide.read_text(encoding="utf-8"), ja.read_text(encoding="utf-8")
        sections = re.compile(r"^#{2,3} (\d+[a-z]?)\.", re.M)
        assert sections.findall(en_text) == sections.findall(ja_text), guide.name
        en_cmds = sorted(" ".join(a) for _, a in command_lines(en_text) if len(a) > 2)
        ja_cmds = sorted(" ".join(a) for _, a in command_lines(ja_text) if len(a) > 2)
        assert en_cmds == ja_cmds, guide.name
