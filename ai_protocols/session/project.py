"""The session-context protocol: start, log, show, wrap up and list.

:class:`Project` is the one object the CLI opens; each command calls one of
its methods. Every write holds the file's lock, reads the file, splices lines
into an :class:`OrgFile` (see :mod:`ai_protocols.session.layout`) and writes the
result atomically.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ai_protocols.errors import (
    BeingEdited,
    CannotRecover,
    InvalidAgentId,
    InvalidText,
    NoSession,
    SessionWrappedUp,
    UnreadableSession,
    UnsafePath,
)
from ai_protocols.liveness.evidence import Liveness, Owner, assess, current_owner, hostname
from ai_protocols.org.emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import format_timestamp, parse_timestamp
from ai_protocols.paths import (
    AI_DIR,
    CONTEXT_DIR,
    SESSIONS_DIR,
    agent_id_from_env,
    find_project_root,
    safe_id,
    session_context_path,
)
from ai_protocols.session.layout import (
    ACTIVE,
    CRASHED,
    DEFAULT_STALE_HOURS,
    MAX_NAME_BYTES,
    NO_SESSION_HEADLINE,
    WRAPPED_UP,
    LogEntry,
    Session,
    SessionInfo,
    append_entry,
    apply_entry,
    check_text,
    iso,
    minute_of,
    new_session_text,
    preview,
    read_session,
    session_headline,
    slugify,
)
from ai_protocols.session.pending import PendingEntry, append_pending, pending_path, read_pending
from ai_protocols.storage import files as storage
from ai_protocols.storage.files import lock_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from typing import Literal

__all__ = ["LogReport", "Project", "StartReport"]

@dataclass
class StartReport:
    """What ``start`` found and did."""

    path: Path
    fresh: bool
    session: Session
    state: Liveness | None = None  # of an existing file: "mine", crashed, ...
    took_over: bool = False  # the caller became the owner of an existing file
    finished_archive: Path | None = None
    reused_id_warning: str | None = None
    others: list[tuple[Session, Liveness]] = field(default_factory=list)


@dataclass
class StatusRow:
    """One line of ``status``: a session-context file, its state and the evidence."""

    path: Path
    agent_id: str | None
    mine: bool
    liveness: Liveness
    updated: datetime | None
    summary: str | None
    title: str | None
    now: datetime | None = None

    @property
    def age(self) -> timedelta | None:
        return self.now - self.updated if self.now and self.updated else None

    def to_json(self) -> dict[str, object]:
        age = self.age
        return {
            "path": str(self.path),
            "agent_id": self.agent_id,
            "mine": self.mine,
            "state": self.liveness.state,
            "evidence": self.liveness.evidence,
            "updated": iso(self.updated),
            "age_seconds": int(age.total_seconds()) if age is not None else None,
            "title": self.title,
            "summary": self.summary,
        }


@dataclass
class LogReport:
    """What ``log`` did: the Log lines, and where the entries wait if Emacs held the file."""

    said: list[str]
    pending: Path | None = None
    emacs_lock: EmacsLock | None = None


class Project:
    """A project that follows the ``.ai/`` protocol, seen by one agent.

    ``agent_id`` is the ``AI_AGENT_ID`` of the caller (``None`` for the
    one-agent case); it decides which session-context file is "mine".
    """

    def __init__(self, root: str | os.PathLike[str], agent_id: str | None = None) -> None:
        self.root = Path(root)
        self.agent_id = agent_id or None
        self.ai_dir = self.root / AI_DIR
        self.path = session_context_path(self.root, self.agent_id)

    @classmethod
    def discover(cls, cwd: str | None = None) -> Project:
        """The project around ``cwd`` as the environment (``AI_*``) says."""
        return cls(find_project_root(cwd), agent_id_from_env())

    @property
    def sessions_dir(self) -> Path:
        return self.ai_dir / SESSIONS_DIR

    @property
    def context_dir(self) -> Path:
        return self.ai_dir / CONTEXT_DIR

    # -- reading --------------------------------------------------------------------------

    def _read(self, path: Path) -> Session | None:
        data = storage.read_bytes(path)
        if data is None:
            return None
        if not data:
            raise UnreadableSession(path, "it is empty")
        return read_session(path, storage.decode(path, data))

    def show_file(self, path: Path) -> Session:
        """The session in ``path``; :class:`NoSession` when there is none."""
        session = self._read(path)
        if session is None:
            raise NoSession(path)
        session.pending = read_pending(path)
        return session

    def show(self) -> Session:
        """The current session; :class:`NoSession` when there is none."""
        return self.show_file(self.path)

    # -- writing --------------------------------------------------------------------------

    def _refuse_unwritable_id(self) -> None:
        """An id that is not UTF-8 has a file name (its bytes are percent-encoded) but
        cannot be written into the file's AGENT_ID: refuse it before writing anything."""
        if self.agent_id is None:
            return
        try:
            self.agent_id.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidAgentId(self.agent_id, "it is not valid UTF-8, so it cannot be "
                                 "written into the session file") from error

    def _refuse_if_edited(self, path: Path) -> None:
        """Moving a file away under a person's unsaved buffer would make their save
        bring it back: wrap-up and recover wait until they have saved."""
        emacs = live_emacs_lock(path)
        if emacs is not None:
            raise BeingEdited(path, emacs.owner)

    def _discard_leftovers(self, path: Path) -> None:
        """Temporary files killed writers left beside the session file, its pending
        file and its tombstone: all three are written under the session's lock."""
        storage.discard_partial_writes(path, pending_path(path), self._tombstone(path))

    def _tombstone(self, path: Path) -> Path:
        """Where a session that left ``path`` (archived or adopted) says where it went,
        so that a late ``log`` is told so instead of "no session"."""
        return lock_path(self.ai_dir, path).with_suffix(".gone")

    def _open_for_write(self, path: Path) -> OrgFile:
        """The session file at ``path``, read for a change (call holding its lock)."""
        self._discard_leftovers(path)
        data = storage.read_bytes(path)
        if data is None:
            gone = storage.read_bytes(self._tombstone(path))
            if gone is not None:
                raise SessionWrappedUp(path, gone.decode("utf-8", "replace").strip())
            raise NoSession(path)
        if not data:
            raise UnreadableSession(path, "it is empty")
        doc = OrgFile(storage.decode(path, data), source=data)
        headline = session_headline(doc)
        if headline is None:
            raise UnreadableSession(path, NO_SESSION_HEADLINE)
        if headline.properties.get("STATUS") == WRAPPED_UP:
            raise SessionWrappedUp(path)
        return doc

    def _fold_pending(self, doc: OrgFile, path: Path) -> list[PendingEntry]:
        """Splice in the entries that waited while Emacs held the file, in order."""
        waiting = read_pending(path)
        if not waiting:
            return []
        session = session_headline(doc)
        assert session is not None
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        for entry in waiting:
            if entry.seq > folded:
                apply_entry(doc, session.line,
                            LogEntry(entry.kind, entry.text, entry.rationale),  # type: ignore[arg-type]
                            entry.stamp, folding=True)
        doc.set_property(doc.find(session.line), "PENDING_FOLDED",
                         str(max(folded, *(e.seq for e in waiting))))
        return waiting

    def _write(self, doc: OrgFile, path: Path, now: datetime,
               folded: list[PendingEntry]) -> None:
        session = session_headline(doc)
        assert session is not None
        doc.set_property(session, "UPDATED", format_timestamp(now))
        storage.atomic_write(path, doc.encoded())
        if folded:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            pending_path(path).unlink(missing_ok=True)

    def log(self, *entries: LogEntry, now: datetime | None = None) -> LogReport:
        """Record ``entries`` in one atomic write.

        While a person has unsaved changes to the file in Emacs, the entries
        wait in the pending file instead (see :mod:`ai_protocols.session.pending`)
        and are folded in, in order, at the first write after the lock is gone.
        """
        if not entries:
            raise InvalidText("entry", "", "nothing to log")
        for entry in entries:
            check_text(entry.kind, entry.text)
            if entry.kind == "decision":
                if entry.rationale is None:
                    raise InvalidText("decision", entry.text, "a decision needs --rationale")
                check_text("rationale", entry.rationale)
        return self._record(entries, minute_of(now))

    def _record(self, entries: tuple[LogEntry, ...], moment: datetime,
                path: Path | None = None) -> LogReport:
        path = path or self.path
        stamp = format_timestamp(moment)
        with storage.locked(self.ai_dir, path):
            doc = self._open_for_write(path)
            emacs = live_emacs_lock(path)
            if emacs is not None:
                return self._keep_pending(doc, path, entries, stamp, emacs)
            folded = self._fold_pending(doc, path)
            session_line = session_headline(doc).line  # type: ignore[union-attr]
            said = [apply_entry(doc, session_line, entry, stamp) for entry in entries]
            self._write(doc, path, moment, folded)
        return LogReport(said)

    def _keep_pending(self, doc: OrgFile, path: Path, entries: tuple[LogEntry, ...],
                      stamp: str, emacs: EmacsLock) -> LogReport:
        """Check the entries against the file as it is (so a bad --done fails now),
        then keep them in the pending file."""
        trial = OrgFile(doc.text)
        self._fold_pending(trial, path)
        session = session_headline(trial)
        assert session is not None
        said = [apply_entry(trial, session.line, entry, stamp) for entry in entries]
        waiting = read_pending(path)
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        seq = max([folded, *(e.seq for e in waiting)])
        kept = [PendingEntry(seq + n, e.kind, e.text, stamp, e.rationale)
                for n, e in enumerate(entries, start=1)]
        return LogReport(said, append_pending(path, kept), emacs)

    def record_exit(self, how: str, now: datetime | None = None) -> bool:
        """For a spawner whose child ended: record that the session ended without a
        wrap-up, and how (``exit status 3``, ``signal 9 (SIGKILL)``). Returns whether
        there was an unfinished session to record it in."""
        try:
            self._record((LogEntry("exit", how),), minute_of(now))
        except (NoSession, SessionWrappedUp):
            return False
        return True

    def start(self, title: str | None = None, now: datetime | None = None) -> StartReport:
        """Create the session file, or report the one a previous session left behind.

        An existing file is never overwritten: it holds what the new session
        needs to carry on. The report says, with evidence, whether its owner
        is still at work; when it is gone, the caller becomes the owner. Only
        a file that a wrap-up closed but could not move is archived first.
        """
        self._refuse_unwritable_id()
        if title is not None:
            check_text("title", title, one_line=True)
            if re.search(r"\s:[\w@#%:]+:\s*$", title):
                raise InvalidText("title", title, "Org would read the ':word:' at its end as tags")
        moment = minute_of(now)
        owner = current_owner()
        finished = None
        state = None
        took_over = False
        with storage.locked(self.ai_dir, self.path):
            self._discard_leftovers(self.path)
            existing = self._read(self.path)
            if existing is not None and existing.status == WRAPPED_UP:
                self._refuse_if_edited(self.path)
                finished = self._archive(existing)
                existing = None
            if existing is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                text = new_session_text(agent_id=self.agent_id, host=hostname(),
                                        title=title, now=moment, owner=owner.to_property())
                storage.atomic_write(self.path, text.encode("utf-8"))
                self._tombstone(self.path).unlink(missing_ok=True)
                session = read_session(self.path, text)
            else:
                session = existing
                state = self._liveness(session, moment, owner)
                if _may_take_over(session, state) and live_emacs_lock(self.path) is None:
                    self._take_over(owner, state, moment)
                    took_over = True
                    session = read_session(self.path, self.path.read_bytes().decode("utf-8"))
        return StartReport(
            path=self.path,
            fresh=existing is None,
            session=session,
            state=state,
            took_over=took_over,
            finished_archive=finished,
            reused_id_warning=self._reused_id_warning(),
            others=[(s, live) for s, live in self._others(moment)
                    if live.state in ("crashed", "abandoned", "wrapped-up")],
        )

    def _take_over(self, owner: Owner, state: Liveness, moment: datetime) -> None:
        """The previous owner is gone: this process carries the session on."""
        doc = self._open_for_write(self.path)
        headline = session_headline(doc)
        assert headline is not None
        doc.set_property(headline, "OWNER", owner.to_property())
        doc.set_property(doc.find(headline.line), "HOST", hostname())
        for key in ("EXIT", "EXITED"):
            doc.remove_property(doc.find(headline.line), key)
        if headline.properties.get("STATUS") != ACTIVE:
            doc.set_property(doc.find(headline.line), "STATUS", ACTIVE)
        stamp = format_timestamp(moment)
        append_entry(doc, headline.line, "log",
                     [f"- {stamp} resumed: the previous session did not wrap up "
                      f"({state.state}: {preview(state.evidence)})"])
        self._write(doc, self.path, moment, [])

    def _liveness(self, session: Session, now: datetime,
                  me: Owner | None = None) -> Liveness:
        """The session's state; ``mine`` when its owner is the calling agent."""
        if me is not None and session.owner and Owner.parse(session.owner) == me:
            return Liveness("mine", "this agent started it")
        try:
            mtime = datetime.fromtimestamp(session.path.stat().st_mtime)
        except OSError:
            mtime = None
        return assess(self.ai_dir, agent_id=session.agent_id, status=session.status,
                      owner=session.owner, exit_=session.exit, exited=session.exited,
                      host=session.host, updated=session.updated or mtime, now=now,
                      stale_after=stale_after())

    def _reused_id_warning(self) -> str | None:
        from ai_protocols.identity import has_epoch_tail

        if self.agent_id is None or has_epoch_tail(self.agent_id):
            return None
        return (
            f"AI_AGENT_ID {self.agent_id!r} has no epoch-like tail (such as "
            ".1718400000). A reused id resolves to the previous run's leftover file: "
            "the next run mistakes it for a crash to recover, or two runs at once write "
            "the same file. Have the spawner set a fresh id per run, for example "
            "AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME)."
        )

    def _others(self, now: datetime) -> Iterator[tuple[Session, Liveness]]:
        """Every other session-context file, with its state."""
        for path in [self.ai_dir / "session-context.org", *_session_files(self.context_dir)]:
            if path == self.path:
                continue
            try:
                session = self._read(path)
            except (UnreadableSession, storage.StorageError, UnsafePath):
                continue
            if session is not None:
                yield session, self._liveness(session, now)

    def status(self, now: datetime | None = None) -> list[StatusRow]:
        """Every session-context file in the project, with its state and the evidence."""
        moment = now or datetime.now()
        me = current_owner()
        rows = []
        for path in [self.ai_dir / "session-context.org", *_session_files(self.context_dir)]:
            try:
                session = self._read(path)
            except (UnreadableSession, UnsafePath) as error:
                rows.append(StatusRow(path, None, path == self.path,
                                      Liveness("unknown", str(error)), None, None, None))
                continue
            if session is None:
                continue
            live = self._liveness(session, moment, me if path == self.path else None)
            if live.state == "mine":
                live = Liveness("live", "this agent started it")
            rows.append(StatusRow(path, session.agent_id, path == self.path, live,
                                  session.updated, session.summary, session.title, moment))
        return rows

    def recover(self, target: str, *, adopt: bool, force: bool = False,
                now: datetime | None = None) -> Path:
        """Adopt (``adopt=True``) or archive another agent's crashed or abandoned session.

        Adopting moves its whole history into this agent's session-context
        file, which must not hold entries of its own yet; archiving moves it to
        ``.ai/sessions/`` with status ``crashed``. A session that may still be
        at work (live, or unknown) is refused unless ``force``.
        """
        if adopt:
            self._refuse_unwritable_id()
        path = self._target_path(target)
        if path == self.path:
            raise CannotRecover(path, "it is this agent's own session; carry on with it")
        moment = minute_of(now)
        stamp = format_timestamp(moment)
        with contextlib.ExitStack() as held:  # both locks, in one order for every process
            for locked_path in sorted({path, self.path} if adopt else {path}, key=str):
                held.enter_context(storage.locked(self.ai_dir, locked_path))
            if adopt and (done := self._adoption_finished(path)):
                return done
            self._refuse_if_edited(path)
            try:
                doc = self._open_for_write(path)
            except SessionWrappedUp as error:
                if error.where or adopt:  # archived already, or nothing left to adopt
                    raise
                return self._archive(self.show_file(path))  # its wrap-up never moved it
            session = read_session(path, doc.text)
            state = self._liveness(session, moment)
            if state.state in ("live", "unknown") and not force:
                raise CannotRecover(path, f"it may still be at work ({state.state}: "
                                          f"{state.evidence}); use --force if you are sure")
            folded = self._fold_pending(doc, path)
            headline = session_headline(doc)
            assert headline is not None
            said = f"{state.state}: {preview(state.evidence)}"
            if adopt:
                return self._adopt(doc, path, session, said, moment, stamp)
            self._refuse_unsafe_archive()  # before the first write, not between two
            named = state.state if state.state in ("crashed", "abandoned") else "forced"
            for key, value in (("STATUS", CRASHED), ("ENDED", stamp), ("DESCRIPTION", named)):
                doc.set_property(doc.find(headline.line), key, value)
            append_entry(doc, headline.line, "log",
                         [f"- {stamp} recover: archived as crashed ({said})"])
            self._write(doc, path, moment, folded)
            archive = self._archive(read_session(path, doc.text))
            return archive

    def _target_path(self, target: str) -> Path:
        if target.endswith(".org") or os.sep in target:
            path = Path(os.path.realpath(target))
            if path.parent not in (self.ai_dir, self.context_dir):
                raise CannotRecover(path, "it is not a session-context file of this project")
            return path
        return session_context_path(self.root, target)

    def _adoption_finished(self, path: Path) -> Path | None:
        """An adoption killed after writing this agent's file but before removing the
        adopted one: finish it."""
        mine = self._read(self.path)
        theirs = self._read(path)
        if mine is None or theirs is None or mine.adopted_from != str(theirs.agent_id or path):
            return None
        path.unlink()
        return self.path

    def _adopt(self, doc: OrgFile, path: Path, session: Session, said: str,
               moment: datetime, stamp: str) -> Path:
        mine = self._read(self.path)
        if mine is not None and not _is_fresh(mine):
            raise CannotRecover(path, f"{self.path} already holds entries of its own; "
                                      "adopt before logging, or use --archive")
        headline = session_headline(doc)
        assert headline is not None
        source = session.agent_id or str(path)
        for key, value in (("AGENT_ID", self.agent_id), ("STATUS", ACTIVE),
                           ("HOST", hostname()),
                           ("OWNER", current_owner().to_property()),
                           ("ADOPTED_FROM", source)):
            if value:
                doc.set_property(doc.find(headline.line), key, value)
        for key in ("EXIT", "EXITED", "PENDING_FOLDED", *(() if self.agent_id else ("AGENT_ID",))):
            doc.remove_property(doc.find(headline.line), key)
        append_entry(doc, headline.line, "log",
                     [f"- {stamp} adopted: from {preview(source)} ({said})"])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write(doc, self.path, moment, [])
        storage.atomic_write(self._tombstone(path), f"adopted by {self.path}\n".encode())
        pending_path(path).unlink(missing_ok=True)
        path.unlink()
        storage.fsync_dir(path.parent)
        return self.path

    def wrap_up(self, description: str, now: datetime | None = None) -> Path:
        """Record the close, then move the file into ``.ai/sessions/``; return the archive.

        Two steps, each atomic: the closed file is written in place, then
        renamed. A kill between them leaves a closed file in place, which the
        next ``start`` or ``wrap-up`` archives; never a lost or doubled session.
        """
        slugify(description)
        moment = minute_of(now)
        stamp = format_timestamp(moment)
        with storage.locked(self.ai_dir, self.path):
            self._refuse_if_edited(self.path)
            try:
                doc = self._open_for_write(self.path)
            except SessionWrappedUp as error:
                if error.where:  # already archived: nothing left to do
                    raise
                session = self.show()  # closed in place by a wrap-up killed before the move
            else:
                self._refuse_unsafe_archive()  # before the first write, not between two
                folded = self._fold_pending(doc, self.path)
                headline = session_headline(doc)
                assert headline is not None
                for key, value in (("STATUS", WRAPPED_UP), ("ENDED", stamp),
                                   ("DESCRIPTION", description)):
                    doc.set_property(doc.find(headline.line), key, value)
                append_entry(doc, headline.line, "log",
                             [f"- {stamp} wrap-up: {preview(description)}"])
                self._write(doc, self.path, moment, folded)
                session = read_session(self.path, doc.text)
            return self._archive(session)

    def _refuse_unsafe_archive(self) -> None:
        """:class:`UnsafePath` if the way into ``.ai/sessions/`` (or its lock) is a
        symbolic link. Checked before a wrap-up writes the closed file, so that a refusal
        changes nothing instead of leaving a closed file that cannot be moved."""
        storage.refuse_symlinks(self.root, self.sessions_dir)
        storage.refuse_symlinks(self.root, lock_path(self.ai_dir, self.sessions_dir / ".archive"))

    def _archive(self, session: Session) -> Path:
        """Rename a closed session file into ``.ai/sessions/`` under a name nobody has,
        and leave a note where it went for late writers."""
        self._refuse_unsafe_archive()
        ended = session.ended or datetime.fromtimestamp(session.path.stat().st_mtime)
        slug = slugify(session.description or "session")
        prefix = f"{ended:%Y-%m-%d-%H-%M}"
        if session.agent_id:
            prefix += f"-{safe_id(session.agent_id)}"
        room = MAX_NAME_BYTES - len(prefix) - len("-.org") - len("-999")
        slug = slug[: max(room, 1)].strip("-") or "session"
        with storage.locked(self.ai_dir, self.sessions_dir / ".archive"):
            self.sessions_dir.mkdir(parents=True, exist_ok=True)
            target = self.sessions_dir / f"{prefix}-{slug}.org"
            number = 1
            while os.path.lexists(target):
                number += 1
                target = self.sessions_dir / f"{prefix}-{slug}-{number}.org"
            # The note first: a kill between the two leaves the file in place (the note
            # is read only when the file is gone), never a file gone without a note.
            storage.atomic_write(self._tombstone(session.path),
                                  f"archived to {target}\n".encode())
            os.rename(session.path, target)
            storage.fsync_dir(self.sessions_dir)
            storage.fsync_dir(session.path.parent)
            from ai_protocols.storage import archive_index

            archive_index.record_archive(self.ai_dir, self.sessions_dir, target,
                                          lambda path: self._info(path, "archived"))
        return target

    # -- listing --------------------------------------------------------------------------

    def list_sessions(self, *, agent: str | None = None, runtime: str | None = None,
                      since: datetime | None = None) -> list[SessionInfo]:
        """Live session-context files and archived sessions, newest first.

        Archived rows come from the archive index where it is still valid (see
        :mod:`ai_protocols.storage.archive_index`); such rows read their fields from their
        JSON text on first use.
        """
        from ai_protocols.storage import archive_index as index

        return index.to_infos(index.listing(self, agent=agent, runtime=runtime, since=since))

    def list_json(self, *, agent: str | None = None, runtime: str | None = None,
                  since: datetime | None = None) -> list[bytes | memoryview]:
        """What ``list --json`` prints, in pieces: :meth:`list_sessions` as a JSON array
        with one compact object per line, made without a :class:`SessionInfo` per row."""
        from ai_protocols.storage import archive_index as index

        return index.json_pieces(index.listing(self, agent=agent, runtime=runtime,
                                               since=since))

    def _info(self, path: Path, kind: Literal["live", "archived"]) -> list[SessionInfo]:
        if path.is_symlink():  # listed, never followed: read_bytes refuses it too
            head = b""
        else:
            try:
                with open(path, "rb") as handle:
                    head = handle.read(65536)
            except (FileNotFoundError, IsADirectoryError):
                return []
        text = head.decode("utf-8", "replace")
        if len(head) == 65536:
            text = text[: text.rfind("\n") + 1]
        doc = OrgFile(text)
        headline = session_headline(doc)
        props = headline.properties if headline else {}
        return [SessionInfo(
            kind=kind,
            path=path,
            agent_id=props.get("AGENT_ID") or None,
            title=props.get("TITLE"),
            description=props.get("DESCRIPTION"),
            status=props.get("STATUS"),
            started=parse_timestamp(props.get("STARTED", "")),
            updated=parse_timestamp(props.get("UPDATED", "")),
            ended=parse_timestamp(props.get("ENDED", "")) or _name_time(path, kind),
        )]


