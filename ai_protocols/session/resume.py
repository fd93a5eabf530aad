"""The resume context: what an agent needs to carry on, in the order it needs it.

:func:`resume_context` gathers it for one agent: first the objective
(``start --objective``), whether it is paused, the step in progress (the one
``log --current`` marked, else the newest open progress item), the key files
and the facts of context (``log --key-file``, ``log --context``); then the
summary, the open next steps and blockers, the decisions with their
rationale, the discoveries, when the session was last updated and how often
its context was compacted, the git state of the work tree, the other agents'
sessions that need recovering, and a warning when the work tree does not hold
what the session last saw. ``ai-protocols resume`` prints it, and the agents'
hooks put it into a model's context, so :meth:`ResumeContext.to_text` and
:meth:`ResumeContext.to_json` each fit it into ``max_bytes``:

- lists are newest first, and entries are whole or left out, never cut;
- when the whole does not fit, the lists are filled in order of priority
  (key files, context, next steps, blockers, decisions, discoveries, other
  agents' sessions),
  each from its newest entry, until an entry does not fit: so the oldest
  entries of the lowest-priority lists go first; a last line (a key, in JSON)
  says how many of each were left out and where to read them;
- the summary and the step in progress are never left out; when even they do
  not fit, they are cut at a line boundary (within their first line only when
  that alone does not fit) and end in :data:`CUT_MARK`;
- names that come from outside the session's entries (the title, branches,
  the commit's subject, file names) are cut to :data:`NAME_BYTES` bytes,
  ending in ``…`` (the objective and the pause's note to :data:`OBJECTIVE_BYTES`),
  so that the lines around the lists have a bounded size and
  :data:`MIN_MAX_BYTES` is always enough.

Here too the checks every read makes (:func:`replaced_warning`...); the value and forms in
:mod:`~ai_protocols.session.resume_form`, a warning's words once one applies in ``resume_stash``
and ``resume_elsewhere``, imported there (docs/decisions.md, "Twenty-eighth round: the
SessionStart hook beside 1,000 files, and resume.py split").
"""

from __future__ import annotations

import os

from ai_protocols.git.head import OPERATION_SAID, branch_text
from ai_protocols.lean import counted, datetime, json_encoder, shell_quote
from ai_protocols.liveness.evidence import NAMED_TO_OTHERS
from ai_protocols.org.syntax import Entry
from ai_protocols.paths import relative_to
from ai_protocols.session.model import Session, newest_first
from ai_protocols.session.names import (
    ADOPTED_AWAY,
    KEPT_LEFT,
    KEPT_OTHER,
    KEPT_SAME,
    kept_path,
    kept_relation,
    may_be_misplaced,
)
from ai_protocols.session.reading import BRIEF_NOTES
from ai_protocols.session.resume_form import (
    CUT_MARK,
    DEFAULT_MAX_BYTES,
    NAME_BYTES,
    ResumeContext,
    _clip,
    _entry_text,
    _is_hash,
    _tasks,
    dumps,
    recover_command,
)
from ai_protocols.session.sections import CLOSED_STATUSES
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import EllipsisType

    from ai_protocols.git.state import GitState, StateReading
    from ai_protocols.session.project import Project

__all__ = ["CUT_MARK", "DEFAULT_MAX_BYTES", "MIN_MAX_BYTES", "NAME_BYTES", "ResumeContext",
           "dumps", "replaced_warning", "resume_context", "rolled_back_warning",
           "stash_here_again", "stashed_unkept_warning", "stashed_write_warning"]


#: The least ``max_bytes`` the bound is guaranteed for (``resume --max-bytes`` refuses
#: less): room for every line around the lists at their longest, the cut summary and
#: step, and the line that says what was left out.
MIN_MAX_BYTES = 2560


def resume_context(project: Project, session: Session | None, *,
                   max_bytes: int = DEFAULT_MAX_BYTES, now: datetime | None = None,
                   git: GitState | StateReading | EllipsisType | None = ...
                   ) -> ResumeContext:
    """The resume context of ``session`` (``None``: the agent has no session file yet)
    in ``project``, as of ``now`` (default: the present), for :meth:`ResumeContext.to_text`
    and :meth:`ResumeContext.to_json` to fit into ``max_bytes``. Reads the work tree's
    git state, unless the caller gives it as ``git`` (what
    :func:`ai_protocols.git.state.read_state` gave, or the reading
    :func:`~ai_protocols.git.state.start_state` started, waited for here), and the
    other agents' session files, while git runs; changes nothing."""
    moment = now or datetime.now()
    if git is ...:
        from ai_protocols.git.state import start_state

        git = start_state(project.root_text)
    given: list[GitState | None] = []

    def state() -> GitState | None:  # (a reading waited for once, where it is needed;
        if not given:  # once even when the wait raised)
            given.append(None)
            given[0] = git() if callable(git) else git  # type: ignore[assignment]
        return given[0]

    try:  # (git runs while the rest is read)
        return _resume_context(project, session, max_bytes, moment, state)
    finally:
        state()  # (after an exception too: no process left behind)


