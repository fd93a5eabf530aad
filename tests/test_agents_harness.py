"""The harness that runs the real Claude Code and Codex offline (tests/agents).

Each test runs the pinned programs (scripts/install-agents) in a fresh git
repository with a private home, against the fake model API on 127.0.0.1, and
checks what the later hook tests rely on: a project hook's output reaches the
model, the model's tool call runs a real shell command in the project with the
session id in its environment, hooks get their JSON payload on stdin, resume
keeps the session id, and how each program compacts. No ai-protocols hook is
involved here. docs/agents-testing.md records the facts these tests pin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from agents.fake_api import FakeAPI, Request, Shell, Text, ToolCall, is_compaction
from agents.programs import (
    INSTALL,
    PINS,
    Agent,
    Claude,
    Codex,
    install_environment,
    record_hook,
    recorded,
)

pytestmark = pytest.mark.agents


@pytest.fixture(params=["claude", "codex"])
def agent(request: pytest.FixtureRequest) -> Agent:
    """Each of the two programs, in turn."""
    return request.getfixturevalue(request.param)


def _marker() -> str:
    return f"MARKER-{uuid.uuid4().hex}"


def _env_file(path: Path) -> dict[str, str]:
    """The variables in a file written by ``env -0``."""
    pairs = [entry.split("=", 1) for entry in path.read_text().split("\0") if "=" in entry]
    return dict(pairs)


def _session_start_context(request: Request, text: str) -> bool:
    """Whether ``text``, a SessionStart hook's stdout, reached the model in
    ``request`` the way each program puts it: Claude Code in a message
    ``SessionStart:<source> hook success: <text>``, Codex as a developer message."""
    body = request.body
    if request.api == "anthropic":
        return any(f"hook success: {text}" in json.dumps(message)
                   for message in body["messages"])
    return any(item.get("role") == "developer" and text in json.dumps(item.get("content"))
               for item in body["input"])


# -- scripts/install-agents -----------------------------------------------------------------


def _install_agents(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(INSTALL), *args], capture_output=True,
                          text=True, timeout=600, env={**install_environment(), **env})


def test_install_agents_with_the_cache_there_does_nothing_quickly(
        agent_programs: dict[str, Path], tmp_path: Path) -> None:
    """With everything cached it says nothing and never calls npm (an npm first on the
    PATH that would leave a mark and fail is never run)."""
    npm = tmp_path / "npm"
    npm.write_text(f"#!/bin/sh\ntouch {tmp_path / 'npm-ran'}\nexit 1\n")
    npm.chmod(0o755)
    done = _install_agents(PATH=f"{tmp_path}:{os.environ.get('PATH', '')}")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [f"{name}\t{path}"
                                        for name, path in agent_programs.items()]
    assert not (tmp_path / "npm-ran").exists()
    for name, pin in PINS.items():
        assert f"{pin['package']}@{pin['version']}" in str(agent_programs[name])


def test_install_agents_fails_loudly_without_the_registry(tmp_path: Path) -> None:
    cache = tmp_path / "agents-cache"
    done = _install_agents("--json", AI_PROTOCOLS_AGENTS_CACHE=str(cache),
                           npm_config_registry="http://127.0.0.1:9/",
                           npm_config_cache=str(tmp_path / "npm-cache"))
    first = "{package}@{version}".format(**next(iter(PINS.values())))
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"installing {first}" in done.stderr  # says what, before it tries
    assert f"cannot fetch {first} from http://127.0.0.1:9/" in done.stderr
    assert [p.name for p in cache.iterdir()] == [".lock"]  # nothing half-installed


# -- the fake API alone ---------------------------------------------------------------------


def _post(api: FakeAPI, path: str, body: dict) -> tuple[str, str]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"{api.url}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode()


def test_fake_api_listens_on_loopback_only(fake_api: FakeAPI) -> None:
    assert fake_api.url.startswith("http://127.0.0.1:")
    assert fake_api._server is not None
    assert fake_api._server.server_address[0] == "127.0.0.1"


def test_fake_api_scripts_replies_in_both_dialects_and_records_requests(
        fake_api: FakeAPI) -> None:
    fake_api.reply(Shell("echo hi"), ToolCall("Read", {"file_path": "x"}), Text("over"),
                   Shell("ls"))
    tools = [{"name": "Bash"}]
    kind, streamed = _post(fake_api, "/v1/messages?beta=true",
                           {"stream": True, "tools": tools,
                            "messages": [{"role": "user", "content": "go"}]})
    assert kind == "text/event-stream"
    events = [line[len("event: "):] for line in streamed.splitlines()
              if line.startswith("event: ")]
    assert events == ["message_start", "content_block_start", "content_block_delta",
                      "content_block_stop", "message_delta", "message_stop"]
    assert '"name": "Bash"' in streamed and '"stop_reason": "tool_use"' in streamed
    assert '\\"command\\": \\"echo hi\\"' in streamed  # the input, as input_json_delta

    _kind, plain = _post(fake_api, "/v1/messages", {"tools": tools, "messages": []})
    assert json.loads(plain)["content"][0] == {"type": "tool_use", "id": "toolu_fake000002",
                                               "name": "Read", "input": {"file_path": "x"}}

    _kind, side = _post(fake_api, "/v1/messages", {"messages": []})  # no tools: a side request
    assert "Fake summary" in json.loads(side)["content"][0]["text"]

    _kind, responses = _post(fake_api, "/v1/responses", {"input": "go"})
    assert "response.output_text.delta" in responses and '"over"' in responses
    _kind, call = _post(fake_api, "/v1/responses", {"input": "go"})
    assert '"name": "exec_command"' in call and '\\"cmd\\": \\"ls\\"' in call

    _kind, other = _post(fake_api, "/api/anything", {"x": 1})
    assert json.loads(other) == {}
    assert [(r.path, r.api, r.side) for r in fake_api.requests] == [
        ("/v1/messages", "anthropic", False), ("/v1/messages", "anthropic", False),
        ("/v1/messages", "anthropic", True), ("/v1/responses", "openai", False),
        ("/v1/responses", "openai", False), ("/api/anything", "", False)]
    assert fake_api.requests[0].query == "beta=true"
    assert fake_api.requests[-1].body == {"x": 1}
    assert fake_api.pending == 0


def test_fake_api_callable_replies_decide_from_the_request() -> None:
    def echo_back(request: Request) -> Text:
        return Text(f"you said {request.last_user_text()}")

    def broken(request: Request) -> Text:
        raise RuntimeError("scripted failure")

    with FakeAPI(echo_back, broken, lambda request: None) as api:
        tools = [{"name": "Bash"}]
        said = 'a "quoted" line\nand another'
        _kind, first = _post(api, "/v1/messages",
                             {"tools": tools, "messages": [{"role": "user", "content": said}]})
        assert json.loads(first)["content"][0]["text"] == f"you said {said}"
        assert api.requests[0].contains(said) and said not in api.requests[0].text
        _kind, second = _post(api, "/v1/messages", {"tools": tools, "messages": []})
        assert "scripted failure" in json.loads(second)["content"][0]["text"]
        assert len(api.errors) == 1 and "RuntimeError: scripted failure" in api.errors[0]
        _kind, third = _post(api, "/v1/messages", {"tools": tools, "messages": []})
        assert json.loads(third)["content"][0]["text"] == "Done."


# -- both programs --------------------------------------------------------------------------


def test_session_start_hook_output_reaches_the_model(agent: Agent, fake_api: FakeAPI) -> None:
    marker = _marker()
    agent.set_hooks({"SessionStart": [f"echo {marker}"]})
    fake_api.reply(Text("hello back"))
    run = agent.run("hello").check()
    requests = run.model_requests()
    assert requests, f"{agent.name} sent no model request\n{run}"
    first = requests[0]  # the hook ran before the first request
    assert "hello" in first.last_user_text()
    assert _session_start_context(first, marker), fake_api.describe()
    assert "hello back" in run.stdout


def test_model_tool_call_runs_a_shell_command_in_the_project(
        agent: Agent, fake_api: FakeAPI) -> None:
    fake_api.reply(Shell("echo hi > proof.txt && env -0 > shell-env && echo ran-it"),
                   Text("made it"))
    run = agent.run("make the proof", *agent.allow_shell).check()
    assert (agent.project / "proof.txt").read_text() == "hi\n", run
    env = _env_file(agent.project / "shell-env")
    assert run.session_id, run
    assert env[agent.session_variable] == run.session_id
    assert env["HOME"] == str(agent.home)  # the private home, not the developer's
    if isinstance(agent, Codex):
        assert env["CODEX_SESSION_ID"] == run.session_id
    else:
        assert env["AI_AGENT"].startswith("claude-code_") and env["AI_AGENT"].endswith("_agent")
    # The command's output went back to the model in the next request.
    requests = [r for r in run.model_requests() if not r.side]
    assert len(requests) == 2, fake_api.describe()
    assert any("ran-it" in result for result in requests[1].tool_results())
    assert "made it" in run.stdout


def test_hooks_get_their_payload_on_stdin(agent: Agent, fake_api: FakeAPI,
                                          tmp_path: Path) -> None:
    log = tmp_path / "hooks.jsonl"
    events = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop",
              "SessionEnd"]
    variables = ("CLAUDE_PROJECT_DIR", "CLAUDE_CODE_SESSION_ID", "CODEX_THREAD_ID")
    agent.set_hooks({event: [record_hook(log, *variables)] for event in events})
    fake_api.reply(Shell("echo payload"), Text("all done"))
    run = agent.run("send the payloads", *agent.allow_shell).check()
    seen = recorded(log)
    payloads = [entry["payload"] for entry in seen]
    assert [p["hook_event_name"] for p in payloads] == events, payloads
    for payload in payloads:
        assert payload["session_id"] == run.session_id
        assert payload["cwd"] == str(agent.project)
        assert payload["transcript_path"].startswith(str(agent.home))
    start, prompt, pre, post, stop, end = payloads
    assert start["source"] == "startup"
    assert prompt["prompt"] == "send the payloads"
    assert pre["tool_name"] == post["tool_name"] == "Bash"  # Codex's exec_command too
    assert pre["tool_input"]["command"] == "echo payload"
    assert stop["last_assistant_message"] == "all done"
    assert end["reason"] == "other"
    hook_env = seen[0]["env"]
    if isinstance(agent, Claude):
        assert hook_env["CLAUDE_PROJECT_DIR"] == str(agent.project)
        assert hook_env["CLAUDE_CODE_SESSION_ID"] == run.session_id
    else:
        assert hook_env == dict.fromkeys(variables)  # no session id in a Codex hook's env
        assert all(p["permission_mode"] == "bypassPermissions" for p in payloads[:-1])
        assert all("turn_id" in p for p in payloads[1:5])


def test_resume_keeps_the_session(agent: Agent, fake_api: FakeAPI, tmp_path: Path) -> None:
    log = tmp_path / "starts.jsonl"
    agent.set_hooks({"SessionStart": [record_hook(log)]})
    fake_api.reply(Text("first answer"))
    first = agent.run("first prompt").check()
    fake_api.reply(Text("second answer"))
    second = agent.run("second prompt", resume=first.session_id).check()
    assert first.session_id and second.session_id == first.session_id, second
    starts = [(e["payload"]["source"], e["payload"]["session_id"]) for e in recorded(log)]
    assert starts == [("startup", first.session_id), ("resume", first.session_id)]
    assert {r.session_id for r in first.model_requests() + second.model_requests()} == {
        first.session_id}
    request = second.model_requests()[-1]
    assert "first prompt" in request.text and "first answer" in request.text
    assert request.last_user_text().endswith("second prompt")
    assert "second answer" in second.stdout


# -- Claude Code ----------------------------------------------------------------------------


def test_claude_env_file_from_session_start_reaches_the_shell_tool(
        claude: Claude, fake_api: FakeAPI) -> None:
    """A SessionStart hook's ``export NAME=value`` lines in ``$CLAUDE_ENV_FILE`` are
    in the environment of the later Bash tool calls; each run gets a fresh file."""
    claude.set_hooks({"SessionStart": [
        'printf "export HARNESS_VALUE=%s\\n" "$(cat value)" >> "$CLAUDE_ENV_FILE"']})
    (claude.project / "value").write_text("first-value")
    fake_api.reply(Shell("printenv HARNESS_VALUE > seen"), Text("ok"))
    first = claude.run("show it", *claude.allow_shell).check()
    assert (claude.project / "seen").read_text() == "first-value\n"
    (claude.project / "value").write_text("second-value")
    fake_api.reply(Shell("printenv HARNESS_VALUE > seen"), Text("ok"))
    claude.run("again", *claude.allow_shell, resume=first.session_id).check()
    assert (claude.project / "seen").read_text() == "second-value\n"
    env_dir = claude.home / ".claude" / "session-env" / str(first.session_id)
    assert sorted(p.name for p in env_dir.iterdir()) == ["sessionstart-hook-0.sh"]


def _watch_compaction(agent: Agent, log: Path) -> None:
    """Record SessionStart, UserPromptSubmit, PreCompact and PostCompact into
    ``log``; a second SessionStart hook tells the model ``CONTEXT-FROM-<source>``."""
    record = record_hook(log)
    context = ("python3 -c 'import json, sys; "
               "print(\"CONTEXT-FROM-\" + json.load(sys.stdin)[\"source\"])'")
    agent.set_hooks({"SessionStart": [record, context], "UserPromptSubmit": [record],
                     "PreCompact": [record], "PostCompact": [record]})


def _events(log: Path) -> list[tuple[str, str | None]]:
    """(event, its source or trigger) for each payload in ``log``, in order."""
    return [(e["payload"]["hook_event_name"],
             e["payload"].get("source") or e["payload"].get("trigger")) for e in recorded(log)]


def test_claude_compacts_on_a_compact_prompt(claude: Claude, fake_api: FakeAPI,
                                             tmp_path: Path) -> None:
    log = tmp_path / "hooks.jsonl"
    _watch_compaction(claude, log)
    fake_api.reply(Text("first answer"))
    first = claude.run("first prompt").check()
    compact = claude.run("/compact", resume=first.session_id).check()
    compactions = [r for r in compact.model_requests() if is_compaction(r)]
    assert len(compactions) == 1 and compactions[0].side, fake_api.describe()
    fake_api.reply(Text("after"))
    after = claude.run("after the compaction", resume=first.session_id).check()
    sid = first.session_id
    events = _events(log)
    assert events == [("SessionStart", "startup"), ("UserPromptSubmit", None),
                      ("SessionStart", "resume"), ("PreCompact", "manual"),
                      ("SessionStart", "compact"), ("PostCompact", "manual"),
                      ("SessionStart", "resume"), ("UserPromptSubmit", None)]
    assert {e["payload"]["session_id"] for e in recorded(log)} == {sid}
    post = [e["payload"] for e in recorded(log)][5]
    assert "Fake summary" in post["compact_summary"]
    request = after.model_requests()[-1]
    assert "Fake summary" in request.text
    assert "CONTEXT-FROM-compact" in request.text
    assert "CONTEXT-FROM-startup" not in request.text  # gone with the compacted history


def test_claude_compacts_on_its_own_past_the_autocompact_window(
        claude: Claude, fake_api: FakeAPI, tmp_path: Path) -> None:
    """``--autocompact 100000`` with replies that report 180,000 input tokens used:
    in a later turn, after the model's tool call, Claude Code compacts before it
    sends the tool's result (seen: not in the first turn, nor at the end of a turn)."""
    log = tmp_path / "hooks.jsonl"
    record = record_hook(log)
    claude.set_hooks({"SessionStart": [record], "PreCompact": [record],
                      "PostCompact": [record]})
    fake_api.input_tokens = 180_000
    fake_api.reply(Text("first answer"))
    first = claude.run("first prompt", "--autocompact", "100000").check()
    fake_api.reply(Shell("echo still-here"), Text("after"))
    after = claude.run("second prompt", *claude.allow_shell, "--autocompact", "100000",
                       resume=first.session_id).check()
    kinds = ["compaction" if is_compaction(r) else "side" if r.side else "turn"
             for r in after.model_requests()]
    assert kinds == ["turn", "compaction", "turn"], fake_api.describe()
    events = _events(log)
    start = events.index(("SessionStart", "resume"))
    assert ("PreCompact", "auto") in events[start:]
    assert events[-2:] == [("SessionStart", "compact"), ("PostCompact", "auto")], events
    request = after.model_requests()[-1]
    assert "Fake summary" in request.text
    assert any("still-here" in result for result in request.tool_results())


