"""Earlier-entries files carried through a write.

A write that rolls a session file over (:mod:`ai_protocols.session.rollover`) writes
the earlier-entries file its moved entries go to, keeps the one a move carries
beside the archive or the adopter's file, restores the ones a failure leaves, and
drops what an unfinished carry left (:func:`drop_carried_leftovers`,
:func:`drop_adopted_leftovers`); it refuses a folder or link in their way, says an
earlier-entries file that is missing or that git does not track
(:func:`missing_earlier`, :func:`untracked_earlier`), and a rollover that git undid
or that ``HEAD`` holds (``refuse_undone``, ``rolled_in_head``, ``relink_regained``).
docs/decisions.md, "Issue 16, eighth review (rollover vs git, ninth reviewer)", "Issue 16, eighth
review (which earlier files are the session's)" and "Issue 14, nineteenth round (the carry never
writes an older file over the branch's committed one)".
"""

from __future__ import annotations

import errno
import os

from ai_protocols.errors import AiProtocolsError, StorageError, UnsafePath
from ai_protocols.git.state import git_version
from ai_protocols.lean import counted, shell_quote
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import join, parent
from ai_protocols.session.edit_base import (
    SessionEdit,
    base_of,
    kept_earlier,
    make_folder,
    moved_where,
    read_or_none,
    record_superseded,
    ref_names,
    refuse_links,
    remove_empty_history,
    say_not_kept,
    unlink,
    warn,
    what_stands,
    written_later,
)
from ai_protocols.session.locks import _kept_copies
from ai_protocols.session.names import kept_path, tombstone_path
from ai_protocols.session.pending import pending_path
from ai_protocols.session.rollover import (
    BOUND,
    LEAST,
    Planned,
    history_folder,
    is_ours,
    link_again,
    linked_earlier,
    named_as_ours,
    sorted_strays,
    unlinked_earlier,
)
from ai_protocols.session.sections import SESSION_ID_PROPERTY, session_headline
from ai_protocols.storage import files as storage

__all__ = [
    "carry",
    "check_bound",
    "drop_adopted_leftovers",
    "drop_carried",
    "drop_carried_leftovers",
    "drop_earlier",
    "drop_unfinished_carries",
    "earlier_blocked",
    "missing_earlier",
    "missing_earlier_advice",
    "refuse_undone",
    "refuse_unsafe_earlier",
    "relink_regained",
    "restore_earlier",
    "rolled_in_head",
    "settle_strays",
    "uncarry",
    "untracked_earlier",
    "untracked_note",
    "way_blocked",
    "write_earlier",
]


def check_bound(edit: SessionEdit, size: int, movable: bool = False) -> None:
    """Set ``edit.over_bound`` when the write of ``size`` bytes left the file past
    :data:`~ai_protocols.session.rollover.BOUND` and no later write will move entries
    out: every such write (eleventh review: once was not enough, and a file made past
    the bound by hand was never said), but one that leaves at least
    :data:`~ai_protocols.session.rollover.LEAST` movable bytes without rolling them
    over (the next write does). The size is the write's own; what holds the file is
    read only then, as :func:`~ai_protocols.session.rollover_plan.plan` read it. ``movable``:
    :data:`~ai_protocols.session.rollover.LEAST` movable bytes were found in the file
    as read (a write adds entries, and moves none when it does not roll over)."""
    if size <= BOUND:
        return
    rolled = edit.rolled is not None
    if not rolled and movable:
        return
    from ai_protocols.session.rollover_plan import held_by, least_movable, most_movable

    headline = session_headline(edit.doc)
    most = most_movable(edit.doc, headline) if headline is not None else {}
    # (LEAST movable bytes found unparsed: the next write rolls them; least_movable
    # finds no more than most_movable, so it is read only when that reaches LEAST)
    if not rolled and headline is not None and sum(most.values()) >= LEAST and \
            least_movable(edit.doc, headline) >= LEAST:
        return
    movable, held = held_by(edit.doc, most)
    if rolled or movable < LEAST:
        edit.over_bound = held


