"""``checkpoint list`` and ``checkpoint show`` on the console script's fast path
(twentieth round, docs/performance.md "The test suite's time, twentieth round"):
answered without click, they print and say exactly what their click commands do (the
same exit code, stdout and stderr), run one after the other in one project (they only
read); every form the fast path leaves to click, click says on both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_fast_path import imported
from test_init_twentieth import CLICK_AS_SCRIPT

from conftest import CLI, Runner, clean_env

ME, OTHER = "host.1.claude.1", "host.2.codex.1"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with checkpoints: two of this agent's (one with a note of several lines
    and other scripts, a file name with a control character), one of another agent's, a
    ref that holds a blob, and one this agent's session records whose ref is gone."""
    root = (tmp_path_factory.mktemp("points") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q")
    run = Runner(root)
    run("init")
    (root / "a.txt").write_text("a\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    run("start", agent=ME)
    (root / "a.txt").write_text("changed\n", encoding="utf-8")
    (root / "b\x1bc.txt").write_text("new\n", encoding="utf-8")
    run("checkpoint", "--note", "first: é 中\nsecond line", agent=ME)
    (root / "d.txt").write_text("d\n", encoding="utf-8")
    run("checkpoint", agent=ME)
    run("checkpoint", "--note", "gone soon", agent=ME)
    run("checkpoint", "--note", "the other's", agent=OTHER)
    refs = git(root, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/").split()
    mine = sorted(r for r in refs if "claude" in r)
    git(root, "update-ref", "-d", mine[-1])  # (recorded in the session, its ref gone)
    blob = git(root, "hash-object", "-w", "a.txt").strip()
    git(root, "update-ref", mine[-1].rsplit("/", 1)[0] + "/9", blob)
    return root


def both(cwd: Path, args: list[str], agent: str | None = ME) -> \
        subprocess.CompletedProcess[str]:
    env = clean_env(**({"AI_AGENT_ID": agent} if agent else {}))
    runs = [subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=60)
            for command in ([str(CLI), *args], [sys.executable, "-c", CLICK_AS_SCRIPT, *args])]
    got = [(r.returncode, r.stdout, r.stderr) for r in runs]
    assert got[0] == got[1], args
    return runs[0]


@pytest.mark.parametrize("args", [
    ["checkpoint", "list"], ["checkpoint", "list", "--all"], ["checkpoint", "list", "--json"],
    ["checkpoint", "list", "--all", "--json"], ["checkpoint", "show", "1"],
    ["checkpoint", "show", "2"], ["checkpoint", "show", "99"],
    # what the fast path leaves to click: click's words on both
    ["checkpoint", "show"], ["checkpoint", "show", "1", "2"], ["checkpoint", "show", "-1"],
    ["checkpoint", "list", "--help"], ["checkpoint", "list", "--json=yes"],
    ["checkpoint", "--note", "x", "list"], ["checkpoint", "list", "extra"],
])
def test_checkpoint_list_and_show_are_the_same_on_both_paths(points: Path,
                                                             args: list[str]) -> None:
    done = both(points, args)
    if args in (["checkpoint", "list"], ["checkpoint", "show", "1"]):
        assert done.returncode == 0 and done.stdout, done.stderr  # (something compared)
    if args == ["checkpoint", "list"]:
        assert done.stderr.count("Note: ") == 2, done.stderr  # (the blob's ref, the gone one)


def test_another_agent_and_no_session(points: Path) -> None:
    for agent in (OTHER, "host.3.claude.1", None):
        for args in (["checkpoint", "list"], ["checkpoint", "list", "--all"],
                     ["checkpoint", "show", "1"]):
            both(points, args, agent)


def test_outside_a_project_both_refuse(tmp_path: Path) -> None:
    for args in (["checkpoint", "list"], ["checkpoint", "show", "1"]):
        done = both(tmp_path, args)
        assert done.returncode == 13, done.stderr


@pytest.mark.parametrize("args", [["checkpoint", "list"], ["checkpoint", "list", "--all"],
                                  ["checkpoint", "show", "1"]])
def test_checkpoint_list_and_show_import_no_click(points: Path, args: list[str]) -> None:
    assert "click" not in imported(points, *args, AI_AGENT_ID=ME)
