"""Every text the task board takes from a user is written inert, and reads back as typed.

A task's title (``task add``, ``task edit --title``), its role (``--role``, ``handoff
--to``), a hand-off's note, a lock's reason, a working set's and a lock's paths, and the
checkpoint a task was closed with: written by the installed console script into
``.ai/tasks.org``, none of it makes an agenda entry, a footnote, a statistics cookie, a
macro, an export error or code export runs, as real Emacs judges it (Org 9.5 and 9.7:
org-lint, HTML and ASCII export, the agenda; ``scripts/org-lint-export.el``, as
tests/test_inert_text.py does for session files). ``task list --json``, ``task show
--json`` and ``locks --json`` give back what was typed; a board written raw (by an older
version, or a person) is read as it stands.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from test_inert_text import LIVE, PROOF, assert_inert, one_line

from ai_protocols.board.model import check_title
from ai_protocols.errors import InvalidText

from conftest import Runner
from emacs import JUDGES, lint_export, on_both

AGENT = "velox.board.claude.1"
#: One-word roles (``check_role``: no white space, not starting with ``-``) that Org would
#: read as live objects if they stood raw.
ROLES = [w for w in LIVE if w.strip() and not any(c.isspace() for c in w)
         and not w.startswith("-") and len(w) <= 40] + ["<2026-01-02>", "[2026-01-01]"]
#: Paths a working set or a lock may name (no glob: ``[`` needs the path to exist) that
#: would be live Org raw: an active timestamp, a macro, inline code.
PATHS = ["<2026-01-02>/", "<2026-01-01 Thu>/a", "{{{x}}}/", "src_sh{x}/", "<<t>>/",
         "<%%(diary-float t 4 1)>/"]


def _title(text: str) -> str:
    """``text`` as a title ``task add`` takes (a word put around what it refuses: a first
    word Org reads as a state, trailing tags, a priority): the title it keeps."""
    if text.strip(" ").startswith(("@", "-")):  # (TITLE: '-' is stdin, @FILE a file)
        text = f"x {text}"
    try:
        return check_title(text)
    except InvalidText:
        return check_title(f"x {text} x")


@st.composite
def tasks(draw: st.DrawFn) -> dict:
    return {"title": _title(draw(one_line())), "retitle": _title(draw(one_line())),
            "role": draw(st.sampled_from(ROLES)), "to": draw(st.sampled_from(ROLES)),
            "note": draw(one_line()).strip(" ") or "x", "reason": draw(one_line()).strip(" ")
            or "x", "path": draw(st.sampled_from(PATHS)), "lock": draw(st.sampled_from(PATHS))}


def _json(run: Runner, *args: str) -> object:
    return json.loads(run(*args, agent=AGENT).stdout)


def write_board(root: Path, batch: list[dict]) -> Path:
    """Each task of ``batch`` added, claimed, edited, handed off, claimed again and
    closed with a checkpoint ref, each lock taken, through the installed console script;
    what each command gives back checked against what was typed."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "--allow-empty", "-m", "i"],
                   check=True)
    subprocess.run(["git", "-C", str(root), "tag", "v<2026-01-02>"], check=True)
    run = Runner(root)
    locked = set()
    for number, spec in enumerate(batch):
        task_id = run("task", "add", spec["title"], "--role", spec["role"], "--working-set",
                      spec["path"], agent=AGENT).stdout.split()[-1]
        run("task", "claim", task_id, agent=AGENT)
        run("task", "edit", task_id, f"--title={spec['retitle']}", agent=AGENT)
        run("task", "handoff", task_id, "--to", spec["to"], f"--note={spec['note']}",
            agent=AGENT)
        if number % 2:
            run("task", "claim", task_id, agent=AGENT)
            run("task", "done", task_id, "--checkpoint-ref", "v<2026-01-02>", agent=AGENT)
        if spec["lock"] not in locked:
            run("lock", spec["lock"], f"--reason={spec['reason']}", agent=AGENT)
            locked.add(spec["lock"])
        shown = _json(run, "task", "show", task_id, "--json")
        assert isinstance(shown, dict)
        assert shown["title"] == spec["retitle"]
        assert shown["role"] == spec["to"]
        assert shown["working_set"] == [spec["path"]]
        assert [h["note"] for h in shown["handoffs"]] == [spec["note"]]
        if number % 2:
            assert shown["checkpoint"].startswith("refs/tags/v<2026-01-02> ")
    listed = _json(run, "task", "list", "--json", "--all")
    assert [t["title"] for t in listed] == [s["retitle"] for s in batch]  # type: ignore[union-attr]
    locks = {lock["path"]: lock["reason"] for lock in _json(run, "locks", "--json")}  # type: ignore[union-attr]
    firsts: dict[str, str] = {}
    for spec in batch:
        firsts.setdefault(spec["lock"], spec["reason"])
    assert locks == firsts
    return root / ".ai" / "tasks.org"


