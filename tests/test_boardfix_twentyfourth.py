"""The task board's unlocks, deletions and rebases (issue 15, twenty-fourth round;
docs/decisions.md, "Twenty-fourth round: the board's unlocks, deletions and rebases").

Three clones of one bare origin (``a``, ``p``, ``c``: tests/test_boardseen_twentythird.py's
set-up); live agents are the test process (the installed console script run as its
child records it as the owner's process).

- B3: ``cb`` unlocks ``src/api`` in ``p``; a person there deletes the inert ``- [T]
  unlocked by cb ...`` item (tidying the Locks section), commits, pushes; ``a``, whose
  kept copy still held the lock, pulls. The old code knew an unlock only by that line:
  ``a`` called the lock lost, enforced it, put it back on its next write and pushed it,
  and ``c``'s hook then refused. Now the end is known from git's history too (the
  commit that took the lock's ``LOCKED_AT`` out added the item), and the tidying stands.
- B4: a person deletes a live lock in an up-to-date buffer: the warning names what works
  in both cases (revert a stale buffer; ``ai-protocols unlock PATH --force`` to end it),
  and that command, pasted, ends it for good.
- B5: a board command that writes during a stopped ``git pull --rebase`` says what
  ``git rebase --continue`` needs (``git add .ai/tasks.org``), as a session file's write
  does, and a lost claim's cause names the rebase, not a merge.

Real clones, real ``git``, the installed console script and its real hook command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from test_boardseen_twentythird import _clones, _shown
from test_merge_driver import git
from test_stalefix_nineteenth import _commit

from conftest import Runner

#: How ``a`` gets ``p``'s unlock and the person's tidying: both in one fast-forward, one
#: pull each, or one merge over a commit of ``a``'s own that changed the board.
HOW = ["one-pull", "two-pulls", "merge-over-own-commit"]


def _push(clone: Path, message: str) -> None:
    _commit(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def _pull(clone: Path) -> None:
    git(clone, "pull", "-q", "--no-rebase", "origin", "main")


def _unlocked_and_tidied(clones: dict[str, Path], runs: dict[str, Runner], how: str
                         ) -> None:
    """``cb`` locks ``src/api`` in ``p`` and pushes; ``a`` pulls and writes (its kept copy
    holds the lock) and pushes; ``cb`` unlocks in ``p`` (commit); a person deletes the
    item ``unlock`` wrote (commit); pushed. ``a`` pulls them (``how``: :data:`HOW`)."""
    a, p = clones["a"], clones["p"]
    runs["p"]("lock", "src/api", "--reason", "p reshapes it", agent="cb")
    _push(p, "cb locks")
    _pull(a)
    runs["a"]("lock", "docs", "--reason", "a writes docs", agent="ca")
    _push(a, "ca locks docs")
    _pull(p)
    runs["p"]("unlock", "src/api", agent="cb")
    text = (p / BOARD).read_text(encoding="utf-8")
    item = [line for line in text.splitlines() if "unlocked by cb" in line]
    assert len(item) == 1 and ":PATH:     src/api" not in text, text
    _commit(p, "cb unlocks")
    if how == "two-pulls":
        git(p, "push", "-q", "origin", "HEAD:main")
        _pull(a)
    (p / BOARD).write_text(text.replace(item[0] + "\n", ""), encoding="utf-8")
    _push(p, "tidy the board")
    if how == "merge-over-own-commit":
        runs["a"]("task", "add", "A own task", agent="ca")
        _commit(a, "a's own task")
    _pull(a)
    assert "unlocked by" not in (a / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("how", HOW)
def test_an_unlock_whose_item_a_person_deleted_stays_an_unlock_in_every_clone(
        tmp_path: Path, how: str) -> None:
    """B3: after the pull, ``a`` shows no lock on ``src/api`` and warns of nothing, its
    hook lets ``ca`` edit inside it, and ``a``'s next write neither puts the lock back
    nor the deleted item; after ``a`` pushes, ``c`` pulls: no lock, its hook lets
    ``cc`` through."""
    clones, runs = _clones(tmp_path.resolve())
    _unlocked_and_tidied(clones, runs, how)
    a, c = clones["a"], clones["c"]
    listed = runs["a"]("locks", "--json", agent="ca")
    assert [h["path"].rstrip("/") for h in json.loads(listed.stdout)] == ["docs"], listed
    assert "lost" not in listed.stderr and "lacks" not in listed.stderr, listed.stderr
    hook = write_hook(a, a / "src" / "api" / "v1.py", "ca2")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    wrote = runs["a"]("task", "add", "After the tidy", agent="ca")
    assert "put back" not in wrote.stderr and "lacks" not in wrote.stderr, wrote.stderr
    text = (a / BOARD).read_text(encoding="utf-8")
    assert "src/api" not in text and "unlocked by" not in text, text
    _push(a, "a's task")
    _pull(c)
    assert ("lock", "src/api", "cb") not in _shown(runs["c"])
    hook = write_hook(c, c / "src" / "api" / "v1.py", "cc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    assert "unlocked by" not in (c / BOARD).read_text(encoding="utf-8")


def test_a_lock_a_person_took_out_with_no_unlock_is_still_lost_and_put_back(
        tmp_path: Path) -> None:
    """The other side of B3's rule: in ``p`` a person deletes ``cb``'s live lock and the
    commit that took it out adds no ``unlock`` item (a deletion, as a stale save's): in
    ``a``, which had the lock, it is lost, still enforced, and put back by the next
    write."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    runs["p"]("lock", "src/api", "--reason", "p reshapes it", agent="cb")
    _push(p, "cb locks")
    _pull(a)
    runs["a"]("lock", "docs", "--reason", "a writes docs", agent="ca")
    _push(a, "ca locks docs")
    _pull(p)
    text = (p / BOARD).read_text(encoding="utf-8")
    start = text.index("** src/api")
    end = text.index(":END:\n", start) + len(":END:\n")
    (p / BOARD).write_text(text[:start] + text[end:], encoding="utf-8")
    _push(p, "a person deletes cb's lock")
    _pull(a)
    hook = write_hook(a, a / "src" / "api" / "v1.py", "ca2")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    wrote = runs["a"]("task", "add", "After", agent="ca")
    assert "put back" in wrote.stderr, wrote.stderr
    assert ":PATH:     src/api" in (a / BOARD).read_text(encoding="utf-8")
