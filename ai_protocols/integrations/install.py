"""Installing the ai-protocols hooks into Claude Code's and Codex's settings files.

Both programs read hooks of one shape::

    {"hooks": {"EVENT": [{"matcher": "...", "hooks": [
        {"type": "command", "command": "...", "timeout": SECONDS}]}]}}

from a settings file per scope (:func:`settings_path`). :data:`EVENTS` is the
one table of the events we install, each with its timeout and matcher; the
settings files, the Claude Code plugin shipped in ``claude_plugin/`` and the
tests all follow from it.

A hook is *ours* when its command runs ``ai-protocols hook``
(:func:`is_our_command`); everything else in a settings file is kept as it
was, in its order. Installing adds ours, or updates them in place, and writes
nothing when they are already as the table says; uninstalling removes ours
only. A file that is not valid JSON, or whose ``hooks`` is not an object, is
refused (:class:`~ai_protocols.errors.InvalidConfigFile`) and left unchanged.
Writes are atomic and keep the file's permission bits and, as far as
:class:`JsonStyle` can tell, its formatting. Nothing here knows about click:
the ``hooks`` commands of :mod:`ai_protocols.cli.app` print what these return.
"""

from __future__ import annotations

import copy
import json
import os
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ai_protocols.errors import AiProtocolsError, InvalidConfigFile, StorageError
from ai_protocols.integrations.hooks import EVENTS as HOOK_EVENTS
from ai_protocols.integrations.hooks import RUNTIMES
from ai_protocols.lean import factory, record
from ai_protocols.storage import files as storage

__all__ = [
    "AGENTS",
    "EVENTS",
    "SCOPES",
    "EventChange",
    "HookEvent",
    "HooksReport",
    "HooksStatus",
    "JsonStyle",
    "ScopeNotSupported",
    "check_scope",
    "hook_command",
    "hooks_config",
    "install",
    "install_into",
    "installed_program",
    "is_our_command",
    "parse_settings",
    "plugin_dir",
    "plugin_files",
    "reach_note",
    "settings_path",
    "status",
    "uninstall",
    "uninstall_from",
    "unreached",
    "unreached_warning",
]


@record(frozen=True)
class HookEvent:
    """One event we hook: its name in both programs, the seconds the program lets our
    command run, and the matcher of its entry (``None``: no ``matcher`` key, every
    occurrence of the event)."""

    name: str
    timeout: int
    matcher: str | Mapping[str, str] | None = None

    def matcher_for(self, runtime: str) -> str | None:
        """The matcher in ``runtime``'s settings: one for both, or each its own (their
        tools have different names: Claude Code's ``Edit``, Codex's ``apply_patch``)."""
        if isinstance(self.matcher, Mapping):
            return self.matcher[runtime]
        return self.matcher


#: Each event's timeout (seconds) and matcher in what we install. SessionEnd's budget
#: is short in both programs (Claude Code: 1.5 s by default; Codex clamps it to 3 s).
_INSTALLED_AS: dict[str, tuple[int, str | Mapping[str, str] | None]] = {
    "SessionStart": (30, None),
    "PreCompact": (30, None),
    "UserPromptSubmit": (10, None),
    "Stop": (10, None),
    "SessionEnd": (3, None),
    # Before a file edit: refuse one into another agent's lock (docs/tasks.md).
    "PreToolUse": (10, {"claude": "Edit|Write|MultiEdit|NotebookEdit", "codex": "apply_patch"}),
}
#: The events whose hooks we install, in the order they are written: every event
#: the hook command handles (:data:`ai_protocols.integrations.hooks.EVENTS`), each
#: with its timeout and matcher. A new event (say PreToolUse with the matcher
#: "Edit|Write|MultiEdit|NotebookEdit") is a handler there and a row above.
EVENTS: tuple[HookEvent, ...] = tuple(HookEvent(name, *_INSTALLED_AS[name])
                                      for name in HOOK_EVENTS)

#: The agent programs we install hooks for, as ``--runtime`` names them.
AGENTS = RUNTIMES
#: How each is called in what we print.
AGENT_NAMES = {"claude": "Claude Code", "codex": "Codex"}
#: The scopes of each agent: Codex has no local (personal, per-project) scope.
SCOPES: dict[str, tuple[str, ...]] = {
    "claude": ("project", "local", "user"),
    "codex": ("project", "user"),
}
DEFAULT_SCOPE = "project"

