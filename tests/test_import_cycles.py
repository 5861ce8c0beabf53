"""No import cycle at any level: between modules, or between the packages (`mnemo_cli.store`,
`mnemo_cli.embed`, ...) and the top-level modules. Imports inside functions count (they are still a
cycle, only a hidden one); imports made only for type checking do not (they never run).

import-linter's layers keep the packages in order; this catches what a layer contract cannot see,
such as two modules of one package importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import grimp


def cycles(edges: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def module_imports() -> dict[str, set[str]]:
    graph = grimp.build_graph("mnemo_cli", exclude_type_checking_imports=True)
    modules = set(graph.modules)
    return {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}


def package_of(module: str) -> str:
    """`mnemo_cli.store.recall` -> `mnemo_cli.store`; a top-level module is its own package."""
    return ".".join(module.split(".")[:2])


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(module_imports()) == []


def test_no_package_imports_itself_back() -> None:
    packages: dict[str, set[str]] = {}
    for importer, imported in module_imports().items():
        for module in imported:
            if package_of(module) != package_of(importer):
                packages.setdefault(package_of(importer), set()).add(package_of(module))
    assert cycles(packages) == []
