"""``show``'s view of a session file: its sections' entries read while they are written,
the Log put in time order from them, no list of ``Entry`` held (issue 16, fifteenth
round; docs/performance.md).

:func:`read_view` reads what :func:`~ai_protocols.session.reading.read_session` reads,
but each section of entries is a :class:`Rows`, a list of parts: blocks of the tool's own
items read in bulk (:class:`_Block`: lines that are all items of its one-line form, ``-
[X] [YYYY-MM-DD Ddd HH:MM] text``, or all decisions of its two-line form, kept as the
runs of their items of one day, not item by item), and rows read line by line between
them (:class:`_Singles`: the place of each quick item in the file's text, as
:func:`~ai_protocols.session.sections.iter_entries` tells it, an ``Entry`` for every
other item). A block's JSON is made from its text by a few ``str`` operations per run
of a day (a ``split`` at each line's day, one ``replace`` per item at its clock time, a
``join``), and the Log's (:class:`LogRows`) as it is written: the parts merged by their
times, whole where no other part's entry or Log line falls among theirs, else sorted
together by the text of their times (issue 16, twenty-first round). Both are sequences
of ``Entry`` too, made one at a time for any other reader.
``tests/test_show_fifteenth.py`` holds the output equal to the whole read's.
"""

from __future__ import annotations

from itertools import chain, compress, count, islice, repeat

try:  # (the C module operator.py takes its functions from)
    from _operator import gt, itemgetter, lt, not_, or_
except ImportError:  # pragma: no cover - a Python without it
    from operator import gt, itemgetter, lt, not_, or_

