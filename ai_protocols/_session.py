"""The session-context protocol: start, log, show, wrap up and list.

:class:`Project` is the one object the CLI opens; each command calls one of
its methods. Every write goes through :meth:`Project._edit`, which holds the
file's lock, reads it, lets the caller splice lines into an :class:`OrgFile`
and writes the result atomically.
"""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from ai_protocols import _storage
from ai_protocols._emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols._errors import (
    AmbiguousItem,
    BeingEdited,
    InvalidText,
    ItemNotFound,
    NoSession,
    SessionWrappedUp,
    UnreadableSession,
)
from ai_protocols._org import (
    PARAGRAPH_SEPARATE,
    Entry,
    Headline,
    OrgFile,
    entry_lines,
    format_property,
    format_timestamp,
    parse_entries,
    parse_timestamp,
    read_text_block,
    strip_ending,
    text_lines,
)
from ai_protocols._paths import (
    AI_DIR,
    CONTEXT_DIR,
    SESSIONS_DIR,
    agent_id_from_env,
    find_project_root,
    safe_id,
    session_context_path,
)
from ai_protocols._pending import PendingEntry, append_pending, pending_path, read_pending

__all__ = ["LogEntry", "LogReport", "Project", "Session", "SessionInfo", "StartReport", "slugify"]

Kind = Literal["progress", "decision", "discovery", "blocker", "next", "done", "summary"]

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
_SECTION_OF: dict[str, str] = {
    "progress": "progress",
    "decision": "decisions",
    "discovery": "discoveries",
    "blocker": "blockers",
    "next": "next-steps",
}
_CHECKBOX_KINDS = ("progress", "next")
ACTIVE = "active"
WRAPPED_UP = "wrapped-up"
MAX_TEXT = 1_000_000
MAX_LINE_TEXT = 200  # titles and descriptions: one line each
MAX_NAME_BYTES = 255
DEFAULT_STALE_HOURS = 12.0


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
            "started": _iso(self.started),
            "updated": _iso(self.updated),
            "ended": _iso(self.ended),
            "description": self.description,
            "summary": self.summary,
            "progress": [e.to_json() for e in self.progress],
            "decisions": [e.to_json() for e in self.decisions],
            "discoveries": [e.to_json() for e in self.discoveries],
            "blockers": [e.to_json() for e in self.blockers],
            "next": [e.to_json() for e in self.next_steps],
            "log": [_log_json(e) for e in self.log],
            "pending": [_pending_json(e) for e in self.pending],
        }


@dataclass
class SessionInfo:
    """One row of ``list``: a live session-context file or an archived session."""

    kind: Literal["live", "archived"]
    path: Path
    agent_id: str | None
    title: str | None
    description: str | None
    status: str | None
    started: datetime | None
    updated: datetime | None
    ended: datetime | None

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
            "started": _iso(self.started),
            "updated": _iso(self.updated),
            "ended": _iso(self.ended),
        }


@dataclass
class StartReport:
    """What ``start`` found and did."""

    path: Path
    fresh: bool
    session: Session
    finished_archive: Path | None = None
    reused_id_warning: str | None = None
    abandoned: list[tuple[Session, timedelta]] = field(default_factory=list)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


def _log_json(entry: Entry) -> dict[str, object]:
    kind, _, text = entry.text.partition(": ")
    return {"time": _iso(entry.time), "kind": kind, "text": text}


def _pending_json(entry: PendingEntry) -> dict[str, object]:
    data: dict[str, object] = {"time": _iso(parse_timestamp(entry.stamp)), "kind": entry.kind,
                               "text": entry.text}
    if entry.rationale is not None:
        data["rationale"] = entry.rationale
    return data


def _now(now: datetime | None) -> datetime:
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


