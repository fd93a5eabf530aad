"""``session/rollover.py`` split (twenty-seventh round): the rollover's plan (``plan``,
``held_by``, ``most_movable``, ``least_movable``, ``_Ties``, ``relink``...) moved to
``session/rollover_plan.py``, which only a write into a file past the bound imports, as a
pure move: every top-level definition of the old module stands, the same code (its AST,
compared to the old one's as git's history holds it), in one of the two; and a write
below the bound loads neither the plan nor the exceptions only a write raises.

docs/decisions.md, "Twenty-seventh round: the SessionStart hook beside 1,000 session
files".
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from test_fast_path import imported
from test_imports import PACKAGE, import_graph
from test_split_twentysixth import _old_source, flattened, split_sources

from conftest import Runner

#: The old module and the module split out of it (it imports the old one: the plan
#: stands above the checks every write makes).
OLD, PART = "rollover", "rollover_plan"
#: The agent of the session the hooks write into (the one ``start`` started).
AGENT = "host.proj.claude.1764000000"


def _source(name: str) -> str:
    return (PACKAGE / "session" / f"{name}.py").read_text(encoding="utf-8")


def _definitions(texts: list[str]) -> dict[str, str]:
    """The definitions of the module texts ``texts`` (``flattened``'s), each module's
    ``__all__`` left out (each its own list of what it gives: compared below)."""
    found: dict[str, str] = {}
    for text in texts:
        own = flattened([text], None)
        own.pop("__all__")
        assert not set(own) & set(found), set(own) & set(found)  # (none in both)
        found.update(own)
    return found


def test_the_split_is_a_pure_move() -> None:
    """Every definition of the old ``rollover.py`` stands, the same code, in
    ``rollover.py`` or ``rollover_plan.py``; none is new, none in both."""
    before = _definitions([_old_source("session", OLD, PART)])
    after = _definitions(split_sources("session", (OLD, PART), PART))
    assert set(before) == set(after), set(before) ^ set(after)
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, changed
    assert len(before) > 80, len(before)  # (read them all: one per function at least)
    assert {"plan", "held_by", "_Ties", "relink"} <= set(before) - set(_definitions(
        split_sources("session", (OLD,), PART)))  # (what moved is the plan's)


def test_the_names_each_module_gives_are_the_old_ones() -> None:
    """The two ``__all__`` lists together name what the old one named, once each."""
    def names(text: str) -> list[str]:
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
                return list(ast.literal_eval(node.value))
        raise AssertionError("no __all__")
    old = names(_old_source("session", OLD, PART))
    new = names(_source(OLD)) + names(_source(PART))
    assert sorted(old) == sorted(new)


def test_the_plan_stands_above_the_old_module() -> None:
    """``rollover_plan`` imports ``rollover``, never the other way (not even in a
    function): the checks every write makes load no part of the plan."""
    graph = import_graph()
    assert "ai_protocols.session.rollover" in graph["ai_protocols.session.rollover_plan"]
    assert "ai_protocols.session.rollover_plan" not in graph["ai_protocols.session.rollover"]


@pytest.mark.parametrize("event", ["SessionStart", "Stop", "PreCompact"])
def test_a_write_below_the_bound_loads_no_plan_and_no_write_exception(
        project: Path, run: Runner, event: str) -> None:
    """A hook's write into a small session file imports neither ``rollover_plan`` (nor
    ``org_links``, which only ``relink`` needs) nor ``errors_write``, while it does
    import ``rollover`` (the checks of earlier-entries files every write makes) and the
    session file gains the hook's write."""
    run("start", agent=AGENT)
    context = Path(run("path", agent=AGENT).stdout.strip())
    before = context.read_bytes()
    stdin = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                        "cwd": str(project), "hook_event_name": event, "source": "resume",
                        "trigger": "auto", "transcript_path": str(project / "t.jsonl")})
    found = imported(project, "hook", event, "--runtime", "claude", stdin=stdin,
                     AI_AGENT_ID=AGENT)
    assert "ai_protocols.session.rollover" in found  # (the probe saw the write)
    assert found & {"ai_protocols.session.rollover_plan", "ai_protocols.session.org_links",
                    "ai_protocols.errors_write"} == set()
    assert context.read_bytes() != before
