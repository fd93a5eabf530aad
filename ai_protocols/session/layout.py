"""The session-context file's layout: reading it back and splicing entries in.

Everything here works on an :class:`~ai_protocols.org.file.OrgFile` in memory,
but :func:`read_info`, which reads the head of a file for ``list``; the one
transaction that writes a session (:mod:`ai_protocols.session.transaction`)
holds the locks and does the file I/O.
"""

from __future__ import annotations

import gc
import os
from itertools import chain, product

from ai_protocols.errors import AmbiguousItem, ItemNotFound, UnreadableSession
from ai_protocols.lean import counted, datetime, digits, fold, itemgetter, quoted, remembered
from ai_protocols.org.file import (
    Headline,
    OrgFile,
    first_headline_properties,
    first_headline_start,
    next_headline_start,
    plain_drawer,
)
from ai_protocols.org.syntax import (
    WJ,
    ZWSP,
    Entry,
    are_own_timestamps,
    bracket_link,
    bracket_links,
    entry_lines,
    escape_headline,
    escape_inline,
    escape_property,
    file_scheme,
    format_property,
    format_timestamp,
    is_own_timestamp,
    own_time,
    parse_entries,
    parse_timestamp,
    read_text_block,
    separates_paragraph,
    strip_ending,
    text_lines,
    unescape_inline,
)
from ai_protocols.session.model import (
    KIND_OF,
    SECTION_KINDS,
    EarlierEntries,
    LogEntry,
    Session,
    SessionInfo,
    newest_first,
)
from ai_protocols.session.names import HISTORY, name_time
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import datetime
    from typing import Any, BinaryIO, Literal

#: Section key (its CUSTOM_ID) and the title a fresh file gives it, in file order:
#: the summary, a section per kind of entry that has one, and the Log.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    *((k.section, k.title) for k in SECTION_KINDS),  # type: ignore[misc]
    ("log", "Log"),
)
ACTIVE = "active"
WRAPPED_UP = "wrapped-up"
PAUSED = "paused"  # ai-protocols pause (ai_protocols.session.pause)
ABANDONED = "abandoned"  # ai-protocols abandon: closed, and archived as such
#: The statuses of a closed session: when one side of a merge closed it, it stays closed;
#: a live session file holding one is a copy put back (issue 14, fourteenth round).
CLOSED_STATUSES = frozenset({WRAPPED_UP, ABANDONED})

#: The Log line a ``--summary`` writes: the record that the tool, not a person, set the
#: summary then (the merge driver's rule for two summaries, docs/merge-driver.md).
SUMMARY_LOGGED = "summary: updated"
#: Sections a new file does not have: each is added, before the Log, by its first entry.
ON_DEMAND = ("key-files", "context")
#: The checkbox of the step in progress (``log --current``): Org's "partly done" box.
CURRENT_BOX = "[-]"
ENDED = "ended"  # the agent exited as agents end, without a wrap-up (a spawner's or hook's record)
CRASHED = "crashed"  # its spawner recorded another exit status, or a signal
NO_SESSION_HEADLINE = "it has no session headline (one with STATUS and STARTED)"
#: The property that holds the title. Earlier versions wrote ``TITLE``, which Org 9.7's
#: org-lint takes for a misspelled ``EXPORT_TITLE``; it is still read.
TITLE_PROPERTY = "SESSION_TITLE"
#: What new files carry for export (Org's and pandoc's): ``snake_case`` stays as
#: written, and no table of contents, section numbers or exporting user's name.
EXPORT_OPTIONS = "^:{} toc:nil num:nil author:nil"
#: Kinds of Log line that begin a stretch of work: in the chronological view they
#: come before the entries of the same minute.
_OPENING = ("start", "resumed", "adopted")
_EPOCH = datetime(1, 1, 1)
#: The section that names the files a session's older entries were moved to (its
#: CUSTOM_ID and title; docs/decisions.md, "Issue 16, part g").
EARLIER = ("earlier", "Earlier entries")
_SECTION_KIND_NAMES = frozenset(k.kind for k in SECTION_KINDS)


def _done_reference(text: str) -> tuple[str, str] | None:
    """The section and timestamp by which a Log line names the item it ticked ("done:
    Progress item of 2026-11-22 Sun 09:05": not by its text, which is in the file
    once): ``done: (.+?) item of ([0-9]{4}-[0-9]{2}-[0-9]{2}[^\\]>]*)``, whole."""
    for title, rest in _done_splits(text, " item of "):
        date = rest[:10]
        if len(date) == 10 and date[4] == date[7] == "-" and digits(date.replace("-", "", 2)) \
                and "]" not in rest and ">" not in rest:
            return title, rest
    return None


def _done_by_text(text: str) -> tuple[str, str] | None:
    """... or, for an item without a timestamp (a person's), by its text's preview:
    ``done: (.+?) item "(.*)"``, whole."""
    for title, rest in _done_splits(text, ' item "'):
        if rest.endswith('"') and "\n" not in rest:
            return title, rest[:-1]
    return None


def _done_splits(text: str, middle: str) -> list[tuple[str, str]]:
    """``text``'s ``done: TITLE{middle}REST`` readings, the shortest title first (a
    title holds no line break)."""
    if not text.startswith("done: "):
        return []
    found = []
    at = text.find(middle, 7)
    while at != -1 and "\n" not in text[6:at]:
        found.append((text[6:at], text[at + len(middle):]))
        at = text.find(middle, at + 1)
    return found


# -- reading ------------------------------------------------------------------------------


def is_session(headline: Headline) -> bool:
    return "STATUS" in headline.properties and "STARTED" in headline.properties


def session_headline(doc: OrgFile) -> Headline | None:
    return next((h for h in doc.headlines if is_session(h)), None)


#: How much of a session file's start :func:`head_of` reads: the session headline and
#: its property drawer are at the top (bytes).
HEAD_BYTES = 65536


def head_of(data: bytes) -> Headline | None:
    """The session headline of the session file bytes ``data``, read from its first
    :data:`HEAD_BYTES` only (cut at the last whole line when it may go on: as long as
    that, or longer; ``data`` may be a read of that many bytes already), as
    :func:`session_headline` reads it; ``None`` when none is there. Raises nothing:
    bytes not UTF-8 are read with replacement characters."""
    text = data[:HEAD_BYTES].decode("utf-8", "replace")
    if len(data) >= HEAD_BYTES:
        text = text[: text.rfind("\n") + 1]
    return session_headline(OrgFile(text))


#: The session headline's properties that tell one session from another, in the order
#: they are compared (:func:`identity_differences`): set when the session starts, never
#: changed by a write (``AGENT_ID`` survives a takeover; an adoption writes a new file;
#: ``SESSION_ID``, random, tells apart two sessions started in one minute: files made
#: before it hold none, and compare by the rest), then what a session is for and its
#: title, which ``start`` sets at most once per value. ``HOST`` is not one: a takeover
#: or a resume from a pause on another machine changes it.
SESSION_ID_PROPERTY = "SESSION_ID"
IDENTITY = ("AGENT_ID", "STARTED", SESSION_ID_PROPERTY, "OBJECTIVE", TITLE_PROPERTY)
#: The fields of :data:`IDENTITY` no write changes: two values are two sessions.
FIXED_IDENTITY = ("AGENT_ID", "STARTED", SESSION_ID_PROPERTY)


def new_session_id() -> str:
    """A fresh ``SESSION_ID``: 8 lowercase hexadecimal digits from ``os.urandom``
    (32 bits: two sessions of one agent started in one minute share one with a chance
    of one in four billion). Written once, by ``start``, into the session headline."""
    return os.urandom(4).hex()


def identity_differences(one: dict[str, str], two: dict[str, str], *,
                         one_sided: bool = False) -> list[str]:
    """The fields of :data:`IDENTITY` (in its order) in which the session headline
    properties ``one`` and ``two`` differ: each both hold with different values; with
    ``one_sided``, also a field of :data:`FIXED_IDENTITY` only one of them holds (an
    earlier-entries file's drawer records every field the session had when it was
    written); a ``SESSION_ID`` only one holds always (:func:`same_session_id`). The
    one comparison of "is this the same session" for
    :func:`other_session` (a session file against its kept copy) and
    :func:`~ai_protocols.session.rollover.same_session` (an earlier file against its
    session). A few strings compared; no I/O."""
    found = []
    for key in IDENTITY:
        mine, theirs = one.get(key) or None, two.get(key) or None
        if mine == theirs:
            continue
        if (mine and theirs) or key == SESSION_ID_PROPERTY or \
                (one_sided and key in FIXED_IDENTITY):
            found.append(key)  # (an id on one side only: :func:`same_session_id`)
    return found


def one_session(one: dict[str, str], two: dict[str, str]) -> bool:
    """Whether the session headline properties ``one`` and ``two`` are of one session by
    the fields of :data:`FIXED_IDENTITY`: the same ``AGENT_ID`` (both absent is alike: the
    default agent's file holds none) and ``STARTED``, and the same ``SESSION_ID``
    (:func:`same_session_id`: both absent is alike; one side's only is two sessions).
    The one rule of "does this archive, tombstone's place or live file hold that
    session" (docs/decisions.md, "Issue 14, fourteenth round"; "Issue 14, fifteenth
    round (put-back sessions)"). No I/O."""
    if (one.get("AGENT_ID") or None, one.get("STARTED") or None) != \
            (two.get("AGENT_ID") or None, two.get("STARTED") or None):
        return False
    return same_session_id(one.get(SESSION_ID_PROPERTY), two.get(SESSION_ID_PROPERTY))


def same_session_id(one: str | None, two: str | None) -> bool:
    """Whether two ``SESSION_ID`` values (``None`` or ``""``: none) may be one session's:
    equal, or both absent. ``start`` writes the id once, into a session's first version
    (:func:`new_session_text`), and no write adds, changes or removes it, so every
    version of one session holds the same id or none; an id on one side only is a
    session begun by a version that writes ids and one begun before (two sessions of
    one agent started in one minute, the older without an id). No I/O."""
    return (one or None) == (two or None)


def other_session(file: dict[str, str], kept: dict[str, str],
                  texts: Callable[[], tuple[str, str]] | None = None) -> str | None:
    """Why the session headline properties ``file`` (the session file on disk) are
    another session than ``kept`` (the version this tool wrote last at that path, its
    kept copy), said for a person (``its AGENT_ID is X, the kept copy's Y``); ``None``
    when they may be versions of one session. The one rule of the writes' check
    (:func:`~ai_protocols.session.transaction.editing`), of ``merge-kept`` and of the
    read commands' warning (docs/decisions.md, "Issue 14, eleventh round").

    The same ``UPDATED_AT`` (the record of the one write that left both) is one session:
    a person's edit of the version the tool wrote (Emacs keeps every property).
    Otherwise a field of :data:`IDENTITY` that both hold and that differs makes two
    sessions: ``AGENT_ID``, then ``STARTED`` (minutes), then ``SESSION_ID`` (random,
    written by ``start``: two sessions started in one minute). ``OBJECTIVE`` and the
    title, which tell apart two sessions of one agent started in one minute, can change
    within a session (``start --objective``, a person's edit on another clone, pulled):
    the same ``SESSION_ID`` on both sides is one session whatever else differs (issue
    14, thirteenth round); otherwise they count only when the two files' texts
    (``texts()``, called only then: the file's, the kept copy's) share no stamped item
    but the ``start:`` Log line (two sessions never do; two versions of one session with
    entries always do) and neither holds an ``objective:`` Log line. A field only one
    side holds says nothing (a title or objective given later), but a ``SESSION_ID``
    (:func:`same_session_id`: written once, with the session).
    Compares a few strings unless those differ."""
    at = file.get("UPDATED_AT")
    if at and at == kept.get("UPDATED_AT"):
        return None
    one_id, two_id = file.get(SESSION_ID_PROPERTY), kept.get(SESSION_ID_PROPERTY)
    if one_id and one_id == two_id:
        return None  # (random, written once by start: one session, whatever was retitled)
    differ = identity_differences(file, kept)
    if not differ:
        return None
    key = differ[0]
    name = "title" if key == TITLE_PROPERTY else key
    said = f"its {name} is {_said_value(file, key)}, the kept copy's {_said_value(kept, key)}"
    if key in FIXED_IDENTITY:
        return said
    soft = said
    if texts is None:
        return soft
    one, two = texts()
    if "] objective: " in one or "] objective: " in two:
        return None
    return None if _stamped_items(one) & _stamped_items(two) else soft


def _said_value(props: dict[str, str], key: str) -> str:
    """The property ``key`` of ``props`` quoted for a message, ``none`` when absent."""
    return quoted(props[key], 80) if props.get(key) else "none"


def _stamped_items(text: str) -> set[str]:
    """The stamped items of a session file's text (``- [ ] [STAMP] text``, a Log line
    ``- [STAMP] kind: text``), the ``start:`` Log line left out: what two versions of
    one session share and two sessions do not."""
    import re

    found = re.findall(r"^[ \t]*- (?:\[.\] )?(\[\d{4}-\d\d-\d\d [^]\n]*\] .*)$", text,
                       re.MULTILINE)
    return {line for line in found if "] start: " not in line}


