"""Where the work a session recorded is when this checkout does not hold it, and the
way back, as the resume context says it: another branch, another work tree
(:func:`go_to`, :func:`_checked_out_elsewhere`), a commit missing or rewritten, a
checkpoint to restore or take back (:func:`_restore_it`, :func:`_take_back`), a session
carried to another work tree (:func:`carried_warning`). Read only when the warning is
said (:mod:`ai_protocols.session.resume` imports it there). docs/decisions.md,
"Twenty-eighth round: the SessionStart hook beside 1,000 files, and resume.py split".
"""

from __future__ import annotations

import os

from ai_protocols.errors import CARRY_SUFFIX
from ai_protocols.git.head import branch_name
from ai_protocols.lean import (
    counted,
    display,
    shell_last_word,
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
    from collections.abc import Callable

    from ai_protocols.session.project import Project


#: The words of the warning for a session recorded where this work tree is not.
ROLLED_BACK = "it looks rolled back: the work may be in another checkout"
#: What to check when the commit a session recorded is not in this clone, and no
#: session file of ``HEAD``'s history recorded it (issue 14, twelfth round).
MISSING_CHECK = ("check: another clone's commits not fetched here, git fetch then git log "
                 "--all; a reset here, git reflog; a rebase or amend elsewhere, git log "
                 "shows whether its changes are here")
#: What the warning says instead when HEAD moved on past the last checkpoint.
MOVED_ON = ("the branch moved on (an amend or a rebase leaves the commit recorded "
            "behind), so the work is likely here, and that older checkpoint is not the "
            "place to go back to (git reflog shows how HEAD moved)")


def _switched_warning(project: Project, path: str, kept: bytes, recorded: str, what: str,
                      by: str, lacks: str) -> tuple[str, bool]:
    """:func:`replaced_warning`'s first part when a branch switch put ``what`` (the
    session file of the branch ``HEAD`` is on) at ``path`` (:func:`~ai_protocols.session.
    transaction.head_put_back` said ``by``, "a switch from branch ``recorded``"), and
    whether the version this tool wrote last (``kept``, its bytes) is the one the branch
    ``recorded`` holds at its tip: then the work is committed there and ``git switch``
    takes a person back to it (no copy, no restore: either would bring that branch's
    files onto this one; issue 14, fifteenth round). One git run."""
    from ai_protocols.git.head import branch_name
    from ai_protocols.git.history import file_at

    here = relative_to(path, project.root_text)
    name = branch_name(recorded)
    committed = bool(name) and file_at(project.root_text, f"refs/heads/{name}",
                                       f"./{here}") == kept
    said = (f"this is {what}, not the one ai-protocols last wrote ({by}): it "
            f"lacks {lacks} of that one")
    # (git switch refuses a branch another work tree has checked out; the version written
    # last, when that branch does not hold it, is the kept copy here: carried there)
    there = _checked_out_elsewhere(project, name, path, None if committed else
                                   kept_path(project.ai_dir_text, path)) if name else None
    if there is not None and there.startswith(CARRIES_ON):  # (where it is, first)
        return f"{there}; the file here is {what} ({by})", True
    if there is not None:
        return (f"{said}, which {'is committed' if committed else 'may be'} on branch "
                f"{_clip(name, 80)}; {there}"), committed
    if committed:
        return (f"{said}, which is committed on branch {_clip(name, 80)} with the session's "
                f"work: go back to it with {_pasted(project, f'git switch {shell_quote(name)}')}"
                ), True
    return (f"{said}; the work may be on branch {_clip(name, 80)}: git switch "
            f"{shell_quote(name)} goes back to it"), False


def _restore_it(project: Project, it: str, short: str, point: str, force: bool = True) -> str:
    """How to get back the checkpoint ``it`` (its commit ``point``, ``short`` its first
    12 digits), which this clone holds: ``restore it with: ai-protocols checkpoint
    restore HASH``, unless a restore made a worktree of it already
    (:func:`~ai_protocols.git.checkpoint.restored_at`): then that worktree, where its
    work is, and what brings its files beside the session here
    (:func:`~ai_protocols.git.checkpoint.restored_said`, the one text; ``force``: the
    in-place restore fits; issue 14, twenty-first round: the same restore was advised
    again, and refused). One git run."""
    from ai_protocols.git.checkpoint import restored_at, restored_said

    where = restored_at(project.root_text, point)
    if where is None:
        return (f"restore {it} with: "
                f"{_pasted(project, f'ai-protocols checkpoint restore {short}')}")
    return restored_said(it, where, short, _clip(project.root_text, 120) or "", force)


def _lost_paths(project: Project, lost: list[tuple[str, str]]) -> str:
    """The paths :func:`~ai_protocols.git.history.missing_work` found, each with what of
    the checkpoint's change is missing (at most 5 named, then how many more), named from
    the project's root as the commands after them name them
    (:func:`~ai_protocols.paths.named_from`)."""
    from ai_protocols.paths import named_from

    how = {"added": "added in it, not here", "deleted": "deleted in it, here still",
           "edited": "its edit is not here"}
    for chmod in ("chmod +x", "chmod -x"):  # (a mode is work too: git restore sets it)
        how[chmod], how[f"edited, {chmod}"] = (f"its {chmod} is not here",
                                               f"its edit and its {chmod} are not here")
    names = named_from(project.root_text, [p for p, _ in lost[:5]])
    named = ", ".join(f"{_clip(display(n), 80)} ({how[h]})"
                      for n, (_, h) in zip(names, lost, strict=False))
    return named + (f", and {len(lost) - 5} more" if len(lost) > 5 else "")


def _take_back(project: Project, lost: list[tuple[str, str]], short: str,
               changed_here: list[str]) -> str:
    """How to take back only what :func:`_lost_paths` named, in this work tree: a file
    with no change here (it is as ``HEAD`` has it, so nothing is lost) with ``git
    restore --source`` (git-restore(1): the work tree only, never the index); one with
    changes here is compared first, never written over. The paths are git's (from the
    top), named from the project's root, where the commands run
    (:func:`~ai_protocols.paths.named_from`: a project below the top; issue 14,
    twenty-first round)."""
    from ai_protocols.paths import literal_pathspec, named_from

    here = set(changed_here)
    safe = [p for p, _ in lost if p not in here and
            not any(p.startswith(d) for d in here if d.endswith("/"))]
    mixed = named_from(project.root_text, [p for p, _ in lost if p not in safe])
    safe = named_from(project.root_text, safe)
    said = []
    if safe:
        said.append(_pasted(project, f"git restore --source {short} -- "
                            + " ".join(shell_quote(literal_pathspec(p)) for p in safe[:20])))
    if mixed:
        said.append("for the files changed here since, compare first: " + _pasted(
            project, f"git diff {short} -- " + " ".join(
                shell_quote(literal_pathspec(p)) for p in mixed[:20])))
    return f"; or take back only what is missing, here: {'; '.join(said)}"


def _rewritten(project: Project, session: Session, commit: str) -> str | None:
    """When the commit the session recorded is not in this clone, the commit of
    ``HEAD``'s history whose session file records it
    (:func:`~ai_protocols.git.history.recorded_in_history`): the session, as it was at
    that commit, was committed on top of it, so a rebase or a reword that gave it
    another hash carried its work here (issue 14, twelfth round: not "rolled back").
    ``None`` otherwise."""
    if not _is_hash(commit):
        return None
    from ai_protocols.git.history import recorded_in_history

    return recorded_in_history(project.root_text,
                               relative_to(session.path_text, project.root_text), commit)


def _missing_branch_check(project: Project, branch: str, path: str) -> str:
    """What to check when the commit a session recorded on ``branch``, not this
    checkout's, is not in this clone (issue 14, eighteenth round: the same kind of
    advice as :data:`MISSING_CHECK`): that branch's commits pushed from the clone that
    made them, fetched here, then switched to, the session file ``path`` carried across
    the switch (:func:`_keeping`: that branch is not here to compare; issue 14,
    nineteenth round: a file committed here only was gone after it); ``REMOTE`` the
    real one (:func:`~ai_protocols.git.history.remote_for`). Git runs: one or two (the
    remote)."""
    from ai_protocols.git.history import branch_refs, remote_for

    plain = branch_name(branch) or ""
    name = shell_quote(plain)
    remote = remote_for(project.root_text, None)
    remote_said = shell_quote(remote) if remote != "REMOTE" else remote
    go = f"git switch {name}"
    behind = ""
    pushed = (f"check: branch {_clip(branch)} of another clone not pushed or not fetched "
              f"here: push it from that clone (git push {remote_said} {name}), then")
    later = "git log --all shows what this clone has; a branch deleted here, git reflog"
    if plain and branch_refs(project.root_text, plain)[0]:
        # (a branch of that name here lacks the commit: switched to alone, it is the old
        # one; the fetched one brings it forward; issue 14, nineteenth round)
        merge = f"merge --ff-only {shell_quote(f'{remote}/{plain}')}"
        go += f" && git {merge}"
        behind = f" (the branch {_clip(branch)} here lacks that commit: the merge brings it)"
        # (checked out in another work tree, git switch refuses it here: fetched, brought
        # forward there and gone to, the session file carried; issue 14, twentieth round)
        there = _checked_out_elsewhere(
            project, plain, path, first=lambda top: (
                f"git -C {shell_quote(project.root_text)} fetch {remote_said} && "
                f"git -C {shell_quote(top)} {merge}"))
        if there is not None:
            return f"{pushed}{behind}: {there}; {later}"
    return (f"{pushed} here{behind}: git fetch {remote_said} && "
            f"{_pasted(project, _keeping(project, path, go, None))}; {later}")


def _branch_not_here(project: Project, path: str, branch: str, commit: str,
                     where: str) -> str:
    """What :func:`_recorded_elsewhere` says (``where``: where the session was recorded,
    and this checkout) when the commit ``commit`` the session recorded on another branch,
    ``branch``, is in this clone but no local branch of that name holds it: when the
    one remote-tracking branch of that name holds it
    (:func:`~ai_protocols.git.history.remote_holding`: fetched, not switched to yet),
    ``git switch B`` makes the branch from it (git-switch(1), ``--guess``; issue 14,
    nineteenth round: the simplest command that works); else ``git switch -c NAME C``.
    Either with the session file ``path`` carried across (:func:`_keeping`). Up to three
    git runs."""
    from ai_protocols.git.history import remote_ahead, remote_holding

    name = branch_name(branch) or ""
    said = f"this session was recorded {where}"
    tracking = remote_holding(project.root_text, name, commit) if name else None
    if tracking is not None:
        go = _keeping(project, path, f"git switch {shell_quote(name)}",
                      f"refs/remotes/{tracking}")
        return (f"{said}: it is on {_clip(tracking)}, fetched, with no branch "
                f"{_clip(branch)} here yet: make it from that one with: "
                f"{_pasted(project, go)}")
    ahead = remote_ahead(project.root_text, name, commit) if name else None
    if ahead is not None:  # (the branch here is behind the fetched one: brought forward)
        go = (f"git switch {shell_quote(name)} && git merge --ff-only "
              f"{shell_quote(ahead)}")
        # (the session file carried there too, the branch brought forward first: issue
        # 14, twentieth round)
        there = _checked_out_elsewhere(
            project, name, path,
            first=lambda top: f"git -C {shell_quote(top)} merge --ff-only {shell_quote(ahead)}")
        if there is not None:
            return (f"{said}: it is on {_clip(ahead)}, fetched, and the branch "
                    f"{_clip(branch)} here is behind it; {there}")
        go = _keeping(project, path, go, f"refs/remotes/{ahead}")
        return (f"{said}: it is on {_clip(ahead)}, fetched, and the branch {_clip(branch)} "
                f"here is behind it: bring it forward with: {_pasted(project, go)}")
    go = _keeping(project, path, f"git switch -c NAME {commit[:12]}", commit)
    return (f"{said}, and no branch {_clip(branch)} here holds it (deleted, or moved); that "
            f"commit is still in this clone: get it back with {_pasted(project, go)}")


def _pasted(project: Project, command: str, note: str | None = None) -> str:
    """The advice's shell ``command`` as it is pasted: with where it runs from, ``(from
    ROOT)``, after it (and ``note``, in the same parentheses) unless it says so already:
    so that no sentence's punctuation is ever glued to a command (issue 14, nineteenth
    round, "advice pasteable as printed": ``cd PATH.`` failed)."""
    if command.endswith(")") and " (from " in command:
        return command if note is None else f"{command[:-1]}; {note})"
    also = f"; {note}" if note else ""
    return f"{command} (from {_clip(project.root_text, 120)}{also})"


def go_to(project: Project, branch: str, path: str | None) -> str:
    """How to get to the local branch ``branch`` (as recorded: ``\\xNN`` for a byte not
    UTF-8) with the session file ``path`` (``None``: no session file to take along):
    ``switch to it (git switch B)``, the file carried across when the switch would take
    it (:func:`_keeping`), or, when another work tree has it checked out
    (:func:`~ai_protocols.git.history.checked_out_at`: git switch refuses it here,
    "already checked out at"), that work tree, to work in, with the session file carried
    there (:func:`_checked_out_elsewhere`). The one rule of this advice: ``resume``'s
    warnings and the task board's claim on another branch (issue 14, twentieth round).
    Raises nothing; two git runs."""
    name = branch_name(branch) or ""
    go = f"git switch {shell_quote(name)}"
    there = _checked_out_elsewhere(project, name, path)
    if there is not None:
        return there
    kept = go if path is None else _keeping(project, path, go, f"refs/heads/{name}")
    return f"switch to it ({go})" if kept == go else f"switch to it with: {kept}"


def _keeping(project: Project, path: str, go: str, target: str | None) -> str:
    """The git command ``go``, which checks out the commit ``target`` (a ref or a hash;
    ``None``: not in this clone yet), as advice gives it so that the session file
    ``path`` stays in the work tree as it is: ``go`` alone when git leaves the file
    alone (:func:`~ai_protocols.git.history.same_file`: ``target`` holds it as ``HEAD``
    does, or neither holds it); else the file carried across (renamed aside, ``go``,
    renamed back): git-checkout(1) removes a committed file ``target`` lacks, writes
    ``target``'s version over one it changes, and refuses an untracked one ``target``
    has, while a file that is not there is no change it refuses for (what git holds of
    either version stays in git). Quoted to paste, from the project's root (said). One
    git run when ``target`` is given, none otherwise."""
    from ai_protocols.git.history import same_file, unmerged_paths
    from ai_protocols.paths import git_dirs

    here = relative_to(path, project.root_text)
    unmerged = unmerged_paths(project.root_text)
    first = ""
    if unmerged:  # (git switch refuses: "you need to resolve your current index first")
        dirs = git_dirs(project.root_text)
        mine = relative_to(path, dirs[0]) if dirs else here
        others = [p for p in unmerged if p != mine]
        if others:
            return (f"first resolve the {counted(len(others), 'file')} git's index holds "
                    f"unmerged ({_clip(display(others[0]), 120)}"
                    f"{', ...' if len(others) > 1 else ''}: git status lists them; git "
                    f"refuses to switch until then), then ask again (ai-protocols resume)")
        # (the session file alone: its unmerged entries taken out of the index, the
        # file as it is: issue 14, twentieth round, a conflicted git stash pop)
        first = f"git reset -q -- {shell_quote(here)} && "
    if not first and target is not None and same_file(project.root_text, here, target):
        return go
    if os.path.lexists(path + CARRY_SUFFIX):  # (never written over: issue 14, twentieth)
        return (f"{go} once the session file an earlier carry put aside, "
                f"{_clip(display(here + CARRY_SUFFIX), 200)}, is dealt with (that carry "
                f"stopped halfway; see which of it and {_clip(display(here), 200)} is the "
                f"newer with ai-protocols show and diff, keep that one at "
                f"{_clip(display(here), 200)} and remove the other), then ask again "
                f"(ai-protocols resume)")
    aside = shell_quote(here + CARRY_SUFFIX)
    reset = ("; git reset first takes the session file's unmerged entries out of git's "
             "index (a conflicted git stash pop or merge left them; the file stays as it "
             "is), or git switch refuses") if first else ""
    return (f"{first}mv -- {shell_quote(here)} {aside} && {go} && mv -- {aside} "
            f"{shell_quote(here)} (from {_clip(project.root_text, 120)}; the session file "
            "goes aside and back: the git command alone would take it away, write another "
            f"version over it or refuse it{reset})")


def _checked_out_elsewhere(project: Project, name: str, path: str | None = None,
                           newest: str | None = None,
                           first: Callable[[str], str] | None = None) -> str | None:
    """When another work tree has the local branch ``name`` checked out
    (:func:`~ai_protocols.git.history.checked_out_at`), where ``git switch`` refuses it:
    that work tree, named, and the ``cd`` that goes there (quoted for a shell); else
    ``None``. ``path``: the session file, which stays in this work tree (each work tree
    has its own ``.ai/``: docs/git.md), so the advice carries it to the same place in
    that one first (issue 14, nineteenth round: ``cd`` alone left the session behind):
    its newest version, ``newest`` (the kept copy, when the file here is another
    version: moved, the file here stays this branch's), else the file itself (moved;
    its kept copy, the same version, made a symbolic link to where it went: it holds
    nothing the file lacks, left it would bring the session back here, and removed
    nothing here would say where the session went: issue 14, twentieth round); in both
    ways the kept copy's place here is then the record of the carry
    (:func:`carried_warning`); never over a file there unless that file is
    what git holds at that branch's tip (nothing lost: git keeps it), else said, with
    no command. ``first``: of that work tree's top folder, a command (absolute paths)
    to run before going there (bringing the branch forward there: ``git -C PATH merge
    --ff-only R/B``; issue 14, twentieth round: ``git switch B`` was advised, which git
    refuses), put first in the carry's command, else said on its own. Up to two git
    runs."""
    from ai_protocols.git.history import checked_out_at

    there = checked_out_at(project.root_text, name)
    if there is None:
        return None
    from ai_protocols.paths import same_place

    said = (f"it is checked out in the work tree {_clip(display(there), 200)}, so git "
            f"switch refuses it here")
    # (this project's folder there, not that work tree's top: a project below the top
    # has its .ai/ there; issue 14, twenty-first round)
    go = f"cd {shell_last_word(same_place(project.root_text, there))}"
    before = first(there) if first is not None else None
    if path is None and before is not None:
        return f"{said}: bring it forward there and work there with: {before} && {go} " \
            f"({CARRY_SAID})"
    if path is None:
        return f"{said}: work there ({go})"
    said_alone = _elsewhere_alone(project, name, path, newest, there, said, go)
    if said_alone is not None:
        return said_alone if before is None else \
            f"{said_alone}; bring the branch forward there first with: {before} ({CARRY_SAID})"
    from ai_protocols.paths import git_dirs, join, parent

    dirs = git_dirs(project.root_text)
    top = dirs[0] if dirs else project.root_text
    dest = join(there, relative_to(path, top))
    steps = [] if before is None else [before]
    if not os.path.isdir(parent(dest)):
        steps.append(f"mkdir -p -- {shell_quote(parent(dest))}")
    steps.append(f"mv -- {shell_quote(newest or path)} {shell_quote(dest)}")
    kept = kept_path(project.ai_dir_text, path)
    if newest is None:  # (the kept copy, the same version, made the record of the carry:
        # issue 14, twentieth round: removed, it left no word here of where the session
        # went, and start here began a second one)
        if not os.path.isdir(parent(kept)):
            steps.append(f"mkdir -p -- {shell_quote(parent(kept))}")
        steps.append(f"ln -sf -- {shell_quote(dest)} {shell_quote(kept)}")
    else:  # (the record of the carry, here: carried_warning reads it)
        steps.append(f"ln -s -- {shell_quote(dest)} {shell_quote(newest)}")
    earlier = _earlier_steps(project, path, there, top, newest is None)
    steps.extend(earlier)
    steps.append(go)
    what = ("the newest version of this session (the copy ai-protocols keeps here, "
            f"{_clip(display(relative_to(newest, project.root_text)), 200)}) is only in "
            "this work tree") if newest else "this session file stays in this work tree"
    record = ("; the kept copy's place here then links to it, so that ai-protocols here "
              "says where the session went")
    if earlier:
        record += "; its earlier-entries files (a rollover's, .ai/history/) go along"
    return (f"{said}; {what} (each work tree has its own .ai/): carry it there and work "
            f"there with: {' && '.join(steps)} ({CARRY_SAID}{record})")


def _earlier_steps(project: Project, path: str, there: str, top: str, move: bool) -> list[str]:
    """The steps of the carry of the session file ``path`` to the work tree ``there``
    (``top``: this work tree's top folder) that take its earlier-entries files along
    (:func:`~ai_protocols.session.names.history_folder`: a session past 4 MiB rolled
    over; its links to them are relative, so the same place there keeps them; issue
    14, twentieth round: ``show --all`` there lacked them): none when it has no such
    folder; the folder moved (``move``: the file itself goes, nothing here links them
    any more) to a place there that holds none yet, else copied (the file here, another
    version, may link some; or that work tree has the folder already: the same
    session's files, committed on its branch). Absolute paths, quoted. A ``stat`` or
    two; call on the carry's path only."""
    from ai_protocols.paths import join, parent
    from ai_protocols.session.names import history_folder

    here = history_folder(project.ai_dir_text, path)
    if not os.path.isdir(here):
        return []
    dest = join(there, relative_to(here, top))
    if os.path.lexists(dest):
        return [f"cp -Rp -- {shell_quote(f'{here}/.')} {shell_quote(dest)}"]
    steps = [] if os.path.isdir(parent(dest)) else [f"mkdir -p -- {shell_quote(parent(dest))}"]
    steps.append(f"{'mv' if move else 'cp -Rp'} -- {shell_quote(here)} {shell_quote(dest)}")
    return steps


def _elsewhere_alone(project: Project, name: str, path: str, newest: str | None,
                     there: str, said: str, go: str) -> str | None:
    """What :func:`_checked_out_elsewhere` says instead of a carry when the session file
    ``path``'s place in the work tree ``there`` holds a file (``said``: where the branch
    ``name`` is checked out; ``go``: the ``cd`` there): the session carries on there
    (:func:`_carries_on`), that work tree has a session file of its own (never moved
    over), or the newest version is the one committed on that branch, which that work
    tree has; ``None`` when the carry goes on (nothing there, or the file there is the
    one git holds at that branch's tip). One git run, only when a file is there."""
    from ai_protocols.git.history import file_at
    from ai_protocols.paths import git_dirs, join

    dirs = git_dirs(project.root_text)
    dest = join(there, relative_to(path, dirs[0] if dirs else project.root_text))
    if not os.path.lexists(dest):
        return None
    try:
        mine = storage.read_regular(dest)
    except (OSError, storage.NotRegular):
        mine = None
    kept_here = kept_path(project.ai_dir_text, path)
    if mine is not None and os.path.lexists(kept_here) and \
            not _one_version(kept_here, path):
        on = _carries_on(project, name, there, dest, mine, kept_here)
        if on is not None:  # (that work tree has the session's newest version)
            return on
    if mine is None or mine != file_at(project.root_text, f"refs/heads/{name}",
                                       f"./{relative_to(path, project.root_text)}"):
        return (f"{said}; this session file stays in this work tree (each work tree has its "
                f"own .ai/), and that one has a session file of its own at the same place "
                f"({_clip(display(dest), 200)}), which moving this one there would write "
                f"over: see which session each is (ai-protocols show, here and there) "
                f"before you work there ({go})")
    if newest is None and os.path.lexists(kept_here) and not _one_version(kept_here, path):
        # The tip holds the newest (the kept copy is it) and the file here is another
        # version (a switch put another branch's back): that work tree has the session.
        return (f"{said}; the newest version of this session is the one committed on "
                f"branch {name}, which that work tree has (the file here is another "
                f"branch's version; moving it there would write over the newer one): "
                f"work there ({go})")
    return None


#: What the carry advice of :func:`_checked_out_elsewhere` says after its command.
CARRY_SAID = "absolute paths: from anywhere"

#: How :func:`_carries_on`'s warning begins (:func:`_switched_warning` leads with it).
CARRIES_ON = "this session carries on in the work tree "


def _carries_on(project: Project, name: str, there: str, dest: str, there_data: bytes,
                kept: str) -> str | None:
    """When the session file at ``dest`` in the work tree ``there`` (which has the branch
    ``name`` checked out; ``there_data``: its bytes) is this session (the same
    ``AGENT_ID`` and ``STARTED``) and holds every entry, Log line and tick of the kept
    copy ``kept`` here, the version this tool last wrote here (the file here being
    another version): the session carries on there (a ``cd`` followed there, or the
    newest version committed on that branch). The warning says so first, and the way
    there leaves the record of a carry here (the kept copy's place made a link to
    ``dest``, as the carry advice does), so that this work tree then says where the
    session is and refuses a write into the older file (issue 14, twentieth round: it
    gave the switched-file warning, then "a session file of its own" there). ``None``
    otherwise. Reads the two files; call on the rare path only."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.model import compared
    from ai_protocols.session.reading import read_session

    try:
        newest = read_session(kept, storage.decode(kept, storage.read_regular(kept)))
        theirs = read_session(dest, storage.decode(dest, there_data))
    except (OSError, ValueError, AiProtocolsError, storage.NotRegular):
        return None
    if newest.started is None or \
            (newest.agent_id, newest.started) != (theirs.agent_id, theirs.started):
        return None
    lacks = compared(newest, theirs)
    if lacks.log or lacks.entries or lacks.ticks:
        return None
    from ai_protocols.paths import same_place

    record = f"ln -sf -- {shell_quote(dest)} {shell_quote(kept)}"
    return (f"{CARRIES_ON}{_clip(display(there), 200)}, where branch {_clip(name, 80)} is "
            f"checked out (git switch refuses it here): its session file there "
            f"({_clip(display(dest), 200)}) holds every entry of the version ai-protocols "
            f"last wrote here (the copy it keeps, "
            f"{_clip(display(relative_to(kept, project.root_text)), 200)}): work there, "
            f"leaving here the record of the carry with: {record} && cd "
            f"{shell_last_word(same_place(project.root_text, there))} ({CARRY_SAID}; the "
            f"kept copy's place then links to "
            f"that file, so that ai-protocols here says where the session is and writes "
            f"nothing into the file here)")


def carried_warning(path: str, kept: str) -> str | None:
    """When the kept copy ``kept`` of the session file ``path`` is the record of a carry
    to another work tree (what the carry advice of :func:`_checked_out_elsewhere` leaves
    when the version here is another one: issue 14, nineteenth round, "work
    elsewhere"): what the writes' refusal says
    (:func:`~ai_protocols.session.replaced.carried_refusal`), for the read commands;
    ``None`` otherwise. One ``readlink`` and one ``stat``."""
    from ai_protocols.session.replaced import carried_refusal

    refusal = carried_refusal(path, kept)
    return None if refusal is None else refusal.said


def _one_version(kept: str, path: str) -> bool:
    """Whether the kept copy ``kept`` is the version of the session file ``path`` the
    tool wrote last (:func:`~ai_protocols.storage.files.same_version`: a copy with the
    file's time, since the seventeenth round); ``False`` when either cannot be read."""
    try:
        return storage.same_version(os.stat(kept), os.stat(path))
    except OSError:
        return False


def _branch_holds(project: Project, branch: str, commit: str) -> bool:
    """Whether the local branch ``branch`` exists and holds ``commit`` (git-merge-base(1)
    ``--is-ancestor``; the full ref name, so never an option)."""
    if not branch or not _is_hash(commit):
        return False
    from ai_protocols.git.history import start_ancestry

    return start_ancestry(project.root_text, commit, f"refs/heads/{branch_name(branch)}")()


def _moved_on(project: Project, base: str | None, head: str | None,
              committed: list[str] | None) -> bool:
    """Whether ``HEAD`` (``head``) descends from the last checkpoint's base (``base``)
    and holds work committed since it outside ``.ai/`` (``committed``: those paths,
    when already known): the branch moved on past the checkpoint (an amend or a rebase
    leaves the commit recorded behind), so that checkpoint is older than the work."""
    if head is None or not _is_hash(base) or base == head:
        return False
    from ai_protocols.git.history import start_ancestry, start_work_diff

    ancestry = start_ancestry(project.root_text, base, head)  # type: ignore[arg-type]
    if committed is None:
        committed = start_work_diff(project.root_text, base, head)()  # type: ignore[arg-type]
    return ancestry() and bool(committed)
