"""Shell completion scripts: generated from OPTIONS, and actually completing in bash and zsh.

bash: the script is sourced and `_smail` is called the way bash calls it (COMP_LINE, COMP_POINT,
COMP_WORDS split at COMP_WORDBREAKS). zsh: a real interactive zsh under zpty with compinit, a Tab
pressed, and the resulting command line read back. PowerShell is not installed on the test
machine: its script is checked for content and quoting only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pysmail.cli.completion import SHELLS, completion_script, value_kind
from pysmail.cli.smail_args import OPTIONS, Kind
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import text

# --- the table behind the scripts --------------------------------------------------------------


def test_value_kinds_name_real_options() -> None:
    """The file/host/choice classification follows OPTIONS (a renamed field would lose it)."""
    kinds = {spec.field: value_kind(spec) for spec in OPTIONS}
    assert kinds["body_file"] == kinds["html_file"] == kinds["config"] == "file"
    assert kinds["cafile"] == "file"
    assert kinds["attachments"] == "files"
    assert kinds["host"] == "host"
    assert kinds["tls"] == kinds["auth"] == kinds["charset"] == kinds["lang"] == "choice"
    assert kinds["priority"] == "choice"
    assert kinds["subject"] == kinds["sender"] == "text"
    assert kinds["debug"] == kinds["message_id"] == "none"  # a flag; an attached-only value
    for spec in OPTIONS:
        assert (kinds[spec.field] == "none") == (spec.kind != Kind.VALUE), spec.field


@pytest.mark.parametrize("shell", SHELLS)
def test_every_option_is_in_every_script(shell: str) -> None:
    script = completion_script(shell)
    for spec in OPTIONS:
        for spelling in spec.spellings():
            if shell == "zsh":
                spelling = spelling.replace("?", "\\?")  # _arguments would take -? as a pattern
            assert spelling in script, (shell, spelling)


def test_shell_name_any_case_and_unknown_shell() -> None:
    assert completion_script("BASH") == completion_script("bash")
    with pytest.raises(UsageError) as caught:
        completion_script("fish")
    assert caught.value.code is ErrCode.OPTION
    assert caught.value.msgid == "cli.bad_choice"
    assert caught.value.params["choices"] == "bash|zsh|powershell"


# --- bash -------------------------------------------------------------------------------------


def _bash_words(line: str) -> list[str]:
    """COMP_WORDS as bash builds them: split at blanks, then at '=' and ':' (COMP_WORDBREAKS)."""
    words: list[str] = []
    for token in line.split():
        words.extend(re.findall(r"[=:]+|[^=:]+", token))
    if line.endswith(" "):
        words.append("")
    return words


def _bash_complete(script: Path, cwd: Path, lines: list[str]) -> list[list[str]]:
    """COMPREPLY of `_smail` for each command line (the cursor at its end)."""
    program = [f"source {script}"]
    for line in lines:
        words = " ".join("'" + w.replace("'", "'\\''") + "'" for w in _bash_words(line))
        program += [
            f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=({words})",
            "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _smail",
            "printf '%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort; echo '#END'",
        ]
    run = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "\n".join(program)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    blocks = run.stdout.split("#END\n")[:-1]
    return [[w for w in block.split("\n") if w] for block in blocks]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    for name in ("report.txt", "report.pdf", "data.xlsx", "notes.md"):
        (tmp_path / name).write_text("x", encoding="ascii")
    (tmp_path / "docs").mkdir()
    return tmp_path


def test_bash_script_syntax(tmp_path: Path) -> None:
    script = tmp_path / "smail.bash"
    script.write_text(completion_script("bash"), encoding="utf-8")
    run = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_bash_completes(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    script = tmp_path_factory.mktemp("script") / "smail.bash"
    script.write_text(completion_script("bash"), encoding="utf-8")
    cases = {
        # long option names, and their values in both forms
        "smail --ch": ["--charset"],
        "smail --tls=st": ["starttls"],  # bash replaces only the part after '='
        "smail --tls=": ["=none", "=smtps", "=starttls"],  # bash's word is '=' itself
        "smail --tls ": ["none", "smtps", "starttls"],
        "smail --lang ": ["en", "ja"],
        "smail --config=re": ["report.pdf", "report.txt"],
        "smail --html d": ["data.xlsx", "docs/"],
        # SMAIL's attached values
        "smail -Frep": ["-Freport.pdf", "-Freport.txt"],
        "smail -areport.txt,d": ["-areport.txt,data.xlsx", "-areport.txt,docs/"],
        "smail -p": ["-p"],
        "smail -p3": ["-p3"],
        "smail -hlocalh": ["-hlocalhost"],
        "smail -F no": ["notes.md"],
        # nothing to offer: free text, recipients
        "smail -sMonthly": [],
        "smail --subject ": [],
        "smail you@exa": [],
        "smail -d you@x ": [],
    }
    replies = _bash_complete(script, folder, list(cases))
    for (line, expected), got in zip(cases.items(), replies, strict=True):
        assert got == sorted(expected), line


def test_bash_offers_every_option_after_a_dash(
    folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    script = tmp_path_factory.mktemp("script") / "smail.bash"
    script.write_text(completion_script("bash"), encoding="utf-8")
    (folder / "-x").write_text("a file whose name would match a -? glob", encoding="ascii")
    [got] = _bash_complete(script, folder, ["smail -"])
    assert got == sorted(s for spec in OPTIONS for s in spec.spellings())


# --- zsh --------------------------------------------------------------------------------------

_ZPTY_DRIVER = r"""
zmodload zsh/zpty || exit 3
zpty z 'TERM=dumb zsh -f -i'
zpty -w z 'PS1=""; PS2=""; autoload -U compinit; compinit -u -D; source "$SCRIPT"; \
setopt nobeep; dump() { print -rn -- "${:-<}<<$BUFFER>>${:->}"; BUFFER="" }; zle -N dump; \
bindkey "^Xd" dump'
for line in "$@"; do
  zpty -w -n z "$line"$'\t'   # Tab: complete
  zpty -w -n z $'\x18d'       # then Ctrl-X d: print the command line between <<< >>>, clear it
  out=""
  zpty -r z out '*>>>*' || exit 4
  out=${out##*<<<}
  print -r -- "${out%%>>>*}"
done
zpty -d z
"""


def _zsh_complete(script: Path, cwd: Path, lines: list[str]) -> list[str]:
    """The command line after pressing Tab at the end of each line, in a real zsh."""
    run = subprocess.run(
        ["zsh", "-f", "-c", _ZPTY_DRIVER, "driver", *lines],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "SCRIPT": str(script)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, (run.returncode, run.stdout, run.stderr)
    return run.stdout.splitlines()


def test_zsh_script_syntax_and_registration(tmp_path: Path) -> None:
    assert shutil.which("zsh"), "zsh is a test dependency (scripts/install-test-deps.sh)"
    script = tmp_path / "_smail"
    script.write_text(completion_script("zsh"), encoding="utf-8")
    syntax = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    loaded = subprocess.run(
        [
            "zsh",
            "-f",
            "-c",
            f"autoload -U compinit; compinit -u -D; source {script}; print -r -- $_comps[smail]",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert loaded.stdout.strip() == "_smail", loaded.stderr


def test_zsh_completes(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    script = tmp_path_factory.mktemp("script") / "_smail"
    script.write_text(completion_script("zsh"), encoding="utf-8")
    cases = {
        "smail --tl": "smail --tls=",
        "smail --tls=st": "smail --tls=starttls ",
        "smail --charset=iso": "smail --charset=iso-2022-jp ",
        "smail -Frep": "smail -Freport.",
        "smail -Fno": "smail -Fnotes.md ",
        "smail -adata.xlsx,no": "smail -adata.xlsx,notes.md,",  # ready for one more
        "smail --dry": "smail --dry-run ",
        "smail -p": "smail -p",
    }
    got = _zsh_complete(script, folder, list(cases))
    assert got == list(cases.values())


def test_zsh_help_texts_are_escaped() -> None:
    script = completion_script("zsh")
    # "Sender: ..." holds a colon, which would end the description field unescaped
    assert "[Sender\\: me@example.com" in script
    assert "'(- *)-\\?[Show this help.]'" in script  # -? is no pattern; it excludes the rest
    japanese = completion_script("zsh", "ja")
    assert text("cli.help.subject", "ja") in japanese


# --- PowerShell -------------------------------------------------------------------------------


def test_powershell_script_content() -> None:
    script = completion_script("powershell")
    assert "Register-ArgumentCompleter -Native -CommandName @('smail', 'smail.exe')" in script
    assert "@{ Name = '--tls'; Kind = 'choice'; Short = $false; " in script
    assert "Choices = @('none', 'starttls', 'smtps')" in script
    assert "@{ Name = '-F'; Kind = 'file'; Short = $true; " in script
    assert "@{ Name = '-a'; Kind = 'files'; Short = $true; " in script
    # PowerShell's only escape inside '...' is '': an odd count of quotes on a line is a break
    for number, line in enumerate(script.splitlines(), 1):
        assert line.count("'") % 2 == 0, (number, line)
    assert script.count("{") == script.count("}")
    assert script.count("(") == script.count(")")


def test_powershell_quotes_help_texts() -> None:
    script = completion_script("powershell", "ja")
    assert text("cli.help.subject", "ja") in script
    help_with_apostrophe = text("cli.help.helo", "en")  # "this computer's name"
    assert "'" in help_with_apostrophe
    assert help_with_apostrophe.replace("'", "''") in completion_script("powershell")
