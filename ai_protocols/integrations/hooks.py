"""``ai-protocols hook EVENT --runtime claude|codex``: what the agents' hooks do.

Claude Code and Codex run a command at the moments of a session that matter
and hand it a JSON payload on stdin (fields: ``session_id``,
``transcript_path``, ``cwd``, ``hook_event_name``, and per event ``source``,
``prompt``, ``trigger``, ``reason``; sources: the Claude Code hooks reference,
the Codex hooks documentation, and docs/agents-testing.md, which records what
the pinned programs sent). :func:`run_hook` does, per event:

- ``SessionStart``: start the session file of the agent's session, or carry on
  the one there (taking it over from a process that is gone); record the
  agent's session id, the ``source`` and the transcript in its properties and
  the git branch and commit it sees (a paused session is resumed, and the
  context says so); for Claude Code, write ``AI_AGENT_ID``
  into ``CLAUDE_ENV_FILE``; print the resume context, which reaches the model.
- ``PreCompact``: count the compaction and print the context to keep, which the
  agent adds to its compaction instructions.
- ``UserPromptSubmit``: when the prompt asks to continue
  (:data:`CONTINUE_PHRASES`), print the resume context; otherwise nothing.
- ``Stop``: note the activity (``UPDATED``), so that liveness stays right.
- ``SessionEnd``: record that the session ended, and why; never wrap up.
- ``PreToolUse`` (file edits: Claude Code's ``Edit``, ``Write``, ``MultiEdit``,
  Codex's ``apply_patch``): refuse an edit into an area another agent that is
  not gone has locked on the task board (:func:`ai_protocols.board.guard.refusal`),
  with exit status 2, which both agents take as "block this tool call" and
  whose stderr reaches the model; let every other edit through. A project
  without ``.ai/tasks.org`` (nor the kept copy of one) is answered at once.
  Without ``--runtime``, the edit tool tells the runtime (:data:`EDIT_TOOL_RUNTIMES`);
  a payload that does not tell it is not checked (exit 1).

A hook never breaks or blocks the agent (but for PreToolUse's refusal): every
failure ends with one line on stderr and exit status 1, which both agents
treat as a non-blocking error (exit 2 would block); a project without
``.ai/`` is left alone (exit 0, nothing printed), so that hooks installed
for a user act only in projects that follow the protocol. Locks are waited
for :data:`LOCK_WAIT` seconds at most (``AI_PROTOCOLS_LOCK_TIMEOUT``
overrides).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from ai_protocols.git.state import GitState, StateReading
    from ai_protocols.session.edit_base import AsRead
    from ai_protocols.session.model import Session
    from ai_protocols.session.project import Project

__all__ = ["CONTINUE_PHRASES", "EVENTS", "RUNTIMES", "HookResult", "asks_to_continue",
           "run_hook"]

#: The events a hook command handles, in the order ``hooks install`` writes them.
EVENTS = ("SessionStart", "PreCompact", "UserPromptSubmit", "Stop", "SessionEnd", "PreToolUse")
#: The agent programs, as ``--runtime`` names them (the runtime part of their ids).
RUNTIMES = ("claude", "codex")
#: Seconds a hook waits for a session file's lock (SessionEnd: Claude Code gives
#: that hook about 1.5 s in all, Codex 3 s).
LOCK_WAIT = {"SessionEnd": 1.0}
DEFAULT_LOCK_WAIT = 2.0
#: A prompt that asks to carry on: these words (or phrases) at its start, after an
#: optional courtesy ("please", "ok", "let's"...), in a prompt of at most
#: :data:`CONTINUE_MAX` characters. docs/agents.md lists them (a test keeps it so).
CONTINUE_PHRASES = (
    "continue", "resume", "carry on", "keep going", "go on", "go ahead",
    "pick up where we left off", "pick up where you left off", "where were we",
    "where did we leave off", "where did we stop", "what were we doing",
    "what was i doing", "what's next", "what is next", "next step",
)
_COURTESY = ("please", "ok", "okay", "so", "alright", "right", "now", "let's", "lets", "let us",
             "can you", "could you", "yes", "yeah")
CONTINUE_MAX = 200
#: The first letters of each phrase, up to a space or an apostrophe (which JSON may
#: write as an escape): what the cheap test looks for in the payload's bytes.
_FIRST_WORDS = frozenset(p.split()[0].split("'")[0].encode() for p in CONTINUE_PHRASES)


def _words(text: str) -> list[str]:
    """The runs of ASCII lowercase letters and apostrophes in ``text``: what
    ``re.findall(r"[a-z']+", text)`` gives, without importing :mod:`re`
    (``tests/test_str_readers.py::test_prompt_words`` holds them equal)."""
    return "".join(c if "a" <= c <= "z" or c == "'" else " " for c in text).split()


class HookResult:
    """What a hook prints and its exit status: ``stdout`` reaches the agent (the model,
    for SessionStart, PreCompact and UserPromptSubmit), ``stderr`` its user."""

    __slots__ = ("exit_code", "stderr", "stdout")

    def __init__(self, stdout: str = "", stderr: str = "", exit_code: int = 0) -> None:
        self.stdout, self.stderr, self.exit_code = stdout, stderr, exit_code


def asks_to_continue(prompt: str) -> bool:
    """Whether ``prompt`` asks to carry on with the work: it is short and starts, after
    an optional courtesy, with one of :data:`CONTINUE_PHRASES` (case and punctuation
    aside)."""
    if len(prompt) > CONTINUE_MAX:
        return False
    words = _words(prompt.lower().replace("\u2019", "'"))
    text = " ".join(words)
    changed = True
    while changed:  # "ok, please continue"
        changed = False
        for courtesy in _COURTESY:
            if text.startswith(courtesy + " "):
                text, changed = text[len(courtesy) + 1:], True
    return any(text == phrase or text.startswith(phrase + " ") for phrase in CONTINUE_PHRASES)


#: What makes the payload's bytes not the prompt's letters, so that only reading it
#: (:func:`~ai_protocols.lean.loads`) tells: a JSON escape (``\\u0063ontinue``), a NUL
#: (UTF-16 or UTF-32, which JSON allows and every hook reads: each ASCII character has
#: one), and the two characters whose lower case (``str.lower``, which
#: :func:`asks_to_continue` applies) holds ASCII letters, U+212A KELVIN SIGN (``k``) and
#: U+0130 (``i``), in UTF-8.
_NOT_AS_IS = (b"\\u", b"\x00", "\u212a".encode(), "\u0130".encode())


def might_ask_to_continue(payload: bytes) -> bool:
    """A test that costs no import: ``False`` only when :func:`asks_to_continue` would
    say no whatever the prompt: no continuation phrase's first word is anywhere in the
    payload's bytes, and nothing in them (:data:`_NOT_AS_IS`) can stand for letters that
    the bytes do not show; else ``True``, and the payload is read."""
    lowered = payload.lower()
    return any(word in lowered for word in _FIRST_WORDS) or \
        any(form in payload for form in _NOT_AS_IS)


def run_hook(event: str, runtime: str, payload: bytes,
             environ: Mapping[str, str] | None = None) -> HookResult:
    """Do what ``event`` of the agent program ``runtime`` calls for, given the hook's
    ``payload`` (the JSON on its stdin, as bytes) and its environment; never raises."""
    env = os.environ if environ is None else environ
    try:
        return _run(event, runtime, payload, env)
    except Exception as error:  # a hook must never break the agent
        from ai_protocols.errors import AiProtocolsError

        what = str(error) if isinstance(error, AiProtocolsError) else \
            f"{type(error).__name__}: {error}"
        return HookResult(stderr=f"ai-protocols hook {event}: {what}\n", exit_code=1)


def _run(event: str, runtime: str, payload: bytes, env: Mapping[str, str]) -> HookResult:
    if event not in EVENTS or (runtime not in RUNTIMES and
                               not (event == "PreToolUse" and not runtime)):
        return HookResult(stderr=f"ai-protocols hook: unknown event {event!r} or runtime "
                                 f"{runtime!r} (events: {', '.join(EVENTS)}; runtimes: "
                                 f"{', '.join(RUNTIMES)})\n", exit_code=1)
    if event == "UserPromptSubmit" and not might_ask_to_continue(payload):
        return HookResult()  # every prompt passes here: the cheap answer first
    if event == "PreToolUse":
        return _pre_tool_use(payload, runtime, env)
    from ai_protocols.lean import loads  # (json.loads without importing json and re)

    try:
        data = loads(payload)
    except ValueError as error:
        return HookResult(stderr=f"ai-protocols hook {event}: the payload on stdin is not "
                                 f"JSON ({error}); nothing recorded\n", exit_code=1)
    if not isinstance(data, dict) or not isinstance(data.get("session_id"), str) or \
            not data["session_id"]:
        return HookResult(stderr=f"ai-protocols hook {event}: the payload has no session_id; "
                                 "nothing recorded\n", exit_code=1)
    if event == "UserPromptSubmit" and not asks_to_continue(str(data.get("prompt", ""))):
        return HookResult()
    where = _where(data, runtime, env)
    if where is None:
        return HookResult()  # not a project that follows the protocol: leave it alone
    early = _early_git(*where) if event == "SessionStart" else None
    try:
        from ai_protocols.session.project import Project

        project = Project(*where)
    except BaseException:
        if early is not None:
            early[1]()  # (no process left behind)
        raise
    os.environ.setdefault("AI_PROTOCOLS_LOCK_TIMEOUT",
                          str(LOCK_WAIT.get(event, DEFAULT_LOCK_WAIT)))
    if event == "SessionStart":
        return _session_start(project, data, runtime, env, early)
    return _HANDLERS[event](project, data, runtime, env)


def _where(data: dict[str, object], runtime: str,
           env: Mapping[str, str]) -> tuple[str, str | None] | None:
    """The root of the project around the payload's ``cwd`` and the agent id it is seen
    by: the hook's own ``AI_AGENT_ID`` when a spawner set one, else the id derived from
    the payload's ``session_id`` (the :class:`Project` to open). ``None`` when the
    project has no ``.ai/``."""
    from ai_protocols.paths import AI_DIR, derived_agent_id, project_root_text

    cwd = data.get("cwd")
    root = project_root_text(cwd if isinstance(cwd, str) and os.path.isdir(cwd) else None, env)
    if not os.path.isdir(os.path.join(root, AI_DIR)):
        return None
    agent_id = env.get("AI_AGENT_ID") or derived_agent_id(runtime, str(data["session_id"]),
                                                          root)
    return root, agent_id or None


def _marks(root: str, agent_id: str | None) -> tuple[object, ...]:
    """What changes when anything is written into the work tree where a SessionStart's
    ``start`` (and the carrying of claims) may write: the session file, the board
    (:func:`~ai_protocols.paths.board_path`), and the folders that hold them, the
    archives and the tool's other files (``.ai/``, ``.ai/session-context.d/``,
    ``.ai/sessions/``). Every write of the tool's is a new file renamed into place (a
    new inode, and its folder's modification time), and a removal changes its folder's
    time: ``lstat`` of each, the inode, size and nanoseconds."""
    from ai_protocols.paths import AI_DIR, CONTEXT_DIR, SESSIONS_DIR, board_path, context_path_text

    ai = os.path.join(root, AI_DIR)
    marks: list[object] = []
    for path in (context_path_text(root, agent_id), board_path(root), ai,
                 os.path.join(ai, CONTEXT_DIR), os.path.join(ai, SESSIONS_DIR)):
        try:
            found = os.lstat(path)
        except OSError:
            marks.append(None)
        else:
            marks.append((found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns))
    return tuple(marks)


def _early_git(root: str, agent_id: str | None) -> tuple[tuple[object, ...], StateReading] | None:
    """For a SessionStart whose session file is there already: git's view of the work
    tree (``git status``, ``git show``), started before anything else is imported or
    read, so that git runs on another core while the session is started (about a
    quarter of the hook's time, waited for when it ran after), with the marks of the
    work tree it started on (:func:`_marks`). When ``start`` wrote nothing (a
    compaction, a ``/clear`` of this same process: the owner is this agent), git saw
    the work tree as it is after it, and its state is the one the context shows; else
    (the marks changed) ``git status`` runs again (:func:`_git_after_start`). ``None``
    without a session file (a fresh one is written: git runs after it), or an agent id
    no file can be named by (the start says so)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import context_path_text

    try:
        if not os.path.lexists(context_path_text(root, agent_id)):
            return None
    except AiProtocolsError:
        return None
    marks = _marks(root, agent_id)  # (before git starts: a write after it changes them)
    from ai_protocols.git.state import start_state

    return marks, start_state(root)


#: Characters of a payload field kept in a property (a path or a reason is shorter).
FIELD_MAX = 500


def _text(value: object) -> str | None:
    """A payload field as one line of property text, at most :data:`FIELD_MAX`
    characters of valid UTF-8 (``None`` when absent or empty)."""
    if not isinstance(value, str):
        return None
    value = value.encode("utf-8", "replace").decode("utf-8")
    line = " ".join(value.split())[:FIELD_MAX]
    return line or None


def _session_start(project: Project, data: dict[str, object], runtime: str,
                   env: Mapping[str, str],
                   early: tuple[tuple[object, ...], StateReading] | None = None) -> HookResult:
    try:
        from ai_protocols import errors  # (BeingEdited made only when caught: errors_write)
        from ai_protocols.errors import AiProtocolsError
        from ai_protocols.git.head import branch_text
        from ai_protocols.session.sections import ACTIVE, CRASHED, ENDED
        from ai_protocols.session.text import preview
        from ai_protocols.session.transaction import editing

        source = _text(data.get("source")) or "startup"
        problems: list[str] = []
        as_read: list[AsRead] = []  # (the file as the start read it, for the record)
        try:
            # (a compaction is no resumption of a paused session: the agent was running)
            report = project.start(others=False, resume=source != "compact",  # (the
                                   brief=True, keep=as_read)
            # context lists the others)
        except AiProtocolsError as error:  # not recorded; what can be read still goes out
            report, _ = None, problems.append(str(error))
        # This process's claims and locks under its earlier session id: its own (before
        # the context, which lists them).
        carried = _carry_own(project, runtime, source, env, problems)
    except BaseException:
        if early is not None:
            early[1]()  # (no process left behind)
        raise
    # The context first: it compares the branch and commit recorded before with now.
    git = _git_after_start(project, early)  # once, for the context and the record
    if report is not None:
        session: Session | None = report.session  # as read, before this hook records
        context = _paused(report.resumed_pause, _context_of(project, session, git))
    else:
        context, session = _context(project)
    shown = _digest(data, context)
    if report is not None:
        try:
            # (read once: the record takes the start's document when the file is still
            # the bytes the start read; docs/performance.md)
            with editing(project.ai_dir_text, project.path_text,
                         as_read=as_read.pop() if as_read else None) as edit:
                if edit.rolled is not None:  # this write moves entries out: the context
                    # tells of the file as written (read before this hook's own lines)
                    context = _paused(report.resumed_pause,
                                      _context_of(project, edit.session(brief=True), git))
                    shown = _digest(data, context)
                edit.set_properties(
                    ("AGENT_SESSION", _text(data.get("session_id"))),
                    ("AGENT_SOURCE", source),
                    ("TRANSCRIPT", _text(data.get("transcript_path"))),
                    ("GIT_BRANCH", branch_text(git.branch) if git else None),
                    ("GIT_COMMIT", git.commit if git else None),
                    ("CONTEXT_SHOWN", shown),
                )
                # Its end was recorded (ended, or crashed): it is back.
                if edit.properties.get("STATUS") in (ENDED, CRASHED):
                    ended = edit.properties.get("EXIT", "")
                    edit.set_properties(("STATUS", ACTIVE), ("EXIT", None), ("EXITED", None),
                                        ("EXIT_BY", None))
                    edit.note(f"{runtime}: session {source} (it had ended: {preview(ended)})")
                elif not report.fresh and not report.took_over:
                    edit.note(f"{runtime}: session {source}")
                if carried:
                    edit.note(preview(f"{runtime}: session {source}: carried over, as this "
                                      f"same process's: {'; '.join(carried)}", 2000))
        except errors.BeingEdited:
            pass  # a person has unsaved changes: recorded at the next start
        except AiProtocolsError as error:
            problems.append(str(error))
    env_file = env.get("CLAUDE_ENV_FILE")
    if runtime == "claude" and env_file and project.agent_id:
        import shlex

        try:
            with open(env_file, "a", encoding="utf-8") as handle:
                handle.write(f"export AI_AGENT_ID={shlex.quote(project.agent_id)}\n")
        except OSError as error:
            problems.append(f"cannot write CLAUDE_ENV_FILE {env_file}: {error.strerror}")
    stderr = f"ai-protocols hook SessionStart: {'; '.join(problems)}\n" if problems else ""
    if source == "resume" and session is not None and session.context_shown == shown:
        return HookResult(stderr=stderr)  # the conversation holds this very text already
    return HookResult(stdout=context, stderr=stderr)


def _git_after_start(project: Project,
                     early: tuple[tuple[object, ...], StateReading] | None) -> GitState | None:
    """The state of the work tree as the start left it, for the SessionStart's context
    and record: git's run that :func:`_early_git` started when nothing was written into
    the work tree since (its marks are the same: what git saw is what is there), else
    ``git status`` run again (``git show`` of the last commit kept: a write moves no
    ``HEAD``); without an early run, git runs now."""
    if early is None:
        from ai_protocols.git.state import read_state

        return read_state(project.root_text)
    marks, reading = early
    if _marks(project.root_text, project.agent_id) != marks:
        reading.again()
    return reading()


#: The SessionStart sources after which an agent program's process goes on under a new
#: session id (Claude Code: ``/clear``, ``/resume`` of another conversation, a fork;
#: ``compact`` keeps the id): its claims and locks are carried to it (:func:`_carry_own`).
CARRY_SOURCES = ("clear", "resume", "compact", "fork")


def _carry_own(project: Project, runtime: str, source: str, env: Mapping[str, str],
               problems: list[str]) -> list[str]:
    """At a SessionStart of ``source`` in :data:`CARRY_SOURCES`, with the agent id derived
    from the session id (no ``AI_AGENT_ID``): the claims and locks of this same agent
    process's earlier conversations, made this one's
    (:meth:`~ai_protocols.board.board.Board.carry_own`); what was carried, one line
    each. A problem goes into ``problems`` (the hook goes on)."""
    if source not in CARRY_SOURCES or env.get("AI_AGENT_ID") or not project.agent_id:
        return []
    from ai_protocols.paths import has_board  # (the board's modules only with a board)

    if not has_board(project.root_text):
        return []
    from ai_protocols.board.board import Board
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import id_prefix

    try:
        return Board(project).carry_own(f"{id_prefix(runtime, project.root_text)}.")
    except AiProtocolsError as error:
        problems.append(f"the claims and locks of this process's earlier session were not "
                        f"carried over: {error}")
        return []


def _paused(pause: str | None, context: str) -> str:
    """``context``, told first that this start resumed a paused session (``pause``: how
    it was paused, ``ai-protocols pause``), when it did."""
    if pause is None:
        return context
    return f"This session was paused ({pause}); this start resumed it.\n\n{context}"


def _context(project: Project) -> tuple[str, Session | None]:
    """The resume context of the agent's session, and the session (``None`` when it has
    no file yet). A file that cannot be read raises: a context would misstate it. Git
    runs while the file is read, as for ``resume`` (:meth:`Project.resume`)."""
    from ai_protocols import errors  # (SessionCarried made only when it may match)
    from ai_protocols.errors import NoSession
    from ai_protocols.git.state import start_state

    git = start_state(project.root_text)
    try:
        session = project.show(brief=True)
    except NoSession:
        session = None
    except errors.SessionCarried as carried:  # (no file here: the context says where)
        if carried.here:
            git()
            raise
        session = None
    except BaseException:
        git()  # (no process left behind)
        raise
    return _context_of(project, session, git), session  # (waited for there)


def _context_of(project: Project, session: Session | None, git: object = ...) -> str:
    from ai_protocols.session.resume import resume_context

    return resume_context(project, session, git=git).to_text()  # type: ignore[arg-type]


def _digest(data: dict[str, object], text: str) -> str:
    """Which text which agent session was given: a resume of another session, or another
    text, is given again."""
    seen = f"{data.get('session_id')}\0{text}"
    return _sha256()(seen.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _sha256() -> Callable[[bytes], Any]:
    """``hashlib.sha256``, from the C module ``hashlib`` itself falls back to when it can:
    importing ``hashlib`` loads OpenSSL's library (about a third of an interpreter's
    start, paid by every SessionStart hook), the built-in module a tenth of that, for
    the same digest. ``_sha256`` up to Python 3.11, ``_sha2`` since 3.12; ``hashlib``
    where neither is built (some builds leave them out)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef]
        except ImportError:
            from hashlib import sha256
    return sha256  # type: ignore[no-any-return]


def _pre_compact(project: Project, data: dict[str, object], runtime: str,
                 env: Mapping[str, str]) -> HookResult:
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.lean import digits
    from ai_protocols.session.transaction import editing

    trigger = _text(data.get("trigger")) or "auto"
    stderr = ""
    written = None
    try:
        with editing(project.ai_dir_text, project.path_text) as edit:
            count = edit.properties.get("COMPACTIONS", "0")
            edit.set_properties(("COMPACTIONS", str(int(count) + 1 if digits(count) else 1)),
                                ("COMPACTED", edit.stamp))
            edit.note(f"{runtime}: context compaction ({trigger})")
        written = edit.session(brief=True)  # as written (what waited for Emacs is in)
    except AiProtocolsError as error:  # not counted; the context still goes out
        stderr = f"ai-protocols hook PreCompact: the compaction is not recorded: {error}\n"
    context = _context_of(project, written) if written is not None else _context(project)[0]
    return HookResult(stdout="Keep what follows in the summary: it is this session's "
                             "record, kept by ai-protocols.\n\n" + context, stderr=stderr)


def _user_prompt(project: Project, data: dict[str, object], runtime: str,
                 env: Mapping[str, str]) -> HookResult:
    context, session = _context(project)
    if session is not None and session.context_shown == _digest(data, context):
        return HookResult()  # its SessionStart gave it this very text in this turn
    return HookResult(stdout=context)


def _stop(project: Project, data: dict[str, object], runtime: str,
          env: Mapping[str, str]) -> HookResult:
    from ai_protocols import errors  # (BeingEdited made only when caught: errors_write)
    from ai_protocols.errors import NoSession, SessionWrappedUp
    from ai_protocols.session.transaction import editing

    try:
        with editing(project.ai_dir_text, project.path_text):
            pass  # UPDATED is all: the agent was at work just now
    except (NoSession, SessionWrappedUp):
        pass  # nothing to note
    except errors.BeingEdited:  # (a clause of its own: made only when it may match)
        pass  # a person is editing it: the next write will do
    return HookResult()


def _session_end(project: Project, data: dict[str, object], runtime: str,
                 env: Mapping[str, str]) -> HookResult:
    from ai_protocols.errors import NoSession, SessionWrappedUp
    from ai_protocols.liveness.evidence import Owner, current_owner
    from ai_protocols.session.model import LogEntry
    from ai_protocols.session.transaction import editing

    reason = (_text(data.get("reason")) or "other")[:60]
    try:
        with editing(project.ai_dir_text, project.path_text, if_edited="defer") as edit:
            # Another process of this session (the same session id resumed in a second
            # terminal) owns it and still runs: its end is not this session's end.
            recorded = Owner.parse(edit.properties.get("OWNER") or "")
            here = current_owner()
            if recorded is not None and \
                    (here is None or not recorded.same_process(here)) and recorded.alive():
                by = f"process {here.pid}" if here is not None else "a process left behind"
                edit.note(f"{runtime}: session end ({reason}) of {by}, "
                          f"not this session's owner: process {recorded.pid} still runs it")
                return HookResult()
            edit.apply(LogEntry("exit", f"session end ({reason})"))
            if edit.emacs_lock is None:
                edit.set_properties(("EXIT_BY", f"{runtime} SessionEnd hook"))
    except (NoSession, SessionWrappedUp):
        pass  # wrapped up already, or never started: nothing to record
    return HookResult()


#: The tool calls that edit files, as the agents name them (Claude Code's hooks
#: reference: Edit, Write, MultiEdit, NotebookEdit; Codex: apply_patch).
EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit", "apply_patch"})
#: The agent program each edit tool is of (Claude Code's hooks reference; Codex's hooks
#: documentation; docs/agents-testing.md): what PreToolUse's runtime is when
#: ``--runtime`` is not given.
EDIT_TOOL_RUNTIMES = {"Edit": "claude", "Write": "claude", "MultiEdit": "claude",
                      "NotebookEdit": "claude", "apply_patch": "codex"}


def _pre_tool_use(payload: bytes, runtime: str, env: Mapping[str, str]) -> HookResult:
    """Before a file edit: exit 2 with the reason on stderr when it goes into another
    agent's lock (Claude Code and Codex both block the tool call then, and give the
    model the stderr); otherwise nothing, as fast as can be: no board, no import."""
    from ai_protocols.lean import loads  # (json.loads without importing json and re)
    from ai_protocols.paths import (
        derived_agent_id,
        enclosing_projects,
        file_project_root,
        project_root_text,
        session_suffix,
        superprojects,
    )

    try:
        data = loads(payload)
    except ValueError as error:
        return HookResult(stderr=f"ai-protocols hook PreToolUse: the payload on stdin is not "
                                 f"JSON ({error}); the edit was not checked\n", exit_code=1)
    if not isinstance(data, dict):
        return HookResult(stderr="ai-protocols hook PreToolUse: the payload is not a JSON "
                                 "object; the edit was not checked\n", exit_code=1)
    cwd = data.get("cwd")
    cwd = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    tool = data.get("tool_name")
    if isinstance(tool, str) and tool not in EDIT_TOOLS:
        return HookResult()  # (a matcher of the person's own sent a call that edits nothing)
    if not runtime:  # (no --runtime: the edit tool tells which program sent it)
        runtime = EDIT_TOOL_RUNTIMES.get(tool) if isinstance(tool, str) else None
        if runtime is None:
            return HookResult(stderr="ai-protocols hook PreToolUse: no --runtime, and the "
                                     "payload's tool_name does not tell which agent program "
                                     "sent it (give --runtime claude|codex); the edit was "
                                     "not checked\n", exit_code=1)
    from ai_protocols.board.guard import edited_paths, has_board

    paths = edited_paths(data.get("tool_input"), cwd)
    if any("\0" in path for path in paths):  # no file can be named so (the OS refuses)
        return HookResult(stderr=f"ai-protocols hook PreToolUse: the {tool} call names a file "
                                 "whose path holds a NUL byte; the edit was not checked\n",
                          exit_code=1)
    if not paths:
        # An edit, or a call with a tool_input that does not say its tool (it may be one:
        # a payload with a readable file in tool_input is judged as one), but where to
        # cannot be read; a payload of no call (no tool_name, no tool_input) is let be
        # (docs/tasks.md: "an edit whose file it cannot find in tool_input").
        if tool in EDIT_TOOLS or (not isinstance(tool, str) and "tool_input" in data):
            named = f"the {tool} call" if isinstance(tool, str) else \
                "the call (its payload has no tool_name)"
            return HookResult(stderr=f"ai-protocols hook PreToolUse: {named} names no file "
                                     "that can be read (tool_input); the edit was not "
                                     "checked\n", exit_code=1)
        return HookResult()
    # The locks that count are those of the project holding each file, wherever the
    # agent runs (a user-scope hook in a folder of several repositories), and of the
    # project around cwd (AI_PROJECT_ROOT's, when set).
    roots = [project_root_text(cwd, env)]
    files: list[str] = []
    for path in paths:
        found = file_project_root(path)
        if found is not None and found not in files:
            files.append(found)
    roots += [r for r in files if r not in roots]
    # A submodule keeps its own board; the superproject's locks hold its files too (a
    # lock on the submodule's folder): the boards of the superprojects around it count.
    above: list[str] = []
    for root in list(roots):
        above += [s for s in superprojects(root) if s not in roots and s not in above]
    # So do those of the projects around a nested repository (its own 'git init' or
    # clone inside another's work tree): each project above each file's own, whatever
    # the agent's working directory (docs/tasks.md, "Nested repositories").
    around: list[str] = []
    for root in files:
        around += [s for s in enclosing_projects(root)
                   if s not in roots and s not in above and s not in around]
    roots += above + around
    from ai_protocols.board.guard import kept_files_refusal

    kept = kept_files_refusal(roots, paths)  # the board itself, and .ai/.locks/
    if kept is not None:
        return HookResult(stderr=kept + "\n", exit_code=2)
    roots = [r for r in roots if has_board(r)]
    if not roots:
        return HookResult()  # no board, no locks: every edit goes through
    from ai_protocols.board.guard import refusal

    # The agent's own id, as its commands derive it: from the project it runs in (its
    # work tree: the payload's cwd), not from the folder of the file it edits, which
    # may be another work tree sharing the board. Its own locks never stop it: a lock
    # whose owner ends with its runtime and session id is its own too.
    session = data.get("session_id")
    derived = derived_agent_id(runtime, session, roots[0]) \
        if isinstance(session, str) and session else None
    agent_id = env.get("AI_AGENT_ID") or derived
    suffix = session_suffix(runtime, session) if derived else None
    from ai_protocols.errors import AiProtocolsError

    for root in roots:
        try:
            message = refusal(root, agent_id, paths, own_suffix=suffix)
        except AiProtocolsError as error:  # a board it cannot read: never "allowed"
            return HookResult(stderr=f"ai-protocols hook PreToolUse: {error}; the edit was "
                                     "not checked\n", exit_code=1)
        if message is not None:
            if root in above:
                message += (f" (The lock is on the board of the superproject {root}, "
                            "which holds this submodule: 'ai-protocols locks' run there "
                            "lists it.)")
            elif root in around:
                message += (f" (The lock is on the board of the project {root}, around the "
                            "repository that holds this file: 'ai-protocols locks' run there "
                            "lists it.)")
            return HookResult(stderr=message + "\n", exit_code=2)
    return HookResult()


_HANDLERS = {
    "SessionStart": _session_start,
    "PreCompact": _pre_compact,
    "UserPromptSubmit": _user_prompt,
    "Stop": _stop,
    "SessionEnd": _session_end,
}


def main(event: str, runtime: str) -> int:
    """Run the hook with the process's stdin and environment; print; return the exit
    status. Without the cyclic garbage collector: a hook lives a few milliseconds, the
    objects it makes are freed by their counts or at its exit, and the collections that
    importing the library sets off (each walking every object made so far) cost about a
    twentieth of a SessionStart hook's time (docs/performance.md)."""
    import gc

    gc.disable()
    try:
        payload = sys.stdin.buffer.read()
    except (OSError, AttributeError, ValueError):  # no stdin at all
        payload = b""
    result = run_hook(event, runtime, payload)
    for stream, text in ((sys.stdout, result.stdout), (sys.stderr, result.stderr)):
        if not text:
            continue
        try:
            stream.write(text if text.endswith("\n") else text + "\n")
            stream.flush()
        except (OSError, AttributeError, ValueError, UnicodeError):
            if stream is sys.stdout:
                return 1  # the agent went away, or gave no stdout: nothing reached it
    return result.exit_code
