"""The bodies of ``init``, ``start``, ``wrap-up``, ``status``, ``list``, ``checkpoint list``
and ``checkpoint show``, without click.

Both the console script's fast path (:mod:`ai_protocols.cli.main`) and the click
commands (:mod:`ai_protocols.cli.app`, which owns help and usage errors) call
these, with the options read from the one table, :data:`ai_protocols.cli.options.OPTIONS`.
Errors are raised, as the library raises them; the caller reports them.
"""

from __future__ import annotations

import os
import sys

from ai_protocols.cli.options import text_of
from ai_protocols.cli.output import (
    display,
    note_head,
    print_json,
    print_path,
    refuse_outside_a_project,
    render_session,
)
from ai_protocols.lean import counted, datetime, shell_quote
from ai_protocols.session.names import KEPT_LEFT, KEPT_OTHER, KEPT_SAME, kept_path, kept_relation
from ai_protocols.session.project import Project
from ai_protocols.session.sections import CLOSED_STATUSES

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ai_protocols.cli.options import Given
    from ai_protocols.git.checkpoint import Checkpoint, Checkpoints, Recorded

    #: How a body says a line: ``click.echo``'s signature (the text; ``err``: on
    #: standard error).
    Echo = Callable[..., object]
    from ai_protocols.session.model import Session

__all__ = ["checkpoint_list", "checkpoint_show", "checkpoints", "init", "list_sessions",
           "print_open_tasks", "quote", "replaced_of", "session_checkpoints", "start",
           "status", "target", "warn_replaced", "wrap_up"]


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    print(text, end="\n" if nl else "", file=sys.stderr if err else sys.stdout)


def no_hooks_warning(root: str) -> str | None:
    """In a linked git work tree (``root``, the project there), the warning that an agent
    started here would run none of the hooks the main work tree has in a project file
    (:func:`~ai_protocols.integrations.install.unreached_warning`); ``None`` elsewhere, or
    when nothing is missing. Said by ``lock``, ``task claim`` and ``start``. A few
    ``stat`` calls when the main work tree has no settings file of an agent; those files
    read otherwise."""
    from ai_protocols.paths import board_path

    board = board_path(root)
    main = os.path.dirname(os.path.dirname(board))
    if os.path.realpath(main) == os.path.realpath(root) or not any(
            os.path.exists(os.path.join(main, *name)) for name in (
                (".claude", "settings.json"), (".claude", "settings.local.json"),
                (".codex", "hooks.json"))):
        return None
    from pathlib import Path

    from ai_protocols.integrations.install import unreached_warning

    return unreached_warning(Path(root), Path(main))


def quote(text: str) -> str:
    """``text`` quoted for the shell, when it must be (:func:`ai_protocols.lean.shell_quote`,
    the one rule)."""
    return shell_quote(text)


def target(agent_id: str | None, path: object) -> str:
    """How a command line names another agent's session, quoted for the shell: its id, or
    its file when the id holds characters a terminal would not show as they are (and
    the file escaped by :func:`display` when its path holds such characters too)."""
    for name in (agent_id, str(path)):
        if name and display(name) == name:
            return quote(name)
    return display(str(path))


def init(agents_md: bool) -> Iterator[str]:
    """``init``: install ``.ai/`` into the project (:func:`ai_protocols.scaffold.init_project`,
    the merge driver in git's configuration with it) and, with ``agents_md``, the block
    for agents in ``AGENTS.md`` and ``CLAUDE.md``
    (:mod:`ai_protocols.integrations.agents_md`, planned first: broken markers refuse
    before anything is written). Yields the lines to print, one per action, as each
    step is done; raises what those raise."""
    from ai_protocols.git.driver import driver_command
    from ai_protocols.scaffold import init_project

    root = Project.discover().root
    plans = None
    if agents_md:  # planned first: broken markers refuse before anything is written
        from ai_protocols.integrations.agents_md import plan_agents_md, write_agents_md

        plans = plan_agents_md(root)
    for action in init_project(root, merge_driver=driver_command()):
        yield f"{action.action}: {display(str(action.path))}"
    if plans is not None:
        for step in write_agents_md(plans):
            yield f"{step.action}: {display(str(step.path))}" + \
                (f" ({step.note})" if step.note else "")


