"""Issue 14, the seventh reviewer's faults in checkpoints and restore (docs/checkpoints.md,
docs/decisions.md "Issue 14, sixth review (checkpoints and restore, eighth round)").

The installed command runs as a real subprocess in temporary git repositories.
"""

from __future__ import annotations

from pathlib import Path

from gitkit import commit_all, first_commit, git

from conftest import Runner

# -- 1. a linked worktree of the same repository inside the work tree -----------------------


def test_a_linked_worktree_inside_is_left_out_and_never_touched(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    git(repo, "worktree", "add", "-q", ".claude/worktrees/w1", "-b", "w1")
    (repo / "m").write_text("m\n")
    taken = run("checkpoint", "--note", "main-cp")
    said = taken.stdout + taken.stderr
    assert "submodule" not in said and "git clone" not in said, said
    ref = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")
    listed = git(repo, "ls-tree", "-r", "--name-only", ref).split("\n")
    assert not any(p.startswith(".claude") for p in listed), listed
    w1 = repo / ".claude" / "worktrees" / "w1"
    (w1 / "wtfile").write_text("wt\n")
    commit_all(w1, "w1 work")
    head = git(w1, "rev-parse", "HEAD")
    restored = run("checkpoint", "restore", "1", "--force")
    assert git(w1, "branch", "--show-current") == "w1"
    assert git(w1, "rev-parse", "HEAD") == head
    assert (w1 / "wtfile").read_text() == "wt\n"
    new = tmp_path / "new"
    elsewhere = run("checkpoint", "restore", "1", "--worktree", str(new))
    for text in (restored.stdout + restored.stderr, elsewhere.stdout + elsewhere.stderr):
        assert ".claude" not in text, text
    assert git(new, "ls-files", "-s", "--", ".claude") == ""


def test_a_worktree_of_another_repository_inside_is_still_a_nested_repository(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    first_commit(other)
    git(other, "worktree", "add", "-q", str(repo / "nested"), "-b", "n")
    taken = run("checkpoint")
    ref = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")
    assert git(repo, "ls-tree", ref, "nested").startswith("160000 commit"), taken
    assert "submodule" in taken.stdout + taken.stderr


# -- 4. a restore runs no hook, in place as into a new worktree ------------------------------


def test_a_restore_runs_no_post_checkout_hook(repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "x").write_text("x1\n")
    run("checkpoint", "--note", "A")
    (repo / "x").write_text("x2\n")
    run("checkpoint", "--note", "B")
    hooks, ran = tmp_path / "hooks", tmp_path / "ran"
    hooks.mkdir()
    hook = hooks / "post-checkout"
    hook.write_text(f"#!/bin/sh\necho \"$@\" >> '{ran}'\nexit 1\n")
    hook.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    done = run("checkpoint", "restore", "1", "--force", check=False)
    assert done.returncode == 0, done.stderr
    assert (repo / "x").read_text() == "x1\n"
    run("checkpoint", "restore", "2", "--worktree", str(tmp_path / "new"))
    assert not ran.exists(), ran.read_text()
