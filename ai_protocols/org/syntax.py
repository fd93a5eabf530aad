"""Org syntax for the text the tool writes and reads back: timestamps, property
lines, list items and example blocks. The file as a whole, and the edits that
splice these lines into it, are :mod:`ai_protocols.org.file`.

Text an agent logs is written so that it can never become structure, at
either level of Org: a single plain line goes inline in a list item, anything
else goes into an ``example`` block, escaped with commas exactly as Org
escapes such blocks (no element); and within a line, every place where Org
would start a live object (a footnote, a macro, a target, a timestamp, a
statistics cookie, inline code, a link that is not a plain URL or file...)
gets a zero-width space, the escape the Org manual recommends ("Escape
Character"), which :func:`unescape_inline` removes again (no object).
"""

from __future__ import annotations

from ai_protocols.lean import IGNORECASE, date, datetime, digits, fold, pattern, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

__all__ = [
    "WJ",
    "ZWSP",
    "Entry",
    "bracket_link",
    "bracket_links",
    "closed_taken",
    "entry_lines",
    "escape_headline",
    "escape_inline",
    "escape_property",
    "example_block",
    "file_scheme",
    "format_property",
    "format_timestamp",
    "markup_in",
    "parse_entries",
    "parse_timestamp",
    "read_text_block",
    "separates_paragraph",
    "strip_ending",
    "text_lines",
    "unescape_inline",
    "without_closed",
]

# What the hot commands read is read with str methods rather than regular expressions
# (importing re costs half an interpreter's start: docs/performance.md). Each such
# reader names in its docstring the regular expression it stands for, and
# tests/test_str_readers.py holds it to that expression. The regular expressions left
# here are used only after a str test found the characters they need.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DIGITS = "0123456789"
_DIGITS_ONE = tuple(_DIGITS)  # (so that "" is not among them)

#: The zero-width space: Org's escape character for text that would otherwise be
#: read as Org syntax (the Org manual, "Escape Character").
ZWSP = "\u200b"
#: The word joiner, as invisible, for the one place a zero-width space cannot
#: escape: Emacs gives the zero-width space whitespace syntax, and a ``$`` followed
#: by white space still closes a ``$...$`` LaTeX fragment; a word character does not.
WJ = "\u2060"
# Where Org would start a live object in a line, and a zero-width space goes in
# (at the end of each match: every pattern ends in a look-ahead or at the place).
# Org 9.5 and 9.7 (org-element's object parsers, org-lint's checkers), each with what
# Org would read there, in words for a message (:func:`markup_in`):
_LIVE_NAMED = [
    # [fn:1] footnotes, [cite:@k] citations, [2026-..] timestamps, [[...]] links
    # (none stays live: a broken one stops export)
    (r"\[(?=fn:)", "a footnote reference"),
    (r"\[(?=cite[:/])", "a citation"),
    (r"\[(?=[0-9]{4}-)", "a timestamp"),
    (r"\[(?=\[)", "a bracket link"),
    (r"\[(?=[0-9]*(?:%|/[0-9]*)\])", "a statistics cookie"),  # [1/2] [50%] [/]
    (r"<(?=[0-9])", "an active timestamp"),  # <2026-..>
    (r"<(?=%)", "a diary sexp"),  # <%%(sexp)>
    (r"<(?=<)", "a target"),  # <<targets>>
    (r"\{(?=\{)", "a macro"),  # {{{macros}}}
    (r"@(?=@)", "an export snippet"),  # @@backend:export snippets@@
    # src_lang{code}, call_name() (evaluated!)
    (r"(?<![A-Za-z0-9])[sc](?=rc_|all_)", "an inline source block or a babel call"),
    (r"\*\*(?= )", "a misplaced heading (org-lint)"),  # "text** x"
    # What the agenda and the clock find by their text alone, in example blocks too:
    # a diary sexp %%(...) starting a line, which the agenda evaluates; CLOCK:,
    # CLOSED:, DEADLINE:, SCHEDULED: and "- State" lines of the log view.
    (r"%(?=%\()", "a diary sexp"),
    (r"(?<![A-Za-z0-9])(?:CLOCK|CLOSED|DEADLINE|SCHEDULED)(?=:)",
     "a clock or planning keyword"),
    (r"(?<![A-Za-z0-9])State(?= +\")", "a state-change note"),
]
#: The patterns of :data:`_LIVE_NAMED`, alone.
_LIVE = [source for source, _ in _LIVE_NAMED]
# type:path plain links and <type:path> angle links, but for plain URLs and files,
# which stay links: a link to a file that is not there is the writer's business.
_LINK_TYPE = pattern(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+_-]*(?=:[^ \t\n])")
_SAFE_LINKS = frozenset({"http", "https", "ftp", "mailto", "file", "doi", "news"})
# A "]" right after such a link, or after the spaces that follow it: org-lint's
# "trailing bracket after link". (Org's white space is space, tab and newline: a
# no-break space is in a link's path.)
_LINK_BRACKET = pattern(r"(?<![A-Za-z0-9])(?:https?|ftp|mailto|file|doi|news):[^ \t\n]*?"
                           r"[ \t]*(?=\])", IGNORECASE)
_LIVE_INLINE = pattern("|".join(_LIVE), IGNORECASE)
# What _LIVE_INLINE needs in a text to match at all (in fold()'s lowercase).
_LIVE_NEEDS = ("[", "<", "{{", "@@", "** ", "%%(", "rc_", "all_", "clock:", "closed:",
               "deadline:", "scheduled:", "state ")
_LINK_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_-")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALNUM = _LETTERS | frozenset(_DIGITS)


def before_final_newline(line: str) -> str:
    """``line`` short of one final ``"\\n"``: where a regular expression's ``$`` also
    matches."""
    return line[:-1] if line.endswith("\n") else line


