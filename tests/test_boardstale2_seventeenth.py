"""A stale save of the task board, again (issue 14, seventeenth round; docs/decisions.md,
"Issue 14, seventeenth round (the board's stale saves, again)").

1. A fresh clone (never wrote the board): pull, an agent's write (the clone's first), the
   stale save: the pulled task is merged back.
2. Pull, a commit of one's own (or an amend of it), an agent's write, the stale save: the
   reflog is walked back over one's own commits to the pull; merged back.
3. A stale save with a note typed under a task the agent has since closed or released: the
   close or release is put back (only the tool's log items are compared), the note kept.
4. In a fresh clone, the refusal's pasted commands merge on the base the merge used.
5. ``task merge-copy`` run again after typing more under a task with an ``:ID:``.
6. The refusal of a second stale save says the kept copy holds what git brought, and names
   what it lacks and the task left to the person.

Real clones of a bare repository, real ``git``, the installed console script.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from boardkit import BOARD, linked_copy
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_boardstale_seventeenth import _clones, _push, _save
from test_merge_driver import git

_NOTE = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=20).map(lambda s: f"Ann typed: {s}.")
_SAID = "settle the conflict markers in the board: "


def _pulled_twice(base: Path, *, b_writes: bool) -> tuple[Path, Path, object, object, str]:
    """Clones ``a`` and ``b``; the board ``b`` shows before A's claim and added task are
    pulled into ``b`` (the stale buffer), returned last."""
    a, b, run_a, run_b, ids = _clones(base, b_writes=b_writes)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[0], agent="ca")
    run_a("task", "add", "Pulled task four", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    return a, b, run_a, run_b, buffer


@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=_NOTE)
def test_a_fresh_clones_first_write_after_a_pull_keeps_the_pull_for_a_stale_save(
        tmp_path_factory, note: str) -> None:
    b_base = tmp_path_factory.mktemp("f8").resolve()
    _a, b, _run_a, run_b, buffer = _pulled_twice(b_base, b_writes=False)
    run_b("lock", "src/", "--reason", "mine", agent="agb")  # the clone's first write
    _save(b, buffer + note + "\n")
    done = run_b("task", "add", "After save", agent="agb")
    assert "Pulled task four" in done.stderr and "git brought" in done.stderr, done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert text.count("* TODO Pulled task four\n") == 1 and note in text
    assert re.search(r"^\*\* src/\n(?:.*\n)*?:OWNER: +agb$", text, re.M), text


@pytest.mark.parametrize("own", ["commit", "amend"])
def test_a_commit_of_ones_own_after_the_pull_does_not_hide_it(tmp_path: Path,
                                                              own: str) -> None:
    _a, b, _run_a, run_b, buffer = _pulled_twice(tmp_path.resolve(), b_writes=True)
    (b / "code.txt").write_text("code\n")
    git(b, "add", "code.txt")
    git(b, "commit", "-q", "-m", "own work")
    if own == "amend":
        (b / "code.txt").write_text("code, amended\n")
        git(b, "commit", "-q", "-a", "--amend", "-m", "own work, amended")
    run_b("lock", "src/", "--reason", "mine", agent="agb")
    _save(b, buffer + "Ann typed.\n")
    done = run_b("task", "add", "After save", agent="agb")
    assert "1 task added ('Pulled task four')" in done.stderr, done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert text.count("* TODO Pulled task four\n") == 1 and "Ann typed." in text
    assert re.search(r"^\* DOING Task one\n(?:.*\n)*?:OWNER: +ca$", text, re.M), text


def test_a_fresh_clones_own_committed_task_deleted_after_a_pull_stays_deleted(
        tmp_path: Path) -> None:
    """The walk over one's own commits takes only what the pull brought as git's: a task
    the person's own commit added and the person then deleted does not come back."""
    a, b, _run_a, run_b, _ids = _clones(tmp_path.resolve(), b_writes=False)
    (a / "code.txt").write_text("code\n")
    _push(a)  # a pull that brings no board change
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    text = (b / BOARD).read_text(encoding="utf-8")
    _save(b, text + "* TODO Mine, deleted\n")
    git(b, "commit", "-q", "-am", "mine")
    _save(b, text)
    done = run_b("task", "add", "After", agent="pb")
    assert "git brought" not in done.stderr, done.stderr
    assert "Mine, deleted" not in (b / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("end", ["done", "release"])
def test_a_note_typed_under_a_task_closed_since_does_not_undo_the_close(
        project: Path, run, end: str) -> None:
    ident = run("task", "add", "Task one", agent="p").stdout.strip()
    run("task", "add", "Task two", agent="p")
    run("task", "claim", ident, agent="agentA")
    buffer = (project / BOARD).read_text(encoding="utf-8")  # Ann opens the board
    if end == "done":
        run("task", "done", ident, agent="agentA")
    else:
        run("task", "release", ident, agent="agentA")
    _save(project, buffer.replace("claimed by agentA\n",
                                  "claimed by agentA\nAnn: remember the docs.\n", 1))
    done = run("task", "add", "X", agent="agentB")
    assert "as ai-protocols last wrote it" in done.stderr, done.stderr
    text = (project / BOARD).read_text(encoding="utf-8")
    assert "Ann: remember the docs." in text
    assert ("* DONE Task one" in text) if end == "done" else ("* TODO Task one" in text)
    assert end == "done" or not re.search(r"^:OWNER: +agentA$", text, re.M), text
    claimed = run("task", "claim", ident, agent="agentX", check=False)
    assert (claimed.returncode != 0) if end == "done" else (claimed.returncode == 0)


def test_a_fresh_clones_refusal_pastes_commands_that_merge(tmp_path: Path) -> None:
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=False)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "edit", ids[0], "--title", "One by A", agent="pa")
    run_a("task", "claim", ids[1], agent="ca")
    _push(a)
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    _save(b, buffer.replace("* TODO Task one\n", "* TODO One by Ann\n"))
    saved = (b / BOARD).read_bytes()
    done = run_b("task", "add", "Task C", agent="pb", check=False)
    assert done.returncode == 6 and (b / BOARD).read_bytes() == saved, done.stderr
    assert "1 task both changed ('One by Ann')" in done.stderr, done.stderr
    command = done.stderr.split(_SAID, 1)[1].split("; nothing was written")[0].strip()
    merged = pasted(b, command)
    assert merged.returncode == 1, merged.stderr  # (conflicts left, as git's drivers say)
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "One by Ann" in text and "One by A\n" in text
    assert re.search(r"^\* DOING Task two\n(?:.*\n)*?:OWNER: +ca$", text, re.M), text


