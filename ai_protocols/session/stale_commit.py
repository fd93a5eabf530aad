"""A stale save git holds: an editor's buffer of a session file opened on an older
version (before a ``git pull``, or before this tool's write), saved after, and
committed, here or in another clone (then a fast-forward, or a merge that took it
whole, brings it). ``HEAD``'s version is then the save itself, so the checks that
compare the file with ``HEAD``'s version find nothing; what the save dropped is in the
version the save went over, one commit down ``HEAD``'s history. This module finds that
version by git's history and the write record (``UPDATED_AT``, which only the tool's
writes change, never a person's edit): the transaction merges it back
(:func:`ai_protocols.session.stale_saves.stale_committed`). docs/decisions.md, "Issue
14, twenty-second round (a stale save committed)".
"""

from __future__ import annotations

import os

from ai_protocols.liveness.clock import Moment
from ai_protocols.session.sections import head_of, one_session

#: How the version a committed stale save went over is named (``blob 1a2b3c4d5e6f``):
#: the ``where`` of the transaction's merge back, for its Log line and warnings.
BLOB = "blob "


def _props(data: bytes) -> dict[str, str] | None:
    """The session headline's properties of the session file bytes ``data``
    (:func:`~ai_protocols.session.sections.head_of`); ``None`` when it holds none."""
    headline = head_of(data)
    return None if headline is None else dict(headline.properties.items())


def older_record(mine: str | None, theirs: str | None) -> bool:
    """Whether the write record ``mine`` (a session file's ``UPDATED_AT``, the file's,
    the one judged) is of a write made before the one of ``theirs`` (a version the tool
    wrote, known: the kept copy, a version git's history holds):
    :meth:`~ai_protocols.liveness.clock.Moment.order`, the one rule of which write came
    first. Two records that differ but tie in that order (one second, one hundredth of
    uptime; or, across hosts, one second) count as ``mine`` older: the file is then
    judged against the version it may lack, and what is merged back is an entry too
    many, never one lost (docs/decisions.md, "Twenty-third round: stale saves ...").
    ``False`` when either is missing or unreadable, or they are one record. The one rule
    of :func:`went_over` and :func:`~ai_protocols.session.edit_base.written_later`.
    No I/O."""
    one, two = Moment.parse(mine), Moment.parse(theirs)
    if one is None or two is None or mine == theirs:
        return False
    return one.order(two) <= two.order(one)


def went_over(path: str, data: bytes, like: str) -> tuple[bytes, str] | None:
    """The version of the session file at ``path`` (``data``, the file as read) that a
    committed stale save went over, and how it is named (``blob ID``, :data:`BLOB`, the
    first 12 hex digits, which ``git show`` takes: :func:`~ai_protocols.git.history.blob_id`
    in the hash of ``like``, an object id of the repository, ``HEAD``'s); ``None`` when
    the file is no committed stale save.

    Read from the last 30 versions ``HEAD``'s history holds, newest first
    (:func:`~ai_protocols.git.history.history_versions`: two git runs): ``HEAD``'s
    version carries the file's write record (``UPDATED_AT``: the save committed, the
    file that save or a person's edit of it), and so may the versions below it (edits of
    the save committed one after another); the first version below them that carries
    another record carries a later one (:func:`older_record`): a write the tool made
    after the version the buffer was opened on, which the save went over. Every version
    read must be of the file's session (:func:`~ai_protocols.session.layout.
    one_session`), else ``None``. Whether the save dropped anything of it, and whether
    something was typed in it (a save of the older version as it was is a revert, which
    stands), is the caller's to judge. Raises nothing of its own."""
    from ai_protocols.git.history import blob_id, history_versions

    mine = _props(data)
    stamp = None if mine is None else mine.get("UPDATED_AT")
    if not stamp:
        return None
    folder, name = os.path.split(path)
    versions = history_versions(folder, name, ["HEAD"], 30, before=False)
    for index, version in enumerate(versions):
        theirs = _props(version)
        if theirs is None or not one_session(theirs, mine):  # type: ignore[arg-type]
            return None
        if theirs.get("UPDATED_AT") == stamp:
            continue
        if index == 0 or not older_record(stamp, theirs.get("UPDATED_AT")):
            return None  # (HEAD's version is not the save, or the history goes on as written)
        return version, BLOB + blob_id(version, like)[:12]
    return None


def held_as(where: str, named: bool = False, what: str = "") -> str | None:
    """How the changes a committed stale save dropped came, when ``where`` names the
    version it went over (:func:`went_over`'s ``blob ID``): for the Log line, or
    (``named``) for stderr, with the command that shows that version; ``what``, the
    changes said by kind, when they are removals only (``1 removal``: a save that put
    back what git removed, :func:`~ai_protocols.session.stale_saves.removal_undone`),
    said as what that version lacks. ``None`` for any other ``where`` (``HEAD``'s
    version, the kept copy: the transaction's own words)."""
    if not where.startswith(BLOB):
        return None
    blob = where[len(BLOB):]
    if removals_only(what):
        return (f"that git brought ({where}, the version the save went over, lacks those "
                f"entries: git show {blob}; a commit of the save holds them again)" if named
                else f"git brought (git's {where}, the version the save went over before "
                f"it was committed, lacks those entries)")
    return (f"that git brought ({where} holds them: git show {blob}; a commit of the "
            f"save holds the file without them)" if named else
            f"git brought (git's {where}, the version the save went over before it was "
            f"committed, holds them)")


def gone_over_source(where: str) -> str | None:
    """Where ``merge-kept`` of a committed stale save took what the file lacked, for its
    "Merged what ... holds in" (``where``: :func:`went_over`'s ``blob ID``): that blob,
    the version the save went over, below ``HEAD`` (whose version is the save); ``None``
    for any other ``where``. No I/O."""
    if not where.startswith(BLOB):
        return None
    return (f"git's {where} (the version the committed save went over, below HEAD: "
            f"git show {where[len(BLOB):]})")


def split_removals(what: str) -> tuple[str, str]:
    """``what``, a stale save's changes said by kind (``1 entry, 1 tick and 2 removals``;
    ``and N more``, :func:`~ai_protocols.session.stale_said.said_both`'s, read as its
    counts), parted into the changes and the removals (what git removed that the save
    held again), each said as :func:`~ai_protocols.lean.counted_kinds` says counts; ``""``
    for a part it lacks. No I/O."""
    items = [item.removesuffix(" more") for part in what.split(", ")
             for item in part.split(" and ")]
    parts: tuple[list[str], list[str]] = ([], [])
    for item in items:
        parts[removals_only(item)].append(item)
    return tuple(", ".join(p[:-1]) + " and " + p[-1] if len(p) > 1 else  # type: ignore[return-value]
                 "".join(p) for p in parts)


def removals_only(what: str) -> bool:
    """Whether ``what``, a stale save's changes said by kind (``1 removal``, ``2 entries
    and 1 removal``), is removals only: what git removed that the save held again
    (:func:`~ai_protocols.session.stale_saves.removal_undone`). No I/O."""
    count, _, kind = what.partition(" ")
    return count.isdigit() and kind in ("removal", "removals")
