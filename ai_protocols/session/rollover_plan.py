"""A rollover's plan: which of a session file's older entries move out, and the file
they move to (:func:`plan`), what holds a file past the bound (:func:`held_by`,
:func:`most_movable`, :func:`least_movable`), and the links a file's earlier-entries
files keep when it moves (:func:`relink`).

Split out of :mod:`ai_protocols.session.rollover` (twenty-seventh round), which keeps
the bound, the earlier-entries files' checks every write makes and what a merge and
``show`` read of them: a write of a file below the bound, nearly every write, loads
none of this. docs/decisions.md, "Twenty-seventh round: the SessionStart hook beside
1,000 session files", says why; "Issue 16, part g", what a rollover does.
"""

from __future__ import annotations

import gc
import os
from itertools import product, repeat

from ai_protocols.lean import datetime, holds
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import bracket_link, format_property, format_timestamp, strip_ending
from ai_protocols.paths import join, parent
from ai_protocols.session.earlier_links import (
    earlier_link_line,
    earlier_links,
    earlier_section,
    is_own_earlier,
    parse_earlier_link,
    with_earlier_path,
)
from ai_protocols.session.names import history_folder
from ai_protocols.session.org_links import move_links
from ai_protocols.session.reading import closed_until
from ai_protocols.session.rollover import (
    _EPOCH,
    _GOES_ON,
    BOUND,
    CLOSED_ONLY,
    KEEP,
    LEAST,
    MOVABLE,
    Planned,
    _add_link,
    _closing,
    _entry_end,
    _indent,
    _Lines,
    is_ours,
    named_as_ours,
)
from ai_protocols.session.sections import (
    EXPORT_OPTIONS,
    SECTIONS,
    find_section,
    iter_entries,
    session_headline,
)

__all__ = ["held_by", "least_movable", "most_movable", "plan", "relink"]



def plan(ai_dir: str, path: str, doc: OrgFile, size: int) -> Planned | None:
    """When ``size`` (the bytes of the session file ``path`` as read) passes
    :data:`BOUND`: move its oldest movable entries out of ``doc`` (in memory) until
    about :data:`KEEP` bytes are left, add the link to their new file to the
    ``Earlier entries`` section (made, after the Summary, on the first rollover), and
    return what to write; ``None`` (``doc`` untouched) when the file is within the
    bound or its movable entries come to less than :data:`LEAST` bytes.
    Deterministic: the same ``doc`` gives the same file, of the same name.

    Streamed: the entries are found by their offsets in the text as read (a few
    numbers each, no list of lines nor of entries), the earlier file is written
    from views of the bytes read and the live file keeps windows of them, so the
    peak memory is about twice the file's size (its bytes and text), not ten times
    (docs/performance.md)."""
    if size <= BOUND:
        return None
    headline = session_headline(doc)
    if headline is None:
        return None
    most = most_movable(doc, headline)
    if sum(most.values()) < LEAST:  # (nothing parsed: a file held by what stays)
        return None
    import heapq  # (only here: a rollover is rare)

    collecting = gc.isenabled()
    gc.disable()  # (hundreds of thousands of entries, none in a cycle: as read_session)
    try:
        sections = _movable(doc, headline, most)
    finally:
        if collecting:
            gc.enable()
    if sum(section.total for section in sections.values()) < LEAST:
        return None
    need = size - KEEP
    moved = 0
    taken = dict.fromkeys(sections, 0)  # each section's chosen entries: its first ones
    order = heapq.merge(*(zip(s.seen, repeat(rank), s.sizes) for rank, s in sections.items()),
                        key=_by_time)
    for _seen, rank, span_size in order:
        if moved >= need:
            break
        taken[rank] += 1
        moved += span_size
    times = [t for rank, section in sections.items()
             for t in section.times[:taken[rank]] if t is not None]
    first, last = (min(times), max(times)) if times else (None, None)
    count = sum(taken.values())
    newline = doc.newline
    ending = newline.encode("utf-8")
    import hashlib  # (only here: a rollover is rare)

    digest = hashlib.sha256()
    data: list[bytes | memoryview] = []

    def add(piece: bytes | memoryview) -> None:
        data.append(piece)
        digest.update(piece)

    add(_head(headline, first, last, count, newline).encode("utf-8"))
    for rank, key in enumerate(MOVABLE):
        title = dict(SECTIONS)[key]
        add(f"** {title}{newline}:PROPERTIES:{newline}"
            f"{format_property('CUSTOM_ID', key)}{newline}:END:{newline}".encode())
        section = sections.get(rank)
        for a, b in section.moved(taken[rank]) if section is not None else ():
            add(doc.encode_window(section.base, a, b))
            if not section.base.endswith("\n", a, b):  # (the file's last line, unended)
                add(ending)
    name = f"{_name_time(first)}--{_name_time(last)}-{digest.hexdigest()[:8]}.org"
    earlier = join(history_folder(ai_dir, path), name)
    for rank in sorted(sections, key=lambda r: sections[r].start, reverse=True):
        if taken[rank]:  # (the last section first, so that the lines of the others hold)
            section = sections[rank]
            doc.keep_windows(section.start, section.end, section.kept(taken[rank]))
    rel = os.path.relpath(earlier, parent(path) if parent(path) != "" else ".")
    _add_link(doc, session_headline(doc), earlier_link_line(rel, first, last, count))
    return Planned(earlier, data)


