"""Checkpoints of one agent taken at once are listed in the order of their numbers: a
run that loses the race for a number (another run made that ref first) takes the next
one and its time again, so that a number is never older than the one below it, and the
list's order (by time, to the second: docs/checkpoints.md) is the numbers' (CI:
`test_checkpoints_taken_at_once_get_numbers_of_their_own` listed 2 before 1 on a loaded
machine). The other run is the real console script, started at the exact moment (after
this run's commit, a second later) by wrapping the commit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_checkpoint import git, make_work

from conftest import Runner


def test_a_run_that_loses_the_race_for_a_number_is_not_listed_before_it(
        repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from ai_protocols.git.checkpoint import Checkpoints

    make_work(repo)
    points = Checkpoints(repo)
    real = points._commit
    calls: list[str] = []

    def commit(*args: object) -> str:
        made = real(*args)  # type: ignore[arg-type]
        calls.append(made)
        if len(calls) == 1:  # (this run's time is taken: the other run, a second later,
            second = int(time.time())  # takes number 1 first)
            while int(time.time()) == second:
                time.sleep(0.02)
            run("checkpoint", "--note", "the other run")
        return made

    monkeypatch.setattr(points, "_commit", commit)
    point, _ = points.take("this run")
    assert point.number == 2 and len(calls) == 2
    listed = json.loads(run("checkpoint", "list", "--json").stdout)
    assert [(c["number"], c["note"]) for c in listed] == [(1, "the other run"), (2, "this run")]
    assert listed[0]["time"] <= listed[1]["time"]
    assert git(repo, "log", "-1", "--format=%s", listed[1]["ref"]) == \
        "ai-protocols checkpoint 2: this run"


def _git_children() -> list[str]:
    """The states of this process's children that are git runs (``/proc``: a run not
    waited for is a zombie, ``Z``, until its parent waits)."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except FileNotFoundError:
                continue
            name, state = stat[stat.index("(") + 1:stat.rindex(")")], stat.split(") ")[1][0]
            if name == "git":
                found.append(state)
    return found


def test_a_checkpoint_that_fails_leaves_no_git_run_behind(
        project: Path, run: Runner) -> None:
    """`checkpoint` starts the `git status` that finds Emacs's locks alongside its own
    runs; when the checkpoint fails, that run is waited for all the same (a library user's
    long-lived process would keep a zombie for each failure)."""
    from ai_protocols.git.checkpoint import take

    make_work(project)
    run("start", agent="a.1")
    session = project / ".ai/session-context.d/a.1.org"
    assert session.exists() and _git_children() == []

    def fail() -> None:
        raise RuntimeError("the checkpoint fails here")

    with pytest.raises(RuntimeError, match="fails here"):
        take(project, project / ".ai", session, "a.1", meanwhile=fail)
    time.sleep(0.5)  # (a git run left behind has ended by now: a zombie)
    assert _git_children() == []
