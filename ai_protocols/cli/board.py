"""The task board's click commands: ``task ...``, ``lock``, ``unlock``, ``locks`` and
``check``.

A thin click layer over :class:`ai_protocols.board.board.Board` and
:mod:`ai_protocols.board.guard` (docs/tasks.md); :mod:`ai_protocols.cli.app`
adds them to the ``ai-protocols`` group. The commands the console script's fast path
answers too (``task add|list|show|claim|release|done``, ``lock``, ``unlock``, ``locks``)
run their bodies in :mod:`ai_protocols.cli.taskboard`, their options from the one table
(:data:`ai_protocols.cli.options.OPTIONS`), their help the body's docstring.
"""

from __future__ import annotations

import sys
from functools import wraps

import click

from ai_protocols.cli import taskboard
from ai_protocols.cli.clickutil import InOrderCommand, InOrderGroup, errors_to_exit, text_option
from ai_protocols.cli.options import click_options
from ai_protocols.cli.output import print_json
from ai_protocols.cli.taskboard import echo as _echo
from ai_protocols.cli.taskboard import said_unhooked
from ai_protocols.cli.taskboard import said_unusable_locks as _said_unusable_locks
from ai_protocols.lean import counted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from ai_protocols.board.board import Board

    F = TypeVar("F", bound=Callable[..., object])

__all__ = ["COMMANDS"]


def _board(copy_warning: bool = True) -> Board:
    """The board (:func:`ai_protocols.cli.taskboard.open_board`), what its change did
    besides said as the command's context closes (:func:`~ai_protocols.cli.taskboard.finish`)."""
    click.get_current_context().call_on_close(taskboard.finish)
    return taskboard.open_board(copy_warning)


def _shared(command: str, body: Callable[..., None],
            read: Callable[[dict[str, object]], dict[str, object]] | None = None
            ) -> Callable[..., None]:
    """The click callback of ``command`` (``task add``), whose options are its row of
    :data:`~ai_protocols.cli.options.OPTIONS` and whose help is ``body``'s docstring:
    ``body`` (of :mod:`ai_protocols.cli.taskboard`, which the fast path runs too) called
    with the same keywords, after ``read`` (what only click reads: a text option's
    ``-`` or ``@FILE``, a usage error), what the board says after it said as the
    command's context closes, its errors reported by :func:`errors_to_exit`."""

    @wraps(body)
    def callback(**given: object) -> None:
        click.get_current_context().call_on_close(taskboard.finish)
        body(**(read(given) if read is not None else given))

    return click_options(command)(errors_to_exit(callback))


@click.group(cls=InOrderGroup)
def task() -> None:
    """The task board, .ai/tasks.org: add, claim and close tasks.

    One Org headline per task with its state (TODO NEXT DOING REVIEW | DONE
    CANCELLED), tags, and properties: ID, ROLE, WORKING_SET, OWNER (the agent
    id that claimed it), CLAIMED, CHECKPOINT. People edit it in Emacs; every
    command changes only the lines it must, under a lock, atomically, and
    refuses (exit 10) while Emacs holds unsaved changes to it. An ID may be
    given whole or by its last part. See docs/tasks.md.
    """


task.command_class = InOrderCommand  # its commands read their command line as every other


def _both_checkpoints(given: dict[str, object]) -> dict[str, object]:
    """``task done``'s options, refused (a usage error) when both ``--checkpoint`` and
    ``--checkpoint-ref`` are given; the fast path leaves that to click."""
    if taskboard.both_checkpoints(given["take_checkpoint"], given["checkpoint_ref"]):  # type: ignore[arg-type]
        raise click.UsageError("give --checkpoint (take one now) or --checkpoint-ref REF, "
                               "not both")
    return given


def _reason(given: dict[str, object]) -> dict[str, object]:
    """``lock``'s options, its ``--reason`` read as every text option (``-``, ``@FILE``)."""
    return {**given, "reason": text_option("--reason", given["reason"]) or ""}  # type: ignore[arg-type]


for _name in ("add", "list", "show", "claim", "release", "done"):
    task.command(_name)(_shared(f"task {_name}", getattr(taskboard, f"task_{_name}"),
                                _both_checkpoints if _name == "done" else None))
