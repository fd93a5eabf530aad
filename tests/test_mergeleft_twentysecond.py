"""Issue 14, twenty-second round: what the last round left of the session files' merge
driver and stale saves (docs/decisions.md, "Issue 14, twenty-second round (...)").

1. a ``git pull --rebase``, the agent's write left uncommitted, a buffer opened before that
   write saved over the file, then a second ``git pull --autostash``: the agent's entry,
   held only by the kept copy, was lost (the merged file carries a newer write record);
2. a person retyped the pause's note on one clone, the agent resumed on the other: the
   merge stayed paused (the person's edit of the status unit stood over the resume);
3. two objectives set by the tool: the side updated last's stood, not the later
   ``objective:`` line's;
4. a person's edit of ``OWNER`` on a clone whose agent also wrote counted as the tool's,
   and gave way to the other clone's take-over in silence.

Real clones of a bare origin, real ``git pull``, the installed ``ai-protocols`` as the
merge driver and as the agent's command; saves written as Emacs writes a buffer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push, save, two_clones
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mergeprops_twentyfirst import (
    MARKERS,
    VALUES,
    _driver,
    _value,
    both_ways,
    emacs_set,
    merge_lines,
    one_session,  # noqa: F401 (the module fixture of the property test below)
    shown,
)
from test_stale_twentyfirst import follow

from ai_protocols.session.layout import read_entries

from conftest import CLI, Runner, as_last_written, clean_env

SESSION = Path(".ai") / "session-context.org"

# -- 1. the agent's uncommitted entry, a stale save, a second pull ---------------------------

#: The second pull, which carries the stale save (uncommitted) through git's stash.
SECOND = {"autostash": ["--no-rebase", "--autostash"],
          "rebase-autostash": ["--rebase", "--autostash"]}


def _uncommitted_under_a_stale_save(base: Path, layout: str, how: str, opened: str,
                                    typed: bool) -> tuple[Agent, Agent]:
    """The agent's ``A-decision`` committed; ``git pull --rebase`` brings ``B-entry``; the
    agent logs ``A-after-pull`` (not committed: only the kept copy and the file hold it);
    a buffer opened before that write (before the pull, or after it) is saved, a typed
    item in it or nothing; the other clone logs ``B2-entry`` and pushes it."""
    run_a, run_b = two_clones(base, layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    run_a("log", "--decision", "A-decision", "--rationale", "why")
    commit(run_a.cwd, "a log")
    buffer = run_a.path.read_bytes()
    git(run_a.cwd, "pull", "-q", "--rebase", "origin", "main")
    if opened == "after-pull":
        buffer = run_a.path.read_bytes()
    run_a("log", "--discovery", "A-after-pull")
    save(run_a.path, buffer + (b"- [ ] TYPED-note\n" if typed else b""), how)
    assert "A-after-pull" not in run_a.path.read_text()
    run_b("log", "--progress", "B2-entry")
    push(run_b, "b log 2")
    return run_a, run_b


def _holds_each_once(run: Agent, typed: bool, *more: str) -> None:
    text = run.path.read_text()
    for kept in ("] first step\n", "] B-entry\n", "] A-decision\n", "] A-after-pull\n",
                 "] B2-entry\n", "] A-next\n", *more):
        assert text.count(kept) == 1, (kept, text)
    assert text.count("- [ ] TYPED-note\n") == (1 if typed else 0), text


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("opened", ["before-pull", "after-pull"])
@pytest.mark.parametrize("second", list(SECOND))
@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_an_uncommitted_write_under_a_stale_save_survives_a_second_pull(
        tmp_path: Path, layout: str, how: str, second: str, opened: str,
        typed: bool) -> None:
    """The set-up above, then ``git pull --autostash`` (merging or rebasing) carries the
    save through git's stash and the merge driver (with nothing typed, the save is the
    pulled version and the pull a fast-forward). The next write (its refusal's advice
    followed, if it refuses) holds every entry once, ``A-after-pull`` too; ``status``
    said beforehand that it would merge it back."""
    run_a, _run_b = _uncommitted_under_a_stale_save(tmp_path.resolve(), layout, how,
                                                    opened, typed)
    git(run_a.cwd, "pull", "-q", *SECOND[second], "--no-edit", "origin", "main")
    assert "<<<<<<<" not in run_a.path.read_text()
    assert "A-after-pull" not in run_a.path.read_text()
    said = " ".join(run_a("status").stdout.split())
    # (what the write does, said first: it merges the entry back, or refuses until the
    # three are merged; never a cp, never "nothing to do")
    assert re.search(r"merges (the two|them back) on its own|refuses it \(exit 6\)", said), said
    assert "cp " not in said, said
    follow(run_a, "log", "--progress", "A-next")
    _holds_each_once(run_a, typed)


@pytest.mark.parametrize("committed", [False, True])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_an_uncommitted_write_under_a_stale_save_survives_several_pulls(
        tmp_path: Path, layout: str, committed: bool) -> None:
    """The same over three pulls before the next write (the save left to the autostash,
    or committed after the second pull and merged by the third): the file still lacks
    ``A-after-pull`` and carries an ever newer record; the write brings it back."""
    run_a, run_b = _uncommitted_under_a_stale_save(tmp_path.resolve(), layout, "rename",
                                                   "after-pull", True)
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--autostash", "--no-edit", "origin", "main")
    if committed:
        commit(run_a.cwd, "the save, pulled")
    run_b("log", "--progress", "B3-entry")
    push(run_b, "b log 3")
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--autostash", "--no-edit", "origin", "main")
    assert "A-after-pull" not in run_a.path.read_text()
    follow(run_a, "log", "--progress", "A-next")
    _holds_each_once(run_a, True, "] B3-entry\n")


def test_a_persons_committed_deletion_of_an_uncommitted_entry_stands(tmp_path: Path) -> None:
    """The guard: a person deletes the agent's uncommitted ``A-after-pull`` in a buffer
    opened after that write, commits the file, and pulls (a merge through the driver):
    a committed version carries the write's record, so the deletion was made on it, by
    a person, and the next write does not bring the entry back."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    run_a("log", "--discovery", "A-after-pull")
    text = run_a.path.read_text()
    save(run_a.path, re.sub(r"- \[[^\n]*\] A-after-pull\n", "", text).encode(), "rename")
    assert "A-after-pull" not in run_a.path.read_text()
    commit(run_a.cwd, "the person drops the discovery")
    run_b("log", "--progress", "B2-entry")
    push(run_b, "b log 2")
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    run_a("log", "--progress", "A-next")
    text = run_a.path.read_text()
    assert "A-after-pull" not in text and "] B2-entry\n" in text and "] A-next\n" in text


