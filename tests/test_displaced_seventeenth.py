"""A person's save that lands on the board in the moment the tool's own write stood in
place, before the tool put back the save it had taken away (CI, test_board_core_fifth:
one save of 150 lost). The other program is real file work (a rename over the board, or
a write into it) done at the exact moment between the two swaps of
``storage.files.Prepared.commit_unless_changed``: the moment is reached by wrapping the
swap, the only way to hit a window of microseconds every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from boardkit import BOARD, board

from conftest import Runner


def _save(path: Path, text: str, mode: str) -> None:
    """Save ``text`` at ``path`` as an editor does: a new file renamed over it, or written
    into it."""
    if mode == "rename":
        new = path.with_name("tasks.org.saving~")
        new.write_text(text, encoding="utf-8")
        os.replace(new, path)
    else:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


def _races(monkeypatch: pytest.MonkeyPatch, path: Path, first: str, second,
           mode: str) -> list[str]:
    """Make the next board write meet two saves: ``first`` (the board's text) just
    before its swap, and ``second(text)`` (the text the save makes of the board it
    reads) just after it, before the swap back. Returns what each save wrote."""
    from ai_protocols.storage import files

    real = files._exchange
    calls: list[str] = []

    def exchange(one: str, two: str) -> bool:
        calls.append(two)
        if len(calls) == 1:
            _save(path, first, "rename")  # (a save between the check and the swap)
            done = real(one, two)
            read = path.read_text(encoding="utf-8")  # (the tool's write, in place)
            saved.append(second(read))
            _save(path, saved[-1], mode)
            return done
        return real(one, two)

    saved: list[str] = [first]
    monkeypatch.setattr(files, "_exchange", exchange)
    return saved


def both_saves_kept_once(text: str, path: Path, run: Runner) -> None:
    """The board ``text`` at ``path`` holds the seed, both person's saves (tasks 1 and 2,
    with their text) and the tool's added task, each once, with nothing set aside or left
    behind; ``task list`` lists both saves."""
    for wanted in ("\n* TODO Person task 1\n", "\nPerson text 1\n", "\n* TODO seed\n",
                   "\n* TODO Person task 2\n", "\nPerson text 2\n"):
        assert text.count(wanted) == 1, text
    assert text.count("Added by the tool") == 1, text
    assert not list(path.parent.glob("tasks.org.saved-*"))
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    listed = run("task", "list", agent="a.1").stdout
    assert "Person task 1" in listed and "Person task 2" in listed


@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_a_save_over_the_tools_write_before_the_swap_back_is_merged_in(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    first = board(project) + "* TODO Person task 1\nPerson text 1\n"
    saved = _races(monkeypatch, path, first,
                   lambda read: read + "* TODO Person task 2\nPerson text 2\n", mode)
    added = Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert len(saved) == 2 and "Person task 2" in saved[1] and added.title in saved[1]
    both_saves_kept_once(text, path, run)


def test_a_save_over_the_tools_write_that_cannot_merge_is_set_aside_and_said(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    before = board(project)
    first = before.replace("* TODO seed", "* TODO seed, as the first save words it")
    saved = _races(monkeypatch, path, first,
                   lambda read: read.replace("* TODO seed", "* TODO seed, worded again"),
                   "rename")
    Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert "seed, as the first save words it" in text and "Added by the tool" in text
    aside = list(path.parent.glob("tasks.org.saved-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == saved[1]
    err = capsys.readouterr().err
    assert f"kept as {aside[0]}" in err and "could not be merged in" in err
