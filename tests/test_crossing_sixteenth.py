"""Claims and locks that cross (issue 15, sixteenth round). A claim does not refuse a
lock over its working set, nor a lock a claim: a working set names where a task's work
goes, a lock who may edit there now. But the PreToolUse hook refuses the holder's edits
into another agent's lock, so each side is told at once: ``task claim`` of a task whose
working set lies in (or holds) another live agent's lock warns, naming the lock;
``lock`` over the working set of a task another live agent holds warns, naming the task;
``start --task`` of a task another live agent holds says that linking takes no claim.
An agent that is gone, or the caller's own lock or claim, is no warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from boardkit import add, write_hook

from conftest import Runner

LIVE = "alive.1"  # each run's owner is this test process: live while the test runs
ME = "me.1"


@pytest.fixture
def project(repo: Path, run: Runner) -> Path:
    run("init")
    (repo / "src" / "api").mkdir(parents=True)
    (repo / "docs").mkdir()
    return repo


@pytest.mark.parametrize(("working_set", "locked"), [
    ("src/api/", "src/"), ("src/", "src/api/v1.py"), ("src/api", "src/api/")])
def test_claiming_into_a_live_lock_warns_naming_it(project: Path, run: Runner,
                                                   working_set: str, locked: str) -> None:
    run("lock", locked, "--reason", "reshaping 4711", agent=LIVE)
    task = add(run, "API work", "--working-set", working_set)
    claimed = run("task", "claim", task, agent=ME)
    said = claimed.stderr
    assert f"which {LIVE} has locked (reshaping 4711" in said, said
    assert "your edits there are refused until it unlocks" in said and "live" in said
    assert f"Claimed task {task}" in claimed.stdout  # the claim stands
    # what the warning says is what the hook does
    inside = project / "src" / "api" / "v1.py"
    assert write_hook(project, inside, ME).returncode == 2


def test_a_claim_beside_a_lock_elsewhere_or_its_own_or_a_gone_agents_is_quiet(
        project: Path, run: Runner) -> None:
    run("lock", "docs/", "--reason", "elsewhere", agent=LIVE)
    run("lock", "src/api/", "--reason", "mine", agent=ME)
    run("lock", "lib/", "--reason", "gone now", agent="gone.1", as_another_agent=True)
    task = add(run, "API work", "--working-set", "src/api/", "--working-set", "lib/")
    claimed = run("task", "claim", task, agent=ME)
    assert "warning" not in claimed.stderr.lower(), claimed.stderr


def test_locking_over_a_live_claims_working_set_warns_naming_the_task(
        project: Path, run: Runner) -> None:
    task = add(run, "Write the guide", "--working-set", "docs/")
    run("task", "claim", task, agent=LIVE)
    locked = run("lock", "docs/guide.md", "--reason", "typos", agent=ME)
    said = locked.stderr
    assert f"docs/guide.md lies in or holds the working set of task {task} (Write the " \
           f"guide), which {LIVE} has claimed (live" in said, said
    assert "its edits there are refused while you hold this lock" in said
    assert "Locked docs/guide.md" in locked.stdout
    assert write_hook(project, project / "docs" / "guide.md", LIVE).returncode == 2
    # a task done, or claimed by the locker itself, or not overlapping: quiet
    run("unlock", "docs/guide.md", agent=ME)
    mine = add(run, "Mine", "--working-set", "src/")
    run("task", "claim", mine, agent=ME)
    assert "warning" not in run("lock", "src/api/", "--reason", "x", agent=ME).stderr.lower()
    run("task", "done", task, agent=LIVE)
    assert "warning" not in run("lock", "docs/", "--reason", "x", agent=ME).stderr.lower()


def test_start_linked_to_a_task_another_live_agent_holds_says_so(
        project: Path, run: Runner) -> None:
    task = add(run, "Held task")
    run("task", "claim", task, agent=LIVE)
    started = run("start", "--task", task, agent=ME)
    assert f"Linked the session to task {task}" in started.stdout
    assert f"task {task} is claimed by {LIVE} (live" in started.stderr, started.stderr
    assert "linking takes no claim" in started.stderr
    free = add(run, "Free task")
    started = run("start", "--task", free, agent="me.2")
    assert "claimed by" not in started.stderr, started.stderr


def test_a_task_naming_no_working_set_crosses_every_lock(project: Path, run: Runner) -> None:
    """A task without a working set may change any file (docs/tasks.md): a claim of it
    beside another live agent's lock warns, and so does a lock beside a live claim of
    it; the hook refuses those edits alike."""
    run("lock", "lib/", "--reason", "reshaping", agent=LIVE)
    task = add(run, "Anything")
    claimed = run("task", "claim", task, agent=ME)
    assert "it names no working set (it may change any file), and that holds lib/, which " \
           f"{LIVE} has locked (reshaping" in claimed.stderr, claimed.stderr
    assert write_hook(project, project / "lib" / "x.py", ME).returncode == 2
    locked = run("lock", "src/", "--reason", "mine", agent=LIVE)
    assert f"src/ may be changed by (it names no working set: any file) task {task} " \
           f"(Anything), which {ME} has claimed (live" in locked.stderr, locked.stderr


def test_a_lock_named_with_and_without_its_final_slash_is_one(project: Path,
                                                              run: Runner) -> None:
    """``lock lib`` then ``lock lib/`` by one agent renews the one lock (same_area, the
    rule unlock and working sets follow), and ``unlock lib/`` leaves nothing locked."""
    run("lock", "lib", "--reason", "one", agent=ME)
    again = run("lock", "lib/", "--reason", "two", agent=ME)
    assert "Renewed lib" in again.stdout, again.stdout
    listed = run("locks", "--json", agent=ME).stdout
    assert listed.count('"path"') == 1, listed
    run("unlock", "lib/", agent=ME)
    assert run("locks", "--json", agent=ME).stdout.strip() == "[]"
