"""A stale save of the task board after a pull (issue 14, seventeenth round; docs/decisions.md,
"Issue 14, seventeenth round (the board's stale saves)").

1. A person types into a task the pull changed too (a note under a task the pull claimed):
   the save is merged back, with the note; a task both changed on one line (both retitled
   it) is refused, exit 6, nothing written, and the commands the refusal gives, pasted,
   merge the three leaving the conflict for the person, after which the board writes on.
2. A clone whose tool never wrote the board (no record of ``HEAD``): the pull's tasks a
   stale save dropped are merged back, the reflog's ``HEAD`` before the pull the base; a
   deliberate deletion after the pull, or after a commit of one's own, is not undone.
3. ``task merge-copy`` run again after the person typed on under a task it merged (and an
   agent claimed): the task is not added twice, the new line goes into it.
4. The warning counts and names what it merged back: tasks added, tasks changed, locks.

Two real clones of a bare repository, real ``git pull``, the installed console script; the
stale buffer is the board's bytes read before the pull, saved (renamed into place, as Emacs
saves) after it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from boardkit import BOARD, linked_copy
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git

from conftest import Runner


def _clones(base: Path, *, b_writes: bool = True,
            tasks: tuple[str, ...] = ("one", "two", "three")
            ) -> tuple[Path, Path, Runner, Runner, list[str]]:
    """A bare origin; clone ``a`` with a board of ``tasks`` (``Task one``...) pushed;
    clone ``b`` of it (``init`` run there), which, with ``b_writes``, adds a task of its
    own through the tool and commits it (so that it has a kept copy and a record of
    ``HEAD``). The ids of the tasks."""
    origin = base / "origin.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(origin), str(a))
    run_a = Runner(a)
    run_a("init")
    ids = [run_a("task", "add", f"Task {n}", agent="pa").stdout.strip() for n in tasks]
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "board")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b = Runner(b)
    run_b("init")
    if b_writes:
        run_b("task", "add", "B own task", agent="pb")
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", "b")
    return a, b, run_a, run_b, ids


def _push(clone: Path) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "work")
    git(clone, "push", "-q", "origin", "HEAD:main")


def _save(clone: Path, buffer: str) -> None:
    """The person's save of a buffer: written as a new file renamed into place."""
    temp = clone / ".ai" / "tasks.org.saving"
    temp.write_text(buffer, encoding="utf-8")
    os.replace(temp, clone / BOARD)


def _under(buffer: str, title: str, line: str) -> str:
    """``line`` typed under the task ``title`` of ``buffer``: after its first log line."""
    at = buffer.index(f" {title}\n")
    end = buffer.index("added by pa\n", at) + len("added by pa\n")
    return buffer[:end] + line + "\n" + buffer[end:]


_NOTE = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=20).map(lambda s: f"A note: {s}.")


@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=_NOTE)
def test_a_note_typed_under_a_task_the_pull_claimed_is_merged_back(tmp_path_factory,
                                                                   note: str) -> None:
    base = tmp_path_factory.mktemp("f1").resolve()
    a, b, run_a, run_b, ids = _clones(base)
    buffer = (b / BOARD).read_text(encoding="utf-8")  # opened before the pull
    run_a("task", "claim", ids[1], agent="ca")
    run_a("task", "add", "Pulled task four", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, _under(buffer, "Task two", note))
    done = run_b("task", "add", "After save", agent="pb")
    assert "1 task added ('Pulled task four') and 1 task changed ('Task two')" in done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert text.count("Pulled task four") == 1 and note in text
    assert re.search(r"^\* DOING Task two\n(?:.*\n)*?:OWNER: +ca$", text, re.M), text
    _push(b)  # the other clone, whose agent holds the claim, keeps it
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    mine = run_a("task", "list", "--mine", agent="ca").stdout
    assert "Task two" in mine
    assert run_a("task", "claim", ids[1], agent="other", check=False).returncode != 0


