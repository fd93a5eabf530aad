"""The kept copy and the file on disk when each holds entries the other lacks (issue 14,
ninth review).

Seen: exit 6 (``SessionReplaced``) advised ``cp`` of the kept copy, "with every entry
logged to it", after a write went into an older version git put back (a checkout of an
old commit, a rebase later aborted, a bisect's advice followed): pasted, it dropped the
entries only the file on disk held. The advice now says ``cp`` only when the kept copy
holds every entry of the file; otherwise ``ai-protocols merge-kept``, which merges the
two entry by entry. Real git throughout; every advised command is run as pasted.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from gitkit import GIT_ENV, commit_all, git
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner

SESSION = ".ai/session-context.org"
KEPT = ".ai/.locks/live/session-context.org"


def _paste(cwd: Path, said: str, start: str) -> list[str]:
    """Run, through bash as a person pastes them, the commands ``said`` quotes ('...')
    that begin with ``start``; each must succeed. Returns them."""
    commands = [c for c in re.findall(r"[('](?=(?:git|cp|ai-protocols) )([^')]*)[')]", said)
                if c.startswith(start)]
    if not commands:  # (resume's advice names a command without quotes, then "(from ROOT")
        commands = [m.strip() for m in re.findall(r"(ai-protocols merge-kept \S+) \(", said)]
    assert commands, said
    env = {**os.environ, **GIT_ENV, "PATH": f"{CLI.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("AI_AGENT_ID", None)
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                              env=env)
        assert done.returncode == 0, (command, done.stderr)
    return commands


def _entries(text: str) -> set[str]:
    return set(re.findall(r"^- (?:\[.\] )?\[[^]]*\] (.*)$", text, re.MULTILINE)) - {""}


def _progress(text: str) -> set[str]:
    return {e for e in _entries(text) if not re.match(r"\w+: ", e)}


def _start(project: Path, run: Runner) -> None:
    (project / "x").write_text("0\n")
    run("start", "--title", "T")
    commit_all(project, "ai")


def _steps(project: Path, run: Runner, count: int) -> None:
    for i in range(1, count + 1):
        (project / "x").write_text(f"{i}\n")
        run("log", "--progress", f"step {i}")
        commit_all(project, f"c{i}")


def _refused_then_merged(project: Path, run: Runner, want: set[str]) -> None:
    """The next write is refused (exit 6) without claiming the kept copy holds every
    entry; its advice, pasted, keeps every entry of ``want``; writes go on."""
    before = _progress((project / SESSION).read_text()) | _progress((project / KEPT).read_text())
    refused = run("log", "--progress", "refused", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "holds every entry" not in refused.stderr, refused.stderr
    assert "merge-kept" in refused.stderr
    # resume says the same, and names no cp that would drop entries
    warned = run("resume").stdout
    assert "merge-kept" in warned and "cp " not in warned, warned
    _paste(project, refused.stderr, "ai-protocols merge-kept")
    text = (project / SESSION).read_text()
    assert want <= _progress(text) and before <= _progress(text), (want, text)
    run("log", "--progress", "after")
    assert want | {"after"} <= _progress((project / SESSION).read_text())
    assert "lacks" not in run("resume").stdout


def written_at_an_old_commit(project: Path, run: Runner) -> None:
    """A session with three committed steps; a log at the commit two back, then
    ``git checkout -f`` back: the file and its kept copy each hold entries the other
    lacks."""
    _start(project, run)
    _steps(project, run, 3)
    git(project, "checkout", "-q", "HEAD~2")
    run("log", "--progress", "testing old")
    git(project, "checkout", "-q", "-f", "-")


def test_a_write_at_an_old_commit_then_back(project: Path, run: Runner) -> None:
    """f8: a log at an older commit, then ``git checkout -f`` back: neither holds all."""
    written_at_an_old_commit(project, run)
    _refused_then_merged(project, run, {"step 1", "step 2", "step 3", "testing old"})


def test_a_write_during_a_rebase_then_abort(project: Path, run: Runner) -> None:
    """f9: a log during a stopped rebase, then ``git rebase --abort``."""
    git(project, "checkout", "-q", "-b", "main")
    (project / "x").write_text("a\n")
    run("start", "--title", "RB")
    commit_all(project, "ai")
    git(project, "checkout", "-q", "-b", "feat")
    (project / "x").write_text("feat\n")
    commit_all(project, "feat")
    run("log", "--progress", "on feat")
    commit_all(project, "log feat")
    git(project, "checkout", "-q", "main")
    (project / "x").write_text("main\n")
    commit_all(project, "main")
    git(project, "checkout", "-q", "feat")
    assert subprocess.run(["git", "rebase", "main"], cwd=project, capture_output=True,
                          env={**os.environ, **GIT_ENV}).returncode != 0
    warning = run("log", "--progress", "during rebase").stderr
    assert "git rebase --abort" in warning and "merge-kept" in warning, warning
    git(project, "rebase", "--abort")  # (not as advised: the file's changes are put back)
    _refused_then_merged(project, run, {"on feat", "during rebase"})


def test_the_bisect_advice_pasted_keeps_the_committed_entries(project: Path,
                                                              run: Runner) -> None:
    """f1: the bisect advice, every command pasted in order, keeps the entries committed
    on the branch after the bisect's commit and the one logged during the bisect."""
    _start(project, run)
    _steps(project, run, 5)
    git(project, "bisect", "start", "HEAD", "HEAD~4")
    warning = run("log", "--progress", "bisecting").stderr
    assert "a git bisect is under way" in warning, warning
    _paste(project, warning, "git checkout")
    for step in ("good", "bad", "reset"):
        subprocess.run(["git", "bisect", step], cwd=project, capture_output=True, check=True,
                       env={**os.environ, **GIT_ENV})
    _paste(project, warning, "ai-protocols merge-kept")
    text = (project / SESSION).read_text()
    want = {f"step {i}" for i in range(1, 6)} | {"bisecting"}
    assert want <= _progress(text), text
    assert not [line for line in git(project, "diff", SESSION).splitlines()
                if line.startswith("-- ")]
    run("log", "--progress", "after")
    assert "Warning" not in run("resume").stdout


