"""A person's save made on the tool's own write, in the moment it stood in place before
the tool swapped back the save it had taken away, that lands after the swap back (CI,
test_board_core_fifth, ``rename``: one save of 150 lost after the seventeenth round's
fix). The editor read the board while the write stood there, checked it was still the
file it read, and renamed its save over the board just after the swap back: over the
first save, which the tool had put back. That save is then merged back; the tool's own
change is made once. The other program is real file work done at the exact moment,
reached by wrapping the swap (``storage.files._exchange``), as in
tests/test_displaced_seventeenth.py."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from boardkit import BOARD, board
from test_displaced_seventeenth import both_saves_kept_once

from conftest import Runner

PERSON = "* TODO Person task {0}\nPerson text {0}\n"


def _save(path: Path, text: str) -> None:
    """Save ``text`` at ``path`` as an editor does with a backup: a new file renamed
    over it."""
    new = path.with_name("tasks.org.saving~")
    new.write_text(text, encoding="utf-8")
    os.replace(new, path)


def _races(monkeypatch: pytest.MonkeyPatch, path: Path, first: str,
           second: Callable[[str], str], after: int) -> list[str]:
    """Make the next board write meet two saves: ``first`` (the board's text) just
    before its first swap, and ``second(text)`` made on the text that stood at the path
    just after that swap (the tool's write), saved just after the swap call numbered
    ``after`` (2: the swap back; 3: the redo's swap, as late as the redo's read).
    Returns what each save wrote."""
    from ai_protocols.storage import files

    real = files._exchange
    calls: list[str] = []
    saved: list[str] = [first]
    seen: list[str] = []

    def exchange(one: str, two: str) -> bool:
        calls.append(two)
        if len(calls) == 1:
            _save(path, first)  # (a save between the check and the swap)
            done = real(one, two)
            seen.append(path.read_text(encoding="utf-8"))  # (the tool's write, in place)
            return done
        if len(calls) == after:
            if after > 2:  # (lands before this swap: the redo's check saw the first save)
                saved.append(second(seen[0]))
                _save(path, saved[-1])
                return real(one, two)
            done = real(one, two)
            saved.append(second(seen[0]))
            _save(path, saved[-1])  # (over the save the swap back put in place)
            return done
        return real(one, two)

    monkeypatch.setattr(files, "_exchange", exchange)
    return saved


@pytest.mark.parametrize("after", [2, 3])
def test_a_save_made_on_the_tools_write_and_landing_after_the_swap_back_keeps_both_saves(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    first = board(project) + PERSON.format(1)
    saved = _races(monkeypatch, path, first, lambda read: read + PERSON.format(2), after)
    added = Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert len(saved) == 2 and added.title in saved[1] and "Person task 1" not in saved[1]
    both_saves_kept_once(text, path, run)


def test_a_save_made_on_the_save_put_back_is_left_as_it_is(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """The person read the save the swap back put in place (not the tool's write) and
    saved on: their text is the board's, with the tool's change made on it; nothing is
    merged back (a task the person took out of it stays out)."""
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    first = board(project) + PERSON.format(1) + PERSON.format(3)
    saved = _races(monkeypatch, path, first,
                   lambda _read: first.replace(PERSON.format(3), "") + PERSON.format(2), 2)
    Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert "Person task 3" not in saved[1] and "Person task 3" not in text, text
    for wanted in ("\n* TODO Person task 1\n", "\n* TODO Person task 2\n",
                   "\n* TODO seed\n"):
        assert text.count(wanted) == 1, text
    assert text.count("Added by the tool") == 1, text
    assert not list(path.parent.glob("tasks.org.saved-*"))


def test_a_save_put_back_that_cannot_be_merged_back_is_set_aside_and_said(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    first = board(project).replace("* TODO seed", "* TODO seed, as the first save words it")
    saved = _races(monkeypatch, path, first,
                   lambda read: read.replace("* TODO seed", "* TODO seed, worded again"), 2)
    Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert "seed, worded again" in text and "Added by the tool" in text
    assert text.count("Added by the tool") == 1, text
    aside = list(path.parent.glob("tasks.org.saved-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == saved[0]
    err = capsys.readouterr().err
    assert f"kept as {aside[0]}" in err and "could not be merged in" in err


def test_a_save_merged_in_is_merged_again_when_the_write_that_held_it_did_not_land(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save over the tool's write before the swap back (merged into the redo), then a
    third save before the redo's own write (so that write never lands): the redo made
    again on the third save merges the second in again (found in a trace of the save
    race test: the merge was made once, and lost with the write that held it)."""
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project
    from ai_protocols.storage import files

    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    real_exchange, real_still = files._exchange, files._still
    swaps: list[str] = []
    checks: list[str] = []

    def exchange(one: str, two: str) -> bool:
        swaps.append(two)
        if len(swaps) == 1:
            _save(path, path.read_text(encoding="utf-8") + PERSON.format(1))
            done = real_exchange(one, two)
            _save(path, path.read_text(encoding="utf-8") + PERSON.format(2))  # (on the write)
            return done
        return real_exchange(one, two)

    def still(*args: object) -> bool:
        checks.append("")
        if len(checks) == 2:  # (the redo's check: a save just before it)
            _save(path, path.read_text(encoding="utf-8") + PERSON.format(3))
        return real_still(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "_exchange", exchange)
    monkeypatch.setattr(files, "_still", still)
    Board(Project(project, "a.1")).add("Added by the tool")
    text = board(project)
    assert len(checks) >= 3, checks
    for n in (1, 2, 3):
        assert text.count(f"\n* TODO Person task {n}\n") == 1, text
        assert text.count(f"\nPerson text {n}\n") == 1, text
    assert text.count("Added by the tool") == 1, text
    assert not list(path.parent.glob("tasks.org.saved-*"))
