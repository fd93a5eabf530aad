"""The ``ai-protocols`` command: a thin click layer over :class:`ai_protocols.Project`.

Each command opens the project and calls one method. Library errors become
``Error: ...`` on stderr with the error's documented exit code; nothing else
here knows about files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import click

from ai_protocols import __version__
from ai_protocols.cli.options import UsageProblem, click_options, log_entries
from ai_protocols.cli.output import (
    print_json,
    print_log_report,
    print_resume,
    render_session,
    report_error,
)
from ai_protocols.errors import AiProtocolsError
from ai_protocols.session.project import Project

F = TypeVar("F", bound=Callable[..., Any])


def _errors_to_exit(func: F) -> F:
    """Library errors (and unexpected ``OSError``) become ``Error: ...`` on stderr and
    their exit code, through the one function the fast path uses too."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # the reader went away (`| head`): click exits quietly
            raise
        except (AiProtocolsError, OSError) as error:
            raise click.exceptions.Exit(report_error(error)) from error

    return wrapper  # type: ignore[return-value]


def _project() -> Project:
    return Project.discover()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    8 lock timeout, 9 file system refused, 10 being edited in Emacs,
    11 recovery refused, 12 symbolic link refused.
    """


@cli.command()
@_errors_to_exit
def path() -> None:
    """Print the session-context path for the current AI_AGENT_ID.

    The same answer as .ai/scripts/session-context-path, on every call.
    """
    click.echo(_project().path)


@cli.command("agent-id")
@click.option("--runtime", required=True, help="The agent program, e.g. claude or codex.")
@_errors_to_exit
def agent_id(runtime: str) -> None:
    """Print a fresh AI_AGENT_ID: host.project.runtime.<epoch>.

    For spawners: set it in the agent's environment for the whole run.
    Two calls never print the same id for one project, even in one second.
    Run it in the project (a folder holding .ai/, or a git work tree), or
    set AI_PROJECT_ROOT: outside any, it is refused (exit 4).
    """
    import os

    from ai_protocols.errors import NoProject
    from ai_protocols.identity import mint_agent_id
    from ai_protocols.paths import in_a_project

    project = _project()
    if not in_a_project():  # the id would name a folder that is no project, and leave .ai/ there
        raise NoProject(os.path.realpath(os.getcwd()))
    click.echo(mint_agent_id(runtime, project.root))


@cli.command()
@_errors_to_exit
def init() -> None:
    """Install .ai/ into this project: the resolver, the protocol, the folders.

    Safe to run again: a file you have changed is never overwritten.
    """
    from ai_protocols.scaffold import init_project

    for action in init_project(_project().root):
        click.echo(f"{action.action}: {action.path}")


@cli.command()
@click.option("--title", help="A one-line title for a new session.")
@_errors_to_exit
def start(title: str | None) -> None:
    """Start a session, or pick up the one that did not wrap up.

    Creates the session-context file when there is none. When one is there,
    it is never overwritten: the previous session did not wrap up, and what
    it holds is printed so that you can carry on from it. When git removed
    it (git clean, git stash -u, git checkout), it is brought back from the
    copy kept in .ai/.locks/live/, with every entry logged to it.
    """
    report = _project().start(title)
    if title is not None and not report.fresh:
        click.echo("Note: --title was not used: the session already has its title.", err=True)
    if report.reused_id_warning:
        click.echo(f"Warning: {report.reused_id_warning}", err=True)
    if report.restored_from:
        click.echo(f"Brought back {report.path}: it was removed, and not by ai-protocols "
                   "(git clean, git stash -u or git checkout?); its last version, with every "
                   f"entry logged to it, was kept in {report.restored_from}.")
    if report.finished_archive:
        click.echo(f"Finished an interrupted wrap-up: archived {report.finished_archive}")
    state = report.state
    if report.fresh:
        click.echo(f"Started a fresh session: {report.path}")
    elif state is not None and state.state == "mine":
        click.echo(f"This session already started: {report.path}\n")
        click.echo(render_session(report.session))
    elif state is not None and not report.took_over:
        click.echo(
            f"Warning: {report.path} may be in use by another agent ({state.state}: "
            f"{state.evidence}): two agents would write one file. Give each run its own "
            "AI_AGENT_ID, or recover the file once you are sure its agent is gone.",
            err=True,
        )
        click.echo(render_session(report.session))
    else:
        evidence = f" ({state.state}: {state.evidence})" if state else ""
        click.echo(
            f"The previous session did not wrap up{evidence}: its session context is "
            f"still at {report.path}.\nCarry on from it; log as you go and wrap it up "
            "when done.\n"
        )
        click.echo(render_session(report.session))
    if report.others:
        click.echo("\nOther agents' sessions that need recovering:")
        for session, live in report.others:
            target = session.agent_id or str(session.path)
            click.echo(f"  {target}: {live.state} ({live.evidence})")
            if session.summary:
                click.echo(f"    summary: {session.summary}")
            if live.state != "wrapped-up":
                click.echo(f"    take it over: ai-protocols recover {target} --adopt")
            click.echo(f"    archive it: ai-protocols recover {target} --archive")


@cli.command()
@click_options("log")
@_errors_to_exit
def log(**options: Any) -> None:
    """Record entries in the session context, each stamped with the time.

    Several options in one call are written together, in one locked,
    atomic write.
    """
    try:
        entries = log_entries(options)
    except UsageProblem as problem:
        raise click.UsageError(str(problem)) from None
    print_log_report(_project().log(*entries))


@cli.command()
@click_options("show")
@_errors_to_exit
def show(json: bool) -> None:
    """Print the current session: summary, progress, next steps, blockers..."""
    session = _project().show()
    if json:
        print_json(session.to_json())
    else:
        print(render_session(session))


@cli.command()
@click_options("resume")
@_errors_to_exit
def resume(json: bool, max_bytes: int) -> None:
    """Print what this agent needs to carry on, within --max-bytes.

    In this order: the summary, the step in progress, open next steps, open
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
@click.argument("description")
@_errors_to_exit
def wrap_up(description: str) -> None:
    """Close the session and archive it under .ai/sessions/; print the archive.

    The archive is named YYYY-MM-DD-HH-MM[-<id>]-<description>.org, the
    description made into a lower-case slug. The next start is fresh.
    """
    click.echo(_project().wrap_up(description))


