"""A stale Emacs save of the task board loses nothing, gives no claim to another agent,
and its refusal's commands work when pasted (issue 15, twenty-first round;
docs/decisions.md, "Issue 15, twenty-first round (the board's stale saves: the version
a buffer was opened on)").

A fresh reviewer found nine faults on one path: a person saves a buffer of
``.ai/tasks.org`` opened before an agent's write and/or a ``git pull``:

1. an agent's task or edit written before the pull (committed, or kept over
   ``--autostash``) was deleted by the merge back (it took the kept copy as the base);
2. a buffer opened on the person's own committed save, saved after a pull that brought
   a claim, was no stale save at all: the claim dropped, silently, another agent's
   claim let through;
3. a retyped or deleted ``:ID:`` in a buffer opened before a pull dropped the claim the
   pull brought, silently;
4. the same with no pull doubled the task, claimed by two agents;
5. to 8. the refusal's commands named a commit without a board, merged on the kept
   copy (deleting the agent's task), counted one task twice, left a needless hunk,
   called a conflict in the locks section "a task both changed", and the hook's
   refusal said the next write merges what every write refuses;
9. a deleted ``:ID:`` line was "1 task added ... with nothing typed in it".

Two real clones of a bare repository, real ``git pull`` (merge, rebase, autostash,
fast-forward), the installed console script and hook; saves made as Emacs makes them
(renamed into place, or written in place). The old code fails every test here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from gitkit import pasted
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_stalefix_nineteenth import _commit, _save, two_clones

from conftest import Runner

_SAID = "settle the conflict markers in the board: "
_NOTE = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=16).map(lambda s: f"Ann typed {s}")
_ONE = settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _listed(run: Runner, agent: str = "pz") -> tuple[dict[str, dict[str, object]], str]:
    """``task list --all --json`` by title, and the stderr of it and of ``locks``; the
    locks are listed under ``"lock PATH"``."""
    tasks = run("task", "list", "--all", "--json", agent=agent)
    locks = run("locks", "--json", agent=agent)
    found: dict[str, dict[str, object]] = {}
    for row in json.loads(tasks.stdout):
        assert row["title"] not in found, ("a task twice", row["title"], tasks.stdout)
        found[row["title"]] = row
    for row in json.loads(locks.stdout):
        found[f"lock {row['path'].rstrip('/')}"] = row
    return found, tasks.stderr + locks.stderr


def _headlines(text: str, title: str) -> int:
    """How many task headlines of ``text`` have the title ``title``."""
    return len(re.findall(rf"^\* (?:TODO|NEXT|DOING|REVIEW|DONE|CANCELLED) "
                          rf"{re.escape(title)}(?: +:[^\n]*:)?$", text, re.M))


def _owner(text: str, title: str) -> str | None:
    """The ``:OWNER:`` of the one task titled ``title`` on the board ``text``."""
    found = re.search(rf"^\* \w+ {re.escape(title)}(?: +:[^\n]*:)?\n((?:[^*\n].*\n|\n)*)",
                      text, re.M)
    assert found, (title, text)
    owner = re.search(r"^:OWNER: +(\S+)$", found.group(1), re.M)
    return owner.group(1) if owner else None


def _pull(clone: Path, how: str) -> None:
    """``git pull`` as ``how`` says: ``merge`` (``--no-rebase``), ``rebase``,
    ``autostash-merge``, ``autostash-rebase`` (the board's changes not committed)."""
    rebase = "--rebase" if how.endswith("rebase") else "--no-rebase"
    extra = ["--autostash"] if how.startswith("autostash") else []
    git(clone, "pull", "-q", rebase, *extra, "origin", "main")


# 1. What the tool wrote after the buffer was opened, and what git brought, survive.

_WRITES = [("add", "merge", False, True), ("add", "rebase", True, False),
           ("add", "autostash-rebase", False, True), ("add", "autostash-merge", True, True),
           ("edit", "merge", True, False), ("edit", "rebase", False, True),
           ("edit", "autostash-rebase", True, True), ("edit", "autostash-merge", False, False)]


@pytest.mark.parametrize(("write", "pull", "fresh", "typed"), _WRITES,
                         ids=["-".join((w, p, "fresh" if f else "wrote", "typed" if t else
                                        "nothing")) for w, p, f, t in _WRITES])
@_ONE
@given(note=_NOTE)
def test_an_agents_write_before_a_pull_survives_a_stale_save(
        tmp_path_factory, write: str, pull: str, fresh: bool, typed: bool, note: str) -> None:
    """Buffer opened; the agent here adds a task, or edits one (title, tags, working
    set); committed (or not, then ``--autostash``); a pull brings the other clone's task,
    claim and lock; the buffer is saved: before the next write every reader shows the
    agent's write and what the pull brought, another agent's claim of the pulled claim
    is refused naming its holder, and after the write the board holds all, the typed
    line too."""
    a, b, run_a, run_b = two_clones(tmp_path_factory.mktemp("w").resolve(), fresh)
    buffer = (b / BOARD).read_bytes()
    one = re.search(r"^:ID: +(\S+)$", buffer.decode(), re.M).group(1)
    if write == "add":
        run_b("task", "add", "Added by agent B", agent="pb")
        mine = "Added by agent B"
    else:
        run_b("task", "edit", one, "--title", "Task one by B", "--tag", "btag",
              "--working-set", "src/b", agent="pb")
        mine = "Task one by B"
    if not pull.startswith("autostash"):
        _commit(b, "b's agent")
    run_a("task", "add", "From A", agent="pa")
    run_a("task", "claim", one, agent="ca")
    run_a("lock", "aarea", "--reason", "a's work", agent="ca")
    _commit(a, "a")
    git(a, "push", "-q", "origin", "HEAD:main")
    _pull(b, pull)
    saved = buffer + (f"* TODO {note}\n".encode() if typed else b"")
    _save(b, saved, "rename" if typed else "inplace")
    shown, said = _listed(run_b)
    titled = "Task one by B" if write == "edit" else "Task one"
    assert {mine, "From A", titled, "lock aarea"} <= set(shown), (sorted(shown), said)
    assert shown[titled]["owner"] == "ca", (shown[titled], said)
    if write == "edit":
        assert shown[mine]["tags"] == ["btag"] and shown[mine]["working_set"] == ["src/b"]
    assert (note in shown) == typed, sorted(shown)
    assert "Added by agent B" in said or write == "edit", said
    refused = run_b("task", "claim", one, agent="cz", check=False)
    assert refused.returncode == 21 and "ca" in refused.stderr, refused.stderr
    written = run_b("lock", "next", "--reason", "next write", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    for title in (mine, "From A", titled):
        assert _headlines(text, title) == 1, (title, text, written.stderr)
    assert _owner(text, titled) == "ca" and re.search(r"^\*\* aarea/?$", text, re.M), text
    assert (note in text) == typed, text
    said = "with what was typed in it" if typed else "with nothing typed in it"
    assert f"{said}; merged back" in written.stderr, written.stderr


# 2. A buffer opened on the person's own committed save is stale after a pull.

@pytest.mark.parametrize("typed", [True, False], ids=["typed", "nothing-typed"])
@pytest.mark.parametrize("fresh", [False, True], ids=["b-wrote", "fresh-clone"])
@_ONE
@given(note=_NOTE)
def test_a_buffer_saved_and_committed_then_saved_after_a_pull_keeps_the_pulled_claim(
        tmp_path_factory, fresh: bool, typed: bool, note: str) -> None:
    """The person adds a checkbox, saves and commits it (the buffer holds those very
    bytes); a fast-forward pull brings another agent's claim; the person types on (or
    saves the same bytes again): the readers show the claim, another agent's claim is
    refused naming its holder (and says again what the board lacks), and the next
    write that stands writes the claim back."""
    a, b, run_a, run_b = two_clones(tmp_path_factory.mktemp("c").resolve(), fresh)
    one = re.search(r"^:ID: +(\S+)$", (b / BOARD).read_text(), re.M).group(1)
    buffer = (b / BOARD).read_bytes() + b"- [ ] write tests\n"
    _save(b, buffer, "rename")
    _commit(b, "ann: a checklist")
    git(b, "push", "-q", "origin", "HEAD:main")
    git(a, "pull", "-q", "--ff-only", "origin", "main")
    run_a("task", "claim", one, agent="ca")
    _commit(a, "a: claim")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    _save(b, buffer + (f"- [ ] {note}\n".encode() if typed else b""), "inplace")
    shown, said = _listed(run_b)
    assert shown["Task one"]["owner"] == "ca", (shown["Task one"], said)
    assert "1 task changed ('Task one')" in said, said
    refused = run_b("task", "claim", one, agent="cz", check=False)
    assert refused.returncode == 21 and "claimed by ca" in refused.stderr, refused.stderr
    assert "lacks what git brought" in refused.stderr, refused.stderr  # (said again)
    assert _owner((b / BOARD).read_text(), "Task one") is None  # (the refusal wrote nothing)
    run_b("task", "add", "Next", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    assert _owner(text, "Task one") == "ca" and "- [ ] write tests\n" in text, text
    assert (note in text) == typed, text


# 3. and 4. A retyped or deleted :ID: is the same task, by the version it was opened on.

_IDS = st.from_regex(r"[a-z][a-z0-9]{0,6}-[0-9]{1,3}", fullmatch=True)


@pytest.mark.parametrize("how", ["retyped", "deleted", "swapped"])
@pytest.mark.parametrize("pull", [True, False], ids=["after-a-pull", "no-pull"])
@_ONE
@given(typed_id=_IDS)
def test_a_retyped_or_deleted_id_in_a_stale_buffer_keeps_the_claim_on_one_task(
        tmp_path_factory, how: str, pull: bool, typed_id: str) -> None:
    """A buffer opened before another agent's claim (pulled, or written here with no
    pull) in which the person retypes the task's ``:ID:``, deletes the line, or swaps
    it with another task's: one task, claimed by that agent, in the readers and after
    the next write (the other task unclaimed); a third agent's claim is refused naming
    the holder; the warning says a task changed, typed."""
    a, b, run_a, run_b = two_clones(tmp_path_factory.mktemp("i").resolve(), False)
    text = (b / BOARD).read_text(encoding="utf-8")
    one, other = re.findall(r"^:ID: +(\S+)$", text, re.M)
    if pull:
        run_a("task", "claim", one, agent="ca")
        _commit(a, "a: claim")
        git(a, "push", "-q", "origin", "HEAD:main")
        git(b, "pull", "-q", "--no-rebase", "origin", "main")
    else:
        run_b("task", "claim", one, agent="ca")
    line = f":ID:       {one}\n"
    if how == "swapped":
        typed_id = other
        saved = text.replace(one, "SWAP").replace(other, one).replace("SWAP", other)
    else:
        saved = text.replace(line, f":ID:       {typed_id}\n" if how == "retyped" else "")
    _save(b, saved.encode(), "rename")
    shown, said = _listed(run_b)
    assert shown["Task one"]["owner"] == "ca", (shown, said)
    assert shown["B own task"]["owner"] is None, (shown, said)
    assert "1 task changed ('Task one')" in said and "with what was typed in it" in said
    assert "task added" not in said, said
    key = typed_id if how != "deleted" else shown["Task one"]["id"]
    refused = run_b("task", "claim", str(key), agent="cz", check=False)
    assert refused.returncode == 21 and "claimed by ca" in refused.stderr, refused.stderr
    run_b("task", "add", "Next", agent="pb")
    after = (b / BOARD).read_text(encoding="utf-8")
    assert _headlines(after, "Task one") == 1 and _owner(after, "Task one") == "ca", after
    assert _owner(after, "B own task") is None, after
    assert how == "deleted" or re.search(
        rf"^\* DOING Task one\n:PROPERTIES:\n:ID: +{re.escape(typed_id)}$", after, re.M), after


# 5. to 8. The refusal (exit 6): what it names, and commands that work when pasted.

def _refused(run: Runner, clone: Path) -> tuple[str, str]:
    """The next write refused (exit 6, nothing written): its message on one line, and
    the commands it gives."""
    before = (clone / BOARD).read_bytes()
    done = run("task", "add", "Refused", agent="pb", check=False)
    assert done.returncode == 6 and (clone / BOARD).read_bytes() == before, done.stderr
    said = " ".join(done.stderr.split())
    return said, said.split(_SAID, 1)[1].split("; nothing was written")[0].strip()


def _follow(clone: Path, commands: str) -> str:
    """The refusal's commands pasted from ``/`` (exit 1: conflicts left, as git's merge
    drivers say); the board after."""
    merged = pasted(Path("/"), commands)
    assert merged.returncode == 1, (commands, merged.stdout, merged.stderr)
    return (clone / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("fresh", [False, True], ids=["b-wrote", "fresh-clone"])
def test_the_refusals_commands_keep_the_agents_task_and_work_when_pasted(
        tmp_path: Path, fresh: bool) -> None:
    """The agent here adds a task and commits it, a pull brings another clone's retitle
    of Task one, and a buffer opened before both retitles it too: the refusal names what
    the board lacks (the agent's task too), and its commands, pasted, leave one hunk
    (the headline) and keep the agent's task and the pulled claim. In a fresh clone the
    board's first write here came before any commit held the board (the reviewer's
    f5.sh: the commands named a commit without it)."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), fresh)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    one = re.search(r"^:ID: +(\S+)$", buffer, re.M).group(1)
    run_b("task", "add", "Added by agent B", agent="pb")
    _commit(b, "b's agent")
    run_a("task", "edit", one, "--title", "A's title", agent="pa")
    run_a("task", "claim", one, agent="ca")
    _commit(a, "a")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("* TODO Task one\n", "* TODO Ann's title\n").encode(), "rename")
    said, commands = _refused(run_b, b)
    assert "1 task added ('Added by agent B')" in said, said
    assert """1 task both changed ("Ann's title")""" in said, said
    assert "git show" not in commands, commands
    text = _follow(b, commands)
    assert text.count("<<<<<<<") == 1 and "Ann's title" in text and "A's title" in text, text
    assert _headlines(text, "Added by agent B") == 1, text
    assert re.search(r"^:OWNER: +ca$", text, re.M), text


def test_a_refusal_over_the_tools_own_writes_names_one_task_once(tmp_path: Path) -> None:
    """No pull: a buffer opened before the agent adds a task and retitles another, in
    which the person retitles that task too: the refusal names the one task both changed
    once, and its commands leave the headline's hunk alone (none over the log line the
    agent's retitle appended), the agent's task kept (the reviewer's f7.sh)."""
    repo = tmp_path.resolve() / "p"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    run = Runner(repo)
    one = run("task", "add", "Task one", agent="pb").stdout.strip()
    buffer = (repo / BOARD).read_text(encoding="utf-8")
    run("task", "add", "Added by agent B", agent="pb")
    run("task", "edit", one, "--title", "Agent's title", agent="pb")
    _save(repo, buffer.replace("* TODO Task one\n", "* TODO Ann's title\n").encode(),
          "inplace")
    said, commands = _refused(run, repo)
    assert """1 task both changed ("Ann's title") to a person""" in said, said
    assert "1 task added ('Added by agent B')" in said, said
    text = _follow(repo, commands)
    assert text.count("<<<<<<<") == 1, text
    hunk = text[text.index("<<<<<<<"):text.index(">>>>>>>")]
    assert "edited by" not in hunk and "Ann's title" in hunk, hunk
    assert _headlines(text, "Added by agent B") == 1, text


def test_a_conflict_in_the_locks_section_is_said_as_such_by_every_reader(
        tmp_path: Path) -> None:
    """A pull brings another clone's change of a lock's reason; a buffer opened before
    it changes the same line: the refusal says the locks section (not "a task both
    changed"), ``locks`` lists the lock, the hook refuses an edit in it saying that the
    merge back is left to a person (not that the next write merges it), and the
    commands, pasted, work (the reviewer's f8.sh)."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), False)
    run_a("lock", "docs", "--reason", "rewriting docs", agent="ca")
    _commit(a, "a: lock")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    buffer = (b / BOARD).read_text(encoding="utf-8")
    text = (a / BOARD).read_text(encoding="utf-8")
    (a / BOARD).write_text(text.replace("rewriting docs\n", "rewriting docs, ask Ann\n"))
    _commit(a, "a: the reason")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("rewriting docs\n", "rewriting docs (Bob)\n").encode(), "rename")
    listed = run_b("locks", agent="pb")
    assert "docs  locked by ca" in listed.stdout, listed.stdout
    assert "the locks section, which both changed" in listed.stderr, listed.stderr
    assert "a task both changed" not in listed.stderr, listed.stderr
    (b / "docs").mkdir()
    hook = write_hook(b, b / "docs" / "a.md", "pb")
    assert hook.returncode == 2 and "left to a person" in hook.stderr, hook.stderr
    assert "merges it back" not in hook.stderr, hook.stderr
    said, commands = _refused(run_b, b)
    assert "the locks section, which both changed" in said, said
    after = _follow(b, commands)
    assert "<<<<<<<" in after and "ask Ann" in after and "(Bob)" in after, after


# 9. A deleted :ID: line is a change typed, of a task, not a task added.

def test_a_deleted_id_line_is_said_as_a_task_changed_with_what_was_typed(
        tmp_path: Path) -> None:
    repo = tmp_path.resolve() / "p"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    run = Runner(repo)
    one = run("task", "add", "Task one", agent="pa").stdout.strip()
    _commit(repo, "board")
    buffer = (repo / BOARD).read_text(encoding="utf-8")
    run("task", "claim", one, agent="cb")
    _save(repo, buffer.replace(f":ID:       {one}\n", "").encode(), "rename")
    shown, said = _listed(run)
    assert shown["Task one"]["owner"] == "cb" and shown["Task one"]["id"] == one, shown
    assert "1 task changed ('Task one')" in said and "with what was typed in it" in said
    assert "added" not in said.split("lacks", 1)[1].split("(", 1)[0], said
    written = run("task", "add", "Next", agent="pa")
    assert "1 task changed ('Task one')" in written.stderr, written.stderr
    text = (repo / BOARD).read_text(encoding="utf-8")
    assert text.count(f":ID:       {one}\n") == 1 and _owner(text, "Task one") == "cb"
