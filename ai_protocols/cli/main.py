"""The ``ai-protocols`` console script: the hot commands without click.

Hooks and agents run ``path``, ``log``, ``show``, ``resume``, ``start``,
``wrap-up``, ``status`` and ``list`` many times per session, and importing
click alone costs several times an interpreter's start. So their plain forms
are answered here: ``path`` from the standard library alone, the others from
the library (``start``, ``wrap-up``, ``status`` and ``list`` through
:mod:`ai_protocols.cli.commands`, as the click commands do), with their options read by
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
    from ai_protocols.cli.output import print_log_report
    from ai_protocols.session.project import Project

    entries = read_log_entries(drafts)
    print_log_report(Project.discover().log(*entries))
    return 0


def _show(parsed: Parsed) -> int | None:
    from ai_protocols.cli.output import print_json, render_session
    from ai_protocols.session.project import Project

    session = Project.discover().show()
    if parsed["json"]:
        print_json(session.to_json())
    else:
        print(render_session(session))
    return 0


def _resume(parsed: Parsed) -> int | None:
    from ai_protocols.cli.output import print_resume
    from ai_protocols.session.project import Project

    context = Project.discover().resume(max_bytes=parsed["max_bytes"])  # type: ignore[arg-type]
    print_resume(context, bool(parsed["json"]))
    return 0


def _path() -> int:
    from ai_protocols.paths import agent_id_from_env, context_path_text, project_root_text

    root = project_root_text()
    print(context_path_text(root, agent_id_from_env(root=root)))
    return 0


def _hook(args: list[str]) -> int | None:
    """``hook EVENT --runtime R``. A hook must never block its agent, and exit status 2
    blocks (it erases a prompt): so a command line this cannot read exits 1 with a
    message, and only ``--help`` goes to click."""
    if any(arg in ("-h", "--help") for arg in args):
        return None
    from ai_protocols.integrations.hooks import main as run

    if len(args) == 3 and args[1] == "--runtime":  # as installed: nothing more to import
        parsed: Parsed | None = {"runtime": args[2]}
    else:
        from ai_protocols.cli.options import parse_options

        parsed = parse_options(args[1:], "hook") if args else None
    if parsed is None or not parsed["runtime"]:
        print("ai-protocols hook: usage: ai-protocols hook EVENT --runtime claude|codex "
              f"(got {' '.join(args)!r}); nothing recorded", file=sys.stderr)
        return 1
    return run(args[0], str(parsed["runtime"]))


def _start(args: list[str]) -> int | None:
    """``start [--title TEXT]``: read in order, as ``log`` is, for the ``--title`` given
    (its text may come from stdin or a file)."""
    from ai_protocols.cli.options import UsageProblem, known, scan

    try:
        read = scan(args, known("start"), strict=True)
    except UsageProblem:
        return None  # click says it, with the usage line
    if read is None:
        return None
    from ai_protocols.cli import commands

    commands.start(read[0][-1] if read[0] else None)
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
}
#: The commands answered here that read their command line in order themselves.
_IN_ORDER: dict[str, Callable[[list[str]], int | None]] = {"log": _log, "start": _start}


def _run_fast(args: list[str]) -> int | None:
    """The exit code of a fast command, or ``None`` to leave it to click."""
    if args and args[0] == "hook":
        return _hook(args[1:])
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
    from ai_protocols.errors import AiProtocolsError

    try:
        if args[0] in _IN_ORDER:
            return _IN_ORDER[args[0]](args[1:])
        return _FAST[args[0]](parsed)
    except BrokenPipeError:
        return _reader_gone()
    except (AiProtocolsError, OSError) as error:  # as the click CLI reports it
        from ai_protocols.cli.output import report_error

        return report_error(error)


def _reader_gone() -> int:
    """The reader of stdout went away (``| head``): leave quietly, as click does."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def main() -> None:
    """Console-script entry point."""
    code = _run_fast(sys.argv[1:])
    if code is not None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            code = _reader_gone()
        sys.exit(code)
    from ai_protocols.cli.app import main as cli

    cli()
