"""Issue 15, seventeenth round: what a fresh reviewer of the task board found.

Real git, the installed console script; this test process stands for a live agent (the
owner of the commands it runs), a short-lived one for a second process of one agent id.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from boardkit import add, board, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

A, B = "vm.f.x.A", "vm.f.x.B"


def _forged(owner: str) -> str:
    return (f"merge: dropped {owner}'s claim, which came after {A}'s (the earlier claim "
            f"stands)")


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.sampled_from(["", "fyi ", "- [2026-01-01 Thu 10:00] "]),
       after=st.sampled_from(["", " (see above)", "\n"]))
def test_a_note_that_reads_as_the_merges_log_line_tells_no_agent_of_a_lost_claim(
        repo: Path, before: str, after: str) -> None:
    """Only the merge's own whole log item says a claim was dropped: a hand-off note
    that holds its words (anywhere in the note) makes no agent think it lost a claim."""
    shutil.rmtree(repo / ".ai", ignore_errors=True)  # (each example: a board of its own)
    run = Runner(repo)
    mine, other = add(run, "B's task"), add(run, "other")
    run("task", "claim", mine, agent=B)
    note = (before + _forged(B) + after).replace("\n", " ").strip()
    run("task", "handoff", other, "--to", "dev", "--note", note, agent=A)
    assert _forged(B) in board(repo)  # (the premise: the words are on the board)
    for said in (run("task", "list", "--mine", agent=B).stderr,
                 run("locks", agent=B).stderr, run("resume", agent=B).stdout):
        assert "dropped by a git merge" not in said, said
    assert json.loads(run("resume", "--json", agent=B).stdout).get(
        "dropped_by_merge", []) == []


def _clones(tmp_path: Path) -> tuple[Path, Path]:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    c1, c2 = tmp_path / "c1", tmp_path / "c2"
    subprocess.run(["git", "clone", "-q", str(origin), str(c1)], check=True,
                   capture_output=True)
    git(c1, "commit", "-q", "--allow-empty", "-m", "i")
    return c1, c2


def test_a_claim_dropped_because_the_other_clone_closed_the_task_is_told(
        tmp_path: Path) -> None:
    """Clone c1 closes a task while, in c2, agent B claims it; c2 pulls: the merge drops
    B's claim, logs why (closed on the other side), and B is told by its board commands
    and resume; the agent that closed it is told nothing."""
    c1, c2 = _clones(tmp_path)
    one = Runner(c1)
    task_id = add(one, "t")
    git(c1, "add", "-A")
    git(c1, "commit", "-q", "-m", "board")
    git(c1, "push", "-q", "origin", "HEAD:master")
    subprocess.run(["git", "clone", "-q", str(tmp_path / "origin.git"), str(c2)],
                   check=True, capture_output=True)
    two = Runner(c2)
    two("init")
    one("task", "claim", task_id, agent=A)
    one("task", "done", task_id, agent=A)
    git(c1, "commit", "-q", "-am", "done")
    git(c1, "push", "-q", "origin", "HEAD:master")
    two("task", "claim", task_id, agent=B)
    git(c2, "commit", "-q", "-am", "claim")
    git(c2, "pull", "-q", "--no-rebase", "origin", "master")
    text = board(c2)
    assert "* DONE t" in text
    assert f"merge: dropped {B}'s claim, made while the task was closed on the other side" \
        in text
    for said in (two("task", "list", "--mine", agent=B).stderr,
                 two("check", agent=B, check=False).stderr,
                 two("resume", agent=B).stdout):
        told = [line for line in said.splitlines() if f"your claim of task {task_id}" in line]
        assert len(told) == 1, said  # once per run
        assert "closed in another clone" in told[0] and "task list --free" in told[0]
    assert len(json.loads(two("resume", "--json", agent=B).stdout)["dropped_by_merge"]) == 1
    assert "dropped" not in two("task", "list", agent=A).stderr
    # B takes another task, as told (in the same minute as the dropped claim, as a
    # told agent does): told no more
    other = add(two, "another")
    two("task", "claim", other, agent=B)
    for said in (two("task", "list", "--mine", agent=B).stderr,
                 two("check", agent=B, check=False).stderr, two("resume", agent=B).stdout):
        assert f"your claim of task {task_id}" not in said, said


def test_a_claim_committed_on_another_branch_is_not_put_back_after_a_switch(
        repo: Path) -> None:
    """A task added and claimed on branch feature (committed there): after 'git checkout
    main', the next board change does not copy it onto main's board; it says the claim
    is feature's. A claim git stash took away is still put back."""
    run = Runner(repo)
    git(repo, "checkout", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    add(run, "on main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "board")
    git(repo, "checkout", "-q", "-b", "feature")
    only = add(run, "feature-only task")
    run("task", "claim", only, agent=A)
    git(repo, "commit", "-q", "-am", "feature board")
    git(repo, "checkout", "-q", "main")
    added = run("task", "add", "B on main", agent=B)
    assert "feature-only task" not in board(repo)
    assert "put back on the task board" not in added.stderr
    assert f"task {only} (feature-only task) is claimed by {A} on branch 'feature'" in \
        added.stderr and "git switch feature" in added.stderr
    git(repo, "checkout", "-q", "--", ".ai/tasks.org")
    git(repo, "switch", "-q", "feature")  # (nothing of feature's left on main's board)
    assert f":OWNER:    {A}" in board(repo)
    # the control: a claim a stash took away (on no other branch) is put back
    here = add(run, "stashed")
    run("task", "claim", here, agent=B)
    git(repo, "stash", "-q")
    again = run("task", "add", "after the stash", agent=A)
    assert f"{here}, claimed by {B}" in again.stderr and "put back" in again.stderr


def test_a_duplicate_id_says_a_person_fixes_it_in_emacs(repo: Path) -> None:
    """A task a person copied with its id: the agent's command is refused (exit 20)
    saying a person must delete the copies' :ID: lines in Emacs (an agent's edit tool is
    refused the board), not advice the agent cannot follow."""
    run = Runner(repo)
    task_id = add(run, "orig")
    run("task", "claim", task_id, agent=A)
    text = board(repo)
    start = text.index("* DOING orig")
    (repo / ".ai" / "tasks.org").write_text(text + text[start:], encoding="utf-8")
    done = run("task", "done", task_id, agent=A, check=False)
    assert done.returncode == 20
    assert "a person must delete the :ID: line of every copy but one, in Emacs" in done.stderr
    assert "an agent cannot" in done.stderr
    checked = run("check", agent=A, check=False)
    assert "a person must delete the :ID: line" in checked.stdout + checked.stderr


def test_a_second_live_process_of_one_agent_id_does_not_take_the_claim(repo: Path) -> None:
    """Two live processes with one AI_AGENT_ID: the second's claim leaves OWNER_PROCESS
    with the first and warns that two live processes share the id; a claim whose process
    is gone is still renewed by a new one."""
    run = Runner(repo)
    task_id = add(run, "same id")
    run("task", "claim", task_id, agent=A)  # (this test process: alive throughout)
    first = [line for line in board(repo).splitlines() if ":OWNER_PROCESS:" in line]
    second = run("task", "claim", task_id, agent=A, as_another_agent=True)
    assert "claim renewed" not in second.stdout
    assert "two live processes share one AI_AGENT_ID" in second.stderr
    assert "its own AI_AGENT_ID" in second.stderr
    assert [line for line in board(repo).splitlines() if ":OWNER_PROCESS:" in line] == first
    # so too a lock of one's own: renewed (its reason), but its process stays
    run("lock", "lib/", "--reason", "first", agent=A)
    held = [line for line in board(repo).splitlines() if ":OWNER_PROCESS:" in line]
    again = run("lock", "lib/", "--reason", "second", agent=A, as_another_agent=True)
    assert "two live processes share one AI_AGENT_ID" in again.stderr
    assert [line for line in board(repo).splitlines() if ":OWNER_PROCESS:" in line] == held
    # the control: a resumed agent (its old process gone) renews its claim
    other = add(run, "resumed")
    run("task", "claim", other, agent=B, as_another_agent=True)
    renewed = run("task", "claim", other, agent=B)
    assert "claim renewed" in renewed.stdout and "share" not in renewed.stderr
