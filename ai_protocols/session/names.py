"""The naming rules of the ``.ai/`` folder: which files are sessions, what an
agent id and an archive name say, and where a session that left says it went.

The project's listing (:mod:`ai_protocols.session.project`), the archive
(:mod:`ai_protocols.session.archive`) and the archive index
(:mod:`ai_protocols.storage.archive_index`) all read names through these
functions, and nothing here imports any of them.
"""

from __future__ import annotations

import os

from ai_protocols.errors import InvalidAgentId
from ai_protocols.lean import SHELL_SAFE, datetime, pattern, shell_quote, timezone
from ai_protocols.liveness.clock import utc_minute
from ai_protocols.paths import CONTEXT_DIR, git_dirs, join, parent, relative_to, safe_id
from ai_protocols.storage.files import LOCK_DIR, lock_path, same_version

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "KEPT_LEFT",
    "KEPT_OTHER",
    "KEPT_SAME",
    "MAX_NAME_BYTES",
    "archive_name",
    "earlier_kept_paths",
    "is_session_file_name",
    "kept_is_other",
    "kept_path",
    "kept_relation",
    "left_path",
    "name_time",
    "runtime_of",
    "session_file_names",
    "session_files",
    "start_command",
    "tombstone_path",
]

#: Bytes in a file name on every common file system.
MAX_NAME_BYTES = 255

_NAME_TIME = pattern(r"(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-")


def session_file_names(names: Iterable[str]) -> list[str]:
    """The names among ``names`` (file names, no folder) that name a session, in their
    order: each an ``.org`` file that is neither hidden nor one of Emacs's lock,
    auto-save or backup files (``.#NAME``, ``#NAME#``, ``NAME~``). The one rule, as one
    list comprehension of slices (no call per name: beside 1,000 other agents' files the
    listing of ``resume``, ``start`` and the session hooks; issue 16, twenty-fourth
    round). A list of names none of which holds a ``/`` (a folder's listing: no file name
    does) is first asked as one text, the names joined by ``/`` (:func:`_by_text`): no
    Python per name (issue 16, twenty-fifth round)."""
    if type(names) is list and names:
        kept = _by_text(names)
        if kept is not None:
            return kept
    return [name for name in names if name[-4:] == ".org" and name[:1] not in ".#"]


#: How many names :func:`_by_text` leaves out at most (each a scan of the list).
_FEW_LEFT = 8


def _by_text(names: list[str]) -> list[str] | None:
    """:func:`session_file_names` of ``names`` (not empty) asked of them joined by ``/``,
    when no name holds a ``/``, else ``None``: the names after a ``/.`` or a ``/#`` (the
    few hidden and Emacs's files a session folder holds, its ``.gitkeep``) are found by
    ``str.find``; when they are all the names that do not end in ``.org/``
    (``str.count``), and no more than :data:`_FEW_LEFT`, the rest are kept, in order, by
    :meth:`list.remove` of those."""
    joined = f"/{'/'.join(names)}/"
    if joined.count("/") != len(names) + 1:
        return None
    left = []
    for mark in ("/.", "/#"):
        at = joined.find(mark)
        while at >= 0:
            end = joined.find("/", at + 1)
            left.append(joined[at + 1:end])
            at = joined.find(mark, end)
    if len(left) > _FEW_LEFT or \
            len(names) - joined.count(".org/") != sum(name[-4:] != ".org" for name in left):
        return None  # (many left out: a scan each would cost more than the comprehension)
    kept = names[:]
    for name in left:
        while name in kept:
            kept.remove(name)
    return kept


def is_session_file_name(name: str) -> bool:
    """Whether ``name`` (a file name, no folder) names a session
    (:func:`session_file_names`)."""
    return bool(session_file_names((name,)))


