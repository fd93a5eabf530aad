"""Session files that merge (issue 14 point 4): ``ai-protocols merge-driver``.

Real clones of a bare repository, each set up by the installed ``ai-protocols
init`` (which writes ``.ai/.gitattributes`` and the driver into the clone's
git configuration), log through the installed CLI, commit, and merge with a
real ``git merge``; git runs the installed console script as the driver.
Real Emacs judges every merged file: it must parse, and every entry of both
sides must be there exactly once (Emacs's own list items are counted). A
property test (hypothesis) merges generated sides in-process.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from clonekit import IDENTITY, Clones, git  # noqa: F401 (IDENTITY: for the tests importing it)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols import LogEntry, Project
from ai_protocols.errors import StorageError
from ai_protocols.git.driver import driver_command
from ai_protocols.org.syntax import format_timestamp
from ai_protocols.session.merge import (
    merge_properties,
    merge_session_bytes,
    run_merge_driver,
)
from ai_protocols.session.text import preview

import emacs
from conftest import CLI, Runner, as_last_written, clean_env

CORPUS = Path(__file__).parent / "corpus"
CONTEXT = Path(".ai/session-context.org")
_STAMP = re.compile(r"\[\d{4}-\d\d-\d\d [A-Za-z]{3} \d\d:\d\d\]")


@pytest.fixture
def clones(tmp_path: Path) -> Clones:
    return Clones(tmp_path.resolve())


def stamped_items(parsed: dict) -> Counter[tuple[str, str]]:
    """Emacs's stamped list items at the top of a section: (section, first line)."""
    return Counter((item["path"][-1] if item["path"] else "", item["first_line"].strip())
                   for item in parsed["items"]
                   if item["depth"] == 0 and _STAMP.match(item["first_line"]))


def checkboxes(parsed: dict) -> dict[tuple[str, str], str | None]:
    return {(item["path"][-1] if item["path"] else "", item["first_line"].strip()):
            item["checkbox"] for item in parsed["items"] if _STAMP.match(item["first_line"])}


def judge(ours: Path, theirs: Path, merged: Path) -> None:
    judge_many([(ours, theirs, merged)])


def _parses(paths: list[Path]) -> list[list[dict]]:
    """Each judging Org's parse of ``paths``: tests/emacs.py judges with one Org, or with
    each of several (``parse_each``), which may differ on a person's file: each is
    checked on its own."""
    each = getattr(emacs, "parse_each", None)
    return each(paths) if each is not None else [emacs.org_element(paths)]


def judge_many(triples: list[tuple[Path, Path, Path]]) -> None:
    """Emacs parses each (ours, theirs, merged) in one batch; each merged file holds
    every stamped item of both sides exactly once (a Log line: as many times as either
    side holds it, at most as both together), ticks kept, and the library reads it as
    Emacs does."""
    parses = _parses([path for triple in triples for path in triple])
    for parsed in parses:
        for number, (_ours, _theirs, merged) in enumerate(triples):
            parsed_ours, parsed_theirs, parsed_merged = parsed[3 * number: 3 * number + 3]
            if parsed_merged == parses[0][3 * number + 2]:  # the library reads as the first
                emacs.assert_reader_agrees(merged, parsed_merged)  # (the reference) Org
            items = stamped_items(parsed_merged)
            expected = set(stamped_items(parsed_ours)) | set(stamped_items(parsed_theirs))
            assert set(items) == expected, (merged, set(items) ^ expected)
            sides = (stamped_items(parsed_ours), stamped_items(parsed_theirs))
            # A Log line is a write's record: one both sides wrote alike stays twice
            # (docs/merge-driver.md); every other item is there once.
            assert all(count == 1 if key[0] != "Log" else
                       max(sides[0][key], sides[1][key]) <= count
                       <= sides[0][key] + sides[1][key]
                       for key, count in items.items()), (merged, items)
            boxes = checkboxes(parsed_merged)
            for side in (parsed_ours, parsed_theirs):
                for key, box in checkboxes(side).items():
                    if box == "on":  # a tick on either side stays
                        assert boxes[key] == "on", (merged, key)


