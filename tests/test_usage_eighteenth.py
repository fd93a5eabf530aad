"""An id that starts with ``-m`` (a person typed ``:ID: -m1``) is an id, not git's
``-m`` with its text: a command with no option ``-m`` could mean says to put it after
``--`` as for any id starting with ``-``; and a guessed option is never advised as the
option already given (``task handoff -m1 --to reviewer --note x`` advised ``--note``).
A fresh review, eighteenth round; each advice given is run as pasted."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, clean_env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usage18") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="u.1"), timeout=60)


@pytest.mark.parametrize("args", [
    ["task", "show", "-m1"],
    ["task", "claim", "-m1"],
    ["task", "done", "-m1"],
    ["task", "handoff", "-m1", "--to", "reviewer", "--note", "x"],
])
def test_an_id_starting_with_dash_m_is_told_to_go_after_the_double_dash(
        project: Path, args: list[str]) -> None:
    done = _run(project, *args)
    assert done.returncode == 2, done
    assert "starts with '-' goes after '--'" in done.stderr, done.stderr
    assert "Did you mean" not in done.stderr and "has no option -m" not in done.stderr
    advised = done.stderr.rsplit("the options before it: ", 1)[1].strip().rstrip(".")
    again = _run(project, *shlex.split(advised)[1:])
    assert again.returncode != 2, again  # (read now: no such task, exit 3, not usage)
    assert "No such option" not in again.stderr, again.stderr


@pytest.mark.parametrize(("args", "meant"), [
    (["task", "handoff", "ID", "--to", "reviewer", "-mwhy"], "--note"),
    (["pause", "-mlunch"], "--note"),
])
def test_git_style_dash_m_with_its_text_still_names_the_option_meant(
        project: Path, args: list[str], meant: str) -> None:
    done = _run(project, *args)
    assert done.returncode == 2 and f"Did you mean '{meant}'" in done.stderr, done.stderr
