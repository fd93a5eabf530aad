"""The library's exceptions.

Each carries the facts as fields and an ``exit_code`` that the CLI returns;
only the CLI turns them into ``Error: ...`` lines. The codes are part of the
protocol (see ``.ai/protocols.org``): 2 is click's usage error, so ours start
at 3.
"""

from __future__ import annotations

import os

from ai_protocols.errors_base import CHECK_NEEDS_GIT as CHECK_NEEDS_GIT  # (given from here)
from ai_protocols.errors_base import CHECKPOINT_NEEDS_GIT as CHECKPOINT_NEEDS_GIT
from ai_protocols.errors_base import DUPLICATE_FIX as DUPLICATE_FIX
from ai_protocols.errors_base import AiProtocolsError, UnreadableSession, _lacking, _show
from ai_protocols.errors_base import MergeConflict as MergeConflict  # (given from here)
from ai_protocols.lean import PathField, TextOf, shell_quote

TYPE_CHECKING = False  # no pathlib at import: the resolver's twin imports this module
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "AiProtocolsError",
    "AmbiguousItem",
    "BeingEdited",
    "BoardCopyNotMerged",
    "BoardStaleSave",
    "BrokenDrawer",
    "CannotRecover",
    "CheckpointNotFound",
    "CheckpointRefused",
    "ClaimVoid",
    "DuplicateTaskId",
    "GitFailed",
    "InvalidAgentId",
    "InvalidConfigFile",
    "InvalidProjectRoot",
    "InvalidText",
    "ItemNotFound",
    "KeptNotMerged",
    "LockTimeout",
    "MergeConflict",
    "MisplacedDrawer",
    "NoProject",
    "NoSession",
    "NotAGitRepository",
    "OtherSession",
    "OutputLost",
    "PathLocked",
    "RolloverUndone",
    "SessionCarried",
    "SessionRemoved",
    "SessionReplaced",
    "SessionWrappedUp",
    "StaleSave",
    "StorageError",
    "TaskClosed",
    "TaskNotFound",
    "TaskTaken",
    "Unmerged",
    "UnreadableSession",
    "UnsafePath",
]


#: The fields that hold a path keep it as given and read as a ``pathlib.Path``, made on
#: first read (:class:`~ai_protocols.lean.PathField`); ``path_text`` and the like read
#: the text: the hot paths raise and catch some of these without importing pathlib.


