"""The library's exceptions.

Each carries the facts as fields and an ``exit_code`` that the CLI returns;
only the CLI turns them into ``Error: ...`` lines. The codes are part of the
protocol (see ``.ai/protocols.org``): 2 is click's usage error, so ours start
at 3.
"""

from __future__ import annotations

import os

from ai_protocols.lean import PathField, TextOf, counted, display, quoted, shell_quote

TYPE_CHECKING = False  # no pathlib at import: the resolver's twin imports this module
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "AiProtocolsError",
    "AmbiguousItem",
    "BeingEdited",
    "BoardCopyNotMerged",
    "BoardStaleSave",
    "CannotRecover",
    "CheckpointNotFound",
    "CheckpointRefused",
    "ClaimVoid",
    "GitFailed",
    "InvalidAgentId",
    "InvalidConfigFile",
    "InvalidProjectRoot",
    "InvalidText",
    "ItemNotFound",
    "KeptNotMerged",
    "LockTimeout",
    "MergeConflict",
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


def _show(value: str | bytes, limit: int = 60) -> str:
    """User input quoted for an error message (:func:`ai_protocols.lean.quoted`): its
    characters as given, cut to ``limit``; the CLI escapes the whole message once, by
    :func:`ai_protocols.lean.display`'s rule, where it prints it (``report_error``)."""
    return quoted(value, limit)


def _rebuild(cls: type[AiProtocolsError], args: tuple[object, ...],
             state: dict[str, object]) -> AiProtocolsError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def _lacking(count: int) -> str:
    """How many entries a copy holds that a file lacks, for a message: ``1 entry``,
    ``3 entries`` (:func:`~ai_protocols.lean.counted`), or ``entries`` when ``count``
    is negative (not known: the file could not be compared)."""
    return "entries" if count < 0 else counted(count, "entry", "entries")


class AiProtocolsError(Exception):
    """Base class: every error the library raises on purpose."""

    exit_code = 1

    def __str__(self) -> str:
        """The message, safe to print: escaped once by
        :func:`ai_protocols.lean.display`'s rule (a control character, a byte that was
        not UTF-8 in user text it quotes, shown as an escape; one line). The message as
        built is :attr:`message`."""
        return display(self.message)

    @property
    def message(self) -> str:
        """The message as built, user text in it as given (not escaped): to put in
        another message, which is escaped once where it is shown."""
        return super().__str__()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by fields, not by ``__init__`` arguments, so that an error raised
        in a worker process (multiprocessing) reaches the parent intact."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


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


#: What the commands that need git need it for: said alike by their refusal outside a
#: git work tree (:class:`NotAGitRepository`) and outside any project
#: (:class:`NoProject`'s ``needs``), so that the first refusal names all there is to do.
CHECKPOINT_NEEDS_GIT = "checkpoints are git commits"
CHECK_NEEDS_GIT = "check reads the changes from git status"


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


class ItemNotFound(AiProtocolsError, LookupError):
    """``--done`` named no open checkbox item. Fields: ``text`` (as given),
    ``sections`` (the titles of the sections searched, in order), ``open_count``
    (how many open items they hold)."""

    exit_code = 5

    def __init__(self, text: str, sections: tuple[str, ...] = (), open_count: int = 0
                 ) -> None:
        self.text, self.sections, self.open_count = text, sections, open_count
        where = ", ".join(sections) if sections else "this session's sections"
        held = (f"they hold {counted(open_count, 'open item', 'open items')}: "
                "'ai-protocols show' lists them; give one's whole text or a part of it "
                "that only it holds") if open_count else \
            "they hold no open item ('ai-protocols show' lists the session)"
        super().__init__(f"no open checkbox item matches {_show(text)} (searched {where}; "
                         f"{held})")


class AmbiguousItem(AiProtocolsError, LookupError):
    """``--done`` matched more than one open item."""

    exit_code = 5

    def __init__(self, text: str, candidates: list[str]) -> None:
        self.text = text
        self.candidates = candidates
        listed = "; ".join(_show(c, 40) for c in candidates)
        super().__init__(
            f"{_show(text)} matches {counted(len(candidates), 'open item', 'open items')} "
            f"({listed}); give the whole text"
        )


