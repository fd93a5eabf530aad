"""The guard: changes in the work tree against claims and locks.

Two ways in. ``ai-protocols check`` (:func:`check`) reads ``git status`` and
reports each changed file that lies outside the working sets of the tasks
the current agent has claimed, or inside an area another agent has locked.
The ``PreToolUse`` hook (:func:`refusal`) runs before an agent's file edit
and refuses one into an area another agent holds locked, with a message the
agent's model sees; it is on every edit's path, so it reads the board only
when there is one, and judges liveness only for a lock the edit falls into.
"""

from __future__ import annotations

import os

from ai_protocols.lean import factory, record
from ai_protocols.paths import AI_DIR, has_board  # (has_board: named here too, as it was)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.board.board import Board
    from ai_protocols.board.board_file import AreaLock
    from ai_protocols.liveness.evidence import Liveness

__all__ = ["CHECK_FAILED", "CheckReport", "Finding", "NestedInLock", "changed_paths", "check",
           "codex_patch_paths", "edited_paths", "has_board", "kept_files_refusal", "refusal"]

#: ``check``'s exit code when it reports a change outside the working set or inside
#: another agent's lock.
CHECK_FAILED = 23


@record
class Finding:
    """One changed file the guard reports: ``outside`` the caller's working sets,
    and/or inside ``lock`` (another agent's, whose agent is in ``state``)."""

    path: str
    outside: bool = False
    lock: AreaLock | None = None
    state: Liveness | None = None

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "outside_working_set": self.outside,
                "locked_by": self.lock.owner if self.lock else None,
                "lock": self.lock.path if self.lock else None,
                "reason": self.lock.reason if self.lock else None,
                "state": self.state.state if self.state else None,
                "evidence": self.state.evidence if self.state else None}


@record
class NestedInLock:
    """A repository nested in the work tree (its own ``git init`` or clone, no submodule:
    ``check`` leaves its changes out, they are its own) that lies inside ``lock``,
    another agent's, whose agent is in ``state``, and has ``changed`` files (as its own
    ``git status`` lists them, relative to the project root)."""

    path: str
    lock: AreaLock
    state: Liveness
    changed: list[str]

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "locked_by": self.lock.owner, "lock": self.lock.path,
                "reason": self.lock.reason, "state": self.state.state,
                "changed": self.changed}


@record
class CheckReport:
    """What ``check`` found: the agent, its claimed tasks' ids and working set (empty:
    no limit), every changed path, and the findings."""

    agent_id: str | None
    tasks: list[str]
    working_set: list[str]
    changed: list[str]
    findings: list[Finding] = factory(list)
    #: Why the board could not be read, when it was checked against its kept copy.
    unreadable: str | None = None
    #: The ids of :attr:`tasks` whose claim git took off the board, held from the
    #: board's kept copy (:meth:`~ai_protocols.board.board.Board.held_tasks`).
    kept: list[str] = factory(list)
    #: The nested repositories with changes inside another agent's lock: not findings
    #: (their changes are their own), said so that they are not missed.
    nested: list[NestedInLock] = factory(list)
    #: ``--since``'s revision: the commits since it were looked at too (``None``: only
    #: the work tree).
    since: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, object]:
        return {"agent_id": self.agent_id, "tasks": self.tasks, "working_set": self.working_set,
                "changed": self.changed, "since": self.since, "ok": self.ok,
                "tasks_from_kept_copy": self.kept,
                "board_unreadable": self.unreadable,
                "findings": [f.to_json() for f in self.findings],
                "nested_repositories_in_locks": [n.to_json() for n in self.nested]}


def changed_paths(root: str | os.PathLike[str], since: str | None = None) -> list[str]:
    """The paths ``git status --porcelain -z --untracked-files=all`` reports in the work
    tree at ``root`` (both sides of a rename), relative to it, leaving out ``.ai/``
    (the tool's own files) and any untracked folder that holds a ``.git`` (a linked
    work tree made inside this one, such as Claude Code's ``.claude/worktrees/NAME``,
    or a nested repository: git reports it as one untracked folder). Source:
    git-status(1), "Short Format" with ``-z``.
    :class:`~ai_protocols.errors.GitFailed` (exit 14) when git cannot tell (not a work
    tree, a repository git refuses as of dubious ownership, a corrupt index, no git):
    the guard never says "nothing changed" when it could not look. With ``since`` (a
    branch, a tag, a commit: ``check --since REF``), the files the commits of ``HEAD``
    since ``REF`` changed too (an edit committed counts as one not yet committed);
    :class:`~ai_protocols.errors.InvalidText` when it names no commit."""
    return _status(root, since)[0]


