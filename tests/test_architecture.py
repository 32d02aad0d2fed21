"""The import graph of `harness`: no circle, no module importing a layer above its own,
and no check module importing another (issue: one place for each piece of set-up)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "harness"

LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "harness",
        "harness.arguments",
        "harness.aws",
        "harness.checks",
        "harness.imaging",
        "harness.model",
    ),
    ("harness.client", "harness.emulator", "harness.report", "harness.spec"),
    ("harness.sdk", "harness.server"),
    ("harness.server.checks",),
    (
        "harness.proxy",
        "harness.server.environment",
        "harness.server.machine",
        "harness.server.runner",
        "harness.server.units",
    ),
    ("harness.pytest_plugin", "harness.selftest"),
    ("harness.__main__", "harness.cli"),
)
"""From the bottom up: a module imports modules of its own layer or of those below.
Checks sit above what they share (context, probe, scenes, the registry); units, the
state machine, set-up and the contract proxy (which judges with the registry) above the
checks; front ends at the top."""

CHECKS = "harness.server.checks"


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def graph() -> dict[str, set[str]]:
    """Each module of `harness` and the modules of `harness` it imports (its own ancestor
    packages left out: importing a module always runs them), TYPE_CHECKING imports too."""
    paths = {
        _name(path): path for path in PACKAGE.rglob("*.py") if "node_modules" not in path.parts
    }
    edges: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                wanted = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                    for alias in node.names
                ]
            else:
                continue
            for target in wanted:
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                if target and not name.startswith(target + ".") and target != name:
                    found.add(target)
        edges[name] = found
    return edges


def _layer(module: str) -> int:
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_check_module_imports_another() -> None:
    crossing = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if module.startswith(CHECKS + ".")
        for target in sorted(targets)
        if target.startswith(CHECKS + ".")
    ]
    assert crossing == []


def test_the_import_graph_has_no_circle() -> None:
    edges = graph()
    done: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            circles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
    assert circles == []


def test_the_graph_sees_imports() -> None:
    edges = graph()
    assert "harness.server.scenes.imports" in edges["harness.server.checks.jobs"]
    assert "harness.server.context" in edges["harness.server.scenes.imports"]
    assert "harness.emulator.records" in edges["harness.emulator.storage.image_set_tables"]
