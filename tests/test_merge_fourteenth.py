"""Session files that merge (issue 14, point 4), fourteenth review: both clones closing
one session, two clones' summaries, and key files listed on both. Real clones, real
``git pull`` running the installed driver, the advice's commands run as printed."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_merge_driver import IDENTITY, T0, Clones, git

from ai_protocols import LogEntry, Project
from ai_protocols.errors import InvalidText
from ai_protocols.session.layout import read_entries, read_session
from ai_protocols.session.merge import merge_session_bytes

from conftest import CLI, Runner, as_last_written, clean_env

SESSION = Path(".ai") / "session-context.org"


def _late(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` with the clock two minutes ahead (libfaketime): a write of
    a later minute than the other clone's."""
    faketime = shutil.which("faketime")
    assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
    done = subprocess.run([faketime, "-f", "+2m", str(CLI), *args], cwd=clone,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _section(text: str, title: str) -> str:
    return text.split(f"** {title}\n", 1)[1].split("\n** ", 1)[0]


def _close(run: Runner, how: str, note: str) -> None:
    if how == "wrap-up":
        run("wrap-up", note)
    else:
        run("abandon", "--reason", note)


def _follow_advice(clone: Path) -> None:
    """Run the commands ``status`` gives for two archives of one session, as printed;
    then nothing is left to resolve or commit."""
    status = Runner(clone)("status", check=False)
    found = re.search(r", with: (.*?) \(then 'ai-protocols list' shows the session once\)",
                      status.stderr)
    assert found, status.stderr
    done = subprocess.run(["bash", "-c", found.group(1)], cwd=clone,
                          env=clean_env(**IDENTITY, GIT_EDITOR="true"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(clone, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize(("first", "second", "rebase"), [
    ("wrap-up", "wrap-up", False),
    ("abandon", "abandon", False),
    ("wrap-up", "abandon", False),
    ("wrap-up", "wrap-up", True),
])
def test_both_clones_close_one_session_and_the_advice_keeps_one_archive(
        tmp_path: Path, first: str, second: str, rebase: bool) -> None:
    """f1: each clone closes the session it shares and the second pulls: git stops on a
    rename/rename of the two archives. The driver says so; ``status`` names the archive
    to keep and the commands; run as printed, they leave one archive holding every
    entry once and both closings, and ``list`` shows the session once."""
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    one("log", "--progress", "A did")
    _close(one, first, "A finished its part")
    clones.commit(clones.one, "A closes")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    two("log", "--progress", "B did")
    _close(two, second, "B finished its part")
    clones.commit(clones.two, "B closes")
    pulled = git(clones.two, "pull", "--rebase" if rebase else "--no-rebase", "--no-edit",
                 "origin", "main", check=False)
    assert pulled.returncode != 0
    assert "both clones closed this session" in pulled.stderr + pulled.stdout
    _follow_advice(clones.two)
    archives = sorted((clones.two / ".ai" / "sessions").glob("*.org"))
    assert len(archives) == 1, archives
    text = archives[0].read_text()
    assert "<<<<<<<" not in text
    progress = _section(text, "Progress")
    assert progress.count("] A did") == 1 and progress.count("] B did") == 1, progress
    log = _section(text, "Log")
    assert f"] {first}: A finished its part" in log, log
    assert f"] {second}: B finished its part" in log, log
    listed = two("list").stdout
    assert listed.count("archived") == 1, listed
    # The same choice on the other clone: it pulls the result and has one archive.
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    git(clones.one, "pull", "-q", "--no-rebase", "origin", "main")
    assert sorted(p.name for p in (clones.one / ".ai" / "sessions").glob("*.org")) == \
        [archives[0].name]


def _summarise(clones: Clones, later: str) -> tuple[str, str]:
    """Both clones log a step and a summary, ``later`` (one or two) two minutes after
    the other; two pulls and merges. Returns the merged file and git's output."""
    one, two = Runner(clones.one), Runner(clones.two)
    for clone, run, name in ((clones.one, one, "one"), (clones.two, two, "two")):
        args = ("log", "--progress", f"{name} step", "--summary", f"{name}: what I did")
        if name == later:
            _late(clone, *args)
        else:
            run(*args)
        clones.commit(clone, name)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    return (clones.two / SESSION).read_text(), pulled.stdout + pulled.stderr


@pytest.mark.parametrize("later", ["one", "two"])
def test_two_clones_summaries_merge_the_later_wins_the_other_kept_in_the_log(
        tmp_path: Path, later: str) -> None:
    """f3: no conflict; the summary of the later ``summary: updated`` stands whichever
    side is ours, the other's text is in the Log, the two Log lines stay two, and every
    command goes on (exit 0). Both clones merging get the same bytes."""
    clones = Clones(tmp_path.resolve())
    text, said = _summarise(clones, later)
    assert "CONFLICT" not in said, said
    assert "<<<<<<<" not in text
    earlier = "two" if later == "one" else "one"
    summary = _section(text, "Summary")
    assert f"{later}: what I did" in summary and f"{earlier}: what I did" not in summary
    log = _section(text, "Log")
    assert log.count("] summary: updated") == 2, log
    assert f"gave way to the other clone's (the later one): {earlier}: what I did" in log
    assert Runner(clones.two)("log", "--progress", "next").returncode == 0
    # The other clone merges the same two commits: the same file.
    git(clones.one, "fetch", "-q", "origin")
    theirs = git(clones.two, "rev-parse", "HEAD^2").stdout.strip()
    ours = git(clones.two, "rev-parse", "HEAD^1").stdout.strip()
    git(clones.one, "fetch", "-q", str(clones.two), ours)
    git(clones.one, "reset", "-q", "--hard", theirs)
    git(clones.one, "merge", "-q", "--no-edit", ours)
    assert (clones.one / SESSION).read_text() == git(clones.two, "show",
                                                      f"HEAD:{SESSION}").stdout


def test_a_summary_a_person_edited_wins_over_the_tools(tmp_path: Path) -> None:
    """The tool set the summary on one clone, a person edited it by hand on the other:
    the person's stands, the tool's is kept in the Log; both by hand: a conflict."""
    clones = Clones(tmp_path.resolve())
    Runner(clones.one)("log", "--summary", "tool summary")
    clones.commit(clones.one, "one")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    path = clones.two / SESSION
    text = path.read_text()
    path.write_text(text.replace(":CUSTOM_ID: summary\n:END:\n",
                                 ":CUSTOM_ID: summary\n:END:\nA person's summary.\n"))
    clones.commit(clones.two, "two")
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    merged = path.read_text()
    assert "A person's summary." in _section(merged, "Summary")
    assert "tool summary" not in _section(merged, "Summary")
    assert "(the one a person edited): tool summary" in _section(merged, "Log")


def test_a_summary_people_edited_on_both_clones_is_a_conflict(tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    for clone, said in ((clones.one, "First person."), (clones.two, "Second person.")):
        path = clone / SESSION
        path.write_text(path.read_text().replace(
            ":CUSTOM_ID: summary\n:END:\n", f":CUSTOM_ID: summary\n:END:\n{said}\n"))
        Runner(clone)("log", "--progress", f"step {said}")
        clones.commit(clone, said)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    assert pulled.returncode != 0
    merged = (clones.two / SESSION).read_text()
    assert "<<<<<<<" in merged and "First person." in merged and "Second person." in merged


def test_a_key_file_both_clones_listed_is_listed_once(tmp_path: Path) -> None:
    """f5: both clones ``log --key-file a.txt`` in different minutes: the merge lists it
    once (``log``'s rule), keeps a key file only one side listed, and ``log`` then says
    "listed already"."""
    clones = Clones(tmp_path.resolve())
    Runner(clones.one)("log", "--key-file", "a.txt", "--key-file", "only-one.txt")
    clones.commit(clones.one, "one")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    _late(clones.two, "log", "--key-file", "a.txt")
    clones.commit(clones.two, "two")
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    keys = _section((clones.two / SESSION).read_text(), "Key files")
    assert keys.count("] a.txt") == 1 and keys.count("] only-one.txt") == 1, keys
    resumed = Runner(clones.two)("resume").stdout
    assert resumed.count("a.txt") == 1, resumed
    again = Runner(clones.two)("log", "--key-file", "a.txt")
    assert "listed already" in again.stdout + again.stderr


def test_three_clones_close_one_session_and_converge_on_one_archive(tmp_path: Path) -> None:
    """Three clones each close the session; the second and the third pull in turn and
    follow the advice: one archive, the first by name, every clone's entry and closing
    once."""
    clones = Clones(tmp_path.resolve())
    three = tmp_path.resolve() / "three"
    git(tmp_path, "clone", "-q", "-b", "main", str(clones.origin), str(three))
    Runner(three)("init")
    names = []
    for clone, who in ((clones.one, "a"), (clones.two, "b"), (three, "c")):
        Runner(clone)("log", "--progress", f"{who} did")
        Runner(clone)("wrap-up", f"{who} finished")
        clones.commit(clone, who)
        names += [p.name for p in (clone / ".ai" / "sessions").glob("*.org")]
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    for clone in (clones.two, three):
        pulled = git(clone, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)
        assert pulled.returncode != 0
        _follow_advice(clone)
        git(clone, "push", "-q", "origin", "HEAD:main")
    archives = list((three / ".ai" / "sessions").glob("*.org"))
    assert [p.name for p in archives] == [min(names)]
    text = archives[0].read_text()
    for who in "abc":
        assert _section(text, "Progress").count(f"] {who} did") == 1
        assert _section(text, "Log").count(f"] wrap-up: {who} finished") == 1
    assert Runner(three)("list").stdout.count("archived") == 1


SUMMARIES = st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                             max_size=12) |
                     st.sampled_from(["\n", "*", ":", "[", "]", "#+", "- ", "::"]),
                     min_size=1, max_size=6).map("".join)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(SUMMARIES, SUMMARIES, st.integers(0, 3), st.integers(0, 3))
def test_two_summaries_merge_to_the_later_and_keep_the_other_whole(
        tmp_path_factory: pytest.TempPathFactory, text_a: str, text_b: str,
        minute_a: int, minute_b: int) -> None:
    """Any two summaries the tool wrote on two sides: no conflict, the later one's
    (the same minute: the side updated last) is the summary whichever side is ours, the
    same bytes both ways, and the other is in the Log whole, as the readers read it."""
    root = tmp_path_factory.mktemp("sum")
    (root / ".ai").mkdir()
    project = Project(root)
    project.start("Summaries", now=T0)
    path = project.path_of(None)
    base = path.read_bytes()
    sides = []
    for text, minute in ((text_a, minute_a), (text_b, minute_b)):
        path.write_bytes(base)
        as_last_written(root, path)  # (each side starts from the base)
        try:
            project.log(LogEntry("summary", text), now=T0 + timedelta(minutes=10 + minute))
        except InvalidText:
            assume(False)
        sides.append((path.read_bytes(), read_session(str(path), path.read_text()).summary))
    assume(sides[0][1] != sides[1][1])
    merged = [merge_session_bytes(base, sides[0][0], sides[1][0]),
              merge_session_bytes(base, sides[1][0], sides[0][0])]
    assert merged[0] is not None and merged[1] is not None
    assert not merged[0].conflicts and merged[0].data == merged[1].data
    session = read_session(str(path), merged[0].data.decode())
    # The later minute wins; in one minute, the side updated last (either here).
    winner = (0 if minute_a > minute_b else 1) if minute_a != minute_b else \
        (0 if session.summary == sides[0][1] else 1)
    assert session.summary == sides[winner][1]
    doc = merged[0].data.decode()
    log = read_entries(doc.split("** Log\n", 1)[1].splitlines(True))
    kept = [e.text for e in log if e.text.startswith("merge: this summary")]
    assert kept == [f"merge: this summary, from one clone, gave way to the other clone's "
                    f"(the later one): {sides[1 - winner][1]}"], kept
    assert [e.text for e in log].count("summary: updated") == 2