#: The program our hook commands run.
PROGRAM = "ai-protocols"

#: The Claude Code plugin shipped in the package (``claude --plugin-dir <it>``).
PLUGIN_DIR = Path(__file__).resolve().parent / "claude_plugin"
PLUGIN_NAME = "ai-protocols"
PLUGIN_DESCRIPTION = ("Keeps the session's state in .ai/ (ai-protocols): runs "
                      "`ai-protocols hook EVENT --runtime claude` at each session event.")


#: How the project scope's hooks find the program. That file is shared through git, so
#: it names no machine's path: the agent's ``PATH``, then the folder ``scripts/install``
#: links the program into (``$XDG_BIN_HOME``, and ``~/.local/bin``). A POSIX sh
#: command list (both agents run a hook's command through ``sh -c``).
FIND_ON_PATH = ("command -v ai-protocols >/dev/null || "
                "PATH=$PATH:${XDG_BIN_HOME:-$HOME/.local/bin}:$HOME/.local/bin; ")

#: What the project scope's lock guard (PreToolUse) does when the program is in neither
#: place (the shell's exit 127, which both agents take for a non-blocking error):
#: refuse the edit (exit 2) and say why, on stderr, which reaches the model. A guard
#: that cannot run must not let every edit through without a word.
GUARD_WITHOUT_PROGRAM = (
    "; s=$?; [ $s != 127 ] || { echo 'ai-protocols is not installed on this machine "
    "(not on the PATH, not in $XDG_BIN_HOME or ~/.local/bin), so this edit cannot be "
    "checked against the "
    "locks of the project: install it (see its README), then try again' >&2; s=2; }; "
    "exit $s")

#: ``program`` of a hook command in the project scope: :data:`FIND_ON_PATH`'s form.
PORTABLE = None


def hook_command(event: str, runtime: str, program: str | None = PROGRAM) -> str:
    """The command line of our hook for ``event``: ``PROGRAM hook EVENT --runtime R``,
    ``program`` being ``ai-protocols`` (the plugin's, found on the agent's ``PATH``) or
    what :func:`installed_program` gives (``hooks install`` in the user and local
    scopes). :data:`PORTABLE` (``None``): the project scope's form, which finds the
    program as :data:`FIND_ON_PATH` says and, for PreToolUse, refuses the edit when it
    finds none (:data:`GUARD_WITHOUT_PROGRAM`)."""
    if program is PORTABLE:
        tail = GUARD_WITHOUT_PROGRAM if event == "PreToolUse" else ""
        return f"{FIND_ON_PATH}{PROGRAM} hook {event} --runtime {runtime}{tail}"
    return f"{program} hook {event} --runtime {runtime}"


def program_for(scope: str, env: Mapping[str, str] | None = None) -> str | None:
    """The ``program`` of the hooks ``hooks install`` writes in ``scope``: in the project
    scope, whose file is shared through git, :data:`PORTABLE`; in the user and local
    scopes (this machine's files), :func:`installed_program`'s absolute path, else the
    bare name."""
    if scope == "project":
        return PORTABLE
    return installed_program(env=env) or PROGRAM


def found_by_project_hooks(env: Mapping[str, str] | None = None) -> bool:
    """Whether the project scope's hooks, run with ``env`` (default ``os.environ``),
    would find a program named ``ai-protocols`` (:data:`FIND_ON_PATH`'s places)."""
    import shutil

    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    local = os.path.join(home, ".local", "bin")
    path = os.pathsep.join((env.get("PATH", os.defpath), env.get("XDG_BIN_HOME") or local,
                            local))
    return shutil.which(PROGRAM, path=path) is not None


