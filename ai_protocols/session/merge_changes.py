"""What one version of a session file holds that another lacks, by the merge's units: the
entries (:func:`entries_lacking`), every change by kind (:func:`changes_lacking`,
:data:`CHANGE_KINDS`, said by :func:`said_changes`), what a copy over a file would drop
(:func:`copy_drops`), the lines a merge dropped (:func:`lines_dropped`), the entries a
version removed that earlier-entries files hold (:func:`removed_held`,
:func:`removed_blocks`, :func:`not_deleted_from`), a file without them
(:func:`without_held`), and which of a history's versions a file was written among
(:func:`written_among`): the rules the stale-save and removal checks of a write use.

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import re

from ai_protocols.lean import datetime
from ai_protocols.session.merge_drawer import GIT_UNIT
from ai_protocols.session.merge_entries import _new_or_reworded, reworded_pairs
from ai_protocols.session.merge_units import (
    _UNTICKED,
    SUMMARY_GAVE_WAY,
    _box,
    _entry_block,
    _entry_keys_of,
    _entry_raws,
    _entry_text,
    _held_block,
    _read,
    _Unit,
    _Version,
    _with_box,
)
from ai_protocols.session.model import lines_added


def written_among(versions: list[bytes]) -> bytes | None:
    """Of ``versions`` of a session file that carry one write record (``UPDATED_AT``),
    the one the tool wrote: the one whose every entry each other holds (the merge
    driver's result of a rebase or a merge carries the record of the side updated last
    with the other side's entries added; a person's edit of a committed version is
    another version too, and the one they all come from is the write). ``None`` when
    there is none, or no one of them is so held. ``versions`` newest first: of several
    so held (they hold the same entries: a person's committed edit that added a line or
    a note, no entry), the oldest, the last of them, for the tool's write comes before
    every version made from it (docs/decisions.md, "Issue 14, twenty-second round (a
    stale save committed)"). Reads no file (docs/decisions.md, "Issue 14, twenty-first
    round (stale saves, a fresh review)")."""
    found = None
    for one in versions:
        if all(other is one or entries_lacking(other, one) == 0 for other in versions):
            found = one
    return found


def entries_lacking(version: bytes, other: bytes, held: set[str] | None = None, *,
                    also: tuple[bytes, ...] = ()) -> int:
    """How many stamped entries (items of the session's sections, by their first line,
    ticked or not) the session file ``other`` holds that ``version`` does not, the Log's
    lines left out (each write's record, not an entry: counted, a write of one entry
    would say 2); -1 when either is no session file this module reads. ``held``: the
    entries ``version``'s earlier-entries files hold
    (:func:`ai_protocols.session.rollover.held_entries`); an entry of ``other`` found
    there, as its text stands (checkbox aside), is not lacking: ``version``'s rollover
    moved it. ``also``: more versions whose entries are not lacking either (what this
    tool last wrote, its kept copy: an entry none of them nor ``version`` holds came from
    elsewhere, through git). Raises nothing of its own."""
    read = []
    for data in (version, other, *also):
        try:
            read.append(_read(data.decode("utf-8", "replace")))
        except (ValueError, OSError):
            return -1
    if any(one is None for one in read):
        return -1
    have = {key for version_read in read[:1] + read[2:]
            for _name, key in _entry_keys_of(version_read)}
    return sum(1 for name, units in read[1].chunks.items() for unit in units
               if unit.kind == "E" and unit.key not in have and name != "section:log"
               and not (held and _held_block(unit.raw) in held))