def _own_timestamp_at(value: str, at: int) -> tuple[str, ...] | None:
    """The year, month, day, hour and minute of ``\\[(\\d{4})-(\\d\\d)-(\\d\\d)
    [A-Za-z]{3} (\\d\\d):(\\d\\d)\\]`` matched at ``value[at]``, or ``None``."""
    stamp = value[at:at + 22]
    if len(stamp) != 22 or stamp[0] != "[" or stamp[5] != "-" or stamp[8] != "-" or \
            stamp[11] != " " or stamp[15] != " " or stamp[18] != ":" or stamp[21] != "]":
        return None
    parts = stamp[1:5], stamp[6:8], stamp[9:11], stamp[16:18], stamp[19:21]
    day = stamp[12:15]
    if not digits("".join(parts)) or not (day.isascii() and day.isalpha()):
        return None
    return parts


#: ASCII digits to 0 and ASCII letters to a: the shape of a timestamp, for one comparison.
_SHAPE = str.maketrans({**{c: "0" for c in _DIGITS},
                        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}})


#: The shape of one of the tool's own timestamps (:data:`_SHAPE`).
_OWN_SHAPE = "[0000-00-00 aaa 00:00]"


def is_own_timestamp(value: str) -> bool:
    """Whether ``value`` is one of the tool's own timestamps and nothing else:
    ``\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [A-Za-z]{3} [0-9]{2}:[0-9]{2}\\]``, whole."""
    return len(value) == 22 and value.isascii() and \
        value.encode("ascii").translate(_BYTES_SHAPE) == _OWN_BYTES


#: :data:`_SHAPE` for ASCII bytes (``bytes.translate`` reads a table of 256 bytes, several
#: times quicker than ``str.translate`` reads a dictionary), :data:`_OWN_SHAPE`'s bytes,
#: and those with the space after it.
_BYTES_SHAPE = bytes.maketrans(bytes(_SHAPE), "".join(_SHAPE.values()).encode("ascii"))
_OWN_BYTES = _OWN_SHAPE.encode("ascii")
_OWN_SHAPED = _OWN_BYTES + b" "


def are_own_timestamps(joined: str, count: int) -> bool:
    """Whether ``joined`` is ``count`` texts one after another, each one of the tool's own
    timestamps (:func:`is_own_timestamp`) and a space: one ``bytes.translate`` of them
    all (:data:`_SHAPE` as bytes: ``joined`` is ASCII), no Python per stamp (the brief
    read's check of the items it passes over, ``session.layout``)."""
    return joined.isascii() and \
        joined.encode("ascii").translate(_BYTES_SHAPE) == _OWN_SHAPED * count


def own_time(stamp: str) -> datetime | None:
    """The moment ``stamp`` names when it is one of the tool's own timestamps
    (:func:`is_own_timestamp`) of a date and time that exist (``[2026-02-30 Mon 10:00]``
    names none); ``None`` for any other text. The one rule by which the readers tell
    the tool's own timestamp from the forms a person may type (``parse_entries``, the
    session reader's and ``show``'s quick reads of an item)."""
    if not is_own_timestamp(stamp):
        return None
    try:  # (digits only, at fixed places: the C parser reads them as datetime would)
        return _from_iso(f"{stamp[1:11]}T{stamp[16:21]}")
    except ValueError:
        return None


_from_iso = datetime.fromisoformat
#: :func:`own_day` and :func:`own_clock`'s answers, each remembered for a few thousand texts.
_OWN_DAYS: dict[str, tuple[str, int] | None] = {}
_OWN_CLOCKS: dict[str, tuple[str, int] | None] = {}
#: A day that exists, to judge a clock time by :func:`own_time` alone.
_SOME_DAY = "[2000-01-01 Sat "


def own_parts(stamp: str) -> tuple[str, int] | None:
    """``(iso_minutes(time), minutes)`` for the moment ``time`` that :func:`own_time`
    reads in ``stamp``, ``minutes`` counted from the start of the day before 0001-01-01
    (``time.toordinal() * 1440 + time.hour * 60 + time.minute``: in the moments' order);
    ``None`` where it reads none: :func:`own_day` of its first 16 characters and
    :func:`own_clock` of its last 6, put together."""
    day = own_day(stamp[:16])
    clock = own_clock(stamp[16:]) if day is not None else None
    if clock is None:
        return None
    return f"{day[0]}{clock[0]}", day[1] + clock[1]  # type: ignore[index]


def own_day(part: str) -> tuple[str, int] | None:
    """The day of a stamp whose first 16 characters are ``part`` (``[2026-11-21 Sat ``),
    when :func:`own_time` reads one there whatever the clock time: its ISO text
    (``2026-11-21T``) and its first minute (see :func:`own_parts`); ``None`` for none.
    A day exists or not whatever the time, and the other way round, so the two are
    judged apart and remembered: a big file's hundred thousand stamps share a few
    hundred days and 1,440 clock times (``show --json`` makes no ``datetime`` for them:
    docs/performance.md)."""
    found = _OWN_DAYS.get(part, False)
    if found is False:
        time = own_time(f"{part}00:00]")
        found = None if time is None else (iso_minutes(time)[:11], time.toordinal() * 1440)
        if len(_OWN_DAYS) > 4096:
            _OWN_DAYS.clear()
        _OWN_DAYS[part] = found
    return found


def own_clock(part: str) -> tuple[str, int] | None:
    """The clock time of a stamp whose last 6 characters are ``part`` (``10:02]``), when
    :func:`own_time` reads one there on a day that exists: ``10:02`` and its minutes
    into the day; ``None`` for none (see :func:`own_day`)."""
    found = _OWN_CLOCKS.get(part, False)
    if found is False:
        time = own_time(f"{_SOME_DAY}{part}")
        found = None if time is None else (part[:5], time.hour * 60 + time.minute)
        if len(_OWN_CLOCKS) > 4096:
            _OWN_CLOCKS.clear()
        _OWN_CLOCKS[part] = found
    return found


def is_planning(line: str) -> bool:
    """Whether ``line`` is a planning line: ``[ \\t]*(?:CLOSED|DEADLINE|SCHEDULED):``."""
    return line.lstrip(" \t").startswith(("CLOSED:", "DEADLINE:", "SCHEDULED:"))


#: Org's ``org-closed-time-regexp`` and ``org-keyword-time-not-clock-regexp`` (org.el):
#: a planning line's ``CLOSED: [T]``, and where the next keyword's timestamp starts.
_CLOSED_TIME = pattern(r"\bCLOSED: *\[[^\]]+\]")
_KEYWORD_TIME = pattern(r"\b(?:SCHEDULED|DEADLINE|CLOSED): *[\[<][^\]>]+[\]>]")


