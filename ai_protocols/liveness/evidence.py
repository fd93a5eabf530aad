"""Who is alive: leases, owning processes and ages, with the evidence that decided.

A session-context file may belong to an agent working right now, to one that
crashed, to one long gone, or to one on another machine. The state is decided
by the strongest evidence there is, in this order:

1. **The lease.** ``ai-protocols spawn`` holds an operating-system lock,
   ``.ai/.locks/leases/<safe-id>.lease``, for exactly as long as its child
   lives; the kernel drops it when the spawner dies. Held: live. Free after
   the spawner recorded the child's exit: ended (exit status 0, or the
   agent's own SessionEnd hook; abandoned once stale) or crashed (any other
   status, a signal). Writes after that record outrank it: someone is still at
   work on the file, so it is live (abandoned once stale).
2. **The owner** recorded at start (``OWNER``: host, process id, process
   start time, and the boot and clock ticks since it that identify the
   process whatever the wall clock did). On this host: the process is there
   with the same start: live; gone, or its id now belongs to another process:
   crashed.
3. **The last update.** Older than the stale threshold: abandoned.
   Otherwise, on another host: unknown (nothing here can see that machine).
   How old is measured so that no time zone, daylight-saving change or clock
   step can make it look older (:mod:`ai_protocols.liveness.clock`).
"""

from __future__ import annotations

import os

from ai_protocols.errors import StorageError
from ai_protocols.lean import datetime, digits, record, remembered, timedelta
from ai_protocols.liveness.clock import Moment, age_since, boot_id, is_boot_id, is_word
from ai_protocols.liveness.host import (
    boot_time,
    hostname,
    pid_namespace,
    pid_running,
    process_start,
    process_stat,
)
from ai_protocols.paths import present, safe_id
from ai_protocols.storage.files import LOCK_DIR, OsLock

__all__ = [
    "DEFAULT_STALE_HOURS",
    "GONE",
    "NAMED_TO_OTHERS",
    "RECOVERABLE",
    "STATES",
    "Liveness",
    "Owner",
    "assess",
    "current_owner",
    "exit_record_path",
    "is_go_between",
    "lease_held",
    "lease_path",
    "owner_property",
    "stale_after",
]

#: Hours without an update after which a session is abandoned (AI_PROTOCOLS_STALE_HOURS).
DEFAULT_STALE_HOURS = 12.0
#: The most AI_PROTOCOLS_STALE_HOURS may say (about a million years): more is unusable.
MAX_STALE_HOURS = 1e10
#: Every state a session-context file can be in, the one vocabulary of ``status``,
#: ``list``, ``start``, ``resume`` and their JSON (``mine`` is ``live`` to its owner).
STATES = ("live", "ended", "crashed", "abandoned", "unknown", "wrapped-up", "paused")
#: The states in which a session's agent is gone: it ended without a wrap-up (exit
#: status 0, or its own SessionEnd), crashed (another exit status, a signal, or its
#: owner process gone without a record), or nobody wrote to it for long.
GONE = ("ended", "crashed", "abandoned")
#: The states of another agent's session that ``start`` and ``resume`` offer to
#: ``recover``: its agent crashed or is long gone, or its wrap-up closed it but never
#: moved it. Not ``ended``: an agent that ended as agents end may resume its session
#: (``recover`` still takes it without ``--force``); once stale it is abandoned.
RECOVERABLE = ("crashed", "abandoned", "wrapped-up")
#: The states of another agent's session that ``start``, ``resume`` and the
#: SessionStart context name: the :data:`RECOVERABLE` ones, and ``paused``, which
#: waits for its agent (the same id: ``start``; an agent of Claude Code or Codex, its
#: conversation resumed) and which another agent takes over only on purpose
#: (``recover ID --adopt --force``): a new conversation has a new id, and would
#: otherwise never hear of it.
NAMED_TO_OTHERS = (*RECOVERABLE, "paused")

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    State = Literal["live", "ended", "crashed", "abandoned", "unknown", "wrapped-up", "paused",
                    "removed", "mine"]

