"""The one table of the hot commands' options, and the reading of command lines.

Each option of ``log``, ``show``, ``resume``, ``hook``, ``start``, ``wrap-up``,
``status``, ``list``, ``init``, ``checkpoint`` (and its ``list`` and ``show``) and the
task board's commands (``task ...``, ``lock``, ``unlock``, ``locks``, ``check``) is
declared once, in :data:`OPTIONS` (``log``'s from the table of entry kinds,
:data:`ai_protocols.session.model.ENTRY_KINDS`). The click commands in
:mod:`ai_protocols.cli.app` and :mod:`ai_protocols.cli.board` get their options from
:func:`click_options`; the console script's fast path (:mod:`ai_protocols.cli.main`)
reads arguments with :func:`parse_options` (:func:`parse_command`) from the same table.
Neither imports click here: :func:`click_options` imports it when the click CLI calls it.

:func:`scan` reads a command line in order, as click reads it, for both paths:
click keeps each option's values but not their order across options, and the
order is what pairs each ``--rationale`` with the ``--decision`` before it. It
also refuses what click would take silently: a value, given as its own
argument, that looks like an option (``--progress --next``), and an option
that takes one value given twice (``--summary a --summary b``).

:func:`log_entries` turns what was read into the entries to log, and
:func:`text_of` reads a text given as ``-`` (standard input) or ``@FILE``.
"""

from __future__ import annotations

from ai_protocols.lean import quoted
from ai_protocols.session.model import ENTRY_KINDS, RATIONALE_OPTION, LogEntry

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import BinaryIO

    Parsed = dict[str, "str | int | bool | tuple[str, ...] | None"]

__all__ = ["NO_DASH_VALUES", "OPTIONS", "PATH_OPTIONS", "Given", "Option", "UsageProblem",
           "click_options", "known", "log_entries", "looks_like_option", "parse_command",
           "parse_options", "read_log_entries", "scan", "task_of", "text_of", "whole_number"]


class UsageProblem(ValueError):
    """A command line that cannot be read as meant; the CLI shows it as a usage error
    (exit 2), with the usage line."""


class Option:
    """One option: its long ``name`` (``--progress``), how it is read (``"flag"``,
    ``"one"`` value, ``"many"`` values, or ``"int"``, one whole number of at least
    ``minimum``, ``default`` when not given), its help text, and ``dest``, the key
    it is parsed into (the name without dashes, ``-`` as ``_``, unless ``dest`` is
    given). An ``"argument"`` is a positional argument instead, named in capitals
    (``DESCRIPTION``), its ``dest`` the name in lower case; ``"arguments"``, one or more
    of them (``PATH...``), the last of a command's. ``metavar``: how help names the
    value (click's own when ``None``); ``required``: an option that must be given."""

    __slots__ = ("default", "dest", "help", "how", "metavar", "minimum", "name", "required")

    def __init__(self, name: str, how: str, help: str, *, minimum: int | None = None,
                 default: int | None = None, dest: str | None = None,
                 metavar: str | None = None, required: bool = False) -> None:
        self.name, self.how, self.help = name, how, help
        self.minimum, self.default, self.metavar, self.required = \
            minimum, default, metavar, required
        self.dest = dest or (name.lower() if how in _POSITIONAL else
                             name[2:].replace("-", "_"))


#: How a positional argument is read: one word, or one or more (the last argument).
_POSITIONAL = ("argument", "arguments")


#: ``log --task ID``: link the session to a task of the board (docs/tasks.md).
TASK_OPTION = "--task"


def _log_options() -> tuple[Option, ...]:
    """One option per entry kind, the rationale right after the decision; then
    ``--task``."""
    options = []
    for kind in ENTRY_KINDS:
        options.append(Option(kind.option, "many" if kind.repeatable else "one", kind.help))
        if kind.kind == "decision":
            options.append(Option(*RATIONALE_OPTION[:1], "many", RATIONALE_OPTION[1]))
    options.append(Option(TASK_OPTION, "one", "Link the session to this task of the board "
                                               "(its id; docs/tasks.md)."))
    return tuple(options)


