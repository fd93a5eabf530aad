"""The session merge's drawer: the session headline's properties merged three ways
(:func:`merge_properties`: a precedence where one applies, ``STATUS`` with the
properties that go with it as one unit, git's branch and commit as one unit, times by
their real instants, counts by both increments), whose change was the tool's
(:func:`tool_changes`), a value that gives way kept whole in the Log (:class:`GaveWay`,
:func:`logs_value`), and the drawer chunk merged (:func:`_merge_drawer`);
docs/merge-driver.md, "Properties".

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai_protocols.lean import datetime, timedelta
from ai_protocols.org.syntax import entry_lines, format_property, parse_timestamp, unescape_inline
from ai_protocols.session.merge_units import (
    _CannotMerge,
    _compare,
    _count,
    _entry_text,
    _later,
    _shows_base,
    _stamp,
    _Unit,
    _Version,
    conflict_block,
)
from ai_protocols.session.sections import CLOSED_STATUSES, SESSION_ID_PROPERTY, TITLE_PROPERTY
from ai_protocols.session.text import preview

#: ``STATUS`` values, the strongest first: when both sides changed the status, the one
#: further along in a session's life wins (a closed session stays closed). A value not
#: listed ranks below them all; two unlisted values: the greater string, so that the
#: result does not depend on which side is ours.
STATUS_PRECEDENCE: tuple[str, ...] = (
    "wrapped-up", "abandoned", "crashed", "ended", "paused", "active",
)
#: Properties holding a time: when both sides changed one, the later time wins (when
#: not in a unit of :func:`merge_properties`, as ``UPDATED``, ``ENDED`` and ``EXITED`` are).
TIME_PROPERTIES = frozenset({"UPDATED", "ENDED", "EXITED", "COMPACTED"})
#: The statuses an exit record sets (its agent ended without a wrap-up): they never
#: resume a session, so a pause on the other side stays (a pause outlives its agent).
EXIT_STATUSES = frozenset({"ended", "crashed"})
#: The properties that go with ``STATUS``, merged with it as one unit: the pause's
#: (``PAUSED``, ``PAUSE_NOTE``), the exit record's (``EXIT``, ``EXITED``, ``EXIT_BY``)
#: and the close's (``ENDED``, ``DESCRIPTION``).
STATUS_UNIT = frozenset({"PAUSED", "PAUSE_NOTE", "EXIT", "EXITED", "EXIT_BY", "ENDED",
                         "DESCRIPTION"})
#: Where the session's work was last recorded, the branch and its commit: merged as one
#: unit (both from the side updated last), so that the record never names a commit of
#: one branch as the head of another.
GIT_UNIT = frozenset({"GIT_BRANCH", "GIT_COMMIT"})
#: Properties holding a count: when both sides changed one, both increments are kept.
COUNT_PROPERTIES = frozenset({"COMPACTIONS"})
#: Every key the tool writes in a session's drawer (a fresh session, ``start``, ``pause``,
#: a resume, an adoption, the agents' hooks, a checkpoint's record with every
#: ``CHECKPOINT_*`` key, the fold of pending entries). A change of one of these on a side
#: whose write record (``UPDATED`` and ``UPDATED_AT``) changed since the base counts as the
#: tool's own write (but see :data:`LOGGED_VALUES` and the title's rule,
#: :func:`tool_changes`); a key not listed (``TITLE``, a person's own key) is always a
#: person's change (docs/merge-driver.md, "The properties").
TOOL_PROPERTIES = frozenset({
    TITLE_PROPERTY, "AGENT_ID", "HOST", "OWNER", "STARTED", SESSION_ID_PROPERTY, "UPDATED",
    "UPDATED_AT", "STATUS", "OBJECTIVE", "AGENT_SESSION", "AGENT_SOURCE", "TRANSCRIPT",
    "CONTEXT_SHOWN", "PENDING_FOLDED", "ADOPTED_FROM", "COMPACTED", "CHECKPOINT",
    *GIT_UNIT, *STATUS_UNIT, *COUNT_PROPERTIES})
#: The keys whose value the tool writes into the Log too, in a line of its own, when it
#: sets it (:func:`logs_value`): a change of one is the tool's only when the side holds
#: that line, new since the base, with that value (a person's edit, in Emacs, writes no
#: line, whatever else the tool wrote on that clone).
LOGGED_VALUES = frozenset({"OBJECTIVE", "PAUSE_NOTE", "DESCRIPTION", "EXIT"})
#: The keys the tool changes only when a process takes the session over (a resume, an
#: adoption, a start after a dead owner), each time with a Log line that begins with one
#: of :data:`TAKE_OVER_LINES`: a change of one is the tool's only when the side holds such
#: a line new since the base (a person's edit of the owner, on a clone whose agent only
#: logged, writes none).
TAKEN_OVER = frozenset({"OWNER", "HOST"})
#: The Log lines of a take-over (``pause.resume_paused``, ``recovery.take_over``: ``resumed:
#: ...``; ``recovery.adopt``: ``adopted: ...``).
TAKE_OVER_LINES = ("resumed: ", "adopted: ")
#: The keys whose value is a text someone gave (the objective, the title, the pause's
#: note, the closing's note, an exit's record): the tool's value that gives way in a merge
#: is written whole into the Log unless its own Log line holds it whole already.
TEXT_PROPERTIES = LOGGED_VALUES | {TITLE_PROPERTY}


@dataclass(frozen=True)
class GaveWay:
    """A value of the session's drawer that gave way in a merge: ``key``, the ``value``
    the side whose change did not stand held (as written in the drawer, escapes and
    all), whether that side is ``ours``, whether its change was the tool's own write
    (``by_tool``, :func:`tool_changes`) and ``why`` the other side's stood (the rule's
    words, as the Log says them: "the one a person edited", "the later one"...)."""

    key: str
    value: str
    ours: bool
    by_tool: bool
    why: str


@dataclass(frozen=True)
class PropertyMerge:
    """The session headline's properties merged (:func:`merge_properties`): ``values``,
    each key's merged value (``None``: the key goes; a key of a unit in conflict: ours);
    ``conflicts``, the units (their keys, sorted) both sides changed by hand to different
    values, left to a person between conflict markers; ``gave_way``, every value of a
    side that changed a key and did not stand, in the order of the keys."""

    values: dict[str, str | None]
    conflicts: tuple[tuple[str, ...], ...] = ()
    gave_way: tuple[GaveWay, ...] = ()


def _units_of(keys: set[str]) -> list[tuple[str, list[str]]]:
    """The keys in ``keys`` in their units, each unit named, merged as one (never
    mixed): the last write's, the status's, where the work was recorded, the
    checkpoint's record; every other key is a unit of its own."""
    units = [("write", sorted(k for k in keys if k in ("UPDATED", "UPDATED_AT"))),
             ("status", sorted(k for k in keys if k == "STATUS" or k in STATUS_UNIT)),
             ("git", sorted(k for k in keys if k in GIT_UNIT)),
             ("checkpoint", sorted(k for k in keys if _in_checkpoint_group(k)))]
    grouped = {k for _name, group in units for k in group}
    return [unit for unit in units if unit[1]] + \
        [(key, [key]) for key in sorted(keys - grouped)]


