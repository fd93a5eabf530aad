"""The task board's commands without click: what both paths run.

``task add``, ``task list``, ``task show``, ``task claim``, ``task release``,
``task done``, ``lock``, ``unlock`` and ``locks`` are run by the console script's fast
path (:mod:`ai_protocols.cli.main`, their options read from the one table,
:data:`ai_protocols.cli.options.OPTIONS`) and by their click commands
(:mod:`ai_protocols.cli.board`, which keeps help, usage errors and the board's other
commands): each calls the function here named after it, with the same keywords. What
they print goes through :func:`echo`, as ``click.echo`` writes it (a line, flushed); what
a command says once it has ended (:func:`finish`: what its change put back on the board)
is said by the fast path after the command, and by click as the command's context
closes, its error (if any) said first on both.
"""

from __future__ import annotations

import sys

from ai_protocols.cli.output import display, print_json
from ai_protocols.lean import counted, quoted

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_protocols.board.board import Board, Lost
    from ai_protocols.board.board_file import Task

__all__ = ["both_checkpoints", "echo", "finish", "lock", "locks", "open_board", "said_unhooked",
           "said_unusable_locks", "task_add", "task_claim", "task_done", "task_list",
           "task_release", "task_show", "unlock"]


def echo(text: str, err: bool = False) -> None:
    """Print one line for a person: every character a terminal would not show as itself
    (a newline in a file name too) escaped (:func:`ai_protocols.cli.output.display`)."""
    _say(display(text), err)


