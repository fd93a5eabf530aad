"""The task board after its eleventh review, part b (issue 15): ``task list`` linear in
the board's tasks; a merge takes a task's state, role, holder and claim together from
one side; the board's messages say what applies (a paused holder, a note that is no
put-back, a wrap-up's suggestion).

Every command runs as the installed ``ai-protocols`` in a real git repository; the
comparison count runs the installed command's own ``main`` in a real process of its own,
with a counter on the value classes' ``==``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from boardkit import BOARD, add, board
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env

AGENT = "me.1796000000"

# -- 1. task list: no comparison of each task with the others ----------------------------

#: The installed command's ``main``, run with a counter on ``==`` of the board's value
#: classes (Task, AreaLock...): the count goes to stderr's last line.
COUNTED = """
import collections, sys
from ai_protocols import lean
from ai_protocols.board import model
calls = collections.Counter()
plain = lean._eq
def counted(self, other):
    calls[type(self).__name__] += 1
    return plain(self, other)
for value in vars(model).values():
    if isinstance(value, type) and value.__dict__.get("__eq__") is plain:
        value.__eq__ = counted
from ai_protocols.cli.main import main
sys.argv = ["ai-protocols", *sys.argv[1:]]
try:
    main()
finally:
    print("COMPARISONS", sum(calls.values()), file=sys.stderr)
"""


def test_task_list_compares_no_task_with_the_others(project: Path, run: Runner) -> None:
    """r12: 1,000 tasks, mostly DONE, some held by this agent: each form of ``task
    list`` compares fewer tasks than the board holds (a list's ``in`` made 4.5 M
    comparisons for 3,000, 12 s). No timing: the count of comparisons is the measure."""
    add(run, "seed")
    n = 1000
    with (project / BOARD).open("a", encoding="utf-8") as out:
        for k in range(n):
            held = f":OWNER:    {AGENT}\n" if k % 4 == 0 else ""
            state = "DONE" if k % 2 else "DOING" if held else "TODO"
            out.write(f"* {state} task {k}\n:PROPERTIES:\n"
                      f":ID:       20261130-100000-{k:08d}\n{held}:END:\n")
    for form in ([], ["--mine"], ["--free"]):
        done = subprocess.run([sys.executable, "-c", COUNTED, "task", "list", *form],
                              cwd=project, env=clean_env(AI_AGENT_ID=AGENT),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done
        count = int(done.stderr.strip().splitlines()[-1].split()[-1])
        assert count < n, (form, count)
        assert done.stdout.count("task ") >= (n // 4 if form == ["--mine"] else 1), form


# -- 2. the merge: a task's state, role and claim come together from one side -------------

_BASE_TASK = ("* TODO Shared\n:PROPERTIES:\n:ID:       20261130-100000-aaaaaaaa\n"
              ":ROLE:     implementer\n:END:\n")


def _claimed(state: str, role: str, owner: str, minute: int, log: str) -> str:
    return (f"* {state} Shared\n:PROPERTIES:\n:ID:       20261130-100000-aaaaaaaa\n"
            f":ROLE:     {role}\n:OWNER:    {owner}\n"
            f":CLAIMED:  [2026-11-30 Mon 10:{minute:02d}]\n:END:\n{log}")


def _handed_off(by: str, minute: int) -> str:
    return ("* REVIEW Shared\n:PROPERTIES:\n:ID:       20261130-100000-aaaaaaaa\n"
            ":ROLE:     reviewer\n:END:\n"
            f"- [2026-11-30 Mon 10:{minute:02d}] claimed by {by}\n"
            f"- [2026-11-30 Mon 10:{minute:02d}] handed off by {by} (role implementer) to "
            "reviewer: done\n")


def test_a_claim_against_a_claim_then_hand_off_merges_as_one_side(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """r7 and m21: one clone claims the task, the other claims it and hands it off to
    reviewer. Whichever claimed first, the merge's task is the claimer's, whole: DOING,
    role implementer, held by it (never REVIEW, role reviewer, held by the implementer),
    the hand-off's log item kept and an item saying its role gave way; the same
    whichever side git calls ours."""
    from boardkit import board_driver

    add(run, "seed")
    head = board(project)
    base = head + _BASE_TASK
    for hand_minute, claim_minute in ((1, 2), (2, 1)):
        ours = head + _handed_off("agA", hand_minute)
        theirs = head + _claimed("DOING", "implementer", "agB", claim_minute,
                                 f"- [2026-11-30 Mon 10:{claim_minute:02d}] claimed by agB\n")
        for one, two in ((ours, theirs), (theirs, ours)):
            merged = board_driver(tmp_path, base, one, two)
            task = merged[merged.index("* ", merged.index("Shared") - 10):]
            assert task.startswith("* DOING Shared"), task
            assert ":ROLE:     implementer" in task and ":OWNER:    agB" in task, task
            assert "handed off by agA" in task and "role reviewer set on one side" in task \
                and "gave way: agB's claim" in task, task
    # The hand-off side's reviewer claimed first: its task, whole (REVIEW, reviewer).
    ours = head + _claimed("REVIEW", "reviewer", "rev", 1, "")
    theirs = head + _claimed("DOING", "implementer", "agB", 2, "")
    for one, two in ((ours, theirs), (theirs, ours)):
        merged = board_driver(tmp_path, base, one, two)
        task = merged[merged.index("* ", merged.index("Shared") - 10):]
        assert task.startswith("* REVIEW Shared") and ":ROLE:     reviewer" in task, task
        assert ":OWNER:    rev" in task, task
    # One side closed it, the other handed it off: the closer's task, whole.
    ours = head + _claimed("DONE", "implementer", "agB", 2, "").replace(
        ":END:", ":CLOSED_AT: [2026-11-30 Mon 10:03]\n:END:")
    handed = head + _handed_off("agA", 1)
    for one, two in ((ours, handed), (handed, ours)):
        merged = board_driver(tmp_path, base, one, two)
        task = merged[merged.index("* ", merged.index("Shared") - 10):]
        assert task.startswith("* DONE Shared") and ":ROLE:     implementer" in task, task
        assert "gave way: the other side closed the task" in task, task


_STATES = st.sampled_from(["TODO", "NEXT", "DOING", "REVIEW", "DONE", "CANCELLED"])
_UNIT = st.tuples(_STATES, st.sampled_from([None, "implementer", "reviewer"]),
                  st.sampled_from([None, "x", "y"]), st.sampled_from([1, 2]))


def _values(unit: tuple[str, str | None, str | None, int]) -> dict[str, str]:
    _, role, owner, minute = unit
    values = {"ID": "t"}
    if role:
        values["ROLE"] = role
    if owner:
        values.update(OWNER=owner, CLAIMED=f"[2026-11-30 Mon 10:0{minute}]")
    return values


@settings(max_examples=300, deadline=None)
@given(o=_UNIT, a=_UNIT, b=_UNIT)
def test_the_merged_state_role_and_claim_come_from_one_side(o, a, b) -> None:  # type: ignore[no-untyped-def]
    """For any base and two sides' (state, role, owner, claim time), the merged task's
    state, ROLE, OWNER and CLAIMED are all one side's (the side that changed them when
    only one did), or the task is left to a person (a conflict). A pure function: the
    merge driver's rule, called directly."""
    from ai_protocols.board.merge import _Conflict, merge_task_properties

    sides = [(unit[0], _values(unit)) for unit in (o, a, b)]
    try:
        state, merged = merge_task_properties(sides[0][1], sides[1][1], sides[2][1],
                                              (o[0], a[0], b[0]))
    except _Conflict:
        return

    def unit(state: str | None, values: dict[str, str | None]) -> tuple[object, ...]:
        return (state, values.get("ROLE"), values.get("OWNER"), values.get("CLAIMED"))

    got = unit(state, merged)
    ua, ub, uo = (unit(s, v) for s, v in sides[1:] + sides[:1])  # type: ignore[arg-type]
    assert got in (ua, ub), (uo, ua, ub, got)
    if ua == uo:
        assert got == ub
    if ub == uo:
        assert got == ua


