"""The import rules of pysmail's packages, read from the source (ast), not from a running import.

Every `import` counts wherever it stands: at module level, inside a function (a deferred import is
still a dependency; D8 defers imports for start-up time, not to hide them) and under
`if TYPE_CHECKING:`. Annotation-only imports are never executed, but they still say that one
package's meaning depends on another's, so a cycle through them is a cycle in the design: a package
that needs only the shape of another's object declares that shape itself (a Protocol), as
messages.format_error does for errors.SmailError.

A top-level module (pysmail/errors.py) counts as a package of its own; pysmail/__init__.py and
pysmail/__main__.py are the entry points and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pysmail"
ENTRY_POINTS = {"pysmail", "pysmail.__main__"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _imports() -> dict[str, set[str]]:
    """Each module -> the pysmail modules it imports (a `from pkg import mod` names the module)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                is_package = path.name == "__init__.py"
                found.update(t for t in _targets(node, name, is_package) if t in modules)
        found.discard(name)
        graph[name] = found
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        if module in ENTRY_POINTS:
            continue
        edges = graph.setdefault(_package(module), set())
        edges.update(_package(t) for t in targets if _package(t) != _package(module))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_graph_is_read() -> None:
    graph = _imports()
    assert "pysmail.errors" in graph["pysmail.app.guard"]  # module level
    assert "pysmail.cli.usage" in graph["pysmail.cli.smail_main"]  # inside a function
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_package_cycles() -> None:
    assert _cycles(_package_graph()) == []


def test_only_cli_imports_cli() -> None:
    offenders = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if _package(module) != "cli" and module not in ENTRY_POINTS
        for target in targets
        if _package(target) == "cli"
    )
    assert offenders == []


def test_smtp_imports_no_policy() -> None:
    forbidden = {"retry", "oauth", "delivery", "app"}
    offenders = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if _package(module) == "smtp"
        for target in targets
        if _package(target) in forbidden
    )
    assert offenders == []


# The front ends built on the public API (issue 14: the Django backend and the logging
# handler); every other package is below api/ and must not import it.
API_USERS = {"api", "django", "logging"}


def test_nothing_below_the_public_api_imports_it() -> None:
    offenders = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if _package(module) not in API_USERS and module not in ENTRY_POINTS
        for target in targets
        if _package(target) == "api"
    )
    assert offenders == []
