"""Issue 14, fourteenth round: ``merge-kept`` with no committed base, and a write whose
tidy-up fails after the write was made (docs/decisions.md, "Issue 14, fourteenth round
(merge-kept without a base)").

Seen: with no committed version of both, ``merge-kept`` took an agent's entry and a
different one a person typed in the same minute for one entry reworded and dropped the
agent's words (named, cut, on stderr only), then said "Nothing to merge"; with
``--wording kept`` the person's words were lost, and the count said "2 entries the file
lacked" for one entry and one reword. And a folder where the pending file's kept copy
goes made the write after an Emacs save fail (exit 9) after the entry was written: a
retry doubled it. The installed console script in real git repositories, throughout.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_archive_fourteenth import _reworded_then_merged, _words
from test_session_identity_twelfth import SESSION

from ai_protocols.liveness.host import boot_time, hostname
from ai_protocols.org.syntax import unescape_inline

from conftest import Runner

LEFT_OUT = "words of an entry worded differently, left out: "


def _left_out(text: str) -> list[str]:
    """The words ``merge-kept`` left out and wrote into the Log, unescaped."""
    return [unescape_inline(line.split(LEFT_OUT, 1)[1]) for line in text.splitlines()
            if LEFT_OUT in line]


def _held(text: str, words: str) -> bool:
    """Whether the session file ``text`` holds the entry ``words``: as an entry, or
    whole in the Log as words left out."""
    return words in _words(text) or any(line.endswith("] " + words)
                                        for line in _left_out(text))


_SUFFIX = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                  min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(suffix=_SUFFIX, wording=st.sampled_from(["file", "kept"]))
def test_merge_kept_with_no_base_drops_no_text_of_either_side(
        tmp_path_factory: pytest.TempPathFactory, suffix: str, wording: str) -> None:
    """A person types, in the file git put back, an entry of the same minute and like in
    words as the kept copy's new one (f2: "... in the lexer" / "... in the tokenizer"):
    whichever words ``merge-kept`` keeps as the entry, the other words are in the file
    whole, in the Log after the ``merged:`` line; it never says "Nothing to merge"
    after a merge, and it counts the reword apart from the entries the file lacked."""
    root = tmp_path_factory.mktemp("nobase").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    typed = f"second entry {suffix}"
    done = _reworded_then_merged(root, run, "first entry of the session", typed,
                                 "--wording", wording)
    text = (root / SESSION).read_text()
    assert _held(text, "second entry") and _held(text, typed), (text, done.stderr)
    assert _held(text, "first entry of the session"), text
    assert "Nothing to merge" not in done.stderr, done.stderr
    if "worded differently" in done.stderr:  # (taken as one entry reworded)
        assert len(_left_out(text)) == 1, text
        assert "Merged the kept copy in: 0 entries the file lacked; 1 entry reworded" \
            in done.stderr, done.stderr
        assert "merged: the newer version ai-protocols kept of this file, 0 entries the " \
            "file lacked" in text, text


def test_merge_kept_wording_kept_keeps_the_persons_words_whole_and_counts_by_kind(
        project: Path, run: Runner) -> None:
    """f5: ``--wording kept`` and a person's reword longer than stderr used to show: the
    person's words, whole, in the Log and on stderr (not cut); the kept copy's second
    entry counted as the one entry the file lacked, the reword apart."""
    reword = "first entry of the session, reworded (by a person) [x]"  # (its line: 85)
    done = _reworded_then_merged(project, run, reword, None, "--wording", "kept")
    text = (project / SESSION).read_text()
    assert _words(text) == ["first entry of the session", "second entry"], text
    left = _left_out(text)
    assert len(left) == 1 and left[0].endswith("] " + reword), left
    said = re.sub(r"\s+", " ", done.stderr)
    assert reword in said and "characters)" not in said, said
    assert "Merged the kept copy in: 1 entry the file lacked; 1 entry reworded" in said, said
    assert "kept of this file, 1 entry the file lacked" in text, text


def test_merge_kept_of_a_reword_only_writes_it_and_says_so(project: Path,
                                                           run: Runner) -> None:
    """A merge whose only change is an entry's other words: written (the Log holds
    them), and said as a merge, never "Nothing to merge"; a second merge-kept then has
    nothing to merge."""
    path = project / SESSION
    run("start", "--title", "T")
    run("log", "--progress", "first entry of the session")
    older = path.read_text()
    run("log", "--progress", "Fixed the parser bug in the lexer")
    line = next(x for x in older.splitlines() if x.endswith("] first entry of the session"))
    typed = line.replace("first entry of the session", "Fixed the parser bug in the tokenizer")
    (project / "older.org").write_text(older.replace(line, line + "\n" + typed))
    (project / "older.org").replace(path)
    done = run("merge-kept")
    text = path.read_text()
    assert "Nothing to merge" not in done.stderr, done.stderr
    assert _held(text, "Fixed the parser bug in the lexer"), text
    assert _held(text, "Fixed the parser bug in the tokenizer"), text
    again = run("merge-kept")
    assert "Nothing to merge" in again.stderr, again.stderr
    assert path.read_text() == text


def test_a_tidy_up_that_fails_after_the_write_warns_and_the_entry_is_written_once(
        project: Path, run: Runner) -> None:
    """f3: a folder where the pending file's kept copy goes, Emacs holds the session file:
    the write waits in the pending file (a warning, exit 0). After the save, the next
    write folds it and writes its own entry; removing the kept copy fails there (a
    directory): a warning, exit 0, never exit 9 with the entry written (whose retry
    doubled it). Each entry is in the file once."""
    path = project / SESSION
    run("start", "--title", "p")
    lock = project / ".ai/.#session-context.org"
    lock.symlink_to(f"me@{hostname()}.{os.getpid()}:{int(boot_time() or 0)}")
    folder = project / ".ai/.locks/live/.session-context.org.pending.org"
    folder.mkdir(parents=True)
    waited = run("log", "--progress", "waits in pending")
    assert "a directory stands there" in waited.stderr, waited.stderr
    lock.unlink()  # (the person saves in Emacs)
    done = run("log", "--progress", "four", check=False)
    assert done.returncode == 0, done.stderr
    assert "is written (the command is done: do not run it again)" in done.stderr, \
        done.stderr
    assert str(folder) in done.stderr, done.stderr
    text = path.read_text()
    assert text.count("] four\n") == 1 and text.count("] waits in pending\n") == 1, text
    assert folder.is_dir()
    folder.rmdir()
    run("log", "--progress", "five")
    text = path.read_text()
    assert text.count("] four\n") == 1 and text.count("] waits in pending\n") == 1, text


def test_a_tombstone_path_taken_by_a_folder_warns_after_the_write(
        project: Path, run: Runner) -> None:
    """The same kind: any tidy-up after the write is made (here the tombstone's removal,
    a folder standing at its name) warns, exit 0, the entry written once."""
    from ai_protocols.session.names import tombstone_path

    path = project / SESSION
    run("start", "--title", "t")
    tomb = Path(tombstone_path(str(project / ".ai"), str(path)))
    tomb.mkdir(parents=True)
    done = run("log", "--progress", "one", check=False)
    text = path.read_text()
    # (the folder is no note of a move: it never refuses the write, fifteenth round; it
    # was read as "cannot read session context ...gone: it is a directory", exit 6)
    assert done.returncode == 0, done.stderr
    assert text.count("] one\n") == 1, text
    assert "do not run it again" in done.stderr and str(tomb) in done.stderr, done.stderr
    again = run("log", "--progress", "two", check=False)
    assert again.returncode == 0 and path.read_text().count("] one\n") == 1


def test_merge_kept_into_an_archive_without_a_base_keeps_both_wordings(
        project: Path, run: Runner) -> None:
    """The same rule into an archive: a wrapped-up session copied back by hand with an
    entry reworded and one typed since (no commit: no base): ``merge-kept`` brings the
    typed entry into the archive, and the archive holds both wordings of the reworded
    one (one as the entry, the other whole in its Log)."""
    run("start", "--title", "T")
    run("log", "--progress", "logged before the wrap-up")
    run("wrap-up", "done")
    archive = next((project / ".ai/sessions").rglob("*.org"))
    path = project / SESSION
    text = archive.read_text()
    line = next(x for x in text.splitlines() if x.endswith("] logged before the wrap-up"))
    reword = line.replace("logged before the wrap-up", "logged before the wrap-up, again")
    path.write_text(text.replace(line, reword + "\n- [ ] [2020-01-02 Thu 10:00] typed since"))
    merged = run("merge-kept")
    after = archive.read_text()
    assert "typed since" in _words(after), after
    assert _held(after, "logged before the wrap-up"), (after, merged.stderr)
    assert _held(after, "logged before the wrap-up, again"), (after, merged.stderr)
