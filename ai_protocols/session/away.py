"""What moved or adopted a session away, and the copies kept at the start.

A session archived or adopted elsewhere (:func:`adopted_away`,
:func:`moved_elsewhere`), the kept copy a start finds (:func:`kept_at_start`,
:func:`put_copy_back`), a killed move finished (:func:`settle`, :func:`forget`), a
missing session file said by its cause (``_missing``, :func:`refuse_missing`), a
wrap-up's copy and tombstone (``keep_left``, ``prune_left``, ``drop_tombstone``) and
the links into a moved folder (:func:`links_into_moved`). docs/decisions.md,
"Adoption moves the history into a fresh file of the adopter", "Tombstones tell a
late writer where its session went" and "Issue 14, fifteenth round (put-back
sessions)".
"""

from __future__ import annotations

import os

from ai_protocols.errors import (
    AiProtocolsError,
    NoSession,
    SessionRemoved,
    SessionWrappedUp,
    StorageError,
    carry_left,
)
from ai_protocols.lean import counted, datetime, quoted
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp, strip_ending
from ai_protocols.paths import join, parent
from ai_protocols.session.carries import drop_carried_leftovers
from ai_protocols.session.edit_base import (
    abandoned,
    head_properties,
    moved_away,
    moved_where,
    unlink,
    warn,
)
from ai_protocols.session.locks import moved_may_be
from ai_protocols.session.names import kept_path, left_path, start_command, tombstone_path
from ai_protocols.session.pending import pending_path
from ai_protocols.session.replaced import carried_away, stashed_in, switched_from
from ai_protocols.session.sections import SESSION_ID_PROPERTY, one_session, session_headline
from ai_protocols.session.wrapped_copy import archive_holding, archive_lacks, kept_in_git
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from typing import NoReturn


__all__ = [
    "adopted_away",
    "drop_tombstone",
    "forget",
    "keep_left",
    "kept_at_start",
    "links_into_moved",
    "moved_elsewhere",
    "prune_left",
    "put_copy_back",
    "refuse_missing",
    "settle",
    "then_start",
    "warn_moved_folder",
]


def adopted_away(ai_dir: str, path: str) -> str | None:
    """When the tombstone of ``path`` says another agent adopted its session (``recover
    --adopt``, :mod:`ai_protocols.session.recovery`): ``adopted by X at T: it carries on
    in P`` (``X`` the adopter's ``AGENT_ID``, read from its file ``P``; ``T`` when the
    tombstone was written, local time to the minute), for the agent that comes back to
    find its file gone; ``None`` otherwise (no tombstone, or an archive's)."""
    where = moved_where(ai_dir, path)
    if where is None or not where.startswith("adopted by "):
        return None
    place = where[len("adopted by "):]
    try:
        when = datetime.fromtimestamp(os.stat(tombstone_path(ai_dir, path)).st_mtime)
    except OSError:
        return None
    props = head_properties(place)
    who = (props or {}).get("AGENT_ID") or "another agent"
    still = f"it carries on in {place}" if props else \
        f"it carried on in {place}, which is gone now (wrapped up? ai-protocols list)"
    return f"adopted by {who} at {when:%Y-%m-%d %H:%M}: {still}"


def moved_elsewhere(ai_dir: str, path: str) -> str | None:
    """Where another clone moved the session of ``path`` (gone, its kept copy here), as
    a merge brought the move in: ``archived to A (in another clone)`` when an archive
    under ``.ai/sessions/`` holds the kept copy's session (a wrap-up or an abandon:
    :func:`~ai_protocols.session.sections.one_session`, the ``SESSION_ID`` too, or none on both
    sides), ``adopted by F (in another clone)`` when a live session file has its
    ``STARTED`` (and ``SESSION_ID``, or none on both sides) and an ``ADOPTED_FROM``; ``None``
    otherwise (removed by something else: ``git clean``, ``git stash -u``, or ``merge-kept``
    of another session's version put back over it)."""
    kept = head_properties(kept_path(ai_dir, path))
    if not kept or not kept.get("STARTED"):
        return None
    key = (kept.get("AGENT_ID") or None, kept["STARTED"])
    archive = archive_holding(ai_dir, kept)
    if archive is not None:
        return f"{archive} (in another clone)"
    folder = os.path.join(ai_dir, "session-context.d")
    try:
        live = [os.path.join(folder, n) for n in sorted(os.listdir(folder))
                if n.endswith(".org") and not n.startswith(".")]
    except OSError:
        live = []
    for other in [os.path.join(ai_dir, "session-context.org"), *live]:
        props = head_properties(other) if other != path else None
        if props and props.get("ADOPTED_FROM") and props.get("STARTED") == key[1] and \
                one_session({**props, "AGENT_ID": ""}, {**kept, "AGENT_ID": ""}):
            return f"adopted by {other} (in another clone)"
    return None


