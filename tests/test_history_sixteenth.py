"""Issue 16, sixteenth round: costs that grew with a project's history, and imports a
project with a task board brought onto the hot paths.

1. ``status`` found the newest archives by listing ``.ai/sessions/`` (100,000 names:
   0.15 s and 24 MB); now their names are kept with the folder's ``stat``
   (``.ai/.locks/sessions.newest``), and the output is the same with and without it.
2. ``wrap-up`` in a project with a board imported the board's reader (pathlib, re)
   when the board names nothing of the agent's; ``list --since`` imported re, and
   dateutil (pathlib, re) for an ISO date.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fast_path import HOT_NEVER, imported

from conftest import CLI, Runner, clean_env

RECORD = Path(".ai/.locks/sessions.newest")


def _archive(folder: Path, day: int, minute: int, agent: str, status: str,
             reason: str) -> str:
    """An archived session as wrap-up and abandon write it; returns its name."""
    stamp = f"[2026-11-{day:02d} Sat 10:{minute:02d}]"
    name = f"2026-11-{day:02d}-10-{minute:02d}-{agent}-task.org"
    (folder / name).write_text(
        f"#+TITLE: Session\n\n* Session\n:PROPERTIES:\n:AGENT_ID: {agent}\n"
        f":STARTED:  {stamp}\n:UPDATED:  {stamp}\n:STATUS:   {status}\n"
        f":ENDED:    {stamp}\n:DESCRIPTION: {reason}\n:END:\n")
    return name


def _aged(project: Path, run: Runner) -> None:
    """Wait until the folder's last change is older than the racy window (2 s), then run
    status once, which keeps the record."""
    time.sleep(2.1)
    run("status", "--json")


def _listings(project: Path) -> int:
    """How many times ``status --json`` lists ``.ai/sessions/`` (strace)."""
    trace = project.parent / "status.trace"
    subprocess.run(["strace", "-qq", "-o", str(trace), "-e", "trace=openat", str(CLI),
                    "status", "--json"], cwd=project, env=clean_env(), check=True,
                   capture_output=True, timeout=120)
    return sum(1 for line in trace.read_text().splitlines()
               if "/.ai/sessions\"" in line and "O_DIRECTORY" in line)


def test_status_reads_the_newest_archives_from_the_record_and_sees_every_change(
        project: Path, run: Runner) -> None:
    if not shutil.which("strace"):
        pytest.fail("strace is not installed; scripts/test installs it")
    sessions = project / ".ai/sessions"
    for n in range(30):
        _archive(sessions, 1 + n // 10, n % 10, f"agent.{n}", "wrapped-up", f"task {n}")
    _archive(sessions, 4, 30, "quitter.1", "abandoned", "the old approach")
    before = run("status", "--json").stdout
    assert "quitter.1" in before  # (among the 10 newest)
    _aged(project, run)
    assert (project / RECORD).is_file()
    assert _listings(project) == 0  # the record answered
    assert _rows(run("status", "--json").stdout) == _rows(before)
    # An archive git brings (no tool wrote it): the folder changed, so it is listed
    name = _archive(sessions, 9, 0, "gone.2", "abandoned", "brought by git")
    assert _listings(project) == 1
    said = json.loads(run("status", "--json").stdout)
    assert any(row.get("agent_id") == "gone.2" for row in said), said
    # ...and one removed, by hand: seen at once too
    (sessions / name).unlink()
    said = json.loads(run("status", "--json").stdout)
    assert not any(row.get("agent_id") == "gone.2" for row in said), said
    # a renamed one (its new name the newest): seen
    old = next(p for p in sessions.iterdir() if "quitter.1" in p.name)
    old.rename(sessions / f"2026-11-20-10-00-{old.name[17:]}")
    assert run("status", "--json").stdout != before
    # A record for another folder's state is never used (a stale one, by hand)
    _aged(project, run)
    assert "quitter.1" in run("status", "--json").stdout
    data = json.loads((project / RECORD).read_bytes().split(b" ", 4)[4])
    (project / RECORD).write_bytes(b"ai-protocols newest archives 1 " + json.dumps(
        {**data, "names": []}).encode() + b"\n")
    os.utime(sessions)  # (its times move: the record no longer describes it)
    assert "quitter.1" in run("status", "--json").stdout


def test_status_never_makes_the_locks_folder(project: Path, run: Runner) -> None:
    """``.ai/.locks/`` gone (git stash -a took it) tells status of a stashed session: the
    record is not written there, so no listing makes the folder again."""
    _archive(project / ".ai/sessions", 1, 0, "a.1", "abandoned", "r")
    shutil.rmtree(project / ".ai/.locks")
    time.sleep(2.1)
    run("status", "--json", check=False)
    assert not (project / ".ai/.locks").exists()


AGENTS = st.sampled_from(["a.1", "a.2", "b.1", "c.1", "me.1"])
ARCHIVES = st.lists(st.tuples(st.integers(1, 28), st.integers(0, 59), AGENTS,
                              st.sampled_from(["abandoned", "wrapped-up"]),
                              st.text(st.characters(codec="utf-8", exclude_categories=(
                                  "Cc", "Cs", "Zl", "Zp")), max_size=20)),
                    max_size=25)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=ARCHIVES, then=ARCHIVES, others=st.lists(st.sampled_from(
    ["notes.txt", ".gitkeep", "x.org", "README"]), max_size=3, unique=True))
def test_status_is_the_same_with_the_record_as_without(first: list, then: list,
                                                       others: list[str]) -> None:
    """Whatever archives (and other files) the folder holds, before and after a change,
    ``status --json`` gives the same rows as with no record at all."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch, "p").resolve()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        run = Runner(root)
        run("init")
        run("start", agent="me.1")
        sessions = root / ".ai/sessions"
        for name in others:
            (sessions / name).write_text("x\n")
        for item in first:
            _archive(sessions, *item)
        os.utime(sessions, (0, 0))  # (its mtime long past; its ctime is not)
        time.sleep(2.1)
        run("status", "--json", agent="me.1")  # (keeps the record)
        assert (root / RECORD).is_file()
        for stage in range(2):  # the record used; then a stale one after a change
            if stage:
                for item in then:
                    _archive(sessions, *item)
            kept = run("status", "--json", agent="me.1").stdout
            (root / RECORD).unlink(missing_ok=True)
            fresh = run("status", "--json", agent="me.1").stdout
            assert _rows(kept) == _rows(fresh)


