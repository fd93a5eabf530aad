"""Issue 14, twenty-second round: what the last round left of the session files' merge
driver and stale saves (docs/decisions.md, "Issue 14, twenty-second round (...)").

1. a ``git pull --rebase``, the agent's write left uncommitted, a buffer opened before that
   write saved over the file, then a second ``git pull --autostash``: the agent's entry,
   held only by the kept copy, was lost (the merged file carries a newer write record);

Real clones of a bare origin, real ``git pull``, the installed ``ai-protocols`` as the
merge driver and as the agent's command; saves written as Emacs writes a buffer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_merge_driver import git
from test_stale_twentyfirst import LAYOUTS, Agent, commit, follow, push, save, two_clones

# -- 1. the agent's uncommitted entry, a stale save, a second pull ---------------------------

#: The second pull, which carries the stale save (uncommitted) through git's stash.
SECOND = {"autostash": ["--no-rebase", "--autostash"],
          "rebase-autostash": ["--rebase", "--autostash"]}


def _uncommitted_under_a_stale_save(base: Path, layout: str, how: str, opened: str,
                                    typed: bool) -> tuple[Agent, Agent]:
    """The agent's ``A-decision`` committed; ``git pull --rebase`` brings ``B-entry``; the
    agent logs ``A-after-pull`` (not committed: only the kept copy and the file hold it);
    a buffer opened before that write (before the pull, or after it) is saved, a typed
    item in it or nothing; the other clone logs ``B2-entry`` and pushes it."""
    run_a, run_b = two_clones(base, layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    run_a("log", "--decision", "A-decision", "--rationale", "why")
    commit(run_a.cwd, "a log")
    buffer = run_a.path.read_bytes()
    git(run_a.cwd, "pull", "-q", "--rebase", "origin", "main")
    if opened == "after-pull":
        buffer = run_a.path.read_bytes()
    run_a("log", "--discovery", "A-after-pull")
    save(run_a.path, buffer + (b"- [ ] TYPED-note\n" if typed else b""), how)
    assert "A-after-pull" not in run_a.path.read_text()
    run_b("log", "--progress", "B2-entry")
    push(run_b, "b log 2")
    return run_a, run_b


def _holds_each_once(run: Agent, typed: bool, *more: str) -> None:
    text = run.path.read_text()
    for kept in ("] first step\n", "] B-entry\n", "] A-decision\n", "] A-after-pull\n",
                 "] B2-entry\n", "] A-next\n", *more):
        assert text.count(kept) == 1, (kept, text)
    assert text.count("- [ ] TYPED-note\n") == (1 if typed else 0), text


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("opened", ["before-pull", "after-pull"])
@pytest.mark.parametrize("second", list(SECOND))
@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_an_uncommitted_write_under_a_stale_save_survives_a_second_pull(
        tmp_path: Path, layout: str, how: str, second: str, opened: str,
        typed: bool) -> None:
    """The set-up above, then ``git pull --autostash`` (merging or rebasing) carries the
    save through git's stash and the merge driver (with nothing typed, the save is the
    pulled version and the pull a fast-forward). The next write (its refusal's advice
    followed, if it refuses) holds every entry once, ``A-after-pull`` too; ``status``
    said beforehand that it would merge it back."""
    run_a, _run_b = _uncommitted_under_a_stale_save(tmp_path.resolve(), layout, how,
                                                    opened, typed)
    git(run_a.cwd, "pull", "-q", *SECOND[second], "--no-edit", "origin", "main")
    assert "<<<<<<<" not in run_a.path.read_text()
    assert "A-after-pull" not in run_a.path.read_text()
    said = " ".join(run_a("status").stdout.split())
    assert "warning" in said, said
    follow(run_a, "log", "--progress", "A-next")
    _holds_each_once(run_a, typed)


@pytest.mark.parametrize("committed", [False, True])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_an_uncommitted_write_under_a_stale_save_survives_several_pulls(
        tmp_path: Path, layout: str, committed: bool) -> None:
    """The same over three pulls before the next write (the save left to the autostash,
    or committed after the second pull and merged by the third): the file still lacks
    ``A-after-pull`` and carries an ever newer record; the write brings it back."""
    run_a, run_b = _uncommitted_under_a_stale_save(tmp_path.resolve(), layout, "rename",
                                                   "after-pull", True)
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--autostash", "--no-edit", "origin", "main")
    if committed:
        commit(run_a.cwd, "the save, pulled")
    run_b("log", "--progress", "B3-entry")
    push(run_b, "b log 3")
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--autostash", "--no-edit", "origin", "main")
    assert "A-after-pull" not in run_a.path.read_text()
    follow(run_a, "log", "--progress", "A-next")
    _holds_each_once(run_a, True, "] B3-entry\n")


def test_a_persons_committed_deletion_of_an_uncommitted_entry_stands(tmp_path: Path) -> None:
    """The guard: a person deletes the agent's uncommitted ``A-after-pull`` in a buffer
    opened after that write, commits the file, and pulls (a merge through the driver):
    a committed version carries the write's record, so the deletion was made on it, by
    a person, and the next write does not bring the entry back."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    run_a("log", "--discovery", "A-after-pull")
    text = run_a.path.read_text()
    save(run_a.path, re.sub(r"- \[[^\n]*\] A-after-pull\n", "", text).encode(), "rename")
    assert "A-after-pull" not in run_a.path.read_text()
    commit(run_a.cwd, "the person drops the discovery")
    run_b("log", "--progress", "B2-entry")
    push(run_b, "b log 2")
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    run_a("log", "--progress", "A-next")
    text = run_a.path.read_text()
    assert "A-after-pull" not in text and "] B2-entry\n" in text and "] A-next\n" in text
