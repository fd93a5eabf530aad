"""What ``log`` and ``show`` take and print, without click.

Agents and hooks run these two commands all session long, so the console
script answers their common forms without importing click (see
:mod:`ai_protocols.cli.main`); the click commands in :mod:`ai_protocols.cli`
call the same functions, so both paths print the same bytes.
"""

from __future__ import annotations

import sys
import textwrap
from datetime import datetime

from ai_protocols.session.layout import LogEntry, Session

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import LogReport

__all__ = ["UsageProblem", "log_entries", "print_json", "print_log_report", "render_session"]


class UsageProblem(ValueError):
    """Options that cannot go together; the CLI shows it as a usage error (exit 2)."""


def log_entries(*, progress: tuple[str, ...] = (), decision: str | None = None,
                rationale: str | None = None, discovery: tuple[str, ...] = (),
                blocker: tuple[str, ...] = (), next_: tuple[str, ...] = (),
                done: tuple[str, ...] = (), summary: str | None = None) -> list[LogEntry]:
    """The entries ``log``'s options ask for, in the order they are written."""
    if rationale is not None and decision is None:
        raise UsageProblem("--rationale goes with --decision")
    entries = [LogEntry("progress", t) for t in progress]
    if decision is not None:
        entries.append(LogEntry("decision", decision, rationale))
    entries += [LogEntry("discovery", t) for t in discovery]
    entries += [LogEntry("blocker", t) for t in blocker]
    entries += [LogEntry("next", t) for t in next_]
    entries += [LogEntry("done", t) for t in done]
    if summary is not None:
        entries.append(LogEntry("summary", summary))
    if not entries:
        raise UsageProblem("give at least one of --progress, --decision, --discovery, "
                           "--blocker, --next, --done, --summary")
    return entries


def print_log_report(report: LogReport) -> None:
    for line in report.said:
        print(f"logged {line}")
    if report.pending is not None and report.emacs_lock is not None:
        print(f"Note: the session file has unsaved changes in Emacs (lock held by "
              f"{report.emacs_lock.owner}), so it was not rewritten: the entries wait in "
              f"{report.pending} and are folded in at the first write after it is saved.",
              file=sys.stderr)


def print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


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

    def block(text: str, indent: str) -> str:
        return textwrap.indent(text, indent).lstrip()

    out.append("Summary:")
    out.append(f"  {block(session.summary, '  ')}" if session.summary else "  (none)")
    for title, entries in (("Progress", session.progress), ("Next steps", session.next_steps),
                           ("Blockers", session.blockers), ("Decisions", session.decisions),
                           ("Discoveries", session.discoveries)):
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
