"""Issue 15, twenty-first round (the board live): a claim is never reported won while the
board reads the task as free; a drawer Org does not read is refused, not written beside;
``PROP+`` lines read as Org reads them; an ``OWNER`` holding a timestamp stays off the
agenda; an edit tool is refused a linked work tree's copy of the board, and a live lock an
edit took out of a branch comes back; no process 1, subreaper or sandbox shell stands for
an agent; an id's end names a task from 4 characters on; ``check --since REF``
(docs/decisions.md, "Issue 15, twenty-first round (the board live)")."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from boardkit import BOARD, add, board, edit, edit_hook, git, linked_copy, write_hook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env
from emacs import JUDGES, Judge, on_both
from sandbox import left_behind

ME = "bl.1796000000"  # (its process: this test's, which runs: live)
OTHER = "bm.1796000001"


def _listed(run: Runner) -> dict[str, dict]:
    """``task list --all --json`` by id."""
    return {row["id"]: row for row in json.loads(run("task", "list", "--all", "--json",
                                                     agent="p.1").stdout)}


def _org_reads(judge: Judge, path: Path, properties: tuple[str, ...]) -> list[dict]:
    """What ``org-entry-get`` gives, for each headline of ``path`` in order, for each of
    ``properties`` (``None``: none), with the headline's TODO state, in ``judge``."""
    keys = " ".join(f'"{p}"' for p in properties)
    code = (f"(progn (require 'org) (require 'json) (find-file \"{path}\") (org-mode) "
            "(princ (json-encode (org-map-entries (lambda () (cons (cons \"STATE\" "
            "(or (org-get-todo-state) \"\")) (mapcar (lambda (k) (cons k (or (org-entry-get "
            f"nil k) \"\"))) (list {keys}))))))))")
    return [{k: v or None for k, v in row.items()}
            for row in json.loads(judge.run(["--eval", code], timeout=300).stdout)]


# -- 1. a claim the board reads as free is never reported won ---------------------------------


CLOSED_LINES = [
    "CLOSED: [2026-12-02 Wed 03:25]",
    "CLOSED: [2026-12-02 Wed 03:25] SCHEDULED: <2026-12-03 Thu> DEADLINE: <2026-12-05 Sat>",
    "  SCHEDULED: <2026-12-03 Thu>   CLOSED: [2026-12-02 Wed 03:25]  ",
    "DEADLINE: <2026-12-05 Sat> CLOSED: [2026-12-02 Wed 03:25] SCHEDULED: <2026-12-03 Thu>",
]


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_reopen_takes_closed_out_of_the_planning_line_as_org_does(
        project: Path, run: Runner, judge: Judge, tmp_path: Path) -> None:
    """r9: a task closed in Emacs with ``org-log-done`` set has ``CLOSED: [T]``; ``task
    reopen`` left it (Org's own reopen takes it out), so a claim in its minute counted
    for nothing. Now the reopen leaves the planning line byte for byte as Org's reopen
    (``org-todo`` back to ``TODO``, ``org-log-done`` ``time``) does: ``SCHEDULED`` and
    ``DEADLINE`` kept, a line left empty gone."""
    ids = [add(run, f"Closed {n}") for n in range(len(CLOSED_LINES))]
    for number, line in enumerate(CLOSED_LINES):
        edit(project, f"* TODO Closed {number}\n", f"* DONE Closed {number}\n{line}\n")
    emacs_copy = tmp_path / "emacs.org"
    emacs_copy.write_text(board(project), encoding="utf-8")
    for task in ids:
        run("task", "reopen", task, agent=ME)
    code = (f"(progn (require 'org) (setq org-log-done 'time) (find-file \"{emacs_copy}\") "
            "(org-mode) (goto-char (point-min)) (while (re-search-forward \"^\\\\* DONE\" nil "
            "t) (org-todo \"TODO\")) (save-buffer))")
    judge.run(["--eval", code], timeout=300)
    ours = [line for line in board(project).splitlines()
            if "SCHEDULED:" in line or "DEADLINE:" in line or "CLOSED:" in line]
    theirs = [line for line in emacs_copy.read_text(encoding="utf-8").splitlines()
              if "SCHEDULED:" in line or "DEADLINE:" in line or "CLOSED:" in line]
    assert ours == theirs, (ours, theirs)
    assert "CLOSED:" not in board(project)