def without_closed(line: str) -> str | None:
    """The planning line ``line`` (without its ending) with its ``CLOSED: [T]`` taken out
    as Org takes it out when a task goes back to an open state (``org-todo`` with
    ``org-log-done`` set: ``org-add-planning-info`` removing ``closed``): from
    ``CLOSED:`` up to the next ``SCHEDULED:``, ``DEADLINE:`` or ``CLOSED:`` with its
    timestamp, or to the end of the line; then the white space that ends the line goes.
    ``None`` when nothing but white space is left (the whole line goes, as Org deletes
    it); ``line`` itself when it holds no ``CLOSED: [T]``. Raises nothing."""
    return closed_taken(line)[0]


def closed_taken(line: str) -> tuple[str | None, str | None]:
    """The one rule of :func:`without_closed`, with what it takes out: ``(the line
    without its CLOSED: [T], or None when nothing is left, the CLOSED: [T] itself as
    typed)``; ``(line, None)`` when it holds no ``CLOSED: [T]`` (Org's
    ``org-closed-time-regexp``: a ``CLOSED:`` inside a word, or before no inactive
    timestamp, is none). Raises nothing."""
    found = _CLOSED_TIME.search(line)
    if found is None:
        return line, None
    after = _KEYWORD_TIME.search(line, found.end())
    rest = line[:found.start()] + (line[after.start():] if after is not None else "")
    return (rest.rstrip(" \t") if rest.strip(" \t") else None), found.group(0)


def format_timestamp(moment: datetime) -> str:
    """``[2026-11-21 Sat 10:02]``: English day names whatever the locale, as Org writes."""
    return f"[{moment:%Y-%m-%d} {_DAY_NAMES[moment.weekday()]} {moment:%H:%M}]"


#: The whole values a person most often types (Emacs's ``C-c .`` and ``C-c !``, with and
#: without ``C-u``'s time), as :data:`_SHAPE` makes them, and where their parts are:
#: read without orgparse (and the ``re``, ``pathlib`` and ``typing`` it imports), which
#: reads them the same (tests/test_timestamps_fifteenth.py).
_TYPED_SHAPES = {"<0000-00-00 aaa 00:00>": (1, 6, 9, 16, 19), "<0000-00-00 aaa>": (1, 6, 9),
                 "[0000-00-00 aaa]": (1, 6, 9)}


def _typed_timestamp(value: str) -> datetime | bool | None:
    """The moment of ``value`` when it is, whole but for surrounding white space, an
    active timestamp with a time or a date alone (active or inactive) of English day
    letters; ``False`` for such a timestamp with an impossible date; ``None`` for any
    other text (orgparse reads it)."""
    stamp = value.strip()
    if not stamp.isascii():
        return None
    spots = _TYPED_SHAPES.get(stamp.translate(_SHAPE))
    if spots is None:
        return None
    try:
        return datetime(*(int(stamp[at:at + (4 if at == 1 else 2)]) for at in spots))
    except ValueError:
        return False


def parse_timestamp(value: str) -> datetime | None:
    """The first Org timestamp in ``value``, or ``None``.

    Our own form is read by its characters' places (a value that is one whole, as
    every ``STARTED`` and ``UPDATED`` the tool writes, by :func:`own_time` at once);
    any other form a person may have typed (active, date only, ranges, repeaters)
    goes to orgparse, which knows them all. An impossible date gives ``None``, not
    an error.
    """
    if len(value) == 22:  # (one of the tool's own timestamps, whole: the one rule, at once)
        moment = own_time(value)
        if moment is not None:
            return moment
    at = value.find("[")
    while at != -1:
        found = _own_timestamp_at(value, at)
        if found:
            try:
                return datetime(*(int(g) for g in found))  # type: ignore[arg-type]
            except ValueError:
                return None
        at = value.find("[", at + 1)
    if "[" not in value and "<" not in value:
        return None
    typed = _typed_timestamp(value)
    if typed is not None:
        return typed or None
    from orgparse.date import OrgDate

    try:
        dates = OrgDate.list_from_str(value)
    except (ValueError, TypeError, AttributeError):
        return None
    if not dates:
        return None
    start = dates[0].start
    if isinstance(start, datetime):
        return start
    if isinstance(start, date):
        return datetime(start.year, start.month, start.day)
    return None


def format_property(key: str, value: str) -> str:
    """A property line laid out as ``org-set-property`` does (``%-10s %s``)."""
    return f"{':' + key + ':':<10} {value}".rstrip()


