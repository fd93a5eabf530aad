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

import re
from datetime import date, datetime

from ai_protocols.lean import IGNORECASE, MULTILINE, pattern, record

__all__ = [
    "PARAGRAPH_SEPARATE",
    "WJ",
    "ZWSP",
    "Entry",
    "entry_lines",
    "escape_headline",
    "escape_inline",
    "escape_property",
    "example_block",
    "format_property",
    "format_timestamp",
    "parse_entries",
    "parse_timestamp",
    "read_text_block",
    "strip_ending",
    "text_lines",
    "unescape_inline",
]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TIMESTAMP = pattern(r"\[(\d{4})-(\d\d)-(\d\d) [A-Za-z]{3} (\d\d):(\d\d)\]")
_DESCRIPTION_TAG = pattern(r"[ \t]::(?:[ \t]|$)")  # "- tag :: text" in Org lists
_ESCAPE = pattern(r"^([ \t]*)(,*(?:\*|#\+))", MULTILINE)
_UNESCAPE = pattern(r"^([ \t]*),(,*(?:\*|#\+))", MULTILINE)

#: The zero-width space: Org's escape character for text that would otherwise be
#: read as Org syntax (the Org manual, "Escape Character").
ZWSP = "\u200b"
#: The word joiner, as invisible, for the one place a zero-width space cannot
#: escape: Emacs gives the zero-width space whitespace syntax, and a ``$`` followed
#: by white space still closes a ``$...$`` LaTeX fragment; a word character does not.
WJ = "\u2060"
# Where Org would start a live object in a line, and a zero-width space goes in
# (at the end of each match: every pattern ends in a look-ahead or at the place).
# Org 9.5 and 9.7 (org-element's object parsers, org-lint's checkers):
_LIVE = [
    # [fn:1] footnotes, [cite:@k] citations, [2026-..] timestamps, [[...]] links
    # (none stays live: a broken one stops export)
    r"\[(?=fn:|cite[:/]|[0-9]{4}-|\[)",
    r"\[(?=[0-9]*(?:%|/[0-9]*)\])",  # [1/2] [50%] [/] statistics cookies
    r"<(?=[0-9%<])",  # <2026-..> active timestamps, <%%(sexp)> diary, <<targets>>
    r"\{(?=\{)",  # {{{macros}}}
    r"@(?=@)",  # @@backend:export snippets@@
    r"(?<![A-Za-z0-9])[sc](?=rc_|all_)",  # src_lang{code}, call_name() (evaluated!)
    r"\*\*(?= )",  # "text** x": org-lint's misplaced heading
    # What the agenda and the clock find by their text alone, in example blocks too:
    # a diary sexp %%(...) starting a line, which the agenda evaluates; CLOCK:,
    # CLOSED:, DEADLINE:, SCHEDULED: and "- State" lines of the log view.
    r"%(?=%\()",
    r"(?<![A-Za-z0-9])(?:CLOCK|CLOSED|DEADLINE|SCHEDULED)(?=:)",
    r"(?<![A-Za-z0-9])State(?= +\")",
]
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
# In a property value only the agenda looks for objects: timestamps, there.
_LIVE_PROPERTY = pattern(r"\[(?=[0-9])|<(?=[0-9%])")
_ESCAPES = pattern(f"({ZWSP}|{WJ})(\\1)?")


def format_timestamp(moment: datetime) -> str:
    """``[2026-11-21 Sat 10:02]``: English day names whatever the locale, as Org writes."""
    return f"[{moment:%Y-%m-%d} {_DAY_NAMES[moment.weekday()]} {moment:%H:%M}]"


def parse_timestamp(value: str) -> datetime | None:
    """The first Org timestamp in ``value``, or ``None``.

    Our own form is read with a regular expression; any other form a person
    may have typed (active, date only, ranges, repeaters) goes to orgparse,
    which knows them all. An impossible date gives ``None``, not an error.
    """
    found = _TIMESTAMP.search(value)
    if found:
        try:
            return datetime(*(int(g) for g in found.groups()))  # type: ignore[arg-type]
        except ValueError:
            return None
    if "[" not in value and "<" not in value:
        return None
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
    positions = {match.end() for match in _LIVE_INLINE.finditer(text)}
    positions.update(match.end() for match in _LINK_TYPE.finditer(text)
                     if match.group(0).lower() not in _SAFE_LINKS)
    positions.update(match.end() for match in _LINK_BRACKET.finditer(text))
    joins = {index + 1 for index, char in enumerate(text) if char == "$"}
    return _insert_escapes(text, positions, joins)


