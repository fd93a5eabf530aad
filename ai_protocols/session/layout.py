"""The session-context file's layout: reading it back and splicing entries in.

Everything here works on an :class:`~ai_protocols.org.file.OrgFile` in memory,
but :func:`read_info`, which reads the head of a file for ``list``; the one
transaction that writes a session (:mod:`ai_protocols.session.transaction`)
holds the locks and does the file I/O.
"""

from __future__ import annotations

import re
from pathlib import Path

from ai_protocols.errors import AmbiguousItem, ItemNotFound, UnreadableSession
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import (
    PARAGRAPH_SEPARATE,
    Entry,
    entry_lines,
    format_property,
    format_timestamp,
    parse_entries,
    parse_timestamp,
    read_text_block,
    strip_ending,
    text_lines,
)
from ai_protocols.session.model import KIND_OF, SECTION_KINDS, LogEntry, Session, SessionInfo
from ai_protocols.session.names import name_time
from ai_protocols.session.text import preview

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Literal

#: Section key (its CUSTOM_ID) and the title a fresh file gives it, in file order:
#: the summary, a section per kind of entry that has one, and the Log.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    *((k.section, k.title) for k in SECTION_KINDS),  # type: ignore[misc]
    ("log", "Log"),
)
ACTIVE = "active"
WRAPPED_UP = "wrapped-up"
ENDED = "ended"  # the spawner saw the agent exit without a wrap-up
CRASHED = "crashed"  # archived by `recover --archive`
NO_SESSION_HEADLINE = "it has no session headline (one with STATUS and STARTED)"


# -- reading ------------------------------------------------------------------------------


def is_session(headline: Headline) -> bool:
    return "STATUS" in headline.properties and "STARTED" in headline.properties


def session_headline(doc: OrgFile) -> Headline | None:
    return next((h for h in doc.headlines if is_session(h)), None)


def find_section(doc: OrgFile, session: Headline, key: str) -> Headline | None:
    """The section ``key``: by CUSTOM_ID in the session's subtree, then by title
    there, then by CUSTOM_ID elsewhere (a person may have moved it), but never
    inside another session's subtree (an old session pasted into the file)."""

    def inside(headline: Headline, parent: Headline) -> bool:
        return parent.line < headline.line < parent.subtree_end

    ours = [h for h in doc.headlines if inside(h, session)]
    for headline in ours:
        if headline.properties.get("CUSTOM_ID") == key:
            return headline
    title = dict(SECTIONS)[key].casefold()
    for headline in ours:
        if headline.plain_title == title:
            return headline
    others = [h for h in doc.headlines if h is not session and is_session(h)]
    for headline in doc.headlines:
        if headline.properties.get("CUSTOM_ID") == key and \
                not any(inside(headline, other) for other in others):
            return headline
    return None


def _summary_span(doc: OrgFile, section: Headline) -> tuple[int, int, str] | None:
    """Where the summary stands, and its text: the section's first element, when
    it is a paragraph or an example block (a person's drawers, such as LOGBOOK,
    may come first). ``(start, start, "")`` when there is none: where one goes."""
    lines = doc.lines
    start = _after_drawers(doc, section)
    probe = start
    while probe < section.body_end and not lines[probe].strip():
        probe += 1
    if probe >= section.body_end:
        return start, start, ""
    block = read_text_block(lines, probe, "", doc.newline)
    if block is not None and block[1] <= section.body_end:
        return probe, block[1], block[0]
    if PARAGRAPH_SEPARATE.match(strip_ending(lines[probe], doc.newline).lstrip("\ufeff")):
        return start, start, ""
    end = probe + 1
    while end < section.body_end and lines[end].strip() and \
            not PARAGRAPH_SEPARATE.match(strip_ending(lines[end], doc.newline)):
        end += 1
    return probe, end, " ".join(line.strip() for line in lines[probe:end])


def _after_drawers(doc: OrgFile, section: Headline) -> int:
    """The first line after the drawers (LOGBOOK and the like) that open a section."""
    index = section.body_start
    while index < section.body_end and \
            re.fullmatch(r"[ \t]*:[-_\w]+:[ \t]*", strip_ending(doc.lines[index], doc.newline)):
        close = next((i for i in range(index + 1, section.body_end) if re.fullmatch(
            r"[ \t]*:END:[ \t]*", strip_ending(doc.lines[i], doc.newline), re.IGNORECASE)), None)
        if close is None:
            break
        index = close + 1
    return index


