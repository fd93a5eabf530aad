"""Installing the hooks (``ai-protocols hooks ...``), the Claude Code plugin, and
``init --agents-md``.

The commands run as real subprocesses of the installed CLI in fresh git
repositories, each with a private ``HOME`` (and ``CLAUDE_CONFIG_DIR`` and
``CODEX_HOME`` emptied, so that the developer's own settings are never read or
written). The merge itself is checked in-process with hypothesis over arbitrary
settings documents, and again through the CLI on fewer of them. The tests
marked ``agents`` run the real Claude Code and Codex (tests/agents) with a stub
``ai-protocols`` first on the ``PATH`` that records how it was called: the real
``ai-protocols hook`` command is not what is tested here, only that the agents
run the commands we install.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import InvalidConfigFile
from ai_protocols.integrations import agents_md
from ai_protocols.integrations.install import (
    EVENTS,
    GUARD_WITHOUT_PROGRAM,
    PLUGIN_DIR,
    hook_command,
    hooks_config,
    install_into,
    is_our_command,
    parse_settings,
    plugin_files,
    uninstall_from,
)

from agents.programs import Claude, Codex, record_hook, recorded
from conftest import CLI, REPO_ROOT, Runner, clean_env

TABLE = [event.name for event in EVENTS]
#: The file of each agent and scope, relative to the project ("~" for the home).
FILES = {
    ("claude", "project"): ".claude/settings.json",
    ("claude", "local"): ".claude/settings.local.json",
    ("claude", "user"): "~/.claude/settings.json",
    ("codex", "project"): ".codex/hooks.json",
    ("codex", "user"): "~/.codex/hooks.json",
}


class Hooks:
    """Runs ``ai-protocols`` in the ``repo`` with a private home."""

    def __init__(self, run: Runner, repo: Path, home: Path) -> None:
        self.run, self.repo, self.home = run, repo, home
        self.home.mkdir(exist_ok=True)

    def __call__(self, *args: str, check: bool = True,
                 **env: str) -> subprocess.CompletedProcess[str]:
        full = {"HOME": str(self.home), "CLAUDE_CONFIG_DIR": "", "CODEX_HOME": "", **env}
        return self.run(*args, check=check, env=full)

    def file(self, agent: str, scope: str) -> Path:
        relative = FILES[agent, scope]
        return self.home / relative[2:] if relative.startswith("~/") else self.repo / relative


@pytest.fixture
def hooks(run: Runner, repo: Path, tmp_path: Path) -> Hooks:
    return Hooks(run, repo, tmp_path / "home")


#: The program the hooks ``hooks install`` writes in the user and local scopes run: the
#: installed console script the tests run, by its absolute path (issue 15, fifteenth
#: round); the plugin's, and ``install_into``'s by default, is the bare name.
INSTALLED = shlex.quote(str(CLI))
#: The project scope's hooks (a file shared through git) name no path: ``ai-protocols``
#: on the agent's PATH, else in ~/.local/bin (docs/agents.md; sixteenth round).
PROJECT = None
FIND = ("command -v ai-protocols >/dev/null || "
        "PATH=$PATH:${XDG_BIN_HOME:-$HOME/.local/bin}:$HOME/.local/bin; ")


def command(event: str, runtime: str, program: str | None) -> str:
    """Our hook's command for ``event`` running ``program`` (:data:`PROJECT`: the project
    scope's form, whose PreToolUse refuses the edit when it finds no program)."""
    if program is PROJECT:
        tail = GUARD_WITHOUT_PROGRAM if event == "PreToolUse" else ""
        return f"{FIND}ai-protocols hook {event} --runtime {runtime}{tail}"
    return f"{program} hook {event} --runtime {runtime}"


def ours(runtime: str, program: str | None = PROJECT) -> dict[str, Any]:
    """What a file holding nothing else looks like after ``hooks install RUNTIME``
    (``program``: what the hooks run; by default the project scope's)."""
    return {"hooks": {event.name: [{
        **({"matcher": event.matcher_for(runtime)} if event.matcher_for(runtime) else {}),
        "hooks": [{
            "type": "command", "command": command(event.name, runtime, program),
            "timeout": event.timeout}]}] for event in EVENTS}}


