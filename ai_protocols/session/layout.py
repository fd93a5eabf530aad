"""The session-context file's layout: reading it back and splicing entries in.

Everything here works on an :class:`~ai_protocols.org.syntax.OrgFile` in memory;
:mod:`ai_protocols.session.project` holds the locks and does the file I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ai_protocols.errors import (
    AmbiguousItem,
    InvalidText,
    ItemNotFound,
    UnreadableSession,
)
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
from ai_protocols.session.pending import PendingEntry

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from typing import Literal

    Kind = Literal["progress", "decision", "discovery", "blocker", "next", "done", "summary",
                   "exit"]

#: Section key (its CUSTOM_ID) and the title a fresh file gives it, in file order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("progress", "Progress"),
    ("decisions", "Decisions"),
    ("discoveries", "Discoveries"),
    ("blockers", "Blockers"),
    ("next-steps", "Next steps"),
    ("log", "Log"),
)
SECTION_OF: dict[str, str] = {
    "progress": "progress",
    "decision": "decisions",
    "discovery": "discoveries",
    "blocker": "blockers",
    "next": "next-steps",
}
_CHECKBOX_KINDS = ("progress", "next")
ACTIVE = "active"
WRAPPED_UP = "wrapped-up"
ENDED = "ended"  # the spawner saw the agent exit without a wrap-up
CRASHED = "crashed"  # archived by `recover --archive`
MAX_TEXT = 1_000_000
MAX_LINE_TEXT = 200  # titles and descriptions: one line each
MAX_NAME_BYTES = 255
DEFAULT_STALE_HOURS = 12.0
NO_SESSION_HEADLINE = "it has no session headline (one with STATUS and STARTED)"


@dataclass(frozen=True)
class LogEntry:
    """One thing to record: ``LogEntry("decision", "Use X", rationale="Y is slow")``."""

    kind: Kind
    text: str
    rationale: str | None = None


@dataclass
class Session:
    """What a session-context file holds, as read back from it."""

    path: Path
    agent_id: str | None = None
    title: str | None = None
    host: str | None = None
    status: str | None = None
    started: datetime | None = None
    updated: datetime | None = None
    ended: datetime | None = None
    description: str | None = None
    owner: str | None = None  # "host pid start", see ai_protocols.liveness.evidence.Owner
    exit: str | None = None  # recorded by a spawner whose child ended without wrap-up
    exited: datetime | None = None
    adopted_from: str | None = None
    summary: str | None = None
    progress: list[Entry] = field(default_factory=list)
    decisions: list[Entry] = field(default_factory=list)
    discoveries: list[Entry] = field(default_factory=list)
    blockers: list[Entry] = field(default_factory=list)
    next_steps: list[Entry] = field(default_factory=list)
    log: list[Entry] = field(default_factory=list)
    pending: list[PendingEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The stable ``show --json`` form (schema 1, documented in docs/)."""
        return {
            "schema": 1,
            "path": str(self.path),
            "agent_id": self.agent_id,
            "title": self.title,
            "host": self.host,
            "status": self.status,
            "started": iso(self.started),
            "updated": iso(self.updated),
            "ended": iso(self.ended),
            "description": self.description,
            "summary": self.summary,
            "progress": [e.to_json() for e in self.progress],
            "decisions": [e.to_json() for e in self.decisions],
            "discoveries": [e.to_json() for e in self.discoveries],
            "blockers": [e.to_json() for e in self.blockers],
            "next": [e.to_json() for e in self.next_steps],
            "log": [_log_json(e) for e in self.log],
            "pending": [_pending_json(e) for e in self.pending],
            "owner": self.owner,
            "exit": self.exit,
            "exited": iso(self.exited),
            "adopted_from": self.adopted_from,
        }