def _rows(text: str) -> list[dict]:
    """The rows less what changes from one run to the next (ages)."""
    rows = json.loads(text)
    return [{k: v for k, v in row.items() if not k.startswith("age")} for row in rows]


# -- 2. imports ----------------------------------------------------------------------------

#: What the board's reader brings (pathlib, re, contextlib...) and the board's merge (each
#: with its parts since the twenty-seventh round's split).
BOARD_READER = {f"ai_protocols.board.{name}" for name in (
    "board", "board_edits", "board_lost", "board_write", "task_commands", "lock_commands",
    "merge", "merge_pairs", "merge_tasks", "merge_lacking")}


def test_wrap_up_with_a_board_naming_nothing_of_the_agent_imports_no_board_reader(
        project: Path, run: Runner) -> None:
    task = run("task", "add", "one task", agent="me.1").stdout.strip()  # (its log names me.1)
    run("task", "claim", task, agent="other.1")
    run("lock", "src/", "--reason", "r", agent="other.1")
    run("start", agent="me.1")
    found = imported(project, "wrap-up", "done", AI_AGENT_ID="me.1")
    assert found & (HOT_NEVER | BOARD_READER) == set(), found & (HOT_NEVER | BOARD_READER)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs",
                                                                       "Zl", "Zp"),
                                   exclude_characters="/():\t\n\r\x0b\x0c\x85\xa0"),
                     min_size=1, max_size=12).filter(lambda s: s.strip(".") != ""))
