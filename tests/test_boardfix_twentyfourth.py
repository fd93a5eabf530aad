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


def _task_one(run: Runner, agent: str) -> str:
    """The id of "Task one" as ``task list --json`` run by ``agent`` gives it."""
    listed = json.loads(run("task", "list", "--json", agent=agent).stdout)
    return next(t["id"] for t in listed if t["title"] == "Task one")


def _push(clone: Path, message: str) -> None:
    _commit(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def _pull(clone: Path) -> None:
    git(clone, "pull", "-q", "--no-rebase", "origin", "main")


def _delete_lock(clone: Path, path: str) -> None:
    """A person deletes the lock of ``path`` from ``clone``'s board (its headline and its
    property drawer), as in an up-to-date buffer."""
    text = (clone / BOARD).read_text(encoding="utf-8")
    start = text.index(f"** {path}")
    end = text.index(":END:\n", start) + len(":END:\n")
    (clone / BOARD).write_text(text[:start] + text[end:], encoding="utf-8")


def _both_lock(clones: dict[str, Path], runs: dict[str, Runner]) -> None:
    """``cb`` locks ``src/api`` in ``p`` and pushes; ``a`` pulls, ``ca`` locks ``docs``
    there (its kept copy holds both) and pushes; ``p`` pulls."""
    a, p = clones["a"], clones["p"]
    runs["p"]("lock", "src/api", "--reason", "p reshapes it", agent="cb")
    _push(p, "cb locks")
    _pull(a)
    runs["a"]("lock", "docs", "--reason", "a writes docs", agent="ca")
    _push(a, "ca locks docs")
    _pull(p)


def _unlocked_and_tidied(clones: dict[str, Path], runs: dict[str, Runner], how: str
                         ) -> None:
    """``cb`` locks ``src/api`` in ``p`` and pushes; ``a`` pulls and writes (its kept copy
    holds the lock) and pushes; ``cb`` unlocks in ``p`` (commit); a person deletes the
    item ``unlock`` wrote (commit); pushed. ``a`` pulls them (``how``: :data:`HOW`)."""
    a, p = clones["a"], clones["p"]
    _both_lock(clones, runs)
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
    _both_lock(clones, runs)
    _delete_lock(p, "src/api")
    _push(p, "a person deletes cb's lock")
    _pull(a)
    hook = write_hook(a, a / "src" / "api" / "v1.py", "ca2")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    wrote = runs["a"]("task", "add", "After", agent="ca")
    assert "put back" in wrote.stderr, wrote.stderr
    assert ":PATH:     src/api" in (a / BOARD).read_text(encoding="utf-8")


def _said_command(stderr: str, verb: str) -> str:
    """The command a warning names to paste (``'ai-protocols VERB ... --force'``)."""
    import re

    found = re.findall(rf"'(ai-protocols {verb} [^']+ --force)'", stderr)
    assert found, stderr
    return found[0]


def test_a_live_lock_deleted_in_an_up_to_date_buffer_names_the_unlock_that_ends_it(
        tmp_path: Path) -> None:
    """B4: ``cb`` locks ``src/api`` in ``p`` and pushes; ``c`` pulls and a person there
    deletes the lock in an up-to-date buffer. Every warning (the readers', the write's)
    names both ways: revert a stale buffer, or the command that ends the lock; pasted,
    that command removes it, the next write does not bring it back, and ``p`` pulls no
    lock."""
    from gitkit import pasted

    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    runs["p"]("lock", "src/api", "--reason", "p reshapes it", agent="cb")
    _push(p, "cb locks")
    _pull(c)
    _delete_lock(c, "src/api")
    read = runs["c"]("locks", agent="cc")
    assert "revert" in read.stderr, read.stderr
    command = _said_command(read.stderr, "unlock")
    done = pasted(c, command)
    assert done.returncode == 0, done
    assert "revert" in done.stderr and command in done.stderr, done.stderr  # (the write's)
    assert not [h for h in json.loads(runs["c"]("locks", "--json", agent="cc").stdout)
                if h["path"].startswith("src/api")]
    wrote = runs["c"]("task", "add", "After", agent="cc")
    assert "put back" not in wrote.stderr and "lacked" not in wrote.stderr, wrote.stderr
    assert ":PATH:     src/api" not in (c / BOARD).read_text(encoding="utf-8")
    hook = write_hook(c, c / "src" / "api" / "v1.py", "cc")
    assert hook.returncode == 0, (hook.returncode, hook.stderr)
    _push(c, "c ends the lock")
    _pull(p)
    assert not any(one[0] == "lock" for one in _shown(runs["p"]))


def test_a_live_claim_deleted_in_an_up_to_date_buffer_names_the_release_that_ends_it(
        tmp_path: Path) -> None:
    """B4's kind for a claim: ``cb`` claims "Task one" in ``p`` and pushes; in ``c`` a
    person takes the whole claim out (state back to TODO, its properties and its log
    item deleted: the task as it was before the pull) in an up-to-date buffer: the
    warning names ``task release ID --force``; pasted, the task is free and stays free
    after the next write."""
    from gitkit import pasted

    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    ident = _task_one(runs["p"], "cb")
    runs["p"]("task", "claim", ident, agent="cb")
    _push(p, "cb claims")
    _pull(c)
    text = (c / BOARD).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True)
             if not line.startswith((":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:",
                                     ":CLAIMED_AT:")) and "claimed by cb" not in line]
    (c / BOARD).write_text("".join(lines).replace("* DOING Task one", "* TODO Task one"),
                           encoding="utf-8")
    read = runs["c"]("task", "list", agent="cc")
    command = _said_command(read.stderr, "task release")
    assert ident in command, command
    done = pasted(c, command)
    assert done.returncode == 0, done
    runs["c"]("task", "add", "After", agent="cc")
    free = json.loads(runs["c"]("task", "list", "--json", agent="cc").stdout)
    assert next(t for t in free if t["id"] == ident)["owner"] in (None, ""), free


