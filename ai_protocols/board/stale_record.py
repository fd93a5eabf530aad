"""The stale-save rule's records and words: the commit ``HEAD`` named at the board's last
write (:func:`record_head`), the versions the tool read and kept (:func:`keep_read`),
what it told, a save set aside and refused (:func:`refuse`), and how a version's
lines are said. Split out of :mod:`ai_protocols.board.stale`, which re-exports every
name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os

from ai_protocols.git.head import BROUGHT, OWN_COMMIT, moves_back, pulled_from

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections import Counter
    from typing import NoReturn

    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.merge_units import MergeResult


def head_record(kept: str) -> str:
    """Where the commit ``HEAD`` named at the board's last write is kept, beside its
    kept copy ``kept`` (``.ai/.locks/live/tasks.org.commit``: per machine, never in
    git)."""
    return f"{kept}.commit"


def read_record(kept: str) -> tuple[str | None, str | None, str | None]:
    """The record :func:`record_head` keeps beside the kept copy ``kept``: ``(the
    commit HEAD named at the board's last write, the commit it named before the pull
    or merge that moved it there, the commit that pull or merge moved it to)``, each
    ``None`` when the record has none (a record written before the nineteenth round
    has no third word). One small read; raises nothing."""
    try:
        with open(head_record(kept), "rb") as record:
            parts = record.read(300).decode("ascii", "replace").split()
    except OSError:
        return None, None, None
    parts += [""] * (3 - len(parts))
    return parts[0] or None, parts[1] or None, parts[2] or None


def record_head(board: str, kept: str) -> None:
    """Keep the commit ``HEAD`` names now as the one the board ``board`` (its kept copy
    ``kept``) was last written against (:func:`brought_back` compares it), and, after a
    pull or merge moved ``HEAD`` since the last write, the commits it moved from and to
    (:func:`pulled_from`; kept while ``HEAD`` stays, or moves on by one's own commits
    only: :func:`committed_onto`), as ``HEAD [SINCE PULLED]``; a failure only loses
    that record (the next write records it again)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.head import read_head
    from ai_protocols.storage import files as storage

    root = os.path.dirname(os.path.dirname(board))
    head = read_head(root)
    if head is None or not head[1]:
        return
    recorded, since, pulled = read_record(kept)
    if recorded == head[1] or (recorded is not None and since is not None and
                               committed_onto(root, head[1], recorded)):
        # (git brought nothing since the last write: kept; a record without the pull's
        # result names it by the commit then recorded, as the rule read it before)
        pulled = pulled or (recorded if recorded != head[1] else None)
    else:
        found = pulled_from(root, head[1])
        since, pulled = found if found else (None, None)
    words = [head[1], *([since] if since else []), *([pulled] if since and pulled else [])]
    with contextlib.suppress(OSError, AiProtocolsError, UnicodeEncodeError):
        storage.atomic_write(head_record(kept), (" ".join(words) + "\n").encode("ascii"))


def _git_wrote_stopped(root: str, board: str) -> bool:
    """Whether a git operation that stops on a conflict is under way in ``root``
    (:func:`~ai_protocols.git.head.stopped_from`: a merge, rebase, cherry-pick, revert
    or ``am``) and the board file at ``board`` is the one git wrote for it (or was
    given: :func:`~ai_protocols.git.state.index_wrote`): what the operation took out
    (a ``git revert`` of a claim's commit) is git's doing, no stale save, whatever
    ``HEAD``'s reflog says of the pulls before it (docs/decisions.md, "Twenty-fifth
    round: the board's hand deletions and stopped operations"). A few ``stat`` calls
    when none is under way; one ``git ls-files`` when one is. Raises nothing."""
    from ai_protocols.git.head import stopped_from
    from ai_protocols.git.history import index_wrote

    if stopped_from(root) is None:
        return False
    try:
        return bool(index_wrote(root, os.path.relpath(board, root), os.stat(board)))
    except OSError:
        return False


def came_from(root: str, head: str, recorded: str) -> bool:
    """Whether ``HEAD`` came to ``head`` from ``recorded`` (the commit the board's last
    write here recorded) by pulls, merges and one's own commits only, as ``HEAD``'s
    reflog says (:func:`moves_back`): then the tool's writes since ``recorded`` are on
    the line ``HEAD`` is on (committed, or kept over a ``git pull --autostash``), and a
    stale save must keep them as it keeps what git brought. Reads the end of one file;
    no process; raises nothing."""
    kinds = OWN_COMMIT + BROUGHT
    return head == recorded or any(
        old == recorded for old, _new, message in moves_back(root, head, kinds)
        if message.startswith(kinds))


