"""The task board's claims after a fresh review (issue 15, fourteenth round): a board git
brings from another clone (a pull, a merge) is kept, not taken for an older board; only a
truly older board (a stash, a checkout, a reset, a branch switch) is put back.

Every command runs as the installed ``ai-protocols`` in real git repositories (clones,
pulls, merges).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from boardkit import add, board, edit, git, write_hook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

HOLDER = "a1.1796000000"  # (its process: this test's, which runs: live)
OTHER = "b1.1796000000"


def _clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    return target.resolve()


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


# -- 1. an end made in another clone, brought by git ----------------------------------------

ENDS = {
    "release": ("task", "release", "{task}", "--force"),
    "handoff": ("task", "handoff", "{task}", "--to", "reviewer", "--note", "take it",
                "--force"),
    "unlock": ("unlock", "lib/", "--force"),
}


@pytest.mark.parametrize("how", ["fast-forward", "merge"])
@pytest.mark.parametrize("end", sorted(ENDS))
def test_an_end_made_in_another_clone_and_pulled_stays(
        project: Path, run: Runner, tmp_path: Path, end: str, how: str) -> None:
    """A live agent in clone A claims a task and locks ``lib/``; clone B ends one of them
    with ``--force`` (a release, a hand-off, an unlock) and commits; A pulls it (a
    fast-forward, or a merge over a commit of its own). A's next commands keep B's end:
    no warning of a lost claim or lock, nothing "put back" (before: the claim or lock
    was written back, undoing B's change)."""
    task = add(run, "Tee")
    run("task", "claim", task, agent=HOLDER)
    run("lock", "lib/", "--reason", "a1 reshapes", agent=HOLDER)
    _commit(project, "a1 claims and locks")
    other = _clone(project, tmp_path / "b")
    Runner(other)(*(part.format(task=task) for part in ENDS[end]), agent=OTHER)
    _commit(other, f"b: {end}")
    if how == "merge":
        add(run, "A local")
        _commit(project, "a local")
    git(project, "pull", "-q", "--no-rebase", "--no-edit", str(other), "HEAD")
    if end == "unlock":  # (the hook, before any command wrote the board: no lock)
        assert write_hook(project, project / "lib" / "x.py", OTHER).returncode == 0
    else:
        assert write_hook(project, project / "lib" / "x.py", OTHER).returncode == 2
    listed = run("task", "list", "--all", agent="planner.1")
    assert "lost" not in listed.stderr and "older board" not in listed.stderr, listed.stderr
    changed = run("task", "add", "Other", agent="planner.1")
    assert "put back" not in changed.stderr + changed.stdout, changed.stderr
    text = board(project)
    if end == "unlock":
        assert "lib/" not in run("locks", agent="planner.1").stdout
        assert f"claimed by {HOLDER}" in run("task", "list", agent="planner.1").stdout
    else:
        assert f"claimed by {HOLDER}" not in run("task", "list", "--all",
                                                 agent="planner.1").stdout
        assert "lib/" in run("locks", agent="planner.1").stdout
    assert text.count("put back") == 0


@pytest.mark.parametrize("older", ["reset", "checkout-file", "stash"])
def test_a_truly_older_board_still_gets_its_claim_and_lock_back(
        project: Path, run: Runner, older: str) -> None:
    """The rule above must not keep what an older board lost: a claim and a lock made
    and committed, then ``git reset --hard`` to the commit before them, or ``git
    checkout HEAD~1 -- .ai/tasks.org`` (``HEAD`` still holds them), or a claim and lock
    never committed and stashed: the next change puts both back."""
    task = add(run, "Tee")
    _commit(project, "the task")
    run("task", "claim", task, agent=HOLDER)
    run("lock", "lib/", "--reason", "a1 reshapes", agent=HOLDER)
    if older == "stash":
        git(project, "stash", "-q")
    else:
        _commit(project, "a1 claims and locks")
        if older == "reset":
            git(project, "reset", "-q", "--hard", "HEAD~1")
        else:
            git(project, "checkout", "HEAD~1", "--", ".ai/tasks.org")
    assert f":OWNER:    {HOLDER}" not in board(project)
    changed = run("task", "add", "Other", agent="planner.1")
    assert "put back" in changed.stderr, changed.stderr
    assert f"claimed by {HOLDER}" in run("task", "list", agent="planner.1").stdout
    assert "lib/" in run("locks", agent="planner.1").stdout


# -- 6. a hard link into a locked area ------------------------------------------------------

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(locked=NAMES, linked=NAMES, whole_folder=st.booleans())
def test_a_hard_link_to_a_locked_file_is_refused(
        project: Path, run: Runner, locked: str, linked: str, whole_folder: bool) -> None:
    """A file of a locked area (the folder, or the file itself) has a second name outside
    it (a hard link): the PreToolUse hook refuses a ``Write`` through that name, naming
    both names and the holder; a hard link of a file outside every lock goes through."""
    area = project / "src" / "api"
    area.mkdir(parents=True, exist_ok=True)
    target = area / f"{locked}.py"
    target.write_text("a\n")
    (project / "docs").mkdir(exist_ok=True)
    alias = project / "docs" / f"{linked}.py"
    alias.unlink(missing_ok=True)
    alias.hardlink_to(target)
    lock = "src/api/" if whole_folder else f"src/api/{locked}.py"
    run("lock", lock, "--reason", "reshaping", agent="holder.1")
    try:
        refused = write_hook(project, alias, "other.1")
        assert refused.returncode == 2, refused
        assert f"docs/{linked}.py is a hard link of src/api/{locked}.py" in refused.stderr
        assert "holder.1" in refused.stderr
        free = project / "free.py"
        free.write_text("b\n")
        other = project / "docs" / f"{linked}-free.py"
        other.unlink(missing_ok=True)
        other.hardlink_to(free)
        assert write_hook(project, other, "other.1").returncode == 0
    finally:
        run("unlock", lock, agent="holder.1")


# -- 7. the number of hooks the docs name ---------------------------------------------------

NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def test_the_docs_count_the_hooks_we_install() -> None:
    """Every "the N ai-protocols hooks" of the docs says as many as ``EVENTS`` holds (the
    one table of the hooks ``hooks install`` adds), and the events it names after it are
    EVENTS' names: a new row of the table makes this fail until the docs follow."""
    import re

    from ai_protocols.integrations.install import EVENTS

    docs = Path(__file__).resolve().parent.parent / "docs"
    said = []
    for page in sorted(docs.glob("*.md")):
        text = " ".join(page.read_text(encoding="utf-8").split())
        for match in re.finditer(r"the (\w+) ai-protocols hooks(?: \(([^)]*)\))?", text):
            said.append((page.name, match.group(1), match.group(2)))
    assert said, "the docs no longer count the hooks: this test counts nothing"
    for page, number, names in said:
        assert number in NUMBERS and NUMBERS.index(number) + 1 == len(EVENTS), (page, number)
        if names:
            assert set(re.findall(r"\b[A-Z][A-Za-z]+\b", names)) >= {e.name for e in EVENTS}


# -- 3. a locks section a person renamed -----------------------------------------------------


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(alphabet="abcdefghijklmnopqrstuvwxyz ()-", min_size=1, max_size=30)
       .map(str.strip).filter(lambda t: t and t.lower() != "locks" and
                              t.split()[0] not in ("TODO", "NEXT", "DOING", "REVIEW", "DONE",
                                                   "CANCELLED", "COMMENT")))
