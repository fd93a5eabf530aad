"""The rollover's integrity against a person's edits, kills and failures (issue 16,
eighth review; docs/decisions.md "Issue 16, eighth review (rollover integrity and
wording)").

A person reshaping the ``Earlier entries`` section (its drawer deleted, its heading
renamed, demoted, moved, duplicated, a link line moved or deleted) cuts no session
off from its earlier entries; a wrap-up killed after its first step leaves no orphan
folder for good; a killed rollover's redundant file goes at the next write, whatever
it is; a linked file that is a symbolic link blocks no ``log``; a failing earlier
write never fails the entry. The installed console script runs as a subprocess in
temporary git repositories, with real git and real kills.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rollover import (
    CONTEXT,
    filler,
    insert,
    killed_between_writes,
    rolled,
    started,
    texts_of,
)

from ai_protocols.org.file import OrgFile
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.rollover import BOUND

from conftest import CLI, Runner, as_last_written, clean_env

SECTION = "** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n"


def decisions(run: Runner) -> list[str]:
    return [e["text"] for e in json.loads(run("show", "--all", "--json").stdout)["decisions"]]


def section_of(text: str) -> tuple[int, int]:
    """Where the tool's ``Earlier entries`` section (heading, drawer, links) stands."""
    start = text.index(SECTION)
    end = text.index("\n** ", start + 1) + 1
    return start, end


def reshape(text: str, how: str) -> str:
    start, end = section_of(text)
    section = text[start:end]
    links = section[len(SECTION):]
    rest = text[:start] + text[end:]
    if how == "drawer deleted":
        return text[:start] + "** Earlier entries\n" + links + text[end:]
    if how == "heading renamed":
        return text.replace("** Earlier entries\n", "** Older stuff\n", 1)
    if how == "renamed, drawer deleted":
        return text[:start] + "** Older stuff\n" + links + text[end:]
    if how == "demoted":
        return text.replace("** Earlier entries\n", "*** Earlier entries\n", 1)
    if how == "moved to the end":
        return rest.rstrip("\n") + "\n" + section
    if how == "links moved into Context":
        return insert(text[:start] + text[end:], "context", links)
    if how == "duplicated":
        return text[:end] + section + text[end:]
    raise AssertionError(how)


HOW = ["drawer deleted", "heading renamed", "renamed, drawer deleted", "demoted",
       "moved to the end", "links moved into Context", "duplicated"]


@pytest.mark.parametrize("how", HOW)
def test_a_reshaped_earlier_entries_section_keeps_every_entry(project: Path, run: Runner,
                                                             how: str) -> None:
    """Seen (eighth review): the drawer deleted, ``show --all`` gave a fraction of the
    entries with exit 0 and wrap-up left the earlier file behind, the archive's link
    naming nothing. However the section is reshaped, every reader finds the links, the
    next write makes no second section, and the file goes with the archive."""
    path, _ = rolled(project, run)
    whole = decisions(run)
    (earlier,) = texts_of(project)[1]
    path.write_text(reshape(path.read_text(), how))

    shown = json.loads(run("show", "--json").stdout)
    assert [Path(e["path"]) for e in shown["earlier"]] == [earlier]
    assert decisions(run) == whole
    run("log", "--decision", "After the reshape", "--rationale", "r")
    text = path.read_text()
    assert text.count(":CUSTOM_ID: earlier") == (
        2 if how == "duplicated" else 0 if "drawer" in how or "Context" in how else 1)
    assert decisions(run) == [*whole, "After the reshape"]

    run("wrap-up", "Done")
    (archive,) = (project / ".ai/sessions").glob("*.org")
    moved = archive.with_suffix("") / earlier.name
    assert moved.exists() and not earlier.exists()
    archived = archive.read_text()
    links = [piece[:piece.index("]")] for piece in archived.split("[[file:")[1:]]
    assert len(links) == (2 if how == "duplicated" else 1)
    for link in links:  # (each line, a duplicated one too, names the moved file)
        assert (archive.parent / link).resolve() == moved.resolve()
    assert not (project / ".ai/history").exists()