def write_earlier(ai_dir: str, planned: Planned) -> str | None:
    """Write a rollover's earlier-entries file (:mod:`ai_protocols.session.rollover`)
    atomically, fsynced with its folder, under the session file's lock, with a copy
    kept under ``.ai/.locks/live/`` as the session file's is (a hard link: one that git
    removes comes back at the next write, :func:`restore_earlier`), unless a file of
    its name holds these bytes already (a write killed after this step: its name is
    its content's). Returns its path when this call made it. Raises
    :class:`~ai_protocols.errors.StorageError` (a file of its name with other bytes: a
    person changed it; the file system refused the write: a full disk)."""
    path = planned.path
    kept = kept_earlier(ai_dir, path)
    storage.discard_partial_writes(path, *([kept] if kept else []))
    try:
        there = storage.read_bytes(path)
    except AiProtocolsError:  # a link, a folder: refused below, as the write fails
        there = None
    if there is not None and planned.same_as(there):
        return None
    if there is not None:
        raise StorageError(path, FileExistsError(
            errno.EEXIST, "an earlier-entries file of this name holds other bytes"))
    make_folder(parent(path))
    if kept is not None:
        make_folder(parent(kept))
    say_not_kept(path, kept, storage.atomic_write(path, planned.data, exclusive=True,
                                                   keep=kept, locked=True))
    return path


def settle_strays(ai_dir: str, path: str, doc: OrgFile, known: list[str],
                   listed: list[str] | None = None) -> list[str]:
    """The earlier-entries files of ``path``'s history folder that no link of ``doc``
    names (:func:`~ai_protocols.session.rollover.unlinked_earlier`): each that holds an
    entry found nowhere else and is the tool's is linked again in ``doc``, said on
    stderr (a link line a person deleted: the entries stay the session's, for ``show
    --all`` and the move to the archive); returns those that are provably redundant
    (every entry of theirs in ``doc`` or a linked file: a rollover killed between its
    two writes), and the copies such a rollover left, the file edited since
    (:func:`~ai_protocols.session.rollover.sorted_strays`; ``known``: those told from
    the file before this write's own rollover moved their entries out), said on stderr,
    which the caller removes once the file is written. Any write, not
    only a rollover's: no such file stays for good. One ``listdir`` when there is
    none; none with ``listed`` (those of the history folder's files no link names, as
    the write read them: :meth:`~ai_protocols.session.transaction.Editing._open`), of which those
    ``doc`` links now are passed over."""
    if listed is None:
        strays = unlinked_earlier(ai_dir, path, doc)
    elif listed:
        linked = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
        strays = [one for one in listed if os.path.normpath(one) not in linked]
    else:
        strays = []
    strays = [s for s in strays if s not in known]
    redundant, copies, others = sorted_strays(ai_dir, path, doc, strays)
    copies = [*known, *copies]
    for copy in copies:
        # (only what is known: a rollover killed before its second write leaves such a
        # file, and so does an older version of the file brought back, git checkout)
        warn(f"{copy} holds a copy of entries of {path}: no link names it, and {path} "
              f"still holds most of its entries, as edited since (a rollover killed "
              f"before its second write, or an older version of {path} brought back, "
              f"leaves such a file): removed, so that no entry is stored twice")
    redundant += copies
    for other in others:
        if link_again(ai_dir, doc, path, other):
            warn(f"{other} holds earlier entries of {path} that no link in it named (a "
                  f"line of its Earlier entries section deleted?): linked again; to drop "
                  f"those entries, remove the file and its line together")
    return redundant


def refuse_undone(ai_dir: str, path: str, doc: OrgFile, strays: list[str]
                   ) -> list[tuple[str, set[str]]]:
    """The earlier-entries files of ``strays`` (the history folder's files no link of
    ``doc``, the session file ``path`` as read, names) whose entries the file holds
    again (:func:`~ai_protocols.session.rollover.regained_strays`), each with its
    entries: an editor's buffer opened before the rollover and saved after it, an older
    version put back, a rollover killed between its two writes. Raises
    :class:`~ai_protocols.errors.RolloverUndone` (nothing written) when git's ``HEAD``
    holds a newer version that links such a file (:func:`rolled_in_head`): its entries
    written since are in git only, and ``merge-kept`` merges them (docs/decisions.md,
    "Issue 16, fourteenth round"). Reads each stray; one ``git show`` when one is
    regained; nothing when ``strays`` is empty."""
    from ai_protocols.session.rollover import regained_strays

    regained = regained_strays(ai_dir, path, doc, strays)
    if regained:
        newer = rolled_in_head(ai_dir, path, doc, [s for s, _ in regained])
        if newer is not None:
            from ai_protocols.errors import RolloverUndone  # (made on first use: errors_write)

            raise RolloverUndone(path, newer[1], newer[0])
    return regained