def merge_properties(base: dict[str, str], ours: dict[str, str], theirs: dict[str, str],
                     *, ours_first: bool, checkpoint_ours: bool | None = None,
                     offsets: tuple[timedelta | None, timedelta | None] = (None, None),
                     by_tool: tuple[frozenset[str], frozenset[str]] | None = None,
                     set_at: tuple[dict[str, datetime], dict[str, datetime]] | None = None,
                     ) -> PropertyMerge:
    """The session headline's properties, merged three ways (docs/merge-driver.md, "The
    properties"). A key only one side changed takes that side's value (a removal
    included). Some keys are one unit, never mixed (:func:`_units_of`): when both sides
    changed a unit differently, all of it comes from one side, or it is a conflict. For
    a unit (or a key) both sides changed differently, a precedence first:

    - the last write, ``UPDATED`` and ``UPDATED_AT``: the side updated last
      (``ours_first``: ours wrote last, by the real instants of ``UPDATED_AT``; see
      :func:`_primary_is_ours`);
    - the status, ``STATUS`` with :data:`STATUS_UNIT`: a closed session stays closed (a
      side with a status in :data:`CLOSED_STATUSES`, the stronger by
      :data:`STATUS_PRECEDENCE`); a pause against an exit record
      (:data:`EXIT_STATUSES`) stays paused;
    - the checkpoint's record (``CHECKPOINT`` and every ``CHECKPOINT_*`` key): ours when
      ``checkpoint_ours`` (ours recorded the later checkpoint; ``None``: no precedence);
    - a time (:data:`TIME_PROPERTIES`: ``COMPACTED``): the later one (placed in real time
      by ``offsets``, ours and theirs: the UTC offsets of their ``UPDATED_AT``);
      ``COMPACTIONS``: the base plus both increments;
    - the status again: one side changed ``STATUS`` and the other, by a person's hand,
      only the unit's other keys (a pause's note retyped in Emacs while the agent
      resumed on the other clone): the change of status stands, the note gives way.

    Where none applies (the status between two open sessions, where the work was
    recorded, ``OBJECTIVE``, the title, any other key) the one rule: ``by_tool`` (ours,
    theirs) names the keys whose change on that side was the tool's own write
    (:func:`tool_changes`; ``None``: every change counts as the tool's); a unit is the
    tool's when each key of it that side changed is. Both sides' the tool's: the side
    whose own Log line of the change is later, where both have one (``set_at``, ours
    and theirs: the time of the Log line the tool wrote setting each key of
    :data:`LOGGED_VALUES`, :func:`tool_changes`; placed in real time by ``offsets``;
    two objectives: the later ``objective:`` line), else the side updated last's; one
    side's by a person's hand: the person's; both by hand: a conflict
    (:attr:`PropertyMerge.conflicts`), never one side's value taken in silence. Every
    value of the side whose change did not stand, where it differs from
    the result, is in :attr:`PropertyMerge.gave_way` (the caller keeps the ones a person
    typed, and the tool's texts, in the Log). The same result whichever side is ours
    (``ours_first`` and ``checkpoint_ours`` given as the sides are)."""
    merged: dict[str, str | None] = {}
    conflicts: list[tuple[str, ...]] = []
    gave_way: list[GaveWay] = []
    rank = {status: -n for n, status in enumerate(STATUS_PRECEDENCE)}
    low = -len(STATUS_PRECEDENCE)

    def status_rank(side: dict[str, str]) -> tuple[int, str]:
        status = side.get("STATUS") or ""
        return (rank.get(status, low), status) if status in CLOSED_STATUSES else (low - 1, "")

    def precedence(name: str, a: dict[str, str], b: dict[str, str],
                   tool: list[bool]) -> tuple[bool, str] | None:
        """(whether ours stands, the rule's words), or ``None``: no precedence."""
        if name == "write":
            return ours_first, "the later one"
        if name == "status":
            closed_a, closed_b = status_rank(a), status_rank(b)
            statuses = (a.get("STATUS"), b.get("STATUS"))
            if closed_a != closed_b:
                return closed_a > closed_b, "a closed session stays closed"
            if statuses.count("paused") == 1 and {*statuses} - {"paused"} <= EXIT_STATUSES:
                return statuses[0] == "paused", "a pause outlives its agent's exit"
            moved = [side.get("STATUS") != base.get("STATUS") for side in (a, b)]
            if moved[0] != moved[1] and not tool[moved.index(False)]:
                return moved[0], "the one that changed the status"
            return None
        if name == "checkpoint":
            return None if checkpoint_ours is None else (checkpoint_ours, "the later checkpoint")
        if name in TIME_PROPERTIES:
            later = _later(a.get(name), b.get(name), offsets)
            return later == a.get(name), "the later time"
        return None

    tools = by_tool
    for name, group in _units_of({*base, *ours, *theirs}):
        go, ga, gb = ([side.get(k) for k in group] for side in (base, ours, theirs))
        if ga == gb or gb == go:
            merged.update((k, ours.get(k)) for k in group)
            continue
        if ga == go:
            merged.update((k, theirs.get(k)) for k in group)
            continue
        if name in COUNT_PROPERTIES:
            merged[name] = str(_count(ours.get(name)) + _count(theirs.get(name))
                               - _count(base.get(name)))
            continue
        tool = [all(k in side_tools for k in group if side.get(k) != base.get(k))
                if tools is not None else True
                for side, side_tools in zip((ours, theirs), tools or ((), ()), strict=True)]
        decided = precedence(name, ours, theirs, tool)
        if decided is None:
            if tool[0] and tool[1]:
                times = [max((at[k] for k in group if k in at and side.get(k) != base.get(k)),
                             default=None)
                         for side, at in zip((ours, theirs), set_at or ({}, {}), strict=True)]
                order = _compare(times[0], offsets[0], times[1], offsets[1])
                decided = (order > 0 if order else ours_first), "the later one"
            elif tool[0] != tool[1]:
                decided = tool[1], "the one a person edited"
            else:
                conflicts.append(tuple(group))
                merged.update((k, ours.get(k)) for k in group)
                continue
        ours_stands, why = decided
        winner, loser = (ours, theirs) if ours_stands else (theirs, ours)
        merged.update((k, winner.get(k)) for k in group)
        for key in group:
            value = loser.get(key)
            if value is None or value == base.get(key) or value == winner.get(key):
                continue
            gave_way.append(GaveWay(key, value, not ours_stands,
                                    tools is None or key in tools[0 if not ours_stands else 1],
                                    why))
    return PropertyMerge(merged, tuple(conflicts), tuple(gave_way))