def held_by(doc: OrgFile, most: dict[int, int] | None = None) -> tuple[int, str]:
    """What keeps the session file ``doc`` big: the bytes of its entries that may move
    (:func:`plan`'s measure), and the sections holding what may not, biggest first,
    each with its size (``"Next steps 3.1 MiB, Context 12 KiB"``, :func:`_size`; open items,
    key files, context, a person's text), the three biggest; a section is sized by
    what is below its heading and drawer, less its movable entries and the links to
    earlier-entries files (none can be closed or removed), and one holding less
    than 1 KiB else is not named (closing that would not help; ``""`` when none is
    left). ``(0, "")`` for a file
    without a session headline. Reads the whole file: for a write past :data:`BOUND`.
    ``most``: what :func:`most_movable` gave for ``doc`` (read again when not given)."""
    headline = session_headline(doc)
    if headline is None:
        return 0, ""
    sections = _movable(doc, headline, most_movable(doc, headline) if most is None else most)
    movable = {MOVABLE[rank]: s.total for rank, s in sections.items()}
    links = {line for line, _, _ in earlier_links(doc, headline, every=True)}
    held: list[tuple[int, str]] = []
    for child in doc.headlines:
        if child.level != headline.level + 1 or \
                not headline.line < child.line < headline.subtree_end:
            continue
        # (its entries only: not its heading and drawer, which no one can close, nor
        # the tool's own links to earlier-entries files, which no one should remove)
        size = _bytes_between(doc, child.body_start, child.subtree_end)
        size -= sum(len(line) if line.isascii() else len(line.encode("utf-8"))
                    for line in (next(doc.iter_between(at, at + 1)) for at in links
                                 if child.body_start <= at < child.subtree_end))
        size -= movable.get(child.properties.get("CUSTOM_ID", ""), 0)
        held.append((size, child.title))
    held.sort(key=lambda h: -h[0])
    text = ", ".join(f"{title} {_size(size)}" for size, title in held[:3] if size >= 1024)
    return sum(movable.values()), text


def _bytes_between(doc: OrgFile, start: int, end: int) -> int:
    """The bytes of UTF-8 of ``doc``'s lines ``start`` to ``end``, counted a chunk's
    windows at a time (:meth:`~ai_protocols.org.file.OrgFile.windows`: no line split, no
    join of its pieces)."""
    total = 0
    at = start
    while at < end:
        chunk, local = doc.locate(at)
        if local == 0:  # (a headline's line: not in a window)
            piece = next(doc.iter_between(at, at + 1))
            at += 1
            total += len(piece) if piece.isascii() else len(piece.encode("utf-8"))
        else:
            stop = min(end, at + chunk.count - local)
            total += sum(_utf8_size(*window) for window in doc.windows(at, stop))
            at = stop
    return total


def _utf8_size(base: str, lo: int, hi: int) -> int:
    """The bytes of UTF-8 of ``base[lo:hi]``: ``hi - lo`` when ``base`` is ASCII (CPython
    keeps that as a flag of the string: no copy of a section's megabytes), else encoded."""
    return hi - lo if base.isascii() else len(base[lo:hi].encode("utf-8"))


def _size(size: int) -> str:
    """``size`` bytes as ``held_by`` says it: ``3.1 MiB`` from a tenth of a MiB on,
    else ``12 KiB`` (rounded up: never ``0.0 MiB`` for a section that holds bytes)."""
    if size >= 104858:
        return f"{size / 1048576:.1f} MiB"
    return f"{-(-size // 1024)} KiB"


