"""Org text editing that keeps every byte a person typed.

A file is held as its raw lines, each with its own line ending, the way
orgparse's nodes keep their source lines. Edits splice lines in or replace
single lines; nothing is ever re-rendered, so whatever a person wrote in
Emacs between agent calls stays as it was. The structural rules follow
Emacs's org-element rather than any other reader: a headline is any line
matching ``^\\*+ `` (even inside a block), a property drawer counts only
directly under its headline (after an optional planning line) and only when
every line in it is a ``:KEY: value`` line.

Text an agent logs is written so that it can never become structure: a
single plain line goes inline in a list item, anything else goes into an
``example`` block, escaped with commas exactly as Org escapes such blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "PARAGRAPH_SEPARATE",
    "Entry",
    "Headline",
    "OrgFile",
    "entry_lines",
    "example_block",
    "format_property",
    "format_timestamp",
    "parse_entries",
    "parse_timestamp",
    "read_text_block",
    "text_lines",
]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HEADLINE = re.compile(r"\*+ ")
_PLANNING = re.compile(r"[ \t]*(?:CLOSED|DEADLINE|SCHEDULED):")
_DRAWER_OPEN = re.compile(r"[ \t]*:PROPERTIES:[ \t]*$", re.IGNORECASE)
_DRAWER_END = re.compile(r"[ \t]*:END:[ \t]*$", re.IGNORECASE)
# Org 9.5 (org-property-drawer-re) wants a space, not a tab, after ":KEY:".
_PROPERTY = re.compile(r"[ \t]*:(\S+?):(?: (.*?))?[ \t]*$")
_TIMESTAMP = re.compile(r"\[(\d{4})-(\d\d)-(\d\d) [A-Za-z]{3} (\d\d):(\d\d)\]")
_TAGS = re.compile(r"[ \t]+(:[\w@#%:]+:)[ \t]*$")
_COOKIE = re.compile(r"\[(?:#.|\d*/\d*|\d*%)\]")
_DESCRIPTION_TAG = re.compile(r"[ \t]::(?:[ \t]|$)")  # "- tag :: text" in Org lists
_ESCAPE = re.compile(r"^([ \t]*)(,*(?:\*|#\+))", re.MULTILINE)
_UNESCAPE = re.compile(r"^([ \t]*),(,*(?:\*|#\+))", re.MULTILINE)
_ITEM = re.compile(
    r"- (?:\[([ xX-])\] )?\[(\d{4}-\d\d-\d\d [A-Za-z]{3} \d\d:\d\d)\](?: (.*?))?[ \t]*$"
)


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
PARAGRAPH_SEPARATE = re.compile(
    r"\*+ |\[fn:[-_\w]+\]|%%\(|[ \t]*(?:\||\+(?:-+\+)+[ \t]*$|#(?: |$|\+(?:BEGIN_\S+|\S+"
    r"(?:\[.*\])?:[ \t]*))|:(?: |$|[-_\w]+:[ \t]*$)|-{5,}[ \t]*$|\\begin\{[A-Za-z0-9*]+\}"
    r"|CLOCK:|(?:[-+*]|[0-9]+[.)])(?:[ \t]|$))",
    re.IGNORECASE,
)
_FOOTNOTE = re.compile(r"\[fn:[-_\w]+\]")


def fits_paragraph(text: str) -> bool:
    """Whether ``text`` can stand alone as a paragraph line at column 0 (and could
    not be read as a planning line if the section's drawer is gone)."""
    return (
        fits_inline(text)
        and not PARAGRAPH_SEPARATE.match(text)
        and not re.match(r"(?:CLOSED|DEADLINE|SCHEDULED):", text)
    )


def example_block(text: str, indent: str) -> list[str]:
    """``text`` as an example block, every line escaped with commas as Org does."""
    escaped = _ESCAPE.sub(r"\1,\2", text)
    body = [(indent + line) if line else "" for line in escaped.split("\n")]
    return [f"{indent}#+begin_example", *body, f"{indent}#+end_example"]


def text_lines(text: str) -> list[str]:
    """A section body holding ``text`` (the summary): a paragraph or a block."""
    return [text] if fits_paragraph(text) else example_block(text, "")


def entry_lines(stamp: str, text: str, *, checkbox: bool | None = None,
                rationale: str | None = None) -> list[str]:
    """The lines (without endings) of one list item stamped with ``stamp``."""
    box = "" if checkbox is None else ("[X] " if checkbox else "[ ] ")
    head = f"- {box}{stamp}"
    lines = [f"{head} {text}"] if fits_inline(text) else [head, *example_block(text, "  ")]
    if rationale is not None:
        if fits_inline(rationale):
            lines.append(f"  - Rationale: {rationale}")
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
    """Read an example block at ``lines[start]``; return its text and the next index."""
    if start >= len(lines) or strip_ending(lines[start], newline) != f"{indent}#+begin_example":
        return None
    end_marker = f"{indent}#+end_example"
    body: list[str] = []
    for index in range(start + 1, len(lines)):
        line = strip_ending(lines[index], newline)
        if line == end_marker:
            text = _UNESCAPE.sub(r"\1\2", "\n".join(body))
            return text, index + 1
        body.append(line[len(indent):] if line.startswith(indent) else line.lstrip(" "))
    return None


@dataclass
class Entry:
    """One stamped list item read back from a section."""

    time: datetime | None
    text: str
    done: bool | None = None
    rationale: str | None = None
    line: int = 0

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "time": self.time.isoformat(timespec="minutes") if self.time else None,
            "text": self.text,
        }
        if self.done is not None:
            data["done"] = self.done
        if self.rationale is not None:
            data["rationale"] = self.rationale
        return data


