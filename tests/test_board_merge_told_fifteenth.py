"""The agent whose claim or lock a git merge of the board dropped is told.

Two clones claim one task and lock one folder; git merges the boards (the project's merge
driver keeps the earlier claim and lock and logs ``merge: dropped LATE's ...``). LATE's
next commands (``task list --mine``, ``locks``, ``check``, ``resume``) each say, once,
which claim and lock it lost, to whom, and what to do; EARLY's say nothing; once LATE
holds the task again (EARLY released it), the claim is no longer said. Real git, the
installed console script.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import Runner

EARLY, LATE = "vm.c2.x.EARLY", "vm.c1.x.LATE"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_loser_of_a_merge_is_told_what_it_lost_to_whom_and_what_to_do(
        tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    c1, c2 = tmp_path / "c1", tmp_path / "c2"
    subprocess.run(["git", "clone", "-q", str(origin), str(c1)], check=True,
                   capture_output=True)
    git(c1, "commit", "-q", "--allow-empty", "-m", "i")
    late = Runner(c1)
    task_id = late("task", "add", "Shared <2026-01-02> work", "--working-set", "lib/",
                   agent=LATE).stdout.split()[-1]
    git(c1, "add", "-A")
    git(c1, "commit", "-q", "-m", "board")
    git(c1, "push", "-q", "origin", "HEAD:master")
    subprocess.run(["git", "clone", "-q", str(origin), str(c2)], check=True,
                   capture_output=True)
    early = Runner(c2)
    early("task", "claim", task_id, agent=EARLY)
    early("lock", "lib/", "--reason", "early", agent=EARLY)
    git(c2, "commit", "-q", "-am", "c2 claim")
    git(c2, "push", "-q", "origin", "HEAD:master")
    late("start", "--title", "late", "--task", task_id, agent=LATE)
    late("task", "claim", task_id, agent=LATE)
    late("lock", "lib/", "--reason", "late", agent=LATE)
    # before the merge: nothing lost, nothing said
    assert "merge" not in late("task", "list", "--mine", agent=LATE).stderr
    git(c1, "add", "-A")
    git(c1, "commit", "-q", "-m", "c1 claim")
    git(c1, "pull", "-q", "--no-rebase", "origin", "master")
    board = (c1 / ".ai" / "tasks.org").read_text()
    assert f"merge: dropped {LATE}'s claim" in board  # (the driver's doing: the premise)

    def said(text: str) -> None:
        claim = [line for line in text.splitlines() if f"your claim of task {task_id}" in line]
        lock = [line for line in text.splitlines() if "your lock on lib/ was dropped" in line]
        assert len(claim) == 1 and len(lock) == 1, text  # each once
        assert f"the task is {EARLY}'s now, not yours" in claim[0]
        assert "task list --free" in claim[0]
        assert f"{EARLY}'s lock on lib/, taken first, stands" in lock[0]

    listed = late("task", "list", "--mine", agent=LATE)
    assert listed.stdout.strip() == "No task matches."
    said(listed.stderr)
    said(late("locks", agent=LATE).stderr)
    (c1 / "lib").mkdir()
    (c1 / "lib" / "a.py").write_text("x\n")
    checked = late("check", agent=LATE, check=False)
    assert checked.returncode == 23
    said(checked.stderr)
    said(late("resume", agent=LATE).stdout)
    resumed = json.loads(late("resume", "--json", agent=LATE).stdout)
    assert len(resumed["dropped_by_merge"]) == 2
    # the winner is told nothing
    assert "dropped" not in late("task", "list", agent=EARLY).stderr
    assert json.loads(late("resume", "--json", agent=EARLY).stdout).get(
        "dropped_by_merge") in ([], None)
    # the claim is LATE's again: no more said of it; the lock still lost, still said
    late("task", "release", task_id, agent=EARLY)
    late("task", "claim", task_id, agent=LATE)
    again = late("locks", agent=LATE).stderr
    assert f"your claim of task {task_id}" not in again
    assert "your lock on lib/ was dropped" in again
    late("unlock", "lib/", agent=EARLY)
    late("lock", "lib/", "--reason", "mine now", agent=LATE)
    assert "dropped" not in late("locks", agent=LATE).stderr
