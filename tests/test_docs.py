"""The documentation cannot drift from the code.

docs/cli.md must be exactly what scripts/gen_cli_docs.py writes; every
command, exit code and ``AI_*`` environment variable must be documented in the
user guide and the protocol; and the protocol shipped as ``.ai/protocols.org``
must stay a well-formed Org file with its scaffold marker.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ai_protocols import errors as _errors

from conftest import clean_env

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "ai_protocols"
CLI_MD = REPO_ROOT / "docs" / "cli.md"
USER_GUIDE = REPO_ROOT / "docs" / "user-guide.md"
PROTOCOLS = PACKAGE / "data" / "protocols.org"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", REPO_ROOT / "scripts" / "gen_cli_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _generator()


def _commands(gen: ModuleType) -> list[str]:
    return [" ".join(words) for words in gen.command_paths(gen._cli())]


def _table_codes(lines: list[str]) -> set[int]:
    """The numbers in the first column of the table rows among ``lines``."""
    codes = set()
    for line in lines:
        match = re.match(r"\|\s*(\d+)\s*\|", line)
        if match:
            codes.add(int(match.group(1)))
    return codes


def _section(text: str, heading: re.Pattern[str], next_heading: re.Pattern[str]) -> list[str]:
    """The lines after the first line matching ``heading``, up to the next heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if heading.match(line))
    body = []
    for line in lines[start + 1:]:
        if next_heading.match(line):
            break
        body.append(line)
    return body


def _documented_exit_codes() -> dict[int, list[str]]:
    from ai_protocols.cli.output import READER_GONE

    codes: dict[int, list[str]] = {0: ["success"], 2: ["click usage error"],
                                   READER_GONE: ["the reader of stdout went away"]}
    # (by __all__, not inspect.getmembers: the classes no hot command raises are made on
    # first use, errors.__getattr__, so a module's members depend on what ran before)
    for name in _errors.__all__:
        cls = getattr(_errors, name)
        if isinstance(cls, type) and issubclass(cls, _errors.AiProtocolsError):
            codes.setdefault(cls.exit_code, []).append(name)
    return codes


# -- docs/cli.md ----------------------------------------------------------------------------


def test_cli_reference_is_up_to_date(gen: ModuleType) -> None:
    expected = gen.render()
    actual = CLI_MD.read_text(encoding="utf-8") if CLI_MD.exists() else ""
    assert actual == expected, (
        "docs/cli.md is out of date with the commands' --help: reinstall the package "
        "(pip install .) and run `python scripts/gen_cli_docs.py`, then commit docs/cli.md"
    )


def test_cli_reference_covers_every_command(gen: ModuleType) -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    commands = _commands(gen)
    assert {"start", "log", "show", "wrap-up", "path", "list", "init", "agent-id"} <= set(commands)
    for command in commands:
        assert f"## `ai-protocols {command}`" in text
        assert f"Usage: ai-protocols {command} " in text


def test_cli_reference_does_not_depend_on_terminal(
    gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "37")
    narrow = gen.render()
    monkeypatch.setenv("COLUMNS", "250")
    assert gen.render() == narrow


# -- every command is documented --------------------------------------------------------------


