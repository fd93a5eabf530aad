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

Its definitions stand in modules by concern (twenty-seventh round), from the bottom
up: :mod:`~ai_protocols.board.board_file`, :mod:`~ai_protocols.board.board_read`,
:mod:`~ai_protocols.board.claim_history`, :mod:`~ai_protocols.board.board_input`;
this module re-exports every name.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

from ai_protocols.board.board_file import (
    CLOSED_STATES,
    OPEN_STATES,
    STATES,
    AreaLock,
    BoardFile,
    Handoff,
    Task,
    board_bytes,
    board_decode,
    board_file,
    board_text,
    board_title,
    board_value,
    check_drawers,
    conflict_sides,
    covers,
    covers_real,
    done_states,
    handoffs,
    holder_name,
    join_paths,
    overlap_real,
    protect,
    read_value,
    real_forms,
    restore,
    same_area,
    split_paths,
    stray_properties,
    unique_areas,
)
from ai_protocols.board.board_file import LOCKS_ID as LOCKS_ID
from ai_protocols.board.board_file import SAID_AT_MOST as SAID_AT_MOST
from ai_protocols.board.board_file import TODO_LINE as TODO_LINE
from ai_protocols.board.board_file import board_text_of as board_text_of
from ai_protocols.board.board_file import kept_board_bytes as kept_board_bytes
from ai_protocols.board.board_file import locks_section as locks_section
from ai_protocols.board.board_file import overlap as overlap
from ai_protocols.board.board_file import task_headlines as task_headlines
from ai_protocols.board.board_file import why_unreadable as why_unreadable
from ai_protocols.board.board_input import LINE_KEY as LINE_KEY
from ai_protocols.board.board_input import (
    MAX_LINE,
    Sunk,
    all_sunk,
    archive_path,
    check_given_path,
    check_line,
    check_role,
    check_tag,
    check_title,
    find_task,
    id_fault,
    id_shown,
    line_key_miss,
    mint_task_id,
    no_glob,
    normalize_path,
    owner_problem,
    plain_path,
    same_role,
    setup_files,
    sunk_locks,
    sunk_tasks,
    unknown_holders,
    unusable_locks,
    unusable_working_sets,
)
from ai_protocols.board.board_input import _check_task_id as _check_task_id
from ai_protocols.board.board_input import bare_keys as bare_keys
from ai_protocols.board.board_read import _CLAIM_ENDS as _CLAIM_ENDS
from ai_protocols.board.board_read import DROPPED as DROPPED
from ai_protocols.board.board_read import TOOL_ITEM as TOOL_ITEM
from ai_protocols.board.board_read import (
    UnlockRecord,
    claim_void,
    dropped_by_merge,
    kept_other,
    more_locks,
    named_ends,
    names_a_loss,
    read_board,
    read_readable,
    unlock_records,
)
from ai_protocols.board.board_read import claim_named_ended as claim_named_ended
from ai_protocols.board.board_read import ended_locks as ended_locks
from ai_protocols.board.board_read import lock_record as lock_record
from ai_protocols.board.board_read import log_items as log_items
from ai_protocols.board.board_read import lost_how as lost_how
from ai_protocols.board.board_read import named_unlocked as named_unlocked
from ai_protocols.board.board_read import own_log as own_log
from ai_protocols.board.board_read import record_ended_locks as record_ended_locks
from ai_protocols.board.claim_history import _NOTE_STAMP as _NOTE_STAMP
from ai_protocols.board.claim_history import CLOSED_IN_BUFFER as CLOSED_IN_BUFFER
from ai_protocols.board.claim_history import PUT_BACK as PUT_BACK
from ai_protocols.board.claim_history import RETYPED as RETYPED
from ai_protocols.board.claim_history import current_task as current_task
from ai_protocols.board.claim_history import (
    ended_elsewhere,
    ended_in_history,
    ended_since,
    ending_commands,
    lock_records,
    release_record,
    unlock_item,
    unlocks_since,
)
from ai_protocols.board.claim_history import linked_since as linked_since
from ai_protocols.board.claim_history import lost_claims as lost_claims
from ai_protocols.board.claim_history import on_other_branch as on_other_branch
from ai_protocols.board.claim_history import renamed_to as renamed_to
from ai_protocols.board.claim_history import undone_ends as undone_ends
from ai_protocols.paths import BOARD_FILE, board_path, kept_board_path

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
