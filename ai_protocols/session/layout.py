"""The session-context file's layout: reading it back and splicing entries in.

Everything here works on an :class:`~ai_protocols.org.file.OrgFile` in memory,
but :func:`read_info`, which reads the head of a file for ``list``; the one
transaction that writes a session (:mod:`ai_protocols.session.transaction`)
holds the locks and does the file I/O.

Its parts, by concern (twenty-sixth round), each a module of its own; this module keeps
the names importable from it: :mod:`~ai_protocols.session.sections`,
:mod:`~ai_protocols.session.earlier_links`,
:mod:`~ai_protocols.session.org_links`, :mod:`~ai_protocols.session.chronology`,
:mod:`~ai_protocols.session.reading`, :mod:`~ai_protocols.session.splice`;
docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

# (one statement per part, not per name: each costs a command's start about 6,000
# instructions; pyproject.toml's note)
from ai_protocols.session.chronology import (
    Repeats as Repeats,
    chronology_line as chronology_line,
    chronology_parts as chronology_parts,
    goes_before as goes_before,
    log_events as log_events,
    quick_preview as quick_preview,
    repeated_entries as repeated_entries,
    ticked_references as ticked_references,
)
from ai_protocols.session.earlier_links import (
    _EARLIER_ITEM as _EARLIER_ITEM,
    _earlier_link_on as _earlier_link_on,
    _name_range as _name_range,
    drawer_count as drawer_count,
    earlier_link_line as earlier_link_line,
    earlier_link_paths as earlier_link_paths,
    earlier_links as earlier_links,
    earlier_section as earlier_section,
    is_earlier_name as is_earlier_name,
    is_own_earlier as is_own_earlier,
    org_link_escape as org_link_escape,
    org_link_unescape as org_link_unescape,
    own_earlier_folder as own_earlier_folder,
    parse_earlier_link as parse_earlier_link,
    read_earlier as read_earlier,
    with_earlier_path as with_earlier_path,
)
from ai_protocols.session.model import Session as Session, SessionInfo as SessionInfo
from ai_protocols.session.org_links import (
    _plain_links as _plain_links,
    move_links as move_links,
    moved_keyword_line as moved_keyword_line,
    moved_link_line as moved_link_line,
)
from ai_protocols.session.reading import (
    BRIEF_KINDS as BRIEF_KINDS,
    BRIEF_NOTES as BRIEF_NOTES,
    NOTE_KINDS as NOTE_KINDS,
    HeadParts as HeadParts,
    _general_head as _general_head,
    _is_current as _is_current,
    _plain_head as _plain_head,
    _session_from as _session_from,
    _session_of as _session_of,
    _split as _split,
    closed_until as closed_until,
    head_session as head_session,
    read_session as read_session,
    read_session_head as read_session_head,
    whole as whole,
)
from ai_protocols.session.sections import (
    _ITEM_PREFIXES as _ITEM_PREFIXES,
    _OWN_BOXES as _OWN_BOXES,
    ABANDONED as ABANDONED,
    ACTIVE as ACTIVE,
    CLOSED_STATUSES as CLOSED_STATUSES,
    CRASHED as CRASHED,
    CURRENT_BOX as CURRENT_BOX,
    EARLIER as EARLIER,
    ENDED as ENDED,
    EXPORT_OPTIONS as EXPORT_OPTIONS,
    HEAD_BYTES as HEAD_BYTES,
    NO_SESSION_HEADLINE as NO_SESSION_HEADLINE,
    PAUSED as PAUSED,
    SECTIONS as SECTIONS,
    SESSION_ID_PROPERTY as SESSION_ID_PROPERTY,
    SUMMARY_LOGGED as SUMMARY_LOGGED,
    TITLE_PROPERTY as TITLE_PROPERTY,
    WRAPPED_UP as WRAPPED_UP,
    _count as _count,
    _done_by_text as _done_by_text,
    _done_reference as _done_reference,
    _entries as _entries,
    _general as _general,
    _item_prefix as _item_prefix,
    _may_open_block as _may_open_block,
    _opens_drawer as _opens_drawer,
    _own_prefix as _own_prefix,
    _summary_span as _summary_span,
    after_drawers as after_drawers,
    find_section as find_section,
    head_of as head_of,
    identity_differences as identity_differences,
    iter_entries as iter_entries,
    one_session as one_session,
    other_session as other_session,
    read_entries as read_entries,
    same_session_id as same_session_id,
    session_headline as session_headline,
    session_named as session_named,
    summary_span as summary_span,
)
from ai_protocols.session.splice import (
    append_entry as append_entry,
    apply_entry as apply_entry,
    as_listed_key_file as as_listed_key_file,
    log_line as log_line,
    new_session_text as new_session_text,
    property_value as property_value,
    read_info as read_info,
    section_for_write as section_for_write,
)
