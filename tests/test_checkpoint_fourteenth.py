"""Issue 14, fourteenth round (review faults 2, 4, 6, 7, 8): the rolled-back warning names,
path by path, a checkpoint's changes that neither the work tree nor ``HEAD`` holds (work
thrown away beside an unrelated edit, or partly committed); an amend that took a
checkpoint's work is not "rolled back"; ``checkpoint list`` is oldest first across
clones, and ``checkpoint show`` finds the previous checkpoint in another clone; a
checkpoint taken while Emacs holds the session file is recorded after the save; Emacs's
lock, auto-save and backup files stay out of checkpoints. Real git, the installed
console script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
                          cwd=where, check=True, capture_output=True, text=True).stdout


def started(project: Path, run: Runner) -> None:
    (project / "a.txt").write_text("a\n")
    (project / "d").mkdir()
    (project / "d" / "b.txt").write_text("b\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    run("start", "--title", "T")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "ai")


def warning(run: Runner) -> str:
    out = run("resume").stdout
    return out[out.find("Warning"):] if "Warning" in out else ""


# -- fault 2: lost work, path by path ---------------------------------------------------------


def test_work_thrown_away_beside_an_unrelated_edit_is_named(project: Path,
                                                            run: Runner) -> None:
    started(project, run)
    with open(project / "a.txt", "a") as f:
        f.write("work line 1\nwork line 2\n")
    (project / "n.txt").write_text("new module\n")
    point = run("checkpoint", "--note", "feature work").stdout.split()[2].rstrip(":")
    git(project, "checkout", "-q", "--", "a.txt")
    (project / "n.txt").unlink()
    with open(project / "a.txt", "a") as f:
        f.write("unrelated hotfix\n")
    said = warning(run)
    assert "a.txt (its edit is not here)" in said and "n.txt (added in it, not here)" in said
    assert f"ai-protocols checkpoint restore {point}" in said
    # The file with no change here is taken back in place; the changed one is compared.
    assert f"git restore --source {point} -- n.txt" in said
    assert f"git diff {point} -- a.txt" in said
    start = run("start")
    assert "n.txt (added in it, not here)" in start.stdout + start.stderr
    git(project, "restore", "--source", point, "--", "n.txt")
    assert (project / "n.txt").read_text() == "new module\n"
    assert "n.txt" not in warning(run)  # (what is back is no longer named)


def test_work_partly_committed_names_only_what_was_lost(project: Path, run: Runner) -> None:
    started(project, run)
    for name in ("a.txt", "d/b.txt"):
        with open(project / name, "a") as f:
            f.write("w\n")
    (project / "n.txt").write_text("new module\n")
    run("checkpoint", "--note", "three files")
    git(project, "add", "a.txt")
    git(project, "commit", "-qm", "part")
    git(project, "checkout", "-q", "--", "d/b.txt")
    (project / "n.txt").unlink()
    said = warning(run)
    assert "2 files of uncommitted work" in said
    assert "d/b.txt (its edit is not here)" in said and "n.txt (added in it" in said
    assert "a.txt (" not in said.replace("d/b.txt (", "")


def test_work_carried_on_and_committed_is_not_lost(project: Path, run: Runner) -> None:
    """Its edit carried on (edited further, then committed) and its new file edited
    further: held, no warning (a rule by blob alone would call both lost)."""
    started(project, run)
    with open(project / "a.txt", "a") as f:
        f.write("work\n")
    (project / "n.txt").write_text("new\n")
    run("checkpoint")
    with open(project / "a.txt", "a") as f:
        f.write("more work\n")
    (project / "n.txt").write_text("new, and more\n")
    git(project, "add", "a.txt", "n.txt")
    git(project, "commit", "-qm", "done")
    assert warning(run) == ""


OUTCOMES = st.sampled_from(["kept", "committed", "lost", "lost-and-edited"])


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OUTCOMES, min_size=1, max_size=4))
def test_exactly_the_lost_paths_are_named_property(tmp_path_factory: object,
                                                   outcomes: list[str]) -> None:
    root = tmp_path_factory.mktemp("p").resolve()  # type: ignore[attr-defined]
    git(root, "init", "-q", ".")
    run = Runner(root)
    run("init")
    names = [f"f{i}.txt" for i in range(len(outcomes))]
    for name in names:
        (root / name).write_text("base\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    run("start", "--title", "T")
    for name in names:
        (root / name).write_text("base\nwork\n")
    run("checkpoint")
    for name, what in zip(names, outcomes, strict=True):
        if what == "committed":
            git(root, "add", name)
        elif what.startswith("lost"):
            (root / name).write_text("base\nother\n" if what == "lost-and-edited" else "base\n")
    if "committed" in outcomes:
        git(root, "commit", "-qm", "some")
    said = warning(run)
    lost = [n for n, w in zip(names, outcomes, strict=True) if w.startswith("lost")]
    assert (said != "") == bool(lost), (outcomes, said)
    if "neither this work tree nor HEAD has" in said:  # (some of it here: each one named)
        assert [n for n in names if f"{n} (its edit is not here)" in said] == lost, said
    elif lost:  # (all of it gone, nothing changed here: the count)
        assert lost == names and f"{len(names)} file" in said, (outcomes, said)


# -- fault 4: an amend that took the checkpoint's work -----------------------------------------


def test_an_amend_holding_the_checkpoints_work_is_not_rolled_back(project: Path,
                                                                  run: Runner) -> None:
    started(project, run)
    (project / "feat.txt").write_text("feature\n")
    git(project, "add", "feat.txt")
    git(project, "commit", "-qm", "feat part 1")
    run("log", "--progress", "part 1 committed")
    with open(project / "feat.txt", "a") as f:
        f.write("w2\n")
    with open(project / "a.txt", "a") as f:
        f.write("w1\n")
    run("checkpoint", "--note", "part 2 wip")
    git(project, "add", "-A", ".", ":!.ai")
    git(project, "commit", "-q", "--amend", "-m", "feat complete")
    said = warning(run)
    assert "restore it" not in said and said == ""
    # One file of it left out of the amend (and thrown away): the advice comes back.
    git(project, "reset", "-q", "--soft", "HEAD~1")
    git(project, "reset", "-q", "--", "a.txt")
    git(project, "checkout", "-q", "--", "a.txt")
    git(project, "commit", "-qm", "feat complete, without a.txt")
    assert "a.txt (its edit is not here)" in warning(run)


# -- fault 6: oldest first across clones; the previous checkpoint in another clone -------------


def test_list_is_by_time_and_show_finds_the_previous_in_another_clone(tmp_path: Path) -> None:
    base = tmp_path.resolve()
    git(base, "init", "-q", "--bare", "o.git")
    git(base, "clone", "-q", "o.git", "A")
    a, b = base / "A", base / "B"
    run_a, run_b = Runner(a), Runner(b)
    (a / "a.txt").write_text("a\n")
    git(a, "add", ".")
    git(a, "commit", "-qm", "init")
    run_a("init")
    run_a("start", "--title", "Shared")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "session")
    git(a, "push", "-q", "origin", "HEAD")
    git(base, "clone", "-q", "o.git", "B")
    run_b("init")
    with open(a / "a.txt", "a") as f:
        f.write("half done\n")
    run_a("pause", "--note", "going home")
    git(a, "add", ".ai")
    git(a, "commit", "-qm", "pause")
    git(a, "push", "-q")
    git(a, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    time.sleep(1.1)  # (a checkpoint's time is to the second: the next one is later)
    git(b, "pull", "-q")
    git(b, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    run_b("start")
    with open(b / "a.txt", "a") as f:
        f.write("more\n")
    run_b("checkpoint", "--note", "B carries on")
    listed = json.loads(run_b("checkpoint", "list", "--json").stdout)
    assert [c["note"] for c in listed] == ["going home", "B carries on"]
    assert [c["time"] for c in listed] == sorted(c["time"] for c in listed)
    lines = run_b("checkpoint", "list").stdout.splitlines()
    assert "going home" in lines[0] and "B carries on" in lines[1]
    shown = run_b("checkpoint", "show", "1").stdout
    assert "none, it is the first" not in shown
    assert f"Against checkpoint default/{listed[0]['clone']}/1 " \
           f"({listed[0]['commit'][:12]})" in shown


# -- fault 7: a checkpoint while Emacs holds the session file ----------------------------------


def boot_time() -> str:
    with open("/proc/stat") as stat:
        return next(line.split()[1] for line in stat if line.startswith("btime"))


def test_a_checkpoint_taken_while_emacs_edits_is_recorded_after_the_save(
        project: Path, run: Runner) -> None:
    started(project, run)
    lock = project / ".ai" / ".#session-context.org"
    holder = subprocess.Popen(["sleep", "300"])
    try:
        os.symlink(f"me@{socket.gethostname()}.{holder.pid}:{boot_time()}", lock)
        with open(project / "a.txt", "a") as f:
            f.write("wip\n")
        taken = run("checkpoint", "--note", "taken while Emacs edits")
        commit = taken.stdout.split()[2].rstrip(":")
        assert "waits in" in taken.stderr and "not recorded" not in taken.stderr
        session = project / ".ai" / "session-context.org"
        assert commit not in session.read_text()  # (the person's buffer is not written over)
        lock.unlink()
    finally:
        holder.kill()
        holder.wait()
    run("log", "--progress", "after the save")
    text = (project / ".ai" / "session-context.org").read_text()
    assert f"checkpoint: 1 {commit} (1 file uncommitted): taken while Emacs edits" in text
    assert ":CHECKPOINT_COMMIT: " + commit in text and ":CHECKPOINT_FILES: 1" in text
    assert json.loads(run("show", "--json").stdout)["checkpoint"] is not None
    # Its record counts for the rolled-back warning: the work thrown away is named.
    git(project, "checkout", "-q", "--", "a.txt")
    assert "1 file of uncommitted work" in warning(run)


# -- fault 8: Emacs's own files ---------------------------------------------------------------


def test_emacs_lock_auto_save_and_backup_files_stay_out(project: Path, run: Runner) -> None:
    started(project, run)
    with open(project / "a.txt", "a") as f:
        f.write("edited\n")
    emacs = [".#a.txt", "#a.txt#", "a.txt~", "d/.#b.txt", "d/#b.txt#", "d/b.txt.~1~"]
    os.symlink(f"me@{socket.gethostname()}.99999:{boot_time()}", project / ".#a.txt")
    os.symlink(f"me@{socket.gethostname()}.99999:{boot_time()}", project / "d" / ".#b.txt")
    for name in emacs[1:3] + emacs[4:]:
        (project / name).write_text("emacs's\n")
    (project / "notes#1.txt").write_text("mine\n")  # (a name like them, but not Emacs's)
    taken = run("checkpoint").stdout
    assert "1 file uncommitted" not in taken and "2 files uncommitted" in taken
    tree = git(project, "ls-tree", "-r", "--name-only",
               "refs/ai-protocols/checkpoints/default/" +
               git(project, "for-each-ref", "--format=%(refname:lstrip=4)",
                   "refs/ai-protocols").strip())
    assert not set(emacs) & set(tree.splitlines()) and "notes#1.txt" in tree.splitlines()
    for name in emacs:
        os.unlink(project / name)
    run("checkpoint", "restore", "1", "--force")
    assert not any(os.path.lexists(project / name) for name in emacs)
    assert (project / "a.txt").read_text() == "a\nedited\n"
