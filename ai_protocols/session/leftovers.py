"""What ended sessions leave under ``.ai/.locks/`` (per machine, never in git), pruned
once it is old: the version a wrap-up left of each archived session (``NAME.left``, a
whole copy of the file), its tombstone (``NAME.gone``), and a spawner's record of how an
agent that left no session file ended (``leases/ID.exit``). Each is read only soon
after it is made (a copy of the session put back and merged with ``merge-kept``, a late
``log``, a claim judged by how its process ended); per-agent session files have an id
per run, so without pruning one copy per run would stay for good
(docs/decisions.md, "Issue 14, eighteenth round (what ended sessions leave behind)")."""

from __future__ import annotations

import os

from ai_protocols.paths import CONTEXT_DIR, LOCK_DIR

__all__ = ["KEEP_SECONDS", "prune"]

#: How long what an ended session left is kept after it was last written: 30 days.
KEEP_SECONDS = 30 * 86400

#: The suffixes pruned in each folder of the lock folder: beside the locks of the
#: session files (the one-agent file's, and the per-agent files'), and the leases.
_PRUNED = (("", (".left", ".gone")), (CONTEXT_DIR, (".left", ".gone")),
           ("leases", (".exit",)))


def prune(ai_dir: str | os.PathLike[str], now: float, *,
          keep: tuple[str, ...] = ()) -> list[str]:
    """Remove each file of :data:`_PRUNED` under ``ai_dir``'s lock folder last
    modified more than :data:`KEEP_SECONDS` before ``now`` (seconds since the epoch),
    but those named in ``keep`` (paths: the caller's own, just written); one
    ``scandir`` a folder, a ``stat`` for each file of those suffixes. Returns the
    paths removed. Raises nothing: a file that cannot be removed stays, and is tried
    again at the next prune."""
    removed = []
    for folder, suffixes in _PRUNED:
        where = os.path.join(os.fspath(ai_dir), LOCK_DIR, folder)
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(suffixes) or entry.path in keep:
                continue
            try:
                if entry.is_file(follow_symlinks=False) and \
                        now - entry.stat(follow_symlinks=False).st_mtime > KEEP_SECONDS:
                    os.unlink(entry.path)
                    removed.append(entry.path)
            except OSError:
                continue
    return removed
