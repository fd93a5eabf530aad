"""Stale saves over a version git holds, or over the kept copy alone: an editor's
buffer opened on an older version, saved after a pull (or the tool's write) and
committed (:func:`stale_committed`), or saved over a version git put here whose kept
copy this tool wrote before the save (:func:`stale_over_kept`). Moved from
``stale_saves`` (whose rules they use) when it passed 1,000 lines: docs/decisions.md,
"Issue 14, twenty-second round (a stale save committed)" and "Twenty-sixth round:
stale saves over a pull, a stash's join and what git removed".
"""

from __future__ import annotations

import os

from ai_protocols.git.state import git_version
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import parent
from ai_protocols.session import edit_base
from ai_protocols.session.edit_base import props_of, written_later
from ai_protocols.session.names import kept_path
from ai_protocols.session.rollover import held_entries
from ai_protocols.session.sections import one_session, session_headline
from ai_protocols.session.stale_saves import (
    _brought_since,
    _kept_other,
    _refuse_stale,
    _regained,
    _removal_gone_over,
    _removal_merged,
    _tools_join,
    below_head,
    git_moved,
    kept_dropped,
    merge_stale,
    opened_on,
    removal_undone,
)
from ai_protocols.storage import files as storage

__all__ = ["dropped_or_removed", "gone_over", "merged_removal", "merged_saves", "removed_again",
           "stale_committed", "stale_over_kept"]


def stale_over_kept(ai_dir: str, path: str, doc: OrgFile,
                     head: tuple[str | None, str | None] | None
                     ) -> tuple[OrgFile, str, str] | None:
    """A stale save over what this tool wrote after git changed the file, merged back:
    ``(the merged document, what it regained said by kind, where the newer version
    is)``, or ``None`` (then :func:`~ai_protocols.session.replaced.refuse_older`'s refusal stands,
    advising ``merge-kept``). Called only when that refusal was raised: the file (read as
    ``doc``) is older than its kept copy (the version this tool wrote last, a copy of
    its own: :func:`~ai_protocols.storage.files.same_version`) and git does not hold
    the kept copy. The case (docs/decisions.md, "Issue 14, seventeenth round (the kept
    copy is a copy)"): a buffer opened before a ``git pull``; an agent logs after the
    pull (into the version git wrote); the person saves the buffer, in place. The file
    is then the version the buffer was opened on plus what was typed: it carries that
    version's write record (``GIT_COMMIT``, which is not ``HEAD``: ``head`` as
    :func:`~ai_protocols.git.head.read_head` gives it), and a commit holds that version
    (:func:`~ai_protocols.session.edit_base._committed`, the one the file carries the ``UPDATED_AT``
    of first), other than the file (something was typed: a version git put back as it is, a
    checkout, is refused as before). The three are merged as the stale save over what git brought
    is (:func:`brought_back`): the version the buffer came from as the base, the file
    and the kept copy as the sides (what the pull brought and the agent wrote after
    it), checked to drop no line. Not with earlier-entries files held aside (a
    rollover since: the refusal's ``merge-kept`` takes them out). Runs git up to three
    times, on the refusal's path only."""
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None or \
            mine.properties.get("GIT_COMMIT") in (None, "", head[1]):
        return None
    kept = kept_path(ai_dir, path)
    try:
        newer = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    data = b"".join(doc.encoded())
    if held_entries(ai_dir, path, doc) or \
            held_entries(ai_dir, path, OrgFile(newer.decode("utf-8", "replace"))):
        return None
    base = opened_on(path, data, newer, None)  # (the one rule of that version)
    if base is None or base == data:
        return None
    moved = _over_join(ai_dir, path, data, newer, base, head)
    if moved is not None:
        return moved
    if base == newer:
        return None
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped, said_changes
    from ai_protocols.session.merge_diverged import merge_diverged_bytes

    merged = merge_diverged_bytes(data, newer, base, ancestor=True)
    if merged is None or lines_dropped(data, merged.data, base, newer) or \
            lines_dropped(newer, merged.data, base, data):
        _refuse_stale_over_kept(ai_dir, path, data, newer, base)
        return None
    found = changes_lacking(data, newer, None, also=(base,))
    return OrgFile(merged.data.decode("utf-8")), said_changes(found), kept