def _insert_escapes(text: str, positions: set[int], joins: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """``text`` with a zero-width space before each of ``positions`` and a word joiner
    before each of ``joins``, and every zero-width space or word joiner it already
    held doubled, so that :func:`unescape_inline` tells them apart."""
    if not positions and not joins and ZWSP not in text and WJ not in text:
        return text
    out: list[str] = []
    for index, char in enumerate(text):
        if index in positions:
            out.append(ZWSP)
        if index in joins:
            out.append(WJ)
        out.append(char * 2 if char in (ZWSP, WJ) else char)
    if len(text) in positions:
        out.append(ZWSP)
    if len(text) in joins:
        out.append(WJ)
    return "".join(out)


def escape_inline(text: str) -> str:
    """``text`` made inert for Org's objects, to stand in a paragraph, an item, a
    headline, a keyword's value or an example block: a zero-width space goes wherever Org
    (9.5 and 9.7) would begin a footnote reference, citation, timestamp,
    statistics cookie, bracket link, target, macro, export snippet, inline
    source block or babel call, a link of a type other than ``http``, ``https``,
    ``ftp``, ``mailto``, ``file``, ``doi`` and ``news``, or something org-lint takes
    for a misplaced heading or a bracket after a link, and in the diary sexps,
    clock and planning keywords and state-change notes the agenda and the clock
    find by their text; a word joiner after each ``$`` (no ``$...$`` LaTeX
    fragment). Emphasis, entities and plain URLs stay as written.
    :func:`unescape_inline` gives ``text`` back."""
    folded = fold(text)
    positions = {match.end() for match in _LIVE_INLINE.finditer(text)} \
        if any(needed in folded for needed in _LIVE_NEEDS) else set()
    positions.update(end for start, end in link_types(text)
                     if text[start:end].lower() not in _SAFE_LINKS)
    if "]" in text:
        positions.update(match.end() for match in _LINK_BRACKET.finditer(text))
    joins = {index + 1 for index, char in enumerate(text) if char == "$"} \
        if "$" in text else set()  # (a loop over every character only when needed)
    return _insert_escapes(text, positions, joins)


#: What :func:`markup_in` says of a ``type:path`` link's type: Org reads one as a link
#: of any type it knows (``org-link-set-parameters`` adds types), so every type but the
#: plain URLs' and files' is escaped.
_LINK_WORDS = "a link, if Org knows a link type named as the word before its colon"


def markup_in(text: str) -> str | None:
    """What :func:`escape_inline` escapes in ``text``, in words for a message: the first
    (by its place) of the Org objects listed there (``"a timestamp"``, ``"a macro"``,
    a ``type:path`` link, a ``$``, a LaTeX fragment's delimiter...); ``None`` when
    it escapes nothing but the zero-width spaces and word joiners ``text`` already held.
    The words hold none of the text, and no markup: a message may name them as they
    are. Source: the patterns :func:`escape_inline` uses (Org 9.5 and 9.7's object
    parsers and org-lint's checkers)."""
    found: list[tuple[int, str]] = []
    if any(needed in fold(text) for needed in _LIVE_NEEDS):
        for source, what in _LIVE_NAMED:
            match = _live_each(source).search(text)
            if match:
                found.append((match.start(), what))
    found += [(start, _LINK_WORDS) for start, end in link_types(text)
              if text[start:end].lower() not in _SAFE_LINKS]
    if "]" in text:
        found += [(match.start(), "a bracket right after a link (org-lint)")
                  for match in _LINK_BRACKET.finditer(text)]
    if "$" in text:
        found.append((text.index("$"), "a LaTeX fragment's delimiter (a dollar sign)"))
    return min(found)[1] if found else None


_LIVE_EACH: dict[str, re.Pattern[str]] = {}


def _live_each(source: str) -> re.Pattern[str]:
    """One pattern of :data:`_LIVE_NAMED`, compiled on first use."""
    found = _LIVE_EACH.get(source)
    if found is None:
        found = _LIVE_EACH[source] = pattern(source, IGNORECASE)
    return found


def escape_property(text: str) -> str:
    """``text`` made inert as a property value, where only the agenda looks for
    timestamps (Org reads no other object there): a zero-width space after each
    ``<`` or ``[`` that could open one, and around the value when it starts or
    ends in white space, which Org would strip. :func:`unescape_inline` gives
    ``text`` back."""
    # \[(?=[0-9])|<(?=[0-9%])
    positions = {at + 1 for at, char in enumerate(text)
                 if (char == "[" and text[at + 1: at + 2] in _DIGITS_ONE) or
                 (char == "<" and text[at + 1: at + 2] in (*_DIGITS_ONE, "%"))}
    if text[:1].isspace():
        positions.add(0)
    if text[-1:].isspace():
        positions.add(len(text))
    return _insert_escapes(text, positions)


def escape_headline(text: str) -> str:
    """:func:`escape_inline` of ``text``, which ends a headline: also kept from ending
    in what Org reads as tags (``:a:b:``) or from losing white space at its end."""
    escaped = escape_inline(text)
    if text.rstrip().endswith(":") or text[-1:].isspace():
        escaped += ZWSP
    return escaped


def unescape_inline(text: str) -> str:
    """The text that :func:`escape_inline`, :func:`escape_property` or
    :func:`escape_headline` made inert: a doubled zero-width space (or word joiner)
    is one, a single one was an escape and goes. (Text without any is returned as
    it is.)"""
    if ZWSP not in text and WJ not in text:
        return text
    out: list[str] = []  # (ZWSP|WJ)(\1)? each replaced by its second one, if any
    at, end = 0, len(text)
    while at < end:
        char = text[at]
        if char not in (ZWSP, WJ):
            out.append(char)
        elif text[at + 1: at + 2] == char:
            out.append(char)
            at += 1
        at += 1
    return "".join(out)


#: Org's ``org-link-bracket-re`` (Org 9.5 and 9.7 alike): ``[[``, the target (any text
#: but brackets, a bracket escaped by an odd run of backslashes), ``]``, an optional
#: ``[DESCRIPTION]`` (any text, line breaks included, to the first ``]]``), ``]``; for
#: a target holding a backslash, whose reading may backtrack (:func:`bracket_link`).
_BRACKET = pattern(r"\[\[((?:[^\]\[\\]|\\(?:\\\\)*[\]\[]|\\+[^\]\[])+)\]"
                   r"(?:\[[\s\S]+?\])?\]")


def bracket_link(text: str, at: int = 0) -> tuple[int, int] | None:
    """The bracket link Org reads at ``text[at:]`` (which begins ``[[``): ``(close,
    end)``, the target being ``text[at + 2:close]`` (escaped as Org escapes it) and the
    link ending before ``end`` (after its ``]]``; a description, when there is one, is
    ``text[close + 2:end - 2]``); ``None`` when Org reads no bracket link there. Org's
    rule, ``org-link-bracket-re`` (Org 9.5 and 9.7, https://orgmode.org/manual/Link-Format.html):
    a link is ``[[`` to the first ``]]`` after its target (``[[file:a.org][d [[x]] e]]``
    ends after ``x]]``), its target holds no unescaped bracket (``[[file:a]b.org]]``
    is no link), and its description is never empty. The one reader of a bracket
    link's span: the moves' rewriting (:func:`ai_protocols.session.org_links.moved_link_line`),
    the ``Earlier entries`` links (:func:`ai_protocols.session.earlier_links.parse_earlier_link`),
    the rollover's ties (:mod:`ai_protocols.session.rollover`). Reads no more than it
    needs; :mod:`re` only for a target holding a backslash."""
    if not text.startswith("[[", at):
        return None
    close = text.find("]", at + 2)
    if close == -1:
        return None
    if text.find("\\", at + 2, close) != -1:  # (an escape: Org's very expression)
        found = _BRACKET.match(text, at)
        return None if found is None else (found.end(1), found.end())
    if close == at + 2 or text.find("[", at + 2, close) != -1:
        return None
    if text.startswith("][", close):
        end = text.find("]]", close + 3)
        return None if end == -1 else (close, end + 2)
    return (close, close + 2) if text.startswith("]]", close) else None


def bracket_links(text: str, start: int = 0) -> list[tuple[int, int, int]]:
    """Each bracket link Org reads in ``text`` from ``start`` on, in order: ``(begin,
    close, end)`` (:func:`bracket_link`'s span, from the link's ``[[`` at ``begin``).
    Org's search: from each ``[[``, left to right, one link's text holding no other
    (a ``[[`` where no link begins is text, and the search goes on from the next
    character: ``[[[file:a.org]]`` holds a link from its second ``[``)."""
    found: list[tuple[int, int, int]] = []
    at = text.find("[[", start)
    while at != -1:
        span = bracket_link(text, at)
        if span is None:
            at = text.find("[[", at + 1)
            continue
        found.append((at, span[0], span[1]))
        at = text.find("[[", span[1])
    return found


#: The link types of a file (https://orgmode.org/manual/External-Links.html), longest
#: first, each with its colon.
_FILE_TYPES = ("file+emacs:", "file+sys:", "file:")


def file_scheme(text: str, at: int = 0) -> str:
    """The file link type at ``text[at:]`` with its colon, as typed (``file:``,
    ``FILE:``, ``File+Sys:``...), else ``""``. Org reads a link's type in any case
    (Org 9.5 and 9.7: ``[[FILE:x.org]]``, ``File:x.org``, ``<FILE:x.org>`` are file
    links); ASCII letters only (Emacs's case folding of other letters is not
    Python's)."""
    for scheme in _FILE_TYPES:
        piece = text[at:at + len(scheme)]
        if piece.isascii() and piece.lower() == scheme:
            return piece
    return ""


def link_types(text: str) -> list[tuple[int, int]]:
    """Where each ``type:path`` link's type is in ``text``: the spans that
    ``(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+_-]*(?=:[^ \\t\\n])`` finds."""
    found: list[tuple[int, int]] = []
    colon = text.find(":")
    while colon != -1:
        if colon + 1 < len(text) and text[colon + 1] not in " \t\n":
            run = colon
            while run and text[run - 1] in _LINK_CHARS:
                run -= 1
            for start in range(run, colon):
                if text[start] in _LETTERS and (start == 0 or text[start - 1] not in _ALNUM):
                    found.append((start, colon))
                    break
        colon = text.find(":", colon + 1)
    return found


def has_description_tag(text: str) -> bool:
    """Whether ``text`` holds a description list's separator, ``[ \\t]::(?:[ \\t]|$)``
    (``- tag :: text`` in Org lists)."""
    at = text.find("::")
    while at != -1:
        if at and text[at - 1] in " \t" and (
                text[at + 2: at + 3] in ("", " ", "\t") or text[at + 2:] == "\n"):
            return True
        at = text.find("::", at + 1)
    return False


def fits_inline(text: str) -> bool:
    """Whether ``text`` can follow ``- [ts] `` on one line and stay plain text.

    A description-list separator (`` :: ``) would turn the item into a tag
    and description, and surrounding or odd white space would not read back
    the same, so such text goes into a block instead.
    """
    return (
        bool(text)
        and text == text.strip()
        and not has_description_tag(f" {text}")
        # (a printable text holds no control character: the loop only for the rest)
        and (text.isprintable() or not any(ch < " " or ch == "\x7f" for ch in text))
    )


# Lines that start an element other than a paragraph, after Org 9.5's
# org-element-paragraph-separate (without its "$" for blank lines).
_PARAGRAPH_SEPARATE = pattern(
    r"\*+ |\[fn:[-_\w]+\]|%%\(|[ \t]*(?:\||\+(?:-+\+)+[ \t]*$|#(?: |$|\+(?:BEGIN_\S+|\S+"
    r"(?:\[.*\])?:[ \t]*))|:(?: |$|[-_\w]+:[ \t]*$)|-{5,}[ \t]*$|\\begin\{[A-Za-z0-9*]+\}"
    r"|CLOCK:|(?:[-+*]|[0-9]+[.)])(?:[ \t]|$))",
    IGNORECASE,
)


# The first characters (after spaces and tabs) of what _PARAGRAPH_SEPARATE matches.
_SEPARATE_LEADS = frozenset("*[%|+#:-\\cC" + _DIGITS)


def separates_paragraph(line: str) -> bool:
    """Whether ``line`` starts an element other than a paragraph (a headline, an item, a
    table, a keyword, a drawer, a block, a footnote...): Org 9.5's
    org-element-paragraph-separate, matched at its start. Items and ordinary text are
    told with str methods; the rarer elements with the regular expression."""
    bare = line.lstrip(" \t")
    lead = bare[:1]
    if not lead or lead not in _SEPARATE_LEADS:
        return False
    if lead in "-+*" and (bare[1:2] in ("", " ", "\t") or bare[1:] == "\n"):
        return True  # a bullet (or a headline's stars)
    if lead in _DIGITS:  # only [0-9]+[.)](?:[ \t]|$) starts with a digit
        digits = len(bare) - len(bare.lstrip(_DIGITS))
        return bare[digits: digits + 1] in (".", ")") and (
            bare[digits + 1: digits + 2] in ("", " ", "\t") or bare[digits + 1:] == "\n")
    if lead in "cC":  # only CLOCK: does
        return fold(bare[:6]) == "clock:"
    if lead == "|":  # a table
        return True
    after = bare[1:]
    if lead in "#:" and (after[:1] == " " or after in ("", "\n")):
        return True  # a comment; a fixed-width line
    if lead == ":":  # :(?: |$|[-_\w]+:[ \t]*$), a drawer
        name = before_final_newline(after).rstrip(" \t")
        return len(name) > 1 and name[-1] == ":" and \
            all(char.isalnum() or char in "-_" for char in name[:-1])
    if lead == "#":  # #\+(?:BEGIN_\S+|\S+(?:\[.*\])?:[ \t]*), a keyword or a block
        if after[:1] != "+":
            return False
        if fold(after[1:7]) == "begin_" and after[7:8].strip():
            return True
        word = after[1:].split(maxsplit=1)[0] if after[1:2].strip() else ""
        if ":" in word[1:]:
            return True
        if "[" not in after or "]:" not in after:
            return False
    return _PARAGRAPH_SEPARATE.match(line) is not None


def fits_paragraph(text: str) -> bool:
    """Whether ``text`` can stand alone as a paragraph line at column 0: it starts with
    a letter, a digit, a parenthesis or a quote (a stray ``#+END_SRC`` or ``%%(``
    line is a paragraph for org-element, but org-lint or the agenda reads it as
    more), is no other element's first line, and could not be read as a planning
    line if the section's drawer is gone."""
    return (
        fits_inline(text)
        and (text[0].isalnum() or text[0] in "(\"'")
        and not separates_paragraph(text)
        and not is_planning(text)
    )


def example_block(text: str, indent: str) -> list[str]:
    """``text`` as an example block, every line escaped with commas as Org does, and
    made inert (:func:`escape_inline`) for what reads an example block's text all
    the same: the agenda's timestamp ranges and diary sexps, its log view, the
    clock. :func:`read_text_block` gives ``text`` back."""
    body = [(indent + line) if line else ""
            for line in (_comma_escaped(line) for line in escape_inline(text).split("\n"))]
    return [f"{indent}#+begin_example", *body, f"{indent}#+end_example"]


def _comma_escaped(line: str) -> str:
    """``line`` with Org's comma escape: ``^([ \\t]*)(,*(?:\\*|#\\+))`` becomes ``\\1,\\2``."""
    bare = line.lstrip(" \t")
    if not bare.lstrip(",").startswith(("*", "#+")):
        return line
    return f"{line[:len(line) - len(bare)]},{bare}"


def _comma_unescaped(line: str) -> str:
    """``line`` without Org's comma escape: ``^([ \\t]*),(,*(?:\\*|#\\+))`` becomes
    ``\\1\\2``."""
    bare = line.lstrip(" \t")
    if not bare.startswith(",") or not bare.lstrip(",").startswith(("*", "#+")):
        return line
    return line[:len(line) - len(bare)] + bare[1:]


def text_lines(text: str) -> list[str]:
    """A section body holding ``text`` (the summary): a paragraph or a block."""
    return [escape_inline(text)] if fits_paragraph(text) else example_block(text, "")


def entry_lines(stamp: str, text: str, *, checkbox: bool | None = None,
                rationale: str | None = None) -> list[str]:
    """The lines (without endings) of one list item stamped with ``stamp``."""
    box = "" if checkbox is None else ("[X] " if checkbox else "[ ] ")
    head = f"- {box}{stamp}"
    lines = [f"{head} {escape_inline(text)}"] if fits_inline(text) else \
        [head, *example_block(text, "  ")]
    if rationale is not None:
        if fits_inline(rationale):
            lines.append(f"  - Rationale: {escape_inline(rationale)}")
        else:
            lines += ["  - Rationale:", *example_block(rationale, "    ")]
    return lines


def strip_ending(line: str, newline: str = "\n") -> str:
    """``line`` without its line ending: ``"\r\n"`` in a CRLF file, else ``"\n"`` only,
    so that a carriage return typed into a line of an LF file stays text."""
    if line.endswith(newline):
        return line[: -len(newline)]
    return line[:-1] if line.endswith("\n") else line


def read_text_block(lines: list[str], start: int, indent: str,
                    newline: str = "\n") -> tuple[str, int] | None:
    """Read an example block at ``lines[start]``; return its text (commas and escapes
    undone, see :func:`example_block`) and the next index."""
    if start >= len(lines) or strip_ending(lines[start], newline) != f"{indent}#+begin_example":
        return None
    end_marker = f"{indent}#+end_example"
    body: list[str] = []
    for index in range(start + 1, len(lines)):
        line = strip_ending(lines[index], newline)
        if line == end_marker:
            text = unescape_inline("\n".join(_comma_unescaped(line) for line in body))
            return text, index + 1
        body.append(line[len(indent):] if line.startswith(indent) else line.lstrip(" "))
    return None


#: The ISO text of a day (``2026-11-21T``), by its ordinal, for a few thousand days.
_ISO_DAYS: dict[int, str] = {}
#: ``00:`` to ``23:``, and ``00`` to ``59``.
_HOURS = tuple(f"{hour:02d}:" for hour in range(24))
_MINUTES = tuple(f"{minute:02d}" for minute in range(60))


def iso_minutes(moment: datetime) -> str:
    """``moment.isoformat(timespec="minutes")``: for a naive moment, the text of its day
    (remembered for a few thousand days: a big file's hundred thousand entries share
    them) and of its hour and minute, put together; a third of the work of formatting
    it (``show --json`` writes two for each entry)."""
    if moment.tzinfo is not None:  # (equal instants in two zones differ as text)
        return moment.isoformat(timespec="minutes")
    ordinal = moment.toordinal()
    day = _ISO_DAYS.get(ordinal)
    if day is None:
        if len(_ISO_DAYS) > 4096:
            _ISO_DAYS.clear()
        day = _ISO_DAYS[ordinal] = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
    return f"{day}{_HOURS[moment.hour]}{_MINUTES[moment.minute]}"


@record(slots=True)  # (a 10 MB file holds a hundred thousand)
class Entry:
    """One entry read back from a section: a list item that Org reads as a checkbox
    item or as an item that begins with an inactive timestamp.

    ``time`` is the timestamp's start (midnight for a date alone; ``None`` without
    a readable one), ``text`` the rest of the item's first line (or the example
    block right under it), ``done`` the checkbox (``None``: none), ``line`` the
    item's line index and ``box`` the column of its checkbox's ``[``.
    """

    time: datetime | None
    text: str
    done: bool | None = None
    rationale: str | None = None
    line: int = 0
    box: int | None = None
    stamp: str | None = None  # the timestamp as written, brackets included

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "time": iso_minutes(self.time) if self.time else None,
            "text": self.text,
        }
        if self.done is not None:
            data["done"] = self.done
        if self.rationale is not None:
            data["rationale"] = self.rationale
        return data


