"""Issue 14, eighteenth round (restore): a fresh reviewer's faults 8, 9 and 10. The note
of a ``checkpoint restore --force`` taken on another commit says the work tree is the
checkpoint's only when no path was left; the refusals of a restore give advice that
works when followed (run here, pasted); ``merge-kept`` of a session file a git
operation left unmerged names that operation and says how each abort behaves, each
tested by running the command it names. Real git, the installed console script."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from gitkit import git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rename_seventeenth import SESSION, _a_entries, _clones, _diverge, _quoted_command

from conftest import Runner

#: File names as people make them, glob characters and a leading colon among them (a
#: pathspec's magic: gitglossary(7)).
_NAME = st.text(st.sampled_from("abcXYZ019 -_.*?[]:é"), min_size=1, max_size=10).filter(
    lambda s: s.strip() == s and s not in (".", "..") and not s.startswith("-")
    and s not in ("f", "h", "g"))


def _repo(tmp_path: Path) -> tuple[Path, Runner]:
    """A fresh repository after ``init``, its first commit holding ``f``."""
    project = Path(tempfile.mkdtemp(dir=tmp_path)).resolve()
    git(project, "init", "-q")
    (project / "f").write_text("orig\n")
    git(project, "add", "f")
    git(project, "commit", "-qm", "c1")
    run = Runner(project)
    run("init")
    return project, run


# -- 8: the note says the work tree is the checkpoint's ---------------------------------------


def _left_said(stderr: str) -> tuple[int, int]:
    """How many paths the note says were left, and how many the lists below name (those
    under a ``Kept ...:`` or ``Left ...:`` line)."""
    found = re.search(r"the checkpoint's but for (\d+) paths? named below", stderr)
    assert found, stderr
    listed, counting = 0, False
    for line in stderr.splitlines():
        if not line.startswith("  "):
            counting = line.startswith(("Kept ", "Left "))
        elif counting:
            listed += 1
    return int(found.group(1)), listed


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAME)
def test_a_path_kept_on_another_commit_is_said_in_the_note(tmp_path: Path, name: str) -> None:
    """The reviewer's f8.sh: work only in the work tree, which the checkpoint lacks, is
    kept; the note must not say the work tree is now the checkpoint's, without more."""
    project, run = _repo(tmp_path)
    (project / "f").write_text("C\n")
    run("checkpoint", "--note", "cp1")
    git(project, "checkout", "-q", "--", "f")
    (project / "h").write_text("h\n")
    git(project, "add", "h")
    git(project, "commit", "-qm", "c2")
    (project / name).write_text("untracked work\n")
    done = run("checkpoint", "restore", "1", "--force")
    note = done.stderr.splitlines()[0]
    assert note.startswith("Note:") and "taken on commit" in note, done.stderr
    assert (project / name).read_text() == "untracked work\n"  # (kept)
    assert _left_said(done.stderr) == (1, 1), done.stderr
    kept = done.stderr.split("whose work is kept nowhere else", 1)[1]
    assert name in kept or repr(name) in kept, done.stderr


def test_the_tool_s_own_files_left_are_said_in_the_note(tmp_path: Path) -> None:
    """A restore never writes the tool's own files: the board changed since the checkpoint
    is left, and the note says so (every path left, whatever the reason)."""
    project, run = _repo(tmp_path)
    (project / "f").write_text("C\n")
    run("checkpoint", "--note", "before the board")
    git(project, "checkout", "-q", "--", "f")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "c2")
    run("task", "add", "A task the board gained since", agent="h.p.claude.1")
    board = (project / ".ai" / "tasks.org").read_bytes()
    done = run("checkpoint", "restore", "1", "--force")
    note = done.stderr.splitlines()[0]
    assert (project / ".ai" / "tasks.org").read_bytes() == board
    assert ".ai/tasks.org" in done.stderr.split("under .ai/", 1)[1], done.stderr
    said, listed = _left_said(note + "\n" + done.stderr)
    assert said == listed >= 1, done.stderr
    assert (project / "f").read_text() == "C\n"


