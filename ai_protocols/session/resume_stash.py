"""What the resume context says of a session file a stash, an editor's stale save or
another session's file stands for: how ``git stash pop`` brings the version this tool
wrote last back (:func:`_stash_advice`, :func:`untracked_pop`), and the warnings' words
for a stale save (:func:`_stale_warning`), another session (:func:`_other_session_warning`)
and a checkpoint (:func:`_checkpoint_whereabouts`). Read only when one of them is
there (:mod:`ai_protocols.session.resume` imports it where it says so).
docs/decisions.md, "Twenty-eighth round: the SessionStart hook beside 1,000 files, and
resume.py split".
"""

from __future__ import annotations

import os

from ai_protocols.lean import (
    digits,
    display,
    shell_quote,
)
from ai_protocols.paths import relative_to
from ai_protocols.session.model import Session
from ai_protocols.session.names import (
    kept_path,
)
from ai_protocols.session.resume_form import (
    _clip,
    _is_hash,
)
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import Project


def _stash_pop_refused(project: Project, path: str, fix: str) -> str | None:
    """When ``git stash pop`` would refuse to bring back the newest stash entry because
    the session file ``path`` has changes of its own and the entry changes it too
    (git-stash(1): "Your local changes ... would be overwritten"): the stash advice
    (:func:`_stash_advice`'s words) with the commands that work, to paste from the
    project's root: ``fix`` (``ai-protocols merge-kept FILE``, or the ``cp`` of the kept
    copy, as the advice after it says), which makes the file hold every version the tool
    and the person wrote, then :func:`~ai_protocols.session.replaced.stash_back`'s
    commit and pop (the merge driver merges the stash's version in). ``None`` when the
    pop would not refuse (the file as ``HEAD`` holds it, or the stash leaves it as it
    was). Runs git twice, on a warning's path only (docs/decisions.md, "Issue 14,
    twenty-first round (stale saves, a fresh review)")."""
    from ai_protocols.git.head import read_head
    from ai_protocols.git.state import _git
    from ai_protocols.session.replaced import stash_back, stash_moved

    folder = os.path.dirname(path)
    name = "./" + os.path.basename(path)
    if not _git(folder, "status", "--porcelain", "--", name):
        return None  # (no change of its own: the pop brings the stash's version back)
    if _git(folder, "diff", "--quiet", "refs/stash^1", "refs/stash", "--", name) \
            is not None:
        return None  # (the stash does not change the file: the pop leaves it alone)
    here = relative_to(path, project.root_text)
    head = read_head(folder)
    moved = stash_moved(folder)
    detached = head is not None and head[0] is None and head[1] is not None
    back = stash_back(here, True, moved=moved, detached=detached, chained=True)
    joined = " && " if moved is None and not detached else ", then "
    return (f"if git stash took the work, it is in the stash (git stash list), and git "
            f"stash pop refuses it while this file has changes of its own: to bring the "
            f"work and the session file back with what is here, from "
            f"{_clip(project.root_text, 120)}: {fix}{joined}{back}")


def _head_moved(project: Project, session: Session) -> bool:
    """Whether git may have brought a version of the session file since the commit it
    records (``GIT_COMMIT``): the stale-save merge back's own gate
    (:func:`~ai_protocols.session.stale_saves.git_moved`, from git's files, no process),
    the one condition under which a save from a buffer opened before may lack what git
    brought (:func:`~ai_protocols.session.transaction.next_write_merges` looks
    further)."""
    from ai_protocols.git.head import read_head
    from ai_protocols.session.stale_saves import git_moved

    return git_moved(project.root_text, read_head(project.root_text), session.git_commit)