class NoSession(AiProtocolsError, FileNotFoundError):
    """There is no session-context file where one is needed."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 3

    def __init__(self, path: Path, hint: str | None = None) -> None:
        self.path = path
        self.hint = hint
        super().__init__(f"no session context at {path}; "
                         + (hint or "run 'ai-protocols start' first"))

    @property
    def message(self) -> str:  # (args[0] whole: OSError's str would read it as errno)
        return str(self.args[0])


class NoProject(AiProtocolsError, LookupError):
    """No project: outside any git work tree, and no folder from the working directory
    up holds ``.ai/``. Raised by ``start`` (which would set one up) and ``agent-id``
    (whose id would name a folder that is no project), and by every command that needs
    a project. ``needs``: what the command needs git for (:data:`CHECKPOINT_NEEDS_GIT`,
    :data:`CHECK_NEEDS_GIT`), when it does: then the advice is both steps, ``git init
    && ai-protocols init`` (``init`` alone set up ``.ai/`` and the command refused
    again, exit 14: issue 14, twentieth round)."""

    root = PathField()
    root_text = TextOf("root")

    exit_code = 13

    def __init__(self, root: Path, needs: str | None = None) -> None:
        self.root = root
        #: What the command needs git for; ``None``: it does not.
        self.needs = needs
        bare = _bare_repository(str(root))
        if bare is not None:  # (git's own word: "must be run in a work tree")
            super().__init__(
                f"no project here: {root} is in the bare git repository {bare}, which has "
                "no work tree (no files checked out, so nothing to keep a session or a "
                f"checkpoint of); run ai-protocols in a clone of it (git clone "
                f"{shell_quote(os.fspath(bare))} DIR)")
            return
        if needs is not None:
            super().__init__(
                f"no project here: {root} is not in a git repository and no folder above "
                f"it holds .ai/; {needs}, so this command needs both: in the project's top "
                "folder, make it a git repository and set up .ai/ there (git init && "
                "ai-protocols init), then run it again; or set AI_PROJECT_ROOT to a "
                "project's top folder that is a git work tree")
            return
        super().__init__(
            f"no project here: {root} is not in a git repository and no folder above it "
            "holds .ai/; run 'ai-protocols init' in the project's top folder first (it sets "
            "up .ai/ there), or set AI_PROJECT_ROOT to that folder")


#: What advice renames a session file to while a git command that would take it away,
#: write another version over it or refuse it runs, before renaming it back (issue 14,
#: nineteenth round: advice followed must not lose the session).
CARRY_SUFFIX = ".carry"


def carry_left(path: str | os.PathLike[str]) -> bool:
    """Whether the session file ``path`` was put aside by a carry that stopped halfway
    (``PATH.carry`` is there: its git command refused). One ``lstat``."""
    return os.path.lexists(os.fspath(path) + CARRY_SUFFIX)


def removed_by_switch(switched: tuple[str, str, str], kept: str,
                      path: str | None = None) -> str:
    """The one advice when ``HEAD`` left the branch the session file is committed on
    (``switched``: :attr:`SessionRemoved.switched`; ``kept``: its kept copy): ``git
    switch BRANCH`` first, and what ``ai-protocols start`` would do instead. When the
    session file ``path`` (absolute) was put aside by a carry that stopped halfway
    (``PATH.carry`` is there: its ``git switch`` refused, as with an unmerged index
    after a conflicted ``git stash pop``), the carry finished instead: the file's
    unmerged entries taken out of the index (``git reset -q -- PATH``: nothing in the
    work tree changes), the switch, the file renamed back (issue 14, twentieth round:
    the advice repeated the refused switch and never named the file put aside). One
    ``lstat``. ``switched``'s last part is the project's folder (the top of the work
    tree, or the folder below it that holds ``.ai/``), where the advice's ``cd`` goes."""
    branch, _here, top = switched
    aside = None if path is None else path + CARRY_SUFFIX
    if aside is not None and carry_left(path):  # type: ignore[arg-type]
        q, a = shell_quote(path), shell_quote(aside)  # type: ignore[arg-type]
        return (f"it is committed on branch {branch}, which its last version records, and "
                f"the session file was put aside at {aside} by a carry that stopped before "
                f"its git switch (refused: an unmerged index, after a conflicted git stash "
                f"pop or merge, or local changes); finish that carry with: cd -- "
                f"{shell_quote(top)} && git reset -q -- {q} && git switch "
                f"{shell_quote(branch)} && mv -- {a} {q} (git reset only takes the session "
                f"file's unmerged entries out of git's index; when git switch still refuses, "
                f"resolve the other files git status lists as unmerged first, then run it "
                f"again; its last version, with every entry logged to it, stays kept in "
                f"{kept})")
    back = f"git -C {shell_quote(top)} switch {shell_quote(branch)}"
    return (f"it is committed on branch {branch}, which its last version records (a branch "
            f"switch or checkout took it away with that branch's commit); go back with "
            f"{back} (it comes back with it; its last version, with every entry logged "
            f"to it, stays kept in {kept}); 'ai-protocols start' here would instead bring "
            f"that version back on this branch, as a file git does not track, and git "
            f"switch {shell_quote(branch)} then refuses ('untracked working tree files "
            f"would be overwritten') until it is moved aside or committed")


#: How a session file went that something other than this tool removed, in the words
#: every message about one uses (its error, ``status``, ``start`` bringing it back).
REMOVED_HOW = "removed, and not by ai-protocols (git clean, git stash -u or git checkout?)"
def _bare_repository(folder: str) -> str | None:
    """The bare git repository ``folder`` is in (itself or a folder above), ``None``
    when none: a folder with ``HEAD``, ``objects/`` and ``refs/`` whose ``config`` says
    ``bare = true`` (gitrepository-layout(5), git-config(1) ``core.bare``). Read from the
    files, no git run."""
    for _ in range(256):
        config = os.path.join(folder, "config")
        if os.path.isfile(os.path.join(folder, "HEAD")) and \
                os.path.isdir(os.path.join(folder, "objects")) and \
                os.path.isdir(os.path.join(folder, "refs")):
            try:
                with open(config, encoding="utf-8", errors="replace") as handle:
                    text = handle.read(65536)
            except OSError:
                return None
            lines = [line.split("#")[0].split(";")[0].replace(" ", "").replace("\t", "")
                     .lower() for line in text.splitlines()]
            return folder if "bare=true" in lines else None
        above = os.path.dirname(folder)
        if above == folder:
            return None
        folder = above
    return None


