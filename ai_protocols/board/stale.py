"""The task board's stale-save rule: what git brought that a stale save dropped.

A stale save (an editor's buffer opened before ``git pull``, saved after) can drop
from ``.ai/tasks.org`` the tasks, claims and locks the pull brought. This module holds
the one rule that finds them and merges them back (:func:`brought_back`), for the
board's next write (``Board.editing``) and for every reader: ``task list``/``show``,
``locks``, ``check``, the PreToolUse hook and ``resume`` (the SessionStart and
PreCompact hooks), through :func:`for_reading`, which writes nothing to the board. It
is below ``session/resume.py`` in the layers (docs/architecture.md), so that the
resume context reads the board as the next write will make it; the cheap decision
whether to run it at all is :func:`ai_protocols.board.brought.unchecked`
(docs/tasks.md, on a buffer saved after a pull; docs/decisions.md, "Issue 14,
eighteenth round (the board's readers after a stale save)" and "Issue 14,
nineteenth round (the board's readers and one's own commits)").

The record of the board's last write here (:func:`record_head`,
``.ai/.locks/live/tasks.org.commit``) is ``HEAD [SINCE [PULLED]]``: the commit
``HEAD`` named at that write, and, after a pull or merge moved ``HEAD`` since the
write before, the commit it moved from (``SINCE``) and the one it moved to
(``PULLED``, the pull's result). What the pull brought is the board at ``PULLED``
against the board at ``SINCE``; one's own commits since are not git's doing.

With no pull recorded, a buffer opened before this tool's own writes and saved over
them is judged on the boards its last writes read (:func:`over_own_writes`,
``tasks.org.read.N``: :func:`keep_read`). Every warning of these paths says what is
lacking in one text (:func:`told`): whose doing, and whether anything was typed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

from ai_protocols.git.head import BROUGHT, OWN_COMMIT, moves_back, pulled_from, pulls_back

if TYPE_CHECKING:
    from collections import Counter

    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.merge import MergeResult

__all__ = ["as_read", "brought_back", "for_reading", "keep_read", "left_sides",
           "left_to_person", "link_last", "read_record", "record_head", "told"]


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


def brought_back(board: str, kept: str, data: bytes) -> tuple[bytes, int, str] | None:
    """The board ``board`` (its kept copy ``kept``) read as ``data`` with the tasks git
    brought that a stale save over it dropped merged back: ``(the merged board, how
    many tasks and locks it regained, what they are, said (:func:`brought_said`) with
    where they are)``; ``None`` when nothing was dropped. The session file's rule
    (:func:`ai_protocols.session.entries_compared.brought_lacking`): only when ``HEAD``
    (read from git's files, no process) is not the commit the board was last written
    against (:func:`record_head`), is ``HEAD``'s board read (one ``git show``: the
    board may be its kept copy, which a stale buffer saved with nothing typed in it
    puts back) and the board at the recorded commit (one more); what git brought is
    what the board the newest pull left (:func:`pulled_from`) holds against the board
    before that pull (one more ``git show``; else the kept copy and the recorded
    commit's), and when the board lacks every thing of it
    (:func:`~ai_protocols.board.merge.tasks_lacking`) the save is merged back on the
    version its buffer was opened on, with the tool's writes kept (:func:`merge_back`:
    a buffer older than several pulls too); when it lacks nothing git brought, the
    tool's own writes are judged as with no pull (:func:`over_own_writes`). When
    ``HEAD`` came from the recorded commit by one's own commits only
    (:func:`committed_onto`: git brought nothing since that write), the save is judged
    as when ``HEAD`` had not moved (:func:`over_writes`, with the record's ``SINCE`` and
    ``PULLED``). Raises :class:`~ai_protocols.errors.BoardStaleSave` (nothing written to
    the board) when a task both changed is left to a person, with the commands that
    merge the three leaving conflict markers (:func:`refuse`). Reads only, but for the
    versions those commands merge, written beside the kept copy: the board's writer
    calls it holding the board's lock, a reader without (:func:`for_reading`)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.head import read_head

    root = os.path.dirname(os.path.dirname(board))
    head = read_head(root)
    if head is None or not head[1]:
        return None
    recorded, since, pulled = read_record(kept)  # (None: never recorded here)
    found = while_stopped(board, kept, data, recorded)
    if found is not None:
        return found
    if _git_wrote_stopped(root, board):
        return None  # (git's board of the operation under way: a revert's take-out too)
    if recorded == head[1]:
        return over_writes(board, kept, data, since, pulled, recorded)
    from ai_protocols.board.model import board_bytes

    try:
        older = board_bytes(kept)
    except AiProtocolsError:  # (not a regular file: no version to tell by)
        return None
    if recorded is not None and committed_onto(root, head[1], recorded):
        # (one's own commits since the last write: git brought nothing since; the
        # pull before that write, if any, is what a stale buffer lacks; a record
        # without the pull's result: the commit recorded)
        return over_writes(board, kept, data, since, pulled or recorded, recorded)
    # (a board that is the tool's last write is no proof here: git changed it since
    # that write, and a save from a buffer older than git's change puts those bytes
    # back, a note typed and deleted, or Emacs's "save anyway": judged as any other)
    result = "HEAD"  # (the commit whose board holds what git brought)
    from ai_protocols.board.hidden import board_pull, brought_board

    below = os.path.relpath(board, root)
    pull = board_pull(root, pulls_back(root, head[1]), below)  # (the newest that
    # changed the board)
    if recorded is None:
        if pull is None:
            return None
        recorded, result = pull[:2]  # (commits of one's own since: not git's doing)
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.transaction import git_version

    where = f"{'HEAD' if result == head[1] else result}:./{below}"
    newer = pull[3] if pull is not None and pull[1] == (result if result != "HEAD" else
                                                       head[1]) else git_version(root, where)
    hidden = brought_board(newer, pull) if newer is not None else None
    if hidden is not None and pull is not None:  # (HEAD's board: a stale save, committed;
        newer, where = hidden, f"{pull[1]}:./{below}"  # what the pull left holds its lack)
    kind = "git"
    if hidden is None and pull is not None and newer == pull[3]:
        seen = seen_dropped(board, kept, pull, below)  # (the pull brought another clone's
        if seen is not None:  # stale save, committed: what it dropped, this clone had, or
            newer, where, kind = seen  # the same pull brought before it)
            pull = (*pull[:2], pull[3], pull[3])  # (what git brought: what it dropped)
    if newer is None or newer == data:
        return None  # (no board there; or git wrote these very bytes: a pull, a checkout)
    committed = git_version(root, f"{recorded}:./{below}")
    if older is not None and not came_from(root, head[1], recorded):
        older = None  # (a checkout, a reset since the tool's last write: its writes since
        # are that line's, the lost claims rule's; what git brought here is HEAD's)
    # (what git brought: the board the newest pull left against the board before it,
    # whatever wrote that one: the tool, or a person's own commit; a save that holds
    # some of it was made after it, deletions included: the person's edit)
    before = pull[2] if pull else None
    gate = (before,) if before is not None else \
        tuple(one for one in (older, committed) if one is not None)
    if not gate or brought_lacking(tasks_lacking, data, newer, gate) <= 0 or \
            _lacks_only_ends(data, gate[0], newer):
        # (nothing git brought is lacking: the tool's own writes, judged as with no pull;
        # or only the items of claims it ended, held nowhere in the save: a tidying)
        return over_own_writes(board, kept, data) if older is not None else None
    return merge_back(board, kept, data, older, newer, committed, where, gate[0],
                      history=pull[1] if pull is not None else "HEAD", kind=kind)  # (no stale
    # save committed since: the versions a buffer opened before the pull may be on)


