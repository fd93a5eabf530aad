"""``resume --max-bytes`` bounds the JSON line too when the agent holds tasks whose
titles, working sets and hand-off notes are at their longest and escape to more bytes
in JSON (a fresh review: 2,714 bytes printed for ``--max-bytes 2560``): the newest
claims stay, the others are counted in ``tasks_left_out`` and named by the command that
lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Runner


@pytest.mark.parametrize("char", ['"', "\\", "é", "ñ\"", "'", "😀"])
def test_resume_within_max_bytes_with_long_tasks(project: Path, run: Runner,
                                                  char: str) -> None:
    agent = "vm.f4.x.A"
    run("start", "--title", "t", agent=agent)
    for k in range(4):
        task = run("task", "add", f"task {k} " + "long" * 48, "--working-set",
                   f"dir{k}/{char * 60}/file.py", agent=agent).stdout.strip()
        run("task", "handoff", task, "--to", "me", "--note", char * 240, agent=agent)
        run("task", "claim", task, agent=agent)
    for budget in (2560, 2700, 3000, 4096):
        out = run("resume", "--json", "--max-bytes", str(budget), agent=agent).stdout
        assert len(out.encode()) <= budget, (budget, len(out.encode()))
        data = json.loads(out)
        assert len(data["tasks"]) + data.get("tasks_left_out", 0) == 4
        assert data["tasks"]
        text = run("resume", "--max-bytes", str(budget), agent=agent).stdout
        assert len(text.encode()) <= budget
        shown = text.count("\n    working set: ")
        assert shown >= 1  # (the newest claim: room is kept for it)
        assert f"and {4 - shown} more you hold: ai-protocols task list --mine" in text
    wide = json.loads(run("resume", "--json", "--max-bytes", "20000", agent=agent).stdout)
    assert len(wide["tasks"]) == 3 and wide["tasks_left_out"] == 1  # (MAX_TASKS: as before)
