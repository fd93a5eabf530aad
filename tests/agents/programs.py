"""Run the real ``claude`` and ``codex`` in a project, offline, against a ``FakeAPI``.

``installed()`` runs ``scripts/install-agents`` (the pinned versions, from a
cache outside the git tree) and returns the two executables; an install that
fails raises ``AssertionError`` with the script's message: a test never skips
for want of an agent.

``Claude`` and ``Codex`` each run their program in one project folder with a
private home under the test's temporary folder: an environment built from
scratch (``PATH``, a private ``HOME``, ``TMPDIR``, fake keys, the fake API's
address), nothing read from the developer's own home. Each ``run`` returns a
``Run``: exit code, stdout, stderr, the session id, and the requests the fake
API received during that run.

    claude = Claude(programs["claude"], project, tmp_path / "claude-home", api)
    first = claude.run("do it", *ALLOW_BASH)
    again = claude.run("go on", *ALLOW_BASH, resume=first.session_id)

docs/agents-testing.md has what was observed about both programs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agents.fake_api import FakeAPI, Request

TESTS = Path(__file__).resolve().parent.parent
REPO_ROOT = TESTS.parent
INSTALL = REPO_ROOT / "scripts" / "install-agents"
PINS: dict[str, dict[str, str]] = json.loads((Path(__file__).parent / "pins.json").read_text())

#: Read once, at import: the tests' autouse fixture removes every AI_* variable
#: from the environment before each test.
_CACHE = os.environ.get("AI_PROTOCOLS_AGENTS_CACHE")

#: Claude Code under -p denies a tool it would ask about; this lets Bash run.
ALLOW_BASH = ("--allowedTools", "Bash")
#: What ``codex exec`` needs to run commands and the project's hooks unattended.
CODEX_BYPASS = ("--dangerously-bypass-approvals-and-sandbox", "--dangerously-bypass-hook-trust")
#: The variable Codex reads the fake key from (``env_key`` in config.toml).
CODEX_KEY_VARIABLE = "FAKE_PROVIDER_API_KEY"

DEFAULT_TIMEOUT = 60.0


def install_environment() -> dict[str, str]:
    """The environment to run ``scripts/install-agents`` in: the caller's, with the
    ``AI_PROTOCOLS_AGENTS_CACHE`` it had when the tests started."""
    env = dict(os.environ)
    if _CACHE:
        env["AI_PROTOCOLS_AGENTS_CACHE"] = _CACHE
    return env


def installed() -> dict[str, Path]:
    """The executables of the pinned programs (``{"claude": ..., "codex": ...}``),
    installed through ``scripts/install-agents`` when they are not in the cache."""
    env = install_environment()
    try:
        done = subprocess.run([sys.executable, str(INSTALL), "--json"], capture_output=True,
                              text=True, env=env, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AssertionError(f"scripts/install-agents could not run: {error}") from error
    if done.returncode != 0:
        raise AssertionError(
            f"scripts/install-agents failed (exit {done.returncode}): the agent tests need "
            f"the real Claude Code and Codex from the npm registry.\n{done.stderr}")
    paths = {name: Path(path) for name, path in json.loads(done.stdout).items()}
    for name in PINS:
        assert name in paths and os.access(paths[name], os.X_OK), (
            f"scripts/install-agents named no runnable {name}: {done.stdout}")
    return paths


#: Appends one JSON line per call to the file named by argv[1]: the hook's
#: payload (stdin) and the variables named by the rest of argv.
_RECORDER = (
    "import json, os, sys\n"
    "payload = json.load(sys.stdin)\n"
    "env = {name: os.environ.get(name) for name in sys.argv[2:]}\n"
    "with open(sys.argv[1], 'a') as out:\n"
    "    out.write(json.dumps({'payload': payload, 'env': env}) + '\\n')\n"
)


def record_hook(path: Path, *variables: str) -> str:
    """A hook command that appends ``{"payload": <stdin JSON>, "env": {NAME:
    value or null}}`` as one line to ``path`` (read it with ``recorded``)."""
    return shlex.join([sys.executable, "-c", _RECORDER, str(path), *variables])


def recorded(path: Path) -> list[dict]:
    """What ``record_hook`` wrote, in order (nothing if the hook never ran)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Run:
    """One run of an agent program."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    session_id: str | None
    #: The requests the fake API received while this run was going.
    requests: list[Request] = field(default_factory=list)

    def check(self) -> Run:
        """This run, if it exited 0; otherwise an AssertionError saying all."""
        if self.returncode != 0:
            raise AssertionError(str(self))
        return self

    def model_requests(self) -> list[Request]:
        return [r for r in self.requests if r.is_model]

    def saw(self, needle: str) -> bool:
        """Whether any model request of this run contains ``needle``."""
        return any(r.contains(needle) for r in self.model_requests())

    def __str__(self) -> str:
        return (f"{' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.1f} s, "
                f"session {self.session_id}\nstdout: {self.stdout[-3000:]}\n"
                f"stderr: {self.stderr[-3000:]}")


class Agent:
    """An agent program in one project with a private home (``home``)."""

    name = ""
    #: Where the project's hooks live, relative to the project.
    hooks_file = ""
    #: Arguments that let the model's shell commands run (see the subclasses).
    allow_shell: tuple[str, ...] = ()
    session_variable = ""

    def __init__(self, program: Path, project: Path, home: Path, api: FakeAPI,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.program = program
        self.project = project
        self.home = home
        self.api = api
        self.timeout = timeout
        self.tmp = home / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        #: Extra variables for every run (a run's own ``env`` adds to them).
        self.env: dict[str, str] = {}

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a run: of the caller's, only ``PATH`` and ``USER``."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "USER": os.environ.get("USER", "tester"),
        }
        env.update(self._own_environment())
        env.update(self.env)
        env.update(extra or {})
        return env

    def _own_environment(self) -> dict[str, str]:
        return {}

    def set_hooks(self, hooks: Mapping[str, Sequence[str]], timeout: int = 30) -> Path:
        """Write the project's hooks file: each event runs its commands (both
        programs start an event's commands together, not one after another), for
        every matcher. Returns the file."""
        path = self.project / self.hooks_file
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {event: [{"hooks": [{"type": "command", "command": command, "timeout": timeout}
                                     for command in commands]}]
                  for event, commands in hooks.items()}
        path.write_text(json.dumps({"hooks": config}, indent=2) + "\n")
        return path

    def _command(self, prompt: str, args: Sequence[str], resume: str | None) -> list[str]:
        raise NotImplementedError

    def _session_id(self, stdout: str, stderr: str) -> str | None:
        raise NotImplementedError

    def run(self, prompt: str, *args: str, resume: str | None = None,
            env: Mapping[str, str] | None = None, timeout: float | None = None,
            cwd: Path | None = None) -> Run:
        """Run one non-interactive turn with ``prompt`` (extra program arguments
        ``args``), continuing session ``resume`` if given. Stdin is empty. A
        timeout kills the program and raises AssertionError."""
        command = self._command(prompt, args, resume)
        seen = len(self.api.requests)
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=cwd or self.project, env=self.environment(env),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(
                f"{self.name} did not finish within {error.timeout} s: {' '.join(command)}\n"
                f"stdout: {error.stdout!r}\nstderr: {error.stderr!r}\n"
                f"requests:\n{self.api.describe()}") from error
        return Run(args=command, returncode=done.returncode, stdout=done.stdout,
                   stderr=done.stderr, seconds=time.monotonic() - started,
                   session_id=self._session_id(done.stdout, done.stderr),
                   requests=self.api.requests[seen:])


class Claude(Agent):
    """``claude -p PROMPT --output-format json`` (``--resume ID`` to continue).

    Its project hooks live in ``<project>/.claude/settings.json``; ``--plugin-dir``
    and ``--allowedTools`` go in ``args``."""

    name = "claude"
    hooks_file = ".claude/settings.json"
    #: Arguments that let the model's shell commands run under -p.
    allow_shell = ALLOW_BASH
    #: The variable holding the session id in the shell tool's environment (and hooks').
    session_variable = "CLAUDE_CODE_SESSION_ID"

    def _own_environment(self) -> dict[str, str]:
        return {
            "ANTHROPIC_BASE_URL": self.api.url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-key-for-tests",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }

    def _command(self, prompt: str, args: Sequence[str], resume: str | None) -> list[str]:
        command = [str(self.program), "-p", prompt, "--output-format", "json"]
        if resume:
            command += ["--resume", resume]
        return [*command, *args]

    def _session_id(self, stdout: str, stderr: str) -> str | None:
        try:
            return json.loads(stdout)["session_id"]
        except (ValueError, KeyError, TypeError):
            return None


class Codex(Agent):
    """``codex exec [BYPASS] PROMPT`` (``codex exec resume [BYPASS] ID PROMPT`` to
    continue), with ``CODEX_HOME=<home>/.codex`` holding a ``config.toml`` that
    names the fake API as the provider and trusts the project.

    Its project hooks live in ``<project>/.codex/hooks.json``; the flags in
    ``CODEX_BYPASS`` are always passed (no approvals, no sandbox, hooks run
    without the trust review)."""

    name = "codex"
    hooks_file = ".codex/hooks.json"
    allow_shell = ()  # CODEX_BYPASS, always passed, is enough
    #: The variable holding the session (thread) id in the shell tool's environment
    #: (hooks see none: only the payload's ``session_id``).
    session_variable = "CODEX_THREAD_ID"

    def __init__(self, program: Path, project: Path, home: Path, api: FakeAPI,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(program, project, home, api, timeout)
        self.codex_home = home / ".codex"
        self.codex_home.mkdir(parents=True, exist_ok=True)
        #: Lines appended to config.toml (top-level keys must come before tables:
        #: pass those with ``-c key=value`` in ``args`` instead).
        self.config_extra = ""

    def config(self) -> str:
        """The config.toml written before each run."""
        return (
            'model_provider = "fake"\n'
            "\n"
            "[model_providers.fake]\n"
            'name = "fake"\n'
            f'base_url = "{self.api.url}/v1"\n'
            f'env_key = "{CODEX_KEY_VARIABLE}"\n'
            'wire_api = "responses"\n'
            "\n"
            f"[projects.{json.dumps(str(self.project))}]\n"
            'trust_level = "trusted"\n'
            f"{self.config_extra}"
        )

    def _own_environment(self) -> dict[str, str]:
        return {"CODEX_HOME": str(self.codex_home), CODEX_KEY_VARIABLE: "sk-fake-key-for-tests"}

    def _command(self, prompt: str, args: Sequence[str], resume: str | None) -> list[str]:
        (self.codex_home / "config.toml").write_text(self.config())
        if resume:
            return [str(self.program), "exec", "resume", *CODEX_BYPASS, *args, resume, prompt]
        return [str(self.program), "exec", *CODEX_BYPASS, *args, prompt]

    def _session_id(self, stdout: str, stderr: str) -> str | None:
        match = re.search(r"^session id: (\S+)$", stderr, re.MULTILINE)
        return match.group(1) if match else None