def test_a_claim_in_the_minute_of_a_close_is_held_and_a_second_one_refused(
        project: Path, run: Runner) -> None:
    """r9's race, made certain: a DOING task whose ``CLOSED:`` line is later than any
    claim made now (a close Org left, dated by a clock ahead). Before, ``task claim``
    said "Claimed", the list showed no holder, and a second agent claimed it too. Now
    the claim takes the ``CLOSED:`` out (as a reopen in Org does), the board holds it, and
    the second claim is refused naming the holder."""
    task = add(run, "Closed by mistake")
    edit(project, "* TODO Closed by mistake\n",
         "* DOING Closed by mistake\nCLOSED: [2099-01-01 Thu 10:00] SCHEDULED: <2099-01-02 "
         "Fri>\n")
    done = run("task", "claim", task, agent=ME)
    assert f"Claimed task {task}" in done.stdout
    assert _listed(run)[task]["owner"] == ME
    second = run("task", "claim", task, agent=OTHER, check=False)
    assert second.returncode == 21, second.stdout + second.stderr
    assert f"claimed by {ME}" in second.stderr
    text = board(project)
    assert "CLOSED:" not in text and "SCHEDULED: <2099-01-02 Fri>" in text
    assert "taken out, as Org does on a reopen" in text  # (the claim's log item says so)


def test_a_claim_orgs_own_notes_would_void_is_refused_with_nothing_written(
        project: Path, run: Runner) -> None:
    """A note of Org's state logging dated after this moment (another machine's clock) says
    the task was closed after any claim made now: the readers take such a claim for
    nothing. The claim is refused (exit 24), naming the line, and nothing is written."""
    task = add(run, "Logged")
    edit(project, "* TODO Logged\n", "* DOING Logged\n")
    edit(project, "] added by planner.1\n",
         "] added by planner.1\n- State \"DONE\"       from \"DOING\"      "
         "[2099-01-01 Thu 10:00]\n")
    before = (project / BOARD).read_bytes()
    refused = run("task", "claim", task, agent=ME, check=False)
    assert refused.returncode == 24, refused.stdout + refused.stderr
    assert "would not read the claim as held" in refused.stderr
    assert "[2099-01-01 Thu 10:00]" in refused.stderr and "line " in refused.stderr
    assert (project / BOARD).read_bytes() == before
    assert _listed(run)[task]["owner"] is None


STAMP = st.sampled_from(["[2020-01-01 Wed 10:00]", "[2099-01-01 Thu 10:00]", "NOW"])
RECORD = st.sampled_from(["planning", "state", "closing", "none"])


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=RECORD, stamp=STAMP, state=st.sampled_from(["TODO", "DOING", "REVIEW"]))
def test_a_claim_is_reported_won_exactly_when_every_reader_holds_it(
        tmp_path_factory, record: str, stamp: str, state: str) -> None:
    """Whatever Org's records of a close a task holds (a ``CLOSED:`` line, a state note, a
    closing note; past, this minute, or later than now), ``task claim`` exits 0 only when
    ``task list`` then shows the claimant as the holder; else it refuses and writes
    nothing. The claim's verdict and the readers' are one rule."""
    project = tmp_path_factory.mktemp("claims").resolve()
    git(project, "init", "-q")
    run = Runner(project)
    task = add(run, "Any")
    now = time.strftime("[%Y-%m-%d %a %H:%M]")
    when = now if stamp == "NOW" else stamp
    lines = {"planning": f"CLOSED: {when}\n", "state": "",
             "closing": ""}.get(record, "")
    edit(project, "* TODO Any\n", f"* {state} Any\n{lines}")
    if record in ("state", "closing"):
        note = f"- State \"DONE\"       from \"DOING\"      {when}" if record == "state" \
            else f"- CLOSING NOTE {when}"
        edit(project, "] added by planner.1\n", f"] added by planner.1\n{note}\n")
    before = (project / BOARD).read_bytes()
    done = run("task", "claim", task, agent=ME, check=False)
    owner = _listed(run)[task]["owner"]
    if done.returncode == 0:
        assert owner == ME, (record, stamp, state, board(project))
    else:
        assert done.returncode == 24, done.stderr
        assert (project / BOARD).read_bytes() == before
        assert owner is None


