"""The session lifecycle through the installed command: start, log, show, wrap-up, list."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import Runner

STAMP = r"\[\d{4}-\d\d-\d\d (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d\]"
AGENT = "velox.proj.claude.1718400000"


def context(root: Path, agent: str | None = None) -> Path:
    if agent is None:
        return root / ".ai" / "session-context.org"
    return root / ".ai" / "session-context.d" / f"{agent}.org"


def resolver(root: Path, agent: str | None = None) -> str:
    env = {"PATH": "/usr/bin:/bin"}
    if agent is not None:
        env["AI_AGENT_ID"] = agent
    return subprocess.run(
        [str(root / ".ai/scripts/session-context-path")], env=env, capture_output=True,
        text=True, check=True,
    ).stdout


def test_new_user_walkthrough(project: Path, run: Runner) -> None:
    """The issue's acceptance run: init, start, one log of each kind, show, wrap-up."""
    before = resolver(project)
    out = run("start", "--title", "Fix the sweep").stdout
    assert f"Started a fresh session: {context(project)}" in out
    assert "did not wrap up" not in out and "Carry on" not in out  # (a fresh one: 11th round)
    run("log", "--progress", "Reproduced the sweep bug")
    run("log", "--decision", "Sweep in reverse order", "--rationale", "Avoids index shifts")
    run("log", "--discovery", "The bug only shows with 3+ items")
    run("log", "--blocker", "CI is down")
    run("log", "--next", "Write the regression test")
    run("log", "--done", "Reproduced the sweep bug")
    run("log", "--summary", "Sweep bug found; fix under way")
    shown = run("show").stdout
    for text in ("Reproduced the sweep bug", "Sweep in reverse order", "Avoids index shifts",
                 "The bug only shows with 3+ items", "CI is down", "Write the regression test",
                 "Sweep bug found; fix under way"):
        assert text in shown
    archive = Path(run("wrap-up", "Fix sweep bug").stdout.strip())
    assert archive.parent == project / ".ai" / "sessions"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-\d\d-\d\d-fix-sweep-bug\.org", archive.name)
    text = archive.read_text()
    for needle in ("- [X] ", "Reproduced the sweep bug", "- Rationale: Avoids index shifts",
                   "The bug only shows with 3+ items", "CI is down",
                   "- [ ] ", "Write the regression test", "Sweep bug found; fix under way",
                   ":STATUS:   wrapped-up", ":DESCRIPTION: Fix sweep bug"):
        assert needle in text
    assert not context(project).exists()
    assert resolver(project) == before == f"{context(project)}\n"
    assert "Started a fresh session" in run("start").stdout


def test_walkthrough_with_agent_id(project: Path, run: Runner) -> None:
    before = resolver(project, AGENT)
    run("start", agent=AGENT)
    assert context(project, AGENT).exists()
    run("log", "--progress", "one", agent=AGENT)
    archive = Path(run("wrap-up", "Fix sweep bug", agent=AGENT).stdout.strip())
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d-\d\d-\d\d-{re.escape(AGENT)}-fix-sweep-bug\.org",
                        archive.name)
    assert f":AGENT_ID: {AGENT}" in archive.read_text()
    assert resolver(project, AGENT) == before == f"{context(project, AGENT)}\n"


def test_archive_name_uses_utc(project: Path, run: Runner) -> None:
    """Archive names start with the time the session ended in UTC (issue 11), whatever
    the zone of whoever wrapped it up; ENDED is the local time, for people."""
    run("start", env={"TZ": "Pacific/Kiritimati"})
    archive = Path(run("wrap-up", "x", env={"TZ": "Pacific/Kiritimati"}).stdout.strip())
    utc = datetime.now(timezone.utc).replace(tzinfo=None)
    names = {f"{(utc - timedelta(minutes=m)):%Y-%m-%d-%H-%M}-x.org" for m in range(3)}
    assert archive.name in names
    local = {f"[{(utc + timedelta(hours=14) - timedelta(minutes=m)):%Y-%m-%d}" for m in range(3)}
    assert any(f":ENDED:    {day}" in archive.read_text() for day in local)


