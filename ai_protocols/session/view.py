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

from itertools import accumulate, chain, compress, count, islice, repeat

try:  # (the C module operator.py takes its functions from)
    from _operator import add, and_, floordiv, itemgetter, lt, mod, mul, rshift
except ImportError:  # pragma: no cover - a Python without it
    from operator import add, and_, floordiv, itemgetter, lt, mod, mul, rshift

from ai_protocols.lean import date, digits
from ai_protocols.org.file import OrgFile, bisect_left  # (_bisect's: no bisect.py)
from ai_protocols.org.syntax import (
    WJ,
    ZWSP,
    Entry,
    own_clock,
    own_day,
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
    from collections.abc import Iterator

    from ai_protocols.org.file import Headline
    from ai_protocols.session.model import EntryKind

#: The minutes (``org.syntax.own_parts``) of an entry without a time: after every other.
_NO_TIME = 1 << 40
#: An entry's key in the Log's order: its minutes, its section's rank, its row (its
#: place in :class:`_Table`), whether it is a quick item whose text a bulk read found
#: :func:`_printable` with nothing to escape (2: ``plain``), and whether it is an
#: ``Entry`` (1) or a quick item (0):
#: ``minutes << _MINUTES | rank << _RANK | row << 2 | plain | entry``. No two are equal.
_RANK = 33
_MINUTES = 36
_ROW = (1 << 31) - 1
_PLAIN = 2
#: A quick item's place (:class:`_Table`): ``start << 32 | end``.
_END = (1 << 32) - 1
#: How many entries' JSON texts are joined into one item of ``model.ObjectBatches``, and
#: how many bytes of a section a bulk read takes at a time (about 2,000 items).
_BATCH = 2048
_BLOCK = 1 << 18
#: The fewest items of one kind in a row of the Log that are written in bulk.
_RUN = 4
_CLOCKS = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(1440))
_HALF = (1).__add__  # (a line's length and its newline)
#: How a decision's rationale, a nested item, begins (``org.syntax.parse_entries``).
_RATIONALE = "  - Rationale: "
#: The ASCII characters ``str.isprintable`` refuses but the newline (which parts lines).
_CONTROLS = tuple(chr(code) for code in (*range(10), *range(11, 32), 127))
#: The beginnings of a Log object's JSON text: its time's day (``_DAYS``) and its clock
#: time up to its kind, by minute of the day.
_LOG_CLOCKS = tuple(f'{clock}"{ITEM_SEPARATOR}"kind": ' for clock in _CLOCKS)
_LOG_JSON = "{}{}{}" + ITEM_SEPARATOR + '"text": {}'


class _DayTexts(dict):  # type: ignore[type-arg]
    """A Log object's JSON text up to its day's ISO text (``"time": "2026-11-21T``), by
    the day's ordinal, made when first asked for."""

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = f'"time": "{date.fromordinal(ordinal).isoformat()}T'
        return text


#: What stands for the ``…`` that ends a Log text cut at 100 characters in a batch of
#: the Log's JSON while it is made (a control character: never in a text written between
#: quotes as it is, nor in a JSON text, where ``json`` escapes it), so that a batch of
#: ASCII texts stays ASCII (one ``…`` made the whole batch UCS-2, and its UTF-8 encoding
#: ~10 instructions a character); :func:`_given` puts it back, in the UTF-8 bytes.
_CUT = "\x00"
_CUT_UTF8 = "…".encode()


def _given(batch: str) -> str | bytes:
    """A batch of the Log's JSON as ``LogRows.json_texts`` gives it: itself, or, when it
    holds a cut text (:data:`_CUT`), its UTF-8 bytes with the ``…`` put back
    (``cli.output.json_pieces`` writes them as they are)."""
    if _CUT not in batch:
        return batch
    return batch.encode().replace(b"\x00", _CUT_UTF8)


def _minutes(moment: object) -> int:
    """``own_parts``'s count of minutes for a ``datetime`` (:data:`_NO_TIME` for ``None``)."""
    if moment is None:
        return _NO_TIME
    return moment.toordinal() * 1440 + moment.hour * 60 + moment.minute  # type: ignore


