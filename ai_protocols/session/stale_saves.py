"""Stale saves: an editor's buffer opened on an older version, saved over the
tool's write.

The version the buffer was opened on (:func:`opened_on`), the refusal that keeps a
stale save's copies beside the kept copy (``_refuse_stale``), the merge back of a
stale save (:func:`merge_stale`), one over the kept copy, over earlier-entries
files, or committed (:func:`~ai_protocols.session.stale_over.stale_committed`); what git brought
since the tool's write (:func:`git_moved`, ``brought_back``, ``kept_dropped``). The transaction asks
them through ``transaction.next_write_merges``. docs/decisions.md, "Issue 14, twentieth round
(the base of a stale save's merge)", "Issue 14, twenty-first round (the stale
save's refusal)", "Issue 14, twenty-first round (stale saves, a fresh review)",
"Issue 14, twenty-second round (a stale save committed)" and "Issue 16, fourteenth
round (stale saves over a rollover)".
"""

from __future__ import annotations

import os
import stat

from ai_protocols.git.state import git_version
from ai_protocols.lean import shell_quote
from ai_protocols.liveness.clock import Moment, now_moment
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import format_timestamp
from ai_protocols.paths import parent
from ai_protocols.session import edit_base
from ai_protocols.session.edit_base import head_properties, props_of
from ai_protocols.session.names import kept_path
from ai_protocols.session.rollover import held_entries
from ai_protocols.session.sections import (
    SESSION_ID_PROPERTY,
    head_of,
    one_session,
    session_headline,
)
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

    from ai_protocols.session.merge_units import MergeResult


__all__ = [
    "REFUSAL_AT",
    "REFUSAL_BASE",
    "REFUSAL_HEAD",
    "below_head",
    "brought_back",
    "drop_refusal_copies",
    "git_moved",
    "kept_dropped",
    "merge_stale",
    "opened_on",
    "removal_undone",
    "stale_earlier",
    "unkept_stale_may_be",
]


def brought_back(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """What git brought into the session file ``path`` (read as ``doc``) and a save over
    it dropped, merged back: ``(the merged document, what it regained said by kind, where
    the newer version is)``, or ``None`` when nothing was dropped.

    The case (docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)"):
    a person's buffer with unsaved changes visits the file; ``git pull`` (the merge
    driver's merge, or a fast-forward) changes the file under it; the person saves,
    answering "yes" to "changed on disk", and the file is the version from before the
    pull plus what they typed. Cheap on every write: only when ``HEAD`` (read from git's
    files, :func:`ai_protocols.git.head.read_head`, no process) is not the commit the
    file records (``GIT_COMMIT``, set at each write that sees ``HEAD`` move), and the
    file (``read_as``, its ``stat`` as read) is not its kept copy (the version this tool
    wrote last, :func:`~ai_protocols.storage.files.same_version`: git or a save, by a
    rename or in place, changed it since; one ``stat``), is
    ``HEAD``'s version of the file read (one ``git show``); nothing more when it is the
    file's bytes, or when ``HEAD`` moved since the commit the file records by commits
    made here only (:func:`~ai_protocols.git.head.below_own_commits`, the reflog's last
    4 KiB: a person's own line, committed, then changed in place, is no change git
    brought). Then what ``HEAD``'s version holds that neither the file nor the kept
    copy holds (:func:`~ai_protocols.session.merge_changes.changes_lacking`: an entry, one an
    earlier-entries file holds aside, a rollover moved it; a tick, a changed entry, a
    state, a property, a Log line, a line: docs/decisions.md, "Issue 14, seventeenth
    round (stale saves)") came through git;
    one more ``git show``, of the file at the commit the kept copy records, leaves out
    those that were committed here before this tool's last write (a person deleted
    them since), and nothing is lacking when the file was made from what git wrote
    (:func:`_saved_after_git`: a deliberate deletion). What is left was dropped: the
    three versions are merged by :func:`merge_stale`, on the version the buffer was
    opened on (:func:`opened_on`: every entry of the kept copy and of ``HEAD``'s kept,
    a person's typed lines and deletions from that version too, checked to drop no line,
    :func:`~ai_protocols.session.merge_changes.lines_dropped`), and what the same pull removed
    that the save holds again taken out of the merge (:func:`_removal_merged`). Raises
    :class:`~ai_protocols.errors.StaleSave` (nothing written) when they do not merge
    cleanly, with the commands that merge them, saying whether those leave conflict
    markers (the driver's merge of the same three,
    :func:`~ai_protocols.session.merge_session.merge_session_bytes`). ``head``: what
    :func:`~ai_protocols.git.head.read_head` gives for the work tree (read once per write:
    :func:`ai_protocols.session.pause.record_head` reads it again from the edit)."""
    root = parent(ai_dir)
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None or \
            mine.properties.get("GIT_COMMIT") == head[1]:
        return None
    kept = kept_path(ai_dir, path)
    try:
        there = os.stat(kept, follow_symlinks=False)
    except OSError:  # (no kept copy: this tool never wrote here; git's history tells)
        return _stale_unkept(ai_dir, path, doc, head) if read_as is not None else None
    if read_as is None or storage.same_version(there, read_as):
        return None  # (the file is what this tool wrote last: nobody saved over it)
    if not git_moved(root, head, mine.properties.get("GIT_COMMIT")):
        return None  # (HEAD moved by commits made here only: git brought nothing)
    try:
        older = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    below = os.path.relpath(path, root)
    data = b"".join(doc.encoded())
    if _from_refusal(kept, data, head[1]):
        return None  # (the refusal's commands followed: the three merged by a person)
    # (a file that is, byte for byte, the version this tool wrote last is no proof that
    # nobody saved over it: git changed the file since that write (its time is not the
    # kept copy's), and a buffer opened before git's change, a character typed and
    # deleted, or Emacs's "save anyway", puts those bytes back; judged as any other
    # save, merged on the commit recorded, never on the kept copy: docs/decisions.md,
    # "Issue 14, twentieth round (stale saves of an older version)")
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, older):
        return None
    theirs = session_headline(OrgFile(newer.decode("utf-8", "replace")))
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    if theirs is None or any(theirs.properties.get(k) != mine.properties.get(k)
                             for k in keys):
        return None  # (another session: the identity rules speak for it)
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped

    held = held_entries(ai_dir, path, doc)
    if edit_base._changed(changes_lacking(data, newer, held, also=(older,))) <= 0:
        return None
    kept_head = head_of(older)
    recorded = kept_head.properties.get("GIT_COMMIT") if kept_head is not None else None
    # (what was committed here before this tool last wrote is no entry git brought: an
    # entry of it the file lacks is a person's deletion, made since)
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    before = (older,) if committed is None else (older, committed)
    found = changes_lacking(data, newer, held, also=before)
    lacking = edit_base._changed(found)
    from ai_protocols.session.git_join import joined_on
    if lacking <= 0 or _saved_after_git(data, newer, older, held, before) or \
            joined_on(root, path, data, older, newer, committed) is not None:
        return None  # (made from what git wrote: a stash pop's join counts as that)
    where = f"HEAD:./{below}"
    # (the base: the kept copy, the version the buffer was opened on; a save of that
    # version itself (or the advised ``cp KEPT FILE``) holds nothing typed, and on it
    # the merge would give HEAD's version, dropping what the tool wrote that HEAD
    # lacks: then the commit recorded, where it is the ancestor of both, else what
    # both hold, every entry of either kept)
    merged = merge_stale(path, data, older, newer, committed,
                         committed is not None and below_head(root, recorded))
    if merged is None or lines_dropped(data, merged.data, older, newer) or \
            lines_dropped(newer, merged.data, older, data):
        _refuse_stale(ai_dir, path, data, older, newer, committed, recorded, found)
    return _regained(merged.data, data, found, where,
                     _removal_merged(root, path, data, older, newer, held, merged.data))


