"""Whether a board may name an agent as a holder, by a search of its bytes: what
``wrap-up`` asks before it imports the board's reader (:mod:`ai_protocols.board.model`,
a tenth of a wrap-up's instructions beside a board that holds nothing of its agent's:
issue 16, twenty-third round). The standard library, the paths, the Org escapes and the
file reader only."""

from __future__ import annotations

import os

from ai_protocols.org.syntax import escape_property
from ai_protocols.paths import kept_board_path

__all__ = ["names_agent", "owner_forms"]


def owner_forms(me: str) -> tuple[str, ...]:
    """The agent id ``me`` as the board may hold it as an ``OWNER``: as the tool writes
    it (:func:`~ai_protocols.board.model.board_value`: inert, a zero-width space after a
    ``<`` or ``[`` that could open a timestamp) and, when that differs, as written raw
    (by an older version, or a person)."""
    written = escape_property(me) or me
    return (written,) if written == me else (written, me)


def names_agent(board: str, me: str | None) -> bool:
    """Whether the board at ``board`` (:func:`~ai_protocols.paths.board_path`) or its kept
    copy (:func:`~ai_protocols.paths.kept_board_path`, whose claims and locks git took
    off the board still count) may hold a claim or lock of ``me``: a search of each
    file's bytes for the id's on a property line (one that starts, after blanks, with
    ``:`` and has another ``:`` before the id). A claim's ``OWNER`` and a lock's are
    property values written as the id made inert
    (:func:`~ai_protocols.board.model.board_value`) and read back as typed
    (:func:`~ai_protocols.board.model.read_value`): both forms are searched
    (:func:`owner_forms`), so that a ``False`` here means the full reader
    (:meth:`~ai_protocols.board.board.Board.held_tasks` and its locks) finds none of
    ``me``'s; the id in a task's log (``added by ME``) is no claim. ``True`` also when
    either file cannot be read as a regular file (the full reader says why). ``False``
    without an agent id, which holds nothing. Raises nothing (docs/decisions.md, "Issue
    16, sixteenth round (history and imports)")."""
    if not me:
        return False
    from ai_protocols.storage import files as storage

    words = [os.fsencode(form) for form in owner_forms(me)]
    for path in (board, kept_board_path(board)):
        try:
            data = storage.read_regular(path)
        except FileNotFoundError:
            continue
        except (OSError, storage.NotRegular):
            return True
        for word in words:
            at = data.find(word)
            while at != -1:
                before = data[data.rfind(b"\n", 0, at) + 1:at].lstrip(b" \t")
                if before.startswith(b":") and b":" in before[1:]:
                    return True
                at = data.find(word, at + 1)
    return False
