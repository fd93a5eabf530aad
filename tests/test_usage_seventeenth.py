"""Usage advice for guessed options, from a fresh review (seventeenth round): an id is
one word, which no guessed option's value stands for (``task done --comment finished ID``
advised ``task done 'finished ID'``, ``task release --why busy`` advised ``task release
busy``); advice never keeps another guessed option (``wrap-up --summary=done --msg=x``
advised ``wrap-up done --msg=x``); git's ``-m``, ``log --message`` and ``pause --reason``
name the option meant. Each advice given is run as pasted. (And, eighteenth round, an
id that starts with ``-m``: see the end.)"""

from __future__ import annotations

import shlex
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
                          env=clean_env(AI_AGENT_ID="u.1"), timeout=60)


@pytest.mark.parametrize("args", [
    ["task", "done", "--comment", "finished", "ID"],
    ["task", "show", "--message", "x", "ID"],
    ["task", "release", "--why", "busy"],
    ["task", "claim", "--msg", "mine"],
    ["task", "claim", "--msg=mine"],
    ["checkpoint", "restore", "--message", "x"],
])
def test_no_guessed_options_value_is_advised_as_an_id(project: Path, args: list[str]) -> None:
    task = _run(project, "task", "add", "Fix login").stdout.strip()
    done = _run(project, *[task if a == "ID" else a for a in args])
    assert done.returncode == 2, done
    last = done.stderr.strip().splitlines()[-1]
    option = next(a for a in args if a.startswith("-")).partition("=")[0]
    assert last.endswith(f"has no option {option} (see ai-protocols "
                         f"{' '.join(args[:2 if args[0] in ('task', 'checkpoint') else 1])}"
                         " --help)"), last
    assert "as in" not in last


def test_the_advice_keeps_no_other_guessed_option(project: Path) -> None:
    done = _run(project, "wrap-up", "--summary=done", "--msg=x")
    assert done.returncode == 2
    assert "wrap-up has no option --summary nor --msg (see ai-protocols wrap-up --help)" \
        in done.stderr and "as in" not in done.stderr


@pytest.mark.parametrize(("args", "meant"), [
    (["checkpoint", "-m", "snap"], "--note"),
    (["log", "--message", "fixed it"], "--progress"),
    (["pause", "--reason=x"], "--note"),
    (["abandon", "--note", "x"], "--reason"),
])
def test_a_guessed_option_names_the_one_meant(project: Path, args: list[str],
                                              meant: str) -> None:
    done = _run(project, *args)
    assert done.returncode == 2 and f"Did you mean '{meant}'?" in done.stderr, done


def test_a_title_given_as_an_option_is_still_advised_and_works_pasted(project: Path) -> None:
    done = _run(project, "task", "add", "--title", "Fix the parser", "--role", "dev")
    advice = done.stderr.strip().rsplit("as in ", 1)[1]
    assert advice == "ai-protocols task add 'Fix the parser' --role dev"
    pasted = _run(project, *shlex.split(advice)[1:])
    assert pasted.returncode == 0 and "Fix the parser" in pasted.stderr


@pytest.mark.parametrize(("args", "meant"), [
    (["lock", "src/", "--message", "mine"], "--reason"),
    (["lock", "src/", "-m", "mine"], "--reason"),
    (["lock", "src/", "-mmine"], "--reason"),
])
def test_a_lock_message_is_its_reason(project: Path, args: list[str], meant: str) -> None:
    done = _run(project, *args)
    assert done.returncode == 2 and f"Did you mean '{meant}'?" in done.stderr, done

# -- eighteenth round: an id that starts with -m (a person typed ':ID: -m1') is an id, not
# git's -m with its text, and a guessed option is never advised as one already given
# (task handoff -m1 --to reviewer --note x advised --note); the '--' advice keeps the
# options given, and runs pasted.


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
