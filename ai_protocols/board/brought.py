"""What git brought that the board lacks, for the board's readers.

A stale save (an editor's buffer opened before ``git pull``, saved after) can drop
from ``.ai/tasks.org`` the tasks, claims and locks the pull brought. The board's next
write merges them back (``Board._brought_back``, the one rule); this module lets every
reader (``task list``/``show``, ``locks``, ``check``, the PreToolUse hook, ``resume``)
act on the board as that write will make it, without writing the board
(docs/tasks.md, "A stale save over a pull"; docs/decisions.md, "Issue 14, eighteenth
round (the board's readers after a stale save)").

The hook runs on every edit, so the common case costs no process and imports nothing
of the board's merge (:func:`unchecked`): the board is the kept copy (the tool's last
write), or ``HEAD`` (read from git's files) is the commit the board was last written
against, or this machine already checked this very ``HEAD``, record, board and kept
copy and found nothing lacking (``.ai/.locks/live/tasks.org.checked``). Only then does
:func:`merged_for_reading` run the merge's rule (at most two ``git show``), and keep the
"nothing lacking" answer for the next reader.
"""

from __future__ import annotations

import os

__all__ = ["checked_path", "merged_for_reading", "settled", "unchecked"]


def checked_path(kept: str) -> str:
    """Where the per-machine record of the last check that found nothing lacking is
    kept: beside the board's kept copy ``kept`` (``.ai/.locks/live/tasks.org.checked``,
    never in git)."""
    return f"{kept}.checked"


def unchecked(board: str, data: bytes) -> tuple[str, bytes | None] | None:
    """The key of a check still to make of whether the board ``board`` (its bytes
    ``data``) lacks what git brought, with its kept copy's bytes (``None``: none), or
    ``None`` when it cannot: no git commit; ``HEAD`` is the commit the board was last
    written against here, with no pull since that write (``Board._record_head``'s
    record, ``tasks.org.commit``); the board is its kept copy (the tool's last write);
    or the last check made here had this very key (``HEAD``, that record, the board's
    and the kept copy's bytes, by their lengths and CRC-32s) and found nothing. Reads
    git's files and two small records (the kept copy, and a CRC of the two, only once
    ``HEAD`` moved); no process. Raises nothing."""
    from ai_protocols.board.model import kept_board_bytes, kept_board_path
    from ai_protocols.git.head import read_head

    head = read_head(os.path.dirname(os.path.dirname(board)))
    if head is None or not head[1]:
        return None
    kept_path = kept_board_path(board)
    parts = _small(f"{kept_path}.commit").split()
    if len(parts) == 1 and parts[0] == head[1]:
        return None  # (HEAD has not moved since the board's last write here)
    kept = kept_board_bytes(kept_path)
    if kept is not None and kept == data:
        return None  # (the board is the tool's last write: it lacks nothing of it)
    from zlib import crc32  # (not hashlib: it loads OpenSSL, a third of a hook's start)

    key = " ".join((head[1], *(parts[:2] or ["-"]), f"{len(data)}:{crc32(data):08x}",
                    "-" if kept is None else f"{len(kept)}:{crc32(kept):08x}"))
    return None if _small(checked_path(kept_path)).strip() == key else (key, kept)


def merged_for_reading(board: str, data: bytes, *, say: bool = True
                       ) -> tuple[bytes | None, str | None, Exception | None]:
    """The board ``board`` (its bytes ``data``) as its next write will read it, with
    what git brought that a stale save dropped merged back, nothing written: ``(the
    merged bytes, what it regained in words, None)``; ``(None, None, None)`` when it
    lacks nothing (at once when :func:`unchecked` says so; else the merge's rule,
    ``Board._brought_back``, is run, and a "nothing lacking" answer kept for the next
    reader); ``(None, what it lacks, the BoardStaleSave)`` when the merge back does not
    come out clean (the next write refuses; the board is read as it is). With ``say``,
    once per process and board, as the process ends, a warning on stderr says what the
    board lacks and that the next board command that writes merges it back; not when a
    write of the board in the same command said it (:func:`settled`), nor in the hook,
    which says it in a refusal only (docs/agents.md). Raises nothing of the board's (an
    error of the merge's rule: read as it is)."""
    key = unchecked(board, data)
    if key is None:
        return None, None, None
    from ai_protocols.board.board import Board
    from ai_protocols.errors import AiProtocolsError, BoardStaleSave
    from ai_protocols.session.project import Project

    root = os.path.dirname(os.path.dirname(board))
    try:
        brought = Board(Project(root, None)).brought_back(data)
    except BoardStaleSave as error:
        if say:
            said = str(error).removesuffix("; nothing was written")
            _say(board, f"{said}. Until then every board command that writes refuses, and "
                        "what this one shows is the board as it is, without them (the "
                        "PreToolUse hook holds the locks of both)")
        return None, error.lacking, error
    except (AiProtocolsError, OSError, ValueError):
        return None, None, None
    if brought is None:
        from ai_protocols.board.model import kept_board_path

        _keep(checked_path(kept_board_path(board)), key[0])
        return None, None, None
    if say:
        _say(board, f"{board} lacks what git brought, {brought[2]}: a buffer opened before "
                    "git changed the board (a pull, a merge) was saved over it. Shown here "
                    "with them merged back (nothing written); the next board command that "
                    "writes (task claim, lock, ...) merges them back. In Emacs, revert the "
                    "buffer (M-x revert-buffer) before editing on")
    return brought[0], brought[2], None


#: The boards a warning was given for in this process (given once per command).
_SAID: set[str] = set()
#: The warnings to say as the process ends, by board: a write of the board in the same
#: command (:func:`settled`) says what it merged back, or refuses, itself.
_PENDING: dict[str, str] = {}


def _say(board: str, text: str) -> None:
    if board in _SAID:
        return
    _SAID.add(board)
    if not _PENDING:
        import atexit

        atexit.register(_flush)
    _PENDING[board] = text


def settled(board: str) -> None:
    """Drop the warning a reader of ``board`` left to say: a write of it in this command
    merges back what git brought and says so, or refuses, saying why
    (``Board.editing``)."""
    _PENDING.pop(board, None)


def _flush() -> None:
    """Say the warnings left (at the process's end: the command's output first)."""
    from ai_protocols.session.transaction import warn

    for text in _PENDING.values():
        warn(text)
    _PENDING.clear()


def _small(path: str) -> str:
    """The first 400 bytes of the file ``path`` as ASCII text; ``""`` when unreadable."""
    try:
        with open(path, "rb") as record:
            return record.read(400).decode("ascii", "replace")
    except OSError:
        return ""


def _keep(path: str, key: str) -> None:
    """Record ``key`` at ``path`` (atomic); a failure only costs the next reader a check."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        storage.atomic_write(path, (key + "\n").encode("ascii"))
    except (OSError, AiProtocolsError, UnicodeEncodeError):
        pass