# -- 2. a drawer Org does not read is refused, not written beside -----------------------------

BREAKS = {
    "blank line at its end": (":END:\n- [", "\n:END:\n- ["),
    "blank line inside": (":CREATED:", "\n:CREATED:"),
    "a name with a space": (":CREATED:", ":WORKING SET: docs/\n:CREATED:"),
    "a tab after the name": (":CREATED:  ", ":CREATED:\t"),
}


@pytest.mark.parametrize("how", sorted(BREAKS))
def test_a_task_drawer_org_does_not_read_is_refused_and_read_where_it_stands(
        project: Path, run: Runner, how: str) -> None:
    """r1: a blank line left in a claimed task's drawer (Emacs: RET after the last
    property) made Org read no drawer; the next write said its :ID: line was "deleted by
    hand" and put a second drawer beside it, leaving WORKING_SET behind, so ``check``
    stopped guarding. Now every change refuses (exit 6), naming the line and what to do,
    nothing written; ``task list`` says the same; ``check`` still reads the drawer where
    it stands (the working set guards), warning; and once the line is fixed the next
    write works on."""
    task = add(run, "One", "--working-set", "src/")
    run("task", "claim", task, agent=ME)
    old, new = BREAKS[how]
    text = board(project)
    at = text.index("* DOING One")
    edit(project, text[at:][:text[at:].index(old) + len(old)],
         text[at:][:text[at:].index(old)] + new)
    before = (project / BOARD).read_bytes()
    refused = run("task", "add", "Two", agent=OTHER, check=False)
    assert refused.returncode == 6, refused.stdout + refused.stderr
    assert "Org reads no property drawer there" in refused.stderr
    assert "put back" not in refused.stderr
    assert (project / BOARD).read_bytes() == before
    listed = run("task", "list", agent="p.1", check=False)
    assert listed.returncode == 6 and "Org reads no property drawer" in listed.stderr
    (project / "docs").mkdir()
    (project / "docs" / "a.md").write_text("x", encoding="utf-8")
    checked = run("check", agent=ME, check=False)
    assert checked.returncode == 23, checked.stdout + checked.stderr
    assert "docs/a.md: outside the working set" in checked.stdout
    assert "Org reads no property drawer" in checked.stderr
    # (the person fixes the drawer: everything works on, one drawer, the claim kept)
    fixed = before.decode("utf-8")
    fixed = fixed.replace(new, old, 1) if how != "a tab after the name" else \
        fixed.replace(":CREATED:\t", ":CREATED:  ", 1)
    edit(project, before.decode("utf-8"), fixed)
    run("task", "add", "Two", agent=OTHER)
    assert board(project).count(":PROPERTIES:") == fixed.count(":PROPERTIES:") + 1  # (Two's)
    assert _listed(run)[task]["owner"] == ME


def test_org_reads_no_drawer_where_the_board_refuses_one(project: Path, run: Runner) -> None:
    """The truth is what Org reads: in both judges, each break above leaves the headline
    without its ID (a tab after a name aside: Org 9.7 reads that drawer, Org 9.5 does not,
    so the board refuses it too: a write must lose nothing in either); the drawer as the
    tool writes it has it."""
    breaks = sorted(v for k, v in BREAKS.items() if k != "a tab after the name")
    for number in range(len(breaks)):
        add(run, f"Task {number}")
    for number, (old, new) in enumerate(breaks):
        text = board(project)
        at = text.index(f"* TODO Task {number}\n")
        edit(project, text[at:][:text[at:].index(old) + len(old)],
             text[at:][:text[at:].index(old)] + new)
    for judge in JUDGES:
        read = _org_reads(judge, project / BOARD, ("ID",))
        tasks = [row for row in read if row["STATE"] == "TODO"]
        assert tasks and all(row["ID"] is None for row in tasks), (judge, read)