class UnreadableSession(AiProtocolsError, ValueError):
    """A session-context file that cannot be understood (binary, not UTF-8...)."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 6

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read session context {path}: {reason}; it was left unchanged")


class SessionReplaced(UnreadableSession):
    """The session file is older than the last version this tool wrote to it: something
    other than this tool put an older version back (``git stash pop`` after entries
    were logged, ``git reset --hard``, a restore), and git does not hold the newer
    version (when it does, as after a branch switch, the write goes on). The newer
    version is kept in ``kept``; nothing writes into the file until a person chooses.
    ``lacking``: how many entries the file holds that the kept copy does not (a write
    went into the older version: after a checkout of an old commit, a rebase aborted, a
    stash); 0 when the kept copy holds every entry. ``loses``: whether copying the kept
    copy back would lose anything of the file at all (an entry, or a tick, a note, a
    property, a line a person typed or deleted in Emacs:
    :func:`ai_protocols.session.entries_compared.copy_loses`); ``cp`` is advised only when
    it would not, else ``ai-protocols merge-kept``
    (:func:`ai_protocols.session.merge_kept.merge_kept`), which keeps both. ``said``:
    the ``lacking`` entries said by kind (``1 reworded entry``: a reword is not counted
    as an entry; :meth:`ai_protocols.session.model.Compared.said`). ``cause``: what put
    the older version there, as git's files say it
    (:func:`ai_protocols.session.cause.head_put_back`, the one rule of every message of
    it); ``None``: the possible causes listed. ``stash``: the repository has a stash
    (:func:`ai_protocols.git.head.has_stash`), which may hold the work: named first, as
    the read commands' warning names it (docs/decisions.md, "Twenty-fourth round:
    advice that loses nothing when pasted")."""

    kept = PathField()
    kept_text = TextOf("kept")

    def __init__(self, path: Path, kept: Path, reflog: str | None = None,
                 lacking: int = 0, *, loses: bool | None = None, said: str = "",
                 cause: str | None = None, stash: bool = False) -> None:
        self.kept = kept
        self.stash = stash
        self.reflog = reflog  # the blob of the newer one, when only a reflog holds it
        self.cause = cause
        self.lacking = lacking
        self.loses = bool(lacking) if loses is None else loses
        also = (f" (git holds it only in a reflog, as blob {reflog[:12]}, which the next "
                f"git gc may remove: git show {reflog[:12]})") if reflog else ""
        merge = f"ai-protocols merge-kept {shell_quote(os.fspath(path))}"
        if lacking:  # (said by kind: a reword is not an entry, issue 14, 14th round)
            count = said or counted(lacking, "entry", "entries")
            how = (f"the newer one is kept in {kept}{also}, but the file holds {count} "
                   f"the kept copy lacks or holds otherwise (written or edited since git put it "
                   f"back: an entry logged, a reword), so copying "
                   f"either over the other loses entries: merge them ({merge}), which keeps "
                   "what each added or changed, then carry on")
        elif self.loses:
            how = (f"the newer one is kept in {kept}{also}, but the file holds edits the kept "
                   f"copy lacks (a tick, a note, a property or a line typed or deleted by "
                   f"hand), so copying the kept copy over it loses them: merge them ({merge}), "
                   "which keeps what each changed, then carry on")
        else:
            how = (f"the newer one, which holds every entry of the file and those logged "
                   f"since, is kept in {kept}{also}: put it back "
                   f"(cp {shell_quote(os.fspath(kept))} {shell_quote(os.fspath(path))}), "
                   "then carry on")
        if stash:  # (the read commands' rule: a stash is here, git stash may hold the work)
            how = (f"if git stash took the work, it is in the stash (git stash list): bring "
                   f"it back first, before any write here ('ai-protocols status' gives the "
                   f"commands); else, {how}")
        super().__init__(
            path, f"it is older than the last version ai-protocols wrote "
            f"({cause or _PUT_BACK}); {how}")


#: :class:`SessionReplaced`'s cause when none is given: the writes give the one their
#: evidence names (:func:`ai_protocols.session.cause.head_put_back`).
_PUT_BACK = ("a git stash pop, a git checkout, a rebase's abort, a restore or an editor's "
             "save of a buffer opened on an older version?")


