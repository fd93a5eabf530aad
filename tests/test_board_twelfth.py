"""The task board after its twelfth round (issue 15): a task's identity through git. A
task is the same task by one rule (``board.merge.same_tasks``) on disk and in a merge;
a board git wrote (a pull, a merge) keeps a task a person gave another id in a commit
when its claim (the same ``OWNER`` and ``CLAIMED_AT``) says which task it is.

Every command runs as the installed ``ai-protocols`` in real git repositories (clones,
pulls); the identity rule's properties call the library directly.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from boardkit import add, board, git
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner

AGENT = "tw.1796000000"


def _clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    return target.resolve()


def _tasks(text: str) -> list[tuple[str, str, str | None]]:
    """Each task headline's title, its ``ID`` and ``OWNER``."""
    found = []
    for part in re.split(r"^(?=\* )", text, flags=re.M)[1:]:
        head = part.split("\n", 1)[0]
        if head.startswith("* Locks"):
            continue
        ident = re.search(r"^:ID: +(\S+)$", part, re.M)
        owner = re.search(r"^:OWNER: +(\S+)$", part, re.M)
        found.append((head, ident.group(1) if ident else "",
                      owner.group(1) if owner else None))
    return found


# -- 1. an id a person changed in a commit git brings (a pull) -------------------------------


def test_a_claimed_task_whose_id_a_pull_changed_stays_one_task(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """The agent claims "Task A" and commits; a person's clone retypes its ``:ID:`` (a new
    id, or the id of "Task B") and commits; the agent's clone pulls (a fast-forward: the
    board is then exactly what ``HEAD`` holds). Its claim's evidence (the same ``OWNER``
    and ``CLAIMED_AT``) makes it the kept copy's task: the next write puts nothing back
    a second time (before: "Task A" twice, both claimed), ``task list`` warns of no
    lost claim, and an id typed as another task's is given back."""
    a = add(run, "Task A")
    b = add(run, "Task B")
    run("task", "claim", a, agent=AGENT)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "claim")
    person = _clone(project, tmp_path / "person")
    for new, other in (("20261130-100000-zzzzzzzz", None), (b, b)):
        text = board(person)
        old = re.search(r"^\* DOING Task A\n(?:.*\n)*?:ID: +(\S+)$", text, re.M).group(1)
        (person / ".ai" / "tasks.org").write_text(
            text.replace(f":ID:       {old}\n", f":ID:       {new}\n"), encoding="utf-8")
        git(person, "commit", "-qam", "a person retypes an id")
        git(project, "pull", "-q", str(person), "HEAD")
        listed = run("task", "list", agent=AGENT)
        assert "lost" not in listed.stderr, listed.stderr
        run("task", "add", "other", agent=AGENT)
        tasks = _tasks(board(project))
        claimed = [t for t in tasks if t[0] == "* DOING Task A"]
        assert len(claimed) == 1 and claimed[0][2] == AGENT, tasks
        ids = [t[1] for t in tasks]
        assert len(ids) == len(set(ids)), tasks  # (an id given back: one task each)
        if other is None:
            assert claimed[0][1] == new
        else:
            assert claimed[0][1] == old and [t[1] for t in tasks if "Task B" in t[0]] == [b]
        git(project, "commit", "-qam", "next")
        git(person, "pull", "-q", str(project), "HEAD")


# -- the one identity rule: never two different tasks, never one task twice -----------------


def _task(title: str, ident: str | None, created: str, body: str,
          claim: tuple[str, str] | None = None) -> str:
    drawer = ([f":ID:       {ident}"] if ident is not None else []) + \
        [f":CREATED:  [2026-11-30 Mon 10:0{created}]"] + \
        ([f":OWNER:    {claim[0]}", f":CLAIMED_AT: {claim[1]}"] if claim else [])
    return f"* TODO {title}\n:PROPERTIES:\n" + "\n".join(drawer) + "\n:END:\n" + body


_HEAD = "#+TITLE: Task board\n#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n\n"
_TITLES = st.sampled_from(["Fix", "Fix it", "Ship"])
_OLD = st.lists(st.tuples(_TITLES, st.sampled_from("01"), st.booleans()), min_size=1,
                max_size=4)


