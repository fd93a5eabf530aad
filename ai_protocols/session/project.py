"""The session-context protocol, as one agent sees a project: start, log, show,
wrap up, status, recover and list.

:class:`Project` is the object the CLI opens; each command calls one of its
methods, and each method is a few lines over the modules that do the work:
every write is one edit transaction (:mod:`ai_protocols.session.transaction`),
archiving is :mod:`ai_protocols.session.archive`, taking over and recovering
:mod:`ai_protocols.session.recovery`, and ``list`` reads archives through the
per-machine index (:mod:`ai_protocols.storage.archive_index`).
"""

from __future__ import annotations

import os

from ai_protocols.errors import (
    REMOVED_HOW,
    AiProtocolsError,
    InvalidText,
    MergeConflict,
    NoProject,
    NoSession,
    SessionRemoved,
    SessionWrappedUp,
    StorageError,
    UnreadableSession,
    UnsafePath,
)
from ai_protocols.lean import (
    PathField,
    TextOf,
    attrgetter,
    datetime,
    factory,
    quoted,
    record,
    timedelta,
)
from ai_protocols.org.syntax import escape_headline
from ai_protocols.paths import (
    AI_DIR,
    CONTEXT_DIR,
    SESSIONS_DIR,
    agent_id_from_env,
    clean_path,
    context_path_text,
    join,
    merge_driver_missing,
    parent,
    present,
    project_root_text,
    relative_to,
    session_context_path,
)
from ai_protocols.session.model import (
    ENTRY_KINDS,
    KIND_OF,
    EarlierEntries,
    LogEntry,
    Session,
    SessionInfo,
    instant,
    iso,
)
from ai_protocols.session.names import (
    kept_is_other,
    kept_path,
    session_files,
    start_command,
    tombstone_path,
)
from ai_protocols.session.reading import read_session, read_session_head
from ai_protocols.session.sections import CLOSED_STATUSES, PAUSED, TITLE_PROPERTY, WRAPPED_UP
from ai_protocols.session.text import check_text, conflict_marker_lines, preview, slugify
from ai_protocols.storage import files as storage

# Recovery, archiving and the archive index (with json) are imported by the methods
# that use them: show, log and resume, which agents run all session long, need none;
# nor does show need the write machinery (the transaction, the liveness evidence, the
# Emacs lock check): the methods that write or judge import it (issue 16, part e).
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ai_protocols.liveness.clock import Moment
    from ai_protocols.liveness.evidence import Liveness, Owner
    from ai_protocols.org.emacs_lock import EmacsLock
    from ai_protocols.scaffold import InitAction
    from ai_protocols.session.edit_base import AsRead, SessionEdit
    from ai_protocols.session.heads import Heads
    from ai_protocols.session.reading import HeadParts
    from ai_protocols.session.resume import ResumeContext
    from ai_protocols.storage import archive_index

__all__ = ["LogReport", "Project", "StartReport", "StatusRow"]


@record
class StartReport:
    """What ``start`` found and did (each path also as text: ``path_text``...)."""

    path: Path = PathField()
    fresh: bool
    session: Session
    state: Liveness | None = None  # of an existing file: "mine", crashed, ...
    took_over: bool = False  # the caller became the owner of an existing file
    titled: bool = False  # an existing file without a title got the one given
    finished_archive: Path | None = PathField(None)
    restored_from: Path | None = PathField(None)  # the kept copy a removed session came back from
    #: A fresh session begun where the newest stash entry holds this agent's last session
    #: file and its kept copy (``git stash -a``): the work tree to ``git stash pop`` in;
    #: else ``None``.
    stashed_away: str | None = None
    reused_id_warning: str | None = None
    others: list[tuple[Session, Liveness]] = factory(list)
    #: Other agents' session files past the newest ones read for ``others``
    #: (:meth:`Project.newest_others`), left unread: counted, not judged.
    others_unread: int = 0
    #: The session was paused, and this start resumed it: what its pause said
    #: (``paused at TIME: NOTE``, the evidence of its ``paused`` state).
    resumed_pause: str | None = None
    #: What was installed first, as ``init`` would, when the project had no complete
    #: ``.ai/`` yet (:func:`ai_protocols.scaffold.init_project`'s actions; ``[]``: none).
    set_up: list[InitAction] = factory(list)
    #: The objective ``objective`` replaced (``None``: none was replaced), kept in full
    #: in the Log line that says so.
    objective_replaced: str | None = None
    #: The local git configuration file this start configured the merge driver in (a
    #: clone of a repository with ``.ai/``: git clones no local configuration); ``None``.
    driver_configured: str | None = None
    #: A fresh session in the place of this agent's own that another agent adopted
    #: (``recover --adopt``): ``adopted by X at T: it carries on in P``; else ``None``.
    adopted: str | None = None
    #: The file held a wrapped-up session its archive holds already, every entry of it
    #: (a copy of the archive put back): the archive named here, the file replaced by the
    #: fresh session, and nothing archived again; else ``None``.
    copy_of_archive: Path | None = PathField(None)
    path_text = TextOf("path")
    finished_archive_text = TextOf("finished_archive")
    copy_of_archive_text = TextOf("copy_of_archive")
    restored_from_text = TextOf("restored_from")


@record
class StatusRow:
    """One line of ``status``: a session-context file, its state and the evidence."""

    path: Path = PathField()  # (path_text: its text)
    agent_id: str | None
    mine: bool
    liveness: Liveness
    updated: datetime | None
    summary: str | None
    title: str | None
    now: datetime | None = None
    updated_at: str | None = None  # the UPDATED_AT record (see Session.updated_at)
    #: For a session something other than this tool removed (state ``removed``): the
    #: copy of its last version kept under ``.ai/.locks/live/``, read for this row.
    kept: Path | None = PathField(None)
    path_text = TextOf("path")
    kept_text = TextOf("kept")
    #: The earlier-entries files of its own the session links that are neither here
    #: nor kept (:func:`~ai_protocols.session.rollover.missing_linked`), as paths.
    missing_earlier: list[str] | None = None
    #: The session's ``STATUS`` (``wrapped-up`` in a live file: a copy put back; the
    #: warning says so, :func:`~ai_protocols.session.resume.misplaced_of`).
    status: str | None = None
    #: An archive's row (:meth:`Project._abandoned_rows`: a session closed with
    #: ``abandon``), not an open session file's, which liveness may judge ``abandoned``
    #: too (untouched too long): ``status`` lists only these under "Closed as abandoned".
    archived: bool = False

    @property
    def age(self) -> timedelta | None:
        """How long ago the session was last written to (``None`` when unknown): measured
        so that no time zone, daylight-saving change or clock step makes it look older,
        and never negative (:func:`ai_protocols.liveness.clock.age_since`)."""
        if self.liveness.age is not None:
            return self.liveness.age
        from ai_protocols.liveness.clock import age_since

        return age_since(self.updated, self.updated_at, self.now) if self.now else None

    def to_json(self) -> dict[str, object]:
        """The ``status --json`` form of the row (keys in docs/cli.md)."""
        age = self.age
        return {
            "path": self.path_text,
            "agent_id": self.agent_id,
            "mine": self.mine,
            "state": self.liveness.state,
            "evidence": self.liveness.evidence,
            "updated": iso(self.updated),
            "updated_at": instant(self.updated_at, self.updated),
            "age_seconds": int(age.total_seconds()) if age is not None else None,
            "title": self.title,
            "summary": self.summary,
            "kept": self.kept_text,
            "missing_earlier": self.missing_earlier or [],
        }


@record
class LogReport:
    """What ``log`` did: the Log lines, and where the entries wait if Emacs held the file."""

    said: list[str]
    pending: Path | None = PathField(None)
    emacs_lock: EmacsLock | None = None
    pending_text = TextOf("pending")
    #: The ``moved:`` Log line this write added: ``HEAD`` moved away from the branch
    #: or commit recorded (:func:`ai_protocols.session.pause.record_head`); ``None``
    #: also when the write's warning of an older version said it already.
    moved: str | None = None
    #: This write left the file past the bound and no later write moves entries out
    #: of it (:func:`ai_protocols.session.rollover_plan.held_by`): the sections that hold
    #: it there, biggest first; ``None``.
    over_bound: str | None = None
    #: With :attr:`moved`: the work of the commit moved from is uncommitted in the work
    #: tree (a ``git reset`` kept it), said so rather than "rolled back"; else ``None``.
    moved_note: str | None = None