def _bounded_session(project: Project, session: Session) -> str:
    """What ``start`` prints of the session it carries on: the session as ``show``
    prints it when that fits into ``resume``'s bound
    (:data:`~ai_protocols.session.resume_form.DEFAULT_MAX_BYTES` bytes of UTF-8), else
    the resume context fitted to it, which says what it left out and that
    ``ai-protocols show`` gives the whole: an agent runs ``start`` by routine, and
    its output goes into the agent's context (docs/decisions.md, "Issue 16, sixth
    review (rollover output and what moves)")."""
    from ai_protocols.session.resume import DEFAULT_MAX_BYTES, resume_context

    # Read brief (Project.start): each closed item left out is shown on a line of at
    # least 9 characters ("  [X] ?  " and its text) and a newline, and so is each
    # decision and discovery counted unread (each with a time), so that past
    # DEFAULT_MAX_BYTES // 10 of them the whole cannot fit, and is not made.
    if session.left_out + sum(session.unread.values()) <= DEFAULT_MAX_BYTES // 10:
        from ai_protocols.session.reading import whole as read_whole

        whole = render_session(read_whole(session))
        if len(whole) <= DEFAULT_MAX_BYTES // 4 or \
                len(whole.encode("utf-8")) <= DEFAULT_MAX_BYTES:
            return whole

    note = "(the whole session: ai-protocols show)"
    fitted = resume_context(project, session, max_bytes=DEFAULT_MAX_BYTES - len(note) - 1)
    return f"{fitted.to_text()}{note}"


