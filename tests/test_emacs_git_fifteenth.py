"""A person's Emacs buffer and git changing files under it (issue 14, fifteenth round;
docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)").

1. A buffer with unsaved changes visits the session file; ``git pull`` (a merge through
   the driver, or a fast-forward) changes the file under it; the person saves (answering
   "yes" to "changed on disk"): the file is the version from before the pull plus what
   was typed. The next write merges back what git brought, keeping what was typed.
2. ``checkpoint restore --force`` refuses to write a file whose Emacs buffer has unsaved
   changes (a live ``.#NAME`` lock): the person's save would undo the restore.

Emacs is imitated as the tests of the lock policy do: a live lock ``.#NAME`` (a symbolic
link naming another host, which cannot be checked, so live) while the buffer is
modified, and the save as Emacs's first save of a buffer writes it (a new file renamed
into place, the old one kept as the backup). Real clones of a bare repository, real
``git pull``, the installed console script.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import Clones, git

from conftest import Runner
from emacs import assert_reader_agrees, org_element

CONTEXT = Path(".ai/session-context.org")
LOCK = Path(".ai/.#session-context.org")


def open_in_emacs(clone: Path, name: Path = CONTEXT) -> bytes:
    """The buffer a person opens and starts typing in: the file's bytes, and the live
    lock Emacs takes at the first change."""
    (clone / name.parent / f".#{name.name}").symlink_to("someone@elsewhere.1")
    return (clone / name).read_bytes()


def save_from_emacs(clone: Path, buffer: bytes, name: Path = CONTEXT) -> None:
    """The person's save, answering "yes" to "changed on disk": the buffer written as a
    new file renamed into place (Emacs's first save; the old file goes to a backup), and
    the lock removed."""
    target = clone / name
    temp = target.with_name(target.name + ".saving")
    temp.write_bytes(buffer)
    os.replace(temp, target)
    (clone / name.parent / f".#{name.name}").unlink()


def typed_into(buffer: bytes, line: str) -> bytes:
    """``line`` typed at the end of the buffer (the Log section's end), as a person adds
    a note."""
    return buffer + f"- {line}\n".encode()


def pull(clone: Path) -> str:
    done = git(clone, "pull", "--no-rebase", "-q", "origin", "main")
    return done.stderr


def count_in(data: bytes, text: str) -> int:
    return data.decode().count(text)


def _merge_case(base: Path) -> tuple[Clones, bytes]:
    """Clone one logs an entry and a decision and pushes; clone two logs its own and
    commits; two's buffer is opened (before the pull): the two diverge, so the pull
    merges through the driver."""
    clones = Clones(base)
    one, two = Runner(clones.one), Runner(clones.two)
    one("log", "--progress", "A entry from the other clone", "--decision", "A decision",
        "--rationale", "why")
    clones.commit(clones.one, "a")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    two("log", "--progress", "B before the pull")
    clones.commit(clones.two, "b")
    return clones, open_in_emacs(clones.two)


def _fast_forward_case(base: Path) -> tuple[Clones, bytes]:
    """Clone two has written (its kept copy) and pushed; one pulls it, logs and pushes;
    two's buffer is opened before its pull, a fast-forward (no driver runs)."""
    clones = Clones(base)
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "B before the pull")
    clones.commit(clones.two, "b")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    pull(clones.one)
    one("log", "--progress", "A entry from the other clone", "--decision", "A decision",
        "--rationale", "why")
    clones.commit(clones.one, "a")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    return clones, open_in_emacs(clones.two)


A_ENTRIES = ("A entry from the other clone", "A decision")


@pytest.mark.parametrize("case", [_merge_case, _fast_forward_case],
                         ids=["merge-through-the-driver", "fast-forward"])
def test_a_stale_save_over_a_pull_is_merged_back_at_the_next_write(
        tmp_path: Path, case) -> None:
    clones, buffer = case(tmp_path.resolve())
    two = Runner(clones.two)
    said = pull(clones.two)
    pulled = (clones.two / CONTEXT).read_bytes()
    assert all(count_in(pulled, a) == 1 for a in A_ENTRIES)
    if case is _merge_case:  # the driver ran on a file a live Emacs buffer holds
        assert "open with unsaved changes in Emacs" in said
    save_from_emacs(clones.two, typed_into(buffer, "a note typed by a person in Emacs"))
    assert all(count_in((clones.two / CONTEXT).read_bytes(), a) == 0 for a in A_ENTRIES)
    done = two("log", "--progress", "B after the save")
    assert "git brought" in done.stderr and "merged back" in done.stderr
    data = (clones.two / CONTEXT).read_bytes()
    for text in (*A_ENTRIES, "B before the pull", "B after the save",
                 "a note typed by a person in Emacs", "Base step"):
        assert count_in(data, text) == 1, text
    assert "merged back: 2 entries git brought" in data.decode()
    [parsed] = org_element([clones.two / CONTEXT])  # Emacs reads the merged file as we do
    assert_reader_agrees(clones.two / CONTEXT, parsed)
    # Said once: the next write finds nothing to merge back, and git commits it all.
    again = two("log", "--progress", "B later")
    assert "merged back" not in again.stderr
    git(clones.two, "commit", "-q", "-am", "b after")
    committed = git(clones.two, "show", f"HEAD:{CONTEXT.as_posix()}").stdout
    assert all(committed.count(a) == 1 for a in A_ENTRIES)
    assert "a note typed by a person in Emacs" in committed
    assert "B after the save" in committed and "B later" in committed


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=40).map(str.strip).filter(bool))
def test_what_a_person_typed_into_the_stale_buffer_stays(typed: str) -> None:
    base = Path(tempfile.mkdtemp()).resolve()
    try:
        clones, buffer = _fast_forward_case(base)
        pull(clones.two)
        line = f"typed: {typed}"
        saved = typed_into(buffer, line)
        save_from_emacs(clones.two, saved)
        Runner(clones.two)("log", "--progress", "B after the save")
        data = (clones.two / CONTEXT).read_bytes()
        assert f"- {line}\n".encode() in data
        assert all(count_in(data, a) == 1 for a in A_ENTRIES)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_an_entry_a_person_deleted_is_not_brought_back_by_a_later_commit(
        repo: Path, run: Runner) -> None:
    """The entries git brought are those neither the file, the tool's last write, nor
    the file at the commit that write recorded holds: an entry committed before, that a
    person deleted since, stays deleted when HEAD moves on (a commit of other files)."""
    (repo / "a").write_text("a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "i")
    run("start", "--title", "T")
    run("log", "--progress", "Keep me", "--progress", "Delete me")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "session")
    path = repo / CONTEXT
    text = path.read_text()
    line = next(x for x in text.splitlines(keepends=True) if "Delete me" in x)
    open_in_emacs(repo)
    save_from_emacs(repo, text.replace(line, "").encode())
    run("log", "--progress", "After the deletion")
    (repo / "b").write_text("b\n")
    git(repo, "add", "b")
    git(repo, "commit", "-q", "-m", "other files only")  # HEAD moved; its file has it
    done = run("log", "--progress", "After the commit")
    assert "merged back" not in done.stderr
    data = path.read_bytes()
    assert count_in(data, "Delete me") == 0 and count_in(data, "After the commit") == 1


