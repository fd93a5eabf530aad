"""A fresh review of issue 14 (points 2, 3 and 5), eighteenth round: the advice for an
unmerged session file names a rebase's sides as the rebase has them (stage 2, "ours", is
the branch the commits are replayed onto; stage 3 the commit being replayed:
git-rebase(1)); another agent's advice for a removed per-agent file starts it as its own
agent; `resume` and `show` print in the order their --help says; `log --key-file` says
the path as typed; the advice to begin other work beside a paused session gives a fresh
id (the advised `AI_AGENT_ID=urgent` drew the tool's own reused-id warning)."""

from __future__ import annotations

from pathlib import Path

from gitkit import git

from conftest import Runner

SESSION = ".ai/session-context.org"


def _modify_delete(repo: Path, run: Runner, how: str) -> None:
    """A session file changed on branch topic and removed (not archived: a plain `git
    rm`) on main, then topic merged with or rebased onto main."""
    git(repo, "checkout", "-q", "-b", "main")
    run("start", "--title", "sides")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    git(repo, "checkout", "-q", "-b", "topic")
    run("log", "--progress", "on topic")
    git(repo, "commit", "-q", "-am", "topic")
    git(repo, "checkout", "-q", "main")
    git(repo, "rm", "-q", SESSION)
    git(repo, "commit", "-q", "-m", "removed on main")
    git(repo, "checkout", "-q", "topic")
    if how == "rebase":
        git(repo, "rebase", "main", check=False)
    else:
        git(repo, "merge", "main", check=False)


def test_the_advice_names_a_rebases_sides_as_the_rebase_has_them(repo: Path,
                                                                  run: Runner) -> None:
    _modify_delete(repo, run, "rebase")
    assert git(repo, "status", "--short", "--", SESSION).startswith("DU")
    done = run("log", "--progress", "after", check=False)
    assert done.returncode == 6, done.stderr
    assert ("the branch being rebased onto removed it, while the commit being replayed "
            "changed it") in done.stderr, done.stderr
    assert "this side" not in done.stderr and "the other side" not in done.stderr


def test_a_merges_sides_are_this_side_and_the_other(repo: Path, run: Runner) -> None:
    _modify_delete(repo, run, "merge")
    assert git(repo, "status", "--short", "--", SESSION).startswith("UD")
    done = run("log", "--progress", "after", check=False)
    assert done.returncode == 6, done.stderr
    assert "the other side removed it, while this side changed it" in done.stderr, done.stderr


def test_another_agents_advice_for_a_removed_file_starts_it_as_its_own_agent(
        repo: Path, run: Runner) -> None:
    """A paused per-agent session that `git clean` took: another agent's `recover` says
    to start it as its own agent (the caller's plain `start` began the caller's file, a
    fresh review found), and doing so brings it back, paused entry and all."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    run("init")
    run("start", "--title", "paused one", agent="pz.1796000000")
    run("log", "--progress", "keep me", agent="pz.1796000000")
    run("pause", "--no-checkpoint", "--note", "p", agent="pz.1796000000")
    git(repo, "clean", "-fdq")
    said = run("recover", "pz.1796000000", "--adopt", "--force", agent="o2.1796000002",
               check=False)
    assert "run 'AI_AGENT_ID=pz.1796000000 ai-protocols start' to bring it back" in \
        said.stderr, said.stderr
    command = said.stderr.split("run '", 1)[1].split("'", 1)[0]
    env_part, _, tail = command.partition(" ")
    name, _, value = env_part.partition("=")
    assert tail == "ai-protocols start"
    run("start", env={name: value})
    text = (repo / ".ai/session-context.d/pz.1796000000.org").read_text()
    assert "keep me" in text


#: Each part of `resume`'s and `show`'s output, as their --help names it, and the line
#: that opens it in the output.
_RESUME_PARTS = {"the objective": "Objective:", "the pause": "Paused at",
                 "the step in progress": "In progress:", "key files": "Key files",
                 "context to keep": "Context to keep:", "the summary": "Summary:",
                 "open next steps": "Next steps:", "open blockers": "Blockers:",
                 "decisions": "Decisions:", "discoveries": "Discoveries:"}
_SHOW_PARTS = {"objective": "Objective:", "current step": "Current step:",
               "key files": "Key files:", "context": "Context:", "the summary": "Summary:",
               "progress": "Progress:", "decisions": "Decisions:",
               "discoveries": "Discoveries:", "blockers": "Blockers:",
               "next steps": "Next steps:"}


def _order(text: str, parts: list[str]) -> list[str]:
    found = {part: text.find(part) for part in parts}
    assert all(at >= 0 for at in found.values()), found
    return sorted(parts, key=found.__getitem__)


def test_resume_and_show_print_in_the_order_their_help_says(repo: Path, run: Runner) -> None:
    """Their --help (and docs/cli.md, made from it) names the parts in the order they
    are printed (a fresh review found the help stale: it began with the summary)."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    (repo / "README").write_text("x\n")
    run("start", "--title", "T", "--objective", "Obj")
    run("log", "--progress", "p1", "--next", "n1", "--blocker", "b1", "--decision", "d1",
        "--rationale", "r1", "--discovery", "disc1", "--key-file", "README", "--context",
        "ctx1", "--current", "cur1", "--summary", "sum1")
    run("pause", "--no-checkpoint", "--note", "pn")
    for command, parts in (("resume", _RESUME_PARTS), ("show", _SHOW_PARTS)):
        told = " ".join(run(command, "--help").stdout.split())
        assert _order(told, list(parts)) == list(parts), (command, told)
        printed = run(command).stdout
        assert _order(printed, list(parts.values())) == list(parts.values()), printed


