"""The ``ai-protocols`` console script: the hot commands without click.

Hooks and agents run ``path``, ``log`` and ``show`` many times per session,
and importing click alone costs several times an interpreter's start. So
their plain forms are answered here: ``path`` from the standard library
alone, ``log`` and ``show`` from the library, with their options read by
:func:`parse_options`, which accepts only forms that click reads the same way
(``--name value``, ``--name=value``, flags) and gives up on anything else.
Everything it gives up on, help, usage errors and every other command goes
to the click CLI in :mod:`ai_protocols.cli`, which owns all the messages.
``tests/test_fast_path.py`` checks the tables below against the click
commands and the parser against click's.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    Parsed = dict[str, "str | bool | tuple[str, ...] | None"]

#: How each option of a fast command is read: "flag", "one" value, or "many" values.
LOG_OPTIONS = {
    "--progress": "many", "--decision": "one", "--rationale": "one", "--discovery": "many",
    "--blocker": "many", "--next": "many", "--done": "many", "--summary": "one",
}
SHOW_OPTIONS = {"--json": "flag"}

def parse_options(args: list[str], options: dict[str, str]) -> Parsed | None:
    """``args`` read as click reads them, keyed by option name without dashes, or
    ``None`` when they hold anything but the options in ``options``."""
    parsed: dict[str, object] = {
        name[2:]: () if how == "many" else (False if how == "flag" else None)
        for name, how in options.items()
    }
    rest = list(args)
    while rest:
        name, has_value, value = rest.pop(0).partition("=")
        how = options.get(name)
        if how is None or (how == "flag" and has_value):
            return None
        if how == "flag":
            parsed[name[2:]] = True
            continue
        if not has_value:
            if not rest:
                return None
            value = rest.pop(0)
        key = name[2:]
        parsed[key] = (*parsed[key], value) if how == "many" else value  # type: ignore[misc]
    return parsed  # type: ignore[return-value]


def _log(parsed: Parsed) -> int | None:
    from ai_protocols.cli.output import UsageProblem, log_entries, print_log_report
    from ai_protocols.session.project import Project

    try:
        entries = log_entries(**{("next_" if k == "next" else k): v  # type: ignore[arg-type]
                                 for k, v in parsed.items()})
    except UsageProblem:
        return None  # click says it, with the usage line
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


def _path() -> int:
    from ai_protocols.paths import agent_id_from_env, context_path_text, project_root_text

    print(context_path_text(project_root_text(), agent_id_from_env()))
    return 0


_FAST: dict[str, tuple[dict[str, str], Callable[[Parsed], int | None]]] = {
    "path": ({}, lambda _parsed: _path()),
    "log": (LOG_OPTIONS, _log),
    "show": (SHOW_OPTIONS, _show),
}


def _run_fast(args: list[str]) -> int | None:
    """The exit code of a fast command, or ``None`` to leave it to click."""
    if not args or args[0] not in _FAST:
        return None
    options, command = _FAST[args[0]]
    parsed = parse_options(args[1:], options)
    if parsed is None:
        return None
    from ai_protocols.errors import AiProtocolsError, StorageError

    try:
        return command(parsed)
    except AiProtocolsError as error:  # as the click CLI reports it: Error: ... on stderr
        print(f"Error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return _reader_gone()
    except OSError as error:  # one the library did not expect: still exit 9, no trace
        failure = StorageError(error.filename or "?", error)
        print(f"Error: {failure}", file=sys.stderr)
        return failure.exit_code


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