def start(title_given: Given | None, task: str | None = None,
          objective_given: Given | None = None) -> None:
    """``start [--title TEXT] [--task ID] [--objective TEXT]``: ``title_given`` and
    ``objective_given`` are the ``--title`` and ``--objective`` given, if any (their
    texts read by :func:`~ai_protocols.cli.options.text_of`); ``task`` the id of the
    board's task to link the session to (docs/tasks.md), refused before anything
    starts when it names no task."""
    title = text_of(title_given) if title_given is not None else None
    objective = text_of(objective_given) if objective_given is not None else None
    project = Project.discover()
    if task is not None:  # a task that is not there: refused before anything starts
        from ai_protocols.board.board import Board

        Board(project).linkable(task)  # (a done task too: refused, exit 24)
    report = project.start(title, objective=objective, brief=True)  # ("" refused, as "   ")
    _warn_unmerged_others(project)
    unhooked = no_hooks_warning(project.root_text)
    if unhooked:
        _echo(unhooked, err=True)
    if report.set_up:
        _echo(f"{display(project.root_text)} had no complete .ai/ yet: set it up as "
                   "'ai-protocols init' does (commit .ai/ to keep the sessions in the repository):")
        for action in report.set_up:
            if action.action != "unchanged":
                _echo(f"  {action.action}: {display(action.path_text)}")
    if report.driver_configured:
        from ai_protocols.git.driver import driver_configured_note

        _echo(driver_configured_note(report.driver_configured), err=True)
    if title and report.titled:
        _echo(f"Titled the session: {display(title)}")
    elif title and not report.fresh:
        _echo("Note: --title was not used: the session already has its title.", err=True)
    replaced = report.objective_replaced is not None and report.resumed_pause is not None
    if replaced or (title and report.resumed_pause is not None and not report.titled):
        named = f" '{display(report.session.title)}'" if report.session.title else ""
        unused = "; --objective replaced its objective (the old one is kept in its Log)" \
            if replaced else ""
        _echo(f"Note: this start resumed the paused session{named}{unused}. To begin other "
              "work while it stays paused, start it under another agent id "
              "(export AI_AGENT_ID=$(ai-protocols agent-id --runtime urgent), then ai-protocols "
              "start --title ...); or wrap up or abandon "
              "the paused one first.", err=True)
    if report.reused_id_warning:
        _echo(f"Warning: {report.reused_id_warning}", err=True)
    if report.restored_from_text:
        from ai_protocols.errors import REMOVED_HOW

        _echo(f"Brought back {report.path_text}: it was {REMOVED_HOW}; its last version, "
              f"with every entry logged to it, was kept in {report.restored_from_text}.")
        from ai_protocols.session.replaced import switched_from

        switched = switched_from(report.path_text, report.restored_from_text)
        if switched is not None:  # (a branch switch took it: git switch back refuses now)
            here = shell_quote(report.path_text)
            _echo(f"Warning: it is committed on branch {display(switched[0])}, which git "
                  f"switch {shell_quote(switched[0])} refuses to check out while this copy, "
                  f"not tracked on {switched[1]}, is here ('untracked working tree files "
                  f"would be overwritten'): to go back there, mv -- {here} "
                  f"{shell_quote(report.path_text + '.aside')} && git -C "
                  f"{shell_quote(switched[2])} switch {shell_quote(switched[0])} (then "
                  f"'ai-protocols resume' says whether its last version holds entries the "
                  f"committed one lacks, and how to merge them); or commit it on this "
                  f"branch.", err=True)
    if report.copy_of_archive_text:  # (a copy of an archived session put back: dropped)
        _echo(f"The session file was a copy of the wrapped-up session archived in "
              f"{display(report.copy_of_archive_text)}, which holds every entry of it: "
              "replaced by the fresh session, nothing archived again")
    if report.finished_archive_text:
        _echo("Finished an interrupted wrap-up: archived "
                   f"{display(report.finished_archive_text)}")
    state = report.state
    where = display(report.path_text)
    if report.fresh and report.adopted:  # (its own, paused or gone, another agent took)
        _echo(f"This agent's session was {display(report.adopted)} (ai-protocols recover "
              f"--adopt).\nStarted a fresh session: {where}")
    elif report.fresh:
        _echo(f"Started a fresh session: {where}")
    elif report.resumed_pause is not None:
        _echo(f"This session was paused ({display(report.resumed_pause)}): resumed it, "
              f"{where}.\n")
        _echo(_bounded_session(project, report.session))
    elif state is not None and state.state == "mine":
        _echo(f"This session already started: {where}\n")
        _echo(_bounded_session(project, report.session))
    elif state is not None and not report.took_over:
        _echo(
            f"Warning: {where} may be in use by another agent ({state.state}: "
            f"{display(state.evidence)}): two agents would write one file. Give each run its own "
            "AI_AGENT_ID, or recover the file once you are sure its agent is gone.",
            err=True,
        )
        _echo(_bounded_session(project, report.session))
    else:
        evidence = f" ({state.state}: {display(state.evidence)})" if state else ""
        _echo(
            f"The previous session did not wrap up{evidence}: its session context is "
            f"still at {where}.\nCarry on from it; log as you go and wrap it up "
            "when done.\n"
        )
        _echo(_bounded_session(project, report.session))
    if report.fresh and report.stashed_away:  # (git stash -a took the last one: 11th round)
        _echo(f"Warning: the newest stash entry holds this agent's last session file and "
              f"the copy ai-protocols keeps of it (git stash -a takes .ai/.locks/ too); "
              f"this fresh session is in its place, so git stash pop refuses to put it "
              f"back: 'ai-protocols resume' gives the commands that do (from "
              f"{display(report.stashed_away)})", err=True)
    if not report.fresh:  # the work it recorded may be elsewhere (issue 14)
        from ai_protocols.session.resume import rolled_back_warning

        warning = rolled_back_warning(project, report.session)
        if warning:
            _echo(f"\nWarning: {warning}.", err=True)
    recover = [(s, live) for s, live in report.others if live.state != "paused"]
    if recover:
        from ai_protocols.session.resume_form import recover_command

        _echo("\nOther agents' sessions that need recovering:")
        for session, live in recover:
            name = target(session.agent_id, session.path_text)
            _echo(f"  {name}: {live.state} ({display(live.evidence)})")
            if session.summary:
                _echo(f"    summary: {display(session.summary)}")
            if live.state != "wrapped-up":
                _echo(f"    take it over: {recover_command(name, 'adopt')}")
            _echo(f"    archive it: {recover_command(name, 'archive')}")
    if report.others_unread:  # (many: only the newest were read, issue 16 fifteenth round)
        _echo(f"\nOther agents' session files not read here (older): "
              f"{report.others_unread}; all of them: ai-protocols status")
    paused = [(s, live) for s, live in report.others if live.state == "paused"]
    if paused:
        from ai_protocols.session.names import resumed_by
        from ai_protocols.session.resume_form import PAUSED_OTHERS, recover_command

        _echo(PAUSED_OTHERS.rstrip("\n"))
        for session, live in paused:
            name = target(session.agent_id, session.path_text)
            _echo(f"  {name}: {display(session.title or '(untitled)')} "
                  f"({display(live.evidence)})")
            if session.objective:
                _echo(f"    objective: {display(session.objective)}")
            _echo(f"    it resumes with "
                  f"{resumed_by(session.agent_id, session.agent_session)}")
            _echo("    or take it over, if its agent will not come back: "
                  f"{recover_command(name, 'adopt', force=True)}")
    if task is not None:
        from ai_protocols.board.board import Board

        board = Board(project)
        linked = board.link_session(task)
        _echo(f"Linked the session to task {linked.id}: {linked.title}")
        if linked.is_open and linked.owner and not board.is_me(linked.owner):
            gone, state = board.gone(linked.owner, linked.owner_process, linked.claimed,
                                     since_at=linked.claimed_at)
            if not gone:  # (linking takes no claim: say whose it is)
                from ai_protocols.board.board_file import holder_name

                who = holder_name(linked.owner)
                _echo(f"Warning: task {linked.id} is claimed by {who} ({state.state}: "
                      f"{display(state.evidence)}): linking takes no claim, and the task "
                      f"is {who}'s to do; pick another task, or ask {who}", err=True)