# Programs that stand between an agent and the shell commands it runs: the
# owner is the first ancestor that is none of these (:func:`is_go_between`). Shells; pure
# wrappers, which run a command and end with it (env, timeout, nice, script -c, flock...);
# and build tools that run their recipes through a shell (make, just), which an agent runs
# for a moment: a claim made through one must not be judged crashed once it ends.
#: The shells: go-betweens, and what tells a command (``sh -c CMD``, a script) from a
#: person's terminal (:func:`_run_by_command_shell`).
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "yash", "busybox"})
_GO_BETWEENS = _SHELLS | frozenset({
    "env", "timeout",
    "nice", "nohup", "setsid", "stdbuf", "xargs", "sudo", "su", "doas", "time", "strace",
    "ai-protocols", "make", "gmake", "bmake", "just", "script", "flock", "ionice", "chrt",
    "taskset", "runuser", "chronic", "caffeinate",
    # Package runners: each runs a command, or a script of the project's package.json or
    # pyproject.toml, in a child process and ends with it (npm run, npx, pnpm, yarn, uv run,
    # uvx, poetry run, pipx run, hatch run, pdm run...).
    "npm", "npx", "pnpm", "pnpx", "yarn", "yarnpkg", "bunx", "corepack", "uv", "uvx",
    "poetry", "pipx", "pipenv", "hatch", "pdm", "rye", "tox", "nox", "pixi", "conda",
    "mamba", "micromamba", "mise", "rtx", "asdf", "direnv", "bundle", "rake", "dotenv",
    "cross-env", "npm-run-all", "run-p", "run-s", "turbo", "nx", "lerna",
})
#: The agent programs whose hooks we install, by their process names: never between
#: (so SessionStart's and SessionEnd's owner costs no read of a command line).
_AGENT_PROGRAMS = frozenset({"claude", "codex"})
#: Runtimes that are a package runner only with some words (``bun x``, ``bun run SCRIPT``,
#: ``deno task``), and run a program of their own otherwise (``bun agent.ts``).
_RUNTIME_RUNNERS = frozenset({"bun", "deno"})
#: Interpreters whose process is named by the script it runs (``node .../npm-cli.js``:
#: ``npm``; ``python3 .../bin/poetry``: ``poetry``; ``python3 -m pipx``: ``pipx``).
_INTERPRETERS = frozenset({"node", "nodejs", "ruby", "perl"})
#: Options of an interpreter that take the next argument as their value.
_VALUED_OPTIONS = frozenset({"-W", "-X", "-r", "--require", "--import", "--loader",
                             "--experimental-loader", "--env-file",
                             "--check-hash-based-pycs"})
#: This tool's program: an ancestor whose command line runs it is a wrapper of this
#: command, whatever its name.
_PROGRAM = "ai-protocols"


def _is_interpreter(name: str) -> bool:
    """Whether ``name`` is an interpreter that runs a script (node, python3.11, pypy3...)."""
    for stem in ("python", "pypy"):
        if name.startswith(stem):
            rest = name[len(stem):]
            return all(char in "0123456789." for char in rest)
    return name in _INTERPRETERS


def _script(argv: list[str]) -> str | None:
    """The program an interpreter's command line runs: its script's name without folder
    and extension (``npm-cli.js``: ``npm``), or the module of ``-m``; ``None`` for code
    given on the command line (``-c``, ``-e``) or none."""
    at = 1
    while at < len(argv):
        word = argv[at]
        if word in ("-m",) and at + 1 < len(argv):
            return argv[at + 1].partition(".")[0]
        if word.startswith("-m") and len(word) > 2 and not word.startswith("--"):
            return word[2:].partition(".")[0]
        if word in ("-c", "-e", "-p", "--eval", "--print", "-"):
            return None
        if word == "--":
            at += 1
            break
        if not word.startswith("-"):
            break
        at += 2 if word in _VALUED_OPTIONS else 1
    if at >= len(argv):
        return None
    name = os.path.basename(argv[at])
    for extension in (".js", ".cjs", ".mjs", ".py", ".rb", ".pl"):
        if name.endswith(extension):
            name = name[:-len(extension)]
            break
    return name[:-4] if name.endswith("-cli") else name