def while_stopped(board: str, kept: str, data: bytes, recorded: str | None
                  ) -> tuple[bytes, int, str] | None:
    """:func:`brought_back` of a save made while a merge or rebase is stopped (a ``git
    pull`` stopped on a conflict in another file): judged against the board git wrote
    into its index, what the stopped pull already brought
    (:func:`~ai_protocols.board.hidden.stopped_pull`), against the board before it, as
    against a pull's result (:func:`merge_back`): a save lacking every thing it brought
    is a buffer opened before it, merged back; one holding some of it is a person's
    edit and stands. ``None`` when none is stopped, the index holds the save itself
    (staged), or it lacks nothing git brought: the other rules judge it. ``recorded``:
    the commit the board's last write here recorded (:func:`read_record`). Raises
    :class:`~ai_protocols.errors.BoardStaleSave` as :func:`merge_back` does."""
    from ai_protocols.board.hidden import stopped_pull
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.head import read_head
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.transaction import git_version

    root = os.path.dirname(os.path.dirname(board))
    below = os.path.relpath(board, root)
    stopped = stopped_pull(root, below)
    if stopped is None or stopped[2] == data or \
            brought_lacking(tasks_lacking, data, stopped[2], (stopped[1],)) <= 0:
        return None
    before, at_before, wrote = stopped
    try:
        older = board_bytes(kept)
    except AiProtocolsError:
        older = None
    head = read_head(root)
    if older is not None and (recorded is None or head is None or not head[1] or
                              not came_from(root, head[1], recorded)):
        older = None  # (the tool's last write is not on this line: git's board only)
    committed = git_version(root, f"{recorded}:./{below}") if older is not None else None
    return merge_back(board, kept, data, older, wrote, committed, f":0:./{below}",
                      at_before, history=before)


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


def merge_back(board: str, kept: str, data: bytes, older: bytes | None, newer: bytes,
               committed: bytes | None, where: str, before: bytes, *,
               history: str = "HEAD", kind: str = "git") -> tuple[bytes, int, str] | None:
    """:func:`brought_back` of a save over what git brought (``newer``, the board at
    ``where``: ``HEAD``'s, or the pull's result before one's own commits) and the
    tool's writes on ``HEAD``'s line (``older``, the kept copy; ``None``: none), the rule
    the session file's is (docs/decisions.md, "Issue 14, twentieth round (the base of
    a stale save's merge)"): every task, claim, lock and line any of the tool's
    versions holds is kept unless the save removed it from the version its buffer was
    opened on; what the tool wrote after that, or git brought, is never the person's
    deletion. The tool's two versions are joined (:func:`tools_join`, on
    ``committed``, the board at the commit the last write recorded), the version the
    buffer was opened on found (:func:`opened_on` among :func:`known_versions`; the
    caller found that the save lacks what git brought since ``before``, the board
    before the pull: ``before`` itself when the one found holds all of it), and
    the save merged three ways on it, theirs the joined one, when the save lacks what
    they made since it (:func:`~ai_protocols.session.entries_compared.brought_lacking`,
    the tasks known by the one identity rule: a person's retyped or deleted ``:ID:`` is
    the same task). ``(the merged board, how many tasks and locks it regained, what
    they are: :func:`told`)``; ``None`` when the save lacks nothing. Runs git twice
    (:func:`known_versions`, of the history of ``history``). Raises
    :class:`~ai_protocols.errors.BoardStaleSave`
    (nothing written to the board) when the merge leaves a task both changed to a
    person, its base and theirs written for the commands it gives
    (:func:`refuse`)."""
    from ai_protocols.board.hidden import stale_merge
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking

    versions = known_versions(board, kept, [older, newer, committed], history)
    theirs = tools_join(older, newer, committed, versions)
    if theirs is None:  # (the two do not join: what git holds, as before)
        theirs = newer
    base = opened_on(data, [theirs, *versions])
    lacking = brought_lacking(tasks_lacking, data, theirs, (base,))
    if lacking <= 0:  # (the caller found it lacks what git brought since ``before``: a
        base = before  # version after that cannot be the one it was opened on)
        lacking = brought_lacking(tasks_lacking, data, theirs, (base,))
        if lacking <= 0:
            return None
    from ai_protocols.board.hidden import held_before_said

    earlier = held_before_said(data, theirs, base, before, brought_said) \
        if history != "HEAD" else \
        None  # (``before``: the board before a pull only when one was found)
    said = earlier or brought_said(data, theirs, (base,), lacking)
    merged = stale_merge(base, data, theirs, labels=(board, "opened", "theirs"))
    # (whose: the tool's when the kept copy holds lines neither git nor the base does;
    # the kept copy holds some of what the save lacks when it lacks less of it)
    tools = older is not None and bool(set(older.splitlines()) - set(newer.splitlines())
                                       - set(base.splitlines()))
    kind = "both" if tools else kind
    if merged is None or merged.conflicts:
        held = older is not None and tasks_lacking(older, theirs, (base,)) < lacking
        refuse(board, kept, base, theirs, where, said, merged,
               held=kept if held else None, kind="git" if kind in ("clone", "pulled") else kind)
    return merged.data, lacking, told(kind, said, where, typed=data != base)


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


