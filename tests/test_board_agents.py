"""The task board's PreToolUse hook, judged by the real Claude Code and Codex, run
offline against the fake model API (tests/agents/, docs/agents-testing.md): the
model asks to edit a file another agent has locked, the edit does not happen, and
the refusal reaches the model; an edit elsewhere goes through."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from agents.fake_api import FakeAPI, FreeformCall, Shell, Text, ToolCall
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



def test_as_a_new_user_would(claude: Claude, fake_api: FakeAPI, tmp_path: object) -> None:
    """Agents started by hooks claim tasks from the board; a claim of a taken task is
    refused naming the holder; an edit into another agent's lock is refused by the
    hook; an agent is killed, and its claim is taken over with the evidence."""
    import json
    import signal
    import threading
    import time

    def cli(*args: str, agent: str = "planner.1") -> str:
        done = subprocess.run([str(CLI), *args], cwd=claude.project, capture_output=True,
                              text=True, env=clean_env(AI_AGENT_ID=agent))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    for args in (("init",), ("hooks", "install", "claude")):
        cli(*args)
    claude.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    (claude.project / "src" / "api").mkdir(parents=True)
    first, second, third = (cli("task", "add", title, "--working-set", "src/")
                            for title in ("Reshape the API", "Fix the parser", "Write docs"))
    # Agent A claims the first task and locks src/api/, through its shell tool.
    fake_api.reply(Shell(f"ai-protocols task claim {first} && "
                         "ai-protocols lock src/api/ --reason 'reshaping the API 4711'"),
                   Text("ok"))
    a = claude.run("take the API task", "--allowedTools", "Bash").check()
    tasks = {t["id"]: t for t in json.loads(cli("task", "list", "--json"))}
    holder = tasks[first]["owner"]
    assert holder and a.session_id and a.session_id[:8] in holder
    # Agent B claims the second; its claim of the first is refused naming A; its edit
    # into A's lock is refused by the hook.
    locked = claude.project / "src" / "api" / "v1.py"
    fake_api.reply(Shell(f"ai-protocols task claim {second}"),
                   Shell(f"ai-protocols task claim {first}"),
                   ToolCall("Write", {"file_path": str(locked), "content": "x\n"}),
                   Text("ok"))
    b = claude.run("take a task", "--allowedTools", "Bash,Write").check()
    results = [r for req in b.model_requests() for r in req.tool_results()]
    assert any(f"Claimed task {second}" in r for r in results), results
    assert any(f"it is claimed by {holder}" in r for r in results), results
    assert any("which " + holder + " has locked (reshaping the API 4711)" in r
               for r in results), results
    assert not locked.exists()
    # Agent C claims the third, then is killed while it waits for the model.
    waiting = threading.Event()
    killed = threading.Event()

    def hang(_request: object) -> Text:
        waiting.set()
        killed.wait(120)
        return Text("never read")

    fake_api.reply(Shell(f"ai-protocols task claim {third}"), hang)
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(
        claude.run("take the docs task", "--allowedTools", "Bash")))
    runner.start()
    assert waiting.wait(120), "agent C never asked the model after its claim"
    owner = json.loads(cli("task", "show", third, "--json"))["owner"]
    session = claude.project / ".ai" / "session-context.d" / f"{owner}.org"
    pid = int(re.search(r":OWNER:\s+pid (\d+)", session.read_text()).group(1))
    os.kill(pid, signal.SIGKILL)
    killed.set()
    runner.join(120)
    deadline = time.monotonic() + 60
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)  # (the zombie is reaped by the runner thread's subprocess.run)
    out = cli("task", "claim", third, agent="rescuer.1")
    assert f"it was held by {owner}, who is crashed:" in out and "is gone" in out
    assert f"taking it over: it was held by {owner}, who is crashed:" in (
        claude.project / ".ai" / "tasks.org").read_text()


def test_claude_code_cannot_edit_a_notebook_in_another_agents_lock(claude: Claude,
                                                                   fake_api: FakeAPI) -> None:
    """NotebookEdit reaches the hook (the installed matcher names it) and is refused."""
    _setup(claude)
    notebook = claude.project / "src" / "api" / "nb.ipynb"
    original = ('{"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": '
                '["print(0)\\n"], "outputs": [], "execution_count": null}], "metadata": {}, '
                '"nbformat": 4, "nbformat_minor": 5}\n')
    notebook.write_text(original)
    fake_api.reply(ToolCall("Read", {"file_path": str(notebook)}),
                   ToolCall("NotebookEdit", {"notebook_path": str(notebook), "cell_id": "c1",
                                             "new_source": "print(1)\n",
                                             "edit_mode": "replace"}),
                   Text("ok"))
    run = claude.run("edit the notebook", "--allowedTools", "Read,NotebookEdit").check()
    assert notebook.read_text() == original, "the edit into the lock happened"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping the API 4711)" in r for r in results), \
        results


def test_codex_cannot_slip_an_indented_header_past_a_lock(codex: Codex,
                                                          fake_api: FakeAPI) -> None:
    """Codex trims the white space around a patch's file headers: so does the hook."""
    _setup(codex)
    locked = codex.project / "src" / "api" / "v1.py"
    locked.write_text("a\n")
    patch = ("*** Begin Patch\n*** Add File: notes.txt\n+hello\n *** Update File: "
             "src/api/v1.py\n@@\n-a\n+b\n*** End Patch\n")
    fake_api.reply(FreeformCall("apply_patch", patch), Text("ok"))
    run = codex.run("patch the files").check()
    assert locked.read_text() == "a\n", "the edit into the lock happened"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping the API 4711)" in r for r in results), \
        results


