"""Recovery: taking over, adopting or archiving a session whose agent is gone.

Three ways a session outlives its agent, each one edit transaction:

- :func:`take_over`: ``start`` finds the caller's own file left by a previous
  run that is gone, and the caller carries it on;
- :func:`recover` with ``adopt=True``: another agent's session moves, whole,
  into the caller's file;
- :func:`recover` with ``adopt=False``: another agent's session is closed, under
  the state it was in (``ended``, ``crashed``, ``abandoned``; ``forced``), and
  archived.
"""

from __future__ import annotations

import os

from ai_protocols.errors import (
    AiProtocolsError,
    CannotRecover,
    InvalidAgentId,
    InvalidText,
    NoSession,
    SessionRemoved,
    SessionWrappedUp,
)
from ai_protocols.lean import datetime, quoted
from ai_protocols.liveness.clock import Moment
from ai_protocols.liveness.evidence import (
    GONE,
    Liveness,
    Owner,
    current_owner,
    owner_property,
)
from ai_protocols.liveness.host import hostname
from ai_protocols.paths import DEFAULT_CONTEXT, context_path_text, parent
from ai_protocols.session.archive import (
    archive_lock,
    archive_to,
    record,
    refuse_unsafe_archive,
)
from ai_protocols.session.away import forget, refuse_missing
from ai_protocols.session.carries import drop_adopted_leftovers
from ai_protocols.session.edit_base import SessionEdit, refuse_if_edited
from ai_protocols.session.locks import may_take_over, refuse_unwritable_id
from ai_protocols.session.model import Session
from ai_protocols.session.sections import ACTIVE, WRAPPED_UP
from ai_protocols.session.text import preview
from ai_protocols.session.transaction import editing, locked_sessions, refuse_unsafe

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import Project

__all__ = ["may_take_over", "recover", "refuse_unwritable_id", "take_over"]


def take_over(project: Project, owner: Owner | None, state: Liveness,
              now: datetime | Moment | None, *, brief: bool = False) -> Session:
    """The previous owner of the caller's own file is gone: this process carries the
    session on, ``owner`` its owner (``None``: no process stands for it, none recorded).
    Call holding the file's lock. Returns the session as written; with ``brief``, read
    brief (:func:`~ai_protocols.session.reading.read_session`)."""
    with editing(project.ai_dir_text, project.path_text, now=now, held=True) as edit:
        edit.set_properties(("OWNER", owner_property(owner)), ("HOST", hostname()),
                            ("EXIT", None), ("EXITED", None), ("EXIT_BY", None),
                            ("STATUS", ACTIVE))
        edit.note(f"resumed: the previous session did not wrap up "
                  f"({state.state}: {preview(state.evidence)})")
    return edit.session(brief=brief)


def _is_fresh(session: Session) -> bool:
    """Nothing recorded yet but the start: safe to replace by an adopted session."""
    return not any(session.entries.values()) and session.summary is None and all(
        e.text.startswith(("start:", "resumed:")) for e in session.log)


def _not_a_session(project: Project, path: str) -> str:
    """Why ``path`` (resolved) cannot be recovered, and what to give instead: for an
    earlier-entries file (a rollover's, :mod:`ai_protocols.session.rollover`), the
    session file it belongs to, which takes it along."""
    from ai_protocols.session.earlier_links import is_earlier_name

    history = os.path.join(project.ai_dir_text, "history") + os.sep
    if not (path.startswith(history) or is_earlier_name(os.path.basename(path))):
        return "it is not a session-context file of this project"
    owner = ""
    if path.startswith(history):
        stem = parent(path)[len(history):]
        live = os.path.join(project.ai_dir_text, stem + ".org")
        owner = f" ({live}{'' if os.path.exists(live) else ', not there now'})"
    return ("it is an earlier-entries file (older entries a rollover moved out of a "
            "session file), not a session: give the session it belongs to instead, its "
            f"agent id or its session file{owner}; its earlier-entries files go with it")