def _with_plan(clone: Path, old: str, new: str) -> None:
    path = clone / CONTEXT
    path.write_text(path.read_text().replace(old, new))


def test_a_stale_save_that_does_not_merge_cleanly_is_refused_with_commands_that_work(
        tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    # A line of a person's free text, in both clones.
    _with_plan(clones.one, "** Progress\n", "Plan: undecided\n** Progress\n")
    clones.commit(clones.one, "plan")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    pull(clones.two)
    two("log", "--progress", "B before the pull")
    clones.commit(clones.two, "b")
    # One changes that line and logs; two's person changes it too, unsaved.
    _with_plan(clones.one, "Plan: undecided", "Plan: from A")
    one("log", "--progress", "A entry from the other clone")
    clones.commit(clones.one, "a")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    buffer = open_in_emacs(clones.two).replace(b"Plan: undecided", b"Plan: from B")
    pull(clones.two)
    save_from_emacs(clones.two, buffer)
    path = clones.two / CONTEXT
    before = path.read_bytes()
    done = two("log", "--progress", "B after", check=False)
    assert done.returncode == 6, done.stderr
    assert "lacks 1 entry and 1 line that git brought" in done.stderr  # (A's Plan line)
    assert path.read_bytes() == before  # nothing written
    command = done.stderr.rsplit("settle the conflict markers in the file: ", 1)[1]
    command = command.split("; it was left unchanged")[0].strip()
    pasted_done = pasted(clones.two, command)
    assert pasted_done.returncode == 1, pasted_done.stderr  # a conflict left to settle
    merged = path.read_text()
    assert "A entry from the other clone" in merged and "B before the pull" in merged
    assert "Plan: from A" in merged and "Plan: from B" in merged and "<<<<<<<" in merged


# -- 2. checkpoint restore --force and a file a live Emacs buffer holds ---------------------


def test_restore_in_place_refuses_a_file_with_unsaved_changes_in_emacs(
        repo: Path, run: Runner) -> None:
    (repo / "src.txt").write_text("base\n")
    (repo / "other.txt").write_text("other\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "i")
    run("start", "--title", "T")
    with (repo / "src.txt").open("a") as out:
        out.write("checkpointed work\n")
    run("checkpoint", "--note", "cp")
    git(repo, "checkout", "-q", "--", "src.txt")
    open_in_emacs(repo, Path("src.txt"))
    status = git(repo, "status", "--porcelain", "-uall").stdout
    done = run("checkpoint", "restore", "1", "--force", check=False)
    assert done.returncode == 15, done.stderr
    assert "src.txt" in done.stderr and "save or revert it in Emacs" in done.stderr
    assert (repo / "src.txt").read_text() == "base\n"  # nothing changed
    assert git(repo, "status", "--porcelain", "-uall").stdout == status
    # A lock on a file the restore does not write refuses nothing.
    (repo / ".#src.txt").unlink()
    open_in_emacs(repo, Path("other.txt"))
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "src.txt").read_text() == "base\ncheckpointed work\n"
