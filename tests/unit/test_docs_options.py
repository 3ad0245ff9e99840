"""The docs name only options the parsers know: every `--option` written after `smail` or
`smail-token` in README.md and docs/ is one of smail's OPTIONS or one of smail-token's (any
subcommand). A doc that promises an option before it exists, or keeps one that was removed,
fails here. (What the guides' command lines do is issue 15's test; this only reads names.)
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pysmail.cli.smail_args import OPTIONS
from pysmail.cli.token_args import build_parser

ROOT = Path(__file__).resolve().parents[2]
# `smail` or `smail-token`, then its words on the same line (quoted words kept whole), up to a
# backtick, a table bar or the end of the line
COMMAND = re.compile(r"(?<![\w./-])(smail-token|smail)((?:[ \t]+(?:\"[^\"]*\"|'[^']*'|[^\s`|]+))*)")
LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _token_options() -> set[str]:
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            found.update(s for s in action.option_strings if s.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    return found


def test_every_option_the_docs_name_is_known() -> None:
    known = {"smail": {"--" + o.long for o in OPTIONS if o.long}, "smail-token": _token_options()}
    seen: set[str] = set()
    unknown: list[str] = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for match in COMMAND.finditer(line):
                for option in LONG.findall(match.group(2)):
                    seen.add(option)
                    if option not in known[match.group(1)]:
                        where = doc.relative_to(ROOT)
                        unknown.append(f"{where}:{number}: {match.group(1)} {option}")
    assert len(seen) > 10, "the pattern finds no command lines: it is stale"
    assert not unknown, "options the parsers do not know:\n" + "\n".join(unknown)
