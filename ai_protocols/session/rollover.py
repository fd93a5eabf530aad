"""A bounded session file: its older entries moved, once, to an earlier-entries file.

A write through the session transaction (:mod:`ai_protocols.session.transaction`)
into a file of more than :data:`BOUND` bytes moves the file's oldest movable
entries out, until what is left is at most about :data:`KEEP` bytes, into one new
Org file of the same shape under ``.ai/history/`` (:func:`history_folder`), and
adds a link to it to the live file's ``Earlier entries`` section
(:data:`~ai_protocols.session.layout.EARLIER`). docs/decisions.md, "Issue 16, part
g", says why and what a person sees.

Movable: the closed (``[X]``) items of Progress and every entry of Decisions,
Discoveries and Log, each with the lines under it that are part of its item by
Org's rule (indented past its bullet: a rationale, an example block, a person's
note), oldest first. Everything else stays where it is, byte for byte: the
session headline and its drawer, Summary, Next steps, Blockers, Key files,
Context, open Progress items, a person's text between entries and headings.

Safe across a kill: :func:`plan` works on the file as read (and the pending
entries folded into it), before the command's own change, so the same file read
again plans the very same move; the earlier file's name holds a hash of its
bytes, and it is written (fsynced) before the live file is, where a file of that
name with those bytes already there (a write killed between the two) is taken as
it is. An entry is always in the live file, or in a linked earlier file, or (in
that window) in both the live file and an earlier file no link names yet, which the
next write then links while removing the entries from the live file.
"""

from __future__ import annotations

import gc
import os

from ai_protocols.errors import UnreadableSession
from ai_protocols.lean import datetime
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import format_property, format_timestamp, strip_ending
from ai_protocols.paths import join, parent
from ai_protocols.session.layout import (
    EARLIER,
    EXPORT_OPTIONS,
    NO_SESSION_HEADLINE,
    SECTIONS,
    after_drawers,
    earlier_link_line,
    earlier_section,
    find_section,
    org_link_escape,
    parse_earlier_link,
    read_earlier,
    read_entries,
    read_session,
    section_for_write,
    session_headline,
)
from ai_protocols.session.model import EarlierEntries, Session
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BOUND", "KEEP", "LEAST", "MOVABLE", "Planned", "history_folder", "identity",
           "linked_earlier", "plan", "read_whole", "relink"]

#: The size, in bytes, past which a write moves a session file's older entries out.
BOUND = 4 * 1024 * 1024
#: About how many bytes the live file keeps when it is rolled over: half the bound,
#: so that it rolls over again only after as many bytes more have been written.
KEEP = BOUND // 2
#: A rollover moves at least this many bytes, or it does not happen: a file whose
#: entries that may not move (open items, a person's text) pass the bound is left
#: as it is, rather than rolled over at every write.
LEAST = BOUND // 4
#: The sections whose entries move, by CUSTOM_ID, in file order; of Progress only
#: the closed items.
MOVABLE = ("progress", "decisions", "discoveries", "log")
#: The folder of ``.ai/`` that holds the earlier-entries files of live sessions.
HISTORY = "history"
_EPOCH = datetime(1, 1, 1)
#: How a line may begin that can go on an item, or be blank (see :func:`_entry_end`).
_GOES_ON = ("", " ", "\t", "\n", "\r")


def history_folder(ai_dir: str, path: str) -> str:
    """Where the earlier entries of the live session file ``path`` go:
    ``.ai/history/`` then ``path``'s place in ``.ai/`` without ``.org``
    (``.ai/history/session-context/``, ``.ai/history/session-context.d/ID/``). A file
    outside ``ai_dir`` gets ``history/NAME/`` beside it. No session scan reads there:
    ``status`` and ``list`` read ``.ai/session-context.org``,
    ``.ai/session-context.d/*.org`` and ``.ai/sessions/*.org`` only."""
    stem = path[:-4] if path.endswith(".org") else path
    prefix = ai_dir.rstrip("/") + "/"
    if stem.startswith(prefix):
        return join(join(ai_dir, HISTORY), stem[len(prefix):])
    return join(join(parent(path), HISTORY), os.path.basename(stem))


class Planned:
    """A rollover :func:`plan` made: the earlier file's ``path`` and ``data`` (bytes),
    which the transaction writes before the live file
    (:func:`ai_protocols.session.transaction.editing`)."""

    __slots__ = ("data", "path")

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data = path, data


