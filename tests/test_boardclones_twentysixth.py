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
import types
from datetime import datetime
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boardend_twentyfifth import _AGENT, _HOST
from test_boardseen_twentythird import _a_claims, _clones, _shown
from test_claimfix_twentyfourth import _owner, _pull, _push, _task_one
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


def _deleted_by_hand_in_p(tmp_path: Path) -> tuple[dict[str, Path], dict[str, Runner], str]:
    """The three clones; ``a`` claims and locks (``_a_claims``); ``p`` pulls, a person
    there deletes both by hand (:func:`_hand_deleted_both`) and pushes. The task's id."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    _pull(clones["p"])
    _hand_deleted_both(clones["p"])
    _push(clones["p"], "a person takes ca's claim and lock off")
    return clones, runs, ident


def _free_everywhere(clones: dict[str, Path], runs: dict[str, Runner], ident: str) -> None:
    """In every clone: ``ident`` unclaimed and no lock, as ``task list``, ``locks``,
    ``task show`` and the PreToolUse hook read them."""
    for name, clone in clones.items():
        shown = _shown(runs[name])
        assert not {s for s in shown if s[0] in ("claim", "lock")}, (name, shown)
        show = runs[name]("task", "show", ident, "--json", agent="cc")
        assert json.loads(show.stdout)["owner"] is None, (name, show.stdout)
        hook = write_hook(clone, clone / "src" / "api" / "x.py", "pc")
        assert hook.returncode == 0, (name, hook.returncode, hook.stderr)


def test_end_items_with_their_claim_and_lock_back_end_them_in_every_clone(
        tmp_path: Path) -> None:
    """F1: the end items and the claim and lock they name, all on every clone's board:
    the task is free and there is no lock in every clone; ``p``'s next write tidies
    the claim and lock away and says so; after it is pulled, ``a``'s write does not
    put them back, and ``cc`` claims the task and locks ``src/api`` in ``c``."""
    clones, runs, ident = _deleted_by_hand_in_p(tmp_path)
    a, p, c = clones["a"], clones["p"], clones["c"]
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


@pytest.mark.parametrize("between", ["none", "older", "rebased"])
@pytest.mark.parametrize("where", ["p", "a"])
def test_a_reverted_release_reads_the_same_in_every_clone(tmp_path: Path, where: str,
                                                          between: str) -> None:
    """3a: ``cb`` claims "Task one" in ``p`` and pushes; ``c`` and ``a`` pull (and write:
    their kept copies hold the claim); ``cb`` releases it, commits "release" and pushes;
    ``a`` and ``c`` pull; a person in ``where`` runs ``git revert`` of the release commit
    and pushes; every clone pulls. ``between``: nothing else (the revert's board is the
    release's parent's); ``older``: ``c`` added a task after the release, so the revert
    is of an older commit; ``rebased``: ``c`` adds a task and pushes while the revert is
    not yet pushed, and ``where`` pulls with ``--rebase`` (the last review's WRONG 4:
    the revert's board is the release's parent's plus ``c``'s task). The claim is back
    by a person's choice: every clone shows ``cb`` holding it with no word of a stale
    save, and every clone's next write keeps it (the revert is not undone)."""
    clones, runs = _clones(tmp_path.resolve())
    p = clones["p"]
    ident = _task_one(runs["p"])
    runs["p"]("task", "claim", ident, agent="cb")
    _push(p, "cb claims")
    for name in ("a", "c"):
        _pull(clones[name])
        runs[name]("task", "add", f"{name} task", agent=f"{name}{name}")
        _push(clones[name], f"{name} adds")
    _pull(p)
    runs["p"]("task", "release", ident, agent="cb")
    _push(p, "release")
    release = git(p, "rev-parse", "HEAD").stdout.strip()
    for name in ("a", "c"):
        _pull(clones[name])
    if between == "older":
        runs["c"]("task", "add", "c between", agent="cc")
        _push(clones["c"], "c adds between")
        for name in ("a", "p"):
            _pull(clones[name])
    git(clones[where], "revert", "--no-edit", release)
    if between == "rebased":
        runs["c"]("task", "add", "c between", agent="cc")
        _push(clones["c"], "c adds between")
        git(clones[where], "pull", "-q", "--rebase", "origin", "main")
    git(clones[where], "push", "-q", "origin", "HEAD:main")
    for clone in clones.values():
        _pull(clone)
    if between != "none":
        assert all("c between" in (clone / BOARD).read_text(encoding="utf-8")
                   for clone in clones.values())
    for name in clones:
        owner, said = _owner(runs[name], ident, "cc")
        assert owner == "cb", (name, owner, said)
        assert "stale" not in said and "lacks" not in said and "merged back" not in said, \
            (name, said)
    for name, clone in clones.items():
        wrote = runs[name]("task", "add", f"{name} after", agent=f"{name}{name}")
        assert "lacked" not in wrote.stderr, (name, wrote.stderr)
        assert ":OWNER:    cb" in (clone / BOARD).read_text(encoding="utf-8"), name
        _push(clone, f"{name} after")
        for other in clones.values():
            _pull(other)
    for name in clones:
        assert _owner(runs[name], ident, "cc")[0] == "cb", name