def _committed(root: str, since: str, env: dict[str, str]) -> list[bytes]:
    """The paths (from the top of the work tree, as git gives them) that the commits of
    ``HEAD`` since ``since`` changed: ``git diff --name-only --no-renames
    MERGE_BASE HEAD``, the merge base of ``since`` and ``HEAD`` (git-diff(1), ``A...B``:
    the changes made on this branch since it left ``since``; for an ancestor of
    ``HEAD``, everything committed since it), both sides of a rename.
    :class:`~ai_protocols.errors.InvalidText` (exit 4) when ``since`` names no commit
    (git-rev-parse(1)); :class:`~ai_protocols.errors.GitFailed` when git cannot tell."""
    import subprocess

    from ai_protocols.errors import GitFailed, InvalidText, git_said

    found = subprocess.run(["git", "-C", root, "rev-parse", "--verify", "--quiet",
                            "--end-of-options", f"{since}^{{commit}}"],
                           capture_output=True, env=env, check=False)
    if found.returncode != 0 or not found.stdout.strip():
        raise InvalidText("--since", since, "it names no commit of this repository (give a "
                                            "branch, a tag or a commit: git-rev-parse(1)); "
                                            "nothing was checked")
    commit = os.fsdecode(found.stdout.strip())
    done = subprocess.run(["git", "-C", root, "diff", "--name-only", "-z", "--no-renames",
                           "--no-ext-diff", f"{commit}...HEAD", "--"],
                          capture_output=True, env=env, check=False)
    if done.returncode != 0:
        said = git_said(done.stderr)
        raise GitFailed("diff", f"{said or f'exit status {done.returncode}'}; the changes "
                                "since it could not be read, so nothing was checked")
    return [record for record in done.stdout.split(b"\0") if record]


def _status(root: str | os.PathLike[str],
            since: str | None = None) -> tuple[list[str], list[str]]:
    """:func:`changed_paths`, and the untracked folders holding a ``.git`` it left out
    (relative to ``root``, ending in ``/``); with ``since`` (a git revision), the paths
    the commits since it changed too (:func:`_committed`), after the work tree's."""
    import subprocess

    from ai_protocols.errors import CHECK_NEEDS_GIT, GitFailed, NotAGitRepository, git_said
    from ai_protocols.paths import git_places_absolute

    env = {**os.environ, **git_places_absolute(os.environ), "GIT_OPTIONAL_LOCKS": "0",
           "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", "-C", os.fspath(root), "status", "--porcelain", "-z",
                               "--untracked-files=all"], capture_output=True,
                              env=env, check=False)
    except OSError as error:  # no git at all
        raise GitFailed("status", f"{error}; the changes could not be read, so nothing "
                                  "was checked") from error
    if done.returncode != 0:
        said = git_said(done.stderr)
        if "not a git repository" in said.partition("; ")[0]:
            raise NotAGitRepository(_path(os.fspath(root)),
                                    f"{CHECK_NEEDS_GIT}; nothing was checked")
        raise GitFailed("status", f"{said or f'exit status {done.returncode}'}; "
                                  "the changes could not be read, so nothing was checked")
    records = done.stdout.split(b"\0")
    paths: list[str] = []
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if len(record) < 4:
            continue
        status, path = record[:2], os.fsdecode(record[3:])
        paths.append(path)
        if b"R" in status or b"C" in status:  # the original path follows
            if index < len(records) and records[index]:
                paths.append(os.fsdecode(records[index]))
            index += 1
    if since is not None:
        paths += [os.fsdecode(path) for path in _committed(os.fspath(root), since, env)]
    prefix = os.fspath(root)
    top = subprocess.run(["git", "-C", prefix, "rev-parse", "--show-prefix"],
                         capture_output=True, check=False)
    below = os.fsdecode(top.stdout.strip()) if top.returncode == 0 else ""
    # git prints paths relative to the top of the work tree: from the project root
    # when the project is a folder inside it.
    result: list[str] = []
    seen: set[str] = set()
    nested: list[str] = []
    for path in paths:
        if below:
            if not path.startswith(below):
                continue
            path = path[len(below):]
        if path == AI_DIR or path.startswith(AI_DIR + "/"):
            continue
        if path.endswith("/") and os.path.lexists(os.path.join(prefix, path, ".git")):
            nested.append(path)  # a linked work tree or repository nested here: not this
            continue  # tree's change
        if path not in seen:  # (a set: a list's 'in' made a big change quadratic)
            seen.add(path)
            result.append(path)
    return result, nested


