"""The warnings and advice about git operations, twelfth round of issue 14: every
advised command pasted, as a person pastes it, with real git, in the state it was
given in. Items of the review: 2 (``git stash -a`` then ``start``: the advice deleted
the fresh session), 7, 8, 9, 11, 12, 14."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from gitkit import first_commit, git, pasted
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner

FILE = ".ai/session-context.org"


# -- 2: git stash -a, then start: the advice never deletes the fresh session -------------


def test_stash_all_then_start_advice_keeps_the_fresh_session(project: Path,
                                                             run: Runner) -> None:
    """2: ``git stash -a`` took the session (and ``.ai/.locks/``), ``start`` began a
    fresh one, an entry went into it: the advice, pasted, brings the stashed session
    back and keeps the fresh one aside (``.before-pop``), saying where; no ``rm`` of a
    file the stash does not hold as it is."""
    first_commit(project)
    run("start", "--title", "SA")
    run("log", "--progress", "in stashed")
    (project / "a").write_text("a\nwip\n")
    git(project, "stash", "-q", "-a")
    run("start", "--title", "SB")
    run("log", "--progress", "in fresh")
    said = run("resume").stdout.replace("\n", " ")
    found = re.search(r"back with: (.*?) \(from (.*?)\)", said)
    assert found, said
    assert found.group(2) == str(project)
    removed = re.search(r"rm -f -- ([^&]*)", found.group(1))
    assert removed is None or FILE not in removed.group(1).split(), found.group(1)
    assert f"{FILE}.before-pop" in said, said
    done = pasted(project, found.group(1))
    assert done.returncode == 0, (found.group(1), done.stderr)
    assert (project / "a").read_text() == "a\nwip\n"
    assert "in stashed" in (project / FILE).read_text()
    assert "in fresh" in (project / f"{FILE}.before-pop").read_text()
    assert git(project, "stash", "list") == ""
    run("log", "--progress", "after")  # (the newest version: no write refused)


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=300))
def test_blob_id_is_gits(data: bytes) -> None:
    """2: the id that tells a file here again from the stash's is git's own (``git
    hash-object``), for any bytes."""
    from ai_protocols.git.history import blob_id

    done = subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True,
                          check=True)
    ours = blob_id(data, "0" * 40)
    assert ours == done.stdout.decode().strip()
    assert len(blob_id(data, "0" * 64)) == 64


# -- 7: a conflict with markers gets one advice, not "without conflict markers" ---------


def test_status_says_a_marked_conflict_once(project: Path, run: Runner) -> None:
    """7: both sides of a merge changed one line of the Summary: git (the driver's
    fallback, git merge-file) leaves conflict markers. ``status`` says the markers and
    their advice, and neither the false "unmerged without conflict markers" (with
    ``ai-protocols init`` and ``git checkout -m``) nor the unstaged-changes warning of
    an operation under way."""
    first_commit(project)
    run("start", "--title", "C")
    run("log", "--summary", "base summary")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "other")
    file = project / FILE
    file.write_text(file.read_text().replace("base summary\n", "other side summary\n"))
    git(project, "commit", "-q", "-am", "o")
    git(project, "checkout", "-q", "-")
    file.write_text(file.read_text().replace("base summary\n", "main side summary\n"))
    git(project, "commit", "-q", "-am", "m")
    git(project, "merge", "-q", "--no-edit", "other", check=False)
    assert "<<<<<<<" in file.read_text()
    said = run("status", check=False)
    out = said.stdout + said.stderr
    assert "merge-conflict markers" in out, out
    assert "without conflict markers" not in out and "checkout -m" not in out, out
    assert "has changes git has not staged" not in out, out


# -- 8: a branch switch took the committed session file: git switch back first ----------


def _switched_away(project: Path, run: Runner) -> None:
    """The session committed on main; ``git checkout -b other HEAD~1`` removes it."""
    first_commit(project)
    git(project, "branch", "-M", "main")
    run("start", "--title", "R")
    run("log", "--progress", "at C2")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "session")
    git(project, "checkout", "-q", "-b", "other", "HEAD~1")
    assert not (project / FILE).exists()


def test_a_branch_switch_names_git_switch_first(project: Path, run: Runner) -> None:
    """8: resume and a write name ``git switch main`` (the branch the kept copy records,
    whose tip holds the file) first, and say what start would do; pasted, it brings the
    file back and every write goes on."""
    _switched_away(project, run)
    said = run("resume").stdout.replace("\n", " ")
    found = re.search(r"go back with (git -C \S+ switch main) ", said)
    assert found, said
    assert said.index("git -C") < said.index("'ai-protocols start'"), said
    refused = run("log", "--progress", "x", check=False)
    assert refused.returncode == 3 and found.group(1) in refused.stderr, refused.stderr
    done = pasted(project, found.group(1))
    assert done.returncode == 0, done.stderr
    run("log", "--progress", "back on main")
    assert "at C2" in (project / FILE).read_text()


def test_start_after_a_branch_switch_says_how_to_go_back(project: Path,
                                                         run: Runner) -> None:
    """8: ``start`` brought the file back on the other branch: it warns that ``git
    switch main`` refuses now, and its command, pasted, goes back."""
    _switched_away(project, run)
    said = run("start").stderr.replace("\n", " ")
    found = re.search(r"to go back there, (mv -- .*? switch main) ", said)
    assert found, said
    stuck = git(project, "switch", "main", check=False)
    assert git(project, "branch", "--show-current") == "other", stuck
    done = pasted(project, found.group(1))
    assert done.returncode == 0, done.stderr
    assert git(project, "branch", "--show-current") == "main"
    run("log", "--progress", "back on main")


# -- 9: a stash, then a bisect or a rebase: one procedure ---------------------------------


def _stash_then(project: Path, run: Runner, operation: str) -> None:
    """The session committed, an entry logged and stashed, then ``git bisect start``
    (or a rebase stopped on a conflict) moves ``HEAD``; an entry is logged there."""
    first_commit(project)
    git(project, "branch", "-M", "main")
    run("start", "--title", "B")
    run("log", "--progress", "committed")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "c1")
    if operation == "rebase":
        git(project, "checkout", "-q", "-b", "feat")
        (project / "a").write_text("feat\n")
        git(project, "commit", "-q", "-am", "feat")
        git(project, "checkout", "-q", "main")
        (project / "a").write_text("main\n")
        git(project, "commit", "-q", "-am", "m2")
        git(project, "checkout", "-q", "feat")
    else:
        for i in range(2, 5):
            (project / "a").write_text(f"{i}\n")
            git(project, "commit", "-q", "-am", f"c{i}")
    run("log", "--progress", "stashed entry")
    git(project, "stash", "-q")
    if operation == "rebase":
        git(project, "rebase", "main", check=False)
        assert (project / ".git/rebase-merge").exists() or (project / ".git/rebase-apply").exists()
    else:
        git(project, "bisect", "start", "HEAD", "HEAD~3")


@pytest.mark.parametrize("operation", ["bisect", "rebase"])
def test_a_stash_then_an_operation_gets_one_procedure(project: Path, run: Runner,
                                                      operation: str) -> None:
    """9: the write's warning and resume's name the operation (not "a git checkout or
    switch"), give one procedure, no commit or ``git switch`` in the middle of it, and
    no second warning of the operation; pasted, it ends the operation, pops the stash
    and merges the write back in: every entry is there."""
    _stash_then(project, run, operation)
    wrote = run("log", "--progress", f"during {operation}").stderr.replace("\n", " ")
    said = run("resume").stdout.replace("\n", " ")
    end = "git bisect reset" if operation == "bisect" else "git rebase --abort"
    for text in (wrote, said):
        assert f"(the git {operation} under way)" in text, text
        assert "a git checkout or switch" not in text and "git switch" not in text, text
        assert "git commit" not in text, text
        assert "has changes git has not staged" not in text, text
        assert end in text, text
    found = re.search(r"with: (git checkout -- \S+ && git \S+ \S+ && git stash pop && "
                      r"ai-protocols merge-kept \S+) ", said)
    assert found, said
    done = pasted(project, found.group(1))
    assert done.returncode == 0, (found.group(1), done.stdout, done.stderr)
    text = (project / FILE).read_text()
    assert "stashed entry" in text and f"during {operation}" in text, text
    assert git(project, "stash", "list") == ""
    run("log", "--progress", "after")


# -- 12: the place HEAD moved from is the last write's ---------------------------------------


def test_moved_from_is_the_last_writes_place(project: Path, run: Runner) -> None:
    """12: a write into an older version (the stash took the newer one, a bisect moved
    ``HEAD``): the warning and the Log's ``moved:`` line start from where the last write
    was (main's tip, which the kept copy records), not from the commit the older file
    recorded (c1); merge-kept keeps that line."""
    _stash_then(project, run, "bisect")
    tip = git(project, "rev-parse", "main")
    older = git(project, "rev-parse", "main~3")
    wrote = run("log", "--progress", "during bisect").stderr
    assert f"HEAD moved from branch main at {tip} " in wrote, wrote
    assert older not in wrote.split("HEAD moved from", 1)[1], wrote
    line = f"moved: from branch main at {tip} to a detached HEAD at"
    assert line in (project / FILE).read_text()
    pasted(project, "git checkout -- .ai/session-context.org && git bisect reset && "
                 "git stash pop")
    run("merge-kept")
    text = (project / FILE).read_text()
    assert line in text and f"moved: from branch main at {older}" not in text, text


# -- 11: a reworded commit is not "rolled back"; a missing one says what to check ----------


def test_a_reworded_commit_is_not_rolled_back(tmp_path: Path) -> None:
    """11: the session recorded C2, committed on top of it; C2 reworded (same tree) and
    pushed; a fresh clone, which never had C2, does not warn "rolled back": the session
    file recording C2 is committed in HEAD's history."""
    origin, a, b = tmp_path / "origin.git", tmp_path / "A", tmp_path / "B"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(a))
    first_commit(a)
    runner = Runner(a)
    runner("init")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "init")
    runner("start", "--title", "R")
    (a / "a").write_text("a\nc2\n")
    git(a, "commit", "-q", "-am", "C2")
    runner("log", "--progress", "at C2")
    recorded = git(a, "rev-parse", "HEAD")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "session at C2")
    git(a, "-c", "sequence.editor=sed -i 1s/^pick/reword/", "-c",
        "core.editor=sed -i 1s/.*/reworded/", "rebase", "-q", "-i", "HEAD~2")
    assert recorded not in git(a, "log", "--format=%H")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", str(origin), str(b))
    said = Runner(b)("resume").stdout
    assert recorded in (b / FILE).read_text()
    assert "rolled back" not in said and "does not have that commit" not in said, said