class SessionRemoved(NoSession):
    """The session file is gone, removed by something other than this tool (``git
    clean``, ``git stash -u``, ``git checkout``), but the per-machine copy of its last
    version is kept: ``ai-protocols start`` brings it back."""

    kept = PathField()
    kept_text = TextOf("kept")

    def __init__(self, path: Path, kept: Path, stash: str | None = None,
                 switched: tuple[str, str, str] | None = None,
                 start: str = "'ai-protocols start'") -> None:
        self.kept = kept
        #: The command that brings it back, as advice says it
        #: (:func:`~ai_protocols.session.names.start_command`).
        self.start = start
        #: ``(branch, here, top)`` when ``HEAD`` left the branch the file is committed
        #: on (:func:`~ai_protocols.session.replaced.switched_from`): ``git switch
        #: BRANCH`` in ``top`` brings it back.
        self.switched = switched
        #: The work tree whose newest stash entry holds the file (``git stash -u`` took
        #: it): ``git stash pop`` there brings it back with the rest of what was stashed.
        self.stash = stash
        super().__init__(path)
        if switched is not None and carry_left(path):
            # (a carry stopped halfway: said first, stash or not; issue 14, twentieth round)
            self.args = (f"the session file {path} is not on {switched[1]}: "
                         f"{removed_by_switch(switched, os.fspath(kept), os.fspath(path))}",)
            return
        if stash is not None and not os.path.lexists(kept):
            # git stash -a (--all) took the ignored .ai/.locks/ too: no kept copy left,
            # so start would begin a fresh session, which git stash pop then refuses.
            pop = f"git -C {shell_quote(os.fspath(stash))} stash pop"
            self.args = (f"the session file {path} was removed by git stash, with the copy "
                         f"ai-protocols keeps of it (git stash -a, --all, takes ignored files "
                         f"too: .ai/.locks/; the newest stash entry holds both: git stash "
                         f"list): bring them back with {pop}; 'ai-protocols start' would begin "
                         f"a fresh session instead, over which git stash pop refuses to put "
                         f"them back",)
            return
        if stash is not None:
            pop = f"git -C {shell_quote(os.fspath(stash))} stash pop"
            self.args = (f"the session file {path} was removed by git stash (the newest "
                         f"stash entry holds it: git stash list): bring it back with the "
                         f"rest of what git stash took, with {pop}; or run "
                         f"{start} to bring back its last version alone, kept "
                         f"in {kept} (git "
                         f"stash pop then refuses the stashed files that are here again: "
                         f"'ai-protocols resume' gives the commands)",)
            return
        if switched is not None:
            self.args = (f"the session file {path} is not on {switched[1]}: "
                         f"{removed_by_switch(switched, os.fspath(kept), os.fspath(path))}",)
            return
        self.args = (f"the session file {path} was {REMOVED_HOW}; its last version, with every "
                     f"entry logged to it, is kept in {kept}: run {start} to "
                     "bring it back (or 'git stash pop', if it was stashed)",)


#: What every refusal of an agent id ends with: what to do. The one text for every
#: reason (:class:`InvalidAgentId`); the sh resolver (``session-context-path``) prints
#: the same after its reason.
AGENT_ID_TODO = ("set a fresh id, AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME), or "
                 "unset AI_AGENT_ID inside Claude Code or Codex (their session id then "
                 "names the agent)")


