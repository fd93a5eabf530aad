"""The session-context protocol: start, log, show, wrap up and list.

:class:`Project` is the one object the CLI opens; each command calls one of
its methods. Every write holds the file's lock, reads the file, splices lines
into an :class:`OrgFile` (see :mod:`ai_protocols._layout`) and writes the
result atomically.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from ai_protocols import _storage
from ai_protocols._emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols._errors import (
    BeingEdited,
    InvalidText,
    NoSession,
    SessionWrappedUp,
    UnreadableSession,
)
from ai_protocols._layout import (
    DEFAULT_STALE_HOURS,
    MAX_NAME_BYTES,
    WRAPPED_UP,
    LogEntry,
    Session,
    SessionInfo,
    append_entry,
    apply_entry,
    check_text,
    minute_of,
    new_session_text,
    preview,
    read_session,
    session_headline,
    slugify,
)
from ai_protocols._org import (
    OrgFile,
    format_timestamp,
    parse_timestamp,
)
from ai_protocols._paths import (
    AI_DIR,
    CONTEXT_DIR,
    SESSIONS_DIR,
    agent_id_from_env,
    find_project_root,
    safe_id,
    session_context_path,
)
from ai_protocols._pending import PendingEntry, append_pending, pending_path, read_pending

__all__ = ["LogReport", "Project", "StartReport"]

@dataclass
class StartReport:
    """What ``start`` found and did."""

    path: Path
    fresh: bool
    session: Session
    finished_archive: Path | None = None
    reused_id_warning: str | None = None
    abandoned: list[tuple[Session, timedelta]] = field(default_factory=list)


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
        data = _storage.read_bytes(path)
        if data is None:
            return None
        return read_session(path, _storage.decode(path, data))

    def show(self) -> Session:
        """The current session; :class:`NoSession` when there is none."""
        session = self._read(self.path)
        if session is None:
            raise NoSession(self.path)
        session.pending = read_pending(self.path)
        return session

    # -- writing --------------------------------------------------------------------------

    def _refuse_if_edited(self) -> None:
        """Moving a file away under a person's unsaved buffer would make their save
        bring it back: wrap-up waits until they have saved."""
        emacs = live_emacs_lock(self.path)
        if emacs is not None:
            raise BeingEdited(self.path, emacs.owner)

    def _open_for_write(self) -> OrgFile:
        """The session file, read for a change (call holding its lock)."""
        _storage.discard_partial_writes(self.path)
        _storage.discard_partial_writes(pending_path(self.path))
        data = _storage.read_bytes(self.path)
        if data is None:
            raise NoSession(self.path)
        doc = OrgFile(_storage.decode(self.path, data))
        headline = session_headline(doc)
        if headline is None:
            raise UnreadableSession(self.path, "it has no session headline")
        if headline.properties.get("STATUS") == WRAPPED_UP:
            raise SessionWrappedUp(self.path)
        return doc

    def _fold_pending(self, doc: OrgFile) -> list[PendingEntry]:
        """Splice in the entries that waited while Emacs held the file, in order."""
        waiting = read_pending(self.path)
        if not waiting:
            return []
        session = session_headline(doc)
        assert session is not None
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        for entry in waiting:
            if entry.seq > folded:
                apply_entry(doc, session.line, LogEntry(entry.kind, entry.text,  # type: ignore[arg-type]
                                                   entry.rationale), entry.stamp, folding=True)
        doc.set_property(doc.find(session.line), "PENDING_FOLDED",
                         str(max(folded, *(e.seq for e in waiting))))
        return waiting

    def _write(self, doc: OrgFile, now: datetime, folded: list[PendingEntry]) -> None:
        session = session_headline(doc)
        assert session is not None
        doc.set_property(session, "UPDATED", format_timestamp(now))
        _storage.atomic_write(self.path, doc.text.encode("utf-8"))
        if folded:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            pending_path(self.path).unlink(missing_ok=True)

    def log(self, *entries: LogEntry, now: datetime | None = None) -> LogReport:
        """Record ``entries`` in one atomic write.

        While a person has unsaved changes to the file in Emacs, the entries
        wait in the pending file instead (see :mod:`ai_protocols._pending`)
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
        moment = minute_of(now)
        stamp = format_timestamp(moment)
        with _storage.locked(self.ai_dir, self.path):
            doc = self._open_for_write()
            emacs = live_emacs_lock(self.path)
            if emacs is not None:
                return self._keep_pending(doc, entries, stamp, emacs)
            folded = self._fold_pending(doc)
            session_line = session_headline(doc).line  # type: ignore[union-attr]
            said = [apply_entry(doc, session_line, entry, stamp) for entry in entries]
            self._write(doc, moment, folded)
        return LogReport(said)

    def _keep_pending(self, doc: OrgFile, entries: tuple[LogEntry, ...], stamp: str,
                      emacs: EmacsLock) -> LogReport:
        """Check the entries against the file as it is (so a bad --done fails now),
        then keep them in the pending file."""
        trial = OrgFile(doc.text)
        self._fold_pending(trial)
        session = session_headline(trial)
        assert session is not None
        said = [apply_entry(trial, session.line, entry, stamp) for entry in entries]
        waiting = read_pending(self.path)
        folded = int(session.properties.get("PENDING_FOLDED", "0") or 0)
        seq = max([folded, *(e.seq for e in waiting)])
        kept = [PendingEntry(seq + n, e.kind, e.text, stamp, e.rationale)
                for n, e in enumerate(entries, start=1)]
        return LogReport(said, append_pending(self.path, kept), emacs)

    def start(self, title: str | None = None, now: datetime | None = None) -> StartReport:
        """Create the session file, or report the one a previous session left behind.

        An existing file is never overwritten: it holds what the new session
        needs to carry on. Only one that a wrap-up closed but could not move
        (killed between the two steps) is archived first.
        """
        if title is not None:
            check_text("title", title, one_line=True)
            if re.search(r"\s:[\w@#%:]+:\s*$", title):
                raise InvalidText("title", title, "Org would read the ':word:' at its end as tags")
        moment = minute_of(now)
        finished = None
        with _storage.locked(self.ai_dir, self.path):
            _storage.discard_partial_writes(self.path)
            existing = self._read(self.path)
            if existing is not None and existing.status == WRAPPED_UP:
                self._refuse_if_edited()
                finished = self._archive(existing)
                existing = None
            if existing is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                text = new_session_text(agent_id=self.agent_id, host=socket.gethostname(),
                                        title=title, now=moment)
                _storage.atomic_write(self.path, text.encode("utf-8"))
                session = read_session(self.path, text)
            else:
                session = existing
        return StartReport(
            path=self.path,
            fresh=existing is None,
            session=session,
            finished_archive=finished,
            reused_id_warning=self._reused_id_warning(),
            abandoned=list(self._abandoned(moment)),
        )

    def _reused_id_warning(self) -> str | None:
        from ai_protocols._agent_ids import has_epoch_tail

        if self.agent_id is None or has_epoch_tail(self.agent_id):
            return None
        return (
            f"AI_AGENT_ID {self.agent_id!r} has no epoch-like tail (such as "
            ".1718400000). A reused id resolves to the previous run's leftover file: "
            "the next run mistakes it for a crash to recover, or two runs at once write "
            "the same file. Have the spawner set a fresh id per run, for example "
            "AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME)."
        )

    def _abandoned(self, now: datetime) -> Iterator[tuple[Session, timedelta]]:
        """Other agents' files in ``session-context.d/`` not updated for a long time."""
        hours = os.environ.get("AI_PROTOCOLS_STALE_HOURS", "")
        try:
            limit = timedelta(hours=float(hours) if hours else DEFAULT_STALE_HOURS)
        except ValueError:
            limit = timedelta(hours=DEFAULT_STALE_HOURS)
        for path in _session_files(self.context_dir):
            if path == self.path:
                continue
            try:
                session = self._read(path)
            except (UnreadableSession, _storage.StorageError):
                continue
            if session is None:
                continue
            try:
                updated = session.updated or datetime.fromtimestamp(path.stat().st_mtime)
            except OSError:  # removed since it was read: not abandoned, gone
                continue
            if now - updated > limit:
                yield session, now - updated

    def wrap_up(self, description: str, now: datetime | None = None) -> Path:
        """Record the close, then move the file into ``.ai/sessions/``; return the archive.

        Two steps, each atomic: the closed file is written in place, then
        renamed. A kill between them leaves a closed file in place, which the
        next ``start`` or ``wrap-up`` archives; never a lost or doubled session.
        """
        slugify(description)
        moment = minute_of(now)
        stamp = format_timestamp(moment)
        with _storage.locked(self.ai_dir, self.path):
            self._refuse_if_edited()
            try:
                doc = self._open_for_write()
            except SessionWrappedUp:  # closed in place by a wrap-up killed before the move
                session = self.show()
            else:
                folded = self._fold_pending(doc)
                headline = session_headline(doc)
                assert headline is not None
                for key, value in (("STATUS", WRAPPED_UP), ("ENDED", stamp),
                                   ("DESCRIPTION", description)):
                    doc.set_property(doc.find(headline.line), key, value)
                append_entry(doc, headline.line, "log",
                             [f"- {stamp} wrap-up: {preview(description)}"])
                self._write(doc, moment, folded)
                session = read_session(self.path, doc.text)
            return self._archive(session)

    def _archive(self, session: Session) -> Path:
        """Rename a closed session file into ``.ai/sessions/`` under a name nobody has."""
        ended = session.ended or datetime.fromtimestamp(session.path.stat().st_mtime)
        slug = slugify(session.description or "session")
        prefix = f"{ended:%Y-%m-%d-%H-%M}"
        if session.agent_id:
            prefix += f"-{safe_id(session.agent_id)}"
        room = MAX_NAME_BYTES - len(prefix) - len("-.org") - len("-999")
        slug = slug[: max(room, 1)].strip("-") or "session"
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        with _storage.locked(self.ai_dir, self.sessions_dir / ".archive"):
            target = self.sessions_dir / f"{prefix}-{slug}.org"
            number = 1
            while os.path.lexists(target):
                number += 1
                target = self.sessions_dir / f"{prefix}-{slug}-{number}.org"
            os.rename(session.path, target)
            _storage.fsync_dir(self.sessions_dir)
            _storage.fsync_dir(session.path.parent)
        return target

    # -- listing --------------------------------------------------------------------------

    def list_sessions(self, *, agent: str | None = None, runtime: str | None = None,
                      since: datetime | None = None) -> list[SessionInfo]:
        """Live session-context files and archived sessions, newest first."""
        rows: list[SessionInfo] = []
        live = [self.ai_dir / "session-context.org", *_session_files(self.context_dir)]
        for path in live:
            rows += self._info(path, "live")
        for path in _session_files(self.sessions_dir):
            rows += self._info(path, "archived")
        if agent is not None:
            rows = [r for r in rows if r.agent_id == agent]
        if runtime is not None:
            rows = [r for r in rows if r.agent_id and _runtime_of(r.agent_id) == runtime]
        if since is not None:
            rows = [r for r in rows if r.latest >= since]
        rows.sort(key=lambda r: (r.latest, r.path.name), reverse=True)
        return rows

    def _info(self, path: Path, kind: Literal["live", "archived"]) -> list[SessionInfo]:
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