def wrap_up(description: str) -> None:
    """``wrap-up DESCRIPTION``: then, on stderr, the board's tasks the session held or
    was linked to that are still open (:func:`print_open_tasks`)."""
    project = Project.discover()
    board = _has_board(project)
    linked = _linked_task(project) if board else None  # (a read less without)
    if board and linked is None:  # (nothing linked, nothing of this agent's on the board:
        # nothing to say, and the board's reader not imported; issue 16, sixteenth round)
        from ai_protocols.board.held import names_agent
        from ai_protocols.paths import board_path

        board = names_agent(board_path(project.root_text), project.agent_id)
    archive = project._wrap_up(description)  # (its text: no pathlib for the CLI)
    _echo("Wrapped up the session and archived it; the next 'ai-protocols start' "
               "begins a fresh one. The archive:", err=True)
    if board:
        print_open_tasks(project, linked)
    print_path(archive)


def _has_board(project: Project) -> bool:
    """Whether the project has a task board, ``.ai/tasks.org``."""
    import os

    from ai_protocols.paths import BOARD_FILE

    return os.path.exists(os.path.join(project.ai_dir_text, BOARD_FILE))


def _linked_task(project: Project) -> tuple[str, datetime | None] | None:
    """The task the session is linked to (``start``/``log --task``), if any, with when
    (:func:`~ai_protocols.board.model.linked_since`)."""
    from ai_protocols.errors import AiProtocolsError

    try:
        session = project.show(brief=True)  # (its Log's task lines)
    except AiProtocolsError:
        return None
    if not session.task:
        return None
    from ai_protocols.board.claim_history import linked_since

    return session.task, linked_since(session.log, session.task)


