"""Stale saves of a session file that lost the tool's entries (twenty-third round;
docs/decisions.md, "Twenty-third round: stale saves ...").

A person's Emacs buffer of the session file, opened before the tool's write (or before
the pull that brought another clone's), is saved after it, dropping what came in
between. A fresh review found:

1. one clone: the agent logs and *commits*, then the stale buffer is saved: the next
   ``log`` took the file for "a git reset or checkout" and wrote into it, the entry
   gone from the file (only a git blob held it);
2. the stale save also deletes an entry on purpose, is committed and pushed; the agent's
   clone fast-forwards: the entry the save went over was not brought back;
3. ``git pull --rebase --autostash`` over a committed stale save: ``status`` said "it
   lacks no change" and the next write claimed a merge of "1 tick" that merged nothing;
4. the cause printed ("a git reset or checkout") when only an editor saved.

Real clones of a bare repository, real git, the installed console script, real Emacs
(``emacs --batch``) visiting the file before the write and saving it after.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_stale_twentyfirst import LAYOUTS, Agent, commit, push, save, two_clones
from test_stalecommit_twentysecond import GIT_PULL, NOTE, PULL, _elisp, _flat, _said

from conftest import CLI, clean_env
from emacs import JUDGES

#: A line a person types, under Discoveries.
TYPED = b"Typed by the person.\n"


def typed_in(buffer: bytes, line: bytes = TYPED) -> bytes:
    """``buffer`` (a session file's bytes) with ``line`` typed under Discoveries."""
    at = buffer.index(b"** Discoveries\n")
    at = buffer.index(b"\n:END:\n", at) + len(b"\n:END:\n")
    return buffer[:at] + line + buffer[at:]


def emacs_edit(clone: Path, file: Path, edit: str, *between: list[str]) -> None:
    """In real Emacs (``emacs --batch``, ``create-lockfiles`` off: the tool does not see
    the buffer), in ``clone``: visit ``file``, run the Lisp ``edit`` on the buffer, run
    each command of ``between`` while it is modified (the tool's ``log``, a ``git
    commit``, a ``git pull``), then save it, answering "changed on disk" with yes."""
    runs = " ".join(
        f"(let ((code (call-process {_elisp(command[0])} nil nil nil "
        f"{' '.join(_elisp(word) for word in command[1:])}))) "
        "(unless (eq code 0) (error \"failed: %s\" code)))" for command in between)
    lisp = ("(progn (require 'org) (setq create-lockfiles nil) "
            "(advice-add 'ask-user-about-supersession-threat :override (lambda (&rest _) t)) "
            "(fset 'yes-or-no-p (lambda (&rest _) t)) "
            f"(find-file {_elisp(str(file))}) (goto-char (point-min)) {edit} {runs} "
            "(save-buffer))")
    done = subprocess.run([JUDGES[0].emacs, "--batch", "-Q", "--eval", lisp], cwd=clone,
                          env=clean_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def type_note(note: str) -> str:
    """Lisp that types ``note`` as a line under Discoveries."""
    return ("(re-search-forward \"^\\\\*\\\\* Discoveries\") (org-end-of-meta-data t) "
            f"(insert {_elisp(note)} \"\\n\")")


def delete_line(holding: str) -> str:
    """Lisp that deletes the line holding ``holding``."""
    return (f"(search-forward {_elisp(holding)}) (delete-region (line-beginning-position) "
            "(1+ (line-end-position))) (goto-char (point-min))")


def _each_once(text: str, *needles: str) -> None:
    for needle in needles:
        assert text.count(needle) == 1, (needle, text)


# -- 1. one clone: the tool's write committed, a stale buffer saved over it -----------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("how", ["rename", "inplace"])
def test_a_stale_save_over_a_committed_write_loses_nothing(tmp_path: Path, layout: str,
                                                          how: str) -> None:
    """Fault 1: the buffer is opened; the agent logs ``entry A`` and commits it; the
    person types a line and saves (the buffer lacks ``entry A``). ``status`` says the
    next write merges it back (no ``cp``, no "git reset"), and the next ``log`` holds
    ``entry A``, the typed line and its own entry, says an editor's save (never "a git
    reset or checkout") and writes no ``replaced:`` line."""
    run, _other = two_clones(tmp_path.resolve(), layout)
    buffer = run.path.read_bytes()
    run("log", "--progress", "entry A")
    commit(run.cwd, "x")
    save(run.path, typed_in(buffer), how)
    status = _said(run("status"))
    assert "cp " not in status and "git reset" not in status, status
    assert "merges" in status, status
    done = run("log", "--progress", "next")
    said = _flat(done.stderr)
    assert "reset or checkout" not in said and "git put" not in said, said
    assert "lacked 1 entry" in said and "saved over it" in said, said
    text = run.path.read_text()
    _each_once(text, "entry A", TYPED.decode(), "] next\n", "first step")
    assert "replaced:" not in text and "merged back: 1 entry" in text, text
    assert "warning" not in _said(run("status")).lower()


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=40).filter(lambda t: t.strip() == t and t[:1] not in
                                                    "*#:-+|[" and not t[:1].isdigit()),
       entry=st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=3,
                     max_size=20))
