"""The task board after its ninth review (issue 15): the identity rule of a task whose
``:ID:`` line is gone or another (never by ``CREATED`` alone; a whole-text or claim
match first; a deleted task's id never given to another), a branch switch never taken
for a person's retyping, a hand id that duplicates another task's id given back.

Every command runs as the installed ``ai-protocols`` in a real git repository; a live
agent is a command run under the test's own process (``run``).
"""

from __future__ import annotations

import re
from pathlib import Path

from boardkit import add, board, edit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

AGENT = "il.1796000000"
OTHER = "jo.1796000001"


def ids(text: str) -> list[str]:
    return re.findall(r"^:ID: +(\S+)$", text, re.MULTILINE)


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)


# -- 1. the identity rule: never by CREATED alone ------------------------------------------


def test_tasks_added_on_two_branches_are_not_one_task(project: Path, run: Runner) -> None:
    """t_branches: tasks added on two branches in one minute; switching branches does
    not make one the other ("its id changed by hand")."""
    commit(project, "init")
    git(project, "checkout", "-q", "-b", "feat")
    beta = add(run, "Beta")
    commit(project, "beta")
    git(project, "checkout", "-q", "-")
    gamma = add(run, "Gamma")
    commit(project, "gamma")
    git(project, "checkout", "-q", "feat")
    done = run("task", "add", "Delta")
    text = board(project)
    assert "its id" not in text and "by hand" not in done.stderr, (text, done.stderr)
    assert beta in ids(text) and gamma not in ids(text)


def test_a_new_task_copied_from_another_without_its_id_is_a_new_task(
        project: Path, run: Runner) -> None:
    """t_template: a person deletes task A and writes a new task by copying task B (one
    minute) without its :ID:, retitled and noted: a new task, not A under another id."""
    a = add(run, "Task A")
    b = add(run, "Task B")
    text = board(project)
    start = text.index("* TODO Task A")
    copy = text[text.index("* TODO Task B"):]
    copy = copy.replace("Task B", "Brand new work").replace(f":ID:       {b}\n", "")
    (project / ".ai" / "tasks.org").write_text(
        text[:start] + text[text.index("* TODO Task B"):] + copy + "My notes.\n",
        encoding="utf-8")
    run("task", "add", "Other")
    after = board(project)
    assert a not in ids(after) and "its id" not in after, after
    assert len(set(ids(after))) == len(ids(after)) == 3


def test_branches_with_other_ids_for_one_hand_task_are_no_retyping(
        project: Path, run: Runner) -> None:
    """A hand-written task given one id on one branch and another on another: the board
    git checks out (HEAD's) is git's, never written up as a person's retyping."""
    add(run, "Seed")
    (project / ".ai" / "tasks.org").write_text(board(project) + "* TODO Hand task\n",
                                              encoding="utf-8")
    commit(project, "hand")
    git(project, "checkout", "-q", "-b", "feat")
    run("task", "add", "On feat")
    commit(project, "feat")
    git(project, "checkout", "-q", "-")
    run("task", "list")  # (a reader: the hand task has no id yet)
    run("task", "add", "On main")
    commit(project, "main")
    git(project, "checkout", "-q", "feat")
    done = run("task", "add", "Again")
    assert "by hand" not in done.stderr and "its id was" not in board(project), done.stderr


# -- 2. same-titled tasks: a whole-text or claim match wins; no id reused ------------------


