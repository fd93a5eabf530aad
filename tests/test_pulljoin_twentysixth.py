"""Stale-save rules over a pull (twenty-sixth round, issue 14; docs/decisions.md,
"Twenty-sixth round: stale saves over a pull, a stash's join and what git removed").

A3: clone ``a`` logs and commits "A committed", logs "A local" (left uncommitted) and
dirties README; clone ``b`` logs "B entry", commits, pushes; ``a`` pulls with its change
stashed (``--autostash`` merge or rebase, or ``git stash``, ``git pull``, ``git stash
pop``). THEN a person opens the file in real Emacs, deletes a line and saves: the
deletion was made on what git wrote (both sides) and stands.

WRONG 1: an entry both clones hold is removed in ``b`` and pushed; in ``a`` a person
opens the file in Emacs, ``a`` pulls (the file loses the entry), the person saves the
stale buffer (still holding it): the removal git brought stands, with the stale-save
warning.

Real clones of a bare origin, real git, real Emacs, the installed console script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push, save
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_stalecommit_twentysecond import _flat
from test_stalesave_twentythird import delete_line, emacs_edit

from ai_protocols.session.merge import removed_held

PULLS = {
    "autostash-merge": [["git", "pull", "-q", "--autostash", "--no-rebase", "origin", "main"]],
    "autostash-rebase": [["git", "pull", "-q", "--autostash", "--rebase", "origin", "main"]],
    "stash-pull-pop": [["git", "stash", "-q"], ["git", "pull", "-q", "--no-rebase", "origin",
                                                "main"], ["git", "stash", "pop", "-q"]],
}


def _a3(tmp_path: Path, layout: str, pull: str, stale: bool = False) -> Clones:
    """A3's steps; with ``stale``, a buffer opened before "A local" was logged is saved
    after it (a line typed), before the stash."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    a("log", "--progress", "A committed")
    commit(clones.one, "A committed")
    opened = a.path.read_bytes()
    a("log", "--progress", "A local")
    if stale:
        at = opened.index(b"** Discoveries\n")
        at = opened.index(b"\n:END:\n", at) + len(b"\n:END:\n")
        save(a.path, opened[:at] + b"Typed by the person.\n" + opened[at:], "inplace")
    (clones.one / "README").write_text("dirty\n")
    git(clones.two, "pull", "-q", "origin", "main")
    b("log", "--progress", "B entry")
    push(b, "B entry")
    for command in PULLS[pull]:
        git(clones.one, *command[1:])
    text = a.path.read_text()
    assert ("] A local" in text) != stale and "] B entry" in text and "] A committed" in text, \
        text
    return clones


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pull", sorted(PULLS))
@pytest.mark.parametrize("gone", ["A local", "B entry", "A committed"])
def test_a_deletion_after_a_stash_pop_stands(tmp_path: Path, layout: str, pull: str,
                                            gone: str) -> None:
    clones = _a3(tmp_path, layout, pull)
    a = clones.run_one
    emacs_edit(clones.one, a.file, delete_line(f"] {gone}"))
    assert f"] {gone}" not in a.path.read_text()
    written = a("log", "--progress", "After")
    assert "lacked" not in written.stderr, written.stderr
    text = a.path.read_text()
    assert f"] {gone}" not in text and "] After" in text, text
    for other in {"A local", "B entry", "A committed"} - {gone}:
        assert text.count(f"] {other}") == 1, (other, text)


# -- WRONG 1: a stale buffer saved over a pull that removed an entry --------------------------

#: How clone ``b`` removes the entry: a person deletes its line, or ``git revert``.
REMOVALS = ("by-hand", "revert")
#: What the person does in the stale buffer: nothing (a character typed and deleted) or a
#: line typed under Discoveries.
EDITS = {"nothing": '(insert "x") (delete-char -1)',
         "typed": ('(re-search-forward "^\\\\*\\\\* Discoveries") (org-end-of-meta-data t) '
                   '(insert "Typed by the person.\\n")')}


