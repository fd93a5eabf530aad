"""The session merge's first step, below the rest of it: each version of a session file
cut into units (:class:`_Version`, :class:`_Unit`: the session headline's drawer, one unit
per stamped item of an entry section, every other line), :class:`MergeResult`, ``git
merge-file`` run and its output read (:func:`git_merge_file`, :func:`_parse_merge`,
:func:`merge_text`, :func:`_token_merge`), a conflict written as git writes one
(:func:`conflict_block`), times compared by their real instants (:func:`_compare`), and
the small rules of an entry the other parts share (its checkbox, its key, its block
without a checkbox: :func:`_box`, :func:`_entry_keys_of`, :func:`_held_block`).

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ai_protocols.lean import datetime, timedelta
from ai_protocols.liveness.clock import Moment
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp, strip_ending
from ai_protocols.session.earlier_links import earlier_section
from ai_protocols.session.rollover import blank_box
from ai_protocols.session.sections import (
    EARLIER,
    SECTIONS,
    find_section,
    read_entries,
    session_headline,
)

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


def _entry_text(raw: str) -> str:
    """An entry unit's text as the readers give it (:func:`read_entries`)."""
    found = read_entries(raw.splitlines(True))
    return found[0].text if found else raw


#: How the Log line that keeps a summary that gave way in a merge starts
#: (:func:`_summaries`; docs/merge-driver.md, "The summary"): its text follows, whole,
#: after ``(why): ``.
SUMMARY_GAVE_WAY = "merge: this summary, from one clone, gave way to the other clone's"


# -- an entry's keys and blocks, which the comparisons of versions use --------------------


def _entry_keys_of(version: _Version) -> set[tuple[str, str]]:
    """The entries of ``version``: (chunk, key) of each stamped item of its sections."""
    return {(name, unit.key) for name, units in version.chunks.items() for unit in units
            if unit.kind == "E"}


def _words(unit: _Unit) -> str:
    """An entry's words: its first line after the timestamp (``""``: none)."""
    found = _ITEM.match(unit.key)
    return unit.key[found.end():].strip() if found else unit.key.strip()


def _entry_raws(version: _Version) -> dict[tuple[str, str], str]:
    """The entries of ``version`` by (chunk, key): each one's lines (its last, when a
    key is there twice)."""
    return {(name, unit.key): unit.raw for name, units in version.chunks.items()
            for unit in units if unit.kind == "E"}


def _entry_block(raw: str) -> str:
    """An entry unit's lines without their endings (``"\\r\\n"`` or ``"\\n"``), its
    trailing blank lines left out, joined by ``"\\n"``; the first line's indentation
    stripped."""
    lines = [line.rstrip("\r") for line in raw.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines).strip()


def _held_block(raw: str) -> str:
    """An entry unit's text as :func:`ai_protocols.session.rollover.held_entries` gives
    an earlier file's: its lines up to the last that is not blank, no final newline,
    its checkbox blanked."""
    lines = raw.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return blank_box("\n".join(lines))
_UNTICKED = re.compile(r"^([ \t]*(?:[-+*]|\d+[.)])[ \t]+)\[ \]")