def test_a_deleted_link_line_is_said_then_linked_again(project: Path, run: Runner) -> None:
    """One link line deleted: ``show`` says which file no link names (``show --all``
    leaves it out); the next write links it again, saying so; nothing is lost."""
    path, _ = rolled(project, run)
    whole = decisions(run)
    (earlier,) = texts_of(project)[1]
    text = path.read_text()
    line = next(x for x in text.splitlines(True) if x.startswith("- [[file:history/"))
    path.write_text(text.replace(line, "", 1))

    shown = run("show").stdout
    assert "no link of this file names" in shown and str(earlier) in shown
    done = run("log", "--decision", "Next", "--rationale", "r")
    assert "linked again" in done.stderr and str(earlier) in done.stderr
    assert line in path.read_text()
    assert decisions(run) == [*whole, "Next"]
    assert "no link of this file names" not in run("show").stdout


def test_show_and_show_json_list_only_earlier_entries_links(project: Path,
                                                             run: Runner) -> None:
    """Seen: ``show`` and ``show --json`` listed a person's own link in the section as an
    earlier file, while ``show --all`` passed over it. One rule for all three."""
    path, _ = rolled(project, run)
    (earlier,) = texts_of(project)[1]
    text = path.read_text()
    person = "- [[file:../README.md][my notes]] on the design\n"
    path.write_text(text.replace(SECTION, SECTION + person, 1))
    shown = json.loads(run("show", "--json").stdout)
    assert [Path(e["path"]) for e in shown["earlier"]] == [earlier]
    assert "README" not in run("show").stdout
    assert [Path(e["path"]) for e in
            json.loads(run("show", "--all", "--json").stdout)["earlier"]] == [earlier]


PIECE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"],
                              exclude_characters="[]\\\n\r\x85\u2028\u2029"), max_size=30)
HEX = st.text("0123456789abcdef", min_size=8, max_size=8)


def shaped(name: str) -> bool:
    """The rule written out plainly: ``FIRST--LAST-HASH8.org``."""
    stem, dot, ext = name.rpartition(".")
    if not dot or ext != "org" or len(stem) < 10 or stem[-9] != "-":
        return False
    return "--" in stem[:-9] and all(c in "0123456789abcdef" for c in stem[-8:])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(folder=PIECE, first=PIECE, last=PIECE, digits=HEX | PIECE, words=PIECE,
       indent=st.sampled_from(["", "  ", "\t"]),
       where=st.sampled_from(["section", "notes", "other session"]))
def test_a_link_is_an_earlier_entries_link_only_when_it_names_a_rollovers_file(
        folder: str, first: str, last: str, digits: str, words: str, indent: str,
        where: str) -> None:
    """The one rule (``layout.earlier_links``, which ``show``, ``show --json``, ``show
    --all`` and the moves read), over arbitrary link text: a line is an earlier-entries
    link exactly when it is an item ``- [[file:PATH][...]]`` whose PATH's name is shaped
    ``FIRST--LAST-HASH8.org``, wherever it stands in the session, and never inside
    another session pasted into the file; any other line is a person's."""
    from ai_protocols.session.layout import earlier_links, session_headline

    name = f"{first}--{last}-{digits}.org"
    path = f"{folder}/{name}" if folder else name
    line = f"{indent}- [[file:{path}][{words}earlier entries]] from ? to ?, 3 entries"
    head = ":PROPERTIES:\n:STATUS: active\n:STARTED: [2026-01-01 Thu 00:00]\n:END:\n"
    text = f"* S\n{head}** Earlier entries\n** Notes\n"
    if where == "section":
        text = text.replace("** Earlier entries\n", f"** Earlier entries\n{line}\n")
    elif where == "notes":
        text += line + "\n"
    else:
        text += f"* Another\n{head}{line}\n"
    doc = OrgFile(text)
    headline = session_headline(doc)
    assert headline is not None
    found = earlier_links(doc, headline)
    expected = where != "other session" and shaped(os.path.basename(path))
    assert bool(found) == expected, (line, found)
    if found:
        assert found[0][2][0] == path


# -- 2. A wrap-up killed before its archive is in place ----------------------------------------


def orphans(project: Path) -> list[Path]:
    sessions = project / ".ai/sessions"
    if not sessions.exists():
        return []
    return [p for p in sessions.iterdir()
            if p.is_dir() and not p.with_suffix(".org").exists()]