def check(board: Board, changed: list[str] | None = None,
          since: str | None = None) -> CheckReport:
    """Each changed file (``changed``, default :func:`changed_paths`) outside the working
    sets of the open tasks the board's agent has claimed, or inside a lock of another
    agent who is not gone (crashed, abandoned, wrapped up). An agent with no claimed
    task, or whose tasks name no working set, has no working-set limit. Claims and
    locks git took off the board while their agents are at work count as on it
    (:meth:`~ai_protocols.board.board.Board.held_tasks`, ``Board.lost``). A board that
    cannot be read (:class:`~ai_protocols.errors.UnreadableSession`: not UTF-8, a NUL;
    :class:`~ai_protocols.errors.UnsafePath`: a symbolic link) is checked as its kept
    copy has it (:attr:`CheckReport.unreadable` says why); raised without a kept copy."""
    from ai_protocols.board.board_file import (
        BoardFile,
        covers,
        covers_real,
        kept_board_bytes,
        why_unreadable,
    )
    from ai_protocols.board.board_read import read_board
    from ai_protocols.errors import AiProtocolsError, MergeConflict, UnreadableSession, UnsafePath
    from ai_protocols.liveness.evidence import RECOVERABLE

    me = board.me
    unreadable = None
    try:
        tasks, locks = board.read(lenient=True)  # (a drawer after a note: still read)
    except (UnreadableSession, UnsafePath) as error:
        # A board that cannot be read (not UTF-8, a symbolic link...): its kept copy, the
        # last board this tool wrote, is checked against; without one, the error. (A
        # board in git's conflict markers keeps its own rule: refused until resolved.)
        kept = kept_board_bytes(board.kept_path)
        if kept is None or isinstance(error, MergeConflict):
            raise
        tasks, locks = read_board(BoardFile(kept.decode("utf-8", "replace")), check=False)
        unreadable = why_unreadable(error)
    # Live claims and locks git took away from the board (Board.lost): still count.
    lost = board.lost() if unreadable is None else []
    # (a lock git put back after ai-protocols removed it: no lock)
    again = [item.lock for item in lost if item.lock is not None and item.undone]
    held_here = {(h.path, h.owner) for h in locks}  # (a lock of git's version: once)
    locks = [h for h in locks if h not in again] + \
        [item.lock for item in lost if item.lock is not None and not item.undone and
         (item.lock.path, item.lock.owner) not in held_here]
    mine, kept = board.held_tasks(tasks, lost)
    # The union of their working sets; a task naming none may change any file, so then
    # nothing is outside (docs/tasks.md, "The guard").
    working = [] if any(not t.working_set for t in mine) else \
        [p for t in mine for p in t.working_set]
    nested: list[str] = []
    if changed is None:
        changed, nested = _status(board.project.root, since)
    states: dict[str, Liveness] = {}
    findings = []
    root = str(board.project.root)
    for path in changed:
        outside = bool(working) and not any(covers_real(root, area, path, follow=False)
                                            for area in working)
        held = None
        state = None
        for lock in locks:
            if board.is_me(lock.owner) or not covers_real(root, lock.path, path, follow=False):
                continue
            key = f"{lock.owner}\0{lock.owner_process}\0{lock.locked}"
            if key not in states:
                states[key] = board.agent_state(lock.owner, lock.owner_process,
                                                lock.locked, since_at=lock.locked_at)
            if states[key].state not in RECOVERABLE:
                held, state = lock, states[key]
                break
        if outside or held is not None:
            findings.append(Finding(path, outside, held, state))
    # A nested repository's changes are its own (its own check reads its own board), but
    # a lock here covers its files for the PreToolUse hook: said when it has changes.
    inside: list[NestedInLock] = []
    for folder in nested:
        own: list[str] | None = None
        for lock in locks:
            if board.is_me(lock.owner) or not (
                    covers_real(root, lock.path, folder, follow=False) or
                    covers(folder, lock.path)):
                continue
            key = f"{lock.owner}\0{lock.owner_process}\0{lock.locked}"
            if key not in states:
                states[key] = board.agent_state(lock.owner, lock.owner_process,
                                                lock.locked, since_at=lock.locked_at)
            if states[key].state in RECOVERABLE:
                continue
            if own is None:
                try:
                    own = [folder + p for p in changed_paths(os.path.join(root, folder))]
                except AiProtocolsError:
                    own = []  # (its own check says why it cannot be read)
            hits = [p for p in own if covers_real(root, lock.path, p, follow=False)]
            if hits:
                inside.append(NestedInLock(folder, lock, states[key], hits))
                break
    return CheckReport(me, [t.id or "" for t in mine], working, changed, findings, unreadable,
                       kept, inside, since)