def _stale_warning(project: Project, path: str) -> str | None:
    """:func:`replaced_warning`'s words when the next write merges the session file
    ``path`` back on its own or refuses it as a stale save
    (:func:`~ai_protocols.session.transaction.next_write_merges`, the functions the
    write runs: an editor's buffer opened before git or this tool changed the file,
    saved after): what the file lacks that the merge brings back, said by kind, and
    that a write (or ``merge-kept``) must run before the file is committed, in the words
    the write says (:func:`~ai_protocols.session.stale_said.next_write_said`); or,
    when the write refuses it
    (:class:`~ai_protocols.errors.StaleSave`: both changed the same lines), that it
    does, with the commands that merge the three (the refusal's own, its files written
    beside the kept copy). ``None`` otherwise. Runs git a few times, on the warning's
    path only (docs/decisions.md, "Issue 14, twentieth round (the base of a stale
    save's merge)", "twenty-first round (the stale save's refusal)")."""
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.transaction import next_write_merges

    root = _clip(project.root_text, 120)
    try:
        stale = next_write_merges(project.ai_dir_text, path)
    except StaleSave as refused:
        how = refused.how[0].lower() + refused.how[1:]
        return (f"this session file was saved from an editor's buffer opened before git "
                f"changed it: it lacks {refused.what} that git brought ({refused.newer} "
                f"holds them), and both changed the same lines, so the next write here "
                f"refuses it (exit 6) until the three are merged; {how}{refused.commands} "
                f"(from {root}); in Emacs, revert the buffer first")
    if stale is None:
        return None
    here = relative_to(path, project.root_text)
    unkept = not os.path.lexists(kept_path(project.ai_dir_text, path))  # (a fresh clone's)
    merge = f"ai-protocols merge-kept {shell_quote(here)} (from {root})"
    from ai_protocols.session.stale_said import next_write_said  # (the write's words)

    return next_write_said(stale[1], stale[2], unkept, merge)


def _checkpoint_whereabouts(project: Project, newer: Session, point: str) -> str:
    """What :func:`replaced_warning` says of the checkpoint ``point`` (``"N HASH"``, as
    its Log line names it) the newer version records and the file lacks: where it is and
    the command that brings it back, by the one rule
    (:meth:`~ai_protocols.git.checkpoint.Checkpoints.whereabouts`: its ref here, its
    commit alone, or collected by git gc). Runs git a few times; only when warning."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.checkpoint import Checkpoints

    number, _, commit = point.partition(" ")
    it = f"checkpoint {_clip(number, 20)}"
    ref = newer.checkpoint if (newer.checkpoint or "").startswith("refs/") and \
        (newer.checkpoint or "").endswith(f"/{number}") else None  # (that one's ref)
    commit = commit if _is_hash(commit) else ""
    try:
        where = Checkpoints(project.root_text, project.agent_id).whereabouts(
            ref, commit, int(number) if digits(number) else None)
    except AiProtocolsError:
        return f"the uncommitted work of {it}: ai-protocols checkpoint list says where it is"
    return f"the uncommitted work of {it}: {where.say(it)}"


def _other_session_warning(project: Project, path: str, kept: str) -> str | None:
    """When the file at ``path`` is another session than its kept copy at ``kept``
    (:func:`~ai_protocols.session.sections.other_session`, the rule the writes and
    ``merge-kept`` apply, which refuse it): which two, and the commands that put the
    kept copy's session back (as :class:`~ai_protocols.errors.OtherSession` says
    them). ``None`` otherwise. Reads both files' first headline."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.sections import other_session, session_headline, session_named

    try:
        texts = [storage.read_regular(p).decode("utf-8", "replace") for p in (path, kept)]
    except (OSError, storage.NotRegular):
        return None
    file, mine = (session_headline(OrgFile(t)) for t in texts)
    if file is None or mine is None:
        return None
    why = other_session(file.properties, mine.properties, lambda: (texts[0], texts[1]))
    if why is None:
        return None
    here, copy = (shell_quote(relative_to(p, project.root_text)) for p in (path, kept))
    aside = shell_quote(relative_to(path, project.root_text) + ".other")
    from ai_protocols.session.wrapped_copy import archive_of

    archive = archive_of(project.ai_dir_text, mine.properties)
    if archive is not None:  # (wrapped up in another clone: never put back over this one)
        return (f"this session file holds another session ({session_named(file.properties)}) "
                f"than the one ai-protocols wrote last here "
                f"({session_named(mine.properties)}): {why}; that one was wrapped up (its "
                f"archive {relative_to(archive, project.root_text)} is here): bring what the "
                f"kept copy holds into the archive with ai-protocols merge-kept {here} "
                f"(from {_clip(project.root_text, 120)}), then commit the archive")
    from ai_protocols.session.replaced import other_session_elsewhere

    elsewhere = other_session_elsewhere(project.ai_dir_text, path, kept, file.properties,
                                        mine.properties, lambda: (texts[0], texts[1]))
    if elsewhere is not None:  # (in a file of its own, or a commit git keeps: no cp)
        return elsewhere
    return (f"this session file holds another session ({session_named(file.properties)}) "
            f"than the one ai-protocols wrote last here ({session_named(mine.properties)}): "
            f"{why}; no write goes into it: keep it aside and put this session back with "
            f"mv {here} {aside} && cp {copy} {here} "
            f"(from {_clip(project.root_text, 120)})")


