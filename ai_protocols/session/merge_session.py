"""The session merge of a whole file: its chunks merged in order (:func:`_structural`,
:func:`_merge_chunk`), the ``Earlier entries`` section and its links
(:func:`_merge_earlier`, :func:`_relinked`), the summary both sides replaced
(:func:`_summaries`), :func:`merge_session_bytes` (three versions' bytes, the merge's
entry point), the base it stands on when git's is not the one the sides were made from
(:func:`_made_before`, :func:`_base_by_git`, :func:`stale_against`), and the merge's own
write record (:func:`merged_record`).

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from ai_protocols.lean import datetime, timedelta
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import entry_lines, format_property, parse_timestamp, strip_ending
from ai_protocols.paths import AI_DIR
from ai_protocols.session.earlier_links import (
    earlier_link_line,
    is_earlier_name,
    parse_earlier_link,
    with_earlier_path,
)
from ai_protocols.session.merge_drawer import _Drawer, _merge_drawer, _primary_is_ours
from ai_protocols.session.merge_entries import (
    _common_base,
    _merge_entry_chunk,
    _merge_free,
    _Rolled,
)
from ai_protocols.session.merge_units import (
    _ITEM,
    _PROPERTY,
    SUMMARY_GAVE_WAY,
    MergeResult,
    _CannotMerge,
    _compare,
    _entry_keys_of,
    _entry_text,
    _lines,
    _read,
    _stamp,
    _token_merge,
    _union,
    _Unit,
    _units,
    _Version,
    conflict_block,
)
from ai_protocols.session.rollover import HISTORY, SUPERSEDED
from ai_protocols.session.sections import (
    CLOSED_STATUSES,
    EARLIER,
    SUMMARY_LOGGED,
    find_section,
    session_headline,
    summary_span,
)

#: The folders of ``.ai/`` a session file lives in: the one-agent file, an agent's
#: file of ``session-context.d/``, an archive of ``sessions/``.
_HOMES = ("", "session-context.d", "sessions")


def _earlier_target(rel: str) -> str | None:
    """The place below ``.ai/`` of the earlier-entries file an ``Earlier entries``
    link ``rel`` names, from whichever session file's folder it was written (a link
    is relative to its file, docs/decisions.md, "Issue 16, part g"): the one folder of
    :data:`_HOMES` from which ``rel`` lands where the tool puts such files
    (``history/STEM/NAME`` or ``sessions/ARCHIVE/NAME``, NAME as a rollover names
    one); ``None`` for any other link (a person's). A ``::SEARCH`` option is not part
    of the place: Org reads ``file:PATH::SEARCH`` as the file ``PATH`` (the path before
    the first ``::``, https://orgmode.org/manual/Search-Options.html), as
    :func:`~ai_protocols.session.earlier_links.earlier_links` does. Pure: no file is looked
    at."""
    rel = rel.partition("::")[0]
    if rel.startswith("/") or not is_earlier_name(rel.rpartition("/")[2]):
        return None
    for home in _HOMES:
        parts = os.path.normpath(os.path.join(home, rel)).replace(os.sep, "/").split("/")
        if (parts[0] == HISTORY and len(parts) >= 3) or (parts[0] == "sessions"
                                                           and len(parts) == 3):
            return "/".join(parts)
    return None


def _link_key(rel: str) -> str:
    """What an ``Earlier entries`` link is known by across the versions: the name of a
    tool's earlier file (its bytes' hash is in it: one name, one content, wherever a
    side's link says it is, beside a live file or an archive; a ``::SEARCH`` option
    left out: the same file), else the path."""
    return rel.partition("::")[0].rpartition("/")[2] if _earlier_target(rel) is not None \
        else os.path.normpath(rel)


def _home_of(place: str | None) -> str | None:
    """The folder below ``.ai/`` of the merged file's path ``place`` (git's ``%P``:
    ``""`` for ``.ai/session-context.org``, ``sessions`` for an archive); ``None``
    when ``place`` is not a session file's place in ``.ai/``."""
    if not place:
        return None
    parts = place.replace("\\", "/").split("/")
    if AI_DIR not in parts[:-1]:
        return None
    below = parts[len(parts) - parts[::-1].index(AI_DIR):-1]
    home = "/".join(below)
    return home if home in _HOMES else None


