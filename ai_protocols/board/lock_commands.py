"""The task board's area locks: ``lock`` and ``unlock``, the locks and claims over a
path, and the board's kept copy merged back. A part of
:class:`~ai_protocols.board.board.Board`.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ai_protocols.board.board_edits import (
    LockReport,
    _append_lock,
    _bare,
    _lock_title,
    _lockable,
    _redone,
    _remove_subtree,
    _runs_elsewhere,
    _split_at_headline,
    _whole,
    held_by,
)
from ai_protocols.board.board_file import (
    AreaLock,
    board_bytes,
    board_value,
    holder_name,
    join_paths,
    locks_section,
    overlap_real,
    same_area,
    unique_areas,
)
from ai_protocols.board.board_input import (
    check_given_path,
    check_line,
    normalize_path,
    plain_path,
    sunk_locks,
)
from ai_protocols.board.board_read import read_board, unlock_records
from ai_protocols.board.claim_history import unlock_item
from ai_protocols.errors import AiProtocolsError, InvalidText, PathLocked
from ai_protocols.lean import datetime
from ai_protocols.liveness.evidence import stale_after
from ai_protocols.org.syntax import entry_lines, format_property, format_timestamp, unescape_inline
from ai_protocols.paths import BOARD_FILE, kept_board_path
from ai_protocols.session.edit_base import minute_of
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TypeVar

    from ai_protocols.board.board_file import Task
    from ai_protocols.board.board_read import UnlockRecord
    from ai_protocols.liveness.evidence import Liveness

    T = TypeVar("T")


class LockCommands:
    """The board's part that runs ``lock`` and ``unlock`` and merges its kept copy."""

    # -- locks --------------------------------------------------------------------------------

    @_redone
    def lock(self, paths: tuple[str, ...], *, reason: str, force: bool = False,
             now: datetime | None = None, cwd: str | None = None) -> list[LockReport]:
        """Lock each area of ``paths`` (files, or folders) for the caller, with
        ``reason``. An overlapping lock of another agent that may be at work is
        :class:`~ai_protocols.errors.PathLocked` (nothing is locked) unless ``force``;
        one whose agent is gone is replaced, and the report says whose it was and why.
        The caller's own lock on the same path is renewed."""
        me = self._me("a lock")
        if not paths:
            raise InvalidText("path", "", "give at least one path to lock")
        areas = unique_areas(normalize_path(str(self.project.root), check_given_path(p, cwd), cwd)
                        for p in paths)
        for area in areas:
            _lockable(area)
        reason = check_line("reason", reason)
        from ai_protocols.liveness.clock import now_moment

        process = self._agent_process()
        reports: list[LockReport] = []
        root = str(self.project.root)
        with self.editing(create=True) as doc:
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            moment = at.minute
            locks = read_board(doc)[1]
            # (an area named as a lock of one's own is, with or without its final '/':
            # that lock, renewed in place; same_area, the one rule)
            areas = [next((h.path for h in locks
                           if self.is_me(h.owner) and same_area(h.path, a)), a) for a in areas]
            replaced: dict[int, tuple[AreaLock, Liveness]] = {}
            for area in areas:
                found: list[tuple[AreaLock, Liveness]] = []
                for held in locks:
                    if self.is_me(held.owner) or not overlap_real(root, held.path, area):
                        continue
                    state = self._refuse_live(held, area, root, now, force, "lock")
                    replaced[held.line] = (held, state)
                    found.append((held, state))
                mine = next((h for h in locks if self.is_me(h.owner) and h.path == area), None)
                # (another live process of this agent id took it: it stays that process's)
                shared = mine.owner_process if mine is not None and \
                    mine.owner_process != process and \
                    _runs_elsewhere(mine.owner_process) else None
                reports.append(LockReport(AreaLock(area, me, process, reason, moment), found,
                                          mine is not None, shared))
            stamp = format_timestamp(moment)
            values = [("OWNER", board_value(me)), ("OWNER_PROCESS", process), ("LOCKED", stamp),
                      ("LOCKED_AT", at.to_property()), ("REASON", board_value(reason))]
            kept = {h.path for h in locks if h.path in areas}  # changed in place
            self._ending = [h for h, _ in replaced.values()]
            # Other locks these areas hold or lie in, whose agents are gone: removed; what
            # a person wrote under one (notes, sub-headings) goes under the lock taking it
            # over, line for line, and its headline's own title into the takeover's note.
            gone_lines = sorted((n for n, (h, _) in replaced.items() if h.path not in kept),
                                reverse=True)
            carried: dict[int, list[str]] = {}
            titles: dict[int, str] = {}
            for line in gone_lines:
                headline = doc.find(line - 1)
                body = _bare(doc.lines_between(headline.body_start, headline.subtree_end))
                carried[line] = body if any(b.strip() for b in body) else []
                typed = unescape_inline(headline.raw_title)  # (raw or escaped alike)
                if typed != unescape_inline(_lock_title(replaced[line][0].path)):
                    titles[line] = typed
            for line in gone_lines:
                _remove_subtree(doc, line - 1)
            placed: set[int] = set()
            for report in reports:
                said = [entry_lines(stamp, _whole(
                    f"took it over: {held.path}" +
                    (f" ({titles[held.line]!r})" if held.line in titles else "") +
                    f" was {held_by(held.owner, state, force, 'locked')}"
                    f", for: {held.reason or '(no reason given)'}" +
                    ("; what was written under it follows" if carried.get(held.line) and
                     held.line not in placed else "")))[0]
                    for held, state in report.replaced]
                body: list[str] = []
                for held, _state in report.replaced:
                    if held.line not in placed:
                        body += carried.get(held.line, [])
                        placed.add(held.line)
                text, headings = _split_at_headline(body)
                same = next((h for h in read_board(doc)[1] if h.path == report.lock.path),
                            None)
                if same is not None:  # renewed, or taken over: only its own lines change
                    doc.set_properties(same.line - 1, values if report.shared is None else
                                       [v for v in values if v[0] != "OWNER_PROCESS"])
                    if headings:
                        doc.insert(doc.find(same.line - 1).subtree_end, headings)
                    if said or text:
                        doc.insert(doc.content_end(doc.find(same.line - 1)), said + text)
                    continue
                _append_lock(doc, [f"** {_lock_title(report.lock.path)}", ":PROPERTIES:",
                                   format_property("PATH", join_paths([report.lock.path])),
                                   *(format_property(k, v) for k, v in values), ":END:",
                                   *said, *text, *headings])
            new_locks = read_board(doc)[1]
        for report in reports:
            report.lock = next(h for h in new_locks if h.path == report.lock.path)
        return reports

    def locks_over(self, areas: Iterable[str]) -> list[tuple[str, AreaLock, Liveness]]:
        """The locks of other agents that may be at work (not gone: ``gone`` says) which
        hold or lie in one of ``areas`` (paths as
        :func:`~ai_protocols.board.model.normalize_path` gives them: a claimed task's
        working set), each as ``(area, lock, its agent's state)``: a claim does not
        refuse them (a working set names where the task's work goes, a lock who may
        edit there now), but the PreToolUse hook will refuse the claimer's edits there,
        so ``task claim`` warns. Reads the board; writes nothing."""
        return self._crossing(areas, ((lock, (lock.path,), lock.owner, lock.owner_process,
                                       lock.locked, lock.locked_at)
                                      for lock in self.read(lenient=True)[1]))

    def claims_over(self, areas: Iterable[str]) -> list[tuple[str, Task, Liveness]]:
        """The open tasks claimed by other agents that may be at work whose working set
        holds or lies in one of ``areas`` (paths as ``lock`` takes them), each as
        ``(area, task, its holder's state)``: a lock there does not refuse them, but
        the PreToolUse hook will refuse that holder's edits in its own task's files, so
        ``lock`` warns. Reads the board; writes nothing."""
        # (a task naming no working set may change any file: docs/tasks.md)
        return self._crossing(areas, ((task, task.working_set or ("./",), task.owner,
                                       task.owner_process, task.claimed, task.claimed_at)
                                      for task in self.read(lenient=True)[0] if task.is_open))

    def _crossing(self, areas: Iterable[str], held: Iterable[tuple[T, tuple[str, ...],
                                                                   str | None, str | None,
                                                                   datetime | None,
                                                                   str | None]]
                  ) -> list[tuple[str, T, Liveness]]:
        """Each held item (with its paths, owner, owner process and the time it was
        taken) of another agent not gone whose paths overlap one of ``areas``
        (``overlap_real``), as ``(the area, the item, its agent's state)``."""
        root = str(self.project.root)
        wanted = list(areas)
        found: list[tuple[str, T, Liveness]] = []
        for item, paths, owner, process, since, since_at in held if wanted else ():
            if not owner or self.is_me(owner):
                continue
            hit = next((a for a in wanted for p in paths if overlap_real(root, p, a)), None)
            if hit is None:
                continue
            gone, state = self.gone(owner, process, since, since_at=since_at)
            if not gone:
                found.append((hit, item, state))
        return found

    @_redone
    def unlock(self, paths: tuple[str, ...], *, force: bool = False,
               now: datetime | None = None, cwd: str | None = None) -> list[AreaLock]:
        """Remove the locks on exactly these paths. Another agent's lock whose agent may
        be at work is :class:`~ai_protocols.errors.PathLocked` unless ``force``; a path
        with no lock is :class:`~ai_protocols.errors.InvalidText`, but with ``force`` a
        lock a person deleted by hand, which ``HEAD``'s history still holds unended
        (:func:`~ai_protocols.board.hidden.deleted_lock`: its owner's clone puts it
        back), is ended by ``unlock``'s item naming it. Nothing changes unless every
        path can be unlocked. Returns the locks ended."""
        if not paths:
            raise InvalidText("path", "", "give at least one path to unlock")
        areas = unique_areas(normalize_path(str(self.project.root), p, cwd) for p in paths)
        removed: list[AreaLock] = []
        deleted: list[AreaLock] = []  # (deleted by hand: only ``unlock``'s item written)
        root = str(self.project.root)
        with self.editing() as doc:
            locks = read_board(doc)[1]
            for area in areas:
                held = next((h for h in locks if h.path == area), None) or next(
                    (h for h in locks if plain_path(root, h.path) == area), None)
                if held is None:  # (a folder named without its "/", or a file with one)
                    alike = [h for h in locks if same_area(h.path, area)]
                    held = alike[0] if len({h.path for h in alike}) == 1 else None
                if held is None and force and locks_section(doc) is not None:
                    from ai_protocols.board.hidden import deleted_lock

                    gone_lock = deleted_lock(str(self.path), area, lambda path, want: (
                        path == want or plain_path(root, path) == want or
                        same_area(path, want)))
                    if gone_lock is not None:
                        deleted.append(gone_lock)
                        continue
                if held is None:
                    moved = next((m for m in sunk_locks(doc) if m.lock is not None and
                                  m.lock.path.rstrip("/") == area.rstrip("/")), None)
                    raise InvalidText("path", area, "there is no lock on it "
                                                    "('ai-protocols locks' lists them)"
                                      if moved is None else
                                      f"its lock is no lock on the board now: {moved.where()}")
                if not self.is_me(held.owner):
                    self._refuse_live(held, area, root, now, force, "unlock")
                removed.append(held)
            section = locks_section(doc)
            top = doc.headlines[section].line if section is not None else None
            for held in sorted(removed, key=lambda h: h.line, reverse=True):
                _remove_subtree(doc, held.line - 1)
            if (removed or deleted) and top is not None:
                # (the record of each end, in the Locks section's own text: a clone that
                # still holds the lock learns by it, through git, that it was ended, not
                # taken out by an edit: board.model.ended_elsewhere; one per lock, and
                # those no clone needs any more go: _unneeded_records)
                records = unlock_records(doc)
                for line in reversed(self._unneeded_records(records, now)):
                    doc.replace(line, line + 1, [])
                recorded = {r.locked_at for r in records if r.locked_at}
                section = doc.find(top)
                stamp = format_timestamp(minute_of(now))
                who = self.me or "(no agent id)"
                doc.insert(doc.content_end(section), [
                    line for held in removed + deleted
                    if not held.locked_at or held.locked_at not in recorded
                    for line in entry_lines(stamp, _whole(unlock_item(who, held)))])
            self._ending = list(removed)
        return removed + deleted

    def _refuse_live(self, held: AreaLock, area: str, root: str, now: datetime | None,
                     force: bool, action: str) -> Liveness:
        """The state of the agent that holds ``held``, another agent's lock over ``area``
        (the path as the command was given it, under the project root ``root``), as of
        ``now`` (``None``: the clock's). Raises :class:`~ai_protocols.errors.PathLocked`
        (``action``: ``"lock"`` or ``"unlock"``, the command refused) when that agent may
        be at work and not ``force``: the one refusal of ``lock`` and ``unlock``. Reads
        the agent's session and liveness evidence; writes nothing."""
        gone, state = self.gone(held.owner, held.owner_process, held.locked, now,
                                held.locked_at)
        if not gone and not force:
            raise PathLocked(area, plain_path(root, held.path), holder_name(held.owner),
                             state.state, state.evidence, held.reason or "(no reason given)",
                             action, written=held.path)
        return state

    def _unneeded_records(self, records: list[UnlockRecord],
                          now: datetime | None) -> list[int]:
        """The lines of the unlock records (``records``: :func:`~ai_protocols.board.model.
        unlock_records`) that no clone needs any more, in the board's order: each written
        longer ago than the stale setting (:func:`~ai_protocols.liveness.evidence.
        stale_after`, ``AI_PROTOCOLS_STALE_HOURS``: the time every clone has to bring it
        in) whose lock's holder is gone (:meth:`gone`: crashed, abandoned, wrapped up).
        A record only keeps a clone that still holds its lock from putting it back or
        enforcing it as lost (:meth:`lost`, the hook), which both do only while its
        holder is at work: once it is gone, in a clone that has not pulled in that
        time too (judged by its age, since its ``LOCKED_AT``: abandoned). ``now``: the
        local time (``None``: now). Reads the holders' session files; raises nothing."""
        moment = now or datetime.now()
        stale = stale_after()
        lines = []
        for found in records:
            if found.holder is None or found.stamped is None or \
                    moment - found.stamped <= stale:
                continue
            if self.gone(found.holder, None, found.stamped, moment, found.locked_at)[0]:
                lines.append(found.line)
        return lines

    # -- a linked work tree's own copy -------------------------------------------------------

    @property
    def own_copy(self) -> Path:
        """This work tree's own ``.ai/tasks.org``: the board itself, but in a linked git
        work tree, where git checks out a copy that no command reads (the board is the
        main work tree's: :attr:`path`)."""
        return self.project.ai_dir / BOARD_FILE

    def merge_copy(self) -> bool | None:
        """Merge the edit a person made in this linked work tree's own copy of the board
        (:attr:`own_copy`: what it holds against what the work tree's ``HEAD`` holds)
        into the shared board, task by task, as ``git merge`` would with the board's
        merge driver (:func:`~ai_protocols.board.merge.merge_board_bytes`: base ``HEAD``'s
        copy, ours the shared board, theirs the copy), in one transaction of the
        board (:meth:`editing`: its lock, Emacs's lock respected, written atomically
        over the very board read). The copy itself is not changed (``git checkout HEAD
        -- .ai/tasks.org`` drops its edit). ``True``: the board changed; ``False``: it
        already held the edit; ``None``: the copy holds no edit (it is ``HEAD``'s, or
        there is none). Raises :class:`~ai_protocols.errors.InvalidText` outside a linked
        work tree (there is no other copy), :class:`~ai_protocols.errors.BoardCopyNotMerged`
        when a task both changed is left to a person (nothing written), and what
        :meth:`editing` raises."""
        from ai_protocols.board.merge import (
            merge_board_bytes,
            merged_before,
            tied_record,
            without_merged,
        )
        from ai_protocols.errors import BoardCopyNotMerged
        from ai_protocols.git.history import head_blob

        own = self.own_copy
        if self.path.parent == own.parent:
            raise InvalidText("task merge-copy in", str(self.project.root),
                              f"it is no linked git work tree: its board, {self.path}, is "
                              "the one every command uses, and there is no other copy "
                              "to merge")
        data = board_bytes(own)
        if data is None:
            return None
        tree = str(self.project.root)
        base = head_blob(tree, f"./{os.path.relpath(own, tree)}")
        if base is None:
            raise BoardCopyNotMerged(own, self.path, "the work tree's HEAD holds no board "
                                                     "to tell the copy's edit by")
        if data == base:
            return None
        # (the copy's parts an earlier run merged, changed again since: from what the
        # shared board took)
        earlier = self._copy_merged(base)
        since, record = merged_before(base, earlier, data)
        with self.editing() as doc:
            # (a task without an id typed into the copy and merged by an earlier run is
            # in the shared board with an id now: not added again)
            read = doc.text.encode("utf-8")
            since, shared, theirs, ties = without_merged(since, read, data, earlier)
            merged = merge_board_bytes(since, shared, theirs,
                                       labels=(str(self.path), "HEAD", str(own)))
            if merged is None or merged.conflicts:
                from ai_protocols.board.stale import left_to_person

                raise BoardCopyNotMerged(
                    own, self.path, "the board's merge does not understand these versions"
                    if merged is None else None, left=left_to_person(merged))
            text = merged.data.decode("utf-8")
            changed = text != doc.text
            if changed:
                lines = text.split(doc.newline)
                if lines and not lines[-1]:
                    lines.pop()
                doc.replace(0, doc.line_count, lines)
        # (each task typed into the copy without an id, tied in the record to the id the
        # shared board gave it, given after the body: known so next time, however changed)
        self._copy_merged(base, tied_record(record, base, data, read,
                                            doc.text.encode("utf-8"), ties))
        return changed

    @property
    def _merged_copy_path(self) -> Path:
        """Where ``task merge-copy`` keeps the copy it merged last: beside the copy's own
        kept place (``.ai/.locks/live/tasks.org.merged`` of this work tree, as the
        board's ``.commit`` record: per work tree, never in git)."""
        return Path(f"{kept_board_path(str(self.own_copy))}.merged")

    def _copy_merged(self, head: bytes, copy: bytes | None = None) -> bytes | None:
        """The record of what ``task merge-copy`` merged from this work tree's copy
        (:func:`~ai_protocols.board.merge.merged_before`): with ``copy``, keep it
        (``head``: the copy as the work tree's ``HEAD`` holds it, which the record
        names by its SHA-256); else the one kept, when it names ``head`` (``None``
        without one, or when ``HEAD`` holds another copy since: then ``HEAD``'s is the
        base). Never raises: a record that cannot be written or read is none (the merge
        takes ``HEAD``'s copy as its base, as without one)."""
        import hashlib

        path = self._merged_copy_path
        name = hashlib.sha256(head).hexdigest().encode("ascii") + b"\n"
        if copy is not None:
            with contextlib.suppress(OSError, AiProtocolsError):
                path.parent.mkdir(parents=True, exist_ok=True)
                storage.atomic_write(path, [name, copy])
            return copy
        try:
            kept = storage.read_regular(path)
        except (OSError, AiProtocolsError):
            return None
        return kept[len(name):] if kept.startswith(name) else None