def _diverged(project: Path, run: Runner) -> None:
    git(project, "checkout", "-q", "-b", "main")
    (project / "f").write_text("a\n")
    run("start", "--title", "T")
    commit_all(project, "start")
    git(project, "checkout", "-q", "-b", "side")
    (project / "f").write_text("side\n")
    commit_all(project, "side")
    run("log", "--progress", "on side")
    commit_all(project, "side log")
    git(project, "checkout", "-q", "main")
    (project / "f").write_text("main\n")
    commit_all(project, "main")
    run("log", "--progress", "on main")
    commit_all(project, "main log")


@pytest.mark.parametrize("how", ["rebase", "merge", "cherry-pick", "am", "revert"])
def test_every_operation_aborted_loses_no_entry(project: Path, run: Runner, how: str,
                                                 tmp_path: Path) -> None:
    """A log while each operation is stopped, then its ``--abort``: the warning's
    advice for that case (merge-kept), pasted, keeps the entries of both sides."""
    _diverged(project, run)
    if how == "rebase":
        git(project, "checkout", "-q", "side")
        stop = ["rebase", "main"]
    elif how == "merge":
        stop = ["merge", "side"]
    elif how == "cherry-pick":
        stop = ["cherry-pick", "side~1"]
    elif how == "revert":
        (project / "f").write_text("main 2\n")
        commit_all(project, "main 2")
        stop = ["revert", "--no-edit", "HEAD~2"]
    else:
        patch = tmp_path / "p.patch"
        patch.write_text(git(project, "format-patch", "-1", "side~1", "--stdout") + "\n")
        stop = ["am", "-3", str(patch)]
    env = {**os.environ, **GIT_ENV, "GIT_EDITOR": "true"}
    assert subprocess.run(["git", *stop], cwd=project, capture_output=True,
                          env=env).returncode != 0
    here = _progress((project / SESSION).read_text())
    warning = run("log", "--progress", f"during {how}").stderr
    assert f"'git {how} --abort'" in warning, warning
    _paste(project, warning, "git checkout")
    subprocess.run(["git", how, "--abort"], cwd=project, check=True, capture_output=True,
                   env=env)
    _paste(project, warning, "ai-protocols merge-kept")
    text = (project / SESSION).read_text()
    assert here | {f"during {how}"} <= _progress(text), text
    run("log", "--progress", "after")


