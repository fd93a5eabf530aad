"""The session file's identity and the kept copy (issue 14, eleventh round).

Seen by the tenth review: another agent's session file copied over this agent's path
was written into (exit 0), the kept copy with it; ``git reset --hard`` to a commit
holding an earlier session of the same agent got exit 6 saying "a write went into the
older version" and advice to merge two sessions; ``merge-kept`` refused a line changed
on one side only (a tick, a reworded line); after it, ``GIT_COMMIT`` was the kept
copy's, not ``HEAD``. Real git and the installed console script throughout; every
advised command is run as a person pastes it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, commit_all, git
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kept_merge_ninth import KEPT, SESSION, _progress, _start, _steps

from ai_protocols.session.layout import new_session_text, other_session
from ai_protocols.session.merge import lines_dropped, merge_diverged_bytes

from conftest import CLI, Runner

A, B = "agent1.1796000000", "agent3.1796000001"
FILE_A = f".ai/session-context.d/{A}.org"
KEPT_A = f".ai/.locks/live/session-context.d/{A}.org"


def _paste(cwd: Path, said: str, start: str) -> None:
    """Run, through bash, the one command in parentheses in ``said`` that begins with
    ``start`` (the message's own quoting, lean.shell_quote); it must succeed."""
    commands = [c for c in re.findall(r"\(((?:mv|cp|git) [^()]*)\)", said) if c.startswith(start)]
    assert commands, said
    env = {**os.environ, **GIT_ENV, "PATH": f"{CLI.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", commands[0]], cwd=cwd, capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, (commands[0], done.stderr)


def _two_agents(project: Path, run: Runner) -> None:
    run("start", "--objective", "mine", agent=A)
    commit_all(project, "a starts")
    run("log", "--progress", "MY UNCOMMITTED WORK", agent=A)
    run("start", "--objective", "other", agent=B)


def test_another_agents_file_copied_in_place_is_refused(project: Path, run: Runner) -> None:
    """Point 1: ``cp B.org A.org`` writes into A's file in place: A's next write is
    refused (exit 6), naming both sessions, nothing written. The kept copy, a copy of
    its own since the seventeenth round (a hard link took the ``cp`` too, and A's
    uncommitted entry was lost), still holds A's session: the ``mv && cp`` advised,
    pasted, gives back A's uncommitted entry and keeps B's file aside."""
    _two_agents(project, run)
    kept = (project / KEPT_A).read_bytes()
    shutil.copyfile(project / f".ai/session-context.d/{B}.org", project / FILE_A)
    before = (project / FILE_A).read_bytes()
    refused = run("log", "--progress", "y", agent=A, check=False)
    assert refused.returncode == 6, refused.stderr
    assert A in refused.stderr and B in refused.stderr and "'other'" in refused.stderr
    assert (project / FILE_A).read_bytes() == before
    assert (project / KEPT_A).read_bytes() == kept  # (nothing written over A's)
    _paste(project, refused.stderr, "mv ")
    run("log", "--progress", "after", agent=A)
    text = (project / FILE_A).read_text()
    assert {"MY UNCOMMITTED WORK", "after"} <= _progress(text), text
    assert f":AGENT_ID: {A}" in text and "other" not in _progress(text), text


def test_another_agents_file_put_in_place_is_refused(project: Path, run: Runner) -> None:
    """Point 1: another session's file put at A's path as a new file (a ``mv``, a copy
    by a tool that replaces): refused, the kept copy untouched; the ``mv && cp``
    advised, pasted, gives back A's uncommitted entry and keeps B's file aside."""
    _two_agents(project, run)
    kept = (project / KEPT_A).read_bytes()
    other = project / f".ai/session-context.d/{B}.org"
    (project / "tmp.org").write_bytes(other.read_bytes())
    os.replace(project / "tmp.org", project / FILE_A)
    refused = run("log", "--progress", "y", agent=A, check=False)
    assert refused.returncode == 6, refused.stderr
    assert A in refused.stderr and B in refused.stderr, refused.stderr
    assert (project / FILE_A).read_bytes() == other.read_bytes()
    assert (project / KEPT_A).read_bytes() == kept
    merge = run("merge-kept", agent=A, check=False)  # (two sessions: never merged)
    assert merge.returncode == 6 and B in merge.stderr, merge.stderr
    assert (project / KEPT_A).read_bytes() == kept
    _paste(project, refused.stderr, "mv ")
    run("log", "--progress", "after", agent=A)
    text = (project / FILE_A).read_text()
    assert {"MY UNCOMMITTED WORK", "after"} <= _progress(text), text
    assert (project / (FILE_A + ".other")).read_bytes() == other.read_bytes()


def test_a_reset_to_an_earlier_session_is_not_merged(project: Path, run: Runner) -> None:
    """Point 2: a first session wrapped up and committed, a second of the same agent
    (started the same minute), ``git reset --hard`` to the first's commit: the write and
    ``merge-kept`` refuse (exit 6) saying the file is another session, not an older
    version; resume says so too; the advice pasted gives back the second session."""
    run("start", "--objective", "first", agent=A)
    run("log", "--progress", "first session entry", agent=A)
    commit_all(project, "first")
    old = git(project, "rev-parse", "HEAD").strip()
    run("wrap-up", "first done", agent=A)
    commit_all(project, "wrapped")
    run("start", "--objective", "second", agent=A)
    run("log", "--progress", "second committed", agent=A)
    commit_all(project, "second")
    run("log", "--progress", "SECOND UNCOMMITTED", agent=A)
    kept = (project / KEPT_A).read_bytes()
    git(project, "reset", "-q", "--hard", old)
    file = (project / FILE_A).read_bytes()
    refused = run("log", "--progress", "z", agent=A, check=False)
    assert refused.returncode == 6, refused.stderr
    assert "another session" in refused.stderr and "'second'" in refused.stderr
    assert "older version" not in refused.stderr and "merge-kept" not in refused.stderr
    merge = run("merge-kept", agent=A, check=False)
    assert merge.returncode == 6 and "another session" in merge.stderr, merge.stderr
    assert (project / FILE_A).read_bytes() == file and (project / KEPT_A).read_bytes() == kept
    assert "another session" in run("resume", agent=A).stdout
    _paste(project, refused.stderr, "mv ")
    run("log", "--progress", "z", agent=A)
    assert {"second committed", "SECOND UNCOMMITTED", "z"} <= \
        _progress((project / FILE_A).read_text())


def _one_side_changes(project: Path, run: Runner, *, both: bool) -> tuple[str, bytes]:
    """A committed person's note line; a write at an older commit that ticks ``step 1``
    (the kept copy), back at the branch (the file), where a person rewords the note
    (and, with ``both``, the kept copy rewords it too, differently)."""
    _start(project, run)
    path = project / SESSION
    text = path.read_text().replace("** Progress\n", "** Progress\nA person note.\n", 1)
    path.write_text(text)
    _steps(project, run, 3)
    git(project, "checkout", "-q", "HEAD~2")
    run("log", "--done", "step 1", "--progress", "testing old")
    if both:
        kept = (project / KEPT).read_text().replace("A person note.", "The tool's note.")
        (project / KEPT).write_text(kept)
    git(project, "checkout", "-q", "-f", "-")
    person = path.read_text().replace("A person note.", "A person's reworded note.")
    path.write_text(person)
    return person, (project / KEPT).read_bytes()


def test_merge_kept_takes_a_line_changed_on_one_side(project: Path, run: Runner) -> None:
    """Point 3: the kept copy ticked ``step 1``, a person reworded a note in the file:
    merge-kept (three ways against the committed version both derive from) keeps the
    tick, the reworded line and every entry of both. Point 4: the result's GIT_COMMIT
    and GIT_BRANCH are HEAD's, not the kept copy's (written at the older commit)."""
    _person, kept = _one_side_changes(project, run, both=False)
    done = run("merge-kept", check=False)
    assert done.returncode == 0, done.stderr
    text = (project / SESSION).read_text()
    assert "A person's reworded note." in text and "A person note." not in text, text
    assert re.search(r"^- \[X\] \[[^]]*\] step 1$", text, re.MULTILINE), text
    assert {"step 1", "step 2", "step 3", "testing old"} <= _progress(text), text
    head = git(project, "rev-parse", "HEAD").strip()
    branch = git(project, "branch", "--show-current").strip()
    assert f":GIT_COMMIT: {head}" in text and f":GIT_BRANCH: {branch}" in text, text
    assert f":GIT_COMMIT: {head}" not in kept.decode()  # (the kept copy's is HEAD~2)


def test_merge_kept_refuses_a_line_changed_on_both_sides(project: Path, run: Runner) -> None:
    """Point 3: the same line changed differently on both sides: refused (exit 6),
    nothing written, the advice names what to do."""
    person, kept = _one_side_changes(project, run, both=True)
    done = run("merge-kept", check=False)
    assert done.returncode == 6, done.stderr
    assert "nothing was written" in done.stderr and "cp " in done.stderr, done.stderr
    assert (project / SESSION).read_text() == person
    assert (project / KEPT).read_bytes() == kept


# -- pure functions: the merge's rule and the identity rule ----------------------------------

_BASE = new_session_text(agent_id=A, host="h", title=None,
                         now=__import__("datetime").datetime(2026, 1, 1, 10, 0),
                         updated_at="2026-01-01T10:00:00+00:00 h abcd 5.0")
_word = st.text("abcdefgh xyz", min_size=1, max_size=8).map(str.strip).filter(bool)


def _with(text: str, progress: list[str], notes: list[str], at: str) -> str:
    """``text`` with Progress items and free lines, its UPDATED_AT ``at``."""
    items = "".join(f"{p}\n" for p in progress) + "".join(f"{n}\n" for n in notes)
    text = text.replace(":CUSTOM_ID: progress\n:END:\n", f":CUSTOM_ID: progress\n:END:\n{items}")
    return re.sub(r":UPDATED_AT: .*", f":UPDATED_AT: {at}", text)


@settings(max_examples=60, deadline=None)
@given(st.lists(_word, min_size=1, max_size=5, unique=True), st.data())
def test_merge_keeps_every_line_or_its_one_side_change(words: list[str], data) -> None:
    """Whenever the merge of the file and the kept copy against the version both derive
    from gives a result, it holds every line of both sides, a line that the base held
    and one side changed (ticked, reworded) only in its changed form; each side's added
    entries all there. When only one side changed lines of the base, it always gives
    one (both changing neighbouring lines may conflict, as in git-merge-file(1))."""
    progress = [f"- [ ] [2026-01-01 Thu 10:0{i}] step {w}" for i, w in enumerate(words)]
    notes = [f"note {w}" for w in words]
    base = _with(_BASE, progress, notes, "2026-01-01T10:05:00+00:00 h abcd 305.0")
    sides, changed = [], []
    for name, at in (("file", "2026-01-01T10:06:00+00:00 h abcd 365.0"),
                     ("kept", "2026-01-01T10:07:00+00:00 h abcd 425.0")):
        mine = list(progress)
        mine_notes = list(notes)
        ticks = data.draw(st.sets(st.integers(0, len(words) - 1)), label=f"{name} ticks")
        for i in ticks:
            mine[i] = mine[i].replace("[ ]", "[X]", 1)
        rewords = data.draw(st.sets(st.integers(0, len(words) - 1)), label=f"{name} rewords")
        for i in rewords:
            mine_notes[i] = f"{name} reworded {words[i]}"
        changed.append(bool(ticks or rewords))
        added = data.draw(st.lists(_word, max_size=3, unique=True), label=f"{name} adds")
        mine += [f"- [ ] [2026-01-01 Thu 11:0{i}] {name} {w}" for i, w in enumerate(added)]
        sides.append(_with(_BASE, mine, mine_notes, at).encode())
    older, newer = sides
    result = merge_diverged_bytes(older, newer, base.encode())
    if not all(changed):  # (lines changed on one side only: always merged)
        assert result is not None
    if result is None:
        return
    merged = result.data
    assert lines_dropped(older, merged, base.encode(), newer) == []
    assert lines_dropped(newer, merged, base.encode(), older) == []
    text = merged.decode()
    for side in sides:  # (each one-side change there in its changed form)
        for line in side.decode().splitlines():
            if line.startswith(("note ", "file reworded", "kept reworded")) and \
                    line not in base and all(line not in s.decode() for s in sides
                                             if s is not side):
                assert line in text.splitlines(), (line, text)


@given(st.dictionaries(st.sampled_from(["AGENT_ID", "STARTED", "OBJECTIVE", "SESSION_TITLE",
                                        "UPDATED_AT"]), _word),
       st.dictionaries(st.sampled_from(["AGENT_ID", "STARTED", "OBJECTIVE", "SESSION_TITLE",
                                        "UPDATED_AT"]), _word))
def test_identity_rule(one: dict[str, str], two: dict[str, str]) -> None:
    """One session with itself; the same UPDATED_AT (a person's save) is one session;
    else two differ exactly when a field both hold differs; the objective or the title
    alone not when the two texts share an entry (one session's versions, the objective
    changed by start or by a person on another clone) or record an objective change."""
    assert other_session(one, dict(one)) is None
    said = other_session(one, two)
    same_write = bool(one.get("UPDATED_AT")) and one.get("UPDATED_AT") == two.get("UPDATED_AT")
    differs = [k for k in ("AGENT_ID", "STARTED", "OBJECTIVE", "SESSION_TITLE")
               if one.get(k) and two.get(k) and one[k] != two[k]]
    assert (said is not None) == (bool(differs) and not same_write), (one, two, said)
    entry = "- [ ] [2026-01-01 Thu 10:00] step\n"
    start = "- [2026-01-01 Thu 10:00] start: session started\n"
    shared = other_session(one, two, lambda: (start + entry, entry + "- [X] [2026-01-01 x] y\n"))
    apart = other_session(one, two, lambda: (start + entry, start))
    hard = {"AGENT_ID", "STARTED"} & set(differs)
    assert (shared is not None) == (bool(hard) and not same_write), (one, two, shared)
    assert apart == said


_FIELDS = ["AGENT_ID", "STARTED", "OBJECTIVE", "SESSION_TITLE", "HOST"]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _word),
       st.dictionaries(st.sampled_from(_FIELDS), _word), st.booleans())
