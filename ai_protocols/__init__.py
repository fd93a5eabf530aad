"""ai-protocols: keep AI coding agents' working sessions safe in the repository.

The library behind the ``ai-protocols`` command. Open a :class:`Project` and
call its methods; errors are subclasses of :class:`AiProtocolsError` that
carry the facts as fields. Importing this package loads only the standard
library: click, filelock, orgparse and dateutil are imported where a command
needs them, because agents run these commands many times per session.
"""

from ai_protocols._agent_ids import has_epoch_tail, mint_agent_id
from ai_protocols._errors import (
    AiProtocolsError,
    AmbiguousItem,
    BeingEdited,
    CannotRecover,
    InvalidAgentId,
    InvalidProjectRoot,
    InvalidText,
    ItemNotFound,
    LockTimeout,
    NoSession,
    SessionWrappedUp,
    StorageError,
    UnreadableSession,
    UnsafePath,
)
from ai_protocols._layout import LogEntry, Session, SessionInfo, read_session, slugify
from ai_protocols._org import Entry
from ai_protocols._paths import find_project_root, safe_id, session_context_path
from ai_protocols._scaffold import InitAction, init_project
from ai_protocols._session import LogReport, Project, StartReport, StatusRow

__version__ = "0.1.0"

__all__ = [
    "AiProtocolsError",
    "AmbiguousItem",
    "BeingEdited",
    "CannotRecover",
    "Entry",
    "InitAction",
    "InvalidAgentId",
    "InvalidProjectRoot",
    "InvalidText",
    "ItemNotFound",
    "LockTimeout",
    "LogEntry",
    "LogReport",
    "NoSession",
    "Project",
    "Session",
    "SessionInfo",
    "SessionWrappedUp",
    "StartReport",
    "StatusRow",
    "StorageError",
    "UnreadableSession",
    "UnsafePath",
    "__version__",
    "find_project_root",
    "has_epoch_tail",
    "init_project",
    "mint_agent_id",
    "read_session",
    "safe_id",
    "session_context_path",
    "slugify",
]
