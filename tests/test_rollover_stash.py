"""A rolled-over session file and git's stash, branches and merges (issue 16, eighth
review; docs/git.md, docs/merge-driver.md, docs/decisions.md "Issue 16, eighth review
(rollover vs git stash and merges)").

1. ``git stash -u`` of an uncommitted rollover, then a write: the write does not make
   the stash's earlier-entries file again (``git stash pop`` would refuse it, "already
   exists"), says where the newer version is (only in the stash) and what brings it
   back; the commands it names do. The same for a branch that holds the file
   (``git checkout`` back to it works). The warning names where git holds the newer
   version: the stash, a branch, a tag.
2. One clone rolls over while the other edits an entry that moved: the merge is clean,
   the edit stays in the live file, and ``show --all`` gives the entry once, edited.

Real git in temporary repositories (real clones of a bare origin, ``git merge``
running the installed driver), the installed console script as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_merge_driver import Clones
from test_merge_eighth import near_the_bound
from test_rollover import CONTEXT, filler, insert, sample, started

from ai_protocols.lean import datetime
from ai_protocols.session.layout import earlier_link_line
from ai_protocols.session.merge import merge_session_bytes
from ai_protocols.session.rollover import BOUND, read_whole

from conftest import Runner
from emacs import assert_reader_agrees, org_element


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c",
                           "user.email=t@t", *args], capture_output=True, text=True,
                          check=check)


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A", ".ai")
    git(project, "commit", "-qm", message)


def earlier_files(project: Path) -> list[Path]:
    folder = project / ".ai/history"
    return sorted(folder.rglob("*.org")) if folder.exists() else []


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


def past_bound(project: Path, run: Runner) -> list[str]:
    """The session, past the bound and committed: the next write rolls it over. The
    decisions' texts."""
    path = started(run, project)
    old, entries = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    commit_all(project, "the session, past the bound")
    return entries


def every_entry_once(run: Runner, entries: list[str], *logged: str) -> None:
    whole = json.loads(run("show", "--all", "--json").stdout)
    decisions = [d["text"] for d in whole["decisions"]]
    assert [t for t, n in Counter(decisions).items() if n > 1] == [], "shown twice"
    assert len(decisions) == len(entries)
    for entry in sample(entries):
        first = entry.split("\n", 1)[0].split("] ", 1)[1]
        assert decisions.count(first) == 1, first
    found = [d["text"] for d in whole["discoveries"]]
    for text in logged:
        assert found.count(text) == 1, (text, found)


@pytest.mark.parametrize("untracked", [True, False])
def test_a_stashed_rollover_comes_back_with_the_entries_written_meanwhile(
        project: Path, run: Runner, untracked: bool) -> None:
    """``git stash -u`` takes the live file's change and the new earlier file; a plain
    ``git stash`` leaves the earlier file (untracked) where it is."""
    entries = past_bound(project, run)
    run("log", "--discovery", "Rolled over")
    rolled = earlier_files(project)
    assert len(rolled) == 1
    git(project, "stash", *(["-u"] if untracked else []), "-q")
    assert earlier_files(project) == ([] if untracked else rolled)

    done = run("log", "--discovery", "Written while stashed")

    said = warnings(done.stderr)
    if untracked:  # Not made again here: the stash holds it, and git stash pop puts it back.
        assert earlier_files(project) == []
        assert len(said) == 2, done.stderr
        assert "not rolled over" in said[0] and "in the stash" in said[0]
    else:  # (the very file there: rolled over into it again)
        assert earlier_files(project) == rolled
        assert len(said) == 1, done.stderr
    assert "only in the stash" in said[-1] and "branch" not in said[-1]
    assert "git commit -m 'Session' -- " in said[-1] and "then git stash pop" in said[-1]
    # What the warning says to do brings everything back.
    git(project, "commit", "-qm", "Session", "--", str(project / CONTEXT))
    popped = git(project, "stash", "pop", check=False)
    assert popped.returncode == 0, popped.stdout + popped.stderr
    assert earlier_files(project) == rolled
    assert "<<<<<<<" not in (project / CONTEXT).read_text()
    run("log", "--discovery", "After the pop")
    every_entry_once(run, entries, "Rolled over", "Written while stashed", "After the pop")


def test_a_branch_holding_the_earlier_file_can_be_checked_out_again(
        project: Path, run: Runner) -> None:
    """The rolled-over session committed on a branch, an older one checked out: a write
    there does not make the branch's earlier file again, untracked (``git checkout``
    back would refuse: "untracked working tree files would be overwritten")."""
    entries = past_bound(project, run)
    git(project, "checkout", "-q", "-b", "rolled")
    run("log", "--discovery", "Rolled over")
    commit_all(project, "rolled over")
    git(project, "checkout", "-q", "-")
    assert earlier_files(project) == []

    done = run("log", "--discovery", "On the older branch")

    assert earlier_files(project) == []
    said = warnings(done.stderr)
    assert "not rolled over" in said[0] and "branch rolled" in said[0], done.stderr
    assert "reachable from branch rolled" in said[1] and "stash" not in said[1]
    commit_all(project, "older")
    back = git(project, "checkout", "-q", "rolled", check=False)
    assert back.returncode == 0, back.stderr
    every_entry_once(run, entries, "Rolled over")