def print_open_tasks(project: Project, linked: tuple[str, datetime | None] | None) -> None:
    """After a wrap-up: the open tasks this session held or was linked to, each with
    the command that marks it done, and the locks its agent still holds, each with its
    ``unlock`` (on stderr; nothing is changed: the claim and locks stay, but a wrapped-up
    holder's are any agent's to take over without ``--force``, which is said). Nothing
    without a board; with one that cannot be read, what its kept copy holds, after a
    warning that says why (:func:`~ai_protocols.board.model.read_readable`)."""
    if not _has_board(project):
        return
    from ai_protocols.board.board import Board
    from ai_protocols.errors import AiProtocolsError

    board = Board(project)
    try:
        tasks = board.session_tasks(*(linked or (None,)))
        locks = [lock for lock in board.locks() if board.is_me(lock.owner)]
    except AiProtocolsError:  # (a board that cannot be read: what its kept copy holds,
        # and why, as check and resume say it)
        from ai_protocols.board.board_read import read_readable

        _, found, held, why = read_readable(str(board.path))
        if why:
            _echo(f"Warning: {why}.", err=True)
        tasks = [t for t in found if t.is_open and (
            board.is_me(t.owner) or (linked and t.id == linked[0]))]
        locks = [lock for lock in held if board.is_me(lock.owner)]
    from ai_protocols.liveness.evidence import RECOVERABLE

    left = ("now that this session is wrapped up, any agent may take it over without "
            "--force")

    for item in tasks:
        whose = "still claimed by you" if board.is_me(item.owner) else \
            f"held by {item.owner}" if item.owner else "free"
        if item.owner and not board.is_me(item.owner):  # another agent's claim: theirs to end
            state = board.agent_state(item.owner, item.owner_process, item.claimed,
                                      since_at=item.claimed_at)
            if state.state not in RECOVERABLE:
                _echo(f"Task {item.id} ({item.state}, {whose}, {state.state}) is still "
                      f"open: {item.title}\n  it is {item.owner}'s to close or release "
                      "(task done and task release are refused while its holder is at "
                      "work)", err=True)
                continue
            from ai_protocols.board.board import state_words

            gone = state_words(state.state)  # ("wrapped up", as the board says it)
            _echo(f"Task {item.id} ({item.state}, {whose}, {gone}) is still open: "
                  f"{item.title}\n  if this session finished it: ai-protocols task claim "
                  f"{item.id} (a takeover: its holder is {gone}), then ai-protocols "
                  f"task done {item.id} --checkpoint", err=True)
            continue
        # (a task nobody holds has no claim to release: only what applies is said)
        if_not = f"ai-protocols task release {item.id} (or task handoff {item.id} --to " \
            "ROLE --note TEXT)" if item.owner else \
            f"it stays free for another agent, nothing to release (to hand it on: " \
            f"ai-protocols task handoff {item.id} --to ROLE --note TEXT)"
        _echo(f"Task {item.id} ({item.state}, {whose}) is still open: {item.title}\n"
              + (f"  the claim stays; {left}\n" if item.owner else "")
              + f"  if this session finished it: ai-protocols task done {item.id} "
              f"--checkpoint\n  if not: {if_not}", err=True)
    for lock in locks:
        _echo(f"Lock on {display(lock.path)} ({display(lock.reason or 'no reason given')}) "
              f"is still held by you; {left}\n  if you are done with it: ai-protocols "
              f"unlock {quote(lock.path)}", err=True)



def list_sessions(agent: str | None, runtime: str | None, since: str | None,
                  json: bool) -> None:
    """``list [--agent ID] [--runtime R] [--since WHEN] [--json]``."""
    moment = None
    for name, value in (("--agent", agent), ("--runtime", runtime)):
        if value is not None and not value.strip():  # (no id is empty or spaces: it
            # would match none, silently; docs/tasks.md's rule for ids)
            from ai_protocols.errors import InvalidText

            raise InvalidText(name, value, f"give a value, or leave {name} out to list all")
    if since is not None:
        from ai_protocols.cli.since import parse_since

        moment = parse_since(since)
    project = Project.discover()
    if not os.path.lexists(project.ai_dir_text):  # (no .ai/: nothing to list; a stat)
        refuse_outside_a_project()
    if json:  # (in pieces of bytes: 100,000 rows are tens of megabytes)
        pieces = project.list_json(agent=agent, runtime=runtime, since=moment)
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stdout, such as a StringIO
            _echo(b"".join(pieces).decode("utf-8", "surrogateescape"), nl=False)
            return
        sys.stdout.flush()
        binary.writelines(pieces)
        binary.flush()
        return
    rows = project.list_sessions(agent=agent, runtime=runtime, since=moment)
    for row in rows:
        when = row.latest.strftime("%Y-%m-%d %H:%M") if row.latest != datetime.min else "?"
        label = display(row.description or row.title or "")
        state = row.state if row.kind == "open" else row.status  # as status says / as closed
        _echo(f"{when:16}  {row.kind:8}  {display(state or '?'):10}  "
                   f"{display(row.agent_id or '-')}  {label}\n    {display(row.path_text)}")
        left = row.kind == "open" and \
            kept_relation(project.ai_dir_text, row.path_text) != KEPT_SAME
        if row.kind == "open" and (row.status in CLOSED_STATUSES or left):  # (rare: a copy
            # put back? a closed one, or any not as this clone's tool last wrote it)
            from ai_protocols.session.resume import misplaced_of

            put_back = misplaced_of(project, row.path_text, row.agent_id, row.status,
                                    left=left)
            if put_back:
                _echo(f"    warning: {display(put_back)}")
    if not rows:
        filters = " ".join(f"--{name} {quote(value)}" for name, value in
                           (("agent", agent), ("runtime", runtime), ("since", since))
                           if value is not None)
        _echo(f"No session matches {filters}." if filters else
                   f"No sessions in {display(project.ai_dir_text)} yet: none has started "
                   "('ai-protocols start' begins one).")