def relink_regained(ai_dir: str, path: str, doc: OrgFile,
                     regained: list[tuple[str, set[str]]]) -> tuple[OrgFile, list[str]]:
    """The session file ``path`` (as ``doc``) with its rollover restored, when nothing
    newer holds it (:func:`refuse_undone` found ``regained``, each earlier file with
    its entries): those entries taken out of the file
    (:func:`~ai_protocols.session.merge_changes.without_held`, every other byte as it was), the
    link put back (:func:`~ai_protocols.session.rollover.link_again`), an entry edited
    since recorded as superseded (:func:`~ai_protocols.session.rollover.regained_edits`),
    so that each entry is stored once and the earlier file and its kept copy stay
    (docs/decisions.md, "Issue 16, fourteenth round"). Returns the file (``doc`` itself
    when none could be linked) and the files linked again."""
    from ai_protocols.session.merge_changes import without_held
    from ai_protocols.session.rollover import regained_edits

    held = set().union(*(entries for _, entries in regained))
    data = b"".join(bytes(piece) for piece in doc.encoded())
    relinked = OrgFile(without_held(data, held)[0].decode("utf-8"))
    linked: list[str] = []
    edited: set[str] = set()
    for stray, _ in regained:
        if link_again(ai_dir, relinked, path, stray):
            linked.append(stray)
            found = read_or_none(stray)
            if found is not None:
                edited |= regained_edits(OrgFile(found.decode("utf-8", "replace")), relinked)
    if not linked:
        return doc, []
    if edited:
        record_superseded(relinked, edited)
    return relinked, linked


def rolled_in_head(ai_dir: str, path: str, doc: OrgFile, earlier: list[str] | None = None
                    ) -> tuple[str, str, bytes] | None:
    """The version of the session file ``path`` that git's ``HEAD`` holds, when it is a
    newer version of the session in ``doc`` (the same ``STARTED``, ``AGENT_ID`` and
    ``SESSION_ID``; written later, :func:`~ai_protocols.session.edit_base.written_later`) and links
    an earlier-entries file of the tool's that ``doc`` does not (one of ``earlier`` when given): a
    rollover committed, then a version from before it saved over the file. ``(where, earlier
    file, bytes)``, ``where`` naming it for a message (``HEAD:./REL``, git's syntax);
    ``None`` otherwise, and outside git. One ``git show``; on a rare path only."""
    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    data = git_version(root, f"HEAD:./{below}")
    if data is None:
        return None
    head = OrgFile(data.decode("utf-8", "replace"))
    theirs, mine = session_headline(head), session_headline(doc)
    if theirs is None or mine is None:
        return None
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    if any(theirs.properties.get(k) != mine.properties.get(k) for k in keys):
        return None
    if not written_later(*((h.properties.get("UPDATED_AT"),
                            parse_timestamp(h.properties.get("UPDATED", "")))
                           for h in (theirs, mine))):
        return None
    have = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
    wanted = None if earlier is None else {os.path.normpath(e) for e in earlier}
    for one in linked_earlier(head, path):
        place = os.path.normpath(one.path)
        if place in have or not named_as_ours(ai_dir, one.path) or \
                (wanted is not None and place not in wanted):
            continue
        return f"HEAD:./{below}", one.path, data
    return None


def drop_unfinished_carries(ai_dir: str, path: str, doc: OrgFile, *, always: bool) -> None:
    """Remove what a move killed after step 1 (:func:`~ai_protocols.session.transaction._move`),
    before its archive was in place, left under ``.ai/sessions/``: a folder ``NAME/`` with no
    ``NAME.org`` beside it, holding second names (hard links, or copies of the same bytes) of the
    earlier files ``doc`` links; only those names, then the folder when that leaves it empty
    (a folder holding anything else stays). The entries stay where the links name them.
    Looked for when a linked file has more names than itself and its kept copies (the
    sign of such a link, one ``lstat`` each), and always at a move (``always``: a
    wrap-up run again; a copy across file systems leaves no such sign)."""
    linked = [e.path for e in linked_earlier(doc, path) if named_as_ours(ai_dir, e.path)]
    if not linked:
        return
    if not always:
        for one in linked:
            try:
                names = os.lstat(one).st_nlink
            except OSError:
                continue
            if names > 1 + sum(os.path.lexists(c) for c in _kept_copies(ai_dir, one)):
                break
        else:
            return
    sessions = join(ai_dir, "sessions")
    try:
        entries = list(os.scandir(sessions))
    except OSError:
        return
    present = {entry.name for entry in entries}
    for entry in entries:
        if entry.name + ".org" in present or not entry.is_dir(follow_symlinks=False):
            continue
        folder = join(sessions, entry.name)
        for one in linked:
            there = join(folder, os.path.basename(one))
            try:
                if os.path.samefile(one, there) or (
                        os.path.isfile(there) and not os.path.islink(there) and
                        storage.read_bytes(there) == storage.read_bytes(one)):
                    unlink(there)
            except (OSError, AiProtocolsError):
                continue
        try:
            os.rmdir(folder)  # (only an empty one)
        except OSError:
            pass


