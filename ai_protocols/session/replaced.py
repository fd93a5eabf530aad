"""A session file git or a person replaced.

A branch switch (:func:`switched_from`), a stash (:func:`stashed_in`,
:func:`stashed_newer`, :func:`stash_moved`, :func:`stash_back`), another session's
file or a misplaced one (``refuse_other``, :func:`own_file_of`,
:func:`misplaced_warning`), an older version or one a commit carried
(``refuse_older``, :func:`carried_refusal`), and the warning and Log line a write
says when it puts the kept copy back (``replaced_warning``, :func:`put_back`).
docs/decisions.md, "Issue 14, eighth review (ninth reviewer: the kept copy, stashes,
advice that works)", "Issue 14, thirteenth round (git operations, stashes and
messages)", "Issue 14, eighteenth round (HEAD moved)" and "Twenty-third round: stale
saves over a committed write, a deletion, an autostash, and the cause said".
"""

from __future__ import annotations

import os
import stat

from ai_protocols import errors  # (a write's exceptions by name where caught: first use)
from ai_protocols.errors import (
    AiProtocolsError,
    SessionWrappedUp,
)
from ai_protocols.git.head import OPERATION_SAID
from ai_protocols.lean import quoted, shell_quote
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import CONTEXT_DIR, DEFAULT_CONTEXT, join, parent, safe_id
from ai_protocols.session.edit_base import Stored, head_properties, stored_in_git, written_later
from ai_protocols.session.names import kept_path
from ai_protocols.session.sections import (
    SESSION_ID_PROPERTY,
    head_of,
    other_session,
    session_headline,
    session_named,
)
from ai_protocols.session.stale_saves import opened_on
from ai_protocols.session.wrapped_copy import archive_of, refuse_put_back
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_protocols.errors import SessionCarried


__all__ = [
    "carried_away",
    "carried_refusal",
    "misplaced_warning",
    "moved_by",
    "other_session_elsewhere",
    "own_file_of",
    "put_back",
    "refuse_misplaced",
    "refuse_older",
    "refuse_other",
    "replaced_warning",
    "stash_back",
    "stash_moved",
    "stashed_in",
    "stashed_newer",
    "switched_from",
]


def switched_from(path: str, kept: str) -> tuple[str, str, str] | None:
    """When the session file ``path`` is gone because ``HEAD`` left the branch it is
    committed on (``git switch``, ``git checkout -b NEW OLD``: git removes a tracked file
    the new commit lacks, git-checkout(1)): ``(branch, here, top)``, the branch its
    kept copy ``kept`` records (``GIT_BRANCH``) whose tip holds the file, where ``HEAD``
    is now (a branch, or "a detached HEAD"), and the project's folder (the work tree's
    top, or the folder below it that holds ``.ai/``), where ``git switch BRANCH`` brings
    the file back and ``ai-protocols`` finds it. ``None`` otherwise: no such branch
    recorded, ``HEAD`` on it, the branch not holding the file, or checked out in another work tree
    (:func:`~ai_protocols.git.history.checked_out_at`: ``git switch`` refuses it there, so
    ``start`` brings the file back; issue 14, nineteenth round). Reads the kept copy's
    first lines and git's files; git runs (``git cat-file -e``, then ``git worktree
    list``) only when the branches differ."""
    from ai_protocols.git.head import branch_text, read_head

    try:
        head = storage.read_regular(kept, 8192).decode("utf-8", "replace")
    except (OSError, storage.NotRegular):
        return None
    import re

    found = re.search(r"^[ \t]*:GIT_BRANCH:[ \t]+(\S.*?)[ \t]*$", head, re.MULTILINE)
    folder = parent(path)
    while not os.path.isdir(folder) and parent(folder) != folder:
        folder = parent(folder)
    now = read_head(folder)
    if found is None or now is None or branch_text(now[0]) == found.group(1):
        return None
    branch = found.group(1)
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        top = GitRun(["git", "-C", folder, "rev-parse", "--show-toplevel"], git_env(),
                     None).wait().decode("utf-8", "surrogateescape").strip()
        name = os.path.relpath(path, top).replace(os.sep, "/")
        GitRun(["git", "-C", top, "cat-file", "-e", f"refs/heads/{branch}:{name}"],
               git_env(), None).wait()
    except (GitFailed, ValueError):
        return None
    from ai_protocols.git.history import checked_out_at

    if checked_out_at(top, branch) is not None:  # (git switch refuses it here: start it is)
        return None
    here = f"branch {branch_text(now[0])}" if now[0] is not None else "a detached HEAD"
    from ai_protocols.paths import project_of

    # (the project's folder, not the top: git runs anywhere in the work tree, and
    # ai-protocols finds the session there after a cd; issue 14, twenty-first round)
    folder = project_of(path)
    return branch, here, folder if folder.startswith(top.rstrip(os.sep) + os.sep) else top


