"""The task board's file, ``.ai/tasks.org``, as text: its states, its bytes read and
decoded, its task and lock entries (:class:`Task`, :class:`AreaLock`), their drawers and
values, and the areas a lock covers. Split out of :mod:`ai_protocols.board.model`, which
re-exports every name; the hooks import this module and :mod:`~ai_protocols.board.board_read`
only.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import BrokenDrawer, InvalidText, MisplacedDrawer
from ai_protocols.lean import factory, pattern, record
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import unescape_inline
from ai_protocols.paths import fold_name, folds_names, inside_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from pathlib import Path

    from ai_protocols.org.file import Headline


# BOARD_FILE, the board in ``.ai/``, is named in ai_protocols.paths with the other names
# of ``.ai/``: ``resume`` and ``wrap-up`` look for it without importing this module.
#: The task states, in the order of the ``#+TODO:`` line: open ones, then closed.
OPEN_STATES = ("TODO", "NEXT", "DOING", "REVIEW")
CLOSED_STATES = ("DONE", "CANCELLED")
STATES = OPEN_STATES + CLOSED_STATES
#: The line that declares them (Org manual, "Per-file keywords").
TODO_LINE = f"#+TODO: {' '.join(OPEN_STATES)} | {' '.join(CLOSED_STATES)}"


class BoardFile(OrgFile):
    """The board as an :class:`~ai_protocols.org.file.OrgFile`: a board that declares no
    ``#+TODO:`` line (written by hand) is read with :data:`STATES`, as the writer
    declares them on its first change, so that a ``DOING`` task is one, not a title
    starting with DOING, in every reader (list, show, claim, check, the hook)."""

    default_keywords = frozenset(STATES)


def done_states(doc: OrgFile) -> frozenset[str]:
    """The board's done-type states, as Org reads them (``org-done-keywords``, set by
    ``org-set-regexps-and-options``): of each ``#+TODO:`` line (``#+SEQ_TODO:``,
    ``#+TYP_TODO:``), the keywords after its ``|``, or only its last one when it has no
    ``|`` (Org manual, "Workflow states": "If you do not provide the separator bar, the
    last state is used as the DONE state": ``#+TODO: TODO DONE CANCELLED`` leaves
    ``DONE`` a state still to do), the lines' together; when that is none (every
    ``|`` ends its line), the last keyword of all (``TYP_TODO`` lines first, then
    ``TODO``, then ``SEQ_TODO`` ones, as Org gathers them). :data:`CLOSED_STATES` when no
    line declares any (the board's states, as :class:`BoardFile` reads such a board
    and its first change declares them). A ``(key)`` after a keyword is not part of
    it. A task in one of them is closed. Only the lines Org reads count
    (:func:`~ai_protocols.org.file.todo_lines`: none inside a source or example
    block). While a change of the board is being made, the states the board had as
    read (``doc.read_done``, set by the write transaction before it declares the
    board's own line): the command judges the board a person sees in Emacs, as
    ``task list`` does."""
    from ai_protocols.org.file import todo_lines

    def name(word: str) -> str:
        return word[:word.find("(")] if word.endswith(")") and word.find("(") > 0 else word

    pinned = getattr(doc, "read_done", None)
    if pinned is not None:
        return pinned
    text = doc.text
    found: set[str] = set()
    sequences: list[tuple[int, list[str]]] = []
    for at, value, end in todo_lines(text):
        words = text[value:end].split()
        names = [name(w) for w in words if w != "|"]
        if "|" in words:
            found.update(name(w) for w in words[words.index("|") + 1:] if w != "|")
        else:
            found.update(names[-1:])
        kind = text[at + 2:value].upper()
        sequences.append(({"TYP_TODO:": 0, "TODO:": 1}.get(kind, 2), names))
    if not doc.declared_keywords:
        return frozenset(CLOSED_STATES)
    if not found:
        every = [n for _, names in sorted(sequences, key=lambda s: s[0]) for n in names]
        found.update(every[-1:])
    return frozenset(found)


#: The ``CUSTOM_ID`` of the locks section.
LOCKS_ID = "locks"

_HEADER = f"""#+TITLE: Task board
{TODO_LINE}

Kept by ai-protocols (docs/tasks.md): one level-1 headline per task, with its
state, tags and properties. Edit it in Emacs as any Org file; the commands
change only the lines they must. Claim a task with 'ai-protocols task claim ID'.

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
Areas an agent keeps to itself for a while ('ai-protocols lock PATH --reason TEXT').
"""


def board_bytes(path: str | Path) -> bytes | None:
    """The board's bytes (``None``: there is none), as
    :func:`ai_protocols.storage.files.read_bytes` reads a session file; an
    :class:`~ai_protocols.errors.UnreadableSession` (a folder, not a regular file) says
    it is the task board that cannot be read."""
    from ai_protocols.errors import UnreadableSession
    from ai_protocols.storage import files as storage

    try:
        return storage.read_bytes(path)
    except UnreadableSession as error:
        raise _as_board(error) from None


def board_file(path: Path) -> tuple[bytes, os.stat_result] | None:
    """:func:`board_bytes`, with what ``fstat`` said of the file read
    (:func:`ai_protocols.storage.files.read_file`): which file it was, to tell later
    whether it is still the one there."""
    from ai_protocols.errors import UnreadableSession
    from ai_protocols.storage import files as storage

    try:
        return storage.read_file(path)
    except UnreadableSession as error:
        raise _as_board(error) from None


def board_decode(path: str | Path, data: bytes) -> str:
    """The board's text (:func:`ai_protocols.storage.files.decode`: UTF-8, no NUL);
    the error says it is the task board that cannot be read."""
    from ai_protocols.errors import UnreadableSession
    from ai_protocols.storage import files as storage

    resave = ("Re-save it as UTF-8 (in Emacs: C-x RET f utf-8 RET, then C-x C-s; or "
              "iconv -f {} -t UTF-8); until then no board command reads or changes it")
    try:
        return storage.decode(path, data)
    except UnreadableSession as refused:  # every kind: where (offset, line), and what to do
        error = refused
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            error = UnreadableSession(
                path, f"it is UTF-16, not UTF-8: it starts (offset 0, line 1) with UTF-16's "
                      f"byte-order mark 0x{data[0]:02X} 0x{data[1]:02X}. "
                      + resave.format("UTF-16"))
        elif b"\x00" in data:
            start = data.index(b"\x00")
            line = data.count(b"\n", 0, start) + 1
            pairs = data[:200]
            little = pairs[1::2].count(0) > len(pairs) // 4  # ASCII, then 0: UTF-16LE
            wide = len(pairs) > 3 and (little or pairs[0::2].count(0) > len(pairs) // 4)
            said = (f"it holds a NUL byte (0x00) at offset {start} (line {line})"
                    + (f", {data.count(0)} in all" if data.count(0) > 1 else ""))
            if wide:
                error = UnreadableSession(
                    path, said + ": it looks like UTF-16 without a byte-order mark, not "
                                 "UTF-8. " + resave.format("UTF-16LE" if little else "UTF-16BE"))
            else:
                error = UnreadableSession(
                    path, said + ", which Org text never holds (binary data written into "
                                 "it?). Delete that byte (Emacs shows it as ^@; "
                                 "'git diff .ai/tasks.org' shows what changed since the "
                                 "last commit); until then no board command reads or "
                                 "changes it")
        elif isinstance(refused.__cause__, UnicodeDecodeError):
            start = refused.__cause__.start
            line = data.count(b"\n", 0, start) + 1
            error = UnreadableSession(
                path, f"it is not UTF-8: byte 0x{data[start]:02X} at offset {start} (line "
                      f"{line}), text saved in another encoding (latin-1?). "
                      + resave.format("LATIN1"))
        raise _as_board(error) from None


#: How many tasks a person typed without an id a message names one by one (what it
#: says of each, and what to paste); the rest are counted, with their lines: a pasted
#: list of thousands must not fill an agent's context.
SAID_AT_MOST = 10


def board_text_of(path: str | Path, data: bytes) -> str:
    """The board's text from its bytes ``data`` (:func:`board_decode`);
    :class:`~ai_protocols.errors.MergeConflict` while it holds a git merge's conflict
    markers (two clones changed it at once): read as it is, it would lose claims and
    ids."""
    from ai_protocols.session.text import conflict_marker_lines

    text = board_decode(path, data)
    marked = conflict_marker_lines(text)
    if marked:
        from ai_protocols.errors import MergeConflict
        from ai_protocols.session.unmerged import remerge_advice

        # (git merged it without the driver: merged again through it, said first)
        raise MergeConflict(path, marked, "the task board",  # type: ignore[arg-type]
                            remerge=remerge_advice(str(path), text=text))
    return text


def kept_board_bytes(kept: str) -> bytes | None:
    """The bytes of the board's kept copy ``kept`` (:func:`kept_board_path`; at most
    16 MiB); ``None`` when there is none, or it is no regular file or cannot be read."""
    from ai_protocols.storage import files as storage

    try:
        return storage.read_regular(kept, 1 << 24)
    except (OSError, storage.NotRegular):
        return None


def why_unreadable(error: Exception) -> str:
    """Why a file could not be read, in words: an error's ``reason`` when it has one."""
    return str(getattr(error, "reason", None) or error)


