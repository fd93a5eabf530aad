"""What the commands print, shared by the fast path and the click CLI.

Agents and hooks run ``path``, ``log``, ``show`` and ``resume`` all session long, so the
console script answers their common forms without importing click (see
:mod:`ai_protocols.cli.main`); the click commands in :mod:`ai_protocols.cli.app`
call the same functions, so both paths print the same bytes and exit codes.
"""

from __future__ import annotations

import sys
import textwrap
from datetime import datetime

from ai_protocols.session.model import SECTION_KINDS, Session

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.git.checkpoint import Taken
    from ai_protocols.session.project import LogReport
    from ai_protocols.session.resume import ResumeContext

__all__ = ["print_checkpoint", "print_json", "print_log_report", "print_resume",
           "render_session", "report_error"]


def report_error(error: BaseException) -> int:
    """Print a library error (or an ``OSError`` the library did not expect, as a
    :class:`~ai_protocols.errors.StorageError`) as ``Error: ...`` on stderr, and
    return its documented exit code. Both the fast path and the click CLI call it."""
    from ai_protocols.errors import AiProtocolsError, StorageError

    if not isinstance(error, AiProtocolsError):
        error = StorageError(getattr(error, "filename", None) or "?", error)  # type: ignore[arg-type]
    message = f"Error: {error}"
    if not sys.stderr.isatty():  # as click.echo does: no terminal escapes into a file
        import re

        message = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", message)
    print(message, file=sys.stderr)
    return error.exit_code  # type: ignore[attr-defined]


def print_log_report(report: LogReport) -> None:
    for line in report.said:
        print(f"logged {line}")
    if report.pending is not None and report.emacs_lock is not None:
        print(f"Note: the session file has unsaved changes in Emacs (lock held by "
              f"{report.emacs_lock.owner}), so it was not rewritten: the entries wait in "
              f"{report.pending} and are folded in at the first write after it is saved.",
              file=sys.stderr)


def print_checkpoint(taken: Taken) -> None:
    """What ``checkpoint`` prints: the checkpoint on stdout, and on stderr why it was not
    recorded in a session when it was not."""
    point = taken.checkpoint
    said = "file" if point.files == 1 else "files"
    note = f" ({point.note.splitlines()[0]})" if point.note else ""
    print(f"Checkpoint {point.number} {point.short}: {point.files} {said} uncommitted{note}")
    print(f"  ref: {point.ref}")
    if taken.session is not None:
        print(f"  recorded in: {taken.session}")
    else:
        sys.stdout.flush()
        print(f"Note: the checkpoint was taken but not recorded in a session: "
              f"{taken.not_recorded}", file=sys.stderr)


def print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_resume(context: ResumeContext, as_json: bool) -> None:
    """The resume context as text, or as JSON on one line: the bytes its bound counts."""
    if as_json:
        from ai_protocols.session.resume import dumps

        sys.stdout.write(dumps(context.to_json()) + "\n")
    else:
        sys.stdout.write(context.to_text())


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def render_session(session: Session) -> str:
    """The human form of a session, as ``show`` and ``start`` print it."""
    out = [
        f"Session: {session.title or '(untitled)'}",
        f"  path:     {session.path}",
        f"  agent id: {session.agent_id or '(none)'}   host: {session.host or '?'}",
        f"  status:   {session.status or '?'}",
        f"  started:  {_stamp(session.started)}   last updated: {_stamp(session.updated)}",
    ]
    if session.ended:
        out.append(f"  ended:    {_stamp(session.ended)}   {session.description or ''}")
    if session.checkpoint:
        commit = (session.checkpoint_commit or "?")[:12]
        out.append(f"  checkpoint: {session.checkpoint} ({commit}, "
                   f"{session.checkpoint_files} uncommitted)")

    def block(text: str, indent: str) -> str:
        return textwrap.indent(text, indent).lstrip()

    out.append("Summary:")
    out.append(f"  {block(session.summary, '  ')}" if session.summary else "  (none)")
    for title, entries in ((k.title, session.items(k.kind)) for k in SECTION_KINDS):
        out.append(f"{title}:")
        if not entries:
            out.append("  (none)")
        for entry in entries:
            mark = "" if entry.done is None else ("[X] " if entry.done else "[ ] ")
            out.append(f"  {mark}{_stamp(entry.time)}  {block(entry.text, '      ')}")
            if entry.rationale is not None:
                out.append(f"      rationale: {block(entry.rationale, '        ')}")
    if session.pending:
        out.append("Waiting until the Emacs buffer is saved:")
        for waiting in session.pending:
            out.append(f"  {waiting.kind}: {block(waiting.text, '    ')}")
    return "\n".join(out)