# -- Codex ----------------------------------------------------------------------------------


def test_codex_compacts_on_its_own_under_a_low_token_limit(codex: Codex, fake_api: FakeAPI,
                                                          tmp_path: Path) -> None:
    """``codex exec`` has no ``/compact``; ``-c model_auto_compact_token_limit=N``
    below what the fake API reports as used makes the next turn compact first."""
    log = tmp_path / "hooks.jsonl"
    _watch_compaction(codex, log)
    fake_api.reply(Text("first answer"))
    first = codex.run("first prompt").check()
    fake_api.reply(Text("after"))
    after = codex.run("after the compaction", "-c", "model_auto_compact_token_limit=2000",
                      resume=first.session_id).check()
    compactions = [r for r in after.model_requests() if is_compaction(r)]
    assert len(compactions) == 1 and compactions[0].side, fake_api.describe()
    events = _events(log)
    assert events == [("SessionStart", "startup"), ("UserPromptSubmit", None),
                      ("PreCompact", "auto"), ("PostCompact", "auto"),
                      ("SessionStart", "resume"), ("SessionStart", "compact"),
                      ("UserPromptSubmit", None)]
    assert {e["payload"]["session_id"] for e in recorded(log)} == {first.session_id}
    request = after.model_requests()[-1]
    assert not request.side and "after the compaction" in request.text
    assert "CONTEXT-FROM-compact" in request.text
    assert "CONTEXT-FROM-startup" not in request.text  # gone with the compacted history


