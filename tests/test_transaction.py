"""The edit transaction and what goes through it: entries that waited for Emacs
belong to their own session only, a refused write changes nothing, and the
kinds of entry come from one table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_protocols import InvalidText, LogEntry, Project, read_session
from ai_protocols.session.pending import pending_path

from conftest import Runner

AGENT = "vm.proj.claude.1718400000"
OTHER = "vm.proj.claude.1718400001"


@pytest.fixture
def editor() -> Iterator[int]:
    """A live process to name as the Emacs that holds a file."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def hold_in_emacs(path: Path, pid: int) -> Path:
    """Emacs's lock on ``path``: a link ``.#NAME`` -> ``user@host.PID``."""
    lock = path.with_name(f".#{path.name}")
    os.symlink(f"me@{os.uname().nodename}.{pid}", lock)
    return lock


def test_entries_waiting_for_a_closed_session_go_into_its_archive(
        project: Path, run: Runner, editor: int) -> None:
    """A person closes the file by hand while an entry waits for their save: the
    entry goes into the archive with its session, never into the next session."""
    run("start", "--title", "Old")
    path = project / ".ai/session-context.org"
    lock = hold_in_emacs(path, editor)
    run("log", "--discovery", "old discovery 31337")
    assert Path(pending_path(path)).exists()
    path.write_text(re.sub(r":STATUS: +active", ":STATUS:   wrapped-up", path.read_text()))
    lock.unlink()
    out = run("start", "--title", "New").stdout
    archive = re.search(r"archived (\S+)", out)
    assert archive, out
    archived = Path(archive.group(1)).read_text()
    assert archived.count("old discovery 31337") == 1  # its item (the Log does not repeat it)
    assert not Path(pending_path(path)).exists()
    run("log", "--progress", "new")
    assert "old discovery 31337" not in path.read_text()


def test_a_fold_killed_before_the_pending_file_went_folds_nothing_twice(
        project: Path, run: Runner, editor: int) -> None:
    """A wrap-up killed after writing the closed file (entries folded, PENDING_FOLDED
    set) but before removing the pending file: the next start archives the session
    with each entry once, and the new session has none of them."""
    run("start")
    path = project / ".ai/session-context.org"
    lock = hold_in_emacs(path, editor)
    run("log", "--blocker", "blocked 4242")
    kept = Path(pending_path(path)).read_bytes()
    lock.unlink()
    run("wrap-up", "Done")  # folds, closes, moves, removes the pending file
    [archive] = (project / ".ai/sessions").glob("*.org")
    # Put back the state of the kill: the closed file in place, the pending file there.
    os.rename(archive, path)
    Path(pending_path(path)).write_bytes(kept)
    (project / ".ai/.locks/session-context.org.gone").unlink()
    out = run("start").stdout
    [archive] = (project / ".ai/sessions").glob("*.org")
    assert "Finished an interrupted wrap-up" in out
    assert archive.read_text().count("blocked 4242") == 1  # its item, once
    assert "blocked 4242" not in path.read_text()
    assert not Path(pending_path(path)).exists()


def test_adopting_into_a_file_a_person_is_editing_is_refused(
        project: Path, run: Runner, editor: int) -> None:
    run("start", agent=OTHER, as_another_agent=True)  # its owner is gone: crashed
    run("start", agent=AGENT)
    mine = project / f".ai/session-context.d/{AGENT}.org"
    theirs = project / f".ai/session-context.d/{OTHER}.org"
    hold_in_emacs(mine, editor)
    before = (mine.read_bytes(), theirs.read_bytes())
    done = run("recover", OTHER, "--adopt", agent=AGENT, check=False)
    assert done.returncode == 10, done.stderr
    assert (mine.read_bytes(), theirs.read_bytes()) == before


def test_log_refuses_what_it_cannot_record(project: Path) -> None:
    session = Project(project)
    session.start()
    before = session.path.read_bytes()
    for entry, field in ((LogEntry("bogus", "x"), "kind"), (LogEntry("exit", "x"), "kind"),
                         (LogEntry("progress", "x", rationale="r"), "rationale")):
        with pytest.raises(InvalidText) as raised:
            session.log(entry)
        assert raised.value.field == field and raised.value.exit_code == 4
    assert session.path.read_bytes() == before


def test_a_pending_entry_of_an_unknown_kind_is_kept_as_text(project: Path, run: Runner,
                                                            editor: int) -> None:
    """A newer version's kind, waiting in the pending file, is folded into the Log by
    this one instead of failing every later write."""
    run("start")
    path = project / ".ai/session-context.org"
    lock = hold_in_emacs(path, editor)
    run("log", "--progress", "p")
    pending = Path(pending_path(path))
    pending.write_text(pending.read_text().replace("progress", "question"))
    lock.unlink()
    run("log", "--next", "n")
    session = read_session(path, path.read_text())
    assert [e.text for e in session.next_steps] == ["n"] and session.progress == []
    assert any(e.text.startswith("question: p (a kind of entry this version does not know)")
               for e in session.log)


def test_show_lists_the_sections_as_the_file_has_them(project: Path, run: Runner) -> None:
    run("start")
    run("log", "--next", "n", "--blocker", "b", "--discovery", "d", "--progress", "p",
        "--decision", "c", "--rationale", "r")
    out = run("show").stdout
    heads = [line[:-1] for line in out.splitlines() if line in (
        "Progress:", "Decisions:", "Discoveries:", "Blockers:", "Next steps:")]
    text = (project / ".ai/session-context.org").read_text()
    in_file = re.findall(r"^\*\* (Progress|Decisions|Discoveries|Blockers|Next steps)$", text,
                         re.MULTILINE)
    assert heads == in_file == ["Progress", "Decisions", "Discoveries", "Blockers",
                                "Next steps"]
    data = json.loads(run("show", "--json").stdout)
    assert [k for k in data if k in ("progress", "decisions", "discoveries", "blockers",
                                     "next")] == ["progress", "decisions", "discoveries",
                                                  "blockers", "next"]


def test_an_error_message_carries_no_terminal_escapes(tmp_path: Path) -> None:
    """An escape in a path printed in an error does not reach a file or a pipe: it is
    shown escaped, whole (``e\\x1b[31mred``), never sent and never dropped (it was
    stripped when stderr was no terminal, and the path then read as another one:
    issue 14, eighth review)."""
    folder = tmp_path / "e\033[31mred"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    for args in (["wrap-up", "foo"], ["log", "--progress", "x"]):
        done = Runner(folder)(*args, check=False)
        assert done.returncode == 3 and "\033" not in done.stderr, done.stderr
        assert "e\\x1b[31mred" in done.stderr, done.stderr