def test_a_lock_whose_drawer_org_does_not_read_is_refused_not_duplicated(
        project: Path, run: Runner) -> None:
    """The same for a lock: before, the next write put a second copy of the lock on the
    board. Now refused (exit 6), nothing written; the hook still enforces the lock."""
    run("lock", "src/api/", "--reason", "reshaping", agent=ME)
    edit(project, ":REASON:   reshaping\n:END:\n", ":REASON:   reshaping\n\n:END:\n")
    before = (project / BOARD).read_bytes()
    refused = run("task", "add", "Two", agent=OTHER, check=False)
    assert refused.returncode == 6, refused.stderr
    assert (project / BOARD).read_bytes() == before
    assert write_hook(project, project / "src" / "api" / "v1.py", OTHER).returncode == 2


# -- 3. the hook and a linked work tree's copy of the board ------------------------------------


def test_an_edit_tool_is_refused_a_linked_work_trees_copy_of_the_board(
        tmp_path: Path) -> None:
    """r2: the hook refused edits of .ai/tasks.org by any path, but let a Write through
    to a linked work tree's own copy, which a merge of its branch brings into the shared
    board. Now refused from either work tree (Claude Code's Write, Codex's
    apply_patch), naming the shared board; so are that copy's .ai/.locks/ files."""
    _run, _run_tree, repo, tree = linked_copy(tmp_path)
    copy = tree / ".ai" / "tasks.org"
    for cwd in (tree, repo):
        done = write_hook(cwd, copy, OTHER)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "linked git work tree's own copy of the task board" in done.stderr
        assert str(repo / ".ai" / "tasks.org") in done.stderr
    patch = f"*** Begin Patch\n*** Update File: {copy}\n@@\n-x\n+y\n*** End Patch\n"
    done = edit_hook(tree, "apply_patch", {"command": patch}, OTHER, runtime="codex")
    assert done.returncode == 2, done.stdout + done.stderr
    (tree / ".ai" / ".locks" / "live").mkdir(parents=True, exist_ok=True)
    assert write_hook(repo, tree / ".ai" / ".locks" / "live" / "x.org", OTHER).returncode == 2
    assert write_hook(tree, tree / "src.py", OTHER).returncode == 0  # (the rest goes through)


@pytest.mark.parametrize("how", ["fast-forward", "merge"])
def test_a_live_lock_and_claim_an_edit_took_out_of_a_branch_come_back(
        tmp_path: Path, how: str) -> None:
    """r2's merge: the copy's edit (by hand: the hook now refuses tools) took a live
    agent's lock and claim out, and the branch was merged (a fast-forward, or a merge
    with a commit of the main branch's). Before: "No locks.", the hook let edits in. Now
    that is no end (an unlock writes its record on the board; a release, its log item):
    the lock and claim are warned of, still enforced, and the next change puts them
    back."""
    run, _run_tree, repo, tree = linked_copy(tmp_path)
    task = run("task", "list", "--json", agent="p.1").stdout
    task = json.loads(task)[0]["id"]
    run("task", "claim", task, agent=ME)
    run("lock", "src/api/", "--reason", "reshaping", agent=ME)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "claimed and locked")
    git(tree, "merge", "-q", "main")
    copy = tree / ".ai" / "tasks.org"
    text = copy.read_text(encoding="utf-8")
    at = text.index("** src/api/")
    text = text[:at] + text[text.index(":END:\n", at) + len(":END:\n"):]
    text = text.replace("* DOING task one", "* TODO task one")
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith((":OWNER:", ":OWNER_PROCESS:", ":CLAIMED")))
    copy.write_text(text, encoding="utf-8")
    git(tree, "commit", "-qam", "the copy's edit")
    if how == "merge":
        (repo / "other").write_text("x", encoding="utf-8")
        git(repo, "add", "other")
        git(repo, "commit", "-qm", "other")
    git(repo, "merge", "-q", "--no-edit", "feat")
    assert ":PATH:" not in board(repo)  # (git took them out)
    listed = run("locks", agent="p.1")
    assert "src/api/" in listed.stdout and "live" in listed.stdout, listed.stdout
    assert "lost" in listed.stderr
    assert write_hook(repo, repo / "src" / "api" / "v1.py", OTHER).returncode == 2
    run("task", "add", "next change", agent="p.1")
    assert board(repo).count(":PATH:     src/api/") == 1
    assert _listed(run)[task]["owner"] == ME


