"""The session-context file's layout: reading it back and splicing entries in.

Everything here works on an :class:`~ai_protocols.org.file.OrgFile` in memory,
but :func:`read_info`, which reads the head of a file for ``list``; the one
transaction that writes a session (:mod:`ai_protocols.session.transaction`)
holds the locks and does the file I/O.

Its parts, by concern (twenty-sixth round), each a module of its own; this module keeps
the names importable from it: :mod:`~ai_protocols.session.sections`,
:mod:`~ai_protocols.session.org_links`,
:mod:`~ai_protocols.session.earlier_links`, :mod:`~ai_protocols.session.chronology`,
:mod:`~ai_protocols.session.reading`, :mod:`~ai_protocols.session.splice`;
docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

from ai_protocols.session.chronology import Repeats as Repeats
from ai_protocols.session.chronology import chronology_line as chronology_line
from ai_protocols.session.chronology import chronology_parts as chronology_parts
from ai_protocols.session.chronology import goes_before as goes_before
from ai_protocols.session.chronology import log_events as log_events
from ai_protocols.session.chronology import quick_preview as quick_preview
from ai_protocols.session.chronology import repeated_entries as repeated_entries
from ai_protocols.session.chronology import ticked_references as ticked_references
from ai_protocols.session.earlier_links import _EARLIER_ITEM as _EARLIER_ITEM
from ai_protocols.session.earlier_links import _earlier_link_on as _earlier_link_on
from ai_protocols.session.earlier_links import _name_range as _name_range
from ai_protocols.session.earlier_links import drawer_count as drawer_count
from ai_protocols.session.earlier_links import earlier_link_line as earlier_link_line
from ai_protocols.session.earlier_links import earlier_link_paths as earlier_link_paths
from ai_protocols.session.earlier_links import earlier_links as earlier_links
from ai_protocols.session.earlier_links import earlier_section as earlier_section
from ai_protocols.session.earlier_links import is_earlier_name as is_earlier_name
from ai_protocols.session.earlier_links import is_own_earlier as is_own_earlier
from ai_protocols.session.earlier_links import own_earlier_folder as own_earlier_folder
from ai_protocols.session.earlier_links import parse_earlier_link as parse_earlier_link
from ai_protocols.session.earlier_links import read_earlier as read_earlier
from ai_protocols.session.earlier_links import with_earlier_path as with_earlier_path
from ai_protocols.session.model import Session as Session
from ai_protocols.session.model import SessionInfo as SessionInfo
from ai_protocols.session.org_links import _plain_links as _plain_links
from ai_protocols.session.org_links import move_links as move_links
from ai_protocols.session.org_links import moved_keyword_line as moved_keyword_line
from ai_protocols.session.org_links import moved_link_line as moved_link_line
from ai_protocols.session.org_links import org_link_escape as org_link_escape
from ai_protocols.session.org_links import org_link_unescape as org_link_unescape
from ai_protocols.session.reading import BRIEF_KINDS as BRIEF_KINDS
from ai_protocols.session.reading import BRIEF_NOTES as BRIEF_NOTES
from ai_protocols.session.reading import NOTE_KINDS as NOTE_KINDS
from ai_protocols.session.reading import HeadParts as HeadParts
from ai_protocols.session.reading import _general_head as _general_head
from ai_protocols.session.reading import _is_current as _is_current
from ai_protocols.session.reading import _plain_head as _plain_head
from ai_protocols.session.reading import _session_from as _session_from
from ai_protocols.session.reading import _session_of as _session_of
from ai_protocols.session.reading import _split as _split
from ai_protocols.session.reading import closed_until as closed_until
from ai_protocols.session.reading import head_session as head_session
from ai_protocols.session.reading import read_session as read_session
from ai_protocols.session.reading import read_session_head as read_session_head
from ai_protocols.session.reading import whole as whole
from ai_protocols.session.sections import _ITEM_PREFIXES as _ITEM_PREFIXES
from ai_protocols.session.sections import _OWN_BOXES as _OWN_BOXES
from ai_protocols.session.sections import ABANDONED as ABANDONED
from ai_protocols.session.sections import ACTIVE as ACTIVE
from ai_protocols.session.sections import CLOSED_STATUSES as CLOSED_STATUSES
from ai_protocols.session.sections import CRASHED as CRASHED
from ai_protocols.session.sections import CURRENT_BOX as CURRENT_BOX
from ai_protocols.session.sections import EARLIER as EARLIER
from ai_protocols.session.sections import ENDED as ENDED
from ai_protocols.session.sections import EXPORT_OPTIONS as EXPORT_OPTIONS
from ai_protocols.session.sections import HEAD_BYTES as HEAD_BYTES
from ai_protocols.session.sections import NO_SESSION_HEADLINE as NO_SESSION_HEADLINE
from ai_protocols.session.sections import PAUSED as PAUSED
from ai_protocols.session.sections import SECTIONS as SECTIONS
from ai_protocols.session.sections import SESSION_ID_PROPERTY as SESSION_ID_PROPERTY
from ai_protocols.session.sections import SUMMARY_LOGGED as SUMMARY_LOGGED
from ai_protocols.session.sections import TITLE_PROPERTY as TITLE_PROPERTY
from ai_protocols.session.sections import WRAPPED_UP as WRAPPED_UP
from ai_protocols.session.sections import _count as _count
from ai_protocols.session.sections import _done_by_text as _done_by_text
from ai_protocols.session.sections import _done_reference as _done_reference
from ai_protocols.session.sections import _entries as _entries
from ai_protocols.session.sections import _general as _general
from ai_protocols.session.sections import _item_prefix as _item_prefix
from ai_protocols.session.sections import _may_open_block as _may_open_block
from ai_protocols.session.sections import _opens_drawer as _opens_drawer
from ai_protocols.session.sections import _own_prefix as _own_prefix
from ai_protocols.session.sections import _summary_span as _summary_span
from ai_protocols.session.sections import after_drawers as after_drawers
from ai_protocols.session.sections import find_section as find_section
from ai_protocols.session.sections import head_of as head_of
from ai_protocols.session.sections import identity_differences as identity_differences
from ai_protocols.session.sections import iter_entries as iter_entries
from ai_protocols.session.sections import one_session as one_session
from ai_protocols.session.sections import other_session as other_session
from ai_protocols.session.sections import read_entries as read_entries
from ai_protocols.session.sections import same_session_id as same_session_id
from ai_protocols.session.sections import session_headline as session_headline
from ai_protocols.session.sections import session_named as session_named
from ai_protocols.session.sections import summary_span as summary_span
from ai_protocols.session.splice import append_entry as append_entry
from ai_protocols.session.splice import apply_entry as apply_entry
from ai_protocols.session.splice import as_listed_key_file as as_listed_key_file
from ai_protocols.session.splice import log_line as log_line
from ai_protocols.session.splice import new_session_text as new_session_text
from ai_protocols.session.splice import property_value as property_value
from ai_protocols.session.splice import read_info as read_info
from ai_protocols.session.splice import section_for_write as section_for_write
