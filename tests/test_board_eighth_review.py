"""The task board after its eighth review (issue 15): a task known when a
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

from boardkit import BOARD, add, board, edit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

AGENT = "il.1796000000"


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
    person changed (to any title, one another task has too) with itself, when its claim,
    the text under its headline (no other task's) or its title say so, and with nothing
    else: never by its ``CREATED`` alone (the ninth review)."""
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
    # (its text under the headline is no other task's unless a person added to it)
    knowable = claimed or not body or title == titles[which]
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
        assert "its id is now ann-parser" in refused.stderr, refused.stderr
        assert "name it by the id it has now" in refused.stderr
    assert ":OWNER:    " + AGENT in board(project)  # nothing changed
    run("task", "release", "ann-parser", agent=AGENT)


# -- 4. minor: lock paths, the tool's and git's folders, nested repositories, Org's done states ----


def test_unlock_matches_the_lock_as_written_with_or_without_its_slash(
        project: Path, run: Runner) -> None:
    run("lock", "docs/", "--reason", "r", agent="a.1")  # no such folder yet
    run("lock", "notes", "--reason", "r", agent="a.1")  # a file-to-be
    done = run("unlock", "docs", agent="a.1")
    assert "Unlocked docs/" in done.stdout, done.stderr
    done = run("unlock", "notes/", agent="a.1")
    assert "Unlocked notes" in done.stdout, done.stderr
    assert "PATH:" not in board(project)
    missing = run("unlock", "docs", agent="a.1", check=False)
    assert missing.returncode == 4 and "there is no lock on it" in missing.stderr


def test_the_tool_s_own_folder_and_git_s_take_no_lock(project: Path, run: Runner) -> None:
    before = board(project) if (project / BOARD).exists() else None
    for path, whose in ((".ai", "ai-protocols' own folder"), (".ai/tasks.org", "ai-protocols'"),
                        (".git", "git's own folder"), (".git/config", "git's own folder"),
                        ("sub/.git/", "git's own folder"), ("./.ai/", "ai-protocols'")):
        refused = run("lock", path, "--reason", "r", agent="a.1", check=False)
        assert refused.returncode == 4, (path, refused.stderr)
        assert whose in refused.stderr and "lock the files or folders" in refused.stderr
        assert refused.stderr.startswith("Error: ")
    after = board(project) if (project / BOARD).exists() else None
    assert after == before  # nothing changed
    run("lock", "src/", ".aider/", "--reason", "r", agent="a.1")  # others are fine


def test_a_lock_in_a_nested_repository_under_an_outer_live_lock_is_warned_about(
        project: Path, run: Runner) -> None:
    run("lock", "vendor/", "--reason", "upgrading", agent="outer.1")
    inner = project / "vendor" / "lib"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    taken = run("lock", "src/", "--reason", "mine", agent="inner.1", cwd=inner)
    assert "Locked src/" in taken.stdout
    assert "warning: src/ lies in or holds vendor/ on the board of the project around" \
        in taken.stderr, taken.stderr
    assert "outer.1 (live" in taken.stderr and "upgrading" in taken.stderr
    # A lock in the nested one holding the outer lock's area: warned too.
    run("unlock", "vendor/", agent="outer.1")
    run("lock", "vendor/lib/deep/", "--reason", "deep", agent="outer.2")
    holding = run("lock", "deep", "--reason", "all", agent="inner.2", cwd=inner)
    assert "warning: deep lies in or holds vendor/lib/deep/" in holding.stderr, holding.stderr
    # The holder's own lock, or a gone holder's: no warning.
    run("unlock", "deep", agent="inner.2", cwd=inner)
    mine = run("lock", "deep/", "--reason", "mine", agent="outer.2", cwd=inner)
    assert "warning" not in mine.stderr, mine.stderr
    other = project / "other" / "repo"
    other.mkdir(parents=True)
    git(other, "init", "-q")
    run("lock", "other/", "--reason", "x", agent="gone.1", as_another_agent=True)
    quiet = run("lock", "y/", "--reason", "mine", agent="inner.3", cwd=other)
    assert "warning" not in quiet.stderr, quiet.stderr


