"""A stale save of a session file made in place (issue 14, seventeenth round;
docs/decisions.md, "Issue 14, seventeenth round (the kept copy is a copy)").

Emacs saves a file under version control in place (it makes no backup of it), so
the kept copy, when it was a hard link to the file, took the save too: a buffer
opened before a pull, saved after an agent logged, lost the pull's changes and the
agent's entry without a word. The kept copy is now a copy of its own; the stale save
is merged back (the version the buffer came from as the base) and said. And a stale
buffer in which the person ticked by hand an item the pull ticked too is told by the
old write record it carries, not taken for a deliberate edit.

Two real clones and real ``git pull``; the first test saves from a real Emacs, in
place (checked: the inode stays).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_emacs_git_fifteenth import CONTEXT, pull
from test_merge_driver import Clones, git

from conftest import Runner

KEPT = Path(".ai/.locks/live/session-context.org")
TYPED = "- [ ] a person's typed item\n"


def _pushed(clones: Clones, clone: Path, message: str) -> None:
    clones.commit(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def _even(clones: Clones) -> tuple[Runner, Runner]:
    """Two has logged and pushed; one has pulled it: both clones at one commit, two's
    kept copy its own last write."""
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--blocker", "B before the pull")
    _pushed(clones, clones.two, "b")
    pull(clones.one)
    return one, two


def _one_changes(clones: Clones, one: Runner) -> None:
    """The other clone ticks the Next step and decides; pushed."""
    one("log", "--done", "Write the tests", "--decision", "A decision", "--rationale",
        "why A")
    _pushed(clones, clones.one, "a")


def _in_place(path: Path, data: bytes) -> None:
    """A save in place: the file truncated and written, its inode kept."""
    with path.open("r+b") as out:
        out.write(data)
        out.truncate()


def _typed(buffer: bytes) -> bytes:
    """A line typed at the top of the Next steps section."""
    return buffer.replace(b"** Next steps\n", b"** Next steps\n" + TYPED.encode(), 1)


def _once(text: str, *needles: str) -> None:
    for needle in needles:
        assert text.count(needle) == 1, (needle, text)


def _ticked(text: str, item: str) -> bool:
    return re.search(r"^- \[X\] \[[^]]*\] " + re.escape(item) + "$", text, re.M) is not None


@pytest.mark.skipif(shutil.which("emacs") is None, reason="Emacs is not installed")
def test_a_real_emacs_save_in_place_after_a_pull_and_an_agent_log_loses_nothing(
        tmp_path: Path) -> None:
    """The reviewer's f1.sh: the buffer opened before the pull, the agent in two logs
    after it, the person types a line and saves (Emacs, in place). The next ``log``
    merges back the pull's tick and decision and the agent's entry, with the typed line,
    and says so."""
    clones = Clones(tmp_path.resolve())
    one, two = _even(clones)
    path = clones.two / CONTEXT
    go, ready = tmp_path / "go", tmp_path / "ready"
    lisp = (f'(progn (fset (quote yes-or-no-p) (lambda (&rest _) t)) '
            f'(fset (quote y-or-n-p) (lambda (&rest _) t)) '
            f'(advice-add (quote ask-user-about-supersession-threat) :override '
            f'(lambda (&rest _) nil)) '
            f'(find-file "{path}") (write-region "" nil "{ready}") '
            f'(while (not (file-exists-p "{go}")) (sleep-for 0.1)) '
            f'(goto-char (point-min)) (re-search-forward "^\\\\*\\\\* Next steps") '
            f'(forward-line 1) (insert "{TYPED[:-1]}\\n") (save-buffer))')
    emacs = subprocess.Popen(["emacs", "--batch", "-Q", "--eval", lisp],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(1200):  # (the buffer read before the pull; at most two minutes)
            if ready.exists() or emacs.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), emacs.communicate()[0]
        _one_changes(clones, one)
        pull(clones.two)
        two("log", "--discovery", "agent in B after the pull")
        inode = os.stat(path).st_ino
        go.touch()
        out, _ = emacs.communicate(timeout=120)
    finally:
        if emacs.poll() is None:
            emacs.kill()
    assert emacs.returncode == 0, out
    assert os.stat(path).st_ino == inode  # (saved in place)
    saved = path.read_text()
    assert TYPED in saved and "agent in B after the pull" not in saved  # (the stale save)
    assert "agent in B after the pull" in (clones.two / KEPT).read_text()  # (kept apart)
    done = two("log", "--progress", "B logged later")
    assert "lacked 2 entries, 1 tick and 1 Log line" in done.stderr, done.stderr
    text = path.read_text()
    _once(text, "A decision", "agent in B after the pull", TYPED, "B logged later",
          "B before the pull", "] merged back: ")
    assert _ticked(text, "Write the tests")
    assert "merged back: 2 entries, 1 tick and 1 Log line that git brought or " \
           "ai-protocols wrote since" in text


@pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "new-file"])
def test_a_stale_save_over_an_agents_write_is_merged_back(tmp_path: Path,
                                                          in_place: bool) -> None:
    """The reviewer's f1b_nopull.sh: no pull; the buffer opened at a committed version,
    the agent logs, the person saves the buffer with a typed line. The agent's entry
    comes back (it was lost in place; a new file was refused, exit 6)."""
    clones = Clones(tmp_path.resolve())
    _, two = _even(clones)
    path = clones.two / CONTEXT
    buffer = path.read_bytes()
    two("log", "--discovery", "agent in B")
    if in_place:
        _in_place(path, _typed(buffer))
    else:
        temp = path.with_name("saving")
        temp.write_bytes(_typed(buffer))
        os.replace(temp, path)
    done = two("log", "--progress", "B logged later")
    assert "lacked 1 entry that git brought or ai-protocols wrote since" in done.stderr
    _once(path.read_text(), "agent in B", TYPED, "B logged later", "B before the pull")


@pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "new-file"])
def test_a_stale_buffer_that_ticked_the_pulled_tick_too_loses_nothing(
        tmp_path: Path, in_place: bool) -> None:
    """The reviewer's f2.sh: the stale buffer holds one change the pull brought too
    (the person ticked the same item by hand): it carries the old write record, so it
    is a stale save, and the pull's decision and its Log line are merged back."""
    clones = Clones(tmp_path.resolve())
    one, two = _even(clones)
    path = clones.two / CONTEXT
    buffer = path.read_bytes()
    _one_changes(clones, one)
    pull(clones.two)
    ticked = re.sub(rb"- \[ \] (\[[^]]*\] Write the tests)\n", rb"- [X] \1\n", buffer)
    assert ticked != buffer
    if in_place:
        _in_place(path, ticked)
    else:
        temp = path.with_name("saving")
        temp.write_bytes(ticked)
        os.replace(temp, path)
    done = two("log", "--progress", "B logged later")
    assert "lacked 1 entry and 1 Log line that git brought" in done.stderr, done.stderr
    text = path.read_text()
    _once(text, "A decision", "B logged later", "B before the pull")
    assert _ticked(text, "Write the tests")
    assert "why A" in text