def _printable(joined: str, texts: list[str], doubled: bool | None = None) -> bool:
    """Whether each of ``texts`` (the tool's own items' texts, or their lines, without
    white space at either end; ``joined``, them joined by newlines, and ``doubled``,
    whether it holds ``"  "`` when known) is its own Log
    preview up to its 100th character (``layout.quick_preview``: printable, no ``"  "``
    nor ``"::"``), and so its own JSON string's content but for a ``"`` or ``\\``
    (``json`` escapes those and the control characters): looked for in ``joined`` by
    ``str``'s C search; a text of other than ASCII, each by ``str.isprintable``."""
    if ("  " in joined if doubled is None else doubled) or "::" in joined:
        return False
    if joined.isascii():
        return not any(map(joined.__contains__, _CONTROLS))
    return all(map(str.isprintable, texts))


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
    table = _Table()
    sections = []
    for rank, kind in enumerate(SECTION_KINDS):
        section = find_section(doc, headline, kind.section)  # type: ignore[arg-type]
        rows = [] if section is None else Rows(doc, section, rank, kind, references, table)
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
    session.log = LogRows(logged, sections, table, session)  # type: ignore[assignment]
    return session


class _Table:
    """What the view keeps of each entry of every section, by row (in the order read):
    for a quick item, where its text (white space at either end left out) begins and
    ends in its section's text, as one number (``start << 32 | end``: a list of
    ints, not an ``array``, whose module imports ``collections.abc``); for any other,
    ``-1`` and its ``Entry``; and
    each entry's key in the Log's order."""

    __slots__ = ("block_rows", "blocks", "clock_keys", "clocks", "day_keys", "days", "entries",
                 "keys", "log_clocks", "log_days", "places", "quoted_clocks", "rationales")

    def __init__(self) -> None:
        self.places: list[int] = []
        self.entries: dict[int, Entry] = {}
        #: The blocks ``Rows._bulk`` read: their first rows, in order, and for each the
        #: row after its last, where its timestamps close, whether it is of decisions
        #: with their rationales; and the Log's texts of the days and clock times
        #: (``_DAYS``, ``_LOG_CLOCKS``) by the part of the line that holds them.
        self.block_rows: list[int] = []
        self.blocks: list[tuple[int, int, bool]] = []
        self.log_days: dict[str, str] = {}
        self.log_clocks: dict[str, str] = {}
        #: The place of the rationale of a quick item that has one (its own line,
        #: ``  - Rationale: TEXT``: a decision a bulk read took), by row, as in
        #: :attr:`places`.
        self.rationales: dict[int, int] = {}
        self.keys: list[int] = []
        #: What a bulk read (``Rows._bulk``) found of the days and clock times of
        #: timestamps, by the part of the line that holds them: ``org.syntax.own_day``
        #: and ``own_clock``'s ISO texts in an entry's JSON (``"time": "2026-11-21T``,
        #: ``10:02",\n      "text": ``, and that with the text's ``"``), and their minutes
        #: shifted into a key's place.
        self.days: dict[str, str] = {}
        self.clocks: dict[str, str] = {}
        self.quoted_clocks: dict[str, str] = {}
        self.day_keys: dict[str, int] = {}
        self.clock_keys: dict[str, int] = {}


