"""What goes into the task board: titles, tags, roles and note lines checked, paths
checked and made plain, task ids minted and found, what an archived or unusable entry
is, the holders the board names. Split out of :mod:`ai_protocols.board.model`, which
re-exports every name.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.board.board_file import (
    _PROTECTED,
    STATES,
    AreaLock,
    BoardFile,
    _leaves_project,
    locks_section,
    read_value,
    split_paths,
    stray_properties,
    task_headlines,
)
from ai_protocols.board.board_read import read_board
from ai_protocols.errors import DuplicateTaskId, InvalidText, TaskNotFound
from ai_protocols.lean import pattern, record
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import inside_root, real_inside

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Container, Mapping
    from datetime import datetime
    from pathlib import Path

    from ai_protocols.board.board_file import Task
    from ai_protocols.org.file import OrgFile


#: Characters of a task's title, a role or a tag at most.
MAX_TITLE = 200
MAX_WORD = 60
#: The longest path kept in a working set or lock, in characters.
MAX_PATH = 1000


def id_fault(text: str) -> str | None:
    """Why ``text``, an id a person typed on a task's ``:ID:`` line, cannot be a task's id,
    in words for a message (``it holds a space; ...``); ``None`` when it can. A task's id
    keeps the agent-id rule (:func:`~ai_protocols.paths.safe_id`: one word, no white
    space, control character, ``/``, ``(``, ``)`` or ``:``, at most 200 bytes in its
    file-name form: the log's notes name it in parentheses, and Org drops white space
    at a property's ends), shows as itself on a terminal (:func:`~ai_protocols.lean.display`:
    no invisible or format character) and is inert Org text (no zero-width escape of
    :func:`~ai_protocols.org.syntax.escape_inline` needed in a note that names it): a
    note that names it is then the very id, found by a search (docs/tasks.md, "Ids")."""
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.lean import display
    from ai_protocols.org.syntax import escape_inline, markup_in
    from ai_protocols.paths import safe_id

    try:
        safe_id(text)
    except InvalidAgentId as error:
        return error.reason.split("; an agent id", 1)[0] + \
            "; a task's id is one word: no white space, no '(', ')', ':' or '/'"
    if display(text) != text:
        return "it holds a character a terminal does not show as itself"
    if escape_inline(text) != text:
        return f"Org would read part of it as {markup_in(text) or 'markup'}"
    return None


def id_shown(text: str) -> str:
    """``text``, an id a person typed, as a log note names it: quoted, escaped by the
    one display rule (:func:`~ai_protocols.lean.quoted`, :func:`~ai_protocols.lean.display`),
    so that nothing invisible is written; or, when Org would read part of it as an
    object (which only a zero-width space could escape), ``a text not copied here``
    with what Org would read (:func:`~ai_protocols.org.syntax.markup_in`: ``a link, if
    Org knows a link type named as the word before its colon`` for ``x:y``), without
    it."""
    from ai_protocols.lean import display, quoted
    from ai_protocols.org.syntax import escape_inline, markup_in

    shown = quoted(display(text))
    if escape_inline(shown) == shown:
        return shown
    return f"a text not copied here (Org would read part of it as " \
           f"{markup_in(shown) or 'markup'})"


@record
class Sunk:
    """A headline that holds a task's ``ID`` but is not read as a task: below level 1
    (demoted, or moved under another task, in Emacs: ``org-demote-subtree``), outside
    the locks section; or in the board's Org archive (``org-archive-subtree``, at
    ``archive``). Its ``line`` (from 1, in the board or the archive), ``level``, id,
    state, and claim (``owner``, ``owner_process``, ``claimed``, ``claimed_at``)."""

    id: str
    line: int
    level: int
    state: str | None
    owner: str | None = None
    owner_process: str | None = None
    claimed: datetime | None = None
    claimed_at: str | None = None
    archive: str | None = None
    #: A lock moved out of the locks section (:func:`sunk_locks`): the lock as it reads
    #: there (``id`` is then ``""``, ``owner`` its holder).
    lock: AreaLock | None = None

    def where(self) -> str:
        """Where it is and what to do, for a message."""
        if self.lock is not None:
            return (f"line {self.line} of the board holds it as a level-{self.level} "
                    "headline outside the Locks section (moved in Emacs: promoted, refiled, "
                    "or cut and pasted under a task?): the board reads only the Locks "
                    "section's level-2 headlines as locks; move it back there (org-refile, "
                    "or cut and paste it under * Locks at level 2), or delete that headline "
                    "to end the lock")
        if self.archive is not None:
            return (f"line {self.line} of {self.archive} holds it (archived in Emacs, "
                    "org-archive-subtree?): the board reads only its own level-1 headlines "
                    "as tasks; move it back to the board as a top-level headline "
                    "(org-refile, or cut and paste), or, to leave it archived, delete its "
                    ":OWNER: line there")
        return (f"line {self.line} of the board holds that :ID: as a level-{self.level} "
                "headline (demoted, or moved under another task, in Emacs?): the board reads "
                "only level-1 headlines as tasks; promote it back to a top-level headline "
                "(org-promote-subtree, M-S-<left>)")


#: The properties only this tool writes on a task (``task add``: ``CREATED``; a claim:
#: ``CLAIMED``, ``CLAIMED_AT``; ``task done``: ``CLOSED_AT``): a headline below level 1
#: is a moved task only with its ``ID`` and one of them (:func:`sunk_tasks`); a person's
#: own sub-heading with an org-id ``ID`` and an ``OWNER`` of their own is none.
TASK_RECORD = ("CREATED", "CLAIMED", "CLAIMED_AT", "CLOSED_AT")


def sunk_tasks(doc: OrgFile, archive: str | None = None) -> list[Sunk]:
    """The headlines of ``doc`` that hold an ``ID`` and one of the task properties only
    this tool writes (:data:`TASK_RECORD`) but are no task: below level 1,
    outside the locks section (:class:`Sunk`). With ``archive`` (``doc`` is the board's
    Org archive, named so), every headline that holds an ``ID``, at any level, its state
    the ``ARCHIVE_TODO`` Org recorded (the archive declares no task states). Reading
    only; ``[]`` for a board without such headlines."""
    section = locks_section(doc)
    top = doc.headlines[section] if section is not None else None
    found = []
    for index, h in enumerate(doc.headlines):
        if archive is None and h.level == 1:
            continue
        if top is not None and top.line < h.line < top.subtree_end:
            continue
        p = stray_properties(doc, index)
        if not p.get("ID") or not any(p.get(key) for key in TASK_RECORD):
            continue  # (a person's own heading with an org-id ID: never a task)
        state = h.todo if archive is None else (p.get("ARCHIVE_TODO") or h.todo)
        found.append(Sunk(p["ID"], h.line + 1, h.level, state, read_value(p.get("OWNER")),
                          p.get("OWNER_PROCESS") or None,
                          parse_timestamp(p.get("CLAIMED", "")),
                          p.get("CLAIMED_AT") or None, archive))
    return found


def sunk_locks(doc: OrgFile) -> list[Sunk]:
    """The headlines of ``doc`` that hold a lock as this tool writes one (a ``PATH`` of
    one path, an ``OWNER`` and a ``LOCKED`` or ``LOCKED_AT``, no ``ID``) but are no lock:
    outside the level-2 headlines of the locks section (:func:`locks_section`), where a
    person moved it in Emacs (promoted, refiled, cut and pasted under a task). The same
    rule as :func:`sunk_tasks`: the board reads no lock there, the next change does not
    put a copy back into the Locks section (``Board.lost``), and every board command
    names its line (:class:`Sunk`, its ``lock``). Reading only."""
    section = locks_section(doc)
    top = doc.headlines[section] if section is not None else None
    found = []
    for index, h in enumerate(doc.headlines):
        if top is not None and top.line < h.line < top.subtree_end and \
                h.level == top.level + 1:
            continue
        p = stray_properties(doc, index)
        if not (p.get("PATH") and p.get("OWNER") and (p.get("LOCKED") or p.get("LOCKED_AT"))) \
                or p.get("ID"):
            continue
        paths = split_paths(p["PATH"])
        if len(paths) != 1:
            continue
        lock = AreaLock(paths[0], read_value(p["OWNER"]) or "", p.get("OWNER_PROCESS") or None,
                        read_value(p.get("REASON")), parse_timestamp(p.get("LOCKED", "")),
                        h.line + 1, p.get("LOCKED_AT") or None)
        found.append(Sunk("", h.line + 1, h.level, None, lock.owner, lock.owner_process,
                          lock.locked, lock.locked_at, lock=lock))
    return found


def archive_path(board: str) -> str:
    """The board's Org archive, where ``org-archive-subtree`` moves a subtree by default:
    ``tasks.org_archive`` beside it (``org-archive-location``'s default ``%s_archive::``,
    Org manual "Moving subtrees")."""
    return board + "_archive"


def all_sunk(doc: OrgFile | None, board: str) -> list[Sunk]:
    """The headlines holding a task's id that are no task: below level 1 on the board
    ``doc`` (:func:`sunk_tasks`), then in the Org archive of the board at ``board``
    (:func:`archive_path`; read only when there is one, and one that cannot be read
    gives nothing)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.storage import files as storage

    found = sunk_tasks(doc) if doc is not None else []
    archive = archive_path(board)
    try:
        data = storage.read_bytes(archive)
        if data:
            found += sunk_tasks(BoardFile(storage.decode(archive, data)), archive)
    except AiProtocolsError:
        pass  # (an archive that cannot be read: nothing said of it)
    return found