def logs_value(key: str, line: str, value: str) -> bool:
    """Whether the Log line ``line`` (its text, as the readers give it) is the one the
    tool writes when it sets the session's ``key`` (one of :data:`LOGGED_VALUES`) to
    ``value`` (as written in the drawer): ``start --objective`` (``objective: X``, with
    ``(it was: Y)`` after a former one), ``pause --note`` (``pause: NOTE``), ``wrap-up``
    and ``abandon`` (``wrap-up: NOTE``, ``abandon: REASON``), an exit record (``exit:
    ended without wrap-up (TEXT)``), each with the value's
    :func:`~ai_protocols.session.text.preview`."""
    said = preview(unescape_inline(value))
    if key == "OBJECTIVE":
        return line == f"objective: {said}" or line.startswith(f"objective: {said} (it was: ")
    if key == "PAUSE_NOTE":
        return line == f"pause: {said}"
    if key == "DESCRIPTION":
        return line in (f"wrap-up: {said}", f"abandon: {said}")
    return key == "EXIT" and line == f"exit: ended without wrap-up ({said})"


def _new_log(base: _Version, side: _Version) -> list[_Unit]:
    """The Log entries ``side`` holds that ``base`` does not (by their lines; one the
    base holds fewer times than the side: the later ones), in file order."""
    left: dict[str, int] = {}
    for unit in base.chunks.get("section:log", []):
        if unit.kind == "E":
            left[unit.raw] = left.get(unit.raw, 0) + 1
    new = []
    for unit in side.chunks.get("section:log", []):
        if unit.kind == "E":
            if left.get(unit.raw, 0) > 0:
                left[unit.raw] -= 1
            else:
                new.append(unit)
    return new


