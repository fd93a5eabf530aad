"""Issue 16, fourteenth round: a fresh review's faults of ``list``'s filters and of the
advice outside a project, on the console script's fast path and the click path alike.

- ``list --since`` with a duration reaching before the year 1 was a traceback (exit 1):
  now exit 4 saying what to give;
- an empty ``--agent``/``--runtime``/``--since`` was taken as no filter (or said "no
  sessions yet" while one was open): now exit 4;
- outside any project, ``log``/``show``/``wrap-up`` advised ``start``, which then refused
  with "no project here": now they say that first (exit 13).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

CLICK_PATH = ("import sys; sys.argv[0] = 'ai-protocols'; "
              "from ai_protocols.cli.app import main; main()")


def both(cwd: Path, *args: str) -> list[subprocess.CompletedProcess[str]]:
    """``ai-protocols ARGS`` through the console script and through the click CLI."""
    return [subprocess.run([*command, *args], cwd=cwd, env=clean_env(), capture_output=True,
                           text=True, timeout=60)
            for command in ([str(CLI)], [sys.executable, "-c", CLICK_PATH])]


@pytest.mark.parametrize("duration", ["999999w", "99999999999w", "9" * 400 + "d",
                                      "3000000000000m"])
def test_a_duration_before_the_year_1_is_refused_with_advice(project: Path, run: Runner,
                                                             duration: str) -> None:
    for result in both(project, "list", "--since", duration):
        assert result.returncode == 4, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith(f"Error: --since '{duration[:40]}")  # (a long one cut)
        assert " cannot be used: that reaches back before the year 1" in result.stderr
        assert "give a shorter duration" in result.stderr and result.stdout == ""


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weeks=st.integers(min_value=0, max_value=10**30))
def test_every_duration_lists_or_is_refused_never_a_traceback(project: Path,
                                                              weeks: int) -> None:
    fast = subprocess.run([str(CLI), "list", "--since", f"{weeks}w"], cwd=project,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    # (datetime reaches back to the year 1; a day either side of that is the clock's)
    from datetime import date

    reach = (date.today() - date(1, 1, 1)).days
    if weeks * 7 < reach - 1:
        assert fast.returncode == 0, fast.stderr
    elif weeks * 7 > reach + 1:
        assert (fast.returncode, fast.stderr.startswith("Error: --since")) == (4, True)


@pytest.mark.parametrize(("option", "value"), [("--agent", ""), ("--runtime", ""),
                                               ("--since", ""), ("--agent", " "),
                                               ("--runtime", "  "), ("--since", " ")])
def test_an_empty_filter_is_refused_not_taken_as_none(project: Path, run: Runner,
                                                      option: str, value: str) -> None:
    run("start", "--title", "Open")
    for result in both(project, "list", option, value):
        assert result.returncode == 4, (result.stdout, result.stderr)
        assert result.stderr.startswith(f"Error: {option} '{value}' cannot be used: ")
        assert "none has started" not in result.stdout + result.stderr
    for result in both(project, "list", "--agent", "nobody"):  # a filter that matches none
        assert (result.returncode, result.stdout) == (0, "No session matches --agent nobody.\n")


@pytest.mark.parametrize("args", [["log", "--progress", "x"], ["show"], ["show", "--json"],
                                  ["wrap-up", "done"], ["resume"], ["resume", "--json"],
                                  ["status"], ["status", "--json"], ["list"],
                                  ["list", "--json"]])
def test_outside_a_project_the_advice_is_init_not_start(tmp_path: Path,
                                                        args: list[str]) -> None:
    nowhere = tmp_path / "not-a-project"
    nowhere.mkdir()
    # The tool looks upwards for .ai/ or .git (paths._search): a folder above the test's
    # own that holds either (something else run in /tmp, say `git init /tmp`) makes this
    # a project, and the test cannot judge the advice; say which, not a wrong exit code.
    above = [str(folder / name) for folder in nowhere.parents for name in (".ai", ".git")
             if (folder / name).exists()]
    assert not above, f"a folder above the test's holds {above}: remove it and run again"
    for result in both(nowhere, *args):
        assert result.returncode == 13, result.stderr
        assert result.stderr.startswith(f"Error: no project here: {nowhere} is not in a git "
                                        "repository")
        assert "run 'ai-protocols init'" in result.stderr
        assert "'ai-protocols start' first" not in result.stderr
    assert list(nowhere.iterdir()) == []  # nothing was made
    # and start, the command the old advice named, refuses the same way
    start = both(nowhere, "start")
    assert [r.returncode for r in start] == [13, 13]


def test_in_a_project_without_a_session_the_advice_is_still_start(repo: Path) -> None:
    for result in both(repo, "log", "--progress", "x"):
        assert result.returncode == 3
        assert result.stderr.endswith("run 'ai-protocols start' first\n")
    for args in (["resume"], ["status"], ["list"], ["status", "--json"], ["list", "--json"]):
        for result in both(repo, *args):  # (a git work tree: a project, read as one)
            assert (result.returncode, result.stderr) == (0, ""), args
    assert "Start one with: ai-protocols start" in both(repo, "resume")[0].stdout


# -- issue 14, fourteenth round: the order of one call, as the user guide gives it -------------


def test_the_user_guide_gives_the_order_log_writes_in() -> None:
    """docs/user-guide.md lists the kinds of one call in the order of ENTRY_KINDS (the
    table ``log`` sorts by): a new kind or a reordering shows here."""
    import re

    from ai_protocols.session.model import ENTRY_KINDS

    guide = (Path(__file__).parent.parent / "docs" / "user-guide.md").read_text()
    listed = re.search(r"in\s+this order whatever the order on the command line: (.*?)\.",
                       guide, re.S)
    assert listed is not None
    words = [w.strip() for w in " ".join(listed.group(1).split()).split(",")]
    names = {"decisions": "decision", "next steps": "next", "key files": "key-file",
             "discoveries": "discovery", "blockers": "blocker"}
    assert [names.get(w, w) for w in words] == [k.kind for k in ENTRY_KINDS]
    assert "One exception: a\n  `--current X` with a `--done X`" in guide


def test_done_and_current_of_one_text_tick_that_step_and_leave_none_current(
        project: Path, run: Runner) -> None:
    """What the user guide says of ``--done A --current A``, on a real session."""
    import json

    run("start", "--title", "Order")
    run("log", "--progress", "step A", "--progress", "step B")
    run("log", "--current", "step B")
    run("log", "--done", "step A", "--current", "step A")
    shown = json.loads(run("show", "--json").stdout)
    assert shown["current"] is None
    items = {i["text"]: i for i in shown["progress"]}
    assert items["step A"]["done"] is True and items["step B"]["done"] is False
    text = (project / ".ai" / "session-context.org").read_text()
    assert "[-]" not in text and text.count("step A") >= 1
