"""A stale save of the task board that git's later moves hide loses nothing (issue 15,
twenty-second round; docs/decisions.md, "Issue 15, twenty-second round (the board's
stale saves that git's later moves hide)").

A buffer of ``.ai/tasks.org`` opened before a ``git pull`` (which brought another
clone's task, its live claim and lock) is saved after it with a note typed in it; then,
before any ai-protocols command, git moves on: a second pull that touches other files
only, a commit of the save (``git commit -am``, ``git add -A && git commit``), or that
commit and a pull after it. The old code judged only the newest pull against the one
before (a pull of other files hid the earlier one), and took a board ``HEAD`` holds for
git's doing (a committed stale save stood): no warning, the task shown free, the hook
letting an edit into the lost lock, and the next write made the loss permanent. A
deliberate edit made on the latest version (a buffer opened after the pull), committed,
still stands.

Two real clones of a bare repository, real ``git``, the installed console script; one
save through real ``emacs --batch``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_stalefix_nineteenth import _commit, _read, _save, _things, two_clones

from conftest import BIN, Runner, clean_env

#: What git does after the stale save, before any ai-protocols command.
AFTER = {
    "second-pull": ("pull",),  # (a pull of other files only)
    "commit-am": ("commit -am",),  # (a person's ``git commit -am``)
    "add-all-commit": ("add-all",),  # (an agent's ``git add -A && git commit``)
    "commit-then-pull": ("commit -am", "pull"),  # (then a fast-forward to the other's)
    "pull-then-commit": ("pull", "commit -am"),
}


def _pull_brings(a: Path, b: Path, run_a: Runner) -> set[tuple[str, str, str]]:
    """``a`` adds a task, claims it and locks ``src/api`` (live: the test process owns
    them), commits and pushes; ``b`` pulls it. Returns what the pull brought."""
    before = _things((b / BOARD).read_text(encoding="utf-8"))
    ident = run_a("task", "add", "Pulled task", agent="pa").stdout.strip()
    run_a("task", "claim", ident, agent="ca")
    run_a("lock", "src/api", "--reason", "a reshapes it", agent="ca")
    _commit(a, "a's claim and lock")
    git(a, "push", "-q", "origin", "HEAD:main")
    if git(b, "status", "--porcelain").stdout.strip():
        _commit(b, "before the pull")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    return _things((b / BOARD).read_text(encoding="utf-8")) - before


def _other_files(a: Path, b: Path, number: int) -> None:
    """``a`` commits and pushes a file other than the board; ``b`` pulls it."""
    (a / f"README{number}").write_text("readme\n", encoding="utf-8")
    _commit(a, f"a readme {number}")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")


def _git_moves(a: Path, b: Path, moves: tuple[str, ...]) -> None:
    """What git does in ``b`` after the stale save (:data:`AFTER`)."""
    for number, move in enumerate(moves):
        if move == "pull":
            _other_files(a, b, number)
        elif move == "commit -am":
            git(b, "commit", "-q", "-am", "notes on my task")
        else:
            _commit(b, "an agent's commit of everything")


def _typed(buffer: bytes, note: str) -> bytes:
    """The buffer with ``note`` typed as a line under its last task."""
    return buffer.rstrip(b"\n") + b"\n" + note.encode("utf-8") + b"\n"


def _stale_then(base: Path, fresh: bool, after: str, note: str
                ) -> tuple[Path, Path, Runner, Runner, set[tuple[str, str, str]]]:
    """Two clones; ``b``'s buffer opened, a pull that brings ``a``'s claimed task and
    lock, the buffer saved with ``note`` typed, then git's ``after`` moves. Returns the
    clones, their runners and what the pull brought."""
    a, b, run_a, run_b = two_clones(base, fresh)
    buffer = (b / BOARD).read_bytes()
    brought = _pull_brings(a, b, run_a)
    assert {kind for kind, _i, _o in brought} == {"task", "claim", "lock"}, brought
    _save(b, _typed(buffer, note), "rename")
    _git_moves(a, b, AFTER[after])
    return a, b, run_a, run_b, brought


@pytest.mark.parametrize("fresh", [False, True], ids=["b-wrote", "fresh-clone"])
@pytest.mark.parametrize("after", list(AFTER))
def test_a_stale_save_that_git_moved_on_from_is_found_and_merged_back(
        tmp_path: Path, after: str, fresh: bool) -> None:
    """Whatever git did after the stale save (:data:`AFTER`), every reader shows what
    the pull brought, warns that the board lacks what git brought, and the next write
    puts it back on the board with the typed note kept once; the hook refuses an edit
    into the other clone's lock meanwhile (the old code: nothing shown, no warning, the
    hook let the edit through, and the write lost them for good)."""
    _a, b, _run_a, run_b, brought = _stale_then(tmp_path.resolve(), fresh, after,
                                                "Person note typed")
    assert not brought & _things((b / BOARD).read_text(encoding="utf-8"))
    shown, said = _read(run_b)
    assert brought <= shown, (sorted(brought - shown), said)
    assert "lacks what git brought" in said, said
    hook = write_hook(b, b / "src" / "api" / "x.py", "pb")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    written = run_b("task", "add", "After the save", agent="pb")
    assert "lacked what git brought" in written.stderr, written.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert brought <= _things(text), (sorted(brought - _things(text)), written.stderr)
    assert text.count("Person note typed") == 1, text
    assert "with what was typed in it" in written.stderr, written.stderr
    again, said = _read(run_b)  # (written: nothing is lacking any more)
    assert brought <= again and "lacks" not in said, said


@settings(max_examples=3, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(st.characters(whitelist_categories=("L", "N", "Zs"),
                                  max_codepoint=0x2FF), min_size=1, max_size=30)
       .map(lambda s: f"Note {s.strip()}"),
       after=st.sampled_from(list(AFTER)))
def test_any_typed_note_of_a_hidden_stale_save_is_kept_with_what_git_brought(
        tmp_path_factory: pytest.TempPathFactory, note: str, after: str) -> None:
    """Any line typed in the stale buffer is on the board once after the next write,
    beside every task, claim and lock the pull brought."""
    _a, b, _run_a, run_b, brought = _stale_then(
        tmp_path_factory.mktemp("h").resolve(), False, after, note)
    run_b("lock", "next", "--reason", "next write", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    assert brought <= _things(text), (note, after, text)
    assert text.count(f"\n{note}\n") == 1, (note, text)


@pytest.mark.parametrize("commit", ["commit-am", "add-all-commit"])
def test_a_deliberate_edit_on_the_latest_version_committed_stands(
        tmp_path: Path, commit: str) -> None:
    """A buffer opened after the pull (it holds what the pull brought), in which the
    person deletes the other clone's claimed task and types a note, saved and
    committed: the person's edit stands (no warning, the task stays deleted after the
    next write)."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), False)
    _pull_brings(a, b, run_a)
    text = (b / BOARD).read_text(encoding="utf-8")
    start = text.index("* DOING Pulled task")
    end = text.find("\n* ", start + 1)
    edited = text[:start] + (text[end + 1:] if end >= 0 else "")
    _save(b, _typed(edited.encode(), "Deliberate note"), "rename")
    _git_moves(a, b, AFTER[commit])
    shown, said = _read(run_b)
    assert "lacks" not in said and not any(kind == "claim" for kind, _i, _o in shown), said
    written = run_b("task", "add", "After the edit", agent="pb")
    after = (b / BOARD).read_text(encoding="utf-8")
    assert "Pulled task" not in after and "lacked" not in written.stderr, written.stderr
    assert after.count("Deliberate note") == 1


