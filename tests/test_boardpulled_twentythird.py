"""A stale board save that arrives in the same pull as what it dropped (issue 15,
twenty-third round; docs/decisions.md, "Twenty-third round: a stale board save in the
same pull as what it dropped").

Three clones of one bare origin: ``a``'s live agent ``ca`` (the test process) claims a
task and locks ``src/api`` and pushes; ``p``'s person has the board open in a buffer
opened before the pull that brought that, saves it with a typed line, commits and
pushes; ``c`` pulls both commits in one ``git pull``. The old code judged the board
``c``'s pull left only against ``c``'s own steps before the pull, so ``c`` showed the
task free and no lock, the hook let an edit into ``ca``'s lock, another agent's claim
succeeded, and once ``c`` pushed, ``a`` lost ``ca``'s claim with no word (fault 1).
The other direction (fault 2): ``ca`` releases and unlocks, ``p``'s buffer was opened
while ``ca`` held them; ``c`` pulling both at once showed them held again. In both,
all three clones must agree at the end.

Real clones, real ``git``, the installed console script and its real hook command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from test_boardseen_twentythird import _a_claims, _clones, _shown, _stale_save_pushed
from test_merge_driver import git
from test_stalefix_nineteenth import _commit, _things

from conftest import Runner

#: How ``c`` pulls: a fast-forward, or a merge over a commit of its own that changed the
#: board (the pulled commits then on the merged side).
HOW = ["fast-forward", "merge-over-own-commit"]


def _c_pulls(clones: dict[str, Path], runs: dict[str, Runner], how: str) -> None:
    """``c`` pulls everything pushed so far in one ``git pull`` (``how``: :data:`HOW`)."""
    c = clones["c"]
    if how == "merge-over-own-commit":
        runs["c"]("task", "add", "C own task", agent="pc")
        _commit(c, "c's own task")
    git(c, "pull", "-q", "--no-rebase", "origin", "main")


def _everywhere(clones: dict[str, Path], runs: dict[str, Runner]) -> dict[str, set]:
    """Each clone pulled up to origin's main; what each shows (:func:`_shown`)."""
    for name in ("a", "p", "c"):
        git(clones[name], "pull", "-q", "--no-rebase", "origin", "main")
    return {name: _shown(runs[name]) for name in ("a", "p", "c")}