#: The bound of ``resume``'s output (the values of ai_protocols.session.resume,
#: which this module does not import: tests/test_resume.py keeps them equal).
RESUME_MAX_BYTES, RESUME_MIN_BYTES = 4096, 2560

#: What several of the task board's commands share (their help alike): ``--json``, the
#: task's ``ID`` (whole or by its end), ``--force`` over another agent's claim, ``PATH...``.
_BOARD_JSON = Option("--json", "flag", "Print JSON (keys in docs/tasks.md).", dest="as_json")
_TASK_ID = Option("ID", "argument", "", dest="task_id")
_FORCE_CLAIM = Option("--force", "flag", "Even another agent's claim that may be live.")
_PATHS = Option("PATH...", "arguments", "", dest="paths")

#: Every option of the commands the fast path answers, in --help order, a command's
#: positional arguments first (``wrap-up DESCRIPTION``, ``task add TITLE``); a command of
#: a group is keyed by its words (``task add``).
OPTIONS: dict[str, tuple[Option, ...]] = {
    "log": _log_options(),
    "show": (Option("--json", "flag", "Print JSON (keys in docs/cli.md)."),
             Option("--all", "flag", "Read the earlier-entries files too: the whole session, "
                                     "in order.")),
    "hook": (Option("--runtime", "one", "The agent program running the hook: claude or codex "
                                        "(PreToolUse tells it from its payload when it is "
                                        "not given)."),),
    "resume": (
        Option("--json", "flag", "Print JSON, on one line (keys in docs/cli.md)."),
        Option("--max-bytes", "int",
               f"Print at most N bytes (default {RESUME_MAX_BYTES}).",
               minimum=RESUME_MIN_BYTES, default=RESUME_MAX_BYTES),
    ),
    "start": (
        Option("--title", "one", "A one-line title for a new session (- reads it from "
                                 "stdin, @FILE from a file)."),
        Option(TASK_OPTION, "one", "Link the session to this task of the board "
                                   "(docs/tasks.md)."),
        Option("--objective", "one", "What the session is for, one line, read first on "
                                     "resume (- reads it from stdin, @FILE from a file)."),
    ),
    "wrap-up": (Option("DESCRIPTION", "argument", ""),),
    "list": (
        Option("--agent", "one", "Only sessions of this AI_AGENT_ID."),
        Option("--runtime", "one", "Only sessions whose id has this runtime (its third part)."),
        Option("--since", "one",
               "Only sessions active since: 2026-11-01, '2026-11-01 10:00', 3h, 2d."),
        Option("--json", "flag", "Print JSON (keys in docs/cli.md)."),
    ),
    "status": (Option("--json", "flag", "Print JSON (keys in docs/cli.md)."),),
    "init": (Option("--agents-md", "flag", "Also add (or update) a short block telling "
                                           "agents what to log and when, in AGENTS.md and "
                                           "CLAUDE.md at the project root."),),
    "checkpoint": (Option("--note", "one", "What the checkpoint is (kept in its commit and "
                                           "the session; - reads it from stdin, @FILE from "
                                           "a file)."),),
    "checkpoint list": (
        Option("--all", "flag", "Every agent's checkpoints.", dest="every_agent"),
        Option("--json", "flag", "Print JSON (keys in docs/checkpoints.md).", dest="as_json"),
    ),
    "checkpoint show": (Option("REF", "argument", ""),),
    # The task board's commands (ai_protocols.cli.taskboard; docs/tasks.md).
    "task add": (
        Option("TITLE", "argument", ""),
        Option("--working-set", "many", "A file or folder the task may change (repeat for "
                                        "more).", metavar="PATH"),
        Option("--role", "one", "Who should take it: planner, implementer, reviewer..."),
        Option("--tag", "many", "An Org tag (repeat for more).", dest="tags"),
    ),
    "task list": (
        _BOARD_JSON,
        Option("--mine", "flag", "Only the open tasks this agent has claimed."),
        Option("--free", "flag", "Only open tasks nobody holds (or whose holder is gone)."),
        Option("--role", "one", "Only tasks for this role (in either case)."),
        Option("--all", "flag", "Closed tasks too (DONE, CANCELLED).", dest="show_all"),
    ),
    "task show": (_TASK_ID, _BOARD_JSON),
    "task claim": (_TASK_ID, Option("--force", "flag", "Even from an agent that may be at "
                                                      "work.")),
    "task release": (_TASK_ID, _FORCE_CLAIM),
    "task done": (
        _TASK_ID,
        Option("--checkpoint", "flag", "Take a checkpoint of the work tree now (as "
                                       "'ai-protocols checkpoint' does) and close the task "
                                       "with it.", dest="take_checkpoint"),
        Option("--checkpoint-ref", "one", "Close it with a restore point made before (a "
                                          "checkpoint's ref, a branch, a tag, a commit), kept "
                                          "as its full ref name and commit hash.",
               metavar="REF"),
        _FORCE_CLAIM,
    ),
    "lock": (
        _PATHS,
        Option("--reason", "one", "Why: what you are doing there (one line, at most 500 "
                                  "characters).", required=True),
        Option("--force", "flag", "Even over another agent's lock that may be live."),
    ),
    "unlock": (_PATHS, Option("--force", "flag", "Even another agent's lock that may be "
                                                 "live, or one deleted from the board by "
                                                 "hand that git's history still holds.")),
    "locks": (_BOARD_JSON,),
    # ...and those only click answers (ai_protocols.cli.board)
    "task edit": (
        _TASK_ID,
        Option("--title", "one", "Its new title (one line; '-' or @FILE as for add)."),
        Option("--working-set", "many", "Its working set, replaced by these paths (repeat "
                                        "for more).", metavar="PATH"),
        Option("--add-working-set", "many", "A file or folder added to its working set "
                                            "(repeat for more).", dest="add_paths",
               metavar="PATH"),
        Option("--remove-working-set", "many", "A path taken out of its working set (repeat "
                                               "for more).", dest="remove_paths",
               metavar="PATH"),
        Option("--tag", "many", "An Org tag to add (repeat for more).", dest="tags"),
        Option("--untag", "many", "An Org tag to remove (repeat).", dest="untags"),
        Option("--role", "one", "Its new role."),
        _FORCE_CLAIM,
    ),
    "task cancel": (_TASK_ID, _FORCE_CLAIM),
    "task reopen": (_TASK_ID,),
    "task handoff": (
        _TASK_ID,
        Option("--to", "one", "The role that takes it on (reviewer, in any case, makes it "
                              "REVIEW).", metavar="ROLE", required=True),
        Option("--note", "one", "What the next one needs to know: one line, at most 500 "
                                "characters ('task show' and 'resume' show it).",
               required=True),
        _FORCE_CLAIM,
    ),
    "task merge-copy": (),
    "check": (
        _BOARD_JSON,
        Option("--since", "one", "Also the files the commits since REF changed (a branch, "
                                 "a tag, a commit: from where this branch left it), not only "
                                 "the work tree's changes.", metavar="REF"),
    ),
}
#: The options that ask click for help, whatever the command.
HELP = ("-h", "--help")


