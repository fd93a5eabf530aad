"""Checkpoints: the whole work tree kept as a git commit under ``refs/ai-protocols/``.

``ai-protocols checkpoint`` records the work tree as it is, tracked changes and
untracked files alike (files git ignores left out, as ``git add -A`` leaves
them), as a commit whose parent is ``HEAD``, under the ref
``refs/ai-protocols/checkpoints/<agent>/<n>``. It never touches the user's
index, ``HEAD``, branch, stash or work tree: it is built in a temporary index
in the git folder, seeded from the real one so that ``git add -A`` hashes only
the files whose stat data changed (git's plumbing, git-read-tree(1),
git-write-tree(1), git-commit-tree(1), git-update-ref(1)):

1. hard-link ``.git/index`` as ``.git/ai-protocols-checkpoint-<pid>.index`` (git
   writes an index by renaming a new file over it, never in place: the user's stays
   as it was; a copy where links cannot be made);
2. ``GIT_INDEX_FILE=<copy> git add -A`` (less the live session files, below);
3. ``git write-tree``, ``git commit-tree -p HEAD``;
4. ``git update-ref --stdin`` with ``create``: the ref is made only if it does
   not exist yet, in one atomic step (a kill before it leaves no ref, after it
   a whole one);
5. remove the copy.

A kill at any moment leaves the user's files, index and refs as they were; a
temporary index a killed run left is removed by the next run. The live session
files (``.ai/session-context.org``, ``.ai/session-context.d/`` and what waits
beside them) are kept as the real index has them, not as the work tree does:
the session file records the checkpoint right after it is taken, and restoring
a checkpoint must never roll the session's record back.

Refs are plain refs: ``git push origin 'refs/ai-protocols/*:refs/ai-protocols/*'``
shares them and ``git fetch --no-prune`` with the same refspec brings them back
(docs/checkpoints.md; :data:`FETCH`). git runs through ``posix_spawn`` and pipes (:class:`_Git`:
importing :mod:`subprocess` costs a quarter of what ``git stash create``, the
benchmark's floor, does), with ``GIT_OPTIONAL_LOCKS=0`` so that no read
refreshes the user's index behind their back.

:class:`Checkpoints` is the API; :func:`record` writes a checkpoint into the
session file through the one edit transaction.
"""

from __future__ import annotations

import os

from ai_protocols.errors import (
    AiProtocolsError,
    CheckpointNotFound,
    CheckpointRefused,
    GitFailed,
    NotAGitRepository,
    StorageError,
)
from ai_protocols.git.spawn import GIT_PLACE as _GIT_PLACE
from ai_protocols.git.spawn import TEMP_PREFIX as _TEMP_PREFIX
from ai_protocols.git.spawn import (
    EarlyAdd,
    add_all,
    add_pathspec,
    git_env,
    linked_worktrees_inside,
    session_names,
    sparse_checkout,
    temp_index_env,
)
from ai_protocols.git.spawn import GitRun as _Git
from ai_protocols.lean import (
    PathField,
    TextOf,
    counted,
    datetime,
    digits,
    display,
    shell_quote,
    timezone,
)
from ai_protocols.paths import AI_DIR, is_tool_path, literal_pathspec, safe_id
from ai_protocols.storage.files import temp_stem, temporary_name


def _path(text: str | os.PathLike[str]) -> Path:
    """``pathlib.Path(text)``, :mod:`pathlib` imported on first use: ``checkpoint``'s
    own path (:meth:`Checkpoints.take`) works on text and never imports it (pathlib
    brings ``re``, ``fnmatch`` and ``urllib.parse``: over a quarter of the command's own
    instructions; docs/performance.md, issue 14, twenty-second round)."""
    from pathlib import Path

    return Path(text)


__all__ = ["CLONE_FILE", "FETCH", "NAMESPACE", "REFSPEC", "Checkpoint", "Checkpoints",
           "Recorded", "Restored", "Taken", "Whereabouts", "clone_id", "record", "recorded",
           "restored_at", "restored_said", "take"]

#: Where every checkpoint ref lives: ``<NAMESPACE>/<agent>/<n>``.
NAMESPACE = "refs/ai-protocols/checkpoints"
#: The agent part of the refs of the one-agent session file (no ``AI_AGENT_ID``).
NO_AGENT = "default"
#: The refspec that pushes and fetches every checkpoint (docs/checkpoints.md).
REFSPEC = "refs/ai-protocols/*:refs/ai-protocols/*"
#: How every printed fetch of :data:`REFSPEC` begins: never pruning, whatever
#: ``fetch.prune`` or ``remote.<name>.prune`` say (git-fetch(1), ``--no-prune``): a
#: pruning fetch of this namespace deletes every checkpoint of this clone the remote
#: lacks, the ones never pushed included (issue 14, twenty-second round).
FETCH = "git fetch --no-prune"
#: The file in the common git folder that holds this clone's id: a ref part of 8
#: random hex digits, made by the first checkpoint taken here (``git clone`` never
#: copies it), so that the refs of two clones never have the same name.
CLONE_FILE = "ai-protocols-clone"
#: The folder beside it that keeps, per agent, the last checkpoint number this clone
#: gave: a number is never given twice, even after its ref was deleted or pruned.
NUMBERS_DIR = "ai-protocols-numbers"
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    import tarfile
    from collections.abc import Callable
    from pathlib import Path

#: What ``rev-parse`` is asked first (see :meth:`Checkpoints._ask`).
_WHERE = ("rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-path", "index",
          "--git-common-dir")
#: A submodule's commit in a tree: its mode (gitformat-index(5), "gitlink").
_GITLINK = "160000"
_SUBJECT = "ai-protocols checkpoint"
_IDENTITY = {"GIT_AUTHOR_NAME": "ai-protocols", "GIT_AUTHOR_EMAIL": "ai-protocols@localhost",
             "GIT_COMMITTER_NAME": "ai-protocols", "GIT_COMMITTER_EMAIL": "ai-protocols@localhost"}


class Checkpoint:
    """One checkpoint: ``ref`` (``refs/ai-protocols/checkpoints/<agent>/<n>``), ``agent``
    (the ref's agent part) and ``number``; ``commit`` its full hash, ``short`` the first
    12 digits; ``parent`` the commit it was taken on (``None``: before the first
    commit); ``time`` when (UTC, from the commit); ``note`` (``None``: none);
    ``files``: how many paths outside the tool's ``.ai/`` folders
    (:func:`ai_protocols.paths.is_tool_path`) differ between ``parent`` and the
    checkpoint (the uncommitted work it holds); ``changed``: every path that differs,
    the tool's too, when known.

    (Plain classes here, not dataclasses: importing :mod:`dataclasses` would delay
    the start of ``git add``.)"""

    def __init__(self, ref: str, agent: str, number: int, commit: str, parent: str | None,
                 time: datetime, note: str | None, files: int,
                 changed: list[str] | None = None, clone: str | None = None) -> None:
        self.ref, self.agent, self.number, self.commit = ref, agent, number, commit
        self.parent, self.time, self.note, self.files = parent, time, note, files
        self.changed = changed or []
        #: The id of the clone that took it (``None``: a ref of the older form
        #: ``<agent>/<n>``, without one).
        self.clone = clone

    @property
    def name(self) -> str:
        """Its short name, as ``REF`` accepts it: ``AGENT/CLONE/N`` (``AGENT/N`` for a
        ref of the older form); its short hash when no ref holds it (found by its
        commit, :meth:`Checkpoints._unreferenced`: ``AGENT/N`` would name another, or
        nothing). ``AGENT`` is the id as it was typed (:func:`typed_agent`), which
        ``REF`` takes as it takes the ref's form."""
        if not self.ref.startswith("refs/"):
            return self.short
        agent = typed_agent(self.agent)
        return f"{agent}/{self.clone}/{self.number}" if self.clone else \
            f"{agent}/{self.number}"

    def __repr__(self) -> str:
        return f"Checkpoint({self.ref!r}, commit={self.commit!r}, files={self.files})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and vars(self) == vars(other)

    @property
    def short(self) -> str:
        return self.commit[:12]

    def to_json(self) -> dict[str, object]:
        """The ``checkpoint list --json`` form (keys in docs/checkpoints.md)."""
        return {"ref": self.ref, "agent": self.agent, "clone": self.clone,
                "number": self.number,
                "commit": self.commit, "parent": self.parent,
                "time": self.time.isoformat(timespec="seconds"), "note": self.note,
                "files": self.files}


def order(checkpoint: Checkpoint) -> tuple[datetime, str, str, int]:
    """The one order of checkpoints, oldest first: by the time each was taken (its
    commit's, to the second), then, for those of one second, by agent, clone and number.
    Clones count apart, so only their times order them together."""
    return (checkpoint.time, checkpoint.agent, checkpoint.clone or "", checkpoint.number)


class Recorded:
    """A checkpoint a session file records: ``number`` (``N``), ``commit`` (the short hash
    of its Log line ``checkpoint: N HASH ...``, or the full ``CHECKPOINT_COMMIT``) and
    ``ref`` (the ``CHECKPOINT`` property's, the last one's only; ``None`` for the
    others: their Log lines name no ref)."""

    def __init__(self, number: int | None, commit: str, ref: str | None = None) -> None:
        self.number, self.commit, self.ref = number, commit, ref

    def __repr__(self) -> str:
        return f"Recorded({self.number!r}, {self.commit!r}, {self.ref!r})"


def recorded(log: list[str], ref: str | None, commit: str | None) -> list[Recorded]:
    """The checkpoints a session records, oldest first, once each: one per Log line
    ``checkpoint: N HASH (...)`` (:func:`record` writes them; ``log``: the Log entries'
    texts, stamps left out), the last one's ``ref`` from the ``CHECKPOINT`` property and
    its full ``commit`` (``CHECKPOINT_COMMIT``). Reads nothing."""
    import re

    found: list[Recorded] = []
    for text in log:
        match = re.match(r"checkpoint: ([1-9][0-9]*) ([0-9a-f]{4,64}) \(", text)
        if match and not any(r.commit == match.group(2) for r in found):
            found.append(Recorded(int(match.group(1)), match.group(2)))
    if commit and re.fullmatch(r"[0-9a-f]{4,64}", commit):
        last = next((r for r in found if commit.startswith(r.commit)), None)
        if last is None:
            tail = (ref or "").rsplit("/", 1)[-1]
            last = Recorded(int(tail) if digits(tail) else None, commit)
            found.append(last)
        last.commit = commit
        last.ref = ref if ref and ref.startswith(f"{NAMESPACE}/") else None
    return found


class Whereabouts:
    """Where a checkpoint is, seen from this clone, and what a person does about it: the
    one rule ``checkpoint list``, ``checkpoint restore`` (and ``show``, ``export``) and
    ``resume`` follow (issue 14, eleventh round; :meth:`Checkpoints.whereabouts`).
    ``state`` is one of:

    - ``"here"``: a checkpoint ref of this clone holds it (``checkpoint``);
    - ``"unreferenced"``: no ref does (deleted, or pruned by ``git fetch --prune``), but
      its commit is still in this clone, until ``git gc`` collects it;
    - ``"not-fetched"``: another clone took it, and it was never fetched here (a plain
      ``git clone`` or ``git fetch`` never brings refs outside ``refs/heads`` and
      ``refs/tags``, git-fetch(1)): the fetch of :data:`REFSPEC` brings it, once that
      clone pushed it;
    - ``"collected"``: this clone (or a worktree of it) took it, its ref is gone and
      ``git gc`` collected its commit: nothing here holds it any more;
    - ``"unknown"``: not here, and which clone took it is not recorded (a Log line
      names no ref): either of the two before."""

    def __init__(self, state: str, commit: str, ref: str | None, fetch: str,
                 checkpoint: Checkpoint | None = None, remotes: str | None = None) -> None:
        self.state, self.commit, self.ref, self.fetch = state, commit, ref, fetch
        #: Where this clone fetches from, as the push advice names it
        #: (:meth:`Checkpoints.push_to`): ``URL`` (its one remote's, or its branch's
        #: upstream's), ``"one of URL, URL"`` or ``None``: this clone has no remote.
        self.remotes = remotes
        #: The checkpoint, when its commit is in this clone.
        self.checkpoint = checkpoint
        #: Whether this clone (or a worktree of it) took it, as its ref says (``None``:
        #: no ref recorded, or none of the form ``AGENT/CLONE/N``).
        self.mine: bool | None = None
        #: The work tree the commands run in, said after a command that ends a sentence
        #: (``(from ROOT)``: no full stop glued to it; issue 14, nineteenth round).
        self.root: str | None = None
        self._restored: list[str | None] = []  # (asked of git on first use: restored)

    @property
    def restored(self) -> str | None:
        """The worktree a restore of it made already (:func:`restored_at`), where its
        work is: said instead of the restore, which that folder would refuse (issue 14,
        twenty-first round); ``None``: none, or it is not in this clone. Asked of git
        (``git worktree list``) on first use, not by :meth:`Checkpoints.whereabouts`:
        its callers that want only where a checkpoint is (``checkpoint restore`` of one
        here, ``checkpoint list`` passing over one another agent's ref holds) never
        use it (issue 16, twenty-third round)."""
        if not self._restored:
            self._restored.append(
                restored_at(self.root, self.commit) if self.root is not None and
                self.state in ("here", "unreferenced") else None)
        return self._restored[0]

    def __repr__(self) -> str:
        return f"Whereabouts({self.state!r}, {self.commit!r}, {self.ref!r})"

    def say(self, it: str = "it") -> str:
        """What to say of it, ``it`` naming it (``"checkpoint 2 (1a2b3c4d5e6f)"``): where
        it is and the command that brings it back, or that nothing can here, and why."""
        short, ref = self.commit[:12], self.ref or "its ref"
        restore = f"ai-protocols checkpoint restore {short}"
        end = f" (from {self.root})" if self.root else ""
        if self.restored is not None and self.state in ("here", "unreferenced"):
            return restored_said(it, self.restored, short, self.root or ".")
        if self.state == "here":
            return f"restore {it} with: {restore}{end}"
        if self.state == "unreferenced" and self.mine is False:
            named = f" ({self.ref}; or it was deleted)" if self.ref else " (or it was deleted)"
            return (f"its ref was never fetched here{named}, but the "
                    f"commit of {it} is in this clone (a clone by path copies every object), "
                    f"until git gc collects it: restore {it} with: {restore} (or fetch its "
                    f"ref first: {self.fetch})")
        if self.state == "unreferenced":
            how = f"its ref is gone here ({ref}: deleted, or pruned by git fetch --prune)" \
                if self.mine else ("no ref of this clone holds it (never fetched here, or "
                                   "deleted, or pruned by git fetch --prune)")
            return (f"{how}, but the commit of {it} is still in this clone, until git gc "
                    f"collects it: restore {it} with: {restore}{end}")
        what = shell_quote(self.ref) if self.ref else f"'{REFSPEC}'"
        if self.remotes is None:
            pushed = (f"this clone has no remote (git remote lists none): push it to a "
                      f"repository both clones reach (git push URL {what}) and add that "
                      f"one here (git remote add origin URL)")
        elif self.remotes.startswith("one of "):
            pushed = (f"to the remote this clone fetches from, {self.remotes}: git push "
                      f"URL {what}")
        else:
            pushed = f"git push {shell_quote(self.remotes)} {what}"
        fetch = f"{self.fetch} && {restore}{end}"
        if self.state == "not-fetched":
            return (f"{it} is not in this clone (taken in another clone; a plain git clone "
                    f"or fetch never brings checkpoint refs): if it was never pushed, push "
                    f"it from the clone that took it ({pushed}); then here: {fetch}")
        collected = (f"{it} was taken in this clone (its ref names this clone's id), but its "
                     f"ref is gone here ({ref}: deleted, or pruned by git fetch --prune) and "
                     f"git gc collected its commit: what it held cannot be restored from "
                     f"this clone; a clone that fetched it before may still have it "
                     f"(ai-protocols checkpoint list --all there), and a remote it was "
                     f"pushed to, if it still holds it, gives it back: {self.fetch}{end}")
        if self.state == "collected":
            return collected
        return (f"{it} is not in this clone: if another clone took it, it was never fetched "
                f"here (push it from that clone: {pushed}; then here: {fetch}); if this "
                f"clone took it, its ref "
                f"was deleted and git gc collected its commit (a clone that fetched it "
                f"before may still have it: ai-protocols checkpoint list --all there)")


class Restored:
    """What :meth:`Checkpoints.restore` did: ``where`` the files are (a new worktree,
    or the work tree itself), ``branch`` the new branch (``None``: none), ``paths`` the
    paths written or removed in place, ``kept`` the paths the checkpoint does not have that
    were left as they were: their content is kept nowhere else, or a submodule's folder."""

    def __init__(self, checkpoint: Checkpoint, where: Path, branch: str | None = None,
                 paths: list[str] | None = None, kept: list[str] | None = None,
                 submodules: list[tuple[str, str]] | None = None) -> None:
        self.checkpoint, self.where, self.branch = checkpoint, where, branch
        self.paths, self.kept = paths or [], kept or []
        #: ``(path, commit)`` of each submodule whose commit the checkpoint holds: in
        #: place, checked out there; in a new worktree, in its index, for ``git
        #: submodule update --init`` to check out.
        self.submodules = submodules or []
        #: In place: the paths under a ``.ai/`` folder (the tool's own files) where
        #: the checkpoint differs, left as they are (:func:`is_tool_path`).
        self.left: list[str] = []
        #: In a new worktree: ``(path, commit)`` of each gitlink ``git submodule update``
        #: cannot check out: a nested repository (no ``.gitmodules`` entry, so no URL),
        #: or a submodule whose commit is on no remote-tracking branch of the submodule
        #: checked out here (never pushed?). Taken from this checkout instead.
        self.unpushed: list[tuple[str, str]] = []
        #: In place, a checkpoint taken on another commit than ``HEAD``: ``(its parent,
        #: HEAD)`` (either ``None`` before a first commit), and the paths removed that
        #: ``HEAD`` holds as they were (committed: ``git checkout HEAD -- PATH``).
        self.elsewhere: tuple[str | None, str | None] | None = None
        self.committed_removed: list[str] = []
        #: In place: the paths left as they are because they changed after the restore
        #: checked the work tree (saved in an editor, written by another program).
        self.changed: list[str] = []
        #: In place: the paths a sparse checkout leaves out of the work tree (skip-
        #: worktree in your index, not there), left as your index has them.
        self.sparse: list[str] = []
        #: In a new worktree: ``(copy, live, record)`` of each session file it holds a
        #: copy of whose session is live in this work tree, marked there as a carried
        #: session's second copy (``record``: :meth:`Checkpoints._second_copies`).
        self.copies: list[tuple[str, str, str]] = []

    def __repr__(self) -> str:
        return f"Restored({self.checkpoint.ref!r}, where={str(self.where)!r})"