def unusable_locks(doc: OrgFile) -> list[tuple[int, str]]:
    """Each headline of the locks section that locks nothing, as its line (from 1) and
    why: no ``PATH`` property (a lock written by hand without one), or a ``PATH``
    naming no path or several (a lock holds one). :func:`read_board` leaves them out;
    ``check`` and ``locks`` warn about them."""
    found: list[tuple[int, str]] = []
    section = locks_section(doc)
    if section is None:
        return found
    top = doc.headlines[section]
    for index in range(section + 1, len(doc.headlines)):
        h = doc.headlines[index]
        if h.line >= top.subtree_end:
            break
        if h.level != top.level + 1:
            continue
        p = stray_properties(doc, index)
        if "PATH" not in p:
            found.append((h.line + 1, "it has no PATH property, so it locks nothing: give "
                                      "it one (:PATH: src/api/), or remove it"))
        elif len(split_paths(p["PATH"])) != 1:
            found.append((h.line + 1, "its PATH names no path or several, so it locks "
                                      "nothing: a lock holds one path (one lock each)"))
        elif _leaves_project(split_paths(p["PATH"])[0]):
            found.append((h.line + 1, "its PATH is absolute or leads out of the project's "
                                      "top (a lock's PATH is relative to the top: "
                                      ":PATH: src/api/; ./ for the whole project), so "
                                      "it locks nothing: write it so, or remove it"))
    return found