@pytest.mark.parametrize("how", HOW)
def test_a_claim_and_lock_dropped_by_a_save_pulled_with_them_stay_the_agents(
        tmp_path: Path, how: str) -> None:
    """Fault 1: in ``c``, after one pull brought ``ca``'s claim and lock and ``p``'s
    committed stale save that dropped them, they are ``ca``'s: a claim of the task and a
    lock inside ``src/api`` are refused naming ``ca``, the hook refuses an edit into it;
    ``c``'s next write puts them back with ``p``'s note once; after ``c`` pushes, every
    clone shows ``ca``'s claim and lock (``a`` keeps its claim)."""
    clones, runs = _clones(tmp_path.resolve())
    buffer = (clones["p"] / BOARD).read_bytes()  # (p's buffer, before the pull)
    ident = _a_claims(clones, runs)
    _stale_save_pushed(clones, buffer, "P typed this")
    c = clones["c"]
    _c_pulls(clones, runs, how)
    assert ":OWNER:    ca" not in (c / BOARD).read_text(encoding="utf-8")  # (the save)
    held = {("claim", ident, "ca"), ("lock", "src/api", "ca")}
    shown = _shown(runs["c"])
    assert held <= shown, shown
    hook = write_hook(c, c / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode != 0 and "ca" in claimed.stderr, claimed
    locked = runs["c"]("lock", "src/api/inner", "--reason", "c", agent="cc", check=False)
    assert locked.returncode != 0 and "ca" in locked.stderr, locked
    runs["c"]("task", "add", "After", agent="cc")
    text = (c / BOARD).read_text(encoding="utf-8")
    assert held <= _things(text) and text.count("P typed this") == 1, text
    _commit(c, "c's task")
    git(c, "push", "-q", "origin", "HEAD:main")
    seen = _everywhere(clones, runs)
    assert seen["a"] == seen["p"] == seen["c"] and held <= seen["a"], seen
    mine = runs["a"]("task", "list", "--mine", agent="ca")
    assert "Claimed task" in mine.stdout, mine
    text = (clones["a"] / BOARD).read_text(encoding="utf-8")
    assert text.count("P typed this") == 1 and "After" in text, text


@pytest.mark.parametrize("how", HOW)
def test_a_release_and_unlock_stand_when_a_save_opened_before_them_comes_in_one_pull(
        tmp_path: Path, how: str) -> None:
    """Fault 2: ``p``'s buffer was opened while ``ca`` held the task and the lock;
    ``ca`` released and unlocked and pushed; ``p``'s save of that buffer was committed
    and pushed; ``c``, pulling both at once, shows the task free and no lock as ``a``
    and ``p`` do (no warning), the hook lets an edit through, and ``cc``'s claim
    succeeds; after ``c`` pushes, all three show ``cc``'s claim and no lock, with
    ``p``'s note once."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    p, c = clones["p"], clones["c"]
    git(p, "pull", "-q", "--no-rebase", "origin", "main")
    buffer = (p / BOARD).read_bytes()  # (p's buffer: ca holds the task and the lock)
    assert ":OWNER:    ca" in buffer.decode()
    runs["a"]("task", "release", ident, agent="ca")
    runs["a"]("unlock", "src/api", agent="ca")
    _commit(clones["a"], "release and unlock")
    git(clones["a"], "push", "-q", "origin", "HEAD:main")
    _stale_save_pushed(clones, buffer, "P typed this")
    assert ":OWNER:    ca" in (p / BOARD).read_text(encoding="utf-8")  # (the save)
    _c_pulls(clones, runs, how)
    shown = _shown(runs["c"])
    assert not {one for one in shown if one[0] in ("claim", "lock")}, shown
    hook = write_hook(c, c / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    seen = {name: {one for one in shown if one[0] != "task"}
            for name, shown in _everywhere(clones, runs).items()}
    assert seen["a"] == seen["p"] == seen["c"] == set(), seen
    runs["c"]("task", "claim", ident, agent="cc")
    text = (c / BOARD).read_text(encoding="utf-8")
    assert ("claim", ident, "cc") in _things(text) and ":PATH:" not in text, text
    assert text.count("P typed this") == 1, text
    _commit(c, "cc claims")
    git(c, "push", "-q", "origin", "HEAD:main")
    seen = _everywhere(clones, runs)
    assert seen["a"] == seen["p"] == seen["c"], seen
    assert ("claim", ident, "cc") in seen["a"] and not any(
        one[0] == "lock" for one in seen["a"]), seen


def test_a_clone_that_had_seen_the_claim_keeps_it_when_the_save_comes_by_a_merge(
        tmp_path: Path) -> None:
    """The case the last round left alone: ``c`` had pulled and shown ``ca``'s claim and
    lock, then committed a task of its own; ``p``'s committed stale save comes by a
    merge (git's merge driver takes ``p``'s side: the merge base held the claim). The
    save's own commit is judged on git's history before it: the claim and lock stay
    ``ca``'s in ``c``, with ``c``'s own task and ``p``'s note."""
    clones, runs = _clones(tmp_path.resolve())
    buffer = (clones["p"] / BOARD).read_bytes()
    ident = _a_claims(clones, runs)
    c = clones["c"]
    git(c, "pull", "-q", "--no-rebase", "origin", "main")
    held = {("claim", ident, "ca"), ("lock", "src/api", "ca")}
    assert held <= _shown(runs["c"])
    _stale_save_pushed(clones, buffer, "P typed this")
    _c_pulls(clones, runs, "merge-over-own-commit")
    shown = _shown(runs["c"])
    assert held <= shown, shown
    hook = write_hook(c, c / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    runs["c"]("task", "add", "After", agent="cc")
    text = (c / BOARD).read_text(encoding="utf-8")
    assert held <= _things(text) and "C own task" in text, text
    assert text.count("P typed this") == 1, text


def test_an_unlock_alone_stands_when_a_save_opened_before_it_comes_in_one_pull(
        tmp_path: Path) -> None:
    """Fault 2's kind with an ``unlock`` alone (no release: the step only took a lock
    out, with ``unlock``'s item): ``c``, pulling the unlock and ``p``'s save of a buffer
    opened before it at once, shows no lock, as ``a`` does, and the hook lets the edit
    through; the claim, which nobody ended, stays ``ca``'s everywhere."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    p, c = clones["p"], clones["c"]
    git(p, "pull", "-q", "--no-rebase", "origin", "main")
    buffer = (p / BOARD).read_bytes()
    runs["a"]("unlock", "src/api", agent="ca")
    _commit(clones["a"], "unlock")
    git(clones["a"], "push", "-q", "origin", "HEAD:main")
    _stale_save_pushed(clones, buffer, "P typed this")
    assert ":PATH:" in (p / BOARD).read_text(encoding="utf-8")  # (the save)
    git(c, "pull", "-q", "--no-rebase", "origin", "main")
    hook = write_hook(c, c / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    seen = _everywhere(clones, runs)
    assert seen["a"] == seen["c"], seen
    assert ("claim", ident, "ca") in seen["c"] and not any(
        one[0] == "lock" for one in seen["c"]), seen
