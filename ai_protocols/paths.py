"""Where things live: the project root, safe ids and the session-context path.

This module is the Python twin of ``.ai/scripts/session-context-path``. It
imports nothing outside the standard library, because hooks and agents call
``ai-protocols path`` many times per session and every import is paid on
every call.

The safe-id rule (kept identical in the sh resolver, proven by a property
test):

* An id made only of ``A-Z a-z 0-9 . _ -`` that does not start with ``.`` or
  ``-`` is used as it is.
* Any other id is percent-encoded byte by byte (UTF-8): every byte outside
  that set, and a leading ``.`` or ``-``, becomes ``%XX`` with upper-case
  hex. ``%`` never appears in an id used as it is, so an encoded name can
  never equal an unencoded one, and percent-encoding is reversible, so two
  different ids never share a file. No digest is needed, and none could be
  computed the same way in portable sh.
* Refused (a clear error): ids holding a control character (bytes 0x00-0x1F
  and 0x7F, newlines and tabs among them) or a ``/``; ids made only of dots;
  ids whose safe form is longer than 200 bytes.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # pathlib and typing cost milliseconds: this module runs on every call
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ai_protocols.errors import InvalidAgentId, InvalidProjectRoot

__all__ = [
    "AGENT_SESSION_VARIABLES",
    "AI_DIR",
    "DRIVER_NAME",
    "MAX_SAFE_ID_BYTES",
    "agent_id_from_env",
    "board_path",
    "context_path_text",
    "derived_agent_id",
    "enclosing_projects",
    "file_project_root",
    "find_project_root",
    "fold_name",
    "folds_names",
    "git_dirs",
    "git_places_absolute",
    "has_board",
    "id_part",
    "id_prefix",
    "in_a_project",
    "is_own",
    "is_tool_path",
    "kept_board_path",
    "merge_driver_missing",
    "named_from",
    "own_suffix",
    "project_of",
    "project_root_text",
    "safe_id",
    "same_place",
    "session_context_path",
    "session_suffix",
    "superprojects",
    "tool_folders",
    "work_pathspec",
]

AI_DIR = ".ai"
DEFAULT_CONTEXT = "session-context.org"
CONTEXT_DIR = "session-context.d"
SESSIONS_DIR = "sessions"
#: The merge driver's name in ``.ai/.gitattributes`` (``merge=ai-protocols``) and in git's
#: configuration (``merge.ai-protocols.driver``): ai_protocols.git.driver.
DRIVER_NAME = "ai-protocols"
#: The task board's file, in ``.ai/`` (ai_protocols.board.model).
BOARD_FILE = "tasks.org"
#: The folder of ``.ai/`` that holds the lock files and the per-machine copies
#: (ai_protocols.storage.files), ignored by git.
LOCK_DIR = ".locks"
MAX_SAFE_ID_BYTES = 200

_AS_IS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_AS_IS_BYTES = bytes(sorted(_AS_IS))


#: What an agent id may not hold besides control characters and ``/``, said in every
#: refusal (docs/tasks.md, "Agent ids"): it is written into the board's log lines
#: ("handed off by ID (role R) to ROLE: NOTE") and read back from Org properties, which
#: drop white space at either end.
ID_CHARACTERS = ("an agent id is one word: no white space (nor a no-break or ideographic "
                 "space), no '(', ')' or ':'")
_ODD_BYTES = {0x20: "a space", 0x28: "a '('", 0x29: "a ')'", 0x3A: "a ':'"}
#: The characters of Unicode's White_Space property beyond ASCII (PropList.txt), as UTF-8,
#: each with how a refusal names it; found at their last byte, as the sh resolver does.
_WHITE_SPACE_UTF8 = tuple((chr(c).encode(), f"white space (U+{c:04X})") for c in (
    0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000))


def _invalid_id(agent_id: str | bytes, reason: str) -> InvalidAgentId:
    from ai_protocols.errors import InvalidAgentId  # (on an error only: ``path`` needs no more)

    return InvalidAgentId(agent_id, reason)


def _invalid_root(root: str, reason: str) -> InvalidProjectRoot:
    from ai_protocols.errors import InvalidProjectRoot

    return InvalidProjectRoot(root, reason)


def safe_id(agent_id: str | bytes) -> str:
    """Return the file-name form of ``agent_id`` (without ``.org``).

    Raises :class:`InvalidAgentId` for an id that cannot be used: empty, only dots,
    holding a control character, ``/``, white space (a space, or any character of
    Unicode's White_Space property: no-break space, ideographic space...), ``(``,
    ``)`` or ``:`` (:data:`ID_CHARACTERS`), or whose file-name form passes 200 bytes. Works on
    bytes so that an id that is not valid UTF-8 (possible in an environment
    variable) gets the same answer here as in the sh resolver.
    """
    raw = agent_id if isinstance(agent_id, bytes) else os.fsencode(agent_id)
    if not raw:
        raise _invalid_id(agent_id, "it is empty")
    if raw.strip(b".") == b"":
        raise _invalid_id(agent_id, "it is made only of dots")
    # (an id of _AS_IS bytes only, the usual one, holds no byte a refusal names: the
    # check, byte by byte, is for the others; translate runs in C, status reads 1,000s)
    plain = not raw.translate(None, _AS_IS_BYTES)
    for at, byte in enumerate(b"" if plain else raw):  # the first offending byte decides
        if byte < 0x20 or byte == 0x7F:
            raise _invalid_id(agent_id, f"it holds a control character (byte 0x{byte:02X})")
        if byte == 0x2F:
            raise _invalid_id(agent_id, "it holds a '/'")
        odd = _ODD_BYTES.get(byte) or next(
            (name for seq, name in _WHITE_SPACE_UTF8 if raw.startswith(seq, at + 1 - len(seq))
             and at + 1 >= len(seq)), None)
        if odd is not None:
            raise _invalid_id(agent_id, f"it holds {odd}; {ID_CHARACTERS}")
    if plain and raw[0] not in b".-":
        result = raw.decode("ascii")
    else:
        result = "".join(
            chr(b) if b in _AS_IS and not (i == 0 and b in b".-") else f"%{b:02X}"
            for i, b in enumerate(raw)
        )
    if len(result) > MAX_SAFE_ID_BYTES:
        raise _invalid_id(
            agent_id, f"its file-name form is {len(result)} bytes, over {MAX_SAFE_ID_BYTES}"
        )
    return result


#: Where an agent program puts its own session id into the environment of the
#: shell commands it runs, and the runtime that names it, in the order tried.
#: Sources: Claude Code's Bash tool and hooks see ``CLAUDE_CODE_SESSION_ID``;
#: Codex's shell tool sees ``CODEX_THREAD_ID`` (docs/agents-testing.md).
AGENT_SESSION_VARIABLES = (("CLAUDE_CODE_SESSION_ID", "claude"), ("CODEX_THREAD_ID", "codex"))
#: The longest host or project part of an id, and the longest session tail.
MAX_ID_PART = 40
MAX_ID_TAIL = 64
_PART = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def id_part(value: str, fallback: str, limit: int = MAX_ID_PART) -> str:
    """``value`` as one dot-free part of an agent id: each character outside
    ``A-Z a-z 0-9 _ -`` becomes ``-``, runs of ``-`` become one, and ``-`` is
    stripped from both ends before and after cutting it to ``limit`` characters;
    ``fallback`` when nothing is left. The sh resolver applies the same rule to
    bytes (``tr -c ... - | tr -s -``), which gives the same result."""
    mapped = "".join(ch if ch in _PART else "-" for ch in value)
    while "--" in mapped:
        mapped = mapped.replace("--", "-")
    part = mapped.strip("-")[:limit].strip("-")
    return part or fallback


def id_prefix(runtime: str, root: str | os.PathLike[str]) -> str:
    """``host.project.runtime``: this host's name up to its first dot, and the project
    folder's name, each made an :func:`id_part`."""
    from ai_protocols.liveness.host import hostname

    project = os.path.basename(os.fspath(root))
    return f"{id_part(hostname().split('.')[0], 'host')}.{id_part(project, 'project')}.{runtime}"