def _after_pop(path: str, newer: str, blob: str, root: str, name: str, step: str) -> str:
    """The step after ``git stash pop`` brings back the session file ``path`` (``name``,
    from the project's root ``root``) as the stash holds it (``blob``): ``step``, which
    puts the newer version at ``newer`` over it (the kept copy's ``cp``, or the ``mv -f``
    of the file carried on since, as it is now), only when that loses nothing of the
    popped version (:func:`~ai_protocols.session.entries_compared.copy_loses`, the one rule of
    every ``cp`` advised: a line a person typed and saved before the stash took it, a
    tick, a note); else ``ai-protocols merge-kept NAME``, which keeps both (the newer
    version, when it is not the kept copy, is left aside). docs/decisions.md, "Issue 14,
    twenty-second round (a stale save committed)". Runs git (``git show BLOB``, and the
    base's two runs) on the warning's path only."""
    from ai_protocols.session.entries_compared import copy_loses
    from ai_protocols.session.transaction import git_version

    try:
        data = storage.read_regular(newer)
    except (OSError, storage.NotRegular):
        data = None
    popped = git_version(root, blob) if data is not None else None
    if data is None or popped is None or copy_loses(path, popped, data):
        return f"ai-protocols merge-kept {shell_quote(name)}"
    return step


def untracked_pop(project: Project, path: str, blob: str) -> str | None:
    """When the newest stash entry holds the session file ``path`` untracked (its third
    parent, ``refs/stash^3``, git-stash(1)) as the blob ``blob`` (an id, or its first hex
    digits) and the file is here again: :func:`_stash_advice`'s commands for
    ``project``, which move the file aside, pop, and merge what was written into it
    since back in (``ai-protocols merge-kept``): a commit of an untracked file matches
    no pathspec, and the pop refuses the file while it is here (issue 14, twenty-fourth
    round). ``None`` otherwise (then :func:`~ai_protocols.session.transaction.
    stash_back`'s commit and pop work). One or two git runs."""
    from ai_protocols.session.cause import stash_untracked

    if not os.path.lexists(path) or not stash_untracked(path, blob):
        return None
    return _stash_advice(project, " and the session file", written=path)


def _stash_advice(project: Project, also: str = "", written: str | None = None) -> str | None:
    """The one rule for a warning of work that is not here: when the repository has a
    stash (``git stash list`` lists one, git-stash(1)), where the work may be and how
    to bring it back (``also``: what else ``git stash pop`` brings back); ``None``
    without a stash (:func:`ai_protocols.git.head.has_stash`: a ``stat`` or two, no
    process); else one git run.

    When the newest entry holds untracked files that are here again (``start`` brought
    the session file back, and ``.ai/``'s own files with it: :func:`stash_untracked`),
    ``git stash pop`` refuses them all; the advice is then the commands that work, to
    paste (issue 14, eighth review): those of the tool's files removed first (the
    stash holds them: a session file comes back as ai-protocols wrote it last, from its
    kept copy), any other file moved aside, ``git stash pop``. ``written``: the session
    file a write went (or goes) into since the stash took it: after the pop,
    ``ai-protocols merge-kept`` merges that write (the kept copy) back into the stash's
    version; it is that session continued, not another."""
    from ai_protocols.git.head import has_stash  # (the one rule: git's files, no process)
    from ai_protocols.git.history import stash_untracked_blobs
    from ai_protocols.paths import git_dirs, is_tool_path, join, named_from, tool_folders

    root = project.root_text
    if not has_stash(root):
        return None
    said = "if git stash took the work, it is in the stash (git stash list): "
    # (git's paths, from the top, looked at there; said from the project's root, where
    # the command runs: a project below the top; issue 14, twenty-first round)
    dirs = git_dirs(root)
    top = dirs[0] if dirs else root
    tools = tool_folders(root)
    held = stash_untracked_blobs(root)
    here = [p for p in held if os.path.lexists(join(top, p))]
    if not here:
        return f"{said}git stash pop brings the work{also} back"
    name = dict(zip(here, named_from(root, here), strict=True))
    # Only what the stash holds as it is, or the tool's locks and kept copies, is
    # removed; anything else (a session started after the stash, a person's file) is
    # moved aside: never deleted (issue 14, twelfth round).
    gone = [p for p in here if is_tool_path(p, tools) and
            _same_as_stashed(top, p, held[p], tools)]
    aside = [p for p in here if p not in gone]
    steps = [f"mv -- {shell_quote(name[p])} {shell_quote(name[p] + '.before-pop')}"
             for p in aside]
    if gone:
        steps.append("rm -f -- " + " ".join(shell_quote(name[p]) for p in gone))
    steps.append("git stash pop")
    fresh = []  # (sessions started after the stash, moved aside: said)
    for p in (p for p in here if is_tool_path(p, tools) and p.endswith(".org")):
        if p in aside and written is not None and _same_file(join(top, p), written):
            # (the write merged back in after the pop: that session, continued)
            steps.append(f"ai-protocols merge-kept {shell_quote(name[p])}")
            continue
        if p in aside and _continues_stashed(top, p):  # (the newest of that session)
            steps.append(_after_pop(join(top, p), join(top, p), held[p], root, name[p],
                                    f"mv -f -- {shell_quote(name[p] + '.before-pop')} "
                                    f"{shell_quote(name[p])}"))
            continue
        if p in aside:
            fresh.append(name[p])
        kept = kept_path(project.ai_dir_text, join(top, p))
        if os.path.isfile(kept):
            steps.append(_after_pop(join(top, p), kept, held[p], root, name[p],
                                    f"cp -- {shell_quote(relative_to(kept, root))} "
                                    f"{shell_quote(name[p])}"))
    files = "file that is" if len(here) == 1 else "files that are"
    then = "" if not fresh else (
        f"; what was written here since the stash is then in "
        f"{', '.join(_clip(display(p + '.before-pop'), 80) or '' for p in fresh[:3])}"
        f"{', ...' if len(fresh) > 3 else ''} (a session started after the stash is another "
        f"session, which merge-kept does not join: copy what you need of it into the "
        f"session file in an editor, then remove it)")
    return (f"{said}it also holds {len(here)} untracked {files} "
            f"here again ({', '.join(_clip(display(name[p]), 60) or '' for p in here[:3])}"
            f"{', ...' if len(here) > 3 else ''}), which git stash pop refuses to "
            f"overwrite; bring the work{also} back with: {' && '.join(steps)} (from "
            f"{_clip(root, 120)}){then}")


