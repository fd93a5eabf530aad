"""Issue 15, fifteenth round: liveness through package runners, hooks that find the
tool whatever the agent's ``PATH``, every claim and lock in the resume context, and
the word for an agent that ended cleanly.

Real processes throughout: the installed console script, npm and npx, a Python
agent process standing for the agent's runtime, ``ai-protocols spawn``; the real
Claude Code and Codex for the hooks (``agents`` marker, docs/agents-testing.md).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agents.fake_api import FakeAPI, FreeformCall, Text, ToolCall
from agents.programs import Claude, Codex
from conftest import BIN, CLI, clean_env

#: A long-lived agent: runs each shell command it is given (as agents run theirs:
#: through a shell), says so on stdout, then lives until killed.
AGENT = (
    "import subprocess, sys, time\n"
    "for command in sys.argv[1:]:\n"
    "    done = subprocess.run(command, shell=True, stdout=sys.stderr)\n"
    "    print('ran', done.returncode, flush=True)\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)
#: A package runner this machine lacks, by its name: runs ``run NAME``'s script from
#: ``scripts.json`` through a shell and ends with it, as hatch and pdm run theirs.
RUNNER = (
    "#!{python}\n"
    "import json, subprocess, sys\n"
    "scripts = json.load(open('scripts.json'))\n"
    "import shlex\n"
    "sys.exit(subprocess.call(scripts[sys.argv[2]] + ' ' + shlex.join(sys.argv[3:]),"
    " shell=True))\n"
)


def _git_project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "i"], cwd=project, check=True)
    return project


def _cli(project: Path, *args: str, agent: str | None = None, check: bool = True,
         stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    extra = {"AI_AGENT_ID": agent} if agent else {}
    done = subprocess.run([str(CLI), *args], cwd=project, capture_output=True, text=True,
                          input=stdin, env=clean_env(**extra, **env), timeout=120)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _owner_pid(project: Path, key: str = "OWNER_PROCESS") -> list[int]:
    text = (project / ".ai" / "tasks.org").read_text()
    return [int(pid) for pid in re.findall(rf":{key}: pid (\d+) on ", text)]


def _start_agent(project: Path, agent_id: str, *commands: str) -> subprocess.Popen[str]:
    env = clean_env(AI_AGENT_ID=agent_id)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    agent = subprocess.Popen([sys.executable, "-c", AGENT, *commands], cwd=project, env=env,
                             stdout=subprocess.PIPE, text=True)
    assert agent.stdout is not None
    for _ in commands:
        line = agent.stdout.readline()
        assert line == "ran 0\n", line
    assert agent.stdout.readline() == "ready\n"
    return agent


def _wrappers(tmp_path: Path) -> dict[str, str]:
    """Each way of running ``ai-protocols ARGS`` through wrappers: a command with
    ``{args}`` where the tool's arguments go (a package.json script takes them after
    ``--``)."""
    runner = tmp_path / "bin" / "hatch"
    runner.parent.mkdir(exist_ok=True)
    runner.write_text(RUNNER.format(python=sys.executable))
    runner.chmod(0o755)
    wrap = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
    return {
        "npm run": "npm run -s tool -- {args}",
        "npx": "npx --no-install -c 'ai-protocols {args}'",
        "npm run, npx, env and a shell": "npm run -s nested -- {args}",
        "an unnamed wrapper that runs the tool": (f"{shlex.quote(sys.executable)} -c "
                                                  f"{shlex.quote(wrap)} ai-protocols {{args}}"),
        "a runner by its name (hatch run)": f"{runner} run tool {{args}}",
    }


@pytest.mark.parametrize("way", ["npm run", "npx", "npm run, npx, env and a shell",
                                 "an unnamed wrapper that runs the tool",
                                 "a runner by its name (hatch run)"])
def test_a_claim_and_lock_through_wrappers_belong_to_the_agent(tmp_path: Path,
                                                               way: str) -> None:
    """The owner is the long-lived agent process, whatever wrappers stand between: its
    claim and lock hold while it lives (no takeover without --force, the hook refuses
    another agent's edit into the lock), and are taken over once it is killed."""
    if "np" in way and shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    project = _git_project(tmp_path)
    (project / "package.json").write_text(json.dumps({"name": "p", "version": "1.0.0",
        "scripts": {"tool": "ai-protocols",
                    "nested": "env sh -c 'npx --no-install -c \"ai-protocols $*\"' sh"}}))
    (project / "scripts.json").write_text(json.dumps({"tool": "ai-protocols"}))
    task = _cli(project, "task", "add", "Wrapped").stdout.strip()
    command = _wrappers(tmp_path)[way]
    agent = _start_agent(project, "vm.p.claude.A",
                         command.format(args=f"task claim {task}"),
                         command.format(args="lock shared/ --reason A-works-here"))
    try:
        assert _owner_pid(project) == [agent.pid, agent.pid], \
            (project / ".ai" / "tasks.org").read_text()
        taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B", check=False)
        assert taken.returncode == 21, taken.stdout + taken.stderr
        assert "vm.p.claude.A (live" in taken.stderr, taken.stderr
        payload = json.dumps({"session_id": "b", "cwd": str(project),
                              "hook_event_name": "PreToolUse", "tool_name": "Write",
                              "tool_input": {"file_path": str(project / "shared" / "x")}})
        hook = _cli(project, "hook", "PreToolUse", "--runtime", "claude",
                    agent="vm.p.codex.B", stdin=payload, check=False)
        assert hook.returncode == 2 and "refused" in hook.stderr, hook.stderr
    finally:
        agent.kill()
        agent.wait()
    taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B")
    assert "crashed" in taken.stdout and str(agent.pid) in taken.stdout, taken.stdout


def test_a_helper_program_that_is_not_a_wrapper_is_the_owner(tmp_path: Path) -> None:
    """Wrappers are skipped, nothing more: the Python agent that ran the shell command
    is the owner, not the test runner above it (its claim is taken over once it is
    killed, which an owner judged too far up would never allow)."""
    project = _git_project(tmp_path)
    task = _cli(project, "task", "add", "Direct").stdout.strip()
    agent = _start_agent(project, "vm.p.claude.A", f"ai-protocols task claim {task}")
    try:
        assert _owner_pid(project) == [agent.pid]
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B")
    assert "taken over" in taken.stdout and "crashed" in taken.stdout, taken.stdout


# -- the resume context: every claim and lock the agent holds ---------------------------------


@pytest.mark.parametrize(("tasks", "locks"), [(5, 4), (3, 3), (1, 0), (0, 2)])
def test_resume_names_or_counts_every_claim_and_lock(tmp_path: Path, tasks: int,
                                                     locks: int) -> None:
    project = _git_project(tmp_path)
    me = "vm.p.x.1"
    _cli(project, "start", "--title", "work", agent=me)
    for number in range(tasks):
        made = _cli(project, "task", "add", f"Job {number}", "--working-set",
                    f"d{number}/").stdout.strip()
        _cli(project, "task", "claim", made, agent=me)
    other = _cli(project, "task", "add", "Theirs").stdout.strip()
    _cli(project, "task", "claim", other, agent="vm.p.y.2")
    _cli(project, "lock", "theirs/", "--reason", "not mine", agent="vm.p.y.2")
    for number in range(locks):
        _cli(project, "lock", f"area {number}/", "--reason", "mine", agent=me)
    payload = json.dumps({"session_id": "x", "cwd": str(project),
                          "hook_event_name": "SessionStart", "source": "compact"})
    for text in (_cli(project, "resume", agent=me).stdout,
                 _cli(project, "resume", "--max-bytes", "2560", agent=me).stdout,
                 _cli(project, "hook", "SessionStart", "--runtime", "claude", agent=me,
                      stdin=payload).stdout):
        shown = min(tasks, 3)
        assert len(re.findall(r"DOING \(yours\)", text)) == shown, text
        assert ("Job" in text) == bool(tasks) and "Theirs" not in text
        more = re.search(r"and (\d+) more you hold: ai-protocols task list --mine", text)
        assert (int(more[1]) if more else 0) == tasks - shown, text
        assert len(re.findall(r"^  'area \d/'$", text, re.M)) == min(locks, 3), text
        more = re.search(r"and (\d+) more: ai-protocols locks", text)
        assert (int(more[1]) if more else 0) == max(locks - 3, 0), text
        assert "theirs/" not in text
    assert len(_cli(project, "resume", "--max-bytes", "2560", agent=me).stdout.encode()) \
        <= 2560
    data = json.loads(_cli(project, "resume", "--json", agent=me).stdout)
    assert len(data["tasks"]) == min(tasks, 3)
    assert data.get("tasks_left_out", 0) == max(tasks - 3, 0)
    assert ("tasks_left_out" in data) == (tasks > 3)  # (only when there are more)
    assert data.get("locks", []) == [f"area {n}/" for n in range(min(locks, 3))]
    assert data.get("locks_left_out", 0) == max(locks - 3, 0)
    assert ("locks" in data) == bool(locks)
    small = _cli(project, "resume", "--json", "--max-bytes", "2560", agent=me).stdout
    assert len(small.rstrip("\n").encode()) <= 2560


# -- an agent that ended cleanly without a session file ---------------------------------------


def test_a_spawned_agent_that_exited_0_is_ended_not_crashed(tmp_path: Path) -> None:
    project = _git_project(tmp_path)
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    clean = _cli(project, "task", "add", "clean").stdout.strip()
    failed = _cli(project, "task", "add", "failed").stdout.strip()
    for task, status in ((clean, 0), (failed, 3)):
        done = _cli(project, "spawn", "--runtime", "test", "--", "bash", "-c",
                    f"ai-protocols task claim {task} >/dev/null; exit {status}",
                    check=False, **env)
        assert done.returncode == status, done.stderr
    shown = _cli(project, "task", "show", clean).stdout
    assert "ended" in shown and "exit status 0" in shown and "crashed" not in shown, shown
    refused = _cli(project, "task", "claim", clean, agent="vm.p.x.B", check=False)
    assert refused.returncode == 21 and "ended" in refused.stderr, refused.stderr
    assert "crashed" not in refused.stderr
    taken = _cli(project, "task", "claim", clean, agent="vm.p.x.B",
                 AI_PROTOCOLS_ENDED_GRACE_MINUTES="0")
    assert "exit status 0" in taken.stdout and "crashed" not in taken.stdout, taken.stdout
    shown = _cli(project, "task", "show", failed).stdout
    assert "crashed" in shown and "exit status 3" in shown, shown
    taken = _cli(project, "task", "claim", failed, agent="vm.p.x.B")
    assert "crashed" in taken.stdout and "exit status 3" in taken.stdout, taken.stdout


# -- hooks that find the tool whatever the agent's PATH ---------------------------------------

#: A PATH without the tool (the system's folders only).
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"


def _commands(settings: Path) -> dict[str, str]:
    """Each event's command in a settings file holding only ours."""
    document = json.loads(settings.read_text())
    return {event: groups[0]["hooks"][0]["command"]
            for event, groups in document["hooks"].items()}


def _through_sh(command: str, project: Path, event: str, **env: str
                ) -> subprocess.CompletedProcess[str]:
    """``command`` as the agents run a hook: through ``sh -c``, with the payload."""
    payload = {"session_id": "s", "cwd": str(project), "hook_event_name": event}
    if event == "SessionStart":
        payload["source"] = "startup"
    if event == "PreToolUse":
        payload.update(tool_name="Write", tool_input={"file_path": str(project / "a.py"),
                                                      "content": "x\n"})
    return subprocess.run(["/bin/sh", "-c", command], cwd=project, input=json.dumps(payload),
                          text=True, capture_output=True,
                          env={**clean_env(), "PATH": BARE_PATH, **env})


@pytest.mark.parametrize(("agent", "scope", "where"), [
    ("claude", "local", ".claude/settings.local.json"),
    ("claude", "user", "home/.claude/settings.json"),
    ("codex", "user", "home/.codex/hooks.json")])
def test_install_names_this_machines_program_in_this_machines_files(
        tmp_path: Path, agent: str, scope: str, where: str) -> None:
    assert shutil.which("ai-protocols", path=BARE_PATH) is None
    project = _git_project(tmp_path)
    _cli(project, "hooks", "install", agent, "--scope", scope, HOME=str(tmp_path / "home"),
         PATH=BARE_PATH)
    base = tmp_path if where.startswith("home/") else project
    commands = _commands(base / where)
    assert len(commands) == 6 and all(c.startswith(f"{CLI} hook ") for c in commands.values())
    # each runs with a PATH that lacks the tool
    ran = _through_sh(commands["SessionStart"], project, "SessionStart")
    assert ran.returncode == 0, ran.stderr
    status = _cli(project, "hooks", "status", HOME=str(tmp_path / "home"), PATH=BARE_PATH)
    assert re.search(rf"{agent} +{scope} +installed", status.stdout), status.stdout


@pytest.mark.parametrize(("agent", "where"), [("claude", ".claude/settings.json"),
                                              ("codex", ".codex/hooks.json")])
def test_the_project_scope_names_no_machines_path(tmp_path: Path, agent: str,
                                                  where: str) -> None:
    """The project's settings are shared through git: its hooks find the program on the
    agent's PATH, else in $XDG_BIN_HOME or ~/.local/bin, on each machine; a machine
    with none refuses every edit (exit 2, saying why) rather than letting the lock guard
    go without a word, and the other hooks fail (the shell's 127)."""
    project = _git_project(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    told = _cli(project, "hooks", "install", agent, HOME=str(home), PATH=BARE_PATH)
    advised = f"mkdir -p ~/.local/bin && ln -sf {CLI} ~/.local/bin/ai-protocols"
    assert "in neither" in told.stderr and advised in told.stderr, told.stderr
    committed = (project / where).read_bytes()
    assert str(CLI).encode() not in committed and str(tmp_path).encode() not in committed
    commands = _commands(project / where)
    assert len(commands) == 6 and all(" hook " in c for c in commands.values())
    _cli(project, "lock", "a.py", "--reason", "mine", agent="other.1")

    # nowhere: the guard refuses the edit and says what to do; the others fail loudly
    refused = _through_sh(commands["PreToolUse"], project, "PreToolUse", HOME=str(home))
    assert refused.returncode == 2, refused
    assert "ai-protocols is not installed on this machine" in refused.stderr
    assert "install it" in refused.stderr
    failed = _through_sh(commands["SessionStart"], project, "SessionStart", HOME=str(home))
    assert failed.returncode == 127 and "ai-protocols" in failed.stderr, failed
    assert not list(project.glob(".ai/session-context.d/*.org"))

    # on the PATH, in $XDG_BIN_HOME, in ~/.local/bin: found, and the lock is enforced
    bin_dir = tmp_path / "xdg-bin"
    bin_dir.mkdir()
    (bin_dir / "ai-protocols").symlink_to(CLI)
    for env in ({"HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{BARE_PATH}"},
                {"HOME": str(home), "XDG_BIN_HOME": str(bin_dir)}):
        guarded = _through_sh(commands["PreToolUse"], project, "PreToolUse", **env)
        assert guarded.returncode == 2 and "a.py is locked by other.1 (mine)" in guarded.stderr, \
            (env, guarded)
    local_bin = home / ".local" / "bin"
    local_bin.mkdir(parents=True)
    (local_bin / "ai-protocols").symlink_to(CLI)
    guarded = _through_sh(commands["PreToolUse"], project, "PreToolUse", HOME=str(home))
    assert guarded.returncode == 2 and "a.py is locked by other.1 (mine)" in guarded.stderr, guarded
    guarded = _through_sh(commands["PreToolUse"], project, "PreToolUse", HOME=str(home),
                          XDG_BIN_HOME=str(tmp_path / "elsewhere"))
    assert guarded.returncode == 2 and "a.py is locked by other.1 (mine)" in guarded.stderr, \
        guarded
    started = _through_sh(commands["SessionStart"], project, "SessionStart", HOME=str(home))
    assert started.returncode == 0, started
    assert list(project.glob(".ai/session-context.d/*.org"))
    # found now: no warning, and the file is as it was
    told = _cli(project, "hooks", "install", agent, HOME=str(home), PATH=BARE_PATH)
    assert "in neither" not in told.stderr and (project / where).read_bytes() == committed
    status = _cli(project, "hooks", "status", HOME=str(home), PATH=BARE_PATH)
    assert re.search(rf"{agent} +project +installed", status.stdout), status.stdout


def test_an_older_install_s_absolute_path_in_the_project_is_out_of_date(tmp_path: Path) -> None:
    """A project file written by the last version (this machine's path) is updated, in
    place, to the form that names none."""
    project = _git_project(tmp_path)
    home = str(tmp_path / "home")
    _cli(project, "hooks", "install", "claude", "--scope", "local", HOME=home)
    local = project / ".claude" / "settings.local.json"
    shared = project / ".claude" / "settings.json"
    shared.write_bytes(local.read_bytes())
    local.unlink()
    status = _cli(project, "hooks", "status", HOME=home)
    assert re.search(r"claude +project +out of date", status.stdout), status.stdout
    done = _cli(project, "hooks", "install", "claude", HOME=home)
    assert "updated: SessionStart, PreCompact, UserPromptSubmit, Stop, SessionEnd, " \
        "PreToolUse" in done.stdout, done.stdout
    assert str(CLI) not in shared.read_text()
    _cli(project, "hooks", "uninstall", "claude", HOME=home)
    assert "hooks" not in json.loads(shared.read_text())


def _locked_project(agent: Claude | Codex, *, program_in_home: bool = True) -> None:
    """The hooks of the project scope in ``agent``'s project, whose PATH lacks the tool;
    with ``program_in_home``, the tool linked where scripts/install puts it
    (~/.local/bin of the agent's HOME); and a lock of another agent's on src/api/."""
    done = subprocess.run([str(CLI), "hooks", "install", agent.name], cwd=agent.project,
                          capture_output=True, text=True,
                          env={**clean_env(HOME=str(agent.home)), "PATH": BARE_PATH})
    assert done.returncode == 0, done.stderr
    agent.env["PATH"] = BARE_PATH  # the agent cannot find ai-protocols by its name
    if program_in_home:
        local_bin = agent.home / ".local" / "bin"
        local_bin.mkdir(parents=True, exist_ok=True)
        (local_bin / "ai-protocols").symlink_to(CLI)
    (agent.project / "src" / "api").mkdir(parents=True)
    done = subprocess.run([str(CLI), "lock", "src/api/", "--reason", "reshaping 4711"],
                          cwd=agent.project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="other.1"))
    assert done.returncode == 0, done.stderr


@pytest.mark.agents
def test_claude_code_without_the_tool_on_path_still_refuses_the_locked_edit(
        claude: Claude, fake_api: FakeAPI) -> None:
    _locked_project(claude)
    locked = claude.project / "src" / "api" / "v1.py"
    fake_api.reply(ToolCall("Write", {"file_path": str(locked), "content": "print(1)\n"}),
                   Text("ok"))
    run = claude.run("write the file", "--allowedTools", "Write").check()
    assert not locked.exists(), "the edit into the lock happened"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping 4711)" in r for r in results), results
    assert list((claude.project / ".ai" / "session-context.d").glob("*.org")), \
        "SessionStart did not run"