class Project:
    """A project that follows the ``.ai/`` protocol, seen by one agent.

    ``root`` is the folder that holds ``.ai/``; ``agent_id`` the caller's
    ``AI_AGENT_ID`` (``None`` for the one-agent case), which decides which
    session-context file is "mine" (:attr:`path`).

    ``root``, ``ai_dir`` and ``path`` read as ``pathlib.Path`` values; the library
    works on their text, ``root_text``, ``ai_dir_text``, ``path_text`` (and
    ``sessions_dir_text``, ``context_dir_text``), and builds no ``Path`` on the hot
    paths (:class:`~ai_protocols.lean.PathField`, docs/performance.md).
    """

    root = PathField()
    ai_dir = PathField()
    path = PathField()
    root_text = TextOf("root")
    ai_dir_text = TextOf("ai_dir")
    path_text = TextOf("path")

    def __init__(self, root: str | os.PathLike[str], agent_id: str | None = None) -> None:
        self.root = clean_path(root)  # (as pathlib.Path would write it)
        self.agent_id = agent_id or None
        self.ai_dir = join(self.root_text, AI_DIR)
        self.path = clean_path(context_path_text(self.root_text, self.agent_id))
        #: Whether the root may be only the working directory, for want of anything
        #: better (:meth:`discover` without ``AI_PROJECT_ROOT``): then a root with
        #: neither ``.ai/`` nor ``.git`` is no project, and :meth:`start` says so.
        self.root_guessed = False

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None) -> Project:
        """The project around ``cwd`` (default: the working directory) as the
        environment says (``AI_PROJECT_ROOT``; ``AI_AGENT_ID``, else the id derived from
        the agent program's session, see :func:`ai_protocols.paths.agent_id_from_env`). Raises
        :class:`~ai_protocols.errors.InvalidProjectRoot` or
        :class:`~ai_protocols.errors.InvalidAgentId`."""
        root = project_root_text(None if cwd is None else os.fspath(cwd))
        project = cls(root, agent_id_from_env(root=root))
        project.root_guessed = not os.environ.get("AI_PROJECT_ROOT")
        return project

    @property
    def sessions_dir(self) -> Path:
        """``.ai/sessions/``: the archived sessions."""
        from pathlib import Path

        return Path(self.sessions_dir_text)

    @property
    def sessions_dir_text(self) -> str:
        return join(self.ai_dir_text, SESSIONS_DIR)

    @property
    def context_dir(self) -> Path:
        """``.ai/session-context.d/``: one session file per agent id."""
        from pathlib import Path

        return Path(self.context_dir_text)

    @property
    def context_dir_text(self) -> str:
        return join(self.ai_dir_text, CONTEXT_DIR)

    def path_of(self, agent_id: str | None) -> Path:
        """The session-context file of ``agent_id`` in this project."""
        return session_context_path(self.root_text, agent_id)

    def session_paths(self) -> list[Path]:
        """Every place a live session file may be: the one-agent file, then each file
        of ``.ai/session-context.d/`` (whether or not it exists)."""
        from pathlib import Path

        return [Path(path) for path in self._session_files()]

    def _session_files(self) -> list[str]:
        """:meth:`session_paths`, as text."""
        return [join(self.ai_dir_text, "session-context.org"),
                *session_files(self.context_dir_text)]

    # -- reading --------------------------------------------------------------------------

    def read(self, path: str | os.PathLike[str], *, head: bool = False) -> Session | None:
        """The session in ``path``; ``None`` when there is no file, or when it is what a
        move (wrap-up, recover) left, killed before it removed the file
        (:func:`~ai_protocols.session.edit_base.moved_away`). With ``head``, without
        its entries and Log (:func:`~ai_protocols.session.reading.read_session_head`:
        its properties, for a caller that needs no more). A stale save over this tool's
        pause or resumption is read with the state the next write's merge keeps
        (:func:`~ai_protocols.session.stale_state.merged_state`). Raises
        :class:`~ai_protocols.errors.UnreadableSession` (its subclass
        :class:`~ai_protocols.errors.MergeConflict` for a file with git's conflict
        markers), :class:`~ai_protocols.errors.UnsafePath` or
        :class:`~ai_protocols.errors.StorageError`."""
        return self._read(clean_path(path), head=head)

    def _read(self, path: str, *, head: bool = False, gone: list[str] | None = None,
              brief: bool = False, view: bool = False, keep: list[AsRead] | None = None,
              heads: Heads | None = None) -> Session | None:
        """:meth:`read`; with ``head``, the session without its entries and Log
        (:func:`~ai_protocols.session.reading.read_session_head`), as ``status`` needs;
        with ``brief``, without its closed items
        (:func:`~ai_protocols.session.reading.read_session`), as the resume context needs.
        ``gone``: extended with the linked earlier files neither here nor kept
        (:func:`~ai_protocols.session.rollover.missing_linked`), from the text read.
        ``view``: its entries and Log read as they are written
        (:func:`~ai_protocols.session.view.read_view`), as ``show`` prints them.
        ``keep``: extended with the file as read
        (:class:`~ai_protocols.session.edit_base.AsRead`, its bytes and document) when
        a session is read from it (not with ``head`` or ``view``), for the edit that
        follows (the SessionStart hook's record). ``heads``: with ``head``, the record
        of other agents' heads (:class:`~ai_protocols.session.heads.Heads`) keeps the
        head read, when read as the tool writes it."""
        found = storage.read_file(path)
        if found is None:
            return None
        data, read_as = found
        del found  # (it holds the bytes too)
        if not data:
            raise UnreadableSession(path, "it is empty")
        text = storage.decode(path, data)
        kept = data if keep is not None and not head and not view else None
        del data  # (10 MB of a 10 MB file: not kept while it is read)
        marked = conflict_marker_lines(text)
        if marked:
            from ai_protocols.session.unmerged import conflict_sessions, remerge_advice

            sessions = conflict_sessions(self.ai_dir_text, path, text)
            raise MergeConflict(path, marked, sessions=sessions,
                                remerge=None if sessions else remerge_advice(path))
        if gone is not None and "[[file:" in text:
            from ai_protocols.session.rollover import missing_linked

            gone.extend(missing_linked(self.ai_dir_text, path, text))
        # (a move's leftover, rare: the one rule of "that session" needs its SESSION_ID,
        # which Session does not keep; read from the text's head while it is here)
        moved = present(tombstone_path(self.ai_dir_text, path))
        session_id = _session_id_of(text) if moved else None
        plain: list[HeadParts] = []
        if head:
            session = read_session_head(path, text, plain)
        elif kept is not None:
            from ai_protocols.session.edit_base import AsRead

            as_read = AsRead(kept, text)
            del text
            session = read_session(path, as_read.doc, brief=brief)
        else:
            held = [text]
            del text
            if view:
                from ai_protocols.session.view import read_view

                session = read_view(path, held)
            else:
                session = read_session(path, held, brief=brief)  # (it frees the text once read)
        if moved:
            from ai_protocols.session.edit_base import moved_away

            if moved_away(self.ai_dir_text, path, session.agent_id, session.started,
                          read_as, session_id) is not None:
                return None
        if session.status not in CLOSED_STATUSES and kept_is_other(self.ai_dir_text, path):
            # (a stale save over the tool's pause or resumption: the state the next
            # write's merge keeps, one rule; two stats otherwise)
            from ai_protocols.session.stale_state import merged_state

            session = merged_state(self.ai_dir_text, path, session)
        if kept is not None and keep is not None:
            keep.append(as_read)
        if heads is not None and plain and not moved:
            heads.keep(path, read_as, plain[0])
        return session

    def show_file(self, path: str | os.PathLike[str], *, whole: bool = False,
                  brief: bool = False, view: bool = False) -> Session:
        """The session in ``path``, with the entries waiting for Emacs; with ``whole``,
        with the entries moved to its earlier-entries files too
        (:func:`~ai_protocols.session.rollover.read_whole`); with ``brief``, read brief
        (:func:`~ai_protocols.session.reading.read_session`: for a resume context); with
        ``view``, its sections and Log as sequences read on demand, for ``show`` to print
        (:func:`~ai_protocols.session.view.read_view`; ``json_items`` writes them without
        a list of entries). Raises
        :class:`~ai_protocols.errors.NoSession` when there is none (its subclass
        :class:`~ai_protocols.errors.SessionRemoved` when something other than this
        tool removed it), and what :meth:`read` raises."""
        path = clean_path(path)
        session = self._read(path, brief=brief and not whole, view=view and not brief)
        if whole and session is not None and session.earlier:
            from ai_protocols.session.rollover import read_whole

            data = storage.read_bytes(path)
            if data is not None:
                from ai_protocols.session.carries import missing_earlier_advice

                session = read_whole(path, storage.decode(path, data), self._kept_earlier,
                                     lambda gone: missing_earlier_advice(self.ai_dir_text, gone))
        if session is None:
            kept = kept_path(self.ai_dir_text, path)
            if not os.path.lexists(path) and os.path.lexists(kept) and \
                    not os.path.lexists(tombstone_path(self.ai_dir_text, path)):
                from ai_protocols.errors import carry_left
                from ai_protocols.session.away import moved_elsewhere
                from ai_protocols.session.replaced import carried_away, stashed_in, switched_from

                carried = carried_away(self.ai_dir_text, path)
                if carried is not None:
                    raise carried
                where = moved_elsewhere(self.ai_dir_text, path)
                if where is not None:
                    raise SessionWrappedUp(path, where)
                stash = stashed_in(path)
                switched = switched_from(path, kept) \
                    if stash is None or carry_left(path) else None
                raise SessionRemoved(path, kept, stash, switched, start_command(path))
            if not os.path.lexists(path) and not os.path.lexists(kept):
                from ai_protocols.session.replaced import stashed_in

                stash = stashed_in(path)  # (git stash -a: the kept copy went with it)
                if stash is not None:
                    raise SessionRemoved(path, kept, stash, start=start_command(path))
            raise NoSession(path)
        from ai_protocols.session.pending import pending_path, read_pending

        session.pending = read_pending(path, kept_path(self.ai_dir_text, pending_path(path)))
        if session.earlier:  # (one behaviour: show says what show --all reads)
            session.earlier = [self._where_earlier(e) for e in session.earlier]
        session.unlinked = self._unlinked_earlier(path, session)
        return session

    def _unlinked_earlier(self, path: str, session: Session) -> list[str]:
        """The files of ``path``'s history folder named as a rollover names one that no
        link of ``session`` names (one ``listdir``; none when the folder is not there)."""
        from ai_protocols.session.earlier_links import is_earlier_name
        from ai_protocols.session.names import history_folder

        folder = history_folder(self.ai_dir_text, path)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        linked = {os.path.normpath(e.path) for e in session.earlier}
        found = [os.path.join(folder, name) for name in names if is_earlier_name(name)
                 and os.path.normpath(os.path.join(folder, name)) not in linked]
        if not found:
            return found
        from ai_protocols.org.file import OrgFile
        from ai_protocols.session.rollover import of_another_session
        from ai_protocols.storage.files import read_bytes

        try:  # (rare: only with such files; a file of another session is not this one's)
            data = read_bytes(path)
        except (AiProtocolsError, OSError):
            return found
        if data is None:
            return found
        doc = OrgFile(data.decode("utf-8", "surrogateescape"))
        return [p for p in found if not of_another_session(p, doc)]

    def _where_earlier(self, earlier: EarlierEntries) -> EarlierEntries:
        """``earlier`` with :attr:`~EarlierEntries.kept` (or ``missing``) set when its
        file is gone."""
        if os.path.lexists(earlier.path):
            return earlier
        from ai_protocols.session.earlier_links import drawer_count

        kept = self._kept_earlier(earlier.path)
        count = earlier.entries  # (the link's description's, the file being gone)
        if kept is not None:
            count = drawer_count(kept) or count  # (the copy says what the file would)
        return EarlierEntries(earlier.path, earlier.first, earlier.last, count,
                              kept=kept, missing=kept is None)

    def _kept_earlier(self, path: str) -> str | None:
        """Where the copy of the earlier-entries file ``path`` is kept, when there is one
        (:func:`~ai_protocols.session.names.earlier_kept_paths`)."""
        from ai_protocols.session.names import earlier_kept_paths

        try:
            copies = earlier_kept_paths(self.ai_dir_text, path)
        except ValueError:
            return None
        return next((kept for kept in copies if os.path.isfile(kept)), None)

    def show(self, *, whole: bool = False, brief: bool = False, view: bool = False) -> Session:
        """The current agent's session (:meth:`show_file` of :attr:`path`)."""
        return self.show_file(self.path_text, whole=whole, brief=brief, view=view)

    def resume(self, max_bytes: int | None = None, now: datetime | None = None) -> ResumeContext:
        """What this agent needs to carry on (:func:`ai_protocols.session.resume.resume_context`
        of its session, ``None`` when it has no session file yet), to be fitted into
        ``max_bytes`` (default 4096). Raises what :meth:`read` raises."""
        from ai_protocols.git.state import start_state

        git = start_state(self.root_text)  # git runs while the session file is read
        try:
            session = self._read(clean_path(self.path_text), brief=True)  # (what it shows)
        except BaseException:
            git()  # (no process left behind)
            raise
        from ai_protocols.session.resume import DEFAULT_MAX_BYTES, resume_context

        return resume_context(self, session, git=git, now=now,  # (waited for there)
                              max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)

    def liveness(self, session: Session, now: datetime, me: Owner | None = None) -> Liveness:
        """The session's state and its evidence (:func:`ai_protocols.liveness.evidence.assess`);
        ``mine`` when its owner is ``me`` and it is not paused. ``now`` is the reader's
        local time."""
        return self._judge(now, me, many=False)(session, True)

    def _judge(self, now: datetime, me: Owner | None = None, *,
               many: bool = True) -> Callable[[Session, bool], Liveness]:
        """:meth:`liveness` of each session it is given, at ``now``, ``me`` its owner
        when the call says it may be (``judge(session, mine)``), with what every
        judgement reads read once: the stale setting and, for ``many`` sessions, the
        time since boot (``status`` and ``list`` judge every session file of the
        project; the time since boot is then that of one moment, as ``now`` is; for
        one, it is read only when its record was taken in this boot)."""
        from ai_protocols.liveness.clock import age_since, since_boot
        from ai_protocols.liveness.evidence import (
            Liveness,
            Owner,
            assess,
            leases_folder,
            stale_after,
        )

        stale, ai_dir = stale_after(), self.ai_dir_text
        uptime = since_boot() if many else None
        # (no folder of leases, as in a project no spawner ran in: no lease and no exit
        # record to ask about for any of many sessions judged; asked once)
        leases = present(leases_folder(ai_dir), follow=True) if many else True

        def judge(session: Session, mine: bool = False) -> Liveness:
            mtime = None
            if session.updated is None:
                try:
                    mtime = os.stat(session.path_text).st_mtime
                except OSError:
                    pass
            age = age_since(session.updated, session.updated_at, now, mtime, uptime=uptime)
            recorded = Owner.parse(session.owner) if session.owner else None
            # (paused is paused, even by this very agent)
            if mine and me is not None and recorded is not None and \
                    recorded.same_process(me) and session.status != PAUSED:
                return Liveness("mine", "this agent started it", age)
            return assess(ai_dir, agent_id=session.agent_id, status=session.status,
                          owner=session.owner, exit_=session.exit, exited=session.exited,
                          exit_by=session.exit_by, host=session.host, updated=session.updated,
                          now=now, stale_after=stale, age=age, paused=session.paused,
                          pause_note=session.pause_note, leases=leases)

        return judge

    # -- writing --------------------------------------------------------------------------

    def log(self, *entries: LogEntry, now: datetime | Moment | None = None) -> LogReport:
        """Record ``entries`` in one atomic write; return what the Log section got.

        While a person has unsaved changes to the file in Emacs, the entries
        wait in the pending file instead (see :mod:`ai_protocols.session.pending`)
        and are folded in, in order, at the first write after the lock is gone.
        Raises :class:`~ai_protocols.errors.InvalidText` (before anything is
        written), :class:`~ai_protocols.errors.NoSession`,
        :class:`~ai_protocols.errors.SessionWrappedUp`,
        :class:`~ai_protocols.errors.ItemNotFound`,
        :class:`~ai_protocols.errors.AmbiguousItem` and what any write may raise.
        """
        if not entries:
            raise InvalidText("entry", "", "nothing to log")
        for entry in entries:
            if entry.kind not in KIND_OF:
                raise InvalidText("kind", entry.kind, "use one of " +
                                  ", ".join(k.kind for k in ENTRY_KINDS))
            check_text(entry.kind, entry.text)
            if entry.rationale is not None and entry.kind != "decision":
                raise InvalidText("rationale", entry.rationale,
                                  "only a decision has a rationale")
            if entry.kind == "decision":
                if entry.rationale is None:
                    raise InvalidText("decision", entry.text, "a decision needs --rationale")
                check_text("rationale", entry.rationale)
        if any(entry.kind == "key-file" for entry in entries):
            from ai_protocols.session.text import key_file_path

            entries = tuple(LogEntry(e.kind, key_file_path(self.root_text, e.text))
                            if e.kind == "key-file" else e for e in entries)
        return self._record(entries, now)

    def _record(self, entries: tuple[LogEntry, ...], now: datetime | Moment | None) -> LogReport:
        from ai_protocols.session.pause import record_head
        from ai_protocols.session.transaction import editing

        said: list[str] = []

        def first(edit: SessionEdit) -> None:  # (before any rollover: bad input makes nothing)
            nonlocal entries
            if any(entry.kind == "key-file" for entry in entries):  # (a hard link: one file)
                from ai_protocols.session.splice import as_listed_key_file

                mapped: list[LogEntry] = []
                for e in entries:
                    if e.kind == "key-file":
                        e = LogEntry(e.kind, as_listed_key_file(
                            edit.doc, edit.line, self.root_text, e.text,
                            [m.text for m in mapped if m.kind == "key-file"]))
                    mapped.append(e)
                entries = tuple(mapped)
            said[:] = edit.apply_all(entries)

        with editing(self.ai_dir_text, self.path_text, now=now, if_edited="defer",
                     first=first) as edit:
            moved = record_head(edit, self.root_text)
        line, note = moved if moved is not None and not edit.replaced_said else (None, None)
        return LogReport(said, edit.pending, edit.emacs_lock, line, edit.over_bound, note)

    def record_exit(self, how: str, now: datetime | Moment | None = None) -> bool:
        """For a spawner whose child ended: record that the session ended without a
        wrap-up, and how (``exit status 3``, ``signal 9 (SIGKILL)``). Returns whether
        there was an unfinished session to record it in."""
        try:
            self._record((LogEntry("exit", how),), now)
        except (NoSession, SessionWrappedUp):
            return False
        return True

    def start(self, title: str | None = None, now: datetime | Moment | None = None, *,
              others: bool = True, objective: str | None = None,
              resume: bool = True, brief: bool = False, keep: list[AsRead] | None = None
              ) -> StartReport:
        """Create the session file, or report the one a previous session left behind.

        An existing file is never overwritten: it holds what the new session
        needs to carry on. The report says, with evidence, whether its owner
        is still at work; when it is gone, the caller becomes the owner. Only
        a file that a wrap-up closed but could not move is archived first. With
        ``others=False`` the report leaves other agents' sessions out (``others``
        empty): a caller that lists them itself need not read them twice.

        A fresh session in a project without a complete ``.ai/`` sets the project up
        first as ``init`` does (:func:`ai_protocols.scaffold.init_project`, reported
        in ``set_up``), so that no session starts half set up (its lock folder not
        ignored by git).
        ``title`` ``None`` is no title; an empty one (or only white space) is refused
        (:class:`~ai_protocols.errors.InvalidText`, as every empty text). ``objective`` (one
        line) is what the session is for (``OBJECTIVE``), read first on resume; given
        to the caller's session (or one it takes over, or a paused one it resumes) that
        has another, it replaces it: a Log line says so and keeps the old one in full
        (``objective_replaced``).
        A session of this agent that was paused (``ai-protocols pause``) is resumed:
        ``resumed_pause`` says what its pause said; with ``resume=False`` (the
        SessionStart of a compaction: the agent was running, it did not come back) it
        stays paused, and ``state`` says so. With ``brief``, the session reported is read
        brief (:func:`~ai_protocols.session.reading.read_session`: its closed items left
        out), as found or as this start wrote it (a take-over, a pause resumed, a title or
        objective given), for a caller that shows its resume context: a take-over of a
        big file reads no more than carrying it on does.
        ``keep``: extended with the file as this start read it, when it found one
        (:class:`~ai_protocols.session.edit_base.AsRead`), for the caller's edit that
        follows (which takes it only when the file is still those bytes).
        A fresh session where this agent's own was adopted by another agent says so in
        ``adopted`` and in its Log
        (:data:`~ai_protocols.session.names.ADOPTED_AWAY`).

        Raises :class:`~ai_protocols.errors.NoProject` when the root was only
        guessed (:attr:`root_guessed`) and holds neither ``.ai/`` nor ``.git``,
        :class:`~ai_protocols.errors.InvalidText` (a bad title),
        :class:`~ai_protocols.errors.InvalidAgentId` and what any write may raise.
        """
        from ai_protocols.liveness.clock import now_moment
        from ai_protocols.liveness.evidence import (
            NAMED_TO_OTHERS,
            assess,
            current_owner,
            owner_property,
            stale_after,
        )
        from ai_protocols.liveness.host import hostname
        from ai_protocols.org.emacs_lock import live_emacs_lock

        # (the write machinery, transaction, rollover, archive, recovery and pause, is
        # imported where this start writes: one already started by its caller, which
        # writes nothing, imports none of it; docs/decisions.md, twenty-third round)
        from ai_protocols.session.locks import (
            archive_lock,
            discard_partial_archives,
            locked_sessions,
            may_take_over,
            moved_may_be,
            put_back_may_be,
            refuse_unsafe,
            refuse_unsafe_archive,
            refuse_unwritable_id,
        )

        refuse_unwritable_id(self.agent_id)
        if title is not None:  # ("" given: refused, as any empty text; None: no title)
            check_text("title", title, one_line=True)
        if objective is not None:
            check_text("objective", objective, one_line=True)

        resumed_pause = None
        objective_replaced = None
        set_up = []
        stashed = None
        if not os.path.lexists(self.path_text):  # (a session under way needs no scaffold)
            from ai_protocols.scaffold import init_project, is_set_up

            if not os.path.lexists(os.path.join(self.ai_dir_text, storage.LOCK_DIR)):
                # git stash -a took .ai/.locks/ (the kept copy) with the file: no process
                # unless there is a stash (issue 14, eleventh round)
                from ai_protocols.session.replaced import stashed_in

                stashed = stashed_in(self.path_text)

            if not is_set_up(self.root_text):
                if self.root_guessed and not os.path.isdir(self.ai_dir_text) and \
                        not os.path.lexists(os.path.join(self.root_text, ".git")):
                    raise NoProject(self.root_text)
                from ai_protocols.git.driver import driver_command  # (as init does)

                set_up = init_project(self.root_text, merge_driver=driver_command())
        driver_configured = None
        if not set_up and merge_driver_missing(self.root_text):  # (init_project did it)
            from ai_protocols.git.driver import configure_missing_merge_driver

            driver_configured = configure_missing_merge_driver(self.root_text)
        owner = current_owner()
        finished = state = restored = adopted = None
        took_over = titled = False

        def fresh_text() -> str:  # (only when a new file is written)
            from ai_protocols.session.splice import new_session_text

            return new_session_text(agent_id=self.agent_id, host=hostname(), title=title,
                                    now=at.minute, owner=owner_property(owner),
                                    updated_at=at.to_property() if at.measured else None)

        refuse_unsafe(self.ai_dir_text, self.path_text)
        refuse_unsafe_archive(self.root_text, self.sessions_dir_text)
        with locked_sessions(self.ai_dir_text, self.path_text,
                             also=(archive_lock(self.sessions_dir_text),)):
            # The time taken holding the locks, never before: a start that waited on
            # them stamps no time earlier than the write it waited for (13th round).
            at = now_moment(now)
            if moved_may_be(self.ai_dir_text, self.path_text):
                from ai_protocols.session.away import settle

                settle(self.ai_dir_text, self.path_text)  # what a move killed before its end left
            discard_partial_archives(self.ai_dir_text)  # (killed wrap-ups': lock held)
            restored = self._bring_back()
            try:
                existing = self._read(clean_path(self.path_text), brief=brief, keep=keep)
            except MergeConflict as error:
                if not driver_configured or error.sessions is not None:
                    raise
                # (said, as a clean fresh clone's start says it, with the command that
                # merges the file again through the driver it configured)
                from ai_protocols.git.driver import driver_configured_note
                from ai_protocols.session.unmerged import remerge_advice

                again = MergeConflict(error.path, error.lines, remerge=remerge_advice(
                    error.path_text, configured=True))
                note = driver_configured_note(driver_configured).removeprefix("Note: ")
                again.args = (f"{again.message}. {note[:1].upper()}{note[1:]}",)
                raise again from None
            copy_of = self._archived_copy() if existing is not None and \
                existing.status == WRAPPED_UP else None
            if copy_of is not None:
                # A copy of a session its archive holds whole (issue 14, thirteenth
                # round): nothing to finish, nothing archived twice; a fresh one here.
                from ai_protocols.session.edit_base import refuse_if_edited
                from ai_protocols.session.pause import record_head
                from ai_protocols.session.transaction import editing

                refuse_if_edited(self.path_text)
                with editing(self.ai_dir_text, self.path_text, now=at, held=True,
                             new_text=fresh_text()) as edit:
                    edit.set_properties(("OBJECTIVE", objective))
                    record_head(edit, self.root_text)
                session, objective = edit.session(brief=brief), None
                existing = None
            elif existing is not None and existing.status == WRAPPED_UP:
                # A wrap-up an older version left half done: archived, and the new
                # session in its place, in one move (nothing changes if either fails).
                from ai_protocols.session.archive import archive_to, record
                from ai_protocols.session.edit_base import refuse_if_edited
                from ai_protocols.session.transaction import editing

                refuse_if_edited(self.path_text)
                with editing(self.ai_dir_text, self.path_text, now=at, held=True,
                             closed_ok=True) as edit:
                    finished = archive_to(edit, self.root_text, self.sessions_dir_text,
                                          then=fresh_text())
                record(self.ai_dir_text, self.sessions_dir_text, finished)
                session = self.show(brief=brief)
                existing = None
            elif existing is None:
                from ai_protocols.session.away import adopted_away
                from ai_protocols.session.names import ADOPTED_AWAY
                from ai_protocols.session.pause import record_head
                from ai_protocols.session.transaction import editing

                adopted = adopted_away(self.ai_dir_text, self.path_text)  # (its tombstone)
                with editing(self.ai_dir_text, self.path_text, now=at, held=True,
                             new_text=fresh_text()) as edit:
                    edit.set_properties(("OBJECTIVE", objective))
                    record_head(edit, self.root_text)
                    if adopted is not None:
                        edit.note(f"{ADOPTED_AWAY}{adopted}")
                session = edit.session(brief=brief)
                objective = None
            else:
                if put_back_may_be(self.ai_dir_text, self.path_text):
                    from ai_protocols.session.wrapped_copy import refuse_put_back

                    # (a version from before its wrap-up git put back: exit 7, as every
                    # write)
                    refuse_put_back(self.ai_dir_text, self.path_text)
                session = existing
                state = self.liveness(session, at.wall, owner)
                if session.status == PAUSED and not resume:
                    pass  # (a compaction: no resumption, as log's, Stop's or PreCompact's)
                elif session.status == PAUSED and live_emacs_lock(self.path_text) is None:
                    _refuse_other_work(self, session, title)  # (before anything changes)
                    resumed_pause = assess(
                        self.ai_dir_text, agent_id=None, status=PAUSED, owner=None, exit_=None,
                        exited=None, host=None, updated=None, now=at.wall,
                        stale_after=stale_after(), paused=session.paused,
                        pause_note=session.pause_note).evidence
                    from ai_protocols.session.pause import resume_paused

                    session = resume_paused(self, owner, session, at, brief=brief)
                    took_over = True
                elif may_take_over(session, state) and \
                        live_emacs_lock(self.path_text) is None:
                    from ai_protocols.session.recovery import take_over

                    session = take_over(self, owner, state, at, brief=brief)
                    took_over = True
                if title and not session.title and live_emacs_lock(self.path_text) is None:
                    # A session a hook started has no title yet: the agent's start gives it.
                    from ai_protocols.session.transaction import editing

                    with editing(self.ai_dir_text, self.path_text, now=at, held=True) as edit:
                        edit.set_properties((TITLE_PROPERTY, title))
                        line = edit.doc.lines[edit.line].rstrip("\r\n")
                        if line.rstrip() == "* Session":
                            edit.doc.set_line(edit.line, f"* Session: {escape_headline(title)}")
                    session, titled = edit.session(brief=brief), True
            mine = existing is None or took_over or (state is not None and state.state == "mine")
            if objective is not None and session.objective != objective and mine and \
                    live_emacs_lock(self.path_text) is None:  # (not another agent's, at work)
                # (a paused session resumed too: one rule; the old objective kept whole)
                old = session.objective or None
                from ai_protocols.session.transaction import editing

                with editing(self.ai_dir_text, self.path_text, now=at, held=True) as edit:
                    edit.set_properties(("OBJECTIVE", objective))
                    edit.note(f"objective: {preview(objective)}" +
                              (f" (it was: {old})" if old else ""))
                session, objective_replaced = edit.session(brief=brief), old
        seen: tuple[list[tuple[Session, Liveness]], int] = ([], 0)
        if others:  # (their heads: what start shows of them; the newest of many)
            from ai_protocols.session.resume import DEFAULT_MAX_BYTES, others_to_read

            seen = self.newest_others(at.wall, head=True,
                                      most=others_to_read(DEFAULT_MAX_BYTES))
        return StartReport(
            path=self.path_text,
            fresh=existing is None,
            session=session,
            state=state,
            took_over=took_over,
            titled=titled,
            finished_archive=finished,
            copy_of_archive=copy_of,
            restored_from=restored,
            stashed_away=stashed if existing is None else None,
            reused_id_warning=self._reused_id_warning(),
            others=[(s, live) for s, live in seen[0] if live.state in NAMED_TO_OTHERS],
            others_unread=seen[1],
            set_up=set_up,
            resumed_pause=resumed_pause,
            objective_replaced=objective_replaced,
            driver_configured=driver_configured,
            adopted=adopted,
        )

    def wrap_up(self, description: str, now: datetime | Moment | None = None) -> Path:
        """Close the session and move it into ``.ai/sessions/``; return the archive.
        (:meth:`_wrap_up` returns it as text: the CLI's way, without ``pathlib``.)

        One edit transaction closes it (STATUS, ENDED, DESCRIPTION, a ``wrap-up:``
        line) and writes it as its archive, then removes the file
        (:func:`~ai_protocols.session.archive.archive_to`): any failure (a full disk,
        no inodes, a path too long) changes nothing, and a kill never loses or
        doubles the session. A file closed in place by an older version's wrap-up,
        killed half way, is archived as it was closed.
        Raises :class:`~ai_protocols.errors.InvalidText` (a description with
        nothing to name the archive by), :class:`~ai_protocols.errors.NoSession`,
        :class:`~ai_protocols.errors.SessionWrappedUp`,
        :class:`~ai_protocols.errors.BeingEdited` and what any write may raise.
        """
        from pathlib import Path

        return Path(self._wrap_up(description, now))

    def _wrap_up(self, description: str, now: datetime | Moment | None = None) -> str:
        """:meth:`wrap_up`, the archive's path as text."""
        from ai_protocols.session.archive import (
            archive_lock,
            archive_to,
            record,
            refuse_unsafe_archive,
        )
        from ai_protocols.session.away import refuse_missing
        from ai_protocols.session.transaction import editing, locked_sessions, refuse_unsafe

        slugify(description)
        refuse_missing(self.ai_dir_text, self.path_text)
        refuse_unsafe(self.ai_dir_text, self.path_text)
        refuse_unsafe_archive(self.root_text, self.sessions_dir_text)
        with locked_sessions(self.ai_dir_text, self.path_text,
                             also=(archive_lock(self.sessions_dir_text),)):
            with editing(self.ai_dir_text, self.path_text, now=now, held=True,
                         closed_ok=True) as edit:
                if edit.properties.get("STATUS") != WRAPPED_UP:
                    edit.set_properties(("STATUS", WRAPPED_UP), ("ENDED", edit.stamp),
                                        ("DESCRIPTION", description))
                    edit.note(f"wrap-up: {preview(description)}")
                target = archive_to(edit, self.root_text, self.sessions_dir_text)
            record(self.ai_dir_text, self.sessions_dir_text, target)
        return target

    def pause(self, note: str | None = None, now: datetime | Moment | None = None, *,
              brief: bool = False) -> Session:
        """Mark this agent's session paused; see :func:`ai_protocols.session.pause.pause`."""
        from ai_protocols.session import pause

        return pause.pause(self, note, now, brief=brief)

    def abandon(self, reason: str, now: datetime | Moment | None = None) -> Path:
        """Close this agent's session as abandoned and archive it; return the archive. See
        :func:`ai_protocols.session.pause.abandon`."""
        from pathlib import Path

        from ai_protocols.session import pause

        return Path(pause.abandon(self, reason, now))

    def _misplaced(self, path: str, agent_id: str | None) -> bool:
        """Whether the session file at ``path`` holds another agent's own session (its
        ``AGENT_ID`` is ``agent_id``), which the writes refuse
        (:func:`~ai_protocols.session.resume.misplaced_of`): not this agent's, whoever
        started it. A string compare unless the ids differ
        (:func:`~ai_protocols.session.names.may_be_misplaced`: nothing imported)."""
        from ai_protocols.session.names import may_be_misplaced

        if not may_be_misplaced(self.agent_id, path, agent_id):
            return False
        from ai_protocols.session.resume import misplaced_of

        return misplaced_of(self, path, agent_id) is not None

    def _archived_copy(self) -> str | None:
        """The archive that holds the wrapped-up session in this agent's session file and
        every entry of it (:func:`~ai_protocols.session.wrapped_copy.archived_copy`): the
        file is a copy of it put back, not a wrap-up left half done; else ``None``."""
        from ai_protocols.org.file import OrgFile
        from ai_protocols.session.sections import session_headline
        from ai_protocols.session.wrapped_copy import archived_copy

        try:
            data = storage.read_regular(self.path_text)
        except (OSError, storage.NotRegular):
            return None
        headline = session_headline(OrgFile(data.decode("utf-8", "replace")))
        if headline is None:
            return None
        found = archived_copy(self.ai_dir_text, self.path_text, headline.properties, data)
        return found[0] if found is not None and found[1] == 0 else None

    def _bring_back(self) -> str | None:
        """When this agent's session file is gone but not by this tool (no tombstone)
        and its kept copy is there, put the copy back (a copy of its own, with the kept
        copy's time: the very bytes last written) and return where it was kept. Call
        holding the file's lock.

        The kept copy is dropped only when an archive holds its session
        (:func:`~ai_protocols.session.away.moved_elsewhere`: wrapped up in
        another clone) and every entry of it, or git's history holds that very version
        (:func:`~ai_protocols.session.wrapped_copy.kept_in_git`: committed, then removed
        by a person, ``git rm`` of a modify/delete conflict, with the history keeping
        it). When neither holds what it holds, the copy's
        bytes are put back as a file of their own (not a link: another inode than the
        kept copy), which ``start`` and the writes then refuse as a put-back copy of an
        archived session (exit 7, :func:`~ai_protocols.session.wrapped_copy.put_back_refusal`)
        advising ``merge-kept``: a kept copy is never forgotten with entries nowhere
        else (docs/decisions.md, "Issue 14, fifteenth round (put-back sessions)")."""
        kept = kept_path(self.ai_dir_text, self.path_text)
        if os.path.lexists(self.path_text) or not os.path.lexists(kept) or \
                os.path.lexists(tombstone_path(self.ai_dir_text, self.path_text)):
            return None
        from ai_protocols.session.away import forget, kept_at_start, put_copy_back
        from ai_protocols.session.replaced import carried_away

        carried = carried_away(self.ai_dir_text, self.path_text)
        if carried is not None:  # (the file itself carried to another work tree)
            raise carried

        where, copy = kept_at_start(self.ai_dir_text, self.path_text)
        if where is not None and copy is None:
            forget(self.ai_dir_text, self.path_text)  # wrapped up in another clone
            return None
        storage.refuse_symlinks(self.root_text, self.path_text)
        try:
            os.makedirs(parent(self.path_text), exist_ok=True)
            if copy is None:  # (a copy of its own: a save in place leaves the kept copy)
                put_copy_back(self.path_text, storage.read_regular(kept),
                              os.stat(kept, follow_symlinks=False))
            else:
                put_copy_back(self.path_text, copy)
            storage.fsync_dir(parent(self.path_text))
        except OSError as error:
            raise StorageError(self.path_text, error) from error
        return kept

    def recover(self, target: str, *, adopt: bool, force: bool = False,
                now: datetime | Moment | None = None) -> Path:
        """Adopt or archive another agent's crashed or abandoned session; see
        :func:`ai_protocols.session.recovery.recover`."""
        from pathlib import Path

        from ai_protocols.session import recovery

        return Path(recovery.recover(self, target, adopt=adopt, force=force, now=now))

    def merge_kept(self, target: str | None = None,
                   now: datetime | Moment | None = None, *,
                   wording: str = "file") -> tuple[Path, int, int, str]:
        """Merge a session file with the newer version the tool kept of it (what exit 6,
        :class:`~ai_protocols.errors.SessionReplaced`, advises); ``target``: an agent id
        or a session file's path (default: the caller's). Returns the file that gained
        entries, how many, how many entries worded differently were merged as one, and
        where what the file lacked came from (``"the kept copy"``, or ``"git's HEAD"``
        for a stale save merged back with what git brought):
        the session file, or the archive of the kept copy's
        session when another clone wrapped it up (the file's own session carries on),
        or the archive of the file's session when git's merge stopped on the file
        because one side archived it (modify/delete);
        see :func:`ai_protocols.session.merge_kept.merge_kept_into`. The
        result's ``GIT_BRANCH`` and ``GIT_COMMIT`` say where ``HEAD`` is now, as any
        write sets them (:func:`~ai_protocols.session.pause.record_head`). ``wording``:
        whose words of an entry the two word differently are kept when git holds no
        version of both (``"file"`` or ``"kept"``). Raises what ``merge_kept_into``
        raises: :class:`~ai_protocols.errors.KeptNotMerged`,
        :class:`~ai_protocols.errors.StaleSave` (an editor's stale save the next write
        refuses), :class:`~ai_protocols.errors.OtherSession`..."""
        from pathlib import Path

        from ai_protocols.session.merge_kept import merge_kept_into
        from ai_protocols.session.pause import record_head
        from ai_protocols.session.recovery import target_path

        path = self.path_text if target is None else target_path(self, target, "merge-kept")
        root = self.root_text  # (GIT_BRANCH and GIT_COMMIT: where HEAD is now)
        where, gained, reworded, source = merge_kept_into(
            self.ai_dir_text, path, now=now, then=lambda edit: record_head(edit, root),
            wording=wording)
        return Path(where), gained, reworded, source

    # -- other agents ---------------------------------------------------------------------

    def _reused_id_warning(self) -> str | None:
        if self.agent_id is None:
            return None
        from ai_protocols.identity import has_unique_tail

        if has_unique_tail(self.agent_id):
            return None
        return (
            f"AI_AGENT_ID {quoted(self.agent_id)} has no epoch-like tail (such as "
            ".1718400000). A reused id resolves to the previous run's leftover file: "
            "the next run mistakes it for a crash to recover, or two runs at once write "
            "the same file. Have the spawner set a fresh id per run, for example "
            "AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME)."
        )

    def others(self, now: datetime | None = None, *,
               head: bool = False) -> list[tuple[Session, Liveness]]:
        """Every other agent's session-context file that can be read, with its state
        (:meth:`liveness`), in the order of :meth:`session_paths`; files that cannot
        be read are passed over. With ``head``, each session less its entries and Log,
        as ``status`` reads them (:func:`~ai_protocols.session.reading.read_session_head`:
        the session headline and the summary; what the resume context shows of
        another agent's session), not each whole file."""
        return self.newest_others(now, head=head)[0]

    def newest_others(self, now: datetime | None = None, *, head: bool = False,
                      most: int | None = None) -> tuple[list[tuple[Session, Liveness]], int]:
        """:meth:`others`, reading at most ``most`` files (``None``: every one): when
        there are more other session files than that, only the ``most`` newest by
        modification time (then by path), in the order of :meth:`session_paths`; the rest
        are counted from the folder's listing, unread. Returns the sessions read with
        their states and the number of files left unread (``0`` when all were read).
        A listing and a ``stat`` per file, so that a command that shows a few of many
        crashed sessions does not read them all (issue 16, fifteenth round)."""
        judge = self._judge(now or datetime.now())
        one = join(self.ai_dir_text, "session-context.org")
        # (the folder's files in the listing's order: only the few kept are sorted)
        paths = [one, *session_files(self.context_dir_text, ordered=False)]
        try:  # (one scan in C, not a comparison per file in Python, beside thousands)
            paths.remove(self.path_text)
        except ValueError:
            pass
        unread = 0
        heads = None
        if most is not None and len(paths) > most:
            if head:  # (the heads read last time, kept by each file's stat: issue 16,
                from ai_protocols.session.heads import Heads  # nineteenth round)

                heads = Heads(self.ai_dir_text)
            paths, unread = _newest(paths, most, one)
        else:  # (the order of session_paths: the one-agent file first, then by path)
            lead = 1 if paths[:1] == [one] else 0  # (none left: its own was the one)
            paths[lead:] = sorted(paths[lead:])
        found = []
        for path in paths:
            try:
                session = self._head(path, heads) if heads is not None else \
                    self._read(path, head=head)
            except (UnreadableSession, StorageError, UnsafePath):
                continue
            if session is not None:
                found.append((session, judge(session, False)))
        if heads is not None:
            heads.save()
        return found, unread

    def _head(self, path: str, heads: Heads) -> Session | None:
        """:meth:`_read` of ``path``'s head, from ``heads`` when it kept this file's head
        (:meth:`~ai_protocols.session.heads.Heads.session`); else read, and kept."""
        session = heads.session(path)
        return session if session is not None else self._read(path, head=True, heads=heads)

    def status(self, now: datetime | None = None) -> list[StatusRow]:
        """Every session-context file in the project, with its state and the evidence;
        then every session file something other than this tool removed
        (:meth:`removed_sessions`), in state ``removed``, read from its kept copy."""
        from ai_protocols.liveness.evidence import Liveness, current_owner

        moment = now or datetime.now()
        me = current_owner()
        judge = self._judge(moment, me)
        rows = []
        for path in self._session_files():
            gone: list[str] = []
            try:
                session = self._read(path, head=True, gone=gone)
            except (UnreadableSession, UnsafePath) as error:
                rows.append(StatusRow(path, None, path == self.path_text,
                                      Liveness("unknown", str(error)), None, None, None))
                continue
            if session is None:
                continue
            mine = path == self.path_text and not self._misplaced(path, session.agent_id)
            live = judge(session, mine)
            if live.state == "mine":
                live = Liveness("live", "this agent started it", live.age)
            rows.append(StatusRow(path, session.agent_id, path == self.path_text, live,
                                  session.updated, session.summary, session.title, moment,
                                  session.updated_at, missing_earlier=gone,
                                  status=session.status))
        for path, kept in self._removed_sessions().items():
            try:  # what the row says of it is its kept copy's
                session = self._read(kept, head=True)
            except (UnreadableSession, UnsafePath):
                session = None
            said = Liveness("removed", f"{REMOVED_HOW}; its last version is kept in "
                            f"{kept}, and its agent's next 'ai-protocols start' brings it back")
            rows.append(StatusRow(
                path, session.agent_id if session else None, path == self.path_text, said,
                session.updated if session else None, session.summary if session else None,
                session.title if session else None, moment,
                session.updated_at if session else None, kept=kept))
        rows += self._carried_rows(moment)
        stashed = self._stashed_row(rows, moment)
        if stashed is not None:
            rows.append(stashed)
        rows += self._abandoned_rows(rows, moment)
        return rows

    #: How many of the newest archives :meth:`_abandoned_rows` reads (by name: an
    #: archive's name starts with the time it was closed): status stays as cheap with a
    #: hundred thousand archives; ``list`` shows them all.
    ABANDONED_LOOKED_AT = 10

    def _abandoned_rows(self, rows: list[StatusRow], moment: datetime) -> list[StatusRow]:
        """The rows of the sessions closed with ``abandon`` that ``status`` shows after
        the open ones (issue 14 point 2; docs/decisions.md, fifteenth round): among the
        :data:`ABANDONED_LOOKED_AT` newest archives, the newest of each agent id that
        has no open session file here, when it was closed as abandoned; state
        ``abandoned``, the evidence its time and reason (``DESCRIPTION``). At most that
        many archive heads read, and their names found at a cost that does not grow
        with the number of archives while the folder is unchanged
        (:func:`~ai_protocols.storage.archive_index.newest`)."""
        from ai_protocols.liveness.evidence import Liveness
        from ai_protocols.session.sections import ABANDONED
        from ai_protocols.session.splice import read_info
        from ai_protocols.storage.archive_index import newest

        names = newest(self.ai_dir_text, self.sessions_dir_text, self.ABANDONED_LOOKED_AT)
        opened = {row.agent_id for row in rows}
        seen: set[str | None] = set()
        found = []
        for name in names:
            for info in read_info(join(self.sessions_dir_text, name), "archived"):
                if info.agent_id in seen or info.agent_id in opened:
                    continue
                seen.add(info.agent_id)
                if info.status != ABANDONED:
                    continue
                when = info.ended.strftime("%Y-%m-%d %H:%M") if info.ended else "?"
                said = Liveness("abandoned", f"closed as abandoned at {when}: "
                                f"{info.description or '(no reason)'}; archived")
                found.append(StatusRow(info.path, info.agent_id, info.agent_id ==
                                       self.agent_id, said, info.ended or info.updated,
                                       None, info.title, moment, status=ABANDONED,
                                       archived=True))
        return found

    def _stashed_row(self, rows: list[StatusRow], moment: datetime) -> StatusRow | None:
        """This agent's session file, when ``git stash -a`` took it with its kept copy (no
        ``.ai/.locks/`` left, and the newest stash entry holds it): a row in state
        ``stashed`` whose evidence is what :meth:`read` says of it (one rule with start
        and resume: :class:`~ai_protocols.errors.SessionRemoved`); else ``None``. No
        process unless ``.ai/.locks/`` is gone and there is a stash."""
        from ai_protocols.liveness.evidence import Liveness

        if any(row.path_text == self.path_text for row in rows) or \
                os.path.lexists(self.path_text) or \
                os.path.lexists(os.path.join(self.ai_dir_text, storage.LOCK_DIR)):
            return None
        from ai_protocols.session.replaced import stashed_in

        stash = stashed_in(self.path_text)
        if stash is None:
            return None
        said = SessionRemoved(self.path_text, kept_path(self.ai_dir_text, self.path_text),
                              stash, start=start_command(self.path_text)).message
        return StatusRow(self.path_text, self.agent_id, True, Liveness("stashed", said),
                         None, None, None, moment)

    def removed_sessions(self) -> dict[Path, Path]:
        """The session files something other than this tool removed (``git clean``,
        ``git stash -u``, ``git checkout``), each with the copy of its last version kept
        under ``.ai/.locks/live/`` (:func:`~ai_protocols.session.names.kept_path`), from
        which that agent's next ``start`` brings it back. Not a session a move took away
        (its tombstone says where)."""
        from pathlib import Path

        return {Path(path): Path(kept) for path, kept in self._removed_sessions().items()}

    def _kept_alone(self) -> list[tuple[str, str]]:
        """``(session file, its kept copy)`` for each kept copy under ``.ai/.locks/live/``
        whose session file is gone (the common case: none; a ``listdir``)."""
        live = parent(kept_path(self.ai_dir_text, os.path.join(self.ai_dir_text, "x")))
        kept_files = [os.path.join(live, "session-context.org"),
                      *session_files(os.path.join(live, CONTEXT_DIR))]
        pairs = [(os.path.join(self.ai_dir_text, relative_to(kept, live)), kept)
                 for kept in kept_files]
        return [(path, kept) for path, kept in pairs
                if os.path.lexists(kept) and not os.path.lexists(path)]

    def _carried_rows(self, moment: datetime) -> list[StatusRow]:
        """``status``'s rows of the session files carried away whole to another work
        tree (gone, their kept copy's place the record of the carry: state ``carried``,
        its evidence where the session went: one text with the writes' refusal,
        :func:`~ai_protocols.session.replaced.carried_away`; issue 14, twentieth
        round: status said no session was under way)."""
        from ai_protocols.liveness.evidence import Liveness

        rows = []
        for path, kept in self._kept_alone():
            if not os.path.islink(kept):
                continue
            from ai_protocols.session.replaced import carried_away

            carried = carried_away(self.ai_dir_text, path)
            if carried is not None:
                rows.append(StatusRow(path, None, path == self.path_text,
                                      Liveness("carried", carried.said), None, None, None,
                                      moment))
        return rows

    def _removed_sessions(self) -> dict[str, str]:
        """:meth:`removed_sessions`, as text."""
        found: dict[str, str] = {}
        for path, kept in self._kept_alone():
            if os.path.islink(kept):  # (the record of a carry: :meth:`_carried_rows`)
                continue
            from ai_protocols.session.away import moved_elsewhere

            if not os.path.lexists(tombstone_path(self.ai_dir_text, path)) and \
                    moved_elsewhere(self.ai_dir_text, path) is None:
                found[path] = kept
        return found

    # -- listing --------------------------------------------------------------------------

    def _listing(self, agent: str | None, runtime: str | None,
                 since: datetime | None) -> archive_index.Listing:
        """The open session files, read each time and each with its state (as ``status``
        says it), and the archives, from the archive index where it is still valid;
        filtered and newest first."""
        from ai_protocols.liveness.evidence import current_owner
        from ai_protocols.session.splice import read_info
        from ai_protocols.storage import archive_index

        moment = datetime.now().astimezone()
        judged = self._judge(moment, current_owner())

        def judge(session: Session) -> str:
            state = judged(session, session.path_text == self.path_text)
            return "live" if state.state == "mine" else state.state

        opened = [row for path in self._session_files() for row in self._open_row(path, judge)]
        found = archive_index.archived(self.ai_dir_text, self.sessions_dir_text,
                                       lambda path: read_info(path, "archived"))
        found.others[:0] = opened  # open files first: they come first among rows that tie
        return archive_index.select(found, agent=agent, runtime=runtime, since=since)

    def _open_row(self, path: str, judge: Callable[[Session], str]) -> list[archive_index.Row]:
        """``list``'s row of the open session file ``path`` (``[]`` when it is gone or a
        move left it), read as ``status`` reads it (:meth:`_read`, ``head``: the session
        headline wherever it stands, a file that cannot be read ``unknown``), its state
        ``judge``'s: one rule for both commands."""
        from ai_protocols.session.splice import read_info
        from ai_protocols.storage import archive_index

        try:
            session = self._read(path, head=True)
        except (UnreadableSession, UnsafePath):  # (as status: unknown, with what it shows)
            return [archive_index.row_of(info)
                    for info in read_info(path, "open", lambda _session: "unknown")]
        if session is None:
            return []
        info = SessionInfo(kind="open", path=path, agent_id=session.agent_id,
                           title=session.title, description=session.description,
                           status=session.status, started=session.started,
                           updated=session.updated, ended=session.ended)
        info.state = judge(session)
        return [archive_index.row_of(info)]

    def list_sessions(self, *, agent: str | None = None, runtime: str | None = None,
                      since: datetime | None = None) -> list[SessionInfo]:
        """Live session-context files and archived sessions, newest first: only those of
        the agent id ``agent``, of ids whose runtime part is ``runtime``
        (:func:`ai_protocols.session.names.runtime_of`), active at or after ``since``."""
        from ai_protocols.storage import archive_index

        return archive_index.to_infos(self._listing(agent, runtime, since))

    def list_json(self, *, agent: str | None = None, runtime: str | None = None,
                  since: datetime | None = None) -> list[bytes | memoryview]:
        """What ``list --json`` prints, in pieces of UTF-8: :meth:`list_sessions` as a JSON
        array with one compact object per line, made without a :class:`SessionInfo` per row."""
        from ai_protocols.storage import archive_index

        return archive_index.json_pieces(self._listing(agent, runtime, since))