def test_deleting_one_of_two_same_titled_tasks_gives_no_id_to_the_other(
        project: Path, run: Runner) -> None:
    """t_delfirst: X then Y, both "Fix bug"; Y claimed; a person deletes X and Y's :ID:
    line: Y gets its own id back, one copy, not X's id."""
    x = add(run, "Fix bug", "--working-set", "src/x/")
    y = add(run, "Fix bug", "--working-set", "src/y/")
    run("task", "claim", y, agent=AGENT)
    text = board(project)
    start = text.index("* TODO Fix bug")
    text = text[:start] + text[text.index("* DOING Fix bug"):]
    (project / ".ai" / "tasks.org").write_text(text.replace(f":ID:       {y}\n", ""),
                                              encoding="utf-8")
    done = run("task", "add", "Other")
    after = board(project)
    assert x not in ids(after) and ids(after).count(y) == 1, after
    assert after.count("Fix bug") == 1 and "claimed by" not in done.stderr, done.stderr
    run("task", "release", y, agent=AGENT)


def test_two_same_titled_tasks_swapped_without_ids_keep_their_own(
        project: Path, run: Runner) -> None:
    """t_swap: X (one agent) and Y (another), one title, both :ID: lines deleted and
    their order swapped: each gets its own id back (by its claim)."""
    x = add(run, "Fix bug", "--working-set", "src/x/")
    y = add(run, "Fix bug", "--working-set", "src/y/")
    run("task", "claim", x, agent=AGENT)
    run("task", "claim", y, agent=OTHER)
    text = board(project)
    first = text.index("* DOING Fix bug")
    second = text.index("* DOING Fix bug", first + 1)
    a, b = text[first:second], text[second:]
    b = b if b.endswith("\n") else b + "\n"
    swapped = text[:first] + b + a
    swapped = swapped.replace(f":ID:       {x}\n", "").replace(f":ID:       {y}\n", "")
    (project / ".ai" / "tasks.org").write_text(swapped, encoding="utf-8")
    run("task", "add", "Other")
    after = board(project)
    for ident, owner, where in ((x, AGENT, "src/x/"), (y, OTHER, "src/y/")):
        task = after[after.index(f":ID:       {ident}"):]
        start = after.rfind("* ", 0, after.index(f":ID:       {ident}"))
        chunk = after[start:after.index(f":ID:       {ident}")] + task[:task.find("\n* ")]
        assert f":OWNER:    {owner}" in chunk and where in chunk, after


_WORD = st.sampled_from(["Fix bug", "Docs", "Tests"])


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tasks=st.lists(st.tuples(_WORD, st.booleans(), st.booleans()), min_size=1, max_size=6),
       fate=st.lists(st.sampled_from(["keep", "delete", "noid", "retype"]), min_size=6,
                     max_size=6),
       order=st.permutations(range(6)), retitle=st.lists(st.booleans(), min_size=6,
                                                         max_size=6))
