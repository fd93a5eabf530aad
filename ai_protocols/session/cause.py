"""What put a session file there that differs from the version this tool wrote last
(its kept copy): the one rule naming the cause, from the evidence git's files give,
for every message that says it: the read commands' warning (``status``, ``resume``,
``start``, ``show``, the SessionStart hook:
:func:`ai_protocols.session.resume.replaced_warning`), the write's warning and its
Log's ``replaced:`` line (``log`` and every write), the refusal of an older version
(:class:`~ai_protocols.errors.SessionReplaced`) and of a wrapped-up session's copy
(:class:`~ai_protocols.errors.SessionWrappedUp`). docs/decisions.md, "Twenty-fourth
round: session-file causes, one wording".

The evidence, in this order: a git operation under way; where ``HEAD`` is (detached,
another branch than the last write recorded); a commit git made in this work tree (a
``git revert``, ``cherry-pick``), or made in another clone and brought by a pull, a
merge or a rebase, whose version of the file is the file, over the version written
last (:func:`committed_by`: the person's deliberate act, never a thing to undo); the
newest stash entry holding the version written last (``git stash`` took it);
git's index (:func:`git_wrote`: whether git's last checkout, reset or stash wrote the
file as it is, or something else did: an editor's save, a copy). Paths are text.
Reads git's files; runs git a few times, only on the way to a message.
"""

from __future__ import annotations

import os

from ai_protocols.git.state import _git_out, git_version
from ai_protocols.lean import pattern, quoted
from ai_protocols.paths import parent

#: What :func:`head_put_back` calls the file when it is this one's older version.
OLDER = "an older version of this file"

#: :func:`head_put_back`'s cause when ``HEAD`` is on the branch written on, its version
#: of the file is not the file, and git's index says git wrote it (git's
#: ``checkout COMMIT -- FILE``).
RESTORED = ("a git checkout or git restore of the file from an older commit (git's "
            "index says git wrote it; git's HEAD holds another)")

#: The reflog messages of ``HEAD`` (git-revert(1), git-cherry-pick(1)) of a commit git
#: made here whose content git wrote, each said for a person. A plain ``git commit``
#: is not one: it may commit an editor's stale save, which the stale-save rules merge
#: back (:mod:`ai_protocols.session.stale_commit`).
_MADE = ((b"revert: ", "a git revert"), (b"cherry-pick: ", "a git cherry-pick"))

#: The lines git writes into the message of a revert (git-revert(1): ``This reverts
#: commit <id>.``, or with ``revert.reference`` ``This reverts commit <abbrev> (<subject>,
#: <date>).``) and of ``git cherry-pick -x`` (``(cherry picked from commit <id>)``),
#: which ``git commit`` keeps (from ``MERGE_MSG``) after ``--no-commit`` or a stop on a
#: conflict, when the reflog says only ``commit: ``; each said for a person.
#: (Compiled on first use, ``MULTILINE``: the write path imports this module, and no
#: hot command may import :mod:`re`, tests/test_fast_path.py.)
_MESSAGES = ((pattern(r"^This reverts commit [0-9a-f]{7,64}\b", 8), "a git revert"),
             (pattern(r"^\(cherry picked from commit [0-9a-f]{7,64}\)", 8),
              "a git cherry-pick"))


def not_git(opened: str = "on an older version") -> str:
    """The cause when git's index says no git command wrote the file as it is
    (:func:`git_wrote` is ``False``): an editor's save of a buffer opened ``opened``
    (when), or a copy put back; the git commands that write a file without its index
    entry named last (``git stash pop`` of a file with changes, ``git restore
    --source``)."""
    return (f"likely an editor's save of a buffer opened {opened}, or a copy put back (cp, "
            f"git show, git restore --source, git stash pop): git's index says no checkout "
            f"or reset wrote it")


def git_wrote(path: str) -> bool:
    """Whether git's index records the session file ``path`` as git last wrote or took
    it (:func:`ai_protocols.git.history.index_wrote`: the entry's cached ``stat`` is the
    file's); ``False`` outside git, when it holds no entry, or the file is gone. One
    git run."""
    from ai_protocols.git.history import index_wrote
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(parent(path))
    if dirs is None:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return index_wrote(dirs[0], os.path.relpath(path, dirs[0]), st)