def kept_at_start(ai_dir: str, path: str) -> tuple[str | None, bytes | None]:
    """What ``start`` does with the kept copy of the session file ``path`` (gone, the
    copy there): ``(where its session went, None)`` when it drops the copy (an archive
    holds its session and every entry of it, or git's history that very version, or
    another clone adopted it: :func:`moved_elsewhere`,
    :func:`~ai_protocols.session.wrapped_copy.kept_in_git`); ``(where, the copy's bytes)`` when the
    archive lacks some of its entries: put back as a file of its own, which ``start`` then refuses
    (exit 7); ``(None, None)`` when no archive or adoption holds its session: brought back as it is.
    The one rule of :meth:`~ai_protocols.session.project.Project._bring_back` and of what
    ``merge-kept`` says ``start`` will do. Raises :class:`~ai_protocols.errors.StorageError` when
    the copy cannot be read."""
    where = moved_elsewhere(ai_dir, path)
    if where is None:
        return None, None
    kept = kept_path(ai_dir, path)
    try:
        copy = storage.read_regular(kept)
    except (OSError, storage.NotRegular) as error:
        raise StorageError(kept, error) from None
    archive = where.partition(" to ")[2].removesuffix(" (in another clone)")
    if not archive or archive_lacks(archive, copy, path)[0] == 0 or \
            kept_in_git(path, kept):  # (adopted: not an archive)
        return where, None
    return where, copy


def settle(ai_dir: str, path: str) -> str | None:
    """When the file at ``path`` is what a move left
    (:func:`~ai_protocols.session.edit_base.moved_away`), remove it and what goes with it, and
    return where its session went. Call holding its lock. Without the move's tombstone
    (:func:`~ai_protocols.session.locks.moved_may_be`: every start's case) one ``lstat``, the file
    not read."""
    if not moved_may_be(ai_dir, path):
        return None
    try:
        found = storage.read_file(path)
    except AiProtocolsError:
        return None
    if found is None:
        return None
    headline = session_headline(OrgFile(found[0].decode("utf-8", "replace")))
    if headline is None:
        return None
    props = headline.properties
    where = moved_away(ai_dir, path, props.get("AGENT_ID") or None,
                       parse_timestamp(props.get("STARTED", "")), found[1],
                       props.get(SESSION_ID_PROPERTY))
    if where is not None:
        forget(ai_dir, path)
    return where


def put_copy_back(path: str, data: bytes, like: os.stat_result | None = None) -> None:
    """Make the session file ``path``, absent, with the bytes ``data`` (its kept copy's),
    as a file of its own: atomically, never over a file there (``StorageError``). What
    ``start`` does with a kept copy
    (:meth:`~ai_protocols.session.project.Project._bring_back`). ``like``: the kept
    copy's ``stat``, whose modification time the file is given, so that it is that
    version (:func:`~ai_protocols.storage.files.same_version`; a copy, never a hard
    link, which a save in place would write into too). Call holding its lock. Raises
    ``OSError`` when the time cannot be set."""
    storage.atomic_write(path, data, exclusive=True, locked=True)
    if like is not None:
        os.utime(path, ns=(like.st_atime_ns, like.st_mtime_ns))


def forget(ai_dir: str, path: str) -> None:
    """Remove what a session that left ``path`` leaves behind: the file (a move's
    leftover), its pending file (folded into where it went) and its kept copy, and
    the earlier-entries files the archive holds too
    (:func:`~ai_protocols.session.carries.drop_carried_leftovers`)."""
    drop_carried_leftovers(ai_dir, path)
    for gone in (path, pending_path(path), kept_path(ai_dir, path),
                 kept_path(ai_dir, pending_path(path))):
        try:
            os.unlink(gone)
        except FileNotFoundError:
            pass
    try:
        storage.fsync_dir(parent(path))
    except OSError:
        pass


