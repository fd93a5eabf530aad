"""The task board, twenty-second round (issue 15): agents in linked work trees, claims made
through go-betweens the tool does not know, titles Org 9.7 reads tags in, the advice to
abandon a session, and working-set paths with a space at an end.

Real processes throughout: the installed ``ai-protocols`` and git in temporary
repositories, a long-lived fake agent that runs its commands through a shell as agents do
(``test_live_fifteenth._start_agent``), real Emacs (Org 9.5 and 9.7) as the judge of
titles, and the real Claude Code offline for the hooks of a linked work tree.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from boardkit import linked_copy, write_hook
from gitkit import commit_all, git, pasted
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from test_live_fifteenth import AGENT, _cli, _git_project, _owner_pid, _start_agent

from ai_protocols.org.syntax import unescape_inline

from agents.fake_api import FakeAPI, Text, ToolCall
from agents.programs import Claude
from conftest import BIN, clean_env
from emacs import JUDGES, Judge, in_org_buffers, on_both

# -- 2. a claim made through a go-between the tool does not know -----------------------------


def _ways(tmp_path: Path, task: str) -> dict[str, str]:
    """Shell commands that run ``ai-protocols task claim TASK`` through a process that runs
    only to run it (the agent's shell its parent)."""
    code = f"import subprocess; subprocess.run(['ai-protocols', 'task', 'claim', {task!r}])"
    return {
        "a git alias": f"git claim {task}",
        "find -exec": f"find . -maxdepth 0 -exec ai-protocols task claim {task} ';'",
        "python3 -c": f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}",
        "perl -e": f"perl -e 'system(\"ai-protocols\", \"task\", \"claim\", \"{task}\")'",
        "git -c alias through timeout": f"timeout 60 git -c alias.c2='!ai-protocols task claim'"
                                        f" c2 {task}",
    }


@pytest.mark.parametrize("way", ["a git alias", "find -exec", "python3 -c", "perl -e",
                                 "git -c alias through timeout"])
def test_a_claim_through_a_go_between_belongs_to_the_agent(tmp_path: Path, way: str) -> None:
    """The program that ran the command in the agent's shell ran only to run it: the owner
    is the agent behind that shell, so the claim holds while the agent lives (no takeover
    without --force) and is taken over once the agent is killed."""
    project = _git_project(tmp_path)
    _cli(project, "init")
    (project / ".git" / "config").open("a").write("[alias]\n\tclaim = !ai-protocols task claim\n")
    task = _cli(project, "task", "add", "Through a go-between").stdout.strip()
    agent = _start_agent(project, "vm.p.claude.A", _ways(tmp_path, task)[way])
    try:
        assert _owner_pid(project) == [agent.pid], (project / ".ai" / "tasks.org").read_text()
        listed = _cli(project, "task", "list").stdout
        assert "(live" in listed and "crashed" not in listed, listed
        taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B", check=False)
        assert taken.returncode == 21, taken.stdout + taken.stderr
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B")
    assert "crashed" in taken.stdout and str(agent.pid) in taken.stdout, taken.stdout


def test_a_program_a_person_started_from_a_terminal_is_the_owner(tmp_path: Path) -> None:
    """Only a shell that runs a command passes the owner up: an agent a person started in an
    interactive shell (no ``-c``, no script) is the owner, not the terminal above it."""
    project = _git_project(tmp_path)
    task = _cli(project, "task", "add", "From a terminal").stdout.strip()
    env = clean_env(AI_AGENT_ID="vm.p.claude.T")
    env["PATH"] = f"{BIN}:{env['PATH']}"
    line = (f"{shlex.quote(sys.executable)} -c {shlex.quote(AGENT)} "
            f"{shlex.quote(f'ai-protocols task claim {task}')}\n")
    terminal = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=project, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert terminal.stdin is not None and terminal.stdout is not None
    terminal.stdin.write(line)
    terminal.stdin.flush()
    agent = 0
    try:
        assert terminal.stdout.readline() == "ran 0\n"
        assert terminal.stdout.readline() == "ready\n"
        agent = int(subprocess.run(["pgrep", "-P", str(terminal.pid)], capture_output=True,
                                   text=True).stdout.split()[0])
        assert _owner_pid(project) == [agent], (agent, terminal.pid)
    finally:
        if agent:
            os.kill(agent, signal.SIGKILL)
        terminal.kill()
        terminal.wait()