def _logged(key: str, value: str, new: list[_Unit]) -> _Unit | None:
    """The last of the Log entries ``new`` that the tool wrote setting ``key`` to
    ``value`` (:func:`logs_value`), or ``None``."""
    if key not in LOGGED_VALUES:
        return None
    return next((unit for unit in reversed(new)
                 if logs_value(key, _entry_text(unit.raw), value)), None)


def tool_changes(base: _Version, side: _Version) -> tuple[frozenset[str], dict[str, datetime]]:
    """The keys of the session's drawer whose change on ``side`` (from ``base``) was the
    tool's own write, not a person's edit (docs/merge-driver.md, "The properties"), and
    when the tool set each key of :data:`LOGGED_VALUES` among them: the time (as written)
    of its Log line (a line that bears no time: not in it). One walk of the side's new
    Log entries (:func:`_new_log`), when a logged key or ``OWNER``/``HOST`` changed. A
    key's change is the tool's:

    - a key of :data:`LOGGED_VALUES` set to a value: when ``side`` holds, new since the
      base, the Log line the tool writes with that value (:func:`logs_value`);
    - ``OWNER`` and ``HOST`` (:data:`TAKEN_OVER`): when the side wrote since the base and
      holds, new since the base, the Log line of a take-over (:data:`TAKE_OVER_LINES`),
      which the tool writes whenever it changes them;
    - the title (``SESSION_TITLE``): when the base had none (the tool titles an untitled
      session; it never changes a title) and the side wrote since the base;
    - any other key of :data:`TOOL_PROPERTIES` (and a removal of a logged one): when the
      side wrote since the base (its ``UPDATED`` or ``UPDATED_AT`` changed);
    - any other key: never.

    No I/O."""
    o, s = base.properties, side.properties
    wrote = (o.get("UPDATED"), o.get("UPDATED_AT")) != (s.get("UPDATED"), s.get("UPDATED_AT"))
    new: list[_Unit] | None = None
    keys = set()
    times: dict[str, datetime] = {}
    for key in {*o, *s}:
        value = s.get(key)
        if value == o.get(key):
            continue
        if key in LOGGED_VALUES and value:
            new = _new_log(base, side) if new is None else new
            own = _logged(key, value, new)
            tool = own is not None
            if own is not None and own.time is not None:
                times[key] = own.time
        elif key in TAKEN_OVER:
            new = _new_log(base, side) if new is None else new
            tool = wrote and any(_entry_text(unit.raw).startswith(TAKE_OVER_LINES)
                                 for unit in new)
        elif key == TITLE_PROPERTY:
            tool = wrote and not o.get(key)
        else:
            tool = wrote and (key in TOOL_PROPERTIES or _in_checkpoint_group(key))
        if tool:
            keys.add(key)
    return frozenset(keys), times