def test_two_clones_log_and_merge_without_a_conflict(clones: Clones) -> None:
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "Work on two", "--decision", "Use a heap",
        "--rationale", "It is faster")
    two("log", "--done", "Write the tests", "--discovery", "Found on two")
    clones.commit(clones.two, "two")
    one("log", "--progress", "Work on one", "--blocker", "CI is down on one")
    clones.commit(clones.one, "one")
    ours = clones.one.parent / "ours.org"
    shutil.copyfile(clones.one / CONTEXT, ours)
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert git(clones.one, "status", "--porcelain").stdout == ""
    text = (clones.one / CONTEXT).read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    judge(ours, clones.two / CONTEXT, clones.one / CONTEXT)
    shown = one("show", "--json").stdout
    for words in ("Work on one", "Work on two", "Use a heap", "Found on two",
                  "CI is down on one"):
        assert shown.count(words) >= 1
    # The merged file goes on as a session: both clones log on, and merge again.
    two_after = clones.merge_two_into_one()  # nothing new: already up to date
    assert two_after.returncode == 0
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    assert (clones.two / CONTEXT).read_bytes() == (clones.one / CONTEXT).read_bytes()


def test_the_driver_is_the_installed_console_script(clones: Clones) -> None:
    driver = git(clones.one, "config", "--local", "--get-all", "merge.ai-protocols.driver").stdout
    assert driver.splitlines() == [f"{CLI} merge-driver --marker-size %L %O %A %B %P"]
    attribute = git(clones.one, "check-attr", "merge", "--", str(CONTEXT),
                    ".ai/session-context.d/x.org", ".ai/sessions/2026-11-21-10-12-a.org").stdout
    assert attribute.count("merge: ai-protocols") == 3, attribute