def _warn_unmerged_others(project: Project) -> None:
    """``start``'s and ``status``'s warning on stderr while git's index holds unmerged a
    file of ``.ai/`` that no session reader names (an earlier-entries file, an archive:
    :func:`~ai_protocols.session.unmerged.unmerged_others`); only while a merge is
    under way is anything but a few ``stat`` calls done."""
    from ai_protocols.git.head import merging

    if not merging(project.ai_dir_text):
        return
    from ai_protocols.session.unmerged import unmerged_others

    warning = unmerged_others(project.ai_dir_text)
    if warning:
        _echo(f"Warning: {display(warning)}.", err=True)


def replaced_of(project: Project, path: str, session: Session | None = None,
                agent_id: str | None = None, status: str | None = None) -> str | None:
    """:func:`~ai_protocols.session.resume.replaced_warning` of the session file ``path``
    (``session``: as read already, with its Log), ``None`` at the cost of two ``stat``
    calls when the file is the version this tool last wrote; first, while git's index
    holds the file unmerged, :func:`~ai_protocols.session.unmerged.unmerged_warning`;
    then, when its session headline holds an ``AGENT_ID`` (``session``'s, else
    ``agent_id``) and that agent's own session is there, or its ``STATUS``
    (``session``'s, else ``status``) says it is closed and its archive holds it (a copy
    put back), the writes' refusal (:func:`~ai_protocols.session.resume.misplaced_of`;
    a kept copy or none)."""
    from ai_protocols.git.head import merging, operation
    from ai_protocols.paths import parent
    from ai_protocols.session.names import may_be_misplaced

    unmerged = None
    if merging(parent(path)) or operation(parent(path)):  # (only then: a read imports no
        # write machinery); a rebase, a bisect...: git refuses to go on (issue 14, eighth)
        from ai_protocols.session.unmerged import operation_warning, unmerged_warning

        unmerged = unmerged_warning(project.ai_dir_text, path) or operation_warning(path)
    agent = session.agent_id if session is not None else agent_id
    state = session.status if session is not None else status
    relation = kept_relation(project.ai_dir_text, path)
    if state in CLOSED_STATUSES or relation == KEPT_LEFT or \
            may_be_misplaced(project.agent_id, path, agent):
        # (another agent's own session here, or an archived one put back; a kept copy
        # or none: one rule)
        from ai_protocols.session.resume import misplaced_of

        misplaced = misplaced_of(project, path, agent, state, left=relation == KEPT_LEFT)
        if misplaced is not None:
            return ". ".join(w for w in (unmerged, misplaced) if w)
    if relation != KEPT_OTHER:
        from ai_protocols.git.head import OPERATION_SAID, has_stash

        if has_stash(parent(path)):  # (a write into what git stash put back: issue 14, 9th)
            from ai_protocols.errors import AiProtocolsError
            from ai_protocols.session.resume import stashed_unkept_warning, stashed_write_warning
            from ai_protocols.session.unmerged import operation_warning

            try:
                read = session or project.show_file(path)
                stashed = stashed_write_warning(project, read) or \
                    stashed_unkept_warning(project, read)  # (git clean took the kept copy)
            except AiProtocolsError:
                stashed = None
            if stashed and unmerged and OPERATION_SAID in stashed and \
                    unmerged == operation_warning(path):  # (one procedure: the stash's)
                unmerged = None
            return ". ".join(w for w in (unmerged, stashed) if w) or None
        if relation == KEPT_SAME and path == project.path_text and \
                not os.path.lexists(kept_path(project.ai_dir_text, path)):
            # (this agent's file where the tool never wrote it: a fresh clone's stale
            # save, found by git's history; docs/decisions.md, "Issue 14, twenty-first
            # round (a stale save in a fresh clone)"; the two checks first, so that
            # status imports nothing more where a kept copy is there, as it is after
            # any write)
            from ai_protocols.session.resume import unkept_stale_warning

            return ". ".join(w for w in (unmerged, unkept_stale_warning(project, path))
                             if w) or None
        return unmerged
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.resume import replaced_warning

    try:
        replaced = replaced_warning(project, session or project.show_file(path))
    except AiProtocolsError:
        replaced = None
    return ". ".join(w for w in (unmerged, replaced) if w) or None