class SessionCarried(UnreadableSession):
    """The session was carried to another work tree (the advice of a branch checked out
    there: its newest version, the kept copy, moved to ``dest``, and the kept copy's
    place here made a symbolic link to it, the record of the carry; docs/git.md): the
    file here is another version (the one git put here), and a write into it would
    make a second live copy of the session. ``there``: that work tree's top folder,
    where the session carries on. ``kept``: the record (the kept copy's place here);
    ``gone``: whether ``dest`` is gone (that work tree removed or moved, or the session
    there wrapped up): said so, with the ways on (docs/git.md, "Carried"; issue 14,
    twentieth round). Nothing is written. The message says what happened, not "cannot
    read" (the file here reads well: it is not this session's newest)."""

    dest = PathField()
    dest_text = TextOf("dest")
    kept = PathField()

    def __init__(self, path: Path, dest: Path, there: str, kept: Path | None = None,
                 gone: bool = False, here: bool = True,
                 moved: tuple[str, str] | None = None, folder: str | None = None,
                 moved_folder: str | None = None) -> None:
        self.path, self.dest, self.there, self.kept, self.gone = path, dest, there, kept, gone
        #: The project's folder in that work tree (``there`` itself, but for a project
        #: below its work tree's top: ``there/pkg``), where the ``cd`` of the advice goes,
        #: so that ai-protocols there finds the session (issue 14, twenty-first round);
        #: ``moved_folder``, the same in the place ``git worktree move`` took it to.
        self.folder = folder or there
        #: When ``gone`` because ``git worktree move`` took that work tree elsewhere:
        #: ``(its top folder now, the session file there)``; ``None`` otherwise.
        self.moved = moved
        #: Whether a file is here (another version); ``False``: the file itself was
        #: carried (moved), and only the record is here (issue 14, twentieth round).
        self.here = here
        record = f"rm -- {shell_quote(os.fspath(kept))} (absolute path: from anywhere)" \
            if kept is not None else "the kept copy's place, a symbolic link, removed"
        stands = ("while the record of the carry (the kept copy's place here, a link to "
                  "that file) stands")
        if here:
            this = "this file is another version (the one git put here), not written to"
        else:
            this = (f"no session file is here (the file itself went there), and none is "
                    f"begun here {stands}")
        if gone and moved is not None and kept is not None:
            top, file = moved
            go = moved_folder or top
            self.reason = (
                f"this session was carried to the work tree {there}, which git worktree "
                f"move took to {top} (git worktree list): its file is there now ({file}) "
                f"and the session carries on there; {this}: work there, bringing the "
                f"record of the carry up to date with: ln -sf -- {shell_quote(file)} "
                f"{shell_quote(os.fspath(kept))} && cd -- {shell_quote(go)} (absolute "
                f"paths: from anywhere)")
        elif not gone:
            again = "" if here else (f"; to begin another session here instead, remove the "
                                     f"record first with {record}")
            self.reason = (
                f"this session was carried to the work tree {there} (its file there: "
                f"{dest}) and carries on there; {this}: work there (cd -- "
                f"{shell_quote(self.folder)}){again}")
        else:
            then = "carry on here from this version" if here else "begin a new session here"
            self.reason = (
                f"this session was carried to the work tree {there}, and its file there "
                f"({dest}) is gone: that work tree was removed or moved (git worktree list "
                f"shows where each is), or the session there was wrapped up (see "
                f"ai-protocols list in that work tree); {this}{' ' + stands if here else ''}"
                f": to {then}, remove the record with {record}")
        # (the reason, as the read commands' warning says it: resume.carried_warning)
        self.said = self.reason
        AiProtocolsError.__init__(self, f"session context {path} not written: "
                                  f"{self.reason}; it was left unchanged")