def test_without_the_console_script_the_driver_is_this_interpreter(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run as ``python -m ai_protocols`` (argv[0] is no ``ai-protocols`` script), the
    command git is given runs this interpreter by its absolute path, and works."""
    monkeypatch.setattr(sys, "argv", [str(Path(ai_protocols.__file__).parent / "__main__.py")])
    command = driver_command()
    assert command == f"{sys.executable} -m ai_protocols merge-driver --marker-size %L " \
        "%O %A %B %P"
    for name, data in (("O", b"a\nb\nc\n"), ("A", b"A\nb\nc\n"), ("B", b"a\nb\nC\n")):
        (tmp_path / name).write_bytes(data)
    line = command.replace("%L", "7").replace("%O", "O").replace("%A", "A") \
        .replace("%B", "B").replace("%P", "x.org")
    done = subprocess.run(["/bin/sh", "-c", line], cwd=tmp_path, env=clean_env(),
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "A").read_bytes() == b"A\nb\nC\n"


def test_init_again_duplicates_nothing_and_leaves_a_persons_attributes(repo: Path,
                                                                       run: Runner) -> None:
    own = "*.png binary\n# my own line\n.ai/*.org -diff\n"
    (repo / ".gitattributes").write_text(own)
    run("init")
    first = (repo / ".ai/.gitattributes").read_bytes()
    config = (repo / ".git/config").read_bytes()
    again = run("init").stdout
    assert f"unchanged: {repo}/.git/config" in again
    assert (repo / ".ai/.gitattributes").read_bytes() == first
    assert (repo / ".git/config").read_bytes() == config
    assert (repo / ".gitattributes").read_text() == own
    assert git(repo, "config", "--get-all", "merge.ai-protocols.driver").stdout.count("\n") == 1
    # A person's change to .ai/.gitattributes is theirs: init keeps it.
    (repo / ".ai/.gitattributes").write_bytes(first + b"*.txt merge=union\n")
    assert f"kept: {repo}/.ai/.gitattributes" in run("init").stdout
    # Outside git: init works and configures nothing.
    elsewhere = repo.parent / "plain"
    elsewhere.mkdir()
    out = Runner(elsewhere)("init", env={"AI_PROJECT_ROOT": str(elsewhere),
                                         "GIT_CEILING_DIRECTORIES": str(repo.parent)}).stdout
    assert "configured" not in out and (elsewhere / ".ai/.gitattributes").is_file()


def test_both_sides_changing_one_line_of_free_text_is_an_ordinary_conflict(
        clones: Clones) -> None:
    one, two = Runner(clones.one), Runner(clones.two)
    for clone, runner, note in ((clones.one, one, "one's"), (clones.two, two, "two's")):
        path = clone / CONTEXT
        text = path.read_text()
        text = text.replace(":CUSTOM_ID: blockers\n:END:\n",
                            f":CUSTOM_ID: blockers\n:END:\nA note, {note} version.\n")
        path.write_text(text)
        runner("log", "--progress", f"Work on {note} side")
        clones.commit(clone, note)
    ours, theirs = ((clone / CONTEXT).read_text() for clone in (clones.one, clones.two))
    merged = clones.merge_two_into_one()
    assert merged.returncode != 0
    assert "CONFLICT (content): Merge conflict in .ai/session-context.org" in merged.stdout
    text = (clones.one / CONTEXT).read_text()
    conflict = re.search(r"^<<<<<<< [^\n]*\n(.*?)^=======\n(.*?)^>>>>>>> [^\n]*\n", text,
                         re.M | re.S)
    assert conflict is not None, text
    assert conflict.group(1) == "A note, one's version.\n"
    assert conflict.group(2) == "A note, two's version.\n"
    assert text.count("<<<<<<<") == 1
    for words, side in (("Work on one's side", ours), ("Work on two's side", theirs)):
        assert text.count(f"] {words}\n") == 1  # the entry, once
        assert text.count(words) == side.count(words)  # and the Log's line, if any
    assert git(clones.one, "status", "--porcelain").stdout.startswith("UU ")


def test_a_wrap_up_on_one_side_and_entries_on_the_other_merge_into_the_archive(
        clones: Clones) -> None:
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "Late work on two")
    clones.commit(clones.two, "two")
    archive = Path(one("wrap-up", "Finished on one").stdout.strip().splitlines()[-1])
    clones.commit(clones.one, "wrap-up")
    ours = clones.one.parent / "ours.org"
    shutil.copyfile(archive, ours)
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert not (clones.one / CONTEXT).exists()
    text = archive.read_text()
    assert ":STATUS:   wrapped-up\n" in text  # wrapped-up outranks active
    assert text.count("] Late work on two\n") == 1
    judge(ours, clones.two / CONTEXT, archive)


def test_emacs_edited_files_from_the_corpus_merge(tmp_path: Path) -> None:
    """Each corpus file, as a person left it in Emacs, is the base of one agent's
    session file; both clones log to each through the CLI and merge once: no
    conflict, Emacs parses every result, every entry once, and every line of a
    person's text of the base still there."""
    sources = sorted(CORPUS.glob("*.org"))
    clones = Clones(tmp_path.resolve(), files={
        f".ai/session-context.d/corpus-{n}.org": source.read_bytes()
        for n, source in enumerate(sources)})
    one, two = Runner(clones.one), Runner(clones.two)
    for n in range(len(sources)):
        two("log", "--progress", "Corpus work on two", "--decision", "Two decides",
            "--rationale", "Because", agent=f"corpus-{n}")
        one("log", "--discovery", "Corpus finding on one", "--next", "Next on one",
            agent=f"corpus-{n}")
    clones.commit(clones.two, "two")
    clones.commit(clones.one, "one")
    ours = tmp_path / "ours"
    shutil.copytree(clones.one / ".ai/session-context.d", ours)
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, (merged.stdout, merged.stderr)
    judged = []
    for n, source in enumerate(sources):
        name = f"corpus-{n}.org"
        result = (clones.one / ".ai/session-context.d" / name).read_bytes()
        for line in source.read_bytes().splitlines(keepends=True):
            if line.strip() and b":UPDATED:" not in line and b"[ ]" not in line:
                assert line.rstrip(b"\r\n") in result, (source.name, line)
        for words in (b"Corpus work on two", b"Two decides", b"Corpus finding on one",
                      b"Next on one"):
            assert result.count(b"] " + words) == 1, (source.name, words)
        judged.append((ours / name, clones.two / ".ai/session-context.d" / name,
                       clones.one / ".ai/session-context.d" / name))
    judge_many(judged)


# -- the driver run by hand, as git runs it ----------------------------------------------------


def driver(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes,
           ) -> tuple[int, bytes]:
    paths = []
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run([str(CLI), "merge-driver", "--marker-size", "7", *paths,
                           ".ai/session-context.org"], capture_output=True,
                          env=clean_env(), cwd=tmp_path, timeout=60)
    assert done.stderr == b""
    return done.returncode, (tmp_path / "A").read_bytes()


def merge_file(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[int, bytes]:
    for name, data in (("o", base), ("a", ours), ("b", theirs)):
        (tmp_path / name).write_bytes(data)
    done = subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
                           "a", "o", "b"], cwd=tmp_path, capture_output=True, timeout=60)
    return done.returncode, (tmp_path / "a").read_bytes()