def test_log_says_a_key_files_path_as_it_is(repo: Path, run: Runner) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    run("start")
    said = run("log", "--key-file", "docs/a  b.txt").stdout
    assert "logged key-file: docs/a  b.txt\n" in said, said
    again = run("log", "--key-file", "docs/a  b.txt").stdout
    assert "key-file: docs/a  b.txt (listed already)" in again, again


def test_the_advice_beside_a_paused_session_gives_a_fresh_id_and_draws_no_warning(
        repo: Path, run: Runner) -> None:
    import subprocess

    from conftest import CLI, clean_env

    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    run("start", "--title", "first", agent="v.1796000000")
    run("pause", "--no-checkpoint", "--note", "n", agent="v.1796000000")
    refused = run("start", "--title", "Other", agent="v.1796000000", check=False)
    assert refused.returncode == 4
    assert "export AI_AGENT_ID=$(ai-protocols agent-id --runtime urgent)" in refused.stderr
    script = (f"export AI_AGENT_ID=$({CLI} agent-id --runtime urgent) && "
              f"{CLI} start --title Other && {CLI} log --progress 'on it'")
    done = subprocess.run(["sh", "-c", script], cwd=repo, env=clean_env(), text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and "Warning" not in done.stderr, done
    files = sorted(p.name for p in (repo / ".ai/session-context.d").glob("*.org"))
    assert len(files) == 2 and "v.1796000000.org" in files, files


def test_a_restore_in_place_says_what_a_sparse_checkout_leaves_out(project: Path,
                                                                   run: Runner) -> None:
    """A path outside a sparse checkout's definition that the checkpoint holds in
    another version than HEAD's: the restore in place leaves it as the index has it
    (never checks it out, docs/checkpoints.md), and says so with that reason (it said
    "it changed after the restore checked the work tree ... run the restore again",
    which gave the same again)."""
    for name in ("in", "out"):
        (project / name).mkdir()
    (project / "in" / "a.txt").write_text("a\n")
    (project / "out" / "x.txt").write_text("o1\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    git(project, "sparse-checkout", "set", "--cone", "in")
    (project / "in" / "a.txt").write_text("change\n")
    run("checkpoint", "--note", "one")
    git(project, "sparse-checkout", "disable")
    (project / "out" / "x.txt").write_text("o2\n")
    git(project, "commit", "-qam", "o2")
    git(project, "sparse-checkout", "set", "--cone", "in")
    done = run("checkpoint", "restore", "1", "--force")
    assert not (project / "out" / "x.txt").exists()
    assert (project / "in" / "a.txt").read_text() == "change\n"
    assert "Left 1 path outside the sparse checkout's definition as your index has it" \
        in done.stderr, done.stderr
    assert "  out/x.txt\n" in done.stderr and "changed after the restore" not in done.stderr
    assert "taken on commit" in done.stderr and "but for 1 path named below" in done.stderr
