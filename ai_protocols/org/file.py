"""An Org file that edits splice lines into, keeping every byte a person typed.

Nothing is ever re-rendered, so whatever a person wrote in Emacs between
agent calls stays as it was. The structural rules follow Emacs's org-element
rather than any other reader: a headline is any line matching ``^\\*+ ``
(even inside a block), a property drawer counts only directly under its
headline (after an optional planning line) and only when every line in it is
a ``:KEY: value`` line.

The text is held in chunks, one per headline, kept as pieces of the text read
until something reads their lines one by one: see :class:`OrgFile` and
``docs/performance.md``.
"""

from __future__ import annotations

# (_collections_abc, loaded at every interpreter's start, is where collections.abc takes
# its classes from: importing collections.abc loads collections, a tenth of a start)
from _collections_abc import Sequence

try:  # (the C module bisect takes its functions from: no bisect.py to load)
    from _bisect import bisect_left, bisect_right
except ImportError:  # pragma: no cover - a Python without it
    from bisect import bisect_left, bisect_right
from itertools import islice

from ai_protocols.lean import digits, factory, fold, holds, record
from ai_protocols.org.syntax import (
    before_final_newline,
    format_property,
    is_planning,
    strip_ending,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import overload

__all__ = ["Headline", "OrgFile", "first_headline_properties", "first_headline_start",
           "next_headline_start", "org_properties", "plain_drawer"]

# The lines are read with str methods, not regular expressions (importing re costs half
# an interpreter's start: docs/performance.md); tests/test_str_readers.py holds each
# reader to the regular expression it stands for, given in its docstring.


def without_cookies(title: str) -> str:
    """``title`` without its statistics cookies and priority: every
    ``\\[(?:#.|\\d*/\\d*|\\d*%)\\]`` taken out."""
    out: list[str] = []
    kept = 0
    start = title.find("[")
    while start != -1:
        end = _cookie_end(title, start)
        if end:
            out.append(title[kept:start])
            kept = end
        start = title.find("[", end or start + 1)
    out.append(title[kept:])
    return "".join(out)


def _cookie_end(title: str, at: int) -> int:
    """Where the cookie that opens at ``title[at]`` (a ``[``) ends; 0 when none does."""
    if title[at + 1: at + 2] == "#":
        return at + 4 if title[at + 2: at + 3] not in ("", "\n") and \
            title[at + 3: at + 4] == "]" else 0
    end = at + 1
    while digits(title[end: end + 1]):
        end += 1
    if title[end: end + 1] == "/":
        end += 1
        while digits(title[end: end + 1]):
            end += 1
    elif title[end: end + 1] != "%":
        return 0
    else:
        end += 1
    return end + 1 if title[end: end + 1] == "]" else 0


def is_footnote(line: str) -> bool:
    """Whether a footnote definition starts ``line``: ``\\[fn:[-_\\w]+\\]`` matched."""
    if not line.startswith("[fn:"):
        return False
    end = 4
    while end < len(line) and (line[end].isalnum() or line[end] in "-_"):
        end += 1
    return end > 4 and line[end: end + 1] == "]"


def is_headline(text: str, at: int = 0) -> bool:
    """Whether a headline starts at ``text[at]``: ``\\*+ `` (Org's headline: stars,
    then a space)."""
    end = len(text)
    stop = at
    while stop < end and text[stop] == "*":
        stop += 1
    return at < stop < end and text[stop] == " "


def is_drawer_line(line: str, name: str) -> bool:
    """Whether ``line`` opens or ends a drawer, ``name`` being ``"properties"`` or
    ``"end"``: ``[ \\t]*:NAME:[ \\t]*$``, ignoring case."""
    return fold(before_final_newline(line).strip(" \t")) == f":{name}:"


def read_property(line: str) -> tuple[str, str | None] | None:
    """The key and value of a property line, ``[ \\t]*:(\\S+?):(?: (.*?))?[ \\t]*$``
    (Org 9.5's org-property-drawer-re wants a space, not a tab, after ``:KEY:``), or
    ``None``. The value is ``None`` when no space follows the key."""
    body = before_final_newline(line.lstrip(" \t"))
    if not body.startswith(":") or "\n" in body:
        return None
    colon = body.find(":", 2)
    while colon != -1:
        key = body[1:colon]
        if key.split() != [key]:  # white space in it: \S+ goes no further
            return None
        rest = body[colon + 1:]
        if rest.startswith(" "):
            return key, rest[1:].rstrip(" \t")
        if not rest.strip(" \t"):
            return key, None
        colon = body.find(":", colon + 1)
    return None


def org_properties(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """The properties a drawer's ``(NAME, value)`` lines (:func:`read_property`'s, in
    order) give, as Org reads each (``org-entry-get``): by the name upper-cased, the
    value without white space at its ends (``""`` for none); of a name given twice, the
    first value (Org 9.5's reading); and a ``NAME+`` line's value added to ``NAME``'s
    after a space, each in order, after the ``NAME`` line's value wherever that line
    stands (the Org manual, "Property Syntax": ``:WORKING_SET+: docs/`` widens
    ``:WORKING_SET: src/`` to ``src/ docs/``; a ``NAME+`` line alone is the whole
    value). The one rule of every reader of properties (a headline's drawer, a drawer
    read where it stands). Raises nothing."""
    properties: dict[str, str] = {}
    more: dict[str, list[str]] | None = None
    for key, value in pairs:
        upper = key.upper()
        text = (value or "").strip()
        if len(upper) > 1 and upper[-1] == "+":
            if more is None:
                more = {}
            more.setdefault(upper[:-1], []).append(text)
        elif upper not in properties:
            properties[upper] = text
    if more is not None:
        for name, values in more.items():
            base = properties.get(name)
            properties[name] = " ".join(values if base is None else [base, *values])
    return properties


def _is_tag_char(char: str) -> bool:
    return char.isalnum() or char in "_@#%:"  # [\w@#%:]


def find_tags(text: str) -> tuple[int, str] | None:
    """Where the tags that end a headline's text start, and the tags:
    ``[ \\t]+(:[\\w@#%:]+:)[ \\t]*$``, searched; ``None`` when there are none."""
    core = before_final_newline(text).rstrip(" \t")
    if not core.endswith(":"):
        return None
    start = len(core)
    while start and _is_tag_char(core[start - 1]):
        start -= 1
    tags = core[start:]
    if len(tags) < 3 or tags[0] != ":" or tags[-1] != ":" or not start or \
            core[start - 1] not in " \t":
        return None
    return len(core[:start].rstrip(" \t")), tags


@record
class Headline:
    """A headline and where its parts stand, as line indexes into the file."""

    line: int
    level: int
    title: str
    body_start: int  # first line after the headline, planning line and drawer
    body_end: int  # first line of the next headline of any level
    subtree_end: int  # first line of the next headline of this level or higher
    drawer: tuple[int, int] | None = None  # lines of :PROPERTIES: and :END:
    properties: dict[str, str] = factory(dict)
    todo: str | None = None
    tags: tuple[str, ...] = ()
    raw_title: str = ""  # as org-element's :raw-value: no keyword, priority or tags
    commented: bool = False  # COMMENT after its keyword (org-element's :commentedp)

    @property
    def plain_title(self) -> str:
        """The title without statistics cookies, white space folded, case-folded:
        what a section is recognised by when its CUSTOM_ID is gone."""
        return " ".join(without_cookies(self.raw_title).split()).casefold()


def _split_headline(rest: str, keywords: frozenset[str]) -> tuple[str | None, tuple[str, ...], str]:
    """TODO keyword, tags and raw title of a headline's text after its stars,
    following org-element-headline-parser."""
    text = rest.lstrip(" \t")
    todo = None
    word = text.split(maxsplit=1)[0] if text[:1].strip() else ""
    if word in keywords and _word_ending(text, word):  # (\S+)(?: |$)
        todo = word
        text = text[len(word):].lstrip(" \t")
    spaced = len(text) < len(rest) or todo is not None  # (white space before ``text``)
    if text.startswith("[#") and text[2:3] not in ("", "\n") and text[3:4] == "]":
        spaced = text[4:5] in (" ", "\t")
        text = text[4:].lstrip(" \t")  # \[#.\][ \t]*
    comment = _word_ending(text, "COMMENT")  # COMMENT(?: |$)
    spaced = spaced or comment > len("COMMENT")
    text = text[comment:]
    tags: tuple[str, ...] = ()
    # Tags are a tag group with white space before it in the line: also the one right
    # after the keyword, the priority or COMMENT (``* TODO :onlytag:``: an empty title,
    # as Org 9.7 reads it; 9.5 took the white space with the keyword and read the title
    # ``:onlytag:``). decisions.md, issue 15, thirteenth round.
    found = find_tags(" " + text) if spaced else find_tags(text)
    if found:
        tags = tuple(t for t in found[1].split(":") if t)
        text = text[: max(found[0] - 1, 0)] if spaced else text[: found[0]]
    return todo, tags, text.strip(" \t\n\r")


def _commented(rest: str, keywords: frozenset[str]) -> bool:
    """Whether a headline (its text after the stars, ``rest``) is commented: ``COMMENT``
    after its keyword and priority, then a space or the end (Org syntax, "Headings":
    ``STARS KEYWORD PRIORITY COMMENT TITLE TAGS``; org-element's ``:commentedp``)."""
    text = rest.lstrip(" \t")
    word = text.split(maxsplit=1)[0] if text[:1].strip() else ""
    if word in keywords and _word_ending(text, word):
        text = text[len(word):].lstrip(" \t")
    if text.startswith("[#") and text[2:3] not in ("", "\n") and text[3:4] == "]":
        text = text[4:].lstrip(" \t")
    return bool(_word_ending(strip_ending(text, "\n"), "COMMENT"))


def _word_ending(text: str, word: str) -> int:
    """Where ``(?:WORD)(?: |$)`` ends when ``text`` starts with ``word`` (not empty)
    and a space, the end or a final newline follows it; 0 when it does not."""
    end = len(word)
    if not word or not text.startswith(word):
        return 0
    if end == len(text) or text[end:] == "\n":
        return end
    return end + 1 if text[end] == " " else 0


def _split_lines(text: str) -> list[str]:
    """``text`` as lines that keep their endings. Only ``"\n"`` ends a line for
    Emacs; ``str.splitlines`` would also split on form feeds, U+2028 and others,
    which are text inside a line."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@record
class _Head:
    """Where a headline's parts stand within its own chunk (line 0 is the headline)."""

    level: int
    title: str
    todo: str | None
    tags: tuple[str, ...]
    raw_title: str
    body_start: int
    drawer: tuple[int, int] | None
    properties: dict[str, str]


class _Chunk:
    """One headline's lines (its line and its body up to the next headline), or the
    lines before the first headline.

    Until something reads them one by one, the lines are pieces of text, each
    a window ``base[start:end]`` of whole lines: at first one window into the
    text the file was read as, with nothing copied. Appending lines adds a
    piece; inserting them splits one. A log into a 10 MB file thus reads a few
    small sections and appends to two, without splitting or copying a million
    lines, and every untouched piece is written back from the bytes read.
    """

    __slots__ = ("_lines", "_pieces", "count", "head")

    def __init__(self, base: str, start: int, end: int) -> None:
        self._pieces: list[tuple[str, int, int]] | None = [(base, start, end)]
        self._lines: list[str] | None = None
        self.count = base.count("\n", start, end) + (
            1 if end > start and base[end - 1] != "\n" else 0)
        self.head: _Head | None = None

    @property
    def lines(self) -> list[str]:
        """The lines, split once; the caller may change them."""
        if self._lines is None:
            self._lines = _split_lines(self.text)
            self._pieces = None
        return self._lines

    @property
    def pieces(self) -> list[tuple[str, int, int]]:
        """The text as windows ``base[start:end]``, without copying it."""
        if self._pieces is None:
            text = "".join(self._lines or ())
            self._pieces = [(text, 0, len(text))]
            self._lines = None
        return self._pieces

    @property
    def text(self) -> str:
        if self._lines is not None:
            return "".join(self._lines)
        return "".join(base[start:end] for base, start, end in self.pieces)

    def iter_lines(self) -> Iterator[str]:
        """The lines from the first on, without splitting the rest of the chunk."""
        if self._lines is not None:
            yield from self._lines
            return
        for base, start, end in self.pieces:
            while start < end:
                stop = base.find("\n", start, end) + 1 or end
                yield base[start:stop]
                start = stop

    def _tail(self) -> Iterator[tuple[int, int, str]]:
        """From the last line back: each line's piece, its offset in that piece's
        base, and the line."""
        for number in range(len(self.pieces) - 1, -1, -1):
            base, start, stop = self.pieces[number]
            while stop > start:
                begin = base.rfind("\n", start, stop - 1) + 1 or start
                yield number, begin, base[begin:stop]
                stop = begin

    def tail_lines(self) -> Iterator[str]:
        """The lines from the last back, without splitting the rest of the chunk."""
        if self._lines is not None:
            yield from reversed(self._lines)
            return
        for _number, _begin, line in self._tail():
            yield line

    def has_line_starting(self, prefix: str) -> bool:
        if self._lines is not None:
            return any(line.startswith(prefix) for line in self._lines)
        return any(base.startswith(prefix, start, end) or holds(base, "\n" + prefix, start, end)
                   for base, start, end in self.pieces)

    def terminated(self) -> bool:
        """Whether the last line ends in a newline (only the file's last may not)."""
        if self._lines is not None:
            return not self._lines or self._lines[-1].endswith("\n")
        base, start, end = self.pieces[-1]
        return end == start or base[end - 1] == "\n"

    def insert(self, index: int, block: list[str]) -> None:
        """Insert ``block`` (lines with endings) before line ``index``."""
        if self._lines is not None:
            self._lines[index:index] = block
            self.count += len(block)
            return
        text = "".join(block)
        added = (text, 0, len(text))
        pieces = self.pieces
        at_end = index == self.count
        number, split = (0, 0) if at_end else self._line_start(index)
        self.count += len(block)
        if at_end:  # where entries go: one more piece
            pieces.append(added)
            return
        base, start, end = pieces[number]
        pieces[number: number + 1] = [p for p in ((base, start, split), added, (base, split, end))
                                      if p[1] < p[2]]

    def _line_start(self, index: int) -> tuple[int, int]:
        """The piece where line ``index`` starts, and where in its base."""
        if index * 2 > self.count:
            for seen, (number, begin, _line) in enumerate(self._tail(), start=1):
                if self.count - seen == index:
                    return number, begin
        line = 0
        for number, (base, start, end) in enumerate(self.pieces):
            while start < end:
                if line == index:
                    return number, start
                start = base.find("\n", start, end) + 1 or end
                line += 1
        raise AssertionError(f"line {index} is not in the chunk")


class _LineView(Sequence[str]):
    """``OrgFile.lines``: every line of the file by index, read from the chunks."""

    def __init__(self, doc: OrgFile) -> None:
        self._doc = doc

    def __len__(self) -> int:
        return self._doc.line_count

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, index: int) -> str: ...

        @overload
        def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        chunk, local = self._doc.locate(index)
        return chunk.lines[local]


def _outside(windows: Sequence[tuple[str, int, int]], base: str, start: int,
             end: int) -> list[tuple[int, int]]:
    """The parts ``(lo, hi)`` of ``base[start:end]`` outside every window ``(base, a, b)``
    of ``windows`` (those of other strings aside), in order."""
    parts = [(start, end)]
    for other, a, b in windows:
        if other is base and a < b:
            parts = [(lo, hi) for x, y in parts for lo, hi in ((x, min(y, a)), (max(x, b), y))
                     if lo < hi]
    return parts


def _newline_of(text: str) -> str:
    """The file's line ending: Emacs decodes a file as DOS only when every line ends in
    CRLF; in a mixed file a carriage return is part of its line, as it is here."""
    if "\r" in text:
        lines_ending = text.count("\n")
        return "\r\n" if lines_ending and text.count("\r\n") == lines_ending else "\n"
    return "\n"


def first_headline_properties(text: str) -> dict[str, str] | None:
    """``OrgFile(text).headlines[0].properties`` (the first headline's property drawer,
    keys upper-cased), read without parsing the rest of ``text``; ``None`` when it has
    no headline. What ``list`` reads of each of 100,000 archives: the rules are
    :class:`OrgFile`'s own (its :meth:`~OrgFile._read_head`), with none of its
    bookkeeping."""
    start = first_headline_start(text)
    if start is None:
        return None
    plain = plain_drawer(text, start) if "\r" not in text else None
    if plain is not None:
        return plain[0]
    doc = OrgFile.__new__(OrgFile)
    doc.newline = _newline_of(text)
    doc.todo_keywords = frozenset()  # (they change a headline's title, never its drawer)
    return doc._read_head(_Chunk(text, start, len(text)), first_line=start == 0).properties


def first_headline_start(text: str) -> int | None:
    """Where the first headline of ``text`` starts (an offset: the start of its line),
    as :class:`OrgFile` finds it; ``None`` when it has none."""
    if is_headline(text.lstrip("\ufeff")):  # a byte-order mark stays in its line
        return 0
    return next_headline_start(text, 0)


def next_headline_start(text: str, at: int) -> int | None:
    """Where the first headline that starts a line after offset ``at`` of ``text``
    starts (``at`` itself is not looked at); ``None`` when there is none."""
    found = text.find("\n*", at)  # (a head is short: no need for memchr)
    while found != -1 and not is_headline(text, found + 1):
        found = text.find("\n*", found + 1)
    return None if found == -1 else found + 1


def plain_drawer(text: str, start: int) -> tuple[dict[str, str], int] | None:
    """The property drawer of the headline at ``text[start]`` when it is as the tool
    writes one (``:PROPERTIES:`` on the next line, then ``:KEY: value`` lines, a key of
    letters, digits and ``_``, then ``:END:`` and a newline, all at the start of their
    lines), read with ``str`` methods, and where the line after its ``:END:`` starts;
    ``None`` for any other form, which :meth:`OrgFile._read_head` reads
    (``tests/test_big_files.py`` holds the two equal). ``text`` must hold no carriage
    return (a CRLF file's lines end in one)."""
    first = text.find("\n", start) + 1
    if not first or not text.startswith(":PROPERTIES:\n", first):
        return None
    body = first + len(":PROPERTIES:\n")
    end = text.find("\n:END:\n", body - 1)
    if end < 0:
        return None
    properties: dict[str, str] = {}
    for line in text[body:end].split("\n") if end >= body else ():
        key, colon, value = line[1:].partition(":")
        upper = key.upper()
        if line[:1] != ":" or not colon or not (key.isidentifier() and key.isascii()) or \
                upper == "END" or (value[:1] != " " and value.strip(" \t")):
            return None
        if upper not in properties:  # (the first of a key counts)
            properties[upper] = value.strip()
    return properties, end + len("\n:END:\n")


class OrgFile:
    """An Org document that edits splice lines into, never re-rendering it.

    The text is held in chunks, one per headline (orgparse's nodes keep their
    raw lines the same way), with the line numbers of the headlines and their
    drawers worked out from each chunk's first lines. An edit changes one
    chunk and shifts the line numbers after it; only an edit that makes or
    unmakes a headline parses the file again. :attr:`lines` reads any line
    by index; lines keep their own endings, the byte-order mark, if any,
    stays in front of the first line, and new lines get the file's own
    line ending.
    """

    #: The TODO keywords of a file that declares none: Org's default
    #: (``org-todo-keywords``); a kind of Org file with keywords of its own sets its own.
    default_keywords = frozenset(("TODO", "DONE"))

    def __init__(self, text: str, *, source: bytes | None = None) -> None:
        """``text`` as decoded from ``source``, the bytes read, if given: then the
        chunks no edit touched are written back (:meth:`encoded`) from them."""
        # As long as the text has only ASCII, offsets in it are offsets in the bytes.
        self._source = source if source is not None and len(source) == len(text) else None
        self._read_text = text
        #: For each needle, the windows of the text as read (``start, end``)
        #: :meth:`lines_holding` found it is not in.
        self._absent: dict[str, list[tuple[int, int]]] = {}
        self.newline = _newline_of(text)
        self._parse(text)

    @property
    def lines(self) -> Sequence[str]:
        """Every line of the file by index, with its ending (a view, made on each read:
        kept, it would make a reference cycle, and a reader that turns the cyclic
        garbage collector off, as a 10 MB file's does, would keep the text alive)."""
        return _LineView(self)

    def _parse(self, text: str) -> None:
        #: For each needle, the windows :meth:`pass_over` was given (of the text parsed
        #: before, none applies to ``text``: not kept, nor that text with them).
        self._passing: dict[str, list[tuple[str, int, int]]] = {}
        #: the keywords the file's ``#+TODO:`` lines declare (none: it declares none)
        self.declared_keywords, declares = _todo_keywords(text)
        # A file with a #+TODO: line has the states it declares, even none (``#+TODO: |``):
        # Org's org-set-regexps-and-options takes the lines' words in place of the
        # defaults whenever there is a line.
        self.todo_keywords = self.declared_keywords if declares else self.default_keywords
        starts = [0]  # the lines before the first headline, then one chunk per headline
        if is_headline(text.lstrip("\ufeff")):  # a byte-order mark stays in its line
            starts.append(0)
        found = text.find("*")  # one character: a memchr, many times faster than "\n*"
        while found != -1:
            if found and text[found - 1] == "\n" and is_headline(text, found):
                starts.append(found)
            found = text.find("*", found + 1)
        ends = [*starts[1:], len(text)]
        self._chunks = [_Chunk(text, a, b) for a, b in zip(starts, ends, strict=True)]
        self._renumber()

    def _renumber(self) -> None:
        """Line numbers of the chunks, and the headlines from them."""
        self._first: list[int] = []
        total = 0
        for chunk in self._chunks:
            self._first.append(total)
            total += chunk.count
        self.line_count = total
        self.headlines: list[Headline] = []
        open_levels: list[Headline] = []  # the headlines whose subtree is still open
        for number, chunk in enumerate(self._chunks[1:], start=1):
            head = chunk.head or self._read_head(chunk, first_line=self._first[number] == 0)
            chunk.head = head
            line = self._first[number]
            while open_levels and open_levels[-1].level >= head.level:
                open_levels.pop().subtree_end = line
            drawer = (line + head.drawer[0], line + head.drawer[1]) if head.drawer else None
            headline = Headline(line, head.level, head.title, line + head.body_start,
                                line + chunk.count, total, drawer, head.properties, head.todo,
                                head.tags, head.raw_title,
                                _commented(head.title, self.todo_keywords))
            self.headlines.append(headline)
            open_levels.append(headline)

    def _read_head(self, chunk: _Chunk, *, first_line: bool) -> _Head:
        lines = chunk.iter_lines()
        bare = strip_ending(next(lines), self.newline)
        if first_line:
            bare = bare.lstrip("\ufeff")
        level = len(bare) - len(bare.lstrip("*"))
        rest = bare[level:]
        todo, tags, raw_title = _split_headline(rest, self.todo_keywords)
        head = _Head(level, rest.strip(), todo, tags, raw_title, 1, None, {})
        line = next(lines, None)
        if line is not None and is_planning(line):
            head.body_start = 2
            line = next(lines, None)
        if line is None or not is_drawer_line(strip_ending(line, self.newline), "properties"):
            return head
        pairs: list[tuple[str, str | None]] = []
        for index, line in enumerate(lines, start=head.body_start + 1):
            bare = strip_ending(line, self.newline)
            if is_drawer_line(bare, "end"):
                head.drawer = (head.body_start, index)
                head.properties = org_properties(pairs)
                head.body_start = index + 1
                return head
            found = read_property(bare)
            if not found:
                return head
            pairs.append(found)
        return head

    def locate(self, index: int, *, at_end: bool = False) -> tuple[_Chunk, int]:
        """The chunk that holds line ``index``, and the line's index within it.
        ``at_end``: a line between two chunks goes at the end of the first, so
        that every chunk still starts with its headline."""
        if at_end:
            number = max(bisect_left(self._first, index) - 1, 0)
        else:
            number = bisect_right(self._first, index) - 1
        return self._chunks[number], index - self._first[number]

    def _bare(self, index: int) -> str:
        """Line ``index`` without its ending."""
        return strip_ending(self.lines[index], self.newline)

    @property
    def text(self) -> str:
        return "".join(chunk.text for chunk in self._chunks)

    def encoded(self) -> list[bytes | memoryview]:
        """The file's UTF-8 bytes, in pieces: the bytes read for every chunk no edit
        touched (no copy of a 10 MB file for a one-line change), new ones for the rest."""
        read = memoryview(self._source) if self._source is not None else None
        pieces: list[bytes | memoryview] = []
        for chunk in self._chunks:
            for base, start, end in chunk.pieces:
                if read is not None and base is self._read_text:
                    pieces.append(read[start:end])
                else:
                    pieces.append(base[start:end].encode("utf-8"))
        return pieces

    def iter_between(self, start: int, end: int) -> Iterator[str]:
        """``lines[start:end]`` one by one, without a list of them, nor splitting a chunk
        for good (a 10 MB file's section is a hundred thousand lines)."""
        if start >= end:
            return iter(())
        chunk, local = self.locate(start)
        if local + end - start <= chunk.count and chunk._lines is None:
            return islice(chunk.iter_lines(), local, local + end - start)
        return iter(self.lines_between(start, end))

    def lines_holding(self, needle: str) -> Iterator[tuple[int, str]]:
        """Each line that holds ``needle``, with its index, in file order: a chunk
        without it is passed over by one search of its text (no line split), so a
        search for a rare text through a 4 MiB file costs a few ``memchr`` or a
        ``str.rfind`` (:func:`~ai_protocols.lean.holds`). A
        window of the text as read found without it is not searched again for it (a
        write looks for its earlier-entries links three times, before and after its
        edit, which touches few chunks); nor is one :meth:`pass_over` was given for it,
        unless the rest of its chunk holds it (then every line of the chunk is looked
        at, those too)."""
        absent = self._absent
        passing = self._passing.get(needle, ())
        for number, chunk in enumerate(self._chunks):
            if chunk._lines is None and not any(
                    self._holds(base, lo, hi, needle, absent)
                    for base, start, end in chunk.pieces
                    for lo, hi in _outside(passing, base, start, end)):
                continue
            for index, line in enumerate(chunk.iter_lines(), start=self._first[number]):
                if needle in line:
                    yield index, line

    def pass_over(self, needle: str, windows: Iterable[tuple[str, int, int]]) -> None:
        """Let every later :meth:`lines_holding` of ``needle`` leave out lines of
        ``windows``: windows ``(base, lo, hi)`` of whole lines (as :meth:`window` gives
        them; ``needle`` holds no newline) whose lines the caller of that search knows
        it does not want, whatever they hold (a brief read's items of the tool's own
        form, for the search for earlier-entries links: ``session.layout``). Sound
        through edits: a window's string is never changed (an edit makes new pieces,
        whole lines of it or new text), so a line of it that is still in the file is
        that same line."""
        known = self._passing.setdefault(needle, [])
        known += (window for window in windows if window not in known)  # (read again)

    def _holds(self, base: str, start: int, end: int, needle: str,
               absent: dict[str, list[tuple[int, int]]]) -> bool:
        """Whether ``base[start:end]`` holds ``needle``; when it does not and ``base`` is
        the text as read, which the document holds unchanged (an edit makes new pieces,
        never changes that text), the window is remembered in ``absent``: it and every
        window inside it (an insertion splits a piece in two) are not searched again."""
        if base is not self._read_text:
            return holds(base, needle, start, end)
        known = absent.setdefault(needle, [])
        if any(lo <= start and end <= hi for lo, hi in known):
            return False
        if holds(base, needle, start, end):
            return True
        known.append((start, end))
        return False

    def lines_between(self, start: int, end: int) -> list[str]:
        """``lines[start:end]`` as a list, quickly when it lies in one chunk, whose lines
        are then not kept split (reading a 10 MB file's entries keeps no second copy
        of its text)."""
        if start >= end:
            return []
        chunk, local = self.locate(start)
        if local + end - start <= chunk.count:
            if chunk._lines is not None:
                return chunk._lines[local: local + end - start]
            return list(islice(chunk.iter_lines(), local, local + end - start))
        return list(self.lines[start:end])

    def window(self, start: int, end: int) -> tuple[str, int, int]:
        """``lines[start:end]``, lines of one headline's chunk, as one window
        ``base[lo:hi]`` of a string, returned as ``(base, lo, hi)``: the text as read,
        not copied, unless an edit made the chunk several pieces (then the chunk's text
        is joined once). :meth:`encode_window` gives its bytes, :meth:`keep_windows`
        cuts lines out of it (a rollover: :mod:`ai_protocols.session.rollover`)."""
        chunk, local = self.locate(start)
        assert local > 0 and local + end - start <= chunk.count, "lines of one chunk's body"
        if chunk._lines is not None or len(chunk.pieces) != 1:
            text = chunk.text
            chunk._pieces, chunk._lines = [(text, 0, len(text))], None
        base, lo, hi = chunk.pieces[0]
        for _ in range(local):
            lo = base.find("\n", lo, hi) + 1 or hi
        stop = lo
        if local + end - start == chunk.count:
            stop = hi
        else:
            for _ in range(end - start):
                stop = base.find("\n", stop, hi) + 1 or hi
        return base, lo, stop

    def windows(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """``lines[start:end]``, lines of one headline's chunk, as windows ``(base, lo,
        hi)`` of whole lines, in order, without joining the chunk's pieces when they run
        to the chunk's end (a section's body: the text as read, then what a write
        appended); else the one :meth:`window`."""
        chunk, local = self.locate(start)
        assert local > 0 and local + end - start <= chunk.count, "lines of one chunk's body"
        if chunk._lines is not None or local + end - start != chunk.count:
            return [self.window(start, end)]
        found: list[tuple[str, int, int]] = []
        for base, lo, hi in chunk.pieces:
            while local and lo < hi:  # (the lines before ``start``: a heading, a drawer)
                lo = base.find("\n", lo, hi) + 1 or hi
                local -= 1
            if lo < hi:
                found.append((base, lo, hi))
        return found

    def holds(self, start: int, end: int, needles: tuple[str, ...]) -> bool:
        """Whether ``lines[start:end]`` (as :meth:`windows` takes them) hold any of
        ``needles`` (none with a newline): searched piece by piece, and a window of the
        text as read found without one is not searched again for it (as
        :meth:`lines_holding`: a write past the bound asks the file as read, then the
        file written, which differs by what the write appended)."""
        return any(self._holds(base, lo, hi, needle, self._absent)
                   for needle in needles for base, lo, hi in self.windows(start, end))

    def forget_bytes(self) -> None:
        """Let go of the bytes the file was read from (once they are written): the
        text stays; :meth:`encoded` and :meth:`encode_window` encode it from then on."""
        self._source = None

    def encode_window(self, base: str, lo: int, hi: int) -> bytes | memoryview:
        """The UTF-8 bytes of ``base[lo:hi]`` (a window :meth:`window` gave): a view of
        the bytes read when it is a window of the text as read, else encoded."""
        if self._source is not None and base is self._read_text:
            return memoryview(self._source)[lo:hi]
        return base[lo:hi].encode("utf-8")

    def keep_windows(self, start: int, end: int, windows: list[tuple[int, int]]) -> None:
        """Replace ``lines[start:end]`` (whose :meth:`window` is ``(base, lo, hi)``) with
        the windows ``base[a:b]``, ``(a, b)`` in ``windows``: whole lines of it, in
        order, kept as windows (no copy; written back from the bytes read). As
        :meth:`replace` of those lines: a file that had no final newline keeps
        none."""
        base, lo, hi = self.window(start, end)
        chunk = self.locate(start)[0]
        windows = [(a, b) for a, b in windows if a < b]
        unterminated = end == self.line_count and not self._chunks[-1].terminated()
        if unterminated and windows:
            a, b = windows[-1]
            if base.endswith(self.newline, a, b):
                windows[-1] = (a, b - len(self.newline))
            if windows[-1][0] == windows[-1][1]:
                windows.pop()
        _, first, last = chunk.pieces[0]
        kept = [(base, first, lo), *((base, a, b) for a, b in windows), (base, hi, last)]
        count = sum(base.count("\n", a, b) + (base[b - 1] != "\n") for a, b in windows)
        removed: list[str] = []  # (only lines that may declare TODO keywords: a reparse)
        at = lo
        for a, b in [*windows, (hi, hi)]:
            found = base.find("#+", at, a)
            while found != -1:
                begin = base.rfind("\n", at, found) + 1 or at
                stop = base.find("\n", found, a) + 1 or a
                removed.append(base[begin:stop])
                found = base.find("#+", stop, a)
            at = b
        chunk._pieces = [p for p in kept if p[1] < p[2]]
        chunk.count += count - (end - start)
        self._changed(chunk, [], removed, touches_headline=False)

    # -- edits: each leaves ``headlines`` right for the new text ---------------------------

    def _changed(self, chunk: _Chunk, added: list[str], removed: list[str], *,
                 touches_headline: bool) -> None:
        """Bring the headlines up to date after ``chunk`` changed: shift them, or
        parse again when a headline or a ``#+TODO:`` line was made or unmade."""
        if touches_headline or chunk is self._chunks[0] or \
                any(is_headline(line) for line in added) or \
                any(_mentions_todo_line(line) for line in (*added, *removed)):
            self._source = None
            self._parse(self.text)
            return
        chunk.head = None
        self._renumber()

    def insert(self, index: int, new_lines: Iterable[str]) -> None:
        """Insert ``new_lines`` (without endings) before ``lines[index]``."""
        block = [line + self.newline for line in new_lines]
        chunk, local = self.locate(index, at_end=True)
        if local == chunk.count and not chunk.terminated():
            chunk.lines[-1] += self.newline  # the file's last line: give it an ending
        chunk.insert(local, block)
        self._changed(chunk, block, [], touches_headline=False)

    def insert_all(self, inserts: Iterable[tuple[int, list[str]]]) -> None:
        """Insert each ``(index, lines)``: ``lines`` (without endings) before
        ``lines[index]``, every index read in the text as it is before any of them;
        blocks at one index in the order given. One pass: the headlines are numbered
        once for all (:meth:`insert`'s, block by block, number them after each block:
        quadratic in the blocks of a big board)."""
        by_index: dict[int, list[str]] = {}
        for index, block in inserts:
            by_index.setdefault(index, []).extend(line + self.newline for line in block)
        if not by_index:
            return
        added: list[str] = []
        reparse = False
        for index in sorted(by_index, reverse=True):  # (from the end: indexes stay true)
            block = by_index[index]
            chunk, local = self.locate(index, at_end=True)
            if local == chunk.count and not chunk.terminated():
                chunk.lines[-1] += self.newline  # the file's last line: give it an ending
            chunk.insert(local, block)
            chunk.head = None
            added += block
            reparse = reparse or chunk is self._chunks[0]
        if reparse or any(is_headline(line) or _mentions_todo_line(line) for line in added):
            self._source = None
            self._parse(self.text)
            return
        self._renumber()

    def replace(self, start: int, end: int, new_lines: Iterable[str]) -> None:
        """Replace ``lines[start:end]`` with ``new_lines`` (without endings)."""
        unterminated = end == self.line_count and not self._chunks[-1].terminated()
        block = [line + self.newline for line in new_lines]
        if unterminated and block:  # the file had no final newline: keep it that way
            block[-1] = block[-1][: -len(self.newline)]
            if not block[-1]:  # an empty last line without an ending is no line at all
                block.pop()
        chunk, local = self.locate(start)
        if local + end - start > chunk.count:  # across chunks: splice the whole text
            lines = list(self.lines)
            lines[start:end] = block
            self._source = None
            self._parse("".join(lines))
            return
        removed = chunk.lines[local: local + end - start]
        chunk.lines[local: local + end - start] = block
        chunk.count += len(block) - (end - start)
        self._changed(chunk, block, removed, touches_headline=local == 0)

    def set_line(self, index: int, content: str) -> None:
        """Replace one line's content, keeping its own line ending."""
        chunk, local = self.locate(index)
        old = chunk.lines[local]
        ending = old[len(strip_ending(old, self.newline)):]
        prefix = "\ufeff" if index == 0 and old.startswith("\ufeff") else ""
        chunk.lines[local] = prefix + content + ending
        if not chunk.lines[local]:  # an empty last line without an ending is no line at all
            del chunk.lines[local]
            chunk.count -= 1
        self._changed(chunk, [content], [old], touches_headline=local == 0)

    def _delete_line(self, index: int) -> None:
        chunk, local = self.locate(index)
        removed = chunk.lines.pop(local)
        chunk.count -= 1
        self._changed(chunk, [], [removed], touches_headline=local == 0)

    def _property_lines(self, headline: Headline, key: str) -> list[tuple[int, str]]:
        """The lines of the headline's drawer that give ``key`` its value as Org reads
        it (:func:`org_properties`): each ``KEY`` line and each ``KEY+`` line, in order,
        as ``(index, name as written)``; ``[]`` without a drawer."""
        if headline.drawer is None:
            return []
        start, end = headline.drawer
        wanted = key.upper()
        found = []
        for index in range(start + 1, end):
            pair = read_property(self._bare(index))
            if pair and pair[0].upper() in (wanted, wanted + "+"):
                found.append((index, pair[0]))
        return found

    def set_property(self, headline: Headline, key: str, value: str) -> None:
        """Set ``key`` in the headline's drawer, touching only its own lines: its ``KEY``
        line gets ``value`` (else its first ``KEY+`` line becomes ``KEY``'s; else a new
        line at the end of the drawer, or a new drawer), and every other line that adds
        to its value as Org reads it (``KEY+``, a second ``KEY``) goes, so that Org reads
        ``value`` (:func:`org_properties`)."""
        if headline.drawer is None:
            self.insert(headline.body_start, [":PROPERTIES:", format_property(key, value), ":END:"])
            return
        found = self._property_lines(headline, key)
        if not found:
            self.insert(headline.drawer[1], [format_property(key, value)])
            return
        kept = next(((i, name) for i, name in found if not name.endswith("+")), found[0])
        for index, _name in reversed(found):
            if index > kept[0]:
                self._delete_line(index)
        line = self.lines[kept[0]]
        indent = line[: len(line) - len(line.lstrip())]
        self.set_line(kept[0], indent + format_property(kept[1].rstrip("+") or key, value))
        for index, _name in reversed(found):
            if index < kept[0]:
                self._delete_line(index)

    def remove_property(self, headline: Headline, key: str) -> None:
        """Delete ``key``'s lines from the headline's drawer (its ``KEY`` line and every
        ``KEY+`` line adding to it: Org then reads no ``key``), if it is there."""
        for index, _name in reversed(self._property_lines(headline, key)):
            self._delete_line(index)

    def set_properties(self, line: int, values: Iterable[tuple[str, str | None]]) -> None:
        """Set each ``(key, value)`` in the drawer of the headline on ``line``, in order,
        touching only those lines; a ``None`` value removes the key. The headline is
        looked up again after each change, so no caller holds a stale :class:`Headline`."""
        for key, value in values:
            headline = self.find(line)
            if value is None:
                self.remove_property(headline, key)
            elif headline.properties.get(key.upper()) != value or headline.drawer is None:
                self.set_property(headline, key, value)

    def add_property_to_all(self, headlines: Iterable[Headline], key: str,
                            values: Iterable[str]) -> None:
        """Give each of ``headlines`` (of this text as it is now, none holding ``key``)
        ``key`` with its value from ``values``, in one pass (:meth:`insert_all`): a
        property line at the end of its drawer, or a new drawer where
        :meth:`set_property` puts one. :meth:`set_property` for each, one after another,
        numbers every headline again after each: quadratic in a big board's tasks."""
        inserts: list[tuple[int, list[str]]] = []
        for headline, value in zip(headlines, values, strict=True):
            line = format_property(key, value)
            if headline.drawer is None:
                inserts.append((headline.body_start, [":PROPERTIES:", line, ":END:"]))
            else:
                inserts.append((headline.drawer[1], [line]))
        self.insert_all(inserts)

    def content_end(self, headline: Headline) -> int:
        """Where an entry appended to the headline's own body goes: after its
        last non-blank line, so trailing blank lines keep their place, but in
        front of footnote definitions that end the body: a definition runs on
        to the next one, a headline or two blank lines, so an entry after it
        would become part of the footnote."""
        chunk, local_start = self.locate(headline.body_start)
        base = headline.body_start - local_start
        index = headline.body_end
        for line in chunk.tail_lines():  # from the end, without splitting
            if index <= headline.body_start or line.strip():
                break
            index -= 1
        if not chunk.has_line_starting("[fn:"):  # no footnote definition starts here
            return index
        footnotes: int | None = None
        blank = 0
        for number, line in enumerate(chunk.lines[local_start: index - base],
                                      start=headline.body_start):
            bare = strip_ending(line, self.newline)
            if is_footnote(bare) and footnotes is None:
                footnotes = number
            blank = blank + 1 if not bare.strip() else 0
            if blank >= 2:
                footnotes = None
        return index if footnotes is None else footnotes

    def find(self, line: int) -> Headline:
        """The headline on ``line`` (a line index); ``StopIteration`` when there is none.
        A binary search: the headlines are in line order (a log read per task of a big
        board stays linear in all)."""
        headlines = self.headlines  # (no bisect import: the hot paths import little)
        low, high = 0, len(headlines)
        while low < high:
            middle = (low + high) // 2
            if headlines[middle].line < line:
                low = middle + 1
            else:
                high = middle
        if low < len(headlines) and headlines[low].line == line:
            return headlines[low]
        raise StopIteration


def todo_line_value(text: str, at: int) -> int:
    """Where the value of a ``#+TODO:`` line (or ``#+SEQ_TODO:``, ``#+TYP_TODO:``) that
    starts at ``text[at]`` begins: ``#\\+(?:SEQ_|TYP_)?TODO:(.*)``, ignoring case,
    matched there; -1 when there is none."""
    if not text.startswith("#+", at):
        return -1
    at += 2
    if fold(text[at:at + 4]) in ("seq_", "typ_"):
        at += 4
    return at + 5 if fold(text[at:at + 5]) == "todo:" else -1


def _mentions_todo_line(line: str) -> bool:
    """Whether a ``#+TODO:`` line's pattern is found anywhere in ``line``."""
    at = line.find("#+")
    while at != -1:
        if todo_line_value(line, at) != -1:
            return True
        at = line.find("#+", at + 1)
    return False


def _keyword(word: str) -> str:
    """A ``#+TODO:`` word without its ``(key)``: ``\\(.*\\)$`` taken off."""
    opened = word.find("(")
    return word[:opened] if word.endswith(")") and -1 < opened < len(word) - 1 else word


def todo_lines(text: str) -> list[tuple[int, int, int]]:
    """The ``#+TODO:`` lines (and SEQ_/TYP_) of ``text`` that Org reads as declarations
    (``org-collect-keywords`` takes only keyword elements): each as the offsets of its
    ``#+``, of its value and of its end. A line with anything but spaces and tabs (or
    the byte-order mark) before its ``#+`` is none; neither is one inside a block whose
    text Org does not parse (``#+BEGIN_SRC``, ``EXAMPLE``, ``EXPORT``, ``COMMENT``,
    ``VERSE``: Org syntax, "Blocks": their contents are not elements) or a LaTeX
    environment (``\\begin{NAME}`` ... ``\\end{NAME}``), each closed before the next
    headline (else it is no block: Org reads the lines as a paragraph). One inside a
    quote, center or special block, a drawer or a dynamic block counts, as in Org 9.5
    and 9.7 alike (``tests/test_board_eleventh.py`` asks both)."""
    found: list[tuple[int, int, int]] = []
    at = text.find("#")  # one character: a memchr, where a regular expression crawls
    while at != -1:
        value = todo_line_value(text, at) if text.startswith("+", at + 1) else -1
        line_start = text.rfind("\n", 0, at) + 1
        if value != -1 and not text[line_start:at].lstrip("\ufeff").strip(" \t"):
            end = text.find("\n", value)
            end = len(text) if end == -1 else end
            found.append((at, value, end))
            at = end
        at = text.find("#", at + 1)
    if found:
        spans = _inert_spans(text, found[-1][0])
        if spans:
            found = [line for line in found
                     if not any(a < line[0] < b for a, b in spans)]
    return found


#: The blocks whose lines Org does not read as elements (Org syntax, "Blocks"), folded.
_INERT_BLOCKS = ("src", "example", "export", "comment", "verse")


def _line_opens(text: str, at: int) -> bool:
    """Whether only spaces and tabs stand between ``text[at]`` and its line's start."""
    return not text[text.rfind("\n", 0, at) + 1:at].strip(" \t")


def _block_name(text: str, at: int) -> tuple[str, int] | None:
    """A block or LaTeX environment whose lines Org does not read as elements, opening
    at ``text[at]`` (``#+BEGIN_SRC``..., ``\\begin{NAME}``), as what closes it and
    where its first line ends; ``None`` for anything else. Plain ``str`` methods (no
    ``re``: the PreToolUse hook reads the board without importing it)."""
    end = text.find("\n", at)
    end = len(text) if end == -1 else end
    line = text[at:end]
    if line.startswith("#+"):
        for name in _INERT_BLOCKS:
            word = "begin_" + name
            if fold(line[2:2 + len(word)]) == word and \
                    line[2 + len(word):3 + len(word)] in ("", " ", "\t", "\r"):
                return "#+end_" + name, end
        return None
    if line.startswith("\\begin{"):
        close = line.find("}", 7)
        name = line[7:close] if close > 7 else ""
        if name and all(ch.isascii() and (ch.isalnum() or ch == "*") for ch in name):
            return "\\end{" + name + "}", end
    return None


def _closes(text: str, at: int, closer: str) -> int:
    """Where the line that closes a block (``closer``, folded for ``#+end_``: Org reads it
    in any case) ends, searched from ``at``, before the next headline; -1 when there is
    none (then it is no block)."""
    while True:
        nl = text.find("\n", at)
        if nl == -1:
            return -1
        start = nl + 1
        if text.startswith("*", start) and is_headline(text, start):
            return -1
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line = text[start:end].strip(" \t\r")
        if (fold(line) if closer.startswith("#") else line) == closer:
            return end
        at = start


def _inert_spans(text: str, before: int) -> list[tuple[int, int]]:
    """The spans of ``text`` (offsets of a block's first and last line) that
    :func:`todo_lines` leaves out, among those that begin before offset ``before``."""
    spans: list[tuple[int, int]] = []
    at = 0
    while at < before:
        hash_at = text.find("#+", at, before)
        latex_at = text.find("\\begin{", at, before)
        found = [x for x in (hash_at, latex_at) if x != -1]
        if not found:
            return spans
        at = min(found)
        opened = _block_name(text, at) if _line_opens(text, at) else None
        if opened is None:
            at += 2
            continue
        closer, first_end = opened
        end = _closes(text, first_end, closer)
        if end == -1:
            at = first_end  # not closed in its section: no block, a paragraph
            continue
        spans.append((at, end))
        at = end
    return spans


def _todo_keywords(text: str) -> tuple[frozenset[str], bool]:
    """``#+TODO:`` (and SEQ_/TYP_) keywords, which replace the default ones, and whether
    the file has such a line at all (:func:`todo_lines`: the lines Org reads); a line
    of no keyword (``#+TODO: |``, ``#+TODO:``) declares none, and the defaults go."""
    found: set[str] = set()
    lines = todo_lines(text)
    for _at, value, end in lines:
        found.update(_keyword(w) for w in text[value:end].split() if w != "|")
    return frozenset(found), bool(lines)
