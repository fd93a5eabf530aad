"""A stale save over a pull that removed an entry, committed; and one that also lacks
what the same pull brought (twenty-sixth round, issue 14; docs/decisions.md,
"Twenty-sixth round: a stale save over a removal, committed").

Clone ``a`` logs and pushes "Entry E"; clone ``b`` pulls it, removes it (a person
deletes its line, or ``git revert``), perhaps logs "Later step of b", and pushes. In ``a`` a
person's Emacs buffer of the session file is opened, ``a`` pulls (a fast-forward, or a
merge over a commit of its own), the person saves the stale buffer (holding E again,
lacking F). Then:

1. the save is committed (``git commit -am``) before the next write: the write takes E
   out again with the warning, as for the save not committed; pushed, the clone that
   pulls it (``b``) does the same at its next write;
2. not committed, the save lacking F too: E stays removed and F is kept.

Guard: a buffer opened AFTER the pull, the entry typed back and committed: stands.

Real clones of a bare origin, real git, real Emacs saves, the installed console script;
both layouts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, git
from hypothesis import given
from hypothesis import strategies as st
from test_pulljoin_twentysixth import EDITS, REMOVALS, _removed_in_b
from test_stalecommit_twentysecond import _flat
from test_stalesave_twentythird import emacs_edit

from ai_protocols.lean import counted
from ai_protocols.session.merge import CHANGE_KINDS, said_changes
from ai_protocols.session.stale_commit import removals_only

PULL = ["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("pull", ["ff", "merge"])
def test_a_stale_save_over_a_removal_committed_is_taken_out_again(
        tmp_path: Path, layout: str, removal: str, pull: str) -> None:
    clones = _removed_in_b(tmp_path, layout, removal, pull == "merge")
    a = clones.run_one
    emacs_edit(clones.one, a.file, EDITS["typed"], PULL)
    assert "] Entry E" in a.path.read_text()  # (the stale buffer's save put it back)
    git(clones.one, "commit", "-q", "-am", "x")
    said = _flat(a("status").stdout)
    assert "that save was committed (git's HEAD holds it): it holds again what git removed " \
        "(1 removal" in said, said
    written = a("log", "--progress", "After")
    assert "lacked 1 removal that git brought" in written.stderr, written.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text and "] After" in text and "] Base step" in text, text
    assert "Typed by the person." in text, text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("how", ["saved-as-it-was", "git-revert"])
def test_a_committed_version_from_before_the_removal_as_it_was_stands(
        tmp_path: Path, layout: str, removal: str, how: str) -> None:
    """The version from before the removal committed byte for byte (a stale buffer saved
    with nothing typed, or ``git revert`` of the removal: the same bytes) is taken for
    the revert it may be: the entry stands, nothing said."""
    clones = _removed_in_b(tmp_path, layout, removal, False)
    a = clones.run_one
    if how == "git-revert":
        git(clones.one, *PULL[1:])
        git(clones.one, "revert", "--no-edit", "HEAD")
    else:
        emacs_edit(clones.one, a.file, EDITS["nothing"], PULL)
        git(clones.one, "commit", "-q", "-am", "x")
    assert "] Entry E" in a.path.read_text()
    assert "removal" not in _flat(a("status").stdout)
    written = a("log", "--progress", "After")
    assert "lacked" not in written.stderr, written.stderr
    text = a.path.read_text()
    assert text.count("] Entry E") == 1 and "] After" in text, text


def _pulled_into_b(clones: Clones) -> tuple[Agent, subprocess.CompletedProcess[str]]:
    """In ``a``, a stale buffer (a line typed) saved over the pull of ``b``'s removal,
    committed and pushed; ``b`` pulls it (a fast-forward: E is back there) and logs
    "After": ``b``'s agent and that write."""
    a, b = clones.run_one, clones.run_two
    emacs_edit(clones.one, a.file, EDITS["typed"], PULL)
    git(clones.one, "commit", "-q", "-am", "x")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    assert "] Entry E" in b.path.read_text()
    return b, b("log", "--progress", "After")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