def _as_board(error: Exception) -> Exception:
    from ai_protocols.errors import AiProtocolsError

    message = error.message if isinstance(error, AiProtocolsError) else str(error)
    error.args = (message.replace("cannot read session context", "cannot read the task "
                                     "board", 1),)
    return error


def board_text() -> str:
    """The text of a new board: its keywords line, a word on what it is, and the
    empty locks section."""
    return _HEADER


@record
class Task:
    """One task on the board, as its headline and drawer say.

    ``id`` is the ``ID`` property (``None`` for a headline a person added without
    one); ``state`` its TODO keyword; ``owner`` the agent id of the claim
    (``None``: free) and ``owner_process`` the process that claimed it (an
    ``OWNER`` of :mod:`ai_protocols.liveness.evidence`); ``claimed`` when;
    ``working_set`` the paths it may change; ``checkpoint`` what it was closed
    with; ``line`` the headline's line number (from 1).
    """

    id: str | None
    title: str
    state: str | None
    tags: tuple[str, ...] = ()
    role: str | None = None
    working_set: tuple[str, ...] = ()
    owner: str | None = None
    owner_process: str | None = None
    claimed: datetime | None = None
    #: ``CLAIMED_AT``: the claim's moment as a zone-proof record (an ``UPDATED_AT``
    #: value, :mod:`ai_protocols.liveness.clock`); ``None`` on boards written before.
    claimed_at: str | None = None
    created: datetime | None = None
    closed: datetime | None = None
    checkpoint: str | None = None
    line: int = 0
    properties: dict[str, str] = factory(dict)
    #: The board's done-type states (:func:`done_states`): those a person adds after
    #: ``|`` in ``#+TODO:`` close a task as ``DONE`` does.
    closed_states: frozenset[str] = frozenset(CLOSED_STATES)
    #: Its headline is commented out (``* TODO COMMENT x``, org-element's
    #: ``:commentedp``): ``task list`` leaves it out (``--all`` shows it), ``task claim``
    #: refuses it; a claim it holds still counts (``check``, the hook).
    commented: bool = False

    @property
    def is_open(self) -> bool:
        return self.state not in self.closed_states

    @property
    def short_id(self) -> str:
        """The random part of the id (what follows its last ``-``): enough to name it."""
        return (self.id or "").rsplit("-", 1)[-1]

    def to_json(self) -> dict[str, object]:
        """The ``task list --json`` / ``task show --json`` form (keys in docs/tasks.md)."""
        from ai_protocols.session.model import iso

        return {"id": self.id, "title": self.title, "state": self.state,
                "tags": list(self.tags), "role": self.role,
                "working_set": list(self.working_set), "owner": self.owner,
                "claimed": iso(self.claimed), "created": iso(self.created),
                "closed": iso(self.closed), "checkpoint": self.checkpoint,
                "line": self.line, "commented": self.commented}