def unusable_working_sets(doc: OrgFile) -> list[tuple[int, str]]:
    """Each path of a task's ``WORKING_SET`` that names nothing inside the project, as
    its task's line (from 1) and why: absolute (``/tmp/x/lib``) or above the project's
    top (``../x``), read as :func:`written_area` reads every hand-written path (it is in
    no working set, for ``check`` and every reader alike). ``check``, ``locks``,
    ``task list`` and ``task show`` warn about them, as :func:`unusable_locks` for a
    lock's ``PATH``."""
    found: list[tuple[int, str]] = []
    for index in task_headlines(doc):
        h = doc.headlines[index]
        for path in split_paths(stray_properties(doc, index).get("WORKING_SET", "")):
            if _leaves_project(path):
                found.append((h.line + 1, f"the path {path!r} of its WORKING_SET is "
                                          "absolute or leads out of the project's top (a "
                                          "working set's paths are relative to the top: "
                                          ":WORKING_SET: src/api/ lib/; ./ for the whole "
                                          "project), so it allows no file: write it so, or "
                                          "remove it"))
    return found


def setup_files(text: str) -> list[tuple[int, str]]:
    """The ``#+SETUPFILE:`` lines of a board's ``text`` (ignoring case; only spaces and
    tabs before ``#+``), as their line (from 1) and the file each names. Org reads the
    setup file's ``#+TODO:`` lines as the board's own (Org manual, "In-buffer
    settings"); this tool does not (a board is read from its text alone, by the hook
    too), so a state declared only there is no state for it: ``check``, ``locks``,
    ``task list`` and ``task show`` warn about each such line."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        bare = line.lstrip(" \t")
        if bare[:12].upper() == "#+SETUPFILE:":
            found.append((number, bare[12:].strip()))
    return found


def owner_problem(owner: str | None) -> str | None:
    """Why the ``OWNER`` of a lock or claim names no agent this tool can judge (``None``:
    it does): missing or empty, or not an agent id
    (:func:`ai_protocols.paths.safe_id`'s rule, as ``AI_AGENT_ID`` is held to). Such a
    holder is of state ``unknown``: its lock holds, its claim is taken only with
    ``--force`` (docs/tasks.md, "An owner the tool cannot judge")."""
    if not owner:
        return "it names no OWNER"
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.lean import quoted
    from ai_protocols.paths import safe_id

    try:
        safe_id(owner)
    except InvalidAgentId as error:
        return f"its OWNER {quoted(owner)} is not an agent id ({error.reason})"
    return None


def unknown_holders(doc: OrgFile) -> list[tuple[int, str]]:
    """Each lock, and each claimed open task, whose ``OWNER`` the tool cannot judge
    (:func:`owner_problem`), as its line (from 1) and what to say of it: ``check``,
    ``locks`` and ``task list`` warn about them."""
    found: list[tuple[int, str]] = []
    tasks, locks = read_board(doc, check=False)
    for lock in locks:
        why = owner_problem(lock.owner)
        if why is not None:
            found.append((lock.line, f"the lock on {lock.path}: {why}, so its holder is "
                                     "unknown: it still holds (edits into it are refused), "
                                     "and only 'ai-protocols lock/unlock --force' takes it; "
                                     "give it the OWNER of the agent that holds it"))
    for task in tasks:
        if task.owner and task.is_open:
            why = owner_problem(task.owner)
            if why is not None:
                found.append((task.line, f"the claim of task {task.id or '(no id)'}: {why}, "
                                         "so its holder is unknown: only --force takes "
                                         "it over"))
    return sorted(found)


# -- what goes in -----------------------------------------------------------------------------

_PRIORITY = pattern(r"\[#.\]")
_TRAILING_TAGS = pattern(r"[ \t]:[\w@#%:]+:[ \t]*$")
_TAG = pattern(r"[\w@#%]+")
_TAGS_ALONE = pattern(r":[\w@#%:]+:")


#: A control character a person may type in a one-line value, named, with what to do.
_CONTROL_NAMES = {"\t": ("a tab", "use a space instead"),
                  "\n": ("a line break", "give it as one line"),
                  "\r": ("a carriage return", "give it as one line")}


def _one_line(field_name: str, text: str, limit: int) -> None:
    """The one rule of the board's one-line values (a title, tag, role, path, reason,
    note, checkpoint): :func:`~ai_protocols.session.text.check_text`'s, a control
    character (a tab among them) refused naming it and what to do; every other
    character, Unicode's other spaces (U+00A0, U+2009...) among them, kept as typed."""
    from ai_protocols.session.text import check_text

    odd = next((ch for ch in text if (ch < " " and ch != "\x00") or "\x7f" <= ch <= "\x9f"),
               None)
    if odd is not None and text.strip():
        name, advice = _CONTROL_NAMES.get(odd, ("a control character", "take it out"))
        raise InvalidText(field_name, text, f"it must be one line without control "
                                            f"characters, and it holds U+{ord(odd):04X} "
                                            f"({name}); {advice}")
    check_text(field_name, text, one_line=True, limit=limit)


