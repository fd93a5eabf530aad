"""The library's exceptions that no hot command raises: the task board's, git's and the
checkpoints', a hook's configuration file's, and a few kept copies' and stale saves'.

They are :mod:`ai_protocols.errors`'s as much as the others (their ``__module__`` says
so, and ``ai_protocols.errors.GitFailed`` is the class): that module gives them from
here on first use (its ``__getattr__``), so that a command that raises none of them does
not make their classes. Making an exception class costs about 160,000 instructions (the
type's slots looked up along its bases), these 18 together about 3 M: a 12th of an
interpreter's start, at every hot command (docs/performance.md, "Issue 16, twenty-sixth
round"). Import them from :mod:`ai_protocols.errors`, never from here.
"""

from __future__ import annotations

import os

from ai_protocols.errors_base import (
    CHECKPOINT_NEEDS_GIT,
    DUPLICATE_FIX,
    AiProtocolsError,
    _show,
    given_from_errors,
)
from ai_protocols.lean import PathField, TextOf, counted, quoted, shell_quote

#: (what :data:`ai_protocols.errors.RARE` names: tests/test_bench_twentysixth.py holds
#: the two equal)
__all__ = ["BoardCopyNotMerged", "BoardStaleSave", "BrokenDrawer", "CheckpointNotFound",
           "CheckpointRefused", "ClaimVoid", "DuplicateTaskId", "GitFailed",
           "InvalidConfigFile", "InvalidProjectRoot", "KeptNotMerged", "MisplacedDrawer",
           "NotAGitRepository", "OutputLost", "PathLocked", "TaskClosed", "TaskNotFound",
           "TaskTaken"]

TYPE_CHECKING = False  # no pathlib at import (as ai_protocols.errors)
if TYPE_CHECKING:
    from pathlib import Path


def _both_changed(left: tuple[str, ...], both: str, locks: bool = False) -> str:
    """The tasks a board's merge left to a person (``left``: their titles; ``()``: not
    known; ``locks``: the locks section too), as the refusals say them: ``a task both
    changed``, ``2 tasks both changed ('Task one', 'Task two')``, ``the locks section,
    which both changed`` or ``1 task both changed ('Task one') and the locks section``
    (``both``: who changed them)."""
    if locks:
        return f"the locks section, which {both}" if not left else \
            f"{_both_changed(left, both)} and the locks section"
    if not left:
        return f"a task {both}"
    return (f"{counted(len(left), 'task', 'tasks')} {both} "
            f"({', '.join(quoted(title, 60) for title in left)})")


def _force_advice(state: str, who: str = "that agent") -> str:
    """When ``--force`` is right against a holder in ``state`` (a liveness state), in
    words: a paused holder is not gone (its person set it aside to resume it: force
    once that person agrees, docs/tasks.md "A paused holder keeps its claim"); any
    other, once ``who`` is gone."""
    if state == "paused":
        return ("add --force once the person who paused that session agrees (a paused "
                "agent is not gone: it resumes with 'ai-protocols start')")
    return f"add --force once you are sure {who} is gone"


def _relation(path: str, locked: str) -> str:
    """How ``path`` stands to the locked area ``locked`` (both project-relative, a folder
    ending in ``/``), in words: the same, inside it, holding it, or (through a symbolic
    link) the same place."""
    a, b = path.rstrip("/"), locked.rstrip("/")
    if a == b:
        return f"{path} is locked"
    if locked == "./" or a.startswith(b + "/"):
        return f"{path} is inside {locked}"
    if path == "./" or b.startswith(a + "/"):
        return f"{path} holds {locked}"
    return f"{path} is, through a symbolic link, at or around {locked}"


class InvalidProjectRoot(AiProtocolsError, ValueError):
    """``AI_PROJECT_ROOT`` names something that is not a directory."""

    exit_code = 4

    def __init__(self, root: str, reason: str) -> None:
        self.root = root
        self.reason = reason
        super().__init__(f"AI_PROJECT_ROOT {_show(root)} cannot be used: {reason}")


