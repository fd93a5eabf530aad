"""scripts/install-org-judges: says what it installs and why, fails loudly, keeps its cache
whole, and does nothing the second time.

The install itself (Emacs 30 from Debian's bookworm-backports, unpacked into the
cache) is what every Emacs test's second judge runs; here, the cached install
is found again, and an install that cannot reach its mirror fails with exit
code 1, naming the mirror, and leaves nothing half-done in the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from emacs import CACHE

SCRIPT = REPO_ROOT / "scripts" / "install-org-judges"


def install(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **env})


def test_an_unreachable_mirror_fails_loudly_and_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = install({"AI_PROTOCOLS_ORG_JUDGES_CACHE": str(cache),
                      "AI_PROTOCOLS_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"})
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    said = result.stderr.splitlines()
    assert said[0].startswith("install-org-judges: installing Emacs 30 (Org 9.7) from "
                              "Debian's bookworm-backports into ")
    assert "Org 9.7 as well as Org 9.5" in said[0]
    assert "error: apt-get update of bookworm and bookworm-backports from " \
           "http://127.0.0.1:9/debian failed" in result.stderr
    assert list(cache.iterdir()) == [], "a half-done install was left in the cache"


def test_an_installed_judge_is_found_again() -> None:
    """The cache scripts/test filled (the tests' second judge runs from it)."""
    result = install({"AI_PROTOCOLS_ORG_JUDGES_CACHE": str(CACHE)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "it reinstalled, or said something, with the judge in place"
    launcher = Path(result.stdout.strip())
    assert launcher == CACHE / "emacs-30" / "bin" / "emacs" and os.access(launcher, os.X_OK)