@settings(max_examples=300, deadline=None)
@given(old=_OLD, new=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3),
                                        st.sampled_from(["id", "other id", "claim"])),
                              max_size=5))
def test_the_identity_rule_pairs_no_two_different_tasks(old, new) -> None:
    """``same_tasks`` on a board and a later one: a task of the later board with its own
    ``ID`` that shares an earlier task's title alone, or its ``CREATED`` alone (its text
    another), is never that task; a task whose id a person retyped and whose claim is
    the earlier task's is. No task of either board is paired twice (so a put-back puts
    no task on the board a second time)."""
    from ai_protocols.board.merge import same_tasks
    from ai_protocols.board.model import BoardFile

    olds = [(f"t{i}", title, created, f"Old text {i}.\n" if body else "",
             (f"ag.{i}", f"2026-11-30T10:00:0{i}.00+00:00"))
            for i, (title, created, body) in enumerate(old)]
    first = BoardFile(_HEAD + "".join(_task(t, i, c, b, claim) for i, t, c, b, claim in olds))
    later, same = [], {}
    for n, (which, other, how) in enumerate(new):
        ident, title, created, _, claim = olds[which % len(olds)]
        if how == "claim" and ident not in same.values():
            same[n] = ident
            later.append(_task(title, f"n{n}", created, f"Retyped {n}.\n", claim))
        else:  # another task: a title or a CREATED it shares, its own text and id
            mixed = olds[other % len(olds)]
            later.append(_task(title, f"n{n}", mixed[2], f"New text {n}.\n"))
    second = BoardFile(_HEAD + "".join(later))
    pairs = same_tasks(first, second)
    named = {second.headlines[b].properties["ID"]: first.headlines[a].properties["ID"]
             for a, b in pairs}
    assert len({a for a, _ in pairs}) == len({b for _, b in pairs}) == len(pairs)
    assert named == {f"n{n}": ident for n, ident in same.items()}, (pairs, later)


# -- 2. the merge's "its id was also Z" followed -------------------------------------------


def _two_clones(project: Path, run: Runner, tmp_path: Path, extra: str,
                ) -> tuple[Path, Path]:
    """The project with ``extra`` appended to its board, committed, and two clones that
    each ran ``task add`` (which gives the id-less tasks ids) and committed."""
    add(run, "First task")
    with (project / ".ai" / "tasks.org").open("a", encoding="utf-8") as board_file:
        board_file.write(extra)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    clones = []
    for name in ("a", "b"):
        clone = _clone(project, tmp_path / name)
        Runner(clone)("task", "add", f"from {name}", agent=f"ag{name}.1796000000")
        git(clone, "add", "-A")
        git(clone, "commit", "-qm", name)
        clones.append(clone)
    return clones[0], clones[1]


def _ids_of(repo: Path, title: str) -> list[str]:
    return [ident for head, ident, _ in _tasks(board(repo)) if head.endswith(" " + title)]


@pytest.mark.parametrize("pop", [True, False])
def test_a_claim_follows_the_merges_note_of_the_id_two_clones_gave(
        project: Path, run: Runner, tmp_path: Path, pop: bool) -> None:
    """Both clones give the id-less "Hand one" an id; the clone whose id the merge drops
    claims it (uncommitted), stashes, pulls the other (the merge keeps the smaller id
    and logs ``its id was also Z``). ``git stash pop`` merges without conflict markers,
    the claim on the kept id; or, the stash dropped, the next command puts the claim
    back on that task (before: markers; or "Hand one" twice, the dropped id claimed)."""
    a, b = _two_clones(project, run, tmp_path, "* TODO Hand one\nbody one\n")
    (y,), (z,) = sorted([_ids_of(a, "Hand one"), _ids_of(b, "Hand one")])
    keeper, dropper = (a, b) if _ids_of(a, "Hand one") == [y] else (b, a)
    me = "agz.1796000000"
    Runner(dropper)("task", "claim", z, agent=me)
    git(dropper, "stash", "-q")
    git(dropper, "pull", "-q", "--no-rebase", str(keeper), "HEAD")
    assert f"its id was also {z}" in board(dropper)
    if pop:
        git(dropper, "stash", "pop", "-q")
        assert "<<<<<<<" not in board(dropper), board(dropper)
    else:
        git(dropper, "stash", "drop", "-q")
        Runner(dropper)("task", "add", "next", agent=me)
    tasks = [t for t in _tasks(board(dropper)) if t[0].endswith(" Hand one")]
    assert tasks == [("* DOING Hand one", y, me)], board(dropper)
    shown = Runner(dropper)("task", "show", z, agent=me, check=False)
    assert y in shown.stdout + shown.stderr


