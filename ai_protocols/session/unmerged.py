"""git's unmerged states of a session file.

A session file git left unmerged (conflict markers, whose sides may be two
sessions: :func:`conflict_sessions`; an index with stages, the merge driver's mark): the refusal and
its advice (:func:`unmerged`, :func:`remerge_advice`), the read commands' warnings
(:func:`unmerged_warning`, :func:`unmerged_others`, :func:`operation_warning`: a git operation under
way), and an archived session's copy left unmerged (:func:`archived_unmerged`, merged into
its archive by ``merge-kept``). docs/decisions.md, "Issue 14, eighteenth round (a
rebase's sides in the unmerged-file advice)" and "Issue 14, eighteenth round
(restore)".
"""

from __future__ import annotations

import os

from ai_protocols.git.state import git_version
from ai_protocols.lean import shell_quote
from ai_protocols.org.file import OrgFile
from ai_protocols.paths import join, parent
from ai_protocols.session.edit_base import (
    abandoned,
    head_properties,
    props_of,
    refuse_if_edited,
    unlink,
    warn,
)
from ai_protocols.session.names import kept_path
from ai_protocols.session.sections import other_session, session_headline, session_named
from ai_protocols.session.text import conflict_marker_lines
from ai_protocols.session.wrapped_copy import archive_gained, archive_lacks, archive_of
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.errors import Unmerged

__all__ = [
    "archived_unmerged",
    "conflict_sessions",
    "conflict_sides",
    "merge_unmerged_archive",
    "operation_warning",
    "refuse_unmerged",
    "remerge_advice",
    "unmerged",
    "unmerged_others",
    "unmerged_warning",
    "warn_operation",
]


def conflict_sides(text: str) -> tuple[str, str]:
    """The two sides of a file holding git's conflict markers (of seven characters, as
    git writes them by default): the lines outside the conflicts, with each conflict's
    first part (``<<<<<<<`` to ``|||||||`` or ``=======``: git's ``--ours``, stage 2)
    for the one, its last part (``=======`` to ``>>>>>>>``: ``--theirs``, stage 3) for
    the other (git-merge-file(1)). No I/O."""
    one: list[str] = []
    two: list[str] = []
    part = 0  # 0 outside, 1 the first side, 2 the common ancestor's, 3 the second side
    for line in text.splitlines(keepends=True):
        mark = line[:8].rstrip("\r\n")
        if mark.startswith("<<<<<<<") and mark[7:8] in ("", " "):
            part = 1
        elif part and mark.startswith("|||||||") and mark[7:8] in ("", " "):
            part = 2
        elif part and mark.rstrip() == "=======":
            part = 3
        elif part and mark.startswith(">>>>>>>") and mark[7:8] in ("", " "):
            part = 0
        else:
            if part in (0, 1):
                one.append(line)
            if part in (0, 3):
                two.append(line)
    return "".join(one), "".join(two)


def conflict_sessions(ai_dir: str, path: str, text: str) -> str | None:
    """When the two sides of the conflict markers in the session file at ``path``
    (``text``, :func:`conflict_sides`) are two sessions
    (:func:`~ai_protocols.session.sections.other_session`: an add/add conflict of two clones
    that each started one, or one clone's wrap-up and new session met by the other's
    entries), what each is and how to keep both: never merged into one. A side whose
    session an archive here holds (:func:`~ai_protocols.session.wrapped_copy.archive_of`: wrapped up
    in the other clone) is said to go there, the other kept live; else one is kept here and the
    other given a file of its own. ``None`` when they may be one session's versions. On a refusal's
    path only."""
    sides = conflict_sides(text)
    heads = [session_headline(OrgFile(side)) for side in sides]
    if heads[0] is None or heads[1] is None:
        return None
    ours, theirs = heads[0].properties, heads[1].properties
    if other_session(ours, theirs, lambda: sides) is None:
        return None
    file = shell_quote(path)
    rel = path[len(parent(ai_dir)) + 1:] if path.startswith(parent(ai_dir) + "/") else path
    said = (f"the side git calls ours (<<<<<<<, git checkout --ours) holds {session_named(ours)}, "
            f"the side it calls theirs (>>>>>>>) {session_named(theirs)}; merging them "
            "line by line (or keeping what each side logged) would make one session of two: "
            "keep each whole")
    for gone, flag, stage in ((ours, "--theirs", 2), (theirs, "--ours", 3)):
        archive = archive_of(ai_dir, gone)
        if archive is None:
            continue
        bring = (f"bring what this clone logged to the wrapped-up one into its archive "
                 f"(ai-protocols merge-kept {file}), which merges the copy ai-protocols "
                 f"kept of it into the archive") if stage == 2 else \
            (f"add to that archive by hand what the other side logged to the wrapped-up "
             f"session (git show :{stage}:{shell_quote(rel)}, from the project's root)")
        one, other = ("ours", "theirs") if stage == 2 else ("theirs", "ours")
        return (f"{said}; {one} was wrapped up (its archive {archive} is here) and "
                f"{other} began after it: keep {other} live "
                f"(git checkout {flag} -- {file} && git add {file}), then {bring}, and "
                f"commit")
    return (f"{said}: keep one here (git checkout --ours -- {file}) or (git checkout "
            f"--theirs -- {file}) and give the "
            f"other a file of its own, from the project's root: as another agent's session "
            f"(git show :3:{shell_quote(rel)} > .ai/session-context.d/NAME.org, or :2: for "
            f"ours; that agent then runs with AI_AGENT_ID=NAME), or let the clone where it "
            f"runs wrap it up first (ai-protocols wrap-up); then git add the files and "
            f"commit")


