"""What an agent holds on the task board and what it lost: its state
(:meth:`LostClaims.agent_state`), the claims and locks git or a person took off the
board (:meth:`LostClaims.lost`), the tasks two versions hold alike. A part of
:class:`~ai_protocols.board.board.Board`.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter

from ai_protocols.board.board_edits import (
    Lost,
    _had,
    _judged_by,
    _logged,
    _missing_log,
    _retyped_note,
    _same_claim,
    _whole,
    _work_tree_projects,
    _wrapped_up,
)
from ai_protocols.board.board_file import overlap
from ai_protocols.board.board_input import all_sunk, id_fault, id_shown, plain_path, sunk_locks
from ai_protocols.board.board_read import ended_locks, kept_other, lock_record, read_board
from ai_protocols.board.claim_history import (
    ended_elsewhere,
    lost_claims,
    on_other_branch,
    undone_ends,
)
from ai_protocols.errors import AiProtocolsError, InvalidAgentId
from ai_protocols.git.history import head_holds
from ai_protocols.lean import datetime, quoted
from ai_protocols.liveness.evidence import RECOVERABLE, Liveness, assess, stale_after
from ai_protocols.org.syntax import entry_lines, format_timestamp
from ai_protocols.paths import AI_DIR, BOARD_FILE
from ai_protocols.session.edit_base import minute_of
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.project import Project

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ai_protocols.board.board_file import Task
    from ai_protocols.org.file import OrgFile


class LostClaims:
    """The board's part that tells an agent's state and the claims and locks it lost (to
    git, a person, another work tree), and the tasks two versions hold alike."""

    def agent_state(self, agent_id: str | None, process: str | None, since: datetime | None,
                    now: datetime | None = None, since_at: str | None = None, *,
                    advise: bool = True) -> Liveness:
        """Whether ``agent_id``, holding a claim or lock, is still at work, with the
        evidence, strongest first (docs/tasks.md, "Whether the holder is still at work"):

        0. an ``agent_id`` the board gives as no agent id, or not at all
           (:func:`~ai_protocols.board.model.owner_problem`): unknown, whose lock holds
           and whose claim only ``--force`` takes (never an error about ``AI_AGENT_ID``);
        1. its spawner's lease: live;
        2. its session wrapped up (its tombstone) since the claim was taken: wrapped up
           (the agent said it was done, whatever process is left);
        3. the ``process`` that took the claim or lock, running: live (a session file
           left by an earlier, dead process of the same agent never outranks it),
           unless its session is paused (``pause``): paused, as ``status`` says;
        4. its session file's state, as ``status`` decides it, when that says more than
           ``unknown``; but ``ended`` (its agent's own end record, a SessionEnd hook's)
           with no process of it running (the claim's or lock's, its session's: each
           recorded one gone from this host) for longer than the grace for a resume
           (:func:`~ai_protocols.liveness.evidence.ended_grace`) is abandoned: it left
           without a wrap-up, and what it held is anyone's to take over (a ``/clear``
           of Claude Code ends a session in a process that goes on: step 3 finds it
           running); so too when its processes are another host's or another PID
           namespace's (none can be checked, none known to run), but for an end by
           ``/clear`` (``session end (clear)``: its process goes on unseen), which
           waits until stale (:func:`~ai_protocols.liveness.evidence.stale_after`);
        5. the claim's own evidence: its process gone (crashed), else how long ago
           (``since``, the local time; ``since_at``, its ``CLAIMED_AT``/``LOCKED_AT``
           record, which no time zone misleads) it was taken (abandoned).

        An ``ended`` holder's evidence says how to free what it holds at once, for a
        person: ``ai-protocols abandon`` under its id, in the work tree its session lives
        in (``cd ROOT && ...`` when that is another work tree than this board's caller's);
        ``advise=False`` (the PreToolUse hook's refusal, read by another agent's model)
        says instead to ask a person or wait: an agent must not abandon another's
        session to get past its lock."""
        from ai_protocols.board.model import owner_problem
        from ai_protocols.liveness.clock import age_since
        from ai_protocols.liveness.evidence import Owner, lease_held

        moment = now or datetime.now()
        project = self.project
        age = age_since(since, since_at, moment)
        problem = owner_problem(agent_id)
        if problem is not None:  # a board's value, never AI_AGENT_ID: no agent to judge
            return Liveness("unknown", f"the board cannot say who holds it: {problem}", age)
        # Every work tree sharing this board: the holder's lease, session file or
        # wrap-up record is in the one it ran in, and the answer is the same from each.
        everywhere = [project, *self._other_work_trees()]
        if any(lease_held(p.ai_dir, agent_id) for p in everywhere):
            return Liveness("live", "its spawner holds the lease", age)
        session = None
        for where in everywhere:
            try:
                path = where.path_of(agent_id)
            except InvalidAgentId:
                break
            try:
                session = where.read(path)
            except Exception:  # unreadable, or none: judged by the claim alone
                session = None
            if session is not None:
                project = where
                break
            said = _wrapped_up(where.root, tombstone_path(where.ai_dir, path))
            # (a wrap-up before this claim or lock was taken is of an earlier run)
            if said is not None and _judged_by(said, since_at, age):
                return Liveness("abandoned" if said[0].startswith("its session was abandoned")
                                else "wrapped-up", said[0])
        recorded = Owner.parse(process) if process else None
        # (a paused session waits for its agent: paused, as 'status' says, even while
        # the process that took the claim runs)
        if recorded is not None and recorded.alive() and \
                (session is None or session.status not in ("wrapped-up", "paused")):
            return Liveness("live", f"its owner, process {recorded.pid}, is running", age)
        if session is not None:
            live = project.liveness(session, moment)
            if live.state == "ended":
                # (its own end record, and no process of it runs: the claim's, the
                # session's; Claude Code's /clear ends a session in a process that goes
                # on, which the check above finds running: live)
                # (after a grace for a resume: ended_grace, from its end record's write)
                from ai_protocols.liveness.evidence import ended_grace

                ran = [Owner.parse(text) for text in (process, session.owner) if text]
                ran = [owner for owner in ran if owner is not None]
                grace = ended_grace()
                if ran and live.age is not None and live.age >= grace and \
                        all(owner.alive() is False for owner in ran):
                    pids = " and ".join(sorted({str(owner.pid) for owner in ran}))
                    minutes = int(live.age.total_seconds() // 60)
                    return Liveness(
                        "abandoned", f"its session: {live.evidence}, but no process of it "
                                     f"runs (process {pids} on this host is gone) and it "
                                     f"ended {minutes} min ago (the grace for a resume: "
                                     f"{grace.total_seconds() / 60:g} min): what it held "
                                     "may be taken over", live.age)
                if ran and live.age is not None and \
                        all(owner.alive() is False for owner in ran):
                    # (gone, but within the grace: say when, and how to free it now)
                    pids = " and ".join(sorted({str(owner.pid) for owner in ran}))
                    left = int((grace - live.age).total_seconds() // 60) + 1
                    if advise:
                        from ai_protocols.lean import shell_quote

                        there = "" if project.root == self.project.root else \
                            f"cd {shell_quote(str(project.root))} && "
                        now_ = (f", or now if it will not resume: {there}AI_AGENT_ID="
                                f"{shell_quote(agent_id)} ai-protocols abandon --reason TEXT")
                    else:
                        now_ = ("; its agent may resume it before then: ask a person "
                                "whether it will, or wait")
                    return Liveness(
                        "ended", f"its session: {live.evidence}; no process of it runs "
                                 f"(process {pids} on this host is gone): what it held may "
                                 f"be taken over without --force in {left} min (the grace "
                                 f"for a resume, AI_PROTOCOLS_ENDED_GRACE_MINUTES){now_}",
                        live.age)
                # (a process of it this host cannot judge: another host's, another PID
                # namespace's; none known to run: its end record decides, after the same
                # grace for a resume; but an end by /clear, whose process goes on (its
                # SessionStart hook carries the claims to the new id), only once stale)
                unseen = sorted({f"process {owner.pid} on {owner.host}" for owner in ran
                                 if owner.alive() is None})
                if unseen and live.age is not None and \
                        not any(owner.alive() for owner in ran):
                    cleared = (session.exit or "").endswith("(clear)")
                    limit, name = (stale_after(), "AI_PROTOCOLS_STALE_HOURS, as it ended "
                                                  "by /clear, whose process goes on") \
                        if cleared else (grace, "the grace for a resume")
                    where = " and ".join(unseen)
                    minutes = int(live.age.total_seconds() // 60)
                    if live.age >= limit:
                        return Liveness(
                            "abandoned", f"its session: {live.evidence}; its {where} "
                                         f"cannot be checked from this host, and it ended "
                                         f"{minutes} min ago ({name}: "
                                         f"{limit.total_seconds() / 60:g} min): what it "
                                         "held may be taken over", live.age)
                    left = int((limit - live.age).total_seconds() // 60) + 1
                    now_ = ", or now, by 'ai-protocols abandon' there" if advise else \
                        "; ask a person whether it will resume, or wait"
                    return Liveness(
                        "ended", f"its session: {live.evidence}; its {where} cannot be "
                                 f"checked from this host: what it held may be taken over "
                                 f"without --force in {left} min ({name}){now_}", live.age)
            if live.state != "unknown":
                return Liveness(live.state, f"its session: {live.evidence}")
        judged = assess(project.ai_dir, agent_id=agent_id, status=None, owner=process,
                        exit_=None, exited=None, host=None, updated=since, now=moment,
                        stale_after=stale_after(), age=age)
        if judged.state == "unknown" and (recorded is None or not recorded.visible()):
            # (no process to judge: why, and until when it holds)
            left = stale_after() - age if age is not None else None
            until = f"{left.total_seconds() / 3600:.1f} h from now" if left is not None \
                else "an unknown time from now"
            why = "records no process of its agent (made in a sandbox's PID namespace, or " \
                "by a command its shell left behind)" if recorded is None else \
                f"records process {recorded.pid} of another PID namespace (a sandbox?), " \
                "which nothing here can see"
            return Liveness("unknown", f"the claim or lock {why}, and no lease or session "
                                       "file of its agent says more: it holds until "
                                       f"AI_PROTOCOLS_STALE_HOURS after it was taken ({until}),"
                                       " or until taken with --force once its agent is gone",
                            age)
        return judged

    def _other_work_trees(self) -> list[Project]:
        """This project in each other work tree of its git repository (the main one and
        every linked one, from the files git keeps: gitrepository-layout(5),
        ``worktrees/<id>/gitdir``), for the agent ``self.me``; none outside git."""
        if getattr(self, "_others", None) is None:
            mine = os.path.realpath(self.project.root)
            others = []
            for root in _work_tree_projects(str(self.path)):
                if os.path.realpath(root) != mine and os.path.isdir(root):
                    with contextlib.suppress(Exception):  # (a work tree git lost)
                        others.append(Project(root, self.me))
            self._others: list[Project] = others
        return self._others

    def gone(self, agent_id: str | None, process: str | None, since: datetime | None,
             now: datetime | None = None, since_at: str | None = None) -> tuple[bool, Liveness]:
        """Whether a claim or lock of ``agent_id`` may be taken over (its agent is
        crashed, abandoned or wrapped up), and the state that says so. An owner the
        board does not name, or names as no agent id, is ``unknown``: not gone."""
        state = self.agent_state(agent_id, process, since, now, since_at)
        return state.state in RECOVERABLE, state

    # -- claims and locks git took away --------------------------------------------------------

    def lost(self, doc: OrgFile | None = None) -> list[Lost]:
        """The live claims and locks of the last board this tool wrote (its kept copy,
        :attr:`kept_path`) that the board on disk (``doc``, else read) no longer holds:
        what ``git stash``, ``git checkout -- .ai/tasks.org``, ``git reset --hard`` or a
        branch switch took away (git puts an older board back). A claim counts as lost
        when its task is gone or open and unclaimed on disk; a lock, when no lock of
        that agent on that path is on disk; either only while its agent is not gone
        (crashed, abandoned, wrapped up); not when the claim's record is still on its
        task (a person closed and reopened it in Emacs) or the task is still on the
        board at another level (a person demoted it). An edit that took a claim's or
        lock's lines out is taken for git's. Cheap when nothing happened: the board
        holds the kept copy's bytes (:func:`~ai_protocols.board.model.kept_other`).
        Without ``doc``, judged once per version of the board and of the kept copy for
        this board object (a command's many callers share it): a long-running program
        makes a new :class:`Board` to judge the holders' liveness afresh."""
        if doc is not None:
            found = self._operations_out(self._lost(doc, kept_other(str(self.path),
                                                                    self.kept_path)))
            return found + self._unended(doc, found)
        try:
            read = self._read_once()
        except (UnicodeDecodeError, ValueError, OSError, AiProtocolsError):
            return []  # (a board that cannot be read, a symbolic link...: its command says why)
        kept = self._kept_of(read) if read is not None else \
            kept_other(str(self.path), self.kept_path, None)
        memo = self._lost_memo  # (the same board and kept copy: judged once per command)
        if memo is not None and read is not None and memo[0] == read[0] and memo[1] == kept:
            return list(memo[2])
        found = self._operations_out(self._lost(read[2] if read is not None else None, kept))
        found += self._unended(read[2] if read is not None else None, found)
        if read is not None:
            self._lost_memo = (read[0], kept, found)
        return list(found)

    def _operations_out(self, found: list[Lost]) -> list[Lost]:
        """``found`` (:meth:`_lost`'s) without what a git operation under way took out of
        ``HEAD``'s board or brought back onto it (a merge, rebase, cherry-pick or revert
        stopped, a ``git revert --no-commit`` not committed:
        :func:`~ai_protocols.board.unended.operation_took`): a claim or lock ``HEAD``'s
        board holds and git's index does not is not lost; an end this tool made that the
        index undoes (a claim or lock back) is not undone. The operation's, until it is
        committed and judged. A few ``stat`` calls when none is under way."""
        def record(item: Lost) -> str:
            if item.undone:
                return ((item.now.claimed_at if item.now is not None else None) if
                        item.task is not None else item.lock.locked_at if item.lock
                        is not None else None) or ""
            return ((item.task.claimed_at if item.task is not None else
                     item.lock.locked_at if item.lock is not None else None) or "")

        out = [record(item) for item in found if not item.undone and record(item)]
        back = [record(item) for item in found if item.undone and record(item)]
        if not out and not back:
            return found
        from ai_protocols.board.unended import operation_took

        taken = operation_took(str(self.path), out) if out else set()
        taken |= operation_took(str(self.path), back, brought=True) if back else set()
        return [item for item in found if not record(item) or record(item) not in taken]

    def _unended(self, doc: OrgFile | None, found: list[Lost]) -> list[Lost]:
        """The claims and locks ``HEAD``'s history holds unended that the board ``doc``
        lacks (:func:`~ai_protocols.board.unended.unended`: taken off by hand, in this
        clone or another, with no end of the tool's) and ``found`` (:meth:`_lost`'s)
        does not name, as :class:`Lost` items with their ``source``, while their holder
        is not gone: in every clone, whatever its kept copy, a claim of a task the board
        holds open and unclaimed, a lock no lock of another agent on the board overlaps.
        Cheap when ``HEAD`` did not move since it was last asked (a file read); raises
        nothing."""
        if doc is None:
            return []
        from ai_protocols.board.unended import still_unended, unended

        data = doc.text.encode("utf-8")
        source = unended(str(self.path), data)
        if source is None:
            return []
        had = {x.task.claimed_at for x in found if x.task is not None} | \
            {x.lock.locked_at for x in found if x.lock is not None}
        try:
            tasks, locks = read_board(doc, check=False)
            claims, held = still_unended(source, data, tasks, locks, had)
        except ValueError:
            return []
        by_id = {t.id: t for t in tasks if t.id}
        more = []
        for old in claims:
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone:
                more.append(Lost(old, None, state, False, now=by_id[old.id], source=source))
        for lock in held:
            gone, state = self.gone(lock.owner, lock.owner_process, lock.locked,
                                    since_at=lock.locked_at)
            if not gone:
                more.append(Lost(None, lock, state, True, source=source))
        return more

    def _lost(self, doc: OrgFile | None, kept: bytes | None) -> list[Lost]:
        """:meth:`lost` of the board ``doc`` (``None``: there is none) against the kept
        copy's bytes ``kept`` (``None``: the board holds them, or there is none)."""
        if kept is None:
            return []
        try:
            kept_doc, old_tasks, old_locks = self._kept(kept)
            tasks, locks = read_board(doc, check=False) if doc is not None else ([], [])
        except (UnicodeDecodeError, ValueError):
            return []
        same = {old.id or "": now for old, now in self.same_tasks(doc, kept_doc, old_tasks)}
        # (a task archived in Emacs: the archive holding its id is the person's doing)
        moved = {sunk.id for sunk in all_sunk(None, str(self.path))}
        found: list[Lost] = []
        self.on_branches = []
        live = []
        deleted: list[Task] = []
        for old, missing in lost_claims(old_tasks, doc, tasks, same, moved,
                                        board=str(self.path), deleted=deleted, kept=kept_doc):
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone and not self._persons_removal(doc, old.owner, old.claimed_at):
                live.append((old, missing, state))
        # (a claim another branch's tip holds: a switch off that branch took it; it stays
        # that branch's. git runs only in this case. Not a claim whose owner works in
        # another work tree sharing the board: no switch of this board's branch moved it)
        self.deleted = []
        for old in deleted:  # (a claim's whole task deleted elsewhere: said, not put back)
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone:
                self.deleted.append((old, state))
        branched = [old for old, _, _ in live if self._works_here(old.owner)]
        where = dict(zip([id(old) for old in branched],
                         on_other_branch(str(self.path), branched), strict=True))
        for (old, missing, state), branch in zip(
                live, [where.get(id(old)) for old, _, _ in live], strict=True):
            if branch is not None:
                # (resume's one rule: the switch, or the work tree that has the branch
                # checked out, with the claimant's session file carried along)
                from ai_protocols.session.resume_elsewhere import go_to

                main = self._main_project()
                go = go_to(main, branch, self._session_file_of(main, old.owner))
                self.on_branches.append(
                    f"task {old.id} ({old.title}) is claimed by {old.owner} on branch "
                    f"{quoted(branch, 80)}, committed there; to work on it with the "
                    f"session of {old.owner}: {go}")
                continue
            found.append(Lost(old, None, state, missing,
                              now=same.get(old.id or "") if not missing else None))
        by_id = {t.id: t for t in tasks if t.id}
        undone = undone_ends(kept_doc, old_tasks, doc, tasks, same)
        if undone and doc is not None:
            from ai_protocols.board.stale import head_reverted

            back = head_reverted(str(self.path), self.kept_path,
                                 [same.get(old.id or "") or by_id[old.id] for old in undone])
            # (a git revert of the change put it back: a person's choice, HEAD's)
            undone = [old for old, out in zip(undone, back, strict=True) if not out]
        for old in undone:
            now = same.get(old.id or "") or by_id[old.id]
            state = self.agent_state(now.owner, now.owner_process, now.claimed,
                                     since_at=now.claimed_at)
            found.append(Lost(old, None, state, False, True, now))
        # Locks this tool removed (unlock, a takeover) that the board holds again: no lock.
        ended = ended_locks(str(self.path))
        kept_ids = {lock_record(h) for h in old_locks}
        undone = [h for h in locks if lock_record(h) in ended and lock_record(h) not in kept_ids]
        if undone:
            from ai_protocols.board.stale import head_reverted

            back = head_reverted(str(self.path), self.kept_path, undone)
            # (a git revert of the unlock put it back: a person's choice, HEAD's)
            undone = [h for h, out in zip(undone, back, strict=True) if not out]
        locks = [h for h in locks if h not in undone]
        root = str(self.project.root)  # (a path a person retyped to the same place: held)
        held = {(plain_path(root, h.path), h.owner) for h in locks}
        # (a lock a person moved out of the Locks section in Emacs: moved, not lost; not
        # put back beside it, every command names its line: sunk_claims)
        held |= {(plain_path(root, s.lock.path), s.owner) for s in
                 (sunk_locks(doc) if doc is not None else ()) if s.lock is not None}
        missing_locks = []
        for old_lock in old_locks:
            if not old_lock.owner or (plain_path(root, old_lock.path), old_lock.owner) in held:
                continue
            if any(h.owner != old_lock.owner and overlap(h.path, old_lock.path)
                   for h in locks):
                continue  # another agent's lock is there now (a merge kept the earlier)
            missing_locks.append(old_lock)
        # (an unlock made in another clone, brought by a pull or a merge: the board holds
        # the item that unlock wrote; it stays out. An edit's removal is no end)
        removed = ended_elsewhere(str(self.path), doc, missing_locks)
        # (a lock is no branch's: it keeps its paths in every work tree sharing the
        # board, whichever branch each is on; a switch's loss of one is put back)
        for old_lock, out in zip(missing_locks, removed, strict=True):
            if out or self._persons_removal(doc, old_lock.owner, old_lock.locked_at):
                continue
            gone, state = self.gone(old_lock.owner, old_lock.owner_process, old_lock.locked,
                                    since_at=old_lock.locked_at)
            if not gone:
                found.append(Lost(None, old_lock, state, True))
        for again in undone:
            state = self.agent_state(again.owner, again.owner_process, again.locked,
                                     since_at=again.locked_at)
            found.append(Lost(None, again, state, False, True))
        return found

    def deleted_said(self, task: Task) -> str:
        """What git's history says of the claimed task ``task`` that a commit deleted
        whole (one of :attr:`deleted`): ``its task, ID (TITLE), was removed from the board
        by commit C; 'git show C' shows how`` (:func:`~ai_protocols.board.merge.
        id_in_history`, the words ``task show ID`` gives), or, when the history says no
        more, that a commit of ``HEAD``'s history removed it. Runs git (``git log -S``);
        raises nothing."""
        from ai_protocols.board.merge import id_in_history

        found = None
        try:
            doc = self._read_once()
            if doc is not None and task.id:
                found = id_in_history(doc[2], task.id, str(self.project.root))
        except (AiProtocolsError, OSError, ValueError):
            found = None
        if found is not None and found[2]:
            return found[2]
        return (f"its task, {task.id} ({task.title}), was removed from the board by a commit "
                "of HEAD's history ('git log -p -- .ai/tasks.org' shows which)")

    def _main_project(self) -> Project:
        """This project in the main work tree, where the board is (the first of
        :func:`_work_tree_projects`): ``self.project`` when this command runs there, or
        when that one cannot be read."""
        main = _work_tree_projects(str(self.path))[0]
        if os.path.realpath(main) == os.path.realpath(self.project.root):
            return self.project
        try:
            return Project(main, self.me)
        except Exception:  # (a work tree git lost: as _other_work_trees)
            return self.project

    @staticmethod
    def _session_file_of(project: Project, owner: str | None) -> str | None:
        """The session file of the agent ``owner`` in ``project`` when it is there (a
        claim's owner that :meth:`_works_here` placed in the main work tree), else
        ``None`` (no file to carry: an owner known by its lease, or no agent id)."""
        if not owner:
            return None
        try:
            path = project.path_of(owner)
        except InvalidAgentId:
            return None
        return str(path) if os.path.lexists(path) else None

    def _persons_removal(self, doc: OrgFile | None, owner: str | None,
                         record: str | None) -> bool:
        """Whether a claim or lock of the kept copy that the board ``doc`` lacks was
        removed by a person, for good: it is not what this tool wrote for an agent (no
        ``CLAIMED_AT``/``LOCKED_AT`` record, ``record``, or an ``owner`` that is no agent
        id: :func:`~ai_protocols.board.model.owner_problem`; a person wrote it by hand,
        docs/tasks.md "A holder the tool cannot judge"), and git did not write the board
        as it is (:meth:`_by_git`): a save, not a stash, checkout, reset or switch.
        Such a removal stands: not lost, not put back. One git run, only for such an
        item."""
        from ai_protocols.board.model import owner_problem

        if record and owner_problem(owner) is None:
            return False  # (the tool's, for an agent: put back, however it was removed)
        return doc is not None and not self._by_git()

    def _by_git(self) -> bool:
        """Whether the board on disk holds exactly what git's index holds for it (stage 0,
        ``git cat-file blob :PATH``, gitrevisions(7)): git wrote it as it is (a stash,
        checkout, reset or switch writes the index's version), not a person's save.
        ``False`` when it cannot be read, outside git or for a board git does not track.
        One git run."""
        from ai_protocols.git.history import file_at

        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        return file_at(str(self.path.parent.parent), "", f"{AI_DIR}/{BOARD_FILE}") == data

    def _works_here(self, owner: str | None) -> bool:
        """Whether the agent ``owner`` works in the work tree whose branch the board
        follows (the main work tree, where the board is), for the branch rule of
        :meth:`_lost`: always when no linked work tree shares the board; else only when
        that is known: its session file or its spawner's lease is in the main work tree
        and in no linked one, or this command is its own, run in the main work tree. A
        claim of an agent of another work tree, or of one not known, is held as any
        other (put back): a branch switch in the main work tree moved none of its work
        (docs/decisions.md, "Issue 14, seventeenth round (the board's stale saves,
        again)"). Reads files only; runs only for claims the board lost."""
        from ai_protocols.liveness.evidence import lease_held

        roots = _work_tree_projects(str(self.path))
        if len(roots) < 2:
            return True
        if not owner:
            return False
        main = os.path.realpath(roots[0])
        if self.is_me(owner) and os.path.realpath(self.project.root) == main:
            return True
        places = [self.project, *self._other_work_trees()]
        found = set()
        for place in places:
            try:
                there = place.path_of(owner).exists() or lease_held(place.ai_dir, owner)
            except (InvalidAgentId, OSError):
                return False
            if there:
                found.add(os.path.realpath(place.root))
        return found == {main}

    def held_tasks(self, tasks: list[Task] | None = None,
                   lost: list[Lost] | None = None) -> tuple[list[Task], list[str]]:
        """The open tasks the agent (:attr:`me`) holds: those the board on disk says it
        claimed (``tasks``: the board's, else read), then those whose claim git took off
        the board while the agent is at work (:meth:`lost`, or ``lost`` when the caller
        has it), as the kept copy has them; and the ids of the latter. A lost claim
        holds as a lost lock does (docs/tasks.md, "When git puts an older board back"):
        its working set limits ``check`` and the agent's context. No agent id: none."""
        me = self.me
        if not me:
            return [], []
        if tasks is None:
            tasks = self.read(lenient=True)[0]
        lost = self.lost() if lost is None else lost
        # (a claim git put back after this tool ended it: not held)
        undone = {item.now.line for item in lost if item.undone and item.now is not None}
        held = [t for t in tasks if t.is_open and self.is_me(t.owner) and t.line not in undone]
        ids = {t.id for t in held}
        kept: list[str] = []
        for item in lost:
            task = item.task
            if task is not None and not item.undone and self.is_me(task.owner) and \
                    task.id not in ids:
                held.append(task)
                kept.append(task.id or "")
                ids.add(task.id)
        return held, kept

    def same_tasks(self, doc: OrgFile | None, kept: OrgFile,
                   old_tasks: list[Task] | None = None) -> list[tuple[Task, Task]]:
        """The tasks of the kept copy ``kept`` (read as ``old_tasks``) whose ``ID`` the
        board ``doc`` no longer holds anywhere, each with the task of ``doc`` that is the
        same task: a person deleted or retyped its ``:ID:`` line. Known as the merge
        knows a task without an ``ID`` (:func:`~ai_protocols.board.merge.same_tasks`:
        title and tags, and place among those with them). ``[]`` without ``doc``."""
        from ai_protocols.board.merge import kept_task_pairs

        if doc is None:
            return []
        memo = self._same_memo  # (the same two versions: paired once per command)
        if memo is not None and memo[0] is doc.headlines and memo[1] is kept.headlines:
            return list(memo[2])
        if old_tasks is None:
            old_tasks = read_board(kept, check=False)[0]
        archived = {sunk.id for sunk in all_sunk(None, str(self.path))}
        pairs = kept_task_pairs(doc, kept, old_tasks, archived)
        if any(now.id for _, now in pairs) and self._git_wrote():
            # (the board is the one HEAD's commit holds: git's other id for a task, a
            # branch switch or a checkout, is no person's retyping: docs/tasks.md)
            # (but for the id its log says a person changed it from: git put back an
            # older board, said so by :meth:`_same_again`; and for the claim's evidence,
            # the same OWNER and CLAIMED_AT: a claim is made once, so a person changed
            # its id in a commit git brought, a pull or a merge)
            # (and for the id the task's own log says it had: its note came with it)
            pairs = [(old, now) for old, now in pairs if not now.id or _same_claim(old, now)
                     or _logged(kept, old.line, _retyped_note(now.id, old.id or ""))
                     or _had(doc, now, old.id)]
        self._same_memo = (doc.headlines, kept.headlines, pairs)
        return list(pairs)

    def _git_wrote(self) -> bool:
        """Whether the board on disk holds exactly what ``HEAD``'s commit holds
        (:func:`~ai_protocols.git.state.head_holds`): git wrote it as it is."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        root = self.path.parent.parent
        return head_holds(str(root), f"{AI_DIR}/{BOARD_FILE}", data)

    def _same_again(self, doc: OrgFile, data: bytes | None) -> list[str]:
        """Give each task whose ``:ID:`` line a person deleted its id back (the kept
        copy's), so that it stays the task its claim, its agent and its links name (a
        new one would make the put-back of :meth:`lost` add it a second time); a task
        whose id a person retyped keeps the person's id, with a line in its log naming
        the one it had (:meth:`same_tasks`); a task whose id is the one it had before a
        person's change, in a version older than that change (its log lacks the kept
        copy's note of it: git put back an older board), keeps git's id, gets back the
        log items the kept copy has, and a line saying so. What was put back, one line
        each; what was only noted (a person's retyped id) goes to ``self._noting``.
        ``data``: the board's bytes as read (``None``: there is no board)."""
        kept = kept_other(str(self.path), self.kept_path, data)
        if kept is None:
            return []
        try:
            kept_doc, old_tasks, _ = self._kept(kept)
            pairs = self.same_tasks(doc, kept_doc, old_tasks)
        except (UnicodeDecodeError, ValueError):
            return []
        said = []
        stamp = format_timestamp(minute_of(None))
        held = Counter(t.id for t in read_board(doc, check=False)[0] if t.id)  # (once)
        # Each task's notes, by the headline's place among the headlines (which the id
        # lines set here do not change), put in all at once after (one numbering of the
        # headlines for all: not one per note, quadratic on a big board).
        ordinal = {h.line: number for number, h in enumerate(doc.headlines)}
        notes: list[tuple[int, list[str]]] = []

        def note(task: Task, text: str) -> None:
            notes.append((ordinal[task.line - 1], entry_lines(stamp, _whole(text))))

        for old, now in sorted(pairs, key=lambda p: p[1].line, reverse=True):
            if not now.id:
                doc.set_properties(now.line - 1, [("ID", old.id)])
                said.append(f"task {old.id}: its :ID: line, deleted by hand, with its id")
            elif (fault := id_fault(now.id)) is not None:
                # (retyped to a text no id can be: its own back, the text named as the
                # one display rule shows it, nothing invisible written: docs/tasks.md)
                doc.set_properties(now.line - 1, [("ID", old.id)])
                note(now, f"its id was changed by hand to {id_shown(now.id)}, which cannot be "
                     f"a task's id ({fault.split(';')[0]}): given back ({old.id})")
                self._correcting.append(f"task {old.id}: its id, changed by hand to "
                                        f"{quoted(now.id)}, which cannot be a task's id "
                                        f"({fault}), given back; noted in its log")
            elif held[now.id] > 1:
                # (retyped into another task's id: one id names one task; its own back)
                doc.set_properties(now.line - 1, [("ID", old.id)])
                note(now, f"its id was changed by hand to {now.id}, another task's id: "
                     f"given back ({old.id})")
                self._correcting.append(f"task {old.id}: its id, changed by hand to "
                                        f"{now.id} (another task's id), given back; noted "
                                        "in its log")
            elif _logged(kept_doc, old.line, _retyped_note(now.id, old.id or "")) and \
                    not _logged(doc, now.line, _retyped_note(now.id, old.id or "")):
                # (the kept copy's task says a person changed the id from the one on
                # disk, and the task on disk is older than that note: git's doing; its
                # log as the kept copy has it first, then what happened)
                notes.append((ordinal[now.line - 1],
                              _missing_log(doc, now.line, kept_doc, old.line)))
                note(now, f"its id is {now.id} again: git put back an older board (it had "
                          f"been changed by hand to {old.id})")
                self._noting.append(f"task {now.id}: its id is {now.id} again, as git put "
                                    f"back an older board (a person had changed it to "
                                    f"{old.id}); noted in its log, with the log items the "
                                    "last board ai-protocols wrote had")
            elif _had(doc, now, old.id):
                continue  # (its log says so already: the merge's note, or one git brought)
            else:
                note(now, _retyped_note(old.id or "", now.id))
                self._noting.append(f"task {now.id}: its id was changed by hand from "
                                    f"{old.id}, noted in its log (the same task)")
        headlines = doc.headlines
        doc.insert_all([(doc.content_end(headlines[number]), lines) for number, lines in notes])
        return said[::-1]
