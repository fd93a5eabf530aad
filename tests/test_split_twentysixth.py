"""``git/checkpoint.py`` and ``session/layout.py`` split by concern (twenty-sixth round):
3,032 and 2,843 lines, now modules each read in one sitting, as a pure move: every
top-level definition (and every member of ``Checkpoints``, now made of one part per
concern) is the same code as before the split, its AST compared to the old one's as
git's history holds it; each old module keeps every name imported from it.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from test_imports import PACKAGE, import_graph
from test_split_twentyfifth import definitions, imported_by

from conftest import REPO_ROOT

#: Each split module: its folder, the modules of its parts from the bottom up (as
#: docs/architecture.md lists them), and the class made of parts (its bases there).
SPLITS = {
    "checkpoint": ("git", ("checkpoint_marks", "checkpoint_repo", "checkpoint_take",
                           "checkpoint_refs", "checkpoint_export", "checkpoint_guard",
                           "checkpoint_restore"), "Checkpoints"),
    "layout": ("session", ("sections", "earlier_links", "org_links", "chronology", "reading",
                           "splice"), None),
}
#: Every module of the splits, the old module last among its own (it stands above them).
MODULES = [(folder, name) for old, (folder, parts, _) in SPLITS.items()
           for name in (*parts, old)]


def _source(folder: str, name: str) -> str:
    return (PACKAGE / folder / f"{name}.py").read_text(encoding="utf-8")


def _module(folder: str, name: str) -> str:
    return f"ai_protocols.{folder}.{name}"


def _split_commit(folder: str, first_part: str) -> str:
    """The commit that added ``first_part``, the split's (git's history of the repository
    the tests run in)."""
    relative = f"ai_protocols/{folder}/{first_part}.py"
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", relative],
                           cwd=REPO_ROOT, capture_output=True, text=True, check=True
                           ).stdout.split()
    assert added, f"git's history holds no commit that added {relative}"
    return added[-1]


def _source_at(commit: str, folder: str, name: str) -> str:
    return subprocess.run(["git", "show", f"{commit}:ai_protocols/{folder}/{name}.py"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def _old_source(folder: str, old: str, first_part: str) -> str:
    """The old module as it was at the commit before the one that added ``first_part``
    (git's history of the repository the tests run in)."""
    return _source_at(f"{_split_commit(folder, first_part)}^", folder, old)


def split_sources(folder: str, names: tuple[str, ...], first_part: str) -> list[str]:
    """The modules ``names`` as the split's commit made them (the one that added
    ``first_part``): the move is judged there, so that a later change of a function
    (a rule fixed, an import made lazy) is not taken for a change the split made
    (twenty-seventh round: the first pure-move test compared the work tree's modules,
    and failed on every later edit of any of their functions)."""
    commit = _split_commit(folder, first_part)
    return [_source_at(commit, folder, name) for name in names]


def _placeless(tree: ast.Module) -> ast.Module:
    """``tree`` with the package's module named by each import inside a definition left
    out (the names imported kept): a name a definition imports may move to another module
    of the package after the split (twenty-seventh round: ``git.state``'s history queries
    to ``git.history``) without the definition being other code."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and \
                        (inner.module or "").startswith("ai_protocols."):
                    inner.module = "ai_protocols"
    return tree


def flattened(modules: list[str], composed: str | None) -> dict[str, str]:
    """The definitions of the module texts ``modules`` as ``{name: AST dump}`` (no line
    numbers), the class ``composed``'s members (its own and its bases' among
    ``modules``) as ``"CLASS.member"`` and its docstring as ``"CLASS.__doc__"``, its
    bases' names and docstrings left out (the parts' own). Raises ``AssertionError`` when
    two modules define one name."""
    found: dict[str, str] = {}
    classes: dict[str, ast.ClassDef] = {}
    for text in modules:
        for name, node in definitions(_placeless(ast.parse(text)).body).items():
            assert name not in found or name == "TYPE_CHECKING", f"{name} defined twice"
            found[name] = ast.dump(node)
            if isinstance(node, ast.ClassDef):
                classes[name] = node
    found.pop("TYPE_CHECKING", None)  # (each module's flag of its typing imports)
    if composed is not None:
        top = classes[composed]
        parts = [top, *(classes[base.id] for base in top.bases if isinstance(base, ast.Name)
                         and base.id in classes)]
        for part in parts:
            del found[part.name]
            for member, node in definitions(part.body).items():
                key = f"{composed}.{member}"
                assert key not in found, f"{key} defined twice"
                found[key] = ast.dump(node)
        found[f"{composed}.__doc__"] = repr(ast.get_docstring(top, clean=False))
    return found


def _old_and_new(old: str) -> tuple[dict[str, str], dict[str, str]]:
    folder, parts, composed = SPLITS[old]
    before = flattened([_old_source(folder, old, parts[0])], composed)
    after = flattened(split_sources(folder, (*parts, old), parts[0]), composed)
    return before, after


@pytest.mark.parametrize("old", list(SPLITS))
def test_the_split_is_a_pure_move(old: str) -> None:
    """Every definition of the old module stands, the same code (its AST), in one module
    of the split, and none else is defined but the parts of the composed class."""
    before, after = _old_and_new(old)
    assert set(before) == set(after), (set(before) ^ set(after))
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, changed
    assert len(before) > 100, len(before)  # (read them all: one per function at least)


def test_the_comparison_sees_a_change_a_loss_and_an_addition() -> None:
    """The comparison above can fail: a changed body, a lost member of the composed
    class, a new definition each differ from the old module's."""
    old = ("X = 1\nclass C:\n    '''C.'''\n    a = 1\n    def f(self):\n        return 1\n"
           "def g():\n    return X\n")
    same = ["X = 1\nclass P:\n    '''Part.'''\n    def f(self):\n        return 1\n",
            "class C(P):\n    '''C.'''\n    a = 1\ndef g():\n    return X\n"]
    assert flattened([old], "C") == flattened(same, "C")
    changed = [same[0].replace("return 1", "return 2"), same[1]]
    lost = [same[0].replace("    def f(self):\n        return 1\n", "    pass\n"), same[1]]
    added = [same[0], same[1] + "def h():\n    return 0\n"]
    for new in (changed, lost, added):
        assert flattened([old], "C") != flattened(new, "C"), new
    importing = ["def f():\n    from ai_protocols.git.state import x\n    return x\n"]
    moved = [importing[0].replace("git.state", "git.history")]
    other = [importing[0].replace("import x", "import y")]
    assert flattened(importing, None) == flattened(moved, None)
    assert flattened(importing, None) != flattened(other, None)
    with pytest.raises(AssertionError, match="defined twice"):
        flattened([same[0], same[1], "def g():\n    return X\n"], "C")