def check_title(title: str) -> str:
    """The title as the headline will hold it (spaces around it dropped), or
    :class:`~ai_protocols.errors.InvalidText` for one Org would read otherwise: not
    one line, longer than :data:`MAX_TITLE`, starting with a task state, ``COMMENT``
    or a priority cookie, or ending in ``:word:`` (tags). Source: the headline
    syntax of the Org manual, "Headlines" and org-element's headline parser."""
    _one_line("title", title, MAX_TITLE)
    title = title.strip(" ")
    first = title.split(" ", 1)[0]
    if first in STATES or first == "COMMENT":
        what = "a comment mark" if first == "COMMENT" else "a task state"
        raise InvalidText("title", title, f"Org would read its first word, {first}, as "
                                          f"{what}; reword it")
    if _PRIORITY.match(title):
        raise InvalidText("title", title, "Org would read the [#...] it starts with as a "
                                          "priority; reword it")
    if _TRAILING_TAGS.search(" " + title) or _TAGS_ALONE.fullmatch(title):
        raise InvalidText("title", title, "Org would read the ':word:' at its end as tags")
    return title


def check_tag(tag: str) -> str:
    """A tag as given, or :class:`~ai_protocols.errors.InvalidText`: Org tags are made
    of letters, digits, ``_``, ``@``, ``#`` and ``%`` (the Org manual, "Tags")."""
    _one_line("tag", tag, MAX_WORD)
    if not _TAG.fullmatch(tag) or not all(c.isalnum() or c in "_@#%" for c in tag):
        raise InvalidText("tag", tag, "a tag holds only letters, digits, _, @, # and %")
    return tag