@record
class Handoff:
    """One hand-off of a task, as its log item says (``task handoff``: docs/tasks.md):
    when (``time``, to the minute), by which agent (``by``) and from which role
    (``from_role``: the task's role before, ``None`` when it had none), to which role
    (``to``), with the ``note`` for the next one."""

    time: datetime | None
    by: str
    from_role: str | None
    to: str
    note: str

    def to_json(self) -> dict[str, object]:
        """``{"time", "from", "from_role", "to", "note"}``: ``from`` is the agent id that
        handed it off, ``time`` ISO 8601 to the minute (docs/tasks.md, "JSON")."""
        from ai_protocols.session.model import iso

        return {"time": iso(self.time), "from": self.by, "from_role": self.from_role,
                "to": self.to, "note": self.note}


#: A hand-off's log item: ``handed off by AGENT (role R) to ROLE: NOTE``; a board written
#: before kept a takeover in the same item, ``to ROLE; it was ...: NOTE`` (then ``NOTE``
#: is read as all that follows ``; ``: where the takeover's words end is not marked).
_HANDOFF = pattern(r"handed off by (\S+)(?: \(role (\S+)\))? to (\S+?)(?:: |; )(.*)",
                   16)  # re.DOTALL: a note of several lines, from a board written before


def handoffs(doc: OrgFile, line: int) -> list[Handoff]:
    """The hand-offs of the task whose headline is on ``line`` (from 1) of ``doc``, oldest
    first: the items of its own log (the text under its drawer, before any
    sub-headline; :func:`ai_protocols.org.syntax.parse_entries`) that say
    ``handed off by ...``. Items a person wrote that way count too."""
    from ai_protocols.org.syntax import parse_entries

    headline = doc.find(line - 1)
    found = []
    for entry in parse_entries(doc.lines, headline.body_start, headline.body_end,
                               doc.newline):
        said = _HANDOFF.fullmatch(entry.text)
        if said is not None:
            found.append(Handoff(entry.time, said[1], said[2], said[3], said[4]))
    return found