def removed_held(data: bytes, newer: bytes, before: bytes,
                 held: set[str] | None = None) -> int:
    """How many entries git removed that the session file ``data`` holds, every one as
    it was: the entries (items of the sections, by their first line, checkbox aside; the
    Log's lines left out) that ``before`` (git's version before it changed the file)
    holds and ``newer`` (what git wrote, ``HEAD``'s version) lacks, less those ``newer``
    holds in other words (:func:`reworded_pairs`: a change, which
    :func:`changes_lacking` counts) and those found in ``held`` (the earlier-entries
    files' entries, :func:`ai_protocols.session.rollover.held_entries`: a rollover moved
    them). 0 when there are none, and when ``data`` lacks any of them or holds any in
    other lines (then it is no stale buffer of ``before``: a person changed what git
    removed, and that stands). -1 when any of the three is no session file this module
    reads. The stale-save rules' test of what git removed (docs/decisions.md,
    "Twenty-sixth round: stale saves over a pull, a stash's join and what git removed").
    Reads no file; raises nothing of its own."""
    read = _read_each(data, newer, before)
    return -1 if read is None else len(_removed_entries(*read, held))


def not_deleted_from(data: bytes, versions: list[bytes]) -> list[bytes]:
    """Of ``versions`` (session files carrying the write record ``UPDATED_AT`` the save
    ``data`` carries), those ``data`` may have been opened on, in their order: not one that
    is another of them with entries removed, every one of which ``data`` holds as it was
    (:func:`removed_held`). A person's deletion by hand keeps the
    record, so the version before it and the version after it (committed, in another clone,
    and pulled) both carry it; a stale buffer holding the deleted entries was opened on the
    one before (docs/decisions.md, "Twenty-seventh round: a stale save over a pull that
    removed an entry"). ``versions`` as given when there are fewer than two, or every one is
    such a deletion. No I/O; raises nothing of its own."""
    if len(versions) < 2:
        return versions
    return [version for version in versions if not any(
        removed_held(data, version, other) > 0 for other in versions if other is not version)
    ] or versions


def removed_blocks(data: bytes, newer: bytes, before: bytes,
                   held: set[str] | None = None) -> set[str]:
    """The entries :func:`removed_held` counts, each as an earlier-entries file holds
    one (:func:`without_held` takes them out of a version); empty when it counts none.
    Reads no file; raises nothing of its own."""
    read = _read_each(data, newer, before)
    return set() if read is None else \
        {_held_block(raw) for raw in _removed_entries(*read, held)}


def _read_each(*versions: bytes) -> list[_Version] | None:
    """Each of ``versions`` read (:func:`_read`); ``None`` when one is no session file this
    module reads."""
    read = []
    for one in versions:
        try:
            version = _read(one.decode("utf-8", "replace"))
        except ValueError:
            return None
        if version is None:
            return None
        read.append(version)
    return read


def _removed_entries(mine: _Version, theirs: _Version, was: _Version,
                     held: set[str] | None) -> list[str]:
    """:func:`removed_held`'s entries (their raw text, ``was``'s), of the three read."""
    have = {key for _name, key in _entry_keys_of(theirs)}
    reworded = reworded_pairs(was, theirs)
    gone = {where: raw for where, raw in _entry_raws(was).items()
            if where[0] != "section:log" and where[1] not in have and where not in reworded
            and not (held and _held_block(raw) in held)}
    kept = _entry_raws(mine)
    if not gone or any(where not in kept or _entry_block(kept[where]) != _entry_block(raw)
                       for where, raw in gone.items()):
        return []
    return list(gone.values())


#: The session headline's properties every write sets (its write record, and where
#: ``HEAD`` stood): a version's own, never a change that git brings and a stale save
#: drops (:func:`changes_lacking`).
WRITE_RECORD = frozenset({"UPDATED", "UPDATED_AT"}) | GIT_UNIT

#: The kinds of change :func:`changes_lacking` counts, in its answer's order, each as
#: :func:`~ai_protocols.lean.counted` says it (one, many).
CHANGE_KINDS: tuple[tuple[str, str], ...] = (
    ("entry", "entries"), ("tick", "ticks"), ("changed entry", "changed entries"),
    ("state", "states"), ("property", "properties"), ("Log line", "Log lines"),
    ("line", "lines"))