def test_both_retitled_is_refused_and_its_pasted_commands_merge(tmp_path: Path) -> None:
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve())
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "edit", ids[1], "--title", "Task two, per A", agent="pa")
    run_a("task", "add", "Pulled task four", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("* TODO Task two\n", "* TODO Task two, per the person\n"))
    saved = (b / BOARD).read_bytes()
    done = run_b("task", "add", "After save", agent="pb", check=False)
    assert done.returncode == 6, done.stderr
    assert "nothing was written" in done.stderr and (b / BOARD).read_bytes() == saved
    said = "settle the conflict markers in the board: "
    command = done.stderr.split(said, 1)[1].split("; nothing was written")[0].strip()
    merged = pasted(b, command)
    assert merged.returncode == 1, merged.stderr  # (git's merge driver: 1, conflicts left)
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "Task two, per A" in text
    assert "Task two, per the person" in text and text.count("Pulled task four") == 1
    # the person settles it, keeping their title
    text = re.sub(r"<<<<<<< [^\n]*\n(.*?\n)=======\n.*?>>>>>>> [^\n]*\n", r"\1", text,
                  flags=re.S)
    _save(b, text)
    after = run_b("task", "add", "After settling", agent="pb")
    assert "git brought" not in after.stderr
    titles = run_b("task", "list").stdout
    for title in ("Task two, per the person", "Pulled task four", "B own task",
                  "After settling"):
        assert titles.count(f"  {title}\n") == 1, (title, titles)


def test_a_fresh_clone_merges_back_what_a_fast_forward_pull_brought(tmp_path: Path) -> None:
    a, b, run_a, run_b, _ids = _clones(tmp_path.resolve(), b_writes=False)
    assert not (b / ".ai" / ".locks" / "live" / "tasks.org.commit").exists()
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "add", "Pulled task four", agent="pa")
    run_a("task", "add", "Pulled task five", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    _save(b, _under(buffer, "Task three", "A note the person typed."))
    done = run_b("task", "add", "After save", agent="pb")
    assert "2 tasks added ('Pulled task four', 'Pulled task five')" in done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    for title in ("Pulled task four", "Pulled task five", "After save"):
        assert text.count(f" {title}\n") == 1, title
    assert "A note the person typed." in text


def test_a_fresh_clones_deletion_after_a_pull_or_its_own_commit_stays(tmp_path: Path) -> None:
    """No stale buffer: in a clone that never wrote the board, a person deletes a task
    the pull brought (the other kept: made from what git wrote); and, after a commit of
    one's own, deletes a task that commit added: neither comes back."""
    a, b, run_a, run_b, _ids = _clones(tmp_path.resolve(), b_writes=False)
    run_a("task", "add", "Pulled, kept", agent="pa")
    run_a("task", "add", "Pulled, deleted", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    text = (b / BOARD).read_text(encoding="utf-8")
    start = text.index("* TODO Pulled, deleted")
    _save(b, text[:start])
    done = run_b("task", "add", "After save", agent="pb")
    assert "git brought" not in done.stderr
    titles = run_b("task", "list").stdout
    assert "Pulled, deleted" not in titles and "Pulled, kept" in titles
    # the same, in a second fresh clone, after a commit of the person's own
    c = tmp_path.resolve() / "c"
    git(tmp_path, "clone", "-q", "-b", "main", str(tmp_path.resolve() / "origin.git"), str(c))
    text = (c / BOARD).read_text(encoding="utf-8")
    _save(c, text + "* TODO Mine, kept\n* TODO Mine, deleted\n")
    git(c, "commit", "-q", "-am", "mine")
    _save(c, text + "* TODO Mine, kept\n")
    run_c = Runner(c)
    run_c("init")
    done = run_c("task", "add", "After", agent="pc")
    assert "git brought" not in done.stderr
    titles = run_c("task", "list").stdout
    assert "Mine, deleted" not in titles and "Mine, kept" in titles


def test_merge_copy_again_after_typing_on_under_a_claimed_task(tmp_path: Path) -> None:
    run, in_tree, repo, tree = linked_copy(tmp_path)
    with (tree / BOARD).open("a") as board:
        board.write("* TODO Typed in the copy\nsome detail line\n* TODO Second typed\n")
    in_tree("task", "merge-copy")
    ident = next(line.split()[0] for line in run("task", "list").stdout.splitlines()
                 if "Typed in the copy" in line)
    run("task", "claim", ident, agent="x")
    text = (tree / BOARD).read_text(encoding="utf-8")
    (tree / BOARD).write_text(text.replace("some detail line\n",
                                           "some detail line\nmore detail typed later\n"))
    done = in_tree("task", "merge-copy")
    assert "Merged" in done.stdout, done
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert shared.count("Typed in the copy") == 1 and shared.count("Second typed") == 1
    assert "some detail line\nmore detail typed later\n" in shared
    assert re.search(r"^\* DOING Typed in the copy\n(?:.*\n)*?:OWNER: +x$", shared, re.M)
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


def test_the_warning_names_the_claim_the_close_and_the_lock(tmp_path: Path) -> None:
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve())
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[1], agent="ca")
    run_a("task", "done", ids[0], agent="ca")
    run_a("lock", "src/", "--reason", "A refactors", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, _under(buffer, "Task three", "A note the person typed."))
    done = run_b("task", "add", "After save", agent="pb")
    assert "lacked what git brought, 2 tasks changed ('Task one', 'Task two') and 1 lock " \
           "(src/)" in done.stderr, done.stderr
    assert "3 tasks" not in done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "* DONE Task one" in text and "* DOING Task two" in text and "** src/" in text