def committed_by(path: str, newer: bytes) -> str | None:
    """When ``HEAD``'s newest move (its reflog, gitrepository-layout(5)) made a commit
    here whose content git wrote (a ``git revert``, ``git cherry-pick``; or a ``git
    commit`` that finished one, its message holding git's line for it,
    :func:`_made_by_message`; or a pull or merge that brought such a commit made in
    another clone, by a fast-forward, a true merge or a rebase, the newest it brought
    that changed the file, :func:`_brought_from`), whose version
    of the session file ``path`` is the file's bytes, and the commit it was made on holds ``newer``
    (the version this tool wrote last, its kept copy's bytes) there: what made it, said
    for a person (``"a git revert (commit 1a2b3c4d5e6f)"``). The file is then a
    person's deliberate act, committed, and the version written last stays in git's
    history: nothing to warn of, nothing to undo. ``None`` otherwise. Reads the reflog;
    two ``git show`` when its newest move made a commit (and one ``git cat-file`` first
    when that was a ``git commit``; a ``git log`` and a ``git cat-file`` first when it
    was a pull, a merge or a rebase)."""
    from ai_protocols.git.head import reflog_moves
    from ai_protocols.paths import git_dirs

    folder = parent(path)
    dirs = git_dirs(folder)
    moves = reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), 4096) if dirs else None
    if not moves:
        return None
    old, new, message = moves[-1]
    made = next((said for start, said in _MADE if message.startswith(start)), None)
    if made is None and message.startswith(b"commit: "):
        made = _made_by_message(folder, new)
    commit = at = new  # (at: the commit whose version is the file, HEAD's or a pull's)
    if made is None and old.strip("0"):
        brought = _brought_from(folder, new, path, moves)
        if brought is not None:
            old, at, commit, made = brought
    if made is None or old.strip("0") == "":
        return None
    from ai_protocols.git.head import read_head

    head = read_head(folder)
    if head is None or head[1] != new:
        return None
    from ai_protocols.storage import files as storage

    name = "./" + path.rsplit("/", 1)[-1]
    try:
        data = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        return None
    if git_version(folder, f"{at}:{name}") != data or \
            (at != new and git_version(folder, f"{new}:{name}") != data) or \
            git_version(folder, f"{old}:{name}") != newer:
        return None
    return f"{made} (commit {commit[:12]})"


def _brought_from(root: str, head: str, path: str, moves: list[tuple[str, str, bytes]]
                  ) -> tuple[str, str, str, str] | None:
    """When ``HEAD`` (``head``; ``moves``: the newest moves of its reflog,
    :func:`~ai_protocols.git.head.reflog_moves`) holds the result of a pull or a merge,
    its newest move or one before one's own commits
    (:func:`~ai_protocols.git.head.pulled_from`: a fast-forward, a true merge, its
    conflicts settled by ``git commit``, or the steps of a ``git pull --rebase`` as
    one), or its newest move ends a ``git rebase`` (:func:`_rebased_from`), and the
    newest commit that brought that changed the session file ``path``
    (:func:`_last_change`: of a true merge, the other side's, which git took the file
    from; of a rebase, the upstream's under the replayed commits) holds git's line for
    a revert or ``cherry-pick -x`` (:func:`_made_by_message`): ``(the commit HEAD named
    before the pull, the one after it, that commit, what made it said for a person)``.
    ``None`` otherwise. Reads the end of ``HEAD``'s reflog; two git runs when it holds
    such a move."""
    from ai_protocols.git.head import pulled_from

    pulled = pulled_from(root, head) or _rebased_from(moves, head)
    last = None if pulled is None else _last_change(root, *pulled, path)
    made = None if last is None else _made_by_message(root, last)
    return None if pulled is None or last is None or made is None else \
        (*pulled, last, made)