def plan(ai_dir: str, path: str, doc: OrgFile, size: int) -> Planned | None:
    """When ``size`` (the bytes of the session file ``path`` as read) passes
    :data:`BOUND`: move its oldest movable entries out of ``doc`` (in memory) until
    about :data:`KEEP` bytes are left, add the link to their new file to the
    ``Earlier entries`` section (made, after the Summary, on the first rollover), and
    return what to write; ``None`` (``doc`` untouched) when the file is within the
    bound or its movable entries come to less than :data:`LEAST` bytes.
    Deterministic: the same ``doc`` gives the same file, of the same name."""
    if size <= BOUND:
        return None
    headline = session_headline(doc)
    if headline is None:
        return None
    texts: dict[int, tuple[int, list[str]]] = {}  # each section's first line and lines
    collecting = gc.isenabled()
    gc.disable()  # (hundreds of thousands of entries, none in a cycle: as read_session)
    try:
        spans = _movable(doc, headline, texts)
    finally:
        if collecting:
            gc.enable()
    if sum(s[4] for s in spans) < LEAST:
        return None
    spans.sort(key=lambda s: (s[0], s[1], s[2]))
    need = size - KEEP
    chosen: list[tuple[datetime, int, int, int, int, datetime | None]] = []
    moved = 0
    for span in spans:
        if moved >= need:
            break
        chosen.append(span)
        moved += span[4]
    times = [s[5] for s in chosen if s[5] is not None]
    first, last = (min(times), max(times)) if times else (None, None)
    by_section: dict[int, list[tuple[int, int]]] = {}
    for span in chosen:
        by_section.setdefault(span[1], []).append((span[2], span[3]))
    newline = doc.newline
    bodies = []
    for rank, key in enumerate(MOVABLE):
        title = dict(SECTIONS)[key]
        taken = sorted(by_section.get(rank, []))
        bodies.append(f"** {title}{newline}:PROPERTIES:{newline}"
                      f"{format_property('CUSTOM_ID', key)}{newline}:END:{newline}")
        if taken:
            first_line, lines = texts[rank]
            bodies.extend("".join(lines[start - first_line: end - first_line])
                          for start, end in taken)
    head = _head(headline, first, last, len(chosen), newline)
    data = (head + "".join(_terminated(b, newline) for b in bodies)).encode("utf-8")
    import hashlib  # (only here: a rollover is rare)

    name = (f"{_name_time(first)}--{_name_time(last)}-"
            f"{hashlib.sha256(data).hexdigest()[:8]}.org")
    earlier = join(history_folder(ai_dir, path), name)
    _remove(doc, by_section, texts)
    rel = os.path.relpath(earlier, parent(path) if parent(path) != "" else ".")
    _add_link(doc, session_headline(doc), earlier_link_line(rel, first, last, len(chosen)))
    return Planned(earlier, data)


def _terminated(text: str, newline: str) -> str:
    """``text`` ending with a line ending (a moved entry that was the file's last line
    may have had none)."""
    return text if not text or text.endswith("\n") else text + newline


def _name_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H-%M") if moment else "undated"


def _head(headline: Headline, first: datetime | None, last: datetime | None, count: int,
          newline: str) -> str:
    """The earlier file's title and headline: a drawer naming the session (its
    AGENT_ID, title and STARTED, as the live file's drawer holds them, under other
    names: the file is no session) and the range moved."""
    props = headline.properties
    title = props.get("SESSION_TITLE") or props.get("TITLE")
    values = [("SESSION_TITLE", title), ("AGENT_ID", props.get("AGENT_ID")),
              ("SESSION_STARTED", props.get("STARTED")),
              ("ENTRIES_FROM", format_timestamp(first) if first else None),
              ("ENTRIES_TO", format_timestamp(last) if last else None),
              ("ENTRIES", str(count))]
    lines = [f"#+TITLE: Earlier entries of {'a session' if not title else 'Session: ' + title}",
             f"#+OPTIONS: {EXPORT_OPTIONS}", "", "* Earlier entries", ":PROPERTIES:",
             *(format_property(k, v) for k, v in values if v), ":END:"]
    return newline.join(lines) + newline


