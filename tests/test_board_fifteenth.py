"""The task board's open items (issue 15, fifteenth round): a claim or lock written by
hand without its record, judged against git's history by what it is; read commands that
answer as the next write will; each note of a bad id saying its true reason.

Every command runs as the installed ``ai-protocols`` in real git repositories (clones,
pulls, stashes); a person's edit of the board is saved by a rename, as Emacs saves.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from boardkit import add, board, edit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

HOLDER = "a1.1796000000"  # (no session, no process recorded: unknown, never gone)
OTHER = "b1.1796000000"


def _clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    return target.resolve()


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


# -- 1. a claim or lock written by hand, without CLAIMED_AT / LOCKED_AT ----------------------

HAND_LOCK = ("** lib/\n:PROPERTIES:\n:PATH:     lib/\n:OWNER:    {owner}\n"
             ":LOCKED:   {now}\n:REASON:   by hand\n:END:\n")


def _now() -> str:
    """This minute as Org stamps it (a claim or lock of now: its holder is not stale)."""
    return datetime.now().strftime("[%Y-%m-%d %a %H:%M]")


def _hand_claim_and_lock(project: Path, run: Runner) -> str:
    """A task, then a person's claim of it and a lock on ``lib/``, typed in Emacs without
    ``CLAIMED_AT``/``LOCKED_AT`` (nor ``OWNER_PROCESS``); then a change through the tool
    (another task added), which keeps a copy of that board. The task's id."""
    task = add(run, "Tee")
    edit(project, f"* TODO Tee\n:PROPERTIES:\n:ID:       {task}\n",
         f"* DOING Tee\n:PROPERTIES:\n:ID:       {task}\n:OWNER:    {HOLDER}\n"
         f":CLAIMED:  {_now()}\n")
    edit(project, "('ai-protocols lock PATH --reason TEXT').\n",
         "('ai-protocols lock PATH --reason TEXT').\n"
         + HAND_LOCK.format(owner=HOLDER, now=_now()))
    add(run, "Other")
    text = board(project)
    assert "CLAIMED_AT" not in text and "LOCKED_AT" not in text
    return task


@pytest.mark.parametrize("end", ["release", "unlock"])
def test_an_end_of_a_hand_written_claim_or_lock_pulled_from_another_clone_stays(
        project: Path, run: Runner, tmp_path: Path, end: str) -> None:
    """A claim and a lock a person typed without their records, committed; another
    clone releases the claim (or removes the lock) with ``--force`` and commits; this
    clone pulls it. Its next commands keep that end: nothing warned of as lost, nothing
    put back (before: with no ``CLAIMED_AT``/``LOCKED_AT`` to look up in git's history,
    the claim or lock was taken for one git's older board lost, and written back)."""
    task = _hand_claim_and_lock(project, run)
    _commit(project, "a person's claim and lock")
    other = _clone(project, tmp_path / "b")
    if end == "release":
        Runner(other)("task", "release", task, "--force", agent=OTHER)
    else:
        Runner(other)("unlock", "lib/", "--force", agent=OTHER)
    _commit(other, f"b: {end}")
    git(project, "pull", "-q", "--no-rebase", "--no-edit", str(other), "HEAD")
    listed = run("task", "list", "--all", agent="planner.1")
    assert "lost" not in listed.stderr, listed.stderr
    changed = run("task", "add", "Third", agent="planner.1")
    assert "put back" not in changed.stderr, changed.stderr
    claimed = f"claimed by {HOLDER}" in run("task", "list", agent="planner.1").stdout
    locked = "lib/" in run("locks", agent="planner.1").stdout
    assert (claimed, locked) == ((False, True) if end == "release" else (True, False))


@pytest.mark.parametrize("older", ["stash", "checkout-file", "reset"])
def test_an_older_board_still_gets_a_hand_written_claim_and_lock_back(
        project: Path, run: Runner, older: str) -> None:
    """The same claim and lock, then git puts an older board back: a stash (never
    committed), ``git checkout HEAD~1 -- .ai/tasks.org`` (``HEAD`` still holds them) or
    ``git reset --hard HEAD~1``: no commit of ``HEAD``'s history took them out, so the
    next change puts both back (a rule that took every record-less claim for one git's
    history ended would lose them)."""
    add(run, "First")
    _commit(project, "the board")
    task = _hand_claim_and_lock(project, run)
    if older == "stash":
        git(project, "stash", "-q")
    else:
        _commit(project, "a person's claim and lock")
        if older == "reset":
            git(project, "reset", "-q", "--hard", "HEAD~1")
        else:
            git(project, "checkout", "HEAD~1", "--", ".ai/tasks.org")
    assert f":OWNER:    {HOLDER}" not in board(project)
    listed = run("task", "list", agent="planner.1")
    assert "lost" in listed.stderr, listed.stderr
    changed = run("task", "add", "Third", agent="planner.1")
    assert "put back" in changed.stderr, changed.stderr
    shown = json.loads(run("task", "show", task, "--json", agent="planner.1").stdout)
    assert shown["owner"] == HOLDER
    assert "lib/" in run("locks", agent="planner.1").stdout