def test_an_unlock_in_another_clone_records_its_end_and_stays(project: Path, run: Runner,
                                                               tmp_path: Path) -> None:
    """The other side of the rule: an unlock (forced or not) made in another clone writes
    an item naming the lock's record in the Locks section (inert text), so the clone that
    still held the lock takes it for an end, not a loss, when git brings it."""
    run("lock", "lib/", "--reason", "mine", agent=ME)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "locked")
    other = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(project), str(other)], check=True)
    Runner(other)("unlock", "lib/", "--force", agent=OTHER)
    assert f"unlocked by {OTHER}: lib/, {ME}'s lock (LOCKED_AT " in board(other)
    git(other, "commit", "-qam", "unlocked")
    git(project, "pull", "-q", "--no-rebase", str(other), "HEAD")
    listed = run("locks", agent="p.1")
    assert "lib/" not in listed.stdout and "lost" not in listed.stderr
    assert write_hook(project, project / "lib" / "x.py", OTHER).returncode == 0


# -- 5 and 4. no process 1, subreaper or sandbox shell stands for the agent ---------------------


def _claim_left_behind(project: Path, task: str, reaper: bool) -> str:
    """Run ``task claim`` from a shell that leaves it behind (``(cmd &)``, adopted by
    process 1), or, with ``reaper``, under a subreaper (:func:`sandbox.left_behind`).
    The claim's stderr, once it has ended."""
    return left_behind([str(CLI), "task", "claim", task], cwd=project,
                       env=clean_env(AI_AGENT_ID=ME),
                       how="subreaper" if reaper else "background")[1]


@pytest.mark.parametrize("reaper", [False, True], ids=["process 1", "a subreaper"])
def test_a_claim_left_behind_by_its_shell_records_no_process(project: Path, run: Runner,
                                                             reaper: bool) -> None:
    """r3: a claim whose shell went away first was adopted by process 1 (or a subreaper),
    which it recorded as its owner: live forever, never taken over. Now no such process
    is recorded: the claim says so when made, and is judged by the next evidence (no
    session file here: its age); ``task list`` says why it is unknown."""
    task = add(run, "Left behind")
    said = _claim_left_behind(project, task, reaper)
    text = board(project)
    assert f":OWNER:    {ME}" in text, text
    assert ":OWNER_PROCESS:" not in text, text
    assert "no process of the agent is to be seen" in said, said
    listed = _listed(run)[task]
    assert listed["owner_state"] == "unknown", listed
    assert "records no process of its agent" in listed["owner_evidence"]
    refused = run("task", "claim", task, agent=OTHER, check=False)
    assert refused.returncode == 21 and "AI_PROTOCOLS_STALE_HOURS" in refused.stderr


def test_a_claim_made_in_a_pid_namespace_says_so_and_is_judged_by_its_session(
        project: Path, run: Runner) -> None:
    """r10 (Codex's sandbox runs each command in a PID namespace of its own): the claim
    recorded the sandbox's shell, ``unknown`` from outside for 12 hours. Now it records no
    process, warns naming the namespace and what to do, and is judged by its agent's
    session file: live while its owner runs, crashed once it is gone (taken over)."""
    task = add(run, "Sandboxed")
    run("start", "--title", "sandboxed agent", agent=ME, as_another_agent=False)
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", str(CLI), "task",
                           "claim", task], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID=ME), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "PID namespace of its own (namespace " in done.stderr
    assert "hooks install" in done.stderr and "spawn" in done.stderr
    assert ":OWNER_PROCESS:" not in board(project).split("* TODO Sandboxed")[-1]
    assert _listed(run)[task]["owner_state"] == "live"  # (its session's owner: this test)
    refused = run("task", "claim", task, agent=OTHER, check=False)
    assert refused.returncode == 21