def _over_join(ai_dir: str, path: str, data: bytes, kept: bytes, base: bytes,
               head: tuple[str | None, str | None]) -> tuple[OrgFile, str, str] | None:
    """:func:`stale_over_kept`'s merge when ``HEAD`` (``head``) moved since the kept copy
    ``kept`` was written (its ``GIT_COMMIT``), not by one's own commits only
    (:func:`git_moved`): ``git pull --autostash``, or ``git stash; git pull; git stash
    pop``, put the kept copy aside, moved ``HEAD`` and joined the two through the merge
    driver, and the stale save ``data`` (of the session file ``path``, opened on ``base``)
    went over that join. The kept copy alone predates the pull: merged with it, what the
    pull removed (a ``git revert``, a hand deletion in another clone) would come back. So
    the save is merged as every stale save is (:func:`merge_stale`: the kept copy and
    ``HEAD``'s version joined on the version at the commit the kept copy records, the
    save's changes taken on that three ways on ``base``), checked to drop no line of the
    tool's two versions that neither git nor the person removed
    (:func:`~ai_protocols.session.merge_changes.lines_dropped`); what it regained said by kind,
    the removals it took too (:func:`~ai_protocols.session.merge_changes.removed_held`), and the
    kept copy's path (what it regained came through git or from the tool's write since).
    When ``HEAD``'s version is the save itself (committed since, merged by the driver
    with the other clone's commits or not), the version the save went over stands for
    it (:func:`_removal_gone_over`, on the version at the kept copy's commit), named by
    its blob. The removals are said apart from what the kept copy holds
    (:func:`said_both`: the kept copy predates the pull and holds them).
    ``None`` when ``HEAD`` did not move so, ``HEAD``'s version is no other version of the
    same session, is the one the save was opened on (a person's edit of what git put
    here), or is the one at the kept copy's commit (git did not change the file): then the
    merge with the kept copy alone stands; raises
    :class:`~ai_protocols.errors.StaleSave` (:func:`_refuse_stale`) when the merge is not
    clean. docs/decisions.md, "Twenty-seventh round: a stale save over a pull that
    removed an entry". Runs git up to five times, on the refusal's path only."""
    recorded = (props_of(kept) or {}).get("GIT_COMMIT")
    root = parent(ai_dir)
    if not recorded or not git_moved(root, head, recorded):
        return None  # (HEAD where the kept copy saw it, or moved by own commits: no process)
    below = os.path.relpath(path, root)
    at_head = git_version(root, f"HEAD:./{below}")
    committed = git_version(root, f"{recorded}:./{below}")
    if at_head is not None and at_head == data and committed is not None:
        # (the save committed, merged since or not: the version it went over, which
        # lacks what git removed from the version at the kept copy's commit)
        gone = _removal_gone_over(root, below, data, committed, None, head[1])
        at_head, where = (None, "") if gone is None else gone[:2]
    else:
        where = f"HEAD:./{below}"
    if at_head is None or at_head in (kept, data, base) or \
            not one_session(props_of(at_head) or {}, props_of(data) or {}):
        return None  # (made from HEAD's version: a person's edit of what git put here)
    if committed == at_head:
        return None  # (git did not change the file: the kept copy alone went over)
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped, removed_held

    ancestor = committed is not None and below_head(root, recorded)
    joined = _tools_join(kept, at_head, committed, ancestor, path)
    merged = merge_stale(path, data, kept, at_head, committed, ancestor)
    found = changes_lacking(data, at_head if joined is None else joined, None, also=(base,))
    if merged is None or merged.conflicts or any(
            lines_dropped(side, merged.data, data, other) and
            lines_dropped(side, merged.data, base, data)
            for side, other in ((kept, at_head), (at_head, kept))) or \
            lines_dropped(data, merged.data, base, joined or at_head):
        _refuse_stale(ai_dir, path, data, kept, at_head, committed, recorded, found,
                      kept_holds=True)
    removed = removed_held(data, at_head, committed if committed is not None else base)
    from ai_protocols.session.stale_said import said_both, sourced

    regained = sourced(_regained(merged.data, data, found, kept_path(ai_dir, path)), data,
                        base, kept, at_head, where)
    if removed <= 0:
        return regained
    from ai_protocols.lean import counted

    # (the removals said as git's, HEAD's or the version the save went over, never as the
    # kept copy's, which predates the pull and holds them: the review's S3)
    taken = OrgFile(merged.data.decode("utf-8")), counted(removed, "removal", "removals"), \
        where
    return taken if regained is None or edit_base._changed(found) <= 0 else \
        said_both(regained, taken)


