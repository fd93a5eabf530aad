"""The session merge driver, ninth review of issue 14 (f13): both clones made a section
with their first entry of its kind, and a person added a line of free text under one
side's entry. Real clones, real ``git merge`` running the installed driver."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_merge_driver import Clones, git

from conftest import Runner

SESSION = Path(".ai") / "session-context.org"


def _section(text: str, title: str) -> str:
    return text.split(f"** {title}\n", 1)[1].split("\n** ", 1)[0]


@pytest.mark.parametrize("in_base", [False, True])
def test_a_section_both_sides_made_merges_as_one_in_the_base(tmp_path: Path,
                                                             in_base: bool) -> None:
    """f13: merged cleanly, the person's line right under the entry it follows, as when
    the section was in the base already (``in_base``, the same result)."""
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    if in_base:
        one("log", "--context", "base ctx")
        clones.commit(clones.one, "base ctx")
        git(clones.one, "push", "-q", "origin", "HEAD:main")
        git(clones.two, "pull", "-q", "origin", "main")
    one("log", "--context", "A ctx")
    clones.commit(clones.one, "A")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    two("log", "--context", "B ctx")
    path = clones.two / SESSION
    path.write_text(path.read_text().replace("B ctx\n", "B ctx\nA person note after B ctx.\n"))
    clones.commit(clones.two, "B")
    merged = git(clones.two, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = path.read_text()
    assert "<<<<<<<" not in text and "=======" not in text
    context = _section(text, "Context")
    assert re.search(r"\] B ctx\nA person note after B ctx\.\n", context), context
    assert "] A ctx" in context