def check_role(role: str) -> str:
    """A role (``planner``, ``implementer``, ``reviewer``...) as given: one word, not
    starting with ``-`` (an option's look: ``--to -x`` is a mistyped command line, as
    :func:`ai_protocols.cli.options.looks_like_option` judges), or
    :class:`~ai_protocols.errors.InvalidText`. Roles are compared without regard to
    case (:func:`same_role`): ``Reviewer`` is ``reviewer``."""
    _one_line("role", role, MAX_WORD)
    if any(ch.isspace() for ch in role):
        raise InvalidText("role", role, "a role is one word, without spaces")
    if role.startswith("-"):
        raise InvalidText("role", role, "a role does not start with '-' (an option was "
                                        "given where the role goes?); give the role's "
                                        "name, as in --to reviewer")
    return role


def same_role(a: str | None, b: str | None) -> bool:
    """Whether two roles are one: compared case-folded (``Reviewer`` is ``reviewer``, as a
    person types it; Org's keywords are upper case, roles are words as given)."""
    return a is not None and b is not None and a.casefold() == b.casefold()


#: Characters of a free text of the board at most (a lock's ``--reason``, a hand-off's
#: ``--note``, a checkpoint's ref): one rule for every free-text option.
MAX_LINE = 500


def check_line(field_name: str, text: str, limit: int = MAX_LINE) -> str:
    """A one-line text for the board (a reason, a hand-off's note, a checkpoint), at
    most :data:`MAX_LINE` characters, kept as typed but for the spaces (U+0020) at its
    two ends, as a title is (one rule for every one-line value: a no-break or other
    Unicode space stays as typed); :class:`~ai_protocols.errors.InvalidText` for
    anything else (not one line, a control character such as a tab, named: ``_one_line``;
    empty, too long)."""
    _one_line(field_name, text, limit)
    return text.strip(" ")


def check_given_path(given: str, cwd: str | None = None) -> str:
    """``given``, a path for a working set or a lock as typed, unless it is one a person
    did not mean: white space at its start or end (``"src/ "``, which would be kept,
    as ``src/%20``) or a ``~`` first (``"~/x"``: the shell expands ``~`` only unquoted
    at the start of a word, so the quoted or ``--opt=~/x`` form reaches us as is, and
    would be kept as a folder named ``~``), a part that does not exist yet (relative to
    ``cwd``, by default the working directory) starting or ending with a space (``"src/
    docs/a b.md"``: two paths given as one, which would be kept as the one path
    ``src/%20docs/a%20b.md``), or a glob that names nothing yet (:func:`no_glob`):
    :class:`~ai_protocols.errors.InvalidText`, saying what to give instead."""
    if given != given.strip():
        raise InvalidText("path", given, "it has white space at its start or end; give "
                                         "the path without it (in quotes only when a space "
                                         "is inside it)")
    if given.startswith("~"):
        raise InvalidText("path", given, "it starts with '~', which the shell did not "
                                         "expand (it was quoted, or after '='); give the "
                                         "path relative to the working directory, or "
                                         "absolute, or write ./~... for a file whose name "
                                         "starts with '~'")
    if " /" in given or "/ " in given:
        _no_paths_run_together(given, cwd)
    return no_glob(given, cwd)


def _no_paths_run_together(given: str, cwd: str | None) -> None:
    """:class:`~ai_protocols.errors.InvalidText` when a part of ``given`` that does not
    exist yet (relative to ``cwd``) starts or ends with a space: most likely two paths
    typed in one argument (``"src/ docs/a b.md"``); the message names the paths apart, as
    separate arguments to give (each quoted for a shell)."""
    from ai_protocols.lean import quoted, shell_quote

    rest = _missing_part(given, cwd if cwd is not None else os.getcwd())
    odd = next((part for part in rest.split("/") if part != part.strip(" ")), None)
    if odd is None:
        return
    apart = [piece for piece in pattern(r"(?<=/) +| +(?=/)").split(given) if piece]
    end = "starts" if odd.startswith(" ") else "ends"
    raise InvalidText("path", given, f"it does not exist, and its part {quoted(odd)} {end} "
                                     "with a space: were two paths given as one? Give each "
                                     "path as an argument of its own (--working-set PATH "
                                     "once for each; lock PATH PATH...), quoted only when a "
                                     "space is inside it: "
                                     f"{' '.join(shell_quote(piece) for piece in apart)}; for a "
                                     "file or folder of that very name, make it first, then "
                                     "give it again")


