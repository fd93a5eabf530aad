"""Org syntax for the text the tool writes and reads back: timestamps, property
lines, stamped list items and example blocks. The file as a whole, and the
edits that splice these lines into it, are :mod:`ai_protocols.org.file`.

Text an agent logs is written so that it can never become structure: a
single plain line goes inline in a list item, anything else goes into an
``example`` block, escaped with commas exactly as Org escapes such blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "PARAGRAPH_SEPARATE",
    "Entry",
    "entry_lines",
    "example_block",
    "format_property",
    "format_timestamp",
    "parse_entries",
    "parse_timestamp",
    "read_text_block",
    "strip_ending",
    "text_lines",
]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TIMESTAMP = re.compile(r"\[(\d{4})-(\d\d)-(\d\d) [A-Za-z]{3} (\d\d):(\d\d)\]")
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
