"""What :mod:`ai_protocols.errors`, :mod:`ai_protocols.errors_rare` and
:mod:`ai_protocols.errors_write` build on: the base class :class:`AiProtocolsError`,
:class:`UnreadableSession` (the base of most of the write's), :class:`MergeConflict`
(:class:`~ai_protocols.errors.Unmerged`'s), the quoting of user input
in a message, and the texts their messages share. Import them from
:mod:`ai_protocols.errors`: this module is below all three, so that the exceptions of
the other two are made on first use without an import cycle (issue 16, twenty-sixth
round).
"""

from __future__ import annotations

from ai_protocols.lean import PathField, TextOf, counted, display, quoted

TYPE_CHECKING = False  # no pathlib at import (as ai_protocols.errors)
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["CHECKPOINT_NEEDS_GIT", "CHECK_NEEDS_GIT", "DUPLICATE_FIX", "AiProtocolsError",
           "MergeConflict", "UnreadableSession", "given_from_errors"]


def _show(value: str | bytes, limit: int = 60) -> str:
    """User input quoted for an error message (:func:`ai_protocols.lean.quoted`): its
    characters as given, cut to ``limit``; the CLI escapes the whole message once, by
    :func:`ai_protocols.lean.display`'s rule, where it prints it (``report_error``)."""
    return quoted(value, limit)


def _rebuild(cls: type[AiProtocolsError], args: tuple[object, ...],
             state: dict[str, object]) -> AiProtocolsError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class AiProtocolsError(Exception):
    """Base class: every error the library raises on purpose."""

    __module__ = "ai_protocols.errors"  # (where it is given from, and documented)
    exit_code = 1

    def __str__(self) -> str:
        """The message, safe to print: escaped once by
        :func:`ai_protocols.lean.display`'s rule (a control character, a byte that was
        not UTF-8 in user text it quotes, shown as an escape; one line). The message as
        built is :attr:`message`."""
        return display(self.message)

    @property
    def message(self) -> str:
        """The message as built, user text in it as given (not escaped): to put in
        another message, which is escaped once where it is shown."""
        return super().__str__()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by fields, not by ``__init__`` arguments, so that an error raised
        in a worker process (multiprocessing) reaches the parent intact."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


#: What the commands that need git need it for: said alike by their refusal outside a
#: git work tree (:class:`NotAGitRepository`) and outside any project
#: (:class:`NoProject`'s ``needs``), so that the first refusal names all there is to do.
CHECKPOINT_NEEDS_GIT = "checkpoints are git commits"
CHECK_NEEDS_GIT = "check reads the changes from git status"


#: How a task copied with its id is told apart, said by every message about one: only a
#: person can, in an editor (an agent's edit tool is refused the board: the PreToolUse
#: hook; no command picks one copy of an id). docs/tasks.md, "Duplicate ids".
DUPLICATE_FIX = ("a person must delete the :ID: line of every copy but one, in Emacs (open "
                 "the board, M-g g and the line of a copy's headline; its ':ID:' line is in "
                 "the drawer just below it: if the drawer is folded, TAB on its "
                 "':PROPERTIES:' line shows it; C-k C-k on the ':ID:' line, C-x C-s), and "
                 "the next command gives each copy a new id; an agent cannot (its edit tool "
                 "is refused the board), so it asks a person to")


def _lacking(count: int) -> str:
    """How many entries a copy holds that a file lacks, for a message: ``1 entry``,
    ``3 entries`` (:func:`~ai_protocols.lean.counted`), or ``entries`` when ``count``
    is negative (not known: the file could not be compared)."""
    return "entries" if count < 0 else counted(count, "entry", "entries")


class UnreadableSession(AiProtocolsError, ValueError):
    """A session-context file that cannot be understood (binary, not UTF-8...)."""

    __module__ = "ai_protocols.errors"  # (where it is given from, and documented)
    path = PathField()
    path_text = TextOf("path")

    exit_code = 6

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read session context {path}: {reason}; it was left unchanged")


class MergeConflict(UnreadableSession):
    """A session file holding the marker lines of a git merge that was not resolved:
    nothing is written into it until a person resolves the merge. Here, below
    :mod:`ai_protocols.errors_write`, as the base of its :class:`Unmerged`."""

    __module__ = "ai_protocols.errors"  # (where it is given from, and documented)

    def __init__(self, path: Path, lines: list[int], what: str = "session context",
                 sessions: str | None = None, remerge: str | None = None) -> None:
        self.lines = lines
        self.what = what  # the session context, or the task board
        #: When the two sides are two sessions (not versions of one), what they are and
        #: how to keep both: said instead of "keep what each side logged", which would
        #: make one session of two.
        self.sessions = sessions
        shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
        word = "line" if len(lines) == 1 else "lines"
        if sessions is not None:
            super().__init__(path, f"it holds git merge-conflict markers ({word} {shown}) "
                                   f"between two sessions: {sessions}")
            return
        # (remerge: the command that merges it again through the merge driver, while
        # git's index still holds both sides: said first, issue 14, fifteenth round)
        first = f"{remerge}; or resolve the merge by hand" if remerge else \
            "resolve the merge first"
        super().__init__(path, f"it holds git merge-conflict markers ({word} {shown}): "
                               f"{first} (keep what each side logged, delete the "
                               "marker lines, then git add the file)")
        if what != "session context":  # the task board (docs/tasks.md)
            self.args = (str(self).replace("cannot read session context", f"cannot read {what}",
                                           1).replace("keep what each side logged",
                                                      "keep each side's tasks and claims"),)


def given_from_errors(namespace: dict[str, object], names: list[str]) -> None:
    """Say of each class ``names`` of a module's ``namespace`` that it is
    :mod:`ai_protocols.errors`'s (its ``__module__``): the module that gives it, and that
    documents it, pickling finds it by, and ``repr`` names."""
    for name in names:
        namespace[name].__module__ = "ai_protocols.errors"  # type: ignore[attr-defined]
