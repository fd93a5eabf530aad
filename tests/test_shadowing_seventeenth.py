"""Issue 16, seventeenth round: a function of the package never names a local value
after a function of its module that it calls (``org.syntax._stamp_time`` named the
hour's width ``digits``, then called ``lean.digits``: a ``TypeError`` for any item
whose timestamp is not the tool's own form and has a clock time, a range
``[...]--[...]`` among them)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ai_protocols"


def test_no_local_value_hides_a_function_it_calls() -> None:
    """For each function: no name it assigns is both a name its module imports or
    defines at the top and a name it calls (the call would call the local value)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module.add(node.name)
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            stored = {n.id for n in ast.walk(function)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            called = {n.func.id for n in ast.walk(function)
                      if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            found += [f"{path.name}:{function.lineno} {function.name}: {name}"
                      for name in sorted(stored & called & module)]
    assert found == []


def test_a_range_timestamp_reads_its_first_moment() -> None:
    """An item stamped with a range, another form than the tool's own, reads as Org
    reads it: its first timestamp's moment."""
    from ai_protocols.lean import datetime
    from ai_protocols.org.syntax import parse_entries

    lines = ["- [2026-11-21 Sat 10:08]--[2026-11-21 Sat 11:00] range",
             "- [2026-11-21  10:09] two spaces"]
    entries = parse_entries(lines, 0, len(lines))
    assert [entry.time for entry in entries] == [datetime(2026, 11, 21, 10, 8),
                                                 datetime(2026, 11, 21, 10, 9)]