def _by_time(span: tuple[datetime, int, int]) -> tuple[datetime, int]:
    return span[0], span[1]


def _terminated(text: str, newline: str) -> str:
    """``text`` ending with a line ending (a moved entry that was the file's last line
    may have had none)."""
    return text if not text or text.endswith("\n") else text + newline


def _name_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H-%M") if moment else "undated"


def _head(headline: Headline, first: datetime | None, last: datetime | None, count: int,
          newline: str) -> str:
    """The earlier file's title and headline: a drawer naming the session (its
    AGENT_ID, title, STARTED and SESSION_ID, as the live file's drawer holds them, under other
    names: the file is no session) and the range moved."""
    props = headline.properties
    title = props.get("SESSION_TITLE") or props.get("TITLE")
    values = [("SESSION_TITLE", title), ("AGENT_ID", props.get("AGENT_ID")),
              ("SESSION_STARTED", props.get("STARTED")),
              ("SESSION_ID", props.get("SESSION_ID")),
              ("SESSION_OBJECTIVE", props.get("OBJECTIVE")),
              ("ENTRIES_FROM", format_timestamp(first) if first else None),
              ("ENTRIES_TO", format_timestamp(last) if last else None),
              ("ENTRIES", str(count))]
    lines = [f"#+TITLE: Earlier entries of {'a session' if not title else 'Session: ' + title}",
             f"#+OPTIONS: {EXPORT_OPTIONS}", "", "* Earlier entries", ":PROPERTIES:",
             *(format_property(k, v) for k, v in values if v), ":END:"]
    return newline.join(lines) + newline


class _Section:
    """A movable section's entries that may move, in file order: each one's order key
    (``seen``: the latest time of the section up to it), time, first line and end line
    (counted from the section's first line) and size in bytes; the section's text is
    the window ``base[offsets[0]:offsets[-1]]``, ``offsets`` where each line begins."""

    __slots__ = ("base", "end", "ends", "firsts", "offsets", "seen", "sizes", "start",
                 "times", "total")

    def __init__(self, base: str, start: int, end: int, offsets: list[int]) -> None:
        self.base, self.start, self.end, self.offsets = base, start, end, offsets
        size = offsets[-1] - offsets[0]
        self.firsts, self.ends, self.sizes = _column(size), _column(size), _column(size)
        self.seen: list[datetime] = []
        self.times: list[datetime | None] = []
        self.total = 0

    def add(self, seen: datetime, time: datetime | None, first: int, end: int,
            size: int) -> None:
        self.seen.append(seen)
        self.times.append(time)
        self.firsts.append(first)
        self.ends.append(end)
        self.sizes.append(size)
        self.total += size

    def pop(self) -> None:
        for column in (self.seen, self.times, self.firsts, self.ends):
            column.pop()
        self.total -= self.sizes.pop()

    def moved(self, count: int) -> list[tuple[int, int]]:
        """The windows of ``base`` of the first ``count`` entries, those that touch
        joined (whole lines: a window ends in a newline, but at the file's end)."""
        offsets = self.offsets
        windows: list[tuple[int, int]] = []
        for a, b in zip(self.firsts[:count], self.ends[:count], strict=True):
            if windows and windows[-1][1] == offsets[a]:
                windows[-1] = (windows[-1][0], offsets[b])
            else:
                windows.append((offsets[a], offsets[b]))
        return windows

    def kept(self, count: int) -> list[tuple[int, int]]:
        """The windows of ``base`` between and after the first ``count`` entries."""
        offsets = self.offsets
        windows = []
        at = offsets[0]
        for a, b in self.moved(count):
            if a > at:
                windows.append((at, a))
            at = b
        windows.append((at, offsets[-1]))
        return windows


def _column(size: int) -> list[int]:
    """An empty column of integers (offsets, lines, sizes) for a section of ``size``
    bytes: for one of :data:`LEAST` bytes or more, whose entries a rollover may move
    (hundreds of thousands of lines), an ``array`` (8 bytes an integer, where a list
    takes 36); else a list (issue 16, seventeenth round: importing ``array`` imports
    ``collections``, 4 ms of a write into a held file, which reads its small sections
    only to size them)."""
    if size < LEAST:
        return []
    from array import array

    return array("q")  # type: ignore[return-value]  # (as a list: append, index, slice)


