"""``git revert``, ``git cherry-pick`` and ``git rebase --onto`` through the session
merge driver (twenty-fifth round; docs/decisions.md, "Twenty-fifth round: a side older
than the base, by git's choice").

For these git picks the base itself: a revert of ``C`` merges with base ``C``'s version
and theirs ``C^``'s (older than the base), a cherry-pick of ``X`` with base ``X^``'s and
ours ``HEAD``'s (older than the base when the branch lacks ``X``'s neighbours). The
driver took every side older than the base for a stale save (an editor's buffer opened
before the base was written) and kept what the base held: a revert of an older entry,
tick or edit did nothing, a cherry-pick brought the picked commit's neighbours. Git's
3-way rule (a change from the base to one side is taken) must hold.

Real git in a temporary repository, the installed console script (``init`` configures
the driver), and real Emacs reading what the driver wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import git
from hypothesis import given
from hypothesis import strategies as st

from conftest import Runner
from emacs import assert_reader_agrees, org_element

FILE = Path(".ai/session-context.org")


def _commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def _session(run: Runner) -> str:
    """``init``, ``start`` committed (a README first); returns that commit."""
    (run.cwd / "README").write_text("hi\n")
    _commit(run.cwd, "readme")
    run("init")
    run("start", "--objective", "Fix")
    return _commit(run.cwd, "start")


def _entries(repo: Path) -> list[str]:
    """The entries' checkbox and text, in the file's order."""
    text = (repo / FILE).read_text()
    return [f"{m[1]} {m[2]}" for m in
            re.finditer(r"^- \[(.)\] \[[^]]+\] (.*)$", text, re.MULTILINE)]


def _clean(repo: Path) -> None:
    """No conflict left, nothing uncommitted, and real Emacs reads the file."""
    assert git(repo, "status", "--porcelain").stdout == ""
    text = (repo / FILE).read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    assert_reader_agrees(repo / FILE, org_element([repo / FILE])[0])


def test_reverting_an_older_log_removes_its_entry_only(run: Runner) -> None:
    """The reviewer's steps: C1 logs "one", C2 logs "two", ``git revert C1``."""
    _session(run)
    run("log", "--progress", "one")
    c1 = _commit(run.cwd, "one")
    run("log", "--progress", "two")
    _commit(run.cwd, "two")
    done = git(run.cwd, "revert", "--no-edit", c1, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == ["  two"]
    _clean(run.cwd)
    assert run("show").returncode == 0


def test_reverting_an_older_tick_unticks_it(run: Runner) -> None:
    _session(run)
    run("log", "--progress", "one")
    _commit(run.cwd, "one")
    run("log", "--done", "one")
    tick = _commit(run.cwd, "tick")
    run("log", "--progress", "two")
    _commit(run.cwd, "two")
    done = git(run.cwd, "revert", "--no-edit", tick, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == ["  one", "  two"]
    _clean(run.cwd)


def test_reverting_a_persons_edit_of_an_entry_puts_the_text_back(run: Runner) -> None:
    """A person fixed an entry's words by hand (no write of the tool: the record is the
    base's), the tool logged more; the revert of the edit puts the old words back."""
    _session(run)
    run("log", "--progress", "one step")
    _commit(run.cwd, "one")
    path = run.cwd / FILE
    path.write_text(path.read_text().replace("] one step\n", "] one step, by hand\n"))
    edit = _commit(run.cwd, "edit")
    run("log", "--progress", "two")
    _commit(run.cwd, "two")
    done = git(run.cwd, "revert", "--no-edit", edit, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == ["  one step", "  two"]
    _clean(run.cwd)


def test_reverting_a_persons_entry_removes_it(run: Runner) -> None:
    """An entry a person typed by hand (the record stays the base's), then the tool
    logged more: the revert removes the typed entry, the tool's stays."""
    _session(run)
    run("log", "--progress", "one")
    _commit(run.cwd, "one")
    path = run.cwd / FILE
    text = path.read_text()
    line = re.search(r"^- \[ \] (\[[^]]+\]) one\n", text, re.MULTILINE)
    assert line
    path.write_text(text.replace(line[0], line[0] + f"- [ ] {line[1]} typed\n"))
    typed = _commit(run.cwd, "typed")
    run("log", "--progress", "two")
    _commit(run.cwd, "two")
    done = git(run.cwd, "revert", "--no-edit", typed, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == ["  one", "  two"]
    _clean(run.cwd)


def test_cherry_pick_onto_a_branch_lacking_the_neighbours(run: Runner) -> None:
    """X logs "three" after "one" and "two"; picked onto a branch from ``start``, only
    "three" comes (the branch's own entry stays)."""
    started = _session(run)
    git(run.cwd, "checkout", "-q", "-b", "side", started)
    run("log", "--progress", "side")  # (written before the others: older than X^)
    _commit(run.cwd, "side")
    git(run.cwd, "checkout", "-q", "-")
    run("log", "--progress", "one")
    _commit(run.cwd, "one")
    run("log", "--progress", "two")
    _commit(run.cwd, "two")
    run("log", "--progress", "three")
    picked = _commit(run.cwd, "three")
    git(run.cwd, "checkout", "-q", "side")
    done = git(run.cwd, "cherry-pick", picked, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(_entries(run.cwd)) == ["  side", "  three"]
    _clean(run.cwd)


def test_rebase_onto_replays_a_tick_without_the_dropped_entry(run: Runner) -> None:
    """C1 logs "one", C2 logs "two", C3 ticks "one"; ``git rebase --onto C1 C2``
    drops C2: "one" ticked, no "two"."""
    _session(run)
    run("log", "--progress", "one")
    c1 = _commit(run.cwd, "one")
    run("log", "--progress", "two")
    c2 = _commit(run.cwd, "two")
    run("log", "--done", "one")
    _commit(run.cwd, "tick")
    done = git(run.cwd, "rebase", "-q", "--onto", c1, c2, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == ["X one"]
    _clean(run.cwd)


@pytest.mark.parametrize("picks", [1, 2])
def test_reverting_in_a_series_of_reverts(run: Runner, picks: int) -> None:
    """``git revert C1`` (and ``C1 C2`` as a series, the sequencer's state present):
    each reverted entry goes, the later one stays."""
    _session(run)
    made = []
    for word in ("one", "two", "three"):
        run("log", "--progress", word)
        made.append(_commit(run.cwd, word))
    done = git(run.cwd, "revert", "--no-edit", *made[:picks], check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _entries(run.cwd) == (["  two", "  three"] if picks == 1 else ["  three"])
    _clean(run.cwd)


@given(st.lists(st.sampled_from([b"a", b"b", b"c", b""]), min_size=0, max_size=10),
       st.sampled_from([b"a", b"b", b"c", b"d"]), st.sampled_from([b"a", b"b", b"c", b"d"]),
       st.booleans())
def test_the_base_by_gits_choice_by_history(history: list[bytes], side: bytes, base: bytes,
                                            ours: bool) -> None:
    """``merge._base_by_git`` over any history (newest first, each version at every
    place it has: a revert's version is also the older one it puts back): a side at some
    place older than the base's newest is git's choice (twenty-sixth round: a ``pull
    --rebase`` over another clone's revert); ours, when the history never held the base,
    too; a side made after the base (a stale save: only newer in the history, or in
    none) never is; no history (git cannot say, or no ``%P``): never."""
    from ai_protocols.session.merge import _base_by_git

    got = _base_by_git(side, base, ours=ours, history=lambda: history)
    if not history:
        assert got is False
    elif base not in history:
        assert got is ours
    else:
        newest = history.index(base)
        assert got is any(one == side and at > newest for at, one in enumerate(history))
    assert _base_by_git(side, base, ours=ours, history=None) is False