def dump(document: object) -> str:
    """Our format: two spaces, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def snapshot(path: Path) -> tuple[bytes, int]:
    """The bytes and the inode: an atomic rewrite, even of the same bytes, changes the inode."""
    return path.read_bytes(), path.stat().st_ino


#: A settings file of the kind people have: other settings, other hooks of ours'
#: events (with matchers), other events, unknown keys, a key order of its own.
RICH = {
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "permissions": {"allow": ["Bash(npm test:*)"], "deny": []},
    "hooks": {
        "PostToolUse": [{"matcher": "Edit|Write", "hooks": [
            {"type": "command", "command": "npx prettier --write", "timeout": 20}]}],
        "SessionStart": [{"matcher": "startup", "hooks": [
            {"command": "echo 'hello'", "type": "command", "x-note": {"keep": [1, 2.5, None]}}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "ai-protocols hooks status"}]}],
    },
    "env": {"FOO": "bär"},
    "model": "opus",
}


# -- which hooks are ours ---------------------------------------------------------------------


@pytest.mark.parametrize(("command", "expected"), [
    ("ai-protocols hook SessionStart --runtime claude", True),
    ("ai-protocols hook Stop --runtime codex", True),
    ("  ai-protocols   hook Stop", True),
    ("/opt/venv/bin/ai-protocols hook Stop --runtime claude", True),
    ("'/home/me/my tools/ai-protocols' hook SessionEnd --runtime claude", True),
    ("ai-protocols hooks install claude", False),
    ("ai-protocols hook", True),
    ("ai-protocols", False),
    ("echo ai-protocols hook Stop", False),
    ("my-ai-protocols hook Stop", False),
    ("/opt/ai-protocols/bin/run hook Stop", False),
    ("ai-protocols log --progress hook", False),
    ("", False),
    (None, False),
    (["ai-protocols", "hook"], False),
])
def test_which_commands_are_ours(command: object, expected: bool) -> None:
    assert is_our_command(command) is expected


def test_the_hook_command_is_exactly_the_documented_one() -> None:
    assert hook_command("Stop", "claude") == "ai-protocols hook Stop --runtime claude"
    assert TABLE == ["SessionStart", "PreCompact", "UserPromptSubmit", "Stop", "SessionEnd",
                     "PreToolUse"]
    # SessionStart: every source; PreToolUse: the file edits, named per agent
    assert all(event.matcher is None for event in EVENTS if event.name != "PreToolUse")
    edits = next(event for event in EVENTS if event.name == "PreToolUse")
    assert edits.matcher_for("claude") == "Edit|Write|MultiEdit|NotebookEdit"
    assert edits.matcher_for("codex") == "apply_patch"
    assert hooks_config("codex") == ours("codex", "ai-protocols")


# -- install ------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", ["claude", "codex"])
def test_install_writes_the_table_into_a_new_file(hooks: Hooks, agent: str) -> None:
    out = hooks("hooks", "install", agent).stdout
    path = hooks.file(agent, "project")
    assert path.read_text() == dump(ours(agent))
    assert f"in {path} (a new file):" in out
    assert f"  added: {', '.join(TABLE)}" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_install_twice_changes_nothing_byte_for_byte(hooks: Hooks) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(RICH, indent=4))  # no final newline, four spaces
    hooks("hooks", "install", "claude")
    before = snapshot(path)
    out = hooks("hooks", "install", "claude").stdout
    assert snapshot(path) == before
    assert out == ("The ai-protocols hooks for Claude Code (project scope) are already "
                   f"installed in {path}; nothing changed.\n")


def test_install_keeps_everything_else_in_its_order_and_format(hooks: Hooks) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(RICH, indent=4, ensure_ascii=False))
    hooks("hooks", "install", "claude")
    text = path.read_text()
    after = json.loads(text)
    assert list(after) == list(RICH)
    assert list(after["hooks"]) == [*RICH["hooks"], "PreCompact", "UserPromptSubmit", "SessionEnd",
                                    "PreToolUse"]
    for event, groups in RICH["hooks"].items():  # theirs first, as they were; ours after
        assert after["hooks"][event][:len(groups)] == groups
        tail = after["hooks"][event][len(groups):]
        assert tail == (ours("claude")["hooks"][event] if event in TABLE else [])
    assert {k: v for k, v in after.items() if k != "hooks"} == \
        {k: v for k, v in RICH.items() if k != "hooks"}
    assert text == json.dumps(after, indent=4, ensure_ascii=False)  # four spaces, no newline
    assert '"b\u00e4r"' in text


def test_install_updates_an_entry_of_ours_in_place(hooks: Hooks) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    old = json.loads(dump(ours("claude")))
    stop = old["hooks"]["Stop"][0]["hooks"]
    stop.insert(0, {"type": "command", "command": "echo first"})
    stop[1] = {"statusMessage": "saving", "command": command("Stop", "claude", PROJECT),
               "timeout": 99, "type": "command"}
    path.write_text(dump(old))
    out = hooks("hooks", "install", "claude").stdout
    assert "  updated: Stop\n" in out
    assert ("  unchanged: SessionStart, PreCompact, UserPromptSubmit, SessionEnd, "
            "PreToolUse\n") in out
    stop_after = json.loads(path.read_text())["hooks"]["Stop"]
    assert stop_after == [{"hooks": [
        {"type": "command", "command": "echo first"},
        {"statusMessage": "saving", "command": command("Stop", "claude", PROJECT),
         "timeout": 10, "type": "command"}]}]  # same place, key kept
    assert list(stop_after[0]["hooks"][1]) == ["statusMessage", "command", "timeout", "type"]


def test_install_fixes_our_command_matcher_and_copies(hooks: Hooks) -> None:
    """An absolute path, the other runtime, a matcher on our own group, a second copy:
    each becomes the table's one entry; a hook of theirs sharing our group stays."""
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    document = {"hooks": {
        "SessionStart": [{"matcher": "startup", "hooks": [
            {"type": "command", "command": "/venv/bin/ai-protocols hook SessionStart"}]}],
        "Stop": [
            {"matcher": "x", "hooks": [{"type": "command", "command": "echo mine"},
                                       {"type": "command", "command": "ai-protocols hook Stop"}]},
            {"hooks": [{"type": "command", "command": "ai-protocols hook Stop --runtime codex",
                        "timeout": 10}]},
            {"hooks": [{"type": "command", "command": "ai-protocols hook Stop --runtime claude",
                        "timeout": 10}]},
        ],
    }}
    path.write_text(dump(document))
    out = hooks("hooks", "install", "claude").stdout
    assert "  updated: SessionStart, Stop\n" in out
    assert json.loads(path.read_text())["hooks"]["SessionStart"] == \
        ours("claude")["hooks"]["SessionStart"]
    assert json.loads(path.read_text())["hooks"]["Stop"] == [
        {"matcher": "x", "hooks": [{"type": "command", "command": "echo mine"}]},
        *ours("claude")["hooks"]["Stop"]]
    assert hooks("hooks", "install", "claude").stdout.endswith("nothing changed.\n")


