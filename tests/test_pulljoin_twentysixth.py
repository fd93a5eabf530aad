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
from clonekit import LAYOUTS, Clones, commit, git, push
from test_stalesave_twentythird import delete_line, emacs_edit

PULLS = {
    "autostash-merge": [["git", "pull", "-q", "--autostash", "--no-rebase", "origin", "main"]],
    "autostash-rebase": [["git", "pull", "-q", "--autostash", "--rebase", "origin", "main"]],
    "stash-pull-pop": [["git", "stash", "-q"], ["git", "pull", "-q", "--no-rebase", "origin",
                                                "main"], ["git", "stash", "pop", "-q"]],
}


def _a3(tmp_path: Path, layout: str, pull: str) -> Clones:
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    a("log", "--progress", "A committed")
    commit(clones.one, "A committed")
    a("log", "--progress", "A local")
    (clones.one / "README").write_text("dirty\n")
    git(clones.two, "pull", "-q", "origin", "main")
    b("log", "--progress", "B entry")
    push(b, "B entry")
    for command in PULLS[pull]:
        git(clones.one, *command[1:])
    text = a.path.read_text()
    assert "] A local" in text and "] B entry" in text and "] A committed" in text, text
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
