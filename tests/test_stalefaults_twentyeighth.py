"""Three data faults of stale saves and the merge driver that the twenty-eighth round's
review found (issue 14; docs/decisions.md, "Twenty-eighth round: a removal by git revert
under a stale save", "two clones' stale saves over one removal", "a tick under another
clone's reword").

WRONG 2: ``b`` reverts ``a``'s last commit (``git revert``: the file goes back to the
version before it, an OLDER write record); in ``a`` a person's buffer opened before the
pull is saved after it, the agent's entry written between: the next write must keep the
removal, the agent's entry and the typed line. WRONG 3: two clones each commit such a
save, and the driver merges the two commits: the removal holds and no write refuses with
a false cause ("a git reset or checkout") or advises a ``cp`` that drops the typed
lines. WRONG 4: a tick by the agent under another clone's reword, then a stale save:
nothing lost (the tick, the reword, the typed line).

Real clones of a bare origin, real git and its merge driver, real Emacs, the installed
console script; both layouts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push
from test_pulljoin_twentysixth import _removed_in_b
from test_removal_twentysixth import PULL
from test_sessmsg_twentyfourth import _cli
from test_stalesave_twentythird import emacs_edit, type_note

NOTE = "Typed by the person."

#: How ``a`` pulls while the buffer is open (each a list of git commands).
PULLS = {
    "ff": [["git", "pull", "-q", "--no-rebase", "--autostash", "origin", "main"]],
    "rebase": [["git", "pull", "-q", "--rebase", "--autostash", "origin", "main"]],
    "stashpop": [["git", "stash", "-q"], ["git", "pull", "-q", "--no-rebase", "--no-edit",
                                          "origin", "main"], ["git", "stash", "pop", "-q"]],
}


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- WRONG 2: a git revert's removal under a stale save ------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", ["revert", "by-hand"])
@pytest.mark.parametrize(("pull", "committed"), [
    pytest.param(pull, committed, id=f"{pull}-{'committed' if committed else 'uncommitted'}")
    for pull in sorted(PULLS) for committed in (False, True)
    if not (committed and pull == "stashpop")])
def test_a_removal_the_pull_brought_stays_removed_under_a_stale_save(
        tmp_path: Path, layout: str, removal: str, pull: str, committed: bool) -> None:
    """``a`` logs and pushes "Entry E"; ``b`` removes it (``git revert`` of that commit,
    which puts back the version before it with its older write record; or by hand) and
    pushes. In ``a`` a buffer opened before the pull, a line typed; the agent logs (its
    entry committed or not), ``a`` pulls; the buffer is saved over it all (E again). The
    next write keeps E out, the agent's entry and the typed line, each once."""
    clones = _removed_in_b(tmp_path, layout, removal, False)
    a = clones.run_one
    between = [_cli(a, "log", "--progress", "A agent write")]
    if committed:
        between.append(["git", "commit", "-q", "-am", "agent write"])
    emacs_edit(clones.one, a.file, type_note(NOTE), *between, *PULLS[pull])
    saved = a.path.read_text()
    assert "] Entry E" in saved and "] A agent write" not in saved, saved  # (the save)
    written = a("log", "--progress", "After")
    assert written.returncode == 0, written.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for needle in (NOTE, "] A agent write", "] Base step", "] After"):
        assert text.count(needle) == 1, (needle, written.stderr, text)
    assert "<<<<<<<" not in text, text
    assert "1 removal" in _flat(written.stderr), written.stderr


# -- WRONG 3: two clones' committed stale saves over one removal, merged by the driver ----