def installed_program(argv0: str | None = None,
                      env: Mapping[str, str] | None = None) -> str | None:
    """The console script ``ai-protocols`` that runs now, as an absolute path quoted for
    a shell (``shlex.quote``), for the hooks ``hooks install`` writes: an agent started
    with a ``PATH`` that lacks the tool would otherwise run each hook as exit 127, which
    Claude Code and Codex take for a non-blocking error, and the lock guard would be off
    without a word (issue 15, fifteenth round). In order: ``argv0`` (default
    ``sys.argv[0]``) when it is a program named ``ai-protocols`` (as called: a link
    stays a link, so a reinstall behind it keeps working); else the one on ``env``'s
    ``PATH`` (default ``os.environ``); else the one beside this interpreter
    (``python -m ai_protocols`` of a virtual environment). ``None`` when there is none
    (the caller says so, loudly)."""
    import shutil
    import sys

    env = os.environ if env is None else env
    given = sys.argv[0] if argv0 is None else argv0
    found: str | None = None
    if posixpath.basename(given) == PROGRAM and os.path.isfile(given) and \
            os.access(given, os.X_OK):
        found = given
    if found is None:
        found = shutil.which(PROGRAM, path=env.get("PATH", os.defpath))
    if found is None:
        beside = os.path.join(os.path.dirname(sys.executable), PROGRAM)
        found = beside if os.path.isfile(beside) and os.access(beside, os.X_OK) else None
    return None if found is None else shlex.quote(os.path.abspath(found))


def is_our_command(command: object) -> bool:
    """Whether a hook's command is ours: its first word is ``ai-protocols`` or a path
    to a program of that name (``/opt/venv/bin/ai-protocols``, quoted or not), and its
    second word is ``hook``. ``ai-protocols hooks ...``, ``echo ai-protocols hook``
    or ``my-ai-protocols hook`` are not."""
    if not isinstance(command, str):
        return False
    if command.startswith(FIND_ON_PATH):  # the project scope's form
        command = command[len(FIND_ON_PATH):]
    try:
        words = shlex.split(command)
    except ValueError:  # an unclosed quote: the words as the shell would start them
        words = command.split()
    return len(words) >= 2 and posixpath.basename(words[0]) == PROGRAM and words[1] == "hook"


def _hook(event: HookEvent, runtime: str, program: str | None = PROGRAM) -> dict[str, Any]:
    return {"type": "command", "command": hook_command(event.name, runtime, program),
            "timeout": event.timeout}


def _entry(event: HookEvent, runtime: str, program: str | None = PROGRAM) -> dict[str, Any]:
    """The matcher group we add for ``event``."""
    matcher = event.matcher_for(runtime)
    group: dict[str, Any] = {} if matcher is None else {"matcher": matcher}
    group["hooks"] = [_hook(event, runtime, program)]
    return group


def hooks_config(runtime: str, program: str = PROGRAM) -> dict[str, Any]:
    """``{"hooks": {...}}`` with our entry for each event of :data:`EVENTS`: what a
    settings file that held nothing else looks like after ``install`` (whose
    ``program`` is :func:`installed_program`'s; the plugin's is ``ai-protocols``)."""
    return {"hooks": {event.name: [_entry(event, runtime, program)] for event in EVENTS}}


# -- where ---------------------------------------------------------------------------------


class ScopeNotSupported(ValueError):
    """An agent without that scope (Codex has no local scope), or an unknown one."""


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _config_dir(env: Mapping[str, str], variable: str, default: str) -> Path:
    """``$variable`` when set and not empty (``~`` expanded, relative to the working
    directory), else ``~/default``."""
    value = env.get(variable)
    if value:
        if value == "~" or value.startswith("~/"):
            value = str(_home(env)) + value[1:]
        return Path(os.path.abspath(value))
    return _home(env) / default


def claude_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """Claude Code's user folder: ``$CLAUDE_CONFIG_DIR`` when set (seen: Claude Code
    2.1.332 then reads ``settings.json`` there and not in ``~/.claude``), else
    ``~/.claude``."""
    return _config_dir(os.environ if env is None else env, "CLAUDE_CONFIG_DIR", ".claude")


def codex_home(env: Mapping[str, str] | None = None) -> Path:
    """Codex's user folder: ``$CODEX_HOME`` when set, else ``~/.codex``."""
    return _config_dir(os.environ if env is None else env, "CODEX_HOME", ".codex")


def check_scope(agent: str, scope: str) -> None:
    """:class:`ScopeNotSupported`, saying what to use instead, unless ``agent`` has
    ``scope``."""
    if agent not in SCOPES:
        raise ScopeNotSupported(f"unknown agent {agent!r}: use one of {', '.join(AGENTS)}")
    if scope not in SCOPES[agent]:
        if agent == "codex" and scope == "local":
            raise ScopeNotSupported(
                "Codex has no local scope: it reads hooks only from the project's "
                ".codex/hooks.json and from the user's $CODEX_HOME/hooks.json (~/.codex); "
                "use --scope project (shared with the project) or --scope user (you alone, "
                "every project)")
        raise ScopeNotSupported(f"unknown scope {scope!r} for {AGENT_NAMES[agent]}: use one "
                                f"of {', '.join(SCOPES[agent])}")