def _movable(doc: OrgFile, session: Headline, texts: dict[int, tuple[int, list[str]]]
             ) -> list[tuple[datetime, int, int, int, int, datetime | None]]:
    """The entries that may move, each as ``(order, section rank, first line, end line,
    bytes, time)``, ``order`` the latest time of its section up to it (so a section's
    entries go in file order, the sections interleaved by time): the top-level entries
    of the movable sections (an entry inside another's lines moves with it, or stays
    with it). ``texts`` gets each
    section's first line and lines, by rank."""
    found = []
    for rank, key in enumerate(MOVABLE):
        section = find_section(doc, session, key)
        if section is None or section.line == session.line:
            continue
        start, end = section.body_start, section.body_end
        lines = doc.lines_between(start, end)
        texts[rank] = (start, lines)
        entries = read_entries(iter(lines), doc.newline, start)
        reach = start  # the end of the last entry's lines
        seen = _EPOCH
        for entry in entries:
            if entry.line < reach:  # (nested in the entry before: goes or stays with it)
                if key == "progress" and entry.done is False and found and \
                        found[-1][2] < entry.line < found[-1][3]:
                    found.pop()  # (an open item never moves, nor what holds one)
                continue
            at = entry.line - start
            after = lines[at + 1] if at + 1 < len(lines) else "x"
            if after[:1] not in _GOES_ON and lines[at][:1] not in _GOES_ON:
                reach = entry.line + 1  # (the tool's one-line item: the next line at column 0)
            else:
                reach = _entry_end(lines, at, doc.newline) + start
            if entry.time is not None:
                seen = max(seen, entry.time)
            if key == "progress" and entry.done is not True:
                continue
            size = sum(len(line) if line.isascii() else len(line.encode("utf-8"))
                       for line in lines[entry.line - start: reach - start])
            found.append((seen, rank, entry.line, reach, size, entry.time))
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _entry_end(lines: list[str], at: int, newline: str) -> int:
    """The end of the item that begins at ``lines[at]``: the lines after it that are
    blank or indented past its bullet, up to two blank lines in a row (which end a
    list in Org) or a line that is not, blocks opened in it taken whole; trailing
    blank lines are not the item's (they stay). The rule is Org's (the Org manual,
    "Plain Lists": an item ends before the first line indented no more than its
    bullet, or at two blank lines)."""
    bullet = _indent(lines[at])
    end = at + 1
    index = at + 1
    blank = 0
    while index < len(lines):
        bare = strip_ending(lines[index], newline)
        if not bare.strip():
            blank += 1
            if blank >= 2:
                break
            index += 1
            continue
        if _indent(bare) <= bullet:
            break
        blank = 0
        opened = bare.lstrip(" \t")
        if opened[:8].lower() == "#+begin_":
            name = opened[8:].split(None, 1)[0].lower() if opened[8:].strip() else ""
            close = next((i for i in range(index + 1, len(lines))
                          if strip_ending(lines[i], newline).strip(" \t").lower()
                          == f"#+end_{name}"), None)
            if close is not None:
                index = close
        index += 1
        end = index
    return end


def _remove(doc: OrgFile, by_section: dict[int, list[tuple[int, int]]],
            texts: dict[int, tuple[int, list[str]]]) -> None:
    """Take the chosen entries' lines out of their sections, one section at a time
    (one splice each), the last section first so that the lines of the others hold."""
    targets = []
    for rank, spans in by_section.items():
        start, lines = texts[rank]
        targets.append((start, start + len(lines), sorted(spans), lines))
    for start, end, spans, lines in sorted(targets, key=lambda t: t[0], reverse=True):
        kept: list[str] = []
        at = start
        for first, stop in spans:
            kept.extend(lines[at - start: first - start])
            at = stop
        kept.extend(lines[at - start:])
        doc.replace(start, end, [strip_ending(line, doc.newline) for line in kept])


def _add_link(doc: OrgFile, session: Headline | None, line: str) -> None:
    """Append ``line`` to the session's ``Earlier entries`` section, made first (right
    after the Summary's subtree, else at the end of the session's) when there is none."""
    assert session is not None
    section = earlier_section(doc, session)
    if section is None:
        summary = find_section(doc, session, "summary")
        at = summary.subtree_end if summary is not None and \
            session.line < summary.line < session.subtree_end else session.subtree_end
        doc.insert(at, [f"{'*' * (session.level + 1)} {EARLIER[1]}", ":PROPERTIES:",
                        format_property("CUSTOM_ID", EARLIER[0]), ":END:"])
        session = session_headline(doc)
        assert session is not None
        section = earlier_section(doc, session)
        assert section is not None
    doc.insert(doc.content_end(section), [line])


def linked_earlier(doc: OrgFile, path: str) -> list[EarlierEntries]:
    """The earlier-entries files the session in ``doc`` (the file ``path``) links."""
    session = session_headline(doc)
    return [] if session is None else read_earlier(doc, session, path)


def relink(doc: OrgFile, path: str, target: str, folder: str | None) -> list[tuple[str, str]]:
    """Before the session in ``path`` is written to ``target`` (an archive, an
    adoption): point each link of its ``Earlier entries`` section at the file from
    ``target``'s folder, the file being moved into ``folder`` first when given (the
    archive's); only the link's path changes on its line. Returns the files to move,
    ``(from, to)``, those that are there (the transaction moves them)."""
    session = session_headline(doc)
    section = earlier_section(doc, session) if session is not None else None
    if section is None:
        return []
    moves = []
    for index in range(section.body_start, section.body_end):
        bare = strip_ending(doc.lines[index], doc.newline)
        link = parse_earlier_link(bare)
        if link is None:
            continue
        rel = link[0]
        old = os.path.normpath(os.path.join(parent(path), rel))
        new = old
        if folder is not None and os.path.lexists(old):
            new = join(folder, os.path.basename(old))
            moves.append((old, new))
        new_rel = os.path.relpath(new, parent(target))
        if new_rel != rel:
            escaped = org_link_escape(rel)
            doc.set_line(index, bare.replace(f"[[file:{escaped}]", f"[[file:"
                                             f"{org_link_escape(new_rel)}]", 1))
    return moves