def test_an_agent_program_run_by_a_script_shell_is_still_the_owner(tmp_path: Path) -> None:
    """An agent program whose hooks we install (``claude``) is the owner even when a command
    shell started it and it runs as an interpreter's script (``#!/usr/bin/env python3``:
    the process is named ``python3``, its script ``claude``)."""
    project = _git_project(tmp_path)
    task = _cli(project, "task", "add", "Agent by its script").stdout.strip()
    claude = tmp_path / "bin" / "claude"
    claude.parent.mkdir()
    claude.write_text("#!/usr/bin/env python3\n" + AGENT)
    claude.chmod(0o755)
    env = clean_env(AI_AGENT_ID="vm.p.claude.S")
    env["PATH"] = f"{BIN}:{env['PATH']}"
    shell = subprocess.Popen(
        ["bash", "-c", f"{shlex.quote(str(claude))} "
                       f"{shlex.quote(f'ai-protocols task claim {task}')}; true"],
        cwd=project, env=env, stdout=subprocess.PIPE, text=True)
    assert shell.stdout is not None
    agent = 0
    try:
        assert shell.stdout.readline() == "ran 0\n"
        assert shell.stdout.readline() == "ready\n"
        agent = int(subprocess.run(["pgrep", "-P", str(shell.pid)], capture_output=True,
                                   text=True).stdout.split()[0])
        assert _owner_pid(project) == [agent], (agent, shell.pid)
    finally:
        if agent:
            os.kill(agent, signal.SIGKILL)
        shell.wait()


# -- 3. titles Org 9.7 reads tags in ----------------------------------------------------------

_HEADLINES = in_org_buffers(["tasks.org"], """(org-map-entries
        (lambda ()
          (princ (json-encode (vector (org-element-property :raw-value (org-element-at-point))
                                      (vconcat (org-get-tags nil t)))))
          (princ "\\n")))""")


def _read_by(judge: Judge, folder: Path) -> list[tuple[str, list[str]]]:
    """Each headline of ``folder/tasks.org`` as ``judge`` reads it: its title (the single
    zero-width spaces, the tool's escapes, taken out) and its tags."""
    done = judge.run(["--eval", f'(setq default-directory "{folder}/")', "--eval",
                      _HEADLINES])
    return [(unescape_inline(title), tags) for title, tags in
            (json.loads(line) for line in done.stdout.splitlines() if line.strip())]


_ENDS = st.sampled_from(["", ":", ":30:", "::", ":a:b:", "\u00a0:t:", "\u200b:v:", ":é:",
                         " :x", ":_:", "%:#@:", ": :y:"])
_TITLES = st.builds(lambda head, end: head + end,
                    st.text(alphabet="ab1_:@é.-#% \u00a0", min_size=1, max_size=10), _ENDS)