def most_movable(doc: OrgFile, session: Headline) -> dict[int, int]:
    """At least as many bytes as :func:`_movable` finds in each movable section, by
    rank, without parsing an entry (issue 16, fourteenth round: a file held past the
    bound by what stays is no longer parsed whole at every write): 0 for a section
    of closed items only (:data:`CLOSED_ONLY`) that holds no ``[X]`` nor ``[x]``
    (no closed item), else the bytes of its body."""
    most: dict[int, int] = {}
    for rank, key in enumerate(MOVABLE):
        section = find_section(doc, session, key)
        if section is None or section.line == session.line or \
                section.body_start >= section.body_end:
            continue
        start, end = section.body_start, section.body_end
        if key in CLOSED_ONLY and not doc.holds(start, end, ("[X]", "[x]")):
            most[rank] = 0
            continue
        most[rank] = sum(_utf8_size(*window) for window in doc.windows(start, end))
    return most


def least_movable(doc: OrgFile, session: Headline, enough: int = LEAST) -> int:
    """At most as many bytes as :func:`_movable` finds, without parsing an entry: the
    one-line closed items the tool writes (``- [X] [...``, at the start of their line,
    the next line at column 0) in the sections of closed items only
    (:data:`CLOSED_ONLY`), from the section's start up to its first line that is
    neither an item (``- ``) nor indented, or indented before ``#``, ``:``, ``\\`` or
    ``[`` (what may open a container, which holds what follows); lines that hold any
    of :data:`_MARKS` (which may tie them to what stays) left out, and every line of
    a file holding a radio target (``<<<``). Characters are counted: no more than
    their bytes. Read only until ``enough`` bytes are found.

    No line is looked at one by one from Python: the line that ends what is read is
    found by one search (:func:`_first_held`), each run of closed items before it by
    counts (:func:`~ai_protocols.session.reading.closed_until`), the next run by
    ``str.find``: a section of open items or of a person's text, however big, costs
    a few passes in C (issue 16, fifteenth round)."""
    least = 0
    for key in CLOSED_ONLY:
        section = find_section(doc, session, key)
        if section is None or section.line == session.line or \
                section.body_start >= section.body_end:
            continue
        base, lo, hi = doc.window(section.body_start, section.body_end)
        if holds(base, "<<<"):
            return 0
        held = _first_held(base, lo, hi)  # (what is read ends there)
        at = lo  # (the start of a run of closed items)
        while at < held:
            place = closed_until(base, at, held)  # (the run's end: the next other line)
            if place > at:
                end = place
                if place < hi and base[place] in _GOES_ON:  # (its last item may go on)
                    end = max(base.rfind("\n", at, place - 1) + 1, at)
                least += end - at - _marked(base, at, end)
                if least >= enough:
                    return least
            # (the other lines up to the next closed item: passed over)
            at = base.find(_CLOSED_ITEM, place - 1, held) + 1 or held
    return least


#: How a closed item the tool writes begins, after the newline before it
#: (:func:`~ai_protocols.session.reading.closed_until` finds its runs).
_CLOSED_ITEM = "\n- [X] ["


def _first_held(base: str, lo: int, hi: int) -> int:
    """Where the first line of ``base[lo:hi]`` (whole lines, ``lo`` after a newline) that
    ends what :func:`least_movable` reads begins, or ``hi``: a line that is neither an
    item (``- ``) nor indented, or is indented before ``#``, ``:``, ``\\`` or ``[``
    (:data:`_HELD_LINE`: one search of the text in C, up to that line). A first line
    that begins with neither ``-`` nor white space is held without it: a section that
    opens with a person's text imports no :mod:`re` (a tenth of a ``log``'s time)."""
    if lo < hi and base[lo] not in "- \t":
        return lo
    end = hi - 1 if base[hi - 1] == "\n" else hi  # (not the line after: from its newline)
    found = _HELD_LINE.search(base, lo - 1, end)
    return hi if found is None else found.start() + 1


def _marked(base: str, start: int, end: int) -> int:
    """The characters of the lines of ``base[start:end]`` (whole lines) that hold any of
    :data:`_MARKS` (rare in the tool's entries)."""
    marked: set[int] = set()
    for mark in _MARKS:
        found = base.find(mark, start, end)
        while found >= 0:
            marked.add(base.rfind("\n", start, found) + 1 or start)
            found = base.find(mark, base.find("\n", found, end) + 1 or end, end)
    return sum((base.find("\n", one, end) + 1 or end) - one for one in marked)