def session_named(props: dict[str, str]) -> str:
    """A session said for a person by its identity (:data:`IDENTITY`): ``agent X,
    started [...], objective 'Y'``, the fields its headline ``props`` hold."""
    said = [f"agent {props['AGENT_ID']}" if props.get("AGENT_ID") else "no agent id"]
    if props.get("STARTED"):
        said.append(f"started {props['STARTED']}")
    if props.get(SESSION_ID_PROPERTY):
        said.append(f"session id {quoted(props[SESSION_ID_PROPERTY], 40)}")
    if props.get("OBJECTIVE"):
        said.append(f"objective {quoted(props['OBJECTIVE'], 60)}")
    elif props.get(TITLE_PROPERTY):
        said.append(f"title {quoted(props[TITLE_PROPERTY], 60)}")
    return ", ".join(said)


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
    may come first), read back as text. ``(start, start, "")`` when there is none:
    where one goes."""
    return _summary_in(doc.lines, section.body_start, section.body_end, doc.newline)


def _summary_in(lines: Sequence[str], body_start: int, body_end: int,
                newline: str) -> tuple[int, int, str]:
    """:func:`_summary_span` of the section whose body is ``lines[body_start:body_end]``."""
    start = _after_drawers_in(lines, body_start, body_end, newline)
    probe = start
    while probe < body_end and not lines[probe].strip():
        probe += 1
    if probe >= body_end:
        return start, start, ""
    block = read_text_block(lines, probe, "", newline)
    if block is not None and block[1] <= body_end:
        return probe, block[1], block[0]
    if separates_paragraph(strip_ending(lines[probe], newline).lstrip("\ufeff")):
        return start, start, ""
    end = probe + 1
    while end < body_end and lines[end].strip() and \
            not separates_paragraph(strip_ending(lines[end], newline)):
        end += 1
    return probe, end, unescape_inline(" ".join(line.strip() for line in lines[probe:end]))


def summary_span(doc: OrgFile, section: Headline) -> tuple[int, int, str]:
    """Where the summary of the Summary ``section`` stands, its lines ``[start, end)``
    of ``doc`` and its text as the readers give it (``(start, start, "")`` when there
    is none: where one goes). Raises nothing of its own."""
    span = _summary_span(doc, section)
    assert span is not None  # (it always returns one)
    return span


def after_drawers(doc: OrgFile, section: Headline) -> int:
    """The first line of ``section``'s body after the drawers that open it."""
    return _after_drawers(doc, section)


def _after_drawers(doc: OrgFile, section: Headline) -> int:
    """The first line after the drawers (LOGBOOK and the like) that open a section."""
    return _after_drawers_in(doc.lines, section.body_start, section.body_end, doc.newline)


def _after_drawers_in(lines: Sequence[str], index: int, body_end: int, newline: str) -> int:
    """:func:`_after_drawers` of the section whose body is ``lines[index:body_end]``."""
    while index < body_end and _opens_drawer(strip_ending(lines[index], newline)):
        close = next((i for i in range(index + 1, body_end) if fold(
            strip_ending(lines[i], newline).strip(" \t")) == ":end:"), None)
        if close is None:
            break
        index = close + 1
    return index


def _opens_drawer(line: str) -> bool:
    """Whether ``line`` opens a drawer: ``[ \\t]*:[-_\\w]+:[ \\t]*``, whole."""
    name = line.strip(" \t")
    return len(name) > 2 and name[0] == name[-1] == ":" and \
        all(char.isalnum() or char in "-_" for char in name[1:-1])


def _entries(doc: OrgFile, section: Headline) -> list[Entry]:
    """The stamped items of the section's own body, their lines numbered in the file."""
    return read_entries(doc.iter_between(section.body_start, section.body_end), doc.newline,
                        section.body_start)


def read_entries(lines: Iterable[str], newline: str = "\n", first: int = 0) -> list[Entry]:
    """:func:`iter_entries` as a list."""
    return list(iter_entries(lines, newline, first))


def iter_entries(lines: Iterable[str], newline: str = "\n", first: int = 0
                 ) -> Iterator[Entry]:
    """:func:`~ai_protocols.org.syntax.parse_entries` of all of ``lines``, each entry's
    ``line`` counted from ``first``; quicker on the items the tool writes (a 10 MB file
    holds a hundred thousand of them): an item on one line, ``- [X] [stamp] text``
    (any checkbox but ``[x]``, or none), at the start of its line, with the next line
    (if any) starting with something other than white space, is read from the line
    (how the part up to its timestamp reads is asked of ``parse_entries`` once per
    distinct part). The lines between such items go to ``parse_entries``; once they
    hold anything that may open a block (``#+``, ``\\``), so does the rest. ``lines``
    is read once, in order, one line ahead: no list of a big section's lines is made,
    and the entries are made one at a time, as read (a rollover reads 50 MB of them).
    ``tests/test_big_files.py`` holds the two equal."""
    if newline != "\n":
        listed = list(lines)
        general = parse_entries(listed, 0, len(listed), newline)
        for entry in general:
            entry.line += first
        yield from general
        return
    prefixes = _ITEM_PREFIXES
    own = _own_prefix
    unescape = unescape_inline
    between: list[str] = []  # the lines since the last quick item, for parse_entries
    at = first  # the number of between[0]
    following = iter(lines)
    line = next(following, None)
    if line is None:
        return
    index = first
    rest = chain(following, (None,))  # (each line is read with the one after it)
    for after in rest:
        inline = None
        if line.startswith("- ["):
            close = line.find("]", 7 if line.startswith("] [", 4) else 3) + 1
            if close and line.startswith(" ", close) and (
                    after is None or (after and after[0] not in " \t\n")):
                prefix = line[:close]
                known = prefixes.get(prefix, False)
                if known is False:
                    known = own(line, close) if close == 28 or close == 24 else False
                    if known is False:
                        known = _item_prefix(prefix)
                    else:  # (kept: a file of few timestamps shares their text and time)
                        if len(prefixes) > 4096:
                            prefixes.clear()
                        prefixes[prefix] = known
                if known is not None:
                    inline = line[close:].strip(" \t\n")  # (one newline, at its end)
        if not inline:
            between.append(line)
        else:
            if between:
                if _may_open_block(between, 0, len(between)):
                    between.append(line)
                    if after is not None:
                        between.append(after)
                        between.extend(rest)
                        between.pop()  # (the None that ends rest)
                    break
                yield from _general(between, at)
                between = []
            time, done, box, stamp = known  # type: ignore[misc]
            if ZWSP in inline or WJ in inline:
                inline = unescape(inline)
            yield Entry(time, inline, done, None, index, box, stamp)
            at = index + 1
        line = after  # type: ignore[assignment]
        index += 1
    if between:
        yield from _general(between, at)


#: The beginnings of items that :func:`read_entries` has read (the tool's own by
#: :func:`_own_prefix`, any other by asking ``parse_entries``): each with the item's
#: time, checkbox, checkbox column and timestamp, or ``None``.
_ITEM_PREFIXES: dict[str, tuple[datetime | None, bool | None, int | None, str] | None] = {}


#: The checkboxes of the tool's own items (``line[3:6]``), with the ``done`` each reads as.
_OWN_BOXES = {"X] ": True, " ] ": False, "-] ": False}


def _own_prefix(line: str, close: int
                ) -> tuple[datetime | None, bool | None, int | None, str] | bool:
    """How an item of the tool's own form reads, as :func:`_item_prefix` of
    ``line[:close]`` gives it, by fixed positions: ``- [STAMP]`` (``close`` 24) or
    ``- [B] [STAMP]`` (28; B one of ``X``, `` ``, ``-``), STAMP one of the tool's own
    timestamps of a date and time that exist (``org.syntax.own_time``, the one rule);
    ``False`` for any other prefix, which :func:`_item_prefix` then reads (an
    impossible date too). ``line[close - 1]`` is the first ``]`` after the checkbox, and
    ``line[close]`` a space. ``tests/test_parse_fourteenth.py`` holds it to
    :func:`_item_prefix`."""
    if close == 24:
        done = box = None
    else:
        done = _OWN_BOXES.get(line[3:6])
        if done is None:
            return False
        box = 2
    stamp = line[close - 22:close]
    time = own_time(stamp)
    if time is None:
        return False
    return time, done, box, stamp


def _item_prefix(prefix: str) -> tuple[datetime | None, bool | None, int | None, str] | None:
    """How an item starting with ``prefix`` (up to its timestamp's ``]``) and a space
    reads, as ``parse_entries`` reads it; ``None`` when not as one whose text follows."""
    found = parse_entries([prefix + " x"], 0, 1)
    entry = found[0] if len(found) == 1 else None
    known = None
    if entry is not None and entry.text == "x" and entry.rationale is None and \
            entry.stamp is not None and prefix.endswith(entry.stamp):
        known = (entry.time, entry.done, entry.box, entry.stamp)
    if len(_ITEM_PREFIXES) > 4096:
        _ITEM_PREFIXES.clear()
    _ITEM_PREFIXES[prefix] = known
    return known


def _may_open_block(lines: list[str], start: int, end: int) -> bool:
    """Whether a line of ``lines[start:end]`` may open a block or a LaTeX environment,
    whose end parse_entries would look for beyond ``end``."""
    return any(line.lstrip(" \t").startswith(("#+", "\\")) for line in lines[start:end])


def _general(lines: list[str], first: int) -> list[Entry]:
    """:func:`~ai_protocols.org.syntax.parse_entries` of ``lines``, numbered from ``first``."""
    found = parse_entries(lines, 0, len(lines))
    for entry in found:
        entry.line += first
    return found


def _count(value: str) -> int:
    """A count a property holds: ASCII digits (``str.isdigit`` also takes ``²``, which
    ``int`` refuses), at most nine of them; 0 for anything else."""
    return int(value) if len(value) <= 9 and digits(value) else 0


def _properties(headline: Headline) -> dict[str, str]:
    """The headline's properties with the escapes of :func:`escape_property` undone."""
    return _unescaped(headline.properties)


def _unescaped(properties: dict[str, str]) -> dict[str, str]:
    return {key: unescape_inline(value) for key, value in properties.items()}


def read_session(path: str, text: str | list[str] | OrgFile, *, brief: bool = False,
                 notes: int | None = None) -> Session:
    """Read a session-context file; a person's own headings and notes are passed over.
    ``text``: the file's text, or a list holding it alone, which is emptied: the text is
    then freed as soon as the entries are read, before the Log is put in order (a
    10 MB file's text is 10 MB of the peak of ``show --json``); or the file as an
    :class:`OrgFile` already parsed (an edit's, whose every edit leaves its headlines
    right for its text: read as its text would read, without joining and parsing that
    text again; ``tests/test_hot_fifteenth.py`` holds the two equal). Reading changes
    no line of it (a brief read tells it which lines hold no earlier-entries link:
    ``OrgFile.pass_over``).

    ``brief``: what ``resume``, ``start`` and the hooks' context read, at a cost that
    does not grow with the closed history (issue 16, fourteenth round): the closed
    items the tool writes in Progress and Next steps (:data:`BRIEF_KINDS`) and the
    Log's ``done:`` lines (:func:`_brief_entries`) are passed over by a ``str`` test
    of their line, never parsed; ``session.left_out`` counts the items,
    ``session.left_out_log`` the Log lines. Of the decisions and discoveries
    (:data:`NOTE_KINDS`) it reads the newest ``notes`` (default :data:`BRIEF_NOTES`)
    and those after them in the file, and counts the older ones in
    ``session.unread``, when a few ``str`` operations over their lines show them to
    be all of the tool's own form and older (:func:`_brief_notes`; issue 16,
    seventeenth round). Everything else reads as without it
    (``tests/test_scan_fourteenth.py`` and ``tests/test_notes_seventeenth.py`` hold
    the two equal); :func:`whole` reads the rest when a reader needs it."""
    # No cyclic garbage collection while a big file's hundred thousand entries are made
    # (each collection would walk all those made before; about a third of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_session(path, text, brief, BRIEF_NOTES if notes is None else notes)
    finally:
        if collecting:
            gc.enable()


#: The kinds of entry whose closed items a brief read passes over (:func:`read_session`):
#: a reader of the resume context shows only their open ones.
BRIEF_KINDS = ("progress", "next")
#: The kinds of entry of which a brief read reads only the newest (:func:`_brief_notes`):
#: the resume context shows the newest that fit its bound and counts the rest.
NOTE_KINDS = ("decision", "discovery")
#: How many of the newest entries of each of :data:`NOTE_KINDS` a brief read reads:
#: more than the resume context can show of them in its default bound (at least one
#: line of ``  - [YYYY-MM-DD HH:MM] `` each: ``resume.notes_to_read``, which reads the
#: file whole for a bound that may show more; ``tests/test_notes_seventeenth.py``).
BRIEF_NOTES = 192


def whole(session: Session) -> Session:
    """``session`` itself, or, when it was read brief (:func:`read_session`) and left
    something out, the file read again whole. Raises what reading raises
    (:class:`~ai_protocols.errors.UnreadableSession`, ``OSError``,
    :class:`~ai_protocols.storage.files.NotRegular`)."""
    if not session.left_out and not session.left_out_log and not session.unread:
        return session
    path = session.path_text
    full = read_session(path, storage.decode(path, storage.read_regular(path)))
    full.pending, full.unlinked = session.pending, session.unlinked
    return full


#: How a closed item the tool writes begins, after the newline before it.
_CLOSED = "\n- [X] ["


