"""The hooks, judged by the real Claude Code and Codex, run offline against the
fake model API (tests/agents/, docs/agents-testing.md).

Nobody sets ``AI_AGENT_ID`` here: every session file is found through the id
derived from the agent's own session, by the hooks (from the payload) and by
the agent's shell tool (from its environment) alike.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

from ai_protocols import read_session
from ai_protocols.paths import derived_agent_id, session_context_path
from ai_protocols.session.model import Session

from agents.fake_api import FakeAPI, Request, Shell, Text
from agents.programs import Agent, Codex, Run
from conftest import BIN, CLI

pytestmark = pytest.mark.agents


@pytest.fixture(params=["claude", "codex"])
def agent(request: pytest.FixtureRequest) -> Agent:
    """Each agent program in a project where ``ai-protocols init`` ran, with our
    ``ai-protocols`` first on its PATH (Codex's shell tool keeps it only without a
    login shell: docs/agents-testing.md)."""
    program: Agent = request.getfixturevalue(request.param)
    subprocess.run([str(CLI), "init"], cwd=program.project, check=True, capture_output=True)
    program.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return program


def shell_args(agent: Agent) -> tuple[str, ...]:
    """What lets the model's shell command run, with the PATH kept."""
    return (*agent.allow_shell, *(("-c", "allow_login_shell=false")
                                  if isinstance(agent, Codex) else ()))