@pytest.mark.parametrize("sides", [
    (b"a\nb\nc\n", b"a\nB\nc\n", b"a\nb\nC\n"),  # clean
    (b"a\nb\nc\n", b"a\nX\nc\n", b"a\nY\nc\n"),  # a conflict
    (b"", b"one\n", b"two\n"),  # added on both sides
    # Not the same session on all three, ours and theirs one (one started afresh).
    (b"* S\n:PROPERTIES:\n:STATUS: active\n:STARTED: [2026-11-22 Sun 10:02]\n:END:\n",
     b"* S\n:PROPERTIES:\n:STATUS: active\n:STARTED: [2026-11-21 Sat 10:02]\n:END:\n",
     b"* S\n:PROPERTIES:\n:STATUS: ended\n:STARTED: [2026-11-21 Sat 10:02]\n:END:\n"),
    (b"x\xff\n", b"x\xff\ny\n", b"z\nx\xff\n"),  # not UTF-8
], ids=["clean", "conflict", "add-add", "another-session", "not-utf8"])
def test_what_is_no_session_file_merges_exactly_as_git_merge_file(
        tmp_path: Path, sides: tuple[bytes, bytes, bytes]) -> None:
    status, merged = driver(tmp_path, *sides)
    expected_status, expected = merge_file(tmp_path, *sides)
    assert merged == expected
    assert (status != 0) == (expected_status != 0)


def test_two_sessions_stay_whole_in_one_conflict(tmp_path: Path) -> None:
    """Ours and theirs two sessions (one side started afresh; issue 14, twelfth round):
    not merged line by line (one session made of two), but one conflict of the whole
    file, each side whole, as ``git checkout --ours``/``--theirs`` and the reader's
    advice expect."""
    ours = b"* S\n:PROPERTIES:\n:STATUS: active\n:STARTED: [2026-11-22 Sun 10:02]\n:END:\n"
    theirs = b"* S\n:PROPERTIES:\n:STATUS: ended\n:STARTED: [2026-11-21 Sat 10:02]\n:END:\n"
    status, merged = driver(tmp_path, theirs, ours, theirs.replace(b"ended", b"paused"))
    assert status == 1
    assert merged == b"<<<<<<< ours\n" + ours + b"=======\n" + \
        theirs.replace(b"ended", b"paused") + b">>>>>>> theirs\n"


def test_a_binary_file_is_left_as_ours_and_reported_as_a_conflict(tmp_path: Path) -> None:
    sides = (b"\x00base", b"\x00ours", b"\x00theirs")
    status, merged = driver(tmp_path, *sides)
    assert status == 1 and merged == b"\x00ours"


