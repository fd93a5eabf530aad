"""What ``resume`` prints, shared by the fast path and the click CLI: a module of its
own, so that ``resume``, which agents and hooks run at every start, loads none of the
other commands' output (:mod:`ai_protocols.cli.output`; docs/decisions.md,
"Twenty-seventh round: fewer modules on the hot paths").
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.resume import ResumeContext

__all__ = ["print_resume"]


def print_resume(context: ResumeContext, as_json: bool) -> None:
    """The resume context as text, or as JSON on one line: the bytes its bound counts.
    Outside any project, :class:`~ai_protocols.errors.NoProject` instead
    (:func:`~ai_protocols.cli.output.refuse_outside_a_project`)."""
    if context.session is None and not context.removed:
        from ai_protocols.cli.output import refuse_outside_a_project

        refuse_outside_a_project()
    if as_json:
        from ai_protocols.session.resume import dumps

        sys.stdout.write(dumps(context.to_json()) + "\n")
    else:
        sys.stdout.write(context.to_text())
