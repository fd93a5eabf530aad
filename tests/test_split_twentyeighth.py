"""The session merge split by concern (twenty-eighth round): ``session/merge.py`` (3,104
lines: the driver, the three-way merge of session files by entry, the pairing of rewords,
the comparisons the stale-save and removal rules use) now modules each read in one
sitting, as a pure move: every top-level definition is the same code as before the split,
its AST compared to the old one's as git's history holds it at the commit before the
split; the old module keeps every name imported from it; the package imports each name
from the module that defines it; no hot command imports any of them.

docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
from test_fast_path import SESSION_MERGE, imported
from test_imports import PACKAGE, import_graph
from test_split_twentysixth import (
    _module,
    _source,
    flattened,
    imported_names,
    missing_names,
)

from conftest import REPO_ROOT, Runner

#: The commit before the split (branch main at the twenty-eighth round's start): the old
#: module as it was.
BEFORE = "70774c3f085425024b9ca18e688ae460838a43c4"
FOLDER = "session"
OLD = "merge"
#: The parts, from the bottom up (as docs/architecture.md lists them), below the old module.
PARTS = ("merge_units", "merge_drawer", "merge_entries", "merge_session", "merge_changes",
         "merge_diverged")
#: The module whose addition is the split's commit.
FIRST = PARTS[0]


def _git_show(commit: str, name: str) -> str:
    return subprocess.run(["git", "show", f"{commit}:ai_protocols/{FOLDER}/{name}.py"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def _split_commit() -> str:
    """The commit that added ``session/merge_units.py`` (git's history of the repository
    the tests run in): the move itself, whatever fixes came after it."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--",
                            f"ai_protocols/{FOLDER}/{FIRST}.py"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert added, f"git's history holds no commit that added {FOLDER}/{FIRST}.py"
    return added[-1]


def test_the_split_is_a_pure_move() -> None:
    """Every definition of the old module stands, the same code (its AST), in one module
    of the split as its commit made it, and none else is defined; the modules now define
    every name they defined then (later fixes change bodies or add helpers)."""
    before = flattened([_git_show(BEFORE, OLD)], None)
    commit = _split_commit()
    after = flattened([_git_show(commit, name) for name in (*PARTS, OLD)], None)
    assert set(before) == set(after), set(before) ^ set(after)
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, changed
    assert len(before) > 120, len(before)  # (read them all: one per function at least)
    now = flattened([_source(FOLDER, name) for name in (*PARTS, OLD)], None)
    assert set(after) <= set(now), set(after) - set(now)


def test_the_old_module_is_read_at_the_commit_before_the_split() -> None:
    """The reference is the old module, whole: over 3,000 lines (a module of the split in
    its place would prove nothing), and the split's commit stands on it."""
    assert len(_git_show(BEFORE, OLD).splitlines()) > 3000
    assert subprocess.run(["git", "merge-base", "--is-ancestor", BEFORE, _split_commit()],
                          cwd=REPO_ROOT).returncode == 0


@pytest.mark.parametrize("name", [*PARTS, OLD])
def test_each_module_of_the_split_reads_in_one_sitting(name: str) -> None:
    """At most 1,000 lines each, and a docstring that points to the decisions that
    explain the split."""
    text = _source(FOLDER, name)
    assert len(text.splitlines()) <= 1000, name
    assert "docs/decisions.md" in (ast.get_docstring(ast.parse(text)) or ""), name


def test_the_parts_stand_below_the_old_module_from_the_bottom_up() -> None:
    """Each part imports (at its top or in a function) none listed after it nor the old
    module: the import rule of docs/architecture.md; the old module imports every part,
    directly or through another."""
    graph = import_graph()
    for index, name in enumerate(PARTS):
        above = {_module(FOLDER, later) for later in (*PARTS[index + 1:], OLD)}
        assert not graph[_module(FOLDER, name)] & above, name
    reached, todo = set(), [_module(FOLDER, OLD)]
    while todo:
        for found in graph[todo.pop()] - reached:
            reached.add(found)
            todo.append(found)
    assert {_module(FOLDER, name) for name in PARTS} <= reached


def test_every_name_imported_from_the_old_module_is_still_there() -> None:
    """What the package's modules and the tests import from the old module (``from M
    import X`` or ``M.X``), and its ``__all__``, it still has."""
    wanted = imported_names(_module(FOLDER, OLD))
    assert len(wanted) > 10, wanted
    import ai_protocols.session.merge as merge

    assert missing_names(_module(FOLDER, OLD), wanted | set(merge.__all__)) == []


#: Package modules that still take moved names through the old module's re-exports: none
#: (resume.py's two imports of the comparisons moved with the resume split to
#: resume_stash, which takes them from merge_changes).
THROUGH_OLD: frozenset[str] = frozenset()