def settings_path(agent: str, scope: str, root: Path,
                  env: Mapping[str, str] | None = None) -> Path:
    """The file holding ``agent``'s hooks for ``scope``; ``root`` is the project root.

    ================  ==================================  ===========================
    scope             Claude Code                         Codex
    ================  ==================================  ===========================
    ``project``       ``.claude/settings.json``           ``.codex/hooks.json``
    ``local``         ``.claude/settings.local.json``     (none: ScopeNotSupported)
    ``user``          ``$CLAUDE_CONFIG_DIR/settings.json``  ``$CODEX_HOME/hooks.json``
    ================  ==================================  ===========================
    """
    check_scope(agent, scope)
    if agent == "claude":
        if scope == "user":
            return claude_config_dir(env) / "settings.json"
        return root / ".claude" / ("settings.json" if scope == "project" else "settings.local.json")
    if scope == "user":
        return codex_home(env) / "hooks.json"
    return root / ".codex" / "hooks.json"


def _checked_base(scope: str, root: Path, path: Path) -> Path:
    """The folder below which no symbolic link may stand on the way to ``path``: the
    project root, or for the user scope the folder holding the agent's user folder."""
    return root if scope != "user" else path.parent.parent


# -- reading and writing JSON, keeping its style ---------------------------------------------


@record(frozen=True)
class JsonStyle:
    """How a JSON file is laid out, so that a rewrite looks like the original: the
    indent (an int, a string such as a tab, or ``None`` for one line), the separators
    of a one-line file, whether non-ASCII text is escaped, the line ending and whether
    the file ends with one. The default is ours: two spaces and a final newline."""

    indent: int | str | None = 2
    separators: tuple[str, str] | None = None
    ensure_ascii: bool = False
    newline: str = "\n"
    final_newline: bool = True

    def dump(self, document: object) -> str:
        text = json.dumps(document, indent=self.indent, ensure_ascii=self.ensure_ascii,
                          separators=self.separators if self.indent is None else None)
        if self.newline != "\n":  # json.dumps never puts a raw line break inside a string
            text = text.replace("\n", self.newline)
        return text + (self.newline if self.final_newline else "")

    @classmethod
    def of(cls, text: str) -> JsonStyle:
        """The style of ``text``, a JSON document."""
        newline = "\r\n" if "\r\n" in text else "\n"
        final_newline = text.endswith("\n")
        escaped = re.search(r"\\u(?!00[0-7])[0-9a-fA-F]{4}", text) is not None
        ensure_ascii = text.isascii() and escaped
        body = text.strip()
        if "\n" not in body:
            if re.fullmatch(r"\{\s*\}", body):  # {}: nothing to learn from; ours
                return cls(ensure_ascii=ensure_ascii, newline=newline)
            colon = re.match(r'\{\s*"(?:[^"\\]|\\.)*"\s*:(\s?)', body)
            spaced = colon is None or colon.group(1) == " "
            return cls(indent=None, separators=(", ", ": ") if spaced else (",", ":"),
                       ensure_ascii=ensure_ascii, newline=newline, final_newline=final_newline)
        first = re.search(r"\n([ \t]+)\S", body)
        indent: int | str = 0 if first is None else first.group(1)
        if isinstance(indent, str) and set(indent) == {" "}:
            indent = len(indent)
        return cls(indent=indent, ensure_ascii=ensure_ascii, newline=newline,
                   final_newline=final_newline)


class _Refused(ValueError):
    """What makes a parsed document unusable, said as a reason, and what to do (``todo``)."""

    def __init__(self, reason: str, todo: str) -> None:
        super().__init__(reason)
        self.todo = todo


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _Refused(f"the key {json.dumps(key)} appears twice in one object, and "
                           "rewriting the file would lose one of them",
                           "keep the one you mean and delete the other")
        document[key] = value
    return document


def _no_constants(name: str) -> Any:
    raise _Refused(f"it holds {name}, which is not JSON",
                   "put a number, a string or null in its place")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