def test_start_is_fresh_then_never_overwrites(project: Path, run: Runner) -> None:
    """A previous agent left its file and is gone: start keeps every byte of it,
    reports what it holds, and takes the session over (owner and one Log line)."""
    run("start", "--title", "First", as_another_agent=True)
    run("log", "--progress", "step one", "--next", "step two", "--blocker", "waiting")
    run("log", "--summary", "Halfway through")
    path = context(project)
    before = path.read_text()
    result = run("start", "--title", "Second")
    after = path.read_text()
    out = result.stdout
    assert "The previous session did not wrap up (crashed: its owner, process" in out
    assert str(path) in out
    for text in ("First", "step one", "step two", "waiting", "Halfway through", "last updated"):
        assert text in out
    assert "Started a fresh session" not in out
    assert "--title was not used" in result.stderr
    old, new = before.splitlines(), after.splitlines()
    kept = [line for line in old if not line.startswith((":OWNER:", ":UPDATED:",
                                                         ":UPDATED_AT:"))]
    assert [line for line in new if line in kept] == kept, "a line of the old file was lost"
    added = [line for line in new if line not in old and not line.startswith(":UPDATED")]
    assert len(added) == 2
    assert added[0].startswith(":OWNER:")
    assert "resumed: the previous session did not wrap up (crashed" in added[1]


def test_start_twice_in_one_session_does_no_harm(project: Path, run: Runner) -> None:
    run("start", "--title", "Once")
    run("log", "--progress", "working")
    path = context(project)
    before = path.read_bytes()
    out = run("start").stdout
    assert out.startswith(f"This session already started: {path}")
    assert "working" in out
    assert path.read_bytes() == before


def test_start_warns_about_a_reused_id(project: Path, run: Runner) -> None:
    result = run("start", agent="codex")
    assert "no epoch-like tail" in result.stderr
    assert "reused id" in result.stderr
    assert "Warning" not in run("start", agent=AGENT).stderr


def test_start_lists_crashed_and_abandoned_sessions(project: Path, run: Runner) -> None:
    crashed = "dead.proj.codex.1600000001"
    run("start", agent=crashed, as_another_agent=True)
    run("log", "--summary", "Half way through the port", agent=crashed)
    old = "old.proj.codex.1600000000"
    run("start", agent=old)
    path = context(project, old)
    text = re.sub(r":UPDATED:  \[[^]]*\]", ":UPDATED:  [2020-01-01 Wed 10:00]", path.read_text())
    path.write_text(re.sub(r"^:OWNER:.*\n", "", text, flags=re.M))
    run("start", agent="busy.proj.codex.1700000001")
    out = run("start", agent=AGENT).stdout
    assert "Other agents' sessions that need recovering:" in out
    assert f"  {crashed}: crashed (its owner, process" in out
    assert "    summary: Half way through the port" in out
    assert f"ai-protocols recover {crashed} --adopt" in out
    assert f"ai-protocols recover {crashed} --archive" in out
    assert f"  {old}: abandoned (last updated" in out
    assert "busy.proj.codex.1700000001" not in out
    quiet = run("start", agent=AGENT, env={"AI_PROTOCOLS_STALE_HOURS": "1000000"}).stdout
    assert old not in quiet
    assert crashed in quiet


def test_log_each_kind_lands_in_its_section(project: Path, run: Runner) -> None:
    run("start")
    run("log", "--progress", "p1", "--decision", "d1", "--rationale", "r1",
        "--discovery", "f1", "--blocker", "b1", "--next", "n1", "--summary", "s1")
    data = json.loads(run("show", "--json").stdout)
    assert [e["text"] for e in data["progress"]] == ["p1"]
    assert data["progress"][0]["done"] is False
    assert data["decisions"][0]["text"] == "d1"
    assert data["decisions"][0]["rationale"] == "r1"
    assert [e["text"] for e in data["discoveries"]] == ["f1"]
    assert [e["text"] for e in data["blockers"]] == ["b1"]
    assert [e["text"] for e in data["next"]] == ["n1"]
    assert data["summary"] == "s1"
    assert [e["kind"] for e in data["log"]] == [
        "start", "progress", "decision", "discovery", "blocker", "next", "summary"]
    now = datetime.now()
    for entry in data["progress"] + data["log"]:
        stamp = datetime.fromisoformat(entry["time"])
        assert abs(stamp - now) < timedelta(minutes=3)
    text = context(project).read_text()
    assert re.search(rf"^- \[ \] {STAMP} p1$", text, re.M)
    assert re.search(rf"^- {STAMP} d1\n  - Rationale: r1$", text, re.M)