def stashed_in(path: str) -> str | None:
    """The top of the work tree whose newest stash entry holds the session file ``path``
    (gone from the work tree: ``git stash -u`` took it, untracked, its third parent; or
    tracked, its own tree), so that ``git stash pop`` there brings it back; ``None``
    otherwise. No process without a stash (:func:`ai_protocols.git.head.has_stash`);
    else up to three git runs, on the way to an error only."""
    from ai_protocols.git.head import has_stash

    folder = parent(path)
    probe = folder
    while not os.path.isdir(probe) and parent(probe) != probe:
        probe = parent(probe)  # (the folder itself may be gone with the file)
    if not has_stash(probe):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        top = GitRun(["git", "-C", probe, "rev-parse", "--show-toplevel"], git_env(),
                     None).wait().decode("utf-8", "surrogateescape").strip()
    except GitFailed:
        return None
    if not top:
        return None
    relative = os.path.relpath(path, top)
    for ref in ("refs/stash^3", "refs/stash"):
        try:
            GitRun(["git", "-C", top, "rev-parse", "-q", "--verify", f"{ref}:{relative}"],
                   git_env(), None).wait()
        except GitFailed:
            continue
        return top
    return None


def refuse_older(ai_dir: str, path: str, doc: OrgFile,
                  read_as: os.stat_result | None) -> Stored | None:
    """:class:`~ai_protocols.errors.SessionReplaced` when the file is not the version
    this tool last wrote (another version than its kept copy,
    :func:`~ai_protocols.storage.files.same_version`), that version
    was written later than the file's (``UPDATED_AT``, else ``UPDATED``), and git does
    not hold it: an older one was put back, and a write would lose what the newer one
    holds. When git holds it (a branch switch or a reset put a committed version
    back), the write goes on, and where git holds it is returned
    (:class:`~ai_protocols.session.edit_base.Stored`) for the Log and the warning to name. ``None``
    otherwise. A person's save in Emacs makes a new inode too, but keeps its time: it passes. Raised
    too when git holds it but put nothing back (:func:`_saved_over_commit`: an editor's stale save
    over the tool's write committed since), so that the stale-save merge backs of
    :meth:`~ai_protocols.session.transaction.Editing._open` take it, as over an uncommitted
    write."""
    kept = kept_path(ai_dir, path)
    try:
        st = os.stat(kept, follow_symlinks=False)
    except OSError:  # (no kept copy: git clean -fdx, a fresh clone; the stash may tell)
        return stashed_newer(path, doc) if read_as is not None else None
    if read_as is None or storage.same_version(st, read_as):
        return None
    if stat.S_ISLNK(st.st_mode):  # (the record of a carry to another work tree)
        carried = carried_refusal(path, kept)
        if carried is not None:
            raise carried
        return None
    try:
        head = storage.read_regular(kept, 65536).decode("utf-8", "replace")
    except (OSError, storage.NotRegular):
        return None
    headline = session_headline(OrgFile(head[: head.rfind("\n") + 1]))
    mine = session_headline(doc)
    if headline is None or mine is None:
        return
    from ai_protocols.session import entries_compared
    from ai_protocols.session.cause import committed_by, head_put_back

    stored = refuse_other(ai_dir, path, kept, mine.properties, headline.properties,
                           entries_compared._texts(doc, kept), replaced_ok=True)
    if stored is not None:
        return stored
    if written_later(*((h.properties.get("UPDATED_AT"),
                        parse_timestamp(h.properties.get("UPDATED", "")))
                       for h in (headline, mine))):
        try:
            newer = storage.read_regular(kept)
        except (OSError, storage.NotRegular):
            newer = None
        if newer is not None and committed_by(path, newer) is not None:
            return None  # (a commit made here holds the file: a person's choice, committed)
        stored = stored_in_git(path, kept)
        if stored is None or stored.reflog_only or \
                _saved_over_commit(ai_dir, path, doc, stored.blob):
            lacking, loses, said = entries_compared._lacking(ai_dir, path, kept, doc)
            cause = head_put_back(path, headline.properties.get("GIT_BRANCH") or None,
                                  newer)[1]
            from ai_protocols.git.head import has_stash

            raise errors.SessionReplaced(path, kept, stored.blob if stored is not None else None,
                                         lacking, loses=loses, said=said, cause=cause,
                                         stash=has_stash(parent(path)))
        stored.last_head = (headline.properties.get("GIT_BRANCH") or None,
                            headline.properties.get("GIT_COMMIT") or None)
        return stored
    return None