def _rebased_from(moves: list[tuple[str, str, bytes]], head: str
                  ) -> tuple[str, str] | None:
    """The ``git rebase`` whose steps (``rebase (start)``, ``(pick)``..., ``(finish)``,
    git-rebase(1); ``rebase -i``'s too) end ``moves`` (``HEAD``'s reflog, oldest first,
    its newest value ``head``), or come just before one's own commits there
    (``commit: ``): ``(the old value of its (start), its result)``. ``None`` when
    ``moves`` end otherwise, or its start is not among them. No I/O."""
    want = head
    steps = iter(reversed(moves))
    for old, new, message in steps:
        if new != want or not message.startswith(b"commit: "):
            break
        want = old
    else:
        return None
    what = message.split(b":", 1)[0]
    if new != want or not what.endswith(b" (finish)"):
        return None
    name = what[:-len(b"(finish)")]  # ("rebase ", "rebase -i ", "pull --rebase ")
    for old, _new, message in steps:
        step = message.split(b":", 1)[0]
        if not step.startswith(name) or not step.endswith(b")"):
            return None
        if step == name + b"(start)":
            return (old, want) if old.strip("0") else None
    return None


def _last_change(root: str, old: str, new: str, path: str) -> str | None:
    """The newest commit of ``old..new`` that changed the file ``path`` (``git log -1``),
    ``None`` when none did or git cannot run. One git run."""
    out = _git_out(root, "log", "-1", "--format=%H", f"{old}..{new}", "--",
                   f":(literal)./{path.rsplit('/', 1)[-1]}")
    found = out.decode("ascii", "replace").strip() if out else ""
    return found or None


def _made_by_message(root: str, commit: str) -> str | None:
    """What made ``commit`` (in the work tree ``root``), said for a person, when its
    message holds the line git writes for a revert or ``cherry-pick -x``
    (:data:`_MESSAGES`): a ``git revert --no-commit`` (or one stopped on a conflict)
    that ``git commit`` finished, which ``HEAD``'s reflog logs as any commit. ``None``
    otherwise: a message of the person's own words alone says nothing git made. One
    ``git cat-file``."""
    data = _git_out(root, "cat-file", "commit", commit)
    body = data.split(b"\n\n", 1)[1] if data and b"\n\n" in data else b""
    text = body.decode("utf-8", "replace")
    return next((said for line, said in _MESSAGES if line.search(text)), None)


def reverted_by(root: str, commit: str) -> str | None:
    """The commit that ``commit`` (in the work tree ``root``) says it reverts: the id
    of git's line ``This reverts commit <id>`` in its message (:data:`_MESSAGES`,
    git-revert(1); the id as written, full or abbreviated); ``None`` when the message
    holds no such line (a commit of a person's own words) or git cannot say. One ``git
    cat-file``."""
    data = _git_out(root, "cat-file", "commit", commit)
    body = data.split(b"\n\n", 1)[1] if data and b"\n\n" in data else b""
    found = _MESSAGES[0][0].search(body.decode("utf-8", "replace"))
    return found.group(0).rsplit(" ", 1)[1] if found is not None else None


def stash_took(path: str, newer: bytes) -> bool:
    """Whether the newest stash entry holds ``newer`` (the version this tool wrote
    last) at the session file ``path``, tracked or untracked (``refs/stash``, its third
    parent ``refs/stash^3``, git-stash(1)), or a person's edit of it (a note typed into
    it before the stash: the same write record, ``UPDATED_AT``, which only the tool's
    writes set): ``git stash`` took it
    (docs/decisions.md, "Twenty-eighth round: what status, resume and a write say of a
    stale save", item 3). No process without a stash; else one or two ``git show``."""
    from ai_protocols.git.head import has_stash

    folder = parent(path)
    if not has_stash(folder):
        return False
    name = "./" + path.rsplit("/", 1)[-1]
    stamp = None
    for ref in ("refs/stash", "refs/stash^3"):
        held = git_version(folder, f"{ref}:{name}")
        if held is None:
            continue
        if held == newer:
            return True
        if stamp is None:
            stamp = _write_record(newer)
        if stamp and _write_record(held) == stamp:
            return True
    return False


def _write_record(data: bytes) -> str:
    """The write record (``UPDATED_AT``) of the session file bytes ``data``'s session
    headline (:func:`~ai_protocols.session.sections.head_of`); ``""`` when none. No I/O."""
    from ai_protocols.session.sections import head_of

    headline = head_of(data)
    return "" if headline is None else headline.properties.get("UPDATED_AT") or ""