def test_a_wrap_up_killed_before_its_archive_leaves_no_orphan_folder(
        project: Path, run: Runner) -> None:
    """Seen (eighth review): a wrap-up killed after it linked the earlier file into the
    archive's folder, before the archive was there, left that folder for good. The
    next command removes it (only the second names of the session's own files), and a
    wrap-up run again finishes the move: no orphan, nothing lost."""
    rolled(project, run)
    (earlier,) = texts_of(project)[1]
    # The state that kill leaves, made by hand: a hard link in a folder with no archive.
    folder = project / ".ai/sessions/2026-01-01T0000--killed"
    folder.mkdir(parents=True)
    os.link(earlier, folder / earlier.name)
    (folder.parent / "2026-01-02T0000--persons").mkdir()
    person = folder.parent / "2026-01-02T0000--persons" / earlier.name
    person.write_text("a person's file of that name, other bytes\n")
    run("log", "--discovery", "The next command")
    assert not folder.exists() and earlier.exists() and person.exists()
    person.parent.joinpath(person.name).unlink()
    person.parent.rmdir()
    # Killed after step 2 too (its tombstone written, naming the archive to be): the
    # folder's names are the copies, never the history folder's (they were removed,
    # leaving the entries in the orphan folder alone, named by no link).
    folder.mkdir()
    os.link(earlier, folder / earlier.name)
    gone = Path(tombstone_path(str(project / ".ai"), str(project / CONTEXT)))
    gone.write_text(f"archived to {folder}.org\nsource 1 2 3\n")
    run("log", "--discovery", "After the tombstone")
    assert not folder.exists() and earlier.exists() and not gone.exists()
    assert f"[[file:history/session-context/{earlier.name}]" in (project / CONTEXT).read_text()
    # Real kills at the moment the folder is there before the archive, and at others.
    hits = 0
    for attempt in range(6):
        child = subprocess.Popen([str(CLI), "wrap-up", f"Done {attempt}"], cwd=project,
                                 env=clean_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        while child.poll() is None and not orphans(project):
            pass
        hits += bool(orphans(project))
        child.send_signal(signal.SIGKILL)
        child.wait()
        again = run("wrap-up", f"Again {attempt}", check=False)  # (finishes the move)
        assert not orphans(project), (attempt, again.returncode, again.stderr,
                                      sorted(p.name for p in orphans(project)[0].iterdir()),
                                      sorted(p.name for p in (project / ".ai").iterdir()))
        run("start", "--title", f"Long work {attempt}")
        assert not orphans(project)
        assert not (project / ".ai/history").exists() or \
            not list((project / ".ai/history").rglob("*.org"))
        for archive in (project / ".ai/sessions").glob("*.org"):  # (nothing lost)
            text = archive.read_text()
            for piece in text.split("[[file:")[1:]:
                assert (archive.parent / piece[:piece.index("]")]).is_file(), archive
        rolled_again(project, run)
    print(f"killed in the window {hits} times of 6")


def rolled_again(project: Path, run: Runner) -> None:
    """The live session file past the bound again, and rolled over."""
    path = project / CONTEXT
    old, _ = filler(100_000, BOUND + 100_000, "again")
    path.write_text(insert(path.read_text(), "decisions", old))
    run("log", "--discovery", "Rolled")


# -- 3. A rollover killed between its two writes, then a person's edit ---------------------------


def test_a_killed_rollovers_file_goes_at_the_next_write_even_without_a_rollover(
        project: Path, run: Runner) -> None:
    """Seen (eighth review): killed between the two writes, then the live file cut below
    the bound by a person: no later write rolled over, so the first earlier file,
    redundant (each of its entries still in the live file), stayed for good. Any next
    write settles it now: since the fourteenth round it completes the rollover (the file
    linked, its entries taken out of the live file: a write cannot tell it from a stale
    editor's save, docs/decisions.md), each entry stored once; a file holding an entry
    found nowhere else is linked too."""
    path, original, entries, left = killed_between_writes(project, run)
    history = project / ".ai/history/session-context"
    killed = history / left.name  # (as the kill leaves it: linked from nowhere)
    # A person cuts the newest decisions: the file is below the bound, the old ones stay.
    newest = "".join(entries[-3000:])
    cut = original.replace(newest, "", 1)
    assert len(cut.encode()) < BOUND
    path.write_text(cut)
    done = run("log", "--discovery", "Next write")
    assert killed.exists() and list(history.glob("*.org")) == [killed]
    assert "linked again" in done.stderr
    live = path.read_text()
    assert f"[[file:history/session-context/{killed.name}]" in live
    every = live + killed.read_text()
    for entry in entries[:-3000:250]:  # (the person cut the newest 3000)
        assert every.count(entry) == 1, entry[:60]
    # One holding an entry found nowhere else (the person cut it from the live file
    # too) is linked again instead: never removed.
    shutil.copyfile(left, killed)
    path.write_text(cut.replace(entries[0], "", 1))
    as_last_written(project, path)  # (the same state again, not a stale save)
    done = run("log", "--discovery", "Another write")
    assert killed.exists() and "linked again" in done.stderr
    assert f"[[file:history/session-context/{killed.name}]" in path.read_text()


# -- 4. Wording and small things --------------------------------------------------------------


def test_recover_given_two_ids_names_an_agents_id(project: Path, run: Runner) -> None:
    refused = run("recover", "--archive", "a", "b", check=False)
    assert refused.returncode == 2
    assert "task" not in refused.stderr and "agent's id" in refused.stderr


def test_recover_given_an_earlier_entries_file_says_what_to_give(project: Path,
                                                                  run: Runner) -> None:
    path, _ = rolled(project, run)
    (earlier,) = texts_of(project)[1]
    before = path.read_bytes()
    refused = run("recover", "--archive", str(earlier), check=False)
    assert refused.returncode != 0 and "earlier-entries file" in refused.stderr
    assert str(path) in refused.stderr and "give the session it belongs to" in refused.stderr
    assert path.read_bytes() == before and earlier.exists()


@pytest.mark.parametrize("command", [("wrap-up", "Done"), ("abandon", "--reason", "No")])
def test_no_empty_history_folder_is_left_but_a_persons_stays(project: Path, run: Runner,
                                                             command: tuple[str, ...]) -> None:
    rolled(project, run)
    run(*command)
    assert not (project / ".ai/history").exists()
    assert not (project / ".git/ai-protocols/.ai/history").exists()
    rolled(project, run)
    (project / ".ai/history/notes.txt").write_text("a person's\n")
    run(*command)
    assert (project / ".ai/history/notes.txt").read_text() == "a person's\n"
    assert not (project / ".ai/history/session-context").exists()


def test_a_linked_earlier_file_made_a_symbolic_link_blocks_no_log(project: Path, run: Runner,
                                                                   tmp_path: Path) -> None:
    """Seen: a symbolic link as a linked earlier file stopped every ``log`` (exit 12). A
    write in place does not follow it: it goes on, warning; the wrap-up, which must move
    it, refuses (exit 12) saying what to do, and changes nothing."""
    path, _ = rolled(project, run)
    (earlier,) = texts_of(project)[1]
    elsewhere = tmp_path / earlier.name
    shutil.move(earlier, elsewhere)
    earlier.symlink_to(elsewhere)
    done = run("log", "--progress", "Still written")
    assert "Still written" in path.read_text()
    assert "symbolic link" in done.stderr and "replace it" in done.stderr
    before = path.read_bytes()
    refused = run("wrap-up", "Done", check=False)
    assert refused.returncode == 12 and "symbolic link" in refused.stderr
    assert "replace it" in refused.stderr
    assert path.read_bytes() == before and earlier.is_symlink()


# -- 5. An earlier file the file system refuses to write (a full disk) -------------------------


def _can_mount() -> bool:
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


def test_a_full_disk_under_the_earlier_file_still_writes_the_entry(project: Path,
                                                                    run: Runner) -> None:
    """A real full disk (a 64 KiB tmpfs mounted on ``.ai/history/``, in a mount namespace
    of the command's own): the earlier file's write fails past every check; the entry is
    written all the same, unrolled, with one warning, and nothing is left half-done. The
    next write, with room, rolls the file over."""
    if not _can_mount():
        pytest.skip("unshare --user --mount cannot mount a tmpfs here (no user namespaces)")
    path = started(run, project)
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    history = project / ".ai/history"
    history.mkdir()
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" log --progress "Still written"',
         "sh", str(history), str(CLI)], cwd=project, env=clean_env(), capture_output=True,
        text=True)
    assert done.returncode == 0, done.stderr
    warnings = [x for x in done.stderr.splitlines() if x.startswith("Warning:")]
    assert len(warnings) == 1 and "not rolled over" in warnings[0], done.stderr
    assert "No space left" in warnings[0]
    text = path.read_text()
    assert "Still written" in text and "[[file:" not in text
    assert not list(history.rglob("*"))
    run("log", "--progress", "Rolled now")
    assert len(list(history.rglob("*.org"))) == 1 and "[[file:history/" in path.read_text()
