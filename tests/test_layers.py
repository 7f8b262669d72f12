"""The data flows one way: every import in the package goes down the layer order written in
docs/architecture.md, and no two modules import each other, directly or around a circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "atsnb"


def layer_order(text: str) -> dict[str, int]:
    """unit → rank from the ```layers block (one line per rank, peers separated by ·)."""
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```layers block"
    ranks: dict[str, int] = {}
    for rank, line in enumerate(filter(None, (ln.strip() for ln in block.group(1).splitlines()))):
        for unit in (u.strip() for u in line.split("·")):
            ranks[unit] = rank
    return ranks


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The package's modules a module imports, anywhere in it (function bodies too): ``from a
    import b`` names the module ``a.b`` when there is one, else ``a``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names} & known
            out |= subs or {node.module}
    return {name for name in out if name == "atsnb" or name.startswith("atsnb.")}


def unit(module: str) -> str:
    """``atsnb.calls.legs`` → ``calls``, ``atsnb.config`` → ``config``."""
    return module.split(".")[1] if "." in module else module


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(ast.parse(path.read_text(encoding="utf-8")), set(found)) for name, path in found.items()}


def against_the_order(graph: dict[str, set[str]], ranks: dict[str, int]) -> list[str]:
    wrong = []
    for module, targets in graph.items():
        here = unit(module)
        for target in targets:
            there = unit(target)
            if module == "atsnb" or there == here or target == "atsnb":
                continue  # the package itself only names lazily what analysts use
            if ranks[there] >= ranks[here]:
                wrong.append(f"{module} imports {target}: {there} is not below {here}")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


@pytest.fixture(scope="module")
def ranks() -> dict[str, int]:
    return layer_order((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))


def test_every_unit_of_the_package_has_a_place_in_the_layer_order(ranks):
    units = {unit(m) for m in modules() if m != "atsnb"} | {p.name for p in PACKAGE.iterdir() if p.is_dir()
                                                            and not p.name.startswith("__")}
    assert sorted(units - set(ranks)) == []
    assert sorted(set(ranks) - units) == []  # the document names nothing that is gone


def test_every_import_goes_down_the_layer_order(ranks):
    assert against_the_order(import_graph(), ranks) == []


def test_no_modules_import_each_other_around_a_circle():
    assert cycles(import_graph()) == []


def test_the_check_catches_an_import_up_the_order_and_a_circle(ranks):
    graph = {"atsnb.sync.pbx": {"atsnb.calls.derive"}, "atsnb.calls.derive": {"atsnb.store"},
             "atsnb.reports.lines": {"atsnb.reports.dashboard"}, "atsnb.reports.dashboard": {"atsnb.reports.lines"}}
    assert against_the_order(graph, ranks) == ["atsnb.sync.pbx imports atsnb.calls.derive: calls is not below sync"]
    assert cycles(graph) == [["atsnb.reports.dashboard", "atsnb.reports.lines"]]
    simulate_uses_sync = {"atsnb.simulate.targets": {"atsnb.sync"}}
    assert against_the_order(simulate_uses_sync, ranks) == [
        "atsnb.simulate.targets imports atsnb.sync: sync is not below simulate"]


def test_an_import_inside_a_function_counts():
    tree = ast.parse("def write():\n    from atsnb.sync import copy_frames\n")
    assert imported(tree, {"atsnb.sync", "atsnb.sync.frames"}) == {"atsnb.sync"}