def warn_replaced(project: Project, session: Session) -> None:
    """``show``'s warning on stderr when the session file is an older version than the
    one this tool last wrote (:func:`replaced_of`)."""
    warning = replaced_of(project, session.path_text, session)
    if warning:
        _echo(f"Warning: {display(warning)}.", err=True)
    untracked = _untracked_earlier(project, session.path_text) if session.earlier else None
    if untracked:
        _echo(f"Warning: {display(untracked)}.", err=True)


def _untracked_earlier(project: Project, path: str) -> str | None:
    """:func:`~ai_protocols.session.carries.untracked_earlier`, imported only when the
    project's ``.ai/history/`` is there (one ``stat`` otherwise)."""
    from ai_protocols.session.names import HISTORY

    if not os.path.isdir(os.path.join(project.ai_dir_text, HISTORY)):
        return None
    from ai_protocols.session.carries import untracked_earlier

    return untracked_earlier(project.ai_dir_text, path)


def status(json: bool) -> None:
    """``status [--json]``."""
    project = Project.discover()
    rows = project.status()
    if not rows:
        refuse_outside_a_project()
    _warn_unmerged_others(project)
    if json:
        print_json([row.to_json() for row in rows])
        return
    removed = {row.path_text: row.kept_text for row in rows if row.liveness.state == "removed"}
    # (closed with abandon, archived; an open file judged abandoned stays with the open
    # ones, its warnings with it)
    abandoned = [row for row in rows if row.archived]
    rows = [row for row in rows if row.liveness.state != "removed" and not row.archived]
    if not rows and not removed:
        _echo(f"No session is under way in {display(project.root_text)}: no "
                   "session-context file (wrapped-up sessions are in 'ai-protocols list').")
    for row in rows:
        age = row.age
        ago = f"{int(age.total_seconds() // 60)} min ago" if age is not None else "?"
        mark = "*" if row.mine else " "
        _echo(f"{mark} {row.liveness.state:10} {display(row.agent_id or '(no id)')}  "
                   f"updated {ago}\n    {display(row.liveness.evidence)}")
        if row.summary:
            _echo(f"    summary: {display(row.summary)}")
        _echo(f"    {display(row.path_text)}")
        replaced = replaced_of(project, row.path_text, agent_id=row.agent_id,
                               status=row.status)
        if replaced:
            _echo(f"    warning: {display(replaced)}")
        untracked = _untracked_earlier(project, row.path_text)
        if untracked:
            _echo(f"    warning: {display(untracked)}")
        from ai_protocols.session.carries import missing_earlier

        missing = missing_earlier(project.ai_dir_text, row.path_text, row.missing_earlier)
        if missing:  # (a clone that never got them: docs/decisions.md, issue 16, 11th c)
            _echo(f"    warning: {display(missing)}")
    if abandoned:  # (issue 14 point 2: the newest of each agent with no open session)
        _echo("Closed as abandoned (ai-protocols list shows every closed session):")
        for row in abandoned:
            _echo(f"{'*' if row.mine else ' '} {row.liveness.state:10} "
                  f"{display(row.agent_id or '(no id)')}\n    "
                  f"{display(row.liveness.evidence)}\n    {display(row.path_text)}")
    if removed:
        from ai_protocols.errors import REMOVED_HOW

        _echo(f"{REMOVED_HOW.capitalize()}; the last version of each, with every entry "
              "logged to it, is kept, and its agent's next 'ai-protocols start' brings it back:")
        from ai_protocols.errors import removed_by_switch
        from ai_protocols.session.replaced import switched_from

        for path, kept in removed.items():
            _echo(f"  {display(path)}\n    kept in {display(kept)}")
            switched = switched_from(str(path), str(kept))  # (a branch switch: go back)
            if switched is not None:
                _echo(f"    warning: not on {display(switched[1])}: "
                      f"{display(removed_by_switch(switched, str(kept), str(path)))}")


# -- checkpoint list and checkpoint show (both paths) ------------------------------------


def checkpoints() -> Checkpoints:
    """The project's checkpoints as this agent sees them."""
    from ai_protocols.git.checkpoint import Checkpoints

    project = Project.discover()
    return Checkpoints(project.root, project.agent_id)