def _preview(text: str, limit: int = 100) -> str:
    """A one-line, structure-free preview of ``text`` for the Log section."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    line = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", line).split())
    line = re.sub(r"(?:^| )::(?= |$)", " :", line).strip()  # not a description-list tag
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# -- reading ------------------------------------------------------------------------------


def _is_session(headline: Headline) -> bool:
    return "STATUS" in headline.properties and "STARTED" in headline.properties


def _session_headline(doc: OrgFile) -> Headline | None:
    return next((h for h in doc.headlines if _is_session(h)), None)


def _find_section(doc: OrgFile, session: Headline, key: str) -> Headline | None:
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
    others = [h for h in doc.headlines if h is not session and _is_session(h)]
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


def read_session(path: Path, text: str) -> Session:
    """Read a session-context file; a person's own headings and notes are passed over."""
    doc = OrgFile(text)
    headline = _session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, "it has no session headline (one with STATUS and STARTED)")
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
        section = _find_section(doc, headline, key)
        if section is not None:
            bucket.extend(parse_entries(doc.lines, section.body_start, section.body_end,
                                        doc.newline))
    summary = _find_section(doc, headline, "summary")
    if summary is not None:
        start, end, text = _summary_span(doc, summary)
        session.summary = text if end > start else None
    return session


# -- writing ------------------------------------------------------------------------------


