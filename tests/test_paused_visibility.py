"""A paused session of another agent is named to the next one (issue 14, fourth review,
fault 6): ``start``, ``resume`` and the SessionStart context of a new agent name it
(title, objective, the pause's note, what resumes it, how to take it over), and
``pause`` says what resumes a session whose id comes from a Claude Code or Codex
conversation (that conversation resumed: a new one has a new id).

The installed console script runs the hooks with payloads written here, as Claude
Code and Codex hand them (tests/test_hooks.py); ``recover --adopt --force``, the
way named, is run too. A property test bounds the context in bytes whatever the
paused session's texts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols import Project
from ai_protocols.paths import derived_agent_id
from ai_protocols.session.resume import dumps, resume_context

from conftest import CLI, Runner, clean_env

FIRST, SECOND = "11111111-aaaa-4bbb-8ccc-000000000001", "22222222-aaaa-4bbb-8ccc-000000000002"


def hook(project: Path, session: str, runtime: str) -> subprocess.CompletedProcess[str]:
    data = {"session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": str(project),
            "hook_event_name": "SessionStart", "source": "startup"}
    return subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", runtime],
                          cwd=project, input=json.dumps(data), capture_output=True, text=True,
                          env=clean_env(), timeout=60)


@pytest.mark.parametrize(("runtime", "resumed"), [("claude", "claude --resume"),
                                                  ("codex", "codex resume")])
def test_a_paused_agent_conversation_is_named_to_the_next_one(
        project: Path, runtime: str, resumed: str) -> None:
    run = Runner(project)
    assert hook(project, FIRST, runtime).returncode == 0
    first = derived_agent_id(runtime, FIRST, project)
    assert first is not None
    run("start", "--title", "Refactor the parser", "--objective", "One pass, no regex",
        agent=first)
    run("log", "--current", "half-done refactor", agent=first)
    paused = run("pause", "--no-checkpoint", "--note", "urgent bug first", agent=first)
    # pause says what resumes it: the same conversation, or another agent taking it over
    said = paused.stderr
    assert resumed in said, said
    assert f"ai-protocols recover {first} --adopt --force" in said, said
    assert "'ai-protocols start' resumes it" not in said
    # The next conversation has a new id: its context names the paused session.
    started = hook(project, SECOND, runtime)
    assert started.returncode == 0, started.stderr
    context = started.stdout
    for words in (first, "paused", "urgent bug first", "Refactor the parser",
                  "One pass, no regex", resumed,
                  f"ai-protocols recover {first} --adopt --force"):
        assert words in context, (words, context)
    assert len(context.encode()) <= 4096
    second = derived_agent_id(runtime, SECOND, project)
    assert second is not None
    shown = json.loads(run("resume", "--json", agent=second).stdout)
    [other] = shown["others"]
    assert other["agent_id"] == first and other["state"] == "paused"
    assert other["title"] == "Refactor the parser"
    assert other["objective"] == "One pass, no regex"
    assert resumed in other["resumed_by"]
    assert other["adopt"] == f"ai-protocols recover {first} --adopt --force"
    # `start` of another agent names it too.
    out = run("start", agent="other.proj.claude.1700000000").stdout
    assert "Other agents' paused sessions" in out and first in out and \
        "urgent bug first" in out and "Refactor the parser" in out, out
    # The way named takes it over: the new conversation carries the paused work on.
    run("recover", first, "--adopt", "--force", agent=second)
    adopted = json.loads(run("show", "--json", agent=second).stdout)
    assert adopted["title"] == "Refactor the parser" and adopted["status"] == "active"


def test_pause_names_start_with_the_same_id_for_other_agents(project: Path) -> None:
    run = Runner(project)
    run("start", "--title", "Plain", agent="worker.1700000000")
    said = run("pause", "--no-checkpoint", agent="worker.1700000000").stderr
    assert "'AI_AGENT_ID=worker.1700000000 ai-protocols start'" in said, said
    assert "ai-protocols recover worker.1700000000 --adopt --force" in said
    run("start", "--title", "One")  # the one-agent file: no id to give
    said = run("pause", "--no-checkpoint").stderr
    assert "It resumes with 'ai-protocols start';" in said, said


TEXTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=400).filter(lambda t: t.strip() != "")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXTS, objective=TEXTS, note=TEXTS, count=st.integers(1, 6),
       max_bytes=st.sampled_from([2560, 4096]))
def test_the_context_naming_paused_sessions_stays_within_its_bound(
        tmp_path_factory: pytest.TempPathFactory, title: str, objective: str, note: str,
        count: int, max_bytes: int) -> None:
    """Paused sessions of other agents with generated titles, objectives and notes:
    the context (text and JSON) stays within ``max_bytes``, and names the newest when
    it fits."""
    root = tmp_path_factory.mktemp("paused")
    (root / ".ai").mkdir()
    for n in range(count):
        other = Project(root, f"host.proj.claude.17000000{n:02d}")
        try:
            other.start(" ".join(title.split()) or "t", objective=" ".join(objective.split()))
            other.pause(" ".join(note.split()) or "n")
        except Exception as error:  # a text the tool refuses (bad input) is not this test's
            if type(error).__name__ != "InvalidText":
                raise
            return
    me = Project(root, "host.proj.claude.1800000000")
    context = resume_context(me, None, max_bytes=max_bytes, git=None)
    text = context.to_text()
    assert len(text.encode()) <= max_bytes
    assert len((dumps(context.to_json()) + "\n").encode()) <= max_bytes
    assert "paused" in text
