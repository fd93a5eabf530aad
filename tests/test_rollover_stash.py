"""A rolled-over session file and git's stash, branches and merges (issue 16, eighth
review; docs/git.md, docs/merge-driver.md, docs/decisions.md "Issue 16, eighth review
(rollover vs git stash and merges)").

1. ``git stash -u`` of an uncommitted rollover, then a write: the write does not make
   the stash's earlier-entries file again (``git stash pop`` would refuse it, "already
   exists"), says where the newer version is (only in the stash) and what brings it
   back; the commands it names do. The same for a branch that holds the file
   (``git checkout`` back to it works). The warning names where git holds the newer
   version: the stash, a branch, a tag.

Real git in temporary repositories, the installed console script as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from test_rollover import CONTEXT, filler, insert, sample, started

from ai_protocols.session.rollover import BOUND

from conftest import Runner


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c",
                           "user.email=t@t", *args], capture_output=True, text=True,
                          check=check)


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A", ".ai")
    git(project, "commit", "-qm", message)


def earlier_files(project: Path) -> list[Path]:
    folder = project / ".ai/history"
    return sorted(folder.rglob("*.org")) if folder.exists() else []


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


def past_bound(project: Path, run: Runner) -> list[str]:
    """The session, past the bound and committed: the next write rolls it over. The
    decisions' texts."""
    path = started(run, project)
    old, entries = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    commit_all(project, "the session, past the bound")
    return entries


def every_entry_once(run: Runner, entries: list[str], *logged: str) -> None:
    whole = json.loads(run("show", "--all", "--json").stdout)
    decisions = [d["text"] for d in whole["decisions"]]
    assert [t for t, n in Counter(decisions).items() if n > 1] == [], "shown twice"
    assert len(decisions) == len(entries)
    for entry in sample(entries):
        first = entry.split("\n", 1)[0].split("] ", 1)[1]
        assert decisions.count(first) == 1, first
    found = [d["text"] for d in whole["discoveries"]]
    for text in logged:
        assert found.count(text) == 1, (text, found)


def test_a_stashed_rollover_comes_back_with_the_entries_written_meanwhile(
        project: Path, run: Runner) -> None:
    entries = past_bound(project, run)
    run("log", "--discovery", "Rolled over")
    rolled = earlier_files(project)
    assert len(rolled) == 1
    git(project, "stash", "-u", "-q")
    assert earlier_files(project) == []

    done = run("log", "--discovery", "Written while stashed")

    # Not made again here: the stash holds it, and git stash pop puts it back.
    assert earlier_files(project) == []
    said = warnings(done.stderr)
    assert len(said) == 2, done.stderr
    assert "not rolled over" in said[0] and "in the stash" in said[0]
    assert "only in the stash" in said[1] and "branch" not in said[1]
    assert "git commit -m 'Session' -- " in said[1] and "then git stash pop" in said[1]
    # What the warning says to do brings everything back.
    git(project, "commit", "-qm", "Session", "--", str(project / CONTEXT))
    popped = git(project, "stash", "pop", check=False)
    assert popped.returncode == 0, popped.stdout + popped.stderr
    assert earlier_files(project) == rolled
    assert "<<<<<<<" not in (project / CONTEXT).read_text()
    run("log", "--discovery", "After the pop")
    every_entry_once(run, entries, "Rolled over", "Written while stashed", "After the pop")


def test_a_branch_holding_the_earlier_file_can_be_checked_out_again(
        project: Path, run: Runner) -> None:
    """The rolled-over session committed on a branch, an older one checked out: a write
    there does not make the branch's earlier file again, untracked (``git checkout``
    back would refuse: "untracked working tree files would be overwritten")."""
    entries = past_bound(project, run)
    git(project, "checkout", "-q", "-b", "rolled")
    run("log", "--discovery", "Rolled over")
    commit_all(project, "rolled over")
    git(project, "checkout", "-q", "-")
    assert earlier_files(project) == []

    done = run("log", "--discovery", "On the older branch")

    assert earlier_files(project) == []
    said = warnings(done.stderr)
    assert "not rolled over" in said[0] and "branch rolled" in said[0], done.stderr
    assert "reachable from branch rolled" in said[1] and "stash" not in said[1]
    commit_all(project, "older")
    back = git(project, "checkout", "-q", "rolled", check=False)
    assert back.returncode == 0, back.stderr
    every_entry_once(run, entries, "Rolled over")


@pytest.mark.parametrize("where", ["branch", "tag", "stash"])
def test_the_warning_says_where_git_holds_the_newer_version(
        project: Path, run: Runner, where: str) -> None:
    """A write into an older version than the one written last names where that one
    is: a branch, a tag, or only the stash (before, "a branch or tag" in every case)."""
    started(run, project)
    commit_all(project, "one")
    if where == "stash":
        run("log", "--discovery", "The newer entry")
        git(project, "stash", "-q")
    else:
        git(project, "checkout", "-q", "-b", "newer")
        run("log", "--discovery", "The newer entry")
        commit_all(project, "two")
        if where == "tag":
            git(project, "tag", "v1")
        git(project, "checkout", "-q", "-")
        if where == "tag":
            git(project, "branch", "-qD", "newer")

    done = run("log", "--discovery", "Into the older one")

    said = warnings(done.stderr)
    assert len(said) == 1, done.stderr
    expected = {"branch": "reachable from branch newer", "tag": "reachable from tag v1",
                "stash": "only in the stash"}[where]
    assert expected in said[0], said[0]
    assert "branch or tag" not in said[0]
    log = (project / CONTEXT).read_text()
    assert ("(git stash)" in log) == (where == "stash")
    if where == "stash":  # the advice works for a file that did not roll over too
        git(project, "commit", "-qm", "Session", "--", str(project / CONTEXT))
        popped = git(project, "stash", "pop", check=False)
        assert popped.returncode == 0, popped.stdout + popped.stderr
        text = (project / CONTEXT).read_text()
        assert "The newer entry" in text and "Into the older one" in text
        assert "<<<<<<<" not in text
