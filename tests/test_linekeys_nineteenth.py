"""Keys of tasks without an ``:ID:`` (issue 17, nineteenth round; docs/decisions.md,
"Issue 17, nineteenth round (keys of tasks without an id)").

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


# -- while a stale save is merged back in the readers' view only ---------------------------


def test_lines_and_line_keys_are_the_files_while_a_stale_save_is_merged_back(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """f5.sh: a buffer opened before a pull, two tasks "Dup" typed in it, saved over the
    pulled board. ``task list`` shows the board with what git brought merged back (more
    lines above the typed tasks); it names each typed task by its line in the file on
    disk, what Emacs shows, and ``task show``/``task claim`` of that key reach it. The
    task only git brought has no line on disk: ``line`` null in ``--json``."""
    import json

    from test_boardstale_seventeenth import _clones, _push, _save
    from test_merge_driver import git

    base = tmp_path_factory.mktemp("f5").resolve()
    a, b, run_a, run_b, _ids = _clones(base, b_writes=True)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    pulled = run_a("task", "add", "Pulled in", agent="pa").stdout.strip()
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer + "* TODO Dup\nfirst dup\n* TODO Dup\nsecond dup\n")
    disk = (b / BOARD).read_text(encoding="utf-8").splitlines()
    on_disk = [n for n, line in enumerate(disk, 1) if line == "* TODO Dup"]
    listed = run_b("task", "list", "--json", agent="pb")
    rows = json.loads(listed.stdout)
    dups = [t for t in rows if t["title"] == "Dup"]
    assert [t["line"] for t in dups] == on_disk, (dups, on_disk)
    assert [t["key"] for t in dups] == [f"line:{n}" for n in on_disk]
    assert next(t for t in rows if t["id"] == pulled)["line"] is None  # (not on disk)
    said = run_b("task", "list", agent="pb").stderr
    assert f"task on line {on_disk[1]} ('Dup')" in said
    shown = json.loads(run_b("task", "show", "--json", f"line:{on_disk[1]}",
                             agent="pb").stdout)
    assert (shown["title"], shown["id"], shown["line"]) == ("Dup", None, on_disk[1])
    run_b("task", "claim", f"line:{on_disk[1]}", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    claimed = text[text.index("* DOING Dup"):]
    assert "second dup" in claimed.split("\n* ")[0]
    assert text.count("* TODO Dup\n") == 1 and pulled in text