@record
class AreaLock:
    """A locked area: its ``path`` (a file, or a folder ending in ``/``), the agent
    id that holds it, the process that took it, why, and since when."""

    path: str
    owner: str | None
    owner_process: str | None = None
    reason: str | None = None
    locked: datetime | None = None
    line: int = 0
    #: ``LOCKED_AT``: the lock's moment as a zone-proof record (see ``Task.claimed_at``).
    locked_at: str | None = None

    def to_json(self) -> dict[str, object]:
        from ai_protocols.session.model import iso

        return {"path": self.path, "owner": self.owner, "reason": self.reason,
                "locked": iso(self.locked), "line": self.line}


# -- reading ----------------------------------------------------------------------------------


def locks_section(doc: OrgFile) -> int | None:
    """The index of the locks section in ``doc.headlines``: by its ``CUSTOM_ID``, else a
    level-1 headline titled ``Locks`` without a keyword, else by what it holds: the first
    level-1 headline without a keyword or an ``ID`` (no task) with a sub-headline that
    has a ``PATH`` (a lock): a person renamed the section and deleted its ``CUSTOM_ID``
    line, and its locks are still its locks (a second section is never added beside
    it); ``None`` when there is none."""
    for index, headline in enumerate(doc.headlines):
        if headline.level == 1 and headline.properties.get("CUSTOM_ID") == LOCKS_ID:
            return index
    for index, headline in enumerate(doc.headlines):
        if headline.level == 1 and headline.todo is None and headline.plain_title == "locks":
            return index
    top = None
    for index, headline in enumerate(doc.headlines):
        if headline.level == 1:
            top = index if headline.todo is None and "ID" not in headline.properties else None
        elif top is not None and headline.level == 2 and "PATH" in headline.properties:
            return top
    return None


