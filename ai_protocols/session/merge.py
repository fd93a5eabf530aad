"""The git merge driver for session files: ``ai-protocols merge-driver %O %A %B %P``.

Git runs a merge driver named in ``.gitattributes`` (``merge=ai-protocols``) with
three files: the common ancestor (``%O``), our version (``%A``, where the result
goes) and theirs (``%B``); the driver exits 0 for a clean merge and non-zero
when conflicts remain (gitattributes(5), "Defining a custom merge driver").

A session file is merged by its Org structure, not line by line, so that two
clones that logged to the same session meet without a conflict:

- each version is cut into chunks, one per headline with its body, known across
  the versions by their role (the session headline, each section by its
  CUSTOM_ID, any other headline by its line); their order is merged three ways;
- each chunk is cut into units: the session headline's property drawer, one
  unit per stamped list item (``- [ ] [2026-11-21 Sat 10:02] ...`` with its
  indented lines: a block, a rationale, a person's continuation) in the
  sections of the session, and every other line, a person's free text;
- the three sequences of units are merged by ``git merge-file`` itself, each
  unit standing as one line, so that what git would merge cleanly merges
  cleanly, in the same places;
- an entry section's items stand in that merge by their identity (their first
  line, or the base's entry whose first line a side edited, when that is sure:
  :class:`_Entries`), so an item moved on one side and ticked on the other is
  one item; each item is merged once (a tick on either side wins, the lines
  under it merged; removed on one side and changed on the other: a conflict on
  that item alone);
- where both sides changed the same place, the items there are merged as a
  set, the ones both hold in their order and each side's new ones
  by real time between them (Org's zone-less stamps placed by the UTC offset of
  the side's ``UPDATED_AT``), and the free
  text there goes through ``git merge-file`` on its own lines, leaving ordinary
  conflict markers only where both sides changed the same lines;
- the drawer's properties follow :func:`merge_properties` (docs/merge-driver.md): a
  value both sides changed differently by a precedence where one applies, else by who
  changed it (:func:`tool_changes`): both the tool's writes, the side updated last's
  (the later real instant of ``UPDATED_AT``); one a person's, the person's; both a
  person's, a conflict; a value that gives way is kept whole in the Log.

Anything else (a file that is not UTF-8 Org text with a session headline, three
versions that are not the same session, line endings that differ) is merged as
``git merge-file`` merges it, byte for byte: a side is never lost.

This module is the driver itself (:func:`run_merge_driver`: the file git gives, the
earlier-entries files beside it, the base a stale save stands on); the merge's
definitions stand in modules by concern (twenty-eighth round, a pure move), from the
bottom up: :mod:`~ai_protocols.session.merge_units` (versions cut into units, ``git
merge-file``), :mod:`~ai_protocols.session.merge_drawer` (properties),
:mod:`~ai_protocols.session.merge_entries` (entries by identity, rewords),
:mod:`~ai_protocols.session.merge_session` (a whole file, :func:`merge_session_bytes`),
:mod:`~ai_protocols.session.merge_changes` (what a version lacks of another),
:mod:`~ai_protocols.session.merge_diverged` (two versions without a base); this module
re-exports the names of its ``__all__`` and those the tests import.
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from ai_protocols.paths import AI_DIR
from ai_protocols.session.merge_changes import written_among
from ai_protocols.session.merge_session import _earlier_target, merge_session_bytes
from ai_protocols.session.merge_units import (
    MergeResult,
    _read,
    _Version,
    conflict_block,
    git_merge_file,
)
from ai_protocols.storage import files as storage

# (re-exported: the names of __all__ and those the tests import; the package imports
# each from its module)
from ai_protocols.paths import (
    DRIVER_NAME as DRIVER_NAME,
)
from ai_protocols.session.merge_changes import (
    CHANGE_KINDS as CHANGE_KINDS,
    changes_lacking as changes_lacking,
    copy_drops as copy_drops,
    entries_lacking as entries_lacking,
    lines_dropped as lines_dropped,
    not_deleted_from as not_deleted_from,
    removed_blocks as removed_blocks,
    removed_held as removed_held,
    said_changes as said_changes,
    without_held as without_held,
)
from ai_protocols.session.merge_diverged import (
    merge_diverged_bytes as merge_diverged_bytes,
    reworded_entries as reworded_entries,
)
from ai_protocols.session.merge_drawer import (
    GaveWay as GaveWay,
    PropertyMerge as PropertyMerge,
    STATUS_PRECEDENCE as STATUS_PRECEDENCE,
    merge_properties as merge_properties,
)
from ai_protocols.session.merge_session import (
    _base_by_git as _base_by_git,
    merged_record as merged_record,
)
from ai_protocols.session.records import (
    merge_record_of as merge_record_of,
)

__all__ = [
    "DRIVER_NAME",
    "STATUS_PRECEDENCE",
    "GaveWay",
    "MergeResult",
    "PropertyMerge",
    "changes_lacking",
    "conflict_block",
    "copy_drops",
    "entries_lacking",
    "git_merge_file",
    "merge_diverged_bytes",
    "merge_properties",
    "merge_record_of",
    "merge_session_bytes",
    "not_deleted_from",
    "removed_blocks",
    "removed_held",
    "run_merge_driver",
    "without_held",
]


#: How many of the newest commits that changed a session file :func:`tool_write` reads.
_WRITES = 30


def _head_versions(place: str, root: str = ".") -> list[bytes]:
    """The versions of the session file at ``place`` (git's ``%P``, from the work tree's
    top ``root``, where git runs the driver: ``"."``) in ``HEAD``'s history, newest first:
    each the newest :data:`_WRITES` commits that changed it gave it or took from it
    (:func:`~ai_protocols.git.state.history_versions`), at every place it has there (a
    version a revert put back: where the revert made it, and where it was first made).
    Two git runs; empty when git cannot say."""
    from ai_protocols.git.history import history_versions

    return history_versions(root, place, ["HEAD"], _WRITES, before=True, each=True)


def tool_write(place: str, base: _Version, root: str = ".") -> bytes | None:
    """The version of the session file at ``place`` (git's ``%P``, from the work tree's
    top ``root``, where git runs the driver: ``"."``) that the tool wrote with ``base``'s
    write record: :func:`written_among` the versions ``HEAD``'s history and the reflogs hold that
    carry it (:func:`~ai_protocols.git.state.history_versions`), ``base`` among them,
    less those a commit made from ``base`` (:func:`~ai_protocols.git.state.made_since`:
    a person's edit of it, committed, fetched from another clone; the tool's write
    comes before ``base``). ``None`` when ``base`` has no record or none is found. Two
    git runs, then one more, and one per other version carrying the record."""
    from ai_protocols.git.history import history_versions, made_since
    from ai_protocols.session.layout import one_session

    props = base.properties
    stamp = props.get("UPDATED_AT")
    if not stamp:
        return None
    revs = ["HEAD", "--reflog"]
    found: list[bytes] = []
    for version in history_versions(root, place, revs, _WRITES, before=False):
        theirs = _read(version.decode("utf-8", "replace"))
        if theirs is not None and theirs.properties.get("UPDATED_AT") == stamp and \
                one_session(theirs.properties, props) and version not in found:
            found.append(version)
    mine = base.text.encode("utf-8")  # (newest first: base where git's history has it)
    since = made_since(root, place, mine, [v for v in found if v != mine], revs, _WRITES)
    found = [version for version in found if version not in since]  # (made from base:
    # a person's committed edit of it, another clone's fetched into the reflogs, is no
    # write base was made from)
    return written_among(found if mine in found else [*found, mine])


def _earlier_place(place: str | None) -> bool:
    """Whether git's ``%P`` names a tool's earlier-entries file (``.ai/history/...`` or
    an archive's folder ``.ai/sessions/NAME/``, named as a rollover names one)."""
    if not place:
        return False
    parts = place.replace("\\", "/").split("/")
    if AI_DIR not in parts[:-1]:
        return False
    below = parts[len(parts) - parts[::-1].index(AI_DIR):]
    return _earlier_target("/".join(below)) == "/".join(below)


def _merge_earlier_file(data: list[bytes], place: str, ours: Path) -> int:
    """Git's merge of an earlier-entries file (``place``). Its name holds its bytes'
    hash, so two clones never make two contents at one name: git got here only by
    pairing a rename (the other side's session file, archived or moved, with this
    file), or after a person edited it. Never conflict markers: the version whose
    bytes match its name is the result (ours when both or neither). When the other
    version is a session file, its changes are not lost: with the archive beside
    this file's folder in the work tree (this side archived), they are merged into
    it; otherwise stderr gives the commands that do. Returns 1 (git stops the merge
    and reports the path) in every case but the two versions being the same."""
    import sys

    from ai_protocols.lean import shell_quote

    base, mine, other = data
    if mine == other:
        storage.atomic_write(ours, mine)
        return 0
    name = place.replace("\\", "/").rpartition("/")[2]

    def named(d: bytes) -> bool:
        return hashlib.sha256(d).hexdigest()[:8] == name[-12:-4]

    keep, lost, lost_stage = (other, mine, 2) if named(other) and not named(mine) \
        else (mine, other, 3)
    storage.atomic_write(ours, keep)
    said = [f"ai-protocols merge-driver: {place} is an earlier-entries file (named by "
            "its bytes' hash); kept the version that matches its name, without conflict "
            "markers."]
    session = _decoded(lost)
    folder = place.replace("\\", "/").rpartition("/")[0]
    archive = folder + ".org" if "/sessions/" in "/" + folder else None
    if session is not None and _read(session) is not None:
        said.append("git paired it with the other version of the session file (its "
                    "rename detection: one side archived or moved the session while the "
                    "other changed it).")
        merged = None
        if archive is not None and lost_stage == 3 and os.path.isfile(archive):
            try:
                merged = merge_session_bytes(base, Path(archive).read_bytes(), lost,
                                             labels=("ours", "base", "theirs"), place=archive)
            except OSError:
                merged = None
        if merged is not None:
            storage.atomic_write(Path(archive), merged.data)
            said.append(f"Their session changes were merged into {archive}"
                        + (" (with conflict markers: resolve them)" if merged.conflicts
                           else "") + f"; check it, then: git add {shell_quote(place)} "
                        f"{shell_quote(archive)} and commit.")
        else:
            into = archive if archive is not None else "the session file it belongs to"
            said.append(f"{'The other' if lost_stage == 3 else 'This'} clone's session "
                        f"changes are git's stage {lost_stage} of it; to merge them into "
                        f"{into}: B=$(git rev-parse --git-path ai-base.org) M=$(git "
                        f"rev-parse --git-path ai-mine.org) && git show :1:{shell_quote(place)}"
                        f" > \"$B\" && git show :{lost_stage}:{shell_quote(place)} > \"$M\" "
                        f"&& ai-protocols merge-driver \"$B\" {shell_quote(into)} \"$M\" "
                        f"{shell_quote(into)} && git add {shell_quote(place)} "
                        f"{shell_quote(into)} (from the repository's top), then commit.")
    else:
        said.append(f"The other version is git's stage {lost_stage} (git show "
                    f":{lost_stage}:{shell_quote(place)}); then: git add {shell_quote(place)} "
                    f"(from the repository's top).")
    print(" ".join(said), file=sys.stderr)
    return 1


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def run_merge_driver(base: Path, ours: Path, theirs: Path, *, marker_size: int = 7,
                     labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                     merge: Callable[..., MergeResult | None] | None = None,
                     place: str | None = None) -> int:
    """What ``ai-protocols merge-driver %O %A %B %P`` does: merge into ``ours`` and return
    the exit status git expects, 0 for a clean merge and 1 when conflict markers remain.
    What the structural merge does not understand is merged by ``git merge-file``,
    whose result (and conflict markers) is written as it gives it; when even git
    cannot merge (a binary file), ``ours`` is left as it is and 1 is returned, so that
    git reports the conflict and keeps both sides in its index. ``merge`` is the
    structural merge (:func:`merge_session_bytes` by default; the task board's is
    :func:`ai_protocols.board.merge.merge_board_bytes`); ``place`` is git's ``%P``: an
    earlier-entries file's is merged by :func:`_merge_earlier_file`, a session file's
    links written relative to it. When both sides closed the session
    (:attr:`MergeResult.closed_twice`: git pairs the live file with two archives and
    stops whatever the driver says), stderr says so and points at ``ai-protocols
    status``, which gives the commands. Raises
    :class:`~ai_protocols.errors.StorageError` when a file cannot be read or written
    (git then reports a conflict too, and ``ours`` is as it was)."""
    import sys

    data = []
    for path in (base, ours, theirs):
        try:
            data.append(Path(path).read_bytes())
        except OSError as error:
            raise storage.StorageError(path, error) from error
    if merge is None and place is not None and _earlier_place(place):
        return _merge_earlier_file(data, place, Path(ours))
    if place is not None:
        _warn_edited(place)
    result = merge(*data, labels=labels, marker_size=marker_size) if merge is not None \
        else merge_session_bytes(*data, labels=labels, marker_size=marker_size, place=place,
                                 written=None if place is None else
                                 lambda version: tool_write(place, version),
                                 history=None if place is None else
                                 lambda: _head_versions(place))
    if result is not None and result.closed_twice and not (  # (the live file's merge)
            place is not None and "/sessions/" in "/" + place.replace("\\", "/")):
        print("ai-protocols merge-driver: both clones closed this session, each into an "
              "archive of its own name: git writes this merge (every entry once, each "
              "side's closing in its Log) into both and stops on them (rename/rename); "
              "'ai-protocols status' names the one to keep and gives the commands.",
              file=sys.stderr)
    if result is None and merge is None:
        result = _two_sessions(data[1], data[2], labels=labels, marker_size=marker_size)
    if result is None:
        merged, status = git_merge_file(data[1], data[0], data[2], labels=labels,
                                        marker_size=marker_size)
        if status < 0:
            return 1
        result = MergeResult(merged, status > 0)
    storage.atomic_write(Path(ours), result.data)  # git's temporary file, not .ai/
    return 1 if result.conflicts else 0


def _warn_edited(place: str) -> None:
    """Say on stderr when a live Emacs lock holds the work tree's file ``place`` (git's
    ``%P``, relative to the top of the work tree, where git runs its merge drivers): a
    buffer with unsaved changes visits the file git is about to write the merge into,
    and saving it (answering "yes" to "changed on disk") would put back the version from
    before the merge, without what it brings (the tool's next write merges that back:
    docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)"). One
    ``readlink``; nothing else changes."""
    import sys

    from ai_protocols.org.emacs_lock import live_emacs_lock

    lock = live_emacs_lock(place)
    if lock is not None:
        # (the command that writes it: a session file's log; the board has no command
        # that writes it alone: any change of it, claim, lock, task add..., merges back)
        board = place.replace("\\", "/").endswith("tasks.org")
        run = ("make the board's next change with ai-protocols (a claim, a lock, 'task "
               "add'...) before committing the file" if board else
               "run 'ai-protocols log' before committing the file")
        print(f"ai-protocols merge-driver: {place} is open with unsaved changes in Emacs "
              f"({lock.owner}); this merge changes the file under that buffer, and saving "
              f"it puts back the version from before the merge. The next ai-protocols "
              f"write to it merges back what the merge brought, with what was typed "
              f"({run}); or, in Emacs, copy what you typed, M-x revert-buffer, and paste "
              f"it again.", file=sys.stderr)


def _two_sessions(ours: bytes, theirs: bytes, *, labels: tuple[str, str, str],
                  marker_size: int) -> MergeResult | None:
    """One conflict of the whole file, ours against theirs, when the two sides are two
    sessions (:func:`~ai_protocols.session.sections.other_session`: two clones each
    started one at this path, or one side wrapped the session up and started another):
    a line merge would make one session of two (one side's drawer, both sides'
    entries), so each side stays whole between the markers, for ``git checkout --ours``
    or ``--theirs`` and the reader's advice (docs/git.md). ``None`` when either is not
    a session file read as UTF-8, or they may be one session's versions."""
    from ai_protocols.session.layout import other_session

    try:
        texts = (ours.decode("utf-8"), theirs.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    versions = [_read(text) for text in texts]
    if versions[0] is None or versions[1] is None or \
            other_session(versions[0].properties, versions[1].properties,
                          lambda: texts) is None:
        return None
    newline = versions[0].newline
    whole = [text if not text or text.endswith("\n") else text + newline for text in texts]
    return MergeResult(conflict_block(whole[0], whole[1], labels, marker_size, newline)
                       .encode("utf-8"), True)