def _same_file(one: str, other: str) -> bool:
    """Whether the paths ``one`` and ``other`` name one file (``os.path.samefile``);
    ``False`` when either cannot be looked at."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _continues_stashed(root: str, path: str) -> bool:
    """Whether the session file ``path`` (from the work tree's top at ``root``) here is
    the session the stash holds at that path, continued (``start`` brought it back
    from its kept copy, then writes went in): then it, not the stash's, is the newest.
    It must hold every entry of the stash's (:func:`~ai_protocols.session.merge.
    entries_lacking`) as well as be the same session.
    ``False`` for another session (:func:`~ai_protocols.session.sections.other_session`,
    the one rule: ``start`` after ``git stash -a`` began a fresh one) or when either
    cannot be read. One git run (``git cat-file blob refs/stash^3:PATH``)."""
    from ai_protocols.git.state import _git
    from ai_protocols.org.file import OrgFile
    from ai_protocols.paths import join
    from ai_protocols.session.sections import other_session, session_headline

    stashed = _git(root, "cat-file", "blob", f"refs/stash^3:{path}")
    try:
        mine = storage.read_regular(join(root, path))
    except (OSError, storage.NotRegular):
        return False
    if stashed is None:
        return False
    texts = (mine.decode("utf-8", "replace"), stashed.decode("utf-8", "replace"))
    file, then = (session_headline(OrgFile(t)) for t in texts)
    if file is None or then is None or \
            other_session(file.properties, then.properties, lambda: texts) is not None:
        return False
    from ai_protocols.session.merge_changes import entries_lacking

    return entries_lacking(mine, stashed) == 0  # (the stash's every entry is here too)


def _same_as_stashed(root: str, path: str, blob: str,
                     tools: tuple[str, ...] = (".ai/",)) -> bool:
    """Whether the file ``path`` (from the work tree's top at ``root``) may be removed
    before ``git stash pop`` without losing a byte: one of the tool's locks or kept
    copies (``.locks/`` of one of the tool's folders ``tools``,
    :func:`~ai_protocols.paths.tool_folders`: the stash brings its own back; a session
    file moved aside keeps what its kept copy held), or a file holding exactly the blob
    the stash holds for it (:func:`~ai_protocols.git.history.blob_id`). Reads the file."""
    from ai_protocols.git.history import blob_id
    from ai_protocols.paths import LOCK_DIR, join

    if any(path.startswith(f"{folder}{LOCK_DIR}/") for folder in tools):
        return True
    try:
        return blob_id(storage.read_regular(join(root, path)), blob) == blob
    except (OSError, storage.NotRegular):
        return False