class Rows:
    """The entries of one section, as :func:`read_view` reads them: a sequence of
    ``Entry`` (each made when asked for), and :meth:`json_texts`, their JSON."""

    __slots__ = ("base", "doc", "first", "hi", "kind", "lo", "rank", "rows", "table",
                 "the_current", "ticked", "wanted")

    def __init__(self, doc: OrgFile, section: Headline, rank: int, kind: EntryKind,
                 references: set[tuple[str, str]], table: _Table) -> None:
        self.doc = doc
        self.first = section.body_start
        if section.body_start < section.body_end:
            self.base, self.lo, self.hi = doc.window(section.body_start, section.body_end)
        else:
            self.base, self.lo, self.hi = "", 0, 0
        self.rank, self.kind, self.table = rank, kind, table
        #: The rows of :attr:`table` that are this section's; ``None`` until read once.
        self.rows: range | None = None
        #: The timestamps of the ticked items of this section that the Log's done lines
        #: name, and their texts, in file order (``layout._ticked``'s, for those alone).
        self.wanted = {stamp for title, stamp in references if title == kind.title}
        self.ticked: dict[tuple[str, str | None], list[str]] = {}
        self.the_current: tuple[int, Entry] | None = None

    # -- reading

    def _read(self, texts: bool) -> Iterator[str]:
        """Read the section once (:func:`~ai_protocols.session.layout.iter_entries`'s
        reading, from its window), adding its rows to :attr:`table` and the ticked
        texts wanted; with ``texts``, yield the entries' JSON texts on the way, a
        :data:`_BATCH` at a time (``model.ObjectBatches``'s items). A part of the
        section whose every line is a quick item of one form is read in bulk
        (:meth:`_bulk`)."""
        base, lo, hi = self.base, self.lo, self.hi
        table = self.table
        first_row = len(table.places)
        out: list[str] = []
        put = out.append
        wanted, ticked, title = self.wanted, self.ticked, self.kind.title
        prefixes, days, clocks = _ITEM_PREFIXES, own_day, own_clock
        encode = string_encoder()
        separator = ITEM_SEPARATOR
        tick = f'{separator}"done": true'
        untick = f'{separator}"done": false'
        rank = self.rank << _RANK
        places, keys = table.places, table.keys
        run_at = -1  # the offset of the first line since the last quick item, and its number
        run_first = 0
        bulk_from = lo  # (no bulk read is tried again before this offset)
        at, index = lo, self.first
        general: list[Entry] | None = None
        while at < hi:
            if run_at < 0 and at >= bulk_from:
                done = self._bulk(at, put if texts else None, encode)
                if done is None:
                    bulk_from = base.find("\n", min(at + _BLOCK, hi - 1), hi) + 1 or hi
                else:
                    at, count = done
                    index += count
                    if len(out) >= 1:
                        yield OBJECT_SEPARATOR.join(out)
                        out.clear()
                    continue
            stop = base.find("\n", at, hi)
            following = hi if stop == -1 else stop + 1
            inline = rationale = None
            if base.startswith("- [", at):
                close = base.find("]", at + 7 if base.startswith("] [", at + 4) else at + 3,
                                  following) + 1 - at
                if close > 0 and following < hi and base[following] in " \t\n":
                    rationale, after = self._rationale(following)
                if close > 0 and base.startswith(" ", at + close) and \
                        (following >= hi or base[following] not in " \t\n" or rationale):
                    line = base[at:following]
                    day = clock = None
                    if close == 24 or (close == 28 and line[3:6] in _OWN_BOXES):
                        day = days(line[close - 22:close - 6])
                        clock = clocks(line[close - 6:close]) if day is not None else None
                    if clock is not None:
                        inline = line[close:].strip(" \t\n")
                        if ZWSP in inline or WJ in inline or rationale:
                            clock = None  # (an Entry, its text unescaped, its rationale)
                            known = (own_time(line[close - 22:close]),
                                     line[3] == "X" if close == 28 else None,
                                     2 if close == 28 else None, line[close - 22:close])
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
                        self._entry_row(entry, put if texts else None)
                    run_at = -1
                if clock is not None:  # (the tool's own item: no Entry)
                    boxed = close == 28
                    done = boxed and line[3] == "X"
                    if done and wanted and line[close - 22:close] in wanted:
                        ticked.setdefault((title, line[close - 22:close]), []).append(inline)
                    keys.append(((day[1] + clock[1]) << _MINUTES) + rank +  # type: ignore
                                (len(places) << 2))
                    start = at + line.index(inline, close)  # (its text's place)
                    places.append(start << 32 | (start + len(inline)))
                    if texts:
                        put(f'"time": "{day[0]}{clock[0]}"{separator}'  # type: ignore
                            f'"text": {encode(inline)}'
                            f'{(tick if done else untick) if boxed else ""}')
                else:
                    time, done, box, stamp = known  # type: ignore[misc]
                    if ZWSP in inline or WJ in inline:
                        inline = unescape_inline(inline)
                    self._entry_row(Entry(time, inline, done, rationale, index, box, stamp),
                                    put if texts else None)
                    if rationale:  # (its line read too)
                        following = after
                        index += 1
                if len(out) >= _BATCH:
                    yield OBJECT_SEPARATOR.join(out)
                    out.clear()
            at = following
            index += 1
        else:
            if run_at >= 0:
                general = _general(_split(base[run_at:hi]), run_first)
        for entry in general or ():
            self._entry_row(entry, put if texts else None)
        if out:
            yield OBJECT_SEPARATOR.join(out)
        self.rows = range(first_row, len(table.places))

    def _rationale(self, at: int) -> tuple[str | None, int]:
        """The rationale on the line at ``at`` (the line after an item's only one) when
        it is ``  - Rationale: TEXT``, TEXT not blank, and the line after it (if any)
        starts with no white space: the rationale ``parse_entries`` reads there (a
        decision's nested item, unescaped), and where its line ends; ``(None, at)`` for
        any other line, which goes to ``parse_entries``."""
        base, hi = self.base, self.hi
        if not base.startswith(_RATIONALE, at):
            return None, at
        stop = base.find("\n", at, hi)
        following = hi if stop == -1 else stop + 1
        if following < hi and base[following] in " \t\n":
            return None, at
        text = base[at + len(_RATIONALE):following].strip(" \t\n")
        if not text:
            return None, at
        return (unescape_inline(text) if ZWSP in text or WJ in text else text), following

    def _bulk(self, at: int, put: object, encode: object) -> tuple[int, int] | None:
        """Read the lines from ``at`` (a line's start) to the first line end past
        :data:`_BLOCK` bytes, when every one of them is a quick item of one form
        (``- [X] [STAMP] text``, or ``- [STAMP] text``) that :meth:`_read` would read
        line by line as such, one space after its timestamp and no white space at either
        end of its text (then the text is the rest of the line), with no escape in it and
        the line after them not going on with white space; or when they are pairs of an
        item ``- [STAMP] text`` and its one-line rationale (``  - Rationale: TEXT``, as
        :meth:`_rationale` reads it: a decision of the tool's own form, issue 16,
        twentieth round): their rows added (a rationale's place in
        :attr:`_Table.rationales`), their ticked texts taken, their JSON texts given to
        ``put`` joined, by ``map``, ``zip`` and ``str.join`` over the lines (C: no Python
        per line). Returns where it stopped and how many lines it read; ``None``
        (nothing done) for any other lines."""
        base, hi = self.base, self.hi
        if base.startswith("- [X] [", at):
            close, form = 28, "\n- [X] ["
        elif base.startswith("- [", at) and digits(base[at + 3:at + 4]):
            close, form = 24, "\n- ["
        else:
            return None
        end = base.find("\n", min(at + _BLOCK, hi - 1), hi)
        end = hi if end == -1 else end
        chunk = base[at:end]
        if "\t" in chunk or ZWSP in chunk or WJ in chunk:
            return None  # (a text to strip, or to unescape: line by line)
        # (a search of two characters is a pass of ~2 instructions a character, memchr's a
        # tenth of one: the lines' ends and their texts' starts are looked at line by line,
        # in C, and a text's start only when the block holds two spaces in a row)
        doubled = "  " in chunk
        lines = chunk.split("\n")
        paired = close == 24 and base.startswith(_RATIONALE, at + len(lines[0]) + 1)
        reasons: list[str] = []
        if paired:
            if len(lines) % 2:  # (the block ends with a rationale line)
                end -= len(lines.pop()) + 1
                if not lines:
                    return None
                chunk = base[at:end]
            items, rationales = lines[::2], lines[1::2]
            if any(map(str.endswith, items, repeat(" "))) or \
                    not all(map(str.startswith, rationales, repeat(_RATIONALE))) or \
                    any(map(str.startswith, rationales, repeat(" "), repeat(len(_RATIONALE)))):
                return None  # (a text to strip: line by line)
            # (a rationale's spaces at its end are not its text's: _rationale strips them)
            reasons = list(map(str.rstrip, map(itemgetter(slice(len(_RATIONALE), None)),
                                               rationales), repeat(" ")))
            if not all(reasons):
                return None
        else:
            items, rationales = lines, []
            if any(map(str.endswith, lines, repeat(" "))):
                return None
        if doubled and any(map(str.startswith, items, repeat(" "), repeat(close + 1))):
            return None
        following = hi if end >= hi else end + 1
        if following < hi and base[following] in " \t\n":
            return None
        count = len(items)
        if chunk.count(form) != count - 1:
            return None
        day_parts = list(map(itemgetter(slice(close - 22, close - 6)), items))
        clock_parts = list(map(itemgetter(slice(close - 6, close + 1)), items))  # (and " ")
        table = self.table
        days, clocks = table.days, table.clocks
        for part in set(day_parts).difference(days):
            day = own_day(part)
            if day is None:
                return None
            days[part], table.day_keys[part] = f'"time": "{day[0]}', day[1] << _MINUTES
            table.log_days[part] = _DAYS[day[1] // 1440]
        for part in set(clock_parts).difference(clocks):
            clock = own_clock(part[:6]) if part[6:] == " " else None
            if clock is None:
                return None
            clocks[part] = f'{clock[0]}"{ITEM_SEPARATOR}"text": '
            table.quoted_clocks[part] = f'{clocks[part]}"'
            table.clock_keys[part] = clock[1] << _MINUTES
            table.log_clocks[part] = _LOG_CLOCKS[clock[1]]
        row = len(table.places)
        table.block_rows.append(row)
        table.blocks.append((row + count, close, paired))
        sizes = list(map(len, lines))
        starts = list(accumulate(map(_HALF, sizes), initial=at))
        if paired:  # (a rationale's text ends where its spaces begin)
            sizes[1::2] = map(len, reasons)
        starts.pop()
        # (start << 32 | end, with start = line + close + 1 and end = line + size, as
        # line * (2 ** 32 + 1) + (size + (close + 1 << 32)): end < 2 ** 32)
        table.places += map(add, map(mul, starts[::2] if paired else starts,
                                     repeat((1 << 32) + 1)),
                            map(add, sizes[::2] if paired else sizes, repeat(close + 1 << 32)))
        if paired:
            table.rationales.update(zip(range(row, row + count), map(
                add, map(mul, starts[1::2], repeat((1 << 32) + 1)),
                map(add, sizes[1::2], repeat((len(_RATIONALE) << 32) + len(_RATIONALE)))),
                strict=True))
        del sizes, starts
        rank = self.rank << _RANK
        plain = _PLAIN if '"' not in chunk and "\\" not in chunk and \
            _printable(chunk, lines, chunk.count("  ") != len(rationales) if paired else
                       doubled) else 0
        table.keys += map(add, map(add, map(table.day_keys.__getitem__, day_parts),
                                   map(table.clock_keys.__getitem__, clock_parts)),
                          range(rank + (row << 2) + plain, rank + ((row + count) << 2), 4))
        texts = map(itemgetter(slice(close + 1, None)), items)
        if close == 28 and self.wanted:
            stamp_of = itemgetter(slice(6, 28))
            if not self.wanted.isdisjoint(map(stamp_of, items)):
                for line in items:
                    if stamp_of(line) in self.wanted:
                        self.ticked.setdefault((self.kind.title, stamp_of(line)),
                                               []).append(line[close + 1:])
        if put is not None:
            quote = '"' if plain else ""
            shown: list[str] | map[str] = reasons
            if not quote:
                texts = map(encode, texts)  # type: ignore[arg-type]
                shown = map(encode, reasons)  # type: ignore[arg-type]
            done = f'{ITEM_SEPARATOR}"done": true' if close == 28 else ""
            parts = [map(days.__getitem__, day_parts),
                     map((table.quoted_clocks if quote else clocks).__getitem__, clock_parts),
                     texts]
            if paired:
                parts += (repeat(f'{quote}{ITEM_SEPARATOR}"rationale": {quote}'), shown)
            parts.append(repeat(f"{quote}{done}{OBJECT_SEPARATOR}"))
            put("".join(chain.from_iterable(zip(*parts, strict=False)))[:-len(OBJECT_SEPARATOR)])
        return following, len(lines)

    def _entry_row(self, entry: Entry, put: object) -> None:
        """Add ``entry`` (an item not of the tool's own one-line form) to the rows, and
        its JSON text through ``put``."""
        if entry.done and entry.stamp in self.wanted:
            self.ticked.setdefault((self.kind.title, entry.stamp), []).append(entry.text)
        table = self.table
        row = len(table.places)
        table.keys.append((_minutes(entry.time) << _MINUTES) + (self.rank << _RANK) +
                          (row << 2) + 1)
        table.places.append(-1)
        table.entries[row] = entry
        if put is not None:
            put(entry_json_text(entry))  # type: ignore[operator]

    def read(self) -> range:
        """:attr:`rows`, the section read once first when it was not."""
        if self.rows is None:
            for _ in self._read(False):
                pass
        return self.rows  # type: ignore[return-value]

    def text(self, row: int) -> str:
        """The text of the quick item of ``row``."""
        place = self.table.places[row]
        return self.base[place >> 32:place & _END]

    def entry(self, row: int, line: int | None = None) -> Entry:
        """The ``Entry`` of ``row``; ``line``, the number of its line when known (else
        counted from the section's start)."""
        found = self.table.entries.get(row)
        if found is not None:
            return found
        if self.the_current is not None and self.the_current[0] == row:
            return self.the_current[1]  # (the same object: ``show`` marks it by identity)
        base, start = self.base, self.table.places[row] >> 32
        line_start = base.rfind("\n", self.lo, start) + 1 or self.lo
        boxed = base.startswith("] [", line_start + 4)  # (else "- [STAMP] ")
        stamp = base[line_start + 6:line_start + 28] if boxed else \
            base[line_start + 2:line_start + 24]
        if line is None:
            line = self.first + base.count("\n", self.lo, line_start)
        reason = self.table.rationales.get(row)
        return Entry(own_time(stamp), self.text(row),
                     base[line_start + 3] == "X" if boxed else None,
                     None if reason is None else base[reason >> 32:reason & _END], line,
                     2 if boxed else None, stamp)

    def _entries(self, rows: range) -> Iterator[Entry]:
        """The ``Entry`` of each of ``rows`` (in order), their lines counted as it goes."""
        base, places, lo = self.base, self.table.places, self.lo
        line, counted = self.first, lo
        for row in rows:
            start = places[row] >> 32
            if start < 0:
                yield self.entry(row)
                continue
            line_start = base.rfind("\n", lo, start) + 1 or lo
            line += base.count("\n", counted, line_start)
            counted = line_start
            yield self.entry(row, line)

    def current(self) -> Entry | None:
        """The step in progress, as ``layout._current`` finds it: the last open item
        whose checkbox is :data:`~ai_protocols.session.layout.CURRENT_BOX` (none when
        the section's text holds none, without reading the section)."""
        if self.base.find(CURRENT_BOX, self.lo, self.hi) == -1:
            return None
        for row in reversed(self.read()):
            found = self.table.entries.get(row)
            if found is None:
                start = self.table.places[row] >> 32
                line_start = self.base.rfind("\n", self.lo, start) + 1 or self.lo
                if self.base.startswith(CURRENT_BOX, line_start + 2):
                    found = self.entry(row)
                    self.the_current = (row, found)
                    return found
            elif found.done is False and _is_current(self.doc, found):
                return found
        return None

    # -- what readers see

    def json_texts(self) -> Iterator[str]:
        """The entries' JSON objects' items as text (``model.ObjectBatches``'s items)."""
        if self.rows is None:
            yield from self._read(True)
            return
        entries = self._entries(self.rows)
        while True:
            batch = [entry_json_text(entry) for entry in islice(entries, _BATCH)]
            if not batch:
                return
            yield OBJECT_SEPARATOR.join(batch)

    def log_entry(self, row: int) -> Entry:
        """The Log's ``Entry`` for ``row`` (as ``layout.chronology`` makes it)."""
        entry = self.entry(row)
        return Entry(entry.time, chronology_line(self.kind.kind, entry.text), None, None,
                     entry.line, None, entry.stamp)

    def __iter__(self) -> Iterator[Entry]:
        return self._entries(self.read())

    def __len__(self) -> int:
        return len(self.read())

    def __bool__(self) -> bool:
        return self.lo < self.hi and bool(self.read())

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        rows = self.read()
        if isinstance(index, slice):
            return [self.entry(row) for row in rows[index]]
        return self.entry(rows[index])

    def __reversed__(self) -> Iterator[Entry]:
        return map(self.entry, reversed(self.read()))


class LogRows:
    """The Log as ``layout.chronology`` orders it, made as it is read: a sequence of
    ``Entry``, and :meth:`json_texts`, their JSON."""

    __slots__ = ("logged", "sections", "session", "table")

    def __init__(self, logged: list[Entry], sections: list[Rows | list[Entry]],
                 table: _Table, session: Session) -> None:
        self.logged, self.sections, self.table, self.session = logged, sections, table, session

    def _order(self) -> tuple[list[Entry], list[tuple[int, int]], dict[int, Rows]]:
        """The Log's lines as ``layout.log_events`` makes them, where each goes among
        the sections' entries (:attr:`table`'s keys, sorted: ``(place, line)``, in order,
        the line going before the key at that place), and the sections by rank. The
        places are those of ``layout.chronology``'s merge: a line goes before the first
        entry, from the place of the line before, that it goes before
        (``layout.goes_before``: later minutes do, earlier ones do not), found by
        halving; after all of them when none."""
        rows = [rows for rows in self.sections if type(rows) is Rows]
        for each in rows:
            each.read()
        keys = self.table.keys
        keys.sort()  # (in place: no two equal)

        def ticked() -> dict[tuple[str, str | None], list[str]]:
            found: dict[tuple[str, str | None], list[str]] = {}
            for each in rows:  # (copies: log_events takes the texts out as it uses them)
                found.update((key, list(texts)) for key, texts in each.ticked.items())
            return found

        events = log_events(self.logged, ticked, self.session.earlier)
        times = [None if event.time is None else _minutes(event.time) for event in events]
        timed = bisect_left(keys, _NO_TIME << _MINUTES)
        places = []
        place = 0
        for at, time in enumerate(times):
            if place < timed and time is not None:
                place = bisect_left(keys, time << _MINUTES, place, timed)
                if place < timed and keys[place] >> _MINUTES == time and \
                        not goes_before(events, times, at, time):
                    place = bisect_left(keys, (time + 1) << _MINUTES, place, timed)
            if place >= timed:
                place = len(keys)
            places.append((place, at))
        return events, places, {each.rank: each for each in rows}

    def json_texts(self) -> Iterator[str | bytes]:
        """The JSON objects' items of the Log's lines as text (``model.ObjectBatches``),
        a :data:`_BATCH` at a time or so, some as their UTF-8 bytes (:func:`_given`); a
        run of quick items between two other lines in bulk (:meth:`_bulk`)."""
        events, places, by_rank = self._order()
        keys, entries = self.table.keys, self.table.entries
        bases = {id(each.base): each.base for each in by_rank.values() if each.lo < each.hi}
        base = next(iter(bases.values()), "")
        same = len(bases) <= 1  # (the file's text, as read, for every section)
        stops = [place for place, _ in places]
        if entries:  # (the keys of Entry rows: their own place each)
            stops += compress(count(), map(and_, keys, repeat(1)))
            stops.sort()
        stops.append(len(keys))
        out: list[str] = []
        put = out.append
        event = 0
        at = 0
        for stop in stops:
            while at < stop:
                if stop - at >= _RUN and same:  # (no Entry row before stop)
                    end = min(stop, at + _BATCH)
                    put(self._bulk(base, keys[at:end], by_rank))
                    at = end
                    # (given at once: a run between two stops may be a whole section,
                    # whose JSON, held whole, was 3x the file: issue 16, 17th round)
                    yield _given(OBJECT_SEPARATOR.join(out))
                    out.clear()
                else:
                    put(self._one(keys[at], by_rank))
                    at += 1
            while event < len(places) and places[event][0] == at:
                put(log_json_text(events[places[event][1]]))
                event += 1
            if at < len(keys) and keys[at] & 1 and at == stop:
                put(self._one(keys[at], by_rank))
                at += 1
            if len(out) >= 8:
                yield _given(OBJECT_SEPARATOR.join(out))
                out.clear()
        while event < len(places):  # (at the end: after every entry)
            put(log_json_text(events[places[event][1]]))
            event += 1
        if out:
            yield _given(OBJECT_SEPARATOR.join(out))

    def _one(self, key: int, by_rank: dict[int, Rows]) -> str:
        """The JSON text of the Log's object of the entry of ``key``."""
        rows = by_rank[(key >> _RANK) & 7]
        if key & 1:
            return log_json_text(rows.log_entry((key >> 2) & _ROW))
        minutes = key >> _MINUTES
        kind, shown = chronology_parts(rows.kind.kind, rows.text((key >> 2) & _ROW))
        encode = string_encoder()
        return _LOG_JSON.format(_DAYS[minutes // 1440], _LOG_CLOCKS[minutes % 1440],
                                encode(kind), encode(shown))

    def _bulk(self, base: str, keys: list[int], by_rank: dict[int, Rows]) -> str:
        """The JSON texts of the Log's objects of the quick items of ``keys``, joined,
        by ``map`` over them (their texts cut from ``base``, their ISO times from their
        minutes, their previews as ``layout.quick_preview`` makes them: each text
        itself, or its first 99 characters and ``…`` past 100, when all are
        :func:`_printable`; else one by one) and ``zip`` and ``str.join`` (C: no Python per
        key but for a text past 100 characters)."""
        table = self.table
        encode = string_encoder()
        names = {rank: f"{encode(each.kind.kind)}{ITEM_SEPARATOR}" for rank, each
                 in by_rank.items()}
        run = self._block_lines(base, keys)
        if run is not None:  # (one block's lines: its texts and times cut from them)
            items, close = run
            texts = list(map(itemgetter(slice(close + 1, None)), items))
            ranks: list[int] = [(keys[0] >> _RANK) & 7] * len(keys)
            times: tuple[map[str], map[str]] = (
                map(table.log_days.__getitem__, map(itemgetter(slice(close - 22, close - 6)),
                                                    items)),
                map(table.log_clocks.__getitem__, map(itemgetter(slice(close - 6, close + 1)),
                                                      items)))
        else:
            places = table.places
            spans = list(map(places.__getitem__, map(and_, map(rshift, keys, repeat(2)),
                                                     repeat(_ROW))))
            texts = list(map(base.__getitem__, map(slice, map(rshift, spans, repeat(32)),
                                                   map(and_, spans, repeat(_END)))))
            del spans
            ranks = list(map(and_, map(rshift, keys, repeat(_RANK)), repeat(7)))
            minutes = list(map(rshift, keys, repeat(_MINUTES)))
            times = (map(_DAYS.__getitem__, map(floordiv, minutes, repeat(1440))),
                     map(_LOG_CLOCKS.__getitem__, map(mod, minutes, repeat(1440))))
        plain = all(map(and_, keys, repeat(_PLAIN)))  # (as their sections' reads found)
        joined = "" if plain else "\n".join(texts)
        quote = ""
        if plain or _printable(joined, texts):
            shown: list[str] | map[str] = texts
            escaped = not plain and ('"' in joined or "\\" in joined)
            cut = "…" if escaped else _CUT  # (json would escape _CUT)
            for at in compress(count(), map(lt, repeat(100), map(len, texts))):
                texts[at] = texts[at][:99].rstrip() + cut
            if escaped:
                shown = map(encode, texts)
            else:
                quote = '"'
        else:
            shown = []
            for rank, text in zip(ranks, texts, strict=True):
                kind, preview = chronology_parts(by_rank[rank].kind.kind, text)
                if kind != by_rank[rank].kind.kind:
                    return OBJECT_SEPARATOR.join(self._one(key, by_rank) for key in keys)
                shown.append(encode(preview))
        kinds = [repeat(f'{names[ranks[0]]}"text": {quote}')] if run is not None else \
            [map(names.__getitem__, ranks), repeat(f'"text": {quote}')]
        return "".join(chain.from_iterable(zip(
            *times, *kinds, shown, repeat(f"{quote}{OBJECT_SEPARATOR}"),
            strict=False)))[:-len(OBJECT_SEPARATOR)]

    def _block_lines(self, base: str, keys: list[int]) -> tuple[list[str], int] | None:
        """The lines of the quick items of ``keys`` (a run of the Log) when they are the
        rows of one block a section's bulk read took (``Rows._bulk``: the tool's own
        one-line items, or decisions with their rationale lines, each text the rest of
        its line) in their order: cut from ``base`` by one ``split``, a rationale's line
        left out; and where their timestamps close. ``None`` for any other run."""
        table = self.table
        first = (keys[0] >> 2) & _ROW
        if ((keys[-1] >> 2) & _ROW) - first != len(keys) - 1:
            return None  # (the rows of two sections, or not in order)
        at = bisect_left(table.block_rows, first + 1) - 1
        if at < 0 or first + len(keys) > table.blocks[at][0]:
            return None
        if list(map(and_, map(rshift, keys, repeat(2)), repeat(_ROW))) != \
                list(range(first, first + len(keys))):
            return None
        _, close, paired = table.blocks[at]
        lines = base[(table.places[first] >> 32) - close - 1:
                     table.places[first + len(keys) - 1] & _END].split("\n")
        return (lines[::2] if paired else lines), close

    def __iter__(self) -> Iterator[Entry]:
        events, places, by_rank = self._order()
        keys = self.table.keys
        event = 0
        for at, key in enumerate(keys):
            while event < len(places) and places[event][0] == at:
                yield events[places[event][1]]
                event += 1
            yield by_rank[(key >> _RANK) & 7].log_entry((key >> 2) & _ROW)
        for _, line in places[event:]:
            yield events[line]

    def __len__(self) -> int:
        for each in self.sections:
            if type(each) is Rows:
                each.read()
        return len(self.logged) + len(self.table.keys)  # (a Log line each, an entry each)

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return list(self)[index]

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(list(self))


#: The Log objects' beginnings up to their days' ISO texts, by ordinal (from the minutes).
_DAYS = _DayTexts()

