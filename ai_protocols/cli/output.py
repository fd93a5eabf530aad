"""What the commands print, shared by the fast path and the click CLI.

Agents and hooks run ``path``, ``log``, ``show`` and ``resume`` all session long, so the
console script answers their common forms without importing click (see
:mod:`ai_protocols.cli.main`); the click commands in :mod:`ai_protocols.cli.app`
call the same functions, so both paths print the same bytes and exit codes.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime

from ai_protocols.session.model import SECTION_KINDS, Session

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import LogReport
    from ai_protocols.session.resume import ResumeContext

__all__ = ["display", "print_json", "print_log_report", "print_resume", "render_session",
           "report_error"]

#: Unicode general categories that a terminal does not show as a glyph of their own:
#: controls (Cc: C0, DEL, C1, among them ESC), formats (Cf: the bidirectional overrides
#: and isolates U+202A-202E and U+2066-2069, zero-width characters, the byte-order mark,
#: tag characters), lone surrogates (Cs: bytes that were not UTF-8), private use (Co),
#: unassigned code points (Cn), and line and paragraph separators (Zl, Zp). Source: the
#: Unicode Standard, chapter 4.5 "General Category", and Unicode Technical Report #36
#: "Unicode Security Considerations" 2.4 (bidirectional text spoofing).
_UNSHOWN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Letters and marks that are drawn as nothing (UTR #36 and Unicode's "default
#: ignorable" list): the Hangul fillers and the combining grapheme joiner.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): the byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def display(text: str, *, lines: bool = False) -> str:
    """``text`` as it may be printed to a terminal: every character that a terminal
    would not show as itself (a control character such as ESC, a right-to-left override
    or any other format character, a zero-width or otherwise invisible character, a
    byte that was not UTF-8) becomes a backslash escape, ``\\u202e``, ``\\x1b``, ``\\t``,
    ``\\n``, so that nothing printed can reorder, recolour or hide the rest of the line.
    With ``lines``, newlines stay (a block of several lines). Human output only: JSON
    and ``path`` print the exact text."""
    if text.isascii():
        if text.isprintable() or (lines and text.replace("\n", "").isprintable()):
            return text  # the common case: no lookup
        keep = "\n" if lines else ""
        return "".join(ch if " " <= ch < "\x7f" or ch == keep else _escape(ch)
                       for ch in text)
    import unicodedata

    return "".join(
        ch if (lines and ch == "\n") or (
            ch not in _INVISIBLE and unicodedata.category(ch) not in _UNSHOWN)
        else _escape(ch) for ch in text)


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
    print(display(message), file=sys.stderr)
    return error.exit_code  # type: ignore[attr-defined]


def print_log_report(report: LogReport) -> None:
    for line in report.said:
        print(f"logged {display(line)}")
    if report.pending is not None and report.emacs_lock is not None:
        print(f"Note: the session file has unsaved changes in Emacs (lock held by "
              f"{display(report.emacs_lock.owner)}), so it was not rewritten: the entries "
              f"wait in {display(str(report.pending))} and are folded in at the first write "
              "after it is saved.",
              file=sys.stderr)


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
    """The human form of a session, as ``show`` and ``start`` print it (every text from
    the file through :func:`display`)."""
    def one(text: str | None, default: str) -> str:
        return display(text) if text else default

    out = [
        f"Session: {one(session.title, '(untitled)')}",
        f"  path:     {display(str(session.path))}",
        f"  agent id: {one(session.agent_id, '(none)')}   host: {one(session.host, '?')}",
        f"  status:   {one(session.status, '?')}",
        f"  started:  {_stamp(session.started)}   last updated: {_stamp(session.updated)}",
    ]
    if session.ended:
        out.append(f"  ended:    {_stamp(session.ended)}   {one(session.description, '')}")

    def block(text: str, indent: str) -> str:
        import textwrap

        return textwrap.indent(display(text, lines=True), indent).lstrip()

    out.append("Summary:")
    out.append(f"  {block(session.summary, '  ')}" if session.summary else "  (none)")
    for title, entries in ((k.title, session.items(k.kind)) for k in SECTION_KINDS):
        out.append(f"{title}:")
        if not entries:
            out.append("  (none)")
        for entry in entries:
            mark = "" if entry.done is None else ("[X] " if entry.done else "[ ] ")
            when = _stamp(entry.time)
            if entry.time and entry.stamp and not re.search(r"[0-9]:[0-9]", entry.stamp):
                when = f"{when[:10]}      "  # a date alone, as C-c ! writes it
            out.append(f"  {mark}{when}  {block(entry.text, '      ')}")
            if entry.rationale is not None:
                out.append(f"      rationale: {block(entry.rationale, '        ')}")
    if session.pending:
        out.append("Waiting until the Emacs buffer is saved:")
        for waiting in session.pending:
            out.append(f"  {display(waiting.kind)}: {block(waiting.text, '    ')}")
    return "\n".join(out)