# Blocks whose contents Org does not parse into elements: no item is inside.
_RAW_BLOCKS = frozenset({"example", "src", "export", "comment", "verse"})
# The characters org-ts-regexp0's day name cannot hold: [^\]+0-9>\r\n -].
_NOT_DAY_NAME = frozenset("]+0123456789>\r\n -")
_LATEX_NAME = _ALNUM | {"*"}


def _block_name(line: str) -> str | None:
    """The name of the block that ``line`` begins: ``[ \\t]*#\\+begin_(\\S+)``, ignoring
    case, matched; ``None`` when it begins none."""
    bare = line.lstrip(" \t")
    if not bare.startswith("#+") or fold(bare[2:8]) != "begin_" or not bare[8:9].strip():
        return None
    return bare[8:].split(maxsplit=1)[0]


def _latex_name(line: str) -> str | None:
    """The environment that ``line`` begins: ``[ \\t]*\\\\begin\\{([A-Za-z0-9*]+)\\}``
    matched; ``None`` when it begins none."""
    bare = line.lstrip(" \t")
    close = bare.find("}", 7)
    if not bare.startswith("\\begin{") or close == -1:
        return None
    name = bare[7:close]
    return name if name and all(char in _LATEX_NAME for char in name) else None


def _closes(line: str, marker: str) -> bool:
    """Whether ``line`` is ``marker`` alone on its line, with spaces and tabs around it:
    ``[ \\t]*MARKER[ \\t]*$``."""
    return before_final_newline(line).strip(" \t") == marker


