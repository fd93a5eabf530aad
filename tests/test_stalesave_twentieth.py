"""A stale save of the session file with nothing typed in it loses nothing that git
brought (issue 14, twentieth round; docs/decisions.md, "Issue 14, twentieth round
(stale saves of an older version)").

A buffer opened on the session file before ``git pull`` and saved after it (a
character typed and deleted, Emacs's "changed on disk; really edit?" answered yes)
puts back, byte for byte, a version the file had: the tool's last write, or an earlier
one. The old code took a file that is byte for byte the tool's last version for one
nobody saved over, and the next write dropped for good the entries and ticks the pull
brought (the reviewer's f1.sh, case A). After any sequence of pulls (each bringing an
entry and a tick of the other clone), the tool's writes and commits of one's own, a
save of each version the file had (as Emacs saves: a new file renamed into place, or
written in place) must lose nothing at the next write: every entry and tick of
``HEAD``'s version and of the tool's writes is in the file after it.

Two real clones of a bare repository, real ``git pull``, the installed console script;
one case through real ``emacs --batch``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_merge_driver import git

from conftest import Runner, clean_env

SESSION = Path(".ai") / "session-context.org"
_ITEM = re.compile(r"^- \[([ X])\] \[[^]\n]*\] ((?:a|b|n|w)\d+-\S+)$", re.M)


def _things(text: str) -> tuple[set[str], set[str]]:
    """The items of a session file's text by their words (``a1-...``, ``n1-...``), and
    those of them ticked."""
    items = _ITEM.findall(text)
    return {words for _, words in items}, {words for box, words in items if box == "X"}


def _show(clone: Path, where: str) -> bytes | None:
    done = subprocess.run(["git", "show", where], cwd=clone, capture_output=True,
                          env=clean_env(), timeout=60)
    return done.stdout if done.returncode == 0 else None


def _save(clone: Path, data: bytes, how: str) -> None:
    """The person's save with nothing typed: ``data`` written as Emacs does, a new file
    renamed into place (``rename``) or the file written over (``inplace``)."""
    path = clone / SESSION
    if how == "rename":
        temp = clone / ".ai" / "session-context.org.saving"
        temp.write_bytes(data)
        os.replace(temp, path)
    else:
        with open(path, "r+b") as file:
            file.write(data)
            file.truncate()


def _commit(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "--allow-empty", "-m", message)


def _clones(base: Path) -> tuple[Path, Path, Runner, Runner]:
    """A bare origin, clone ``a`` with a session (an entry, three next steps), pushed,
    and clone ``b`` of it, both after ``init``."""
    origin, a, b = base / "origin.git", base / "a", base / "b"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "clone", "-q", str(origin), str(a))
    run_a, run_b = Runner(a), Runner(b)
    (a / "f.txt").write_text("base\n")
    _commit(a, "base")
    run_a("init")
    run_a("start", "--title", "Shared")
    run_a("log", "--progress", "a0-start", "--next", "n1-step", "--next", "n2-step",
          "--next", "n3-step")
    _commit(a, "a's session")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b("init")
    return a, b, run_a, run_b


def _pull(a: Path, b: Path, run_a: Runner, number: int, how: str) -> None:
    """``a`` logs an entry and ticks a next step, commits and pushes; ``b`` pulls it
    (``commit``: commits first when the file has changes, as git wants; ``autostash``:
    ``git pull --autostash``, the write left uncommitted)."""
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    run_a("log", "--done", f"n{number}-step", "--progress", f"a{number}-pulled")
    _commit(a, f"a {number}")
    git(a, "push", "-q", "origin", "HEAD:main")
    if how == "autostash":
        git(b, "pull", "-q", "--no-rebase", "--autostash", "origin", "main")
        return
    if git(b, "status", "--porcelain").stdout.strip():
        _commit(b, "before the pull")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")


#: The sequences in ``b``, each after a first write of the tool there: ``P`` a pull
#: that brings an entry and a tick of ``a`` (``b`` commits first when the file has
#: changes, as git wants), ``S`` the same with ``git pull --autostash`` (``b``'s write
#: left uncommitted), ``W`` a write of the tool in ``b``, ``C`` a commit of one's own
#: (pushed), ``M`` a commit not pushed, so that the next pull is a merge (the merge
#: driver's).
SEQUENCES = ["P", "S", "PC", "PP", "PWP", "CPC", "MP", "SP", "PWS", "WMPC"]


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_a_save_of_the_tools_last_version_loses_nothing_git_brought(
        tmp_path: Path, sequence: str, how: str) -> None:
    """At each step after a pull, the person saves a buffer opened on the version the
    tool wrote last (nothing typed): the next write holds every entry and tick of
    ``HEAD``'s version and of the file before the save, and says it merged them back.
    The old code found nothing to merge back (the file was its kept copy, byte for
    byte) and dropped them."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    run_b("log", "--progress", "b0-wrote")
    pulls = writes = 0
    last = (b / SESSION).read_bytes()  # (the buffer: the tool's last write)
    for step in sequence:
        if step in "PS":
            pulls += 1
            _pull(a, b, run_a, pulls, "autostash" if step == "S" else "commit")
            before = (b / SESSION).read_bytes()
            assert before != last
            head = (_show(b, f"HEAD:./{SESSION}") or b"").decode("utf-8")
            items, ticked = _things(before.decode("utf-8"))
            head_items, head_ticked = _things(head)
            want, want_ticked = items | head_items, ticked | head_ticked
            assert f"a{pulls}-pulled" in want and f"n{pulls}-step" in want_ticked
            _save(b, last, how)
            done = run_b("log", "--progress", f"w{pulls}-after-save")
            text = (b / SESSION).read_text(encoding="utf-8")
            now, now_ticked = _things(text)
            assert want | {f"w{pulls}-after-save"} <= now, (sequence, pulls,
                                                            sorted(want - now))
            assert want_ticked <= now_ticked, (sequence, sorted(want_ticked - now_ticked))
            assert "merged back" in done.stderr and "merged back:" in text, done.stderr
        elif step == "W":
            writes += 1
            run_b("log", "--progress", f"b{writes}-wrote")
        elif step == "C":
            _commit(b, f"own {step}")
            git(b, "push", "-q", "origin", "HEAD:main")
        else:
            _commit(b, f"own {step}, not pushed")
        last = (b / SESSION).read_bytes()