def refuse_unmerged(ai_dir: str, path: str) -> None:
    """:class:`~ai_protocols.errors.Unmerged` when git's index holds the session file
    ``path`` unmerged (:func:`unmerged`): a write would become what ``git add`` records,
    the other side of the merge lost (docs/git.md)."""
    found = unmerged(ai_dir, path)
    if found is not None:
        raise found


def unmerged(ai_dir: str, path: str, what: str = "session context") -> Unmerged | None:
    """The :class:`~ai_protocols.errors.Unmerged` error for the file ``path`` (a session
    file under ``ai_dir``, or the task board: ``what`` says which, as
    :class:`~ai_protocols.errors.MergeConflict` does) when git's index holds it unmerged,
    with what git left and how to resolve it; ``None`` when it does not, or git cannot
    say. The index is read (``git ls-files --unmerged``, git-ls-files(1): stage 1 the
    common ancestor, 2 ours, 3 theirs) only while a merge, rebase, cherry-pick or revert
    is under way (:func:`ai_protocols.git.head.merging`, a few ``stat`` calls): a
    command in a quiet repository runs no git. A conflict ``git stash pop`` or ``git
    checkout -m`` left is not seen (git leaves no such name then): a modify/delete there
    is one git reports on the spot. Nor is a file both sides changed that holds conflict
    markers: the readers' :class:`~ai_protocols.errors.MergeConflict` says that one
    (issue 14, twelfth round: a second warning said "without conflict markers")."""
    from ai_protocols.git.head import merging

    folder = parent(path)
    if not merging(folder):
        return None
    stages = _stages(path)
    if not stages or (stages >= {2, 3} and _marked(path)):
        return None  # (conflict markers: the reader's MergeConflict says it, one advice)
    from ai_protocols.errors import Unmerged  # (made on first use: errors_write)

    return Unmerged(path, tuple(sorted(stages)), _unmerged_advice(ai_dir, path, stages, what),
                    what)