def _entries(doc: OrgFile, section: Headline) -> list[Entry]:
    """The stamped items of the section's own body, their lines numbered in the file."""
    lines = doc.lines_between(section.body_start, section.body_end)
    entries = parse_entries(lines, 0, len(lines), doc.newline)
    for entry in entries:
        entry.line += section.body_start
    return entries


def _count(value: str) -> int:
    """A count a property holds: ASCII digits (``str.isdigit`` also takes ``²``, which
    ``int`` refuses), at most nine of them; 0 for anything else."""
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else 0


def read_session(path: Path, text: str) -> Session:
    """Read a session-context file; a person's own headings and notes are passed over."""
    doc = OrgFile(text)
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    props = headline.properties
    title = props.get("TITLE")
    session = Session(
        path=path,
        agent_id=props.get("AGENT_ID") or None,
        title=title,
        host=props.get("HOST"),
        status=props.get("STATUS"),
        started=parse_timestamp(props.get("STARTED", "")),
        updated=parse_timestamp(props.get("UPDATED", "")),
        ended=parse_timestamp(props.get("ENDED", "")),
        description=props.get("DESCRIPTION"),
        owner=props.get("OWNER"),
        exit=props.get("EXIT"),
        exited=parse_timestamp(props.get("EXITED", "")),
        exit_by=props.get("EXIT_BY"),
        adopted_from=props.get("ADOPTED_FROM"),
        agent_session=props.get("AGENT_SESSION"),
        agent_source=props.get("AGENT_SOURCE"),
        transcript=props.get("TRANSCRIPT"),
        compactions=_count(props.get("COMPACTIONS", "")),
        compacted=parse_timestamp(props.get("COMPACTED", "")),
        git_branch=props.get("GIT_BRANCH"),
        git_commit=props.get("GIT_COMMIT"),
        checkpoint=props.get("CHECKPOINT"),
        checkpoint_commit=props.get("CHECKPOINT_COMMIT"),
        checkpoint_base=props.get("CHECKPOINT_BASE"),
        checkpoint_files=_count(props.get("CHECKPOINT_FILES", "")),
        context_shown=props.get("CONTEXT_SHOWN"),
    )
    for kind in SECTION_KINDS:
        section = find_section(doc, headline, kind.section)  # type: ignore[arg-type]
        session.entries[kind.kind] = _entries(doc, section) if section is not None else []
    log = find_section(doc, headline, "log")
    if log is not None:
        session.log.extend(_entries(doc, log))
    summary = find_section(doc, headline, "summary")
    if summary is not None:
        start, end, text = _summary_span(doc, summary)
        session.summary = text if end > start else None
    return session


# -- writing ------------------------------------------------------------------------------


def new_session_text(*, agent_id: str | None, host: str, title: str | None,
                     now: datetime, owner: str | None = None) -> str:
    """A fresh session-context file, as Org lays such a file out."""
    stamp = format_timestamp(now)
    heading = f"Session: {title}" if title else "Session"
    props = [("TITLE", title), ("AGENT_ID", agent_id), ("HOST", host), ("OWNER", owner),
             ("STARTED", stamp), ("UPDATED", stamp), ("STATUS", ACTIVE)]
    lines = [
        f"#+TITLE: {heading}",
        "",
        f"* {heading}",
        ":PROPERTIES:",
        *(format_property(key, value) for key, value in props if value),
        ":END:",
    ]
    for key, section_title in SECTIONS:
        lines += [f"** {section_title}", ":PROPERTIES:", format_property("CUSTOM_ID", key), ":END:"]
    lines.append(f"- {stamp} start: session started")
    return "\n".join(lines) + "\n"


def _section_for_write(doc: OrgFile, session_line: int, key: str) -> Headline:
    """The section ``key``; when a person has removed it, add it back at the end."""
    session = doc.find(session_line)
    found = find_section(doc, session, key)
    if found is not None:
        return found
    stars = "*" * (session.level + 1)
    at = session.subtree_end
    doc.insert(at, [f"{stars} {dict(SECTIONS)[key]}", ":PROPERTIES:",
                    format_property("CUSTOM_ID", key), ":END:"])
    return next(h for h in doc.headlines if h.line == at)


def append_entry(doc: OrgFile, session_line: int, key: str, lines: list[str]) -> None:
    section = _section_for_write(doc, session_line, key)
    doc.insert(doc.content_end(section), lines)