def _movable(doc: OrgFile, session: Headline, most: dict[int, int]) -> dict[int, _Section]:
    """The entries that may move, by section rank: the top-level entries of the movable
    sections (an entry inside another's lines moves with it, or stays with it), each
    with ``order`` the latest time of its section up to it (so a section's entries go
    in file order, the sections interleaved by time). ``most``: what
    :func:`most_movable` gave; a section it gives 0 is not read."""
    found: dict[int, _Section] = {}
    for rank, key in enumerate(MOVABLE):
        if not most.get(rank):
            continue
        section = find_section(doc, session, key)
        if section is None or section.line == session.line:
            continue
        start, end = section.body_start, section.body_end
        if start >= end:
            continue
        base, lo, hi = doc.window(start, end)
        offsets = _column(hi - lo)
        offsets.append(lo)
        at = lo
        while at < hi:
            at = base.find("\n", at, hi) + 1 or hi
            offsets.append(at)
        lines = _Lines(base, offsets)
        count = len(offsets) - 1
        ascii_only = base.isascii()  # (then a character is a byte: sizes from offsets)
        kept = found[rank] = _Section(base, start, end, offsets)
        closed_only = key in CLOSED_ONLY
        reach = 0  # the end of the last entry's lines, from the section's first line
        seen = _EPOCH
        ties = _Ties(base, lo, hi, lines, doc.newline)
        for entry in iter_entries(iter(lines), doc.newline, 0):
            at = entry.line
            if at >= reach:
                ties.between(reach, at)
            if at < reach:  # (nested in the entry before: goes or stays with it)
                if entry.done is False and kept.firsts and \
                        kept.firsts[-1] < at < kept.ends[-1]:
                    kept.pop()  # (an open checkbox never moves, nor what holds one)
                continue
            if at + 1 < count and base[offsets[at + 1]:offsets[at + 1] + 1] not in _GOES_ON \
                    and base[offsets[at]:offsets[at] + 1] not in _GOES_ON:
                reach = at + 1  # (the tool's one-line item: the next line at column 0)
            else:
                reach = _entry_end(lines, at, doc.newline)
            if entry.time is not None and entry.time > seen:
                seen = entry.time
            if closed_only and entry.done is not True:
                continue
            if ties.holds(at, reach):
                continue  # (tied to what stays: a footnote, a name, a link, a container)
            if ascii_only:
                size = offsets[reach] - offsets[at]
            else:
                size = sum(len(line) if line.isascii() else len(line.encode("utf-8"))
                           for line in (lines[n] for n in range(at, reach)))
            kept.add(seen, entry.time, at, reach, size)
    return found


#: The affiliated keywords of Org's syntax (https://orgmode.org/worg/org-syntax.html,
#: "Affiliated keywords"; Org 9.5's ``org-element-affiliated-keywords``), and ``ATTR_*``.
_AFFILIATED = frozenset(("CAPTION", "DATA", "HEADER", "HEADERS", "LABEL", "NAME", "PLOT",
                         "RESNAME", "RESULT", "RESULTS", "SOURCE", "SRCNAME", "TBLNAME"))
#: Of those, the ones that only describe their element: they may move with it.
_DESCRIBING = frozenset(("CAPTION", "HEADER", "HEADERS", "PLOT"))
#: Link types whose target is the same from any file (no file's own text, no path
#: relative to the file's folder).
_ANYWHERE = frozenset(("http", "https", "ftp", "mailto", "news", "doi", "id", "info", "man",
                       "help", "irc", "rmail", "gnus", "bbdb", "w3m"))
#: What a plain link's path cannot begin with (Org syntax, "Plain links"), and the
#: beginnings of an absolute path (the same from any file).
_NO_PATH = ("", " ", "\t", "\n", "\r", "(", ")", "<", ">", "[", "]", "/", "~")
#: What may tie an entry's text to text elsewhere in its file, found by these strings
#: first (a quick scan of the section), each then looked at (:meth:`_Ties._tied`).
_MARKS = ("[fn:", "<<", "[[", "{{{", "call_", "(ref:", "#+",
          *("".join(case) + end for case in product("fF", "iI", "lL", "eE")
            for end in (":", "+")), "attachment:", "docview:")