def derived_agent_id(runtime: str, session_id: str, root: str | os.PathLike[str]) -> str | None:
    """The agent id of an agent program's own session: ``host.project.runtime.<session
    id>`` (the session id made an :func:`id_part` of at most :data:`MAX_ID_TAIL`
    characters); ``None`` when nothing of the session id is left."""
    tail = id_part(session_id, "", MAX_ID_TAIL)
    return f"{id_prefix(runtime, root)}.{tail}" if tail else None


def session_suffix(runtime: str, session_id: str) -> str | None:
    """``.RUNTIME.SESSION``: how every id :func:`derived_agent_id` makes of the agent
    program's session ``session_id`` ends, whichever host and work tree's folder it was
    made with (the session id made an :func:`id_part` of at most :data:`MAX_ID_TAIL`
    characters); ``None`` when nothing of the session id is left."""
    tail = id_part(session_id, "", MAX_ID_TAIL)
    return f".{runtime}.{tail}" if tail else None


def own_suffix(environ: Mapping[str, str] | None = None) -> str | None:
    """:func:`session_suffix` of the agent program's own session, from the first agent
    session variable set (:data:`AGENT_SESSION_VARIABLES`) of ``environ`` (default:
    ``os.environ``); ``None`` when none is set."""
    env = os.environ if environ is None else environ
    for variable, runtime in AGENT_SESSION_VARIABLES:
        session_id = env.get(variable, "")
        if session_id:
            return session_suffix(runtime, session_id)
    return None


