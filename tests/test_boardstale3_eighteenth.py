"""The board's stale saves, a third time (issue 14, eighteenth round; docs/decisions.md,
"Issue 14, eighteenth round (the board's stale saves, a third time)").

1. Pull, an agent's write, a commit of one's own (any file, or the board), the stale save:
   the pulled task and the agent's task are merged back (the record's ``SINCE`` holds
   over one's own commits). A buffer opened after the writes: the person's deletion
   stands.
2. The same stale buffer saved a second time, after a write gave the task typed in it an
   id: that task stays one task (the merge's identity rule for a task both sides added,
   one without an id); the merge driver alike.
3. A note typed in Org's timestamped form (``- `` then ``C-c !``) under a task an agent
   closed or released since: the close or release is put back (only the tool's own
   items, by their form, count); every item the tool writes has that form.
4. ``task merge-copy`` run again when the copy's task also got a planning line, a tag, or
   (typed without an id) a planning line since; a refusal names the tasks it leaves.

Real clones of a bare repository, real ``git``, the installed console script.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, linked_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_boardstale_seventeenth import _clones, _push, _save
from test_merge_driver import git

from ai_protocols.board.model import TOOL_ITEM

from conftest import CLI, clean_env

_TEXT = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=20)


def _tasks(text: str) -> list[str]:
    return re.findall(r"^\* (?:[A-Z]+ )?(.*)$", text, re.M)


# -- 1. one's own commits after the tool's write ------------------------------------------


@pytest.mark.parametrize(("own", "b_writes"), [("file", False), ("board", False),
                                               ("board", True)])
def test_a_commit_of_ones_own_after_the_agents_write_keeps_the_pull(
        tmp_path: Path, own: str, b_writes: bool) -> None:
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=b_writes)
    buffer = (b / BOARD).read_text(encoding="utf-8")  # the person's buffer, opened now
    run_a("task", "add", "Pulled task four", agent="pa")
    run_a("task", "claim", ids[0], agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("task", "add", "Agent B task", agent="agb")  # a write after the pull
    if own == "file":
        (b / "own.txt").write_text("own\n")
        git(b, "add", "own.txt")
    else:
        git(b, "add", "-A")
    git(b, "commit", "-q", "-m", f"own commit of {own}")
    _save(b, buffer + "* TODO Typed by person\n")
    done = run_b("lock", "src/", "--reason", "work", agent="agb")
    assert "1 task added ('Pulled task four')" in done.stderr, done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    for title in ("Pulled task four", "Agent B task", "Typed by person", "Task one"):
        assert _tasks(text).count(title) == 1, text
    assert re.search(r"^\* DOING Task one\n(?:.*\n)*?:OWNER: +ca$", text, re.M), text


def test_a_buffer_opened_after_the_writes_deletes_a_pulled_task_for_good(
        tmp_path: Path) -> None:
    """The guard: a person's edit made on what the pull and the agent wrote stands, own
    commits between or not."""
    a, b, run_a, run_b, _ids = _clones(tmp_path.resolve(), b_writes=False)
    run_a("task", "add", "Pulled task four", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("task", "add", "Agent B task", agent="agb")
    git(b, "add", "-A")
    git(b, "commit", "-q", "-m", "own")
    text = (b / BOARD).read_text(encoding="utf-8")  # opened after all that
    at = text.index("* TODO Pulled task four\n")
    end = text.index("\n* ", at + 1) + 1
    _save(b, text[:at] + text[end:])
    done = run_b("lock", "src/", "--reason", "work", agent="agb")
    assert "git brought" not in done.stderr, done.stderr
    after = (b / BOARD).read_text(encoding="utf-8")
    assert "Pulled task four" not in after and "Agent B task" in after


# -- 2. a typed task, saved twice ---------------------------------------------------------


@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=_TEXT)
def test_a_task_typed_in_a_stale_buffer_saved_twice_is_one_task(tmp_path_factory,
                                                                note: str) -> None:
    base = tmp_path_factory.mktemp("f2").resolve()
    a, b, run_a, run_b, _ids = _clones(base, b_writes=False)
    buffer = (b / BOARD).read_text(encoding="utf-8") + "* TODO Typed first\n"
    run_a("task", "add", "Pulled task four", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer)  # the first save (stale)
    run_b("lock", "src/", "--reason", "w", agent="agb")
    first = (b / BOARD).read_text(encoding="utf-8")
    assert _tasks(first).count("Typed first") == 1, first
    # the same buffer: a line typed under the task, one more task typed, saved again
    buffer = buffer + f"Note {note}.\n* TODO Typed second\n"
    _save(b, buffer)
    done = run_b("lock", "lib/", "--reason", "w", agent="agb")
    text = (b / BOARD).read_text(encoding="utf-8")
    for title in ("Typed first", "Typed second", "Pulled task four"):
        assert _tasks(text).count(title) == 1, (done.stderr, text)
    ident = re.search(r"^\* TODO Typed first\n:PROPERTIES:\n:ID: +(\S+)$", first, re.M)
    assert ident is not None and text.count(ident.group(1)) == 1, text
    assert text.count(f"Note {note}.\n") == 1


def test_the_merge_driver_knows_a_task_one_side_gave_an_id(tmp_path: Path, run,
                                                           project: Path) -> None:
    """Both sides added the task: one as typed (a line under it), the other with the id a
    command gave it and a claim: one task, with the id, the claim and the line."""
    run("task", "add", "Task one", agent="p")
    base = (project / BOARD).read_text(encoding="utf-8")
    ours = base + "* TODO Typed by Ann\nAnn's line.\n"
    (project / BOARD).write_text(base + "* TODO Typed by Ann\n", encoding="utf-8")
    ident = run("task", "list", "--json", agent="x").stdout  # (no write)
    run("lock", "src/", "--reason", "w", agent="x")  # gives it an id
    given_id = re.search(r"^\* TODO Typed by Ann\n:PROPERTIES:\n:ID: +(\S+)$",
                         (project / BOARD).read_text(encoding="utf-8"), re.M)
    assert given_id is not None, ident
    run("task", "claim", given_id.group(1), agent="agx")
    theirs = (project / BOARD).read_text(encoding="utf-8")
    files = {}
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        files[name] = tmp_path / name
        files[name].write_text(text, encoding="utf-8")
    done = subprocess.run([str(CLI), "merge-driver", str(files["base"]), str(files["ours"]),
                           str(files["theirs"]), ".ai/tasks.org"], cwd=project,
                          env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    merged = files["ours"].read_text(encoding="utf-8")
    assert _tasks(merged).count("Typed by Ann") == 1, merged
    assert merged.count(given_id.group(1)) == 1 and "Ann's line.\n" in merged
    assert re.search(r"^\* DOING Typed by Ann\n(?:.*\n)*?:OWNER: +agx$", merged, re.M), merged


# -- 3. the tool's own log items ------------------------------------------------------------


@pytest.mark.parametrize("end", ["done", "release"])
def test_a_timestamped_note_under_a_task_closed_since_does_not_undo_the_close(
        project: Path, run, end: str) -> None:
    ident = run("task", "add", "Task one", agent="p").stdout.strip()
    run("task", "add", "Task two", agent="p")
    run("task", "claim", ident, agent="agentA")
    buffer = (project / BOARD).read_text(encoding="utf-8")  # Ann opens the board
    if end == "done":
        run("task", "done", ident, agent="agentA")
    else:
        run("task", "release", ident, agent="agentA")
    stamp = re.search(r"^- (\[[^]]*\]) claimed by agentA$", buffer, re.M).group(1)
    note = f"- {stamp} remember the docs"  # ("- " then C-c !, as Org writes it)
    _save(project, buffer.replace("claimed by agentA\n", f"claimed by agentA\n{note}\n", 1))
    done = run("task", "add", "X", agent="agentB")
    assert "as ai-protocols last wrote it" in done.stderr, done.stderr
    text = (project / BOARD).read_text(encoding="utf-8")
    assert f"{note}\n" in text
    assert ("* DONE Task one" in text) if end == "done" else ("* TODO Task one" in text)
    assert end == "done" or not re.search(r"^:OWNER: +agentA$", text, re.M), text


def test_every_log_item_the_tool_writes_has_its_own_form(project: Path, run) -> None:
    """The one rule (``TOOL_ITEM``) knows each item the commands write on a task."""
    one = run("task", "add", "Task one", agent="p").stdout.strip()
    two = run("task", "add", "Task two", agent="p").stdout.strip()
    run("task", "claim", one, agent="a1")
    run("task", "release", one, agent="a1")
    run("task", "claim", one, agent="a1")
    run("task", "edit", one, "--title", "Task one, edited", agent="a1")
    run("task", "handoff", one, "--to", "reviewer", "--note", "look at it", agent="a1")
    run("task", "done", one, agent="a2", check=False)
    run("task", "done", one, "--force", agent="a2", check=False)
    run("task", "reopen", one, agent="a2")
    run("task", "claim", two, agent="a1")
    run("task", "claim", two, "--force", agent="a3", check=False)
    run("task", "cancel", two, "--force", agent="a3")
    text = (project / BOARD).read_text(encoding="utf-8")
    items = [line for line in text.splitlines() if line.startswith("- [")]
    assert len(items) >= 10, text
    assert [line for line in items if not TOOL_ITEM.match(line)] == [], text


# -- 4. task merge-copy, again ------------------------------------------------------------


@pytest.mark.parametrize("change", ["scheduled", "tag"])
def test_merge_copy_again_after_a_planning_line_or_tag_and_typing_more(
        tmp_path: Path, change: str) -> None:
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    if change == "scheduled":  # C-c C-s
        text = text.replace("* TODO task one\n", "* TODO task one\nSCHEDULED: <2026-12-05 Sat>\n")
    else:
        text = text.replace("* TODO task one\n", "* TODO task one :urgent:\n")
    at = text.index("added by")
    end = text.index("\n", at) + 1
    (tree / BOARD).write_text(text[:end] + "line one\n" + text[end:], encoding="utf-8")
    in_tree("task", "merge-copy")
    (tree / BOARD).write_text(text[:end] + "line one\nline two\n" + text[end:],
                              encoding="utf-8")
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 0 and "Merged" in done.stdout, done.stderr
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert shared.count("line one\nline two\n") == 1 and shared.count("line one") == 1
    assert shared.count("SCHEDULED: <2026-12-05 Sat>\n" if change == "scheduled"
                        else "* TODO task one :urgent:\n") == 1, shared
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


def test_merge_copy_again_keeps_a_planning_line_added_to_a_task_typed_without_id(
        tmp_path: Path) -> None:
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    (tree / BOARD).write_text(text + "* TODO Typed in copy\nline one\n", encoding="utf-8")
    in_tree("task", "merge-copy")
    (tree / BOARD).write_text(text + "* TODO Typed in copy\nSCHEDULED: <2026-12-05 Sat>\n"
                              "line one\nline two\n", encoding="utf-8")
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 0, done.stderr
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert _tasks(shared).count("Typed in copy") == 1, shared
    assert re.search(r"^\* TODO Typed in copy\nSCHEDULED: <2026-12-05 Sat>\n:PROPERTIES:\n"
                     r":ID: .*\n:END:\nline one\nline two\n", shared, re.M), shared
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


def test_merge_copys_refusal_names_the_tasks_it_leaves_to_a_person(tmp_path: Path) -> None:
    run, in_tree, repo, tree = linked_copy(tmp_path)
    ident = re.search(r"^:ID: +(\S+)$", (repo / BOARD).read_text(encoding="utf-8"),
                      re.M).group(1)
    text = (tree / BOARD).read_text(encoding="utf-8")
    (tree / BOARD).write_text(text.replace("* TODO task one\n", "* TODO task one by copy\n"),
                              encoding="utf-8")
    run("task", "edit", ident, "--title", "task one by shared")
    shared = (repo / BOARD).read_bytes()
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 6 and (repo / BOARD).read_bytes() == shared, done.stderr
    said = " ".join(done.stderr.split())
    assert "1 task both it and the shared board changed ('task one by shared')" in said, said