def restore_earlier(ai_dir: str, path: str, doc: OrgFile) -> None:
    """Put back, from their kept copies, the earlier-entries files the session file
    ``path`` links that are gone (``git clean``, ``git stash -u``): a hard link, as the
    copy was made. Only files of the tool's (:func:`~ai_protocols.session.rollover.named_as_ours`,
    the copy :func:`~ai_protocols.session.rollover.is_ours`). Best effort: one that
    cannot be put back is said on stderr, and the write goes on (it never fails for
    want of an earlier file). Nothing when the file links none (one look at its
    headlines)."""
    for earlier in linked_earlier(doc, path):
        if os.path.islink(earlier.path) and named_as_ours(ai_dir, earlier.path):
            warn(f"{earlier.path}, which {path} links for its earlier entries, is a "
                  f"symbolic link: ai-protocols does not follow it, and a wrap-up refuses "
                  f"to move it (exit 12); replace it with the file it points to")
            continue
        if not named_as_ours(ai_dir, earlier.path):
            continue
        if os.path.lexists(earlier.path):
            _keep_earlier(ai_dir, path, earlier.path)
            continue
        try:
            refuse_links(ai_dir, [earlier.path])
        except UnsafePath as error:
            warn(f"{earlier.path} is missing and is not put back: {error}")
            continue
        kept = next((copy for copy in _kept_copies(ai_dir, earlier.path)
                     if os.path.isfile(copy) and not os.path.islink(copy) and
                     is_ours(ai_dir, earlier.path, read_or_none(copy))), None)
        if kept is None:
            warn(f"{earlier.path} is missing, and no copy of it is kept here: {path} "
                  f"links it for its earlier entries; "
                  f"{missing_earlier_advice(ai_dir, earlier.path)}")
            continue
        try:
            make_folder(parent(earlier.path))
            os.link(kept, earlier.path, follow_symlinks=False)
            storage.fsync_dir(parent(earlier.path))
        except (OSError, StorageError) as error:
            warn(f"{earlier.path} is missing and could not be put back from {kept}: "
                  f"{getattr(error, 'strerror', None) or error}")


def _keep_earlier(ai_dir: str, path: str, earlier: str) -> None:
    """Make the kept copy of the linked earlier-entries file ``earlier`` when it has
    none (a rollover killed between the file's name and its copy's, issue 16 eleventh
    round): a hard link, as :func:`write_earlier` makes it, of a file of the tool's
    (:func:`~ai_protocols.session.rollover.is_ours`: the copy is what
    :func:`restore_earlier` puts back, and only such a copy). One ``lstat`` of the
    copy's place when it is there: the file is read only when it is missing. A kept
    copy there stays as it is, even when the file beside it is another (it holds the
    bytes the tool wrote; docs/decisions.md). Best effort: said on stderr when it
    cannot be made."""
    if os.path.relpath(earlier, ai_dir).split(os.sep)[0] != "history":
        return  # (an archive's earlier file: git tracks it, none is kept)
    kept = kept_earlier(ai_dir, earlier)
    if kept is None:
        return
    if os.path.lexists(kept):
        stands = what_stands(kept)  # (a folder there: no copy, and none can be made)
        if stands is not None and os.path.isfile(earlier):
            warn(f"{earlier}, which {path} links for its earlier entries, has no copy "
                  f"kept in {kept}: {stands}; move that away, and the next write makes "
                  f"the copy (until then, git clean -fdx would lose those entries)")
        return
    if not os.path.isfile(earlier) or os.path.islink(earlier) or \
            not is_ours(ai_dir, earlier):
        return  # (a file a person edited: its kept copy could never be put back)
    try:
        refuse_links(ai_dir, [kept])
        make_folder(parent(kept))
        os.link(earlier, kept, follow_symlinks=False)
        storage.fsync_dir(parent(kept))
    except FileExistsError:
        pass  # (made meanwhile: the lock is held, so by nothing of the tool's)
    except (OSError, AiProtocolsError) as error:
        warn(f"{earlier}, which {path} links for its earlier entries, has no copy kept "
              f"in {kept}, and none could be made: "
              f"{getattr(error, 'strerror', None) or error}")


def refuse_unsafe_earlier(ai_dir: str, path: str, edit: SessionEdit) -> None:
    """:class:`~ai_protocols.errors.UnsafePath` when the way to a file this write may
    make or move for the earlier entries (the rollover's new file and its kept copy;
    for a move, each linked file of the tool's, its kept copy, its place in the
    archive's folder) goes through a symbolic link: the rule of every file the tool
    writes (:func:`ai_protocols.storage.files.refuse_symlinks`), checked before
    anything is written. A write in place does not follow the links' files: a linked
    file that is a symbolic link blocks no ``log`` (eighth review); one that is missing
    is put back only where no link is on its way (:func:`restore_earlier`)."""
    paths: list[str | None] = []
    if edit.rolled is not None:
        paths += [edit.rolled.path, *_kept_copies(ai_dir, edit.rolled.path)]
    if edit.target == path:  # (a write in place follows no link: only a move must)
        refuse_links(ai_dir, paths)
        return
    for earlier in linked_earlier(edit.doc, path):
        if named_as_ours(ai_dir, earlier.path):
            paths += [earlier.path, *_kept_copies(ai_dir, earlier.path)]
            if edit.earlier_to is not None:
                paths.append(join(edit.earlier_to, os.path.basename(earlier.path)))
    refuse_links(ai_dir, paths)