def over_writes(board: str, kept: str, data: bytes, since: str | None,
                pulled: str | None, written: str | None
                ) -> tuple[bytes, int, str] | None:
    """:func:`brought_back` of a save judged against the tool's writes here (the board
    ``board`` saved as ``data``, its kept copy ``kept``, the write record's ``SINCE``,
    ``PULLED`` and ``HEAD`` (``written``): :func:`read_record`): a buffer opened
    before the pull the record names (:func:`older_than_write`), else before some of
    the tool's writes (:func:`over_own_writes`: since that pull, or with none
    recorded). The one judgement of a save over the tool's writes, whether git moved
    ``HEAD`` since them or not. Raises :class:`~ai_protocols.errors.BoardStaleSave` as
    they do."""
    found = older_than_write(board, kept, data, since, pulled, written) if since else None
    return found if found is not None else over_own_writes(board, kept, data)


def _steps_back(root: str, below: str, start: str, at_start: bytes
                ) -> Iterator[tuple[bytes, bytes]]:
    """The steps of the board's history before the commit ``start`` (whose board is
    ``at_start``), newest first, as ``HEAD``'s reflog tells them (:func:`moves_back`,
    from the entry that moved ``HEAD`` to ``start``): one's own commits, pulls and
    merges, each ``(the board at the commit it moved from, the board at the one it
    moved to)``; those that left the board as it was passed over. Ends at another
    kind of move (a checkout, a reset: what came before is no history of this board)
    or a board git cannot give. One ``git show`` per step, as the caller walks."""
    from ai_protocols.git.head import read_head

    head = read_head(root)

    def revs() -> Iterator[str]:
        reached = False
        for old, new, message in moves_back(root, head[1] if head else "",
                                            OWN_COMMIT + BROUGHT):
            reached = reached or new == start
            if not reached:
                continue  # (after start: the caller's)
            if not message.startswith(OWN_COMMIT + BROUGHT):
                return
            yield old

    yield from _pairs(root, below, revs(), at_start)


def _pairs(root: str, below: str, revs: Iterator[str], at_start: bytes
           ) -> Iterator[tuple[bytes, bytes]]:
    """The board's steps back through the commits ``revs`` (newest first, each the
    commit a step started from), from the board ``at_start``: each ``(the board at the
    commit, the board after it)`` where they differ; ends at a board git cannot give.
    One ``git show`` per commit, as the caller walks. The one walk of
    :func:`_steps_back` (this clone's reflog) and :func:`_history_steps` (git's
    history)."""
    from ai_protocols.session.transaction import git_version

    after = at_start
    for rev in revs:
        before = git_version(root, f"{rev}:./{below}")
        if before is None:
            return
        if before != after:
            yield before, after
            after = before


def _lacks_every(version: bytes, before: bytes, after: bytes, *,
                 deleted_tells: bool = True) -> bool | None:
    """Whether the board ``version`` lacks every thing the step from the board
    ``before`` to the board ``after`` made (:func:`_made`: a task, a claim, a close, a
    lock; a lock taken out is nothing made): each held in no text that has the step's
    change (:func:`~ai_protocols.board.merge.lacking_said` against ``before``: a note
    typed into a task the step claimed lacks the claim), or not held at all (a task
    the version lacks whole lacks the claim made on it, where ``brought_lacking``
    takes it for a person's deletion): a version from before the step. Not
    ``deleted_tells`` (``version`` is another clone's board, not this tool's buffer):
    a task ``before`` held that ``version`` lacks whole is a person's deletion there,
    whichever version the buffer was opened on, and what the step made on it tells
    nothing; and a task whose every changed line it changed again, to lines of its
    own, is a later edit in that clone's history (``lacking_said``'s ``committed``:
    an ``:ID:`` retyped in two commits). ``None`` when the step made nothing (of what
    tells) or a board cannot be read: no sign either way. Parses the three boards;
    raises nothing."""
    from ai_protocols.board.merge import lacking_said

    made = _made(before, after, taken=not deleted_tells)
    held = lacking_said(version, after, (before,), committed=not deleted_tells)
    whole = lacking_said(version, after)  # (its first list: the tasks it lacks whole)
    if made and (True, "locks section") in made and _took_out_of(version, before, after):
        made = made - {(True, "locks section")}  # (no sign either way: below)
    if made:  # (a claim's end with its record held nowhere in ``version``: the same)
        made = made - {(False, title) for title in _ended_out_of(version, before, after)}
    if not made or held is None or whole is None:
        return None
    if not deleted_tells:  # (the tasks the step did not add that it lacks whole)
        deleted = set(whole[0]) - set(held[0])
        made = {one for one in made if one[0] or one[1] not in deleted}
        if not made:
            return None
    lacked = {(False, name) for name in held[0] + held[1] + whole[0]} | \
        {(True, path) for path in held[2]}
    return made <= lacked


def _took_out_of(version: bytes, before: bytes, after: bytes) -> bool:
    """Whether the step from the board ``before`` to the board ``after`` took locks out
    (an ``unlock``, with the item it writes) that the board ``version`` holds none of:
    a buffer opened before that step holds them (a stale save puts them back), so
    ``version`` lacking them as well as the item is a person's tidying of the locks
    section after it, or a buffer opened before they were taken: no sign that it was
    opened before the step (docs/decisions.md, "Twenty-fourth round: the board's
    unlocks, deletions and rebases"). By the locks' records (``LOCKED_AT``,
    :func:`~ai_protocols.board.model.lock_records`). Linear in the lines; raises
    nothing."""
    from ai_protocols.board.model import lock_records

    taken = lock_records(before) - lock_records(after)
    return bool(taken) and not taken & lock_records(version)


