"""The library's exceptions that only a write raises (or a recovery): a stale save, an
older version put back, a file carried in from elsewhere or another session's, a
rollover undone, a person's unsaved edits in Emacs, a refused recovery, a file git's
index holds unmerged, an item ``--done`` names that is not there or not alone, a lock
held too long (twenty-seventh round: those four were made by every command).

They are :mod:`ai_protocols.errors`'s as much as the others (their ``__module__`` says
so): that module gives them from here on first use (its ``__getattr__``), so that a
command that only reads does not make their classes (about 1.3 M instructions; issue
16, twenty-sixth round; :mod:`ai_protocols.errors_rare` is the same for the exceptions
no hot command raises). Import them from :mod:`ai_protocols.errors`, never from here.
"""

from __future__ import annotations

import os

from ai_protocols.errors_base import (
    AiProtocolsError,
    MergeConflict,
    UnreadableSession,
    _lacking,
    _show,
    given_from_errors,
)
from ai_protocols.lean import PathField, TextOf, counted, shell_quote

#: (what :data:`ai_protocols.errors.WRITES` names: tests/test_rareerrors_twentysixth.py
#: holds the two equal)
__all__ = [
    "AmbiguousItem",
    "BeingEdited",
    "CannotRecover",
    "ItemNotFound",
    "LockTimeout",
    "OtherSession",
    "RolloverUndone",
    "SessionCarried",
    "SessionReplaced",
    "StaleSave",
    "Unmerged",
]

TYPE_CHECKING = False  # no pathlib at import (as ai_protocols.errors)
if TYPE_CHECKING:
    from pathlib import Path


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


given_from_errors(globals(), __all__)