def opened_on(data: bytes, versions: list[bytes]) -> bytes:
    """The version of the board a buffer saved as ``data`` was opened on, among
    ``versions`` (newest first, one at least: the tool's versions, the boards its
    writes read, the versions git's history holds, :func:`known_versions`): the one
    ``data`` is the fewest edits from, line by line (as multisets: the lines ``data``
    holds that it lacks, what was typed since or what a version older than the buffer
    lacks, and the lines it holds that ``data`` lacks, what a version newer than the
    buffer made since), a line of a person's text that the save holds changed (a box
    ticked, words typed into it: :func:`_changed_lines`) counted as no edit; of two
    alike, the one with fewer such changes, then the older (keeping what a version holds
    is the side to err on). A person's deletion in a buffer made after a write, of
    more than the versions before it lack, reads as a buffer opened before it: the
    callers ask first whether the save holds any of what was written since
    (docs/tasks.md). Linear in the versions' lines; raises nothing (docs/decisions.md,
    "Issue 15, twenty-first round (the board's stale saves: the version a buffer was
    opened on)")."""
    from collections import Counter

    mine = Counter(data.splitlines())
    best: tuple[tuple[int, int, int], bytes] | None = None
    for age, version in enumerate(dict.fromkeys(versions)):  # (each once, where it first is)
        theirs = Counter(version.splitlines())
        typed, lacked = mine - theirs, theirs - mine
        changed = _changed_lines(typed, lacked)
        key = (sum(typed.values()) + sum(lacked.values()) - 2 * changed, changed, -age)
        if best is None or key < best[0]:
            best = key, version
    assert best is not None, "no version"
    return best[1]


#: How many pairs of lines :func:`_changed_lines` compares at most (a version far from
#: the save is no candidate to tell by its lines' likeness).
_LIKENESS_PAIRS = 400


def _changed_lines(typed: Counter[bytes], lacked: Counter[bytes]) -> int:
    """How many of the lines ``lacked`` (a version holds them, the save does not) the
    save holds changed, as ``typed`` lines (it holds them, the version does not), each
    paired once: lines of a person's text only (not a headline, a drawer's or a
    property's line, or an item of the tool's log:
    :data:`~ai_protocols.board.model.TOOL_ITEM`), the one the other with words typed
    into it, or one character changed (a box ticked): what is left of the shorter but
    one character is the longer's start and end. 0 when there are too many to compare.
    Raises nothing."""
    from ai_protocols.board.model import TOOL_ITEM

    def persons(lines: Counter[bytes]) -> list[bytes]:
        found = []
        for raw, count in lines.items():
            text = raw.strip()
            if text and not text.startswith((b"*", b":")) and \
                    not TOOL_ITEM.match(text.decode("utf-8", "replace")):
                found.extend([raw] * count)
        return found

    def same_start(one: bytes, other: bytes) -> int:
        return next((n for n, (x, y) in enumerate(zip(one, other, strict=False))
                     if x != y),
                    min(len(one), len(other)))

    def alike(one: bytes, other: bytes) -> bool:
        short, long = sorted((one, other), key=len)
        start = same_start(short, long)
        end = same_start(short[start:][::-1], long[::-1])
        return start + end >= len(short) - 1 and len(short) > 3

    mine, theirs = persons(typed), persons(lacked)
    if not mine or not theirs or len(mine) * len(theirs) > _LIKENESS_PAIRS:
        return 0
    paired = 0
    for line in theirs:
        match = next((one for one in mine if alike(line, one)), None)
        if match is not None:
            mine.remove(match)
            paired += 1
    return paired


