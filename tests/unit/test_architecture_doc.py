"""docs/architecture.md stays true: every module and package it names exists, and every package
of src/pysmail has its line in the table of what each package owns."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "pysmail"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
# `smtp/protocol.py`, `app/guard.py`, `errors.py`, `outbox/` in backquotes
NAMED = re.compile(r"`([a-z_0-9]+(?:/[a-z_0-9]+)*(?:\.py|/))`")
TOP_PACKAGES = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())


def _exists(name: str) -> bool:
    if name.startswith(("tests/", "scripts/")):
        return (ROOT / name).exists()
    if (SRC / name).exists() or (SRC.parent / name).exists():
        return True
    # a module named inside its package's row (`scheduler.py` of delivery/, `outbox/` of delivery/)
    return any(
        path.relative_to(SRC).as_posix().endswith("/" + name.rstrip("/")) for path in SRC.rglob("*")
    )


def test_every_named_module_exists() -> None:
    names = set(NAMED.findall(DOC))
    assert "net/deadline.py" in names and "app/" in names, "the pattern is stale"
    missing = sorted(name for name in names if not _exists(name))
    assert not missing, f"docs/architecture.md names what src/pysmail does not have: {missing}"


def test_every_package_has_its_line() -> None:
    table = DOC.split("## What each package owns", 1)[1].split("\n## ", 1)[0]
    rows = {match for match in re.findall(r"^\| `([a-z_0-9]+)/` \|", table, re.MULTILINE)}
    assert rows == set(TOP_PACKAGES)
