"""A ``line:N`` key while a stale board save is merged back and another save lands at the
write (issue 14, twenty-first round; docs/decisions.md, "Issue 14, twenty-first round (a
save at the write, over a stale save)").

A buffer opened on the board before a ``git pull``, two tasks alike typed in it (no
``:ID:``), saved after the pull: ``task list`` shows the board with the pulled task merged back and
names each typed task by its line in the file on disk (``line:N``, what Emacs shows).
``task claim line:N`` reaches it through the table of the file's lines the write keeps
(``disk_lines``). When another program saved the board in the moment of the claim's
write, the write is redone with that save merged in (``Board._merge_displaced``): the new
board dropped the table, and the typed tasks came back with the ids the first try gave
them, so neither ``line:N`` nor the title reached the task, and the claim failed.

Real clones and ``git pull``; the other program's save is real file work at the exact
moment between the write's two swaps, reached by wrapping the swap, as
tests/test_displaced_seventeenth.py does (a window of microseconds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD
from test_boardstale_seventeenth import _clones, _push, _save
from test_displaced_seventeenth import _races
from test_merge_driver import git


@pytest.mark.parametrize("key", ["line", "title", "id"])
@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_a_key_reaches_its_task_when_a_save_lands_at_the_write_over_a_stale_save(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, key: str) -> None:
    """The claim's key (a line of the file on disk, a typed task's title, an id) reaches
    its task on the redo, and the board written holds the pulled task, both saves' tasks
    and the claim, each once. The code before refused ``line:N`` and the title on the
    redo (``TaskNotFound``: the table of lines dropped, the typed tasks given their ids
    by the first try); and a redo that finds its task must keep the pulled task (the
    save put back takes the write's own change out, and the write's merge back of what
    git brought with it: judged again; the id's case is the guard)."""
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    base = tmp_path.resolve()
    a, b, run_a, run_b, ids = _clones(base, b_writes=True)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    pulled = run_a("task", "add", "Pulled in", agent="pa").stdout.strip()
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    stale = buffer + "* TODO Mine\nfirst one\n* TODO Mine\nmy own text\n* TODO Solo\nalone\n"
    _save(b, stale)
    rows = json.loads(run_b("task", "list", "--json", agent="pb").stdout)
    mine = [t for t in rows if t["title"] == "Mine"][1]  # (two alike: keyed by line)
    assert mine["key"] == f"line:{mine['line']}"
    target, words = {"line": (mine["key"], "* DOING Mine"), "title": ("Solo", "* DOING Solo"),
                     "id": (ids[0], "* DOING Task one")}[key]
    path = b / BOARD
    # (the person saves the buffer again as the claim writes; then, on the board the
    # claim wrote, a program adds a task)
    _races(monkeypatch, path, stale, lambda read: read + "* TODO Later\n", mode)
    monkeypatch.chdir(b)
    Board(Project(b, "a.1")).claim(target)
    text = path.read_text(encoding="utf-8")
    claimed = text[text.index(words):].split("\n* ")[0]
    assert ":OWNER:    a.1" in claimed and text.count(":OWNER:") == 1, text
    assert pulled in text and text.count("* TODO Later\n") == 1, text
    for typed in ("first one", "my own text", "alone"):
        assert text.count(f"\n{typed}\n") == 1, (typed, text)
    assert text.count(" Mine\n") == 2 and text.count(" Solo\n") == 1, text
    if key == "line":
        assert "my own text" in claimed, text