def _set_summary(doc: OrgFile, session_line: int, text: str) -> None:
    section = _section_for_write(doc, session_line, "summary")
    start, end, _ = _summary_span(doc, section)
    if end > start:
        doc.replace(start, end, text_lines(text))
    else:
        doc.insert(start, text_lines(text))


def _mark_done(doc: OrgFile, session_line: int, text: str) -> str:
    """Tick the one open checkbox item (of a kind with checkboxes: progress, next
    steps) that ``text`` names; return its text."""
    session = doc.find(session_line)
    open_items: list[Entry] = []
    for kind in SECTION_KINDS:
        if not kind.checkbox:
            continue
        section = find_section(doc, session, kind.section)  # type: ignore[arg-type]
        if section is not None:
            open_items += [e for e in _entries(doc, section) if e.done is False]
    matches = [e for e in open_items if e.text == text] or \
        [e for e in open_items if text.casefold() in e.text.casefold()]
    if not matches:
        raise ItemNotFound(text)
    if len(matches) > 1 and len({e.text for e in matches}) > 1:
        raise AmbiguousItem(text, [e.text for e in matches])
    item = matches[0]
    line = strip_ending(doc.lines[item.line], doc.newline)
    doc.set_line(item.line, "- [X] " + line[len("- [ ] "):])
    return item.text


def apply_entry(doc: OrgFile, session_line: int, entry: LogEntry, stamp: str, *,
                folding: bool = False) -> str:
    """Splice one entry into ``doc``; return the line the Log section gets for it."""
    text = entry.text
    if entry.kind == "exit":  # a spawner's record: the child ended without a wrap-up
        for key, value in (("STATUS", ENDED), ("EXIT", text), ("EXITED", stamp)):
            doc.set_property(doc.find(session_line), key, value)
        doc.remove_property(doc.find(session_line), "EXIT_BY")  # a spawner's, unless set again
        line = f"exit: ended without wrap-up ({text})"
        append_entry(doc, session_line, "log", [f"- {stamp} {line}"])
        return line
    if entry.kind == "summary":
        _set_summary(doc, session_line, text)
    elif entry.kind == "done":
        try:
            text = _mark_done(doc, session_line, text)
        except (ItemNotFound, AmbiguousItem):
            if not folding:
                raise
            # The person removed or changed the item meanwhile: keep the record.
            line = f"done: {preview(text)} (not ticked: no single open item matched)"
            append_entry(doc, session_line, "log", [f"- {stamp} {line}"])
            return line
    elif entry.kind not in KIND_OF or KIND_OF[entry.kind].section is None:
        # A kind this version does not know, folded from a pending file a newer one
        # wrote: kept in the Log as text rather than lost or failing every write.
        line = f"{entry.kind}: {preview(text)} (a kind of entry this version does not know)"
        append_entry(doc, session_line, "log", [f"- {stamp} {line}"])
        return line
    else:
        kind = KIND_OF[entry.kind]
        append_entry(doc, session_line, kind.section,
                     entry_lines(stamp, text, checkbox=False if kind.checkbox else None,
                                 rationale=entry.rationale))
    line = f"{entry.kind}: {preview(text)}".rstrip()
    append_entry(doc, session_line, "log", [f"- {stamp} {line}"])
    return line


def read_info(path: Path, kind: Literal["live", "archived"]) -> list[SessionInfo]:
    """The ``list`` row of the session file at ``path``, read from its first 64 KiB
    (where its session headline and property drawer are); ``[]`` when it has gone.
    A symbolic link is listed with empty fields, never followed. An archive with no
    ENDED property gets the time its name starts with."""
    if path.is_symlink():
        head = b""
    else:
        try:
            with open(path, "rb") as handle:
                head = handle.read(65536)
        except (FileNotFoundError, IsADirectoryError):
            return []
    text = head.decode("utf-8", "replace")
    if len(head) == 65536:
        text = text[: text.rfind("\n") + 1]
    headline = session_headline(OrgFile(text))
    props = headline.properties if headline else {}
    return [SessionInfo(
        kind=kind,
        path=path,
        agent_id=props.get("AGENT_ID") or None,
        title=props.get("TITLE"),
        description=props.get("DESCRIPTION"),
        status=props.get("STATUS"),
        started=parse_timestamp(props.get("STARTED", "")),
        updated=parse_timestamp(props.get("UPDATED", "")),
        ended=parse_timestamp(props.get("ENDED", "")) or
        (name_time(path.name) if kind == "archived" else None),
    )]
