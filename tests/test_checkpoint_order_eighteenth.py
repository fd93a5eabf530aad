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