def _removed_in_b(tmp_path: Path, layout: str, removal: str, merge: bool,
                  then: str | None = None) -> Clones:
    """Clone ``a`` logs and pushes "Entry E"; ``b`` pulls it, removes it (``removal``),
    logs ``then`` when given, and pushes; with ``merge``, ``a`` commits a change of its
    own first (its pull is then a merge)."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    a("log", "--progress", "Entry E")
    push(a, "E")
    git(clones.two, "pull", "-q", "origin", "main")
    if removal == "revert":
        git(clones.two, "revert", "--no-edit", "HEAD")
    else:
        text = b.path.read_text()
        b.path.write_text("".join(line for line in text.splitlines(keepends=True)
                                  if not line.endswith("] Entry E\n")))
        commit(clones.two, "E removed")
    if then is not None:
        b("log", "--progress", then)
        commit(clones.two, then)
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    if merge:
        (clones.one / "README.a").write_text("a's own\n")
        commit(clones.one, "a's own")
    return clones


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("pull", ["ff", "merge"])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_stale_save_over_a_pull_that_removed_an_entry_keeps_it_removed(
        tmp_path: Path, layout: str, removal: str, pull: str, edit: str) -> None:
    clones = _removed_in_b(tmp_path, layout, removal, pull == "merge")
    a = clones.run_one
    emacs_edit(clones.one, a.file, EDITS[edit],
               ["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main"])
    assert "] Entry E" in a.path.read_text()  # (the stale buffer's save put it back)
    said = _flat(a("status").stdout)
    assert "holds again what git removed (1 removal" in said, said
    written = a("log", "--progress", "After")
    assert "lacked 1 removal that git brought" in written.stderr, written.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text and "] After" in text and "] Base step" in text, text
    assert ("Typed by the person." in text) == (edit == "typed"), text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_an_entry_put_back_after_the_pull_stands(tmp_path: Path, layout: str) -> None:
    """The guard: the buffer opened AFTER the pull (it saw the removal) and the person
    types the entry back: a person's act, which stands."""
    clones = _removed_in_b(tmp_path, layout, "revert", False)
    a = clones.run_one
    git(clones.one, "pull", "-q", "--no-rebase", "origin", "main")
    before = (clones.one / a.file).read_text()
    assert "] Entry E" not in before
    line = next(x for x in a.head().splitlines() if x.endswith("] Base step"))
    again = line.replace("Base step", "Entry E")
    emacs_edit(clones.one, a.file,
               f'(search-forward "] Base step") (end-of-line) (insert "\\n{again}")')
    written = a("log", "--progress", "After")
    assert "lacked" not in written.stderr, written.stderr
    text = a.path.read_text()
    assert text.count("] Entry E") == 1 and "] After" in text, text


_BASE: list[bytes] = []


def _five_entries(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A session file holding entries ``E0`` to ``E4``, made once by the installed
    console script."""
    if not _BASE:
        where = tmp_path_factory.mktemp("five")
        git(where, "init", "-q", "-b", "main")
        run = Agent(where)
        run("init")
        run("start", "--title", "Test")
        for n in range(5):
            run("log", "--progress", f"E{n}")
        _BASE.append(run.path.read_bytes())
    return _BASE[0]


def _without(data: bytes, names: set[int]) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True)
                    if not any(line.endswith(f"] E{n}\n".encode()) for n in names))


def _changed(data: bytes, names: set[int]) -> bytes:
    for n in names:
        data = data.replace(f"] E{n}\n".encode(), f"] E{n}\n  a note typed\n".encode())
    return data


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(removed=st.sets(st.integers(0, 4)), lacked=st.sets(st.integers(0, 4)),
       changed=st.sets(st.integers(0, 4)))
def test_removed_held_counts_only_a_save_holding_every_removal_as_it_was(
        tmp_path_factory: pytest.TempPathFactory, removed: set[int], lacked: set[int],
        changed: set[int]) -> None:
    """git removed ``removed``; the save lacks ``lacked`` and changed ``changed`` (a
    note typed under them): counted (every removal) only when the save holds every
    removed entry unchanged, else 0."""
    before = _five_entries(tmp_path_factory)
    newer = _without(before, removed)
    data = _changed(_without(before, lacked), changed - lacked)
    stale = removed and not (removed & (lacked | changed))
    assert removed_held(data, newer, before) == (len(removed) if stale else 0)
    assert removed_held(newer, newer, before) == 0  # (what git wrote holds none)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_merge_kept_takes_out_what_git_removed_too(tmp_path: Path, layout: str) -> None:
    """The advice ``status`` gives, ``merge-kept``, does what the write does."""
    clones = _removed_in_b(tmp_path, layout, "by-hand", False)
    a = clones.run_one
    emacs_edit(clones.one, a.file, EDITS["typed"],
               ["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main"])
    done = a("merge-kept", str(a.file))
    assert done.returncode == 0, done.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text and "Typed by the person." in text, text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pull", sorted(PULLS))
def test_a_stale_save_stashed_and_popped_is_still_merged_back(tmp_path: Path, layout: str,
                                                              pull: str) -> None:
    """The guard of A3: the buffer opened BEFORE the tool logged "A local", saved after
    it (lacking it, a line typed), then stashed and popped over the pull: the join is
    not the one the kept copy makes (its record differs), and "A local" comes back."""
    a = _a3(tmp_path, layout, pull, stale=True).run_one
    written = a("log", "--progress", "After")
    assert "lacked" in written.stderr, written.stderr
    text = a.path.read_text()
    for entry in ("A local", "B entry", "A committed", "After"):
        assert text.count(f"] {entry}") == 1, (entry, text)
    assert "Typed by the person." in text, text