def test_install_keeps_the_permission_bits(hooks: Hooks) -> None:
    path = hooks.repo / ".claude/settings.local.json"
    path.parent.mkdir()
    path.write_text("{}\n")
    path.chmod(0o600)
    hooks("hooks", "install", "claude", "--scope", "local")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == ours("claude", INSTALLED)


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_an_empty_file_is_an_empty_object(hooks: Hooks, content: str) -> None:
    path = hooks.repo / ".codex/hooks.json"
    path.parent.mkdir()
    path.write_text(content)
    hooks("hooks", "install", "codex")
    assert path.read_text() == dump(ours("codex"))


# -- uninstall ----------------------------------------------------------------------------------


def test_uninstall_removes_only_ours(hooks: Hooks) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    document = {"a": 1, "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "echo mine"},
                            {"type": "command", "command": "/x/bin/ai-protocols hook Stop"}]},
                 {"hooks": [{"type": "command", "command": "ai-protocols hook Stop"}]}],
        "PreToolUse": [{"matcher": "Edit", "hooks": [
            {"type": "command", "command": "ai-protocols hook PreToolUse --runtime claude"}]}],
        "Notification": [],
        "SessionEnd": [{"hooks": [{"type": "command", "command": "echo ai-protocols hook"},
                                  {"type": "command", "command": "ai-protocols hooks status"}]}],
    }, "z": [1]}
    path.write_text(dump(document))
    out = hooks("hooks", "uninstall", "claude").stdout
    assert out == (f"Removed the ai-protocols hooks for Claude Code (project scope) from {path}:\n"
                   "  removed: Stop, PreToolUse\n")
    assert path.read_text() == dump({"a": 1, "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "echo mine"}]}],
        "Notification": [],  # empty before: kept
        "SessionEnd": document["hooks"]["SessionEnd"],
    }, "z": [1]})


def test_uninstall_removes_the_hooks_object_it_empties(hooks: Hooks) -> None:
    path = hooks.repo / ".codex/hooks.json"
    path.parent.mkdir()
    path.write_text('{\n  "hooks": {},\n  "x": true\n}\n')
    hooks("hooks", "install", "codex")
    hooks("hooks", "uninstall", "codex")
    assert path.read_text() == '{\n  "x": true\n}\n'  # the documented exception to the round trip


