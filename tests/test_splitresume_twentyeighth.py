"""``session/resume.py`` (2,686 lines) split by concern (twenty-eighth round) into
``resume_form`` (the context's value, the board's tasks it shows, its text and JSON
forms), ``resume_stash`` and ``resume_elsewhere`` (what a warning says once one applies)
and ``resume`` (the context gathered, and the checks every read makes), as a pure move:
every top-level definition of the old module stands, the same code (its AST, compared to
the old one's as git's history holds it at the commit before the split), in one module
of the split; ``resume``, ``start`` and the SessionStart hook load the two warning parts
only where a warning is said; and the ``__init__``s compiled ahead stand in one module per
``lean.ahead_module``'s rule.

docs/decisions.md, "Twenty-eighth round: the SessionStart hook beside 1,000 files, and
resume.py split".
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fast_path import imported
from test_imports import PACKAGE, import_graph
from test_split_twentysixth import (
    _module,
    _old_source,
    flattened,
    imported_names,
    missing_names,
    split_sources,
)

from ai_protocols import lean

from conftest import Runner

#: The parts from the bottom up (as docs/architecture.md lists them), the old module last
#: (it stands above them).
PARTS = ("resume_form", "resume_stash", "resume_elsewhere")
OLD = "resume"
#: The parts a read loads only where a warning is said.
RARE = {_module("session", "resume_stash"), _module("session", "resume_elsewhere")}
AGENT = "host.proj.claude.1764000000"


def _source(name: str) -> str:
    return (PACKAGE / "session" / f"{name}.py").read_text(encoding="utf-8")


def _definitions(texts: list[str]) -> dict[str, str]:
    """The definitions of the module texts ``texts`` (``flattened``'s), ``__all__`` left
    out (the old module keeps its own list: compared below); none defined twice."""
    found: dict[str, str] = {}
    for text in texts:
        own = flattened([text], None)
        own.pop("__all__", None)
        assert not set(own) & set(found), set(own) & set(found)
        found.update(own)
    return found


def test_the_split_is_a_pure_move() -> None:
    """Every definition of the old ``resume.py`` stands, the same code, in one module of
    the split as its commit made it; none is new, none in two."""
    before = _definitions([_old_source("session", OLD, PARTS[0])])
    after = _definitions(split_sources("session", (*PARTS, OLD), PARTS[0]))
    assert set(before) == set(after), set(before) ^ set(after)
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, changed
    assert len(before) > 100, len(before)  # (read them all: one per function at least)


def test_the_comparison_is_of_the_old_module_whole() -> None:
    """The reference is the old module at the commit before the split: over 2,000 lines
    (a part in its place would prove nothing), and its ``__all__`` is the one
    ``resume.py`` still has."""
    old = _old_source("session", OLD, PARTS[0])
    assert len(old.splitlines()) > 2000

    def names(text: str) -> list[str]:
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
                return list(ast.literal_eval(node.value))
        raise AssertionError("no __all__")
    assert names(old) == names(_source(OLD))


@pytest.mark.parametrize("name", [*PARTS, OLD])
def test_each_module_reads_in_one_sitting(name: str) -> None:
    """At most 1,000 lines each, and a docstring that points to the decisions."""
    text = _source(name)
    assert len(text.splitlines()) <= 1000, name
    assert "docs/decisions.md" in (ast.get_docstring(ast.parse(text)) or ""), name


def test_the_parts_stand_below_the_old_module() -> None:
    """Each part imports (at its top or in a function) none listed after it nor the old
    module; the two warning parts each other neither; ``resume`` imports only the form at
    its top (the import rule of docs/architecture.md)."""
    graph = import_graph()
    for index, name in enumerate(PARTS):
        above = {_module("session", later) for later in (*PARTS[index + 1:], OLD)}
        assert not graph[_module("session", name)] & above, name
    assert _module("session", "resume_stash") not in graph[_module("session", "resume_elsewhere")]
    assert {_module("session", name) for name in PARTS} <= graph[_module("session", OLD)]
    top = {node.module for node in ast.parse(_source(OLD)).body
           if isinstance(node, ast.ImportFrom)}
    assert top & RARE == set()  # (in functions only: where a warning is said)
    assert _module("session", "resume_form") in top


def test_every_name_imported_from_the_old_module_is_still_there() -> None:
    """What the package's modules and the tests import from ``resume`` it still has."""
    wanted = imported_names(_module("session", OLD))
    assert {"resume_context", "DEFAULT_MAX_BYTES", "dumps", "ResumeContext"} <= wanted
    assert missing_names(_module("session", OLD), wanted) == []


def _started(run: Runner) -> None:
    run("start", agent=AGENT)


@pytest.mark.parametrize("args", [["resume"], ["resume", "--json"], ["start"]])
def test_a_read_loads_no_warning_part_when_none_is_said(project: Path, run: Runner,
                                                         args: list[str]) -> None:
    """``resume`` and ``start`` of a session under way, nothing replaced nor elsewhere,
    load the form and the context (the probe sees them) and neither warning part, nor
    the ``__init__``s of the board's and the integrations' classes."""
    _started(run)
    found = imported(project, *args, AI_AGENT_ID=AGENT)
    assert {_module("session", "resume"), _module("session", "resume_form")} <= found
    assert found & (RARE | {"ai_protocols._inits_board", "ai_protocols._inits_integrations"}) \
        == set()


def test_the_session_start_hook_loads_no_warning_part_nor_the_cause(project: Path,
                                                                    run: Runner) -> None:
    """The SessionStart hook's write and context load none of the warning parts, of what
    names a replaced file's cause (``cause``: ``git_version`` stands in git/state.py) or
    of the entries compared, and the session file gains the hook's write."""
    _started(run)
    context = Path(run("path", agent=AGENT).stdout.strip())
    before = context.read_bytes()
    stdin = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                        "cwd": str(project), "hook_event_name": "SessionStart",
                        "source": "resume", "transcript_path": str(project / "t.jsonl")})
    found = imported(project, "hook", "SessionStart", "--runtime", "claude", stdin=stdin,
                     AI_AGENT_ID=AGENT)
    assert {"ai_protocols.session.transaction", "ai_protocols.session.resume"} <= found
    assert found & (RARE | {"ai_protocols.session.cause",
                            "ai_protocols.session.entries_compared"}) == set()
    assert context.read_bytes() != before