#: A SessionStart hook standing for the agent's Bash tool before a /clear: on the resumed
#: conversation (source ``resume``), it locks src/ as that conversation's agent id, from
#: within the Claude Code process (the hook's process becomes the command, a child of
#: Claude Code's shell, as a Bash tool call's is).
_LOCK_ON_RESUME = (
    "import json, os, subprocess, sys\n"
    "from ai_protocols.paths import derived_agent_id\n"
    "data = json.load(sys.stdin)\n"
    "if data.get('source') == 'resume':\n"
    "    me = derived_agent_id('claude', data['session_id'], sys.argv[2])\n"
    "    os.chdir(sys.argv[2])\n"  # (in its place: the command's agent process is Claude's)
    "    os.execve(sys.argv[1], [sys.argv[1], 'lock', 'src/', '--reason', 'before the clear'],\n"
    "              {**os.environ, 'AI_AGENT_ID': me})\n"
)


def test_claude_code_s_clear_carries_the_lock_to_the_new_conversation(
        claude: Claude, fake_api: FakeAPI) -> None:
    """The real Claude Code: ``claude -p /clear --resume ID`` resumes the conversation
    (SessionStart resume, its old id), clears it (SessionEnd clear) and starts a new one
    (SessionStart clear, a new session id) in one process; the lock the old conversation
    took in that process is the new conversation's after it (docs/tasks.md, "An agent
    across /clear")."""
    import shlex
    import sys

    from ai_protocols.paths import derived_agent_id

    subprocess.run([str(CLI), "init"], cwd=claude.project, check=True, capture_output=True,
                   env=clean_env())
    claude.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    (claude.project / "src").mkdir()
    ours = f"{shlex.quote(str(CLI))} hook {{}} --runtime claude"
    claude.set_hooks({
        "SessionStart": [ours.format("SessionStart"),
                         shlex.join([sys.executable, "-c", _LOCK_ON_RESUME, str(CLI),
                                     str(claude.project)])],
        "SessionEnd": [ours.format("SessionEnd")]})
    fake_api.reply(Text("hi"))
    first = claude.run("hello").check()
    cleared = claude.run("/clear", resume=first.session_id).check()
    assert cleared.session_id and cleared.session_id != first.session_id
    old = derived_agent_id("claude", first.session_id or "", claude.project)
    new = derived_agent_id("claude", cleared.session_id, claude.project)
    listed = subprocess.run([str(CLI), "locks", "--json"], cwd=claude.project, text=True,
                            capture_output=True, env=clean_env(AI_AGENT_ID="x.1"))
    import json

    locks = json.loads(listed.stdout)
    assert [lock["owner"] for lock in locks] == [new], (old, new, locks)
    log = next((claude.project / ".ai" / "session-context.d").glob(f"*{cleared.session_id}*"))
    assert f"the lock on src/, from {old}" in log.read_text(encoding="utf-8")
