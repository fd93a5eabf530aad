"""The console script answers ``path``, ``log``, ``show``, ``resume`` and the other hot
commands (the task board's among them) without click (``ai_protocols.cli.main``). These
tests hold that fast path to the click CLI: the same options, read the same way, with the
same output and errors, and without importing click or the other heavy dependencies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.cli.app import GIVEN, cli
from ai_protocols.cli.options import (
    OPTIONS,
    Given,
    UsageProblem,
    log_entries,
    log_known,
    parse_command,
    parse_options,
    read_log_entries,
    scan,
)
from ai_protocols.session.model import ENTRY_KINDS

from conftest import CLI, Runner, clean_env

HEAVY = {"click", "filelock", "orgparse", "dateutil"}
FAST = sorted(OPTIONS)


def click_command(command: str) -> click.Command:
    """The click command named by ``command``'s words (``task add``)."""
    found: click.Command = cli
    for word in command.split():
        found = found.commands[word]  # type: ignore[attr-defined]
    return found


def click_context(command: str, args: list[str]) -> click.Context:
    """``command`` (its words) given ``args``, parsed by click under its groups' contexts,
    as the CLI runs it (click caches each command's help option with the first context's
    help option names, and docs/cli.md shows "-h")."""
    parent = click.Context(cli, info_name="ai-protocols", **cli.context_settings)
    words = command.split()
    for at, word in enumerate(words[:-1]):
        parent = click.Context(click_command(" ".join(words[:at + 1])), info_name=word,
                               parent=parent)
    return click_command(command).make_context(words[-1], args, parent=parent)


def click_options(command: str) -> list[tuple[str, str, str, str | None, object, object]]:
    """Each option of the click command: its long name, how it is read ("flag", "one",
    "many", or "int" for a whole number), the keyword it is passed as, its help text,
    its least value and its default."""
    table = []
    for param in click_command(command).params:
        if isinstance(param, click.Argument) and command != "hook":  # (hook's EVENT is its own)
            table.append((param.human_readable_name, "arguments" if param.nargs < 0 else
                          "argument", param.name, "", None, None))
        if isinstance(param, click.Option) and param.name != "help":
            [long_name] = [o for o in param.opts if o.startswith("--")]
            whole = isinstance(param.type, click.IntRange)
            how = "flag" if param.is_flag else "many" if param.multiple else \
                "int" if whole else "one"
            table.append((long_name, how, param.name, param.help,
                          param.type.min if whole else None,  # type: ignore[attr-defined]
                          param.default if whole else None))
    return table


@pytest.mark.parametrize("command", FAST)
def test_the_click_options_are_the_table(command: str) -> None:
    assert click_options(command) == [(o.name, o.how, o.dest, o.help, o.minimum, o.default)
                                      for o in OPTIONS[command]]


def test_every_kind_of_entry_is_an_option_of_log() -> None:
    """One table: a kind of entry added to ENTRY_KINDS is a ``log`` option of both paths."""
    names = [o.name for o in OPTIONS["log"]]
    assert names == [*(n for k in ENTRY_KINDS
                       for n in (k.option, *(["--rationale"] if k.kind == "decision" else []))),
                     "--task"]  # the task board's link (docs/tasks.md), not an entry
    for kind in ENTRY_KINDS:
        args = [kind.option, "x", *(["--rationale", "r"] if kind.kind == "decision" else [])]
        read = scan(args, log_known(), strict=True)
        assert read is not None and parse_options(args, "log") is not None
        entries = read_log_entries(log_entries(read[0]))
        assert [(e.kind, e.text) for e in entries] == [(kind.kind, "x")]