def _imports_from(module: str) -> dict[str, set[str]]:
    """Each package module other than ``module`` and the names it imports from it."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("ai_protocols", *path.relative_to(PACKAGE).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                found.setdefault(name, set()).update(alias.name for alias in node.names)
    found.pop(module, None)
    return found


def test_the_package_imports_each_name_from_the_module_that_defines_it() -> None:
    """No module of the package (but :data:`THROUGH_OLD`) takes a name from the old
    module that the old module only re-exports: importing it loads every part (six
    modules, about 330,000 instructions each), where the part needed would do."""
    defined = set(flattened([_source(FOLDER, OLD)], None))
    through = {module: sorted(names - defined)
               for module, names in _imports_from(_module(FOLDER, OLD)).items()
               if module not in THROUGH_OLD and names - defined}
    assert through == {}, through
    assert _imports_from(_module(FOLDER, OLD))  # (it read the imports: the driver's)


def test_the_check_of_the_importers_sees_a_re_export() -> None:
    """The check above can fail: a name merge.py re-exports is not one it defines."""
    defined = set(flattened([_source(FOLDER, OLD)], None))
    assert "run_merge_driver" in defined
    import ai_protocols.session.merge as merge

    assert {"merge_session_bytes", "changes_lacking", "MergeResult"} <= set(dir(merge))
    assert not {"merge_session_bytes", "changes_lacking", "MergeResult"} & defined


def test_the_set_of_the_merge_modules_is_every_part() -> None:
    """:data:`test_fast_path.SESSION_MERGE`, which the hot commands' checks forbid, names
    the old module and every part (a part missing there would be let through)."""
    assert {_module(FOLDER, name) for name in (*PARTS, OLD)} == SESSION_MERGE


def test_a_write_and_the_hooks_import_no_part_of_the_merge(project: Path,
                                                            run: Runner) -> None:
    """A write (``log``), ``start``, ``resume`` and the SessionStart hook on a session
    under way import none of the merge's modules (and a write not ``re``), as they
    imported not the merge before the split."""
    run("start")
    run("log", "--progress", "first")
    for args in (["log", "--progress", "second"], ["start"], ["resume"], ["show"]):
        found = imported(project, *args)
        assert not found & SESSION_MERGE, (args, found & SESSION_MERGE)
        if args[0] == "log":
            assert "re" not in found, args


# -- board/lock_commands.py: the live-lock refusal in one place ---------------------------


def test_the_live_lock_refusal_stands_in_one_place() -> None:
    """The board's package raises :class:`~ai_protocols.errors.PathLocked` at one place,
    ``LockCommands._refuse_live``, which ``lock`` and ``unlock`` both call (twice written
    out before: a change of one would have missed the other)."""
    raising = []
    for path in sorted((PACKAGE / "board").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Raise) and isinstance(inner.exc, ast.Call) and \
                            getattr(inner.exc.func, "id", None) == "PathLocked":
                        raising.append((path.name, node.name))
    assert sorted(set(raising)) == [("lock_commands.py", "_refuse_live")], raising
    source = _source("board", "lock_commands")
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and getattr(node.func, "attr", None) == "_refuse_live"]
    assert len(calls) == 2, len(calls)


def test_a_live_lock_refuses_lock_and_unlock_alike_and_force_takes_it(
        project: Path, run: Runner) -> None:
    """Another agent's live lock refuses a ``lock`` over it and an ``unlock`` of it (exit
    22, each with its own words, the holder, its state and reason), the board's bytes as
    they were; ``--force`` takes it over (``lock``) and ends it (``unlock``)."""
    (project / "src" / "api").mkdir(parents=True)
    run("lock", "src/api/", "--reason", "reshaping", agent="a.1")
    board = project / ".ai" / "tasks.org"
    before = board.read_bytes()
    locked = run("lock", "src/", "--reason", "r", agent="b.1", check=False)
    assert locked.returncode == 22, locked.stderr
    assert "src/ holds src/api/, locked by a.1 (live" in locked.stderr
    assert "for: reshaping; wait for 'ai-protocols unlock'" in locked.stderr
    unlocked = run("unlock", "src/api/", agent="b.1", check=False)
    assert unlocked.returncode == 22, unlocked.stderr
    assert "cannot unlock src/api/: it is locked by a.1 (live" in unlocked.stderr
    assert "only its holder may unlock it" in unlocked.stderr
    assert board.read_bytes() == before
    run("lock", "src/", "--reason", "r", "--force", agent="b.1")
    assert "src/api/" not in run("locks", agent="b.1").stdout
    run("lock", "lib/", "--reason", "mine", agent="a.1")
    run("unlock", "lib/", "--force", agent="b.1")
    assert "lib/" not in run("locks", agent="b.1").stdout
