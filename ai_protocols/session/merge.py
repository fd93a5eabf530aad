"""The git merge driver for session files: ``ai-protocols merge-driver %O %A %B %P``.

Git runs a merge driver named in ``.gitattributes`` (``merge=ai-protocols``) with
three files: the common ancestor (``%O``), our version (``%A``, where the result
goes) and theirs (``%B``); the driver exits 0 for a clean merge and non-zero
when conflicts remain (gitattributes(5), "Defining a custom merge driver").

A session file is merged by its Org structure, not line by line, so that two
clones that logged to the same session meet without a conflict:

- each version is cut into chunks, one per headline with its body, known across
  the versions by their role (the session headline, each section by its
  CUSTOM_ID, any other headline by its line); their order is merged three ways;
- each chunk is cut into units: the session headline's property drawer, one
  unit per stamped list item (``- [ ] [2026-11-21 Sat 10:02] ...`` with its
  indented lines: a block, a rationale, a person's continuation) in the
  sections of the session, and every other line, a person's free text;
- the three sequences of units are merged by ``git merge-file`` itself, each
  unit standing as one line, so that what git would merge cleanly merges
  cleanly, in the same places;
- an entry section's items stand in that merge by their identity (their first
  line, or the base's entry whose first line a side edited, when that is sure:
  :class:`_Entries`), so an item moved on one side and ticked on the other is
  one item; each item is merged once (a tick on either side wins, the lines
  under it merged; removed on one side and changed on the other: a conflict on
  that item alone);
- where both sides changed the same place, the items there are merged as a
  set, the ones both hold in their order and each side's new ones
  by real time between them (Org's zone-less stamps placed by the UTC offset of
  the side's ``UPDATED_AT``), and the free
  text there goes through ``git merge-file`` on its own lines, leaving ordinary
  conflict markers only where both sides changed the same lines;
- the drawer's properties follow :func:`merge_properties` (docs/merge-driver.md): a
  value both sides changed differently by a precedence where one applies, else by who
  changed it (:func:`tool_changes`): both the tool's writes, the side updated last's
  (the later real instant of ``UPDATED_AT``); one a person's, the person's; both a
  person's, a conflict; a value that gives way is kept whole in the Log.

Anything else (a file that is not UTF-8 Org text with a session headline, three
versions that are not the same session, line endings that differ) is merged as
``git merge-file`` merges it, byte for byte: a side is never lost.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ai_protocols.lean import datetime, timedelta
from ai_protocols.liveness.clock import Moment
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import (
    entry_lines,
    format_property,
    parse_timestamp,
    strip_ending,
    unescape_inline,
)
from ai_protocols.paths import AI_DIR, DRIVER_NAME
from ai_protocols.session.layout import (
    CLOSED_STATUSES,
    EARLIER,
    SECTIONS,
    SESSION_ID_PROPERTY,
    SUMMARY_LOGGED,
    TITLE_PROPERTY,
    earlier_link_line,
    earlier_section,
    find_section,
    is_earlier_name,
    parse_earlier_link,
    read_entries,
    session_headline,
    summary_span,
    with_earlier_path,
)
from ai_protocols.session.model import lines_added, reworded_among
from ai_protocols.session.records import merge_record_of
from ai_protocols.session.rollover import HISTORY, SUPERSEDED, blank_box, entry_digest
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

__all__ = [
    "DRIVER_NAME",
    "STATUS_PRECEDENCE",
    "GaveWay",
    "MergeResult",
    "PropertyMerge",
    "changes_lacking",
    "conflict_block",
    "copy_drops",
    "entries_lacking",
    "git_merge_file",
    "merge_diverged_bytes",
    "merge_properties",
    "merge_record_of",
    "merge_session_bytes",
    "not_deleted_from",
    "removed_blocks",
    "removed_held",
    "run_merge_driver",
    "without_held",
]

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
#: The sections whose stamped items are merged as entries (not the summary's text).
ENTRY_SECTIONS: tuple[str, ...] = tuple(key for key, _title in SECTIONS if key != "summary")

# A stamped list item at column 0, as the tool writes it and as a person may:
# any bullet Org takes, an optional checkbox, then an inactive timestamp.
_ITEM = re.compile(
    r"(?:[-+]|[0-9]+[.)]) (?:\[([ xX-])\] )?(\[\d{4}-\d\d-\d\d [A-Za-z]{3} \d\d:\d\d\])")
# A property line as ai_protocols.org.file reads one (Org 9.5's org-property-drawer-re).
_PROPERTY = re.compile(r"[ \t]*:(\S+?):(?: (.*?))?[ \t]*$")
_BLOCK_BEGIN = re.compile(r"[ \t]*#\+begin_(\S+)", re.IGNORECASE)
_CHECK_RANK = {"X": 3, "-": 2, "x": 1, " ": 0}
_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")


@dataclass(frozen=True)
class MergeResult:
    """A merged session file: its bytes, and whether conflict markers remain in it;
    ``closed_twice``: both sides closed the session the base held open (a wrap-up or an
    abandon on each clone: git pairs the live file with two archives)."""

    data: bytes
    conflicts: bool
    closed_twice: bool = False


@dataclass
class _Unit:
    """One unit of a session file: ``kind`` ``"T"`` (a line of free text), ``"E"`` (a
    stamped item with its indented lines) or ``"D"`` (the session's property drawer)."""

    kind: str
    raw: str  # its lines, with their endings
    key: str = ""  # an entry's first line with its checkbox blanked: ticking or a note
    # under it keeps the key

    @property
    def time(self) -> datetime | None:
        """An entry's time: its item's timestamp (``None`` for an impossible date)."""
        found = _ITEM.match(self.raw)
        return parse_timestamp(found.group(2)) if found else None

    @property
    def token(self) -> str:
        if self.kind == "D":
            return "D"
        return self.kind + hashlib.sha1(self.raw.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def check(self) -> int:
        found = _ITEM.match(self.raw)
        return _CHECK_RANK.get(found.group(1), 0) if found and found.group(1) else 0


@dataclass
class _Version:
    """One side of the merge, read: its chunks and its drawer's properties.

    A chunk is the text before the first headline (``"preamble"``) or a headline with
    its body up to the next headline, known across the sides by its role: the
    session headline (``"session"``), a section of the session (``"section:log"``), or
    any other headline by its line and how many the same came before it."""

    text: str
    order: list[str]  # the chunks' names, in file order
    chunks: dict[str, list[_Unit]]
    drawer: list[tuple[str, str]]  # (KEY, raw line) in file order
    newline: str
    final_newline: bool

    @property
    def properties(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, raw in self.drawer:
            match = _PROPERTY.match(strip_ending(raw, self.newline))
            values[key] = ((match.group(2) if match else "") or "").strip()
        return values

    def raw(self, name: str) -> str:
        return "".join(unit.raw for unit in self.chunks[name])

    @cached_property
    def moment(self) -> Moment | None:
        """The moment of this version's last write: its ``UPDATED_AT`` record, while it
        agrees with ``UPDATED`` (liveness/clock.py); ``None`` without one."""
        properties = self.properties
        moment = Moment.parse(properties.get("UPDATED_AT"))
        if moment is None or not moment.agrees_with(
                parse_timestamp(properties.get("UPDATED", ""))):
            return None
        return moment

    @cached_property
    def offset(self) -> timedelta | None:
        """The UTC offset of this version's writer (its ``UPDATED_AT``'s): what places
        its zone-less Org timestamps in real time; ``None`` when unknown."""
        moment = self.moment
        return moment.wall.utcoffset() if moment is not None else None


def _units(lines: list[str], start: int, end: int, *, entries: bool,
           drawer: tuple[int, int] | None, newline: str) -> list[_Unit]:
    """The units of ``lines[start:end]``: stamped items (where ``entries``), the drawer
    (at ``drawer``), single lines of free text for the rest."""
    units: list[_Unit] = []
    index = start
    while index < end:
        if drawer is not None and index == drawer[0]:
            units.append(_Unit("D", "".join(lines[drawer[0]:drawer[1] + 1])))
            index = drawer[1] + 1
            continue
        line = lines[index]
        if entries and _ITEM.match(line):
            last = probe = index + 1
            while probe < end:  # the item's indented lines, blank lines between them
                if not lines[probe].strip():
                    probe += 1
                elif lines[probe][0] in " \t":
                    probe += 1
                    last = probe
                else:
                    break
            raw = "".join(lines[index:last])
            key = re.sub(r"^((?:[-+]|[0-9]+[.)]) \[)[ xX-]\]", r"\1 ]", line)
            units.append(_Unit("E", raw, key))
            index = last
            continue
        opened = _BLOCK_BEGIN.match(line) if entries else None
        if opened:  # nothing in a block is an item: its lines stay free text
            closing = re.compile(rf"[ \t]*#\+end_{re.escape(opened.group(1))}[ \t]*$",
                                 re.IGNORECASE)
            close = next((i for i in range(index + 1, end)
                          if closing.match(strip_ending(lines[i], newline))), None)
            if close is not None:
                units.extend(_Unit("T", raw) for raw in lines[index:close + 1])
                index = close + 1
                continue
        units.append(_Unit("T", line))
        index += 1
    return units


def _read(text: str) -> _Version | None:
    """Cut ``text`` into chunks of units; ``None`` when it is no session file this
    driver merges."""
    doc = OrgFile(text)
    session = session_headline(doc)
    if session is None or session.drawer is None:
        return None
    parts = text.split("\n")  # as OrgFile splits: only a newline ends a line
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    final_newline = not lines or lines[-1].endswith("\n")
    if not final_newline:
        lines[-1] += doc.newline
    start, end = session.drawer
    drawer: list[tuple[str, str]] = []
    for raw in lines[start + 1:end]:
        match = _PROPERTY.match(strip_ending(raw, doc.newline))
        if match is None:
            return None
        key = match.group(1).upper()
        if any(key == seen for seen, _ in drawer):
            return None  # a key twice: which line is the value is not ours to decide
        drawer.append((key, raw))
    roles = {session.line: "session"}
    for key, _title in SECTIONS:
        section = find_section(doc, session, key)
        if section is not None:
            roles.setdefault(section.line, f"section:{key}")
    earlier = earlier_section(doc, session)
    if earlier is not None:
        roles.setdefault(earlier.line, f"section:{EARLIER[0]}")
    first = doc.headlines[0].line if doc.headlines else len(lines)
    order = ["preamble"]
    chunks = {"preamble": _units(lines, 0, first, entries=False, drawer=None,
                                 newline=doc.newline)}
    seen: dict[str, int] = {}
    for headline in doc.headlines:
        name = roles.get(headline.line)
        if name is None:
            line = strip_ending(lines[headline.line], doc.newline).rstrip()
            seen[line] = seen.get(line, 0) + 1
            name = f"heading:{line}#{seen[line]}"
        order.append(name)
        chunks[name] = _units(
            lines, headline.line, headline.body_end,
            entries=name.startswith("section:") and name[len("section:"):] in ENTRY_SECTIONS,
            drawer=session.drawer if name == "session" else None, newline=doc.newline)
    return _Version(text, order, chunks, drawer, doc.newline, final_newline)


# -- git merge-file ------------------------------------------------------------------------


def git_merge_file(ours: bytes, base: bytes, theirs: bytes, *, labels: tuple[str, str, str],
                   marker_size: int = 7, style: str | None = None) -> tuple[bytes, int]:
    """``git merge-file -p`` on three texts: the merged bytes, and git's exit status
    (0 clean, the number of conflicts up to 127, or -1: it could not merge, such as
    binary files).
    ``labels`` name ours, the base and theirs in the conflict markers; ``style`` is
    ``"diff3"`` or ``None`` for the conflict style git's configuration sets."""
    with tempfile.TemporaryDirectory(prefix="ai-protocols-merge-") as folder:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder, name)
            path.write_bytes(data)
            paths.append(str(path))
        argv = ["git", "merge-file", "-p", f"--marker-size={marker_size}"]
        if style:
            argv.append(f"--{style}")
        for label in labels:
            argv += ["-L", label]
        done = subprocess.run([*argv, *paths], capture_output=True, check=False)
    # git merge-file exits with the number of conflicts, at most 127, or 255 on error.
    return done.stdout, (done.returncode if 0 <= done.returncode <= 127 else -1)


# -- merging ---------------------------------------------------------------------------------


def _compare(a: datetime | None, offset_a: timedelta | None,
             b: datetime | None, offset_b: timedelta | None) -> int | None:
    """Compare two zone-less Org times (``a`` written where the UTC offset was
    ``offset_a``, ``b`` where it was ``offset_b``): -1, 0 or 1 as ``a`` is before, at or
    after ``b``. Both offsets known: the real instants are compared (a time in Tokyo
    and one in Los Angeles alike); else the local times as written. ``None`` when a
    time is unknown."""
    if a is None or b is None:
        return None
    if offset_a is not None and offset_b is not None:
        a, b = a - offset_a, b - offset_b
    return (a > b) - (a < b)


def _later(a: str | None, b: str | None, offsets: tuple[timedelta | None, timedelta | None]
           = (None, None)) -> str | None:
    """The later of two Org timestamps, ``a`` ours and ``b`` theirs (placed in real time
    by their sides' ``offsets``, see :func:`_compare`; one that reads as none counts as
    the earliest); at the same time: the greater text."""
    if (a, b) == (None, None):
        return None
    order = _compare(parse_timestamp(a or ""), offsets[0], parse_timestamp(b or ""), offsets[1])
    if order is None:
        order = (parse_timestamp(a or "") is not None) - (parse_timestamp(b or "") is not None)
    if order == 0:
        return max(a or "", b or "") or None
    return a if order > 0 else b


def _count(value: str | None) -> int:
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else 0


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


def _entry_keys(units: list[_Unit]) -> list[tuple[str, int]]:
    """Each entry's key with its occurrence: the same item twice stays twice."""
    seen: dict[str, int] = {}
    keys = []
    for unit in units:
        seen[unit.key] = seen.get(unit.key, -1) + 1
        keys.append((unit.key, seen[unit.key]))
    return keys


def _box(unit: _Unit) -> str | None:
    found = _ITEM.match(unit.raw)
    return found.group(1) if found else None


def _with_box(unit: _Unit, box: str | None) -> str:
    """``unit``'s text with its checkbox set to ``box`` (kept when it has none)."""
    found = _ITEM.match(unit.raw)
    if found is None or found.group(1) is None or box is None:
        return unit.raw
    return unit.raw[:found.start(1)] + box + unit.raw[found.end(1):]


def _merge_notes(base: str, ours: str, theirs: str, *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """The lines under one item (whole lines), merged as ``git merge-file`` merges them,
    except that where both sides only added lines at one place (a note each, as people
    type them in Emacs), both sides' lines are kept, the side updated last's first;
    where both changed the same lines, conflict markers (git-merge-file(1)). Returns the
    text and whether markers remain."""
    def data(text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass")

    merged, status = git_merge_file(data(ours), data(base), data(theirs), labels=labels,
                                    marker_size=marker_size, style="diff3")
    if status < 0:
        raise _CannotMerge
    pieces: list[str] = []
    conflict = False
    text = merged.decode("utf-8", "surrogatepass")
    for part in _parse_merge(_lines(text), marker_size):
        if len(part) == 1:
            pieces.extend(part[0])
            continue
        a, o, b = ("".join(side) for side in part[:3])
        if not o:  # both only added lines here: both kept, the side updated last's first
            pieces.append(a + b if ours_first else b + a)
        else:
            newline = "\r\n" if part[3][0].endswith("\r\n") else "\n"
            pieces.append(conflict_block(a, b, labels, marker_size, newline,
                                         base=o if _shows_base() else None))
            conflict = True
    return "".join(pieces), conflict


def _merge_entry(base: _Unit | None, a: _Unit, b: _Unit, *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[list[_Unit], bool]:
    """One entry (one first line) both sides hold, merged: the changed side's, or, when
    both changed it, the checkbox further along (one side's when the other left it as
    it was) and the lines under the item (a person's notes) merged as ``git
    merge-file`` merges them, conflict markers limited to those lines when both changed
    the same ones. Two entries both sides added with the same first line but other
    lines under it are both kept. Returns the entries and whether markers remain."""
    if a.raw == b.raw or (base is not None and b.raw == base.raw):
        return [a], False
    if base is not None and a.raw == base.raw:
        return [b], False
    head_a, _, rest_a = a.raw.partition("\n")
    rest_b = b.raw.partition("\n")[2]
    if base is None:
        rank_a, rank_b = (_CHECK_RANK.get(_box(u) or " ", 0) for u in (a, b))
        if rest_a != rest_b:
            # One side's lines under it all stand, in order, in the other's, which only
            # added lines among them: one entry, the other's edit of it (a note typed
            # under an entry the tool logged since the last commit, merged with the
            # tool's version by merge-kept: no base holds the entry). Else two entries.
            fuller = lines_added(rest_a, rest_b)
            if fuller is None:
                return [a, b], False
            unit = a if fuller == rest_a else b
            box = _box(a) if rank_a >= rank_b else _box(b)
            return [_Unit("E", _with_box(unit, box), a.key)], False
        # Both added it, alike but for the box (one side ticked it since: a next step
        # taken up, layout._take_up_next): the box further along, whichever is ours.
        return [b if rank_b > rank_a else a], False
    rest_o = base.raw.partition("\n")[2]
    box_o, box_a, box_b = _box(base), _box(a), _box(b)
    box = box_b if box_a == box_o else box_a if box_b == box_o else \
        max(box_a or " ", box_b or " ", key=lambda c: _CHECK_RANK.get(c, 0))
    conflict = False
    if rest_a == rest_b or rest_b == rest_o:
        rest = rest_a
    elif rest_a == rest_o:
        rest = rest_b
    else:
        rest, conflict = _merge_notes(rest_o, rest_a, rest_b, ours_first=ours_first,
                                      labels=labels, marker_size=marker_size)
    unit = _Unit("E", head_a + "\n" + rest, a.key)
    return [_Unit("E", _with_box(unit, box), a.key)], conflict


def _interleave(in_first: list, in_second: list, kept: dict,
                offsets: tuple[timedelta | None, timedelta | None]) -> list:
    """The keys of two sides' entries of one place (``in_first``: the side updated
    last's) in one order: the keys both hold as ``in_first`` has them; between two of
    those, the keys only one side holds by the time of their entries in ``kept``
    (placed in real time by ``offsets``, first's and second's); at the same minute,
    second's before first's."""
    offset_first, offset_second = offsets
    both = set(in_first) & set(in_second)
    order: list = []
    used: set = set()
    i = j = 0
    while i < len(in_first) or j < len(in_second):
        if i < len(in_first) and in_first[i] in used:
            i += 1
            continue
        if j < len(in_second) and in_second[j] in used:
            j += 1
            continue
        if j >= len(in_second):
            take, i = in_first[i], i + 1
        elif i >= len(in_first):
            take, j = in_second[j], j + 1
        else:
            f, g = in_first[i], in_second[j]
            if f == g or g in both:  # an entry both hold waits for its place in first
                take, i = f, i + 1
            elif f in both or _compare(kept[g].time, offset_second, kept[f].time,
                                       offset_first) in (-1, 0):
                take, j = g, j + 1  # only second's: before one both hold, or not later
            else:
                take, i = f, i + 1
        order.append(take)
        used.add(take)
    return order


def _leading(units: list[_Unit]) -> set[tuple[str, int]]:
    """The keys of the entries before the first line of free text of a part (none when
    the part has no free text: the tool appends entries after a person's text)."""
    if not any(u.kind == "T" for u in units):
        return set()
    entries = [u for u in units if u.kind == "E"]
    keys = iter(_entry_keys(entries))
    lead: set[tuple[str, int]] = set()
    for unit in units:
        if unit.kind == "T":
            break
        lead.add(next(keys))
    return lead


def _merge_free(base: list[_Unit], ours: list[_Unit], theirs: list[_Unit], *,
                labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """The free text (all but the entries) of a place both sides changed, as git merges
    it (``git merge-file``), and whether that left conflict markers."""
    def text(units: list[_Unit]) -> str:
        return "".join(u.raw for u in units if u.kind != "E")

    to, ta, tb = text(base), text(ours), text(theirs)
    if ta == tb or tb == to:
        return ta, False
    if ta == to:
        return tb, False
    return merge_text(to, ta, tb, labels=labels, marker_size=marker_size)


def merge_text(base: str, ours: str, theirs: str, *, labels: tuple[str, str, str],
               marker_size: int) -> tuple[str, bool]:
    """Three texts merged as ``git merge-file`` merges them (:func:`git_merge_file`), and
    whether conflict markers remain; ``_CannotMerge`` when git cannot."""
    merged, status = git_merge_file(ours.encode(), base.encode(), theirs.encode(),
                                    labels=labels, marker_size=marker_size)
    if status < 0:
        raise _CannotMerge
    return merged.decode("utf-8"), status > 0


class _CannotMerge(Exception):
    """The structural merge gives up: the file is merged as git merge-file merges it."""


def _lines(text: str) -> list[str]:
    """``text``'s lines as git reads them: only a newline ends one (a carriage return,
    a form feed or U+2028 is part of its line), each with its ending."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _parse_merge(lines: list[str], marker_size: int) -> list[tuple[list[str], ...]]:
    """``git merge-file --diff3`` output (its lines, each with its ending) cut into plain
    runs ``([lines],)`` and conflicts ``(ours, base, theirs, closing)``, ``closing``
    being a one-line list, the ``>>>>>>>`` line (its ending is the file's).

    A marker line is ``marker_size`` of one of ``<``, ``|``, ``=``, ``>`` at the start
    of a line, then the end of the line or a space and its label (git-merge-file(1));
    one is a marker only in its place (``|||||||`` and ``=======`` after ``<<<<<<<``,
    ``>>>>>>>`` after ``=======``): elsewhere it is a line of text. The one rule for
    both of this module's readers of git's output (:func:`_token_merge`,
    :func:`_merge_notes`); ``_CannotMerge`` when a conflict is left open."""
    parts: list[tuple[list[str], ...]] = []
    plain: list[str] = []
    state: str | None = None
    sides: dict[str, list[str]] = {}
    for line in lines:
        mark = line[:marker_size]
        kind = mark[0] if len(mark) == marker_size and len(set(mark)) == 1 and \
            mark[0] in "<|=>" and line[marker_size:marker_size + 1] in ("", " ", "\n", "\r") \
            else None
        if kind == "<" and state is None:
            parts.append((plain,))
            plain, state, sides = [], "a", {"a": [], "o": [], "b": []}
        elif kind == "|" and state == "a":
            state = "o"
        elif kind == "=" and state in ("a", "o"):
            state = "b"
        elif kind == ">" and state == "b":
            parts.append((sides["a"], sides["o"], sides["b"], [line]))
            state = None
        elif state is None:
            plain.append(line)
        else:
            sides[state].append(line)
    if state is not None:
        raise _CannotMerge
    parts.append((plain,))
    return parts


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


def conflict_block(ours: str, theirs: str, labels: tuple[str, str, str] | list[str],
                   marker_size: int, newline: str, *, base: str | None = None) -> str:
    """``ours`` and ``theirs`` (whole lines, each ending in ``newline``; either may be
    empty) between conflict markers as git writes them (``<<<<<<< LABEL``, ``=======``,
    ``>>>>>>> LABEL``, ``marker_size`` characters each; git-merge-file(1)), ``labels``
    naming ours, the base and theirs (as :func:`git_merge_file`'s). ``base``, when
    given, is shown too, after ``||||||| LABEL``, as git's ``diff3`` style writes it."""
    shown = "" if base is None else f"{'|' * marker_size} {labels[1]}{newline}{base}"
    return (f"{'<' * marker_size} {labels[0]}{newline}{ours}{shown}{'=' * marker_size}"
            f"{newline}{theirs}{'>' * marker_size} {labels[2]}{newline}")


def _shows_base() -> bool:
    """Whether git's ``merge.conflictStyle`` (git-config(1)) in the repository the driver
    runs in is ``diff3`` or ``zdiff3``, which show the base's lines in a conflict: the
    conflicts the driver writes itself then show them too, as git's own do."""
    done = subprocess.run(["git", "config", "--get", "merge.conflictStyle"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip().lower() in ("diff3", "zdiff3")


def _token_merge(base: list[str], ours: list[str], theirs: list[str],
                 ) -> list[tuple[list[str], ...]]:
    """``git merge-file --diff3`` of three sequences of names (any text but newlines),
    each standing as one line: plain runs ``([names],)`` and conflicts
    ``(ours, base, theirs)``."""
    names: dict[str, str] = {}

    def tokens(sequence: list[str]) -> bytes:
        out = []
        for name in sequence:
            token = "N" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()
            names[token] = name
            out.append(token + "\n")
        return "".join(out).encode()

    output, status = git_merge_file(tokens(ours), tokens(base), tokens(theirs),
                                    labels=("a", "o", "b"), style="diff3")
    if status < 0:
        raise _CannotMerge
    return [tuple([names[t.rstrip("\n")] for t in side] for side in part[:3])
            for part in _parse_merge(_lines(output.decode("ascii")), 7)]


def _union(first: list[str], second: list[str]) -> list[str]:
    """``first``, with what only ``second`` holds put in after what comes before it there."""
    result = list(first)
    for index, name in enumerate(second):
        if name in result:
            continue
        before = next((second[j] for j in range(index - 1, -1, -1) if second[j] in result), None)
        result.insert(result.index(before) + 1 if before is not None else 0, name)
    return result


def _stamp(unit: _Unit) -> str | None:
    """An entry's timestamp as written (``[2026-11-21 Sat 10:02]``)."""
    found = _ITEM.match(unit.raw)
    return found.group(2) if found else None


class _Entries:
    """The entries of one section on the three sides, each known by its **identity**:
    its first line (the checkbox aside) with how many the same came before it, as in
    the base. An entry whose first line one side edited is the same entry only when
    that is sure: on that side, exactly one entry of the base with that timestamp is
    gone, the base holds no other entry of that timestamp, and exactly one new entry
    has it; any other change of a first line is a removal and an addition.

    Each identity is merged once for the whole section (:meth:`text`), wherever the
    two sides put it: an entry a person moved (Emacs's M-up) and the other side
    ticked is one entry, at its new place, with the tick."""

    def __init__(self, o: list[_Unit], a: list[_Unit], b: list[_Unit], *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int, newline: str,
                 rolled: _Rolled | None = None, records: bool = False,
                 since: tuple[datetime | None, datetime | None] = (None, None)) -> None:
        self.ours_first, self.labels, self.marker_size = ours_first, labels, marker_size
        self.newline = newline
        self.rolled = rolled
        self.units_o, self.o = self._known(o, {})
        stamps: dict[str | None, int] = {}
        for unit in self.o.values():
            stamps[_stamp(unit)] = stamps.get(_stamp(unit), 0) + 1
        # (an entry the other side added with the same first line is that entry, both
        # added it: never one side's edit of another's first line, which would keep it
        # twice: twenty-first round)
        self.units_a, self.a = self._known(a, self._renamed(a, stamps, self._plain(b),
                                                             since[0], b))
        self.units_b, self.b = self._known(b, self._renamed(b, stamps, self._plain(a),
                                                             since[1], a))
        if records:  # (the Log: a line each side added alike is two writes, kept twice)
            self.units_b = [_Unit("E", u.raw, u.key + "\x00theirs")
                            if u.kind == "E" and u.key in self.a and u.key not in self.o
                            else u for u in self.units_b]
            self.b = {u.key: u for u in self.units_b if u.kind == "E"}
        self.done: dict[str, tuple[str, bool]] = {}
        self.emitted: set[str] = set()

    @staticmethod
    def _known(units: list[_Unit], renamed: dict[int, str],
               ) -> tuple[list[_Unit], dict[str, _Unit]]:
        """``units`` with each entry's key set to its identity (``renamed``: by index)."""
        out: list[_Unit] = []
        by_identity: dict[str, _Unit] = {}
        seen: dict[str, int] = {}
        for index, unit in enumerate(units):
            if unit.kind != "E":
                out.append(unit)
                continue
            seen[unit.key] = seen.get(unit.key, -1) + 1
            identity = renamed.get(index, f"{unit.key}\x00{seen[unit.key]}")
            known = _Unit("E", unit.raw, identity)
            out.append(known)
            by_identity[identity] = known
        return out, by_identity

    @staticmethod
    def _plain(units: list[_Unit]) -> dict[int, str]:
        """The identities of ``units``' entries as written (their first line, with how
        many the same came before), by index."""
        plain: dict[int, str] = {}
        seen: dict[str, int] = {}
        for index, unit in enumerate(units):
            if unit.kind == "E":
                seen[unit.key] = seen.get(unit.key, -1) + 1
                plain[index] = f"{unit.key}\x00{seen[unit.key]}"
        return plain

    def _renamed(self, units: list[_Unit], stamps: dict[str | None, int],
                 other: dict[int, str], since: datetime | None = None,
                 other_units: list[_Unit] = ()) -> dict[int, str]:  # type: ignore[assignment]
        """The entries of a side whose first line was edited, for sure (see the class),
        by their index in ``units``: the identity of the base's entry they are. An entry
        whose first line the other side holds too (``other``: its identities as written)
        is never one: both hold it, one entry. Nor is one the tool may have added
        (``since``: the minute of the base's last write when the side's tool wrote
        since, :func:`_tool_since`; its timestamp that minute or later) in place of a
        base entry the other side changed (``other_units``: a tick, a note): a
        deletion and the tool's new entry of one minute look like an edited first
        line, and the other side's change is not moved onto another entry; the
        deleted entry stays, changed, as a conflict (docs/decisions.md, "Twenty-third
        round: a merge's own write record")."""
        plain = self._plain(units)
        present = set(plain.values())
        theirs = set(other.values())
        gone = [i for i in self.o if i not in present]
        new = [(index, units[index]) for index, identity in plain.items()
               if identity not in self.o and identity not in theirs]
        renamed: dict[int, str] = {}
        for index, unit in new:
            stamp = _stamp(unit)
            if stamp is None or stamps.get(stamp) != 1:
                continue
            was = [i for i in gone if _stamp(self.o[i]) == stamp]
            if len(was) == 1 and sum(_stamp(u) == stamp for _, u in new) == 1:
                renamed[index] = was[0]
        if len(renamed) < min(len(new), len(gone)):
            renamed.update(self._replaced(plain, renamed, theirs))
        if since is None or not renamed:
            return renamed
        changed = {identity for index, identity in other.items()
                   if identity in self.o and other_units[index].raw != self.o[identity].raw}
        return {index: was for index, was in renamed.items()
                if was not in changed or not _may_be_tools(units[index], since)}

    def _replaced(self, plain: dict[int, str], renamed: dict[int, str],
                  theirs: set[str] = frozenset()) -> dict[int, str]:  # type: ignore[assignment]
        """The entries of a side (``plain``: index to identity as written) that stand
        where the base's entry of the same timestamp stood and replace it one for one
        (its first line edited where the base holds others of that timestamp, as
        every minute of a long session does: thirteenth review): in
        :class:`difflib.SequenceMatcher`'s comparison of the entries in order, a
        replaced run as long as the run that replaces it, each pair of one timestamp,
        neither known already (``renamed``), the new one not held by the other side
        (``theirs``: its identities)."""
        base = list(self.o)
        indexes = list(plain)
        side = [plain[i] for i in indexes]
        taken = set(renamed.values())
        found: dict[int, str] = {}
        matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "replace" or i2 - i1 != j2 - j1:
                continue
            for was, now in zip(range(i1, i2), range(j1, j2), strict=True):
                index = indexes[now]
                if index in renamed or base[was] in taken or side[now] in self.o or \
                        side[now] in theirs or \
                        _stamp(self.o[base[was]]) != _stamp(_Unit("E", side[now])):
                    continue
                found[index] = base[was]
        return found

    def token(self, unit: _Unit, side: str) -> str:
        """The unit's stand-in line for ``git merge-file`` on ``side`` (``"o"``, ``"a"``
        ours, ``"b"`` theirs): an entry's identity, marked when the other side removed it
        and this side changed it (so that git sees both sides changed that place)."""
        if unit.kind != "E":
            return unit.token
        token = "E" + hashlib.sha1(unit.key.encode("utf-8", "surrogatepass")).hexdigest()
        base = self.o.get(unit.key)
        other = {"a": self.b, "b": self.a}.get(side)
        if base is not None and other is not None and unit.key not in other and \
                unit.raw != base.raw:
            token += "*"
        return token

    def text(self, identity: str) -> tuple[str, bool]:
        """The merged entry ``identity`` (``""``: removed) and whether it holds conflict
        markers: one side's when only it changed it; both changed it: the checkbox
        further along, the first line a side changed (both, differently: a conflict on
        the entry), the lines under it merged as git merges them; one side removed it
        and the other changed it: a conflict on the entry, as git marks one."""
        if identity in self.done:
            return self.done[identity]
        uo, ua, ub = self.o.get(identity), self.a.get(identity), self.b.get(identity)
        if ua is not None and ub is not None:
            result = self._both(uo, ua, ub)
        elif ua is None and ub is None:
            result = "", False
        else:
            only = ua or ub
            assert only is not None
            if uo is None:
                result = only.raw, False
            elif only.raw == uo.raw:
                result = "", False  # the other side removed it
            elif self.rolled is not None and self.rolled.moved(uo, by_ours=ua is None):
                # The other side's rollover moved the base's version out, and this side
                # edited it: the edit stays here, and the moved copy is named superseded.
                result = only.raw, False
                self.rolled.superseded.add(entry_digest(self.rolled.section,
                                                        uo.raw.split(self.newline)))
            else:
                result = self._block(ua, ub, uo), True
        self.done[identity] = result
        return result

    def _block(self, a: _Unit | None, b: _Unit | None, o: _Unit | None) -> str:
        return conflict_block(a.raw if a else "", b.raw if b else "", self.labels,
                              self.marker_size, self.newline,
                              base=(o.raw if o else "") if _shows_base() else None)

    def _both(self, o: _Unit | None, a: _Unit, b: _Unit) -> tuple[str, bool]:
        if a.raw == b.raw or (o is not None and b.raw == o.raw):
            return a.raw, False
        if o is not None and a.raw == o.raw:
            return b.raw, False
        if o is None:  # both added it: once, or both when the lines under it differ
            units, _ = _merge_entry(None, a, b, ours_first=self.ours_first,
                                    labels=self.labels, marker_size=self.marker_size)
            if len(units) > 1 and not self.ours_first:
                units = units[::-1]
            return "".join(u.raw for u in units), False
        heads = [_Unit("E", u.raw.partition("\n")[0]) for u in (o, a, b)]
        ho, ha, hb = (_with_box(h, " ") for h in heads)
        if ha != ho and hb != ho and ha != hb:
            return self._block(a, b, o), True  # both edited its first line
        head = hb if ha == ho else ha
        box_o, box_a, box_b = _box(o), _box(a), _box(b)
        box = box_b if box_a == box_o else box_a if box_b == box_o else \
            max(box_a or " ", box_b or " ", key=lambda c: _CHECK_RANK.get(c, 0))
        rest_o, rest_a, rest_b = (u.raw.partition("\n")[2] for u in (o, a, b))
        conflict = False
        if rest_a == rest_b or rest_b == rest_o:
            rest = rest_a
        elif rest_a == rest_o:
            rest = rest_b
        else:
            rest, conflict = _merge_notes(rest_o, rest_a, rest_b, ours_first=self.ours_first,
                                          labels=self.labels, marker_size=self.marker_size)
        unit = _Unit("E", head + "\n" + rest)
        return _with_box(unit, box), conflict

    def emit(self, identity: str) -> tuple[str, bool]:
        """The merged entry at the place being written, once for the section."""
        if identity in self.emitted:
            return "", False
        self.emitted.add(identity)
        return self.text(identity)

    def rest(self) -> tuple[str, bool]:
        """The entries no place wrote (none, unless both sides moved one): at the end."""
        pieces, conflict = [], False
        for identity in [*self.a, *self.b]:
            text, clash = self.emit(identity)
            pieces.append(text)
            conflict = conflict or clash
        return "".join(pieces), conflict

    def _both_rewrote(self, local_o: set[str], local_a: list[str], local_b: list[str]) -> bool:
        """Whether both sides removed an entry of the base here and each put a new entry
        of its timestamp here: both edited its first line, and which new entry is
        it cannot be told (:meth:`_renamed` did not match them)."""
        for identity in local_o:
            if identity in self.a or identity in self.b:
                continue
            stamp = _stamp(self.o[identity])
            if all(any(k not in self.o and _stamp(side[k]) == stamp for k in local)
                   for side, local in ((self.a, local_a), (self.b, local_b))):
                return True
        return False

    def region(self, base: list[_Unit], ours: list[_Unit], theirs: list[_Unit],
               offsets: tuple[timedelta | None, timedelta | None]) -> tuple[str, bool]:
        """A place both sides changed (units with identities): its entries merged as a
        set in :func:`_interleave`'s order, its free text as git merges it."""
        free, conflict = _merge_free(base, ours, theirs, labels=self.labels,
                                     marker_size=self.marker_size)
        local_o = {u.key for u in base if u.kind == "E"}
        local_a = [u.key for u in ours if u.kind == "E"]
        local_b = [u.key for u in theirs if u.kind == "E"]
        if self._both_rewrote(local_o, local_a, local_b):
            for identity in (*local_a, *local_b):
                self.emitted.add(identity)
            block = self._block(*(_Unit("E", "".join(u.raw for u in side if u.kind == "E"))
                                  for side in (ours, theirs, base)))
            return block + free, True
        kept: dict[str, _Unit] = {}
        for identity in [*local_a, *local_b]:
            here = (identity in local_a) + (identity in local_b)
            if here == 1 and identity in local_o and identity in self.a and identity in self.b:
                continue  # moved away by one side: written where that side put it
            kept[identity] = (self.a.get(identity) or self.b[identity])
        first, second = (local_a, local_b) if self.ours_first else (local_b, local_a)
        order = _interleave([k for k in first if k in kept], [k for k in second if k in kept],
                            kept, offsets if self.ours_first else offsets[::-1])
        lead_keys = {k for k, _ in _leading(ours) | _leading(theirs)}
        lead, trail = [], []
        for identity in order:
            piece, clash = self.emit(identity)
            (lead if identity in lead_keys else trail).append(piece)
            conflict = conflict or clash
        return "".join(lead) + free + "".join(trail), conflict


class _Rolled:
    """What each side's own rollovers moved out of the live file: the ranges (oldest,
    newest entry's minute) of the earlier-entries files it links and the base does not
    (``ours``, ``theirs``), for the section of ``CUSTOM_ID`` ``section``; and the
    :func:`~ai_protocols.session.rollover.entry_digest` of each moved entry the other
    side edited, whose edit the merge keeps (``superseded``, filled by the merge)."""

    def __init__(self, ours: list[tuple[datetime, datetime]],
                 theirs: list[tuple[datetime, datetime]], superseded: set[str]) -> None:
        self.ours, self.theirs, self.superseded = ours, theirs, superseded
        self.section = ""

    def moved(self, base: _Unit, *, by_ours: bool) -> bool:
        """Whether the base's entry ``base`` is in the range of a file that side (ours
        when ``by_ours``) linked since the base: its rollover moved it out."""
        time = base.time
        return time is not None and any(first <= time <= last for first, last in
                                        (self.ours if by_ours else self.theirs))


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


def _may_be_tools(unit: _Unit, since: datetime) -> bool:
    """Whether the entry ``unit`` may be one the tool added in a write at or after
    ``since`` (a minute): its timestamp is not before it, or is none the tool writes."""
    stamp = _stamp(unit)
    at = parse_timestamp(stamp) if stamp else None
    return at is None or at >= since


def _tool_since(base: _Version, side: _Version) -> datetime | None:
    """The minute of ``base``'s last write (its ``UPDATED``) when ``side`` carries
    another write record (``UPDATED_AT``: the tool wrote on that side since, and may
    have added entries stamped that minute or later); ``None`` when it carries the
    base's (no write since: every new entry of it was typed by a person)."""
    if side.properties.get("UPDATED_AT") == base.properties.get("UPDATED_AT"):
        return None
    return parse_timestamp(base.properties.get("UPDATED", "")) or datetime.min


def _merge_entry_chunk(o: list[_Unit], a: list[_Unit], b: list[_Unit], *, ours_first: bool,
                       labels: tuple[str, str, str], marker_size: int, newline: str,
                       offsets: tuple[timedelta | None, timedelta | None],
                       rolled: _Rolled | None = None, records: bool = False,
                       since: tuple[datetime | None, datetime | None] = (None, None),
                       ) -> tuple[str, bool]:
    """A section of entries both sides changed: its units merged by git, each entry
    standing by its identity (:class:`_Entries`), each entry merged once. ``rolled``:
    what each side's rollovers moved out (an entry one side moved out and the other
    edited keeps the edit, :class:`_Rolled`). ``records``: the Log, whose lines are
    each write's record: a line both sides added alike (``summary: updated`` in one
    minute on two clones) is two writes, and stays twice. ``since``: ours' and theirs'
    :func:`_tool_since`."""
    entries = _Entries(o, a, b, ours_first=ours_first, labels=labels,
                       marker_size=marker_size, newline=newline, rolled=rolled,
                       records=records, since=since)
    sides = (entries.units_o, entries.units_a, entries.units_b)
    tokens = tuple([entries.token(u, side) for u in units]
                   for side, units in zip("oab", sides, strict=True))
    by_token = [dict(zip(t, s, strict=True)) for t, s in zip(tokens, sides, strict=True)]
    pieces: list[str] = []
    conflict = False
    for part in _token_merge(*tokens):
        if len(part) == 1:
            for token in part[0]:
                unit = by_token[1].get(token) or by_token[2].get(token) or by_token[0][token]
                text, clash = entries.emit(unit.key) if unit.kind == "E" else (unit.raw, False)
                pieces.append(text)
                conflict = conflict or clash
            continue
        in_a, in_o, in_b = ([lookup[t] for t in side]
                            for lookup, side in zip((by_token[1], by_token[0], by_token[2]),
                                                    part, strict=True))
        text, clash = entries.region(in_o, in_a, in_b, offsets)
        pieces.append(text)
        conflict = conflict or clash
    text, clash = entries.rest()
    pieces.append(text)
    return "".join(pieces), conflict or clash



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


def _entry_text(raw: str) -> str:
    """An entry unit's text as the readers give it (:func:`read_entries`)."""
    found = read_entries(raw.splitlines(True))
    return found[0].text if found else raw


#: How the Log line that keeps a summary that gave way in a merge starts
#: (:func:`_summaries`; docs/merge-driver.md, "The summary"): its text follows, whole,
#: after ``(why): ``.
SUMMARY_GAVE_WAY = "merge: this summary, from one clone, gave way to the other clone's"


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


#: How many of the newest commits that changed a session file :func:`tool_write` reads.
_WRITES = 30


def _head_versions(place: str, root: str = ".") -> list[bytes]:
    """The versions of the session file at ``place`` (git's ``%P``, from the work tree's
    top ``root``, where git runs the driver: ``"."``) in ``HEAD``'s history, newest first:
    each the newest :data:`_WRITES` commits that changed it gave it or took from it
    (:func:`~ai_protocols.git.state.history_versions`), at every place it has there (a
    version a revert put back: where the revert made it, and where it was first made).
    Two git runs; empty when git cannot say."""
    from ai_protocols.git.history import history_versions

    return history_versions(root, place, ["HEAD"], _WRITES, before=True, each=True)


def tool_write(place: str, base: _Version, root: str = ".") -> bytes | None:
    """The version of the session file at ``place`` (git's ``%P``, from the work tree's
    top ``root``, where git runs the driver: ``"."``) that the tool wrote with ``base``'s
    write record: :func:`written_among` the versions ``HEAD``'s history and the reflogs hold that
    carry it (:func:`~ai_protocols.git.state.history_versions`), ``base`` among them,
    less those a commit made from ``base`` (:func:`~ai_protocols.git.state.made_since`:
    a person's edit of it, committed, fetched from another clone; the tool's write
    comes before ``base``). ``None`` when ``base`` has no record or none is found. Two
    git runs, then one more, and one per other version carrying the record."""
    from ai_protocols.git.history import history_versions, made_since
    from ai_protocols.session.layout import one_session

    props = base.properties
    stamp = props.get("UPDATED_AT")
    if not stamp:
        return None
    revs = ["HEAD", "--reflog"]
    found: list[bytes] = []
    for version in history_versions(root, place, revs, _WRITES, before=False):
        theirs = _read(version.decode("utf-8", "replace"))
        if theirs is not None and theirs.properties.get("UPDATED_AT") == stamp and \
                one_session(theirs.properties, props) and version not in found:
            found.append(version)
    mine = base.text.encode("utf-8")  # (newest first: base where git's history has it)
    since = made_since(root, place, mine, [v for v in found if v != mine], revs, _WRITES)
    found = [version for version in found if version not in since]  # (made from base:
    # a person's committed edit of it, another clone's fetched into the reflogs, is no
    # write base was made from)
    return written_among(found if mine in found else [*found, mine])


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


def _earlier_place(place: str | None) -> bool:
    """Whether git's ``%P`` names a tool's earlier-entries file (``.ai/history/...`` or
    an archive's folder ``.ai/sessions/NAME/``, named as a rollover names one)."""
    if not place:
        return False
    parts = place.replace("\\", "/").split("/")
    if AI_DIR not in parts[:-1]:
        return False
    below = parts[len(parts) - parts[::-1].index(AI_DIR):]
    return _earlier_target("/".join(below)) == "/".join(below)


def _merge_earlier_file(data: list[bytes], place: str, ours: Path) -> int:
    """Git's merge of an earlier-entries file (``place``). Its name holds its bytes'
    hash, so two clones never make two contents at one name: git got here only by
    pairing a rename (the other side's session file, archived or moved, with this
    file), or after a person edited it. Never conflict markers: the version whose
    bytes match its name is the result (ours when both or neither). When the other
    version is a session file, its changes are not lost: with the archive beside
    this file's folder in the work tree (this side archived), they are merged into
    it; otherwise stderr gives the commands that do. Returns 1 (git stops the merge
    and reports the path) in every case but the two versions being the same."""
    import sys

    from ai_protocols.lean import shell_quote

    base, mine, other = data
    if mine == other:
        storage.atomic_write(ours, mine)
        return 0
    name = place.replace("\\", "/").rpartition("/")[2]

    def named(d: bytes) -> bool:
        return hashlib.sha256(d).hexdigest()[:8] == name[-12:-4]

    keep, lost, lost_stage = (other, mine, 2) if named(other) and not named(mine) \
        else (mine, other, 3)
    storage.atomic_write(ours, keep)
    said = [f"ai-protocols merge-driver: {place} is an earlier-entries file (named by "
            "its bytes' hash); kept the version that matches its name, without conflict "
            "markers."]
    session = _decoded(lost)
    folder = place.replace("\\", "/").rpartition("/")[0]
    archive = folder + ".org" if "/sessions/" in "/" + folder else None
    if session is not None and _read(session) is not None:
        said.append("git paired it with the other version of the session file (its "
                    "rename detection: one side archived or moved the session while the "
                    "other changed it).")
        merged = None
        if archive is not None and lost_stage == 3 and os.path.isfile(archive):
            try:
                merged = merge_session_bytes(base, Path(archive).read_bytes(), lost,
                                             labels=("ours", "base", "theirs"), place=archive)
            except OSError:
                merged = None
        if merged is not None:
            storage.atomic_write(Path(archive), merged.data)
            said.append(f"Their session changes were merged into {archive}"
                        + (" (with conflict markers: resolve them)" if merged.conflicts
                           else "") + f"; check it, then: git add {shell_quote(place)} "
                        f"{shell_quote(archive)} and commit.")
        else:
            into = archive if archive is not None else "the session file it belongs to"
            said.append(f"{'The other' if lost_stage == 3 else 'This'} clone's session "
                        f"changes are git's stage {lost_stage} of it; to merge them into "
                        f"{into}: B=$(git rev-parse --git-path ai-base.org) M=$(git "
                        f"rev-parse --git-path ai-mine.org) && git show :1:{shell_quote(place)}"
                        f" > \"$B\" && git show :{lost_stage}:{shell_quote(place)} > \"$M\" "
                        f"&& ai-protocols merge-driver \"$B\" {shell_quote(into)} \"$M\" "
                        f"{shell_quote(into)} && git add {shell_quote(place)} "
                        f"{shell_quote(into)} (from the repository's top), then commit.")
    else:
        said.append(f"The other version is git's stage {lost_stage} (git show "
                    f":{lost_stage}:{shell_quote(place)}); then: git add {shell_quote(place)} "
                    f"(from the repository's top).")
    print(" ".join(said), file=sys.stderr)
    return 1


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def run_merge_driver(base: Path, ours: Path, theirs: Path, *, marker_size: int = 7,
                     labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                     merge: Callable[..., MergeResult | None] | None = None,
                     place: str | None = None) -> int:
    """What ``ai-protocols merge-driver %O %A %B %P`` does: merge into ``ours`` and return
    the exit status git expects, 0 for a clean merge and 1 when conflict markers remain.
    What the structural merge does not understand is merged by ``git merge-file``,
    whose result (and conflict markers) is written as it gives it; when even git
    cannot merge (a binary file), ``ours`` is left as it is and 1 is returned, so that
    git reports the conflict and keeps both sides in its index. ``merge`` is the
    structural merge (:func:`merge_session_bytes` by default; the task board's is
    :func:`ai_protocols.board.merge.merge_board_bytes`); ``place`` is git's ``%P``: an
    earlier-entries file's is merged by :func:`_merge_earlier_file`, a session file's
    links written relative to it. When both sides closed the session
    (:attr:`MergeResult.closed_twice`: git pairs the live file with two archives and
    stops whatever the driver says), stderr says so and points at ``ai-protocols
    status``, which gives the commands. Raises
    :class:`~ai_protocols.errors.StorageError` when a file cannot be read or written
    (git then reports a conflict too, and ``ours`` is as it was)."""
    import sys

    data = []
    for path in (base, ours, theirs):
        try:
            data.append(Path(path).read_bytes())
        except OSError as error:
            raise storage.StorageError(path, error) from error
    if merge is None and place is not None and _earlier_place(place):
        return _merge_earlier_file(data, place, Path(ours))
    if place is not None:
        _warn_edited(place)
    result = merge(*data, labels=labels, marker_size=marker_size) if merge is not None \
        else merge_session_bytes(*data, labels=labels, marker_size=marker_size, place=place,
                                 written=None if place is None else
                                 lambda version: tool_write(place, version),
                                 history=None if place is None else
                                 lambda: _head_versions(place))
    if result is not None and result.closed_twice and not (  # (the live file's merge)
            place is not None and "/sessions/" in "/" + place.replace("\\", "/")):
        print("ai-protocols merge-driver: both clones closed this session, each into an "
              "archive of its own name: git writes this merge (every entry once, each "
              "side's closing in its Log) into both and stops on them (rename/rename); "
              "'ai-protocols status' names the one to keep and gives the commands.",
              file=sys.stderr)
    if result is None and merge is None:
        result = _two_sessions(data[1], data[2], labels=labels, marker_size=marker_size)
    if result is None:
        merged, status = git_merge_file(data[1], data[0], data[2], labels=labels,
                                        marker_size=marker_size)
        if status < 0:
            return 1
        result = MergeResult(merged, status > 0)
    storage.atomic_write(Path(ours), result.data)  # git's temporary file, not .ai/
    return 1 if result.conflicts else 0


def _warn_edited(place: str) -> None:
    """Say on stderr when a live Emacs lock holds the work tree's file ``place`` (git's
    ``%P``, relative to the top of the work tree, where git runs its merge drivers): a
    buffer with unsaved changes visits the file git is about to write the merge into,
    and saving it (answering "yes" to "changed on disk") would put back the version from
    before the merge, without what it brings (the tool's next write merges that back:
    docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)"). One
    ``readlink``; nothing else changes."""
    import sys

    from ai_protocols.org.emacs_lock import live_emacs_lock

    lock = live_emacs_lock(place)
    if lock is not None:
        # (the command that writes it: a session file's log; the board has no command
        # that writes it alone: any change of it, claim, lock, task add..., merges back)
        board = place.replace("\\", "/").endswith("tasks.org")
        run = ("make the board's next change with ai-protocols (a claim, a lock, 'task "
               "add'...) before committing the file" if board else
               "run 'ai-protocols log' before committing the file")
        print(f"ai-protocols merge-driver: {place} is open with unsaved changes in Emacs "
              f"({lock.owner}); this merge changes the file under that buffer, and saving "
              f"it puts back the version from before the merge. The next ai-protocols "
              f"write to it merges back what the merge brought, with what was typed "
              f"({run}); or, in Emacs, copy what you typed, M-x revert-buffer, and paste "
              f"it again.", file=sys.stderr)


def _two_sessions(ours: bytes, theirs: bytes, *, labels: tuple[str, str, str],
                  marker_size: int) -> MergeResult | None:
    """One conflict of the whole file, ours against theirs, when the two sides are two
    sessions (:func:`~ai_protocols.session.sections.other_session`: two clones each
    started one at this path, or one side wrapped the session up and started another):
    a line merge would make one session of two (one side's drawer, both sides'
    entries), so each side stays whole between the markers, for ``git checkout --ours``
    or ``--theirs`` and the reader's advice (docs/git.md). ``None`` when either is not
    a session file read as UTF-8, or they may be one session's versions."""
    from ai_protocols.session.layout import other_session

    try:
        texts = (ours.decode("utf-8"), theirs.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    versions = [_read(text) for text in texts]
    if versions[0] is None or versions[1] is None or \
            other_session(versions[0].properties, versions[1].properties,
                          lambda: texts) is None:
        return None
    newline = versions[0].newline
    whole = [text if not text or text.endswith("\n") else text + newline for text in texts]
    return MergeResult(conflict_block(whole[0], whole[1], labels, marker_size, newline)
                       .encode("utf-8"), True)


# -- two versions without a base: the file on disk and the kept copy --------------------------


def _entry_keys_of(version: _Version) -> set[tuple[str, str]]:
    """The entries of ``version``: (chunk, key) of each stamped item of its sections."""
    return {(name, unit.key) for name, units in version.chunks.items() for unit in units
            if unit.kind == "E"}


#: Whose wording ``merge-kept`` keeps of an entry the file and the kept copy word
#: differently, with no committed version of both to tell which changed it
#: (:func:`reworded_pairs`): the file's (a person's edit after git put it back) or the
#: kept copy's.
WORDINGS = ("file", "kept")


def reworded_pairs(first: _Version, second: _Version) -> dict[tuple[str, str], _Unit]:
    """The entries of ``first`` that ``second`` holds in other words, each paired with
    ``second``'s: by ``(chunk, key)`` of ``first``'s entry. In one section (never the
    Log, whose lines are the tool's records), an entry of ``first`` whose key
    ``second`` lacks is paired with an entry of ``second`` whose key ``first`` lacks,
    of the same timestamp (to the minute: the tool writes an entry's stamp once, and
    only a person changes its words), when each is the other's closest in words among
    those (difflib's ratio of their words, the only best on both sides) and they
    are alike enough (:func:`~ai_protocols.session.model.reworded_among`, the one rule
    of a reword, which the read commands count by too): the same entry, reworded. Two entries of
    one minute with unlike words are two entries, never paired (a person's new entry
    is never taken for another's reword): both are kept. Raises nothing of its own."""
    pairs: dict[tuple[str, str], _Unit] = {}
    for name, units in first.chunks.items():
        if name == "section:log" or name not in second.chunks:
            continue
        mine = {u.key for u in units if u.kind == "E"}
        theirs = {u.key for u in second.chunks[name] if u.kind == "E"}
        alone: list[dict[datetime | None, list[_Unit]]] = [{}, {}]
        for side, (group, other) in enumerate(((units, theirs),
                                               (second.chunks[name], mine))):
            for unit in group:
                if unit.kind == "E" and unit.key not in other:
                    alone[side].setdefault(unit.time, []).append(unit)
        for when, found in alone[0].items():
            twins = alone[1].get(when, [])
            if when is None or not twins:
                continue
            paired = reworded_among([_words(u) for u in found], [_words(u) for u in twins])
            for i, j in paired.items():
                pairs[(name, found[i].key)] = twins[j]
    return pairs


def _words(unit: _Unit) -> str:
    """An entry's words: its first line after the timestamp (``""``: none)."""
    found = _ITEM.match(unit.key)
    return unit.key[found.end():].strip() if found else unit.key.strip()


def _common_base(first: _Version, second: _Version, wording: str | None = None) -> str:
    """A base for merging two versions of one session that git gives no common ancestor
    of: what both hold. The chunks both have, in ``first``'s order; in each, the units of
    ``first`` that ``second`` holds too (an entry by its key, ticked or not, as
    ``first`` has it; a line of free text by its text, as many times as both have it);
    the drawer's property lines both have alike (a ``STATUS`` they hold differently
    with no value: the precedence of statuses decides it, :func:`merge_properties`,
    a wrapped-up archive staying wrapped up). Against it, whatever one side alone
    holds (an entry, a line, a property) is that side's addition, and the three-way
    merge keeps it. ``wording`` (``"file"``: ``first``'s, ``"kept"``: ``second``'s; see
    :data:`WORDINGS`): an entry the two word differently (:func:`reworded_pairs`) is in
    the base in the other side's words, with the checkbox of the side whose words are
    kept, so that the merge takes that side's words as its change (a tick on the other
    side then meets that change: a conflict, nothing merged); ``None``: in neither
    (both wordings kept)."""
    pieces: list[str] = []
    common_props = {raw for _key, raw in second.drawer}
    pairs = reworded_pairs(first, second) if wording in WORDINGS else {}
    for name in first.order:
        if name not in second.chunks:
            continue
        keys = {unit.key: unit.raw for unit in second.chunks[name] if unit.kind == "E"}
        lines: dict[str, int] = {}
        for unit in second.chunks[name]:
            if unit.kind == "T":
                lines[unit.raw] = lines.get(unit.raw, 0) + 1
        for unit in first.chunks[name]:
            if unit.kind == "E" and unit.key in keys:
                # An entry open on one side and ticked on the other: the open one is the
                # base, so the tick is that side's change (Org's [ ] -> [X]) and is kept.
                other = keys[unit.key]
                if _UNTICKED.sub(r"\1[X]", other, count=1) == unit.raw and other != unit.raw:
                    pieces.append(other)
                else:
                    # (one side's lines added under it, a note: the other's text is the
                    # base, so the note is that side's change, kept; model.lines_added)
                    fuller = lines_added(unit.raw, other)
                    pieces.append(other if fuller == unit.raw and other != unit.raw
                                  else unit.raw)
            elif unit.kind == "E" and (name, unit.key) in pairs:
                twin = pairs[(name, unit.key)]
                pieces.append(_with_box(twin, _box(unit)) if wording == "file"
                              else _with_box(unit, _box(twin)))
            elif unit.kind == "T" and lines.get(unit.raw, 0) > 0:
                lines[unit.raw] -= 1
                pieces.append(unit.raw)
            elif unit.kind == "D":
                raw = unit.raw.split(first.newline)
                opening, closing = raw[0] + first.newline, raw[-2] + first.newline
                # (a STATUS the two hold differently: in the base with no value, so that
                # each side's is a change and the statuses' precedence decides, as the
                # driver's when both changed it; a base without one is no session)
                pieces.append(opening + "".join(
                    r if r in common_props else ":STATUS:" + first.newline
                    for key, r in first.drawer
                    if r in common_props or key == "STATUS") + closing)
    return "".join(pieces)


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
                         ancestor: bool = False, wording: str = "file") -> MergeResult | None:
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
    docs/decisions.md, "Issue 14, fourteenth round"). Raises nothing of its own."""
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
                                 known_base=known, own_record=False)
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
        if any(key not in have and not (key in was and key not in theirs
                                        and was[key] == raw)
               for key, raw in mine.items()):
            return None
    return result


def _entry_raws(version: _Version) -> dict[tuple[str, str], str]:
    """The entries of ``version`` by (chunk, key): each one's lines (its last, when a
    key is there twice)."""
    return {(name, unit.key): unit.raw for name, units in version.chunks.items()
            for unit in units if unit.kind == "E"}


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


def _entry_block(raw: str) -> str:
    """An entry unit's lines without their endings (``"\\r\\n"`` or ``"\\n"``), its
    trailing blank lines left out, joined by ``"\\n"``; the first line's indentation
    stripped."""
    lines = [line.rstrip("\r") for line in raw.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines).strip()


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


def _new_or_reworded(name: str, units: list[_Unit], new: dict[datetime | None, list[str]],
                     mine: _Version, before: list[_Version]) -> dict[str, int]:
    """How many of the entries ``new`` (by minute: the first lines of the entries of the
    chunk ``name`` of a version, ``units``, that none of the others holds) are new
    entries, and how many an entry the others hold, reworded (a changed entry): the
    merge's rule of a reword (:func:`~ai_protocols.session.model.reworded_on` on
    ``before``, the versions it derives from, an entry of theirs of that minute the
    version lacks being its old words; without them,
    :func:`~ai_protocols.session.model.reworded_among` with ``mine``'s). Reads
    nothing."""
    from ai_protocols.session.model import reworded_on

    theirs = {unit.key for unit in units if unit.kind == "E"}
    gone: dict[datetime | None, list[str]] = {}
    for one in before or [mine]:
        for unit in one.chunks.get(name, ()):
            if unit.kind == "E" and unit.key not in theirs and \
                    unit.key not in gone.get(unit.time, []):
                gone.setdefault(unit.time, []).append(unit.key)
    counts = {"entry": 0, "changed entry": 0}
    for when, keys in new.items():
        olds = gone.get(when, [])
        words = [[_words(_Unit("E", k, k)) for k in group] for group in (keys, olds)]
        if when is None or not olds:
            paired = 0
        elif before:  # (by their words: the stamp every key begins with is no likeness)
            paired = reworded_on(when, *words, {(when, word) for word in words[1]})
        else:
            paired = len(reworded_among(*words))
        counts["changed entry"] += paired
        counts["entry"] += len(keys) - paired
    return counts


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


def _held_block(raw: str) -> str:
    """An entry unit's text as :func:`ai_protocols.session.rollover.held_entries` gives
    an earlier file's: its lines up to the last that is not blank, no final newline,
    its checkbox blanked."""
    lines = raw.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return blank_box("\n".join(lines))


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
_UNTICKED = re.compile(r"^([ \t]*(?:[-+*]|\d+[.)])[ \t]+)\[ \]")


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
