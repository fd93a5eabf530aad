"""Issue 15, twentieth round (claims, identity, liveness): docs the tool had drifted
from, each now held to the code (docs/decisions.md, "Issue 15, twentieth round (claims,
identity, liveness)"): agents.md's table of the hooks we install, the board's exit codes
in the user guide, and what tasks.md says a closed task's refusal advises."""

from __future__ import annotations

import re
from pathlib import Path

from boardkit import add

from conftest import REPO_ROOT, Runner

DOCS = REPO_ROOT / "docs"


def _rows(text: str, heading: str) -> dict[str, list[str]]:
    """The rows of the first table after ``heading`` (a line of its own), keyed by
    their first cell, each as its cells (a ``\\|`` inside a cell kept as ``|``)."""
    lines = text.splitlines()
    at = lines.index(heading)
    rows: dict[str, list[str]] = {}
    for line in lines[at + 1:]:
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not line.startswith("|--") and not line.startswith("|-"):
            cells = [c.strip().replace("\0", "|") for c in
                     line.replace("\\|", "\0").strip().strip("|").split("|")]
            rows.setdefault(cells[0], cells)
    return rows


def test_the_hooks_table_of_agents_md_is_what_hooks_install_writes() -> None:
    """f7 1): agents.md gave PreToolUse's matcher as Edit|Write|MultiEdit while the table
    of what we install (install.EVENTS) has NotebookEdit too. Every event we install is a
    row, with its timeout and each runtime's matcher."""
    from ai_protocols.integrations.install import AGENTS, EVENTS

    rows = _rows((DOCS / "agents.md").read_text(encoding="utf-8"),
                 "| Event | Command | Timeout | Matcher |")
    assert {f"`{e.name}`" for e in EVENTS} <= set(rows), sorted(rows)
    for event in EVENTS:
        row = rows[f"`{event.name}`"]
        assert row[2] == f"{event.timeout} s", (event.name, row)
        for runtime in AGENTS:
            matcher = event.matcher_for(runtime)
            if matcher is not None:
                assert f"`{matcher}`" in row[3], (event.name, runtime, matcher, row[3])


def test_the_user_guides_exit_codes_name_the_boards_as_tasks_md_does() -> None:
    """f7 3): tasks.md documents the board's commands exiting 10 (Emacs's lock) and 15
    (``task done --checkpoint``); the user guide's rows of those codes named only session
    commands. Each code of tasks.md's table (but 1 and 2, every command's) is a row of
    the guide's that names the task board, and raised by each exception tasks.md names
    for it."""
    guide = _rows((DOCS / "user-guide.md").read_text(encoding="utf-8"),
                  "| Code | Meaning | Raised by |")
    board = _rows((DOCS / "tasks.md").read_text(encoding="utf-8"), "| Code | Meaning |")
    wrong = []
    for code, (_, meaning) in board.items():
        if code in ("Code", "1", "2"):
            continue
        if code == "23":  # (check's own: said under the guide's table)
            continue
        row = guide.get(code)
        if row is None:
            wrong.append(f"{code}: no row")
            continue
        if not re.search(r"board|\btask\b", row[1] + row[2]):
            wrong.append(f"{code}: names no board command: {row[1][:80]}")
        raised = set(re.findall(r"`([A-Z]\w+)`", row[2]))
        named = set(re.findall(r"`([A-Z][a-z]\w+)`", meaning))
        if named - raised:
            wrong.append(f"{code}: {sorted(named - raised)} not among {sorted(raised)}")
    assert not wrong, "\n".join(wrong)


def test_tasks_md_says_what_a_closed_tasks_refusal_advises(project: Path, run: Runner) -> None:
    """f7 2): tasks.md said the refusal "says to change its state back to TODO in the
    board"; the tool says ``ai-protocols task reopen ID``. The advice the tool gives is
    the one tasks.md names."""
    task = add(run, "t")
    run("task", "done", task, agent="x.1")
    refused = run("task", "claim", task, agent="x.1", check=False)
    assert refused.returncode == 24
    advice = re.search(r"ai-protocols task reopen \S+", refused.stderr)
    assert advice is not None, refused.stderr
    text = " ".join((DOCS / "tasks.md").read_text(encoding="utf-8").split())
    said = re.search(r"A done or cancelled task cannot be claimed.*?\.(?= |$)", text)
    assert said is not None
    assert "`ai-protocols task reopen ID`" in said.group(0) + text[said.end():said.end() + 300]
    assert "change its state back to `TODO` in the board" not in text