def _ended_out_of(version: bytes, before: bytes, after: bytes) -> set[str]:
    """The titles of the tasks whose claim the step from the board ``before`` to the
    board ``after`` ended by the tool (its ``CLAIMED_AT`` taken out and an item ending
    a claim written: :func:`~ai_protocols.board.model.ended_since`, the one rule) when
    the board ``version`` holds none of the records of the claims it ended: a buffer
    opened before that step holds the claim (a stale save puts it back), so
    ``version`` lacking the end item as well as the claim is a person's tidying of the
    log after the end was known, or a buffer opened before the claim was made (which
    the claim's own step, walked next, tells): no sign that it was opened before the
    step, as :func:`_took_out_of` is for ``unlock``'s item (docs/decisions.md,
    "Twenty-fifth round: the board's hand deletions and stopped operations"). Parses
    the boards only when a claim's record left; raises nothing."""
    from ai_protocols.board.model import BoardFile, ended_since, read_board

    taken = _claim_records(before) - _claim_records(after)
    if not taken or taken & _claim_records(version):
        return set()
    try:
        tasks = read_board(BoardFile(before.decode("utf-8")), check=False)[0]
    except (UnicodeDecodeError, ValueError):
        return set()
    return {task.title for task in tasks
            if task.claimed_at and task.claimed_at.encode() in taken and
            ended_since(after, before, task)}


def _lacks_only_ends(data: bytes, before: bytes, after: bytes) -> bool:
    """Whether all the board ``data`` lacks of the step from the board ``before`` to the
    board ``after`` (what a pull brought: :func:`~ai_protocols.board.merge.lacking_said`)
    is tasks whose claim that step ended, ``data`` holding none of those claims
    (:func:`_ended_out_of`): a person who tidied the end's item away after the end was
    known, not a stale save (a buffer opened before the step holds the claim). Parses
    the boards only when a claim's record left; raises nothing."""
    from ai_protocols.board.merge import lacking_said

    ended = _ended_out_of(data, before, after)
    if not ended:
        return False
    lacked = lacking_said(data, after, (before,))
    return lacked is not None and not lacked[0] and not lacked[2] and \
        set(lacked[1]) <= ended


def _claim_records(data: bytes) -> set[bytes]:
    """The records (``CLAIMED_AT`` values, as bytes) of the claims the board ``data``
    holds, as :func:`~ai_protocols.board.model.lock_records` reads locks'."""
    return {line.strip().split(b":", 2)[2].strip() for line in data.splitlines()
            if line.strip().startswith(b":CLAIMED_AT:")}


def _holds_some(version: bytes, before: bytes, after: bytes) -> bool:
    """Whether the board ``version`` holds some of what the step from the board
    ``before`` to the board ``after`` made (not :func:`_lacks_every`), or the step
    made nothing: ``version`` is then of after that step."""
    return not _lacks_every(version, before, after)


def _versions_back(root: str, below: str, start: str, at_start: bytes,
                   reads: list[bytes], steps: Iterator[tuple[bytes, bytes]] | None = None
                   ) -> Iterator[bytes]:
    """The versions the board had before ``at_start`` (the board at the commit
    ``start``, or this tool's write made there), newest first: the boards of
    :func:`_steps_back` (what git's history holds), with ``reads`` (the boards the
    tool's writes read, :func:`read_paths`, newest first, each older than
    ``at_start``) between them where they were read: a board read holding some of
    what a step made (:func:`_holds_some`) was read after that step. The tool's writes
    made between two commits are thus steps of their own. ``steps``: the steps to walk
    instead of this clone's reflog's (:func:`_history_steps`: a commit another clone
    made, which this clone's reflog never named). Lazy: one ``git show`` per step of
    git's history reached."""
    reads = list(reads)
    steps = _steps_back(root, below, start, at_start) if steps is None else steps
    step = next(steps, None)
    while reads or step is not None:
        if reads and (step is None or _holds_some(reads[0], *step)):
            yield reads.pop(0)
        elif step is not None:
            yield step[0]
            step = next(steps, None)


def opened_before(board: str, kept: str, data: bytes, start: str, at_start: bytes,
                  reads: list[bytes] | None = None, *, deleted_tells: bool = True,
                  steps: Iterator[tuple[bytes, bytes]] | None = None
                  ) -> tuple[bytes, str] | None:
    """The one walk back of a stale save: the board ``board`` saved as ``data`` from a
    buffer opened before the board ``at_start`` (at the commit ``start``, or the tool's
    write made there), on which version? The versions before it, newest first
    (:func:`_versions_back`: git's history from ``start`` back, over one's own commits
    (the tool's writes committed, a person's) and pulls and merges (git's), and the
    boards the tool's writes read, ``reads``, between them), are walked back over
    while the save lacks every change of the step to the one after
    (:func:`_lacks_every`: a buffer opened before it), a step that made nothing (a
    deletion only) passed over; the first step the
    save holds a change of ends the walk (the buffer was opened on the version after
    it), as the end of what is known does. ``(the save with what it lacks of those
    steps merged back: the board's merge, base the version it was opened on, theirs
    ``at_start``; what those steps made, in words)``; ``None`` when the save lacks no
    such step or a board cannot be read. ``deleted_tells``: as :func:`_lacks_every`
    (not: ``data`` is the board another clone's commit holds,
    :func:`seen_dropped`); ``steps``: as :func:`_versions_back`. For :func:`older_than_write`
    (what came before
    the pull its record names; a save over a pull since the tool's last write is
    :func:`merge_back`'s, on the version :func:`opened_on` finds). One ``git show`` per
    step of git's history walked. Raises :class:`~ai_protocols.errors.BoardStaleSave`
    (nothing written to the board) when that merge leaves a task both changed to a
    person, with the commands that merge the three on the version the buffer was
    opened on (:func:`refuse`: both written beside the kept copy ``kept``)."""
    from ai_protocols.board.hidden import stale_merge
    from ai_protocols.board.merge import tasks_lacking

    root = os.path.dirname(os.path.dirname(board))
    below = os.path.relpath(board, root)
    opened, lacked = at_start, []
    for before in _versions_back(root, below, start, at_start, reads or [], steps):
        lacks = _lacks_every(data, before, opened, deleted_tells=deleted_tells)
        if lacks is False:
            break
        if lacks is None and _made(before, opened) is None:
            break  # (a board the merge cannot read)
        if lacks:  # (else a step that made nothing: only took out, no sign either way)
            lacked.append(brought_said(before, opened, (), tasks_lacking(before, opened)))
        opened = before
    if not lacked:
        return None
    merged = stale_merge(opened, data, at_start, labels=(board, "opened", "then"))
    if merged is None:
        return None
    said = " and ".join(lacked)
    if merged.conflicts:
        refuse(board, kept, opened, at_start, f"{start}:./{below}", said, merged)
    return merged.data, said


