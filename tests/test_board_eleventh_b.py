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

from boardkit import BOARD, add

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