TOKENS = st.sampled_from([
    "--progress", "--decision", "--rationale", "--discovery", "--blocker", "--next", "--done",
    "--summary", "--json", "--runtime", "claude", "--runtime=codex", "--progress=a=b",
    "--summary=", "--json=1", "--nope", "-h", "--help", "--", "-", "x", "", "-x", "é ☕",
    "--progres", "@f", "--next", "--summary=x",
    # --max-bytes takes a whole number of at least 2560: the fast path reads plain digits
    # and leaves the rest (signs, spaces, "_", other scripts' digits) to click
    "--max-bytes", "--max-bytes=4096", "--max-bytes=2559", "--max-bytes=", "2560", "2559",
    "0", "-1", "+3000", " 3000", "3000 ", "3_000", "0003000", "٣٠٠٠", "1e4", "3000.0",
    "9" * 30, "--max-byte",
    # start, wrap-up, status, list
    "--title", "--title=t", "--agent", "--since=2d", "--since", "3h", "h.p.claude.1",
    # the task board's commands (task add|list|show|claim|release|done, lock, unlock, locks)
    "--role", "--role=r", "--tag", "--working-set", "src/", "--force", "--force=1", "--mine",
    "--free", "--all", "--checkpoint", "--checkpoint-ref", "HEAD", "--reason", "why",
    "--reason=-x", "0kjf4eha", "a b",
])


@pytest.mark.parametrize("command", FAST)
@settings(max_examples=400, deadline=None)
@given(args=st.lists(TOKENS, max_size=6))
def test_what_the_fast_parser_reads_click_reads_the_same(command: str, args: list[str]) -> None:
    parsed = parse_options(args, command)
    positional = {"hook": ["Stop"]}.get(command, [])  # its EVENT, before the options
    words = 0  # (a command's positional arguments come first: those scan does not read)
    while words < len(args) and not args[words].startswith("-"):
        words += 1
    try:
        refused = None
        scan(args[words:], {o.name: (o.how != "flag", o.dest, o.how in ("many", "flag"))
                            for o in OPTIONS[command]}, strict=True)
    except UsageProblem as problem:
        refused = str(problem)
    if refused is not None:  # what the fast path refuses, click refuses with its message
        with pytest.raises(click.UsageError) as raised:
            click_context(command, [*positional, *args])
        assert raised.value.message == refused
    if parsed is None:
        return  # left to click, which then answers it
    sub = click_context(command, [*positional, *args])
    assert parsed == {k: v for k, v in sub.params.items() if k != "event"}
    # ...and sees the options in the same order, each as it was written.
    read = parse_command(args, command)
    assert read is not None and sub.meta[GIVEN] == read[1]


def test_the_parser_gives_up_on_what_it_does_not_know() -> None:
    assert parse_options(["--progress"], "log") is None  # no value: click says so
    assert parse_options(["--help"], "log") is None
    assert parse_options(["--json=yes"], "show") is None
    for value in ("2559", "-3000", "+3000", " 3000", "3_000", "٣٠٠٠", "9" * 5000, ""):
        assert parse_options(["--max-bytes", value], "resume") is None, value
    assert parse_options([], "resume") == {"json": False, "max_bytes": 4096}
    assert parse_options(["--max-bytes=02560", "--json"], "resume") \
        == {"json": True, "max_bytes": 2560}
    assert parse_options(["--max-bytes=02560", "--max-bytes", "9000"], "resume") is None
    assert parse_options(["--progress", "a", "--progress=b", "--next=--done"], "log") \
        == {"progress": ("a", "b"), "decision": (), "rationale": (), "discovery": (),
            "blocker": (), "next": ("--done",), "done": (), "summary": None, "task": None,
                "current": None, "key_file": (), "context": ()}
    # What click would take silently, the fast path leaves to click, which refuses it:
    assert parse_options(["--next", "--done"], "log") is None
    assert parse_options(["--summary", "a", "--summary", "b"], "log") is None


def test_the_order_of_the_options_is_kept() -> None:
    read = scan(["--decision", "a", "--rationale=r", "--progress", "p", "--decision=b",
                 "--rationale", "r2"], log_known(), strict=True)
    assert read is not None
    assert read[0] == [Given("--decision", "a", True, 0), Given("--rationale", "r", False, 0),
                       Given("--progress", "p", True, 0), Given("--decision", "b", False, 0),
                       Given("--rationale", "r2", True, 0)]
    entries = read_log_entries(log_entries(read[0]))
    assert [(e.kind, e.text, e.rationale) for e in entries] == [
        ("progress", "p", None), ("decision", "a", "r"), ("decision", "b", "r2")]


CLICK_PATH = ("import sys; sys.argv[0] = 'ai-protocols'; "
              "from ai_protocols.cli.app import main; main()")