@pytest.mark.parametrize("content", [None, dump(RICH), "{}"])
def test_uninstalling_what_is_not_installed_says_so_and_changes_nothing(
        hooks: Hooks, content: str | None) -> None:
    path = hooks.repo / ".claude/settings.json"
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
        before = snapshot(path)
    out = hooks("hooks", "uninstall", "claude").stdout
    if content is None:
        assert out == ("The ai-protocols hooks for Claude Code (project scope) are not "
                       f"installed: there is no {path}; nothing changed.\n")
        assert not path.parent.exists()
    else:
        assert out == ("The ai-protocols hooks for Claude Code (project scope) are not "
                       f"installed in {path}; nothing changed.\n")
        assert snapshot(path) == before


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "reason"), [
    ('{\n  "hooks": {\n    "Stop": [}\n}\n', "it is not valid JSON: Expecting value at line 3, "
                                            "column 14"),
    ('{"a": 1,}', "it is not valid JSON: Expecting property name enclosed in double quotes at "
                  "line 1, column 9"),
    ("\ufeff{}", "it starts with a byte-order mark, which JSON does not allow"),
    ("[1, 2]", "its top level is a list, not an object"),
    ('{"hooks": []}', 'its "hooks" is a list, not an object'),
    ('{"hooks": null}', 'its "hooks" is null, not an object'),
    ('{"hooks": {"Stop": {"hooks": []}}}', 'its "hooks" > "Stop" is an object, not a list'),
    ('{"hooks": {"SessionEnd": null}}', 'its "hooks" > "SessionEnd" is null, not a list'),
    ('{"a": 1, "a": 2}', 'the key "a" appears twice in one object'),
    ('{"a": NaN}', "it holds NaN, which is not JSON"),
    (b"{\"a\": \"\xff\"}", "it is not UTF-8 (byte 0xFF at offset 7)"),
], ids=["syntax", "trailing-comma", "bom", "list", "hooks-list", "hooks-null", "event-object",
        "event-null", "duplicate-key", "nan", "not-utf8"])
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_a_file_we_cannot_change_safely_is_refused_and_left_unchanged(
        hooks: Hooks, content: str | bytes, reason: str, command: str) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(path)
    result = hooks("hooks", command, "claude", check=False)
    if command == "uninstall" and '" > "' in reason:
        assert result.returncode == 0  # nothing of ours to remove there: untouched
    else:
        assert result.returncode == 4, result.stderr
        assert result.stderr.startswith(f"Error: cannot change {path}: {reason}")
        assert result.stderr.endswith("; it was left unchanged\n")
    assert snapshot(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_symbolic_link_is_refused(hooks: Hooks, tmp_path: Path, link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "settings.json").write_text("{}\n")
    if link == "file":
        (hooks.repo / ".claude").mkdir()
        (hooks.repo / ".claude/settings.json").symlink_to(elsewhere / "settings.json")
    else:
        (hooks.repo / ".claude").symlink_to(elsewhere)
    for command in ("install", "uninstall"):
        result = hooks("hooks", command, "claude", check=False)
        assert result.returncode == 12, result.stderr
        assert "is a symbolic link" in result.stderr
    assert (elsewhere / "settings.json").read_text() == "{}\n"
    assert [p.name for p in elsewhere.iterdir()] == ["settings.json"]


def test_codex_has_no_local_scope(hooks: Hooks) -> None:
    result = hooks("hooks", "install", "codex", "--scope", "local", check=False)
    assert result.returncode == 2
    assert "Codex has no local scope" in result.stderr
    assert "use --scope project" in result.stderr and "or --scope user" in result.stderr
    assert hooks("hooks", "uninstall", "codex", "--scope", "local", check=False).returncode == 2
    assert not (hooks.repo / ".codex").exists() and not (hooks.home / ".codex").exists()


# -- scopes -------------------------------------------------------------------------------------


def _all_files(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("agent", "scope"), list(FILES), ids=lambda v: str(v))
def test_each_scope_writes_its_own_file(hooks: Hooks, agent: str, scope: str) -> None:
    before = _all_files(hooks.repo, hooks.home)
    out = hooks("hooks", "install", agent, "--scope", scope).stdout
    path = hooks.file(agent, scope)
    assert _all_files(hooks.repo, hooks.home) - before == {path}
    assert json.loads(path.read_text()) == ours(agent, PROJECT if scope == "project"
                                                else INSTALLED)
    assert f"({scope} scope) in {path}" in out
    if agent == "codex":
        assert "type /hooks and trust the ai-protocols hooks" in out
        assert "codex --dangerously-bypass-hook-trust" in out
        assert "ai-protocols spawn --runtime codex --trust-hooks -- codex" in out
        assert ("only in a project it trusts" in out) is (scope == "project")
    hooks("hooks", "uninstall", agent, "--scope", scope)
    assert json.loads(path.read_text()) == {}


@pytest.mark.parametrize(("agent", "variable", "name"), [
    ("claude", "CLAUDE_CONFIG_DIR", "settings.json"), ("codex", "CODEX_HOME", "hooks.json")])
def test_the_user_scope_follows_the_agents_variable(
        hooks: Hooks, tmp_path: Path, agent: str, variable: str, name: str) -> None:
    folder = tmp_path / "config dir"
    hooks("hooks", "install", agent, "--scope", "user", **{variable: str(folder)})
    assert json.loads((folder / name).read_text()) == ours(agent, INSTALLED)
    assert not any(hooks.home.iterdir())
    status = json.loads(hooks("hooks", "status", "--json", **{variable: str(folder)}).stdout)
    [row] = [r for r in status if r["agent"] == agent and r["scope"] == "user"]
    assert (row["path"], row["state"]) == (str(folder / name), "installed")


def test_codex_in_two_scopes_is_a_warning(hooks: Hooks) -> None:
    hooks("hooks", "install", "codex", "--scope", "user")
    result = hooks("hooks", "install", "codex")
    assert "they are in the user scope too" in result.stderr
    assert "each event would run them twice" in result.stderr
    assert "ai-protocols hooks uninstall codex --scope user" in result.stderr


# -- status -------------------------------------------------------------------------------------


def test_status_reports_every_agent_and_scope(hooks: Hooks) -> None:
    hooks("hooks", "install", "claude")
    hooks("hooks", "install", "codex", "--scope", "user")
    local = hooks.repo / ".claude/settings.local.json"
    stale = ours("claude", INSTALLED)
    del stale["hooks"]["PreCompact"]
    stale["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 1
    stale["hooks"]["PostCompact"] = [{"hooks": [{"type": "command",
                                                 "command": "ai-protocols hook PostCompact"}]}]
    local.write_text(dump(stale))
    (hooks.repo / ".codex").mkdir()
    (hooks.repo / ".codex/hooks.json").write_text("{oops")
    rows = json.loads(hooks("hooks", "status", "--json").stdout)
    assert [(r["agent"], r["scope"], r["state"]) for r in rows] == [
        ("claude", "project", "installed"), ("claude", "local", "out of date"),
        ("claude", "user", "not installed"), ("codex", "project", "unusable"),
        ("codex", "user", "installed")]
    by = {(r["agent"], r["scope"]): r for r in rows}
    assert by["claude", "project"]["events"] == TABLE
    assert by["claude", "local"]["missing"] == ["PreCompact"]
    assert by["claude", "local"]["differing"] == ["Stop"]
    assert by["claude", "local"]["other_events"] == ["PostCompact"]
    assert by["claude", "user"]["exists"] is False
    assert "not valid JSON" in by["codex", "project"]["error"]
    assert by["codex", "user"]["path"] == str(hooks.home / ".codex/hooks.json")
    text = hooks("hooks", "status").stdout
    assert f"claude local   out of date   {local}\n" in text
    assert "    missing: PreCompact\n    differing: Stop\n" in text
    assert (f"claude user    not installed {hooks.home}/.claude/settings.json "
            "(no such file)\n") in text
    assert "Codex runs them only once trusted" in text
    hooks("hooks", "install", "claude", "--scope", "local")  # what status says to do
    rows = json.loads(hooks("hooks", "status", "--json").stdout)
    assert rows[1]["state"] == "installed" and rows[1]["other_events"] == ["PostCompact"]


# -- the formatting of a file we change ---------------------------------------------------------


STYLES = {
    "ours": {"indent": 2},
    "four": {"indent": 4},
    "tab": {"indent": "\t"},
    "zero": {"indent": 0},
    "one-line": {"indent": None},
    "compact": {"indent": None, "separators": (",", ":")},
    "ascii": {"indent": 2, "ensure_ascii": True},
}


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("final", [True, False], ids=["final-newline", "no-final-newline"])
@pytest.mark.parametrize("style", list(STYLES))
def test_install_then_uninstall_gives_back_the_bytes(hooks: Hooks, style: str, final: bool,
                                                     crlf: bool) -> None:
    options = {"ensure_ascii": False, **STYLES[style]}
    text = json.dumps(RICH, **options) + ("\n" if final else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir()
    path.write_bytes(text.encode())
    hooks("hooks", "install", "claude")
    installed = path.read_bytes().decode()
    assert json.loads(installed)["hooks"]["PreCompact"] == ours("claude")["hooks"]["PreCompact"]
    assert installed == (json.dumps(json.loads(installed), **options)
                         + ("\n" if final else "")).replace("\n", "\r\n" if crlf else "\n")
    hooks("hooks", "uninstall", "claude")
    assert path.read_bytes() == text.encode()


# -- the merge, over arbitrary documents (hypothesis) -------------------------------------------

PATH = Path("/p/.claude/settings.json")

scalars = (st.none() | st.booleans() | st.integers(-(2**60), 2**60)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
other_commands = st.sampled_from([
    "echo hi", "ai-protocols hooks status", "echo ai-protocols hook Stop",
    "my-ai-protocols hook Stop", "./scripts/lint", "ai-protocols log --progress x",
]) | st.text(min_size=1, max_size=20).filter(lambda c: not is_our_command(c))
their_hooks = st.fixed_dictionaries(
    {"type": st.just("command"), "command": other_commands},
    optional={"timeout": st.integers(1, 600), "x-extra": values})
groups = st.fixed_dictionaries(
    {"hooks": st.lists(their_hooks, min_size=1, max_size=3)},
    optional={"matcher": st.sampled_from(["", "*", "startup", "Edit|Write", "auto"]),
              "x-group": values})
event_names = st.sampled_from([*TABLE, "PreToolUse", "PostToolUse", "Notification"])
#: Event lists are never empty and ``hooks`` never is: install then uninstall cannot
#: tell an empty list or object that was there before from one it made (see
#: test_uninstall_removes_the_hooks_object_it_empties).
event_lists = st.builds(
    lambda lists, odd: {**lists, **{k: v for k, v in odd.items() if k not in lists}},
    st.dictionaries(event_names, st.lists(groups | scalars, min_size=1, max_size=3),
                    min_size=1, max_size=4),
    # an event outside the table may hold anything: it is left alone
    st.dictionaries(st.sampled_from(["Notification", "x-custom"]), values, max_size=1))


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A settings document: other keys in any order, maybe ``hooks`` among them."""
    items = list(draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "hooks"),
                                      values, max_size=4)).items())
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), ("hooks", draw(event_lists)))
    return dict(items)


def _expected_after_install(document: dict[str, Any], runtime: str,
                            program: str | None = "ai-protocols") -> dict[str, Any]:
    """The oracle: theirs first, exactly as they were, then our entry for each event of
    the table (running ``program``); new events after the old ones, in the table's
    order."""
    table = ours(runtime, program)["hooks"]
    old = document.get("hooks", {})
    new = {event: [*value, *table[event]] if event in table else value
           for event, value in old.items()}
    new.update({event: entry for event, entry in table.items() if event not in old})
    expected = dict(document)
    expected["hooks"] = new
    return expected


@settings(max_examples=300, deadline=None)
@given(documents(), st.sampled_from(["claude", "codex"]))
def test_install_then_uninstall_is_the_identity(document: dict[str, Any], runtime: str) -> None:
    text = dump(document)
    parsed, style = parse_settings(PATH, text.encode())
    assert parsed == document and (style.indent, style.final_newline) == (2, True)
    changes = install_into(parsed, runtime, PATH)
    installed = style.dump(parsed)
    assert json.loads(installed) == _expected_after_install(document, runtime)
    assert [list(d) for d in (json.loads(installed), json.loads(installed)["hooks"])] == \
        [list(d) for d in (_expected_after_install(document, runtime),
                           _expected_after_install(document, runtime)["hooks"])]
    assert {c.action for c in changes} == {"added"}
    again, again_style = parse_settings(PATH, installed.encode())  # idempotent
    assert {c.action for c in install_into(again, runtime, PATH)} == {"unchanged"}
    assert again_style.dump(again) == installed
    removed = uninstall_from(again)
    assert [c.event for c in removed] == [e for e in json.loads(installed)["hooks"] if e in TABLE]
    assert again == document
    assert again_style.dump(again) == text  # byte for byte


@settings(max_examples=100, deadline=None)
@given(documents(), st.sampled_from(["claude", "codex"]), st.sampled_from(list(STYLES)))
def test_the_style_of_a_file_is_kept(document: dict[str, Any], runtime: str, style: str) -> None:
    text = json.dumps(document, **{"ensure_ascii": False, **STYLES[style]}) + "\n"
    parsed, detected = parse_settings(PATH, text.encode())
    install_into(parsed, runtime, PATH)
    back, detected_again = parse_settings(PATH, detected.dump(parsed).encode())
    uninstall_from(back)
    if document:  # {} has no style to learn: it is written in ours
        assert detected_again.dump(back) == text


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_the_cli_round_trip_over_arbitrary_documents(hooks: Hooks,
                                                     document: dict[str, Any]) -> None:
    path = hooks.repo / ".claude/settings.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump(document))
    hooks("hooks", "install", "claude")
    assert json.loads(path.read_text()) == _expected_after_install(document, "claude",
                                                                   PROJECT)
    installed = snapshot(path)
    hooks("hooks", "install", "claude")
    assert snapshot(path) == installed
    hooks("hooks", "uninstall", "claude")
    assert path.read_text() == dump(document)


# -- the Claude Code plugin ---------------------------------------------------------------------


def test_the_shipped_plugin_is_what_the_table_gives() -> None:
    """Run scripts/gen_claude_plugin.py after changing EVENTS."""
    source = REPO_ROOT / "ai_protocols/integrations/claude_plugin"
    for folder in (source, PLUGIN_DIR):  # the source tree, and the installed package
        shipped = {str(p.relative_to(folder)): p.read_text()
                   for p in folder.rglob("*") if p.is_file()}
        assert shipped == plugin_files(), f"{folder}: run scripts/gen_claude_plugin.py"
    hooks_json = json.loads(plugin_files()["hooks/hooks.json"])
    assert hooks_json["hooks"] == ours("claude", "ai-protocols")["hooks"]
    assert json.loads(plugin_files()[".claude-plugin/plugin.json"])["name"] == "ai-protocols"


def test_plugin_dir_prints_the_installed_plugin(hooks: Hooks) -> None:
    folder = Path(hooks("hooks", "plugin-dir").stdout.rstrip("\n"))
    assert folder.is_absolute() and folder == PLUGIN_DIR
    assert "site-packages" in folder.parts  # the installed copy, not the source tree
    assert json.loads((folder / "hooks/hooks.json").read_text())["hooks"] == \
        ours("claude", "ai-protocols")["hooks"]


# -- init --agents-md ---------------------------------------------------------------------------


def _block() -> str:
    return agents_md.block()


def test_agents_md_creates_both_files(hooks: Hooks) -> None:
    out = hooks("init", "--agents-md").stdout
    for name in ("AGENTS.md", "CLAUDE.md"):
        assert (hooks.repo / name).read_text() == _block() + "\n"
        assert f"created: {hooks.repo / name}\n" in out
    assert (hooks.repo / ".ai/protocols.org").exists()  # and the usual init


def test_the_block_is_short_and_says_what_to_log() -> None:
    text = _block()
    assert len(text.encode()) < 1500  # it goes into every model context
    for words in ("ai-protocols start", "ai-protocols resume", "--progress", "--decision",
                  "--rationale", "--discovery", "--blocker", "--next", "--done",
                  "ai-protocols wrap-up", "AI_AGENT_ID", ".ai/protocols.org"):
        assert words in text
    from ai_protocols.session.model import ENTRY_KINDS
    options = {kind.option for kind in ENTRY_KINDS} | {"--rationale", "--title"}
    import re
    assert set(re.findall(r"(--[a-z]+)", text)) <= options


def test_agents_md_keeps_every_byte_outside_the_block(hooks: Hooks) -> None:
    agents = hooks.repo / "AGENTS.md"
    claude = hooks.repo / "CLAUDE.md"
    agents.write_bytes(b"# Rules\r\n\r\nBe brief.\r\n")  # CRLF
    claude.write_bytes("# Claude\n\nno final newline, \u00e9".encode())
    out = hooks("init", "--agents-md").stdout
    assert f"block added: {agents}\n" in out and f"block added: {claude}\n" in out
    assert agents.read_bytes() == (b"# Rules\r\n\r\nBe brief.\r\n\r\n"
                                   + agents_md.block("\r\n").encode() + b"\r\n")
    assert claude.read_bytes() == ("# Claude\n\nno final newline, \u00e9\n\n" + _block()
                                   + "\n").encode()
    before = {p: snapshot(p) for p in (agents, claude)}
    out = hooks("init", "--agents-md").stdout
    assert {p: snapshot(p) for p in (agents, claude)} == before  # idempotent
    assert f"unchanged: {agents}\n" in out
    # An older block is replaced in place; what is around it stays.
    claude.write_text(f"top\n{agents_md.BEGIN}\nold words\n{agents_md.END} tail\nbottom\n")
    assert f"block updated: {claude}\n" in hooks("init", "--agents-md").stdout
    assert claude.read_text() == f"top\n{_block()} tail\nbottom\n"


@pytest.mark.parametrize(("text", "reason"), [
    (f"a\n{agents_md.BEGIN}\nb\n", f"it has {agents_md.BEGIN} (line 2) but no {agents_md.END}"),
    (f"a\n\n{agents_md.END}\n", f"it has {agents_md.END} (line 3) without {agents_md.BEGIN}"),
    (f"{agents_md.END}\n{agents_md.BEGIN}\n", f"it has {agents_md.END} (line 1) without"),
    (f"{agents_md.BEGIN}\n{agents_md.END}\n{agents_md.BEGIN}\n{agents_md.END}\n",
     "it holds 2"),
], ids=["no-end", "no-begin", "end-first", "two-blocks"])
def test_broken_markers_are_refused_and_nothing_changes(hooks: Hooks, text: str,
                                                        reason: str) -> None:
    (hooks.repo / "AGENTS.md").write_text("# fine\n")
    claude = hooks.repo / "CLAUDE.md"
    claude.write_text(text)
    result = hooks("init", "--agents-md", check=False)
    assert result.returncode == 4
    assert result.stderr.startswith(f"Error: cannot change {claude}: {reason}")
    assert (hooks.repo / "AGENTS.md").read_text() == "# fine\n"  # checked before either write
    assert claude.read_text() == text
    assert not (hooks.repo / ".ai").exists()  # nor the rest of init


def test_claude_md_that_leads_to_agents_md_is_skipped(hooks: Hooks) -> None:
    claude = hooks.repo / "CLAUDE.md"
    claude.symlink_to("AGENTS.md")
    out = hooks("init", "--agents-md").stdout
    assert f"skipped: {claude} (a link to AGENTS.md, which holds the block)" in out
    assert claude.is_symlink() and claude.read_text() == _block() + "\n"
    claude.unlink()
    claude.write_text("# Claude\n@AGENTS.md\n")
    assert "it imports AGENTS.md with @AGENTS.md" in hooks("init", "--agents-md").stdout
    assert claude.read_text() == "# Claude\n@AGENTS.md\n"


def test_agents_md_refuses_another_symbolic_link(hooks: Hooks, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("x\n")
    (hooks.repo / "CLAUDE.md").symlink_to(outside)
    result = hooks("init", "--agents-md", check=False)
    assert result.returncode == 12
    assert outside.read_text() == "x\n" and not (hooks.repo / "AGENTS.md").exists()


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.text())
def test_the_block_goes_between_any_text_and_stays_there(before: str, inside: str,
                                                         after: str) -> None:
    for marker in (agents_md.BEGIN, agents_md.END):
        before, inside, after = (s.replace(marker, "") for s in (before, inside, after))
    path = Path("/p/AGENTS.md")
    added = agents_md.with_block(path, before)
    assert added.startswith(before) and added.rstrip("\r\n").endswith(agents_md.END)
    assert agents_md.with_block(path, added) == added
    text = f"{before}{agents_md.BEGIN}{inside}{agents_md.END}{after}"
    replaced = agents_md.with_block(path, text)
    assert replaced == before + agents_md.block(agents_md.newline_of(text)) + after
    assert agents_md.with_block(path, replaced) == replaced
    with pytest.raises(InvalidConfigFile):
        agents_md.with_block(path, f"{before}{agents_md.BEGIN}{after}")


# -- the real programs (tests/agents) -----------------------------------------------------------

#: A stand-in for ``ai-protocols`` that appends its arguments and the JSON on its
#: stdin, one line per call, to the file named in it.
STUB = """\
#!{python}
import json, sys
data = sys.stdin.read()
with open({record!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "payload": json.loads(data)}}) + "\\n")
"""


@pytest.fixture
def stub(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The environment that puts the stub first on the ``PATH``, and its record."""
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    record = tmp_path / "stub-calls.jsonl"
    program = folder / "ai-protocols"
    program.write_text(STUB.format(python=sys.executable, record=str(record)))
    program.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, record


def install_stubbed(hooks: Hooks, stub_env: dict[str, str], *args: str,
                    **config: str) -> None:
    """``hooks install ARGS``, run as ``python -m ai_protocols`` with the stub first on
    the ``PATH``: the hooks it writes run the stub, by its absolute path (the program
    ``hooks install`` writes is the one on ``PATH`` when it was not run as one)."""
    env = clean_env(**{"HOME": str(hooks.home), "CLAUDE_CONFIG_DIR": "", "CODEX_HOME": "",
                       **config})
    env["PATH"] = stub_env["PATH"]
    done = subprocess.run([sys.executable, "-m", "ai_protocols", "hooks", "install", *args],
                          cwd=hooks.repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    scope = args[args.index("--scope") + 1] if "--scope" in args else "project"
    paths = ((hooks.repo / ".claude/settings.json", hooks.repo / ".codex/hooks.json")
             if scope == "project" else
             (hooks.repo / ".claude/settings.local.json",
              *(Path(v) / n for v in config.values()
                for n in (".claude/settings.json", "settings.json", "hooks.json",
                          ".codex/hooks.json"))))
    written = next(path.read_text() for path in paths if path.is_file())
    # the project scope's hooks find the stub on the agent's PATH; the others name it
    assert (f"{FIND}ai-protocols hook " if scope == "project"
            else "stub-bin/ai-protocols hook ") in written, written


def calls(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def _session_start(record: Path, runtime: str, session_id: str | None) -> None:
    """The stub ran as our SessionStart hook of this session, with its payload."""
    started = [c for c in calls(record) if c["argv"][:2] == ["hook", "SessionStart"]]
    assert started, f"no SessionStart hook ran: {calls(record)}"
    assert started[0]["argv"] == ["hook", "SessionStart", "--runtime", runtime]
    payload = started[0]["payload"]
    assert payload["hook_event_name"] == "SessionStart" and payload["source"] == "startup"
    assert session_id is not None and payload["session_id"] == session_id


@pytest.mark.agents
def test_claude_plugin_dir_loads_the_plugin_and_runs_its_hooks(
        claude: Claude, hooks: Hooks, stub: tuple[dict[str, str], Path]) -> None:
    env, record = stub
    plugin = hooks("hooks", "plugin-dir").stdout.rstrip("\n")
    run = claude.run("hello", "--plugin-dir", plugin, env=env).check()
    _session_start(record, "claude", run.session_id)
    assert [c["argv"][1] for c in calls(record)] == \
        ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]
    assert not (claude.project / ".claude/settings.json").exists()  # the plugin alone


@pytest.mark.agents
@pytest.mark.parametrize("scope", ["project", "local", "user", "CLAUDE_CONFIG_DIR"])
def test_claude_runs_the_installed_hooks(claude: Claude, hooks: Hooks, tmp_path: Path,
                                         stub: tuple[dict[str, str], Path], scope: str) -> None:
    env, record = stub
    config = {"HOME": str(claude.home)}
    if scope == "CLAUDE_CONFIG_DIR":
        config["CLAUDE_CONFIG_DIR"] = str(tmp_path / "claude-config")
        env = {**env, "CLAUDE_CONFIG_DIR": config["CLAUDE_CONFIG_DIR"]}
    install_stubbed(hooks, env, "claude", "--scope",
          "user" if scope == "CLAUDE_CONFIG_DIR" else scope, **config)
    if scope == "CLAUDE_CONFIG_DIR":  # then ~/.claude/settings.json is not read at all
        ignored = claude.home / ".claude/settings.json"
        ignored.parent.mkdir(parents=True, exist_ok=True)
        ignored.write_text(dump({"hooks": {"SessionStart": [{"hooks": [
            {"type": "command", "command": record_hook(tmp_path / "ignored.jsonl")}]}]}}))
    run = claude.run("hello", env=env).check()
    _session_start(record, "claude", run.session_id)
    assert [c["argv"][1] for c in calls(record)] == \
        ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]
    assert recorded(tmp_path / "ignored.jsonl") == []


@pytest.mark.agents
def test_claude_runs_our_command_once_from_its_settings_but_again_from_the_plugin(
        claude: Claude, hooks: Hooks, stub: tuple[dict[str, str], Path]) -> None:
    """Why `hooks install claude` in the local and user scopes does no harm (one
    command, this machine's path), why it warns of the project scope with another (its
    command differs: it names no path), and why the docs say to use the plugin or the
    settings, not both."""
    env, record = stub
    for scope in ("local", "user"):
        install_stubbed(hooks, env, "claude", "--scope", scope, HOME=str(claude.home))
    claude.run("hello", env=env).check()
    assert [c["argv"][1] for c in calls(record)] == \
        ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]
    record.unlink()
    install_stubbed(hooks, env, "claude", "--scope", "project", HOME=str(claude.home))
    claude.run("hello", env=env).check()
    assert [c["argv"][1] for c in calls(record)] == \
        [event for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")
         for _ in range(2)]
    told = hooks("hooks", "install", "claude", "--scope", "project")
    assert ("they are in the local scope too" in told.stderr
            and "Claude Code runs the hooks of both files" in told.stderr), told.stderr
    told = hooks("hooks", "install", "claude", "--scope", "user")
    assert "Claude Code runs an identical command once" in told.stdout, told.stdout
    hooks("hooks", "uninstall", "claude", "--scope", "project")
    hooks("hooks", "uninstall", "claude", "--scope", "local")
    record.unlink()
    plugin = hooks("hooks", "plugin-dir").stdout.rstrip("\n")
    claude.run("hello", "--plugin-dir", plugin, env=env).check()
    assert [c["argv"][1] for c in calls(record)] == \
        [event for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")
         for _ in range(2)]


@pytest.mark.agents
@pytest.mark.parametrize("scope", ["project", "user"])
def test_codex_exec_runs_the_installed_hooks(codex: Codex, hooks: Hooks, scope: str,
                                             stub: tuple[dict[str, str], Path]) -> None:
    env, record = stub
    install_stubbed(hooks, env, "codex", "--scope", scope, CODEX_HOME=str(codex.codex_home))
    run = codex.run("hello", env=env).check()  # with --dangerously-bypass-hook-trust
    _session_start(record, "codex", run.session_id)
    assert [c["argv"][1] for c in calls(record)] == \
        ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]


