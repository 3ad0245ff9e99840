"""The READMEs against the code: the two quick-start commands (and that the first one really works
from a fresh clone), CI running exactly the test command, links, the smail.ini key tables against
the INI reader, and the exit-code tables against ErrCode and the Japanese titles.

The second quick-start command, `./scripts/test`, is what CI runs (`.ci/run`, checked below); it
runs this file, so running it from here would recurse.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pysmail.catalog import TITLES
from pysmail.config import ini
from pysmail.exitcodes import ErrCode

ROOT = Path(__file__).resolve().parents[2]
READMES = {"en": ROOT / "README.md", "ja": ROOT / "README.ja.md"}
OTHER = {"en": "README.ja.md", "ja": "README.md"}
QUICKSTART_COMMANDS = ["./scripts/quickstart", "./scripts/test"]
QUICKSTART_TIMEOUT = 600

_FENCE = re.compile(r"^```([\w-]*)\s*$")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _text(lang: str) -> str:
    return READMES[lang].read_text(encoding="utf-8")


def _first_block(text: str) -> tuple[list[str], str, list[str]]:
    """(the lines before the first fence, its language, its lines)."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        fence = _FENCE.match(line)
        if fence:
            end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```")
            return lines[:start], fence.group(1), lines[start + 1 : end]
    raise AssertionError("no fenced code block")


def _commands(block: list[str]) -> list[str]:
    """The commands of a `sh` block, comments and blank lines removed."""
    commands = []
    for line in block:
        words = shlex.split(line, comments=True)
        if words:
            commands.append(shlex.join(words))
    return commands


def _strip_fences(text: str) -> str:
    return re.sub(r"^```.*?^```\s*$", "", text, flags=re.M | re.S)


def _outside_code(text: str) -> str:
    """The text without fenced blocks and inline code spans (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", _strip_fences(text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _strip_fences(path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M)}


def _tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table: its rows (header first, the |---| line dropped) as stripped cells."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in _strip_fences(text).splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _section(text: str, *titles: str) -> str:
    """The text of the first `## ` section whose title starts with one of `titles`."""
    parts = re.split(r"^## ", text, flags=re.M)
    for part in parts[1:]:
        if part.startswith(titles):
            return part
    raise AssertionError(f"no section {titles}")


# (a) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_readme_starts_with_title_language_link_and_the_two_commands(lang: str) -> None:
    before, fence_lang, block = _first_block(_text(lang))
    head = [line for line in before if line.strip()]
    assert head[0] == "# pysmail", head
    assert len(head) == 2, f"only the title and the language link line come first: {head}"
    assert OTHER[lang] in _LINK.findall(head[1]), f"language link to {OTHER[lang]}: {head[1]}"
    assert fence_lang == "sh"
    assert _commands(block) == QUICKSTART_COMMANDS


def test_both_readmes_start_with_the_same_command_block() -> None:
    assert _first_block(_text("ja"))[1:] == _first_block(_text("en"))[1:]


# (b) ------------------------------------------------------------------------------------------


def test_ci_runs_the_test_command_and_nothing_else() -> None:
    harness = [
        re.compile(r"#!.*"),
        re.compile(r"set -[euxo]+( pipefail)?"),
        re.compile(r'cd "\$\(dirname "\$0"\)/\.\."'),
    ]
    commands = []
    for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or (line.startswith("#") and not line.startswith("#!")):
            continue
        if not any(p.fullmatch(line) for p in harness):
            commands.append(line)
    assert commands in (["exec scripts/test"], ["scripts/test"], ["exec ./scripts/test"])


# (c) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_relative_link_points_to_an_existing_file(lang: str) -> None:
    readme = READMES[lang]
    links = _LINK.findall(_outside_code(_text(lang)))
    assert links
    broken = []
    for link in links:
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto: ...
            continue
        target, _, fragment = link.partition("#")
        path = (readme.parent / target).resolve() if target else readme
        if not path.is_file():
            broken.append(f"{link}: no file {path}")
        elif fragment and path.suffix == ".md" and fragment not in _anchors(path):
            broken.append(f"{link}: no heading #{fragment} in {path.name}")
    assert not broken, "\n".join(broken)


# (d) ------------------------------------------------------------------------------------------