def _past_block(lines: list[str], index: int, end: int, line: str,
                newline: str) -> int | None:
    """The line after the raw block (example, src...) or LaTeX environment that opens
    at ``index`` (nothing in it is an item for Emacs), or ``None`` when none opens
    there or it is never closed. Other blocks and drawers hold elements: their items
    are items."""
    name = _block_name(line)
    if name is not None and name.lower() in _RAW_BLOCKS:
        if name.isascii():  # [ \t]*#\+end_NAME[ \t]*$, ignoring case
            marker = f"#+end_{name.lower()}"

            def closing(text: str) -> bool:
                return fold(before_final_newline(text).strip(" \t")) == marker
        else:  # a name that only looks like example, src...: re's rule of case
            import re

            closing = re.compile(rf"[ \t]*#\+end_{re.escape(name)}[ \t]*$",
                                 re.IGNORECASE).match  # type: ignore[assignment]
    else:
        latex = _latex_name(line)
        if latex is None:
            return None

        def closing(text: str) -> bool:
            return _closes(text, f"\\end{{{latex}}}")
    for later in range(index + 1, end):
        if closing(strip_ending(lines[later], newline)):
            return later + 1
    return None


def _bullet(line: str) -> tuple[int, int] | None:
    """The width of the indentation before a list item's bullet, and where the text after
    it starts: ``([ \\t]*)(?:[-+*]|[0-9]+[.)])(?:[ \\t]+|$)`` matched; ``None`` when
    ``line`` is no item."""
    bare = line.lstrip(" \t")
    width = len(line) - len(bare)
    if bare[:1] in ("-", "+", "*"):
        at = width + 1
    else:
        digits = len(bare) - len(bare.lstrip(_DIGITS))
        if not digits or bare[digits: digits + 1] not in (".", ")"):
            return None
        at = width + digits + 1
    rest = line[at:]
    spaces = len(rest) - len(rest.lstrip(" \t"))
    if spaces:
        return width, at + spaces
    return (width, at) if rest in ("", "\n") else None