def test_a_missing_file_is_a_usage_error_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "A").write_bytes(b"ours\n")
    (tmp_path / "B").write_bytes(b"theirs\n")
    done = subprocess.run([str(CLI), "merge-driver", str(tmp_path / "O"), str(tmp_path / "A"),
                           str(tmp_path / "B")], capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert done.returncode == 2 and "does not exist" in done.stderr, done.stderr
    assert (tmp_path / "A").read_bytes() == b"ours\n"


def test_an_unreadable_file_is_an_error_and_changes_nothing(tmp_path: Path) -> None:
    """A file that cannot be read (here a folder: this runs as root, who reads any
    file) raises StorageError, which the CLI reports as exit code 9; ours is kept."""
    for name in "OA":
        (tmp_path / name).write_bytes(b"text\n")
    (tmp_path / "B").mkdir()
    with pytest.raises(StorageError) as raised:
        run_merge_driver(tmp_path / "O", tmp_path / "A", tmp_path / "B")
    assert raised.value.exit_code == 9 and raised.value.path == tmp_path / "B"
    assert (tmp_path / "A").read_bytes() == b"text\n"


def test_an_entry_one_side_removed_goes_and_one_both_added_stays_once(tmp_path: Path) -> None:
    (tmp_path / ".ai").mkdir()
    project = Project(tmp_path)
    project.start("Removals", now=T0)
    project.log(LogEntry("progress", "Keep me"), now=T0 + timedelta(minutes=1))
    project.log(LogEntry("progress", "Remove me"), now=T0 + timedelta(minutes=2))
    path = project.path_of(None)
    base = path.read_bytes()
    # Ours: a person deletes the item and its Log line in Emacs; the agent logs on.
    path.write_bytes(b"".join(line for line in base.splitlines(keepends=True)
                              if b"Remove me" not in line))
    project.log(LogEntry("progress", "Ours"), now=T0 + timedelta(minutes=10))
    project.log(LogEntry("discovery", "Same on both"), now=T0 + timedelta(minutes=20))
    ours = path.read_bytes()
    path.write_bytes(base)
    as_last_written(tmp_path, path)  # (the other side starts from the base)
    project.log(LogEntry("progress", "Theirs"), now=T0 + timedelta(minutes=11))
    project.log(LogEntry("discovery", "Same on both"), now=T0 + timedelta(minutes=20))
    theirs = path.read_bytes()
    for a, b in ((ours, theirs), (theirs, ours)):
        result = merge_session_bytes(base, a, b)
        assert result is not None and not result.conflicts
        session = project.read(_put(path, result.data))
        assert session is not None
        assert [e.text for e in session.progress] == ["Keep me", "Ours", "Theirs"]
        assert [e.text for e in session.discoveries] == ["Same on both"]
        assert b"Remove me" not in result.data


def test_a_section_a_person_moved_stays_moved_and_gets_the_other_sides_entries(
        tmp_path: Path) -> None:
    (tmp_path / ".ai").mkdir()
    project = Project(tmp_path)
    project.start("Moves", now=T0)
    project.log(LogEntry("progress", "Before"), now=T0 + timedelta(minutes=1))
    path = project.path_of(None)
    base = path.read_bytes()
    # Ours: a person moves the Log section (its whole subtree) to the top in Emacs.
    text = base.decode()
    log_at = text.index("** Log\n")
    first = text.index("** Summary\n")
    ours = (text[:first] + text[log_at:] + text[first:log_at]).encode()
    project.log(LogEntry("progress", "Theirs"), now=T0 + timedelta(minutes=5))
    theirs = path.read_bytes()
    for a, b in ((ours, theirs), (theirs, ours)):
        result = merge_session_bytes(base, a, b)
        assert result is not None and not result.conflicts
        merged = result.data.decode()
        assert merged.index("** Log\n") < merged.index("** Summary\n")
        log = merged[merged.index("** Log\n"): merged.index("** Summary\n")]
        assert log == theirs.decode()[theirs.decode().index("** Log\n"):]  # theirs, moved
        session = project.read(_put(path, result.data))
        assert session is not None
        assert [e.text for e in session.progress] == ["Before", "Theirs"]


# -- properties -------------------------------------------------------------------------------


def test_the_property_rule() -> None:
    base = {"UPDATED": "[2026-11-21 Sat 10:02]", "STATUS": "active", "COMPACTIONS": "1",
            "OWNER": "o", "EXIT_BY": "hook"}
    ours = {**base, "UPDATED": "[2026-11-21 Sat 11:00]", "STATUS": "wrapped-up",
            "COMPACTIONS": "2", "OWNER": "a"}
    theirs = {**base, "UPDATED": "[2026-11-21 Sat 12:00]", "STATUS": "ended",
              "COMPACTIONS": "4", "OWNER": "b", "GIT_BRANCH": "main"}
    del theirs["EXIT_BY"]
    for ours_first in (True, False):
        merged = merge_properties(base, ours, theirs, ours_first=ours_first).values
        # UPDATED (with UPDATED_AT) is the side updated last's, as ours_first says
        assert merged["UPDATED"] == (ours if ours_first else theirs)["UPDATED"]
        # the status unit: a closed session stays closed, with its side's EXIT_BY
        assert merged["STATUS"] == "wrapped-up" and merged["EXIT_BY"] == "hook"
        assert merged["COMPACTIONS"] == "5"  # 1, plus 1 on one side and 3 on the other
        assert merged["OWNER"] == ("a" if ours_first else "b")
        assert merged["GIT_BRANCH"] == "main"
    swapped = merge_properties(base, theirs, ours, ours_first=False)
    assert swapped.values == merge_properties(base, ours, theirs, ours_first=True).values


T0 = datetime(2026, 11, 21, 10, 0)
TEXTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=40).filter(lambda t: t.strip() != "")
KINDS = st.sampled_from(["progress", "decision", "discovery", "blocker", "next"])
NOTES = st.sampled_from([None, "progress", "decisions", "blockers", "log"])
ENTRIES = st.lists(st.tuples(KINDS, TEXTS, st.integers(0, 30)), max_size=6,
                   unique_by=lambda e: (e[0], e[1]))


def _write(project: Project, entries: list[tuple[str, str, int]], start: int) -> None:
    for kind, text, minutes in sorted(entries, key=lambda e: e[2]):
        project.log(LogEntry(kind, text, rationale=f"Why: {text}" if kind == "decision" else None),
                    now=T0 + timedelta(minutes=start + minutes))


