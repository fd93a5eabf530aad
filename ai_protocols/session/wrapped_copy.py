"""A wrapped-up session's copy put back, and its archive.

A session file that a person or git put back after its session was wrapped up
(archived): the refusal and the warning that name it (:func:`put_back_refusal`,
:func:`put_back_warning`), what the archive lacks that the copy holds
(:func:`archive_lacks`), the version both derive from (``archive_base``,
``put_back_base``), the archive of a session (:func:`archive_of`) and a copy kept
in git. docs/decisions.md, "Issue 14, fifteenth round (put-back sessions)", "Issue
14, sixteenth round (stale saves and put-back copies)" and "Issue 14, twenty-first
round (what a put-back copy holds)".
"""

from __future__ import annotations

import os

from ai_protocols.errors import AiProtocolsError, SessionWrappedUp
from ai_protocols.git.state import git_version
from ai_protocols.lean import counted
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import parent
from ai_protocols.session import edit_base
from ai_protocols.session.edit_base import (
    A_DAY,
    head_properties,
    moved_away,
    props_of,
    stored_in_git,
)
from ai_protocols.session.locks import last_written
from ai_protocols.session.names import kept_path
from ai_protocols.session.reading import read_session
from ai_protocols.session.sections import SESSION_ID_PROPERTY, one_session, session_headline
from ai_protocols.storage import files as storage

__all__ = [
    "archive_base",
    "archive_gained",
    "archive_holding",
    "archive_lacks",
    "archive_of",
    "archived_copy",
    "kept_in_git",
    "put_back_archive",
    "put_back_base",
    "put_back_refusal",
    "put_back_warning",
    "refuse_archived",
    "refuse_put_back",
]


def archive_of(ai_dir: str, props: dict[str, str]) -> str | None:
    """The path of the newest archive under ``.ai/sessions/`` that holds the session whose
    headline properties are ``props``: the same ``AGENT_ID`` and ``STARTED``, and the
    same ``SESSION_ID`` when both hold one (:data:`~ai_protocols.session.sections.IDENTITY`:
    the session was wrapped up, here or in another clone whose archive a merge brought).
    Only archives named at or after the session's start are read (their names begin with
    the minute of the wrap-up, :func:`~ai_protocols.session.names.name_time`), each its
    first headline's drawer; ``None`` when none holds it. On a refusal's path only."""
    from ai_protocols.session.names import name_time

    started = parse_timestamp(props.get("STARTED", ""))
    if started is None:
        return None
    sessions = os.path.join(ai_dir, "sessions")
    try:
        names = sorted(os.listdir(sessions), reverse=True)  # (newest first)
    except OSError:
        return None
    for name in names:
        if not name.endswith(".org") or name.startswith("."):
            continue
        at = name_time(name)
        if at is not None and at < started.replace(second=0, microsecond=0) - A_DAY:
            break  # (named before the session began, give or take a zone)
        there = head_properties(os.path.join(sessions, name))
        if there and one_session(there, props):
            return os.path.join(sessions, name)
    return None


def archive_holding(ai_dir: str, session: dict[str, str]) -> str | None:
    """``archived to A`` (``abandoned, archived to A``) for the newest archive ``A`` under
    ``.ai/sessions/`` that holds the session whose headline properties are ``session``
    (:func:`~ai_protocols.session.sections.one_session`); ``None`` when none is."""
    sessions = os.path.join(ai_dir, "sessions")
    try:
        names = sorted(os.listdir(sessions), reverse=True)  # (newest first)
    except OSError:
        names = []
    for name in names:
        if name.endswith(".org") and not name.startswith("."):
            props = head_properties(os.path.join(sessions, name))
            if props and one_session(props, session):
                said = "abandoned, archived" if props.get("STATUS") == "abandoned" \
                    else "archived"
                return f"{said} to {os.path.join(sessions, name)}"
    return None


def kept_in_git(path: str, kept: str) -> bool:
    """Whether a commit reachable from a ref (a branch, a tag, the stash; a reflog
    alone does not count) holds the kept copy ``kept`` of the session file at ``path``
    byte for byte (:func:`~ai_protocols.session.edit_base.stored_in_git`): its entries are in git's
    history, not in that copy alone. Runs git up to four times: on a rare path only."""
    stored = stored_in_git(path, kept)
    return stored is not None and not stored.reflog_only