def _relinked(text: str, place: str | None, newline: str) -> str:
    """The ``Earlier entries`` section ``text`` with each link to a tool's earlier file
    written relative to the merged file's own folder (``place``, git's ``%P``): git
    pairs a renamed file (the live file one side archived) with the other side's
    version, whose links were relative to the live file's folder; each file once
    (:func:`_link_key`). Other lines as they are."""
    home = _home_of(place)
    if home is None:
        return text
    out: list[str] = []
    seen: set[str] = set()
    before: set[str] = set()  # (what was seen before a conflict: each side's lines once)
    union: set[str] = set()
    for line in text.splitlines(keepends=True):
        bare = strip_ending(line, newline)
        run = len(bare) - len(bare.lstrip(bare[:1])) if bare[:1] in ("<", "|", "=", ">") else 0
        if run >= 7 and (len(bare) == run or bare[run] == " "):
            # A conflict's marker: each side of it names its files anew (both sides of a
            # link both re-described are shown, thirteenth review).
            union |= seen
            if bare[0] == "<":
                before, union = set(seen), set(seen)
            elif bare[0] in "|=":
                seen = set(before)
            else:
                seen = set(union)
            out.append(line)
            continue
        link = parse_earlier_link(bare)
        target = _earlier_target(link[0]) if link is not None else None
        if link is None or target is None:
            out.append(line)
            continue
        key = _link_key(link[0])
        if key in seen:
            continue  # (the same file, named from two folders)
        seen.add(key)
        sep, search = link[0].partition("::")[1:]
        new = os.path.relpath(target, home or ".").replace(os.sep, "/") + sep + search
        if new != link[0]:  # (only the path changes: its type as typed, the rest kept)
            line = (with_earlier_path(bare, new) or bare) + line[len(bare):]
        out.append(line)
    return "".join(out)


def _new_ranges(base: _Version, side: _Version) -> list[tuple[datetime, datetime]]:
    """The ranges of the earlier-entries files ``side``'s ``Earlier entries`` section
    links and the base's does not
    (:func:`~ai_protocols.session.earlier_links.parse_earlier_link`)."""
    def links(version: _Version) -> dict[str, tuple[datetime, datetime] | None]:
        found: dict[str, tuple[datetime, datetime] | None] = {}
        for unit in version.chunks.get(f"section:{EARLIER[0]}", []):
            link = parse_earlier_link(strip_ending(unit.raw, version.newline))
            if link is not None:
                found[_link_key(link[0])] = \
                    (link[1], link[2]) if link[1] and link[2] else None
        return found

    before = links(base)
    return [span for path, span in links(side).items() if path not in before and span]


def _with_superseded(text: str, digests: set[str], newline: str) -> str:
    """The ``Earlier entries`` section ``text`` with ``digests`` added to its
    :data:`~ai_protocols.session.rollover.SUPERSEDED` property (one line in its drawer,
    the tokens sorted: the same whichever side is ours). Unchanged without a drawer."""
    lines = text.split(newline)
    start = next((i for i, line in enumerate(lines[:3]) if line.strip().upper() ==
                  ":PROPERTIES:"), None)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().upper() ==
                ":END:"), None) if start is not None else None
    if start is None or end is None:
        return text
    found = _PROPERTY.match
    at = next((i for i in range(start + 1, end) if (m := found(lines[i])) is not None
               and m.group(1).upper() == SUPERSEDED), None)
    tokens = set(digests)
    if at is not None:
        tokens.update((found(lines[at]).group(2) or "").split())  # type: ignore[union-attr]
    line = format_property(SUPERSEDED, " ".join(sorted(tokens)))
    if at is not None:
        lines[at] = line
    else:
        lines.insert(end, line)
    return newline.join(lines)


def _tool_since(base: _Version, side: _Version) -> datetime | None:
    """The minute of ``base``'s last write (its ``UPDATED``) when ``side`` carries
    another write record (``UPDATED_AT``: the tool wrote on that side since, and may
    have added entries stamped that minute or later); ``None`` when it carries the
    base's (no write since: every new entry of it was typed by a person)."""
    if side.properties.get("UPDATED_AT") == base.properties.get("UPDATED_AT"):
        return None
    return parse_timestamp(base.properties.get("UPDATED", "")) or datetime.min