def test_a_renamed_locks_section_keeps_its_locks(
        project: Path, run: Runner, title: str) -> None:
    """A person renames the locks section and deletes its ``:CUSTOM_ID: locks`` line:
    the section is known by what it holds (a sub-headline with a ``PATH``); its lock is
    still listed, still refuses another agent's edit, and the next change neither puts
    it back nor adds a second locks section (before: lost, then a second ``* Locks``
    with a second ``lib/`` lock)."""
    add(run, "One")
    run("lock", "lib/", "--reason", "r1", agent=HOLDER)
    try:
        edit(project, "* Locks\n:PROPERTIES:\n:CUSTOM_ID: locks\n:END:\n",
             f"* {title}\n:PROPERTIES:\n:END:\n")
        listed = run("locks", agent="planner.1")
        assert "lib/" in listed.stdout and "lost" not in listed.stderr, listed
        changed = run("lock", "other/", "--reason", "r2", agent=HOLDER)
        assert "put back" not in changed.stderr, changed.stderr
        text = board(project)
        assert text.count(":PATH:") == 2 and text.count("lib/\n") == 2, text  # (title, PATH)
        assert "\n* Locks" not in text and text.count(f"\n* {title}\n") == 1, text
        assert write_hook(project, project / "lib" / "x.py", "other.1").returncode == 2
    finally:
        run("unlock", "lib/", "other/", agent=HOLDER)
    assert ":PATH:" not in board(project)