def known_versions(board: str, kept: str, first: list[bytes | None],
                   history: str = "HEAD", reads: list[bytes] | None = None) -> list[bytes]:
    """The versions of the board ``board`` a buffer may have been opened on, newest
    first, each once: ``first`` (the tool's and git's newest: its two joined, the kept
    copy ``kept``, ``HEAD``'s, the board at the commit the last write recorded; ``None``
    left out), the boards the tool's last writes read (:func:`read_paths`, newest
    first; ``reads``: those, when the caller has read them) and the versions ``HEAD``'s
    history holds
    (:func:`~ai_protocols.git.state.history_versions`: a buffer opened on a version
    committed, a person's own included; ``history``: the commit whose history, the
    pull's result when ``HEAD``'s board is a stale save committed since, which no
    buffer was opened on: :func:`~ai_protocols.board.hidden.brought_board`). Reads small
    files and runs git twice; raises nothing."""
    from ai_protocols.git.history import history_versions

    root = os.path.dirname(os.path.dirname(board))
    found = dict.fromkeys(version for version in first if version is not None)
    found.update(dict.fromkeys(_reads(kept) if reads is None else reads))
    found.update(dict.fromkeys(history_versions(root, os.path.relpath(board, root),
                                                [history])))
    return list(found)


def tools_join(older: bytes | None, newer: bytes | None, committed: bytes | None,
               history: list[bytes] | tuple[()] = ()) -> bytes | None:
    """The tool's two versions a stale save went over, joined: the kept copy ``older``
    (this tool's last write; ``None``: none here, or not on ``HEAD``'s line) and the
    version git holds, ``newer`` (``HEAD``'s board, or the board a pull left), merged
    three ways on ``committed`` (the board at the commit the kept copy's write recorded,
    what both came from), else, when ``history`` (:func:`known_versions`) holds
    ``older`` (committed since), on ``older`` itself (``newer`` descends from it), else
    on an empty board (what both hold, both added alike). ``None`` when that merge is
    not clean. Raises nothing."""
    if older is None or newer is None or older == newer:
        return older if newer is None else newer
    from ai_protocols.board.merge import merge_board_bytes
    from ai_protocols.board.model import board_text

    base = committed if committed is not None else \
        older if older in history else \
        board_text().encode()
    joined = merge_board_bytes(base, older, newer, labels=("kept", "base", "git"))
    return None if joined is None or joined.conflicts else joined.data


def refuse(board: str, kept: str, base: bytes, theirs: bytes, where: str, said: str,
           merged: MergeResult | None, *, held: str | None = None, kind: str = "git",
           walked: tuple[bytes, bytes] | None = None) -> NoReturn:
    """Refuse the merge back of a stale save of the board ``board`` (its kept copy
    ``kept``) that leaves tasks both changed to a person (``merged``, the board's merge
    of the save on ``base``, theirs ``theirs``), with commands that merge the very same
    three when pasted, in every case: ``base`` (the version the buffer was opened on)
    and ``theirs`` are written beside the kept copy (``.ai/.locks/live/tasks.org.base``
    and ``.head``, per machine, never in git; no git run in the commands) and ``ai-protocols
    merge-driver BASE BOARD HEAD PATH`` merges them into the board, leaving the conflict
    markers a person settles. ``where``: the version that holds what the save lacks, as
    said; ``said``: what it lacks (:func:`brought_said`); ``held``: the kept copy, when
    it holds some of that; ``kind``: as :func:`told`; ``walked``: ``(what the merge
    took as ours, the save)`` when what came before was merged into the save first
    (:func:`opened_before`): that is put in the board's place first
    (:func:`_put_first`). Raises
    :class:`~ai_protocols.errors.BoardStaleSave` (the files not written when they
    cannot be: the commands then fail, saying why)."""
    from pathlib import Path

    from ai_protocols.errors import BoardStaleSave
    from ai_protocols.lean import shell_quote

    root = os.path.dirname(os.path.dirname(board))
    copies = (f"{kept}.base", f"{kept}.head")
    for name, version in (("base", base), ("head", theirs)):
        _scratch(kept, name, version)
    commands = (f"{_put_first(kept, board, *walked) if walked else ''}ai-protocols "
                f"merge-driver {shell_quote(copies[0])} {shell_quote(board)} "
                f"{shell_quote(copies[1])} {shell_quote(os.path.relpath(board, root))}")
    left, locks = left_parts(merged)
    raise BoardStaleSave(Path(board), where, said, commands,
                         kept=None if held is None else Path(held), left=left,
                         kind=kind, theirs=copies[1], locks=locks)


def board_file_bytes(path: str) -> bytes | None:
    """The bytes of the file ``path`` (a version beside the kept copy), read by the
    project's one reader (:func:`~ai_protocols.board.model.board_bytes`: a symbolic
    link, a folder, a FIFO refused as every board file is); ``None`` when there is
    none, or it is refused or cannot be read. Raises nothing."""
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError

    try:
        return board_bytes(path)
    except (AiProtocolsError, OSError):
        return None