def test_a_stale_save_over_a_removal_pushed_is_taken_out_in_the_clone_that_pulls_it(
        tmp_path: Path, layout: str, removal: str) -> None:
    """The committed save pushed; ``b`` (which removed E) pulls it by a fast-forward
    and writes: E goes out again there too, the typed line kept."""
    b, written = _pulled_into_b(_removed_in_b(tmp_path, layout, removal, False))
    assert "lacked 1 removal that git brought" in written.stderr, written.stderr
    text = b.path.read_text()
    assert "] Entry E" not in text and "] After" in text and "Typed by the person." in text, \
        text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_clone_that_wrote_since_the_removal_takes_it_out_too(
        tmp_path: Path, layout: str) -> None:
    """``b`` reverted E and logged F (its kept copy lacks E); ``a``'s stale save (E
    again, no F, a line typed) committed and pushed; ``b`` pulls it by a fast-forward
    and writes: F comes back, E goes out again, the typed line stays. (After a hand
    deletion, every version carries one write record and the version the buffer was
    opened on is taken for the deletion's: left, docs/decisions.md.)"""
    b, written = _pulled_into_b(_removed_in_b(tmp_path, layout, "revert", False,
                                              then="Later step of b"))
    text = b.path.read_text()
    assert "] Entry E" not in text and "Typed by the person." in text, (written.stderr, text)
    for entry in ("Later step of b", "After", "Base step"):
        assert text.count(f"] {entry}") == 1, (entry, text)
    assert "lacked 1 " in written.stderr, written.stderr


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("pull", ["ff", "merge"])
@pytest.mark.parametrize("committed", [False, True])
def test_a_stale_save_lacking_what_the_pull_brought_keeps_the_removal_too(
        tmp_path: Path, layout: str, removal: str, pull: str, committed: bool) -> None:
    clones = _removed_in_b(tmp_path, layout, removal, pull == "merge", then="Later step of b")
    a = clones.run_one
    emacs_edit(clones.one, a.file, EDITS["typed"], PULL)
    stale = a.path.read_text()
    assert "] Entry E" in stale and "] Later step of b" not in stale, stale
    if committed:
        git(clones.one, "commit", "-q", "-am", "x")
    written = a("log", "--progress", "After")
    text = a.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for entry in ("Later step of b", "After", "Base step"):
        assert text.count(f"] {entry}") == 1, (entry, text)
    assert "Typed by the person." in text, text
    assert " and 1 removal that git brought" in written.stderr, written.stderr


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("then", [None, "Later step of b"])
def test_an_entry_put_back_after_the_pull_and_committed_stands(
        tmp_path: Path, layout: str, then: str | None) -> None:
    """The guard: the buffer opened AFTER the pull (of a revert), the entry typed back
    and committed: a person's act, which stands."""
    clones = _removed_in_b(tmp_path, layout, "revert", False, then=then)
    a = clones.run_one
    git(clones.one, *PULL[1:])
    assert "] Entry E" not in a.path.read_text()
    line = next(x for x in a.head().splitlines() if x.endswith("] Base step"))
    again = line.replace("Base step", "Entry E")
    emacs_edit(clones.one, a.file,
               f'(search-forward "] Base step") (end-of-line) (insert "\\n{again}")')
    git(clones.one, "commit", "-q", "-am", "x")
    written = a("log", "--progress", "After")
    assert "lacked" not in written.stderr, written.stderr
    text = a.path.read_text()
    assert text.count("] Entry E") == 1 and "] After" in text, text


@given(counts=st.lists(st.integers(0, 3), min_size=len(CHANGE_KINDS),
                       max_size=len(CHANGE_KINDS)),
       removed=st.integers(0, 3))
def test_removals_only_is_said_of_removals_alone(counts: list[int], removed: int) -> None:
    """What a merge back says (:func:`said_changes`, and "and N removals" after it, or
    the removals alone, as ``removal_undone`` says them): removals only exactly when no
    other kind was counted and some removal was."""
    said = said_changes(tuple(counts))
    if removed:
        removals = counted(removed, "removal", "removals")
        said = removals if not any(counts) else f"{said} and {removals}"
    assert removals_only(said) == (removed > 0 and not any(counts)), said