def _refuse_stale_over_kept(ai_dir: str, path: str, data: bytes, kept: bytes,
                            base: bytes) -> None:
    """When the stale save ``data`` (the session file at ``path``, opened on ``base``)
    and the kept copy ``kept`` (what the tool wrote after git changed the file) do not
    merge cleanly (:func:`stale_over_kept`) and ``HEAD``'s version holds a change the
    save lacks that ``base`` lacks too (git brought it: a line both changed, a reword on
    each side): raise :class:`~ai_protocols.errors.StaleSave` with the commands that
    merge the three (:func:`_refuse_stale`), as for every stale save whose merge back is
    not clean, the merge driver's own verdict on those lines; else return (the
    refusal of a version put back stands, advising ``merge-kept``). Runs git up to three
    times, on the refusal's path only (docs/decisions.md, "Issue 14, twenty-first round
    (stale saves, a fresh review)")."""
    from ai_protocols.session.merge_changes import changes_lacking

    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, base):
        return
    found = changes_lacking(data, newer, None, also=(base,))
    if edit_base._changed(found) <= 0:
        return
    recorded = (props_of(kept) or {}).get("GIT_COMMIT")
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    _refuse_stale(ai_dir, path, data, kept, newer, committed, recorded, found,
                  kept_holds=True)


