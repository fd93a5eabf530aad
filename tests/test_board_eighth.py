"""The task board after its eighth review (issue 15, rev15g): the kept copy and its
put-back rules. A task whose ``:ID:`` line a person deleted or retyped is the same task
(never put back a second time); a close, release or hand-off that git undid is put back
(and the claim git brought back refuses nobody); a task archived in Emacs is not put
back.

Every command runs as the installed ``ai-protocols`` in a real git repository, Org's
archive by real Emacs; a live agent is a command run under the test's own process
(``run``), a gone one under a short-lived process (``as_another_agent``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from boardkit import BOARD, add, board, edit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env

AGENT = "il.1796000000"


def headlines(project: Path, title: str) -> list[str]:
    return [line for line in board(project).splitlines() if line.endswith(f" {title}")]


# -- 1. a task whose :ID: line a person deleted or retyped is the same task ------------------------


def test_a_deleted_id_line_of_a_live_claimed_task_is_its_id_given_back(
        project: Path, run: Runner) -> None:
    task = add(run, "Claimed one", "--working-set", "w/")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", "")
    changed = run("task", "add", "Trigger", agent="p.1")
    assert headlines(project, "Claimed one") == ["* DOING Claimed one"], board(project)
    assert board(project).count(f":OWNER:    {AGENT}") == 1
    assert board(project).count(f":ID:       {task}") == 1
    assert f"task {task}: its :ID: line, deleted by hand, with its id" in changed.stderr
    assert f"task {task}, claimed by" not in changed.stderr  # no claim put back
    listed = run("task", "list", agent="p.1")
    assert listed.stdout.count("Claimed one") == 1 and "warning" not in listed.stderr
    run("task", "done", task, agent=AGENT)  # its agent still names it by its id


def test_a_retyped_id_is_kept_the_same_task_noted_in_its_log(project: Path,
                                                               run: Runner) -> None:
    task = add(run, "Claimed one")
    run("task", "claim", task, agent=AGENT)
    typed = task[:-8] + "zzzzzzzz"
    edit(project, f":ID:       {task}\n", f":ID:       {typed}\n")  # a person's typo
    changed = run("task", "add", "Trigger", agent="p.1")
    assert headlines(project, "Claimed one") == ["* DOING Claimed one"], board(project)
    assert f":ID:       {typed}\n" in board(project) and task not in \
        board(project).split("its id was")[0]
    assert f"its id was {task} (changed by hand to {typed}): the same task" in board(project)
    assert board(project).count(f":OWNER:    {AGENT}") == 1
    assert f"from {task}, noted in its log" in changed.stderr
    # The typo fixed: the same task again, once.
    edit(project, f":ID:       {typed}\n", f":ID:       {task}\n")
    run("task", "add", "Trigger 2", agent="p.1")
    assert headlines(project, "Claimed one") == ["* DOING Claimed one"], board(project)
    assert f"its id was {typed} (changed by hand to {task})" in board(project)
    run("task", "release", task, agent=AGENT)
    assert ":OWNER:" not in board(project)


def test_a_copy_whose_id_line_was_deleted_gets_a_new_id_as_the_docs_say(
        project: Path, run: Runner) -> None:
    task = add(run, "Copied")
    run("task", "claim", task, agent=AGENT)
    text = board(project)
    start = text.index("* DOING Copied")
    subtree = text[start:]
    (project / BOARD).write_text(text + subtree.replace(f":ID:       {task}\n", ""),
                                 encoding="utf-8")
    run("task", "add", "Trigger", agent="p.1")
    assert len(headlines(project, "Copied")) == 2  # the copy stays one copy
    assert board(project).count(f":ID:       {task}") == 1


def test_a_lost_claim_of_a_task_whose_id_was_deleted_goes_back_on_that_task(
        project: Path, run: Runner) -> None:
    task = add(run, "Lost one")
    run("task", "claim", task, agent=AGENT)
    # The claim's lines and the id's taken out (as an older board without them would).
    text = board(project)
    kept = [line for line in text.splitlines(keepends=True)
            if not line.startswith((":ID:", ":OWNER", ":CLAIMED"))]
    (project / BOARD).write_text("".join(kept).replace("* DOING Lost one", "* TODO Lost one"),
                                 encoding="utf-8")
    run("task", "add", "Trigger", agent="p.1")
    assert headlines(project, "Lost one") == ["* DOING Lost one"], board(project)
    assert board(project).count(f":OWNER:    {AGENT}") == 1


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                               min_size=1, max_size=12).filter(str.strip),
                       min_size=1, max_size=5),
       which=st.integers(0, 4), retype=st.booleans())
def test_the_same_task_is_known_whatever_its_title(titles: list[str], which: int,
                                                   retype: bool) -> None:
    """``merge.same_tasks`` pairs a task whose id is gone or retyped with itself, by title
    and place, whatever the titles (equal ones too), and nothing else."""
    from ai_protocols.board.merge import same_tasks
    from ai_protocols.board.model import BoardFile, board_text

    text = board_text() + "".join(
        f"* {'DOING' if n % 2 else 'TODO'} {t}\n:PROPERTIES:\n:ID:       2026-{n:08d}\n:END:\n"
        for n, t in enumerate(titles))
    which %= len(titles)
    line = f":ID:       2026-{which:08d}\n"
    after = text.replace(line, ":ID:       typed-by-hand\n" if retype else "")
    old, new = BoardFile(text), BoardFile(after)
    pairs = same_tasks(old, new)
    assert len(pairs) == 1
    a, b = pairs[0]
    assert old.headlines[a].properties["ID"] == f"2026-{which:08d}"
    assert old.headlines[a].line == new.headlines[b].line  # the same place
    assert same_tasks(old, old) == []


# -- 2. what git undid of a close, release or hand-off is put back ---------------------------------


def _undone(project: Path, run: Runner) -> tuple[str, str, str]:
    t1, t2, t3 = add(run, "will be done"), add(run, "will be released"), \
        add(run, "will be handed off")
    for task in (t1, t2, t3):
        run("task", "claim", task, agent="a.1")  # a.1: live (this test's process)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board with three claims")
    run("task", "done", t1, agent="a.1")
    run("task", "release", t2, agent="a.1")
    run("task", "handoff", t3, "--to", "reviewer", "--note", "look", agent="a.1")
    git(project, "checkout", "--", str(BOARD))  # git's older board: all three claimed
    assert board(project).count(":OWNER:    a.1") == 3
    return t1, t2, t3


def test_a_close_release_and_hand_off_git_undid_are_put_back(project: Path,
                                                              run: Runner) -> None:
    t1, t2, t3 = _undone(project, run)
    listed = run("task", "list", "--all", agent="b.1")
    for task in (t1, t2, t3):
        assert f"task {task}: ai-protocols last wrote it" in listed.stderr, listed.stderr
    # The released task's claim refuses nobody: b.1 claims it.
    claimed = run("task", "claim", t2, agent="b.1")
    assert claimed.returncode == 0, claimed.stderr
    assert f"task {t1}: DONE, as ai-protocols last wrote it" in claimed.stderr
    text = board(project)
    assert "* DONE will be done" in text and "* DOING will be released" in text
    assert "* REVIEW will be handed off" in text and ":ROLE:     reviewer" in text
    for line in ("done by a.1", "released by a.1", "handed off by a.1 to reviewer: look",
                 "claimed by b.1"):
        assert line in text, text
    assert text.count(":OWNER:    a.1") == 1  # the closed task's record only
    assert "warning" not in run("task", "list", agent="b.1").stderr


def test_check_does_not_count_a_claim_git_put_back_after_its_release(
        project: Path, run: Runner) -> None:
    task = add(run, "Docs", "--working-set", "docs/")
    run("task", "claim", task, agent="a.1")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "claimed")
    run("task", "release", task, agent="a.1")
    git(project, "checkout", "--", str(BOARD))
    (project / "src").mkdir()
    (project / "src" / "x").write_text("x\n")
    mine = run("task", "list", "--mine", agent="a.1", check=False)
    assert task not in mine.stdout, mine.stdout
    done = run("check", agent="a.1", check=False)
    assert "has claimed no task" in done.stdout, done.stdout


def test_a_person_reopening_a_closed_task_in_emacs_is_not_undone(project: Path,
                                                                  run: Runner) -> None:
    task = add(run, "Reopened")
    run("task", "claim", task, agent="a.1")
    run("task", "done", task, agent="a.1")
    edit(project, "* DONE Reopened", "* DOING Reopened")  # after the tool's write
    listed = run("task", "list", agent="p.1")
    assert "ai-protocols last wrote it" not in listed.stderr
    run("task", "add", "Trigger", agent="p.1")
    assert "* DOING Reopened" in board(project)


def test_an_undone_release_of_a_gone_agent_is_put_back_too(project: Path,
                                                           run: Runner) -> None:
    task = add(run, "Crashed")
    run("task", "claim", task, agent="c.1", as_another_agent=True)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "claimed")
    run("task", "release", task, agent="c.1")
    git(project, "checkout", "--", str(BOARD))
    run("task", "add", "Trigger", agent="p.1")
    assert "* TODO Crashed" in board(project) and ":OWNER:" not in board(project)


def test_a_newer_claim_git_brings_is_not_undone(project: Path, run: Runner) -> None:
    """A board whose task has lines the kept copy lacks (another clone's claim, merged)
    is no older board: its claim stands."""
    task = add(run, "Pulled")
    run("task", "claim", task, agent="a.1")
    run("task", "release", task, agent="a.1")
    text = board(project).replace("* TODO Pulled", "* DOING Pulled")
    text = text.replace(":END:\n- ", ":END:\n- ", 1)
    marker = f":ID:       {task}\n"
    text = text.replace(marker, marker + ":OWNER:    b.1\n:CLAIMED:  [2026-11-30 Mon 10:00]\n")
    text = text.rstrip("\n") + "\n- [2026-11-30 Mon 10:00] claimed by b.1\n"
    (project / BOARD).write_text(text, encoding="utf-8")
    listed = run("task", "list", agent="p.1")
    assert "ai-protocols last wrote it" not in listed.stderr
    run("task", "add", "Trigger", agent="p.1")
    assert ":OWNER:    b.1" in board(project)


# -- 3. a task archived in Emacs is not put back ---------------------------------------------------


def _archive(project: Path, title: str) -> None:
    code = ('(progn (require (quote org)) (find-file ".ai/tasks.org") (org-mode) '
            f'(goto-char (point-min)) (re-search-forward "^\\\\* DOING {title}") '
            '(org-archive-subtree) (save-some-buffers t))')
    done = subprocess.run(["emacs", "--batch", "--eval", code], cwd=project,
                          capture_output=True, text=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_claimed_task_archived_in_emacs_is_not_put_back(project: Path,
                                                          run: Runner) -> None:
    task = add(run, "Arch")
    run("task", "claim", task, agent=AGENT)
    _archive(project, "Arch")
    archive = project / ".ai" / "tasks.org_archive"
    assert task in archive.read_text(encoding="utf-8") and task not in board(project)
    changed = run("task", "add", "Trigger", agent="p.1")
    assert task not in board(project), board(project)
    assert "put back" not in changed.stderr
    assert "lost" not in changed.stderr  # one warning: the archived claim's
    assert changed.stderr.count(f"task {task}, claimed by {AGENT} (live), is no task") == 1
    shown = run("task", "show", task, agent=AGENT, check=False)
    assert shown.returncode == 20 and "holds it (archived in Emacs" in shown.stderr
    assert task not in board(project)


def test_a_task_on_the_board_and_in_its_archive_is_not_said_to_be_off_the_board(
        project: Path, run: Runner) -> None:
    """A task a version before put back after it was archived: the board's is the task."""
    task = add(run, "Twice")
    run("task", "claim", task, agent=AGENT)
    text = board(project)
    _archive(project, "Twice")
    (project / BOARD).write_text(text, encoding="utf-8")  # back on the board as well
    shown = run("task", "show", task[-8:], agent=AGENT)
    assert "is no task on the board" not in shown.stderr, shown.stderr
    assert "is no task on the board" not in run("task", "list", agent="p.1").stderr


# -- 2b. an unlock or a takeover git undid ---------------------------------------------------


def test_an_unlock_git_undid_refuses_nobody_and_is_put_back(project: Path,
                                                            run: Runner) -> None:
    from boardkit import write_hook

    (project / "src").mkdir()
    run("lock", "src/", "--reason", "mine", agent="a.1")  # a.1: live
    git(project, "add", "-A")
    git(project, "commit", "-qm", "locked")
    run("unlock", "src/", agent="a.1")
    git(project, "checkout", "--", str(BOARD))  # the lock is on the board again
    assert ":OWNER:    a.1" in board(project)
    allowed = write_hook(project, project / "src" / "x", "b.1")
    assert allowed.returncode == 0, allowed.stderr
    listed = run("locks", agent="b.1")
    assert listed.stdout.strip() == "No locks.", listed.stdout
    assert "the lock on src/ held by a.1: ai-protocols removed it" in listed.stderr
    (project / "src" / "x").write_text("x\n")
    assert "a.1" not in run("check", agent="b.1", check=False).stdout
    taken = run("lock", "src/", "--reason", "now mine", agent="b.1")
    assert "the lock on src/ of a.1 removed again" in taken.stderr
    assert ":OWNER:    a.1" not in board(project) and ":OWNER:    b.1" in board(project)


def test_a_takeover_git_undid_keeps_the_new_holders_lock(project: Path, run: Runner) -> None:
    from boardkit import write_hook

    (project / "src").mkdir()
    run("lock", "src/", "--reason", "old", agent="c.1", as_another_agent=True)  # crashed
    git(project, "add", "-A")
    git(project, "commit", "-qm", "locked by c.1")
    run("lock", "src/", "--reason", "taken over", agent="b.1")  # b.1: live
    git(project, "checkout", "--", str(BOARD))  # c.1's lock again, b.1's gone
    refused = write_hook(project, project / "src" / "x", "d.1")
    assert refused.returncode == 2 and "which b.1 has locked" in refused.stderr, refused.stderr
    run("task", "add", "Trigger", agent="p.1")
    text = board(project)
    assert ":OWNER:    b.1" in text and ":OWNER:    c.1" not in text, text


def test_an_id_retyped_into_another_tasks_id_is_still_one_task(project: Path,
                                                                run: Runner) -> None:
    first = add(run, "First")
    second = add(run, "Second")
    run("task", "claim", second, agent=AGENT)
    edit(project, f":ID:       {second}\n", f":ID:       {first}\n")  # a copy-paste slip
    run("task", "list", agent="p.1", check=False)
    run("task", "add", "Trigger", agent="p.1", check=False)
    assert len(headlines(project, "Second")) == 1, board(project)
    assert board(project).count(f":OWNER:    {AGENT}") == 1


def test_resume_knows_a_retyped_id_and_an_archived_claim_as_the_board_does(
        project: Path, run: Runner) -> None:
    """The resume context (and so the SessionStart hook) reads the agent's claims git
    took off the board by the rules ``Board.lost`` applies: a task whose ``:ID:`` line a
    person deleted is listed once, not again from the kept copy; a claimed task a person
    archived in Emacs is not listed as still the agent's."""
    import json
    import re

    kept = add(run, "Kept")
    run("task", "claim", kept, agent=AGENT)
    text = board(project)
    (project / BOARD).write_text(re.sub(rf"^:ID: +{kept}\n", "", text, flags=re.M),
                                 encoding="utf-8")
    titles = [t["title"] for t in json.loads(run("resume", "--json", agent=AGENT).stdout)
              ["tasks"]]
    assert titles == ["Kept"], titles
    gone = add(run, "Gone")
    run("task", "claim", gone, agent=AGENT)
    assert "Gone" in run("resume", agent=AGENT).stdout
    _archive(project, "Gone")
    titles = [t["title"] for t in json.loads(run("resume", "--json", agent=AGENT).stdout)
              ["tasks"]]
    assert "Gone" not in titles, titles


def test_task_list_shows_a_lost_or_undone_claim_as_claim_judges_it(project: Path,
                                                                  run: Runner) -> None:
    """Seen (eighth review): a claim git took off the board was listed by ``task list
    --free`` and ``--json`` as free (no owner) while ``task claim`` refused it; a release
    git undid was listed as claimed by its live agent while the warning said the claim
    does not count. The list shows each task as ai-protocols last wrote it."""
    import json

    lost = add(run, "Lost claim")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    run("task", "claim", lost, agent="a.1")  # a.1: live (this test's process)
    git(project, "checkout", "--", str(BOARD))  # git's older board: the claim gone
    free = run("task", "list", "--free", agent="b.1").stdout
    assert "Lost claim" not in free, free
    rows = {r["id"]: r for r in json.loads(run("task", "list", "--json", agent="b.1").stdout)}
    assert rows[lost]["owner"] == "a.1" and rows[lost]["owner_state"] == "live", rows[lost]
    assert run("task", "claim", lost, agent="b.1", check=False).returncode == 21

    released = add(run, "will be released")
    run("task", "claim", released, agent="a.1")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "claimed")
    run("task", "release", released, agent="a.1")
    git(project, "checkout", "--", str(BOARD))  # git's older board: claimed again
    listed = run("task", "list", agent="b.1").stdout
    line = next(li for li in listed.splitlines() if "will be released" in li)
    assert "a.1" not in line, listed
    assert "will be released" in run("task", "list", "--free", agent="b.1").stdout
    assert run("task", "claim", released, agent="b.1").returncode == 0


def test_wrap_up_never_advises_a_command_that_would_be_refused(project: Path,
                                                               run: Runner) -> None:
    """Seen (eighth review): a session linked to a task another live agent holds was
    told, at wrap-up, to run ``task done`` or ``task release``, both refused (exit 21).
    Now it is told the task is that agent's; a task whose holder is gone is told the
    takeover first."""
    held = add(run, "Held by another")
    run("task", "claim", held, agent="holder.1")  # holder.1: live (this test's process)
    run("start", "--title", "S", "--task", held, agent="me.1")
    wrapped = run("wrap-up", "Done", agent="me.1")
    assert f"task done {held}" not in wrapped.stderr, wrapped.stderr
    assert f"task release {held}" not in wrapped.stderr
    assert "it is holder.1's to close or release" in wrapped.stderr
    gone = add(run, "Held by a crashed agent")
    run("task", "claim", gone, agent="crashed.1", as_another_agent=True)  # its process ends
    run("start", "--title", "T", "--task", gone, agent="me.2")
    wrapped = run("wrap-up", "Done", agent="me.2")
    assert f"ai-protocols task claim {gone} (a takeover" in wrapped.stderr, wrapped.stderr
    assert run("task", "claim", gone, agent="me.2").returncode == 0