def _in_checkpoint_group(key: str) -> bool:
    return key == "CHECKPOINT" or key.startswith("CHECKPOINT_")


def _checkpoint_time(version: _Version) -> datetime | None:
    """When ``version``'s recorded checkpoint was taken: the time of its Log line
    (``checkpoint: N HASH ...``, written with it) naming ``CHECKPOINT_COMMIT``'s short
    hash; ``None`` when there is none."""
    commit = version.properties.get("CHECKPOINT_COMMIT", "")
    if len(commit) < 7:
        return None
    found = [unit.time for unit in version.chunks.get("section:log", [])
             if unit.kind == "E" and re.search(rf"checkpoint: [0-9]+ {commit[:7]}", unit.raw)]
    return max((t for t in found if t is not None), default=None)


def _checkpoint_is_ours(ours: _Version, theirs: _Version) -> bool | None:
    """Whether ours recorded the later checkpoint (:func:`_checkpoint_time`, placed in
    real time by each side's UTC offset, :func:`_compare`); ``None`` when a side's time
    is unknown or both are the same minute (then the side updated last decides)."""
    order = _compare(_checkpoint_time(ours), ours.offset, _checkpoint_time(theirs),
                     theirs.offset)
    return None if not order else order > 0


@dataclass(frozen=True)
class _Drawer:
    """The merged property drawer (:func:`_merge_drawer`): its ``text``, whether it holds
    conflict markers (``conflict``), and the Log entries that keep the values that gave
    way (``entries``: each entry's text and the first line of the Log entry it goes
    after, ``None``: after the Log's last entry)."""

    text: str
    conflict: bool
    entries: tuple[tuple[str, str | None], ...]