def _resume_context(project: Project, session: Session | None, max_bytes: int,
                    moment: datetime, state: Callable[[], GitState | None]
                    ) -> ResumeContext:
    """:func:`resume_context`, ``state`` giving the git state, asked only where it is
    needed: after the other sessions, the board and the session's lists are read."""
    seen, unread = project.newest_others(moment, head=True,  # (what it shows of them is
                                         most=others_to_read(max_bytes))  # in their heads)
    others = [(s, live) for s, live in seen if live.state in NAMED_TO_OTHERS]
    others.sort(key=lambda pair: (pair[0].updated or pair[0].started or datetime.min,
                                  pair[0].path_text), reverse=True)
    context = ResumeContext(agent_id=project.agent_id, session=session, git=None,
                            others=others, max_bytes=max_bytes)
    context.others_unread = unread
    context.tasks, context.handoffs, context.dropped = _tasks(project, session, context)
    if session is None:
        from ai_protocols.session.replaced import carried_away

        carried = carried_away(project.ai_dir_text, project.path_text) \
            if not os.path.lexists(project.path_text) else None
        context.carried = carried.said if carried is not None else None
        removed = project._removed_sessions()
        context.removed = project.path_text in removed  # (as text)
        if context.removed:  # (a branch switch: git switch back first, issue 14 twelfth)
            from ai_protocols.session.replaced import switched_from

            context.switched = switched_from(project.path_text, removed[project.path_text])
            context.kept = removed[project.path_text]
            context.removed_path = project.path_text
        context.rolled_back = _joined(_adopted(project, None), context.carried)
        context.git = state()
        return context
    if session.unread and notes_to_read(max_bytes) > BRIEF_NOTES:
        # (a bound that may show more than a brief read read)
        session = context.session = _whole(session)
    context.notes_unread = {"decisions": session.unread.get("decision", 0),
                            "discoveries": session.unread.get("discovery", 0)}
    progress = newest_first(e for e in session.progress if not e.done)
    context.in_progress = session.current or (progress[0] if progress else None)
    context.key_files = newest_first(session.items("key-file"))
    context.context = newest_first(session.items("context"))
    context.next_steps = newest_first(e for e in session.next_steps if not e.done)
    context.blockers = newest_first(session.blockers)
    context.decisions = newest_first(session.decisions)
    context.discoveries = newest_first(session.discoveries)
    replacing = replaced_warning(project, session)  # (first: it may say the operation's)
    adopted, unmerged = _adopted(project, session), _unmerged(project, session, replacing)
    git = context.git = state()
    context.rolled_back = _joined(adopted, unmerged, replacing,
                                  _rolled_back_unless(replacing, project, session, git))
    context.rolled_back = _joined(context.rolled_back,
                                  stash_here_again(project, context.rolled_back))
    context.warn_first = replacing is not None  # (issue 14, thirteenth round)
    return context


def notes_to_read(max_bytes: int) -> int:
    """How many of the newest decisions (and of the newest discoveries) the resume
    context of ``max_bytes`` bytes may look at: one more than it can show, each shown
    at no less than an entry with a time and no text costs (its line of text, or its
    JSON). A brief read that read :data:`~ai_protocols.session.reading.BRIEF_NOTES` of
    them serves a bound that needs no more (issue 16, seventeenth round)."""
    shortest = Entry(datetime(2000, 1, 1), "")
    as_json = json_encoder(",", ":")(shortest.to_json())  # (:func:`dumps`, without json.py)
    return max_bytes // min(len(_entry_text(shortest).encode()), len(as_json.encode())) + 1


