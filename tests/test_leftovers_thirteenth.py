"""Leftovers of killed operations, and messages, thirteenth review (issue 16; see
docs/decisions.md "Issue 16, thirteenth round (kill leftovers and messages)").

The installed console script runs as a subprocess in temporary git repositories; a
kill at an exact point is a real SIGKILL that strace(1) injects at a chosen system
call, and each test checks that the kill left the state it is about before going on.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rollover import block, filler, insert, stamp, started
from test_rollover_eleventh_b import HISTORY, git, killed_at, past_bound, unlink_number
from test_rollover_own import rolled_as

from ai_protocols.session.rollover import BOUND, LEAST
from ai_protocols.session.rollover_plan import held_by

from conftest import Runner


def temporaries(project: Path) -> list[Path]:
    """Every atomic write's temporary file under ``.ai/`` and the git folder's
    ``ai-protocols/``."""
    return sorted(p for top in (project / ".ai", project / ".git/ai-protocols")
                  if top.exists() for p in top.rglob(".*.tmp"))


# -- 1. A killed rollover's temporary kept copy, then a person's edit -------------------


def test_a_write_removes_a_killed_rollovers_temporary_files(
        project: Path, run: Runner) -> None:
    """Seen (thirteenth review, 7): a rollover killed before its kept copy's rename left
    ``.git/ai-protocols/.ai/history/session-context/.NAME.org.XXXX.tmp`` (the earlier
    file's size); a person then edited the live file, so the next write planned
    another rollover: the stray earlier file went, the temporary file stayed for good.
    The next write (the session file's lock held: no live writer's) removes every
    temporary file of the history folder and of its kept copies' folder."""
    path = past_bound(project, run)
    killed_at(project, "rename", 1, "log", "--progress", "killed")
    left = temporaries(project)
    assert any(".git/ai-protocols" in str(t) for t in left), "the kill missed its window"
    assert sorted((project / HISTORY).glob("*.org")), "the kill missed its window"
    path.write_text(path.read_text().replace("old decision 000000", "old decision EDITED"))
    run("log", "--progress", "next")
    assert temporaries(project) == []
    assert "old decision EDITED" in run("show", "--all").stdout


# -- 2. A killed adoption, re-run, finishes every step ----------------------------------


@pytest.fixture(scope="module")
def adoptable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project where agent ``a``'s session rolled over once (committed) and agent ``b``
    started: ready for ``b`` to adopt ``a``'s (copied for each kill)."""
    root = (tmp_path_factory.mktemp("adopt") / "proj").resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    rolled_as(root, run, "a", "adopted")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a rolled over")
    run("start", "--title", "b work", agent="b")
    return root


def of_a(project: Path) -> list[str]:
    """Every file or folder left of agent ``a``'s session: its file, pending file, kept
    copies, earlier files and their kept copies."""
    found = []
    for top in (project / ".ai", project / ".git/ai-protocols"):
        if top.exists():
            found += [str(p.relative_to(project)) for p in top.rglob("*")
                      if p.name in ("a", "a.org", ".a.org.pending.org")
                      or "a" in p.relative_to(project).parts[:-1]]
    return sorted(found)


@pytest.mark.parametrize(("syscall", "after"), [("unlink", 2), ("unlink", 3),
                                                ("unlink", 4), ("rmdir", None)])
def test_a_rerun_of_a_killed_adoption_finishes_every_step(
        adoptable: Path, tmp_path: Path, syscall: str, after: int | None) -> None:
    """Seen (thirteenth review, 8): an adoption killed after the session file went (at
    the second, third or fourth unlink after the session file's, or its first
    rmdir), re-run, said it adopted the
    session and left the old agent's kept session copy (``.ai/.locks/live/...``, the
    whole session) or the kept copy of an old earlier file (``.git/ai-protocols/...``)
    for good, though the docs say the re-run finishes. It finishes every step: nothing
    of the old agent's session is left, and the adopter's holds every entry."""
    project = tmp_path / "proj"
    shutil.copytree(adoptable, project, symlinks=True)
    adopt = ("recover", "a", "--adopt", "--force")
    when = 1 if after is None else after + unlink_number(
        project, lambda line: f'"{project}/.ai/session-context.d/a.org"' in line,
        *adopt, agent="b")
    killed_at(project, syscall, when, *adopt, agent="b")
    left = of_a(project)
    assert ".ai/session-context.d/a.org" not in left and left, \
        f"the kill missed its window: {left}"
    run = Runner(project)
    again = run("recover", "a", "--adopt", "--force", agent="b")
    assert again.stdout.strip().endswith(".ai/session-context.d/b.org")
    assert of_a(project) == [], f"left after {left}"
    whole = run("show", "--all", agent="b").stdout
    assert "adopted decision 000" in whole and "adopted decision 045" in whole


# -- 3. The "still over 4 MiB" warning names what can be closed or removed ----------------


def test_the_over_bound_warning_names_only_sections_whose_entries_hold_it(
        project: Path, run: Runner) -> None:
    """Seen (thirteenth review, 9): the warning named "Discoveries 1 KiB" (an empty
    section: its heading and drawer), "Summary 1 KiB" (one letter) and "Earlier
    entries 1 KiB" (the tool's own link, which it invited the user to remove). Each
    section is sized by its entries, less the links, and one holding under 1 KiB is
    not named: here Next steps alone."""
    path = started(run, project)
    decisions, _ = filler(0, LEAST + 50_000, "old")
    opened = "".join(block([f"- [ ] {stamp(n)} OPEN-{n:06d} " + "o" * 150])
                     for n in range(BOUND // 190))
    path.write_text(insert(insert(path.read_text(), "decisions", decisions), "next-steps",
                           opened))
    rolled = run("log", "--progress", "roll now")
    assert list((project / HISTORY).glob("*.org")), "no rollover"
    again = run("log", "--progress", "again")
    for said in (rolled.stderr, again.stderr):
        warning = said[said.index("still over 4 MiB"):]
        held = warning[warning.index("(") + 1:warning.index(")")]
        assert held.startswith("Next steps ") and "," not in held, held


_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=80).map(
    lambda s: "  " + s.replace("*", "x").strip())


@settings(max_examples=40, deadline=None)
@given(summary=st.lists(_LINE, max_size=40), context=st.lists(_LINE, max_size=40))
def test_held_by_names_a_section_only_for_its_own_text(summary: list[str],
                                                       context: list[str]) -> None:
    """Any text a person puts under Summary and Context: a section is named when what is
    below its heading and drawer holds at least 1 KiB, never for its heading, drawer
    or an empty section (Discoveries, Decisions)."""
    from ai_protocols.lean import datetime
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import new_session_text

    text = new_session_text(agent_id=None, host="h", title="T",
                            now=datetime(2026, 1, 1, 0, 0))
    text = insert(text, "summary", "".join(line + "\n" for line in summary))
    text = insert(text, "progress", "".join(line + "\n" for line in context))
    _, held = held_by(OrgFile(text))
    for title, lines in (("Summary", summary), ("Progress", context)):
        size = sum(len((line + "\n").encode()) for line in lines)
        assert (f"{title} " in held) == (size >= 1024), (held, size)
    assert "Discoveries" not in held and "Decisions" not in held


# -- 4. Messages: each names what the user typed and says what to do ----------------------


#: Texts every one-line text option refuses: no letter or digit to name an archive by,
#: or a control character (a line break among them) inside it.
_BAD_TEXT = st.one_of(
    st.text(st.sampled_from("!#$%&()*+,./:;<=>?@[]^_`{|}~ -"), min_size=1, max_size=8)
    .filter(lambda s: not s.startswith("-")),
    # (inside the text: surrounding white space, a line break among it, is stripped)
    # (no NUL: no command line can carry one, so no user can give it)
    st.tuples(st.text(st.characters(blacklist_characters="\x00"), max_size=6),
              st.sampled_from(["\x01", "\n", "\x1b", "\x7f"]),
              st.text(st.characters(blacklist_characters="\x00"), max_size=6))
    .map(lambda parts: "x" + "".join(parts) + "x"))


@pytest.fixture(scope="module")
def started_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = (tmp_path_factory.mktemp("names") / "proj").resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    Runner(root)("start", "--title", "t")
    return root


@settings(max_examples=8, deadline=None)
@given(bad=_BAD_TEXT)
def test_every_text_error_names_the_option_as_typed(started_once: Path, bad: str) -> None:
    """Seen (thirteenth review, 11): ``abandon --reason=!!!`` said "description '!!!'
    cannot be used". One rule: an error about a text names the option it was given
    as (``reason``; the argument ``description`` of ``wrap-up``), for any text that is
    refused (exit 4); nothing changes."""
    run = Runner(started_once)
    before = (started_once / ".ai/session-context.org").read_bytes()
    for args, name in ((("abandon", "--reason", bad), "reason"),
                       (("abandon", f"--reason={bad}"), "reason"),
                       (("wrap-up", bad), "description")):
        done = run(*args, check=False)
        assert done.returncode == 4, (args, done.stdout, done.stderr)
        # (a text refused names the option; a file @FILE that cannot be read names it
        # as typed: --reason '@x' ...)
        typed = args[1].partition("=")[0] if len(args) > 2 else name
        assert done.stderr.startswith((f"Error: {name} ", f"Error: {typed} ")), \
            (args, done.stderr)
    assert (started_once / ".ai/session-context.org").read_bytes() == before


@pytest.mark.parametrize(("args", "least"), [(("resume", "--max-bytes=10"), 2560),
                                             (("resume", "--max-bytes", "0"), 2560)])
def test_a_number_below_the_least_says_what_to_give(project: Path, run: Runner,
                                                   args: tuple[str, ...], least: int) -> None:
    """Seen (thirteenth review, 11): ``resume --max-bytes=10`` gave click's bare "10 is
    not in the range x>=2560". Every range error says what to do (exit 2, as any
    usage error)."""
    run("start", "--title", "t")
    done = run(*args, check=False)
    assert done.returncode == 2
    assert f"is too small: give {least} or more" in done.stderr, done.stderr


def test_a_folder_where_a_kept_copy_belongs_is_said(project: Path, run: Runner) -> None:
    """Seen (thirteenth review, 11): a folder where an earlier file's kept copy belongs
    (``.git/ai-protocols/...``): the copy silently never made, and ``git clean -fdx``
    then lost the entries. Each write says so, naming the place and what to do, as it
    does for the session file's own copy (``.ai/.locks/live/...``); the write stands."""
    path = past_bound(project, run)
    run("log", "--progress", "roll")
    (kept,) = sorted((project / ".git/ai-protocols").rglob("*.org"))
    kept.unlink()
    (kept / "x").mkdir(parents=True)
    said = run("log", "--progress", "one").stderr
    assert f"has no copy kept in {kept}: a directory stands there" in said, said
    live = project / ".ai/.locks/live/session-context.org"
    live.unlink()
    live.mkdir()
    said = run("log", "--progress", "two").stderr
    assert f"its copy could not be kept in {live}: a directory stands there" in said, said
    assert "] two\n" in path.read_text()
    assert temporaries(project) == []


def test_a_stray_left_by_a_checkout_is_not_blamed_on_a_killed_rollover(
        project: Path, run: Runner) -> None:
    """Seen (thirteenth review, 11): after a rollover, ``git checkout`` of the file's
    older version and an edit, the next write removed the earlier file (its entries
    are all in the file again) saying "a rollover killed before its second write left"
    it: no rollover was killed. The warning says only what is known: what it found,
    and what leaves such a file."""
    path = past_bound(project, run)
    run("log", "--progress", "roll")
    assert sorted((project / HISTORY).glob("*.org")), "no rollover"
    git(project, "checkout", "HEAD", "--", ".ai/session-context.org")
    (project / ".ai/.locks/live/session-context.org").unlink()  # (as on another clone)
    path.write_text(path.read_text().replace("old decision 000000", "old decision EDITED"))
    said = run("log", "--progress", "next", check=False).stderr
    assert "holds a copy of entries of" in said, said
    assert "that a rollover killed before its second write left" not in said
    assert "or an older version of" in said