def _merge_chunk(name: str, base: _Version, ours: _Version, theirs: _Version, *,
                 ours_first: bool, labels: tuple[str, str, str],
                 marker_size: int, rolled: _Rolled | None = None,
                 drawer: _Drawer | None = None) -> tuple[str, bool]:
    """One chunk both sides hold (the base may not): its units merged by git, entries
    and the drawer by their rules (``drawer``: the session's, merged already)."""
    o, a, b = base.chunks.get(name, []), ours.chunks[name], theirs.chunks[name]
    if name not in base.chunks and name.startswith("section:"):
        # Both sides made the section (each its first entry of that kind): its base is
        # the section as both made it, empty (the lines of free text both begin it
        # with: its headline and drawer), as when the base held it so; else each side's
        # whole body would be an addition against nothing, and a line a person added
        # under an entry on one side would conflict with nothing (ninth review).
        common = 0
        while common < min(len(a), len(b)) and a[common].kind == b[common].kind == "T" \
                and a[common].raw == b[common].raw:
            common += 1
        o = a[:common]
        if common:
            base = _Version(base.text, [*base.order, name], {**base.chunks, name: o},
                            base.drawer, base.newline, base.final_newline)
    if name != "session":
        ro, ra, rb = (base.raw(name) if name in base.chunks else None), ours.raw(name), \
            theirs.raw(name)
        twice = name == "section:log" and ra == rb != ro  # (two writes: kept twice)
        if (ra == rb and not twice) or rb == ro:
            return ra, False
        if ra == ro:
            return rb, False
        if name == f"section:{EARLIER[0]}":
            return _merge_earlier(o, a, b, ours_first=ours_first, labels=labels,
                                  marker_size=marker_size, newline=ours.newline)
        if any(u.kind == "E" for u in (*o, *a, *b)):
            if rolled is not None:
                rolled.section = name.partition(":")[2]
            return _merge_entry_chunk(o, a, b, ours_first=ours_first, labels=labels,
                                      marker_size=marker_size, newline=ours.newline,
                                      offsets=(ours.offset, theirs.offset),
                                      rolled=rolled if name.startswith("section:") else None,
                                      records=name == "section:log",
                                      since=(_tool_since(base, ours), _tool_since(base, theirs)))
    by_token = {unit.token: unit for unit in (*o, *a, *b)}
    pieces: list[str] = []
    conflict = False
    for part in _token_merge(*([u.token for u in side] for side in (o, a, b))):
        units = [[by_token[token] for token in side] for side in part]
        if len(units) == 1:
            for unit in units[0]:
                if unit.kind == "D":
                    if drawer is None:
                        drawer = _merge_drawer(base, ours, theirs, ours_first, labels=labels,
                                               marker_size=marker_size)
                    pieces.append(drawer.text)
                    conflict = conflict or drawer.conflict
                else:
                    pieces.append(unit.raw)
            continue
        in_a, in_o, in_b = units
        if any(u.kind in "DE" for u in (*in_a, *in_o, *in_b)):
            raise _CannotMerge  # (entries go through _merge_entry_chunk, never here)
        text, clash = _merge_free(in_o, in_a, in_b, labels=labels, marker_size=marker_size)
        pieces.append(text)
        conflict = conflict or clash
    return "".join(pieces), conflict


def _as_written(raw: str, newline: str) -> bool:
    """Whether the ``Earlier entries`` link line ``raw`` is as a rollover writes it
    (:func:`~ai_protocols.session.earlier_links.earlier_link_line`): no person changed it."""
    bare = strip_ending(raw, newline)
    link = parse_earlier_link(bare)
    return link is not None and bare == earlier_link_line(*link)