def removal_undone(ai_dir: str, path: str, doc: OrgFile,
                   head: tuple[str | None, str | None] | None,
                   read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """A stale save that put back what git removed, merged again: ``(the merged document,
    the removals said, where the newer version is)``, or ``None``. The case
    (docs/decisions.md, "Twenty-sixth round: stale saves over a pull, a stash's join and
    what git removed"): an entry both clones held is removed in one (a person deleted
    its lines, or ``git revert``) and pushed; in the other, a buffer of the session file
    ``path`` (read as ``doc``, its ``stat`` ``read_as``) opened before the pull is saved
    after it: the file holds the entry again, and nothing git brought is lacking, so
    :func:`brought_back` finds nothing. Asked last, after
    :func:`~ai_protocols.session.stale_over.stale_committed` and :func:`kept_dropped` found nothing
    (a stale save committed makes ``HEAD``'s version lack what it never held: no removal). The
    cheap tests of :func:`~ai_protocols.session.stale_over.stale_committed` first (``HEAD``,
    ``head`` as :func:`~ai_protocols.git.head.read_head` gives it, is not the commit the file
    records; the file is not its kept copy; ``HEAD`` moved by more than one's own commits:
    :func:`git_moved`); then ``HEAD``'s version, of the same session, neither the file nor the kept
    copy (one ``git show``). When ``HEAD``'s version is the file (the save committed, here, or in a
    clone that has no kept copy and pulled it: then ``HEAD`` moved by more than the first move,
    :func:`_brought_since`), the version the commit went over, from git's history
    (:func:`_removal_gone_over`, only when the file carries the kept copy's write record or an
    older one: a later one came through git from a later write, as after every pull), named by its
    blob (docs/decisions.md, "Twenty-sixth round: a stale save over a removal, committed")."""
    mine = session_headline(doc)
    if head is None or head[1] is None or read_as is None or mine is None or \
            mine.properties.get("GIT_COMMIT") == head[1]:
        return None
    there, older = _kept_other(kept_path(ai_dir, path), read_as)
    root = parent(ai_dir)
    recorded = mine.properties.get("GIT_COMMIT")
    if (older is None if there else not _brought_since(root, head, recorded)) or \
            not git_moved(root, head, recorded):
        return None
    data = b"".join(doc.encoded())
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or (newer == older and newer != data) or (older is None and newer != data) \
            or not one_session(props_of(newer) or {}, dict(mine.properties.items())):
        return None
    from ai_protocols.lean import counted

    held = held_entries(ai_dir, path, doc)
    where, base = f"HEAD:./{below}", None
    if newer == data:  # (the save committed: the version it went over is below HEAD's)
        from ai_protocols.session.stale_commit import older_record

        at, kept_at = mine.properties.get("UPDATED_AT"), (props_of(older or b"") or {}).get(
            "UPDATED_AT")
        if older is not None and at != kept_at and not older_record(at, kept_at):
            return None  # (a later write than the kept copy's came through git: the commonest
            # file after a pull, never a save made here; no history read)
        gone = _removal_gone_over(root, below, data, older, held, head[1])
        if gone is None:
            return None
        newer, where, base = gone
    merged = _removal_merged(root, path, data, older or base, newer, held,  # type: ignore[arg-type]
                             base=None if older is not None else base)
    if merged is None:
        return None
    return (OrgFile(merged[0].decode("utf-8")), counted(merged[1], "removal", "removals"),
            where)


def _removal_gone_over(root: str, below: str, data: bytes, older: bytes | None,
                       held: set[str] | None, like: str, rev: str = "HEAD"
                       ) -> tuple[bytes, str, bytes | None] | None:
    """For :func:`removal_undone`, when ``HEAD``'s version of the session file (``below``,
    from the work tree ``root``) is the file itself (``data``: a stale save over a pull
    that removed entries, committed, here or in another clone): the version that commit
    went over, how it is named (``blob ID``, :data:`~ai_protocols.session.stale_commit.
    BLOB`, in the hash of ``like``, ``HEAD``'s id), and without a kept copy the version
    the buffer was opened on; or ``None``. Of the last versions ``HEAD``'s history holds
    (:func:`~ai_protocols.git.state.history_versions`, newest first, each where each
    commit made it), the first below the file's (a commit of the save, and of edits of
    it, one after another) that lacks entries the file holds unchanged and so does the
    version before the pull
    (:func:`~ai_protocols.session.merge_changes.removed_held`; ``held``: the earlier-entries
    files' entries): the kept copy ``older`` stands for it, none past it; without one (a
    clone where this tool has not written since: the one that pulled the save), a
    version below that one carrying the file's write record (``UPDATED_AT``: what the
    buffer was opened on). ``None`` too when the file is, byte for byte, a version that
    history holds below its own (a ``git revert`` of the removal, or a save with nothing
    typed, which is the same: it stands, as the twenty-second round's rule has it).
    ``rev``: the commit whose history is read (a merge's parent, :func:`~ai_protocols.
    session.stale_over.merged_removal`). docs/decisions.md, "Twenty-sixth round: a stale
    save over a removal, committed". Two git runs."""
    from ai_protocols.git.history import blob_id, history_versions
    from ai_protocols.session.merge_changes import removed_held
    from ai_protocols.session.stale_commit import BLOB

    versions = history_versions(root, below, [rev], 12, before=False, each=True)
    first = 1  # (a merge's version is there once a parent: its every place at the top)
    while first < len(versions) and versions[first] == data == versions[0]:
        first += 1
    if data in versions[first:]:
        return None  # (a version git held before, put back as it was: a revert stands)
    stamp = (props_of(data) or {}).get("UPDATED_AT")
    for index, version in enumerate(versions[first:], first):
        if version == older:
            return None
        if older is not None:
            if removed_held(data, version, older, held) > 0:
                return version, BLOB + blob_id(version, like)[:12], None
            continue
        for opened in versions[index + 1:]:
            if stamp and (props_of(opened) or {}).get("UPDATED_AT") == stamp and \
                    removed_held(data, version, opened, held) > 0:
                return version, BLOB + blob_id(version, like)[:12], opened
    return None


def _removal_merged(root: str, path: str, data: bytes, older: bytes, newer: bytes,
                    held: set[str] | None, onto: bytes | None = None,
                    base: bytes | None = None) -> tuple[bytes, int] | None:
    """:func:`removal_undone`'s merge, given the file ``data`` (at ``path`` in the work
    tree ``root``), ``older`` the kept copy (the version this tool wrote last), ``newer``
    ``HEAD``'s version (or the version a committed save went over) and ``held`` the
    earlier-entries files' entries: ``(the merged bytes, how many removals it took)``.
    ``onto``: another rule's merge back of the same save (what git brought, which it
    lacked too), judged as ``data`` is and merged in its place, so that both are taken
    (docs/decisions.md, "Twenty-sixth round: a stale save over a removal, committed").
    Not when the file
    carries ``HEAD``'s write record (``UPDATED_AT``) where
    that is not the kept copy's (made from what git wrote: a person put the entry back on
    purpose). Git's version before the pull is the file at the commit the kept copy
    records (``GIT_COMMIT``), else at ``ORIG_HEAD`` (where a pull, merge or rebase found
    ``HEAD``): the first whose entries ``newer`` lacks the file and the kept copy both
    hold, every one unchanged (:func:`~ai_protocols.session.merge_changes.removed_held`; an entry
    the person changed, or one moved by a rollover to ``held``, stands); ``base``, that
    version given (a clone without a kept copy: ``older`` is it too). The three are
    merged as every stale save is (:func:`merge_stale`, on that version); ``None`` when
    that merge is not clean (the file is left as it is, as before). Runs git up to
    three times."""
    from ai_protocols.session.merge_changes import removed_held

    mine, theirs, kept = (props_of(v) or {} for v in (data, newer, older))
    stamp = theirs.get("UPDATED_AT")
    if stamp and stamp != kept.get("UPDATED_AT") and mine.get("UPDATED_AT") == stamp:
        return None  # (made from what git wrote: the person's act)
    below = os.path.relpath(path, root)
    given = base
    for rev in (None,) if given is not None else (kept.get("GIT_COMMIT"), "ORIG_HEAD"):
        base = given if rev is None else git_version(root, f"{rev}:./{below}")
        count = 0 if base is None else removed_held(data, newer, base, held)
        if count > 0 and removed_held(older, newer, base, held) == count:
            break
    else:
        return None
    from ai_protocols.session.merge_diverged import merge_diverged_bytes

    both = _tools_join(older, newer, base, below_head(root, rev), path)
    opened = opened_on(path, data, older, base)
    if both is None or opened is None:
        return None
    # (the save's changes taken onto the tool's two versions joined, as merge_stale does;
    # the join carries the opened version's write record: a revert's older one would
    # make it a side older than the base, whose removals the merge does not take)
    mine_now = data if onto is None else onto
    merged = both if opened == data else merge_diverged_bytes(
        mine_now, _record_of(opened, both), opened, ancestor=True)
    if merged is None:
        return None
    result = merged if isinstance(merged, bytes) else merged.data
    if (not isinstance(merged, bytes) and merged.conflicts) or result == mine_now:
        return None
    return result, count


def _record_of(source: bytes, data: bytes) -> bytes:
    """The session file ``data`` with the write record (``UPDATED`` and ``UPDATED_AT``, the
    session headline's first of each) of ``source`` in place of its own; ``data`` as it
    is where either lacks one. No I/O."""
    import re

    for name in (rb"UPDATED", rb"UPDATED_AT"):
        line = re.compile(rb"^:" + name + rb":[ \t].*$", re.MULTILINE)
        found, there = line.search(source), line.search(data)
        if found is not None and there is not None:
            data = data[:there.start()] + found.group(0) + data[there.end():]
    return data


def _kept_other(kept: str, read_as: os.stat_result | None) -> tuple[bool, bytes | None]:
    """Whether the kept copy ``kept`` (the version this tool wrote last) is there, and its
    bytes when it is a regular file, readable, other than the session file as read
    (``read_as``, its ``stat``: :func:`~ai_protocols.storage.files.same_version`), else
    ``None``: the one guard of :func:`kept_dropped` and
    :func:`~ai_protocols.session.stale_over.stale_committed`. Raises nothing of its own."""
    try:
        there = os.stat(kept, follow_symlinks=False)
    except OSError:
        return False, None
    if read_as is None or not stat.S_ISREG(there.st_mode) or \
            storage.same_version(there, read_as):
        return True, None
    try:
        return True, storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return True, None


def kept_dropped(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """What the kept copy (the version this tool wrote last) holds that no commit holds
    and the session file ``path`` (read as ``doc``) lacks, merged back: ``(the merged
    document, what it regained said by kind, the kept copy's path)``, or ``None`` when it
    lacks nothing of the kind. The case (docs/decisions.md, "Issue 14, twenty-second round
    (the kept copy's uncommitted entries)"): the agent writes after a pull, its entry left
    uncommitted; a buffer opened before that write is saved over the file; then another
    pull (``git pull --autostash`` stashes the save and pops it back through the merge
    driver, or a pull merges the committed save): the merged file carries a newer write
    record than the kept copy's, holds what git brought, and lacks the agent's entry, which
    only the kept copy holds. :func:`~ai_protocols.session.replaced.refuse_older` (the file is not
    older) and :func:`brought_back` (the file lacks nothing ``HEAD``'s version holds) find nothing,
    over one pull or several.

    Only when the file is not the kept copy (one ``stat``, read as ``read_as``), ``HEAD``
    (``head``, :func:`~ai_protocols.git.head.read_head`) moved since the commit the kept
    copy records, not by one's own commits only (:func:`git_moved`: git wrote the file
    since), and the file carries another write record (``UPDATED_AT``, which only the
    tool's writes change) than the kept copy's: a file that carries the kept copy's was
    made from it by a person, and a deletion in it stands. Then what the kept copy holds
    that the file lacks (:func:`~ai_protocols.session.merge_changes.changes_lacking`: an entry, a
    tick, a changed entry, a property, a Log line, a line), less what ``HEAD``'s version,
    the version at the commit the kept copy records, or any version a ref's history holds
    (``git log --full-history --all``: a branch, a tag, the stash) holds: what a commit
    or a stash holds was git's to keep or drop; what none holds was the tool's write
    alone. Nothing when a version in that history carries the kept copy's write record
    (the write, or a person's edit of it, was committed: a deletion there stands). That is
    merged
    back: the file and the kept copy three ways on the version at the commit the kept copy
    records (where ``HEAD``'s history holds it, :func:`below_head`; else on what both hold,
    every entry of either kept), checked to drop no line of either
    (:func:`~ai_protocols.session.merge_changes.lines_dropped`). Raises
    :class:`~ai_protocols.errors.StaleSave` (nothing written) with the commands that merge
    them when that merge is not clean (:func:`_refuse_stale`). Runs git up to five times,
    only when the file lacks some of the kept copy's changes."""
    if head is None or head[1] is None or read_as is None:
        return None
    mine = session_headline(doc)
    older = _kept_other(kept_path(ai_dir, path), read_as)[1] if mine is not None else None
    if older is None:
        return None
    kept_head = head_of(older)
    if kept_head is None:
        return None
    theirs = dict(kept_head.properties.items())
    recorded = theirs.get("GIT_COMMIT")
    root = parent(ai_dir)
    if not recorded or not git_moved(root, head, recorded) or \
            theirs.get("UPDATED_AT") == mine.properties.get("UPDATED_AT") or \
            not one_session(theirs, dict(mine.properties.items())):
        return None
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped
    from ai_protocols.session.merge_diverged import merge_diverged_bytes

    data = b"".join(doc.encoded())
    held = held_entries(ai_dir, path, doc)
    if edit_base._changed(changes_lacking(data, older, held)) <= 0:
        return None  # (the file holds every change of the kept copy)
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    committed = git_version(root, f"{recorded}:./{below}")
    known = tuple(v for v in (newer, committed) if v is not None)
    if edit_base._changed(changes_lacking(data, older, held, also=known)) <= 0:
        return None
    history = edit_base._history(path, ["--full-history", "--all"])
    stamp = theirs.get("UPDATED_AT")
    if stamp and any((props_of(v) or {}).get("UPDATED_AT") == stamp for v in history):
        return None  # (the kept copy's write, or a person's edit of it, was committed)
    found = changes_lacking(data, older, held, also=(*known, *history))
    if edit_base._changed(found) <= 0:
        return None  # (a commit or the stash holds them: git's to keep or drop)
    from ai_protocols.session.git_join import joined_on
    if newer is not None and joined_on(root, path, data, older, newer, committed) is not None:
        return None  # (made from a stash pop's join, which held them: a person's deletion)
    ancestor = committed is not None and below_head(root, recorded)
    merged = merge_diverged_bytes(data, older, committed, ancestor=ancestor)
    if merged is None or lines_dropped(data, merged.data, committed, older) or \
            lines_dropped(older, merged.data, committed, data):
        _refuse_stale(ai_dir, path, data, older, newer if newer is not None else data,
                      committed, recorded, found, kept_holds=True)
    return _regained(merged.data, data, found, kept_path(ai_dir, path))


#: What a stale save's refusal (:func:`_refuse_stale`) writes beside the kept copy for
#: the merge driver: the version the buffer was opened on, and the tool's two versions
#: joined, with a write record of its own; and the commit ``HEAD`` named then (per
#: machine, no one's text).
REFUSAL_BASE, REFUSAL_HEAD, REFUSAL_AT = ".base", ".head", ".refused"


def _regained(merged: bytes, data: bytes, found: tuple[int, ...] | None,
              where: str, removed: tuple[bytes, int] | None = None
              ) -> tuple[OrgFile, str, str] | None:
    """A stale-save merge back's answer: ``(the merged document, what it regained said
    by kind, where the version holding it is)`` for ``merged`` (the merge's bytes) of
    the file as read (``data``), ``found`` counted what the file lacks
    (:func:`~ai_protocols.session.merge_changes.changes_lacking`); ``removed``: the same merge
    with what git removed taken out again (:func:`_removal_merged`'s answer given
    ``merged``: its bytes, how many), said after; ``None`` when the merge gave
    the file as it is: nothing came back, and no Log line, warning or advice says
    something did (an older text the save went over, counted as a tick, is no change
    the file lacks: docs/decisions.md, "Twenty-third round: stale saves ..."). No I/O."""
    from ai_protocols.session.merge_changes import said_changes

    said = said_changes(found)
    if removed is not None:
        from ai_protocols.lean import counted

        removals = counted(removed[1], "removal", "removals")
        merged = removed[0]
        said = removals if edit_base._changed(found) == 0 else f"{said} and {removals}"
    if merged == data:
        return None
    return OrgFile(merged.decode("utf-8")), said, where


def _stamped(data: bytes, at: Moment) -> bytes:
    """The session file ``data`` with a write record of its own, ``at`` (``UPDATED``
    and ``UPDATED_AT``, as a write sets them): what the stale save's refusal writes as
    the other side of the merge it advises (:func:`_refuse_stale`), so that the merged
    file carries a record no buffer opened before can carry (the driver takes the
    record of the side updated last). ``data`` as it is when it has no session
    headline. Raises nothing of its own."""
    doc = OrgFile(data.decode("utf-8", "replace"))
    headline = session_headline(doc)
    if headline is None:
        return data
    doc.set_properties(headline.line, [
        ("UPDATED", format_timestamp(at.minute)),
        ("UPDATED_AT", at.to_property() if at.measured else None)])
    return b"".join(doc.encoded())


def _from_refusal(kept: str, data: bytes, commit: str | None) -> bool:
    """Whether the session file ``data`` was made from the version a stale save's
    refusal wrote at ``kept`` + :data:`REFUSAL_HEAD` (its printed commands followed:
    the merge driver's result carries that version's write record, which no other
    version holds), and ``HEAD`` is still ``commit``, the one it named then
    (:data:`REFUSAL_AT`): the three were merged as the refusal advised, and the file is
    what a person made of them, conflicts settled by the driver or by hand; nothing of
    it is a stale save's to merge back (docs/decisions.md, "Issue 14, twenty-first round
    (the stale save's refusal)"). After another move of ``HEAD`` (a pull since), the
    file is judged as any other: a buffer opened on it and saved after that pull is a
    stale save again. Two reads of small files, on the stale-save path only."""
    stamp = (props_of(data) or {}).get("UPDATED_AT")
    if not stamp or not commit:
        return False
    try:
        if storage.read_regular(kept + REFUSAL_AT, 256).decode("ascii", "replace").strip() \
                != commit:
            return False
        head = storage.read_regular(kept + REFUSAL_HEAD, 65536)
    except (OSError, storage.NotRegular):
        return False
    headline = head_of(head)
    return headline is not None and headline.properties.get("UPDATED_AT") == stamp


def drop_refusal_copies(kept: str) -> None:
    """Remove what a stale save's refusal wrote beside the kept copy ``kept``
    (:data:`REFUSAL_BASE`, :data:`REFUSAL_HEAD`, :data:`REFUSAL_AT`), once a write took
    the file made from them. Raises nothing."""
    for end in (REFUSAL_BASE, REFUSAL_HEAD, REFUSAL_AT):
        try:
            os.unlink(kept + end)
        except OSError:
            pass


def _refuse_stale(ai_dir: str, path: str, data: bytes, older: bytes, newer: bytes,
                  committed: bytes | None, recorded: str | None,
                  found: tuple[int, ...] | None, kept_holds: bool = False) -> NoReturn:
    """Raise :class:`~ai_protocols.errors.StaleSave` (nothing written into the file) for
    a stale save of the session file ``path`` whose merge back is not clean: ``data``, the file as
    the write read it (maybe joined with the kept copy by an earlier step), ``older``
    the kept copy, ``newer`` ``HEAD``'s version, ``committed`` the file at the commit
    the kept copy records (``recorded``), ``found`` what the file lacks
    (:func:`~ai_protocols.session.merge_changes.changes_lacking`); ``kept_holds``: the kept copy
    holds it too (said so). The one refusal of every
    stale-save path (:func:`brought_back`, :func:`stale_earlier`, a stale save in a
    clone the tool never wrote in): its commands merge the file on disk (the person's
    save) on the version its buffer was opened on (:func:`opened_on`) with the tool's
    two versions joined (:func:`_tools_join`), as :func:`merge_stale` does; when the two
    do not join, on the same version with ``HEAD``'s (the kept copy's uncommitted changes
    the next write merges back from it); without the version opened on, on the kept copy
    (or the commit it records, when the file is the kept copy). Both are written beside
    the kept copy (:data:`REFUSAL_BASE`, :data:`REFUSAL_HEAD`; the second with a write record of its
    own, :func:`_stamped`, so that the next write knows the file made from it while
    ``HEAD`` stays where it is, :data:`REFUSAL_AT`, :func:`_from_refusal`) and the
    commands are one ``ai-protocols merge-driver``; when
    they cannot be written, ``git show`` commands write git's versions. Says whether
    the commands leave conflict markers (the driver's merge of the same three,
    :func:`~ai_protocols.session.merge_session.merge_session_bytes`). docs/decisions.md, "Issue
    14, twentieth round (the refusal's commands)" and "twenty-first round (the stale
    save's refusal)"."""
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.merge_changes import said_changes
    from ai_protocols.session.merge_session import merge_session_bytes

    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    kept = kept_path(ai_dir, path)
    where = f"HEAD:./{below}"
    head_copy, base_copy = kept + REFUSAL_HEAD, kept + REFUSAL_BASE
    try:
        raw: bytes | None = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        raw = None
    ours = data if raw is None else raw
    opened = None if raw is None else opened_on(path, raw, older, committed)
    joined = _tools_join(older, newer, committed,
                         committed is not None and below_head(root, recorded), path)
    # (without the version it was opened on, the kept copy as the base (or the commit
    # it records when the file is the kept copy), still against the two joined: an
    # entry the tool wrote that HEAD lacks is no deletion; when the two do not join,
    # git's versions)
    at = recorded if ours == older and committed is not None else None
    if opened is None or opened == ours:
        opened = committed if at is not None else older
    if joined is None:  # (the base stays the version the buffer was opened on: the kept
        # copy as the base would take its every change the save lacks for the person's
        # deletion; its uncommitted entries the next write merges back from it)
        joined = newer
    theirs = _stamped(joined, now_moment())  # type: ignore[arg-type]
    try:
        os.makedirs(parent(kept), exist_ok=True)  # (a clone the tool never wrote in)
        storage.atomic_write(base_copy, opened)  # type: ignore[arg-type]
        storage.atomic_write(head_copy, theirs)
        from ai_protocols.git.head import read_head

        at_head = read_head(root)
        if at_head is not None and at_head[1]:  # (HEAD then: _from_refusal's)
            storage.atomic_write(kept + REFUSAL_AT, f"{at_head[1]}\n".encode("ascii"))
        commands = (f"ai-protocols merge-driver {shell_quote(base_copy)} "
                    f"{shell_quote(path)} {shell_quote(head_copy)} {shell_quote(below)}")
    except (OSError, storage.StorageError):  # (then git's versions, by git show)
        theirs, base = newer, kept
        opened = committed if at is not None else older
        commands = f"git -C {shell_quote(root)} show {shell_quote(where)} > " \
                   f"{shell_quote(head_copy)}"
        if at is not None:
            base = base_copy
            commands = (f"git -C {shell_quote(root)} show "
                        f"{shell_quote(f'{at}:./{below}')} > {shell_quote(base)} && "
                        f"{commands}")
        commands += (f" && ai-protocols merge-driver {shell_quote(base)} "
                     f"{shell_quote(path)} {shell_quote(head_copy)} {shell_quote(below)}")
    # (what the pasted commands will do: the driver's merge of the same three)
    driver = merge_session_bytes(opened, ours, theirs, place=below)  # type: ignore[arg-type]
    raise StaleSave(path, where, edit_base._changed(found), commands,  # type: ignore[arg-type]
                    None if driver is None else not driver.conflicts,
                    what=said_changes(found), kept_holds=kept_holds)


def opened_on(path: str, data: bytes, older: bytes, committed: bytes | None,
              saved: bool = False) -> bytes | None:
    """The version a stale buffer saved as ``data`` (the session file at ``path``) was
    opened on: the version the tool wrote with the write record (``UPDATED_AT``, which
    only the tool's writes change) ``data`` carries. The kept copy ``older`` (the
    version this tool wrote last, byte for byte) when it carries it; else, among the
    versions that carry it, ``committed`` (the file at the commit that copy records)
    and the last versions git committed in ``HEAD``'s history and its reflogs
    (:func:`~ai_protocols.session.edit_base._history`, one ``git log`` and one ``git cat-file``),
    the one every other holds every entry of: a record names one version only while its bytes are
    the tool's write, and the merge driver's result of a rebase or a merge (``git pull
    --rebase`` replays the commit of that write over the other clone's) carries the
    same record with the other clone's entries too, which the buffer never held
    (docs/decisions.md, "Issue 14, twenty-first round (stale saves, a fresh review)");
    when no one of them is held by all the others, the first (``committed``, else the
    newest). ``saved``: ``data`` is a stale save git's history holds (``HEAD``'s
    version, :func:`~ai_protocols.session.stale_over.stale_committed`), which carries the record it
    was opened on: then ``data`` itself only when no other version carries it (nothing typed); a
    version equal to ``data`` otherwise is the tool's write (committed before a rebase replayed
    it, a save of it as it was). ``None`` when none carries it (a buffer opened on a
    version never committed). docs/decisions.md, "Issue 14, twentieth round (the base
    of a stale save's merge)"."""
    mine = props_of(data) or {}
    stamp = mine.get("UPDATED_AT")
    if not stamp:
        return None
    if (props_of(older) or {}).get("UPDATED_AT") == stamp:
        return older
    found: list[bytes] = []
    # (newest first, the history's order, for written_among's choice among equals; committed
    # last when the history lacks it)
    for version in edit_base._history(path, ["HEAD", "--reflog"]) + \
            ([committed] if committed is not None else []):
        theirs = props_of(version)
        if theirs and theirs.get("UPDATED_AT") == stamp and one_session(theirs, mine) and \
                version not in found:
            found.append(version)
    if saved:  # (the save itself, committed, carries the record too: never the version
        # it was opened on while another does, or a deletion made it the one all hold)
        found = [version for version in found if version != data] or found
    from ai_protocols.session.merge_changes import not_deleted_from, written_among

    found = not_deleted_from(data, found)
    first = committed if committed is not None and committed in found else \
        found[0] if found else None

    return (written_among(found) or first) if found else None


def _tools_join(older: bytes, newer: bytes, committed: bytes | None,
                ancestor: bool = False, path: str | None = None) -> bytes | None:
    """The tool's two versions a stale save went over, merged: the kept copy ``older``
    and ``HEAD``'s version ``newer`` (on ``committed``, as :func:`merge_stale` says;
    ``ancestor``: git's history says it is the ancestor of both). Without such an
    ancestor, when ``HEAD``'s history holds the kept copy itself (committed after the
    tool wrote it, the commit it records older than the file's first: ``path``'s
    history, :func:`~ai_protocols.session.edit_base._history`), on the kept copy: ``HEAD``'s version
    came from it. So a line the other clone changed (a reword by hand) is its change, as the merge
    driver takes it, never a second entry. With git's ancestor, what ``newer`` lacks of
    it is taken out as the driver git runs takes it (:func:`_git_history`: a ``git
    revert``'s removal, whose version carries an older write record than ``committed``,
    is a removal, never a stale side's gap). ``None`` when that merge is not clean."""
    from ai_protocols.session.merge_diverged import merge_diverged_bytes

    if older == newer:
        return older
    if not (ancestor and committed is not None) and path is not None and \
            older in edit_base._history(path, ["HEAD"]):
        committed, ancestor = older, True
    known = ancestor and committed is not None
    tools = merge_diverged_bytes(older, newer, committed, ancestor=known,
                                 history=_git_history(path) if known else None)
    return None if tools is None else tools.data


def _git_history(path: str | None) -> Callable[[], list[bytes]] | None:
    """How to list the versions of the session file at ``path`` in ``HEAD``'s history,
    newest first, as the merge driver git runs lists them
    (:func:`~ai_protocols.session.merge._head_versions`, called only when a side of the merge
    is older than its base: two git runs then); ``None`` without ``path``. The stale-save
    rules' joins of the tool's versions with git's take a removal git made by going back to
    an older version (``git revert``) as the driver took it in the pull (docs/decisions.md,
    "Twenty-eighth round: a removal by git revert under a stale save")."""
    if path is None:
        return None

    def versions() -> list[bytes]:
        from ai_protocols.session.merge import _head_versions

        return _head_versions(os.path.basename(path), parent(path))

    return versions


def below_head(root: str, commit: str | None) -> bool:
    """Whether ``commit`` (the one a kept copy records, ``GIT_COMMIT``) is in the history
    of ``HEAD`` of the work tree at ``root`` (``git merge-base --is-ancestor``): then its
    version of the session file is the ancestor of both the kept copy (written on it)
    and ``HEAD``'s version, and the tool's two versions merge three ways on it, as the
    merge driver merges them (a line both changed, a reword on each side, is a
    conflict), not on what both hold. ``False`` when it is not, or git cannot say. One
    git run, on the stale-save paths only."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    if not commit:
        return False
    try:
        GitRun(["git", "-C", root, "merge-base", "--is-ancestor", commit, "HEAD"],
               git_env(), None).wait()
    except (GitFailed, OSError):
        return False
    return True


def merge_stale(path: str, data: bytes, older: bytes, newer: bytes,
                committed: bytes | None, ancestor: bool = False,
                saved: bool = False) -> MergeResult | None:
    """The merge of a stale save (``data``, the session file at ``path``) with the two
    newer versions it went over: ``older``, the kept copy (the version this tool wrote
    last), and ``newer``, ``HEAD``'s version. The rule (docs/decisions.md, "Issue 14,
    twentieth round (the base of a stale save's merge)"): every entry, tick and line
    any of the three holds is kept, unless the save removed it from the version its
    buffer was opened on (:func:`opened_on`); an entry the tool wrote after that, or
    git brought, is never the person's deletion. First the tool's two versions are
    merged (on ``committed``, the file at the commit the kept copy records, where it is
    the ancestor of both: ``ancestor``, git's history says so, :func:`below_head`; else
    on what both hold: every entry of either kept), then
    the save's changes are taken on that, three ways on the version it was opened on;
    without one, every entry of both is kept. ``None`` when a merge is not clean
    (:func:`~ai_protocols.session.merge_diverged.merge_diverged_bytes`). ``saved``: ``data`` is
    a stale save git's history holds (:func:`opened_on`'s). Runs git only when
    :func:`opened_on` looks through the history."""
    from ai_protocols.session.merge_diverged import merge_diverged_bytes
    from ai_protocols.session.merge_units import MergeResult

    both = _tools_join(older, newer, committed, ancestor, path)
    if both is None:
        return None
    base = opened_on(path, data, older, committed, saved)
    if base == data:
        return MergeResult(both, False)
    return merge_diverged_bytes(data, both, base, ancestor=base is not None)


def stale_earlier(ai_dir: str, path: str, doc: OrgFile,
                   head: tuple[str | None, str | None] | None
                   ) -> tuple[OrgFile, str, str] | None:
    """A save of an earlier version than the one this tool wrote last, after git
    brought changes, merged back: ``(the merged document, what it regained said by
    kind, where the newer version is)``, or ``None`` (then
    :func:`~ai_protocols.session.replaced.refuse_older`'s rule stands: git put an older version
    back, and the write goes into it). Called only when that rule found the file (read as ``doc``)
    older than its kept copy and git holding the kept copy. The case (docs/decisions.md, "Issue 14,
    twentieth round (stale saves of an older version)"): a buffer opened before one of the tool's
    writes, ``git pull`` since, the buffer saved with nothing typed in it (a character
    typed and deleted, "changed on disk" answered yes). Only when ``HEAD`` moved since
    the commit the kept copy records (``GIT_COMMIT``) and not by one's own commits
    (:func:`~ai_protocols.git.head.below_own_commits`: git brought something), and the
    file carries the write record of a version the buffer was opened on
    (:func:`opened_on`: the kept copy, or one git committed): the three are merged by
    :func:`merge_stale` (every entry of the kept copy and of ``HEAD``'s version kept,
    what was typed too), checked to drop no line of either
    (:func:`~ai_protocols.session.merge_changes.lines_dropped`). Also called when the write
    refuses the file (git does not hold the kept copy: a write left uncommitted over
    ``git pull --autostash``) and :func:`~ai_protocols.session.stale_over.stale_over_kept` merges
    nothing (docs/decisions.md, "Issue 14, twentieth round (the base of a stale save's
    merge)"). When HEAD's version holds changes the save lacks and the three do not
    merge cleanly, raises :class:`~ai_protocols.errors.StaleSave` with the commands that
    merge them (:func:`_refuse_stale`), as for a stale save over the tool's last
    version: never the rule of a version put back, which would leave out of the file
    what the pull brought and the tool wrote since the buffer was opened
    (docs/decisions.md, "Issue 14, twenty-first round (the stale save's refusal)").
    Runs git up to five times, on that rare path only."""
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None:
        return None
    kept = kept_path(ai_dir, path)
    try:
        older = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    kept_head = head_of(older)
    recorded = kept_head.properties.get("GIT_COMMIT") if kept_head is not None else None
    root = parent(ai_dir)
    from ai_protocols.git.head import below_own_commits

    if not recorded or recorded == head[1] or below_own_commits(root, head[1]) == recorded:
        return None  # (git brought nothing since this tool's last write)
    data = b"".join(doc.encoded())
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, older):
        return None
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    theirs = session_headline(OrgFile(newer.decode("utf-8", "replace")))
    if theirs is None or any(theirs.properties.get(k) != mine.properties.get(k)
                             for k in keys):
        return None
    committed = git_version(root, f"{recorded}:./{below}")
    opened = opened_on(path, data, older, committed)
    if opened is None:
        return None  # (no version it was opened on: the rule of a version put back)
    if (props_of(newer) or {}).get("UPDATED_AT") == mine.properties.get("UPDATED_AT"):
        return None  # (made from the version git put here, HEAD's: a person's edit of it)
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped, removed_held

    held = held_entries(ai_dir, path, doc)
    found = changes_lacking(data, newer, held, also=(older,))
    # (what the pull removed that the save holds again, a pulled revert or hand deletion,
    # counts as what it brought; not for a version put back as it was, nothing typed)
    removed = 0 if committed is None or opened == data else \
        removed_held(data, newer, committed, held)
    if edit_base._changed(found) <= 0 and removed <= 0:
        return None  # (HEAD holds nothing the save lacks: no pull's change dropped)
    merged = merge_stale(path, data, older, newer, committed, below_head(root, recorded))
    if merged is None or merged.conflicts or lines_dropped(older, merged.data, data, newer) \
            or lines_dropped(newer, merged.data, data, older):
        # (a stale save of a pull, as git's autostash leaves it or not: refused with the
        # commands that merge the three, never the rule of a version put back, which
        # drops from the file what the pull brought and the tool wrote: docs/decisions.md,
        # "Issue 14, twenty-first round (the stale save's refusal)")
        _refuse_stale(ai_dir, path, data, older, newer, committed, recorded, found)
    from ai_protocols.session.stale_said import sourced  # (the words by source)

    return sourced(_regained(merged.data, data, found, f"HEAD:./{below}",
                              (merged.data, removed) if removed > 0 else None),
                    data, opened, newer, older, kept, held)


def _stale_unkept(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None]) -> tuple[OrgFile, str, str] | None:
    """A stale save in a clone where this tool never wrote the session file ``path``
    (read as ``doc``; no kept copy: a fresh clone), found by git's history and merged
    back: ``(the merged document, what it regained said by kind, where the newer
    version is)``, or ``None``. The case (docs/decisions.md, "Issue 14, twenty-first
    round (a stale save in a fresh clone)"): a buffer opened on the version a commit
    holds, ``git pull`` since, the buffer saved after: the file carries the write
    record (``UPDATED_AT``, which only the tool's writes change) of a version
    committed before ``HEAD``'s (:func:`~ai_protocols.session.edit_base._committed`, ``carried``)
    and lacks what ``HEAD``'s version brought. Only when ``HEAD`` moved since the commit the file
    records (``head``, :func:`~ai_protocols.git.head.read_head`), not by one's own
    commits only, and not at the first move its reflog holds alone (the clone that
    brought the file: no buffer was open on an earlier version). The three are merged
    as any stale save is (:func:`merge_stale`, the opened-on version standing for the
    tool's last write, which there is none of), checked to drop no line; raises
    :class:`~ai_protocols.errors.StaleSave` (:func:`_refuse_stale`) when they do not
    merge cleanly. Runs git up to three times, only in a clone with no kept copy after
    ``HEAD`` moved."""
    mine = session_headline(doc)
    root = parent(ai_dir)
    if mine is None or not _brought_since(root, head, mine.properties.get("GIT_COMMIT")):
        return None  # (git brought nothing since the file was checked out)
    data = b"".join(doc.encoded())
    stamp = mine.properties.get("UPDATED_AT")
    if not stamp:
        return None
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    theirs = None if newer is None or newer == data else props_of(newer)
    if theirs is None or theirs.get("UPDATED_AT") == stamp or \
            not one_session(theirs, dict(mine.properties.items())):
        return None  # (HEAD's version, or one made from it, or another session)
    opened = edit_base._committed(path, data, data, carried=True)
    if opened is None or opened == newer or (props_of(opened) or {}).get("UPDATED_AT") != stamp:
        return None  # (no committed version carries its record: never committed)
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped

    found = changes_lacking(data, newer, held_entries(ai_dir, path, doc), also=(opened,))
    if edit_base._changed(found) <= 0:
        return None
    merged = merge_stale(path, data, opened, newer, opened)
    if merged is None or merged.conflicts or lines_dropped(data, merged.data, opened, newer) \
            or lines_dropped(newer, merged.data, opened, data):
        _refuse_stale(ai_dir, path, data, opened, newer, opened, None, found)
    return _regained(merged.data, data, found, f"HEAD:./{below}")


def unkept_stale_may_be(ai_dir: str, path: str) -> bool:
    """Whether the session file ``path``, which has no kept copy (this tool never wrote
    it here), may be a stale save :func:`_stale_unkept` finds: ``HEAD`` moved since the
    commit the file records (:func:`_brought_since`). What the read commands ask before
    :func:`~ai_protocols.session.transaction.next_write_merges` (``resume.unkept_stale_warning``): a
    few reads of git's files and of the file's first 64 KiB, no process."""
    from ai_protocols.git.head import read_head

    props = head_properties(path)
    return props is not None and _brought_since(parent(ai_dir), read_head(parent(ai_dir)),
                                                props.get("GIT_COMMIT"))


def git_moved(root: str, head: tuple[str | None, str | None] | None,
              recorded: str | None) -> bool:
    """Whether git may have brought a version of a session file since the commit
    ``recorded`` (its ``GIT_COMMIT``, set at each write that sees ``HEAD`` move):
    ``head`` (:func:`~ai_protocols.git.head.read_head`, for the work tree at ``root``)
    names another commit, not reached from ``recorded`` by commits made here only
    (:func:`~ai_protocols.git.head.below_own_commits`). The one gate of the stale-save
    merge back (:func:`brought_back`), which the read commands ask before saying what
    the next write does (``resume.replaced_warning``). No process."""
    from ai_protocols.git.head import below_own_commits

    if head is None or head[1] is None or head[1] == recorded:
        return False
    return below_own_commits(root, head[1]) != (recorded or "")


def _brought_since(root: str, head: tuple[str | None, str | None] | None,
                   recorded: str | None) -> bool:
    """:func:`git_moved`, and by more than the first move ``HEAD``'s reflog holds
    (:func:`_only_first_move`: the clone that brought the file, in a clone where the
    tool never wrote it). No process."""
    from ai_protocols.git.head import below_own_commits

    return git_moved(root, head, recorded) and \
        not _only_first_move(root, below_own_commits(root, head[1]))  # type: ignore[index]


def _only_first_move(root: str, below: str | None) -> bool:
    """Whether ``HEAD``'s reflog (its last 4 KiB, :func:`~ai_protocols.git.head.
    reflog_moves`) starts with the move that made it (from no commit: a clone, a first
    commit) and every later move is a commit of one's own: ``below``, the commit below
    those (:func:`~ai_protocols.git.head.below_own_commits`), is where that first move
    went, or ``""`` (one's own commits from the first). Then every version of a file
    git wrote here is the one the clone checked out, or one made here since: no buffer
    was opened on an older one. ``False`` when the reflog does not say. No process."""
    if below == "":
        return True
    if not below:
        return False
    from ai_protocols.git.head import reflog_moves
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(root)
    moves = None if dirs is None else reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), 4096)
    return bool(moves) and not moves[0][0].strip("0") and moves[0][1] == below


def _saved_after_git(data: bytes, newer: bytes, older: bytes, held: set[str] | None,
                     before: tuple[bytes, ...]) -> bool:
    """Whether the session file ``data``, which lacks changes that git brought
    (``newer``, ``HEAD``'s version, holds them; none of ``before``, the versions from
    before git changed the file, does: an entry, a tick, a state, a property, a Log
    line, :func:`~ai_protocols.session.merge_changes.changes_lacking`), was made from the
    version git wrote and not from an older buffer: it holds some other change git
    brought (a person unticked an item the pull ticked: the Log line of that tick is
    still there), or the write
    record (``UPDATED_AT``, which only the tool's writes change) of ``HEAD``'s version
    where that differs from ``older``'s (the kept copy); where it differs, a file that
    carries another record (the kept copy's) was not made from git's version, whatever
    it holds (a stale buffer in which a person ticked by hand an item the pull ticked
    too: docs/decisions.md, "Issue 14, seventeenth round (the kept copy is a copy)"),
    and the "holds some of it" rule is left for the versions with one record. A stale
    save is the version
    from before git changed the file plus what a person typed: it holds none of what
    git brought and the old write record; a file that holds what git brought and lacks
    some of it is a person's deliberate deletion, which nothing brings back
    (docs/decisions.md, "Issue 14, sixteenth round (stale saves and put-back
    copies)"). Reads what the caller read: no git, no file."""
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.merge_changes import changes_lacking

    mine, theirs, kept = props_of(data), props_of(newer), props_of(older)
    stamp, old = (theirs or {}).get("UPDATED_AT"), (kept or {}).get("UPDATED_AT")
    if stamp and stamp != old:
        # (the write record tells the two apart where it differs: a buffer made from
        # what git wrote carries HEAD's; a stale one carries the kept copy's, though it
        # holds a change the pull brought too, typed again by hand: seventeenth round)
        return (mine or {}).get("UPDATED_AT") == stamp
    return brought_lacking(lambda one, other, also: edit_base._changed(
        changes_lacking(one, other, held, also=also)), data, newer, before) <= 0
