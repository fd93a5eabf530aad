"""``merge-kept``: merging a kept copy into the session file, or into its archive.

:func:`merge_kept_into` merges the version this tool wrote last (or what git's
``HEAD`` holds) into the session file through the edit transaction (above it, as its
caller), or into the archive of a session a copy was put back for, and says what it
kept from each side. docs/decisions.md, "Issue 14, fourteenth round (merge-kept
into archives, put-back archives, Log lines)", "Issue 14, fourteenth round
(merge-kept without a base)", "Issue 14, twenty-first round (merge-kept's by-hand
advice)" and "Issue 16, eleventh round (rollover against the kept copy and
merges)".
"""

from __future__ import annotations

import os

from ai_protocols.errors import OtherSession
from ai_protocols.lean import counted, datetime, quoted, shell_quote
from ai_protocols.liveness.clock import Moment
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import entry_lines, format_timestamp, parse_timestamp
from ai_protocols.paths import join, parent
from ai_protocols.session import edit_base
from ai_protocols.session.away import refuse_missing, then_start
from ai_protocols.session.carries import rolled_in_head
from ai_protocols.session.edit_base import (
    SessionEdit,
    record_superseded,
    refuse_if_edited,
    unlink,
    warn,
    written_later,
)
from ai_protocols.session.locks import _ARCHIVE_NAMES, locked_sessions
from ai_protocols.session.names import kept_path, left_path
from ai_protocols.session.replaced import refuse_misplaced, refuse_other
from ai_protocols.session.rollover import held_entries, linked_earlier, superseded_edits
from ai_protocols.session.sections import session_headline
from ai_protocols.session.splice import append_entry
from ai_protocols.session.stale_said import merged_back_note
from ai_protocols.session.transaction import editing, next_write_merges
from ai_protocols.session.unmerged import archived_unmerged, merge_unmerged_archive
from ai_protocols.session.wrapped_copy import (
    archive_base,
    archive_gained,
    put_back_archive,
    put_back_base,
)
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_protocols.session.merge_units import MergeResult


__all__ = [
    "HEAD_SOURCE",
    "KEPT_SOURCE",
    "merge_kept",
    "merge_kept_into",
]


def merge_kept(ai_dir: str, path: str, *, now: datetime | Moment | None = None,
               then: Callable[[SessionEdit], object] | None = None,
               wording: str = "file") -> int:
    """:func:`merge_kept_into`, how many entries were gained only (an entry kept in
    the kept copy's words, a reword, not among them)."""
    return merge_kept_into(ai_dir, path, now=now, then=then, wording=wording)[1]


#: What ``merge-kept`` merged into the file (:func:`merge_kept_into`'s fourth answer):
#: the version this tool wrote last, or what git's ``HEAD`` holds (a stale save's merge
#: back, whose entries git brought; a version from before a rollover ``HEAD`` holds).
KEPT_SOURCE, HEAD_SOURCE = "the kept copy", "git's HEAD"