# -- 9: advice that works when followed ------------------------------------------------------


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAME)
def test_the_staged_work_advice_followed_keeps_it_and_lets_the_restore_go(
        tmp_path: Path, name: str) -> None:
    """The reviewer's f9.sh: ``git add`` a change, then the file edited back. A checkpoint
    records the work tree, not the index: the advice must not send there; followed as
    pasted, it keeps the staged text, and the restore goes through; its command that
    stages it again gives the index back."""
    project, run = _repo(tmp_path)
    (project / name).write_text("committed\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "c2")
    for path in ("f", name):
        (project / path).write_text(f"checkpointed {path}\n")
    run("checkpoint", "--note", "cp1")
    for path in ("f", name):
        (project / path).write_text(f"STAGED {path}\n")
    git(project, "add", "--", "f", f":(literal){name}")
    (project / name).write_text("committed\n")  # (edited back: the work tree is HEAD's)
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15, refused.stderr
    said = refused.stderr.replace("\n", " ")
    assert "take a checkpoint" not in said and "staged" in said, said
    aside = re.search(r"set what is staged aside with: (.*?) \(after the restore, (.*?) "
                      r"stages it again\)", said)
    assert aside, said
    # f's work tree holds what is staged: unstaged, it would be kept nowhere: a checkpoint
    # comes first.
    assert aside.group(1).startswith("ai-protocols checkpoint && "), said
    followed = pasted(project, aside.group(1))
    assert followed.returncode == 0, followed.stderr
    again = run("checkpoint", "restore", "1", "--force")
    assert (project / name).read_text() == f"checkpointed {name}\n", again.stderr
    assert (project / "f").read_text() == "checkpointed f\n"
    back = pasted(project, aside.group(2))
    assert back.returncode == 0, back.stderr
    for path in ("f", name):
        assert git(project, "show", f":./{path}") == f"STAGED {path}", path


def test_staged_work_the_work_tree_holds_is_kept_by_the_checkpoint_advised(
        tmp_path: Path) -> None:
    """Where the work tree holds what is staged, a checkpoint records it: the advice says
    so, and followed, the restore goes through and the checkpoint holds the staged text."""
    project, run = _repo(tmp_path)
    (project / "f").write_text("C\n")
    run("checkpoint", "--note", "cp1")
    (project / "f").write_text("STAGED\n")
    git(project, "add", "f")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15 and "take a checkpoint (ai-protocols checkpoint), which " \
        "records it" in refused.stderr.replace("\n", " "), refused.stderr
    run("checkpoint", "--note", "keeps it")
    run("checkpoint", "restore", "1", "--force")
    assert (project / "f").read_text() == "C\n"
    assert git(project, "show", f"{_ref(project, 2)}:f") == "STAGED"


def _ref(project: Path, number: int) -> str:
    (ref,) = [r for r in git(project, "for-each-ref", "--format=%(refname)",
                             "refs/ai-protocols/checkpoints").splitlines()
              if r.endswith(f"/{number}")]
    return ref


def test_untracked_work_in_the_way_advice_followed_lets_the_restore_go(
        tmp_path: Path) -> None:
    """An untracked file where the checkpoint has another: "stash it" would not help (a
    bare git stash leaves untracked files); the advice now names a checkpoint, which,
    taken, lets the restore go through, the file's text kept in it."""
    project, run = _repo(tmp_path)
    (project / "new.txt").write_text("the checkpoint's\n")
    run("checkpoint", "--note", "cp1")
    (project / "new.txt").write_text("untracked work since\n")
    git(project, "stash", "-q", check=False)  # (what "stash it" did: nothing of it)
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15, refused.stderr
    said = refused.stderr.replace("\n", " ")
    assert "take a checkpoint (ai-protocols checkpoint)" in said and "stash" not in said, said
    run("checkpoint", "--note", "keeps it")
    run("checkpoint", "restore", "1", "--force")
    assert (project / "new.txt").read_text() == "the checkpoint's\n"
    assert git(project, "show", f"{_ref(project, 2)}:new.txt") == "untracked work since"


# -- 10: merge-kept's word on the operation under way and its abort -------------------------


def _ours_revert(base: Path) -> Path:
    """Clone ``a`` commits a line a person typed into the session, then a change that
    logs an entry and deletes that line, then logs on, wraps the session up and commits
    that; reverting the change stops on a modify/delete (the archive, the deleting
    side's, is this side's) and puts back the typed line, which the archive lacks (a
    revert whose file the archive holds whole is only told the one command left)."""
    a, _ = _clones(base)
    session = a / SESSION
    typed = "A line a person typed that the change deletes.\n"
    session.write_text(session.read_text() + typed)
    git(a, "commit", "-q", "-am", "typed")
    Runner(a)("log", "--progress", "the change the revert takes out")
    session.write_text(session.read_text().replace(typed, ""))
    git(a, "commit", "-q", "-am", "change")
    for text in _a_entries(12):
        Runner(a)("log", "--progress", text)
    Runner(a)("wrap-up", "done in a")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "wrap-up")
    git(a, "revert", "--no-edit", "HEAD~1", check=False)
    return a