def task_headlines(doc: OrgFile) -> list[int]:
    """The indexes in ``doc.headlines`` of the tasks: level-1 headlines with a state or
    an ``ID``, the locks section aside."""
    locks = locks_section(doc)
    return [i for i, h in enumerate(doc.headlines)
            if h.level == 1 and i != locks and (h.todo is not None or "ID" in h.properties)]


_DRAWER_LINE = pattern(r"[ \t]*:PROPERTIES:[ \t]*$", 2)  # re.IGNORECASE
_KEY_LINE = pattern(r"[ \t]*:(ID|OWNER|PATH|CLAIMED|LOCKED):", 2)  # re.IGNORECASE


def check_drawers(doc: OrgFile, path: Path | None = None) -> None:
    """:class:`~ai_protocols.errors.MisplacedDrawer` for a level-1 headline (a task) or a
    lock whose ``:PROPERTIES:`` drawer, holding an ``ID``, ``OWNER`` or ``PATH``, comes
    after a line that is not a planning line: Org reads no properties there (its
    ``org-property-drawer-re`` wants the drawer right after the headline and planning
    line), so its id and claim would be lost, and a new id written over them.
    :class:`~ai_protocols.errors.BrokenDrawer` (a kind of it) for such a headline whose
    drawer stands where Org looks but is one Org does not read at all (a blank line in
    it, a line that is no property, no ``:END:``: :func:`_broken_drawer`), when the
    headline is a task (it has a state) or the drawer holds a property the board reads
    (an ``ID``, ``OWNER`` or ``PATH``...). Raises nothing else."""
    section = locks_section(doc)
    top = doc.headlines[section] if section is not None else None
    for h in doc.headlines:
        if h.drawer is not None:
            continue
        in_locks = top is not None and top.line < h.line < top.subtree_end
        if h.level != 1 and not in_locks:
            continue
        broken = _broken_drawer(doc, h)
        if broken is not None:
            bad, names = broken
            if h.todo is not None or in_locks or any(
                    name.rstrip("+") in BOARD_KEYS for name in names):
                raise BrokenDrawer(path, h.line + 1, h.body_start + 1, bad + 1 if bad else 0,
                                   doc.lines[bad].rstrip("\r\n") if bad else "")
            continue
        for index in range(h.body_start, h.body_end):
            if not _DRAWER_LINE.match(doc.lines[index]):
                continue
            following = doc.lines[index + 1] if index + 1 < h.body_end else ""
            if _KEY_LINE.match(following) and index > h.body_start:
                stray = next((i for i in range(h.body_start, index) if doc.lines[i].strip()),
                             h.body_start)
                raise MisplacedDrawer(path, h.line + 1, index + 1, stray + 1,
                                      doc.lines[stray].rstrip("\r\n"))
            break


#: The properties the board reads of a task or a lock: a drawer Org does not read that
#: holds one of them is refused (:func:`check_drawers`), never written beside.
BOARD_KEYS = frozenset(("ID", "OWNER", "OWNER_PROCESS", "PATH", "CLAIMED", "CLAIMED_AT",
                        "LOCKED", "LOCKED_AT", "WORKING_SET", "ROLE", "CREATED", "CLOSED_AT",
                        "CHECKPOINT", "REASON"))