@pytest.mark.parametrize("where", ["branch", "tag", "stash"])
def test_the_warning_says_where_git_holds_the_newer_version(
        project: Path, run: Runner, where: str) -> None:
    """A write into an older version than the one written last names where that one
    is: a branch, a tag, or only the stash (before, "a branch or tag" in every case)."""
    started(run, project)
    commit_all(project, "one")
    if where == "stash":
        run("log", "--discovery", "The newer entry")
        git(project, "stash", "-q")
    else:
        git(project, "checkout", "-q", "-b", "newer")
        run("log", "--discovery", "The newer entry")
        commit_all(project, "two")
        if where == "tag":
            git(project, "tag", "v1")
        git(project, "checkout", "-q", "-")
        if where == "tag":
            git(project, "branch", "-qD", "newer")

    done = run("log", "--discovery", "Into the older one")

    said = warnings(done.stderr)
    # (one warning: where HEAD moved is in its Log's ``moved:`` line, not said twice)
    assert len(said) == 1, done.stderr
    expected = {"branch": "reachable from branch newer", "tag": "reachable from tag v1",
                "stash": "only in the stash"}[where]
    assert expected in said[0], said[0]
    assert "branch or tag" not in said[0]
    log = (project / CONTEXT).read_text()
    assert ("(git stash)" in log) == (where == "stash")
    if where == "stash":  # the advice works for a file that did not roll over too
        git(project, "commit", "-qm", "Session", "--", str(project / CONTEXT))
        popped = git(project, "stash", "pop", check=False)
        assert popped.returncode == 0, popped.stdout + popped.stderr
        text = (project / CONTEXT).read_text()
        assert "The newer entry" in text and "Into the older one" in text
        assert "<<<<<<<" not in text



@pytest.mark.parametrize("how", ["reset", "older stash entry"])
def test_a_newer_version_only_a_reflog_holds_is_said_so_in_the_refusal(
        project: Path, run: Runner, how: str) -> None:
    """No ref reaches the newer version, only a reflog (HEAD's after ``git reset --hard
    HEAD~``; refs/stash's for a stash entry older than the last): the write is refused
    as before (exit 6), and the refusal says a reflog alone holds it, naming the blob."""
    path = started(run, project)
    (project / "other.txt").write_text("one\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "one")
    run("log", "--discovery", "The newer entry")
    if how == "reset":
        commit_all(project, "two")
        git(project, "reset", "-q", "--hard", "HEAD~")
    else:
        git(project, "stash", "-q")
        (project / "other.txt").write_text("two\n")
        git(project, "stash", "-q")  # (the session's newer version: stash@{1} now)
    before = path.read_bytes()

    refused = run("log", "--discovery", "Over the older one", check=False)

    assert refused.returncode == 6, refused.stderr
    assert "only in a reflog" in refused.stderr and "git show " in refused.stderr
    assert path.read_bytes() == before


# -- 2. A merge: one clone rolled over, the other edited an entry that moved ---------------


def rolled_and_edited(base: Path, edit: str) -> tuple[Clones, list[str], str, str]:
    """Two clones of a session 50 kB under the bound; ``one`` passes the bound with a big
    decision and rolls over at its next write (its oldest decisions move to an earlier
    file); ``two`` edits, in its live file, a decision that moved on ``one``: its first
    line (``edit="first"``: a typo fixed) or the line under it (``"under"``). Both
    committed. The base's decision texts, the edited one's old and new text."""
    clones, texts = near_the_bound(base)
    one, two = Runner(clones.one), Runner(clones.two)
    one("log", "--discovery", "One rolls over")
    moved = earlier_files(clones.one)
    assert len(moved) == 1 and "old decision 000003 " in moved[0].read_text()
    theirs = clones.two / CONTEXT
    text = theirs.read_text()
    if edit == "first":
        was, now = "old decision 000003 ", "old decision 000003 (typo fixed) "
    else:
        was, now = "because old 000003\n", "because old 000003, as the tests showed\n"
    assert text.count(was) == 1
    theirs.write_text(text.replace(was, now))  # (a person, in Emacs)
    two("log", "--discovery", "Two logs")
    clones.commit(clones.one, "one")
    git(clones.one, "branch", "mine")
    clones.commit(clones.two, "two")
    return clones, texts, was, now


@pytest.mark.parametrize("edit", ["first", "under"])
def test_an_entry_edited_on_one_clone_and_moved_out_on_the_other_merges_once_edited(
        tmp_path: Path, edit: str) -> None:
    clones, texts, was, now = rolled_and_edited(tmp_path.resolve(), edit)

    merged = clones.merge_two_into_one()

    assert merged.returncode == 0, merged.stdout + merged.stderr
    live = (clones.one / CONTEXT).read_text()
    assert "<<<<<<<" not in live and now in live  # (the edit, in the live file)
    if edit == "first":  # (Org reads the merged file, the drawer's new line too)
        parsed = org_element([clones.one / CONTEXT])[0]
        assert_reader_agrees(clones.one / CONTEXT, parsed)
    whole = json.loads(Runner(clones.one)("show", "--all", "--json").stdout)
    decisions = [d["text"] for d in whole["decisions"]]
    assert [t for t, n in Counter(decisions).items() if n > 1] == [], "shown twice"
    assert len(decisions) == len(texts) + 1  # every one once, and one's big decision
    shown = json.dumps(whole)
    assert now.strip() in shown and was.strip() + ("\\n" if edit == "under" else "") \
        not in shown.replace(now.strip(), "")
    # The same the other way round: two merges one's commit.
    git(clones.two, "fetch", "-q", str(clones.one), "mine")
    other = git(clones.two, "merge", "--no-edit", "FETCH_HEAD", check=False)
    assert other.returncode == 0, other.stdout + other.stderr
    assert (clones.two / CONTEXT).read_bytes() == (clones.one / CONTEXT).read_bytes()


_TEXT = st.text(st.sampled_from("ab c#*[]:-"), min_size=1, max_size=10).map(str.strip) \
    .filter(bool)


def _at(minute: int) -> datetime:
    return datetime(2026, 1, 1, minute // 60, minute % 60)


def _entry(minute: int, text: str, under: str | None) -> str:
    stamp = _at(minute).strftime("[%Y-%m-%d %a %H:%M]")
    return f"- {stamp} {text}\n" + (f"  - Rationale: {under}\n" if under else "")


def _live(decisions: list[str], link: str | None) -> bytes:
    head = ("#+TITLE: Session\n\n* Session: Work\n:PROPERTIES:\n:STARTED:  [2026-01-01 Thu "
            "00:00]\n:STATUS:   active\n:UPDATED:  [2026-01-01 Thu 09:00]\n:END:\n"
            "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nWork.\n")
    earlier = ("** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n" + link + "\n"
               if link else "")
    return (head + earlier + "** Decisions\n:PROPERTIES:\n:CUSTOM_ID: decisions\n:END:\n" +
            "".join(decisions)).encode()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_TEXT, st.one_of(st.none(), _TEXT)), min_size=2, max_size=8),
       st.data())