# -- 3, 4, 11. id-less tasks that clones gave ids, merged with the board's driver ----------


def _driver(project: Path, clone: Path) -> None:
    """The board's merge driver in ``clone``'s git configuration, as ``init`` put it in
    the project's (git does not clone it)."""
    for key in ("name", "driver"):
        value = git(project, "config", f"merge.ai-protocols.{key}").strip()
        git(clone, "config", f"merge.ai-protocols.{key}", value)


def _rewrite(clone: Path, old: str, new: str) -> None:
    path = clone / ".ai" / "tasks.org"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _merged(project: Path, run: Runner, tmp_path: Path, extra: str, *changes,
            ) -> list[Path]:
    """The project with ``extra`` appended to its board, committed; one clone per change
    (a title for ``task add``, or an ``(old, new)`` edit of the board by a person), each
    committed; each clone then pulls the others in order (the board's merge driver),
    which must merge cleanly. The clones."""
    add(run, "First task")
    with (project / ".ai" / "tasks.org").open("a", encoding="utf-8") as board_file:
        board_file.write(extra)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    clones = []
    for n, change in enumerate(changes):
        clone = _clone(project, tmp_path / f"c{n}")
        _driver(project, clone)
        if callable(change):
            change(Runner(clone), n)
        elif isinstance(change, str):
            Runner(clone)("task", "add", change, agent=f"ag{n}.1796000000")
        else:
            _rewrite(clone, *change)
        git(clone, "commit", "-qam", f"c{n}")
        clones.append(clone)
    for clone in clones:
        for other in clones:
            if other != clone:
                git(clone, "pull", "-q", "--no-rebase", "--no-edit", str(other), "HEAD")
        assert "<<<<<<<" not in board(clone), board(clone)
    return clones


@pytest.mark.parametrize(("extra", "title", "count"), [
    ("* TODO Same title\n* TODO Same title\n", "Same title", 2),
    ("* TODO Fix\n:PROPERTIES:\n:ID:       20261130-100000-aaaaaaaa\n:END:\n* TODO Fix\n",
     "Fix", 2),
    ("* TODO Empty id\n:PROPERTIES:\n:ID:\n:END:\nbody\n", "Empty id", 1),
    ("* TODO Hand one\nbody one\n", "Hand one", 1),
])
def test_id_less_tasks_each_clone_gave_ids_merge_as_they_were(
        project: Path, run: Runner, tmp_path: Path, extra: str, title: str,
        count: int) -> None:
    """Each clone only ran a command (which gives the id-less tasks ids); every clone
    then merges the others (three clones for one task): each task once, with one id
    (before: two same-titled tasks became 4; a copy whose :ID: line was deleted, as
    the docs say, 3; a task with an empty ``:ID:``, twice; three clones, twice)."""
    clones = _merged(project, run, tmp_path, extra, "x", "y",
                     *(["z"] if count == 1 and "Hand" in title else []))
    for clone in clones:
        ids = _ids_of(clone, title)
        assert len(ids) == count and all(ids), board(clone)
    assert len({tuple(_ids_of(clone, title)) for clone in clones}) == 1