def test_a_close_of_an_unclaimed_task_an_older_save_undid_is_put_back(project: Path,
                                                                       run: Runner) -> None:
    """No git at play: an agent closes a task nobody claimed; a buffer opened before,
    with a note typed, is saved over it; the next change closes it again (and keeps the
    note). A person who reopens it in a buffer made after the close (its log line kept)
    reopens it for good."""
    quick = run("task", "add", "Quick fix", agent="p").stdout.strip()
    run("task", "add", "Other", agent="p")
    buffer = (project / BOARD).read_text(encoding="utf-8")
    run("task", "done", quick, agent="ag")
    _save(project, buffer + "note typed by the person\n")
    listed = run("task", "list", "--free", agent="ag3").stdout
    assert "Quick fix" not in listed, listed
    done = run("task", "add", "Next", agent="ag2")
    assert "DONE, as ai-protocols last wrote it" in done.stderr, done.stderr
    text = (project / BOARD).read_text(encoding="utf-8")
    assert "* DONE Quick fix" in text and "note typed by the person" in text
    _save(project, text.replace("* DONE Quick fix", "* TODO Quick fix"))  # deliberate
    again = run("task", "add", "After", agent="ag2")
    assert "last wrote it" not in again.stderr
    assert "* TODO Quick fix" in (project / BOARD).read_text(encoding="utf-8")


def test_a_stale_save_after_an_agents_write_since_the_pull_is_merged_back(
        tmp_path: Path) -> None:
    """A pull brings two tasks; an agent locks (the board's record now names HEAD); the
    buffer opened before the pull is saved: the next change merges the tasks back, lock
    and note kept. A buffer made after the lock that deletes both pulled tasks stays."""
    a, b, run_a, run_b, _ids = _clones(tmp_path.resolve())
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "add", "Pulled task four", agent="pa")
    run_a("task", "add", "Pulled task five", agent="pa")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("lock", "docs/", "--reason", "B docs", agent="agb")
    _save(b, _under(buffer, "Task three", "A note the person typed."))
    done = run_b("task", "add", "After save", agent="pb")
    # (in the merged board's order: the merge orders tasks added on both sides by id)
    assert re.search(r"2 tasks added \('Pulled task (four|five)', "
                     r"'Pulled task (?!\1)(four|five)'\)", done.stderr), done.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    assert text.count("* TODO Pulled task") == 2 and "A note the person typed." in text
    assert re.search(r"^\*\* docs/\n(?:.*\n)*?:OWNER: +agb$", text, re.M), text
    # a buffer made from the board as written now: the person deletes both, on purpose
    start = min(text.index("* TODO Pulled task four"), text.index("* TODO Pulled task five"))
    end = text.index("* TODO After save")  # (the two in either order: their ids decide)
    _save(b, text[:start] + text[end:])
    again = run_b("task", "add", "Later", agent="pb")
    assert "git brought" not in again.stderr
    assert "Pulled task" not in (b / BOARD).read_text(encoding="utf-8")


def test_a_second_stale_save_after_a_merge_back_is_refused_not_lost(tmp_path: Path) -> None:
    """After one stale save was merged back, the same stale buffer (a second note) is
    saved again: not written over; the refusal's pasted commands merge the three, leaving
    only the note both typed differently to the person; nothing the pull brought lost."""
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve())
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[1], agent="ca")
    run_a("task", "done", ids[0], agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, _under(buffer, "Task three", "First note."))
    run_b("task", "add", "After save", agent="pb")
    _save(b, _under(buffer, "Task three", "First note.\nSecond note."))
    saved = (b / BOARD).read_bytes()
    done = run_b("task", "add", "After the second save", agent="pb", check=False)
    assert done.returncode == 6, done.stderr
    assert (b / BOARD).read_bytes() == saved
    said = "settle the conflict markers in the board: "
    command = done.stderr.split(said, 1)[1].split("; nothing was written")[0].strip()
    assert pasted(b, command).returncode == 1
    text = (b / BOARD).read_text(encoding="utf-8")
    assert text.count("<<<<<<<") == 1 and "Second note." in text
    assert "* DONE Task one" in text and "* DOING Task two" in text
    assert "After save" in text and text.count("First note.") == 1