def _broken_drawer(doc: OrgFile, h: Headline) -> tuple[int | None, list[str]] | None:
    """For headline ``h`` without a drawer Org reads: when a ``:PROPERTIES:`` line stands
    where Org looks for its drawer (``h.body_start``: right after the headline and its
    planning line), the index of the first line in it that Org does not read as a
    property (a blank line, ``:WORKING SET: x``...; ``None`` when no ``:END:`` closes
    it before the next headline) and the property names its lines give; else ``None``
    (no drawer there at all)."""
    from ai_protocols.org.file import is_drawer_line, read_property

    at = h.body_start
    if at >= h.body_end or not _DRAWER_LINE.match(doc.lines[at]):
        return None
    names: list[str] = []
    bad = None
    for index in range(at + 1, h.body_end):
        bare = doc.lines[index].rstrip("\r\n")
        if is_drawer_line(bare, "end"):
            return bad, names
        pair = read_property(bare)
        if pair is None:
            if bad is None:
                bad = index
            continue
        names.append(pair[0].upper())
    return None, names


def stray_properties(doc: OrgFile, index: int) -> dict[str, str]:
    """The properties of the headline ``doc.headlines[index]``: its drawer's, as Org reads
    them; for one without a drawer where Org looks, those of a ``:PROPERTIES:`` drawer
    holding an ``ID``, ``OWNER`` or ``PATH`` further down its own text (after a note a
    person typed under the headline: what :func:`check_drawers` refuses to write over),
    or of a drawer where Org looks that Org does not read (a blank line in it, a line
    that is no property, no ``:END:``: what :func:`check_drawers` refuses too), each of
    its property lines read (:func:`~ai_protocols.org.file.org_properties`) and the
    others passed over, so that a reader (the guard, the hook) still sees the lock or
    claim it records."""
    from ai_protocols.org.file import is_drawer_line, org_properties, read_property

    h = doc.headlines[index]
    if h.drawer is not None:
        return h.properties
    for at in range(h.body_start, h.body_end):
        if not _DRAWER_LINE.match(doc.lines[at]):
            continue
        where_org_looks = at == h.body_start
        if not where_org_looks and (at + 1 >= h.body_end or
                                    not _KEY_LINE.match(doc.lines[at + 1])):
            break
        pairs: list[tuple[str, str | None]] = []
        for line in doc.lines[at + 1:h.body_end]:
            bare = line.rstrip("\r\n")
            if is_drawer_line(bare, "end"):
                break
            pair = read_property(bare)
            if pair is not None:
                pairs.append(pair)
        return org_properties(pairs)
    return h.properties


def board_value(value: str | None) -> str | None:
    """A free text the board takes from a user (a role, a lock's reason, a checkpoint) as
    its property value: made inert (:func:`~ai_protocols.org.syntax.escape_property`: no
    agenda entry; docs/emacs.md "Invisible escapes"); ``None`` stays ``None`` (no
    property). :func:`read_value` gives it back."""
    from ai_protocols.org.syntax import escape_property

    return None if value is None else escape_property(value)


def read_value(value: str | None) -> str | None:
    """What :func:`board_value` wrote, as the user typed it (a value written raw, by an
    older version or a person, is read as it stands); ``None`` for none or an empty one."""
    return unescape_inline(value) or None if value else None


def board_title(title: str) -> str:
    """A task's title (or a lock's path) as its headline holds it: made inert
    (:func:`~ai_protocols.org.syntax.escape_headline`: no agenda entry, footnote, cookie,
    macro or code export would run, and no ``:word:`` at its end that Org 9.7 reads as
    tags whatever stands before it, ``at 10:30:``; docs/emacs.md "Invisible escapes").
    ``Task.title`` reads it back (:func:`~ai_protocols.org.syntax.unescape_inline`)."""
    from ai_protocols.org.syntax import escape_headline

    return escape_headline(title)