@pytest.mark.parametrize("doc", [USER_GUIDE, PROTOCOLS], ids=lambda p: p.name)
def test_every_command_is_documented(gen: ModuleType, doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = [c for c in _commands(gen)
               if not re.search(rf"ai-protocols {re.escape(c)}(?![\w-])", text)]
    assert not missing, f"{doc.name} never mentions: " + ", ".join(
        f"ai-protocols {c}" for c in missing
    )


# -- every exit code is in the exit-code tables -----------------------------------------------


EXIT_CODE_TABLES = [
    (PROTOCOLS, r"\*+ Exit codes\s*$", r"\*+ "),
    (USER_GUIDE, r"#+ Exit codes\s*$", r"#+ "),
]


@pytest.mark.parametrize(("doc", "heading", "end"), EXIT_CODE_TABLES, ids=["protocols", "guide"])
def test_every_exit_code_is_in_the_table(doc: Path, heading: str, end: str) -> None:
    table = _section(doc.read_text(encoding="utf-8"), re.compile(heading), re.compile(end))
    documented = _table_codes(table)
    missing = {c: n for c, n in _documented_exit_codes().items() if c not in documented}
    assert not missing, f"exit codes missing from the table in {doc.name}: {missing}"


def test_exit_code_tables_name_no_unknown_code() -> None:
    known = set(_documented_exit_codes())
    for doc, heading, end in EXIT_CODE_TABLES:
        text = doc.read_text(encoding="utf-8")
        table = _table_codes(_section(text, re.compile(heading), re.compile(end)))
        assert table <= known, f"{doc.name} documents exit codes nothing uses: {table - known}"


# -- every AI_* environment variable is documented --------------------------------------------


def _environment_variables() -> set[str]:
    """Every ``AI_...`` name in the package source, minus Python constants it defines."""
    names: set[str] = set()
    constants: set[str] = set()
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        names |= set(re.findall(r"\bAI_[A-Z0-9][A-Z0-9_]*\b", text))
        if path.suffix == ".py":
            constants |= set(re.findall(r"^\s*(AI_[A-Z0-9_]+)\s*(?::[^=\n]*)?=[^=]", text,
                                        re.MULTILINE))
    return names - constants


def test_environment_variables_found() -> None:
    found = _environment_variables()
    assert {"AI_AGENT_ID", "AI_PROJECT_ROOT", "AI_PROTOCOLS_LOCK_TIMEOUT",
            "AI_PROTOCOLS_STALE_HOURS"} <= found
    assert "AI_DIR" not in found  # a constant, not an environment variable


@pytest.mark.parametrize("doc", [USER_GUIDE, PROTOCOLS], ids=lambda p: p.name)
def test_every_environment_variable_is_documented(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = sorted(v for v in _environment_variables()
                     if not re.search(rf"\b{v}\b", text))
    assert not missing, f"{doc.name} never mentions: {', '.join(missing)}"


# -- protocols.org is a well-formed Org file --------------------------------------------------


def test_protocol_keeps_scaffold_marker() -> None:
    lines = PROTOCOLS.read_text(encoding="utf-8").splitlines()
    marker = "# ai-protocols-scaffold: sha256=@SHA256@"
    assert marker in lines[:5], "the scaffold marker must be an Org comment near the top"
    assert sum("@SHA256@" in line for line in lines) == 1


def test_protocol_blocks_are_closed_and_escaped() -> None:
    lines = PROTOCOLS.read_text(encoding="utf-8").splitlines()
    open_block: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        begin = re.match(r"[ \t]*#\+begin_(\w+)", line, re.IGNORECASE)
        end = re.match(r"[ \t]*#\+end_(\w+)", line, re.IGNORECASE)
        if open_block is None:
            assert not end, f"line {number}: #+end_ without #+begin_"
            if begin:
                open_block = (number, begin.group(1).lower())
            continue
        if end:
            assert end.group(1).lower() == open_block[1], f"line {number}: wrong #+end_"
            open_block = None
            continue
        assert not re.match(r"\*+ ", line), f"line {number}: a headline inside a block"
        assert not re.match(r"[ \t]*(?:\*|#\+)", line), (
            f"line {number}: escape it with a comma, as Org does: {line!r}"
        )
    assert open_block is None, f"block opened on line {open_block[0]} is never closed"


def test_protocol_outline() -> None:
    text = PROTOCOLS.read_text(encoding="utf-8")
    assert text.startswith("#+TITLE: ")
    headlines = re.findall(r"^(\*+) (.*)$", text, re.MULTILINE)
    assert headlines and headlines[0][0] == "*"
    levels = [len(stars) for stars, _ in headlines]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), "a headline level is skipped"
    titles = {title for _, title in headlines}
    assert {"Exit codes", "Write rules", "The lifecycle", "The safe-id rule"} <= titles


def test_every_test_named_in_reliability_md_exists() -> None:
    """docs/reliability.md names the test behind each guarantee: each must exist."""
    text = (REPO_ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", text)
    assert len(named) > 40
    missing = []
    for path, name in named:
        file = REPO_ROOT / path
        source = file.read_text(encoding="utf-8") if file.exists() else ""
        if not re.search(rf"^def {name}\(", source, re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"


# -- docs/python-api.md -----------------------------------------------------------------------

API = REPO_ROOT / "docs" / "python-api.md"


def test_every_public_name_is_documented() -> None:
    """Each name ``ai_protocols`` exports has its heading in docs/python-api.md, or its row
    in the table of errors; each public method of Project has its own heading."""
    import ai_protocols
    from ai_protocols import Project

    text = API.read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{3,4} `([\w.]+)`$", text, re.MULTILINE))
    rows = set(re.findall(r"^\| `(\w+)` \|", text, re.MULTILINE))
    missing = [name for name in ai_protocols.__all__
               if name != "__version__" and name not in headings | rows]
    methods = [f"Project.{name}" for name, value in vars(Project).items()
               if not name.startswith("_") and (callable(value) or isinstance(value, classmethod))]
    missing += [name for name in methods if name not in headings]
    assert len(methods) >= 12
    assert not missing, f"docs/python-api.md does not document {missing}"
    unknown = sorted(h for h in headings - set(ai_protocols.__all__) - set(methods))
    assert not unknown, f"docs/python-api.md documents names that are not public: {unknown}"


def test_the_table_of_errors_is_the_code() -> None:
    import ai_protocols

    text = API.read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\w+)` \| (\d+) \|([^|]*)\|", text, re.MULTILINE)
    errors = {name for name in ai_protocols.__all__
              if isinstance(getattr(ai_protocols, name), type) and
              issubclass(getattr(ai_protocols, name), ai_protocols.AiProtocolsError)}
    assert {name for name, _, _ in table} == errors
    for name, code, fields in table:
        cls = getattr(ai_protocols, name)
        assert cls.exit_code == int(code), name
        params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"] \
            if cls is not ai_protocols.AiProtocolsError else []
        assert re.findall(r"`(\w+)`", fields) == params, name


@pytest.mark.parametrize("number", range(len(re.findall(
    r"^```python$", API.read_text(encoding="utf-8"), re.MULTILINE))))
def test_the_python_api_examples_run(number: int, repo: Path) -> None:
    """Each example of docs/python-api.md, run as written in a fresh git repository."""
    blocks = re.findall(r"^```python\n(.*?)^```$", API.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    result = subprocess.run([sys.executable, "-c", blocks[number]], cwd=repo,
                            capture_output=True, text=True, env=clean_env())
    assert result.returncode == 0, f"example {number + 1}:\n{blocks[number]}\n{result.stderr}"


def test_the_architecture_names_every_module() -> None:
    """docs/architecture.md has a row for each module of the package, and no other."""
    package = REPO_ROOT / "ai_protocols"
    modules = {str(p.relative_to(REPO_ROOT)) for p in package.rglob("*.py")
               if p.name != "__init__.py" or p.parent == package}
    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(ai_protocols/[\w/]+\.py)` \|", text, re.MULTILINE))
    assert rows == modules


def test_the_architecture_table_goes_from_the_bottom_up() -> None:
    """Each module of docs/architecture.md's table imports only modules listed before it
    (the layers the page promises), imports inside functions included."""
    from test_imports import import_graph

    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `ai_protocols/([\w/]+)\.py` \|", text, re.MULTILINE)
    order = ["ai_protocols" + ("" if row == "__init__" else "." + row.replace("/", "."))
             for row in rows]
    graph = import_graph()
    late = [(module, imported) for index, module in enumerate(order)
            for imported in sorted(graph[module])
            if imported in order and order.index(imported) > index]
    assert not late, f"modules that import one listed after them: {late}"


def test_the_session_file_is_written_in_one_place() -> None:
    """The lock, read, fold and write of a session file stand in the transaction alone
    (its locks in ``session/locks.py``, below it, which ``start`` takes without the write
    machinery: twenty-third round): no other module of the package locks a session file
    or folds pending entries."""
    package = REPO_ROOT / "ai_protocols"
    # The transaction's concerns stand in modules of their own (twenty-fifth round): as
    # one place here, "session/transaction.py".
    split = {f"session/{name}.py" for name in (
        "edit_base", "entries_compared", "carries", "wrapped_copy", "unmerged", "stale_saves",
        "stale_over",
        "replaced", "away", "transaction", "merge_kept")}
    assert all((package / name).is_file() for name in split)
    # The board's modules split by concern (twenty-seventh round): each as its old module.
    board_split = {f"board/{name}.py": f"board/{old}.py" for old, names in (
        ("board", ("board_edits", "board_lost", "board_write", "task_commands",
                   "lock_commands")),
        ("stale", ("stale_record", "stale_history"))) for name in names}
    assert all((package / name).is_file() for name in board_split)
    found = {}
    for path in package.rglob("*.py"):
        if path.name.startswith("_inits"):  # generated __init__s: fields named source=, no calls
            continue
        source = path.read_text(encoding="utf-8")
        for call in ("discard_partial_writes(", "read_pending(", "apply_entry(",
                     "locked_sessions(", "locked(", "atomic_write(", "source="):
            if re.search(rf"(?<![\w.]){re.escape(call)}|[.]{re.escape(call)}",
                         source.replace(f"def {call}", "")):
                name = str(path.relative_to(package))
                found.setdefault(call, set()).add(
                    "session/transaction.py" if name in split else board_split.get(name, name))
    assert found["discard_partial_writes("] == {  # and init's files, the archives, the board
        "session/transaction.py", "session/locks.py", "scaffold.py", "session/archive.py",
        "board/board.py"}  # the task board, its own file
    assert found["apply_entry("] == {"session/transaction.py"}
    assert found["read_pending("] == {"session/transaction.py", "session/project.py"}  # show
    assert found["locked("] == {  # the archive folder's lock, for the index; init's; the board's
        "session/locks.py", "storage/archive_index.py", "scaffold.py", "board/board.py"}
    imported = {str(path.relative_to(package)) for path in package.rglob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.module == "ai_protocols.storage.files"
                and {a.name for a in node.names} & {"locked", "atomic_write"}}
    assert imported == set()  # by name: nobody locks or writes a session file so
    # Who writes whole files: the transaction alone writes a session file; the others
    # write their own (a pending file, the index, init's files); the transaction
    # writes the archives and tombstones of the sessions it moves.
    assert found["atomic_write("] == {
        "session/transaction.py", "session/pending.py",
        "storage/archive_index.py", "scaffold.py",
        "integrations/install.py", "integrations/agents_md.py",  # agents' settings, AGENTS.md
        "session/merge.py",  # the merge driver's result, into git's own temporary file %A
        "integrations/spawn.py",  # how an agent without a session file ended, by its lease
        "board/board.py",  # a save displaced by the board's write, set aside
        "board/stale.py",  # the commit HEAD named at the board's last write, beside its kept copy
        "board/brought.py",  # the readers' kept "nothing lacking" check, beside it too
        "board/removed.py",  # the version a gone board came back whole from, beside it too
        "session/heads.py"}  # the readers' record of other agents' heads, under .locks/
    # The task board: written only over the very file it read (a person's save between
    # its read and its write is never written over).
    assert {board_split.get(name, name) for name in (
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if ".commit_unless_changed(" in path.read_text(encoding="utf-8"))} == {"board/board.py"}
    assert found["source="] == {"session/transaction.py",  # a file read to be spliced
                                "board/board.py"}
    # Who takes several session files' locks at once, and passes held=True.
    assert found["locked_sessions("] == {
        "session/transaction.py", "session/project.py", "session/recovery.py",
        "session/pause.py",  # abandon: the session's lock and the archive's
        "git/checkpoint.py"}  # the commit's time taken holding it (issue 14, 14th round)


def test_the_readme_performance_table_is_the_runs_it_names() -> None:
    """The README's table of budgets is ``scripts/bench --table`` of the three runs kept
    in docs/bench/ (each written by ``scripts/bench --json``): it cannot say other
    figures than those runs measured."""
    import json

    runs = sorted((REPO_ROOT / "docs" / "bench").glob("run*.json"))
    assert len(runs) == 3, runs
    table = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "bench"), "--table",
                            *map(str, runs)], capture_output=True, text=True, check=True,
                           timeout=60).stdout.strip()
    assert table.startswith("| command | budget |") and table.count("\n") > 20
    assert table in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commits = {json.loads(run.read_text())["commit"] for run in runs}
    assert len(commits) == 1 and f"commit `{commits.pop()}`" in \
        (REPO_ROOT / "README.md").read_text(encoding="utf-8")


# -- every message start prints is in the protocol ---------------------------------------


def _start_messages() -> list[str]:
    """The text each line ``start`` prints begins with, as ``cli/commands.py`` writes it:
    of each ``_echo`` in ``start`` whose text is written there, its first piece of two
    words or more (what stands around a value), the detail lines under a heading
    (indented) left out."""
    tree = ast.parse((PACKAGE / "cli/commands.py").read_text(encoding="utf-8"))
    start = next(node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == "start")
    found = []
    for node in ast.walk(start):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "_echo" and node.args):
            continue
        text = node.args[0]
        pieces = [text.value] if isinstance(text, ast.Constant) else \
            [p.value for p in text.values if isinstance(p, ast.Constant)] \
            if isinstance(text, ast.JoinedStr) else []
        if not pieces or pieces[0].lstrip("\n").startswith("  "):
            continue
        piece = next((p.strip() for p in pieces if len(p.split()) >= 2), None)
        if piece is not None:
            found.append(" ".join(piece.split()[:5]))
    return found


def test_the_protocol_names_every_message_start_prints() -> None:
    """``.ai/protocols.org`` tells agents what ``start`` prints and what to do then: each
    message ``start`` can print (fresh, already started, a leftover, a paused session
    resumed, an adopted one, a put-back archive, a kept copy brought back, the
    warnings and notes) is named there. A message added to ``start`` fails this until
    the protocol says it."""
    protocol = " ".join(PROTOCOLS.read_text(encoding="utf-8").split())
    messages = _start_messages()
    assert len(messages) >= 15, messages
    missing = [m for m in messages if m not in protocol]
    assert missing == [], f"start prints these, .ai/protocols.org does not say them: {missing}"


def test_the_duplicate_id_keys_in_the_docs_are_the_messages() -> None:
    """docs/tasks.md ("Duplicate ids") gives a person the same Emacs keys as every
    message about a duplicate id (``errors.DUPLICATE_FIX``): a fresh review found the doc
    left at keys the message had dropped (``TAB`` on a headline folds its drawer)."""
    from ai_protocols.errors import DUPLICATE_FIX

    keys = DUPLICATE_FIX[DUPLICATE_FIX.index("(open"):DUPLICATE_FIX.index(")") + 1]
    doc = " ".join((REPO_ROOT / "docs" / "tasks.md").read_text(encoding="utf-8").split())
    assert keys.replace("'", "") in doc.replace("`", "").replace("'", ""), keys


def _github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation other than
    ``-`` and ``_`` dropped, spaces made ``-`` (a repeated one gets ``-1``, ``-2``...)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^#+ (.*)$", text, re.MULTILINE):
        slug = _github_slug(match.group(1))
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def test_every_link_to_a_heading_finds_it() -> None:
    """Each link of README.md and docs/*.md to a heading (``(#x)``, ``(file.md#x)``)
    names a heading the target has (last review: python-api.md linked
    ``#aiprotocolserror``, which no heading makes)."""
    files = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    texts = {path: re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
             for path in files}
    anchors = {path.resolve(): _anchors(text) for path, text in texts.items()}
    broken = []
    for path, text in texts.items():
        for match in re.finditer(r"\]\(([\w./-]*\.md)?#([^)\s]+)\)", text):
            target = (path.parent / match.group(1)).resolve() if match.group(1) else \
                path.resolve()
            if target in anchors and match.group(2) not in anchors[target]:
                broken.append(f"{path.name}: {match.group(0)}")
    assert not broken, broken


#: A backquoted dotted name in the docs: a module path (``board.claim_history``, with or
#: without ``ai_protocols.``) and a name after it, optionally called (``()``).
_DOTTED = re.compile(r"`((?:ai_protocols\.)?[a-z_]+(?:\.[a-z_0-9]+)*)\.([A-Za-z_]\w*)(?:\(\))?`")


def _module_of(dotted: str) -> str | None:
    """The module ``dotted`` names under ``ai_protocols`` (``None``: no such file)."""
    parts = dotted.split(".")
    parts = parts[1:] if parts[0] == "ai_protocols" else parts
    path = PACKAGE.joinpath(*parts)
    if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
        return ".".join(["ai_protocols", *parts])
    return None


def test_every_module_name_the_docs_cite_is_in_that_module() -> None:
    """A ``module.name`` the docs cite (docs/*.md but decisions.md, the history of names
    as they were) names a module of the package that holds ``name`` (defines or imports
    it), or a module below it: a name moved to another module is cited there. Not a file
    name (``errors.py``) nor a placeholder in capitals (``errors.NAME``)."""
    import importlib

    wrong = []
    for path in sorted((REPO_ROOT / "docs").glob("*.md")):
        if path.name == "decisions.md":
            continue
        for match in _DOTTED.finditer(path.read_text(encoding="utf-8")):
            module, name = _module_of(match.group(1)), match.group(2)
            if module is None or name == "py" or name.isupper() or \
                    _module_of(f"{match.group(1)}.{name}") is not None:
                continue
            if not hasattr(importlib.import_module(module), name):
                wrong.append(f"{path.name}: {match.group(0)}")
    assert not wrong, wrong