def _stopped(base: Path, op: str, archived: str) -> tuple[Path, str]:
    """The clone stopped by ``op`` on the modify/delete of the live session file, the
    archive this side's (``archived == "ours"``: in ``HEAD``) or brought by ``op``, and
    its ``HEAD`` before ``op``."""
    if op == "revert":
        a = _ours_revert(base)
        return a, git(a, "rev-parse", "HEAD")
    a, b, _ = _diverge(base)
    if op == "rebase":
        before = git(b, "rev-parse", "HEAD")
        git(a, "push", "-q", "origin", "HEAD:main")
        git(b, "pull", "-q", "--rebase", "origin", "main", check=False)
        return b, before
    here, there = (a, b) if archived == "ours" else (b, a)
    before = git(here, "rev-parse", "HEAD")
    git(there, "push", "-q", "origin", "HEAD:side")
    git(here, "fetch", "-q", "origin")
    if op == "merge":
        git(here, "merge", "-q", "origin/side", check=False)
    elif op == "cherry-pick":
        git(here, "cherry-pick", "origin/side", check=False)
    else:  # am, three ways
        git(here, "format-patch", "-q", "-1", "origin/side", "-o", str(base / "patches"))
        (patch,) = (base / "patches").iterdir()
        git(here, "am", "-3", str(patch), check=False)
    return here, before


@pytest.mark.parametrize(("op", "archived"), [
    ("merge", "theirs"), ("merge", "ours"), ("rebase", "ours"), ("cherry-pick", "theirs"),
    ("cherry-pick", "ours"), ("revert", "ours"), ("am", "theirs"), ("am", "ours")])
def test_merge_kept_says_what_each_abort_does_and_it_does_it(tmp_path: Path, op: str,
                                                             archived: str) -> None:
    """The reviewer's f10.sh: during a rebase, merge-kept said "'git rebase --abort'
    refuses while it differs from the index" (it goes through, dropping the write) and
    called the rebase "git's merge". Each operation is named, and what the message says
    of its abort is what running that abort does."""
    clone, before = _stopped(tmp_path.resolve(), op, archived)
    state = git(clone, "status", "--short", "--", SESSION)
    assert state[:2] in ("UD", "DU"), state
    merged = Runner(clone)("merge-kept", str(clone / SESSION))
    said = merged.stderr.replace("\n", " ")
    assert f"which the git {op} under way left unmerged" in said, said
    assert "git's merge" not in said, said
    (archive,) = (clone / ".ai" / "sessions").glob("*.org")
    written = archive.read_bytes()
    plain = pasted(clone, f"git {op} --abort")
    if f"'git {op} --abort' refuses" in said:
        assert plain.returncode != 0, plain.stdout + plain.stderr
        assert archive.read_bytes() == written
        done = pasted(clone, _quoted_command(said, "git checkout -- "))
        assert done.returncode == 0, done.stdout + done.stderr
        assert git(clone, "rev-parse", "HEAD") == before
        assert not git(clone, "status", "--porcelain", "--", ".ai/sessions")
    elif f"'git {op} --abort' goes through and keeps this write" in said:
        assert plain.returncode == 0, plain.stdout + plain.stderr
        assert archive.read_bytes() == written
        assert git(clone, "rev-parse", "HEAD") == before
        back = pasted(clone, _quoted_command(said, "git checkout -- "))
        assert back.returncode == 0 and archive.read_bytes() != written
    else:
        assert f"'git {op} --abort' goes through as it is" in said and "drops" in said, said
        assert plain.returncode == 0, plain.stdout + plain.stderr
        assert git(clone, "rev-parse", "HEAD") == before
        assert not archive.exists() or archive.read_bytes() != written
    assert (archived == "theirs") == (f"'git {op} --abort' refuses" in said), said