def typed_agent(part: str) -> str:
    """The agent id a ref's agent part (:func:`ref_part`) was made from, as it was typed
    (``%C3%BCn%C3%AF.1`` is ``ünï.1``), for what people read: the percent-encoding of
    :func:`~ai_protocols.paths.safe_id` undone. The part stays as it is when it is
    ``%64efault`` (the id ``default``, never shown as the one-agent file's ``default``)
    or when its bytes are not UTF-8 text."""
    if "%" not in part or part == "%64" + NO_AGENT[1:]:
        return part
    raw, at = bytearray(), 0
    while at < len(part):
        code = part[at + 1:at + 3]
        if part[at] == "%" and len(code) == 2 and all(c in "0123456789abcdefABCDEF"
                                                      for c in code):
            raw.append(int(code, 16))
            at += 3
        else:
            raw += part[at].encode()
            at += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return part


def ref_part(agent_id: str | None) -> str:
    """The agent part of a checkpoint ref: :func:`ai_protocols.paths.safe_id` of the id
    (``default`` without one), with each ``.`` written ``%2E`` where git's ref rules
    (git-check-ref-format(1): no ``..``, no part ending in ``.`` or ``.lock``) would
    refuse it as it is; the id ``default`` as ``%64efault``, so that no id shares the
    refs of the one-agent file (``default``). Raises
    :class:`~ai_protocols.errors.InvalidAgentId`."""
    if agent_id is None:
        return NO_AGENT
    part = safe_id(agent_id)
    if ".." in part or part.endswith((".", ".lock")):
        part = part.replace(".", "%2E")
    if part == NO_AGENT:  # never the one-agent file's: its first letter escaped, a form
        part = "%64" + part[1:]  # safe_id never gives ('d' is kept as it is)
    return part


def clone_id(common_dir: str | os.PathLike[str], make: bool = False) -> str | None:
    """This clone's id, from :data:`CLONE_FILE` in its common git folder ``common_dir``
    (8 hex digits; ``None``: none yet). ``make``: make one first when there is none
    (``os.urandom``; atomically: two runs at once agree on the first one written)."""
    path = os.path.join(common_dir, CLONE_FILE)
    for _ in range(3):
        there = True
        try:
            with open(path, "rb") as source:
                found = source.read(64).strip().decode("ascii", "replace")
        except FileNotFoundError:
            found, there = "", False
        if len(found) == 8 and all(c in "0123456789abcdef" for c in found):
            return found
        if not make:
            return None
        temp = os.path.join(os.path.dirname(path), temporary_name(os.path.basename(path)))
        with open(temp, "w", encoding="ascii") as out:
            out.write(os.urandom(4).hex() + "\n")
        try:
            if there:  # not an id (empty, or a person's edit): replaced
                os.replace(temp, path)
            else:
                os.link(temp, path)  # never over one another run made meanwhile
        except FileExistsError:
            pass
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
    raise GitFailed("checkpoint", f"cannot make this clone's id in {path}")


