"""Issue 14, the fourth reviewer's faults in checkpoints' restore and the "it looks
rolled back" warning (docs/checkpoints.md, docs/decisions.md "Issue 14, fourth review
(checkpoint restore and warnings)").

The installed command runs as a real subprocess in temporary git repositories, with
real clones and remotes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from conftest import Runner

GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], check=check, capture_output=True,
                          env={**os.environ, **GIT_ENV}, text=True)
    return done.stdout.strip()


def commit_all(root: Path, message: str = "c") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def first_commit(repo: Path) -> None:
    (repo / "a").write_text("a\n")
    commit_all(repo, "i")


def files_under(root: Path, folder: str) -> dict[str, bytes]:
    base = root / folder
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*")) if p.is_file()}


# -- 1. restore --force never writes nor removes the tool's own files --------------------------


def test_restore_in_place_leaves_the_scaffold_the_board_and_the_archives(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "w").write_text("w\n")
    run("checkpoint", "--note", "before the tool set up .ai/")
    run("start", "--title", "First")
    run("checkpoint", "--note", "c1")
    run("wrap-up", "first done")
    run("start", "--title", "Second")
    run("task", "add", "Build it")
    run("lock", "src/", "--reason", "refactor", agent="other.1700000009")
    run("checkpoint", "--note", "with the board")
    before = files_under(repo, ".ai")
    assert any(p.startswith(".ai/sessions/") and p.endswith(".org") for p in before)
    assert ".ai/tasks.org" in before and ".ai/.gitignore" in before
    done = run("checkpoint", "restore", "1", "--force")
    assert files_under(repo, ".ai") == before  # nothing under .ai/ written nor removed
    assert "under .ai/" in done.stderr
    assert (repo / "w").read_text() == "w\n"
    assert "First" in run("list").stdout or "first done" in run("list").stdout
    assert "src/" in run("locks").stdout
    # .ai/.locks is still ignored: git status shows nothing of it
    assert ".locks" not in git(repo, "status", "--porcelain", "-uall")


@given(st.lists(st.sampled_from(["a", ".ai", "b.ai", ".aix", ".AI", "-", "é .ai"]), min_size=1,
                max_size=5))
def test_a_tool_path_is_one_under_a_dot_ai_folder(parts: list[str]) -> None:
    from ai_protocols.git.checkpoint import is_tool_path

    assert is_tool_path("/".join(parts)) == (".ai" in parts[:-1])


# -- 11. a file and a folder at one path, restored in any order --------------------------------


def test_a_file_and_a_folder_at_one_path_restore_in_any_order(repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "p").write_text("file\n")
    run("checkpoint", "--note", "file p")
    (repo / "p").unlink()
    (repo / "p").mkdir()
    (repo / "p" / "q").write_text("q\n")
    run("checkpoint", "--note", "folder p")
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "p").read_text() == "file\n"
    run("checkpoint", "restore", "2", "--force")
    assert (repo / "p" / "q").read_text() == "q\n"
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "p").read_text() == "file\n"
    # a folder holding a file kept nowhere else is still in the way
    (repo / "p").unlink()
    (repo / "p").mkdir()
    (repo / "p" / "mine").write_text("only here\n")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15 and "p" in refused.stderr
    assert (repo / "p" / "mine").read_text() == "only here\n"
