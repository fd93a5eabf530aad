"""A person's deletion in a buffer opened after a merge stays deleted (twenty-third
round; docs/decisions.md, "Twenty-third round: a merge's own write record").

A fresh review (issue 14, fault 1): clone B logs ``b-agent``, commits, pushes; clone A
logs ``a-agent`` (the later write), commits, ``git pull`` (a real merge through the
driver); a person opens the session file in Emacs *after* the pull, deletes ``b-agent``
on purpose (and types a note), saves: A's next ``log`` said a stale buffer was saved
over the file and put ``b-agent`` back. The merge's result carried A's own write record,
so the person's save (the kept copy, byte for byte) could not be told from a buffer
opened before the pull. Real clones of a bare origin, real git (merge, rebase,
cherry-pick), the installed console script, real Emacs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from clonekit import Agent, Clones, git, push
from test_stalesave_twentythird import delete_line, emacs_edit, type_note


def _prepare(first: Agent) -> None:
    first("init")
    first("start", "--title", "Test")
    first("log", "--progress", "one")


def _merged(tmp_path: Path, how: list[str]) -> Clones:
    """B's ``b-agent`` pushed; A's later ``a-agent`` committed; A pulls by ``how``."""
    clones = Clones(tmp_path.resolve(), names=("A", "B"), prepare=_prepare)
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    clones.run_two("log", "--progress", "b-agent")
    push(clones.run_two, "B")
    time.sleep(1.1)  # (A's write the later one by its record's second too)
    clones.run_one("log", "--progress", "a-agent")
    git(clones.one, "add", "-A")
    git(clones.one, "commit", "-q", "-m", "A")
    git(clones.one, "fetch", "-q", "origin")
    git(clones.one, *how)
    text = clones.run_one.path.read_text()
    assert "] b-agent\n" in text and "] a-agent\n" in text, text
    return clones


PULLS = {"merge": ["merge", "-q", "--no-edit", "origin/main"],
         "merge-X": ["merge", "-q", "--no-edit", "-X", "ours", "origin/main"],
         "rebase": ["rebase", "-q", "origin/main"]}


@pytest.mark.parametrize("how", sorted(PULLS))
@pytest.mark.parametrize("typed", [False, True])
def test_a_deletion_after_the_pull_stays_deleted(tmp_path: Path, how: str,
                                                 typed: bool) -> None:
    clones = _merged(tmp_path, PULLS[how])
    run = clones.run_one
    edit = delete_line("] b-agent") + (type_note("A person note") if typed else "")
    emacs_edit(run.cwd, run.file, edit)
    status = run("status")
    assert "opened before" not in status.stdout + status.stderr
    done = run("log", "--progress", "a2")
    assert done.returncode == 0, done.stderr
    assert "stale" not in done.stderr and "lacked" not in done.stderr, done.stderr
    text = run.path.read_text()
    assert "] b-agent\n" not in text, text
    assert "] a-agent\n" in text and "] a2\n" in text and "] one\n" in text
    assert ("A person note\n" in text) == typed


@pytest.mark.parametrize("how", sorted(PULLS))
def test_a_buffer_opened_before_the_pull_still_loses_nothing(tmp_path: Path,
                                                            how: str) -> None:
    """The other side of the rule: a buffer opened on A's write before the pull and
    saved after it carries A's record, not the merge's: what the pull brought comes
    back, with what was typed."""
    clones = Clones(tmp_path.resolve(), names=("A", "B"), prepare=_prepare)
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    clones.run_two("log", "--progress", "b-agent")
    push(clones.run_two, "B")
    time.sleep(1.1)
    run = clones.run_one
    run("log", "--progress", "a-agent")
    git(clones.one, "add", "-A")
    git(clones.one, "commit", "-q", "-m", "A")
    git(clones.one, "fetch", "-q", "origin")
    emacs_edit(run.cwd, run.file, type_note("Typed before the pull"), ["git", *PULLS[how]])
    done = run("log", "--progress", "a2")
    assert done.returncode == 0, done.stderr
    text = run.path.read_text()
    for line in ("] b-agent\n", "] a-agent\n", "] a2\n", "Typed before the pull\n"):
        assert text.count(line) == 1, (line, text)


def test_the_merge_record_is_the_same_on_both_clones(tmp_path: Path) -> None:
    """The same inputs merged on two clones give the same bytes: A merges B's, B merges
    A's (the driver's sides swapped); and the record differs from A's write."""
    clones = Clones(tmp_path.resolve(), names=("A", "B"), prepare=_prepare)
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    clones.run_two("log", "--progress", "b-agent")
    git(clones.two, "add", "-A")
    git(clones.two, "commit", "-q", "-m", "B")
    time.sleep(1.1)
    clones.run_one("log", "--progress", "a-agent")
    written = clones.run_one.path.read_bytes()
    git(clones.one, "add", "-A")
    git(clones.one, "commit", "-q", "-m", "A")
    git(clones.one, "push", "-q", "origin", "HEAD:side")
    git(clones.two, "fetch", "-q", "origin")
    git(clones.one, "fetch", "-q", str(clones.two), "HEAD:b")
    git(clones.one, "merge", "-q", "--no-edit", "b")
    git(clones.two, "merge", "-q", "--no-edit", "origin/side")
    one, two = clones.run_one.path.read_bytes(), clones.run_two.path.read_bytes()
    assert one == two

    def record(data: bytes) -> bytes:
        return next(line for line in data.splitlines() if line.startswith(b":UPDATED_AT:"))

    assert record(one) != record(written)
    assert record(one).startswith(record(written))  # (the kept record, more digits)