@pytest.mark.parametrize(("folder", "name"), MODULES)
def test_each_module_of_the_split_reads_in_one_sitting(folder: str, name: str) -> None:
    """Under 1,000 lines each, and a docstring that points to the decisions that explain
    the split."""
    text = _source(folder, name)
    assert len(text.splitlines()) <= 1000, name
    assert "docs/decisions.md" in (ast.get_docstring(ast.parse(text)) or ""), name


@pytest.mark.parametrize("old", list(SPLITS))
def test_the_parts_stand_below_the_old_module_from_the_bottom_up(old: str) -> None:
    """Each part imports (at its top or in a function) none listed after it nor the old
    module, which imports them all: the import rule of docs/architecture.md."""
    folder, parts, _ = SPLITS[old]
    graph = import_graph()
    for index, name in enumerate(parts):
        above = {_module(folder, later) for later in (*parts[index + 1:], old)}
        assert not graph[_module(folder, name)] & above, name
    assert {_module(folder, name) for name in parts} <= graph[_module(folder, old)]


def imported_names(module: str) -> set[str]:
    """What the package's modules and the tests import from ``module`` (``from M import
    X``, or ``M.X`` after ``from PACKAGE import M``). Also tests/test_split_twentyseventh.py's."""
    folder, _, old = module.rpartition(".")
    wanted: set[str] = set()
    for path in [*PACKAGE.rglob("*.py"), *(REPO_ROOT / "tests").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                wanted |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module == folder:
                aliases |= {alias.asname or alias.name for alias in node.names
                            if alias.name == old}
        wanted |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                   and isinstance(node.value, ast.Name) and node.value.id in aliases}
    return wanted


def missing_names(module: str, names: set[str]) -> list[str]:
    """Which of ``names`` the module ``module`` lacks, imported in a new interpreter."""
    code = (f"import {module} as m, sys; names = sys.argv[1:]; "
            "print([n for n in names if not hasattr(m, n)])")
    result = subprocess.run([sys.executable, "-c", code, *sorted(names)], capture_output=True,
                            text=True, check=True, cwd="/")
    return ast.literal_eval(result.stdout.strip())


@pytest.mark.parametrize("old", list(SPLITS))
def test_every_name_imported_from_the_old_module_is_still_there(old: str) -> None:
    """What the package's modules, the tests and the scripts import from the old module
    (``from M import X`` or ``M.X``), it still has."""
    folder, _, _ = SPLITS[old]
    wanted = imported_names(_module(folder, old))
    assert len(wanted) > 5, wanted
    assert missing_names(_module(folder, old), wanted) == []


@pytest.mark.parametrize("args", [["show"], ["resume"], ["path"]])
def test_a_read_imports_no_part_of_the_checkpoints(tmp_path: Path, args: list[str]) -> None:
    """``show``, ``resume`` and ``path`` import no part of ``checkpoint`` (as they
    imported not it); ``path`` no part of ``layout`` either (docs/performance.md)."""
    imported = imported_by(tmp_path, args)
    folder, parts, _ = SPLITS["checkpoint"]
    assert not imported & {_module(folder, name) for name in (*parts, "checkpoint")}, args
    if args == ["path"]:
        folder, parts, _ = SPLITS["layout"]
        assert not imported & {_module(folder, name) for name in (*parts, "layout")}
    else:
        assert "ai_protocols.session.reading" in imported  # (it read the session)