def no_glob(given: str, cwd: str | None = None) -> str:
    """``given``, a path every part of the board takes literally (locks, working sets,
    ``check`` and the hook compare paths as text: ``app/[id]/`` is the folder of that
    name, as Next.js and SvelteKit name route folders), unless a part of it that does
    not exist yet (relative to ``cwd``, by default the working directory) reads as a
    glob: ``*``, ``?``, or ``[`` with a ``]`` after it (a bracket expression; fnmatch(3),
    git's pathspec). Such a path was likely meant to match files, which it never does:
    :class:`~ai_protocols.errors.InvalidText`, saying to name the folder or each file,
    or to make the file or folder of that very name first. The parts that exist are
    never judged, so a path inside an existing ``app/[id]/`` is fine."""
    rest = _missing_part(given, cwd if cwd is not None else os.getcwd())
    odd = next((ch for ch in rest if ch in "*?"), None)
    if odd is None and "[" in rest and "]" in rest[rest.index("["):]:
        odd = "["
    if odd is not None:
        raise InvalidText("path", given, f"it does not exist, and its {odd!r} reads as a "
                                         "glob, which ai-protocols does not expand (a path "
                                         "is kept as written and matches only itself); "
                                         "name the folder instead (src/ holds every file "
                                         "in it), or each file; for a file or folder of "
                                         "that very name, make it first (mkdir -p, touch), "
                                         "then give it again")
    return given


def _missing_part(given: str, cwd: str) -> str:
    """The end of ``given`` from its first part that does not exist (``""``: it all
    exists), as a path relative to ``cwd``."""
    parts = given.split("/")
    for count in range(len(parts), 0, -1):
        head = "/".join(parts[:count])
        if head and os.path.lexists(os.path.join(cwd, head)):
            return "/".join(parts[count:])
    return given


def normalize_path(root: str, given: str, cwd: str | None = None) -> str:
    """``given`` (relative to ``cwd``, by default the working directory, or absolute)
    as a path relative to the project ``root``: ``/`` between parts, no ``.`` or
    ``..`` left, symbolic links resolved (a link inside the project names where it
    leads: locks and working sets compare real locations), a folder (one that
    exists, or given with a final ``/``) ending in ``/``; the root itself is
    ``./``. :class:`~ai_protocols.errors.InvalidText` for a path outside the root
    or leading outside it through a link, empty, or holding a control character or
    white space other than spaces."""
    _one_line("path", given, MAX_PATH)
    odd = next((ch for ch in given if ch.isspace() and ch != " "), None)
    if odd is not None:
        raise InvalidText("path", given, f"it holds white space other than spaces "
                                         f"(U+{ord(odd):04X}), which a property cannot keep")
    if _PROTECTED.search(given):
        raise InvalidText("path", given, "it holds %20 or %0A, which Org's multi-valued "
                                         "properties read as a space or a newline")
    base = cwd if cwd is not None else os.getcwd()
    # Not normalized as text first: ``link/..`` is where the file system goes (the folder
    # above the link's target), as os.path.realpath resolves it, part by part.
    full = os.path.join(base, given)
    root = os.path.normpath(root)
    real_root = os.path.realpath(root)
    _no_loop(given, full)
    relative = inside_root(os.path.relpath(os.path.normpath(full), root))
    real = real_inside(real_root, full)  # (the one rule of a person's paths)
    if real is None:
        if relative is None:
            raise InvalidText("path", given, f"it is outside the project {root}")
        raise InvalidText("path", given, f"it leads outside the project {root} through a "
                                         f"symbolic link (to {os.path.realpath(full)}); "
                                         "give a path inside the project")
    relative = real  # where it really is: a link inside the project names its target
    folder = given.endswith(("/", os.sep)) or os.path.isdir(full) or relative == "."
    if relative == ".":
        return "./"
    return relative + "/" if folder else relative


def plain_path(root: str, written: str) -> str:
    """A lock's or working set's path as a person may write it by hand in the board
    (``other/../other/``, ``./src``, ``src//api``, an absolute path inside the project)
    as :func:`normalize_path` writes it (``other/``), by its text alone: ``.`` and
    ``..`` taken away, an absolute path made relative to the project ``root``, a final
    ``/`` kept; no link is followed. A path that leaves the project is returned as
    written."""
    import posixpath

    text = written
    if posixpath.isabs(text):
        relative = inside_root(os.path.relpath(text, os.path.normpath(root)))
        if relative is None:
            return written
        text = relative
    plain = posixpath.normpath(text)
    if plain == ".":
        return "./"
    if plain == ".." or plain.startswith("../"):
        return written
    return plain + "/" if written.endswith("/") else plain


