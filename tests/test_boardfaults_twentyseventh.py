"""Faults of the task board across clones and git's acts (issue 15, twenty-seventh round;
docs/decisions.md, "Twenty-seventh round: the board's faults").

- Fault 3: ``head_reverted`` takes a revert for the person's choice only when it is of
  the change in question (it brought back the very lock or claim), not any board revert.
- DOUBT 3: a ``git revert`` of a forced release (``task release ID --force``) of a claim
  a person deleted by hand brings the claim back in every clone, as a revert of an
  ordinary release does (tests/test_boardclones_twentysixth.py).

Real clones of one bare origin, real ``git``, the installed console script.
"""

from __future__ import annotations

import json
from pathlib import Path

from boardkit import BOARD
from test_boardclones_twentysixth import _hand_deleted_both
from test_boardseen_twentythird import _a_claims, _clones
from test_claimfix_twentyfourth import _owner, _pull, _push
from test_merge_driver import git


def test_a_reverted_forced_release_of_a_hand_deleted_claim_holds_it_in_every_clone(
        tmp_path: Path) -> None:
    """DOUBT 3: ``ca`` claims a task in ``a`` (and locks ``src/api``) and pushes; ``p``
    pulls; a person in ``a`` deletes the claim and the lock by hand, commits and pushes;
    ``p`` pulls, ends the claim for good (``task release ID --force``), commits and
    pushes; ``c`` pulls and ``git revert``s that release, and pushes; every clone pulls.
    The revert brings back what the release ended: ``ca`` holds the task in every
    clone, as ``task list --json`` and ``task show --json`` read it."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _a_claims(clones, runs)
    _pull(p)
    _hand_deleted_both(a)
    _push(a, "a person takes ca's claim and lock off by hand")
    _pull(p)
    assert _owner(runs["p"], ident, "pp")[0] == "ca"  # (held as lost: git's history)
    released = runs["p"]("task", "release", ident, "--force", agent="pb")
    assert "CLAIMED_AT" in released.stdout, released
    _push(p, "pb ends ca's claim for good")
    release = git(p, "rev-parse", "HEAD").stdout.strip()
    for name in ("a", "c"):
        _pull(clones[name])
        assert _owner(runs[name], ident, f"{name}{name}")[0] is None, name  # (ended)
    git(c, "revert", "--no-edit", release)
    git(c, "push", "-q", "origin", "HEAD:main")
    for clone in (a, p):
        _pull(clone)
    assert ":OWNER:" not in (c / BOARD).read_text(encoding="utf-8")  # (as the hand left it)
    for name in clones:
        owner, said = _owner(runs[name], ident, f"{name}{name}")
        assert owner == "ca", (name, owner, said)
        show = json.loads(runs[name]("task", "show", ident, "--json",
                                     agent=f"{name}{name}").stdout)
        assert show["owner"] == "ca", (name, show)


def _lock_pasted_back(clone: Path, commit: str) -> None:
    """A person pastes the Locks section as the board at ``commit`` held it (the
    ``src/api`` lock, no unlock item) over the one of ``clone``'s board."""
    def section(lines: list[str]) -> tuple[int, int]:
        start = next(i for i, line in enumerate(lines) if line.startswith("* Locks"))
        return start, next(i for i in range(start + 1, len(lines))
                           if lines[i].startswith("* "))

    old = git(clone, "show", f"{commit}:{BOARD}").stdout.splitlines(keepends=True)
    lines = (clone / BOARD).read_text(encoding="utf-8").splitlines(keepends=True)
    (start, end), (was, to) = section(lines), section(old)
    lines[start:end] = old[was:to]
    text = "".join(lines)
    assert "** src/api" in text and "unlocked by" not in text, text
    (clone / BOARD).write_text(text, encoding="utf-8")


def test_a_revert_of_another_board_commit_does_not_keep_an_unlock_undone(
        tmp_path: Path) -> None:
    """Fault 3: ``ca`` unlocks ``src/api`` in ``a`` and pushes; in ``p`` a person pastes
    the Locks section from before back by hand (the lock, without the unlock's item),
    and ``git revert``s an unrelated board commit (a task added, taken back); ``a``
    pulls. The revert is not of the unlock: in ``a``, which ended the lock, ``locks``
    lists no lock on ``src/api`` and the PreToolUse hook lets another agent's edit
    there through (before: any revert among the commits pulled kept it)."""
    from boardkit import write_hook

    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    _a_claims(clones, runs)
    locked = git(a, "rev-parse", "HEAD").stdout.strip()
    runs["a"]("unlock", "src/api", agent="ca")
    _push(a, "unlock")
    _pull(p)
    runs["p"]("task", "add", "Taken back", agent="pp")
    _push(p, "pp adds a task")
    added = git(p, "rev-parse", "HEAD").stdout.strip()
    _lock_pasted_back(p, locked)
    _push(p, "a person pastes the lock back")
    git(p, "revert", "--no-edit", added)
    git(p, "push", "-q", "origin", "HEAD:main")
    _pull(a)
    assert "** src/api" in (a / BOARD).read_text(encoding="utf-8")
    listed = json.loads(runs["a"]("locks", "--json", agent="cc").stdout)
    assert not [h for h in listed if h["path"].rstrip("/") == "src/api"], listed
    hook = write_hook(a, a / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
