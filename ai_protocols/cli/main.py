"""The ``ai-protocols`` console script: the hot commands without click.

Hooks and agents run ``path``, ``log``, ``show``, ``resume``, ``start``,
``wrap-up``, ``status``, ``list`` and the task board's commands (``task add``, ``task
claim``, ``lock``...) many times per session, and importing
click alone costs several times an interpreter's start (``checkpoint`` too is
answered here: it is measured against ``git stash create``). So their plain forms
are answered here (and ``init``, which every set-up runs: docs/performance.md, "The
test suite's time, twentieth round"): ``path`` from the standard library alone, the
others from the library (``init``, ``start``, ``wrap-up``, ``status`` and ``list`` through
:mod:`ai_protocols.cli.commands`, the board's through :mod:`ai_protocols.cli.taskboard`,
as the click commands do), with their options read by
:func:`~ai_protocols.cli.options.scan` (``show`` and ``resume`` through
:func:`~ai_protocols.cli.options.parse_options`), which accepts only forms that click
reads the same way (``--name value``, ``--name=value``, flags) and gives up on
anything else, and on anything it would refuse.
Everything it gives up on, help, usage errors and every other command goes
to the click CLI in :mod:`ai_protocols.cli.app`, which owns all the messages.
Both take their options from one table, :mod:`ai_protocols.cli.options`;
``tests/test_fast_path.py`` checks the parser against click's.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

    Parsed = dict[str, "str | int | bool | tuple[str, ...] | None"]


def _log(args: list[str]) -> int | None:
    """``log``: its options read in order (:func:`~ai_protocols.cli.options.scan`), each
    rationale paired with its decision, then the texts read (``-``, ``@FILE``)."""
    from ai_protocols.cli.options import (
        UsageProblem,
        log_entries,
        log_known,
        read_log_entries,
        scan,
    )

    try:
        read = scan(args, log_known(), strict=True)
        if read is None:
            return None  # click reads it, and says what is wrong
        drafts = log_entries(read[0])
    except UsageProblem:
        return None  # click says it, with the usage line (nothing was read from stdin)
    from ai_protocols.cli.options import task_of
    from ai_protocols.cli.output import print_log_report, print_task_link
    from ai_protocols.session.project import Project

    entries = read_log_entries(drafts)
    project = Project.discover()
    task = task_of(read[0])
    if task is None:
        print_log_report(project.log(*entries))
        return 0
    print_task_link(project, task, entries)
    return 0


def _show(parsed: Parsed) -> int | None:
    from ai_protocols.cli.output import print_json_items, render_session
    from ai_protocols.session.project import Project

    project = Project.discover()
    session = project.show(whole=bool(parsed["all"]), view=True)
    if parsed["json"]:
        print_json_items(session.json_items(as_text=True))
    else:
        print(render_session(session))
    from ai_protocols.cli.commands import warn_replaced

    warn_replaced(project, session)
    return 0


def _resume(parsed: Parsed) -> int | None:
    from ai_protocols.cli.resume_output import print_resume
    from ai_protocols.session.project import Project

    context = Project.discover().resume(max_bytes=parsed["max_bytes"])  # type: ignore[arg-type]
    print_resume(context, bool(parsed["json"]))
    return 0


def _scanned(args: list[str], command: str) -> tuple | None:
    """``command``'s ``args`` read in order by :func:`~ai_protocols.cli.options.scan`
    from the one table of options, or ``None`` to leave the command line to click: a
    form the fast path does not read, or one click must refuse with its usage line."""
    from ai_protocols.cli.options import UsageProblem, known, scan

    try:
        return scan(args, known(command), strict=True)
    except UsageProblem:
        return None  # click says it, with the usage line


def _checkpoint(args: list[str]) -> int | None:
    """``checkpoint [--note TEXT]``, read by :func:`~ai_protocols.cli.options.scan` from
    the one table of options, its text as every text option's
    (:func:`~ai_protocols.cli.options.text_of`: ``--note=TEXT`` as it is, ``--note -``
    standard input, ``--note @FILE`` a file); every other form (a subcommand, help,
    ``--``...) goes to click, which reads it the same way."""
    if args and args[0] in ("list", "show"):
        return _checkpoint_read(args)
    note = None
    if args:  # (checkpoint alone: nothing more to import)
        from ai_protocols.cli.options import text_of

        read = _scanned(args, "checkpoint")
        if read is None:
            return None
        note = text_of(read[0][-1])  # (read first: nothing is taken yet)
    import os

    from ai_protocols.paths import (
        AI_DIR,
        agent_id_from_env,
        context_path_text,
        in_a_project,
        project_root_text,
    )

    if not in_a_project():  # as the click path refuses it (exit 13)
        from pathlib import Path

        from ai_protocols.errors import CHECKPOINT_NEEDS_GIT, NoProject

        raise NoProject(Path(os.path.realpath(os.getcwd())), CHECKPOINT_NEEDS_GIT)
    root = project_root_text()  # as Project.discover() does, without importing it
    from ai_protocols.git.spawn import start_add

    early = start_add(root)  # git hashes the files while the rest is imported
    try:
        from ai_protocols.git.checkpoint import take, warm_record

        agent_id = agent_id_from_env(root=root) or None
        context = context_path_text(root, agent_id)

        def meanwhile() -> None:  # while git hashes the files: what comes next
            import ai_protocols.cli.output
            import ai_protocols.session.transaction  # noqa: F401

            warm_record(context)

        taken = take(root, os.path.join(root, AI_DIR), context, agent_id, note,
                     meanwhile=meanwhile, early=early)
    finally:
        if early is not None:
            early.close()  # (when the checkpoint did not take it over)
    from ai_protocols.cli.output import print_checkpoint

    print_checkpoint(taken)
    return 0


def _checkpoint_read(args: list[str]) -> int | None:
    """``checkpoint list [--all] [--json]`` and ``checkpoint show REF``, read by
    :func:`~ai_protocols.cli.options.parse_command` from the one table of options and
    run by the bodies the click commands run (:mod:`ai_protocols.cli.commands`), after
    the refusal outside a project that the ``checkpoint`` group says first; every other
    form goes to click, and so does a terminal whose encoding is ASCII
    (:func:`_plain_streams`)."""
    name = f"checkpoint {args[0]}"
    if not _plain_streams():
        return None
    from ai_protocols.cli.options import parse_command

    read = parse_command(args[1:], name)
    if read is None:
        return None
    from ai_protocols.cli import commands
    from ai_protocols.cli.output import refuse_outside_a_project
    from ai_protocols.errors import CHECKPOINT_NEEDS_GIT

    refuse_outside_a_project(CHECKPOINT_NEEDS_GIT)  # (as the click group: git init too)

    def echo(text: str, err: bool = False) -> None:  # (as click.echo: a line, flushed)
        print(text, file=sys.stderr if err else sys.stdout, flush=True)

    if args[0] == "list":
        commands.checkpoint_list(bool(read[0]["every_agent"]), bool(read[0]["as_json"]), echo)
    else:
        commands.checkpoint_show(str(read[0]["ref"]), echo)
    return 0


def _path() -> int:
    from ai_protocols.paths import agent_id_from_env, context_path_text, project_root_text

    root = project_root_text()
    print(context_path_text(root, agent_id_from_env(root=root)))
    return 0


def _hook(args: list[str]) -> int | None:
    """``hook EVENT --runtime R``, the option before or after EVENT (``--runtime`` may be
    left out for ``PreToolUse``, which tells the runtime from its payload). A hook must
    never block its agent, and exit status 2 blocks (it erases a prompt): so a command
    line this cannot read exits 1 with a message, and only ``--help`` goes to click.
    A hook that ran ends its process here (:func:`_end_now`)."""
    if any(arg in ("-h", "--help") for arg in args):
        return None
    from ai_protocols.integrations.hooks import main as run

    if len(args) == 3 and args[1] == "--runtime":  # as installed: nothing more to import
        event, parsed = args[0], {"runtime": args[2]}
    elif len(args) == 3 and args[0] == "--runtime":
        event, parsed = args[2], {"runtime": args[1]}
    else:
        from ai_protocols.cli.options import parse_options

        events = [arg for n, arg in enumerate(args) if not arg.startswith("-") and
                  (n == 0 or args[n - 1] != "--runtime")]
        rest = list(args)
        if len(events) == 1:
            rest.remove(events[0])
        event = events[0] if len(events) == 1 else ""
        parsed = parse_options(rest, "hook") if event else None  # type: ignore[assignment]
    if parsed is None or not (parsed["runtime"] or event == "PreToolUse"):
        from ai_protocols.lean import display, quoted

        print("ai-protocols hook: usage: ai-protocols hook EVENT --runtime claude|codex "
              "(PreToolUse: --runtime may be left out, the payload tells it; "
              f"got {display(quoted(' '.join(args)))}); nothing recorded", file=sys.stderr)
        return 1
    _end_now(run(event, str(parsed["runtime"] or "")))


def _end_now(code: int) -> NoReturn:
    """End the process of a command the fast path answered with ``code`` once its output
    is flushed (a reader gone: 1, as the hook says) and the ``atexit`` functions have run
    (the library registers none; a probe or a ``sitecustomize`` may), without the
    interpreter's teardown (``os._exit``): destroying every module and object the library
    made, and a last collection of them all, took a tenth of a SessionStart hook's
    instructions, and 13 % of a ``log``'s, for a process whose files are written,
    fsynced and closed, its locks released with its descriptors, and its git runs
    waited for (docs/performance.md)."""
    import atexit
    import os

    atexit._run_exitfuncs()  # (what the interpreter's ending runs first)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, AttributeError, ValueError):
            code = code or 1
    lost = _LOST[0]
    if lost is not None and not code:  # (a reader gone: 1, as the hook says)
        code = 1 if isinstance(lost, BrokenPipeError) else _finish(code)  # type: ignore[assignment]
    os._exit(code)


def _start(args: list[str]) -> int | None:
    """``start [--title TEXT] [--task ID] [--objective TEXT]``: read in order, as ``log``
    is, for the ``--title`` and ``--objective`` given (their texts may come from stdin
    or a file)."""
    read = _scanned(args, "start")
    if read is None:
        return None
    from ai_protocols.cli import commands

    last = {given.name: given for given in read[0]}  # (each is given once: scan says so)
    task = last.get("--task")
    commands.start(last.get("--title"), task.value if task is not None else None,
                   last.get("--objective"))
    return 0


def _wrap_up(parsed: Parsed) -> int:
    from ai_protocols.cli import commands

    commands.wrap_up(str(parsed["description"]))
    return 0


def _list(parsed: Parsed) -> int:
    from ai_protocols.cli import commands

    commands.list_sessions(parsed["agent"], parsed["runtime"], parsed["since"],  # type: ignore[arg-type]
                           bool(parsed["json"]))
    return 0


def _init(parsed: Parsed) -> int | None:
    """``init [--agents-md]``, its lines printed as ``click.echo`` prints them (each
    flushed); left to click on a terminal whose encoding is ASCII (:func:`_plain_streams`)."""
    if not _plain_streams():
        return None
    from ai_protocols.cli import commands

    for line in commands.init(bool(parsed["agents_md"])):
        print(line, flush=True)
    return 0


def _status(parsed: Parsed) -> int:
    from ai_protocols.cli import commands

    commands.status(bool(parsed["json"]))
    return 0


#: The commands answered here, each with what it does with its parsed options.
_FAST: dict[str, Callable[[Parsed], int | None]] = {
    "path": lambda _parsed: _path(),
    "show": _show,
    "resume": _resume,
    "wrap-up": _wrap_up,
    "list": _list,
    "status": _status,
    "init": _init,
}
#: The commands answered here that read their command line in order themselves.
_IN_ORDER: dict[str, Callable[[list[str]], int | None]] = {"log": _log, "start": _start}


#: The task board's commands answered here (:mod:`ai_protocols.cli.taskboard`), by their
#: words, each with its function there.
_BOARD = {"task add": "task_add", "task list": "task_list", "task show": "task_show",
          "task claim": "task_claim", "task release": "task_release",
          "task done": "task_done", "lock": "lock", "unlock": "unlock", "locks": "locks"}


def _board(args: list[str]) -> int | None:
    """A task board's command (:data:`_BOARD`) as its click command runs it: its words,
    then its positional arguments, then its options, read by
    :func:`~ai_protocols.cli.options.parse_command` from the one table of options, and
    passed to the same function of :mod:`ai_protocols.cli.taskboard` under the same
    keywords; what the board says after the command said after it, its error (if any)
    first, as click says it when the command's context closes. Anything else goes to
    click: help, every usage error (``task done`` with both ``--checkpoint`` and
    ``--checkpoint-ref`` too), a positional argument after an option, and a terminal
    whose encoding is ASCII (``click.echo`` writes UTF-8 there)."""
    words = 2 if args[0] == "task" else 1
    name = " ".join(args[:words])
    if name not in _BOARD or not _plain_streams():
        return None
    from ai_protocols.cli.options import parse_command

    read = parse_command(args[words:], name)
    if read is None:
        return None
    parsed, given = read
    from ai_protocols.cli import taskboard

    if name == "task done" and taskboard.both_checkpoints(
            parsed["take_checkpoint"], parsed["checkpoint_ref"]):  # type: ignore[arg-type]
        return None  # (click's usage error: give one of them)

    def run() -> int:
        if name == "lock":  # read as every text option (- standard input, @FILE a file)
            from ai_protocols.cli.options import text_of

            parsed["reason"] = text_of([g for g in given if g.name == "--reason"][-1])
        getattr(taskboard, _BOARD[name])(**parsed)
        return 0

    try:
        return _guarded(run)
    finally:
        taskboard.finish()


def _plain_streams() -> bool:
    """Whether standard output and error are as ``click.echo`` writes to them: an
    encoding other than ASCII (click writes UTF-8 through one that is)."""
    import codecs

    return all(codecs.lookup(getattr(stream, "encoding", None) or "ascii").name != "ascii"
               for stream in (sys.stdout, sys.stderr))


def _run_fast(args: list[str]) -> int | None:
    """The exit code of a fast command, or ``None`` to leave it to click."""
    if args and args[0] in ("task", "lock", "unlock", "locks"):
        return _board(args)
    if args and args[0] == "hook":
        return _hook(args[1:])
    if args and args[0] == "checkpoint":
        return _guarded(lambda: _checkpoint(args[1:]))
    if not args or (args[0] not in _FAST and args[0] not in _IN_ORDER):
        return None
    parsed: Parsed | None = {}
    if args[0] == "path":
        parsed = {} if len(args) == 1 else None
    elif args[0] not in _IN_ORDER:
        from ai_protocols.cli.options import parse_options

        parsed = parse_options(args[1:], args[0])
    if parsed is None:
        return None
    try:
        if args[0] in _IN_ORDER:
            return _IN_ORDER[args[0]](args[1:])
        return _FAST[args[0]](parsed)
    except BrokenPipeError:
        from ai_protocols.cli.output import reader_gone

        return reader_gone()
    except Exception as error:  # as the click CLI reports it
        from ai_protocols.errors import AiProtocolsError  # (here: `path` needs it not)

        if not isinstance(error, (AiProtocolsError, OSError)):
            raise
        from ai_protocols.cli.output import report_error

        return report_error(error)


def _guarded(command: Callable[[], int | None]) -> int | None:
    """``command``'s exit code, errors reported as the click CLI reports them."""
    from ai_protocols.errors import AiProtocolsError

    try:
        return command()
    except BrokenPipeError:
        from ai_protocols.cli.output import reader_gone

        return reader_gone()
    except (AiProtocolsError, OSError) as error:
        from ai_protocols.cli.output import report_error

        return report_error(error)