def seen_dropped(board: str, kept: str, pull: tuple[str, str, bytes, bytes], below: str
                 ) -> tuple[bytes, str, str] | None:
    """The board the pull ``pull`` (:func:`~ai_protocols.board.hidden.board_pull`:
    ``(the commit before it, the one after, the board before it, the board it left)``)
    should have left, when what
    it brought is another clone's stale save, committed (a buffer opened there before a
    pull that brought what this clone had too, saved after it, committed and pushed):
    the board it left lacks every thing a step of this clone's own history before the
    pull made (:func:`opened_before`, walked back from the
    board before the pull: the pulls that brought it here, one's own commits), so it
    was opened before that step, and what it dropped is merged back (the board's
    merge, base the version it was opened on, theirs the board before the pull):
    another agent's claim and lock that this clone had shown stay that agent's. A
    board that holds some of what the step before the pull made is the person's edit
    on an up-to-date buffer (a lock line deleted, a task closed), and stands: ``None``;
    so does a board that holds the item an ``unlock`` there wrote of a lock this
    clone had (:func:`~ai_protocols.board.hidden.unlocked_since`);
    so when the pull changed nothing, or a board cannot be read. A task the board
    before the step held that the board the pull left lacks whole was deleted there by
    a person, whatever buffer it was: what the step made on it tells nothing (a claim
    of it ends with its task, the lost-claims rule's). The board ``board``
    (its kept copy ``kept``; ``below``: its path from the work tree's top). One ``git
    show`` per step walked (one in the common case: the step holds what came before).
    Then the commits the pull brought are judged by the same rule
    (:func:`pulled_over`). ``(the board, the version that holds what it dropped, whose
    doing in :func:`told`'s words: ``clone``, ``pulled``)``, or ``None``.
    Raises :class:`~ai_protocols.errors.BoardStaleSave` when that merge leaves a task
    both changed to a person (:func:`refuse`'s commands).
    docs/decisions.md, "Twenty-third round: the board's claims a clone had seen"."""
    old, new, before, after = pull
    from ai_protocols.board.hidden import takes_out_unended, unlocked_since

    root = os.path.dirname(os.path.dirname(board))
    if before != after and not unlocked_since(after, before) and \
            not _reverted_pull(root, old, new, below):  # (an ``unlock`` there ended
        # a lock this clone had: the tool's doing; a revert: a person's choice)
        found = opened_before(board, kept, after, old, before, deleted_tells=False)
        if found is not None and not takes_out_unended(found[0], after):
            return found[0], f"{old}:./{below}", "clone"
    found = pulled_over(board, kept, pull, below)
    if found is None or takes_out_unended(found[0], after):
        return None  # (a live lock or claim the board holds, deleted here by hand, is
        # not ended by that: the clone that put it back holds it, so does this one)
    return found[0], f"{found[1]}:./{below}", "pulled"


def _reverted_pull(root: str, old: str, new: str, below: str) -> bool:
    """Whether a commit the pull ``old..new`` brought that changed the board is a ``git
    revert`` of it (:func:`reverted_to`; the newest
    :data:`~ai_protocols.board.hidden.PULLS_WALKED` of them): what the board the pull
    left lacks of the board before it may be that revert's doing, a
    person's choice; the other commits the pull brought are still judged one by one
    (:func:`pulled_over`, which passes over the revert). One git run, then one or more
    per commit (:func:`reverted_to`)."""
    from ai_protocols.board.hidden import PULLS_WALKED

    return any(reverted_to(root, commit, below)
               for commit in _board_changes(root, old, new, below, PULLS_WALKED))


def pulled_over(board: str, kept: str, pull: tuple[str, str, bytes, bytes], below: str
                ) -> tuple[bytes, str] | None:
    """:func:`seen_dropped` of the commits the pull ``pull`` brought (``old..new``, both
    sides of a merge, newest first, at most
    :data:`~ai_protocols.board.hidden.PULLS_WALKED` that changed the board, merges
    left out: each side is judged on its own): a commit of another clone whose board
    lacks every thing a step of git's history before it made (:func:`opened_before`,
    the same rule, walked back over that commit's first parents:
    :func:`_history_steps`) is a stale save, committed, made from a buffer opened before
    that step, even when this clone never had the step (it came in the same pull: a
    claim and the save that dropped it; a release and the save that put the claim
    back). What it dropped or put back is merged back: the board that commit should
    have had, merged into the board the pull left (the board's merge, base that
    commit's board), so that what came after it stands: ``(that board, the commit
    whose board holds what the save lacks: the save's parent)``. ``None`` when no such commit
    (each holds some of the step before it: a person's edit on an up-to-date buffer,
    and the tool's own writes) or an ``unlock`` item tells the lock's end
    (:func:`~ai_protocols.board.hidden.unlocked_since`), or the merge into the board the
    pull left leaves a conflict, or git cannot say. One ``git rev-list`` and two ``git
    show`` per commit, one more per step walked. Raises
    :class:`~ai_protocols.errors.BoardStaleSave` as :func:`opened_before` does.
    docs/decisions.md, "Twenty-third round: a stale board save in the same pull as what
    it dropped"."""
    from ai_protocols.board.hidden import PULLS_WALKED, stale_merge, unlocked_since
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env
    from ai_protocols.session.transaction import git_version

    root = os.path.dirname(os.path.dirname(board))
    old, new, _before, after = pull
    try:
        commits = GitRun(["git", "-C", root, "rev-list", "--no-merges", "--full-history",
                          "--topo-order", f"--max-count={PULLS_WALKED}", f"{old}..{new}",
                          "--", below],
                         git_env(), None).wait().decode("ascii", "replace").split()
    except (GitFailed, OSError):
        return None
    for commit in commits:
        saved = git_version(root, f"{commit}:./{below}")
        parent = git_version(root, f"{commit}^:./{below}")
        if saved is None or parent is None or saved == parent or \
                unlocked_since(saved, parent) or reverted_to(root, commit, below):
            continue  # (a revert: a person's choice, no stale save)
        found = opened_before(board, kept, saved, f"{commit}^", parent, deleted_tells=False,
                              steps=_history_steps(root, below, f"{commit}^", parent))
        if found is None:
            continue
        if saved == after:
            return found[0], f"{commit}^"
        merged = stale_merge(saved, after, found[0], labels=(board, "saved", "then"))
        return None if merged is None or merged.conflicts else (merged.data, f"{commit}^")
    return None