def new_session_text(*, agent_id: str | None, host: str, title: str | None,
                     now: datetime) -> str:
    """A fresh session-context file, as Org lays such a file out."""
    stamp = format_timestamp(now)
    heading = f"Session: {title}" if title else "Session"
    props = [("TITLE", title), ("AGENT_ID", agent_id), ("HOST", host),
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
    found = _find_section(doc, session, key)
    if found is not None:
        return found
    stars = "*" * (session.level + 1)
    at = session.subtree_end
    doc.insert(at, [f"{stars} {dict(SECTIONS)[key]}", ":PROPERTIES:",
                    format_property("CUSTOM_ID", key), ":END:"])
    return next(h for h in doc.headlines if h.line == at)


def _append(doc: OrgFile, session_line: int, key: str, lines: list[str]) -> None:
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
        section = _find_section(doc, session, key)
        if section is not None:
            entries = parse_entries(doc.lines, section.body_start, section.body_end, doc.newline)
            open_items += [e for e in entries if e.done is False]
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


def _apply(doc: OrgFile, session_line: int, entry: LogEntry, stamp: str, *,
           folding: bool = False) -> str:
    """Splice one entry into ``doc``; return the line the Log section gets for it."""
    text = entry.text
    if entry.kind == "summary":
        _set_summary(doc, session_line, text)
    elif entry.kind == "done":
        try:
            text = _mark_done(doc, session_line, text)
        except (ItemNotFound, AmbiguousItem):
            if not folding:
                raise
            # The person removed or changed the item meanwhile: keep the record.
            line = f"done: {_preview(text)} (not ticked: no single open item matched)"
            _append(doc, session_line, "log", [f"- {stamp} {line}"])
            return line
    else:
        checkbox = False if entry.kind in _CHECKBOX_KINDS else None
        _append(doc, session_line, _SECTION_OF[entry.kind],
                entry_lines(stamp, text, checkbox=checkbox, rationale=entry.rationale))
    line = f"{entry.kind}: {_preview(text)}".rstrip()
    _append(doc, session_line, "log", [f"- {stamp} {line}"])
    return line


@dataclass
class LogReport:
    """What ``log`` did: the Log lines, and where the entries wait if Emacs held the file."""

    said: list[str]
    pending: Path | None = None
    emacs_lock: EmacsLock | None = None


class Project:
    """A project that follows the ``.ai/`` protocol, seen by one agent.

    ``agent_id`` is the ``AI_AGENT_ID`` of the caller (``None`` for the
    one-agent case); it decides which session-context file is "mine".
    """

    def __init__(self, root: str | os.PathLike[str], agent_id: str | None = None) -> None:
        self.root = Path(root)
        self.agent_id = agent_id or None
        self.ai_dir = self.root / AI_DIR
        self.path = session_context_path(self.root, self.agent_id)

    @classmethod
    def discover(cls, cwd: str | None = None) -> Project:
        """The project around ``cwd`` as the environment (``AI_*``) says."""
        return cls(find_project_root(cwd), agent_id_from_env())

    @property
    def sessions_dir(self) -> Path:
        return self.ai_dir / SESSIONS_DIR

    @property
    def context_dir(self) -> Path:
        return self.ai_dir / CONTEXT_DIR

    # -- reading --------------------------------------------------------------------------

    def _read(self, path: Path) -> Session | None:
        data = _storage.read_bytes(path)
        if data is None:
            return None
        return read_session(path, _storage.decode(path, data))

    def show(self) -> Session:
        """The current session; :class:`NoSession` when there is none."""
        session = self._read(self.path)
        if session is None:
            raise NoSession(self.path)
        session.pending = read_pending(self.path)
        return session

    # -- writing --------------------------------------------------------------------------

    def _refuse_if_edited(self) -> None:
        """Moving a file away under a person's unsaved buffer would make their save
        bring it back: wrap-up waits until they have saved."""
        emacs = live_emacs_lock(self.path)
        if emacs is not None:
            raise BeingEdited(self.path, emacs.owner)

    def _open_for_write(self) -> OrgFile:
        """The session file, read for a change (call holding its lock)."""
        _storage.discard_partial_writes(self.path)
        _storage.discard_partial_writes(pending_path(self.path))
        data = _storage.read_bytes(self.path)
        if data is None:
            raise NoSession(self.path)
        doc = OrgFile(_storage.decode(self.path, data))
        headline = _session_headline(doc)
        if headline is None:
            raise UnreadableSession(self.path, "it has no session headline")
        if headline.properties.get("STATUS") == WRAPPED_UP:
            raise SessionWrappedUp(self.path)
        return doc

    def _fold_pending(self, doc: OrgFile) -> list[PendingEntry]:
        """Splice in the entries that waited while Emacs held the file, in order."""
        waiting = read_pending(self.path)
        if not waiting:
            return []
        session = _session_headline(doc)
        assert session is not None
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        for entry in waiting:
            if entry.seq > folded:
                _apply(doc, session.line, LogEntry(entry.kind, entry.text,  # type: ignore[arg-type]
                                                   entry.rationale), entry.stamp, folding=True)
        doc.set_property(doc.find(session.line), "PENDING_FOLDED",
                         str(max(folded, *(e.seq for e in waiting))))
        return waiting

    def _write(self, doc: OrgFile, now: datetime, folded: list[PendingEntry]) -> None:
        session = _session_headline(doc)
        assert session is not None
        doc.set_property(session, "UPDATED", format_timestamp(now))
        _storage.atomic_write(self.path, doc.text.encode("utf-8"))
        if folded:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            pending_path(self.path).unlink(missing_ok=True)

    def log(self, *entries: LogEntry, now: datetime | None = None) -> LogReport:
        """Record ``entries`` in one atomic write.

        While a person has unsaved changes to the file in Emacs, the entries
        wait in the pending file instead (see :mod:`ai_protocols._pending`)
        and are folded in, in order, at the first write after the lock is gone.
        """
        if not entries:
            raise InvalidText("entry", "", "nothing to log")
        for entry in entries:
            check_text(entry.kind, entry.text)
            if entry.kind == "decision":
                if entry.rationale is None:
                    raise InvalidText("decision", entry.text, "a decision needs --rationale")
                check_text("rationale", entry.rationale)
        moment = _now(now)
        stamp = format_timestamp(moment)
        with _storage.locked(self.ai_dir, self.path):
            doc = self._open_for_write()
            emacs = live_emacs_lock(self.path)
            if emacs is not None:
                return self._keep_pending(doc, entries, stamp, emacs)
            folded = self._fold_pending(doc)
            session_line = _session_headline(doc).line  # type: ignore[union-attr]
            said = [_apply(doc, session_line, entry, stamp) for entry in entries]
            self._write(doc, moment, folded)
        return LogReport(said)

    def _keep_pending(self, doc: OrgFile, entries: tuple[LogEntry, ...], stamp: str,
                      emacs: EmacsLock) -> LogReport:
        """Check the entries against the file as it is (so a bad --done fails now),
        then keep them in the pending file."""
        trial = OrgFile(doc.text)
        self._fold_pending(trial)
        session = _session_headline(trial)
        assert session is not None
        said = [_apply(trial, session.line, entry, stamp) for entry in entries]
        waiting = read_pending(self.path)
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        seq = max([folded, *(e.seq for e in waiting)])
        kept = [PendingEntry(seq + n, e.kind, e.text, stamp, e.rationale)
                for n, e in enumerate(entries, start=1)]
        return LogReport(said, append_pending(self.path, kept), emacs)

    def start(self, title: str | None = None, now: datetime | None = None) -> StartReport:
        """Create the session file, or report the one a previous session left behind.

        An existing file is never overwritten: it holds what the new session
        needs to carry on. Only one that a wrap-up closed but could not move
        (killed between the two steps) is archived first.
        """
        if title is not None:
            check_text("title", title, one_line=True)
            if re.search(r"\s:[\w@#%:]+:\s*$", title):
                raise InvalidText("title", title, "Org would read the ':word:' at its end as tags")
        moment = _now(now)
        finished = None
        with _storage.locked(self.ai_dir, self.path):
            _storage.discard_partial_writes(self.path)
            existing = self._read(self.path)
            if existing is not None and existing.status == WRAPPED_UP:
                self._refuse_if_edited()
                finished = self._archive(existing)
                existing = None
            if existing is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                text = new_session_text(agent_id=self.agent_id, host=socket.gethostname(),
                                        title=title, now=moment)
                _storage.atomic_write(self.path, text.encode("utf-8"))
                session = read_session(self.path, text)
            else:
                session = existing
        return StartReport(
            path=self.path,
            fresh=existing is None,
            session=session,
            finished_archive=finished,
            reused_id_warning=self._reused_id_warning(),
            abandoned=list(self._abandoned(moment)),
        )

    def _reused_id_warning(self) -> str | None:
        from ai_protocols._agent_ids import has_epoch_tail

        if self.agent_id is None or has_epoch_tail(self.agent_id):
            return None
        return (
            f"AI_AGENT_ID {self.agent_id!r} has no epoch-like tail (such as "
            ".1718400000). A reused id resolves to the previous run's leftover file: "
            "the next run mistakes it for a crash to recover, or two runs at once write "
            "the same file. Have the spawner set a fresh id per run, for example "
            "AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME)."
        )

    def _abandoned(self, now: datetime) -> Iterator[tuple[Session, timedelta]]:
        """Other agents' files in ``session-context.d/`` not updated for a long time."""
        hours = os.environ.get("AI_PROTOCOLS_STALE_HOURS", "")
        try:
            limit = timedelta(hours=float(hours) if hours else DEFAULT_STALE_HOURS)
        except ValueError:
            limit = timedelta(hours=DEFAULT_STALE_HOURS)
        for path in _session_files(self.context_dir):
            if path == self.path:
                continue
            try:
                session = self._read(path)
            except (UnreadableSession, _storage.StorageError):
                continue
            if session is None:
                continue
            try:
                updated = session.updated or datetime.fromtimestamp(path.stat().st_mtime)
            except OSError:  # removed since it was read: not abandoned, gone
                continue
            if now - updated > limit:
                yield session, now - updated

    def wrap_up(self, description: str, now: datetime | None = None) -> Path:
        """Record the close, then move the file into ``.ai/sessions/``; return the archive.

        Two steps, each atomic: the closed file is written in place, then
        renamed. A kill between them leaves a closed file in place, which the
        next ``start`` or ``wrap-up`` archives; never a lost or doubled session.
        """
        slugify(description)
        moment = _now(now)
        stamp = format_timestamp(moment)
        with _storage.locked(self.ai_dir, self.path):
            self._refuse_if_edited()
            try:
                doc = self._open_for_write()
            except SessionWrappedUp:  # closed in place by a wrap-up killed before the move
                session = self.show()
            else:
                folded = self._fold_pending(doc)
                headline = _session_headline(doc)
                assert headline is not None
                for key, value in (("STATUS", WRAPPED_UP), ("ENDED", stamp),
                                   ("DESCRIPTION", description)):
                    doc.set_property(doc.find(headline.line), key, value)
                _append(doc, headline.line, "log", [f"- {stamp} wrap-up: {_preview(description)}"])
                self._write(doc, moment, folded)
                session = read_session(self.path, doc.text)
            return self._archive(session)

    def _archive(self, session: Session) -> Path:
        """Rename a closed session file into ``.ai/sessions/`` under a name nobody has."""
        ended = session.ended or datetime.fromtimestamp(session.path.stat().st_mtime)
        slug = slugify(session.description or "session")
        prefix = f"{ended:%Y-%m-%d-%H-%M}"
        if session.agent_id:
            prefix += f"-{safe_id(session.agent_id)}"
        room = MAX_NAME_BYTES - len(prefix) - len("-.org") - len("-999")
        slug = slug[: max(room, 1)].strip("-") or "session"
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        with _storage.locked(self.ai_dir, self.sessions_dir / ".archive"):
            target = self.sessions_dir / f"{prefix}-{slug}.org"
            number = 1
            while os.path.lexists(target):
                number += 1
                target = self.sessions_dir / f"{prefix}-{slug}-{number}.org"
            os.rename(session.path, target)
            _storage.fsync_dir(self.sessions_dir)
            _storage.fsync_dir(session.path.parent)
        return target

    # -- listing --------------------------------------------------------------------------

    def list_sessions(self, *, agent: str | None = None, runtime: str | None = None,
                      since: datetime | None = None) -> list[SessionInfo]:
        """Live session-context files and archived sessions, newest first."""
        rows: list[SessionInfo] = []
        live = [self.ai_dir / "session-context.org", *_session_files(self.context_dir)]
        for path in live:
            rows += self._info(path, "live")
        for path in _session_files(self.sessions_dir):
            rows += self._info(path, "archived")
        if agent is not None:
            rows = [r for r in rows if r.agent_id == agent]
        if runtime is not None:
            rows = [r for r in rows if r.agent_id and _runtime_of(r.agent_id) == runtime]
        if since is not None:
            rows = [r for r in rows if r.latest >= since]
        rows.sort(key=lambda r: (r.latest, r.path.name), reverse=True)
        return rows

    def _info(self, path: Path, kind: Literal["live", "archived"]) -> list[SessionInfo]:
        try:
            with open(path, "rb") as handle:
                head = handle.read(65536)
        except (FileNotFoundError, IsADirectoryError):
            return []
        text = head.decode("utf-8", "replace")
        if len(head) == 65536:
            text = text[: text.rfind("\n") + 1]
        doc = OrgFile(text)
        headline = _session_headline(doc)
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
            ended=parse_timestamp(props.get("ENDED", "")) or _name_time(path, kind),
        )]


def _name_time(path: Path, kind: str) -> datetime | None:
    if kind != "archived":
        return None
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-", path.name)
    if not match:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type]
    except ValueError:
        return None


def _runtime_of(agent_id: str) -> str | None:
    parts = agent_id.split(".")
    return parts[2] if len(parts) >= 4 else None


def is_session_file_name(name: str) -> bool:
    """An ``.org`` file that is neither hidden nor one of Emacs's lock, auto-save
    or backup files (``.#NAME``, ``#NAME#``, ``NAME~``)."""
    return name.endswith(".org") and not name.startswith((".", "#"))


def _session_files(folder: Path) -> list[Path]:
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(folder / name for name in names if is_session_file_name(name))