def test_an_edit_of_an_entry_the_other_side_moved_out_is_kept_once_property(
        tmp_path: Path, entries: list[tuple[str, str | None]], data: st.DataObject) -> None:
    """Any decisions (any text, the same text twice, a line under some): ours rolled the
    oldest ``k`` over (its earlier file links their range), theirs edited one of them (its
    first line or the line under it) and logged one more. The merge has no conflict, is
    the same whichever side is ours, keeps the edit in the live file, and ``show --all``
    (``read_whole``) gives every decision once: the edited one as edited."""
    base = [_entry(n, text, under) for n, (text, under) in enumerate(entries)]
    k = data.draw(st.integers(1, len(entries) - 1))
    j = data.draw(st.integers(0, k - 1))
    text, under = entries[j]
    if data.draw(st.booleans()):
        new = (text + " " + data.draw(_TEXT), under)
    else:
        new = (text, (under or "") + " " + data.draw(_TEXT))
    assume(new[0] not in [t for t, _ in entries])  # (a first line edited into another's:
    # not an edit the driver can be sure of)
    name = f"{_at(0):%Y-%m-%dT%H-%M}--{_at(k - 1):%Y-%m-%dT%H-%M}-0123abcd.org"
    link = earlier_link_line(f"history/live/{name}", _at(0), _at(k - 1), k)
    edited = [*base[:j], _entry(j, *new), *base[j + 1:]]
    later = _entry(len(entries) + 5, "theirs later", None)
    ours = _live(base[k:], link)
    theirs = _live([*edited, later], None)
    one = merge_session_bytes(_live(base, None), ours, theirs)
    two = merge_session_bytes(_live(base, None), theirs, ours)
    assert one is not None and two is not None
    assert not one.conflicts and one.data == two.data
    assert one.data.decode().count(_entry(j, *new)) == 1
    folder = tmp_path / "history" / "live"  # (live.org's own folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("* Earlier entries\n** Decisions\n:PROPERTIES:\n"
                               ":CUSTOM_ID: decisions\n:END:\n" + "".join(base[:k]))
    whole = read_whole(str(tmp_path / "live.org"), one.data.decode())
    shown = [(e.text, (e.rationale or "").strip()) for e in whole.entries["decision"]]
    expected = [(t, (u or "").strip()) for t, u in [*entries[:j], new, *entries[j + 1:]]]
    assert shown == [*expected, ("theirs later", "")]
