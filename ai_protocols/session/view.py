"""``show``'s view of a session file: its sections' entries read while they are written,
the Log put in time order from them, no list of ``Entry`` held (issue 16, fifteenth
round; docs/performance.md).

:func:`read_view` reads what :func:`~ai_protocols.session.layout.read_session` reads,
but each section of entries is a :class:`Rows`: the place of each item of the tool's
own form on one line (``- [X] [YYYY-MM-DD Ddd HH:MM] text``, as
:func:`~ai_protocols.session.layout.iter_entries` tells it) in the file's text, and an
``Entry`` for every other item. Its JSON is cut from the item's line (the ISO time from
the timestamp's positions, ``org.syntax.own_parts``; the text escaped by ``json``'s C
function), and the Log's (:class:`LogRows`) is made as it is written, merged by time
from one sorted list of numbers. Both are sequences of ``Entry`` too, made one at a
time for any other reader. ``tests/test_show_fifteenth.py`` holds the output equal to
the whole read's.
"""

from __future__ import annotations

from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import (
    _OWN_CLOCKS,
    _OWN_DAYS,
    WJ,
    ZWSP,
    Entry,
    own_parts,
    own_time,
    unescape_inline,
)
from ai_protocols.session.layout import (
    _ITEM_PREFIXES,
    _OWN_BOXES,
    CURRENT_BOX,
    _entries,
    _general,
    _is_current,
    _item_prefix,
    _may_open_block,
    _session_of,
    _split,
    _summary_span,
    chronology_line,
    chronology_parts,
    find_section,
    goes_before,
    log_events,
    read_earlier,
    read_session,
    repeated_entries,
    session_headline,
    ticked_references,
)
from ai_protocols.session.model import (
    ITEM_SEPARATOR,
    OBJECT_SEPARATOR,
    SECTION_KINDS,
    Session,
    entry_json_text,
    log_json_text,
    string_encoder,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ai_protocols.org.file import Headline
    from ai_protocols.session.model import EntryKind

#: The minutes (``org.syntax.own_parts``) of an entry without a time: after every other.
_NO_TIME = 1 << 40
#: A key of the Log's order: ``((minutes << 3 | rank) << _INDEX) | index``.
_INDEX = 32
_LOW = (1 << _INDEX) - 1
#: How many entries' JSON texts are joined into one item of ``model.ObjectTexts``.
_BATCH = 2048


def _minutes(moment: object) -> int:
    """``own_parts``'s count of minutes for a ``datetime`` (:data:`_NO_TIME` for ``None``)."""
    if moment is None:
        return _NO_TIME
    return moment.toordinal() * 1440 + moment.hour * 60 + moment.minute  # type: ignore


def read_view(path: str, held: list[str]) -> Session:
    """:func:`~ai_protocols.session.layout.read_session` of the text in ``held`` (a
    list holding it alone, emptied), its sections of entries :class:`Rows` and its Log
    a :class:`LogRows`; the whole read itself for a file whose lines end in CRLF or
    whose Log repeats entries (an older layout), which the view does not read. Raises
    :class:`~ai_protocols.errors.UnreadableSession` as ``read_session`` does."""
    text = held.pop()
    doc = OrgFile(text)
    headline = session_headline(doc)
    log = find_section(doc, headline, "log") if headline is not None else None
    logged = _entries(doc, log) if log is not None and doc.newline == "\n" else []
    if headline is None or doc.newline != "\n" or repeated_entries(logged):
        del doc, logged
        return read_session(path, [text])  # (it raises what a file without a session does)
    del text
    session = _session_of(path, headline)
    references = ticked_references(logged)
    keys: list[int] = []
    sections = []
    for rank, kind in enumerate(SECTION_KINDS):
        section = find_section(doc, headline, kind.section)  # type: ignore[arg-type]
        rows = [] if section is None else Rows(doc, section, rank, kind, references, keys)
        session.entries[kind.kind] = rows  # type: ignore[assignment]
        sections.append(rows)
    progress = session.entries["progress"]
    if type(progress) is Rows:
        session.current = progress.current()
    summary = find_section(doc, headline, "summary")
    if summary is not None:
        start, end, summary_text = _summary_span(doc, summary)
        session.summary = summary_text if end > start else None
    session.earlier = read_earlier(doc, headline, path)
    session.log = LogRows(logged, sections, keys, session)  # type: ignore[assignment]
    return session


class Rows:
    """The entries of one section, as :func:`read_view` reads them: a sequence of
    ``Entry`` (each made when asked for), and :meth:`json_texts`, their JSON."""

    __slots__ = ("base", "doc", "first", "hi", "keys", "kind", "lo", "rank", "refs",
                 "the_current", "ticked", "wanted")

    def __init__(self, doc: OrgFile, section: Headline, rank: int, kind: EntryKind,
                 references: set[tuple[str, str]], keys: list[int]) -> None:
        self.doc = doc
        self.first = section.body_start
        if section.body_start < section.body_end:
            self.base, self.lo, self.hi = doc.window(section.body_start, section.body_end)
        else:
            self.base, self.lo, self.hi = "", 0, 0
        self.rank, self.kind, self.keys = rank, kind, keys
        #: Each entry: the offset in ``base`` of an item of the tool's own form on one
        #: line, or its ``Entry``; ``None`` until the section is read once.
        self.refs: list[int | Entry] | None = None
        #: The timestamps of the ticked items of this section that the Log's done lines
        #: name, and their texts, in file order (``layout._ticked``'s, for those alone).
        self.wanted = {stamp for title, stamp in references if title == kind.title}
        self.ticked: dict[tuple[str, str | None], list[str]] = {}
        self.the_current: tuple[int | Entry, Entry] | None = None

    # -- reading

    def _read(self, texts: bool) -> Iterator[str]:
        """Read the section once (:func:`~ai_protocols.session.layout.iter_entries`'s
        reading, from its window), setting :attr:`refs`, the Log's keys and the ticked
        texts wanted; with ``texts``, yield the entries' JSON texts on the way, a
        :data:`_BATCH` at a time (joined as ``model.ObjectTexts`` allows)."""
        base, lo, hi = self.base, self.lo, self.hi
        refs: list[int | Entry] = []
        keys: list[int] = []
        out: list[str] = []
        add, key, put = refs.append, keys.append, out.append
        rank = self.rank << _INDEX
        wanted, ticked, title = self.wanted, self.ticked, self.kind.title
        prefixes, days, clocks = _ITEM_PREFIXES, _OWN_DAYS, _OWN_CLOCKS
        encode = string_encoder()
        separator = ITEM_SEPARATOR
        tick = f'{separator}"done": true'
        untick = f'{separator}"done": false'
        run_at = -1  # the offset of the first line since the last quick item, and its number
        run_first = 0
        at, index = lo, self.first
        general: list[Entry] | None = None
        while at < hi:
            stop = base.find("\n", at, hi)
            following = hi if stop == -1 else stop + 1
            inline = None
            if base.startswith("- [", at):
                close = base.find("]", at + 7 if base.startswith("] [", at + 4) else at + 3,
                                  following) + 1 - at
                if close > 0 and base.startswith(" ", at + close) and \
                        (following >= hi or base[following] not in " \t\n"):
                    line = base[at:following]
                    day = clock = None
                    if close == 24 or (close == 28 and line[3:6] in _OWN_BOXES):
                        day = days.get(line[close - 22:close - 6])
                        clock = clocks.get(line[close - 6:close])
                        if day is None or clock is None:  # (not yet seen, or no own stamp)
                            own = own_parts(line[close - 22:close])
                            day = clock = None
                            if own is not None:
                                day, clock = (own[0][:11], own[1]), ("", 0)
                    if clock is not None:
                        inline = line[close:].strip(" \t\n")
                    else:
                        prefix = line[:close]
                        known = prefixes.get(prefix, False)
                        if known is False:
                            known = _item_prefix(prefix)
                        if known is not None:
                            inline = line[close:].strip(" \t\n")
            if not inline:
                if run_at < 0:
                    run_at, run_first = at, index
            else:
                if run_at >= 0:
                    lines = _split(base[run_at:at])
                    if _may_open_block(lines, 0, len(lines)):
                        general = _general(_split(base[run_at:hi]), run_first)
                        break
                    for entry in _general(lines, run_first):
                        self._entry_row(entry, refs, keys, put if texts else None)
                    run_at = -1
                if ZWSP in inline or WJ in inline:
                    inline = unescape_inline(inline)
                if clock is not None:  # (the tool's own item: no Entry)
                    boxed = close == 28
                    done = boxed and line[3] == "X"
                    if done and wanted and line[close - 22:close] in wanted:
                        ticked.setdefault((title, line[close - 22:close]), []).append(inline)
                    key((((day[1] + clock[1]) << 3) << _INDEX) + rank + len(refs))
                    add(at)
                    if texts:
                        put(f'"time": "{day[0]}{line[close - 6:close - 1]}"{separator}'
                            f'"text": {encode(inline)}'
                            f'{(tick if done else untick) if boxed else ""}')
                        if len(out) >= _BATCH:
                            yield OBJECT_SEPARATOR.join(out)
                            out.clear()
                else:
                    time, done, box, stamp = known  # type: ignore[misc]
                    self._entry_row(Entry(time, inline, done, None, index, box, stamp), refs,
                                    keys, put if texts else None)
            at = following
            index += 1
        else:
            if run_at >= 0:
                general = _general(_split(base[run_at:hi]), run_first)
        for entry in general or ():
            self._entry_row(entry, refs, keys, put if texts else None)
        if out:
            yield OBJECT_SEPARATOR.join(out)
        self.refs = refs
        self.keys += keys

    def _entry_row(self, entry: Entry, refs: list[int | Entry], keys: list[int],
                   put: Callable[[str], None] | None) -> None:
        """Add ``entry`` (an item not of the tool's own one-line form) to the rows, and
        its JSON text through ``put``."""
        if entry.done and entry.stamp in self.wanted:
            self.ticked.setdefault((self.kind.title, entry.stamp), []).append(entry.text)
        keys.append((((_minutes(entry.time) << 3) + self.rank) << _INDEX) + len(refs))
        refs.append(entry)
        if put is not None:
            put(entry_json_text(entry))

    def read(self) -> list[int | Entry]:
        """:attr:`refs`, the section read once first when it was not."""
        if self.refs is None:
            for _ in self._read(False):
                pass
        return self.refs  # type: ignore[return-value]

    def _line(self, at: int) -> tuple[str, int]:
        """The line of the quick item at ``at`` (without its newline), and its ``close``
        (the end of its timestamp, as :meth:`_read` found it)."""
        base = self.base
        stop = base.find("\n", at, self.hi)
        line = base[at:self.hi if stop == -1 else stop]
        return line, 28 if line.startswith("] [", 4) else 24

    def _text(self, at: int) -> tuple[str, int, str]:
        """The quick item at ``at``: its line, its ``close`` and its text."""
        line, close = self._line(at)
        inline = line[close:].strip(" \t\n")
        return line, close, unescape_inline(inline) if ZWSP in inline or WJ in inline else inline

    def entry(self, ref: int | Entry) -> Entry:
        """The ``Entry`` of a row (:attr:`refs`)."""
        if type(ref) is not int:
            return ref  # type: ignore[return-value]
        if self.the_current is not None and self.the_current[0] == ref:
            return self.the_current[1]  # (the same object: ``show`` marks it by identity)
        line, close, text = self._text(ref)  # type: ignore[arg-type]
        stamp = line[close - 22:close]
        boxed = close == 28
        return Entry(own_time(stamp), text, line[3] == "X" if boxed else None, None,
                     self.first + self.base.count("\n", self.lo, ref),  # type: ignore[arg-type]
                     2 if boxed else None, stamp)

    def current(self) -> Entry | None:
        """The step in progress, as ``layout._current`` finds it: the last open item
        whose checkbox is :data:`~ai_protocols.session.layout.CURRENT_BOX` (none when
        the section's text holds none, without reading the section)."""
        if self.base.find(CURRENT_BOX, self.lo, self.hi) == -1:
            return None
        for ref in reversed(self.read()):
            if type(ref) is int:
                if self.base.startswith("- [-] ", ref):  # type: ignore[arg-type]
                    found = self.entry(ref)
                    self.the_current = (ref, found)
                    return found
            elif ref.done is False and _is_current(self.doc, ref):  # type: ignore[union-attr]
                self.the_current = (ref, ref)  # type: ignore[assignment]
                return ref  # type: ignore[return-value]
        return None

    # -- what readers see

    def json_texts(self) -> Iterator[str]:
        """The entries' JSON objects' items as text (``model.ObjectTexts``'s items)."""
        if self.refs is None:
            yield from self._read(True)
            return
        refs = self.refs
        for at in range(0, len(refs), _BATCH):
            yield OBJECT_SEPARATOR.join([entry_json_text(self.entry(ref))
                                         for ref in refs[at:at + _BATCH]])

    def log_entry(self, ref: int | Entry) -> Entry:
        """The Log's ``Entry`` for the row ``ref`` (as ``layout.chronology`` makes it)."""
        entry = self.entry(ref)
        return Entry(entry.time, chronology_line(self.kind.kind, entry.text), None, None,
                     entry.line, None, entry.stamp)

    def __iter__(self) -> Iterator[Entry]:
        return map(self.entry, self.read())

    def __len__(self) -> int:
        return len(self.read())

    def __bool__(self) -> bool:
        return self.lo < self.hi and bool(self.read())

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        refs = self.read()
        if isinstance(index, slice):
            return [self.entry(ref) for ref in refs[index]]
        return self.entry(refs[index])

    def __reversed__(self) -> Iterator[Entry]:
        return map(self.entry, reversed(self.read()))


class LogRows:
    """The Log as ``layout.chronology`` orders it, made as it is read: a sequence of
    ``Entry``, and :meth:`json_texts`, their JSON."""

    __slots__ = ("keys", "logged", "sections", "session")

    def __init__(self, logged: list[Entry], sections: list[Rows | list[Entry]],
                 keys: list[int], session: Session) -> None:
        self.logged, self.sections, self.keys, self.session = logged, sections, keys, session

    def _order(self) -> tuple[list[Entry], dict[int, Rows], Iterator[int]]:
        """The Log's lines as ``layout.log_events`` makes them, the sections' rows by
        rank, and the order of the whole: for each item in time order, the key of a
        section's entry (``((minutes << 3 | rank) << 32) | index``, at least 0) or ``~at``
        for the Log's line ``events[at]``."""
        rows = [rows for rows in self.sections if type(rows) is Rows]
        for each in rows:
            each.read()
        self.keys.sort()  # (in place: no two equal)

        def ticked() -> dict[tuple[str, str | None], list[str]]:
            found: dict[tuple[str, str | None], list[str]] = {}
            for each in rows:  # (copies: log_events takes the texts out as it uses them)
                found.update((key, list(texts)) for key, texts in each.ticked.items())
            return found

        events = log_events(self.logged, ticked, self.session.earlier)
        return events, {each.rank: each for each in rows}, self._merged(events)

    def _merged(self, events: list[Entry]) -> Iterator[int]:
        times = [None if event.time is None else _minutes(event.time) for event in events]
        count = len(events)
        at = 0
        for key in self.keys:
            minutes = key >> (_INDEX + 3)
            if minutes != _NO_TIME:
                while at < count and goes_before(events, times, at, minutes):
                    yield ~at
                    at += 1
            yield key
        for rest in range(at, count):
            yield ~rest

    def json_texts(self) -> Iterator[str]:
        """The JSON objects' items of the Log's lines as text (``model.ObjectTexts``), a
        :data:`_BATCH` at a time."""
        events, by_rank, order = self._order()
        out: list[str] = []
        put = out.append
        encode = string_encoder()
        separator = ITEM_SEPARATOR
        days = _OWN_DAYS
        for key in order:
            if key < 0:
                put(log_json_text(events[~key]))
            else:
                rows = by_rank[(key >> _INDEX) & 7]
                ref = rows.refs[key & _LOW]  # type: ignore[index]
                if type(ref) is int:
                    base = rows.base
                    stop = base.find("\n", ref, rows.hi)
                    line = base[ref:rows.hi if stop == -1 else stop]  # type: ignore[misc]
                    close = 28 if line.startswith("] [", 4) else 24
                    text = line[close:].strip(" \t\n")
                    if ZWSP in text or WJ in text:
                        text = unescape_inline(text)
                    day = days.get(line[close - 22:close - 6])
                    time = f"{day[0]}{line[close - 6:close - 1]}" if day is not None else \
                        own_parts(line[close - 22:close])[0]  # type: ignore[index]
                    kind, shown = chronology_parts(rows.kind.kind, text)
                    put(f'"time": "{time}"{separator}"kind": {encode(kind)}{separator}'
                        f'"text": {encode(shown)}')
                else:
                    put(log_json_text(rows.log_entry(ref)))
            if len(out) >= _BATCH:
                yield OBJECT_SEPARATOR.join(out)
                out.clear()
        if out:
            yield OBJECT_SEPARATOR.join(out)

    def __iter__(self) -> Iterator[Entry]:
        events, by_rank, order = self._order()
        for key in order:
            if key < 0:
                yield events[~key]
            else:
                rows = by_rank[(key >> _INDEX) & 7]
                yield rows.log_entry(rows.refs[key & _LOW])  # type: ignore[index]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return list(self)[index]

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(list(self))

