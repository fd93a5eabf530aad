"""The task board's ``task`` commands: add, claim, release, done, cancel, reopen, edit,
a task's handoff and its session link, the claims a session carries on. A part of
:class:`~ai_protocols.board.board.Board`.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

from ai_protocols.board.board_edits import (
    CLAIM_KEYS,
    ClaimReport,
    _append_at_end,
    _check_removal,
    _drop_closed,
    _listed,
    _locate,
    _lockable,
    _note,
    _read_at,
    _redone,
    _runs_elsewhere,
    _set_heading,
    _set_state,
    _unique,
    held_by,
)
from ai_protocols.board.board_file import (
    CLOSED_STATES,
    board_title,
    board_value,
    check_drawers,
    done_states,
    handoffs,
    join_paths,
    same_area,
    task_headlines,
    unique_areas,
)
from ai_protocols.board.board_input import (
    _check_task_id,
    check_given_path,
    check_line,
    check_role,
    check_tag,
    check_title,
    find_task,
    mint_task_id,
    normalize_path,
    same_role,
)
from ai_protocols.board.board_read import claim_void, read_board
from ai_protocols.errors import BeingEdited, InvalidText, TaskClosed, TaskNotFound, TaskTaken
from ai_protocols.lean import shell_quote
from ai_protocols.liveness.evidence import current_owner, owner_property
from ai_protocols.org.emacs_lock import live_emacs_lock, lock_kind
from ai_protocols.org.syntax import entry_lines, format_property, format_timestamp
from ai_protocols.session.edit_base import minute_of
from ai_protocols.session.text import preview

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_protocols.board.board_file import Handoff, Task
    from ai_protocols.lean import datetime
    from ai_protocols.org.file import OrgFile


class TaskCommands:
    """The board's part that runs the ``task`` commands."""

    # -- tasks --------------------------------------------------------------------------------

    @_redone
    def add(self, title: str, *, working_set: tuple[str, ...] = (), role: str | None = None,
            tags: tuple[str, ...] = (), now: datetime | None = None,
            cwd: str | None = None) -> Task:
        """Put a new task (state ``TODO``) at the end of the board, making the board if
        needed; return it. Paths are relative to ``cwd`` (the working directory). Raises
        :class:`~ai_protocols.errors.InvalidText` (before anything is written) for a title,
        path, role or tag the board cannot hold as given (:func:`check_title`...)."""
        title = check_title(title)
        paths = unique_areas(normalize_path(str(self.project.root), check_given_path(p, cwd), cwd)
                        for p in working_set)
        for path in paths:
            _lockable(path, "a working set does not name it (no agent edits it); name the "
                            "files or folders the task is going to change")
        role = check_role(role) if role is not None else None
        tags = tuple(_unique(check_tag(t) for t in tags))
        heading = f"* TODO {board_title(title)}" + (f" :{':'.join(tags)}:" if tags else "")
        with self.editing(create=True) as doc:
            # the time taken holding the board's lock (13th round); the id drawn under
            # it, against the ids the board holds: never one of them
            moment = minute_of(now)
            taken = {doc.headlines[i].properties.get("ID", "").strip()
                     for i in task_headlines(doc)}
            task_id = mint_task_id(taken=taken)
            props = [("ID", task_id), ("ROLE", board_value(role)),
                     ("WORKING_SET", join_paths(paths) or None),
                     ("CREATED", format_timestamp(moment))]
            _append_at_end(doc, [
                heading, ":PROPERTIES:",
                *(format_property(k, v) for k, v in props if v is not None), ":END:",
                f"- {format_timestamp(moment)} added by {self.me or '(no agent id)'}"])
        return find_task(read_board(doc)[0], task_id, self.path)

    @_redone
    def claim(self, task_id: str, *, force: bool = False,
              now: datetime | None = None) -> ClaimReport:
        """Make the task the caller's. Of many claims at once, exactly one wins: the
        others get :class:`~ai_protocols.errors.TaskTaken` naming the holder. A claim
        whose agent is gone (crashed, abandoned, wrapped up) is taken over, and the
        task's log says whose it was and why; a live one only with ``force``. A done
        or cancelled task is :class:`~ai_protocols.errors.TaskClosed`."""
        from ai_protocols.liveness.clock import now_moment

        me = self._me("a claim")
        process = self._agent_process()
        with self.editing() as doc, self._explained():
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            moment = at.minute
            task, line = _locate(doc, task_id, self.path)
            if not task.is_open:
                raise TaskClosed(task.id or task_id, task.state or "closed", "claim")
            if task.commented and not self.is_me(task.owner):
                raise TaskClosed(task.id or task_id, task.state or "open", "claim",
                                 commented=True)
            stamp = format_timestamp(moment)
            values = [("OWNER", board_value(me)), ("OWNER_PROCESS", process), ("CLAIMED", stamp),
                      ("CLAIMED_AT", at.to_property())]
            if self.is_me(task.owner):
                shared = task.owner_process if task.owner_process != process and \
                    _runs_elsewhere(task.owner_process) else None
                if task.owner_process == process or shared is not None:
                    # Two live processes share the agent id: the claim stays with the one
                    # that took it (moved, it would look crashed once this one ends while
                    # that one works on): said, never renewed (docs/tasks.md). But a claim
                    # its own agent's wrap-up (or abandon) ended holds no more: renewed.
                    return self._held_again(doc, line, task, values, shared, stamp, now)
                # The same agent from a new process (a resumed run): the claim is renewed
                # in place, so that its live process, not the dead one, stands for it.
                doc.set_properties(line, values)
                _note(doc, line, stamp, f"claim renewed by {me}, from a new process")
                return ClaimReport(self._held(doc, line, task_id), already=True,
                                   renewed=True)
            previous = state = None
            if task.owner:
                gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                        task.claimed_at)
                if not gone and not force:
                    raise TaskTaken(task.id or task_id, task.owner, state.state, state.evidence)
                previous = task.owner
            # A task closed once and reopened by a person: its closure's record goes (the
            # log keeps it), so that its claim is this one; so does a CLOSED: planning
            # line Org left (a reopen by hand, or by an older version), which would make
            # a claim in its minute count for nothing (docs/tasks.md).
            doc.set_properties(line, [*values, ("CLOSED_AT", None), ("CHECKPOINT", None)])
            closed = _drop_closed(doc, line)
            if task.state in ("TODO", "NEXT", None) or task.state in CLOSED_STATES:
                # (DONE, CANCELLED read as open: the board's #+TODO: line, which this
                # write declares, would close it again)
                _set_state(doc, line, "DOING")
            said = f"claimed by {me}"
            if previous is not None and state is not None:
                said += f", taking it over: it was {held_by(previous, state, force)}"
            if closed is not None:
                said += f" (its planning line's {closed} taken out, as Org does on a reopen)"
            _note(doc, line, stamp, said)
            task = self._held(doc, line, task_id)
        return ClaimReport(task, previous=previous, state=state)

    def _held(self, doc: OrgFile, line: int, task_id: str) -> Task:
        """The task on ``line`` of ``doc`` as every reader reads it, once a claim by this
        agent is made there: :class:`~ai_protocols.errors.ClaimVoid` (nothing written)
        when the readers' rule (:func:`~ai_protocols.board.model.claim_void`) reads it as
        free, or as another's: a claim is never reported won unless the board holds it."""
        from ai_protocols.errors import ClaimVoid

        task = _read_at(doc, line)
        if task.owner is not None and self.is_me(task.owner):
            return task
        headline = doc.find(line)
        why = claim_void(doc, headline, headline.properties, done_states(doc)) or \
            "its claim's properties do not read back as this agent's"
        raise ClaimVoid(task.id or task_id, why)

    def _held_again(self, doc: OrgFile, line: int, task: Task,
                    values: list[tuple[str, str | None]], shared: str | None, stamp: str,
                    now: datetime | None) -> ClaimReport:
        """The caller's claim of ``task`` (at ``line``), taken by this process or by
        ``shared``, another of its agent id's that runs: left as it is while it holds;
        renewed (its time, and its process unless ``shared``: ``values``) when the board
        would let another agent take it over (:meth:`gone`: its own session wrapped up or
        abandoned since it was taken), so that a claim command always leaves the claim
        held (docs/tasks.md, "Claiming a task"). The report's ``revived`` says why."""
        gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                task.claimed_at)
        if not gone:
            return ClaimReport(task, already=True, shared=shared)
        doc.set_properties(line, values if shared is None else
                           [v for v in values if v[0] != "OWNER_PROCESS"])
        _note(doc, line, stamp, f"claim renewed by {self.me}: it held no more ({state.state}: "
                                f"{state.evidence})")
        return ClaimReport(self._held(doc, line, task.id or ""), already=True, renewed=True,
                           shared=shared, revived=f"{state.state}: {state.evidence}")

    def _owned(self, doc: OrgFile, task_id: str, action: str, force: bool,
               now: datetime | None) -> tuple[Task, int, str | None]:
        """The task, its line, and what to say of the claim it had, for a change only its
        holder (or anyone, when it is free or its holder gone, or ``force``) may make."""
        with self._explained():
            task, line = _locate(doc, task_id, self.path)
        if not task.is_open:  # closed: no claim to judge, whoever closed it
            raise TaskClosed(task.id or task_id, task.state or "closed", action)
        if not task.owner or self.is_me(task.owner):
            return task, line, None
        gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                        task.claimed_at)
        if not gone and not force:
            raise TaskTaken(task.id or task_id, task.owner, state.state, state.evidence, action)
        return task, line, held_by(task.owner, state, force)

    @_redone
    def release(self, task_id: str, *, force: bool = False, now: datetime | None = None) -> Task:
        """Give the claim up: the task is free again (``DOING`` goes back to ``TODO``).
        Another agent's live claim is :class:`~ai_protocols.errors.TaskTaken` unless
        ``force``; a done or cancelled task :class:`~ai_protocols.errors.TaskClosed`
        (its claim is the record of who closed it). A task nobody holds is returned
        as it is, nothing written; but with ``force``, one whose claim a person deleted
        by hand, which ``HEAD``'s history still holds unended
        (:func:`~ai_protocols.board.hidden.deleted_claim`: its owner's clone puts it
        back), gets the release record naming that claim
        (:func:`~ai_protocols.board.model.release_record`), which ends it in every
        clone; :attr:`released_from` is then its owner."""
        self.released_from = None
        self.hand_released = False  # (a claim deleted by hand, put back from history)
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "release", force, now)
            if task.owner is None and force and task.id:
                # (a claim a person deleted by hand, which HEAD's history still holds
                # unended: ended for good by the release record naming it, as unlock
                # --force does for a lock; docs/decisions.md, "Twenty-fifth round")
                from ai_protocols.board.hidden import deleted_claim
                from ai_protocols.board.model import release_record

                gone_claim = deleted_claim(str(self.path), task.id, doc.text.encode())
                if gone_claim is not None:
                    self.released_from = gone_claim.owner
                    _note(doc, line, format_timestamp(moment),
                          release_record(self.me or "(no agent id)", gone_claim))
                    return _read_at(doc, line)
            if task.owner is None:
                return task
            self.released_from = task.owner
            doc.set_properties(line, [(key, None) for key in CLAIM_KEYS])
            if task.state == "DOING":
                _set_state(doc, line, "TODO")
            if other and task.claimed_at and task.claimed_at in self._hand_put_back:
                # (a lost claim this write put back, from the kept copy or git's history:
                # a person took it off by hand; its end names its record, so that no
                # clone's history holds it again; docs/decisions.md, "Twenty-sixth round:
                # the board across clones")
                from ai_protocols.board.model import release_record

                self.hand_released = True
                _note(doc, line, format_timestamp(moment),
                      release_record(self.me or "(no agent id)", task))
                return _read_at(doc, line)
            # (a forced release names the claim's record too: should the claim come back
            # beside it, by a merge, every clone reads it as ended: claim_named_ended)
            _note(doc, line, format_timestamp(moment), f"released by {self.me or '(no agent id)'}"
                  + (f", who was not its holder: it was {other}" if other else "")
                  + (f" (CLAIMED_AT {task.claimed_at})" if other and task.claimed_at else ""))
            return _read_at(doc, line)

    @_redone
    def done(self, task_id: str, *, checkpoint: str | None = None, force: bool = False,
             now: datetime | None = None) -> Task:
        """Close the task as ``DONE``, with the ``checkpoint`` it was closed with (a
        reference, kept as text in ``CHECKPOINT``). Its claim and owner stay as a record."""
        checkpoint = check_line("checkpoint", checkpoint) if checkpoint is not None else None
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            _task, line, other = self._owned(doc, task_id, "close", force, now)
            stamp = format_timestamp(moment)
            doc.set_properties(line, [("CHECKPOINT", board_value(checkpoint)),
                                      ("CLOSED_AT", stamp)])
            _set_state(doc, line, "DONE")
            _note(doc, line, stamp, f"done by {self.me or '(no agent id)'}" +
                  (f", checkpoint {checkpoint}" if checkpoint else "") +
                  (f"; it was {other}" if other else ""))
            return _read_at(doc, line)

    @_redone
    def cancel(self, task_id: str, *, force: bool = False,
               now: datetime | None = None) -> Task:
        """Close the task as ``CANCELLED`` (it will not be done); its claim and owner stay
        as a record, as :meth:`done` keeps them. Another agent's live claim is
        :class:`~ai_protocols.errors.TaskTaken` unless ``force``; a closed task
        :class:`~ai_protocols.errors.TaskClosed`. Logged in the task's log."""
        with self.editing() as doc:
            moment = minute_of(now)
            _task, line, other = self._owned(doc, task_id, "cancel", force, now)
            stamp = format_timestamp(moment)
            doc.set_properties(line, [("CLOSED_AT", stamp)])
            _set_state(doc, line, "CANCELLED")
            _note(doc, line, stamp, f"cancelled by {self.me or '(no agent id)'}" +
                  (f"; it was {other}" if other else ""))
            return _read_at(doc, line)

    @_redone
    def reopen(self, task_id: str, *, now: datetime | None = None) -> Task:
        """Open a closed (``DONE``, ``CANCELLED``, or a person's done state) task again:
        ``TODO``, free (its claim's record and ``CLOSED_AT`` go; its ``CHECKPOINT`` stays,
        the restore point it was closed with), logged with what it was. An open task is
        returned as it is, nothing written (:attr:`reopened` says which)."""
        self.reopened = False
        with self.editing() as doc:
            moment = minute_of(now)
            with self._explained():
                task, line = _locate(doc, task_id, self.path)
            if task.is_open:
                return task
            doc.set_properties(line, [(key, None) for key in (*CLAIM_KEYS, "CLOSED_AT")])
            _drop_closed(doc, line)  # (Org's CLOSED: goes too, as Org's reopen takes it out)
            _set_state(doc, line, "TODO")
            _note(doc, line, format_timestamp(moment),
                  f"reopened by {self.me or '(no agent id)'} (it was {task.state}"
                  + (f", closed by {task.owner}" if task.owner else "") + ")")
            self.reopened = True
            return _read_at(doc, line)

    @_redone
    def edit(self, task_id: str, *, title: str | None = None,
             working_set: tuple[str, ...] | None = None, add_paths: tuple[str, ...] = (),
             remove_paths: tuple[str, ...] = (), tags: tuple[str, ...] = (),
             untags: tuple[str, ...] = (), role: str | None = None, force: bool = False,
             now: datetime | None = None, cwd: str | None = None) -> tuple[Task, list[str]]:
        """Change an open task after ``task add``: its ``title``, its working set (replaced
        by ``working_set``; ``add_paths`` added to it, ``remove_paths`` taken out of it;
        paths relative to ``cwd``, checked as ``add`` checks them), its ``tags`` added and
        ``untags`` removed, its ``role``. Only the words changed are written (the
        headline's keyword, priority and other tags as they were); the change is logged
        in the task's log. Another agent's live claim is
        :class:`~ai_protocols.errors.TaskTaken` unless ``force`` (it works inside that
        working set); a closed task :class:`~ai_protocols.errors.TaskClosed`; a bad title,
        path, tag or role :class:`~ai_protocols.errors.InvalidText` before anything is
        written. Returns the task and what changed (one phrase each; none: nothing
        written)."""
        root = str(self.project.root)

        def given(paths: tuple[str, ...]) -> list[str]:
            found = unique_areas(normalize_path(root, check_given_path(p, cwd), cwd)
                                 for p in paths)
            for path in found:
                _lockable(path, "a working set does not name it (no agent edits it); name "
                                "the files or folders the task is going to change")
            return found

        title = check_title(title) if title is not None else None
        replaced = given(working_set) if working_set is not None else None
        added, removed = given(add_paths), given(remove_paths)
        tags = tuple(_unique(check_tag(t) for t in tags))
        untags = tuple(_unique(check_tag(t) for t in untags))
        role = check_role(role) if role is not None else None
        with self.editing() as doc:
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "edit", force, now)
            said: list[str] = []
            paths = list(task.working_set) if replaced is None else list(replaced)
            paths = unique_areas([*paths, *added])
            _check_removal(paths, removed)
            paths = [p for p in paths if not any(same_area(p, r) for r in removed)]
            if tuple(paths) != tuple(task.working_set):
                doc.set_properties(line, [("WORKING_SET", join_paths(paths) or None)])
                said.append(f"working set {_listed(task.working_set)} -> {_listed(paths)}")
            if role is not None and role != task.role:
                doc.set_properties(line, [("ROLE", board_value(role))])
                said.append(f"role {task.role or '(none)'} -> {role}")
            new_tags = [t for t in _unique([*task.tags, *tags]) if t not in untags]
            if (title is not None and title != task.title) or tuple(new_tags) != task.tags:
                _set_heading(doc, line, board_title(title) if title is not None else None,
                             new_tags)
                if title is not None and title != task.title:
                    said.append(f"title {task.title!r} -> {title!r}")
                if tuple(new_tags) != task.tags:
                    said.append(f"tags {_listed(task.tags)} -> {_listed(new_tags)}")
            if not said:
                return task, []
            _note(doc, line, format_timestamp(moment),
                  f"edited by {self.me or '(no agent id)'}: {'; '.join(said)}"
                  + (f"; it was {other}" if other else ""))
            return _read_at(doc, line), said

    def check_done(self, task_id: str, *, force: bool = False,
                   now: datetime | None = None) -> Task:
        """The task ``task_id`` names, when :meth:`done` would close it now: what would
        refuse it, judged without writing (and without the board's lock), so that
        ``task done --checkpoint`` takes no checkpoint for a close that is refused.
        Raises what :meth:`done` raises before it writes:
        :class:`~ai_protocols.errors.BeingEdited`, what reading the board raises
        (:class:`~ai_protocols.errors.MergeConflict`,
        :class:`~ai_protocols.errors.MisplacedDrawer`...),
        :class:`~ai_protocols.errors.TaskNotFound`,
        :class:`~ai_protocols.errors.TaskClosed`, and
        :class:`~ai_protocols.errors.TaskTaken` for another agent's claim that may be
        live (unless ``force``). A claim made between this and :meth:`done` is still
        refused by :meth:`done`."""
        _check_task_id(task_id)
        emacs = live_emacs_lock(self.path)
        if emacs is not None:
            raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
        doc = self._doc()
        if doc is None:
            raise TaskNotFound(task_id, self.path)
        check_drawers(doc, self.path)
        return self._owned(doc, task_id, "close", force, now)[0]

    def resolve_ref(self, ref: str) -> str:
        """What ``task done --checkpoint-ref REF`` keeps in ``CHECKPOINT``: the full name of
        the ref (``refs/tags/v1``, ``refs/ai-protocols/checkpoints/...``) and the commit it
        names now (its whole hash), ``refs/tags/v1 3f2a...`` (``HEAD`` on a branch: that
        branch); the hash alone for what is no ref by name (a hash, ``main~2``,
        ``:/TEXT``, ``HEAD@{1}``). Every form of git-rev-parse(1) "SPECIFYING REVISIONS"
        that names an object peeling to a commit: ``--verify REF``, then that object's
        ``^{commit}``, and ``--symbolic-full-name REF``.
        :class:`~ai_protocols.errors.InvalidText` (exit 4) for a text that names no commit
        here; :class:`~ai_protocols.errors.GitFailed` (exit 14) when git cannot run."""
        import subprocess

        from ai_protocols.errors import GitFailed

        ref = check_line("checkpoint", ref)
        if ref.startswith("-"):
            raise InvalidText("checkpoint", ref, "a ref does not start with '-'; give the "
                                                 "ref's name (refs/ai-protocols/..., as "
                                                 "'ai-protocols checkpoint list' shows it, a "
                                                 "branch or a tag) or a commit hash")
        root = str(self.project.root)
        try:
            # The object REF names first, then the commit it peels to: appending
            # '^{commit}' to REF itself would change what ':/TEXT' searches for (its
            # regular expression runs to the end of the text).
            found = subprocess.run(["git", "-C", root, "rev-parse", "--verify", "--quiet",
                                    "--end-of-options", ref],
                                   capture_output=True, text=True, check=False)
            commit = found if found.returncode != 0 or not found.stdout.strip() else \
                subprocess.run(["git", "-C", root, "rev-parse", "--verify", "--quiet",
                                "--end-of-options", f"{found.stdout.strip()}^{{commit}}"],
                               capture_output=True, text=True, check=False)
            name = subprocess.run(["git", "-C", root, "rev-parse", "--symbolic-full-name",
                                   ref], capture_output=True, text=True, check=False)
        except OSError as error:
            raise GitFailed("rev-parse", str(error)) from error
        if commit is not found and (commit.returncode != 0 or not commit.stdout.strip()):
            raise InvalidText("checkpoint", ref, "it names a git object that is no commit "
                                                 "(a tree or a blob); give a checkpoint's "
                                                 "ref, a branch, a tag or a commit; nothing "
                                                 "was changed")
        if commit.returncode != 0 or not commit.stdout.strip():
            raise InvalidText("checkpoint", ref, "it names no commit in this repository (a "
                                                 "checkpoint's ref, a branch, a tag or a "
                                                 "commit hash; 'git log' lists commits); "
                                                 "nothing was changed")
        full = name.stdout.strip() if name.returncode == 0 else ""
        full = full if full.startswith("refs/") and "\n" not in full else ""
        return f"{full} {commit.stdout.strip()}" if full else commit.stdout.strip()

    def checkpoint_where(self, task: Task) -> str | None:
        """Where the checkpoint ``task`` was closed with is, seen from this clone, and how
        to restore it: :meth:`~ai_protocols.git.checkpoint.Checkpoints.whereabouts`'s
        words (docs/checkpoints.md "Where a recorded checkpoint is") for a ``CHECKPOINT``
        of a checkpoint's ref and its commit (``REF HASH``, as ``task done --checkpoint``
        and ``--checkpoint-ref`` record it) or a commit alone; for a checkpoint's ref alone
        (recorded by a version before: no commit), whether this clone holds it, else the
        fetch that brings it. ``None``: no checkpoint, or a branch's or tag's ref (git's
        clone and fetch bring those; the record names its commit). Runs git (a few
        times); :class:`~ai_protocols.errors.GitFailed` when it cannot run."""
        import re

        from ai_protocols.git.checkpoint import NAMESPACE, Checkpoints

        parts = (task.checkpoint or "").split()
        if not parts or len(parts) > 2:
            return None
        ref = parts[0] if parts[0].startswith("refs/") else None
        commit = parts[-1] if re.fullmatch(r"[0-9a-fA-F]{4,64}", parts[-1]) else None
        if (ref is not None and not ref.startswith(f"{NAMESPACE}/")) or \
                (ref is None and commit is None):
            return None
        points = Checkpoints(self.project.root, self.me)
        if commit is None:  # (a ref alone: here, or the fetch that brings it)
            assert ref is not None
            held = next((p for p in points.list(every_agent=True) if p.ref == ref), None)
            if held is not None:
                commit = held.commit
            else:
                return (f"its ref {ref} is not in this clone, and the board does not record "
                        f"its commit (closed by an older version): {points.fetch_command()} "
                        f"&& ai-protocols checkpoint restore {shell_quote(ref)} (from "
                        f"{self.project.root_text})")
        return points.whereabouts(ref, commit).say("it")

    @_redone
    def handoff(self, task_id: str, *, to: str, note: str, force: bool = False,
                now: datetime | None = None) -> Task:
        """Hand the task on to the role ``to`` with ``note``: the claim is given up, the
        role set, and the state becomes ``REVIEW`` for a reviewer, else ``NEXT`` (ready
        for that role). The note goes into the task's log."""
        to = check_role(to)
        note = check_line("note", note)  # (one rule for the board's free texts: MAX_LINE)
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "hand off", force, now)
            doc.set_properties(line, [("ROLE", board_value(to)),
                                      *((key, None) for key in CLAIM_KEYS)])
            _set_state(doc, line, "REVIEW" if same_role(to, "reviewer") else "NEXT")
            who = self.me or "(no agent id)"
            stamp = format_timestamp(moment)
            if other:  # its own item: the hand-off's stays "handed off by W to R: NOTE"
                _note(doc, line, stamp, f"claim taken by {who} to hand it off: it was {other}")
            said = f"handed off by {who}" + (f" (role {task.role})" if task.role else "") + \
                f" to {to}: {note}"
            doc.insert(doc.content_end(doc.find(line)), entry_lines(stamp, said))
            return _read_at(doc, line)

    def handoffs(self, task: Task) -> list[Handoff]:
        """The hand-offs of ``task`` (as :meth:`task` or :meth:`tasks` read it), oldest
        first, from its log on the board (:func:`~ai_protocols.board.model.handoffs`)."""
        doc = self._doc()
        if doc is None:
            return []
        found = next((t for t in read_board(doc, self.path)[0] if t.line == task.line and
                      t.id == task.id), None)
        return handoffs(doc, found.line) if found is not None else []

    def link_session(self, task_id: str, *, now: datetime | None = None) -> Task:
        """Link the agent's session to the task: its ``TASK`` property, and a Log line,
        through the session's edit transaction. Returns the task. Raises
        :class:`~ai_protocols.errors.TaskNotFound`, and what a session edit raises
        (:class:`~ai_protocols.errors.NoSession` without a session file)."""
        from ai_protocols.session.transaction import editing

        task = self.linkable(task_id)
        with editing(self.project.ai_dir, self.project.path, now=now) as edit:
            if edit.properties.get("TASK") != task.id:
                edit.set_properties(("TASK", task.id))
                edit.note(f"task: {task.id} {preview(task.title)}")
        return task

    def linkable(self, task_id: str) -> Task:
        """The task ``task_id`` names, when a session may be linked to it (``start --task``,
        ``log --task``): :class:`~ai_protocols.errors.TaskNotFound` as :meth:`task`, and
        :class:`~ai_protocols.errors.TaskClosed` (exit 24) for a done-type one (``DONE``,
        ``CANCELLED``, or one the board's ``#+TODO:`` line puts after ``|``): work linked
        to a closed task would be lost from every list of open work (docs/tasks.md)."""
        task = self.task(task_id)
        if not task.is_open:
            raise TaskClosed(task.id or task_id, task.state or "closed",
                             "link the session to")
        return task

    def session_tasks(self, linked: str | None = None,
                      linked_at: datetime | None = None) -> list[Task]:
        """The open tasks the agent holds, and the task ``linked`` to its session (by
        ``start``/``log --task``, at ``linked_at``: as its log's notes, or the board's git
        history, says it is now: :func:`~ai_protocols.board.merge.current_or_history`) if
        it is still open, in board order."""
        tasks = self.tasks()
        held = self.held_tasks(tasks)[0]
        if linked:  # (its id changed since: the task its log, or git's history, says)
            from ai_protocols.board.merge import current_or_history

            doc = self._doc()
            now = current_or_history(doc, tasks, linked, linked_at, str(self.project.root)) \
                if doc is not None else None
            linked = now.id if now is not None else linked
        return [t for t in tasks if t.is_open and (t in held or (linked and t.id == linked))] \
            + [t for t in held if t not in tasks]

    @_redone
    def carry_own(self, prefix: str, *, now: datetime | None = None) -> list[str]:
        """Make the claims and locks of an earlier conversation of this very agent process
        the caller's (:attr:`me`): those whose owner id starts with ``prefix`` (the agent
        program's ids here, ``host.project.runtime.``) and whose ``OWNER_PROCESS`` is the
        process behind this command (:func:`~ai_protocols.liveness.evidence.current_owner`:
        the same process id and start, not merely a live one). Claude Code gives a
        conversation a new session id on ``/clear``, ``/resume`` of another one and a
        fork, and so a new agent id; the process, its work and its locks go on (its hooks
        reference; docs/tasks.md, "An agent across /clear"). Each claim carried gets a
        line in its task's log; returns one line per claim or lock carried (none: the
        board is not written; none either when no process stands for this command's
        agent)."""
        from ai_protocols.liveness.evidence import Owner

        here = current_owner()
        if here is None:
            return []

        def ours(owner: str | None, process: str | None) -> bool:
            if not owner or self.is_me(owner) or not owner.startswith(prefix) or not process:
                return False
            recorded = Owner.parse(process)
            return recorded is not None and recorded.same_process(here)

        return self._carry(ours, f"the same agent process (pid {here.pid}), its "
                                 "conversation given a new id", now=now)

    @_redone
    def carry_adopted(self, agent_id: str, *, now: datetime | None = None) -> list[str]:
        """Make the open claims and the locks of ``agent_id``, whose session the caller
        (:attr:`me`) adopted (``recover ID --adopt``), the caller's, taken by this
        process now (their ``OWNER_PROCESS`` and times renewed): the adopter carries that
        work on, so no third agent takes it over without ``--force`` (docs/tasks.md,
        "Adopting a session"). The rule of :meth:`carry_own`; returns what it carried,
        one line each (none: the board is not written). Raises what a board change
        raises (:meth:`editing`)."""
        return self._carry(lambda owner, _process: bool(owner) and owner == agent_id and
                           not self.is_me(owner),
                           f"its session adopted by {self.me} (recover --adopt)",
                           now=now, process=owner_property(current_owner()))

    def _carry(self, ours: Callable[[str | None, str | None], bool], why: str, *,
               now: datetime | None, process: str | None = None) -> list[str]:
        """The one carry of claims and locks to the caller: each open claim and lock
        whose owner and ``OWNER_PROCESS`` ``ours`` accepts gets the caller's id, and, given
        ``process``, that process and a new time (claimed, locked: now); each claim a
        line of its task's log saying ``why``. Returns one line per claim or lock."""
        from ai_protocols.liveness.clock import now_moment

        me = self._me("carrying claims over")
        said: list[str] = []
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            stamp = format_timestamp(at.minute)
            tasks, locks = read_board(doc)
            for task in tasks:
                if task.is_open and ours(task.owner, task.owner_process):
                    doc.set_properties(task.line - 1, [("OWNER", board_value(me)), *(
                        [("OWNER_PROCESS", process), ("CLAIMED", stamp),
                         ("CLAIMED_AT", at.to_property())] if process else [])])
                    _note(doc, task.line - 1, stamp,
                          f"claim carried over from {task.owner} to {me}: {why}")
                    said.append(f"the claim of task {task.id}, from {task.owner}")
            for held in locks:
                if ours(held.owner, held.owner_process):
                    doc.set_properties(held.line - 1, [("OWNER", board_value(me)), *(
                        [("OWNER_PROCESS", process), ("LOCKED", stamp),
                         ("LOCKED_AT", at.to_property())] if process else [])])
                    said.append(f"the lock on {held.path}, from {held.owner}")
        return said