def _scratch(kept: str, name: str, data: bytes) -> str | None:
    """``data`` written beside the kept copy ``kept`` as ``tasks.org.NAME`` (per
    machine, never in git: a version a refusal's commands merge, which no commit
    holds); its path, or ``None`` when it cannot be written. Written only when it holds
    other bytes (a reader asks again and again until a person merges). Atomic; raises
    nothing."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    path = f"{kept}.{name}"
    if board_file_bytes(path) == data:
        return path
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        storage.atomic_write(path, data)
    except (OSError, AiProtocolsError):
        return None
    return path


def _put_first(kept: str, board: str, data: bytes, saved: bytes) -> str:
    """The first of a refusal's commands when what the merge back merged is the save
    ``saved`` with what came before the version it judges merged in first (``data``,
    :func:`opened_before`): ``data`` written beside the kept copy ``kept``
    (:func:`_scratch`, ``tasks.org.saved``) and copied over the board ``board``, so that
    the commands after merge that, not the save, which lacks it; ``""`` when ``data``
    is the save, or cannot be written (then the commands merge the save). Raises
    nothing."""
    from ai_protocols.lean import shell_quote

    copy = _scratch(kept, "saved", data) if data != saved else None
    return "" if copy is None else f"cp {shell_quote(copy)} {shell_quote(board)} && "


#: What a stale save lacks, by whose doing (:func:`told`): what it is, and what the
#: buffer saved over it was opened before.
_TOLD = {"git": ("what git brought", "git changed the board (a pull, a merge)"),
         "both": ("what git brought or the tool wrote since",
                  "git changed the board (a pull, a merge) or ai-protocols wrote it"),
         "tool": ("what ai-protocols wrote since", "ai-protocols wrote the board"),
         "clone": ("what an earlier pull brought here", "that pull, in another clone,"),
         "pulled": ("what the same pull brought", "it was made, in another clone,")}


def told(kind: str, said: str, where: str, *, typed: bool) -> str:
    """What a stale save of the board lacks, in words, said after ``lacks`` (a reader)
    or ``lacked`` (the write that merges it back), the one text of every warning of the
    stale paths: ``kind`` whose doing it is (``git``: a pull or merge; ``tool``: this
    tool's writes, no pull between; ``both``; ``clone``: another clone's stale save,
    committed and pulled here, dropped what an earlier pull brought here:
    :func:`seen_dropped`; ``pulled``: such a save dropped, or put back what was
    ended in, a commit the same pull brought: :func:`pulled_over`), ``said`` what it is
    (:func:`brought_said`), ``where`` the version that holds it (a commit's board, or
    the kept copy), ``typed`` whether the save holds anything typed in the buffer (else
    it is byte for byte an older version): ``what git brought, 1 task added ('T')
    (HEAD:./.ai/tasks.org holds them): a buffer opened before git changed the board (a
    pull, a merge) was saved over it, with what was typed in it``. Raises ``KeyError``
    for another ``kind``."""
    what, before = _TOLD[kind]
    holds = {"both": f"the board the tool wrote last and {where} hold them",
             "tool": f"the board it wrote last, {where}, holds them"}.get(
                 kind, f"{where} holds them")
    if kind in ("clone", "pulled"):  # (the save was typed in the other clone: git's there)
        return (f"{what}, {said} ({holds}): a buffer opened before {before} was saved "
                "over it there, committed, and git brought that commit here"
                f"{', edited here since' if typed else ''}")
    return (f"{what}, {said} ({holds}): a buffer opened before {before} was saved over "
            f"it, {'with what was typed in it' if typed else 'with nothing typed in it'}")


#: How many of the boards the tool's last writes read are kept (:func:`read_paths`): a
#: buffer opened on one of them is merged on it exactly; one opened earlier, on the
#: oldest (what both sides hold, both added alike).
READ_KEPT = 24


def read_paths(kept: str) -> list[str]:
    """The boards the tool's last writes read, newest first:
    ``.ai/.locks/live/tasks.org.read.N`` beside the kept copy ``kept`` (per machine,
    never in git; at most :data:`READ_KEPT`): the bases of :func:`over_own_writes`.
    One ``listdir``; raises nothing."""
    folder, name = os.path.split(kept)
    stem = f"{name}.read."
    try:
        found = [(int(entry[len(stem):]), entry) for entry in os.listdir(folder)
                 if entry.startswith(stem) and entry[len(stem):].isdigit()]
    except OSError:
        return []
    return [os.path.join(folder, entry) for _n, entry in sorted(found, reverse=True)]


def _reads(kept: str) -> list[bytes]:
    """The boards the tool's last writes read (:func:`read_paths`), newest first, as
    bytes; those that cannot be read left out. Raises nothing."""
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError

    found = []
    for path in read_paths(kept):
        with contextlib.suppress(AiProtocolsError):
            one = board_bytes(path)
            if one is not None:
                found.append(one)
    return found


def keep_read(kept: str, read: bytes, last: bytes | None, linked: str | None, *,
              wrote: bool = True) -> None:
    """After a write of the board that stands: keep ``read`` (the board as this write
    read it) as the newest of :func:`read_paths`: ``linked`` (:func:`link_last`, the
    kept copy before this write under a second name, no copy made) when ``read`` is
    ``last`` (the kept copy's bytes: the tool's writes follow one another), else a
    copy (a person, an editor or git wrote the board since, or there was no kept
    copy); the oldest beyond :data:`READ_KEPT` removed. Not ``wrote`` (the write
    failed or gave way to a save): ``linked`` only removed. Only after a write that
    stands: a person's deletion read by a write that then wrote nothing must not read
    as a stale save. Atomic; a failure only loses that base (a stale save over the
    tool's writes is then judged as before: what it dropped of the tasks is lost, of
    the claims and locks put back). Raises nothing."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    with contextlib.suppress(OSError, AiProtocolsError):
        if wrote:
            older = read_paths(kept)
            path = f"{kept}.read.{int(older[0].rsplit('.', 1)[1]) + 1 if older else 1}"
            if linked is not None and read == last:
                os.replace(linked, path)
                linked = None
            else:
                storage.atomic_write(path, read)
            for gone in older[READ_KEPT - 1:]:
                os.unlink(gone)
    if linked is not None:
        with contextlib.suppress(OSError):
            os.unlink(linked)