def merge_kept_into(ai_dir: str, path: str, *, now: datetime | Moment | None = None,
                    then: Callable[[SessionEdit], object] | None = None,
                    wording: str = "file") -> tuple[str, int, int, str]:
    """Merge the session file at ``path`` with the newer version this tool wrote last,
    its kept copy (:func:`~ai_protocols.session.names.kept_path`), when git put an older
    version back and a write went into it, so that each holds entries the other lacks
    (what :class:`~ai_protocols.errors.SessionReplaced` advises: ``ai-protocols
    merge-kept``). One edit transaction: the two are merged entry by entry
    (:func:`ai_protocols.session.merge_diverged.merge_diverged_bytes`: every entry of both, the
    drawer as the merge driver merges it) and written, with a Log line saying so.
    Returns the file that gained entries, how many (entries the file lacked; an entry
    kept in the kept copy's words is a reword, not among them) and how many entries
    the two word differently were merged as one (reworded), and where what the file
    lacked came from (:data:`KEPT_SOURCE`, :data:`HEAD_SOURCE` when ``HEAD``'s version
    held it, the blob a committed stale save went over when that held it
    (:func:`~ai_protocols.session.stale_commit.gone_over_source`), or both joined by
    "and": a stale save merged back as the next write would,
    or a version from before a rollover; said by the command): ``path``, or the archive
    of the kept copy's session when it was wrapped up in another clone
    (:func:`_merge_into_archive`; its reworded count 0), or the archive of the file's
    own session when git's merge or rebase left the file unmerged as a modify/delete
    whose deleting side archived it (:func:`~ai_protocols.session.unmerged.archived_unmerged`: the
    changed side merged into the archive as the merge driver would have,
    :func:`~ai_protocols.session.unmerged.merge_unmerged_archive`, its reworded count 0); 0 and 0,
    writing nothing, when the file is its kept copy or not older than it (nothing to merge). The
    base of the three-way merge is the newest version git committed (from ``HEAD``) that both derive
    from (:func:`~ai_protocols.session.edit_base._committed`): a line changed on one side only takes
    the change; without one, what both hold, and an entry the two word differently (the only one of
    its section and minute on each side: :func:`~ai_protocols.session.merge_entries.reworded_pairs`)
    is kept once, in the words of ``wording`` (``"file"``, the default: a person's
    edit after git put the file back; ``"kept"``: the kept copy's), the other words
    written whole into the Log (an entry after the ``merged:`` line) and named on
    stderr: no text is dropped (docs/decisions.md, "Issue 14, fourteenth round
    (merge-kept without a base)"). ``then``: called with the edit before
    it is written (the caller records where ``HEAD`` is now:
    :func:`ai_protocols.session.pause.record_head`). Raises
    :class:`~ai_protocols.errors.OtherSession` when the file is another session than
    the kept copy's (:func:`~ai_protocols.session.sections.other_session`; two sessions
    are never merged), :class:`~ai_protocols.errors.KeptNotMerged` when they cannot be
    merged (nothing written; its advice names what only each holds, by kind and count),
    :class:`~ai_protocols.errors.StaleSave` when the file is an editor's stale save
    whose merge back the next write refuses
    (:func:`~ai_protocols.session.transaction.next_write_merges`: the same refusal, with its
    commands; nothing written), :class:`~ai_protocols.errors.BeingEdited` while a person edits the
    file in Emacs, and what :func:`~ai_protocols.session.transaction.editing` raises."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge_changes import entries_lacking, without_held
    from ai_protocols.session.merge_diverged import base_rank, reworded_entries

    found = archived_unmerged(ai_dir, path)
    if found is not None:  # (git's merge left it unmerged, its other side archived)
        with locked_sessions(ai_dir, path, also=(_archive_lock(ai_dir),)):
            return found[0], merge_unmerged_archive(ai_dir, path, *found), 0, KEPT_SOURCE
    refuse_missing(ai_dir, path)
    kept = kept_path(ai_dir, path)
    # (the archive folder's lock too, taken with the session file's in the one order of
    # locked_sessions: the kept copy may go into an archive, and a lock file missing
    # then, never made in this clone, cannot be made while another lock is held)
    with locked_sessions(ai_dir, path, also=(_archive_lock(ai_dir),)):
        refuse_if_edited(path)
        # (a stale buffer's save that the next write merges back on its own: merged the
        # same way, with HEAD's version too, never the kept copy alone, which would drop
        # what git brought: docs/decisions.md, "Issue 14, twentieth round (the base of a
        # stale save's merge)")
        stale = next_write_merges(ai_dir, path)
        if stale is not None:
            before = storage.read_regular(path)
            try:
                kept_before: bytes | None = storage.read_regular(kept)
            except (OSError, storage.NotRegular):
                kept_before = None
            with editing(ai_dir, path, now=now, held=True,
                         new_text=stale[0].text) as edit:
                edit.note(merged_back_note(stale[1], stale[2]))
                if then is not None:
                    then(edit)
            after = stale[0].text.encode("utf-8")
            gained = max(entries_lacking(before, after), 0)
            # (the entries the kept copy lacked too came from HEAD's version; all of them
            # where the tool never wrote: a fresh clone)
            alone = gained if kept_before is None else \
                entries_lacking(before, after, also=(kept_before,))
            from ai_protocols.session.stale_commit import gone_over_source

            # (a committed stale save's: the version it went over, below HEAD)
            head_source = gone_over_source(stale[2]) or HEAD_SOURCE
            source = head_source if alone == gained and gained else \
                KEPT_SOURCE if alone == 0 else f"{head_source} and {KEPT_SOURCE}"
            return path, gained, 0, source
        put_back = put_back_archive(ai_dir, path, kept)
        if put_back is not None:
            return put_back, _merge_into_archive(ai_dir, path, path,
                                                 storage.read_regular(path), put_back,
                                                 wording=wording), 0, KEPT_SOURCE
        try:
            here = os.stat(path, follow_symlinks=False)
        except OSError:
            return path, 0, 0, KEPT_SOURCE
        try:
            there = os.stat(kept, follow_symlinks=False)
        except OSError:
            there = None
        try:
            older = storage.read_regular(path)
            doc = OrgFile(older.decode("utf-8", "replace"))
            refuse_misplaced(ai_dir, path, doc)
            same = there is None or storage.same_version(here, there)
            newer = older if same else storage.read_regular(kept)
        except (OSError, storage.NotRegular) as error:
            raise KeptNotMerged(path, kept, f"it cannot be read ({error})") from None
        # A version from before a rollover committed since, saved over the file in place
        # (the kept copy too, one inode) or not: the newer version is HEAD's
        # (RolloverUndone's advice; docs/decisions.md, "Issue 16, fourteenth round").
        from_head = None  # (the command putting HEAD's version back, when it is the newer)
        if older == newer:
            kept, newer, from_head = _newer_in_head(ai_dir, path, doc) or (kept, newer, None)
            if from_head is None:
                return path, 0, 0, KEPT_SOURCE
        text = newer.decode("utf-8", "replace")
        mine, theirs = session_headline(OrgFile(text)), session_headline(doc)
        if mine is not None and theirs is not None:
            try:
                refuse_other(ai_dir, path, kept, theirs.properties, mine.properties,
                              lambda: (older.decode("utf-8", "replace"), text))
            except OtherSession as other:
                if other.archived is None:
                    raise
                return other.archived, _merge_into_archive(ai_dir, path, kept, newer,
                                                           other.archived,
                                                           wording=wording), 0, KEPT_SOURCE
        if from_head is None and not _kept_is_later(older, newer):
            # (a person's save, say: the file is not the older one; unless it is one
            # from before a rollover HEAD holds, saved over the file after the kept copy)
            kept, newer, from_head = _newer_in_head(ai_dir, path, doc) or (kept, newer, None)
            if from_head is None:
                return path, 0, 0, KEPT_SOURCE
            text = newer.decode("utf-8", "replace")
        # An entry a rollover moved to an earlier file either version links is no entry
        # that the other version alone holds: taken out of all three, so that the
        # merged file holds it once, in that earlier file (docs/decisions.md, "Issue 16,
        # eleventh round (rollover against the kept copy and merges)"); the base is
        # found among the versions so taken out too (thirteenth round).
        held = held_entries(ai_dir, path, OrgFile(text)) | held_entries(ai_dir, path, doc)
        whole = older
        (older, _), (newer, _) = without_held(older, held), without_held(newer, held)
        base = edit_base._committed(path, older, newer, held)
        rolled = bool(linked_earlier(OrgFile(text), path))
        merged = _merged_or_refused(path, kept, older, newer, base, wording=wording,
                                    rolled=rolled, restore=from_head)
        reworded = [] if base is not None and base_rank(base, older, newer) > 0 else \
            reworded_entries(older, newer)
        if held and without_held(whole, held_entries(
                ai_dir, path, OrgFile(merged.data.decode("utf-8", "replace"))))[1] != \
                without_held(whole, held)[1]:
            raise KeptNotMerged(path, kept, "the merged file would not link every "
                                            "earlier-entries file holding its entries",
                                rolled=rolled, restore=from_head,
                                **_only_in_each(older, newer))
        # (an entry kept in the kept copy's words is no entry the file lacked: a reword)
        gained = max(entries_lacking(whole, merged.data), 0) - \
            (len(reworded) if wording == "kept" else 0)
        gained = max(gained, 0)
        left_out = [pair[1 if wording == "file" else 0] for pair in
                    reworded_entries(older, newer, whole=True)] if reworded else []
        back = _came_back(older, newer, base, merged.data,
                          {line for pair in reworded for line in pair})
        words = _wording_said(reworded, wording)
        result = merged.data.decode("utf-8")
        # An entry a person edited in the older file after a rollover moved its old text
        # out: the old text is recorded as superseded, so show --all gives it once, as
        # edited (docs/decisions.md, "Issue 16, thirteenth round").
        replaced = superseded_edits(ai_dir, path, doc, OrgFile(text)) if held else set()
        if replaced:
            marked = OrgFile(result)
            record_superseded(marked, replaced)
            result = marked.text
        with editing(ai_dir, path, now=now, held=True, new_text=result) as edit:
            whose = "ai-protocols kept" if from_head is None else \
                "git's HEAD holds (from after its rollover)"
            edit.note(f"merged: the newer version {whose} of this file, "
                      f"{counted(gained, 'entry', 'entries')} the file lacked"
                      + (f" (no committed version of both found: {back[0]})" if back
                         else "") + (f"; {words[0]}" if words else ""))
            for text in left_out:  # (no text is ever dropped: the words left out, whole)
                edit.note_block(_left_out_said(text, wording))
            if then is not None:
                then(edit)
        if back:
            warn(f"{path}: {back[1]}")
        if words:
            warn(f"{path}: {words[1]}")
    return path, gained, len(reworded), KEPT_SOURCE if from_head is None else HEAD_SOURCE


def _newer_in_head(ai_dir: str, path: str, doc: OrgFile) -> tuple[str, bytes, str] | None:
    """For ``merge-kept``: the newer version of the session file ``path`` (read as
    ``doc``) that git's ``HEAD`` holds when it links an earlier-entries file ``doc`` does
    not (:func:`~ai_protocols.session.carries.rolled_in_head`): where it is (``HEAD:./REL``), its
    bytes, and the command that puts it back over the file (``git -C ROOT show HEAD:./REL > FILE``,
    quoted to paste); ``None`` otherwise."""
    rolled = rolled_in_head(ai_dir, path, doc)
    if rolled is None:
        return None
    return rolled[0], rolled[2], (f"git -C {shell_quote(parent(ai_dir))} show "
                                  f"{shell_quote(rolled[0])} > {shell_quote(path)}")


#: The two sides of ``merge-kept``'s merge as its messages name them: the first (the
#: file, or the archive) and the second (the kept copy, or the copy put back).
_SIDES = ("the file", "the kept copy")


def _wording_said(reworded: list[tuple[str, str]], wording: str,
                  sides: tuple[str, str] = _SIDES, where: str = "the Log",
                  option: str | None = None) -> tuple[str, str] | None:
    """What ``merge-kept`` says of the entries its two sides (``sides``, named as
    :data:`_SIDES`) word differently (``reworded``: pairs of first lines, the first
    side's then the second's, :func:`~ai_protocols.session.merge_diverged.reworded_entries`), of
    which it kept the words of ``wording`` (``"file"``: the first side's, ``"kept"``:
    the second's): short (the Log's) and whole (stderr's, naming whose words were kept
    and the words left out, written whole into ``where``, and how to keep them instead: by
    hand, or before a merge ``merge-kept --wording OPTION``, ``option`` when it is not
    the other of ``wording``); ``None`` when there are none."""
    if not reworded:
        return None
    mine = wording == "file"
    kept_words, other = (f"{sides[0]}'s", f"{sides[1]}'s") if mine else \
        (f"{sides[1]}'s", f"{sides[0]}'s")
    count = counted(len(reworded), "entry", "entries")
    left = "; ".join(quoted(pair[1] if mine else pair[0]) for pair in reworded)
    option = option or ("kept" if mine else "file")
    return (f"{count} worded differently in {sides[0]} and {sides[1]}: {kept_words} "
            f"words kept",
            f"{count} worded differently in {sides[0]} and {sides[1]} (of one section "
            f"and minute, and alike in words: one entry, reworded), with no committed "
            f"version of both to say which changed it: kept {kept_words} words, left "
            f"out {other} ({left}), written whole into {where} after the 'merged:' "
            f"line; to keep {other} instead, type them back in by hand (merge-kept "
            f"--wording {option} chooses them before a merge)")


def _came_back(older: bytes, newer: bytes, base: bytes | None,
               merged: bytes, reworded: set[str] | None = None) -> tuple[str, str] | None:
    """When ``merge-kept`` found no committed version both ``older`` (the file) and
    ``newer`` (the kept copy) derive from (``base`` is ``None`` or not theirs,
    :func:`~ai_protocols.session.merge_diverged.base_rank`: the file never committed, or its
    history rewritten), the merge (two ways: what both hold as its base) keeps every line
    of both, so a line a person deleted from the file that the kept copy still holds
    comes back: what to say, short (the Log's) and whole (stderr's), naming the lines of
    ``merged`` the file did not hold (``None`` when a base was used, or no line came
    back). The write record (``UPDATED``, ``UPDATED_AT``) is not named, nor the first
    lines in ``reworded`` (an entry's other words, said apart: :func:`_wording_said`)."""
    from ai_protocols.session.merge_diverged import base_rank

    if base is not None and base_rank(base, older, newer) > 0:
        return None
    left: dict[bytes, int] = {}
    for line in older.splitlines():
        left[line.strip()] = left.get(line.strip(), 0) + 1
    back = []
    for line in merged.splitlines():
        key = line.strip()
        if left.get(key, 0) > 0:
            left[key] -= 1
        elif key and not key.startswith((b":UPDATED:", b":UPDATED_AT:")) and \
                key.decode("utf-8", "replace") not in (reworded or ()):
            back.append(line.decode("utf-8", "replace"))
    if not back:
        return None
    lines = counted(len(back), "line", "lines")
    shown = "; ".join(quoted(line.strip(), 80) for line in back[:3]) + \
        (" ..." if len(back) > 3 else "")
    return (f"{lines} of the kept copy kept that the file lacked",
            f"no committed version that both the file and the kept copy come from was "
            f"found (the file never committed, or its history rewritten), so the merge kept "
            f"every line of both: {lines} of the kept copy that the file lacked came back "
            f"({shown}); the newer entries are among them, but if you had deleted one of "
            f"these lines from the file, delete it again")


def _merged_or_refused(path: str, kept: str, older: bytes, newer: bytes,
                       base: bytes | None, *, ancestor: bool = False,
                       archive: bool = False, wording: str = "file", rolled: bool = False,
                       restore: str | None = None, put_back: bool = False) -> MergeResult:
    """The three-way merge ``merge-kept`` writes into ``path`` (of ``older``, the file
    there, and ``newer``, the kept copy at ``kept``, against ``base``:
    :func:`~ai_protocols.session.merge_diverged.merge_diverged_bytes`), checked to drop no line
    of either side that the other did not change
    (:func:`~ai_protocols.session.merge_changes.lines_dropped`); ``ancestor``: ``base`` is known
    to be an ancestor of both (:func:`~ai_protocols.session.wrapped_copy.archive_base`);
    ``archive``: ``path`` is the kept copy's archive (the refusal's advice is then the archive's;
    ``put_back``: ``kept`` is a copy of the archived session put back, said as such); ``wording``:
    see :func:`merge_kept_into`. Raises
    :class:`~ai_protocols.errors.KeptNotMerged` (nothing written) when they do not
    merge cleanly or a line would be dropped; ``rolled`` (``newer`` links
    earlier-entries files) and ``restore`` (the command that puts ``newer`` back, when
    not ``cp KEPT FILE``) go into it: its advice."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge_changes import lines_dropped
    from ai_protocols.session.merge_diverged import (
        base_rank,
        merge_diverged_bytes,
        reworded_entries,
    )

    merged = merge_diverged_bytes(older, newer, base, ancestor=ancestor, wording=wording)
    if merged is None:
        raise KeptNotMerged(path, kept, "both changed the same lines (or they are not two "
                                        "versions of one session that merge without a "
                                        "conflict)", archive=archive, rolled=rolled,
                            restore=restore, put_back=put_back,
                            **_only_in_each(older, newer))
    dropped = lines_dropped(older, merged.data, base, newer) + \
        lines_dropped(newer, merged.data, base, older)
    if dropped and not (base is not None and (ancestor or base_rank(base, older, newer))):
        # (no base: an entry's other words, left out by the wording rule, are no line lost)
        words = {pair[1 if wording == "file" else 0] for pair in
                 reworded_entries(older, newer)}
        dropped = [line for line in dropped if line.strip() not in words]
    if dropped:
        lost = counted(len(dropped), "line", "lines")
        raise KeptNotMerged(path, kept, f"the merge would drop {lost} one of them holds "
                                        f"(as {dropped[0]!r})", archive=archive,
                            rolled=rolled, restore=restore, put_back=put_back,
                            **_only_in_each(older, newer))
    return merged


def _only_in_each(older: bytes, newer: bytes) -> dict[str, str]:
    """What only ``newer`` (the kept copy, the newer version) holds and what only
    ``older`` (the file) holds, each said by kind and count
    (:func:`~ai_protocols.session.merge_changes.changes_lacking` without a base: an entry, a
    tick, a changed entry, a property, a Log line, a line; ``""`` for none or not
    known), as :class:`~ai_protocols.errors.KeptNotMerged`'s ``kept_holds`` and
    ``file_holds``: what its by-hand advice names before the ``cp`` that would lose
    it. Reads nothing."""
    from ai_protocols.session.merge_changes import changes_lacking, said_changes

    said = {}
    for key, one, other in (("kept_holds", older, newer), ("file_holds", newer, older)):
        found = changes_lacking(one, other)
        said[key] = said_changes(found) if edit_base._changed(found) > 0 else ""
    return said


def _merge_into_archive(ai_dir: str, path: str, kept: str, newer: bytes,
                        archive: str, *, wording: str = "file") -> int:
    """``merge-kept`` into the archive ``archive`` of a session wrapped up: when the kept
    copy's session (``newer``, at ``kept``) was wrapped up in another clone and the file
    at ``path`` holds a new session, or when the file itself (``kept`` is then ``path``)
    is a copy of the archived session put back by hand or by git
    (:func:`~ai_protocols.session.wrapped_copy.put_back_archive`), with entries logged or typed
    since. The entries the archive lacks are merged into it, as the merge driver merges two versions
    of one session (the base: the version both derive from in the history of the commit that
    added the archive, :func:`~ai_protocols.session.wrapped_copy.archive_base`, else the newest
    committed version of ``path`` both derive from, else what both hold, a reworded entry kept once
    in the words of ``wording``; the archive stays wrapped up), under the archive folder's
    lock, written atomically; then ``kept`` is removed (the kept copy, so that the
    file's session is written as this path's from now on; or the put-back copy, so
    that ``start`` begins a new session: every line of it is in the archive now).
    Says on stderr what was written into the archive, by kind
    (:func:`~ai_protocols.session.wrapped_copy.archive_gained`), or that nothing was. Returns how
    many entries the archive gained. Raises :class:`~ai_protocols.errors.KeptNotMerged` (nothing
    written) when they do not merge cleanly or a line of either would be dropped. Call holding
    ``path``'s lock and the archive folder's (:func:`_archive_lock`)."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge_diverged import base_rank, reworded_entries
    from ai_protocols.session.merge_units import MergeResult

    # The discipline of every write of a session file (editing's): never a link on
    # the way, never under a person's unsaved buffer (13th round).
    storage.refuse_symlinks(parent(ai_dir), archive)
    refuse_if_edited(archive)
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular) as error:
        raise KeptNotMerged(archive, kept, f"it cannot be read ({error})",
                            archive=True, put_back=kept == path) from None
    put_back = kept == path
    base = put_back_base(path, archive, newer, left_path(ai_dir, path)) if put_back \
        else archive_base(path, archive, newer)
    ancestor = base is not None
    if base is None:
        base = edit_base._committed(path, archived, newer)
    # Whose words an entry keeps that the two word differently, with no base: the
    # file's (a person's edit) is, for a copy put back, that copy, the merge's second
    # side; ``--wording kept`` then keeps the archive's, the version ai-protocols wrote.
    words = ("kept" if wording == "file" else "file") if put_back else wording
    sides = ("the archive", "the copy" if put_back else "the kept copy")
    merged = _merged_or_refused(archive, kept, archived, newer, base, ancestor=ancestor,
                                archive=True, wording=words, put_back=put_back)
    reworded_said = None
    if not ancestor and not (base is not None and base_rank(base, archived, newer) > 0):
        # (no base: an entry the two word differently is kept once; the other words go
        # into the archive's Log, whole, as merge_kept_into writes them, and are named
        # on stderr with how to keep them instead)
        reworded = reworded_entries(archived, newer, whole=True)
        merged = MergeResult(_with_left_out(merged.data, [
            pair[1 if words == "file" else 0] for pair in reworded], words, sides),
            merged.conflicts)
        reworded_said = _wording_said(reworded_entries(archived, newer), words, sides,
                                      f"the archive's Log ({archive})",
                                      "kept" if put_back and wording == "file" else
                                      "file" if put_back else None)
    # (a put-back copy's lines the archive lacks are that copy's additions, not lines
    # that came back: said as entries gained)
    back = None if ancestor or kept == path else \
        _came_back(archived, newer, base, merged.data)
    said, gained = archive_gained(archive, archived, merged.data)
    if merged.data != archived:
        storage.atomic_write(archive, merged.data)
    unlink(kept)
    commit = f" (commit it: git add {shell_quote(archive)})"
    if kept == path:
        live = kept_path(ai_dir, path)
        live = live if os.path.lexists(live) else None  # (another session's, started since)
        try:
            storage.fsync_dir(parent(path))
        except OSError:
            pass
        then = then_start(ai_dir, path, live)
        what = f"{path}, a copy of a session already wrapped up (archived to {archive}) " \
               f"put back by hand or by git,"
        warn(f"merged {what} into the archive: {said}{commit}; the "
              f"copy was removed, every line of it being in the archive; {then}"
              if said else
              f"{what} holds nothing the archive lacks: nothing was written into the "
              f"archive; the copy was removed; {then}")
    else:
        what = "the kept copy, of a session wrapped up in another clone,"
        warn(f"merged {what} into its archive {archive}: {said}"
              f"{commit}, not into {path}, whose session carries on; the kept copy was "
              f"dropped" + _archive_abort_advice(path, archive, newer) if said else
              f"{what} holds nothing its archive {archive} lacks: nothing was written "
              f"into the archive; the kept copy was dropped; {path}'s session carries on")
    if back:
        warn(f"{archive}: {back[1]}")
    if reworded_said:
        warn(f"{archive}: {reworded_said[1]}")
    return gained


