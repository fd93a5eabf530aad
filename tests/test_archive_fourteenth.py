"""Issue 14, fourteenth round: ``merge-kept`` into another clone's archive, an archived
session put back, the Log's ``replaced:`` line at a branch switch, the checkpoint's time
and the write refusal's count (docs/decisions.md, "Issue 14, fourteenth round").

Two clones of one remote, real ``git pull`` through the installed merge driver, the
installed console script; the commands the tool prints are run as printed.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from gitkit import GIT_ENV, commit_all, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_session_identity_twelfth import SESSION, _clones, _paste, _pull
from test_session_thirteenth import _stamped_after_release

from ai_protocols.storage import files as storage

from conftest import CLI, Runner

# -- 1 and 2. merge-kept into the archive of a session wrapped up in another clone -------------


def _wrapped_in_a(top: Path, *, reword_in_archive: str | None, tick_in_b: bool) -> Path:
    """Clone A logs S1 and pushes; clone B pulls it, logs an entry of its own (and ticks
    A's next step when ``tick_in_b``) and commits; A logs one more entry, wraps S1 up, a
    person rewrites the line ``reword_in_archive`` of the archive (old text, new text,
    separated by ``=>``), A starts S2, commits and pushes; B pulls (the session merge
    driver leaves S1 against S2 as one conflict) and keeps S2 live as the refusal
    advises. Returns B, where ``merge-kept`` now brings its kept copy into S1's archive."""
    a, b, run_a, run_b = _clones(top)
    run_a("start", "--title", "S1")
    run_a("log", "--progress", "shared entry", "--next", "a step")
    commit_all(a, "s1")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("log", "--progress", "B only entry")
    if tick_in_b:
        run_b("log", "--done", "a step")
    commit_all(b, "b")
    run_a("log", "--progress", "A only entry")
    run_a("wrap-up", "done in A")
    [archive] = (a / ".ai/sessions").glob("*.org")
    if reword_in_archive is not None:  # (a person's edit of the archive, then committed)
        old, new = reword_in_archive.split("=>")
        text = archive.read_text()
        assert text.count(old) == 1
        archive.write_text(text.replace(old, new))
    run_a("start", "--title", "S2")
    commit_all(a, "wrap S1, start S2")
    git(a, "push", "-q", "origin", "HEAD:main")
    _pull(b)
    refused = run_b("log", "--progress", "x", check=False)
    assert refused.returncode == 6, refused.stderr
    _paste(b, refused.stderr, "git checkout --theirs")
    return b


def _archive(clone: Path) -> Path:
    [archive] = (clone / ".ai/sessions").glob("*.org")
    return archive


def _progress_lines(text: str) -> list[str]:
    """The checkbox items (Progress, Next steps) of a session file, as they are."""
    return [line for line in text.splitlines() if re.match(r"- \[[ X-]\] ", line)]


def _words(text: str) -> list[str]:
    """The checkbox items' words (after their timestamp), in file order."""
    return [re.sub(r"^- \[.\] \[[^]]*\] ", "", line) for line in _progress_lines(text)]


@pytest.mark.parametrize("edit", ["reworded in the archive", "ticked in B"])
def test_merge_kept_into_another_clones_archive_takes_a_one_sided_edit(
        tmp_path: Path, edit: str) -> None:
    """A line changed on one side only (a person's reword in A's archive, or B's tick of
    a step) against the version both clones committed: ``merge-kept`` merges it three
    ways (the change taken, the old wording gone), B's entry once, no entry twice, the
    kept copy dropped; and it never advises a ``cp``."""
    reword = "a step=>a step, reworded by hand" if edit.startswith("reworded") else None
    b = _wrapped_in_a(tmp_path, reword_in_archive=reword, tick_in_b=reword is None)
    done = Runner(b)("merge-kept", check=False)
    assert done.returncode == 0, done.stderr
    assert "cp " not in done.stderr
    text = _archive(b).read_text()
    items = _progress_lines(text)
    for entry in ("shared entry", "A only entry", "B only entry"):
        assert sum(entry in line for line in items) == 1, text
    steps = [line for line in items if "a step" in line]
    if reword:
        assert len(steps) == 1 and steps[0].endswith("a step, reworded by hand"), text
    else:
        assert len(steps) == 1 and steps[0].startswith("- [X]"), text
    assert ":STATUS:   wrapped-up" in text
    assert not (b / ".ai/.locks/live/session-context.org").exists()


def test_merge_kept_into_an_archive_it_cannot_merge_advises_no_cp(tmp_path: Path) -> None:
    """Both sides changed the same line (B ticked the step, a person reworded it in A's
    archive): refused (exit 6), nothing written, and the advice is the archive's: add by
    hand, then drop the kept copy, never ``cp ARCHIVE KEPT`` (which would make the
    wrapped-up session's archive this file's last version and double its entries)."""
    b = _wrapped_in_a(tmp_path, reword_in_archive="a step=>a step, reworded by hand",
                      tick_in_b=True)
    archive = _archive(b)
    kept = b / ".ai/.locks/live/session-context.org"
    before = archive.read_bytes(), kept.read_bytes()
    done = Runner(b)("merge-kept", check=False)
    assert done.returncode == 6, done.stderr
    assert "cp " not in done.stderr
    assert f"rm {kept}" in done.stderr and f"into its archive {archive}" in done.stderr
    assert (archive.read_bytes(), kept.read_bytes()) == before


def _refresh_and_run(cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**GIT_ENV, "PATH": f"{CLI.parent}:/usr/bin:/bin"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          env=env)


def test_the_abort_advice_after_merge_kept_into_an_archive_works_as_printed(
        tmp_path: Path) -> None:
    """After ``merge-kept`` into the archive a pull brought (the merge still under way),
    the abort it prints, run literally, aborts the merge (``git merge --abort`` alone
    refuses: the archive has unstaged changes), and every entry of B's session is then
    in its file again, where the next ``log`` goes."""
    b = _wrapped_in_a(tmp_path, reword_in_archive=None, tick_in_b=False)
    done = Runner(b)("merge-kept")
    plain = _refresh_and_run(b, "git merge --abort")
    assert plain.returncode != 0  # (the fault the advice exists for)
    [abort] = re.findall(r"'(git checkout -- [^']*&& git merge --abort)'", done.stderr)
    ran = _refresh_and_run(b, abort)
    assert ran.returncode == 0, ran.stderr
    assert git(b, "status", "--porcelain") == ""
    assert not (b / ".git/MERGE_HEAD").exists()
    Runner(b)("log", "--progress", "after the abort")
    text = (b / SESSION).read_text()
    for entry in ("shared entry", "B only entry", "after the abort"):
        assert sum(entry in line for line in _progress_lines(text)) == 1, text


# -- 5. the replaced: Log line of a branch switch --------------------------------------------------


def test_a_branch_switch_is_said_as_the_other_branchs_file(project: Path, run: Runner) -> None:
    """A write after ``git switch`` went into the session file of the branch switched to:
    its Log line and its warning say that (which branch, switched from which), by the one
    rule, never "an older version"; a reset on the branch written on is still one."""
    run("start", "--title", "Branches")
    run("log", "--progress", "on main")
    commit_all(project, "session on main")
    main = git(project, "rev-parse", "--abbrev-ref", "HEAD")
    git(project, "switch", "-q", "-c", "feature")
    run("log", "--progress", "on feature")
    commit_all(project, "session on feature")
    git(project, "switch", "-q", main)
    said = run("log", "--progress", "back on main").stderr
    text = (project / SESSION).read_text()
    [line] = [x for x in text.splitlines() if "replaced: " in x]
    how = f"the session file of branch '{main}' here (a switch from branch 'feature')"
    assert f"replaced: git put {how}; " in line, line
    assert f"git put the session file of branch '{main}' at {project / SESSION} (a switch " \
        "from branch 'feature'); this write goes into it" in said, said
    assert "older version" not in line + said
    # (a reset on the branch written on: an older version of this file, said so)
    commit_all(project, "main again")
    git(project, "branch", "keeps-it")
    run("log", "--progress", "to be reset away")
    commit_all(project, "to be reset")
    git(project, "branch", "-f", "keeps-it")
    git(project, "reset", "-q", "--hard", "HEAD~1")
    run("log", "--progress", "after the reset")
    last = [x for x in (project / SESSION).read_text().splitlines() if "replaced: " in x][-1]
    assert f"an older version of this file here (a git reset or checkout of branch '{main}')" \
        in last, last


# -- 6. the checkpoint's time, taken holding the session file's lock ---------------------------

def test_a_checkpoint_waiting_on_the_session_lock_is_timed_after_its_release(
        project: Path, run: Runner) -> None:
    """``checkpoint`` while another process holds the session file's lock (the real
    flock holder of the thirteenth round): the commit's time (``git log --format=%ct``)
    comes after the release, never before (a time taken before the lock would be over
    a second earlier), and the checkpoint is recorded."""
    run("start", "--title", "T")
    (project / "work.txt").write_text("w\n")
    path = project / SESSION
    lock_file = Path(storage.lock_path(project / ".ai", path))
    released = _stamped_after_release(project, lock_file, ["checkpoint", "--note", "queued"])
    # (the release, on the boot clock, as wall-clock seconds)
    with open("/proc/uptime") as clock:
        uptime, now = float(clock.read().split()[0]), time.time()
    at = now - (uptime - released)
    [ref] = git(project, "for-each-ref", "--format=%(refname)",
                "refs/ai-protocols/checkpoints/").splitlines()
    # (0.05 s: the two clocks read apart; an early time is over a second earlier)
    assert int(git(project, "log", "-1", "--format=%ct", ref)) >= int(at - 0.05)
    assert "checkpoint: 1 " in path.read_text()


# -- 7. the write refusal's count, by kind ---------------------------------------------------


@pytest.mark.parametrize("added", [0, 1, 2])
def test_the_write_refusal_counts_a_reword_as_a_reword(
        project: Path, run: Runner, added: int) -> None:
    """git put back the committed version, a person reworded one of its entries and
    added ``added`` of their own: the refusal of a write (exit 6) and ``status`` say
    ``1 reworded entry`` (and the entries added, as entries), by the one rule, never the
    reword as an entry."""
    run("start", "--title", "S")
    run("log", "--progress", "P1", "--next", "N1", "--next", "N2")
    commit_all(project, "s")
    run("log", "--progress", "P2", "--done", "N1")
    git(project, "checkout", "--", SESSION)
    path = project / SESSION
    text = path.read_text().replace("] N2\n", "] N2 reworded\n")
    # (typed at a minute of their own: one the kept copy has an entry of would be read
    # as a reword of it, the one pairing rule)
    mine = "".join(f"- [ ] [2020-01-0{n + 1} Wed 10:00] typed {n}\n" for n in range(added))
    path.write_text(text.replace("** Decisions", mine + "** Decisions"))
    before = path.read_bytes()
    refused = run("log", "--progress", "x", check=False)
    assert refused.returncode == 6, refused.stderr
    said = "1 reworded entry" if not added else \
        f"{added} {'entry' if added == 1 else 'entries'} and 1 reworded entry"
    assert f"the file holds {said} the kept copy lacks" in refused.stderr, refused.stderr
    status = re.sub(r"\s+", " ", run("status").stdout)
    assert f"this file holds {said} the newer one lacks" in status, status
    assert path.read_bytes() == before


# -- 3. merge-kept with no committed base: a reworded entry kept once -------------------------


def _reworded_then_merged(project: Path, run: Runner, reword: str, typed: str | None = None,
                          *extra: str) -> subprocess.CompletedProcess[str]:
    """Log an entry, keep a copy of the file (never committed), log a second entry; a
    person rewrites the first entry's words in the copy as ``reword`` (and adds an
    entry ``typed`` of the same minute), the copy is put back (``mv``: the kept copy
    stays), then ``merge-kept EXTRA``."""
    path = project / SESSION
    run("start", "--title", "T")
    run("log", "--progress", "first entry of the session")
    older = project / "older.org"
    older.write_bytes(path.read_bytes())
    run("log", "--progress", "second entry")
    text = older.read_text()
    line = next(x for x in text.splitlines() if x.endswith("] first entry of the session"))
    new = line.replace("first entry of the session", reword)
    if typed is not None:
        new += "\n" + line.replace("first entry of the session", typed)
    older.write_text(text.replace(line, new))
    older.replace(path)
    return run("merge-kept", *extra)


def test_merge_kept_with_no_base_keeps_a_reworded_entry_once_in_the_files_words(
        project: Path, run: Runner) -> None:
    """No committed version of both: the entry the file words differently (same section
    and minute, most words alike) is one entry, kept once in the file's words (a
    person's edit after git put it back); the kept copy's words are named on stderr
    and in the Log; the second entry is there once."""
    done = _reworded_then_merged(project, run, "first entry of the session, reworded")
    items = _words((project / SESSION).read_text())
    assert items == ["first entry of the session, reworded", "second entry"], items
    assert "kept the file's words, left out the kept copy's" in done.stderr, done.stderr
    assert "first entry of the session'" in done.stderr
    assert "1 entry worded differently in the file and the kept copy: the file's words " \
        "kept" in (project / SESSION).read_text()


def test_merge_kept_wording_kept_keeps_the_kept_copys_words(project: Path,
                                                            run: Runner) -> None:
    done = _reworded_then_merged(project, run, "first entry of the session, reworded",
                                 None, "--wording", "kept")
    items = _words((project / SESSION).read_text())
    assert items == ["first entry of the session", "second entry"], items
    assert "kept the kept copy's words, left out the file's" in done.stderr, done.stderr


def test_merge_kept_never_takes_a_new_entry_of_the_same_minute_for_a_reword(
        project: Path, run: Runner) -> None:
    """A person's own entry, of the same minute as the kept copy's new one but unlike in
    words, is an entry, not a reword: every entry is kept, once each."""
    _reworded_then_merged(project, run, "first entry of the session",
                          "call Bob about the release")
    items = _words((project / SESSION).read_text())
    assert sorted(items) == sorted(["first entry of the session",
                                    "call Bob about the release", "second entry"]), items


# -- 4. an archived session put back by hand -------------------------------------------------


def test_an_archived_session_put_back_is_warned_of_and_merged_into_its_archive_once(
        project: Path, run: Runner) -> None:
    """A wrapped-up session copied back into ``.ai/session-context.org`` by hand, an entry
    typed into it since: ``start`` refuses it (exit 7) advising ``merge-kept``; ``status``,
    ``show``, ``resume`` and ``list`` warn of it as the writes refuse it; ``merge-kept``
    brings the typed entry into the archive once (every entry once), removes the copy, and
    ``start`` then begins a new session."""
    run("start", "--title", "T")
    run("log", "--progress", "logged before the wrap-up")
    run("wrap-up", "done")
    archive = _archive(project)
    path = project / SESSION
    text = archive.read_text()
    line = next(x for x in text.splitlines() if x.endswith("] logged before the wrap-up"))
    path.write_text(text.replace(line, line + "\n- [ ] [2020-01-02 Thu 10:00] typed since"))
    refused = run("start", check=False)
    assert refused.returncode == 7, refused.stderr
    assert f"ai-protocols merge-kept {path}" in refused.stderr, refused.stderr
    said = "this file is a copy of it (likely an editor's save"
    for command in ("status", "show", "resume", "list"):
        done = run(command)
        assert said in re.sub(r"\s+", " ", done.stdout + done.stderr), command
    merged = run("merge-kept")
    assert merged.stdout.strip() == str(archive)
    said = re.sub(r"\s+", " ", merged.stderr)
    assert f"merged {path}, a copy of a session already wrapped up (archived to {archive})" \
        in said and "into the archive: 1 entry written into it" in said, said
    items = _words(archive.read_text())
    assert sorted(items) == ["logged before the wrap-up", "typed since"], items
    assert not path.exists()
    run("start", "--title", "next")
    assert "typed since" not in path.read_text()
    assert sorted(_words(archive.read_text())) == ["logged before the wrap-up", "typed since"]


_WORDS = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                 max_size=40).map(str.strip).filter(lambda t: bool(t) and t[0] not in "-@")


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(typed=_WORDS)
def test_merge_kept_with_no_base_loses_no_entry_whatever_is_typed(
        tmp_path_factory: pytest.TempPathFactory, typed: str) -> None:
    """Whatever words a person types as a new entry of the kept copy's new entry's
    minute, into the file git put back: after ``merge-kept`` the typed entry is there in
    its words, the first entry once, and the kept copy's new entry too, unless the typed
    words are that entry's reworded (then one of the two, the file's)."""
    root = tmp_path_factory.mktemp("typed").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    done = _reworded_then_merged(root, run, "first entry of the session", typed)
    items = _words((root / SESSION).read_text())
    assert items.count("first entry of the session") == 1 or \
        typed == "first entry of the session", items
    assert typed in items, (items, done.stderr)
    assert "second entry" in items or "worded differently" in done.stderr, items
