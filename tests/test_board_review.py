"""The task board after its second review (issue 15's open faults 2 to 12).

Every command runs as the installed ``ai-protocols`` in a real git repository;
Emacs judges the board where a person's edit is involved.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import CLI, Runner, clean_env
from emacs import assert_reader_agrees, org_element

BOARD = Path(".ai") / "tasks.org"


def add(run: Runner, title: str, *args: str, agent: str = "planner.1") -> str:
    return run("task", "add", title, *args, agent=agent).stdout.strip()


def board(repo: Path) -> str:
    return (repo / BOARD).read_text(encoding="utf-8")


def hook(project: Path, path: Path, agent: str) -> subprocess.CompletedProcess[str]:
    payload = {"session_id": "s", "cwd": str(project), "hook_event_name": "PreToolUse",
               "tool_name": "Write", "tool_input": {"file_path": str(path), "content": "x"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=project, env=clean_env(AI_AGENT_ID=agent), timeout=60)


def _commit(project: Path) -> None:
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "base"], check=True)


# -- 2. symbolic links: real locations are compared ---------------------------------------------


def test_a_link_inside_the_project_does_not_get_past_lock_check_or_hook(
        project: Path, run: Runner, tmp_path: Path) -> None:
    (project / "src" / "api").mkdir(parents=True)
    (project / "src" / "api" / "x.py").write_text("x\n")
    (project / "apilink").symlink_to("src/api")
    _commit(project)
    # lock: through the link and back, both ways
    run("lock", "src/api", "--reason", "reshaping", agent="a.1")
    for area in ("apilink/x.py", "apilink", "apilink/"):
        done = run("lock", area, "--reason", "mine", agent="b.1", check=False)
        assert done.returncode == 22, (area, done.stdout, done.stderr)
    run("unlock", "src/api/", agent="a.1")
    run("lock", "apilink", "--reason", "through the link", agent="a.1")
    assert json.loads(run("locks", "--json").stdout)[0]["path"] == "src/api/"
    done = run("lock", "src/api/x.py", "--reason", "mine", agent="b.1", check=False)
    assert done.returncode == 22, done.stderr
    # the hook: an edit through the link into the lock, and the reverse
    assert hook(project, project / "apilink" / "x.py", "b.1").returncode == 2
    assert hook(project, project / "apilink" / "new.py", "b.1").returncode == 2
    assert hook(project, project / "src" / "api" / "x.py", "b.1").returncode == 2
    assert hook(project, project / "src" / "other.py", "b.1").returncode == 0
    # check: a change made through the link is inside the lock
    (project / "apilink" / "x.py").write_text("changed\n")
    report = json.loads(run("check", "--json", agent="b.1", check=False).stdout)
    assert [(f["path"], f["locked_by"]) for f in report["findings"]] == [("src/api/x.py", "a.1")]
    # a working set given through the link holds the real files
    task = add(run, "API work", "--working-set", "apilink/")
    run("task", "claim", task, agent="a.1")
    assert json.loads(run("check", "--json", agent="a.1").stdout)["findings"] == []
    # a link leading out of the project is refused, clearly, and changes nothing
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / "out").symlink_to(outside)
    before = (project / BOARD).read_bytes()
    done = run("lock", "out/x", "--reason", "r", agent="b.1", check=False)
    assert done.returncode == 4 and "leads outside the project" in done.stderr
    assert (project / BOARD).read_bytes() == before
    assert hook(project, project / "out" / "x", "b.1").returncode == 0


def test_a_lock_taken_through_a_link_before_links_were_resolved_still_holds(
        project: Path, run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    (project / "apilink").symlink_to("src/api")
    run("lock", "docs/", "--reason", "first", agent="a.1")
    text = board(project).replace(":PATH:", ":PATH: apilink/\n:OLD:", 1)
    (project / BOARD).write_text(text)
    assert hook(project, project / "src" / "api" / "y.py", "b.1").returncode == 2
    done = run("lock", "src/api/y.py", "--reason", "mine", agent="b.1", check=False)
    assert done.returncode == 22
