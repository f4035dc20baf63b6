"""The modules of ``network.fabric`` import each other without a cycle, counting the
imports inside functions (a deferred import hides a cycle; it does not remove it)."""

import ast
from pathlib import Path

import network.fabric

PACKAGE = Path(network.fabric.__file__).parent


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "network.fabric":
                out |= {f"network.fabric.{a.name}" for a in node.names}
            elif node.module.startswith("network.fabric."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("network.fabric.")}
    return out


def test_no_module_of_network_fabric_imports_its_importer():
    graph = {
        f"network.fabric.{p.stem}": _imports(p)
        for p in PACKAGE.glob("*.py")
        if p.stem != "__init__"
    }
    assert graph["network.fabric.deploy"], "the graph was not read"
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:  # depth first; each module once
        for nxt in sorted(graph.get(module, ())):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(module)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert not cycles, cycles
    assert "network.fabric.network" not in graph["network.fabric.deploy"]
