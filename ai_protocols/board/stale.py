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

Its parts stand in modules by concern (twenty-seventh round), from the bottom up:
:mod:`~ai_protocols.board.stale_record`, :mod:`~ai_protocols.board.stale_history`;
this module holds the rule's decisions.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os

from ai_protocols.board.stale_history import (
    _board_changes,
    _lacks_only_ends,
    older_than_write,
    opened_before_revert,
    seen_dropped,
)
from ai_protocols.board.stale_history import head_reverted as head_reverted
from ai_protocols.board.stale_history import reverted_to as reverted_to
from ai_protocols.board.stale_record import (
    _git_wrote_stopped,
    _made,
    _reads,
    brought_said,
    came_from,
    committed_onto,
    keep_read,
    known_versions,
    lacks_all,
    left_sides,
    left_to_person,
    link_last,
    opened_on,
    read_record,
    record_head,
    refuse,
    revert_said,
    told,
    tools_join,
)
from ai_protocols.board.stale_record import _scratch as _scratch
from ai_protocols.board.stale_record import disk_lines as disk_lines
from ai_protocols.git.head import pulls_back

__all__ = ["as_read", "brought_back", "for_reading", "keep_read", "left_sides",
           "left_to_person", "link_last", "read_record", "record_head", "told"]


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
    if pull is not None and _reverted_after(root, pull[1], head[1], below, data):
        return None  # (a person's git revert since the pull took it out: HEAD's choice)
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
        # or only the items of claims it ended, held nowhere in the save: a tidying;
        # unless the save holds what a revert on this line took out since the last
        # write, and lacks what git brought since the board before that revert)
        reverted = opened_before_revert(root, recorded, pull[0], below, data, newer) \
            if pull is not None else None
        if reverted is not None:
            return merge_back(board, kept, data, older, newer, committed, where, reverted,
                              history=pull[1], kind=kind)
        return over_own_writes(board, kept, data) if older is not None else None
    return merge_back(board, kept, data, older, newer, committed, where, gate[0],
                      history=pull[1] if pull is not None else "HEAD", kind=kind)  # (no stale
    # save committed since: the versions a buffer opened before the pull may be on)


def _reverted_after(root: str, pulled: str, head: str, below: str, data: bytes) -> bool:
    """Whether the newest commit of ``pulled..head`` that changed the board ``below``
    (from the work tree ``root``'s top) is a ``git revert`` of a board commit
    (:func:`~ai_protocols.board.stale_history.reverted_to`: git's "This reverts commit"
    line, which ``git cherry-pick`` of a revert and ``git commit`` after ``--no-commit``
    keep, the reflog saying only ``commit:``) and the board is its very bytes ``data``:
    what it took out of what the pull brought is a person's git act, committed, no
    stale save. One ``git log``, one ``git show``, and :func:`reverted_to`'s runs;
    raises nothing."""
    from ai_protocols.session.transaction import git_version

    newest = _board_changes(root, pulled, head, below)
    return bool(newest) and newest[0] != pulled and \
        git_version(root, f"{newest[0]}:./{below}") == data and \
        reverted_to(root, newest[0], below)


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
