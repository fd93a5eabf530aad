"""Merge after merge between two clones (twenty-fifth round; docs/decisions.md,
"Twenty-fifth round: a side older than the base, by git's choice").

The twenty-fourth round left "a merge keeping the base's record; merge-after-merge may
conflict". Two clones each merge the other's work in turn: ``a`` merges ``b``'s commit,
``b`` merges ``a``'s (the one before ``a``'s merge: a criss-cross, two merge bases, which
git merges into a virtual base through the driver itself), both log more, then ``a``
merges ``b`` again, and again the other way. Every merge is clean and holds each entry
once. Real clones of a bare origin, real git (``merge.conflictStyle`` both ways), the
installed console script, real Emacs reading the result.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import Agent, Clones, commit, git

from emacs import assert_reader_agrees, org_element


def _entries(run: Agent) -> list[str]:
    text = run.path.read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text, text
    return re.findall(r"^- \[.\] \[[^]]+\] (.*)$", text, re.MULTILINE)


def _merge(into: Path, branch: str) -> None:
    git(into, "fetch", "-q", "origin")
    done = git(into, "merge", "--no-edit", branch, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(into, "status", "--porcelain").stdout == ""


def _log(run: Agent, text: str, branch: str, hand: bool = False) -> None:
    """``text`` logged by the tool, or (``hand``) typed by a person as an entry under
    the base's first one, of its minute (no write of the tool: the record stays)."""
    if hand:
        data = run.path.read_text()
        line = re.search(r"^- \[.\] (\[[^]]+\]) Base step\n", data, re.MULTILINE)
        assert line
        run.path.write_text(data.replace(line[0], f"{line[0]}- [ ] {line[1]} {text}\n"))
    else:
        run("log", "--progress", text)
    commit(run.cwd, text)
    git(run.cwd, "push", "-q", "-f", "origin", f"HEAD:{branch}")


@pytest.mark.parametrize(("style", "layout", "hand", "cross"),
                         [("merge", None, False, True), ("diff3", "ag7", False, True),
                          ("merge", None, True, True), ("diff3", "ag7", True, True),
                          ("merge", None, True, False), ("diff3", None, False, False)])
def test_criss_cross_merges_are_clean_and_keep_each_entry_once(
        tmp_path: Path, style: str, layout: str | None, hand: bool, cross: bool) -> None:
    """``hand``: the first entry of each clone typed by a person, so that the first
    merges keep the base's record (no write of the tool since it on either side);
    ``cross``: ``b`` merges ``a``'s commit before ``a``'s merge (else ``a``'s merge
    itself, and the next merge's base is that merge)."""
    clones = Clones(tmp_path, agent=layout, names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    for clone in (a, b):
        git(clone.cwd, "config", "merge.conflictStyle", style)
    _log(a, "a one", "a", hand)
    _log(b, "b one", "b", hand)
    git(a.cwd, "tag", "a1")
    git(a.cwd, "push", "-q", "origin", "a1")
    _merge(a.cwd, "origin/b")  # (a merges b)
    git(a.cwd, "push", "-q", "-f", "origin", "HEAD:a")
    _merge(b.cwd, "a1" if cross else "origin/a")  # (b merges a's commit before a's
    # merge: a criss-cross)
    _log(a, "a two", "a")
    _log(b, "b two", "b")
    _merge(a.cwd, "origin/b")  # (a merges b again: two merge bases)
    assert sorted(_entries(a)) == ["Base step", "Write the tests", "a one", "a two", "b one",
                                   "b two"]
    _log(b, "b three", "b")
    _merge(b.cwd, "origin/a")
    assert sorted(_entries(b)) == ["Base step", "Write the tests", "a one", "a two", "b one",
                                   "b three",
                                   "b two"]
    _merge(a.cwd, "origin/b")
    assert a.path.read_bytes() == b.path.read_bytes()
    for run in (a, b):
        assert run("show").returncode == 0
    assert_reader_agrees(a.path, org_element([a.path])[0])