def edited_paths(tool_input: object, cwd: str) -> list[str]:
    """The files a tool call is about to change, absolute: Claude Code's ``Edit``,
    ``Write``, ``MultiEdit`` (``file_path``) and ``NotebookEdit`` (``notebook_path``);
    Codex's ``apply_patch``, whose patch names them as Codex's parser reads it
    (:func:`codex_patch_paths`), relative to ``cwd`` (wherever in ``tool_input`` the
    patch text is)."""
    found: list[str] = []
    if isinstance(tool_input, dict):
        for key in ("file_path", "notebook_path", "path"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                found.append(value)
        texts = [v for v in tool_input.values() if isinstance(v, str)]
        texts += [v for value in tool_input.values() if isinstance(value, list)
                  for v in value if isinstance(v, str)]
    elif isinstance(tool_input, str):
        texts = [tool_input]
    else:
        texts = []
    for text in texts:
        if "*** " in text:
            found += codex_patch_paths(text)
    # (joined, not normalized: ``link/..`` is resolved where it leads, by _relative)
    return [os.path.join(cwd, p) for p in found]


#: The markers of a Codex patch (codex-rs/apply-patch/src/parser.rs).
_BEGIN, _END = "*** Begin Patch", "*** End Patch"
_ADD, _DELETE, _UPDATE = "*** Add File: ", "*** Delete File: ", "*** Update File: "
_MOVE, _EOF = "*** Move to: ", "*** End of File"
#: What Rust's ``str::trim`` removes: the characters of Unicode's White_Space property
#: (PropList.txt). Python's ``str.strip()`` removes a few more (U+001C to U+001F).
_RUST_WHITE_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                     "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def codex_patch_paths(text: str) -> list[str]:
    """The paths a Codex ``apply_patch`` patch ``text`` writes (adds, deletes, updates,
    and moves to), as given in it, in order; ``[]`` for a text Codex refuses as a patch
    (it then writes nothing). A shell script holding the patch (``apply_patch <<'EOF'``
    ... ``EOF``) is read from its ``*** Begin Patch`` line to its last ``*** End Patch``
    line. Source: Codex's parser, codex-rs/apply-patch/src/parser.rs (``parse_patch``,
    lenient mode), read line for line:

    - the text trimmed (Rust's ``str::trim``: Unicode White_Space), split by
      ``str::lines`` (on LF, one CR before it dropped); a ``<<EOF``, ``<<'EOF'`` or
      ``<<"EOF"`` first line and a last line ending in ``EOF`` are dropped when the text
      is no patch without them;
    - its first and last lines, trimmed, are ``*** Begin Patch`` and ``*** End Patch``;
    - each hunk's first line, trimmed, is ``*** Add File: PATH`` (then the lines starting
      with ``+``), ``*** Delete File: PATH`` or ``*** Update File: PATH``; only these
      lines are trimmed;
    - an Update hunk's next line, not trimmed, may be ``*** Move to: PATH``; then come
      chunks until a line starting with ``*``: blank lines between them, each opened by
      ``@@`` or ``@@ TEXT`` (the first may go without), then lines starting with `` ``,
      ``+`` or ``-``, or empty, up to ``*** End of File`` (exactly) or any other line
      (where the next chunk starts). So an indented ``*** Update File: x`` inside a hunk
      is a context line, not a header; any line that fits none of this makes the whole
      patch refused.
    """
    lines = _rust_lines(text.strip(_RUST_WHITE_SPACE))
    body = _patch_body(lines)
    if body is None and len(lines) >= 4 and lines[0] in ("<<EOF", "<<'EOF'", '<<"EOF"') \
            and lines[-1].endswith("EOF"):
        body = _patch_body(lines[1:-1])
    if body is None:  # (a shell script around the patch: its heredoc's lines)
        marks = [i for i, line in enumerate(lines) if line.strip(_RUST_WHITE_SPACE) == _BEGIN]
        ends = [i for i, line in enumerate(lines) if line.strip(_RUST_WHITE_SPACE) == _END]
        if marks and ends and ends[-1] > marks[0]:
            body = _patch_body(lines[marks[0]:ends[-1] + 1])
    if body is None:
        return []
    paths: list[str] = []
    at = 0
    while at < len(body):
        step = _hunk(body, at, paths)
        if step is None:
            return []  # Codex refuses the whole patch, and writes nothing
        at += step
    return paths


def _rust_lines(text: str) -> list[str]:
    """Rust's ``str::lines``: split on LF, a CR just before it dropped, no last empty line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _patch_body(lines: list[str]) -> list[str] | None:
    """The hunk lines between ``*** Begin Patch`` and ``*** End Patch`` (each trimmed to be
    matched); ``None`` when the lines are not so framed (``check_patch_boundaries_strict``)."""
    if len(lines) < 2 or lines[0].strip(_RUST_WHITE_SPACE) != _BEGIN or \
            lines[-1].strip(_RUST_WHITE_SPACE) != _END:
        return None
    return lines[1:-1]


def _hunk(lines: list[str], at: int, paths: list[str]) -> int | None:
    """``parse_one_hunk`` at ``lines[at]``: the number of lines the hunk takes, its paths
    added to ``paths``; ``None`` where Codex reports an error."""
    first = lines[at].strip(_RUST_WHITE_SPACE)
    if first.startswith(_ADD):
        paths.append(first[len(_ADD):])
        end = at + 1
        while end < len(lines) and lines[end].startswith("+"):
            end += 1
        return end - at
    if first.startswith(_DELETE):
        paths.append(first[len(_DELETE):])
        return 1
    if not first.startswith(_UPDATE):
        return None
    paths.append(first[len(_UPDATE):])
    end = at + 1
    if end < len(lines) and lines[end].startswith(_MOVE):
        paths.append(lines[end][len(_MOVE):])
        end += 1
    chunks = 0
    while end < len(lines):
        if not lines[end].strip(_RUST_WHITE_SPACE):
            end += 1
            continue
        if lines[end].startswith("*"):
            break
        taken = _chunk(lines, end, chunks == 0)
        if taken is None:
            return None
        chunks += 1
        end += taken
    return end - at if chunks else None  # (an Update hunk without a chunk: an error)


def _chunk(lines: list[str], at: int, first: bool) -> int | None:
    """``parse_update_file_chunk`` at ``lines[at]``: the lines it takes, or ``None``."""
    start = at + 1 if lines[at] == "@@" or lines[at].startswith("@@ ") else at
    if start == at and not first:
        return None
    if start >= len(lines):
        return None
    taken = 0
    for line in lines[start:]:
        if line == _EOF:
            if taken == 0:
                return None
            taken += 1
            break
        if line and line[0] not in " +-":
            if taken == 0:
                return None
            break
        taken += 1
    return taken + (start - at)


def refusal(root: str, agent_id: str | None, paths: list[str], *,
            own_suffix: str | None = None) -> str | None:
    """Why the edit of ``paths`` (absolute) must not happen: the first that lies in an
    area another agent has locked and is not gone; ``None`` to let it through. No
    board and no kept copy of one (:func:`~ai_protocols.board.model.kept_other`):
    ``None`` at once. A lock is the agent's own when its owner is ``agent_id``,
    or ends with ``own_suffix`` (``.RUNTIME.SESSION``: the agent program's own session
    id, whichever work tree's folder name the id was derived with)."""
    from ai_protocols.board.board_file import (
        BoardFile,
        board_bytes,
        board_decode,
        conflict_sides,
        covers_real,
        holder_name,
        kept_board_bytes,
        overlap,
        why_unreadable,
    )
    from ai_protocols.board.board_read import (
        ended_locks,
        kept_other,
        lock_record,
        lost_how,
        read_board,
    )
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import board_path, kept_board_path

    board = board_path(root)
    locks: list[AreaLock] = []
    sides = None
    unreadable = None
    brought_said = None
    try:
        data = board_bytes(board)  # (a str: the errors' PathField makes a Path when read)
        if data:
            text = board_decode(board, data)  # not UTF-8 (UTF-16?), a NUL: an error
            # A merge left git's conflict markers in it: the locks of both sides hold.
            sides = conflict_sides(text)
            # What git brought that a stale save dropped: its locks hold, as the next
            # write makes the board (no process unless HEAD moved since the last write)
            brought = _brought(root, board, data) if sides is None else None
            if brought is not None:
                data, text, brought_said, sides = brought
            from ai_protocols.board.board_read import more_locks

            locks = more_locks([], sides or [text])  # (read as is: a misplaced drawer)
    except (AiProtocolsError, ValueError) as error:
        # A board that cannot be read (a byte that is not UTF-8, a symbolic link...): the
        # locks of its kept copy, the last board this tool wrote, hold; without one, the
        # error (the hook says the edit was not checked).
        unreadable, data, locks, sides = error, None, [], None
    # The locks of the last board this tool wrote that git took away (stash, checkout,
    # reset, a branch switch; all of them when git removed the board): still enforced
    # while their agents are at work.
    kept = kept_other(board, kept_board_path(board), data) if unreadable is None else \
        kept_board_bytes(kept_board_path(board))
    if unreadable is not None and kept is None:
        raise unreadable
    if not data and kept is None:
        return None
    lost: list[AreaLock] = []
    if kept is not None:
        _, old = read_board(BoardFile(kept.decode("utf-8", "replace")), check=False)
        # Locks ai-protocols removed (unlock, a takeover) that git put back: no lock.
        ended = ended_locks(board) - {lock_record(lock) for lock in old}
        again = [lock for lock in locks if lock_record(lock) in ended]
        if again:
            from ai_protocols.board.stale_history import head_reverted
            from ai_protocols.board.unended import operation_took

            # (a git revert of the unlock put it back: a person's choice, HEAD's; or a
            # git operation under way did: its own, until committed)
            ended -= {lock_record(lock) for lock, out in zip(
                again, head_reverted(board, kept_board_path(board), again), strict=True)
                if out}
            back = operation_took(board, [lock.locked_at for lock in again
                                          if lock.locked_at], brought=True)
            ended -= {lock_record(lock) for lock in again if lock.locked_at in back}
        locks = [lock for lock in locks if lock_record(lock) not in ended]
        held = {(lock.path, lock.owner) for lock in locks}
        lost = [lock for lock in old if (lock.path, lock.owner) not in held and not any(
            h.owner != lock.owner and overlap(h.path, lock.path) for h in locks)]
        if lost and unreadable is None:
            # (an unlock made in another clone and brought by a pull or a merge: the board
            # holds the item that unlock wrote; no lock. An edit's removal is no end)
            from ai_protocols.board.claim_history import ended_elsewhere

            read = BoardFile(text) if data and not sides else None
            removed = ended_elsewhere(board, read, lost)
            lost = [lock for lock, out in zip(lost, removed, strict=True) if not out]
        if lost:
            from ai_protocols.board.unended import operation_took

            # (what a git operation under way took out of HEAD's board: its own)
            taken = operation_took(board, [lock.locked_at for lock in lost if lock.locked_at])
            lost = [lock for lock in lost if not lock.locked_at or lock.locked_at not in taken]
        locks += lost
    hand: list[AreaLock] = []
    if unreadable is None and data and not sides:
        # (locks HEAD's history holds unended that a person took off by hand, here or in
        # another clone: every clone holds them as lost, Board.lost's rule)
        from ai_protocols.board.unended import still_unended, unended

        source = unended(board, data)
        if source is not None:
            hand = still_unended(source, data, [], locks, {lock.locked_at for lock in locks}
                                 )[1]
            locks += hand
    from ai_protocols.paths import is_own

    locks = [lock for lock in locks if not is_own(lock.owner, agent_id, own_suffix)]
    if not locks:
        return None
    real_root = os.path.realpath(root)
    for path in paths:
        forms = _relative(root, real_root, path)
        linked = _hard_links(real_root, path, locks)  # (only a file with another name)
        for lock in locks:
            relative = next((f for f in forms + linked if covers_real(root, lock.path, f)),
                            None)
            if relative is None:
                continue
            from ai_protocols.board.board import Board
            from ai_protocols.liveness.evidence import RECOVERABLE
            from ai_protocols.session.project import Project

            # (no agent id of its own: the holder's state needs none, and the agent's
            # AI_AGENT_ID, if it is no agent id, must not switch the check off)
            state = Board(Project(root, None)).agent_state(
                lock.owner, lock.owner_process, lock.locked, since_at=lock.locked_at,
                advise=False)  # (a model reads it: never told to abandon another's session)
            if state.state in RECOVERABLE:
                continue
            who = holder_name(lock.owner)
            where = f"{relative} is locked by {who}" \
                if relative.rstrip("/") == lock.path.rstrip("/") else \
                f"{relative} is inside {lock.path}, which {who} has locked"
            if relative not in forms:  # (reached by a hard link: the same file)
                where = f"{forms[0] if forms else path} is a hard link of {relative}, " + (
                    f"which {who} has locked" if relative.rstrip("/") == lock.path.rstrip("/")
                    else f"inside {lock.path}, which {who} has locked")
            gone = (f" The board on disk lost this lock ({lost_how('it')}); ai-protocols "
                    "keeps it in "
                    f"{kept_board_path(board)}, and the next change to the board puts it "
                    "back.") if lock in lost else (
                " A person took this lock off the board by hand, with no end ('ai-protocols "
                "unlock' writes one); git's history holds it, so it holds in every clone: "
                "'ai-protocols unlock PATH --force' ends it for good.") if lock in hand else ""
            if unreadable is not None:
                gone = (f" The task board could not be read ({why_unreadable(unreadable)}): "
                        "the locks are those of its kept copy, the last board ai-protocols "
                        f"wrote, {kept_board_path(board)}. Re-save the board as UTF-8 text "
                        "(a regular file, not a link) to put it right.")
            if brought_said is not None and brought_said.endswith(_LEFT):
                gone += (f" (The board on disk lacks {brought_said.removesuffix(_LEFT)}; "
                         "its merge back is left to a person: every board command that "
                         "writes refuses until then, and 'ai-protocols task list' says how "
                         "to merge it.)")
            elif brought_said is not None:
                gone += (f" (The board on disk lacks {brought_said}; the next board "
                         "command that writes merges it back.)")
            if sides is not None and brought_said is None:
                gone += (" (The board holds git's conflict markers, from a merge not yet "
                         "resolved: the locks on either side of them hold until it is.)")
            return (f"ai-protocols: refused: {where} ({lock.reason or 'no reason given'}); that "
                    f"agent is {state.state} ({state.evidence}). Do not edit it: work on "
                    "something else, or ask its holder; 'ai-protocols locks' lists the "
                    f"locks.{gone}")
    return None


def _brought(root: str, board: str, data: bytes
             ) -> tuple[bytes, str, str, list[str] | None] | None:
    """The board ``board`` of the project at ``root`` (its bytes ``data``) with what git
    brought that a stale save dropped merged back, as its next write will read it,
    nothing written (:func:`~ai_protocols.board.stale.for_reading`, said nowhere: the
    hook says it in a refusal only), or ``None`` when it lacks nothing: ``(the bytes,
    their text, what it regained in words, None)``. At once, no process and no import
    of the board's rule, when :func:`~ai_protocols.board.brought.unchecked` says there
    is nothing to check. When the merge back is left to a person (its next write
    refuses): ``(the bytes, their text, what it lacks, the board's text and the version
    git brought)``, whose locks both hold (:func:`~ai_protocols.board.stale.left_sides`,
    one ``git show``, only then), as the two sides of git's conflict markers do."""
    from ai_protocols.board.brought import unchecked

    key = unchecked(board, data)
    if key is None:
        return None
    from ai_protocols.board.board_file import board_decode

    if key[1] is not None:  # (found by the last check with this key: no git, no import)
        return key[1][0], board_decode(board, key[1][0]), key[1][1], None
    from ai_protocols.board.stale import as_read

    read, said, sides = as_read(board, data, key, say=False)
    if said is None:
        return None
    if sides is None:
        return read, board_decode(board, read), said, None
    return read, sides[0], f"{said}{_LEFT}", list(sides)


#: How :func:`_brought` ends what it says when the merge back is left to a person.
_LEFT = " (its merge back is left to a person)"


def kept_files_refusal(roots: list[str], paths: list[str]) -> str | None:
    """Why an edit tool must not write ``paths`` (absolute): one is the task board of a
    project in ``roots`` (:func:`~ai_protocols.paths.board_path`), its Emacs lock
    (``.#tasks.org``: made by an edit tool, it would stop every board change), or lies
    in its ``.ai/.locks/`` (the locks and kept copies this tool keeps): an edit there could
    drop another agent's lock or claim unseen. The board changes through
    ``ai-protocols task``, ``lock`` and ``unlock`` (a person's Emacs aside); ``None``
    when no path is one of them. Compared as given and where each really is
    (symbolic links, ``..``)."""
    from ai_protocols.paths import BOARD_FILE, board_path, fold_name, folds_names
    from ai_protocols.storage.files import LOCK_DIR

    # On a file system that folds names (macOS, Windows), .AI/TASKS.ORG is the board too.
    fold = fold_name if any(folds_names(root) for root in roots) else str
    boards: list[str] = []
    copies: dict[str, str] = {}  # a linked work tree's own copy: the board it shares
    emacs_locks: list[str] = []
    lock_dirs: list[str] = []
    for root in roots:
        board = board_path(root)
        for form in {os.path.normpath(board), os.path.realpath(board)}:
            boards.append(form)
            folder, name = os.path.split(form)
            emacs_locks.append(os.path.join(folder, f".#{name}"))  # (its Emacs lock)
            lock_dirs.append(os.path.join(folder, LOCK_DIR))
        # A linked work tree's own copy of the board (git checks it out with the branch;
        # the board used is the main work tree's): an edit there merges into the shared
        # board with the branch, dropping what the copy lacks (docs/tasks.md).
        copy = os.path.join(root, AI_DIR, BOARD_FILE)
        for form in {os.path.normpath(copy), os.path.realpath(copy)}:
            if form not in boards:
                copies[fold(form)] = board
        own = os.path.join(root, AI_DIR, LOCK_DIR)
        lock_dirs += [os.path.normpath(own), os.path.realpath(own)]
    boards, emacs_locks = [fold(b) for b in boards], [fold(e) for e in emacs_locks]
    lock_dirs = [fold(d) for d in lock_dirs]
    for path in paths:
        for form in {fold(os.path.normpath(path)), fold(os.path.realpath(path))}:
            if form in copies and form not in boards:
                return (f"ai-protocols: refused: {path} is a linked git work tree's own copy "
                        f"of the task board (the work trees share {copies[form]}): an edit "
                        "tool must not change it, since a merge of its branch brings the "
                        "edit into the shared board, where it could drop another agent's "
                        "claim or lock. Use 'ai-protocols task ...', 'ai-protocols lock ...' "
                        "or 'ai-protocols unlock ...' (they change the shared board from "
                        "any work tree).")
            if form in boards:
                return (f"ai-protocols: refused: {path} is the task board, which "
                        "ai-protocols keeps: an edit tool must not change it (it could drop "
                        "another agent's claim or lock). Use 'ai-protocols task add|claim|"
                        "release|done|handoff|cancel|reopen ...', 'ai-protocols task edit ID "
                        "--add-working-set PATH' (a wider working set; --title, --tag too), "
                        "'ai-protocols lock PATH --reason TEXT' or 'ai-protocols unlock "
                        "PATH' (a person may edit it in Emacs).")
            if form in emacs_locks:
                return (f"ai-protocols: refused: {path} is the name of the task board's "
                        "Emacs lock (a person editing it): an edit tool must not make or "
                        "change it, or every board change waits for a person. Use "
                        "'ai-protocols task ...', 'ai-protocols lock ...' or 'ai-protocols "
                        "unlock ...'.")
            if any(form == d or form.startswith(d + os.sep) for d in lock_dirs):
                return (f"ai-protocols: refused: {path} is in .ai/{LOCK_DIR}/, where "
                        "ai-protocols keeps its locks and the kept copies of the board and "
                        "session files: never edit it. Use 'ai-protocols task ...', "
                        "'ai-protocols lock ...' or 'ai-protocols unlock ...'.")
    return None


#: How many entries of a locked folder :func:`_hard_links` looks at, at most.
HARD_LINK_SCAN = 20000


def _hard_links(real_root: str, path: str, locks: list[AreaLock]) -> list[str]:
    """The other names, relative to the project root (``real_root``, without symbolic
    links), that the file ``path`` has inside the locked areas ``locks``: the same file
    (device and inode) under another name, a hard link (link(2)), whose edit changes the
    locked file's bytes. Empty at the cost of one ``stat`` when the file has one name
    (``st_nlink`` 1), is missing or is no regular file; else each locked file is
    compared, and each locked folder walked (at most :data:`HARD_LINK_SCAN` entries in
    all, without following symbolic links)."""
    import stat as stat_module

    try:
        there = os.stat(path)
    except OSError:
        return []
    if there.st_nlink < 2 or not stat_module.S_ISREG(there.st_mode):
        return []
    same = (there.st_dev, there.st_ino)
    found: list[str] = []
    seen = 0
    for lock in locks:
        area = os.path.join(real_root, lock.path.strip("/"))
        try:
            info = os.stat(area, follow_symlinks=False)
        except OSError:
            continue
        if stat_module.S_ISREG(info.st_mode):
            if (info.st_dev, info.st_ino) == same:
                found.append(os.path.relpath(area, real_root).replace(os.sep, "/"))
            continue
        for top, _dirs, files in os.walk(area):
            for name in files:
                seen += 1
                full = os.path.join(top, name)
                try:
                    info = os.stat(full, follow_symlinks=False)
                except OSError:
                    continue
                if (info.st_dev, info.st_ino) == same:
                    found.append(os.path.relpath(full, real_root).replace(os.sep, "/"))
            if seen > HARD_LINK_SCAN:
                return found
    return found


def _path(text: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(text)


def _relative(root: str, real_root: str, path: str) -> list[str]:
    """``path`` relative to the project root, ``/``-separated, as given and where it
    really is (through symbolic links), and, with a ``..`` in it, as normalized as text
    (``link/../x`` is ``x``); empty when none is inside the project."""
    forms: list[str] = []
    pairs = [(real_root, os.path.realpath(path))]
    if os.pardir not in path.replace(os.sep, "/").split("/"):
        pairs.insert(0, (root, path))  # as given, when no '..' could follow a link in it
    else:  # as a program that normalizes paths as text reads it (Node's path.resolve:
        # link/../x is x, where the kernel reads it through the link): either reading in
        # a lock refuses (eighth review)
        pairs.append((root, os.path.normpath(path)))
    from ai_protocols.paths import fold_name, folds_names

    if folds_names(root):  # (macOS, Windows: /Users/me/PROJ/x is in /Users/me/proj)
        pairs.append((fold_name(real_root), fold_name(os.path.realpath(path))))
    for base, target in pairs:
        relative = os.path.relpath(target, base)
        if not (relative == os.pardir or relative.startswith(os.pardir + os.sep)):
            form = "./" if relative == "." else relative.replace(os.sep, "/")
            if form not in forms:
                forms.append(form)
    return forms
