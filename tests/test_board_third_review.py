"""The task board after its third review (issue 15, the reviewer's faults 1 to 16).

Every command runs as the installed ``ai-protocols`` in a real git repository;
a dead agent is a command run under a parent that exits at once
(``as_another_agent``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, add, board
from boardkit import write_hook as hook
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

# -- 1. check never says ok when it could not look ----------------------------------------------


def test_check_fails_when_git_cannot_say_what_changed(project: Path, run: Runner) -> None:
    (project / "src").mkdir()
    run("lock", "src/", "--reason", "mine", agent="owner.1")
    (project / "src" / "a.py").write_text("x\n")
    assert run("check", agent="other.1", check=False).returncode == 23
    (project / ".git" / "index").write_bytes(b"not an index at all")
    for args in (("check",), ("check", "--json")):
        done = run(*args, agent="other.1", check=False)
        assert done.returncode == 14, done
        assert "could not be read" in done.stderr and "nothing was checked" in done.stderr
        assert '"ok": true' not in done.stdout and "0 changed" not in done.stdout


def test_check_outside_git_says_so(tmp_path: Path) -> None:
    root = (tmp_path / "nogit").resolve()
    (root / ".ai").mkdir(parents=True)
    done = subprocess.run([str(CLI), "check"], cwd=root, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="a.1"), timeout=60)
    assert done.returncode == 14, done
    assert "not in a git work tree" in done.stderr and done.stdout == ""


# -- 2, 3. a live claimant is never taken over without --force ----------------------------------


def test_a_reclaim_from_a_new_process_renews_the_claim(project: Path, run: Runner) -> None:
    task = add(run, "t")
    run("task", "claim", task, agent="agentA.1", as_another_agent=True)  # its process dies
    before = board(project)
    again = run("task", "claim", task, agent="agentA.1")  # the resumed run, alive
    assert "yours already" in again.stdout and "renewed" in again.stdout
    assert board(project) != before
    taken = run("task", "claim", task, agent="agentB.1", check=False)
    assert taken.returncode == 21, taken
    assert "live" in taken.stderr
    # the same process claiming again changes nothing
    after = board(project)
    run("task", "claim", task, agent="agentA.1")
    assert board(project) == after


def test_a_dead_session_does_not_outrank_the_claims_live_process(project: Path,
                                                                  run: Runner) -> None:
    task = add(run, "t")
    me = "vm.p3.claude.1796028100"
    run("start", "--title", "old run", agent=me, as_another_agent=True)  # session: crashed
    run("task", "claim", task, agent=me)  # this test process: live
    run("log", "--task", task, "--progress", "working on it", agent=me)
    taken = run("task", "claim", task, agent="agentB.1", check=False)
    assert taken.returncode == 21, taken
    assert "live" in taken.stderr
    shown = json.loads(run("task", "list", "--json", agent="agentB.1").stdout)
    assert shown[0]["owner_state"] == "live"
    # ...while a claim whose own process is gone too is taken over, saying why
    other = add(run, "u")
    run("task", "claim", other, agent=me, as_another_agent=True)
    took = run("task", "claim", other, agent="agentB.1")
    assert "taken over" in took.stdout and "crashed" in took.stdout


# -- 4. ages are zone-independent -----------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14", "Asia/Kolkata",
                                  "America/Los_Angeles"])
def test_a_fresh_claim_or_lock_from_another_zone_is_not_abandoned(project: Path, run: Runner,
                                                                  zone: str) -> None:
    task = add(run, "t")
    run("task", "claim", task, agent="remote.1", env={"TZ": zone})
    run("lock", "src/", "--reason", "remote work", agent="remote.1", env={"TZ": zone})
    text = board(project)
    assert re.search(r"^:CLAIMED_AT: \S+[+-]\d\d:\d\d ", text, re.M)
    assert re.search(r"^:LOCKED_AT: \S+[+-]\d\d:\d\d ", text, re.M)
    # its process runs on a host this one cannot check (it came by git)
    text = re.sub(r"^:OWNER_PROCESS: pid \d+ on [^,]+,", ":OWNER_PROCESS: pid 4370 on laptop,",
                  text, flags=re.M)
    (project / BOARD).write_text(text, encoding="utf-8")
    here = {"TZ": "UTC", "AI_PROTOCOLS_STALE_HOURS": "1"}
    taken = run("task", "claim", task, agent="thief.1", env=here, check=False)
    assert taken.returncode == 21, taken
    assert "abandoned" not in taken.stderr
    done = subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps({"session_id": "s", "cwd": str(project),
                                            "tool_name": "Write", "tool_input": {
                                                "file_path": str(project / "src/x.py")}}),
                          capture_output=True, text=True, cwd=project, timeout=60,
                          env=clean_env(AI_AGENT_ID="thief.1", **here))
    assert done.returncode == 2, done


def test_an_old_board_without_the_record_is_still_read(project: Path, run: Runner) -> None:
    task = add(run, "t")
    run("task", "claim", task, agent="old.1", as_another_agent=True)
    text = re.sub(r"^:CLAIMED_AT:.*\n", "", board(project), flags=re.M)
    (project / BOARD).write_text(text, encoding="utf-8")
    took = run("task", "claim", task, agent="new.1")
    assert "crashed" in took.stdout


# -- 6. a task reopened by a person is free -------------------------------------------------------


def test_a_reopened_task_is_free_to_claim(project: Path, run: Runner) -> None:
    task = add(run, "t")
    run("task", "claim", task, agent="closer.1")
    run("task", "done", task, agent="closer.1")
    assert run("task", "claim", task, agent="other.1", check=False).returncode == 24
    path = project / BOARD
    path.write_text(re.sub(r"^\* DONE t$", "* TODO t", board(project), flags=re.M),
                    encoding="utf-8")
    listed = run("task", "list", agent="other.1").stdout
    assert "claimed by" not in listed
    assert task in run("task", "list", "--free", agent="other.1").stdout
    shown = json.loads(run("task", "show", task, "--json", agent="other.1").stdout)
    assert shown["owner"] is None and shown["closed"] is None
    run("task", "claim", task, agent="other.1")
    shown = json.loads(run("task", "show", task, "--json", agent="other.1").stdout)
    assert shown["owner"] == "other.1" and shown["state"] == "DOING"
    assert ":CLOSED_AT:" not in board(project)
    assert "done by closer.1" in board(project)  # the log keeps the history


# -- 7. a person's note under a lock's headline does not turn the guard off ---------------------


def test_a_note_under_a_lock_headline_leaves_the_lock_enforced(project: Path,
                                                               run: Runner) -> None:
    (project / "src").mkdir()
    run("lock", "src/", "--reason", "reshaping", agent="ann.1")
    path = project / BOARD
    path.write_text(board(project).replace("** src/\n", "** src/\nAsk me first -- Ann\n"),
                    encoding="utf-8")
    done = hook(project, project / "src" / "x.py", "bob.1")
    assert done.returncode == 2, done
    assert "ann.1 has locked" in done.stderr
    (project / "src" / "x.py").write_text("x\n")
    checked = run("check", agent="bob.1", check=False)
    assert checked.returncode == 23, checked
    assert "locked by ann.1" in checked.stdout
    # a writer still refuses, naming the line (nothing is written over it)
    assert run("lock", "docs/", "--reason", "r", agent="bob.1", check=False).returncode == 6


# -- 8. the hook checks the locks of the project that holds the file ----------------------------


def test_the_hook_finds_the_project_from_the_file_not_from_cwd(project: Path, run: Runner,
                                                               tmp_path: Path) -> None:
    (project / "src").mkdir()
    run("lock", "src/", "--reason", "reshaping", agent="ann.1")
    other = (tmp_path / "other").resolve()
    other.mkdir()
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    for cwd in (tmp_path, other, project):
        done = hook(cwd, project / "src" / "new" / "x.py", "bob.1")
        assert done.returncode == 2, (cwd, done)
        assert "ann.1 has locked" in done.stderr
    assert hook(other, other / "src" / "x.py", "bob.1").returncode == 0


# -- 11. '..' after a link goes where the file system goes --------------------------------------


def test_dot_dot_after_a_link_is_resolved_as_the_file_system_does(project: Path,
                                                                   run: Runner) -> None:
    (project / "lib" / "api").mkdir(parents=True)
    (project / "apilink").symlink_to("lib/api")
    said = run("lock", "apilink/../notes.md", "--reason", "n", agent="carl.1").stdout
    assert "Locked lib/notes.md" in said
    done = hook(project, project / "apilink" / ".." / "notes.md", "bob.1")
    assert done.returncode == 2 and "lib/notes.md" in done.stderr, done
    assert hook(project, project / "notes.md", "bob.1").returncode == 0
    (project / "lib" / "notes.md").write_text("hi\n")
    checked = run("check", agent="bob.1", check=False)
    assert checked.returncode == 23 and "lib/notes.md" in checked.stdout


# -- 5. the board merge is symmetric ------------------------------------------------------------

_WHO = st.sampled_from([None, "x1", "x2"])
_MINUTE = st.sampled_from(["10:00", "10:01"])
_TASK = st.tuples(st.sampled_from(["TODO", "DOING", "DONE", "CANCELLED", "REVIEW"]), _WHO,
                  _MINUTE, st.sampled_from([None, "cpA", "cpB"]),
                  st.sampled_from([None, "00", "30"]))
_LOCK = st.tuples(_WHO, _MINUTE, st.sampled_from(["r1", "r2"]),
                  st.sampled_from([None, "00", "30"]))


def _render(tasks: list[tuple], lock: tuple | None) -> str:
    from ai_protocols.board.model import board_text

    text = board_text()
    if lock is not None:
        owner, minute, reason, second = lock
        text += ("** db/\n:PROPERTIES:\n:PATH:     db/\n" +
                 (f":OWNER:    {owner}\n" if owner else "") +
                 f":LOCKED:   [2026-01-01 Thu {minute}]\n" +
                 (f":LOCKED_AT: 2026-01-01T{minute}:{second}+00:00\n" if second else "") +
                 f":REASON:   {reason}\n:END:\n")
    for number, (state, owner, minute, checkpoint, second) in enumerate(tasks):
        props = [f":ID: 20260101-000000-t{number:07d}"]
        if owner:
            props += [f":OWNER: {owner}", f":CLAIMED: [2026-01-01 Thu {minute}]"]
            if second:
                props.append(f":CLAIMED_AT: 2026-01-01T{minute}:{second}+00:00")
        if state in ("DONE", "CANCELLED"):
            props.append(f":CLOSED_AT: [2026-01-01 Thu {minute}]")
            if checkpoint:
                props.append(f":CHECKPOINT: {checkpoint}")
        text += f"* {state} task {number}\n:PROPERTIES:\n" + "\n".join(props) + "\n:END:\n"
    return text


@settings(max_examples=300, deadline=None)
@given(base=st.lists(_TASK, min_size=1, max_size=3), lock=_LOCK, data=st.data())
def test_merging_either_way_gives_the_same_board(base: list[tuple], lock: tuple,
                                                  data: st.DataObject) -> None:
    from ai_protocols.board.merge import merge_board_bytes

    def side() -> tuple[list[tuple], tuple, str]:
        tasks = [data.draw(st.one_of(st.just(t), _TASK)) for t in base]
        gap = data.draw(st.sampled_from([" ", "  ", "\t"]))  # a person's spacing
        return tasks, data.draw(st.one_of(st.just(lock), _LOCK)), gap

    def spaced(text: str, gap: str) -> str:
        return re.sub(r"^\* (\S+ task 0)$", lambda m: "*" + gap + m.group(1), text,
                      flags=re.M)

    (ta, la, ga), (tb, lb, gb) = side(), side()
    o, a, b = (spaced(_render(t, lk), g).encode()
               for t, lk, g in ((base, lock, " "), (ta, la, ga), (tb, lb, gb)))
    one, two = merge_board_bytes(o, a, b), merge_board_bytes(o, b, a)
    assert (one is None) == (two is None)
    if one is None or two is None:
        return
    assert one.conflicts == two.conflicts, (one.data.decode(), two.data.decode())
    if not one.conflicts:
        assert one.data == two.data


def test_both_clones_closing_a_task_with_different_checkpoints_conflict_there_alone() -> None:
    from ai_protocols.board.merge import merge_board_bytes

    o = _render([("TODO", None, "10:00", None, None), ("TODO", None, "10:00", None, None)],
                None)
    a = _render([("DONE", None, "10:00", "cpA", None), ("TODO", None, "10:00", None, None)],
                None)
    b = _render([("DONE", None, "10:00", "cpB", None), ("TODO", None, "10:00", None, None)],
                None)
    for one in (merge_board_bytes(o.encode(), a.encode(), b.encode()),
                merge_board_bytes(o.encode(), b.encode(), a.encode())):
        assert one is not None and one.conflicts
        text = one.data.decode()
        assert "cpA" in text and "cpB" in text
        assert text.count("<<<<<<<") == 1 and "* TODO task 1" in text.split(">>>>>>>")[-1]


# -- 10. the automatic set-up does what init does ------------------------------------------------


@pytest.mark.parametrize("args", [("task", "add", "First"), ("lock", "src/", "--reason", "r"),
                                  ("start",)])
def test_setting_up_on_the_fly_installs_the_merge_driver_too(repo: Path, run: Runner,
                                                             args: tuple[str, ...]) -> None:
    done = run(*args, agent="a.1")
    config = subprocess.run(["git", "-C", str(repo), "config", "--get",
                             "merge.ai-protocols.driver"], capture_output=True, text=True)
    assert config.returncode == 0 and "merge-driver" in config.stdout
    assert "init" in done.stdout + done.stderr


# -- 9. the work trees of one repository share one board ----------------------------------------


def test_linked_work_trees_share_the_main_work_trees_board(project: Path, run: Runner,
                                                           tmp_path: Path) -> None:
    task = add(run, "t")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    linked = (tmp_path / "linked").resolve()
    subprocess.run([*git, "worktree", "add", "-q", str(linked)], check=True)
    claimed = run("task", "claim", task, agent="a.1", cwd=linked)
    assert "every work tree of the repository shares" in claimed.stderr
    taken = run("task", "claim", task, agent="b.1", check=False)
    assert taken.returncode == 21 and "a.1" in taken.stderr
    run("lock", "src/", "--reason", "r", agent="a.1", cwd=linked)
    assert "src/" in run("locks", agent="b.1").stdout
    for root in (project, linked):
        done = hook(root, root / "src" / "x.py", "b.1")
        assert done.returncode == 2 and "a.1 has locked" in done.stderr, done
    assert not (linked / BOARD).read_text(encoding="utf-8").count("OWNER")


# -- 14. unusable numbers in the environment: the default, never a traceback ---------------------

_ODD = st.one_of(st.sampled_from(["inf", "-inf", "nan", "1e300", "-1", "1e308", "9" * 400,
                                  "0x10", "", " ", "12", "0", "1e-300"]),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                         max_size=8).filter(lambda t: "\0" not in t))


@settings(max_examples=12, deadline=None)
@given(stale=_ODD, timeout=_ODD)
def test_odd_numbers_in_the_environment_never_crash_a_command(
        tmp_path_factory: pytest.TempPathFactory, stale: str, timeout: str) -> None:
    root = tmp_path_factory.mktemp("odd").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    env = {"AI_PROTOCOLS_STALE_HOURS": stale, "AI_PROTOCOLS_LOCK_TIMEOUT": timeout}
    run = Runner(root)
    task = add(run, "t")
    run("task", "claim", task, agent="gone.1", as_another_agent=True)
    for args in (("task", "list"), ("task", "claim", task), ("status",), ("locks",),
                 ("lock", "src/", "--reason", "r")):
        done = run(*args, agent="a.1", env=env, check=False)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_stale_hours_unusable_is_the_default_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from ai_protocols.liveness.evidence import DEFAULT_STALE_HOURS, stale_after
    from ai_protocols.storage.files import DEFAULT_LOCK_TIMEOUT, _lock_timeout

    for value in ("inf", "-inf", "1e300", "nan", "-1e30", "x"):
        monkeypatch.setenv("AI_PROTOCOLS_STALE_HOURS", value)
        monkeypatch.setenv("AI_PROTOCOLS_LOCK_TIMEOUT", value)
        assert stale_after() == timedelta(hours=DEFAULT_STALE_HOURS)
        assert _lock_timeout() == DEFAULT_LOCK_TIMEOUT
    monkeypatch.setenv("AI_PROTOCOLS_STALE_HOURS", "2.5")
    assert stale_after() == timedelta(hours=2.5)
    monkeypatch.setenv("AI_PROTOCOLS_STALE_HOURS", "-3")  # not a duration: the default
    assert stale_after() == timedelta(hours=DEFAULT_STALE_HOURS)
    monkeypatch.setenv("AI_PROTOCOLS_LOCK_TIMEOUT", "-1")  # documented: wait forever
    assert _lock_timeout() == -1


# -- 13. --checkpoint-ref is resolved to a ref and a commit ----------------------------------------


def test_a_checkpoint_ref_is_kept_as_its_full_name_and_commit(project: Path,
                                                              run: Runner) -> None:
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    task = add(run, "t")
    before = board(project)
    for bad in ("no-such-ref", "HEAD"):  # (no commit yet: HEAD names none)
        done = run("task", "done", task, "--checkpoint-ref", bad, agent="a.1", check=False)
        assert done.returncode == 4 and "names no commit" in done.stderr, done
        assert board(project) == before
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "i"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    branch = subprocess.run([*git, "symbolic-ref", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    run("task", "done", task, "--checkpoint-ref", "HEAD", agent="a.1")
    assert json.loads(run("task", "show", task, "--json").stdout)["checkpoint"] == \
        f"{branch} {head}"
    other = add(run, "u")
    run("task", "done", other, "--checkpoint-ref", head[:8], agent="a.1")
    assert json.loads(run("task", "show", other, "--json").stdout)["checkpoint"] == head


# -- 12. working sets of several claimed tasks: a task without one limits nothing ---------------


def test_a_claimed_task_without_a_working_set_lifts_the_limit(project: Path,
                                                              run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    limited = add(run, "api", "--working-set", "src/api/")
    free = add(run, "anything")
    run("task", "claim", limited, agent="a.1")
    (project / "src" / "api.py").write_text("x\n")
    assert run("check", agent="a.1", check=False).returncode == 23  # outside src/api/
    run("task", "claim", free, agent="a.1")
    done = run("check", "--json", agent="a.1", check=False)
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["working_set"] == []
    assert "names no working set" in run("check", agent="a.1").stdout


# -- 15. a symbolic link is changed at its own path -----------------------------------------------


def test_a_new_link_is_not_inside_the_lock_on_its_target(project: Path, run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    run("lock", "src/api/", "--reason", "r", agent="ann.1")
    (project / "apilink").symlink_to("src/api")
    done = run("check", "--json", agent="bob.1", check=False)
    assert done.returncode == 0, done.stdout
    assert "apilink" in json.loads(done.stdout)["changed"]
    (project / "src" / "api" / "x.py").write_text("x\n")  # a change at the target counts
    found = json.loads(run("check", "--json", agent="bob.1", check=False).stdout)["findings"]
    assert [f["path"] for f in found] == ["src/api/x.py"]


# -- 16. wording, and the exit codes of the board commands -----------------------------------------


def test_an_unreadable_board_is_called_the_task_board(project: Path, run: Runner) -> None:
    add(run, "t")
    path = project / BOARD
    path.write_bytes(b"* TODO caf\xe9\n")
    for args in (("task", "list"), ("task", "add", "u"), ("locks",)):
        done = run(*args, agent="a.1", check=False)
        assert done.returncode == 6 and "cannot read the task board" in done.stderr, done
        assert "session context" not in done.stderr
    path.unlink()
    path.mkdir()
    done = run("task", "list", agent="a.1", check=False)
    assert done.returncode == 6 and "cannot read the task board" in done.stderr, done


def test_handoff_refusal_and_unlock_say_it_plainly(project: Path, run: Runner) -> None:
    task = add(run, "t")
    run("task", "claim", task, agent="holder.1")
    done = run("task", "handoff", task, "--to", "reviewer", "--note", "n", agent="b.1",
               check=False)
    assert done.returncode == 21 and "only its holder may hand it off" in done.stderr
    run("lock", "docs/", "--reason", "r", agent="me.1")
    assert run("unlock", "docs/", agent="me.1").stdout == "Unlocked docs/\n"
    run("lock", "docs/", "--reason", "r", agent="me.1", as_another_agent=True)
    assert "(was me.1's)" in run("unlock", "docs/", agent="other.1").stdout


def test_the_exit_code_table_of_tasks_md_is_complete() -> None:
    """Every error a board command raises has its code in docs/tasks.md's table, and
    every code there is an error class's (errors.py) or check's."""
    import ai_protocols.errors as errors
    from ai_protocols.board.guard import CHECK_FAILED

    text = (Path(__file__).parent.parent / "docs" / "tasks.md").read_text(encoding="utf-8")
    table = text[text.index("## Exit codes"):]
    table = table[:table.index("\n## ")]
    codes = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    raised = {errors.InvalidText, errors.InvalidAgentId, errors.UnreadableSession,
              errors.MergeConflict, errors.MisplacedDrawer, errors.LockTimeout,
              errors.StorageError, errors.BeingEdited, errors.UnsafePath, errors.NoProject,
              errors.GitFailed, errors.NotAGitRepository, errors.CheckpointRefused,
              errors.TaskNotFound, errors.DuplicateTaskId, errors.TaskTaken,
              errors.PathLocked, errors.TaskClosed, errors.AiProtocolsError}
    assert {cls.exit_code for cls in raised} | {CHECK_FAILED, 2} == codes
    for cls in raised - {errors.AiProtocolsError}:
        assert cls.exit_code in codes, cls


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(["a", "b", "c", "l1", "l2", "..", "."]), max_size=5))
def test_a_path_names_where_the_file_system_goes(parts: list[str]) -> None:
    """Any mix of folders, links and '..' is normalized to where ``realpath`` goes, or
    refused when that is outside the project."""
    import os
    import tempfile

    from ai_protocols.board.model import normalize_path
    from ai_protocols.errors import InvalidText

    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(os.path.realpath(top), "proj")
        os.makedirs(os.path.join(root, "a", "b"))
        os.makedirs(os.path.join(root, "c"))
        os.symlink("a/b", os.path.join(root, "l1"))
        os.symlink(os.path.join(root, "c"), os.path.join(root, "l2"))
        given = "/".join([*parts, "f.txt"])
        where = os.path.relpath(os.path.realpath(os.path.join(root, given)), root)
        if where.startswith(".."):
            with pytest.raises(InvalidText):
                normalize_path(root, given, cwd=root)
        else:
            assert normalize_path(root, given, cwd=root) == where
