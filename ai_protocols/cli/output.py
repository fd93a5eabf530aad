"""What the commands print, shared by the fast path and the click CLI.

Agents and hooks run ``path``, ``log``, ``show`` and ``resume`` all session long, so the
console script answers their common forms without importing click (see
:mod:`ai_protocols.cli.main`); the click commands in :mod:`ai_protocols.cli.app`
call the same functions, so both paths print the same bytes and exit codes.
"""

from __future__ import annotations

import sys

from ai_protocols.lean import counted, datetime, display
from ai_protocols.session.model import (
    ITEM_SEPARATOR,
    OBJECT_SEPARATOR,
    SECTION_KINDS,
    EarlierEntries,
    FlatObjects,
    ObjectBatches,
    ObjectTexts,
    Session,
    moved_count,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_protocols.git.checkpoint import Taken
    from ai_protocols.session.project import LogReport

__all__ = [
    "CHANGES_NOTHING",
    "READER_GONE",
    "changes_nothing",
    "display",
    "drop_stdout",
    "json_pieces",
    "output_lost",
    "print_checkpoint",
    "print_json",
    "print_json_items",
    "print_log_report",
    "print_path",
    "print_task_link",
    "reader_gone",
    "refuse_outside_a_project",
    "render_session",
    "report_error",
]

def print_path(text: str) -> None:
    """Print the path ``text`` alone on a line of stdout, for machines (``$(ai-protocols
    ...)``), as it is: its bytes (a name that was not UTF-8 as it was on disk), never
    :func:`display`'s escapes, which are for the human text around it on stderr. The one
    way a command prints a path on stdout (docs/decisions.md, "Issue 14, sixth
    review")."""
    import os

    sys.stdout.flush()
    sys.stdout.buffer.write(os.fsencode(text) + b"\n")
    sys.stdout.buffer.flush()


def report_error(error: BaseException) -> int:
    """Print a library error (or an ``OSError`` the library did not expect, as a
    :class:`~ai_protocols.errors.StorageError`) as ``Error: ...`` on stderr, and
    return its documented exit code. Both the fast path and the click CLI call it."""
    from ai_protocols.errors import AiProtocolsError, NoSession, StorageError

    if not isinstance(error, AiProtocolsError):
        error = StorageError(getattr(error, "filename", None), error)  # type: ignore[arg-type]
    elif type(error) is NoSession:  # (its subclasses say where the file went)
        error = _no_project_instead(error)
    # (str(error) is escaped once, by display's one rule: an ESC the user typed shows
    # as \x1b, never dropped and never sent to the terminal)
    print(f"Error: {error}", file=sys.stderr)
    return error.exit_code  # type: ignore[attr-defined]


def _no_project_instead(error: BaseException) -> BaseException:
    """:class:`~ai_protocols.errors.NoProject` (exit 13, "run 'ai-protocols init'") for a
    missing session file when the working directory is in no project
    (:func:`refuse_outside_a_project`); ``error`` itself otherwise."""
    from ai_protocols.errors import NoProject

    try:
        refuse_outside_a_project()
    except NoProject as outside:
        return outside
    return error


def refuse_outside_a_project(needs: str | None = None) -> None:
    """Raise :class:`~ai_protocols.errors.NoProject` (exit 13, "run 'ai-protocols init'")
    when the working directory is in no project (:func:`~ai_protocols.paths.in_a_project`:
    no ``AI_PROJECT_ROOT``, no folder holding ``.ai/`` or ``.git`` from here up): there,
    advice to run ``start`` would lead to ``start``'s own refusal. The commands call it
    only when they found no session, so none pays for the search otherwise
    (docs/decisions.md, issue 16, fourteenth round). ``needs``: what the command needs
    git for (``checkpoint``, ``check``): the advice is then ``git init`` and ``init``."""
    import os

    from ai_protocols.errors import NoProject
    from ai_protocols.paths import in_a_project

    if not in_a_project():
        raise NoProject(os.path.realpath(os.getcwd()), needs)  # type: ignore[arg-type]


def print_log_report(report: LogReport) -> None:
    for line in report.said:
        print(f"logged {display(line)}")
    if report.moved:  # (issue 14: the evidence of a roll back, kept in the Log)
        note = f"; {report.moved_note}" if report.moved_note else ""
        print(f"Warning: HEAD moved {display(report.moved.partition(': ')[2])} since this "
              f"session's last write; its Log keeps where it was{note}.", file=sys.stderr)
    if report.over_bound is not None:  # (issue 16: what no rollover can move)
        from ai_protocols.session.rollover import BOUND

        held = f" ({display(report.over_bound)})" if report.over_bound else ""
        print(f"Warning: the session file is still over {BOUND // 1048576} MiB after this "
              f"write, and no rollover moves what holds it there{held}: open items, key "
              "files, context and your own text stay in the live "
              "file; close or remove some of them ('ai-protocols show' lists them).",
              file=sys.stderr)
    if report.pending_text is not None and report.emacs_lock is not None:
        print(f"Note: the session file has unsaved changes in Emacs (lock held by "
              f"{display(report.emacs_lock.owner)}), so it was not rewritten: the entries "
              f"wait in {display(report.pending_text)} and are folded in at the first write "
              "after it is saved.",
              file=sys.stderr)


def print_task_link(project: object, task_id: str, entries: list) -> None:  # type: ignore[type-arg]
    """``log --task ID``: the task is looked up first (nothing is logged for an id that
    names no task, or a closed one), then the entries logged, then the session linked
    to it."""
    from ai_protocols.board.board import Board

    board = Board(project)  # type: ignore[arg-type]
    board.linkable(task_id)  # (a done task: refused before anything is logged)
    if entries:
        print_log_report(board.project.log(*entries))
    linked = board.link_session(task_id)
    print(f"linked task {linked.id}: {linked.title}")
#: Characters of a checkpoint's note one line of ``checkpoint`` or ``checkpoint list``
#: shows; the rest is counted (``checkpoint show`` has it whole).
NOTE_SHOWN = 100


def note_head(note: str | None) -> tuple[str, str]:
    """A checkpoint's note for one line of output: its first non-blank line, at most
    :data:`NOTE_SHOWN` characters (cut with ``…``), and what was left out, said
    (``+N more characters``, ``+N more lines``; ``""`` when nothing was): never cut
    without a sign (issue 14, twelfth round: a 5000-character note came out whole)."""
    lines = [ln for ln in (note or "").split("\n") if ln.strip()]
    first = lines[0] if lines else ""
    said = []
    if len(first) > NOTE_SHOWN:
        said.append(f"+{len(first) - NOTE_SHOWN + 1:,} more characters")
        first = first[:NOTE_SHOWN - 1] + "…"
    if len(lines) > 1:
        said.append(f"+{counted(len(lines) - 1, 'more line', 'more lines')}")
    return display(first), ", ".join(said)


_REPOSITORIES = "untracked git repositories"


def print_checkpoint(taken: Taken) -> None:
    """What ``checkpoint`` prints: the checkpoint on stdout, and on stderr why it was not
    recorded in a session when it was not."""
    point = taken.checkpoint
    first, left = note_head(point.note)  # (never cut without a sign: 11th, 12th rounds)
    note = f" ({first}{', ' + left if left else ''})" if first else ""
    print(f"Checkpoint {point.number} {point.short}: {counted(point.files, 'file', 'files')} "
          f"uncommitted{note}")
    print(f"  ref: {display(point.ref)}")
    if taken.session_text is not None and taken.waits is not None:
        sys.stdout.flush()
        print(f"Note: the session file has unsaved changes in Emacs (lock held by "
              f"{display(taken.waits[1])}), so it was not rewritten: the checkpoint's "
              f"record waits in {display(taken.waits[0] or '')} and is folded in at the "
              "first write after it is saved.", file=sys.stderr)
    elif taken.session_text is not None:
        print(f"  recorded in: {display(taken.session_text)}")
    else:
        sys.stdout.flush()
        print(f"Note: the checkpoint was taken but not recorded in a session: "
              f"{display(taken.not_recorded or '')}", file=sys.stderr)
    if taken.nested:
        sys.stdout.flush()
        print("Warning: the checkpoint holds only the commit, not the files, of "
              f"{counted(len(taken.nested), 'untracked git repository', _REPOSITORIES)}"
              " inside the work tree: "
              f"{', '.join(display(p) for p in taken.nested)} (git add takes one so); "
              "commit its work there, or add it as a submodule", file=sys.stderr)
    if taken.empty:  # (issue 14, sixth review)
        sys.stdout.flush()
        print("Warning: the checkpoint leaves out "
              f"{counted(len(taken.empty), 'untracked git repository', _REPOSITORIES)}"
              " with no commit yet (git "
              f"add cannot take one): {', '.join(display(p) for p in taken.empty)}; commit "
              "its work there, then take the checkpoint again", file=sys.stderr)
    if taken.unsaved:  # (issue 14, seventeenth round)
        sys.stdout.flush()
        print("Warning: a buffer in Emacs holds unsaved changes to "
              f"{counted(len(taken.unsaved), 'file', 'files')}: "
              f"{', '.join(display(p) for p in taken.unsaved)}; the checkpoint has "
              f"{'it' if len(taken.unsaved) == 1 else 'them'} as saved on disk, without "
              f"what was typed since: save {'it' if len(taken.unsaved) == 1 else 'them'} in "
              "Emacs first, then checkpoint again",
              file=sys.stderr)
    if taken.dirty:  # (issue 14, fourth review)
        sys.stdout.flush()
        print("Warning: the checkpoint holds only the commit checked out, not the "
              f"uncommitted changes, of {counted(len(taken.dirty), 'submodule', 'submodules')}: "
              f"{', '.join(display(p) for p in taken.dirty)}; commit them in the "
              "submodule first, then take the checkpoint again", file=sys.stderr)


def print_json(data: object) -> None:
    """``print(json.dumps(data, indent=2, ensure_ascii=False))`` (:func:`json_text`)."""
    sys.stdout.write(json_text(data) + "\n")


def json_text(data: object) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``; for a list, each object in it
    whose values are all scalars or empty (the rows of ``status --json``, ``task list
    --json``...) through ``json``'s C encoder, with a newline and the indentation of its
    items as the separator (a JSON string never holds a raw newline): ``json``'s indenting
    encoder is pure Python, tens of microseconds an object. ``tests/test_scan_fifteenth.py``
    holds it to ``json.dumps``."""
    if type(data) is not list or not data:
        import json

        return json.dumps(data, indent=2, ensure_ascii=False)
    from ai_protocols.lean import json_encoder

    encode = json_encoder(",\n    ", ": ")  # (json's C encoder, without importing json)
    texts = []
    for item in data:
        if type(item) is dict and item and all(
                type(value) in _SCALARS or (type(value) in _EMPTIES and not value)
                for value in item.values()):
            texts.append("{\n    " + encode(item)[1:-1] + "\n  }")
        else:
            import json

            texts.append(json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  "))
    return "[\n  " + ",\n  ".join(texts) + "\n]"


def print_json_items(items: dict[str, object]) -> None:
    """``print_json(data)`` for the dict ``data`` whose items are ``items``, some of its
    values ``map`` objects that make the items of a list one by one
    (:meth:`~ai_protocols.session.model.Session.json_items`): written in pieces, each
    list of flat objects a few thousand at a time (:func:`json_pieces`)."""
    import gc

    write = sys.stdout.write
    # (a piece already UTF-8 goes to the bytes under the text stream, after what the
    # stream holds: when it encodes in UTF-8, as it does but under an odd locale)
    binary = getattr(sys.stdout, "buffer", None) \
        if (sys.stdout.encoding or "").lower().replace("-", "") == "utf8" else None
    collecting = gc.isenabled()
    gc.disable()  # (as read_session does: none of the objects made holds a cycle)
    try:
        for piece in json_pieces(items, encoded=binary is not None):
            if type(piece) is bytes:
                sys.stdout.flush()
                binary.write(piece)  # type: ignore[union-attr]
            else:
                write(piece)  # type: ignore[arg-type]
    finally:
        if collecting:
            gc.enable()


#: How many objects of a list :func:`json_pieces` encodes at a time.
_BATCH = 2048
#: The types of the values of an object that :func:`json_pieces` encodes with its list.
_SCALARS = frozenset({str, int, float, bool, type(None)})
#: The types of the values an object may have empty and still be encoded with its list
#: by :func:`json_text` (the C encoder writes them empty as ``json``'s indenting one does).
_EMPTIES = (list, dict)


def json_pieces(items: dict[str, object], *, encoded: bool = False) -> Iterator[str | bytes]:
    """``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"`` in pieces, ``data`` being
    ``items`` with each ``map`` value made a list; with ``encoded``, a batch of an
    :class:`~ai_protocols.session.model.ObjectBatches` that came as UTF-8 bytes (the
    Log's, from ``session.view``) is given as such, else decoded: every piece a
    ``str``. A JSON string never holds a raw newline, so the text of a value nested one
    level deeper is its own text with two spaces after each newline; and a list of
    objects whose values are all scalars (entries) is encoded by ``json``'s C encoder a
    batch at a time, with a newline and the indentation of an object's items as the
    separator, then its objects' braces put on lines of their own (``},\\n      {`` is
    only ever between two of them). ``tests/test_big_files.py`` holds it to
    ``json.dumps``."""
    from itertools import chain, islice

    from ai_protocols.lean import json_encoder

    compact = json_encoder()  # (json's C encoder, without importing json and re)
    batch_encode = json_encoder(ITEM_SEPARATOR, ": ")

    def dumps(value: object) -> str:
        """``json.dumps(value, indent=2, ensure_ascii=False)``: the C encoder's for a
        scalar or an empty list or object (the same text), else json's indenting one."""
        if type(value) in _SCALARS or value == [] or value == {}:
            return compact(value)
        import json

        return json.dumps(value, indent=2, ensure_ascii=False)

    between = OBJECT_SEPARATOR
    separator = "{\n  "
    for key, value in items.items():
        yield f"{separator}{compact(key)}: "
        separator = ",\n  "
        if type(value) is ObjectTexts or type(value) is ObjectBatches:  # (as text already)
            started = False
            size = 1 if type(value) is ObjectBatches else _BATCH  # (batched already)
            while True:
                batch = list(islice(value, size))
                if not batch:
                    break
                yield between if started else "[\n    {\n      "
                if type(batch[0]) is bytes:  # (ObjectBatches: one batch, UTF-8)
                    yield batch[0] if encoded else batch[0].decode()
                else:  # (a batch of ObjectBatches as it is: no copy of its text)
                    yield between.join(batch) if len(batch) > 1 else batch[0]
                started = True
            yield "\n    }\n  ]" if started else "[]"
            continue
        if type(value) is map or type(value) is FlatObjects:
            flat = type(value) is FlatObjects  # (then every item is known to be so)
            started = False
            rest: list[object] = []
            while True:
                batch = list(islice(value, _BATCH))
                if not batch:
                    break
                if rest or (not flat and (
                        not all(type(item) is dict and item for item in batch) or
                        not _SCALARS.issuperset(map(type, chain.from_iterable(
                            item.values() for item in batch))))):  # type: ignore[union-attr]
                    rest += batch  # (any other list: encoded as a whole, below)
                    continue
                body = batch_encode(batch)[2:-2].replace(f"}}{ITEM_SEPARATOR}{{", between)
                yield (between if started else "[\n    {\n      ") + body
                started = True
            if started and not rest:
                yield "\n    }\n  ]"
                continue
            if started:  # (some batch was not flat: the rest is encoded as it is)
                text = dumps(rest).replace("\n", "\n  ")
                yield "\n    },\n    " + text[len("[\n    "):]
                continue
            value = rest
        yield dumps(value).replace("\n", "\n  ")
    yield "{}\n" if separator == "{\n  " else "\n}\n"


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def _has_time(stamp: str) -> bool:
    """Whether an Org timestamp holds a time: ``[0-9]:[0-9]`` found in it."""
    at = stamp.find(":")
    while at != -1:
        if stamp[at - 1: at] in _DIGITS and stamp[at + 1: at + 2] in _DIGITS and at:
            return True
        at = stamp.find(":", at + 1)
    return False


_DIGITS = tuple("0123456789")


def indented(text: str, indent: str) -> str:
    """``textwrap.indent(text, indent)``, without importing textwrap (which imports re):
    ``indent`` before each line that is not blank."""
    return "".join(indent + line if line.strip() else line for line in text.splitlines(True))


def _gone(earlier: EarlierEntries) -> str:
    """What ``show`` says after an earlier-entries file that is gone: the copy ``show
    --all`` reads instead, or that there is none."""
    if earlier.kept is not None:
        return (f" (not there: show --all reads its kept copy, {display(earlier.kept)}; "
                "the next write puts it back)")
    if earlier.missing:
        return " (not there, and no copy is kept: show --all fails)"
    return ""


def render_session(session: Session) -> str:
    """The human form of a session, as ``show`` and ``start`` print it (every text from
    the file through :func:`display`)."""
    def one(text: str | None, default: str) -> str:
        return display(text) if text else default

    out = [
        f"Session: {one(session.title, '(untitled)')}",
        f"  path:     {display(session.path_text)}",
        f"  agent id: {one(session.agent_id, '(none)')}   host: {one(session.host, '?')}",
        f"  status:   {one(session.status, '?')}",
        f"  started:  {_stamp(session.started)}   last updated: {_stamp(session.updated)}",
    ]
    if session.ended:
        out.append(f"  ended:    {_stamp(session.ended)}   {one(session.description, '')}")
    if session.checkpoint:
        commit = (session.checkpoint_commit or "?")[:12]
        out.append(f"  checkpoint: {session.checkpoint} ({commit}, "
                   f"{session.checkpoint_files} uncommitted)")
    if session.paused or session.status == "paused":
        out.append(f"  paused:   {_stamp(session.paused)}   {one(session.pause_note, '')}")
    if session.earlier:  # (a file rolled over: docs/user-guide.md)
        count = moved_count(session.earlier)
        out.append(f"  earlier entries: {'unknown count' if count is None else count} from "
                   f"{_stamp(session.earlier[0].first)} to "
                   f"{_stamp(session.earlier[-1].last)} (show --all reads them too), in:")
        out += [f"    {display(e.path)}{_gone(e)}" for e in session.earlier]
    if session.unlinked:  # (a link line deleted, or a killed rollover's file)
        out.append("  earlier-entries files no link of this file names (show --all leaves "
                   "them out; the next write links again those of this session, and "
                   "removes those whose entries are all elsewhere):")
        out += [f"    {display(p)}" for p in session.unlinked]

    def block(text: str, indent: str) -> str:
        return indented(display(text, lines=True), indent).lstrip()

    # What the next session needs first (issue 14): the objective, the step in
    # progress, the key files and the context; then the summary and the rest.
    first = ("key-file", "context")
    # (Each only when there is one: a session that uses none reads as before.)
    if session.objective:
        out.append(f"Objective: {display(session.objective)}")
    current = session.current
    if current is not None:
        out.append(f"Current step:\n  {_stamp(current.time)}  {block(current.text, '      ')}")
    kinds = [k for k in SECTION_KINDS if k.kind in first and session.items(k.kind)]
    sections = [(k.title, session.items(k.kind)) for k in kinds]
    sections.append(("Summary", None))
    sections += [(k.title, session.items(k.kind)) for k in SECTION_KINDS if k.kind not in first]
    for title, entries in sections:
        out.append(f"{title}:")
        if entries is None:
            out.append(f"  {block(session.summary, '  ')}" if session.summary else "  (none)")
            continue
        if not entries:
            out.append("  (none)")
        for entry in entries:
            mark = "" if entry.done is None else \
                ("[X] " if entry.done else "[-] " if entry is current else "[ ] ")
            when = _stamp(entry.time)
            if entry.time and entry.stamp and not _has_time(entry.stamp):
                when = f"{when[:10]}      "  # a date alone, as C-c ! writes it
            out.append(f"  {mark}{when}  {block(entry.text, '      ')}")
            if entry.rationale is not None:
                out.append(f"      rationale: {block(entry.rationale, '        ')}")
    if session.pending:
        out.append("Waiting until the Emacs buffer is saved:")
        for waiting in session.pending:
            out.append(f"  {display(waiting.kind)}: {block(waiting.text, '    ')}")
    return "\n".join(out)


#: The exit code when the reader of stdout went away (``| head``): 128 + SIGPIPE (13),
#: what the shell reports for a program SIGPIPE ended, as ``cat`` or ``ls`` are.
READER_GONE = 141


def reader_gone() -> int:
    """The reader of stdout went away (``| head``): leave quietly with
    :data:`READER_GONE`, never 1 (which says the tool has a bug)."""
    drop_stdout()
    return READER_GONE


def drop_stdout() -> None:
    """What is still to be written on standard output goes to ``/dev/null``."""
    import os

    if sys.stdout is not None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


#: The commands that change nothing in the project (the archive index, a cache, aside),
#: as their words on the command line: when their standard output cannot be written,
#: running them again is safe, so :func:`output_lost` says so (exit 9), where a command
#: that changes something says "do not run it again" (exit 16).
CHANGES_NOTHING = frozenset({
    ("agent-id",), ("check",), ("list",), ("locks",), ("path",), ("resume",), ("show",),
    ("status",), ("checkpoint", "list"), ("checkpoint", "show"), ("hooks", "plugin-dir"),
    ("hooks", "status"), ("task", "list"), ("task", "show")})


def changes_nothing(args: list[str]) -> bool:
    """Whether the command line ``args`` (``sys.argv[1:]``) runs a command of
    :data:`CHANGES_NOTHING`, or only asks for help or the version."""
    if any(arg in ("--help", "-h", "--version") for arg in args):
        return True
    words = tuple(arg for arg in args[:2] if not arg.startswith("-"))
    return words[:1] in CHANGES_NOTHING or words[:2] in CHANGES_NOTHING


def output_lost(error: OSError | None, args: list[str]) -> int:
    """Report that standard output could not be written once the command ``args``
    (``sys.argv[1:]``) was carried out (:class:`~ai_protocols.errors.OutputLost`: exit
    16, or 9 for a command that changes nothing), through :func:`report_error`."""
    from ai_protocols.errors import OutputLost

    return report_error(OutputLost(error, changed=not changes_nothing(args)))