def test_the_identity_rule_never_pairs_two_tasks(tasks: list[tuple[str, bool, bool]],
                                                 fate: list[str], order: list[int],
                                                 retitle: list[bool]) -> None:
    """``merge.same_tasks`` on any edit (tasks deleted, :ID: lines deleted or retyped,
    retitled, reordered; every task created in one minute): a pair is always one task;
    a task whose :ID: line alone was deleted, unretitled, or that is claimed, is
    always paired when no other task's whole text is the same (two tasks alike in all
    but their ids, both without them, may pair either way: nothing tells them apart)."""
    from ai_protocols.board.merge import same_tasks
    from ai_protocols.board.model import BoardFile, board_text

    def task(n: int, title: str, claimed: bool, body: bool, ident: str | None) -> str:
        marks = ":CREATED:  [2026-11-30 Mon 10:00]\n"
        if claimed:
            marks += (f":OWNER:    a.{n}\n:CLAIMED:  [2026-11-30 Mon 10:00]\n"
                      f":CLAIMED_AT: 2026-11-30T10:00:{n:02d}+00:00 vm b 1.25\n")
        line = f":ID:       {ident}\n" if ident else ""
        return (f"* {'DOING' if claimed else 'TODO'} {title}\n:PROPERTIES:\n{line}{marks}"
                f":END:\n- [2026-11-30 Mon 10:00] added\n" + ("Notes.\n" if body else ""))

    before = [task(n, t, c, b, f"2026-{n:08d}") for n, (t, c, b) in enumerate(tasks)]
    after: list[tuple[int, str]] = []
    for n in [i for i in order if i < len(tasks)]:
        title, claimed, body = tasks[n]
        if fate[n] == "delete":
            continue
        ident = {"keep": f"2026-{n:08d}", "noid": None, "retype": f"hand-{n}"}[fate[n]]
        after.append((n, task(n, title + (" (new)" if retitle[n] else ""), claimed, body,
                              ident)))
    old = BoardFile(board_text() + "".join(before))
    new = BoardFile(board_text() + "".join(text for _, text in after))
    pairs = same_tasks(old, new)
    heads = [i for i, h in enumerate(new.headlines) if h.level == 1 and i > 0]
    origin = dict(zip(heads[-len(after):] if after else [], [n for n, _ in after], strict=True))
    olds = [i for i, h in enumerate(old.headlines) if h.level == 1 and i > 0][-len(tasks):]
    for a, b in pairs:
        was, now = olds.index(a), origin[b]
        # (two tasks alike in all but their ids, both lost: either is either)
        assert was == now or (tasks[was] == tasks[now] and retitle[was] == retitle[now]
                              and fate[was] != "keep" and fate[now] != "keep"), (pairs, new.text)
    paired = {origin[b] for _, b in pairs}
    for n, text in after:
        if fate[n] == "keep":
            continue
        lines = [line for line in text.splitlines() if not line.startswith(":ID:")]
        alike = [m for m, t in enumerate(before) if m != n and fate[m] != "keep" and
                 [ln for ln in t.splitlines() if not ln.startswith(":ID:")] == lines]
        if (tasks[n][1] or not retitle[n]) and not alike and \
                not (fate[n] == "retype" and not tasks[n][1] and retitle[n]):
            assert n in paired, (n, pairs, new.text)


# -- 8. a hand id that duplicates another task's id ----------------------------------------


def test_an_id_retyped_into_another_tasks_id_is_given_back(project: Path, run: Runner) -> None:
    """t_retype2: a person types task B's id as task A's: A gets its own id back, with
    a note in its log; no claim is said lost or put back."""
    a = add(run, "Task A")
    b = add(run, "Task B")
    run("task", "claim", a, agent=AGENT)
    edit(project, f":ID:       {a}\n", f":ID:       {b}\n")
    done = run("task", "add", "Task C")
    text = board(project)
    assert ids(text).count(a) == 1 and ids(text).count(b) == 1, text
    assert f"changed by hand to {b}, another task's id: given back" in text
    assert "lost" not in done.stderr and "claimed by" not in done.stderr, done.stderr
    run("task", "release", a, agent=AGENT)


# -- 3. a task that had no id in the base, given one on either side ------------------------

_BASE = """#+TITLE: Task board
#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
* TODO Seed
:PROPERTIES:
:ID:       2026-seed
:CREATED:  [2026-11-01 Mon 10:00]
:END:
"""


def _given(text: str, ident: str) -> str:
    return text.replace("* TODO Hand task\n",
                        f"* TODO Hand task\n:PROPERTIES:\n:ID:       {ident}\n:END:\n")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ours=st.sampled_from(["2026-aaaa", "2026-zzzz", None]),
       theirs=st.sampled_from(["2026-bbbb", "2026-cccc", None]),
       edit_theirs=st.booleans(), body=st.sampled_from(["", "Ann wrote this.\n"]))
