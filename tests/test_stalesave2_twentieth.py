"""A stale save of the session file, typed in or not, loses nothing that the tool
wrote after the buffer was opened nor anything git brought, at the next write and at
``merge-kept`` (issue 14, twentieth round; docs/decisions.md, "Issue 14, twentieth round
(the base of a stale save's merge)").

The rule: the three-way merge of a stale save takes as its base the version the buffer
was opened on, and keeps every entry, tick and line any of the three newer versions
holds (the save, the kept copy, which is the tool's last write, and ``HEAD``'s) unless
the save removed it from that base. The old code took the kept copy as the base of a
typed save, so an entry the tool wrote after the buffer was opened and that ``HEAD``
lacked (left uncommitted over ``git pull --autostash``) counted as the person's
deletion and was dropped (the reviewer's f1.sh); ``merge-kept`` merged the kept copy
alone and dropped what the pull brought (f2.sh); ``status`` advised ``cp`` while the
write merged on its own (f4b.sh).

Two real clones of a bare repository, real ``git pull``, the installed console script;
the save written as Emacs writes a buffer (the bytes it was opened on, a line typed at
the end), by a rename or in place.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_merge_driver import git
from test_stalesave_twentieth import SESSION, _clones, _commit, _pull, _save, _show, _things

from conftest import Runner

KEPT = Path(".ai") / ".locks" / "live" / "session-context.org"
TYPED = "typed-by-hand note, kept"
_LOG_LINE = re.compile(r"^- \[\d{4}-\d\d-\d\d [^]\n]*\] (?:start|done|progress)[^\n]*$", re.M)


def _scenario(a: Path, b: Path, run_a: Runner, run_b: Runner, which: str) -> None:
    """What happens in clone ``b`` while a buffer is open on its session file."""
    if which == "autostash":  # (the tool's write left uncommitted over the pull)
        run_b("log", "--progress", "b1-wrote")
        _pull(a, b, run_a, 1, "autostash")
    elif which == "pull":  # (committed first, the pull a merge through the driver)
        run_b("log", "--progress", "b1-wrote")
        _pull(a, b, run_a, 1, "commit")
    elif which == "own":  # (an own commit between, a later write uncommitted)
        run_b("log", "--progress", "b1-wrote")
        _commit(b, "b1")
        run_b("log", "--progress", "b2-wrote")
        _pull(a, b, run_a, 1, "autostash")
    elif which == "after":  # (a fast-forward pull, the tool's write after it)
        _pull(a, b, run_a, 1, "commit")
        run_b("log", "--progress", "b1-wrote")
    else:  # "pushed": written, committed, pushed; the other clone's entry; pulled
        run_b("log", "--progress", "b1-wrote")
        _commit(b, "b1")
        git(b, "push", "-q", "origin", "HEAD:main")
        _pull(a, b, run_a, 1, "commit")


@pytest.mark.parametrize("action", ["write", "merge-kept"])
@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("which", ["autostash", "pull", "own", "after", "pushed"])
def test_a_stale_save_loses_nothing_of_any_version(tmp_path: Path, which: str, typed: bool,
                                                   how: str, action: str) -> None:
    """Every entry, tick and Log line of the save, the kept copy and ``HEAD``'s version
    is in the file after the next write (or ``merge-kept`` and a write), with the typed
    line; ``status`` says beforehand that the write merges them back (never ``cp``)."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    opened = (b / SESSION).read_bytes()  # (the buffer, opened before anything below)
    _scenario(a, b, run_a, run_b, which)
    saved = opened + (f"{TYPED}\n".encode() if typed else b"")
    versions = [saved, (b / KEPT).read_bytes(), _show(b, f"HEAD:./{SESSION}") or b""]
    _save(b, saved, how)
    want: set[str] = set()
    want_ticked: set[str] = set()
    log_lines: set[str] = set()
    for version in versions:
        text = version.decode("utf-8")
        items, ticked = _things(text)
        want |= items
        want_ticked |= ticked
        log_lines |= set(_LOG_LINE.findall(text))
    assert {"b1-wrote", "a1-pulled"} <= want and "n1-step" in want_ticked
    status = run_b("status").stdout
    # (what status says is what the write does: merge on its own, or, for a version
    # git holds put back with nothing typed over a write made since the pull (a
    # checkout looks the same), refuse with the cp of the kept copy, which holds all)
    refused = " cp " in status
    assert refused or "merges the two on its own" in status, status
    if refused:
        assert not typed and which == "after", status
    if action == "merge-kept":
        run_b("merge-kept", str(SESSION))
    elif refused:
        done = run_b("log", "--progress", "w8-refused", check=False)
        assert done.returncode == 6 and "cp " in done.stderr, done.stderr
        copy = re.search(r"cp (\S+) (\S+) \(from", status)
        assert copy is not None, status
        (b / copy.group(2)).write_bytes((b / copy.group(1)).read_bytes())
    run_b("log", "--progress", "w9-next")
    text = (b / SESSION).read_text(encoding="utf-8")
    now, now_ticked = _things(text)
    assert want | {"w9-next"} <= now, sorted(want - now)
    assert want_ticked <= now_ticked, sorted(want_ticked - now_ticked)
    assert log_lines <= set(_LOG_LINE.findall(text)), sorted(log_lines - set(
        _LOG_LINE.findall(text)))
    assert (TYPED in text) == typed
    assert refused or "merged back:" in text