def set_our_hooks(agent: Agent) -> None:
    """As a new user does: ``ai-protocols hooks install claude`` (or ``codex``) in the
    project, which ``ai-protocols init`` set up."""
    done = subprocess.run([str(CLI), "hooks", "install", agent.name], cwd=agent.project,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (agent.project / agent.hooks_file).exists()


def session_file(agent: Agent, run: Run) -> Path:
    assert run.session_id, run
    agent_id = derived_agent_id(agent.name, run.session_id, agent.project)
    assert agent_id is not None
    return session_context_path(agent.project, agent_id)


def read(path: Path) -> Session:
    return read_session(path, path.read_text(encoding="utf-8"))


def test_a_session_is_recorded_and_its_log_lands_in_its_file(agent: Agent,
                                                              fake_api: FakeAPI) -> None:
    """A first run makes the session file, with the agent's session id; the context
    reaches the model; the model's ``ai-protocols log`` through the agent's shell
    tool lands in that same file, with no AI_AGENT_ID set by anyone; the end of the
    session is recorded."""
    set_our_hooks(agent)
    fake_api.reply(Shell("ai-protocols log --progress 'Reproduced the bug 4711'"), Text("ok"))
    run = agent.run("fix the bug", *shell_args(agent)).check()
    path = session_file(agent, run)
    session = read(path)
    assert session.agent_session == run.session_id
    assert session.agent_source == "startup"
    assert session.transcript and session.transcript.endswith(".jsonl")
    assert [e.text for e in session.progress] == ["Reproduced the bug 4711"]
    assert run.saw(path.stem), "the resume context did not reach the model"
    assert session.status == "ended" and session.exit == "session end (other)"
    assert session.exit_by == f"{agent.name} SessionEnd hook"
    assert sorted(p.name for p in (agent.project / ".ai/session-context.d").glob("*.org")) \
        == [path.name]
    assert not (agent.project / ".ai/session-context.org").exists()


def test_resume_continues_the_same_file_and_puts_the_context_back(agent: Agent,
                                                                   fake_api: FakeAPI) -> None:
    set_our_hooks(agent)
    fake_api.reply(Shell("ai-protocols log --next 'Write the regression test 0815'"),
                   Text("ok"))
    first = agent.run("start", *shell_args(agent)).check()
    again = agent.run("go on with it", *shell_args(agent), resume=first.session_id).check()
    assert again.session_id == first.session_id
    path = session_file(agent, first)
    session = read(path)
    assert session.status == "ended"  # the second run ended too
    assert session.agent_source == "resume"
    assert any("resumed" in e.text for e in session.log)
    assert again.saw("Write the regression test 0815"), "the context did not come back"
    assert len(list((agent.project / ".ai/session-context.d").glob("*.org"))) == 1


def test_a_continue_prompt_gets_the_context(agent: Agent, fake_api: FakeAPI) -> None:
    """UserPromptSubmit adds the context for "continue", and nothing for another prompt."""
    set_our_hooks(agent)
    fake_api.reply(Shell("ai-protocols log --blocker 'Waiting for the dump 5150'"), Text("ok"))
    first = agent.run("start", *shell_args(agent)).check()
    other = agent.run("rename the variable", resume=first.session_id).check()
    model = [r for r in other.requests if not r.side]
    # The SessionStart context of the resumed run holds it once; the prompt adds nothing.
    assert sum(r.contains("Waiting for the dump 5150") for r in model[:1]) == 1
    cont = agent.run("Please continue.", resume=first.session_id).check()
    last = [r for r in cont.requests if not r.side][-1]
    assert last.text.count("Waiting for the dump 5150") >= 1
    assert "Please continue." in last.text


def test_compaction_is_recorded_and_the_context_comes_back(agent: Agent,
                                                             fake_api: FakeAPI) -> None:
    set_our_hooks(agent)
    fake_api.reply(Shell("ai-protocols log --decision 'Sweep in reverse 2718' "
                         "--rationale 'Forward deletion skips items'"), Text("ok"))
    first = agent.run("start", *shell_args(agent)).check()
    if isinstance(agent, Codex):
        compact = agent.run("go on", "-c", "model_auto_compact_token_limit=2000",
                            resume=first.session_id).check()
    else:
        compact = agent.run("/compact", resume=first.session_id).check()
    session = read(session_file(agent, first))
    assert session.compactions == 1 and session.compacted is not None
    assert any("compaction" in e.text for e in session.log)
    compaction = [r for r in compact.requests if r.side and "Sweep in reverse 2718" in r.text]
    assert compaction, "the PreCompact context did not reach the compaction request"
    after = [r for r in compact.requests if not r.side]
    if after:  # Codex goes on with the turn; Claude Code's /compact ends it
        assert after[-1].contains("Sweep in reverse 2718")


def test_two_agents_at_once_in_one_folder_write_two_files(agent: Agent,
                                                          fake_api: FakeAPI) -> None:
    set_our_hooks(agent)

    def answer(request: Request) -> Shell | Text:
        """Each run's own script, whichever of the two asks first."""
        if request.tool_results():
            return Text("ok")
        n = 1 if request.contains("run number 1") else 2
        return Shell(f"ai-protocols log --discovery 'Found by run {n}'")

    fake_api.reply(*[answer] * 4)
    runs: list[Run] = []

    def go(n: int) -> None:
        runs.append(agent.run(f"run number {n}", *shell_args(agent)))

    threads = [threading.Thread(target=go, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in runs:
        run.check()
    paths = {session_file(agent, run) for run in runs}
    assert len(paths) == 2
    found = sorted(e.text for path in paths for e in read(path).discoveries)
    assert found == ["Found by run 1", "Found by run 2"]
    for path in paths:
        assert len(read(path).discoveries) == 1


def test_an_uninitialised_project_is_left_alone(agent: Agent, fake_api: FakeAPI) -> None:
    set_our_hooks(agent)
    for path in sorted((agent.project / ".ai").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (agent.project / ".ai").rmdir()
    fake_api.reply(Text("hello"))
    run = agent.run("hi").check()
    assert not (agent.project / ".ai").exists()
    assert any(r.contains("hi") for r in run.requests if not r.side)


def test_a_broken_session_folder_never_stops_the_agent(agent: Agent,
                                                       fake_api: FakeAPI) -> None:
    """The session-context folder is a file: every hook fails, says so on stderr, exits
    non-blocking; the agent does its work all the same."""
    set_our_hooks(agent)
    folder = agent.project / ".ai/session-context.d"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("not a folder\n")
    fake_api.reply(Shell("echo worked > proof.txt"), Text("done"))
    agent.run("do it", *shell_args(agent)).check()
    assert (agent.project / "proof.txt").read_text() == "worked\n"
    assert folder.read_text() == "not a folder\n"


def test_an_unreadable_session_file_never_stops_the_agent(agent: Agent,
                                                          fake_api: FakeAPI) -> None:
    """The session's own file holds garbage (a resumed session whose file a person
    broke): the hooks fail without blocking, the file is left as it was."""
    set_our_hooks(agent)
    first = agent.run("start").check()
    path = session_file(agent, first)
    path.write_bytes(b"\xff\xfe garbage, not Org\n")
    fake_api.reply(Shell("echo worked > proof.txt"), Text("done"))
    agent.run("again", *shell_args(agent), resume=first.session_id).check()
    assert (agent.project / "proof.txt").read_text() == "worked\n"
    assert path.read_bytes() == b"\xff\xfe garbage, not Org\n"


def test_claude_env_file_gets_the_agent_id(claude: Agent, fake_api: FakeAPI) -> None:
    """SessionStart writes AI_AGENT_ID into CLAUDE_ENV_FILE: the Bash tool sees the
    same id the session file is named by."""
    subprocess.run([str(CLI), "init"], cwd=claude.project, check=True, capture_output=True)
    claude.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    set_our_hooks(claude)
    fake_api.reply(Shell("echo \"$AI_AGENT_ID\" > id.txt"), Text("ok"))
    run = claude.run("go", *claude.allow_shell).check()
    agent_id = (claude.project / "id.txt").read_text().strip()
    assert agent_id == derived_agent_id("claude", run.session_id or "", claude.project)
    assert session_file(claude, run).name == f"{agent_id}.org"


def test_hook_payload_problems_exit_non_blocking(tmp_path: Path, repo: Path) -> None:
    """Bad input ends quickly with one line on stderr and exit 1 (2 would block)."""
    subprocess.run([str(CLI), "init"], cwd=repo, check=True, capture_output=True)
    cases = [(["hook", "SessionStart", "--runtime", "claude"], b"not json"),
             (["hook", "SessionStart", "--runtime", "claude"], b"{}"),
             (["hook", "SessionStart", "--runtime", "claude"], b"[1, 2]"),
             (["hook", "NoSuchEvent", "--runtime", "claude"], b'{"session_id": "x"}'),
             (["hook", "SessionStart", "--runtime", "gemini"], b'{"session_id": "x"}'),
             (["hook", "SessionStart"], b'{"session_id": "x"}'),
             (["hook"], b"")]
    for args, payload in cases:
        done = subprocess.run([str(CLI), *args], cwd=repo, input=payload, capture_output=True,
                              env={"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8"})
        assert done.returncode == 1, (args, payload, done)
        assert done.stdout == b"" and done.stderr.count(b"\n") == 1, (args, done)
        assert re.match(rb"ai-protocols hook", done.stderr), done.stderr
    assert not (repo / ".ai/session-context.d").exists() or \
        not list((repo / ".ai/session-context.d").glob("*.org"))
    # A prompt that does not ask to continue costs nothing and says nothing.
    done = subprocess.run([str(CLI), "hook", "UserPromptSubmit", "--runtime", "codex"],
                          cwd=repo, input=json.dumps({"session_id": "s", "prompt": "hello",
                                                      "cwd": str(repo)}).encode(),
                          capture_output=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