def _two_stale_saves(tmp_path: Path, layout: str, removal: str) -> Clones:
    """``a`` logs and pushes "Entry E"; ``b`` and a third clone ``c`` pull it; ``c``
    removes it (``git revert`` or by hand) and pushes. Then in ``a`` and ``b`` in turn a
    buffer opened before the pull, a line typed (each its own), the agent's entry logged
    and left uncommitted, the pull (``--autostash``), the save committed at once. ``a``
    pushes; ``b`` pulls ``a``'s commit through a real merge (the driver)."""
    base = tmp_path.resolve()
    clones = Clones(base, agent=LAYOUTS[layout], names=("a", "b"))
    a = clones.run_one
    a("log", "--progress", "Entry E")
    push(a, "E")
    third = base / "c"
    git(base, "clone", "-q", "-b", "main", str(clones.origin), str(third))
    c = Agent(third, LAYOUTS[layout])
    c("init")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    if removal == "revert":
        git(third, "revert", "--no-edit", "HEAD")
    else:
        text = c.path.read_text()
        c.path.write_text("".join(line for line in text.splitlines(keepends=True)
                                  if not line.endswith("] Entry E\n")))
        commit(third, "E removed")
    git(third, "push", "-q", "origin", "HEAD:main")
    for clone, run, name in ((clones.one, clones.run_one, "a"),
                             (clones.two, clones.run_two, "b")):
        typed = type_note(f"Typed in {name}.")  # (each in its own section: no conflict)
        emacs_edit(clone, run.file, typed if name == "a" else
                   typed.replace("Discoveries", "Next steps"),
                   _cli(run, "log", "--progress", f"Agent entry in {name}"),
                   ["git", "pull", "-q", "--no-rebase", "--autostash", "origin", "main"])
        git(clone, "commit", "-q", "-am", f"stale save in {name}")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, *PULL[1:])
    return clones


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", ["revert", "by-hand"])
def test_two_clones_stale_saves_over_one_removal_merged_keep_it_removed(
        tmp_path: Path, layout: str, removal: str) -> None:
    """The merge holds E again (both saves added it back, for git). ``status`` in ``b``
    names no reset or checkout and advises no ``cp``; ``b``'s next write takes E out,
    keeps both typed lines and its agent's entry (which only its kept copy held); ``a``,
    pulling that, writes without a refusal and gets its agent's entry back too."""
    clones = _two_stale_saves(tmp_path, layout, removal)
    a, b = clones.run_one, clones.run_two
    merged = b.path.read_text()
    assert "] Entry E" in merged and "<<<<<<<" not in merged, merged
    said = _flat(b("status").stdout + b("status").stderr)
    assert "git reset" not in said and "cp " not in said, said
    written = b("log", "--progress", "After in b")
    assert written.returncode == 0, written.stderr
    assert "git reset" not in _flat(written.stderr), written.stderr
    text = b.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for needle in ("Typed in a.", "Typed in b.", "] Agent entry in b", "] After in b"):
        assert text.count(needle) == 1, (needle, written.stderr, text)
    push(b, "b after")
    git(clones.one, *PULL[1:])
    written = a("log", "--progress", "After in a")
    assert written.returncode == 0, written.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for needle in ("Typed in a.", "Typed in b.", "] Agent entry in a", "] Agent entry in b",
                   "] After in a"):
        assert text.count(needle) == 1, (needle, written.stderr, text)
    assert "<<<<<<<" not in text, text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", ["revert", "by-hand"])
def test_the_merge_of_two_stale_saves_pulled_by_the_saver_keeps_the_removal(
        tmp_path: Path, layout: str, removal: str) -> None:
    """As above, but ``b`` pushes the merge as it is and ``a`` pulls it (a fast-forward)
    and writes first: E out, both typed lines and ``a``'s agent's entry kept."""
    clones = _two_stale_saves(tmp_path, layout, removal)
    a = clones.run_one
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    git(clones.one, *PULL[1:])
    written = a("log", "--progress", "After in a")
    assert written.returncode == 0, written.stderr
    text = a.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for needle in ("Typed in a.", "Typed in b.", "] Agent entry in a", "] After in a"):
        assert text.count(needle) == 1, (needle, written.stderr, text)