def stale_after() -> timedelta:
    """How long without an update makes a session abandoned: AI_PROTOCOLS_STALE_HOURS."""
    hours = os.environ.get("AI_PROTOCOLS_STALE_HOURS", "")
    try:
        return timedelta(hours=float(hours) if hours else DEFAULT_STALE_HOURS)
    except ValueError:
        return timedelta(hours=DEFAULT_STALE_HOURS)


def _may_take_over(session: Session, state: Liveness) -> bool:
    """Whether a new agent may become the owner of a session it finds in its own file:
    when the old owner is gone, or was never recorded on this host. Not when it may
    be at work on another host."""
    if state.state in ("crashed", "abandoned"):
        return True
    recorded = Owner.parse(session.owner) if session.owner else None
    host = recorded.host if recorded else session.host
    return state.state == "unknown" and host in (None, hostname())


def _is_fresh(session: Session) -> bool:
    """Nothing recorded yet but the start: safe to replace by an adopted session."""
    entries = (session.progress, session.decisions, session.discoveries, session.blockers,
               session.next_steps)
    return not any(entries) and session.summary is None and all(
        e.text.startswith(("start:", "resumed:")) for e in session.log)


def _name_time(path: Path, kind: str) -> datetime | None:
    if kind != "archived":
        return None
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-", path.name)
    if not match:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type]
    except ValueError:
        return None


def _runtime_of(agent_id: str) -> str | None:
    parts = agent_id.split(".")
    return parts[2] if len(parts) >= 4 else None


def is_session_file_name(name: str) -> bool:
    """An ``.org`` file that is neither hidden nor one of Emacs's lock, auto-save
    or backup files (``.#NAME``, ``#NAME#``, ``NAME~``)."""
    return name.endswith(".org") and not name.startswith((".", "#"))


def _session_files(folder: Path) -> list[Path]:
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(folder / name for name in names if is_session_file_name(name))
