"""What the task board's tests share: the board's place, adding a task, reading the
board, and an edit put to the PreToolUse hook as Claude Code sends one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import CLI, Runner, clean_env

BOARD = Path(".ai") / "tasks.org"


def add(run: Runner, title: str, *args: str, agent: str = "planner.1") -> str:
    """``task add TITLE ARGS...`` as ``agent``; the new task's id."""
    return run("task", "add", title, *args, agent=agent).stdout.strip()


def board(repo: Path) -> str:
    """The board's text."""
    return (repo / BOARD).read_text(encoding="utf-8")


def write_hook(cwd: Path, path: Path, agent: str) -> subprocess.CompletedProcess[str]:
    """The installed ``hook PreToolUse --runtime claude`` given a ``Write`` of ``path``
    from ``cwd``, as ``agent`` (the payload's fields: ../shared/reference/agent-hooks.md)."""
    payload = {"session_id": "s", "cwd": str(cwd), "hook_event_name": "PreToolUse",
               "tool_name": "Write", "tool_input": {"file_path": str(path), "content": "x"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=clean_env(AI_AGENT_ID=agent), timeout=60)


def edit_hook(cwd: Path, tool: str, tool_input: dict[str, object], agent: str,
              runtime: str = "claude") -> subprocess.CompletedProcess[str]:
    """The installed ``hook PreToolUse --runtime RUNTIME`` given a ``tool`` call with
    ``tool_input`` from ``cwd``, as ``agent``."""
    payload = {"session_id": "s", "cwd": str(cwd), "hook_event_name": "PreToolUse",
               "tool_name": tool, "tool_input": tool_input}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", runtime],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=clean_env(AI_AGENT_ID=agent), timeout=60)


def board_driver(tmp_path: Path, o: str, a: str, b: str) -> str:
    """The installed merge driver on three versions of a board (base ``o``, ours ``a``,
    theirs ``b``), as git runs it; the merged board (it must merge cleanly)."""
    for name, text in (("o", o), ("a", a), ("b", b)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([str(CLI), "merge-driver", "--marker-size", "7", str(tmp_path / "o"),
                           str(tmp_path / "a"), str(tmp_path / "b"), ".ai/tasks.org"],
                          capture_output=True, text=True, env=clean_env(), timeout=60)
    assert done.returncode == 0, done
    return (tmp_path / "a").read_text(encoding="utf-8")


def git(repo: Path, *args: str) -> str:
    """``git -C repo ARGS``, its output (a committer named, so a commit works anywhere)."""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@t")).stdout


def edit(project: Path, old: str, new: str) -> None:
    """A person's edit of the board: ``old`` (once) replaced by ``new``, saved by a rename
    as Emacs saves."""
    text = board(project)
    assert text.count(old) == 1, old
    temporary = project / ".ai" / "tasks.org.new"
    temporary.write_text(text.replace(old, new), encoding="utf-8")
    temporary.replace(project / BOARD)


def linked_copy(tmp_path: Path) -> tuple[Runner, Runner, Path, Path]:
    """A git repository ``tmp_path/main`` whose board holds one task ("task one"),
    committed, and a linked work tree ``tmp_path/wt`` (branch ``feat``), whose copy of
    the board a person types into before ``task merge-copy``: the runner of each, and
    each folder."""
    repo = (tmp_path / "main").resolve()
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    run = Runner(repo)
    run("init")
    run("task", "add", "task one")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "board")
    tree = (tmp_path / "wt").resolve()
    git(repo, "worktree", "add", "-q", str(tree), "-b", "feat")
    return run, Runner(tree), repo, tree
