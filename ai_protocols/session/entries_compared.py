"""What one version of a session file holds that another lacks.

The entries a session file holds and its kept copy lacks, said by kind
(:func:`lacking`), whether copying one over the other loses anything
(:func:`copy_loses`), the two versions compared for ``merge-kept``
(:func:`compared_versions`) and what git brought that a save lacks
(:func:`brought_lacking`): the words of the refusals and warnings of a replaced or
stale file. docs/decisions.md, "Issue 14, sixteenth round (stale saves and put-back
copies)" and "Issue 14, twenty-first round (stale saves, a fresh review)".
"""

from __future__ import annotations

from ai_protocols.errors import AiProtocolsError
from ai_protocols.lean import counted
from ai_protocols.org.file import OrgFile
from ai_protocols.session import edit_base
from ai_protocols.session.model import Compared
from ai_protocols.session.names import kept_path
from ai_protocols.session.reading import read_session
from ai_protocols.session.rollover import held_entries
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable


__all__ = [
    "brought_lacking",
    "compared_versions",
    "copy_loses",
    "kept_lacks",
    "lacking",
]


def kept_lacks(kept: str, moved: str) -> int:
    """How many entries the kept copy at ``kept`` holds that the session file ``moved``
    lacks (:func:`ai_protocols.session.merge_changes.entries_lacking`); -1 when either cannot be
    read as a session."""
    from ai_protocols.session.merge_changes import entries_lacking

    try:
        return entries_lacking(storage.read_regular(moved), storage.read_regular(kept))
    except (OSError, storage.NotRegular):
        return -1


def _texts(doc: OrgFile | bytes, kept: str) -> Callable[[], tuple[str, str]]:
    """What :func:`~ai_protocols.session.replaced.refuse_other` reads when it must: the file's text
    (``doc``, read already) and the whole kept copy's (``""`` when it cannot be read)."""

    def read() -> tuple[str, str]:
        data = doc if isinstance(doc, bytes) else \
            b"".join(bytes(piece) for piece in doc.encoded())
        try:
            other = storage.read_regular(kept)
        except (OSError, storage.NotRegular):
            other = b""
        return data.decode("utf-8", "replace"), other.decode("utf-8", "replace")

    return read


def _lacking(ai_dir: str, path: str, kept: str, doc: OrgFile | bytes
             ) -> tuple[int, bool, str]:
    """What the session file ``path`` (read as ``doc``) holds that its kept copy at
    ``kept`` lacks: how many entries (:func:`ai_protocols.session.merge_changes.entries_lacking`),
    an entry the kept copy's earlier-entries files hold not counted (its rollover moved
    it: :func:`~ai_protocols.session.rollover.held_entries`); whether copying the
    kept copy over the file would lose anything at all (:func:`copy_loses`: a tick, a
    note, a property, a line of free text a person typed, a line deleted); and those
    entries said by kind (:func:`_by_kind`: ``1 entry and 1 reworded entry``; ``""``
    when there are none). ``(1, True, "")`` when either cannot be read as a session
    (then copying one over the other is not said to be safe). Only on the way to a
    refusal or a warning."""
    from ai_protocols.session.merge_changes import entries_lacking

    data = doc if isinstance(doc, bytes) else b"".join(bytes(piece) for piece in doc.encoded())
    try:
        newer = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return 1, True, ""
    held = held_entries(ai_dir, path, OrgFile(newer.decode("utf-8", "replace")))
    found = entries_lacking(newer, data, held)
    if found < 0:
        return 1, True, ""
    said = _by_kind(path, data, kept, newer, found) if found else ""
    return found, bool(found) or copy_loses(path, data, newer, held), said


def _by_kind(path: str, data: bytes, kept: str, newer: bytes, found: int) -> str:
    """The ``found`` entries the session file ``path`` (``data``) holds that its kept
    copy (``kept``, ``newer``) lacks, said by kind by the one rule of the read commands'
    warning (:func:`compared_versions`, :meth:`~ai_protocols.session.model.Compared.said`):
    a reworded entry (the same section and timestamp, other words, as the merge takes
    one) is said as one, not as an entry; ticks too. ``found`` (which leaves out what
    the kept copy's rollover moved) bounds the new entries said."""
    counts = compared_versions(path, data, newer, kept)
    if counts is None:
        return counted(found, "entry", "entries")
    counts.entries = max(min(counts.entries, found - counts.reworded), 0)
    return counts.said(log=False, none=counted(found, "entry", "entries"))


