#!/usr/bin/env python3
"""Write tests/durations.json from a whole-suite run's JUnit XML: each test file's
seconds (its tests' setup, call and teardown summed), the longest first.

    scripts/test --junitxml=/tmp/junit.xml
    .venv/bin/python scripts/gen_test_durations.py /tmp/junit.xml

tests/conftest.py orders the files by it, longest first, so that the workers of
``scripts/test`` end at about the same time (docs/performance.md, "Twenty-seventh round:
the suite's time"). Only the order of the files changes with it, never what a test checks;
a file it does not name runs first. Exits 2 with a message when the XML cannot be read.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "durations.json"


def durations(junit: Path) -> dict[str, float]:
    """Seconds per test file (``tests/test_x.py``) in the JUnit XML ``junit``, longest
    first, to a tenth of a second. Raises ``OSError`` or ``ElementTree.ParseError``."""
    totals: dict[str, float] = defaultdict(float)
    for case in ElementTree.parse(junit).iter("testcase"):
        module = case.get("classname", "").split(".")
        # classname is the module's dotted path, then the class, if any
        parts = [p for p in module if p]
        path = "/".join(parts[:next((i + 1 for i, p in enumerate(parts)
                                     if p.startswith("test_")), len(parts))]) + ".py"
        totals[path] += float(case.get("time") or 0)
    return {path: round(total, 1)
            for path, total in sorted(totals.items(), key=lambda item: (-item[1], item[0]))}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: gen_test_durations.py JUNIT_XML", file=sys.stderr)
        return 2
    try:
        found = durations(Path(argv[0]))
    except (OSError, ElementTree.ParseError) as error:
        print(f"gen_test_durations.py: cannot read {argv[0]}: {error}", file=sys.stderr)
        return 2
    OUT.write_text(json.dumps(found, indent=0) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(found)} files, {sum(found.values()):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