class RolloverUndone(UnreadableSession):
    """The session file is a version from before a rollover that a newer version, one
    git's ``HEAD`` holds, made: an editor's buffer opened before the rollover and saved
    after it was committed (or an older version put back by hand). It does not link
    ``earlier``, the earlier-entries file that holds entries moved out of it, and lacks
    what the newer version (``newer``, where it is) holds. A write would go into it: the
    earlier file would be dropped or its entries stored twice, and what was written
    since would stay in git only. Nothing is written; ``ai-protocols merge-kept`` merges
    the two (docs/decisions.md, "Issue 16, fourteenth round")."""

    earlier = PathField()

    def __init__(self, path: Path, earlier: Path, newer: str) -> None:
        self.earlier, self.newer = earlier, newer
        merge = f"ai-protocols merge-kept {shell_quote(os.fspath(path))}"
        super().__init__(
            path, f"it is a version from before its rollover (an editor's buffer opened "
            f"before the rollover and saved after it, or an older version put back): it "
            f"does not link {earlier}, which holds entries moved out of it, and it lacks "
            f"what the newer version ({newer}) holds; a write would store those entries "
            f"twice or drop them, and leave what was written since in git only. Merge the "
            f"two ({merge}; it keeps what each version added or changed, each moved entry "
            f"once, in the earlier file, linked again), then carry on")


class StaleSave(UnreadableSession):
    """The session file lacks what git brought into it: a ``git pull`` (a merge or a
    fast-forward), a merge or a checkout changed it under an editor's buffer that had
    unsaved changes, and the buffer, saved after, put back the version from before git
    changed it (``lacking`` changes that git's ``HEAD`` holds, ``newer`` naming it, that
    neither the file nor the version this tool wrote last holds: entries, ticks, states,
    Log lines...; ``what``: them said by kind; ``kept_holds``: the version this tool wrote
    last, after git changed the file, holds them too). The tool merges it
    back at its next write; this is raised only when that merge does not come out clean
    (both changed the same lines): nothing is written. ``commands``: what merges the
    three with ``ai-protocols merge-driver``, leaving ordinary conflict markers for a
    person to settle (docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and
    git)")."""

    def __init__(self, path: Path, newer: str, lacking: int, commands: str,
                 settled: bool | None = False, what: str | None = None,
                 kept_holds: bool = False) -> None:
        self.newer, self.lacking, self.commands = newer, lacking, commands
        #: The version this tool wrote last (after git changed the file) holds them too:
        #: the save went over it as well.
        self.kept_holds = kept_holds
        #: What the pasted ``commands`` do: ``True``, the merge driver settles the lines
        #: both changed (one side's words kept, the other's in a Log line), no conflict
        #: marker left; ``False``, it leaves conflict markers; ``None``, it may.
        self.settled = settled
        #: What the file lacks, said by kind (``1 entry and 1 tick``).
        self.what = what or counted(lacking, "entry", "entries")
        #: How the ``commands`` are said, ending before them (the read commands' warning
        #: says the same: :func:`ai_protocols.session.resume.replaced_warning`).
        self.how = how = (
            "Merge the three with git's merge driver, which settles them (one side's "
            "words kept, the other's in a Log line of the file: read it) and leaves no "
            "conflict marker: " if settled else
            "Merge the three, then settle the conflict markers in the file: "
            if settled is False else
            "Merge the three, then settle any conflict markers in the file: ")
        super().__init__(
            path, f"it lacks {self.what} that git brought "
            + (f"({newer} holds them, and so does the version ai-protocols wrote last, "
               f"after git changed the file; this file does not): " if kept_holds else
               f"({newer} holds them; neither this file nor the version ai-protocols "
               f"wrote last does): ") +
            f"an editor's buffer opened before git changed the file (a pull, "
            f"a merge) was saved over it. Both changed the same lines, which the merge "
            f"back does not settle by itself. {how}{commands}")