def reverted_to(root: str, commit: str, below: str) -> bool:
    """Whether ``commit`` is a ``git revert`` that put back on the board (the file
    ``below``, from the top of the work tree ``root``) what the reverted commit changed
    there: its message holds git's line ``This reverts commit S``
    (:func:`~ai_protocols.session.cause.reverted_by`) and its board is ``S``'s parent's,
    or, with other changes made between ``S`` and the revert (a task added, the revert
    rebased over another clone's commits), it is the board's merge
    (:func:`~ai_protocols.board.merge.merge_board_bytes`) of its parent's board and
    ``S``'s parent's on ``S``'s board, as git's revert merges (git-revert(1)), holding
    every task and lock as that merge does (:func:`~ai_protocols.board.merge.
    tasks_lacking` both ways). A person's choice, committed (a release, a done, an
    unlock undone on purpose): no stale save, nothing to merge back or undo; every
    clone reads the board it left (docs/tasks.md, "A git revert of the board"). The one
    rule of :func:`seen_dropped`, :func:`pulled_over` and :func:`head_reverted`. One
    ``git cat-file``; for a revert two ``git show``, two more when other changes came
    between; raises nothing."""
    from ai_protocols.session.cause import reverted_by
    from ai_protocols.session.transaction import git_version

    reverted = reverted_by(root, commit)
    if reverted is None:
        return False
    board = git_version(root, f"{commit}:./{below}")
    undone = git_version(root, f"{reverted}^:./{below}")
    if board is None or undone is None:
        return False
    if board == undone:
        return True
    from ai_protocols.board.merge import merge_board_bytes, tasks_lacking

    made, before = (git_version(root, f"{rev}:./{below}") for rev in (reverted, f"{commit}^"))
    if made is None or before is None or made == undone:
        return False  # (S did not change the board: its revert put nothing back there)
    merged = merge_board_bytes(made, before, undone)
    return merged is not None and not merged.conflicts and \
        tasks_lacking(board, merged.data) == 0 and tasks_lacking(merged.data, board) == 0