@cli.command("list")
@click.option("--agent", help="Only sessions of this AI_AGENT_ID.")
@click.option("--runtime", help="Only sessions whose id has this runtime (its third part).")
@click.option("--since", help="Only sessions active since: 2026-11-01, '2026-11-01 10:00', 3h, 2d.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/cli.md).")
@_errors_to_exit
def list_(agent: str | None, runtime: str | None, since: str | None, as_json: bool) -> None:
    """List live session contexts and archived sessions, newest first.

    With --json, prints a JSON array with one compact object per line.
    Archived sessions are read through a per-machine cache,
    .ai/.locks/sessions.index, whose rows are used only while each archive's
    size and mtime are unchanged; deleting it is always safe.
    """
    from ai_protocols.cli.since import parse_since

    moment = parse_since(since) if since else None
    if as_json:  # (in pieces of bytes: 100,000 rows are tens of megabytes)
        pieces = _project().list_json(agent=agent, runtime=runtime, since=moment)
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stdout, such as a StringIO
            click.echo(b"".join(pieces).decode("utf-8", "surrogateescape"), nl=False)
            return
        sys.stdout.flush()
        binary.writelines(pieces)
        binary.flush()
        return
    rows = _project().list_sessions(agent=agent, runtime=runtime, since=moment)
    for row in rows:
        when = row.latest.strftime("%Y-%m-%d %H:%M") if row.latest != datetime.min else "?"
        label = row.description or row.title or ""
        click.echo(f"{when}  {row.kind:8}  {row.status or '?':10}  "
                   f"{row.agent_id or '-'}  {label}\n    {row.path}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/cli.md).")
@_errors_to_exit
def status(as_json: bool) -> None:
    """Show every session-context file: live, crashed, abandoned or unknown.

    Each state comes with the evidence that decided it: the spawner's lease,
    the owning process recorded at start, or the time of the last update
    (AI_PROTOCOLS_STALE_HOURS). The current agent's own file is marked *.
    """
    rows = _project().status()
    if as_json:
        print_json([row.to_json() for row in rows])
        return
    for row in rows:
        age = row.age
        ago = f"{int(age.total_seconds() // 60)} min ago" if age is not None else "?"
        mark = "*" if row.mine else " "
        click.echo(f"{mark} {row.liveness.state:10} {row.agent_id or '(no id)'}  "
                   f"updated {ago}\n    {row.liveness.evidence}")
        if row.summary:
            click.echo(f"    summary: {row.summary}")
        click.echo(f"    {row.path}")


@cli.command()
@click.argument("target", metavar="ID")
@click.option("--adopt", is_flag=True,
              help="Carry its whole history on in this agent's session file.")
@click.option("--archive", is_flag=True,
              help="Archive it under .ai/sessions/ with status crashed.")
@click.option("--force", is_flag=True, help="Even if it may still be at work (live, unknown).")
@_errors_to_exit
def recover(target: str, adopt: bool, archive: bool, force: bool) -> None:
    """Take over or archive another agent's crashed or abandoned session.

    ID is that agent's AI_AGENT_ID (or the path of its session file), as
    start and status show it. Prints the file the session now lives in.
    """
    if adopt == archive:
        raise click.UsageError("give one of --adopt or --archive")
    click.echo(_project().recover(target, adopt=adopt, force=force))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--runtime", required=True, help="The agent program, e.g. claude or codex.")
@click.option("--trust-hooks", is_flag=True,
              help="Codex only: run its hooks without the per-hook trust review "
                   "(--dangerously-bypass-hook-trust), for automation.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@_errors_to_exit
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
            raise click.UsageError(f"--trust-hooks applies to Codex only, not {command[0]!r}")
        command = (command[0], CODEX_TRUST_HOOKS, *command[1:])
    sys.exit(run_agent(_project().root, runtime, command))


@cli.command()
@click.argument("event")
@click_options("hook")
def hook(event: str, runtime: str | None) -> None:
    """Run the agent hook for EVENT, reading its JSON payload on stdin.

    EVENT is one of SessionStart, UserPromptSubmit, PreCompact, Stop,
    SessionEnd. Installed by 'ai-protocols hooks install'; what each event
    does is in docs/agents.md. It never blocks the agent: a failure prints one
    line on stderr and exits 1; a project without .ai/ is left alone.
    """
    from ai_protocols.integrations.hooks import main as run

    sys.exit(run(event, runtime or ""))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ai-protocols")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
