"""The dependencies run one way: healthaid ← households ← contracts, screening, medconsortium
← reports. No app imports reports, and no two modules import each other.

Read from the source (the AST, every import statement wherever it is, also inside
functions), so an import hidden in a function body counts too; imports under
``if TYPE_CHECKING:`` are for annotations and never run, so they do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "healthaid",
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "approvals",
    "rectification",
    "reports",
)
BELOW_REPORTS = (
    "healthaid",
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "approvals",
    "rectification",
)
# Known and being removed in its own change (the import framework's refactoring).
KNOWN_CYCLES = {frozenset({"households.importing.service", "households.tasks"})}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def _type_checking_nodes(tree) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # ``from contracts import selectors`` imports the module contracts.selectors
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module in modules and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _sources()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def test_no_app_imports_reports():
    offenders = sorted(
        f"{module} imports {imported}"
        for module, imported_set in _graph().items()
        if module.split(".")[0] in BELOW_REPORTS
        for imported in imported_set
        if imported.split(".")[0] == "reports"
    )
    assert offenders == []


def test_the_api_does_not_import_the_pages():
    graph = _graph()
    offenders = sorted(
        f"{module} imports {imported}"
        for module, imported_set in graph.items()
        if ".api." in f"{module}."
        for imported in imported_set
        if imported.endswith(".views") and ".api" not in imported
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), set()
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles():
    cycles = _cycles(_graph()) - KNOWN_CYCLES
    assert cycles == set(), sorted(sorted(c) for c in cycles)


def test_the_cycles_found_by_the_review_are_gone():
    graph = _graph()
    assert "reports.indicators" not in graph["contracts.selectors"]
    assert "healthaid.models" not in graph["healthaid.scoping"]
    assert "contracts.views" not in graph["contracts.api.views"]