def other_lines(base: str, lo: int, hi: int, items: bool, lines: int | None = None
                ) -> Iterator[int]:
    """Where each line of ``base[lo:hi]`` (``lo`` a line's start, after a newline) that
    a brief read may not pass over begins, in order: with ``items``, each that does not
    begin ``- [X] [``; found by halving the text, a half passed over whole when it holds
    as many :data:`_CLOSED` as newlines (two ``str.count``: no regular expression,
    which the hot paths do not import, nor a look at each line from Python; one for
    the whole when the caller knows its number of ``lines``, as a section's). Without
    (the Log), each that is not ``- [``, a ``]`` and `` done: ``, line by line."""
    if not items:
        at = lo
        while at < hi:
            following = base.find("\n", at, hi) + 1 or hi
            close = base.find("] ", at + 3, following) if base.startswith("- [", at) else -1
            if close < 0 or not base.startswith("done: ", close + 2):
                yield at
            at = following
        return
    size = len(_CLOSED)
    parts = [(lo, hi)]
    known = lines
    while parts:
        a, b = parts.pop()
        # (the newlines before its lines)
        lines = base.count("\n", a - 1, b - 1) if known is None else known
        known = None
        if base.count(_CLOSED, a - 1, b - 2 + size) == lines:
            continue  # (every line of it a closed item)
        if lines == 1:
            yield a
            continue
        middle = base.rfind("\n", a, (a + b) // 2) + 1
        if middle <= a:
            middle = base.find("\n", (a + b) // 2, b - 1) + 1
        parts += ((middle, b), (a, middle))  # (the first half first)


def closed_until(base: str, at: int, hi: int) -> int:
    """Where the first line of ``base[at:hi]`` (``at`` a line's start, after a newline)
    that does not begin ``- [X] [`` (:data:`_CLOSED`) begins, or ``hi``: found a
    window of lines at a time, each twice as big as the last while it holds as many
    :data:`_CLOSED` as newlines (two ``str.count``, as :func:`other_lines`), then line
    by line in the window that does not: a few steps a run, however long."""
    size = len(_CLOSED)
    step = 256
    while at < hi:
        end = base.find("\n", min(hi, at + step) - 1, hi) + 1 or hi
        if base.count(_CLOSED, at - 1, end - 2 + size) == base.count("\n", at - 1, end - 1):
            at = end
            step *= 2
        elif step > 256:
            step = 256
        else:
            while at < end and base.startswith(_CLOSED[1:], at):
                at = base.find("\n", at, hi) + 1 or hi
            return at
    return hi


def _brief_entries(doc: OrgFile, section: Headline, items: bool
                   ) -> tuple[list[Entry], int, list[tuple[str, int, int]]]:
    """:func:`_entries` less the one-line closed items the tool writes, and the count of
    those passed over: with ``items`` (Progress, Next steps) the lines that begin
    ``- [X] [``; without (the Log), those that begin ``- [`` and a ``]`` followed by
    `` done: ``. Such a line is passed over only when the next line of the section (if
    any) begins with neither white space nor a line end (the item is that one line, as
    :func:`iter_entries` reads it), and only while every line of the section before it
    begins ``- ``, or with white space before anything but ``#+``, ``\\`` or ``:``
    (no block, LaTeX environment or drawer, which may hold such a line): from the first
    other line on, the rest is read whole. The other lines are read as :func:`_entries`
    reads them, each run of them numbered from its first line. Only the lines that are
    not passed over are looked at one by one (:func:`other_lines` finds them). And, with
    ``items``, the runs of closed items passed over as windows ``(base, lo, hi)`` of the
    text: no link line (:func:`earlier_links` need not search them; a Log line passed
    over may be one: ``- [[file:...][...]] done: ...``)."""
    start, end = section.body_start, section.body_end
    if start >= end:
        return [], 0, []
    base, lo, hi = doc.window(start, end)
    kept: list[tuple[int, int]] = []  # (line number, offset in base) of each line read
    rest = end  # from this line on, every line is read
    index, at = start, lo
    passed: list[tuple[str, int, int]] = []
    after = lo  # (where the line after the last one not passed over begins)
    for place in other_lines(base, lo, hi, items, end - start):
        if items and after < place:
            passed.append((base, after, place))
        after = _line_end(base, place, hi)
        index += base.count("\n", at, place)
        at = place
        first = base[place:place + 1]
        if first in (" ", "\t", "\r", "\n") and index > start and \
                (not kept or kept[-1][0] != index - 1):  # (the item before goes on)
            before = base.rfind("\n", lo, place - 1) + 1 or lo
            kept.append((index - 1, max(before, lo)))
        kept.append((index, place))
        if first != "-" or not base.startswith("- ", place):
            stop = base.find("\n", place, hi)
            line = base[place:hi if stop == -1 else stop]
            if first not in (" ", "\t", "\r", "\n") or \
                    line.lstrip(" \t").startswith(("#+", "\\", ":")):
                rest = index
                break
    else:
        if items and after < hi:
            passed.append((base, after, hi))
    found: list[Entry] = []
    run_first = run_at = -1
    previous, kept_offset = -2, lo
    read = 0
    for number, offset in kept:
        if number != previous + 1 and run_first >= 0:
            found += read_entries(_split(base[run_at:_line_end(base, kept_offset, hi)]),
                                  doc.newline, run_first)
            run_first = -1
        if run_first < 0:
            run_first, run_at = number, offset
        previous, kept_offset = number, offset
        read += 1
    if run_first >= 0:
        stop = hi if rest < end else _line_end(base, kept_offset, hi)
        found += read_entries(_split(base[run_at:stop]), doc.newline, run_first)
        read += end - rest - 1 if rest < end else 0
    return found, end - start - read, passed


#: Characters of a section :func:`_brief_notes` looks at a time (what it holds besides
#: the file's text: a few times this).
_NOTES_WINDOW = 1 << 16
#: How an item begins, after the newline before it; how one of the tool's own form
#: begins, to its timestamp's bracket (``split`` finds this longer needle through a
#: section of items about twice as fast: its last character is rare there; issue 16,
#: eighteenth round); the rest of that timestamp and the space after it; how the line
#: of a decision's rationale begins (after the newline).
_ITEM = "\n- "
_STAMPED = "\n- ["
_STAMP_REST = itemgetter(slice(0, 22))
_RATIONALE_LINE = "\n  - Rationale:"


def _brief_notes(doc: OrgFile, section: Headline, notes: int
                 ) -> tuple[list[Entry], int, tuple[str, int, int]] | None:
    """The entries of ``section`` from the ``notes``-th last line that begins ``- `` on
    (``read_entries`` of them), and how many entries the lines before hold, unread; or
    ``None`` (the caller reads the section whole) unless those lines are all items of
    the tool's own form, ``- [STAMP] text`` (``org.syntax.are_own_timestamps``: each
    one entry as ``parse_entries`` reads it, none a block or a drawer), or a decision's
    ``  - Rationale: ...`` (no entry), and each of their timestamps no later than that
    of the ``notes``-th newest entry read (``model.newest_first``, the day's name
    aside): then the first ``notes`` of the whole in that order are among those read,
    and the count is exact; and those lines as a window ``(base, lo, hi)`` of the text
    (none of them a link line: :func:`earlier_links` need not search it). Looked at
    :data:`_NOTES_WINDOW` characters at a time, by ``split`` (on :data:`_STAMPED`),
    ``map`` and ``str.join`` (no Python per line; per stamp only for those of the day
    of that ``notes``-th one); the lines counted from the section's known length."""
    start, end = section.body_start, section.body_end
    if notes < 1 or end - start <= 2 * notes:
        return None  # (a few lines: read whole)
    base, lo, hi = doc.window(start, end)
    cut = hi  # (the first line read)
    for _ in range(notes):
        cut = base.rfind(_ITEM, lo - 1, cut + 1) + 1
        if cut < lo:
            return None
    first = end - base.count("\n", cut, hi) - (base[hi - 1] != "\n")
    read = read_entries(_split(base[cut:hi]), doc.newline, first)
    if len(read) < notes:
        return None
    last = newest_first(read)[notes - 1]
    if last.time is None or last.stamp is None or not is_own_timestamp(last.stamp):
        return None
    day, clock = last.stamp[1:11], last.stamp[16:21]  # (its date, and its time of day)
    items = rationales = 0
    at = lo
    while at < cut:
        stop = base.find(_ITEM, min(cut - 1, at + _NOTES_WINDOW), cut + 2) + 1
        piece = base[at - 1:stop - 1]
        chunks = piece.split(_STAMPED)
        if chunks[0]:
            return None  # (a line before the first item, or an item without a timestamp)
        del chunks[0]
        stamps = list(map(_STAMP_REST, chunks))  # (each timestamp less its "[")
        if not are_own_timestamps("[" + "[".join(stamps), len(stamps)):
            return None
        latest = max(stamps)  # (in the stamps' order: each begins with the same "[")
        if latest[:10] > day or (latest[:10] == day and any(
                s[15:20] > clock for s in stamps if s.startswith(day))):
            return None
        items += len(chunks)
        rationales += piece.count(_RATIONALE_LINE)
        at = stop
    if items + rationales != first - start:
        return None  # (some other line: a person's text, a block...)
    return read, items, (base, lo, cut)


def _line_end(base: str, at: int, hi: int) -> int:
    """Where the line that begins at ``at`` of ``base[:hi]`` ends, past its newline."""
    return base.find("\n", at, hi) + 1 or hi


def _split(text: str) -> list[str]:
    """``text``'s lines, each with its newline (as :class:`OrgFile` splits them)."""
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1])
    return lines


def _read_session(path: str, text: str | list[str] | OrgFile, brief: bool = False,
                  notes: int = BRIEF_NOTES) -> Session:
    doc = text if isinstance(text, OrgFile) else \
        OrgFile(text.pop() if isinstance(text, list) else text)
    del text
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    session = _session_of(path, headline)
    passing: list[tuple[str, int, int]] = []  # (lines a brief read passed: no link line)
    for kind in SECTION_KINDS:
        section = find_section(doc, headline, kind.section)  # type: ignore[arg-type]
        if section is None:
            session.entries[kind.kind] = []
        elif brief and kind.kind in BRIEF_KINDS:
            session.entries[kind.kind], left, passed = _brief_entries(doc, section, True)
            session.left_out += left
            passing += passed
        elif brief and kind.kind in NOTE_KINDS and \
                (found := _brief_notes(doc, section, notes)) is not None:
            session.entries[kind.kind], session.unread[kind.kind], window = found
            passing.append(window)
        else:
            session.entries[kind.kind] = _entries(doc, section)
    session.current = _current(doc, headline, session.progress)
    summary = find_section(doc, headline, "summary")
    if summary is not None:
        start, end, summary_text = _summary_span(doc, summary)
        session.summary = summary_text if end > start else None
    log = find_section(doc, headline, "log")
    if log is None:
        logged = []
    elif brief:
        logged, session.left_out_log, passed = _brief_entries(doc, log, False)
        passing += passed
    else:
        logged = _entries(doc, log)
    doc.pass_over(_EARLIER_ITEM, passing)  # (this read's and any later write's search)
    session.earlier = read_earlier(doc, headline, path)
    del doc  # (its text, when the caller gave it in a list)
    session.log = chronology(session, logged)
    return session


def earlier_section(doc: OrgFile, session: Headline) -> Headline | None:
    """The session's ``Earlier entries`` section: the headline with the CUSTOM_ID
    ``earlier`` in its subtree, else (a person deleted its drawer while tidying) the
    one titled ``Earlier entries`` there, at any level; ``None`` when there is none.
    The links themselves are found wherever they stand (:func:`earlier_links`)."""
    inside = [h for h in doc.headlines if session.line < h.line < session.subtree_end]
    title = EARLIER[1].casefold()
    return next((h for h in inside if h.properties.get("CUSTOM_ID") == EARLIER[0]),
                next((h for h in inside if h.plain_title == title), None))


def is_earlier_name(name: str) -> bool:
    """Whether the file name ``name`` is shaped as a rollover names an earlier-entries
    file: ``FIRST--LAST-HASH8.org`` (``HASH8``: 8 lowercase hex digits;
    :func:`ai_protocols.session.rollover.plan`)."""
    return name.endswith(".org") and len(name) > 13 and name[-13] == "-" and \
        "--" in name[:-13] and all(c in "0123456789abcdef" for c in name[-12:-4])


def earlier_links(doc: OrgFile, session: Headline, *, every: bool = False
                  ) -> list[tuple[int, str, tuple[str, datetime | None, datetime | None, int]]]:
    """The earlier-entries links of the session ``session`` in ``doc``, in file order,
    each once: ``(line index, the line without its ending, parse_earlier_link's
    tuple)``. The one rule every reader and writer uses (``show``, ``show --json``,
    ``show --all``, the moves): an item shaped as :func:`earlier_link_line` writes it
    (``- [[file:PATH][...]]``, indented or not) whose ``PATH``, less a ``::SEARCH``
    option (Org's ``file:PATH::SEARCH``, https://orgmode.org/manual/Search-Options.html;
    the tuple's path is without it), ends in a name shaped
    as a rollover's (:func:`is_earlier_name`), anywhere in the file but inside another
    session's subtree: a person who renamed, moved, demoted or duplicated the section,
    or deleted its drawer, cuts no session off from its earlier entries. A link to
    anything else is a person's, and not one of these. ``every``: each line, a path
    named twice (a duplicated section) included, for a rewrite of every one.
    The lines a brief read of ``doc`` found to be no link line are not searched
    (:func:`read_session`, ``OrgFile.pass_over``)."""
    others = [h for h in doc.headlines if h is not session and is_session(h)]
    found = []
    seen = set()
    # (the line's item, then a file type, in any case: a longer needle than "[[" is
    # searched for faster through a big section of items, a "[" on each line)
    for index, line in doc.lines_holding(_EARLIER_ITEM):
        bare = strip_ending(line, doc.newline)
        link = _earlier_link_on(bare)
        if link is None or any(o.line <= index < o.subtree_end for o in others):
            continue
        key = os.path.normpath(link[0])
        if every or key not in seen:
            seen.add(key)
            found.append((index, bare, link))
    return found


def _earlier_link_on(line: str) -> tuple[str, datetime | None, datetime | None, int] | None:
    """:func:`parse_earlier_link` of the item on ``line`` (without its ending), its
    path without a ``::SEARCH`` option, when that path names a rollover's file
    (:func:`is_earlier_name`); else ``None``. :func:`earlier_links`' test of a line."""
    link = parse_earlier_link(line.lstrip(" \t"))
    if link is None:
        return None
    rel = link[0].partition("::")[0]
    return (rel, *link[1:]) if is_earlier_name(os.path.basename(rel)) else None  # type: ignore[return-value]


def earlier_link_paths(path: str, text: str) -> set[str]:
    """Every file the session file ``path``, whose text is ``text``, may link as its
    own earlier-entries file, resolved as :func:`read_earlier` resolves them: those of
    :func:`earlier_links` and maybe more (a link inside another session's subtree
    too), found by searching ``text`` for ``[[file:``, no parse of the file. So a
    reader that needs only whether each is here (``status``) reads the lines of the
    links alone, and parses the file only when one is not."""
    folder = os.path.dirname(os.path.abspath(path))
    found = set()
    at = text.find("[[file:")
    while at >= 0:
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        line = text[text.rfind("\n", 0, at) + 1:end]
        for bare in {line, line.rstrip("\r")}:  # (whatever the file's line ending)
            link = _earlier_link_on(bare)
            if link is not None:
                where = os.path.normpath(os.path.join(folder, link[0]))
                if is_own_earlier(path, where):
                    found.add(where)
        at = text.find("[[file:", end)
    return found