def _merge_earlier(o: list[_Unit], a: list[_Unit], b: list[_Unit], *, ours_first: bool,
                   labels: tuple[str, str, str], marker_size: int,
                   newline: str) -> tuple[str, bool]:
    """The ``Earlier entries`` section (docs/decisions.md, "Issue 16, part g") both sides
    changed: its link items (:func:`~ai_protocols.session.earlier_links.parse_earlier_link`)
    merged as a set, known by the file they name (each side's rollover added its own:
    both are kept, a link one side removed goes), in the order of their ranges (the
    oldest first, then the newest, then the path: the same whichever side is ours),
    where the first link stood; a link line both sides hold is merged three ways (a
    new description on one side wins; on both, different: a conflict; one side's
    removal of a line the other re-described keeps it); the section's other lines (its
    headline and drawer, a person's text) as git merges them."""
    def links(units: list[_Unit]) -> dict[str, str]:
        found = {}
        for unit in units:
            link = parse_earlier_link(strip_ending(unit.raw, newline))
            if link is not None:
                found.setdefault(_link_key(link[0]), unit.raw)
        return found

    def superseded(unit: _Unit) -> list[str] | None:
        found = _PROPERTY.match(strip_ending(unit.raw, newline))
        return (found.group(2) or "").split() \
            if found is not None and found.group(1).upper() == SUPERSEDED else None

    tokens = {t for side in (a, b) for u in side for t in (superseded(u) or ())}

    def free(units: list[_Unit]) -> list[_Unit]:  # (the superseded digests: their union)
        return [u for u in units if parse_earlier_link(strip_ending(u.raw, newline)) is None
                and superseded(u) is None]

    lo, la, lb = links(o), links(a), links(b)
    first, second = (la, lb) if ours_first else (lb, la)
    kept: dict[str, str] = {}
    clash = False
    for path in {*la, *lb}:
        if path not in lo and not (path in la and path in lb):
            kept[path] = first.get(path) or second[path]
        elif path not in lo:  # (new on both: each side's rollover wrote the same line,
            # its base; a person's new description on one side wins, on both: a conflict)
            mine, theirs = la[path], lb[path]
            if _as_written(theirs, newline) or mine == theirs:
                kept[path] = mine
            elif _as_written(mine, newline):
                kept[path] = theirs
            else:
                kept[path] = conflict_block(mine, theirs, labels, marker_size, newline)
                clash = True
        elif path in la and path in lb:  # three ways: the one side that changed it wins
            old, mine, theirs = lo[path], la[path], lb[path]
            if mine == theirs or theirs == old:
                kept[path] = mine
            elif mine == old:
                kept[path] = theirs
            else:  # both re-described it, differently: a person chooses
                kept[path] = conflict_block(mine, theirs, labels, marker_size, newline)
                clash = True
        elif (la.get(path) or lb[path]) != lo[path]:
            kept[path] = la.get(path) or lb[path]  # removed on one side, changed on the other
    where = {path: parse_earlier_link(strip_ending((la.get(path) or lb[path]), newline))
             for path in kept}

    def order(path: str) -> tuple[datetime, datetime, str]:
        link = where[path]
        assert link is not None
        return (link[1] or datetime.min, link[2] or datetime.min, path)

    text, conflict = _merge_free(free(o), free(a), free(b), labels=labels,
                                 marker_size=marker_size)
    conflict = conflict or clash
    lines = _lines(text)
    at = min((next(i for i, u in enumerate(side)
                   if parse_earlier_link(strip_ending(u.raw, newline)) is not None)
              for side in (a, b) if links(side)), default=len(lines))
    at = min(at, len(lines))  # (the lines before the first link are free text)
    placed = [kept[path] for path in sorted(kept, key=order)]
    text = "".join(lines[:at] + placed + lines[at:])
    return (_with_superseded(text, tokens, newline) if tokens else text), conflict


def _one_current(text: str, ours: _Version, theirs: _Version, base: _Version) -> str:
    """The merged Progress section ``text`` with one step in progress ("one at a time",
    ``log --current``): when each side marked its own (``[-]``), the later item by its
    timestamp stays marked (placed in real time by the UTC offset of the side that
    holds it, or of the base when both sides hold it, when every such offset is known;
    at the same time, the step of the side whose write came last by its UPDATED_AT,
    then the greater line: the same whichever side is ours), and the others go back to
    open (``[ ]``)."""
    lines = _lines(text)
    held = [{u.raw.partition("\n")[0] for u in side.chunks.get("section:progress", [])}
            for side in (ours, theirs)]

    def offset_of(head: str) -> timedelta | None:
        if head in held[0] and head in held[1]:
            return base.offset  # (written before both: in the base's writer's zone)
        return ours.offset if head in held[0] else theirs.offset if head in held[1] else None

    marked = []
    for number, line in enumerate(lines):
        found = _ITEM.match(line)
        if found and found.group(1) == "-":
            head = line.partition("\n")[0]
            offset = offset_of(head)
            marked.append((parse_timestamp(found.group(2)) or datetime.min, offset, line,
                           number))
    if len(marked) < 2:
        return text
    real = all(offset is not None for _, offset, _, _ in marked)
    # In one minute, the step of the side that wrote last (its UPDATED_AT, Moment.order:
    # the one rule for which of two writes came first); only then the greater line.
    later = None
    if ours.moment is not None and theirs.moment is not None:
        first, second = ours.moment.order(theirs.moment), theirs.moment.order(ours.moment)
        later = held[0] if first > second else held[1] if second > first else None

    def by_the_later_writer(head: str) -> int:
        return int(later is not None and head in later and not (head in held[0] and
                                                                head in held[1]))

    keep = max(((when - offset if real and when != datetime.min else when),
                by_the_later_writer(line.partition("\n")[0]), line, number)
               for when, offset, line, number in marked)[3]
    for _, _, line, number in marked:
        if number != keep:
            at = line.index("[-]")
            lines[number] = line[:at] + "[ ]" + line[at + 3:]
    return "".join(lines)