@pytest.mark.skipif(shutil.which("emacs") is None, reason="needs emacs")
def test_emacs_a_character_typed_and_deleted_after_a_pull(tmp_path: Path) -> None:
    """The reviewer's f1.sh, case A, in real Emacs: a buffer opened on the tool's last
    version, ``git pull`` while it is open, a character typed and deleted, "changed on
    disk" answered yes, saved: the next ``log`` merges back the pull's entry and tick
    and says so (exit 0), as with a note typed and kept."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    run_b("log", "--progress", "b0-wrote")
    _commit(b, "b's write")
    git(b, "push", "-q", "origin", "HEAD:main")
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    run_a("log", "--done", "n1-step", "--progress", "a1-pulled")
    _commit(a, "a 1")
    git(a, "push", "-q", "origin", "HEAD:main")
    lisp = ('(progn (call-process "git" nil nil nil "pull" "-q" "--no-rebase" "origin" '
            '"main") (advice-add (quote ask-user-about-supersession-threat) :override '
            '(lambda (f) nil)) (fset (quote yes-or-no-p) (lambda (p) t)) '
            '(goto-char (point-max)) (insert "x") (delete-char -1) (save-buffer))')
    subprocess.run(["emacs", "--batch", "-Q", str(SESSION), "--eval", lisp], cwd=b,
                   env=clean_env(), capture_output=True, timeout=120, check=True)
    saved = (b / SESSION).read_text(encoding="utf-8")
    assert "a1-pulled" not in saved  # (the stale save dropped it)
    assert "a1-pulled" in (_show(b, f"HEAD:./{SESSION}") or b"").decode("utf-8")
    done = run_b("log", "--progress", "b2-after")
    text = (b / SESSION).read_text(encoding="utf-8")
    items, ticked = _things(text)
    assert {"a1-pulled", "b0-wrote", "b2-after"} <= items and "n1-step" in ticked, text
    assert "lacked 1 entry, 1 tick" in done.stderr, done.stderr
    assert "merged back: 1 entry, 1 tick" in text


def test_the_advised_cp_of_the_kept_copy_still_puts_the_newest_back(tmp_path: Path) -> None:
    """The guard: an older commit checked out (``HEAD`` moved, the file older than the
    kept copy): the write is refused with ``cp KEPT FILE``; pasted, the file is its kept
    copy byte for byte, and the next write keeps every entry of it and merges nothing
    back from ``HEAD``'s older version (a rule that took the kept copy as the base
    would give ``HEAD``'s version)."""
    base = tmp_path.resolve()
    _a, b, _run_a, run_b = _clones(base)
    run_b("log", "--progress", "b1-wrote")
    _commit(b, "b1")
    run_b("log", "--progress", "b2-wrote")
    _commit(b, "b2")
    run_b("log", "--progress", "b3-wrote")
    git(b, "stash", "-q")
    git(b, "checkout", "-q", "HEAD~1")
    git(b, "stash", "drop", "-q")
    refused = run_b("log", "--progress", "refused", check=False)
    assert refused.returncode == 6, refused
    advice = re.search(r"\(cp (\S+) (\S+)\)", refused.stderr)
    assert advice is not None, refused.stderr
    subprocess.run(["sh", "-c", f"cp {advice.group(1)} {advice.group(2)}"], cwd=b,
                   check=True, env=clean_env())
    done = run_b("log", "--progress", "b4-after-cp")
    assert "merged back" not in done.stderr, done.stderr
    items, _ = _things((b / SESSION).read_text(encoding="utf-8"))
    assert {"b1-wrote", "b2-wrote", "b3-wrote", "b4-after-cp", "a0-start"} <= items, items


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("between", ["commit", "two-commits", "pushed-merge"])
def test_a_save_of_an_earlier_version_loses_nothing_git_brought(
        tmp_path: Path, between: str, how: str) -> None:
    """A buffer opened before one of the tool's writes (committed since), ``git pull``,
    the buffer saved with nothing typed in it: a version of ``HEAD``'s history, older
    than the tool's last. The next write holds the tool's entries and what the pull
    brought, and says it merged them back (the old code wrote into the older version,
    as if git had put it back: the pull's entry and tick, and the tool's later entries,
    were gone from the file)."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    run_b("log", "--progress", "b1-wrote")
    _commit(b, "b1")
    earlier = (b / SESSION).read_bytes()  # (the buffer)
    run_b("log", "--progress", "b2-wrote")
    if between == "two-commits":
        _commit(b, "b2")
        run_b("log", "--progress", "b3-wrote")
    if between != "pushed-merge":
        _commit(b, "b-last")
        git(b, "push", "-q", "origin", "HEAD:main")
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    run_a("log", "--done", "n1-step", "--progress", "a1-pulled")
    _commit(a, "a 1")
    git(a, "push", "-q", "origin", "HEAD:main")
    if between == "pushed-merge":
        _commit(b, "b-last, not pushed")  # (the pull is then a merge, the driver's)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    before = (b / SESSION).read_text(encoding="utf-8")
    want, want_ticked = _things(before)
    assert "a1-pulled" in want and "b2-wrote" in want
    _save(b, earlier, how)
    done = run_b("log", "--progress", "w9-after-save")
    now, now_ticked = _things((b / SESSION).read_text(encoding="utf-8"))
    assert want | {"w9-after-save"} <= now, (sorted(want - now), done.stderr)
    assert want_ticked <= now_ticked, (sorted(want_ticked - now_ticked), done.stderr)
    assert "merged back" in done.stderr, done.stderr