def test_an_earlier_file_is_judged_by_the_same_identity_rule(
        session: dict[str, str], at_write: dict[str, str], changed: bool) -> None:
    """One rule of "the same session" for a session file against its kept copy and for
    an earlier-entries file against its session (``rollover.same_session``): the agent
    id and start must be alike (an earlier file records what its session had), the
    objective and title when both hold one (the objective may change when the Log says
    so); ``HOST`` is not identity (a takeover or a resume from a pause on another
    machine changes it): an earlier file written before such a move stays the
    session's."""
    from ai_protocols.session.rollover import SESSION_IDENTITY, same_session

    drawer = {named: at_write[own] for own, named in SESSION_IDENTITY if own in at_write}
    drawer["SESSION_HOST"] = "elsewhere"
    fixed = [k for k in ("AGENT_ID", "STARTED") if session.get(k) != at_write.get(k)]
    soft = [k for k in ("OBJECTIVE", "SESSION_TITLE") if session.get(k) and at_write.get(k)
            and session[k] != at_write[k] and not (k == "OBJECTIVE" and changed)]
    assert same_session(drawer, session, objective_changed=changed) == (not fixed and not soft)
    assert same_session(drawer, {**session, "HOST": "here"}, objective_changed=changed) == \
        same_session(drawer, session, objective_changed=changed)
    if not fixed and not soft and not changed:
        assert other_session(at_write, session) is None