def way_blocked(ai_dir: str, path: str) -> str | None:
    """What :func:`earlier_blocked` says, before any rollover of the session file
    ``path`` is planned, of the folders on the way to its earlier file (whatever its
    name: a file where a folder must be, a folder that cannot be written); asked when
    the rollover would move entries (:func:`~ai_protocols.session.rollover_plan.least_movable`
    finds :data:`~ai_protocols.session.rollover.LEAST` bytes of them); ``None`` for a
    symbolic link on the way (said once the rollover is planned, as before)."""
    try:
        return _folders_blocked(ai_dir, join(history_folder(ai_dir, path), "earlier.org"))
    except AiProtocolsError:
        return None


def _folders_blocked(ai_dir: str, earlier: str) -> str | None:
    """The first part of :func:`earlier_blocked`: the folders on the way to the earlier
    file ``earlier`` and its kept copy."""
    kept = kept_earlier(ai_dir, earlier)
    refuse_links(ai_dir, [earlier, *_kept_copies(ai_dir, earlier)])
    for target in (earlier, kept):
        if target is None:
            continue
        folder = parent(target)
        current = base_of(ai_dir, target)
        below = os.path.relpath(folder, current).split(os.sep)
        for part in below if below != ["."] else []:
            step = join(current, part)
            try:
                os.lstat(step)
            except FileNotFoundError:
                break
            except OSError as error:
                return f"{step} cannot be read ({error.strerror})"
            if not os.path.isdir(step):
                return f"{step} is a file where a folder must be: rename or remove it"
            current = step
        if not os.access(current, os.W_OK | os.X_OK):
            return f"the folder {current} cannot be written: give write permission to it"
    return None


def earlier_blocked(ai_dir: str, planned: Planned) -> str | None:
    """Why the rollover's earlier file (or its kept copy) cannot be written, said for a
    person to act on (what to rename or remove), else ``None``: a file where a folder
    on its way must be, a folder that cannot be written, a file or folder of its name
    holding other bytes. Raises :class:`~ai_protocols.errors.UnsafePath` for a symbolic
    link on the way (the caller skips the rollover with that reason: the entry is
    written all the same, decisions "Issue 16, eighth review (rollover robustness)")."""
    blocked = _folders_blocked(ai_dir, planned.path)
    if blocked is not None:
        return blocked
    if os.path.lexists(planned.path):
        if os.path.isdir(planned.path):
            return f"{planned.path} is a folder: rename or remove it"
        there = read_or_none(planned.path)
        if there is None or not planned.same_as(there):
            return (f"{planned.path} is there with other bytes than this rollover writes: "
                    f"rename it")
        return None
    held = _held_in_git(ai_dir, planned.path)
    if held is not None:
        return (f"git holds {planned.path} in {held}, and it would come back there: made "
                f"here, it would stop git (git stash pop, git checkout: 'already exists'); "
                f"the file rolls over once git has put it back, or at a later write that "
                f"moves other entries")
    return None


