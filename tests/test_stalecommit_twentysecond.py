"""A stale Emacs save that gets committed (issue 14, twenty-second round; docs/decisions.md,
"Issue 14, twenty-second round (a stale save committed)").

A person's buffer of the session file, opened before a ``git pull`` (or before the
tool's write) and saved after it, lacks what came in between. Uncommitted, the next
write merged it back; committed, ``HEAD``'s version was the save itself and nothing was
found any more. A fresh review found, each with a script:

1. the save committed and pushed from clone B, fast-forwarded into clone A: ``status``
   advised a ``cp`` of the kept copy that dropped the person's note, and the next
   ``log`` wrote into the stale version, A's entries gone from the live file (r1);
2. on clone B itself: ``status`` said "nothing to do" before the commit, nothing after
   it, and the next ``log`` went on without the pulled entries (r2);
3. ``git reset --hard`` to a version holding another clone's typed note, an entry left
   uncommitted: ``status`` advised the ``cp`` that drops the note; and with Emacs's
   ``create-lockfiles`` off, a stale save over the tool's write, committed: the write
   refused it advising that same ``cp`` (r3). The version a buffer was opened on was
   taken for the person's edit of it (``merge.written_among`` chose the newest of two
   versions holding the same entries).

Real clones of a bare repository, real git, the installed console script, and real
Emacs (``emacs --batch``) saving the buffer as a person does.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_stale_twentyfirst import LAYOUTS, Agent, commit, push, save, two_clones

from conftest import CLI, clean_env
from emacs import JUDGES

#: A person's note, typed under Discoveries.
NOTE = "Person note typed in B."


def _elisp(text: str) -> str:
    """``text`` as an Emacs Lisp string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emacs_stale_save(clone: Path, file: Path, note: str, *between: list[str],
                     lockfiles: bool = True) -> None:
    """In real Emacs (Org 9.5's, ``emacs --batch``), in ``clone``: visit ``file``, type
    ``note`` as a line under Discoveries, run each command of ``between`` (a ``git
    pull``, the tool's ``log``) while the buffer is modified, then save it, answering
    "changed on disk" with yes: a stale save, as a person makes one. ``lockfiles``:
    Emacs's ``create-lockfiles``."""
    runs = " ".join(
        f"(let ((code (call-process {_elisp(command[0])} nil nil nil "
        f"{' '.join(_elisp(word) for word in command[1:])}))) "
        "(unless (eq code 0) (error \"failed: %s\" code)))" for command in between)
    lisp = (f"(progn (require 'org) (setq create-lockfiles {'t' if lockfiles else 'nil'}) "
            "(advice-add 'ask-user-about-supersession-threat :override (lambda (&rest _) t)) "
            "(fset 'yes-or-no-p (lambda (&rest _) t)) "
            f"(find-file {_elisp(str(file))}) (goto-char (point-min)) "
            "(re-search-forward \"^\\\\*\\\\* Discoveries\") (org-end-of-meta-data t) "
            f"(insert {_elisp(note)} \"\\n\") {runs} (save-buffer))")
    done = subprocess.run([JUDGES[0].emacs, "--batch", "-Q", "--eval", lisp], cwd=clone,
                          env=clean_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


PULL = ["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]
#: The same pull, run from Emacs.
GIT_PULL = ["git", *PULL]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _said(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, on both streams, white space joined."""
    return _flat(done.stdout + done.stderr)


def _a4(run_a: Agent) -> None:
    """Clone A logs an entry and a discovery after B cloned, committed and pushed."""
    run_a("log", "--progress", "A4 progress", "--discovery", "found A4")
    push(run_a, "A4")


def _holds_all(text: str, *needles: str) -> None:
    for needle in needles:
        assert text.count(needle) == 1, (needle, text)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("how", ["log", "merge-kept", "real merge"])
def test_a_committed_stale_save_fast_forwarded_loses_nothing(tmp_path: Path, layout: str,
                                                            how: str) -> None:
    """r1: B's stale save (opened before the pull that brought A4, saved after, a note
    typed) committed and pushed; A pulls it (a fast-forward; or, with a commit of A's
    own first, a real merge that takes B's file whole, the driver never run). A's
    ``status`` says the next write merges it back (never a ``cp`` of the kept copy), and
    the next write (or ``merge-kept``) keeps A4's entries and B's note, and says so."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    _a4(run_a)
    emacs_stale_save(run_b.cwd, run_b.file, NOTE, GIT_PULL)
    saved = run_b.path.read_text()
    assert NOTE in saved and "A4 progress" not in saved  # (the stale save)
    push(run_b, "person edit")
    if how == "real merge":
        (run_a.cwd / "other").write_text("x\n")
        commit(run_a.cwd, "other work")
    git(run_a.cwd, *PULL)
    assert run_a.path.read_text() == saved  # (git took B's file whole)
    status = _said(run_a("status"))
    assert "cp " not in status, status
    assert "that save was committed" in status and "merges them back on its own" in status, \
        status
    if how == "merge-kept":
        run_a("merge-kept", str(run_a.file))
    else:
        done = run_a("log", "--progress", "A5")
        assert "lacked 2 entries" in _flat(done.stderr), done.stderr
        assert "replaced:" not in done.stderr
    text = run_a.path.read_text()
    _holds_all(text, "A4 progress", "found A4", NOTE, "first step")
    assert "merged back: 2 entries" in text
    assert "replaced: git put" not in text
    assert "warning" not in _said(run_a("status")).lower()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_stale_save_committed_in_its_own_clone_is_found_after_the_commit(
        tmp_path: Path, layout: str) -> None:
    """r2: on clone B itself, where the tool never wrote the file. Before the commit,
    ``status`` says to run a write (or ``merge-kept``) before committing; after the
    commit, ``status`` and ``resume`` still say what the file lacks, and the next
    ``log`` merges the pulled entries back with the note."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    _a4(run_a)
    emacs_stale_save(run_b.cwd, run_b.file, NOTE, GIT_PULL)
    before = _said(run_b("status"))
    assert "before you commit the file" in before and "nothing to do" not in before, before
    commit(run_b.cwd, "person edit")
    for command in ("status", "resume"):
        said = _said(run_b(command))
        assert "that save was committed" in said and "lacks 2 entries" in said, said
    done = run_b("log", "--progress", "B6")
    assert "merged back" in _flat(done.stderr) or "lacked 2 entries" in _flat(done.stderr), \
        done.stderr
    _holds_all(run_b.path.read_text(), "A4 progress", "found A4", NOTE, "B6")


def test_a_committed_stale_save_over_the_clones_own_last_write(tmp_path: Path) -> None:
    """Clone B wrote the file first (its kept copy carries the record the buffer was
    opened on); A's entries pulled under the open buffer, the save committed: the next
    write of B merges them back (the kept copy's record, HEAD moved by a pull)."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    run_b("log", "--progress", "b0 wrote")
    push(run_b, "b0")
    git(run_a.cwd, *PULL)
    _a4(run_a)
    emacs_stale_save(run_b.cwd, run_b.file, NOTE, GIT_PULL)
    commit(run_b.cwd, "person edit")
    said = _said(run_b("status"))
    assert "that save was committed" in said, said
    run_b("log", "--progress", "B6")
    _holds_all(run_b.path.read_text(), "A4 progress", "found A4", NOTE, "b0 wrote", "B6")


def test_a_stale_save_over_the_tools_write_without_emacs_locks(tmp_path: Path) -> None:
    """r3, second part: Emacs with ``create-lockfiles`` off (the tool cannot see the
    buffer); the agent logs while the buffer has a typed note; the buffer is saved over
    that write and committed. The next ``log`` keeps the note and the agent's entry (it
    refused before, advising a ``cp`` that dropped the note)."""
    run_a, _run_b = two_clones(tmp_path.resolve(), "single")
    log = [str(CLI), "log", "--progress", "agent entry under the buffer"]
    emacs_stale_save(run_a.cwd, run_a.file, NOTE, log, lockfiles=False)
    assert "agent entry under the buffer" not in run_a.path.read_text()
    commit(run_a.cwd, "stale save committed")
    status = _said(run_a("status"))
    assert "cp " not in status, status
    assert "merges" in status and "lacks 1 entry" in status, status
    done = run_a("log", "--progress", "later", check=False)
    assert done.returncode == 0, done.stderr
    assert "lacked 1 entry" in _flat(done.stderr), done.stderr
    _holds_all(run_a.path.read_text(), NOTE, "agent entry under the buffer", "later")


def test_a_reset_to_a_version_with_anothers_note_is_never_advised_cp(tmp_path: Path) -> None:
    """r3: B types a note in Emacs (no pull: a buffer opened on the latest version),
    commits and pushes; A logs an entry left uncommitted, then ``git reset --hard
    origin/main``. No advice is a ``cp`` of the kept copy (it would drop B's note); the
    next write keeps both."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    emacs_stale_save(run_b.cwd, run_b.file, NOTE)
    push(run_b, "note")
    run_a("log", "--progress", "A uncommitted entry")
    git(run_a.cwd, "fetch", "-q")
    git(run_a.cwd, "reset", "-q", "--hard", "origin/main")
    for command in ("status", "resume"):
        said = _said(run_a(command))
        assert "cp " not in said, said
    run_a("log", "--progress", "later")
    _holds_all(run_a.path.read_text(), NOTE, "A uncommitted entry", "later")


@pytest.mark.parametrize("edit", ["deleted on the latest", "reverted"])
def test_a_deliberate_deletion_committed_stands(tmp_path: Path, edit: str) -> None:
    """The guard: B deletes A4's entry on purpose in a buffer opened on the latest
    version (after the pull), or reverts A4's commit with ``git revert``, commits and
    pushes; A pulls. Nothing comes back, and nothing is said."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    _a4(run_a)
    git(run_b.cwd, *PULL)
    if edit == "reverted":
        git(run_b.cwd, "revert", "--no-edit", "HEAD")
    else:
        text = run_b.path.read_text()
        kept = "\n".join(line for line in text.split("\n") if "A4 progress" not in line)
        save(run_b.path, kept.encode(), "inplace")
        commit(run_b.cwd, "deleted")
    git(run_b.cwd, "push", "-q", "origin", "HEAD:main")
    git(run_a.cwd, *PULL)
    assert "merges them back" not in _said(run_a("status"))
    run_a("log", "--progress", "A5")
    text = run_a.path.read_text()
    assert "A4 progress" not in text and "merged back" not in text, text
    assert "A5" in text


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=40).filter(lambda t: t.strip() == t and t[:1] not in
                                                    "*#:-+|[" and not t[:1].isdigit()),
       entry=st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=3,
                     max_size=20))
def test_any_typed_note_and_pulled_entry_survive_a_committed_stale_save(
        tmp_path_factory: pytest.TempPathFactory, note: str, entry: str) -> None:
    """Hypothesis: whatever line a person typed into the stale buffer, and whatever the
    pulled entry says, after the save is committed and fast-forwarded into A, A's next
    write holds the typed line byte for byte and the pulled entry once."""
    base = tmp_path_factory.mktemp("h").resolve()
    run_a, run_b = two_clones(base, "single")
    stale = run_b.path.read_bytes()
    run_a("log", "--progress", f"pulled {entry}")
    push(run_a, "A4")
    git(run_b.cwd, *PULL)
    marker = b"** Discoveries\n"
    at = stale.index(marker)
    at = stale.index(b"\n:END:\n", at) + len(b"\n:END:\n")
    typed = note.encode("utf-8") + b"\n"
    save(run_b.path, stale[:at] + typed + stale[at:], "inplace")
    push(run_b, "person edit")
    git(run_a.cwd, *PULL)
    run_a("log", "--progress", "after")
    data = run_a.path.read_bytes()
    assert typed in data, data
    assert data.count(f"pulled {entry}".encode()) == 1, data


@pytest.mark.parametrize("started", [False, True])
def test_the_steps_after_a_stash_pop_never_drop_a_typed_line(repo: Path, started: bool) -> None:
    """The stash's advice (``git stash -u`` took the session file, which a person had
    typed a note into and saved; the file is here again): the step after ``git stash
    pop`` put the newer version over the popped one (``cp`` of the kept copy, or ``mv
    -f`` of the file carried on since ``start``), dropping the note. It is
    ``merge-kept`` now; pasted, the file holds the note and every entry."""
    from gitkit import commit_all, first_commit, pasted

    from conftest import Runner

    run = Runner(repo)
    first_commit(repo)
    run("init")
    commit_all(repo, "ai")
    run("start")
    run("log", "--progress", "e1 logged")
    path = repo / ".ai/session-context.org"
    text = path.read_text()
    marker = ":CUSTOM_ID: discoveries\n:END:\n"
    save(path, text.replace(marker, marker + NOTE + "\n").encode(), "inplace")
    git(repo, "stash", "-u", "-q")
    assert not path.exists()
    if started:
        run("start")
    else:  # (the file put back as the tool wrote it last: the tool's own lines only)
        path.write_bytes((repo / ".ai/.locks/live/session-context.org").read_bytes())
    said = _said(run("resume"))
    found = re.search(r"back with: (.*?) \(from ", said)
    assert found, said
    assert "git stash pop" in found.group(1), said
    assert "merge-kept" in found.group(1) and "cp --" not in found.group(1) and \
        "mv -f" not in found.group(1), said
    done = pasted(repo, found.group(1))
    assert done.returncode == 0, done.stderr
    _holds_all(path.read_text(), NOTE, "e1 logged")


def test_a_committed_stale_save_that_does_not_merge_cleanly_is_refused(tmp_path: Path) -> None:
    """A ticks the first step (``--done``) and logs an entry, pushed; B's stale buffer
    (opened before the pull) rewords that step by hand, saved after the pull, committed
    and pushed; A pulls it. Both changed one line: A's next write refuses (exit 6),
    writes nothing, names the version the save went over by its blob and gives the
    commands that merge the three; ``status`` says the same first. Pasted, the file
    holds A's entry and both wordings are in the conflict or the Log."""
    from gitkit import pasted

    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    stale = run_b.path.read_bytes()
    run_a("log", "--done", "first step", "--progress", "A4 progress")
    push(run_a, "A4")
    git(run_b.cwd, *PULL)
    assert b"- [ ] [" in stale and b"] first step\n" in stale
    save(run_b.path, stale.replace(b"] first step\n", b"] first step, reworded by hand\n"),
         "inplace")
    push(run_b, "person edit")
    git(run_a.cwd, *PULL)
    before = run_a.path.read_bytes()
    status = _said(run_a("status"))
    assert "refuses it (exit 6)" in status and "cp " not in status, status
    done = run_a("log", "--progress", "A5", check=False)
    assert done.returncode == 6, done.stderr
    said = _flat(done.stderr)
    assert "(blob " in said and "A5" not in run_a.path.read_text(), said
    assert run_a.path.read_bytes() == before
    commands = re.search(r"(ai-protocols merge-driver .*?)(?:; it was left| \(from |$)", said)
    assert commands, said
    merged = pasted(run_a.cwd, commands.group(1))
    text = run_a.path.read_text()
    # (the driver's verdict, which the refusal said beforehand: markers or none)
    assert merged.returncode == (1 if "<<<<<<<" in text else 0), merged.stderr
    assert text.count("A4 progress") == 1 and "reworded by hand" in text, text
    # (A's side of that line, the tick, is in the file, its conflict or its Log)
    assert re.search(r"\[X\] \[[^]\n]*\] first step\b", text), text