lock = click.command("lock", cls=InOrderCommand)(_shared("lock", taskboard.lock, _reason))
unlock = click.command("unlock", cls=InOrderCommand)(_shared("unlock", taskboard.unlock))
locks = click.command("locks", cls=InOrderCommand)(_shared("locks", taskboard.locks))


def _task_command(name: str) -> Callable[[F], F]:
    """The click command ``task NAME`` of a function whose options (and ``ID``) are its
    row of :data:`~ai_protocols.cli.options.OPTIONS`, its errors reported by
    :func:`errors_to_exit`."""
    def command(function: F) -> F:
        return task.command(name)(click_options(f"task {name}")(errors_to_exit(function)))

    return command


@_task_command("edit")
def task_edit(task_id: str, title: str | None, working_set: tuple[str, ...],
              add_paths: tuple[str, ...], remove_paths: tuple[str, ...],
              tags: tuple[str, ...], untags: tuple[str, ...], role: str | None,
              force: bool) -> None:
    """Change an open task: its title, working set, tags or role.

    Only the words changed are written, and the change is logged in the
    task's log. Another agent's live claim is refused (exit 21) unless
    --force. Paths are relative to the working directory.
    """
    from ai_protocols.cli.options import Given, text_of

    if title is not None:
        title = text_of(Given("--title", title, True, 0))
    board = _board()
    item, said = board.edit(task_id, title=title, working_set=working_set or None,
                            add_paths=add_paths, remove_paths=remove_paths, tags=tags,
                            untags=untags, role=role, force=force)
    if not said:
        _echo(f"Task {item.id} unchanged: {item.title}")
        return
    _echo(f"Edited task {item.id}: {item.title}")
    for what in said:
        _echo(f"  {what}")


@_task_command("cancel")
def task_cancel(task_id: str, force: bool) -> None:
    """Close a task as CANCELLED: it will not be done (task reopen opens it again)."""
    item = _board().cancel(task_id, force=force)
    _echo(f"Cancelled task {item.id}: {item.title}")


@_task_command("reopen")
def task_reopen(task_id: str) -> None:
    """Open a closed (DONE, CANCELLED) task again: TODO, free."""
    board = _board()
    item = board.reopen(task_id)
    if board.reopened:
        _echo(f"Reopened task {item.id}: {item.title}")
    else:
        _echo(f"Task {item.id} is open already ({item.state}): {item.title}")


@_task_command("handoff")
def task_handoff(task_id: str, to: str, note: str, force: bool) -> None:
    """Hand a task on to another role, with a note; the claim is given up.

    The task becomes REVIEW when handed to a reviewer, else NEXT (ready for
    that role); the note goes into the task's log on the board.
    """
    item = _board().handoff(task_id, to=to, note=text_option("--note", note) or "",
                            force=force)
    _echo(f"Handed task {item.id} to {item.role} ({item.state}): {item.title}")


@_task_command("merge-copy")
def task_merge_copy() -> None:
    """Merge this linked work tree's own copy of the board into the shared one.

    In a linked git work tree every command uses the main work tree's board;
    the copy git checks out here is not read. An edit made in that copy (in
    Emacs) is merged into the shared board task by task, as git's merge with
    the board's merge driver would (base: the copy in HEAD), under the
    board's lock, atomically. A task both changed beyond the merge's rules
    is refused (exit 6), nothing written. The copy is left as it is.
    """
    board = _board(copy_warning=False)
    merged = board.merge_copy()
    own = board.own_copy
    from ai_protocols.cli.commands import quote

    drop = f"'git checkout HEAD -- {quote(str(own))}' drops it here"
    if merged is None:
        _echo(f"Nothing to merge: {own} holds no edit (it is what this work tree's HEAD "
              "holds).")
    elif merged:
        _echo(f"Merged the edit of {own} into the shared board {board.path}; {drop}.")
    else:
        _echo(f"The shared board {board.path} already holds the edit of {own}; {drop}.")