def _merge_drawer(base: _Version, ours: _Version, theirs: _Version, ours_first: bool, *,
                  labels: tuple[str, str, str], marker_size: int,
                  known_base: bool = True) -> _Drawer:
    """The merged property drawer (:func:`merge_properties`, each side's changes told
    apart by :func:`tool_changes`): keys in the order of the side updated last, then the
    other side's new keys; a line that keeps its value keeps its bytes. A unit both
    sides changed by hand stands between conflict markers: each side's lines of the
    keys of it the two hold differently, at the first one's place. A value that gave
    way is kept in a Log entry, whole, when a person typed it, or when it is one of the
    tool's texts (:data:`TEXT_PROPERTIES`) that its own Log line does not hold whole:
    ``- [stamp] merge: this KEY, from one clone, gave way to the other clone's (WHY):
    VALUE``, after that side's own line (the tool's) with its stamp, else at the Log's
    end stamped with that side's ``UPDATED``.
    ``known_base``: ``base`` is the sides' real common ancestor; else (a base made of
    what both hold, :func:`_common_base`) every change counts as the tool's and nothing
    is added to the Log (the rule before the twenty-first round). Raises
    ``_CannotMerge`` when a value to keep has no time to be stamped with."""
    changes = (tool_changes(base, ours), tool_changes(base, theirs)) if known_base else None
    merged = merge_properties(
        base.properties, ours.properties, theirs.properties, ours_first=ours_first,
        checkpoint_ours=_checkpoint_is_ours(ours, theirs),
        offsets=(ours.offset, theirs.offset),
        by_tool=None if changes is None else (changes[0][0], changes[1][0]),
        set_at=None if changes is None else (changes[0][1], changes[1][1]))
    values = merged.values
    first, second = (ours, theirs) if ours_first else (theirs, ours)
    frame = next(u for u in first.chunks["session"] if u.kind == "D").raw.splitlines(True)
    lines = [frame[0]]
    order = [key for key, _ in first.drawer] + \
        [key for key, _ in second.drawer if key not in dict(first.drawer)] + \
        [key for key, _ in base.drawer if key not in dict(first.drawer)
         and key not in dict(second.drawer)]
    # A unit in conflict: its keys the two sides hold differently between the markers
    # (each side's lines of them, at the first one's place), the others as both hold them.
    clashing = {key: unit for unit in (
        tuple(k for k in unit if ours.properties.get(k) != theirs.properties.get(k))
        for unit in merged.conflicts) for key in unit}
    for key in order:
        unit = clashing.get(key)
        if unit is not None:
            if key == next(k for k in order if k in unit):  # (the unit's first key)
                a, o, b = ("".join(raw for k, raw in side.drawer if k in unit)
                           for side in (ours, base, theirs))
                lines.append(conflict_block(a, b, labels, marker_size, ours.newline,
                                            base=o if _shows_base() else None))
            continue
        value = values.get(key)
        if value is None:
            continue
        for side in (first, second, base):
            raw = dict(side.drawer).get(key)
            if raw is not None and side.properties.get(key) == value:
                lines.append(raw)
                break
        else:
            lines.append(format_property(key, value) + ours.newline)
    lines.append(frame[-1])
    entries: list[tuple[str, str | None]] = []
    for gave in sorted(merged.gave_way, key=lambda g: (g.key, g.value)) if known_base else ():
        side = ours if gave.ours else theirs
        own = _logged(gave.key, gave.value, _new_log(base, side)) if gave.by_tool else None
        text = unescape_inline(gave.value)
        if gave.by_tool and (gave.key not in TEXT_PROPERTIES or
                             (own is not None and preview(text) == text)):
            continue  # (a record of the tool's, or its text whole in its own Log line)
        stamp = _stamp(own) if own is not None else \
            (side.properties.get("UPDATED") or "").strip()
        if parse_timestamp(stamp or "") is None:
            raise _CannotMerge
        entry = "".join(line + side.newline for line in entry_lines(
            stamp or "", f"merge: this {gave.key}, from one clone, gave way to the other "
            f"clone's ({gave.why}): {text}"))
        entries.append((entry, own.raw.partition("\n")[0] if own is not None else None))
    return _Drawer("".join(lines), bool(merged.conflicts), tuple(entries))


def _primary_is_ours(ours: _Version, theirs: _Version) -> bool:
    """Whether ours was updated last: by the real instants of both sides' ``UPDATED_AT``
    (then the seconds since boot, when both were measured on one host and boot), else
    by ``UPDATED`` as written; at the same time, the greater text: the same answer
    whichever side git calls ours."""
    ma, mb = ours.moment, theirs.moment
    if ma is not None and mb is not None:
        return (ma.order(mb), ours.text) >= (mb.order(ma), theirs.text)
    ta = parse_timestamp(ours.properties.get("UPDATED", "")) or datetime.min
    tb = parse_timestamp(theirs.properties.get("UPDATED", "")) or datetime.min
    return (ta, ours.text) >= (tb, theirs.text)