def _whole(session: Session) -> Session:
    """:func:`~ai_protocols.session.reading.whole` of ``session``; ``session`` itself when
    the file cannot be read again (what was read is shown)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.reading import whole

    try:
        return whole(session)
    except (OSError, AiProtocolsError, storage.NotRegular):
        return session


def others_to_read(max_bytes: int) -> int:
    """How many other agents' session files the resume context of ``max_bytes`` bytes
    reads at most (:meth:`~ai_protocols.session.project.Project.newest_others`): each one
    it shows costs at least the fixed parts of its text (:func:`_other_text`: its line,
    and its ``recover --archive`` command, or for a paused one the longer take-over
    line; its JSON, every key, costs more), so no more than ``max_bytes`` over that can
    show. The rest are counted as left out, unread (issue 16, fifteenth round: a scan
    independent of the number of files)."""
    return max_bytes // len(f"  - : ()\n    or archive it: {recover_command('', 'archive')}\n")


def _joined(*warnings: str | None) -> str | None:
    """The warnings given, one after another (``None``: none)."""
    said = [w for w in warnings if w]
    return ". ".join(said) if said else None


def rolled_back_warning(project: Project, session: Session,
                        git: GitState | EllipsisType | None = ...) -> str | None:
    """The warning ``resume`` ends with, and ``start`` prints, when the work of
    ``session`` is not in this checkout: the session file an older version than the
    one last written (:func:`replaced_warning`), recorded on another branch, at a commit this
    clone does not have, or with a last checkpoint holding uncommitted work that is not
    here (and whether that checkpoint is in this clone); ``None`` when the checkout
    holds what the session recorded. Reads the work tree's git state unless given as
    ``git``; runs git once more at most. Changes nothing.

    Without ``git``, git is not run at all when the files of the work tree say
    ``HEAD`` is the branch and commit recorded and no checkpoint holds uncommitted
    work (:func:`_recorded_head_is_here`): ``start`` of a session under way, the
    common case, then costs no process."""
    replacing = replaced_warning(project, session)
    replaced = _joined(_unmerged(project, session, replacing), replacing)
    if git is ...:
        if _recorded_head_is_here(project, session):
            # (no git run unless a stash exists: start imports not even the module)
            return _joined(replaced, stash_here_again(project, replaced))
        from ai_protocols.git.state import read_state

        git = read_state(project.root_text)
    rolled = _joined(replaced, _rolled_back_unless(replacing, project, session, git))
    return _joined(rolled, stash_here_again(project, rolled))


def stash_here_again(project: Project, said: str | None = None) -> str | None:
    """When the newest stash entry holds untracked files that are here again (``start``
    brought the session file back from its kept copy after ``git stash -u`` took it, and
    ``.ai/``'s own files with it), so that ``git stash pop`` refuses them all: the
    commands that bring the work back (:func:`_stash_advice`), whether or not a
    checkpoint was recorded (issue 14, ninth review: that advice came only with a
    checkpoint's warning). ``None`` without a stash (a ``stat`` or two, no process), when
    no such file is here, or when ``said`` (the warning given already) holds it."""
    from ai_protocols.git.head import has_stash

    if (said and "here again" in said) or not has_stash(project.root_text):
        return None
    from ai_protocols.session.resume_stash import _stash_advice

    advice = _stash_advice(project, " and the session file")
    return advice if advice and "here again" in advice else None


def _adopted(project: Project, session: Session | None) -> str | None:
    """The note for an agent that comes back to find its session adopted by another
    (``recover --adopt``): without a session file, from its tombstone; in the fresh
    session ``start`` began in its place, from that session's first Log line, as long as
    nothing has been logged to it (:data:`~ai_protocols.session.names.ADOPTED_AWAY`).
    ``None`` otherwise."""
    if session is not None and (session.progress or session.next_steps or session.decisions
                                or session.discoveries or session.blockers or
                                session.left_out or len(session.log) > 3):
        return None  # (an item a brief read left out: the sections are not empty)
    if session is None:
        from ai_protocols.session.names import tombstone_path

        if not os.path.lexists(tombstone_path(project.ai_dir_text, project.path_text)):
            return None
    if session is None:
        from ai_protocols.session.away import adopted_away

        said = adopted_away(project.ai_dir_text, project.path_text)
        return None if said is None else f"this agent's session was {said}"
    if session.left_out_log:  # (read brief: the Log's length is that of the whole)
        from ai_protocols.errors import AiProtocolsError
        from ai_protocols.session.reading import whole

        try:
            session = whole(session)
        except (OSError, AiProtocolsError, storage.NotRegular):
            return None
        if len(session.log) > 3:
            return None
    line = next((e.text for e in session.log if e.text.startswith(ADOPTED_AWAY)), None)
    return None if line is None else \
        f"this agent's session before this one was {line[len(ADOPTED_AWAY):]}"


def _unmerged(project: Project, session: Session, said: str | None = None) -> str | None:
    """:func:`~ai_protocols.session.unmerged.unmerged_warning` of the session's file,
    imported only while a merge is under way (:func:`ai_protocols.git.head.merging`);
    or, while another git operation is (a rebase, a bisect...) and the file has unstaged
    changes, :func:`~ai_protocols.session.unmerged.operation_warning`, unless
    ``said`` (the stash's warning) gave that operation's procedure already."""
    from ai_protocols.git.head import merging, operation
    from ai_protocols.paths import parent

    folder = parent(session.path_text)
    if not merging(folder) and operation(folder) is None:
        return None
    from ai_protocols.session.unmerged import operation_warning, unmerged_warning

    return unmerged_warning(project.ai_dir_text, session.path_text) or \
        (None if said and OPERATION_SAID in said else operation_warning(session.path_text))


def replaced_warning(project: Project, session: Session) -> str | None:
    """The warning the read commands (``show``, ``resume``, ``status``, ``start``) give
    when the session file on disk is an older version than the one this tool last wrote,
    its kept copy (:func:`~ai_protocols.session.names.kept_path`): something other than
    this tool put it back (``git stash``, ``git reset --hard``, a checkout). It says
    how many Log entries and which checkpoints the newer version records that this one
    does not, and where they are: the kept copy, the stash (``git stash list``, when
    there is one), the checkpoints' refs, each with the command that gets it back.
    ``None`` when the file is the version last written, or a later one.

    Cheap when nothing happened: the file and its kept copy are one version (a copy
    with the file's time, :func:`ai_protocols.storage.files.same_version`), two
    ``stat`` calls; otherwise (a
    person's save, a checkout) the kept copy is read and the two writes' times compared
    by :func:`ai_protocols.session.edit_base.written_later`, the rule the writes
    apply. Runs git once (``git rev-parse --verify refs/stash``) only when it warns.
    Changes nothing."""
    path = session.path_text
    relation = kept_relation(project.ai_dir_text, path)
    misplaced = misplaced_of(project, path, session.agent_id, session.status,
                             left=relation != KEPT_SAME)
    if misplaced is not None:
        return misplaced
    if relation != KEPT_OTHER:
        return stashed_write_warning(project, session) or \
            stashed_unkept_warning(project, session) or \
            (unkept_stale_warning(project, path) if relation != KEPT_LEFT else None)
    kept = kept_path(project.ai_dir_text, path)
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.edit_base import written_later
    from ai_protocols.session.reading import read_session
    from ai_protocols.session.resume_elsewhere import CARRY_SAID, _switched_warning, carried_warning
    from ai_protocols.session.resume_stash import (
        _checkpoint_whereabouts,
        _head_moved,
        _other_session_warning,
        _stale_warning,
        _stash_advice,
        _stash_pop_refused,
    )

    if os.path.islink(kept):
        return carried_warning(path, kept)
    try:
        kept_data = storage.read_regular(kept)
        newer = read_session(kept, storage.decode(kept, kept_data))
    except (OSError, AiProtocolsError, storage.NotRegular):
        return None
    other = _other_session_warning(project, path, kept)
    if other is not None:
        return other
    if not written_later((newer.updated_at, newer.updated), (session.updated_at, session.updated)):
        # (a save over what git brought, from a buffer opened on the version written
        # last: the next write merges it back or refuses it; else a person's edit)
        return _stale_warning(project, path) if _head_moved(project, session) else None
    stale = _stale_warning(project, path)
    if stale is not None:  # (what the next write does, by the function it runs)
        return stale
    from ai_protocols.session.cause import committed_by

    if committed_by(path, kept_data) is not None:  # (a person's choice, committed: the
        return None  # write goes on too; the version written last stays in git's history)
    from ai_protocols.session.entries_compared import compared_versions
    from ai_protocols.session.model import compared
    from ai_protocols.session.reading import whole

    try:
        session = whole(session)  # (every entry compared: not a brief read's)
    except (OSError, AiProtocolsError, storage.NotRegular):
        return None
    # (what the file lacks, by kind, by the merge's rule of a reword: a reword of the
    # file's is said below as its own, not as an entry it lacks)
    try:
        data = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        data = None
    found = (None if data is None else
             compared_versions(path, data, kept_data, kept, lacks=True)) or \
        compared(newer, session)
    found.reworded = 0
    missing, lacks = found.log, found.said()
    points = [e.text[len("checkpoint: "):].split(" (", 1)[0] for e in missing
              if e.text.startswith("checkpoint: ")]
    if points:  # (the last one named: the text stays within resume's bound)
        last = f"checkpoint {_clip(points[-1], 40)}"
        lacks += f" ({last})" if len(points) == 1 else \
            f" ({counted(len(points), 'checkpoint', 'checkpoints')}, the last {last})"
    from ai_protocols.session.cause import OLDER, head_put_back

    # (the one rule of the write's replaced: line and refusal: a branch switch is named
    # as such, and every other cause as git's files say it)
    what, by = head_put_back(path, newer.git_branch, kept_data)
    carried = False
    if what != OLDER:
        switched = _switched_warning(project, path, kept_data, newer.git_branch or "",
                                     what, by, lacks)
        if switched[1]:  # (the work is committed on that branch: nothing to restore)
            return switched[0]
        parts = [switched[0]]
        carried = CARRY_SAID in switched[0]
    else:
        parts = [f"this session file is an older version than the one ai-protocols last "
                 f"wrote ({by}): it lacks {lacks} of the newer one"]
    # (paths from the project's root: short, and within resume's bound)
    here, copy = (relative_to(p, project.root_text) for p in (path, kept))
    from ai_protocols.session.entries_compared import lacking

    # a write went into the older version: copying either over the other loses some (an
    # entry the newer one's rollover moved to its earlier files is not lacking)
    only_here, loses, said = lacking(project.ai_dir_text, path)
    stashed = _stash_advice(project, " and the session file")
    if stashed and "here again" not in stashed:
        fix = f"ai-protocols merge-kept {shell_quote(here)}" if loses else \
            f"cp {shell_quote(copy)} {shell_quote(here)}"
        stashed = _stash_pop_refused(project, path, fix) or stashed
    if stashed:
        parts.append(f"{stashed}; do that before any write here")
    if points:
        parts.append(_checkpoint_whereabouts(project, newer, points[-1]))
    first = "else, " if stashed else ""  # (git stash pop brings the file back too)
    if carried:  # (the carry moves the kept copy: the two are alternatives)
        first = "or, instead of that carry (not after it), to work here: "
    if loses:
        # (said by kind, as the write's refusal says it: a reword is not an entry added)
        count = "some entries" if only_here < 0 else said or \
            "edits (a tick, a note, a property or a line typed or deleted by hand)"
        count += " the newer one lacks or holds otherwise" if said else " the newer one lacks"
        from ai_protocols.session.transaction import merges_at_write

        if merges_at_write(project.ai_dir_text, path):  # (a version git holds, edited)
            parts.append(f"{first}this file holds {count}: the next write here merges the "
                         f"two on its own (it keeps what each changed, and its Log says "
                         f"so); run it, or ai-protocols merge-kept {shell_quote(here)} "
                         f"(from {_clip(project.root_text, 120)}), before you commit the "
                         f"file")
        else:
            parts.append(f"{first}this file holds {count}: merge the two with "
                         f"ai-protocols merge-kept {shell_quote(here)} "
                         f"(from {_clip(project.root_text, 120)}; it keeps what each "
                         f"changed)")
    else:
        parts.append(f"{first}put back the newer session file ai-protocols keeps with "
                     f"cp {shell_quote(copy)} {shell_quote(here)} "
                     f"(from {_clip(project.root_text, 120)})")
    return "; ".join(parts)


def unkept_stale_warning(project: Project, path: str) -> str | None:
    """:func:`_stale_warning` of this agent's own session file ``path`` in a clone
    where the tool never wrote it (no kept copy: a fresh clone), where a stale save is
    found by git's history (docs/decisions.md, "Issue 14, twenty-first round (a stale
    save in a fresh clone)"); ``None`` for another agent's file (its own agent's next
    write finds it), when there is a kept copy, and when nothing is stale. One ``stat``
    for a file with a kept copy; without, git's files and the file's head are read
    (:func:`~ai_protocols.session.stale_saves.unkept_stale_may_be`), and git runs only
    when ``HEAD`` moved since the clone, not by one's own commits alone."""
    if path != project.path_text or os.path.lexists(kept_path(project.ai_dir_text, path)):
        return None
    from ai_protocols.session.resume_stash import _stale_warning
    from ai_protocols.session.stale_saves import unkept_stale_may_be

    return _stale_warning(project, path) if unkept_stale_may_be(project.ai_dir_text, path) \
        else None


def misplaced_of(project: Project, path: str, agent_id: str | None,
                 status: str | None = None, *, left: bool = False) -> str | None:
    """What a write into the session file at ``path``, whose session headline holds the
    ``AGENT_ID`` ``agent_id`` and the ``STATUS`` ``status``, would be refused with
    because another agent's own session is there
    (:func:`~ai_protocols.session.replaced.misplaced_warning`), or because the file
    is a copy of a session wrapped up (or abandoned) that its archive holds, put back
    by hand or by git (:func:`~ai_protocols.session.wrapped_copy.put_back_warning`:
    ``merge-kept`` brings what it holds into the archive; issue 14, fourteenth round),
    for every read command's warning (``show``, ``resume``, ``status``, ``start``,
    ``list``: one rule, kept copy or none; issue 14, thirteenth round); ``None``
    otherwise. A string compare unless the file holds an ``AGENT_ID`` not this path's
    or a closed session, or ``left`` (then ``.ai/sessions/`` is listed). ``left``: the
    file is not the version this clone's tool wrote last, which it wrote or moved away
    (:func:`~ai_protocols.session.names.kept_relation` not
    :data:`~ai_protocols.session.names.KEPT_SAME`: a kept copy of another version, or
    none and a tombstone): a file there, whatever its ``STATUS``, may be a version from
    before a wrap-up, here or in a clone a pull brought, saved from a stale buffer or
    put back by git, which ``start`` and every write refuse by the same rule
    (:func:`~ai_protocols.session.wrapped_copy.put_back_refusal`); the cheap test that
    keeps the listing off the hot path; docs/decisions.md, "Issue 14, sixteenth round
    (stale saves and put-back copies)", "Twenty-fourth round: a stale save over a
    wrap-up or a pause")."""
    if status in CLOSED_STATUSES or left:  # (a live file holding a closed session: rare)
        from ai_protocols.session.wrapped_copy import put_back_warning

        said = put_back_warning(project.ai_dir_text, path)
        if said is not None:
            return said
    if not may_be_misplaced(project.agent_id, path, agent_id):
        return None
    # (another agent's id in this path's file: its own session copied here? as the
    # writes refuse it)
    from ai_protocols.session.replaced import misplaced_warning

    return misplaced_warning(project.ai_dir_text, path)


def stashed_write_warning(project: Project, session: Session) -> str | None:
    """When a write went into an older version of the session file that ``git stash``
    put back (its Log's last ``replaced:`` line says ``(git stash)``, naming the blob of
    the version ai-protocols wrote before), and the newest stash entry still holds that
    version: that it is only in the stash, and the commands that bring it back with what
    was written since (:func:`ai_protocols.session.replaced.stash_back`). Without it
    the read commands went silent after that write, the kept copy being the file again
    (issue 14, ninth review). ``None`` otherwise: no stash (a ``stat`` or two, no
    process), no such line; else one or two git runs (``git rev-parse``), and ``git
    status`` of the file when it warns."""
    from ai_protocols.git.head import has_stash

    path = session.path_text
    folder = os.path.dirname(path)
    if not has_stash(folder):
        return None
    last = next((e.text for e in reversed(session.log) if e.text.startswith("replaced: ")),
                None)
    if last is None or "(git stash)" not in last:
        return None
    import re

    found = re.search(r"as blob ([0-9a-f]{7,40})\b", last)
    if found is None:
        return None
    from ai_protocols.git.state import _git
    from ai_protocols.session.replaced import stash_back

    name = "./" + os.path.basename(path)
    for ref in ("refs/stash", "refs/stash^3"):  # (its tracked files, then its untracked)
        held = _git(folder, "rev-parse", "-q", "--verify", f"{ref}:{name}")
        if held is not None and held.decode("ascii", "replace").startswith(found.group(1)):
            break
    else:
        return None
    from ai_protocols.git.head import read_head
    from ai_protocols.session.replaced import stash_moved
    from ai_protocols.session.resume_stash import untracked_pop

    changed = _git(folder, "status", "--porcelain", "--", name)
    here = relative_to(path, project.root_text)
    head = read_head(folder)
    moved = stash_moved(folder)  # (a checkout after the stash: say so, go back first)
    untracked = untracked_pop(project, path, found.group(1)) \
        if moved is None and ref == "refs/stash^3" else None
    if untracked is not None:  # (no commit of an untracked file: the pop's own commands)
        return (f"a write went into an older version of this session file that git stash put "
                f"back (the Log's replaced: line), and the version ai-protocols wrote before "
                f"it is still only in the stash (git stash list), blob "
                f"{found.group(1)[:12]}, as an untracked file: {untracked}")
    from ai_protocols.git.head import operation
    from ai_protocols.session.replaced import moved_by

    under_way = operation(folder) if moved is not None else None
    then = "" if moved is None else \
        f", and HEAD then moved off the commit the stash was made on ({moved[2]}) to " \
        f"{moved[3]} ({moved_by(under_way)})"
    back = stash_back(here, bool(changed), moved=moved, operation=under_way,
                      detached=head is not None and head[0] is None and head[1] is not None)
    return (f"a write went into an older version of this session file that git stash put "
            f"back (the Log's replaced: line){then}, and the version ai-protocols wrote "
            f"before it is still only in the stash (git stash list), blob "
            f"{found.group(1)[:12]}: to bring it back with what was written since, from "
            f"{_clip(project.root_text, 120)}: {back}")


def stashed_unkept_warning(project: Project, session: Session) -> str | None:
    """With no kept copy to compare with (``git clean -fdx`` after a plain ``git
    stash``), when the newest stash entry holds a later version of this very session
    (:func:`ai_protocols.session.replaced.stashed_newer`): that the newer one is
    only in the stash, and the command that brings it back, before any write here
    (issue 14, thirteenth round). ``None`` otherwise: a kept copy there, or no stash
    (a ``stat`` or three, no process); else two or three git runs."""
    from ai_protocols.git.head import has_stash

    path = session.path_text
    if os.path.lexists(kept_path(project.ai_dir_text, path)) or \
            not has_stash(os.path.dirname(path)):
        return None
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.replaced import stash_back, stashed_newer

    try:
        doc = OrgFile(storage.decode(path, storage.read_regular(path)))
    except (OSError, storage.NotRegular):
        return None
    stored = stashed_newer(path, doc)
    if stored is None:
        return None
    from ai_protocols.git.state import _git

    changed = _git(os.path.dirname(path), "status", "--porcelain", "--",
                   "./" + os.path.basename(path))
    here = relative_to(path, project.root_text)
    return (f"this session file is an older version than the one the newest stash entry "
            f"holds (git stash took it; the copy ai-protocols keeps is gone: git clean?): "
            f"the newer one is only in the stash (git stash list), blob "
            f"{stored.blob[:12]}; to bring it back, from {_clip(project.root_text, 120)}: "
            f"{stash_back(here, bool(changed))}; do that before any write here")


def _recorded_head_is_here(project: Project, session: Session) -> bool:
    """Whether :func:`_rolled_back` would say nothing whatever the work tree's changes:
    nothing recorded, or the branch (if any) and the commit (if any) recorded are what
    ``HEAD`` names, read from git's files (:func:`ai_protocols.git.head.read_head`),
    no checkpoint holding uncommitted work is recorded, and no ``moved:`` Log line led
    to the place recorded (:func:`_last_move`). ``False`` when in doubt
    (git's files cannot be read so): then git is asked."""
    if not (session.git_branch or session.git_commit or session.checkpoint):
        return True
    if _is_hash(session.checkpoint_commit) and session.checkpoint_files > 0:
        return False  # (whether that work is here needs git status)
    moved = _last_move(session)
    if moved is not None and moved[1] == (session.git_branch, session.git_commit):
        return False  # (is the place it moved from held here?)
    from ai_protocols.git.head import read_head

    head = read_head(project.root_text)
    if head is None:
        return False
    branch, commit = head
    return (not session.git_branch or (branch is not None and
                                       session.git_branch == branch_text(branch))) \
        and (not session.git_commit or (commit is not None and session.git_commit == commit))


#: git's empty tree (SHA-1): what a checkpoint taken before the first commit is
#: compared with.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _covers(here: list[str], work: list[str]) -> bool:
    """Whether one of the work tree's changed paths ``here`` (an untracked folder
    ending in ``/``) is one of the checkpoint's paths ``work``."""
    paths = set(work)
    return any(p in paths or (p.endswith("/") and any(w.startswith(p) for w in work))
               for p in here)


def _recorded_elsewhere(project: Project, session: Session, git: GitState | None,
                        recorded: tuple[str | None, str | None] | None = None, *,
                        alarms_only: bool = False) -> str | None:
    """The warning for work this checkout does not hold (see :func:`rolled_back_warning`),
    the session recorded on branch and commit ``recorded`` (default: its ``GIT_BRANCH``
    and ``GIT_COMMIT``); with ``alarms_only``, ``None`` too when ``HEAD`` descends from
    that commit or holds its changes rebased (nothing is elsewhere then):

    - the session was recorded on another branch than this work tree's;
    - or at a commit this clone does not have;
    - or its last checkpoint holds uncommitted work (``CHECKPOINT_FILES`` > 0) that
      this checkout does not hold: when the checkpoint is here, the changes of it that
      neither the work tree nor ``HEAD`` holds
      (:func:`~ai_protocols.git.history.missing_work`), each named; else, when this
      checkout has none of it: no change in the work tree at any of the
      checkpoint's paths outside ``.ai/`` (when the checkpoint is not in this clone:
      no tracked change outside ``.ai/``; an untracked file alone never counts),
      nothing outside ``.ai/`` committed since the commit the checkpoint was taken
      on (``CHECKPOINT_BASE``), and the checkpoint's files outside ``.ai/`` are not
      ``HEAD``'s, or the checkpoint is not in this clone.

    ``None`` when none of these (or nothing recorded). The git runs it needs (the
    look for the recorded commit and the checkpoint, and the comparisons of trees)
    run at the same time; none when nothing was recorded. The words for each place
    ``HEAD`` can stand are docs/checkpoints.md's table; ``git reset --hard`` is never
    advised (``git merge --ff-only`` brings a branch forward and keeps uncommitted
    changes, or refuses)."""
    session_branch, session_commit = recorded or (session.git_branch, session.git_commit)
    if git is None or not (session_branch or session_commit or session.checkpoint):
        return None
    root = project.root_text
    commit = session_commit
    # HEAD at exactly the commit recorded (detached, or a new branch there) holds the
    # work: another branch name alone says nothing is missing.
    other_branch = bool(session_branch) and session_branch != branch_text(git.branch) and \
        not (commit and commit == git.commit)
    point = session.checkpoint_commit if _is_hash(session.checkpoint_commit) else None
    base = session.checkpoint_base
    ask = [c for c in (commit,) if commit and commit != git.commit and _is_hash(commit)]
    # Uncommitted work recorded: which paths (outside .ai/) it holds, whether any was
    # committed since, and whether it is HEAD's.
    since = compare = paths = None
    maybe_lost = bool(point) and session.checkpoint_files > 0
    start = base if _is_hash(base) else _EMPTY_TREE
    if maybe_lost and (_is_hash(base) or base == "none"):
        from ai_protocols.git.history import start_changes

        paths = start_changes(root, start, point)  # type: ignore[arg-type]
    if maybe_lost and git.commit is not None and _is_hash(base):
        from ai_protocols.git.history import start_work_diff

        if base != git.commit:
            since = start_work_diff(root, base, git.commit)  # type: ignore[arg-type]
        compare = start_work_diff(root, git.commit, point)  # type: ignore[arg-type]
    if point and (ask or other_branch or maybe_lost) and point not in ask:
        ask.append(point)  # (hashes, never options)
    here: set[str] | None = set()
    if ask:  # (as a rule none: HEAD at the commit recorded, no checkpoint)
        from ai_protocols.git.history import present_commits

        here = present_commits(root, *ask)
    committed = since() if since is not None else ([] if base == git.commit else None)
    differs = compare() if compare is not None else None
    changes = paths() if paths is not None else None  # None: the checkpoint is not here
    work = None if changes is None else [c[3] for c in changes]
    lost = None  # which of its changes neither the work tree nor HEAD holds (None: unknown)
    if changes:
        from ai_protocols.git.history import missing_work

        lost = missing_work(root, start, point, changes, git.commit,  # type: ignore[arg-type]
                            git.work_paths)
    missing = bool(commit) and commit != git.commit and (here is None or commit not in here)
    point_here = bool(point) and (point in (here or ()) or differs is not None or
                                  work is not None)
    # Is some of it here? A change at one of its paths (not known: a tracked change).
    touched = _covers(git.work_paths, work) if work is not None else git.work_tracked > 0
    uncommitted = maybe_lost and bool(lost) if lost is not None else \
        maybe_lost and not touched and work != [] and (
            (git.commit is None and base == "none") or
            (committed == [] and (differs is None or bool(differs))))
    # The commit recorded is here and is not HEAD: is HEAD behind it (an ancestor),
    # ahead of it (it descends), or on another line (neither)?
    behind = aside = descends = rebased = kept = False
    if commit and commit != git.commit and not missing and git.commit is not None and \
            _is_hash(commit):
        from ai_protocols.git.history import work_of

        # (the one rule log's moved: line follows too; HEAD's files the checkpoint's:
        # an amend that took its work, it is here)
        where = work_of(root, commit, git.commit, git.branch,
                        held=differs == [] and lost == [])
        behind, descends = where == "behind", where == "descends"
        rebased, aside = where == "carried", where == "aside"
        if (behind or aside) and git.work > 0 and not other_branch:
            from ai_protocols.git.history import uncommitted_here

            kept = uncommitted_here(root, commit, git.commit)  # (a git reset HEAD~1)
    if not (other_branch or missing or uncommitted or behind or aside):
        return None
    if alarms_only and (descends or rebased) and not (missing or uncommitted):
        return None  # (HEAD holds that place's work: nothing is elsewhere)
    from ai_protocols.session.resume_elsewhere import (
        MISSING_CHECK,
        MOVED_ON,
        ROLLED_BACK,
        _branch_holds,
        _branch_not_here,
        _keeping,
        _lost_paths,
        _missing_branch_check,
        _moved_on,
        _pasted,
        _restore_it,
        _rewritten,
        _take_back,
        go_to,
    )
    from ai_protocols.session.resume_stash import _stash_advice

    moved_on = not uncommitted and not behind and not aside and \
        _moved_on(project, base, git.commit, committed)
    parts = []
    recorded = " ".join(
        ([f"on branch {_clip(session_branch)}"] if session_branch else []) +
        ([f"at commit {_clip(session_commit, 64)}"] if session_commit else []))
    c_short = (commit or "")[:12]
    on = f"on branch {_clip(branch_text(git.branch))}" if git.branch else "on a detached HEAD"
    holds = other_branch and (behind or aside) and _branch_holds(
        project, session_branch, commit)  # type: ignore[arg-type]
    # (never git reset --hard: merge --ff-only moves the branch forward, keeping
    # uncommitted changes, and refuses when one is in the way)
    named = _clip(branch_text(git.branch))
    stays = "your uncommitted changes stay; git refuses when one is in the way" \
        if git.work else None
    detached = not session_branch and bool(commit)  # recorded on no branch

    def forward() -> str:  # (a git run: only where it is advised)
        # (the merge checks out that commit as a switch does: the session file carried
        # across when it would be in the way; issue 14, twentieth round)
        go = f"git merge --ff-only {c_short}" if git.branch else \
            f"git switch --detach {c_short}"
        go = _pasted(project, _keeping(project, session.path_text, go, commit), stays)
        return f"bring branch {named} forward to it with {go}" if git.branch else \
            f"go to it with {go}"

    def branch_it() -> str:  # (a git run: only where it is advised)
        return _pasted(project, _keeping(project, session.path_text,
                                         f"git switch -c NAME {c_short}", commit))

    if kept:  # HEAD moved off it, and the work tree holds its every change uncommitted
        parts.append(f"this session was recorded {recorded}, and HEAD ({git.commit[:12]}) "  # type: ignore[index]
                     f"{'is behind it' if behind else 'does not descend from it'}, but "
                     "every change of that commit is in the work tree: its work is "
                     "uncommitted here (a git reset kept it); commit it to carry on")
    elif other_branch and (behind or aside) and not holds:  # that branch is gone or moved
        parts.append(_branch_not_here(project, session.path_text, session_branch,  # type: ignore[arg-type]
                                      commit, f"{recorded}, but this checkout is {on}, "  # type: ignore[arg-type]
                                      f"{'behind' if behind else 'not on'} that commit"))
    elif other_branch and (behind or aside):  # the work is on that branch: go there
        parts.append(f"this session was recorded {recorded}, but this checkout is {on}, "
                     f"{'behind' if behind else 'not on'} that commit: the work is on branch "
                     f"{_clip(session_branch)}: "
                     f"{go_to(project, session_branch, session.path_text)}")  # type: ignore[arg-type]
    elif behind and detached:  # its commits were made on a detached HEAD
        parts.append(f"this session was recorded {recorded}, on a detached HEAD, and HEAD "
                     f"({git.commit[:12]}) is behind it: the commits made since are on no "  # type: ignore[index]
                     f"branch here; that commit is still in this clone: keep it on a branch "
                     f"with {branch_it()}, or {forward()}")
    elif behind:  # same branch (or none recorded): HEAD was moved back
        parts.append(f"this session was recorded {recorded}, but HEAD ({git.commit[:12]}) is "  # type: ignore[index]
                     "behind it: the commits since are no longer on the branch (a git "
                     f"reset?); that commit is still in this clone: {forward()}, or keep both "
                     f"with {branch_it()}")
    elif aside:  # same branch: rewritten (an amend, a rebase) or reset to another line
        why = ("it was made on a detached HEAD, on no branch; or an amend or a rebase "
               "rewrote it" if detached else "an amend or a rebase rewrote it, or the "
               "branch was reset to another line")
        parts.append(f"this session was recorded {recorded}, but HEAD ({git.commit[:12]}) does "  # type: ignore[index]
                     f"not descend from it ({why}); that commit is still in this clone: "
                     f"compare with {_pasted(project, f'git diff HEAD {c_short}')}, and get "
                     f"it back with {branch_it()}")
    elif other_branch and rebased:  # the work is here, rebased, on another branch
        parts.append(f"this session was recorded {recorded}; this checkout is {on}, whose "
                     "HEAD holds that commit's changes (rebased or squashed): they are here, "
                     "carried on")
    elif other_branch and descends:  # the work is here, carried on on another branch
        parts.append(f"this session was recorded {recorded}; this checkout is {on}, which "
                     "descends from that commit: its commits are here, carried on")
    elif git.commit is None and commit and not missing and _is_hash(commit):
        # A branch with no commit yet (git switch --orphan): the work is not elsewhere,
        # it is at that commit here, on its branch when that branch still holds it.
        holder = bool(session_branch) and _branch_holds(project, session_branch, commit)  # type: ignore[arg-type]
        where = (f"on branch {_clip(session_branch)}: "  # type: ignore[arg-type]
                 f"{go_to(project, session_branch, session.path_text)}"  # type: ignore[arg-type]
                 if holder else
                 f"at that commit, still in this clone: get it back with {branch_it()}")
        parts.append(f"this session was recorded {recorded}, but this checkout is {on}, "
                     f"which has no commit yet (a new orphan branch?): the work is {where}")
        if not uncommitted:
            return parts[0]
    elif other_branch or missing:
        said = []
        if other_branch:
            said.append(f"is {on}")
        if missing:
            said.append("does not have that commit")
        parts.append(f"this session was recorded {recorded}, but this checkout "
                     f"{' and '.join(said)}")
        if missing:
            from ai_protocols.git.history import is_shallow

            shallow = is_shallow(root)
            if shallow:  # (history cut by git clone --depth: never "rolled back")
                parts[-1] += (": this clone is shallow (git clone --depth), so that commit "
                              "may be past its history rather than rolled back; fetch "
                              "more of it with git fetch --deepen=N (or git fetch "
                              "--unshallow), then run this again")
                if not uncommitted:
                    return "; ".join(parts)
            else:
                rewritten = _rewritten(project, session, commit)  # type: ignore[arg-type]
                if rewritten is not None and not other_branch and not uncommitted:
                    return None  # (a rebase or reword: the work is here, not rolled back)
                if other_branch and not moved_on:  # (the branch: push it, fetch it here)
                    check = _missing_branch_check(project, session_branch,  # type: ignore[arg-type]
                                                  session.path_text)
                    parts[-1] += f" ({check})"
                elif rewritten is None and not moved_on:  # (moved on: said why, below)
                    parts[-1] += f" ({MISSING_CHECK})"
    short = (point or "")[:12]
    partly = bool(lost) and (touched or len(lost) < len(work or ()))  # (some of it here)
    if uncommitted and partly:
        parts.append(f"its last checkpoint ({short}) holds "
                     f"{counted(len(lost), 'file', 'files')} of uncommitted work that "  # type: ignore[arg-type]
                     f"neither this work tree nor HEAD has: "
                     f"{_lost_paths(project, lost)}")  # type: ignore[arg-type]
    elif uncommitted:
        count = len(work) if work is not None else session.checkpoint_files
        what = f"{counted(count, 'file', 'files')} of uncommitted work"
        parts.append(f"its last checkpoint ({short}) holds {what} that this checkout, "
                     + ("with no uncommitted change outside .ai/, does not have"
                        if not git.work else
                        "with untracked files only, does not have" if work is None else
                        "whose changes touch none of it, does not have"))
    if (behind or aside or (other_branch and (descends or rebased) and not missing)) and \
            not uncommitted:
        if (behind or aside) and point_here and session.checkpoint_files > 0 and \
                lost != []:  # (its work all here: nothing to restore)
            # (docs/checkpoints.md: with a checkpoint recorded, the warning ends with
            # the command that restores it)
            parts.append(f"its last checkpoint ({short}) holds uncommitted work: "
                         f"{_restore_it(project, 'it', short, point, force=False)}")  # type: ignore[arg-type]
        return "; ".join(parts)  # (said where the work is, and how)
    if moved_on:  # the checkpoint is older than what HEAD holds: never go back to it
        return (f"{'; '.join(parts)}; HEAD ({git.commit[:12]}) holds work committed since its "  # type: ignore[index]
                f"last checkpoint ({short}) was taken: {MOVED_ON}")
    warning = f"{'; '.join(parts)}: {ROLLED_BACK}"
    stashed = _stash_advice(project) if uncommitted else None
    if stashed:
        warning += f"; {stashed}"
    if point:
        it = "it" if uncommitted else f"the last checkpoint ({short})"
        if point_here:  # (its commit is here: the restore by hash takes it, ref or not)
            warning += f"; {_restore_it(project, it, short, point, force=not partly)}"
            if partly:
                warning += _take_back(project, lost, short, git.work_paths)  # type: ignore[arg-type]
        else:  # (the one rule: never fetched here, or collected by git gc)
            from ai_protocols.errors import AiProtocolsError
            from ai_protocols.git.checkpoint import Checkpoints

            try:
                where = Checkpoints(root, project.agent_id).whereabouts(
                    session.checkpoint if (session.checkpoint or "").startswith("refs/")
                    else None, point)
            except AiProtocolsError:
                where = None
            if where is not None:
                warning += f"; {where.say(it)}"
    return warning


def _rolled_back_unless(said: str | None, project: Project, session: Session,
                        git: GitState | None) -> str | None:
    """:func:`_rolled_back`, unless ``said`` (the stash's warning) gave the procedure of
    the git operation under way (a bisect, a rebase: it moved ``HEAD``, and ending it
    goes back): one procedure, not a ``git switch`` in the middle of it (issue 14,
    twelfth round)."""
    if said and OPERATION_SAID in said:
        return None
    return _rolled_back(project, session, git)


def _rolled_back(project: Project, session: Session, git: GitState | None) -> str | None:
    """:func:`_recorded_elsewhere` of the branch and commit the session recorded; when
    that says nothing and the Log's last ``moved:`` line (a write after ``HEAD`` moved,
    :func:`ai_protocols.session.pause.record_head`) moved the session to the place it
    records now, :func:`_recorded_elsewhere` of the place it moved from: the work
    recorded there is still elsewhere while this checkout does not hold it."""
    said = _recorded_elsewhere(project, session, git)
    if said is not None or git is None:
        return said
    moved = _last_move(session)
    if moved is None or moved[1] != (session.git_branch, session.git_commit):
        return None
    before = _recorded_elsewhere(project, session, git, moved[0], alarms_only=True)
    return None if before is None else \
        f"a write after HEAD moved recorded it (the Log: {moved[2]}); {before}"


def _last_move(session: Session) -> tuple[tuple[str | None, str | None],
                                          tuple[str | None, str | None], str] | None:
    """The places the Log's last ``moved:`` line names (from, to: each a branch, or
    ``None`` for a detached HEAD, and a commit, or ``None`` before the first), and its
    text; ``None`` when there is none, or it is not in the form the tool writes."""
    line = next((e.text for e in reversed(session.log) if e.text.startswith("moved: from ")),
                None)
    if line is None:
        return None
    places = line[len("moved: from "):].split(" to ")
    if len(places) != 2:
        return None
    found = [_place(p) for p in places]
    if found[0] is None or found[1] is None:
        return None
    return found[0], found[1], line


def _place(text: str) -> tuple[str | None, str | None] | None:
    """A place as a ``moved:`` line writes it: ``branch B at C``, ``a detached HEAD at
    C``, either ``before its first commit``."""
    if text.startswith("branch "):
        name, _, rest = text[len("branch "):].partition(" ")
    elif text.startswith("a detached HEAD "):
        name, rest = None, text[len("a detached HEAD "):]
    else:
        return None
    if rest == "before its first commit":
        return name, None
    if rest.startswith("at ") and _is_hash(rest[3:]):
        return name, rest[3:]
    return None
