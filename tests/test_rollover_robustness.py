"""The rollover's robustness and reports (issue 16, ninth review; docs/decisions.md
"Issue 16, eighth review (rollover robustness, reports and wording)").

A symbolic link on the rollover's own paths skips the rollover with a warning and
writes the entry; the ``--done`` error says what was searched and what to do. The
installed console script runs as a subprocess in temporary git repositories.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_rollover import filler, insert, started

from ai_protocols.session.rollover import BOUND

from conftest import Runner


@pytest.mark.parametrize("where", [".ai/history", ".ai/history/session-context",
                                   ".ai/.locks/live/history", ".git/ai-protocols",
                                   ".git/ai-protocols/.ai/history"])
def test_a_symbolic_link_on_the_rollovers_way_skips_it_and_writes_the_entry(
        project: Path, run: Runner, tmp_path: Path, where: str) -> None:
    """Seen: a symbolic link at ``.ai/history``, its session folder or the kept copies'
    folder in the git folder made every write past the bound fail (exit 12) and the
    agent's entry was lost. The rollover is skipped with one warning naming the link;
    the entry is written; nothing is written through the link. Once the link is gone
    the next write rolls over."""
    path = started(run, project)
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = project / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(elsewhere)
    for n in range(2):
        done = run("log", "--progress", f"Still written {n}")
        assert done.returncode == 0, done.stderr
        warnings = [x for x in done.stderr.splitlines() if x.startswith("Warning:")]
        assert len(warnings) == 1 and "not rolled over" in warnings[0], done.stderr
        assert "symbolic link" in warnings[0] and str(link) in warnings[0]
        text = path.read_text()
        assert f"Still written {n}" in text and "[[file:history/" not in text
    assert not list(elsewhere.rglob("*"))
    link.unlink()
    run("log", "--progress", "Rolled now")
    assert "[[file:history/" in path.read_text()


def test_a_done_that_matches_nothing_says_where_it_looked_and_what_to_do(
        project: Path, run: Runner) -> None:
    """Seen: ``log --done`` matching nothing named only two sections (it ticks an open
    checkbox in any section ``show`` lists) and gave no next step. The error names the
    sections searched, how many open items they hold, and what to do; exit 5, nothing
    changed."""
    path = started(run, project)
    before = path.read_bytes()
    empty = run("log", "--done", "progress 1", check=False)
    assert empty.returncode == 5 and path.read_bytes() == before
    assert empty.stderr.startswith("Error: no open checkbox item matches 'progress 1'")
    assert "Progress" in empty.stderr and "Next steps" in empty.stderr
    assert "Decisions" in empty.stderr and "ai-protocols show" in empty.stderr
    held = int(re.search(r"they hold (\d+) open item", empty.stderr).group(1))  # type: ignore[union-attr]
    run("log", "--progress", "write parser", "--next", "write docs")
    before = path.read_bytes()
    some = run("log", "--done", "progress 1", check=False)
    assert some.returncode == 5 and path.read_bytes() == before
    assert f"{held + 2} open items" in some.stderr
    assert "'ai-protocols show' lists them" in some.stderr
    assert "whole text" in some.stderr
    assert len(some.stderr.splitlines()) == 1