#: What a refusal of a settings file's shape asks for: the shape both programs read
#: (Claude Code's settings reference, "Hooks"; Codex's hooks documentation).
_SHAPE = ('{"hooks": {"EVENT": [{"matcher": "...", "hooks": [{"type": "command", '
          '"command": "..."}]}]}}')
#: What every refusal of a settings file ends with: what happens once it is put right.
_AGAIN = ("then run the command again ('hooks install' merges the ai-protocols hooks into "
          "what is there and keeps the rest)")


def _shape(where: str, value: object, wanted: str, empty: str) -> str:
    """The reason a part of a settings file is refused for its shape, with what to do:
    ``where`` (``its top level``, ``its "hooks"``) is ``value``, not ``wanted``."""
    return (f"{where} is {_kind(value)}, not {wanted}: make it {wanted} ({empty} when it "
            f"holds nothing yet; the shape Claude Code and Codex read is {_SHAPE}), {_AGAIN}")


def parse_settings(path: Path, data: bytes) -> tuple[dict[str, Any], JsonStyle]:
    """A settings file's document and style. An empty (or blank) file is an empty
    object; anything that is not a JSON object, whose ``hooks`` is not an object, or
    that this tool could not write back whole, is :class:`InvalidConfigFile`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidConfigFile(path, f"it is not UTF-8 (byte 0x{data[error.start]:02X} at "
                                      f"offset {error.start}): save it as UTF-8, "
                                      f"{_AGAIN}") from error
    if not text.strip():
        return {}, JsonStyle()
    if text.startswith("\ufeff"):
        raise InvalidConfigFile(path, "it starts with a byte-order mark, which JSON does not "
                                      f"allow: save it without one, {_AGAIN}")
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                              parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise InvalidConfigFile(path, f"it is not valid JSON: {error.msg} at line "
                                      f"{error.lineno}, column {error.colno}: correct it "
                                      "there (an empty file counts as {}), "
                                      f"{_AGAIN}") from error
    except _Refused as error:
        raise InvalidConfigFile(path, f"{error}: {error.todo}, {_AGAIN}") from error
    except RecursionError as error:
        raise InvalidConfigFile(path, "it is nested too deeply (more than Python's JSON "
                                      f"reader takes): flatten it, {_AGAIN}") from error
    if not isinstance(document, dict):
        raise InvalidConfigFile(path, _shape("its top level", document, "an object", "{}"))
    if "hooks" in document and not isinstance(document["hooks"], dict):
        raise InvalidConfigFile(path, _shape('its "hooks"', document["hooks"], "an object",
                                             "{}"))
    return document, JsonStyle.of(text)


# -- merging -------------------------------------------------------------------------------


@record(frozen=True)
class EventChange:
    """What install or uninstall did to one event's hooks: ``added``, ``updated``
    (ours was there but differed: its timeout, matcher, command, or a second copy),
    ``unchanged`` or ``removed``."""

    event: str
    action: str


def _ours(groups: list[Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each of our hooks in an event's list, with its matcher group, in order."""
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            for hook in group["hooks"]:
                if isinstance(hook, dict) and is_our_command(hook.get("command")):
                    yield group, hook


def _matches_all(matcher: object) -> bool:
    return matcher is None or matcher in ("", "*")


def _matcher_ok(group: dict[str, Any], wanted: str | None) -> bool:
    if wanted is None:
        return _matches_all(group.get("matcher"))
    return group.get("matcher") == wanted


def _only_ours(group: dict[str, Any]) -> bool:
    return all(isinstance(hook, dict) and is_our_command(hook.get("command"))
               for hook in group["hooks"])


def _remove(groups: list[Any], group: dict[str, Any], hook: dict[str, Any]) -> None:
    """Take ``hook`` out of ``group`` (by identity), and ``group`` out of ``groups``
    when that left it without hooks."""
    group["hooks"][:] = [h for h in group["hooks"] if h is not hook]
    if not group["hooks"]:
        groups[:] = [g for g in groups if g is not group]


def _same(value: object, wanted: object) -> bool:
    return type(value) is type(wanted) and value == wanted


