"""smtp/ is the protocol layer: it imports nothing of retry, oauth, delivery or app (an import
inside a function counts too), so the scheduler and the use-cases sit above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pysmail.smtp

FORBIDDEN = ("pysmail.retry", "pysmail.oauth", "pysmail.delivery", "pysmail.app")
SMTP = Path(pysmail.smtp.__file__).parent


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, anywhere in it (relative imports resolved in smtp/)."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = ["pysmail", "smtp"][: 3 - node.level] if node.level <= 2 else []
                base = ".".join([*parts, base]) if base else ".".join(parts)
            names.append((node.lineno, base))
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return names


def forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


def test_smtp_imports_nothing_of_retry_oauth_delivery_or_app() -> None:
    modules = sorted(SMTP.rglob("*.py"))
    assert len(modules) >= 5
    found = [
        f"{path.relative_to(SMTP)}:{line}: {name}"
        for path in modules
        for line, name in imported(path)
        if forbidden(name)
    ]
    assert found == []


def test_the_check_sees_imports_inside_functions_and_from_the_package(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from pysmail.retry import classify\n"
        "from pysmail import delivery\nimport pysmail.oauth.flow\nfrom .. import app\n",
        encoding="utf-8",
    )
    assert sorted(name for _line, name in imported(module) if forbidden(name)) == [
        "pysmail.app",
        "pysmail.delivery",
        "pysmail.oauth.flow",
        "pysmail.retry",
        "pysmail.retry.classify",
    ]