def test_a_wrapped_up_holder_is_said_wrapped_up_in_words_and_json_keeps_its_name(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix it", "--working-set", "src/")
    run("start", agent="early.1")
    run("task", "claim", task, agent="early.1")
    run("lock", "docs/", "--reason", "r", agent="early.1")
    run("wrap-up", "Stopped early", agent="early.1")
    listed = run("task", "list", agent="late.1").stdout
    shown = run("task", "show", task, agent="late.1").stdout
    locks = run("locks", agent="late.1").stdout
    for said in (listed, shown, locks):
        assert "wrapped up" in said and "wrapped-up" not in said, said
    import json

    assert json.loads(run("task", "show", task, "--json", agent="late.1").stdout)[
        "owner_state"] == "wrapped-up"


_WORDS = ["TODO", "NEXT", "DOING", "REVIEW", "DONE", "CANCELLED", "WAIT", "SHIPPED"]
_LINE = st.tuples(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6, unique=True),
                  st.one_of(st.none(), st.integers(0, 6)))


def _keyword_line(words: list[str], bar: int | None) -> str:
    if bar is None:
        return "#+TODO: " + " ".join(words)
    bar = min(bar, len(words))
    return "#+TODO: " + " ".join([*words[:bar], "|", *words[bar:]])


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(boards=st.lists(st.lists(_LINE, min_size=1, max_size=2), min_size=1, max_size=12))
def test_a_task_is_closed_exactly_when_org_says_it_is_done(boards, tmp_path_factory) -> None:
    """``done_states`` (and a task's ``is_open``) agree with Org's ``org-entry-is-done-p``
    for any ``#+TODO:`` lines, with and without ``|`` (the Org manual, "Workflow
    states": without the bar, the line's last word alone is the done state), in both
    judges."""
    from ai_protocols.board.model import BoardFile, read_board

    from emacs import JUDGES, on_both

    folder = tmp_path_factory.mktemp("keywords")
    mine: dict[str, dict[str, bool]] = {}
    for number, lines in enumerate(boards):
        used = list(dict.fromkeys(w for words, _ in lines for w in words))
        text = "".join(_keyword_line(w, b) + "\n" for w, b in lines) + "\n" + "".join(
            f"* {w} Task {w}\n:PROPERTIES:\n:ID: t-{w}\n:END:\n" for w in used)
        path = folder / f"b{number}.org"
        path.write_text(text, encoding="utf-8")
        tasks = read_board(BoardFile(text), check=False)[0]
        mine[path.name] = {t.title.split()[-1]: not t.is_open for t in tasks}
    code = ("(progn (require 'org) (dolist (f command-line-args-left) (find-file f) "
            "(org-mode) (org-map-entries (lambda () (princ (format \"%s %s %s\\n\" "
            "(file-name-nondirectory f) (car (last (split-string (org-get-heading t t t t)))) "
            "(if (org-entry-is-done-p) 1 0))))) (kill-buffer)) (setq command-line-args-left "
            "nil))")
    files = [str(folder / name) for name in sorted(mine)]
    for judge, done in zip(JUDGES, on_both(lambda j: j.run(["--eval", code, *files])),
                           strict=True):
        theirs: dict[str, dict[str, bool]] = {}
        for row in done.stdout.split("\n"):
            if row.strip():
                name, word, flag = row.split()
                theirs.setdefault(name, {})[word] = flag == "1"
        assert theirs == mine, f"{judge}: {boards}"


def test_a_board_whose_todo_line_lost_its_bar_gets_the_board_s_line_again(
        project: Path, run: Runner) -> None:
    from emacs import JUDGES, on_both

    task = add(run, "Ship it")
    edit(project, "#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n",
         "#+TODO: TODO NEXT DOING REVIEW DONE CANCELLED\n")  # a person dropped the bar
    run("task", "claim", task, agent=AGENT)
    run("task", "done", task, agent=AGENT)
    assert board(project).startswith("#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n")
    listed = run("task", "list", agent="p.1")
    assert "Ship it" not in listed.stdout  # closed, as Emacs reads it too
    code = ("(progn (require 'org) (find-file \".ai/tasks.org\") (org-mode) "
            "(org-map-entries (lambda () (princ (format \"%s=%s\\n\" (org-get-todo-state) "
            "(if (org-entry-is-done-p) 1 0))))))")
    for judge, done in zip(JUDGES, on_both(lambda j: subprocess.run(
            [j.emacs, "--batch", "-Q", "--eval", code], cwd=project, capture_output=True,
            text=True, env=j.env(), timeout=120)), strict=True):
        assert "DONE=1" in done.stdout, (judge, done.stdout, done.stderr)


# -- 1 (the merge). the merge driver knows the task by the same rule ------------------------------

_BASE = """#+TITLE: Task board
#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
"""


def _task(title: str, ident: str, n: int, state: str = "TODO", extra: str = "") -> str:
    return (f"* {state} {title}\n:PROPERTIES:\n:ID:       {ident}\n"
            f":CREATED:  [2026-11-{n + 1:02d} Mon 10:00]\n{extra}:END:\n"
            f"- [2026-11-30 Mon 10:00] added by p.1\n")