def _held_in_git(ai_dir: str, path: str) -> str | None:
    """Where git holds a file at ``path`` (an earlier-entries file a rollover is about to
    make, not in the work tree) in a commit reachable from a ref or a reflog (the
    stash's untracked files of ``git stash -u`` are such a commit: the third parent of
    a stash's, git-stash(1)), said for a person; else ``None``. A rollover planned on an
    older version that git put back (``git stash``, a branch switch) plans the very
    file the newer version has: made here, untracked, it would make ``git stash pop``
    and ``git checkout`` refuse ("already exists"). Runs git twice, only when a rollover
    is planned; ``None`` when git cannot say (no repository)."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    env = git_env()
    root = parent(ai_dir)
    rel = os.path.relpath(path, root)
    try:
        found = GitRun(["git", "-C", root, "log", "--all", "--reflog", "--full-history",
                        "--format=%H", "-1",
                        "--", rel], env, None).wait().decode("ascii", "replace").strip()
        if not found:
            return None
        refs = GitRun(["git", "-C", root, "for-each-ref", "--contains", found,
                       "--format=%(refname)"], env, None).wait()
    except GitFailed:
        return None
    names = refs.decode("utf-8", "replace").split("\n")[:-1]
    if not names:
        return f"commit {found[:12]}, which only a reflog holds"
    return ref_names(names)[0]


def missing_earlier_advice(ai_dir: str, path: str) -> str:
    """How to get back the earlier-entries file ``path`` that a session file links and
    that is not in the work tree nor kept here: from git when a commit holds it (one
    ``git log --all --reflog --full-history -1``, only on the way to saying this); else
    that it may exist only in the clone that rolled the session over, untracked (``git
    commit -a`` leaves a new file out, git-commit(1)), with what to run there. Never a git
    command that cannot work (docs/decisions.md, "Issue 16, eighth review (rollover vs
    git, ninth reviewer)")."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rel = os.path.relpath(path, root)
    try:
        found = GitRun(["git", "-C", root, "log", "--all", "--reflog", "--full-history",
                        "--format=%H", "-1", "--", rel], git_env(), None).wait()
    except GitFailed:
        found = None
    if found and found.strip():
        commit = found.decode("ascii", "replace").strip()[:12]
        return (f"get it back from git: git show {commit}:{shell_quote(rel)} > "
                f"{shell_quote(path)} (run at the top of the repository; 'git log --all -- "
                f"{shell_quote(rel)}' names every commit holding it)")
    return (f"no commit of this repository holds it: it may exist only in the clone that "
            f"rolled the session over, never committed ('git commit -a' leaves a new file "
            f"out); there, run 'git add {shell_quote(rel)}' and commit, then pull here")


def missing_earlier(ai_dir: str, path: str, gone: list[str] | None = None) -> str | None:
    """The warning ``status`` gives when the session file ``path`` links earlier-entries
    files of its own (:func:`~ai_protocols.session.rollover.linked_earlier`) that are
    neither in the work tree nor kept here (a clone of one that rolled over and never
    committed them): which, that ``show --all`` cannot read them and their count is
    unknown, and how to get them back (:func:`missing_earlier_advice`); ``None``
    otherwise. ``gone``: those files, as the caller found them reading the file
    (:func:`~ai_protocols.session.rollover.missing_linked`); else the file is read
    (parsed only when a link names a file that is not here). Git runs only on the
    way to the warning."""
    if gone is None:
        try:
            data = storage.read_regular(path)
        except (OSError, storage.NotRegular):
            return None
        if b"[[file:" not in data:
            return None
        from ai_protocols.session.rollover import missing_linked

        gone = missing_linked(ai_dir, path, data.decode("utf-8", "replace"))
    if not gone:
        return None
    one = len(gone) == 1
    return (f"{path} links "
            f"{counted(len(gone), 'earlier-entries file', 'earlier-entries files')} that "
            f"{'is' if one else 'are'} not here and not kept ({', '.join(gone[:3])}"
            f"{' ...' if len(gone) > 3 else ''}): show --all cannot read "
            f"{'it' if one else 'them'}, and how many entries {'it holds' if one else 'they hold'} "
            f"is unknown; {missing_earlier_advice(ai_dir, gone[0])}")


def untracked_earlier(ai_dir: str, path: str) -> str | None:
    """The warning ``status`` and ``show`` give when git tracks the session file ``path``
    but not some earlier-entries file of its history folder (a rollover made it; ``git
    commit -a`` leaves a new file out, git-commit(1), and a clone would link a file it
    never gets); ``None`` otherwise. One ``stat`` when the folder is not there, else
    one ``git ls-files`` run."""
    folder = history_folder(ai_dir, path)
    if not os.path.isdir(folder):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rel, below = os.path.relpath(path, root), os.path.relpath(folder, root)
    try:
        tracked = GitRun(["git", "-C", root, "ls-files", "-z", "--", rel], git_env(),
                         None).wait()
        if not tracked.strip(b"\0"):
            return None  # (a session file git does not track: nor its earlier files)
        out = GitRun(["git", "-C", root, "ls-files", "-z", "--others", "--", below],
                     git_env(), None).wait()
    except GitFailed:
        return None
    new = [os.fsdecode(n) for n in out.split(b"\0")
           if n and named_as_ours(ai_dir, join(root, os.fsdecode(n)))]
    if not new:
        return None
    return (f"git tracks {path} but not "
            f"{counted(len(new), 'earlier-entries file', 'earlier-entries files')} it links or "
            f"made ({', '.join(new[:3])}"
            f"{' ...' if len(new) > 3 else ''}): commit {'it' if len(new) == 1 else 'them'} "
            f"with it (git add {shell_quote(below)}; 'git commit -a' leaves new files out), "
            "or other clones link files they do not have")