class OtherSession(UnreadableSession):
    """The session file on disk is another session than the one this tool wrote last at
    its path (its kept copy, ``kept``): another session's file copied over it, or a git
    operation put back a version of an earlier session there
    (:func:`ai_protocols.session.sections.other_session` says why: ``why``). A write
    would go into the other session and overwrite the kept copy, the only copy of this
    session's uncommitted entries, and merging the two would mix two sessions: nothing
    is written. ``mine`` and ``theirs`` name the kept copy's session and the file's.
    The way out: keep the file aside and put the kept copy back (both commands quoted
    to paste, :func:`ai_protocols.lean.shell_quote`)."""

    kept = PathField()
    kept_text = TextOf("kept")

    def __init__(self, path: Path, kept: Path, why: str, mine: str, theirs: str,
                 same_file: bool = False, no_kept: bool = False,
                 archived: str | None = None, moved: str | None = None,
                 moved_lacks: int = 0, moved_kept: str | None = None) -> None:
        self.kept, self.why, self.mine, self.theirs = kept, why, mine, theirs
        #: Another live session file holding the kept copy's session (the same
        #: ``SESSION_ID``: a merge gave it a file of its own): it carries on there, under
        #: the agent id that file is named for; ``moved_lacks``: how many entries the kept
        #: copy holds that file lacks (-1: unknown).
        self.moved, self.moved_lacks = moved, moved_lacks
        #: Where ``moved``'s kept copy goes (``.ai/.locks/live/...``).
        self.moved_kept = moved_kept
        #: The kept copy is the file itself (one inode: ``cp`` or an editor wrote into it
        #: in place), so it holds the other session too and cannot put this one back.
        self.same_file = same_file
        #: No kept copy is there (a fresh clone, ``git clean -fdx``): nothing to put back.
        self.no_kept = no_kept
        #: The archive holding the kept copy's session (wrapped up in another clone, its
        #: archive brought by a pull with the file's new session): ``merge-kept`` brings
        #: the kept copy's entries there and drops the kept copy.
        self.archived = archived
        file, copy = shell_quote(os.fspath(path)), shell_quote(os.fspath(kept))
        aside = shell_quote(os.fspath(path) + ".other")
        if moved is not None:
            folder, name = os.path.split(os.fspath(moved))
            if os.path.basename(folder) == "session-context.d" and name.endswith(".org"):
                agent = name[: -len(".org")]
                run = (f"run ai-protocols with AI_AGENT_ID={shell_quote(agent)} (export "
                       f"AI_AGENT_ID={shell_quote(agent)}), which writes there")
                prefix = f"AI_AGENT_ID={shell_quote(agent)} "
            else:
                run, prefix = "run ai-protocols without AI_AGENT_ID (unset AI_AGENT_ID)", \
                    "env -u AI_AGENT_ID "
            there = shell_quote(os.fspath(moved))
            if moved_lacks == 0:
                keep = (f"the kept copy, {kept}, holds no entry that file lacks: remove it "
                        f"(rm {copy})")
            elif moved_kept is None:  # (that file has its own kept copy: by hand)
                keep = (f"the kept copy, {kept}, holds entries that file may lack: copy "
                        f"them there by hand, then remove it (rm {copy})")
            else:
                keep = (f"the kept copy, {kept}, holds {_lacking(moved_lacks)} that file "
                        f"may lack: make it that file's kept copy and merge the two (mkdir -p "
                        f"{shell_quote(os.path.dirname(os.fspath(moved_kept)))} && "
                        f"mv {copy} {shell_quote(os.fspath(moved_kept))} && "
                        f"{prefix}ai-protocols merge-kept {there})")
            super().__init__(
                path, f"it holds another session ({theirs}) than the one ai-protocols wrote "
                f"last here ({mine}): {why}; that session carries on in its own file now, "
                f"{moved} (the same session id: a merge gave it that file), so do not put "
                f"it back here, where it would be live at two paths; nothing is written: "
                f"{run}; {keep}; this file's session is another one's: leave it be")
            return
        if archived is not None and not same_file:
            super().__init__(
                path, f"it holds another session ({theirs}) than the one ai-protocols wrote "
                f"last here ({mine}): {why}; that one was wrapped up (in another clone: its "
                f"archive {archived} is here) and this file's session began after it, so "
                f"do not put it back over this one; what it holds that its archive lacks "
                f"is in {kept}: bring that into the archive and let this file's session "
                f"carry on (ai-protocols merge-kept {file}), which drops the kept copy, "
                f"then commit the archive")
            return
        if no_kept:
            super().__init__(
                path, f"it holds another session ({theirs}) than the one its path is for "
                f"({mine}): {why}; a write would go into the other session, which is in "
                f"its own file too; ai-protocols keeps no copy of this path's session here "
                f"(a fresh clone, or git clean -fdx removed .ai/.locks/), so there is "
                f"nothing to put back; nothing is written: set the file aside (mv {file} "
                f"{aside}), then put back this path's last committed session if git holds "
                f"one (git log -- {file}; git checkout COMMIT -- {file}) or begin one "
                f"(ai-protocols start)")
            return
        if same_file:
            super().__init__(
                path, f"it holds another session ({theirs}) than the one its path is for "
                f"({mine}): {why}; it was written into in place (a cp over it?), and the "
                f"copy ai-protocols keeps of it, {kept}, is the same file, so this "
                f"session's entries since its last commit are not here; nothing is "
                f"written: put back its last committed version and drop the kept copy "
                f"(git checkout HEAD -- {file} && rm {copy}), or, if git holds none, set "
                f"the file aside and start afresh (mv {file} {aside} && rm {copy})")
            return
        super().__init__(
            path, f"it holds another session ({theirs}) than the one ai-protocols wrote "
            f"last here ({mine}): {why}; a write would go into the other session and "
            f"overwrite the only copy of this one's, {kept}, and the two are not merged; "
            f"keep the file aside and put this session back (mv {file} {aside} && cp "
            f"{copy} {file}), then carry on (the other session is in its own file, "
            ".ai/sessions/ or git, and in the file set aside)")