def _stages(path: str) -> set[int]:
    """The stages (1 the common ancestor, 2 ours, 3 theirs) git's index holds of the
    file ``path`` (``git ls-files --unmerged``, git-ls-files(1)); empty when none, or
    git cannot say. One git run."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    folder, name = parent(path), path.rsplit("/", 1)[-1]
    try:
        out = GitRun(["git", "-C", folder, "ls-files", "--unmerged", "-z", "--",
                      f":(literal){name}"], git_env(), None).wait()
    except GitFailed:
        return set()
    stages = set()
    for line in out.split(b"\0"):
        fields = line.split(b"\t", 1)[0].split()
        if len(fields) == 3 and fields[2] in (b"1", b"2", b"3"):
            stages.add(int(fields[2]))
    return stages


def _driver_marked(path: str, text: str | None) -> bool:
    """Whether the conflict markers in the file ``path`` (``text``, its text, when the
    caller has it) are the merge driver's: its first opening marker line is labelled
    ``ours``, as the driver labels its sides
    (:func:`~ai_protocols.session.merge.run_merge_driver`), where git's own merge labels
    them ``HEAD`` or a commit, branch or stash name (git-merge(1), "How conflicts are
    presented"). ``False`` when it cannot be read."""
    if text is None:
        try:
            text = storage.read_regular(path).decode("utf-8", "replace")
        except (OSError, storage.NotRegular):
            return False
    lines = conflict_marker_lines(text)
    if not lines:
        return False
    line = text.splitlines()[lines[0] - 1]
    return line.startswith("<") and line.lstrip("<").strip() == "ours"


def remerge_advice(path: str, configured: bool = False, text: str | None = None) -> str | None:
    """The command that merges the file ``path``, which holds git's conflict markers,
    again through the merge driver (``git checkout -m``, git-checkout(1): "recreate the
    conflicted merge in the specified paths", from the stages git's index still holds),
    for :class:`~ai_protocols.errors.MergeConflict`: a merge made before the driver was
    configured (a fresh clone's first pull: git clones no local configuration) is then
    made entry by entry, as later ones are. When the clone's configuration still lacks
    the driver (``status`` configures nothing), ``ai-protocols init`` first; when the
    caller has just ``configured`` it (``start``), or configured it since git merged
    (the markers are git's own, not the driver's: :func:`_driver_marked`; ``text``: the
    file's text, when the caller has it), the command alone. ``None`` when the driver
    made the markers (they are where both sides changed the same lines: merging again
    gives them again), no merge is under way or the index does not hold both sides (a
    few ``stat`` calls; one git run while a merge is under way). Issue 14, fifteenth
    round; issue 15, twentieth round (a driver configured after git merged)."""
    from ai_protocols.git.head import merging
    from ai_protocols.paths import merge_driver_missing

    missing = merge_driver_missing(parent(path)) is not None
    if not merging(parent(path)) or \
            not (missing or configured or not _driver_marked(path, text)) or \
            not {2, 3} <= _stages(path):
        return None
    q = shell_quote(path)
    again = f"'git checkout -m -- {q}' merges it again through the merge driver, entry " \
            f"by entry, then 'git add {q}'"
    if missing:
        return (f"the merge driver was not configured in this clone when git merged it (git "
                f"does not clone it): run 'ai-protocols init' (or 'ai-protocols start', "
                f"which configures it), then {again}")
    return again


def _marked(path: str) -> bool:
    """Whether the file ``path`` holds git's conflict marker lines
    (:func:`~ai_protocols.session.text.conflict_marker_lines`): a conflict git's merge
    (or the driver's fallback, git merge-file) wrote into it, which the readers refuse
    with :class:`~ai_protocols.errors.MergeConflict` and its advice. ``False`` when it
    cannot be read."""
    try:
        return bool(conflict_marker_lines(storage.read_regular(path).decode("utf-8",
                                                                            "replace")))
    except (OSError, storage.NotRegular):
        return False


def unmerged_warning(ai_dir: str, path: str) -> str | None:
    """The warning the read commands (``show``, ``status``, ``resume``, ``start``, the
    SessionStart hook) give while git's index holds the session file ``path`` unmerged
    (:func:`unmerged`): what git left, how to resolve it, and that nothing writes into
    it until then; ``None`` otherwise (a few ``stat`` calls outside a merge)."""
    found = unmerged(ai_dir, path)
    if found is None:
        return None
    return f"{found.advice}; nothing writes into this session file until then"


def unmerged_others(ai_dir: str) -> str | None:
    """The warning ``start`` and ``status`` give while git's index holds unmerged any file
    of ``ai_dir`` that is no live session file nor the task board (their own readers say
    those, :func:`unmerged_warning`): an earlier-entries file (``history/``, an archive's
    folder), an archive of ``sessions/``. A merge where one clone wrapped the session up
    and the other rolled it over can stop on such a file (docs/merge-driver.md,
    "Earlier-entries files"). ``None`` outside a merge, rebase, cherry-pick or revert
    (:func:`ai_protocols.git.head.merging`, a few ``stat`` calls), or when git cannot
    say."""
    from ai_protocols.git.head import merging

    if not merging(ai_dir):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        out = GitRun(["git", "-C", ai_dir, "ls-files", "--unmerged", "-z", "--", "."],
                     git_env(), None).wait()
    except GitFailed:
        return None
    found: list[str] = []
    stages: dict[str, set[bytes]] = {}
    live: list[str] = []
    for line in out.split(b"\0"):
        fields, tab, name = line.partition(b"\t")
        below = os.fsdecode(name).split("/")  # (relative to ai_dir: git's way, "/")
        path = join(ai_dir, "/".join(below))
        stages.setdefault(path, set()).add(fields.split()[-1] if fields.split() else b"")
        if not tab or below in (["session-context.org"], ["tasks.org"]) or \
                (len(below) == 2 and below[0] == "session-context.d"):
            if tab and below != ["tasks.org"] and path not in live:
                live.append(path)
            continue  # (said by their own readers)
        if path not in found:
            found.append(path)
    if not found:
        return None
    twice = _archived_twice(ai_dir, found, stages, live)
    if twice is not None:
        return twice
    named = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    it = "it" if len(found) == 1 else "them"
    return (f"git's index holds unmerged {named} (a merge stopped on {it}): what "
            f"{'it is' if len(found) == 1 else 'each is'} and how to finish is in the "
            f"merge's output and 'git status'; resolve, then 'git add' {it} and commit")


def _archived_twice(ai_dir: str, found: list[str], stages: dict[str, set[bytes]],
                    live: list[str]) -> str | None:
    """The advice for one session both clones closed (a wrap-up or an abandon on each),
    each into an archive of its own name: git's rename detection pairs the live file
    with both archives (rename/rename: the live path deleted on both sides, each
    archive added by one) and writes the merge driver's result, the one merged
    session, into both. ``found``: the unmerged paths of ``ai_dir``'s archives and
    other files, ``stages`` each unmerged path's stages, ``live`` the unmerged live
    session files. Of archives of ``sessions/`` that git holds at one stage (added by
    one side) and whose bytes are alike, the first by name (names start with the
    minute the session ended, in UTC: the earlier closing; the same choice on every
    clone) is kept; the commands remove the others and the live file's removed entry
    (both sides removed it) and go on with the operation (docs/merge-driver.md,
    "Both clones closed the session"). ``None`` when there are no two such archives.
    Raises nothing of its own."""
    sessions = join(ai_dir, "sessions")
    alike: dict[bytes, list[str]] = {}
    for path in found:
        if parent(path) != sessions or not path.endswith(".org") or \
                len(stages.get(path, ())) != 1 or b"1" in stages[path]:
            continue
        try:
            alike.setdefault(storage.read_regular(path), []).append(path)
        except (OSError, storage.NotRegular):
            continue
    groups = [sorted(paths) for paths in alike.values() if len(paths) > 1]
    if not groups:
        return None
    gone = [path for path in live if stages.get(path) == {b"1"}]
    go_on = _go_on(ai_dir)
    said, commands = [], []
    for keep, *others in groups:
        said.append(f"{', '.join([keep, *others])} each hold the one merged session (every "
                    f"entry once, each side's closing in its Log): keep {keep} (the first by "
                    f"name: the earlier closing)")
        commands += [f"git rm -q -- {' '.join(shell_quote(p) for p in others)}",
                     f"git add -- {shell_quote(keep)}"]
    commands += [f"git rm -q --cached -- {shell_quote(p)}" for p in gone] + [go_on]
    marked = [group[0] for group in groups if _marked(group[0])]
    return ("both clones closed one session, each into an archive of its own name, and "
            f"git stopped on them (rename/rename): {'; '.join(said)}, and remove the "
            + ("others" if len(found) > 2 else "other")
            + (f", once you have resolved the conflict markers in {', '.join(marked)}"
               if marked else "")
            + f", with: {' && '.join(commands)} (then 'ai-protocols list' shows the session "
            "once)")


def _go_on(folder: str) -> str:
    """The command that finishes the git operation stopped in the repository around
    ``folder`` once its conflicts are resolved (:func:`ai_protocols.git.head.operation`):
    ``git rebase --continue``, ``git cherry-pick --continue``, ``git revert
    --continue``, ``git am --continue``; ``git commit --no-edit`` for a merge (or
    none). A few ``stat`` calls."""
    from ai_protocols.git.head import operation

    return {"rebase": "git rebase --continue", "cherry-pick": "git cherry-pick --continue",
            "revert": "git revert --continue", "am": "git am --continue"}.get(
        operation(folder) or "", "git commit --no-edit")


def _left_by(folder: str) -> str:
    """Who left a file unmerged in the repository around ``folder``, for a message: ``the
    git rebase under way`` (and ``merge``, ``cherry-pick``, ``revert``, ``am``:
    :func:`ai_protocols.git.head.operation`), ``git's merge`` when none is under way.
    A few ``stat`` calls."""
    from ai_protocols.git.head import operation

    what = operation(folder)
    return f"the git {what} under way" if what else "git's merge"


def _sides(folder: str) -> tuple[str, str]:
    """How a message names git's two sides of an unmerged file (its stages 2 and 3) in
    the repository around ``folder``: ``("this side", "the other side")``, but during a
    rebase, where stage 2 is the branch the commits are replayed onto and stage 3 the
    commit being replayed (git-rebase(1), "ours" and "theirs" swapped), those. A few
    ``stat`` calls."""
    from ai_protocols.git.head import operation

    if operation(folder) == "rebase":
        return "the branch being rebased onto", "the commit being replayed"
    return "this side", "the other side"


def _abort_with_archive(folder: str, archive: str) -> str:
    """How to give up the git operation under way in the repository around ``folder``
    once ``merge-kept`` wrote into ``archive`` (changes git has not staged), said as
    each abort behaves (tested by running each: docs/decisions.md, "Issue 14, eighteenth
    round (restore)"). ``git rebase --abort`` resets the work tree to the branch as it
    was (git-rebase(1)): it goes through and drops the write. ``git merge --abort``,
    ``git cherry-pick --abort``, ``git revert --abort`` and ``git am --abort`` reset as
    ``git reset --merge`` does (git-reset(1)): a file with unstaged changes is kept as it
    is when its index entry is ``HEAD``'s (the archive this side committed), else the
    abort refuses ("Entry ... not uptodate": the archive the operation brought), and the
    archive is put back first. ``""`` when no operation is under way. One ``git
    diff-index`` run (only for the latter)."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import operation
    from ai_protocols.git.spawn import GitRun, git_env

    what = operation(folder)
    if what is None or what == "bisect":
        return ""
    abort, q = f"git {what} --abort", shell_quote(archive)
    if what == "rebase":
        return (f" To give up the rebase instead, '{abort}' goes through as it is: it puts "
                f"the branch back as it was before the rebase and drops this write (what it "
                f"merged is in the commits on either side)")
    try:  # (named: the index's entry of the archive differs from HEAD's, or HEAD lacks it)
        kept = not GitRun(["git", "-C", folder, "diff-index", "--cached", "--name-only",
                           "HEAD", "--", f":(literal){archive}"], git_env(), None).wait().strip()
    except (GitFailed, OSError):
        kept = False
    if kept:
        return (f" To give up the {what} instead, '{abort}' goes through and keeps this "
                f"write in the archive, a change not committed (the archive is HEAD's: "
                f"'git checkout -- {q}' after it drops the write)")
    return (f" To give up the {what} instead, put the archive back first ('{abort}' refuses "
            f"while it differs from the index: the {what} brought the archive, which HEAD "
            f"does not hold so): 'git checkout -- {q} && {abort}'")


def archived_unmerged(ai_dir: str, path: str,
                      stages: set[int] | None = None) -> tuple[str, int] | None:
    """When git's index holds the session file ``path`` unmerged as a modify/delete
    whose deleting side archived the session (a wrap-up, an abandon, an archiving
    recover, committed in one commit with the entries logged before it, so that the
    archive is past git's 50% rename similarity and git paired no rename, merged
    nothing into it): ``(the archive, the stage of the side that changed the file)``,
    the archive the newest under ``.ai/sessions/`` that holds the file's session
    (:func:`~ai_protocols.session.wrapped_copy.archive_of`: the same ``AGENT_ID``, ``STARTED`` and
    ``SESSION_ID``), the stage 2 (ours changed it: the other side archived it) or 3 (theirs changed
    it: this side archived it; git's sides, so during a rebase "ours" is the branch rebased
    onto). ``None`` otherwise. ``stages``: the stages git holds (:func:`_stages`), when
    the caller read them; else they are read while an operation is under way only (a
    few ``stat`` calls otherwise, :func:`ai_protocols.git.head.merging`). The session is
    read from the work tree's file (the changed side's version, which git leaves
    there), else from the changed side's stage. docs/merge-driver.md, "A session
    archived on one side, changed on the other". Raises nothing of its own."""
    if stages is None:
        from ai_protocols.git.head import merging

        if not merging(parent(path)):
            return None
        stages = _stages(path)
    if stages not in ({1, 2}, {1, 3}):
        return None
    changed = 2 if 2 in stages else 3
    props = head_properties(path)
    if not props:
        data = git_version(parent(path), f":{changed}:./{path.rsplit('/', 1)[-1]}")
        props = props_of(data) if data else None
    if not props or not props.get("STARTED"):
        return None
    archive = archive_of(ai_dir, props)
    return None if archive is None else (archive, changed)