def own_earlier_folder(path: str) -> str:
    """The one folder whose earlier-entries files can be the session file ``path``'s:
    for an archive ``.ai/sessions/NAME.org``, ``.ai/sessions/NAME/``; for a live file,
    its history folder (``.ai/history/session-context/``,
    ``.ai/history/session-context.d/ID/``; ``history/NAME/`` beside any other file), as
    :func:`ai_protocols.session.names.history_folder` names it. The path alone."""
    folder = os.path.dirname(path)
    name = os.path.basename(path)
    stem = name[:-4] if name.endswith(".org") else name
    kind = os.path.basename(os.path.normpath(folder)) if folder else ""
    if kind == "sessions":
        return os.path.join(folder, stem)
    if kind == "session-context.d":
        return os.path.join(os.path.dirname(os.path.normpath(folder)), HISTORY,
                            "session-context.d", stem)
    return os.path.join(folder, HISTORY, stem)


def is_own_earlier(path: str, earlier: str) -> bool:
    """Whether ``earlier`` (a path, resolved) lies right in :func:`own_earlier_folder` of
    the session file ``path``: the only earlier-entries files that are the session's.
    A link to any other (another session's archived or live earlier file) is a
    person's: never listed, read by ``show --all``, moved or removed (docs/decisions.md,
    "Issue 16, eighth review (which earlier files are the session's)")."""
    return os.path.normpath(os.path.dirname(os.path.abspath(earlier))) == \
        os.path.normpath(own_earlier_folder(os.path.abspath(path)))


def read_earlier(doc: OrgFile, session: Headline, path: str) -> list[EarlierEntries]:
    """The files the session's earlier-entries links name (:func:`earlier_links`, the
    one rule), each once, oldest first: ``PATH`` resolved against the folder of
    ``path``, the live file's (one file linked by a relative and an absolute path is
    one file), and only those in the session's own folder (:func:`is_own_earlier`).
    The range is the file name's (``FIRST--LAST``, what the rollover moved;
    a person may tidy the link's description or reorder the lines), the order by it
    (then by file order); the count the file's drawer's ``ENTRIES`` (its first 4 KiB
    read), not the link's description, which a person may edit (docs/decisions.md,
    "Issue 16, eleventh round"); only when the file is not here (a clone that lacks
    it), the description's count as :func:`earlier_link_line` wrote it (the caller may
    prefer the file's kept copy's drawer), else ``None`` (unknown). Other lines (a
    person's) are passed over."""
    found: dict[str, EarlierEntries] = {}
    folder = os.path.dirname(os.path.abspath(path))
    for _index, _line, (rel, first, last, described) in earlier_links(doc, session):
        where = os.path.normpath(os.path.join(folder, rel))
        if where in found or not is_own_earlier(path, where):
            continue
        named = _name_range(os.path.basename(where))
        if named is not None:
            first, last = named
        count = drawer_count(where)
        found[where] = EarlierEntries(where, first, last,
                                      (described or None) if count is None else count)
    order = list(found.values())
    order.sort(key=lambda e: (e.first is None, e.first or _NO_TIME, e.last or _NO_TIME))
    return order


_NO_TIME = datetime(1, 1, 1)


def _name_range(name: str) -> tuple[datetime | None, datetime | None] | None:
    """The ``FIRST`` and ``LAST`` minutes of an earlier file's name
    (``2026-11-01T00-00--2026-11-10T05-04-HASH8.org``, ``undated`` for none), or
    ``None`` for a name not shaped so."""
    one, sep, two = name[:-13].partition("--")
    if not sep:
        return None
    times = []
    for part in (one, two):
        if part == "undated":
            times.append(None)
            continue
        moment = _minute_of(part.replace("T", " ", 1)[:13] + ":" + part[14:]) \
            if len(part) == 16 and part[13] == "-" else None
        if moment is None:
            return None
        times.append(moment)
    return times[0], times[1]


