"""The Log's chronology: the order of its lines (:func:`chronology`), entries logged twice
(:class:`Repeats`), the Log's events, the ticked items' references,
and where an entry goes among the Log's (:func:`goes_before`).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

from ai_protocols.lean import datetime
from ai_protocols.org.syntax import Entry, parse_entries
from ai_protocols.session.model import SECTION_KINDS, EarlierEntries, Session
from ai_protocols.session.sections import (
    _EPOCH,
    _OPENING,
    _SECTION_KIND_NAMES,
    _done_by_text,
    _done_reference,
)
from ai_protocols.session.text import preview

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any, BinaryIO


class Repeats:
    """The texts of an older file's Log lines of one kind and minute, in order. Taking
    one out does what ``texts.remove(text if text in texts else texts[0])`` does on the
    list, without scanning it: a big file's Log may repeat thousands of entries of one
    minute (``tests/test_big_files.py`` holds the two equal)."""

    __slots__ = ("first", "left", "taken", "texts", "where")

    def __init__(self) -> None:
        self.texts: list[str] = []
        # Each text's places not taken yet: one place, or a list of them (in order).
        self.where: dict[str, int | list[int]] = {}
        self.taken: list[bool] = []
        self.first = 0  # no text before it is left
        self.left = 0

    def add(self, text: str) -> None:
        place = len(self.texts)
        known = self.where.get(text)
        if known is None:
            self.where[text] = place
        elif type(known) is int:
            self.where[text] = [known, place]
        else:
            known.append(place)  # type: ignore[union-attr]
        self.texts.append(text)
        self.taken.append(False)
        self.left += 1

    def take(self, text: str) -> None:
        """Take out ``text`` (its first place), or the first text left when it has none
        (call only while some are left)."""
        if text not in self.where:
            while self.taken[self.first]:
                self.first += 1
            text = self.texts[self.first]  # (its first place is this one: none is before)
        known = self.where[text]
        if type(known) is int:
            del self.where[text]
            place = known
        else:
            place = known.pop(0)  # type: ignore[union-attr]
            if not known:
                del self.where[text]
        self.taken[place] = True
        self.left -= 1


def chronology(session: Session, logged: list[Entry]) -> list[Entry]:
    """Every event of the session in time order, each as ``kind: text``: the Log
    section's lines (``logged``), in their order, with the entries of the other
    sections merged in by time; the Log no longer repeats those (their text is in
    the file once). An entry that an older file's Log repeats (a line of its kind
    and minute, of the same text if there is one) is counted once. A ``done``
    line that names its item by section and timestamp gets that item's text (one
    that names it by its text, that text). An entry goes after the Log lines of
    earlier minutes and after the ``start``, ``resumed`` and ``adopted`` lines its
    minute begins with; entries of one minute in the order ``log`` writes them;
    entries without a time at the end. ``show``'s view (:mod:`ai_protocols.session.view`)
    makes the same from :func:`repeated_entries`, :func:`log_events`,
    :func:`chronology_line` and :func:`goes_before`, without a list of the entries."""
    repeated = repeated_entries(logged)
    entries: list[Entry] = []
    keys: list[tuple[bool, datetime, int, int]] = []  # (each entry's place in time order)
    for rank, kind in enumerate(SECTION_KINDS):
        name = kind.kind
        for entry in session.items(name):
            line = chronology_line(name, entry.text)
            time = entry.time
            if repeated:
                lines = repeated.get((time, name))
                if lines is not None and lines.left:
                    lines.take(line)
                    continue
            entries.append(Entry(time, line, None, None, entry.line, None, entry.stamp))
            keys.append((time is None, time or _EPOCH, rank, entry.line))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # (no two keys are equal)
    del keys
    entries = [entries[at] for at in order]
    del order
    events = log_events(logged, lambda: _ticked(session), session.earlier)
    times = [event.time for event in events]
    merged: list[Entry] = []
    at = 0
    for entry in entries:
        while at < len(events) and entry.time is not None and \
                goes_before(events, times, at, entry.time):
            merged.append(events[at])
            at += 1
        merged.append(entry)
    return merged + events[at:]


def repeated_entries(logged: list[Entry]) -> dict[tuple[datetime | None, str], Repeats]:
    """An older file's Log lines for entries (``logged``: the Log's), by time and kind:
    each stands for one entry of that kind and minute (the same text first: a person
    may have edited it); none in the layout ``log`` writes now."""
    repeated: dict[tuple[datetime | None, str], Repeats] = {}
    for logged_entry in logged:
        kind_name = logged_entry.text.partition(": ")[0]
        if kind_name in _SECTION_KIND_NAMES:
            key = (logged_entry.time, kind_name)
            (repeated.get(key) or repeated.setdefault(key, Repeats())).add(logged_entry.text)
    return repeated


def chronology_line(name: str, text: str) -> str:
    """How :func:`chronology` shows an entry of the kind ``name`` and the text ``text``:
    ``name: preview``."""
    return f"{name}: {quick_preview(text)}".rstrip()


def chronology_parts(name: str, text: str) -> tuple[str, str]:
    """:func:`chronology_line` split at its first ``": "`` (the kind and the text of its
    line in ``show --json``'s Log), without the line when ``name`` is a kind's."""
    shown = quick_preview(text)
    if shown and not shown[-1].isspace() and ": " not in name:  # (no rstrip to do)
        return name, shown
    kind, _, shown = chronology_line(name, text).partition(": ")
    return kind, shown


def log_events(logged: list[Entry], ticked: Callable[[], dict[tuple[str, str | None], list[str]]],
               earlier: list[EarlierEntries]) -> list[Entry]:
    """The Log's lines (``logged``) as :func:`chronology` shows them: each ``done`` line
    that names its item by section and timestamp with that item's text, taken in
    order from ``ticked()`` (:func:`_ticked`'s texts, asked for once, at the first such
    line), or, for a Progress item a rollover moved, from the ``earlier`` files."""
    events: list[Entry] = []
    add = events.append
    found_ticked = None  # (made for the first done line that names its item by time)
    moved: list[tuple[int, str]] = []  # done lines whose Progress item a rollover moved
    for entry in logged:
        text = entry.text
        if not text.startswith("done: "):
            # (read as a Log line is, with no checkbox or rationale: the entry itself)
            add(entry if entry.done is None and entry.rationale is None and
                entry.box is None else Entry(entry.time, text, line=entry.line,
                                             stamp=entry.stamp))
            continue
        reference = _done_reference(text)
        by_text = _done_by_text(text) if reference is None else None
        if reference:
            if found_ticked is None:
                found_ticked = ticked()
            candidates = found_ticked.get((reference[0], f"[{reference[1]}]"))
            if candidates:
                text = f"done: {preview(candidates.pop(0))}".rstrip()
            elif earlier and reference[0] == "Progress":  # (its item moved)
                moved.append((len(events), f"[{reference[1]}]"))
        elif by_text:
            text = f"done: {by_text[1]}"
        add(Entry(entry.time, text, line=entry.line, stamp=entry.stamp))
    if moved:
        found = moved_ticked(earlier, {stamp for _, stamp in moved})
        for at, stamp in moved:
            if found.get(stamp):
                old = events[at]
                events[at] = Entry(old.time, f"done: {preview(found[stamp].pop(0))}".rstrip(),
                                   line=old.line, stamp=old.stamp)
    return events


def ticked_references(logged: list[Entry]) -> set[tuple[str, str]]:
    """The items the Log's ``done`` lines (``logged``) name by section title and
    timestamp (``("Progress", "[2026-11-22 Sun 09:05]")``): the only ones whose text
    :func:`log_events` may ask :func:`_ticked` for."""
    found = set()
    for entry in logged:
        reference = _done_reference(entry.text)
        if reference:
            found.add((reference[0], f"[{reference[1]}]"))
    return found


#: How much of an earlier-entries file :func:`moved_ticked` reads at a time (bytes).
_BLOCK = 1 << 20


def moved_ticked(earlier: list[EarlierEntries], stamps: set[str]) -> dict[str, list[str]]:
    """The texts of the ticked Progress items, by timestamp (``[2026-11-22 Sun 09:05]``,
    those in ``stamps``), that a rollover moved to the ``earlier`` files (oldest file
    first, file order): for the Log's ``done`` lines that name their item by section and
    timestamp (plain ``show``). Only the Progress section of each file is read, a
    mebibyte at a time (the memory is a block's, whatever the file's size), and only
    the items the tool writes, ``- [X] [stamp] ...`` at the start of a line, are
    looked at: a person's item found nowhere keeps its ``done: Progress item of ...``
    line. A file that is missing or unreadable is passed over."""
    found: dict[str, list[str]] = {}
    wanted = {stamp.encode("utf-8") for stamp in stamps}
    for file in earlier:
        try:
            with open(file.path, "rb") as source:
                _ticked_in(source, wanted, found)
        except OSError:
            continue
    return found


def _ticked_in(source: BinaryIO, wanted: set[bytes], found: dict[str, list[str]]) -> None:
    """:func:`moved_ticked` of one open file (``source``, read in blocks)."""
    start = b":CUSTOM_ID: progress\n:END:\n"
    carry = b""
    begun = False
    while True:
        block = source.read(_BLOCK)
        text = carry + block
        if not begun:
            at = text.find(start)
            if at == -1:
                if not block:
                    return
                carry = text[-len(start):]
                continue
            text = b"\n" + text[at + len(start):]
            begun = True
        stop = text.find(b"\n** ")  # (the next section: Progress is done)
        last = not block or stop != -1
        if last:
            part, carry = (text if stop == -1 else text[:stop + 1]), b""
        else:  # (up to the start of the last item, which may go on in the next block)
            cut = text.rfind(b"\n- ")
            part, carry = (text, b"") if cut <= 0 else (text[:cut + 1], text[cut:])
        at = part.find(b"\n- [X] [")
        while at != -1:
            close = part.find(b"]", at + 8)
            stamp = part[at + 7: close + 1]
            end = part.find(b"\n- ", at + 1)
            end = len(part) if end == -1 else end + 1
            if stamp in wanted:
                item = part[at + 1: end].decode("utf-8", "replace").split("\n")
                lines = [line + "\n" for line in item[:-1]] + ([item[-1]] if item[-1] else [])
                entries = parse_entries(lines, 0, len(lines))
                if entries and entries[0].done and entries[0].line == 0:
                    found.setdefault(stamp.decode("utf-8"), []).append(entries[0].text)
            at = part.find(b"\n- [X] [", end - 1)
        if last:
            return


def _ticked(session: Session) -> dict[tuple[str, str | None], list[str]]:
    """The texts of the ticked items of every section, by section title and timestamp,
    in file order."""
    ticked: dict[tuple[str, str | None], list[str]] = {}
    for kind in SECTION_KINDS:
        for entry in session.items(kind.kind):
            if entry.done:
                ticked.setdefault((kind.title, entry.stamp), []).append(entry.text)
    return ticked


def quick_preview(text: str) -> str:
    """:func:`~ai_protocols.session.text.preview` of ``text``, which is ``text`` itself
    when it is one printable line (no control character, no white space but single
    spaces between words) of at most 100 characters without ``::`` (a description
    list's tag), and its first 99 characters (white space at their end dropped) and
    ``…`` when such a line is longer: a big file's Log holds a hundred thousand such
    texts. ``tests/test_big_files.py`` holds the two equal."""
    if text.isprintable() and "  " not in text and "::" not in text \
            and text[:1] not in ("", " ") and text[-1] != " ":
        return text if len(text) <= 100 else text[:99].rstrip() + "…"
    return preview(text)


def goes_before(events: list[Entry], times: list[Any], at: int, moment: Any) -> bool:
    """Whether the Log line ``events[at]`` goes before an entry of ``moment``: it is of
    an earlier minute, has no time (it follows the line before it), or is among the
    ``start``, ``resumed`` or ``adopted`` lines that begin ``moment``'s minute. ``times``
    holds the lines' times, as ``moment`` is given (``datetime``, or a count of minutes,
    in the same order), ``None`` for none."""
    time = times[at]
    if time is None or time < moment:
        return True
    if time > moment:
        return False
    back = at
    while back >= 0 and times[back] == moment:
        if events[back].text.partition(": ")[0] not in _OPENING:
            return False
        back -= 1
    return True
