"""What git brought that the board lacks, for the board's readers.

A stale save (an editor's buffer opened before ``git pull``, saved after) can drop
from ``.ai/tasks.org`` the tasks, claims and locks the pull brought. The board's next
write merges them back (:func:`ai_protocols.board.stale.brought_back`, the one rule);
this module lets every reader (``task list``/``show``, ``locks``, ``check``, the
PreToolUse hook, ``resume`` and the SessionStart and PreCompact hooks) act on the
board as that write will make it, without writing the board (docs/tasks.md, on a
buffer saved after a pull; docs/decisions.md, "Issue 14, eighteenth
round (the board's readers after a stale save)").

The hook runs on every edit, so the common case costs no process and imports nothing
of the board's merge (:func:`unchecked`): the board is the kept copy (the tool's last
write), or ``HEAD`` (read from git's files) is the commit the board was last written
against and the board is that write by ``stat``, or this machine already checked
this very ``HEAD``, record, board and kept copy and found nothing lacking
(``.ai/.locks/live/tasks.org.checked``). Otherwise
:func:`~ai_protocols.board.stale.for_reading` runs the merge's rule (at most two
``git show``), and keeps the "nothing lacking" answer for the next reader
(:func:`keep_checked`). This module is below the board's (docs/architecture.md): it
decides and records; the rule is ``board/stale.py``'s.
"""

from __future__ import annotations

import os

__all__ = ["checked_path", "keep_checked", "refusal", "say", "settled", "unchecked",
           "unsettled"]


def checked_path(kept: str) -> str:
    """Where the per-machine record of the last check is kept: beside the board's kept
    copy ``kept`` (``.ai/.locks/live/tasks.org.checked``, never in git)."""
    return f"{kept}.checked"


def unchecked(board: str, data: bytes
              ) -> tuple[str, tuple[bytes, str] | None] | None:
    """Whether the board ``board`` (its bytes ``data``) may lack what git brought:
    ``None`` when it cannot: no git commit; ``HEAD`` is the commit the board was last
    written against here, with no pull since that write
    (:func:`~ai_protocols.board.stale.record_head`'s record, ``tasks.org.commit``), and
    the board is that write by ``stat`` alone (:func:`_is_kept`: a save over the tool's
    own writes is judged too, :func:`~ai_protocols.board.stale.over_own_writes`); or
    the last check made here had this very key
    (``HEAD``, that record, the board's and the kept copy's bytes, by their lengths and
    CRC-32s) and found nothing (a board that is its kept copy is checked too: a buffer
    older than git's change, saved with nothing typed in it, puts those bytes back).
    Otherwise ``(the key of the check, what it found)``: ``None`` when it is still to
    make, else ``(the board with what git brought merged back, what it regained in
    words)``, as the last check with this key found it (:func:`keep_checked`: a board
    that lacks them costs the merge once, not once per hook call). Reads git's files
    and two small records (the kept copy, and a CRC of the two, only once ``HEAD``
    moved); no process. Raises nothing."""
    from ai_protocols.board.board_file import kept_board_bytes
    from ai_protocols.git.head import read_head
    from ai_protocols.paths import kept_board_path

    head = read_head(os.path.dirname(os.path.dirname(board)))
    if head is None or not head[1]:
        return None
    kept_path = kept_board_path(board)
    parts = _small(f"{kept_path}.commit", 400).decode("ascii", "replace").split()
    if len(parts) == 1 and parts[0] == head[1] and _is_kept(board, kept_path):
        return None  # (HEAD has not moved since the board's last write here, and the
        # board is that write: a save over it with no pull between is judged below)
    kept = kept_board_bytes(kept_path)
    from zlib import crc32  # (not hashlib: it loads OpenSSL, a third of a hook's start)

    key = " ".join((head[1], *(parts[:3] or ["-"]), f"{len(data)}:{crc32(data):08x}",
                    "-" if kept is None else f"{len(kept)}:{crc32(kept):08x}"))
    record = _small(checked_path(kept_path), 400)
    line, _, rest = record.partition(b"\n")
    if line.decode("ascii", "replace") != key:
        return key, None
    if not rest:
        return None  # (checked: nothing lacking)
    if rest.startswith(_REFUSED):
        return key, None  # (a refusal stands: :func:`refusal` gives it, no git)
    record = _small(checked_path(kept_path), 1 << 25)  # (what it found: read whole)
    _, _, rest = record.partition(b"\n")
    said, _, merged = rest.partition(b"\n")
    return (key, (merged, said.decode("utf-8", "replace"))) if merged else (key, None)


#: How a record of :func:`keep_checked` that keeps a refusal starts its second line.
_REFUSED = b"refused "
#: The fields of a :class:`~ai_protocols.errors.BoardStaleSave` a refusal is kept by.
_REFUSAL_FIELDS = ("newer", "lacking", "commands", "kind", "theirs", "locks")