def _archived_resolution(path: str, archive: str) -> str:
    """The one command left once the archive ``archive`` holds every entry of the
    session file ``path`` that git's merge left unmerged (:func:`archived_unmerged`):
    ``git rm`` of the file, ``git add`` of the archive, then what finishes the
    operation (:func:`_go_on`), quoted to paste."""
    return (f"git rm -q -- {shell_quote(path)} && git add -- {shell_quote(archive)} && "
            f"{_go_on(parent(path))}")


def _archived_advice(path: str, archive: str, changed: int) -> str:
    """:func:`_unmerged_advice` for a session file git's merge left unmerged whose
    deleting side archived it at ``archive`` (:func:`archived_unmerged`; ``changed``:
    the stage of the side that changed it): when the archive lacks entries of the file,
    ``ai-protocols merge-kept FILE``, which merges them in; else the one command left
    (:func:`_archived_resolution`). Reads both files' entries."""
    q = shell_quote(path)
    where = abandoned(f"archived to {archive}")
    from ai_protocols.git.head import operation

    # (git's sides: in a rebase, "ours" is the branch rebased onto)
    ours, theirs = ("the branch rebased onto", "the commit being replayed") if \
        operation(parent(path)) == "rebase" else ("this side", "the other side")
    who, other = (theirs, ours) if changed == 2 else (ours, theirs)
    said = (f"{_left_by(parent(path))} left it unmerged (modify/delete): {who} wrapped "
            f"this session up "
            f"({where}) in a commit that changed it too much for git to pair the two "
            f"(no rename found), while {other} changed it; the file holds {other}'s "
            f"version")
    try:
        lacking, holds = archive_lacks(archive, storage.read_regular(path), path)
    except (OSError, storage.NotRegular):
        lacking, holds = -1, ""
    if lacking == 0:
        return (f"{said}, and the archive holds all of it (merged in): "
                f"'{_archived_resolution(path, archive)}' resolves it (removes the file, "
                f"keeps the archive)")
    return (f"{said}, and git merged none of it into the archive: 'ai-protocols "
            f"merge-kept {q}' merges {other}'s entries and changes "
            f"into the archive, as the merge driver merges a session (every entry of both "
            f"once; it writes only the archive), then says the one command left (git rm "
            f"of this file, git add of the archive); 'git rm {q}' alone would leave "
            f"{holds or 'its entries'} in git's history only, and 'git add {q}' keeps it "
            f"as a live session (which then lives on twice, here and in the archive)")