def target_path(project: Project, target: str, verb: str = "recover") -> str:
    """The session file ``target`` names: an agent id, or the path of a session file
    of this project (:class:`CannotRecover` for any other path;
    :class:`~ai_protocols.errors.InvalidText` for an empty one, which no agent id is:
    not this agent's own file, which ``""`` would name as ``AI_AGENT_ID`` unset does).
    ``verb`` names the command in the errors ("recover", "merge-kept"); for any verb
    but "recover" a path must be a session file (``.ai/session-context.org`` or in
    ``.ai/session-context.d/``), not another Org file of ``.ai/``."""
    if not target.strip():
        raise InvalidText("ID", target, "it is empty; give the other agent's AI_AGENT_ID "
                                        "or its session file's path, as 'ai-protocols "
                                        "status' shows them")
    if target.endswith(".org") or os.sep in target:
        path = os.path.realpath(target)
        if parent(path) not in (project.ai_dir_text, project.context_dir_text):
            raise CannotRecover(path, _not_a_session(project, path), verb)
        if (verb != "recover" and parent(path) == project.ai_dir_text
                and os.path.basename(path) != DEFAULT_CONTEXT):
            raise CannotRecover(path, "it is not a session file (a session file is "
                                      f".ai/{DEFAULT_CONTEXT} or one in .ai/session-context.d/; "
                                      "'ai-protocols status' lists them)", verb)
        return path
    try:
        return context_path_text(project.root_text, target)
    except InvalidAgentId as error:  # (the id given, not AI_AGENT_ID: said so)
        given = "the agent id to recover" if verb == "recover" else f"the id given to {verb}"
        raise InvalidAgentId(target, error.reason, given_as=given) \
            from None


def _adoption_finished(project: Project, path: str) -> str | None:
    """An adoption killed after writing this agent's file but before removing the
    adopted one: finish it."""
    mine = project.read(project.path_text, head=True)  # (their properties tell)
    theirs = project.read(path, head=True)
    if mine is None or theirs is None or mine.adopted_from != str(theirs.agent_id or path):
        return None
    forget(project.ai_dir_text, path)
    drop_adopted_leftovers(project.ai_dir_text, path, project.path_text)
    return project.path_text