def test_show_json_keys_are_stable(project: Path, run: Runner) -> None:
    run("start", "--title", "T", agent=AGENT)
    data = json.loads(run("show", "--json", agent=AGENT).stdout)
    assert list(data) == ["schema", "path", "agent_id", "title", "host", "status", "started",
                          "updated", "ended", "description", "summary", "progress",
                          "decisions", "discoveries", "blockers", "next", "log", "pending",
                          "owner", "exit", "exited", "adopted_from", "agent_session",
                          "agent_source", "transcript", "compactions", "compacted",
                          "git_branch", "git_commit", "exit_by", "updated_at",
                          "checkpoint", "key_files", "context", "objective", "current",
                          "paused", "pause_note", "earlier"]
    assert data["schema"] == 1
    assert data["path"] == str(context(project, AGENT))
    assert data["agent_id"] == AGENT
    assert data["title"] == "T"
    assert data["status"] == "active"
    assert data["summary"] is None
    assert data["earlier"] == []  # (a file never rolled over: tests/test_rollover.py)


def test_summary_replaces_only_itself(project: Path, run: Runner) -> None:
    run("start")
    run("log", "--summary", "first")
    run("log", "--summary", "second")
    data = json.loads(run("show", "--json").stdout)
    assert data["summary"] == "second"
    assert "first" not in context(project).read_text().split("** Progress")[0]


def test_done_ticks_one_item(project: Path, run: Runner) -> None:
    run("start")
    run("log", "--progress", "write parser", "--next", "write printer", "--next", "ship")
    run("log", "--done", "PRINTER")
    data = json.loads(run("show", "--json").stdout)
    assert [(e["text"], e["done"]) for e in data["next"]] == [
        ("write printer", True), ("ship", False)]
    assert data["progress"][0]["done"] is False
    run("log", "--next", "write docs")
    before = context(project).read_bytes()
    result = run("log", "--done", "write", check=False)
    assert result.returncode == 5
    assert result.stderr == ("Error: 'write' matches 2 open items ('write parser'; "
                             "'write docs'); give the whole text\n")
    assert context(project).read_bytes() == before
    result = run("log", "--done", "nothing like it", check=False)
    assert result.returncode == 5
    assert result.stderr.startswith(
        "Error: no open checkbox item matches 'nothing like it' (searched Progress")


def test_log_without_a_session(project: Path, run: Runner) -> None:
    result = run("log", "--progress", "x", check=False)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (f"Error: no session context at {context(project)}; "
                             "run 'ai-protocols start' first\n")
    assert not context(project).exists()
    result = run("show", check=False)
    assert result.returncode == 3
    result = run("wrap-up", "x", check=False)
    assert result.returncode == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["log", "--progress", "   "], "Error: progress '   ' cannot be used: it is empty; "
         "give it some text (white space alone is none)\n"),
        (["wrap-up", "../"], "Error: description '../' cannot be used: "
                             "it has no letters or digits to name by\n"),
        (["wrap-up", ""], "Error: description '' cannot be used: it is empty; give it some text "
         "(white space alone is none)\n"),
        (["wrap-up", "a\nb"], "Error: description 'a\\nb' cannot be used: "
                              "it must be one line without control characters\n"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
        project: Path, run: Runner, args: list[str], message: str) -> None:
    if args[0] != "start":
        run("start")
    before = {p: p.read_bytes() for p in (project / ".ai").rglob("*") if p.is_file()}
    result = run(*args, check=False)
    assert result.returncode == 4
    assert result.stderr == message
    assert result.stdout == ""
    after = {p: p.read_bytes() for p in (project / ".ai").rglob("*") if p.is_file()
             if ".locks" not in p.parts}
    assert after == {p: b for p, b in before.items() if ".locks" not in p.parts}


def test_usage_errors_exit_2(project: Path, run: Runner) -> None:
    run("start")
    result = run("log", check=False)
    assert result.returncode == 2
    assert "give at least one of" in result.stderr
    result = run("log", "--rationale", "r", check=False)
    assert result.returncode == 2
    assert "--rationale 'r' has no --decision before it" in result.stderr
    result = run("log", "--decision", "d", check=False)  # the same kind of mistake: exit 2
    assert result.returncode == 2
    assert "--decision 'd' has no --rationale" in result.stderr