def test_the_cause_still_gives_git_version() -> None:
    """``git_version`` is git/state.py's; the cause's module still gives it (and the
    transaction, whence the board's modules import it), the same function."""
    from ai_protocols.git.state import git_version
    from ai_protocols.session import cause, transaction

    assert cause.git_version is git_version is transaction.git_version


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
                min_size=1, max_size=5))
def test_each_class_has_one_module_of_inits_compiled_ahead(parts: list[str]) -> None:
    """``lean.ahead_module``: the classes of ``ai_protocols.board.*`` and
    ``ai_protocols.integrations.*`` have a module of their own each, every other module's
    (the package's top modules included, and a name outside the package) ``_inits``."""
    name = ".".join(["ai_protocols", *parts])
    found = lean.ahead_module(name)
    if len(parts) > 1 and parts[0] in lean.AHEAD_APART:
        assert found == f"ai_protocols._inits_{parts[0]}"
    else:
        assert found == "ai_protocols._inits"
    assert lean.ahead_module(".".join(parts)) == "ai_protocols._inits"


def test_each_generated_module_serves_its_classes() -> None:
    """Every value class of the package finds its ``__init__`` compiled ahead in the
    module ``lean.ahead_module`` names for it."""
    import importlib
    import pkgutil

    import ai_protocols

    for module in pkgutil.walk_packages(ai_protocols.__path__, "ai_protocols."):
        if module.name != "ai_protocols.__main__":
            importlib.import_module(module.name)
    modules = {name: importlib.import_module(name).INITS for name in (
        "ai_protocols._inits", "ai_protocols._inits_board", "ai_protocols._inits_integrations")}
    seen = 0
    for cls, names, defaults, frozen in lean.RECORDS:
        if not cls.__module__.startswith("ai_protocols."):
            continue
        source = lean.init_source(names, defaults, frozen, lean.path_fields(cls, names))[0]
        home = lean.ahead_module(cls.__module__)
        assert source in modules[home], cls
        seen += 1
    assert seen > 30
    assert all(modules.values())  # (each module serves some class)
