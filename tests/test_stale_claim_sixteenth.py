"""A stale Emacs save of the board over a pull that changed a task (issue 14/15,
sixteenth round): clone A claims a task (or locks a folder) and pushes; clone B has the
board open in Emacs, pulls (the board now holds A's claim), then saves the old buffer
with a note typed in it. B's next board write must merge the claim back, or B's agent
could claim the task A holds without --force: two owners of one task."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, clean_env


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@x")).stdout


def _cli(cwd: Path, agent: str, *args: str, check: bool = True
         ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID=agent), timeout=120)
    assert not check or done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.mark.parametrize("change", ["claim", "lock"])
def test_a_stale_save_over_a_pulled_claim_or_lock_is_merged_back(tmp_path: Path,
                                                                  change: str) -> None:
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    a, b = tmp_path / "a", tmp_path / "b"
    _git(tmp_path, "clone", "-q", str(remote), str(a))
    _git(a, "commit", "-q", "--allow-empty", "-m", "i")
    _cli(a, "a.1", "init")
    task = _cli(a, "a.1", "task", "add", "T1").stdout.strip()
    _git(a, "add", "-A")
    _git(a, "commit", "-qm", "board")
    _git(a, "push", "-q", "origin", "HEAD")
    _git(tmp_path, "clone", "-q", str(remote), str(b))
    _cli(b, "b.1", "init")
    _cli(b, "b.1", "task", "add", "B0")  # the tool wrote the board here
    _git(b, "commit", "-qam", "b0")
    if change == "claim":
        _cli(a, "a.1", "task", "claim", task)
    else:
        _cli(a, "a.1", "lock", "src/", "--reason", "reshaping")
    _git(a, "commit", "-qam", change)
    _git(a, "push", "-q", "origin", "HEAD")
    board = b / ".ai" / "tasks.org"
    buffer = board.read_bytes()  # Emacs has the board open
    _git(b, "pull", "-q", "--no-rebase")
    assert b"a.1" in board.read_bytes()
    board.write_bytes(buffer + b"a note typed in Emacs\n")  # the stale save
    done = _cli(b, "b.1", "task", "add", "B2")
    assert "merged back" in done.stderr or "brought" in done.stderr, done.stderr
    text = board.read_text()
    assert "a.1" in text and "a note typed in Emacs" in text and "B2" in text, text
    if change == "claim":
        refused = _cli(b, "b.1", "task", "claim", task, check=False)
        assert refused.returncode == 21 and "a.1" in refused.stderr, refused
        shown = json.loads(_cli(b, "b.1", "task", "show", task, "--json").stdout)
        assert shown["owner"] == "a.1", shown
    else:
        refused = _cli(b, "b.1", "lock", "src/x.py", "--reason", "mine", check=False)
        assert refused.returncode == 22 and "a.1" in refused.stderr, refused
