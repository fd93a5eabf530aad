"""Reading a session file back (:func:`read_session`): its entries, whole, or brief for the
resume context (its closed items passed over unparsed, its older decisions and
discoveries counted unread), or its head alone (:func:`read_session_head`: what
``status``, ``list`` and the hooks need).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import gc

from ai_protocols.errors import UnreadableSession
from ai_protocols.lean import itemgetter
from ai_protocols.org.file import (
    Headline,
    OrgFile,
    first_headline_start,
    next_headline_start,
    plain_drawer,
)
from ai_protocols.org.syntax import Entry, are_own_timestamps, is_own_timestamp, parse_timestamp
from ai_protocols.session.chronology import chronology
from ai_protocols.session.earlier_links import _EARLIER_ITEM, read_earlier
from ai_protocols.session.model import SECTION_KINDS, Session, newest_first
from ai_protocols.session.sections import (
    CURRENT_BOX,
    NO_SESSION_HEADLINE,
    TITLE_PROPERTY,
    _count,
    _entries,
    _properties,
    _summary_in,
    _summary_span,
    _unescaped,
    find_section,
    read_entries,
    session_headline,
)
from ai_protocols.storage import files as storage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


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