# -- 3. read commands answer as the next write will -----------------------------------------


def _retype(project: Path, task: str, typed: str) -> None:
    edit(project, f":ID:       {task}\n", f":ID:       {typed}\n")


def _answers(run: Runner, task: str, typed: str) -> tuple[object, ...]:
    """What the read commands say of the task and its old id: ``task list --json``'s
    ids and titles, ``task show OLD``'s exit code and output, ``task show`` of each
    listed id's title."""
    listed = json.loads(run("task", "list", "--json", agent="planner.1").stdout)
    shown = run("task", "show", task, agent="planner.1", check=False)
    return (sorted((t["id"], t["title"]) for t in listed), shown.returncode,
            shown.stdout.splitlines()[:1], shown.stderr.strip().splitlines()[-1:])


IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20)


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=IDS, bad=st.sampled_from(["x y", "x:y", "a/b", "x(1)", ""]))
def test_read_commands_answer_alike_before_and_after_the_next_write(
        project: Path, run: Runner, word: str, bad: str) -> None:
    """A person retypes a task's ``:ID:`` in Emacs, to an id (kept, noted) or to a text
    no id can be (given back), or deletes it. ``task list --json`` and ``task show OLD``
    give the same answer before the next write as after it (before: ``task show OLD``
    said "no task" and ``task list`` showed the typed text as the id until some write
    corrected the board), and no read command writes the board."""
    task = add(run, "Tee")
    add(run, "Two")
    typed = f"{word}-{task[-4:]}" if bad == "" else bad
    if bad == "" and word.endswith(("-", "_", ".")):
        typed = word + "z"
    _retype(project, task, typed)
    if bad == "" and typed == task:
        return
    raw = board(project)
    before = _answers(run, task, typed)
    assert board(project) == raw  # (read commands write nothing)
    third = add(run, "Third")
    after = _answers(run, task, typed)
    listed = [pair for pair in after[0] if pair[0] != third]  # type: ignore[union-attr]
    assert before == (listed, *after[1:])
    if bad:  # (given back: the old id names the task)
        assert before[1] == 0 and (task, "Tee") in before[0]  # type: ignore[operator]
    else:  # (kept: the old id is refused naming the new one)
        assert before[1] == 20 and f"its id is now {typed}" in before[3][0]  # type: ignore[index]


def test_a_deleted_id_line_reads_as_the_task_before_the_write(
        project: Path, run: Runner) -> None:
    """A task whose ``:ID:`` line a person deleted: ``task show ID`` finds it, and
    ``task list`` lists it by that id, before the write that gives the id back."""
    task = add(run, "Tee")
    edit(project, f":ID:       {task}\n", "")
    listed = json.loads(run("task", "list", "--json", agent="planner.1").stdout)
    assert [t["id"] for t in listed] == [task]
    assert run("task", "show", task, agent="planner.1").stdout.startswith(f"Task {task}: Tee")
    assert f":ID:       {task}" not in board(project)


# -- 4. each note of a bad id says its true reason ---------------------------------------------

# (a typed id, what the note must say of it, what it must not say)
BAD_IDS = {
    "space": ("x y", "'x y', which cannot be a task's id (it holds a space)", "markup"),
    "colon, a link type": ("x:y", "(Org would read part of it as a link, if Org knows a "
                           "link type named as the word before its colon), which cannot "
                           "be a task's id (it holds a ':')", "markup"),
    "slash": ("a/b", "'a/b', which cannot be a task's id (it holds a '/')", "markup"),
    "parenthesis": ("x(1)", "'x(1)', which cannot be a task's id (it holds a '(')",
                    "markup"),
    "footnote": ("[fn:1]", "(Org would read part of it as a footnote reference), which "
                 "cannot be a task's id (it holds a ':')", "markup"),
    "timestamp": ("<2026-01-01>", "(Org would read part of it as an active timestamp), "
                  "which cannot be a task's id (Org would read part of it as an active "
                  "timestamp)", "markup"),
    "macro": ("{{{m}}}", "(Org would read part of it as a macro), which cannot be a task's "
              "id (Org would read part of it as a macro)", "link"),
    "dollar": ("a$b", "(Org would read part of it as a LaTeX fragment's delimiter (a dollar "
               "sign)), which cannot be a task's id", "link"),
    "bracket link": ("k[[x]]", "(Org would read part of it as a bracket link)", "markup"),
    "invisible": ("x\u200by", "'x\\u200by', which cannot be a task's id (it holds a "
                  "character a terminal does not show as itself)", "markup"),
    "too long": ("a" * 201, "which cannot be a task's id (its file-name form is 201 bytes, "
                 "over 200)", "markup"),
}


