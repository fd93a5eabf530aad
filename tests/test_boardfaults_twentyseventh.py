"""Faults of the task board across clones and git's acts (issue 15, twenty-seventh round;
docs/decisions.md, "Twenty-seventh round: the board's faults").

- Fault 3: ``head_reverted`` takes a revert for the person's choice only when it is of
  the change in question (it brought back the very lock or claim), not any board revert.
- Fault 2: the kept answer of what ``HEAD``'s history holds unended is carried over
  one's own commits only while the board holds every record it was judged with.
- Fault 4: a revert committed with the reflog saying ``commit:`` (``git cherry-pick
  --no-commit`` of a revert from another branch, then ``git commit``) that took out what
  a pull brought is a person's git act, no stale save; a plain cherry-pick too.
- DOUBT 3: a ``git revert`` of a forced release (``task release ID --force``) of a claim
  a person deleted by hand brings the claim back in every clone, as a revert of an
  ordinary release does (tests/test_boardclones_twentysixth.py).

The review's faults (docs/decisions.md, "Twenty-seventh round: the review's board faults"):

- B1: a hand deletion of a live claim or lock, not committed yet, in a clone whose kept
  copy never held it (it only pulled, or wrote before the pull): ``HEAD``'s board holds
  it, so it is held, enforced and put back by the next write, as in every other clone.

Real clones of one bare origin, real ``git``, the installed console script.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boardclones_twentysixth import _hand_deleted_both, _held_by_ca
from test_boardseen_twentythird import _a_claims, _clones, _shown
from test_claimfix_twentyfourth import _owner, _pull, _push, _task_one
from test_merge_driver import git

from conftest import Runner


def _held(run: Runner, ident: str, what: str, agent: str) -> bool:
    """Whether ``ca`` holds the claim of ``ident`` (``what``: ``claim``) or the lock on
    ``src/api`` (``lock``), as ``task list --json``, ``task show --json`` and ``locks
    --json`` read it."""
    if what == "lock":
        return ("lock", "src/api", "ca") in _shown(run)
    show = json.loads(run("task", "show", ident, "--json", agent=agent).stdout)
    return _owner(run, ident, agent)[0] == "ca" and show["owner"] == "ca"


@pytest.mark.parametrize("how", ["revert", "no-commit"])
@pytest.mark.parametrize("what", ["claim", "lock"])
def test_a_reverted_forced_end_of_a_hand_deleted_claim_holds_it_in_every_clone(
        tmp_path: Path, what: str, how: str) -> None:
    """DOUBT 3: ``ca`` claims a task in ``a`` and locks ``src/api``, and pushes; ``p``
    pulls; a person in ``a`` deletes the claim and the lock by hand, commits and pushes;
    ``p`` pulls (both held as lost: git's history), ends the claim (``what``: the lock)
    for good (``task release ID --force``, ``unlock src/api --force``), commits and
    pushes; ``c`` pulls and ``git revert``s that end, and pushes; every clone pulls.
    The revert brings back what the end ended: ``ca`` holds it in every clone, as
    ``task list --json``, ``task show --json`` and ``locks --json`` read it. B3
    (``how``: ``no-commit``): the same for ``git revert --no-commit`` then ``git commit
    -m`` in the person's own words (no "This reverts" line): no clone reads the board
    git pulled as a stale save, nor undoes the revert at its next write."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _a_claims(clones, runs)
    _pull(p)
    _hand_deleted_both(a)
    _push(a, "a person takes ca's claim and lock off by hand")
    _pull(p)
    assert _held(runs["p"], ident, what, "pp")  # (held as lost: git's history)
    ended = runs["p"](*(("task", "release", ident, "--force") if what == "claim" else
                        ("unlock", "src/api", "--force")), agent="pb")
    assert what == "lock" or "CLAIMED_AT" in ended.stdout, ended
    _push(p, "pb ends it for good")
    end = git(p, "rev-parse", "HEAD").stdout.strip()
    for name in ("a", "c"):
        _pull(clones[name])
        assert not _held(runs[name], ident, what, f"{name}{name}"), name  # (ended)
    if how == "revert":
        git(c, "revert", "--no-edit", end)
    else:
        git(c, "revert", "--no-commit", end)
        git(c, "commit", "-qm", "undo the release")
    git(c, "push", "-q", "origin", "HEAD:main")
    for clone in (a, p):
        _pull(clone)
    text = (c / BOARD).read_text(encoding="utf-8")
    assert ":CLAIMED_AT:" not in text and "** src/api" not in text  # (as the hand left it)
    for name in clones:
        warned = runs[name]("task", "list", agent=f"{name}{name}").stderr
        assert "lacks what" not in warned, (name, warned)  # (no stale save)
        assert _held(runs[name], ident, what, f"{name}{name}"), name
    for name, clone in clones.items():  # (a write: the claim or lock put back, the
        runs[name]("task", "add", f"After in {name}", agent=f"{name}{name}")  # revert kept)
        text = (clone / BOARD).read_text(encoding="utf-8")
        assert "released by" not in text and "unlocked by" not in text, (name, text)
        assert _held(runs[name], ident, what, f"{name}{name}"), name


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


def test_a_cherry_picked_revert_of_a_release_reads_as_a_persons_act(tmp_path: Path) -> None:
    """Fault 4: in ``a``, ``ca`` claims "Task one", commits; releases it, commits
    "release"; on a branch ``fix`` a person reverts the release (the claim back); back on
    ``main``, after one more board commit there, the person ``git cherry-pick``s that
    revert. A person's git act, as the revert itself is: ``ca`` holds the task with no
    word of a stale save or of what the board lacks, and the next write keeps it."""
    clones, runs = _clones(tmp_path.resolve())
    a = clones["a"]
    ident = _task_one(runs["a"])
    runs["a"]("task", "claim", ident, agent="ca")
    _push(a, "ca claims")
    runs["a"]("task", "release", ident, agent="ca")
    _push(a, "release")
    release = git(a, "rev-parse", "HEAD").stdout.strip()
    git(a, "switch", "-q", "-c", "fix")
    git(a, "revert", "--no-edit", release)
    revert = git(a, "rev-parse", "HEAD").stdout.strip()
    git(a, "switch", "-q", "main")
    runs["a"]("task", "add", "After the release", agent="pa")
    _push(a, "pa adds a task")
    git(a, "cherry-pick", revert)
    owner, said = _owner(runs["a"], ident, "cc")
    assert owner == "ca", (owner, said)
    assert "stale" not in said and "lacks" not in said and "merged back" not in said, said
    wrote = runs["a"]("task", "add", "Later", agent="pa")
    assert "lacked" not in wrote.stderr and "stale" not in wrote.stderr, wrote.stderr
    assert ":OWNER:    ca" in (a / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["cherry-pick", "no-commit"])
def test_a_cherry_picked_revert_of_a_pulled_claim_stands(tmp_path: Path, how: str) -> None:
    """Fault 4: ``cb`` claims "Task one" in ``p`` and pushes; on a branch ``fix`` there a
    person reverts that claim's commit and pushes the branch; ``a`` pulls the claim,
    fetches ``fix`` and ``git cherry-pick``s the revert (``no-commit``: with
    ``--no-commit``, then ``git commit``, whose message keeps git's "This reverts commit"
    line). What git brought (the claim) is taken out by a person's git act, not by a
    stale save: ``a`` reads the task free with no word of a stale save or of what the
    board lacks, and its next write does not put the claim back."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    ident = _task_one(runs["p"])
    runs["p"]("task", "claim", ident, agent="cb")
    _push(p, "cb claims")
    claim = git(p, "rev-parse", "HEAD").stdout.strip()
    git(p, "switch", "-q", "-c", "fix")
    git(p, "revert", "--no-edit", claim)
    revert = git(p, "rev-parse", "HEAD").stdout.strip()
    git(p, "push", "-q", "origin", "fix")
    _pull(a)
    assert _owner(runs["a"], ident, "cc")[0] == "cb"
    git(a, "fetch", "-q", "origin", "fix")
    if how == "cherry-pick":
        git(a, "cherry-pick", revert)
    else:
        git(a, "cherry-pick", "--no-commit", revert)
        git(a, "commit", "-q", "--no-edit")
    assert ":OWNER:" not in (a / BOARD).read_text(encoding="utf-8")
    owner, said = _owner(runs["a"], ident, "cc")
    assert owner is None, (owner, said)
    assert "stale" not in said and "lacks" not in said and "merged back" not in said, said
    wrote = runs["a"]("task", "add", "Later", agent="pa")
    assert "lacked" not in wrote.stderr and "stale" not in wrote.stderr, wrote.stderr
    assert ":OWNER:" not in (a / BOARD).read_text(encoding="utf-8")


def _claim_deleted_by_hand(clone: Path) -> None:
    """A person, in an up-to-date buffer of ``clone``'s board, deletes the claim of
    "Claimed task" (its claim's properties; the task back to TODO), nothing else."""
    out, inside = [], False
    for line in (clone / BOARD).read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("*"):
            inside = line.startswith("* DOING Claimed task")
            line = line.replace("* DOING Claimed task", "* TODO Claimed task")
        if inside and line.strip().startswith((":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:",
                                               ":CLAIMED_AT:")):
            continue
        out.append(line)
    text = "".join(out)
    assert "Claimed task" in text and ":CLAIMED_AT:" not in text.split("Claimed task")[1]
    (clone / BOARD).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("read_first", [True, False])
def test_a_local_hand_deletion_written_and_committed_reads_as_in_every_clone(
        tmp_path: Path, read_first: bool) -> None:
    """Fault 2: ``ca`` claims a task in ``a`` and pushes; ``p`` pulls (``read_first``: and
    reads the board, so that its kept answer of what ``HEAD``'s history holds unended is
    for that commit); a person in ``p`` deletes the claim by hand; ``pp`` adds a task (a
    write of the tool's, over the deletion), and the person commits. The commit took the
    claim out by hand, with no end: ``p`` reads it as held by ``ca`` (lost from the
    board, live), as ``c`` does after pulling it, and as ``p`` did not when the kept
    answer was carried over the commit for a board it was not judged on. Since B1 the
    write puts the claim back (``HEAD``'s board holds it), so the commit holds it."""
    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    ident = _a_claims(clones, runs)
    _pull(p)
    if read_first:
        assert _owner(runs["p"], ident, "pp")[0] == "ca"
    _claim_deleted_by_hand(p)
    runs["p"]("task", "add", "Added over it", agent="pp")
    text = (p / BOARD).read_text(encoding="utf-8")
    # (B1: HEAD's board holds the claim, so the write put it back, though this clone's
    # kept copy never held it; before, the commit took it out)
    assert ":CLAIMED_AT:" in text.split("Claimed task")[1], text
    _push(p, "a person takes ca's claim off by hand")
    _pull(c)
    owners = {name: _owner(runs[name], ident, f"{name}{name}") for name in ("p", "c")}
    assert owners["c"][0] == "ca", owners
    assert owners["p"][0] == "ca", owners
    show = json.loads(runs["p"]("task", "show", ident, "--json", agent="pp").stdout)
    assert show["owner"] == "ca", show


_RECORD = st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b)


@settings(max_examples=200, deadline=None)
@given(head=st.text("0123456789abcdef", min_size=40, max_size=40),
       held=st.lists(_RECORD, max_size=8), own=st.lists(_RECORD, max_size=4),
       body=st.sampled_from([b"", b"#+TODO: TODO | DONE\n* Locks\n", b"* TODO t\n"]))
def test_the_kept_unended_answer_reads_back_as_written(head: str, held: list[bytes],
                                                       own: list[bytes], body: bytes) -> None:
    """Fault 2's kept form, for any records (the bytes of a ``CLAIMED_AT`` or
    ``LOCKED_AT`` value, one line each): its first line, its records (once each, in
    order), ``HEAD``'s own records (B1) and its small board read back as written;
    without records, it is the form before (the first line, then the board)."""
    from ai_protocols.board.unended import _head_records, _kept_answer, _parts

    key = f"# ai-protocols: claims and locks (own too) HEAD {head} holds unended".encode()
    found = _kept_answer(key, held, body, own)
    assert _parts(found) == (key, list(dict.fromkeys(held)), body)
    assert _head_records(found) == list(dict.fromkeys(own))
    assert found.startswith(key + b"\n")
    if not held and not own:
        assert found == key + b"\n" + body


@pytest.mark.parametrize("before", ["pulled", "wrote"])
def test_an_uncommitted_hand_deletion_of_a_pulled_claim_is_held(tmp_path: Path,
                                                                 before: str) -> None:
    """B1: ``ca`` claims a task in ``a``, locks ``src/api`` and pushes; ``p`` pulls
    (``before``: ``wrote``, after a write and a commit of its own, so that its kept copy
    predates the claim; ``pulled``: nothing else); a person in ``p`` deletes the claim
    and the lock by hand, commits nothing. ``HEAD``'s board holds both with no end:
    every reader and writer of ``p`` holds them (``task list``, ``task show``,
    ``locks``, ``check``, the PreToolUse hook; ``task claim`` and ``lock`` refused), and
    the next write puts them back, as the kept copy's loss is put back."""
    clones, runs = _clones(tmp_path.resolve())
    p = clones["p"]
    ident = _a_claims(clones, runs)
    if before == "wrote":
        runs["p"]("task", "add", "p's own task", agent="pp")
        git(p, "add", "-A")
        git(p, "commit", "-qm", "p's task")
    _pull(p)
    _hand_deleted_both(p)
    _held_by_ca("p", p, runs["p"], ident)
    runs["p"]("task", "add", "Added after it", agent="pp")
    text = (p / BOARD).read_text(encoding="utf-8")
    assert ":CLAIMED_AT:" in text.split("Claimed task")[1] and "** src/api" in text, text


def test_a_revert_of_a_write_that_put_back_a_hand_deleted_claim_agrees_in_every_clone(
        tmp_path: Path) -> None:
    """B2: ``ca`` claims a task in ``a`` and pushes; a person in ``p`` deletes the claim
    by hand, commits and pushes; ``c`` pulls, adds a task (the write puts the claim
    back: held as lost), commits, ``git revert``s that commit (the task and the claim
    out again: the hand deletion's board) and pushes; every clone pulls. The revert is of
    no commit that made the claim: in every clone, whatever its kept copy, ``ca`` holds
    it, and another agent's claim is refused (exit 21)."""
    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    ident = _a_claims(clones, runs)
    _pull(p)
    _claim_deleted_by_hand(p)
    _push(p, "a person takes ca's claim off by hand")
    _pull(c)
    runs["c"]("task", "add", "Added in c", agent="cc")
    assert ":CLAIMED_AT:" in (c / BOARD).read_text(encoding="utf-8").split("Claimed task")[1]
    _push(c, "a task")
    git(c, "revert", "--no-edit", "HEAD")
    git(c, "push", "-q", "origin", "HEAD:main")
    for name in ("a", "p"):
        _pull(clones[name])
    for name in clones:
        assert _held(runs[name], ident, "claim", f"{name}{name}"), name
        claimed = runs[name]("task", "claim", ident, agent="dd", check=False)
        assert claimed.returncode == 21 and "ca" in claimed.stderr, (name, claimed)