def _one_each(text: str, ours: _Version, theirs: _Version) -> str:
    """The merged Key files section ``text`` as a set, by ``log``'s rule (a key file
    "listed already" is not listed again: the same text, as the readers give it): a
    text the merge holds more times than either side does (each clone listed it on its
    own) is kept once, at its first place; a later copy with lines under it (a person's
    note) stays. The same whichever side is ours."""
    def counts(units: list[_Unit]) -> dict[str, int]:
        seen: dict[str, int] = {}
        for unit in units:
            if unit.kind == "E":
                seen[_entry_text(unit.raw)] = seen.get(_entry_text(unit.raw), 0) + 1
        return seen

    sides = [counts(side.chunks.get("section:key-files", [])) for side in (ours, theirs)]
    lines = _lines(text)
    units = _units(lines, 0, len(lines), entries=True, drawer=None, newline=ours.newline)
    have: dict[str, int] = {}
    pieces = []
    for unit in units:
        if unit.kind == "E":
            said = _entry_text(unit.raw)
            have[said] = have.get(said, 0) + 1
            if have[said] > max(sides[0].get(said, 0), sides[1].get(said, 0)) and \
                    not unit.raw.partition("\n")[2].strip():
                continue
        pieces.append(unit.raw)
    return "".join(pieces)


@dataclass
class _Summary:
    """How two summaries that both sides replaced merge (:func:`_summaries`): the loser's
    version with its summary put back as the base had it (``loser``, ours or theirs:
    ``loser_is_ours``), and the Log entry that keeps its text (``entry``), written after
    the Log line ``after`` (its ``summary: updated``; ``None``: at the Log's end)."""

    loser_is_ours: bool
    loser: _Version
    entry: str
    after: str | None


def _summaries(base: _Version, ours: _Version, theirs: _Version,
               ours_first: bool) -> _Summary | None:
    """When both sides replaced the summary (each its own text), which one stays
    (docs/merge-driver.md, "The summary"): a side that set it through the tool holds a
    new ``summary: updated`` Log line (:data:`SUMMARY_LOGGED`); both did: the later of
    those lines (in real time, :func:`_compare`; the same minute: the side updated
    last); one did and a person edited the other by hand: the person's. The other
    summary goes into the Log, whole, after its ``summary: updated`` line. ``None``
    when not both replaced it, or both by hand (then git's conflict, for a person)."""
    name = "section:summary"
    if any(name not in v.chunks for v in (base, ours, theirs)) or \
            len({base.raw(name), ours.raw(name), theirs.raw(name)}) != 3:
        return None  # (one side left the section as it was: git's merge takes the other)
    read = []
    for version in (base, ours, theirs):
        doc = OrgFile(version.text)
        session = session_headline(doc)
        section = find_section(doc, session, "summary") if session is not None else None
        if section is None:
            return None
        start, end, said = summary_span(doc, section)
        logged = [unit for unit in version.chunks.get("section:log", [])
                  if unit.kind == "E" and _entry_text(unit.raw) == SUMMARY_LOGGED]
        read.append((doc, start, end, said, logged))
    base_doc, b_start, b_end, _, base_logged = read[0]
    if len({read[0][3], read[1][3], read[2][3]}) != 3:
        return None
    tool = [len(r[4]) > len(base_logged) for r in read[1:]]
    if not any(tool):
        return None
    if all(tool):
        order = _compare(read[1][4][-1].time, ours.offset, read[2][4][-1].time, theirs.offset)
        ours_wins = ours_first if not order else order > 0
        why = "the later one"
    else:
        ours_wins = not tool[0]
        why = "the one a person edited"
    doc, start, end, said, logged = read[2] if ours_wins else read[1]
    loser = theirs if ours_wins else ours
    lines = doc.lines
    text = "".join(lines[:start] + base_doc.lines[b_start:b_end] + lines[end:])
    put_back = _read(text)
    if put_back is None:
        return None
    anchor = logged[-1].raw.partition("\n")[0] if len(logged) > len(base_logged) else None
    stamp = _stamp(logged[-1]) if anchor is not None else \
        (loser.properties.get("UPDATED") or "").strip()
    if parse_timestamp(stamp) is None:
        return None
    entry = "".join(line + loser.newline for line in entry_lines(
        stamp, f"{SUMMARY_GAVE_WAY} ({why}): {said}"))
    return _Summary(not ours_wins, put_back, entry, anchor)


def _with_entry(text: str, entry: str, after: str | None, newline: str) -> str:
    """The merged Log section ``text`` with ``entry`` (its lines) after the last entry
    whose first line is ``after`` (else after its last entry, or at its end)."""
    lines = _lines(text)
    units = _units(lines, 0, len(lines), entries=True, drawer=None, newline=newline)
    at = next((i for i in range(len(units) - 1, -1, -1)
               if units[i].kind == "E" and after is not None
               and units[i].raw.partition("\n")[0] == after), None)
    if at is None:
        at = next((i for i in range(len(units) - 1, -1, -1) if units[i].kind == "E"),
                  len(units) - 1)
    pieces = [unit.raw for unit in units]
    if pieces and not pieces[at].endswith("\n"):
        pieces[at] += newline
    pieces.insert(at + 1, entry)
    return "".join(pieces)


