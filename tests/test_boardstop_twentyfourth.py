"""The task board during a stopped pull (issue 15, twenty-fourth round; docs/decisions.md,
"Twenty-fourth round: the board during a stopped pull").

Three clones of one bare origin (``a``, ``p``, ``c``: tests/test_boardseen_twentythird.py's
set-up). ``p`` claims a task of its own and changes README in one commit; a person has
the board open in an editor there. ``a`` claims another task, locks ``src/api``, changes
README too and pushes. ``p`` pulls (``git pull --rebase`` or a merging ``git pull``):
git merges the board cleanly into its index and work tree and stops on README. The
person saves the stale buffer, with a line typed, while the pull is stopped.

The old code judged a save against ``HEAD``'s reflog only, which names no pull while one
is stopped: ``p`` showed no claim and "No locks", said nothing, its hook let edits into
``a``'s lock, and continuing pushed the loss to every clone. Now the save is judged
against the board git wrote into its index: the claim and the lock are shown and
enforced, warned of, merged back at the next write with the typed line kept, and after
``git add`` and ``--continue`` (or the merge's commit) and a push every clone has the same
board and enforces the lock. A person's edit in an up-to-date buffer during the stop
(the lock deleted, the claim the same pull brought kept) stands, as after a pull.

Real clones, real ``git`` (a real conflict), the installed console script and its hook.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from clonekit import git
from test_boardseen_twentythird import _a_claims, _clones, _shown
from test_stalefix_nineteenth import _commit, _save

from conftest import Runner

#: How ``p`` pulls: with a rebase, or a merge.
HOW = ["rebase", "merge"]


def _stopped(tmp_path: Path, how: str) -> tuple[dict[str, Path], dict[str, Runner], str,
                                                  bytes]:
    """The set-up of the module's doc, up to the stopped pull in ``p``: ``(the clones,
    their runners, the id of the task ``a`` claimed, the board as ``p``'s buffer holds
    it: opened before the pull)``."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    (a / "README").write_text("hi\n", encoding="utf-8")
    (a / "src" / "api").mkdir(parents=True)
    (a / "src" / "api" / "v1.py").write_text("x\n", encoding="utf-8")
    _commit(a, "readme")
    git(a, "push", "-q", "origin", "HEAD:main")
    for name in ("p", "c"):
        git(clones[name], "pull", "-q", "--ff-only", "origin", "main")
    own = runs["p"]("task", "add", "P task", agent="pp").stdout.strip()
    runs["p"]("task", "claim", own, agent="pp")
    (p / "README").write_text("hi\np\n", encoding="utf-8")
    _commit(p, "p claims and edits README")
    buffer = (p / BOARD).read_bytes()
    (a / "README").write_text("hi\na\n", encoding="utf-8")
    ident = _a_claims(clones, runs)
    pulled = git(p, "pull", "--rebase" if how == "rebase" else "--no-rebase",
                 "origin", "main", check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr, pulled
    status = git(p, "status", "--porcelain").stdout
    assert "UU README" in status and "M  .ai/tasks.org" in status, status
    assert ":OWNER:    ca" in (p / BOARD).read_text(encoding="utf-8")  # (git wrote it)
    return clones, runs, ident, buffer


def _go_on(p: Path, how: str) -> None:
    """README settled, it and the board added, the stopped pull ended."""
    (p / "README").write_text("hi\na\np\n", encoding="utf-8")
    git(p, "add", "README", str(BOARD))
    if how == "rebase":
        git(p, "-c", "core.editor=true", "rebase", "--continue")
    else:
        git(p, "commit", "-q", "--no-edit")


@pytest.mark.parametrize("how", HOW)
def test_a_stale_save_during_a_stopped_pull_keeps_what_it_brought_in_every_clone(
        tmp_path: Path, how: str) -> None:
    """The reviewer's case (B4): during the stop ``p`` shows ``ca``'s claim and lock and
    warns of them, its hook refuses an edit into ``src/api``; ``p``'s next write puts
    them back with the typed line kept once; after the pull is ended and pushed, ``a``
    and ``c`` pull: three byte-identical boards, each showing the claim and the lock,
    each hook refusing."""
    clones, runs, ident, buffer = _stopped(tmp_path, how)
    p = clones["p"]
    note = "Ann typed during the stopped pull"
    _save(p, buffer + note.encode() + b"\n", "rename")
    saved = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" not in saved and "src/api" not in saved  # (the stale save)
    listed = runs["p"]("locks", "--json", agent="pp")
    assert [(h["path"].rstrip("/"), h["owner"]) for h in json.loads(listed.stdout)] == \
        [("src/api", "ca")], listed
    assert "lacks what git brought" in listed.stderr and "src/api" in listed.stderr, \
        listed.stderr
    tasks = json.loads(runs["p"]("task", "list", "--json", agent="pp").stdout)
    assert {(t["id"], t["owner"]) for t in tasks if t["owner"]} >= {(ident, "ca")}, tasks
    hook = write_hook(p, p / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 2 and "src/api" in hook.stderr, (hook.returncode, hook.stderr)
    wrote = runs["p"]("task", "add", "P second", agent="pp")
    assert "src/api" in wrote.stderr, wrote.stderr
    text = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and ":PATH:     src/api" in text, text
    assert text.count(note) == 1 and ":OWNER:    pp" in text, text
    _go_on(p, how)
    git(p, "push", "-q", "origin", "HEAD:main")
    for name in ("a", "c"):
        git(clones[name], "pull", "-q", "--no-rebase", "origin", "main")
    boards = {name: (clone / BOARD).read_bytes() for name, clone in clones.items()}
    assert len(set(boards.values())) == 1, boards
    for name, clone in clones.items():
        shown = _shown(runs[name])
        assert {("claim", ident, "ca"), ("lock", "src/api", "ca")} <= shown, (name, shown)
        hook = write_hook(clone, clone / "src" / "api" / "v1.py", "pc")
        assert hook.returncode == 2, (name, hook.returncode, hook.stderr)


@pytest.mark.parametrize("how", HOW)
def test_a_persons_edit_during_a_stopped_pull_stands(tmp_path: Path, how: str) -> None:
    """The other side of the rule: in a buffer opened after git wrote the board (it holds
    ``ca``'s claim, which the same pull brought), the person deletes the lock and saves:
    no warning, no lock shown, the hook lets the edit through, and the next write keeps
    the lock out. Nothing the stopped pull brought is lacking: the board git wrote is
    no stale save either (no warning, the lock shown)."""
    clones, runs, _ident, _buffer = _stopped(tmp_path, how)
    p = clones["p"]
    listed = runs["p"]("locks", "--json", agent="pp")
    assert [h["path"].rstrip("/") for h in json.loads(listed.stdout)] == ["src/api"], listed
    assert "lacks" not in listed.stderr, listed.stderr
    text = (p / BOARD).read_text(encoding="utf-8")
    start = text.index("** src/api")
    end = text.index(":END:\n", start) + len(":END:\n")
    _save(p, (text[:start] + text[end:]).encode(), "rename")
    listed = runs["p"]("locks", "--json", agent="pp")
    assert json.loads(listed.stdout) == [] and "lacks" not in listed.stderr, listed
    hook = write_hook(p, p / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    runs["p"]("task", "add", "P second", agent="pp")
    assert ":PATH:     src/api" not in (p / BOARD).read_text(encoding="utf-8")
    _go_on(p, how)


def _deleted_by_hand(clone: Path, claim: bool) -> None:
    """A person, in an up-to-date buffer of ``clone``'s board, deletes ``ca``'s lock on
    ``src/api`` (its headline and drawer) and, with ``claim``, ``ca``'s claim (its four
    properties, the task back to TODO; the ``claimed by`` item stays): no command, no
    item of the tool's."""
    text = (clone / BOARD).read_text(encoding="utf-8")
    start = text.index("** src/api")
    end = text.index(":END:\n", start) + len(":END:\n")
    text = text[:start] + text[end:]
    if claim:
        text = re.sub(r"[ \t]*:(OWNER|OWNER_PROCESS|CLAIMED|CLAIMED_AT):.*\n", "", text)
        assert text.count("* DOING ") == 1, text
        text = text.replace("* DOING ", "* TODO ")
    _save(clone, text.encode(), "rename")


def _push(clone: Path, message: str) -> None:
    _commit(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def _pull(clone: Path) -> None:
    git(clone, "pull", "-q", "--no-rebase", "origin", "main")


def test_a_hand_deletion_of_a_live_claim_and_lock_converges_over_three_clones(
        tmp_path: Path) -> None:
    """B2: a person in ``p`` deletes ``ca``'s live lock and claim by hand and pushes;
    ``a`` (the owner's clone) finds them lost and its next write puts them back; ``p``
    and ``c`` pull that board: byte-identical to ``a``'s, each shows the claim and the
    lock and warns of no lack, each hook refuses an edit into ``src/api``, and ``p``'s
    next write keeps them (no ping-pong): ``a`` pulls it and finds nothing lost."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    a, p, c = clones["a"], clones["p"], clones["c"]
    _pull(p)
    _pull(c)
    _deleted_by_hand(p, claim=True)
    _push(p, "a person takes ca's claim and lock off")
    _pull(a)
    runs["a"]("task", "add", "A writes", agent="pa")
    assert ":OWNER:    ca" in (a / BOARD).read_text(encoding="utf-8")
    _push(a, "a's write")
    for clone in (p, c):
        _pull(clone)
    boards = {name: (clone / BOARD).read_bytes() for name, clone in clones.items()}
    assert len(set(boards.values())) == 1, boards
    for name, clone in clones.items():
        shown = _shown(runs[name])
        assert {("claim", ident, "ca"), ("lock", "src/api", "ca")} <= shown, (name, shown)
        listed = runs[name]("locks", agent="cc")
        assert "lacks" not in listed.stderr and "No locks" not in listed.stdout, listed
        hook = write_hook(clone, clone / "src" / "api" / "v1.py", "pc")
        assert hook.returncode == 2, (name, hook.returncode, hook.stderr)
    runs["p"]("task", "add", "P writes", agent="pp")
    text = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and ":PATH:     src/api" in text, text
    _push(p, "p's write")
    _pull(a)
    listed = runs["a"]("locks", agent="ca")
    assert "lost" not in listed.stderr and "src/api" in listed.stdout, listed


def test_unlock_force_ends_a_lock_deleted_by_hand_in_every_clone(tmp_path: Path) -> None:
    """B3: a person in ``p`` deletes ``ca``'s live lock by hand (the claim the same pull
    brought kept); ``ai-protocols unlock src/api --force`` there ends it (it was refused:
    "there is no lock on it") by ``unlock``'s item; pushed, ``a`` (the owner's clone,
    whose kept copy holds it) and ``c`` pull: no lock anywhere, nothing lost, every hook
    lets an edit into ``src/api`` through, and ``a``'s next write does not put it back.
    A path no lock was ever on is still refused."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    a, p, c = clones["a"], clones["p"], clones["c"]
    _pull(p)
    _deleted_by_hand(p, claim=False)
    never = runs["p"]("unlock", "docs", "--force", agent="pp", check=False)
    assert never.returncode == 4 and "there is no lock on it" in never.stderr, never
    ended = runs["p"]("unlock", "src/api", "--force", agent="pp")
    assert "Unlocked src/api" in ended.stdout and "was ca's" in ended.stdout, ended
    assert "unlocked by pp: src/api, ca's lock" in (p / BOARD).read_text(encoding="utf-8")
    _push(p, "p ends ca's lock")
    _pull(a)
    _pull(c)
    for name, clone in clones.items():
        listed = runs[name]("locks", "--json", agent="cc")
        assert json.loads(listed.stdout) == [] and "lost" not in listed.stderr, (name, listed)
        assert ("claim", ident, "ca") in _shown(runs[name]), name
        hook = write_hook(clone, clone / "src" / "api" / "v1.py", "pc")
        assert hook.returncode == 0, (name, hook.returncode, hook.stderr)
    runs["a"]("task", "add", "A writes", agent="pa")
    assert ":PATH:     src/api" not in (a / BOARD).read_text(encoding="utf-8")