def compared_versions(path: str, data: bytes, kept: bytes, kept_at: str, *,
                      lacks: bool = False) -> Compared | None:
    """What the kept copy ``kept`` (at ``kept_at``) lacks of the session file at ``path``
    (``data``), counted by kind (:func:`~ai_protocols.session.model.compared`); with
    ``lacks``, what the file lacks of the kept copy. Counted on the version both derive
    from that git committed (:func:`~ai_protocols.session.edit_base._committed`, two git runs), so
    that a reword is what the merge takes for one (an entry one holds as committed, the other in
    other words) and two entries added are two; without one, by the merge's pairing of words.
    The one count of the refusals' and the read commands' "holds" and "lacks"
    (docs/decisions.md, "Issue 14, twenty-first round (stale saves, a fresh review)").
    ``None`` when either is no session. Call on a refusal's or a warning's path
    only."""
    from ai_protocols.session.model import compared

    try:
        here = read_session(path, data.decode("utf-8", "replace"))
        there = read_session(kept_at, kept.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        return None
    committed = edit_base._committed(path, data, kept) if path else None
    try:
        base = None if committed is None else \
            read_session(path, committed.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        base = None
    return compared(there, here, base) if lacks else compared(here, there, base)


def copy_loses(path: str, older: bytes, newer: bytes, held: set[str] | None = None) -> bool:
    """Whether putting the kept copy (``newer``, the version this tool wrote last) back
    over the session file at ``path`` (``older``, the version git put back, which a
    person may have edited since) loses anything: by the one judgement
    (:func:`~ai_protocols.session.merge_changes.copy_drops`, compared directly, against the
    committed version both derive from, :func:`~ai_protocols.session.edit_base._committed`, when
    there is one; the entries ``held`` by the kept copy's earlier-entries files taken out of both),
    any line ``older`` holds that ``newer`` lacks (a tick, a note under an item, a
    property, a summary line, free text) or an entry ``older`` deleted. ``True`` too
    when either is no session (then ``merge-kept`` says what to do). The one rule the
    refusal of a write (:class:`~ai_protocols.errors.SessionReplaced`), ``resume`` and
    ``status`` advise ``cp`` (or ``mv -f``) by. Runs git twice (``git log``, ``git
    cat-file``) when the file is in a repository; raises nothing of its own."""
    from ai_protocols.session.merge_changes import copy_drops, without_held

    if older == newer:
        return False
    if held:
        older, newer = without_held(older, held)[0], without_held(newer, held)[0]
    base = edit_base._committed(path, older, newer, held) if path else None
    drops = copy_drops(older, newer, base)
    return drops is None or sum(drops[0]) + drops[1] > 0


def lacking(ai_dir: str, path: str) -> tuple[int, bool, str]:
    """What the session file ``path`` holds that the version this tool wrote last (its
    kept copy, :func:`~ai_protocols.session.names.kept_path`) and the earlier-entries
    files that version links lack: how many entries (what ``merge-kept`` would add),
    whether putting the kept copy back would lose anything (:func:`copy_loses`), and
    those entries said by kind (:func:`_lacking`); ``(1, True, "")`` when either cannot
    be read as a session. The advice of :class:`~ai_protocols.errors.SessionReplaced`,
    for the read commands' warnings. Raises nothing of its own."""
    try:
        data = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        return 1, True, ""
    return _lacking(ai_dir, path, kept_path(ai_dir, path), data)


def brought_lacking(lacking: Callable[[bytes, bytes, tuple[bytes, ...]], int], data: bytes,
                    newer: bytes, before: tuple[bytes, ...]) -> int:
    """How many of the entries git brought a file saved over by a stale buffer dropped:
    the one rule of the merge back, for a session file
    (:func:`~ai_protocols.session.stale_saves.brought_back`) and for the task board
    (:meth:`ai_protocols.board.board.Board.editing`). ``data``: the file; ``newer``: ``HEAD``'s
    version; ``before``: the versions from before git changed the file (the kept copy, the version
    this tool wrote last, first; then the file at the commit that write recorded, when git holds
    one). What git brought is what ``newer`` holds and none of ``before`` does; ``lacking(version,
    other, also)`` counts what ``other`` holds that neither ``version`` nor any of ``also`` does
    (a session's changes of every kind, :func:`~ai_protocols.session.merge_changes.changes_lacking`;
    tasks). 0 when the file lacks none of it, and when it holds some of it:
    made from what git wrote, not from an older buffer, the file lacks the rest by a
    person's deliberate deletion (a stale save is the version from before git changed
    the file plus what was typed: it holds nothing git brought). docs/decisions.md,
    "Issue 14, sixteenth round (stale saves and put-back copies)". Raises nothing of its
    own."""
    missing = lacking(data, newer, before)
    if missing <= 0 or lacking(before[0], newer, before[1:]) > missing:
        return 0
    return missing
