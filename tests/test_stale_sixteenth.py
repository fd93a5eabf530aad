"""Faults a fresh reviewer found in the fifteenth round's fixes (issue 14, sixteenth round;
docs/decisions.md, "Issue 14, sixteenth round (stale saves and put-back copies)").

1. The task board's stale save: a pull through the driver changes ``.ai/tasks.org``
   under a real Emacs buffer with unsaved typing; the save drops the pulled task; the
   board's next write merges it back (the session file's rule), and a person's
   deliberate deletion of a pulled task is never brought back.
2. ``merge-kept`` of a copy put back before the archive is committed: the index's (or
   ``HEAD``'s) version it carries is the base, as ``git merge-file`` takes it.
3. ``task merge-copy`` run again adds no task it merged already.
4. A session file put back by git after a committed wrap-up: ``status``, ``show``,
   ``resume`` and ``list`` warn of it, in the words ``start`` and ``log`` refuse it with.
5. A deliberate deletion of an entry a fast-forward pull brought is not a stale save.
6. ``merge-kept``'s message says what ``start`` will do with the kept copy.
7. The stale-save refusal says what its pasted commands do (no conflict marker here).

Real git (clones of a bare repository, real pulls), real Emacs for the board's buffer,
the installed console script.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from boardkit import linked_copy
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_emacs_git_fifteenth import CONTEXT, open_in_emacs, pull, save_from_emacs
from test_merge_driver import Clones, git

from conftest import Runner

BOARD = Path(".ai/tasks.org")


def _board_clones(base: Path) -> tuple[Path, Path, Runner, Runner]:
    """A bare origin; clone ``a`` with a board (one task) pushed; clone ``b`` of it."""
    origin = base / "origin.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(origin), str(a))
    run_a = Runner(a)
    run_a("init")
    run_a("task", "add", "t1")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "board")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b = Runner(b)
    run_b("init")
    return a, b, run_a, run_b


#: A real Emacs: visits the board, types a task (the buffer modified: Emacs takes its
#: lock), waits for the file GO, then saves, answering "yes" to "changed on disk".
_EMACS = """
(let ((go (expand-file-name "GO")))
  (find-file ".ai/tasks.org")
  (goto-char (point-max))
  (insert "* TODO typed in emacs\\n")
  (while (not (file-exists-p go)) (sleep-for 0.1))
  (set-buffer-modified-p t)
  (fset 'yes-or-no-p (lambda (&rest _) t))
  (fset 'y-or-n-p (lambda (&rest _) t))
  (fset 'ask-user-about-supersession-threat (lambda (&rest _) t))
  (save-buffer))
"""


def test_a_stale_emacs_save_of_the_board_over_a_pull_is_merged_back(tmp_path: Path) -> None:
    a, b, run_a, run_b = _board_clones(tmp_path.resolve())
    run_b("task", "add", "from B")
    git(b, "commit", "-q", "-am", "b")
    git(b, "push", "-q", "origin", "HEAD:main")
    run_a("task", "add", "from A")
    git(a, "commit", "-q", "-am", "a")  # (diverged: the pull merges through the driver)
    emacs = subprocess.Popen(["emacs", "--batch", "-q", "--eval", _EMACS], cwd=a,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = a / ".ai" / ".#tasks.org"
        while not lock.is_symlink():  # (Emacs has the buffer modified)
            assert emacs.poll() is None, "Emacs ended before typing"
            time.sleep(0.05)
        said = pull(a)
        assert "open with unsaved changes in Emacs" in said
        assert "'ai-protocols log'" not in said and "the board's next change" in said
        assert "from B" in (a / BOARD).read_text()
        (a / "GO").touch()
        assert emacs.wait(timeout=120) == 0
    finally:
        if emacs.poll() is None:
            emacs.kill()
    saved = (a / BOARD).read_text()
    assert "typed in emacs" in saved and "from B" not in saved  # the stale save
    done = run_a("task", "add", "later")
    assert "git brought" in done.stderr and "merged back" in done.stderr
    titles = run_a("task", "list").stdout
    for title in ("t1", "from A", "from B", "typed in emacs", "later"):
        assert titles.count(f"  {title}\n") == 1, (title, titles)
    again = run_a("task", "add", "after")  # said once: the board is as written now
    assert "git brought" not in again.stderr


def test_a_task_a_person_deletes_after_a_pull_stays_deleted(tmp_path: Path) -> None:
    """No stale buffer: after a fast-forward pull a person deletes one of the tasks it
    brought; the board, holding the other, was made from what git wrote: nothing comes
    back, nothing is said."""
    a, b, run_a, run_b = _board_clones(tmp_path.resolve())
    run_a("task", "add", "written in A")  # (the board's last write here, before the pull)
    git(a, "commit", "-q", "-am", "a")
    run_b("task", "add", "from B, kept")
    run_b("task", "add", "from B, deleted")
    git(b, "commit", "-q", "-am", "b")
    git(b, "push", "-q", "origin", "HEAD:main")
    pull(a)  # (no buffer open: the driver merges)
    text = (a / BOARD).read_text()
    assert "from B, deleted" in text
    head, _, rest = text.partition("* TODO from B, deleted")
    rest = rest[rest.index("\n* ") + 1:] if "\n* " in rest else ""
    (a / BOARD).write_text(head + rest)
    done = run_a("task", "add", "later")
    assert "git brought" not in done.stderr
    titles = run_a("task", "list").stdout
    assert "from B, deleted" not in titles and "from B, kept" in titles


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                     min_size=1, max_size=12))
def test_merge_kept_of_a_copy_put_back_before_the_archive_is_committed_uses_head(
        tmp_path_factory, words: str) -> None:
    repo = tmp_path_factory.mktemp("pb").resolve()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "init")
    run = Runner(repo)
    run("init")
    run("start", "--title", "pb")
    run("log", "--progress", "p1 first", "--progress", "p2 second", "--next", "n1 step",
        "--discovery", "d1 found")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "c1")
    run("log", "--progress", "p3 after commit")
    run("wrap-up", "pb done")
    (archive,) = (repo / ".ai" / "sessions").glob("*.org")
    base = git(repo, "show", f"HEAD:{CONTEXT}").stdout
    git(repo, "checkout", "--", str(CONTEXT))  # put back: the archive is not committed
    path = repo / CONTEXT
    path.write_text(path.read_text()
                    .replace("p1 first\n", f"p1 first, reworded {words}\n")
                    .replace("d1 found\n", "d1 found (person)\n"))
    ours, theirs = archive.read_bytes(), path.read_bytes()
    done = run("merge-kept")
    merged = archive.read_text()
    assert merged.count("p1 first") == 1 and f"p1 first, reworded {words}\n" in merged
    assert "d1 found (person)\n" in merged and "d1 found\n" not in merged
    assert "left out" not in merged and not path.exists()
    files = []
    for name, data in (("o", ours), ("b", base.encode()), ("t", theirs)):
        (repo.parent / f"{repo.name}.{name}").write_bytes(data)
        files.append(str(repo.parent / f"{repo.name}.{name}"))
    expected = subprocess.run(["git", "merge-file", "-p", *files], capture_output=True)
    assert expected.returncode == 0 and expected.stdout.decode() == merged, done.stderr


def test_merge_copy_run_again_adds_no_task_twice(tmp_path: Path) -> None:
    run, in_tree, repo, tree = linked_copy(tmp_path)
    with (tree / BOARD).open("a") as board:  # typed in Emacs: no :ID:
        board.write("* TODO added in the work tree\nits body, a line\n")
    in_tree("task", "merge-copy")
    with (tree / BOARD).open("a") as board:
        board.write("* TODO typed later\n")
    in_tree("task", "merge-copy")
    in_tree("task", "merge-copy")
    titles = run("task", "list").stdout
    for title in ("task one", "added in the work tree", "typed later"):
        assert titles.count(f"  {title}\n") == 1, (title, titles)
    assert (repo / BOARD).read_text().count("its body, a line") == 1


def test_a_session_put_back_after_a_committed_wrap_up_is_warned_of_by_every_read(
        tmp_path: Path) -> None:
    repo = tmp_path.resolve()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "init")
    run = Runner(repo)
    run("init")
    run("start", "--title", "pb")
    for command in ("status", "show", "resume", "list"):  # (nothing to warn of yet)
        done = run(command)
        assert "wrapped up" not in done.stderr + done.stdout
    run("log", "--progress", "p1", "--next", "n1")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "c1")
    run("wrap-up", "pb done")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "wrap")
    git(repo, "checkout", "HEAD~1", "--", str(CONTEXT))
    git(repo, "reset", "-q", str(CONTEXT))
    refused = run("log", "--progress", "agent carries on", check=False)
    assert refused.returncode == 7
    words = "already wrapped up (archived to "
    assert words in refused.stderr
    for command in ("status", "show", "resume", "list"):
        done = run(command)
        assert words in done.stdout + done.stderr, command


def test_a_deliberate_deletion_after_a_fast_forward_pull_is_not_brought_back(
        tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "B two", "--decision", "B decides", "--rationale", "because",
        "--next", "B next")
    clones.commit(clones.two, "b")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    pull(clones.one)  # a fast-forward; no buffer open
    path = clones.one / CONTEXT
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if "B decides" not in line and "because" not in line))
    done = one("log", "--progress", "A three")
    assert "git brought" not in done.stderr and "merged back" not in path.read_text()
    assert "B decides" not in path.read_text() and "B next" in path.read_text()


def test_merge_kept_says_start_begins_a_new_session_when_it_will(tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--progress", "B three")
    two("wrap-up", "B closes")
    clones.commit(clones.two, "wrap")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    buffer = open_in_emacs(clones.one)
    pull(clones.one)
    assert not (clones.one / CONTEXT).exists()
    save_from_emacs(clones.one, buffer.replace(
        b"Base step\n", b"Base step, reworded\n- [ ] [2026-12-01 Tue 10:50] typed in Emacs\n"))
    done = one("merge-kept")
    assert "brings back" not in done.stderr
    assert "'ai-protocols start' begins a new session" in done.stderr
    started = one("start")
    assert "Started a fresh session" in started.stdout + started.stderr


def test_a_stale_save_refusal_says_what_its_commands_do(tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    one("log", "--progress", "A one", "--summary", "S0")
    clones.commit(clones.one, "a1")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    pull(clones.two)
    two("log", "--progress", "B two", "--summary", "S from B")
    clones.commit(clones.two, "b1")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    one("log", "--progress", "A local")
    clones.commit(clones.one, "a2")
    buffer = open_in_emacs(clones.one)
    pull(clones.one)
    save_from_emacs(clones.one, buffer.replace(b"\nS0\n", b"\nS typed by person\n"))
    done = one("log", "--progress", "A three", check=False)
    assert done.returncode == 6, done.stderr
    assert "settle the conflict markers" not in done.stderr
    said = "leaves no conflict marker: "
    assert said in done.stderr
    command = done.stderr.split(said, 1)[1].split("; it was left unchanged")[0].strip()
    pasted_done = pasted(clones.one, command)
    assert pasted_done.returncode == 0, pasted_done.stderr
    merged = (clones.one / CONTEXT).read_text()
    assert "<<<<<<<" not in merged and "S typed by person" in merged
    assert "S from B" in merged  # (kept in a Log line, as the message said)


def test_show_and_resume_list_no_archives_without_a_tombstone(project: Path,
                                                               run: Runner) -> None:
    """The read commands' look for a session put back (``.ai/sessions/`` listed) is kept
    off the hot path: a file that is its kept copy, and one with no kept copy and no
    tombstone (a clone whose tool never wrote it), never list the archives."""
    from test_lean_fourteenth import AGENT, listed

    run("start", "--title", "one", agent=AGENT)
    run("wrap-up", "one done", agent=AGENT)
    run("start", "--title", "two", agent=AGENT)
    for command in ("show", "resume"):
        assert ".ai/sessions" not in listed(project, command), command
    for kept in (project / ".ai" / ".locks" / "live").rglob("*.org"):
        kept.unlink()  # (as in a clone that never wrote the session)
    for command in ("show", "resume"):
        assert ".ai/sessions" not in listed(project, command), command