def _held_by_ca(name: str, clone: Path, run: Runner, ident: str) -> None:
    """In ``clone``: ``ca``'s claim of ``ident`` and lock on ``src/api``, as every reader
    (``task list``, ``task show``, ``locks``, ``check``, the PreToolUse hook) and every
    writer (``task claim``, ``lock``) judges them: held, refused, naming ``ca`` and the
    way out."""
    shown = _shown(run)
    assert ("claim", ident, "ca") in shown and ("lock", "src/api", "ca") in shown, \
        (name, shown)
    show = json.loads(run("task", "show", ident, "--json", agent="cc").stdout)
    assert show["owner"] == "ca", (name, show)
    (clone / "src" / "api").mkdir(parents=True, exist_ok=True)
    (clone / "src" / "api" / "x.py").write_text("changed\n", encoding="utf-8")
    report = json.loads(run("check", "--json", agent="cc", check=False).stdout)
    assert ("src/api/x.py", "ca") in [(f["path"], f["locked_by"])
                                      for f in report["findings"]], (name, report)
    (clone / "src" / "api" / "x.py").unlink()
    hook = write_hook(clone, clone / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 2 and "ca" in hook.stderr, (name, hook.returncode, hook.stderr)
    before = (clone / BOARD).read_bytes()
    claimed = run("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 21 and "ca" in claimed.stderr and "--force" in \
        claimed.stderr, (name, claimed)
    locked = run("lock", "src/api/x.py", "--reason", "cc", agent="cc", check=False)
    assert locked.returncode == 22 and "ca" in locked.stderr, (name, locked)
    after = (clone / BOARD).read_bytes()
    assert b"cc" not in after.replace(before, b""), name


def test_a_clone_that_never_saw_a_claim_deleted_by_hand_holds_it_as_every_clone(
        tmp_path: Path) -> None:
    """F2: ``a`` claims and locks (``ca``, live) and pushes; a person in ``p`` deletes
    both by hand and pushes; ``a`` pulls (its kept copy holds them: lost, enforced);
    ``c``, which never wrote or read the board since its clone, pulls: its readers and
    writers agree with ``a``'s (held by ``ca``, refused, naming the way out), as the
    hook does. ``task release ID --force`` and ``unlock src/api --force`` in ``c`` end
    them for good: then ``cc`` claims and locks there, and ``p`` (pulling) agrees."""
    clones, runs, ident = _deleted_by_hand_in_p(tmp_path)
    a, p, c = clones["a"], clones["p"], clones["c"]
    _pull(a)
    _pull(c)
    listed, locks = (runs["c"](*args, agent="cc") for args in (("task", "list"), ("locks",)))
    kept = c / ".ai" / ".locks" / "live" / "tasks.org"
    assert not kept.exists()  # (c never wrote the board: its warnings name no kept copy)
    assert str(kept) not in listed.stderr + locks.stdout and "git stash" not in \
        listed.stderr, (listed.stderr, locks.stdout)  # (last review, DOUBT 1)
    assert "taken off the board by hand" in listed.stderr and \
        "git's history holds it" in locks.stdout, (listed.stderr, locks.stdout)
    for name in ("c", "a"):
        _held_by_ca(name, clones[name], runs[name], ident)
    released = runs["c"]("task", "release", ident, "--force", agent="cc")
    assert "git's history" in released.stdout and "CLAIMED_AT" in released.stdout, released
    runs["c"]("unlock", "src/api", "--force", agent="cc")
    runs["c"]("task", "claim", ident, agent="cc")
    runs["c"]("lock", "src/api/x.py", "--reason", "cc", agent="cc")
    _push(c, "cc ends them for good and takes them")
    _pull(p)
    assert _owner(runs["p"], ident, "pp")[0] == "cc"
    assert ("lock", "src/api/x.py", "cc") in _shown(runs["p"])
    runs["c"]("task", "release", ident, agent="cc")
    runs["c"]("unlock", "src/api/x.py", agent="cc")
    _push(c, "cc is done with them")
    _pull(p)
    _pull(a)
    _free_everywhere(clones, runs, ident)


@settings(max_examples=150, deadline=None)
@given(me=_AGENT, owner=_AGENT, host=_HOST,
       when=st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1)),
       pid=st.integers(1, 4_000_000), started=st.floats(0, 1e7, allow_nan=False),
       other=st.booleans())