_BLOCK_BEGIN = re.compile(r"[ \t]*#\+begin_(\S+)", re.IGNORECASE)


def _past_block(lines: list[str], index: int, end: int, line: str,
                newline: str) -> int | None:
    """The line after the block that opens at ``index`` (nothing in a block is an
    item for Emacs), or ``None`` when no block opens there or it is never closed."""
    opened = _BLOCK_BEGIN.match(line)
    if not opened:
        return None
    closing = re.compile(rf"[ \t]*#\+end_{re.escape(opened.group(1))}[ \t]*$", re.IGNORECASE)
    for later in range(index + 1, end):
        if closing.match(strip_ending(lines[later], newline)):
            return later + 1
    return None


def parse_entries(lines: list[str], start: int, end: int, newline: str = "\n") -> list[Entry]:
    """The stamped items among ``lines[start:end]`` (other text is a person's; skip it)."""
    entries: list[Entry] = []
    index = start
    while index < end:
        item_line = index
        line = strip_ending(lines[index], newline)
        match = _ITEM.match(line)
        index += 1
        if not match:
            index = _past_block(lines, item_line, end, line, newline) or index
            continue
        box, stamp, inline = match.groups()
        text = inline if inline is not None else ""
        if inline is None:
            block = read_text_block(lines, index, "  ", newline)
            if block is not None:
                text, index = block
        rationale = None
        if index < end:
            nested = strip_ending(lines[index], newline)
            if nested.startswith("  - Rationale:"):
                rationale = nested[len("  - Rationale:"):].strip()
                index += 1
                if not rationale:
                    block = read_text_block(lines, index, "    ", newline)
                    if block is not None:
                        rationale, index = block
        entries.append(Entry(
            time=parse_timestamp(f"[{stamp}]"),
            text=text,
            # Org takes only "[X]" as ticked and "[x]" as no checkbox at all.
            done=None if box in (None, "x") else box == "X",
            rationale=rationale,
            line=item_line,
        ))
    return entries