def checkpoint_list(every_agent: bool, as_json: bool, echo: Echo) -> None:
    """``checkpoint list``: this agent's checkpoints (``every_agent``: every agent's),
    oldest first, each on a line (``as_json``: a JSON array), said through ``echo``
    (``click.echo``'s signature: the text, ``err`` for standard error); notes on
    standard error of refs that hold no commit and of checkpoints the session records
    that are not listed. Raises what :class:`~ai_protocols.git.checkpoint.Checkpoints`
    raises."""
    points = checkpoints()
    found = points.list(every_agent=every_agent)
    for bad, kind in points.bad_refs.items():  # (issue 14: never listed as a checkpoint)
        echo(f"Note: {display(bad)} holds a {kind}, not a commit: it is no checkpoint; "
                   f"delete it with git update-ref -d {display(quote(bad))}", err=True)
    if as_json:
        print_json([point.to_json() for point in found])
        return
    gone = _recorded_but_gone(points, found)
    for said in gone:  # (each recorded checkpoint not listed: where it is, what to do)
        echo(f"Note: {said}", err=True)
    if not found:
        echo("No checkpoints yet ('ai-protocols checkpoint' takes one; another "
                   f"clone's come with: {display(points.fetch_command())})." if not gone
                   else "No checkpoint refs here.")
    for point in found:
        when = point.time.astimezone().strftime("%Y-%m-%d %H:%M")
        first, left = note_head(point.note)  # (never cut without a sign: show has it)
        note = f"{first} ({left})" if left else first
        echo(f"{when}  {display(point.name)}  {point.short}  "
                   f"{point.files} uncommitted  {note}".rstrip())


def session_checkpoints() -> list[Recorded]:
    """The checkpoints the caller's session records
    (:func:`ai_protocols.git.checkpoint_repo.recorded`); none without a session to read."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.checkpoint import recorded

    try:
        session = Project.discover().show()
    except AiProtocolsError:
        return []
    return recorded([e.text for e in session.log], session.checkpoint,
                    session.checkpoint_commit)


def _recorded_but_gone(points: Checkpoints, found: list[Checkpoint]) -> list[str]:
    """What to say of each checkpoint this agent's session records whose ref is not among
    the refs listed (``found``): where it is and what to do, by the one rule
    (:meth:`~ai_protocols.git.checkpoint.Checkpoints.whereabouts`: its commit still here,
    never fetched, collected by git gc). Empty without a session to read."""
    said = []
    for point in session_checkpoints():
        if any(p.commit.startswith(point.commit) for p in found):
            continue
        where = points.whereabouts(point.ref, point.commit, point.number)
        if where.state == "here":
            continue  # (another agent's ref holds it: list --all shows it)
        number = f" {point.number}" if point.number else ""
        ref = f", ref {display(where.ref)}" if where.ref else ""
        said.append(f"this session records checkpoint{number} ({point.commit[:12]}{ref}): "
                    f"{display(where.say('it'))}")
    return said


def checkpoint_show(ref: str, echo: Echo) -> None:
    """``checkpoint show REF``: the checkpoint ``ref`` names, what differs from ``HEAD``
    and from the one before it, said through ``echo`` (as :func:`checkpoint_list`).
    Raises what :meth:`~ai_protocols.git.checkpoint.Checkpoints.resolve` raises (no such
    checkpoint...)."""
    points = checkpoints()
    point = points.resolve(ref, session_checkpoints)
    when = point.time.astimezone().strftime("%Y-%m-%d %H:%M")
    echo(f"Checkpoint {display(point.name)} {point.commit}")
    echo(f"  ref:   {display(point.ref)}\n  taken: {when} on "
               f"{point.parent[:12] if point.parent else 'no commit yet'}" +
               (" (past this shallow clone's history: git fetch --unshallow brings it)"
                if point.parent and points.shallow and not points.has_commit(point.parent)
                else ""))
    if point.note:
        echo("  note:  " + display(point.note, lines=True).replace("\n", "\n         "))
    head = points.head()
    previous = points.previous(point)
    called = previous and (previous.number if previous.clone == point.clone else
                           display(previous.name))  # (another clone's: its whole name)
    for label, base in ((f"Against HEAD ({head[:12] if head else 'no commit yet'})", head),
                        (f"Against checkpoint {called} ({previous.short})"
                         if previous else "Against the previous checkpoint", previous and
                         previous.commit)):
        if label.endswith("previous checkpoint"):
            echo(f"{label}: none, it is the first")
            continue
        changes = points.diff(base, point.commit)
        echo(f"{label}: the same files" if not changes else
                   f"{label}: {counted(len(changes), 'path differs', 'paths differ')}")
        for status, path in changes:
            echo(f"  {status} {display(path)}")