def _left_out_said(text: str, wording: str, sides: tuple[str, str] = _SIDES) -> str:
    """The Log entry's text for the words ``text`` of an entry worded differently that
    ``merge-kept`` left out, having kept those of ``wording`` (:data:`WORDINGS`: the
    first of ``sides``, or the second, :func:`_wording_said`)."""
    other = sides[1] if wording == "file" else sides[0]
    return f"merged: {other}'s words of an entry worded differently, left out: {text}"


def _with_left_out(data: bytes, left_out: list[str], wording: str,
                   sides: tuple[str, str] = _SIDES) -> bytes:
    """The session file ``data`` (UTF-8) with an entry stamped now at the end of its Log
    for each text of ``left_out`` (the words of an entry worded differently that a merge
    without a base left out, the kept copy's when ``wording`` is ``"file"``, else the
    file's), written as :meth:`~ai_protocols.session.edit_base.SessionEdit.note_block` writes them;
    ``data`` as it is when there are none or it holds no session headline. Raises nothing of its
    own."""
    if not left_out:
        return data
    doc = OrgFile(data.decode("utf-8"))
    session = session_headline(doc)
    if session is None:
        return data
    stamp = format_timestamp(datetime.now())
    for text in left_out:
        append_entry(doc, session.line, "log", entry_lines(
            stamp, _left_out_said(text, wording, sides)))
    return b"".join(bytes(piece) for piece in doc.encoded())


