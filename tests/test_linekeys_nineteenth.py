"""Keys of tasks without an ``:ID:`` (issue 16, nineteenth round; docs/decisions.md,
"Issue 16, nineteenth round (keys of tasks without an id)").

A ``line:N`` key names the task without an id whose headline is on line N, as ``task
list`` told it, or is refused before any write, saying what is on that line; it never
falls back to a task TITLED ``line:N``, and no message says "the id None".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Runner

BOARD = Path(".ai/tasks.org")


def _board_with_line_titled(project: Path, run: Runner) -> tuple[str, int]:
    """The board of ``project`` with a task with an id, then two typed without one, the
    first titled ``line:N`` where N is the line of the task with an id: that id, N."""
    task_id = run("task", "add", "First", agent="planner.1").stdout.strip()
    lines = (project / BOARD).read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines, 1) if line.startswith("* TODO First"))
    with (project / BOARD).open("a", encoding="utf-8") as board:
        board.write(f"* TODO line:{at}\n* TODO Other\n")
    return task_id, at


@pytest.mark.parametrize("command", ["show", "claim"])
def test_a_line_key_of_a_task_with_an_id_is_refused_naming_it(
        project: Path, run: Runner, command: str) -> None:
    task_id, at = _board_with_line_titled(project, run)
    before = (project / BOARD).read_bytes()
    result = run("task", command, f"line:{at}", agent="agent.a", check=False)
    assert result.returncode == 20, result.stderr
    assert "None" not in result.stderr
    assert f"line {at} is the headline of the task {task_id}" in result.stderr
    assert (project / BOARD).read_bytes() == before  # refused before any write
    assert "Claimed" not in result.stdout


def test_the_key_task_list_tells_reaches_the_task_titled_like_a_line(
        project: Path, run: Runner) -> None:
    _task_id, at = _board_with_line_titled(project, run)
    listed = run("task", "list", "--json", agent="agent.a").stdout
    import json

    keys = {t["title"]: t["key"] for t in json.loads(listed)}
    key = keys[f"line:{at}"]
    assert key != f"line:{at}"  # its own line, not its title
    shown = run("task", "show", key, agent="agent.a")
    assert f"line:{at}" in shown.stdout
    claimed = run("task", "claim", key, agent="agent.a")
    assert f"line:{at}" in claimed.stdout
    text = (project / BOARD).read_text(encoding="utf-8")
    owned = text[text.index(f"* DOING line:{at}"):]
    assert ":OWNER:    agent.a" in owned.split("\n* ")[0]


def test_a_line_key_no_task_stood_on_before_ids_were_given_is_refused(
        project: Path, run: Runner) -> None:
    """A claim gives each task without an id its id before it runs (moving the lines
    below); a line key is the line as read: a line only the moved board has a task on
    names nothing, and nothing is written."""
    _board_with_line_titled(project, run)
    lines = (project / BOARD).read_text(encoding="utf-8").splitlines()
    other = next(n for n, line in enumerate(lines, 1) if line == "* TODO Other")
    before = (project / BOARD).read_bytes()
    moved = other + 3  # where "Other" stands once the task above it has its drawer
    result = run("task", "claim", f"line:{moved}", agent="agent.a", check=False)
    assert result.returncode == 20, result.stderr
    assert "nothing was changed" in result.stderr
    assert (project / BOARD).read_bytes() == before
    run("task", "claim", f"line:{other}", agent="agent.a")
    assert "* DOING Other" in (project / BOARD).read_text(encoding="utf-8")