def _counter_end(line: str, at: int) -> int:
    """Where the text goes on after the counter at ``line[at]``,
    ``\\[@(?:start:)?(?:[0-9]+|[A-Za-z])\\][ \\t]*``, if there is one (else ``at``)."""
    if not line.startswith("[@", at):
        return at
    start = at + 2 + (6 if line.startswith("start:", at + 2) else 0)
    rest = line[start:]
    digits = len(rest) - len(rest.lstrip(_DIGITS))
    if not digits and rest[:1] in _LETTERS:
        digits = 1
    if not digits or rest[digits: digits + 1] != "]":
        return at
    after = rest[digits + 1:]
    return start + digits + 1 + len(after) - len(after.lstrip(" \t"))


def _checkbox(line: str, at: int) -> tuple[str, int] | None:
    """The mark in the checkbox at ``line[at]`` and where the text after it starts:
    ``\\[([ xX-])\\](?:[ \\t]+|$)`` matched; ``None`` when there is none."""
    mark = line[at + 1: at + 2]
    if not line.startswith("[", at) or mark not in (" ", "x", "X", "-") or \
            line[at + 2: at + 3] != "]":
        return None
    rest = line[at + 3:]
    spaces = len(rest) - len(rest.lstrip(" \t"))
    if spaces or rest in ("", "\n"):
        return mark, at + 3 + spaces
    return None


def _date_end(line: str, at: int) -> int:
    """Where the date at ``line[at]`` ends: org-element's timestamp up to its first ``]``
    or ``>``, ``[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [^\\]>\\n]*)?[\\]>]``; -1 when there is none."""
    date = line[at: at + 10]
    if len(date) != 10 or date[4] != "-" or date[7] != "-" or \
            not digits(date[:4] + date[5:7] + date[8:]):
        return -1
    at += 10
    after = line[at: at + 1]
    if after in ("]", ">"):
        return at + 1
    if after != " ":
        return -1
    end = len(line)
    for char in "]>\n":  # the first of them
        found = line.find(char, at, end)
        end = end if found == -1 else found
    return end + 1 if end < len(line) and line[end] != "\n" else -1


def _stamp_end(line: str, at: int) -> int:
    """Where the inactive timestamp (or range) at ``line[at]`` ends:
    ``\\[DATE(?:--[<\\[]DATE)?`` (DATE as in :func:`_date_end`); -1 when there is none."""
    if not line.startswith("[", at):
        return -1
    end = _date_end(line, at + 1)
    if end != -1 and line.startswith(("--<", "--["), end):
        later = _date_end(line, end + 3)
        end = later if later != -1 else end
    return end


