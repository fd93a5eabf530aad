"""What ended sessions leave under `.ai/.locks/` is pruned once it is 30 days old: the
copy a wrap-up leaves of each archived session (`NAME.left`), its tombstone (`NAME.gone`),
and a spawner's exit record (`leases/ID.exit`); younger ones, and the wrap-up's own,
stay. Per-agent session files have an id per run: without it, one whole copy of every
archived session stayed for good (a fresh review's note, seventeenth round)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import Runner

DAY = 86400


def _aged(path: Path, days: float, text: str = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - days * DAY
    os.utime(path, (then, then))
    return path


def test_a_wrap_up_prunes_what_ended_sessions_left_a_month_ago(project: Path,
                                                               run: Runner) -> None:
    locks = project / ".ai/.locks"
    old = [_aged(locks / "session-context.d" / f"h.p.claude.{n}.org{suffix}", 31)
           for n in (1, 2) for suffix in (".left", ".gone")]
    young = [_aged(locks / "session-context.d" / f"h.p.claude.3.org{suffix}", 29)
             for suffix in (".left", ".gone")]
    one_agent = _aged(locks / "session-context.org.left", 40)
    other = _aged(locks / "session-context.d" / "h.p.claude.1.org.lock", 40, "")  # (a lock)
    run("start", "--title", "pruning", agent="a.1")
    run("log", "--progress", "work", agent="a.1")
    run("wrap-up", "done", agent="a.1")
    assert not any(path.exists() for path in [*old, one_agent]), list(locks.rglob("*"))
    assert all(path.exists() for path in [*young, other])
    mine = locks / "session-context.d" / "a.1.org.left"
    assert mine.exists() and (locks / "session-context.d" / "a.1.org.gone").exists()
    os.utime(mine, (time.time() - 31 * DAY,) * 2)  # (its own: kept by the move that made it,
    run("start", "--title", "again", agent="a.1")  # and gone when a session starts there)
    assert not mine.exists()


def test_a_spawners_exit_record_prunes_old_ones(project: Path, run: Runner) -> None:
    from ai_protocols.integrations.spawn import record_spawn_exit

    leases = project / ".ai/.locks/leases"
    old = _aged(leases / "h.p.codex.1.exit", 31)
    young = _aged(leases / "h.p.codex.2.exit", 1)
    record_spawn_exit(project / ".ai", "h.p.codex.3", "exit status 0")
    assert not old.exists() and young.exists()
    assert (leases / "h.p.codex.3.exit").read_text().startswith("exit status 0\n")


def test_prune_keeps_what_it_is_told_and_says_what_it_removed(tmp_path: Path) -> None:
    from ai_protocols.session.leftovers import KEEP_SECONDS, prune

    locks = tmp_path / ".ai/.locks"
    kept = _aged(locks / "session-context.left", 60)
    gone = _aged(locks / "session-context.d/x.gone", 60)
    link = locks / "session-context.d/y.left"
    link.symlink_to(kept)  # (a link is no file of the tool's: left alone)
    now = time.time()
    assert prune(tmp_path / ".ai", now, keep=(str(kept),)) == [str(gone)]
    assert kept.exists() and link.is_symlink()
    assert prune(tmp_path / ".ai", now - 60 * DAY + KEEP_SECONDS - 5) == []