def test_two_alike_id_less_tasks_each_claimed_in_a_clone_merge_as_two(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Two id-less ``* TODO Same title``; each clone's command gives them ids and its
    agent claims one (the first in one clone, the second in the other): merged, two
    tasks, each claimed by its own agent (before: three, two claimed)."""
    import json

    def claim(mine: Runner, n: int) -> None:
        me = f"ag{n}.1796000000"
        mine("task", "add", f"from {n}", agent=me)
        ids = [t["id"] for t in json.loads(mine("task", "list", "--json", agent=me).stdout)
               if t["title"] == "Same title"]
        mine("task", "claim", ids[n], agent=me)

    clones = _merged(project, run, tmp_path, "* TODO Same title\n* TODO Same title\n",
                     claim, claim)
    for clone in clones:
        tasks = [t for t in _tasks(board(clone)) if t[0].endswith("Same title")]
        assert [t[2] for t in tasks] == ["ag0.1796000000", "ag1.1796000000"], board(clone)


@pytest.mark.parametrize("edit", ["delete", "retitle", "edit one of two"])
def test_a_persons_change_to_an_id_less_task_merges_with_a_clone_that_gave_it_an_id(
        project: Path, run: Runner, tmp_path: Path, edit: str) -> None:
    """One clone only ran a command (which gives "Hand one" an id); a person's clone
    deleted the task, retitled it, or edited one of two tasks of that title. Merged
    either way: the deleted task stays deleted (before: back, with the id); the
    retitled one is one task with the id (before: the id lost, or two tasks); the
    edited one of two is that one, the other as it was (before: a conflict)."""
    extra = "* TODO Hand one\nbody one\n" if edit != "edit one of two" else \
        "* TODO Hand one\n* TODO Hand one\n"
    change = {"delete": ("* TODO Hand one\nbody one\n", ""),
              "retitle": ("* TODO Hand one\n", "* TODO Hand one, reworded\n"),
              "edit one of two": (extra, "* TODO Hand one\n* NEXT Hand one\nBob's copy\n")
              }[edit]
    clones = _merged(project, run, tmp_path, extra, "x", change)
    for clone in clones:
        tasks = [t for t in _tasks(board(clone)) if "Hand one" in t[0]]
        if edit == "delete":
            assert tasks == [], board(clone)
        elif edit == "retitle":
            assert [t[0] for t in tasks] == ["* TODO Hand one, reworded"] and tasks[0][1], \
                board(clone)
        else:
            assert [t[0] for t in tasks] == ["* TODO Hand one", "* NEXT Hand one"] and \
                all(t[1] for t in tasks), board(clone)
            assert board(clone).count("Bob's copy\n") == 1


# -- 7. an id changed in a clone that never ran the tool, merged -----------------------------


def test_an_id_a_person_changed_in_a_clone_without_the_tool_is_noted_by_the_merge(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """A person's clone (no command run there) changes a task's ``:ID:`` and commits;
    the agent's clone linked its session to the old id and claimed the task; the
    agent pulls (the board's merge driver). One task, with the claim and a line in its
    log naming the old id, which ``task show OLD`` and ``resume`` follow (before: no
    note; "no task" without "its id is now", and the session's task gone)."""
    old, new = "20261130-100000-aaaaaaaa", "20261130-100000-zzzzzzzz"
    add(run, "First task")
    with (project / ".ai" / "tasks.org").open("a", encoding="utf-8") as board_file:
        board_file.write(f"* TODO Retype me\n:PROPERTIES:\n:ID:       {old}\n:END:\nnote\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    person, agent = _clone(project, tmp_path / "person"), _clone(project, tmp_path / "agent")
    _rewrite(person, old, new)
    git(person, "commit", "-qam", "a person changes an id")
    mine = Runner(agent)
    mine("start", "--task", "aaaaaaaa", "--title", "work", agent=AGENT)
    mine("task", "claim", "aaaaaaaa", agent=AGENT)
    git(agent, "add", "-A")
    git(agent, "commit", "-qm", "claim")
    _driver(project, agent)
    git(agent, "pull", "-q", "--no-rebase", "--no-edit", str(person), "HEAD")
    tasks = [t for t in _tasks(board(agent)) if "Retype me" in t[0]]
    assert tasks == [("* DOING Retype me", new, AGENT)], board(agent)
    assert f"its id was {old} (changed by hand to {new}): the same task" in board(agent)
    shown = mine("task", "show", "aaaaaaaa", agent=AGENT, check=False)
    assert shown.returncode == 20 and f"its id is now {new}" in shown.stderr, shown
    assert new in mine("resume", agent=AGENT).stdout


# -- 5, 9. one reading of a hand-written path for locks and working sets --------------------


@pytest.mark.parametrize("written", [".", "./.", ".//", "src/..", "{root}/src/"])
def test_a_hand_written_lock_path_is_read_alike_by_locks_the_hook_and_check(
        project: Path, run: Runner, written: str) -> None:
    """A lock a person writes by hand for the whole project spelled other than ``./``
    locks it for ``locks``, the hook and ``check`` alike (before: listed, but the hook
    let edits through and ``check`` said ok); an absolute ``PATH`` inside the project
    locks nothing for any of them, with the warning that says so (before: warned, yet
    the hook refused and ``check`` reported). A hand working set ``src/.. .`` holds every
    file."""
    from boardkit import edit, write_hook

    (project / "src").mkdir()
    task = add(run, "t", "--working-set", "src/")
    path = written.replace("{root}", str(project))
    edit(project, "* TODO t\n", "** Whole project, ask Ann\n:PROPERTIES:\n"
         f":PATH:     {path}\n:OWNER:    ann.1796000001\n:END:\n* TODO t\n")
    changed = project / ("src/b.py" if written.startswith("{root}") else "top.txt")
    changed.write_text("x\n", encoding="utf-8")
    listed = run("locks", "--json", agent=AGENT)
    hook = write_hook(project, changed, AGENT)
    checked = run("check", agent=AGENT, check=False)
    if written.startswith("{root}"):
        assert listed.stdout.strip() == "[]" and "locks nothing" in listed.stderr
        assert hook.returncode == 0 and checked.returncode == 0, (hook, checked)
    else:
        assert '"ann.1796000001"' in listed.stdout, listed
        assert hook.returncode == 2 and checked.returncode == 23, (hook, checked)
        return
    run("task", "claim", task, agent=AGENT)
    edit(project, ":WORKING_SET: src/\n", ":WORKING_SET: src/.. .\n")
    checked = run("check", agent=AGENT, check=False)
    assert checked.returncode == 0, checked


# -- 10. two tasks' :ID: lines swapped ------------------------------------------------------


@pytest.mark.parametrize("commit", [False, True])
def test_swapped_ids_leave_the_claim_on_the_task_that_was_claimed(
        project: Path, run: Runner, commit: bool) -> None:
    """"Task A" (claimed, working set ``a/``) and "Task B" (free, ``b/``); a person
    swaps their ``:ID:`` lines (and commits, or not). The id and everything else
    disagree: the stronger evidence (title, text, claim) decides, and the command says
    so: ``task list`` shows each task once, the claim stays on "Task A" and the agent
    holds no ``b/`` (before: "Task A" twice, both claimed; then the claim put on "Task
    B", which nobody claimed)."""
    a = add(run, "Task A", "--working-set", "a/")
    b = add(run, "Task B", "--working-set", "b/")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "tasks")
    run("task", "claim", a, agent=AGENT)
    text = board(project).replace(f":ID:       {a}\n", ":ID:       SWAP\n")
    text = text.replace(f":ID:       {b}\n", f":ID:       {a}\n").replace("SWAP", b)
    (project / ".ai" / "tasks.org").write_text(text, encoding="utf-8")
    if commit:
        git(project, "commit", "-qam", "a person swaps two ids")
    listed = run("task", "list", agent=AGENT)
    assert listed.stdout.count("Task A") == 1 and "lost" not in listed.stderr, listed
    run("task", "add", "other", agent=AGENT)
    tasks = {t[0]: t for t in _tasks(board(project))}
    assert tasks["* DOING Task A"][2] == AGENT and tasks["* TODO Task B"][2] is None, tasks
    assert sorted([tasks["* DOING Task A"][1], tasks["* TODO Task B"][1]]) == sorted([a, b])
    (project / "b").mkdir()
    (project / "b" / "x.py").write_text("x\n", encoding="utf-8")
    assert run("check", agent=AGENT, check=False).returncode == 23  # (b/ is not its own)