def _structural(base: _Version, ours: _Version, theirs: _Version, *,
                labels: tuple[str, str, str], marker_size: int,
                place: str | None = None, known_base: bool = True) -> MergeResult:
    """Merge chunk by chunk: their order three ways (a chunk one side removed and the
    other left as it was goes), then each chunk's units (``known_base``: see
    :func:`_merge_drawer`)."""
    ours_first = _primary_is_ours(ours, theirs)
    drawer = _merge_drawer(base, ours, theirs, ours_first, labels=labels,
                           marker_size=marker_size, known_base=known_base)
    logged = not drawer.entries
    order: list[str] = []
    for part in _token_merge(base.order, ours.order, theirs.order):
        if len(part) == 1:
            order += part[0]
        else:
            first, second = (part[0], part[2]) if ours_first else (part[2], part[0])
            order += _union(first, second)
    # A chunk one side removed while the other changed it is kept, as a conflict.
    placed = set(order)
    for side, other in ((ours, theirs), (theirs, ours)):
        for index, name in enumerate(side.order):
            if name not in placed and name in base.chunks and name not in other.chunks \
                    and side.raw(name) != base.raw(name):
                before = next((side.order[j] for j in range(index - 1, -1, -1)
                               if side.order[j] in order), None)
                order.insert(order.index(before) + 1 if before is not None else 0, name)
                placed.add(name)
    pieces: list[str] = []
    conflict = False
    done: set[str] = set()
    newline = ours.newline
    moved = (_new_ranges(base, ours), _new_ranges(base, theirs))
    rolled = _Rolled(*moved, set()) if moved[0] or moved[1] else None
    earlier_at = None
    summary = _summaries(base, ours, theirs, ours_first) if "section:summary" in order \
        else None
    for name in order:
        if name in done:
            continue
        done.add(name)
        in_a, in_b = name in ours.chunks, name in theirs.chunks
        if in_a and in_b:
            a, b = ours, theirs
            if summary is not None and name == "section:summary":
                a, b = (summary.loser, theirs) if summary.loser_is_ours else \
                    (ours, summary.loser)
            text, clash = _merge_chunk(name, base, a, b, ours_first=ours_first,
                                       labels=labels, marker_size=marker_size, rolled=rolled,
                                       drawer=drawer)
            if name == "section:progress" and not clash:
                text = _one_current(text, ours, theirs, base)
            if name == "section:key-files" and not clash:
                text = _one_each(text, ours, theirs)
            if name == "section:log" and summary is not None:
                text = _with_entry(text, summary.entry, summary.after, newline)
            if name == "section:log":
                for entry, after in drawer.entries:
                    text = _with_entry(text, entry, after, newline)
                logged = True
        elif not in_a and not in_b:
            continue
        elif name not in base.chunks:
            text, clash = (ours if in_a else theirs).raw(name), False
        elif (ours if in_a else theirs).raw(name) == base.raw(name):
            continue  # the other side removed it
        else:  # removed on one side, changed on the other: as git marks it
            text = conflict_block(ours.raw(name) if in_a else "",
                                  theirs.raw(name) if in_b else "", labels, marker_size, newline)
            clash = True
        if name == f"section:{EARLIER[0]}":
            earlier_at = len(pieces)
        pieces.append(text)
        conflict = conflict or clash
    if not logged:
        raise _CannotMerge  # (a value that gave way, and no Log both sides hold to keep it)
    if rolled is not None and rolled.superseded and earlier_at is not None:
        pieces[earlier_at] = _with_superseded(pieces[earlier_at], rolled.superseded, newline)
    if earlier_at is not None:
        pieces[earlier_at] = _relinked(pieces[earlier_at], place, newline)
    merged = "".join(pieces)
    keep_final = ours.final_newline if ours.final_newline == theirs.final_newline else \
        (theirs.final_newline if ours.final_newline == base.final_newline else ours.final_newline)
    if not keep_final and merged.endswith(newline):
        merged = merged[: -len(newline)]
    if not conflict:
        check = _read(merged)
        if check is None or check.properties.get("STARTED") != ours.properties.get("STARTED"):
            raise _CannotMerge
    return MergeResult(merged.encode("utf-8"), conflict)