class InvalidConfigFile(AiProtocolsError, ValueError):
    """An agent's file the tool would change (a settings file, ``AGENTS.md``) that it
    cannot change safely: not valid JSON, an unexpected shape, a broken marker block."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 4

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot change {path}: {reason}; it was left unchanged")


class KeptNotMerged(AiProtocolsError, ValueError):
    """``merge-kept`` could not merge the session file with its kept copy (not two
    versions of one session, or both changed the same lines): nothing was written;
    ``reason`` says why, and a person merges them. The advice names what the person
    adds by hand before the ``cp`` it gives, which would else lose it, by kind and
    count: ``kept_holds``, what only the kept copy (the newer version) holds,
    ``file_holds``, what only the file holds (``1 entry and 1 tick``;
    :func:`~ai_protocols.session.merge_changes.said_changes`; empty: not known)."""

    path = PathField()
    path_text = TextOf("path")
    kept = PathField()
    kept_text = TextOf("kept")

    exit_code = 6

    def __init__(self, path: Path, kept: Path, reason: str, *, archive: bool = False,
                 rolled: bool = False, restore: str | None = None,
                 put_back: bool = False, unmerged: str | None = None,
                 left_by: str = "git's merge", kept_holds: str = "",
                 file_holds: str = "") -> None:
        self.path, self.kept, self.reason = path, kept, reason
        self.kept_holds, self.file_holds = kept_holds, file_holds
        only_kept = f": {kept_holds}" if kept_holds else ""
        if unmerged is not None:
            #: ``kept`` is a session file git's merge left unmerged (modify/delete) whose
            #: other side archived it at ``path``; ``unmerged``: how to merge by hand;
            #: ``left_by``: the operation that left it (``the git rebase under way``).
            self.archive, self.rolled, self.put_back = True, False, False
            super().__init__(f"cannot merge {kept}, which {left_by} left unmerged "
                             f"(modify/delete), into its archive {path}: {reason}; nothing "
                             f"was written: {unmerged}")
            return
        #: ``path`` is the archive of the kept copy's session (wrapped up in another
        #: clone): the kept copy is not this file's, so no ``cp`` makes either the other's
        #: last version; once its entries are in the archive, the kept copy goes.
        self.archive = archive
        #: Whether the newer version links earlier-entries files (a rollover moved entries
        #: out of it): then the advice goes the one way that cannot store them twice.
        self.rolled = rolled
        file = shell_quote(os.fspath(path))
        #: With ``archive``: ``kept`` is a copy of the archived session put back in this
        #: clone (by hand or by git), not the kept copy of a session wrapped up elsewhere.
        self.put_back = put_back
        if archive:
            copy = "the copy" if put_back else "the kept copy"
            what = (f"{kept}, a copy of a session wrapped up here put back by hand or by "
                    f"git (a checkout of an older commit?)," if put_back else
                    f"the newer version ai-protocols kept of a session wrapped up in "
                    f"another clone, {kept},")
            super().__init__(
                f"cannot merge {what} into its archive {path}: {reason}; nothing was "
                f"written: add to the archive by hand (an editor) what only {copy} "
                f"holds{only_kept} (compare them: diff {shell_quote(os.fspath(kept))} "
                f"{shell_quote(os.fspath(path))}), then remove {copy} "
                f"(rm {shell_quote(os.fspath(kept))}), as merge-kept would, and commit the "
                f"archive")
            return
        if rolled:
            aside = shell_quote(os.fspath(path) + ".older")
            restore = restore or f"cp {shell_quote(os.fspath(kept))} {file}"
            super().__init__(
                f"cannot merge {path} with the newer version ai-protocols kept of it, "
                f"{kept}: {reason}; nothing was written. The newer version moved entries "
                f"out to earlier-entries files, so add to it, not to the file (the other "
                f"way stores those entries twice): keep the file aside (cp {file} "
                f"{aside}), put the newer version back ({restore}), then add to {path} "
                f"by hand (an editor) what only {aside} holds"
                + (f" ({file_holds}, which the newer version lacks)" if file_holds
                   else "") +
                f", an entry or an edit of yours, never an entry the earlier-entries files "
                f"it links hold; remove {aside} and carry on")
            return
        done = f"cp {file} {shell_quote(os.fspath(kept))}"
        lost = " (what of them is not added by then is lost)" if kept_holds else ""
        super().__init__(f"cannot merge {path} with the newer version ai-protocols kept of "
                         f"it, {kept}: {reason}; nothing was written: add to the file by "
                         f"hand (an editor) what only the kept copy holds{only_kept} "
                         f"(compare them: diff "
                         f"{shell_quote(os.fspath(kept))} {file}); then run '{done}' so "
                         f"that ai-protocols takes the file as its last version{lost}, "
                         "then carry on")


class BoardCopyNotMerged(AiProtocolsError, ValueError):
    """``task merge-copy``: a linked work tree's own copy of the task board could not be
    merged into the shared board: ``reason`` says why (versions the merge does not
    understand, no board in ``HEAD``); ``None``: tasks both changed, by no rule of the
    board's merge (``left``: their titles, when known), said by name as
    :class:`BoardStaleSave` says them. Nothing was written; the message says what to
    do."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 6

    def __init__(self, path: Path, board: Path, reason: str | None = None,
                 left: tuple[str, ...] = ()) -> None:
        if reason is None:
            reason = (f"the board's merge leaves "
                      f"{_both_changed(left, 'both it and the shared board changed')} to a "
                      f"person")
        self.path, self.reason, self.left = path, reason, left
        super().__init__(f"cannot merge {path}, this work tree's own copy of the task "
                         f"board, into the shared board {board}: {reason}; nothing was "
                         f"written: make the copy's edit in {board} by hand (in Emacs), "
                         f"then drop it here (git checkout HEAD -- "
                         f"{shell_quote(os.fspath(path))})")


