"""The console's layering: a router module builds its pages from modules that define no routes,
never from another router, so each route module can change without breaking another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import photogate.entrypoints.web.console as console

PACKAGE = "photogate.entrypoints.web.console"
FOLDER = Path(console.__file__).parent


def _tree(name: str) -> ast.Module:
    return ast.parse((FOLDER / f"{name}.py").read_text())


def _defines_router(tree: ast.Module) -> bool:
    """Whether the module assigns `router` at its top level (an APIRouter, by convention)."""
    targets = (t for node in tree.body if isinstance(node, ast.Assign) for t in node.targets)
    return any(isinstance(t, ast.Name) and t.id == "router" for t in targets)


def _console_imports(tree: ast.Module) -> set[str]:
    """The console modules `tree` imports from, by their name in the package."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{PACKAGE}."):
            found.add((node.module or "").removeprefix(f"{PACKAGE}.").split(".")[0])
    return found


def test_router_modules_import_no_other_router_module() -> None:
    """No module defining console routes imports from another that does."""
    trees = {path.stem: _tree(path.stem) for path in FOLDER.glob("*.py")}
    routers = {name for name, tree in trees.items() if _defines_router(tree)}
    crossing = {
        name: sorted(_console_imports(trees[name]) & routers - {name}) for name in sorted(routers)
    }
    assert {"review", "claims", "undo", "audit"} <= routers
    assert {name: found for name, found in crossing.items() if found} == {}