def escape_property(text: str) -> str:
    """``text`` made inert as a property value, where only the agenda looks for
    timestamps (Org reads no other object there): a zero-width space after each
    ``<`` or ``[`` that could open one, and around the value when it starts or
    ends in white space, which Org would strip. :func:`unescape_inline` gives
    ``text`` back."""
    positions = {match.end() for match in _LIVE_PROPERTY.finditer(text)}
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
    return _ESCAPES.sub(lambda m: m.group(2) or "", text)


def fits_inline(text: str) -> bool:
    """Whether ``text`` can follow ``- [ts] `` on one line and stay plain text.

    A description-list separator (`` :: ``) would turn the item into a tag
    and description, and surrounding or odd white space would not read back
    the same, so such text goes into a block instead.
    """
    return (
        bool(text)
        and text == text.strip()
        and not _DESCRIPTION_TAG.search(f" {text}")
        and not any(ch < " " or ch == "\x7f" for ch in text)
    )


# Lines that start an element other than a paragraph, after Org 9.5's
# org-element-paragraph-separate (without its "$" for blank lines).
PARAGRAPH_SEPARATE = pattern(
    r"\*+ |\[fn:[-_\w]+\]|%%\(|[ \t]*(?:\||\+(?:-+\+)+[ \t]*$|#(?: |$|\+(?:BEGIN_\S+|\S+"
    r"(?:\[.*\])?:[ \t]*))|:(?: |$|[-_\w]+:[ \t]*$)|-{5,}[ \t]*$|\\begin\{[A-Za-z0-9*]+\}"
    r"|CLOCK:|(?:[-+*]|[0-9]+[.)])(?:[ \t]|$))",
    IGNORECASE,
)


def fits_paragraph(text: str) -> bool:
    """Whether ``text`` can stand alone as a paragraph line at column 0: it starts with
    a letter, a digit, a parenthesis or a quote (a stray ``#+END_SRC`` or ``%%(``
    line is a paragraph for org-element, but org-lint or the agenda reads it as
    more), is no other element's first line, and could not be read as a planning
    line if the section's drawer is gone."""
    return (
        fits_inline(text)
        and (text[0].isalnum() or text[0] in "(\"'")
        and not PARAGRAPH_SEPARATE.match(text)
        and not re.match(r"(?:CLOSED|DEADLINE|SCHEDULED):", text)
    )


def example_block(text: str, indent: str) -> list[str]:
    """``text`` as an example block, every line escaped with commas as Org does, and
    made inert (:func:`escape_inline`) for what reads an example block's text all
    the same: the agenda's timestamp ranges and diary sexps, its log view, the
    clock. :func:`read_text_block` gives ``text`` back."""
    escaped = _ESCAPE.sub(r"\1,\2", escape_inline(text))
    body = [(indent + line) if line else "" for line in escaped.split("\n")]
    return [f"{indent}#+begin_example", *body, f"{indent}#+end_example"]


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
            text = unescape_inline(_UNESCAPE.sub(r"\1\2", "\n".join(body)))
            return text, index + 1
        body.append(line[len(indent):] if line.startswith(indent) else line.lstrip(" "))
    return None


_ISO_MINUTES: dict[datetime, str] = {}


def iso_minutes(moment: datetime) -> str:
    """``moment.isoformat(timespec="minutes")``, remembered for a few thousand naive
    moments (the hundred thousand entries of a big file share their minutes)."""
    if moment.tzinfo is not None:  # (equal instants in two zones differ as text)
        return moment.isoformat(timespec="minutes")
    text = _ISO_MINUTES.get(moment)
    if text is None:
        if len(_ISO_MINUTES) > 4096:
            _ISO_MINUTES.clear()
        text = _ISO_MINUTES[moment] = moment.isoformat(timespec="minutes")
    return text


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