def drawer_count(path: str) -> int | None:
    """The ``:ENTRIES:`` property in the first 4 KiB of the earlier file ``path`` (its
    drawer, :func:`ai_protocols.session.rollover._head`); ``None`` when it cannot be
    read (a clone that lacks the file) or has none: the count is then unknown, never
    taken for 0. Never follows a symbolic link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        head = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    at = head.find(b"\n:ENTRIES:")
    if at == -1:
        return None
    value = head[at + 11:].split(b"\n", 1)[0].strip().decode("ascii", "replace")
    return _count(value)


def org_link_escape(path: str) -> str:
    """``path`` as an Org bracket link holds it (Org 9.3+'s ``org-link-escape``): a
    backslash before each ``[`` and ``]``, and the backslashes right before one of
    them, or at the end, doubled."""
    out = []
    run = 0
    for char in path:
        if char == "\\":
            run += 1
            continue
        if char in "[]":
            out.append("\\" * (2 * run) + "\\" + char)
        else:
            out.append("\\" * run + char)
        run = 0
    out.append("\\" * (2 * run))
    return "".join(out)


def _moved_path(where: str, old_folder: str, new_folder: str,
                existing_only: bool, renamed: dict[str, str] | None = None) -> str | None:
    """The relative path ``where`` (from ``old_folder``) as it names the same file from
    ``new_folder`` (a final ``/`` kept, and given to a path that would end in ``:``);
    ``None`` when it is to stay as it is: empty,
    absolute (``/``, ``~``), or (``existing_only``) naming nothing that exists.
    ``renamed`` (absolute old path: absolute new path): files moving too, whose new
    place a link to them then names."""
    if not where or where.startswith(("/", "~")):
        return None
    named = os.path.join(os.path.abspath(old_folder or "."), where)
    if renamed:
        named = renamed.get(os.path.normpath(named), named)
    if existing_only and not os.path.lexists(named) and not (
            renamed and named in renamed.values()):
        return None
    moved = os.path.relpath(named, os.path.abspath(new_folder or "."))
    if (where.endswith("/") or (moved.endswith(":") and not where.endswith(":"))) and \
            not moved.endswith("/"):
        # (a final ``:`` only where the path went on through that folder, ``:/.``: kept
        # as ``:/``, since Org reads ``PATH:::SEARCH`` as ``PATH`` and ``:SEARCH``, the
        # first ``::`` beginning the search option)
        moved += "/"
    return moved


def moved_link_line(line: str, old_folder: str, new_folder: str,
                    existing_only: bool = False, renamed: dict[str, str] | None = None,
                    inert: Iterable[tuple[int, int]] = (), marks: str = "",
                    opened: tuple[int, int] | None = None,
                    org: set[tuple[int, int, str]] | None = None) -> str:
    """``line`` with each relative file link in it naming, from ``new_folder``, the file
    it named from ``old_folder``: a file moving there keeps its links (Org's links,
    https://orgmode.org/manual/External-Links.html and "Link Format", as Org 9.5's
    ``org-element-link-parser`` reads them). Bracket links (``[[file:PATH]]``,
    ``[[file+sys:PATH]]``, ``[[file+emacs:PATH]]``, ``[[./PATH]]``, ``[[../PATH]]``, with
    or without a description or a ``::SEARCH``), and outside them angle links
    (``<file:PATH>``, on one line) and plain links (``file:PATH``: Org's
    ``org-link-plain-re``, :func:`_plain_links`). Only each link's path changes (in a
    bracket link escaped as :func:`org_link_escape` writes it; a link's span and its
    type's case as Org reads them, :func:`~ai_protocols.org.syntax.bracket_links`,
    :func:`~ai_protocols.org.syntax.file_scheme`); an absolute path (``/``,
    ``~``), any other link, a link in a bracket link's description (no link there for
    Org) and a plain link this reading is not sure Org sees as this very text stay as
    they are; with ``existing_only``, so does a link naming nothing that exists (no
    meaning to keep: its bytes, as typed, are kept instead). ``renamed``: files moving
    too (:func:`_moved_path`), a link to one, its ``::SEARCH`` kept, naming its new
    place. ``inert``: ``(open, close)`` columns of verbatim or code markup
    (:func:`_markup_spans`): a link beginning after ``open`` and up to ``close`` is no
    link for Org, and keeps its bytes. ``marks``: the emphasis marks that may open
    markup in the line's paragraph (:func:`_openers`): a new path that would add a
    place where one of them may open or close (``../`` made ``../../``: a ``/`` before
    a ``.``) could change where Org's markup ends, and so the link (Org reads markup
    before the links in it): that link keeps its bytes. ``opened``: ``(begin, close)``
    of a bracket link that begins in the line and goes on past its end (its
    description across lines: Org reads it in the paragraph, :func:`_crossing_links`),
    its target ``line[begin + 2:close]``, rewritten as any; the rest of the line is
    its description. ``org``: the links Org 9.5 and 9.7 both read (:func:`org_links`),
    in the line's columns (one may end past the line's end), by default the line's own:
    a link is rewritten only where it is one of them (a ``[[../a.org]]`` in an angle
    link's path, ``<file:x [[../a.org]]>``, is that link's text; where the versions
    differ, ``File:x<file:][[[../a.org]]>``, no link), its span as both read it."""
    inert = list(inert)
    out = []
    at = 0
    if org is None:
        org = org_links(line)
    links = [link for link in bracket_links(line)  # (Org's spans: the one rule)
             if (link[0], link[2], "bracket") in org]
    if opened is not None and any(begin == opened[0] and kind == "bracket"
                                  for begin, _, kind in org):
        links.append((opened[0], opened[1], len(line)))
    for start, end, after in links:
        out.append(_moved_unbracketed(line, at, start, old_folder, new_folder,
                                      existing_only, renamed, inert, marks, org))
        target = org_link_unescape(line[start + 2:end])
        scheme = file_scheme(target)
        rest = target[len(scheme):]
        bare = not scheme and (rest.startswith("./") or rest.startswith("../"))
        where, sep, search = rest.partition("::")
        moved = _moved_path(where, old_folder, new_folder, existing_only, renamed) \
            if (scheme or bare) and not _inert_at(inert, start) else None
        if moved is not None and bare and not moved.startswith("../"):
            moved = "./" + moved
        new_text = org_link_escape(scheme + moved + sep + search) \
            if moved is not None and moved != where else line[start + 2:end]
        if marks and _adds_boundary(line[start + 2:end], new_text, marks):
            new_text = line[start + 2:end]
        out.append(line[start:start + 2])
        out.append(new_text)
        out.append(line[end:after])  # (a description as it is: no link in it for Org)
        at = after
    out.append(_moved_unbracketed(line, at, len(line), old_folder, new_folder,
                                  existing_only, renamed, inert, marks, org))
    return "".join(out)


def org_links(text: str) -> set[tuple[int, int, str]]:
    """The links Org 9.5 and 9.7 both read in ``text`` (a paragraph, or one line of it),
    each ``(begin, end, kind)`` (``kind``: ``"bracket"``, ``"angle"`` or ``"plain"``;
    ``text[begin:end]`` the link less its trailing blanks): :func:`_lexed` for each
    version, the links both give alike. Where the versions differ, the stricter
    reading wins: a link only one of them reads is no link here (its bytes kept)."""
    return set(_lexed(text, 0)) & set(_lexed(text, 1))


def _lexed(text: str, version: int) -> list[tuple[int, int, str]]:
    """The links Org's object lexer reads in ``text``, in order, as Org 9.5
    (``version`` 0) or 9.7 (1) reads them: ``org-element--object-lex`` (the same in
    both) searches for the earliest place an object may begin (``[[``, ``<TYPE:``, a
    ``TYPE:`` at a word's start, ...), tries that place's parser
    (``org-element-link-parser``: ``org-link-bracket-re``, then ``org-link-plain-re``,
    then ``org-link-angle-re``) and, when it reads an object there, goes on after its
    end; else from the next character. So the link that begins first wins, and any
    link-like text inside it (a ``[[../a.org]]`` in ``<file:x [[../a.org]]>``'s path,
    a ``<file:a.org>`` in a bracket link's target) is part of it, no link. The
    versions differ in the plain link alone: 9.7's path takes bracketed text
    (``File:x<file:]``, ``file:d[[x.org]]``). Any ``TYPE:`` counts, a superset of Org's
    link types (``org-link-types``: a person's Emacs may have more), and a word starts
    after any character but a letter, a digit or ``'`` (word characters of Org's
    syntax table). A target (``<<x>>``) is read as the lexer reads it, no link.
    Other objects (markup, footnotes...) are the callers' (:func:`_markup_spans`)."""
    import re  # (only at a move)

    if not _ANY_PLAIN:
        part = r"[^\[\] \t\n()<>]"
        paren = rf"\((?:{part}|\({part}*\))*\)"
        group = rf"[(<\[](?:{part}|[(<\[]{part}*[\])>])*[\])>]"
        plain = r"[A-Za-z][A-Za-z0-9+._-]*:(?:{0}|{1})+(?:[^\W_]|/|{1})"
        _ANY_PLAIN.extend((re.compile(plain.format(part, paren)),
                           re.compile(plain.format(part, group)),
                           re.compile(_ANGLE),
                           re.compile(_TARGET),
                           re.compile(r"\[\[|<|(?<![^\W_])(?<!')[A-Za-z]")))
    plain, angle, target, candidate = _ANY_PLAIN[version], *_ANY_PLAIN[2:]  # type: ignore[misc]
    found: list[tuple[int, int, str]] = []
    at = 0
    while True:
        hit = candidate.search(text, at)  # type: ignore[attr-defined]
        if hit is None:
            return found
        at = hit.start()
        if text.startswith("[[", at):
            span = bracket_link(text, at)
            if span is not None:
                found.append((at, span[1], "bracket"))
                at = span[1]
                continue
        elif text[at] == "<":
            read = target.match(text, at) if text.startswith("<<", at) else \
                angle.match(text, at)  # type: ignore[attr-defined]
            if read is not None:
                if not text.startswith("<<", at):
                    found.append((at, read.end(), "angle"))
                at = read.end()
                continue
        else:
            read = plain.match(text, at)  # type: ignore[attr-defined]
            if read is not None:
                found.append((at, read.end(), "plain"))
                at = read.end()
                continue
        at += 1


_ANY_PLAIN: list[object] = []
#: An angle link of any type (Org 9.5 and 9.7's ``org-link-angle-re``, any ``TYPE:``),
#: its path going on across lines whose first non-blank is no ``>``.
_ANGLE = r"<[A-Za-z][A-Za-z0-9+._-]*:[^>\n]*(?:\n[ \t]*[^> \t\n][^>\n]*)*>"
#: A radio target or a target (Org 9.5 and 9.7: ``org-radio-target-regexp``,
#: ``org-target-regexp``, which ``org-element-radio-target-parser`` and
#: ``org-element-target-parser`` look for, in this order, at a ``<<``).
_TARGET = r"<<<(?:{0}|{0}[^<>\n\r]*{0})>>>|<<(?:{0}|{0}[^<>\n\r]*{0})>>".format(r"[^<>\n\r \t]")


def _adds_boundary(old: str, new: str, marks: str) -> bool:
    """Whether ``new`` (a link's new text) holds more places than ``old`` where one of
    ``marks`` may open (after a blank or one of :data:`_MARKUP_PRE`, before a non-blank)
    or close (after a non-blank, before one of :data:`_MARKUP_POST`) emphasis (Org
    9.5's ``org-emphasis-regexp-components``)."""
    def places(text: str, mark: str) -> int:
        count = 0
        for at, char in enumerate(text):
            if char != mark:
                continue
            before, after = text[at - 1:at], text[at + 1:at + 2]
            if (before in _MARKUP_PRE and after and after not in _BLANK) or \
                    (before and before not in _BLANK and after in _MARKUP_POST):
                count += 1
        return count

    return any(places(new, mark) > places(old, mark) for mark in marks)


def _inert_at(inert: list[tuple[int, int]], at: int) -> bool:
    """Whether column ``at`` lies in one of the markup spans ``inert`` (after its
    opening mark, up to its closing one)."""
    return any(open_ < at <= close for open_, close in inert)


#: Where a plain link may begin for this reading: at the start of a line or after one of
#: these (Org asks for the start of a word, ``\\<``, and its object lexer takes some
#: marks, ``_`` and ``^`` say, as the start of other objects: the safe few only).
_BEFORE_PLAIN = frozenset(" \t([{\",;")
_NOT_IN_PLAIN = frozenset("[] \t\n()<>")


def _plain_links(line: str, begin: int, end: int,
                 org: set[tuple[int, int, str]] | None = None) -> list[tuple[int, int]]:
    """Where the paths of the plain file links of ``line[begin:end]`` (outside bracket
    and angle links) are: ``(start, end)`` in ``line``. Org 9.5's ``org-link-plain-re``:
    a ``file``, ``file+sys`` or ``file+emacs`` type at the start of a word, ``:``, then
    characters but brackets, blanks and ``()<>`` (or a balanced ``(...)``), ending in one
    that is not punctuation, or ``/``, or ``(...)``. Only when sure: the character
    before is in :data:`_BEFORE_PLAIN` (or the line begins there), and the path's last
    character and those that could follow it are ASCII (Emacs's ``[:punct:]`` of
    other characters depends on its syntax table); and only a link Org 9.5 and 9.7 both
    read so (``(start, end, "plain")`` in ``org``, :func:`org_links`, by default the
    line's)."""
    import re  # (only at a move)

    if org is None:
        org = org_links(line)

    found = []
    for match in _plain_re(re).finditer(line, begin, end):  # type: ignore[attr-defined]
        start = match.start()
        if start and line[start - 1] not in _BEFORE_PLAIN:
            continue
        stop = match.end()
        run = stop
        while run < end and line[run] not in _NOT_IN_PLAIN:
            run += 1
        if line[stop - 1].isascii() and line[stop:run].isascii() and \
                (start, stop, "plain") in org:
            found.append((match.start(2), stop))
    return found


_PLAIN: list[object] = []


def _plain_re(re: object) -> object:
    """``org-link-plain-re`` for the file types, as Org 9.5 and 9.7 both read a plain
    link here (compiled at its first use): 9.5's expression, a type in any case
    (Org reads a type so: ``FILE:x.org``), which :meth:`_BothPlain.match` and
    ``finditer`` take only where 9.7's reads the very same path (9.7 lets a path hold
    bracketed text, ``file:a[b].org``: that link keeps its bytes) and the type is
    ASCII (:func:`~ai_protocols.org.syntax.file_scheme`)."""
    if not _PLAIN:
        part = r"[^\[\] \t\n()<>]"
        paren = rf"\((?:{part}|\({part}*\))*\)"
        group = rf"[(<\[](?:{part}|[(<\[]{part}*[\])>])*[\])>]"  # (9.7's)
        shape = r"((?i:file\+sys|file\+emacs|file)):((?:{0}|{1})+(?:[A-Za-z0-9]|/|{1}))"
        _PLAIN.append(_BothPlain(re.compile(shape.format(part, paren)),  # type: ignore[attr-defined]
                                 re.compile(shape.format(part, group))))  # type: ignore[attr-defined]
    return _PLAIN[0]


class _BothPlain:
    """A plain file link's expression as Org 9.5 (``old``) and 9.7 (``new``) read it:
    a match of ``old`` is given only where ``new`` matches the same text from there."""

    def __init__(self, old: object, new: object) -> None:
        self.old, self.new = old, new

    def _same(self, found: object) -> bool:
        if found is None or not found.group(1).isascii():  # type: ignore[attr-defined]
            return False
        again = self.new.match(found.string, found.start())  # type: ignore[attr-defined]
        return again is not None and again.end() == found.end()  # type: ignore[attr-defined]

    def finditer(self, text: str, *bounds: int) -> Iterator[object]:
        return (found for found in self.old.finditer(text, *bounds)  # type: ignore[attr-defined]
                if self._same(found))

    def fullmatch(self, text: str) -> object:
        found = self.old.fullmatch(text)  # type: ignore[attr-defined]
        return found if self._same(found) and self.new.fullmatch(text) else None  # type: ignore[attr-defined]


def _moved_unbracketed(line: str, begin: int, end: int, old_folder: str,
                       new_folder: str, existing_only: bool,
                       renamed: dict[str, str] | None = None,
                       inert: list[tuple[int, int]] | None = None, marks: str = "",
                       org: set[tuple[int, int, str]] | None = None) -> str:
    """``line[begin:end]`` (text outside bracket links) with each angle link
    (``<file:PATH>``, on one line) and plain link (:func:`_plain_links`) naming a file
    moved as :func:`moved_link_line` says, each where it is a link in ``org``
    (:func:`org_links`, by default the line's)."""
    if "file" not in line[begin:end].lower():  # (a type in any case: file_scheme)
        return line[begin:end]
    if org is None:
        org = org_links(line)
    paths = []
    at = begin
    while True:
        angle = line.find("<", at, end)
        close = line.find(">", angle, end) if angle != -1 else -1
        if close == -1:
            break
        scheme = file_scheme(line, angle + 1)
        if not scheme or angle + 1 + len(scheme) > close:
            paths += _plain_links(line, at, angle + 1, org)
            at = angle + 1
            continue
        paths += _plain_links(line, at, angle, org)
        if (angle, close + 1, "angle") in org:
            paths.append((angle + 1 + len(scheme), -close))  # (negative: an angle link's)
        at = close + 1
    paths += _plain_links(line, at, end, org)
    out = []
    at = begin
    for start, stop in paths:
        angled, stop = stop < 0, abs(stop)
        if inert and _inert_at(inert, start - 1):  # (its scheme's ":" in markup)
            continue
        where, sep, search = line[start:stop].partition("::")
        moved = _moved_path(where, old_folder, new_folder, existing_only, renamed)
        if moved is None or moved == where or (
                any(c in moved for c in "\n>") if angled else
                _plain_re(None).fullmatch("file:" + moved + sep + search) is None):  # type: ignore[attr-defined]
            continue  # (it would not read back as one path)
        if marks and _adds_boundary(line[start:stop + 1], moved + sep + search +
                                    line[stop:stop + 1], marks):
            continue  # (it could change where the paragraph's markup ends)
        out.append(line[at:start])
        out.append(moved + sep + search)
        at = stop
    out.append(line[at:end])
    return "".join(out)


#: The keywords whose value is a file Org reads relative to the file's folder (Org 9.5:
#: ``org-export-expand-include-keyword``; ``org-collect-keywords`` for SETUPFILE;
#: ``org-cite-list-bibliography-files``, oc.el, for BIBLIOGRAPHY).
_PATH_KEYWORDS = ("#+include:", "#+setupfile:", "#+bibliography:")


def moved_keyword_line(line: str, old_folder: str, new_folder: str,
                       existing_only: bool = False, renamed: dict[str, str] | None = None
                       ) -> str:
    """``line``, when it is an ``#+INCLUDE:``, ``#+SETUPFILE:`` or ``#+BIBLIOGRAPHY:``
    keyword (any case, indented or not) naming a relative file, with that path naming
    from ``new_folder`` the file it named from ``old_folder``; any other line as it is.
    Org 9.5's reading: INCLUDE's file is the value's first word or ``"quoted text"``,
    less a ``::location`` (``org-export-expand-include-keyword``); SETUPFILE's and
    BIBLIOGRAPHY's the whole value, less surrounding double quotes (``org-strip-quotes``;
    ``org-cite-list-bibliography-files``), a URL (``scheme:``) left alone.
    Only the path changes: the quotes, the location and the rest of the line stay. An
    absolute path (``/``, ``~``) stays; with ``existing_only``, so does one naming
    nothing that exists. ``renamed``: as :func:`moved_link_line`'s."""
    body = line.lstrip(" \t")
    key = next((k for k in _PATH_KEYWORDS if body[:len(k)].casefold() == k), None)
    if key is None:
        return line
    import re  # (only at a move)

    indent = len(line) - len(body)
    value_at = indent + len(key)
    while value_at < len(line) and line[value_at] in " \t":
        value_at += 1
    value_end = len(line.rstrip(" \t"))
    value = line[value_at:value_end]
    if key == "#+include:":
        match = re.match(r'("[^"\n]+?"|\S+)(?:\s+|$)', value)
        if match is None:
            return line
        token_end = value_at + match.end(1)
        token = value[:match.end(1)]
    else:
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value.strip('"')):
            return line  # (a URL)
        token_end, token = value_end, value
    quoted = len(token) >= 2 and token.startswith('"') and token.endswith('"')
    inner = token[1:-1] if quoted else token
    location = ""
    if key == "#+include:":
        cut = inner.find("::")
        if cut != -1:
            inner, location = inner[:cut], inner[cut:]
    moved = _moved_path(inner, old_folder, new_folder, existing_only, renamed)
    if moved is None or moved == inner:
        return line
    if not quoted and (any(c.isspace() for c in moved) or moved.startswith('"')):
        return line  # (it would not read back as one path: left as it is)
    new = f'"{moved}{location}"' if quoted else moved + location
    return line[:value_at] + new + line[token_end:]


#: The blocks whose contents Org reads as verbatim text (no link, no keyword in them:
#: "lesser blocks", https://orgmode.org/worg/org-syntax.html, "Blocks"); a verse
#: block's contents are objects (links, but no keyword); any other block (quote,
#: center, a special block such as ``NOTE``) holds elements, links and keywords
#: included.
_VERBATIM_BLOCKS = frozenset(("src", "example", "export", "comment"))


def _no_link_lines(doc: OrgFile) -> tuple[list[tuple[int, int, bool]], set[int]]:
    """Where Org sees no link or no keyword in ``doc``, by Org's blocks (Org 9.5's
    ``org-element--current-element``: ``#+BEGIN_NAME`` up to the first
    ``#+END_NAME`` alone on its line, any case, before the next headline; a begin with
    no such end is no block): the spans ``(begin, end, verse)`` of the verbatim and
    verse blocks, their fences included, in file order (``verse``: links in it, but no
    keyword and no comment or fixed-width line), and the fence lines of every other
    block (its parameters hold no link)."""
    from bisect import bisect_right

    heads = [h.line for h in doc.headlines]
    marks = [(index, strip_ending(line, doc.newline).lstrip(" \t").rstrip(" \t").casefold())
             for index, line in doc.lines_holding("#+")]
    spans: list[tuple[int, int, bool]] = []
    fences: set[int] = set()
    k = 0
    while k < len(marks):
        index, body = marks[k]
        k += 1
        if not body.startswith("#+begin_") or len(body) == 8 or body[8] in " \t":
            continue
        name = body[8:].split(None, 1)[0]
        at = bisect_right(heads, index)
        limit = heads[at] if at < len(heads) else len(doc.lines)
        close = "#+end_" + name
        end = k
        while end < len(marks) and marks[end][0] < limit and marks[end][1] != close:
            end += 1
        if end == len(marks) or marks[end][0] >= limit:
            continue
        if name in _VERBATIM_BLOCKS or name == "verse":
            spans.append((index, marks[end][0], name == "verse"))
            k = end + 1
        else:
            fences.update((index, marks[end][0]))
    fences.update(_latex_environments(doc, heads))
    return spans, fences


def _latex_environments(doc: OrgFile, heads: list[int]) -> set[int]:
    """The lines of ``doc``'s LaTeX environments, where Org sees no link (Org 9.5's
    ``org-element-latex-environment-parser``: a line beginning ``\\begin{NAME}``,
    indented or not, up to the first ``\\end{NAME}`` (any case) that ends a line, blanks
    after it allowed, before the next headline; a begin with no such end is a
    paragraph). Taken wherever they are (in a list item or a block too: a superset, so
    a link they hold keeps its bytes)."""
    from bisect import bisect_right

    found: set[int] = set()
    starts = [(index, line) for index, line in doc.lines_holding("\\begin{")]
    if not starts:
        return found
    import re  # (only at a move)

    begin = re.compile(r"[ \t]*\\begin\{([A-Za-z0-9*]+)\}")
    for index, line in starts:
        if index in found or (opened := begin.match(line)) is None:
            continue
        end = re.compile(r"\\end\{" + re.escape(opened.group(1)) + r"\}[ \t]*$",
                         re.IGNORECASE)
        at = bisect_right(heads, index)
        limit = heads[at] if at < len(heads) else len(doc.lines)
        for last in range(index, limit):
            text = strip_ending(doc.lines[last], doc.newline)
            if end.search(text, opened.end() if last == index else 0):
                found.update(range(index, last + 1))
                break
    return found


def _no_link_line(line: str, in_drawer: bool = True) -> bool:
    """Whether ``line`` (outside a verse block) is a comment (``#`` then a blank or the
    line's end), a fixed-width line (``:`` so), a keyword (``#+`` then a run of
    non-blanks holding a ``:``, Org 9.5's ``org-element--current-element``:
    ``#+TITLE:``, ``#+CAPTION:``...; the path keywords are read apart,
    :func:`moved_keyword_line`; a ``#+BEGIN_NAME`` with no end is a paragraph) or
    a property's line (``:NAME:`` then a blank or the end) where ``in_drawer`` (the line
    is in a headline's property drawer, or before the first headline, where this
    reading does not follow a drawer), indented or not: Org sees no link there (Org
    syntax, "Comments", "Fixed Width Areas", "Keywords", "Property Drawers":
    ``org-element-parse-buffer`` makes no link object of a keyword's or a property's
    value). Elsewhere a ``:NAME: text`` line is a paragraph's, whose links Org 9.5 and
    9.7 both read (a drawer's own ``:NAME:`` and ``:END:`` lines hold no link). A
    superset: a paragraph's line of the other shapes keeps its bytes too."""
    body = line.lstrip(" \t")
    if body[:2] == "#+":  # (a keyword: "#+" then a run of non-blanks holding a ":")
        return ":" in body[2:].split(None, 1)[0] if body[2:3].strip() else False
    if body[:1] == "#":
        return body[1:2] in ("", " ", "\r", "\n")
    if body[:1] != ":":
        return False
    if body[1:2] in ("", " ", "\r", "\n"):
        return True
    if not in_drawer:
        return False
    close = body.find(":", 2)
    return close != -1 and not any(c in " \t" for c in body[1:close]) and \
        body[close + 1:close + 2] in ("", " ", "\t", "\r", "\n")


#: Org's verbatim and code markup (Org 9.5's ``org-emphasis-regexp-components``, Org
#: 9.7's ``org-element--parse-generic-emphasis``): an opening mark follows the line's
#: start or one of these, and a non-blank; a closing one follows a non-blank, and is
#: followed by one of these or the line's end.
_MARKUP_PRE = frozenset(" \t\n-('\"{")
_MARKUP_POST = frozenset(" \t\n-.,:!?;'\")}\\[")
_BLANK = frozenset(" \t\n")


def _markup_spans(text: str) -> list[tuple[int, int]] | None:
    """The spans ``(open, close)`` of ``text`` (one paragraph, or more: its lines joined
    by ``\\n``) that may be verbatim (``=...=``) or code (``~...~``) for Org 9.5 or 9.7,
    where Org sees no link: the union of the readings of each version (9.5: one line
    break at most in the text; 9.7: any), each mark alone or both, objects that are links
    taken first or not (a superset, so that a link this reading rewrites is one Org
    sees; a link in a span it adds keeps its bytes); ``None`` when a character by a mark
    is not plain ASCII (Emacs's ``[:space:]`` of others depends on its syntax table: not
    sure)."""
    if "=" not in text and "~" not in text:
        return []
    import re  # (only at a move)

    for at, char in enumerate(text):
        if char in "=~":
            for near in (text[at - 1:at] if at else "", text[at + 1:at + 2]):
                if near and not (" " <= near <= "~" or near in _BLANK):
                    return None
    links = {start: end for start, _, end in bracket_links(text)}
    for found in _plain_re(re).finditer(text):  # type: ignore[attr-defined]
        links.setdefault(found.start(), found.end())
    at = 0
    while (start := text.find("<", at)) != -1:
        close = text.find(">", start)
        if close != -1 and "\n" not in text[start:close] and file_scheme(text, start + 1):
            links.setdefault(start, close + 1)
        at = start + 1
    closers: dict[str, list[int]] = {"=": [], "~": []}
    for at in range(1, len(text)):  # (a closing mark does not depend on its opening one)
        mark = text[at]
        if mark in closers and text[at - 1] not in _BLANK and (
                at + 1 == len(text) or text[at + 1] in _MARKUP_POST):
            closers[mark].append(at)
    spans: set[tuple[int, int]] = set()
    for skip in (links, {}):
        for marks in ("=~", "=", "~"):
            for breaks in (1, len(text)):
                spans.update(_markup_reading(text, marks, skip, breaks, closers))
    return sorted(spans)


#: What may open an object whose text Org reads raw (no link in it): inline src blocks,
#: LaTeX fragments, export snippets, macros, targets and angle links (their
#: :func:`_raw_spans`).
_RAW_OPENERS = ("src_", "\\", "$", "@@", "{{{", "<")


def _raw_spans(text: str) -> list[tuple[int, int]]:
    """The spans ``(open, close)`` of ``text`` (a paragraph, its lines joined by
    ``\\n``) where Org 9.5 or 9.7 may read an object whose text holds no link (Org
    syntax, "Objects"; Org 9.5's parsers named): an inline src block
    (``src_LANG[...]{...}``, ``org-element-inline-src-block-parser``: to the last ``}``
    after it, its braces being balanced across lines), a LaTeX fragment
    (``org-element-latex-fragment-parser``: ``\\(...\\)``, ``\\[...\\]``,
    ``$...$``, ``$$...$$``, a ``\\command`` with its ``[...]``/``{...}`` arguments), an
    export snippet (``@@BACKEND:...@@``), a macro (``{{{NAME(ARGS)}}}``: to the first
    ``)}}}`` or ``}}}``, whichever is later), a target (``<<...>>``, as :data:`_TARGET`
    reads it: nothing but ``<<`` and ``>>`` in it are ``<`` or ``>``) and an angle link
    of another type, or of any type across lines (``<TYPE:...>``, :data:`_ANGLE`,
    ``org-link-angle-re``: the text in it is the link's path; a ``>`` at the start of a
    line ends none). Each opener to the first closer after it, with
    no regard to what Org checks before or after (a superset: a link in a span Org does
    not make keeps its bytes, and may break at a move, never is it changed into
    something else)."""
    if not any(opener in text for opener in _RAW_OPENERS):
        return []
    import re  # (only at a move)

    spans = []
    for found in re.finditer(r"src_[^ \t\n\[{]+[\[{]", text):
        close = text.rfind("}")
        if close >= found.end() - 1:
            spans.append((found.start(), close))
    pairs = {"(": "\\)", "[": "\\]"}
    for found in re.finditer(r"\\(?:[(\[]|[a-zA-Z]+\*?(?:\[[^\][\n{}]*\]|\{[^{}\n]*\})*)",
                             text):
        at = found.start()
        if text[at + 1] in pairs:
            close = text.find(pairs[text[at + 1]], at + 2)
            if close != -1:
                spans.append((at, close + 1))
        elif found.end() > at + 1:
            spans.append((at, found.end() - 1))
    at = 0
    while (at := text.find("$", at)) != -1:
        double = text.startswith("$$", at)
        close = text.find("$$", at + 2) + 1 if double else text.find("$", at + 1)
        if close > at:
            spans.append((at, close))
        at += 1
    spans += [(found.start(), found.end() - 1) for found in re.finditer(_TARGET, text)]
    for found in re.finditer(r"@@[-A-Za-z0-9]+:", text):
        close = text.find("@@", found.end())
        if close != -1:
            spans.append((found.start(), close + 1))
    for found in re.finditer(_ANGLE, text):
        if "\n" in found.group() or not file_scheme(text, found.start() + 1):
            spans.append((found.start(), found.end() - 1))  # (else rewritten as a link)
    at = 0
    while (at := text.find("{{{", at)) != -1:
        ends = [n for n in (text.find("}}}", at + 3), text.find(")}}}", at + 3) + 1) if n > 0]
        if ends:
            spans.append((at, max(ends) + 2))
        at += 3
    return spans


def _crossing_links(text: str) -> list[tuple[int, int, int]]:
    """The bracket links of ``text`` (a paragraph, its lines joined by ``\\n``) that go
    on across a line break (Org reads a link's target and description across lines:
    ``[[file:a.org][two`` then ``lines]]``): ``(begin, close, end)`` as
    :func:`~ai_protocols.org.syntax.bracket_links` gives them. Read line by line, no
    part of one is a link: its description keeps its bytes (:func:`_inert_columns`), its
    target is rewritten when it is on one line (``opened``, :func:`moved_link_line`),
    else it keeps its bytes too."""
    if "\n" not in text:
        return []
    return [(start, close, end) for start, close, end in bracket_links(text)
            if "\n" in text[start:end]]


def _markup_reading(text: str, marks: str, links: dict[int, int], breaks: int,
                    closers: dict[str, list[int]]) -> list[tuple[int, int]]:
    """One reading of :func:`_markup_spans`: ``text`` read from its start, a link of
    ``links`` (start: end) passed over whole, each opening mark of ``marks`` closed by
    the first closing mark of its kind after it (``closers``, in order), with at most
    ``breaks`` line breaks between them, the reading going on after it."""
    from bisect import bisect_left

    spans = []
    at = 0
    size = len(text)
    ends = [n for n, char in enumerate(text) if char == "\n"] if breaks < size else []
    while at < size:
        if at in links:
            at = links[at]
            continue
        mark = text[at]
        if mark in marks and (at == 0 or text[at - 1] in _MARKUP_PRE) and \
                at + 1 < size and text[at + 1] not in _BLANK:
            found = closers[mark]
            k = bisect_left(found, at + 2)
            close = found[k] if k < len(found) else size
            if close < size and (breaks >= size or bisect_left(ends, close) -
                                 bisect_left(ends, at) <= breaks):
                spans.append((at, close))
                at = close + 1
                continue
        at += 1
    return spans


def _line_kind(line: str) -> str:
    """How a line bounds a paragraph for :func:`_markup_spans`: ``blank``; ``alone`` (a
    headline, a table row, a comment or fixed-width line: no paragraph goes on across
    it); ``item`` (a list item's first line: a paragraph begins in it); else ``text``
    (Org 9.5's ``org-element-paragraph-separate``, its sure cases only: a line it may
    pass over stays in the paragraph, which then is wider, never narrower)."""
    body = line.lstrip(" \t")
    if not body.strip():
        return "blank"
    if line.startswith("*"):
        stars = len(line) - len(line.lstrip("*"))
        if line[stars:stars + 1] == " ":
            return "alone"
    if body[0] == "|" or (body[0] in "#:" and body[1:2] in ("", " ")):
        return "alone"
    bullet = body[0] in "-+*" and line[0] != "*"
    if not bullet:
        digits = len(body) - len(body.lstrip("0123456789"))
        bullet = digits > 0 and body[digits:digits + 1] in (".", ")")
        body = body[digits:] if bullet else body
    return "item" if bullet and body[1:2] in ("", " ", "\t") else "text"


def _paragraph(doc: OrgFile, index: int, out: Callable[[int], bool]) -> tuple[int, int]:
    """The lines ``(first, last)`` of the paragraph of line ``index`` as
    :func:`_line_kind` bounds it, not across a line ``out`` says is in a block Org reads
    as verbatim."""
    def kind(at: int) -> str:
        return "alone" if out(at) else _line_kind(strip_ending(doc.lines[at], doc.newline))

    own = kind(index)
    if own == "alone":
        return index, index
    first = index
    high = len(doc.lines)
    while own != "item" and first > 0:
        above = kind(first - 1)
        if above in ("blank", "alone"):
            break
        first -= 1
        if above == "item":
            break
    last = index
    while last + 1 < high and kind(last + 1) == "text":
        last += 1
    return first, last


def _inert_columns(doc: OrgFile, index: int, verse: tuple[int, int] | None,
                   out: Callable[[int], bool],
                   cache: dict[tuple[int, int], list[tuple[int, int]] | None]
                   ) -> list[tuple[int, int]] | None:
    """The spans of line ``index`` where its paragraph's verbatim or code markup may
    hide a link from Org (:func:`_markup_spans`), as columns of the line (``open`` may
    be before it, ``close`` after); ``None`` when not sure. ``verse``: the first and
    last lines of the verse block's contents the line is in (one container for Org).
    ``cache``: each paragraph's spans, by its lines, for the next line of it."""
    first, last = verse if verse is not None else _paragraph(doc, index, out)
    lines = [strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1)]
    if not any(mark in line for line in lines for mark in ("=", "~", "[[", *_RAW_OPENERS)):
        return []
    if (first, last) not in cache:
        text = "\n".join(lines)
        markup = _markup_spans(text)
        cache[first, last] = None if markup is None else markup + _raw_spans(text) + [
            (start if "\n" in text[start:close] else close, end - 1)
            for start, close, end in _crossing_links(text)]
    spans = cache[first, last]
    if spans is None:
        return None
    offset = sum(len(line) + 1 for line in lines[:index - first])
    size = len(lines[index - first])
    return [(o - offset, c - offset) for o, c in spans if c >= offset and o <= offset + size]


#: The emphasis marks (Org syntax, "Emphasis Markers"): bold, italic, underline,
#: strike-through, verbatim, code.
_EMPHASIS = "*/_+=~"


def _openers(text: str) -> str:
    """The emphasis marks of :data:`_EMPHASIS` that may open markup somewhere in
    ``text`` (a paragraph, its lines joined by ``\\n``): after its start, a blank or one
    of :data:`_MARKUP_PRE`, before a non-blank."""
    found = ""
    for at, char in enumerate(text):
        if char in _EMPHASIS and char not in found and \
                (at == 0 or text[at - 1] in _MARKUP_PRE) and \
                at + 1 < len(text) and text[at + 1] not in _BLANK:
            found += char
    return found


#: ``file`` in each case a link's type may be typed in (Org reads it in any case:
#: :func:`~ai_protocols.org.syntax.file_scheme`), for :meth:`OrgFile.lines_holding`.
_CASES = tuple("".join(letters) for letters in
               product("fF", "iI", "lL", "eE"))


def move_links(doc: OrgFile, old_folder: str, new_folder: str, skip: set[int],
               renamed: dict[str, str] | None = None) -> None:
    """:func:`moved_link_line` on each line of ``doc`` holding a link (``[[``, ``file``)
    and :func:`moved_keyword_line` on each ``#+INCLUDE:``/``#+SETUPFILE:`` line, for a
    file moving from ``old_folder`` to ``new_folder`` (an archive, an adoption): a
    person's relative links and included files that exist stay right; a link to nothing
    keeps its bytes (``existing_only``). ``renamed``: the files moving too (absolute old
    path: absolute new path; the session's own earlier files): a link to one names its
    new place. Passed over: the lines in ``skip`` (rewritten already) and those where Org
    sees no link (:func:`_no_link_lines`, :func:`_no_link_line`: a verbatim block, src,
    example, export or comment, with its fences, and a comment or fixed-width line;
    a verse block holds links but no keyword; a quote, center or special block holds
    both, Org syntax, "Blocks"). Surgical: only a changed line is set."""
    from bisect import bisect_right

    spans, fences = _no_link_lines(doc)
    starts = [span[0] for span in spans]

    def out(at: int) -> bool:  # (in a verbatim block, or a block's fence)
        k = bisect_right(starts, at) - 1
        return at in fences or (k >= 0 and at <= spans[k][1] and (
            not spans[k][2] or at in (spans[k][0], spans[k][1])))

    keywords = {index for index, line in doc.lines_holding("#+")
                if line.lstrip(" \t")[:15].casefold().startswith(_PATH_KEYWORDS)}
    heads = doc.headlines  # (a property drawer's lines; all before the first headline)
    drawers = None if not heads else set(range(heads[0].line)).union(*(
        range(h.drawer[0], h.drawer[1] + 1) for h in heads if h.drawer is not None))
    lines = sorted({index for index, _ in doc.lines_holding("[[")} |
                   {index for case in _CASES for index, _ in doc.lines_holding(case)} |
                   keywords)
    changes = []
    cache: dict[tuple[int, int], list[tuple[int, int]] | None] = {}
    openers: dict[tuple[int, int], str] = {}
    crossing: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    read: dict[tuple[int, int], set[tuple[int, int, str]]] = {}
    for index in lines:
        at = bisect_right(starts, index) - 1
        inside = at >= 0 and index <= spans[at][1]
        verse = inside and spans[at][2]
        if index in skip or index in fences or (inside and (
                not verse or index in (spans[at][0], spans[at][1]))):
            continue
        bare = strip_ending(doc.lines[index], doc.newline).lstrip("\ufeff")
        if index in keywords and not verse:
            moved = moved_keyword_line(bare, old_folder, new_folder, existing_only=True,
                                       renamed=renamed)
        elif not verse and _no_link_line(bare, drawers is None or index in drawers):
            continue
        else:
            bounds = (spans[at][0] + 1, spans[at][1] - 1) if verse else None
            inert = _inert_columns(doc, index, bounds, out, cache)
            if inert is None:
                continue  # (markup by it this reading is not sure of: its bytes kept)
            first, last = bounds if bounds is not None else _paragraph(doc, index, out)
            if (first, last) not in openers:
                whole = "\n".join(
                    strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1))
                openers[first, last] = _openers(whole)
                read[first, last] = org_links(whole)
            offset = sum(len(strip_ending(doc.lines[n], doc.newline)) + 1
                         for n in range(first, index)) + \
                len(strip_ending(doc.lines[index], doc.newline)) - len(bare)  # (a BOM)
            moved = moved_link_line(bare, old_folder, new_folder, existing_only=True,
                                    renamed=renamed, inert=inert,
                                    marks=openers[first, last],
                                    opened=_opened(doc, index, (first, last), crossing),
                                    org={(begin - offset, end - offset, kind)
                                         for begin, end, kind in read[first, last]
                                         if offset <= begin <= offset + len(bare)})
        if moved != bare:
            changes.append((index, moved))
    for index, moved in changes:
        doc.set_line(index, moved)


