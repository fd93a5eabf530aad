"""What the click commands share: library errors turned into ``Error: ...`` and their
exit code, and :class:`InOrderCommand`, the command class that reads its command line
in order first (every command of ``ai-protocols``, the task board's included). Both
:mod:`ai_protocols.cli.board` and :mod:`ai_protocols.cli.app` use them (board cannot
import app, which adds board's commands: that would be a cycle)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ai_protocols.cli import commands
from ai_protocols.cli.options import Given, UsageProblem, looks_like_option, scan
from ai_protocols.cli.output import display, report_error
from ai_protocols.errors import AiProtocolsError

__all__ = ["GIVEN", "InOrderCommand", "InOrderGroup", "errors_to_exit"]

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


def _article(word: str) -> str:
    """``A`` or ``An`` before ``word`` (an ``ID``, a ``DESCRIPTION``), as it is read."""
    return "An" if word[:1].upper() in "AEIO" else "A"


#: Options agents often guess, and the ones each may mean, the first a command has
#: (click's "Did you mean" finds near spellings only: --message is not near --note;
#: ``-m`` is git's habit; a ``log`` message is a progress item).
_GUESSED = {guessed: ("--note", "--progress", "--reason")
            for guessed in ("--message", "--msg", "--comment", "-m")} | {
    "--why": ("--reason", "--note"), "--reason": ("--note",), "--note": ("--reason",)}

#: The arguments that are a text of several words (a title, a description): a guessed
#: option's value may be meant as one. Every other argument is one word (an id, a ref, a
#: path, an event, an agent's name), which no option's value stands for.
_TEXT_ARGUMENTS = ("TITLE", "DESCRIPTION")

#: Where :class:`InOrderCommand` keeps the options as given, in order, for the callback.
GIVEN = "ai_protocols.given"


class InOrderCommand(click.Command):
    """A click command that reads its command line in order first
    (:func:`ai_protocols.cli.options.scan`, as the fast path does) and keeps what it
    read in ``ctx.meta[GIVEN]``; refuses what click would take silently (a value
    that looks like an option, a one-value option given twice); and says how to
    quote a text of several words, or give one that starts with ``-``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            self._check(ctx, args)
        given = list(args)  # (click's parser consumes the list)
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            _advise(self, ctx, error, given)
            raise

    def _check(self, ctx: click.Context, args: list[str]) -> None:
        known: dict[str, tuple[bool, str, bool]] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                flag = param.is_flag or param.count
                for name in (*param.opts, *param.secondary_opts):
                    known[name] = (not flag, param.name or name, bool(param.multiple or flag))
        try:
            read = scan(args, known, strict=False)
        except UsageProblem as problem:
            raise click.UsageError(str(problem), ctx) from None
        if read is None:
            return  # help
        given, others = read
        ctx.meta[GIVEN] = given
        ctx.meta[_WORDS] = [token for _, token in others]
        if any(looks_like_option(token) for _, token in others):
            return  # an option it does not have: click says so (parse_args adds the advice)
        arguments = [p for p in self.params if isinstance(p, click.Argument)]
        texts = [o for o in ("--title", "--objective", "--note", "--reason", "--progress")
                 if o in known and known[o][0]]
        if any(p.nargs < 0 for p in arguments):
            # (lock x --reason a b): the words after a text's value are not more PATHs
            # taken silently; the text goes in quotes, the PATHs before the option.
            for g in given:
                after = [t for i, t in others if i > g.index]
                if g.separate and g.name in texts and others and \
                        any(i == g.index + 1 for i, _ in others):
                    raise click.UsageError(
                        f"unexpected {_words(after)} after {g.name} {_quote(g.value or '')}"
                        f": a text of several words goes in quotes, as in {g.name} "
                        f"{_quote(' '.join([g.value or '', *after]))}; the "
                        f"{arguments[0].human_readable_name} go before {g.name}, as in "
                        f"{ctx.command_path} {' '.join(_quote(t) for _, t in others)} {g.name} "
                        f"{_quote(g.value or '')}", ctx)
            return
        if self.ignore_unknown_options:
            return
        expected = sum(p.nargs for p in arguments)
        if len(others) <= expected:
            return
        extra = others[expected:]
        words = [token for _, token in extra]
        owner = next((g for g in given if g.separate and g.index + 1 == extra[0][0]), None)
        if owner is not None and [i for i, _ in extra] == list(
                range(owner.index + 1, owner.index + 1 + len(extra))):
            if owner.name in _ONE_WORD:  # an id: quoting the words into it cannot help
                where = f"as in {texts[0]} {_quote(' '.join(words))}" if texts else \
                    "with the option it belongs to"
                raise click.UsageError(
                    f"unexpected {_words(words)} after {owner.name} "
                    f"{_quote(owner.value or '')}: {owner.name} takes {_ONE_WORD[owner.name]}"
                    f", one word; a text goes in its own option, {where}", ctx)
            if owner.name in _ONE_PATH:  # (--working-set a b): one path each time
                raise click.UsageError(
                    f"unexpected {_words(words)} after {owner.name} "
                    f"{_quote(owner.value or '')}: {owner.name} takes one value; repeat it "
                    f"for each, as in " + " ".join(f"{owner.name} {_quote(v)}" for v in
                                                   [owner.value or '', *words]), ctx)
            raise click.UsageError(
                f"unexpected {_words(words)} after {owner.name} {_quote(owner.value or '')}: "
                f"a text of several words goes in quotes, as in {owner.name} "
                f"{_quote(' '.join([owner.value or '', *words]))}", ctx)
        if expected == 0 and texts:  # (pause lunch): the words are the text of an option
            raise click.UsageError(
                f"{ctx.command_path} takes no argument, and was given {_quote(' '.join(words))}"
                f": a text goes "
                f"in its own option, as in {ctx.command_path} {texts[0]} "
                f"{_quote(' '.join(words))}", ctx)
        if expected == 1 and arguments[0].nargs == 1 and len(others) > 1:
            name = arguments[0].human_readable_name
            text = " ".join(token for _, token in others)
            if name == "REF":  # a checkpoint's name: never several words (no space in one)
                raise click.UsageError(
                    f"{ctx.command_path} takes one REF, and got {len(others)} words ({text})"
                    ": give one checkpoint (N, AGENT/N, its full ref or a commit hash), as "
                    f"in {ctx.command_path} {_quote(others[0][1])}", ctx)
            if name == "ID":  # an id: quoting words into it cannot help
                where = f"; a text goes in its own option, as in {texts[0]} " \
                        f"{_quote(' '.join(t for _, t in others[1:]))}" if texts else ""
                what = ("one agent's id (its AI_AGENT_ID) or the path of its session file, "
                        "as 'ai-protocols status' lists them; one at a time"
                        if arguments[0].name == "target" else "one task's id")
                raise click.UsageError(
                    f"{ctx.command_path} takes one ID, and got {len(others)} words ({text})"
                    f": give {what}{where}", ctx)
            raise click.UsageError(
                f"{self.name} takes one {name}, and got {len(others)} words: put it in "
                f"quotes, as in {ctx.command_path} {_quote(text)}", ctx)


