"""docs/checkpoints.md and the "not in this clone" warning agree on what its count
counts (issue 14, eighth review).

Seen: the page said that, when the checkpoint is not in this clone, the warning
gives the recorded count "and says that it includes those under `.ai/`"; it said no
such thing, and the count recorded (``CHECKPOINT_FILES``) leaves `.ai/` out, as
the count of a checkpoint that is here does. Decided: one count, of the work (files
outside `.ai/`), in both cases; the page says so, and this checks both the page and
the count, with the checkpoint's own `.ai/` files many and changed.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitkit import git
from test_checkpoint_fifth import two_clones, warning_of

from conftest import REPO_ROOT, Runner


def test_the_page_says_the_count_is_of_files_outside_ai_in_both_cases() -> None:
    page = " ".join((REPO_ROOT / "docs/checkpoints.md").read_text().split())
    assert "says that it includes those under `.ai/`" not in page
    assert "when the checkpoint is not in this clone, it gives the count the session " \
        "recorded (`CHECKPOINT_FILES`), which `checkpoint` counts by the same rule: " \
        "files outside `.ai/` only" in page


def test_not_in_this_clone_the_count_is_the_work_alone(tmp_path: Path, run: Runner) -> None:
    c1, c2, point = two_clones(tmp_path, run)
    commit = point.split(" ")[0]
    # The checkpoint holds many changed .ai/ files (the scaffold, the session file)...
    changed = git(c1, "diff", "--name-only", f"{commit}^", commit).splitlines()
    tool = [p for p in changed if p.startswith(".ai/")]
    work = [p for p in changed if not p.startswith(".ai/")]
    assert len(tool) >= 3 and len(work) == 2, changed
    # ...and the count, recorded and said, is of the work alone, here and not here.
    recorded = re.search(r":CHECKPOINT_FILES:\s*(\d+)",
                         (c2 / ".ai/session-context.org").read_text())
    assert recorded and int(recorded.group(1)) == len(work)
    said = warning_of(run, cwd=c2)
    assert "it is not in this clone" in said
    assert f"holds {len(work)} files of uncommitted work" in said, said
    assert "under .ai/" not in said.split("holds", 1)[1].split(":", 1)[0]