def _leaves_project(path: str) -> bool:
    """Whether a lock's ``PATH`` as written names nothing inside the project: absolute
    (``/``, ``/etc/``), or above its top once ``.`` and ``..`` are resolved (``../``);
    what the hook and ``check`` compare (:func:`real_forms`) holds no file then."""
    import posixpath

    normal = posixpath.normpath(path)
    return normal.startswith("/") or normal == ".." or normal.startswith("../")


def conflict_sides(text: str) -> list[str] | None:
    """The two boards a text with git's conflict markers holds: each side's text with
    what both share (git-merge(1), "How conflicts are presented": ``<<<<<<<`` ours,
    ``|||||||`` the common ancestor's, which neither side is, ``=======`` theirs,
    ``>>>>>>>``); ``None`` when it has no markers
    (:func:`ai_protocols.session.text.conflict_marker_lines`). The hook reads the locks
    of both, so that a lock left inside the markers still holds."""
    from ai_protocols.session.text import conflict_marker_lines

    if not conflict_marker_lines(text):
        return None
    ours: list[str] = []
    theirs: list[str] = []
    where = "both"
    for line in text.splitlines(keepends=True):
        if line.startswith("<<<<<<<"):
            where = "ours"
            continue
        if line.startswith("|||||||") and where == "ours":
            where = "base"
            continue
        if line.startswith("=======") and where in ("ours", "base"):
            where = "theirs"
            continue
        if line.startswith(">>>>>>>") and where == "theirs":
            where = "both"
            continue
        if where in ("both", "ours"):
            ours.append(line)
        if where in ("both", "theirs"):
            theirs.append(line)
    return ["".join(ours), "".join(theirs)]


def holder_name(owner: str | None) -> str:
    """A holder as words for a person: the agent id, or ``(no owner)``."""
    return owner if owner else "(no owner)"
_PROTECTED = pattern(r"%(?:20|0a)", 2)  # re.IGNORECASE
#: Org's white space between the values of a multi-valued property, [ \f\t\n\r\v], as spaces.
_SPACES = str.maketrans("\f\t\n\r\v", "     ")


def protect(path: str) -> str:
    """``path`` as one value of an Org multi-valued property: a space as ``%20``, as
    ``org-entry-protect-space`` writes it (Org 9.5 and 9.7: it escapes nothing else,
    so :func:`normalize_path` refuses a path holding ``%20`` or ``%0A`` itself)."""
    return path.replace(" ", "%20")


def restore(value: str) -> str:
    """What :func:`protect` made, back, as ``org-entry-restore-space`` does."""
    return value.replace("%20", " ")


def join_paths(paths: tuple[str, ...] | list[str]) -> str:
    """``paths`` as the value of a multi-valued property (``WORKING_SET``, ``PATH``).
    Raises :class:`~ai_protocols.errors.InvalidText` when that value would be ``nil``,
    which Org reads as no value at all (``org-entry-get``: a property whose value is
    "nil" is unset, Org manual "Property Inheritance")."""
    from ai_protocols.org.syntax import escape_property

    value = " ".join(protect(p) for p in paths)
    if value == "nil":
        raise InvalidText("path", value, "Org reads a property whose whole value is nil "
                          "as having none; name the folder that holds it, or add another path")
    return escape_property(value)  # (inert: no agenda entry; split_paths reads it back)


def split_paths(value: str) -> tuple[str, ...]:
    """The paths of a multi-valued property, split as Org's ``split-string`` does (on
    spaces, tabs, form feeds, newlines, carriage returns, vertical tabs)."""
    return tuple(restore(v) for v in unescape_inline(value).translate(_SPACES).split(" ")
                 if v)