@click.command("check", cls=InOrderCommand)
@click_options("check")
@errors_to_exit
def check(as_json: bool, since: str | None) -> None:
    """Compare the work tree's changes with this agent's claims and others' locks.

    Reports each changed file (git status, .ai/ aside) outside the working
    sets of the tasks this agent has claimed, or inside an area another
    agent, not gone, has locked. With --since REF, the files the commits
    since REF changed count too (an edit already committed). Exit 0:
    nothing to report; 23: something; 4: REF names no commit.
    """
    from ai_protocols.board.board import duplicate_ids
    from ai_protocols.board.board import state_words as _state
    from ai_protocols.board.guard import CHECK_FAILED
    from ai_protocols.board.guard import check as run_check
    from ai_protocols.cli.output import refuse_outside_a_project
    from ai_protocols.errors import (
        CHECK_NEEDS_GIT,
        DUPLICATE_FIX,
        MisplacedDrawer,
        UnreadableSession,
        UnsafePath,
    )

    refuse_outside_a_project(CHECK_NEEDS_GIT)  # (a few stats: the advice names git init)
    board = _board()
    try:
        board.read()
    except MisplacedDrawer as error:  # read where it stands here; every writer refuses
        _echo(f"Warning: {error}", err=True)
    except (UnreadableSession, UnsafePath):
        pass  # checked against its kept copy (run_check), or the error there
    _said_unusable_locks(board)
    said_unhooked(board)
    report = run_check(board, since=since)
    if report.unreadable is not None:
        _echo(f"Warning: the task board {board.path} could not be read ({report.unreadable}): "
              f"checked against its kept copy {board.kept_path}, the last board "
              "ai-protocols wrote.", err=True)
    twins = duplicate_ids(board.read(lenient=True)[0]) if report.unreadable is None else {}
    if as_json:
        print_json({**report.to_json(), "duplicate_ids": [
            {"id": task_id, "lines": lines} for task_id, lines in twins.items()]})
    else:
        for task_id, lines in twins.items():
            _echo(f"Duplicate id {task_id}: the tasks on lines "
                  f"{', '.join(str(n) for n in lines)} have it; {DUPLICATE_FIX}.")
        for task_id in report.kept:
            _echo(f"Task {task_id}: its claim is held from the kept copy {board.kept_path} "
                  "(git took it off the board on disk while this agent is at work); its "
                  "working set is checked as if it were on the board.")
        if not report.tasks:
            _echo(f"{report.agent_id or 'This agent'} has claimed no task: the "
                               "working set is not checked.")
        elif not report.working_set:
            _echo("A claimed task names no working set: any file may change.")
        for finding in report.findings:
            why = []
            if finding.outside:
                why.append("outside the working set")
            if finding.lock is not None and finding.state is not None:
                where = "" if finding.lock.path.rstrip("/") == finding.path.rstrip("/") else \
                    f"inside {finding.lock.path}, "
                why.append(f"{where}locked by {finding.lock.owner or '(no owner)'} "
                           f"({_state(finding.state.state)}) for: {finding.lock.reason or '-'}")
            _echo(f"{finding.path}: {'; '.join(why)}")
        for nested in report.nested:
            _echo(f"Note: {nested.path} is a repository of its own, left out here, inside "
                  f"{nested.lock.path}, which {nested.lock.owner or '(no owner)'} "
                  f"({_state(nested.state.state)}) has locked for: {nested.lock.reason or '-'}; it "
                  f"has {counted(len(nested.changed), 'changed file', 'changed files')} "
                  f"({', '.join(nested.changed[:3])}"
                  f"{', ...' if len(nested.changed) > 3 else ''}). Its own 'check' reads its "
                  "own board, not this lock; the PreToolUse hook refuses edits there.")
        if report.ok:
            _echo(f"{counted(len(report.changed), 'changed file', 'changed files')}"
                  f"{f' (the commits since {since} and the work tree)' if since else ''}, "
                  "none outside the working set or inside another agent's lock.")
    sys.exit(0 if report.ok else CHECK_FAILED)


#: The commands this module adds to ``ai-protocols``.
COMMANDS = (task, lock, unlock, locks, check)