def _missing(ai_dir: str, path: str) -> NoReturn:
    """Raise what a command finds when the session file ``path`` is not there: where it
    went (its tombstone: :class:`~ai_protocols.errors.SessionWrappedUp`), else, when a
    copy of it is kept (something other than this tool removed it),
    :class:`~ai_protocols.errors.SessionRemoved`, or when the newest stash entry holds it
    (``git stash -a`` takes the kept copy with it), else
    :class:`~ai_protocols.errors.NoSession`."""
    where = moved_where(ai_dir, path)
    if where is not None:
        raise SessionWrappedUp(path, abandoned(where))
    kept = kept_path(ai_dir, path)
    if os.path.lexists(kept):
        carried = carried_away(ai_dir, path)
        if carried is not None:
            raise carried
        where = moved_elsewhere(ai_dir, path)
        if where is not None:
            raise SessionWrappedUp(path, where)
        stash = stashed_in(path)
        raise SessionRemoved(path, kept, stash,
                             switched_from(path, kept) if stash is None or carry_left(path)
                             else None,
                             start_command(path))
    stash = stashed_in(path)  # (git stash -a took the kept copy too; no process without one)
    if stash is not None:
        raise SessionRemoved(path, kept, stash, start=start_command(path))
    raise NoSession(path)


def refuse_missing(ai_dir: str, path: str) -> None:
    """Raise what :func:`~ai_protocols.session.transaction.open_session` would for a session file
    that is not there, before any lock is taken: a command that fails for want of a session creates
    nothing (no ``.ai/.locks/``, no ``.ai/``). One that appears meanwhile is found under the
    lock."""
    if not os.path.lexists(path):
        storage.refuse_symlinks(parent(ai_dir), path)  # as the lock would have said first
        _missing(ai_dir, path)


#: How many of the commits that changed a session file ``merge-kept`` looks through
def then_start(ai_dir: str, path: str, live: str | None) -> str:
    """What ``start`` will do at ``path`` (gone) with its kept copy ``live`` (``None``:
    none), by :func:`kept_at_start`'s rule, for ``merge-kept``'s message."""
    new = "'ai-protocols start' begins a new session"
    if live is None:
        return new
    try:
        where, copy = kept_at_start(ai_dir, path)
    except AiProtocolsError:
        where, copy = "", b""
    if where is None:
        return (f"'ai-protocols start' brings back the session ai-protocols wrote last "
                f"here (kept in {live})")
    if copy is None:
        return (f"{new} (the version ai-protocols wrote last here, kept in {live}, is of "
                f"a session {where.removesuffix(' (in another clone)')} with every "
                f"entry of it: start drops it)")
    return (f"'ai-protocols start' puts the version ai-protocols wrote last here (kept in "
            f"{live}) back at {path}, since its archive lacks some of its entries, and "
            f"refuses it (exit 7) until 'ai-protocols merge-kept' merges it in too")


def warn_moved_folder(ai_dir: str, path: str, folder: str | None,
                       moves: list[tuple[str, str]]) -> None:
    """After an adoption moved the earlier-entries files of ``path`` into the adopter's
    history folder ``folder``: say on stderr that a link elsewhere naming their old
    folder or a file in it (a person's, another archive's) now names nothing, and where
    they are (issue 16, eleventh round: no link breaks unsaid; none is searched for,
    a scan of every file for a rare move)."""
    if not moves or folder is None or \
            os.path.relpath(folder, ai_dir).split(os.sep)[0] != "history":
        return
    old = parent(moves[0][0])
    found = links_into_moved(ai_dir, path, moves)
    where = ""
    if found:
        shown = "; ".join(f"{file} line {number}" for file, number, _ in found[:5])
        lines = counted(len(found), "line", "lines")
        name = "names" if len(found) == 1 else "name"
        where = (f"; {lines} of this project's session files and archives {name} it: "
                 f"{shown}{' ...' if len(found) > 5 else ''} (the first would read "
                 f"{quoted(found[0][2])})")
    warn(f"the earlier-entries files of {path} moved from {old} to {folder} (an "
          f"adoption), and {old} goes once empty: a link elsewhere that names that folder "
          f"or a file in it (in a file of yours, in another session's archive) now names "
          f"nothing; point it at {folder}{where}")