def test_a_kept_copy_holding_every_entry_is_still_advised_as_cp(project: Path,
                                                                 run: Runner) -> None:
    """When the kept copy does hold every entry (the file put back, nothing written into
    it), ``cp`` stays the advice, and it is true."""
    _start(project, run)
    run("log", "--progress", "since the commit")
    git(project, "checkout", "-q", "--", SESSION)
    refused = run("log", "--progress", "more", check=False)
    assert refused.returncode == 6
    assert "holds every entry" in refused.stderr, refused.stderr
    _paste(project, refused.stderr, "cp ")
    assert "since the commit" in (project / SESSION).read_text()
    run("log", "--progress", "more")


def test_merge_kept_with_nothing_to_merge(project: Path, run: Runner) -> None:
    _start(project, run)
    said = run("merge-kept")
    assert "Nothing to merge" in said.stderr
    assert said.stdout.strip() == str(project / SESSION)


# -- the merge itself, on arbitrary entries -------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                max_size=30).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(common=st.lists(_TEXT, max_size=4, unique=True),
       old_only=st.lists(_TEXT, max_size=4, unique=True),
       new_only=st.lists(_TEXT, max_size=4, unique=True),
       free=st.one_of(st.none(), _TEXT))
def test_merge_diverged_keeps_every_entry_of_both(common: list[str], old_only: list[str],
                                                   new_only: list[str],
                                                   free: str | None) -> None:
    """Whatever the entries' texts, the merge of the two versions holds every entry of
    both, and a person's free line one side holds."""
    from ai_protocols.session.merge import merge_diverged_bytes

    old_only = [t for t in old_only if t not in common]
    new_only = [t for t in new_only if t not in common and t not in old_only]

    def version(texts: list[str], minute: int, extra: str | None) -> bytes:
        items = "".join(f"- [ ] [2026-11-30 Mon 10:{minute + i:02d}] {t}\n"
                        for i, t in enumerate(texts))
        note = f"{extra}\n" if extra and not extra.startswith(("*", ":", "-", "#")) else ""
        return (
            "#+TITLE: Session: T\n\n* Session: T\n:PROPERTIES:\n:STARTED:  "
            "[2026-11-30 Mon 10:00]\n"
            f":UPDATED:  [2026-11-30 Mon 10:{minute + 9:02d}]\n:STATUS:   active\n:END:\n"
            "** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n:END:\n"
            f"{items}{note}** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n"
        ).encode()

    old = version(common + old_only, 10, free)
    new = version(common + new_only, 30, None)
    result = merge_diverged_bytes(old, new)
    assert result is not None and not result.conflicts
    text = result.data.decode("utf-8")
    assert set(common + old_only + new_only) <= _entries(text), text
    if free and not free.startswith(("*", ":", "-", "#")):
        assert free in text


# -- every advised command, pasted from a hostile folder, runs nothing else ------------------

_HOSTILE = st.text(st.sampled_from(list("ab é'\"$()`;&|<>*?!~{}[]#\\\t\n\x1b-")), min_size=1,
                   max_size=12).filter(lambda n: n not in (".", "..") and "/" not in n)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=_HOSTILE)