def test_merge_copy_again_after_typing_more_under_a_task_with_an_id(tmp_path: Path) -> None:
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    assert ":ID:" in text
    at = text.index("added by")
    end = text.index("\n", at) + 1
    (tree / BOARD).write_text(text[:end] + "note one\n" + text[end:], encoding="utf-8")
    in_tree("task", "merge-copy")
    (tree / BOARD).write_text(text[:end] + "note one\nnote two\n" + text[end:],
                              encoding="utf-8")
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 0 and "Merged" in done.stdout, done.stderr
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert shared.count("note one\nnote two\n") == 1 and shared.count("note one") == 1
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


def test_a_second_stale_saves_refusal_says_where_the_pull_is_and_names_tasks(
        tmp_path: Path) -> None:
    _a, b, _run_a, run_b, buffer = _pulled_twice(tmp_path.resolve(), b_writes=True)
    first = buffer.replace("added by pb\n", "added by pb\nNote1.\n", 1)
    _save(b, first)
    run_b("task", "add", "Task C", agent="pb")
    _save(b, first.replace("Note1.\n", "Note1.\nNote2.\n", 1))
    done = run_b("task", "add", "Task D", agent="pb", check=False)
    assert done.returncode == 6, done.stderr
    said = " ".join(done.stderr.split())
    assert "neither the board nor" not in said
    assert "so does the version ai-protocols wrote last" in said
    assert "1 task added ('Pulled task four') and 1 task changed ('Task one')" in said
    assert "1 task both changed ('B own task')" in said, said


def test_a_branch_switch_in_the_main_work_tree_keeps_a_linked_trees_claim(
        tmp_path: Path) -> None:
    """Linked work trees share the main work tree's board: a person's branch switch there
    (to a branch from before the claim) does not take the claim of an agent working in
    another work tree: it is held (put back), not said to be branch 'main''s, and
    another agent cannot claim the task."""
    from conftest import Runner

    a, _b, run_a, _run_b, ids = _clones(tmp_path.resolve(), b_writes=False)
    w = tmp_path.resolve() / "w"
    git(a, "worktree", "add", "-q", str(w), "-b", "agentw-branch")
    run_w = Runner(w)
    run_w("task", "claim", ids[0], agent="agentW")
    git(a, "commit", "-q", "-am", "board: claims")
    git(a, "switch", "-q", "-c", "hotfix", "HEAD~1")
    mine = run_w("task", "list", "--mine", agent="agentW")
    assert "Task one" in mine.stdout, mine
    assert "git switch" not in mine.stderr, mine.stderr
    taken = run_w("task", "claim", ids[0], agent="agentX", check=False)
    assert taken.returncode != 0 and "agentW" in taken.stderr, taken
    taken = run_a("task", "claim", ids[0], agent="agentY", check=False)
    assert taken.returncode != 0 and "agentW" in taken.stderr, taken