def stash_untracked(path: str, blob: str) -> bool:
    """Whether the newest stash entry holds the session file ``path`` untracked (its
    third parent, ``refs/stash^3``, git-stash(1): ``git stash -u``) as the blob ``blob``
    (an object id, or its first hex digits): then no commit of the file can precede the
    pop, and the pop refuses while a file is here. One git run."""
    from ai_protocols.git.state import _git

    held = _git(parent(path), "rev-parse", "-q", "--verify",
                f"refs/stash^3:./{path.rsplit('/', 1)[-1]}")
    return held is not None and held.decode("ascii", "replace").startswith(blob)


def head_put_back(path: str, recorded: str | None, newer: bytes | None = None,
                  opened: str = "on an older version") -> tuple[str, str]:
    """What was put at the session file ``path`` and what did it, from git's files,
    ``recorded`` (the branch, ``GIT_BRANCH``, the version this tool wrote last recorded;
    ``None``: none) and ``newer`` (that version's bytes, when known: a stash holding it
    is named). The one rule of the write's ``replaced:`` line, its warning and refusal,
    and of the read commands' warning. A first part other than :data:`OLDER` is a
    branch switch (``("the session file of branch B", "a switch from branch A")``).
    Else the cause: ``"the git OP under way"``, ``"a checkout of commit C, HEAD
    detached"``, ``"git stash"`` (:func:`stash_took`), ``"a git reset or checkout of
    branch B"`` (git's index says git wrote it, and it is ``HEAD``'s version),
    :data:`RESTORED` (git wrote it, not ``HEAD``'s), :func:`not_git` (``opened``: when
    the buffer was opened), or ``"a branch switch or a reset"`` (no branch recorded).
    Branch names are quoted (:func:`ai_protocols.lean.quoted`). A few ``stat`` and
    reads of git's files; git runs a few times."""
    from ai_protocols.git.head import operation, read_head

    folder = parent(path)
    under_way = operation(folder)  # (a rebase or bisect detaches HEAD too)
    if under_way:
        return OLDER, f"the git {under_way} under way"
    head = read_head(folder)
    branch, commit = head if head is not None else (None, None)
    if branch is None and commit:
        return OLDER, f"a checkout of commit {commit[:12]}, HEAD detached"
    if branch is not None and recorded is not None and branch != recorded:
        return (f"the session file of branch {quoted(branch, 80)}",
                f"a switch from branch {quoted(recorded, 80)}")
    if newer is not None and stash_took(path, newer):
        return OLDER, "git stash"
    if not git_wrote(path):
        return OLDER, not_git(opened)
    if branch is not None and recorded is not None:
        if not _head_is_file(path):  # (git writes HEAD's version: another came otherwise)
            return OLDER, RESTORED
        return OLDER, f"a git reset or checkout of branch {quoted(branch, 80)}"
    return OLDER, "a branch switch or a reset"


def wrapped_cause(path: str) -> str:
    """What put back the session file ``path`` of a session already wrapped up, said
    for :class:`~ai_protocols.errors.SessionWrappedUp`: git (its index says git wrote
    it: a checkout of an older commit, a reset), else :func:`not_git` of a buffer
    opened before the wrap-up; first, a git operation under way (a rebase, merge or
    cherry-pick stopped on the file left it: its index holds no entry of its own),
    as :func:`head_put_back` says it. One git run."""
    from ai_protocols.git.head import operation

    under_way = operation(parent(path))
    if under_way:
        return f"the git {under_way} under way put it there"
    if git_wrote(path):
        return "git put it back: a checkout of an older commit or a reset, its index says"
    return not_git("before the wrap-up")


def _head_is_file(path: str) -> bool:
    """Whether ``HEAD``'s version of the file at ``path`` is the file's bytes (one ``git
    show``, one read); ``False`` when ``HEAD`` holds none, ``True`` when the file cannot
    be read (nothing to tell them by)."""
    from ai_protocols.storage import files as storage

    folder, name = parent(path), path.rsplit("/", 1)[-1]
    head = git_version(folder, f"HEAD:./{name}")
    try:
        return head is not None and head == storage.read_regular(path)
    except (OSError, storage.NotRegular):
        return True
