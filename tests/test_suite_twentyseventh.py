"""How the suite is run (twenty-seventh round, docs/decisions.md "Twenty-seventh round:
the suite's time"): the test files longest first by ``tests/durations.json``, which
``scripts/gen_test_durations.py`` writes from a run's JUnit XML, and the bytecode cache
of collection, put back before the tests run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conftest
from conftest import REPO_ROOT

GEN = REPO_ROOT / "scripts" / "gen_test_durations.py"


def _junit(cases: list[tuple[str, str, float]]) -> str:
    rows = "".join(f'<testcase classname="{c}" name="{n}" time="{t}"/>' for c, n, t in cases)
    return f'<?xml version="1.0"?><testsuites><testsuite>{rows}</testsuite></testsuites>'


def _load_gen():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_test_durations", GEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_durations_sum_each_files_tests_and_classes_longest_first(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(_junit([("tests.test_a", "t1", 1.25), ("tests.test_b.TestX", "t2", 3.0),
                             ("tests.test_a", "t3", 0.5), ("tests.test_b", "t4", 0.04)]))
    found = _load_gen().durations(junit)
    assert list(found.items()) == [("tests/test_b.py", 3.0), ("tests/test_a.py", 1.8)]


def test_an_unreadable_junit_is_refused_and_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "junit.xml"
    bad.write_text("<testsuites><testcase")
    table = REPO_ROOT / "tests" / "durations.json"
    before = table.read_bytes() if table.exists() else None
    for args in ([str(bad)], [str(tmp_path / "missing.xml")], []):
        done = subprocess.run([sys.executable, str(GEN), *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and done.stdout == "", done
        assert done.stderr.startswith(("gen_test_durations.py: cannot read", "usage:"))
    assert (table.read_bytes() if table.exists() else None) == before


FILES = st.sampled_from(["tests/test_a.py", "tests/test_b.py", "tests/test_c.py",
                         "tests/test_new.py"])


@settings(max_examples=200, deadline=None)
@given(nodes=st.lists(st.tuples(FILES, st.integers(0, 9)), max_size=30),
       seconds=st.fixed_dictionaries({}, optional={
           "tests/test_a.py": st.floats(0, 100), "tests/test_b.py": st.floats(0, 100),
           "tests/test_c.py": st.floats(0, 100)}))
def test_the_files_run_longest_first_an_unnamed_one_first_each_in_its_order(
        tmp_path_factory: pytest.TempPathFactory, nodes: list[tuple[str, int]],
        seconds: dict[str, float]) -> None:
    table = tmp_path_factory.mktemp("d") / "durations.json"
    table.write_text(json.dumps(seconds))
    items = [SimpleNamespace(nodeid=f"{file}::test_{n}") for file, n in nodes]
    ordered = list(items)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "DURATIONS", table)
        conftest.pytest_collection_modifyitems(ordered)
    assert sorted(map(id, ordered)) == sorted(map(id, items))  # the same items
    files = [item.nodeid.partition("::")[0] for item in ordered]
    weights = [seconds.get(file, float("inf")) for file in files]
    assert weights == sorted(weights, reverse=True)
    for file in set(files):  # each file's tests in their own order
        assert [i for i in ordered if i.nodeid.startswith(file)] == \
            [i for i in items if i.nodeid.startswith(file)]


def test_without_a_table_the_order_is_pytests(tmp_path: Path) -> None:
    items = [SimpleNamespace(nodeid=f"tests/test_{n}.py::t") for n in "cab"]
    ordered = list(items)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "DURATIONS", tmp_path / "none.json")
        conftest.pytest_collection_modifyitems(ordered)
    assert ordered == items


def test_the_tests_run_with_the_interpreters_bytecode_settings_as_started() -> None:
    """Whatever AI_PROTOCOLS_TEST_BYTECODE made of collection."""
    assert (sys.pycache_prefix, sys.dont_write_bytecode) == conftest._AS_STARTED
