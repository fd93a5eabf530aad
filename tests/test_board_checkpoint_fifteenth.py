"""``task done --checkpoint`` records the checkpoint's ref and its commit, and ``task show``
says where it is by the whereabouts rule (docs/checkpoints.md).

A checkpoint's ref (``refs/ai-protocols/...``) is one a plain clone or fetch never brings:
a teammate's clone must still learn which commit the task was closed with, and how to get
it. Real git, two clones of one bare remote, the installed console script.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import Runner

AGENT = "velox.board.claude.1"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _show(run: Runner, task_id: str) -> dict:
    found = json.loads(run("task", "show", task_id, "--json", agent=AGENT).stdout)
    assert isinstance(found, dict)
    return found


def test_done_with_a_checkpoint_records_its_commit_and_show_says_where_it_is(
        tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    a = tmp_path / "a"
    subprocess.run(["git", "clone", "-q", str(origin), str(a)], check=True,
                   capture_output=True)
    git(a, "commit", "-q", "--allow-empty", "-m", "i")
    run_a = Runner(a)
    task_id = run_a("task", "add", "ship", agent=AGENT).stdout.split()[-1]
    run_a("task", "claim", task_id, agent=AGENT)
    (a / "w.txt").write_text("work\n")
    run_a("task", "done", task_id, "--checkpoint", agent=AGENT)
    shown = _show(run_a, task_id)
    ref, commit = shown["checkpoint"].split(" ")
    assert ref.startswith("refs/ai-protocols/checkpoints/")
    assert commit == git(a, "rev-parse", ref)  # the commit, whole, beside its ref
    restore = f"ai-protocols checkpoint restore {commit[:12]}"
    assert shown["checkpoint_where"].startswith(
        f"restore it with: {restore} (from ")
    text = run_a("task", "show", task_id, agent=AGENT).stdout
    assert f"checkpoint where: restore it with: {restore}" in text

    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "done")
    git(a, "push", "-q", "origin", "HEAD:master")
    b = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(origin), str(b)], check=True,
                   capture_output=True)
    run_b = Runner(b)
    # a teammate's clone: the ref was never fetched (nor pushed): push it, fetch it
    where = _show(run_b, task_id)["checkpoint_where"]
    assert where.startswith("it is not in this clone")
    assert f"git push {origin} {ref}" in where
    assert "git fetch --no-prune origin 'refs/ai-protocols/*:refs/ai-protocols/*'" in where
    assert restore in where
    git(a, "push", "-q", "origin", ref)
    git(b, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    assert _show(run_b, task_id)["checkpoint_where"].startswith(
        f"restore it with: {restore} (from ")

    # the ref deleted in the clone that took it: its commit still restores, by its hash
    git(a, "update-ref", "-d", ref)
    where = _show(run_a, task_id)["checkpoint_where"]
    assert where.startswith("its ref is gone here")
    assert f"restore it with: {restore} (from " in where and where.endswith(")")


def test_a_ref_alone_recorded_before_is_still_found(tmp_path: Path) -> None:
    """A board closed by an older version (``CHECKPOINT`` the ref alone): ``task show``
    finds its commit from the ref where this clone holds it, else names the fetch."""
    root = tmp_path.resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git(root, "commit", "-q", "--allow-empty", "-m", "i")
    run = Runner(root)
    task_id = run("task", "add", "ship", agent=AGENT).stdout.split()[-1]
    run("task", "claim", task_id, agent=AGENT)
    run("task", "done", task_id, "--checkpoint", agent=AGENT)
    board = root / ".ai" / "tasks.org"
    ref, commit = _show(run, task_id)["checkpoint"].split(" ")
    board.write_text(board.read_text().replace(f"{ref} {commit}", ref))
    assert _show(run, task_id)["checkpoint"] == ref
    restore = f"ai-protocols checkpoint restore {commit[:12]}"
    assert _show(run, task_id)["checkpoint_where"].startswith(
        f"restore it with: {restore} (from ")
    git(root, "update-ref", "-d", ref)
    where = _show(run, task_id)["checkpoint_where"]
    assert where.startswith(f"its ref {ref} is not in this clone")
    assert "'refs/ai-protocols/*:refs/ai-protocols/*'" in where


def test_a_branch_or_tag_is_recorded_with_its_commit_and_needs_no_whereabouts(
        tmp_path: Path) -> None:
    root = tmp_path.resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git(root, "commit", "-q", "--allow-empty", "-m", "i")
    git(root, "tag", "v1")
    run = Runner(root)
    task_id = run("task", "add", "ship", agent=AGENT).stdout.split()[-1]
    run("task", "claim", task_id, agent=AGENT)
    run("task", "done", task_id, "--checkpoint-ref", "v1", agent=AGENT)
    shown = _show(run, task_id)
    assert shown["checkpoint"] == f"refs/tags/v1 {git(root, 'rev-parse', 'v1')}"
    assert shown["checkpoint_where"] is None
