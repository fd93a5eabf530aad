"""The ``ai-protocols`` command: a thin click layer over :class:`ai_protocols.Project`.

Each command opens the project and calls one method. Library errors become
``Error: ...`` on stderr with the error's documented exit code; nothing else
here knows about files.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ai_protocols import __version__
from ai_protocols.cli import commands
from ai_protocols.cli.board import COMMANDS as BOARD_COMMANDS
from ai_protocols.cli.clickutil import GIVEN, errors_to_exit, text_option
from ai_protocols.cli.clickutil import InOrderCommand as _Command
from ai_protocols.cli.clickutil import InOrderGroup as _Group
from ai_protocols.cli.options import (
    Given,
    UsageProblem,
    click_options,
    log_entries,
    read_log_entries,
    whole_number,
)
from ai_protocols.cli.output import (
    display,
    print_json,
    print_json_items,
    print_log_report,
    print_path,
    render_session,
)
from ai_protocols.cli.resume_output import print_resume
from ai_protocols.lean import counted, quoted
from ai_protocols.session.project import Project


def _project() -> Project:
    return Project.discover()


def _given(name: str) -> list[Given]:
    """The options ``name`` as given to the running command, in order."""
    given: list[Given] = click.get_current_context().meta.get(GIVEN, [])
    return [g for g in given if g.name == name]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ai-protocols")
def cli() -> None:
    """Keep AI coding agents' working sessions safe in the repository.

    Each session's state lives in an Org file under .ai/ that survives lost
    connections, compacted context and killed processes, and that people
    read and edit in Emacs. The session-context file is
    .ai/session-context.org, or .ai/session-context.d/<id>.org when
    AI_AGENT_ID is set. The project root is the first folder upwards that
    holds .ai/ or is the top of a git work tree (the search never crosses a
    repository's edge), else the working directory; AI_PROJECT_ROOT
    overrides it.

    Exit codes: 0 done, 2 usage, 3 no session, 4 invalid input, 5 no or
    several matching items, 6 unreadable file, 7 already wrapped up,
    8 lock timeout, 9 file system refused (nothing changed; also a
    reading command's output that could not be written), 10 being edited in Emacs,
    11 recovery refused, 12 symbolic link refused, 13 no project (run
    init); the task board (docs/tasks.md): 20 no such task, 21 task held by
    another agent, 22 path locked by another agent, 23 check found changes
    outside the working set or inside another's lock, 24 task closed;
    14 not a git work tree or git failed, 15 checkpoint restore refused;
    16 a change done, but standard output could not be written (do not
    run it again); 141 the reader of standard output went away.
    """


cli.command_class = _Command  # every command reads its command line first (see _Command)


@cli.command()
@errors_to_exit
def path() -> None:
    """Print the session-context path for the current AI_AGENT_ID.

    The same answer as .ai/scripts/session-context-path, on every call.
    """
    click.echo(_project().path)


@cli.command("agent-id")
@click.option("--runtime", required=True, help="The agent program, e.g. claude or codex.")
@errors_to_exit
def agent_id(runtime: str) -> None:
    """Print a fresh AI_AGENT_ID: host.project.runtime.<epoch>.

    For spawners: set it in the agent's environment for the whole run.
    Two calls never print the same id for one project, even in one second.
    Run it in the project (a folder holding .ai/, or a git work tree), or
    set AI_PROJECT_ROOT: outside any, it is refused (exit 13).
    """
    from ai_protocols.identity import mint_agent_id

    project = _project()
    _refuse_outside_a_project()
    click.echo(mint_agent_id(runtime, project.root))


def _refuse_outside_a_project(needs: str | None = None) -> None:
    """:class:`~ai_protocols.errors.NoProject` outside any project (no folder holding
    .ai/ and no git work tree at or above, no AI_PROJECT_ROOT): an id minted there
    would name a folder that is no project, and a lease would leave .ai/ there.
    ``needs``: what the command needs git for, when it does (its advice: git init too)."""
    from ai_protocols.cli.output import refuse_outside_a_project

    refuse_outside_a_project(needs)


@cli.command()
@click_options("init")
@errors_to_exit
def init(agents_md: bool) -> None:
    """Install .ai/ into this project: the resolver, the protocol, the folders.

    Safe to run again: a file you have changed is never overwritten. With
    --agents-md, the block between <!-- ai-protocols:begin --> and
    <!-- ai-protocols:end --> in AGENTS.md and CLAUDE.md (made when missing) is
    added or replaced; the rest of each file is left as it was.
    """
    for line in commands.init(agents_md):
        click.echo(line)


@cli.command()
@click_options("start")
@errors_to_exit
def start(title: str | None, task: str | None, objective: str | None) -> None:
    """Start a session, or pick up the one that did not wrap up.

    Creates the session-context file when there is none. When one is there,
    it is never overwritten: the previous session did not wrap up, and what
    it holds is printed so that you can carry on from it. When git removed
    it (git clean, git stash -u, git checkout), it is brought back from the
    copy kept in .ai/.locks/live/, with every entry logged to it. In a git
    repository without .ai/ yet, it first sets the project up as init does.
    A session that was paused (ai-protocols pause) is resumed: it says so.
    """
    titles, objectives = _given("--title"), _given("--objective")
    commands.start(titles[-1] if titles else None, task,
                   objectives[-1] if objectives else None)


@cli.command()
@click_options("log")
@errors_to_exit
def log(**options: Any) -> None:
    """Record entries in the session context, each stamped with the time.

    Several options in one call are written together, in one locked,
    atomic write. Every option but --summary may be given more than once;
    each --rationale goes right after the --decision it explains. A TEXT
    given as - is read from standard input, as @FILE from the file FILE;
    write --progress=TEXT to log a text that starts with '-' or '@' as it is.
    """
    given = click.get_current_context().meta[GIVEN]
    try:
        drafts = log_entries(given)
    except UsageProblem as problem:
        raise click.UsageError(str(problem)) from None
    from ai_protocols.cli.options import task_of

    task = task_of(given)
    if task is None:
        print_log_report(_project().log(*read_log_entries(drafts)))
    else:
        from ai_protocols.cli.output import print_task_link

        print_task_link(_project(), task, read_log_entries(drafts))


@cli.command()
@click_options("show")
@errors_to_exit
def show(json: bool, **given: bool) -> None:
    """Print the current session: objective, current step, key files, context first.

    Then the summary, progress, decisions, discoveries, blockers and next steps.

    A session file past 4 MiB has had its oldest entries moved to earlier-entries
    files (docs/user-guide.md); --all reads them too."""
    project = _project()
    session = project.show(whole=given["all"], view=True)
    if json:
        print_json_items(session.json_items(as_text=True))
    else:
        print(render_session(session))
    commands.warn_replaced(project, session)


@cli.command()
@click_options("resume")
@errors_to_exit
def resume(json: bool, max_bytes: int) -> None:
    """Print what this agent needs to carry on, within --max-bytes.

    In this order: the objective, the pause (when paused), the step in progress,
    key files to read, context to keep, the summary, open next steps, open
    blockers, decisions with their rationale, discoveries (each list newest
    first), when the session was last updated and how often its context was
    compacted, the git state, other agents' sessions to recover (with the
    commands), and a warning when the work tree does not hold what the
    session last saw. What does not fit is left out, oldest first and whole
    entries only, and a last line says how many and where to read them.
    Without a session file yet, it says so, exit code 0.
    """
    print_resume(_project().resume(max_bytes=max_bytes), json)


@cli.command("wrap-up")
@click_options("wrap-up")
@errors_to_exit
def wrap_up(description: str) -> None:
    """Close the session and archive it under .ai/sessions/; print the archive.

    DESCRIPTION is one line, in quotes when it has several words. The
    archive is named YYYY-MM-DD-HH-MM[-<id>]-<description>.org, the
    description made into a lower-case ASCII slug (other scripts
    transliterated). Says what it did on stderr and prints the archive's
    path on stdout. The next start is fresh.
    """
    commands.wrap_up(description)


@cli.command()
@click.option("--note", help="Why, or what to do first on resuming (one line; - reads "
                             "standard input, @FILE a file).")
@click.option("--no-checkpoint", is_flag=True,
              help="Do not make a checkpoint of the work tree first.")
@errors_to_exit
def pause(note: str | None, no_checkpoint: bool) -> None:
    """Pause this agent's session, to come back to it later.

    STATUS becomes paused: status, list and resume say so, with the note; a
    paused session is never judged crashed or abandoned, and recover refuses
    it without --force. The next 'ai-protocols start' of this agent resumes
    it (an agent of Claude Code or Codex, whose id comes from its conversation:
    that conversation resumed, 'claude --resume' or 'codex resume'); other
    agents' start, resume and SessionStart context name it, and one takes it
    over with 'ai-protocols recover ID --adopt --force'. In a git work tree a
    checkpoint of the work tree is made first (as 'ai-protocols checkpoint'
    does), unless --no-checkpoint; if it fails, the session is not paused.
    On a paused session: no checkpoint; a new --note replaces the old one.
    """
    from ai_protocols.errors import GitFailed, NotAGitRepository

    note = text_option("--note", note)
    _refuse_outside_a_project()  # (before a checkpoint is tried: 13, not "start first")
    project = _project()
    if note is not None:
        from ai_protocols.session.text import check_text, note_text

        note = check_text("note", note_text(note), one_line=True)  # (before a checkpoint)
    # A session to pause, before a checkpoint is made: none (or a closed one) makes nothing.
    from ai_protocols.errors import SessionWrappedUp
    from ai_protocols.session.away import refuse_missing
    from ai_protocols.session.sections import PAUSED, WRAPPED_UP
    from ai_protocols.session.transaction import probe
    from ai_protocols.session.wrapped_copy import put_back_refusal

    refuse_missing(project.ai_dir_text, project.path_text)
    existing = project.read(project.path_text, head=True)  # (its properties: no entries)
    if existing is not None and existing.status == WRAPPED_UP:
        raise put_back_refusal(project.ai_dir_text, project.path_text) or \
            SessionWrappedUp(project.path)
    probe(project.ai_dir_text, project.path_text)  # (a write bound to fail: no checkpoint)
    if existing is not None and existing.status == PAUSED:  # (never a silent checkpoint)
        _pause_again(project, existing, note)
        return
    if not no_checkpoint:
        from ai_protocols.cli.output import print_checkpoint
        from ai_protocols.git.checkpoint import take

        try:
            print_checkpoint(take(project.root, project.ai_dir, project.path,
                                  project.agent_id, note))
        except NotAGitRepository:
            click.echo("Note: no checkpoint made: not in a git work tree.", err=True)
        except GitFailed as error:
            raise GitFailed(error.command, f"{error.reason}; the session is not paused "
                            "(pause without a checkpoint: ai-protocols pause "
                            "--no-checkpoint)") from error
    session = project.pause(note, brief=True)
    from ai_protocols.session.names import resumed_by
    from ai_protocols.session.resume_form import take_over_command

    click.echo(f"Paused the session{': ' + display(note) if note else ''}. "
               f"It resumes with {display(resumed_by(project.agent_id, session.agent_session))}; "
               f"another agent takes it over with '{display(take_over_command(session))}'.",
               err=True)
    print_path(str(session.path))


def _pause_again(project: Project, session: Any, note: str | None) -> None:
    """``pause`` on a paused session: no checkpoint (the pause took one; ``ai-protocols
    checkpoint`` takes another); a new ``--note`` replaces the old one, recorded in the
    Log; without one, nothing is written. Says so on stderr; prints the session file."""
    since = f"{session.paused:%Y-%m-%d %H:%M}" if session.paused else "?"
    said = f"The session is already paused (since {since})"
    if note is not None and note != session.pause_note:
        session = project.pause(note, brief=True)
        said += f": its note is now: {display(note)}"
    else:
        said += (f" ({display(session.pause_note)})" if session.pause_note else "") + \
            ": nothing changed"
    click.echo(f"{said}. No checkpoint was taken (ai-protocols checkpoint takes one).",
               err=True)
    print_path(str(session.path))


@cli.command()
@click.option("--reason", required=True, help="Why it is abandoned (one line; - reads "
                                               "standard input, @FILE a file); kept as "
                                               "the archive's description.")
@errors_to_exit
def abandon(reason: str) -> None:
    """Close this agent's session as abandoned and archive it; print the archive.

    Like wrap-up, but STATUS abandoned, and the reason kept as DESCRIPTION
    and in the Log; the archive is named after the reason. The next start
    is fresh.
    """
    reason = text_option("--reason", reason)
    _refuse_outside_a_project()
    archive = _project().abandon(reason)
    click.echo("Abandoned the session and archived it; the next 'ai-protocols start' "
               "begins a fresh one. The archive:", err=True)
    print_path(str(archive))



@cli.command("list")
@click_options("list")
@errors_to_exit
def list_(agent: str | None, runtime: str | None, since: str | None, json: bool) -> None:
    """List open session contexts and archived sessions, newest first.

    An open file shows its state, as status says it (live, ended, crashed,
    abandoned, unknown, wrapped-up, paused); an archive shows how it was closed (its
    STATUS). With --json, prints a JSON array with one compact object per line.
    Archived sessions are read through a per-machine cache,
    .ai/.locks/sessions.index, whose rows are used only while each archive's
    size and mtime are unchanged; deleting it is always safe.
    """
    commands.list_sessions(agent, runtime, since, json)

@cli.command()
@click_options("status")
@errors_to_exit
def status(json: bool) -> None:
    """Show every session-context file: live, ended, crashed, abandoned, paused or unknown.

    Each state comes with the evidence that decided it: the spawner's lease,
    the owning process recorded at start, or the time of the last update
    (AI_PROTOCOLS_STALE_HOURS). The current agent's own file is marked *.
    """
    commands.status(json)


@cli.command("merge-kept")
@click.argument("target", metavar="[ID]", required=False)
@click.option("--wording", type=click.Choice(["file", "kept"]), default="file",
              show_default=True,
              help="With no committed version of both, whose words to keep of an entry "
                   "the file and the kept copy word differently (a copy put back over "
                   "an archived session: the copy's, or the archive's).")
@errors_to_exit
def merge_kept(target: str | None, wording: str) -> None:
    """Merge a session file with the newer version ai-protocols kept of it.

    When git put an older version of a session file back (a checkout of an old
    commit, a stash, a rebase aborted) and a write went into it, the file and
    the copy ai-protocols keeps in .ai/.locks/live/ each hold entries the other
    lacks, and every write is refused (exit 6). This merges the two three ways,
    entry by entry as the session merge driver does, against the version git
    committed that both come from: what each side added or changed is kept (a
    line changed on both sides is refused, nothing written), and the result is
    written. ID is an agent id or a session file's path (default: this agent's).
    When the kept copy holds a session another clone wrapped up, its entries go
    into that session's archive instead. With no committed version of both, an
    entry the two word differently (of one section and minute, alike in words)
    is kept once, in the file's words (--wording kept: the kept copy's); the
    other words are written whole into the Log. When the file is a version from before a rollover
    that git's HEAD holds (an editor's stale buffer saved over it), HEAD's
    version is the newer one. When git's merge or rebase stopped on the file
    (modify/delete) because one side archived the session (a wrap-up or an
    abandon git paired no rename with), the changed side is merged into the
    archive as the merge driver would have merged it, and the one git command
    left is said. When the file is an editor's stale save over what git brought,
    it is merged as the next write merges it (with git's HEAD too), or refused as
    the write refuses it (exit 6, with the commands that merge the three). When
    the two do not merge, the advice names what only each holds, by kind and
    count. Prints the file that gained entries.
    """
    import os

    if target is not None and (target.endswith(".org") or os.sep in target):
        # (a path: the project it is in, wherever this runs: the advice gives it absolute)
        project = Project.discover(os.path.dirname(os.path.realpath(target)))
    else:
        project = _project()
    path, gained, reworded, source = project.merge_kept(target, wording=wording)
    lacked = counted(gained, "entry", "entries")
    rewords = f"; {counted(reworded, 'entry', 'entries')} reworded, merged as one " \
              f"(the words left out are in the Log)" if reworded else ""
    if str(path).startswith(project.sessions_dir_text + os.sep):
        pass  # (into an archive: what was written, by kind, or that nothing was, is said)
    elif gained or reworded:
        what = "the kept copy" if source == "the kept copy" else \
            f"what {source} {'holds' if ' and ' not in source else 'hold'}"
        click.echo(f"Merged {what} in: {lacked} the file lacked{rewords}.", err=True)
    else:
        click.echo("Nothing to merge: the file is the version ai-protocols wrote last.",
                   err=True)
    print_path(str(path))


@cli.command()
@click.argument("target", metavar="ID")
@click.option("--adopt", is_flag=True,
              help="Carry its whole history on in this agent's session file.")
@click.option("--archive", is_flag=True,
              help="Archive it under .ai/sessions/, its status the state it was in.")
@click.option("--force", is_flag=True, help="Even if it may still be at work (live, unknown).")
@errors_to_exit
def recover(target: str, adopt: bool, archive: bool, force: bool) -> None:
    """Take over or archive another agent's ended, crashed or abandoned session.

    ID is that agent's AI_AGENT_ID (or the path of its session file), as
    start and status show it. Prints the file the session now lives in.
    """
    if adopt == archive:
        raise click.UsageError("give one of --adopt or --archive")
    project = _project()
    whose = None if adopt else _session_agent(project, target)
    path = project.recover(target, adopt=adopt, force=force)
    click.echo(f"Adopted {display(target)}'s session: it carries on in this agent's file:"
               if adopt else f"Archived {display(target)}'s session:", err=True)
    print_path(str(path))
    if adopt:
        _carry_adopted(project, target)
    else:
        _left_for_takeover(project, whose)


def _session_agent(project: Project, target: str) -> str | None:
    """The agent id of the session ``target`` names (its ``AGENT_ID``), or ``None``
    when it cannot be read."""
    from ai_protocols.session.recovery import target_path

    try:
        session = project.read(target_path(project, target), head=True)
    except Exception:  # (recover itself says what is wrong with it)
        return None
    return session.agent_id if session is not None else None


def _carry_adopted(project: Project, target: str) -> None:
    """After ``recover --adopt``: the adopted agent's claims and locks become this
    agent's (:meth:`~ai_protocols.board.board.Board.carry_adopted`), said on stderr; a
    board that cannot be written is said, with how to carry them later (the adoption is
    done: ``recover`` again carries them), and its error raised."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.lean import shell_quote
    from ai_protocols.paths import has_board

    session = project.read(project.path_text, head=True)  # (a property: no entries)
    source = session.adopted_from if session is not None else None
    if not source or not has_board(project.root_text):
        return
    from ai_protocols.board.board import Board

    try:
        carried = Board(project).carry_adopted(source)
    except AiProtocolsError:
        click.echo(f"Its claims and locks on the board are not carried over yet: run "
                   f"'ai-protocols recover {shell_quote(target)} --adopt' again once the "
                   "board can be written.", err=True)
        raise
    if carried:
        click.echo("Carried over to this agent: " + "; ".join(carried), err=True)


def _left_for_takeover(project: Project, agent: str | None) -> None:
    """After ``recover --archive``: the archived agent's open claims and its locks stay
    on the board, for any agent to take over without ``--force`` (its session archived,
    its agent is gone): said on stderr, so that none is a surprise (docs/tasks.md)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import has_board

    if not agent or not has_board(project.root_text):
        return
    from ai_protocols.board.board import Board

    try:
        tasks, locks = Board(project).read(lenient=True)
    except AiProtocolsError:
        return  # (a board that cannot be read: its own commands say why)
    held = [f"task {t.id} ({t.title})" for t in tasks if t.is_open and t.owner == agent] + \
        [f"the lock on {h.path}" for h in locks if h.owner == agent]
    if held:
        click.echo(f"Left on the board, for any agent to take over without --force: "
                   f"{'; '.join(held)} (held by {agent}; 'ai-protocols task release ID' "
                   "or 'ai-protocols unlock PATH' frees them).", err=True)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--runtime", required=True, help="The agent program, e.g. claude or codex.")
@click.option("--trust-hooks", is_flag=True,
              help="Codex only: run its hooks without the per-hook trust review "
                   "(--dangerously-bypass-hook-trust), for automation.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@errors_to_exit
def spawn(runtime: str, trust_hooks: bool, command: tuple[str, ...]) -> None:
    """Run COMMAND as an agent with a fresh AI_AGENT_ID, and know when it ends.

    Use as: ai-protocols spawn --runtime claude -- claude [ARGS...]. Holds
    the agent's lease while it runs, forwards SIGINT, SIGTERM, SIGHUP and
    SIGQUIT to it, records in its session file when it ends without a
    wrap-up, and exits with its exit status (128 + N after signal N).
    Codex runs only hooks a person has reviewed and trusted; --trust-hooks
    starts it with its option for trusted automation instead.
    """
    from ai_protocols.integrations.spawn import CODEX_TRUST_HOOKS, is_codex
    from ai_protocols.integrations.spawn import spawn as run_agent

    if trust_hooks:
        if not is_codex(command[0]):
            raise click.UsageError(f"--trust-hooks applies to Codex only, not {quoted(command[0])}")
        command = (command[0], CODEX_TRUST_HOOKS, *command[1:])
    _refuse_outside_a_project()  # its id would name no project, and its lease make .ai/
    sys.exit(run_agent(_project().root, runtime, command))


@cli.command()
@click.argument("event")
@click_options("hook")
def hook(event: str, runtime: str | None) -> None:
    """Run the agent hook for EVENT, reading its JSON payload on stdin.

    EVENT is one of SessionStart, UserPromptSubmit, PreCompact, Stop,
    SessionEnd, PreToolUse. Installed by 'ai-protocols hooks install'; what
    each event does is in docs/agents.md. PreToolUse refuses (exit 2) a file
    edit into another agent's lock (docs/tasks.md); without --runtime it
    tells the agent program from the edit tool; otherwise it never
    blocks the agent: a failure prints one
    line on stderr and exits 1; a project without .ai/ is left alone.
    """
    from ai_protocols.integrations.hooks import main as run

    sys.exit(run(event, runtime or ""))
@cli.command("merge-driver")
@click.option("--marker-size", type=whole_number(1), default=7, show_default=True,
              help="Length of conflict markers (git's %L).")
@click.argument("base", type=click.Path(exists=True, dir_okay=False))
@click.argument("ours", type=click.Path(exists=True, dir_okay=False))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False))
@click.argument("path", required=False)
@errors_to_exit
def merge_driver(marker_size: int, base: str, ours: str, theirs: str, path: str | None) -> None:
    """Merge two versions of a session file, as git's merge driver.

    Git runs it as 'ai-protocols merge-driver --marker-size %L %O %A %B %P'
    (set up by init): BASE is the common ancestor, OURS our version, where
    the result is written, THEIRS theirs, PATH the file's path in the tree.
    Entries from both sides are kept once each, in time order; properties
    follow the rule in docs/merge-driver.md; free text is merged as git
    merge-file merges it. Exits 0 when clean, 1 when conflict markers
    remain, 9 when a file cannot be read or written (git reports a conflict
    for any of these). The task board (.ai/tasks.org) is merged task by
    task, keyed by each task's ID (docs/merge-driver.md). A file that is
    neither is merged as git merge-file does.
    """
    from pathlib import Path

    from ai_protocols.session.merge import run_merge_driver

    merge = None
    if path is None or path.replace("\\", "/").endswith("tasks.org"):  # the task board?
        from ai_protocols.board.merge import is_board, merge_board_bytes

        if is_board(path, Path(ours).read_bytes()):
            merge = merge_board_bytes
    sys.exit(run_merge_driver(Path(base), Path(ours), Path(theirs), marker_size=marker_size,
                              merge=merge, place=path))


# -- hooks: installing the agents' hooks (ai_protocols.integrations.install) -------------------


@cli.group()
def hooks() -> None:
    """Install the agents' hooks: Claude Code, Codex.

    Through them the agents keep the session by themselves: at each session
    event (start, compaction, prompt, stop, end) the agent runs
    `ai-protocols hook EVENT --runtime AGENT`. A scope is where the hooks
    apply: project (.claude/settings.json, .codex/hooks.json, committed with
    the project), local (.claude/settings.local.json: you alone, this
    project; Claude Code only) or user ($CLAUDE_CONFIG_DIR or ~/.claude, and
    $CODEX_HOME or ~/.codex: you alone, every project). See docs/agents.md.
    """


_AGENT = click.argument("agent", type=click.Choice(["claude", "codex"]))
_SCOPE = click.option("--scope", type=click.Choice(["project", "local", "user"]),
                      default="project", show_default=True,
                      help="Where: the project's settings, yours in this project "
                           "(Claude Code only), or yours in every project.")


def _hooks_target(agent: str, scope: str) -> Any:
    """The project root, once the agent and scope are known to go together."""
    from ai_protocols.integrations import install as hooks_lib

    try:
        hooks_lib.check_scope(agent, scope)
    except hooks_lib.ScopeNotSupported as problem:
        raise click.UsageError(str(problem)) from None
    return _project().root


def _whose(agent: str, scope: str) -> str:
    from ai_protocols.integrations.install import AGENT_NAMES

    return f"the ai-protocols hooks for {AGENT_NAMES[agent]} ({scope} scope)"


@hooks.command("install")
@_AGENT
@_SCOPE
@errors_to_exit
def hooks_install(agent: str, scope: str) -> None:
    """Install the hooks into the agent's settings for --scope.

    Every other setting and hook in the file stays as it was; ours are added,
    or updated in place. Running it again changes nothing. A file that is not
    valid JSON is refused (exit 4) and left unchanged.
    """
    from ai_protocols.integrations import install as hooks_lib

    root = _hooks_target(agent, scope)
    report = hooks_lib.install(agent, scope, root)
    if scope == "project":  # (a shared file: the hooks find the program on each machine)
        if not hooks_lib.found_by_project_hooks():
            here = hooks_lib.installed_program()
            link = (f"link it there (mkdir -p ~/.local/bin && ln -sf {here} "
                    "~/.local/bin/ai-protocols)"
                    if here else "install it (scripts/install puts it there)")
            click.echo("Warning: the project's hooks look for ai-protocols on the agent's "
                       "PATH and in ~/.local/bin ($XDG_BIN_HOME), and on this machine it is "
                       f"in neither: until it is, the lock guard refuses every edit and the "
                       f"other hooks fail. So {link}, or install the hooks in the "
                       f"{'local or user' if agent == 'claude' else 'user'} scope, which "
                       "name this machine's path.", err=True)
    elif hooks_lib.installed_program() is None:  # (the hooks would run a bare name)
        click.echo("Warning: no program named ai-protocols was found (not this command, "
                   "not on PATH, not beside this Python), so the hooks run the bare name "
                   "ai-protocols: an agent whose PATH lacks it runs every hook as exit 127, "
                   "a non-blocking error, and the lock guard is off without a word. Install "
                   "the console script (pip install ai-protocols, or scripts/install) and "
                   "run this again.", err=True)
    whose = _whose(agent, scope)
    if not report.written:
        click.echo(f"{whose[0].upper()}{whose[1:]} are already installed in "
                   f"{display(str(report.path))}; "
                   "nothing changed.")
    else:
        made = "" if report.existed else " (a new file)"
        click.echo(f"Installed {whose} in {display(str(report.path))}{made}:")
        for action in ("added", "updated", "unchanged"):
            if report.events(action):
                click.echo(f"  {action}: {', '.join(report.events(action))}")
    note = hooks_lib.reach_note(agent, scope, root, report.path)
    if note:
        click.echo(note, err=True)
    for other in hooks_lib.status(root):
        if other.agent == agent and other.scope != scope and other.events:
            # (Claude Code runs an identical command once; the project scope's differs
            # from the others', which name this machine's path)
            harmless = agent == "claude" and "project" not in (scope, other.scope)
            twice = ("Claude Code runs an identical command once, so this does no harm"
                     if harmless else
                     f"{hooks_lib.AGENT_NAMES[agent]} runs the hooks of both files, so each "
                     "event would run them twice")
            click.echo(f"Note: they are in the {other.scope} scope too "
                       f"({display(str(other.path))}): "
                       f"{twice}. To keep one: ai-protocols hooks uninstall {agent} "
                       f"--scope {other.scope}", err=not harmless)
    if agent == "codex":
        click.echo(
            "\nCodex runs a hook only once a person has reviewed and trusted it: start "
            "codex, type /hooks and trust the ai-protocols hooks (again after each change "
            "to them); until then Codex skips them without a word."
            + (" Codex loads a project's .codex/hooks.json only in a project it trusts."
               if scope == "project" else "")
            + "\nFor automation: codex --dangerously-bypass-hook-trust ..., or "
            "ai-protocols spawn --runtime codex --trust-hooks -- codex ...")


@hooks.command("uninstall")
@_AGENT
@_SCOPE
@errors_to_exit
def hooks_uninstall(agent: str, scope: str) -> None:
    """Remove the hooks from the agent's settings for --scope.

    Only our hooks go (those running `ai-protocols hook`), with any event list
    or `hooks` object that this leaves empty; everything else stays as it was.
    """
    from ai_protocols.integrations import install as hooks_lib

    report = hooks_lib.uninstall(agent, scope, _hooks_target(agent, scope))
    whose = _whose(agent, scope)
    if not report.existed:
        click.echo(f"{whose[0].upper()}{whose[1:]} are not installed: there is no "
                   f"{display(str(report.path))}; nothing changed.")
    elif not report.written:
        click.echo(f"{whose[0].upper()}{whose[1:]} are not installed in "
                   f"{display(str(report.path))}; "
                   "nothing changed.")
    else:
        click.echo(f"Removed {whose} from {display(str(report.path))}:")
        click.echo(f"  removed: {', '.join(report.events('removed'))}")


@hooks.command("status")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: one object per agent and scope, with the keys agent, "
                   "scope, path, exists, state, events, missing, differing, "
                   "other_events, error.")
@errors_to_exit
def hooks_status(as_json: bool) -> None:
    """Show whether the hooks are installed, per agent and scope.

    Each line: the agent, the scope, the state (installed, out of date,
    not installed, unusable) and the file; then the events holding our hook,
    and what is missing or differs (`hooks install` updates them).
    """
    from ai_protocols.integrations import install as hooks_lib

    rows = hooks_lib.status(_project().root)
    if as_json:
        print_json([row.to_json() for row in rows])
        return
    for row in rows:
        where = display(str(row.path)) + ("" if row.exists else " (no such file)")
        click.echo(f"{row.agent:6} {row.scope:7} {row.state:13} {where}")
        if row.events:
            click.echo(f"    events: {', '.join(row.events)}")
        for label, events in (("missing", row.missing), ("differing", row.differing),
                              ("outside the table", row.other_events)):
            if events and (row.events or row.other_events):
                click.echo(f"    {label}: {', '.join(events)}")
        if row.error:
            click.echo(f"    {display(row.error)}")
    if any(row.agent == "codex" and row.events for row in rows):
        click.echo("Codex runs them only once trusted (/hooks in Codex), which cannot be "
                   "seen from here.")


@hooks.command("plugin-dir")
@errors_to_exit
def hooks_plugin_dir() -> None:
    """Print the folder of the Claude Code plugin with the hooks.

    The plugin holds the same hooks: claude --plugin-dir "$(ai-protocols hooks
    plugin-dir)" runs them without installing anything. Use it or `hooks
    install claude`, not both: Claude Code would run each hook twice.
    """
    from ai_protocols.integrations.install import plugin_dir

    click.echo(plugin_dir())


# -- checkpoint: the work tree kept in git (ai_protocols.git.checkpoint) ------------------------


@cli.group(invoke_without_command=True)
@click_options("checkpoint")
@click.pass_context
@errors_to_exit
def checkpoint(ctx: click.Context, note: str | None) -> None:
    """Keep the whole work tree as a restore point, in git; print it.

    Without a subcommand, records tracked changes and untracked files (not
    ignored ones) as a commit on HEAD under
    refs/ai-protocols/checkpoints/<agent>/<clone>/<n>, through a temporary
    index: your index, HEAD, branch, stash and files stay as they were. Records it in the
    session file when there is one (else says so on stderr). Push and fetch
    them with 'refs/ai-protocols/*:refs/ai-protocols/*' (fetch with --no-prune:
    a pruning fetch deletes those never pushed; docs/checkpoints.md).
    REF: N (this agent's checkpoint N), AGENT/N, AGENT/CLONE/N, the full ref or
    a commit hash.
    """
    from ai_protocols.errors import CHECKPOINT_NEEDS_GIT

    if ctx.invoked_subcommand is not None:
        if note is not None:
            raise click.UsageError("--note goes with 'checkpoint' alone, not with "
                                   f"'checkpoint {ctx.invoked_subcommand}'")
        _refuse_outside_a_project(CHECKPOINT_NEEDS_GIT)
        return
    from ai_protocols.cli.output import print_checkpoint
    from ai_protocols.git.checkpoint import take

    note = text_option("--note", note)
    _refuse_outside_a_project(CHECKPOINT_NEEDS_GIT)
    project = _project()
    print_checkpoint(take(project.root, project.ai_dir, project.path, project.agent_id, note))


@checkpoint.command("list")
@click_options("checkpoint list")
@errors_to_exit
def checkpoint_list(every_agent: bool, as_json: bool) -> None:
    """List this agent's checkpoints (--all: every agent's), oldest first."""
    commands.checkpoint_list(every_agent, as_json, click.echo)


@checkpoint.command("show", cls=_Command)
@click_options("checkpoint show")
@errors_to_exit
def checkpoint_show(ref: str) -> None:
    """Show a checkpoint: what differs from HEAD and from the one before it."""
    commands.checkpoint_show(ref, click.echo)


def _paths(count: int) -> str:
    """``1 path``, ``2 paths``."""
    return counted(count, "path", "paths")


@checkpoint.command("restore", cls=_Command)
@click.argument("ref")
@click.option("--worktree", type=click.Path(), help="The new worktree's folder "
              "(default: beside this one, <folder>-checkpoint-<agent>-<n>).")
@click.option("--branch", help="Put the new worktree on this new branch (default: detached).")
@click.option("--force", is_flag=True, help="Restore into this work tree instead; refused "
              "if it would overwrite work kept nowhere else.")
@errors_to_exit
def checkpoint_restore(ref: str, worktree: str | None, branch: str | None,
                       force: bool) -> None:
    """Put a checkpoint's files back, into a new worktree by default.

    The new worktree's HEAD is the commit the checkpoint was taken on, and its
    files are the checkpoint's, as uncommitted changes (submodules staged at
    its commits: git submodule update --init checks them out). --worktree
    inside this work tree is refused. With --force, each path of this work
    tree is made as the checkpoint has it, HEAD, branch and index left as they
    are; refused, before anything is written, when that would overwrite work
    kept nowhere else (not in HEAD, the index or any checkpoint), or work only
    staged (in the index, in no commit or checkpoint); such files the
    checkpoint does not have are kept. A file that changes while the restore
    runs (a save in an editor) is left as it is, and named. The session files
    are never restored.
    """
    from pathlib import Path

    for option, value in (("--worktree", worktree), ("--branch", branch)):
        if value == "":
            raise click.BadParameter(f"{quoted(value)} is empty: give "
                                     + ("the new worktree's folder" if option == "--worktree"
                                        else "the new branch's name")
                                     + f", or leave {option} out", param_hint=f"'{option}'")
    if force and (worktree is not None or branch is not None):
        raise click.UsageError("--force restores into this work tree: not with --worktree "
                               "or --branch")
    points = commands.checkpoints()
    problem = points.branch_problem(branch) if branch is not None else None
    if problem is not None:
        raise click.BadParameter(f"{quoted(branch)}: {problem}", param_hint="'--branch'")
    point = points.resolve(ref, commands.session_checkpoints)
    done = points.restore(point, worktree=Path(worktree) if worktree else None,
                          branch=branch, in_place=force)
    if force:
        from ai_protocols.lean import shell_quote

        # (the paths listed are git's, from the top the first line names: the commands
        # given for them run there, git -C TOP, wherever they are pasted; issue 14,
        # twenty-first round: a project below the top was told a path from the top)
        top = display(shell_quote(str(done.where)))
        if done.elsewhere is not None:
            taken, head = (c[:12] if c else "no commit" for c in done.elsewhere)
            gone = len(done.committed_removed)
            # (every path the restore leaves, for whatever reason, is said: kept as work
            # kept nowhere else or a submodule's folder, the tool's own, changed meanwhile)
            unrestored = len(done.kept) + len(done.left) + len(done.changed) + \
                len(done.sparse)
            now = "the work tree is now the checkpoint's" if not unrestored else \
                (f"the work tree is now the checkpoint's but for {_paths(unrestored)} "
                 f"named below, left as {'it is' if unrestored == 1 else 'they are'}")
            click.echo(f"Note: checkpoint {display(point.name)} was taken on commit {taken}, "
                       f"not on HEAD ({head}): {now}"
                       + (f", and {_paths(gone)} HEAD has {'was' if gone == 1 else 'were'} "
                          f"removed (committed: git -C {top} checkout HEAD -- PATH gives "
                          "one back, PATH as listed below)"
                          if gone else "") + ".", err=True)
        click.echo(f"Restored checkpoint {display(point.name)} into "
                   f"{display(str(done.where))}: {_paths(len(done.paths))} written or removed",
                   err=True)
        for path in done.paths:
            click.echo(f"  {display(path)}", err=True)
        if done.kept:
            click.echo(f"Kept {_paths(len(done.kept))} that the checkpoint does not have, "
                       "whose work is kept nowhere else (or a submodule's folder):", err=True)
            for path in done.kept:
                click.echo(f"  {display(path)}", err=True)
        if done.left:
            click.echo(f"Left {_paths(len(done.left))} under .ai/ as "
                       f"{'it is' if len(done.left) == 1 else 'they are'} (the tool's "
                       "own files: its scaffold, board, sessions and locks are never "
                       f"restored; git -C {top} checkout {point.commit[:12]} -- PATH takes "
                       "one back, PATH as listed):", err=True)
            for path in done.left:
                click.echo(f"  {display(path)}", err=True)
        if done.sparse:
            click.echo(f"Left {_paths(len(done.sparse))} outside the sparse checkout's "
                       "definition as your index has "
                       f"{'it' if len(done.sparse) == 1 else 'them'} (a restore in place "
                       "never checks out what the sparse checkout leaves out: restore into "
                       "a new worktree for them, or git sparse-checkout add their folder, "
                       "then restore again):", err=True)
            for path in done.sparse:
                click.echo(f"  {display(path)}", err=True)
        if done.changed:
            click.echo(f"Left {_paths(len(done.changed))} as "
                       f"{'it is' if len(done.changed) == 1 else 'they are'}, not restored: "
                       f"{'it' if len(done.changed) == 1 else 'they'} changed after the "
                       "restore checked the work tree (saved in an editor, or written by "
                       "another program, while it ran); look, then run the restore again:",
                       err=True)
            for path in sorted(done.changed):
                click.echo(f"  {display(path)}", err=True)
    else:
        from ai_protocols.lean import shell_quote

        on = f"on the new branch {display(done.branch)}" if done.branch else "detached"
        click.echo(f"Restored checkpoint {display(point.name)} into a new "
                   f"worktree ({on}); remove it with: git worktree remove --force "
                   f"{display(shell_quote(str(done.where)))}", err=True)
        if done.submodules:
            click.echo(f"Its {len(done.submodules)} submodule"
                       f"{'s are' if len(done.submodules) != 1 else ' is'} staged at the "
                       "checkpoint's commits, their folders empty; check them out with: git -C "
                       f"{display(shell_quote(str(done.where)))} submodule update --init "
                       "--recursive", err=True)
        for copy, live, record in done.copies:  # (a second live copy of one session)
            click.echo(f"Note: the new worktree holds a copy of the session file "
                       f"{display(copy)}, whose session is live here ({display(live)}): "
                       "ai-protocols there says where it is and writes nothing into that "
                       "copy (it would make a second live copy of the session); the session "
                       "carries on here (to begin a session of its own there instead: rm -- "
                       f"{display(shell_quote(copy))} {display(shell_quote(record))}, then "
                       "ai-protocols start there)", err=True)
        registered = {path for path, _ in done.submodules}
        for path, commit in done.unpushed:
            new = shell_quote(str(done.where / path))
            here = shell_quote(str(Path(points.top) / path))
            why = ("is on no remote-tracking branch of this checkout's (never pushed?): "
                   "submodule update cannot fetch it from its URL" if path in registered else
                   "is a nested repository's (no .gitmodules entry: no URL to fetch from)")
            # (git -C only once the folder is a repository: else git would run it in
            # the worktree around it)
            click.echo(f"The commit of {display(path)} ({commit[:12]}) {why}; take it "
                       f"from this checkout: if [ -e {display(new)}/.git ]; then git -C "
                       f"{display(new)} fetch -q {display(here)} {commit}; else git clone -q "
                       f"--no-checkout {display(here)} {display(new)}; fi && git -C "
                       f"{display(new)} checkout -q --detach {commit}", err=True)
    print_path(str(done.where))


@checkpoint.command("export", cls=_Command)
@click.argument("ref")
@click.argument("file", type=click.Path())
@errors_to_exit
def checkpoint_export(ref: str, file: str) -> None:
    """Write a checkpoint's files to FILE, a .tar.gz: a portable restore point."""
    from pathlib import Path

    if file == "":
        raise click.BadParameter(f"{quoted(file)} is empty: give the name of the file to write, "
                                 "ending in .tar.gz", param_hint="'FILE'")
    points = commands.checkpoints()
    point = points.resolve(ref, commands.session_checkpoints)
    print_path(str(points.export(point, Path(file))))


for _command in BOARD_COMMANDS:  # task, lock, unlock, locks, check (ai_protocols.cli.board)
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ai-protocols")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