def refuse_archived(ai_dir: str, path: str, doc: OrgFile,
                     read_as: os.stat_result | None) -> None:
    """:class:`~ai_protocols.errors.SessionWrappedUp` when the session file at ``path``
    (read as ``doc``, ``read_as``), which is not the version this tool wrote last (its
    kept copy is gone, as a wrap-up leaves it, or another inode), holds a session an
    archive under ``.ai/sessions/`` holds (:func:`archived_copy`: a git checkout or a
    copy put a wrapped-up session back): a write would bring it back, and the next
    wrap-up would archive its entries a second time. The error says whether the file
    holds anything the archive lacks (:func:`archive_lacks`). The file is written into
    as usual (no check) while it is its kept copy."""
    if read_as is None:
        return
    try:
        st = os.stat(kept_path(ai_dir, path), follow_symlinks=False)
        if storage.same_version(st, read_as):
            return
    except OSError:
        pass
    headline = session_headline(doc)
    if headline is None:
        return
    found = archived_copy(ai_dir, path, headline.properties,
                          b"".join(bytes(piece) for piece in doc.encoded()))
    if found is not None:
        from ai_protocols.session.cause import wrapped_cause

        raise SessionWrappedUp(path, f"archived to {found[0]}", copy_lacks=found[1],
                               copy_holds=found[2], cause=wrapped_cause(path))


def archived_copy(ai_dir: str, path: str, props: dict[str, str],
                  data: bytes) -> tuple[str, int, str] | None:
    """``(archive, lacking, said)`` when an archive under ``.ai/sessions/`` holds the
    session of the session file at ``path`` (its headline properties ``props``, its bytes
    ``data``): :func:`archive_of`, the same ``AGENT_ID``, ``STARTED`` and
    ``SESSION_ID`` (when both hold one); ``lacking``: how many things (an entry, a
    checkbox item, a line typed...) the file holds that the archive does not, ``said``
    by kind (:func:`archive_lacks`, the one rule; -1 when either cannot be read as a
    session). ``None`` when no archive holds it."""
    archive = archive_of(ai_dir, props)
    if archive is None:
        return None
    return (archive, *archive_lacks(archive, data, path))


def put_back_archive(ai_dir: str, path: str, kept: str) -> str | None:
    """The archive under ``.ai/sessions/`` of the session the file at ``path`` holds,
    when the file is a copy of that wrapped-up (or abandoned) session put back by hand
    or by git (:func:`archived_copy`; what ``start`` and the writes refuse, exit 7)
    and not the version this tool wrote last (its kept copy ``kept`` is gone, as a
    wrap-up leaves it, or another inode); ``None`` otherwise, and when the file is
    the very one a move left (:func:`~ai_protocols.session.edit_base.moved_away`: a killed
    wrap-up's, which :func:`~ai_protocols.session.away.settle` removes). Reads the file's head;
    lists ``.ai/sessions/`` only when it holds a session."""
    here = last_written(path, kept)
    if here is None:
        return None
    props = head_properties(path)
    if not props or moved_away(ai_dir, path, props.get("AGENT_ID") or None,
                               parse_timestamp(props.get("STARTED", "")), here,
                               props.get(SESSION_ID_PROPERTY)):
        return None
    return archive_of(ai_dir, props)


def put_back_warning(ai_dir: str, path: str) -> str | None:
    """What a write into the session file at ``path`` is refused with when the file is a
    copy of a wrapped-up (or abandoned) session put back by hand or by git
    (:func:`put_back_archive`; :class:`~ai_protocols.errors.SessionWrappedUp`, exit 7,
    whose advice is ``ai-protocols merge-kept FILE`` when it holds entries the archive
    lacks, ``rm FILE`` otherwise), for the read commands' warning
    (:func:`ai_protocols.session.resume.misplaced_of`); ``None`` otherwise. Call only
    for a live file whose session is closed (a rare case): it reads the archive."""
    refusal = put_back_refusal(ai_dir, path)
    return None if refusal is None else refusal.message


def put_back_refusal(ai_dir: str, path: str) -> SessionWrappedUp | None:
    """The one refusal of ``start`` and every write when the session file at ``path`` is
    a copy of a wrapped-up (or abandoned) session put back by hand or by git
    (:func:`put_back_archive`, whatever its ``STATUS`` says: a version from before the
    wrap-up too): :class:`~ai_protocols.errors.SessionWrappedUp` (exit 7) naming the
    archive, with how many entries the file holds that the archive lacks
    (``copy_lacks``: ``merge-kept`` advised, else ``rm``) and, when the kept copy is of
    another session (one started since, which ``start`` brings back once the file is
    gone), that kept copy. ``None`` otherwise. Reads the file's head and, only when it is
    not the kept copy, lists ``.ai/sessions/``: on a refusal's path or a rare case only."""
    kept = kept_path(ai_dir, path)
    archive = put_back_archive(ai_dir, path, kept)
    if archive is None:
        return None
    try:
        lacks, holds = archive_lacks(archive, storage.read_regular(path), path)
    except (OSError, storage.NotRegular):
        return None
    where = "abandoned, archived" if (head_properties(archive) or {}).get("STATUS") == \
        "abandoned" else "archived"
    mine = head_properties(kept)
    live = kept if mine and archive_of(ai_dir, mine) is None and \
        not one_session(mine, head_properties(path) or {}) else None
    from ai_protocols.session.cause import wrapped_cause

    return SessionWrappedUp(path, f"{where} to {archive}", copy_lacks=lacks, kept=live,
                            copy_holds=holds, cause=wrapped_cause(path))


