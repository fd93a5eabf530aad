"""The repository a checkpoint is taken in: the values of checkpoints (:class:`Checkpoint`,
:class:`Recorded`, :class:`Whereabouts`, :class:`Restored`), the refs' names, this clone's
id, and :class:`Repository`, the part of :class:`~ai_protocols.git.checkpoint.Checkpoints`
that finds the work tree, runs git in it and numbers its checkpoints; and the small steps
the other parts share (a ref's record parsed, a file discarded, moved or unlinked, whether
a process runs).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import GitFailed, NotAGitRepository
from ai_protocols.git.checkpoint_marks import restored_at, restored_said
from ai_protocols.git.spawn import GIT_PLACE as _GIT_PLACE
from ai_protocols.git.spawn import EarlyAdd, git_env, linked_worktrees_inside, session_names
from ai_protocols.git.spawn import GitRun as _Git
from ai_protocols.lean import PathField, TextOf, datetime, digits, shell_quote, timezone
from ai_protocols.paths import AI_DIR, safe_id
from ai_protocols.storage.files import temporary_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


def _path(text: str | os.PathLike[str]) -> Path:
    """``pathlib.Path(text)``, :mod:`pathlib` imported on first use: ``checkpoint``'s
    own path (:meth:`Checkpoints.take`) works on text and never imports it (pathlib
    brings ``re``, ``fnmatch`` and ``urllib.parse``: over a quarter of the command's own
    instructions; docs/performance.md, issue 14, twenty-second round)."""
    from pathlib import Path

    return Path(text)

#: Where every checkpoint ref lives: ``<NAMESPACE>/<agent>/<n>``.
NAMESPACE = "refs/ai-protocols/checkpoints"
#: The agent part of the refs of the one-agent session file (no ``AI_AGENT_ID``).
NO_AGENT = "default"
#: The refspec that pushes and fetches every checkpoint (docs/checkpoints.md).
REFSPEC = "refs/ai-protocols/*:refs/ai-protocols/*"
#: How every printed fetch of :data:`REFSPEC` begins: never pruning, whatever
#: ``fetch.prune`` or ``remote.<name>.prune`` say (git-fetch(1), ``--no-prune``): a
#: pruning fetch of this namespace deletes every checkpoint of this clone the remote
#: lacks, the ones never pushed included (issue 14, twenty-second round).
FETCH = "git fetch --no-prune"
#: The file in the common git folder that holds this clone's id: a ref part of 8
#: random hex digits, made by the first checkpoint taken here (``git clone`` never
#: copies it), so that the refs of two clones never have the same name.
CLONE_FILE = "ai-protocols-clone"
#: The folder beside it that keeps, per agent, the last checkpoint number this clone
#: gave: a number is never given twice, even after its ref was deleted or pruned.
NUMBERS_DIR = "ai-protocols-numbers"

#: What ``rev-parse`` is asked first (see :meth:`Checkpoints._ask`).
_WHERE = ("rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-path", "index",
          "--git-common-dir")
#: A submodule's commit in a tree: its mode (gitformat-index(5), "gitlink").
_GITLINK = "160000"
_SUBJECT = "ai-protocols checkpoint"
_IDENTITY = {"GIT_AUTHOR_NAME": "ai-protocols", "GIT_AUTHOR_EMAIL": "ai-protocols@localhost",
             "GIT_COMMITTER_NAME": "ai-protocols", "GIT_COMMITTER_EMAIL": "ai-protocols@localhost"}


class Checkpoint:
    """One checkpoint: ``ref`` (``refs/ai-protocols/checkpoints/<agent>/<n>``), ``agent``
    (the ref's agent part) and ``number``; ``commit`` its full hash, ``short`` the first
    12 digits; ``parent`` the commit it was taken on (``None``: before the first
    commit); ``time`` when (UTC, from the commit); ``note`` (``None``: none);
    ``files``: how many paths outside the tool's ``.ai/`` folders
    (:func:`ai_protocols.paths.is_tool_path`) differ between ``parent`` and the
    checkpoint (the uncommitted work it holds); ``changed``: every path that differs,
    the tool's too, when known.

    (Plain classes here, not dataclasses: importing :mod:`dataclasses` would delay
    the start of ``git add``.)"""

    def __init__(self, ref: str, agent: str, number: int, commit: str, parent: str | None,
                 time: datetime, note: str | None, files: int,
                 changed: list[str] | None = None, clone: str | None = None) -> None:
        self.ref, self.agent, self.number, self.commit = ref, agent, number, commit
        self.parent, self.time, self.note, self.files = parent, time, note, files
        self.changed = changed or []
        #: The id of the clone that took it (``None``: a ref of the older form
        #: ``<agent>/<n>``, without one).
        self.clone = clone

    @property
    def name(self) -> str:
        """Its short name, as ``REF`` accepts it: ``AGENT/CLONE/N`` (``AGENT/N`` for a
        ref of the older form); its short hash when no ref holds it (found by its
        commit, :meth:`Checkpoints._unreferenced`: ``AGENT/N`` would name another, or
        nothing). ``AGENT`` is the id as it was typed (:func:`typed_agent`), which
        ``REF`` takes as it takes the ref's form."""
        if not self.ref.startswith("refs/"):
            return self.short
        agent = typed_agent(self.agent)
        return f"{agent}/{self.clone}/{self.number}" if self.clone else \
            f"{agent}/{self.number}"

    def __repr__(self) -> str:
        return f"Checkpoint({self.ref!r}, commit={self.commit!r}, files={self.files})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and vars(self) == vars(other)

    @property
    def short(self) -> str:
        return self.commit[:12]

    def to_json(self) -> dict[str, object]:
        """The ``checkpoint list --json`` form (keys in docs/checkpoints.md)."""
        return {"ref": self.ref, "agent": self.agent, "clone": self.clone,
                "number": self.number,
                "commit": self.commit, "parent": self.parent,
                "time": self.time.isoformat(timespec="seconds"), "note": self.note,
                "files": self.files}


def order(checkpoint: Checkpoint) -> tuple[datetime, str, str, int]:
    """The one order of checkpoints, oldest first: by the time each was taken (its
    commit's, to the second), then, for those of one second, by agent, clone and number.
    Clones count apart, so only their times order them together."""
    return (checkpoint.time, checkpoint.agent, checkpoint.clone or "", checkpoint.number)


class Recorded:
    """A checkpoint a session file records: ``number`` (``N``), ``commit`` (the short hash
    of its Log line ``checkpoint: N HASH ...``, or the full ``CHECKPOINT_COMMIT``) and
    ``ref`` (the ``CHECKPOINT`` property's, the last one's only; ``None`` for the
    others: their Log lines name no ref)."""

    def __init__(self, number: int | None, commit: str, ref: str | None = None) -> None:
        self.number, self.commit, self.ref = number, commit, ref

    def __repr__(self) -> str:
        return f"Recorded({self.number!r}, {self.commit!r}, {self.ref!r})"


def recorded(log: list[str], ref: str | None, commit: str | None) -> list[Recorded]:
    """The checkpoints a session records, oldest first, once each: one per Log line
    ``checkpoint: N HASH (...)`` (:func:`record` writes them; ``log``: the Log entries'
    texts, stamps left out), the last one's ``ref`` from the ``CHECKPOINT`` property and
    its full ``commit`` (``CHECKPOINT_COMMIT``). Reads nothing."""
    import re

    found: list[Recorded] = []
    for text in log:
        match = re.match(r"checkpoint: ([1-9][0-9]*) ([0-9a-f]{4,64}) \(", text)
        if match and not any(r.commit == match.group(2) for r in found):
            found.append(Recorded(int(match.group(1)), match.group(2)))
    if commit and re.fullmatch(r"[0-9a-f]{4,64}", commit):
        last = next((r for r in found if commit.startswith(r.commit)), None)
        if last is None:
            tail = (ref or "").rsplit("/", 1)[-1]
            last = Recorded(int(tail) if digits(tail) else None, commit)
            found.append(last)
        last.commit = commit
        last.ref = ref if ref and ref.startswith(f"{NAMESPACE}/") else None
    return found


class Whereabouts:
    """Where a checkpoint is, seen from this clone, and what a person does about it: the
    one rule ``checkpoint list``, ``checkpoint restore`` (and ``show``, ``export``) and
    ``resume`` follow (issue 14, eleventh round; :meth:`Checkpoints.whereabouts`).
    ``state`` is one of:

    - ``"here"``: a checkpoint ref of this clone holds it (``checkpoint``);
    - ``"unreferenced"``: no ref does (deleted, or pruned by ``git fetch --prune``), but
      its commit is still in this clone, until ``git gc`` collects it;
    - ``"not-fetched"``: another clone took it, and it was never fetched here (a plain
      ``git clone`` or ``git fetch`` never brings refs outside ``refs/heads`` and
      ``refs/tags``, git-fetch(1)): the fetch of :data:`REFSPEC` brings it, once that
      clone pushed it;
    - ``"collected"``: this clone (or a worktree of it) took it, its ref is gone and
      ``git gc`` collected its commit: nothing here holds it any more;
    - ``"unknown"``: not here, and which clone took it is not recorded (a Log line
      names no ref): either of the two before."""

    def __init__(self, state: str, commit: str, ref: str | None, fetch: str,
                 checkpoint: Checkpoint | None = None, remotes: str | None = None) -> None:
        self.state, self.commit, self.ref, self.fetch = state, commit, ref, fetch
        #: Where this clone fetches from, as the push advice names it
        #: (:meth:`Checkpoints.push_to`): ``URL`` (its one remote's, or its branch's
        #: upstream's), ``"one of URL, URL"`` or ``None``: this clone has no remote.
        self.remotes = remotes
        #: The checkpoint, when its commit is in this clone.
        self.checkpoint = checkpoint
        #: Whether this clone (or a worktree of it) took it, as its ref says (``None``:
        #: no ref recorded, or none of the form ``AGENT/CLONE/N``).
        self.mine: bool | None = None
        #: The work tree the commands run in, said after a command that ends a sentence
        #: (``(from ROOT)``: no full stop glued to it; issue 14, nineteenth round).
        self.root: str | None = None
        self._restored: list[str | None] = []  # (asked of git on first use: restored)

    @property
    def restored(self) -> str | None:
        """The worktree a restore of it made already (:func:`restored_at`), where its
        work is: said instead of the restore, which that folder would refuse (issue 14,
        twenty-first round); ``None``: none, or it is not in this clone. Asked of git
        (``git worktree list``) on first use, not by :meth:`Checkpoints.whereabouts`:
        its callers that want only where a checkpoint is (``checkpoint restore`` of one
        here, ``checkpoint list`` passing over one another agent's ref holds) never
        use it (issue 16, twenty-third round)."""
        if not self._restored:
            self._restored.append(
                restored_at(self.root, self.commit) if self.root is not None and
                self.state in ("here", "unreferenced") else None)
        return self._restored[0]

    def __repr__(self) -> str:
        return f"Whereabouts({self.state!r}, {self.commit!r}, {self.ref!r})"

    def say(self, it: str = "it") -> str:
        """What to say of it, ``it`` naming it (``"checkpoint 2 (1a2b3c4d5e6f)"``): where
        it is and the command that brings it back, or that nothing can here, and why."""
        short, ref = self.commit[:12], self.ref or "its ref"
        restore = f"ai-protocols checkpoint restore {short}"
        end = f" (from {self.root})" if self.root else ""
        if self.restored is not None and self.state in ("here", "unreferenced"):
            return restored_said(it, self.restored, short, self.root or ".")
        if self.state == "here":
            return f"restore {it} with: {restore}{end}"
        if self.state == "unreferenced" and self.mine is False:
            named = f" ({self.ref}; or it was deleted)" if self.ref else " (or it was deleted)"
            return (f"its ref was never fetched here{named}, but the "
                    f"commit of {it} is in this clone (a clone by path copies every object), "
                    f"until git gc collects it: restore {it} with: {restore} (or fetch its "
                    f"ref first: {self.fetch})")
        if self.state == "unreferenced":
            how = f"its ref is gone here ({ref}: deleted, or pruned by git fetch --prune)" \
                if self.mine else ("no ref of this clone holds it (never fetched here, or "
                                   "deleted, or pruned by git fetch --prune)")
            return (f"{how}, but the commit of {it} is still in this clone, until git gc "
                    f"collects it: restore {it} with: {restore}{end}")
        what = shell_quote(self.ref) if self.ref else f"'{REFSPEC}'"
        if self.remotes is None:
            pushed = (f"this clone has no remote (git remote lists none): push it to a "
                      f"repository both clones reach (git push URL {what}) and add that "
                      f"one here (git remote add origin URL)")
        elif self.remotes.startswith("one of "):
            pushed = (f"to the remote this clone fetches from, {self.remotes}: git push "
                      f"URL {what}")
        else:
            pushed = f"git push {shell_quote(self.remotes)} {what}"
        fetch = f"{self.fetch} && {restore}{end}"
        if self.state == "not-fetched":
            return (f"{it} is not in this clone (taken in another clone; a plain git clone "
                    f"or fetch never brings checkpoint refs): if it was never pushed, push "
                    f"it from the clone that took it ({pushed}); then here: {fetch}")
        collected = (f"{it} was taken in this clone (its ref names this clone's id), but its "
                     f"ref is gone here ({ref}: deleted, or pruned by git fetch --prune) and "
                     f"git gc collected its commit: what it held cannot be restored from "
                     f"this clone; a clone that fetched it before may still have it "
                     f"(ai-protocols checkpoint list --all there), and a remote it was "
                     f"pushed to, if it still holds it, gives it back: {self.fetch}{end}")
        if self.state == "collected":
            return collected
        return (f"{it} is not in this clone: if another clone took it, it was never fetched "
                f"here (push it from that clone: {pushed}; then here: {fetch}); if this "
                f"clone took it, its ref "
                f"was deleted and git gc collected its commit (a clone that fetched it "
                f"before may still have it: ai-protocols checkpoint list --all there)")


class Restored:
    """What :meth:`Checkpoints.restore` did: ``where`` the files are (a new worktree,
    or the work tree itself), ``branch`` the new branch (``None``: none), ``paths`` the
    paths written or removed in place, ``kept`` the paths the checkpoint does not have that
    were left as they were: their content is kept nowhere else, or a submodule's folder."""

    def __init__(self, checkpoint: Checkpoint, where: Path, branch: str | None = None,
                 paths: list[str] | None = None, kept: list[str] | None = None,
                 submodules: list[tuple[str, str]] | None = None) -> None:
        self.checkpoint, self.where, self.branch = checkpoint, where, branch
        self.paths, self.kept = paths or [], kept or []
        #: ``(path, commit)`` of each submodule whose commit the checkpoint holds: in
        #: place, checked out there; in a new worktree, in its index, for ``git
        #: submodule update --init`` to check out.
        self.submodules = submodules or []
        #: In place: the paths under a ``.ai/`` folder (the tool's own files) where
        #: the checkpoint differs, left as they are (:func:`is_tool_path`).
        self.left: list[str] = []
        #: In a new worktree: ``(path, commit)`` of each gitlink ``git submodule update``
        #: cannot check out: a nested repository (no ``.gitmodules`` entry, so no URL),
        #: or a submodule whose commit is on no remote-tracking branch of the submodule
        #: checked out here (never pushed?). Taken from this checkout instead.
        self.unpushed: list[tuple[str, str]] = []
        #: In place, a checkpoint taken on another commit than ``HEAD``: ``(its parent,
        #: HEAD)`` (either ``None`` before a first commit), and the paths removed that
        #: ``HEAD`` holds as they were (committed: ``git checkout HEAD -- PATH``).
        self.elsewhere: tuple[str | None, str | None] | None = None
        self.committed_removed: list[str] = []
        #: In place: the paths left as they are because they changed after the restore
        #: checked the work tree (saved in an editor, written by another program).
        self.changed: list[str] = []
        #: In place: the paths a sparse checkout leaves out of the work tree (skip-
        #: worktree in your index, not there), left as your index has them.
        self.sparse: list[str] = []
        #: In a new worktree: ``(copy, live, record)`` of each session file it holds a
        #: copy of whose session is live in this work tree, marked there as a carried
        #: session's second copy (``record``: :meth:`Checkpoints._second_copies`).
        self.copies: list[tuple[str, str, str]] = []

    def __repr__(self) -> str:
        return f"Restored({self.checkpoint.ref!r}, where={str(self.where)!r})"


def typed_agent(part: str) -> str:
    """The agent id a ref's agent part (:func:`ref_part`) was made from, as it was typed
    (``%C3%BCn%C3%AF.1`` is ``ünï.1``), for what people read: the percent-encoding of
    :func:`~ai_protocols.paths.safe_id` undone. The part stays as it is when it is
    ``%64efault`` (the id ``default``, never shown as the one-agent file's ``default``)
    or when its bytes are not UTF-8 text."""
    if "%" not in part or part == "%64" + NO_AGENT[1:]:
        return part
    raw, at = bytearray(), 0
    while at < len(part):
        code = part[at + 1:at + 3]
        if part[at] == "%" and len(code) == 2 and all(c in "0123456789abcdefABCDEF"
                                                      for c in code):
            raw.append(int(code, 16))
            at += 3
        else:
            raw += part[at].encode()
            at += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return part


def ref_part(agent_id: str | None) -> str:
    """The agent part of a checkpoint ref: :func:`ai_protocols.paths.safe_id` of the id
    (``default`` without one), with each ``.`` written ``%2E`` where git's ref rules
    (git-check-ref-format(1): no ``..``, no part ending in ``.`` or ``.lock``) would
    refuse it as it is; the id ``default`` as ``%64efault``, so that no id shares the
    refs of the one-agent file (``default``). Raises
    :class:`~ai_protocols.errors.InvalidAgentId`."""
    if agent_id is None:
        return NO_AGENT
    part = safe_id(agent_id)
    if ".." in part or part.endswith((".", ".lock")):
        part = part.replace(".", "%2E")
    if part == NO_AGENT:  # never the one-agent file's: its first letter escaped, a form
        part = "%64" + part[1:]  # safe_id never gives ('d' is kept as it is)
    return part


def clone_id(common_dir: str | os.PathLike[str], make: bool = False) -> str | None:
    """This clone's id, from :data:`CLONE_FILE` in its common git folder ``common_dir``
    (8 hex digits; ``None``: none yet). ``make``: make one first when there is none
    (``os.urandom``; atomically: two runs at once agree on the first one written)."""
    path = os.path.join(common_dir, CLONE_FILE)
    for _ in range(3):
        there = True
        try:
            with open(path, "rb") as source:
                found = source.read(64).strip().decode("ascii", "replace")
        except FileNotFoundError:
            found, there = "", False
        if len(found) == 8 and all(c in "0123456789abcdef" for c in found):
            return found
        if not make:
            return None
        temp = os.path.join(os.path.dirname(path), temporary_name(os.path.basename(path)))
        with open(temp, "w", encoding="ascii") as out:
            out.write(os.urandom(4).hex() + "\n")
        try:
            if there:  # not an id (empty, or a person's edit): replaced
                os.replace(temp, path)
            else:
                os.link(temp, path)  # never over one another run made meanwhile
        except FileExistsError:
            pass
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
    raise GitFailed("checkpoint", f"cannot make this clone's id in {path}")


#: Put before a git command that could run the user's hooks (post-checkout,
#: githooks(5)): a restore runs none, in place as into a new worktree (git-config(1),
#: ``core.hooksPath``; ``/dev/null`` holds no hook).
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
#: A git run that ignores sparse checkout (git-sparse-checkout(1)): it writes, and
#: marks, every path, whatever the patterns.
_WHOLE = ("-c", "core.sparseCheckout=false")

#: The attributes under which a checkout writes other bytes than git stores
#: (gitattributes(5)): an export converts the files that have one set
#: (:meth:`Checkpoints._as_checked_out`).
_CONVERTING = ("filter", "text", "eol", "crlf", "ident", "working-tree-encoding")
#: An index entry's skip-worktree flag as ``git ls-files --debug`` shows the flags
#: (git's ``CE_SKIP_WORKTREE``, read-cache.h).
_SKIP_WORKTREE = 1 << 30


def _early_spec(early: EarlyAdd) -> list[str]:
    """The pathspec an early ``git add`` was given (after its ``--`` and ``:/``)."""
    argv = early.run.argv
    return argv[argv.index("--") + 2:]


def _b(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _s(path: bytes) -> str:
    return path.decode("utf-8", "surrogateescape")


def _real(path: Path) -> str:
    """Where ``path`` (absolute; it need not exist) really is: its deepest existing
    folder with links resolved, then the rest as given."""
    head, tail = str(path), []
    while not os.path.lexists(head):
        head, name = os.path.split(head)
        tail.append(name)
    return os.path.join(os.path.realpath(head), *reversed(tail))


def _raw_records(out: bytes) -> list[tuple[str, str, str, str, str]]:
    """``(status, path, old mode, new mode, new object)`` of each record of git's raw
    diff output with ``-z`` (git-diff-tree(1), git-diff-index(1), "Raw output format":
    ``:OLD NEW OLDHASH NEWHASH STATUS`` NUL path NUL; without renames)."""
    fields = out.split(b"\0")
    found = []
    for info, path in zip(fields[0::2], fields[1::2], strict=False):
        if info.startswith(b":"):
            old_mode, new_mode, _, blob, status = info[1:].decode().split(" ")
            found.append((status, _s(path), old_mode, new_mode, blob))
    return found


def _discard(path: str | os.PathLike[str]) -> None:
    """Remove ``path``, a file or a folder with what it holds (nothing there: nothing
    done)."""
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def _unlink(path: str | os.PathLike[str]) -> None:
    """Remove the file ``path``; nothing there: nothing done (``Path.unlink(missing_ok=
    True)`` without :mod:`pathlib`)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return


def _move(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` (one step, ``rename(2)``); across file systems,
    copied beside ``target`` first (a symbolic link as a link), then renamed."""
    try:
        os.replace(source, target)
    except OSError as error:
        import errno

        if error.errno != errno.EXDEV:
            raise
        import shutil

        beside = target.with_name(f".{target.name}.{os.getpid()}.ai-protocols.tmp")
        shutil.copy2(source, beside, follow_symlinks=False)
        os.replace(beside, target)


def _as_seen(where: Path, seen: tuple[int, ...] | None) -> bool:
    """Whether the path ``where`` is as a snapshot saw it: absent when ``seen`` is
    ``None``, else a file (or link) with that ctime, mtime (nanoseconds), inode and
    size (:meth:`Checkpoints._looked`)."""
    try:
        stat = os.lstat(where)
    except FileNotFoundError:
        return seen is None
    if seen is None:
        return os.path.isdir(where) and not os.path.islink(where)  # (a folder checked)
    return (stat.st_ctime_ns, stat.st_mtime_ns, stat.st_ino, stat.st_size) == seen


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse(record: bytes) -> Checkpoint | None:
    """A checkpoint from one ``for-each-ref`` record (``None``: not one of ours)."""
    parts = record.lstrip(b"\n").split(b"\0", 4)
    if len(parts) < 5:
        return None
    ref, commit, parents, when, message = (p.decode("utf-8", "surrogateescape")
                                           for p in parts)
    tail = ref[len(NAMESPACE) + 1:].split("/") if ref.startswith(NAMESPACE + "/") else []
    if len(tail) not in (2, 3) or not digits(tail[-1]):
        return None
    subject, _, body = message.partition("\n\n")
    note = None
    if subject.startswith(_SUBJECT):
        paragraphs = body.rstrip("\n").rsplit("\n\n", 1)
        note = paragraphs[0] if len(paragraphs) == 2 else None
    import re

    files = re.search(r"^AI-Protocols-Files: ([0-9]+)$", message, re.M)
    return Checkpoint(ref=ref, agent=tail[0], number=int(tail[-1]), commit=commit,
                      parent=parents.split()[0] if parents.split() else None,
                      time=datetime.fromtimestamp(int(when or 0), tz=timezone.utc),
                      note=note, files=int(files.group(1)) if files else 0,
                      clone=tail[1] if len(tail) == 3 else None)


def _first_five(paths: list[str]) -> str:
    """``paths`` named in a refusal: the first five, and how many more."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


class Repository:
    """The git work tree a :class:`~ai_protocols.git.checkpoint.Checkpoints` works in: its
    paths, its git runs, its clone's id and the numbers of its checkpoints."""

    root = PathField()
    root_text = TextOf("root")
    top = PathField()
    top_text = TextOf("top")
    git_dir = PathField()
    git_dir_text = TextOf("git_dir")
    common_dir = PathField()
    common_dir_text = TextOf("common_dir")
    index = PathField()
    index_text = TextOf("index")

    def __init__(self, root: str | os.PathLike[str], agent_id: str | None = None) -> None:
        self.root = root
        self.agent = ref_part(agent_id)
        self._env = git_env()
        self._head: tuple[str | None, str | None] | None = None
        self._clone: str | None = None
        self._asked: _Git | None = None
        #: Untracked git repositories without a commit that the last checkpoint left
        #: out (``git add`` cannot take them: there is no commit to record).
        self.empty_repositories: list[str] = []
        #: The refs under :data:`NAMESPACE` read so far that hold no commit (ref: what
        #: they hold, ``blob``, ``tree``, ``tag``): no checkpoints.
        self.bad_refs: dict[str, str] = {}
        #: How many trees :meth:`_as_checked_out` converted (each its own folder).
        self._exports = 0
        #: Every checkpoint and the fetch command, once read by :meth:`whereabouts`.
        self._seen: tuple[list[Checkpoint], str, str | None] | None = None
        root_text = self.root_text
        if os.path.isdir(os.path.join(root_text, ".git")) and \
                not _GIT_PLACE & os.environ.keys():
            # The common case, the root is the top of its work tree: git's answer is
            # awaited only when needed, so that ``git add`` starts at once.
            self.top = root_text
            self.git_dir = self.common_dir = os.path.join(root_text, ".git")
            self.index = os.path.join(root_text, ".git", "index")
            from ai_protocols.git.head import read_head

            read = read_head(root_text)  # from git's files: no process to wait for
            if read is not None:
                self._head = (read[1], read[0])
            else:  # (reftable refs): git's answer, awaited only when needed
                self._asked = self._spawn(*_WHERE, "HEAD", "--symbolic-full-name", "HEAD",
                                          cwd=root_text)
        else:
            self._locate(self._ask())
            self._refuse_another_repository()
        ai = os.path.relpath(os.path.join(root_text, AI_DIR), self.top_text)
        outside = ai == os.pardir or ai.startswith(os.pardir + os.sep)
        ai = ai.replace(os.sep, "/")
        #: The tool's own folders, from the top (:func:`ai_protocols.paths.tool_folders`):
        #: never counted as work, never written by a restore in place.
        self.tool_folders: tuple[str, ...] = (f"{AI_DIR}/",) if outside \
            or ai == AI_DIR else (f"{AI_DIR}/", f"{ai}/")
        #: The live session files, relative to the top of the work tree: never taken
        #: from the work tree, never written by a restore.
        self.session_paths: tuple[str, ...] = () if outside else session_names(ai)

    @property
    def worktrees_inside(self) -> tuple[str, ...]:
        """The linked worktrees of this repository inside this work tree (paths from the
        top, :func:`~ai_protocols.git.spawn.linked_worktrees_inside`): other checkouts
        of the same repository, never taken into a checkpoint nor touched by a
        restore."""
        return linked_worktrees_inside(self.common_dir_text, self.top_text)

    def _in_worktree_inside(self, path: str, inside: tuple[str, ...]) -> bool:
        return any(path == w or path.startswith(w + "/") for w in inside)

    def _ask(self, asked: _Git | None = None) -> bytes:
        """``git rev-parse``'s answer: the top of the work tree, the git folder, the
        index, the common git folder, then ``HEAD``'s commit and its full name (recorded
        in ``_head``); before the first commit, the first four and the branch.
        ``asked``: that run, started already."""
        try:
            try:  # one run for all, when HEAD has a commit
                out = (asked or self._spawn(*_WHERE, "HEAD", "--symbolic-full-name", "HEAD",
                                            cwd=self.root_text)).wait()
                *_, commit, name = out.decode("utf-8", "surrogateescape").rstrip("\n") \
                    .split("\n")
                self._head = (commit, name[len("refs/heads/"):]
                              if name.startswith("refs/heads/") else None)
            except GitFailed as error:
                if "unknown revision" not in error.reason:
                    raise
                out = self._git(*_WHERE, cwd=self.root_text)
                self._head = (None, self._git(
                    "symbolic-ref", "-q", "--short", "HEAD", cwd=self.root, ok=(0, 1)
                ).decode("utf-8", "surrogateescape").strip() or None)
        except GitFailed as error:
            if "not a git repository" in error.reason or \
                    "must be run in a work tree" in error.reason:
                named = os.environ.get("GIT_DIR")
                wrong = named and not os.path.isfile(os.path.join(named, "HEAD"))
                raise NotAGitRepository(self.root, git_dir=named if wrong else None) from None
            raise
        return out

    def _refuse_another_repository(self) -> None:
        """Refuse (:class:`GitFailed`, before anything is made) when ``GIT_DIR`` or
        ``GIT_WORK_TREE`` (git(1), "ENVIRONMENT") point git at another repository than
        the project's: the checkpoint would be taken there and recorded in this
        project's session. The project's is the one its files name (its ``.git``);
        without one, the project must be inside git's work tree."""
        from ai_protocols.paths import git_dirs

        root = os.path.realpath(self.root)
        own = git_dirs(root)
        top, used = os.path.realpath(self.top), os.path.realpath(self.git_dir)
        inside = root == top or root.startswith(top.rstrip(os.sep) + os.sep)
        if (own is None and inside) or \
                (own is not None and os.path.realpath(own[1]) == used and inside):
            return
        named = ", ".join(f"{k}={os.environ[k]}" for k in sorted(_GIT_PLACE)
                          if k in os.environ)
        raise GitFailed("rev-parse", f"git's repository ({used}, work tree {top}, from "
                        f"{named}) is not this project's ({root}): a checkpoint would be "
                        "taken there and recorded here; unset those variables (env -u "
                        "GIT_DIR -u GIT_WORK_TREE ai-protocols ...), or run the command in "
                        "the project of that repository; nothing was made")

    def _locate(self, out: bytes) -> None:
        """Where the work tree, the git folder, the index and the refs are, from
        :meth:`_ask`'s answer."""
        lines = out.decode("utf-8", "surrogateescape").split("\n")
        if len(lines) < 4 or not lines[0]:
            raise NotAGitRepository(self.root)
        self.top = lines[0]
        self.git_dir = lines[1]
        # (relative: to the root git ran in; os.path.join keeps an absolute one whole)
        self.index = os.path.join(self.root_text, lines[2])
        #: Where the refs are (the main git folder, for a linked worktree too).
        self.common_dir = os.path.join(self.root_text, lines[3])

    @property
    def clone(self) -> str | None:
        """This clone's id (:func:`clone_id`; ``None``: no checkpoint taken here yet); in
        a linked worktree (git-worktree(1)), which is a project of its own for sessions,
        this worktree's: ``CLONE-W``, the clone's id and one of its own (kept in its own
        git folder), so that its checkpoints are numbered apart from the main work
        tree's and from each other worktree's (docs/checkpoints.md)."""
        if self._clone is None:
            self._clone = self._worktree_id(make=False)
        return self._clone

    def _linked(self) -> bool:
        """Whether this is a linked worktree: its own git folder is not the common one."""
        return os.path.realpath(self.git_dir_text) != os.path.realpath(self.common_dir_text)

    def _worktree_id(self, make: bool) -> str | None:
        base = clone_id(self.common_dir_text, make=make)
        if base is None or not self._linked():
            return base
        own = clone_id(self.git_dir_text, make=make)
        return None if own is None else f"{base}-{own}"

    def _siblings(self) -> tuple[str, str] | None:
        """``(id, prefix)``: the main work tree's id and the prefix every linked
        worktree's id of this repository starts with (``None``: no id yet)."""
        base = clone_id(self.common_dir)
        return None if base is None else (base, f"{base}-")

    def _own_prefix(self) -> str:
        """The folder of this agent's refs in this clone (its id made when there is
        none)."""
        if self.clone is None:
            self._clone = self._worktree_id(make=True)
        return f"{NAMESPACE}/{self.agent}/{self.clone}/"

    @property
    def _numbers_home(self) -> str:
        """Where :data:`NUMBERS_DIR` is: the common git folder, a linked worktree's own."""
        return self.git_dir_text if self._linked() else self.common_dir_text

    @property
    def head_commit(self) -> str | None:
        """``HEAD``'s commit (``None``: unborn), as it was when this object was made."""
        return self._settled()[0]

    @property
    def head_branch(self) -> str | None:
        """``HEAD``'s branch (``None``: detached), as it was when this object was made."""
        return self._settled()[1]

    def _settled(self) -> tuple[str | None, str | None]:
        if self._asked is not None:
            asked, self._asked = self._asked, None
            self._locate(self._ask(asked))  # (git's word, the same in the common case)
        assert self._head is not None
        return self._head

    def close(self) -> None:
        """Wait for what was started (never leaves a process behind)."""
        if self._asked is not None:
            asked, self._asked = self._asked, None
            asked.wait(ok=tuple(range(256)))

    # -- git ----------------------------------------------------------------------------

    def _git(self, *args: str, cwd: str | os.PathLike[str] | None = None,
             env: dict[str, str] | None = None,
             stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
        """``git ARGS``'s stdout; :class:`GitFailed` with its stderr when it fails.
        Git's answer to where things are, when it was left waiting, is read first."""
        if self._asked is not None:
            self._settled()
        return self._spawn(*args, cwd=cwd, env=env, stdin=stdin).wait(ok)

    def _numbers(self) -> list[int]:
        """The numbers of this agent's checkpoints, read from the ref files (loose refs
        and ``packed-refs``, gitrepository-layout(5)) while ``git add`` runs, without
        one more git run; through ``git for-each-ref`` where refs are not files (the
        reftable format). Only a guess of the next number: ``update-ref`` creates only
        a ref that does not exist, and a number taken is passed over."""
        prefix = f"{NAMESPACE}/{self.agent}/{self.clone}/"
        common = self.common_dir_text
        if os.path.exists(os.path.join(common, "reftable")):
            refs = self._git("for-each-ref", "--format=%(refname)", prefix).split()
            return [int(r[len(prefix):]) for r in refs if digits(r[len(prefix):])]
        try:
            names = os.listdir(os.path.join(common, prefix))
        except OSError:
            names = []
        numbers = [int(name) for name in names if digits(name)]
        try:
            with open(os.path.join(common, "packed-refs"), "rb") as packed:
                lines = packed.read().split(b"\n")
        except OSError:
            lines = []
        key = f" {prefix}".encode()
        for line in lines:
            tail = line.partition(key)[2]
            if tail.isdigit():
                numbers.append(int(tail))
        return numbers

    def _last_number(self) -> int:
        """The last number this clone gave this agent's checkpoints (0: none recorded),
        from :data:`NUMBERS_DIR`."""
        try:
            with open(os.path.join(self._numbers_home, NUMBERS_DIR, self.agent),
                      "rb") as source:
                text = source.read(32).strip()
        except OSError:
            return 0
        return int(text) if text.isdigit() else 0

    def _keep_number(self, number: int) -> None:
        """Record ``number`` as the last one given: never lowered (read, compared and
        replaced under an exclusive ``flock`` of ``.<agent>.lock`` beside it, so two
        checkpoints at once cannot put the lower number last), atomically (a new file
        renamed over the old)."""
        import fcntl  # (a C module: no cost)

        if number <= self._last_number():
            return
        folder = os.path.join(self._numbers_home, NUMBERS_DIR)
        os.makedirs(folder, exist_ok=True)
        lock = os.open(os.path.join(folder, f".{self.agent}.lock"),
                       os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        temp = os.path.join(folder, temporary_name(self.agent))
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if number <= self._last_number():
                return
            with open(temp, "w", encoding="ascii") as out:
                out.write(f"{number}\n")
            os.replace(temp, os.path.join(folder, self.agent))
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
            os.close(lock)

    def _spawn(self, *args: str, cwd: str | os.PathLike[str] | None = None,
               env: dict[str, str] | None = None, stdin: bytes | None = None) -> _Git:
        """Start ``git ARGS`` in ``cwd`` (default: the top of the work tree)."""
        return _Git(["git", "-C", self.top_text if cwd is None else os.fspath(cwd), *args],
                    env or self._env, stdin)

    def _read_head(self) -> tuple[str | None, str | None]:
        """``HEAD``'s commit (``None`` when unborn) and branch (``None`` when detached),
        as they are now."""
        out = self._git("rev-parse", "-q", "--verify", "HEAD^{commit}", ok=(0, 1))
        branch = self._git("symbolic-ref", "-q", "--short", "HEAD", ok=(0, 1))
        return (out.decode().strip() or None,
                branch.decode("utf-8", "surrogateescape").strip() or None)