@pytest.mark.skipif(shutil.which("emacs") is None, reason="needs emacs")
def test_emacs_a_buffer_saved_over_a_pull_then_committed_loses_nothing(
        tmp_path: Path) -> None:
    """In real ``emacs --batch``: the board visited, then (run from Emacs, beside it)
    ``git pull`` that brings the other clone's claimed task and lock, a note typed,
    "changed on disk" answered yes, saved; then ``git commit -am`` and a second pull of
    another file. The readers show the pulled task claimed and the next write puts it
    back with the note."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), True)
    ident = run_a("task", "add", "Pulled task", agent="pa").stdout.strip()
    run_a("task", "claim", ident, agent="ca")
    run_a("lock", "src/api", "--reason", "a reshapes it", agent="ca")
    _commit(a, "a's claim and lock")
    git(a, "push", "-q", "origin", "HEAD:main")
    env = clean_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                    GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.com",
                    GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.com")
    lisp = ('(progn (call-process "git" nil nil nil "pull" "-q" "--no-rebase" "origin" '
            '"main") (advice-add (quote ask-user-about-supersession-threat) :override '
            '(lambda (f) nil)) (fset (quote yes-or-no-p) (lambda (p) t)) '
            '(goto-char (point-max)) (insert "Typed in Emacs\\n") (save-buffer))')
    subprocess.run(["emacs", "--batch", "-Q", str(BOARD), "--eval", lisp], cwd=b, env=env,
                   capture_output=True, timeout=120, check=True)
    assert "Pulled task" not in (b / BOARD).read_text(encoding="utf-8")  # (stale save)
    _git_moves(a, b, ("commit -am", "pull"))
    listed = run_b("task", "list", "--all", agent="pb")
    assert "Pulled task" in listed.stdout and "claimed by ca" in listed.stdout, listed
    run_b("task", "add", "After the save", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "Pulled task" in text and ":PATH:" in text and text.count("Typed in Emacs") == 1


def test_a_claim_a_stale_buffers_close_dropped_is_said_as_the_editors_not_a_merge(
        project: Path, run: Runner) -> None:
    """One clone, no git merge: a person closes a task in a buffer opened before an
    agent claimed it, and saves. The agent is told a person closed it in an editor's
    buffer opened before its claim, and the task's log says so, never that a git merge
    dropped it because another clone closed it (the reviewer's repro_mergeword.sh)."""
    ident = run("task", "add", "Task one", agent="h.p.claude.1").stdout.strip()
    _commit(project, "board")
    buffer = (project / BOARD).read_bytes()
    run("task", "claim", ident, agent="h.p.claude.1")
    _save(project, buffer.replace(b"* TODO Task one", b"* DONE Task one"), "rename")
    mine = run("task", "list", "--mine", agent="h.p.claude.1")
    assert "a person closed the task in a buffer opened before your claim" in mine.stderr, \
        mine.stderr
    assert "git merge" not in mine.stderr and "another clone" not in mine.stderr, mine.stderr
    run("task", "add", "Other", agent="h.p.claude.1")
    text = (project / BOARD).read_text(encoding="utf-8")
    assert "merge: dropped h.p.claude.1's claim, made while the task was closed in an " \
        "editor's buffer opened before it" in text, text
    assert "on the other side" not in text
    again = run("task", "list", "--mine", agent="h.p.claude.1")
    assert "a person closed the task in a buffer" in again.stderr, again.stderr


def test_a_git_merge_that_drops_a_claim_still_says_so(tmp_path: Path) -> None:
    """The guard of the wording above: a real git merge of two clones, one closing the
    task, the other claiming it, still logs and tells "closed on the other side" /
    "closed in another clone"."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), True)
    ident = next(line.split()[0] for line in
                 run_b("task", "list", agent="pb").stdout.splitlines() if "Task one" in line)
    run_a("task", "done", ident, agent="pa")
    _commit(a, "done")
    git(a, "push", "-q", "origin", "HEAD:main")
    run_b("task", "claim", ident, agent="cb")
    _commit(b, "claim")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "merge: dropped cb's claim, made while the task was closed on the other side" \
        in text, text
    told = run_b("task", "list", "--mine", agent="cb")
    assert "closed in another clone" in told.stderr, told.stderr


def test_an_edit_of_the_todo_line_and_a_new_state_is_no_stale_save(
        project: Path, run: Runner) -> None:
    """A person edits the ``#+TODO:`` line in place twice (fast-access keys; then a new
    ``WAITING`` state) and puts the tool's last task in ``WAITING``: nothing is
    lacking, so no command warns, and the next write says nothing was merged back and
    keeps the state (the old code warned with an empty list of what was lacking, the
    reviewer's repro_emptywarn.sh)."""
    _commit(project, "init")
    first = run("task", "add", "First", agent="h.p.claude.1").stdout.strip()
    path = project / BOARD
    text = path.read_text(encoding="utf-8")
    start = text.index("#+TODO:")
    end = text.index("\n", start)
    keys = "#+TODO: TODO(t) NEXT(n) DOING(d!) REVIEW(r) | DONE(D!) CANCELLED(c@)"
    _save(project, (text[:start] + keys + text[end:]).encode(), "inplace")
    run("task", "claim", first, agent="h.p.claude.1")
    run("task", "add", "Waiting one", agent="h.p.claude.1")
    text = path.read_text(encoding="utf-8")
    start = text.index("#+TODO:")
    end = text.index("\n", start)
    text = text[:start] + "#+TODO: TODO NEXT DOING REVIEW WAITING | DONE CANCELLED" + \
        text[end:]
    _save(project, text.replace("* TODO Waiting one", "* WAITING Waiting one").encode(),
          "inplace")
    listed = run("task", "list", agent="h.p.claude.1")
    assert "WAITING   Waiting one" in listed.stdout, listed.stdout
    assert "lacks" not in listed.stderr, listed.stderr
    written = run("task", "add", "Third", agent="h.p.claude.1")
    assert "lacked" not in written.stderr and "merged back" not in written.stderr, \
        written.stderr
    after = path.read_text(encoding="utf-8")
    assert "* WAITING Waiting one" in after and "WAITING | DONE" in after


def test_a_task_deleted_in_a_stale_buffer_is_said_as_held_before_the_pull(
        tmp_path: Path) -> None:
    """A person deletes, in a buffer opened after it was written and before a pull,
    the task the tool added last; the pull brings another: the documented resurrection
    happens, and the warning says which task git brought and which the board held
    before the pull, and that it may have been deleted (never that git added both and
    nothing was typed, the reviewer's repro_resurrect.sh)."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), False)  # (b: "B own task", last)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "add", "Task C", agent="pa")
    _commit(a, "c")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer[:buffer.index("* TODO B own task")].encode(), "rename")
    written = run_b("task", "add", "Task D", agent="pb")
    said = " ".join(written.stderr.split())
    assert "1 task added ('Task C'), and 1 task added ('B own task') that the board held " \
        "before the pull" in said, said
    assert "(or that a person deleted in a buffer opened after it was written" in said, said
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "B own task" in text and "Task C" in text and "Task D" in text


def test_the_release_of_a_claim_taken_off_by_hand_says_it_as_the_warning_does(
        project: Path, run: Runner) -> None:
    """A person removes an agent's claim lines by hand: the warning hedges (git, or an
    edit outside ai-protocols), and the advised ``task release ID --force`` says the
    same, never that git took it (one wording: ``model.lost_how``)."""
    ident = run("task", "add", "Claimed", agent="h.p.claude.1").stdout.strip()
    run("task", "claim", ident, agent="h.p.claude.1")
    text = (project / BOARD).read_text(encoding="utf-8")
    kept = "\n".join(line for line in text.split("\n")
                     if not line.startswith((":OWNER", ":CLAIMED", ":OWNER_PROCESS")))
    _save(project, kept.replace("* DOING Claimed", "* TODO Claimed").encode(), "rename")
    warned = " ".join(run("task", "list", agent="other.1").stderr.split())
    hedge = ("git stash, git checkout, git reset or a branch switch put an older board "
             "back, or removed the board? or an edit outside ai-protocols took")
    assert hedge in warned, warned
    released = " ".join(run("task", "release", ident, "--force", agent="other.1")
                        .stdout.split())
    assert hedge in released and "by git:" not in released, released