# -- WRONG 4: the agent's tick under another clone's reword, then a stale save -------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pull", sorted(PULLS))
def test_a_tick_under_a_reword_and_a_stale_save_lose_nothing(
        tmp_path: Path, layout: str, pull: str) -> None:
    """``b`` rewords "Alpha step one" (words added) and pushes; in ``a`` a buffer opened
    before, a line typed; the agent ticks the entry (uncommitted); ``a`` pulls (the driver
    joins them: the reworded entry ticked); the buffer is saved. The next write is not
    refused and holds the reworded entry ticked, once, and the typed line."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    a("log", "--progress", "Alpha step one")
    push(a, "alpha")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    b.path.write_text(b.path.read_text().replace("] Alpha step one\n",
                                                 "] Alpha step one, with the fixture\n"))
    commit(clones.two, "reword")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    emacs_edit(clones.one, a.file, type_note(NOTE),
               _cli(a, "log", "--done", "Alpha step one"), *PULLS[pull])
    written = a("log", "--progress", "After")
    assert written.returncode == 0, written.stderr
    text = a.path.read_text()
    entries = [line for line in text.splitlines()
               if line.startswith("- [") and "] Alpha step one" in line]
    assert len(entries) == 1, (written.stderr, text)
    assert entries[0].startswith("- [X] ") and \
        entries[0].endswith("] Alpha step one, with the fixture"), (written.stderr, text)
    for needle in (NOTE, "] After"):
        assert text.count(needle) == 1, (needle, text)
    assert "<<<<<<<" not in text, text


@pytest.mark.xfail(strict=True, reason=(
    "left (twenty-eighth round): with both summaries typed the write refuses the save as an "
    "older version and advises merge-kept, which keeps the tick and drops the pulled reword"))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_refusals_advised_command_run_keeps_the_tick_the_reword_and_the_note(
        tmp_path: Path, layout: str) -> None:
    """As above, but ``b`` also types a summary and the person another into the
    stale buffer (both changed the same lines: the write refuses, exit 6, with the
    command that merges them). The command run as pasted keeps the reworded entry ticked
    once, the typed line and both summaries (one in a Log line; any conflict marker left
    is settled by keeping both sides); the next write goes through (no refusal for a Log
    line ``HEAD`` holds) and keeps them all."""
    from test_stale_twentyfirst import pasted

    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    a("log", "--progress", "Alpha step one")
    push(a, "alpha")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    b.path.write_text(b.path.read_text().replace(  # (both by hand: no write of the tool)
        "] Alpha step one\n", "] Alpha step one, with the fixture\n").replace(
        ":CUSTOM_ID: summary\n:END:\n", ":CUSTOM_ID: summary\n:END:\nB summary.\n"))
    push(b, "reword and summary")
    summary = type_note("A typed summary.").replace("Discoveries", "Summary")
    emacs_edit(clones.one, a.file, summary + " (goto-char (point-min)) " + type_note(NOTE),
               _cli(a, "log", "--done", "Alpha step one"), *PULLS["ff"])
    refused = a("log", "--progress", "After", check=False)
    assert refused.returncode == 6, refused.stderr
    said = " ".join(refused.stderr.split())
    found = re.search(r"(ai-protocols merge-driver .*?); it was left unchanged", said) or \
        re.search(r"\((ai-protocols merge-kept [^)]*)\)", said)
    assert found, said
    assert pasted(clones.one, found.group(1)).returncode in (0, 1), said
    text = a.path.read_text()
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(("<<<<<<<", "=======", ">>>>>>>", "|||||||")))
    a.path.write_text(text)
    written = a("log", "--progress", "After")
    assert written.returncode == 0, written.stderr
    text = a.path.read_text()
    entries = [line for line in text.splitlines()
               if line.startswith("- [") and "] Alpha step one" in line]
    assert len(entries) == 1 and entries[0].startswith("- [X] ") and \
        entries[0].endswith("] Alpha step one, with the fixture"), (written.stderr, text)
    for needle in (NOTE, "] After"):
        assert text.count(needle) == 1, (needle, written.stderr, text)
    for needle in ("A typed summary.", "B summary."):  # (one of them in a Log line)
        assert needle in text, (needle, written.stderr, text)
