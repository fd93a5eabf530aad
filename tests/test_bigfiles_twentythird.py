"""Issue 16, twenty-third round: the big session files.

``start`` on a big live file it writes (a take-over of a crashed agent's file, a pause
resumed, a title or an objective given) read the file whole after its write, though
its caller asked for it brief: 29,000 entries parsed and rendered to be left out
(docs/performance.md, "Issue 16, twenty-third round"). The session it reports is read
as brief as the one it reports when it writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_rollover import filler, insert

from ai_protocols.session.layout import BRIEF_NOTES, read_session
from ai_protocols.session.project import Project

from conftest import Runner

#: What ``start`` writes on each path, and how the session is left before it.
HOW = ("took over", "paused", "titled", "objective")


def _leftover(project: Path, run: Runner, how: str) -> tuple[Path, list[str]]:
    """A session file of this agent's holding more decisions than a brief read reads,
    left as ``how`` needs it: by a crashed agent, paused, without a title, or by a
    crashed agent (an objective is given only to the caller's own session: a
    take-over's, in a process that is not the agent that ran ``run``)."""
    run("start", *(("--title", "Long work") if how != "titled" else ()),
        as_another_agent=how in ("took over", "objective"))
    path = project / ".ai/session-context.org"
    decisions, entries = filler(0, (BRIEF_NOTES + 40) * 200, "old")
    path.write_text(insert(path.read_text(), "decisions", decisions))
    if how == "paused":
        run("pause", "--note", "back soon")
    return path, entries


@pytest.mark.parametrize("how", HOW)
def test_start_reports_a_session_it_wrote_read_brief(project: Path, run: Runner,
                                                     how: str) -> None:
    """``Project.start(brief=True)`` that writes the file reports it read brief (the
    older decisions counted, not read), and that read says what a whole read of the
    file written says of the newest ones."""
    path, entries = _leftover(project, run, how)
    report = Project(project).start(title="Long work" if how == "titled" else None,
                                    objective="new aim" if how == "objective" else None,
                                    brief=True)
    assert {"took over": report.took_over, "paused": report.resumed_pause is not None,
            "titled": report.titled, "objective": report.session.objective == "new aim"
            }[how]
    session = report.session
    assert session.unread.get("decision") == len(entries) - BRIEF_NOTES
    whole = read_session(str(path), path.read_text())
    assert len(whole.decisions) == len(entries)
    assert [(e.time, e.text) for e in session.decisions] == \
        [(e.time, e.text) for e in whole.decisions[-BRIEF_NOTES:]]
    assert session.status == whole.status == "active"
    written = [e.text for e in whole.log if not e.text.startswith("decision: ")]
    assert [e.text for e in session.log if not e.text.startswith("decision: ")] == written


@pytest.mark.parametrize("how", HOW)
def test_start_prints_the_same_after_its_write_as_after_carrying_on(
        project: Path, run: Runner, how: str) -> None:
    """The console script: ``start`` that writes the big file prints the resume context
    fitted to the bound (the newest decision in it, the rest named) and, run again with
    nothing to write, the same context."""
    _path, entries = _leftover(project, run, how)
    args = {"titled": ("--title", "Long work"), "objective": ("--objective", "new aim")
            }.get(how, ())
    first = run("start", *args).stdout
    again = run("start").stdout
    newest = entries[-1].splitlines()[0].split("] ", 1)[1]
    assert newest in first and newest in again
    assert "old decision 000000 " not in first
    left = [line for line in first.splitlines() if line.startswith("Left out")]
    assert left and left == [line for line in again.splitlines()
                             if line.startswith("Left out")]


def test_pause_and_the_head_read_say_what_the_whole_read_says_of_the_head(
        project: Path, run: Runner) -> None:
    """``Project.pause(brief=True)`` reports the session paused read brief (the older
    decisions counted, not read), and ``Project.read(head=True)`` its properties alone:
    both as the whole read of the file says them (what ``pause`` prints and judges)."""
    path, entries = _leftover(project, run, "titled")
    here = Project(project)
    paused = here.pause("back soon", brief=True)
    assert paused.unread.get("decision") == len(entries) - BRIEF_NOTES
    head = here.read(path, head=True)
    whole = read_session(str(path), path.read_text())
    assert head is not None and not any(head.entries.values()) and not head.log
    for session in (paused, head):
        assert (session.status, session.pause_note, session.paused, session.agent_session,
                session.title, session.started, session.path) == \
            (whole.status, whole.pause_note, whole.paused, whole.agent_session,
             whole.title, whole.started, whole.path)
    assert whole.status == "paused" and whole.pause_note == "back soon"


def test_pause_wrap_up_and_recover_of_a_big_file_say_and_keep_what_they_did(
        project: Path, run: Runner) -> None:
    """The console script on the big file (each reads its properties, not its 40,000
    lines): ``pause`` says its note and prints the file, a second ``pause`` replaces
    the note, ``start`` resumes it, and ``wrap-up`` archives every decision."""
    path, entries = _leftover(project, run, "took over")
    first = run("pause", "--no-checkpoint", "--note", "back soon")
    assert "Paused the session: back soon." in first.stderr
    assert first.stdout.strip() == str(path)
    again = run("pause", "--note", "later")
    assert "its note is now: later" in again.stderr
    assert "back soon" not in read_session(str(path), path.read_text()).pause_note
    assert "resumed: after a pause" in run("start").stdout + path.read_text()
    archive = Path(run("wrap-up", "done").stdout.strip().splitlines()[-1])
    kept = read_session(str(archive), archive.read_text())
    assert [e.text for e in kept.decisions] == \
        [e.splitlines()[0].split("] ", 1)[1] for e in entries]


def test_recover_adopts_a_crashed_agents_big_file_whole(project: Path, run: Runner) -> None:
    """``recover --adopt`` judges the crashed agent's big file by its properties and
    takes all of it: every decision is in the adopter's file, the Log says so."""
    dead, me = "dead.p.x.1700000001", "me.p.x.1700000002"
    run("start", "--title", "Long work", agent=dead, as_another_agent=True)
    theirs = project / ".ai/session-context.d" / f"{dead}.org"
    decisions, entries = filler(0, (BRIEF_NOTES + 40) * 200, "old")
    theirs.write_text(insert(theirs.read_text(), "decisions", decisions))
    run("start", agent=me)
    run("recover", dead, "--adopt", agent=me)
    mine = project / ".ai/session-context.d" / f"{me}.org"
    adopted = read_session(str(mine), mine.read_text())
    assert [e.text for e in adopted.decisions] == \
        [e.splitlines()[0].split("] ", 1)[1] for e in entries]
    assert not theirs.exists()
    assert any(e.text.startswith("adopted") for e in adopted.log)