def test_wrap_up_never_overwrites_an_archive(project: Path, run: Runner) -> None:
    names = []
    for _ in range(3):
        run("start")
        names.append(Path(run("wrap-up", "Same name").stdout.strip()).name)
    stems = [re.sub(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-", "", n) for n in names]
    assert len(set(names)) == 3
    assert "same-name.org" in stems
    assert len(list((project / ".ai/sessions").glob("*.org"))) == 3


def test_wrap_up_slug(project: Path, run: Runner) -> None:
    run("start")
    archive = Path(run("wrap-up", "  Fix: the Ünïcode — bug!!  ").stdout.strip())
    assert archive.name.endswith("-fix-the-unicode-bug.org")
    run("start", agent="x" * 200)
    archive = Path(run("wrap-up", "word " * 40, agent="x" * 200).stdout.strip())
    assert len(archive.name.encode()) <= 255


def test_log_after_wrap_up_in_place_is_refused(project: Path, run: Runner) -> None:
    """A wrap-up killed between closing and moving leaves a closed file: log refuses
    it, and the next start finishes the archive before starting fresh."""
    run("start")
    path = context(project)
    text = path.read_text().replace(":STATUS:   active", ":STATUS:   wrapped-up")
    text = text.replace(":END:", ":ENDED:    [2026-11-21 Sat 10:02]\n"
                                 ":DESCRIPTION: Interrupted\n:END:", 1)
    path.write_text(text)
    result = run("log", "--progress", "late", check=False)
    assert result.returncode == 7
    assert "already wrapped up" in result.stderr
    out = run("start").stdout
    assert "Finished an interrupted wrap-up" in out
    assert (project / ".ai/sessions/2026-11-21-10-02-interrupted.org").exists()
    assert "Started a fresh session" in out


def test_list(project: Path, run: Runner) -> None:
    run("start", agent="a.p.claude.1700000001")
    run("wrap-up", "First thing", agent="a.p.claude.1700000001")
    run("start", agent="b.p.codex.1700000002")
    run("log", "--progress", "x", agent="b.p.codex.1700000002")
    rows = json.loads(run("list", "--json").stdout)
    assert [(r["kind"], r["agent_id"]) for r in rows] == [
        ("open", "b.p.codex.1700000002"), ("archived", "a.p.claude.1700000001")]
    assert rows[1]["description"] == "First thing"
    assert rows[1]["status"] == "wrapped-up"
    assert rows[0]["status"] == "active"
    assert list(rows[0]) == ["kind", "path", "agent_id", "title", "description", "status",
                             "started", "updated", "ended", "state"]
    assert (rows[0]["state"], rows[1]["state"]) == ("live", None)
    only = json.loads(run("list", "--json", "--runtime", "claude").stdout)
    assert [r["agent_id"] for r in only] == ["a.p.claude.1700000001"]
    only = json.loads(run("list", "--json", "--agent", "b.p.codex.1700000002").stdout)
    assert [r["kind"] for r in only] == ["open"]
    assert json.loads(run("list", "--json", "--since", "2999-01-01").stdout) == []
    assert len(json.loads(run("list", "--json", "--since", "2h").stdout)) == 2
    result = run("list", "--since", "not a date", check=False)
    assert result.returncode == 4
    assert result.stderr.startswith("Error: --since 'not a date' cannot be used")
    text = run("list").stdout
    assert "First thing" in text and "b.p.codex.1700000002" in text


def test_list_ignores_emacs_files(project: Path, run: Runner) -> None:
    run("start", agent=AGENT)
    folder = project / ".ai/session-context.d"
    (folder / f".#{AGENT}.org").symlink_to("user@host.123:456")
    (folder / f"#{AGENT}.org#").write_text("autosave")
    (folder / f"{AGENT}.org~").write_text("backup")
    rows = json.loads(run("list", "--json").stdout)
    assert [Path(r["path"]).name for r in rows] == [f"{AGENT}.org"]


def test_python_dash_m(project: Path) -> None:
    import sys

    from conftest import clean_env

    result = subprocess.run([sys.executable, "-m", "ai_protocols", "path"], cwd=project,
                            env=clean_env(), capture_output=True, text=True, check=True)
    assert result.stdout == f"{context(project)}\n"
