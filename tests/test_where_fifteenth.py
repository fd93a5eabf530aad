"""Issue 14, fifteenth round: where the work is, said by one rule (docs/decisions.md).

Each test runs the installed console script and real git in temporary repositories:
a branch switch named as such (``git switch BRANCH``, never a restore nor a copy), a
checkpoint the older file lacks said by the whereabouts rule (a collected one is never
"restore"d), the re-merge through the driver of a fresh clone's first conflict, the
abandoned sessions in ``status``, a next step taken up by ``--current``/``--done``, and
an export refused inside the work tree.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "a@b")
    git(root, "config", "user.name", "A")
    (root / "x.txt").write_text("x\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    return root


def warnings_of(text: str) -> str:
    return " ".join(line for line in text.splitlines() if "arning" in line)


# -- 1. a branch switch is named as such -------------------------------------------------


def test_switch_back_says_git_switch_not_restore(tmp_path: Path) -> None:
    """The work and the session file committed on ``feature``, then ``git switch
    main``: ``resume`` and ``start`` name the switch and say ``git switch feature``;
    no ``cp`` of the kept copy, no ``checkpoint restore`` (either would bring feature's
    files onto main). A broken rule says "an older version" with that advice."""
    root = make_repo(tmp_path / "p")
    run = Runner(root)
    run("start")
    git(root, "add", ".ai")
    git(root, "commit", "-qm", "session on main")
    git(root, "switch", "-q", "-c", "feature")
    (root / "feat.txt").write_text("feat\n")
    run("log", "--progress", "on feature")
    run("checkpoint", "--note", "wip")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "wip, session too")
    git(root, "switch", "-q", "main")
    for said in (run("resume").stderr + run("resume").stdout,
                 run("start").stderr):
        warned = warnings_of(said)
        assert "a switch from branch 'feature'" in warned, said
        assert "git switch feature" in warned, said
        assert "older version" not in warned and "checkpoint restore" not in warned, said
        assert " cp " not in warned, said
    # following the advice gives the work back, the warning gone
    git(root, "switch", "-q", "feature")
    assert (root / "feat.txt").exists()
    assert "switch" not in warnings_of(run("resume").stderr + run("resume").stdout)


# -- 2. a checkpoint named by the whereabouts rule ---------------------------------------


def test_older_file_never_advises_restore_of_a_collected_checkpoint(tmp_path: Path) -> None:
    """The file put back by ``git stash`` after a checkpoint whose ref was then pruned
    and collected: the warning says it cannot be restored here (the whereabouts rule),
    never "restore 1", which fails."""
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    root = tmp_path / "w"
    git(tmp_path, "clone", "-q", str(bare), str(root))
    git(root, "config", "user.email", "a@b")
    git(root, "config", "user.name", "A")
    (root / "x.txt").write_text("x\n")
    run = Runner(root)
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    run("start")
    git(root, "add", ".ai")
    git(root, "commit", "-qm", "s")
    git(root, "push", "-q", "origin", "main")
    (root / "x.txt").write_text("x\nwork\n")
    run("checkpoint", "--note", "wip")
    git(root, "stash", "-q", "-u")
    git(root, "fetch", "-q", "--prune", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(root, "stash", "drop", "-q")
    git(root, "reflog", "expire", "--expire=now", "--all")
    git(root, "gc", "-q", "--prune=now")
    said = warnings_of(run("resume").stderr + run("resume").stdout)
    assert "older version" in said, said
    assert "git gc collected its commit" in said, said
    assert "checkpoint restore 1" not in said and "still in refs/" not in said, said
    assert run("checkpoint", "restore", "1", check=False).returncode != 0


def test_older_file_names_a_pruned_checkpoint_by_its_hash(tmp_path: Path) -> None:
    """Ref pruned, commit still here: the warning gives ``restore HASH``, which works
    (a broken rule says ``restore 1``, which fails: no ref)."""
    root = make_repo(tmp_path / "p")
    run = Runner(root)
    run("start")
    git(root, "add", ".ai")
    git(root, "commit", "-qm", "s")
    (root / "x.txt").write_text("x\nwork\n")
    run("checkpoint", "--note", "wip")
    refs = git(root, "for-each-ref", "--format=%(refname)", "refs/ai-protocols").split()
    assert len(refs) == 1
    git(root, "stash", "-q", "-u")
    git(root, "update-ref", "-d", refs[0])
    said = warnings_of(run("resume").stderr + run("resume").stdout)
    found = re.search(r"ai-protocols checkpoint restore ([0-9a-f]{12})", said)
    assert found, said
    assert "checkpoint restore 1 " not in said, said
    run("checkpoint", "restore", found.group(1), "--worktree", str(tmp_path / "back"))
    assert (tmp_path / "back" / "x.txt").read_text() == "x\nwork\n"


# -- 3. a fresh clone's first conflict: merged again through the driver ------------------


def _conflicted_fresh_clone(tmp_path: Path) -> Path:
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(bare), str(a))
    for clone in (a,):
        git(clone, "config", "user.email", "a@b")
        git(clone, "config", "user.name", "A")
    (a / "x.txt").write_text("x\n")
    git(a, "add", ".")
    git(a, "commit", "-qm", "init")
    run_a = Runner(a)
    run_a("init")
    run_a("start")
    run_a("log", "--progress", "base")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "s")
    git(a, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare), str(b))
    git(b, "config", "user.email", "b@b")
    git(b, "config", "user.name", "B")
    run_a("log", "--progress", "A e")
    git(a, "commit", "-qam", "a")
    git(a, "push", "-q", "origin", "main")
    path = b / ".ai" / "session-context.org"
    text = path.read_text().replace("- [ ] [", "- [X] [", 1)
    text = re.sub(r"(?m)^(:UPDATED: *).*$", r"\g<1>[2026-12-01 Tue 23:59]", text, count=1)
    path.write_text(text)
    git(b, "commit", "-qam", "person ticks")
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert "<<<<<<<" in path.read_text()
    return b


def _printed_command(said: str) -> list[str]:
    found = re.search(r"'(git checkout -m -- [^']+)'", said)
    assert found, said
    return shlex.split(found.group(1))


def test_fresh_clone_conflict_start_says_it_configured_and_how_to_merge_again(
        tmp_path: Path) -> None:
    """``status`` (which configures nothing) says to run init then ``git checkout -m``;
    ``start`` says it configured the driver and gives the command; the command, run
    as printed, merges the file through the driver: no marker left, both sides'
    entries there."""
    b = _conflicted_fresh_clone(tmp_path)
    run = Runner(b)
    status = run("status", check=False)
    assert "ai-protocols init" in status.stdout + status.stderr
    assert "git checkout -m -- " in status.stdout + status.stderr
    assert not git(b, "config", "--get", "merge.ai-protocols.driver", check=False)
    started = run("start", check=False)
    assert started.returncode == 6, started.stderr
    assert "configured it in" in started.stderr, started.stderr
    command = _printed_command(started.stderr)
    assert git(b, "config", "--get", "merge.ai-protocols.driver")
    subprocess.run(command, cwd=b, env=clean_env(), check=True, capture_output=True)
    text = (b / ".ai" / "session-context.org").read_text()
    assert "<<<<<<<" not in text
    assert "A e" in text and "base" in text
    run("start")  # (readable again)


# -- 4. status shows the sessions closed as abandoned ------------------------------------


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]),
                      min_size=1, max_size=40).filter(lambda t: t.strip() and
                                                      any(c.isalnum() for c in t)))
def test_status_shows_an_abandoned_session_with_its_reason(tmp_path_factory, reason: str
                                                           ) -> None:
    root = tmp_path_factory.mktemp("ab") / "p"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    run = Runner(root)
    run("start", agent="agentx")
    run("start", agent="agenty")
    run("abandon", "--reason", reason, agent="agentx")
    said = run("status", agent="agentx").stdout
    assert "abandoned" in said and "agentx" in said, said
    assert " ".join(reason.split()) in " ".join(said.split()), said
    rows = json.loads(run("status", "--json", agent="agentx").stdout)
    mine = [r for r in rows if r["agent_id"] == "agentx"]
    assert len(mine) == 1 and mine[0]["state"] == "abandoned", rows
    # a new session of that agent: the abandoned one is no longer its state
    run("start", agent="agentx")
    rows = json.loads(run("status", "--json", agent="agentx").stdout)
    assert [r["state"] for r in rows if r["agent_id"] == "agentx"] == ["live"], rows


def test_status_shows_the_single_agent_abandoned_session(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p")
    run = Runner(root)
    run("start")
    run("abandon", "--reason", "wrong approach")
    said = run("status").stdout
    assert "abandoned" in said and "wrong approach" in said, said


# -- 5. a next step taken up or closed ---------------------------------------------------


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1,
                    max_size=30))
def test_next_step_taken_up_and_done_is_closed(tmp_path_factory, step: str) -> None:
    root = tmp_path_factory.mktemp("nx") / "p"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    run = Runner(root)
    run("start")
    run("log", "--next", step, "--next", "other step")
    run("log", "--current", step)
    text = (root / ".ai" / "session-context.org").read_text()
    next_part = text.split("** Next steps", 1)[1].split("\n** ", 1)[0]
    assert re.search(r"- \[X\] \[[^]]*\] " + re.escape(step) + "(\n|$)", next_part), next_part
    assert "- [ ] [" in next_part and "other step" in next_part
    resumed = json.loads(run("resume", "--json").stdout)
    listed = resumed.get("next", resumed.get("next_steps", []))
    assert [item["text"] for item in listed] == ["other step"], listed
    run("log", "--done", step)
    text = (root / ".ai" / "session-context.org").read_text()
    progress = text.split("** Progress", 1)[1].split("\n** ", 1)[0]
    assert re.search(r"- \[X\] \[[^]]*\] " + re.escape(step) + "(\n|$)", progress), progress


def test_done_closes_the_next_step_of_the_same_text(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p")
    run = Runner(root)
    run("start")
    run("log", "--next", "write the migration", "--progress", "write the migration")
    run("log", "--done", "write the migration")
    text = (root / ".ai" / "session-context.org").read_text()
    assert "- [ ] [" not in text.split("** Next steps", 1)[1].split("\n** ", 1)[0]
    assert "write the migration" not in run("resume").stdout.split("Next steps", 1)[-1]


# -- 6. an export inside the work tree ---------------------------------------------------


def test_export_into_the_work_tree_is_refused_unless_ignored(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p")
    run = Runner(root)
    run("start")
    git(root, "add", ".ai")
    git(root, "commit", "-qm", "s")
    (root / "x.txt").write_text("x\nw\n")
    run("checkpoint", "--note", "one")
    before = git(root, "status", "--porcelain")
    refused = run("checkpoint", "export", "1", "restore-point.tar.gz", check=False)
    assert refused.returncode == 15, refused.stderr
    assert "inside this work tree" in refused.stderr and ".gitignore" in refused.stderr
    assert not (root / "restore-point.tar.gz").exists()
    assert git(root, "status", "--porcelain") == before
    (root / ".git" / "info" / "exclude").write_text("*.tgz\n")
    run("checkpoint", "export", "1", "point.tgz")
    run("checkpoint", "export", "1", str(tmp_path / "outside.tar.gz"))
    run("checkpoint", "--note", "two")
    refs = git(root, "for-each-ref", "--format=%(refname)", "refs/ai-protocols").split()
    newest = sorted(refs, key=lambda r: int(r.rsplit("/", 1)[1]))[-1]
    files = git(root, "ls-tree", "-r", "--name-only", newest).split()
    assert "point.tgz" not in files and "restore-point.tar.gz" not in files
