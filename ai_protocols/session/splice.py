"""Writing a session file: a new one's text (:func:`new_session_text`), an entry spliced into
its section (:func:`apply_entry`), and the head of a file read for ``list``
(:func:`read_info`).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols import errors  # (a write's exceptions by name where caught: first use)
from ai_protocols.lean import datetime, remembered
from ai_protocols.org.file import Headline, OrgFile, first_headline_properties
from ai_protocols.org.syntax import (
    Entry,
    entry_lines,
    escape_headline,
    escape_inline,
    escape_property,
    format_property,
    format_timestamp,
    is_own_timestamp,
    parse_timestamp,
    strip_ending,
    text_lines,
)
from ai_protocols.session.model import KIND_OF, SECTION_KINDS, LogEntry, Session, SessionInfo
from ai_protocols.session.names import name_time
from ai_protocols.session.reading import _is_current
from ai_protocols.session.sections import (
    ACTIVE,
    CRASHED,
    CURRENT_BOX,
    ENDED,
    EXPORT_OPTIONS,
    ON_DEMAND,
    PAUSED,
    SECTIONS,
    SESSION_ID_PROPERTY,
    SUMMARY_LOGGED,
    TITLE_PROPERTY,
    _done_reference,
    _entries,
    _properties,
    _summary_span,
    _unescaped,
    find_section,
    new_session_id,
    session_headline,
)
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from typing import Literal


# -- writing ------------------------------------------------------------------------------


def property_value(value: str) -> str:
    """``value`` as written into a property drawer: one of the tool's own timestamps
    as it is, any other text made inert (:func:`~ai_protocols.org.syntax.escape_property`:
    the agenda finds no timestamp in it, and its white space stays)."""
    return value if is_own_timestamp(value) else escape_property(value)


def new_session_text(*, agent_id: str | None, host: str, title: str | None,
                     now: datetime, owner: str | None = None,
                     updated_at: str | None = None, session_id: str | None = None) -> str:
    """A fresh session-context file, as Org lays such a file out (``updated_at``: the
    ``UPDATED_AT`` record of ``now``, see :mod:`ai_protocols.liveness.clock`;
    ``session_id``: its ``SESSION_ID``, a fresh :func:`new_session_id` when not given).
    The title is text: made inert in the ``#+TITLE:`` keyword, the headline and its
    property."""
    stamp = format_timestamp(now)
    heading = f"Session: {escape_headline(title)}" if title else "Session"
    props = [(TITLE_PROPERTY, title), ("AGENT_ID", agent_id), ("HOST", host),
             ("OWNER", owner), ("STARTED", stamp),
             (SESSION_ID_PROPERTY, session_id or new_session_id()), ("UPDATED", stamp),
             ("UPDATED_AT", updated_at), ("STATUS", ACTIVE)]
    lines = [
        f"#+TITLE: {'Session: ' + escape_inline(title) if title else 'Session'}",
        f"#+OPTIONS: {EXPORT_OPTIONS}",
        "",
        f"* {heading}",
        ":PROPERTIES:",
        *(format_property(key, property_value(value)) for key, value in props if value),
        ":END:",
    ]
    for key, section_title in SECTIONS:
        if key in ON_DEMAND:
            continue
        lines += [f"** {section_title}", ":PROPERTIES:", format_property("CUSTOM_ID", key), ":END:"]
    lines.append(log_line(stamp, "start: session started"))
    return "\n".join(lines) + "\n"


def log_line(stamp: str, text: str) -> str:
    """The Log section's line for an event: ``- [stamp] kind: text``, ``text`` (one
    line, such as :func:`~ai_protocols.session.text.preview` gives) made inert."""
    return f"- {stamp} {escape_inline(text)}"


def section_for_write(doc: OrgFile, session_line: int, key: str) -> Headline:
    """The section ``key`` of the session on ``session_line``, added (before the Log)
    when a person removed it."""
    return _section_for_write(doc, session_line, key)


def _section_for_write(doc: OrgFile, session_line: int, key: str) -> Headline:
    """The section ``key``; when a person has removed it, add it back at the end."""
    session = doc.find(session_line)
    found = find_section(doc, session, key)
    if found is not None:
        return found
    stars = "*" * (session.level + 1)
    at = session.subtree_end
    log = find_section(doc, session, "log") if key in ON_DEMAND else None
    if log is not None and log.level == session.level + 1 and \
            session.line < log.line < session.subtree_end:
        at = log.line  # (a new kind's section goes before the Log, as a new file has it)
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


def _mark_done(doc: OrgFile, session_line: int, text: str) -> tuple[str, str]:
    """Tick the one open checkbox item that ``text`` names, in any section ``show``
    lists (Progress and Next steps, and one a person added anywhere, as under a
    decision: ``show`` lists it as open); return its text, and how the Log names
    it: by its section and timestamp, or by its text when it has no timestamp."""
    session = doc.find(session_line)
    open_items: list[tuple[Entry, str]] = []
    searched: list[str] = []
    for kind in SECTION_KINDS:
        section = find_section(doc, session, kind.section)  # type: ignore[arg-type]
        if section is not None:
            searched.append(section.title)
            open_items += [(e, kind.title) for e in _entries(doc, section) if e.done is False]
    matches = [m for m in open_items if m[0].text == text] or \
        [m for m in open_items if text.casefold() in m[0].text.casefold()]
    if not matches:
        from ai_protocols.errors import ItemNotFound  # (made on first use: errors_write)

        raise ItemNotFound(text, tuple(searched), len(open_items))
    if len(matches) > 1 and len({m[0].text for m in matches}) > 1:
        from ai_protocols.errors import AmbiguousItem  # (made on first use: errors_write)

        raise AmbiguousItem(text, [m[0].text for m in matches])
    # Of items alike, the step in progress is the one meant (then the oldest).
    item, title = ([m for m in matches if _is_current(doc, m[0])] or matches)[0]
    assert item.box is not None  # open items have a box
    line = strip_ending(doc.lines[item.line], doc.newline)
    doc.set_line(item.line, line[:item.box] + "[X]" + line[item.box + 3:])
    if item.stamp and _done_reference(f"done: {title} item of {item.stamp[1:-1]}"):
        return item.text, f"done: {title} item of {item.stamp[1:-1]}"
    return item.text, f'done: {title} item "{preview(item.text)}"'


def as_listed_key_file(doc: OrgFile, session_line: int, root: str, text: str,
                       also: Sequence[str] = ()) -> str:
    """The key file ``text`` (a path from the project's real ``root``, as
    :func:`~ai_protocols.session.text.key_file_path` gives it) as the session ``doc``
    lists it already: when it is a file with more than one name (hard links: ``ln a
    b``) and a listed key file is that same file (the same device and inode), that
    one's text, so that one file is one key file (issue 14, twentieth round); so for
    the key files ``also`` (those logged before it in the same call); else ``text``.
    One ``stat`` (and one per listed key file, only for a file with several links)."""
    real_root = os.path.realpath(root)
    try:
        st = os.stat(os.path.join(real_root, text))
    except OSError:
        return text
    if st.st_nlink < 2:
        return text
    section = find_section(doc, doc.find(session_line), "key-files")
    listed = [e.text for e in _entries(doc, section)] if section is not None else []
    for name in (*listed, *also):
        try:
            other = os.stat(os.path.join(real_root, name))
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return name
    return text


def _listed(doc: OrgFile, session_line: int, key: str, text: str) -> bool:
    """Whether the section ``key`` holds an item whose text is ``text``."""
    section = find_section(doc, doc.find(session_line), key)
    return section is not None and any(e.text == text for e in _entries(doc, section))


def _open_progress(doc: OrgFile, session_line: int, text: str) -> int | None:
    """The line of the last open Progress item (``[ ]`` or :data:`CURRENT_BOX`) whose
    text is ``text``, ``None`` when there is none."""
    section = find_section(doc, doc.find(session_line), "progress")
    if section is None:
        return None
    same = [e.line for e in _entries(doc, section)
            if e.box is not None and e.done is False and e.text == text]
    return same[-1] if same else None


def _mark_current(doc: OrgFile, session_line: int, line: int | None = None) -> None:
    """Make the Progress item at ``line`` (``None``: the last one) the one step in
    progress (:data:`CURRENT_BOX`), and put every other item marked so back to open
    (``[ ]``)."""
    section = find_section(doc, doc.find(session_line), "progress")
    assert section is not None  # an item was just added to it
    items = [e for e in _entries(doc, section) if e.box is not None]
    target = next((e for e in items if e.line == line), items[-1])
    for entry in items:
        box = CURRENT_BOX if entry is target else "[ ]"
        line = strip_ending(doc.lines[entry.line], doc.newline)
        if line[entry.box:entry.box + 3] in ("[ ]", CURRENT_BOX) and \
                line[entry.box:entry.box + 3] != box:
            doc.set_line(entry.line, line[:entry.box] + box + line[entry.box + 3:])


def _take_up_next(doc: OrgFile, session_line: int, text: str) -> None:
    """Tick (``[X]``) every open Next step whose text is ``text`` exactly: the one rule
    of a next step taken up (``log --current``: it is now the step in progress, in
    Progress) or closed (``log --done``, which ticks one item, the step in progress
    first): either way it is no longer a step to take next, and ``resume`` no longer
    lists it (issue 14, fifteenth round; docs/decisions.md). Only the box's three
    characters change: the rest of the line, as typed, stays."""
    section = find_section(doc, doc.find(session_line), "next-steps")
    if section is None:
        return
    for entry in _entries(doc, section):
        if entry.box is None or entry.done is not False or entry.text != text:
            continue
        line = strip_ending(doc.lines[entry.line], doc.newline)
        if line[entry.box:entry.box + 3] == "[ ]":
            doc.set_line(entry.line, line[:entry.box] + "[X]" + line[entry.box + 3:])


def apply_entry(doc: OrgFile, session_line: int, entry: LogEntry, stamp: str, *,
                folding: bool = False) -> str:
    """Splice one entry into ``doc``; return what was recorded, ``kind: preview`` (what
    ``log`` prints). An entry of a kind with a section of its own is written there
    only; the Log section gets a line for the others: a ``done`` (naming the item it
    ticked, not repeating its text), a ``summary`` (that it changed), a spawner's
    ``exit``; a ``checkpoint`` (the tool's record: its text is the Log line, its
    rationale the headline's properties as ``KEY VALUE`` lines, a ``KEY`` alone
    removing that key) sets them and gets its line."""
    text = entry.text
    if entry.kind == "exit":  # a spawner's record: the child ended without a wrap-up
        from ai_protocols.liveness.evidence import normal_end

        paused = doc.find(session_line).properties.get("STATUS") == PAUSED
        ended = ENDED if normal_end(text) else CRASHED  # the word status says for it
        doc.set_properties(session_line, [
            ("STATUS", PAUSED if paused else ended),  # a pause outlives its agent
            ("EXIT", property_value(text)), ("EXITED", stamp),
            ("EXIT_BY", None)])  # a hook sets its own after
        line = f"exit: ended without wrap-up ({preview(text)})"
        append_entry(doc, session_line, "log", [log_line(stamp, line)])
        return line
    if entry.kind == "checkpoint":  # the tool's record of a checkpoint taken
        doc.set_properties(session_line, [
            (key, property_value(value) if sep else None)
            for key, sep, value in (line.partition(" ") for line in
                                    (entry.rationale or "").split("\n") if line)])
        append_entry(doc, session_line, "log", [log_line(stamp, text)])
        return text
    if entry.kind == "summary":
        _set_summary(doc, session_line, text)
        append_entry(doc, session_line, "log", [log_line(stamp, SUMMARY_LOGGED)])
    elif entry.kind == "current":
        same = _open_progress(doc, session_line, text)
        if same is None:  # a new step; else the open item of that text is the one
            append_entry(doc, session_line, "progress",
                         entry_lines(stamp, text, checkbox=False))
        _mark_current(doc, session_line, same)
        _take_up_next(doc, session_line, text)
    elif entry.kind == "done":
        try:
            text, reference = _mark_done(doc, session_line, text)
            _take_up_next(doc, session_line, text)
        except (errors.ItemNotFound, errors.AmbiguousItem):
            if not folding:
                raise
            # The person removed or changed the item meanwhile: keep the record.
            line = f"done: {preview(text)} (not ticked: no single open item matched)"
            append_entry(doc, session_line, "log", [log_line(stamp, line)])
            return line
        append_entry(doc, session_line, "log", [log_line(stamp, reference)])
    elif entry.kind not in KIND_OF or KIND_OF[entry.kind].section is None:
        # A kind this version does not know, folded from a pending file a newer one
        # wrote: kept in the Log as text rather than lost or failing every write.
        line = f"{entry.kind}: {preview(text)} (a kind of entry this version does not know)"
        append_entry(doc, session_line, "log", [log_line(stamp, line)])
        return line
    elif entry.kind == "key-file" and _listed(doc, session_line, "key-files", text):
        return f"key-file: {_said(entry.kind, text)} (listed already)"
    else:
        kind = KIND_OF[entry.kind]
        append_entry(doc, session_line, kind.section,
                     entry_lines(stamp, text, checkbox=False if kind.checkbox else None,
                                 rationale=entry.rationale))
    return f"{entry.kind}: {_said(entry.kind, text)}".rstrip()


def _said(kind: str, text: str) -> str:
    """How ``log`` says an entry's text it logged: its :func:`preview` (one line, blanks
    squeezed, cut), but a key file's path as it is (a path is one line; two blanks in
    it are two: ``docs/a  b.txt``)."""
    return text if kind == "key-file" and "\n" not in text else preview(text)


def read_info(path: str, kind: Literal["open", "archived"],
              judge: Callable[[Session], str] | None = None) -> list[SessionInfo]:
    """The ``list`` row of the session file at ``path``, read from its first 64 KiB
    (where its session headline and property drawer are, as the tool writes it; else,
    a person's own headlines first, from the whole file: the session headline may be
    anywhere, docs/user-guide.md); ``[]`` when it has gone.
    A symbolic link is listed with empty fields, never followed. An archive with no
    ENDED property gets the time its name starts with. ``judge`` gives an open file's
    state from its session headline (a :class:`Session` without entries); a link, or
    a file without a session headline, is ``unknown``."""
    link = False
    try:  # never blocks: a FIFO or a device is not opened
        head = storage.read_regular(path, 65536)
    except FileNotFoundError:
        return []
    except storage.NotRegular as error:
        if error.kind != "a symbolic link":  # (listed, never followed)
            return []
        link, head = True, b""
    text = head.decode("utf-8", "replace")
    if len(head) == 65536:
        text = text[: text.rfind("\n") + 1]
    # The session headline is the first headline, as the tool writes it: read only its
    # drawer (a hundred thousand archives); any other layout is read whole.
    first = first_headline_properties(text)
    if first is not None and "STATUS" in first and "STARTED" in first:
        found: bool = True
        props = _unescaped(first)
    else:
        if len(head) == 65536:  # (a person's own headlines first, past 64 KiB: the whole)
            text = storage.read_regular(path).decode("utf-8", "replace")
        headline = session_headline(OrgFile(text))
        found, props = headline is not None, _properties(headline) if headline else {}
    info = SessionInfo(
        kind=kind,
        path=path,
        agent_id=props.get("AGENT_ID") or None,
        title=props.get(TITLE_PROPERTY, props.get("TITLE")),
        description=props.get("DESCRIPTION"),
        status=props.get("STATUS"),
        started=_timestamp(props.get("STARTED", "")),
        updated=_timestamp(props.get("UPDATED", "")),
        ended=_timestamp(props.get("ENDED", "")) or
        (name_time(os.path.basename(path)) if kind == "archived" else None),
    )
    if judge is not None:
        info.state = "unknown" if link or not found else judge(Session(
            path=path, agent_id=info.agent_id, host=props.get("HOST"), status=info.status,
            started=info.started, updated=info.updated, updated_at=props.get("UPDATED_AT"),
            owner=props.get("OWNER"), exit=props.get("EXIT"),
            exited=parse_timestamp(props.get("EXITED", "")), exit_by=props.get("EXIT_BY"),
            paused=parse_timestamp(props.get("PAUSED", "")), pause_note=props.get("PAUSE_NOTE")))
    return [info]


#: :func:`~ai_protocols.org.syntax.parse_timestamp`, remembered for a few thousand
#: values (:func:`~ai_protocols.lean.remembered`: 100,000 archives hold far fewer
#: distinct minutes).
_timestamp = remembered(parse_timestamp)