@dataclass
class SessionInfo:
    """One row of ``list``: a live session-context file or an archived session.

    ``Project.list_sessions`` may give rows that hold only their ``list --json``
    text (as the archive index keeps it): their fields are read from it on first use.
    """

    kind: Literal["live", "archived"]
    path: Path
    agent_id: str | None
    title: str | None
    description: str | None
    status: str | None
    started: datetime | None
    updated: datetime | None
    ended: datetime | None

    @classmethod
    def _from_json_text(cls, text: str) -> SessionInfo:
        """A row read lazily from its ``list --json`` text (times to the minute)."""
        info = cls.__new__(cls)
        info.__dict__["_json_text"] = text
        return info

    def __getattr__(self, name: str) -> object:
        """Called only for a field not set yet: that of a row made by _from_json_text."""
        text = self.__dict__.pop("_json_text", None)
        if text is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        import json

        data = json.loads(text)
        self.kind = data["kind"]
        self.path = Path(data["path"])
        self.agent_id = data["agent_id"]
        self.title = data["title"]
        self.description = data["description"]
        self.status = data["status"]
        self.started, self.updated, self.ended = (
            datetime.fromisoformat(data[key]) if data[key] is not None else None
            for key in ("started", "updated", "ended"))
        return getattr(self, name)

    @property
    def latest(self) -> datetime:
        return self.ended or self.updated or self.started or datetime.min

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "path": str(self.path),
            "agent_id": self.agent_id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "started": iso(self.started),
            "updated": iso(self.updated),
            "ended": iso(self.ended),
        }


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


def _log_json(entry: Entry) -> dict[str, object]:
    kind, _, text = entry.text.partition(": ")
    return {"time": iso(entry.time), "kind": kind, "text": text}


def _pending_json(entry: PendingEntry) -> dict[str, object]:
    data: dict[str, object] = {"time": iso(parse_timestamp(entry.stamp)), "kind": entry.kind,
                               "text": entry.text}
    if entry.rationale is not None:
        data["rationale"] = entry.rationale
    return data


def minute_of(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(second=0, microsecond=0)


def check_text(field_name: str, text: str, *, one_line: bool = False) -> str:
    """Refuse text that cannot be stored faithfully, before anything is written."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidText(field_name, text, "it is not valid UTF-8") from error
    if not text.strip():
        raise InvalidText(field_name, text, "it is empty")
    if "\x00" in text:
        raise InvalidText(field_name, text, "it holds a NUL character")
    if one_line:
        if any(ch < " " or ch == "\x7f" for ch in text):
            raise InvalidText(field_name, text, "it must be one line without control characters")
        if len(text) > MAX_LINE_TEXT:
            raise InvalidText(field_name, text, f"it is longer than {MAX_LINE_TEXT} characters")
    elif len(text) > MAX_TEXT:
        raise InvalidText(field_name, text, f"it is longer than {MAX_TEXT:,} characters")
    return text


def slugify(description: str) -> str:
    """``"Fix sweep bug"`` -> ``"fix-sweep-bug"``: lower-case ASCII letters, digits, ``-``."""
    check_text("description", description, one_line=True)
    folded = unicodedata.normalize("NFKD", description).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise InvalidText("description", description, "it has no letters or digits to name by")
    return slug


def preview(text: str, limit: int = 100) -> str:
    """A one-line, structure-free preview of ``text`` for the Log section."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    line = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", line).split())
    line = re.sub(r"(?:^| )::(?= |$)", " :", line).strip()  # not a description-list tag
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


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
        adopted_from=props.get("ADOPTED_FROM"),
    )
    targets = {
        "progress": session.progress,
        "decisions": session.decisions,
        "discoveries": session.discoveries,
        "blockers": session.blockers,
        "next-steps": session.next_steps,
        "log": session.log,
    }
    for key, bucket in targets.items():
        section = find_section(doc, headline, key)
        if section is not None:
            bucket.extend(_entries(doc, section))
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
    """Tick the one open progress or next-step item ``text`` names; return its text."""
    session = doc.find(session_line)
    open_items: list[Entry] = []
    for key in ("progress", "next-steps"):
        section = find_section(doc, session, key)
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
    else:
        checkbox = False if entry.kind in _CHECKBOX_KINDS else None
        append_entry(doc, session_line, SECTION_OF[entry.kind],
                entry_lines(stamp, text, checkbox=checkbox, rationale=entry.rationale))
    line = f"{entry.kind}: {preview(text)}".rstrip()
    append_entry(doc, session_line, "log", [f"- {stamp} {line}"])
    return line