#: What writing standard output met first: an ``OSError`` (``EPIPE``: its reader gone;
#: ``ENOSPC``...), ``True`` when it was closed as the command began (``>&-``), or ``None``.
_LOST: list[OSError | bool | None] = [None]


def _guard_stdout() -> None:
    """Standard output made one that never fails a command halfway: a write it refuses
    (a reader gone, a full disk, ``> /dev/full``) is kept in :data:`_LOST` and what
    follows goes to ``/dev/null``, so that the command is carried out whole, and
    :func:`_finish` says so at the end. A closed descriptor 1 (``>&-``) is opened on
    ``/dev/null`` first, so that no file the command opens takes it. The cost: a class
    and two wrappers made, about 0.08 ms a command (docs/performance.md)."""
    import io
    import os

    old = sys.stdout
    if old is None:
        _LOST[0] = True
        fd = os.open(os.devnull, os.O_WRONLY)
        if fd != 1:
            os.dup2(fd, 1)
            os.close(fd)

    class Guarded(io.FileIO):
        def write(self, data: object) -> int:  # type: ignore[override]
            if _LOST[0] is None:
                try:
                    return super().write(data)  # type: ignore[arg-type]
                except OSError as error:
                    _LOST[0] = error
                    os.dup2(os.open(os.devnull, os.O_WRONLY), self.fileno())
            return len(data)  # type: ignore[arg-type]

    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(Guarded(1, "w", closefd=False)),
        encoding=old.encoding if old is not None else "utf-8",
        errors=old.errors if old is not None else "backslashreplace",
        line_buffering=old.line_buffering if old is not None else False)