def merge_session_bytes(base: bytes, ours: bytes, theirs: bytes, *,
                        labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                        marker_size: int = 7, place: str | None = None,
                        known_base: bool = True,
                        written: Callable[[_Version], bytes | None] | None = None,
                        history: Callable[[], list[bytes]] | None = None,
                        own_record: bool = True) -> MergeResult | None:
    """Merge three versions of a session file by its structure (see the module's
    docstring), ``place`` its path in the tree (git's ``%P``: the links to earlier
    files are written relative to its folder, :func:`_relinked`); ``known_base``:
    ``base`` is the sides' real common ancestor (else a version made of what both hold,
    :func:`_common_base`: the drawer's changes are not told apart as a person's or the
    tool's, :func:`_merge_drawer`). A side made from a version older than ``base``
    (:func:`stale_against`: a stale save) is merged against what it and ``base`` both
    hold instead, so that what it never held is not taken for its deletion: every entry,
    tick and line of ``base`` the other side keeps stays; so is a side that carries
    ``base``'s very record but was made from the tool's write of it, which ``base``
    holds more than (``written``: how to find that write, :func:`tool_write`, given by
    the driver git runs; :func:`_made_before`), unless git chose that base itself
    (``history``: the versions of ``HEAD``'s history, newest first, given by the driver
    git runs; :func:`_base_by_git`: a revert, a cherry-pick, a rebase ``--onto``), where
    git's 3-way rule holds for the older side as for any. ``own_record``: a clean result gets
    a write record of its own (:func:`merged_record`), as the driver git runs gives it;
    ``False`` for the tool's own merges (``merge-kept``, the put-back merges:
    :func:`merge_diverged_bytes`), whose result the tool writes as a write of its own
    (docs/decisions.md, "Twenty-fourth round: a merge's own record, the driver's
    alone"). ``None`` when this is
    not three versions of one session file that the structural merge understands,
    and the caller merges them as git merge-file does. Runs ``git merge-file``;
    raises nothing of its own."""
    texts = []
    for data in (base, ours, theirs):
        if b"\x00" in data:
            return None
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    versions = [_read(text) for text in texts]
    if any(v is None for v in versions):
        return None
    o, a, b = versions  # type: ignore[misc]
    if len({v.newline for v in (o, a, b)}) != 1 or \
            len({v.properties.get("STARTED") for v in (o, a, b)}) != 1 or \
            len({v.properties.get("SESSION_ID") for v in (o, a, b)} - {None, ""}) > 1:
        return None  # another session on one side (one started afresh), or other endings
    stale = [side for side, data, is_ours in ((a, ours, True), (b, theirs, False))
             if known_base and (stale_against(side, o) or _made_before(side, o, written))
             and not _base_by_git(data, base, ours=is_ours, history=history)]
    for side in stale:  # (what the base holds that a stale side lacks is no deletion of
        # its: against what both hold, every entry of the base stays)
        o = _read(_common_base(o, side))  # type: ignore[arg-type,assignment]
        known_base = False
        if o is None:
            return None
    try:
        result = _structural(o, a, b, labels=labels, marker_size=marker_size, place=place,
                             known_base=known_base)
    except (_CannotMerge, UnicodeDecodeError, OSError):
        return None
    if own_record and not result.conflicts:
        result = MergeResult(merged_record(result.data, base, ours, theirs), False)
    statuses = [v.properties.get("STATUS") for v in (o, a, b)]
    if statuses[0] not in CLOSED_STATUSES and statuses[1] in CLOSED_STATUSES and \
            statuses[2] in CLOSED_STATUSES:
        return MergeResult(result.data, result.conflicts, closed_twice=True)
    return result


_RECORD_LINE = re.compile(rb"^(:UPDATED_AT:[ \t]+)(\S+(?: \S+ \S+ \S+)?)([ \t]*\r?)$",
                          re.MULTILINE)


def merged_record(merged: bytes, base: bytes, *sides: bytes) -> bytes:
    """``merged`` (a clean merge of the session file's ``sides`` against ``base``) with
    a write record (``UPDATED_AT``) of its own when it carries the record of a side whose
    bytes it differs from, a record other than ``base``'s (a write of the tool since the
    base, that clone's kept copy; ``base``'s record is no write since on either side, and
    a version carrying it is an edit of the base's write, as before): a version git made
    that no write of the tool made is told apart from the tool's write by its record, as
    the stale-save rules judge (a person's deletion in a buffer opened after the pull
    stays deleted: docs/decisions.md, "Twenty-third round: a merge's own write record";
    the driver's alone: "Twenty-fourth round"). The record is the kept one with more digits
    derived from ``merged`` alone (SHA-256): the same inputs give the same bytes on
    every clone; it orders after the kept record and before the tool's next write
    (:meth:`~ai_protocols.liveness.clock.Moment.order`: the seconds since boot get four
    more digits, never all zero; a record without them gets microseconds in its
    instant). ``merged`` as it is otherwise (no record, or the same bytes as each side
    carrying it). Raises nothing."""
    found = _RECORD_LINE.search(merged)
    if found is None:
        return merged
    stamp = found.group(2)
    at_base = _RECORD_LINE.search(base)
    if at_base is not None and at_base.group(2) == stamp:
        return merged
    if not any(_RECORD_LINE.search(side) is not None and
               _RECORD_LINE.search(side).group(2) == stamp and side != merged
               for side in sides):
        return merged
    digits = str(int.from_bytes(hashlib.sha256(merged).digest()[:4], "big") % 9999 + 1)
    digits = digits.rjust(4, "0").encode()
    parts = stamp.split(b" ")
    if len(parts) == 4:
        parts[3] += digits if b"." in parts[3] else b"." + digits
    else:
        instant = parts[0]
        zone = max(instant.rfind(b"+"), instant.rfind(b"-"), instant.rfind(b"Z"))
        if zone <= instant.find(b"T") or b"." in instant:
            return merged
        parts[0] = instant[:zone] + b"." + digits + b"01" + instant[zone:]
    return merged[:found.start(2)] + b" ".join(parts) + merged[found.end(2):]


