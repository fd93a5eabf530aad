"""The task board's write: every change one transaction (:meth:`Writing.editing`), locked,
atomic and made over the very file it read; a person's save displaced by it merged in
or set aside, ids given to the tasks that lack one. A part of
:class:`~ai_protocols.board.board.Board`.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os

from ai_protocols.board.board_edits import (
    CLAIM_KEYS,
    HELD_KEYS,
    _append_at_end,
    _append_lock,
    _bare,
    _Changed,
    _give_missing_ids,
    _put_back_log,
    _remove_subtree,
    _set_state,
    _warn_operation,
    _whole,
)
from ai_protocols.board.board_file import (
    CLOSED_STATES,
    SAID_AT_MOST,
    STATES,
    TODO_LINE,
    BoardFile,
    board_file,
    board_text,
    check_drawers,
    done_states,
    holder_name,
    kept_board_bytes,
    locks_section,
    task_headlines,
)
from ai_protocols.board.board_input import id_fault, id_shown, mint_task_id
from ai_protocols.board.board_read import kept_other, lock_record, read_board, record_ended_locks
from ai_protocols.errors import BeingEdited, InvalidAgentId, NoProject
from ai_protocols.lean import counted, quoted
from ai_protocols.liveness.evidence import current_owner
from ai_protocols.org.emacs_lock import live_emacs_lock, lock_kind
from ai_protocols.org.syntax import entry_lines, format_timestamp, unescape_inline
from ai_protocols.session.edit_base import minute_of
from ai_protocols.storage import files as storage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_protocols.board.board_edits import Lost
    from ai_protocols.org.file import OrgFile


class Writing:
    """The board's part that writes it: one transaction per change (:meth:`editing`), a
    save displaced by the write merged in or set aside, ids given."""

    def _restore(self, doc: OrgFile, lost: list[Lost]) -> list[str]:
        """Put ``lost`` back into ``doc`` from the kept copy: a claim's properties on its
        task (the whole task, when it is gone), a lock's subtree in the locks section;
        for a change git undid (``undone``), the kept copy's claim, closure and role
        properties and state on the task, and the lines of its log the board lacks."""
        if not lost:
            return []
        own = self._kept(kept_other(str(self.path), self.kept_path) or b"")[0]
        said = []
        for item in lost:
            kept = item.source if item.source is not None else own
            if item.task is not None:
                old = item.task
                source = next((h for h in kept.headlines if h.properties.get("ID") == old.id),
                              None)
                if source is None:
                    continue
                # (a task whose :ID: a person retyped: known by the id it has now)
                ident = item.now.id if item.now is not None and item.now.id else old.id
                if item.undone:
                    now = next((t for t in read_board(doc, check=False)[0] if t.id == ident),
                               None)
                    if now is None:  # (two tasks with that id: nothing to put it on)
                        continue
                    doc.set_properties(now.line - 1, [
                        (key, source.properties.get(key))
                        for key in (*CLAIM_KEYS, "CLOSED_AT", "CHECKPOINT", "ROLE")])
                    if old.state and old.state != now.state:
                        _set_state(doc, now.line - 1, old.state)
                    _put_back_log(doc, now.line, kept, old.line)
                    said.append(f"task {ident}: {old.state}"
                                + (f", claimed by {old.owner}" if old.owner and old.is_open
                                   else "")
                                + f", as ai-protocols last wrote it (it was "
                                f"{now.state}"
                                + (f", claimed by {now.owner} again)" if now.owner else
                                   " again, in an older text)"))
                    continue
                if item.missing:
                    _append_at_end(doc, _bare(kept.lines_between(source.line, source.subtree_end)))
                else:
                    now = next(t for t in read_board(doc, check=False)[0] if t.id == ident)
                    doc.set_properties(now.line - 1, [
                        (key, source.properties.get(key))
                        for key in HELD_KEYS if key in CLAIM_KEYS or key in source.properties])
                    if old.state and old.state != now.state:  # a claim's state: DOING...
                        _set_state(doc, now.line - 1, old.state)
                    # (the claim's log items, and any other the board lost with it)
                    _put_back_log(doc, now.line, kept, old.line)
                said.append(f"task {ident}, claimed by {old.owner}")
            elif item.lock is not None and item.undone:
                again = next((h for h in read_board(doc, check=False)[1]
                              if lock_record(h) == lock_record(item.lock)), None)
                if again is not None:
                    _remove_subtree(doc, again.line - 1)
                    said.append(f"the lock on {item.lock.path} of {item.lock.owner} removed "
                                "again, as ai-protocols last left it")
            elif item.lock is not None:
                source = next((h for h in kept.headlines if h.line == item.lock.line - 1),
                              None)
                if source is None:
                    continue
                _append_lock(doc, _bare(kept.lines_between(source.line, source.subtree_end)))
                said.append(f"the lock on {item.lock.path}, held by {item.lock.owner}")
        return said

    # -- the transaction ----------------------------------------------------------------------

    @contextlib.contextmanager
    def editing(self, *, create: bool = False) -> Iterator[OrgFile]:
        """The board, open for one change under its lock; written atomically when the
        body ends without an exception and changed it. Without a board, the body sees
        an empty one, which ``create`` writes (making ``.ai/`` as ``init`` does when
        needed) and which is otherwise never written. Tasks a person added without an
        ``ID`` get one; a board whose ``#+TODO:`` line no longer declares the states
        gets one at its top. Raises :class:`~ai_protocols.errors.BeingEdited` while Emacs
        holds unsaved changes to the board, and what any write may raise."""
        ai_dir = self.path.parent
        if not ai_dir.is_dir():
            if not create:
                yield BoardFile(board_text())  # nothing to find there: nothing is written
                return
            self._set_up()
        else:
            self._merge_driver()
        with storage.locked(ai_dir, self.path):
            storage.discard_partial_writes(self.path, self.kept_path)
            emacs = live_emacs_lock(self.path)  # a stale one (its Emacs gone) is ignored
            if emacs is not None:
                raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
            found = board_file(self.path)
            data, read_as = found if found is not None else (None, None)
            whole = self._whole() if data is None else None  # (gone, not by git: whole)
            doc = BoardFile(board_text()) if data is None and whole is None else \
                BoardFile(self._text(whole or data or b""), source=whole or data)
            check_drawers(doc, self.path)  # an id Org does not see: never written over
            # What git brought and a stale buffer's save dropped: merged back first
            # (said here, or refused: not by a reader of this command as well)
            from ai_protocols.board.brought import settled, unsettled

            dropped = settled(str(self.path))
            from ai_protocols.board.stale import (
                brought_back,
                keep_read,
                link_last,
                record_head,
                revert_said,
            )

            brought = brought_back(str(self.path), self.kept_path, data) \
                if data is not None else None
            disk = None
            if brought is not None:
                disk, doc = doc, BoardFile(self._text(brought[0]))
                check_drawers(doc, self.path)
                doc.__dict__["disk_doc"] = disk  # (a line:N key's lines: _give_ids)
            # What another program saved over this change's last write: merged in.
            displaced = self._merge_displaced(brought[0] if brought is not None else data)
            if displaced is not None:
                # (a save the write put back, made on the board before it, takes the
                # write's own change out, and with it what the write merged back from
                # git: judged again, as the board now stands; docs/decisions.md, "Issue
                # 14, twenty-first round (a save at the write, over a stale save)")
                again = brought_back(str(self.path), self.kept_path, displaced)
                if again is not None:
                    displaced, brought = again[0], brought or again
                doc = BoardFile(self._text(displaced))
                check_drawers(doc, self.path)
                if disk is not None:  # (still the file's lines that a line:N key names:
                    # the board merged, on the file as read; docs/decisions.md, "Issue
                    # 14, twenty-first round (a save at the write, over a stale save)")
                    doc.__dict__["disk_doc"] = disk
            # Live claims and locks git took away (git stash, checkout...): put back.
            # (a board git removed is the oldest board of all: the same)
            self._ending = []
            self._noting = []
            self._correcting = []
            lost = self.lost(doc) if whole is None else []
            # (lost claims this write puts back, from the kept copy or git's history: a
            # forced release of one names its record, as of one deleted by hand)
            self._hand_put_back = {x.task.claimed_at for x in lost
                                   if x.task is not None and not x.undone}
            put_back = self._same_again(doc, data) if whole is None else \
                [self._came_back_words(doc)]  # (before: _restore finds those by id)
            put_back += self._restore(doc, lost)
            self._drop_named_ends(doc)
            self._new_ids(doc)  # (before the command: it sees the ids the board keeps)
            self._give_ids(doc)  # (and a task a person added without one: its own)
            as_read = done_states(doc)
            if not set(STATES) <= doc.declared_keywords or \
                    not set(CLOSED_STATES) <= as_read:  # its #+TODO: line: gone,
                # changed (without it, "DOING x" would be a title; without its "|", Org
                # takes only the line's last word for a done state: DONE would be open)
                doc.insert(0, [TODO_LINE])
                # The command judges the board as read, as Org (and task list) reads it
                # now; a state it sets ends that (_set_state): the line it writes decides.
                doc.read_done = as_read
            before = doc.text
            try:
                yield doc
            except BaseException:  # (the command refused: nothing written, the board still
                unsettled(str(self.path), dropped)  # lacks what a reader said it lacks)
                raise
            _give_missing_ids(doc)
            if not (data is None and create) and brought is None and displaced is None and (
                    doc.text == before or (data is None and not put_back and
                                           not self._noting and not self._correcting)):
                return  # nothing changed: the file stays as it was, inode and all
            if whole is not None:  # (the base of a stash's board and this one: kept)
                from ai_protocols.board.removed import keep_base

                keep_base(self.kept_path, whole)
            last = kept_board_bytes(self.kept_path)  # (this tool's last write)
            linked = link_last(self.kept_path)  # (it, as this write reads it)
            try:
                self._write(doc, read_as, data)
            except BaseException:
                keep_read(self.kept_path, b"", None, linked, wrote=False)
                raise
            # (a stale save's bases; a write that merged one back goes on from the
            # kept copy: a deletion in a buffer made after it is not told from one; a
            # board that came back whole was read as its kept copy)
            read = whole if whole is not None else \
                data or board_text().encode()  # (none, or empty: an empty board)
            keep_read(self.kept_path, last if brought is not None and last else read,
                      last, linked)
            record_head(str(self.path), self.kept_path)
            if brought is not None:
                from ai_protocols.session.edit_base import warn

                warn(f"{self.path} lacked {brought[2]}; merged back. "
                     f"{revert_said(data or b'', brought[0], mode=True)}")
            record_ended_locks(str(self.path), self._ending)
            _warn_operation(str(self.path))
            self.restored = put_back
            self.noted = self._noting
            self.corrected = self._correcting
            self.restored_items = lost if put_back else []
            self.wrote_whole = whole is not None


    def _drop_named_ends(self, doc: OrgFile) -> None:
        """Take off ``doc`` each claim and lock whose own end item is on it (the claim's
        task log names its ``CLAIMED_AT``: :func:`~ai_protocols.board.model.
        claim_named_ended`; the Locks section names its ``LOCKED_AT``:
        :func:`~ai_protocols.board.model.named_unlocked`): every reader already reads
        them as ended (the owner's clone put them back before it saw the end, and git
        merged both); the write tidies them away as ``task release`` and ``unlock`` do
        (a ``DOING`` task back to ``TODO``), the end items kept, and says so in
        ``self._correcting``. Surgical: only those lines change. Raises nothing."""
        from ai_protocols.board.model import claim_named_ended, named_unlocked, read_value

        done = done_states(doc)
        while "(CLAIMED_AT " in doc.text:  # (no end item names a claim: nothing to take off)
            found = next(((h, h.properties) for h in (doc.headlines[i]
                                                       for i in task_headlines(doc))
                          if h.todo not in done and
                          claim_named_ended(doc, h, h.properties)), None)
            if found is None:
                break
            h, props = found
            doc.set_properties(h.line, [(key, None) for key in CLAIM_KEYS])
            if h.todo == "DOING":
                _set_state(doc, h.line, "TODO")
            self._correcting.append(
                f"task {props.get('ID') or f'on line {h.line + 1}'}: "
                f"{holder_name(read_value(props.get('OWNER')))}'s claim (CLAIMED_AT "
                f"{props['CLAIMED_AT']}), ended for good by the release item naming it, "
                "taken off")
        unlocked = named_unlocked(doc)
        section = locks_section(doc)
        if section is None or not unlocked:
            return
        top = doc.headlines[section]
        ended = [h for h in doc.headlines[section + 1:]
                 if h.line < top.subtree_end and h.level == top.level + 1 and
                 h.properties.get("LOCKED_AT") in unlocked]
        for h in reversed(ended):
            self._correcting.append(
                f"{read_value(h.properties.get('PATH')) or h.raw_title}: "
                f"{holder_name(read_value(h.properties.get('OWNER')))}'s lock (LOCKED_AT "
                f"{h.properties['LOCKED_AT']}), ended by the unlock item naming it, "
                "taken off")
            _remove_subtree(doc, h.line)
        self._correcting[len(self._correcting) - len(ended):] = \
            reversed(self._correcting[len(self._correcting) - len(ended):])

    def _came_back_words(self, doc: OrgFile) -> str:
        """What a change that writes a gone board back whole (:meth:`_whole`) says it
        put back: the board, with how many tasks and locks, from where."""
        try:
            tasks, locks = read_board(doc, check=False)
        except ValueError:
            tasks, locks = [], []
        return (f"the whole board, {counted(len(tasks), 'task', 'tasks')} and "
                f"{counted(len(locks), 'lock', 'locks')}, from its kept copy "
                f"{self.kept_path} (it was removed, and not by ai-protocols nor by a git "
                "commit or checkout: rm, git clean, git stash -u?)")

    def _merge_displaced(self, current: bytes | None, *, aside: bool = False) -> bytes | None:
        """The board ``current`` (as read, or with what git brought merged back; ``None``:
        there is none) with what other programs saved over this change's earlier writes
        in the moment each stood in place (:attr:`_displaced`) merged in, each as git
        merges a branch: what the save changed from the write it was made on, applied
        to the board (:func:`~ai_protocols.board.merge.merge_board_bytes`); then each
        save those writes put back (:attr:`_put_back`) that a save made on the write
        replaced after the swap back: when ``current`` holds the write's change
        (:func:`~ai_protocols.board.merge.tasks_lacking` finds none of it lacking: the
        person saved on the write, not on the save put back), the save's change from
        the write, which also takes the write's own change out (the change is made
        again on what this gives). ``None`` when nothing changed. Each save is merged
        again at each read for the whole change: the write that held the merge may not
        land either (another save came first), and the board read again lacks it
        again. A save that cannot be merged (conflicting changes, or no board this
        merge understands) is set aside (:meth:`_set_aside`), never lost, and merged no
        more; a save put back, with the write's own change taken out of the board where
        that merges. With ``aside`` (the change gives up: nothing is written), each
        save is set aside instead, a save put back when ``current`` lacks it. Raises
        what :meth:`_set_aside` raises."""
        if not self._displaced and not self._put_back:
            return None
        from ai_protocols.board.merge import merge_board_bytes, tasks_lacking

        labels = (str(self.path), "written", "saved")
        merged = current if current is not None else board_text().encode()
        for one in list(self._displaced):
            written, saved = one
            result = None if aside else merge_board_bytes(written, merged, saved,
                                                          labels=labels)
            if result is None or result.conflicts:
                self._set_aside(saved)
                self._displaced.remove(one)
            else:
                merged = result.data
        for two in list(self._put_back):
            read, written, saved = two
            if tasks_lacking(merged, written, (read,)) != 0:  # (made on the save put
                if aside and tasks_lacking(merged, saved, (written,)) != 0:  # back, or
                    self._set_aside(saved)  # no board: as it is)
                continue
            result = None if aside else merge_board_bytes(written, merged, saved,
                                                          labels=labels)
            if result is not None and not result.conflicts:
                merged = result.data
                continue
            self._set_aside(saved)
            self._put_back.remove(two)
            undone = None if aside else merge_board_bytes(written, merged, read, labels=labels)
            if undone is not None and not undone.conflicts:
                merged = undone.data
        return merged if merged != current else None

    def _set_aside(self, saved: bytes) -> None:
        """Keep ``saved`` (another program's save over this change's write, which could
        not be merged in) beside the board, as ``tasks.org.saved-<UTC time>`` (untracked:
        ``git status`` shows it), and say so on stderr with how to merge it. Raises
        :class:`~ai_protocols.errors.StorageError` when it cannot be written."""
        from datetime import datetime, timezone

        from ai_protocols.session.edit_base import warn

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.saved-{stamp}")
        storage.atomic_write(aside, saved, exclusive=True)
        warn(f"another program saved {self.path} at the moment ai-protocols wrote it, and "
             f"its save could not be merged in: kept as {aside}; compare the two (M-x "
             f"ediff-files) and copy what it adds into the board")

    def _give_ids(self, doc: OrgFile) -> None:
        """Give each task a person added without an ``:ID:`` (``org-insert-todo-heading``
        in Emacs) an id of its own, before the command runs, so that the command can
        name it (``task claim TITLE``: :func:`_find`); each said in ``self._correcting``
        (docs/tasks.md, "A task added in Emacs"). The ids given are kept on ``doc``
        (``given_ids``, and by the line each task stood on, ``given_lines``: the
        ``line:N`` key ``task list`` told) for :func:`_find`. When ``doc`` merged back
        what git brought (a stale save), the line in the file on disk of each task, by
        its line here (``disk_lines``: the keys ``task list`` told are the file's)."""
        disk = doc.__dict__.pop("disk_doc", None)
        if disk is not None:  # (taken as the given lines are: before the ids move them)
            from ai_protocols.board.stale import disk_lines

            doc.__dict__["disk_lines"] = disk_lines(doc, disk)
        lines = doc.__dict__.get("disk_lines")
        # (ids an earlier try of this change gave, back in the board through another
        # program's save at its write, merged in: their tasks are still named by the
        # keys they had, their line in the file as read or their title; docs/decisions.md,
        # "Issue 14, twenty-first round (a save at the write, over a stale save)")
        came_back = self._came_back(doc, lines)
        given = _give_missing_ids(doc)
        for title, line, minted, _was in given[:SAID_AT_MOST]:
            self._correcting.append(
                f"task {minted} ({quoted(unescape_inline(title))}, line {line + 1}), added "
                "without an id: given its id")
        if len(given) > SAID_AT_MOST:
            more = given[SAID_AT_MOST:]
            self._correcting.append(
                f"{counted(len(more), 'more task', 'more tasks')} added without an id (lines "
                f"{more[0][1] + 1} to {more[-1][1] + 1}): given their ids (task list shows "
                "them)")
        before = getattr(self, "_given_before", None)
        if before is not None:  # (within _redone: kept for the next try)
            for _, _, minted, was in given:
                before[minted] = was + 1 if lines is None else lines.get(was + 1)
        doc.__dict__["given_ids"] = frozenset(
            [minted for _, _, minted, _was in given] + list(came_back.values()))
        doc.__dict__["given_lines"] = {**came_back,
                                       **{was + 1: minted for _, _, minted, was in given}}

    def _came_back(self, doc: OrgFile, lines: dict[int, int | None] | None
                   ) -> dict[int, str]:
        """The tasks of ``doc`` (a board about to be changed again, :func:`_redone`)
        that hold an id an earlier try of this change gave (``_given_before``: each id,
        the line its task had in the file as read), by their line here (as read, before
        this try's ids move them); each such line is made to stand for that file's line
        in ``lines`` (``disk_lines``, when the board merges back what git brought), so
        that ``line:N`` and the title reach the task the earlier try found (without
        ``lines``, by that line as read: the key's). Empty outside a redo. Reads
        nothing."""
        before = getattr(self, "_given_before", None)
        if not before:
            return {}
        found = {}
        for index in task_headlines(doc):
            headline = doc.headlines[index]
            ident = headline.properties.get("ID", "").strip()
            if ident not in before:
                continue
            if lines is not None:  # (a line of the file on disk: told through the table)
                found[headline.line + 1] = ident
                lines[headline.line + 1] = before[ident]
            elif before[ident] is not None:  # (the line as read: the key's own)
                found[before[ident]] = ident  # type: ignore[index]
        return found

    def _new_ids(self, doc: OrgFile) -> None:
        """Give each task whose ``:ID:`` a person typed as a text no id can be
        (:func:`~ai_protocols.board.model.id_fault`), and that is no task the kept copy
        knows (:meth:`_same_again` gave such a task its own id back), a new id, with a
        line in its log naming the text as the one display rule shows it; said in
        ``self._correcting``. The notes go in at once (:meth:`OrgFile.insert_all`)."""
        indexes = task_headlines(doc)
        faults = [(index, typed, fault) for index in indexes
                  if (typed := doc.headlines[index].properties.get("ID", "").strip())
                  and (fault := id_fault(typed)) is not None]
        if not faults:
            return
        ids = {doc.headlines[i].properties.get("ID", "").strip() for i in indexes}
        stamp = format_timestamp(minute_of(None))
        notes = []
        for index, typed, fault in faults:
            ids.add(minted := mint_task_id(taken=ids))
            doc.set_properties(doc.headlines[index].line, [("ID", minted)])
            notes.append((index, entry_lines(stamp, _whole(
                f"its id was typed by hand as {id_shown(typed)}, which cannot be a task's "
                f"id ({fault.split(';')[0]}): given a new one"))))
            self._correcting.append(f"task {minted}: its id, typed by hand as "
                                    f"{quoted(typed)}, cannot be a task's id ({fault}): "
                                    "given a new one; noted in its log")
        headlines = doc.headlines  # (an id line set keeps every headline's place)
        doc.insert_all([(doc.content_end(headlines[index]), lines) for index, lines in notes])

    def _write(self, doc: OrgFile, read_as: os.stat_result | None, data: bytes | None) -> None:
        """Put ``doc`` in place of the board read as ``data`` (``read_as``: which file it
        was), under the board's lock, only if that file is still the one there and no
        Emacs took it meanwhile: a person's save since the read (their editor renames a
        new file over it, or writes into it) is never written over. :class:`_Changed`
        when it changed (the change is redone on the new board: :func:`_redone`);
        :class:`~ai_protocols.errors.BeingEdited` when Emacs took it."""
        from ai_protocols.errors import StorageError

        encoded = doc.encoded()
        prepared = storage.prepare(self.path, encoded, keep=self.kept_path,
                                   keep_link=False, locked=True, keep_time=True)
        try:
            emacs = live_emacs_lock(self.path)
            if emacs is not None:
                raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
            if not prepared.commit_unless_changed(read_as, data):
                written = encoded if isinstance(encoded, bytes) else b"".join(encoded)
                raise _Changed(
                    None if prepared.displaced is None else (written, prepared.displaced),
                    None if prepared.put_back is None else (
                        board_text().encode() if data is None else data, written,
                        prepared.put_back))
        except OSError as error:
            raise StorageError(self.path, error) from error
        finally:
            prepared.discard()
        if prepared.keep_error is not None:  # (the write stands: said, as a session's)
            from ai_protocols.session.edit_base import say_not_kept

            say_not_kept(str(self.path), self.kept_path, prepared.keep_error,
                         "a git command that puts back an older board would undo the "
                         "claims and locks written since, unseen")

    def _set_up(self) -> None:
        """Set the project up as ``init`` does: ``.ai/`` and the merge driver in the local
        git configuration (without it, two branches that add tasks conflict); what was
        done is in :attr:`set_up`."""
        from ai_protocols.git.driver import driver_command
        from ai_protocols.scaffold import init_project

        project = self.project
        if project.root_guessed and not os.path.lexists(project.root / ".git"):
            raise NoProject(project.root)
        self.set_up = init_project(project.root, merge_driver=driver_command())
        if not self.path.parent.is_dir():  # a linked work tree's board: the main one's
            self.set_up += init_project(self.path.parent.parent)

    def _merge_driver(self) -> None:
        """Configure the merge driver in a clone whose local git configuration lacks it
        (:func:`ai_protocols.git.driver.configure_missing_merge_driver`);
        :attr:`driver_configured` says when it did. The file is read first, as
        :meth:`Project.log <ai_protocols.session.project.Project.log>` reads it: the merge
        module is imported only for a clone that lacks the driver (a tenth of a board
        command's instructions)."""
        from ai_protocols.paths import merge_driver_missing

        if not merge_driver_missing(str(self.project.root)):
            return
        from ai_protocols.git.driver import configure_missing_merge_driver

        self.driver_configured = configure_missing_merge_driver(str(self.project.root))

    def _agent_process(self) -> str | None:
        """The ``OWNER_PROCESS`` a claim or lock made now records
        (:func:`~ai_protocols.liveness.evidence.current_owner`), or ``None`` when no process
        can stand for the agent; :attr:`unseen` says why the agent cannot be judged by
        its process from outside, when it cannot (``None``: it can)."""
        from ai_protocols.liveness.evidence import owner_property
        from ai_protocols.liveness.host import pid_namespace

        found = current_owner()
        namespace = pid_namespace()
        if found is None:
            self.unseen = (
                "no process of the agent is to be seen from this command: it runs in a PID "
                f"namespace of its own (namespace {namespace}: a sandbox, as Codex's runs "
                "commands), whose first process stands for no agent" if namespace else
                "no process of the agent is to be seen from this command: its shell left "
                "it behind (run in the background, adopted by process 1 or a subreaper)")
        elif namespace is not None:
            self.unseen = (f"the agent's process, {found.pid}, is one of PID namespace "
                           f"{namespace} (a sandbox, a container), which no command outside "
                           "it can see")
        else:
            self.unseen = None
        return owner_property(found)

    def _me(self, action: str) -> str:
        if not self.me:
            raise InvalidAgentId("", f"it is not set, and {action} needs to know who you are: "
                                     "run inside Claude Code or Codex, or set AI_AGENT_ID "
                                     "(ai-protocols agent-id --runtime NAME)")
        try:
            self.me.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidAgentId(self.me, "it is not valid UTF-8") from error
        return self.me