def link_last(kept: str) -> str | None:
    """Before a write of the board: the kept copy ``kept`` (this tool's last write)
    given a second, temporary name (a hard link: the write puts a new file in its
    place), for :func:`keep_read`; ``None`` when it cannot be (no kept copy). No
    copy, no read. Raises nothing."""
    linked = f"{kept}.read.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(linked)
    try:
        os.link(kept, linked, follow_symlinks=False)
    except OSError:
        return None
    return linked


def lacks_all(data: bytes, older: bytes, base: bytes) -> int:
    """How many tasks and locks the board ``older`` (the tool's last write) holds, made
    since the board ``base``, when the board ``data`` lacks every one of them (a task it
    lacks whole, or holds in another text: the claim, close or note made since; a lock
    it lacks): a stale buffer, opened on ``base`` or before; 0 when ``older`` holds
    nothing new, or ``data`` holds one of them (made from a version that had it: the
    person's edit, deletions included), or a board cannot be read. Unlike
    :func:`~ai_protocols.session.entries_compared.brought_lacking` (what git brought, told
    by the versions before it), a task the buffer lacks whole counts as lacking its
    claim. Not when ``data`` holds every line ``older`` added to ``base``, or one of
    them that carries a time (``:CREATED:``, ``:CLAIMED_AT:``, a log item: text no
    buffer opened before the write can hold, whatever a person changed since): it was
    made after, as a person's edit of ids is (two ``:ID:`` lines swapped, or one
    retyped: by id, a task would look changed). Parses the three boards; raises
    nothing."""
    import re

    added = set(older.splitlines()) - set(base.splitlines()) - {b""}
    held = added & set(data.splitlines())
    stamp = re.compile(rb"\[\d{4}-\d{2}-\d{2} ")  # (an inactive timestamp's date)
    if added and (held == added or any(stamp.search(line) for line in held)):
        return 0  # (made after the write: it holds what the write wrote)
    made, lacks = _made(base, older), _made(data, older)
    if made is None or lacks is None:
        return 0
    return len(made) if made and made <= lacks else 0