# A batch of boards judged by one Emacs run per Org version (shrinking would cost minutes
# of Emacs runs; the message names the file).
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(batch=st.lists(tasks(), min_size=3, max_size=4))
@example(batch=[{  # the reviewer's case (f1.sh)
    "title": "Ship <2026-12-05 Sat> [fn:9] [1/2]",
    "retitle": f'Check src_emacs-lisp{{(with-temp-file "{PROOF}/board" (insert "x"))}} output',
    "role": "<2026-01-02>", "to": "[fn:1]", "note": "until <2026-01-01 Thu> {{{x}}}",
    "reason": "until <2026-01-02 Fri>", "path": "<2026-01-02>/", "lock": "<2026-01-01 Thu>/a",
}] * 2)
def test_what_the_board_takes_from_a_user_is_inert_and_reads_back(
        tmp_path: Path, batch: list[dict]) -> None:
    boards = [write_board(Path(tempfile.mkdtemp(dir=tmp_path)).resolve(), batch[:1]),
              write_board(Path(tempfile.mkdtemp(dir=tmp_path)).resolve(), batch)]
    for judge, results in zip(JUDGES, on_both(lint_export, boards), strict=True):
        for result in results:
            assert_inert(judge, result)
    assert list(PROOF.iterdir()) == [], "Org evaluated code from the board"


def test_a_board_written_raw_reads_as_before(tmp_path: Path) -> None:
    """A title, role, reason and working set written raw (an older version, a person in
    Emacs), with the zero-width space a person typed as Org's escape, read as typed: only
    what the escapes rule says goes (a lone U+200B), nothing else changes."""
    root = tmp_path.resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    task_id = run("task", "add", "placeholder", agent=AGENT).stdout.split()[-1]
    board = root / ".ai" / "tasks.org"
    text = board.read_text()
    text = text.replace("* TODO placeholder", "* TODO Raw <2026-12-05 Sat> [1/2] a_b")
    text = text.replace(f":ID:       {task_id}", f":ID:       {task_id}\n"
                        ":ROLE:     <2026-01-02>\n:WORKING_SET: docs/ a%20b/")
    board.write_text(text)
    shown = _json(run, "task", "show", task_id, "--json")
    assert isinstance(shown, dict)
    assert shown["title"] == "Raw <2026-12-05 Sat> [1/2] a_b"
    assert shown["role"] == "<2026-01-02>"
    assert shown["working_set"] == ["docs/", "a b/"]
    # the same, written by this version: escaped on the board, the same read back
    run("task", "edit", task_id, "--title", "Raw <2026-12-05 Sat> [1/2] a_b", "--role",
        "<2026-01-03>", agent=AGENT)
    assert "<\u200b2026-01-03>" in board.read_text()
    again = _json(run, "task", "show", task_id, "--json")
    assert isinstance(again, dict)
    assert (again["title"], again["role"]) == ("Raw <2026-12-05 Sat> [1/2] a_b", "<2026-01-03>")