@pytest.mark.parametrize("kind", sorted(BAD_IDS))
def test_the_note_of_a_bad_id_says_its_true_reason(
        project: Path, run: Runner, kind: str) -> None:
    """A task's id retyped to a text no id can be, of each kind: the note the next write
    puts in its log names why (its character, or the Org object it would be read as),
    never a wrong reason (before: ``x:y`` was "a text that Org would read as markup",
    which it is not: Org reads it as a link only when it knows a link type ``x``)."""
    typed, said, never = BAD_IDS[kind]
    task = add(run, "Tee")
    _retype(project, task, typed)
    done = run("task", "add", "Two", agent="planner.1")
    assert "corrected on the task board" in done.stderr
    note = next(line for line in board(project).splitlines()
                if "its id was changed by hand to" in line)
    assert said in note, note
    assert note.endswith(f": given back ({task})")
    assert never not in note.split(f"({task})")[0], note
    assert "\u200b" not in board(project) and "\u2060" not in board(project)


# -- 2. a linked work tree's copy, merged in under the board's lock ----------------------------

HOLD = """
import sys
from ai_protocols.storage import files
with files.locked(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


def _linked_copy_edited(project: Path, run: Runner, tmp_path: Path) -> tuple[Path, str]:
    """A committed board with a task, a linked work tree, and in it a person's edit of
    its own copy of the board (a task added by hand); the advice the warning gives,
    as a shell command."""
    add(run, "Tee")
    _commit(project, "the board")
    tree = tmp_path / "wt"
    git(project, "worktree", "add", "-q", "-b", "side", str(tree))
    tree = tree.resolve()
    copy = tree / ".ai" / "tasks.org"
    copy.write_text(copy.read_text(encoding="utf-8") + "* TODO From the copy\n",
                    encoding="utf-8")
    warned = Runner(tree)("task", "list", agent="planner.1").stderr
    match = re.search(r"merge it in as git would, task by task, under the board's lock: "
                      r"(.+?) \(then 'git checkout", warned)
    assert match, warned
    return tree, match.group(1)


def _shell_env(**extra: str) -> dict[str, str]:
    """The environment a person's shell gives the advice: the installed console script
    on ``PATH``."""
    return clean_env(AI_AGENT_ID="planner.1", PATH=f"{CLI.parent}:{os.environ['PATH']}",
                     **extra)


def test_the_advised_merge_of_a_linked_copy_waits_for_the_boards_lock(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """The warning's advice, run literally in the linked work tree while another process
    holds the board's lock, does not write the board (exit 8 once the lock's wait is
    over; before, the advice ran the merge driver straight onto the main board, under
    no lock); run once the lock is free, it merges the copy's task into the board, the
    shared board's own tasks kept, and the warning goes."""
    tree, advice = _linked_copy_edited(project, run, tmp_path)
    before = board(project)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(project / ".ai"),
                               str(project / ".ai" / "tasks.org")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=clean_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        refused = subprocess.run(["sh", "-c", advice], cwd=tree, capture_output=True,
                                 text=True, timeout=120,
                                 env=_shell_env(AI_PROTOCOLS_LOCK_TIMEOUT="1"))
        assert refused.returncode == 8, refused
        assert board(project) == before
    finally:
        holder.communicate("", timeout=60)
    done = subprocess.run(["sh", "-c", advice], cwd=tree, capture_output=True, text=True,
                          timeout=120, env=_shell_env())
    assert done.returncode == 0, done
    listed = run("task", "list", agent="planner.1").stdout
    assert "From the copy" in listed and "Tee" in listed
    git(tree, "checkout", "HEAD", "--", ".ai/tasks.org")
    assert "own copy" not in Runner(tree)("task", "list", agent="planner.1").stderr


