"""The shape of the package: no import cycle, a light import, a public API that
is what ``ai_protocols`` says it is.

Agents import the library on every call, so the heavy dependencies load only
where a command needs them; and every module imports only modules below it,
so that each can be read, and moved, on its own.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ai_protocols

HEAVY = ("click", "filelock", "orgparse", "dateutil")
PACKAGE = Path(ai_protocols.__file__).parent


@pytest.mark.parametrize("module", ["ai_protocols", "ai_protocols.paths"])
def test_importing_loads_no_heavy_dependency(module: str) -> None:
    code = (f"import sys, {module}; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd="/")
    assert result.stdout.strip() == "[]"


def test_the_check_sees_a_heavy_import() -> None:
    """The probe above can fail: importing the CLI does load click."""
    code = "import sys, ai_protocols.cli.app; print('click' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd="/")
    assert result.stdout.strip() == "True"


# -- the import graph ------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports_of(source: str, name: str, modules: set[str]) -> set[str]:
    """The package's modules that module ``name`` imports when it runs, at its top or
    inside any function; ``if TYPE_CHECKING:`` blocks never run, so they do not count."""
    tree = ast.parse(source)
    package = name if name in {m.rpartition(".")[0] for m in modules} | {"ai_protocols"} \
        else name.rpartition(".")[0]
    found: set[str] = set()

    def target(module: str) -> str | None:
        while module and module not in modules:
            module = module.rpartition(".")[0]
        return module or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ai_protocols"):
                    found.add(target(alias.name) or alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])
            if base.startswith("ai_protocols"):
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in modules else (target(base) or base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the package's modules it imports when it runs.
    The package itself imports the modules of its public names on first use
    (``_EXPORTS``, through importlib): those are its edges too."""
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in files}
    graph = {module_name(path): imports_of(path.read_text(encoding="utf-8"),
                                           module_name(path), modules) for path in files}
    graph["ai_protocols"] |= set(ai_protocols._EXPORTS)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the list of its modules (first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 20 and graph["ai_protocols.session.project"]  # it read the modules
    assert find_cycle(graph) is None


def test_the_cycle_check_sees_a_cycle_inside_a_function() -> None:
    """The check above can fail: an import hidden in a function is an edge too."""
    modules = {"ai_protocols.a", "ai_protocols.b", "ai_protocols"}
    a = imports_of("from ai_protocols import b\n", "ai_protocols.a", modules)
    b = imports_of("def f():\n    from ai_protocols.a import x\n", "ai_protocols.b", modules)
    typed = imports_of("if TYPE_CHECKING:\n    from ai_protocols.a import x\n",
                       "ai_protocols.b", modules)
    assert (a, b, typed) == ({"ai_protocols.b"}, {"ai_protocols.a"}, set())
    assert find_cycle({"ai_protocols.a": a, "ai_protocols.b": b}) == [
        "ai_protocols.a", "ai_protocols.b", "ai_protocols.a"]
    # Through the lazy package: a module that imports a public name from ai_protocols.
    graph = import_graph()
    layout = imports_of("from ai_protocols import Project\n", "ai_protocols.session.layout",
                        set(graph))
    assert find_cycle({**graph, "ai_protocols.session.layout": layout}) is not None


# -- the public API --------------------------------------------------------------------------


def test_every_public_name_resolves_lazily() -> None:
    exported = {name for names in ai_protocols._EXPORTS.values() for name in names}
    assert set(ai_protocols.__all__) == exported | {"__version__"}
    for module, names in ai_protocols._EXPORTS.items():
        for name in names:
            value = getattr(ai_protocols, name)
            assert value is getattr(__import__(module, fromlist=[name]), name)
    with pytest.raises(AttributeError):
        ai_protocols.no_such_name  # noqa: B018


def test_the_type_checking_imports_are_the_exports() -> None:
    """Type checkers see exactly the names the package exports, from the same modules."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    [block] = [n for n in tree.body if isinstance(n, ast.If) and _is_type_checking(n)]
    seen: dict[str, set[str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        seen.setdefault(node.module, set()).update(a.name for a in node.names)
    assert seen == {module: set(names) for module, names in ai_protocols._EXPORTS.items()}