_BLOCK_BEGIN = pattern(r"[ \t]*#\+begin_(\S+)", IGNORECASE)
# Blocks whose contents Org does not parse into elements: no item is inside.
_RAW_BLOCKS = frozenset({"example", "src", "export", "comment", "verse"})
_LATEX_BEGIN = pattern(r"[ \t]*\\begin\{([A-Za-z0-9*]+)\}")
# org-list-full-item-re: the bullet (a "*" only when indented), an optional
# counter, an optional checkbox (matched ignoring case, as Org does: "[x]" is
# taken but is no checkbox).
_BULLET = pattern(r"([ \t]*)(?:[-+*]|[0-9]+[.)])(?:[ \t]+|$)")
_COUNTER = pattern(r"\[@(?:start:)?(?:[0-9]+|[A-Za-z])\][ \t]*")
_CHECKBOX = pattern(r"\[([ xX-])\](?:[ \t]+|$)")
# org-element's timestamp object at the start of the item's text: an inactive
# timestamp (org-ts-regexp-both, closed by the first "]" or ">"), or a range.
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [^\]>\n]*)?[\]>]"
_STAMP_START = pattern(rf"\[{_DATE}(?:--[<\[]{_DATE})?")
# org-ts-regexp0: the date, an optional day name, an optional time.
_STAMP_PARTS = pattern(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: +[^\]+0-9>\r\n -]+)?"
                          r"(?: +([0-9]{1,2}):([0-9]{2}))?")


def _stamp_time(stamp: str) -> datetime | None:
    """When ``stamp`` (an Org timestamp) starts, as org-parse-time-string reads it."""
    parts = _STAMP_PARTS.search(stamp)
    if parts is None:
        return None
    year, month, day, hour, minute = parts.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def _past_block(lines: list[str], index: int, end: int, line: str,
                newline: str) -> int | None:
    """The line after the raw block (example, src...) or LaTeX environment that opens
    at ``index`` (nothing in it is an item for Emacs), or ``None`` when none opens
    there or it is never closed. Other blocks and drawers hold elements: their items
    are items."""
    opened = _BLOCK_BEGIN.match(line)
    if opened and opened.group(1).lower() in _RAW_BLOCKS:
        closing = re.compile(rf"[ \t]*#\+end_{re.escape(opened.group(1))}[ \t]*$",
                             re.IGNORECASE)
    else:
        latex = _LATEX_BEGIN.match(line)
        if not latex:
            return None
        closing = re.compile(rf"[ \t]*\\end\{{{re.escape(latex.group(1))}\}}[ \t]*$")
    for later in range(index + 1, end):
        if closing.match(strip_ending(lines[later], newline)):
            return later + 1
    return None


def _item(line: str) -> tuple[int, bool | None, int | None, str | None, str] | None:
    """An entry on ``line``: its indentation, checkbox (``None``: none), the checkbox's
    column, the leading inactive timestamp and the text after both; ``None`` when the
    line is no item, or an item with neither a checkbox nor a leading timestamp."""
    bullet = _BULLET.match(line)
    if not bullet or (line.startswith("*")):
        return None
    at = bullet.end()
    counter = _COUNTER.match(line, at)
    if counter:
        at = counter.end()
    done: bool | None = None
    box: int | None = None
    checkbox = _CHECKBOX.match(line, at)
    if checkbox:
        if checkbox.group(1) != "x":  # Org takes "[x]" as the place of a box, but no box
            done, box = checkbox.group(1) == "X", at
        at = checkbox.end()
    stamp = _STAMP_START.match(line, at)
    if box is None and stamp is None:
        return None
    rest = line[stamp.end():] if stamp else line[at:]
    return (len(bullet.group(1)), done, box, stamp.group(0) if stamp else None,
            rest.strip(" \t"))


_PLANNING = pattern(r"(?:CLOSED|DEADLINE|SCHEDULED):")


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
        if not bare or len(line) - len(bare) <= width or PARAGRAPH_SEPARATE.match(bare) or \
                _PLANNING.match(bare):
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