def test_a_hand_task_given_ids_on_two_sides_merges_as_one(
        tmp_path: Path, ours: str | None, theirs: str | None, edit_theirs: bool,
        body: str) -> None:
    """t_merge, t_merge5: a base task without an :ID:; each side's command gives it an
    id of its own (or one side does, the other edits its text): one task, the smaller
    id, the other named in its log (``task ... OTHERID`` finds it), the edit kept."""
    from ai_protocols.board.merge import merge_board_bytes

    base = _BASE + "* TODO Hand task\n" + body
    a = _given(base, ours) if ours else base
    b = _given(base, theirs) if theirs else base
    if edit_theirs and theirs is None:
        b += "Ann's second thought.\n"
    done = merge_board_bytes(base.encode(), a.encode(), b.encode())
    assert done is not None and not done.conflicts, done
    text = done.data.decode()
    assert text.count("Hand task") == 1, text
    given = sorted(i for i in (ours, theirs) if i)
    if given:
        assert ids(text) == ["2026-seed", given[0]], text
    if len(given) == 2:
        assert f"its id was also {given[1]} (given in another clone; a merge kept " \
               f"{given[0]}): the same task" in text
    if edit_theirs and theirs is None:
        assert "Ann's second thought." in text
    assert body in text


def test_two_clones_giving_a_hand_task_ids_pull_into_one_task(
        tmp_path: Path, run: Runner) -> None:
    """t_merge with real clones and git pull: one task, the other id points to it."""
    import subprocess

    from conftest import clean_env

    origin = tmp_path / "o"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    runner = Runner(origin)
    runner("init")
    add(runner, "Seed")
    board_file = origin / ".ai" / "tasks.org"
    board_file.write_text(board_file.read_text(encoding="utf-8") + "* TODO Hand task\n",
                          encoding="utf-8")
    commit(origin, "board")
    clones = []
    for name in ("c1", "c2"):
        git(tmp_path, "clone", "-q", str(origin), name)
        clone = tmp_path / name
        Runner(clone)("init")
        add(Runner(clone), f"{name} task")
        commit(clone, name)
        clones.append(clone)
    c1, c2 = clones
    pulled = subprocess.run(["git", "-C", str(c1), "pull", "-q", "--no-rebase", str(c2), "main"],
                            capture_output=True, text=True,
                            env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                          GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))
    assert pulled.returncode == 0, pulled
    text = board(c1)
    assert text.count("Hand task") == 1, text
    other = re.search(r"its id was also (\S+) ", text)
    assert other is not None, text
    found = re.search(r"\* TODO Hand task\n:PROPERTIES:\n:ID: +(\S+)", text)
    assert found is not None, text
    kept = found.group(1)
    shown = Runner(c1)("task", "show", other.group(1), check=False)
    assert f"its id is now {kept}" in shown.stderr, shown.stderr  # (points to it)


# -- 4, 9. an id followed through its changes: a session's linked task, a command's id -----


def test_a_session_follows_its_linked_task_through_a_retyped_id(
        project: Path, run: Runner) -> None:
    """t_sesstask: a session linked with ``start --task X``; a person retypes X: resume
    and wrap-up still name the task (by the id it has now)."""
    agent = "kim.1796000001"
    task = add(run, "Linked task", agent=agent)
    run("start", "--task", task, "--title", "kim", agent=agent)
    typed = task[:-8] + "kkkkkkkk"
    edit(project, f":ID:       {task}\n", f":ID:       {typed}\n")
    run("task", "add", "Other", agent="other.1")
    resumed = run("resume", agent=agent)
    assert f"{typed} TODO" in resumed.stdout + resumed.stderr, resumed
    wrapped = run("wrap-up", "finish", agent=agent)
    assert f"Task {typed} (TODO, free) is still open" in wrapped.stderr, wrapped.stderr


def test_a_hand_id_git_took_back_points_to_the_id_the_task_has(
        project: Path, run: Runner) -> None:
    """t_gitold2: a person retypes an id, then git puts back the board from before: the
    hand-typed id names the task's id now, not a bare "no task"."""
    task = add(run, "Task A")
    commit(project, "board")
    typed = task[:-8] + "hhhhhhhh"
    edit(project, f":ID:       {task}\n", f":ID:       {typed}\n")
    run("task", "add", "Task B")
    git(project, "checkout", "--", ".ai/tasks.org")
    run("task", "add", "Task C")
    refused = run("task", "release", "hhhhhhhh", check=False)
    assert refused.returncode == 20 and f"its id is now {task}" in refused.stderr, refused