# -- 6. PROP+ read as Org reads it ---------------------------------------------------------------

DRAWER_LINE = st.tuples(st.sampled_from(["WORKING_SET", "working_set", "ROLE"]),
                        st.booleans(), st.sampled_from(["src/", "docs/", "a%20b/", ""]))


@settings(max_examples=4, deadline=None)
@given(drawers=st.lists(st.lists(DRAWER_LINE, min_size=1, max_size=4), min_size=1,
                        max_size=6))
def test_plus_lines_are_read_as_org_reads_them(tmp_path_factory, drawers) -> None:
    """Any mix of ``:NAME:`` and ``:NAME+:`` lines (one plain line of a name at most: Org
    9.5 and 9.7 differ on two) gives each property the value ``org-entry-get`` gives,
    in both judges: the plain value, then each added one, after a space."""
    from ai_protocols.board.model import BoardFile, read_board

    folder = tmp_path_factory.mktemp("plus")
    text = "#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n"
    for number, lines in enumerate(drawers):
        seen: set[str] = set()
        body = []
        for name, plus, value in lines:
            if not plus and name.upper() in seen:
                plus = True
            seen |= set() if plus else {name.upper()}
            body.append(f":{name}{'+' if plus else ''}:{' ' + value if value else ''}\n")
        text += f"* TODO T{number}\n:PROPERTIES:\n:ID: t{number}\n{''.join(body)}:END:\n"
    path = folder / "b.org"
    path.write_text(text, encoding="utf-8")
    tasks = read_board(BoardFile(text))[0]
    ours = [{"WORKING_SET": t.properties.get("WORKING_SET") or None,
             "ROLE": t.properties.get("ROLE") or None} for t in tasks]
    for judge, read in zip(JUDGES, on_both(_org_reads, path, ("WORKING_SET", "ROLE")),
                           strict=True):
        theirs = [{k: row[k] for k in ("WORKING_SET", "ROLE")} for row in read]
        assert theirs == ours, (judge, text)


def test_a_working_set_widened_with_plus_guards_as_org_reads_it(project: Path,
                                                                 run: Runner) -> None:
    """r5: a person widened the working set in Emacs (``:WORKING_SET+: docs/``); Org read
    ``src/ docs/``, ``check`` and ``task show`` read ``src/``. Now all read it as Org
    does; ``task edit --working-set`` replaces it whole (Org then reads only the new)."""
    task = add(run, "Plus", "--working-set", "src/")
    run("task", "claim", task, agent=ME)
    edit(project, ":WORKING_SET: src/\n", ":WORKING_SET: src/\n:WORKING_SET+: docs/\n")
    (project / "docs").mkdir()
    (project / "docs" / "x.md").write_text("x", encoding="utf-8")
    assert run("check", agent=ME).returncode == 0
    assert "working set: src/ docs/" in run("task", "show", task, agent="p.1").stdout
    assert _listed(run)[task]["working_set"] == ["src/", "docs/"]
    for judge in JUDGES:
        row = next(r for r in _org_reads(judge, project / BOARD, ("WORKING_SET",))
                   if r["STATE"] == "DOING")
        assert row["WORKING_SET"].split() == ["src/", "docs/"], judge
    run("task", "edit", task, "--working-set", "lib/", agent=ME)
    assert "WORKING_SET+" not in board(project)
    for judge in JUDGES:
        row = next(r for r in _org_reads(judge, project / BOARD, ("WORKING_SET",))
                   if r["STATE"] == "DOING")
        assert row["WORKING_SET"] == "lib/", judge