def session_files(folder: str, *, ordered: bool = True) -> list[str]:
    """The session files in ``folder`` (text; so are the paths given), sorted by path as
    ``pathlib.Path`` values sort (part by part); ``[]`` when it is not there. With
    ``ordered=False``, in the order of the folder's listing: for a caller that keeps a
    few of many and sorts those (``Project.newest_others``; issue 16, twenty-fifth
    round)."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    # (one folder: its files' paths sort as their names do, part by part; the folder's
    # part made once by join's rule, a thousand names costing one concatenation each)
    prefix = join(os.fspath(folder), "")
    kept = session_file_names(names)
    return [prefix + name for name in (sorted(kept) if ordered else kept)]


def runtime_of(agent_id: str) -> str | None:
    """The runtime part of an id minted as ``host.project.runtime.epoch``
    (:func:`ai_protocols.identity.mint_agent_id`): its third dot-separated part,
    when it has at least four; else ``None``."""
    parts = agent_id.split(".")
    return parts[2] if len(parts) >= 4 else None


#: How an agent of Claude Code or Codex comes back to its own conversation, whose id
#: its hooks derive the agent id from: that conversation resumed.
_RESUMED_CONVERSATION = {"claude": "its Claude Code conversation, resumed (claude --resume)",
                         "codex": "its Codex conversation, resumed (codex resume)"}


def may_be_misplaced(own_id: str | None, path: str, agent_id: str | None) -> bool:
    """Whether the session file at ``path``, whose session headline holds the
    ``AGENT_ID`` ``agent_id`` (``None``: none), may hold another agent's own session, as
    the agent ``own_id`` (``None``: the one-agent file's) reads it: an id, and either not
    ``own_id`` or in the one-agent file ``.ai/session-context.org``. A string compare,
    the first test of :func:`~ai_protocols.session.resume.misplaced_of` (whether that
    agent's own file is there, which the writes refuse, is its to tell): ``False``
    means no warning, without importing the modules that tell one."""
    return bool(agent_id) and (own_id != agent_id or
                               path.endswith("/.ai/session-context.org"))


def resumed_by(agent_id: str | None, agent_session: str | None) -> str:
    """What resumes a paused session of ``agent_id`` (``None``: the one-agent file),
    whose agent program's own session id is ``agent_session`` (its ``AGENT_SESSION``,
    recorded by a SessionStart hook), as words that follow "it resumes with": for an
    id Claude Code's or Codex's hooks derived from their session
    (``host.project.claude.SESSION``), that conversation resumed, since a new
    conversation has a new id; else ``start`` with the same id."""
    runtime = runtime_of(agent_id) if agent_id else None
    if agent_session and runtime in _RESUMED_CONVERSATION:
        return _RESUMED_CONVERSATION[runtime]
    if not agent_id:
        return "'ai-protocols start'"
    name = agent_id if SHELL_SAFE.issuperset(agent_id) else \
        "'" + agent_id.replace("'", "'\"'\"'") + "'"
    return f"'AI_AGENT_ID={name} ai-protocols start'"


def name_time(name: str) -> datetime | None:
    """The minute an archive's file name starts with (``YYYY-MM-DD-HH-MM-``, in UTC, as
    :func:`archive_name` writes it), as this machine's local time without a zone, as
    the other times of a ``list`` row are; ``None`` when it has none or it is no date."""
    match = _NAME_TIME.match(name)
    if not match:
        return None
    try:
        moment = datetime(*(int(g) for g in match.groups()), tzinfo=timezone.utc)  # type: ignore[misc]
    except ValueError:
        return None
    try:
        return moment.astimezone().replace(tzinfo=None)
    except (OverflowError, ValueError):  # year 1 or 9999 in a zone that leaves the range
        return moment.replace(tzinfo=None)


def archive_name(ended: datetime, agent_id: str | None, slug: str, number: int = 1,
                 max_bytes: int = MAX_NAME_BYTES) -> str:
    """The archive file name ``YYYY-MM-DD-HH-MM[-<safe id>]-<slug>[-N].org``: the
    minute the session ended in UTC (``ended``: aware, or naive in this machine's
    local time), its agent id made safe (:func:`ai_protocols.paths.safe_id`), the
    description's slug cut so that the name fits ``max_bytes`` (at most
    :data:`MAX_NAME_BYTES`; less where the folder's path leaves less room under
    ``PATH_MAX``) with room for a ``-N`` that tells apart names already taken
    (``number`` > 1). Where even a one-letter slug leaves no room for the id, the id
    is left out (the file's AGENT_ID still says it). Raises ``ValueError`` when not
    even the minute and a one-letter slug fit.

    UTC, the one zone whose minutes never repeat (a daylight-saving change repeats an
    hour of local time) and that every host reads alike, so that names sort in the
    order sessions ended whoever archived them.

    Every byte of the name is ASCII from ``A-Z a-z 0-9 . _ % -`` and it starts with
    digits, so it is a valid name on Windows (no reserved name such as ``CON``, no
    trailing dot or space) and macOS alike, and has one Unicode form. Only the id
    part may hold capitals: ids that differ only in case already share a session
    file on a case-insensitive file system, where the ``-N`` check sees them too."""
    minute = f"{utc_minute(ended):%Y-%m-%d-%H-%M}"
    for with_id in (True, False):
        prefix = minute
        if agent_id and with_id:
            prefix += f"-{safe_id(agent_id)}"
        room = (min(max_bytes, MAX_NAME_BYTES) - len(prefix) - len("-.org")
                - max(len("-999"), len(f"-{number}")))
        if room >= 1:
            break
    else:
        raise ValueError(f"no room for an archive name in {max_bytes} bytes")
    cut = slug[:room].strip("-") or "session"[:room]
    return f"{prefix}-{cut}.org" if number == 1 else f"{prefix}-{cut}-{number}.org"


#: The Log line a fresh session begins with when this agent's session before it was
#: adopted by another agent (then
#: :func:`~ai_protocols.session.away.adopted_away`'s words): here, with the
#: tombstones, so that ``resume`` looks for it without importing the transaction.
ADOPTED_AWAY = "fresh: this agent's session before was "


#: The folder of ``.ai/`` that holds the earlier-entries files of live sessions.
HISTORY = "history"


def history_folder(ai_dir: str, path: str) -> str:
    """Where the earlier entries of the live session file ``path`` go:
    ``.ai/history/`` then ``path``'s place in ``.ai/`` without ``.org``
    (``.ai/history/session-context/``, ``.ai/history/session-context.d/ID/``). A file
    outside ``ai_dir`` gets ``history/NAME/`` beside it. No session scan reads there:
    ``status`` and ``list`` read ``.ai/session-context.org``,
    ``.ai/session-context.d/*.org`` and ``.ai/sessions/*.org`` only."""
    stem = path[:-4] if path.endswith(".org") else path
    prefix = ai_dir.rstrip("/") + "/"
    if stem.startswith(prefix):
        return join(join(ai_dir, HISTORY), stem[len(prefix):])
    return join(join(parent(path), HISTORY), os.path.basename(stem))


def tombstone_path(ai_dir: str, path: str) -> str:
    """Where a session that left ``path`` (archived or adopted) says where it went,
    so that a late ``log`` is told so instead of "no session": beside its lock
    (``NAME.lock`` becomes ``NAME.gone``)."""
    return lock_path(ai_dir, path)[:-len(".lock")] + ".gone"


def left_path(ai_dir: str, path: str) -> str:
    """Where the version of the session file ``path`` that ai-protocols wrote last
    before a wrap-up (or an abandon) archived its session stays, beside its tombstone
    (:func:`tombstone_path`, ``NAME.gone``; this is ``NAME.left``): its kept copy,
    renamed by the move, never in git, removed with the tombstone when a session next
    starts at ``path``. The base of ``merge-kept`` of a copy of that session put back
    before the archive was committed (docs/decisions.md, "Issue 14, seventeenth round
    (stale saves)")."""
    return lock_path(ai_dir, path)[:-len(".lock")] + ".left"


def kept_path(ai_dir: str, path: str) -> str:
    """Where the per-machine copy of the live session file ``path`` is kept: a copy of
    its own (not a hard link, which a save in place writes into too) of the last version
    the tool wrote, with its modification time, ``.ai/.locks/live/<path under .ai>``. A live
    session that git removes (``git clean``, ``git stash -u``, ``git checkout``) is
    brought back from it."""
    ai_dir = os.fspath(ai_dir)
    return os.path.join(ai_dir, LOCK_DIR, "live", relative_to(os.fspath(path), ai_dir))


def earlier_kept_paths(ai_dir: str, path: str) -> list[str]:
    """Where the copy of the earlier-entries file ``path`` (a file under ``ai_dir``) is
    kept, first the place it is written to: in a git work tree, inside its git folder
    (``$GIT_DIR/ai-protocols/<path from the top of the work tree>``), where neither
    ``git clean -fdx`` nor ``git stash -u`` goes (gitrepository-layout(5): ``$GIT_DIR``
    holds no work-tree file; a linked work tree has its own); then
    ``.ai/.locks/live/...`` (:func:`kept_path`), which ``git clean -fdx`` removes
    (the only place outside git, and where versions before this one kept it: read
    and removed, never written, in a git work tree). Reads git's files, runs no git.
    Raises ``ValueError`` when ``path`` is not under ``ai_dir``."""
    ai_dir = os.fspath(ai_dir)
    old = kept_path(ai_dir, path)
    dirs = git_dirs(os.path.dirname(os.path.normpath(ai_dir)) or ".")
    if dirs is None:
        return [old]
    top, git_dir, _ = dirs
    below = relative_to(os.fspath(path), top)
    if below.startswith("../"):
        return [old]
    return [join(join(git_dir, "ai-protocols"), below), old]


def kept_is_other(ai_dir: str, path: str) -> bool:
    """Whether the session file ``path`` and its kept copy (:func:`kept_path`) both exist
    and are not one version (:func:`~ai_protocols.storage.files.same_version`: the kept
    copy is a copy of the last version this tool wrote, with its size and time): then
    something else wrote or replaced the file since, and
    :func:`ai_protocols.session.resume.replaced_warning` has a look. Two ``stat``
    calls."""
    return kept_relation(ai_dir, path) == KEPT_OTHER


#: :func:`kept_relation`'s answers: the file is its kept copy (or is absent); another
#: file; there is no kept copy and a session moved away from the path here (its
#: tombstone, :func:`tombstone_path`: a wrap-up's, whose session file git may put back).
KEPT_SAME, KEPT_OTHER, KEPT_LEFT = 0, 1, 2


def kept_relation(ai_dir: str, path: str) -> int:
    """How the session file ``path`` stands to its kept copy: :data:`KEPT_OTHER` as
    :func:`kept_is_other` says; :data:`KEPT_LEFT` when there is no kept copy and this
    clone's tool moved a session away from ``path`` (its tombstone is there: archived or
    adopted, until the next session starts), so that a file there is a copy put back
    (:func:`ai_protocols.session.resume.misplaced_of` then reads it); else
    :data:`KEPT_SAME`. Two ``stat`` calls, as :func:`kept_is_other` made."""
    try:
        there = os.stat(kept_path(ai_dir, path), follow_symlinks=False)
    except OSError:
        return KEPT_LEFT if os.path.lexists(tombstone_path(ai_dir, path)) else KEPT_SAME
    try:
        here = os.stat(path, follow_symlinks=False)
    except OSError:
        return KEPT_SAME
    return KEPT_SAME if same_version(there, here) else KEPT_OTHER


def start_command(path: str | os.PathLike[str]) -> str:
    """The command that brings back (or starts) the session file ``path``, as advice
    says it: ``ai-protocols start``, run as the agent whose file it is for a per-agent
    file (``.ai/session-context.d/ID.org``: ``AI_AGENT_ID=ID ai-protocols start``;
    another agent's ``start`` begins a file of its own), or, when the file's name is no
    id that names it again (:func:`~ai_protocols.paths.safe_id`), said in words. Raises
    nothing."""
    folder, name = os.path.split(os.fspath(path))
    if os.path.basename(folder) != CONTEXT_DIR or not name.endswith(".org"):
        return "'ai-protocols start'"
    agent = name[:-len(".org")]
    try:
        same = safe_id(agent) == agent
    except InvalidAgentId:
        same = False
    if not same:
        return "'ai-protocols start' run as the agent whose file it is (with its AI_AGENT_ID)"
    return f"'AI_AGENT_ID={agent} ai-protocols start'" if shell_quote(agent) == agent else \
        f"AI_AGENT_ID={shell_quote(agent)} ai-protocols start"