def _install_event(groups: list[Any], event: HookEvent, runtime: str,
                   program: str | None) -> str:
    found = list(_ours(groups))
    matcher = event.matcher_for(runtime)
    keeper = next(((g, h) for g, h in found if _matcher_ok(g, matcher)), None)
    if keeper is None:  # ours, alone in a group with another matcher: fix the matcher
        keeper = next(((g, h) for g, h in found if _only_ours(g)), None)
    changed = False
    for group, hook in found:
        if keeper is None or hook is not keeper[1]:
            _remove(groups, group, hook)  # a second copy, or ours in a shared group
            changed = True
    if keeper is None:
        groups.append(_entry(event, runtime, program))
        return "updated" if changed else "added"
    group, hook = keeper
    if not _matcher_ok(group, matcher):
        if matcher is None:
            del group["matcher"]
        else:
            group["matcher"] = matcher
        changed = True
    for key, value in _hook(event, runtime, program).items():
        if not _same(hook.get(key), value):
            hook[key] = value  # in place: an existing key keeps its position
            changed = True
    return "updated" if changed else "unchanged"


def install_into(document: dict[str, Any], runtime: str, path: Path,
                 program: str | None = PROGRAM) -> list[EventChange]:
    """Add or update our hooks for each event of :data:`EVENTS` in ``document`` (a
    parsed settings file, changed in place), each running ``program`` (a hook of ours
    running another, a bare ``ai-protocols`` say, is updated); every other key and
    hook stays as it was. An event whose value is not a list is refused (``path``
    names the file)."""
    hooks = document.get("hooks")
    if hooks is None or not isinstance(hooks, dict):
        if hooks is not None:
            raise InvalidConfigFile(path, _shape('its "hooks"', hooks, "an object", "{}"))
        hooks = document["hooks"] = {}
    for event in EVENTS:
        groups = hooks.get(event.name)
        if event.name in hooks and not isinstance(groups, list):
            raise InvalidConfigFile(path, _shape(f'its "hooks" > "{event.name}"', groups,
                                                 "a list", "[]"))
    changes = []
    for event in EVENTS:
        if event.name not in hooks:
            hooks[event.name] = [_entry(event, runtime, program)]
            changes.append(EventChange(event.name, "added"))
        else:
            changes.append(EventChange(event.name, _install_event(hooks[event.name], event,
                                                                  runtime, program)))
    return changes


def uninstall_from(document: dict[str, Any]) -> list[EventChange]:
    """Remove every hook of ours from ``document`` (changed in place), then each event
    list that this left empty, then ``hooks`` if that left it empty. Lists and objects
    that were empty before stay."""
    hooks = document.get("hooks")
    if not isinstance(hooks, dict):
        return []
    changes = []
    for name in list(hooks):
        groups = hooks[name]
        if not isinstance(groups, list):
            continue
        found = list(_ours(groups))
        if not found:
            continue
        for group, hook in found:
            _remove(groups, group, hook)
        if not groups:
            del hooks[name]
        changes.append(EventChange(name, "removed"))
    if changes and not hooks:
        del document["hooks"]
    return changes


# -- the files -------------------------------------------------------------------------------


@record(frozen=True)
class HooksReport:
    """What ``install`` or ``uninstall`` did: the file, whether it existed before,
    each event touched, and whether the file was written at all."""

    agent: str
    scope: str
    path: Path
    existed: bool
    changes: list[EventChange]
    written: bool

    def events(self, action: str) -> list[str]:
        return [change.event for change in self.changes if change.action == action]


def _read(agent: str, scope: str, root: Path,
          env: Mapping[str, str] | None) -> tuple[Path, dict[str, Any] | None, JsonStyle]:
    path = settings_path(agent, scope, root, env)
    storage.refuse_symlinks(_checked_base(scope, root, path), path)
    data = storage.read_bytes(path)
    if data is None:
        return path, None, JsonStyle()
    document, style = parse_settings(path, data)
    return path, document, style


def _write(path: Path, document: dict[str, Any], style: JsonStyle) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(path.parent, error) from error
    storage.atomic_write(path, style.dump(document).encode("utf-8"))


def install(agent: str, scope: str, root: Path,
            env: Mapping[str, str] | None = None) -> HooksReport:
    """Install our hooks into ``agent``'s settings file for ``scope`` (made, with its
    folder, when missing), each running the program :func:`program_for` gives.
    Writes nothing when they are already there as :data:`EVENTS` says, so a second
    install leaves every byte as it was."""
    path, document, style = _read(agent, scope, root, env)
    existed = document is not None
    document = {} if document is None else document
    changes = install_into(document, agent, path, program_for(scope, env))
    written = not existed or any(change.action != "unchanged" for change in changes)
    if written:
        _write(path, document, style)
    return HooksReport(agent, scope, path, existed, changes, written)