def _stopped_rebase(clones: dict[str, Path], runs: dict[str, Runner]) -> str:
    """``ca`` claims "Task one" in ``a`` and changes README, pushed; in ``c``, ``cc``
    claims it too and changes README, committed; ``c``'s ``git pull --rebase`` stops on
    README's conflict (the board merged: ``cc``'s later claim dropped). The task's id."""
    a, c = clones["a"], clones["c"]
    ident = _task_one(runs["a"], "ca")
    runs["a"]("task", "claim", ident, agent="ca")
    (a / "README").write_text("A\n", encoding="utf-8")
    _push(a, "ca claims, README")
    runs["c"]("task", "add", "C own task", agent="pc")
    runs["c"]("task", "claim", ident, agent="cc")
    (c / "README").write_text("C\n", encoding="utf-8")
    _commit(c, "cc claims, README")
    stopped = git(c, "pull", "-q", "--rebase", "origin", "main", check=False)
    assert stopped.returncode != 0 and (c / ".git" / "rebase-merge").exists(), stopped
    return ident


def test_a_board_write_during_a_stopped_rebase_says_git_add_and_the_rebase_goes_on(
        tmp_path: Path) -> None:
    """B5: during ``c``'s stopped ``git pull --rebase``, a claim of another task writes
    the board and says what ``git rebase --continue`` needs: ``git add`` of the board;
    pasted with README resolved, the rebase ends, and the claim is in its commit.
    ``cc``'s dropped claim is said to be the rebase's, not a merge's."""
    from gitkit import pasted

    clones, runs = _clones(tmp_path.resolve())
    c = clones["c"]
    ident = _stopped_rebase(clones, runs)
    listed = runs["c"]("task", "list", agent="cc")
    assert f"your claim of task {ident}" in listed.stderr, listed.stderr
    assert "the git rebase under way" in listed.stderr, listed.stderr
    assert "by a git merge" not in listed.stderr, listed.stderr
    other = runs["c"]("task", "add", "During the rebase", agent="pc").stdout.strip()
    claimed = runs["c"]("task", "claim", other, agent="cc")
    assert "git rebase --continue" in claimed.stderr, claimed.stderr
    import re

    add = re.search(r"run '(git add [^']+)'", claimed.stderr)
    assert add and ".ai/tasks.org" in add.group(1), claimed.stderr
    (c / "README").write_text("A and C\n", encoding="utf-8")
    git(c, "add", "README")
    done = pasted(c, f"{add.group(1)} && GIT_EDITOR=true git rebase --continue")
    assert done.returncode == 0, done
    assert not (c / ".git" / "rebase-merge").exists()
    assert not git(c, "status", "--porcelain").stdout.strip()
    head = git(c, "show", "HEAD:.ai/tasks.org").stdout
    assert ":OWNER:    cc" in head and "During the rebase" in head, head


@pytest.mark.parametrize("how", ["--no-rebase", "--rebase"])
def test_a_board_write_with_no_operation_under_way_says_nothing_of_git_add(
        tmp_path: Path, how: str) -> None:
    """The hint's other side: with no git operation stopped (the pull ended), a board
    write says nothing of ``git add``; a claim the pull's merge of the board dropped is
    said to be a merge's, or a rebase's when the pull rebased."""
    clones, runs = _clones(tmp_path.resolve())
    a, c = clones["a"], clones["c"]
    ident = _task_one(runs["a"], "ca")
    runs["a"]("task", "claim", ident, agent="ca")
    _push(a, "ca claims")
    runs["c"]("task", "claim", ident, agent="cc")
    _commit(c, "cc claims")
    git(c, "pull", "-q", how, "origin", "main")
    wrote = runs["c"]("task", "add", "After", agent="pc")
    assert "git add" not in wrote.stderr and "under way" not in wrote.stderr, wrote.stderr
    told = runs["c"]("task", "list", agent="cc")
    said = "a git rebase (its merge of the board)" if how == "--rebase" else \
        "a git merge of the board"
    assert f"was dropped by {said}:" in told.stderr, told.stderr