def _newest(paths: list[str], most: int, lead: str) -> tuple[list[str], int]:
    """The ``most`` newest of ``paths`` (``0 < most < len(paths)``) by modification time
    (:func:`_mtimes`), then by path, greatest first: what ``sorted(zip(times, paths),
    reverse=True)[:most]`` keeps, sorted, ``lead`` (the one-agent file,
    ``session-context.org``, first of :meth:`Project.session_paths` and of ``paths``
    when there) ahead when kept; and how many of the rest are there (a time not
    below 0: one not there, as the old session-context.org mostly is, is not counted).
    The times are sorted as integers and the paths of the few kept only: no tuple per
    file, no sort of a thousand paths (issue 16, twenty-fifth round)."""
    times = _mtimes(paths)
    ascending = sorted(times)
    cut = ascending[-most]  # (the most-th newest time)
    kept = [path for when, path in zip(times, paths, strict=True) if when >= cut]
    if len(kept) > most:  # (ties at the cut: the greatest paths, as the tuples' order)
        tied = sorted((path for when, path in zip(times, paths, strict=True)
                       if when == cut), reverse=True)
        dropped = set(tied[most - (len(kept) - len(tied)):])
        kept = [path for path in kept if path not in dropped]
    below = 0  # (times below 0 are all before the first at or above it)
    if ascending[0] < 0:
        below = next((i for i, when in enumerate(ascending) if when >= 0), len(ascending))
    first = kept[:1] if kept[0] == lead else []
    return first + sorted(kept[len(first):]), max(0, len(paths) - most - below)