def uninstall(agent: str, scope: str, root: Path,
              env: Mapping[str, str] | None = None) -> HooksReport:
    """Remove our hooks from ``agent``'s settings file for ``scope``. A missing file,
    or one without hooks of ours, is left as it is (``written`` is false). A file left
    without any key stays, as ``{}``."""
    path, document, style = _read(agent, scope, root, env)
    if document is None:
        return HooksReport(agent, scope, path, False, [], False)
    changes = uninstall_from(document)
    if changes:
        _write(path, document, style)
    return HooksReport(agent, scope, path, True, changes, bool(changes))


@record(frozen=True)
class HooksStatus:
    """Our hooks in one settings file. ``state``: ``installed`` (every event of the
    table, as it says), ``out of date`` (some are missing or differ: ``install``
    updates them), ``not installed`` (none of ours, or no file) or ``unusable`` (the
    file cannot be read or changed: ``error`` says why). ``events``: the events of the
    table holding a hook of ours; ``missing`` and ``differing``: those of the table
    ``install`` would add or update; ``other_events``: events outside the table
    holding a hook of ours (left alone by ``install``, removed by ``uninstall``)."""

    agent: str
    scope: str
    path: Path
    exists: bool
    state: str
    events: list[str] = factory(list)
    missing: list[str] = factory(list)
    differing: list[str] = factory(list)
    other_events: list[str] = factory(list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "scope": self.scope, "path": str(self.path),
                "exists": self.exists, "state": self.state, "events": self.events,
                "missing": self.missing, "differing": self.differing,
                "other_events": self.other_events, "error": self.error}


def _status_of(agent: str, scope: str, root: Path,
               env: Mapping[str, str] | None) -> HooksStatus:
    path = settings_path(agent, scope, root, env)
    try:
        path, document, _style = _read(agent, scope, root, env)
        if document is None:
            return HooksStatus(agent, scope, path, False, "not installed")
        table = {event.name for event in EVENTS}
        hooks = document.get("hooks") or {}
        present = [name for name, groups in hooks.items()
                   if isinstance(groups, list) and any(True for _ in _ours(groups))]
        changes = install_into(copy.deepcopy(document), agent, path, program_for(scope, env))
    except (AiProtocolsError, OSError) as error:
        return HooksStatus(agent, scope, path, path.exists() or path.is_symlink(),
                           "unusable", error=str(error))
    events = [event.name for event in EVENTS if event.name in present]
    missing = [change.event for change in changes if change.action == "added"]
    differing = [change.event for change in changes if change.action == "updated"]
    if not present:
        state = "not installed"
    elif missing or differing:
        state = "out of date"
    else:
        state = "installed"
    return HooksStatus(agent, scope, path, True, state, events, missing, differing,
                       [name for name in present if name not in table])


def unreached(root: Path, main: Path, env: Mapping[str, str] | None = None
              ) -> list[HooksStatus]:
    """The hooks an agent started in the linked work tree ``root`` would not run: for each
    agent, the status of the project file (project or local scope) of the main work tree
    ``main`` that holds our hooks, when neither ``root``'s own files of those scopes nor
    the user scope hold any (git brings a settings file to another work tree only once
    committed, and never the local scope's, which it ignores). Empty when ``root`` is
    ``main``. Reads those settings files; raises nothing (an unreadable one holds none)."""
    if os.path.realpath(root) == os.path.realpath(main):
        return []
    found = []
    for agent in AGENTS:
        scopes = [scope for scope in SCOPES[agent] if scope != "user"]
        there = next((status for status in (_status_of(agent, scope, main, env)
                                            for scope in scopes) if status.events), None)
        if there is None:
            continue
        if any(_status_of(agent, scope, root, env).events for scope in SCOPES[agent]):
            continue
        found.append(there)
    return found