class KeptNotMerged(AiProtocolsError, ValueError):
    """``merge-kept`` could not merge the session file with its kept copy (not two
    versions of one session, or both changed the same lines): nothing was written;
    ``reason`` says why, and a person merges them. The advice names what the person
    adds by hand before the ``cp`` it gives, which would else lose it, by kind and
    count: ``kept_holds``, what only the kept copy (the newer version) holds,
    ``file_holds``, what only the file holds (``1 entry and 1 tick``;
    :func:`~ai_protocols.session.merge.said_changes`; empty: not known)."""

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


class MergeConflict(UnreadableSession):
    """A session file holding the marker lines of a git merge that was not resolved:
    nothing is written into it until a person resolves the merge."""

    def __init__(self, path: Path, lines: list[int], what: str = "session context",
                 sessions: str | None = None, remerge: str | None = None) -> None:
        self.lines = lines
        self.what = what  # the session context, or the task board
        #: When the two sides are two sessions (not versions of one), what they are and
        #: how to keep both: said instead of "keep what each side logged", which would
        #: make one session of two.
        self.sessions = sessions
        shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
        word = "line" if len(lines) == 1 else "lines"
        if sessions is not None:
            super().__init__(path, f"it holds git merge-conflict markers ({word} {shown}) "
                                   f"between two sessions: {sessions}")
            return
        # (remerge: the command that merges it again through the merge driver, while
        # git's index still holds both sides: said first, issue 14, fifteenth round)
        first = f"{remerge}; or resolve the merge by hand" if remerge else \
            "resolve the merge first"
        super().__init__(path, f"it holds git merge-conflict markers ({word} {shown}): "
                               f"{first} (keep what each side logged, delete the "
                               "marker lines, then git add the file)")
        if what != "session context":  # the task board (docs/tasks.md)
            self.args = (str(self).replace("cannot read session context", f"cannot read {what}",
                                           1).replace("keep what each side logged",
                                                      "keep each side's tasks and claims"),)


class Unmerged(MergeConflict):
    """A session file, or the task board, that git's index holds unmerged (stages 1 to 3
    of git-ls-files(1) ``--unmerged``) while a merge, rebase or cherry-pick stopped on it,
    without marker lines: a modify/delete conflict (one side wrapped the session up,
    the other kept logging), or a merge driver that did not run (git keeps our side
    only). Written to, it would become what ``git add`` records, the other side lost; so
    nothing writes into it until a person resolves it. ``stages``: the stages git holds
    (1 the common ancestor, 2 ours, 3 theirs); ``advice``: what they mean and how to
    resolve it."""

    def __init__(self, path: Path, stages: tuple[int, ...], advice: str,
                 what: str = "session context") -> None:
        self.lines = []
        self.sessions = None
        self.what = what
        self.stages = stages
        self.advice = advice
        UnreadableSession.__init__(self, path, advice)
        if what != "session context":
            self.args = (str(self).replace("cannot read session context", f"cannot read {what}",
                                           1),)


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


