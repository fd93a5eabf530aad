"""Tasks a person types in Emacs without an id, after the review of this round
(issue 15, sixteenth round): ``task list``'s advice works as pasted (a title starting
with ``-`` after ``--``; no advice by a title two such tasks share), and once a write
gave them their ids, naming one by its title says its id (or, for a shared title, each
id) instead of a bare "no task"."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from boardkit import linked_copy

from conftest import CLI, Runner, clean_env


@pytest.fixture
def typed(project: Path, run: Runner) -> Path:
    run("task", "add", "Seed", agent="a.1")
    board = project / ".ai" / "tasks.org"
    with board.open("a") as out:
        out.write("* TODO Foo\n* TODO Bar\n* TODO Dup\n* TODO Dup\n* TODO -x flag\n")
    return board


def test_task_list_advice_for_tasks_without_an_id_works_as_pasted(
        project: Path, run: Runner, typed: Path) -> None:
    said = run("task", "list", agent="a.1").stderr
    advice = [line.split("to claim it now: ", 1)[1] for line in said.splitlines()
              if "to claim it now: " in line]
    # (two of one title: each named by its line, the key task show takes too: issue 15,
    # nineteenth round)
    lines = [int(n) for n in re.findall(r"^task on line (\d+) \('Dup'\)", said, re.M)]
    assert advice == ["ai-protocols task claim Foo", "ai-protocols task claim Bar",
                      f"ai-protocols task claim line:{lines[0]}",
                      f"ai-protocols task claim line:{lines[1]}",
                      "ai-protocols task claim -- '-x flag'"], said
    assert said.count("its title names another task too") == 2, said
    bin_dir = Path(CLI).parent
    done = subprocess.run(advice[4], shell=True, cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="a.1",
                                        PATH=f"{bin_dir}:/usr/bin:/bin"))
    assert done.returncode == 0 and "Claimed task" in done.stdout and "-x flag" in done.stdout, \
        done


def test_a_title_after_its_id_was_given_names_the_id(project: Path, run: Runner,
                                                     typed: Path) -> None:
    run("task", "claim", "Foo", agent="a.1")  # a write: every such task gets its id
    board = typed.read_text()
    refused = run("task", "claim", "Bar", agent="a.1", check=False)
    assert refused.returncode == 20, refused
    bar_id = refused.stderr.split("has the id ", 1)[1].split(" ", 1)[0]
    assert re.search(rf"^:ID: +{bar_id}$", board, re.M) and "name it by that id" in \
        refused.stderr, (bar_id, refused.stderr)
    assert typed.read_text() == board  # nothing changed
    run("task", "claim", bar_id, agent="a.1")
    dup = run("task", "claim", "Dup", agent="a.1", check=False)
    assert dup.returncode == 20 and "2 tasks are titled 'Dup': name one by its id" in \
        dup.stderr, dup.stderr


def test_merge_copy_again_after_a_claim_adds_no_task_twice(tmp_path: Path) -> None:
    """A task typed into a linked work tree's copy, merged by ``task merge-copy``, then
    claimed on the shared board (its state and a claim's note changed there): running
    ``merge-copy`` again adds it no second time."""
    run, in_tree, _, tree = linked_copy(tmp_path)
    with (tree / ".ai" / "tasks.org").open("a") as board:
        board.write("* TODO Typed in copy\nwhat it is about\n")
    in_tree("task", "merge-copy")
    listed = run("task", "list", "--json").stdout
    import json

    typed = next(t for t in json.loads(listed) if t["title"] == "Typed in copy")
    run("task", "claim", typed["id"], agent="a.1")
    in_tree("task", "merge-copy")
    titles = [t["title"] for t in json.loads(run("task", "list", "--all", "--json").stdout)]
    assert titles.count("Typed in copy") == 1, titles