def looks_like_option(value: str) -> bool:
    """Whether ``value`` reads as an option: ``--`` alone, or ``--`` or ``-`` and a
    letter (``-`` alone, standard input, ``-5`` and ``-----`` do not):
    ``-(?:-(?:[A-Za-z]|$)|[A-Za-z])`` matched."""
    if value[:2] == "--":
        return value[2:] in ("", "\n") or _is_letter(value[2:3])
    return value[:1] == "-" and _is_letter(value[1:2])


def _is_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_whole(value: str) -> bool:
    """The whole numbers the fast path reads itself, ``[0-9]{1,18}``: ASCII digits, short
    enough for int() (click, through int(), also takes signs, spaces, "_" and other
    scripts' digits)."""
    return len(value) <= 18 and value.isascii() and value.isdigit()


class Given:
    """One option as given on the command line, in order: its ``name``, its
    ``value`` (``None`` for a flag), whether the value was its own argument
    (``separate``: ``--progress TEXT``, not ``--progress=TEXT``), and ``index``,
    the position of the argument that held the value (or the flag)."""

    __slots__ = ("index", "name", "separate", "value")

    def __init__(self, name: str, value: str | None, separate: bool, index: int) -> None:
        self.name, self.value, self.separate, self.index = name, value, separate, index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Given) and (self.name, self.value, self.separate) == \
            (other.name, other.value, other.separate)

    def __repr__(self) -> str:
        return f"Given({self.name!r}, {self.value!r}, {self.separate!r})"