# -- 6. a claim put back with the role its hand-off set ------------------------------------


def test_a_claim_git_took_off_comes_back_with_the_role_of_its_handoff(
        project: Path, run: Runner) -> None:
    """t_putback: claimed, handed off to a role, claimed again; git puts back the board
    from before: the claim comes back with its REVIEW state and its :ROLE:."""
    task = add(run, "Task A", "--working-set", "src/")
    commit(project, "board")
    run("task", "claim", task, agent=AGENT)
    run("task", "handoff", task, "--to", "reviewer", "--note", "please look", agent=AGENT)
    run("task", "claim", task, agent=OTHER)
    git(project, "checkout", "--", ".ai/tasks.org")
    done = run("task", "add", "X")
    text = board(project)
    chunk = text[text.index("Task A"):text.index("* TODO X")]
    assert f":OWNER:    {OTHER}" in chunk and ":ROLE:" in chunk and "reviewer" in chunk, \
        (chunk, done.stderr)


# -- 5. a release after a person deleted the :ID: line says what it did --------------------


def test_a_release_after_the_id_line_was_deleted_says_it_released(
        project: Path, run: Runner) -> None:
    """t_relmsg: the :ID: line of a claimed task deleted by hand; its agent releases it
    by its id: the id comes back and the claim ends, and the message says so."""
    task = add(run, "Task C")
    run("task", "claim", task, agent=AGENT)
    edit(project, f":ID:       {task}\n", "")
    done = run("task", "release", task, agent=AGENT)
    assert f"Released task {task}: Task C" in done.stdout, done
    assert "nothing to release" not in done.stdout
    assert f":OWNER:    {AGENT}" not in board(project)


# -- 10. a hand-written lock whose PATH leaves the project locks nothing, and says so ------


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/", "/etc/", "../", "../x/", "src/../../"]))
def test_a_hand_lock_on_a_path_out_of_the_project_is_said_to_lock_nothing(
        project: Path, run: Runner, path: str) -> None:
    """t_rootlock: a lock written by hand with ``:PATH: /`` (or ``../``, ``/etc/``):
    ``locks`` and ``check`` say it locks nothing, as for a lock without a PATH."""
    add(run, "seed")
    text = board(project)
    if "** everything" in text:
        start = text.index("** everything")
        text = text[:start] + text[text.index(":END:\n", start) + 6:]
    text = text.replace("('ai-protocols lock PATH --reason TEXT').\n",
                        "('ai-protocols lock PATH --reason TEXT').\n** everything\n"
                        f":PROPERTIES:\n:PATH:     {path}\n:OWNER:    ann\n"
                        ":REASON:   freeze\n:END:\n")
    (project / ".ai" / "tasks.org").write_text(text, encoding="utf-8")
    for args in (("locks",), ("check",)):
        done = run(*args, agent=OTHER, check=False)
        assert "locks nothing" in done.stderr, (args, done)


# -- 11. an empty value's error says what to do --------------------------------------------


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(" \t", max_size=3), which=st.sampled_from(["title", "role"]))
def test_an_empty_value_is_refused_with_a_next_step(project: Path, run: Runner, value: str,
                                                    which: str) -> None:
    """Every "X '' cannot be used: it is empty" says what to do; nothing is changed."""
    args = ("task", "add", value) if which == "title" else ("task", "add", "x", "--role", value)
    before = (project / ".ai" / "tasks.org").exists() and board(project)
    done = run(*args, check=False)
    assert done.returncode == 4 and "it is empty; give it some text" in done.stderr, done
    assert ((project / ".ai" / "tasks.org").exists() and board(project)) == before
