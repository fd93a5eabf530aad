"""The task board's git acts in the clone itself (issue 15, twenty-eighth round;
docs/decisions.md, "Twenty-eighth round: the board's git acts").

- Fault 1: a ``git revert`` made in the clone whose kept copy holds the claim and lock
  it takes out (the clone that claimed) was read as a loss: held, enforced and put
  back by the next write, where the same revert pulled by another clone is a person's
  end. Every form of a revert (``git revert``, ``--no-commit`` then ``git commit``, an
  older board checked out and committed, a revert of an older commit) now ends them in
  every reader and writer of that clone too; a ``git reset --hard`` to a commit before
  them, a ``git stash``, a checkout not committed still put them back
  (tests/test_board_claims_fourteenth.py), as decided.
- Fault 2: while a git operation is stopped (a ``git revert`` stopped on a conflict, or
  ``--no-commit`` not committed yet), a board lacking both ``HEAD``'s own claim and lock
  (the operation took them out) and an older claim and lock a person deleted by hand
  (``HEAD``'s history holds them unended): the older ones are held, ``HEAD``'s own are
  the operation's, in a clone that never wrote them (the unended rule) and in the one
  whose kept copy holds them alike.
- Fault 3 (the same kind, found with 2): a stopped ``git revert`` of a release or an
  unlock brings the claim or lock back; the clone that ended it read that as an end git
  undid, and a write during the stop ended it again, undoing the revert. The
  operation's too, until committed.

Real clones of one bare origin, real ``git``, the installed console script and its hook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from test_boardseen_twentythird import _a_claims, _clones, _shown
from test_claimfix_twentyfourth import _owner, _pull, _push
from test_merge_driver import git

from conftest import Runner


def _free_of_ca(name: str, clone: Path, run: Runner, ident: str) -> None:
    """In ``clone``: neither ``ca``'s claim of ``ident`` nor its lock on ``src/api``, as
    every reader judges them (``task list``, ``task show``, ``locks``, ``check``, the
    PreToolUse hook), with no word of a loss or a stale save."""
    shown = _shown(run)
    assert not {s for s in shown if s[0] in ("claim", "lock")}, (name, shown)
    show = run("task", "show", ident, "--json", agent="cc")
    assert json.loads(show.stdout)["owner"] is None, (name, show.stdout)
    (clone / "src" / "api").mkdir(parents=True, exist_ok=True)
    (clone / "src" / "api" / "x.py").write_text("changed\n", encoding="utf-8")
    checked = run("check", "--json", agent="cc", check=False)
    report = json.loads(checked.stdout)
    assert not [f for f in report["findings"] if f.get("locked_by")], (name, report)
    (clone / "src" / "api" / "x.py").unlink()
    hook = write_hook(clone, clone / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 0, (name, hook.returncode, hook.stderr)
    said = show.stderr + checked.stderr + run("task", "list", agent="cc").stderr + \
        run("locks", agent="cc").stderr
    for word in ("lost", "put back", "lacks", "stale"):
        assert word not in said, (name, word, said)


def _reverted(clone: Path, how: str, claim: str) -> None:
    """A person in ``clone`` undoes the commit ``claim`` (``ca``'s claim and lock) by
    ``how``: ``revert`` (``git revert``), ``no-commit`` (``git revert --no-commit``,
    then ``git commit -m`` in the person's words), ``checkout`` (``git checkout
    CLAIM^ -- .ai/tasks.org``, committed), ``older`` (``git revert`` after another board
    commit: git merges the revert), ``cherry-pick`` (a revert made on a branch,
    ``git cherry-pick``ed onto ``main``)."""
    if how == "older":
        Runner(clone)("task", "add", "Added after the claim", agent="pa")
        git(clone, "commit", "-qam", "pa adds a task")
    if how in ("revert", "older"):
        git(clone, "revert", "--no-edit", claim)
        return
    if how == "cherry-pick":  # (the revert made on a branch, picked onto main)
        git(clone, "switch", "-q", "-c", "fix")
        git(clone, "revert", "--no-edit", claim)
        git(clone, "switch", "-q", "main")
        git(clone, "cherry-pick", "fix")
        return
    if how == "no-commit":
        git(clone, "revert", "--no-commit", claim)
    else:
        git(clone, "checkout", f"{claim}^", "--", str(BOARD))
    git(clone, "commit", "-qm", "ca is not on that after all")


@pytest.mark.parametrize("how", ["revert", "no-commit", "checkout", "older",
                                 "cherry-pick"])
def test_a_local_revert_of_a_claim_and_lock_ends_them_in_the_clone_that_made_them(
        tmp_path: Path, how: str) -> None:
    """Fault 1: ``ca`` claims "Task one" in ``a`` and locks ``src/api``, committed and
    pushed (``a``'s kept copy holds both); a person in ``a`` undoes that commit
    (:func:`_reverted`). A person's end, as the same revert pulled is: ``a``'s readers
    show neither, its hook lets an edit into ``src/api`` through, its next write puts
    nothing back, ``cc`` claims the task and locks ``src/api`` there; pushed, ``p``
    agrees. Before, ``a`` held both as lost from its kept copy, refused the edit and put
    them back at the next write."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    ident = _a_claims(clones, runs, existing=True)
    claim = git(a, "rev-parse", "HEAD").stdout.strip()
    assert ("claim", ident, "ca") in _shown(runs["a"])
    _reverted(a, how, claim)
    text = (a / BOARD).read_text(encoding="utf-8")
    assert ":CLAIMED_AT:" not in text and "** src/api" not in text, text
    assert (a / ".ai" / ".locks" / "live" / "tasks.org").read_text(
        encoding="utf-8").count(":CLAIMED_AT:") == 1  # (the kept copy holds the claim)
    _free_of_ca("a", a, runs["a"], ident)
    wrote = runs["a"]("task", "add", "Written after the revert", agent="pa")
    text = (a / BOARD).read_text(encoding="utf-8")
    assert "put back" not in wrote.stderr and ":OWNER:    ca" not in text and \
        "** src/api" not in text, (wrote.stderr, text)
    claimed = runs["a"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 0, claimed
    locked = runs["a"]("lock", "src/api/x.py", "--reason", "cc", agent="cc", check=False)
    assert locked.returncode == 0, locked
    _push(a, "cc takes them")
    _pull(p)
    assert _owner(runs["p"], ident, "pp")[0] == "cc"
    assert ("lock", "src/api/x.py", "cc") in _shown(runs["p"])
    assert ("lock", "src/api", "ca") not in _shown(runs["p"])


def _both_lacking(tmp_path: Path, where: str, stop: str
                  ) -> tuple[dict[str, Path], dict[str, Runner], str, str]:
    """Fault 2's set-up, up to the stopped operation in ``where``: ``ca`` claims "Task
    one" in ``a`` and locks ``src/old`` (README made), pushed; ``c`` pulls, adds "Task
    two" (pushed), ``cc`` claims it, locks ``src/api`` and README changes, in one commit
    ``X``, pushed;
    ``p`` pulls and a person there deletes ``ca``'s claim and lock by hand, committed and
    pushed (``HEAD``'s history holds them unended); ``where`` (``p``: its kept copy never
    held ``X``'s; ``c``: it does) pulls and ``git revert``s ``X``: ``stop`` ``conflict``
    (README changed since: git stops on it) or ``no-commit`` (``--no-commit``). The board
    then lacks both ``X``'s claim and lock (``HEAD``'s own) and ``ca``'s (older).
    Returns the clones, their runners, and the ids of "Task one" and "Task two"."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    (a / "README").write_text("hi\n", encoding="utf-8")
    one = json.loads(runs["a"]("task", "list", "--json", agent="pa").stdout)[0]["id"]
    runs["a"]("task", "claim", one, agent="ca")
    runs["a"]("lock", "src/old", "--reason", "ca's", agent="ca")
    _push(a, "ca claims and locks")
    _pull(c)
    two = runs["c"]("task", "add", "Task two", agent="pc").stdout.strip()
    _push(c, "task two")
    runs["c"]("task", "claim", two, agent="cc")
    runs["c"]("lock", "src/api", "--reason", "cc's", agent="cc")
    (c / "README").write_text("hi\nc\n", encoding="utf-8")
    _push(c, "cc claims and locks")
    claim = git(c, "rev-parse", "HEAD").stdout.strip()
    _pull(p)
    out, skipping, inside = [], False, False
    for line in (p / BOARD).read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("*"):
            skipping = line.startswith("** src/old")
            inside = line.startswith("* DOING Task one")
            line = line.replace("* DOING Task one", "* TODO Task one")
        if skipping or (inside and line.strip().startswith(
                (":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:", ":CLAIMED_AT:"))):
            continue
        out.append(line)
    (p / BOARD).write_text("".join(out), encoding="utf-8")
    _push(p, "a person takes ca's claim and lock off by hand")
    here = clones[where]
    if where != "p":
        _pull(here)
    if stop == "conflict":
        (here / "README").write_text("hi\nc\nmine\n", encoding="utf-8")
        _push(here, "README")
        done = git(here, "revert", "--no-edit", claim, check=False)
        assert done.returncode != 0, done
        assert "UU README" in git(here, "status", "--porcelain").stdout
    else:
        git(here, "revert", "--no-commit", claim)
    assert (here / ".git" / "REVERT_HEAD").exists()
    text = (here / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:" not in text and "** src/" not in text, text
    return clones, runs, one, two


@pytest.mark.parametrize("stop", ["conflict", "no-commit"])
@pytest.mark.parametrize("where", ["p", "c"])
def test_a_stopped_revert_lacking_heads_own_and_an_older_claim_holds_the_older_only(
        tmp_path: Path, where: str, stop: str) -> None:
    """Fault 2 (:func:`_both_lacking`): while the revert is under way, ``ca``'s claim and
    lock (deleted by hand, unended) are held in ``where`` by every reader and writer
    (``task list``, ``task show``, ``locks``, the hook, ``task claim`` refused, exit 21),
    and ``cc``'s, which the revert took out, are not (the operation's: no lock on
    ``src/api``, the hook lets an edit there through, "Task two" free); a write during
    the stop puts ``ca``'s back and not ``cc``'s, so the revert, continued, ends
    ``cc``'s. Before, the older one lacking made the unended rule hold ``HEAD``'s own
    too (``p``), and the kept copy held them (``c``)."""
    clones, runs, one, two = _both_lacking(tmp_path, where, stop)
    here, run = clones[where], runs[where]
    assert _owner(run, one, "dd")[0] == "ca" and _owner(run, two, "dd")[0] is None
    show = json.loads(run("task", "show", two, "--json", agent="dd").stdout)
    assert show["owner"] is None, show
    shown = _shown(run)
    assert ("lock", "src/old", "ca") in shown and not [s for s in shown if s[1] == "src/api"], \
        shown
    hook = write_hook(here, here / "src" / "old" / "x.py", "pd")
    assert hook.returncode == 2 and "ca" in hook.stderr, (hook.returncode, hook.stderr)
    hook = write_hook(here, here / "src" / "api" / "x.py", "pd")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    claimed = run("task", "claim", one, agent="dd", check=False)
    assert claimed.returncode == 21 and "ca" in claimed.stderr, claimed
    run("task", "add", "During the revert", agent="pd")
    text = (here / BOARD).read_text(encoding="utf-8")
    assert "** src/old" in text and ":OWNER:    ca" in text, text
    assert "** src/api" not in text and ":OWNER:    cc" not in text, text


@pytest.mark.parametrize("what", ["claim", "lock"])
def test_a_stopped_revert_of_a_release_or_unlock_is_not_undone_by_a_write(
        tmp_path: Path, what: str) -> None:
    """Fault 3 (the same kind, the other way): ``ca`` claims "Task one" in ``a`` and
    locks ``src/api``, committed; releases the claim (``what``: unlocks the lock),
    committed; a person runs ``git revert --no-commit`` of that end, not committed yet
    (``REVERT_HEAD``). The claim (lock) back on the board is the operation's, not an
    end of the tool's that git undid: ``a`` shows ``ca`` holding it with no word of an
    undone end, its hook refuses another agent's edit into the lock, and a write during
    the revert does not end it again, so the revert, committed, holds it. Before, the
    kept copy's end won: the claim counted for nothing and the write released it."""
    clones, runs = _clones(tmp_path.resolve())
    a = clones["a"]
    ident = _a_claims(clones, runs, existing=True)
    if what == "claim":
        runs["a"]("task", "release", ident, agent="ca")
    else:
        runs["a"]("unlock", "src/api", agent="ca")
    _push(a, "ca ends it")
    git(a, "revert", "--no-commit", "HEAD")
    assert (a / ".git" / "REVERT_HEAD").exists()
    text = (a / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and "** src/api" in text, text
    listed = runs["a"]("task", "list", "--all", "--json", agent="cc")
    assert "last wrote" not in listed.stderr, listed.stderr
    shown = _shown(runs["a"])
    assert ("claim", ident, "ca") in shown and ("lock", "src/api", "ca") in shown, shown
    hook = write_hook(a, a / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 2 and "ca" in hook.stderr, (hook.returncode, hook.stderr)
    runs["a"]("task", "add", "During the revert", agent="pa")
    text = (a / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and "** src/api" in text, text
    git(a, "commit", "-qam", "ca holds it after all")
    shown = _shown(runs["a"])
    assert ("claim", ident, "ca") in shown and ("lock", "src/api", "ca") in shown, shown