def _made_before(side: _Version, base: _Version,
                 written: Callable[[_Version], bytes | None] | None) -> bool:
    """Whether ``side``, which carries ``base``'s very write record, was made from an
    older version with that record than ``base``: the tool's write of it (``written``,
    :func:`tool_write`), which ``base`` holds more entries than (a rebase or a merge
    replayed that write over another clone's, keeping its record), when ``side`` lacks
    some of those entries. A stale buffer of that write, saved after the pull: what it
    lacks of them it never held. ``False`` without ``written``, or when ``side`` lacks
    no entry of ``base`` (no git run then)."""
    if written is None or side.moment is None or base.moment is None or \
            side.properties.get("UPDATED_AT") != base.properties.get("UPDATED_AT"):
        return False
    keys = {key for _name, key in _entry_keys_of(base)}
    lacked = keys - {key for _name, key in _entry_keys_of(side)}
    if not lacked:
        return False
    write = written(base)
    if write is None:
        return False
    first = _read(write.decode("utf-8", "replace"))
    if first is None:
        return False
    extra = keys - {key for _name, key in _entry_keys_of(first)}
    return bool(extra & lacked)


def _base_by_git(side: bytes, base: bytes, *, ours: bool,
                 history: Callable[[], list[bytes]] | None) -> bool:
    """Whether a side older than ``base`` (:func:`stale_against`, :func:`_made_before`)
    is one git merges against a base it chose itself, not a stale save: git's 3-way
    rule (a change from the base to one side is taken) then holds for it, its gaps are
    deletions. ``history``: the versions of the file in ``HEAD``'s history, newest first,
    each at every place it has there (:func:`_head_versions`), made only here.
    True when ``side`` is a version of that history older than ``base``'s: at some place
    of it older than ``base``'s newest (``git revert C`` merges with base ``C``'s version
    and theirs ``C^``'s: the undoing is the change; a rebase of a commit made on ``C``
    onto another clone's revert of ``C`` merges with base ``C``'s version and ours the
    revert's, ``C^``'s again, newer there but older where ``C`` was made), or, ``side``
    being ``ours`` (``HEAD``'s), when that history never held
    ``base`` (``git cherry-pick X``, a rebase's pick: base ``X^``'s, a version ``HEAD``
    was not made from, so what ``HEAD`` lacks of it is no gap of a stale save). A stale
    save is made after its base: a buffer opened before, saved after, never a version
    of the history older than the base (docs/decisions.md, "Twenty-fifth round: a side
    older than the base, by git's choice"). False without ``history`` or when git cannot
    say. Raises nothing."""
    if history is None:
        return False
    versions = history()
    if not versions:
        return False
    if base not in versions:
        return ours
    return side in versions[versions.index(base) + 1:]


def stale_against(side: _Version, base: _Version) -> bool:
    """Whether the version ``side`` of a merge was made from a version older than its
    ``base``: its write record (``UPDATED_AT``, which only the tool's writes change,
    never a person's edit) is of a write before the base's
    (:meth:`~ai_protocols.liveness.clock.Moment.order`, the one rule of which write came
    first). A version derived from the base carries the base's record or a later one;
    one that carries an earlier record is an editor's buffer opened before the base was
    written and saved after it (a stale save: a ``git pull --autostash`` stashes it
    and pops it back through this driver; committed, it meets the next pull), or an
    older version put back by hand: what it lacks of the base it never held, and is no
    deletion (docs/decisions.md, "Issue 14, twenty-first round (stale saves, a fresh
    review)"). ``False`` when either record is missing. No I/O."""
    mine, theirs = side.moment, base.moment
    return mine is not None and theirs is not None and mine.order(theirs) < theirs.order(mine)