@example(name="it's $(touch PWNED) dir")
@example(name="`touch PWNED`\n$'x'")
def test_every_advice_pasted_from_a_hostile_folder(tmp_path: Path, name: str) -> None:
    """f4: exit 6's ``cp`` (and merge-kept, and the bisect warning's commands) are
    quoted with the one quoter (``lean.shell_quote``): each, as printed, pasted into
    bash, does what it says and runs nothing from the folder's name."""
    from ai_protocols.lean import shell_quote

    base = tmp_path / f"h{abs(hash(name))}"
    root = base / name
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    env = {**os.environ, **GIT_ENV, "PATH": f"{CLI.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("AI_AGENT_ID", None)

    def paste(command: str, said: str) -> None:
        assert command in said, (command, said)
        # (git's commands from the work tree, as git needs; the others from outside it)
        done = subprocess.run(["bash", "-c", command], cwd=root if command.startswith("git")
                              else base, capture_output=True, text=True, env=env)
        assert done.returncode == 0, (command, done.stderr)
        assert not list(tmp_path.rglob("PWNED")), command

    path, kept = str(root / SESSION), str(root / KEPT)
    _start(root, run)
    run("log", "--progress", "since the commit")
    git(root, "checkout", "-q", "--", SESSION)
    refused = run("log", "--progress", "more", check=False)
    assert refused.returncode == 6
    paste(f"cp {shell_quote(kept)} {shell_quote(path)}", refused.stderr)
    assert "since the commit" in (root / SESSION).read_text()
    commit_all(root, "one")
    git(root, "checkout", "-q", "HEAD~1")
    run("log", "--progress", "at the old commit")
    git(root, "checkout", "-q", "-f", "-")
    refused = run("log", "--progress", "more", check=False)
    assert refused.returncode == 6
    paste(f"ai-protocols merge-kept {shell_quote(path)}", refused.stderr)
    text = (root / SESSION).read_text()
    assert "at the old commit" in text and "since the commit" in text
    commit_all(root, "two")
    (root / "x").write_text("later\n")
    commit_all(root, "three")
    git(root, "bisect", "start", "HEAD", "HEAD~2")
    warning = run("log", "--progress", "bisecting").stderr
    paste(f"git checkout -- {shell_quote(path)}", warning)
    subprocess.run(["git", "bisect", "reset"], cwd=root, check=True, capture_output=True)
    paste(f"ai-protocols merge-kept {shell_quote(path)}", warning)
    assert "bisecting" in (root / SESSION).read_text()


def test_the_rebase_advice_from_a_folder_not_utf8(tmp_path: Path) -> None:
    """f5 (fixed by the lead: transaction.py quotes with ``lean.shell_quote``): a folder
    whose name holds a byte that is not UTF-8; the rebase warning's ``git add``, as
    printed, pasted into bash, stages the session file, and the rebase goes on."""
    from ai_protocols.lean import shell_quote

    root = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/dir \xff x"))
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    git(root, "checkout", "-q", "-b", "main")
    (root / "x").write_text("a\n")
    run("start", "--title", "RB")
    commit_all(root, "ai")
    git(root, "checkout", "-q", "-b", "feat")
    (root / "x").write_text("feat\n")
    commit_all(root, "feat")
    git(root, "checkout", "-q", "main")
    (root / "x").write_text("main\n")
    commit_all(root, "main")
    git(root, "checkout", "-q", "feat")
    env = {**os.environ, **GIT_ENV, "GIT_EDITOR": "true"}
    assert subprocess.run(["git", "rebase", "main"], cwd=root, capture_output=True,
                          env=env).returncode != 0
    warning = run("log", "--progress", "during rebase").stderr
    command = f"git add {shell_quote(str(root / SESSION))}"
    assert f"'{command}'" in warning, warning
    assert subprocess.run(["bash", "-c", command], cwd=root, env=env).returncode == 0
    (root / "x").write_text("resolved\n")
    git(root, "add", "x")
    assert subprocess.run(["git", "rebase", "--continue"], cwd=root, capture_output=True,
                          env=env).returncode == 0
    assert "during rebase" in git(root, "show", f"HEAD:{SESSION}")


# -- git stash with a committed session file (f2) ---------------------------------------------


def _stashed_then_logged(project: Path, run: Runner) -> str:
    """f2: a committed session file, entries and a checkpoint logged, ``git stash -u``,
    then a write into the older version git put back; the write's warning."""
    (project / "a").write_text("a\n")
    run("start", "--title", "SC")
    commit_all(project, "s")
    run("log", "--progress", "p1")
    (project / "a").write_text("a\nw\n")
    (project / "u").write_text("u\n")
    run("checkpoint", "--note", "c")
    run("log", "--progress", "p2")
    git(project, "stash", "-u", "-q")
    return run("log", "--progress", "p3").stderr


def test_a_write_after_a_stash_says_where_the_newer_one_is_and_the_way_back(
        project: Path, run: Runner) -> None:
    """The write's warning says the newer version is only in the stash (not on a branch
    or tag); resume, status, start and show keep saying so after it (they went silent:
    the file was the kept copy again); the commands they give, pasted, bring every
    entry and the checkpoint record back."""
    from ai_protocols.lean import shell_quote

    warning = _stashed_then_logged(project, run)
    assert "only in the stash" in warning and "branch or tag" not in warning, warning
    path = str(project / SESSION)
    commit = f"git commit -m 'Session' -- {shell_quote(path)}"
    assert commit in warning, warning
    for command in (("resume",), ("status",), ("start",), ("show",)):
        said = run(*command)
        out = said.stdout + said.stderr
        assert "only in the stash" in out and "git stash pop" in out, (command, out)
        assert f"git commit -m 'Session' -- {shell_quote(SESSION)}" in out, (command, out)
    env = {**os.environ, **GIT_ENV}
    for command in (commit, "git stash pop"):
        done = subprocess.run(["bash", "-c", command], cwd=project, capture_output=True,
                              text=True, env=env)
        assert done.returncode == 0, (command, done.stderr)
    text = (project / SESSION).read_text()
    assert {"p1", "p2", "p3"} <= _progress(text), text
    assert "checkpoint: 1 " in text
    assert git(project, "stash", "list") == ""
    assert "stash" not in run("resume").stdout
    run("log", "--progress", "p4")


def test_a_stash_popped_the_other_way_round_is_merged_not_copied(project: Path,
                                                                 run: Runner) -> None:
    """f2, second half: git's version put back and the stash popped over it: the file
    holds the stash's entries and the checkpoint record, the kept copy the write made
    after the stash; the exit-6 advice, pasted, keeps both (the cp advised before lost
    p1, p2 and the checkpoint record, in no ref any more)."""
    _stashed_then_logged(project, run)
    git(project, "checkout", "--", SESSION)
    (project / "u").unlink(missing_ok=True)
    git(project, "stash", "pop", "-q")
    refused = run("log", "--progress", "p4", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "cp " not in refused.stderr
    _paste(project, refused.stderr, "ai-protocols merge-kept")
    text = (project / SESSION).read_text()
    assert {"p1", "p2", "p3"} <= _progress(text), text
    assert "checkpoint: 1 " in text
    run("log", "--progress", "p4")


def _stashed_untracked(project: Path, run: Runner) -> None:
    """f3: a session never committed (``.ai/`` untracked), ``git stash -u``, no checkpoint."""
    (project / "x").write_text("a\n")
    git(project, "add", "x")
    git(project, "commit", "-q", "-m", "a")
    run("start", "--title", "ST")
    run("log", "--progress", "p1")
    (project / "u.txt").write_text("untracked\n")
    (project / "x").write_text("a\nmod\n")
    git(project, "stash", "-u", "-q")
    assert not (project / SESSION).exists()


def _popped(project: Path, run: Runner) -> None:
    assert "p1" in _progress((project / SESSION).read_text())
    assert (project / "u.txt").read_text() == "untracked\n"
    assert (project / "x").read_text() == "a\nmod\n"
    assert git(project, "stash", "list") == ""
    run("log", "--progress", "p2")


def test_a_stashed_session_names_git_stash_pop_first(repo: Path, run: Runner) -> None:
    """f3: exit 3 names ``git stash pop`` first, as a command that works pasted (the
    newest stash entry holds the file); pasted, the stash comes back whole."""
    from ai_protocols.lean import shell_quote

    _stashed_untracked(repo, run)
    refused = run("log", "--progress", "p2", check=False)
    assert refused.returncode == 3, refused.stderr
    pop = f"git -C {shell_quote(str(repo))} stash pop"
    assert pop in refused.stderr, refused.stderr
    assert refused.stderr.index("stash pop") < refused.stderr.index("ai-protocols start")
    done = subprocess.run(["bash", "-c", pop], cwd="/", capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, done.stderr
    _popped(repo, run)


def test_start_after_a_stash_gives_the_commands_without_a_checkpoint(repo: Path,
                                                                     run: Runner) -> None:
    """f3: ``start`` brings the session file back from its kept copy (and sets ``.ai/``
    up again): ``git stash pop`` then refuses those files; ``start`` and ``resume`` give
    the commands that work, with no checkpoint recorded; pasted, the stash comes back."""
    _stashed_untracked(repo, run)
    started = run("start")
    for said in (started.stderr, run("resume").stdout):
        assert "here again" in said and "git stash pop" in said, said
    commands = re.search(r"back with: (.*) \(from ", started.stderr)
    assert commands, started.stderr
    done = subprocess.run(["bash", "-c", commands.group(1)], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, done.stderr
    _popped(repo, run)


def test_the_bare_repository_advice_is_quoted(tmp_path: Path) -> None:
    """The exit-13 advice in a bare repository (``git clone BARE DIR``) quotes the path
    with the one quoter: pasted with DIR named, it clones, and runs nothing else."""
    from ai_protocols.errors import NoProject
    from ai_protocols.lean import shell_quote

    bare = tmp_path / "it's $(touch PWNED) bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    said = str(NoProject(bare))
    command = f"git clone {shell_quote(str(bare))} DIR"
    assert command in said, said
    done = subprocess.run(["bash", "-c", command.replace(" DIR", " out")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").is_dir() and not list(tmp_path.rglob("PWNED"))