@pytest.mark.agents
def test_codex_without_the_tool_on_path_still_refuses_the_locked_patch(
        codex: Codex, fake_api: FakeAPI) -> None:
    _locked_project(codex)
    patch = "*** Begin Patch\n*** Add File: src/api/v1.py\n+print(1)\n*** End Patch\n"
    fake_api.reply(FreeformCall("apply_patch", patch), Text("ok"))
    run = codex.run("write the file").check()
    assert not (codex.project / "src" / "api" / "v1.py").exists(), \
        "the edit into the lock happened"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("which other.1 has locked (reshaping 4711)" in r for r in results), results


@pytest.mark.agents
def test_claude_code_without_the_tool_anywhere_refuses_every_edit_saying_why(
        claude: Claude, fake_api: FakeAPI) -> None:
    _locked_project(claude, program_in_home=False)
    free = claude.project / "free.py"
    fake_api.reply(ToolCall("Write", {"file_path": str(free), "content": "print(1)\n"}),
                   Text("ok"))
    run = claude.run("write the file", "--allowedTools", "Write").check()
    assert not free.exists(), "an edit went through with no lock guard"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("ai-protocols is not installed on this machine" in r for r in results), results


@pytest.mark.agents
def test_codex_without_the_tool_anywhere_refuses_every_patch_saying_why(
        codex: Codex, fake_api: FakeAPI) -> None:
    _locked_project(codex, program_in_home=False)
    patch = "*** Begin Patch\n*** Add File: free.py\n+print(1)\n*** End Patch\n"
    fake_api.reply(FreeformCall("apply_patch", patch), Text("ok"))
    run = codex.run("write the file").check()
    assert not (codex.project / "free.py").exists(), "an edit went through with no lock guard"
    results = [r for req in run.model_requests() for r in req.tool_results()]
    assert any("ai-protocols is not installed on this machine" in r for r in results), results