class BoardStaleSave(AiProtocolsError, ValueError):
    """The task board lacks what git brought (``lacking``: what it lacks, said by kind,
    counted and named; ``newer`` names the version holding them, ``HEAD``'s): a ``git
    pull`` changed it under an editor's buffer with unsaved changes, saved after; the
    merge back, run at the board's next write, does not come out clean (a task both
    changed, by no rule of the board's merge; ``left``: the titles of those tasks, when
    known): nothing is written. ``kept``: the kept copy, when it holds some of what
    the board lacks (the tool's writes since the buffer was opened, or an earlier
    write merged it back: a second save of the same stale buffer), else ``None``.
    ``commands``: what merges the three with ``ai-protocols merge-driver``, leaving
    conflict markers in the task both changed; ``theirs``: the file they merge
    the board with (what the tool and git hold, joined), whose locks hold until then;
    ``locks``: whether the merge leaves the locks section to a person too. ``kind``:
    ``"git"`` (a pull or merge), ``"tool"`` (this tool's own writes, no pull between:
    ``newer`` is the kept copy; :func:`ai_protocols.board.stale.over_own_writes`), or
    ``"both"`` (the tool's writes and a pull since the buffer was opened)
    (docs/decisions.md,
    "Issue 14, sixteenth round (stale saves and put-back copies)", "Issue 14,
    seventeenth round (the board's stale saves, again)" and "Issue 15, twentieth round
    (the board's stale saves and messages)")."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 6

    def __init__(self, path: Path, newer: str, lacking: str, commands: str,
                 kept: Path | None = None, left: tuple[str, ...] = (),
                 kind: str = "git", theirs: str | None = None, locks: bool = False) -> None:
        self.path, self.newer, self.lacking, self.commands = path, newer, lacking, commands
        self.kept, self.left, self.kind = kept, left, kind
        self.theirs, self.locks = theirs, locks
        held = ("neither the board nor the version ai-protocols wrote last does"
                if kept is None else
                f"so does the version ai-protocols wrote last, {kept}, of some or all; "
                f"the board does not")
        who, opened = ("git brought", "git changed the board (a pull, a merge)")
        if kind == "tool":  # (no pull: ai-protocols's own writes, newer is the kept copy)
            who, opened = "ai-protocols wrote since", "ai-protocols wrote the board"
            held = "the board does not"
        elif kind == "both":  # (git's and the tool's writes since the buffer was opened)
            who, opened = ("git brought or ai-protocols wrote since",
                           "git changed the board (a pull, a merge) or ai-protocols "
                           "wrote it")
            held = (f"the version ai-protocols wrote last, {kept}, holds what it wrote; "
                    "the board does not")
        both = _both_changed(left, "both changed", locks)
        super().__init__(
            f"the task board {path} lacks {lacking} that {who} ({newer} holds them; "
            f"{held}): an editor's buffer opened before {opened} was saved over it, and "
            f"the board's merge leaves {both} to a "
            f"person. Merge the three, then settle the conflict markers in the board: "
            f"{commands}; nothing was written")


class OutputLost(AiProtocolsError):
    """Standard output could not be written (a full disk, ``> /dev/full``; a descriptor
    that is closed, ``>&-``) by a command that was carried out. ``error`` is the
    ``OSError`` of the write (``None``: standard output was closed when the command
    began). Never for a reader that went away (``| head``: exit 141, quietly).

    ``changed`` (the default): the command is one that changes the project, so what it
    changes is changed and only what it printed is lost: exit 16, never 9's "nothing was
    changed", since an agent that ran it again would make its change twice. Not
    ``changed``: a command that changes nothing (``show``, ``resume``, ``status``...,
    :data:`ai_protocols.cli.output.CHANGES_NOTHING`): exit 9, as any write the file
    system refused, and running it again is safe (docs/decisions.md, "Issue 16,
    fifteenth round")."""

    exit_code = 16

    def __init__(self, error: OSError | None, changed: bool = True) -> None:
        self.error = error
        self.changed = changed
        reason = "it is closed" if error is None else (error.strerror or str(error))
        if not changed:
            self.exit_code = 9
            super().__init__(f"standard output could not be written ({reason}); this "
                             "command changes nothing: run it again with its output going "
                             "where it can be written")
            return
        super().__init__(f"standard output could not be written ({reason}), but the command "
                         "was carried out: what it changes is changed, only what it printed "
                         "is lost; do not run it again (its change would be made twice): "
                         "'ai-protocols show' or 'ai-protocols status' shows where things "
                         "stand")


class TaskNotFound(AiProtocolsError, LookupError):
    """No task on the board has the id given, or several end with it."""

    exit_code = 20

    def __init__(self, task_id: str, board: Path, candidates: tuple[str, ...] = (),
                 elsewhere: str | None = None, starting: tuple[str, ...] = (),
                 shortest: int = 0) -> None:
        self.task_id = task_id
        self.board = board
        self.candidates = candidates
        #: Where a headline holding that id is, that the board does not read as a task
        #: (demoted, archived), and what to do: said instead of pointing to 'task list'.
        self.elsewhere = elsewhere
        #: The ids that start with the text given (an id is matched by its end, not its
        #: start: the caller may have typed the start of one).
        self.starting = starting
        #: The fewest characters of an id's end that name a task (a text shorter than
        #: that, no task's whole id, names none): 0 when that is not why.
        self.shortest = shortest
        if shortest:
            ends = (f"; it ends {', '.join(candidates[:5])}"
                    f"{', ...' if len(candidates) > 5 else ''}") if candidates else ""
            said = (f"{_show(task_id)} is too short to name a task: give at least {shortest} "
                    "characters of the end of its id (its last 8, the random part, are "
                    f"surest) or its whole id{ends}; 'ai-protocols task list' shows the ids; "
                    "nothing was changed")
        elif candidates:
            said = (f"{_show(task_id)} names {counted(len(candidates), 'task', 'tasks')} "
                    f"({', '.join(candidates)}); "
                    "give more of the end of the one you mean, or its whole id")
        elif elsewhere:
            said = f"no task {_show(task_id)} on the board {board}: {elsewhere}"
        else:
            start = ""
            if starting:
                shown = ", ".join(starting[:5]) + (", ..." if len(starting) > 5 else "")
                start = (f"; {'these ids start' if len(starting) > 1 else 'this id starts'} "
                         f"with it: {shown} (give the whole id, or its end)")
            said = (f"no task {_show(task_id)} on the board {board} (a task is named by its "
                    "whole id or by its end, such as its last 8 characters, not by its "
                    f"start){start}; 'ai-protocols task list' shows the ids")
        super().__init__(said)


class DuplicateTaskId(TaskNotFound):
    """Two tasks (or more) have the very id given: a person copied a task. Neither can
    be told from the other by its id until one gets a new one."""

    def __init__(self, task_id: str, board: Path, lines: tuple[int, ...]) -> None:
        self.task_id = task_id
        self.board = board
        self.lines = lines
        self.candidates = tuple(f"{task_id} (line {n})" for n in lines)
        shown = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        AiProtocolsError.__init__(
            self, f"{counted(len(lines), 'task', 'tasks')} on the board {board} have the id "
                  f"{_show(task_id)} (lines "
                  f"{shown}), so it names none of them: a copied task? {DUPLICATE_FIX}, "
                  "then try again; nothing was changed")


class TaskTaken(AiProtocolsError):
    """The task is claimed by another agent that may still be at work."""

    exit_code = 21

    def __init__(self, task_id: str, owner: str, state: str, evidence: str,
                 action: str = "claim") -> None:
        self.task_id = task_id
        self.owner = owner
        self.state = state
        self.evidence = evidence
        self.action = action
        verb = "hand it off" if action == "hand off" else f"{action} it"
        advice = "pick another task" if action == "claim" else \
            f"only its holder may {verb}: ask {owner}"
        super().__init__(
            f"cannot {action} task {task_id}: it is claimed by {owner} ({state}: {evidence}); "
            f"{advice}, or {_force_advice(state)}")


class PathLocked(AiProtocolsError):
    """Another agent that may still be at work holds a lock on (part of) the path."""

    exit_code = 22

    def __init__(self, path: str, locked: str, owner: str, state: str, evidence: str,
                 reason: str, action: str = "lock", written: str | None = None) -> None:
        self.path = path
        self.locked = locked
        #: the lock's path as the board writes it, when that is not ``locked`` (a person
        #: wrote it by hand: ``other/../other/``, an absolute path); else ``None``
        self.written = written
        self.owner = owner
        self.state = state
        self.evidence = evidence
        self.reason = reason
        self.action = action
        by = f"{owner} ({state}: {evidence}) for: {reason}"
        if action == "unlock":
            said = (f"cannot unlock {path}: it is locked by {by}; only its holder may unlock "
                    f"it: ask that agent, or {_force_advice(state, 'it')}")
        else:
            relation = _relation(path, locked)
            said = f"{relation} by {by}" if relation.endswith(" is locked") else \
                f"{relation}, locked by {by}"
            if written is not None and written != locked:  # the words a person typed
                said += f" (the board writes that lock's path as {written}, by hand)"
            said += f"; wait for 'ai-protocols unlock', or {_force_advice(state)}"
        super().__init__(said)


class TaskClosed(AiProtocolsError):
    """The task is done or cancelled: it cannot be claimed, released, closed again or
    handed on."""

    exit_code = 24

    def __init__(self, task_id: str, state: str, action: str, *,
                 commented: bool = False) -> None:
        self.task_id = task_id
        self.state = state
        self.action = action
        #: Its headline is commented out (``* TODO COMMENT x``: Org syntax, "Headings"),
        #: whatever its state: Org's agenda and exports leave it out, so does the board.
        self.commented = commented
        if commented:
            super().__init__(f"cannot {action} task {task_id}: its headline is commented out "
                             "(COMMENT after its state, as Org reads it); to work on it, "
                             "remove COMMENT from its headline in the board (.ai/tasks.org); "
                             "nothing was changed")
            return
        super().__init__(f"cannot {action} task {task_id}: it is {state} already; to work on "
                         f"it again: ai-protocols task reopen {task_id}; nothing was changed")


class ClaimVoid(AiProtocolsError):
    """A claim the board would not read as held once written: the task's own text says
    it was closed after this very moment (Org's record of a close, a note dated later:
    another machine's clock ahead of this one's), so every reader would take the task
    for free and a second agent could claim it too. Nothing is written; ``why`` says
    which line (:func:`~ai_protocols.board.model.claim_void`, the readers' rule)."""

    exit_code = 24

    def __init__(self, task_id: str, why: str) -> None:
        self.task_id = task_id
        self.why = why
        super().__init__(f"cannot claim task {task_id}: the board would not read the claim "
                         f"as held: {why}; a claim must never be reported won while the "
                         "board reads the task as free. Correct or remove that line in the "
                         "board (Emacs), or claim it once its time has passed; nothing was "
                         "changed")


class MisplacedDrawer(AiProtocolsError, ValueError):
    """A task's or lock's property drawer that Org does not read as its properties: a
    line other than a planning line stands between the headline and ``:PROPERTIES:``
    (the Org manual, "Property Syntax": the drawer must come right after the headline
    and its planning line). Read as it is, its ``ID`` and claim would be lost, so
    nothing reads or writes the board until a person moves that line."""

    exit_code = 6

    def __init__(self, path: Path | None, headline: int, drawer: int, line: int,
                 text: str) -> None:
        self.path = path
        self.headline = headline
        self.drawer = drawer
        self.line = line
        self.text = text
        where = f"the task board {path}" if path is not None else "the task board"
        super().__init__(f"cannot read {where}: {self._why()}, then try again; nothing "
                         "was changed")

    def _why(self) -> str:
        """What is wrong and what to do, for the message (``BrokenDrawer`` says its own)."""
        return (f"line {self.line} ({_show(self.text)}) stands between the headline on line "
                f"{self.headline} and its property drawer on line {self.drawer}, so Org does "
                "not read that drawer as the headline's properties (its ID and claim would "
                f"be lost); move line {self.line} below the drawer's :END: line (only a "
                "SCHEDULED:, DEADLINE: or CLOSED: planning line may stand between)")


class BrokenDrawer(MisplacedDrawer):
    """A task's or lock's property drawer, where Org looks for it (right after the
    headline and its planning line), that Org does not read at all: a line in it is no
    property line as Org reads one (a blank line, which Emacs leaves easily; a name
    holding a space, ``:WORKING SET: x``; no space after the name), or no ``:END:``
    closes it before the next headline. Org 9.5 and 9.7 then read no property of that
    headline, its ``ID`` and claim among them: written over, they would be lost (a
    second drawer put beside the first), so every change of the board refuses (exit 6)
    until a person fixes that line; ``line`` and ``text`` name it (``text`` empty for a
    blank line), ``drawer`` the ``:PROPERTIES:`` line; ``line`` is 0 when no ``:END:``
    closes the drawer."""

    def _why(self) -> str:
        line, text, drawer, headline = self.line, self.text, self.drawer, self.headline
        if not line:
            what = (f"the property drawer on line {drawer} (of the headline on line "
                    f"{headline}) has no :END: line before the next headline")
            fix = "add an :END: line after its last property line"
        else:
            kind = "a blank line" if not text.strip() else \
                f"{_show(text)}, not a property as Org reads one (:NAME: value, the name " \
                "without white space, then a space)"
            what = (f"line {line} of the property drawer on line {drawer} (of the headline "
                    f"on line {headline}) is {kind}")
            fix = (f"delete line {line}" if not text.strip() else
                   f"write line {line} as :NAME: value, or delete it")
        return (f"{what}, so Org reads no property drawer there at all (Org 9.5 and 9.7 "
                "alike: that headline's ID, claim and working set would be lost, and a "
                f"second drawer written beside it); {fix} (in Emacs)")


class GitFailed(AiProtocolsError):
    """A git command the tool ran failed (git missing, a broken repository, a refused
    write); ``reason`` is what git said (:func:`git_said`)."""

    exit_code = 14

    def __init__(self, command: str, reason: str) -> None:
        self.command = command
        self.reason = reason
        super().__init__(f"git {command} failed: {reason}")


class NotAGitRepository(GitFailed):
    """A command that needs a git work tree (``checkpoint``, ``check``) ran outside one;
    ``why`` says what it needs git for; ``path``: the project's root (its ``.ai/``'s
    folder, or ``AI_PROJECT_ROOT``), which the advice makes a repository with ``git -C
    ROOT init`` (quoted for a shell: pasted from any folder below it, it still makes the
    root the repository)."""

    path = PathField()
    path_text = TextOf("path")

    def __init__(self, path: Path, why: str = CHECKPOINT_NEEDS_GIT,
                 git_dir: str | None = None) -> None:
        self.path = path
        self.why = why
        self.command = "rev-parse"
        self.reason = "not a git repository"
        #: ``GIT_DIR`` as given, when it named no repository (git(1), "ENVIRONMENT").
        self.git_dir = git_dir
        if git_dir is not None:
            AiProtocolsError.__init__(
                self, f"GIT_DIR={git_dir} names no git repository ({why}): set it to a "
                "repository's git folder, or unset it (env -u GIT_DIR ai-protocols ...)")
            return
        # (the project's root named: git init pasted in a folder below it, where the
        # command may have run, made that folder the project; issue 14, twentieth round)
        AiProtocolsError.__init__(
            self, f"{path} is not in a git work tree: {why}; make the project a git "
            f"repository with: git -C {shell_quote(os.fspath(path))} init (from anywhere), "
            "then run it again")


class CheckpointNotFound(AiProtocolsError, LookupError):
    """A checkpoint ``REF`` that names no checkpoint of this repository."""

    exit_code = 5

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"no checkpoint {_show(ref)}: {reason}; "
                         "'ai-protocols checkpoint list --all' lists them")


class CheckpointRefused(AiProtocolsError):
    """A checkpoint restore or export that would overwrite something: uncommitted work,
    an existing branch, folder or file."""

    exit_code = 15

    def __init__(self, target: str, reason: str, action: str = "restore") -> None:
        self.target = target
        self.reason = reason
        self.action = action  # restore, or export
        super().__init__(f"cannot {action} to {target}: {reason}; nothing was changed")


given_from_errors(globals(), __all__)
