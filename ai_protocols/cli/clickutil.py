"""What the click commands share: library errors turned into ``Error: ...`` and their
exit code. Both :mod:`ai_protocols.cli.board` and :mod:`ai_protocols.cli.app` use it
(board cannot import app, which adds board's commands: that would be a cycle)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ai_protocols.cli.output import report_error
from ai_protocols.errors import AiProtocolsError

__all__ = ["errors_to_exit"]

F = TypeVar("F", bound=Callable[..., Any])


def errors_to_exit(func: F) -> F:
    """Library errors (and unexpected ``OSError``) become ``Error: ...`` on stderr and
    their exit code, through the one function the fast path uses too
    (:func:`ai_protocols.cli.output.report_error`); a reader that went away (``| head``)
    ends the command quietly, exit 141, as on the fast path."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            from ai_protocols.cli.output import reader_gone

            raise click.exceptions.Exit(reader_gone()) from None
        except (AiProtocolsError, OSError) as error:
            raise click.exceptions.Exit(report_error(error)) from error

    return wrapper  # type: ignore[return-value]
