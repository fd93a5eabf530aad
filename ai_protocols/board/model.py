"""The task board's file, ``.ai/tasks.org``: its layout, its values, and the rules
for what goes into it.

The board is an ordinary Org file a person edits in Emacs. Its ``#+TODO:``
line declares the task states (:data:`STATES`), so that Emacs and its agenda
know them; each task is a level-1 headline with one of them and its tags, and
a property drawer (:class:`Task`); the ``* Locks`` section (``CUSTOM_ID``
``locks``) holds one level-2 headline per locked area (:class:`AreaLock`).
Reading never changes the file; every write (:mod:`ai_protocols.board.board`)
splices lines into it.

Paths, in working sets and locks, are relative to the project root, with
``/`` between folders, and a folder ends with ``/``. Several paths in one
property are an Org multi-valued property: separated by spaces, each with a
space written ``%20``, as ``org-entry-protect-space`` writes them (Org's
``org-entry-get-multivalued-property`` reads them back).

This module is what the PreToolUse hook imports: the standard library and
the Org file only.
"""

from __future__ import annotations

import os

from ai_protocols.board.held import owner_forms
from ai_protocols.errors import (
    BrokenDrawer,
    DuplicateTaskId,
    InvalidText,
    MisplacedDrawer,
    TaskNotFound,
)
from ai_protocols.lean import factory, pattern, record
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import format_timestamp, parse_timestamp, unescape_inline
from ai_protocols.paths import (  # (kept_board_path: named here too, as it was)
    BOARD_FILE,
    board_path,
    fold_name,
    folds_names,
    inside_root,
    kept_board_path,
    real_inside,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterable, Mapping
    from datetime import datetime
    from pathlib import Path

    from ai_protocols.org.syntax import Entry

__all__ = [
    "BOARD_FILE",
    "CLOSED_STATES",
    "MAX_LINE",
    "OPEN_STATES",
    "STATES",
    "AreaLock",
    "BoardFile",
    "Handoff",
    "Sunk",
    "Task",
    "UnlockRecord",
    "all_sunk",
    "archive_path",
    "board_bytes",
    "board_decode",
    "board_file",
    "board_path",
    "board_text",
    "board_title",
    "board_value",
    "check_drawers",
    "check_given_path",
    "check_line",
    "check_role",
    "check_tag",
    "check_title",
    "claim_void",
    "conflict_sides",
    "covers",
    "covers_real",
    "done_states",
    "dropped_by_merge",
    "ended_elsewhere",
    "ended_in_history",
    "ended_since",
    "ending_commands",
    "find_task",
    "handoffs",
    "holder_name",
    "id_fault",
    "id_shown",
    "join_paths",
    "kept_board_path",
    "kept_other",
    "line_key_miss",
    "lock_records",
    "mint_task_id",
    "more_locks",
    "named_ends",
    "names_a_loss",
    "no_glob",
    "normalize_path",
    "overlap_real",
    "owner_problem",
    "plain_path",
    "protect",
    "read_board",
    "read_readable",
    "read_value",
    "real_forms",
    "release_record",
    "restore",
    "same_area",
    "same_role",
    "setup_files",
    "split_paths",
    "stray_properties",
    "sunk_locks",
    "sunk_tasks",
    "unique_areas",
    "unknown_holders",
    "unlock_item",
    "unlock_records",
    "unlocks_since",
    "unusable_locks",
    "unusable_working_sets",
]

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
#: Characters of a task's title, a role or a tag at most.
MAX_TITLE = 200
MAX_WORD = 60
#: The longest path kept in a working set or lock, in characters.
MAX_PATH = 1000

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


def ended_locks_path(board: str) -> str:
    """Where this tool records, per machine, each lock it removed (``unlock``, a takeover):
    beside the kept copy, ``.ai/.locks/live/tasks.org.ended`` (ignored by git, as the kept
    copy is). A lock the board on disk holds again after that (git put an older board
    back) is no lock: :func:`ended_locks`."""
    return kept_board_path(board) + ".ended"


def lock_record(lock: AreaLock) -> str:
    """One lock as the record of ended locks names it: ``LOCKED_AT`` (else ``LOCKED``),
    owner and path, tab-separated, with backslash, tab and newline escaped."""
    when = lock.locked_at or (lock.locked.isoformat() if lock.locked else "")
    return "\t".join(_escape(part) for part in (when, lock.owner or "", lock.path))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def ended_locks(board: str) -> set[str]:
    """The locks this tool removed from the board ``board`` (:func:`lock_record` each),
    from its record (:func:`ended_locks_path`); empty when there is none or it cannot be
    read."""
    from ai_protocols.storage import files as storage

    try:
        data = storage.read_regular(ended_locks_path(board), 1 << 20)
    except (OSError, storage.NotRegular):
        return set()
    return set(data.decode("utf-8", "replace").split("\n")) - {""}


def record_ended_locks(board: str, locks: list[AreaLock]) -> None:
    """Add ``locks`` to the record of locks this tool removed (one line each, appended;
    the oldest half dropped past 256 KiB). Called under the board's lock, after the board
    without them is written. An error writing it is ignored: the record only lets a lock
    git put back be told from a lock of its own."""
    if not locks:
        return
    path = ended_locks_path(board)
    lines = "".join(lock_record(lock) + "\n" for lock in locks).encode("utf-8")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            if os.path.getsize(path) > 1 << 18:
                with open(path, "rb") as handle:
                    old = handle.read().split(b"\n")
                with open(path + ".new", "wb") as handle:
                    handle.write(b"\n".join(old[len(old) // 2:]))
                os.replace(path + ".new", path)
        except FileNotFoundError:
            pass
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, lines)
        finally:
            os.close(fd)
    except OSError:
        pass


def id_fault(text: str) -> str | None:
    """Why ``text``, an id a person typed on a task's ``:ID:`` line, cannot be a task's id,
    in words for a message (``it holds a space; ...``); ``None`` when it can. A task's id
    keeps the agent-id rule (:func:`~ai_protocols.paths.safe_id`: one word, no white
    space, control character, ``/``, ``(``, ``)`` or ``:``, at most 200 bytes in its
    file-name form: the log's notes name it in parentheses, and Org drops white space
    at a property's ends), shows as itself on a terminal (:func:`~ai_protocols.lean.display`:
    no invisible or format character) and is inert Org text (no zero-width escape of
    :func:`~ai_protocols.org.syntax.escape_inline` needed in a note that names it): a
    note that names it is then the very id, found by a search (docs/tasks.md, "Ids")."""
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.lean import display
    from ai_protocols.org.syntax import escape_inline, markup_in
    from ai_protocols.paths import safe_id

    try:
        safe_id(text)
    except InvalidAgentId as error:
        return error.reason.split("; an agent id", 1)[0] + \
            "; a task's id is one word: no white space, no '(', ')', ':' or '/'"
    if display(text) != text:
        return "it holds a character a terminal does not show as itself"
    if escape_inline(text) != text:
        return f"Org would read part of it as {markup_in(text) or 'markup'}"
    return None


def id_shown(text: str) -> str:
    """``text``, an id a person typed, as a log note names it: quoted, escaped by the
    one display rule (:func:`~ai_protocols.lean.quoted`, :func:`~ai_protocols.lean.display`),
    so that nothing invisible is written; or, when Org would read part of it as an
    object (which only a zero-width space could escape), ``a text not copied here``
    with what Org would read (:func:`~ai_protocols.org.syntax.markup_in`: ``a link, if
    Org knows a link type named as the word before its colon`` for ``x:y``), without
    it."""
    from ai_protocols.lean import display, quoted
    from ai_protocols.org.syntax import escape_inline, markup_in

    shown = quoted(display(text))
    if escape_inline(shown) == shown:
        return shown
    return f"a text not copied here (Org would read part of it as " \
           f"{markup_in(shown) or 'markup'})"


#: The log item of a task whose id a person changed (``Board._same_again``), that two
#: clones each gave an id (the merge's ``_adopt_ids``) or each changed to another (the
#: merge's ``_one_id``: the smaller kept), or whose change by hand a merge kept over a
#: later note that said otherwise (``_id_said``): the id it was, the id it has.
RETYPED = pattern(r"- \[[^]]*\] its id was (?:also )?(\S+) \((?:changed by hand to|"
                  r"(?:given|changed by hand) in another clone; a merge kept|"
                  r"a merge kept the change by hand to) (\S+)\): the same task$")

#: The log item of a task whose id git put back after a person had changed it
#: (``Board._same_again``): the id it has again, the id the person had typed.
PUT_BACK = pattern(r"- \[[^]]*\] its id is (\S+) again: git put back an older board \(it had "
                   r"been changed by hand to (\S+)\)$")


def renamed_to(doc: OrgFile, wanted: str, tasks: list[Task] | None = None) -> list[Task]:
    """The tasks of ``doc`` (read as ``tasks``) whose log says the id ``wanted`` (the
    whole id, or an end of it, as ``find_task`` reads one) was theirs and the id they
    have now is another: a person changed it (:data:`RETYPED`), two clones each gave
    one (the merge's note, :data:`RETYPED` too), or git put back the id a person had
    changed (:data:`PUT_BACK`): followed from its latest note back through the ids its
    notes say it had (a note whose id it has is one of those ids: two clones' ids a
    merge made one, an id changed twice), never through a note of an id it never had.
    The one rule that follows an id through such changes, for a command's id and a
    session's linked task alike (:func:`current_task`)."""
    found = []
    for task in tasks if tasks is not None else read_board(doc, check=False)[0]:
        had = {task.id}
        for text in reversed(own_log(doc, task.line)):
            match = RETYPED.match(text.strip())
            if match and match.group(2) in had:
                was = match.group(1)
            else:
                match = PUT_BACK.match(text.strip())
                if not (match and match.group(1) in had):
                    continue
                was = match.group(2)
            if was != task.id and (was == wanted or was.endswith(wanted)):
                found.append(task)
                break
            had.add(was)
    return found


def current_task(doc: OrgFile, tasks: list[Task], wanted: str,
                 linked_at: datetime | None = None) -> Task | None:
    """The task of ``tasks`` (read from ``doc``) whose id is ``wanted``, else the one
    task whose log says it was (:func:`renamed_to`, followed through a chain of such
    changes); ``None`` when none, or more than one, is. A session's link: the one rule
    of "the same task" (the notes the identity rule writes) before the bare id: when
    the task that has ``wanted`` got it by a change (its log's latest id note: ``its id
    was W (changed by hand to wanted)``, two ids swapped) and one other task's log says
    it had ``wanted``, a link made before that note (``linked_at``, the minute of the
    session's link, the note's minute included; ``None``: not known, taken as before)
    meant the other task, which is returned; a link made in a later minute meant the
    task with the id."""
    seen = {wanted}
    while True:
        exact = [t for t in tasks if t.id == wanted]
        if len(exact) == 1:
            came = _id_came(doc, exact[0])
            if came is not None and (linked_at is None or linked_at <= came):
                found = [t for t in renamed_to(doc, wanted, tasks) if t is not exact[0]]
                if len(found) == 1 and found[0].id:
                    return found[0]
        if exact:
            return exact[0] if len(exact) == 1 else None
        found = renamed_to(doc, wanted, tasks)
        if len(found) != 1 or found[0].id in seen or not found[0].id:
            return found[0] if len(found) == 1 else None
        wanted = found[0].id
        seen.add(wanted)


def linked_since(log: list[Entry], wanted: str) -> datetime | None:
    """When a session linked itself to the task ``wanted``: the time of the latest item
    of its Log (``log``) that ``start``/``log --task`` wrote for it (``task: ID
    TITLE``); ``None`` without one (:func:`current_task`'s ``linked_at``)."""
    for entry in reversed(log):
        if entry.text == f"task: {wanted}" or entry.text.startswith(f"task: {wanted} "):
            return entry.time
    return None


_NOTE_STAMP = pattern(r"- (\[[^]]*\])")  # (a log item's time stamp)


def _id_came(doc: OrgFile, task: Task) -> datetime | None:
    """When the task's id came to it by a change from another id, as its log's latest
    id note says (:data:`RETYPED`: a person's change, noted; the note's minute), else
    ``None``."""
    for text in reversed(own_log(doc, task.line)):
        match = RETYPED.match(text.strip())
        if match is None:
            continue
        if match.group(2) != task.id or match.group(1) == task.id:
            return None
        stamp = _NOTE_STAMP.match(text.strip())
        return parse_timestamp(stamp.group(1)) if stamp else None
    return None


def kept_other(board: str, kept: str, board_data: bytes | None = None) -> bytes | None:
    """The kept copy's bytes when the board on disk is not what this tool last wrote:
    other bytes (git, a person's editor or an agent's edit tool changed it since, by
    a rename or in place), or no board at all (``git stash -u`` of a board never
    committed, a branch from before the board: the oldest board of all, with nothing
    on it); ``None`` when the board holds the very bytes of the copy, or the copy is
    missing or unreadable, or the board cannot be read. ``board_data``: the board's
    bytes, when the caller has read them (else they are read here). A copy left as a
    hard link of the board (by a version before) says nothing: ``None``."""
    from ai_protocols.storage import files as storage

    try:
        there = os.stat(kept, follow_symlinks=False)
        copy = storage.read_regular(kept, 1 << 24)
    except (OSError, storage.NotRegular):
        return None
    if board_data is None:
        try:
            here = os.stat(board)
            if (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino):
                return None
            board_data = storage.read_regular(board, 1 << 24)
        except FileNotFoundError:
            return copy
        except (OSError, storage.NotRegular):
            return None
    return None if board_data == copy else copy


def lost_claims(old_tasks: list[Task], doc: OrgFile | None,
                tasks: list[Task], same: dict[str, Task] | None = None,
                moved: frozenset[str] | set[str] = frozenset(),
                board: str | None = None,
                deleted: list[Task] | None = None,
                kept: OrgFile | None = None) -> list[tuple[Task, bool]]:
    """The open claims of ``old_tasks`` (the board's kept copy) that the board on disk
    (``doc``, read as ``tasks``; ``None``: there is none) no longer holds, each with
    whether its task is gone from it: its task gone, or open and unclaimed on disk.
    Not when the claim's record (``OWNER``, ``CLAIMED``) is still on its task (a person
    closed and reopened it in Emacs) or the task is still on the board at another level
    (a person demoted it), or its id is in ``moved`` (the ids the board's Org archive
    holds: a person archived it): changed on purpose, not taken away by git. ``same``:
    the task on disk, by the kept copy's id, that is that task though a person deleted
    or retyped its ``:ID:`` line (``Board.same_tasks``): judged as that task. Whose agent
    is still at work is not judged here (``Board.lost`` does).

    Not either, given the ``board``'s path, when the board on disk is no older board
    but a newer one git brought (a pull, a merge, a rebase: a release, hand-off or
    ``done`` made in another clone): a commit of ``HEAD``'s history took the claim's
    ``CLAIMED_AT`` out of the board (:func:`changed_in_history`; git runs only then, in
    this rare case). A claim never committed cannot have been ended elsewhere: a newer
    log on its task (a merge's note) does not make the board that lost it newer. Given
    ``deleted``, each claim left out so whose whole task is gone from the board (deleted
    in another clone) is appended to it, for the readers to say so. ``kept``: the kept
    copy ``old_tasks`` were read from (its logs: :func:`ended_elsewhere`)."""
    same = same or {}
    by_id = {t.id: t for t in tasks if t.id}
    # Every headline's own properties, by ID.
    records = {h.properties.get("ID"): h.properties for h in doc.headlines
               if h.properties.get("ID")} if doc is not None else {}
    found = []
    for old in old_tasks:
        if not (old.id and old.owner and old.is_open) or old.id in moved:
            continue
        now = same.get(old.id) or by_id.get(old.id)  # (ids swapped: ``same`` decides)
        if now is not None and (now.owner or not now.is_open):
            continue
        record = records.get(old.id) if now is None or now.id == old.id else now.properties
        if record is not None and (now is None or (
                read_value(record.get("OWNER")) == old.owner and
                record.get("CLAIMED") == old.properties.get("CLAIMED"))):
            continue
        found.append((old, now is None, now))
    if board is not None and found:
        removed = ended_elsewhere(board, doc, [old for old, _, _ in found],
                                  [now for _, _, now in found], kept)
        if deleted is not None:
            deleted += [old for (old, gone, _), out in zip(found, removed, strict=True)
                        if out and gone]
        return [(old, gone) for (old, gone, _), out in zip(found, removed, strict=True)
                if not out]
    return [(old, gone) for old, gone, _ in found]


def lost_how(what: str, lock: bool = True) -> str:
    """How claims or locks of the last board ai-protocols wrote left the board on disk,
    when it cannot tell which (``what``: ``them``, ``it``): the one wording of the
    warning that says so, of the hook's refusal by such a lock and of the ``task
    release`` or ``unlock`` that ends one (git, or a person's edit outside
    ai-protocols, or, ``lock`` (what may be a lock), an unlock in another clone by an
    ai-protocols older than its unlock records: unlocked again, it stays so). Raises
    nothing."""
    return ("git stash, git checkout, git reset or a branch switch put an older board "
            f"back, or removed the board? or an edit outside ai-protocols took {what} out"
            + (", or, for a lock, an unlock in another clone by an ai-protocols older than "
               "its unlock records: unlock it again" if lock else ""))


def names_a_loss(text: str, me: str | None, suffix: str | None = None) -> bool:
    """Whether the board's ``text`` may hold a merge's log line naming a claim or lock of
    ``me`` it dropped (``merge: dropped ME's ``), or of its agent program's session under
    another work tree's id (ending with ``suffix``: :func:`~ai_protocols.paths.is_own`):
    one search or three (:func:`dropped_by_merge` reads them only then)."""
    if not me:
        return False
    return any(f"merge: dropped {form}'s " in text for form in owner_forms(me)) or (
        suffix is not None and f"{suffix}'s " in text and "merge: dropped " in text)


#: The reason a stale save's merge back gives for a claim it dropped because the save
#: closed the task (board/hidden.py, ``in_buffer``), where a git merge says "on the other
#: side".
CLOSED_IN_BUFFER = "made while the task was closed in an editor's buffer opened before it"

#: The merge's own log item of a claim or lock it dropped, whole (board/merge.py:
#: ``_log_dropped_claims``, ``_drop_overlaps``): the dropped one's stamp (its ``CLAIMED`` or
#: ``LOCKED``; none without one), whose it was, what (``claim``, or ``lock on PATH``), and
#: one of the merge's reasons (a claim made while the task was closed: on the other side
#: of a git merge, or in an editor's buffer opened before the claim whose save the tool
#: merged back, :data:`CLOSED_IN_BUFFER`). Only an item that is this whole line counts: the
#: same words inside another item (a hand-off's note) are a person's or an agent's text,
#: never the tool's record (docs/tasks.md, "Merging the board").
DROPPED = pattern(r"- (?:(\[[^]\n]*\]) )?merge: dropped (\S+)'s (claim|lock on (.*?)), "
                  r"(?:which came after \S+'s \(the earlier (?:claim|lock) stands\)|"
                  r"(made while the task was closed (?:on the other side|"
                  r"(in an editor's buffer opened before it)))|"
                  r"which overlaps this earlier one \(no two agents hold overlapping areas\))")


@record
class Drop:
    """A claim or lock of one agent that a git merge of the board dropped, as the merge's
    own log item (:data:`DROPPED`) says: ``path`` the lock's (``None``: a claim),
    ``closed`` whether the claim was made while the other clone closed the task, or a
    person in an editor's buffer opened before the claim (``buffer``: the save's merge
    back dropped it, no git merge), and ``stamp`` the dropped claim's or lock's time
    (``None`` without one)."""

    path: str | None
    closed: bool
    stamp: datetime | None
    buffer: bool = False


def merge_drops(doc: OrgFile, line: int, me: str, suffix: str | None = None) -> list[Drop]:
    """The merge's own items (:data:`DROPPED`, whole lines) in the log of the headline on
    ``line`` (from 1) of ``doc`` that name a claim or lock of ``me`` it dropped (``me``'s
    by :func:`~ai_protocols.paths.is_own` with ``suffix``), oldest first."""
    from ai_protocols.paths import is_own

    found = []
    for text in own_log(doc, line):
        said = DROPPED.fullmatch(text.strip())
        if said is not None and is_own(unescape_inline(said[2]), me, suffix):
            found.append(Drop(None if said[3] == "claim" else unescape_inline(said[4]),
                              said[5] is not None,
                              parse_timestamp(said[1]) if said[1] else None,
                              said[6] is not None))
    return found


def dropped_by_merge(doc: OrgFile, me: str | None, tasks: list[Task],
                     locks: list[AreaLock], suffix: str | None = None, *,
                     where: str | None = None) -> list[str]:
    """What the agent ``me`` must be told it lost to a git merge of the board
    (:mod:`ai_protocols.board.merge`: of two claims of one task, or two overlapping locks,
    made in two clones, the earlier stays and the later is dropped, with a log item
    ``merge: dropped ME's claim, ...`` under the task, ``merge: dropped ME's lock on
    PATH, ...`` under the lock that stays; a claim made while the other clone closed the
    task is dropped and logged so too): one sentence per claim or lock, naming it,
    whose it is now and what to do. Only the merge's own items count
    (:func:`merge_drops`), never the same words in a note. Said only while it still
    applies: a claim, while ``me`` has claimed no task since (:func:`_moved_on`) and
    the task is open and not ``me``'s, or, the merge having dropped it because the other
    clone closed the task, closed; a lock, while no lock of ``me``'s covers the path.
    ``[]`` at once (one search of the board's text) when the board names no loss of
    ``me``'s: no work on the hot paths. The words are plain text for a terminal;
    ``tasks`` and ``locks`` are the board's (:func:`read_board`). ``me``'s: by
    :func:`~ai_protocols.paths.is_own` with ``suffix`` (its agent program's session
    under another work tree's id too). ``where``: the board's folder, whose repository
    says whether git's merge was a rebase's (:func:`merged_how`)."""
    from ai_protocols.paths import is_own

    if not me or not names_a_loss(doc.text, me, suffix):
        return []
    said = []
    how = merged_how(where)
    for task in tasks:
        if is_own(task.owner, me, suffix):
            continue
        drop = next((d for d in merge_drops(doc, task.line, me, suffix) if d.path is None),
                    None)
        if drop is None:
            continue
        lost = f"your claim of task {task.id} ({task.title}) was dropped by {how}: "
        closed = "the task was closed in another clone while you held it"
        if drop.buffer:  # (no git merge: a stale save merged back, docs/tasks.md)
            lost = f"your claim of task {task.id} ({task.title}) was dropped by an " \
                f"editor's save of the board: "
            closed = "a person closed the task in a buffer opened before your claim"
        if _moved_on(tasks, me, drop, suffix):
            continue
        if not task.is_open:
            if not drop.closed:
                continue
            said.append(lost + f"{closed}, and "
                        "the close stands: stop working on it (the task is done or cancelled;"
                        " ask a person to reopen it if work remains) and take another "
                        "(ai-protocols task list --free)")
            continue
        lost += f"{closed} (it was reopened since); " if drop.closed else \
            "another agent claimed it first, and the earlier claim stood; "
        said.append(lost + (
            f"the task is {task.owner}'s now, not yours (task list --mine leaves it "
            f"out): stop working on it and take another (ai-protocols task list "
            f"--free), or ask {task.owner} to release it, then claim it again"
            if task.owner else
            f"it is free now, not yours: claim it again (ai-protocols task claim "
            f"{task.id}) before working on it"))
    for lock in locks:
        for drop in merge_drops(doc, lock.line, me, suffix):
            path = drop.path
            if path is None or is_own(lock.owner, me, suffix) or any(
                    is_own(mine.owner, me, suffix) and covers(mine.path, path)
                    for mine in locks):
                continue
            said.append(
                f"your lock on {path} was dropped by {how}: "
                f"{lock.owner or 'another agent'}'s lock on {lock.path}, taken first, stands; "
                f"your lock no longer protects those files, and your changes there are "
                f"inside {lock.owner or 'that'}'s lock (check reports them): leave them, "
                f"or lock the path again once it is unlocked (ai-protocols locks)")
    return said


def merged_how(where: str | None) -> str:
    """How the warning of a claim or lock a git merge of the board dropped
    (:func:`dropped_by_merge`) names that merge, by the repository around the folder
    ``where`` (:func:`~ai_protocols.git.head.rebase_merged`): ``a git merge of the
    board``; ``the git rebase under way (its merge of the board)`` while one is;
    ``a git rebase (its merge of the board)`` when ``HEAD``'s newest move but one's own
    commits ended one (``git pull --rebase``). A few ``stat`` calls and one small read;
    raises nothing."""
    from ai_protocols.git.head import rebase_merged

    done = rebase_merged(where) if where else None
    return {"under way": "the git rebase under way (its merge of the board)",
            "done": "a git rebase (its merge of the board)"}.get(
        done or "", "a git merge of the board")


def _moved_on(tasks: list[Task], me: str, drop: Drop, suffix: str | None = None) -> bool:
    """Whether ``me`` has claimed a task (any, open or closed since: its claim is the
    record) since the claim ``drop`` names was made: a claim of the dropped one's minute
    or later. The one rule that ends the warning of a claim a merge dropped, whoever
    holds the task now and whether it is open or closed (docs/tasks.md, "The loser is
    told"): an agent that has moved on needs it no more. Org's stamps count minutes, and
    an agent told takes another task at once, in that minute, far more often than it
    held two claimed in one minute. ``False`` for a drop without a time. ``me``'s: by
    :func:`~ai_protocols.paths.is_own` with ``suffix``."""
    from ai_protocols.paths import is_own

    return drop.stamp is not None and any(
        is_own(t.owner, me, suffix) and t.claimed is not None and t.claimed >= drop.stamp
        for t in tasks)


def _has_more(there: list[str], kept: list[str]) -> bool:
    """Whether ``there`` holds a line (counted as many times as it is there) that
    ``kept`` lacks."""
    rest = list(kept)
    for text in there:
        if text not in rest:
            return True
        rest.remove(text)
    return False


#: The words of the item ``unlock`` writes into the Locks section's own text, naming the
#: lock it ended (its ``LOCKED_AT``): the record that tells its end, brought by git from
#: another clone or branch, from a lock an edit took out (:func:`ended_elsewhere`).
UNLOCKED_BY = "unlocked by "
#: The words of the tool's items in a task's log that end a claim (:func:`ended_elsewhere`).
_CLAIM_ENDS = ("released by ", "handed off by ", "done by ", "cancelled by ", "reopened by ")


def ending_commands(paths: list[str], ids: list[str], most: int = 3) -> list[str]:
    """The commands, quoted as a person pastes them, that end for good the locks on
    ``paths`` (``'ai-protocols unlock PATH --force'``) and the claims of the tasks
    ``ids`` (``'ai-protocols task release ID --force'``), at most ``most`` of each: an
    edit that takes a live agent's lock or claim off the board is put back (lost) or
    merged back (a stale save: the two cannot be told apart), so these are what works.
    The one text of that advice (the lost ones' warning, a stale save's). Raises
    nothing."""
    from ai_protocols.lean import shell_quote

    return [f"'ai-protocols unlock {shell_quote(path)} --force'" for path in paths[:most]] + \
        [f"'ai-protocols task release {shell_quote(ident)} --force'" for ident in ids[:most]]


def release_record(me: str, task: Task) -> str:
    """The text of the item ``task release ID --force`` writes into the log of ``task``
    whose claim (its record ``CLAIMED_AT``, owner ``OWNER``, as ``HEAD``'s history held
    it: :func:`~ai_protocols.board.hidden.deleted_claim`) a person deleted by hand: a
    ``released by`` item (:data:`_CLAIM_ENDS`) that names the record, as ``unlock``'s
    item names a lock's (:func:`unlock_item`), so that every clone reads the claim as
    ended by its text alone (:func:`named_ends`), whatever step took the record out."""
    return (f"released by {me}, who was not its holder: {holder_name(task.owner)}'s claim "
            f"had been deleted by hand (CLAIMED_AT {task.claimed_at})")


def named_ends(data: bytes) -> set[bytes]:
    """The claims' records (``CLAIMED_AT`` values, as bytes) that an item ending a claim
    in the board ``data`` names (:func:`release_record`: ``- [T] released by B, ...
    (CLAIMED_AT R)``): claims ended for good by ``task release ID --force`` after a
    person deleted them by hand. A person's note is no such item (it is no line of the
    tool's form, :data:`TOOL_ITEM`, ending a claim). Linear in the lines; raises
    nothing."""
    found = set()
    for raw in data.splitlines():
        line = raw.strip()
        if not line.endswith(b")") or b"(CLAIMED_AT " not in line:
            continue
        stamp = TOOL_ITEM.match(line.decode("utf-8", "replace"))
        if stamp is None or not line.decode("utf-8", "replace")[stamp.end(1) + 1:].startswith(
                _CLAIM_ENDS):
            continue
        found.add(line.rsplit(b"(CLAIMED_AT ", 1)[1][:-1].strip())
    return found


def unlock_item(me: str, lock: AreaLock) -> str:
    """The text of the item ``unlock`` writes into the Locks section's own text for
    ``lock`` (:data:`UNLOCKED_BY`), made inert where the item is written."""
    record = f"LOCKED_AT {lock.locked_at}" if lock.locked_at else "no LOCKED_AT"
    return f"{UNLOCKED_BY}{me}: {lock.path}, {lock.owner or '(no owner)'}'s lock ({record})"


def unlocks_since(board: bytes, before: bytes) -> set[bytes]:
    """The records (``LOCKED_AT`` values, as bytes) of the locks ``before`` holds and
    ``board`` does not that an item ``unlock`` wrote in ``board`` and not in ``before``
    names: the locks that the step from ``before`` to ``board`` ended by ``unlock``
    (:func:`~ai_protocols.board.hidden.unlocked_since`; and, for the commit of git's
    history that took a lock out, :func:`ended_in_history`: a person may delete the
    inert item later). Linear in the lines; raises nothing."""
    ended = lock_records(before) - lock_records(board)
    said = f"] {UNLOCKED_BY}".encode()
    known = set(before.splitlines())
    return {named for named in (
        line.strip().rsplit(b"(LOCKED_AT ", 1)[-1][:-1].strip()
        for line in board.splitlines()
        if line not in known and said in line and line.strip().endswith(b")"))
        if named in ended} if ended else set()


def lock_records(data: bytes) -> set[bytes]:
    """The records (``LOCKED_AT`` values, as bytes) of the locks the board ``data``
    holds: each ``:LOCKED_AT:`` property line's value. Linear in the lines; raises
    nothing."""
    return {line.strip().split(b":", 2)[2].strip() for line in data.splitlines()
            if line.strip().startswith(b":LOCKED_AT:")}


def ended_elsewhere(board: str, doc: OrgFile | None, held: list[Task] | list[AreaLock],
                    nows: list[Task | None] | None = None,
                    kept: OrgFile | None = None) -> list[bool]:
    """For each of ``held`` (claims of the kept copy's tasks, or locks, that the board on
    disk ``doc`` at ``board`` lacks; ``nows``: each claim's task on that board, ``None``
    when it is gone; ``kept``: the kept copy the claims were read from), whether that
    is an end made by ai-protocols elsewhere (in another clone, or a work tree's
    branch, and brought by git), not a loss (the one rule of every reader:
    ``Board.lost``, ``check``, the PreToolUse hook). One rule for both kinds: the step
    from a board that held it to one that lacks it wrote the tool's record of its end
    (:func:`ended_since`):

    - the step from the kept copy ``kept`` to the board on disk, for a claim with its
      record (``CLAIMED_AT``) whose task is on the board (its log there holds more of
      the tool's items ending a claim than the kept copy's: no clock is read, so the
      zones of the clones that wrote them do not count); for a lock with its record
      (``LOCKED_AT``), the Locks section's own text holds the item every ``unlock``
      writes naming that record (:func:`unlock_item`);
    - else (that record deleted since: a person tidying the log or the section), the
      commit of ``HEAD``'s history that took the claim's or lock's record out
      (:func:`ended_in_history`: git runs only then);
    - any other (a task gone from the board, a claim or lock written by hand without
      its record): when a commit of ``HEAD``'s history took it out
      (:func:`changed_in_history`: git runs only then).

    So an edit that took a live agent's claim or lock out of a copy of the board (an
    editor, an agent's edit tool), merged or fast-forwarded with its branch, is no end:
    the claim or lock is lost, still enforced and put back while its agent is at work
    (docs/tasks.md, "A newer board git brought is kept"). Raises nothing."""
    nows = nows if nows is not None else [None] * len(held)
    unlocked = {record.locked_at for record in unlock_records(doc)} if doc is not None \
        else set()
    answers: list[bool | None] = []
    for item, now in zip(held, nows, strict=True):
        if isinstance(item, Task) and item.claimed_at and now is not None and \
                doc is not None and now.line:
            answers.append(True if item.claimed_at.encode() in named_ends(
                "\n".join(log_items(doc, now.line)).encode()) or (
                kept is not None and item.line and _claim_ends_between(
                    doc, now.line, kept, item.line)) else None)
        elif isinstance(item, AreaLock) and item.locked_at:
            answers.append(True if item.locked_at in unlocked else None)
        else:
            answers.append(None)
    recorded = [item for item, now, answer in zip(held, nows, answers, strict=True)
                if answer is None and _record_of(item) and
                (isinstance(item, AreaLock) or now is not None)]
    rest = [item for item, answer in zip(held, answers, strict=True)
            if answer is None and item not in recorded]
    ends = iter(ended_in_history(board, recorded) if recorded else [])
    history = iter(changed_in_history(board, rest) if rest else [])  # type: ignore[arg-type]
    return [answer if answer is not None else
            next(ends) if item in recorded else next(history)
            for item, answer in zip(held, answers, strict=True)]


def _claim_ends(doc: OrgFile, line: int) -> list[str]:
    """The tool's items ending a claim (:data:`_CLAIM_ENDS`), as written, in the log of
    the task on ``line`` (from 1) of ``doc``."""
    return [item for item in log_items(doc, line)
            if item.split("] ", 1)[-1].startswith(_CLAIM_ENDS)]


def _claim_ends_between(after: OrgFile, line: int, before: OrgFile, was: int) -> bool:
    """Whether the log of the task on ``line`` of ``after`` holds an item ending a claim
    (counted as many times as it is there) that the task's log on ``was`` of ``before``
    lacks: the step from ``before`` (which held the claim) to ``after`` wrote one.
    Order and stamps are not read (an item's Org stamp is its writer's local time,
    without a zone: docs/decisions.md, "a claim's end, in history and across
    zones")."""
    return _has_more(_claim_ends(after, line), _claim_ends(before, was))


def ended_since(after: bytes, before: bytes, held: Task | AreaLock) -> bool:
    """Whether the step from the board ``before`` (which holds ``held``'s record) to the
    board ``after`` ended ``held`` by ai-protocols: it took the record out and wrote
    the tool's record of the end. For a lock, the item ``unlock`` writes naming its
    ``LOCKED_AT`` (:func:`unlocks_since`); for a claim, its task (by ``ID``) is on
    both, with its ``CLAIMED_AT`` before and not after, and its log gained an item
    ending a claim (``released by``, ``handed off by``, ``done by``...:
    :func:`_claim_ends_between`).
    The one rule of a claim's or lock's end in a step of git's history
    (:func:`ended_in_history`) and from the kept copy (:func:`ended_elsewhere`).
    Raises nothing (boards that cannot be read: ``False``)."""
    if isinstance(held, AreaLock):
        return (held.locked_at or "").encode() in unlocks_since(after, before)
    if not held.id:
        return False
    try:
        docs = [BoardFile(data.decode("utf-8")) for data in (after, before)]
        now, was = (next((t for t in read_board(d, check=False)[0] if t.id == held.id), None)
                    for d in docs)
    except (UnicodeDecodeError, ValueError):
        return False
    return now is not None and was is not None and was.claimed_at == held.claimed_at and \
        now.claimed_at != held.claimed_at and \
        _claim_ends_between(docs[0], now.line, docs[1], was.line)


def ended_in_history(board: str, held: list[Task] | list[AreaLock]) -> list[bool]:
    """For each of ``held`` (claims or locks, each with its record: ``CLAIMED_AT``,
    ``LOCKED_AT``), one the board at ``board`` lacks and whose end the board does not
    tell (the tool's record of it deleted since: a person tidying a log or the Locks
    section), whether the newest commit of ``HEAD``'s history that changed how often
    the board holds its record's property (``CLAIMED_AT: R``, ``LOCKED_AT: R``, found
    by :func:`~ai_protocols.git.state.recorded_in_history`: the commit that took it
    out) ended it against its parent (:func:`ended_since`, the one rule): an end made
    elsewhere and brought by git. One a stale save or a person's edit took out (that
    commit writes no such record), or one ``HEAD``'s board still holds, is no end:
    ``False``; so without git. Git's order, not the stamps' wall-clock times, decides.
    Git runs: one ``git log`` per item, two reads of the board per commit found; only
    for what a board lost (docs/tasks.md, "A newer board git brought is kept")."""
    from ai_protocols.git.history import file_at, recorded_in_history

    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    answers = []
    for item in held:
        name = "CLAIMED_AT" if isinstance(item, Task) else "LOCKED_AT"
        record = _record_of(item)
        commit = recorded_in_history(root, path, f"{name}: {record}") if record else None
        after = file_at(root, commit, path) if commit else None
        before = file_at(root, f"{commit}^", path) if after is not None else None
        answers.append((before is not None and after is not None and
                        ended_since(after, before, item)) or
                       (bool(record) and _named_in_history(root, path, record,
                                                           isinstance(item, AreaLock))))
    return answers


def _named_in_history(root: str, path: str, record: str, lock: bool = False) -> bool:
    """Whether ``HEAD``'s history ended the claim whose ``CLAIMED_AT`` is ``record`` by
    the item :func:`release_record` (``task release ID --force`` of a claim a person
    deleted by hand: the commit that took the record out wrote no end), or (``lock``)
    the lock whose ``LOCKED_AT`` it is by ``unlock``'s item (:func:`named_unlocks`):
    the newest
    commit that changed how often the board holds ``(CLAIMED_AT R)`` (added the item,
    or a person's tidying took it out: its parent then holds it) holds, or its parent
    holds, such an item naming it (:func:`named_ends`). One ``git log``, up to two
    reads; raises nothing."""
    from ai_protocols.git.history import file_at, recorded_in_history

    commit = recorded_in_history(root, path, f"({'LOCKED' if lock else 'CLAIMED'}_AT {record})")
    if commit is None:
        return False
    return any(data is not None and record.encode() in (
        named_unlocks(data) if lock else named_ends(data))
        for data in (file_at(root, commit, path), file_at(root, f"{commit}^", path)))


def named_unlocks(data: bytes) -> set[bytes]:
    """The locks' records (``LOCKED_AT`` values, as bytes) that an item ``unlock`` wrote
    (:func:`unlock_item`) in the board ``data`` names: as :func:`named_ends` for
    claims, so that a lock a person deleted by hand and ``unlock PATH --force`` ended
    (or ended once put back) stays ended whatever step took its record out
    (:func:`_named_in_history`). Linear in the lines; raises nothing."""
    said = f"] {UNLOCKED_BY}".encode()
    return {line.strip().rsplit(b"(LOCKED_AT ", 1)[1][:-1].strip()
            for line in data.splitlines()
            if said in line and line.strip().endswith(b")") and b"(LOCKED_AT " in line}


@record(frozen=True)
class UnlockRecord:
    """One item :func:`unlock_item` wrote in the Locks section's own text: its line
    (index into ``doc.lines``), when it was written (its stamp, local time to the
    minute; ``None`` when it cannot be read), the lock's holder (``None``: ``(no
    owner)``) and the lock's ``LOCKED_AT`` (``None``: ``no LOCKED_AT``)."""

    line: int
    stamped: datetime | None
    holder: str | None
    locked_at: str | None


def unlock_records(doc: OrgFile) -> list[UnlockRecord]:
    """The items :func:`unlock_item` wrote in the Locks section's own text of ``doc``,
    each on one line (``- [T] unlocked by B: PATH, A's lock (LOCKED_AT R)``, read as
    typed: :class:`UnlockRecord`), in the board's order; an item of several lines (an
    example block) or one a person reworded is not among them. The one reader of those
    items: the board's pruning of them, and :func:`ended_elsewhere` (a lock ended by
    ``unlock`` elsewhere). Raises nothing."""
    section = locks_section(doc)
    if section is None:
        return []
    top = doc.headlines[section]
    found = []
    for index, raw in enumerate(doc.lines_between(top.body_start, top.body_end),
                                top.body_start):
        line = unescape_inline(raw.strip())
        if not line.startswith("- [") or "] " + UNLOCKED_BY not in line or \
                not line.endswith(")"):
            continue
        head, _, rest = line.partition("] " + UNLOCKED_BY)
        whose, lock, record_text = rest[:-1].rpartition("'s lock (")
        holder = whose.rpartition(", ")[2] if lock else ""
        if not holder or not (record_text == "no LOCKED_AT" or
                              record_text.startswith("LOCKED_AT ")):
            continue
        found.append(UnlockRecord(
            index, parse_timestamp(head[2:] + "]"),
            None if holder == "(no owner)" else holder,
            record_text.removeprefix("LOCKED_AT ") if record_text != "no LOCKED_AT"
            else None))
    return found


def changed_in_history(board: str, held: list[Task] | list[AreaLock]) -> list[bool]:
    """For each of ``held`` (claims of the kept copy's tasks, or locks), whether a commit
    of ``HEAD``'s history took it off the board at ``board`` while ``HEAD``'s board lacks
    it: an end made in another clone and brought by git (a pull, a merge, a rebase),
    which stays; not an older board put back (``git stash``, ``checkout``, ``reset``, a
    branch switch). Known by its record (a claim's ``CLAIMED_AT``, a lock's
    ``LOCKED_AT``: made once, each unique:
    :func:`~ai_protocols.git.state.removed_in_history`); one a person wrote by hand
    without it, by what it is (:func:`~ai_protocols.git.state.held_in_history`): a claim,
    its task's ``ID`` with the same ``OWNER`` and ``CLAIMED``; a lock, its ``PATH`` with
    the same ``OWNER`` and ``LOCKED``; the commits looked at are those that changed how
    often the board names its owner. All ``False`` without git. Runs git: only for the
    claims and locks a board lost."""
    from ai_protocols.git.history import held_in_history, removed_in_history

    if not held:
        return []
    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    records = [_record_of(item) for item in held]
    removed = removed_in_history(root, path, [record for record in records if record])
    return [(record in removed) if record else
            bool(item.owner) and held_in_history(root, path, board_value(item.owner) or "",
                                                 _holder_of(item))
            for item, record in zip(held, records, strict=True)]


def on_other_branch(board: str, held: list[Task] | list[AreaLock]) -> list[str | None]:
    """For each of ``held`` (claims of the kept copy's tasks that the board at ``board``
    lost; locks are judged so too when given), the local branch other than ``HEAD``'s
    whose tip's board holds it, committed (its record, ``CLAIMED_AT`` or ``LOCKED_AT``:
    :func:`~ai_protocols.git.state.held_on_branches`), else ``None``. One a branch holds
    was taken away by a switch off that branch: it is that branch's (its task is there,
    with it), not put back on this branch's board (docs/tasks.md, "When git puts an older
    board back"). All ``None`` without git or a record. Runs git: only for what a board
    lost."""
    from ai_protocols.git.history import held_on_branches

    records = [_record_of(item) for item in held]
    if not any(records):
        return [None] * len(held)
    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    where = held_on_branches(root, path, [r for r in records if r])
    return [where.get(r) if r else None for r in records]


def _record_of(item: Task | AreaLock) -> str:
    """A claim's ``CLAIMED_AT`` or a lock's ``LOCKED_AT``; ``""`` when it has none."""
    return (item.claimed_at if isinstance(item, Task) else item.locked_at) or ""


def _holder_of(item: Task | AreaLock) -> Callable[[str], bool]:
    """What tells whether a version of the board (its text) holds ``item``, a claim or
    lock without its record: a task of ``item``'s ``ID`` with its ``OWNER`` and
    ``CLAIMED`` (as written); a lock on its ``PATH`` with its ``OWNER`` and ``LOCKED``."""
    def holds(text: str) -> bool:
        try:
            tasks, locks = read_board(BoardFile(text), check=False)
        except ValueError:
            return False
        if isinstance(item, Task):
            return any(t.id == item.id and t.owner == item.owner and
                       t.properties.get("CLAIMED") == item.properties.get("CLAIMED")
                       for t in tasks)
        return any(h.path == item.path and h.owner == item.owner and h.locked == item.locked
                   for h in locks)

    return holds


def own_log(doc: OrgFile, line: int) -> list[str]:
    """The lines of the task's own text on ``line`` (from 1) of ``doc``, after its drawer
    and before any sub-headline (its log), without their line ends, blank ones aside."""
    headline = doc.find(line - 1)
    lines = [text.rstrip("\r\n") for text in doc.lines[headline.body_start:headline.body_end]]
    return [text for text in lines if text.strip()]


#: The form of the tool's own log items on a task, one rule (:func:`log_items`): ``- ``,
#: an Org timestamp in brackets, and the words each of the tool's writes begins its item
#: with (``board.py``: ``added by``, ``claimed by``, ``released by``, ``done by``...;
#: ``Board._same_again``'s ``its id was``/``is``; the merge's ``merge: ...``). A note a
#: person types in Org's timestamped form (``- `` then ``C-c !``: ``- [2026-12-01 Tue
#: 16:53] my note``) has the stamp but not the words: it is no item of the tool's.
TOOL_ITEM = pattern(r"- (\[[^]\n]*\]) (?:(?:added|claimed|released|done|cancelled|reopened"
                    r"|edited|handed off) by |claim (?:renewed by|taken by|carried over from) "
                    r"|took it over: |its id (?:was|is) |merge: )")


def log_items(doc: OrgFile, line: int) -> list[str]:
    """The log items of the task on ``line`` (from 1) of ``doc``: the lines of its own
    text (:func:`own_log`) that are the tool's items (:data:`TOOL_ITEM`: its stamp an
    Org timestamp), stripped; a person's lines (a note typed under the task, in Org's
    timestamped form too) left out."""
    found = []
    for text in own_log(doc, line):
        item = text.strip()
        stamp = TOOL_ITEM.match(item)
        if stamp is not None and parse_timestamp(stamp.group(1)) is not None:
            found.append(item)
    return found


def undone_ends(old_doc: OrgFile, old_tasks: list[Task], doc: OrgFile | None,
                tasks: list[Task], same: dict[str, Task] | None = None) -> list[Task]:
    """The tasks of the kept copy (``old_doc``, read as ``old_tasks``) whose last change
    by this tool to their claim or state the board on disk (``doc``, read as ``tasks``)
    lost: on disk the task holds a claim that stands (open, with an ``OWNER``) which the
    kept copy's task does not (it was closed, released, handed off or taken over since),
    or it is open, unclaimed, where the kept copy's is closed (a ``task done`` of a task
    nobody claimed), and the task on disk is an older version of the kept copy's: every
    item of its log (:func:`log_items`: the tool's own items; a note a person typed
    under it in the stale buffer, timestamped or not, is no item) is in the kept copy's, which has
    more (the log items of that change).
    So ``git checkout``/``stash``/``reset``, or an editor's buffer opened before the
    change and saved after it, undid a ``task done``, ``release``, ``handoff`` or a
    takeover. A person's change in Emacs after the tool's write (a task reopened)
    keeps the tool's log lines: not counted. ``same``: as for :func:`lost_claims`.
    Returns the kept copy's tasks."""
    if doc is None:
        return []
    same = same or {}
    by_id = {t.id: t for t in tasks if t.id}
    found = []
    for old in old_tasks:
        now = same.get(old.id) if old.id else None  # (ids swapped: ``same`` decides)
        now = now or (by_id.get(old.id) if old.id else None)
        if now is None or not now.is_open or not (now.owner or not old.is_open):
            continue  # (open on disk: claimed, or unclaimed where the kept copy closed it)
        if old.is_open and old.owner == now.owner and \
                old.properties.get("CLAIMED") == now.properties.get("CLAIMED") and \
                old.claimed_at == now.claimed_at:
            continue  # the same claim on both
        kept, there = log_items(old_doc, old.line), log_items(doc, now.line)
        if len(kept) > len(there) and not _has_more(there, kept):
            found.append(old)
    return found


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


def read_readable(path: str, data: bytes | None = None
                  ) -> tuple[BoardFile | None, list[Task], list[AreaLock], str | None]:
    """What can be read of the board at ``path`` (``data``: its bytes, when the caller
    has read them) for a reader that only informs (``resume``, the SessionStart
    context, ``wrap-up``'s reminder), as ``check`` reads it (docs/tasks.md, "A board
    that cannot be read"): its document, tasks and locks, and ``None``; or, when it
    cannot be read (not UTF-8, a NUL, a symbolic link, git's conflict markers), those of
    its kept copy (:func:`kept_board_path`, the last board this tool wrote; ``None``
    and no tasks or locks without one), and why, in words that say what to do; a board
    whose drawer stands after a person's note (:class:`MisplacedDrawer`, which every
    board change refuses) is read where it stands, and that is said. ``(None, [], [],
    None)`` without a board. Raises nothing of the board's."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    try:
        if data is None:
            data = storage.read_bytes(path)
        if not data:
            return None, [], [], None
        doc = BoardFile(board_text_of(path, data))
    except AiProtocolsError as error:
        why = why_unreadable(error)
        kept = kept_board_path(path)
        copy = kept_board_bytes(kept)
        try:
            if copy is None:
                raise ValueError(kept)
            kept_doc = BoardFile(copy.decode("utf-8", "replace"))
            tasks, locks = read_board(kept_doc, check=False)
        except ValueError:
            return None, [], [], (f"the task board {path} cannot be read ({why}), and it "
                                  "has no kept copy here: your claims and locks cannot be "
                                  "named until it is fixed")
        return kept_doc, tasks, locks, (
            f"the task board {path} cannot be read ({why}): your claims and locks here are "
            f"those of its kept copy {kept}, the last board ai-protocols wrote")
    try:
        tasks, locks = read_board(doc, path)  # type: ignore[arg-type]
        return doc, tasks, locks, None
    except MisplacedDrawer as error:
        said = str(error).removesuffix("; nothing was changed")
        tasks, locks = read_board(doc, check=False)
        return doc, tasks, locks, (f"{said}; until then every change of the board is refused "
                                   "(your claims and locks here are read with that drawer "
                                   "where it stands)")


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


#: Open states no claim leaves a task in: a claimant's ``OWNER`` on a task in one of
#: them is the record of a claim a person ended (reopened, or moved back by hand).
_FREE_STATES = ("TODO", "NEXT")


def claim_void(doc: OrgFile, h: Headline, properties: dict[str, str],
               closed_states: frozenset[str] = frozenset(CLOSED_STATES)) -> str | None:
    """Why the claim recorded in ``properties`` (an open task's, headline ``h`` of
    ``doc``) counts for nothing, in words; ``None`` when it stands (or there is none to
    judge). The one rule of every reader (:func:`read_board` reads such a task as free)
    and of ``task claim``, which checks its own write by it before saying it won
    (docs/tasks.md, "A task reopened so"):

    - a ``CLOSED_AT``: the tool closed it, then it was reopened: ``OWNER`` is the record
      of who closed it;
    - an ``OWNER`` on a task in ``TODO`` or ``NEXT``, states no claim leaves a task in
      (a person ended the claim: reopened it, or moved it back);
    - Org's own record of a close at or after the claim (:func:`_closed_since`).

    ``closed_states``: the board's done states. Raises nothing."""
    if h.todo in closed_states:
        return None
    if properties.get("CLOSED_AT"):
        return "it was closed by ai-protocols and then reopened (its CLOSED_AT)"
    if not properties.get("OWNER"):
        return None
    if h.todo in _FREE_STATES:
        return f"it is {h.todo}, a state no claim leaves a task in"
    if claim_named_ended(doc, h, properties):
        return ("its log holds the item that ended it for good (task release --force, "
                f"naming its CLAIMED_AT {properties['CLAIMED_AT']})")
    return _closed_since(doc, h, properties.get("CLAIMED"), closed_states)


def claim_named_ended(doc: OrgFile, h: Headline, properties: dict[str, str]) -> bool:
    """Whether the claim recorded in ``properties`` (headline ``h``'s task of ``doc``)
    is one whose end the task's own log names: an item ending a claim that names its
    ``CLAIMED_AT`` (:func:`release_record`, written by ``task release ID --force`` of a
    claim a person deleted by hand). Such a claim back on the board (its owner's clone
    put it back before it saw the end, and git merged both) is ended in every clone:
    the end and the claim are on one board, and the record is one claim's alone. Only
    a claimed task's log is read; raises nothing."""
    record = properties.get("CLAIMED_AT")
    if not record or f"(CLAIMED_AT {record})" not in "".join(
            doc.lines[h.body_start:h.body_end]):
        return False
    return record.encode() in named_ends("\n".join(log_items(doc, h.line + 1)).encode())


def named_unlocked(doc: OrgFile) -> set[str]:
    """The records (``LOCKED_AT`` values) that the items ``unlock`` wrote in the Locks
    section's own text of ``doc`` name (:func:`unlock_records`): locks ended by
    ``unlock`` (or ``unlock PATH --force`` of one a person deleted by hand). A lock
    with such a record still on the board (its owner's clone put it back before it saw
    the end, and git merged both) is ended in every clone (:func:`read_board` leaves it
    out). Raises nothing."""
    return {record.locked_at for record in unlock_records(doc) if record.locked_at}


def _closed_since(doc: OrgFile, h: Headline, claimed: str | None,
                  closed_states: frozenset[str] = frozenset(CLOSED_STATES)) -> str | None:
    """Where Org recorded a close of headline ``h``'s task at or after ``claimed`` (or
    any close, when there is no claim time), in words; ``None`` when it recorded none:
    its ``CLOSED: [T]`` planning line (Org Manual, "Closing items"), or a note in its own
    section, in a ``LOGBOOK`` drawer or not, of a change into ``DONE`` or ``CANCELLED``
    (``- State "DONE" from "DOING" [T]``, ``org-log-note-headings``' default for
    ``state``; Org Manual, "Tracking TODO state changes") or a closing note (``- CLOSING
    NOTE [T]``, its ``done`` heading). Headings a person customised are not recognised.

    Org's times are to the minute. A ``CLOSED:`` line in the claim's minute counts
    (``org-todo`` removes it on a reopen, so on a claimed task it is a close after
    the claim); a note in the claim's minute does not: notes stay after a reopen, and
    an agent may claim a task in the minute a person reopened it."""
    taken = parse_timestamp(claimed or "")
    for closed, planning, index in _close_records(doc, h, closed_states):
        if taken is None or closed > taken or (planning and closed == taken):
            what = "planning line CLOSED:" if planning else "note of a close"
            return (f"Org's {what} on line {index + 1} says it was closed at "
                    f"{format_timestamp(closed)}, " + ("after the claim" if taken is not None
                                                      else "and it has no claim time"))
    return None


def _close_records(doc: OrgFile, h: Headline,
                   closed_states: frozenset[str]) -> list[tuple[datetime, bool, int]]:
    """The times Org recorded closes of headline ``h`` (see :func:`_closed_since`), each
    with whether it is the planning line's, and its line's index."""
    found = []
    lines = doc.lines_between(h.line + 1, h.body_end)
    if lines and "CLOSED:" in lines[0]:
        found.append((_stamp_in(lines[0], lines[0].find("CLOSED:")), True, h.line + 1))
    for number, line in enumerate(lines, start=h.line + 1):
        text = line.strip()
        if text.startswith('- State "'):
            state = text[9:text.find('"', 9)]
            if state in closed_states:
                found.append((_stamp_in(text, text.find('"', 9)), False, number))
        elif text.startswith("- CLOSING NOTE ["):
            found.append((_stamp_in(text, 0), False, number))
    return [(t, planning, n) for t, planning, n in found if t is not None]


def _stamp_in(text: str, after: int) -> datetime | None:
    """The inactive timestamp that opens after position ``after`` of ``text``."""
    start = text.find("[", after)
    end = text.find("]", start)
    return parse_timestamp(text[start:end + 1]) if start >= 0 and end > start else None


def read_board(doc: OrgFile, path: Path | None = None, *,
               check: bool = True) -> tuple[list[Task], list[AreaLock]]:
    """The tasks and locks of the board ``doc``, in file order.
    :class:`~ai_protocols.errors.MisplacedDrawer` (:func:`check_drawers`, unless not
    ``check``) when a task's drawer stands where Org does not read it; ``path`` names
    the board in it. Not ``check`` (a reader that writes nothing: the guard, the hook):
    such a drawer is read where it stands (:func:`stray_properties`).

    Read once per version of ``doc``: the result is kept on ``doc`` until an edit
    changes it (every edit makes ``doc.headlines`` anew: :meth:`OrgFile._renumber`), so
    the many readers of one command share one reading; each call gets lists of its own
    (the tasks and locks themselves are shared: no reader changes them)."""
    memo = doc.__dict__.get("_board_read")
    if memo is None or memo[0] is not doc.headlines:
        memo = doc.__dict__["_board_read"] = (doc.headlines, {})
    key = (check, doc.__dict__.get("read_done"))
    found = memo[1].get(key)
    if found is None:
        found = memo[1][key] = _read_board(doc, path, check=check)
    return list(found[0]), list(found[1])


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


def _read_board(doc: OrgFile, path: Path | None, *,
                check: bool) -> tuple[list[Task], list[AreaLock]]:
    """:func:`read_board`, read afresh."""
    if check:
        check_drawers(doc, path)
    tasks = []
    closed_states = done_states(doc)
    for index in task_headlines(doc):
        h = doc.headlines[index]
        p = h.properties if check else stray_properties(doc, index)
        if claim_void(doc, h, p, closed_states) is not None:
            # Closed, then reopened by a person (its state back to TODO): OWNER is the
            # record of who closed it, not a claim; the task is free. The same whichever
            # way it was closed (Emacs's org-todo writes no CLOSED_AT): a claim stands
            # only on a DOING or REVIEW task (what claim and handoff leave) that Org's
            # CLOSED: planning line does not say was closed at or after the claim.
            p = {k: v for k, v in p.items() if k not in ("OWNER", "OWNER_PROCESS", "CLAIMED",
                                                          "CLAIMED_AT", "CLOSED_AT",
                                                          "CHECKPOINT")}
        tasks.append(Task(
            id=p.get("ID") or None, title=unescape_inline(h.raw_title), state=h.todo,
            tags=h.tags, role=read_value(p.get("ROLE")),
            working_set=split_paths(p.get("WORKING_SET", "")),
            owner=read_value(p.get("OWNER")), owner_process=p.get("OWNER_PROCESS") or None,
            claimed=parse_timestamp(p.get("CLAIMED", "")),
            claimed_at=p.get("CLAIMED_AT") or None,
            created=parse_timestamp(p.get("CREATED", "")),
            closed=parse_timestamp(p.get("CLOSED_AT", "")),
            checkpoint=read_value(p.get("CHECKPOINT")), line=h.line + 1, properties=p,
            closed_states=closed_states, commented=h.commented))
    locks = []
    section = locks_section(doc)
    if section is not None:
        top = doc.headlines[section]
        unlocked = named_unlocked(doc)
        for index in range(section + 1, len(doc.headlines)):
            h = doc.headlines[index]
            if h.line >= top.subtree_end:
                break
            p = h.properties if check else stray_properties(doc, index)
            if h.level != top.level + 1 or "PATH" not in p:
                continue
            paths = split_paths(p["PATH"])
            if len(paths) != 1 or _leaves_project(paths[0]):
                continue  # no lock (:func:`unusable_locks` warns): for every reader alike
            if p.get("LOCKED_AT") and p["LOCKED_AT"] in unlocked:
                continue  # its own end item is on the board: ended (:func:`named_unlocked`)
            locks.append(AreaLock(paths[0], read_value(p.get("OWNER")),
                                  p.get("OWNER_PROCESS") or None, read_value(p.get("REASON")),
                                  parse_timestamp(p.get("LOCKED", "")), h.line + 1,
                                  p.get("LOCKED_AT") or None))
    return tasks, locks


@record
class Sunk:
    """A headline that holds a task's ``ID`` but is not read as a task: below level 1
    (demoted, or moved under another task, in Emacs: ``org-demote-subtree``), outside
    the locks section; or in the board's Org archive (``org-archive-subtree``, at
    ``archive``). Its ``line`` (from 1, in the board or the archive), ``level``, id,
    state, and claim (``owner``, ``owner_process``, ``claimed``, ``claimed_at``)."""

    id: str
    line: int
    level: int
    state: str | None
    owner: str | None = None
    owner_process: str | None = None
    claimed: datetime | None = None
    claimed_at: str | None = None
    archive: str | None = None
    #: A lock moved out of the locks section (:func:`sunk_locks`): the lock as it reads
    #: there (``id`` is then ``""``, ``owner`` its holder).
    lock: AreaLock | None = None

    def where(self) -> str:
        """Where it is and what to do, for a message."""
        if self.lock is not None:
            return (f"line {self.line} of the board holds it as a level-{self.level} "
                    "headline outside the Locks section (moved in Emacs: promoted, refiled, "
                    "or cut and pasted under a task?): the board reads only the Locks "
                    "section's level-2 headlines as locks; move it back there (org-refile, "
                    "or cut and paste it under * Locks at level 2), or delete that headline "
                    "to end the lock")
        if self.archive is not None:
            return (f"line {self.line} of {self.archive} holds it (archived in Emacs, "
                    "org-archive-subtree?): the board reads only its own level-1 headlines "
                    "as tasks; move it back to the board as a top-level headline "
                    "(org-refile, or cut and paste), or, to leave it archived, delete its "
                    ":OWNER: line there")
        return (f"line {self.line} of the board holds that :ID: as a level-{self.level} "
                "headline (demoted, or moved under another task, in Emacs?): the board reads "
                "only level-1 headlines as tasks; promote it back to a top-level headline "
                "(org-promote-subtree, M-S-<left>)")


#: The properties only this tool writes on a task (``task add``: ``CREATED``; a claim:
#: ``CLAIMED``, ``CLAIMED_AT``; ``task done``: ``CLOSED_AT``): a headline below level 1
#: is a moved task only with its ``ID`` and one of them (:func:`sunk_tasks`); a person's
#: own sub-heading with an org-id ``ID`` and an ``OWNER`` of their own is none.
TASK_RECORD = ("CREATED", "CLAIMED", "CLAIMED_AT", "CLOSED_AT")


def sunk_tasks(doc: OrgFile, archive: str | None = None) -> list[Sunk]:
    """The headlines of ``doc`` that hold an ``ID`` and one of the task properties only
    this tool writes (:data:`TASK_RECORD`) but are no task: below level 1,
    outside the locks section (:class:`Sunk`). With ``archive`` (``doc`` is the board's
    Org archive, named so), every headline that holds an ``ID``, at any level, its state
    the ``ARCHIVE_TODO`` Org recorded (the archive declares no task states). Reading
    only; ``[]`` for a board without such headlines."""
    section = locks_section(doc)
    top = doc.headlines[section] if section is not None else None
    found = []
    for index, h in enumerate(doc.headlines):
        if archive is None and h.level == 1:
            continue
        if top is not None and top.line < h.line < top.subtree_end:
            continue
        p = stray_properties(doc, index)
        if not p.get("ID") or not any(p.get(key) for key in TASK_RECORD):
            continue  # (a person's own heading with an org-id ID: never a task)
        state = h.todo if archive is None else (p.get("ARCHIVE_TODO") or h.todo)
        found.append(Sunk(p["ID"], h.line + 1, h.level, state, read_value(p.get("OWNER")),
                          p.get("OWNER_PROCESS") or None,
                          parse_timestamp(p.get("CLAIMED", "")),
                          p.get("CLAIMED_AT") or None, archive))
    return found


def sunk_locks(doc: OrgFile) -> list[Sunk]:
    """The headlines of ``doc`` that hold a lock as this tool writes one (a ``PATH`` of
    one path, an ``OWNER`` and a ``LOCKED`` or ``LOCKED_AT``, no ``ID``) but are no lock:
    outside the level-2 headlines of the locks section (:func:`locks_section`), where a
    person moved it in Emacs (promoted, refiled, cut and pasted under a task). The same
    rule as :func:`sunk_tasks`: the board reads no lock there, the next change does not
    put a copy back into the Locks section (``Board.lost``), and every board command
    names its line (:class:`Sunk`, its ``lock``). Reading only."""
    section = locks_section(doc)
    top = doc.headlines[section] if section is not None else None
    found = []
    for index, h in enumerate(doc.headlines):
        if top is not None and top.line < h.line < top.subtree_end and \
                h.level == top.level + 1:
            continue
        p = stray_properties(doc, index)
        if not (p.get("PATH") and p.get("OWNER") and (p.get("LOCKED") or p.get("LOCKED_AT"))) \
                or p.get("ID"):
            continue
        paths = split_paths(p["PATH"])
        if len(paths) != 1:
            continue
        lock = AreaLock(paths[0], read_value(p["OWNER"]) or "", p.get("OWNER_PROCESS") or None,
                        read_value(p.get("REASON")), parse_timestamp(p.get("LOCKED", "")),
                        h.line + 1, p.get("LOCKED_AT") or None)
        found.append(Sunk("", h.line + 1, h.level, None, lock.owner, lock.owner_process,
                          lock.locked, lock.locked_at, lock=lock))
    return found


def archive_path(board: str) -> str:
    """The board's Org archive, where ``org-archive-subtree`` moves a subtree by default:
    ``tasks.org_archive`` beside it (``org-archive-location``'s default ``%s_archive::``,
    Org manual "Moving subtrees")."""
    return board + "_archive"


def all_sunk(doc: OrgFile | None, board: str) -> list[Sunk]:
    """The headlines holding a task's id that are no task: below level 1 on the board
    ``doc`` (:func:`sunk_tasks`), then in the Org archive of the board at ``board``
    (:func:`archive_path`; read only when there is one, and one that cannot be read
    gives nothing)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    found = sunk_tasks(doc) if doc is not None else []
    archive = archive_path(board)
    try:
        data = storage.read_bytes(archive)
        if data:
            found += sunk_tasks(BoardFile(storage.decode(archive, data)), archive)
    except AiProtocolsError:
        pass  # (an archive that cannot be read: nothing said of it)
    return found


def unusable_locks(doc: OrgFile) -> list[tuple[int, str]]:
    """Each headline of the locks section that locks nothing, as its line (from 1) and
    why: no ``PATH`` property (a lock written by hand without one), or a ``PATH``
    naming no path or several (a lock holds one). :func:`read_board` leaves them out;
    ``check`` and ``locks`` warn about them."""
    found: list[tuple[int, str]] = []
    section = locks_section(doc)
    if section is None:
        return found
    top = doc.headlines[section]
    for index in range(section + 1, len(doc.headlines)):
        h = doc.headlines[index]
        if h.line >= top.subtree_end:
            break
        if h.level != top.level + 1:
            continue
        p = stray_properties(doc, index)
        if "PATH" not in p:
            found.append((h.line + 1, "it has no PATH property, so it locks nothing: give "
                                      "it one (:PATH: src/api/), or remove it"))
        elif len(split_paths(p["PATH"])) != 1:
            found.append((h.line + 1, "its PATH names no path or several, so it locks "
                                      "nothing: a lock holds one path (one lock each)"))
        elif _leaves_project(split_paths(p["PATH"])[0]):
            found.append((h.line + 1, "its PATH is absolute or leads out of the project's "
                                      "top (a lock's PATH is relative to the top: "
                                      ":PATH: src/api/; ./ for the whole project), so "
                                      "it locks nothing: write it so, or remove it"))
    return found


def unusable_working_sets(doc: OrgFile) -> list[tuple[int, str]]:
    """Each path of a task's ``WORKING_SET`` that names nothing inside the project, as
    its task's line (from 1) and why: absolute (``/tmp/x/lib``) or above the project's
    top (``../x``), read as :func:`written_area` reads every hand-written path (it is in
    no working set, for ``check`` and every reader alike). ``check``, ``locks``,
    ``task list`` and ``task show`` warn about them, as :func:`unusable_locks` for a
    lock's ``PATH``."""
    found: list[tuple[int, str]] = []
    for index in task_headlines(doc):
        h = doc.headlines[index]
        for path in split_paths(stray_properties(doc, index).get("WORKING_SET", "")):
            if _leaves_project(path):
                found.append((h.line + 1, f"the path {path!r} of its WORKING_SET is "
                                          "absolute or leads out of the project's top (a "
                                          "working set's paths are relative to the top: "
                                          ":WORKING_SET: src/api/ lib/; ./ for the whole "
                                          "project), so it allows no file: write it so, or "
                                          "remove it"))
    return found


def setup_files(text: str) -> list[tuple[int, str]]:
    """The ``#+SETUPFILE:`` lines of a board's ``text`` (ignoring case; only spaces and
    tabs before ``#+``), as their line (from 1) and the file each names. Org reads the
    setup file's ``#+TODO:`` lines as the board's own (Org manual, "In-buffer
    settings"); this tool does not (a board is read from its text alone, by the hook
    too), so a state declared only there is no state for it: ``check``, ``locks``,
    ``task list`` and ``task show`` warn about each such line."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        bare = line.lstrip(" \t")
        if bare[:12].upper() == "#+SETUPFILE:":
            found.append((number, bare[12:].strip()))
    return found


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


def owner_problem(owner: str | None) -> str | None:
    """Why the ``OWNER`` of a lock or claim names no agent this tool can judge (``None``:
    it does): missing or empty, or not an agent id
    (:func:`ai_protocols.paths.safe_id`'s rule, as ``AI_AGENT_ID`` is held to). Such a
    holder is of state ``unknown``: its lock holds, its claim is taken only with
    ``--force`` (docs/tasks.md, "An owner the tool cannot judge")."""
    if not owner:
        return "it names no OWNER"
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.lean import quoted
    from ai_protocols.paths import safe_id

    try:
        safe_id(owner)
    except InvalidAgentId as error:
        return f"its OWNER {quoted(owner)} is not an agent id ({error.reason})"
    return None


def holder_name(owner: str | None) -> str:
    """A holder as words for a person: the agent id, or ``(no owner)``."""
    return owner if owner else "(no owner)"


def unknown_holders(doc: OrgFile) -> list[tuple[int, str]]:
    """Each lock, and each claimed open task, whose ``OWNER`` the tool cannot judge
    (:func:`owner_problem`), as its line (from 1) and what to say of it: ``check``,
    ``locks`` and ``task list`` warn about them."""
    found: list[tuple[int, str]] = []
    tasks, locks = read_board(doc, check=False)
    for lock in locks:
        why = owner_problem(lock.owner)
        if why is not None:
            found.append((lock.line, f"the lock on {lock.path}: {why}, so its holder is "
                                     "unknown: it still holds (edits into it are refused), "
                                     "and only 'ai-protocols lock/unlock --force' takes it; "
                                     "give it the OWNER of the agent that holds it"))
    for task in tasks:
        if task.owner and task.is_open:
            why = owner_problem(task.owner)
            if why is not None:
                found.append((task.line, f"the claim of task {task.id or '(no id)'}: {why}, "
                                         "so its holder is unknown: only --force takes "
                                         "it over"))
    return sorted(found)


# -- what goes in -----------------------------------------------------------------------------

_PRIORITY = pattern(r"\[#.\]")
_TRAILING_TAGS = pattern(r"[ \t]:[\w@#%:]+:[ \t]*$")
_TAG = pattern(r"[\w@#%]+")
_TAGS_ALONE = pattern(r":[\w@#%:]+:")
_PROTECTED = pattern(r"%(?:20|0a)", 2)  # re.IGNORECASE
#: Org's white space between the values of a multi-valued property, [ \f\t\n\r\v], as spaces.
_SPACES = str.maketrans("\f\t\n\r\v", "     ")


#: A control character a person may type in a one-line value, named, with what to do.
_CONTROL_NAMES = {"\t": ("a tab", "use a space instead"),
                  "\n": ("a line break", "give it as one line"),
                  "\r": ("a carriage return", "give it as one line")}


def _one_line(field_name: str, text: str, limit: int) -> None:
    """The one rule of the board's one-line values (a title, tag, role, path, reason,
    note, checkpoint): :func:`~ai_protocols.session.text.check_text`'s, a control
    character (a tab among them) refused naming it and what to do; every other
    character, Unicode's other spaces (U+00A0, U+2009...) among them, kept as typed."""
    from ai_protocols.session.text import check_text

    odd = next((ch for ch in text if (ch < " " and ch != "\x00") or "\x7f" <= ch <= "\x9f"),
               None)
    if odd is not None and text.strip():
        name, advice = _CONTROL_NAMES.get(odd, ("a control character", "take it out"))
        raise InvalidText(field_name, text, f"it must be one line without control "
                                            f"characters, and it holds U+{ord(odd):04X} "
                                            f"({name}); {advice}")
    check_text(field_name, text, one_line=True, limit=limit)


def check_title(title: str) -> str:
    """The title as the headline will hold it (spaces around it dropped), or
    :class:`~ai_protocols.errors.InvalidText` for one Org would read otherwise: not
    one line, longer than :data:`MAX_TITLE`, starting with a task state, ``COMMENT``
    or a priority cookie, or ending in ``:word:`` (tags). Source: the headline
    syntax of the Org manual, "Headlines" and org-element's headline parser."""
    _one_line("title", title, MAX_TITLE)
    title = title.strip(" ")
    first = title.split(" ", 1)[0]
    if first in STATES or first == "COMMENT":
        what = "a comment mark" if first == "COMMENT" else "a task state"
        raise InvalidText("title", title, f"Org would read its first word, {first}, as "
                                          f"{what}; reword it")
    if _PRIORITY.match(title):
        raise InvalidText("title", title, "Org would read the [#...] it starts with as a "
                                          "priority; reword it")
    if _TRAILING_TAGS.search(" " + title) or _TAGS_ALONE.fullmatch(title):
        raise InvalidText("title", title, "Org would read the ':word:' at its end as tags")
    return title


def check_tag(tag: str) -> str:
    """A tag as given, or :class:`~ai_protocols.errors.InvalidText`: Org tags are made
    of letters, digits, ``_``, ``@``, ``#`` and ``%`` (the Org manual, "Tags")."""
    _one_line("tag", tag, MAX_WORD)
    if not _TAG.fullmatch(tag) or not all(c.isalnum() or c in "_@#%" for c in tag):
        raise InvalidText("tag", tag, "a tag holds only letters, digits, _, @, # and %")
    return tag


def check_role(role: str) -> str:
    """A role (``planner``, ``implementer``, ``reviewer``...) as given: one word, not
    starting with ``-`` (an option's look: ``--to -x`` is a mistyped command line, as
    :func:`ai_protocols.cli.options.looks_like_option` judges), or
    :class:`~ai_protocols.errors.InvalidText`. Roles are compared without regard to
    case (:func:`same_role`): ``Reviewer`` is ``reviewer``."""
    _one_line("role", role, MAX_WORD)
    if any(ch.isspace() for ch in role):
        raise InvalidText("role", role, "a role is one word, without spaces")
    if role.startswith("-"):
        raise InvalidText("role", role, "a role does not start with '-' (an option was "
                                        "given where the role goes?); give the role's "
                                        "name, as in --to reviewer")
    return role


def same_role(a: str | None, b: str | None) -> bool:
    """Whether two roles are one: compared case-folded (``Reviewer`` is ``reviewer``, as a
    person types it; Org's keywords are upper case, roles are words as given)."""
    return a is not None and b is not None and a.casefold() == b.casefold()


#: Characters of a free text of the board at most (a lock's ``--reason``, a hand-off's
#: ``--note``, a checkpoint's ref): one rule for every free-text option.
MAX_LINE = 500


def check_line(field_name: str, text: str, limit: int = MAX_LINE) -> str:
    """A one-line text for the board (a reason, a hand-off's note, a checkpoint), at
    most :data:`MAX_LINE` characters, kept as typed but for the spaces (U+0020) at its
    two ends, as a title is (one rule for every one-line value: a no-break or other
    Unicode space stays as typed); :class:`~ai_protocols.errors.InvalidText` for
    anything else (not one line, a control character such as a tab, named: ``_one_line``;
    empty, too long)."""
    _one_line(field_name, text, limit)
    return text.strip(" ")


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


def check_given_path(given: str, cwd: str | None = None) -> str:
    """``given``, a path for a working set or a lock as typed, unless it is one a person
    did not mean: white space at its start or end (``"src/ "``, which would be kept,
    as ``src/%20``) or a ``~`` first (``"~/x"``: the shell expands ``~`` only unquoted
    at the start of a word, so the quoted or ``--opt=~/x`` form reaches us as is, and
    would be kept as a folder named ``~``), a part that does not exist yet (relative to
    ``cwd``, by default the working directory) starting or ending with a space (``"src/
    docs/a b.md"``: two paths given as one, which would be kept as the one path
    ``src/%20docs/a%20b.md``), or a glob that names nothing yet (:func:`no_glob`):
    :class:`~ai_protocols.errors.InvalidText`, saying what to give instead."""
    if given != given.strip():
        raise InvalidText("path", given, "it has white space at its start or end; give "
                                         "the path without it (in quotes only when a space "
                                         "is inside it)")
    if given.startswith("~"):
        raise InvalidText("path", given, "it starts with '~', which the shell did not "
                                         "expand (it was quoted, or after '='); give the "
                                         "path relative to the working directory, or "
                                         "absolute, or write ./~... for a file whose name "
                                         "starts with '~'")
    if " /" in given or "/ " in given:
        _no_paths_run_together(given, cwd)
    return no_glob(given, cwd)


def _no_paths_run_together(given: str, cwd: str | None) -> None:
    """:class:`~ai_protocols.errors.InvalidText` when a part of ``given`` that does not
    exist yet (relative to ``cwd``) starts or ends with a space: most likely two paths
    typed in one argument (``"src/ docs/a b.md"``); the message names the paths apart, as
    separate arguments to give (each quoted for a shell)."""
    from ai_protocols.lean import quoted, shell_quote

    rest = _missing_part(given, cwd if cwd is not None else os.getcwd())
    odd = next((part for part in rest.split("/") if part != part.strip(" ")), None)
    if odd is None:
        return
    apart = [piece for piece in pattern(r"(?<=/) +| +(?=/)").split(given) if piece]
    end = "starts" if odd.startswith(" ") else "ends"
    raise InvalidText("path", given, f"it does not exist, and its part {quoted(odd)} {end} "
                                     "with a space: were two paths given as one? Give each "
                                     "path as an argument of its own (--working-set PATH "
                                     "once for each; lock PATH PATH...), quoted only when a "
                                     "space is inside it: "
                                     f"{' '.join(shell_quote(piece) for piece in apart)}; for a "
                                     "file or folder of that very name, make it first, then "
                                     "give it again")


def no_glob(given: str, cwd: str | None = None) -> str:
    """``given``, a path every part of the board takes literally (locks, working sets,
    ``check`` and the hook compare paths as text: ``app/[id]/`` is the folder of that
    name, as Next.js and SvelteKit name route folders), unless a part of it that does
    not exist yet (relative to ``cwd``, by default the working directory) reads as a
    glob: ``*``, ``?``, or ``[`` with a ``]`` after it (a bracket expression; fnmatch(3),
    git's pathspec). Such a path was likely meant to match files, which it never does:
    :class:`~ai_protocols.errors.InvalidText`, saying to name the folder or each file,
    or to make the file or folder of that very name first. The parts that exist are
    never judged, so a path inside an existing ``app/[id]/`` is fine."""
    rest = _missing_part(given, cwd if cwd is not None else os.getcwd())
    odd = next((ch for ch in rest if ch in "*?"), None)
    if odd is None and "[" in rest and "]" in rest[rest.index("["):]:
        odd = "["
    if odd is not None:
        raise InvalidText("path", given, f"it does not exist, and its {odd!r} reads as a "
                                         "glob, which ai-protocols does not expand (a path "
                                         "is kept as written and matches only itself); "
                                         "name the folder instead (src/ holds every file "
                                         "in it), or each file; for a file or folder of "
                                         "that very name, make it first (mkdir -p, touch), "
                                         "then give it again")
    return given


def _missing_part(given: str, cwd: str) -> str:
    """The end of ``given`` from its first part that does not exist (``""``: it all
    exists), as a path relative to ``cwd``."""
    parts = given.split("/")
    for count in range(len(parts), 0, -1):
        head = "/".join(parts[:count])
        if head and os.path.lexists(os.path.join(cwd, head)):
            return "/".join(parts[count:])
    return given


def normalize_path(root: str, given: str, cwd: str | None = None) -> str:
    """``given`` (relative to ``cwd``, by default the working directory, or absolute)
    as a path relative to the project ``root``: ``/`` between parts, no ``.`` or
    ``..`` left, symbolic links resolved (a link inside the project names where it
    leads: locks and working sets compare real locations), a folder (one that
    exists, or given with a final ``/``) ending in ``/``; the root itself is
    ``./``. :class:`~ai_protocols.errors.InvalidText` for a path outside the root
    or leading outside it through a link, empty, or holding a control character or
    white space other than spaces."""
    _one_line("path", given, MAX_PATH)
    odd = next((ch for ch in given if ch.isspace() and ch != " "), None)
    if odd is not None:
        raise InvalidText("path", given, f"it holds white space other than spaces "
                                         f"(U+{ord(odd):04X}), which a property cannot keep")
    if _PROTECTED.search(given):
        raise InvalidText("path", given, "it holds %20 or %0A, which Org's multi-valued "
                                         "properties read as a space or a newline")
    base = cwd if cwd is not None else os.getcwd()
    # Not normalized as text first: ``link/..`` is where the file system goes (the folder
    # above the link's target), as os.path.realpath resolves it, part by part.
    full = os.path.join(base, given)
    root = os.path.normpath(root)
    real_root = os.path.realpath(root)
    _no_loop(given, full)
    relative = inside_root(os.path.relpath(os.path.normpath(full), root))
    real = real_inside(real_root, full)  # (the one rule of a person's paths)
    if real is None:
        if relative is None:
            raise InvalidText("path", given, f"it is outside the project {root}")
        raise InvalidText("path", given, f"it leads outside the project {root} through a "
                                         f"symbolic link (to {os.path.realpath(full)}); "
                                         "give a path inside the project")
    relative = real  # where it really is: a link inside the project names its target
    folder = given.endswith(("/", os.sep)) or os.path.isdir(full) or relative == "."
    if relative == ".":
        return "./"
    return relative + "/" if folder else relative


def plain_path(root: str, written: str) -> str:
    """A lock's or working set's path as a person may write it by hand in the board
    (``other/../other/``, ``./src``, ``src//api``, an absolute path inside the project)
    as :func:`normalize_path` writes it (``other/``), by its text alone: ``.`` and
    ``..`` taken away, an absolute path made relative to the project ``root``, a final
    ``/`` kept; no link is followed. A path that leaves the project is returned as
    written."""
    import posixpath

    text = written
    if posixpath.isabs(text):
        relative = inside_root(os.path.relpath(text, os.path.normpath(root)))
        if relative is None:
            return written
        text = relative
    plain = posixpath.normpath(text)
    if plain == ".":
        return "./"
    if plain == ".." or plain.startswith("../"):
        return written
    return plain + "/" if written.endswith("/") else plain


def _no_loop(given: str, full: str) -> None:
    """:class:`~ai_protocols.errors.InvalidText` when ``full`` goes through a loop of
    symbolic links (``ln -s b a; ln -s a b``): it leads nowhere, so no lock or working
    set can hold what it names (the system's ``ELOOP``, "Too many levels of symbolic
    links", path_resolution(7)). A path that does not exist yet is fine."""
    import errno

    try:
        os.path.realpath(full, strict=True)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InvalidText("path", given, "it goes through a loop of symbolic links "
                                             "(each leads to another, and never to a file "
                                             "or folder); give the path of a real file or "
                                             "folder, or fix the links") from None


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


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


#: How Crockford's base 32 reads a character it never writes (crockford.com/base32).
_CROCKFORD_READ = str.maketrans({"i": "1", "l": "1", "o": "0"})


#: The fewest characters of the end of a task's id that name it, for every command (a
#: whole id, a title, ``line:N`` aside): one to three characters name whichever task's id
#: happens to end so (ids end in random characters, and an agent may well make up "1").
SHORTEST_END = 4


def find_task(tasks: list[Task], task_id: str, board: Path,
              given: Container[str] = frozenset()) -> Task:
    """The one task ``task_id`` names among ``tasks``: its whole id, or any end of it (of
    :data:`SHORTEST_END` characters or more: the random part, ``k3f9qxm2``, or less of
    it) that only one task's id has (a shorter end names none: refused, naming the ids it
    ends); else, the one task a person added without an id (none, or one given in
    ``given`` by the change under way) whose title is exactly ``task_id`` (docs/tasks.md,
    "A task added in Emacs"). :class:`~ai_protocols.errors.DuplicateTaskId` when
    several tasks have that very id (a copied task),
    :class:`~ai_protocols.errors.TaskNotFound` when no task or several end so (it
    lists them: give more of the end). Spaces around it are dropped; an id that matches
    no task as given is read as Crockford's base 32 reads (upper case as lower, ``i``
    and ``l`` as ``1``, ``o`` as ``0``)."""
    wanted = _check_task_id(task_id)
    exact = [t for t in tasks if t.id == wanted]
    if len(exact) > 1:
        raise DuplicateTaskId(wanted, board, tuple(t.line for t in exact))
    if exact:
        return exact[0]
    # (a task without an id: by its exact title, before any end of an id, which the title
    # may also be; or by its line, ``line:N``, a key no id can be: ``task list`` names
    # each so, :func:`bare_keys`)
    bare = [t for t in tasks if t.id is None or t.id in given] if given else \
        [t for t in tasks if t.id is None]  # (one attribute read a task: find_task is hot)
    at = LINE_KEY.fullmatch(wanted)  # (a title so is no key: its line is)
    titled = [t for t in bare if t.title.strip() == wanted] if at is None else []
    if len(titled) == 1:
        return titled[0]
    if at is not None:
        lined = [t for t in bare if t.line == int(at.group(1))]
        if lined:
            return lined[0]
        # (the lines of the tasks with an id are the board's as read only when the
        # change under way gave none: else its id lines moved them)
        held = None if given else next(
            (t for t in tasks if t.id and t.line == int(at.group(1))), None)
        raise TaskNotFound(task_id, board, (), line_key_miss(
            int(at.group(1)), held.id if held is not None else None))
    found = [t for t in tasks if t.id and t.id.endswith(wanted)]
    if not found:  # Crockford's base 32 reads either case, and i, l as 1, o as 0
        loose = wanted.lower().translate(_CROCKFORD_READ)
        found = [t for t in tasks if t.id and t.id.lower().endswith(loose)]
    if len(wanted) < SHORTEST_END:  # ("1": whichever id ends so; never a guess)
        raise TaskNotFound(task_id, board, tuple(f"{t.id} (line {t.line})" for t in found),
                           shortest=SHORTEST_END)
    if len(found) == 1:
        return found[0]
    if found and len({t.id for t in found}) == 1:
        raise DuplicateTaskId(found[0].id or wanted, board, tuple(t.line for t in found))
    # (none ends so: those that start so, said, for whoever typed an id's start)
    starting = () if found else tuple(dict.fromkeys(
        t.id for t in tasks if t.id and t.id.lower().translate(_CROCKFORD_READ).startswith(
            wanted.lower().translate(_CROCKFORD_READ))))
    raise TaskNotFound(task_id, board, tuple(f"{t.id} (line {t.line})" for t in found),
                       starting=starting)


#: The key of a task without an id by the line of its headline (``line:19``): ``:`` is in
#: no id (:func:`id_fault`), so it never names a task with one.
LINE_KEY = pattern(r"line:([1-9][0-9]*)")


def line_key_miss(line: int, held: str | None) -> str:
    """What to tell a person whose key ``line:N`` (``line``, 1-based, on the board as
    read) names no task without an id: the id of the task with one whose headline is
    there (``held``), or that none is; with what to do. One text for every command."""
    return (f"line {line} is the headline of the task {held}, which has an id: name it by "
            "that id" if held else f"no task without an id has its headline on line "
            f"{line} of the board as read") + ("; 'ai-protocols task list' names each task "
                                               "(a line's key is the line of a task without "
                                               "an id; nothing was changed)")


def bare_keys(tasks: list[Task], lines: Mapping[int, int | None] | None = None
              ) -> dict[int, str | None]:
    """What names each task without an id among the board's ``tasks`` to
    :func:`find_task`, by the line of its headline: the one key ``task list`` tells (and
    gives as ``key`` in ``--json``) and ``task show``, ``task claim``... take. Its title
    (spaces around it aside) when that names it alone (no other task without an id has
    that title, no task has it as its whole id, it is not empty, nor a line's key),
    else ``line:N``
    (:data:`LINE_KEY`, until the next change of the board gives it an id; a line a
    person's edit may move). A task with an id is named by it. Linear in the tasks.
    ``lines``: while the board is read with what git brought merged back (a stale
    save), the line in the file on disk of each task by its line in ``tasks``
    (:func:`~ai_protocols.board.stale.disk_lines`): ``N`` is the file's line, what a
    person sees in Emacs; a task only git brought (no line on disk) has no line key,
    ``None``, until the next change of the board writes it with an id."""
    from collections import Counter

    ids = {t.id for t in tasks if t.id}
    titles = Counter(t.title.strip() for t in tasks if not t.id)
    return {t.line: title if title and titles[title] == 1 and title not in ids
            and LINE_KEY.fullmatch(title) is None else
            None if lines is not None and lines.get(t.line) is None else
            f"line:{t.line if lines is None else lines[t.line]}"
            for t in tasks if not t.id for title in (t.title.strip(),)}


def _check_task_id(task_id: str) -> str:
    """``task_id`` without the spaces around it, as every command reads a task's id;
    :class:`~ai_protocols.errors.InvalidText` (exit 4) when nothing is left: an empty
    id is bad input, as every other empty value is, not an id no task has."""
    wanted = task_id.strip()
    if not wanted:
        raise InvalidText("task id", task_id, "it is empty; give a task's id, or its end "
                                              "('ai-protocols task list' shows the ids)")
    return wanted


def mint_task_id(now: datetime | None = None, random_bytes: bytes | None = None, *,
                 taken: Container[str] = (),
                 source: Callable[[int], bytes] = os.urandom) -> str:
    """A new task id: ``YYYYMMDD-HHMMSS-<8 random characters>``, the time in UTC (so ids
    sort by creation, whatever the machine's time zone), then 40 random bits (5 bytes
    of ``source``, ``os.urandom`` unless given; ``random_bytes`` when given) in
    Crockford's base 32 (no i, l, o, u). Two machines creating a task in the same
    second collide once in 2**40 (a million million) pairs, without talking to each
    other: nothing is counted or kept. On one board nothing is left to chance: an id in
    ``taken`` (the ids the board holds, read under its lock) is drawn again, so a new
    id is never one the board already has. :class:`ValueError` when ``random_bytes``
    is given and makes an id in ``taken`` (it cannot be drawn again)."""
    from ai_protocols.lean import datetime, timezone

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    while True:
        bits = int.from_bytes(random_bytes if random_bytes is not None else source(5), "big")
        tail = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))
        minted = f"{moment:%Y%m%d-%H%M%S}-{tail}"
        if minted not in taken:
            return minted
        if random_bytes is not None:
            raise ValueError(f"the id {minted} is taken, and random_bytes cannot change")


def more_locks(locks: list[AreaLock], texts: list[str]) -> list[AreaLock]:
    """The locks of the boards ``texts`` (the sides of git's conflict markers, or the
    board and the version git brought: :func:`~ai_protocols.board.stale.left_sides`)
    that ``locks`` has none of the same path and holder of, in order; each lock of
    either side holds until a person settles the board (the one rule of the PreToolUse
    hook, ``locks`` and ``check``). Raises :class:`ValueError` as reading a board does."""
    found = list(locks)
    for text in texts:
        held = {(lock.path, lock.owner) for lock in found}
        found += [lock for lock in read_board(BoardFile(text), check=False)[1]
                  if (lock.path, lock.owner) not in held]
    return found[len(locks):]
