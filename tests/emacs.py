"""Real Emacs as the judge of Org: run scripts/org-element-json.el over many files.

Emacs takes about half a second to start, so every call parses a batch of
files. ``scripts/test`` installs Emacs where it is missing; a missing Emacs
here is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "org-element-json.el"
BATCH = 200


def emacs() -> str:
    found = shutil.which("emacs")
    if found is None:
        raise AssertionError("Emacs is not installed; scripts/test installs emacs-nox")
    return found


def org_element(paths: Sequence[str | os.PathLike[str]]) -> list[dict]:
    """What org-element parses in each file, in order (see the script's header)."""
    results: list[dict] = []
    for start in range(0, len(paths), BATCH):
        chunk = [str(p) for p in paths[start:start + BATCH]]
        done = subprocess.run([emacs(), "--batch", "-Q", "-l", str(SCRIPT), *chunk],
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "LC_ALL": "C.UTF-8"})
        assert done.returncode == 0, done.stderr
        results += json.loads(done.stdout)
    for result in results:
        assert "error" not in result, f"Emacs could not read {result['file']}: {result['error']}"
    return results


def org_element_one(path: str | os.PathLike[str]) -> dict:
    return org_element([path])[0]


_STAMPED = re.compile(r"\[\d{4}-\d\d-\d\d [A-Za-z]{3} \d\d:\d\d\]")


def assert_reader_agrees(path: str | os.PathLike[str], parsed: dict) -> None:
    """The library's reading of ``path`` matches org-element's (``parsed``): headlines
    (level, title, TODO keyword, tags), real property drawers and their values, and
    the stamped entries with their checkboxes and timestamps."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.org.syntax import parse_entries

    doc = OrgFile(Path(path).read_bytes().decode("utf-8"))
    ours = [(h.line + 1, h.level, h.raw_title, h.todo, list(h.tags), h.drawer is not None,
             h.properties) for h in doc.headlines]
    theirs = [(h["line"], h["level"], h["title"], h["todo"], h["tags"],
               bool(h["property_drawer"]),
               {k.upper(): v.strip() for k, v in h["properties"].items()})
              for h in parsed["headlines"]]
    assert ours == theirs, f"{path}: headlines differ"

    items = {i["line"]: i for i in parsed["items"]}
    stamps: dict[int, list[str]] = {}
    for stamp in parsed["timestamps"]:
        stamps.setdefault(stamp["line"], []).append(stamp["raw"])
    found: set[int] = set()
    bodies = [(h.body_start, h.body_end) for h in doc.headlines]
    first = doc.headlines[0].line if doc.headlines else len(doc.lines)
    for start, end in [(0, first), *bodies]:
        for entry in parse_entries(doc.lines, start, end, doc.newline):
            line = entry.line + 1
            found.add(line)
            assert line in items, f"{path}:{line}: an entry Emacs does not see as an item"
            box = items[line]["checkbox"]
            expected = {None: None, "on": True, "off": False, "trans": False}[box]
            assert entry.done == expected, f"{path}:{line}: checkbox {box} read as {entry.done}"
            raw = _STAMPED.search(doc.lines[entry.line])
            assert raw and raw.group(0) in stamps.get(line, []), \
                f"{path}:{line}: Emacs sees no timestamp {raw}"
    for line, item in items.items():
        text = doc.lines[line - 1]
        if item["depth"] == 0 and text.startswith("- ") and \
                _STAMPED.match(item["first_line"]) and not item["tag"]:
            assert line in found, f"{path}:{line}: an item Emacs sees that the library misses"