def test_any_typed_line_and_committed_entry_survive_a_stale_save(
        tmp_path_factory: pytest.TempPathFactory, note: str, entry: str) -> None:
    """Hypothesis, fault 1: whatever line a person typed into the buffer, and whatever
    the agent's committed entry says, the next write holds the typed line byte for byte
    and the entry once."""
    run, _other = two_clones(tmp_path_factory.mktemp("h").resolve(), "single")
    buffer = run.path.read_bytes()
    run("log", "--progress", f"committed {entry}")
    commit(run.cwd, "x")
    typed = note.encode("utf-8") + b"\n"
    save(run.path, typed_in(buffer, typed), "inplace")
    run("log", "--progress", "after")
    data = run.path.read_bytes()
    assert typed in data, data
    assert data.count(f"committed {entry}".encode()) == 1, data


def test_emacs_a_stale_save_over_a_committed_write_loses_nothing(tmp_path: Path) -> None:
    """Fault 1 with real Emacs: the buffer visited before the agent's ``log`` and the
    ``git commit -am``, a line typed, saved after both."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    emacs_edit(run.cwd, run.file, type_note(NOTE),
               [str(CLI), "log", "--progress", "entry A"], ["git", "commit", "-qam", "x"])
    assert "entry A" not in run.path.read_text()
    assert "entry A" in run.head()
    done = run("log", "--progress", "next")
    assert "reset or checkout" not in done.stderr, done.stderr
    _each_once(run.path.read_text(), "entry A", NOTE, "] next\n")


def test_a_checkout_of_an_older_branch_is_still_said_so(tmp_path: Path) -> None:
    """The guard of fault 1 and 4: ``git checkout`` of a branch holding an older version
    (HEAD's version is the file on disk) is git's doing: the write goes into it and
    says so, and brings nothing of the other branch's."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    git(run.cwd, "branch", "older")
    run("log", "--progress", "entry A")
    commit(run.cwd, "x")
    git(run.cwd, "checkout", "-q", "older")
    done = run("log", "--progress", "next")
    assert "checkout" in done.stderr, done.stderr
    text = run.path.read_text()
    assert "entry A" not in text and "] next\n" in text, text


# -- 2. a committed stale save that also deletes an entry ------------------------------------


def _deleted_in_a_stale_buffer(base: Path, layout: str) -> tuple[Agent, Agent, bytes]:
    """A logs ``X entry``, pushed; B pulls it and its buffer is opened (holding it); A
    logs ``A4 entry``, pushed; B pulls under the buffer. Returns the buffer's bytes."""
    run_a, run_b = two_clones(base, layout)
    run_a("log", "--progress", "X entry")
    push(run_a, "X")
    git(run_b.cwd, *PULL)
    buffer = run_b.path.read_bytes()
    run_a("log", "--progress", "A4 entry")
    push(run_a, "A4")
    return run_a, run_b, buffer


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("typed", [False, True])
def test_a_committed_stale_save_with_a_deletion_loses_nothing(tmp_path: Path, layout: str,
                                                             typed: bool) -> None:
    """Fault 2: B's stale buffer (opened before the pull that brought ``A4 entry``)
    deletes ``X entry`` (a line typed too, or not), is saved after the pull, committed
    and pushed; A fast-forwards. A's next write brings ``A4 entry`` back and the
    deletion of ``X entry`` stands."""
    run_a, run_b, buffer = _deleted_in_a_stale_buffer(tmp_path.resolve(), layout)
    git(run_b.cwd, *PULL)
    edited = b"".join(line for line in buffer.splitlines(keepends=True)
                      if b"X entry" not in line)
    save(run_b.path, typed_in(edited) if typed else edited, "inplace")
    push(run_b, "person edit")
    git(run_a.cwd, *PULL)
    assert "A4 entry" not in run_a.path.read_text()
    status = _said(run_a("status"))
    assert "merges them back" in status, status
    run_a("log", "--progress", "A5")
    text = run_a.path.read_text()
    _each_once(text, "A4 entry", "] A5\n", "first step")
    assert "X entry" not in text, text
    assert text.count(TYPED.decode()) == (1 if typed else 0), text


def test_emacs_a_committed_stale_save_with_a_deletion_loses_nothing(tmp_path: Path) -> None:
    """Fault 2 with real Emacs: B visits the file (``X entry`` in it), deletes that
    line, pulls from Emacs (``A4 entry`` comes), saves; commits and pushes; A pulls."""
    run_a, run_b, _buffer = _deleted_in_a_stale_buffer(tmp_path.resolve(), "single")
    emacs_edit(run_b.cwd, run_b.file, delete_line("X entry"), GIT_PULL)
    assert "A4 entry" not in run_b.path.read_text()
    push(run_b, "person edit")
    git(run_a.cwd, *PULL)
    run_a("log", "--progress", "A5")
    text = run_a.path.read_text()
    _each_once(text, "A4 entry", "] A5\n")
    assert "X entry" not in text, text


def test_a_deletion_on_the_latest_version_committed_stands(tmp_path: Path) -> None:
    """The guard of fault 2: B deletes ``X entry`` in a buffer opened after the pull
    (it holds ``A4 entry``), commits and pushes; A pulls. Nothing comes back."""
    run_a, run_b, _buffer = _deleted_in_a_stale_buffer(tmp_path.resolve(), "single")
    git(run_b.cwd, *PULL)
    latest = run_b.path.read_bytes()
    save(run_b.path, b"".join(line for line in latest.splitlines(keepends=True)
                              if b"X entry" not in line), "inplace")
    push(run_b, "person edit")
    git(run_a.cwd, *PULL)
    run_a("log", "--progress", "A5")
    text = run_a.path.read_text()
    assert "X entry" not in text and "merged back" not in text, text
    _each_once(text, "A4 entry", "] A5\n")


def test_a_stale_save_of_a_never_committed_version_over_a_committed_write_is_refused(
        tmp_path: Path) -> None:
    """Fault 1, the buffer opened on a version never committed (the agent's ``pre``
    entry, left uncommitted): no version the save was opened on to merge on, so the
    next write refuses, as over an uncommitted write: nothing written, ``merge-kept``
    advised; pasted, it keeps ``entry A`` and the typed line."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    run("log", "--progress", "pre")
    buffer = run.path.read_bytes()
    run("log", "--progress", "entry A")
    commit(run.cwd, "x")
    save(run.path, typed_in(buffer), "inplace")
    before = run.path.read_bytes()
    done = run("log", "--progress", "next", check=False)
    assert done.returncode != 0, done.stderr
    assert run.path.read_bytes() == before
    assert "merge-kept" in done.stderr and "reset or checkout" not in done.stderr, done.stderr
    run("merge-kept", str(run.file))
    _each_once(run.path.read_text(), "entry A", TYPED.decode(), "] pre\n")


# -- 3. git pull --rebase --autostash over a committed stale save -----------------------------


@pytest.mark.parametrize("emacs", [False, True])
def test_an_autostash_over_a_committed_stale_save_claims_no_merge(tmp_path: Path,
                                                                  emacs: bool) -> None:
    """Fault 3: A ticks ``first step`` and logs ``A4 entry``, pushed; B's stale buffer
    (opened before the pull that brought them; real Emacs, or its bytes written back) is
    saved with a typed note, committed and pushed; A logs ``A5`` (uncommitted) and runs
    ``git pull --rebase --autostash``: the file then holds everything (the driver merged
    the autostash). ``status`` says nothing of a stale save (it said "it lacks no
    change"), and the next write writes no "merged back" Log line (it claimed "1
    tick") and keeps every entry, the tick and the note."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    stale = run_b.path.read_bytes()
    run_a("log", "--done", "first step", "--progress", "A4 entry")
    push(run_a, "A4")
    if emacs:
        from test_stalecommit_twentysecond import emacs_stale_save

        emacs_stale_save(run_b.cwd, run_b.file, NOTE, GIT_PULL)
    else:
        git(run_b.cwd, *PULL)
        save(run_b.path, typed_in(stale, NOTE.encode() + b"\n"), "inplace")
    assert "A4 entry" not in run_b.path.read_text()
    push(run_b, "person edit")
    run_a("log", "--progress", "A5")
    git(run_a.cwd, "pull", "-q", "--rebase", "--autostash", "origin", "main")
    status = _said(run_a("status"))
    assert "no change" not in status and "editor's buffer" not in status, status
    done = run_a("log", "--progress", "A6")
    assert "merged back" not in done.stderr and "lacked" not in done.stderr, done.stderr
    text = run_a.path.read_text()
    assert "merged back" not in text, text
    _each_once(text, "] A4 entry\n", "] A5\n", "] A6\n", NOTE)
    assert "- [X] [" in text and "] first step\n" in text, text


# -- 4. the cause said as the evidence says it ------------------------------------------------


def test_a_restored_file_is_not_said_to_be_a_reset(tmp_path: Path) -> None:
    """Fault 4: ``git checkout HEAD~1 -- FILE`` on the branch written on (``HEAD`` did
    not move; its version is not the file): the write goes into it (a version a commit
    holds, put back as it is) but never says "a git reset or checkout of branch", nor
    does ``status``; a ``git reset --hard`` is still said so (the guard)."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    run("log", "--progress", "entry A")
    commit(run.cwd, "x")
    git(run.cwd, "checkout", "HEAD~1", "--", str(run.file))
    status = _said(run("status"))
    assert "git reset" not in status and "restore" in status, status
    done = run("log", "--progress", "next")
    said = _flat(done.stderr)
    assert "reset or checkout of branch" not in said and "git restore" in said, said
    assert "reset or checkout of branch" not in run.path.read_text()
    commit(run.cwd, "restored")
    run("log", "--progress", "entry B")
    commit(run.cwd, "y")
    git(run.cwd, "branch", "keeps-it")  # (a branch holds the version reset away)
    git(run.cwd, "reset", "-q", "--hard", "HEAD~1")
    done = run("log", "--progress", "after the reset")
    assert "a git reset or checkout of branch 'main'" in _flat(done.stderr), done.stderr


def test_merge_kept_of_a_committed_stale_save_names_the_version_gone_over(
        tmp_path: Path) -> None:
    """Fault 4: ``merge-kept`` of a committed stale save (in clone B, which never wrote
    the file: no kept copy holds what it lacks) said "Merged what git's HEAD holds in",
    though ``HEAD``'s version is the save: it names the blob the save went over, which
    ``git show`` prints."""
    run_a, run_b = two_clones(tmp_path.resolve(), "single")
    stale = run_b.path.read_bytes()
    run_a("log", "--progress", "A4 entry")
    push(run_a, "A4")
    git(run_b.cwd, *PULL)
    save(run_b.path, typed_in(stale), "inplace")
    commit(run_b.cwd, "person edit")
    done = run_b("merge-kept", str(run_b.file))
    said = _flat(done.stderr)
    assert "git's HEAD" not in said and "the committed save went over" in said, said
    blob = said.split("git show ", 1)[1].split(")", 1)[0]
    assert "A4 entry" in git(run_b.cwd, "show", blob).stdout
    _each_once(run_b.path.read_text(), "A4 entry", TYPED.decode())
