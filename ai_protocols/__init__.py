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
    "AiProtocolsError": "ai_protocols.errors",
    "AmbiguousItem": "ai_protocols.errors",
    "BeingEdited": "ai_protocols.errors",
    "CannotRecover": "ai_protocols.errors",
    "Entry": "ai_protocols.org.syntax",
    "InitAction": "ai_protocols.scaffold",
    "InvalidAgentId": "ai_protocols.errors",
    "InvalidProjectRoot": "ai_protocols.errors",
    "InvalidText": "ai_protocols.errors",
    "ItemNotFound": "ai_protocols.errors",
    "LockTimeout": "ai_protocols.errors",
    "LogEntry": "ai_protocols.session.layout",
    "LogReport": "ai_protocols.session.project",
    "NoSession": "ai_protocols.errors",
    "Project": "ai_protocols.session.project",
    "Session": "ai_protocols.session.layout",
    "SessionInfo": "ai_protocols.session.layout",
    "SessionWrappedUp": "ai_protocols.errors",
    "StartReport": "ai_protocols.session.project",
    "StatusRow": "ai_protocols.session.project",
    "StorageError": "ai_protocols.errors",
    "UnreadableSession": "ai_protocols.errors",
    "UnsafePath": "ai_protocols.errors",
    "find_project_root": "ai_protocols.paths",
    "has_epoch_tail": "ai_protocols.identity",
    "init_project": "ai_protocols.scaffold",
    "mint_agent_id": "ai_protocols.identity",
    "read_session": "ai_protocols.session.layout",
    "safe_id": "ai_protocols.paths",
    "session_context_path": "ai_protocols.paths",
    "slugify": "ai_protocols.session.layout",
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
    from ai_protocols.errors import (
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
    from ai_protocols.identity import has_epoch_tail, mint_agent_id
    from ai_protocols.org.syntax import Entry
    from ai_protocols.paths import find_project_root, safe_id, session_context_path
    from ai_protocols.scaffold import InitAction, init_project
    from ai_protocols.session.layout import LogEntry, Session, SessionInfo, read_session, slugify
    from ai_protocols.session.project import LogReport, Project, StartReport, StatusRow