def _archive_abort_advice(path: str, archive: str, kept: bytes) -> str:
    """What ``merge-kept`` adds to its message after merging the kept copy (``kept``) into
    ``archive`` while a git operation is under way (:func:`ai_protocols.git.head.operation`:
    the merge that brought the archive, say): how to go on, and how to abort it, which git
    refuses while the archive has changes it has not staged (``git merge --abort``: "Entry
    ... not uptodate"). The abort is advised as ``git checkout -- ARCHIVE && git OP
    --abort`` only when ``HEAD``'s version of the session file ``path`` holds every entry
    of ``kept`` (then the abort loses nothing: the session's entries are back in that
    file, as before the operation); otherwise it says that the archive holds the only
    copy of some, and to go on rather than abort. ``""`` when no operation is under way
    (a few ``stat`` calls) or it is a bisect. Runs ``git cat-file`` once otherwise."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import operation
    from ai_protocols.git.spawn import GitRun, git_env
    from ai_protocols.session.merge_changes import entries_lacking

    what = operation(parent(archive))
    if what is None or what == "bisect":
        return ""
    q = shell_quote(archive)
    go_on = "git commit" if what == "merge" else f"git {what} --continue"
    said = (f"; a git {what} is under way: go on with 'git add {q}' then '{go_on}'")
    try:
        committed = GitRun(["git", "-C", parent(path), "cat-file", "blob",
                            f"HEAD:./{path.rsplit('/', 1)[-1]}"], git_env(), None).wait()
    except (GitFailed, OSError):
        committed = None
    lacking = -1 if committed is None else entries_lacking(committed, kept)
    if lacking == 0:
        return (f"{said}; to abort it instead, 'git checkout -- {q} && git {what} --abort' "
                f"(every entry merged in is in HEAD's {path} too, which the abort puts back)")
    return (f"{said}, not an abort: the archive now holds the only copy of "
            f"{'some entries' if lacking < 0 else counted(lacking, 'entry', 'entries')} "
            f"of the kept copy, which an abort would drop")


def _archive_lock(ai_dir: str) -> str:
    """The path whose lock guards ``.ai/sessions/``
    (:func:`ai_protocols.session.archive.archive_lock`, which this module cannot import:
    the archive module stands above it)."""
    return join(join(ai_dir.rstrip("/"), "sessions"), _ARCHIVE_NAMES[0])


def _kept_is_later(file: bytes, kept: bytes) -> bool:
    """Whether the kept copy's last write came after the file's
    (:func:`~ai_protocols.session.edit_base.written_later` of their session headlines); ``True``
    when either has none to compare by."""
    stamps = []
    for data in (kept, file):
        headline = session_headline(OrgFile(data.decode("utf-8", "replace")))
        if headline is None:
            return True
        props = headline.properties
        stamps.append((props.get("UPDATED_AT"), parse_timestamp(props.get("UPDATED", ""))))
    return written_later(*stamps)