def test_the_advised_merge_loses_no_concurrent_write(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """The advice run while other agents add tasks to the shared board at once: every
    task added and the copy's task are on the board afterwards, and each once."""
    tree, advice = _linked_copy_edited(project, run, tmp_path)
    adders = [subprocess.Popen([str(CLI), "task", "add", f"Added {n}"], cwd=project,
                               env=clean_env(AI_AGENT_ID=f"p{n}.1"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for n in range(6)]
    done = subprocess.run(["sh", "-c", advice], cwd=tree, capture_output=True, text=True,
                          timeout=120, env=_shell_env())
    assert all(adder.wait(timeout=120) == 0 for adder in adders)
    assert done.returncode == 0, done
    text = board(project)
    for title in ["Tee", "From the copy", *(f"Added {n}" for n in range(6))]:
        assert text.count(f" {title}\n") == 1, (title, text)


# -- 6. a holder on another host whose session ended ----------------------------------------

OTHER_HOST_AGENT = r"""
import json, subprocess, sys
cli, root, agent, task, reason = sys.argv[1:6]
env = json.loads(sys.argv[6])
def hook(event, **extra):
    payload = {"session_id": "7c1e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", "cwd": root,
               "hook_event_name": event, **extra}
    subprocess.run([cli, "hook", event, "--runtime", "claude"], cwd=root, env=env,
                   input=json.dumps(payload), capture_output=True, text=True, check=True)
hook("SessionStart", source="startup")
subprocess.run([cli, "task", "claim", task], cwd=root, env=env, check=True)
subprocess.run([cli, "lock", "lib/", "--reason", "reshaping"], cwd=root, env=env, check=True)
hook("SessionEnd", reason=reason)
"""


@pytest.mark.parametrize("reason", ["other", "clear"])
def test_an_ended_holder_on_another_host_is_taken_over_after_the_grace(
        project: Path, run: Runner, reason: str) -> None:
    """An agent on another host (its own host name: a UTS namespace, ``unshare --uts``)
    claims a task, locks ``lib/``, and its SessionEnd hook records its end; its process
    cannot be checked from here. Within the grace for a resume
    (``AI_PROTOCOLS_ENDED_GRACE_MINUTES``) it is ``ended``: a claim without ``--force``
    is refused saying why, how long is left and what a person can do, and the guard
    refuses an edit into ``lib/``. After the grace (here 0) an end of any reason but
    ``/clear`` is abandoned, with that evidence: another agent claims the task and the
    guard lets the edit through (before: ``ended`` for ``AI_PROTOCOLS_STALE_HOURS``, 12
    hours, as if it could not be judged at all). An end by ``/clear`` (its process goes
    on, in a new session) keeps them until ``AI_PROTOCOLS_STALE_HOURS``."""
    probe = subprocess.run(["unshare", "--uts", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("no UTS namespace here (unshare --uts needs root)")
    task = add(run, "T1", "--working-set", "lib/")
    holder = "otherhost.proj.claude.7c1e2f43"
    subprocess.run(
        ["unshare", "--uts", "sh", "-c", 'hostname otherhost && exec "$@"', "sh",
         sys.executable, "-c", OTHER_HOST_AGENT, str(CLI), str(project), holder, task,
         reason, json.dumps(clean_env(AI_AGENT_ID=holder))],
        check=True, capture_output=True, env=clean_env(), timeout=120)
    assert "on otherhost" in board(project)
    refused = run("task", "claim", task, agent=OTHER, check=False)
    assert refused.returncode == 21, refused
    for words in ("(ended:", "cannot be checked from this host", "'ai-protocols abandon'"):
        assert words in refused.stderr, refused.stderr
    assert _hook(project, OTHER).returncode == 2
    graceless = {"AI_PROTOCOLS_ENDED_GRACE_MINUTES": "0"}
    if reason == "clear":
        assert run("task", "claim", task, agent=OTHER, env=graceless,
                   check=False).returncode == 21
        assert _hook(project, OTHER, **graceless).returncode == 2
        return
    assert _hook(project, OTHER, **graceless).returncode == 0
    taken = run("task", "claim", task, agent=OTHER, env=graceless)
    said = taken.stdout + taken.stderr
    assert f"it was held by {holder}, who is abandoned" in said, said
    assert "cannot be checked from this host" in said, said
    assert f"claimed by {OTHER}" in run("task", "list", agent="planner.1").stdout


def _hook(cwd: Path, agent: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """The PreToolUse hook given a ``Write`` of ``lib/x.py``, with ``extra`` in its
    environment."""
    payload = {"session_id": "s", "cwd": str(cwd), "hook_event_name": "PreToolUse",
               "tool_name": "Write",
               "tool_input": {"file_path": str(cwd / "lib" / "x.py"), "content": "x"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=clean_env(AI_AGENT_ID=agent, **extra), timeout=60)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab:[]<>{}@%$*sc_rl0129-/ \"CLOKSTAEfn")),
                    max_size=16))
def test_markup_in_names_what_escape_inline_escapes(text: str) -> None:
    """``markup_in`` (the words of a note) and ``escape_inline`` (the escape) read one
    set of patterns: a text has something named exactly when it needs an escape."""
    from ai_protocols.org.syntax import escape_inline, markup_in

    assert (markup_in(text) is not None) == (escape_inline(text) != text), text
