"""The PreToolUse hook and a payload without ``tool_name``: a file it can read in
``tool_input`` is judged as an edit (a lock holds), and one it cannot read is the
documented non-blocking error (exit 1, "the edit was not checked"), as for a named edit
tool, never a silent pass (docs/tasks.md, "The hook"; a fresh review's DOUBT 4 of the
twenty-eighth round)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from boardkit import edit_hook

from conftest import CLI, Runner, clean_env


def hook(cwd: Path, payload: object, runtime: str = "claude") -> subprocess.CompletedProcess[str]:
    """The installed ``hook PreToolUse --runtime RUNTIME`` given ``payload`` as JSON."""
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", runtime],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=clean_env(AI_AGENT_ID="bob"), timeout=60)


@pytest.mark.parametrize("tool_input", [{"file_path": 5}, {"file_path": None}, {},
                                        {"file_path": ""}, "src/api/f.py", None])
@pytest.mark.parametrize("named", [True, False])
def test_an_unreadable_file_is_not_checked_whether_or_not_the_tool_is_named(
        project: Path, run: Runner, tool_input: object, named: bool) -> None:
    run("lock", "src/api/", "--reason", "busy", agent="holder")
    board = (project / ".ai" / "tasks.org").read_bytes()
    payload: dict[str, object] = {"session_id": "s", "cwd": str(project),
                                  "hook_event_name": "PreToolUse", "tool_input": tool_input}
    if named:
        payload["tool_name"] = "Edit"
    done = hook(project, payload)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "names no file that can be read" in done.stderr
    assert done.stderr.rstrip().endswith("the edit was not checked")
    assert ("no tool_name" in done.stderr) is not named
    assert (project / ".ai" / "tasks.org").read_bytes() == board


def test_without_tool_name_a_readable_file_is_judged(project: Path, run: Runner) -> None:
    run("lock", "src/api/", "--reason", "busy", agent="holder")
    inside = hook(project, {"cwd": str(project), "tool_input": {"file_path": "src/api/f.py"}})
    assert inside.returncode == 2 and "holder has locked" in inside.stderr, inside.stderr
    outside = hook(project, {"cwd": str(project), "tool_input": {"file_path": "src/g.py"}})
    assert (outside.returncode, outside.stderr) == (0, "")


def test_another_named_tool_still_goes_through(project: Path, run: Runner) -> None:
    run("lock", "src/api/", "--reason", "busy", agent="holder")
    done = edit_hook(project, "Bash", {"command": "ls"}, "bob")
    assert (done.returncode, done.stderr) == (0, "")