class _Ties:
    """What of a movable section ties an entry to text that stays (docs/decisions.md,
    "Issue 16, eighth review (rollover and Org structure)"): an entry whose lines hold
    any of these stays where it is, so that Org reads each file as it read the one:

    - a footnote with a label (``[fn:1]``, ``[fn:name]``, ``[fn:name: text]``: a
      reference or a definition; its counterpart may be elsewhere); an anonymous
      inline one (``[fn:: text]``) is whole and moves;
    - a link target: ``<<target>>``, ``<<<radio target>>>`` (and any text of a radio
      target of the file, in any case and spacing: Org's link to it), a keyword line such as
      ``#+NAME:`` (any keyword line but ``#+CAPTION:``, ``#+ATTR_...:``,
      ``#+HEADER:``, ``#+PLOT:``, which describe the element after them, in the same
      entry), a code reference ``(ref:...)``;
    - a link resolved within the file or from its folder: a bracket link but to a URL
      or an ``id:`` (``[[name]]``, ``[[#id]]``, ``[[*heading]]``, ``[[file:rel]]``), a
      plain ``file:`` link to a relative path, a macro ``{{{...}}}``, an inline call
      ``call_NAME(...)``;

    and an entry stays when it is in a list an affiliated keyword line names
    (``#+NAME:`` right above an item names the whole list that begins there: its
    entries stay, up to the list's end), or when it is inside a block, a drawer or a
    footnote definition opened above it between the entries (Org's syntax: what such
    an element holds goes with it). The section's text is scanned once for
    :data:`_MARKS` (rare in the tool's entries: ``escape_inline`` breaks them)."""

    __slots__ = ("base", "lines", "marks", "named", "newline", "next", "until")

    def __init__(self, base: str, lo: int, hi: int, lines: _Lines, newline: str) -> None:
        self.base, self.lines, self.newline = base, lines, newline
        marks: list[int] = []
        for mark in _MARKS:
            at = base.find(mark, lo, hi)
            while at >= 0:
                if self._tied(mark.lower(), at):
                    marks.append(at)
                at = base.find(mark, at + 1, hi)
        if holds(base, "<<<"):  # (rare: no scan of the section for each word else)
            marks += _radio_uses(base, lo, hi)
        marks.sort()
        self.marks = marks
        self.next = 0  # the first mark not before the entries looked at so far
        self.until = 0  # entries before this line are inside a container
        self.named: int | None = None  # in a list an affiliated keyword names: its indent

    def _tied(self, mark: str, at: int) -> bool:
        """Whether the ``mark`` found at ``at`` is what :class:`_Ties` says ties."""
        base = self.base
        if mark == "[fn:":
            return base[at + 4:at + 5] != ":"
        if mark == "<<":
            return _TARGET.match(base, at) is not None and \
                not (at > 0 and base[at - 1] == "<")
        if mark == "[[":
            found = bracket_link(base, at)  # (Org's span: the one rule)
            return found is not None and not _travels(base[at + 2:found[0]])
        if mark in ("file:", "file+", "attachment:", "docview:", "call_"):
            if at > 0 and (base[at - 1].isalnum() or base[at - 1] == "_"):
                return False  # (no word of its own: "profile:")
            if mark == "call_":
                return _CALL.match(base, at) is not None
            colon = base.find(":", at, at + 16)  # (a plain link's path: no blank first)
            return colon >= 0 and base[colon + 1:colon + 2] not in _NO_PATH
        if mark == "#+":
            start = base.rfind("\n", 0, at) + 1
            if base[start:at].strip(" \t"):
                return False  # (not the line's first word: no keyword)
            found = _KEYWORD.match(base, at)
            if found is None:
                return False
            key = found.group(1).upper()
            return key not in _DESCRIBING and not key.startswith("ATTR_")
        return True  # ({{{, (ref:)

    def between(self, start: int, end: int) -> None:
        """Look at the lines ``start`` to ``end`` between two entries (a person's, which
        stay): a block, drawer or footnote definition opened there holds the entries
        up to its end; an affiliated keyword line right above an item (an entry or
        not) holds the entries of the list that begins there, up to its end (two blank
        lines, or a line that is no item indented no more than the list)."""
        lines = self.lines
        count = len(lines)
        blank = 0
        for index in range(start, end):
            line = lines[index]
            opened = line.lstrip(" \t")
            first = opened[:1]
            if index < self.until:
                pass  # (inside a container, or its closing line: no opener)
            elif first in ("#", ":"):
                close = _closing(lines, index, opened.rstrip("\r\n"), self.newline)
                if close is not None:
                    self.until = close + 1
            elif first == "[" and line.startswith("[fn:") and _FOOTNOTE.match(line):
                blanks = 0
                close = index + 1
                while close < count:  # (to the next definition or two blank lines)
                    after = lines[close]
                    if after.startswith("[fn:") and _FOOTNOTE.match(after):
                        break
                    blanks = blanks + 1 if not after.strip() else 0
                    if blanks == 2:
                        break
                    close += 1
                self.until = close
            named = self.named
            if named is not None:  # (a named list's end: Org manual, "Plain Lists")
                if not line.strip():
                    blank += 1
                    if blank >= 2:
                        self.named = None
                    continue
                blank = 0
                if _bullet_of(opened) is not None:
                    self.named = min(named, _indent(line))  # (the list's least indent)
                elif _indent(line) <= named:
                    self.named = None
            if self.named is None and first == "#" and index + 1 < count and \
                    _affiliated(opened):
                following = lines[index + 1]
                if _bullet_of(following.lstrip(" \t")) is not None:
                    self.named = _indent(following)  # (names the list that begins there)
        if self.named is not None and end < count:  # (the entry at end: an item)
            self.named = min(self.named, _indent(lines[end]))

    def holds(self, at: int, reach: int) -> bool:
        """Whether the entry of the lines ``at`` to ``reach`` must stay."""
        offsets = self.lines.offsets
        marks = self.marks
        index = self.next
        while index < len(marks) and marks[index] < offsets[at]:
            index += 1
        self.next = index
        return at < self.until or self.named is not None or \
            (index < len(marks) and marks[index] < offsets[reach])