@pytest.mark.agents
def test_codex_runs_the_hooks_of_both_scopes(codex: Codex, hooks: Hooks,
                                             stub: tuple[dict[str, str], Path]) -> None:
    """Why `hooks install codex` warns when the other scope has them too."""
    env, record = stub
    for scope in ("project", "user"):
        install_stubbed(hooks, env, "codex", "--scope", scope, CODEX_HOME=str(codex.codex_home))
    codex.run("hello", env=env).check()
    assert [c["argv"][1] for c in calls(record)] == \
        [event for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")
         for _ in range(2)]


@pytest.mark.agents
def test_codex_skips_the_hooks_until_they_are_trusted(
        codex: Codex, hooks: Hooks, stub: tuple[dict[str, str], Path]) -> None:
    """What `hooks install codex` warns about: without the trust review (or the bypass
    flag), Codex runs none of them, and says nothing."""
    env, record = stub
    install_stubbed(hooks, env, "codex")
    (codex.codex_home / "config.toml").write_text(codex.config())
    done = subprocess.run(
        [str(codex.program), "exec", "--dangerously-bypass-approvals-and-sandbox", "hello"],
        cwd=codex.project, env=codex.environment(env), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert codex.api.model_requests(), "codex never reached the model"
    assert calls(record) == []
    run = codex.run("hello", env=env).check()  # the same project, with the bypass
    _session_start(record, "codex", run.session_id)