def unreached_warning(root: Path, main: Path, env: Mapping[str, str] | None = None
                      ) -> str | None:
    """What :func:`unreached` finds, as the warning a command in the linked work tree
    ``root`` prints (``lock``, ``task claim``, ``start``): which agent runs no hook here,
    what that leaves unguarded, and the fix (commit the main work tree's file and bring it
    to this branch, or install here, or in the user scope); ``None`` when nothing is
    missing."""
    missing = unreached(root, main, env)
    if not missing:
        return None
    said = []
    for status in missing:
        name = AGENT_NAMES[status.agent]
        relative = os.path.relpath(status.path, main)
        fix = (f"commit {relative} in the main work tree and bring that commit to this "
               f"work tree's branch (git merge, git cherry-pick), or run 'ai-protocols "
               f"hooks install {status.agent}' here"
               if status.scope == "project" else
               f"run 'ai-protocols hooks install {status.agent} --scope local' here (git "
               f"ignores {relative}: it never reaches another work tree)")
        said.append(f"warning: this linked git work tree has no ai-protocols hooks for "
                    f"{name}: the main work tree {main} has them in {relative} ({status.scope}"
                    f" scope), which this work tree lacks, so {name} started here runs no "
                    f"SessionStart and no PreToolUse hook: nothing refuses its edits into "
                    f"other agents' locks, and its session is not kept. To fix: {fix}; or "
                    f"install them once for every project and work tree: ai-protocols hooks "
                    f"install {status.agent} --scope user.")
    return "\n".join(said)


def reach_note(agent: str, scope: str, root: Path, path: Path) -> str | None:
    """After ``hooks install AGENT --scope SCOPE`` in the project at ``root`` wrote our
    hooks into ``path``: the note that says they do not reach the repository's other
    work trees and clones (an agent started there runs none of them), and how to make
    them: commit the project scope's file (``git status`` shows it uncommitted or changed
    since), or, for the local scope's, which git ignores, install in each work tree or in
    the user scope; naming the repository's other work trees (``git worktree list``).
    ``None`` for the user scope, outside git, or when the file is committed as it is.
    Runs git twice at most; raises nothing."""
    import subprocess

    if scope == "user":
        return None
    relative = os.path.relpath(path, root)
    try:
        state = subprocess.run(["git", "status", "--porcelain", "--ignored", "--", relative],
                               cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if state.returncode != 0 or not state.stdout.strip():
        return None
    from ai_protocols.git.history import other_worktrees

    # (this work tree is the one around ``root`` as git's files say, so one nested in
    # another, ``git worktree add wt/b`` inside the main one, still names the main one)
    others = [path for path, _, _ in other_worktrees(str(root))]
    named = (f" This repository's other work trees lack them now: {', '.join(others)}."
             if others else "")
    if scope == "local":
        return (f"Note: {relative} is this work tree's alone (git ignores it): "
                f"{AGENT_NAMES[agent]} started in another work tree (git worktree add) or "
                f"clone runs none of these hooks, and nothing refuses its edits into other "
                f"agents' locks. Run this command in each work tree, or install them once "
                f"for every work tree: ai-protocols hooks install {agent} --scope user."
                f"{named}")
    return (f"Note: {relative} reaches other work trees and clones only through git, once "
            f"committed: git add {shlex.quote(relative)} && git commit -m 'ai-protocols "
            f"hooks'. Until then {AGENT_NAMES[agent]} started in another work tree (git "
            f"worktree add) or clone runs none of these hooks, and nothing refuses its edits "
            f"into other agents' locks.{named}"
            + (" Once committed, bring the commit to their branches (git merge), or run "
               "this command in each." if others else ""))


def status(root: Path, env: Mapping[str, str] | None = None) -> list[HooksStatus]:
    """Our hooks in every settings file of every agent and scope, in the order of
    :data:`AGENTS` and :data:`SCOPES`."""
    return [_status_of(agent, scope, root, env) for agent in AGENTS for scope in SCOPES[agent]]


# -- the Claude Code plugin ------------------------------------------------------------------


def plugin_files() -> dict[str, str]:
    """The files of the Claude Code plugin, path under :data:`PLUGIN_DIR` -> text, as
    :data:`EVENTS` gives them (``scripts/gen_claude_plugin.py`` writes them; a test
    holds the shipped ones equal)."""
    manifest = {"name": PLUGIN_NAME, "description": PLUGIN_DESCRIPTION}
    hooks = {"description": "The ai-protocols session hooks", **hooks_config("claude")}
    style = JsonStyle()
    return {".claude-plugin/plugin.json": style.dump(manifest),
            "hooks/hooks.json": style.dump(hooks)}


def plugin_dir() -> Path:
    """The installed folder of the Claude Code plugin: ``claude --plugin-dir <it>``."""
    return PLUGIN_DIR