def _saved_over_commit(ai_dir: str, path: str, doc: OrgFile, blob: str) -> bool:
    """Whether the session file ``path`` (read as ``doc``), older than its kept copy
    while a commit holds that copy (as ``blob``, :class:`~ai_protocols.session.edit_base.Stored`),
    is an editor's stale save over the tool's write, not a version git put back: ``HEAD``'s version
    of the file is the kept copy itself (the tool's write committed as it was: a checkout or a
    reset writes ``HEAD``'s version, which the file is not; a merge's result holds what
    git brought too, and is left to the rules of a pull) and the file is no version
    committed as it is (:func:`~ai_protocols.session.stale_saves.opened_on` gives another: something
    was typed in it, or the version it was opened on was never committed; ``git checkout OLD --
    FILE`` puts a committed version back, which stands). docs/decisions.md, "Twenty-third round:
    stale saves over a committed write ...". Runs git up to three times, only when the
    file is older than its kept copy and git holds that copy; raises nothing of its
    own."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    try:
        head = GitRun(["git", "-C", root, "rev-parse", "--verify", "-q",
                       f"HEAD:./{os.path.relpath(path, root)}"], git_env(), None).wait()
    except (GitFailed, OSError):
        return False
    if head.decode("ascii", "replace").strip() != blob:
        return False  # (HEAD's version is another: git put the file here, or merged)
    data = b"".join(doc.encoded())
    return opened_on(path, data, b"", None) != data


def carried_refusal(path: str, kept: str) -> SessionCarried | None:
    """When the kept copy ``kept`` of the session file ``path`` is a symbolic link to
    an absolute path of a file there (the record the carry advice of
    :func:`ai_protocols.session.resume.replaced_warning` leaves: issue 14, nineteenth
    round, "work elsewhere"): :class:`~ai_protocols.errors.SessionCarried`, naming the
    work tree it went to (the link's path less ``path``'s own below its work tree's top,
    :func:`~ai_protocols.paths.git_dirs`), and whether what it names is gone (that work
    tree removed or moved, the session there wrapped up: said so, and a write here is
    refused until the record is removed; issue 14, twentieth round: it was taken for no
    record, and the write went on with no word); ``None`` otherwise (no link, or a
    relative one: no record of ours). When what it names is gone because ``git
    worktree move`` took that work tree elsewhere, where its file is now
    (:func:`~ai_protocols.git.history.moved_worktree`: the refusal names it, with the
    ``ln -sf`` that brings the record up to date and the ``cd`` there). One
    ``readlink``, one ``stat`` (and one git run when the file there is gone): call
    when the kept copy is not the file (a rare path)."""
    try:
        dest = os.readlink(kept)
    except OSError:
        return None
    if not os.path.isabs(dest):
        return None
    from ai_protocols.paths import git_dirs, relative_to

    dirs = git_dirs(parent(path))
    below = relative_to(path, dirs[0]) if dirs else os.path.basename(path)
    there = dest[:-len(below) - 1] if dest.endswith(os.sep + below) else parent(dest)
    gone = not os.path.isfile(dest)
    moved = None
    # (the project's folder there, where the cd goes: a project below the top of its
    # work tree has its .ai/ there; issue 14, twenty-first round)
    from ai_protocols.paths import project_of, same_place

    root = project_of(path)
    moved_folder = None
    if gone and dest.endswith(os.sep + below):  # (git worktree move: git knows where)
        from ai_protocols.git.history import moved_worktree

        top = moved_worktree(parent(path), there)
        if top is not None and os.path.isfile(os.path.join(top, below)):
            moved = (top, os.path.join(top, below))
            moved_folder = same_place(root, top)
    return errors.SessionCarried(path, dest, there, kept, gone=gone,
                                 here=os.path.lexists(path), moved=moved,
                                 folder=same_place(root, there), moved_folder=moved_folder)


def carried_away(ai_dir: str, path: str) -> SessionCarried | None:
    """When the session file ``path`` is gone and its kept copy's place is the record of
    a carry (the file itself moved to another work tree, the kept copy made a link to it:
    the carry advice's plain route; issue 14, twentieth round: nothing here said where
    the session went, and ``start`` began a second one): :func:`carried_refusal`'s
    error, which every command that finds the file gone raises or says (``log``,
    ``show``, ``resume``, ``status``, ``start``); ``None`` otherwise. One ``lstat``, and
    a ``readlink`` and a ``stat`` when it is a link: call when the file is gone."""
    kept = kept_path(ai_dir, path)
    if not os.path.islink(kept):
        return None
    return carried_refusal(path, kept)


def stashed_newer(path: str, doc: OrgFile) -> Stored | None:
    """Where there is no kept copy to compare with (``git clean -fdx`` took it after a
    plain ``git stash``; a fresh clone): the newest stash entry's version of the session
    file ``path`` (its tracked files, else its untracked ones, ``refs/stash^3``,
    git-stash(1)), as a :class:`~ai_protocols.session.edit_base.Stored` only in the stash, when it
    is the same session (the same ``SESSION_ID``) and was written later than the file
    (:func:`~ai_protocols.session.edit_base.written_later`); ``None`` otherwise (issue 14,
    thirteenth round: the write into the older version warned, as with a kept copy). No process
    without a stash (:func:`ai_protocols.git.head.has_stash`, a ``stat`` or two); else two or three
    git runs, once: the write makes the kept copy."""
    from ai_protocols.git.head import has_stash

    folder = parent(path)
    mine = session_headline(doc)
    if mine is None or not mine.properties.get(SESSION_ID_PROPERTY) or \
            not has_stash(folder):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    name = "./" + os.path.basename(path)
    for ref in ("refs/stash", "refs/stash^3"):
        try:
            blob = GitRun(["git", "-C", folder, "rev-parse", "-q", "--verify",
                           f"{ref}:{name}"], git_env(), None).wait().decode("ascii").strip()
            data = GitRun(["git", "-C", folder, "cat-file", "blob", blob], git_env(),
                          None).wait()
        except (GitFailed, UnicodeDecodeError):
            continue
        headline = head_of(data)
        if headline is None or headline.properties.get(SESSION_ID_PROPERTY) != \
                mine.properties.get(SESSION_ID_PROPERTY):
            return None
        if not written_later(*((h.properties.get("UPDATED_AT"),
                                parse_timestamp(h.properties.get("UPDATED", "")))
                               for h in (headline, mine))):
            return None
        stored = Stored(blob, "the stash (git stash list)", True)
        stored.last_head = (headline.properties.get("GIT_BRANCH") or None,
                            headline.properties.get("GIT_COMMIT") or None)
        return stored
    return None


def refuse_other(ai_dir: str, path: str, kept: str, file: dict[str, str],
                  mine: dict[str, str], texts: Callable[[], tuple[str, str]], *,
                  replaced_ok: bool = False) -> Stored | None:
    """:class:`~ai_protocols.errors.OtherSession` when the session file at ``path``
    (its headline's properties ``file``) is another session than its kept copy at
    ``kept`` (``mine``): :func:`~ai_protocols.session.sections.other_session`, the one
    rule; ``texts`` gives the two files' texts, read only when their objectives or
    titles differ. A few string comparisons otherwise. When an archive holds the kept
    copy's session (:func:`~ai_protocols.session.wrapped_copy.archive_of`: it was wrapped up in
    another clone, and a pull brought that and a new session), the error names it (``archived``):
    the way is to bring the kept copy's entries into that archive (``merge-kept``), not to put the
    wrapped-up session back over the new one. When another live session file holds the
    kept copy's session (the same ``SESSION_ID``: :func:`own_file_of`, a merge gave it a
    file of its own), the error names it (``moved``): carry on there, never put it back
    here (issue 14, thirteenth round). Else, with ``replaced_ok``, when git holds the
    kept copy in a commit a branch, a tag or the stash reaches
    (:func:`~ai_protocols.session.edit_base.stored_in_git`: a branch switch to a branch with its own
    session), nothing is at risk: where git holds it is returned and the write goes on, as for an
    older version of one session (docs/git.md, "replaced"); ``None`` when the two are one
    session."""
    why = other_session(file, mine, texts)
    if why is None:
        return None
    refuse_put_back(ai_dir, path)  # (the file's session is archived: exit 7, one rule)
    archived = archive_of(ai_dir, mine)
    moved = own_file_of(ai_dir, path, mine) if archived is None else None
    if moved is not None:
        from ai_protocols.session.entries_compared import kept_lacks

        raise errors.OtherSession(path, kept, why, session_named(mine), session_named(file),
                                  moved=moved, moved_lacks=kept_lacks(kept, moved),
                                  moved_kept=None if os.path.lexists(kept_path(ai_dir, moved))
                                  else kept_path(ai_dir, moved))
    if replaced_ok and archived is None:
        stored = stored_in_git(path, kept)
        if stored is not None and not stored.reflog_only:
            stored.last_head = (mine.get("GIT_BRANCH") or None, mine.get("GIT_COMMIT") or None)
            stored.other = True
            return stored
    raise errors.OtherSession(path, kept, why, session_named(mine), session_named(file),
                              archived=archived)


def other_session_elsewhere(ai_dir: str, path: str, kept: str, file: dict[str, str],
                            mine: dict[str, str],
                            texts: Callable[[], tuple[str, str]]) -> str | None:
    """For the read commands' warning (``resume``, ``status``, ``show``), the writes' own
    rule (:func:`refuse_other`) when the session file at ``path`` (headline properties
    ``file``) is another session than its kept copy at ``kept`` (``mine``) and that
    session lives on elsewhere: in a file of its own (the refusal's reason, naming it),
    or in a commit git keeps (a branch switch: the warning the write gives, "this
    branch's session now"). ``None`` otherwise (the caller says what it says). Runs git
    (:func:`~ai_protocols.session.edit_base.stored_in_git`) only for another session."""
    try:
        stored = refuse_other(ai_dir, path, kept, file, mine, texts, replaced_ok=True)
    except errors.OtherSession as error:
        return error.reason if error.moved is not None else None
    except SessionWrappedUp as error:  # (an archived session put back over this one)
        return error.message
    return None if stored is None else replaced_warning(path, stored, ai_dir)


def own_file_of(ai_dir: str, path: str, props: dict[str, str]) -> str | None:
    """Another live session file than ``path`` (``.ai/session-context.org`` or an agent's
    ``.ai/session-context.d/<id>.org``) whose session headline holds the ``SESSION_ID``
    of ``props`` (random, written once by ``start``: the same session): a merge gave the
    session a file of its own (docs/git.md). ``None`` when ``props`` hold no
    ``SESSION_ID`` or no such file is there. Reads each file's first 64 KiB; on a
    refusal's path only."""
    wanted = props.get(SESSION_ID_PROPERTY)
    if not wanted:
        return None
    ai_dir = ai_dir.rstrip("/")
    folder = join(ai_dir, CONTEXT_DIR)
    try:
        names = sorted(n for n in os.listdir(folder)
                       if n.endswith(".org") and not n.startswith("."))
    except OSError:
        names = []
    for candidate in [join(ai_dir, DEFAULT_CONTEXT)] + [join(folder, n) for n in names]:
        if os.path.normpath(candidate) == os.path.normpath(path):
            continue
        there = head_properties(candidate)
        if there and there.get(SESSION_ID_PROPERTY) == wanted:
            return candidate
    return None


def refuse_misplaced(ai_dir: str, path: str, doc: OrgFile) -> None:
    """:class:`~ai_protocols.errors.OtherSession` when the file at ``path``, an agent's
    own (``.ai/session-context.d/<id>.org``, :func:`ai_protocols.paths.context_path_text`),
    holds the session of another ``AGENT_ID`` than the one its name is for, and that
    agent's own file holds that very session (the same ``STARTED``): another agent's
    file copied over it (``cp B.org A.org`` writes into the file in place, and so into
    its kept copy, the same inode). The default agent's file (``.ai/session-context.org``,
    whose own sessions hold no ``AGENT_ID``) holding an agent's session that agent's
    own file holds too is refused as well. A session a person brought in under this
    name (its agent has no such file) is written as before. A file whose headline has
    no ``AGENT_ID``, or outside those places, is not checked. When no kept copy is
    there (a fresh clone, ``git clean -fdx``) the refusal says so and advises no ``cp``.
    One dict look-up and a name compared; the other agent's file read only when the names differ."""
    headline = session_headline(doc)
    if headline is not None:
        _misplaced(ai_dir, path, headline.properties)


def misplaced_warning(ai_dir: str, path: str) -> str | None:
    """What a write into the session file at ``path`` would be refused with by
    :func:`refuse_misplaced` (another agent's own session at this path), for the read
    commands' warning (``resume``, ``status``, ``start``); ``None`` otherwise. Reads the
    file's first headline."""
    props = head_properties(path)
    if not props:
        return None
    try:
        _misplaced(ai_dir, path, props)
    except errors.OtherSession as error:
        return error.reason
    return None


def _misplaced(ai_dir: str, path: str, props: dict[str, str]) -> None:
    """:func:`refuse_misplaced` given the session headline's properties ``props``."""
    agent = props.get("AGENT_ID")
    folder, name = os.path.split(path)
    if not agent:
        return
    if os.path.basename(folder) == CONTEXT_DIR and parent(folder) == ai_dir.rstrip("/"):
        mine = {"AGENT_ID": name[: -len(".org")] if name.endswith(".org") else name}
    elif path == join(ai_dir.rstrip("/"), DEFAULT_CONTEXT):
        # The default agent's file (no AI_AGENT_ID): its own sessions hold no AGENT_ID
        # (start writes none; an adoption removes it).
        folder, mine = join(ai_dir.rstrip("/"), CONTEXT_DIR), {}
    else:
        return
    try:
        own = f"{safe_id(agent)}.org"
    except AiProtocolsError:
        return  # (an id no file name is made from: nothing to compare)
    if own == name and mine:
        return
    # A copy of that agent's own live session (the same STARTED there): not a file a
    # person brought in to carry on under this name, which is written as it is.
    theirs = head_properties(join(folder, own)) or {}
    if (theirs.get("AGENT_ID"), theirs.get("STARTED"), theirs.get(SESSION_ID_PROPERTY)) != \
            (agent, props.get("STARTED"), props.get(SESSION_ID_PROPERTY)):
        return
    kept = kept_path(ai_dir, path)
    try:
        same = storage.same_version(os.stat(kept), os.stat(path))
    except OSError:
        same = False
    raise errors.OtherSession(path, kept, f"its AGENT_ID is {quoted(agent, 80)}, its file's "
                              f"name {quoted(name, 80)}", session_named(mine),
                              session_named(props), same_file=same,
                              no_kept=not same and not os.path.lexists(kept))


def replaced_warning(path: str, stored: Stored, ai_dir: str) -> str:
    """The warning of a write that goes into an older version of ``path`` than the one
    this tool wrote last, saying where git holds that one
    (:class:`~ai_protocols.session.edit_base.Stored`), and, when only the stash does, the commands
    that bring it back with this write's entries: ``git stash pop`` refuses while the file has
    changes of its own (git-stash(1)), so this write is committed first, and the pop merges the two
    versions through the session merge driver (docs/git.md). What happened is named as git's files
    and the stash say it (issue 14, eleventh round): a stash, a stash and then a checkout of
    another commit (:func:`stash_moved`), a checkout to a detached ``HEAD``. When the
    stash holds the file untracked (its third parent), the commit advised for a tracked
    one fails (no pathspec matches) and the pop refuses the file here: the commands that
    work instead, which ``status`` gives after the write
    (:func:`ai_protocols.session.resume_stash.untracked_pop`: they merge this write back in,
    so they are said once it is written; issue 14, twenty-fourth round). ``ai_dir``:
    the project's ``.ai`` folder."""
    blob = stored.blob[:12]
    folder = parent(path)
    from ai_protocols.git.head import read_head

    head = read_head(folder)
    detached = head is not None and head[0] is None and head[1] is not None
    if not stored.stash_only:
        what, how = put_back(path, stored)
        if stored.other:
            return (f"{path} holds another session than the one ai-protocols last wrote "
                    f"there: git put {what} here ({how}): it is this branch's session now, "
                    f"and this write goes into it; the one written last is in git as blob "
                    f"{blob}, reachable from {stored.where} (git show {blob})")
        return (f"git put {what} at {path} ({how}); this write goes into it, and the one "
                f"ai-protocols wrote last is in git as blob {blob}, reachable from "
                f"{stored.where} (git show {blob})")
    moved = stash_moved(folder)
    from ai_protocols.git.head import operation

    under_way = operation(folder) if moved is not None else None
    if moved is None:
        back = stash_back(path, detached=detached)
        from ai_protocols.session.cause import stash_untracked

        if stash_untracked(path, stored.blob):  # (no commit of a file git does not track)
            back = (f"the stash holds it as an untracked file (git stash -u), which git "
                    f"stash pop refuses while a file is here and no commit can take: run "
                    f"ai-protocols status (from {parent(ai_dir)}) after this write for the "
                    f"commands that bring it back (the file moved aside, the pop, "
                    f"ai-protocols merge-kept)")
        return (f"{path} is an older version than the one ai-protocols last wrote (git "
                f"stash put it back?); this write goes into it, and the newer one is in git "
                f"as blob {blob} only in the stash (git stash list; git show {blob}); to get "
                f"it back with what is written here: {back}")
    return (f"{path} is an older version than the one ai-protocols last wrote: git stash "
            f"took that one (it is in git as blob {blob}, only in the stash: git stash "
            f"list; git show {blob}), and then HEAD moved off the commit the stash was made "
            f"on ({moved[2]}) to {moved[3]} ({moved_by(under_way)}); this write goes "
            f"into that commit's version of the file. To get the newer one back with what "
            f"is written here: "
            f"{stash_back(path, detached=detached, moved=moved, operation=under_way)}")


def put_back(path: str, stored: Stored) -> tuple[str, str]:
    """What git put at the session file ``path`` over the version this tool wrote last
    (which git holds: ``stored``, :class:`~ai_protocols.session.edit_base.Stored`) and what did it,
    as git's files say (:func:`ai_protocols.git.head.read_head`,
    :func:`~ai_protocols.git.head.operation`): the one rule of the Log's ``replaced:`` line and the
    write's warning (:func:`replaced_warning`). ``HEAD`` on another branch than the one the last
    write recorded (``GIT_BRANCH``, :attr:`~ai_protocols.session.edit_base.Stored.last_head`):
    ``("the session file of branch B", "a switch from branch A")``, never "an older version" (the
    file is that branch's, not an older one of this). Otherwise ``"an older version of this file"``
    and ``"git stash"``, ``"the git OP under way"``, ``"a checkout of commit C, HEAD
    detached"``, ``"a git reset or checkout of branch B"`` (``HEAD`` still on the branch
    written on, and its version of the file is the file), :data:`RESTORED` (on that
    branch, its version another: no reset or checkout wrote the file), or ``"a branch
    switch or a reset"`` (no branch recorded). Branch names are quoted
    (:func:`ai_protocols.lean.quoted`). A few ``stat`` and reads of git's files; one
    ``git show`` when on the branch written on."""
    from ai_protocols.session.cause import OLDER, head_put_back

    if stored.stash_only:
        return OLDER, "git stash"
    return head_put_back(path, stored.last_head[0] if stored.last_head else None)


def moved_by(operation: str | None) -> str:
    """What moved ``HEAD`` off the commit a stash was made on, for a person: the git
    ``operation`` under way (:func:`ai_protocols.git.head.operation`: a bisect's or a
    rebase's checkouts), else a checkout or switch."""
    return f"the git {operation} under way" if operation else "a git checkout or switch"


def stash_moved(folder: str) -> tuple[str, str | None, str, str] | None:
    """When ``HEAD`` of the work tree around ``folder`` is no longer the commit the
    newest stash entry was made on (its first parent, git-stash(1) "Discussion"): a
    checkout or switch came after the stash. Returns that commit, the branch it was
    made on (from the entry's subject, ``WIP on NAME:`` or ``On NAME:``; ``None`` for
    ``(no branch)``, a detached ``HEAD``), and the two places said for a person (where
    the stash was made, where ``HEAD`` is); ``None`` when ``HEAD`` is that commit, or
    git cannot say. A branch another work tree has checked out
    (:func:`~ai_protocols.git.history.checked_out_at`) is said so and given as ``None``:
    ``git switch`` refuses it here, so the way back is its commit, detached (issue 14,
    nineteenth round). Two or three git runs (only on the way to a warning)."""
    import re

    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import branch_text, read_head
    from ai_protocols.git.spawn import GitRun, git_env

    head = read_head(folder)
    try:
        base = GitRun(["git", "-C", folder, "rev-parse", "-q", "--verify", "refs/stash^1"],
                      git_env(), None).wait().decode("ascii", "replace").strip()
        subject = GitRun(["git", "-C", folder, "show", "-s", "--format=%s", "refs/stash"],
                         git_env(), None).wait().decode("utf-8", "surrogateescape")
    except GitFailed:
        return None
    if head is None or not base or head[1] == base:
        return None
    found = re.match(r"(?:WIP on|On) ([^:]+):", subject)
    made_on = found.group(1) if found and found.group(1) != "(no branch)" else None
    there = (f"branch {branch_text(made_on)} at {base[:12]}" if made_on else
             f"a detached HEAD at {base[:12]}")
    if made_on:  # (git switch refuses a branch another work tree has checked out)
        from ai_protocols.git.history import checked_out_at

        elsewhere = checked_out_at(folder, made_on)
        if elsewhere is not None:  # (go back to its commit, detached: git switch takes it)
            there += (f", which is checked out in the work tree {quoted(elsewhere, 200)}, "
                      f"where git switch {shell_quote(made_on)} refuses it here")
            made_on = None
    here = (f"a detached HEAD at {head[1][:12]}" if head[0] is None and head[1] else
            f"branch {branch_text(head[0])} at {(head[1] or '')[:12]}" if head[1] else
            f"branch {branch_text(head[0])}, before its first commit")
    return base, made_on, there, here


def stash_back(path: str, commit: bool = True, *, detached: bool = False,
               moved: tuple[str, str | None, str, str] | None = None,
               operation: str | None = None, chained: bool = False) -> str:
    """The commands that bring back the version of the session file ``path`` only the
    stash holds, keeping what was written into the older one since (``commit``: the file
    has changes of its own): ``git stash pop`` refuses while it has them (git-stash(1)),
    so they are committed first, and the pop merges the two versions through the
    session merge driver (docs/git.md). On a detached ``HEAD`` (``detached``) a commit
    belongs to no branch, and a later ``git switch`` leaves it behind: a branch is made
    first (``git switch -c NAME``). When ``HEAD`` moved off the commit the stash was made
    on (``moved``, :func:`stash_moved`), going back there comes first: the file's changes
    put aside (``git checkout --``: they stay in the copy ai-protocols keeps), the switch
    back, the pop, then ``ai-protocols merge-kept`` merges the write back in; staying
    here is the other way. While a git ``operation`` is under way (a bisect, a rebase,
    :func:`ai_protocols.git.head.operation`: it moved ``HEAD``), one procedure: the
    file's changes put aside, the operation ended (``git bisect reset`` goes back where
    it began; ``git rebase --abort`` and the other aborts too: git-bisect(1),
    git-rebase(1)), the pop, ``merge-kept``; no commit in the middle of it. Quoted to
    paste (:func:`~ai_protocols.lean.shell_quote`); with ``chained``, the commit and the
    pop of the plain case joined by ``&&``, to paste after other commands."""
    if operation is not None and moved is not None:
        end = "git bisect reset" if operation == "bisect" else f"git {operation} --abort"
        aside = f"git checkout -- {shell_quote(path)} && " if commit else ""
        return (f"a git {operation} {OPERATION_SAID}, then pop the stash where it was "
                f"made ({end} goes back to where the {operation} began), with: {aside}{end} "
                f"&& git stash pop && ai-protocols merge-kept {shell_quote(path)} (what was "
                f"written here stays in the copy ai-protocols keeps, and merge-kept merges "
                f"it back in); log nothing in between")
    branch = "git switch -c NAME (HEAD is detached: a commit there is on no branch), " \
        "then " if detached and commit else ""
    then = " && " if chained and not branch else ", then "
    first = f"{branch}git commit -m 'Session' -- {shell_quote(path)}{then}" if commit else ""
    here = f"{first}git stash pop (the merge driver merges the two)"
    if moved is None:
        return here
    from ai_protocols.git.head import branch_name

    back = f"git switch {shell_quote(branch_name(moved[1]) or '')}" if moved[1] else \
        f"git switch --detach {moved[0][:12]}"
    aside = f"git checkout -- {shell_quote(path)} (what was written here stays in the copy " \
        "ai-protocols keeps), " if commit else ""
    return (f"either go back to where the stash was made: {aside}{back}, git stash pop, "
            f"then ai-protocols merge-kept {shell_quote(path)} (it merges back in what was "
            f"written here); or stay here: {here}")