def _radio_uses(base: str, lo: int, hi: int) -> list[int]:
    """Where, between ``lo`` and ``hi``, ``base`` holds the text of a radio target
    ``<<<TEXT>>>`` anywhere in ``base``: Org makes each such text a link to the target,
    in the file that holds it only, case-insensitively and across any run of blanks or
    a line break (Org manual, "Radio Targets"; ``org-update-radio-target-regexp``). A
    superset of Org's matches (no word boundaries asked): an entry that holds one
    stays, as the target does, so that the use stays a link."""
    import re

    texts = {m.group(0).strip("<>") for m in re.finditer(_TARGET.pattern, base)
             if m.group(0).startswith("<<<")}
    found: list[int] = []
    for text in texts:
        words = text.split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(map(re.escape, words)), re.IGNORECASE)
        found += [m.start() for m in pattern.finditer(base, lo, hi)]
    return found


def _affiliated(text: str) -> bool:
    """Whether ``text`` (a line without its indentation) is an affiliated keyword line."""
    found = _KEYWORD.match(text) if text[:2] == "#+" else None
    if found is None:
        return False
    key = found.group(1).upper()
    return key in _AFFILIATED or key.startswith("ATTR_")


def _bullet_of(text: str) -> int | None:
    """Whether ``text`` (a line without its indentation) begins a list item: its bullet's
    width (``-``, ``+``, ``*`` or ``1.``/``1)``, then a blank or the line's end), else
    ``None`` (Org syntax, "Plain Lists"; ``*`` at column 0 is a headline, never here)."""
    if text[:1] in ("-", "+", "*"):
        width = 1
    else:
        width = len(text) - len(text.lstrip("0123456789"))
        if not width or text[width:width + 1] not in (".", ")"):
            return None
        width += 1
    return width if text[width:width + 1] in ("", " ", "\t", "\n", "\r") else None


def _travels(path: str) -> bool:
    """Whether a bracket link to ``path`` leads to the same place from any file: a URL or
    an ``id:`` (:data:`_ANYWHERE`), or an absolute file name (``/...``, ``~...``, after
    ``file:`` or alone)."""
    if path[:1] in ("/", "~"):
        return True
    kind, colon, rest = path.partition(":")
    if not colon:
        return False
    kind = kind.lower()
    if kind in _ANYWHERE:
        return True
    return kind in ("file", "file+sys", "file+emacs", "docview") and rest[:1] in ("/", "~")