def _fresh_minute() -> None:
    """Wait, when the minute is about to turn, for the next one: the set-ups below need
    their entries and writes in one minute (no timing is asserted)."""
    if time.localtime().tm_sec > 40:
        time.sleep(61 - time.localtime().tm_sec)


def _progress(text: str) -> list[str]:
    section = text.split("CUSTOM_ID: progress", 1)[1].split("\n** ", 1)[0]
    return [line for line in section.splitlines() if line.startswith(("- ", "<<<<<<<"))]


def _two_items(first: Agent) -> None:
    first("init")
    first("start", "--title", "Test")
    first("log", "--progress", "Reproduce the crash", "--progress", "Bisect the regression")


def _b_pushes_a_ticks_and_merges(clones: Clones):
    """B pushes what it did; A ticks "Bisect the regression", commits and merges B's
    push with a real ``git merge`` (which may stop: ``check=False``). Returns the
    merge's completed process."""
    push(clones.run_two, "B")
    clones.run_one("log", "--done", "Bisect the regression")
    git(clones.one, "add", "-A")
    git(clones.one, "commit", "-q", "-m", "A tick")
    git(clones.one, "fetch", "-q", "origin")
    return git(clones.one, "merge", "--no-edit", "origin/main", check=False)


def test_a_tick_of_an_item_deleted_beside_a_new_one_is_a_conflict(tmp_path: Path) -> None:
    """Review A's fault 2: in B a person deletes "Bisect the regression" and B's agent
    logs "Write the release notes" in the same minute; A ticks "Bisect the regression".
    The merge took the new item for the old one's edited first line and ticked it;
    now the documented conflict: the ticked item against nothing, the new item as B
    wrote it, unticked."""
    _fresh_minute()
    clones = Clones(tmp_path.resolve(), names=("A", "B"), prepare=_two_items)
    emacs_edit(clones.two, clones.run_two.file, delete_line("] Bisect the regression"))
    clones.run_two("log", "--progress", "Write the release notes")
    done = _b_pushes_a_ticks_and_merges(clones)
    assert done.returncode != 0, done.stdout
    lines = _progress(clones.run_one.path.read_text())
    assert any(line.startswith("- [X]") and line.endswith("] Bisect the regression")
               for line in lines), lines
    assert any(line.startswith("- [ ]") and line.endswith("] Write the release notes")
               for line in lines), lines
    assert not any(line.startswith("- [X]") and "release notes" in line for line in lines)


def test_a_persons_edit_of_a_first_line_still_takes_the_tick(tmp_path: Path) -> None:
    """The rule kept: B's person edits the first line (no write of the tool on B since
    the base), A ticks the item: one entry, edited and ticked, no conflict."""
    _fresh_minute()
    clones = Clones(tmp_path.resolve(), names=("A", "B"), prepare=_two_items)
    path = clones.run_two.path
    path.write_text(path.read_text().replace("] Bisect the regression\n",
                                             "] Bisect the regression in parser\n"))
    done = _b_pushes_a_ticks_and_merges(clones)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _progress(clones.run_one.path.read_text())
    assert sum("Bisect" in line for line in lines) == 1, lines
    assert any(line.startswith("- [X]") and line.endswith("] Bisect the regression in parser")
               for line in lines), lines