#: The options whose value never starts with ``-`` (a role, a tag, an agent program, a
#: git ref, a task's id: :func:`ai_protocols.board.model.check_role`, ``check_tag``), with
#: a value that works (or, with a space in it, what to give instead):
#: for them, the advice after a value that looks like an option is not ``--name=-x``,
#: which would be refused in turn.
NO_DASH_VALUES = {"--role": "reviewer", "--to": "reviewer", "--tag": "backend",
                  "--runtime": "claude", "--checkpoint-ref": "HEAD",
                  "--task": "its id: 'ai-protocols task list' shows them"}


def scan(args: list[str], known: Mapping[str, tuple[bool, str, bool]], *,
         strict: bool) -> tuple[list[Given], list[tuple[int, str]]] | None:
    """Read ``args`` in order as click reads them: the options given, and the other
    arguments with their positions. ``known`` maps each option name to (takes a
    value, its key, may repeat).

    ``strict`` (the fast path): ``None`` for anything but ``known`` options in the
    forms ``--name value``, ``--name=value`` and ``--flag``, so that click reads it
    and says what is wrong. Not strict (click's own check before it parses):
    unknown options, a missing value and ``--`` end the checks, and click judges
    them. Both give ``None`` when help is asked for.

    Raises :class:`UsageProblem` for a value given as its own argument that looks
    like an option (:func:`looks_like_option`), which click would take as the
    value; and for an option that takes one value given twice, which click would
    take as the last one.
    """
    given: list[Given] = []
    others: list[tuple[int, str]] = []
    seen: dict[str, Given] = {}
    index = 0
    while index < len(args):
        token = args[index]
        name, has_value, value = token.partition("=")
        if token in HELP:
            return None
        if token == "--" or not token.startswith("-") or token == "-":
            if strict:
                return None
            if token == "--":
                break
            others.append((index, token))
            index += 1
            continue
        if name not in known:
            if strict:
                return None
            others.append((index, token))  # an unknown option: click says so, or keeps it
            index += 1
            continue
        takes_value, key, repeats = known[name]
        if not takes_value:
            if has_value:
                return None if strict else (given, others)
            given.append(Given(name, None, False, index))
            index += 1
            continue
        separate = not has_value
        if separate:
            if index + 1 >= len(args):
                return None if strict else (given, others)
            index += 1
            value = args[index]
            if looks_like_option(value):
                if name in NO_DASH_VALUES:  # (--role=--: refused too; advise what works)
                    sample = NO_DASH_VALUES[name]
                    raise UsageProblem(
                        f"{name} needs a value, and the next argument, {quoted(value)}, looks "
                        f"like an option: give {name} its value (which never starts with "
                        "'-'), " + (f"as in {name} {sample}" if " " not in sample else
                                    sample))
                raise UsageProblem(
                    f"{name} needs a value, and the next argument, {quoted(value)}, looks like an "
                    f"option: give {name} its value, or write a value that starts with '-' "
                    f"in one argument with '=', as in {name}={value}")
        entry = Given(name, value, separate, index)
        if not repeats and key in seen:
            first = seen[key]
            raise UsageProblem(
                f"{name} is given twice ({quoted(first.value)}, then {quoted(value)}) and "
                "takes one value; give it once")
        seen[key] = entry
        given.append(entry)
        index += 1
    return given, others


def _known(command: str) -> dict[str, tuple[bool, str, bool]]:
    return {o.name: (o.how != "flag", o.dest, o.how in ("many", "flag"))
            for o in OPTIONS[command]}


