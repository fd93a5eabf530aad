"""Issue 15, twentieth round (claims, identity, liveness): a claim a git merge of the
board dropped is told until its agent has moved on (claimed another task since), whether
the task is open (held by the winner) or closed (docs/decisions.md, "Issue 15, twentieth
round (claims, identity, liveness)"; docs/tasks.md, "The loser is told")."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from boardkit import add, git

from conftest import Runner

A, B = "pa.1796000000", "pb.1796000001"


def test_a_claim_the_winner_holds_is_told_no_more_once_the_loser_moved_on(
        tmp_path: Path) -> None:
    """f6: B claims in one clone, A later in another; A's pull merges the board and
    drops A's claim. A is told; A claims and closes another task; from then on no board
    command, nor resume, tells it again (it was told on every command while B held the
    task)."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    c1 = tmp_path / "c1"
    subprocess.run(["git", "clone", "-q", str(origin), str(c1)], check=True,
                   capture_output=True)
    one = Runner(c1)
    one("init")
    contested, other = add(one, "contested", agent=A), add(one, "other work", agent=A)
    git(c1, "add", "-A")
    git(c1, "commit", "-q", "-m", "board")
    git(c1, "push", "-q", "origin", "HEAD:master")
    c2 = tmp_path / "c2"
    subprocess.run(["git", "clone", "-q", str(origin), str(c2)], check=True,
                   capture_output=True)
    two = Runner(c2)
    two("task", "claim", contested, agent=B)
    git(c2, "commit", "-q", "-am", "B claims")
    git(c2, "push", "-q", "origin", "HEAD:master")
    time.sleep(1.1)  # (A's claim the later one, by its CLAIMED_AT's second)
    one("task", "claim", contested, agent=A)
    git(c1, "commit", "-q", "-am", "A claims")
    git(c1, "pull", "-q", "--no-rebase", "origin", "master")
    told = one("task", "list", "--mine", agent=A).stderr
    assert f"your claim of task {contested}" in told and f"{B}'s now" in told, told
    one("task", "claim", other, agent=A)
    one("task", "done", other, agent=A)
    for said in (one("task", "list", agent=A).stderr, one("check", agent=A, check=False).stderr,
                 one("locks", agent=A).stderr, one("resume", agent=A).stdout):
        assert f"your claim of task {contested}" not in said, said
    assert json.loads(one("resume", "--json", agent=A).stdout).get("dropped_by_merge",
                                                                   []) == []