@settings(max_examples=12, deadline=None, phases=(Phase.generate,),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(titles=st.lists(_TITLES, min_size=1, max_size=8),
       tagged=st.booleans())
def test_the_titles_written_read_alike_in_org_9_5_and_9_7(project: Path, titles: list[str],
                                                          tagged: bool) -> None:
    """Every title the tool takes reads back whole, with the tags given and no other, in
    Org 9.5 and Org 9.7 alike (9.7 reads a ``:word:`` at a headline's end as tags whatever
    stands before it); one it refuses changes nothing and says why."""
    board = project / ".ai" / "tasks.org"
    tags = ["t1"] if tagged else []
    expected = {}
    for title in titles:
        before = board.read_bytes() if board.exists() else None
        added = _cli(project, "task", "add", *(["--tag", "t1"] if tagged else []), "-",
                     stdin=title, agent="vm.p.planner.1", check=False)
        if added.returncode == 4:
            after = board.read_bytes() if board.exists() else None
            assert after == before and "title" in added.stderr, added.stderr
            continue
        assert added.returncode == 0, added.stderr
        expected[added.stdout.strip()] = title.strip(" ")
    listed = {task["id"]: (task["title"], task["tags"]) for task in json.loads(
        _cli(project, "task", "list", "--all", "--json").stdout)}
    read = on_both(_read_by, board.parent)
    for task_id, title in expected.items():
        assert listed[task_id] == (title, tags), (listed[task_id], title)
        for judge, headlines in zip(JUDGES, read, strict=True):
            assert (title, tags) in headlines, (str(judge), title, headlines)


def test_a_lock_s_path_reads_whole_in_org_9_7(project: Path) -> None:
    """A lock's headline is its path: one ending in ``:word:`` reads whole, no tag, in both
    versions."""
    _cli(project, "lock", "notes/at 10:30:", "--reason", "r", agent="vm.p.claude.1")
    for judge, headlines in zip(JUDGES, on_both(_read_by, project / ".ai"), strict=True):
        assert ("notes/at 10:30:", []) in headlines, (str(judge), headlines)


# -- 5. two working-set paths given as one ----------------------------------------------------

_PART = st.text(alphabet="abc_-. é", min_size=1, max_size=6).filter(
    lambda part: part == part.strip(" ") and part not in (".", ".."))


@settings(max_examples=15, deadline=None, phases=(Phase.generate,),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(_PART, min_size=1, max_size=2), second=st.lists(_PART, min_size=1,
                                                                       max_size=2),
       folder=st.booleans())
def test_two_paths_given_as_one_are_refused_saying_how_to_give_them(
        project: Path, first: list[str], second: list[str], folder: bool) -> None:
    """``--working-set "A/ B"`` (a part that does not exist starting or ending with a
    space) is refused, exit 4, nothing written; the paths the message names, given as
    arguments of their own, are the two meant."""
    one, two = "/".join(first) + ("/" if folder else ""), "/".join(second)
    assume(not (two + "/").startswith(one.rstrip("/") + "/") and
           not (one.rstrip("/") + "/").startswith(two + "/"))  # (two areas, neither in the other)
    typed = f"{one} {two}" if folder else f"{one} {project}/{two}"  # (a space before '/')
    board = project / ".ai" / "tasks.org"
    before = board.read_bytes() if board.exists() else None
    refused = _cli(project, "task", "add", "Two paths", f"--working-set={typed}",
                   agent="vm.p.planner.1", check=False)
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert (board.read_bytes() if board.exists() else None) == before
    assert "were two paths given as one?" in refused.stderr, refused.stderr
    advised = refused.stderr.split("inside it: ", 1)[1].split("; for a file", 1)[0]
    pieces = shlex.split(advised)
    assert len(pieces) == 2, (typed, advised)
    args = [f"--working-set={piece}" for piece in pieces]  # ('=': a path may start with '-')
    task = _cli(project, "task", "add", "Two paths", *args, agent="vm.p.planner.1")
    shown = json.loads(_cli(project, "task", "show", task.stdout.strip(), "--json").stdout)
    assert len(shown["working_set"]) == 2, (typed, shown["working_set"])
    assert shown["working_set"][0].rstrip("/") == one.rstrip("/"), shown


def test_a_path_with_such_a_part_that_exists_is_taken(project: Path) -> None:
    """Only a part that does not exist is judged: a folder named with a space first is
    named as it is, in a working set and a lock."""
    (project / " odd").mkdir()
    task = _cli(project, "task", "add", "Odd", "--working-set", "./ odd/x",
                agent="vm.p.planner.1").stdout.strip()
    shown = json.loads(_cli(project, "task", "show", task, "--json").stdout)
    assert shown["working_set"] == [" odd/x"], shown
    _cli(project, "lock", "./ odd/", "--reason", "r", agent="vm.p.claude.1")


# -- 4. the advice to abandon a session, in a linked work tree ---------------------------------

#: A fake Claude Code session (a program named ``claude``): its SessionStart hook, a claim
#: of the task and a lock of ``src/api/`` through its shell, its SessionEnd hook, its end.
_CLAUDE = """#!{python}
import json, os, subprocess, sys
payload = {{"session_id": "5e55a3b0-0000-4000-8000-000000000001", "cwd": os.getcwd(),
            "transcript_path": "/dev/null"}}
def hook(event, **more):
    subprocess.run(["sh", "-c", f"ai-protocols hook {{event}} --runtime claude"], check=True,
                   input=json.dumps(dict(payload, hook_event_name=event, **more)), text=True,
                   capture_output=True)
hook("SessionStart", source="startup")
env = dict(os.environ, CLAUDE_CODE_SESSION_ID=payload["session_id"])
subprocess.run(["sh", "-c", "ai-protocols task claim " + sys.argv[1] +
                " && ai-protocols lock src/api/ --reason reshaping"], env=env, check=True)
hook("SessionEnd", reason="other")
"""


def _ended_in_main(tmp_path: Path) -> tuple[Path, Path, str]:
    """A linked work tree beside a main one in which a Claude Code session claimed the
    board's task, locked ``src/api/`` and ended (its SessionEnd hook) within the grace for
    a resume: the main work tree, the linked one, the task's id."""
    _, run_wt, main, tree = linked_copy(tmp_path)
    task = json.loads(run_wt("task", "list", "--json").stdout)[0]["id"]
    claude = tmp_path / "bin" / "claude"
    claude.parent.mkdir()
    claude.write_text(_CLAUDE.format(python=sys.executable))
    claude.chmod(0o755)
    env = clean_env()
    env["PATH"] = f"{BIN}:{env['PATH']}"
    subprocess.run([str(claude), task], cwd=main, env=env, check=True, capture_output=True)
    return main, tree, task


def test_the_abandon_advice_works_where_it_is_printed(tmp_path: Path) -> None:
    """``locks`` and the ``task claim`` refusal in the linked work tree advise a command
    that, pasted there, abandons the session (which lives in the main work tree), and the
    claim is then taken without --force."""
    main, tree, task = _ended_in_main(tmp_path)
    locks = _cli(tree, "locks").stdout
    refused = _cli(tree, "task", "claim", task, agent="vm.wt.codex.9", check=False)
    assert refused.returncode == 21, refused.stderr
    for said in (locks, refused.stderr):
        assert "ended" in said, said
        advice = said.split("or now if it will not resume: ", 1)[1].split(" --reason TEXT")[0]
        assert advice.startswith(f"cd {shlex.quote(str(main))} && AI_AGENT_ID="), advice
    done = pasted(tree, f"{advice} --reason 'will not resume'")
    assert done.returncode == 0, done.stderr
    assert not list((main / ".ai" / "session-context.d").glob("*5e55a3b0*")), done.stderr
    taken = _cli(tree, "task", "claim", task, agent="vm.wt.codex.9")
    assert "taken over" in taken.stdout, taken.stdout


def test_the_hook_tells_a_model_to_ask_not_to_abandon(tmp_path: Path) -> None:
    """The PreToolUse hook's refusal of an edit into the ended agent's lock names the
    holder and says to ask a person or wait; it advises no ``abandon`` of that session."""
    _, tree, _ = _ended_in_main(tmp_path)
    refused = write_hook(tree, tree / "src" / "api" / "v1.py", "vm.wt.claude.2")
    assert refused.returncode == 2, refused.stderr
    assert "vm.main.claude.5e55a3b0" in refused.stderr, refused.stderr
    assert "abandon" not in refused.stderr and "ask a person" in refused.stderr, \
        refused.stderr


# -- 1. agents in linked work trees run no hooks ------------------------------------------------


def _hooked_main_and_tree(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A repository whose main work tree had ``init`` and ``hooks install claude`` (project
    scope, not committed) and a linked work tree added after, as docs/tasks.md "Work
    trees" suggests: the two folders and the environment (a private HOME, so that no
    user-scope hooks of the machine's count)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    main = tmp_path / "main"
    (main / "src" / "api").mkdir(parents=True)
    (main / "src" / "api" / "v1.py").write_text("old\n")
    git(main.parent, "init", "-q", "-b", "main", str(main))
    commit_all(main, "i")
    _cli(main, "init", **env)
    installed = _cli(main, "hooks", "install", "claude", **env)
    assert "git add .claude/settings.json && git commit" in installed.stderr, installed.stderr
    tree = tmp_path / "wt"
    git(main, "worktree", "add", "-q", "-b", "feat", str(tree))
    _cli(main, "lock", "src/api/", "--reason", "main agent 4711", agent="vm.main.claude.1",
         **env)
    return main, tree, env


_FIX = "commit .claude/settings.json in the main work tree and bring that commit"


def test_commands_in_a_linked_work_tree_without_the_hooks_say_so(tmp_path: Path) -> None:
    """``lock``, ``task claim`` and ``start`` in a linked work tree that lacks the main work
    tree's (uncommitted) Claude Code settings warn, naming the fix; once it is followed
    (committed, merged into the work tree's branch) they say nothing of it."""
    main, tree, env = _hooked_main_and_tree(tmp_path)
    task = _cli(main, "task", "add", "In the work tree", agent="vm.main.planner.1",
                **env).stdout.strip()
    said = [_cli(tree, *args, agent="vm.wt.claude.2", **env).stderr for args in (
        ("lock", "docs/", "--reason", "wt agent"), ("task", "claim", task),
        ("start", "--title", "In the work tree"))]
    for stderr in said:
        assert "no ai-protocols hooks for Claude Code" in stderr and _FIX in stderr, stderr
        assert "runs no SessionStart and no PreToolUse hook" in stderr, stderr
    git(main, "add", ".claude/settings.json")
    git(main, "commit", "-q", "-m", "hooks")
    git(tree, "merge", "-q", "main")
    again = _cli(tree, "lock", "notes/", "--reason", "wt agent", agent="vm.wt.claude.2", **env)
    assert "hooks" not in again.stderr, again.stderr
    main_said = _cli(main, "lock", "lib/", "--reason", "r", agent="vm.main.claude.1", **env)
    assert "hooks" not in main_said.stderr, main_said.stderr


def test_hooks_install_in_the_local_scope_says_it_reaches_no_other_work_tree(
        tmp_path: Path) -> None:
    """The local scope's file is git-ignored: ``hooks install`` says it stays in this work
    tree, naming the others; ``lock`` in another work tree says how to install there."""
    main, tree, env = _hooked_main_and_tree(tmp_path)
    _cli(main, "hooks", "uninstall", "claude", **env)
    local = _cli(main, "hooks", "install", "claude", "--scope", "local", **env)
    assert "is this work tree's alone" in local.stderr and str(tree) in local.stderr, \
        local.stderr
    locked = _cli(tree, "lock", "docs/", "--reason", "r", agent="vm.wt.claude.2", **env)
    assert "hooks install claude --scope local' here" in locked.stderr, locked.stderr


@pytest.mark.agents
def test_claude_code_in_a_linked_work_tree_is_refused_once_the_fix_is_followed(
        tmp_path: Path, agent_programs: dict[str, Path], fake_api: FakeAPI) -> None:
    """The real Claude Code, started in the linked work tree after the warning's fix (the
    settings committed and merged into the work tree's branch), runs the PreToolUse hook:
    its write into the main agent's lock is refused, the file unchanged."""
    main, tree, _ = _hooked_main_and_tree(tmp_path)
    git(main, "add", ".claude/settings.json")
    git(main, "commit", "-q", "-m", "hooks")
    git(tree, "merge", "-q", "main")
    assert (tree / ".claude" / "settings.json").exists()
    claude = Claude(agent_programs["claude"], tree, tmp_path / "claude-home", fake_api)
    claude.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    target = tree / "src" / "api" / "v1.py"
    fake_api.reply(ToolCall("Write", {"file_path": str(target), "content": "clobbered\n"}),
                   Text("ok"))
    run = claude.run("write", "--allowedTools", "Write").check()
    assert target.read_text() == "old\n", "the write into the lock happened"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("vm.main.claude.1 has locked (main agent 4711)" in r for r in results), results
