"""Real Emacs as the judge of Org: run scripts/org-element-json.el over many files.

Emacs takes about half a second to start, so every call parses a batch of
files. ``scripts/test`` installs Emacs where it is missing; a missing Emacs
here is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
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