def _no_loop(given: str, full: str) -> None:
    """:class:`~ai_protocols.errors.InvalidText` when ``full`` goes through a loop of
    symbolic links (``ln -s b a; ln -s a b``): it leads nowhere, so no lock or working
    set can hold what it names (the system's ``ELOOP``, "Too many levels of symbolic
    links", path_resolution(7)). A path that does not exist yet is fine."""
    import errno

    try:
        os.path.realpath(full, strict=True)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InvalidText("path", given, "it goes through a loop of symbolic links "
                                             "(each leads to another, and never to a file "
                                             "or folder); give the path of a real file or "
                                             "folder, or fix the links") from None


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


#: How Crockford's base 32 reads a character it never writes (crockford.com/base32).
_CROCKFORD_READ = str.maketrans({"i": "1", "l": "1", "o": "0"})


#: The fewest characters of the end of a task's id that name it, for every command (a
#: whole id, a title, ``line:N`` aside): one to three characters name whichever task's id
#: happens to end so (ids end in random characters, and an agent may well make up "1").
SHORTEST_END = 4


def find_task(tasks: list[Task], task_id: str, board: Path,
              given: Container[str] = frozenset()) -> Task:
    """The one task ``task_id`` names among ``tasks``: its whole id, or any end of it (of
    :data:`SHORTEST_END` characters or more: the random part, ``k3f9qxm2``, or less of
    it) that only one task's id has (a shorter end names none: refused, naming the ids it
    ends); else, the one task a person added without an id (none, or one given in
    ``given`` by the change under way) whose title is exactly ``task_id`` (docs/tasks.md,
    "A task added in Emacs"). :class:`~ai_protocols.errors.DuplicateTaskId` when
    several tasks have that very id (a copied task),
    :class:`~ai_protocols.errors.TaskNotFound` when no task or several end so (it
    lists them: give more of the end). Spaces around it are dropped; an id that matches
    no task as given is read as Crockford's base 32 reads (upper case as lower, ``i``
    and ``l`` as ``1``, ``o`` as ``0``)."""
    wanted = _check_task_id(task_id)
    exact = [t for t in tasks if t.id == wanted]
    if len(exact) > 1:
        raise DuplicateTaskId(wanted, board, tuple(t.line for t in exact))
    if exact:
        return exact[0]
    # (a task without an id: by its exact title, before any end of an id, which the title
    # may also be; or by its line, ``line:N``, a key no id can be: ``task list`` names
    # each so, :func:`bare_keys`)
    bare = [t for t in tasks if t.id is None or t.id in given] if given else \
        [t for t in tasks if t.id is None]  # (one attribute read a task: find_task is hot)
    at = LINE_KEY.fullmatch(wanted)  # (a title so is no key: its line is)
    titled = [t for t in bare if t.title.strip() == wanted] if at is None else []
    if len(titled) == 1:
        return titled[0]
    if at is not None:
        lined = [t for t in bare if t.line == int(at.group(1))]
        if lined:
            return lined[0]
        # (the lines of the tasks with an id are the board's as read only when the
        # change under way gave none: else its id lines moved them)
        held = None if given else next(
            (t for t in tasks if t.id and t.line == int(at.group(1))), None)
        raise TaskNotFound(task_id, board, (), line_key_miss(
            int(at.group(1)), held.id if held is not None else None))
    found = [t for t in tasks if t.id and t.id.endswith(wanted)]
    if not found:  # Crockford's base 32 reads either case, and i, l as 1, o as 0
        loose = wanted.lower().translate(_CROCKFORD_READ)
        found = [t for t in tasks if t.id and t.id.lower().endswith(loose)]
    if len(wanted) < SHORTEST_END:  # ("1": whichever id ends so; never a guess)
        raise TaskNotFound(task_id, board, tuple(f"{t.id} (line {t.line})" for t in found),
                           shortest=SHORTEST_END)
    if len(found) == 1:
        return found[0]
    if found and len({t.id for t in found}) == 1:
        raise DuplicateTaskId(found[0].id or wanted, board, tuple(t.line for t in found))
    # (none ends so: those that start so, said, for whoever typed an id's start)
    starting = () if found else tuple(dict.fromkeys(
        t.id for t in tasks if t.id and t.id.lower().translate(_CROCKFORD_READ).startswith(
            wanted.lower().translate(_CROCKFORD_READ))))
    raise TaskNotFound(task_id, board, tuple(f"{t.id} (line {t.line})" for t in found),
                       starting=starting)