def untracked_note(ai_dir: str, path: str, made: str) -> None:
    """After a write that rolled ``path`` over into the new file ``made``: when git
    tracks ``path`` and not ``made``, say on stderr to ``git add`` it (``git commit -a``
    leaves a new file out, git-commit(1); another clone would then link a file it never
    gets). One ``git ls-files`` run, only at a rollover."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rels = [os.path.relpath(p, root) for p in (path, made)]
    try:
        out = GitRun(["git", "-C", root, "ls-files", "-z", "--", *rels], git_env(),
                     None).wait()
    except GitFailed:
        return
    tracked = {os.fsdecode(name) for name in out.split(b"\0") if name}
    if rels[0] in tracked and rels[1] not in tracked:
        warn(f"the oldest entries of {path} moved into the new file {made}: git does not "
              f"track it yet; commit it with the session file (git add "
              f"{shell_quote(rels[1])}; 'git commit -a' leaves a new file out), or other "
              "clones link a file they do not have")


def drop_earlier(ai_dir: str, paths: list[str]) -> None:
    """Remove the earlier-entries files ``paths`` and their kept copies (best effort:
    each is a copy of entries kept elsewhere, which nothing reads)."""
    for path in paths:
        for gone in (path, *_kept_copies(ai_dir, path)):
            try:
                unlink(gone)
            except OSError:
                pass


def drop_carried_leftovers(ai_dir: str, path: str) -> None:
    """When ``path``'s tombstone says its session was archived (``archived to T``): the
    files of ``path``'s history folder that are also in the archive's folder (``T``
    without ``.org``), the very same file (a hard link) or the same bytes, removed with
    their kept copies: what a wrap-up killed after the archive was in place, before it
    removed the old names, leaves (:func:`~ai_protocols.session.transaction._move`, step 4). Only
    when ``T`` is there: a move killed before it (after the tombstone) left the folder's names as
    the copies (eighth review: they were taken for the originals). Nothing else is touched;
    nothing when there is no tombstone (one ``lstat``). Call holding ``path``'s lock."""
    tomb = tombstone_path(ai_dir, path)
    if not os.path.lexists(tomb):
        return
    where = moved_where(ai_dir, path) or ""
    if not where.startswith("archived to ") or not where.endswith(".org"):
        return
    folder = where[len("archived to "):-4]
    try:  # (a tombstone copied with the project names the original's archive: not ours)
        here = os.path.samefile(parent(folder), join(ai_dir, "sessions"))
    except OSError:
        here = False
    if not here or not os.path.isfile(folder + ".org"):
        # (a move killed before its archive was in place: the history folder's files
        # are the only ones a link names; the folder's names go, not these:
        # drop_unfinished_carries)
        return
    history = history_folder(ai_dir, path)
    try:
        names = sorted(os.listdir(history))
    except OSError:
        return
    same = []
    for name in names:
        old, new = join(history, name), join(folder, name)
        try:
            if os.path.samefile(old, new) or (
                    os.path.isfile(new) and not os.path.islink(old) and
                    storage.read_bytes(old) == storage.read_bytes(new)):
                same.append(old)
        except (OSError, AiProtocolsError):
            continue
    drop_earlier(ai_dir, same)
    remove_empty_history(history)
    for kept in {parent(c) for old in same for c in _kept_copies(ai_dir, old)}:
        remove_empty_history(kept)


def carry(ai_dir: str, moves: list[tuple[str, str]]) -> list[str]:
    """Give each earlier-entries file its second name beside the archive (a hard link;
    a copy across file systems; a name that holds the same bytes already is kept),
    the folders fsynced: step 1 of :func:`~ai_protocols.session.transaction._move`. Returns the
    names made, which :func:`uncarry` removes when the move fails."""
    made: list[str] = []
    try:
        for old, new in moves:
            if os.path.lexists(new):
                if storage.read_bytes(new) == storage.read_bytes(old):
                    continue
                raise StorageError(new, FileExistsError(errno.EEXIST, "File exists"))
            make_folder(parent(new))
            try:
                os.link(old, new, follow_symlinks=False)
            except OSError:
                data = storage.read_bytes(old)
                if data is None:
                    continue  # (gone meanwhile: its link names where it was)
                storage.atomic_write(new, data, exclusive=True)
            made.append(new)
        made += _keep_carried(ai_dir, [new for _, new in moves])
        for folder in {parent(new) for _, new in moves} | {parent(m) for m in made}:
            storage.fsync_dir(folder)
    except OSError as error:
        uncarry(made)
        raise StorageError(moves[0][1], error) from error
    except BaseException:
        uncarry(made)
        raise
    return made