def test_codex_exec_sends_slash_compact_to_the_model_as_text(codex: Codex,
                                                            fake_api: FakeAPI,
                                                            tmp_path: Path) -> None:
    log = tmp_path / "hooks.jsonl"
    codex.set_hooks({"PreCompact": [record_hook(log)]})
    fake_api.reply(Text("first answer"))
    first = codex.run("first prompt").check()
    run = codex.run("/compact", resume=first.session_id).check()
    assert [r.last_user_text() for r in run.model_requests()] == ["/compact"]
    assert not any(is_compaction(r) for r in run.model_requests())
    assert recorded(log) == []


def test_codex_shell_tool_keeps_the_path_without_a_login_shell(codex: Codex, fake_api: FakeAPI,
                                                               tmp_path: Path) -> None:
    """Codex runs the model's commands with ``bash -lc`` (a login shell: on Debian
    /etc/profile sets PATH again, and a folder the caller put on PATH is gone);
    ``-c allow_login_shell=false`` runs ``bash -c`` and keeps the caller's PATH."""
    tools = tmp_path / "tools-bin"
    tools.mkdir()
    program = tools / "harness-probe"
    program.write_text("#!/bin/sh\necho probe-ran > probe.txt\n")
    program.chmod(0o755)
    fake_api.reply(Shell("harness-probe"), Text("ok"))
    env = {"PATH": f"{tools}:{codex.environment()['PATH']}"}
    run = codex.run("probe", "-c", "allow_login_shell=false", env=env).check()
    assert (codex.project / "probe.txt").read_text() == "probe-ran\n", run
    assert "/bin/bash -c harness-probe" in run.stderr, run  # what codex exec prints it ran