def _say(text: str, err: bool = False) -> None:
    """``text`` and a newline written to standard output (or error, ``err``) and flushed,
    as ``click.echo`` writes a text (its ANSI codes stripped off a terminal: no text
    here holds one, :func:`display` escapes them)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


#: What the commands under way say once they have ended (:func:`finish`).
_AFTER: list[Callable[[], None]] = []


def _said_two_processes(agent: str | None, process: str, what: str, done: str) -> None:
    """Warn (stderr) that another live process of the agent id ``agent``, ``process``
    (an ``OWNER_PROCESS`` value), holds ``what`` (a claim or lock of one's own that
    ``task claim`` or ``lock`` renews only from a gone process): it stays with it, and
    ``done`` says what was done instead (docs/tasks.md)."""
    echo(f"warning: another process with the agent id {agent}, {process}, still runs "
         f"and holds {what}: two live processes share one AI_AGENT_ID (they share its "
         f"claims, locks and session, and neither is told what the other does); it stays "
         f"with that process ({done}). Give each process its own AI_AGENT_ID "
         f"(ai-protocols agent-id prints a fresh one), or end the other process first",
         err=True)


def open_board(copy_warning: bool = True) -> Board:
    """The board, after saying (on stderr) which live claims and locks the board on
    disk lost to git (:meth:`Board.lost`), and, once the command ends (:func:`finish`),
    which of them its change put back; and, unless not ``copy_warning`` (``task
    merge-copy``, which merges it), that a linked work tree's own copy was edited
    (:func:`_said_own_copy`)."""
    from ai_protocols.board.board import Board
    from ai_protocols.board.board_read import lost_how

    board = Board.discover()
    lost = board.lost()
    if lost:
        lost_what = counted(len(lost), "live claim, lock or change to a claim",
                            "live claims, locks or changes to claims")
        kept = any(item.source is None for item in lost)  # (else all from git's history)
        echo(f"warning: the task board {board.path} lost {lost_what} "
             + (f"of the last board ai-protocols wrote ({lost_how('them')}): " if kept else
                "that git's history holds with no end (taken off the board by hand): ")
             + f"{'; '.join(item.describe() for item in lost)}. "
             + (f"The last board ai-protocols wrote is kept in {board.kept_path}; the next "
                "change to the board through ai-protocols puts them back (or 'git stash "
                "pop', if it was stashed and nothing changed the board since)." if kept else
                "The next change to the board through ai-protocols puts them back.")
             + _ending_for_good(lost), err=True)
    if board.comes_back:  # (gone, and not by git: read as the next change writes it back)
        echo(came_back_warning(board), err=True)
    for task, state in board.deleted:  # (a claimed task deleted whole elsewhere: an end)
        from ai_protocols.board.board_file import holder_name

        echo(f"warning: the claim of {holder_name(task.owner)} ({_state(state.state)}) ended "
             f"with its task, which the task board {board.path} no longer holds: "
             f"{board.deleted_said(task)}. A task deleted in another clone ends its claim "
             "(nothing puts it back); to carry on with it, add it again ('ai-protocols task "
             "add'), or take it back from the board before that commit.", err=True)
    for said in board.on_branches:  # (what a switch off another branch took: that branch's)
        echo(f"warning: {said}; it is not put back on this branch's board.", err=True)
    for sunk, state in board.sunk_claims():
        if sunk.lock is not None:  # (a lock moved out of the Locks section, issue 15 16th)
            echo(f"warning: the lock on {display(sunk.lock.path)}, held by {sunk.owner} "
                 f"({_state(state.state)}), is no lock on the board {board.path} now: "
                 f"{sunk.where()}; until then it does not count.", err=True)
            continue
        echo(f"warning: task {sunk.id}, claimed by {sunk.owner} ({_state(state.state)}), is no "
             f"task on the board {board.path} now: {sunk.where()}; until then its claim "
             "does not count and no command reaches the task.", err=True)
    for said in board.dropped():  # (a search of the board's text, when nothing was)
        echo(f"warning: {said}.", err=True)
    if copy_warning:
        _said_own_copy(board)
    _AFTER.append(lambda: _said_after(board))
    return board


def _ending_for_good(lost: list[Lost]) -> str:
    """How to end for good the claims and locks of ``lost`` (:meth:`Board.lost`), for its
    warning: an edit that takes one out is put back, so ``unlock PATH --force`` ends a
    lock and ``task release ID --force`` a claim ('' when ``lost`` holds neither: only
    changes git undid)."""
    from ai_protocols.board.claim_history import ending_commands

    locks = [item.lock for item in lost if item.lock is not None and not item.undone]
    tasks = [item.task for item in lost if item.task is not None and not item.undone]
    ways = ending_commands([lock.path for lock in locks], [task.id or "" for task in tasks])
    if not ways:
        return ""
    return (f" To end one for good, run {' or '.join(ways)}: an edit that takes it off the "
            "board is undone.")


def came_back_warning(board: Board) -> str:
    """The warning every reader gives while the board is gone from disk and comes back
    whole from its kept copy (:attr:`Board.comes_back`): what is read, and what writes
    it back."""
    return (f"warning: the task board {board.path} is gone (removed, and not by "
            f"ai-protocols nor by a git commit or checkout: rm, git clean, git stash -u?); "
            f"what is read here is its kept copy, {board.kept_path}, the last board "
            f"ai-protocols wrote, every task of it, and the next change to the board "
            f"through ai-protocols writes it back whole (or 'git stash pop', if it was "
            f"stashed and nothing wrote the board since).")


def finish() -> None:
    """Say what the commands that opened a board did besides, once each has ended
    (:func:`_said_after`), even after an error; then forget them."""
    while _AFTER:
        _AFTER.pop(0)()


def _said_own_copy(board: Board) -> None:
    """In a linked git work tree, warn (stderr) when its own ``.ai/tasks.org`` (the file
    checked out there) was edited in it: it differs from the board in use (the main work
    tree's, which every work tree shares) and from what its branch's commit holds. Said
    with which board is used and how to bring the edit over. A read of the copy and of
    the board, in a linked work tree only; git runs only when they differ."""
    import os

    own = board.project.ai_dir / "tasks.org"
    if board.path.parent == board.project.ai_dir:
        return
    from ai_protocols.board.board_file import board_bytes
    from ai_protocols.git.history import head_holds

    try:
        data = board_bytes(own)
        used = board_bytes(board.path) if board.path.exists() else b""
    except Exception:  # (no copy here, or one that cannot be read: nothing to say)
        return
    if data is None or data == used:
        return
    tree = str(board.project.root)
    relative = os.path.relpath(own, tree)
    if head_holds(tree, f"./{relative}", data):
        return  # (the branch's own version, as checked out: no edit made here)
    from ai_protocols.cli.commands import quote

    echo(f"warning: {own}, this linked git work tree's own copy of the board, was "
         f"edited here, and ai-protocols does not read it: every work tree of the "
         f"repository shares one board, {board.path}, and that is the one used. To bring "
         f"the edit over, make it in {board.path}, or merge it in as git would, task by "
         f"task, under the board's lock: ai-protocols task merge-copy (then 'git checkout "
         f"HEAD -- {quote(relative)}' here drops the copy's edit).", err=True)


def _stash_holds(path: object) -> bool:
    """Whether git's newest stash entry (``refs/stash``) changes the board at ``path``:
    then ``git stash pop`` refuses once the board has local changes (git-stash(1): "the
    working tree ... must match the index" for the files it touches). One git run,
    only after a put-back; ``False`` when git cannot tell (no stash, no git)."""
    import os
    import subprocess

    folder, name = os.path.split(str(path))
    try:
        done = subprocess.run(["git", "diff", "--quiet", "refs/stash^1", "refs/stash", "--",
                               name], cwd=folder, capture_output=True, check=False,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 1


def _stash_steps(board: Board) -> str | None:
    """The commands that bring back what ``git stash -u`` took with the board, once the
    board was written back whole (:func:`~ai_protocols.board.removed.stash_pop_steps`),
    run from the work tree's top, whose paths they name (in a subshell: the ``cd`` leaves
    the shell where it was; issue 14, twenty-first round: it went to the project's
    folder, which is not the top when the project is a folder below it); ``None`` when
    the newest stash entry does not hold the board."""
    from ai_protocols.board.removed import stash_pop_steps
    from ai_protocols.lean import shell_quote
    from ai_protocols.paths import git_dirs

    steps = stash_pop_steps(str(board.path), board.kept_path)
    if steps is None:
        return None
    dirs = git_dirs(str(board.path.parent.parent))
    top = dirs[0] if dirs else str(board.path.parent.parent)
    return f"(cd -- {shell_quote(top)} && {steps})"


def said_unusable_locks(board: Board) -> None:
    """Warn (stderr) about each headline of the locks section that locks nothing, and
    each path of a working set that allows nothing (absolute, or above the top)."""
    from ai_protocols.board.board_input import (
        unknown_holders,
        unusable_locks,
        unusable_working_sets,
    )

    try:
        doc = board._doc()
    except Exception:  # the command itself says why the board cannot be read
        return
    if doc is None:
        return
    for line, why in unusable_locks(doc):
        echo(f"Warning: {board.path}, line {line}: a headline in the locks section, but "
             f"{why}.", err=True)
    for line, why in unusable_working_sets(doc):
        echo(f"Warning: {board.path}, line {line}: a task, but {why}.", err=True)
    from ai_protocols.board.board_input import setup_files

    for line, name in setup_files(doc.text):
        echo(f"Warning: {board.path}, line {line}: #+SETUPFILE: {name}: Emacs reads the "
             "states (#+TODO:) of a setup file, ai-protocols does not, so a task in a "
             "state declared only there is no task here: declare the board's states in "
             "the board itself (a #+TODO: line), or remove the line.", err=True)
    for line, why in unknown_holders(doc):
        echo(f"Warning: {board.path}, line {line}: {why}.", err=True)


def _said_after(board: Board) -> None:
    """What a change did besides: lost claims and locks it put back, the merge driver
    it configured in a clone."""
    if board.noted:  # (nothing put back: a note the change wrote)
        echo(f"noted on the task board: {'; '.join(board.noted)}", err=True)
    if board.corrected:  # (an id typed as another task's: its own given back)
        echo(f"corrected on the task board: {'; '.join(board.corrected)}", err=True)
    if board.restored:
        echo(f"put back on the task board: {'; '.join(board.restored)}", err=True)
        steps = _stash_steps(board) if board.wrote_whole else None
        if steps is not None:
            echo(f"The newest 'git stash' entry holds the board too, as a file git did not "
                 f"track (git stash -u): 'git stash pop' now refuses to write it over the "
                 f"board written back here ('already exists, no checkout'). Bring back what "
                 f"the stash holds, losing neither board, with: {steps}", err=True)
        elif _stash_holds(board.path):
            from ai_protocols.cli.commands import quote

            echo(f"The newest 'git stash' entry changes the board too: 'git stash pop' "
                 f"refuses now that the board has local changes. Run 'git add "
                 f"{quote(str(board.path))}' first: the pop then merges the stash's "
                 "board into this one (the board's merge driver), losing neither; or, "
                 "when the entry holds nothing else you need, 'git stash drop' it.",
                 err=True)
    if board.driver_configured:
        from ai_protocols.git.driver import driver_configured_note

        echo(driver_configured_note(board.driver_configured), err=True)


def _said_set_up(board: Board) -> None:
    """Say what setting the project up did, when a change found no ``.ai/`` (as
    ``start`` says it)."""
    if not board.set_up:
        return
    echo(f"{board.project.root} had no .ai/ yet: set it up as 'ai-protocols init' does "
         "(with the merge driver in the local git configuration):", err=True)
    for action in board.set_up:
        if action.action != "unchanged":
            echo(f"  {action.action}: {action.path}", err=True)


def _state(state: str) -> str:
    """A holder's state as the board's messages say it
    (:func:`~ai_protocols.board.board.state_words`: ``wrapped up``); ``--json`` keeps
    the state's name (``wrapped-up``)."""
    from ai_protocols.board.board import state_words

    return state_words(state)


def _said_shared(board: Board) -> None:
    """In a linked git work tree, say that the board is the main work tree's, which every
    work tree of the repository shares; and warn when an agent started here would run
    none of the hooks the main work tree has
    (:func:`~ai_protocols.cli.commands.no_hooks_warning`)."""
    if board.path.parent != board.project.ai_dir:
        echo(f"(this is a linked git work tree: its board is the one every work tree of the "
             f"repository shares, {board.path})", err=True)
        said_unhooked(board)


def said_unhooked(board: Board) -> None:
    """In a linked git work tree, warn when an agent started here would run none of the
    hooks the main work tree has (:func:`~ai_protocols.cli.commands.no_hooks_warning`):
    said by the commands that take something and by those that show what the hook
    enforces (``task list``, ``locks``, ``check``), which an agent runs to learn whether
    it may edit. Nothing in the main work tree (one comparison)."""
    if board.path.parent != board.project.ai_dir:
        from ai_protocols.cli.commands import no_hooks_warning

        warning = no_hooks_warning(str(board.project.root))
        if warning:
            echo(warning, err=True)


def _paths(paths: tuple[str, ...]) -> str:
    """Paths for a person, one told apart from the next: each quoted as the shell reads it
    when it holds a space or a quote (:func:`ai_protocols.cli.commands.quote`)."""
    from ai_protocols.cli.commands import quote

    return " ".join(quote(p) if p else "''" for p in paths)


def _line(task: Task, board: Board | None = None, states: dict[str, str] | None = None) -> str:
    tags = f"  :{':'.join(task.tags)}:" if task.tags else ""
    role = f"  role {task.role}" if task.role else ""
    owner = ""
    if task.owner and task.is_open:
        state = (states or {}).get(task.owner)
        owner = f"  claimed by {task.owner}" + (f" ({state})" if state else "")
    commented = "  (commented out)" if task.commented else ""
    return f"{task.id or '(no id)'}  {task.state or '-':9} {task.title}{tags}{role}{owner}" \
        f"{commented}"


def _details(task: Task) -> list[str]:
    lines = [f"Task {task.id or '(no id)'}: {task.title}",
             f"  state:       {task.state or '(none)'}" +
             (" (commented out: COMMENT after its state)" if task.commented else "")]
    if task.tags:
        lines.append(f"  tags:        {' '.join(task.tags)}")
    lines.append(f"  role:        {task.role or '(none)'}")
    lines.append(f"  working set: {_paths(task.working_set) or '(any file)'}")
    lines.append(f"  owner:       {task.owner or '(free)'}")
    if task.claimed:
        lines.append(f"  claimed:     {task.claimed:%Y-%m-%d %H:%M}")
    if task.checkpoint:
        lines.append(f"  checkpoint:  {task.checkpoint}")
    return lines




def task_add(title: str, working_set: tuple[str, ...], role: str | None,
             tags: tuple[str, ...]) -> None:
    """Add a task (state TODO) at the end of the board; print its id.

    TITLE is one line, in quotes when it has several words; '-' reads it
    from standard input and @FILE from a file, as every text option. Paths
    are relative to the working directory; a folder covers every file in it.
    """
    from ai_protocols.cli.options import Given, text_of

    # TITLE is read as every text option reads its value: '-' standard input, @FILE a
    # file (decisions.md, issue 15, thirteenth round).
    title = text_of(Given("TITLE", title, True, 0))
    board = open_board()
    added = board.add(title, working_set=working_set, role=role, tags=tags)
    _said_set_up(board)
    echo(f"Added task {added.id}: {added.title}", err=True)
    echo(added.id)


def task_list(as_json: bool, mine: bool, free: bool, role: str | None, show_all: bool) -> None:
    """List the open tasks in board order, with who holds each.

    A holder's state (live, crashed, abandoned...) is judged as 'status'
    judges sessions; a claim whose agent is gone counts as free.
    """
    from ai_protocols.board.board_input import check_role, same_role
    from ai_protocols.liveness.evidence import RECOVERABLE

    board = open_board()
    said_unusable_locks(board)
    said_unhooked(board)
    if mine:
        board._me("task list --mine")  # no agent id: say so, not "No task matches."
    if role is not None:
        role = check_role(role)  # (an empty one: refused, not "no open task")
    rows = []
    tasks = board.tasks()
    lost = board.lost()
    # (a claim git put back after ai-protocols ended it holds nothing: Board.lost)
    undone = {x.now.line for x in lost if x.undone and x.now is not None}
    mine_held, kept = board.held_tasks(tasks, lost) if mine else ([], [])
    # A task whose claim git took off the board (or whose close or release git undid)
    # is listed as ai-protocols last wrote it, the kept copy's: as claim judges it.
    kept_view: dict[int, Task] = {}
    first_line: dict[str, int] = {}  # each id's first task on the board
    for t in reversed(tasks):
        if t.id:
            first_line[t.id] = t.line
    for x in lost:
        if x.task is not None and x.lock is None:
            line = x.now.line if x.now is not None else first_line.get(x.task.id or "")
            if line is not None:
                kept_view[line] = x.task
    # (each task is known by what it is, not compared with the board's other tasks: a
    # list's 'in' compares field by field, and made the list quadratic in the tasks)
    mine_ids = {id(t) for t in mine_held}
    for item, on_board in [(t, True) for t in tasks] + \
            [(t, False) for t in mine_held if t.id in kept]:
        if mine and id(item) not in mine_ids:
            continue
        was_undone = item.line in undone
        if not mine and on_board:
            item = kept_view.get(item.line, item)
        if not show_all and not mine and (not item.is_open or item.commented):
            continue  # (a commented-out headline: left out, as Org's agenda leaves it)
        if role is not None and not same_role(item.role, role):
            continue
        state = None
        if item.owner and item.is_open and not board.is_me(item.owner):
            state = board.agent_state(item.owner, item.owner_process, item.claimed,
                                      since_at=item.claimed_at)
        held = bool(item.owner) and not was_undone and \
            (state is None or state.state not in RECOVERABLE)
        if free and (held or not item.is_open):
            continue
        rows.append((item, state))
    from ai_protocols.board.board import duplicate_ids
    from ai_protocols.board.board_input import bare_keys

    twins = duplicate_ids(board.tasks())
    on_disk = board.disk_lines()  # (a stale save's view: the lines said are the file's)
    if as_json:
        keys = bare_keys(tasks, on_disk) if any(not item.id for item, _ in rows) else {}
        print_json([{**item.to_json(), "key": item.id or keys.get(item.line),
                     **({"line": on_disk.get(item.line)} if on_disk is not None else {}),
                     "duplicate_id_lines": twins.get(item.id or "", []),
                     "owner_state": state.state if state else ("mine" if board.is_me(item.owner)
                                                               else None),
                     "owner_evidence": state.evidence if state else None}
                    for item, state in rows])
        return
    if not rows:
        echo("No task matches." if (mine or free or role is not None) else
             f"No open task on the board {board.path}: 'ai-protocols task add TITLE' "
             "adds one.")
    for item, state in rows:
        said = {item.owner: _state(state.state)} if state and item.owner else \
            ({item.owner: "you"} if board.is_me(item.owner) else {})
        echo(_line(item, board, said))
        if item.id in kept:
            echo(f"  its claim is held from the kept copy {board.kept_path}: git took it "
                 "off the board on disk (the next change to the board puts it back)")
        if item.id in twins:
            others = ", ".join(str(n if on_disk is None else on_disk.get(n) or "(not on disk)")
                               for n in twins[item.id] if n != item.line)
            from ai_protocols.errors import DUPLICATE_FIX

            echo(f"  duplicate id: the task on line {others} has it too; {DUPLICATE_FIX}")
    _said_no_id([item for item, _ in rows if not item.id], tasks, on_disk)


def _said_no_id(listed: list[Task], tasks: list[Task],
                lines: dict[int, int | None] | None = None) -> None:
    """After ``task list``: how to name each task of ``listed`` a person added without an
    id (stderr), by the key ``task show`` and ``task claim`` take
    (:func:`~ai_protocols.board.model.bare_keys` among the board's ``tasks``): its exact
    title, or ``line:N`` when its title names no one task; a claim gives it its id
    (``Board._give_ids``; docs/tasks.md, "A task added in Emacs"). ``lines``: the
    line in the file on disk of each task by its line as read, while a stale save is
    merged back in the readers' view only (``Board.disk_lines``): the lines said are
    the file's, and a task only git brought has no line key yet."""
    from ai_protocols.board.board_file import SAID_AT_MOST
    from ai_protocols.board.board_input import bare_keys
    from ai_protocols.lean import shell_quote  # (the one quoter of what to paste)

    keys = bare_keys(tasks, lines) if listed else {}

    def line_of(item: Task) -> int | None:
        return item.line if lines is None else lines.get(item.line)

    for item in listed[:SAID_AT_MOST]:
        key = keys.get(item.line)
        where = f"task on line {line_of(item)} " if line_of(item) else \
            "task brought by git (not in the file on disk yet) "
        if key is None:  # (only git brought it, and its title names no one task)
            echo(f"{where}({quoted(item.title)}) has no id yet and no key: its title "
                 "names another task too; the next change of the board (task claim, lock, "
                 "...) writes it with an id, which 'ai-protocols task list' then shows",
                 err=True)
            continue
        dash = "-- " if key.startswith("-") else ""
        how = f"to claim it now: ai-protocols task claim {dash}{shell_quote(key)}"
        if key != item.title.strip():  # (its title names no one task: by its line)
            why = "it has no title" if not item.title.strip() else \
                "its title names another task too"
            how = f"{why}, so it is named by its line until then (which moves when lines " \
                f"are added above it); {how}"
        echo(f"{where}({quoted(item.title)}) has no id yet (added in "
             f"Emacs?): the next change of the board gives it one; {how}", err=True)
    if len(listed) > SAID_AT_MOST:
        more = listed[SAID_AT_MOST:]
        echo(f"and {counted(len(more), 'more task', 'more tasks')} without an id (lines "
             f"{line_of(more[0])} to {line_of(more[-1])}): the next change of the board "
             "gives each its id", err=True)


def task_show(task_id: str, as_json: bool) -> None:
    """Show one task: its state, role, working set, holder, checkpoint and hand-off notes."""
    board = open_board()
    item = board.task(task_id)
    # (a task whose claim, close or release a stale board lost is shown as ai-protocols
    # last wrote it, the kept copy's: as task list shows it and the next write makes it)
    item = next((x.task for x in board.lost() if x.task is not None and x.lock is None
                 and item.id and x.task.id == item.id), item)
    said_unusable_locks(board)
    state = None
    if item.owner and item.is_open and not board.is_me(item.owner):
        state = board.agent_state(item.owner, item.owner_process, item.claimed,
                                      since_at=item.claimed_at)
    passed = board.handoffs(item)
    where = board.checkpoint_where(item) if item.checkpoint else None
    lines = board.disk_lines()  # (a stale save's view: the line said is the file's)
    if as_json:
        print_json({**item.to_json(), **({"line": lines.get(item.line)}
                                         if lines is not None else {}),
                    "owner_state": state.state if state else None,
                    "owner_evidence": state.evidence if state else None,
                    "handoffs": [h.to_json() for h in passed],
                    "checkpoint_where": where})
        return
    for line in _details(item):
        echo(line)
    if where is not None:
        echo(f"  checkpoint where: {where}")
    if state is not None:
        echo(f"  its holder:  {_state(state.state)} ({state.evidence})")
    if passed:
        echo("  hand-offs:")
    for h in passed:
        when = f"{h.time:%Y-%m-%d %H:%M}" if h.time else "(no time)"
        echo(f"    {when} {h.by}" + (f" ({h.from_role})" if h.from_role else "") +
             f" -> {h.to}: {h.note}")


def _said_unseen(board: Board, what: str) -> None:
    """Say on stderr, after a claim or lock (``what``), when no command outside can judge
    its agent by a process (:attr:`Board.unseen`: a sandbox's PID namespace, as Codex's
    runs commands; a command its shell left behind): what it is judged by instead, and
    how to give it better evidence (docs/tasks.md, "An agent no process stands for")."""
    if board.unseen is None:
        return
    from ai_protocols.liveness.evidence import stale_after

    hours = stale_after().total_seconds() / 3600
    _say(f"warning: {board.unseen}; so other agents cannot tell from a process whether "
         f"{what}'s agent still runs: they judge it by its session file when it has one "
         "(let the hooks write it: 'ai-protocols hooks install codex' or 'claude', and "
         "trust them), or by its lease under 'ai-protocols spawn' (which holds the lease "
         "while the agent runs); without either it holds until AI_PROTOCOLS_STALE_HOURS "
         f"({hours:g} h) after it was taken, and another agent takes it sooner only with "
         "--force", err=True)


def task_claim(task_id: str, force: bool) -> None:
    """Claim a task for this agent (AI_AGENT_ID, or the agent's own session).

    Of many agents claiming one task at once exactly one wins; the others
    exit 21, told who holds it. A claim whose agent is crashed, abandoned
    or wrapped up is taken over, saying whose it was and why.
    """
    board = open_board()
    report = board.claim(task_id, force=force)
    _said_shared(board)
    item = report.task
    if report.already:
        echo(f"Task {item.id} is yours already: {item.title}" + (
             f" (claim renewed: it held no more, {report.revived})" if report.revived else
             " (claim renewed: this process holds it now)" if report.renewed else ""))
        if report.shared is not None:
            _said_two_processes(item.owner, report.shared, "this claim",
                                "its time renewed" if report.revived else "not renewed")
    elif report.previous is not None and report.state is not None:
        from ai_protocols.board.board import held_by

        echo(f"Claimed task {item.id}: {item.title}")
        echo(f"  taken over: it was {held_by(report.previous, report.state, force)}")
    else:
        echo(f"Claimed task {item.id}: {item.title}")
    if item.working_set:
        echo(f"  working set: {_paths(item.working_set)}")
    _said_unseen(board, "this claim")
    from ai_protocols.board.board_file import holder_name

    # (a task naming no working set may change any file: docs/tasks.md)
    for area, lock, state in board.locks_over(item.working_set or ("./",)):
        where = f"its working set's {display(area)} lies in or holds" if item.working_set \
            else "it names no working set (it may change any file), and that holds"
        _say(f"warning: {where} "
             f"{display(lock.path)}, which {holder_name(lock.owner)} has locked "
             f"({display(lock.reason or '(no reason given)')}; "
             f"{_state(state.state)}: {state.evidence}): your edits there are "
             f"refused until it unlocks; ask {holder_name(lock.owner)}, or work "
             "elsewhere first ('ai-protocols locks' lists the locks)", err=True)


def task_release(task_id: str, force: bool) -> None:
    """Give up this agent's claim: the task is free again (DOING goes back to TODO)."""
    from ai_protocols.board.board_read import lost_how
    from ai_protocols.errors import TaskNotFound

    board = open_board()
    try:
        held = board.task(task_id).owner
    except TaskNotFound:
        held = None  # (git took the task off the board: the release puts it back first)
    item = board.release(task_id, force=force)
    back = next((x for x in board.restored_items
                 if x.task is not None and not x.undone and x.task.id == item.id), None)
    if back is not None and back.task is not None:
        board.restored = [r for r in board.restored if not r.startswith(f"task {item.id},")]
        where = f"the kept copy {board.kept_path}" if back.source is None else \
            "git's history, which holds it unended (a person took it off by hand)"
        echo(f"Released task {item.id}: {item.title} (its claim, {back.task.owner}'s, was "
             f"lost from the board ({lost_how('it', lock=False)}); it was put back from "
             f"{where} and released, the end naming its CLAIMED_AT, so every clone reads "
             "it as ended)")
    elif held is None and board.released_from is None:
        echo(f"Task {item.id} was not claimed: nothing to release ({item.title})")
    elif held is None:
        echo(f"Released task {item.id}: {item.title} ({board.released_from}'s claim had been "
             "deleted by hand, which ends it in no clone; git's history still held it: the "
             "release written names its CLAIMED_AT, so every clone reads it as ended)")
    else:
        echo(f"Released task {item.id}: {item.title}")


def both_checkpoints(take_checkpoint: bool, checkpoint_ref: str | None) -> bool:
    """Whether ``task done`` was given both ``--checkpoint`` (take one now) and
    ``--checkpoint-ref REF``: a usage error, which click says."""
    return take_checkpoint and checkpoint_ref is not None


def task_done(task_id: str, take_checkpoint: bool, checkpoint_ref: str | None,
              force: bool) -> None:
    """Close a task as DONE, with the checkpoint it was closed with."""
    from ai_protocols.errors import AiProtocolsError

    board = open_board()
    checkpoint = board.resolve_ref(checkpoint_ref) if checkpoint_ref is not None else None
    if take_checkpoint:
        # Whatever refuses the close (another agent's live claim too), before the
        # checkpoint: a refused command makes nothing.
        found = board.check_done(task_id, force=force)
        from ai_protocols.cli.output import print_checkpoint
        from ai_protocols.git.checkpoint import take
        from ai_protocols.session.project import Project

        project = Project.discover()
        taken = take(project.root, project.ai_dir, project.path, project.agent_id,
                     f"task {found.id} done: {found.title}")
        print_checkpoint(taken)
        # its ref and its commit, as --checkpoint-ref records one: a clone that never
        # fetched the ref still learns which commit it was (docs/tasks.md)
        checkpoint = f"{taken.checkpoint.ref} {taken.checkpoint.commit}"
    try:
        item = board.done(task_id, checkpoint=checkpoint, force=force)
    except AiProtocolsError as error:
        if take_checkpoint and checkpoint:  # the checkpoint taken is not undone: say where
            error.args = (f"{error}; the checkpoint taken before stays, a restore point like "
                          f"any other: {checkpoint}",)
        raise
    echo(f"Done: task {item.id}: {item.title}" +
         (f" (checkpoint {item.checkpoint})" if item.checkpoint else ""))


def lock(paths: tuple[str, ...], reason: str, force: bool) -> None:
    """Lock files or folders for this agent, recorded in the board's Locks section.

    Another agent's edit into a locked area is refused by the PreToolUse hook
    and reported by 'check'. An overlapping lock of another agent that may be
    at work is refused (exit 22); one whose agent is gone is taken over. A lock
    over the working set of a task another agent holds is taken, with a warning.
    """
    board = open_board()
    reports = board.lock(paths, reason=reason, force=force)
    _said_set_up(board)
    _said_shared(board)
    for report in reports:
        echo(f"{'Renewed' if report.renewed else 'Locked'} {report.lock.path}")
        if report.shared is not None:
            _said_two_processes(report.lock.owner, report.shared,
                                f"the lock on {report.lock.path}",
                                "its reason and time renewed")
        for held, state in report.replaced:
            from ai_protocols.board.board import held_by

            whose = held_by(held.owner, state, force, "locked")
            echo(f"  taken over: {held.path} was {whose}")
    _said_unseen(board, "this lock")
    from ai_protocols.board.board_file import holder_name

    for area, task, state in board.claims_over([r.lock.path for r in reports]):
        whose = "lies in or holds the working set of" if task.working_set else \
            "may be changed by (it names no working set: any file)"
        _say(f"warning: {display(area)} {whose} task "
             f"{task.id} ({display(task.title)}), which {holder_name(task.owner)} "
             f"has claimed ({_state(state.state)}: {state.evidence}): its edits there "
             f"are refused while you hold this lock; ask {holder_name(task.owner)}, "
             "or unlock what its task needs", err=True)
    # (this board cannot see the locks of a project around it; the hook enforces them)
    for area, outer, held, state in board.outer_locks([r.lock.path for r in reports]):
        echo(f"warning: {area} lies in or holds {held.path} on the board of the project "
             f"around this one, {outer}, locked by {held.owner} ({_state(state.state)}"
             f": {state.evidence}) for: {held.reason or '(no reason given)'}; the "
             "PreToolUse hook refuses your edits there while that lock stands (see "
             "'ai-protocols locks' there)", err=True)


def unlock(paths: tuple[str, ...], force: bool) -> None:
    """Remove locks (each PATH exactly as locked); all or nothing."""
    from ai_protocols.board.board_read import lost_how

    board = open_board()
    for held in board.unlock(paths, force=force):
        back = any(x.lock is not None and not x.undone and x.lock.path == held.path and
                   x.lock.owner == held.owner for x in board.restored_items)
        if back:
            board.restored = [r for r in board.restored
                              if not r.startswith(f"the lock on {held.path}, ")]
        echo(f"Unlocked {held.path}" +
             (f" (was {held.owner}'s)" if held.owner and not board.is_me(held.owner) else "") +
             (f" (the lock was lost from the board ({lost_how('it')}); it was put back "
              f"from the kept copy {board.kept_path} and removed)" if back else ""))


def locks(as_json: bool) -> None:
    """List the locked areas, who holds each, and whether that agent is at work."""
    from ai_protocols.board.board_file import holder_name

    board = open_board()
    said_unusable_locks(board)
    said_unhooked(board)
    rows = []
    # The live locks git took away from the board on disk (its kept copy holds them; the
    # hook and check still enforce them): listed too, marked, never "No locks.".
    found = board.lost()
    on_board = board.locks()
    held_here = {(h.path, h.owner) for h in on_board}  # (a lock of git's version: once)
    lost_items = [item for item in found if item.lock is not None and not item.undone and
                  (item.lock.path, item.lock.owner) not in held_here]
    lost = [item.lock for item in lost_items]
    from_history = {id(item.lock) for item in lost_items if item.source is not None}
    again = [item.lock for item in found if item.lock is not None and item.undone]
    for held in [*(h for h in on_board if h not in again), *lost]:
        state = board.agent_state(held.owner, held.owner_process, held.locked,
                                  since_at=held.locked_at) \
            if not board.is_me(held.owner) else None
        rows.append((held, state))
    if as_json:
        print_json([{**held.to_json(), "mine": board.is_me(held.owner),
                     "state": state.state if state else None,
                     "evidence": state.evidence if state else None,
                     "lost": held in lost} for held, state in rows])
        return
    if not rows:
        echo("No locks.")
    for held, state in rows:
        who = "you" if board.is_me(held.owner) else \
            f"{holder_name(held.owner)} ({_state(state.state)}: {state.evidence})" if state else \
            holder_name(held.owner)
        where = "git's history holds it with no end (taken off the board by hand)" \
            if id(held) in from_history else f"kept in {board.kept_path}"
        echo(f"{held.path}  locked by {who}" + (
             f"  (not on the board on disk: {where}; still enforced, and "
             "the next change to the board puts it back)" if held in lost else ""))
        echo(f"    {held.reason or '(no reason given)'}")