def _key_table(text: str, section: str) -> set[str]:
    """The keys named in the first column of the table headed `[section]`."""
    for table in _tables(text):
        if f"`[{section}]`" in table[0][0]:
            return {key for row in table[1:] for key in re.findall(r"`([^`]+)`", row[0])}
    raise AssertionError(f"no key table for [{section}]")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    ("section", "keys"),
    [
        (ini.MAIN_SECTION, set(ini._SMAIL_KEYS) | set(ini._SECRET_KEYS)),
        (ini.POP_SECTION, set(ini._POP_KEYS) | set(ini._SECRET_KEYS)),
    ],
)
def test_key_tables_match_the_ini_reader(lang: str, section: str, keys: set[str]) -> None:
    documented = _key_table(_text(lang), section)
    assert documented - keys == set(), "documented but not read"
    assert keys - documented == set(), "read but not documented"


# (e) ------------------------------------------------------------------------------------------


def _exit_code_rows(lang: str) -> dict[int, str]:
    """code -> the cell after it, from the exit-code section's tables."""
    section = _section(_text(lang), "Exit codes", "終了コード")
    found: dict[int, str] = {}
    for table in _tables(section):
        for row in table[1:]:
            for i, cell in enumerate(row[:-1]):
                if re.fullmatch(r"\d+", cell):
                    assert int(cell) not in found, f"code {cell} twice"
                    found[int(cell)] = row[i + 1]
    return found


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_exit_code_is_in_the_table(lang: str) -> None:
    rows = _exit_code_rows(lang)
    assert sorted(rows) == sorted(int(code) for code in ErrCode)
    assert all(rows.values()), "every code has a text"


def test_japanese_table_uses_the_catalogue_titles() -> None:
    rows = _exit_code_rows("ja")
    wrong = {int(c): (rows.get(c), TITLES[c][1]) for c in ErrCode if rows.get(c) != TITLES[c][1]}
    assert not wrong, wrong


# (f) ------------------------------------------------------------------------------------------


def _repo_root() -> Path:
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return Path(top.stdout.strip())


@pytest.mark.timeout(QUICKSTART_TIMEOUT + 120)
def test_quickstart_works_from_a_fresh_clone() -> None:
    with tempfile.TemporaryDirectory(prefix="pysmail-qs-") as tmp:
        os.chmod(tmp, 0o755)  # Dovecot and Postfix drop privileges and must traverse it
        _run_quickstart(Path(tmp) / "clone")


def _run_quickstart(clone: Path) -> None:
    # A short folder, not tmp_path: Dovecot's unix sockets live under the clone's .stack/, and
    # a socket path is limited to 107 bytes (sun_path); pytest's tmp_path is too deep for that
    # (and private: 0700).
    command = _commands(_first_block(_text("en"))[2])[0]
    subprocess.run(
        ["git", "clone", "--quiet", str(_repo_root()), str(clone)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert not (clone / ".venv").exists()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "KEEP_STACK"}
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        shlex.split(command),
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a timeout kills the whole group, the mail stack included
    )
    try:
        raw, _ = proc.communicate(timeout=QUICKSTART_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raw, _ = proc.communicate()
        pytest.fail(f"{command} took over {QUICKSTART_TIMEOUT} s:\n{raw.decode(errors='replace')}")
    finally:
        subprocess.run(
            [sys.executable, str(clone / "scripts" / "stack.py"), "stop", "--dir", ".stack"],
            cwd=clone,
            capture_output=True,
            timeout=60,
        )
    elapsed = time.monotonic() - started
    out = raw.decode("utf-8", errors="replace")
    print(f"{command} from a fresh clone: {elapsed:.1f} s")
    assert proc.returncode == 0, out
    assert re.search(r"^#-+ pysmail \S+ .*-+$", out, flags=re.M), "the -i block\n" + out
    assert re.search(r"^#\S.*: bob@example\.test$", out, flags=re.M), "the -i recipient\n" + out
    assert "Send: AUTH PLAIN ****" in out, out
    for secret in (b"\0alice@example.test\0alice-pw", b"\0alice-pw"):
        assert base64.b64encode(secret).decode() not in out, "the AUTH PLAIN credentials leaked"
    assert re.search(r"^Subject: 月次報告テスト$", out, flags=re.M), "decoded subject\n" + out