def stale_committed(ai_dir: str, path: str, doc: OrgFile,
                    head: tuple[str | None, str | None] | None,
                    read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """A stale save git holds, merged back: ``(the merged document, what it regained said
    by kind, where the version it went over is)``, or ``None``. The case
    (docs/decisions.md, "Issue 14, twenty-second round (a stale save committed)"): an
    editor's buffer of the session file ``path`` (read as ``doc``) opened on an older
    version, saved after a ``git pull`` (or this tool's write) and committed, here or in
    another clone (a fast-forward or a merge that took it whole brings it): ``HEAD``'s
    version is the save, so :func:`brought_back`, :func:`stale_earlier` and
    :func:`_stale_unkept`, which compare the file with ``HEAD``'s version, find nothing.

    The cheap tests first (no process): ``HEAD`` (``head``, :func:`~ai_protocols.git.
    head.read_head`) is not the commit the file records (``GIT_COMMIT``); with a kept
    copy, the file (``read_as``, its ``stat``) is not it
    (:func:`~ai_protocols.storage.files.same_version`), is of its session, and its write
    record (``UPDATED_AT``) is older than the kept copy's
    (:func:`~ai_protocols.session.edit_base.written_later`: a version git put here), or the same one
    and ``HEAD`` moved since by more than one's own commits (:func:`git_moved`); a file with a later
    record than the kept copy's came through git from a later write, and is left to the other rules.
    Without a kept copy (a fresh clone), :func:`_brought_since`. Then git's history
    (:func:`~ai_protocols.session.stale_commit.went_over`, two git runs) gives the
    version the save went over (a later write record than the file's, below ``HEAD``'s
    versions that carry the file's); the version the buffer was opened on
    (:func:`opened_on`) must differ from the file (a save with nothing typed, or a
    revert, stands) and the version gone over must hold a change neither holds
    (:func:`~ai_protocols.session.merge_changes.changes_lacking`). The three are merged as every
    stale save is (:func:`merge_stale`: the kept copy and the version gone over joined,
    the save's changes taken on them three ways on the version it was opened on; a
    deletion the person made from that version stands), checked to drop no line, and
    what git removed that the save holds again taken out of it (:func:`_removal_merged`,
    on the kept copy's version before the pull, else on the version opened on); when
    that is not clean, :class:`~ai_protocols.errors.StaleSave` is raised
    (:func:`_refuse_stale`'s commands), naming the version gone over. Raises nothing
    else of its own."""
    if head is None or head[1] is None or read_as is None:
        return None
    mine = session_headline(doc)
    if mine is None or mine.properties.get("GIT_COMMIT") == head[1]:
        return None  # (the commonest: HEAD where the file's last write saw it)
    props = dict(mine.properties.items())
    recorded_here = props.get("GIT_COMMIT")
    if not props.get("UPDATED_AT"):
        return None
    root = parent(ai_dir)
    there, older = _kept_other(kept_path(ai_dir, path), read_as)
    if not there:
        if not _brought_since(root, head, recorded_here):
            return None
    else:
        if older is None:
            return None
        theirs = props_of(older)
        if theirs is None or not one_session(theirs, props):
            return None
        stamps = [(p.get("UPDATED_AT"), parse_timestamp(p.get("UPDATED", "")))
                  for p in (theirs, props)]
        if written_later(stamps[1], stamps[0]) and not written_later(*stamps):
            return None  # (a later write than the kept copy's: git brought it; a tie of
            # two records counts the file older, older_record's rule)
        if not written_later(*stamps) and not git_moved(root, head, recorded_here):
            return None  # (the kept copy's version, edited: HEAD moved by own commits)
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.stale_commit import went_over

    data = b"".join(doc.encoded())
    gone = went_over(path, data, head[1])
    if gone is None:
        return None
    over, where = gone
    below = os.path.relpath(path, root)
    recorded = (props_of(older) or {}).get("GIT_COMMIT") if older is not None else None
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    opened = opened_on(path, data, over if older is None else older, committed, True)
    if opened is None or opened == data:
        return None  # (no version it was opened on, or nothing typed: a revert stands)
    ancestor = committed is not None and below_head(root, recorded)
    kept_data = older
    if older is None:  # (no kept copy: the opened version stands for the tool's last)
        older = committed = opened
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped

    held = held_entries(ai_dir, path, doc)
    joined = _tools_join(older, over, committed, ancestor, path)
    found = changes_lacking(data, over if joined is None else joined, held, also=(opened,))
    if edit_base._changed(found) <= 0:
        return None  # (the save dropped nothing of what was written after it was opened)
    merged = merge_stale(path, data, older, over, committed, ancestor, saved=True)
    # (a line of the tool's two versions the merge lacks is dropped unless the other of
    # them lacks it too, or the save removed it from the version it was opened on: the
    # person's deletion, which stands)
    if merged is None or merged.conflicts or \
            (lines_dropped(older, merged.data, data, over) and
             lines_dropped(older, merged.data, opened, data)) or \
            (lines_dropped(over, merged.data, data, older) and
             lines_dropped(over, merged.data, opened, data)):
        kept_holds = kept_data is not None and \
            edit_base._changed(changes_lacking(data, kept_data, held, also=(opened,))) > 0
        try:
            _refuse_stale(ai_dir, path, data, older, over, committed, recorded, found,
                          kept_holds=kept_holds)
        except StaleSave as refused:  # (the version gone over named, not HEAD's)
            raise StaleSave(path, where, refused.lacking, refused.commands, refused.settled,
                            refused.what, refused.kept_holds) from None
    # (what git removed that the save holds again: on the version before the pull the
    # kept copy holds, else on the version the buffer was opened on, as a clone that wrote
    # since the removal and then pulled the save has it)
    removed = (None if kept_data is None else
               _removal_merged(root, path, data, kept_data, over, held, merged.data)) or \
        _removal_merged(root, path, data, opened, over, held, merged.data, base=opened) or \
        _removal_taken(data, over, committed if committed is not None else opened, held,
                       merged.data)
    regained = _regained(merged.data, data, found, where, removed)
    from ai_protocols.session.stale_said import sourced

    return regained if kept_data is None else \
        sourced(regained, data, opened, over, kept_data, kept_path(ai_dir, path), held)


def _removal_taken(data: bytes, over: bytes, before: bytes, held: set[str] | None,
                   merged: bytes) -> tuple[bytes, int] | None:
    """What git removed (``before`` held it, ``over`` lacks it) that the stale save
    ``data`` holds as it was and its merge back ``merged`` already took out, counted:
    ``(merged, how many)``, so that the removal is said, not only the entries regained
    (the review's S3, twenty-seventh round); ``None`` when there is none, or ``merged``
    still holds one. No I/O."""
    from ai_protocols.session.merge_changes import removed_blocks, without_held

    blocks = removed_blocks(data, over, before, held)
    if not blocks or without_held(merged, blocks)[1]:
        return None
    return merged, len(blocks)


def gone_over(brought: tuple[OrgFile, str, str] | None) -> bool:
    """Whether ``brought``, a stale-save merge back's answer, is of a committed stale save
    (:func:`stale_committed`: where it names the version
    the save went over, a blob): then ``HEAD``'s version is the save, whose changes that
    merge took three ways, and what it holds that the merge lacks (an entry git removed
    and the save held again, taken out) is nothing git brought for
    :func:`~ai_protocols.session.stale_saves.brought_back` to merge back (docs/decisions.md,
    "Twenty-sixth round: a stale save over a removal, committed"). No I/O."""
    if brought is None:
        return False  # (the commonest: nothing merged back; no import)
    from ai_protocols.session.stale_commit import BLOB

    return brought[2].startswith(BLOB)


def merged_removal(ai_dir: str, path: str, doc: OrgFile,
                   head: tuple[str | None, str | None] | None,
                   read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """A committed stale save over a removal that the merge driver merged with the other
    clone's commits, taken out again: ``(the document without the entries, the removals
    said, the blob of the version the save went over)``, or ``None``. The case
    (docs/decisions.md, "Twenty-seventh round: a stale save over a pull that removed an
    entry"): an entry removed in one clone (by hand, ``git revert``); in the other a
    buffer opened before the pull of it saved after, holding it again, and committed; the
    two clones' commits then merged (``git pull --no-rebase``, either way): for git the
    save's commit added the entry, the merge keeps it, and the merged file carries a
    merge's own write record, which no rule of a stale save takes for one. Only when the
    session file ``path`` (read as ``doc``, its ``stat`` ``read_as``) is ``HEAD``'s version
    as the merge made it (``head``, :func:`~ai_protocols.git.head.read_head`) and carries
    a merge's own record (:func:`_merge_made`, no process first); then ``HEAD``'s two
    parents (one ``git rev-parse``): a parent whose version is a committed stale save over
    a removal (:func:`~ai_protocols.session.stale_saves._removal_gone_over` on its history:
    the version it went over lacks entries it holds as the version it was opened on had
    them), the other parent's version holding none of them, and the file every one as it
    was (:func:`~ai_protocols.session.merge_changes.removed_blocks`): they go out of the file, every
    other byte as it was (:func:`~ai_protocols.session.merge_changes.without_held`). After a hand
    deletion an entry typed back after the pull, exactly as it was, and committed, is
    taken for such a save (the price the twenty-sixth round's rule pays too). Up to seven
    git runs, after a merge of the file only."""
    mine = session_headline(doc)
    at = None if mine is None else mine.properties.get("UPDATED_AT")
    if head is None or head[1] is None or read_as is None or not at or \
            not _merge_may_be(ai_dir, path, at, read_as):
        return None
    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    data = b"".join(doc.encoded())
    parents = _parents(root)
    if len(parents) != 2 or git_version(root, f"HEAD:./{below}") != data:
        return None
    from ai_protocols.lean import counted
    from ai_protocols.session.merge_changes import without_held

    held = held_entries(ai_dir, path, doc)
    sides = [git_version(root, f"{one}:./{below}") for one in parents]
    over = _saves_over(root, below, data, sides, parents, held, head[1])
    for index, side in enumerate(sides):
        other = sides[1 - index]
        if over[index] is None or other is None:
            continue
        gone, blocks = over[index]  # type: ignore[misc]
        if not _removal_held_by(other, blocks, over[1 - index]):
            continue  # (the other side holds one of them: no removal git brought there)
        merged, count = without_held(data, blocks)
        if count:
            back = _dropped_back(data, side, gone[0], gone[2], held, merged, blocks)
            if back is not None:
                return _regained(back[0], data, back[1], gone[1], (back[0], count))
            return OrgFile(merged.decode("utf-8")), counted(count, "removal", "removals"), \
                gone[1]
    return None


def _saves_over(root: str, below: str, data: bytes, sides: list[bytes | None],
                parents: list[str], held: set[str] | None, like: str
                ) -> list[tuple[tuple[bytes, str, bytes | None], set[str]] | None]:
    """For :func:`merged_removal`: of each parent's version ``sides`` of the merge ``data``
    (the session file ``below``, from the work tree ``root``; ``parents`` the commits), the
    version the committed stale save it is went over and the entries that save holds again
    which git removed (:func:`~ai_protocols.session.stale_saves._removal_gone_over`,
    :func:`~ai_protocols.session.merge_changes.removed_blocks`, each as an earlier-entries
    file holds one); ``None`` for a side that is no such save (or is ``data`` itself). Up to
    two git runs a side."""
    from ai_protocols.session.merge_changes import removed_blocks

    found: list[tuple[tuple[bytes, str, bytes | None], set[str]] | None] = []
    for index, side in enumerate(sides):
        gone = None if side is None or side == data else \
            _removal_gone_over(root, below, side, None, held, like, parents[index])
        blocks = set() if gone is None or gone[2] is None else \
            removed_blocks(data, gone[0], gone[2], held)
        found.append((gone, blocks) if blocks else None)  # type: ignore[arg-type]
    return found


def _removal_held_by(other: bytes, blocks: set[str],
                     saved: tuple[tuple[bytes, str, bytes | None], set[str]] | None) -> bool:
    """Whether the removals ``blocks`` (a committed stale save held them again, one parent's
    version of a merge) were git's on the merge's other side ``other`` too: it holds none of
    them, or it is a committed stale save over the same removal (``saved``,
    :func:`_saves_over`'s: two clones each saved a buffer opened before the pull over it,
    committed, and merged: every one of them is one that save held again). No I/O
    (docs/decisions.md, "Twenty-eighth round: two clones' stale saves over one removal")."""
    from ai_protocols.session.merge_changes import without_held

    return without_held(other, blocks - (set() if saved is None else saved[1]))[1] == 0


def _dropped_back(data: bytes, save: bytes, over: bytes, opened: bytes,
                  held: set[str] | None, without: bytes, blocks: set[str]
                  ) -> tuple[bytes, tuple[int, ...] | None] | None:
    """:func:`merged_removal`'s merge of what the committed stale save ``save`` (one parent's
    version of the merge ``data``) dropped of the version it went over (``over``: the
    agent's entries written or pulled since the buffer was opened on ``opened``): the
    save's changes taken on ``over`` three ways on ``opened`` (its repair, as
    :func:`stale_committed` makes it), then that repair taken on the merge three ways on
    ``save``. ``(the merged bytes, what they hold that ``data`` lacked, by kind)``; ``None``
    when nothing was dropped, a merge is not clean, or the result still holds one of
    ``blocks`` (the removals, taken out by ``without`` alone then) or lacks a line of
    ``without`` (:func:`~ai_protocols.session.merge_changes.lines_dropped`). No I/O; twenty-seventh
    round, "the review's stale saves committed"."""
    from ai_protocols.session.merge_changes import changes_lacking, lines_dropped, without_held
    from ai_protocols.session.merge_diverged import merge_diverged_bytes

    found = changes_lacking(save, over, held, also=(opened,))
    if edit_base._changed(found) <= 0:
        return None
    repaired = merge_diverged_bytes(save, over, opened, ancestor=True)
    if repaired is None or repaired.conflicts:
        return None
    merged = merge_diverged_bytes(data, repaired.data, save, ancestor=True)
    if merged is None or merged.conflicts or without_held(merged.data, blocks)[1] or \
            lines_dropped(without, merged.data, save, repaired.data):
        return None
    return merged.data, changes_lacking(data, merged.data, held, also=(opened,))


def _merge_may_be(ai_dir: str, path: str, at: str, read_as: os.stat_result) -> bool:
    """:func:`merged_removal`'s cheap test (no process) that the session file ``path``
    (read as ``read_as``, its ``stat``), which carries the write record ``at``, may be a
    merge the driver made: it carries a merge's own record (:func:`_merge_made`), or,
    when both sides carried the same record (two clones' stale saves of one version, each
    committed: the merge keeps that record, no write since on either side), it is older
    than the kept copy's (:func:`~ai_protocols.session.stale_commit.older_record`: the
    agent wrote after the buffer was opened) or there is no kept copy (a clone where the
    tool has not written this file). docs/decisions.md, "Twenty-eighth round: two
    clones' stale saves over one removal". Reads the kept copy only."""
    if _merge_made(at):
        return True
    there, kept = _kept_other(kept_path(ai_dir, path), read_as)
    if not there:
        return True
    from ai_protocols.session.stale_commit import older_record

    return kept is not None and older_record(at, (props_of(kept) or {}).get("UPDATED_AT"))


def _merge_made(record: str) -> bool:
    """Whether the write record ``record`` (an ``UPDATED_AT`` value) is a merge's own
    (:func:`~ai_protocols.session.merge_session.merged_record`: four more digits of the seconds
    since boot, or microseconds in the instant), made from some record of the tool's.
    No I/O."""
    parts = record.split(" ")
    if len(parts) != 4:
        import re

        return re.search(r"T[0-9:]+\.\d{6}(?:[+-]|Z)", parts[0]) is not None
    from ai_protocols.session.records import merge_record_of

    tail = parts[3]
    for cut in range(4, len(tail), 4):
        kept = tail[:-cut]
        for one in {kept, kept.rstrip(".")} - {""}:
            if merge_record_of(record, " ".join([*parts[:3], one])):
                return True
    return False


def _parents(root: str) -> list[str]:
    """The parents of ``HEAD`` in the work tree at ``root`` (one ``git rev-parse``); empty
    when git cannot say. Raises nothing."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        out = GitRun(["git", "-C", root, "rev-parse", "HEAD^1", "HEAD^2"],
                     git_env(), None).wait()
    except (GitFailed, OSError):
        return []
    return out.decode("ascii", "replace").split()


def removed_again(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """What git removed that a stale save holds again, taken out: the save as the file
    holds it (:func:`~ai_protocols.session.stale_saves.removal_undone`), else merged by the
    driver with the other clone's commits (:func:`merged_removal`); asked last by the write
    and :func:`~ai_protocols.session.transaction.next_write_merges` alike."""
    return removal_undone(ai_dir, path, doc, head, read_as) or \
        merged_removal(ai_dir, path, doc, head, read_as)


def dropped_or_removed(ai_dir: str, path: str, doc: OrgFile,
                       head: tuple[str | None, str | None] | None,
                       read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """The kept copy's changes no commit holds, merged back
    (:func:`~ai_protocols.session.stale_saves.kept_dropped`), and what git removed that a
    stale save holds again, taken out (:func:`removed_again`), both asked of the file
    ``doc`` as read and both taken (three ways on it, said as one answer:
    :func:`said_both`): a committed stale save over a pull that removed an entry, merged
    by the driver with the other clone's commits while the agent's entry was left
    uncommitted, lacks the one and holds the other (docs/decisions.md, "Twenty-seventh
    round: the review's stale saves committed"). ``None`` when neither finds anything;
    either alone when the two do not merge cleanly (the agent's entry first). Asked last
    by the write and :func:`~ai_protocols.session.transaction.next_write_merges` alike."""
    return _with_dropped(ai_dir, path, doc, head, read_as,
                         removed_again(ai_dir, path, doc, head, read_as))


def merged_saves(ai_dir: str, path: str, doc: OrgFile,
                 head: tuple[str | None, str | None] | None,
                 read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """:func:`dropped_or_removed` of a file :func:`~ai_protocols.session.replaced.refuse_older`
    refused as older than its kept copy, when it is a merge the driver made of committed
    stale saves over a removal (:func:`merged_removal`): two clones each saved a buffer
    opened before the pull over it, committed, and merged; the merge carries a record of
    its own made from the saves', older than the kept copy's, the agent's write since. No
    ``git reset`` or checkout put it here: what git removed is taken out and the kept
    copy's uncommitted changes merged back, the typed notes kept, instead of the refusal
    (whose ``cp`` of the kept copy would drop them). ``None`` otherwise (the refusal
    stands). Asked after the other merge backs of a refused file, by the write and
    :func:`~ai_protocols.session.transaction.next_write_merges` alike (docs/decisions.md,
    "Twenty-eighth round: two clones' stale saves over one removal")."""
    removed = merged_removal(ai_dir, path, doc, head, read_as)
    return None if removed is None else \
        _with_dropped(ai_dir, path, doc, head, read_as, removed)


def _with_dropped(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None,
                  removed: tuple[OrgFile, str, str] | None) -> tuple[OrgFile, str, str] | None:
    """:func:`dropped_or_removed`'s join of the kept copy's changes no commit holds
    (:func:`~ai_protocols.session.stale_saves.kept_dropped`) with ``removed``, the file
    without what git removed (or ``None``)."""
    kept = kept_dropped(ai_dir, path, doc, head, read_as)
    if kept is None or removed is None:
        return kept or removed
    from ai_protocols.session.merge_diverged import merge_diverged_bytes
    from ai_protocols.session.stale_said import said_both

    merged = merge_diverged_bytes(b"".join(kept[0].encoded()), b"".join(removed[0].encoded()),
                                  b"".join(doc.encoded()), ancestor=True)
    if merged is None or merged.conflicts:
        return kept
    return said_both(kept, (OrgFile(merged.data.decode("utf-8")), removed[1], removed[2]))