class LockTimeout(AiProtocolsError, TimeoutError):
    """Another process held the session's lock for longer than the timeout."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 8

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        super().__init__(f"could not lock {path} within {timeout:g} s; another process holds "
                         "it: run the command again once that process is done, or wait "
                         "longer with AI_PROTOCOLS_LOCK_TIMEOUT=SECONDS (a negative value "
                         "waits as long as it takes); 'fuser -v' on its lock file, under "
                         ".ai/.locks/, names the process that holds it")


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


class BeingEdited(AiProtocolsError):
    """A person has unsaved changes to the file in Emacs: it must not be moved now (kind
    ``"changed"``: the file kept changing under each try of a write, no Emacs lock)."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 10

    def __init__(self, path: str | os.PathLike[str], owner: str, kind: str = "running") -> None:
        self.path = path
        self.owner = owner
        # ai_protocols.org.emacs_lock.lock_kind: why the lock counts; "changed": no lock,
        # the file changed under each try (ai_protocols.board.board.CHANGE_TRIES)
        self.kind = kind
        text = self.path_text  # (the library gives a str, the API's callers a Path)
        lock = os.path.join(os.path.dirname(text), f".#{os.path.basename(text)}")
        if kind == "changed":  # (no Emacs: another program kept saving it)
            said = (f"{path} changed under this command each time it was about to write it "
                    "(a person's editor or another program outside ai-protocols keeps "
                    "saving it); nothing was changed, and nothing saved there was lost: "
                    "try again once it is saved")
        elif kind == "unreadable":
            said = (f"{path} may be open in Emacs: its lock file {lock} is not one Emacs "
                    f"writes (it holds {_show(owner)}), and a lock that cannot be read is "
                    "taken as held; if no Emacs has the file open, delete that lock file, "
                    "then try again; nothing was changed")
        elif kind == "other host":
            said = (f"{path} may have unsaved changes in Emacs on another host (lock held by "
                    f"{_show(owner)}, which cannot be checked from here); save or revert that "
                    f"buffer there, or, if no Emacs there has it open, delete {lock}, then "
                    "try again; nothing was changed")
        else:
            said = (f"{path} has unsaved changes in Emacs (lock held by {owner}); "
                    "save or revert that buffer, then try again")
        super().__init__(said)


class CannotRecover(AiProtocolsError):
    """``recover`` was asked for something that would lose or clobber work."""

    path = PathField()
    path_text = TextOf("path")

    exit_code = 11

    def __init__(self, path: Path, reason: str, verb: str = "recover") -> None:
        self.path = path
        self.reason = reason
        self.verb = verb  # the command's action, as "recover" or "merge-kept"
        super().__init__(f"cannot {verb} {path}: {reason}")


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


#: How a task copied with its id is told apart, said by every message about one: only a
#: person can, in an editor (an agent's edit tool is refused the board: the PreToolUse
#: hook; no command picks one copy of an id). docs/tasks.md, "Duplicate ids".
DUPLICATE_FIX = ("a person must delete the :ID: line of every copy but one, in Emacs (open "
                 "the board, M-g g and the line of a copy's headline; its ':ID:' line is in "
                 "the drawer just below it: if the drawer is folded, TAB on its "
                 "':PROPERTIES:' line shows it; C-k C-k on the ':ID:' line, C-x C-s), and "
                 "the next command gives each copy a new id; an agent cannot (its edit tool "
                 "is refused the board), so it asks a person to")


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


def _force_advice(state: str, who: str = "that agent") -> str:
    """When ``--force`` is right against a holder in ``state`` (a liveness state), in
    words: a paused holder is not gone (its person set it aside to resume it: force
    once that person agrees, docs/tasks.md "A paused holder keeps its claim"); any
    other, once ``who`` is gone."""
    if state == "paused":
        return ("add --force once the person who paused that session agrees (a paused "
                "agent is not gone: it resumes with 'ai-protocols start')")
    return f"add --force once you are sure {who} is gone"


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
