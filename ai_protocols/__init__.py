"""ai-protocols: keep AI coding agents' working sessions safe in the repository.

The library behind the ``ai-protocols`` command. Open a :class:`Project` and
call its methods; errors are subclasses of :class:`AiProtocolsError` that
carry the facts as fields. Importing this package loads nothing but this
file: each name is imported from its module on first use, and click,
filelock, orgparse and dateutil only where a command needs them, because
agents run these commands many times per session.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~9 ms)

__version__ = "0.1.0"

#: Public name -> the private module that defines it.
_EXPORTS: dict[str, str] = {
    "AiProtocolsError": "ai_protocols._errors",
    "AmbiguousItem": "ai_protocols._errors",
    "BeingEdited": "ai_protocols._errors",
    "CannotRecover": "ai_protocols._errors",
    "Entry": "ai_protocols._org",
    "InitAction": "ai_protocols._scaffold",
    "InvalidAgentId": "ai_protocols._errors",
    "InvalidProjectRoot": "ai_protocols._errors",
    "InvalidText": "ai_protocols._errors",
    "ItemNotFound": "ai_protocols._errors",
    "LockTimeout": "ai_protocols._errors",
    "LogEntry": "ai_protocols._layout",
    "LogReport": "ai_protocols._session",
    "NoSession": "ai_protocols._errors",
    "Project": "ai_protocols._session",
    "Session": "ai_protocols._layout",
    "SessionInfo": "ai_protocols._layout",
    "SessionWrappedUp": "ai_protocols._errors",
    "StartReport": "ai_protocols._session",
    "StatusRow": "ai_protocols._session",
    "StorageError": "ai_protocols._errors",
    "UnreadableSession": "ai_protocols._errors",
    "UnsafePath": "ai_protocols._errors",
    "find_project_root": "ai_protocols._paths",
    "has_epoch_tail": "ai_protocols._agent_ids",
    "init_project": "ai_protocols._scaffold",
    "mint_agent_id": "ai_protocols._agent_ids",
    "read_session": "ai_protocols._layout",
    "safe_id": "ai_protocols._paths",
    "session_context_path": "ai_protocols._paths",
    "slugify": "ai_protocols._layout",
}

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

def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is used."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'ai_protocols' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
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