def refuse_put_back(ai_dir: str, path: str) -> None:
    """Raise :func:`put_back_refusal`'s error, if any, for the session file at ``path``
    (``start`` on a live-looking file: a version from before the wrap-up)."""
    refusal = put_back_refusal(ai_dir, path)
    if refusal is not None:
        raise refusal


def archive_lacks(archive: str, data: bytes, path: str | None = None) -> tuple[int, str]:
    """What the session file bytes ``data`` (a copy of the session the archive at
    ``archive`` holds, put back, or a kept copy; of the file at ``path``) hold that the
    archive lacks: ``(how many, said by kind)``, ``(0, "")`` when nothing, ``(-1, "")``
    when either cannot be read as a session. The one rule of "holds nothing the archive
    lacks" (``rm`` of the copy advised, or the kept copy dropped at ``start``, only
    then; else ``merge-kept``): byte for byte, every entry, tick, changed entry, Log
    line and line of free text (a checkbox item or a line a person typed, which
    :func:`~ai_protocols.session.merge_changes.changes_lacking` counts as lines) the archive
    does not hold, the session headline's properties aside (the wrap-up's write changed
    them). When ``path`` is given, what the version the copy derives from holds
    (:func:`archive_base`, as ``merge-kept`` takes it, two or three git runs) is not
    counted either: the archive changed it since (a tick made before the wrap-up, a
    summary it rewrote), which ``merge-kept`` would not bring back; and an entry that
    version and the archive hold and the copy lacks (a person deleted it) is counted as
    a deletion (``1 deletion of an entry``): ``rm`` would leave it in the archive,
    ``merge-kept`` removes it. The one judgement of every copy advised
    (:func:`~ai_protocols.session.merge_changes.copy_drops`; docs/decisions.md, "Issue 14,
    twenty-first round (what a put-back copy holds)", "Twenty-fourth round: advice that
    loses nothing when pasted"). Raises nothing of its own."""
    from ai_protocols.lean import counted
    from ai_protocols.session.merge_changes import HEADLINE_KINDS, copy_drops, said_changes

    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular):
        return -1, ""
    base = put_back_base(path, archive, data) if path is not None else None
    drops = copy_drops(data, archived, base)
    if drops is None:
        return -1, ""
    found = tuple(0 if kind in HEADLINE_KINDS else count
                  for kind, count in enumerate(drops[0]))
    total = sum(found) + drops[1]
    said = [said_changes(found)] if sum(found) else []
    if drops[1]:
        said.append(counted(drops[1], "deletion of an entry", "deletions of entries"))
    return total, " and ".join(said)


