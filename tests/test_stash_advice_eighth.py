"""After ``git stash -u``, the advice ``start`` gives works when pasted (issue 14,
eighth review).

Seen: ``start`` brought the never-committed session file back (and ``.ai/``'s own
files with it), then advised ``git stash pop``, which refused: "already exists, no
checkout ... could not restore untracked files from stash". The advice now names
the files that stop it and the commands that bring the work back; run as pasted,
they succeed, the work is back, the session file is the newest ai-protocols wrote,
and the stash entry is gone.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, git

from conftest import Runner


def _stashed(project: Path, run: Runner) -> None:
    git(project, "checkout", "-q", "-b", "main")
    (project / "f").write_text("a\n")
    git(project, "add", "f")
    git(project, "commit", "-q", "-m", "i")
    run("start", "--title", "T")  # (.ai/ never committed)
    (project / "f").write_text("a\nwip\n")
    (project / "g").write_text("new\n")
    run("checkpoint", "--note", "wip")
    run("log", "--progress", "before the stash")
    git(project, "stash", "-u", "-q")
    assert not (project / "g").exists()


def _paste(project: Path, said: str) -> None:
    found = re.search(r"back with: (.*?) \(from (.*?)\)", said)
    assert found, said
    assert found.group(2) == str(project)
    done = subprocess.run(found.group(1), shell=True, cwd=project, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, (found.group(1), done.stdout, done.stderr)


def test_the_advice_after_start_brings_the_stashed_work_back(project: Path,
                                                            run: Runner) -> None:
    _stashed(project, run)
    said = run("start").stderr
    assert "git stash pop refuses" in said, said
    assert "git stash pop brings the work back" not in said
    # git stash pop alone fails, as the reviewer saw (tried in a copy: it half-applies)
    _paste(project, said)
    assert (project / "f").read_text() == "a\nwip\n"
    assert (project / "g").read_text() == "new\n"
    assert git(project, "stash", "list") == ""
    text = (project / ".ai/session-context.org").read_text()
    assert "before the stash" in text
    run("log", "--progress", "after")  # (the newest version: no write refused)
    assert "rolled back" not in run("resume").stdout


def test_plain_git_stash_pop_refuses_there(project: Path, run: Runner) -> None:
    """The premise: after ``start``, a bare ``git stash pop`` fails."""
    _stashed(project, run)
    run("start")
    assert subprocess.run(["git", "stash", "pop"], cwd=project, capture_output=True,
                          env={**os.environ, **GIT_ENV}).returncode != 0