class InvalidAgentId(AiProtocolsError, ValueError):
    """``AI_AGENT_ID`` cannot be turned into a file name. Its message is the one every
    refusal of an agent id gives: the id, ``reason``, and what to do
    (:data:`AGENT_ID_TODO`, unless ``reason`` already names ``ai-protocols agent-id``;
    for an id given to ``recover``, ``given_as`` names it, and the message says to give
    an id 'ai-protocols status' lists)."""

    exit_code = 4

    def __init__(self, agent_id: str | bytes, reason: str, *,
                 given_as: str = "AI_AGENT_ID") -> None:
        self.agent_id = agent_id
        self.reason = reason
        #: Where the id came from: ``AI_AGENT_ID``, or ``recover``'s argument.
        self.given_as = given_as
        if given_as != "AI_AGENT_ID":
            todo = ("; give another agent's id as 'ai-protocols status' lists it, or the "
                    "path of its session file")
        else:
            todo = "" if "ai-protocols agent-id" in reason else f"; {AGENT_ID_TODO}"
        super().__init__(f"{given_as} {_show(agent_id)} cannot be used: {reason}{todo}")


class InvalidText(AiProtocolsError, ValueError):
    """A title, description, id part or logged text that cannot be used."""

    exit_code = 4

    def __init__(self, field: str, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field} {_show(value)} cannot be used: {reason}")


class SessionWrappedUp(AiProtocolsError):
    """The session was already wrapped up (or adopted): nothing more can be logged to it.
    For a copy of it put back as the live file (``copy_lacks`` given), ``cause`` says
    what put it there (:func:`ai_protocols.session.cause.wrapped_cause`)."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 7

    def __init__(self, path: Path, where: str | None = None,
                 copy_lacks: int | None = None, kept: str | None = None,
                 copy_holds: str = "", cause: str | None = None) -> None:
        self.path = path
        self.where = where
        self.cause = cause
        #: The kept copy of another session, one started since (``None``: none): what
        #: ``start`` brings back once the put-back copy is gone.
        self.kept = kept
        #: The file is a copy of a session its archive holds (``where``: ``archived to
        #: A``) put back by git or a copy: how many things (an entry, a checkbox item, a
        #: line typed...) it holds that the archive lacks (-1: unknown); ``None``: not
        #: such a copy. ``copy_holds``: those said by kind (``1 entry and 2 lines``;
        #: ``""``: not said). :func:`ai_protocols.session.wrapped_copy.archive_lacks`.
        self.copy_lacks = copy_lacks
        self.copy_holds = copy_holds
        said = f" ({where})" if where else ""
        state = "was abandoned" if where and where.startswith("abandoned") else \
            "is already wrapped up"
        if copy_lacks is not None:
            file = shell_quote(os.fspath(path))
            archive = where[len("archived to "):] if where and \
                where.startswith("archived to ") else "its archive"
            then = (f"run 'ai-protocols start', which brings back the session "
                    f"ai-protocols wrote last here (kept in {kept})") if kept else \
                "run 'ai-protocols start' for a new session"
            if copy_lacks == 0:
                how = (f"it holds nothing the archive lacks (no entry, no checkbox item, no "
                       f"line): remove it (rm {file}), then {then}")
            else:
                holds = copy_holds or ("things (entries, checkbox items or lines typed)"
                                       if copy_lacks < 0 else _lacking(copy_lacks))
                how = (f"it holds {holds} the archive lacks: merge them into "
                       f"{archive} (ai-protocols merge-kept {file}; each once, the file "
                       f"removed after), commit the archive, then {then}; "
                       f"never rm it, which would lose them")
            super().__init__(
                f"the session at {path} {state}{said}: this file is a copy of it "
                f"({cause or 'git or a copy put it back: a git checkout of an older commit?'}"
                f"); a write would "
                f"bring the session back and its next wrap-up would archive its entries a "
                f"second time; nothing is written: {how}")
            return
        super().__init__(f"the session at {path} {state}{said}; run 'ai-protocols start'")


class StorageError(AiProtocolsError):
    """The file system refused a read or write (permissions, full disk...) of ``path``
    (``None``: the ``OSError`` named no file, as a write to a pipe or an ``fsync``)."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 9

    def __init__(self, path: str | os.PathLike[str] | None, error: OSError,
                 advice: str | None = None) -> None:
        self.path = path
        self.error = error
        #: What to do, when the caller knows (``None``: not said).
        self.advice = advice
        reason = error.strerror or str(error)
        what = "a read or write" if path is None else path
        super().__init__(f"the file system refused {what}: {reason}" +
                         (f"; {advice}" if advice else ""))