class Checkpoints:
    """The checkpoints of the git work tree around ``root``, as the agent ``agent_id``
    (``None``: the one-agent file) takes and names them.

    Raises :class:`~ai_protocols.errors.NotAGitRepository` when ``root`` is not in a
    git work tree, :class:`~ai_protocols.errors.GitFailed` when git is missing.

    ``root``, ``top`` (the top of the work tree), ``git_dir`` (its git folder),
    ``common_dir`` (where the refs are) and ``index`` read as :class:`pathlib.Path`,
    made on first read; each ``*_text`` reads the same path as text without making
    one (:class:`~ai_protocols.lean.PathField`): taking a checkpoint never imports
    :mod:`pathlib`.
    """

    root = PathField()
    root_text = TextOf("root")
    top = PathField()
    top_text = TextOf("top")
    git_dir = PathField()
    git_dir_text = TextOf("git_dir")
    common_dir = PathField()
    common_dir_text = TextOf("common_dir")
    index = PathField()
    index_text = TextOf("index")

    def __init__(self, root: str | os.PathLike[str], agent_id: str | None = None) -> None:
        self.root = root
        self.agent = ref_part(agent_id)
        self._env = git_env()
        self._head: tuple[str | None, str | None] | None = None
        self._clone: str | None = None
        self._asked: _Git | None = None
        #: Untracked git repositories without a commit that the last checkpoint left
        #: out (``git add`` cannot take them: there is no commit to record).
        self.empty_repositories: list[str] = []
        #: The refs under :data:`NAMESPACE` read so far that hold no commit (ref: what
        #: they hold, ``blob``, ``tree``, ``tag``): no checkpoints.
        self.bad_refs: dict[str, str] = {}
        #: How many trees :meth:`_as_checked_out` converted (each its own folder).
        self._exports = 0
        #: Every checkpoint and the fetch command, once read by :meth:`whereabouts`.
        self._seen: tuple[list[Checkpoint], str, str | None] | None = None
        root_text = self.root_text
        if os.path.isdir(os.path.join(root_text, ".git")) and \
                not _GIT_PLACE & os.environ.keys():
            # The common case, the root is the top of its work tree: git's answer is
            # awaited only when needed, so that ``git add`` starts at once.
            self.top = root_text
            self.git_dir = self.common_dir = os.path.join(root_text, ".git")
            self.index = os.path.join(root_text, ".git", "index")
            from ai_protocols.git.head import read_head

            read = read_head(root_text)  # from git's files: no process to wait for
            if read is not None:
                self._head = (read[1], read[0])
            else:  # (reftable refs): git's answer, awaited only when needed
                self._asked = self._spawn(*_WHERE, "HEAD", "--symbolic-full-name", "HEAD",
                                          cwd=root_text)
        else:
            self._locate(self._ask())
            self._refuse_another_repository()
        ai = os.path.relpath(os.path.join(root_text, AI_DIR), self.top_text)
        outside = ai == os.pardir or ai.startswith(os.pardir + os.sep)
        ai = ai.replace(os.sep, "/")
        #: The tool's own folders, from the top (:func:`ai_protocols.paths.tool_folders`):
        #: never counted as work, never written by a restore in place.
        self.tool_folders: tuple[str, ...] = (f"{AI_DIR}/",) if outside \
            or ai == AI_DIR else (f"{AI_DIR}/", f"{ai}/")
        #: The live session files, relative to the top of the work tree: never taken
        #: from the work tree, never written by a restore.
        self.session_paths: tuple[str, ...] = () if outside else session_names(ai)

    @property
    def worktrees_inside(self) -> tuple[str, ...]:
        """The linked worktrees of this repository inside this work tree (paths from the
        top, :func:`~ai_protocols.git.spawn.linked_worktrees_inside`): other checkouts
        of the same repository, never taken into a checkpoint nor touched by a
        restore."""
        return linked_worktrees_inside(self.common_dir_text, self.top_text)

    def _in_worktree_inside(self, path: str, inside: tuple[str, ...]) -> bool:
        return any(path == w or path.startswith(w + "/") for w in inside)

    def _ask(self, asked: _Git | None = None) -> bytes:
        """``git rev-parse``'s answer: the top of the work tree, the git folder, the
        index, the common git folder, then ``HEAD``'s commit and its full name (recorded
        in ``_head``); before the first commit, the first four and the branch.
        ``asked``: that run, started already."""
        try:
            try:  # one run for all, when HEAD has a commit
                out = (asked or self._spawn(*_WHERE, "HEAD", "--symbolic-full-name", "HEAD",
                                            cwd=self.root_text)).wait()
                *_, commit, name = out.decode("utf-8", "surrogateescape").rstrip("\n") \
                    .split("\n")
                self._head = (commit, name[len("refs/heads/"):]
                              if name.startswith("refs/heads/") else None)
            except GitFailed as error:
                if "unknown revision" not in error.reason:
                    raise
                out = self._git(*_WHERE, cwd=self.root_text)
                self._head = (None, self._git(
                    "symbolic-ref", "-q", "--short", "HEAD", cwd=self.root, ok=(0, 1)
                ).decode("utf-8", "surrogateescape").strip() or None)
        except GitFailed as error:
            if "not a git repository" in error.reason or \
                    "must be run in a work tree" in error.reason:
                named = os.environ.get("GIT_DIR")
                wrong = named and not os.path.isfile(os.path.join(named, "HEAD"))
                raise NotAGitRepository(self.root, git_dir=named if wrong else None) from None
            raise
        return out

    def _refuse_another_repository(self) -> None:
        """Refuse (:class:`GitFailed`, before anything is made) when ``GIT_DIR`` or
        ``GIT_WORK_TREE`` (git(1), "ENVIRONMENT") point git at another repository than
        the project's: the checkpoint would be taken there and recorded in this
        project's session. The project's is the one its files name (its ``.git``);
        without one, the project must be inside git's work tree."""
        from ai_protocols.paths import git_dirs

        root = os.path.realpath(self.root)
        own = git_dirs(root)
        top, used = os.path.realpath(self.top), os.path.realpath(self.git_dir)
        inside = root == top or root.startswith(top.rstrip(os.sep) + os.sep)
        if (own is None and inside) or \
                (own is not None and os.path.realpath(own[1]) == used and inside):
            return
        named = ", ".join(f"{k}={os.environ[k]}" for k in sorted(_GIT_PLACE)
                          if k in os.environ)
        raise GitFailed("rev-parse", f"git's repository ({used}, work tree {top}, from "
                        f"{named}) is not this project's ({root}): a checkpoint would be "
                        "taken there and recorded here; unset those variables (env -u "
                        "GIT_DIR -u GIT_WORK_TREE ai-protocols ...), or run the command in "
                        "the project of that repository; nothing was made")

    def _locate(self, out: bytes) -> None:
        """Where the work tree, the git folder, the index and the refs are, from
        :meth:`_ask`'s answer."""
        lines = out.decode("utf-8", "surrogateescape").split("\n")
        if len(lines) < 4 or not lines[0]:
            raise NotAGitRepository(self.root)
        self.top = lines[0]
        self.git_dir = lines[1]
        # (relative: to the root git ran in; os.path.join keeps an absolute one whole)
        self.index = os.path.join(self.root_text, lines[2])
        #: Where the refs are (the main git folder, for a linked worktree too).
        self.common_dir = os.path.join(self.root_text, lines[3])

    @property
    def clone(self) -> str | None:
        """This clone's id (:func:`clone_id`; ``None``: no checkpoint taken here yet); in
        a linked worktree (git-worktree(1)), which is a project of its own for sessions,
        this worktree's: ``CLONE-W``, the clone's id and one of its own (kept in its own
        git folder), so that its checkpoints are numbered apart from the main work
        tree's and from each other worktree's (docs/checkpoints.md)."""
        if self._clone is None:
            self._clone = self._worktree_id(make=False)
        return self._clone

    def _linked(self) -> bool:
        """Whether this is a linked worktree: its own git folder is not the common one."""
        return os.path.realpath(self.git_dir_text) != os.path.realpath(self.common_dir_text)

    def _worktree_id(self, make: bool) -> str | None:
        base = clone_id(self.common_dir_text, make=make)
        if base is None or not self._linked():
            return base
        own = clone_id(self.git_dir_text, make=make)
        return None if own is None else f"{base}-{own}"

    def _siblings(self) -> tuple[str, str] | None:
        """``(id, prefix)``: the main work tree's id and the prefix every linked
        worktree's id of this repository starts with (``None``: no id yet)."""
        base = clone_id(self.common_dir)
        return None if base is None else (base, f"{base}-")

    def _own_prefix(self) -> str:
        """The folder of this agent's refs in this clone (its id made when there is
        none)."""
        if self.clone is None:
            self._clone = self._worktree_id(make=True)
        return f"{NAMESPACE}/{self.agent}/{self.clone}/"

    @property
    def _numbers_home(self) -> str:
        """Where :data:`NUMBERS_DIR` is: the common git folder, a linked worktree's own."""
        return self.git_dir_text if self._linked() else self.common_dir_text

    @property
    def head_commit(self) -> str | None:
        """``HEAD``'s commit (``None``: unborn), as it was when this object was made."""
        return self._settled()[0]

    @property
    def head_branch(self) -> str | None:
        """``HEAD``'s branch (``None``: detached), as it was when this object was made."""
        return self._settled()[1]

    def _settled(self) -> tuple[str | None, str | None]:
        if self._asked is not None:
            asked, self._asked = self._asked, None
            self._locate(self._ask(asked))  # (git's word, the same in the common case)
        assert self._head is not None
        return self._head

    def close(self) -> None:
        """Wait for what was started (never leaves a process behind)."""
        if self._asked is not None:
            asked, self._asked = self._asked, None
            asked.wait(ok=tuple(range(256)))

    # -- git ----------------------------------------------------------------------------

    def _git(self, *args: str, cwd: str | os.PathLike[str] | None = None,
             env: dict[str, str] | None = None,
             stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
        """``git ARGS``'s stdout; :class:`GitFailed` with its stderr when it fails.
        Git's answer to where things are, when it was left waiting, is read first."""
        if self._asked is not None:
            self._settled()
        return self._spawn(*args, cwd=cwd, env=env, stdin=stdin).wait(ok)

    def _numbers(self) -> list[int]:
        """The numbers of this agent's checkpoints, read from the ref files (loose refs
        and ``packed-refs``, gitrepository-layout(5)) while ``git add`` runs, without
        one more git run; through ``git for-each-ref`` where refs are not files (the
        reftable format). Only a guess of the next number: ``update-ref`` creates only
        a ref that does not exist, and a number taken is passed over."""
        prefix = f"{NAMESPACE}/{self.agent}/{self.clone}/"
        common = self.common_dir_text
        if os.path.exists(os.path.join(common, "reftable")):
            refs = self._git("for-each-ref", "--format=%(refname)", prefix).split()
            return [int(r[len(prefix):]) for r in refs if digits(r[len(prefix):])]
        try:
            names = os.listdir(os.path.join(common, prefix))
        except OSError:
            names = []
        numbers = [int(name) for name in names if digits(name)]
        try:
            with open(os.path.join(common, "packed-refs"), "rb") as packed:
                lines = packed.read().split(b"\n")
        except OSError:
            lines = []
        key = f" {prefix}".encode()
        for line in lines:
            tail = line.partition(key)[2]
            if tail.isdigit():
                numbers.append(int(tail))
        return numbers

    def _last_number(self) -> int:
        """The last number this clone gave this agent's checkpoints (0: none recorded),
        from :data:`NUMBERS_DIR`."""
        try:
            with open(os.path.join(self._numbers_home, NUMBERS_DIR, self.agent),
                      "rb") as source:
                text = source.read(32).strip()
        except OSError:
            return 0
        return int(text) if text.isdigit() else 0

    def _keep_number(self, number: int) -> None:
        """Record ``number`` as the last one given: never lowered (read, compared and
        replaced under an exclusive ``flock`` of ``.<agent>.lock`` beside it, so two
        checkpoints at once cannot put the lower number last), atomically (a new file
        renamed over the old)."""
        import fcntl  # (a C module: no cost)

        if number <= self._last_number():
            return
        folder = os.path.join(self._numbers_home, NUMBERS_DIR)
        os.makedirs(folder, exist_ok=True)
        lock = os.open(os.path.join(folder, f".{self.agent}.lock"),
                       os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        temp = os.path.join(folder, temporary_name(self.agent))
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if number <= self._last_number():
                return
            with open(temp, "w", encoding="ascii") as out:
                out.write(f"{number}\n")
            os.replace(temp, os.path.join(folder, self.agent))
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
            os.close(lock)

    def _spawn(self, *args: str, cwd: str | os.PathLike[str] | None = None,
               env: dict[str, str] | None = None, stdin: bytes | None = None) -> _Git:
        """Start ``git ARGS`` in ``cwd`` (default: the top of the work tree)."""
        return _Git(["git", "-C", self.top_text if cwd is None else os.fspath(cwd), *args],
                    env or self._env, stdin)

    def _read_head(self) -> tuple[str | None, str | None]:
        """``HEAD``'s commit (``None`` when unborn) and branch (``None`` when detached),
        as they are now."""
        out = self._git("rev-parse", "-q", "--verify", "HEAD^{commit}", ok=(0, 1))
        branch = self._git("symbolic-ref", "-q", "--short", "HEAD", ok=(0, 1))
        return (out.decode().strip() or None,
                branch.decode("utf-8", "surrogateescape").strip() or None)

    def _seeded(self, temp: str) -> tuple[dict[str, str], list[str]]:
        """Seed the temporary index ``temp`` with the real one (none when the repository
        has no index yet): a hard link to it (git replaces an index it changes with a new
        file, gitformat-index(5) and git's lockfile API), else a copy; return the
        environment that points git at it, and the pathspec of ``git add -A`` (the whole
        tree, less the session files)."""
        try:  # git never writes an index in place (a lock file renamed over it):
            os.link(self.index_text, temp)  # the real one is safe, and keeps its time
            data = None
        except FileNotFoundError:
            data = None
        except OSError:  # (a file system without hard links)
            try:
                with open(self.index_text, "rb") as source:
                    data, stat = source.read(), os.fstat(source.fileno())
            except FileNotFoundError:
                data = None
        if data is not None:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # The copy keeps the index's time: git tells a file changed in the same
            # tick as the index was written ("racily clean", gitformat-index(5) and
            # Documentation/technical/racy-git.txt) by comparing with that time.
            os.utime(temp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        env = temp_index_env(self._env, temp)
        return env, add_pathspec(self.session_paths, self.worktrees_inside)

    def _snapshot(self, temp: str) -> str:
        """The tree of the work tree as a checkpoint records it, built in the temporary
        index ``temp``; returns the tree's hash."""
        env, spec = self._seeded(temp)
        flags = self._spawn("ls-files", "-v", "-z", env=env)
        self._git(*add_all(self.git_dir_text), *spec, env=env)
        self._unflag(env, flags.wait())
        return self._git("write-tree", env=env).decode().strip()

    def _unflag(self, env: dict[str, str], listing: bytes) -> None:
        """Take into the temporary index (``env``) the work tree's content of the files
        the user's index marks skip-worktree or assume-unchanged (``listing``: its
        ``git ls-files -v -z``, git-ls-files(1): tag ``S``, or a lower-case tag), which
        ``git add -A`` passes over (git-update-index(1)): their flags cleared in the
        temporary index only, then each file there is hashed; one missing from the work
        tree (a sparse checkout's) stays as the index has it. The user's index keeps its
        flags."""
        skip, assume = [], []
        for item in listing.split(b"\0"):
            if len(item) > 2 and (item[:1] == b"S" or item[:1].islower()):
                path = item[2:]
                if not self._is_session_path(_s(path)):
                    (assume if item[:1].islower() else skip).append(path)
                    if item[:1] == b"s":
                        skip.append(path)
        if not skip and not assume:
            return
        for flag, paths in (("--no-assume-unchanged", assume), ("--no-skip-worktree", skip)):
            if paths:
                self._git("update-index", flag, "-z", "--stdin", env=env,
                          stdin=b"".join(p + b"\0" for p in paths))
        top = self.top_text
        here = [p for p in dict.fromkeys(assume + skip)
                if os.path.lexists(os.path.join(top, _s(p)))]
        if here:
            self._git("update-index", "-z", "--stdin", env=env,
                      stdin=b"".join(p + b"\0" for p in here))

    def _temp_index(self, keep: str | None = None) -> str:
        """A fresh temporary index path in the git folder (text); removes those killed
        runs left (their process is gone: an index, or the folder of files a restore in
        place writes, :meth:`_write_checked`), but ``keep``, the one started early."""
        git_dir = self.git_dir_text
        kept = None if keep is None else os.path.basename(keep)
        for name in os.listdir(git_dir):  # (no glob: no pattern to compile)
            if not name.startswith(_TEMP_PREFIX) or ".index" not in name or \
                    (kept is not None and name.startswith(kept)):
                continue
            pid = name[len(_TEMP_PREFIX):].split(".", 1)[0]
            if digits(pid) and not _running(int(pid)):
                _discard(os.path.join(git_dir, name))
        temp = os.path.join(git_dir, f"{_TEMP_PREFIX}{os.getpid()}.index")
        if keep is None:
            _unlink(temp)  # a dead run's, whose number this process now has
        return temp

    def _changed(self, base: str | None, tree: str) -> list[str]:
        """Paths that differ between commit ``base`` (``None``: nothing) and ``tree``."""
        if base is None:
            out = self._git("ls-tree", "-r", "-z", "--name-only", "--full-tree", tree)
        else:
            out = self._git("diff-tree", "-r", "-z", "--name-only", "--no-renames", base,
                            tree)
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    # -- taking one ---------------------------------------------------------------------

    def take(self, note: str | None = None, *, meanwhile: Callable[[], object] | None = None,
             early: EarlyAdd | None = None, before_commit: Callable[[], object] | None = None
             ) -> tuple[Checkpoint, str | None]:
        """Record the work tree as a new checkpoint of this agent; return it and the
        branch ``HEAD`` was on. ``note``: free text kept in the commit's message;
        ``meanwhile``: called while ``git add`` runs (to import what comes next);
        ``before_commit``: called once the tree is written, just before the commit's
        time is taken (:func:`take` takes the session file's lock there, so that the
        time is taken holding it, as every write's is);
        ``early``: that ``git add``, started already
        (:func:`ai_protocols.git.spawn.start_add`; taken over when it is this work
        tree's, else closed). Raises :class:`~ai_protocols.errors.GitFailed`.

        The git runs that do not wait on each other run at the same time
        (``write-tree`` beside the list of changed paths), and the agent's refs are read
        while ``git add`` runs. ``HEAD`` and its branch are as :class:`Checkpoints` read
        them."""
        own = os.path.join(self.git_dir_text, f"{_TEMP_PREFIX}{os.getpid()}.index")
        if early is not None and (early.top != self.top_text or early.temp != own or
                                  early.env["GIT_INDEX_FILE"] != own or
                                  add_pathspec(self.session_paths, self.worktrees_inside)[2:]
                                  != _early_spec(early)):
            early.close()  # (not this work tree's: started again, as it should be)
            early = None
        if early is not None:
            early.taken = True
            temp, env, adding = own, early.env, early.run
            self._temp_index(keep=own)
        else:
            temp = self._temp_index()
        try:
            if early is None:
                env, spec = self._seeded(temp)
                adding = self._spawn(*add_all(self.git_dir_text), *spec, env=env)
            flags = self._spawn("ls-files", "-v", "-z", env=env)  # (the flags add keeps)
            try:
                prefix = self._own_prefix()
                numbers = self._numbers()
                numbers.append(self._last_number())
                if meanwhile is not None:
                    meanwhile()
            finally:
                try:
                    self._added(adding, env)  # (never a process left behind)
                finally:
                    listing = flags.wait()
            self._unflag(env, listing)
            parent, branch = self.head_commit, self.head_branch
            def both() -> list[_Git]:
                return [self._spawn("write-tree", env=env),
                        self._spawn("diff-index", "--cached", "-z", "--name-only",
                                    "--no-renames", parent, env=env) if parent else
                        self._spawn("ls-files", "-z", "--full-name", env=env)]

            running = both()
            try:
                tree = running[0].wait()
            except GitFailed as error:
                running[1].wait(ok=tuple(range(256)))
                if "unmerged" not in error.reason or not self._leave_out_unmerged(env):
                    raise
                running = both()  # (once more, with the session files left out)
                tree = running[0].wait()
            listed = running[1].wait()
        finally:
            _unlink(temp)
            _unlink(f"{temp}.lock")
        tree_hash = tree.decode().strip()
        changed = [p.decode("utf-8", "surrogateescape") for p in listed.split(b"\0") if p]
        work = sum(not is_tool_path(p, self.tool_folders) for p in changed)  # (the one rule)
        number = max(numbers, default=0) + 1
        if before_commit is not None:
            before_commit()
        while True:  # another run of this agent may take the same number: the next one
            # (its time taken again: a number is never older than the one below it,
            # so that the list's order, by time, is the numbers' order: see ``order``)
            moment = datetime.now(timezone.utc).replace(microsecond=0)
            message = f"{_SUBJECT} {number}" + (f": {note.splitlines()[0]}" if note else "")
            message += "\n\n" + (f"{note}\n\n" if note else "")
            message += f"AI-Protocols-Agent: {self.agent}\nAI-Protocols-Files: {work}\n"
            commit = self._commit(tree_hash, parent, message, moment)
            ref = f"{prefix}{number}"
            try:
                self._git("update-ref", "-m", f"ai-protocols: checkpoint {number}", "--stdin",
                          stdin=f"create {ref} {commit}\n".encode())
                break
            except GitFailed as error:
                if "reference already exists" not in error.reason and \
                        "cannot lock ref" not in error.reason:
                    raise
                number += 1
                if number > max(numbers, default=0) + 1000:
                    raise
        self._keep_number(number)
        return Checkpoint(ref=ref, agent=self.agent, number=number, commit=commit,
                          parent=parent, time=moment, note=note, files=work,
                          changed=changed, clone=self.clone), branch

    def _leave_out_unmerged(self, env: dict[str, str]) -> bool:
        """Resolve in the temporary index (``env``) the live session files that are
        unmerged in it (a merge of the session file left unresolved: ``git add -A``
        resolves every other path from the work tree, but leaves these as the index
        has them, and ``git write-tree`` refuses unmerged entries) to "ours", stage 2
        (gitrevisions(7), ``:2:path``: ``HEAD``'s side): a worktree restored from the
        checkpoint then holds the session file as committed, never deleted. One without
        a stage 2 (deleted on our side) is left out. Whether there were any."""
        out = self._git("ls-files", "-u", "-z", env=env)
        stages: dict[str, dict[str, bytes]] = {}
        for item in out.split(b"\0"):
            if item:
                info, _, path = item.partition(b"\t")
                name = _s(path)
                if self._is_session_path(name):
                    mode, blob, stage = info.decode().split(" ")
                    stages.setdefault(name, {})[stage] = f"{mode} {blob} 0\t".encode()
        if not stages:
            return False
        ours = [v["2"] + _b(p) + b"\0" for p, v in sorted(stages.items()) if "2" in v]
        gone = [_b(p) + b"\0" for p, v in sorted(stages.items()) if "2" not in v]
        if ours:  # (a stage 0 entry replaces every stage of its path)
            self._git("update-index", "-z", "--index-info", env=env, stdin=b"".join(ours))
        if gone:
            self._git("update-index", "-z", "--force-remove", "--stdin", env=env,
                      stdin=b"".join(gone))
        return True

    def _commit(self, tree: str, parent: str | None, message: str, moment: datetime) -> str:
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        stamp = f"{int(moment.timestamp())} +0000"
        env = {**self._env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        try:
            out = self._git(*args, stdin=message.encode(), env=env)
        except GitFailed as error:  # no identity configured: the tool's own
            if "identity" not in error.reason and "tell me who you are" not in error.reason \
                    and "empty ident" not in error.reason:
                raise
            out = self._git(*args, stdin=message.encode(), env={**env, **_IDENTITY})
        return out.decode().strip()

    # -- reading them -------------------------------------------------------------------

    def list(self, every_agent: bool = False) -> list[Checkpoint]:
        """This agent's checkpoints (``every_agent``: all of them), oldest first. A ref
        in the namespace that is no commit is not listed (it is in :attr:`bad_refs`)."""
        prefix = f"{NAMESPACE}/" if every_agent else f"{NAMESPACE}/{self.agent}/"
        found = self._refs(prefix)
        found.sort(key=order)
        return found

    def _read(self, ref: str) -> Checkpoint | None:
        found = [c for c in self._refs(ref) if c.ref == ref]
        return found[0] if found else None

    def _refs(self, pattern: str) -> list[Checkpoint]:
        """The checkpoints of the refs ``pattern`` names (``git for-each-ref``); a ref
        there that holds no commit (a blob, a tree or a tag a person or a tool put
        there) is no checkpoint: kept, with what it holds, in :attr:`bad_refs`. In a
        shallow clone (git-clone(1) ``--depth``) a checkpoint at the boundary shows no
        parent: its parent is read from the commit itself."""
        out = self._git("for-each-ref", "--format=%(objecttype)%00%(refname)%00"
                        "%(objectname)%00%(parent)%00%(committerdate:unix)%00%(contents)%00",
                        pattern)
        found = []
        for record in out.split(b"\0\n"):
            kind, _, rest = record.lstrip(b"\n").partition(b"\0")
            if not rest:
                continue
            if kind != b"commit":
                self.bad_refs[_s(rest.partition(b"\0")[0])] = kind.decode()
                continue
            parsed = _parse(rest)
            if parsed is not None:
                found.append(parsed)
        if any(c.parent is None for c in found) and self.shallow:
            for checkpoint in found:
                if checkpoint.parent is None:
                    checkpoint.parent = self._raw_parent(checkpoint.commit)
        return found

    @property
    def shallow(self) -> bool:
        """Whether this clone is shallow (git-clone(1) ``--depth``; its common git
        folder holds ``shallow``, gitrepository-layout(5)): commits past its boundary
        are not here, and a commit at it shows no parent."""
        return os.path.exists(self.common_dir / "shallow")

    def has_commit(self, commit: str) -> bool:
        """Whether the commit ``commit`` (a hash) is in this clone."""
        return bool(self._git("rev-parse", "-q", "--verify", f"{commit}^{{commit}}",
                              ok=(0, 1, 128)).strip())

    def _raw_parent(self, commit: str) -> str | None:
        """The first parent the commit object ``commit`` names (its ``parent`` header,
        git-cat-file(1)), which a shallow clone's boundary hides from ``%(parent)``."""
        out = self._git("cat-file", "commit", commit, ok=(0, 128))
        for line in out.split(b"\n"):
            if not line:
                break
            if line.startswith(b"parent "):
                return line[7:].decode().strip()
        return None

    def resolve(self, name: str,
                session: Callable[[], list[Recorded]] | None = None) -> Checkpoint:
        """The checkpoint ``name`` names: a full ref (``refs/ai-protocols/checkpoints/A/N``),
        ``N`` (this agent's), ``A/N``, or a hash of 4 to 64 hex digits (unique among the
        checkpoints; one of digits only names checkpoint N first, when there is one).
        Raises :class:`~ai_protocols.errors.CheckpointNotFound`. When none does here and
        ``session`` (what gives the checkpoints the caller's session records,
        :func:`recorded`; called only then) has
        one ``name`` names (its hash, its number, its ref), the refusal says where it is
        and what to do (:meth:`whereabouts`: never fetched, collected by git gc...); its
        commit still here without a ref is taken."""
        try:
            return self._resolve(name)
        except CheckpointNotFound:
            import re

            text = name.strip().lower()
            hexa = re.fullmatch(r"[0-9a-f]{4,64}", text) is not None
            number = int(name) if re.fullmatch(r"[1-9][0-9]*", name) else None
            matches = [r for r in (session() if session else ()) if r.ref == name or (
                hexa and (r.commit.startswith(text) or text.startswith(r.commit))) or (
                number is not None and r.number == number)]
            if len(matches) != 1:
                raise
            where = self.whereabouts(matches[0].ref, matches[0].commit, matches[0].number)
            if where.checkpoint is not None:
                return where.checkpoint
            number = f" {matches[0].number}" if matches[0].number else ""
            raise CheckpointNotFound(name, f"this session recorded it (checkpoint{number} "
                                     f"{where.commit[:12]}): "
                                     f"{where.say('it')}") from None

    def _resolve(self, name: str) -> Checkpoint:
        """:meth:`resolve` without the session's records."""
        import re

        text = name
        if not text or text != text.strip():
            raise CheckpointNotFound(name, "it is empty or has spaces or a line break around "
                                     "it; give the REF alone")
        own = f"{NAMESPACE}/{self.agent}/{self.clone}/" if self.clone else None
        if re.fullmatch(r"0[0-9]{0,2}", text):
            raise CheckpointNotFound(name, "checkpoints count from 1, written without "
                                     "leading zeros (a hash has 4 digits or more)")
        agent_form = re.fullmatch(r"([^/]+)/(?:([^/\s]+)/)?([1-9][0-9]*)", text)
        if agent_form and agent_form.group(1) != agent_form.group(1).strip():
            agent_form = None
        if re.fullmatch(r"[1-9][0-9]*", text):  # (0123...: a hash, never N)
            ref = f"{own}{int(text)}" if own else f"{NAMESPACE}/{self.agent}/{int(text)}"
            found = self._read(ref) or self._read(f"{NAMESPACE}/{self.agent}/{int(text)}")
            if found is not None:
                return found
            # Another clone's N (fetched): when only one clone has an N of this agent;
            # never another worktree's of this repository (its own project: its N is
            # named AGENT/CLONE/N).
            siblings = self._siblings()
            numbered = [c for c in self._refs(f"{NAMESPACE}/{self.agent}/")
                        if c.number == int(text) and c.clone is not None]
            near = [c for c in numbered if siblings is not None and (
                c.clone == siblings[0] or c.clone.startswith(siblings[1]))]  # type: ignore[union-attr]
            others = [c for c in numbered if c not in near]
            if len(others) == 1 and not near:
                return others[0]
            if near:
                raise CheckpointNotFound(name, "this worktree has no checkpoint "
                                         f"{int(text)} of this agent (N names this work "
                                         "tree's own); another worktree of this repository "
                                         "has: " + ", ".join(c.name for c in near) +
                                         " (give that name, or its hash)")
            if len(others) > 1:
                raise CheckpointNotFound(name, "several clones have a checkpoint "
                                         f"{int(text)} of this agent; give one of: " +
                                         ", ".join(c.name for c in others))
            if len(text) >= 4:  # a short hash may be all digits
                matches = [c for c in self.list(every_agent=True) if c.commit.startswith(text)]
                if len({c.commit for c in matches}) == 1:
                    return matches[0]
                loose = self._unreferenced(text) if not matches else None
                if loose is not None:
                    return loose
        elif text.startswith(f"{NAMESPACE}/"):
            ref = text
        elif agent_form is not None:  # AGENT/N (this clone's, or older), AGENT/CLONE/N
            given, clone, number = agent_form.groups()
            forms = [given] if not any(c.isspace() for c in given) else []
            from contextlib import suppress

            with suppress(AiProtocolsError):  # the id as set (a b), or as refs write it
                forms.append(ref_part(given))
            for agent in dict.fromkeys(forms):
                places = [f"{agent}/{clone}/{number}"] if clone else \
                    ([f"{agent}/{self.clone}/{number}"] if self.clone else []) + \
                    [f"{agent}/{number}"]
                for place in places:
                    found = self._read(f"{NAMESPACE}/{place}")
                    if found is not None:
                        return found
            ref = f"{NAMESPACE}/{forms[0] if forms else given}/" + \
                (f"{clone}/{number}" if clone else number)
        elif re.fullmatch(r"[0-9a-fA-F]{4,64}", text):
            matches = [c for c in self.list(every_agent=True)
                       if c.commit.startswith(text.lower())]
            if len({c.commit for c in matches}) == 1:
                return matches[0]
            loose = self._unreferenced(text) if not matches else None
            if loose is not None:
                return loose
            raise CheckpointNotFound(name, "no checkpoint's commit in this clone starts "
                                     "with it (another clone's comes here once that clone "
                                     f"pushed it: {self.fetch_command()})"
                                     if not matches else "several checkpoints' commits "
                                     "start with it; give more digits")
        else:
            raise CheckpointNotFound(name, "give N (this agent's checkpoint N), AGENT/N, "
                                     f"AGENT/CLONE/N, {NAMESPACE}/... or a commit hash")
        found = self._read(ref)
        if found is None and ref in self.bad_refs:
            raise CheckpointNotFound(name, f"{ref} holds a {self.bad_refs[ref]}, not a "
                                     "commit: it is no checkpoint (put there by hand or by "
                                     "another tool); delete it with git update-ref -d "
                                     f"{shell_quote(ref)}")
        if found is None:
            mine = own or f"{NAMESPACE}/{self.agent}/"
            raise CheckpointNotFound(name, f"there is no ref {ref}" + (
                f" (this agent's checkpoints in this clone are under {mine}; another "
                f"clone's come with: {self.fetch_command()})"
                if not text.startswith("refs/") else ""))
        return found

    def push_to(self) -> str | None:
        """Where another clone pushes a checkpoint for this one to fetch it: the URL of
        the remote this clone fetches from (its branch's upstream, else its only one:
        :func:`ai_protocols.git.state.remote_for`; a URL, since that clone may name the
        remote otherwise), ``"one of URL (NAME), ..."`` when it has several and none is
        the upstream's, ``None`` when it has none (``git remote``, git-remote(1))."""
        from ai_protocols.git.state import remote_for

        names = self._git("remote").decode("utf-8", "replace").split()
        if not names:
            return None
        remote = remote_for(str(self.top), self.head_branch)

        def url(name: str) -> str:
            out = self._git("remote", "get-url", name, ok=(0, 2, 128)).decode(
                "utf-8", "replace").strip()
            return out or name

        if remote != "REMOTE":
            return url(remote)
        return "one of " + ", ".join(f"{url(n)} ({n})" for n in names)

    def fetch_command(self) -> str:
        """The command that brings other clones' checkpoints here, the one every message
        prints: ``git fetch --no-prune REMOTE 'REFSPEC'`` (:data:`FETCH`) with the remote
        of the current branch's upstream, else the only remote
        (:func:`ai_protocols.git.state.remote_for`); without any remote, the URL they
        were pushed to."""
        from ai_protocols.git.state import remote_for

        remote = remote_for(str(self.top), self.head_branch)
        if remote == "REMOTE" and not self._git("remote").strip():
            return (f"{FETCH} URL '{REFSPEC}', from wherever they were pushed (this clone "
                    "has no remote)")
        return f"{FETCH} {shell_quote(remote) if remote != 'REMOTE' else remote} '{REFSPEC}'"

    def whereabouts(self, ref: str | None, commit: str,
                    number: int | None = None) -> Whereabouts:
        """Where the checkpoint of the commit ``commit`` (a hash of 4 digits or more, as
        a session records it) and the ref ``ref`` (``None``: not recorded) is, seen from
        this clone: the one rule (:class:`Whereabouts`). A ref of this clone holding
        that commit, else the commit alone (no ref), else whose clone took it: the ref's
        ``CLONE`` part is this clone's id (or one of its worktrees'), so git gc collected
        it here; another's: never fetched here; no ref recorded: this clone never took a
        checkpoint (no id yet), or never gave this agent ``number`` (the Log line's ``N``:
        :data:`NUMBERS_DIR` keeps the last given), so never fetched here, else not known.
        The refs and the remote are read once per object; then one git run at most per
        call. Changes nothing."""
        import re

        commit = commit.lower()
        if self._seen is None:  # (once for many: list asks of each)
            self._seen = (self.list(every_agent=True), self.fetch_command(), self.push_to())
        every, fetch, remotes = self._seen
        for point in every:
            if point.ref == ref or point.commit.startswith(commit):
                found = Whereabouts("here", point.commit, point.ref, fetch, point, remotes)
                found.root = str(self.root)
                return found
        parts = (ref or "").split("/")
        base = clone_id(self.common_dir)
        mine = None
        if ref and len(parts) == 6 and ref.startswith(f"{NAMESPACE}/"):
            mine = base is not None and (parts[4] == base or parts[4].startswith(f"{base}-"))
        if mine is None:
            # No ref recorded (an older Log line): a clone that never took one (no id),
            # or never gave this agent so high a number, did not take it: the one rule
            # for a commit found here too (a clone by path copies every object), never
            # "its ref is gone here" (issue 14, thirteenth round).
            number = number if number is not None else \
                int(parts[-1]) if digits(parts[-1]) else None
            if base is None or (number is not None and self.clone is not None and
                                max([self._last_number(), *self._numbers()]) < number):
                mine = False
        if re.fullmatch(r"[0-9a-f]{4,64}", commit):
            loose = self._unreferenced(commit)
            if loose is not None:
                found = Whereabouts("unreferenced", loose.commit, ref, fetch, loose, remotes)
                found.mine = mine
                found.root = str(self.root)
                return found
        found = Whereabouts("unknown" if mine is None else "collected" if mine else
                            "not-fetched", commit, ref, fetch, remotes=remotes)
        found.mine = mine
        found.root = str(self.root)
        return found

    def _unreferenced(self, text: str) -> Checkpoint | None:
        """The checkpoint whose commit ``text`` (4 to 64 hex digits) names when no ref
        holds it but the object store does (a clone by path copies every object; a
        deleted ref leaves its commit until ``git gc``): a commit whose message is a
        checkpoint's (its subject and ``AI-Protocols-Agent`` trailer). Its ``ref`` is
        then the commit's hash, its ``clone`` ``None``. ``None``: not one."""
        import re

        full = self._git("rev-parse", "-q", "--verify", f"{text}^{{commit}}",
                         ok=(0, 1, 128)).decode().strip()
        if not full:
            return None
        out = self._git("show", "-s", "--format=%P%x00%ct%x00%B", full)
        parents, when, message = out.decode("utf-8", "surrogateescape").split("\0", 2)
        subject = re.match(rf"{_SUBJECT} ([0-9]+)", message)
        agent = re.search(r"^AI-Protocols-Agent: (\S+)$", message, re.M)
        if subject is None or agent is None:
            return None
        found = _parse(b"\0".join(part.encode("utf-8", "surrogateescape") for part in (
            f"{NAMESPACE}/{agent.group(1)}/{subject.group(1)}", full, parents, when,
            message)))
        if found is not None:
            found.ref = full
        return found

    def previous(self, checkpoint: Checkpoint) -> Checkpoint | None:
        """The same agent's checkpoint before ``checkpoint`` in :func:`order`, whichever
        clone took it (a session paused in one clone and resumed in another carries on
        from the other's checkpoint); ``None``: it is the first."""
        mine = order(checkpoint)
        earlier = [c for c in self._refs(f"{NAMESPACE}/{checkpoint.agent}/")
                   if order(c) < mine]
        return max(earlier, key=order) if earlier else None

    def diff(self, old: str | None, new: str) -> list[tuple[str, str]]:
        """``(status, path)`` for each path that differs between the commits ``old``
        (``None``: nothing) and ``new``: ``A``dded, ``M``odified, ``D``eleted, ``T``ype."""
        if old is None:
            return [("A", path) for path in self._changed(None, new)]
        out = self._git("diff-tree", "-r", "-z", "--name-status", "--no-renames", old, new)
        fields = [f.decode("utf-8", "surrogateescape") for f in out.split(b"\0") if f]
        return list(zip(fields[0::2], fields[1::2], strict=False))

    def head(self) -> str | None:
        """``HEAD``'s commit, ``None`` before the first commit."""
        return self._read_head()[0]

    # -- putting one back ---------------------------------------------------------------

    def default_worktree(self, checkpoint: Checkpoint) -> Path:
        """Where ``restore`` puts a checkpoint by default: beside the work tree (beside
        the outermost superproject's, for a submodule), ``<top>-checkpoint-<agent>-<n>``
        (``<agent>-<clone>-<n>`` for another clone's; ``<short hash>`` for one no ref
        holds)."""
        other = f"{checkpoint.clone}-" if checkpoint.clone not in (None, self.clone) else ""
        if not checkpoint.ref.startswith("refs/"):  # (no ref holds it: named by its hash)
            return self._outermost().parent / f"{self.top.name}-checkpoint-{checkpoint.short}"
        return self._outermost().parent / (f"{self.top.name}-checkpoint-"
                                           f"{typed_agent(checkpoint.agent)}-{other}"
                                           f"{checkpoint.number}")

    def _outermost(self) -> Path:
        """The top of the outermost work tree this one is a submodule of (itself when
        none: git-rev-parse(1), ``--show-superproject-working-tree``, asked up the
        chain): a new worktree beside a submodule would be inside its superproject."""
        top = self.top
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        for _ in range(64):
            above = self._spawn("rev-parse", "--show-superproject-working-tree", cwd=top,
                                env=env).wait(ok=tuple(range(256))).decode(
                                    "utf-8", "surrogateescape").strip()
            if not above:
                break
            top = _path(above)
        return top

    def restore(self, checkpoint: Checkpoint, *, worktree: Path | None = None,
                branch: str | None = None, in_place: bool = False) -> Restored:
        """Put ``checkpoint``'s files back.

        By default into a new linked worktree (git-worktree(1)) at ``worktree`` (default
        :meth:`default_worktree`; refused inside this work tree or its git folder),
        whose ``HEAD`` is the commit the checkpoint was taken on (on a new ``branch``
        when given, else detached) and whose files are the checkpoint's, as uncommitted
        changes, as they were; a submodule's commit (its gitlink) as the checkpoint has
        it is staged in its index, its folder left empty for ``git submodule update
        --init`` (``submodules``).

        ``in_place``: into this work tree, leaving its ``HEAD``, branch and index as
        they are; every path is made as the checkpoint has it (written, or removed
        when the checkpoint lacks it) unless what the path holds now exists only in the
        work tree (not in ``HEAD``, the index, or any checkpoint): such a file is never
        overwritten (refused before anything is written) nor removed (``kept``). A
        submodule is moved to the checkpoint's commit (``git checkout --detach``) when
        it is checked out, clean and has that commit, else refused; its folder is never
        removed. The live session files are never written. Raises
        :class:`~ai_protocols.errors.CheckpointRefused` and
        :class:`~ai_protocols.errors.GitFailed`.
        """
        if in_place:
            return self._restore_here(checkpoint)
        target = _path(os.path.abspath(worktree or self.default_worktree(checkpoint)))
        if os.path.lexists(target):
            self._refuse_existing(target, checkpoint)
        self._refuse_nested(target, checkpoint)
        if branch is not None:
            self._check_branch(branch)
        if checkpoint.parent is not None and self.shallow and \
                not self.has_commit(checkpoint.parent):
            raise CheckpointRefused(str(target), f"the commit it was taken on, "
                                    f"{checkpoint.parent[:12]}, is past the history of this "
                                    "shallow clone (git clone --depth); fetch more of it with "
                                    "git fetch --deepen=N (or git fetch --unshallow), then "
                                    "run this again")
        base = checkpoint.parent or checkpoint.commit
        # Locked as git makes it (git-worktree(1) --lock: no moment without the lock),
        # with our reason: the mark of a restore under way, which the finished mark
        # RESTORED_MARK replaces; a worktree still locked so is one we left half way.
        args = ["worktree", "add", "-q", "--no-checkout", "--lock", "--reason", RESTORING]
        args += ["-b", branch] if branch else ["--detach"]
        self._clear_stale(target)
        self._git(*_NO_HOOKS, *args, str(target), base)
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        try:
            # Every file of the checkpoint, in a sparse checkout too (git worktree add
            # gives the new worktree this one's sparse patterns: the files outside them,
            # the tool's .ai/ among them, would not be written, and then not be there).
            self._git(*_WHOLE, "read-tree", "-u", "--reset", checkpoint.commit, cwd=target,
                      env=env)
        except GitFailed as error:  # (a smudge filter that fails): undone, and said so
            raise GitFailed(error.command, error.reason + self._undo_worktree(target, branch)
                            ) from None
        inside = self.worktrees_inside
        links = [(path, blob) for _, path, _, mode, blob in self._raw(None, checkpoint.commit)
                 if mode == _GITLINK and not self._in_worktree_inside(path, inside)]
        if checkpoint.parent is not None:
            self._git(*_WHOLE, "reset", "-q", "--no-refresh", cwd=target,
                      env=env)  # index = HEAD
            if links:  # a gitlink lives in the index only: the checkpoint's, staged
                self._git("update-index", "-z", "--index-info", cwd=target, env=env,
                          stdin=b"".join(f"{_GITLINK} {blob}\t".encode() + _b(path) + b"\0"
                                         for path, blob in links))
        copies = self._second_copies(target)
        _restored_mark(target, make=checkpoint.commit)  # the last step: a whole restore
        self._git("worktree", "unlock", str(target))
        registered = self._registered_submodules(checkpoint.commit) if links else set()
        done = Restored(checkpoint, target, branch,
                        submodules=[link for link in links if link[0] in registered])
        done.copies = copies
        # A nested repository (a gitlink no .gitmodules names: git add took an untracked
        # repository so) has no URL for submodule update; one whose commit was never
        # pushed cannot be fetched from its URL: both are taken from this checkout.
        done.unpushed = [(path, commit) for path, commit in links
                         if path not in registered or not self._pushed(path, commit)]
        return done

    def _second_copies(self, target: Path) -> list[tuple[str, str, str]]:
        """For each live session file of this project that the new worktree at
        ``target`` holds too (a checkpoint keeps them as the index has them: a session
        file committed comes along), whose session is the one live here (the same file
        at the same place in this work tree, of one session:
        :func:`~ai_protocols.session.layout.one_session`): the record a carry leaves
        made there, its kept copy's place a symbolic link to the file here, so that
        ``ai-protocols`` in that worktree says where the session is and refuses a write
        into the copy (:class:`~ai_protocols.errors.SessionCarried`, exit 6: a second
        live copy of one session, the one rule of a carried session's; issue 14,
        twenty-first round: ``log`` there wrote into it without a word). Returns
        ``(copy, live, record)`` of each, absolute paths. Reads the head of each pair
        (:func:`~ai_protocols.session.layout.head_of`)."""
        from ai_protocols.paths import CONTEXT_DIR, DEFAULT_CONTEXT
        from ai_protocols.session.layout import HEAD_BYTES, head_of, one_session
        from ai_protocols.session.names import kept_path

        ai = _path(os.path.relpath(self.root / AI_DIR, self.top))
        if ai.parts[:1] == ("..",):
            return []
        there, here = target / ai, self.root / AI_DIR
        names = [DEFAULT_CONTEXT]
        if os.path.isdir(there / CONTEXT_DIR):
            names += sorted(f"{CONTEXT_DIR}/{n}" for n in os.listdir(there / CONTEXT_DIR)
                            if n.endswith(".org") and not n.startswith("."))

        def heading(path: Path) -> dict[str, str] | None:
            try:
                with open(path, "rb") as source:
                    data = source.read(HEAD_BYTES)
            except OSError:
                return None
            found = head_of(data)  # (the one rule of a session head's read)
            return None if found is None else found.properties

        copies = []
        for name in names:
            copy, live = there / name, here / name
            if not copy.is_file() or copy.is_symlink() or not live.is_file() or \
                    live.is_symlink():
                continue
            mine, theirs = heading(copy), heading(live)
            if mine is None or theirs is None or not one_session(mine, theirs):
                continue
            record = kept_path(str(there), str(copy))
            if os.path.lexists(record):
                continue
            os.makedirs(os.path.dirname(record), exist_ok=True)
            os.symlink(str(live), record)
            copies.append((str(copy), str(live), record))
        return copies

    def _undo_worktree(self, target: Path, branch: str | None) -> str:
        """Remove the worktree at ``target`` a restore began (and the ``branch`` it made)
        after git failed writing its files: never a locked half-made worktree left
        behind. What was done, to add to git's reason."""
        self._spawn("worktree", "remove", "-f", "-f", str(target)).wait(ok=tuple(range(256)))
        if os.path.lexists(target):
            return ("; the worktree it began is left half made: remove it with git worktree "
                    f"remove -f -f {shell_quote(str(target))}")
        if branch is not None:
            self._spawn("branch", "-q", "-D", branch).wait(ok=tuple(range(256)))
        return ("; the worktree it began was removed" +
                (f", and its branch {branch}" if branch else "") + ": nothing was made")

    def _added(self, adding: _Git, env: dict[str, str]) -> None:
        """Wait for the checkpoint's ``git add -A``. When it failed only for untracked
        repositories with no commit checked out (``error: 'sub/' does not have a commit
        checked out``: git-add(1) records a nested repository as its commit, and there
        is none), add again without them, and keep their paths in
        :attr:`empty_repositories`."""
        try:
            adding.wait()
        except GitFailed as error:
            marker = "' does not have a commit checked out"
            empty = [part.rsplit("'", 1)[-1].rstrip("/") for part in error.reason.split(marker)
                     [:-1]]
            if not empty or any(not p or p.startswith("..") for p in empty):
                raise
            exclude = [f":(top,literal,exclude){p}" for p in empty]
            self._git(*add_all(self.git_dir_text),
                      *add_pathspec(self.session_paths, self.worktrees_inside), *exclude,
                      env=env)
            self.empty_repositories = empty
    def _registered_submodules(self, commit: str) -> set[str]:
        """The paths ``.gitmodules`` in ``commit``'s tree names as submodules
        (gitmodules(5): ``submodule.<name>.path``), read as git reads it."""
        found = self._git("config", "--blob", f"{commit}:.gitmodules", "-z", "--get-regexp",
                          r"^submodule\..*\.path$", ok=(0, 1, 128))
        paths = set()
        for item in found.split(b"\0"):
            _, _, value = item.partition(b"\n")
            if value:
                paths.add(value.decode("utf-8", "surrogateescape"))
        return paths

    def _pushed(self, path: str, commit: str) -> bool:
        """Whether the submodule checked out here at ``path`` has ``commit`` on one of
        its remote-tracking branches (``git for-each-ref --contains``): else it was
        likely never pushed, and ``git submodule update`` in a new worktree, which
        fetches from the submodule's URL, cannot get it. ``True`` when not known (no
        checkout here)."""
        where = self.top / path
        if not os.path.lexists(where / ".git"):
            return True
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        run = self._spawn("for-each-ref", "--count=1", "--contains", commit,
                          "--format=%(refname)", "refs/remotes", cwd=where, env=env)
        try:
            return bool(run.wait().strip())
        except GitFailed:  # (the commit is not there either)
            return True

    def nested_repositories(self, checkpoint: Checkpoint) -> list[str]:
        """The paths ``checkpoint`` holds as a gitlink (a commit only, not its files)
        that the user's index does not know as a submodule: untracked git repositories
        inside the work tree, which ``git add -A`` takes so (git-add(1), "embedded
        repository")."""
        top = self.top_text
        folders = [p for p in checkpoint.changed if os.path.isdir(os.path.join(top, p))
                   and not os.path.islink(os.path.join(top, p))]
        if not folders:
            return []
        # Only what the checkpoint holds as a gitlink (mode 160000, git-ls-tree(1)): a
        # tracked file replaced by a plain folder is a changed path that is a folder
        # too, and the checkpoint holds that folder's files (issue 14, ninth review).
        held = self._git("ls-tree", "-z", checkpoint.commit, "--",
                         *(f":(top,literal){p}" for p in folders))
        links = {_s(item.partition(b"\t")[2]) for item in held.split(b"\0")
                 if item.startswith(_GITLINK.encode())}
        folders = [p for p in folders if p in links]
        if not folders:
            return []
        out = self._git("ls-files", "-s", "-z", "--", *(f":(top,literal){p}" for p in folders))
        known = {_s(item.partition(b"\t")[2]) for item in out.split(b"\0")
                 if item.startswith(_GITLINK.encode())}
        return [p for p in folders if p not in known]

    def dirty_submodules(self) -> list[str]:
        """The submodules (paths from the top) with uncommitted changes or untracked files
        inside them, which a checkpoint leaves out: it holds each submodule's commit
        only. ``git status --porcelain=v2``'s submodule field (git-status(1): ``S``,
        then ``M`` tracked changes, ``U`` untracked files), asked only of the
        submodules the index knows, and only when ``.gitmodules`` exists."""
        if not os.path.exists(os.path.join(self.top_text, ".gitmodules")):
            return []
        listed = self._git("ls-files", "-s", "-z")
        links = [_s(item.partition(b"\t")[2]) for item in listed.split(b"\0")
                 if item.startswith(_GITLINK.encode())]
        if not links:
            return []
        out = self._git("status", "--porcelain=v2", "-z", "--ignore-submodules=none",
                        "--", *(f":(top,literal){p}" for p in links))
        found, records, at = [], out.split(b"\0"), 0
        while at < len(records):
            record = records[at]
            at += 1
            if record[:2] not in (b"1 ", b"2 "):
                continue
            fields = record.split(b" ", 9 if record[:1] == b"2" else 8)
            sub = fields[2]
            if record[:1] == b"2":
                at += 1  # (the original path follows)
            if sub[:1] == b"S" and (sub[2:3] == b"M" or sub[3:4] == b"U"):
                found.append(_s(fields[-1]))
        return found

    def _refuse_existing(self, target: Path, checkpoint: Checkpoint | None = None) -> None:
        """Refuse to restore into ``target``, which exists, unless it is an empty folder
        that is no worktree (git-worktree(1) ``add`` takes one so). Only a worktree a
        restore of ours demonstrably left half way (still locked with the reason
        :data:`RESTORING`) gets the advice to remove it; any other folder or worktree
        (a person's, the main work tree) may hold work. One a restore of ``checkpoint``
        itself made is said so: its work is there already (issue 14, twenty-first
        round)."""
        listed = self._worktrees()
        real = _real(target)
        if real in listed:
            if listed[real] == RESTORING:
                raise CheckpointRefused(str(target), "it exists already, as a worktree a "
                                        "restore stopped half way left: remove it with git "
                                        "worktree remove -f -f "
                                        f"{shell_quote(str(target))}, or give another "
                                        "folder (--worktree)")
            if checkpoint is not None and \
                    restored_commit(str(target)) == checkpoint.commit:
                raise CheckpointRefused(str(target), "it exists already, as the worktree a "
                                        "restore of this very checkpoint made: its files are "
                                        "there, with any work done there since (git -C "
                                        f"{shell_quote(str(target))} status; removing it "
                                        "deletes its files); give another "
                                        "folder (--worktree) for a second copy, or restore it "
                                        "into this work tree with --force")
            if _restored_mark(target):
                raise CheckpointRefused(str(target), "it exists already, as a worktree a "
                                        "restore made (it may hold work done there since: "
                                        "removing it deletes its files); give another "
                                        "folder (--worktree)")
            raise CheckpointRefused(str(target), "it exists already, as a worktree (it may "
                                    "hold work); give another folder (--worktree)")
        if os.path.isdir(target) and not os.path.islink(target) and not os.listdir(target):
            return
        raise CheckpointRefused(str(target), "it exists already; give another folder "
                                "(--worktree)")

    def _clear_stale(self, target: Path) -> None:
        """Before a restore makes a worktree at ``target`` (which does not exist): when git
        still has a worktree registered there, its folder removed without ``git worktree
        remove`` (``rm -rf``; git-worktree(1): "prunable"), clear that one registration
        (``git worktree remove -f -f``; never ``git worktree prune``, which would clear
        every missing one) when a restore made it (its git folder holds
        :data:`RESTORED_MARK`, or its lock is :data:`RESTORING`: the tool's own copy of
        a checkpoint, which the checkpoint still holds); else raise
        :class:`~ai_protocols.errors.CheckpointRefused`: a person's worktree whose
        folder is missing may be on a drive not mounted now (issue 14, twenty-second
        round: git's raw refusal, exit 14, was all that was said). Reads the
        registrations' files (gitrepository-layout(5), ``worktrees/<id>/gitdir``); a
        git run only to clear one."""
        found = self._registered_at(target)
        if found is None:
            return
        try:
            with open(os.path.join(found, "locked"), encoding="utf-8",
                      errors="replace") as lock:
                reason: str | None = lock.read().strip()
        except OSError:
            reason = None
        if reason == RESTORING or os.path.exists(os.path.join(found, RESTORED_MARK)):
            self._git("worktree", "remove", "-f", "-f", str(target))
            return
        quoted = shell_quote(str(target))
        raise CheckpointRefused(str(target), "git has a worktree registered at this folder, "
                                "whose folder is missing (removed without git worktree "
                                "remove, or on a drive not mounted now; no restore made "
                                "it); give another folder (--worktree), or, if it is gone "
                                "for good, clear its registration with git worktree remove "
                                f"-f -f {quoted} (from {self.top}), then run this again")

    def _registered_at(self, target: Path) -> str | None:
        """The git folder (``$GIT_COMMON_DIR/worktrees/<id>``) of the worktree git has
        registered at ``target``, whose ``gitdir`` file names ``target/.git``; ``None``
        when there is none. Where each really is counts (:func:`_real`)."""
        home = os.path.join(self.common_dir, "worktrees")
        try:
            names = os.listdir(home)
        except OSError:
            return None
        wanted = _real(target / ".git")
        for name in names:
            try:
                with open(os.path.join(home, name, "gitdir"), "rb") as source:
                    named = _s(source.read(4096).strip())
            except OSError:
                continue
            if named and os.path.isabs(named) and _real(_path(named)) == wanted:
                return os.path.join(home, name)
        return None

    def _worktrees(self) -> dict[str, str | None]:
        """Each worktree of this repository (``git worktree list --porcelain``,
        git-worktree(1)), where it really is, with its lock's reason (``""``: locked
        without one; ``None``: not locked)."""
        from ai_protocols.git.state import worktree_list

        out = self._git("worktree", "list", "--porcelain", "-z", ok=tuple(range(256)))
        return {_real(_path(path)): locked for path, _, locked in worktree_list(out)}

    def _refuse_nested(self, target: Path, checkpoint: Checkpoint) -> None:
        """Refuse a new worktree inside this work tree or its git folders: git would
        make it (git-worktree(1) does not check), and the next ``git add -A`` (a
        checkpoint's, or the user's) would record it as a submodule's gitlink. Links are
        followed: where the folder would really be is what counts."""
        real = _real(target)
        for folder, what in ((self.top, "this work tree"), (self.git_dir, "its git folder"),
                             (self.common_dir, "its git folder")):
            inside = os.path.realpath(folder)
            if real == inside or real.startswith(inside.rstrip(os.sep) + os.sep):
                raise CheckpointRefused(
                    str(target), f"it is inside {what} ({inside}): a worktree there would "
                    "be taken into the next git add -A and commit of this work tree, as a "
                    "submodule; give "
                    "--worktree a folder outside it (one beside it that does not exist "
                    f"yet: {self._free_beside(checkpoint)})")

    def _free_beside(self, checkpoint: Checkpoint) -> Path:
        """The default worktree of ``checkpoint`` (:meth:`default_worktree`) when nothing
        is there yet, else the first of ``NAME-2``, ``NAME-3``... beside it that does not
        exist: a folder a refusal can suggest that ``restore`` will take."""
        default = self.default_worktree(checkpoint)
        found, count = default, 1
        while os.path.lexists(found) and count < 1000:
            count += 1
            found = default.with_name(f"{default.name}-{count}")
        return found

    def _refuse_taken(self, target: Path, checkpoint: Checkpoint) -> None:
        """Refuse an export ``target`` inside this work tree that git does not ignore
        (git-check-ignore(1)): the next checkpoint (and the user's next ``git add -A``)
        would take the tarball as uncommitted work, as :meth:`_refuse_nested` refuses a
        worktree there (issue 14, fifteenth round). Inside the git folder, or ignored,
        nothing takes it: written. Links are followed. One git run, only inside."""
        real, top = _real(target), os.path.realpath(self.top)
        if not real.startswith(top.rstrip(os.sep) + os.sep):
            return
        for folder in (self.git_dir, self.common_dir):
            inside = os.path.realpath(folder)
            if real.startswith(inside.rstrip(os.sep) + os.sep):
                return
        path = os.path.relpath(real, top)
        if self._git("check-ignore", "--no-index", "--", path, cwd=_path(top),
                     ok=(0, 1)).strip():
            return  # (ignored: git add -A and a checkpoint leave it out)
        beside = self.default_worktree(checkpoint)
        raise CheckpointRefused(
            str(target), f"it is inside this work tree ({top}) and git does not ignore "
            "it: the next checkpoint, and git add -A, would take the tarball as work; give "
            f"a FILE outside the work tree (for example {beside}.tar.gz), or ignore it "
            "first (a line in .gitignore or .git/info/exclude)", "export")

    def branch_problem(self, branch: str) -> str | None:
        """Why ``branch`` cannot name a new branch (``None``: it can): git's rules
        (git-check-ref-format(1) ``--branch``, which also refuses a leading ``-``), and
        never a full ref name (``refs/heads/foo`` would make a branch literally named
        so) nor a shorthand git expands (``@{-1}``)."""
        if branch.startswith("-"):
            return "a branch name cannot start with '-'"
        if branch.startswith("refs/"):
            return (f"give the branch's own name, without refs/... (as in "
                    f"{branch.rsplit('/', 1)[-1]}), not a full ref name")
        out = self._git("check-ref-format", "--branch", branch, ok=tuple(range(256)))
        if out.decode("utf-8", "surrogateescape").strip() != branch:
            return ("it is not a valid branch name (git check-ref-format --branch: no "
                    "'..', no space, ~, ^, :, ?, *, [ or \\, no '@{', no part starting "
                    "with '.' or ending with '.lock')")
        return None

    def _check_branch(self, branch: str) -> None:
        problem = self.branch_problem(branch)
        if problem is not None:
            raise CheckpointRefused(f"branch {branch}", problem)
        exists = self._git("rev-parse", "-q", "--verify", f"refs/heads/{branch}", ok=(0, 1))
        if exists.strip():
            raise CheckpointRefused(f"branch {branch}", "that branch exists already; give "
                                    "another name")

    def _raw(self, old: str | None, new: str) -> list[tuple[str, str, str, str, str]]:
        """``(status, path, old mode, new mode, new object)`` for each path that differs
        between the commits or trees ``old`` (``None``: nothing) and ``new``
        (git-diff-tree(1), "Raw output format"); a deleted path's new object is zeros."""
        if old is None:
            out = self._git("ls-tree", "-r", "-z", "--full-tree", new)
            found = []
            for item in out.split(b"\0"):
                if item:
                    info, _, path = item.partition(b"\t")
                    mode, _, blob = info.decode().split(" ")
                    found.append(("A", _s(path), "000000", mode, blob))
            return found
        return _raw_records(self._git("diff-tree", "-r", "-z", "--raw", "--no-renames", old,
                                      new))

    def _held(self, blobs: dict[str, str], index: bool = True) -> dict[str, list[str]]:
        """Where each of the paths' objects (``blobs``: path to hash) is kept elsewhere
        than the work tree: ``":0"`` (the index at that path; not asked when ``index``
        is false) and the commits of the checkpoints (any agent's) that hold it at that
        path; a path kept nowhere is left out. One ``git cat-file --batch-check -z`` run
        (git-cat-file(1))."""
        if not blobs:
            return {}
        commits = [c.commit for c in self.list(every_agent=True)]
        asked = [(path, where, f"{where}:{path}") for path in blobs
                 for where in ((":0",) * index + tuple(commits))]
        out = self._git("cat-file", "--batch-check=%(objectname)", "-z",
                        stdin=b"".join(_b(name) + b"\0" for _, _, name in asked))
        held: dict[str, list[str]] = {}
        at = 0
        for path, where, name in asked:  # one answer each, in order: a hash, or "missing"
            missing = _b(name) + b" missing\n"
            if out.startswith(missing, at):
                at += len(missing)
                continue
            answer, at = out[at:out.index(b"\n", at)].decode(), out.index(b"\n", at) + 1
            if answer == blobs[path]:
                held.setdefault(path, []).append(where)
        return held

    def _restore_here(self, checkpoint: Checkpoint) -> Restored:
        temp = self._temp_index()
        head = self.head()
        # What your index holds that HEAD does not (what is staged), read before the
        # snapshot, at the same time as it.
        staged = self._spawn(*(("diff-index", "--cached", "-z", "--raw", "--no-renames", head)
                               if head else ("ls-files", "-s", "-z")))
        try:
            try:
                now = self._snapshot(temp)  # the work tree, in the temporary index
            finally:
                listing = staged.wait()
            # What the work tree holds that HEAD does not (a deletion holds nothing).
            here = {path: (mode, blob) for status, path, _, mode, blob in self._raw(head, now)
                    if status != "D" and mode != _GITLINK}
            uncommitted = {path: blob for path, (_, blob) in here.items()}
            every = self._raw(now, checkpoint.commit)
            # The tool's own files (every .ai/ folder: the scaffold, the board, the
            # archives, the locks, the session files) are never written nor removed.
            # A linked worktree of this repository inside the work tree (a checkpoint
            # taken before they were left out may hold it as a gitlink) is another
            # checkout, never touched.
            inside = self.worktrees_inside
            every = [c for c in every if not self._in_worktree_inside(c[1], inside)]
            changes = [c for c in every if not is_tool_path(c[1], self.tool_folders)]
            tool = [c[1] for c in every if is_tool_path(c[1], self.tool_folders)]
            places = self._held({p: uncommitted[p] for _, p, *_ in changes
                                 if p in uncommitted})
            mode_only = self._mode_only_here(head, now, places)
            only_here = set(uncommitted) - (set(places) - mode_only)  # lost if overwritten
            kept, touched, links, refused = [], [], [], []
            for status, path, old_mode, new_mode, blob in changes:
                if _GITLINK in (old_mode, new_mode):
                    if status == "D":
                        kept.append(path)  # a submodule's folder: its own repository
                    else:
                        refused += self._submodule_refusal(path, status, old_mode, blob)
                        links.append((path, blob))
                elif status == "D" and path in only_here:
                    kept.append(path)
                else:
                    touched.append((status, path))
            outside = self._outside_sparse([p for _, p in touched])
            touched = [(s, p) for s, p in touched if p not in outside]
            written = [p for s, p in touched if s != "D"]
            removed = {p for s, p in touched if s == "D" and p not in only_here}
            clash = sorted({p for _, p in touched if p in only_here} |
                           set(self._in_the_way(written, {p for s, p in touched if s == "A"},
                                                removed)) |
                           # a path kept (its content is here alone) where a folder goes
                           {k for k in kept if any(w.startswith(k + "/") for w in written)})
            if clash:
                shown = _first_five(clash)
                chmod = [p for p in clash if p in mode_only]
                said = (f" (of {_first_five(chmod)} only the file mode, a chmod, is not "
                        "kept elsewhere: its content is)") if chmod else ""
                raise CheckpointRefused(
                    str(self.top), f"it would overwrite uncommitted, untracked or ignored "
                    f"work in {shown}{said}; keep it first: take a checkpoint (ai-protocols "
                    "checkpoint), which records it (but a file git ignores: move that), or "
                    "commit or move it; then restore again (or restore into a new worktree, "
                    "without --force)")
            if refused:
                raise CheckpointRefused(str(self.top), "; ".join(refused))
            self._refuse_staged(head, listing, [p for _, p in touched], here)
            self._refuse_edited([p for s, p in touched if s != "D"],
                                [p for s, p in touched if s == "D"])
            self._check_filters(checkpoint.commit, written)
            entries = {path: (mode, blob) for status, path, _, mode, blob in changes}
            meanwhile = self._write_checked(temp, [(p, None if s == "D" else entries[p])
                                                   for s, p in touched])
            touched = [(s, p) for s, p in touched if p not in meanwhile]
            for path, commit in links:
                self._git(*_NO_HOOKS, "checkout", "-q", "--detach", commit,
                          cwd=self.top / path,
                          env={k: v for k, v in self._env.items()
                               if k not in ("GIT_DIR", "GIT_WORK_TREE")})
        finally:
            _unlink(temp)
            _unlink(f"{temp}.lock")
        done = Restored(checkpoint, self.top, None, [p for _, p in touched] +
                        [p for p, _ in links], kept, links)
        done.left = tool
        done.changed = meanwhile
        done.sparse = sorted(outside)
        if checkpoint.parent != head:  # taken on another commit: HEAD's files removed too
            done.elsewhere = (checkpoint.parent, head)
            done.committed_removed = [p for s, p in touched if s == "D" and p not in uncommitted]
        return done

    def _outside_sparse(self, paths: list[str]) -> set[str]:
        """Which of ``paths`` (relative to the top) a sparse checkout leaves out of the
        work tree: marked skip-worktree in your index (``git ls-files -t``, tag ``S``,
        git-ls-files(1)) and not there. A restore in place leaves them as your index has
        them: it never checks out what the sparse checkout's definition leaves out
        (docs/checkpoints.md). Outside a sparse checkout (:func:`sparse_checkout`),
        nothing, and no git run."""
        if not paths or not sparse_checkout(self.git_dir):
            return set()
        wanted = set(paths)
        found = set()
        for item in self._git("ls-files", "-t", "-z").split(b"\0"):
            if item[:2] == b"S " and (path := _s(item[2:])) in wanted and \
                    not os.path.lexists(self.top / path):
                found.add(path)
        return found

    def _refuse_staged(self, head: str | None, listing: bytes, paths: list[str],
                       here: dict[str, tuple[str, str]]) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when one of
        ``paths`` (relative to the top: those the restore would write or remove) holds
        work that only your index keeps: staged (``listing``: ``git diff-index --cached
        --raw -z`` against ``head``, or ``git ls-files -s -z`` before the first commit),
        in ``HEAD`` at no path and in no checkpoint at that path (with that content, and
        that file mode when the staging changed it). Such work is uncommitted: the index
        keeps it through the restore, but the next ``git add -A`` (or ``git commit -a``)
        drops it for the restored file (docs/decisions.md, "Issue 14, seventeenth round
        (restore, sparse checkouts, pause)"). The advice is one that works when followed
        (``here``: the work tree's ``(mode, hash)`` at each path that differs from
        ``HEAD``): where the work tree holds what is staged, a checkpoint (it records the
        work tree) or a commit; where it does not, a checkpoint would record the work
        tree's text, not the index's, so what is staged is set aside in a patch in the git
        folder and unstaged (``git diff --cached --binary``, ``git restore --staged``;
        ``git apply --cached`` stages it again), with a checkpoint first when some other
        path's work tree is what is staged (unstaged, it would be kept nowhere else)
        (docs/decisions.md, "Issue 14, eighteenth round (restore)")."""
        touched = set(paths)
        staged: dict[str, str] = {}
        modes: dict[str, str] = {}
        entries: dict[str, tuple[str, str]] = {}
        if head:
            for status, path, old_mode, new_mode, blob in _raw_records(listing):
                if path in touched and status[:1] in ("A", "M", "T") and \
                        new_mode != _GITLINK:
                    staged[path], entries[path] = blob, (new_mode, blob)
                    if status[:1] != "A" and old_mode != new_mode:
                        modes[path] = new_mode
        else:  # "MODE HASH STAGE" TAB PATH, git-ls-files(1)
            for item in listing.split(b"\0"):
                info, _, path = item.partition(b"\t")
                if item and _s(path) in touched:
                    mode, blob, stage = info.decode().split(" ")
                    if stage == "0" and mode != _GITLINK:
                        staged[_s(path)], entries[_s(path)] = blob, (mode, blob)
        if not staged:
            return
        held = self._held(staged, index=False)
        lost = sorted(set(staged) - (set(held) - self._modes_not_kept(modes, held)))
        if not lost:
            return
        said = (f"the work staged (git add) in {_first_five(lost)} is in no commit or "
                "checkpoint, only in your index, and the restore would overwrite or remove "
                "those files, so your next git add -A would drop it; keep it first: ")
        then = "; then restore again (or restore into a new worktree, without --force)"
        apart = [p for p in lost if here.get(p) != entries[p]]
        if not apart:  # (the work tree holds what is staged: a checkpoint records it)
            raise CheckpointRefused(
                str(self.top), f"{said}take a checkpoint (ai-protocols checkpoint), which "
                "records it (the work tree holds what is staged there), or commit it (git "
                f"commit){then}")
        top = shell_quote(str(self.top))
        named = " ".join(shell_quote(literal_pathspec(p)) for p in lost)
        patch = self.git_dir / "ai-protocols-staged.patch"
        count = 1
        while os.path.lexists(patch) and count < 1000:
            count += 1
            patch = self.git_dir / f"ai-protocols-staged-{count}.patch"
        aside = shell_quote(str(patch))
        first = "ai-protocols checkpoint && " if len(apart) < len(lost) else ""
        raise CheckpointRefused(
            str(self.top), f"{said}a checkpoint alone would not keep it (it records the work "
            f"tree, which differs from the index at {_first_five(apart)}), nor would a bare "
            f"git stash pop bring it back; set what is staged aside with: {first}git -C "
            f"{top} diff --cached --binary -- {named} > {aside} && git -C {top} restore "
            f"--staged -- {named} (after the restore, git -C {top} apply --cached {aside} "
            f"stages it again){then}")

    def _write_checked(self, temp: str,
                       items: list[tuple[str, tuple[str, str] | None]]) -> list[str]:
        """Make each path of ``items`` (relative to the top; ``(mode, hash)`` to write,
        ``None`` to remove) as given, each only if the work tree still holds there what
        the snapshot saw; return the paths left as they are because they changed since.

        The snapshot is the temporary index ``temp``: ``git add -A`` left in it each
        file's stat data as it read the file (``git ls-files --debug``,
        git-ls-files(1)); a path it did not hold (or holds skip-worktree: not in the work
        tree) was absent. Each path is looked at (``lstat``: ctime, mtime, inode, size)
        just before it is written or removed: a file saved since (in an editor, by
        another program) is left, and so is a file made since where there was none. The
        files are first written by git into a folder of the git folder (``git
        checkout-index --prefix``: filters, line endings, modes and symbolic links as a
        checkout writes them; a killed run's folder is removed by the next run, never
        left in the work tree), then each is renamed over its path, so the moment
        between the look and the write is one rename (a copy beside it first, when the
        git folder is on another file system). Removals go first (with the folders they
        leave empty), so that a folder that goes where a file went, or a file where a
        folder went, has its place. No hook runs. Raises
        :class:`~ai_protocols.errors.GitFailed`."""
        place = _path(f"{temp}.target")
        staging = _path(f"{temp}.files")
        env = temp_index_env(self._env, str(place))
        written = [(p, entry) for p, entry in items if entry is not None]
        try:
            if written:
                _discard(staging)  # (a killed run's, whose number this process now has)
                os.makedirs(staging)
                self._git("read-tree", "--empty", env=env)
                self._git("update-index", "-z", "--index-info", env=env,
                          stdin=b"".join(f"{mode} {blob} 0\t".encode() + _b(p) + b"\0"
                                         for p, (mode, blob) in written))
                self._git(*_NO_HOOKS, "checkout-index", f"--prefix={staging}/", "-z",
                          "--stdin", env=env,
                          stdin=b"".join(_b(p) + b"\0" for p, _ in written))
            seen = self._looked(temp)
            changed: list[str] = []
            for path, entry in sorted(items, key=lambda item: item[1] is not None):
                where = self.top / path
                if not _as_seen(where, seen.get(path)):
                    changed.append(path)
                    continue
                if entry is None:
                    where.unlink(missing_ok=True)
                    self._prune(_path(path).parent)
                    continue
                if os.path.isdir(where) and not os.path.islink(where):
                    try:
                        os.rmdir(where)  # (emptied by the removals: the restore checked it)
                    except OSError:  # (a file made in it since)
                        changed.append(path)
                        continue
                os.makedirs(where.parent, exist_ok=True)
                _move(staging / path, where)
            return changed
        finally:
            _discard(staging)
            place.unlink(missing_ok=True)
            _path(f"{place}.lock").unlink(missing_ok=True)

    def _looked(self, temp: str) -> dict[str, tuple[int, ...] | None]:
        """The stat data (ctime and mtime in nanoseconds, inode, size) the temporary
        index ``temp`` holds of each path, ``None`` for one marked skip-worktree (not
        in the work tree: a sparse checkout's); git-ls-files(1), ``--debug -z``: each
        name, then five lines."""
        out = self._git("ls-files", "--debug", "-z", env=temp_index_env(self._env, str(temp)))
        seen: dict[str, tuple[int, ...] | None] = {}
        items = out.split(b"\0")
        name = items[0]
        for item in items[1:]:
            lines = item.split(b"\n", 5)
            if len(lines) < 6:
                break
            fields = {k.strip(): v.strip() for line in lines[:5]
                      for part in line.split(b"\t") for k, _, v in [part.partition(b":")]}
            ctime, mtime = (tuple(int(x) for x in fields[k].split(b":"))
                            for k in (b"ctime", b"mtime"))
            skip = int(fields[b"flags"], 16) & _SKIP_WORKTREE
            seen[_s(name)] = None if skip else (
                ctime[0] * 10**9 + ctime[1], mtime[0] * 10**9 + mtime[1],
                int(fields[b"ino"]), int(fields[b"size"]))
            name = lines[5]
        return seen

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` (relative to the top) and the folders above it while they
        are empty, as git does when it removes a file."""
        while folder.parts:
            try:
                os.rmdir(self.top / folder)
            except OSError:
                return
            folder = folder.parent

    def _edited_in_emacs(self, paths: list[str]) -> list[str]:
        """Which of ``paths`` (relative to the top) a buffer in Emacs holds unsaved
        changes to: a live lock ``.#NAME`` beside it
        (:func:`~ai_protocols.org.emacs_lock.live_emacs_lock`: a lock of a process on
        this host that is gone, or from before the last boot, is stale; one ``readlink``
        a path). The one rule of ``restore --force``'s refusal and ``checkpoint``'s
        warning."""
        from ai_protocols.org.emacs_lock import live_emacs_lock

        top = self.top_text
        return [p for p in paths if live_emacs_lock(os.path.join(top, p)) is not None]

    def start_unsaved_search(self) -> _Git:
        """Start the ``git status`` run :meth:`unsaved_in_emacs` reads (alongside the
        checkpoint's own git runs: it writes nothing)."""
        return self._spawn("--no-optional-locks", "status", "--porcelain", "-z",
                           "--ignored=matching", "--untracked-files=all", "--",
                           ":(top,glob)**/.#*")

    def unsaved_in_emacs(self, started: _Git | None = None) -> list[str]:
        """The work files (paths from the top, outside the tool's ``.ai/`` folders) an
        Emacs buffer holds unsaved changes to (:meth:`_edited_in_emacs`): a checkpoint
        leaves Emacs's own files out, so it holds such a file as it is on disk, without
        what was typed since (docs/checkpoints.md). The locks are found by one ``git
        status`` run limited to lock names (``.#*``), ignored ones too
        (``--ignored=matching``: an ignored folder is not walked), without taking
        git's optional index lock (git(1), ``--no-optional-locks``): the index is
        never written; ``started``: that run, begun by :meth:`start_unsaved_search`.
        Raises :class:`~ai_protocols.errors.GitFailed`."""
        out = (started or self.start_unsaved_search()).wait()
        files = []
        for item in out.split(b"\0"):
            if item[:3] in (b"?? ", b"!! ") and not item.endswith(b"/"):
                folder, _, name = _s(item[3:]).rpartition("/")
                work = f"{folder}/{name[2:]}" if folder else name[2:]
                if name[2:] and not is_tool_path(work, self.tool_folders):
                    files.append(work)
        return self._edited_in_emacs(files)

    def _refuse_edited(self, paths: list[str], removed: list[str] | None = None) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when a person
        edits one of ``paths`` (relative to the top: the files the restore would write)
        or ``removed`` (those it would remove) in Emacs, the refusal saying which it
        would do: a live lock ``.#NAME`` beside it
        (:func:`~ai_protocols.org.emacs_lock.live_emacs_lock`, one ``readlink`` a file)
        means a buffer with unsaved changes, uncommitted work the snapshot does not
        hold, and the person's next save would undo the restore of that file
        (docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)")."""
        edited, gone = self._edited_in_emacs(paths), self._edited_in_emacs(removed or [])
        if edited or gone:
            said = " and ".join(
                [f"{_first_five(edited)}, which the restore would write"] * bool(edited) +
                [f"{_first_five(gone)}, which the restore would remove"] * bool(gone))
            raise CheckpointRefused(
                str(self.top), f"a buffer in Emacs holds unsaved changes to {said}; save or "
                "revert it in Emacs first (or restore into a new worktree, without --force)")

    def _check_filters(self, commit: str, paths: list[str]) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when the
        smudge filter ``.gitattributes`` sets on one of ``paths`` (gitattributes(5),
        ``filter``) fails on the checkpoint's ``commit``'s file: ``git checkout`` removes
        a file before it writes it, so a filter that fails then leaves it deleted. Each
        such file is run through its filters first (``git cat-file --filters``,
        git-cat-file(1)), as the checkout would write it."""
        if not paths:
            return
        out = self._git("check-attr", "-z", "--stdin", "filter",
                        stdin=b"".join(_b(p) + b"\0" for p in paths))
        fields = out.split(b"\0")
        filtered = [_s(path) for path, _, value in zip(fields[0::3], fields[1::3],
                                                       fields[2::3], strict=False)
                    if value not in (b"unspecified", b"unset", b"")]
        # One run per file (git 2.39's --batch --filters asks a path it was given),
        # eight at a time.
        for at in range(0, len(filtered), 8):
            runs = [self._spawn("cat-file", "--filters", f"{commit}:{p}")
                    for p in filtered[at:at + 8]]
            failed = None
            for run in runs:
                try:
                    run.wait()
                except GitFailed as error:
                    failed = failed or error
            if failed is not None:
                raise CheckpointRefused(
                    str(self.top), f"a filter failed on a file it would write "
                    f"({failed.reason}); no file was written or removed") from None

    def _mode_only_here(self, head: str | None, now: str,
                        held: dict[str, list[str]]) -> set[str]:
        """Which of the paths whose content is kept elsewhere (``held``, from
        :meth:`_held`: path to the places holding it) have in the work tree (the tree
        ``now``) a file mode (a ``chmod +x``) that ``HEAD`` has not, and that none of
        those places (the index, a checkpoint) has with that content: a change the work
        tree alone holds, as content can be, judged by the same rule (docs/decisions.md,
        "Issue 14, sixteenth round (git)")."""
        if head is None or not held:
            return set()
        return self._modes_not_kept(
            {path: mode for status, path, old, mode, _ in self._raw(head, now)
             if status == "M" and old != mode and mode != _GITLINK and path in held}, held)

    def _modes_not_kept(self, changed: dict[str, str],
                        held: dict[str, list[str]]) -> set[str]:
        """Which of ``changed`` (path to the file mode it has now, one ``HEAD`` has not)
        none of the places holding its content (``held``, from :meth:`_held`) has with
        that mode."""
        if not changed:
            return set()
        asked: dict[str, list[str]] = {}
        for path in changed:
            for where in held[path]:
                asked.setdefault(where, []).append(path)
        kept = set()
        places = list(asked.items())
        for at in range(0, len(places), 8):  # eight runs at a time
            runs = [self._spawn(*(("ls-files", "-s", "-z") if where == ":0" else
                                  ("ls-tree", "-z", "--full-tree", where)), "--",
                                *(f":(top,literal){p}" if where == ":0" else p for p in paths))
                    for where, paths in places[at:at + 8]]
            for run in runs:  # "MODE SP ... TAB PATH", both formats (a stage, a type)
                for item in run.wait().split(b"\0"):
                    info, _, path = item.partition(b"\t")
                    if item and info.decode().split(" ")[0] == changed.get(_s(path)):
                        kept.add(_s(path))
        return set(changed) - kept

    def _submodule_refusal(self, path: str, status: str, old_mode: str,
                           commit: str) -> list[str]:
        """Why the submodule at ``path`` cannot be moved to ``commit`` in place (``[]``:
        it can): it is not checked out here, has uncommitted changes, or lacks it."""
        where = self.top / path
        if status != "M" or old_mode != _GITLINK:
            return [f"{path} is a submodule in the checkpoint and not here (or the other "
                    "way round); restore into a new worktree (without --force)"]
        if not os.path.lexists(where / ".git"):
            # (git -C TOP: the path is git's, from the top, wherever it is pasted; issue
            # 14, twenty-first round)
            return [f"the submodule {path} is not checked out here; run git -C "
                    f"{shell_quote(str(self.top))} submodule update --init -- "
                    f"{shell_quote(path)} first, or restore into a new worktree"]
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        if self._spawn("status", "--porcelain", cwd=where, env=env).wait().strip():
            return [f"the submodule {path} has uncommitted changes; commit or stash them "
                    "there first"]
        probe = self._spawn("rev-parse", "-q", "--verify", f"{commit}^{{commit}}", cwd=where,
                            env=env).wait(ok=(0, 1, 128))
        if not probe.strip():
            return [f"the submodule {path} does not have the commit {commit[:12]}; fetch it "
                    f"there first (git -C {shell_quote(str(where))} fetch)"]
        return []

    def _in_the_way(self, written: list[str], added: set[str],
                    removed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
        """What restoring ``written`` into this work tree would destroy that the
        snapshot does not hold: a file (ignored, or untracked) where an ``added`` one
        goes, a folder where a file goes, a file where a folder goes. ``removed``: the
        files the restore removes first (their content is held elsewhere): a folder
        holding only those, or such a file, is not in the way."""
        found = []
        for path in written:
            # The folders above first: a symbolic link or a file where a folder goes is
            # in the way itself (unless removed first), and what lies beyond a symbolic
            # link is no file of this work tree (never judged through it).
            parent, beyond = _path(path).parent, False
            while parent.parts:
                where = self.top / parent
                if os.path.lexists(where) and (os.path.islink(where) or
                                               not os.path.isdir(where)):
                    if parent.as_posix() not in removed:
                        found.append(parent.as_posix())  # a file where a folder goes
                    beyond = True
                    break
                parent = parent.parent
            if beyond:
                continue
            target = self.top / path
            if os.path.isdir(target) and not os.path.islink(target):
                if not self._only_removed(path, removed):
                    found.append(path)  # its files would go with it
            elif path in added and os.path.lexists(target) and path not in removed:
                found.append(path)  # ignored, so not in the snapshot
        return found

    def _only_removed(self, folder: str, removed: set[str]) -> bool:
        """Whether every file under ``folder`` (relative to the top) is one of
        ``removed`` (an ignored file, a nested repository: not)."""
        for at, folders, files in os.walk(self.top / folder):
            rel = os.path.relpath(at, self.top).replace(os.sep, "/")
            for name in files:
                if f"{rel}/{name}" not in removed:
                    return False
            for name in folders:
                if os.path.islink(os.path.join(at, name)) and f"{rel}/{name}" not in removed:
                    return False
        return True

    def _is_session_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.session_paths)

    def export(self, checkpoint: Checkpoint, target: Path) -> Path:
        """Write ``checkpoint``'s files to the gzipped tar file ``target``, under one folder
        named as :meth:`default_worktree`'s; atomically, never over an existing file;
        ``target`` must end in ``.tar.gz`` or ``.tgz`` (``-``, standard output, is
        refused). The files are the bytes a checkout of the checkpoint writes (those a
        restore into a new worktree gives): filters' smudge, line endings, ``ident`` and
        ``working-tree-encoding`` by its ``.gitattributes`` (:meth:`_as_checked_out`),
        never ``export-ignore`` nor ``export-subst``, which git-archive(1) would apply;
        the metadata is git-archive's (modes ``0664``/``0775``, symlinks, owner
        ``root``, each file's time its commit's), so the same checkpoint always gives
        the same file. Raises
        :class:`~ai_protocols.errors.CheckpointRefused` and
        :class:`~ai_protocols.errors.GitFailed`."""
        if str(target) == "-":
            raise CheckpointRefused("-", "writing to standard output is not supported; give "
                                    "a FILE.tar.gz", "export")
        if not str(target).lower().endswith((".tar.gz", ".tgz")):
            raise CheckpointRefused(str(target), "the file it writes is a gzipped tar: give "
                                    "a name ending in .tar.gz or .tgz", "export")
        target = _path(os.path.abspath(target))
        if os.path.lexists(target):
            raise CheckpointRefused(str(target), "that file exists already; remove it or "
                                    "give another name", "export")
        if not target.parent.is_dir():
            raise CheckpointRefused(str(target), f"there is no folder {target.parent}", "export")
        self._refuse_taken(target, checkpoint)
        _discard_killed_exports(target)
        temp = target.with_name(temporary_name(target.name))
        prefix = self.default_worktree(checkpoint).name
        modules = self._modules(self.top, checkpoint.commit, "", target)
        try:
            self._export(temp, prefix, checkpoint.commit, modules)
            os.link(temp, target)  # never over a file made meanwhile
        except FileExistsError:
            raise CheckpointRefused(str(target), "that file exists already", "export") from None
        except OSError as error:  # (a folder it cannot write to, a full disk, /proc)
            raise StorageError(target, error, "nothing was written; give a FILE in a folder "
                               "you can write to, on a disk with room (as in ./NAME.tgz)"
                               ) from None
        finally:
            temp.unlink(missing_ok=True)
        return target

    def _modules(self, repo: Path, commit: str, above: str,
                 target: Path | None = None) -> list[tuple[Path, str, str]]:
        """``(folder, commit, path)`` of each submodule the tree of ``commit`` in the
        repository at ``repo`` holds (``above``: that repository's path from the top),
        and of theirs in turn; refused (:class:`CheckpointRefused`) when a submodule is
        not checked out here or lacks its commit: the export would miss its files."""
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        out = self._spawn("ls-tree", "-r", "-z", "--full-tree", commit, cwd=repo,
                          env=self._env if repo == self.top else env).wait()
        found = []
        for item in out.split(b"\0"):
            info, _, raw = item.partition(b"\t")
            if not info.startswith(_GITLINK.encode()):
                continue
            link, path = info.decode().split(" ")[2], above + _s(raw)
            folder = repo / _s(raw)
            probe = b""
            if os.path.lexists(folder / ".git"):
                probe = self._spawn("rev-parse", "-q", "--verify", f"{link}^{{commit}}",
                                    cwd=folder, env=env).wait(ok=(0, 1, 128))
            if not probe.strip():
                registered = path in self._registered_submodules(commit) if not above \
                    else True
                # (absolute paths: git's path is from the top, wherever it is pasted;
                # issue 14, twenty-first round)
                fix = (f"run git -C {shell_quote(str(self.top))} submodule update --init "
                       f"--recursive, or git -C {shell_quote(str(folder))} fetch"
                       if registered else
                       "it is a nested repository, no submodule (.gitmodules does not name "
                       f"it): put it back at {shell_quote(str(folder))} (git clone URL "
                       f"{shell_quote(str(folder))}, then check out {link[:12]}), or restore "
                       "the checkpoint into a worktree instead")
                what = "the submodule" if registered else "the nested repository"
                raise CheckpointRefused(
                    str(target or self.top), f"the checkpoint holds {what} {path} at commit "
                    f"{link[:12]}, which is not here ({fix}); the export would miss its files",
                    "export")
            found += [(folder, link, path), *self._modules(folder, link, path + "/", target)]
        return found

    def _export(self, temp: Path, prefix: str, commit: str,
                modules: list[tuple[Path, str, str]]) -> None:
        """One gzipped tar of the tree of ``commit`` and, in each submodule's folder, the
        files of the commit the checkpoint holds for it: each tree read with ``git
        ls-tree`` and its blobs with ``git cat-file --batch`` (git-cat-file(1)), as
        stored, but those a checkout converts, as it writes them (:meth:`_as_checked_out`),
        written with :mod:`tarfile` in git-archive(1)'s layout (a pax global
        header whose comment is the commit, then the entries in git's order)."""
        import fcntl
        import gzip
        import tarfile

        # No file name and no time in the gzip header, as git archive (gzip -n) writes
        # it: never the temporary file's name (RFC 1952, FNAME).
        with open(temp, "xb") as raw:
            # held while it is written: a later export's sweep leaves it alone
            fcntl.flock(raw.fileno(), fcntl.LOCK_EX)  # (_discard_killed_exports)
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed, \
                    tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT,
                                 pax_headers={"comment": commit}, encoding="utf-8",
                                 errors="surrogateescape", tarinfo=_git_tar_info()) as out:
                where = {path: (folder, link) for folder, link, path in modules}
                self._tar_tree(out, self.top, self._env, commit, prefix + "/", "", where)

    def _tar_tree(self, out: tarfile.TarFile, repo: Path, env: dict[str, str], commit: str,
                  prefix: str, above: str, modules: dict[str, tuple[Path, str]]) -> None:
        """Write the tree of ``commit`` (of the repository at ``repo``) into the tar
        ``out`` under ``prefix`` (ending in ``/``); a submodule (``above``: this
        repository's path from the top) as its folder, with its commit's files."""
        import subprocess
        import tarfile
        import threading

        when = int(self._spawn("show", "-s", "--format=%ct", commit, cwd=repo,
                               env=env).wait().strip() or 0)

        def entry(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
            info = out.tarinfo(name)  # (_git_tar_info: names as git archive writes them)
            info.type, info.mode, info.size, info.mtime = kind, mode, size, when
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            return info

        if not above:
            out.addfile(entry(prefix.rstrip("/"), tarfile.DIRTYPE, 0o775))
        listed = self._spawn("ls-tree", "-r", "-t", "-z", "--full-tree", commit, cwd=repo,
                             env=env).wait()
        items = []
        for item in listed.split(b"\0"):
            if not item:
                continue
            info, _, raw = item.partition(b"\t")
            mode, kind, oid = info.decode().split(" ")
            items.append((mode, kind, oid, _s(raw)))
        # (the bytes a checkout writes, for the files git converts: issue 14,
        # twenty-first round)
        converted, staging = self._as_checked_out(
            repo, env, commit, [path for mode, kind, _, path in items
                                if kind == "blob" and mode != "120000"])
        blobs = [oid for _, kind, oid, path in items if kind == "blob" and
                 path not in converted]
        batch = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
        assert batch.stdin is not None and batch.stdout is not None

        def ask() -> None:
            try:
                batch.stdin.write(b"".join(oid.encode() + b"\n" for oid in blobs))
                batch.stdin.close()
            except OSError:
                pass  # (git stopped: told below)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        try:
            for mode, kind, oid, path in items:
                name = prefix + path
                if kind == "tree":
                    out.addfile(entry(name, tarfile.DIRTYPE, 0o775))
                elif kind == "commit":  # a submodule: its folder, then its files
                    out.addfile(entry(name, tarfile.DIRTYPE, 0o775))
                    folder, link = modules[above + path]
                    sub = {k: v for k, v in env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
                    self._tar_tree(out, folder, sub, link, name + "/", above + path + "/",
                                   modules)
                elif path in converted:  # (as a checkout writes it: filters, line ends)
                    with open(converted[path], "rb") as data:
                        out.addfile(entry(name, tarfile.REGTYPE,
                                          0o775 if mode == "100755" else 0o664,
                                          os.fstat(data.fileno()).st_size), data)
                else:
                    head = batch.stdout.readline().split()
                    if len(head) != 3 or head[0].decode() != oid:
                        raise GitFailed("cat-file", f"cannot read {path} ({oid}) in {repo}")
                    size = int(head[2])
                    if mode == "120000":
                        info = entry(name, tarfile.SYMTYPE, 0o777)
                        info.linkname = _s(batch.stdout.read(size))
                        out.addfile(info)
                    else:
                        out.addfile(entry(name, tarfile.REGTYPE,
                                          0o775 if mode == "100755" else 0o664, size),
                                    batch.stdout)
                    batch.stdout.read(1)  # (the line break after each object)
        finally:
            batch.stdout.close()
            batch.wait()
            asking.join()
            if staging is not None:
                _discard(staging)
                _discard(_path(f"{staging}.idx"))

    def _as_checked_out(self, repo: Path, env: dict[str, str], commit: str,
                        paths: list[str]) -> tuple[dict[str, Path], Path | None]:
        """The regular files among ``paths`` of the tree of ``commit`` (in the repository
        at ``repo``) whose bytes a checkout converts (gitattributes(5): a ``filter``'s
        smudge, ``text``/``eol``/``crlf`` line endings, ``ident``,
        ``working-tree-encoding``, by the commit's own ``.gitattributes``, read from a
        temporary index of its tree, ``git check-attr --cached``; every file when
        ``core.autocrlf`` is true), each written as a checkout writes it (``git
        checkout-index --prefix``, git-checkout-index(1), on that index) into a folder of
        the git folder: ``(path: where its bytes are, that folder)``; ``({}, None)`` when
        none is converted. The caller removes the folder (a killed run's is removed by
        the next run: :meth:`_temp_index`). So an export gives the bytes a restore into a
        new worktree gives (issue 14, twenty-first round: a file with ``eol=crlf`` came
        out with LF endings). Raises :class:`~ai_protocols.errors.GitFailed` (a filter
        that fails, as the checkout would)."""
        if not paths:
            return {}, None
        self._exports += 1
        staging = _path(f"{self._temp_index()}.export{self._exports}")
        index = _path(f"{staging}.idx")
        _discard(staging)
        _discard(index)
        ienv = temp_index_env(env, str(index))
        self._spawn("read-tree", commit, cwd=repo, env=ienv).wait()
        crlf = self._spawn("config", "core.autocrlf", cwd=repo, env=env).wait(
            ok=(0, 1)).strip().lower() in (b"true", b"yes", b"on", b"1")
        if crlf:
            chosen = list(paths)
        else:
            out = self._spawn("check-attr", "--cached", "-z", "--stdin", *_CONVERTING,
                              cwd=repo, env=ienv,
                              stdin=b"".join(_b(p) + b"\0" for p in paths)).wait()
            fields = out.split(b"\0")
            chosen = list(dict.fromkeys(
                _s(path) for path, _, value in zip(fields[0::3], fields[1::3],
                                                   fields[2::3], strict=False)
                if path and value not in (b"unspecified", b"unset")))
        if not chosen:
            _discard(index)
            return {}, None
        os.makedirs(staging)
        try:
            self._spawn(*_NO_HOOKS, "checkout-index", f"--prefix={staging}/", "-z", "--stdin",
                        cwd=repo, env=ienv,
                        stdin=b"".join(_b(p) + b"\0" for p in chosen)).wait()
        except GitFailed:
            _discard(staging)
            _discard(index)
            raise
        return {p: staging / p for p in chosen}, staging


def _git_tar_info() -> type[tarfile.TarInfo]:
    """The class of an export's tar entries: :class:`tarfile.TarInfo` writing each
    entry's header as git archive does (git's ``archive-tar.c``, ``write_tar_entry``):
    the path's bytes as stored, in the ustar name field, split at a ``/`` into the
    prefix field (the longest prefix that fits) when longer than 100 bytes; a pax
    extended header only for what no field holds (a ``path`` past those fields, a
    ``linkpath`` past 100 bytes, a size past 8 GiB), its values as stored, and never a
    ``hdrcharset`` record (Python's own writes one for a name that is not UTF-8, and
    GNU tar warns "Ignoring unknown extended header keyword" on every extraction;
    docs/decisions.md, "Issue 14, sixteenth round (git)")."""
    global _TAR_INFO
    if _TAR_INFO is not None:
        return _TAR_INFO
    import tarfile

    def record(keyword: bytes, value: bytes) -> bytes:
        size = len(keyword) + len(value) + 3  # (" ", "=", "\n", then the length itself)
        total = guess = 0
        while (total := size + len(str(guess))) != guess:
            guess = total
        return str(total).encode() + b" " + keyword + b"=" + value + b"\n"

    class GitTarInfo(tarfile.TarInfo):
        def create_pax_header(self, info: dict, encoding: str) -> bytes:  # type: ignore[type-arg]
            info["magic"] = tarfile.POSIX_MAGIC
            extended = []
            path = info["name"].encode("utf-8", "surrogateescape")
            if len(path) > tarfile.LENGTH_NAME:
                cut = path.rfind(b"/", 0, tarfile.LENGTH_PREFIX + 1)
                if cut > 0 and len(path) - cut - 1 <= tarfile.LENGTH_NAME:
                    info["prefix"] = path[:cut].decode("utf-8", "surrogateescape")
                    info["name"] = path[cut + 1:].decode("utf-8", "surrogateescape")
                else:
                    extended.append(record(b"path", path))
            link = info["linkname"].encode("utf-8", "surrogateescape")
            if len(link) > tarfile.LENGTH_LINK:
                extended.append(record(b"linkpath", link))
            if info["size"] >= 8 ** 11:
                extended.append(record(b"size", str(info["size"]).encode()))
                info["size"] = 0
            header = self._create_header(info, tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
            if not extended:
                return header
            records = b"".join(extended)
            pax = {"name": "././@PaxHeader", "type": tarfile.XHDTYPE, "size": len(records),
                   "magic": tarfile.POSIX_MAGIC}
            return (self._create_header(pax, tarfile.USTAR_FORMAT, "ascii", "replace") +
                    self._create_payload(records) + header)

    _TAR_INFO = GitTarInfo
    return GitTarInfo


_TAR_INFO: type[tarfile.TarInfo] | None = None


#: Put before a git command that could run the user's hooks (post-checkout,
#: githooks(5)): a restore runs none, in place as into a new worktree (git-config(1),
#: ``core.hooksPath``; ``/dev/null`` holds no hook).
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
#: A git run that ignores sparse checkout (git-sparse-checkout(1)): it writes, and
#: marks, every path, whatever the patterns.
_WHOLE = ("-c", "core.sparseCheckout=false")

#: The attributes under which a checkout writes other bytes than git stores
#: (gitattributes(5)): an export converts the files that have one set
#: (:meth:`Checkpoints._as_checked_out`).
_CONVERTING = ("filter", "text", "eol", "crlf", "ident", "working-tree-encoding")
#: An index entry's skip-worktree flag as ``git ls-files --debug`` shows the flags
#: (git's ``CE_SKIP_WORKTREE``, read-cache.h).
_SKIP_WORKTREE = 1 << 30


def _early_spec(early: EarlyAdd) -> list[str]:
    """The pathspec an early ``git add`` was given (after its ``--`` and ``:/``)."""
    argv = early.run.argv
    return argv[argv.index("--") + 2:]


def _b(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _s(path: bytes) -> str:
    return path.decode("utf-8", "surrogateescape")


def _real(path: Path) -> str:
    """Where ``path`` (absolute; it need not exist) really is: its deepest existing
    folder with links resolved, then the rest as given."""
    head, tail = str(path), []
    while not os.path.lexists(head):
        head, name = os.path.split(head)
        tail.append(name)
    return os.path.join(os.path.realpath(head), *reversed(tail))


#: The reason a restore's new worktree is locked with while the restore is under way
#: (git-worktree(1) ``add --lock --reason``): one still locked so is one a restore of
#: ours stopped half way left.
RESTORING = "ai-protocols checkpoint restore under way"

#: The file a whole restore leaves in its new worktree's own git folder (never in its
#: files): a worktree without it is one a restore stopped half way left.
RESTORED_MARK = "ai-protocols-restored"


def _restored_mark(target: Path, make: str | None = None) -> bool:
    """Whether the linked worktree at ``target`` holds :data:`RESTORED_MARK` in its git
    folder (gitrepository-layout(5): its ``.git`` file names it); ``make``: write it,
    naming the commit of the checkpoint restored there (``restored COMMIT``: what
    :func:`restored_at` reads; a mark written before the twenty-first round of issue 14
    says ``restored`` alone)."""
    mark = _mark_path(str(target))
    if mark is None:
        return False
    if make is not None:
        with open(mark, "w", encoding="ascii") as out:
            out.write(f"restored {make}\n")
        return True
    return os.path.exists(mark)


def _mark_path(target: str) -> str | None:
    """Where the linked worktree whose top is ``target`` keeps :data:`RESTORED_MARK`
    (its own git folder); ``None`` when ``target`` is no such worktree's top. Reads
    git's files only (:func:`~ai_protocols.paths.git_dirs`)."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(target)
    if dirs is None or os.path.realpath(dirs[0]) != os.path.realpath(target):
        return None
    return os.path.join(dirs[1], RESTORED_MARK)


def restored_commit(target: str) -> str | None:
    """The commit of the checkpoint a restore put into the worktree whose top is
    ``target`` (its :data:`RESTORED_MARK`, written by a whole restore); ``None`` when no
    restore made it, or one before the mark named the commit. A ``stat`` and a read."""
    mark = _mark_path(target)
    if mark is None:
        return None
    try:
        with open(mark, encoding="ascii", errors="replace") as source:
            words = source.read(200).split()
    except OSError:
        return None
    return words[1] if len(words) == 2 and words[0] == "restored" else None


def restored_at(root: str, commit: str) -> str | None:
    """The top folder of a worktree of the repository around ``root``, other than the
    one around ``root``, that ``checkpoint restore`` made of the checkpoint whose commit
    ``commit`` names (a hash of 4 digits or more): the work is there already, as
    uncommitted changes (issue 14, twenty-first round: ``resume`` repeated "restore it
    with", and the restore pasted again was refused); ``None`` when none is (or git
    cannot say). One git run (``git worktree list --porcelain -z``, git-worktree(1)),
    and a read of each worktree's mark: call on a warning's path only."""
    from ai_protocols.git.state import other_worktrees

    commit = commit.lower()
    for path, _, _ in other_worktrees(root):
        made = restored_commit(path)
        if made is not None and len(commit) >= 4 and made.startswith(commit):
            return path
    return None


def restored_said(it: str, where: str, short: str, root: str, force: bool = True) -> str:
    """What advice says of a checkpoint (``it``, ``short`` its hash) that a restore put
    into the worktree ``where`` already (:func:`restored_at`), instead of the restore
    command again, which would be refused (that folder exists): the one rule of
    ``resume``'s warning and of :meth:`Whereabouts.say`. Its work is there, without the
    session (whose file is here); ``force``: what brings its files beside the session,
    ``ai-protocols checkpoint restore HASH --force`` from ``root`` (it refuses, changing
    nothing, when it would overwrite uncommitted work here); ``force`` false, that command
    is left out: some of its files are here as it has them, or changed since (the caller
    says how to take back only what is missing), or ``HEAD`` is not where the session
    was recorded (the caller says where the work is first)."""
    there = shell_quote(where)
    said = (f"{it} is restored already, in the worktree {display(where)} (a checkpoint "
            f"restore made it: its work is there, as uncommitted changes on the commit "
            f"{it} was taken on, but not this session, whose file is here; see it with git "
            f"-C {there} status)")
    if not force:
        return said
    return (f"{said}; bring its files here, beside the session, with: ai-protocols "
            f"checkpoint restore {short} --force (from {root}; it writes the checkpoint's "
            f"files into this work tree, leaving HEAD, the branch and the index as they "
            f"are, and refuses, changing nothing, when that would overwrite uncommitted work "
            f"here; git worktree remove --force {there} then removes that worktree, with "
            f"anything done there since)")


def _raw_records(out: bytes) -> list[tuple[str, str, str, str, str]]:
    """``(status, path, old mode, new mode, new object)`` of each record of git's raw
    diff output with ``-z`` (git-diff-tree(1), git-diff-index(1), "Raw output format":
    ``:OLD NEW OLDHASH NEWHASH STATUS`` NUL path NUL; without renames)."""
    fields = out.split(b"\0")
    found = []
    for info, path in zip(fields[0::2], fields[1::2], strict=False):
        if info.startswith(b":"):
            old_mode, new_mode, _, blob, status = info[1:].decode().split(" ")
            found.append((status, _s(path), old_mode, new_mode, blob))
    return found


def _discard(path: str | os.PathLike[str]) -> None:
    """Remove ``path``, a file or a folder with what it holds (nothing there: nothing
    done)."""
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def _unlink(path: str | os.PathLike[str]) -> None:
    """Remove the file ``path``; nothing there: nothing done (``Path.unlink(missing_ok=
    True)`` without :mod:`pathlib`)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return


def _move(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` (one step, ``rename(2)``); across file systems,
    copied beside ``target`` first (a symbolic link as a link), then renamed."""
    try:
        os.replace(source, target)
    except OSError as error:
        import errno

        if error.errno != errno.EXDEV:
            raise
        import shutil

        beside = target.with_name(f".{target.name}.{os.getpid()}.ai-protocols.tmp")
        shutil.copy2(source, beside, follow_symlinks=False)
        os.replace(beside, target)


def _as_seen(where: Path, seen: tuple[int, ...] | None) -> bool:
    """Whether the path ``where`` is as a snapshot saw it: absent when ``seen`` is
    ``None``, else a file (or link) with that ctime, mtime (nanoseconds), inode and
    size (:meth:`Checkpoints._looked`)."""
    try:
        stat = os.lstat(where)
    except FileNotFoundError:
        return seen is None
    if seen is None:
        return os.path.isdir(where) and not os.path.islink(where)  # (a folder checked)
    return (stat.st_ctime_ns, stat.st_mtime_ns, stat.st_ino, stat.st_size) == seen


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse(record: bytes) -> Checkpoint | None:
    """A checkpoint from one ``for-each-ref`` record (``None``: not one of ours)."""
    parts = record.lstrip(b"\n").split(b"\0", 4)
    if len(parts) < 5:
        return None
    ref, commit, parents, when, message = (p.decode("utf-8", "surrogateescape")
                                           for p in parts)
    tail = ref[len(NAMESPACE) + 1:].split("/") if ref.startswith(NAMESPACE + "/") else []
    if len(tail) not in (2, 3) or not digits(tail[-1]):
        return None
    subject, _, body = message.partition("\n\n")
    note = None
    if subject.startswith(_SUBJECT):
        paragraphs = body.rstrip("\n").rsplit("\n\n", 1)
        note = paragraphs[0] if len(paragraphs) == 2 else None
    import re

    files = re.search(r"^AI-Protocols-Files: ([0-9]+)$", message, re.M)
    return Checkpoint(ref=ref, agent=tail[0], number=int(tail[-1]), commit=commit,
                      parent=parents.split()[0] if parents.split() else None,
                      time=datetime.fromtimestamp(int(when or 0), tz=timezone.utc),
                      note=note, files=int(files.group(1)) if files else 0,
                      clone=tail[1] if len(tail) == 3 else None)


def record(ai_dir: str | os.PathLike[str], path: str | os.PathLike[str],
           checkpoint: Checkpoint, branch: str | None,
           now: datetime | None = None, *, held: bool = False
           ) -> tuple[str | None, str] | None:
    """Record ``checkpoint`` in the session file at ``path`` (one edit transaction):
    the headline's ``CHECKPOINT`` (its ref), ``CHECKPOINT_COMMIT``, ``CHECKPOINT_BASE``
    (the commit it was taken on; ``none`` before the first), ``CHECKPOINT_FILES`` (the
    paths it holds uncommitted), ``GIT_BRANCH`` and ``GIT_COMMIT``, and a line of the
    Log section: the note's first line (:func:`~ai_protocols.session.text.preview`), and
    when that is not all of it (more lines, or a line cut at 100 characters) where the
    whole note is (``checkpoint show HASH``: the commit's message keeps it). Raises what
    :func:`ai_protocols.session.transaction.editing` raises. ``held``: the caller holds
    the session file's lock (:func:`take`). While a person has unsaved changes to the
    file in Emacs, the record waits in its pending file and is folded in at the first
    write after the save, as ``log``'s entries are: then returns that file's path and
    the Emacs lock's owner; else ``None``."""
    from ai_protocols.git.head import branch_text
    from ai_protocols.session.text import preview
    from ai_protocols.session.transaction import editing

    note = f": {preview(checkpoint.note)}" if checkpoint.note else ""
    lines = [ln for ln in (checkpoint.note or "").split("\n") if ln.strip()]
    if len(lines) > 1 or note.endswith("\u2026"):  # (never cut without a sign: 11th round)
        count = f", {counted(len(lines), 'line', 'lines')}" if len(lines) > 1 else ""
        note += f" (the whole note{count}: ai-protocols checkpoint show {checkpoint.short})"
    from ai_protocols.session.model import LogEntry

    values = (("CHECKPOINT", checkpoint.ref), ("CHECKPOINT_COMMIT", checkpoint.commit),
              ("CHECKPOINT_BASE", checkpoint.parent or "none"),
              ("CHECKPOINT_FILES", str(checkpoint.files)),
              ("GIT_BRANCH", branch_text(branch)),  # (\xNN: not UTF-8)
              ("GIT_COMMIT", checkpoint.parent))
    # One entry (layout.apply_entry's "checkpoint"): written now, or, while Emacs holds
    # the file, kept in its pending file and folded in after the save, as log's are.
    entry = LogEntry("checkpoint", f"checkpoint: {checkpoint.number} {checkpoint.short} "
                     f"({counted(checkpoint.files, 'file', 'files')} uncommitted){note}",
                     "\n".join(key if value is None else f"{key} {value}"
                                for key, value in values))
    with editing(os.fspath(ai_dir), os.fspath(path), now=now, held=held,
                 if_edited="defer") as edit:
        edit.apply(entry)
    return None if edit.emacs_lock is None else (edit.pending, edit.emacs_lock.owner)


class Taken:
    """What :func:`take` did: the ``checkpoint``, the ``branch`` ``HEAD`` was on, the
    session file it was recorded in (``None``: not recorded, ``not_recorded`` says why;
    a :class:`pathlib.Path` made on first read, ``session_text`` its text)."""

    session = PathField(None)
    session_text = TextOf("session")

    def __init__(self, checkpoint: Checkpoint, branch: str | None,
                 session: str | os.PathLike[str] | None,
                 not_recorded: str | None = None, nested: list[str] | None = None,
                 dirty: list[str] | None = None) -> None:
        self.checkpoint, self.branch = checkpoint, branch
        self.session, self.not_recorded = session, not_recorded
        #: Untracked git repositories the checkpoint holds as a commit only
        #: (:meth:`Checkpoints.nested_repositories`).
        self.nested = nested or []
        #: Submodules whose uncommitted changes the checkpoint leaves out
        #: (:meth:`Checkpoints.dirty_submodules`).
        self.dirty = dirty or []
        #: Untracked git repositories with no commit yet, left out
        #: (:attr:`Checkpoints.empty_repositories`).
        self.empty: list[str] = []
        #: Work files an Emacs buffer holds unsaved changes to: the checkpoint has them
        #: as saved (:meth:`Checkpoints.unsaved_in_emacs`).
        self.unsaved: list[str] = []
        #: While Emacs holds the session file: the pending file the record waits in,
        #: and the Emacs lock's owner (:func:`record`); else ``None``.
        self.waits: tuple[str | None, str] | None = None

    def __repr__(self) -> str:
        return f"Taken({self.checkpoint!r}, session={str(self.session_text)!r})"


def warm_record(path: str) -> None:
    """Do once, while ``git add`` runs, the work :func:`record` would do first: import the
    edit transaction and compile the patterns its reading and writing of the session
    file at ``path`` use (on first use, :mod:`ai_protocols.lean`), so that the record
    after the ref is made is short. Reads the file without its lock and changes
    nothing; any failure is left for the record to meet."""
    try:
        with open(path, "rb") as source:
            data = source.read(1 << 20)
        from ai_protocols.org.file import OrgFile
        from ai_protocols.session.layout import log_line, session_headline
        from ai_protocols.session.text import conflict_marker_lines, preview

        text = data.decode("utf-8", "replace")
        conflict_marker_lines(text)
        headline = session_headline(OrgFile(text))
        if headline is not None:
            headline.properties.get("CHECKPOINT")
        log_line("[2026-01-01 Thu 00:00]", preview("checkpoint: 1 0 (1 file uncommitted)"))
    except Exception:  # only a head start: the record meets what is wrong
        return


def take(root: str | os.PathLike[str], ai_dir: str | os.PathLike[str],
         path: str | os.PathLike[str], agent_id: str | None,
         note: str | None = None, now: datetime | None = None, *,
         meanwhile: Callable[[], object] | None = None, early: EarlyAdd | None = None
         ) -> Taken:
    """Take a checkpoint of the work tree around ``root`` for the agent ``agent_id``
    and record it in its session file ``path`` (:func:`record`).

    The checkpoint is taken whether or not there is a session to record it in: with
    no session file, a wrapped-up one or one that cannot be written, the report's
    ``not_recorded`` says why it was not recorded; while a person has unsaved changes
    to it in Emacs, the record waits in its pending file (the report's ``waits``).
    ``meanwhile`` is called while ``git add`` runs (the command imports what it
    needs next then, on the other core); ``early``: that ``git add``, started already
    (:func:`ai_protocols.git.spawn.start_add`).
    ``note`` is kept as :func:`~ai_protocols.session.text.note_text` gives it.
    Raises :class:`~ai_protocols.errors.InvalidText` (a bad ``note``, before
    anything is done), :class:`~ai_protocols.errors.NotAGitRepository` and
    :class:`~ai_protocols.errors.GitFailed`.
    """
    if note is not None:
        from ai_protocols.session.text import check_text, note_text

        note = check_text("note", note_text(note), lines=True)  # (as pause --note's, by line)
    checkpoints = Checkpoints(root, agent_id)
    from ai_protocols.errors import AiProtocolsError, NoSession
    from ai_protocols.session.transaction import locked_sessions

    # The commit's time is taken holding the session file's lock, and the checkpoint is
    # recorded before it is let go: a checkpoint that waited on the lock is not older
    # than the entry written while it waited (as start and log take theirs: issue 14,
    # fourteenth round). No session file: no lock (nothing made for want of a session),
    # the record says so. A lock that cannot be taken (timed out): the checkpoint is
    # taken all the same, not recorded, and said so.
    lock = locked_sessions(os.fspath(ai_dir), os.fspath(path)) \
        if os.path.lexists(path) else None
    entered: list[bool] = []
    failed: list[AiProtocolsError] = []

    def enter() -> None:
        if lock is not None:
            try:
                lock.__enter__()
                entered.append(True)
            except AiProtocolsError as error:
                failed.append(error)

    session: str | os.PathLike[str] | None = path
    why = None
    waits = None
    searching = checkpoints.start_unsaved_search()  # (alongside: it writes nothing)
    try:
        checkpoint, branch = checkpoints.take(note, meanwhile=meanwhile, early=early,
                                              before_commit=enter)
        try:
            if failed:
                raise failed[0]
            waits = record(ai_dir, path, checkpoint, branch, now, held=bool(entered))
        except NoSession:
            session, why = None, (f"there is no session file at {path} ('ai-protocols "
                                  "start' begins one)")
        except AiProtocolsError as error:
            session, why = None, error.message  # (shown through display, once)
    except BaseException:
        import contextlib

        with contextlib.suppress(Exception):  # (never a process left behind; the
            searching.wait(ok=tuple(range(256))) # first failure is the one told)
        raise
    finally:
        if entered:
            lock.__exit__(None, None, None)  # type: ignore[union-attr]
    nested = checkpoints.nested_repositories(checkpoint)
    dirty = checkpoints.dirty_submodules()
    taken = Taken(checkpoint, branch, session, why, nested, dirty)
    taken.waits = waits if session is not None else None
    taken.empty = checkpoints.empty_repositories
    taken.unsaved = checkpoints.unsaved_in_emacs(searching)
    return taken


def _discard_killed_exports(target: Path) -> None:
    """Remove the temporary files (``.NAME.<12 hex digits>.tmp``, the name
    :func:`~ai_protocols.storage.files.temporary_name` gives) that an export to ``target``
    killed before its rename left beside it: those whose ``flock`` nobody holds (a
    writer holds its own until it ends, :meth:`Checkpoints._export`). ``checkpoint export`` takes no
    project lock, so the lock of each file says whether its writer still runs. A file
    made a moment ago whose writer has not taken its lock yet could be removed: that
    export then fails with a clear error and nothing else is lost (docs/checkpoints.md)."""
    import fcntl

    stem = temp_stem(target.name)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        middle = name[len(stem) + 2:-len(".tmp")]
        if not (name.startswith(f".{stem}.") and name.endswith(".tmp") and len(middle) == 12
                and all(c in "0123456789abcdef" for c in middle)):
            continue
        path = target.parent / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)
        except OSError:  # (a live writer holds it, or it went meanwhile)
            pass
        finally:
            os.close(fd)


def _first_five(paths: list[str]) -> str:
    """``paths`` named in a refusal: the first five, and how many more."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
