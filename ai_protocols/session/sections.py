"""A session file's sections and identity: ``SECTIONS`` and the statuses, the session's
headline and id (:func:`one_session`, :func:`other_session`), finding a section, its
summary, and its entries read one by one (:func:`iter_entries`).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os
from itertools import chain

from ai_protocols.lean import datetime, digits, fold, quoted
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import (
    WJ,
    ZWSP,
    Entry,
    own_time,
    parse_entries,
    read_text_block,
    separates_paragraph,
    strip_ending,
    unescape_inline,
)
from ai_protocols.session.model import SECTION_KINDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import datetime


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