def _finish(code: object) -> object:
    """The exit code of a command that ended with ``code``, once what it printed is
    written: a reader gone, 141, quietly; standard output that refused a write (or was
    closed) in a command that was carried out, 16
    (:class:`~ai_protocols.errors.OutputLost`), never 9's "nothing was changed"; a
    command that failed keeps its own code."""
    try:  # noqa: SIM105 (contextlib: an import on every call)
        sys.stdout.flush()
    except (OSError, ValueError):  # (a write refused is kept in _LOST)
        pass
    lost = _LOST[0]
    if lost is None or code not in (0, None):
        return code
    if isinstance(lost, BrokenPipeError):
        from ai_protocols.cli.output import READER_GONE

        return READER_GONE
    from ai_protocols.cli.output import output_lost

    return output_lost(lost if isinstance(lost, OSError) else None, sys.argv[1:])


def main(*, end: bool = False) -> None:
    """Console-script entry point. ``end``: the process is this command's own (the
    ``ai-protocols`` script): without the cyclic garbage collector, as a hook's (its
    collections walked the library's thousands of functions and classes just imported,
    3 M instructions of a ``start``, to find a few dozen objects in cycles; the biggest
    rows of ``scripts/bench`` make at most 200 such objects, and peak as high without
    it: docs/performance.md, issue 16, twenty-third round), and a command the fast
    path answered ends the process at once (:func:`_end_now`) rather than returning
    through ``SystemExit``."""
    if end:
        import gc

        gc.disable()
    _guard_stdout()
    import os

    from ai_protocols.paths import git_places_absolute

    os.environ.update(git_places_absolute(os.environ))  # (git runs in the project's top)
    code = _run_fast(sys.argv[1:])
    if code is not None:
        if end:
            _end_now(_finish(code))  # type: ignore[arg-type]
        sys.exit(_finish(code))
    from ai_protocols.cli.app import main as cli

    try:
        cli()
    except SystemExit as done:
        sys.exit(_finish(done.code))