def parse_options(args: list[str], command: str) -> Parsed | None:
    """``args`` read as click reads them, keyed by each option's ``dest``, or ``None``
    (:func:`parse_command`)."""
    read = parse_command(args, command)
    return None if read is None else read[0]


def parse_command(args: list[str], command: str) -> tuple[Parsed, list[Given]] | None:
    """``args`` read as click reads them, keyed by each option's (and positional
    argument's) ``dest``, with the options as given, in order (:func:`scan`); or
    ``None`` when they hold anything but ``command``'s positional arguments, each a
    word that does not start with ``-``, all of them first and as many as it takes,
    then its options in the forms ``--name value``, ``--name=value`` and ``--flag``,
    every required one given, or anything :func:`scan` refuses (then click reads them,
    and says what is wrong)."""
    table = OPTIONS[command]
    arguments = [o for o in table if o.how in _POSITIONAL]
    words = 0
    while words < len(args) and not args[words].startswith("-"):
        words += 1
    if words != len(arguments) and not (
            arguments and arguments[-1].how == "arguments" and words >= len(arguments)):
        return None
    try:
        read = scan(args[words:], _known(command), strict=True)
    except UsageProblem:
        return None
    if read is None:
        return None
    options = {option.name: option for option in table}
    parsed: dict[str, object] = {
        o.dest: () if o.how == "many" else False if o.how == "flag" else o.default
        for o in options.values()
    }
    for at, option in enumerate(arguments):
        parsed[option.dest] = tuple(args[at:words]) if option.how == "arguments" \
            else args[at]
    for entry in read[0]:
        option = options[entry.name]
        if option.how == "flag":
            parsed[option.dest] = True
        elif option.how == "int":
            if not _is_whole(entry.value or "") or \
                    int(entry.value or "0") < (option.minimum or 0):
                return None  # click reads it, or says what is wrong with it
            parsed[option.dest] = int(entry.value or "0")
        elif option.how == "many":
            parsed[option.dest] = (*parsed[option.dest], entry.value)  # type: ignore[misc]
        else:
            parsed[option.dest] = entry.value
    if any(o.required and parsed[o.dest] is None for o in table):
        return None  # click says which is missing
    return parsed, read[0]  # type: ignore[return-value]


def whole_number(minimum: int | None = None) -> object:
    """The click type of every integer option (``resume --max-bytes``, ``merge-driver
    --marker-size``): one rule, the fast path's (:func:`_is_whole`): ASCII digits only,
    at most 18 of them, and at least ``minimum`` (below it: "N is too small: give
    MINIMUM or more", as every error says what to do). ``int()`` would take a sign, spaces,
    ``_`` and other scripts' digits (fullwidth digits, U+FF10 to U+FF19); those are a usage error
    (exit 2) saying what is wrong, as any other value is."""
    import click

    class WholeNumber(click.IntRange):
        def convert(self, value: object, param: click.Parameter | None,
                    ctx: click.Context | None) -> int:
            text = str(value)
            if not isinstance(value, int) and text.isascii() and text.isdigit() and \
                    not _is_whole(text):
                self.fail(f"{text} is too large: give at most 18 digits, as in "
                          f"{max(minimum or 0, 1000)}", param, ctx)
            if not isinstance(value, int) and not _is_whole(text):
                self.fail(f"{_shown(text)} is not a whole number: give ASCII digits "
                          f"only (0-9, no sign, space or other character), as in "
                          f"{max(minimum or 0, 1000)}", param, ctx)
            number = value if isinstance(value, int) else int(text)
            if minimum is not None and number < minimum:  # (click's words give no advice)
                self.fail(f"{number} is too small: give {minimum} or more", param, ctx)
            return super().convert(value, param, ctx)

    return WholeNumber(min=minimum)


def _shown(text: str) -> str:
    """``text`` quoted for an error message, what a terminal would not show escaped."""
    return repr(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                if any("\udc80" <= c <= "\udcff" for c in text) else text)