class UnsafePath(AiProtocolsError):
    """A symbolic link where the tool writes: following it could write outside the project."""

    path = PathField()
    path_text = TextOf("path")
    link = PathField()
    link_text = TextOf("link")

    exit_code = 12

    def __init__(self, path: Path, link: Path) -> None:
        self.path = path
        self.link = link
        super().__init__(
            f"refusing to use {path}: {link} is a symbolic link, which could lead outside "
            "the project; replace it with a real file or folder"
        )


# -- the task board (ai_protocols.board; docs/tasks.md). Codes from 20 on. --------------------


def git_said(stderr: bytes) -> str:
    """What git wrote on its standard error (``stderr``, bytes; not UTF-8 replaced) as
    one line, for a :class:`GitFailed`'s reason: its lines, stripped, the empty ones
    left out, joined with ``"; "``, or with a space after a line that ends in ``;``,
    ``:`` or ``,`` already (git breaks its sentences so: "is a missing but already
    registered worktree;" then "use 'add -f' to override", which read ``;;``; issue 14,
    twenty-second round). ``""`` when it wrote nothing. Never raises."""
    said = ""
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            said += (" " if said.endswith((";", ":", ",")) else "; " if said else "") + line
    return said


#: The exceptions :mod:`ai_protocols.errors_rare` defines, those no hot command raises:
#: given from there on first use (:func:`__getattr__`), so that a command that raises
#: none of them does not make their classes (about 3 M instructions together; issue 16,
#: twenty-sixth round). Each is this module's all the same (``__module__``, pickling,
#: ``from ai_protocols.errors import GitFailed``).
RARE = ("InvalidProjectRoot", "InvalidConfigFile", "KeptNotMerged",
        "BoardCopyNotMerged", "BoardStaleSave", "OutputLost", "TaskNotFound",
        "DuplicateTaskId", "TaskTaken", "PathLocked", "TaskClosed", "ClaimVoid",
        "MisplacedDrawer", "BrokenDrawer", "GitFailed", "NotAGitRepository",
        "CheckpointNotFound", "CheckpointRefused")
if TYPE_CHECKING:
    from ai_protocols.errors_rare import (
        BoardCopyNotMerged,
        BoardStaleSave,
        BrokenDrawer,
        CheckpointNotFound,
        CheckpointRefused,
        ClaimVoid,
        DuplicateTaskId,
        GitFailed,
        InvalidConfigFile,
        InvalidProjectRoot,
        KeptNotMerged,
        MisplacedDrawer,
        NotAGitRepository,
        OutputLost,
        PathLocked,
        TaskClosed,
        TaskNotFound,
        TaskTaken,
    )


#: The exceptions :mod:`ai_protocols.errors_write` defines, those only a write raises (or
#: a recovery): given from there on first use, as :data:`RARE`, so that a command that
#: only reads (``resume``, ``show``, ``status``, ``start`` of a session under way) does
#: not make their classes (about 1.3 M instructions; the last four since the
#: twenty-seventh round, about 0.6 M more).
WRITES = ("SessionReplaced", "SessionCarried", "RolloverUndone", "OtherSession", "StaleSave",
          "BeingEdited", "CannotRecover", "ItemNotFound", "AmbiguousItem", "LockTimeout",
          "Unmerged")
if TYPE_CHECKING:
    from ai_protocols.errors_write import (
        AmbiguousItem,
        BeingEdited,
        CannotRecover,
        ItemNotFound,
        LockTimeout,
        OtherSession,
        RolloverUndone,
        SessionCarried,
        SessionReplaced,
        StaleSave,
        Unmerged,
    )


def __getattr__(name: str) -> type[AiProtocolsError]:
    """The exception class ``name`` of :data:`RARE` or :data:`WRITES`, made on first use
    (by importing :mod:`ai_protocols.errors_rare` or :mod:`ai_protocols.errors_write`),
    then kept here as any other. Raises ``AttributeError`` for any other name not
    defined here."""
    if name in RARE:
        from ai_protocols import errors_rare as module  # (below this module: errors_base)

        names = RARE
    elif name in WRITES:
        from ai_protocols import errors_write as module  # (the same)

        names = WRITES
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update((given, getattr(module, given)) for given in names)
    return globals()[name]
