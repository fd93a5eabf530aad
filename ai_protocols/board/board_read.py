"""Reading the task board (:func:`read_board`): each task's claim read against the board's
log (a claim its holder's log says ended is void, an unlock its log records), the
kept copy's claims and locks that git's merge dropped. Split out of
:mod:`ai_protocols.board.model`, which re-exports every name.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.board.board_file import (
    CLOSED_STATES,
    AreaLock,
    BoardFile,
    Task,
    _leaves_project,
    board_text_of,
    check_drawers,
    covers,
    done_states,
    kept_board_bytes,
    locks_section,
    read_value,
    split_paths,
    stray_properties,
    task_headlines,
    why_unreadable,
)
from ai_protocols.board.held import owner_forms
from ai_protocols.errors import MisplacedDrawer
from ai_protocols.lean import pattern, record
from ai_protocols.org.syntax import format_timestamp, parse_timestamp, unescape_inline
from ai_protocols.paths import kept_board_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from ai_protocols.org.file import Headline, OrgFile


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


#: The words of the item ``unlock`` writes into the Locks section's own text, naming the
#: lock it ended (its ``LOCKED_AT``): the record that tells its end, brought by git from
#: another clone or branch, from a lock an edit took out (:func:`ended_elsewhere`).
UNLOCKED_BY = "unlocked by "
#: The words of the tool's items in a task's log that end a claim (:func:`ended_elsewhere`).
_CLAIM_ENDS = ("released by ", "handed off by ", "done by ", "cancelled by ", "reopened by ")


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