def click_options(command: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """A decorator that gives a click command ``command``'s options from :data:`OPTIONS`,
    each passed to it as the keyword ``dest``."""
    import click

    def decorate(func: Callable[..., object]) -> Callable[..., object]:
        for option in reversed(OPTIONS[command]):
            if option.how in _POSITIONAL:
                shown = {} if option.name == option.dest.upper() else \
                    {"metavar": option.name}
                func = click.argument(option.dest, **shown, **(
                    {"nargs": -1, "required": True} if option.how == "arguments" else {}))(func)
                continue
            # (is_flag=False given explicitly would make the value optional: click 8.2)
            how: dict[str, object] = {"flag": {"is_flag": True}, "many": {"multiple": True},
                                      "int": {"type": whole_number(option.minimum),
                                              "default": option.default,
                                              "metavar": "N"}}.get(option.how, {})
            if option.metavar is not None:
                how["metavar"] = option.metavar
            elif option.name == TASK_OPTION:
                how["metavar"] = "ID"
            elif option.how in ("one", "many") and command == "log":
                how["metavar"] = "TEXT"
            if option.required:
                how["required"] = True
            func = click.option(option.name, option.dest, help=option.help, **how)(func)
        return func

    return decorate


#: ``log``'s options that give an entry, by name: the kind of entry each gives.
_KIND_OF_OPTION = {kind.option: kind.kind for kind in ENTRY_KINDS}
_ORDER = {kind.kind: number for number, kind in enumerate(ENTRY_KINDS)}
#: The options whose value is a path, never a text: ``-`` and ``@FILE`` are names of files
#: there (``--key-file @types/index.d.ts``, npm's scoped folders), taken as they are.
PATH_OPTIONS = frozenset({"--key-file"})

def log_entries(given: list[Given]) -> list[tuple[str, Given, Given | None]]:
    """The entries ``log``'s options ask for, in the order of
    :data:`~ai_protocols.session.model.ENTRY_KINDS` (and, within a kind, of the
    command line), each ``--rationale`` with the ``--decision`` before it; the texts
    are read by :func:`read_log_entries`. Raises :class:`UsageProblem` when there is
    no entry, a rationale has no decision before it (or one that already has its
    rationale), a decision has no rationale, or more than one text is to come from
    standard input."""
    drafts: list[list[object]] = []
    decision: list[object] | None = None
    for entry in given:
        if entry.name == TASK_OPTION:
            continue  # not an entry (task_of)
        if entry.name == RATIONALE_OPTION[0]:
            if decision is None:
                raise UsageProblem(
                    f"--rationale {quoted(entry.value)} has no --decision before it; put each "
                    "--rationale right after the --decision it explains")
            if decision[2] is not None:
                raise UsageProblem(
                    f"--rationale {quoted(entry.value)} comes after --decision "
                    f"{quoted(decision[1].value)}, which already has its rationale "  # type: ignore[attr-defined]
                    f"({quoted(decision[2].value)}); put each --rationale right after "  # type: ignore[attr-defined]
                    "the --decision it explains")
            decision[2] = entry
            continue
        draft: list[object] = [_KIND_OF_OPTION[entry.name], entry, None]
        drafts.append(draft)
        if draft[0] == "decision":
            decision = draft
    if not drafts and task_of(given) is not None:
        return []  # log --task ID alone: only the link
    if not drafts:
        raise UsageProblem("give at least one of " +
                           ", ".join(k.option for k in ENTRY_KINDS))
    for kind, text, rationale in drafts:
        if kind == "decision" and rationale is None:
            raise UsageProblem(
                f"--decision {quoted(text.value)} has no --rationale; a decision needs its "  # type: ignore[attr-defined]
                "reason: add --rationale TEXT right after it")
    from_stdin = [e for e in given if e.separate and e.value == "-" and
                  e.name not in PATH_OPTIONS]
    if len(from_stdin) > 1:
        raise UsageProblem(
            f"{' and '.join(e.name for e in from_stdin)} would all read standard input "
            "('-'); only one text can come from it: give the others as @FILE")
    # A --current that a --done names too (the step begun and finished at once) is
    # marked first, so the --done ticks that one item rather than a second one.
    current = {d[1].value for d in drafts if d[0] == "current"}  # type: ignore[attr-defined]
    both = {d[1].value for d in drafts if d[0] == "done"} & current  # type: ignore[attr-defined]
    drafts.sort(key=lambda d: _ORDER["done"] - 0.5 if d[0] == "current" and both
                else _ORDER[d[0]])  # type: ignore[index]
    return [(str(k), t, r) for k, t, r in drafts]  # type: ignore[misc]


def task_of(given: list[Given]) -> str | None:
    """The task ``log --task ID`` names (``None`` without one)."""
    return next((g.value for g in given if g.name == TASK_OPTION), None)


def text_of(given: Given, stdin: BinaryIO | None = None) -> str:
    """The text ``given`` stands for: its value, except for a value given as its own
    argument (``--progress VALUE``, not ``--progress=VALUE``) that is ``-``, standard
    input, or ``@FILE``, the file ``FILE`` (relative to the working directory; ``@``
    alone names no file: it is the text ``@``); the
    value of a path option (:data:`PATH_OPTIONS`) is always as it is. What
    is read must be UTF-8; trailing line breaks are dropped, as the shell's
    ``$(cat FILE)`` drops them. Raises :class:`~ai_protocols.errors.InvalidText`
    when it cannot be read, is not UTF-8 or is far too long (the length itself is
    checked with every other text rule by the library)."""
    import sys

    from ai_protocols.errors import InvalidText
    from ai_protocols.session.text import MAX_TEXT

    value = given.value or ""
    if not given.separate or not (value == "-" or (value[:1] == "@" and value != "@")) or \
            given.name in PATH_OPTIONS:  # (a path is a name, never a text to read)
        return value
    limit = 4 * MAX_TEXT + 1  # UTF-8: at most 4 bytes a character; one more tells "too long"
    literal = f"{given.name}={value}"
    # An argument (task add's TITLE) has no '=' form: a text that is '-' or starts with
    # '@' comes from standard input (decisions.md, issue 15, thirteenth round).
    plain = f"give it on standard input: printf %s {quoted(value)} | ai-protocols task add -"
    if value == "-":
        source = stdin if stdin is not None else sys.stdin.buffer
        if stdin is None and sys.stdin.isatty():
            print(f"Reading {given.name}'s text from standard input; end it with Ctrl-D.",
                  file=sys.stderr, flush=True)
        try:
            data = source.read(limit)
        except OSError as error:
            raise InvalidText(given.name, value, "standard input cannot be read "
                              f"({error.strerror or error})" + (
                                  f"; to log '-' itself, write {literal}"
                                  if given.name.startswith("-") else "")) from error
        where = "standard input"
    else:
        try:
            with open(value[1:], "rb") as file:
                data = file.read(limit)
        except OSError as error:
            raise InvalidText(given.name, value, f"the file {quoted(value[1:])} cannot be read "
                              f"({error.strerror or error}); to give a text that starts "
                              f"with '@', " + (f"write {given.name}=@..." if
                                               given.name.startswith("-") else plain)) \
                from error
        where = f"the file {quoted(value[1:])}"
    if len(data) >= limit:
        raise InvalidText(given.name, value, f"{where} holds more than {MAX_TEXT:,} characters")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidText(given.name, value, f"{where} is not UTF-8 (byte {error.start})") \
            from error
    return text.rstrip("\r\n")


def read_log_entries(drafts: list[tuple[str, Given, Given | None]],
                     stdin: BinaryIO | None = None) -> list[LogEntry]:
    """The entries of :func:`log_entries`, their texts read (:func:`text_of`)."""
    return [LogEntry(kind, text_of(text, stdin),
                     None if rationale is None else text_of(rationale, stdin))
            for kind, text, rationale in drafts]


def known(command: str) -> dict[str, tuple[bool, str, bool]]:
    """:func:`scan`'s view of ``command``'s options: name -> (takes a value, its key,
    may repeat)."""
    return _known(command)


def log_known() -> dict[str, tuple[bool, str, bool]]:
    """:func:`scan`'s view of ``log``'s options."""
    return _known("log")
