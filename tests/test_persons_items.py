"""A person's own items count: what Emacs reads as a checkbox item, or as an item
that begins with an inactive timestamp, is an entry, in every form Org writes.

``C-c !`` writes a date without a time; Emacs under another locale writes its
own day names; people write one-digit hours, time ranges and other bullets.
``show`` lists such items, ``--done`` ticks them (touching only the box), and
``start`` after a crash shows them. That the library reads them as org-element
does is tests/test_emacs_agreement.py's ``persons-items.org``.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from conftest import Runner
from emacs import assert_reader_agrees, org_element

# The items a person adds in Emacs, as Emacs writes them, and how they read back.
NEXT_STEPS = [
    ("- [ ] [2026-11-30 Mon] Ask QA for the dump", "2026-11-30T00:00", "Ask QA for the dump"),
    ("- [ ] [2026-11-20 ven. 09:02] Relancer la migration", "2026-11-20T09:02",
     "Relancer la migration"),
    ("- [ ] [2026-11-20 Fri 9:04] Rerun the flaky test", "2026-11-20T09:04",
     "Rerun the flaky test"),
    ("- [ ] [2026-11-20 Fri 09:05-09:30] Pair with Sam", "2026-11-20T09:05", "Pair with Sam"),
    ("+ [ ] [2026-11-20 Fri 10:00] Check the plus bullet", "2026-11-20T10:00",
     "Check the plus bullet"),
    ("1. [ ] [2026-11-20 Fri 10:01] Check the dot bullet", "2026-11-20T10:01",
     "Check the dot bullet"),
    ("1) [ ] Check the parenthesis bullet", None, "Check the parenthesis bullet"),
    ("  - [ ] [2026-11-20 Fri 10:02] Check the nested item", "2026-11-20T10:02",
     "Check the nested item"),
]


def add_items(path: Path) -> None:
    """Type the items under Next steps, as a person in Emacs would."""
    text = path.read_text(encoding="utf-8")
    lines = "".join(line + "\n" for line, _, _ in NEXT_STEPS)
    text = re.sub(r"(:CUSTOM_ID: next-steps\n:END:\n)", lambda m: m[1] + lines, text)
    text = re.sub(r"(:CUSTOM_ID: progress\n:END:\n)",
                  lambda m: m[1] + "- [2026-11-20 Fri] Read the old code\n", text)
    path.write_text(text, encoding="utf-8")


def test_show_lists_a_persons_items(project: Path, run: Runner) -> None:
    run("start", "--title", "With a person")
    add_items(project / ".ai/session-context.org")
    shown = json.loads(run("show", "--json").stdout)
    assert [(e["time"], e["text"], e["done"]) for e in shown["next"]] == [
        (time, text, False) for _, time, text in NEXT_STEPS]
    assert shown["progress"] == [{"time": "2026-11-20T00:00", "text": "Read the old code"}]
    # The chronological view has them too, in time order (a step without a time last).
    texts = [e["text"] for e in shown["log"] if e["kind"] == "next"]
    assert texts[-1] == "Check the parenthesis bullet"
    assert sorted(texts) == sorted(text for _, _, text in NEXT_STEPS)
    human = run("show").stdout
    assert "[ ] 2026-11-30        Ask QA for the dump" in human
    assert "[ ] 2026-11-20 09:02  Relancer la migration" in human


@pytest.mark.parametrize(("index", "query"), [
    (0, "Ask QA"), (1, "Relancer"), (2, "flaky"), (3, "Pair"), (4, "plus bullet"),
    (5, "dot bullet"), (6, "parenthesis"), (7, "nested")])
def test_done_ticks_a_persons_item_and_only_its_box(project: Path, run: Runner, index: int,
                                                   query: str) -> None:
    run("start")
    path = project / ".ai/session-context.org"
    add_items(path)
    before = path.read_text(encoding="utf-8")
    result = run("log", "--done", query)
    assert result.stdout == f"logged done: {NEXT_STEPS[index][2]}\n"
    line = NEXT_STEPS[index][0]
    after = path.read_text(encoding="utf-8")
    assert after.count(line.replace("[ ]", "[X]", 1) + "\n") == 1
    assert line + "\n" not in after
    shown = json.loads(run("show", "--json").stdout)
    assert [e["done"] for e in shown["next"]] == [n == index for n in range(len(NEXT_STEPS))]
    done = [e for e in shown["log"] if e["kind"] == "done"]
    assert [e["text"] for e in done] == [NEXT_STEPS[index][2]]
    # Every other line as the person left it: the box, UPDATED and one Log line changed.
    old, new = ([x for x in text.split("\n") if not x.startswith((":UPDATED:", ":UPDATED_AT:"))]
                for text in (before, after))
    changes = [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in
               difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
               if tag != "equal"]
    assert changes == [("replace", [line], [line.replace("[ ]", "[X]", 1)]),
                       ("insert", [], [new[-2]])]
    named = r"of \S.*|\"Check the parenthesis bullet\""  # by its stamp, or its text
    assert re.fullmatch(rf"- \[.*\] done: Next steps item ({named})", new[-2]), new[-2]


def test_start_after_a_crash_shows_a_persons_items(project: Path, run: Runner) -> None:
    run("start", "--title", "Before the crash", as_another_agent=True)
    add_items(project / ".ai/session-context.org")
    out = run("start").stdout
    assert "The previous session did not wrap up (crashed" in out
    for _, _, text in NEXT_STEPS:
        assert f"  {text}" in out
    assert "Read the old code" in out


def test_a_persons_item_over_several_lines_is_read_whole(project: Path, run: Runner) -> None:
    """Seen: an item a person typed over two lines (the second indented past the
    bullet, as Org fills a paragraph) was read as its first line: ``show`` gave
    ``multi`` and ``--done "line item"`` found nothing. Org reads the item's whole
    paragraph; so does the tool, up to a blank line or another element."""
    run("start")
    path = project / ".ai/session-context.org"
    text = path.read_text(encoding="utf-8").replace(
        ":CUSTOM_ID: next-steps\n:END:\n",
        ":CUSTOM_ID: next-steps\n:END:\n- [ ] [2026-11-21 Sat 10:00] multi\n  line item\n"
        "- [ ] [2026-11-21 Sat 10:02] two\n  lines\n\n  and a walrus after a blank\n"
        "- [ ] [2026-11-21 Sat 10:01] one line\n  - a nested item of its own\n", 1)
    path.write_text(text, encoding="utf-8")
    shown = json.loads(run("show", "--json").stdout)
    assert [e["text"] for e in shown["next"]] == [
        "multi\nline item", "two\nlines\n\nand a walrus after a blank", "one line"]
    assert run("log", "--done", "line item").stdout.startswith("logged done: multi")
    assert "- [X] [2026-11-21 Sat 10:00] multi\n  line item\n" in path.read_text(encoding="utf-8")
    assert run("log", "--done", "walrus").returncode == 0  # a word of its second paragraph
    assert_reader_agrees(path, org_element([path])[0])