def merge_unmerged_archive(ai_dir: str, path: str, archive: str, changed: int) -> int:
    """``merge-kept`` of the session file ``path`` that git's merge left unmerged, its
    deleting side having archived the session at ``archive`` (:func:`archived_unmerged`;
    ``changed``: the stage of the side that changed the file). The merge git would have
    made had it paired the rename: the merge driver's
    (:func:`ai_protocols.session.merge_session.merge_session_bytes`) of the common ancestor
    (stage 1), ours and theirs (the file in the work tree for the changed side, else its
    stage; the archive for the other), written atomically into the archive, the only
    file written; the kept copy is dropped when it is the file (this tool's last write of
    it: every line of it is in the archive now). Says on stderr what was written and the
    one command left (:func:`_archived_resolution`). Returns how many entries the
    archive gained. Raises :class:`~ai_protocols.errors.KeptNotMerged` (nothing written)
    when git holds no common ancestor, the three are not one session the driver merges,
    both sides changed the same lines (a conflict), or an entry either side added would
    be missing; :class:`~ai_protocols.errors.BeingEdited` while a person edits either
    file in Emacs. Call holding ``path``'s lock and the archive folder's."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge_changes import entries_lacking
    from ai_protocols.session.merge_session import merge_session_bytes

    storage.refuse_symlinks(parent(ai_dir), archive)
    refuse_if_edited(path)
    refuse_if_edited(archive)
    folder, name = parent(path), path.rsplit("/", 1)[-1]
    try:
        mine = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        mine = git_version(folder, f":{changed}:./{name}")
    base = git_version(folder, f":1:./{name}")
    by_hand = (f"B=$(git -C {shell_quote(folder)} rev-parse --path-format=absolute "
               f"--git-path ai-base.org) && git -C {shell_quote(folder)} show :1:./"
               f"{shell_quote(name)} > \"$B\" && ai-protocols merge-driver \"$B\" "
               f"{shell_quote(archive)} {shell_quote(path)} {shell_quote(archive)}; then "
               f"resolve the conflict markers it leaves in the archive, and "
               f"'{_archived_resolution(path, archive)}'")
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular) as error:
        raise KeptNotMerged(archive, path, f"it cannot be read ({error})",
                            unmerged=by_hand, left_by=_left_by(folder)) from None
    if mine is None or base is None:
        raise KeptNotMerged(archive, path, "git's index holds no common ancestor of them",
                            unmerged=by_hand, left_by=_left_by(folder))
    ours, theirs = (mine, archived) if changed == 2 else (archived, mine)
    merged = merge_session_bytes(base, ours, theirs, place=archive)
    if merged is None or merged.conflicts:
        raise KeptNotMerged(archive, path, "both sides changed the same lines (or they "
                                           "are not three versions of one session)",
                            unmerged=by_hand, left_by=_left_by(folder))
    if entries_lacking(merged.data, mine, also=(base,)) or \
            entries_lacking(merged.data, archived, also=(base,)):
        raise KeptNotMerged(archive, path, "the merge would lack an entry one side added",
                            unmerged=by_hand, left_by=_left_by(folder))
    said, gained = archive_gained(archive, archived, merged.data)
    if merged.data != archived:
        storage.atomic_write(archive, merged.data)
    kept = kept_path(ai_dir, path)
    try:
        if storage.same_version(os.stat(path, follow_symlinks=False),
                                os.stat(kept, follow_symlinks=False)):
            unlink(kept)  # (this tool's last write of the file: all in the archive now)
    except OSError:
        pass
    then = _archived_resolution(path, archive)
    warn(f"merged {path}, which {_left_by(parent(path))} left unmerged (modify/delete: one "
         f"side archived the session, the other changed it), into the archive: {said}; now "
         f"'{then}' (removes the file, every entry of it being in the archive, and keeps "
         f"the archive).{_abort_with_archive(parent(path), archive)}" if said else
         f"the archive {archive} holds every entry of {path} already: nothing was "
         f"written; now '{then}' (removes the file and keeps the archive)")
    return gained


def operation_warning(path: str, *, kept: tuple[str, str] | None = None) -> str | None:
    """What to do when the session file ``path``, tracked by git and changed in the work
    tree, meets a git operation stopped half way (:func:`ai_protocols.git.head.operation`:
    a rebase, ``git am``, a merge, a cherry-pick, a revert, a bisect): the command that
    goes on with it refuses, or leaves this change out, while the file has unstaged
    changes (git-rebase(1): ``git rebase --continue`` says "You must edit all merge
    conflicts and then mark them as resolved"; a checkout: "Your local changes to the
    following files would be overwritten"). ``None`` when no operation is under way
    (a few ``stat`` calls), or the file is untracked or unchanged (then one ``git
    ls-files -m``). Every write says it on stderr; ``status``, ``show``, ``resume`` and
    ``start`` warn with it too (docs/git.md). ``None`` also when the file holds
    conflict markers: the readers' :class:`~ai_protocols.errors.MergeConflict` is then
    the one advice (issue 14, twelfth round). ``kept``: for a file that is no session
    file (the task board's writes, ``board.Board.editing``), ``(what its changes are
    called, what brings them back after git put its version over them)``, the session
    file's words otherwise."""
    from ai_protocols.git.head import operation

    folder = parent(path)
    what = operation(folder)
    if what is None:
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    name = path.rsplit("/", 1)[-1]
    try:  # (-m: tracked, and changed against the index; an untracked file is not listed)
        out = GitRun(["git", "-C", folder, "ls-files", "-m", "-z", "--",
                      f":(literal){name}"], git_env(), None).wait()
    except GitFailed:
        return None
    if not out.strip(b"\0") or _marked(path):
        return None
    q = shell_quote(path)
    said = f"a git {what} is under way in this repository, and {path} has changes git has " \
           "not staged"
    # Whatever git puts back over them (an abort, a bisect's checkouts), what this session
    # logged stays in the copy ai-protocols keeps, and merge-kept merges it back in.
    changes, back = kept or (
        "this session's entries", f"'ai-protocols merge-kept {q}' merges back in what this "
        "session logged (kept in .ai/.locks/live/)")

    def abort(command: str) -> str:  # (git refuses some aborts while the file has changes)
        return (f"to abort it instead, 'git checkout -- {q}' ({changes} stay in "
                f"the copy ai-protocols keeps), '{command}', then {back}")

    if what == "rebase":
        return (f"{said}: 'git rebase --continue' refuses while it has them ('You must edit "
                f"all merge conflicts...'); run 'git add {q}' ({changes} then go "
                "into the commit being replayed), then 'git rebase --continue'; "
                f"{abort('git rebase --abort')}")
    if what == "bisect":
        return (f"{said}: 'git bisect good', 'bad' or 'skip' (and 'git bisect reset') check "
                "out another commit, which git refuses where that commit's version of the "
                f"file differs ('Your local changes ... would be overwritten'): put git's "
                f"back with 'git checkout -- {q}' ({changes} stay in the copy "
                f"ai-protocols keeps), and once 'git bisect reset' has run, {back}; "
                f"{'log' if kept is None else 'change the board'} nothing in between")
    go_on = {"merge": "'git commit' (or 'git merge --continue')",
             "am": "'git am --continue'", "cherry-pick": "'git cherry-pick --continue'",
             "revert": "'git revert --continue'"}[what]
    return (f"{said}: {go_on} makes its commit without them, and a later step that "
            f"changes the file stops on them ('Your local changes ... would be "
            f"overwritten'); run 'git add {q}' first to put them in that commit, or commit "
            f"the file after it; {abort(f'git {what} --abort')}")


def _unmerged_advice(ai_dir: str, path: str, stages: set[int], what: str) -> str:
    """What git's ``stages`` of the unmerged file ``path`` mean, and how to resolve it;
    the sides named as :func:`_sides` names them."""
    q = shell_quote(path)
    by = _left_by(parent(path))
    ours, theirs = _sides(parent(path))
    board = what != "session context"
    lost = f"{theirs}'s tasks and claims" if board else f"what {theirs} logged"
    if 2 in stages and 3 in stages:  # both sides changed it, and no driver merged them
        return (f"{by} left it unmerged without conflict markers: when the merge "
                f"driver did not run (git said why: a driver program not found?), the file "
                f"holds {ours}'s version only, without {lost}; run 'ai-protocols init' "
                f"(it installs the merge driver again), then 'git checkout -m {q}' "
                f"merges it again, then 'git add {q}' once it holds both sides; or "
                f"merge it by hand, then 'git add {q}'")
    if stages == {1}:  # deleted by both (git status: DD): each clone closed and archived it
        return (f"{by} left it unmerged (both deleted): each side removed it (both "
                f"clones closed the session and archived it: 'ai-protocols status' names the "
                f"archive to keep); 'git rm -q --cached {q}' resolves it, leaving the work "
                f"tree as it is")
    found = None if board else archived_unmerged(ai_dir, path, stages)
    if found is not None:  # (modify/delete, the deleting side archived it)
        return _archived_advice(path, *found)
    if 2 in stages:  # deleted by them (git status: UD)
        return (f"{by} left it unmerged (modify/delete): {theirs} removed it, while "
                f"{ours} changed it; the file holds {ours}'s version. Resolve it: "
                f"'git rm {q}' removes it here too (copy first whatever {ours} "
                f"added that you need), or 'git add {q}' keeps it"
                + ("" if board else " as a live session (which then lives on twice, here "
                   f"and where {theirs} put it)"))
    return (f"{by} left it unmerged (modify/delete): {ours} removed it, while "
            f"{theirs} changed it; the file holds {theirs}'s version. Resolve "
            f"it: 'git rm {q}' keeps it removed ({lost} since then stays only in "
            f"git's history), or 'git add {q}' brings it back"
            + ("" if board else " as a live session"))


def warn_operation(path: str) -> None:
    """:func:`operation_warning` of the file just written, on stderr (issue 14, eighth
    review): the write itself goes on, as git's own commands would let it."""
    said = operation_warning(path)
    if said is not None:
        warn(said)
