"""The task board across clones (issue 15, twenty-sixth round; docs/decisions.md,
"Twenty-sixth round: the board across clones").

Three clones of one bare origin (tests/test_boardseen_twentythird.py's set-up): ``a``
claims a task as ``ca`` and locks ``src/api`` (``_a_claims``).

- F1: a person in ``p`` deletes the claim and the lock by hand and pushes, then ends
  them for good (``task release ID --force``, ``unlock PATH --force``) in a commit not
  yet pushed; ``a``, which pulled the hand edit, writes (putting its claim and lock
  back, as designed) and pushes; ``p`` merges and pushes; ``a`` pulls. Every clone
  holds both the end items and the claim and lock they name: ended in every clone, and
  the next write tidies them away, saying so.
- 3a: a ``git revert`` of a release commit (the claim back: a person's choice) reads
  the same in every clone, with no stale-save warning, and no write undoes it.

Real clones, real ``git``, the installed console script and its real hook command.
"""

from __future__ import annotations

import json
from pathlib import Path

from boardkit import BOARD
from test_boardseen_twentythird import _a_claims, _clones, _shown
from test_claimfix_twentyfourth import _pull, _push
from test_merge_driver import git

from conftest import Runner


def _hand_deleted_both(clone: Path) -> None:
    """A person, in an up-to-date buffer of ``clone``'s board, deletes ``ca``'s claim
    (its properties; the task back to TODO) and the lock's whole subtree."""
    lines = (clone / BOARD).read_text(encoding="utf-8").splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if line.startswith("** src/api"):
            skipping = True
            continue
        if skipping and line.startswith("*"):
            skipping = False
        if skipping or line.strip().startswith((":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:",
                                                 ":CLAIMED_AT:")):
            continue
        out.append(line.replace("* DOING Claimed task", "* TODO Claimed task"))
    text = "".join(out)
    assert ":OWNER:" not in text and "src/api" not in text, text
    (clone / BOARD).write_text(text, encoding="utf-8")


def _free_everywhere(clones: dict[str, Path], runs: dict[str, Runner], ident: str) -> None:
    """In every clone: ``ident`` unclaimed and no lock, as ``task list``, ``locks`` and
    ``task show`` read them."""
    for name in clones:
        shown = _shown(runs[name])
        assert not {s for s in shown if s[0] in ("claim", "lock")}, (name, shown)
        show = runs[name]("task", "show", ident, agent="cc")
        assert "ca" not in show.stdout.split("Owner")[-1].split("\n")[0], (name, show.stdout)


def test_end_items_with_their_claim_and_lock_back_end_them_in_every_clone(
        tmp_path: Path) -> None:
    """F1: the end items and the claim and lock they name, all on every clone's board:
    the task is free and there is no lock in every clone; ``p``'s next write tidies
    the claim and lock away and says so; after it is pulled, ``a``'s write does not
    put them back, and ``cc`` claims the task and locks ``src/api`` in ``c``."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _a_claims(clones, runs)
    _pull(p)
    _hand_deleted_both(p)
    _push(p, "a person takes ca's claim and lock off")
    runs["p"]("task", "release", ident, "--force", agent="pb")
    runs["p"]("unlock", "src/api", "--force", agent="pb")
    git(p, "commit", "-q", "-am", "pb ends them for good")
    _pull(a)
    runs["a"]("task", "add", "Task two", agent="pa")
    text = (a / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and "** src/api" in text, text  # put back, as designed
    _push(a, "a adds task two")
    _pull(p)
    git(p, "push", "-q", "origin", "HEAD:main")
    _pull(a)
    _pull(c)
    for clone in clones.values():
        text = (clone / BOARD).read_text(encoding="utf-8")
        assert ":OWNER:    ca" in text and "released by pb" in text, text
        assert "** src/api" in text and "unlocked by pb" in text, text
    _free_everywhere(clones, runs, ident)
    wrote = runs["p"]("task", "add", "Task three", agent="pb")
    text = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" not in text and "** src/api" not in text, text
    assert "ended" in wrote.stderr and ident in wrote.stderr and "src/api" in wrote.stderr, \
        wrote.stderr
    _push(p, "p tidies")
    _pull(a)
    runs["a"]("task", "add", "Task four", agent="pa")
    text = (a / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" not in text and "** src/api" not in text, text
    _push(a, "a writes")
    _pull(c)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 0, claimed
    locked = runs["c"]("lock", "src/api/x.py", "--reason", "cc", agent="cc", check=False)
    assert locked.returncode == 0, locked
    _free_everywhere({"p": p}, runs, ident)
    assert json.loads(runs["a"]("task", "list", "--json", agent="pa").stdout)