def _stamp_time(stamp: str) -> datetime | None:
    """When ``stamp`` (an Org timestamp as :func:`_stamp_end` finds them: ``[`` and a
    date first) starts, as org-parse-time-string reads it: the first match of
    org-ts-regexp0, ``([0-9]{4})-([0-9]{2})-([0-9]{2})(?: +[^\\]+0-9>\\r\\n -]+)?``
    ``(?: +([0-9]{1,2}):([0-9]{2}))?``."""
    moment = own_time(stamp)  # the tool's own form, by far the most common
    if moment is not None:
        return moment  # (an own form of no such day goes on: the same None below)
    year, month, day = stamp[1:5], stamp[6:8], stamp[9:11]
    at = 11
    spaces = len(stamp) - len(stamp[at:].lstrip(" ")) - at
    name = spaces
    while at + name < len(stamp) and stamp[at + name] not in _NOT_DAY_NAME:
        name += 1
    if spaces and name > spaces:  # a day name
        at += name
    spaces = len(stamp) - len(stamp[at:].lstrip(" ")) - at
    rest = stamp[at + spaces:]
    width = min(len(rest) - len(rest.lstrip(_DIGITS)), 2)  # (the hour's digits)
    hour = minute = "0"
    if spaces and width and rest[width: width + 1] == ":" and \
            len(rest[width + 1: width + 3]) == 2 and digits(rest[width + 1: width + 3]):
        hour, minute = rest[:width], rest[width + 1: width + 3]
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None


def _item(line: str) -> tuple[int, bool | None, int | None, str | None, str] | None:
    """An entry on ``line``: its indentation, checkbox (``None``: none), the checkbox's
    column, the leading inactive timestamp and the text after both; ``None`` when the
    line is no item, or an item with neither a checkbox nor a leading timestamp."""
    if line.startswith("- ["):  # the tool's own items first: "- [STAMP] " and "- [ ] [STAMP] "
        if is_own_timestamp(line[2:24]) and not line.startswith("--", 24):
            return 0, None, None, line[2:24], line[24:].strip(" \t")
        if line[3:6] in ("X] ", " ] ", "-] ") and is_own_timestamp(line[6:28]) and \
                not line.startswith("--", 28):
            return 0, line[3] == "X", 2, line[6:28], line[28:].strip(" \t")
    bullet = _bullet(line)
    if not bullet or (line.startswith("*")):
        return None
    width, at = bullet
    if line.startswith("[@", at):
        at = _counter_end(line, at)
    done: bool | None = None
    box: int | None = None
    checkbox = _checkbox(line, at) if line[at + 2: at + 3] == "]" else None
    if checkbox:
        if checkbox[0] != "x":  # Org takes "[x]" as the place of a box, but no box
            done, box = checkbox[0] == "X", at
        at = checkbox[1]
    stamp_end = _stamp_end(line, at)
    if box is None and stamp_end == -1:
        return None
    stamp = line[at:stamp_end] if stamp_end != -1 else None
    rest = line[stamp_end:] if stamp else line[at:]
    return width, done, box, stamp, rest.strip(" \t")


def _continued(lines: list[str], index: int, end: int, width: int,
               newline: str) -> tuple[list[str], int]:
    """The lines that go on an item's first line (Org: its paragraphs, lines indented
    more than its bullet, one blank line between two of them, up to two blank lines,
    a line indented no more than the bullet, or another element), each without its
    indentation (a blank line as ``""``), and the index after them."""
    more: list[str] = []
    while index < end:
        line = strip_ending(lines[index], newline)
        bare = line.lstrip(" \t")
        gap = 0
        if not bare and index + 1 < end:  # one blank line may part its paragraphs
            line = strip_ending(lines[index + 1], newline)
            bare, gap = line.lstrip(" \t"), 1
        if not bare or len(line) - len(bare) <= width or separates_paragraph(bare) or \
                is_planning(bare):
            break
        more += [""] * gap + [unescape_inline(bare.rstrip(" \t"))]
        index += 1 + gap
    return more, index


def parse_entries(lines: list[str], start: int, end: int, newline: str = "\n") -> list[Entry]:
    """The entries among ``lines[start:end]``: every list item Org reads as a checkbox
    item or as one beginning with an inactive timestamp, at any depth, in any form
    Org writes (``-``, ``+``, ``*``, ``1.``, ``1)`` bullets; a date alone, a time,
    a range, any day name). Items inside example, source, export, comment and verse
    blocks and LaTeX environments are none, for Emacs as here. Other text is a
    person's: skipped. The tool's own entries may hold their text in an example
    block right under the item, and a decision its rationale in a nested
    ``- Rationale:`` item."""
    entries: list[Entry] = []
    index = start
    while index < end:
        item_line = index
        line = strip_ending(lines[index], newline)
        found = _item(line)
        index += 1
        if found is None:
            index = _past_block(lines, item_line, end, line, newline) or index
            continue
        width, done, box, stamp, inline = found
        indent = line[:width] + "  "
        text = unescape_inline(inline)
        if inline:  # a person's item may go on over more lines, indented past its bullet
            more, index = _continued(lines, index, end, width, newline)
            text = "\n".join([text, *more])
        if not inline:
            block = read_text_block(lines, index, indent, newline)
            if block is not None and block[1] <= end:
                text, index = block
        rationale = None
        if index < end:
            nested = strip_ending(lines[index], newline)
            label = f"{indent}- Rationale:"
            if nested.startswith(label) and nested[len(label):len(label) + 1] in ("", " "):
                rationale = unescape_inline(nested[len(label):].strip(" \t"))
                index += 1
                if not rationale:
                    block = read_text_block(lines, index, indent + "  ", newline)
                    if block is not None and block[1] <= end:
                        rationale, index = block
        entries.append(Entry(
            time=_stamp_time(stamp) if stamp else None,
            text=text,
            done=done,
            rationale=rationale,
            line=item_line,
            box=box,
            stamp=stamp,
        ))
    return entries
