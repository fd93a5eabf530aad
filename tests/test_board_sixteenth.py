"""The task board after a fresh reviewer's use of it (issue 15, sixteenth round).

Every command runs as the installed ``ai-protocols`` in a real git repository; a live
agent is this test's own process (or one it starts and keeps alive); a person's edits are
made by a real Emacs where the reviewer made them in Emacs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from boardkit import BOARD, add, board
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


def owner_pid(text: str, key: str) -> int:
    """The process id of the first ``:KEY: pid N on ...`` line of ``text``."""
    found = re.search(rf"^:{key}:\s+pid (\d+) ", text, re.M)
    assert found, text
    return int(found.group(1))


# -- 1. a claim made through an executable shell script records the agent -----------------


SHEBANGS = ["#!/bin/bash", "#!/usr/bin/env bash", "#!/bin/sh -e", "#!/usr/bin/env sh"]


@pytest.mark.parametrize("shebang", SHEBANGS)
def test_a_claim_through_a_shell_script_records_the_agent(project: Path, run: Runner,
                                                          shebang: str) -> None:
    task = add(run, "T")
    script = project / "claim.sh"
    script.write_text(f'{shebang}\n{CLI} task claim "$1"\n')
    script.chmod(0o755)
    done = subprocess.run([str(script), task], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="p.1"), timeout=60)
    assert done.returncode == 0, done
    assert owner_pid(board(project), "OWNER_PROCESS") == os.getpid()  # not the script's
    taken = run("task", "claim", task, agent="q.1", check=False)
    assert taken.returncode == 21, taken
    assert "claimed by p.1 (live" in taken.stderr


def test_a_python_helper_script_is_no_go_between(project: Path, run: Runner) -> None:
    """The rule of docs/user-guide.md, "The owner": a helper in Python is the agent, or
    stands for it; only a shell script (or another go-between) stands between."""
    task = add(run, "T")
    script = project / "claim.py"
    script.write_text(f"#!{sys.executable}\nimport subprocess, sys\n"
                      f"sys.exit(subprocess.call([{str(CLI)!r}, 'task', 'claim', sys.argv[1]]))\n")
    script.chmod(0o755)
    done = subprocess.run([str(script), task], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="p.1"), timeout=60)
    assert done.returncode == 0, done
    assert owner_pid(board(project), "OWNER_PROCESS") != os.getpid()


def test_start_through_a_shell_script_records_the_agent(project: Path, run: Runner) -> None:
    script = project / "begin.sh"
    script.write_text(f"#!/bin/sh -e\n{CLI} start\n")
    script.chmod(0o755)
    done = subprocess.run([str(script)], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="s.1"), timeout=60)
    assert done.returncode == 0, done
    path = run("path", agent="s.1").stdout.strip()
    assert owner_pid(Path(path).read_text(), "OWNER") == os.getpid()
    assert '"live"' in run("status", "--json", agent="s.1").stdout


def test_many_agents_claiming_through_a_script_make_one_owner(project: Path,
                                                              run: Runner) -> None:
    """Six live agents claim one task at once, each through the team's shell script:
    one wins, the five others are refused (exit 21), none takes it over."""
    task = add(run, "T")
    script = project / "claim.sh"
    script.write_text(f'#!/bin/bash\n{CLI} task claim "$1"\n')
    script.chmod(0o755)
    agent = ("import subprocess, sys\n"
             "done = subprocess.run([sys.argv[1], sys.argv[2]], capture_output=True)\n"
             "print(done.returncode, flush=True)\n"
             "sys.stdin.read()\n")  # (alive until the test closes its stdin)
    agents = [subprocess.Popen([sys.executable, "-c", agent, str(script), task], cwd=project,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env=clean_env(AI_AGENT_ID=f"a{n}.1")) for n in range(6)]
    try:
        codes = sorted(int(a.stdout.readline()) for a in agents)  # type: ignore[union-attr]
    finally:
        for a in agents:
            a.communicate("", timeout=60)
    assert codes == [0, 21, 21, 21, 21, 21], codes
    assert board(project).count(":OWNER_PROCESS:") == 1
    assert "taken over" not in board(project).lower()


# -- 2. resume, SessionStart and wrap-up on a board that cannot be read ------------------


def _held(run: Runner) -> str:
    task = add(run, "my task", "--working-set", "src/", agent="wu.1")
    run("start", "--task", task, agent="wu.1")
    run("task", "claim", task, agent="wu.1")
    run("lock", "shared/", "--reason", "r", agent="wu.1")
    return task


def test_resume_names_the_claims_of_a_board_saved_as_latin_1(project: Path,
                                                             run: Runner) -> None:
    task = _held(run)
    with (project / BOARD).open("ab") as handle:
        handle.write(b"* TODO caf\xe9 (saved as latin-1)\n")
    text = run("resume", agent="wu.1").stdout
    assert task in text and "shared/" in text
    assert "cannot be read (it is not UTF-8" in text
    assert "kept copy" in text and "Re-save it as UTF-8" in text
    data = json.loads(run("resume", "--json", agent="wu.1").stdout)
    assert [t["id"] for t in data["tasks"]] == [task]
    assert data["locks"] == ["shared/"]
    assert "not UTF-8" in data["board_unreadable"]
    hook = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                          input=json.dumps({"session_id": "s", "cwd": str(project),
                                            "hook_event_name": "SessionStart",
                                            "source": "compact"}),
                          capture_output=True, text=True, cwd=project,
                          env=clean_env(AI_AGENT_ID="wu.1"), timeout=60)
    assert hook.returncode == 0, hook
    assert task in hook.stdout and "not UTF-8" in hook.stdout
    wrapped = run("wrap-up", "end", agent="wu.1")
    assert "cannot be read" in wrapped.stderr
    assert f"Task {task} (DOING, still claimed by you)" in wrapped.stderr
    assert "Lock on shared/" in wrapped.stderr


def test_resume_names_the_claims_of_a_board_with_a_misplaced_drawer(project: Path,
                                                                    run: Runner) -> None:
    task = _held(run)
    text = board(project)
    headline = next(line for line in text.splitlines() if line.endswith("my task"))
    (project / BOARD).write_text(text.replace(headline + "\n",
                                              headline + "\na note Ann typed\n"))
    refused = run("task", "list", agent="wu.1", check=False)
    assert refused.returncode == 6, refused
    said = run("resume", agent="wu.1").stdout
    assert task in said and "shared/" in said
    assert "'a note Ann typed'" in said and "every change of the board is refused" in said
    wrapped = run("wrap-up", "end", agent="wu.1")
    assert f"Task {task} (DOING" in wrapped.stderr and "Lock on shared/" in wrapped.stderr
    assert "a note Ann typed" in wrapped.stderr


def test_resume_says_the_board_cannot_be_read_without_a_kept_copy(project: Path,
                                                                  run: Runner) -> None:
    _held(run)
    for kept in (project / ".ai" / ".locks" / "live").glob("tasks.org*"):
        kept.unlink()
    with (project / BOARD).open("ab") as handle:
        handle.write(b"\x00")
    data = json.loads(run("resume", "--json", agent="wu.1").stdout)
    assert data["tasks"] == []
    assert "no kept copy" in data["board_unreadable"]
