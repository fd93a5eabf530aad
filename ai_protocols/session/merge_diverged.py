"""Two versions of a session file without a base: the file on disk and the kept copy
(``merge-kept``): which is the older (:func:`base_rank`, :func:`ancestor_of_both`), their
merge against a base made of what both hold (:func:`merge_diverged_bytes`), and the
entries one words otherwise than the other (:func:`reworded_entries`).

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

from collections.abc import Callable

from ai_protocols.session.merge_entries import _common_base, reworded_pairs
from ai_protocols.session.merge_session import merge_session_bytes
from ai_protocols.session.merge_units import (
    MergeResult,
    _entry_block,
    _entry_keys_of,
    _entry_raws,
    _read,
    _Version,
)
from ai_protocols.session.sections import SESSION_ID_PROPERTY


def ancestor_of_both(base: bytes, older: bytes, newer: bytes) -> bool:
    """Whether ``base`` (a version git committed) may be the version both ``older`` and
    ``newer`` derive from: :func:`base_rank` is not 0. Raises nothing of its own."""
    return base_rank(base, older, newer) > 0


def base_rank(base: bytes, older: bytes, newer: bytes) -> int:
    """How surely ``base`` (a version git committed) is the version both ``older`` (the
    file git put back, which a person may have edited since) and ``newer`` (the kept
    copy) derive from. All three must be one session's versions (the same ``STARTED``
    and ``AGENT_ID``), and ``newer``, which only the tool's writes made, must hold
    every entry ``base`` holds (the tool only ever adds entries: a kept copy that lacks
    one did not come from ``base``), else 0; a ``SESSION_ID`` held by several must be
    the same too (two sessions started in one minute). 2: besides, ``older`` carries ``base``'s
    write record (its ``UPDATED_AT``, which only the tool's writes change, never an
    edit in Emacs): it is ``base`` as git put it back, with a person's edits (a
    reworded line, a deleted one) at most. 1: ``older`` holds every entry ``base``
    holds too. 0 otherwise. Raises nothing of its own."""
    read = []
    for data in (base, older, newer):
        try:
            read.append(_read(data.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            return 0
    if any(version is None for version in read):
        return 0
    first, *sides = read
    identity = [(v.properties.get("STARTED"), v.properties.get("AGENT_ID")) for v in read]
    ids = {v.properties.get(SESSION_ID_PROPERTY) for v in read} - {None, ""}
    if len(set(identity)) != 1 or len(ids) > 1:  # (two sessions of one minute: two ids)
        return 0
    keys = {key for _name, key in _entry_keys_of(first)}  # type: ignore[arg-type]
    holds = [keys <= {key for _name, key in _entry_keys_of(side)}  # type: ignore[arg-type]
             for side in sides]
    if not holds[1]:  # (the kept copy, the tool's writes only, did not come from it)
        return 0
    record = first.properties.get("UPDATED_AT")  # type: ignore[union-attr]
    if record and sides[0].properties.get("UPDATED_AT") == record:  # type: ignore[union-attr]
        return 2
    return 1 if holds[0] else 0


def merge_diverged_bytes(older: bytes, newer: bytes, base: bytes | None = None, *,
                         ancestor: bool = False, wording: str = "file",
                         history: Callable[[], list[bytes]] | None = None
                         ) -> MergeResult | None:
    """Merge two versions of one session file that both hold entries the other lacks,
    with no common ancestor at hand: ``older``, the file on disk that git (a checkout, a
    stash, a rebase's abort) put back and a write went into, and ``newer``, the version
    ai-protocols wrote last (its kept copy, :func:`~ai_protocols.session.names.kept_path`).
    Three ways (:func:`merge_session_bytes`) against what both hold
    (:func:`_common_base`): every entry of both is kept, each side's free text too, the
    drawer's properties as the driver merges them. ``None`` when they are not two
    versions of one session the structural merge understands, when conflict markers
    would remain, or when the result would lack an entry of either side: then nothing is
    to be written, and a person merges them. ``base``: the version both derive from,
    when the caller has one (the one git committed last: ``merge-kept``); used only when
    :func:`ancestor_of_both` holds, so that a line one side changed (a tick, a reworded
    line) takes the change, three ways as git-merge-file(1) would; with ``ancestor``,
    whenever given: the caller knows from git's history that both derive from it
    (``merge-kept`` into an archive). ``wording``: without such a base, whose words of
    an entry the two word differently are kept (:data:`WORDINGS`, :func:`_common_base`;
    docs/decisions.md, "Issue 14, fourteenth round"). ``history``: the versions of the
    file in ``HEAD``'s history, newest first (:func:`~ai_protocols.session.merge._head_versions`),
    when ``newer`` is a version git holds and ``base`` its ancestor by git's history: a
    side older than ``base`` that is a version of that history older than ``base``'s (a
    ``git revert``'s) is merged by git's 3-way rule, its gaps deletions, as the driver git
    runs merges it (:func:`~ai_protocols.session.merge_session._base_by_git`;
    docs/decisions.md, "Twenty-eighth round: a removal by git revert under a stale
    save"). Raises nothing of its own."""
    try:
        texts = [data.decode("utf-8") for data in (older, newer)]
    except UnicodeDecodeError:
        return None
    versions = [_read(text) for text in texts]
    if versions[0] is None or versions[1] is None:
        return None
    old, new = versions
    if base is not None and (ancestor or base_rank(base, older, newer) > 0):
        committed = _read(base.decode("utf-8"))
    else:
        base, committed = None, None
    known = base is not None and committed is not None
    if base is None or committed is None:
        base = _common_base(old, new, wording).encode("utf-8")
        committed = _read(base.decode("utf-8"))
    if base == older:  # (nothing changed on the file's side: the kept copy as it is)
        return MergeResult(newer, False)
    result = merge_session_bytes(base, newer, older, labels=("kept copy", "common", "file"),
                                 known_base=known, own_record=False,
                                 history=history if known else None)
    if result is None or result.conflicts:
        return None
    merged = _read(result.data.decode("utf-8"))
    if merged is None or committed is None:
        return None
    # Every entry of either side is in the result, but one the other side reworded or
    # removed and this side left as the base has it (three ways; changed on both sides,
    # a tick or a note here and a reword there, is a conflict: nothing is merged).
    have, was = _entry_keys_of(merged), _entry_raws(committed)
    for side, other in ((old, new), (new, old)):
        theirs, mine = _entry_keys_of(other), _entry_raws(side)
        lost = [key for key, raw in mine.items() if key not in have and
                not (key in was and key not in theirs and was[key] == raw)]
        if lost and not _carried_reworded(side, merged, committed, lost):
            return None
    return result


def _carried_reworded(side: _Version, merged: _Version, base: _Version,
                      keys: list[tuple[str, str]]) -> bool:
    """Whether each entry ``keys`` names of ``side`` that the merge ``merged`` lacks by its
    words is there reworded (:func:`reworded_pairs`: the other side reworded it, a base's
    entry) with what ``side`` changed in it: its checkbox (a tick) and every line it
    added below its first (a note). A tick on one side and a reword on the other merge
    into the reworded entry ticked, as the driver git runs merges them; that is no entry
    lost (docs/decisions.md, "Twenty-eighth round: a tick under another clone's reword").
    No I/O."""
    twins = reworded_pairs(side, merged)
    raws, was = _entry_raws(side), _entry_raws(base)
    for key in keys:
        twin = twins.get(key)
        if twin is None or key not in was:
            return False
        first, *rest = raws[key].splitlines()
        head, *below = twin.raw.splitlines()
        if first.split("]", 1)[0] != head.split("]", 1)[0] or \
                any(line not in below for line in rest):
            return False
    return True


def reworded_entries(older: bytes, newer: bytes, *,
                     whole: bool = False) -> list[tuple[str, str]]:
    """The entries the session files ``older`` and ``newer`` word differently
    (:func:`reworded_pairs`), as ``(older's first line, newer's first line)``, in
    ``older``'s order; with ``whole``, each entry's every line instead (its trailing
    blank lines and line endings left out, the lines joined by ``"\\n"``): what
    ``merge-kept`` writes into the Log of the words it left out, so that no text is
    dropped. ``[]`` when either is no session file this module reads."""
    try:
        one, two = (_read(data.decode("utf-8", "replace")) for data in (older, newer))
    except ValueError:
        return []
    if one is None or two is None:
        return []
    first = {(name, u.key): u for name, units in one.chunks.items() for u in units}
    if whole:
        return [(_entry_block(first[key].raw), _entry_block(twin.raw))
                for key, twin in reworded_pairs(one, two).items()]
    return [(first[key].raw.split("\n", 1)[0].strip(), twin.raw.split("\n", 1)[0].strip())
            for key, twin in reworded_pairs(one, two).items()]