def is_own(owner: str | None, agent_id: str | None, suffix: str | None) -> bool:
    """Whether a claim's or lock's ``owner`` (a board's ``OWNER``) is the caller: its
    agent id ``agent_id``, or an id of the caller's agent program session, which ends
    with ``suffix`` (:func:`session_suffix`; ``None``: none) whichever work tree's folder
    name it was derived with: one session of Claude Code or Codex is one agent to the
    board in every work tree sharing it (docs/tasks.md, "One agent, every work tree").
    The one rule of "is this me" of the board's commands and the PreToolUse hook."""
    if not owner:
        return False
    return owner == agent_id or (suffix is not None and owner.endswith(suffix))


def agent_id_from_env(environ: Mapping[str, str] | None = None,
                      root: str | os.PathLike[str] | None = None) -> str | None:
    """The caller's agent id: ``AI_AGENT_ID`` when set and not empty; else, given the
    project ``root``, the id derived from the first agent session variable set
    (:data:`AGENT_SESSION_VARIABLES`, :func:`derived_agent_id`); else ``None``."""
    env = os.environ if environ is None else environ
    value = env.get("AI_AGENT_ID", "")
    if value or root is None:
        return value or None
    for variable, runtime in AGENT_SESSION_VARIABLES:
        session_id = env.get(variable, "")
        if session_id:
            return derived_agent_id(runtime, session_id, root)
    return None


def context_path_text(root: str, agent_id: str | bytes | None) -> str:
    """:func:`session_context_path` as a string, without importing pathlib: the
    ``path`` command's fast path."""
    ai = os.path.join(root, AI_DIR)
    if not agent_id:
        return os.path.join(ai, DEFAULT_CONTEXT)
    return os.path.join(ai, CONTEXT_DIR, f"{safe_id(agent_id)}.org")


def session_context_path(root: str | os.PathLike[str], agent_id: str | bytes | None) -> Path:
    """The session-context file for ``agent_id`` in the project at ``root``.

    No clock, no randomness, no state: the same input always gives the same
    path, which is what lets an agent find its file again on every call.
    """
    from pathlib import Path

    return Path(context_path_text(os.fspath(root), agent_id))