def _made(base: bytes, board: bytes, *, taken: bool = True
          ) -> set[tuple[bool, str]] | None:
    """What the board ``board`` holds that ``base`` lacks or holds in another text
    (:func:`~ai_protocols.board.merge.lacking_said`): its tasks by title (``False``)
    and its locks by path (``True``), and ``(True, "locks section")`` when the locks
    section changed with no lock new or changed (a lock taken out), unless not
    ``taken``; ``None`` when one is no board the merge reads."""
    from ai_protocols.board.merge import lacking_said

    found = lacking_said(base, board)
    if found is None:
        return None
    return {(False, name) for name in found[0] + found[1]} | \
        {(True, p) for p in found[2] if taken or p != "locks section"}


def revert_said(data: bytes, merged: bytes, *, mode: bool = False) -> str:
    """What a warning of a stale save's merge back (the board on disk ``data``, merged
    back ``merged``) advises, the one text of it (the readers', the write's): revert the
    buffer in Emacs before editing on (``mode``: or turn on ``auto-revert-mode``), if it
    was stale; and, when the merge back puts a lock or claim back, the command that
    ends it, if a person took it out on purpose in an up-to-date buffer, which cannot
    be told from a stale save (:func:`~ai_protocols.board.model.ending_commands`:
    reverting then does nothing, and an edit that takes it out again is merged back
    again). By the locks (path and owner) and claims (task id and owner) ``merged``
    holds and ``data`` does not. Parses the two boards; raises nothing."""
    from ai_protocols.board.model import BoardFile, ending_commands, read_board

    revert = ("If the buffer was stale (opened before), revert it in Emacs (M-x "
              f"revert-buffer) before editing on{', or turn on auto-revert-mode' if mode else ''}")
    try:
        tasks, locks = read_board(BoardFile(data.decode("utf-8")), check=False)
        back_tasks, back_locks = read_board(BoardFile(merged.decode("utf-8")), check=False)
    except (UnicodeDecodeError, ValueError):
        return revert
    held = {(lock.path, lock.owner) for lock in locks}
    owners = {task.id: task.owner for task in tasks if task.id}
    ways = ending_commands(
        [lock.path for lock in back_locks if lock.owner and (lock.path, lock.owner) not in held],
        [task.id for task in back_tasks if task.id and task.owner and
         owners.get(task.id) != task.owner])
    if not ways:
        return revert
    return (f"{revert}; if a person took it out on purpose in an up-to-date buffer (the "
            f"two cannot be told apart), run {' or '.join(ways)} instead: an edit that "
            "takes it out is merged back")


def disk_lines(view: OrgFile, disk: OrgFile) -> dict[int, int | None]:
    """The line (1-based) in ``disk`` (the board as the file on disk holds it, what a
    person has open in Emacs) of each task's headline in ``view`` (the board with what
    git brought merged back, as readers show it and the next write writes it), by its
    line in ``view``; ``None`` for a task only ``view`` holds (git brought it). A task
    is known by its ``ID``, one without by its headline's title (of several alike, the
    first in ``view`` is the first in ``disk``...). So every line said to a person, and
    every ``line:N`` key taken from one, is the file's (docs/tasks.md, "A task added in
    Emacs"). Linear in the headlines; raises nothing."""
    from ai_protocols.board.model import task_headlines

    def keyed(doc: OrgFile) -> dict[tuple[str, str, int], int]:
        seen: dict[tuple[str, str], int] = {}
        found = {}
        for index in task_headlines(doc):
            h = doc.headlines[index]
            ident = h.properties.get("ID", "").strip()
            key = ("id", ident) if ident else ("title", h.raw_title.strip())
            seen[key] = seen.get(key, 0) + 1
            found[(*key, seen[key])] = h.line + 1
        return found

    on_disk = keyed(disk)
    return {line: on_disk.get(key) for key, line in keyed(view).items()}


def left_sides(board: str, data: bytes, refused: Exception) -> tuple[str, str] | None:
    """When the merge back of what git brought is left to a person (``refused``, the
    :class:`~ai_protocols.errors.BoardStaleSave` of :func:`for_reading`): the board's
    text (``data``) and the text of the version git brought and the tool wrote (the
    refusal's ``theirs``, the file its commands merge, else its ``newer``, one ``git
    show``), whose locks both hold until the person settles it, as the two
    sides of git's conflict markers do (the one rule of the PreToolUse hook, ``locks``
    and ``check``); ``None`` when that version cannot be read. Raises nothing."""
    from ai_protocols.session.transaction import git_version

    theirs = getattr(refused, "theirs", None)
    newer = board_file_bytes(theirs) if theirs else \
        git_version(os.path.dirname(os.path.dirname(board)), getattr(refused, "newer", ""))
    if not newer:
        return None
    return data.decode("utf-8", "replace"), newer.decode("utf-8", "replace")




