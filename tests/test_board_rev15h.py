"""The task board after the review rev15h (issue 15, eighth review): a task known when a
person retitled it and deleted its ``:ID:`` line; a claim put back with its log items;
an id git put back said as git's, and a retyped task's old id pointing to its new one;
lock paths as written, the tool's and git's folders, nested repositories, and a
``#+TODO:`` line without ``|`` read as Org reads it.

Every command runs as the installed ``ai-protocols`` in a real git repository; a live
agent is a command run under the test's own process (``run``), a gone one under a
short-lived process (``as_another_agent``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from boardkit import BOARD, add, board
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env

AGENT = "il.1796000000"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@t")).stdout


def edit(project: Path, old: str, new: str) -> None:
    """A person's edit of the board: ``old`` (once) replaced by ``new``, saved by a rename
    as Emacs saves."""
    text = board(project)
    assert text.count(old) == 1, old
    temporary = project / ".ai" / "tasks.org.new"
    temporary.write_text(text.replace(old, new), encoding="utf-8")
    temporary.replace(project / BOARD)


def log_items(project: Path, title: str = "Fix parser") -> list[str]:
    """The log items of the task titled ``title``, without their time stamps."""
    text = board(project)
    start = text.index(f" {title}\n")
    end = text.find("\n* ", start)
    return [line.split("] ", 1)[1] for line in text[start:end if end >= 0 else None].splitlines()
            if line.startswith("- [")]


# -- 1. retitled and its :ID: line deleted: still the same task ------------------------------------


def test_a_retitled_claimed_task_whose_id_line_was_deleted_stays_one_task(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix parser")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", "")
    edit(project, "* DOING Fix parser\n", "* DOING Fix the parser (Ann)\n")
    changed = run("task", "add", "Unrelated", agent="p.1")
    text = board(project)
    assert text.count("* DOING") == 1, text
    assert "* DOING Fix the parser (Ann)" in text  # the person's title stays
    assert text.count(f":ID:       {task}") == 1 and text.count(f":OWNER:    {AGENT}") == 1
    assert f"task {task}: its :ID: line, deleted by hand, with its id" in changed.stderr
    assert "claimed by" not in changed.stderr  # no claim put back: it never went
    run("task", "release", task, agent=AGENT)  # its agent still names it by its id


def test_retitled_id_deleted_and_text_edited_is_known_by_its_claim(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix parser")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", "")
    edit(project, "* DOING Fix parser\n", "* DOING Parser, at last\n")
    edit(project, f"claimed by {AGENT}\n", f"claimed by {AGENT}\nAnn's notes.\n")
    run("task", "add", "Unrelated", agent="p.1")
    text = board(project)
    assert text.count("* DOING") == 1 and text.count(f":ID:       {task}") == 1, text
    assert "Ann's notes." in text


_TITLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                 min_size=1, max_size=12).filter(lambda t: t.strip() == t and t != "")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(_TITLE, min_size=1, max_size=5), which=st.integers(0, 4),
       title=_TITLE, claimed=st.booleans(), body=st.booleans(), created=st.booleans())
def test_a_retitled_task_without_its_id_is_known_whatever_its_titles(
        titles: list[str], which: int, title: str, claimed: bool, body: bool,
        created: bool) -> None:
    """``merge.same_tasks`` pairs a task whose ``:ID:`` line is deleted and whose title a
    person changed (to any title, one another task has too) with itself, when the rest
    of it or its marks (created, claim) say so, and with nothing else."""
    from ai_protocols.board.merge import same_tasks
    from ai_protocols.board.model import BoardFile, board_text

    which %= len(titles)

    def task(n: int, t: str) -> str:
        marks = f":CREATED:  [2026-11-{n + 1:02d} Mon 10:00]\n" if created or n != which else ""
        if claimed and n == which:
            marks += (":OWNER:    a.1\n:CLAIMED:  [2026-11-30 Mon 10:00]\n"
                      ":CLAIMED_AT: 2026-11-30T10:00:00+00:00 vm b 1.25\n")
        return (f"* {'DOING' if claimed and n == which else 'TODO'} {t}\n:PROPERTIES:\n"
                f":ID:       2026-{n:08d}\n{marks}:END:\n- [2026-11-30 Mon 10:00] added\n")

    before = [task(n, t) for n, t in enumerate(titles)]
    after = list(before)
    changed = before[which].replace(f":ID:       2026-{which:08d}\n", "")
    changed = changed.replace(f" {titles[which]}\n", f" {title}\n", 1)
    if body:
        changed += "A person's note.\n"
    after[which] = changed
    old = BoardFile(board_text() + "".join(before))
    new = BoardFile(board_text() + "".join(after))
    pairs = same_tasks(old, new)
    knowable = created or claimed or title == titles[which]
    assert len(pairs) == (1 if knowable else 0), (pairs, new.text)
    for a, b in pairs:
        assert old.headlines[a].properties["ID"] == f"2026-{which:08d}"
        assert old.headlines[a].line == new.headlines[b].line  # the same task
    assert same_tasks(old, old) == [] and same_tasks(new, new) == []


# -- 2. a claim put back from the kept copy comes with its log items -------------------------------


def test_a_claim_git_took_off_comes_back_with_its_log_items(project: Path,
                                                           run: Runner) -> None:
    task = add(run, "Fix parser")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    run("task", "claim", task, agent="dead.1", as_another_agent=True)
    run("task", "claim", task, agent=AGENT)  # a takeover: its reason is logged
    items = log_items(project)
    assert any(item.startswith(f"claimed by {AGENT}, taking it over") for item in items)
    git(project, "checkout", "--", str(BOARD))  # git's older board: unclaimed
    changed = run("task", "add", "Unrelated", agent="p.1")
    assert f"task {task}, claimed by {AGENT}" in changed.stderr
    assert log_items(project)[:len(items)] == items, board(project)
    assert board(project).count("claimed by dead.1") == 1


# -- 3. an id git put back is git's doing; a retyped task's old id names the new one ---------------


def test_an_id_git_put_back_is_said_as_git_s_and_the_log_comes_back(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix parser")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", ":ID:       ann-parser\n")  # a person's retype
    run("task", "add", "one", agent="p.1")
    assert f"its id was {task} (changed by hand to ann-parser)" in board(project)
    git(project, "checkout", "--", str(BOARD))  # git: the committed board, the old id
    changed = run("task", "add", "two", agent="p.1")
    said = changed.stderr
    assert f"task {task}: its id is {task} again, as git put back an older board" in said
    assert "its id changed by hand" not in said and "changed by hand to " + task not in \
        board(project)
    assert f"task {task}, claimed by {AGENT}" in said  # named by the id it has
    items = log_items(project)
    assert f"claimed by {AGENT}" in items
    assert items[-1].startswith(f"its id is {task} again: git put back an older board")
    assert items.index(f"claimed by {AGENT}") < len(items) - 1
    run("task", "release", task, agent=AGENT)  # its agent's id works again


def test_a_retyped_task_s_old_id_names_its_new_one(project: Path, run: Runner) -> None:
    task = add(run, "Fix parser")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", ":ID:       ann-parser\n")
    run("task", "add", "one", agent="p.1")
    for args in (("task", "release", task), ("task", "show", task[-8:]),
                 ("task", "done", task)):
        refused = run(*args, agent=AGENT, check=False)
        assert refused.returncode == 20, refused.stderr
        assert "its id was changed by hand to ann-parser" in refused.stderr, refused.stderr
        assert "name it by the id it has now" in refused.stderr
    assert ":OWNER:    " + AGENT in board(project)  # nothing changed
    run("task", "release", "ann-parser", agent=AGENT)