def test_a_deliberate_edit_of_the_pulled_version_stays_as_made(tmp_path: Path) -> None:
    """A buffer opened after the pull (it carries the pulled write record): the person
    unticks the pulled tick and deletes the pulled decision, saved in place. Nothing
    comes back."""
    clones = Clones(tmp_path.resolve())
    one, two = _even(clones)
    path = clones.two / CONTEXT
    _one_changes(clones, one)
    pull(clones.two)
    text = path.read_text()
    edited = re.sub(r"- \[X\] (\[[^]]*\] Write the tests)\n", r"- [ ] \1\n", text)
    edited = re.sub(r"- \[[^]]*\] A decision\n(  .*\n)*", "", edited)
    assert edited != text and "A decision" not in edited
    _in_place(path, edited.encode())
    done = two("log", "--progress", "B logged later")
    assert "lacked" not in done.stderr, done.stderr
    after = path.read_text()
    assert "A decision" not in after and not _ticked(after, "Write the tests")
    assert "merged back" not in after


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(st.characters(whitelist_categories=("L", "N", "Zs")), min_size=1,
                     max_size=40).map(str.strip).filter(bool))
def test_the_kept_copy_stays_what_the_tool_wrote_whatever_is_saved_in_place(
        tmp_path_factory: pytest.TempPathFactory, typed: str) -> None:
    """Whatever a person writes into the file in place, the kept copy keeps the bytes
    the tool wrote last (a hard link took them), with the file's time; a line typed
    into the current version stays at the next write, which the kept copy follows."""
    root = tmp_path_factory.mktemp("kept")
    git(root, "init", "-q", "-b", "main")
    run = Runner(root)
    run("start", "--title", "Kept")
    run("log", "--progress", "written by the tool")
    path, kept = root / CONTEXT, root / KEPT
    wrote = path.read_bytes()
    assert kept.read_bytes() == wrote
    assert os.stat(kept).st_ino != os.stat(path).st_ino
    assert os.stat(kept).st_mtime_ns == os.stat(path).st_mtime_ns
    _in_place(path, wrote + f"- {typed}\n".encode())
    assert kept.read_bytes() == wrote
    done = run("log", "--progress", "next")
    assert "lacked" not in done.stderr, done.stderr
    assert f"- {typed}\n" in path.read_text()
    assert kept.read_bytes() == path.read_bytes()
