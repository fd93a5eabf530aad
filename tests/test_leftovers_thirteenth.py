"""Leftovers of killed operations, and messages, thirteenth review (issue 16; see
docs/decisions.md "Issue 16, thirteenth round (kill leftovers and messages)").

The installed console script runs as a subprocess in temporary git repositories; a
kill at an exact point is a real SIGKILL that strace(1) injects at a chosen system
call, and each test checks that the kill left the state it is about before going on.
"""

from __future__ import annotations

from pathlib import Path

from test_rollover_eleventh_b import HISTORY, killed_at, past_bound

from conftest import Runner


def temporaries(project: Path) -> list[Path]:
    """Every atomic write's temporary file under ``.ai/`` and the git folder's
    ``ai-protocols/``."""
    return sorted(p for top in (project / ".ai", project / ".git/ai-protocols")
                  if top.exists() for p in top.rglob(".*.tmp"))


# -- 1. A killed rollover's temporary kept copy, then a person's edit -------------------


def test_a_write_removes_a_killed_rollovers_temporary_files(
        project: Path, run: Runner) -> None:
    """Seen (thirteenth review, 7): a rollover killed before its kept copy's rename left
    ``.git/ai-protocols/.ai/history/session-context/.NAME.org.XXXX.tmp`` (the earlier
    file's size); a person then edited the live file, so the next write planned
    another rollover: the stray earlier file went, the temporary file stayed for good.
    The next write (the session file's lock held: no live writer's) removes every
    temporary file of the history folder and of its kept copies' folder."""
    path = past_bound(project, run)
    killed_at(project, "rename", 1, "log", "--progress", "killed")
    left = temporaries(project)
    assert any(".git/ai-protocols" in str(t) for t in left), "the kill missed its window"
    assert sorted((project / HISTORY).glob("*.org")), "the kill missed its window"
    path.write_text(path.read_text().replace("old decision 000000", "old decision EDITED"))
    run("log", "--progress", "next")
    assert temporaries(project) == []
    assert "old decision EDITED" in run("show", "--all").stdout
