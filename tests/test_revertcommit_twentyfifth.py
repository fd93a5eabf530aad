"""A revert committed in two steps, ``git revert --no-commit C`` then ``git commit``
(twenty-fifth round; docs/decisions.md, "Twenty-fifth round: a side older than the
base, by git's choice").

``session/cause.committed_by`` knew a revert by ``HEAD``'s reflog (``revert: ...``). A
revert committed by ``git commit`` logs ``commit: ...`` as any commit does, so the read
commands took the reverted file for an older version put back and advised the ``cp`` of
the kept copy (undoing the revert). The commit's message says what it is: git's own
``This reverts commit <id>.`` (git-revert(1)), kept from ``MERGE_MSG`` by ``git
commit``. Real clones, real git, the installed console script.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, commit, git, two_clones


def _said(done: object) -> str:
    return re.sub(r"\s+", " ", done.stdout + done.stderr)  # type: ignore[attr-defined]


def _logged(base: Path, layout: str) -> tuple[Agent, str]:
    """``first step`` committed; ``two`` logged and committed, ``three`` too (returned:
    its revert is no merge, the file is ``two``'s version, of an older record)."""
    run, _other = two_clones(base, layout)
    for word in ("two", "three"):
        run("log", "--progress", word)
        commit(run.cwd, f"log {word}")
    return run, git(run.cwd, "rev-parse", "HEAD").stdout.strip()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("how", ["no-edit", "message"])
def test_a_revert_committed_by_git_commit_is_no_older_version(
        tmp_path: Path, layout: str, how: str) -> None:
    """``git revert --no-commit`` of ``three``, then ``git commit`` (git's message, or
    the person's own words above git's ``This reverts commit`` line): no warning, no
    ``cp``; the next ``log`` writes into the reverted file."""
    run, three = _logged(tmp_path.resolve(), layout)
    git(run.cwd, "revert", "--no-commit", three)
    if how == "no-edit":
        git(run.cwd, "commit", "-q", "--no-edit")
    else:
        git(run.cwd, "commit", "-q", "-m", "Take three back\n\nThis reverts commit "
            f"{three}.")
    text = run.path.read_text()
    assert "] three\n" not in text and "] two\n" in text, text
    for command in (["status"], ["resume"], ["start"]):
        said = _said(run(*command))
        assert "older" not in said and "cp " not in said, (command, said)
        assert "put back" not in said, (command, said)
    done = run("log", "--progress", "four")
    assert "older" not in done.stderr and "put back" not in done.stderr, done.stderr
    text = run.path.read_text()
    assert "] three\n" not in text and "] four\n" in text and "replaced:" not in text, text


def test_a_plain_commit_of_an_older_version_is_still_named(tmp_path: Path) -> None:
    """The guard: the older version checked out and committed with a message of the
    person's own (no revert line) is no revert: ``status`` still warns of it."""
    run, _two = _logged(tmp_path.resolve(), "single")
    git(run.cwd, "checkout", "HEAD~1", "--", str(run.file))
    git(run.cwd, "commit", "-q", "-m", "This reverts nothing")
    said = _said(run("status"))
    assert "older" in said or "put back" in said, said