def changes_lacking(version: bytes, other: bytes, held: set[str] | None = None, *,
                    also: tuple[bytes, ...] = ()) -> tuple[int, ...] | None:
    """What the session file ``other`` holds that neither ``version`` nor any of
    ``also`` holds, counted by kind (:data:`CHANGE_KINDS`, one count each, in its
    order): the stale-save merge back's count of what git brought
    (:func:`ai_protocols.session.entries_compared.brought_lacking`), every kind of change as
    the task board's (:func:`ai_protocols.board.merge.tasks_lacking`) counts a changed
    task. ``other`` is ``HEAD``'s version, ``version`` the file, ``also`` the versions
    from before git changed it. Counted:

    - an entry of a section (by its first line, checkbox aside) none of them holds, one
      of ``held`` aside (:func:`entries_lacking`); one that stands for an entry of
      theirs ``other`` lacks, reworded (the merge's rule of a reword,
      :func:`_new_or_reworded`), is a changed entry;
    - an entry ``version`` holds in another text that is one of ``also``'s (or ``also``
      being empty), while ``other``'s text is none of theirs: an older text of it, as a
      stale save keeps it; a tick when only the checkbox differs, else a changed entry
      (a line under it);
    - a property of the session headline (``STATUS``: a state) so held in an older
      value (or absent), the write record aside (:data:`WRITE_RECORD`: every write
      sets it);
    - a Log line none of them holds;
    - a line of free text (the summary's, a person's, a headline) ``other`` holds more
      times than each of them does, blank lines aside, and a summary's line that a Log
      line of ``version`` keeps aside (the merge driver's, when that summary gave way
      to another: :func:`_kept_in_log`).

    A change ``version`` made on its own (a text none of ``also`` holds) is a person's,
    never counted. ``None`` when one is no session file this module reads. Raises
    nothing of its own."""
    read = []
    for data in (version, other, *also):
        try:
            read.append(_read(data.decode("utf-8", "replace")))
        except (ValueError, OSError):
            return None
    if any(one is None for one in read):
        return None
    mine, theirs, before = read[0], read[1], read[2:]
    counts = dict.fromkeys([one for one, _many in CHANGE_KINDS], 0)
    have = {key for one in [mine, *before] for _name, key in _entry_keys_of(one)}
    texts = [_entry_raws(one) for one in before]
    here = _entry_raws(mine)
    for name, units in theirs.chunks.items():
        lines: dict[str, int] = {}
        new: dict[datetime | None, list[str]] = {}
        for unit in units:
            if unit.kind == "T":
                if unit.raw.strip():
                    lines[unit.raw] = lines.get(unit.raw, 0) + 1
                continue
            if unit.kind != "E":
                continue
            if unit.key not in have:
                if name == "section:log":
                    counts["Log line"] += 1
                elif not (held and _held_block(unit.raw) in held):
                    new.setdefault(unit.time, []).append(unit.key)
                continue
            text = here.get((name, unit.key))
            older = {one[(name, unit.key)] for one in texts if (name, unit.key) in one}
            # (``version``'s own change of an entry ``also`` holds is a person's: not
            # counted; an entry none of ``also`` holds is new on both, and what
            # ``other`` holds under it more is lacking: a note typed under an entry
            # logged since the last commit, which a ``cp`` of the tool's copy drops;
            # not when ``version``'s text is ``other``'s with lines added, the one rule
            # of one entry edited, model.lines_added)
            if name == "section:log" or text is None or unit.raw == text or \
                    unit.raw in older or (before and older and text not in older) or \
                    (not older and lines_added(unit.raw, text) == text):
                continue
            counts["tick" if _with_box(_Unit("E", text), _box(unit)) == unit.raw
                   else "changed entry"] += 1
        for kind, count in _new_or_reworded(name, units, new, mine, before).items():
            counts[kind] += count
        if lines and name == "section:summary":
            # (a summary the merge driver settled against another keeps its words in a
            # Log line, whole: no line the file lacks; docs/decisions.md, "Issue 14,
            # twenty-first round (the stale save's refusal)")
            lines = {raw: count for raw, count in lines.items()
                     if not _kept_in_log(raw, mine)}
        if lines:
            held_most: dict[str, int] = {}
            for one in [mine, *before]:
                found: dict[str, int] = {}
                for unit in one.chunks.get(name, ()):
                    if unit.kind == "T" and unit.raw in lines:
                        found[unit.raw] = found.get(unit.raw, 0) + 1
                for raw, count in found.items():
                    held_most[raw] = max(held_most.get(raw, 0), count)
            counts["line"] += sum(max(count - held_most.get(raw, 0), 0)
                                  for raw, count in lines.items())
    values = [one.properties for one in before]
    props, mine_props = theirs.properties, mine.properties
    for key in sorted(set(props) | set(mine_props) | {k for v in values for k in v}):
        value, text = props.get(key), mine_props.get(key)
        older = {one.get(key) for one in values}
        if key in WRITE_RECORD or value == text or value in older or \
                (values and text not in older):
            continue
        counts["state" if key == "STATUS" else "property"] += 1
    return tuple(counts[one] for one, _many in CHANGE_KINDS)