from ai_protocols.lean import digits
from ai_protocols.org.file import (  # (_bisect's: no bisect.py)
    OrgFile,
    bisect_left,
    bisect_right,
)
from ai_protocols.org.syntax import (
    WJ,
    ZWSP,
    Entry,
    iso_minutes,
    own_clock,
    own_day,
    own_time,
    unescape_inline,
)
from ai_protocols.session.chronology import (
    chronology_line,
    chronology_parts,
    goes_before,
    log_events,
    repeated_entries,
    ticked_references,
)
from ai_protocols.session.earlier_links import read_earlier
from ai_protocols.session.model import (
    ITEM_SEPARATOR,
    OBJECT_SEPARATOR,
    SECTION_KINDS,
    Session,
    entry_json_text,
    log_json_text,
    string_encoder,
)
from ai_protocols.session.reading import _is_current, _session_of, _split, read_session
from ai_protocols.session.sections import (
    _ITEM_PREFIXES,
    _OWN_BOXES,
    CURRENT_BOX,
    _entries,
    _general,
    _item_prefix,
    _may_open_block,
    _summary_span,
    find_section,
    session_headline,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ai_protocols.org.file import Headline
    from ai_protocols.session.model import EntryKind

#: How many bytes of a section a bulk read takes at a time (about 2,000 items), and how
#: many rows read line by line make one item of ``model.ObjectBatches`` and one part.
_BLOCK = 1 << 18
_BATCH = 2048
#: The first step (bytes) of the search for the end of a run of items of one day.
_STEP = 1 << 12
#: A quick item's place (:class:`_Singles`): ``start << 32 | end``.
_END = (1 << 32) - 1
#: How a decision's rationale, a nested item, begins (``org.syntax.parse_entries``), and
#: that line with the newline before it.
_RATIONALE = "  - Rationale: "
_RATIONALE_LINE = f"\n{_RATIONALE}"
#: What stands for :data:`_RATIONALE_LINE` in a block of decisions while it is read:
#: control characters, which no block read in bulk holds.
_MARK = "\x1c\x1d"
#: What makes a block's lines be read line by line: a text to strip (a tab), to unescape
#: (``org.syntax.ZWSP``, ``WJ``) or to escape otherwise than ``"`` and ``\\`` (the ASCII
#: characters ``str.isprintable`` refuses but the newline, which parts lines).
_BARRED = (ZWSP, WJ, *(chr(code) for code in (*range(10), *range(11, 32), 127)))
#: An item's clock time and the ``] `` after it, at the start of its piece (``_Block``).
_CLOCK = itemgetter(slice(0, 7))
#: The clock times with ``] `` that :func:`~ai_protocols.org.syntax.own_clock` reads, as
#: found (each judged once).
_CLOCKS_READ: set[str] = set()
#: What an object's JSON text holds after an item's clock time, before its text; before
#: its rationale; and what ends the object of a ticked item.
_TEXT = f'"{ITEM_SEPARATOR}"text": "'
_REASON = f'"{ITEM_SEPARATOR}"rationale": "'
_DONE = f'"{ITEM_SEPARATOR}"done": true'
#: A Log object's time, as its JSON text holds it (the key of its order), and the key of
#: an object of no time (after every other).
_LOG_KEY = itemgetter(slice(9, 25))
_UNTIMED = _LOG_KEY(f'"time": null{ITEM_SEPARATOR}"kind"')
#: How long a quick item's piece (``HH:MM] text``) is when its text is the longest the
#: Log shows whole (``chronology.quick_preview``: 100 characters).
_SHOWN = 107

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


def read_view(path: str, held: list[str]) -> Session:
    """:func:`~ai_protocols.session.reading.read_session` of the text in ``held`` (a
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
    sections = []
    for rank, kind in enumerate(SECTION_KINDS):
        section = find_section(doc, headline, kind.section)  # type: ignore[arg-type]
        rows = [] if section is None else Rows(doc, section, rank, kind, references)
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
    session.log = LogRows(logged, sections, session)  # type: ignore[assignment]
    return session


# -- a block read in bulk --------------------------------------------------------------


def _form(base: str, at: int) -> str | None:
    """What begins the line at ``at`` of ``base`` when a block read in bulk may begin
    there: the form of the tool's one-line items up to their timestamps (``- [X] `` or
    ``- ``); else ``None``."""
    if base.startswith("- [X] [", at):
        return "- [X] "
    if base.startswith("- [", at) and digits(base[at + 3:at + 4]):
        return "- "
    return None


def _run_end(base: str, at: int, end: int, needle: str, item: str, paired: bool) -> int:
    """Where the run of a block's items from ``at`` (a line's start, before ``end``) whose
    lines begin with ``needle`` (the form and the day: ``- [X] [2026-11-21 Sat ``) ends
    (the end of its last line, or of that item's rationale's), when they are one run:
    found by looking at items (lines that begin with ``item``) farther and farther on,
    then back from the first of another day (:func:`_walk` finds it line by line)."""
    step = _STEP
    bound = end
    while at + step < end:
        probe = base.find(item, at + step, end)
        if probe == -1:
            break
        if not base.startswith(needle, probe + 1):
            bound = probe
            break
        step <<= 1
    stop = base.find("\n", base.rfind(f"\n{needle}", at - 1, bound) + 1, end)
    if paired and stop != -1:
        stop = base.find("\n", stop + 1, end)
    return end if stop == -1 else stop


def _walk(base: str, at: int, end: int, needle: str, paired: bool) -> int:
    """:func:`_run_end`, line by line: the end of the run of lines from ``at`` that begin
    with ``needle`` (or, ``paired``, are rationales), for a run :func:`_run_end` took
    past a line of another day."""
    stop = base.find("\n", at, end)
    while stop != -1 and (base.startswith(needle, stop + 1) or
                          (paired and base.startswith(_RATIONALE, stop + 1))):
        stop = base.find("\n", stop + 1, end)
    return end if stop == -1 else stop


def _split_run(base: str, start: int, stop: int, needle: str, paired: bool
               ) -> tuple[list[str], int]:
    """The items of the run ``base[start:stop]`` whose lines begin with ``needle``, each
    as what follows it on its line, ``HH:MM] text`` (with ``paired``, a decision's with
    its rationale after :data:`_MARK`, the spaces at the rationale's end left out: not
    its text's), cut at each line's ``needle``; and how many rationales it marked (the
    line before the first held a newline: ``start`` follows a headline). Cut by
    ``str.rsplit``, which gives what ``split`` gives for a separator that begins with a
    newline and holds no other: CPython looks for a separator of 6 characters or more
    in a text of 30,000 or more by its two-way algorithm, whose set-up (~550
    instructions) ``split`` pays again at each piece; ``rsplit`` searches backwards,
    without it (docs/performance.md, issue 16, twenty-first round)."""
    text = base[start - 1:stop]
    marked = 0
    if paired:
        lines = text.rsplit(_RATIONALE_LINE)
        marked = len(lines) - 1
        text = _MARK.join(lines)
        del lines
    pieces = text.rsplit(f"\n{needle}")
    del pieces[0]  # ("": the text begins with it)
    if paired:
        pieces = list(map(str.rstrip, pieces, repeat(" ")))
    return pieces, marked


def _in_order(pieces: list[str]) -> bool:
    """Whether the clock times at the start of ``pieces`` (``HH:MM] text``) run in order:
    each piece is no greater than the next (its clock time is then no later), or their
    clock times are equal (and the texts that follow not in order)."""
    later = compress(count(1), map(gt, pieces, islice(pieces, 1, None)))
    return all(pieces[at - 1][:5] == pieces[at][:5] for at in later)


def _clock_shapes(heads: str) -> bool:
    """Whether ``heads``, the first 8 characters of each of a run's pieces joined
    (``HH:MM] X``), hold ASCII digits where the clock times do, ``:`` and ``] `` between
    and after them, and minutes' tens of 0 to 5: with the first and last clock times ones
    ``own_clock`` reads, in order, every one between is (its hour is between theirs)."""
    return not heads[2::8].strip(":") and not heads[5::8].strip("]") and \
        not heads[6::8].strip(" ") and max(heads[3::8]) <= "5" and \
        digits(f"{heads[0::8]}{heads[1::8]}{heads[3::8]}{heads[4::8]}")


def _escaped(pieces: list[str]) -> map[str]:
    """``pieces`` with each ``\\`` and ``"`` escaped as ``json`` escapes them (the other
    characters it escapes are never in a block read in bulk: :data:`_BARRED`)."""
    return map(str.replace, map(str.replace, pieces, repeat("\\"), repeat("\\\\")),
               repeat('"'), repeat('\\"'))


def _objects(pieces: list[str] | map[str], head: str, middle: str, end: str) -> str:
    """The JSON text of one object of each of ``pieces`` (``HH:MM] text``), joined by
    :data:`~ai_protocols.session.model.OBJECT_SEPARATOR`: ``head`` (the object up to its
    day's ISO text), the clock time, ``middle`` in place of the ``] `` after it (the
    first of the piece), the text and ``end``."""
    joined = f"{end}{OBJECT_SEPARATOR}{head}".join(
        map(str.replace, pieces, repeat("] "), repeat(middle), repeat(1)))
    return f"{head}{joined}{end}"


class _Block:
    """Items of one section read in bulk (:meth:`Rows._read`): the lines
    ``base[start:stop]``, every one an item of the tool's own one-line form of one
    ``prefix`` (``- [X] [STAMP] text``, or ``- [STAMP] text``), or, ``paired``, every
    other one a decision of that form (``- [STAMP] text``) and the one after it its
    rationale (``  - Rationale: TEXT``, as :meth:`Rows._rationale` reads it): ``size``
    items, from the section's row ``row`` and the file's line ``line``. Kept as the runs
    of its items of one day (``segments``: each run's start and stop in ``base``, its
    day's part of the timestamps, ``[2026-11-21 Sat ``, and its ISO text,
    ``2026-11-21T``), not item by item; with whether their texts need no escape in JSON
    (``plain``: no ``"`` nor ``\\``), whether their times run in the file's order
    (``ordered``), and the first and the last of them (ISO texts)."""

    __slots__ = ("base", "first", "last", "line", "ordered", "paired", "plain", "prefix",
                 "row", "segments", "size", "start", "stop")

    def __init__(self, base: str, start: int, prefix: str, paired: bool, plain: bool,
                 row: int, line: int) -> None:
        self.base, self.start, self.stop = base, start, start
        self.prefix, self.paired, self.plain = prefix, paired, plain
        self.row, self.line, self.size = row, line, 0
        self.segments: list[tuple[int, int, str, str]] = []
        self.ordered = True
        self.first = self.last = ""

    @classmethod
    def read(cls, rows: Rows, at: int, row: int, line: int) -> tuple[_Block, str] | None:
        """The block of ``rows``'s lines from ``at`` (a line's start where one may begin,
        :func:`_form`; the file's line ``line``, the section's row ``row``) to the first
        line end past :data:`_BLOCK` bytes, or the runs of a day of them that read as
        such, and its JSON text (the objects of its entries, joined); ``None`` when its
        first run does not: an item of another form, a text with white space at either
        end or anything :data:`_BARRED`, a clock time ``own_clock`` does not read, a
        decision whose rationale is not one line of text, a line after the block that
        goes on with white space. Takes the ticked texts :attr:`Rows.wanted` names."""
        base, hi = rows.base, rows.hi
        prefix = _form(base, at)
        if prefix is None:
            return None
        end = base.find("\n", min(at + _BLOCK, hi - 1), hi)
        end = hi if end == -1 else end
        second = base.find("\n", at, end) + 1
        paired = prefix == "- " and second > 0 and base.startswith(_RATIONALE, second)
        if paired and not base.startswith(_RATIONALE, base.rfind("\n", at, end) + 1):
            end = base.rfind("\n", at, end)  # (it ends with a rationale's line)
        if any(base.find(char, at, end) != -1 for char in _BARRED):
            return None
        block = cls(base, at, prefix, paired,
                    base.find('"', at, end) == -1 and base.find("\\", at, end) == -1, row, line)
        texts: list[str] = []
        ticked: list[tuple[str, list[str], list[str]]] = []
        end_text = _DONE if prefix != "- " else '"'
        while block.stop < end:
            pos = block.stop + 1 if block.segments else at
            day_part = base[pos + len(prefix):pos + len(prefix) + 16]
            day = own_day(day_part) if base.startswith(prefix, pos) else None
            if day is None:
                break
            needle = prefix + day_part
            stop = _run_end(base, pos, end, needle, f"\n{prefix}[", paired)
            pieces, marked = _split_run(base, pos, stop, needle, paired)
            if "\n" in "".join(pieces):  # (a line of another day among them)
                stop = _walk(base, pos, end, needle, paired)
                pieces, marked = _split_run(base, pos, stop, needle, paired)
            json = block._run_json(pieces, marked, day[0], end_text)
            if json is None:
                break
            texts.append(json)
            if rows.wanted and prefix != "- ":
                ticked.append((day_part, pieces, list(map(_CLOCK, pieces))))
            block.stop = stop
            block.segments.append((pos, stop, day_part, day[0]))
        following = block.stop + 1 if block.stop < hi else hi
        if not block.segments or (following < hi and base[following] in " \t\n"):
            return None  # (its last item goes on on the next line: line by line)
        for day_part, pieces, clocks in ticked:
            rows.take_ticked(day_part, clocks, pieces)
        return block, OBJECT_SEPARATOR.join(texts)

    def _run_json(self, pieces: list[str], marked: int, day: str, end_text: str
                  ) -> str | None:
        """The JSON text of the run of ``pieces`` of the day ``day`` (its ISO text), as
        :func:`_split_run` cut them (and ``marked`` rationales), when they read as the
        block's items (see :meth:`read`), its size and times added to the block's; else
        ``None``."""
        heads = ("%.8s" * len(pieces)) % tuple(pieces)  # (their first 8 characters, joined)
        if len(heads) != 8 * len(pieces) or " " in heads[7::8] or _MARK[0] in heads[7::8]:
            return None  # (a text that is none, or begins with a space)
        ordered = pieces == sorted(pieces) or _in_order(pieces)  # (sorted: a pass, in C)
        if ordered and _clock_shapes(heads) and own_clock(heads[:6]) and \
                own_clock(heads[-8:-2]):  # (then every clock between them: own_clock reads it)
            first, last = heads[:5], heads[-8:-3]
        else:
            clocks = list(map(_CLOCK, pieces))
            if not _CLOCKS_READ.issuperset(clocks):
                for part in set(clocks).difference(_CLOCKS_READ):
                    if part[6:] != " " or own_clock(part[:6]) is None:
                        return None
                    _CLOCKS_READ.add(part)
            first, last = min(clocks)[:5], max(clocks)[:5]
        if self.paired and (marked != len(pieces) or not all(map(
                str.__contains__, pieces, repeat(_MARK[0])))):
            return None  # (a decision of no rationale, or of two)
        json = _objects(pieces if self.plain else _escaped(pieces), f'"time": "{day}', _TEXT,
                        end_text)
        if self.paired:
            json = json.replace(_MARK, _REASON)
            if f" {_REASON}" in json or f"{_REASON} " in json or f'{_REASON}"' in json:
                return None  # (a text that ends with a space; a rationale that begins so)
        elif f" {end_text}{OBJECT_SEPARATOR}" in json or json.endswith(f" {end_text}"):
            return None  # (a text with white space at its end)
        first, last = f"{day}{first}", f"{day}{last}"
        if self.segments:
            self.ordered = self.ordered and ordered and self.last < first
            self.first, self.last = min(self.first, first), max(self.last, last)
        else:
            self.ordered, self.first, self.last = ordered, first, last
        self.size += len(pieces)
        return json

    def _pieces(self, segment: tuple[int, int, str, str]) -> list[str]:
        """The items of a run of one day as :func:`_split_run` cuts them."""
        start, stop, day_part, _ = segment
        return _split_run(self.base, start, stop, self.prefix + day_part, self.paired)[0]

    def json(self) -> str:
        """The JSON text of the block's entries' objects, joined (as :meth:`read` made it)."""
        end_text = _DONE if self.prefix != "- " else '"'
        texts = []
        for segment in self.segments:
            pieces = self._pieces(segment)
            text = _objects(pieces if self.plain else _escaped(pieces),
                            f'"time": "{segment[3]}', _TEXT, end_text)
            texts.append(text.replace(_MARK, _REASON) if self.paired else text)
        return OBJECT_SEPARATOR.join(texts)

    def log(self, name: str, whole: bool) -> str | list[str]:
        """The JSON texts of the Log's objects of the block's items (``name``, the kind
        of its section's entries), in the file's order: joined (``whole``), or one by
        one. Each text is its Log preview (``chronology.quick_preview``): itself, or its
        first 99 characters and ``…`` (:data:`_CUT`) past 100, when it is printable with
        no ``"  "`` nor ``::``, found by looking for them in all the run's texts at once
        (then in each, when the run holds one); ``chronology.chronology_parts`` of any other."""
        encode = string_encoder()
        middle = f'"{ITEM_SEPARATOR}"kind": {encode(name)}{ITEM_SEPARATOR}"text": "'
        texts: list[str] = []
        objects: list[str] = []
        for segment in self.segments:
            pieces = self._pieces(segment)
            if self.paired:  # (a decision's rationale is not in the Log)
                pieces = list(map(itemgetter(0), map(str.partition, pieces, repeat(_MARK))))
            joined = "".join(pieces)
            odd = [] if "  " not in joined and "::" not in joined and \
                (joined.isascii() or joined.isprintable()) else list(compress(count(), map(
                    or_, map(or_, map(str.__contains__, pieces, repeat("  ")),
                             map(str.__contains__, pieces, repeat("::"))),
                    map(not_, map(str.isprintable, pieces)))))
            previews = [chronology_parts(name, pieces[at][7:]) for at in odd]
            clocks = [pieces[at][:5] for at in odd]
            del joined
            for at in compress(count(), map(lt, repeat(_SHOWN), map(len, pieces))):
                pieces[at] = pieces[at][:_SHOWN - 1].rstrip() + _CUT
            made = list(map(str.replace, pieces if self.plain else _escaped(pieces),
                            repeat("] "), repeat(middle), repeat(1)))
            for at, clock, (kind, shown) in zip(odd, clocks, previews, strict=True):
                made[at] = f'{clock}"{ITEM_SEPARATOR}"kind": {encode(kind)}' \
                    f'{ITEM_SEPARATOR}"text": {encode(shown)[:-1]}'
            head = f'"time": "{segment[3]}'
            if whole:
                joined = f'"{OBJECT_SEPARATOR}{head}'.join(made)
                texts.append(f'{head}{joined}"')
            else:
                objects += [f'{head}{each}"' for each in made]
        return OBJECT_SEPARATOR.join(texts) if whole else objects

    def entries(self) -> Iterator[Entry]:
        """The ``Entry`` of each of the block's items, in order."""
        lines = self.base[self.start:self.stop].split("\n")
        close = len(self.prefix) + 22
        boxed = self.prefix != "- "
        step = 2 if self.paired else 1
        for at in range(0, len(lines), step):
            line = lines[at]
            stamp = line[close - 22:close]
            reason = lines[at + 1][len(_RATIONALE):].rstrip(" ") if self.paired else None
            yield Entry(own_time(stamp), line[close + 1:], True if boxed else None, reason,
                        self.line + at, 2 if boxed else None, stamp)


# -- rows read line by line -------------------------------------------------------------


class _Singles:
    """Rows of a section read line by line (:meth:`Rows._read`), from its row ``row``:
    for each, where a quick item's text (white space at either end left out) begins and
    ends in the section's text, as one number (``start << 32 | end``), or its ``Entry``;
    and its time, the key of its place in the Log (an ISO text, :data:`_UNTIMED` for
    none)."""

    __slots__ = ("items", "keys", "row")

    def __init__(self, row: int) -> None:
        self.row = row
        self.items: list[int | Entry] = []
        self.keys: list[str] = []


class Rows:
    """The entries of one section, as :func:`read_view` reads them: a sequence of
    ``Entry`` (each made when asked for), and :meth:`json_texts`, their JSON."""

    __slots__ = ("base", "doc", "first", "hi", "kind", "lo", "parts", "rank", "starts",
                 "the_current", "ticked", "wanted", "wanted_days")

    def __init__(self, doc: OrgFile, section: Headline, rank: int, kind: EntryKind,
                 references: set[tuple[str, str]]) -> None:
        self.doc = doc
        self.first = section.body_start
        if section.body_start < section.body_end:
            self.base, self.lo, self.hi = doc.window(section.body_start, section.body_end)
        else:
            self.base, self.lo, self.hi = "", 0, 0
        self.rank, self.kind = rank, kind
        #: The blocks and runs of rows read line by line, in order, and the first row of
        #: each; ``None`` until read once.
        self.parts: list[_Block | _Singles] | None = None
        self.starts: list[int] = []
        #: The timestamps of the ticked items of this section that the Log's done lines
        #: name, and their texts, in file order (``chronology._ticked``'s, for those alone).
        self.wanted = {stamp for title, stamp in references if title == kind.title}
        self.wanted_days: dict[str, dict[str, str]] | None = None
        self.ticked: dict[tuple[str, str | None], list[str]] = {}
        self.the_current: tuple[int, Entry] | None = None

    # -- reading

    def _read(self, texts: bool) -> Iterator[str]:
        """Read the section once (:func:`~ai_protocols.session.sections.iter_entries`'s
        reading, from its window), setting :attr:`parts` and taking the ticked texts
        wanted; with ``texts``, yield the entries' JSON texts on the way, a block's or
        :data:`_BATCH` rows' at a time (``model.ObjectBatches``'s items). A part of the
        section whose every line is a quick item of one form is read in bulk
        (:meth:`_Block.read`)."""
        base, lo, hi = self.base, self.lo, self.hi
        parts: list[_Block | _Singles] = []
        singles = _Singles(0)
        out: list[str] = []
        put = out.append
        wanted, title = self.wanted, self.kind.title
        prefixes, days, clocks = _ITEM_PREFIXES, own_day, own_clock
        encode = string_encoder()
        separator = ITEM_SEPARATOR
        tick = f'{separator}"done": true'
        untick = f'{separator}"done": false'
        run_at = -1  # the offset of the first line since the last quick item, and its number
        run_first = 0
        bulk_from = lo  # (no bulk read is tried again before this offset)
        at, index = lo, self.first
        general: list[Entry] | None = None
        while at < hi:
            if run_at < 0 and at >= bulk_from:
                made = None
                if _form(base, at) is None:  # (a person's line, an open item...)
                    bulk_from = base.find("\n", at, hi) + 1 or hi  # (tried at the next)
                else:
                    made = _Block.read(self, at, singles.row + len(singles.items), index)
                    if made is None:  # (tried again a block on: an odd block costs one)
                        bulk_from = base.find("\n", min(at + _BLOCK, hi - 1), hi) + 1 or hi
                if made is not None:
                    block, text = made
                    if singles.items:
                        parts.append(singles)
                    parts.append(block)
                    singles = _Singles(block.row + block.size)
                    at = block.stop + 1 if block.stop < hi else hi
                    index += block.size * (2 if block.paired else 1)
                    if texts:
                        if out:
                            yield OBJECT_SEPARATOR.join(out)
                            out.clear()
                        yield text
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
                        singles = self._entry_row(entry, parts, singles, put if texts else None)
                    run_at = -1
                if clock is not None:  # (the tool's own item: no Entry)
                    boxed = close == 28
                    done = boxed and line[3] == "X"
                    if done and wanted and line[close - 22:close] in wanted:
                        self.ticked.setdefault((title, line[close - 22:close]), []).append(inline)
                    start = at + line.index(inline, close)  # (its text's place)
                    singles = self._add(parts, singles, start << 32 | (start + len(inline)),
                                        f"{day[0]}{clock[0]}")  # type: ignore[index]
                    if texts:
                        put(f'"time": "{day[0]}{clock[0]}"{separator}'  # type: ignore
                            f'"text": {encode(inline)}'
                            f'{(tick if done else untick) if boxed else ""}')
                else:
                    time, done, box, stamp = known  # type: ignore[misc]
                    if ZWSP in inline or WJ in inline:
                        inline = unescape_inline(inline)
                    singles = self._entry_row(Entry(time, inline, done, rationale, index, box,
                                                    stamp), parts, singles,
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
            singles = self._entry_row(entry, parts, singles, put if texts else None)
        if singles.items:
            parts.append(singles)
        if out:
            yield OBJECT_SEPARATOR.join(out)
        self.starts = [part.row for part in parts]
        self.parts = parts

    def _add(self, parts: list[_Block | _Singles], singles: _Singles, item: int | Entry,
             key: str) -> _Singles:
        """Add the row ``item`` of time ``key`` to ``singles``, or to a new run after it
        when it holds :data:`_BATCH` rows (then in ``parts``); the run added to."""
        if len(singles.items) >= _BATCH:
            parts.append(singles)
            singles = _Singles(singles.row + len(singles.items))
        singles.items.append(item)
        singles.keys.append(key)
        return singles

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

    def _entry_row(self, entry: Entry, parts: list[_Block | _Singles], singles: _Singles,
                   put: Callable[[str], object] | None) -> _Singles:
        """Add ``entry`` (an item not of the tool's own one-line form) to the rows
        (:meth:`_add`), and its JSON text through ``put``."""
        if entry.done and entry.stamp in self.wanted:
            self.ticked.setdefault((self.kind.title, entry.stamp), []).append(entry.text)
        if put is not None:
            put(entry_json_text(entry))
        return self._add(parts, singles, entry, _entry_key(entry))

    def take_ticked(self, day_part: str, clocks: list[str], pieces: list[str]) -> None:
        """Take the texts of the ticked items that :attr:`wanted` names among a block's
        run of one day (``day_part``, ``[2026-11-21 Sat ``; the items' ``clocks``,
        ``HH:MM] ``, and ``pieces``, ``HH:MM] text``)."""
        if self.wanted_days is None:  # (the stamps wanted by their day, then clock time)
            self.wanted_days = {}
            for stamp in self.wanted:
                self.wanted_days.setdefault(stamp[:16], {})[f"{stamp[16:]} "] = stamp
        named = self.wanted_days.get(day_part)
        if named and not named.keys().isdisjoint(clocks):
            for clock, piece in zip(clocks, pieces, strict=True):
                if clock in named:
                    self.ticked.setdefault((self.kind.title, named[clock]),
                                           []).append(piece[7:])

    def read(self) -> list[_Block | _Singles]:
        """:attr:`parts`, the section read once first when it was not."""
        if self.parts is None:
            for _ in self._read(False):
                pass
        return self.parts  # type: ignore[return-value]

    def size(self) -> int:
        """How many entries the section holds."""
        parts = self.read()
        if not parts:
            return 0
        last = parts[-1]
        return last.row + (last.size if type(last) is _Block else len(last.items))

    def text(self, place: int) -> str:
        """The text of a quick item read line by line at ``place``."""
        return self.base[place >> 32:place & _END]

    def _single(self, place: int, line: int | None = None) -> Entry:
        """The ``Entry`` of the quick item at ``place``; ``line``, the number of its line
        when known (else counted from the section's start)."""
        base, start = self.base, place >> 32
        line_start = base.rfind("\n", self.lo, start) + 1 or self.lo
        boxed = base.startswith("] [", line_start + 4)  # (else "- [STAMP] ")
        stamp = base[line_start + 6:line_start + 28] if boxed else \
            base[line_start + 2:line_start + 24]
        if line is None:
            line = self.first + base.count("\n", self.lo, line_start)
        return Entry(own_time(stamp), self.text(place),
                     base[line_start + 3] == "X" if boxed else None, None, line,
                     2 if boxed else None, stamp)

    def entry(self, row: int) -> Entry:
        """The ``Entry`` of ``row``."""
        if self.the_current is not None and self.the_current[0] == row:
            return self.the_current[1]  # (the same object: ``show`` marks it by identity)
        part = self.read()[bisect_right(self.starts, row) - 1]
        if type(part) is _Block:
            return next(islice(part.entries(), row - part.row, None))
        item = part.items[row - part.row]
        return item if type(item) is Entry else self._single(item)  # type: ignore[arg-type]

    def _entries(self) -> Iterator[Entry]:
        """The ``Entry`` of each row, in order, the lines of quick items read line by
        line counted as it goes."""
        base, lo = self.base, self.lo
        line, counted = self.first, lo
        current = self.the_current
        for part in self.read():
            if type(part) is _Block:
                yield from part.entries()
                continue
            for row, item in enumerate(part.items, start=part.row):  # type: ignore[union-attr]
                if type(item) is Entry:
                    yield item
                elif current is not None and current[0] == row:
                    yield current[1]
                else:
                    line_start = base.rfind("\n", lo, item >> 32) + 1 or lo  # type: ignore
                    line += base.count("\n", counted, line_start)
                    counted = line_start
                    yield self._single(item, line)  # type: ignore[arg-type]

    def current(self) -> Entry | None:
        """The step in progress, as ``reading._current`` finds it: the last open item
        whose checkbox is :data:`~ai_protocols.session.sections.CURRENT_BOX` (none when
        the section's text holds none, without reading the section; never one of a
        block's, all ticked or of no checkbox)."""
        if self.base.find(CURRENT_BOX, self.lo, self.hi) == -1:
            return None
        for part in reversed(self.read()):
            if type(part) is _Block:
                continue
            for row in range(part.row + len(part.items) - 1, part.row - 1, -1):  # type: ignore
                item = part.items[row - part.row]  # type: ignore[union-attr]
                if type(item) is Entry:
                    if item.done is False and _is_current(self.doc, item):
                        return item
                    continue
                line_start = self.base.rfind("\n", self.lo, item >> 32) + 1 or self.lo
                if self.base.startswith(CURRENT_BOX, line_start + 2):
                    found = self._single(item)  # type: ignore[arg-type]
                    self.the_current = (row, found)
                    return found
        return None

    # -- what readers see

    def json_texts(self) -> Iterator[str]:
        """The entries' JSON objects' items as text (``model.ObjectBatches``'s items)."""
        if self.parts is None:
            yield from self._read(True)
            return
        for part in self.parts:
            if type(part) is _Block:
                yield part.json()
            else:
                yield OBJECT_SEPARATOR.join(entry_json_text(
                    item if type(item) is Entry else self._single(item))  # type: ignore
                    for item in part.items)  # type: ignore[union-attr]

    def log_objects(self, part: _Block | _Singles, as_json: bool) -> list:  # type: ignore
        """The Log's objects of the entries of ``part``, one of :attr:`parts`, in the
        file's order: their JSON texts (``as_json``: as :meth:`_Block.log` and
        :func:`~ai_protocols.session.model.log_json_text` make them), or their ``Entry``
        (as ``chronology.chronology`` makes them)."""
        name = self.kind.kind
        if type(part) is _Singles:
            return [self._log_object(item, key, as_json)
                    for item, key in zip(part.items, part.keys, strict=True)]
        if as_json:
            return part.log(name, False)  # type: ignore[union-attr,return-value]
        return [Entry(entry.time, chronology_line(name, entry.text), None, None, entry.line,
                      None, entry.stamp) for entry in part.entries()]  # type: ignore[union-attr]

    def _log_object(self, item: int | Entry, key: str, as_json: bool) -> str | Entry:
        """The Log's object of a row read line by line (``item``, of time ``key``): its
        JSON text, or its ``Entry``."""
        name = self.kind.kind
        if type(item) is int and as_json:
            kind, shown = chronology_parts(name, self.text(item))
            encode = string_encoder()
            return f'"time": "{key}"{ITEM_SEPARATOR}"kind": {encode(kind)}' \
                f'{ITEM_SEPARATOR}"text": {encode(shown)}'
        entry = item if type(item) is Entry else self._single(item)  # type: ignore[arg-type]
        logged = Entry(entry.time, chronology_line(name, entry.text), None, None,  # type: ignore
                       entry.line, None, entry.stamp)  # type: ignore[union-attr]
        return log_json_text(logged) if as_json else logged

    def __iter__(self) -> Iterator[Entry]:
        return self._entries()

    def __len__(self) -> int:
        return self.size()

    def __bool__(self) -> bool:
        return self.lo < self.hi and bool(self.read())

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return list(self._entries())[index]
        return self.entry(range(self.size())[index])

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(list(self._entries()))


# -- the Log ----------------------------------------------------------------------------


def _entry_key(entry: Entry) -> str:
    """An ``Entry``'s key in the Log's order: its time's ISO text (:data:`_UNTIMED`)."""
    return _UNTIMED if entry.time is None else iso_minutes(entry.time)


class _Unit:
    """A part of a section (``rows``) in the Log's merge (:meth:`LogRows._windows`): its
    rank and first row (the order of entries of one time), the first and last of its
    times, and, once made, its Log objects in the Log's order, of which ``at`` are
    taken."""

    __slots__ = ("at", "first", "items", "last", "ordered", "part", "rank", "row", "rows",
                 "size")

    def __init__(self, rows: Rows, part: _Block | _Singles) -> None:
        self.rows, self.part, self.rank, self.row = rows, part, rows.rank, part.row
        if type(part) is _Block:
            self.first, self.last, self.ordered = part.first, part.last, part.ordered
            self.size = part.size
        else:
            self.first, self.last = min(part.keys), max(part.keys)  # type: ignore[union-attr]
            self.ordered, self.size = False, len(part.keys)  # type: ignore[union-attr]
        self.at = 0
        self.items: list | None = None  # type: ignore[type-arg]

    def objects(self, as_json: bool, key: Callable[[object], str]) -> list:  # type: ignore
        """Its Log objects in the Log's order (the file's, sorted by their times)."""
        if self.items is None:
            self.items = self.rows.log_objects(self.part, as_json)
            if not self.ordered:
                self.items.sort(key=key)
        return self.items

    def before(self, bound: _Unit | None, as_json: bool, key: Callable[[object], str]) -> int:
        """How many of its objects not taken go before ``bound``'s first (all, for none):
        those of an earlier time, and those of its time when this part goes before
        ``bound`` (an earlier section, or rows before it)."""
        left = self.size - self.at
        if bound is None:
            return left
        earlier = (self.rank, self.row) < (bound.rank, bound.row)
        if self.last < bound.first or (earlier and self.last == bound.first):
            return left
        find = bisect_right if earlier else bisect_left
        return find(self.objects(as_json, key), bound.first, self.at, key=key) - self.at

    def whole(self) -> str | None:
        """The JSON text of all its Log objects, joined, when it gives them all at once in
        the file's order (a block read in bulk whose times run in order); else ``None``."""
        if self.at or type(self.part) is not _Block or not self.ordered:
            return None
        self.at = self.size
        return self.part.log(self.rows.kind.kind, True)  # type: ignore[return-value]


class LogRows:
    """The Log as ``chronology.chronology`` orders it, made as it is read: a sequence of
    ``Entry``, and :meth:`json_texts`, their JSON."""

    __slots__ = ("logged", "sections", "session")

    def __init__(self, logged: list[Entry], sections: list[Rows | list[Entry]],
                 session: Session) -> None:
        self.logged, self.sections, self.session = logged, sections, session

    def _windows(self, as_json: bool) -> Iterator[list | str]:  # type: ignore[type-arg]
        """The Log's objects in its order (``chronology.chronology``'s), a window at a time:
        JSON texts (``as_json``) or ``Entry``. The sections' parts are taken in the order
        of their first times; at each, the parts begun give the objects that go before
        its first (:meth:`_Unit.before`), merged by a stable sort on their times (the
        parts in the order of their sections and rows: ``chronology``'s order of entries
        of one minute); a part that gives all its objects alone, in the file's order,
        with no Log line among them, gives its JSON whole (:meth:`_Block.log`). The Log's
        lines (``chronology.log_events``) go in as ``chronology``'s merge puts them: a line
        before the first entry, from the place of the line before, that it goes before
        (``chronology.goes_before``: later minutes do, earlier ones do not), found by
        halving; after all of them when none, or when that entry has no time."""
        rows = [each for each in self.sections if type(each) is Rows]
        units = [_Unit(each, part) for each in rows for part in each.read()]
        found: dict[tuple[str, str | None], list[str]] = {}
        for each in rows:  # (copies: log_events takes the texts out as it uses them)
            found.update((key, list(texts)) for key, texts in each.ticked.items())
        events = log_events(self.logged, lambda: found, self.session.earlier)
        times = [None if event.time is None else iso_minutes(event.time) for event in events]
        key: Callable[[object], str] = _LOG_KEY if as_json else _entry_key  # type: ignore
        units.sort(key=lambda unit: (unit.first, unit.rank, unit.row))
        active: list[_Unit] = []
        event = 0
        to_end = False  # (the lines left go after every entry)
        for upcoming in chain(units, (None,)):
            taken = [(unit, unit.before(upcoming, as_json, key)) for unit in active]
            taken = [(unit, many) for unit, many in taken if many]
            whole = None
            if as_json and len(taken) == 1 and taken[0][1] == taken[0][0].size and \
                    (to_end or event == len(events) or
                     self._after(events, times, event, taken[0][0].last)):
                whole = taken[0][0].whole()  # (no Log line among its entries)
            if whole is not None:
                yield whole
            elif taken:
                merged: list = []  # type: ignore[type-arg]
                for unit, many in taken:
                    merged += unit.objects(as_json, key)[unit.at:unit.at + many]
                    unit.at += many
                if len(taken) > 1:
                    merged.sort(key=key)
                out: list = []  # type: ignore[type-arg]
                at = 0
                while event < len(events) and not to_end:
                    time = times[event]
                    if time is not None:
                        place = bisect_left(merged, time, at, key=key)
                        if place < len(merged) and key(merged[place]) == time and \
                                not goes_before(events, times, event, time):
                            place = bisect_right(merged, time, place, key=key)
                        if place == len(merged):
                            break  # (after every entry of this window)
                        if key(merged[place]) == _UNTIMED:
                            to_end = True
                            break
                        out += merged[at:place]
                        at = place
                    out.append(log_json_text(events[event]) if as_json else events[event])
                    event += 1
                out += merged[at:]
                yield out
            for unit in active:
                if unit.at == unit.size:
                    unit.items = None  # (its objects are written: not held to the end)
            active = [unit for unit in active if unit.at < unit.size]
            if upcoming is not None:
                active.append(upcoming)
                active.sort(key=lambda unit: (unit.rank, unit.row))
        if event < len(events):  # (at the end: after every entry)
            yield [log_json_text(each) if as_json else each for each in events[event:]]

    @staticmethod
    def _after(events: list[Entry], times: list[str | None], event: int, last: str) -> bool:
        """Whether the Log's line ``events[event]`` goes after every entry of a part
        whose last time is ``last``."""
        time = times[event]
        return time is not None and (time > last or (time == last and
                                     not goes_before(events, times, event, time)))

    def json_texts(self) -> Iterator[str | bytes]:
        """The JSON objects' items of the Log's lines as text (``model.ObjectBatches``),
        a window at a time (:meth:`_windows`), some as their UTF-8 bytes
        (:func:`_given`)."""
        for window in self._windows(True):
            if window:
                yield _given(window if type(window) is str else OBJECT_SEPARATOR.join(window))

    def __iter__(self) -> Iterator[Entry]:
        for window in self._windows(False):
            yield from window

    def __len__(self) -> int:
        return len(self.logged) + sum(  # (a Log line each, an entry each)
            each.size() for each in self.sections if type(each) is Rows)

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return list(self)[index]

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(list(self))