def _normalise_conflicts(data: bytes) -> bytes:
    """Conflict blocks with their two sides in a fixed order and no labels."""
    pattern = re.compile(rb"^<<<<<<<[^\n]*\n(.*?)^=======\n(.*?)^>>>>>>>[^\n]*\n", re.M | re.S)
    return pattern.sub(lambda m: b"<\n" + b"=\n".join(sorted(m.groups())) + b">\n", data)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ENTRIES, ENTRIES, ENTRIES, st.booleans(), st.booleans(), NOTES, NOTES,
       st.booleans(), st.booleans(), st.data())
def test_merging_keeps_the_union_each_once_in_time_order_whichever_side_is_ours(
        tmp_path_factory: pytest.TempPathFactory, base_entries: list, ours_entries: list,
        theirs_entries: list, tick_ours: bool, tick_theirs: bool, note_ours: str | None,
        note_theirs: str | None, remove_ours: bool, remove_theirs: bool,
        data: st.DataObject) -> None:
    """Generated entries on both sides of a common base, a tick on either, an item of
    the base a person deletes on either, and a person's note typed on either side at
    the top of a section: every entry of both sides once (but what one side deleted
    and the other left as it was), in time order, ticks kept; a conflict exactly
    where both notes went to the same place, or where one side deleted an item the
    other ticked; the same result whichever side is ours."""
    root = tmp_path_factory.mktemp("prop")
    (root / ".ai").mkdir()
    project = Project(root)
    project.start("Generated", now=T0)
    _write(project, base_entries, 0)
    path = project.path_of(None)
    base = path.read_bytes()
    sides = []
    removed: list[set[tuple[str, datetime, str]]] = []
    for entries, tick, remove, (note, who) in (
            (ours_entries, tick_ours, remove_ours, (note_ours, "ours")),
            (theirs_entries, tick_theirs, remove_theirs, (note_theirs, "theirs"))):
        path.write_bytes(base)
        as_last_written(root, path)  # (each side starts from the base)
        _write(project, entries, 60)
        open_items = [t for k, t, _ in base_entries if k in ("progress", "next")]
        if tick and open_items:
            project.log(LogEntry("done", data.draw(st.sampled_from(open_items))),
                        now=T0 + timedelta(minutes=100))
        removed.append(set())
        single = [e for e in base_entries if e[0] != "decision"]  # no rationale line
        if remove and single:  # a person deletes an item's line in Emacs
            kind, text, minutes = data.draw(st.sampled_from(single))
            time = T0 + timedelta(minutes=minutes)
            line = re.compile(rb"^- (?:\[[ X]\] )?" + re.escape(
                f"{format_timestamp(time)} {text}\n".encode()), re.M)
            current = path.read_bytes()
            if len(line.findall(current)) == 1:  # its text is on that line, and only there
                path.write_bytes(line.sub(b"", current))
                removed[-1].add((kind, time, text))
                event("a person deleted an item")
        if note is not None:  # typed in Emacs under the section's drawer
            drawer = f":CUSTOM_ID: {note}\n:END:\n".encode()
            typed = drawer + f"Note of {who}.\n".encode()
            path.write_bytes(path.read_bytes().replace(drawer, typed))
        sides.append(path.read_bytes())
    ours, theirs = sides
    result = merge_session_bytes(base, ours, theirs)
    swapped = merge_session_bytes(base, theirs, ours)
    assert result is not None and swapped is not None
    assert _normalise_conflicts(result.data) == _normalise_conflicts(swapped.data)
    event(f"conflict: {result.conflicts}")
    for note, who in ((note_ours, "ours"), (note_theirs, "theirs")):
        assert result.data.count(f"Note of {who}.\n".encode()) == (note is not None)
    # Resolved as a person would (both notes kept, the marker lines deleted): a file
    # with markers is refused by every reader until then (issue 11).
    resolved = re.sub(rb"(?m)^(?:<{7}|\|{7}|={7}|>{7})(?: .*)?\n", b"", result.data)
    path.write_bytes(resolved)
    session = project.read(path)
    assert session is not None

    def keyed(text: bytes) -> dict[str, Counter]:
        read = project.read(_put(path, text))
        assert read is not None
        found = {kind: Counter((e.time, e.text) for e in read.items(kind))
                 for kind in ("progress", "decision", "discovery", "blocker", "next")}
        # The Log's events by time and kind: a ``done`` names its item by its text while
        # the item is there, by section and stamp once a person deleted it (issue 12).
        found["log"] = Counter((e.time, e.text.split(":", 1)[0] if e.text.startswith("done:")
                                else e.text) for e in read.log)
        return found

    def done(text: bytes, kind: str) -> dict[tuple[datetime | None, str], bool | None]:
        read = project.read(_put(path, text))
        assert read is not None
        return {(e.time, e.text): e.done for e in read.items(kind)}

    # An item one side removed and the other ticked is a conflict on that item (issue 14,
    # fifth review: a removal against a change, as git marks one), as are notes both
    # sides typed at one place.
    ticked_removed = any(
        done(other, what).get((time, text), "gone") not in ("gone", done(base, what)[time, text])
        for gone, other in ((removed[0], theirs), (removed[1], ours)) for what, time, text in gone)
    assert result.conflicts == ((note_ours is not None and note_ours == note_theirs) or
                                ticked_removed)
    merged = keyed(resolved)
    for kind, items in merged.items():
        expected = set(keyed(ours)[kind]) | set(keyed(theirs)[kind])
        for gone, other in ((removed[0], theirs), (removed[1], ours)):
            for what, time, text in gone:
                if kind not in (what, "log") or done(other, what).get((time, text), "gone") \
                        != done(base, what)[time, text]:
                    continue
                # The other side left it as it was: gone, and so is the Log's event of it
                # (the Log derives each entry's event from its section, issue 12).
                event_text = text if kind == what else f"{what}: {preview(text)}"
                expected.discard((time, event_text))
        assert set(items) == expected, kind
        assert all(n == 1 for n in items.values()) or kind == "log", (kind, items)
    read = project.read(_put(path, resolved))
    assert read is not None
    for kind in ("progress", "decision", "discovery", "blocker", "next"):
        times = [e.time for e in read.items(kind)]
        assert times == sorted(times), kind  # type: ignore[type-var]
        for entry in read.items(kind):
            ticked = [e.done for side in (ours, theirs)
                      for e in project.read(_put(path, side)).items(kind)  # type: ignore[union-attr]
                      if (e.time, e.text) == (entry.time, entry.text)]
            assert entry.done == (True in ticked if entry.done is not None else None)
    times = [e.time for e in read.log]
    assert times == sorted(times)  # type: ignore[type-var]