def _kept_in_log(raw: str, version: _Version) -> bool:
    """Whether the line ``raw`` of a summary (its text, escaped as the file holds it,
    or as read) is in a Log line of ``version`` that keeps a summary that gave way in a
    merge (:data:`SUMMARY_GAVE_WAY`, :func:`_summaries`): the merge driver moved it
    there. No I/O."""
    from ai_protocols.org.syntax import unescape_inline

    line = raw.strip()
    if not line:
        return False
    words = {line, unescape_inline(line)}
    for unit in version.chunks.get("section:log", ()):
        if unit.kind == "E" and SUMMARY_GAVE_WAY in unit.raw:
            text = _entry_text(unit.raw)
            if text.startswith(SUMMARY_GAVE_WAY):
                kept = text.partition("): ")[2]
                if any(word in kept for word in words):
                    return True
    return False


#: The kinds of :func:`changes_lacking`'s answer that are the tool's own records of the
#: session headline (a state, a property): without a version both derive from, never
#: taken for a person's change (the tool's later write changed them).
HEADLINE_KINDS = (3, 4)


def copy_drops(older: bytes, newer: bytes, base: bytes | None = None
               ) -> tuple[tuple[int, ...], int] | None:
    """What putting the session file ``newer`` over ``older`` (``cp NEWER OLDER``, ``mv
    -f``, or ``rm OLDER`` when ``newer`` is its archive) would lose, compared directly,
    no merge: every change ``older`` holds that ``newer`` lacks (:func:`changes_lacking`
    by kind, :data:`CHANGE_KINDS`: an entry, a tick, a note under an entry, a Log line,
    a line typed), what ``base`` (the version both derive from; ``None``: not known)
    holds not counted, nor, without ``base``, the headline's records
    (:data:`HEADLINE_KINDS`); and how many entries ``older`` deleted: entries ``base``
    and ``newer`` hold that ``older`` lacks (0 without ``base``: an entry only ``newer``
    holds is then taken as written since, which ``merge-kept`` keeps too). ``None`` when
    one is no session file this module reads. The one judgement of every ``cp``,
    ``mv -f`` and ``rm`` advised (docs/decisions.md, "Twenty-fourth round: advice that
    loses nothing when pasted"). Reads nothing, raises nothing of its own."""
    found = changes_lacking(newer, older, also=() if base is None else (base,))
    if found is None:
        return None
    if base is None:
        return tuple(0 if kind in HEADLINE_KINDS else count
                     for kind, count in enumerate(found)), 0
    kept, added = entries_lacking(older, newer), entries_lacking(older, newer, also=(base,))
    return None if kept < 0 or added < 0 else (found, max(kept - added, 0))


