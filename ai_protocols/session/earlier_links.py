"""The links from a session file to its earlier-entries files (``EARLIER``): the section,
the lines that link them, a link's path escaped as Org escapes it
(:func:`org_link_escape`, here rather than in :mod:`~ai_protocols.session.org_links`, which
a read does not import: docs/decisions.md, "Twenty-seventh round: fewer modules on the hot
paths"), and reading those files back (:func:`read_earlier`).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.lean import counted, datetime, digits
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import bracket_link, file_scheme, strip_ending
from ai_protocols.session.model import EarlierEntries
from ai_protocols.session.names import HISTORY
from ai_protocols.session.sections import EARLIER, _count, is_session

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime


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
    :func:`ai_protocols.session.rollover_plan.plan`)."""
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
    drawer, :func:`ai_protocols.session.rollover_plan._head`); ``None`` when it cannot be
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
