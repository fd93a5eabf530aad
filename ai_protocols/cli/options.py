"""The one table of the hot commands' options, and the parser of the fast path.

Each option of ``log``, ``show`` and ``resume`` is declared once, in :data:`OPTIONS`
(``log``'s from the table of entry kinds,
:data:`ai_protocols.session.model.ENTRY_KINDS`). The click commands in
:mod:`ai_protocols.cli.app` get their options from :func:`click_options`; the
console script's fast path (:mod:`ai_protocols.cli.main`) reads arguments
with :func:`parse_options` from the same table. Neither imports click here:
:func:`click_options` imports it when the click CLI calls it.

:func:`log_entries` turns what either path read into the entries to log.
"""

from __future__ import annotations

import re

from ai_protocols.session.model import ENTRY_KINDS, RATIONALE_OPTION, LogEntry

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    Parsed = dict[str, "str | int | bool | tuple[str, ...] | None"]

__all__ = ["OPTIONS", "Option", "UsageProblem", "click_options", "log_entries",
           "parse_options"]


class UsageProblem(ValueError):
    """Options that cannot go together; the CLI shows it as a usage error (exit 2)."""


class Option:
    """One option: its long ``name`` (``--progress``), how it is read (``"flag"``,
    ``"one"`` value, ``"many"`` values, or ``"int"``, one whole number of at least
    ``minimum``, ``default`` when not given), its help text, and ``dest``, the key
    it is parsed into (the name without dashes, ``-`` as ``_``)."""

    __slots__ = ("default", "dest", "help", "how", "minimum", "name")

    def __init__(self, name: str, how: str, help: str, *, minimum: int | None = None,
                 default: int | None = None) -> None:
        self.name, self.how, self.help = name, how, help
        self.minimum, self.default = minimum, default
        self.dest = name[2:].replace("-", "_")


def _log_options() -> tuple[Option, ...]:
    """One option per entry kind, the rationale right after the decision."""
    options = []
    for kind in ENTRY_KINDS:
        options.append(Option(kind.option, "many" if kind.repeatable else "one", kind.help))
        if kind.kind == "decision":
            options.append(Option(*RATIONALE_OPTION[:1], "one", RATIONALE_OPTION[1]))
    return tuple(options)


#: The bound of ``resume``'s output (the values of ai_protocols.session.resume,
#: which this module does not import: tests/test_resume.py keeps them equal).
RESUME_MAX_BYTES, RESUME_MIN_BYTES = 4096, 2560

#: Every option of the commands the fast path answers, in --help order.
OPTIONS: dict[str, tuple[Option, ...]] = {
    "log": _log_options(),
    "show": (Option("--json", "flag", "Print JSON (keys in docs/cli.md)."),),
    "hook": (Option("--runtime", "one", "The agent program running the hook: claude or codex."),),
    "resume": (
        Option("--json", "flag", "Print JSON, on one line (keys in docs/cli.md)."),
        Option("--max-bytes", "int",
               f"Print at most N bytes (default {RESUME_MAX_BYTES}).",
               minimum=RESUME_MIN_BYTES, default=RESUME_MAX_BYTES),
    ),
}
#: The whole numbers the fast path reads itself: ASCII digits, short enough for int()
#: (click, through int(), also takes signs, spaces, "_" and other scripts' digits).
_WHOLE = re.compile(r"[0-9]{1,18}")


def parse_options(args: list[str], command: str) -> Parsed | None:
    """``args`` read as click reads them, keyed by each option's ``dest``, or
    ``None`` when they hold anything but ``command``'s options in the forms
    ``--name value``, ``--name=value`` and ``--flag`` (then click reads them,
    and says what is wrong)."""
    options = {option.name: option for option in OPTIONS[command]}
    parsed: dict[str, object] = {
        o.dest: () if o.how == "many" else False if o.how == "flag" else o.default
        for o in options.values()
    }
    rest = list(args)
    while rest:
        name, has_value, value = rest.pop(0).partition("=")
        option = options.get(name)
        if option is None or (option.how == "flag" and has_value):
            return None
        if option.how == "flag":
            parsed[option.dest] = True
            continue
        if not has_value:
            if not rest:
                return None
            value = rest.pop(0)
        key = option.dest
        if option.how == "int":
            if not _WHOLE.fullmatch(value) or int(value) < (option.minimum or 0):
                return None  # click reads it, or says what is wrong with it
            parsed[key] = int(value)
            continue
        parsed[key] = (*parsed[key], value) if option.how == "many" else value  # type: ignore[misc]
    return parsed  # type: ignore[return-value]


def click_options(command: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """A decorator that gives a click command ``command``'s options from :data:`OPTIONS`,
    each passed to it as the keyword ``dest``."""
    import click

    def decorate(func: Callable[..., object]) -> Callable[..., object]:
        for option in reversed(OPTIONS[command]):
            # (is_flag=False given explicitly would make the value optional: click 8.2)
            how: dict[str, object] = {"flag": {"is_flag": True}, "many": {"multiple": True},
                                      "int": {"type": click.IntRange(min=option.minimum),
                                              "default": option.default,
                                              "metavar": "N"}}.get(option.how, {})
            func = click.option(option.name, option.dest, help=option.help, **how)(func)
        return func

    return decorate


def log_entries(parsed: Parsed) -> list[LogEntry]:
    """The entries ``log``'s parsed options ask for, in the order of
    :data:`~ai_protocols.session.model.ENTRY_KINDS`. Raises :class:`UsageProblem`
    when there is none, or a rationale without a decision."""
    rationale = parsed.get("rationale")
    if rationale is not None and parsed.get("decision") is None:
        raise UsageProblem("--rationale goes with --decision")
    entries: list[LogEntry] = []
    for kind in ENTRY_KINDS:
        value = parsed.get(kind.option[2:].replace("-", "_"))
        texts = value if isinstance(value, tuple) else () if value is None else (value,)
        entries += [LogEntry(kind.kind, text,  # type: ignore[arg-type]
                             rationale if kind.kind == "decision" else None)  # type: ignore[arg-type]
                    for text in texts]
    if not entries:
        raise UsageProblem("give at least one of " +
                           ", ".join(k.option for k in ENTRY_KINDS))
    return entries