#: The key of a task without an id by the line of its headline (``line:19``): ``:`` is in
#: no id (:func:`id_fault`), so it never names a task with one.
LINE_KEY = pattern(r"line:([1-9][0-9]*)")


def line_key_miss(line: int, held: str | None) -> str:
    """What to tell a person whose key ``line:N`` (``line``, 1-based, on the board as
    read) names no task without an id: the id of the task with one whose headline is
    there (``held``), or that none is; with what to do. One text for every command."""
    return (f"line {line} is the headline of the task {held}, which has an id: name it by "
            "that id" if held else f"no task without an id has its headline on line "
            f"{line} of the board as read") + ("; 'ai-protocols task list' names each task "
                                               "(a line's key is the line of a task without "
                                               "an id; nothing was changed)")


def bare_keys(tasks: list[Task], lines: Mapping[int, int | None] | None = None
              ) -> dict[int, str | None]:
    """What names each task without an id among the board's ``tasks`` to
    :func:`find_task`, by the line of its headline: the one key ``task list`` tells (and
    gives as ``key`` in ``--json``) and ``task show``, ``task claim``... take. Its title
    (spaces around it aside) when that names it alone (no other task without an id has
    that title, no task has it as its whole id, it is not empty, nor a line's key),
    else ``line:N``
    (:data:`LINE_KEY`, until the next change of the board gives it an id; a line a
    person's edit may move). A task with an id is named by it. Linear in the tasks.
    ``lines``: while the board is read with what git brought merged back (a stale
    save), the line in the file on disk of each task by its line in ``tasks``
    (:func:`~ai_protocols.board.stale.disk_lines`): ``N`` is the file's line, what a
    person sees in Emacs; a task only git brought (no line on disk) has no line key,
    ``None``, until the next change of the board writes it with an id."""
    from collections import Counter

    ids = {t.id for t in tasks if t.id}
    titles = Counter(t.title.strip() for t in tasks if not t.id)
    return {t.line: title if title and titles[title] == 1 and title not in ids
            and LINE_KEY.fullmatch(title) is None else
            None if lines is not None and lines.get(t.line) is None else
            f"line:{t.line if lines is None else lines[t.line]}"
            for t in tasks if not t.id for title in (t.title.strip(),)}


def _check_task_id(task_id: str) -> str:
    """``task_id`` without the spaces around it, as every command reads a task's id;
    :class:`~ai_protocols.errors.InvalidText` (exit 4) when nothing is left: an empty
    id is bad input, as every other empty value is, not an id no task has."""
    wanted = task_id.strip()
    if not wanted:
        raise InvalidText("task id", task_id, "it is empty; give a task's id, or its end "
                                              "('ai-protocols task list' shows the ids)")
    return wanted


def mint_task_id(now: datetime | None = None, random_bytes: bytes | None = None, *,
                 taken: Container[str] = (),
                 source: Callable[[int], bytes] = os.urandom) -> str:
    """A new task id: ``YYYYMMDD-HHMMSS-<8 random characters>``, the time in UTC (so ids
    sort by creation, whatever the machine's time zone), then 40 random bits (5 bytes
    of ``source``, ``os.urandom`` unless given; ``random_bytes`` when given) in
    Crockford's base 32 (no i, l, o, u). Two machines creating a task in the same
    second collide once in 2**40 (a million million) pairs, without talking to each
    other: nothing is counted or kept. On one board nothing is left to chance: an id in
    ``taken`` (the ids the board holds, read under its lock) is drawn again, so a new
    id is never one the board already has. :class:`ValueError` when ``random_bytes``
    is given and makes an id in ``taken`` (it cannot be drawn again)."""
    from ai_protocols.lean import datetime, timezone

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    while True:
        bits = int.from_bytes(random_bytes if random_bytes is not None else source(5), "big")
        tail = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))
        minted = f"{moment:%Y%m%d-%H%M%S}-{tail}"
        if minted not in taken:
            return minted
        if random_bytes is not None:
            raise ValueError(f"the id {minted} is taken, and random_bytes cannot change")
