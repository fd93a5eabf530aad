"""The task board during a stopped ``git cherry-pick``, ``git am -3`` and ``git revert``
(issue 15, twenty-fifth round, fault 4; docs/decisions.md, "Twenty-fifth round: the
board's hand deletions and stopped operations").

The set-up of tests/test_boardstop_twentyfourth.py: ``p`` claims a task of its own and
changes README; ``a`` claims another task, locks ``src/api`` and changes README in one
commit, pushed. ``p`` brings that commit by ``git cherry-pick`` (or as a patch, ``git
am -3``): git merges the board cleanly and stops on README. A person saves a buffer of
the board opened before, with a line typed. The old code judged only a stopped merge or
rebase so: ``p`` showed no claim of ``ca`` and no lock, said nothing, its hook let an
edit into the lock. Now the save is judged against the board git wrote into its index,
as during a stopped pull; a board write says the operation is under way.

Real clones, real ``git`` (a real conflict), the installed console script and its hook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from clonekit import git
from test_boardseen_twentythird import _a_claims, _clones
from test_stalefix_nineteenth import _commit, _save

from conftest import Runner


def _stopped(tmp_path: Path, how: str) -> tuple[dict[str, Path], dict[str, Runner], str,
                                                  bytes]:
    """Up to the stopped operation ``how`` in ``p``: ``(the clones, their runners, the
    id of the task ``a`` claimed, the board as ``p``'s buffer holds it)``."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    (a / "README").write_text("hi\n", encoding="utf-8")
    (a / "src" / "api").mkdir(parents=True)
    (a / "src" / "api" / "v1.py").write_text("x\n", encoding="utf-8")
    _commit(a, "readme")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(p, "pull", "-q", "--ff-only", "origin", "main")
    own = runs["p"]("task", "add", "P task", agent="pp").stdout.strip()
    runs["p"]("task", "claim", own, agent="pp")
    (p / "README").write_text("hi\np\n", encoding="utf-8")
    _commit(p, "p claims and edits README")
    buffer = (p / BOARD).read_bytes()
    (a / "README").write_text("hi\na\n", encoding="utf-8")
    ident = _a_claims(clones, runs)
    git(p, "fetch", "-q", "origin")
    if how == "cherry-pick":
        done = git(p, "cherry-pick", "origin/main", check=False)
    else:
        patch = git(p, "format-patch", "-1", "--stdout", "origin/main").stdout
        (tmp_path / "a.patch").write_text(patch, encoding="utf-8")
        done = git(p, "am", "-3", str(tmp_path / "a.patch"), check=False)
    assert done.returncode != 0, done
    status = git(p, "status", "--porcelain").stdout
    assert "UU README" in status and "M  .ai/tasks.org" in status, status
    assert ":OWNER:    ca" in (p / BOARD).read_text(encoding="utf-8")  # (git wrote it)
    return clones, runs, ident, buffer


@pytest.mark.parametrize("how", ["cherry-pick", "am"])
def test_a_stale_save_during_a_stopped_cherry_pick_or_am_keeps_what_it_brought(
        tmp_path: Path, how: str) -> None:
    """During the stop ``p`` shows ``ca``'s claim and lock and warns of them, its hook
    refuses an edit into ``src/api``; its next write puts them back with the typed line
    kept once and says the operation is under way (``git add``, ``--continue``)."""
    clones, runs, ident, buffer = _stopped(tmp_path, how)
    p = clones["p"]
    note = "Ann typed during the stopped operation"
    _save(p, buffer + note.encode() + b"\n", "rename")
    saved = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" not in saved and "src/api" not in saved  # (the stale save)
    listed = runs["p"]("locks", "--json", agent="pp")
    assert [(h["path"].rstrip("/"), h["owner"]) for h in json.loads(listed.stdout)] == \
        [("src/api", "ca")], listed
    assert "lacks what git brought" in listed.stderr, listed.stderr
    tasks = json.loads(runs["p"]("task", "list", "--json", agent="pp").stdout)
    assert {(t["id"], t["owner"]) for t in tasks if t["owner"]} >= {(ident, "ca")}, tasks
    hook = write_hook(p, p / "src" / "api" / "v1.py", "pc")
    assert hook.returncode == 2 and "src/api" in hook.stderr, (hook.returncode, hook.stderr)
    wrote = runs["p"]("task", "add", "P second", agent="pp")
    assert "src/api" in wrote.stderr, wrote.stderr
    word = "am" if how == "am" else "cherry-pick"
    assert f"git {word} --continue" in wrote.stderr, wrote.stderr
    text = (p / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    ca" in text and ":PATH:     src/api" in text, text
    assert text.count(note) == 1 and ":OWNER:    pp" in text, text


@pytest.mark.parametrize("how", ["cherry-pick", "am"])
def test_a_persons_edit_during_a_stopped_cherry_pick_or_am_stands(
        tmp_path: Path, how: str) -> None:
    """In a buffer opened after git wrote the board the person deletes the lock: no
    warning, no lock shown, the next write keeps it out; the board git wrote is no
    stale save either."""
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
    runs["p"]("task", "add", "P second", agent="pp")
    assert ":PATH:     src/api" not in (p / BOARD).read_text(encoding="utf-8")


def test_what_a_stopped_revert_took_out_is_no_stale_save(tmp_path: Path) -> None:
    """``p`` pulls ``a``'s claim and lock (README changed in the same commit), changes
    README again and reverts ``a``'s commit: git takes the claim and lock out of the
    board cleanly and stops on README. The board git wrote is no stale save: no reader
    says it lacks anything, and a board write says the revert is under way and merges
    nothing back (the lock stays out of the board file)."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    (a / "README").write_text("hi\n", encoding="utf-8")
    _commit(a, "readme")
    git(a, "push", "-q", "origin", "HEAD:main")
    (a / "README").write_text("hi\na\n", encoding="utf-8")
    _a_claims(clones, runs)
    git(p, "pull", "-q", "--ff-only", "origin", "main")
    (p / "README").write_text("hi\na\np\n", encoding="utf-8")
    _commit(p, "p edits README")
    done = git(p, "revert", "--no-edit", "HEAD~1", check=False)
    assert done.returncode != 0, done
    status = git(p, "status", "--porcelain").stdout
    assert "UU README" in status and "M  .ai/tasks.org" in status, status
    assert ":PATH:     src/api" not in (p / BOARD).read_text(encoding="utf-8")
    listed = runs["p"]("locks", "--json", agent="pp")
    assert "lacks" not in listed.stderr, listed.stderr
    wrote = runs["p"]("task", "add", "P during the revert", agent="pp")
    assert "lacks" not in wrote.stderr and "git revert --continue" in wrote.stderr, \
        wrote.stderr
    assert ":PATH:     src/api" not in (p / BOARD).read_text(encoding="utf-8")
