"""A kept copy that cannot be made is said the same way on every path (issue 16,
fourteenth round, item 3; docs/decisions.md "Issue 16, fourteenth round (links and
kept copies)"): the entries that wait while Emacs holds the session file (the pending
file's copy), the task board's writes, and an adopter's file (``recover --adopt``),
as the session write and the rollover said it already. Each with a real obstacle: a
folder where the copy belongs. The installed CLI, real git."""

from __future__ import annotations

from pathlib import Path

from ai_protocols.liveness.host import boot_time, hostname

from conftest import Runner

OTHER = "other.host.claude.1700000000"
ME = "me.host.claude.1700000001"


def _blocked(place: Path) -> None:
    """A folder (holding a file) where the kept copy ``place`` belongs."""
    if place.is_file():
        place.unlink()
    (place / "x").mkdir(parents=True)


def _said(stderr: str, path: Path, kept: Path) -> None:
    """The one warning (``say_not_kept``): the file written, the copy's place, what
    stands there and what to do."""
    assert f"Warning: {path} is written, but its copy could not be kept in {kept}: " \
        "a directory stands there; move that away, and the next write makes the copy" \
        in stderr, stderr


def test_entries_kept_while_emacs_holds_the_file_say_their_copy_failed(
        project: Path, run: Runner) -> None:
    """While Emacs holds the session file, ``log`` puts the entry in the pending file
    and keeps a copy of that in ``.ai/.locks/live/``: a folder there was silent, the
    copy never made (``git clean`` then loses the entry). Now the warning says it; the
    entry is in the pending file; once the folder is gone the next write makes it."""
    run("start", "--title", "t")
    session = project / ".ai/session-context.org"
    (project / ".ai/.#session-context.org").symlink_to(
        f"me@{hostname()}.{__import__('os').getpid()}:{int(boot_time() or 0)}")
    pending = project / ".ai/.session-context.org.pending.org"
    kept = project / ".ai/.locks/live/.session-context.org.pending.org"
    _blocked(kept)
    done = run("log", "--progress", "while held")
    _said(done.stderr, pending, kept)
    assert "while held" in pending.read_text()
    assert "while held" not in session.read_text()
    assert not list(kept.parent.glob(".*.tmp")), list(kept.parent.iterdir())
    (kept / "x").rmdir()
    kept.rmdir()
    again = run("log", "--progress", "held again")
    assert "could not be kept" not in again.stderr, again.stderr
    assert "held again" in kept.read_text() and "while held" in kept.read_text()


def test_a_board_write_says_its_copy_failed(project: Path, run: Runner) -> None:
    """The task board keeps a copy of its last write in ``.ai/.locks/live/tasks.org``
    (what a git command that puts back an older board is checked against): a folder
    there was silent. Now each write says it, naming what the copy is for; the task is
    written."""
    run("task", "add", "First", agent="planner.1")
    kept = project / ".ai/.locks/live/tasks.org"
    assert kept.is_file()
    _blocked(kept)
    done = run("task", "add", "Second", agent="planner.1")
    _said(done.stderr, project / ".ai/tasks.org", kept)
    assert "would undo the claims and locks written since, unseen" in done.stderr
    assert "Second" in (project / ".ai/tasks.org").read_text()
    assert not list(kept.parent.glob(".*.tmp")), list(kept.parent.iterdir())


def test_an_adopters_file_says_its_copy_failed(project: Path, run: Runner) -> None:
    """``recover --adopt`` writes the adopted session into the adopter's file, with its
    kept copy: a folder where that copy belongs was silent. Now it is said; the
    adoption is done."""
    run("start", "--title", "gone", agent=OTHER, as_another_agent=True)
    run("log", "--progress", "other's step", agent=OTHER)
    run("start", "--title", "mine", agent=ME, as_another_agent=True)
    mine = project / f".ai/session-context.d/{ME}.org"
    kept = project / f".ai/.locks/live/session-context.d/{ME}.org"
    _blocked(kept)
    done = run("recover", OTHER, "--adopt", "--force", agent=ME)
    _said(done.stderr, mine, kept)
    assert "other's step" in mine.read_text()
    assert not (project / f".ai/session-context.d/{OTHER}.org").exists()