def run_both(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    """The console script (fast path) and the click CLI, on the same arguments."""
    fast = subprocess.run([str(CLI), *args], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, timeout=60)
    slow = subprocess.run([sys.executable, "-c", CLICK_PATH, *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    return fast, slow


def same(fast: subprocess.CompletedProcess[str], slow: subprocess.CompletedProcess[str]) -> None:
    assert (fast.returncode, fast.stdout, fast.stderr) == \
        (slow.returncode, slow.stdout, slow.stderr)


def test_show_prints_the_same_on_both_paths(project: Path, run: Runner) -> None:
    same(*run_both(project, "show"))  # no session yet: the same error and exit code
    run("start", "--title", "Both ways")
    run("log", "--progress", "one", "--next", "two\nlines", "--decision", "d",
        "--rationale", "r", "--summary", "s")
    for args in (["show"], ["show", "--json"]):
        fast, slow = run_both(project, *args)
        same(fast, slow)
        assert fast.returncode == 0 and "one" in fast.stdout
    assert json.loads(fast.stdout)["decisions"][0]["rationale"] == "r"


def test_resume_prints_the_same_on_both_paths(project: Path, run: Runner) -> None:
    for args in (["resume"], ["resume", "--json"]):  # no session yet: the context says so
        same(*run_both(project, *args))
    run("start", "--title", "Both ways")
    run("log", "--progress", "one", "--next", "two\nlines", "--decision", "d",
        "--rationale", "r", "--summary", "s", "--blocker", "b", "--discovery", "f")
    for n in range(40):
        run("log", "--next", f"step {n} " + "x" * 100)
    for args in (["resume"], ["resume", "--json"], ["resume", "--max-bytes", "2600"],
                 ["resume", "--json", "--max-bytes=3000"], ["resume", "--max-bytes", "2559"],
                 ["resume", "--max-bytes", "+3000"], ["resume", "--max-bytes", "lots"]):
        fast, slow = run_both(project, *args)
        same(fast, slow)
        if "2559" in args or "lots" in args or "+3000" in args:  # (ASCII digits only)
            assert fast.returncode == 2 and "Invalid value for '--max-bytes'" in fast.stderr
        else:
            assert fast.returncode == 0 and "one" in fast.stdout
            if "--json" in args:  # the bound left some of the 41 next steps out
                assert json.loads(fast.stdout)["left_out"]["next"] > 0
            else:
                assert "Left out to fit" in fast.stdout


@pytest.mark.parametrize("args", [
    ["log", "--progress", "a", "--blocker", "b"],
    ["log", "--done", "nothing like it"],  # exit 5 from the library
    ["log", "--decision", "no rationale"],  # exit 4 from the library
    ["log", "--rationale", "alone"],  # a usage error: click's own message, exit 2
    ["log"],
    ["log", "--progress", ""],
    ["show", "--json", "--json"],
])
def test_log_does_the_same_on_both_paths(tmp_path: Path,
                                         args: list[str]) -> None:
    projects = []
    for name in ("fast", "slow"):
        root = tmp_path / name / "proj"
        root.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        runner = Runner(root)
        runner("init")
        runner("start", "--title", "T")
        projects.append(root)
    fast = subprocess.run([str(CLI), *args], cwd=projects[0], env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    slow = subprocess.run([sys.executable, "-c", CLICK_PATH, *args], cwd=projects[1],
                          env=clean_env(), capture_output=True, text=True, timeout=60)

    def normal(text: str, root: Path) -> str:  # the two projects differ in path and time
        text = text.replace(str(root), "P")
        text = re.sub(r"(?m)^(:(?:UPDATED_AT|OWNER|SESSION_ID):).*$", r"\1", text)  # (random)
        text = re.sub(r'"updated_at": "[^"]*"', '"updated_at": T', text)
        return re.sub(r"\d{4}-\d\d-\d\d(?:T| [A-Z][a-z]{2} )\d\d:\d\d", "T", text)

    assert fast.returncode == slow.returncode
    for got, want in ((fast.stdout, slow.stdout), (fast.stderr, slow.stderr),
                      *[(p.read_text(), q.read_text()) for p, q in
                        [(projects[0] / ".ai/session-context.org",
                          projects[1] / ".ai/session-context.org")]]):
        assert normal(got, projects[0]) == normal(want, projects[1])


def imported(cwd: Path, *args: str, stdin: str = "", **env: str) -> set[str]:
    """The modules the console script imports for ``args`` (each by its full name, and
    each package above it by its own), with ``env`` added to the environment."""
    result = subprocess.run([sys.executable, "-X", "importtime", str(CLI), *args], cwd=cwd,
                            env=clean_env(**env), capture_output=True, text=True, timeout=60,
                            input=stdin)
    assert result.returncode == 0, result.stderr
    names = {line.rsplit("|", 1)[1].strip()
             for line in result.stderr.splitlines() if line.startswith("import time:")}
    return names | {name.split(".")[0] for name in names}


#: What no hot command may import (issue 16, docs/performance.md): the heavy dependencies,
#: and the standard modules that cost more than the command's own work.
NEVER = HEAVY | {"dataclasses", "inspect", "ast", "dis", "typing", "textwrap", "tempfile",
                 "shutil", "importlib.resources", "subprocess", "threading", "copy"}
#: What no hot command imports either since issue 16's second round: pathlib, which imports
#: fnmatch (and re), urllib.parse and ipaddress, a quarter of an interpreter's start (the
#: library works on str paths and builds a pathlib.Path only when the public API's caller
#: reads one), and hashlib, which loads OpenSSL's library (the SessionStart hook's digest
#: comes from the built-in sha256).
NO_PATHLIB = {"pathlib", "fnmatch", "urllib", "urllib.parse", "ipaddress", "ntpath", "hashlib"}
#: What no hot command imports since issue 16's part d: datetime.py (the library takes the
#: classes from the C module _datetime: lean.datetime), contextlib (class-based context
#: managers; it imports functools and collections), collections.abc (OrgFile's line view
#: takes Sequence from _collections_abc), the ascii codec (/proc is read as bytes) and
#: unicodedata (only a slug of a text that is not ASCII needs it).
LEAN = {"datetime", "contextlib", "collections.abc", "encodings.ascii", "unicodedata"}
#: What no hot command imports in a project without a task board since the twenty-sixth
#: round: the exceptions none of them raises (the board's, git's...), whose classes are
#: made on first use (a board's readers raise the board's).
RARE_NEVER = {"ai_protocols.errors_rare"}
#: What no hot command imports since the twenty-seventh round: the layout's re-exports
#: (the package's modules import its parts directly: importing it loads all six), and
#: git's history queries (git/history.py: a recorded commit or checkpoint asked about, a
#: board's or a stale save's history; the common case of none of them asks).
LAYOUT_NEVER = {"ai_protocols.session.layout", "ai_protocols.git.history"}
HOT_NEVER = NEVER | NO_PATHLIB | LEAN | LAYOUT_NEVER
#: What no hot command imports without a board since the twenty-eighth round: the
#: ``__init__``s compiled ahead for the board's and the integrations' classes
#: (``lean.ahead_module``: modules of their own), whose values it makes none of.
INITS_APART = {"ai_protocols._inits_board", "ai_protocols._inits_integrations"}
#: What ``resume``, ``start`` and the SessionStart hook need not since the twenty-eighth
#: round: the words of a resume warning once one applies (``resume_stash``,
#: ``resume_elsewhere``: session/resume.py split), imported where one is said.
RESUME_RARE = {"ai_protocols.session.resume_stash", "ai_protocols.session.resume_elsewhere"}
#: What a command that neither reads nor writes JSON imports neither (json imports re, and
#: re imports enum, functools and collections): not re either, since issue 16's part b; nor
#: operator.py, which collections imports (the library takes attrgetter and itemgetter from
#: the C module _operator, lean's: twenty-sixth round).
NO_JSON = {"json", "re", "enum", "functools", "collections", "bisect", "operator"}
#: What ``start`` of a session under way needs not: setting up, archiving (and with it
#: the archive index and json), git's processes (it reads HEAD from git's files).
STARTED_NEVER = {"json", "ai_protocols.scaffold", "ai_protocols.storage.archive_index",
                 "ai_protocols.git.state", "ai_protocols.errors_write"}
#: What a command that only reads a session needs not since issue 16's part e: the write
#: machinery (the edit transaction, the liveness evidence, the Emacs lock check).
READ_ONLY_NEVER = {"ai_protocols.session.transaction", "ai_protocols.liveness.evidence",
                   "ai_protocols.org.emacs_lock"}
#: The modules split out of the edit transaction (twenty-fifth round): no more than it.
TRANSACTION_SPLIT = {f"ai_protocols.session.{name}" for name in (
    "edit_base", "entries_compared", "carries", "wrapped_copy", "unmerged", "stale_saves",
    "stale_over",
    "replaced", "away", "merge_kept")}
READ_ONLY_NEVER |= TRANSACTION_SPLIT
#: What a command that only reads imports neither since the twenty-sixth round: the
#: exceptions only a write raises.
READ_ONLY_NEVER |= {"ai_protocols.errors_write"}
#: Nor, since the twenty-seventh round, fcntl (a C module of its own: it loads where a
#: lock is taken, storage.files.FLOCK) nor what only a write or a listing uses of the
#: layout: splicing (``splice``) and the links a move rewrites (``org_links``).
READ_ONLY_NEVER |= {"fcntl", "ai_protocols.session.splice", "ai_protocols.session.org_links"}
#: What ``resume`` needs not since issue 16's fifteenth round: the edit transaction and
#: the rollover under it (it imported them for a constant, ``OPERATION_SAID``, now in
#: git/head.py; the warnings that need them import them when they give one).
RESUME_NEVER = {"ai_protocols.session.transaction", "ai_protocols.session.rollover",
                "ai_protocols.org.emacs_lock", "ai_protocols.errors_write"} | TRANSACTION_SPLIT
#: Nor, since the twenty-seventh round: the other commands' output (``print_resume`` has a
#: module of its own), the pending entries (read with the whole session, not the brief
#: one), and what READ_ONLY_NEVER names since then.
RESUME_NEVER |= {"ai_protocols.cli.output", "ai_protocols.session.pending", "fcntl",
                 "ai_protocols.session.splice", "ai_protocols.session.org_links"}
#: What a hook that reads its payload needs not since issue 16's part e: json and re (the
#: payload is read by json's C scanner, lean.loads), unless it prints JSON; nor, since the
#: twenty-seventh round, the committed stale saves' rules (``stale_commit``), which a
#: write asks only of a file older than the copy kept of it.
HOOK_NEVER = NO_JSON | {"ai_protocols.session.stale_commit"}
#: What a write into a session file below the bound needs not since the twenty-seventh
#: round (issue 16, the SessionStart hook beside 1,000 files): the rollover's plan
#: (``rollover_plan``, with the links a move rewrites, ``org_links``), loaded by a write
#: into a file past the bound, and the exceptions only a write raises (``errors_write``),
#: made when one is raised or caught (docs/decisions.md); nor a stash pop's join rebuilt
#: (``git_join``), asked only of a save that lacks what the kept copy holds.
WRITE_NEVER = {"ai_protocols.session.rollover_plan", "ai_protocols.session.org_links",
               "ai_protocols.errors_write", "ai_protocols.session.git_join"}
#: Nor, since the twenty-eighth round, what names the cause of a replaced file
#: (``cause``: ``git_version`` is git/state.py's) nor the entries compared
#: (``entries_compared``), imported where a write finds a file replaced.
WRITE_NEVER |= {"ai_protocols.session.cause", "ai_protocols.session.entries_compared"}
#: Each hot command, the payload of a hook on its stdin, and what it may not import.
HOT: list[tuple[list[str], dict[str, str] | None, set[str]]] = [
    # (not even re: pip's wrapper of an entry point imported it, half an interpreter's start)
    (["path"], None, HOT_NEVER | {"datetime", "json", "re", "ai_protocols.errors",
                                  "ai_protocols.lean"}),
    (["log", "--progress", "x"], None,
     HOT_NEVER | NO_JSON | WRITE_NEVER | {"ai_protocols.session.stale_commit"}),
    # (show's JSON is written in pieces by output.json_pieces)
    (["show"], None, HOT_NEVER | NO_JSON | READ_ONLY_NEVER),
    # (its JSON comes from json's C encoder, lean.json_encoder, since issue 16's part e)
    (["show", "--json"], None, HOT_NEVER | READ_ONLY_NEVER | NO_JSON),
    (["resume"], None, HOT_NEVER | NO_JSON | RESUME_NEVER | RESUME_RARE),
    (["resume", "--json"], None, HOT_NEVER | RESUME_NEVER | RESUME_RARE),
    (["hook", "UserPromptSubmit", "--runtime", "claude"],
     {"hook_event_name": "UserPromptSubmit", "prompt": "Rename the parser's state field"},
     HOT_NEVER | {"datetime", "json", "re", "ai_protocols.session.project"}),
    (["hook", "UserPromptSubmit", "--runtime", "claude"],
     {"hook_event_name": "UserPromptSubmit", "prompt": "where were we?"},
     HOT_NEVER | HOOK_NEVER),
    # (without a board, none of the board's modules: paths.has_board, eleventh round)
    (["hook", "SessionStart", "--runtime", "claude"],
     {"hook_event_name": "SessionStart", "source": "resume"},
     HOT_NEVER | HOOK_NEVER | WRITE_NEVER | RESUME_RARE | {"ai_protocols.board"}),
    (["hook", "Stop", "--runtime", "claude"], {"hook_event_name": "Stop"},
     HOT_NEVER | HOOK_NEVER | WRITE_NEVER),
    (["hook", "PreCompact", "--runtime", "claude"],
     {"hook_event_name": "PreCompact", "trigger": "auto"},
     HOT_NEVER | HOOK_NEVER | WRITE_NEVER),
    (["hook", "SessionEnd", "--runtime", "claude"],
     {"hook_event_name": "SessionEnd", "reason": "other"},
     HOT_NEVER | HOOK_NEVER | WRITE_NEVER),
    (["start"], None, HOT_NEVER | STARTED_NEVER | NO_JSON | RESUME_RARE),
    (["status"], None, HOT_NEVER),
    (["status", "--json"], None, HOT_NEVER),
    (["list"], None, HOT_NEVER),
    (["list", "--json", "--since", "2d"], None, HOT_NEVER),
    (["wrap-up", "done for today"], None, HOT_NEVER),
]


@pytest.mark.parametrize(("args", "payload", "forbidden"), HOT,
                         ids=[" ".join(args[:2]) + (" --json" if "--json" in args else "") +
                              (" (intent)" if payload and payload.get("prompt", "").startswith(
                                  "where") else "")
                              for args, payload, _ in HOT])
def test_the_hot_commands_import_nothing_they_need_not(project: Path, run: Runner,
                                                       args: list[str],
                                                       payload: dict[str, str] | None,
                                                       forbidden: set[str]) -> None:
    run("start")
    stdin = "" if payload is None else json.dumps({
        "session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", "cwd": str(project),
        "transcript_path": str(project / "t.jsonl"), **payload})
    assert imported(project, *args, stdin=stdin) & (forbidden | RARE_NEVER | INITS_APART) \
        == set()


#: The board's writer, ``Board`` and its parts (twenty-seventh round's split).
BOARD_WRITER = {f"ai_protocols.board.{name}" for name in (
    "board", "board_edits", "board_lost", "board_write", "task_commands", "lock_commands")}
#: The board's merge and its parts (twenty-seventh round's split).
BOARD_MERGE = {f"ai_protocols.board.{name}" for name in (
    "merge", "merge_pairs", "merge_tasks", "merge_lacking")}
#: The session files' merge and its parts (twenty-eighth round's split).
SESSION_MERGE = {f"ai_protocols.session.{name}" for name in (
    "merge", "merge_units", "merge_drawer", "merge_entries", "merge_session", "merge_changes",
    "merge_diverged")}


def test_the_pre_tool_use_hook_on_a_board_imports_nothing_it_need_not(project: Path,
                                                                       run: Runner) -> None:
    """The PreToolUse hook runs before every file edit: on a board with another agent's
    live lock, an edit outside it reads the board and lets it through without json, re,
    pathlib or dataclasses (seen: 3.7x an interpreter's start, over the hooks' 3x),
    nor the board's writer and the liveness machinery it needs only to refuse."""
    run("task", "add", "a task", agent="other.1")
    run("lock", "src/", "--reason", "mine", agent="other.1")
    stdin = json.dumps({"session_id": "s", "cwd": str(project), "hook_event_name": "PreToolUse",
                        "tool_name": "Write",
                        "tool_input": {"file_path": str(project / "lib" / "x.py"),
                                       "content": "x"}})
    found = imported(project, "hook", "PreToolUse", "--runtime", "claude", stdin=stdin,
                     AI_AGENT_ID="me.1")
    assert found & (HOT_NEVER | HOOK_NEVER | BOARD_WRITER | {
        "ai_protocols.session.project"}) == set()
    assert "ai_protocols.board.guard" in found  # (the probe saw the board read)


def test_the_session_start_hook_on_a_board_imports_nothing_it_need_not(project: Path,
                                                                         run: Runner) -> None:
    """With a board (another agent's task on it), the SessionStart hook's context reads the
    board for the agent's own tasks, and compares it with its kept copy; the merge
    machinery (the board's and the session files', which it imports) is for a kept copy
    that differs only: the board this tool wrote last is the board there (eleventh round:
    imported every time, about as much as all the rest of the hook)."""
    run("task", "add", "a task", agent="other.1")
    run("start")
    stdin = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                        "cwd": str(project), "hook_event_name": "SessionStart",
                        "source": "startup"})
    found = imported(project, "hook", "SessionStart", "--runtime", "claude", stdin=stdin)
    assert found & (HOT_NEVER | HOOK_NEVER | BOARD_WRITER | BOARD_MERGE | SESSION_MERGE | {
        "ai_protocols.board.model"}) == set()
    assert "ai_protocols.board.board_read" in found  # (the probe saw the board read)


#: A git first on PATH that writes each command line it is given to $GIT_RUNS, then runs
#: the real git: every git process a command starts, counted.
_COUNTING_GIT = """#!/bin/sh
printf '%s\\n' "$*" >> "$GIT_RUNS"
exec {git} "$@"
"""


def test_the_session_start_hook_runs_git_once(project: Path, run: Runner,
                                              tmp_path: Path) -> None:
    """The SessionStart hook of a session under way whose start writes nothing (a
    compaction, the same agent process) uses the git run it started before the library
    was imported: one ``git status`` and one ``git show`` of the last commit, none run
    again; before the first commit, no ``git show`` at all (there is nothing to show:
    ``HEAD``'s files say so). Counted by a git on PATH that logs each run (eleventh
    round: the hook ran both, then waited for them, after its start)."""
    import shutil

    real = shutil.which("git")
    assert real is not None
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text(_COUNTING_GIT.format(git=real))
    (fake / "git").chmod(0o755)
    runs = tmp_path / "git-runs"
    env = clean_env(PATH=f"{fake}:{os.environ['PATH']}", GIT_RUNS=str(runs))

    def session_start(source: str) -> list[str]:
        runs.write_text("")
        data = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                           "cwd": str(project), "hook_event_name": "SessionStart",
                           "source": source})
        done = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                              cwd=project, env=env, input=data, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line.split()[2] for line in runs.read_text().splitlines()]  # (-C ROOT CMD)

    session_start("startup")  # (a fresh file: git runs after the start wrote it)
    assert session_start("compact") == ["status"]  # (an unborn branch: nothing to show)
    (project / "a.txt").write_text("a\n")
    for args in (["add", "-A"], ["commit", "-qm", "first"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                       env=clean_env(GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.com",
                                     GIT_COMMITTER_NAME="T",
                                     GIT_COMMITTER_EMAIL="t@example.com"))
    assert sorted(session_start("compact")) == ["show", "status"]


@pytest.mark.parametrize("agent", ["vm.proj.claude.1718400000-3f2a9c1b7d4e", "codex"])
def test_an_agents_start_imports_no_regular_expressions(project: Path, run: Runner,
                                                        agent: str) -> None:
    """``start`` of an agent (``AI_AGENT_ID`` set, with a run's tail or without) asks
    whether its id has a run's tail (``identity.has_unique_tail``, with ``str`` methods)."""
    run("start", agent=agent)
    assert imported(project, "start", AI_AGENT_ID=agent) & (HOT_NEVER | NO_JSON) == set()


def test_the_import_probe_sees_click(project: Path, run: Runner) -> None:
    """The probe above can fail: a command left to click imports it, and with it most of
    what the hot commands may not import."""
    run("start")
    assert {"click", "inspect", "typing"} <= imported(project, "log", "--help")


# -- no regular expressions on the hot paths (issue 16) ------------------------------------

#: A sitecustomize that records, at exit, every module that runs ``import re`` (or
#: ``from re import ...``), whether or not re was loaded already: so a module of ours
#: is caught even when pathlib imported re first.
_RE_PROBE = '''
import atexit, builtins, os
_import, _who = builtins.__import__, []
def _probe(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.partition(".")[0] == "re":
        who = (globals or {}).get("__name__", "?")
        if who not in _who:
            _who.append(who)
    return _import(name, globals, locals, fromlist, level)
builtins.__import__ = _probe
@atexit.register
def _report():
    with open(os.environ["RE_PROBE_OUT"], "w") as out:
        out.write(" ".join(_who))
'''
#: Each command whose path must not import re, and what else may import it there.
NO_RE: list[tuple[list[str], set[str]]] = [
    (["log", "--progress", "Fixed the parser; 3 tests pass"], set()),
    (["log", "--decision", "Use str methods", "--rationale", "re costs 4.5 ms"], set()),
    (["log", "--discovery", "json imports re", "--blocker", "none — really"], set()),
    (["log", "--next", "Measure it\nthen report", "--context", "see issue 16"], set()),
    (["log", "--done", "Measure it"], set()),
    (["log", "--summary", "All good so far", "--key-file", "README.md"], set()),
    (["resume"], set()),
    (["start"], set()),
    (["start", "--title", "Another go"], set()),
    # The archive index's row is JSON (json imports re): see docs/performance.md.
    (["wrap-up", "done for today"], {"json.decoder", "json.scanner", "json.encoder"}),
]


def importers_of_re(cwd: Path, probe: Path, *args: str) -> set[str]:
    """The modules that ran ``import re`` while the console script ran ``args``."""
    out = probe / "importers"
    result = subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=60, env=clean_env(PYTHONPATH=str(probe),
                                                      RE_PROBE_OUT=str(out)))
    assert result.returncode == 0, result.stderr
    return set(out.read_text().split())