def keep_checked(board: str, key: str, found: tuple[bytes, str] | None = None, *,
                 refused: Exception | None = None) -> None:
    """Record what the check :func:`unchecked` keyed ``key`` found of the board
    ``board``: nothing lacking (``found`` ``None``), or the board with what git brought
    merged back and what it regained in words (:func:`checked_path`, as ``KEY``, or
    ``KEY``, the words and the bytes, a line each), or, with ``refused`` (a
    :class:`~ai_protocols.errors.BoardStaleSave`), that the merge back is left to a
    person (``KEY`` and the refusal's fields as one line of JSON: :func:`refusal` gives
    it back while the key holds). Atomic; a failure only costs the next reader a
    check."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import kept_board_path
    from ai_protocols.storage import files as storage

    path = checked_path(kept_board_path(board))
    body = [(key + "\n").encode("ascii")]
    if refused is not None:
        import json

        fields = {name: getattr(refused, name) for name in _REFUSAL_FIELDS}
        fields.update(path=str(refused.path), left=list(refused.left),
                      kept=None if refused.kept is None else str(refused.kept))
        body.append(_REFUSED + json.dumps(fields, ensure_ascii=True).encode("ascii"))
    elif found is not None:
        body.append(found[1].replace("\n", " ").encode("utf-8") + b"\n" + found[0])
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        storage.atomic_write(path, b"".join(body))
    except (OSError, AiProtocolsError, UnicodeEncodeError):
        pass


def refusal(board: str, key: str) -> Exception | None:
    """The :class:`~ai_protocols.errors.BoardStaleSave` the last check of the board
    ``board`` keyed ``key`` (:func:`unchecked`: ``HEAD``, the write record, the board's
    and the kept copy's bytes) kept (:func:`keep_checked`), made again from its fields,
    while the file it merges with (its ``theirs``) is there: the refusal stands, and
    no reader runs the rule's walk again (no ``git show``); ``None`` when the record is
    another key's, or holds no refusal, or cannot be read. One small read; raises
    nothing."""
    from pathlib import Path

    from ai_protocols.paths import kept_board_path

    path = checked_path(kept_board_path(board))
    line, _, rest = _small(path, 400).partition(b"\n")  # (the key, and what kind)
    if line.decode("ascii", "replace") != key or not rest.startswith(_REFUSED):
        return None
    rest = _small(path, 1 << 20).partition(b"\n")[2]
    import json

    from ai_protocols.errors import BoardStaleSave

    try:
        fields = json.loads(rest[len(_REFUSED):])
        theirs = fields["theirs"]
        if theirs and (os.path.islink(theirs) or not os.path.isfile(theirs)):
            return None  # (its file gone, or not the one written: judged again, which
            # writes it again)
        return BoardStaleSave(Path(fields["path"]), fields["newer"], fields["lacking"],
                              fields["commands"], kept=fields["kept"] and Path(fields["kept"]),
                              left=tuple(fields["left"]), kind=fields["kind"],
                              theirs=fields["theirs"], locks=bool(fields["locks"]))
    except (ValueError, KeyError, TypeError):
        return None


#: The boards a warning was given for in this process (given once per command).
_SAID: set[str] = set()
#: The warnings to say as the process ends, by board: a write of the board in the same
#: command (:func:`settled`) says what it merged back, or refuses, itself.
_PENDING: dict[str, str] = {}


def say(board: str, text: str) -> None:
    """Say ``text`` (a warning of what the board ``board`` lacks) on stderr once per
    process, as it ends (the command's output first), unless a write of the board in
    the same command says it itself (:func:`settled`)."""
    if board in _SAID:
        return
    _SAID.add(board)
    if not _PENDING:
        import atexit

        atexit.register(_flush)
    _PENDING[board] = text


def settled(board: str) -> str | None:
    """Drop the warning a reader of ``board`` left to say: a write of it in this command
    merges back what git brought and says so, or refuses, saying why
    (``Board.editing``). Returns the warning dropped (``None``: none), for
    :func:`unsettled`."""
    return _PENDING.pop(board, None)


def unsettled(board: str, text: str | None) -> None:
    """Say again, as the process ends, the warning :func:`settled` dropped (``text``):
    the write of ``board`` it was dropped for wrote nothing (the command refused: a
    task claimed by another agent, a lock in the way), so the board still lacks what
    it said, and the next write merges it back."""
    if text is not None:
        if not _PENDING:
            import atexit

            atexit.register(_flush)
        _PENDING[board] = text


def _flush() -> None:
    """Say the warnings left (at the process's end: the command's output first)."""
    from ai_protocols.session.edit_base import warn

    for text in _PENDING.values():
        warn(text)
    _PENDING.clear()


def _is_kept(board: str, kept: str) -> bool:
    """Whether the board ``board`` is, by ``stat`` alone, this tool's last write, its
    kept copy ``kept`` (:func:`~ai_protocols.storage.files.same_version`: the copy is
    given the board's modification time when written): two ``stat`` calls, no read.
    ``False`` when either cannot be stat'ed, or a copy kept by a version before this
    round (the write's time not given it): the check then runs once, and its answer is
    kept (:func:`keep_checked`)."""
    from ai_protocols.storage.files import same_version

    try:
        return same_version(os.stat(board), os.stat(kept))
    except OSError:
        return False


def _small(path: str, most: int) -> bytes:
    """The first ``most`` bytes of the file ``path``; ``b""`` when it cannot be read."""
    try:
        with open(path, "rb") as record:
            return record.read(most)
    except OSError:
        return b""