# -- 2, 3, 4. the drawer's values in a merge -------------------------------------------------


def at(clone: Path, minutes: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` in ``clone`` with the clock ``minutes`` ahead (libfaketime): a
    write of a later minute than the others'."""
    faketime = shutil.which("faketime")
    assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
    done = subprocess.run([faketime, "-f", f"+{minutes}m", str(CLI), *args], cwd=clone,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def paused(base: Path) -> Clones:
    """Two clones of one session paused (``pause --note``) on the first, committed."""
    clones = Clones(base.resolve())
    Runner(clones.one)("pause", "--note", "the base's note")
    clones.commit(clones.one, "paused")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    return clones


@pytest.mark.parametrize("agent_wrote_there", [False, True])
def test_a_resume_stands_over_a_pause_note_a_person_retyped_which_the_log_keeps(
        tmp_path: Path, agent_wrote_there: bool) -> None:
    """A person retypes the paused session's note in Emacs on one clone (its agent
    logging there too, or not) while the agent resumes the session on the other: the
    merge, whichever clone makes it, is the same bytes, the session active (the resume's
    change of status stands over an edit of its note), the person's note in the Log
    whole, and the next ``start`` resumes nothing (it carries the active session on)."""
    clones = paused(tmp_path)
    emacs_set(clones.one, "PAUSE_NOTE", "a person's better note")
    if agent_wrote_there:
        at(clones.one, 4, "log", "--progress", "A logs while paused")
    clones.commit(clones.one, "A retypes the note")
    at(clones.two, 2, "start")
    assert shown(clones.two)["status"] == "active"
    clones.commit(clones.two, "B resumes")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    merged = (clones.two / SESSION).read_bytes()
    assert merged == (clones.one / SESSION).read_bytes()
    assert not MARKERS.search(merged.decode())
    seen = shown(clones.two)
    assert (seen["status"], seen["pause_note"]) == ("active", None), seen
    assert merge_lines(clones.two) == [
        "this PAUSE_NOTE, from one clone, gave way to the other clone's (the one that "
        "changed the status): a person's better note"]
    assert [e["kind"] for e in seen["log"]].count("resumed") == 1
    Runner(clones.two)("start")
    again = shown(clones.two)
    assert again["status"] == "active"
    assert [e["kind"] for e in again["log"]].count("resumed") == 1, again["log"]


def test_a_pause_note_retyped_against_a_repause_is_still_the_persons(tmp_path: Path) -> None:
    """The guard: both sides keep the status (a person retypes the note on one clone, the
    agent pauses again with another note on the other): no change of status, so the one
    rule stands, the person's note over the tool's, the tool's in its own Log line."""
    clones = paused(tmp_path)
    emacs_set(clones.one, "PAUSE_NOTE", "a person's better note")
    clones.commit(clones.one, "A retypes the note")
    at(clones.two, 2, "pause", "--note", "the agent's second note")
    clones.commit(clones.two, "B pauses again")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    assert (clones.two / SESSION).read_bytes() == (clones.one / SESSION).read_bytes()
    seen = shown(clones.two)
    assert (seen["status"], seen["pause_note"]) == ("paused", "a person's better note")


@pytest.mark.parametrize("later", ["one", "two"])
def test_of_two_objectives_the_tool_set_the_later_line_stands(tmp_path: Path,
                                                              later: str) -> None:
    """``start --objective`` on both clones; the clone whose objective came first logs
    after it, so that it is the side updated last: the objective of the later
    ``objective:`` line stands (the side updated last's stood before), whichever clone
    merges, the same bytes; the other objective is in the Log whole (its own line)."""
    clones = Clones(tmp_path.resolve())
    first, second = (clones.two, clones.one) if later == "one" else (clones.one, clones.two)
    at(first, 1, "start", "--objective", "the earlier objective")
    at(second, 3, "start", "--objective", "the later objective")
    at(first, 5, "log", "--progress", "a step after the earlier objective")
    clones.commit(first, "the earlier objective")
    clones.commit(second, "the later objective")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    assert (clones.two / SESSION).read_bytes() == (clones.one / SESSION).read_bytes()
    seen = shown(clones.one)
    assert seen["objective"] == "the later objective"
    assert {(e["kind"], e["text"]) for e in seen["log"]} >= {
        ("objective", "the earlier objective"), ("objective", "the later objective")}
    assert merge_lines(clones.one) == []


def test_of_two_pauses_the_tool_made_the_later_pause_line_stands(tmp_path: Path) -> None:
    """The same rule for the status unit: both clones pause the session with their own
    note, the first one first, then its agent logs (so it is the side updated last): the
    note of the later ``pause:`` line stands, whichever clone merges; the other is in
    its own Log line."""
    clones = Clones(tmp_path.resolve())
    at(clones.one, 1, "pause", "--note", "the earlier pause")
    at(clones.two, 3, "pause", "--note", "the later pause")
    at(clones.one, 5, "log", "--progress", "a step while paused")
    clones.commit(clones.one, "the earlier pause")
    clones.commit(clones.two, "the later pause")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    assert (clones.two / SESSION).read_bytes() == (clones.one / SESSION).read_bytes()
    seen = shown(clones.one)
    assert (seen["status"], seen["pause_note"]) == ("paused", "the later pause"), seen
    assert ("pause", "the earlier pause") in {(e["kind"], e["text"]) for e in seen["log"]}


def test_a_persons_edit_of_the_owner_stands_over_a_take_over_on_the_other_clone(
        tmp_path: Path) -> None:
    """A person sets ``OWNER`` in Emacs on one clone, where the agent logs after (its
    write record changes, but it writes no take-over line); on the other clone a new
    agent process takes the session over later (``start`` after its owner died: a
    ``resumed:`` line). The person's edit is a person's: it stands over the tool's, both
    ways the same bytes (before, it counted as the tool's and the later take-over's
    owner took its place in silence)."""
    clones = Clones(tmp_path.resolve())
    Runner(clones.one)("wrap-up", "the first session")
    Runner(clones.one)("start", "--title", "Owned by a process that ends",
                       as_another_agent=True)
    clones.commit(clones.one, "owner gone")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    emacs_set(clones.one, "OWNER", "alice, by hand")
    at(clones.one, 1, "log", "--progress", "A logs after the edit")
    clones.commit(clones.one, "A sets the owner")
    taken = at(clones.two, 3, "start")
    clones.commit(clones.two, "B takes over")
    assert any(e["kind"] == "resumed" for e in shown(clones.two)["log"]), taken.stdout
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    merged = (clones.two / SESSION).read_text()
    assert merged == (clones.one / SESSION).read_text()
    assert re.search(r"^:OWNER:[ \t]+alice, by hand$", merged, re.M), merged


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(values=st.tuples(VALUES, VALUES).filter(lambda v: v[0] != v[1]),
       minutes=st.tuples(st.integers(1, 40), st.integers(1, 40)),
       logs_after=st.sampled_from([None, 0, 1]))
def test_of_two_objectives_the_tool_set_the_later_line_stands_property(
        one_session: tuple[Path, bytes], values: tuple[str, str],  # noqa: F811
        minutes: tuple[int, int], logs_after: int | None) -> None:
    """Any two objectives set by ``start --objective`` on two sides, each at its own
    minute (the clock moved ahead by libfaketime), one side perhaps logging later still
    (so that it is the side updated last): the installed driver, either side ours, is
    clean and gives the same bytes; the objective of the later ``objective:`` line
    stands (the same minute: either), and the other is in the Log whole."""
    root, base = one_session
    path = root / SESSION
    sides = []
    for n, (value, minute) in enumerate(zip(values, minutes, strict=True)):
        path.write_bytes(base)
        as_last_written(root, path)
        at(root, minute, "start", f"--objective={value}")
        if logs_after == n:
            at(root, 45, "log", "--progress", "a step after the objective")
        sides.append(path.read_bytes())
    status, merged = _driver(root, base, sides[0], sides[1])
    swapped, other = _driver(root, base, sides[1], sides[0])
    assert (status, swapped) == (0, 0) and merged == other
    stands = _value(merged, "OBJECTIVE")
    set_to = [_value(side, "OBJECTIVE") for side in sides]
    if minutes[0] != minutes[1]:
        assert stands == set_to[minutes.index(max(minutes))], (minutes, stands)
    assert stands in set_to
    gone = set_to[1 - set_to.index(stands)]
    log = [e.text for e in read_entries(merged.decode().split("** Log\n", 1)[1]
                                        .splitlines(True))]
    assert any(text == f"objective: {gone}" or text.startswith(f"objective: {gone} (it was")
               or (text.startswith("merge: this OBJECTIVE, ") and text.endswith(f": {gone}"))
               for text in log), (gone, log)