_CLAIM = (":OWNER:    b.1\n:CLAIMED:  [2026-11-30 Mon 11:00]\n"
          ":CLAIMED_AT: 2026-11-30T11:00:00+00:00 vm b 2.5\n")


def test_the_merge_driver_knows_a_retitled_task_whose_id_one_side_deleted(
        tmp_path: Path) -> None:
    """Ours retitled the task and deleted its :ID: line; theirs claimed it: one task,
    with our title, its id back, and their claim and log (the installed driver)."""
    from boardkit import board_driver

    base = _BASE + _task("Fix parser", "2026-aaaa", 0) + _task("Other", "2026-bbbb", 1)
    ours = base.replace(":ID:       2026-aaaa\n", "").replace(
        "* TODO Fix parser\n", "* TODO Fix the parser (Ann)\n")
    theirs = base.replace("* TODO Fix parser\n:PROPERTIES:\n", "* DOING Fix parser\n"
                          ":PROPERTIES:\n").replace(
        ":CREATED:  [2026-11-01 Mon 10:00]\n", ":CREATED:  [2026-11-01 Mon 10:00]\n" + _CLAIM)
    theirs = theirs.replace("- [2026-11-30 Mon 10:00] added by p.1\n* TODO Other",
                            "- [2026-11-30 Mon 10:00] added by p.1\n"
                            "- [2026-11-30 Mon 11:00] claimed by b.1\n* TODO Other")
    merged = board_driver(tmp_path, base, ours, theirs)
    assert merged.count("Fix ") == 1 and "* DOING Fix the parser (Ann)\n" in merged, merged
    assert merged.count(":ID:       2026-aaaa") == 1 and ":OWNER:    b.1" in merged
    assert "claimed by b.1" in merged and "Other" in merged


def test_the_merge_driver_knows_a_task_whose_id_one_side_retyped(tmp_path: Path) -> None:
    from boardkit import board_driver

    base = _BASE + _task("Fix parser", "2026-aaaa", 0)
    ours = base.replace(":ID:       2026-aaaa\n", ":ID:       ann-parser\n")
    theirs = base + "- [2026-11-30 Mon 11:00] a note\n"
    merged = board_driver(tmp_path, base, ours, theirs)
    assert merged.count("* TODO Fix parser") == 1, merged
    assert ":ID:       ann-parser" in merged and merged.count("2026-aaaa") == 1
    assert "its id was 2026-aaaa (changed by hand to ann-parser): the same task" in merged
    assert "a note" in merged


@settings(max_examples=40, deadline=None)
@given(titles=st.lists(_TITLE, min_size=1, max_size=5), which=st.integers(0, 4),
       title=_TITLE, retype=st.booleans())
def test_the_merge_keeps_one_task_whose_id_one_side_lost_whatever_its_titles(
        titles: list[str], which: int, title: str, retype: bool) -> None:
    """``merge_board_bytes``: ours lost a task's id (deleted or retyped) and retitled
    it; theirs added a log item to it: the result holds each task once, with that item
    and no conflict; but a task whose id ours retyped and retitled is another task (the
    ninth review): a conflict, nothing lost."""
    from ai_protocols.board.merge import merge_board_bytes

    which %= len(titles)
    tasks = [_task(t, f"2026-{n:08d}", n) for n, t in enumerate(titles)]
    base = _BASE + "".join(tasks)
    mine = tasks[which].replace(f":ID:       2026-{which:08d}\n",
                                ":ID:       typed-by-hand\n" if retype else "")
    mine = mine.replace(f" {titles[which]}\n", f" {title}\n", 1)
    ours = _BASE + "".join(mine if n == which else t for n, t in enumerate(tasks))
    theirs = _BASE + "".join(t + "- [2026-11-30 Mon 11:00] their note\n" if n == which else t
                             for n, t in enumerate(tasks))
    done = merge_board_bytes(base.encode(), ours.encode(), theirs.encode())
    if retype and title != titles[which]:
        # (an id a person typed is that id: retitled too, it is another task; the
        # base's, which theirs changed, ours removed: a conflict, nothing lost)
        assert done is not None and done.conflicts and "their note" in done.data.decode()
        return
    assert done is not None and not done.conflicts, done
    text = done.data.decode()
    assert text.count("* TODO") == len(titles), text
    assert text.count("their note") == 1
    ident = "typed-by-hand" if retype else f"2026-{which:08d}"
    assert text.count(f":ID:       {ident}\n") == 1, text
