"""A ``git revert`` made in another clone, pulled by a fast-forward (twenty-fifth round,
issue 14; the second review's F5; docs/decisions.md, "Twenty-fifth round: a revert
pulled from another clone").

Clone ``one`` logs and ticks, commits and pushes; in ``two`` a person reverts that commit
and pushes; ``one`` pulls. The file is the revert's version, older by its write record
than the tool's kept copy: ``status`` warned "a git reset or checkout" and advised ``cp``
of the kept copy, which undoes the revert, and ``log`` warned "git put an older
version". A revert made here was already known (HEAD's reflog, ``cause.committed_by``);
one pulled is known by the newest commit the fast-forward brought that changed the
file, by git's line in its message.

Real clones, real ``git revert`` and ``git pull``, the installed console script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push
from test_stalecommit_twentysecond import _flat


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("how", ["pull", "fetch-merge"])
def test_a_revert_pulled_from_another_clone_is_a_persons_act(tmp_path: Path, layout: str,
                                                             how: str) -> None:
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout])
    one, two = clones.run_one, clones.run_two
    one("log", "--next", "N1", "--progress", "P1")
    push(one, "c1")
    one("log", "--done", "N1", "--progress", "P2")
    push(one, "c2")
    git(clones.two, "pull", "-q", "origin", "main")
    git(clones.two, "revert", "--no-edit", "HEAD")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    if how == "pull":
        git(clones.one, "pull", "-q", "origin", "main")
    else:
        git(clones.one, "fetch", "-q", "origin")
        git(clones.one, "merge", "-q", "origin/main")
    revert_stands(one, ("status",))
    assert two.path.read_text().count("] P2") == 0


def revert_stands(one: Agent, reads: tuple[str, ...]) -> None:
    """The revert of the commit that logged P2 and ticked N1 stands in ``one``'s clone:
    the read commands ``reads`` say nothing of an older version nor advise a ``cp``; the
    next ``log`` neither, and writes into the revert's version (no P2, N1 unticked)."""
    assert "] P2" not in one.path.read_text()
    for command in reads:
        done = one(command)
        said = _flat(done.stdout + done.stderr)
        assert "older version" not in said and "cp " not in said, said
    written = one("log", "--progress", "P3")
    assert "older version" not in written.stderr, written.stderr
    text = one.path.read_text()
    assert "] P2" not in text and "] P3" in text and "] P1" in text, text
    (n1,) = [line for line in text.splitlines() if line.endswith("] N1")]
    assert n1.startswith("- [ ]"), n1  # (the revert took the tick out: it stays out)


def test_a_plain_commit_of_an_older_version_pulled_is_still_warned(tmp_path: Path) -> None:
    """The guard: another clone commits an older version with a message of its own (no
    git line): a fast-forward over it is no revert, and the reads still say so."""
    clones = Clones(tmp_path.resolve())
    one = clones.run_one
    one("log", "--progress", "P1")
    push(one, "c1")
    older = one.path.read_bytes()
    one("log", "--progress", "P2")
    push(one, "c2")
    git(clones.two, "pull", "-q", "origin", "main")
    (clones.two / one.file).write_bytes(older)
    commit(clones.two, "my own words")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    git(clones.one, "pull", "-q", "origin", "main")
    said = _flat(one("status").stdout)
    assert "older version" in said or "lacks" in said, said