# -- 7. an OWNER holding a timestamp stays off the agenda ---------------------------------------


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_an_owner_holding_a_timestamp_makes_no_agenda_entry(project: Path, run: Runner,
                                                            judge: Judge) -> None:
    """r4: an agent id holding an Org timestamp was written raw into :OWNER: of claims and
    locks, putting them on Emacs's agenda. Now escaped as every value the board takes
    (one rule: ``board_value``), read back as typed by every command."""
    odd = "<2026-12-24>"
    task = add(run, "Odd owner")
    run("task", "claim", task, agent=odd)
    run("lock", "lib/", "--reason", "r", agent=odd)
    agenda = (f"(progn (require 'org) (require 'org-agenda) (setq org-agenda-files (list "
              f"\"{project / BOARD}\")) (org-agenda-list nil \"2026-12-24\" 1) "
              "(princ (buffer-string)))")
    shown = judge.run(["--eval", agenda], timeout=300).stdout
    assert "Odd owner" not in shown and "lib/" not in shown and "OWNER" not in shown, shown
    assert _listed(run)[task]["owner"] == odd
    assert "Odd owner" in run("task", "list", "--mine", agent=odd).stdout
    assert json.loads(run("locks", "--json", agent="p.1").stdout)[0]["owner"] == odd
    run("unlock", "lib/", agent=odd)
    run("task", "release", task, agent=odd)
    assert _listed(run)[task]["owner"] is None


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=st.text(st.sampled_from("<>[]0123456789-ab.%_é"), min_size=1, max_size=16))
def test_any_agent_id_reads_back_as_typed_from_a_claim(project: Path, agent: str) -> None:
    """Any agent id the rule allows is the claim's holder as typed, for ``task list``
    and for the agent itself (``--mine``); one the rule refuses is refused (exit 4)."""
    run = Runner(project)
    task = add(run, f"For {len(agent)}")
    done = run("task", "claim", task, agent=agent, check=False)
    if done.returncode == 4:
        return
    assert done.returncode == 0, done.stderr
    assert _listed(run)[task]["owner"] == agent
    mine = json.loads(run("task", "list", "--mine", "--json", agent=agent).stdout)
    assert task in [row["id"] for row in mine]
    run("task", "release", task, agent=agent)


# -- 9. an id's end names a task from 4 characters on ------------------------------------------


@pytest.mark.parametrize("command", [("task", "cancel"), ("task", "done"), ("task", "claim"),
                                     ("task", "show"), ("task", "release")])
def test_an_end_shorter_than_four_characters_names_no_task(project: Path, run: Runner,
                                                           command: tuple[str, ...]) -> None:
    """r6: ``task cancel 1`` closed whichever task's id ended in 1. Now an end of 1 to 3
    characters names none, for every command (exit 20, nothing changed), saying to give
    at least 4 and naming the ids it ends; 4 characters of a unique end name the task."""
    tasks = [add(run, f"Task number {n}") for n in range(3)]
    before = (project / BOARD).read_bytes()
    for size in (1, 2, 3):
        short = tasks[0][-size:]
        done = run(*command, short, agent=ME, check=False)
        assert done.returncode == 20, done.stdout + done.stderr
        assert "too short to name a task: give at least 4 characters" in done.stderr
        assert tasks[0] in done.stderr
        assert (project / BOARD).read_bytes() == before
    done = run(*command, tasks[0][-8:], agent=ME, check=False)
    assert done.returncode == 0, done.stderr


# -- 10. check --since REF ------------------------------------------------------------------------


