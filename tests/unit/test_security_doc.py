"""docs/security.md names a test for every promise: each one it names must exist.

A promise whose test was renamed or deleted would otherwise go on claiming a proof it no longer
has. References are `tests/path.py::test_name` (a parametrised id in brackets is allowed) and
`::test_name` continuing the last file named in the same table cell; a bare `tests/path.py`
names a whole file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
REF = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?(?:\[[^\]`]*\])?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def _references() -> list[tuple[str, str | None]]:
    refs: list[tuple[str, str | None]] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        for cell in line.split("|"):
            current: str | None = None
            for match in REF.finditer(cell):
                file, name = match.group(1), match.group(2)
                if file is None and name is None:
                    continue
                current = file or current
                assert current is not None, f"`::{name}` with no file before it: {cell.strip()}"
                refs.append((current, name))
    return refs


def test_every_test_the_security_page_names_exists() -> None:
    refs = _references()
    assert len(refs) >= 60, "the page should name a test for every promise"
    missing = []
    for file, name in refs:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
        elif name is not None and name not in _tests_in(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_every_module_the_security_page_names_exists() -> None:
    """The table of "the one place" for each class of defect names modules that exist."""
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", text))
    assert {"fs/trust.py", "text/ini_edit.py", "net/deadline.py"} <= named, "the pattern is stale"
    src = ROOT / "src" / "pysmail"
    missing = sorted(
        name for name in named if not ((src / name).is_file() or (ROOT / name).is_file())
    )
    assert not missing, f"docs/security.md names modules that do not exist: {missing}"