def _board_changes(root: str, since: str | None, head: str, below: str,
                   most: int = 1) -> list[str]:
    """The newest ``most`` commits of ``since..head`` (``since`` ``None``: of
    ``head``'s history) that changed the file ``below``, newest first, as ``git log``
    finds them; ``[]`` when none did or git cannot say. One git run."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        out = GitRun(["git", "-C", root, "log", f"--max-count={most}", "--format=%H",
                      f"{since}..{head}" if since else head, "--", below],
                     git_env(), None).wait()
    except (GitFailed, OSError):
        return []
    return out.decode("ascii", "replace").split()


def head_reverted(board: str, kept: str) -> bool:
    """Whether a ``git revert`` that put the board back (:func:`reverted_to`) is among
    the commits git brought or made since this tool's last write here (the write
    record's commit, :func:`read_record`; at most
    :data:`~ai_protocols.board.hidden.PULLS_WALKED` of those that changed the board
    ``board``, its kept copy ``kept``). Then what the board lacks of the tool's writes
    (a release, a done undone) is that revert's doing: the person's choice, not an
    undone end to redo (``Board.lost``, :func:`~ai_protocols.board.model.
    undone_ends`). Asked only when the board lost such an end. One ``git log``, and a
    ``git cat-file`` per commit (two ``git show`` more for a revert); raises
    nothing."""
    from ai_protocols.board.hidden import PULLS_WALKED
    from ai_protocols.git.head import read_head

    root = os.path.dirname(os.path.dirname(board))
    head = read_head(root)
    recorded = read_record(kept)[0]
    if head is None or not head[1] or recorded is None or recorded == head[1]:
        return False
    below = os.path.relpath(board, root)
    return any(reverted_to(root, commit, below) for commit in
               _board_changes(root, recorded, head[1], below, PULLS_WALKED))


def _history_steps(root: str, below: str, start: str, at_start: bytes
                   ) -> Iterator[tuple[bytes, bytes]]:
    """The steps of the board's history before the commit ``start`` (whose board is
    ``at_start``), newest first, as git's history tells them (``git log --first-parent``
    from ``start``: the commits that changed the board, each against its first parent,
    whatever clone made them), each ``(the board before, the board after)``, as
    :func:`_steps_back` gives this clone's reflog's. At most
    :data:`~ai_protocols.board.hidden.PULLS_WALKED`; ends at a board git cannot give.
    One ``git log``, then one ``git show`` per step, as the caller walks. Raises
    nothing."""
    from ai_protocols.board.hidden import PULLS_WALKED
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        commits = GitRun(["git", "-C", root, "log", "--first-parent", "--format=%H",
                          f"--max-count={PULLS_WALKED}", start, "--", below],
                         git_env(), None).wait().decode("ascii", "replace").split()
    except (GitFailed, OSError):
        return
    yield from _pairs(root, below, (f"{commit}^" for commit in commits), at_start)


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


def older_than_write(board: str, kept: str, data: bytes, since: str,
                     pulled: str | None = None, written: str | None = None
                     ) -> tuple[bytes, int, str] | None:
    """:func:`brought_back` of a save made after this tool wrote the board since the
    pull or merge that moved ``HEAD`` from ``since`` to ``pulled`` (``None``: ``HEAD``)
    (an agent's ``lock``, or the write that merged back an earlier stale save; one's
    own commits may have followed): the board ``data`` is from a buffer older than
    those writes when it lacks some of what they and one's own commits made since the
    pull (a task, a lock, a claim the kept copy holds and the board at ``pulled`` does
    not, a task it lacks whole counting as lacking a claim made on it since:
    :func:`_made`; writes that left nothing, a lock taken and given back, tell nothing
    either way), and when it also lacks every thing the pull brought (the board at
    ``pulled`` against the board at ``since``:
    :func:`~ai_protocols.session.entries_compared.brought_lacking`; one's own commits are
    not git's doing), it is merged three ways: base the board at ``since``, ours the
    board, theirs the kept copy; a buffer opened before what came before ``since`` too
    (the pulls before, one's own commits, the tool's writes between them: the boards
    they read, kept) is first merged up to the board at ``since`` on the version it was
    opened on (:func:`opened_before`). A buffer made after
    those writes holds them: the person's edit, deletions included, stands. A save
    with nothing typed in it, byte for byte the board at ``since``, at ``pulled``, or
    at a commit of the history of ``written`` (the commit the tool's last write
    recorded), is a buffer older than those writes (:func:`typed_nothing`). Runs git
    (two ``git show`` and a ``git log``, and one ``git show`` per earlier step walked)
    only when the board is not its kept copy. Raises
    :class:`~ai_protocols.errors.BoardStaleSave` as :func:`brought_back`."""
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError

    try:
        older = board_bytes(kept)
    except AiProtocolsError:
        return None
    if older is None or older == data:
        return None
    from ai_protocols.board.hidden import stale_merge
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.transaction import git_version

    root = os.path.dirname(os.path.dirname(board))
    below = os.path.relpath(board, root)
    where = f"{pulled or 'HEAD'}:./{below}"
    newer = git_version(root, where)  # (the board as the pull left it)
    base = git_version(root, f"{since}:./{below}")
    if newer is None or base is None:
        return None
    from ai_protocols.git.history import in_history

    if data in (base, newer) or (written is not None and
                                 in_history(root, data, written, below)):
        # (nothing typed: the save is byte for byte a board git holds, before the
        # pull, as the pull left it, a commit's: a buffer older than the tool's writes
        # since; they stand)
        return typed_nothing(data, older, where)
    made, lacks = _made(newer, older, taken=False), _made(data, older)
    if base == newer or made is None or lacks is None or (made and not made & lacks):
        return None  # (it holds what the tool wrote since the pull: made after it; a
        # task it lacks whole counts as lacking a claim made on it since; writes that
        # left nothing (a lock taken and given back) tell nothing either way)
    lacking = brought_lacking(tasks_lacking, data, newer, (base,))
    if lacking <= 0:
        return None
    said = brought_said(data, newer, (base,), lacking)
    # (a buffer older than what came before the pull too: the save merged back first
    # on the board it was opened on, up to the board at since; the boards the tool's
    # writes read before the pull between the commits)
    reads = _reads(kept)
    while reads and _holds_some(reads[0], base, newer):
        del reads[0]  # (read after the pull)
    saved, earlier = data, opened_before(board, kept, data, since, base, reads)
    if earlier is not None:
        data, said = earlier[0], f"{said}; before that, {earlier[1]}"
    merged = stale_merge(base, data, older, labels=(board, since[:12], "kept"))
    if merged is None or merged.conflicts:
        refuse(board, kept, base, older, where, said, merged, held=kept,
               walked=(data, saved))
    return merged.data, lacking, told("git", said, where, typed=merged.data != older)


def typed_nothing(data: bytes, older: bytes, where: str) -> tuple[bytes, int, str] | None:
    """:func:`older_than_write` of a save with nothing typed in it: the board ``data``
    is byte for byte a version git holds from before the tool's last write (the board
    before the pull, as the pull left it, ``where``, or a board of the history of the
    commit that write recorded: :func:`~ai_protocols.git.state.in_history`), and the
    kept copy ``older`` (the tool's last write, made on what the pull brought) holds
    what it lacks: ``(older, how many tasks and locks it regained, what they are, said
    after "lacks what git brought": "or the tool wrote since, ...")``, as the merge of
    the save onto the kept copy on the save as base makes it. ``None`` when the kept
    copy holds nothing the save lacks (a write that only took something out). A
    person's deletion that gives back a version git holds byte for byte cannot be told
    from it: what was deleted comes back (docs/tasks.md). Raises nothing."""
    from ai_protocols.board.merge import tasks_lacking

    lacking = tasks_lacking(data, older)
    if lacking <= 0:
        return None
    said = brought_said(data, older, (data,), lacking)
    return older, lacking, told("both", said, where, typed=False)


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


def over_own_writes(board: str, kept: str, data: bytes) -> tuple[bytes, int, str] | None:
    """:func:`brought_back` when git brought nothing since the board's last write here
    and no pull is recorded (the write record has no ``SINCE``), or the save holds what
    the pull recorded brought (:func:`over_writes`): the board ``data`` is from a
    buffer opened before this tool's writes (an agent's ``task add``, ``claim``,
    ``lock``...) when it lacks every thing the tool's last writes made (the kept copy
    against the newest of :func:`read_paths` since which they made something: writes
    that left nothing, a lock taken and given back, tell nothing), or every thing its
    writes made since the oldest kept, by :func:`lacks_all`: a buffer made after those
    writes holds some of them, and the person's edit stands, deletions included. It is
    then merged three ways: ours the board, theirs the kept copy, base the newest board
    a write read whose every change since the oldest the save holds (the one the buffer
    was opened on), else the oldest (what both hold, both added alike): ``(the merged
    board, how many tasks and locks it regained, what they are: :func:`told`)``;
    ``None`` otherwise, or when the board is its kept copy or none can be read. A
    person's deletion of exactly what the tool's last writes made, in a buffer made after it,
    cannot be told from a stale save: it comes back once (docs/tasks.md). Not when the
    board is the file git last wrote or was given
    (:func:`~ai_protocols.git.state.index_wrote`: a checkout, a branch switch, a stash,
    or the person's ``add``): git's doing, the "lost claims" rule's. Reads small files
    beside the kept copy (from the newest, until the base) and runs one ``git
    ls-files``. Raises
    :class:`~ai_protocols.errors.BoardStaleSave` (nothing written) when the merge
    leaves a task both changed to a person."""
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError

    try:
        older = board_bytes(kept)
    except AiProtocolsError:  # (not a regular file: no version to tell by)
        return None
    if older is None or data == older:
        return None
    from ai_protocols.git.history import index_wrote

    root = os.path.dirname(os.path.dirname(board))
    with contextlib.suppress(OSError):
        if index_wrote(root, os.path.relpath(board, root), os.stat(board)):
            return None  # (git wrote it, or was given it: a checkout, a switch, an add)
    read = _reads(kept)  # (read once: the bases here, and among the known versions)
    if not read:
        return None
    first = read[-1]
    # (the last writes that left nothing, a lock taken and given back, tell nothing:
    # the newest board read since which the tool's writes made something)
    last = next((one for one in read if _made(one, older, taken=False)), read[0])
    lacking = max((lacks_all(data, older, base) for base in (last, first)
                   if base != older), default=0)
    if lacking <= 0:
        return None
    from ai_protocols.board.hidden import stale_merge

    # (merged on the version the buffer was opened on: the board one of these writes
    # read, or one git's history holds, the one rule of every stale save's base)
    base = opened_on(data, known_versions(board, kept, [older], reads=read))
    from ai_protocols.board.hidden import nothing_lacking

    if nothing_lacking(data, older, base):
        return None  # (a person's edit of what the tool wrote: a state, the #+TODO line)
    merged = stale_merge(base, data, older, labels=(board, "before", "kept"))
    said = brought_said(data, older, (base,), lacking)  # (a claim on a task it lacks: said)
    if merged is None or merged.conflicts:
        refuse(board, kept, base, older, kept, said, merged, held=kept, kind="tool")
    return merged.data, lacking, told("tool", said, kept, typed=data != base)


def for_reading(board: str, data: bytes, key: tuple[str, tuple[bytes, str] | None], *,
                say: bool = True) -> tuple[bytes | None, str | None, Exception | None]:
    """The board ``board``'s bytes ``data`` as its next write will read them, with what
    git brought that a stale save dropped merged back by that write's rule
    (:func:`brought_back`, run without the board's lock: it only reads), nothing
    written, for a reader (``key``: the check
    :func:`~ai_protocols.board.brought.unchecked` asks for, and what the last one with
    that key found, taken as it is): ``(the merged bytes, what it regained in words,
    None)``; ``(None, None, None)`` when it lacks nothing (kept under ``key`` for the
    next reader: :func:`~ai_protocols.board.brought.keep_checked`); ``(None, what it
    lacks, the BoardStaleSave)`` when the merge back is left to a person (the next write
    refuses; the board is read as it is, and :func:`left_sides` gives the locks of
    both; the refusal kept under ``key`` too, so that the next reader with the same
    key, every PreToolUse hook call meanwhile, has it with no ``git`` run:
    :func:`~ai_protocols.board.brought.refusal`). With ``say``, a warning on stderr,
    once per command as it ends (:func:`~ai_protocols.board.brought.say`), says what
    the board lacks and that the next board command that writes merges it back (the
    hooks say nothing of it but in the PreToolUse hook's refusal: docs/agents.md).
    Raises nothing of the board's (an error of the rule: read as it is)."""
    from ai_protocols.board import brought as brought_module
    from ai_protocols.board.model import kept_board_path
    from ai_protocols.errors import AiProtocolsError, BoardStaleSave

    standing = None
    try:
        standing = None if key[1] is not None else brought_module.refusal(board, key[0])
        if standing is not None:  # (the same evidence: the refusal stands, no git)
            raise standing
        brought = (key[1][0], 0, key[1][1]) if key[1] is not None else \
            brought_back(board, kept_board_path(board), data)
    except BoardStaleSave as error:
        if error is not standing:
            brought_module.keep_checked(board, key[0], refused=error)
        if say:
            said = str(error).removesuffix("; nothing was written")
            brought_module.say(board, f"{said}. Until then every board command that "
                                      "writes refuses, and what this one shows is the "
                                      "board as it is, without them, but for the locks "
                                      "of both, which hold until then")
        return None, told(error.kind, error.lacking, error.newer, typed=True), error
    except (AiProtocolsError, OSError, ValueError):
        return None, None, None
    if brought is None or key[1] is None:
        brought_module.keep_checked(board, key[0], brought and (brought[0], brought[2]))
    if brought is None:
        return None, None, None
    if say:
        brought_module.say(board, f"{board} lacks {brought[2]}. Shown here with them "
                                  "merged back (nothing written); the next board "
                                  "command that writes (task claim, lock, ...) merges "
                                  f"them back. {revert_said(data, brought[0])}")
    return brought[0], brought[2], None


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


def as_read(board: str, data: bytes, key: tuple[str, tuple[bytes, str] | None], *,
            say: bool = True) -> tuple[bytes, str | None, tuple[str, str] | None]:
    """The board ``board``'s bytes ``data`` as every reader takes them (``task list``,
    ``locks``, ``check``, the hooks, ``resume``; ``key`` and ``say``: as
    :func:`for_reading`): ``(the bytes, with what git brought merged back, what they
    regained in words, None)``; ``(data, what the board lacks in words, the board's
    text and the version git brought)`` when the merge back is left to a person (the
    locks of both hold: :func:`left_sides`,
    :func:`~ai_protocols.board.model.more_locks`); ``(data, None, None)`` when it
    lacks nothing, or the version git brought cannot be read. Raises nothing of the
    board's."""
    merged, said, refused = for_reading(board, data, key, say=say)
    if merged is not None:
        return merged, said, None
    sides = left_sides(board, data, refused) if refused is not None else None
    return data, said if sides else None, sides


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


