"""During a rebase git's sides are swapped (stage 2, "ours", is the branch the commits
are replayed onto; stage 3 the commit being replayed: git-rebase(1)): the advice for an
unmerged session file names them so, not "this side" and "the other side" as in a merge
(a helper's note, eighteenth round)."""

from __future__ import annotations

from pathlib import Path

from gitkit import git

from conftest import Runner

SESSION = ".ai/session-context.org"


def _modify_delete(repo: Path, run: Runner, how: str) -> None:
    """A session file changed on branch topic and removed (not archived: a plain `git
    rm`) on main, then topic merged with or rebased onto main."""
    git(repo, "checkout", "-q", "-b", "main")
    run("start", "--title", "sides")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    git(repo, "checkout", "-q", "-b", "topic")
    run("log", "--progress", "on topic")
    git(repo, "commit", "-q", "-am", "topic")
    git(repo, "checkout", "-q", "main")
    git(repo, "rm", "-q", SESSION)
    git(repo, "commit", "-q", "-m", "removed on main")
    git(repo, "checkout", "-q", "topic")
    if how == "rebase":
        git(repo, "rebase", "main", check=False)
    else:
        git(repo, "merge", "main", check=False)


def test_the_advice_names_a_rebases_sides_as_the_rebase_has_them(repo: Path,
                                                                  run: Runner) -> None:
    _modify_delete(repo, run, "rebase")
    assert git(repo, "status", "--short", "--", SESSION).startswith("DU")
    done = run("log", "--progress", "after", check=False)
    assert done.returncode == 6, done.stderr
    assert ("the branch being rebased onto removed it, while the commit being replayed "
            "changed it") in done.stderr, done.stderr
    assert "this side" not in done.stderr and "the other side" not in done.stderr


def test_a_merges_sides_are_this_side_and_the_other(repo: Path, run: Runner) -> None:
    _modify_delete(repo, run, "merge")
    assert git(repo, "status", "--short", "--", SESSION).startswith("UD")
    done = run("log", "--progress", "after", check=False)
    assert done.returncode == 6, done.stderr
    assert "the other side removed it, while this side changed it" in done.stderr, done.stderr