def recover(project: Project, target: str, *, adopt: bool, force: bool = False,
            now: datetime | Moment | None = None) -> str:
    """Adopt (``adopt=True``) or archive another agent's ended, crashed or abandoned
    session; return the file it now lives in.

    Adopting moves its whole history into the caller's session file, which must
    not hold entries of its own yet; archiving moves it to ``.ai/sessions/``
    with the state it was in as its status and description (``ended``,
    ``crashed``, ``abandoned``; ``forced`` for one archived with ``force``). A
    session that may still be at work (live, or unknown), or is paused, is refused
    unless ``force``.
    Either is one edit transaction whose move changes nothing when any step fails
    (see :meth:`~ai_protocols.session.edit_base.SessionEdit.move_to`); a session an
    adoption or archiving killed half way already moved is never moved again
    (:class:`SessionWrappedUp` says where it went). A session a wrap-up closed but
    never moved is archived as it was closed. Raises
    :class:`~ai_protocols.errors.InvalidText` (an empty ``target``), :class:`CannotRecover`,
    :class:`~ai_protocols.errors.NoSession`, :class:`SessionWrappedUp`,
    :class:`~ai_protocols.errors.BeingEdited` and what any write may raise.
    """
    if adopt:
        refuse_unwritable_id(project.agent_id)
    path = target_path(project, target)
    if path == project.path_text:
        raise CannotRecover(path, "it is this agent's own session; carry on with it")
    try:
        refuse_missing(project.ai_dir_text, path)
    except SessionWrappedUp as error:
        if not adopt or error.where != f"adopted by {project.path_text}":
            raise
        # This agent's adoption, killed after the session file went: the old names of
        # its earlier files may be left (issue 16, eleventh round).
        with locked_sessions(project.ai_dir_text, path, project.path_text):
            drop_adopted_leftovers(project.ai_dir_text, path, project.path_text)
        return project.path_text
    except NoSession as error:
        if error.path_text != path or isinstance(error, SessionRemoved):
            raise
        raise NoSession(path, f"{quoted(target)} names no session to recover here "
                              "('ai-protocols status' lists the sessions there are)"
                        ) from None
    if not adopt:  # (for an adoption, locked_sessions checks both files, in order)
        refuse_unsafe(project.ai_dir_text, path)
        refuse_unsafe_archive(project.root_text, project.sessions_dir_text)
    mine = (project.path_text,) if adopt else ()
    also = () if adopt else (archive_lock(project.sessions_dir_text),)
    with locked_sessions(project.ai_dir_text, path, *mine, also=also):
        if adopt and (done := _adoption_finished(project, path)):
            return done
        if adopt:  # its file is replaced: a person's unsaved buffer of it would undo that
            refuse_if_edited(project.path_text)
        try:  # judged as the file is, before what waited for Emacs is folded in
            before = project.read(path, head=True)  # (its properties judge it)
        except AiProtocolsError:
            before = None  # editing() says what is wrong with it
        try:
            with editing(project.ai_dir_text, path, now=now, held=True,
                         closed_ok=not adopt) as edit:
                closed = edit.properties.get("STATUS") == WRAPPED_UP
                state = project.liveness(before or edit.session(brief=True), edit.moment)
                if state.state == "paused" and not force and not closed:
                    from ai_protocols.session.names import resumed_by

                    again = resumed_by(edit.properties.get("AGENT_ID") or None,
                                       edit.properties.get("AGENT_SESSION") or None)
                    raise CannotRecover(path, f"it is paused ({state.evidence}); it "
                                              f"resumes with {again}: use --force if you "
                                              "are sure")
                if state.state in ("live", "unknown") and not force and not closed:
                    raise CannotRecover(path, f"it may still be at work ({state.state}: "
                                              f"{state.evidence}); use --force if you are sure")
                said = f"{state.state}: {preview(state.evidence)}"
                if adopt:
                    _adopt(project, edit, path, said)
                else:
                    if not closed:  # else its wrap-up closed it but never moved it
                        named = state.state if state.state in GONE else "forced"
                        edit.set_properties(("STATUS", named), ("ENDED", edit.stamp),
                                            ("DESCRIPTION", named))
                        edit.note(f"recover: archived as {named} ({said})")
                    archived = archive_to(edit, project.root_text, project.sessions_dir_text)
        except SessionWrappedUp as error:
            if adopt and error.where == f"adopted by {project.path_text}":
                # this agent's adoption, killed before it was done
                drop_adopted_leftovers(project.ai_dir_text, path, project.path_text)
                return project.path_text
            raise
        if adopt:
            return project.path_text
        record(project.ai_dir_text, project.sessions_dir_text, archived)
        return archived


def _adopt(project: Project, edit: SessionEdit, path: str, said: str) -> None:
    """Carry the session in ``edit`` on in the caller's file (see :func:`recover`)."""
    mine = project.read(project.path_text)
    if mine is not None and not _is_fresh(mine):
        raise CannotRecover(path, f"{project.path_text} already holds entries of its own; "
                                  "adopt before logging, or use --archive")
    source = edit.properties.get("AGENT_ID") or str(path)
    edit.set_properties(("AGENT_ID", project.agent_id), ("STATUS", ACTIVE),
                        ("HOST", hostname()), ("OWNER", owner_property(current_owner())),
                        ("ADOPTED_FROM", source), ("EXIT", None), ("EXITED", None),
                        ("EXIT_BY", None), ("PAUSED", None), ("PAUSE_NOTE", None),
                        ("PENDING_FOLDED", None))
    edit.note(f"adopted: from {preview(source)} ({said})")
    from ai_protocols.session.names import history_folder  # (its earlier files too)

    edit.move_to(project.path_text, f"adopted by {project.path_text}",
                 earlier_to=history_folder(project.ai_dir_text, project.path_text))