def test_a_missing_commit_says_what_to_check(project: Path, run: Runner) -> None:
    """11: a recorded commit this clone does not have, and no session file in HEAD's
    history recorded: the warning says what to check (fetch, reflog, a rewrite)."""
    first_commit(project)
    run("start", "--title", "M")
    file = project / FILE
    gone = "0123456789abcdef0123456789abcdef01234567"
    head = git(project, "rev-parse", "HEAD")
    file.write_text(file.read_text().replace(head, gone))
    said = run("resume").stdout.replace("\n", " ")
    assert "does not have that commit" in said, said
    assert "git fetch" in said and "git reflog" in said, said


# -- 14: notes with CRLF, long notes, "1 entry" ------------------------------------------


def test_a_crlf_note_file_is_taken_as_log_takes_it(project: Path, run: Runner,
                                                   tmp_path: Path) -> None:
    """14: ``checkpoint --note @FILE`` with CRLF line endings is taken (its line breaks,
    as ``log --progress @FILE`` takes them); a lone CR is refused, named; a note of 5000
    characters on one line is bounded in ``checkpoint`` and ``checkpoint list``, the
    rest counted."""
    first_commit(project)
    run("start")
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"line one\r\nline two\r\n")
    (project / "a").write_text("b\n")
    taken = run("checkpoint", "--note", f"@{crlf}")
    assert "(line one, +1 more line)" in taken.stdout, taken.stdout
    lone = tmp_path / "cr.txt"
    lone.write_bytes(b"a\rb\n")
    (project / "a").write_text("c\n")
    refused = run("checkpoint", "--note", f"@{lone}", check=False)
    assert refused.returncode == 4 and "carriage return (CR)" in refused.stderr, \
        refused.stderr
    long = tmp_path / "long.txt"
    long.write_text("x" * 5000 + "\n")
    said = run("checkpoint", "--note", f"@{long}").stdout
    assert "+4,901 more characters" in said and "x" * 101 not in said, said
    listed = run("checkpoint", "list").stdout
    assert "(+4,901 more characters)" in listed and "x" * 101 not in listed, listed
    assert "line one (+1 more line)" in listed, listed


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_note_head_never_cuts_without_a_sign(note: str) -> None:
    """14: the one line a note is shown as holds at most 100 characters of its first
    line, and says what it left out whenever it left anything out."""
    from ai_protocols.cli.output import NOTE_SHOWN, note_head

    first, left = note_head(note)
    lines = [ln for ln in note.split("\n") if ln.strip()]
    whole = lines[0] if lines else ""
    assert len(whole) <= NOTE_SHOWN or (first.endswith("…") and "more characters" in left)
    assert (len(lines) > 1) == ("more line" in left)


def test_merge_kept_says_one_entry(project: Path, run: Runner) -> None:
    """14: merge-kept's Log line says "1 entry", not "1 entries"."""
    first_commit(project)
    run("start")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "s")
    run("log", "--progress", "kept only")
    git(project, "checkout", "--", FILE)
    run("merge-kept")
    text = (project / FILE).read_text()
    assert "1 entry the file lacked" in text and "1 entries" not in text, text