def _opened(doc: OrgFile, index: int, paragraph: tuple[int, int],
            cache: dict[tuple[int, int], list[tuple[int, int, int]]]) -> tuple[int, int] | None:
    """The bracket link that begins on line ``index`` of ``doc``, its target on that
    line, and goes on past its end (:func:`_crossing_links` of its ``paragraph``, its
    first and last lines): ``(begin, close)`` in the line, for :func:`moved_link_line`;
    else ``None``. ``cache``: each paragraph's crossing links."""
    first, last = paragraph
    if paragraph not in cache:
        text = "\n".join(strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1))
        cache[paragraph] = _crossing_links(text) if "[[" in text else []
    if not cache[paragraph]:
        return None
    offset = sum(len(strip_ending(doc.lines[n], doc.newline)) + 1 for n in range(first, index))
    size = len(strip_ending(doc.lines[index], doc.newline))
    for start, close, end in cache[paragraph]:
        if offset <= start and close <= offset + size < end:
            return start - offset, close - offset
    return None


def org_link_unescape(text: str) -> str:
    """:func:`org_link_escape` undone (Org's ``org-link-unescape``)."""
    out = []
    run = 0
    for char in text:
        if char == "\\":
            run += 1
            continue
        if char in "[]":
            out.append("\\" * (run // 2) + char)
        else:
            out.append("\\" * run + char)
        run = 0
    out.append("\\" * (run // 2))
    return "".join(out)


def _minute_text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def earlier_link_line(rel: str, first: datetime | None, last: datetime | None,
                      count: int) -> str:
    """The ``Earlier entries`` item naming one file: ``- [[file:REL][earlier
    entries]] from 2026-11-30 09:05 to 2026-11-30 12:40, 1234 entries`` (an Org file
    link, relative to the live file; the times as plain text, which no agenda reads)."""
    return (f"- [[file:{org_link_escape(rel)}][earlier entries]] from "
            f"{_minute_text(first)} to {_minute_text(last)}, "
            f"{counted(count, 'entry', 'entries')}")


def parse_earlier_link(line: str) -> tuple[str, datetime | None, datetime | None, int] | None:
    """What :func:`earlier_link_line` wrote: the link's path, the two times and the
    count; ``None`` for a line that is no such link (the times and count ``None``
    and 0 when the rest of the line was changed). The link as Org reads it
    (:func:`_earlier_span`): its type in any case, its span to the first ``]]``."""
    span = _earlier_span(line)
    if span is None:
        return None
    close, end = span
    rel = org_link_unescape(line[9:close])
    rest = line[end:]
    first = last = None
    count = 0
    if rest.startswith(" from ") and " to " in rest:
        span, _, tail = rest[6:].partition(", ")
        one, _, two = span.partition(" to ")
        first, last = _minute_of(one), _minute_of(two)
        number = tail.partition(" ")[0]
        count = _count(number)
    return rel, first, last, count


#: How an earlier-entries link's line begins, after its indentation (:func:`_earlier_span`);
#: :func:`earlier_links` searches the file for it.
_EARLIER_ITEM = "- [["


def _earlier_span(line: str) -> tuple[int, int] | None:
    """Where the link of a line shaped as :func:`earlier_link_line` writes one ends:
    ``(close, end)``, its path being ``line[9:close]`` (escaped), the link ending
    before ``end``; ``None`` for any other line. Org's reading
    (:func:`~ai_protocols.org.syntax.bracket_link`; the type ``file:`` in any case,
    :func:`~ai_protocols.org.syntax.file_scheme`: Org 9.5 and 9.7 read ``[[FILE:x]]``
    as a file link), with a description, as the tool writes it."""
    if not line.startswith(_EARLIER_ITEM) or len(file_scheme(line, 4)) != 5:
        return None
    span = bracket_link(line, 2)
    if span is None or span[1] == span[0] + 2:  # (none, or no description)
        return None
    return span


def with_earlier_path(line: str, path: str) -> str | None:
    """``line`` (shaped as :func:`earlier_link_line` writes one, at its start: see
    :func:`parse_earlier_link`) with its link naming ``path`` (escaped as
    :func:`org_link_escape` writes it): its type as typed, its description and the
    rest of the line kept; ``None`` for any other line."""
    span = _earlier_span(line)
    return None if span is None else line[:9] + org_link_escape(path) + line[span[0]:]


def _minute_of(text: str) -> datetime | None:
    """``YYYY-MM-DD HH:MM`` (ASCII digits) read back; ``None`` for anything else
    (no ``strptime``: it imports ``re`` and ``locale``)."""
    if len(text) != 16 or text[4] != "-" or text[7] != "-" or text[10] != " " or \
            text[13] != ":":
        return None
    parts = (text[:4], text[5:7], text[8:10], text[11:13], text[14:])
    if not all(digits(p) for p in parts):
        return None
    try:
        return datetime(*map(int, parts))
    except ValueError:
        return None


def read_session_head(path: str, text: str, plain: list[HeadParts] | None = None) -> Session:
    """What ``status`` needs of a session-context file: :func:`read_session`'s session
    less its entries and Log (the session headline's properties and the summary).
    Parses only the file's head, the session headline and the section after it, when
    that section is the summary (by its CUSTOM_ID, as the tool writes it); otherwise
    the whole file, as :func:`read_session` does. ``plain``: extended with the head's
    parts (:data:`HeadParts`) when it was read as the tool writes it
    (:func:`_plain_head`), from which :func:`head_session` makes the same session
    again (what the record of other agents' heads keeps: ``session.heads``)."""
    parts = _plain_parts(text)
    if parts is None:
        return _general_head(path, text)
    if plain is not None:
        plain.append(parts)
    return head_session(path, *parts)


#: A head read as the tool writes it: the session headline's properties, their escapes
#: undone, and the summary's text (``None``: no summary text).
HeadParts = tuple[dict[str, str], "str | None"]


def head_session(path: str, properties: dict[str, str], summary: str | None) -> Session:
    """The session of ``path`` whose head's parts (:data:`HeadParts`) are ``properties``
    and ``summary``, as :func:`read_session_head` reads it."""
    session = _session_from(path, properties)
    session.summary = summary
    return session


def _general_head(path: str, text: str) -> Session:
    """:func:`read_session_head` of any file: its head parsed as an :class:`OrgFile`."""
    doc = OrgFile(_head_text(text, 3))
    headline = session_headline(doc)
    summary = find_section(doc, headline, "summary") if headline is not None else None
    if headline is None or summary is None or \
            summary.properties.get("CUSTOM_ID") != "summary" or \
            not headline.line < summary.line < headline.subtree_end:
        session = read_session(path, text)
        session.entries, session.log = {}, []
        return session
    session = _session_of(path, headline)
    start, end, summary_text = _summary_span(doc, summary)  # type: ignore[misc]
    session.summary = summary_text if end > start else None
    return session


def _plain_head(path: str, text: str) -> Session | None:
    """:func:`read_session_head` of a file whose head is as the tool writes it, read with
    ``str`` methods: the first headline is the session headline, its property drawer
    plain (:func:`~ai_protocols.org.file.plain_drawer`), and the next headline, one level
    deeper, has a plain drawer with the summary's CUSTOM_ID; only a summary with text is
    parsed, as a one-headline :class:`OrgFile`. ``None`` for any other head, and for a
    file with a carriage return (``tests/test_scan_fifteenth.py`` holds it to the
    general reader)."""
    parts = _plain_parts(text)
    return None if parts is None else head_session(path, *parts)


def _plain_parts(text: str) -> HeadParts | None:
    """The parts of the head :func:`_plain_head` reads (``None`` where it reads none)."""
    start = first_headline_start(text) if "\r" not in text else None
    drawer = plain_drawer(text, start) if start is not None else None
    if drawer is None or "STATUS" not in drawer[0] or "STARTED" not in drawer[0]:
        return None
    section = next_headline_start(text, drawer[1] - 1)
    body = plain_drawer(text, section) if section is not None else None
    if section is None or body is None or body[0].get("CUSTOM_ID") != "summary" or \
            _level(text, section) <= _level(text, start):
        return None
    end = next_headline_start(text, body[1] - 1)
    summary = None
    if text[body[1]:end].strip():  # (text, a drawer, a block...: Org's reading of it)
        lines = _split(text[body[1]:end])
        first, last, found = _summary_in(lines, 0, len(lines), "\n")
        summary = found if last > first else None
    return _unescaped(drawer[0]), summary


def _level(text: str, at: int) -> int:
    """The level of the headline at ``text[at]``: how many stars it starts with (after
    the byte-order marks that may start a file)."""
    while text.startswith("\ufeff", at):
        at += 1
    end = at
    while text.startswith("*", end):
        end += 1
    return end - at


def _head_text(text: str, headlines: int) -> str:
    """``text`` up to the start of its ``headlines``-th headline after the first line
    (a line of ``*`` then a space), or all of it when it has fewer."""
    at = -1
    while True:
        at = text.find("\n*", at + 1)
        if at < 0:
            return text
        stars = at + 1
        while stars < len(text) and text[stars] == "*":
            stars += 1
        if stars < len(text) and text[stars] == " ":
            headlines -= 1
            if headlines <= 0:
                return text[: at + 1]


def _session_of(path: str, headline: Headline) -> Session:
    """The session its headline's properties describe, without entries."""
    return _session_from(path, _properties(headline))


def _session_from(path: str, props: dict[str, str]) -> Session:
    """The session its headline's properties (their escapes undone) describe, without
    entries. A time or count not there is not parsed (``None``, ``0``: what
    :func:`~ai_protocols.org.syntax.parse_timestamp` and :func:`_count` give for ``""``):
    beside 1,000 other agents' files the heads of 68 of them, and every one of
    ``status``'s, are made here (issue 16, twenty-fourth round)."""
    get = props.get
    return Session(
        path=path,
        agent_id=get("AGENT_ID") or None,
        title=get(TITLE_PROPERTY, get("TITLE")),
        host=get("HOST"),
        status=get("STATUS"),
        started=parse_timestamp(v) if (v := get("STARTED")) else None,
        updated=parse_timestamp(v) if (v := get("UPDATED")) else None,
        updated_at=get("UPDATED_AT"),
        ended=parse_timestamp(v) if (v := get("ENDED")) else None,
        description=get("DESCRIPTION"),
        owner=get("OWNER"),
        exit=get("EXIT"),
        exited=parse_timestamp(v) if (v := get("EXITED")) else None,
        exit_by=get("EXIT_BY"),
        adopted_from=get("ADOPTED_FROM"),
        agent_session=get("AGENT_SESSION"),
        agent_source=get("AGENT_SOURCE"),
        transcript=get("TRANSCRIPT"),
        compactions=_count(v) if (v := get("COMPACTIONS")) else 0,
        compacted=parse_timestamp(v) if (v := get("COMPACTED")) else None,
        git_branch=get("GIT_BRANCH"),
        git_commit=get("GIT_COMMIT"),
        checkpoint=get("CHECKPOINT"),
        checkpoint_commit=get("CHECKPOINT_COMMIT"),
        checkpoint_base=get("CHECKPOINT_BASE"),
        checkpoint_files=_count(v) if (v := get("CHECKPOINT_FILES")) else 0,
        context_shown=get("CONTEXT_SHOWN"),
        task=get("TASK") or None,
        objective=get("OBJECTIVE"),
        paused=parse_timestamp(v) if (v := get("PAUSED")) else None,
        pause_note=get("PAUSE_NOTE"),
    )


def _current(doc: OrgFile, session: Headline, progress: list[Entry]) -> Entry | None:
    """The step in progress: the last open item of ``progress`` (the Progress section's)
    whose checkbox is :data:`CURRENT_BOX`. Each ``[-]`` of the section's text is placed
    by its line and column (``str`` searches in its window), so that no line of a big
    section is split (issue 16, fourteenth round: a split of 2 MiB of closed items
    cost more than the brief read)."""
    if not any(e.done is False for e in progress):  # ([-] is not done)
        return None
    section = find_section(doc, session, "progress")
    if section is None or section.body_start >= section.body_end:
        return None
    base, lo, hi = doc.window(section.body_start, section.body_end)
    marks: set[tuple[int, int]] = set()
    line, counted = section.body_start, lo
    found = base.find(CURRENT_BOX, lo, hi)
    while found >= 0:
        line += base.count("\n", counted, found)
        counted = found
        marks.add((line, found - (base.rfind("\n", lo, found) + 1 or lo)))
        found = base.find(CURRENT_BOX, found + 1, hi)
    return next((e for e in reversed(progress) if e.done is False and
                 (e.line, e.box) in marks), None) if marks else None


def _is_current(doc: OrgFile, entry: Entry) -> bool:
    """Whether ``entry``'s checkbox is :data:`CURRENT_BOX`."""
    return entry.box is not None and \
        doc.lines[entry.line][entry.box:entry.box + 3] == CURRENT_BOX


class Repeats:
    """The texts of an older file's Log lines of one kind and minute, in order. Taking
    one out does what ``texts.remove(text if text in texts else texts[0])`` does on the
    list, without scanning it: a big file's Log may repeat thousands of entries of one
    minute (``tests/test_big_files.py`` holds the two equal)."""

    __slots__ = ("first", "left", "taken", "texts", "where")

    def __init__(self) -> None:
        self.texts: list[str] = []
        # Each text's places not taken yet: one place, or a list of them (in order).
        self.where: dict[str, int | list[int]] = {}
        self.taken: list[bool] = []
        self.first = 0  # no text before it is left
        self.left = 0

    def add(self, text: str) -> None:
        place = len(self.texts)
        known = self.where.get(text)
        if known is None:
            self.where[text] = place
        elif type(known) is int:
            self.where[text] = [known, place]
        else:
            known.append(place)  # type: ignore[union-attr]
        self.texts.append(text)
        self.taken.append(False)
        self.left += 1

    def take(self, text: str) -> None:
        """Take out ``text`` (its first place), or the first text left when it has none
        (call only while some are left)."""
        if text not in self.where:
            while self.taken[self.first]:
                self.first += 1
            text = self.texts[self.first]  # (its first place is this one: none is before)
        known = self.where[text]
        if type(known) is int:
            del self.where[text]
            place = known
        else:
            place = known.pop(0)  # type: ignore[union-attr]
            if not known:
                del self.where[text]
        self.taken[place] = True
        self.left -= 1


def chronology(session: Session, logged: list[Entry]) -> list[Entry]:
    """Every event of the session in time order, each as ``kind: text``: the Log
    section's lines (``logged``), in their order, with the entries of the other
    sections merged in by time; the Log no longer repeats those (their text is in
    the file once). An entry that an older file's Log repeats (a line of its kind
    and minute, of the same text if there is one) is counted once. A ``done``
    line that names its item by section and timestamp gets that item's text (one
    that names it by its text, that text). An entry goes after the Log lines of
    earlier minutes and after the ``start``, ``resumed`` and ``adopted`` lines its
    minute begins with; entries of one minute in the order ``log`` writes them;
    entries without a time at the end. ``show``'s view (:mod:`ai_protocols.session.view`)
    makes the same from :func:`repeated_entries`, :func:`log_events`,
    :func:`chronology_line` and :func:`goes_before`, without a list of the entries."""
    repeated = repeated_entries(logged)
    entries: list[Entry] = []
    keys: list[tuple[bool, datetime, int, int]] = []  # (each entry's place in time order)
    for rank, kind in enumerate(SECTION_KINDS):
        name = kind.kind
        for entry in session.items(name):
            line = chronology_line(name, entry.text)
            time = entry.time
            if repeated:
                lines = repeated.get((time, name))
                if lines is not None and lines.left:
                    lines.take(line)
                    continue
            entries.append(Entry(time, line, None, None, entry.line, None, entry.stamp))
            keys.append((time is None, time or _EPOCH, rank, entry.line))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # (no two keys are equal)
    del keys
    entries = [entries[at] for at in order]
    del order
    events = log_events(logged, lambda: _ticked(session), session.earlier)
    times = [event.time for event in events]
    merged: list[Entry] = []
    at = 0
    for entry in entries:
        while at < len(events) and entry.time is not None and \
                goes_before(events, times, at, entry.time):
            merged.append(events[at])
            at += 1
        merged.append(entry)
    return merged + events[at:]


def repeated_entries(logged: list[Entry]) -> dict[tuple[datetime | None, str], Repeats]:
    """An older file's Log lines for entries (``logged``: the Log's), by time and kind:
    each stands for one entry of that kind and minute (the same text first: a person
    may have edited it); none in the layout ``log`` writes now."""
    repeated: dict[tuple[datetime | None, str], Repeats] = {}
    for logged_entry in logged:
        kind_name = logged_entry.text.partition(": ")[0]
        if kind_name in _SECTION_KIND_NAMES:
            key = (logged_entry.time, kind_name)
            (repeated.get(key) or repeated.setdefault(key, Repeats())).add(logged_entry.text)
    return repeated


def chronology_line(name: str, text: str) -> str:
    """How :func:`chronology` shows an entry of the kind ``name`` and the text ``text``:
    ``name: preview``."""
    return f"{name}: {quick_preview(text)}".rstrip()


def chronology_parts(name: str, text: str) -> tuple[str, str]:
    """:func:`chronology_line` split at its first ``": "`` (the kind and the text of its
    line in ``show --json``'s Log), without the line when ``name`` is a kind's."""
    shown = quick_preview(text)
    if shown and not shown[-1].isspace() and ": " not in name:  # (no rstrip to do)
        return name, shown
    kind, _, shown = chronology_line(name, text).partition(": ")
    return kind, shown


def log_events(logged: list[Entry], ticked: Callable[[], dict[tuple[str, str | None], list[str]]],
               earlier: list[EarlierEntries]) -> list[Entry]:
    """The Log's lines (``logged``) as :func:`chronology` shows them: each ``done`` line
    that names its item by section and timestamp with that item's text, taken in
    order from ``ticked()`` (:func:`_ticked`'s texts, asked for once, at the first such
    line), or, for a Progress item a rollover moved, from the ``earlier`` files."""
    events: list[Entry] = []
    add = events.append
    found_ticked = None  # (made for the first done line that names its item by time)
    moved: list[tuple[int, str]] = []  # done lines whose Progress item a rollover moved
    for entry in logged:
        text = entry.text
        if not text.startswith("done: "):
            # (read as a Log line is, with no checkbox or rationale: the entry itself)
            add(entry if entry.done is None and entry.rationale is None and
                entry.box is None else Entry(entry.time, text, line=entry.line,
                                             stamp=entry.stamp))
            continue
        reference = _done_reference(text)
        by_text = _done_by_text(text) if reference is None else None
        if reference:
            if found_ticked is None:
                found_ticked = ticked()
            candidates = found_ticked.get((reference[0], f"[{reference[1]}]"))
            if candidates:
                text = f"done: {preview(candidates.pop(0))}".rstrip()
            elif earlier and reference[0] == "Progress":  # (its item moved)
                moved.append((len(events), f"[{reference[1]}]"))
        elif by_text:
            text = f"done: {by_text[1]}"
        add(Entry(entry.time, text, line=entry.line, stamp=entry.stamp))
    if moved:
        found = moved_ticked(earlier, {stamp for _, stamp in moved})
        for at, stamp in moved:
            if found.get(stamp):
                old = events[at]
                events[at] = Entry(old.time, f"done: {preview(found[stamp].pop(0))}".rstrip(),
                                   line=old.line, stamp=old.stamp)
    return events


def ticked_references(logged: list[Entry]) -> set[tuple[str, str]]:
    """The items the Log's ``done`` lines (``logged``) name by section title and
    timestamp (``("Progress", "[2026-11-22 Sun 09:05]")``): the only ones whose text
    :func:`log_events` may ask :func:`_ticked` for."""
    found = set()
    for entry in logged:
        reference = _done_reference(entry.text)
        if reference:
            found.add((reference[0], f"[{reference[1]}]"))
    return found


#: How much of an earlier-entries file :func:`moved_ticked` reads at a time (bytes).
_BLOCK = 1 << 20


def moved_ticked(earlier: list[EarlierEntries], stamps: set[str]) -> dict[str, list[str]]:
    """The texts of the ticked Progress items, by timestamp (``[2026-11-22 Sun 09:05]``,
    those in ``stamps``), that a rollover moved to the ``earlier`` files (oldest file
    first, file order): for the Log's ``done`` lines that name their item by section and
    timestamp (plain ``show``). Only the Progress section of each file is read, a
    mebibyte at a time (the memory is a block's, whatever the file's size), and only
    the items the tool writes, ``- [X] [stamp] ...`` at the start of a line, are
    looked at: a person's item found nowhere keeps its ``done: Progress item of ...``
    line. A file that is missing or unreadable is passed over."""
    found: dict[str, list[str]] = {}
    wanted = {stamp.encode("utf-8") for stamp in stamps}
    for file in earlier:
        try:
            with open(file.path, "rb") as source:
                _ticked_in(source, wanted, found)
        except OSError:
            continue
    return found


def _ticked_in(source: BinaryIO, wanted: set[bytes], found: dict[str, list[str]]) -> None:
    """:func:`moved_ticked` of one open file (``source``, read in blocks)."""
    start = b":CUSTOM_ID: progress\n:END:\n"
    carry = b""
    begun = False
    while True:
        block = source.read(_BLOCK)
        text = carry + block
        if not begun:
            at = text.find(start)
            if at == -1:
                if not block:
                    return
                carry = text[-len(start):]
                continue
            text = b"\n" + text[at + len(start):]
            begun = True
        stop = text.find(b"\n** ")  # (the next section: Progress is done)
        last = not block or stop != -1
        if last:
            part, carry = (text if stop == -1 else text[:stop + 1]), b""
        else:  # (up to the start of the last item, which may go on in the next block)
            cut = text.rfind(b"\n- ")
            part, carry = (text, b"") if cut <= 0 else (text[:cut + 1], text[cut:])
        at = part.find(b"\n- [X] [")
        while at != -1:
            close = part.find(b"]", at + 8)
            stamp = part[at + 7: close + 1]
            end = part.find(b"\n- ", at + 1)
            end = len(part) if end == -1 else end + 1
            if stamp in wanted:
                item = part[at + 1: end].decode("utf-8", "replace").split("\n")
                lines = [line + "\n" for line in item[:-1]] + ([item[-1]] if item[-1] else [])
                entries = parse_entries(lines, 0, len(lines))
                if entries and entries[0].done and entries[0].line == 0:
                    found.setdefault(stamp.decode("utf-8"), []).append(entries[0].text)
            at = part.find(b"\n- [X] [", end - 1)
        if last:
            return


def _ticked(session: Session) -> dict[tuple[str, str | None], list[str]]:
    """The texts of the ticked items of every section, by section title and timestamp,
    in file order."""
    ticked: dict[tuple[str, str | None], list[str]] = {}
    for kind in SECTION_KINDS:
        for entry in session.items(kind.kind):
            if entry.done:
                ticked.setdefault((kind.title, entry.stamp), []).append(entry.text)
    return ticked


def quick_preview(text: str) -> str:
    """:func:`~ai_protocols.session.text.preview` of ``text``, which is ``text`` itself
    when it is one printable line (no control character, no white space but single
    spaces between words) of at most 100 characters without ``::`` (a description
    list's tag), and its first 99 characters (white space at their end dropped) and
    ``…`` when such a line is longer: a big file's Log holds a hundred thousand such
    texts. ``tests/test_big_files.py`` holds the two equal."""
    if text.isprintable() and "  " not in text and "::" not in text \
            and text[:1] not in ("", " ") and text[-1] != " ":
        return text if len(text) <= 100 else text[:99].rstrip() + "…"
    return preview(text)


def goes_before(events: list[Entry], times: list[Any], at: int, moment: Any) -> bool:
    """Whether the Log line ``events[at]`` goes before an entry of ``moment``: it is of
    an earlier minute, has no time (it follows the line before it), or is among the
    ``start``, ``resumed`` or ``adopted`` lines that begin ``moment``'s minute. ``times``
    holds the lines' times, as ``moment`` is given (``datetime``, or a count of minutes,
    in the same order), ``None`` for none."""
    time = times[at]
    if time is None or time < moment:
        return True
    if time > moment:
        return False
    back = at
    while back >= 0 and times[back] == moment:
        if events[back].text.partition(": ")[0] not in _OPENING:
            return False
        back -= 1
    return True


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
        raise ItemNotFound(text, tuple(searched), len(open_items))
    if len(matches) > 1 and len({m[0].text for m in matches}) > 1:
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
        except (ItemNotFound, AmbiguousItem):
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