def test_a_claim_and_a_lock_beside_their_own_end_item_are_read_as_ended(
        me: str, owner: str, host: str, when: datetime, pid: int, started: float,
        other: bool) -> None:
    """F1's rule, for any agent ids and records: a claimed task whose log holds the
    forced release naming its ``CLAIMED_AT`` reads free, a lock whose ``LOCKED_AT`` an
    ``unlock`` item names is no lock; an end item naming another record (``other``)
    ends neither, and a person's note with the same words is no end."""
    from ai_protocols.board.board import _whole
    from ai_protocols.board.model import (
        AreaLock,
        BoardFile,
        read_board,
        release_record,
        unlock_item,
    )
    from ai_protocols.org.syntax import entry_lines, format_timestamp

    record = f"{when.isoformat()}+00:00 {host} {pid:x} {started:.2f}"
    named = record + " 1" if other else record
    stamp = format_timestamp(when)
    task = types.SimpleNamespace(owner=owner, claimed_at=named)
    lock = AreaLock("src/api", owner, None, None, None, 0, named)
    released = entry_lines(stamp, _whole(release_record(me, task)))
    unlocked = entry_lines(stamp, _whole(unlock_item(me, lock)))
    for person in (False, True):
        def typed(lines: list[str], person: bool = person) -> str:
            return "\n".join(line.replace("- [", "- (", 1) if person else line
                             for line in lines)
        board = BoardFile(
            "* Locks\n:PROPERTIES:\n:CUSTOM_ID: locks\n:END:\n" + typed(unlocked) + "\n"
            f"** src/api\n:PROPERTIES:\n:PATH:     src/api\n:OWNER:    x\n"
            f":LOCKED_AT: {record}\n:END:\n"
            f"* DOING Task\n:PROPERTIES:\n:ID:       t1\n:OWNER:    x\n"
            f":CLAIMED_AT: {record}\n:END:\n" + typed(released) + "\n")
        tasks, locks = read_board(board, check=False)
        ended = not other and not person
        assert (tasks[0].owner is None) == ended, (board.text, person)
        assert (locks == []) == ended, (board.text, person)


def test_a_reverted_unlock_holds_in_the_clone_that_unlocked(tmp_path: Path) -> None:
    """3a for a lock: ``ca`` locks ``src/api`` in ``a`` and pushes, unlocks it there,
    commits "unlock" and pushes; a person in ``p`` pulls and reverts that commit (the
    lock back: a person's choice) and pushes; ``a`` pulls. In ``a``, which ended the
    lock itself, and in ``c``, the lock is ``ca``'s: ``locks`` lists it with no word of
    a stale save, the hook refuses another agent's edit into it, and ``a``'s next
    write keeps it."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    _a_claims(clones, runs)
    runs["a"]("unlock", "src/api", agent="ca")
    _push(a, "unlock")
    unlock = git(a, "rev-parse", "HEAD").stdout.strip()
    _pull(p)
    git(p, "revert", "--no-edit", unlock)
    git(p, "push", "-q", "origin", "HEAD:main")
    _pull(a)
    _pull(clones["c"])
    for name in ("a", "c"):
        listed = runs[name]("locks", agent="cc")
        assert "src/api" in listed.stdout and "lacks" not in listed.stderr, (name, listed)
        hook = write_hook(clones[name], clones[name] / "src" / "api" / "x.py", "pc")
        assert hook.returncode == 2 and "ca" in hook.stderr, (name, hook.stderr)
    runs["a"]("task", "add", "a after", agent="pa")
    assert "** src/api" in (a / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["fast-forward", "merge-over-own-commit"])
def test_a_stale_save_pulled_with_a_revert_still_loses_nothing(tmp_path: Path,
                                                               how: str) -> None:
    """The neighbour of 3a: one pull brings ``ca``'s claim and lock, ``p``'s committed
    stale save that dropped them (tests/test_boardpulled_twentythird.py's fault 1) and
    a ``git revert`` of an older board commit (a task ``p`` added, taken back). A revert
    among the pulled commits no longer stops the per-commit judging
    (``board.stale._reverted_pull`` passes over the first rule only): ``c`` still holds
    ``ca``'s claim and lock, and the revert stands (the task is gone)."""
    from test_boardpulled_twentythird import _c_pulls
    from test_boardseen_twentythird import _stale_save_pushed

    clones, runs = _clones(tmp_path.resolve())
    p = clones["p"]
    runs["p"]("task", "add", "Taken back", agent="pp")
    _push(p, "p adds a task")
    added = git(p, "rev-parse", "HEAD").stdout.strip()
    runs["p"]("task", "add", "Kept after it", agent="pp")  # (so the revert applies clean
    _push(p, "p adds another")  # beside the note the stale save types at the end)
    for name in ("a", "c"):
        _pull(clones[name])
    buffer = (p / BOARD).read_bytes()  # (p's buffer, before the claim)
    ident = _a_claims(clones, runs)
    _stale_save_pushed(clones, buffer, "P typed this")
    a = clones["a"]
    _pull(a)
    git(a, "revert", "--no-edit", added)
    git(a, "push", "-q", "origin", "HEAD:main")
    _c_pulls(clones, runs, how)
    c = clones["c"]
    assert "Taken back" not in (c / BOARD).read_text(encoding="utf-8")
    held = {("claim", ident, "ca"), ("lock", "src/api", "ca")}
    shown = _shown(runs["c"])
    assert held <= shown, shown
    assert not any("Taken back" in str(thing) for thing in shown), shown