class _Lazy:
    """A pattern compiled when first used (no ``re`` on the hot paths)."""

    def __init__(self, pattern: str) -> None:
        self.pattern, self.compiled = pattern, None

    def match(self, text: str, at: int = 0):  # type: ignore[no-untyped-def]
        if self.compiled is None:
            import re

            self.compiled = re.compile(self.pattern)
        return self.compiled.match(text, at)

    def search(self, text: str, at: int, end: int):  # type: ignore[no-untyped-def]
        if self.compiled is None:
            import re

            self.compiled = re.compile(self.pattern)
        return self.compiled.search(text, at, end)


#: Org's targets: ``<<TARGET>>`` and ``<<<RADIO>>>``, no ``<``, ``>`` or newline in
#: them, no blank at either end (Org syntax, "Targets and Radio Targets").
_TARGET = _Lazy(r"<<<?(?:[^<>\n \t]|[^<>\n \t][^<>\n]*[^<>\n \t])>>")
#: A keyword line's key: ``#+KEY:`` or ``#+KEY[OPTIONAL]:`` (Org syntax, "Keywords").
_KEYWORD = _Lazy(r"#\+(\S+?)(?:\[[^\]\n]*\])?:")
#: A footnote definition's first line (Org syntax, "Footnote Definitions").
_FOOTNOTE = _Lazy(r"\[fn:[-_\w]+\]")
#: The newline before a line :func:`least_movable` stops at: neither an item (``- ``)
#: nor indented, or indented before ``#``, ``:``, ``\\`` or ``[``.
_HELD_LINE = _Lazy(r"\n(?!- |[ \t]+(?![ \t#:\\\[]))")
#: An inline call (Org syntax, "Inline Babel Calls").
_CALL = _Lazy(r"call_[^()\s]+(?:\[[^\]\n]*\])?\(")


def relink(ai_dir: str, doc: OrgFile, path: str, target: str, folder: str | None
           ) -> tuple[list[tuple[str, str]], list[str]]:
    """Before the session in ``path`` is written to ``target`` (an archive, an
    adoption): point each link of its ``Earlier entries`` section that names an
    earlier-entries file of the tool's (:func:`named_as_ours`) at the file from
    ``target``'s folder, the file being moved into ``folder`` first when given (the
    archive's) and when it is there and provably the tool's (:func:`is_ours`); only
    the link's path changes on its line. Returns the files to move, ``(from, to)``,
    and the link lines left as they are: those naming any other file or folder (a
    person's; a move of a file this tool did not write could take a project's file
    away)."""
    session = session_headline(doc)
    if session is None:
        return [], []
    moves = []
    left: list[str] = []
    links = earlier_links(doc, session, every=True)
    section = earlier_section(doc, session)
    if section is not None:  # (a person's own link there: said, left as it is)
        ours = {index for index, _, _ in links}
        for index in range(section.body_start, section.body_end):
            bare = strip_ending(doc.lines[index], doc.newline)
            if index not in ours and parse_earlier_link(bare.lstrip(" \t")) is not None:
                left.append(bare)
    done: set[int] = set()
    for index, bare, link in links:
        rel = link[0]
        old = os.path.normpath(os.path.join(parent(path), rel))
        there = os.path.lexists(old)
        if not is_own_earlier(path, old):  # (a person's link to another file: its path
            # rewritten below as any; said when it stands in the section)
            if section is not None and section.body_start <= index < section.body_end:
                left.append(bare)
            continue
        if not named_as_ours(ai_dir, old) or (there and not is_ours(ai_dir, old,
                                                                      edited=True)):
            left.append(bare)
            continue
        done.add(index)
        new = old
        if folder is not None and there:
            new = join(folder, os.path.basename(old))
            if (old, new) not in moves:  # (a line a person duplicated: moved once)
                moves.append((old, new))
        new_rel = os.path.relpath(new, parent(target))
        if new_rel != rel:
            item = bare.lstrip(" \t")
            whole = parse_earlier_link(item)
            search = whole[0][len(rel):] if whole is not None else ""  # (a ::SEARCH kept)
            moved = with_earlier_path(item, new_rel + search)
            if moved is not None:  # (only the path: its type as typed, the rest kept)
                doc.set_line(index, bare[:len(bare) - len(item)] + moved)
    if parent(path) != parent(target):  # (every other relative link: Issue 16, eighth)
        renamed = {os.path.normpath(os.path.abspath(old)): os.path.normpath(
            os.path.abspath(new)) for old, new in moves}  # (a link to a moved earlier file)
        move_links(doc, parent(path), parent(target), done, renamed)
    return moves, left