def _displayed(error: click.ClickException) -> None:
    """``error`` with its message made safe for the terminal by :func:`display`, once
    (the one place click's usage errors pass on their way out: a raise site quotes user
    text as it is, so that nothing is escaped twice)."""
    if not getattr(error, "_ai_protocols_displayed", False):
        error.message = display(error.message)
        error._ai_protocols_displayed = True  # type: ignore[attr-defined]


class InOrderGroup(click.Group):
    """A click group whose own options are read as :class:`InOrderCommand` reads a
    command's (:func:`ai_protocols.cli.options.scan`: a one-value option given twice,
    ``checkpoint --note a --note b``, is refused, never the last one taken), whose
    commands are :class:`InOrderCommand` and whose subgroups are of this class: one
    rule for every single-valued option of every command."""

    command_class = InOrderCommand
    group_class = type  # (its subgroups: this class)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            _displayed(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            _displayed(error)
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            known: dict[str, tuple[bool, str, bool]] = {}
            for param in self.get_params(ctx):
                if isinstance(param, click.Option):
                    flag = param.is_flag or param.count
                    for name in (*param.opts, *param.secondary_opts):
                        known[name] = (not flag, param.name or name,
                                       bool(param.multiple or flag))
            own, at = [], 0  # the group's own options: those before its command's name
            while at < len(args) and args[at].startswith("-") and args[at] != "--":
                own.append(args[at])
                name = args[at].partition("=")[0]
                if name in known and known[name][0] and "=" not in args[at] and \
                        at + 1 < len(args):
                    own.append(args[at + 1])
                    at += 1
                at += 1
            try:
                read = scan(own, known, strict=False)
            except UsageProblem as problem:
                raise click.UsageError(str(problem), ctx) from None
            if read is not None:  # (how each was given: text_option reads it, as for a command)
                ctx.meta[GIVEN] = read[0]
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            _advise(self, ctx, error, list(args))
            raise


