"""ai-protocols: keep AI coding agents' working sessions safe in the repository.

The library behind the ``ai-protocols`` command. Open a :class:`Project` and
call its methods; errors are subclasses of :class:`AiProtocolsError` that
carry the facts as fields and an ``exit_code``. ``docs/python-api.md``
documents every name exported here; the modules under this package are its
implementation and may change.

Importing this package loads nothing but this file: each name is imported
from its module on first use, and click, filelock, orgparse and dateutil only
where a command needs them, because agents run these commands many times per
session.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~9 ms)

__version__ = "0.1.0"

#: The module that defines each public name.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "ai_protocols.session.project": ("LogReport", "Project", "StartReport", "StatusRow"),
    "ai_protocols.session.model": ("EarlierEntries", "LogEntry", "Session", "SessionInfo"),
    "ai_protocols.session.layout": ("read_session",),
    "ai_protocols.session.resume": ("ResumeContext", "resume_context"),
    "ai_protocols.git.state": ("GitState",),
    "ai_protocols.git.checkpoint": ("Checkpoint", "Checkpoints"),
    "ai_protocols.org.syntax": ("Entry",),
    "ai_protocols.liveness.evidence": ("Liveness",),
    "ai_protocols.paths": ("find_project_root", "safe_id", "session_context_path"),
    "ai_protocols.identity": ("mint_agent_id",),
    "ai_protocols.scaffold": ("InitAction", "init_project"),
    "ai_protocols.board.board": ("Board", "ClaimReport", "LockReport"),
    "ai_protocols.board.model": ("AreaLock", "Task"),
    "ai_protocols.errors": (
        "AiProtocolsError", "AmbiguousItem", "BeingEdited", "CannotRecover", "InvalidAgentId",
        "InvalidConfigFile", "InvalidProjectRoot", "InvalidText", "ItemNotFound", "LockTimeout",
        "MergeConflict", "NoProject", "NoSession", "SessionCarried", "SessionRemoved",
        "SessionReplaced",
        "SessionWrappedUp",
        "CheckpointNotFound", "CheckpointRefused", "GitFailed", "NotAGitRepository",
        "StorageError", "Unmerged", "UnreadableSession", "UnsafePath",
        "PathLocked", "TaskClosed", "TaskNotFound", "TaskTaken",
        "DuplicateTaskId", "MisplacedDrawer", "BrokenDrawer", "ClaimVoid", "KeptNotMerged",
        "OtherSession",
        "RolloverUndone", "OutputLost", "StaleSave", "BoardStaleSave", "BoardCopyNotMerged",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted([*_MODULE_OF, "__version__"])


def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is used."""
    try:
        module = _MODULE_OF[name]
    except KeyError:
        raise AttributeError(f"module 'ai_protocols' has no attribute {name!r}") from None
    import importlib  # here: every command imports this package, few use a name of it

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:  # the same names, for type checkers (tests/test_imports.py keeps them equal)
    from ai_protocols.board.board import Board, ClaimReport, LockReport
    from ai_protocols.board.model import AreaLock, Task
    from ai_protocols.errors import (
        AiProtocolsError,
        AmbiguousItem,
        BeingEdited,
        BoardCopyNotMerged,
        BoardStaleSave,
        BrokenDrawer,
        CannotRecover,
        CheckpointNotFound,
        CheckpointRefused,
        ClaimVoid,
        DuplicateTaskId,
        GitFailed,
        InvalidAgentId,
        InvalidConfigFile,
        InvalidProjectRoot,
        InvalidText,
        ItemNotFound,
        KeptNotMerged,
        LockTimeout,
        MergeConflict,
        MisplacedDrawer,
        NoProject,
        NoSession,
        NotAGitRepository,
        OtherSession,
        OutputLost,
        PathLocked,
        RolloverUndone,
        SessionCarried,
        SessionRemoved,
        SessionReplaced,
        SessionWrappedUp,
        StaleSave,
        StorageError,
        TaskClosed,
        TaskNotFound,
        TaskTaken,
        Unmerged,
        UnreadableSession,
        UnsafePath,
    )
    from ai_protocols.git.checkpoint import Checkpoint, Checkpoints
    from ai_protocols.git.state import GitState
    from ai_protocols.identity import mint_agent_id
    from ai_protocols.liveness.evidence import Liveness
    from ai_protocols.org.syntax import Entry
    from ai_protocols.paths import find_project_root, safe_id, session_context_path
    from ai_protocols.scaffold import InitAction, init_project
    from ai_protocols.session.layout import read_session
    from ai_protocols.session.model import EarlierEntries, LogEntry, Session, SessionInfo
    from ai_protocols.session.project import LogReport, Project, StartReport, StatusRow
    from ai_protocols.session.resume import ResumeContext, resume_context