def project_root_text(cwd: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """:func:`find_project_root` as a string, without importing pathlib."""
    env = os.environ if environ is None else environ
    override = env.get("AI_PROJECT_ROOT", "")
    if override:
        root = os.path.expanduser(override)
        if not os.path.isdir(root):
            raise _invalid_root(override, "it is not a directory")
        return os.path.realpath(root)
    start = os.path.realpath(cwd if cwd is not None else os.getcwd())
    return _search(start) or start


def _search(start: str) -> str | None:
    """From ``start`` upwards, the first folder holding ``.ai/`` or ``.git`` (a folder,
    or the file of a linked work tree or a submodule): the search never goes past the
    top of the enclosing work tree, so a ``.ai/`` above it belongs to another project.
    ``None`` when there is neither up to ``/``."""
    folder = start
    while True:
        if os.path.isdir(os.path.join(folder, AI_DIR)):
            return folder
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def board_path(root: str) -> str:
    """Where the board of the project at ``root`` is: ``ROOT/.ai/tasks.org``; in a linked
    git work tree (``git worktree add``), the main work tree's board at the same place
    in it, so that agents working in separate work trees of one repository share one
    board (their claims and locks). Read from the files git keeps (gitrepository-layout(5):
    a linked work tree's ``.git`` file names its ``$GIT_DIR``, whose ``commondir`` leads
    to the main ``.git``), without running git: the hook calls it on every edit. A
    submodule, or a linked work tree of a bare repository (no main work tree), keeps its
    own board."""
    own = os.path.join(root, AI_DIR, "tasks.org")
    dirs = git_dirs(root)
    if dirs is None:
        return own
    top, git_dir, common = dirs
    if git_dir == common or os.path.basename(common) != ".git" or not os.path.isdir(common):
        return own
    main = os.path.dirname(common)
    return os.path.normpath(os.path.join(main, os.path.relpath(root, top), AI_DIR, "tasks.org"))


def kept_board_path(board: str) -> str:
    """Where the per-machine copy of the last board this tool wrote is kept:
    ``.ai/.locks/live/tasks.org`` beside the board (as a session file's, under
    ``live/``: ``.ai/.locks/`` is ignored by git, so no git command replaces it). It is
    a copy of its own, never a hard link: a write into the board in place (an editor
    that saves so, an agent's edit tool) must not change it too."""
    return os.path.join(os.path.dirname(board), LOCK_DIR, "live", os.path.basename(board))


def has_board(root: str) -> bool:
    """Whether the project at ``root`` has a board to guard: its board file
    (:func:`board_path`), or the kept copy of the last board this tool wrote
    (:func:`kept_board_path`: git removed the board, its live locks still count). A
    ``stat`` or three, and nothing of the board's modules imported: the hooks ask it
    at every SessionStart and every file edit."""
    board = board_path(root)
    if os.path.isfile(board):
        return True
    if not os.path.isdir(os.path.dirname(board)):  # no .ai/ (a project not following the
        return False  # protocol, under a user's hook)
    return os.path.isfile(kept_board_path(board))


#: git's variables that name a path, read relative to the folder git starts in (git(1),
#: "ENVIRONMENT"); ``GIT_ALTERNATE_OBJECT_DIRECTORIES`` holds a list of them.
#: git's variables that change how a pathspec is read (git(1), ``GIT_*_PATHSPECS``): every
#: git run of the tool drops them, for the pathspecs it gives are meant as their magic says.
PATHSPEC_VARIABLES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                      "GIT_ICASE_PATHSPECS")
_GIT_PATH_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
                       "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def git_places_absolute(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """Of git's variables in ``env`` that name a path (``GIT_DIR``, ``GIT_WORK_TREE``...,
    git(1) "ENVIRONMENT"), those given relative, made absolute against this process's
    current folder, as git reads them where the caller runs it: the tool runs git in
    the project's top folder (``git -C``), where ``GIT_DIR=../.git`` would name
    another folder. Returns only the changed ones (``{}``, the common case, for a few
    dictionary lookups); ``env`` is not changed. A list (``:``-separated) is made
    absolute item by item."""
    changed = {}
    for name in _GIT_PATH_VARIABLES:
        value = env.get(name)
        if not value:
            continue
        items = value.split(os.pathsep) if name.endswith("DIRECTORIES") else [value]
        if all(os.path.isabs(item) or not item for item in items):
            continue
        here = os.getcwd()
        changed[name] = os.pathsep.join(item if os.path.isabs(item) or not item
                                        else os.path.join(here, item) for item in items)
    return changed


def git_env() -> dict[str, str]:
    """The environment of every git run: no optional lock (a read never refreshes the
    user's index), messages in English (they are matched), no index file given,
    pathspecs read as their magic says (git(1), ``GIT_*_PATHSPECS``), and git's folders
    given relative to the caller's folder made absolute (:func:`git_places_absolute`:
    git runs in the project's top). The one rule of it: :mod:`ai_protocols.git.spawn`'s
    runs and :mod:`ai_protocols.git.state`'s reads (which give ``GIT_INDEX_FILE`` only
    where they name a temporary index)."""
    env = {**os.environ, **git_places_absolute(os.environ), "GIT_OPTIONAL_LOCKS": "0",
           "LC_ALL": "C"}
    for name in ("GIT_INDEX_FILE", *PATHSPEC_VARIABLES):
        env.pop(name, None)  # (the pathspecs given are meant as written)
    return env


def git_dirs(root: str) -> tuple[str, str, str] | None:
    """The work tree around ``root``: its top folder, its ``$GIT_DIR`` and its
    ``$GIT_COMMON_DIR`` (the same folder but in a linked work tree), read from the
    files git keeps, without running git (gitrepository-layout(5): a linked work tree's
    ``.git`` file says ``gitdir: DIR``, whose ``commondir`` leads to the main ``.git``).
    ``None`` outside git, or when those files cannot be read."""
    top = root
    while not os.path.lexists(os.path.join(top, ".git")):
        parent = os.path.dirname(top)
        if parent == top:
            return None
        top = parent
    dotgit = os.path.join(top, ".git")
    if os.path.isdir(dotgit):
        return top, dotgit, dotgit
    try:
        with open(dotgit, encoding="utf-8") as handle:
            first = handle.readline().strip()
        if not first.startswith("gitdir:"):
            return None
        git_dir = os.path.normpath(os.path.join(top, first[len("gitdir:"):].strip()))
        common = git_dir
        if os.path.isfile(os.path.join(git_dir, "commondir")):
            with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as handle:
                common = os.path.normpath(os.path.join(git_dir, handle.readline().strip()))
    except (OSError, ValueError):
        return None
    return top, git_dir, common


def tool_folders(root: str) -> tuple[str, ...]:
    """The folders whose files are the tool's own, never counted nor restored as a
    person's work: ``.ai/`` at the top of the work tree around the project ``root``,
    and the project's own ``.ai/`` when ``root`` is a folder below the top; each
    ``/``-separated from the top and ending in ``/``. Any other folder named ``.ai``
    (a person's ``docs/.ai/``) is a person's (docs/decisions.md, "Issue 14, sixth
    review"). Reads git's files only (:func:`git_dirs`); outside git, ``(".ai/",)``."""
    folders = [AI_DIR + "/"]
    found = git_dirs(root)
    if found is not None:
        below = os.path.relpath(os.path.join(root, AI_DIR), found[0]).replace(os.sep, "/")
        if below != AI_DIR and not below.startswith("../"):
            folders.append(below + "/")
    return tuple(folders)


def named_from(root: str, paths: list[str]) -> list[str]:
    """``paths`` (``/``-separated, from the top of the work tree around the folder
    ``root``, as git names them: ``git status --porcelain``, ``git diff-tree``) as a
    command run in ``root`` names them: the one rule of every path advice gives with
    ``(from ROOT)`` (issue 14, twenty-first round: a project below the top, ``repo/pkg``,
    was told ``git restore -- pkg/q.txt`` from ``repo/pkg``, which names
    ``pkg/pkg/q.txt``). Themselves when ``root`` is the top (or in no work tree); else
    relative to ``root``, ``../`` first for one outside it, a trailing ``/`` (an
    untracked folder) kept. Reads git's files only (:func:`git_dirs`); never raises."""
    found = git_dirs(root)
    if found is None or not paths:
        return list(paths)
    below = os.path.relpath(root, found[0]).replace(os.sep, "/")
    if below == ".":
        return list(paths)
    ups = "../" * (below.count("/") + 1)
    prefix = below + "/"
    return [p[len(prefix):] if p.startswith(prefix) and len(p) > len(prefix) else
            "." if p in (below, prefix) else ups + p for p in paths]


def project_of(path: str) -> str:
    """The project folder of the file ``path`` under its ``.ai/`` folder (a session file,
    ``ROOT/.ai/session-context.org``, or a kept copy or record under ``ROOT/.ai/.locks/``):
    the text before its last ``/.ai/``; its folder when it has none. Reads nothing."""
    at = path.rfind(os.sep + AI_DIR + os.sep)
    return path[:at] if at > 0 else os.path.dirname(path)


def same_place(root: str, there: str) -> str:
    """The folder of the work tree whose top is ``there`` (another work tree of the same
    repository: ``git worktree list``) at the place the folder ``root`` has in its own
    work tree: ``there/pkg`` for the project ``repo/pkg``; ``there`` itself when ``root``
    is its work tree's top (or in none). Where advice that goes to another work tree
    leads, so that ``ai-protocols`` there finds the same project (issue 14, twenty-first
    round: ``cd`` to that work tree's top found no session). Reads git's files only
    (:func:`git_dirs`); never raises."""
    found = git_dirs(root)
    if found is None:
        return there
    below = os.path.relpath(root, found[0])
    return there if below == "." or below.startswith(os.pardir) else \
        os.path.join(there, below)


def is_tool_path(path: str, folders: tuple[str, ...] = (AI_DIR + "/",)) -> bool:
    """Whether ``path`` (``/``-separated, from the top of the work tree; an untracked
    folder as git status lists it, ending in ``/``) is in one of the tool's
    ``folders`` (:func:`tool_folders`): the one rule of what is not a person's work."""
    return path.startswith(folders)


def work_pathspec(folders: tuple[str, ...] = (AI_DIR + "/",)) -> tuple[str, ...]:
    """git's pathspec (gitglossary(7)) of every path but those of the tool's
    ``folders`` (:func:`is_tool_path`), for ``git diff-tree`` and ``git log``."""
    return (":(top)", *(f":(top,literal,exclude){f.rstrip('/')}" for f in folders))


def literal_pathspec(path: str) -> str:
    """``path`` as a printed git command names it so that git reads it as that one path:
    with ``:(literal)`` before it when it starts with ``:`` (pathspec magic) or holds
    ``*``, ``?``, ``[`` or ``\\`` (wildcards: ``git restore -- 'a*.txt'`` would take
    every file so named), else as it is (gitglossary(7), "pathspec"). Not quoted: the
    caller quotes it for the shell."""
    if path.startswith(":") or any(c in path for c in "*?[\\"):
        return f":(literal){path}"
    return path


def superprojects(root: str) -> list[str]:
    """The work trees of the superprojects around the git submodule at ``root``, nearest
    first; empty when ``root`` is in no submodule. A submodule's ``.git`` is a file
    naming its ``$GIT_DIR``, kept in the superproject's ``$GIT_DIR/modules/``
    (gitrepository-layout(5), ``modules``; gitsubmodules(7)): that is what is checked,
    from the files git keeps, without running git (the PreToolUse hook calls it on
    every edit). A submodule whose ``.git`` is still a folder of its own (cloned so by a
    git before 1.7.8, and never absorbed: ``git submodule absorbgitdirs``) is not
    recognised."""
    found: list[str] = []
    here = root
    while len(found) < 16:
        dirs = git_dirs(here)
        if dirs is None:
            break
        top, git_dir, _ = dirs
        if os.path.isdir(os.path.join(top, ".git")) or os.path.dirname(top) == top:
            break
        above = git_dirs(os.path.dirname(top))
        if above is None:
            break
        modules = os.path.join(os.path.realpath(above[1]), "modules") + os.sep
        if not os.path.realpath(git_dir).startswith(modules):
            break
        found.append(above[0])
        here = above[0]
    return found


def enclosing_projects(root: str) -> list[str]:
    """The projects around the project ``root``, nearest first: each folder above it,
    up to ``/``, that holds ``.ai/`` or ``.git`` (a folder, or the file of a linked work
    tree or submodule), as :func:`project_root_text` recognises a project's root. A
    repository nested inside another's work tree (its own ``git init`` or clone, no
    submodule), or a submodule, has its own board, but a lock on the board of a project
    around it covers its files too: the PreToolUse hook consults each of these boards,
    whatever the agent's working directory (docs/tasks.md, "Nested repositories").
    Only ``os.stat`` calls, no git: the hook calls it on every edit."""
    found: list[str] = []
    folder = root
    while True:
        parent = os.path.dirname(folder)
        if parent == folder:
            return found
        folder = parent
        if os.path.isdir(os.path.join(folder, AI_DIR)) or \
                os.path.lexists(os.path.join(folder, ".git")):
            found.append(folder)


#: Per project root: whether its file system folds file names (:func:`folds_names`).
_FOLDS: dict[str, bool] = {}


def folds_names(root: str) -> bool:
    """Whether the file system holding the project ``root`` takes a file name in another
    case, or in another Unicode normalization, for the same file, as macOS (APFS,
    HFS+) and Windows (NTFS) do by default. The rule, one ``stat`` pair per root and
    process: ``ROOT/.AI`` is the very file ``ROOT/.ai`` is (``os.path.samestat``);
    on Linux's file systems it does not exist, and names are compared as exact text.
    ``False`` when either cannot be read. (Such a file system that folds case also
    ignores the difference of NFC and NFD on macOS; both are folded together.)"""
    known = _FOLDS.get(root)
    if known is None:
        try:
            known = os.path.samestat(os.stat(os.path.join(root, ".ai")),
                                     os.stat(os.path.join(root, ".AI")))
        except (OSError, ValueError):
            known = False
        _FOLDS[root] = known
    return known


def fold_name(path: str) -> str:
    """``path`` as a file system that folds names (:func:`folds_names`) compares it:
    Unicode's NFC of its case folding (``str.casefold``, Unicode's full case folding,
    of its NFC form), so ``SRC/API/v1.py`` and ``src/api/v1.py``, or a decomposed
    ``cafe\u0301/x`` and ``caf\u00e9/x``, are one path. Source: Unicode Standard
    Annex #15 (normalization forms) and section 3.13 (default case folding)."""
    import unicodedata

    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


def file_project_root(path: str) -> str | None:
    """The project that holds the file ``path`` (absolute; it need not exist yet): from
    its nearest existing folder upwards (through symbolic links), the first folder
    holding ``.ai/`` or ``.git``, as :func:`project_root_text` searches from a working
    directory; ``None`` when none does."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return _search(os.path.realpath(folder))


def in_a_project(cwd: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``cwd`` is inside a project: ``AI_PROJECT_ROOT`` is set, or a folder
    holding ``.ai/`` or a git work tree encloses it (else :func:`project_root_text`
    falls back to ``cwd`` itself)."""
    env = os.environ if environ is None else environ
    if env.get("AI_PROJECT_ROOT", ""):
        return True
    return _search(os.path.realpath(cwd if cwd is not None else os.getcwd())) is not None


def find_project_root(cwd: str | os.PathLike[str] | None = None,
                      environ: Mapping[str, str] | None = None) -> Path:
    """The project root: ``AI_PROJECT_ROOT``, else, from ``cwd`` upwards, the first
    folder that holds ``.ai/`` or is the top of a git work tree (it holds ``.git``, a
    folder, or the file of a linked work tree or submodule, as ``git rev-parse
    --show-toplevel`` finds it), else ``cwd``. The search stops at the top of the
    enclosing work tree: a ``.ai/`` in a folder above a repository never captures it.

    Paths are resolved (symbolic links followed) so that Python and the sh
    resolver, which uses ``pwd -P``, print the same string.
    """
    from pathlib import Path

    return Path(project_root_text(None if cwd is None else os.fspath(cwd), environ))


# -- paths as text ----------------------------------------------------------------------------
# The hot paths keep paths as ``str`` and build no pathlib.Path (docs/performance.md): these
# give the answers ``PurePosixPath`` gives, for the same text (tests/test_path_text.py holds
# them to it).


def present(path: str, *, follow: bool = False) -> bool:
    """Whether something is at ``path`` (text): :func:`os.path.lexists`, or with
    ``follow`` :func:`os.path.exists` (a symbolic link to nothing is not there), asked
    by ``access(F_OK)``, which makes no exception for a path that is not there (about
    8,000 instructions each way: ``lstat``'s ``FileNotFoundError``, its message decoded,
    caught). The readers' question, per file, of evidence mostly absent beside many
    other agents' files (a tombstone, a lease, a spawner's exit record; issue 16,
    twenty-second round). Raises nothing: a path the system cannot ask about (a NUL in
    it, a folder on the way that cannot be searched) is not there, as for
    :func:`os.path.lexists`."""
    try:
        return os.access(path, os.F_OK, follow_symlinks=follow)
    except NotImplementedError:  # pragma: no cover - a system without faccessat
        return os.path.exists(path) if follow else os.path.lexists(path)
    except (OSError, ValueError):
        return False


def clean_path(path: str | os.PathLike[str]) -> str:
    """``str(PurePosixPath(path))``: the path with its empty and ``.`` parts left out (a
    leading ``//``, which POSIX leaves to the system, kept; ``.`` for nothing)."""
    text = os.fspath(path)
    if "//" not in text and "/." not in text and not text.startswith("./") and \
            not text.endswith("/") and text not in ("", "."):
        return text  # (the common case: already clean)
    lead = "//" if text.startswith("//") and not text.startswith("///") else \
        "/" if text.startswith("/") else ""
    return lead + "/".join(part for part in text.split("/") if part not in ("", ".")) or \
        lead or "."


def relative_to(path: str, base: str) -> str:
    """``PurePosixPath(path).relative_to(base)``, as text, for clean paths
    (:func:`clean_path`): ``path`` below ``base`` (``.`` for ``base`` itself);
    ``ValueError`` when it is not below it."""
    if path == base:
        return "."
    if base == ".":
        if path.startswith("/"):
            raise ValueError(f"{path!r} is not in the subpath of {base!r}")
        return path
    prefix = base if base.endswith("/") else base + "/"
    if not path.startswith(prefix) or len(path) == len(prefix):
        raise ValueError(f"{path!r} is not in the subpath of {base!r}")
    return path[len(prefix):]


def parent(path: str) -> str:
    """``PurePosixPath(path).parent``, as text, for a clean path."""
    head = os.path.dirname(path)
    return head or "."


def sibling(path: str, name: str) -> str:
    """``PurePosixPath(path).with_name(name)``, as text, for a clean path with a name."""
    head = os.path.dirname(path)
    return f"{head}/{name}" if head and head != "/" and head != "//" else head + name


def join(folder: str, name: str) -> str:
    """``PurePosixPath(folder) / name``, as text, for a clean ``folder`` and a plain
    ``name`` (no ``/``, not ``.``): as ``os.path.join``, but ``name`` alone in ``.``.
    ``join(folder, "")`` is the part every name's path starts with (``""`` for ``.``)."""
    if folder == ".":
        return name
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


def merge_driver_missing(root: str) -> str | None:
    """The repository's own configuration file (``$GIT_COMMON_DIR/config``,
    gitrepository-layout(5)) of the work tree around ``root`` when it holds no
    ``[merge "ai-protocols"]`` section (:data:`DRIVER_NAME`), else ``None`` (also outside
    git, or when the file cannot be read). Read as text, without running git: a fresh
    clone has no local configuration (git clones none), so ``start`` and board changes
    ask this, and configure the driver (ai_protocols.scaffold) only when it is missing."""
    dirs = git_dirs(root)
    if dirs is None:
        return None
    config = os.path.join(dirs[2], "config")
    try:
        with open(config, "rb") as handle:
            if b'[merge "' + DRIVER_NAME.encode() + b'"]' in handle.read():
                return None
    except OSError:
        return None
    return config


def inside_root(relative: str) -> str | None:
    """``relative`` (a path relative to a project's root, as :func:`os.path.relpath`
    gives it) ``/``-separated; ``None`` when it leaves the root (``..``, or absolute)."""
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or \
            os.path.isabs(relative):
        return None
    return relative.replace(os.sep, "/")


def real_inside(root: str, given: str, cwd: str | None = None) -> str | None:
    """Where the path ``given`` (relative to ``cwd``, by default the working directory,
    or absolute; it need not exist) really is, relative to where the project ``root``
    really is: the one rule of every path a person gives inside the project (``log
    --key-file``, ``lock``, ``--working-set``), so that one file, however spelled, is
    one path. Symbolic links are followed as the file system goes, part by part
    (:func:`os.path.realpath`: ``link/..`` is the folder above the link's target), on
    both sides, so that a project entered through a linked folder (``$PWD`` holds the
    link, ``AI_PROJECT_ROOT`` names it) and a link inside the project that leads inside
    it name the real place; ``./``, ``//`` and a final ``/`` are nothing. ``/``-separated,
    ``"."`` for the root itself; ``None`` when it is outside the project, or leads
    outside it through a link (issue 14, twentieth round: ``--key-file`` compared the
    path as given against the real root, and refused one given through a link)."""
    full = os.path.join(cwd if cwd is not None else os.getcwd(), given)
    return inside_root(os.path.relpath(os.path.realpath(full), os.path.realpath(root)))