def _keep_carried(ai_dir: str, news: list[str]) -> list[str]:
    """The kept copies of the earlier-entries files ``news`` a move gave new names in a
    history folder (an adoption's, into the adopter's; an archive's keep none), made
    before the old names and their copies go (issue 16, eleventh round): hard links,
    as :func:`write_earlier` makes them. Returns those made (removed again when the
    move fails)."""
    made: list[str] = []
    for new in news:
        if os.path.relpath(new, ai_dir).split(os.sep)[0] != "history":
            continue
        kept = kept_earlier(ai_dir, new)
        if kept is None or os.path.lexists(kept):
            continue
        refuse_links(ai_dir, [kept])
        make_folder(parent(kept))
        os.link(new, kept, follow_symlinks=False)
        made.append(kept)
    return made


def drop_adopted_leftovers(ai_dir: str, path: str, adopter: str) -> list[str]:
    """Finish an adoption of the session file ``path`` by ``adopter`` killed after it
    gave the earlier-entries files their new names but before it removed the old ones
    (:func:`~ai_protocols.session.transaction._move`, step 4): each file of the tool's in ``path``'s
    history folder whose name holds the same bytes in ``adopter``'s (a second name, or a copy) is
    removed, with its kept copies, then the folders left empty; the adopter's file gets its
    kept copy when it has none. Returns the paths removed. Call holding both files'
    locks (:func:`locked_sessions`). A file only there, or another there, stays (it is
    no leftover: nothing is lost). The later steps are finished too, whichever the
    kill stopped at: once ``path`` is gone, its kept copy, its pending file and that
    file's copy (folded into the adopter's); the kept copies of old names removed
    already, where the adopter's folder holds the same bytes under that name; and the
    old folders left empty."""
    old, new = history_folder(ai_dir, path), history_folder(ai_dir, adopter)
    if not os.path.lexists(path):  # (step 4 done: the session is the adopter's)
        for gone in (pending_path(path), kept_path(ai_dir, path),
                     kept_path(ai_dir, pending_path(path))):
            unlink(gone)
    _drop_orphaned_kept(ai_dir, old, new)
    try:
        names = sorted(os.listdir(old))
    except OSError:
        return []
    moves = []
    for name in names:
        one, there = join(old, name), join(new, name)
        if not named_as_ours(ai_dir, one) or os.path.islink(one) or os.path.islink(there):
            continue
        try:
            same = os.path.samefile(one, there) or (
                os.path.isfile(there) and storage.read_bytes(one) == storage.read_bytes(there))
        except (OSError, AiProtocolsError):
            continue
        if same:
            moves.append((one, there))
    if moves:
        try:
            _keep_carried(ai_dir, [there for _, there in moves])
        except (OSError, AiProtocolsError) as error:
            warn(f"the adopted earlier-entries files in {new} have no copy kept, and none "
                  f"could be made: {getattr(error, 'strerror', None) or error}")
            return []  # (the old names stay: they are the only second copy)
        drop_carried(ai_dir, moves)
    return [one for one, _ in moves]


def _drop_orphaned_kept(ai_dir: str, old: str, new: str) -> None:
    """The kept copies of earlier-entries files of the history folder ``old`` whose own
    name is gone, where the folder ``new`` holds the same bytes under that name (an
    adoption killed between removing an old name and its kept copy): removed, then
    their folders when that leaves them empty."""
    for folder in {parent(kept) for kept in _kept_copies(ai_dir, join(old, "x.org"))}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            kept, there = join(folder, name), join(new, name)
            if name.startswith(".") or os.path.lexists(join(old, name)) or \
                    os.path.islink(kept) or os.path.islink(there):
                continue
            try:
                same = os.path.samefile(kept, there) or (
                    os.path.isfile(there) and os.path.isfile(kept)
                    and storage.read_bytes(kept) == storage.read_bytes(there))
            except (OSError, AiProtocolsError):
                continue
            if same:
                unlink(kept)
        remove_empty_history(folder)
    remove_empty_history(old)


def uncarry(made: list[str]) -> None:
    """Remove the names :func:`carry` made (a move that failed)."""
    for name in made:
        unlink(name)


def drop_carried(ai_dir: str, moves: list[tuple[str, str]]) -> None:
    """After a move: the earlier-entries files' old names and kept copies removed (an
    archive has none), and their folder when that leaves it empty (best effort: a
    leftover is a copy no link names)."""
    folders = set()
    for old, _ in moves:
        unlink(old)
        for kept in _kept_copies(ai_dir, old):
            unlink(kept)
            folders.add(parent(kept))
        folders.add(parent(old))
    for folder in folders:
        try:
            storage.fsync_dir(folder)
        except OSError:
            pass
        remove_empty_history(folder)
