"""Usage errors for options agents guess (issue 15, sixteenth round): the advice must
be a command that does what was meant. ``task add --title 'Fix login'`` used to
suggest ``task add -- '--title Fix login'`` (a task titled "--title Fix login") and
click's "Did you mean '--role'?"; ``task handoff ID --message x`` suggested putting an
ID after ``--``, never ``--note``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import CLI, clean_env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usage") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="u.1"))


@pytest.mark.parametrize(("args", "advice", "then"), [
    (["task", "add", "--title", "Fix login"],
     "has no option --title; its TITLE goes in quotes, with no option before it, as in "
     "ai-protocols task add 'Fix login'", ["task", "add", "Fix login"]),
    (["wrap-up", "--summary", "finished"],
     "its DESCRIPTION goes in quotes, with no option before it, as in "
     "ai-protocols wrap-up finished", None),
    (["task", "handoff", "t-1", "--to", "reviewer", "--message", "check parse()"],
     "Did you mean '--note'?", None),
    (["task", "handoff", "t-1", "--to", "reviewer", "--msg=check"],
     "Did you mean '--note'?", None),
    (["lock", "src/", "--why", "reshaping"], "Did you mean '--reason'?", None),
    (["task", "add", "--title=Fix login"],
     "its TITLE goes in quotes, with no option before it, as in ai-protocols task add "
     "'Fix login'", ["task", "add", "Fix login"]),
    (["task", "add", "--title", "Fix login", "--working-set", "src/auth/", "--role", "dev"],
     "as in ai-protocols task add 'Fix login' --working-set src/auth/ --role dev",
     ["task", "add", "Fix login", "--working-set", "src/auth/", "--role", "dev"]),
    (["task", "add", "--description", "Users cannot log in", "Fix login"],
     "ai-protocols task add has no option --description (see ai-protocols task add --help)",
     None),
    (["wrap-up", "--summary", "done", "for", "now"],
     "as in ai-protocols wrap-up 'done for now'", None),
    (["wrap-up", "--message", "done"], "as in ai-protocols wrap-up done", None),
    (["checkpoint", "--message", "before"], "Did you mean '--note'?", None),
])
def test_a_guessed_option_gets_advice_that_does_what_was_meant(
        project: Path, args: list[str], advice: str, then: list[str] | None) -> None:
    board = project / ".ai" / "tasks.org"
    before = board.read_bytes() if board.exists() else None
    refused = _run(project, *args)
    assert refused.returncode == 2, refused
    assert advice in refused.stderr, refused.stderr
    # never the advice to put the option into the text, nor click's nearest spelling
    assert "goes after '--'" not in refused.stderr, refused.stderr
    assert "'--role'" not in refused.stderr, refused.stderr
    assert (board.read_bytes() if board.exists() else None) == before
    if then is not None:  # the advised command does what was meant
        done = _run(project, *then)
        assert done.returncode == 0, done.stderr
        listed = _run(project, "task", "list", "--all", "--json")
        assert '"title": "Fix login"' in listed.stdout and "--title" not in listed.stdout
        if "--role" in then:  # the other options are kept
            assert '"role": "dev"' in listed.stdout and "src/auth/" in listed.stdout, \
                listed.stdout


@pytest.mark.parametrize(("args", "advice"), [
    (["task", "add", "-x"], "A TITLE that starts with '-' goes after '--', the options "
                            "before it: ai-protocols task add -- -x"),
    (["task", "show", "-x"], "An ID that starts with '-' goes after '--'"),
])
def test_a_text_that_starts_with_a_dash_still_gets_the_dash_advice(
        project: Path, args: list[str], advice: str) -> None:
    refused = _run(project, *args)
    assert refused.returncode == 2 and advice in refused.stderr, refused.stderr
