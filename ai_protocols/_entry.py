"""The ``ai-protocols`` console script.

``ai-protocols path`` is the Python twin of the sh resolver, and hooks run it
on every prompt: it is answered here from the standard library alone, in a
few milliseconds. Every other command goes to the click CLI.
"""

from __future__ import annotations

import sys


def _path() -> int:
    from ai_protocols._errors import AiProtocolsError
    from ai_protocols._paths import agent_id_from_env, context_path_text, project_root_text

    try:
        print(context_path_text(project_root_text(), agent_id_from_env()))
    except AiProtocolsError as error:  # as the CLI reports it: Error: ... on stderr
        print(f"Error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["path"]:
        sys.exit(_path())
    from ai_protocols.cli import main as cli

    cli()
