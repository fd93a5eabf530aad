"""``task edit --remove-working-set`` narrows, never widens; a closed task's refusal
names ``task reopen`` (fifteenth review of issue 15, f4 and f7; docs/decisions.md, "Issue
15, fifteenth round (narrowing a working set)").

Seen: ``task edit ID --remove-working-set a.txt`` on a task whose working set was
``a.txt`` answered "working set a.txt -> (none)", and a task with no working set may
change any file: ``check`` then passed a change anywhere. And ``task edit`` or ``task
claim`` of a cancelled task advised changing CANCELLED to TODO by hand in the board,
though ``task reopen`` exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from boardkit import add, board

from conftest import Runner

HOLDER = "a1.1796000000"


@pytest.mark.parametrize("removed", [("a.txt",), ("a.txt", "src/")])
def test_taking_out_every_path_is_refused_and_nothing_written(
        project: Path, run: Runner, removed: tuple[str, ...]) -> None:
    task = add(run, "Narrow", "--working-set", "a.txt", "--working-set", "src/")
    run("task", "claim", task, agent=HOLDER)
    if len(removed) == 1:  # (first narrowed to a.txt: then its last path)
        run("task", "edit", task, "--remove-working-set", "src/", agent=HOLDER)
    before = board(project)
    args = [arg for path in removed for arg in ("--remove-working-set", path)]
    done = run("task", "edit", task, *args, agent=HOLDER, check=False)
    assert done.returncode == 4, done
    assert "--remove-working-set" in done.stderr and "any file" in done.stderr
    assert "--working-set PATH" in done.stderr
    assert board(project) == before
    (project / "elsewhere.txt").write_text("x\n")
    assert run("check", agent=HOLDER, check=False).returncode == 23


def test_a_path_the_working_set_lacks_is_refused_naming_what_it_holds(
        project: Path, run: Runner) -> None:
    """A path given as the set does not hold it (``src`` for ``src/``) changed nothing
    and said "unchanged": the user thought it narrowed."""
    task = add(run, "Narrow", "--working-set", "src/", "--working-set", "b.txt")
    before = board(project)
    done = run("task", "edit", task, "--remove-working-set", "c.txt", check=False)
    assert done.returncode == 4, done
    assert "does not hold it" in done.stderr and "src/ b.txt" in done.stderr
    assert board(project) == before
    run("task", "edit", task, "--remove-working-set", "b.txt")
    assert ":WORKING_SET: src/\n" in board(project).replace("  ", " ")


@pytest.mark.parametrize("close", ["cancel", "done"])
def test_a_closed_tasks_refusal_names_task_reopen(project: Path, run: Runner,
                                                  close: str) -> None:
    task = add(run, "Closed")
    run("task", "claim", task, agent=HOLDER)
    run("task", close, task, agent=HOLDER)
    for args in (("edit", task, "--title", "new"), ("claim", task)):
        done = run("task", *args, agent=HOLDER, check=False)
        assert done.returncode == 24, done
        assert f"ai-protocols task reopen {task}" in done.stderr
        assert "in the board" not in done.stderr
    run("task", "reopen", task)
    run("task", "claim", task, agent=HOLDER)