def _put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["wrap-up", "abandon"])
def test_a_session_archived_in_another_clone_is_not_brought_back(
        clones: Clones, how: str) -> None:
    """Fault 3 of the review: after one clone archives the session and the other pulls
    (the archive and the deletion), the other said the file was removed "not by
    ai-protocols", log failed with exit 3, and start brought the session back (listed
    twice). Now it is known as archived elsewhere, and start begins afresh."""
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "Work on two")  # two has written it: its copy is kept
    clones.commit(clones.two, "two")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    git(clones.one, "pull", "-q", "--no-rebase", "origin", "main")
    if how == "wrap-up":
        one("wrap-up", "Finished on one")
    else:
        one("abandon", "--reason", "Given up on one")
    clones.commit(clones.one, how)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    pulled = git(clones.two, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stderr
    assert not (clones.two / CONTEXT).exists()
    status = two("status").stdout
    assert "not by ai-protocols" not in status, status
    logged = two("log", "--progress", "More", check=False)
    assert logged.returncode == 7 and "in another clone" in logged.stderr, logged.stderr
    started = two("start", "--title", "Next work")
    assert "Brought back" not in started.stdout and "Started a fresh session" in \
        started.stdout, started.stdout
    assert "Next work" in (clones.two / CONTEXT).read_text()
    assert "not by ai-protocols" not in two("status").stdout


def test_two_clones_each_marking_a_current_step_merge_to_one(clones: Clones) -> None:
    """Fault 11 of the review: each clone logged --current and the merge kept both
    ``[-]``. The later (by its timestamp; at the same minute, the greater line) stays
    current, the other goes back to open, whichever side is ours."""
    one, two = Runner(clones.one), Runner(clones.two)
    base = (clones.two / CONTEXT).read_bytes()
    two("log", "--current", "M2 current")
    clones.commit(clones.two, "two")
    one("log", "--current", "M1 current")
    clones.commit(clones.one, "one")
    ours, theirs = (clones.one / CONTEXT).read_bytes(), (clones.two / CONTEXT).read_bytes()
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (clones.one / CONTEXT).read_text()
    assert len(re.findall(r"^- \[-\] ", text, re.M)) == 1, text
    assert re.search(r"^- \[ \] \[[^]]+\] M1 current$", text, re.M) or \
        re.search(r"^- \[ \] \[[^]]+\] M2 current$", text, re.M), text
    one_way = merge_session_bytes(base, ours, theirs)
    other_way = merge_session_bytes(base, theirs, ours)
    assert one_way is not None and other_way is not None
    current = [re.findall(r"^- \[-\] .*$", r.data.decode(), re.M) for r in (one_way, other_way)]
    assert current[0] == current[1] and len(current[0]) == 1
    # By time: the later item stays current, on either side.
    earlier = ours.decode()
    stamp = re.search(r"^- \[-\] (\[[^]]+\]) M1 current$", earlier, re.M)
    assert stamp is not None
    old = earlier.replace(f"{stamp.group(1)} M1 current",
                          "[2000-01-01 Sat 00:00] M1 current").encode()
    for result in (merge_session_bytes(base, old, theirs), merge_session_bytes(base, theirs, old)):
        assert result is not None
        assert re.findall(r"^- \[-\] .*$", result.data.decode(), re.M)[0].endswith("M2 current")


def _checkpoint_group(data: bytes) -> dict[str, str]:
    return dict(re.findall(r"^:(CHECKPOINT[A-Z_]*):[ \t]*(.*)$", data.decode(), re.M))


def test_a_checkpoints_record_is_merged_as_one_unit(clones: Clones) -> None:
    """Third review, fault 5: the checkpoint's properties were merged key by key, so a
    merge could keep one clone's CHECKPOINT and CHECKPOINT_COMMIT with the other's
    CHECKPOINT_FILES. All of them come from one side, the one whose checkpoint is
    later, whichever side is ours."""
    one, two = Runner(clones.one), Runner(clones.two)
    (clones.one / "a.txt").write_text("a\n")
    one("checkpoint")  # the base records a checkpoint of 1 file
    clones.commit(clones.one, "a")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    base = (clones.two / CONTEXT).read_bytes()
    for name in ("b.txt", "c.txt"):
        (clones.two / name).write_text("b\n")
    two("checkpoint")  # 2 files
    clones.commit(clones.two, "two")
    (clones.one / "d.txt").write_text("d\n")
    one("checkpoint")  # 1 file, as the base: only the other keys changed
    clones.commit(clones.one, "one")
    ours, theirs = (clones.one / CONTEXT).read_bytes(), (clones.two / CONTEXT).read_bytes()
    sides = [_checkpoint_group(ours), _checkpoint_group(theirs)]
    assert sides[0]["CHECKPOINT_FILES"] == "1" and sides[1]["CHECKPOINT_FILES"] == "2"
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    won = _checkpoint_group((clones.one / CONTEXT).read_bytes())
    assert won in sides
    for a, b in ((ours, theirs), (theirs, ours)):
        result = merge_session_bytes(base, a, b)
        assert result is not None and _checkpoint_group(result.data) == won
    # The later checkpoint wins, whichever side was updated last.
    loser = sides[1] if won == sides[0] else sides[0]
    later = ours if loser == sides[0] else theirs
    short = loser["CHECKPOINT_COMMIT"][:12]
    stamp = re.search(rf"^- (\[[^]]+\]) checkpoint: [0-9]+ {short}", later.decode(), re.M)
    assert stamp is not None
    line = stamp.group(0).encode()
    later = later.replace(line, line.replace(stamp.group(1).encode(), b"[2099-01-01 Thu 00:00]"))
    other = theirs if loser == sides[0] else ours
    for a, b in ((later, other), (other, later)):
        result = merge_session_bytes(base, a, b)
        assert result is not None and _checkpoint_group(result.data) == loser


def test_an_item_ticked_on_one_side_and_edited_on_the_other_is_one_item(
        clones: Clones) -> None:
    """Third review, fault 7: an item a person edited on one side and the tool ticked on
    the other was kept twice (``[X] Base step`` and ``[ ] Base step (in Rust)``). It is
    one item: the edited text, ticked, whichever side is ours."""
    one = Runner(clones.one)
    base = (clones.two / CONTEXT).read_bytes()
    path = clones.two / CONTEXT
    path.write_bytes(path.read_bytes().replace(b"] Base step\n", b"] Base step (in Rust)\n"))
    clones.commit(clones.two, "edited by a person")
    one("log", "--done", "Base step")
    clones.commit(clones.one, "ticked")
    ours, theirs = (clones.one / CONTEXT).read_bytes(), path.read_bytes()
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    results = [(clones.one / CONTEXT).read_bytes()]
    for a, b in ((ours, theirs), (theirs, ours)):
        result = merge_session_bytes(base, a, b)
        assert result is not None and not result.conflicts
        results.append(result.data)
    for data in results:
        items = re.findall(r"^- \[(.)\] \[[^]]+\] (Base step.*)$", data.decode(), re.M)
        assert items == [("X", "Base step (in Rust)")], data.decode()