def identity(line: str, box: int | None) -> str:
    """An entry's identity, as the session merge knows one
    (:class:`ai_protocols.session.merge._Entries`): its first line ``line`` with its
    checkbox (whose ``[`` is at column ``box``, if any) blanked, so that ticking it
    keeps it the same entry."""
    if box is None or line[box + 1: box + 2] not in (" ", "x", "X", "-"):
        return line
    return line[:box + 1] + " " + line[box + 2:]


def _not_given(lines: list[str], first: int, newline: str, given: dict[str, int]
               ) -> list[str]:
    """The lines (without their endings) of one earlier file's section (``lines``, the
    first at line ``first``) but those of the entries an earlier-linked file already
    gave: an entry whose :func:`identity` came ``n`` times before it in this section
    is left out when one file before gave that identity more than ``n`` times. Two
    clones that rolled one session over from different states each moved its oldest
    entries (docs/decisions.md, "Issues 14 and 16"): both files hold those. ``given``
    (identity: how many times) is updated with this file's. A person's lines between
    entries are all kept."""
    counts: dict[str, int] = {}
    dropped: list[tuple[int, int]] = []
    reach = first
    for entry in read_entries(iter(lines), newline, first):
        if entry.line < reach:
            continue  # (nested in the entry before: goes or stays with it)
        at = entry.line - first
        after = lines[at + 1] if at + 1 < len(lines) else "x"
        if after[:1] not in _GOES_ON and lines[at][:1] not in _GOES_ON:
            reach = entry.line + 1
        else:
            reach = _entry_end(lines, at, newline) + first
        key = identity(strip_ending(lines[at], newline), entry.box)
        seen = counts.get(key, 0)
        counts[key] = seen + 1
        if given.get(key, 0) > seen:
            dropped.append((at, reach - first))
    for key, count in counts.items():
        given[key] = max(given.get(key, 0), count)
    kept: list[str] = []
    at = 0
    for start, end in dropped:
        kept.extend(lines[at:start])
        at = end
    kept.extend(lines[at:])
    return [strip_ending(line, newline) for line in kept]


def read_whole(path: str, text: str, kept: Callable[[str], str | None] | None = None
               ) -> Session:
    """The whole session of the live file ``path`` (its text ``text``), as if nothing
    had moved: the entries of each file its ``Earlier entries`` section links, oldest
    file first, go back at the top of their sections, before the live file's
    (``show --all``), each entry once: an entry a file linked before already gave is
    not given again (:func:`_not_given`). ``earlier`` still lists the files. ``kept``
    gives where the copy of an earlier file is kept (read when the file is gone, as
    after ``git clean``). Raises
    :class:`~ai_protocols.errors.UnreadableSession` when a linked file is missing or
    is no earlier-entries file, and what reading a file raises."""
    doc = OrgFile(text)
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    moved: dict[str, list[str]] = {key: [] for key in MOVABLE}
    given: dict[str, dict[str, int]] = {key: {} for key in MOVABLE}  # identities, so far
    for earlier in read_earlier(doc, headline, path):
        found = storage.read_bytes(earlier.path)
        copy = kept(earlier.path) if kept is not None and found is None else None
        if copy is not None:
            found = storage.read_bytes(copy)
        if found is None:
            raise UnreadableSession(earlier.path, (
                f"it is not there, and {path} links it as the file of its earlier "
                "entries; 'ai-protocols show' without --all reads the live file alone"))
        other = OrgFile(storage.decode(earlier.path, found))
        top = next((h for h in other.headlines if h.level == 1), None)
        if top is None:
            raise UnreadableSession(earlier.path, "it has no headline: no earlier-entries file")
        for key in MOVABLE:
            section = next((h for h in other.headlines if h.properties.get("CUSTOM_ID") == key
                            and top.line < h.line < top.subtree_end), None)
            if section is not None:
                moved[key] += _not_given(other.lines_between(section.body_start,
                                                             section.body_end),
                                         section.body_start, other.newline, given[key])
    for key in reversed(MOVABLE):
        if moved[key]:
            session_line = session_headline(doc).line  # type: ignore[union-attr]
            section = section_for_write(doc, session_line, key)
            doc.insert(after_drawers(doc, section), moved[key])
    return read_session(path, doc.text)
