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

The class is made of parts by concern (twenty-sixth round), each in a module of its own
below this one: :mod:`~ai_protocols.git.checkpoint_repo`,
:mod:`~ai_protocols.git.checkpoint_take`, :mod:`~ai_protocols.git.checkpoint_refs`,
:mod:`~ai_protocols.git.checkpoint_export`, :mod:`~ai_protocols.git.checkpoint_guard`,
:mod:`~ai_protocols.git.checkpoint_restore`;
docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import AiProtocolsError
from ai_protocols.git.checkpoint_export import Exporting
from ai_protocols.git.checkpoint_guard import Guarding
from ai_protocols.git.checkpoint_marks import restored_at as restored_at
from ai_protocols.git.checkpoint_marks import restored_said as restored_said
from ai_protocols.git.checkpoint_refs import Listing
from ai_protocols.git.checkpoint_repo import CLONE_FILE as CLONE_FILE
from ai_protocols.git.checkpoint_repo import (
    FETCH,
    NAMESPACE,
    REFSPEC,
    Checkpoint,
    Recorded,
    Repository,
    Restored,
    Whereabouts,
    clone_id,
)
from ai_protocols.git.checkpoint_repo import recorded as recorded
from ai_protocols.git.checkpoint_restore import Restoring
from ai_protocols.git.checkpoint_take import Taking
from ai_protocols.git.spawn import EarlyAdd
from ai_protocols.lean import PathField, TextOf, counted, datetime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


__all__ = ["CLONE_FILE", "FETCH", "NAMESPACE", "REFSPEC", "Checkpoint", "Checkpoints",
           "Recorded", "Restored", "Taken", "Whereabouts", "clone_id", "record", "recorded",
           "restored_at", "restored_said", "take"]


class Checkpoints(Restoring, Guarding, Exporting, Listing, Taking, Repository):
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