@dataclass
class Headline:
    """A headline and where its parts stand, as line indexes into the file."""

    line: int
    level: int
    title: str
    body_start: int  # first line after the headline, planning line and drawer
    body_end: int  # first line of the next headline of any level
    subtree_end: int  # first line of the next headline of this level or higher
    drawer: tuple[int, int] | None = None  # lines of :PROPERTIES: and :END:
    properties: dict[str, str] = field(default_factory=dict)
    todo: str | None = None
    tags: tuple[str, ...] = ()
    raw_title: str = ""  # as org-element's :raw-value: no keyword, priority or tags

    @property
    def plain_title(self) -> str:
        """The title without statistics cookies, white space folded, case-folded:
        what a section is recognised by when its CUSTOM_ID is gone."""
        return " ".join(_COOKIE.sub("", self.raw_title).split()).casefold()


def _split_headline(rest: str, keywords: frozenset[str]) -> tuple[str | None, tuple[str, ...], str]:
    """TODO keyword, tags and raw title of a headline's text after its stars,
    following org-element-headline-parser."""
    text = rest.lstrip(" \t")
    todo = None
    word = re.match(r"(\S+)(?: |$)", text)
    if word and word.group(1) in keywords:
        todo = word.group(1)
        text = text[word.end():].lstrip(" \t")
    priority = re.match(r"\[#.\][ \t]*", text)
    if priority:
        text = text[priority.end():]
    comment = re.match(r"COMMENT(?: |$)", text)
    if comment:
        text = text[comment.end():]
    tags: tuple[str, ...] = ()
    found = _TAGS.search(text)
    if found:
        tags = tuple(t for t in found.group(1).split(":") if t)
        text = text[: found.start()]
    return todo, tags, text.strip(" \t\n\r")


