"""The task board's four big modules split by concern (twenty-seventh round):
``board/board.py`` (3,321 lines), ``board/model.py`` (2,643), ``board/merge.py`` (2,119) and
``board/stale.py`` (1,578), now modules each read in one sitting, as a pure move: every
top-level definition (and every member of ``Board``, now made of one part per concern) is
the same code as before the split, its AST compared to the old one's as git's history
holds it at the commit before the split; each old module keeps every name imported from
it; the hooks that read the board import no more modules than before.

docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest
from test_fast_path import imported
from test_imports import import_graph
from test_split_twentysixth import (
    _module,
    _source,
    flattened,
    imported_names,
    missing_names,
)

from conftest import REPO_ROOT, Runner

#: The commit before the split (branch main at the twenty-seventh round's start): the old
#: modules as they were.
BEFORE = "3269acfb720e7bff7fcd8488b8512248edfb050f"
#: Each split module: its folder, the modules of its parts from the bottom up (as
#: docs/architecture.md lists them), and the class made of parts (its bases there).
SPLITS = {
    "model": ("board", ("board_file", "board_read", "claim_history", "board_input"), None),
    "merge": ("board", ("merge_pairs", "merge_tasks", "merge_lacking"), None),
    "stale": ("board", ("stale_record", "stale_history"), None),
    "board": ("board", ("board_edits", "board_lost", "board_write", "task_commands",
                        "lock_commands"), "Board"),
}
#: Every module of the splits, the old module last among its own (it stands above them).
MODULES = [(folder, name) for old, (folder, parts, _) in SPLITS.items()
           for name in (*parts, old)]


def _old_source(folder: str, old: str) -> str:
    """The old module as it was at :data:`BEFORE` (git's history of the repository the
    tests run in)."""
    return subprocess.run(["git", "show", f"{BEFORE}:ai_protocols/{folder}/{old}.py"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def _split_source(folder: str, name: str) -> str:
    """The module ``name`` as the split's commit made it (the commit that added
    ``board/board_file.py``): the move itself, whatever fixes came after it."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--",
                            "ai_protocols/board/board_file.py"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert added, "git's history holds no commit that added board/board_file.py"
    return subprocess.run(["git", "show", f"{added[-1]}:ai_protocols/{folder}/{name}.py"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def _old_and_new(old: str) -> tuple[dict[str, str], dict[str, str]]:
    folder, parts, composed = SPLITS[old]
    before = flattened([_old_source(folder, old)], composed)
    after = flattened([_split_source(folder, name) for name in (*parts, old)], composed)
    return before, after


@pytest.mark.parametrize("old", list(SPLITS))
def test_the_split_is_a_pure_move(old: str) -> None:
    """Every definition of the old module stands, the same code (its AST), in one module
    of the split as its commit made it, and none else is defined but the parts of the
    composed class; the modules now define every name they defined then (later fixes
    change bodies or add helpers)."""
    before, after = _old_and_new(old)
    assert set(before) == set(after), (set(before) ^ set(after))
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, changed
    assert len(before) > 50, len(before)  # (read them all: one per function at least)
    folder, parts, composed = SPLITS[old]
    now = flattened([_source(folder, name) for name in (*parts, old)], composed)
    assert set(after) <= set(now), set(after) - set(now)


def test_the_old_modules_are_read_at_the_commit_before_the_split() -> None:
    """The reference is the old modules, whole: over 1,000 lines each (a module of the
    split in its place would prove nothing)."""
    for old, (folder, _, _) in SPLITS.items():
        assert len(_old_source(folder, old).splitlines()) > 1500, old


@pytest.mark.parametrize(("folder", "name"), MODULES)
def test_each_module_of_the_split_reads_in_one_sitting(folder: str, name: str) -> None:
    """At most 1,000 lines each, and a docstring that points to the decisions that
    explain the split."""
    text = _source(folder, name)
    assert len(text.splitlines()) <= 1000, name
    assert "docs/decisions.md" in (ast.get_docstring(ast.parse(text)) or ""), name


@pytest.mark.parametrize("old", list(SPLITS))
def test_the_parts_stand_below_the_old_module_from_the_bottom_up(old: str) -> None:
    """Each part imports (at its top or in a function) none listed after it nor the old
    module, nor the old module of another split: the import rule of
    docs/architecture.md; the old module imports its parts."""
    folder, parts, _ = SPLITS[old]
    graph = import_graph()
    for index, name in enumerate(parts):
        above = {_module(folder, later) for later in (*parts[index + 1:], old)}
        assert not graph[_module(folder, name)] & above, name
    assert {_module(folder, name) for name in parts} & graph[_module(folder, old)]


#: The modules a hook that reads the board runs (the PreToolUse hook's guard, the
#: SessionStart hook's context, and what they call).
HOT_READERS = ("board.guard", "board.unended", "board.brought", "board.held", "session.resume",
               "cli.commands")


def test_the_hooks_readers_import_the_parts_not_the_old_modules() -> None:
    """The modules on a hook's path take every board name from the part that defines it,
    never from ``board.model`` (whose re-exports load every part): a
    hook loads the parts it needs only."""
    graph = import_graph()
    olds = {_module("board", "model")}
    users = sorted(name for name in HOT_READERS if graph[f"ai_protocols.{name}"] & olds)
    assert users == [], users


@pytest.mark.parametrize("old", list(SPLITS))
def test_every_name_imported_from_the_old_module_is_still_there(old: str) -> None:
    """What the package's modules, the tests and the scripts import from the old module
    (``from M import X`` or ``M.X``), it still has."""
    folder, _, _ = SPLITS[old]
    wanted = imported_names(_module(folder, old))
    assert wanted, old
    assert missing_names(_module(folder, old), wanted) == []


def _board_modules(found: set[str]) -> set[str]:
    return {name for name in found if name.startswith("ai_protocols.board.")}


def test_the_hooks_on_a_board_load_only_the_readers_parts(project: Path, run: Runner) -> None:
    """The PreToolUse and SessionStart hooks on a board with another agent's task and live
    lock read it through ``board_file`` and ``board_read`` only: none of the history's,
    the input checks', the merge's, the stale rule's or the writer's modules, nor the old
    model (docs/performance.md: the reader's 1,167 lines need two modules; one more than
    before, and no other)."""
    run("task", "add", "a task", agent="other.1")
    run("lock", "src/", "--reason", "mine", agent="other.1")
    stdin = json.dumps({"session_id": "s", "cwd": str(project), "hook_event_name": "PreToolUse",
                        "tool_name": "Write",
                        "tool_input": {"file_path": str(project / "lib" / "x.py"),
                                       "content": "x"}})
    pre = _board_modules(imported(project, "hook", "PreToolUse", "--runtime", "claude",
                                  stdin=stdin, AI_AGENT_ID="me.1"))
    assert pre == {f"ai_protocols.board.{name}" for name in (
        "board_file", "board_read", "brought", "guard", "held", "unended")}, pre
    run("start")
    stdin = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                        "cwd": str(project), "hook_event_name": "SessionStart",
                        "source": "startup"})
    start = _board_modules(imported(project, "hook", "SessionStart", "--runtime", "claude",
                                    stdin=stdin))
    assert start == {f"ai_protocols.board.{name}" for name in (
        "board_file", "board_read", "brought", "held")}, start
