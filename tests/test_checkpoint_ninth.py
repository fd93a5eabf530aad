"""Checkpoints and the read commands' warnings, ninth review of issue 14 (f6, f7, f10,
f11, f12, and checkpoints.md's words). Real git throughout."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, first_commit, git
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import Runner

_CONTROL = st.sampled_from([chr(c) for c in [*range(1, 10), *range(11, 32), 0x7F, 0x85, 0x9B,
                                               0x202E, 0x2028]])


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.text("ab \n", max_size=6), odd=_CONTROL, after=st.text("ab \n", max_size=6))
@example(before="", odd="\x1b", after="]0;pwned title\x07\x1b[2J")
def test_checkpoint_note_refuses_control_characters(project: Path, run: Runner, before: str,
                                                    odd: str, after: str) -> None:
    """f11: ``checkpoint --note`` refuses a control character as ``pause --note`` does
    (each of its lines held to the one-line rule; a note may have several lines),
    exit 4, and takes no checkpoint."""
    assume(not (odd == "\r" and after.startswith("\n")))  # (CRLF: a line ending, read as LF)
    if not (project / "a").exists():
        first_commit(project)
    note = f"x{before}{odd}{after}x"
    refused = run("checkpoint", "--note", note, check=False)
    assert refused.returncode == 4, refused.stderr
    assert "control character" in refused.stderr
    assert git(project, "for-each-ref", "refs/ai-protocols") == ""


def test_checkpoint_note_of_several_lines_is_still_taken(project: Path, run: Runner) -> None:
    first_commit(project)
    run("checkpoint", "--note", "first line\n\nsecond line")
    ref = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols")
    assert "second line" in git(project, "log", "-1", "--format=%B", ref)


def test_the_stash_advice_shows_odd_file_names_escaped(project: Path, run: Runner) -> None:
    """f7: an untracked file named with ESC (and one with a byte that is not UTF-8),
    stashed and there again: the list of files "here again" shows them by display's
    escapes (``\\x1b``, ``\\xff``), not as U+FFFD."""

    first_commit(project)  # (.ai/ committed with it)
    run("start", "--title", "ST")
    (project / "a").write_text("mod\n")
    run("checkpoint")
    names = [b"\x1b[31mred", b"odd \xff"]
    for name in names:
        (project / os.fsdecode(name)).write_bytes(b"o\n")
    git(project, "stash", "-u", "-q")
    for name in names:
        (project / os.fsdecode(name)).write_bytes(b"n\n")
    run("start")
    warning = run("resume").stdout
    assert "here again (" in warning, warning
    listed = warning.split("here again (", 1)[1]
    assert "\\x1b[31mred" in listed and "odd \\xff" in listed, listed
    assert "\ufffd" not in warning and "\x1b" not in warning


def test_a_new_orphan_branch_is_not_said_rolled_back(project: Path, run: Runner) -> None:
    """f12: on a new orphan branch the work is not "in another checkout": it is on the
    branch recorded, here; the advice (``git switch master``, quoted) pasted works."""
    git(project, "checkout", "-q", "-b", "it's-$(main)")
    first_commit(project)
    run("start", "--title", "OR")
    run("log", "--progress", "x")
    git(project, "checkout", "-q", "--orphan", "fresh")
    warning = run("resume").stdout
    assert "rolled back" not in warning and "another checkout" not in warning, warning
    flat = " ".join(warning.split())
    found = re.search(r"switch to it with: (.*? git switch 'it'\"'\"'s-\$\(main\)' .*?) \(from ",
                      flat)
    assert found, warning
    done = subprocess.run(["bash", "-c", found.group(1)], cwd=project,
                          capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, done.stderr
    assert "Warning" not in run("resume").stdout


def test_a_checkpoint_this_clone_took_whose_ref_and_commit_are_gone(project: Path,
                                                                    run: Runner) -> None:
    """f10: the ref of a checkpoint this clone took deleted and its commit gc'd: the
    warning says so (taken here, ref gone, commit gone), not "push it from the clone
    that took it", and advises no restore that exits 5."""
    first_commit(project)
    run("start", "--title", "GC")
    (project / "a").write_text("a\nw\n")
    run("checkpoint")
    git(project, "checkout", "-q", "a")
    ref = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols")
    git(project, "update-ref", "-d", ref)
    git(project, "reflog", "expire", "--expire=now", "--all")
    git(project, "gc", "-q", "--prune=now")
    warning = run("resume").stdout
    assert "taken in this clone" in warning and "ref is gone here" in warning, warning
    assert "clone that took it" not in warning and "checkpoint restore" not in warning


def test_a_file_replaced_by_a_plain_folder_is_no_nested_repository(project: Path,
                                                                   run: Runner) -> None:
    """f6: a tracked file replaced by a plain folder: the checkpoint holds the folder's
    files, and no "untracked git repository" warning is given; a real nested repository
    beside it still gets it."""
    first_commit(project)
    (project / "a").unlink()
    (project / "a").mkdir()
    (project / "a" / "f").write_text("f\n")
    said = run("checkpoint")
    assert "untracked git repositor" not in said.stderr, said.stderr
    ref = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols")
    assert "a/f" in git(project, "ls-tree", "-r", "--name-only", ref).split("\n")
    nested = project / "n"
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    (nested / "g").write_text("g\n")
    git(nested, "add", "g")
    git(nested, "commit", "-q", "-m", "n")
    said = run("checkpoint")
    assert "untracked git repository inside the work tree: n " in said.stderr, said.stderr


def test_checkpoint_changes_git_status_only_by_the_session_file(project: Path,
                                                                run: Runner) -> None:
    """checkpoints.md's words: the index and HEAD are untouched, and git status too but
    for a committed session file, which the checkpoint's record modifies."""
    from gitkit import commit_all

    first_commit(project)
    run("start", "--title", "S")
    commit_all(project, "session")
    (project / "a").write_text("a\nw\n")
    before = git(project, "status", "--porcelain=v2")
    index = (project / ".git/index").read_bytes()
    run("checkpoint")
    after = git(project, "status", "--porcelain=v2")
    assert (project / ".git/index").read_bytes() == index
    assert [line for line in after.splitlines() if line not in before.splitlines()] == \
        [line for line in after.splitlines() if line.endswith(" .ai/session-context.org")]
    assert ".ai/session-context.org" in after and ".ai/session-context.org" not in before
    text = (Path(__file__).parent.parent / "docs/checkpoints.md").read_text()
    assert "but\nfor the session file" in text or "but for the session file" in text


def test_checkpoint_list_says_a_recorded_checkpoint_lost_its_ref(project: Path,
                                                                 run: Runner) -> None:
    """After its ref is deleted (as git fetch --prune with the refspec does), ``list``
    says so, not only "No checkpoints yet", and the restore it names works."""
    first_commit(project)
    run("start", "--title", "S")
    (project / "a").write_text("a\nw\n")
    run("checkpoint")
    ref = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols")
    git(project, "update-ref", "-d", ref)
    said = run("checkpoint", "list")
    assert "No checkpoints yet" not in said.stdout, said.stdout
    assert "ref is gone here" in said.stderr and "still in this clone" in said.stderr
    command = re.search(r"(ai-protocols checkpoint restore \w+)", said.stderr)
    assert command, said.stderr
    git(project, "checkout", "-q", "a")
    run(*command.group(1).split()[1:], "--force")
    assert (project / "a").read_text() == "a\nw\n"