class OrgFile:
    """An Org document as raw lines that edits splice into.

    ``lines`` keep their own endings; the byte-order mark, if any, stays in
    front of the first line. New lines get the file's own line ending.
    """

    def __init__(self, text: str) -> None:
        # Only "\n" ends a line for Emacs; str.splitlines would also split
        # on form feeds, U+2028 and others, which are text inside a line.
        parts = text.split("\n")
        self.lines: list[str] = [part + "\n" for part in parts[:-1]]
        if parts[-1]:
            self.lines.append(parts[-1])
        # Emacs decodes a file as DOS only when every line ends in CRLF; in a
        # mixed file a carriage return is part of its line, as it is here.
        lines_ending = text.count("\n")
        self.newline = "\r\n" if lines_ending and text.count("\r\n") == lines_ending else "\n"
        self.todo_keywords = self._todo_keywords()
        self.headlines = list(self._scan())

    def _todo_keywords(self) -> frozenset[str]:
        """``#+TODO:`` (and SEQ_/TYP_) keywords replace Org's default TODO and DONE."""
        found: set[str] = set()
        for line in self.lines:
            match = re.match(r"[ \t]*#\+(?:SEQ_|TYP_)?TODO:(.*)", line.lstrip("\ufeff"),
                             re.IGNORECASE)
            if match:
                found.update(re.sub(r"\(.*\)$", "", w) for w in match.group(1).split()
                             if w != "|")
        return frozenset(found or ("TODO", "DONE"))

    def _bare(self, index: int) -> str:
        """Line ``index`` without its ending."""
        return strip_ending(self.lines[index], self.newline)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def _scan(self) -> Iterator[Headline]:
        starts: list[tuple[int, int]] = []
        for index, line in enumerate(self.lines):
            bare = line.lstrip("\ufeff") if index == 0 else line
            if _HEADLINE.match(bare):
                level = len(bare) - len(bare.lstrip("*"))
                starts.append((index, level))
        total = len(self.lines)
        for position, (index, level) in enumerate(starts):
            body_end = starts[position + 1][0] if position + 1 < len(starts) else total
            subtree_end = next(
                (i for i, lv in starts[position + 1:] if lv <= level), total
            )
            rest = self._bare(index).lstrip("\ufeff")[level:]
            todo, tags, raw_title = _split_headline(rest, self.todo_keywords)
            headline = Headline(index, level, rest.strip(), index + 1, body_end, subtree_end,
                                todo=todo, tags=tags, raw_title=raw_title)
            self._read_drawer(headline)
            yield headline

    def _read_drawer(self, headline: Headline) -> None:
        cursor = headline.line + 1
        if cursor < headline.body_end and _PLANNING.match(self.lines[cursor]):
            cursor += 1
        headline.body_start = cursor
        if cursor >= headline.body_end or not _DRAWER_OPEN.match(self._bare(cursor)):
            return
        properties: dict[str, str] = {}
        for index in range(cursor + 1, headline.body_end):
            line = self._bare(index)
            if _DRAWER_END.match(line):
                headline.drawer = (cursor, index)
                headline.properties = properties
                headline.body_start = index + 1
                return
            match = _PROPERTY.match(line)
            if not match:
                return
            properties.setdefault(match.group(1).upper(), (match.group(2) or "").strip())

    # -- edits: each returns nothing and leaves ``headlines`` rebuilt -----------------------

    def _ending(self) -> None:
        """Give the last line an ending, so that lines can follow it."""
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += self.newline

    def insert(self, index: int, new_lines: Iterable[str]) -> None:
        """Insert ``new_lines`` (without endings) before ``lines[index]``."""
        if index >= len(self.lines):
            self._ending()
        block = [line + self.newline for line in new_lines]
        self.lines[index:index] = block
        self.headlines = list(self._scan())

    def replace(self, start: int, end: int, new_lines: Iterable[str]) -> None:
        """Replace ``lines[start:end]`` with ``new_lines`` (without endings)."""
        unterminated = end == len(self.lines) and not self.lines[-1].endswith("\n")
        block = [line + self.newline for line in new_lines]
        if unterminated and block:  # the file had no final newline: keep it that way
            block[-1] = block[-1][: -len(self.newline)]
        self.lines[start:end] = block
        self.headlines = list(self._scan())

    def set_line(self, index: int, content: str) -> None:
        """Replace one line's content, keeping its own line ending."""
        old = self.lines[index]
        ending = old[len(strip_ending(old, self.newline)):]
        prefix = "\ufeff" if index == 0 and old.startswith("\ufeff") else ""
        self.lines[index] = prefix + content + ending
        self.headlines = list(self._scan())

    def set_property(self, headline: Headline, key: str, value: str) -> None:
        """Set ``key`` in the headline's drawer, touching only that one line."""
        if headline.drawer is None:
            self.insert(headline.body_start, [":PROPERTIES:", format_property(key, value), ":END:"])
            return
        start, end = headline.drawer
        for index in range(start + 1, end):
            match = _PROPERTY.match(self._bare(index))
            if match and match.group(1).upper() == key.upper():
                line = self.lines[index]
                indent = line[: len(line) - len(line.lstrip())]
                self.set_line(index, indent + format_property(match.group(1), value))
                return
        self.insert(end, [format_property(key, value)])

    def remove_property(self, headline: Headline, key: str) -> None:
        """Delete ``key``'s line from the headline's drawer, if it is there."""
        if headline.drawer is None:
            return
        start, end = headline.drawer
        for index in range(start + 1, end):
            match = _PROPERTY.match(self._bare(index))
            if match and match.group(1).upper() == key.upper():
                del self.lines[index]
                self.headlines = list(self._scan())
                return

    def content_end(self, headline: Headline) -> int:
        """Where an entry appended to the headline's own body goes: after its
        last non-blank line, so trailing blank lines keep their place, but in
        front of footnote definitions that end the body: a definition runs on
        to the next one, a headline or two blank lines, so an entry after it
        would become part of the footnote."""
        index = headline.body_end
        while index > headline.body_start and not self.lines[index - 1].strip():
            index -= 1
        footnotes: int | None = None
        blank = 0
        for line in range(headline.body_start, index):
            bare = self._bare(line)
            if _FOOTNOTE.match(bare) and footnotes is None:
                footnotes = line
            blank = blank + 1 if not bare.strip() else 0
            if blank >= 2:
                footnotes = None
        return index if footnotes is None else footnotes

    def find(self, line: int) -> Headline:
        return next(h for h in self.headlines if h.line == line)