def real_forms(root: str, path: str, *, follow: bool = True) -> set[str]:
    """``path`` (relative to the project ``root``, as :func:`normalize_path` gives it) and
    where it really is, when symbolic links inside the project lead elsewhere in it:
    both forms, so that a lock or working set taken through a link, or before links
    were resolved, still holds what lies at its target. A target outside the project
    adds nothing. Not ``follow``: a change to ``path`` itself as git reports it (a
    symbolic link is changed where it is, not at its target): only the folders above
    it are resolved."""
    forms = {path}
    if path == "./":
        return forms
    full = os.path.join(root, path)
    if not follow and not path.endswith("/"):
        head, name = os.path.split(full)
        where = os.path.join(os.path.realpath(head), name)
    else:
        where = os.path.realpath(full)
    real = inside_root(os.path.relpath(where, os.path.realpath(root)))
    if real is not None and real != ".":
        forms.add(real + "/" if path.endswith("/") else real)
    return forms


def covers_real(root: str, area: str, path: str, *, follow: bool = True) -> bool:
    """:func:`covers`, comparing real locations too (:func:`real_forms`): a lock on
    ``src/api/`` holds ``apilink/x`` when ``apilink`` links to ``src/api``. Not
    ``follow``: ``path`` is a change git reports, and a link is changed at its own path
    (``apilink`` itself is not inside ``src/api/``). On a file system that folds names
    (:func:`folds_names`: macOS, Windows), every form is compared as :func:`fold_name`
    gives it: a lock on ``src/api/`` holds ``SRC/API/v1.py`` there."""
    if covers(area, path):
        return True
    area = written_area(area)  # type: ignore[assignment]
    if area is None:
        return False
    paths = real_forms(root, path, follow=follow)
    areas = real_forms(root, area)
    if folds_names(root):
        paths, areas = {fold_name(p) for p in paths}, {fold_name(a) for a in areas}
    return any(covers(a, p) for a in areas for p in paths)


def overlap_real(root: str, a: str, b: str) -> bool:
    """Whether two areas share a real location: one holds the other."""
    return covers_real(root, a, b) or covers_real(root, b, a)


def covers(area: str, path: str) -> bool:
    """Whether the locked or claimed ``area`` holds ``path`` (both as
    :func:`normalize_path` gives them): the same path, or one inside it. An area
    given without a final ``/`` that does not exist yet may become a folder, so it
    holds what would be inside it too."""
    area = written_area(area)
    if area == "./":
        return True
    if area is None:
        return False
    base = area.rstrip("/")
    return path.rstrip("/") == base or path.startswith(base + "/")


def same_area(one: str, other: str) -> bool:
    """Whether two paths as :func:`normalize_path` gives them name one area of the
    project: the same text, or a folder named with and without its final ``/``
    (``lib``, ``lib/``). The one rule for naming a lock (``unlock``) and a working set's
    path (``task add``/``edit --working-set``, ``--add-working-set``,
    ``--remove-working-set``) again."""
    return one == other or one.rstrip("/") == other.rstrip("/")


def unique_areas(paths: Iterable[str]) -> list[str]:
    """``paths`` in order, each area once (:func:`same_area`: the first form given kept)."""
    kept: list[str] = []
    for path in paths:
        if not any(same_area(path, seen) for seen in kept):
            kept.append(path)
    return kept


def written_area(area: str) -> str | None:
    """A lock's or working set's path as written in the board (by a command, or by hand:
    ``.``, ``./.``, ``.//``, ``src/..``, ``src//api/``) as :func:`normalize_path` writes
    it, by its text alone (POSIX ``normpath``: ``.`` and ``..`` taken away): ``./`` for
    the whole project, a final ``/`` kept. ``None`` for one that names nothing in the
    project, absolute or above its top (:func:`_leaves_project`), as every reader takes
    it: the one reading of a hand-written path for locks and working sets alike."""
    import posixpath

    if _leaves_project(area):
        return None
    plain = posixpath.normpath(area)
    if plain == ".":
        return "./"
    return plain + "/" if area.endswith("/") else plain


def overlap(a: str, b: str) -> bool:
    """Whether two areas share a path: one holds the other."""
    return covers(a, b) or covers(b, a)