def _command_line(pid: int) -> list[str]:
    """Process ``pid``'s arguments (``/proc/PID/cmdline``); empty when unreadable."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [word.decode("utf-8", "replace") for word in raw.split(b"\0")[:-1]] \
        if raw.endswith(b"\0") else raw.decode("utf-8", "replace").split(" ")


def _runs_this_tool(argv: list[str], *, more: bool = False) -> bool:
    """Whether a command line runs this very command: the tool (an argument
    ``ai-protocols``, a path to a program of that name, or ``-m ai_protocols``)
    followed by exactly this process's arguments; with ``more``, followed by them and
    maybe more words (``find . -exec ai-protocols ARGS ';'``, ``find . -exec python3 -m
    ai_protocols ARGS ';'``). A program given the tool's path for arguments of its own
    (an agent harness: ``agent.py /usr/bin/ai-protocols ROOT``), or a folder of that
    name (``claude --plugin-dir ~/plugins/ai-protocols``), runs no command of it. The
    one rule of both questions that ask it (:func:`is_go_between`, :func:`_for_a_moment`)."""
    import sys

    mine = sys.argv[1:]
    for at, word in enumerate(argv[1:], 1):
        if word == "-m" and argv[at + 1:at + 2] == ["ai_protocols"]:
            after = at + 2
        elif os.path.basename(word) == _PROGRAM and \
                ("/" not in word or (os.path.isfile(word) and os.access(word, os.X_OK))):
            after = at + 1
        else:
            continue
        if (argv[after:after + len(mine)] if more else argv[after:]) == mine:
            return True
    return False


def is_go_between(name: str, argv: Callable[[], list[str]]) -> bool:
    """Whether an ancestor process named ``name`` (its ``/proc/PID/stat`` name: a
    process title such as npm's ``npm run claim`` by its first word), whose arguments
    ``argv()`` gives when asked, stands between the agent and this command: it runs
    the command and ends with it, so it is not the agent. One of:

    - a shell, a pure wrapper, a build tool or a package runner of :data:`_GO_BETWEENS`,
      by name or by its program (the first word of its command line: a script started
      by its shebang, ``#!/bin/bash``, is named after the script, and run by
      ``/bin/bash``), or, for an interpreter (``node``, ``python3``...), by the script or
      module it runs (``node .../npm-cli.js``: ``npm``; ``python3 .../bin/hatch``);
    - ``bun`` or ``deno`` running a package's script or command (``bun x``, ``bun run
      NAME`` of no file, ``deno task``);
    - whatever its name, one whose command line runs this very command: the tool
      followed by exactly this process's arguments (``npx ai-protocols ARGS``, ``uv run
      ai-protocols ARGS``, ``my-wrapper ai-protocols ARGS``, ``... -m ai_protocols
      ARGS``).

    A program that runs the tool from code of its own (a helper script in Python or
    Node) is none of these: it is the agent, or stands for it (docs/user-guide.md); git,
    or code given on an interpreter's command line, run by a command shell, stands for no
    one (:func:`_run_by_command_shell`)."""
    name = name.split(" ", 1)[0]
    if name in _GO_BETWEENS:
        return True
    if name in _AGENT_PROGRAMS:  # (the hooks' callers: no command line to read)
        return False
    words = argv()
    program = os.path.basename(words[0]) if words else ""
    if program in _GO_BETWEENS:  # a script started by its shebang (``#!/bin/bash``,
        return True  # ``#!/usr/bin/env bash``, ``#!/bin/sh -e``) is named after the script
    if _is_interpreter(name) or _is_interpreter(program):
        script = _script(words)
        if script in _GO_BETWEENS:
            return True
    elif name in _RUNTIME_RUNNERS and len(words) > 1:
        verb = next((word for word in words[1:] if not word.startswith("-")), "")
        if verb in ("x", "exec", "task"):
            return True
        if verb == "run":
            after = words[words.index("run") + 1:]
            target = next((word for word in after if not word.startswith("-")), "")
            if target and "/" not in target and "." not in target:
                return True
    return _runs_this_tool(words)


def _read_owner(value: str) -> tuple[int, str, str | None, str | None, str | None] | None:
    """The ``OWNER`` property as written now: ``pid 4370 on vm, started 2026-11-30 10:02
    (1795999077.91)``; the time in words is for people, the exact start in parentheses
    is what is compared. Without a start: ``pid 4370 on vm``. Its pid, host, start,
    boot and ticks, and PID namespace: ``pid (\\d+) on (\\S+?)(?:, started [^()]*``
    ``\\((\\S+?)(?: boot ([0-9a-f]{8}:[0-9]+))?(?: pidns ([0-9]+))?\\))?``, whole;
    ``None`` for anything else."""
    number, on, rest = value.partition(" on ")
    if not on or not number.startswith("pid ") or not digits(number[4:]):
        return None
    space = _first_space(rest)
    if space == -1:
        return (int(number[4:]), rest, None, None, None) if rest else None
    if space < 2 or not rest.startswith(", started ", space - 1) or not rest.endswith(")"):
        return None
    host, tail = rest[:space - 1], rest[space + 9:]
    opened = tail.find("(")  # (the first parenthesis: an opening one)
    if opened == -1 or ")" in tail[:opened]:
        return None
    started, *more = tail[opened + 1:-1].split(" ")
    if not all(map(is_word, (started, *more))):  # (an empty word leaves ``more`` unread)
        return None
    since = pidns = None
    if more[:1] == ["boot"] and len(more) >= 2 and _is_since_boot(more[1]):
        since, more = more[1], more[2:]
    if more[:1] == ["pidns"] and len(more) == 2 and digits(more[1]):
        pidns, more = more[1], []
    return None if more else (int(number[4:]), host, started, since, pidns)


def _first_space(text: str) -> int:
    """Where the first white space character of ``text`` is; -1 when it has none."""
    if text[:1].isspace():
        return 0
    words = text.split(None, 1)
    return len(words[0]) if len(words) > 1 else -1


def _is_since_boot(text: str) -> bool:
    """Whether ``text`` is a boot and clock ticks since it: ``[0-9a-f]{8}:[0-9]+``."""
    boot, colon, ticks = text.partition(":")
    return bool(colon) and is_boot_id(boot) and digits(ticks)


@record(frozen=True)
class Owner:
    """The process that owns a session: host, process id, its start time (seconds
    since the epoch, from ``/proc``; ``None`` where the system does not say), and
    ``since_boot``, ``BOOT:TICKS``: the boot it started in (the first 8 hex digits of
    its boot id) and when, in clock ticks since that boot (``/proc/PID/stat``).

    The start time in seconds is the boot time plus the ticks, and the kernel moves
    its boot time when the wall clock is stepped; so a step would make a running
    owner look like another process. ``since_boot`` is what a step cannot move, and
    decides when it was recorded; the seconds are for people, and for files written
    before it was recorded."""

    host: str
    pid: int
    started: str | None = None
    since_boot: str | None = None
    #: The PID namespace its id belongs to, when not the initial one (a sandbox such as
    #: bubblewrap's ``--unshare-pid``): :func:`ai_protocols.liveness.host.pid_namespace`.
    pidns: str | None = None

    def to_property(self) -> str:
        """The ``OWNER`` property: ``pid 4370 on vm, started 2026-11-30 10:02
        (1795999077.91 boot 1a2b3c4d:12345)``: the start in local time to the minute
        for people; in parentheses, exactly as compared: the start in seconds and,
        when known, the boot and clock ticks (:attr:`since_boot`). ``pid 4370 on vm``
        without a start."""
        text = f"pid {self.pid} on {self.host}"
        if self.started is None:
            return text
        try:
            when = datetime.fromtimestamp(float(self.started)).strftime("%Y-%m-%d %H:%M")
        except (ValueError, OverflowError, OSError):
            when = "?"
        exact = f"{self.started} boot {self.since_boot}" if self.since_boot else self.started
        if self.pidns:
            exact += f" pidns {self.pidns}"
        return f"{text}, started {when} ({exact})"

    @classmethod
    def parse(cls, value: str) -> Owner | None:
        """The owner an ``OWNER`` property names, in the form :meth:`to_property` writes
        or the older ``HOST PID START`` (``START`` ``-`` when unknown); ``None`` for
        anything else, and for process 0 or 1, which stands for no agent (an init, always
        alive: what a version before the one owner rule, :func:`current_owner`, recorded
        for a backgrounded ``start``), so that such a value is judged as no owner recorded
        (:func:`~ai_protocols.lean.remembered`: ``status`` asks twice for each session
        file)."""
        return _owner_of(value)

    @classmethod
    def _parse(cls, value: str) -> Owner | None:
        found = _read_owner(value.strip())
        if found:
            return cls(found[1], found[0], found[2], found[3], found[4]) \
                if found[0] > 1 else None
        parts = value.split()
        if len(parts) not in (3, 4) or not digits(parts[1]) or int(parts[1]) <= 1:
            return None
        since = parts[3] if len(parts) == 4 else None
        if since is not None and not _is_since_boot(since):
            return None
        return cls(parts[0], int(parts[1]), None if parts[2] == "-" else parts[2], since)

    def same_process(self, other: Owner) -> bool:
        """Whether ``other`` is this very process: host and id, then the boot and ticks
        when both have them (a clock step between the two readings changes nothing),
        else the start times."""
        if (self.host, self.pid, self.pidns) != (other.host, other.pid, other.pidns):
            return False
        if self.since_boot and other.since_boot:
            return self.since_boot == other.since_boot
        return self.started == other.started

    def alive(self) -> bool | None:
        """Whether the owner still runs; ``None`` when it is on another host, or its
        process id belongs to another PID namespace than this process's (a sandbox:
        the id names another process here, or none)."""
        if self.host != hostname() or not self.visible():
            return None
        if self.since_boot is not None and boot_id() is not None:
            return process_since_boot(self.pid) == self.since_boot  # another boot: gone
        if self.started is not None and boot_time() is not None:
            return process_start(self.pid) == self.started  # a reused id starts later
        return pid_running(self.pid)


    def visible(self) -> bool:
        """Whether its process id means the same process here: it was recorded in this
        process's PID namespace (both the initial one, or the same sandbox's)."""
        return self.pidns == pid_namespace()


_owner_of = remembered(Owner._parse)


def process_since_boot(pid: int) -> str | None:
    """``BOOT:TICKS`` of process ``pid`` (see :class:`Owner`); ``None`` when it does not
    exist or the system does not say."""
    stat = process_stat(pid)
    boot = boot_id()
    return None if stat is None or boot is None else f"{boot}:{stat[2]}"


@record(frozen=True)
class Liveness:
    """A session's state (one of :data:`STATES`, or ``mine``) and the evidence that
    decided it, in words; ``age``, how long ago it was last written to, when known
    (:func:`ai_protocols.liveness.clock.age_since`: never negative)."""

    state: State
    evidence: str
    age: timedelta | None = None


def current_owner(environ: dict[str, str] | None = None) -> Owner | None:
    """The agent process behind this command: the one rule of the owner a session's
    ``OWNER`` and a claim's or lock's ``OWNER_PROCESS`` record, and of "this very
    process" when one is compared with them.

    Under ``ai-protocols spawn`` (``AI_SPAWNER_PID`` set): the spawner's child.
    Otherwise: the nearest ancestor that is not a shell or a go-between
    (:func:`is_go_between`: a wrapper or package runner, however many stand between),
    which is the agent program that ran the shell command. ``None`` when no ancestor can
    stand for the agent: never process 1 of this PID namespace (an init, or a sandbox's:
    bubblewrap's ``--unshare-pid``, as Codex's sandbox runs commands), nor a process
    that adopted this command or one of its ancestors (a subreaper,
    ``PR_SET_CHILD_SUBREAPER``: ``systemd --user``, ``tini``...; known by the session id,
    setsid(2): a process that leads no session of its own has its parent's, so a parent
    in another session, above a child that leads none, adopted it when its own parent
    ended, as after ``(cmd &)`` in a shell or ``setsid -f cmd``), nor what stands above
    either. Recorded, such a process would stand for the agent long after it is gone
    (process 1 is always alive); without one, a session or claim is judged by the next
    evidence (a lease, the session file, its age: docs/tasks.md). Reads
    ``/proc/PID/stat`` of each ancestor, ``/proc/PID/cmdline`` of those its name does
    not decide, and calls getsid(2) for each; raises nothing."""
    pid = _agent_pid(environ)
    if pid is None:
        return None
    return Owner(hostname(), pid, process_start(pid), process_since_boot(pid), pid_namespace())


def owner_property(owner: Owner | None) -> str | None:
    """The ``OWNER``/``OWNER_PROCESS`` value that records ``owner``
    (:meth:`Owner.to_property`); ``None`` (no property) when there is none
    (:func:`current_owner` found no process to stand for the agent)."""
    return None if owner is None else owner.to_property()


#: Programs that adopt the processes their children leave behind (subreapers:
#: ``PR_SET_CHILD_SUBREAPER``, or a container's or sandbox's first process): never an
#: agent, nor is what stands above them (:func:`current_owner`).
_REAPERS = frozenset(("systemd", "tini", "dumb-init", "catatonit", "docker-init",
                      "s6-svscan", "containerd-shim", "conmon", "bwrap"))


def _sid(pid: int) -> int | None:
    """The session id of process ``pid`` (getsid(2)); ``None`` when it cannot be read."""
    try:
        return os.getsid(pid)
    except OSError:
        return None


def _agent_pid(environ: dict[str, str] | None) -> int | None:
    """The agent's process id (:func:`current_owner`): the spawner's child, else the
    nearest ancestor that is no go-between; ``None`` when there is none. The walk stops,
    before it, at process 1 and at an ancestor that adopted its child."""
    env = os.environ if environ is None else environ
    chain: list[tuple[int, str]] = []
    child = os.getpid()
    child_sid = _sid(child)
    pid = os.getppid()
    while pid > 1 and len(chain) < 64:
        stat = process_stat(pid)
        if stat is None:
            break
        sid = _sid(pid)
        if (child_sid is not None and sid is not None and sid != child_sid and
                child != child_sid) or stat[0] in _REAPERS:
            break  # (it adopted the child: a subreaper, not who ran the command)
        child, child_sid = pid, sid
        chain.append((pid, stat[0]))
        pid = stat[1]
    spawner = env.get("AI_SPAWNER_PID", "")
    pids = [p for p, _ in chain]
    if digits(spawner) and int(spawner) in pids:
        index = pids.index(int(spawner))
        return pids[index - 1] if index > 0 else int(spawner)
    lines: dict[int, list[str]] = {}

    def line_of(pid: int) -> list[str]:  # (each ancestor's read once: both rules ask)
        if pid not in lines:
            lines[pid] = _command_line(pid)
        return lines[pid]

    at = 0
    while at < len(chain):
        pid, name = chain[at]
        if is_go_between(name, lambda p=pid: line_of(p)):
            at += 1
            continue
        above = _run_by_command_shell(chain, at, line_of)
        if above is None:
            return pid
        at = above
    return None


def _run_by_command_shell(chain: list[tuple[int, str]], at: int,
                          line_of: Callable[[int], list[str]] = _command_line) -> int | None:
    """Whether ``chain[at]``, an ancestor that is no go-between, ran only to run this
    command, one of the commands a shell ran for the program above it, not that program
    (docs/user-guide.md, "the owner"): the index of the next ancestor that is no
    go-between when it runs for a moment (:func:`_for_a_moment`: git, code given on an
    interpreter's command line, a command line that runs this command) and a shell running
    a command (``sh -c CMD``, ``bash -lc CMD``, a script), as agents run each of theirs,
    stands between the two, and no interactive shell (a person's terminal: ``bash``,
    ``-zsh``) does; ``None`` otherwise (it is the owner). So ``git claim X`` (an alias
    ``!ai-protocols task claim``), ``find -exec ai-protocols ...``, ``python3 -c ...`` or
    ``perl -e ...`` run in the agent's shell stand for no one. Reads its command line and
    the shells' between, by ``line_of`` (a process id's arguments: :func:`_command_line`,
    or the caller's reads of them kept)."""
    if not _for_a_moment(chain[at][1], line_of(chain[at][0])):
        return None
    command_shell = False
    for index in range(at + 1, len(chain)):
        pid, name = chain[index]
        words: list[str] | None = None
        if name not in _GO_BETWEENS:
            words = line_of(pid)
            if not is_go_between(name, lambda w=words: w):
                return index if command_shell else None
        program = name.split(" ", 1)[0]
        if program not in _SHELLS:
            words = line_of(pid) if words is None else words
            program = os.path.basename(words[0]) if words else ""
            if program not in _SHELLS:
                continue  # (a wrapper: env, timeout, a package runner...)
        words = line_of(pid) if words is None else words
        if not _runs_a_command(words):
            return None  # (a person's terminal started it: it is theirs, the agent)
        command_shell = True
    return None


def _for_a_moment(name: str, argv: list[str]) -> bool:
    """Whether a process (its ``/proc`` name ``name``, its arguments ``argv``) runs for a
    moment, only to run a command, by what it is: git (aliases ``!cmd``, hooks, ``rebase
    --exec``, ``bisect run``); an interpreter given its code on the command line
    (``python3 -c``, ``perl -e``, ``node -e``: no script of its own); or one whose command
    line runs this tool with this command's arguments, more words after them
    (``find . -exec ai-protocols task claim X ';'``, ``find . -exec python3 -m
    ai_protocols task claim X ';'``: :func:`_runs_this_tool`, the one rule). An agent
    program (:data:`_AGENT_PROGRAMS`), a script (a helper, an agent harness) or any other
    program is not: it may be the agent."""
    program = os.path.basename(argv[0]) if argv else ""
    if name in _AGENT_PROGRAMS or program in _AGENT_PROGRAMS:
        return False
    if name == "git" or program == "git":
        return True
    if (_is_interpreter(name) or _is_interpreter(program)) and len(argv) > 1:
        return any(word in ("-c", "-e", "-E", "--eval", "-p", "--print")
                   for word in argv[1:]) and _script(argv) is None
    return _runs_this_tool(argv, more=True)


def _runs_a_command(argv: list[str]) -> bool:
    """Whether a shell's command line runs a command, not a person's terminal: ``-c`` (alone
    or among other letters: ``-lc``) or a script's name; a login shell (``-bash``) or one
    with options only (``bash -l``, ``zsh -i``) is interactive. An unreadable one (another
    user's) counts as interactive."""
    if not argv or argv[0].startswith("-"):
        return False
    at = 1
    while at < len(argv):
        word = argv[at]
        if word == "--":
            return at + 1 < len(argv)
        if word[:1] in ("-", "+") and len(word) > 1:
            if word.startswith("--"):
                at += 1
                continue
            if "c" in word[1:] and word[0] == "-":
                return True
            at += 2 if word[1:] in ("o", "O") else 1
            continue
        return True
    return False


def lease_path(ai_dir: str | os.PathLike[str], agent_id: str) -> str:
    """The lease file of ``agent_id`` (text), held by its spawner."""
    return os.path.join(leases_folder(ai_dir), f"{safe_id(agent_id)}.lease")


def leases_folder(ai_dir: str | os.PathLike[str]) -> str:
    """The folder of the spawners' leases and exit records (:func:`lease_path`,
    :func:`exit_record_path`; text): ``.ai/.locks/leases``, made by the first
    ``ai-protocols spawn``."""
    return os.path.join(ai_dir, LOCK_DIR, "leases")


def exit_record_path(ai_dir: str | os.PathLike[str], agent_id: str) -> str:
    """The file beside ``agent_id``'s lease where its spawner records how it ended when
    it left no session file to record it in (text): ``<safe-id>.exit``."""
    return _exit_beside(lease_path(ai_dir, agent_id))


def _exit_beside(lease: str) -> str:
    """:func:`exit_record_path` of the agent whose lease is ``lease``."""
    return lease[:-len(".lease")] + ".exit"


def _spawn_exit(lease: str | None, now: datetime,
                age: timedelta | None) -> tuple[str, datetime, timedelta] | None:
    """What ``ai-protocols spawn`` recorded in :func:`exit_record_path` for the agent whose
    lease is ``lease`` (``None``: no agent id)
    (:func:`ai_protocols.integrations.spawn.record_spawn_exit`): how it ended, when (the
    writer's local time) and how long ago, when that was after what is judged was taken
    (``age`` ago: a record older than the claim is of an earlier run); else ``None``."""
    if lease is None or not present(_exit_beside(lease), follow=True):
        return None  # (asked first: mostly there is none, and open's error costs more)
    try:
        with open(_exit_beside(lease), encoding="utf-8") as handle:
            how, _, rest = handle.read(4096).partition("\n")
    except (OSError, ValueError):
        return None
    moment = Moment.parse(rest.strip())
    if not how or moment is None:
        return None
    ago = age_since(moment.minute, rest.strip(), now)
    if ago is None or (age is not None and ago > age):
        return None
    return how, moment.minute, ago


def lease_held(ai_dir: str | os.PathLike[str], agent_id: str) -> bool:
    """Whether a spawner holds the lease of ``agent_id`` right now."""
    return _held(lease_path(ai_dir, agent_id))


def _held(path: str) -> bool:
    """:func:`lease_held` of the lease file ``path``."""
    if not present(path, follow=True):
        return False
    lock = OsLock(path)
    try:
        lock.acquire(0)
    except TimeoutError:
        return True
    except StorageError:
        return False
    lock.release()
    return False


#: Minutes after its own end record (a SessionEnd hook's) before a board holder none of
#: whose processes runs leaves its claims and locks to others (``Board.agent_state``).
DEFAULT_ENDED_GRACE_MINUTES = 15.0


def ended_grace() -> timedelta:
    """How long a board holder that ended without a wrap-up, none of whose processes runs
    any more, keeps its claims and locks for a resume (``claude --resume`` keeps its
    session id): ``AI_PROTOCOLS_ENDED_GRACE_MINUTES`` (minutes, a float;
    :data:`DEFAULT_ENDED_GRACE_MINUTES` when unset or empty, and, with a warning on
    stderr, when unusable: as :func:`stale_after`)."""
    from ai_protocols.storage.files import env_number

    return timedelta(minutes=env_number("AI_PROTOCOLS_ENDED_GRACE_MINUTES",
                                        DEFAULT_ENDED_GRACE_MINUTES,
                                        lambda minutes: 0 <= minutes <= MAX_STALE_HOURS * 60,
                                        "minutes, from 0 to 6*10^11"))


def stale_after() -> timedelta:
    """How long without an update makes a session abandoned: ``AI_PROTOCOLS_STALE_HOURS``
    (hours, a float; :data:`DEFAULT_STALE_HOURS` when unset or empty, and, with a
    warning on stderr (:func:`ai_protocols.storage.files.env_number`), when unusable:
    not a number, negative, not finite (``inf``, ``nan``), or above
    :data:`MAX_STALE_HOURS`)."""
    from ai_protocols.storage.files import env_number

    return timedelta(hours=env_number("AI_PROTOCOLS_STALE_HOURS", DEFAULT_STALE_HOURS,
                                      lambda hours: 0 <= hours <= MAX_STALE_HOURS,
                                      "hours, from 0 to 10^10"))


def _ago(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


def normal_end(exit_: str) -> bool:
    """Whether an exit record says the agent ended as agents end: exit status 0, or
    its own SessionEnd (``session end (REASON)``); anything else is a crash."""
    return exit_ == "exit status 0" or exit_.startswith("session end")


def assess(ai_dir: str | os.PathLike[str], *, agent_id: str | None, status: str | None,
           owner: str | None, exit_: str | None, exited: datetime | None, host: str | None,
           updated: datetime | None, now: datetime, stale_after: timedelta,
           exit_by: str | None = None, age: timedelta | None = None,
           paused: datetime | None = None, pause_note: str | None = None,
           leases: bool = True) -> Liveness:
    """Decide a session's state from the strongest evidence there is (see the module).
    ``exit_by`` is who recorded ``exit_`` (default: its spawner). ``age`` is how long
    ago the last write was (:func:`ai_protocols.liveness.clock.age_since`); without it,
    ``now - updated``, never below zero. ``status`` ``active`` beside an exit record
    means the file was written to after the record. ``status`` ``paused`` (``ai-protocols
    pause``, at ``paused``, for ``pause_note``) is ``paused`` whatever else is recorded:
    a paused session waits for its agent, however long, and is never crashed or
    abandoned. ``leases`` ``False``: the caller found no :func:`leases_folder`, so no
    agent has a lease or a spawner's exit record, and neither is asked for (a judge of
    many sessions asks once; issue 16, twenty-fourth round)."""
    if age is None:
        age = age_since(updated, None, now)
    if status == "wrapped-up":
        return Liveness("wrapped-up", "closed by a wrap-up that did not finish moving it", age)
    if status == "paused":
        when = f"{paused:%Y-%m-%d %H:%M}" if paused else "an unrecorded time"
        return Liveness("paused", f"paused at {when}: {pause_note or '(no note)'}", age)
    lease = lease_path(ai_dir, agent_id) if agent_id and leases else None  # (once: two
    # files by it)
    if lease is not None and _held(lease):
        return Liveness("live", "its spawner holds the lease", age)
    if exit_:
        when = f" at {exited:%Y-%m-%d %H:%M}" if exited else ""
        record = f"its {exit_by or 'spawner'} recorded {exit_}{when}"
        if status != "active":
            if not normal_end(exit_):
                return Liveness("crashed", f"{record} without a wrap-up", age)
            # Ended as agents end: it may come back (an agent's resume keeps its session
            # id, so its file), so nobody is offered it until it is stale.
            if age is not None and age > stale_after:
                return Liveness("abandoned", f"last updated {_ago(age)}, after {record} "
                                             "without a wrap-up", age)
            return Liveness("ended", f"{record} without a wrap-up; its agent may resume it",
                            age)
        # Written to after the record: whoever wrote is at work on it (a worker that
        # outlived the process its spawner waited for), until nobody has for long.
        since = f"; last updated {_ago(age)}" if age is not None else ""
        if age is not None and age > stale_after:
            return Liveness("abandoned", f"last updated {_ago(age)}, after {record}", age)
        return Liveness("live", f"written to after {record}{since}", age)
    recorded = Owner.parse(owner) if owner else None
    if recorded is not None:
        alive = recorded.alive()
        if alive:
            return Liveness("live", f"its owner, process {recorded.pid}, is running", age)
        if alive is False:
            ended = _spawn_exit(lease, now, age)
            if ended is not None:  # (its spawner saw how it ended: no session file said)
                how, when, ago = ended
                record = (f"its spawner recorded {how} at {when:%Y-%m-%d %H:%M}, with no "
                          "session file")
                if not normal_end(how):
                    return Liveness("crashed", f"{record}: it did not end as agents end", age)
                grace = ended_grace()
                if ago >= grace:
                    minutes = int(ago.total_seconds() // 60)
                    return Liveness("abandoned", f"{record}: it ended {minutes} min ago (the "
                                                 "grace for a resume: "
                                                 f"{grace.total_seconds() / 60:g} min) and no "
                                                 "process of it runs", age)
                return Liveness("ended", f"{record}: it ended as agents end, without a "
                                         "wrap-up", age)
            return Liveness("crashed",
                            f"its owner, process {recorded.pid} on this host, is gone", age)
    if age is not None and age > stale_after:
        return Liveness("abandoned", f"last updated {_ago(age)}", age)
    where = recorded.host if recorded else host
    if where and where != hostname():
        return Liveness("unknown", f"it runs on another host, {where}", age)
    if recorded is not None and not recorded.visible():
        return Liveness("unknown", f"its owner, process {recorded.pid}, runs in another PID "
                                   "namespace (a sandbox?), which nothing here can see", age)
    return Liveness("unknown", "no lease or owner recorded" +
                    (f"; last updated {_ago(age)}" if age is not None else ""), age)
