"""``ai-protocols hook EVENT`` with payloads written here, run as the installed
console script: every event's effect on the session file, and every way the
input can be wrong. (tests/test_agent_hooks.py has the real agents run them.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gitkit import commit_all
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols import read_session
from ai_protocols.integrations.hooks import (
    CONTINUE_PHRASES,
    EVENTS,
    asks_to_continue,
    might_ask_to_continue,
)
from ai_protocols.paths import derived_agent_id, session_context_path
from ai_protocols.session.model import Session

from conftest import CLI, REPO_ROOT, clean_env

SESSION = "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f"


def hook(project: Path, event: str, payload: object, runtime: str = "claude",
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return subprocess.run([str(CLI), "hook", event, "--runtime", runtime], cwd=project,
                          input=data if isinstance(data, str) else data.decode(),
                          capture_output=True, text=True, env=clean_env(**(env or {})))


def payload(project: Path, event: str, **extra: object) -> dict[str, object]:
    return {"session_id": SESSION, "transcript_path": "/tmp/t.jsonl", "cwd": str(project),
            "hook_event_name": event, **extra}


def session_path(project: Path, runtime: str = "claude", session: str = SESSION) -> Path:
    agent_id = derived_agent_id(runtime, session, project)
    assert agent_id is not None
    return session_context_path(project, agent_id)


def read(path: Path) -> Session:
    return read_session(path, path.read_text(encoding="utf-8"))


def test_session_start_records_the_agent_session(project: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "env.sh"
    done = hook(project, "SessionStart", payload(project, "SessionStart", source="startup"),
                env={"CLAUDE_ENV_FILE": str(env_file)})
    assert done.returncode == 0, done.stderr
    path = session_path(project)
    session = read(path)
    assert (session.agent_session, session.agent_source, session.transcript) == \
        (SESSION, "startup", "/tmp/t.jsonl")
    assert session.agent_id == path.stem
    assert path.stem in done.stdout  # the context names the session's agent id
    assert env_file.read_text() == f"export AI_AGENT_ID={path.stem}\n"
    assert session.git_branch is not None  # a fresh repository: its unborn branch


def test_the_agents_shell_finds_the_file_the_hook_made(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    logged = subprocess.run([str(CLI), "log", "--progress", "x"], cwd=project, text=True,
                            capture_output=True,
                            env=clean_env(CLAUDE_CODE_SESSION_ID=SESSION))
    assert logged.returncode == 0, logged.stderr
    assert [e.text for e in read(session_path(project)).progress] == ["x"]


def test_resume_with_nothing_new_prints_no_second_copy(project: Path) -> None:
    first = hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    resumed = hook(project, "SessionStart", payload(project, "SessionStart", source="resume"))
    assert first.stdout and resumed.returncode == 0
    again = hook(project, "SessionStart", payload(project, "SessionStart", source="resume"))
    assert again.stdout == ""  # the very text the conversation already holds
    compact = hook(project, "SessionStart", payload(project, "SessionStart", source="compact"))
    assert compact.stdout  # after a compaction it is gone: always put back


def test_pre_compact_counts_and_prints_the_context(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    subprocess.run([str(CLI), "log", "--decision", "d-42", "--rationale", "r"], cwd=project,
                   check=True, capture_output=True,
                   env=clean_env(CLAUDE_CODE_SESSION_ID=SESSION))
    for count in (1, 2):
        done = hook(project, "PreCompact", payload(project, "PreCompact", trigger="auto"))
        assert done.returncode == 0 and "d-42" in done.stdout
        session = read(session_path(project))
        assert session.compactions == count and session.compacted is not None


def test_stop_notes_activity_and_session_end_records_the_end(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    path = session_path(project)
    text = path.read_text()
    stamp = re.sub(r":UPDATED:.*", ":UPDATED: [2020-01-01 Wed 10:00]", text)
    path.write_text(stamp)
    assert hook(project, "Stop", payload(project, "Stop")).returncode == 0
    assert read(path).updated.year > 2020
    assert path.read_text().count("\n") == stamp.count("\n")  # nothing but UPDATED
    done = hook(project, "SessionEnd", payload(project, "SessionEnd", reason="logout"))
    assert done.returncode == 0
    session = read(path)
    assert (session.status, session.exit, session.exit_by) == \
        ("ended", "session end (logout)", "claude SessionEnd hook")
    status = json.loads(subprocess.run([str(CLI), "status", "--json"], cwd=project,
                                       capture_output=True, text=True, env=clean_env()).stdout)
    [row] = [r for r in status if r["path"] == str(path)]
    assert row["evidence"].startswith("its claude SessionEnd hook recorded session end (logout)")


def test_session_start_takes_over_after_an_end(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    hook(project, "SessionEnd", payload(project, "SessionEnd", reason="other"))
    done = hook(project, "SessionStart", payload(project, "SessionStart", source="resume"))
    assert done.returncode == 0, done.stderr
    session = read(session_path(project))
    assert (session.status, session.exit, session.exit_by) == ("active", None, None)


def test_session_start_shows_the_work_tree_as_its_start_left_it(project: Path) -> None:
    """The SessionStart hook starts git before the library is imported when the session
    file is there (docs/performance.md): when its start then writes into the work tree
    (here: it takes over the session of a process that is gone, in a file committed
    clean), git's status is read again, so that the context shows the file changed, as
    the start left it, and as it showed it when git ran after the start."""
    first = json.dumps(payload(project, "SessionStart", source="startup"))
    # (the session's owner: this python, which is gone after it; the command in its
    # environment: a process whose command line runs ai-protocols is a wrapper of it)
    command = json.dumps([str(CLI), "hook", "SessionStart", "--runtime", "claude"])
    subprocess.run([sys.executable, "-c", "import json, os, subprocess, sys; "
                    "subprocess.run(json.loads(os.environ.pop('TEST_AGENT_COMMAND')), "
                    "input=sys.argv[1].encode(), check=True)", first],
                   cwd=project, env=clean_env(TEST_AGENT_COMMAND=command), check=True,
                   capture_output=True)
    commit_all(project, "the session")
    done = hook(project, "SessionStart", payload(project, "SessionStart", source="resume"))
    assert done.returncode == 0, done.stderr
    assert "resumed: the previous session did not wrap up" in \
        session_path(project).read_text()  # (the start wrote: it took the session over)
    assert "  1 changed, 0 untracked:\n    .ai/session-context.d/" in done.stdout, done.stdout


def test_codex_sessions_get_their_own_files(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"),
         runtime="codex")
    assert session_path(project).exists() and session_path(project, "codex").exists()
    assert session_path(project) != session_path(project, "codex")


def test_an_explicit_agent_id_wins(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart"),
         env={"AI_AGENT_ID": "spawned.1718400000"})
    assert (project / ".ai/session-context.d/spawned.1718400000.org").exists()
    assert not session_path(project).exists()


def test_a_project_without_ai_is_left_alone(repo: Path) -> None:
    for event in EVENTS:
        done = hook(repo, event, payload(repo, event, source="startup", prompt="continue"))
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), event
    assert not (repo / ".ai").exists()


@pytest.mark.parametrize("args,data", [
    (["SessionStart", "--runtime", "claude"], "not json"),
    (["SessionStart", "--runtime", "claude"], "{}"),
    (["SessionStart", "--runtime", "claude"], "[1, 2]"),
    (["SessionStart", "--runtime", "claude"], '{"session_id": ""}'),
    (["NoSuchEvent", "--runtime", "claude"], '{"session_id": "x"}'),
    (["SessionStart", "--runtime", "gemini"], '{"session_id": "x"}'),
    (["SessionStart"], '{"session_id": "x"}'),
    (["SessionStart", "--runtime"], '{"session_id": "x"}'),
    ([], ""),
])
def test_bad_input_exits_1_with_one_line(project: Path, args: list[str], data: str) -> None:
    """Never 2, which blocks the agent (and erases a prompt)."""
    done = subprocess.run([str(CLI), "hook", *args], cwd=project, input=data,
                          capture_output=True, text=True, env=clean_env())
    assert done.returncode == 1, done
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("ai-protocols hook")
    assert not list((project / ".ai/session-context.d").glob("*.org"))


def test_a_locked_out_session_start_fails_without_blocking(project: Path) -> None:
    folder = project / ".ai/session-context.d"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("a file\n")
    for event in EVENTS:
        done = hook(project, event, payload(project, event, source="startup",
                                            prompt="continue", reason="other"))
        assert done.returncode in (0, 1) and done.stderr.count("\n") <= 1, (event, done)
        assert done.returncode != 2
    assert folder.read_text() == "a file\n"


# -- what asks to continue --------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "continue", "Continue.", "please continue", "OK, please continue!", "resume",
    "carry on", "Keep going", "where were we?", "Where did we leave off?",
    "let's continue where we left off", "pick up where you left off", "what's next?",
    "What\u2019s next", "go on",
])
def test_continuation_prompts(prompt: str) -> None:
    assert asks_to_continue(prompt)
    assert might_ask_to_continue(json.dumps({"prompt": prompt}).encode())


@pytest.mark.parametrize("prompt", [
    "rename the variable", "continuous integration is red", "resumes are PDFs",
    "fix the resume parser", "how do I continue a loop in Python?" + " x" * 100,
    "don't continue", "",
])
def test_other_prompts(prompt: str) -> None:
    assert not asks_to_continue(prompt)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_the_cheap_test_never_hides_a_continuation(prompt: str) -> None:
    """The import-free pre-check says no only when the full check would say no."""
    raw = json.dumps({"session_id": "s", "prompt": prompt}).encode()
    if asks_to_continue(prompt):
        assert might_ask_to_continue(raw)


def test_the_phrases_are_documented() -> None:
    text = (REPO_ROOT / "docs" / "agents.md").read_text(encoding="utf-8")
    missing = [p for p in CONTINUE_PHRASES if f"`{p}`" not in text]
    assert not missing, f"docs/agents.md does not list {missing}"


def test_hooks_need_no_agent_variable_in_the_test_environment() -> None:
    assert not {"CLAUDE_CODE_SESSION_ID", "CODEX_THREAD_ID"} & set(clean_env())
    assert "CLAUDE_CODE_SESSION_ID" not in os.environ


def test_an_orderly_end_is_ended_not_crashed(project: Path) -> None:
    """SessionEnd is an end, not a crash: status says ended, no other session's context
    offers to recover it, and the agent's resume carries it on."""
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    hook(project, "SessionEnd", payload(project, "SessionEnd", reason="prompt_input_exit"))
    rows = json.loads(subprocess.run([str(CLI), "status", "--json"], cwd=project,
                                     capture_output=True, text=True, env=clean_env()).stdout)
    assert [r["state"] for r in rows] == ["ended"]
    other = dict(payload(project, "SessionStart", source="startup"), session_id="other-1")
    context = hook(project, "SessionStart", other).stdout
    assert "recover" not in context and SESSION not in context


