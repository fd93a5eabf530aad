"""The version git joined from a stash and a pull: whether a session file was made
from it.

``git pull --autostash`` (a merge or a rebase) and ``git stash; git pull; git stash
pop`` put the version this tool wrote last (its kept copy, uncommitted) aside, move
``HEAD``, then join the two through the merge driver: the stash's base (the commit
``HEAD`` was at), ``HEAD``'s new version and the stash's version (the kept copy). The
driver gives that join a write record of its own, derived from its bytes
(:func:`~ai_protocols.session.merge_session.merged_record`). A file carrying that very record
was made from the join: a buffer opened after the pop, which saw both sides, and what
it lacks of them a person deleted. docs/decisions.md, "Twenty-sixth round: stale saves
over a pull, a stash's join and what git removed".
"""

from __future__ import annotations

import os

from ai_protocols.git.state import git_version
from ai_protocols.session.edit_base import props_of

__all__ = ["joined_on"]


def joined_on(root: str, path: str, data: bytes, kept: bytes, newer: bytes,
              committed: bytes | None) -> bytes | None:
    """The join of a stash pop the session file ``path`` (its bytes ``data``, in the work
    tree whose top is ``root``) was made from, or ``None``.

    ``kept``: the kept copy (the version this tool wrote last, which a stash of the work
    tree held); ``newer``: ``HEAD``'s version (what the pull wrote); ``committed``: the
    file at the commit the kept copy records (``GIT_COMMIT``: where ``HEAD`` was when
    the stash was made), else the file at ``ORIG_HEAD`` (where a pull, merge or rebase
    found ``HEAD``) is tried too. The join is rebuilt as git made it: the driver's merge
    (:func:`~ai_protocols.session.merge_session.merge_session_bytes`, its own record, the
    callbacks git's run of the driver gives) of that base, ``newer`` and ``kept``; it is
    the file's origin when it is clean and its write record (``UPDATED_AT``) is the
    file's, a record neither ``kept`` nor ``newer`` carries but a merge's own made from
    one of them (:func:`~ai_protocols.session.records.merge_record_of`: no merge is run
    otherwise). A stash of another version (a stale buffer's save, stashed and popped)
    joins to other bytes, so to another record (one chance in 9,999 of the same four
    digits). Runs git up to three times and the merge up to twice; raises nothing of
    its own."""
    from ai_protocols.session.merge import _head_versions, tool_write
    from ai_protocols.session.merge_session import merge_session_bytes
    from ai_protocols.session.records import merge_record_of

    mine = (props_of(data) or {}).get("UPDATED_AT")
    records = [(props_of(v) or {}).get("UPDATED_AT") for v in (kept, newer)]
    if not mine or mine in records or \
            not any(r and merge_record_of(mine, r) for r in records):
        return None
    below = os.path.relpath(path, root)
    bases = [committed] if committed is not None else []
    orig = git_version(root, f"ORIG_HEAD:./{below}")
    if orig is not None and orig not in bases:
        bases.append(orig)
    for base in bases:
        joined = merge_session_bytes(
            base, newer, kept, place=below,
            written=lambda version: tool_write(below, version, root),
            history=lambda: _head_versions(below, root))
        if joined is not None and not joined.conflicts and \
                (props_of(joined.data) or {}).get("UPDATED_AT") == mine:
            return joined.data
    return None