def test_check_since_sees_an_edit_committed_into_another_agents_lock(
        project: Path, run: Runner) -> None:
    """r7: once an agent committed its edit inside another live agent's lock, ``check``
    (git status only) reported nothing. ``check --since REF`` reads the commits since
    REF too (both sides of a rename); a REF that names no commit is refused (exit 4)."""
    (project / "src" / "api").mkdir(parents=True)
    (project / "src" / "api" / "v1.py").write_text("1\n", encoding="utf-8")
    (project / "lib.py").write_text("1\n", encoding="utf-8")
    (project / ".gitignore").write_text(".ai/\n", encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    base = git(project, "rev-parse", "HEAD").strip()
    git(project, "switch", "-q", "-c", "agent-b")
    run("lock", "src/api/", "--reason", "reshaping", agent=ME)
    (project / "src" / "api" / "v1.py").write_text("2\n", encoding="utf-8")
    git(project, "mv", "lib.py", "src/api/lib.py")
    git(project, "commit", "-qam", "b's edit")
    assert run("check", agent=OTHER).returncode == 0
    since = run("check", "--since", base, agent=OTHER, check=False)
    assert since.returncode == 23, since.stdout + since.stderr
    assert "src/api/v1.py: inside src/api/, locked by" in since.stdout
    assert "src/api/lib.py: inside src/api/" in since.stdout
    report = json.loads(run("check", "--json", "--since", base, agent=OTHER,
                            check=False).stdout)
    assert report["since"] == base and "lib.py" in report["changed"]
    bad = run("check", "--since", "no-such-branch", agent=OTHER, check=False)
    assert bad.returncode == 4 and "names no commit" in bad.stderr
    flag = run("check", "--since=--output=x", agent=OTHER, check=False)
    assert flag.returncode == 4 and not (project / "x").exists()


def test_check_help_names_since() -> None:
    done = subprocess.run([str(CLI), "check", "--help"], capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert "--since REF" in done.stdout



@pytest.mark.agents
def test_real_codex_sandboxed_claim_warns_and_is_judged_by_its_session(codex, fake_api,
                                                                       monkeypatch) -> None:
    """r10 with the real Codex, in its default sandbox (bubblewrap, a PID namespace of its
    own: ``--sandbox workspace-write``, hooks trusted): the claim records no process, the
    model is told why and what to do, and the claim is judged by the session file Codex's
    hooks wrote: another agent is refused while Codex runs, and takes the claim over once
    Codex's process is gone."""
    import re
    import signal
    import threading

    import agents.programs as programs
    from agents.fake_api import Shell, Text
    from conftest import BIN

    monkeypatch.setattr(programs, "CODEX_BYPASS", ("--dangerously-bypass-hook-trust",))
    for args in (("init",), ("hooks", "install", "codex")):
        done = subprocess.run([str(CLI), *args], cwd=codex.project, capture_output=True,
                              text=True, env=clean_env(HOME=str(codex.home)))
        assert done.returncode == 0, done.stderr
    codex.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    git(codex.project, "add", "-A")
    git(codex.project, "commit", "-qm", "set up")
    run = Runner(codex.project)
    task = add(run, "sandboxed")
    waiting, release = threading.Event(), threading.Event()

    def hang(_request):  # (Codex waits here, running, while the board is judged)
        waiting.set()
        release.wait(90)
        return Text("done")

    fake_api.reply(Shell(f"{CLI} task claim {task}"), hang)
    runs: list = []
    thread = threading.Thread(target=lambda: runs.append(
        codex.run("claim it", "--sandbox", "workspace-write")))
    thread.start()
    try:
        assert waiting.wait(120), "Codex never ran the claim"
        text = board(codex.project)
        assert ":OWNER_PROCESS:" not in text.split("sandboxed")[-1], text
        refused = run("task", "claim", task, agent=OTHER, check=False)
        assert refused.returncode == 21, refused.stdout + refused.stderr
        assert "its session" in refused.stderr or "live" in refused.stderr
        owners = [re.search(r":OWNER:\s+pid (\d+)", p.read_text(encoding="utf-8"))
                  for p in (codex.project / ".ai" / "session-context.d").glob("*.org")]
        pids = [int(m.group(1)) for m in owners if m]
        assert pids, "Codex's SessionStart hook wrote no session file"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    finally:
        release.set()
        thread.join(120)
    results = [r for one in runs for req in one.model_requests() for r in req.tool_results()]
    assert any("PID namespace of its own" in r for r in results), results
    taken = run("task", "claim", task, agent=OTHER, check=False)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "taken over" in taken.stdout and "crashed" in taken.stdout
