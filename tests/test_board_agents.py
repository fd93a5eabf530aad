"""The task board's PreToolUse hook, judged by the real Claude Code and Codex, run
offline against the fake model API (tests/agents/, docs/agents-testing.md): the
model asks to edit a file another agent has locked, the edit does not happen, and
the refusal reaches the model; an edit elsewhere goes through."""

from __future__ import annotations

import os
import subprocess

import pytest

from agents.fake_api import FakeAPI, FreeformCall, Text, ToolCall
from agents.programs import Claude, Codex
from conftest import BIN, CLI, clean_env

pytestmark = pytest.mark.agents


def _setup(agent: Claude | Codex) -> None:
    for args in (("init",), ("hooks", "install", agent.name)):
        done = subprocess.run([str(CLI), *args], cwd=agent.project, capture_output=True,
                              text=True, env=clean_env(HOME=str(agent.home)))
        assert done.returncode == 0, done.stderr
    agent.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    (agent.project / "src" / "api").mkdir(parents=True)
    # Another agent (this test process is its owner: live) locks src/api/.
    done = subprocess.run([str(CLI), "lock", "src/api/", "--reason", "reshaping the API 4711"],
                          cwd=agent.project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="other.1"))
    assert done.returncode == 0, done.stderr


def test_claude_code_cannot_write_into_another_agents_lock(claude: Claude,
                                                           fake_api: FakeAPI) -> None:
    _setup(claude)
    locked = claude.project / "src" / "api" / "v1.py"
    free = claude.project / "src" / "free.py"
    fake_api.reply(ToolCall("Write", {"file_path": str(locked), "content": "print(1)\n"}),
                   ToolCall("Write", {"file_path": str(free), "content": "print(2)\n"}),
                   Text("ok"))
    run = claude.run("write the files", "--allowedTools", "Write").check()
    assert not locked.exists(), "the edit into the lock happened"
    assert free.read_text() == "print(2)\n", "an edit outside any lock was stopped"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping the API 4711)" in r for r in results), \
        results


def test_codex_cannot_patch_into_another_agents_lock(codex: Codex, fake_api: FakeAPI) -> None:
    _setup(codex)
    locked = codex.project / "src" / "api" / "v1.py"
    free = codex.project / "src" / "free.py"
    patch = ("*** Begin Patch\n*** Add File: {}\n+print(1)\n*** End Patch\n")
    fake_api.reply(FreeformCall("apply_patch", patch.format("src/api/v1.py")),
                   FreeformCall("apply_patch", patch.format("src/free.py")),
                   Text("ok"))
    run = codex.run("write the files").check()
    assert not locked.exists(), "the edit into the lock happened"
    assert free.exists(), "an edit outside any lock was stopped: " + str(
        [r for req in run.model_requests() for r in req.tool_results()])
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping the API 4711)" in r for r in results), \
        results