# -- 5. what a wrap-up leaves ----------------------------------------------------------------


def test_a_wrap_up_says_it_leaves_the_claim_and_each_lock(project: Path, run: Runner) -> None:
    """A session claims a task and locks two areas, then wraps up: the wrap-up says the
    claim stays and that, wrapped up, it is any agent's to take over without
    ``--force``, and names each lock with its ``unlock`` (before: the task was "yours",
    and the locks were not named). Nothing is released: the board keeps both."""
    worker = "worker.1796000000"
    task = add(run, "Long task")
    run("start", "--title", "part 1", agent=worker)
    run("task", "claim", task, agent=worker)
    run("lock", "shared/", "--reason", "working", agent=worker)
    run("lock", "my dir/", "--reason", "also", agent=worker)
    said = run("wrap-up", "part 1 done", agent=worker).stderr
    assert f"Task {task} (DOING, still claimed by you)" in said, said
    assert "the claim stays; now that this session is wrapped up, any agent may take it " \
           "over without --force" in said, said
    assert "Lock on shared/ (working) is still held by you" in said, said
    assert "ai-protocols unlock shared/" in said and "ai-protocols unlock 'my dir/'" in said
    assert run("locks", agent="planner.1").stdout.count("locked by " + worker) == 2


# -- 4. a linked work tree's own copy of the board -------------------------------------------