def brought_said(data: bytes, newer: bytes, before: tuple[bytes, ...], lacking: int) -> str:
    """What the board ``data`` lacked of what git brought (``newer``: ``HEAD``'s board;
    ``before``: the boards from before git changed it), said by kind
    (:func:`~ai_protocols.board.merge.lacking_said`), each counted (:func:`counted`)
    and named: ``1 task added ('Task four'), 2 tasks changed ('Task one', 'Task two')
    and 1 lock (src/)``; when they cannot be read, ``lacking`` (how many,
    :func:`~ai_protocols.board.merge.tasks_lacking`) counted as tasks or locks. Raises
    nothing."""
    from ai_protocols.board.merge import lacking_said
    from ai_protocols.lean import counted, quoted

    found = lacking_said(data, newer, before)
    if found is None:
        return counted(lacking, "task or lock", "tasks or locks")
    added, changed, locks = found
    parts = [f"{counted(len(names), one, many)} ({', '.join(quoted(n, 60) for n in names)})"
             for names, one, many in ((added, "task added", "tasks added"),
                                      (changed, "task changed", "tasks changed"))
             if names]
    if locks:
        parts.append(f"{counted(len(locks), 'lock', 'locks')} ({', '.join(locks)})")
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def left_to_person(merged: MergeResult | None) -> tuple[str, ...]:
    """The titles of the tasks the board's merge ``merged`` left to a person, in the
    order they come, each task once (:func:`left_parts`). Raises nothing."""
    return left_parts(merged)[0]


def left_parts(merged: MergeResult | None) -> tuple[tuple[str, ...], bool]:
    """What the board's merge ``merged`` left to a person, in the order it comes: ``(the
    titles of the tasks: of each conflict, those whose headlines its first side
    (``<<<<<<<`` to ``=======``) holds, or, when it holds none, the task it is in, each
    task once (a headline both changed and a line under it are one task, named by its
    first side's title), whether a conflict is in the locks section)``; ``((), False)``
    when there is no merged text. Raises nothing."""
    if merged is None:
        return (), False
    found: list[str] = []
    locks = False
    title: str | None = None
    in_locks = False
    side = 0  # (0: outside a conflict; 1: its first side; 2: its second)
    named = False
    for line in merged.data.decode("utf-8", "replace").splitlines():
        if line.startswith("<<<<<<< "):
            side, named = 1, False
        elif side == 1 and line.startswith("======="):
            side = 2
            if not named:
                if in_locks:
                    locks = True
                elif title and title not in found:
                    found.append(title)
        elif side == 2 and line.startswith(">>>>>>> "):
            side = 0
        elif side != 2 and line.startswith("* "):  # (the second side's: the same task's)
            title = headline_title(line)
            in_locks = title is None
            if side == 1 and title:
                named = True
                if title not in found:
                    found.append(title)
    return tuple(found), locks


def headline_title(line: str) -> str | None:
    """A level-1 headline's title: without its stars, its state keyword (:data:`STATES`)
    and its tags; ``None`` for the locks section's."""
    from ai_protocols.board.model import STATES

    words = line[2:].strip()
    first, _, rest = words.partition(" ")
    if first in STATES:
        words = rest
    head, _, last = words.rpartition(" ")
    if head and len(last) > 1 and last[0] == last[-1] == ":":  # (its tags)
        words = head.strip()
    return None if words == "Locks" else words


def committed_onto(root: str, head: str, recorded: str) -> bool:
    """Whether ``HEAD`` came to ``head`` from ``recorded`` (the commit the board's last
    write recorded) by one's own commits only (:data:`OWN_COMMIT`), as ``HEAD``'s
    reflog says (:func:`moves_back`): then git brought nothing since that write, and
    what a stale buffer lacks is what the pull before it brought (the record's
    ``SINCE``). Reads the end of one file; no process; raises nothing."""
    return any(old == recorded for old, _new, message in moves_back(root, head)
               if message.startswith(OWN_COMMIT))