def test_start_titles_a_session_a_hook_began(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    done = subprocess.run([str(CLI), "start", "--title", "Fix the parser"], cwd=project,
                          capture_output=True, text=True,
                          env=clean_env(CLAUDE_CODE_SESSION_ID=SESSION))
    assert done.returncode == 0 and "Titled the session: Fix the parser" in done.stdout
    session = read(session_path(project))
    assert session.title == "Fix the parser"
    assert "* Session: Fix the parser\n" in session_path(project).read_text()
    again = subprocess.run([str(CLI), "start", "--title", "Other"], cwd=project,
                           capture_output=True, text=True,
                           env=clean_env(CLAUDE_CODE_SESSION_ID=SESSION))
    assert "was not used" in again.stderr and read(session_path(project)).title == \
        "Fix the parser"


def test_a_context_that_cannot_be_recorded_still_reaches_the_agent(project: Path) -> None:
    """The lock held elsewhere: SessionStart and PreCompact still print the context,
    say on stderr what was not recorded, and exit 0."""
    hook(project, "SessionStart", payload(project, "SessionStart", source="startup"))
    subprocess.run([str(CLI), "log", "--progress", "p-77"], cwd=project, check=True,
                   capture_output=True, env=clean_env(CLAUDE_CODE_SESSION_ID=SESSION))
    lock = project / ".ai/.locks/session-context.d" / f"{session_path(project).name}.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "30"])
    while subprocess.run(["flock", "-n", str(lock), "true"]).returncode == 0:
        pass  # until the holder has it
    try:
        for event in ("SessionStart", "PreCompact"):
            done = hook(project, event, payload(project, event, source="compact"),
                        env={"AI_PROTOCOLS_LOCK_TIMEOUT": "0.2"})
            assert done.returncode == 0 and "p-77" in done.stdout, (event, done)
            assert done.stderr.startswith(f"ai-protocols hook {event}: ")
    finally:
        holder.kill()
        holder.wait()


def test_the_same_context_is_not_given_twice_in_one_turn(project: Path) -> None:
    hook(project, "SessionStart", payload(project, "SessionStart", source="resume"))
    again = hook(project, "UserPromptSubmit", payload(project, "UserPromptSubmit",
                                                      prompt="continue"))
    assert again.returncode == 0 and again.stdout == ""
    other = hook(project, "SessionStart", dict(payload(project, "SessionStart",
                                                       source="resume"), session_id="b-2"),
                 env={"AI_AGENT_ID": session_path(project).stem})
    assert other.stdout  # another agent session never saw it


def test_a_negative_lock_timeout_waits(project: Path) -> None:
    subprocess.run([str(CLI), "start"], cwd=project, check=True, capture_output=True,
                   env=clean_env())
    lock = project / ".ai/.locks/session-context.org.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "1"])
    while subprocess.run(["flock", "-n", str(lock), "true"]).returncode == 0:
        pass  # until the holder has it
    try:
        done = subprocess.run([str(CLI), "log", "--progress", "x"], cwd=project, text=True,
                              capture_output=True,
                              env=clean_env(AI_PROTOCOLS_LOCK_TIMEOUT="-1"))
    finally:
        holder.wait()
    assert done.returncode == 0, done.stderr