def _mtimes(paths: list[str]) -> list[int]:
    """When each file of ``paths`` was last modified (``st_mtime_ns`` of its ``lstat``;
    ``-1`` for one not there, as the one-agent ``session-context.org`` mostly is): the
    order :meth:`Project.newest_others` picks by. One ``map`` of :func:`os.lstat`, no
    Python call per path (a ``map`` goes on after the exception of one of its calls, and
    ``extend`` keeps what it took before it), each ``stat_result`` freed at once."""
    found: list[int] = []
    times = map(_MTIME, map(os.lstat, paths))
    while True:
        try:
            found.extend(times)
            return found
        except OSError:
            found.append(-1)


_MTIME = attrgetter("st_mtime_ns")


def _session_id_of(text: str) -> str | None:
    """The ``SESSION_ID`` of the session headline of the session file text ``text`` (its
    first 64 KiB, as :func:`~ai_protocols.session.edit_base.moved_away`'s other
    callers read it), ``None`` when it holds none: a move's leftover is "that session"
    only with the same id or none on both sides
    (:func:`~ai_protocols.session.sections.same_session_id`; docs/decisions.md "Issue 14,
    fifteenth round (put-back sessions)")."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.sections import SESSION_ID_PROPERTY, session_headline

    headline = session_headline(OrgFile(text[:65536]))
    return None if headline is None else headline.properties.get(SESSION_ID_PROPERTY) or None


def _refuse_other_work(project: Project, session: Session, title: str | None) -> None:
    """Refuse (:class:`~ai_protocols.errors.InvalidText`, exit 4, nothing changed) a
    ``start --title TITLE`` that would resume this agent's paused ``session`` when it
    has another title: the caller names other work (the issue's own case: pause the
    refactoring, start on an urgent bug), and resuming would fold that work into the
    paused session. The refusal names what resumes it (``start`` without ``--title``,
    :func:`~ai_protocols.session.names.resumed_by`) and how to begin the other work
    beside it: another agent id, its own file (docs/decisions.md, "Issue 14,
    sixteenth round (git)"). A ``--objective`` alone still replaces the objective, as
    an active session's (the fifth review's rule)."""
    if not title or not session.title or title.strip() == session.title.strip():
        return
    from ai_protocols.lean import shell_quote
    from ai_protocols.session.names import resumed_by

    paused = f" (paused at {session.paused:%Y-%m-%d %H:%M}" + (f": {preview(session.pause_note)})"
                                                if session.pause_note else ")") \
        if session.paused else ""
    raise InvalidText("title", title, (
        f"this agent's session {quoted(session.title)} is paused{paused}, and this start "
        f"would resume it, not begin {quoted(title)}; nothing was changed. Resume it with "
        f"{resumed_by(project.agent_id, session.agent_session)} (no --title, or its own); "
        f"begin the other work beside it, in its own session file, under another agent id: "
        f"export AI_AGENT_ID=$(ai-protocols agent-id --runtime urgent) (a fresh id, kept for "
        f"every command of that work), then ai-protocols start --title {shell_quote(title)}; "
        f"or wrap up or "
        "abandon the paused session first"))