def archive_gained(archive: str, before: bytes, after: bytes) -> tuple[str, int]:
    """What a merge wrote into the archive at ``archive`` (its bytes ``before`` and
    ``after``), said by kind (:func:`~ai_protocols.session.model.compared`,
    :meth:`~ai_protocols.session.model.Compared.said`: ``1 entry and 1 tick written into
    it``, the Log lines added; ``and 1 entry removed from it``: a person's deletion taken
    from the copy), and how many entries it gained; ``("", 0)`` when the bytes are the
    same, ``changed lines written into it`` when the change is of no kind counted (a
    person's free text, a property)."""
    from ai_protocols.session.model import compared

    if before == after:
        return "", 0
    try:
        old = read_session(archive, before.decode("utf-8", "replace"))
        new = read_session(archive, after.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        return "changed lines", 0
    gained, lost = compared(new, old), compared(old, new)
    said = [f"{gained.said(none='')} written into it"] if gained.said(none="") else []
    if lost.entries:
        said.append(f"{counted(lost.entries, 'entry', 'entries')} removed from it")
    return " and ".join(said) or "changed lines written into it", gained.entries


def archive_base(path: str, archive: str, newer: bytes) -> bytes | None:
    """The version of the session file at ``path`` that both the archive at ``archive``
    (wrapped up in another clone, which a merge brought here) and the kept copy
    (``newer``) derive from: the newest version of ``path`` in the history of the commit
    that added the archive (``git log --diff-filter=A`` from ``HEAD`` and, during a
    merge, ``MERGE_HEAD``; the wrap-up moved that very file, so the archive derives
    from each of them, a person's rewording and ticks included) that is of the kept
    copy's session and all of whose entries the kept copy holds (the tool only ever
    adds entries: :func:`~ai_protocols.session.merge_diverged.base_rank`), so that a line
    changed on one side only is taken as changed, as ``git merge`` takes it. Before
    that rule, the newest such version of ``newer``'s session whose write record
    (``UPDATED_AT``, which only the tool's writes change, never a person's edit)
    ``newer`` carries: the version ``newer`` descends from even when a person reworded,
    ticked or deleted its entries since (a put-back copy edited by hand, whose entries
    the version's need not all be; docs/decisions.md, "Issue 14, fifteenth round
    (put-back sessions)"). ``None``
    when no commit here added the archive (copied in by hand, not committed) or none
    is; then :func:`~ai_protocols.session.edit_base._committed` is tried. Runs git two or three
    times."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    env = git_env()
    added = None
    for heads in (["HEAD", "MERGE_HEAD"], ["HEAD"]):  # (MERGE_HEAD during a merge only)
        try:
            added = GitRun(["git", "-C", parent(archive), "log", "-1", "--format=%H",
                            "--no-renames", "--diff-filter=A", *heads, "--",
                            archive.rsplit("/", 1)[-1]], env, None).wait().strip()
            break
        except (GitFailed, OSError):
            continue
    if not added:
        return None
    # (the kept copy ranked against itself: its session, and every entry of the version;
    # first, the version whose write record it carries: the one it descends from)
    return edit_base._committed(path, newer, newer, since=added.decode("ascii", "replace"),
                      carried=True)


def put_back_base(path: str, archive: str, copy: bytes, left: str | None = None
                   ) -> bytes | None:
    """The version a copy (``copy``) of the session the archive at ``archive`` holds,
    put back at ``path``, derives from: :func:`archive_base`, else (the archive not
    committed yet) the version the copy carries, in git or as the wrap-up left it at
    ``left`` (:func:`_carried_version`); ``None`` when neither is. The one base of
    ``merge-kept``'s merge of such a copy and of :func:`archive_lacks`. A carried
    version holding an entry the archive lacks is none: the archive does not derive
    from it (a rebase stopped on the file's modify/delete: git's index is unmerged and
    ``HEAD``, the branch rebased onto, holds the other side's version, the file itself;
    taken for the base, that side's entries would be "no change" and lost). Runs git up
    to six times: a refusal's or ``merge-kept``'s path only."""
    from ai_protocols.session.merge_changes import entries_lacking

    base = archive_base(path, archive, copy)
    if base is not None:
        return base
    carried = _carried_version(path, copy, left)
    if carried is None:
        return None
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular):
        return None
    return carried if entries_lacking(archived, carried) == 0 else None


def _carried_version(path: str, newer: bytes, left: str | None = None) -> bytes | None:
    """The version of the session file at ``path`` in git's index, else in a commit
    reachable from ``HEAD`` (:func:`~ai_protocols.session.edit_base._committed`), else the one the
    wrap-up left beside its tombstone (``left``, :func:`~ai_protocols.session.names.left_path`: the
    version this tool wrote last before it), that is of ``newer``'s session and whose write
    record (``UPDATED_AT``, which only the tool's writes change) ``newer`` carries: the
    version ``newer``, a copy put back by ``git checkout`` (or from an editor's backup,
    never committed) and maybe edited by hand, descends from; ``None`` when none is.
    The base of a put-back copy's merge into an archive not committed yet, by the rule
    :func:`archive_base` follows for a committed one (docs/decisions.md, "Issue 14,
    sixteenth round (stale saves and put-back copies)", "Issue 14, seventeenth round
    (stale saves)"). Runs git up to three times: ``merge-kept`` only."""
    mine = props_of(newer)
    if not mine or not mine.get("UPDATED_AT"):
        return None
    folder, name = parent(path), path.rsplit("/", 1)[-1]

    def kept_there() -> bytes | None:
        try:
            return storage.read_regular(left) if left else None
        except (OSError, storage.NotRegular):
            return None

    for version in (lambda: git_version(folder, f":./{name}"),
                    lambda: edit_base._committed(path, newer, newer, carried=True), kept_there):
        found = version()
        theirs = props_of(found) if found else None
        if theirs and theirs.get("UPDATED_AT") == mine["UPDATED_AT"] and \
                one_session(theirs, mine):
            return found
    return None
