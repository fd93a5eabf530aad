"""The edit transaction split by concern (twenty-fifth round): ``session/transaction.py``
was 5,887 lines; its concerns now stand in modules of their own, each readable in one
sitting, below the transaction (``merge-kept``, which writes through it, above it), and
the commands that never imported the transaction import none of them either.

docs/decisions.md, "Twenty-fifth round: transaction.py split by concern".
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from test_imports import PACKAGE, import_graph

from conftest import CLI, clean_env

#: The modules of the split, from the bottom up (as docs/architecture.md lists them).
SPLIT = ("edit_base", "entries_compared", "carries", "wrapped_copy", "unmerged",
         "stale_saves", "stale_over", "replaced", "away", "transaction", "merge_kept")
#: The concerns: below the transaction, which calls into them.
BELOW = SPLIT[:SPLIT.index("transaction")]


def _path(name: str) -> Path:
    return PACKAGE / "session" / f"{name}.py"


def definitions(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """The names the statements ``body`` (a module's or a class's) define, each with the
    statement that defines it: functions, classes and assigned names (every name of a
    tuple target). Imports, ``if``/``try`` blocks and bare expressions (a docstring)
    define none here. Also tests/test_split_twentysixth.py's."""
    found: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        found[leaf.id] = node
    return found


def _defined(name: str) -> set[str]:
    """The names module ``name`` defines at its top (functions, classes, constants)."""
    body = ast.parse(_path(name).read_text(encoding="utf-8")).body
    return set(definitions(body)) - {"__all__", "TYPE_CHECKING", "IfEdited"}


@pytest.mark.parametrize("name", SPLIT)
def test_each_module_of_the_split_reads_in_one_sitting(name: str) -> None:
    """Under about 1,000 lines each, and a docstring that says its concern and points
    to the decisions that explain it."""
    text = _path(name).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 1000, name
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert "docs/decisions.md" in doc, name


def test_each_definition_stands_in_one_module_of_the_split() -> None:
    """One place for each rule: no name is defined in two modules of the split."""
    seen: dict[str, str] = {}
    twice = []
    for name in SPLIT:
        for defined in _defined(name):
            if defined in seen:
                twice.append((defined, seen[defined], name))
            seen[defined] = name
    assert not twice
    assert {"editing", "Editing", "probe"} <= _defined("transaction")
    assert "merge_kept_into" in _defined("merge_kept")


def test_the_concerns_stand_below_the_transaction() -> None:
    """No concern module imports the transaction or ``merge-kept`` (at its top or in a
    function), nor one listed after it: the transaction calls into them, never back."""
    graph = import_graph()
    for index, name in enumerate(BELOW):
        above = {f"ai_protocols.session.{later}" for later in SPLIT[index + 1:]}
        assert not graph[f"ai_protocols.session.{name}"] & above, name
    assert "ai_protocols.session.transaction" in graph["ai_protocols.session.merge_kept"]


def test_the_transaction_imports_every_concern_but_merge_kept() -> None:
    """Importing the transaction loads the concerns its write calls (as the one module
    did), and not ``merge-kept``, which only that command needs, nor ``entries_compared``
    (since the twenty-eighth round imported where a rare path asks it: docs/decisions.md,
    "Twenty-eighth round: the SessionStart hook beside 1,000 files")."""
    code = ("import sys, ai_protocols.session.transaction; "
            "print(sorted(m.rpartition('.')[2] for m in sys.modules "
            "if m.startswith('ai_protocols.session.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd="/")
    loaded = set(ast.literal_eval(result.stdout.strip()))
    assert set(BELOW) - {"entries_compared"} <= loaded
    assert "entries_compared" not in loaded
    assert "merge_kept" not in loaded


def imported_by(tmp_path: Path, args: list[str]) -> set[str]:
    """The modules the installed console script imports for ``args`` (``-X importtime``)
    in a new git repository at ``tmp_path`` with a session started."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = clean_env()
    assert subprocess.run([str(CLI), "start", "--title", "t"], cwd=tmp_path, env=env,
                          capture_output=True, check=False).returncode == 0
    run = subprocess.run([sys.executable, "-X", "importtime", str(CLI), *args],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return {line.rpartition("|")[2].strip() for line in run.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [["show"], ["resume"], ["path"]])
def test_a_read_imports_none_of_the_split(tmp_path: Path, args: list[str]) -> None:
    """``show``, ``resume`` and ``path`` import none of the write machinery, the split
    modules included (docs/performance.md: their import budgets)."""
    imported = imported_by(tmp_path, args)
    assert "ai_protocols.session.names" in imported or args == ["path"]  # (it read them)
    assert not imported & {f"ai_protocols.session.{name}" for name in SPLIT}, args