def test_an_edit_of_a_linked_work_trees_copy_is_warned_of_with_its_way_over(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """A person edits ``.ai/tasks.org`` as checked out in a linked work tree (``git
    worktree add``): the board commands there warn that this copy is not read, name the
    board used (the main work tree's) and how to bring the edit over; the command it
    gives does so, and once the copy is checked out again the warning stops. A copy
    that only lags behind the shared board (its branch's version, unedited) is not
    warned of."""
    add(run, "Board task")
    _commit(project, "board")
    tree = (tmp_path / "wt").resolve()
    git(project, "worktree", "add", "-q", str(tree), "-b", "feat")
    here = Runner(tree)
    add(here, "Shared task")  # (the shared board moves on: the copy lags, unedited)
    assert "warning" not in here("task", "list", agent="planner.1").stderr
    copy = tree / ".ai" / "tasks.org"
    copy.write_text(copy.read_text() + "* TODO Person task typed here\n")
    said = here("task", "list", "--all", agent="planner.1").stderr
    assert f"warning: {copy}, this linked git work tree's own copy" in said, said
    assert "that is the one used" in said and str(project / ".ai" / "tasks.org") in said
    advice = said.split("as git would, task by task, under the board's lock: ",
                        1)[1].split(" (then", 1)[0]
    bin_dir = Path(CLI).parent
    subprocess.run(advice, shell=True, cwd=tree, check=True, capture_output=True,
                   env=clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}"))
    assert "Person task typed here" in run("task", "list", agent="planner.1").stdout
    git(tree, "checkout", "HEAD", "--", ".ai/tasks.org")
    assert "warning" not in here("task", "list", agent="planner.1").stderr


# -- 2. an agent killed after its SessionEnd hook ran -----------------------------------------

AGENT_PROGRAM = r"""
import json, subprocess, sys
cli, root, agent, task, reason = sys.argv[1:6]
env = json.loads(sys.argv[6])
def hook(event, **extra):
    payload = {"session_id": "9d1e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", "cwd": root,
               "hook_event_name": event, **extra}
    subprocess.run([cli, "hook", event, "--runtime", "claude"], cwd=root, env=env,
                   input=json.dumps(payload), capture_output=True, text=True, check=True)
hook("SessionStart", source="startup")
subprocess.run([cli, "task", "claim", task], cwd=root, env=env, check=True,
               capture_output=True)
subprocess.run([cli, "lock", "lib/", "--reason", "reshaping"], cwd=root, env=env,
               check=True, capture_output=True)
hook("SessionEnd", reason=reason)
print("ended", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("reason", ["other", "clear"])
def test_a_holder_whose_session_ended_and_whose_process_is_gone_is_taken_over(
        project: Path, run: Runner, reason: str) -> None:
    """An agent (a process that runs the Claude Code hooks as Claude Code does) starts a
    session, claims a task, locks ``lib/``, and its SessionEnd hook records ``session end
    (REASON)``. While its process goes on (Claude Code's ``/clear``: a new session in the
    same process), its claim and lock hold: a claim is refused without ``--force`` and
    the guard refuses an edit into ``lib/``. Once its process is gone (killed: SIGTERM
    runs SessionEnd, then the program exits), it keeps them for the grace a resume
    gets (``AI_PROTOCOLS_ENDED_GRACE_MINUTES``), then is abandoned: another agent claims
    the task and locks in ``lib/`` without ``--force``, saying whose they were and why, and
    the guard lets the edit through (before: ``ended``, held for 12 hours)."""
    task = add(run, "T1", "--working-set", "lib/")
    holder = "vm.proj.claude.9d1e2f43"
    agent = subprocess.Popen(
        [sys.executable, "-c", AGENT_PROGRAM, str(CLI), str(project), holder, task, reason,
         json.dumps(clean_env(AI_AGENT_ID=holder))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env())
    try:
        assert agent.stdout is not None and agent.stdout.readline().strip() == "ended"
        refused = run("task", "claim", task, agent=OTHER, check=False)
        assert refused.returncode != 0 and holder in refused.stderr, refused
        assert write_hook(project, project / "lib" / "x.py", OTHER).returncode == 2
    finally:
        agent.communicate("", timeout=60)
    # Within the grace for a resume (AI_PROTOCOLS_ENDED_GRACE_MINUTES, 15 by default):
    # still held, as a `claude -p` run that ended may be resumed.
    refused = run("task", "claim", task, agent=OTHER, check=False)
    assert refused.returncode == 21
    assert _hook_with(project, project / "lib" / "x.py", OTHER).returncode == 2
    if reason == "other":  # its process is gone: when, and how to free it now (16th round)
        assert "(process " in refused.stderr and "on this host is gone)" in refused.stderr
        assert re.search(r"without --force in 1[0-5] min \(the grace for a resume",
                         refused.stderr), refused.stderr
        advised = f"AI_AGENT_ID={holder} ai-protocols abandon --reason TEXT"
        assert advised in refused.stderr, refused.stderr
        bin_dir = Path(CLI).parent
        subprocess.run(advised.replace("TEXT", "'its run is over'"), shell=True, cwd=project,
                       check=True, capture_output=True,
                       env=clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}"))
        taken = run("task", "claim", task, agent=OTHER)
        assert f"it was held by {holder}" in taken.stdout + taken.stderr, taken
        assert "whose session was abandoned" in taken.stdout + taken.stderr, taken
        return
    graceless = {"AI_PROTOCOLS_ENDED_GRACE_MINUTES": "0"}
    taken = run("task", "claim", task, agent=OTHER, env=graceless)
    assert f"it was held by {holder}, who is abandoned" in taken.stdout + taken.stderr
    assert "no process of it runs" in taken.stdout + taken.stderr
    assert _hook_with(project, project / "lib" / "x.py", OTHER, **graceless).returncode == 0
    run("lock", "lib/x.py", "--reason", "mine now", agent=OTHER, env=graceless)
    assert f"claimed by {OTHER}" in run("task", "list", agent="planner.1").stdout


def _hook_with(cwd: Path, path: Path, agent: str, **extra: str) -> \
        subprocess.CompletedProcess[str]:
    """:func:`boardkit.write_hook`, with ``extra`` in the hook's environment."""
    payload = {"session_id": "s", "cwd": str(cwd), "hook_event_name": "PreToolUse",
               "tool_name": "Write", "tool_input": {"file_path": str(path), "content": "x"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=clean_env(AI_AGENT_ID=agent, **extra), timeout=60)


@pytest.mark.agents
def test_real_claude_code_killed_with_sigterm_leaves_its_claim_and_lock(
        claude: object, fake_api: object) -> None:
    """The real Claude Code claims a task and locks ``src/a/`` through its shell tool,
    then is killed with SIGTERM (plain ``kill``) while it waits for the model: its
    SessionEnd hook records ``session end (other)``, and its process is gone. Past the
    grace for a resume (``AI_PROTOCOLS_ENDED_GRACE_MINUTES``, here 0), another agent
    then claims the task and locks inside ``src/a/`` without ``--force``, with
    the evidence, and the guard lets its edit through (before: ``ended``, both held for
    12 hours, the guard refusing)."""
    import re
    import signal
    import threading
    import time

    from agents.fake_api import Shell, Text
    from conftest import BIN

    graceless = {"AI_PROTOCOLS_ENDED_GRACE_MINUTES": "0"}  # (no wait for a resume)

    def cli(*args: str, agent: str = "planner.1") -> str:
        done = subprocess.run([str(CLI), *args], cwd=claude.project, capture_output=True,
                              text=True, env=clean_env(AI_AGENT_ID=agent, **graceless))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    for args in (("init",), ("hooks", "install", "claude")):
        cli(*args)
    claude.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    (claude.project / "src" / "a").mkdir(parents=True)
    task = cli("task", "add", "T1", "--working-set", "src/a/")
    waiting, killed = threading.Event(), threading.Event()

    def hang(_request: object) -> Text:
        waiting.set()
        killed.wait(120)
        return Text("never read")

    fake_api.reply(Shell(f"ai-protocols task claim {task} && "
                         "ai-protocols lock src/a/ --reason 'A reshapes'"), hang)
    runner = threading.Thread(target=lambda: claude.run("work A", "--allowedTools", "Bash"))
    runner.start()
    assert waiting.wait(120), "the agent never asked the model after its claim"
    owner = json.loads(cli("task", "show", task, "--json"))["owner"]
    session = claude.project / ".ai" / "session-context.d" / f"{owner}.org"
    pid = int(re.search(r":OWNER:\s+pid (\d+)", session.read_text()).group(1))
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.set()
    runner.join(120)
    assert "session end (other)" in session.read_text()
    out = cli("task", "claim", task, agent=OTHER)
    assert f"it was held by {owner}, who is abandoned" in out, out
    assert "no process of it runs" in out
    cli("lock", "src/a/x.py", "--reason", "mine now", agent=OTHER)
    assert _hook_with(claude.project, claude.project / "src" / "a" / "y.py", OTHER,
                      **graceless).returncode == 0


# -- 8. changing a task after task add -------------------------------------------------------


@pytest.mark.parametrize("title", ["Renamed", "Fix the \"parser\" — 50% [x] ünïcode",
                                   "First one again"])
def test_a_task_is_edited_cancelled_and_reopened_surgically(
        project: Path, run: Runner, title: str) -> None:
    """``task edit`` changes a task's title, working set and tags after ``task add``,
    writing only those words (its keyword, a person's priority cookie and the rest of
    the board's bytes stay) and logging the change; the holder's ``check`` then accepts a
    file in the widened working set. Another agent's edit of a live claim is refused
    (exit 21), nothing changed. ``task cancel`` closes it as CANCELLED, ``task reopen``
    opens it again, free, each logged."""
    task = add(run, "First one", "--tag", "old", "--working-set", "src/")
    edit(project, "* TODO First one", "* TODO [#A] First one")
    run("task", "claim", task, agent=HOLDER)
    # (the hook's refusal of an edit of the board names the command that does it)
    said = write_hook(project, project / ".ai" / "tasks.org", HOLDER)
    assert said.returncode == 2 and "task edit ID --add-working-set PATH" in said.stderr
    (project / "docs").mkdir(exist_ok=True)
    (project / "docs" / "x.md").write_text("x\n")
    assert run("check", agent=HOLDER, check=False).returncode != 0  # (outside it)
    before = board(project)
    refused = run("task", "edit", task, "--tag", "z", agent=OTHER, check=False)
    assert refused.returncode == 21 and board(project) == before, refused
    run("task", "edit", task, "--title", title, "--add-working-set", "docs/",
        "--tag", "new", "--untag", "old", agent=HOLDER)
    text = board(project)
    assert f"\n* DOING [#A] {title} :new:\n" in text, text
    assert ":WORKING_SET: src/ docs/" in text.replace("  ", " "), text
    assert "edited by " + HOLDER + ": working set src/ -> src/ docs/" in text
    assert text.replace(f"[#A] {title} :new:", "[#A] First one :old:").split("\n- [")[0] \
        .replace(":WORKING_SET: src/ docs/", ":WORKING_SET: src/") == \
        before.split("\n- [")[0].replace("DOING", "DOING"), text
    assert run("check", agent=HOLDER, check=False).returncode == 0
    shown = json.loads(run("task", "show", task, "--json", agent="planner.1").stdout)
    assert shown["title"] == title and shown["tags"] == ["new"]
    run("task", "cancel", task, agent=HOLDER)
    assert f"* CANCELLED [#A] {title} :new:" in board(project)
    assert task not in run("task", "list", agent="planner.1").stdout
    run("task", "reopen", task, agent="planner.1")
    text = board(project)
    assert f"* TODO [#A] {title} :new:" in text and ":OWNER:" not in text, text
    assert "reopened by planner.1 (it was CANCELLED, closed by " + HOLDER in text
    assert "claimed by" not in run("task", "list", agent="planner.1").stdout.split(task)[1] \
        .split("\n")[0]
