"""A session write while a git operation is stopped half way (issue 14, eighth review).

Seen: ``log`` during a rebase stopped on a conflict left the committed session file
changed, and ``git rebase --continue`` then refused ("You must edit all merge
conflicts and then mark them as resolved using git add"), with no word from the
tool. Every write into a tracked session file while a rebase, ``git am``, a merge, a
cherry-pick, a revert or a bisect is under way now says so on stderr, naming the
operation and the commands that let it go on; ``status``, ``show``, ``resume`` and
``start`` say it too. Real git throughout; the advised commands are run as pasted.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from gitkit import GIT_ENV, commit_all, git

from conftest import CLI, Runner

SESSION = ".ai/session-context.org"


def _diverged(project: Path, run: Runner) -> None:
    """A committed session file, and branches ``main`` and ``side`` that both change
    ``f``: any way of bringing one onto the other stops on a conflict in ``f``."""
    git(project, "checkout", "-q", "-b", "main")
    (project / "f").write_text("a\n")
    run("start", "--title", "T")
    commit_all(project, "start")
    git(project, "checkout", "-q", "-b", "side")
    (project / "f").write_text("side\n")
    commit_all(project, "side")
    (project / "h").write_text("later\n")
    commit_all(project, "side 2")
    git(project, "checkout", "-q", "main")
    (project / "f").write_text("main\n")
    commit_all(project, "main")


def _paste(project: Path, said: str, *starts: str) -> None:
    """Run each command ``said`` quotes ('...') that begins with one of ``starts``, in
    order, through the shell, as a person pastes them; each must succeed."""
    commands = [c for c in re.findall(r"'((?:git|cp) [^']*)'", said) if c.startswith(starts)]
    assert commands, said
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=project, capture_output=True,
                              text=True, env={**os.environ, **GIT_ENV})
        assert done.returncode == 0, (command, done.stderr)


def _go_on(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV, "GIT_EDITOR": "true"})


def test_log_during_a_stopped_rebase_says_what_lets_it_continue(project: Path,
                                                                run: Runner) -> None:
    _diverged(project, run)
    git(project, "checkout", "-q", "side")
    assert _go_on(project, "rebase", "main").returncode != 0  # stopped on f
    logged = run("log", "--progress", "during the rebase")
    warning = logged.stderr
    assert "Warning: a git rebase is under way" in warning, warning
    assert "git rebase --continue" in warning
    # The read commands say it too.
    for command in (("status",), ("show",), ("resume",), ("start",)):
        said = run(*command)
        assert "a git rebase is under way" in said.stdout + said.stderr, command
    # Without the advice, git refuses (as the reviewer saw); with it, git goes on.
    (project / "f").write_text("resolved\n")
    git(project, "add", "f")
    refused = _go_on(project, "rebase", "--continue")
    assert refused.returncode != 0, refused
    _paste(project, warning, "git add")
    done = _go_on(project, "rebase", "--continue")
    assert done.returncode == 0, done.stderr
    assert not (project / ".git/rebase-merge").exists()
    assert "during the rebase" in git(project, "show", f"HEAD~1:{SESSION}")
    assert git(project, "status", "--porcelain") == ""
    assert "under way" not in run("log", "--progress", "after").stderr


@pytest.mark.parametrize("how", ["merge", "cherry-pick", "am", "revert"])
def test_log_during_another_stopped_operation_names_it(project: Path, run: Runner,
                                                       how: str, tmp_path: Path) -> None:
    """A merge, cherry-pick, ``git am`` or revert stopped on a conflict: the warning
    names it and its command; with the advised ``git add`` the commit git makes holds
    the session's entries, and git goes on."""
    _diverged(project, run)
    if how == "merge":
        stop, go_on = ["merge", "side"], ["commit", "--no-edit"]
    elif how == "cherry-pick":
        stop, go_on = ["cherry-pick", "side~1"], ["cherry-pick", "--continue"]
    elif how == "revert":  # reverting "main" on a branch where f moved on: a conflict
        (project / "f").write_text("main 2\n")
        commit_all(project, "main 2")
        stop, go_on = ["revert", "--no-edit", "HEAD~1"], ["revert", "--continue"]
    else:
        patch = tmp_path / "p.patch"
        patch.write_text(git(project, "format-patch", "-1", "side~1", "--stdout") + "\n")
        stop, go_on = ["am", "-3", str(patch)], ["am", "--continue"]
    assert _go_on(project, *stop).returncode != 0
    warning = run("log", "--progress", f"during the {how}").stderr
    assert f"Warning: a git {how} is under way" in warning, warning
    assert f"'git {go_on[0]}" in warning
    assert f"a git {how} is under way" in run("status").stdout + run("status").stderr
    (project / "f").write_text("resolved\n")
    git(project, "add", "f")
    _paste(project, warning, "git add")
    done = _go_on(project, *go_on)
    assert done.returncode == 0, done.stderr
    assert f"during the {how}" in git(project, "show", f"HEAD:{SESSION}")


def test_log_during_a_bisect_and_the_advised_commands(project: Path, run: Runner) -> None:
    """A bisect checks out other commits: the advice puts git's version back (the
    session's entries stay in the kept copy), lets the bisect go on, and merges them back
    after ``git bisect reset`` (ninth review: copying the file back dropped the entries
    committed on the branch meanwhile; tests/test_kept_merge_ninth.py has that case)."""
    _diverged(project, run)
    run("log", "--progress", "second")
    commit_all(project, "second session version")
    git(project, "bisect", "start", "HEAD", "HEAD~2")
    warning = run("log", "--progress", "while bisecting").stderr
    assert "Warning: a git bisect is under way" in warning, warning
    checkout, back = re.findall(r"'((?:git checkout|ai-protocols merge-kept) [^']*)'", warning)
    assert subprocess.run(checkout, shell=True, cwd=project).returncode == 0, checkout
    for command in (("bisect", "good"), ("bisect", "reset")):
        done = _go_on(project, *command)
        assert done.returncode == 0, (command, done.stderr)
    env = {**os.environ, "PATH": f"{Path(CLI).parent}{os.pathsep}{os.environ['PATH']}"}
    assert subprocess.run(back, shell=True, cwd=project, env=env).returncode == 0
    text = (project / SESSION).read_text()
    assert "while bisecting" in text and "second" in text


def test_an_untracked_session_file_gets_no_warning(project: Path, run: Runner) -> None:
    """git's commands leave an untracked file alone: nothing to say."""
    git(project, "checkout", "-q", "-b", "main")
    (project / "f").write_text("a\n")
    git(project, "add", "f")
    git(project, "commit", "-q", "-m", "i")
    git(project, "checkout", "-q", "-b", "side")
    git(project, "commit", "-q", "-am", "side", "--allow-empty")
    (project / "f").write_text("side\n")
    git(project, "commit", "-q", "-am", "side")
    git(project, "checkout", "-q", "main")
    (project / "f").write_text("main\n")
    git(project, "commit", "-q", "-am", "main")
    git(project, "checkout", "-q", "side")
    run("start", "--title", "T")  # (never committed)
    assert _go_on(project, "rebase", "main").returncode != 0
    assert (project / ".git/rebase-merge").exists()
    assert "under way" not in run("log", "--progress", "x").stderr