def _advise(command: click.Command, ctx: click.Context, error: click.NoSuchOption,
            given: list[str]) -> None:
    """Add to ``error`` (an option ``command`` does not have, in the command line
    ``given``) the advice that does what was meant: the option it has for a guess agents
    often make (:data:`_GUESSED`: ``--message`` is ``--note``); for a guessed option
    beside the command's arguments (``task add --title 'Fix login' --role r``), the
    command line without it, its value as the argument, every other option kept, when
    that gives the command its arguments; for a missing argument that starts with
    ``-``, to put it after ``--``."""
    typed = error.option_name
    if typed not in given:  # only its start (-a of '-a b'): the word typed
        typed = next((a for a in given if a.startswith(typed)), typed)
    name_typed, equals, value = typed.partition("=")
    has = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    named = {w.partition("=")[0] for w in given if looks_like_option(w)}

    def meant(option: str) -> str | None:  # (not one the command lacks, nor one given)
        return next((g for g in _GUESSED.get(option, ()) if g in has and g not in named),
                    None)

    if typed[:2] in _GUESSED and typed[:3] != "---" and not equals and \
            meant(typed[:2]) is not None:  # -mtext: -m, text (else an id such as -m1)
        name_typed, equals, value = typed[:2], "=", typed[2:]
    guess = meant(name_typed)
    if guess is not None:
        error.possibilities = [guess]  # (click's nearest spelling would not find it)
        return
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if not arguments or command.ignore_unknown_options:
        return
    name = " or ".join(a.human_readable_name for a in arguments)
    words = ctx.meta.get(_WORDS, [])
    rest = [w for w in words if not looks_like_option(w)]
    needed = sum(abs(a.nargs) for a in arguments if a.required) or 1
    if equals and typed in given:
        rest = [*rest, value]
    if len(rest) >= needed and typed not in rest:
        # the arguments are there: the option is a guess, not a text that starts with
        # '-' (wrap-up --summary done; task add --title 'x' --role r)
        error.possibilities = []
        error.message = error.message.rstrip(".") + f": {ctx.command_path} has no option " \
            f"{name_typed}"
        single = len(arguments) == 1 and arguments[0].nargs == 1 and \
            arguments[0].human_readable_name in _TEXT_ARGUMENTS
        # (several words typed without quotes are one text: wrap-up --summary done for
        # now; texts quoted apart are not, and no advice can tell which is meant)
        if single and typed in given and \
                (len(rest) == 1 or not any(c.isspace() for w in rest for c in w)):
            at = given.index(typed)
            line = given[:at] + ([value] if equals else []) + given[at + 1:]
            unknown = [w for w in line if looks_like_option(w) and
                       w.partition("=")[0] not in has and w != "--"]
            if unknown:  # (another guessed option: the advice cannot keep it)
                error.message += f" nor {_quote(unknown[0].partition('=')[0])} (see " \
                    f"{ctx.command_path} --help)"
                return
            advised, left = [], list(rest)
            for word in line:
                if left and word == left[0]:
                    if len(left) == len(rest):
                        advised.append(" ".join(rest))
                    left.pop(0)
                else:
                    advised.append(word)
            error.message += (f"; its {name} goes in quotes, with no option before it, as "
                              f"in {ctx.command_path} {' '.join(map(_quote, advised))}")
        else:
            error.message += f" (see {ctx.command_path} --help)"
        return
    example = " ".join(map(_quote, [*(w for w in given if w != typed), "--", typed])) \
        if len(arguments) == 1 and typed in given and "--" not in given else \
        "-- " + " ".join(a.human_readable_name for a in arguments)
    error.message = error.message.rstrip(".") + (
        f". {_article(name)} {name} that starts with '-' goes after '--', "
        f"the options before it: {ctx.command_path} {example}")


_quote = commands.quote
#: Where :class:`InOrderCommand` keeps the words that are no option's value, in order.
_WORDS = "ai_protocols.words"
#: Options whose value is one word (an id, a name): words after one are not more of it,
#: so the advice is not to quote them into it.
_ONE_WORD = {"--task": "a task id", "--to": "a role", "--role": "a role", "--tag": "a tag",
             "--checkpoint-ref": "a ref or commit", "--runtime": "a runtime name",
             "--scope": "a scope name"}


#: Options that take one path, and may be given again for more.
_ONE_PATH = ("--working-set", "--key-file")


def _words(words: list[str]) -> str:
    return f"word {_quote(words[0])}" if len(words) == 1 else \
        f"words {_quote(' '.join(words))}"


def text_option(name: str, value: str | None) -> str | None:
    """The text of the option ``name`` (``--note``, ``--reason``) given ``value``, as every
    text option reads it (:func:`~ai_protocols.cli.options.text_of`): given as its own
    argument, ``-`` is standard input and ``@FILE`` the file ``FILE``; with ``=``, the
    value as it is. ``None`` when not given. For the commands of :class:`InOrderCommand`
    (how the option was given is in ``ctx.meta[GIVEN]``); a separate value that looks
    like an option is refused (click.UsageError), as in cli/options.py."""
    if value is None:
        return None
    from ai_protocols.cli.options import text_of

    given = [g for g in click.get_current_context().meta.get(GIVEN, []) if g.name == name]
    last = given[-1] if given else Given(name, value, True, 0)
    if not last.separate:
        return value
    if looks_like_option(value):
        raise click.UsageError(
            f"{name} needs a value, and the next argument, {value!r}, looks like an "
            f"option: give {name} its value, or write a value that starts with '-' in "
            f"one argument with '=', as in {name}={value}")
    return text_of(Given(name, value, True, 0))