def links_into_moved(ai_dir: str, path: str, moves: list[tuple[str, str]]
                     ) -> list[tuple[str, int, str]]:
    """The lines of this project's session files (``.ai/session-context.org``,
    ``.ai/session-context.d/``) and archives (``.ai/sessions/*.org``), ``path`` aside,
    holding a link Org sees (:func:`~ai_protocols.session.org_links.move_links`'s rule:
    bracket, plain and angle links, ``#+INCLUDE:``/``#+SETUPFILE:``/``#+BIBLIOGRAPHY:``
    paths) that names a file ``moves`` (old path, new path: an adoption's, done) took
    away, or their old folder: ``(file, line number from 1, the line as it would
    name the new place)``, in file order. Read only, nothing written (another session's
    file is its own agent's, an archive is closed): said so that a person can point the
    links at the new place. Reads each file; parses only one holding the old folder's
    name. Raises nothing of its own (a file that cannot be read is passed over)."""
    from ai_protocols.session.names import session_files
    from ai_protocols.session.org_links import move_links

    if not moves:
        return []
    old_folder, new_folder = parent(moves[0][0]), parent(moves[0][1])
    renamed = {os.path.normpath(os.path.abspath(a)): os.path.normpath(os.path.abspath(b))
               for a, b in moves}
    renamed[os.path.normpath(os.path.abspath(old_folder))] = \
        os.path.normpath(os.path.abspath(new_folder))
    needle = os.path.basename(os.path.normpath(old_folder)).encode("utf-8")
    files = [join(ai_dir, "session-context.org"),
             *session_files(join(ai_dir, "session-context.d"))]
    try:
        files += sorted(join(join(ai_dir, "sessions"), name)
                        for name in os.listdir(join(ai_dir, "sessions"))
                        if name.endswith(".org") and not name.startswith("."))
    except OSError:
        pass
    found: list[tuple[str, int, str]] = []
    for file in files:
        if os.path.normpath(file) == os.path.normpath(path):
            continue
        try:
            data = storage.read_regular(file)
        except (OSError, storage.NotRegular):
            continue
        if needle not in data:
            continue
        doc = OrgFile(data.decode("utf-8", "replace"))
        before = list(doc.lines)
        folder = parent(file)
        move_links(doc, folder, folder, set(), renamed)
        for number, (one, two) in enumerate(zip(before, doc.lines, strict=True), start=1):
            if one != two and needle.decode("utf-8") in one:
                found.append((file, number, strip_ending(two, doc.newline)))
    return found


def keep_left(ai_dir: str, path: str) -> None:
    """At a wrap-up's (or an abandon's) move of the session file ``path`` into its
    archive: its kept copy, the version this tool wrote last, renamed to
    :func:`~ai_protocols.session.names.left_path` beside the tombstone (one ``rename``,
    as the ``unlink`` it stands for), the base of ``merge-kept`` of a copy put back
    (:func:`_left_version`); a left version of an earlier session there goes when
    there is no kept copy."""
    try:
        os.replace(kept_path(ai_dir, path), left_path(ai_dir, path))
    except FileNotFoundError:
        unlink(left_path(ai_dir, path))


def prune_left(ai_dir: str, keep: tuple[str, ...]) -> None:
    """At an archive's move: what earlier ended sessions left under the lock folder
    and no one read for :data:`~ai_protocols.session.leftovers.KEEP_SECONDS` removed
    (:func:`~ai_protocols.session.leftovers.prune`), but this move's own (``keep``)."""
    import time

    from ai_protocols.session.leftovers import prune

    prune(ai_dir, time.time(), keep=keep)


def drop_tombstone(ai_dir: str, path: str) -> None:
    """Remove the tombstone of ``path`` and, only when there was one (no more system
    calls on a write's usual path: one ``unlink``), the version a wrap-up left beside
    it (:func:`keep_left`)."""
    try:
        os.unlink(tombstone_path(ai_dir, path))
    except FileNotFoundError:
        return
    unlink(left_path(ai_dir, path))