# -- 3. the messages say what applies ------------------------------------------------------


def test_refusals_against_a_paused_holder_say_the_person_agrees_not_gone(
        project: Path, run: Runner) -> None:
    """A paused holder is not gone: claim, release, lock and unlock against its claim
    and lock say to force once the person who paused it agrees (docs/tasks.md), never
    "once you are sure that agent is gone"."""
    task = add(run, "A")
    run("start", "--title", "x", agent="p.1")  # (the test process: its agent runs on)
    run("task", "claim", task, agent="p.1")
    run("lock", "src/", "--reason", "mine", agent="p.1")
    run("pause", "--note", "lunch", "--no-checkpoint", agent="p.1")
    for args, code in ((("task", "claim", task), 21), (("task", "release", task), 21),
                       (("lock", "src/x", "--reason", "r"), 22), (("unlock", "src/"), 22)):
        refused = run(*args, agent="b.1", check=False)
        assert refused.returncode == code, (args, refused)
        assert "add --force once the person who paused that session agrees" in \
            refused.stderr and "once you are sure" not in refused.stderr, \
            (args, refused.stderr)


def test_a_retyped_id_is_said_as_noted_not_put_back(project: Path, run: Runner) -> None:
    """A person retypes a task's :ID: (a new id of its own): the next command notes it in
    the task's log and says "noted on the task board", not "put back"."""
    old = add(run, "A")
    new = "20261130-100000-zzzzzzzz"
    path = project / BOARD
    path.write_text(board(project).replace(f":ID:       {old}", f":ID:       {new}"),
                    encoding="utf-8")
    done = run("task", "add", "B", agent="p.1")
    assert f"noted on the task board: task {new}: its id was changed by hand from {old}" \
        in done.stderr, done.stderr
    assert "put back" not in done.stderr, done.stderr
    assert f"its id was {old} (changed by hand to {new})" in board(project)


def test_wrap_up_offers_release_only_for_a_claimed_task(project: Path, run: Runner) -> None:
    """A session linked to a task nobody claimed: wrap-up offers done and hand-off, not
    'task release ID' (which says "nothing to release"); a claimed one: release too."""
    free = add(run, "Free")
    held = add(run, "Held")
    run("start", "--task", free, agent="w.1")
    said = run("wrap-up", "done", agent="w.1").stderr
    assert f"task done {free} --checkpoint" in said, said
    assert f"task release {free}" not in said and "nothing to release" in said, said
    assert f"task handoff {free} --to ROLE" in said, said
    run("task", "claim", held, agent="w.2")
    run("start", "--task", held, agent="w.2")
    said = run("wrap-up", "done", agent="w.2").stderr
    assert f"task release {held}" in said and "nothing to release" not in said, said