@pytest.fixture
def re_probe(tmp_path: Path) -> Path:
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(_RE_PROBE)
    return probe


@pytest.mark.parametrize(("args", "allowed"), NO_RE, ids=[" ".join(a[:2]) for a, _ in NO_RE])
def test_the_hot_commands_import_no_regular_expressions(project: Path, run: Runner,
                                                        re_probe: Path, args: list[str],
                                                        allowed: set[str]) -> None:
    """``log`` (every kind of entry), ``resume``, ``start`` and ``wrap-up`` read and write a
    session file the tool wrote without the library's modules importing re (issue 16)."""
    (project / "README.md").write_text("read me\n")
    if args != ["start", "--title", "Another go"]:  # (that one starts a fresh file)
        run("start", "--title", "First go")
        run("log", "--next", "Measure it", "--decision", "d", "--rationale", "r",
            "--progress", "p [1/2] <2026-11-30>", "--next", "two\nlines")
    assert importers_of_re(project, re_probe, *args) <= allowed


@pytest.mark.parametrize("name", ["05-person-notes", "08-logbook-clock", "11-crlf",
                                  "14-tabs", "22-planning", "25-lists", "26-drawers",
                                  "27-keywords-unicode", "28-adapt-indentation"])
def test_a_persons_file_needs_no_regular_expressions(project: Path, run: Runner,
                                                     re_probe: Path, name: str) -> None:
    """... and a session file as a person left it in Emacs (tests/corpus): drawers,
    tables, planning lines, CRLF, tabs, lists of every form Org writes."""
    run("start")
    corpus = Path(__file__).parent / "corpus" / f"{name}.org"
    (project / ".ai" / "session-context.org").write_bytes(corpus.read_bytes())
    # (as the tool's own last version: its kept copy, a copy with the file's time)
    shutil.copy2(project / ".ai" / "session-context.org",
                 project / ".ai" / ".locks" / "live" / "session-context.org")
    for args in (["resume"], ["log", "--progress", "x", "--next", "y"], ["start"]):
        assert importers_of_re(project, re_probe, *args) == set(), args


def test_the_re_probe_sees_an_import_of_re(project: Path, run: Runner, re_probe: Path) -> None:
    """The probe can fail: text that needs a regular expression imports re, through
    ai_protocols.lean (a link of a type Org would follow, and a live footnote)."""
    run("start")
    assert "ai_protocols.lean" in importers_of_re(
        project, re_probe, "log", "--progress", "see [fn:1] and <<target>>]")