def said_changes(counts: tuple[int, ...] | None) -> str:
    """:func:`changes_lacking`'s counts said by kind (``1 tick and 1 Log line``;
    :func:`~ai_protocols.lean.counted_kinds`); ``changes`` when unknown."""
    from ai_protocols.lean import counted_kinds

    if counts is None:
        return "changes"
    return counted_kinds([(n, one, many) for n, (one, many) in zip(counts, CHANGE_KINDS,
                                                                  strict=True)],
                         none="no change")


def without_held(data: bytes, held: set[str]) -> tuple[bytes, int]:
    """The session file ``data`` without the entries of its sections that ``held``
    holds (:func:`ai_protocols.session.rollover.held_entries`: what earlier-entries
    files hold, as its text stands, checkbox aside), every other byte as it was; and
    how many it took out. ``data`` as it is (and 0) when nothing is held or it is no
    session file this module reads. What ``merge-kept`` merges: an entry a rollover
    moved out of one version is no entry that version alone holds (docs/decisions.md,
    "Issue 16, eleventh round (rollover against the kept copy and merges)"). Raises
    nothing of its own."""
    if not held:
        return data, 0
    try:
        version = _read(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return data, 0
    if version is None:
        return data, 0
    pieces: list[str] = []
    taken = 0
    for name in version.order:
        for unit in version.chunks[name]:
            if unit.kind == "E" and _held_block(unit.raw) in held:
                taken += 1
            else:
                pieces.append(unit.raw)
    text = "".join(pieces)
    if not version.final_newline and text.endswith(version.newline):
        text = text[: -len(version.newline)]
    return (text.encode("utf-8"), taken) if taken else (data, 0)


#: A property line (``:NAME: value``), a drawer's ``:PROPERTIES:``/``:END:`` (Org syntax,
#: "Property Drawers"): the tool manages these (``:UPDATED:`` and the like), so a merge
#: may take one side's value over the other's.
_PROPERTY_LINE = re.compile(r"[ \t]*:[^\s:]+:(?:[ \t].*)?")


def lines_dropped(side: bytes, merged: bytes, base: bytes | None = None,
                  other: bytes | None = None) -> list[str]:
    """The lines of ``side`` (one version's UTF-8 bytes) that ``merged`` lacks, counted
    as a multiset (a line twice in ``side`` must be twice in ``merged``), property lines
    left out (the tool's; see ``_PROPERTY_LINE``), and a checkbox ``[ ]`` in ``side``
    met by the same line ticked (``[X]``, Org syntax "Checkboxes") in ``merged``: the
    guard that a merge keeps every line a person or the tool wrote on either side.
    With ``base`` (the version both sides derive from) and ``other`` (the other side),
    a line that ``base`` holds and ``other`` does not (the other side changed or removed
    it: a three-way merge takes that change) is not lacking either.
    Returns the lacking lines (text without their line ending), in ``side``'s order;
    [] when none. Undecodable bytes are replaced (U+FFFD) on both sides alike."""
    from collections import Counter

    def split(data: bytes) -> list[str]:
        text = data.decode("utf-8", "replace")
        if not text:
            return []
        return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")

    have = Counter(split(merged))
    changed = Counter(split(base)) - Counter(split(other)) \
        if base is not None and other is not None else Counter()
    lacking = []
    for line in split(side):
        if _PROPERTY_LINE.fullmatch(line):
            continue
        if have[line] > 0:
            have[line] -= 1
            continue
        ticked = _UNTICKED.sub(r"\1[X]", line, count=1)
        if ticked != line and have[ticked] > 0:
            have[ticked] -= 1
            continue
        if changed[line] > 0:  # (the other side's change of it)
            changed[line] -= 1
            continue
        lacking.append(line)
    return lacking