def test_wrap_up_still_names_what_the_agent_holds(agent: str) -> None:
    """The plain search (board.held.names_agent) held to the full reader: whatever the
    agent id, a claim and a lock of its are named at its wrap-up (a search that missed
    its id would say nothing: the task was added by another agent, so that only the
    claim's and the lock's lines and the claim's log line hold the id), and another
    agent's wrap-up names none of them."""
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.paths import safe_id

    try:
        safe_id(agent)
    except InvalidAgentId:
        return
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch, "p").resolve()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        run = Runner(root)
        run("init")
        task = run("task", "add", "held task", agent="someone.else.1").stdout.strip()
        run("start", agent=agent)
        run("task", "claim", task, agent=agent)
        run("lock", "area/", "--reason", "r", agent=agent)
        run("start", agent="someone.else.1")
        other = run("wrap-up", "done", agent="someone.else.1").stderr
        assert task not in other and "Lock on" not in other, other
        said = run("wrap-up", "done", agent=agent).stderr
        assert f"Task {task} (DOING, still claimed by you)" in said, said
        assert "Lock on area/" in said, said


@pytest.mark.parametrize("args", [["list", "--since", "2d"], ["list", "--since", "1.5 h"],
                                  ["list", "--json", "--since", "2d"],
                                  ["list", "--since", "2026-11-01"],
                                  ["list", "--json", "--since", "2026-11-01 10:00"],
                                  ["list", "--json", "--since", "2026-11-01T10:00:30"]])
def test_list_since_imports_neither_re_nor_dateutil(project: Path, run: Runner,
                                                     args: list[str]) -> None:
    run("start")
    found = imported(project, *args)
    forbidden = HOT_NEVER | {"dateutil", "re", "enum", "json"}
    assert found & forbidden == set(), found & forbidden


SPACE = st.sampled_from([" ", "\t", "\u2003", "\u3000", "\x1c", ""])


@settings(max_examples=400)
@given(st.one_of(
    st.text(st.sampled_from("0123456789.mhdwMH \t\u0663\u2003x-"), max_size=8),
    st.tuples(SPACE, st.text(st.sampled_from("0123456789\u0663\u0967"), max_size=4),
              st.sampled_from(["", ".", ".5", ".\u0663", "..1"]), SPACE,
              st.sampled_from(list("mhdwsM")), SPACE).map("".join)))
def test_the_duration_reader_takes_what_the_regular_expression_took(value: str) -> None:
    from ai_protocols.cli.since import _duration

    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([mhdw])\s*", value)  # (0-9: lean.digits)
    assert _duration(value) == (match.groups() if match else None)


@settings(max_examples=400)
@given(st.tuples(st.integers(0, 10000), st.integers(0, 14), st.integers(0, 33),
                 st.sampled_from(["", " ", "T"]), st.integers(0, 25), st.integers(0, 61),
                 st.sampled_from([None, 0, 30, 59, 60]), st.sampled_from(["", " ", "\t"])))
def test_an_iso_date_is_read_as_dateutil_reads_it(parts: tuple) -> None:
    from dateutil import parser

    from ai_protocols.cli.since import parse_since

    year, month, day, sep, hour, minute, second, pad = parts
    value = f"{pad}{year:04d}-{month:02d}-{day:02d}"
    if sep:
        value += f"{sep}{hour:02d}:{minute:02d}" + (f":{second:02d}" if second is not None
                                                     else "")
    try:
        expected: datetime | str = parser.parse(value)
    except (ValueError, OverflowError):
        expected = "refused"
    try:
        got: datetime | str = parse_since(value)
    except Exception:  # (InvalidText: refused)
        got = "refused"
    if expected == "refused" or got == "refused":
        assert got == expected, value
    else:
        assert (got.year, got.month, got.day, got.hour, got.minute, got.second) == \
            (expected.year, expected.month, expected.day, expected.hour, expected.minute,
             expected.second), value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
