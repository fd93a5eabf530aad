"""A bounded session file (issue 16, part g; docs/decisions.md).

A write into a session file of more than ``BOUND`` bytes (4 MiB, the real bound:
the files here are made past it) moves its oldest closed entries, once, to an
earlier-entries file under ``.ai/history/`` that the live file links. The
installed console script runs as a subprocess in temporary git repositories;
real Emacs judges both files; a real ``git merge`` of two clones; a real
SIGKILL of the command while it rolls a file over.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.org.syntax import entry_lines
from ai_protocols.session.rollover import BOUND, KEEP

from conftest import CLI, Runner, as_last_written, clean_env
from emacs import JUDGES, assert_reader_agrees, org_element

CONTEXT = Path(".ai/session-context.org")
HISTORY = Path(".ai/history/session-context")
DAY = ("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed")  # 2026-01-01 is a Thursday


def stamp(n: int) -> str:
    """The n-th minute of January 2026 as an Org inactive timestamp."""
    day, minute = divmod(n, 1440)
    return f"[2026-01-{day + 1:02d} {DAY[day % 7]} {minute // 60:02d}:{minute % 60:02d}]"


def block(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def insert(text: str, key: str, body: str, *, first: bool = False) -> str:
    """``body`` appended to the section ``key`` (by CUSTOM_ID) of ``text`` (``first``:
    put first in it, as the oldest entries are)."""
    marker = f":CUSTOM_ID: {key}\n:END:\n"
    at = text.index(marker) + len(marker)
    if first:
        return text[:at] + body + text[at:]
    end = text.find("\n** ", at - 1)
    end = len(text) if end < 0 else end + 1
    return text[:end] + body + text[end:]


def filler(first: int, size: int, tag: str) -> tuple[str, list[str]]:
    """Decisions of about ``size`` bytes from minute ``first`` on: their text, and each
    entry's own text."""
    entries = []
    total = 0
    n = 0
    while total < size:
        entry = block(entry_lines(stamp(first + n), f"{tag} decision {n:06d} " + "d" * 150,
                                  rationale=f"because {tag} {n:06d}"))
        entries.append(entry)
        total += len(entry)
        n += 1
    return "".join(entries), entries


def started(run: Runner, project: Path) -> Path:
    run("start", "--title", "Long work", "--objective", "Keep the file small")
    run("log", "--progress", "An open step", "--next", "A next step", "--blocker", "A wall",
        "--key-file", "src/main.py", "--context", "Port 8080 is taken")
    run("log", "--current", "The step in progress", "--summary", "Where we are")
    return project / CONTEXT


def texts_of(project: Path) -> tuple[str, list[Path]]:
    """The live file's text and the earlier files (sorted)."""
    history = sorted((project / ".ai/history").rglob("*.org")) \
        if (project / ".ai/history").exists() else []
    return (project / CONTEXT).read_text(), history


def sample(pieces: list[str]) -> list[str]:
    """Some of ``pieces``, the first and last among them (counting each piece of
    thousands in 4 MB of text takes minutes: :func:`items` counts them all)."""
    return [*pieces[::97], *pieces[-3:]]


def items(project: Path) -> int:
    """The items at the start of a line, in the live file and the earlier files (but the
    links to the earlier files)."""
    live, history = texts_of(project)
    return sum(("\n" + text).count("\n- [") - ("\n" + text).count("\n- [[file:")
               for text in [live, *(p.read_text() for p in history)])


def count_everywhere(project: Path, *pieces: str) -> list[tuple[int, int]]:
    """How often each of ``pieces`` is in the live file, and in the earlier files."""
    live, history = texts_of(project)
    earlier = [path.read_text() for path in history]
    return [(live.count(piece), sum(text.count(piece) for text in earlier))
            for piece in pieces]


def test_a_file_over_the_bound_rolls_over_on_the_next_log(project: Path, run: Runner) -> None:
    path = started(run, project)
    text = path.read_text()
    old, old_entries = filler(0, BOUND + 200_000, "old")
    person = "A person's paragraph between two decisions, left in place.\n"
    cut = len(old_entries) // 3
    old = "".join(old_entries[:cut]) + person + "".join(old_entries[cut:])
    closed = block(entry_lines(stamp(5), "A closed step", checkbox=True))
    still_open = block(entry_lines(stamp(6), "An old open step", checkbox=False))
    logged = "".join(f"- {stamp(n)} progress: note {n:06d}\n" for n in range(7, 400))
    text = insert(text, "decisions", old)
    text = insert(text, "progress", closed + still_open, first=True)
    text = insert(text, "log", logged)
    text += "*** A person's own heading\nTheir notes.\n"
    path.write_text(text)
    before = path.read_text()
    assert len(before.encode()) > BOUND
    count = items(project)
    drawer = [line + "\n" for line in before[before.index("* Session"):before.index(
        "** Summary")].splitlines()[2:-1] if not line.startswith(":UPDATED")]
    kept = ["Where we are\n", "A next step", "A wall", "src/main.py",
            "Port 8080 is taken", "An open step", "[-]", "The step in progress", still_open,
            person, "*** A person's own heading\nTheir notes.\n"]

    run("log", "--discovery", "After the bound")

    live, history = texts_of(project)
    assert len(history) == 1 and history[0].parent == project / HISTORY
    assert len(live.encode()) <= KEEP + 10_000 < BOUND
    assert "** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n- [[file:" \
        f"history/session-context/{history[0].name}][earlier entries]] from " in live
    for piece in kept:  # the resume point, open items, a person's text: where they were
        assert live.count(piece) == 1 and piece not in history[0].read_text(), piece
    for line in drawer:  # (the earlier file's drawer names the session too)
        assert live.count(line) == 1, line
    moved = history[0].read_text()
    assert items(project) == count + 1  # (the discovery logged): none lost, none doubled
    pieces = sample([*old_entries, closed, *logged.splitlines(True)])
    for piece, found in zip(pieces, count_everywhere(project, *pieces), strict=True):
        assert found in ((1, 0), (0, 1)), piece
    assert closed in moved and old_entries[0] in moved
    assert moved.index(old_entries[0]) < moved.index(old_entries[cut]) \
        < moved.index(old_entries[cut + 1])
    assert moved.startswith("#+TITLE: Earlier entries of Session: Long work\n")
    assert ":SESSION_STARTED:" in moved and ":STATUS:" not in moved
    shown = json.loads(run("show", "--json").stdout)
    assert shown["earlier"] == [{"path": str(history[0]), "from": "2026-01-01T00:00",
                                 "to": shown["earlier"][0]["to"],
                                 "entries": shown["earlier"][0]["entries"]}]
    assert shown["earlier"][0]["entries"] == moved.count("\n- [")
    assert shown["objective"] == "Keep the file small"
    assert shown["current"]["text"] == "The step in progress"
    assert "earlier entries:" in run("show").stdout
    resumed = json.loads(run("resume", "--json").stdout)
    assert resumed["earlier"]["files"] == 1
    assert "ai-protocols show --all" in run("resume").stdout

    # It rolls over once: the next writes leave it be.
    run("log", "--progress", "Small again")
    assert len(texts_of(project)[1]) == 1


def test_a_file_within_the_bound_and_one_of_open_items_stay_as_they_are(
        project: Path, run: Runner) -> None:
    path = started(run, project)
    text = path.read_text()
    # Within the bound: nothing moves.
    small, _ = filler(0, BOUND - 300_000, "small")
    path.write_text(insert(text, "decisions", small))
    run("log", "--discovery", "Still small")
    assert not (project / ".ai/history").exists()
    # Past it, but nearly all of it open items: nothing may move, and nothing does.
    opened = "".join(block(entry_lines(stamp(n), f"open step {n:06d} " + "o" * 200,
                                       checkbox=False)) for n in range(20_000))
    path.write_text(insert(text, "progress", opened))
    as_last_written(project, path)
    run("log", "--discovery", "Open items stay")
    assert not (project / ".ai/history").exists()
    assert opened in path.read_text()


# Texts as a person and the tool write them: one line, several lines (an example
# block), text that looks like Org structure.
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
                min_size=1, max_size=30) | \
    st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
             min_size=2, max_size=3).map("\n".join) | \
    st.sampled_from(["* not a headline", "#+begin_src", "- [ ] no box", ":END:", "| a |"])
_NOTE = st.text(st.characters(whitelist_categories=("L", "N", "P", "Zs")), min_size=1,
                max_size=20).filter(str.strip)
_PIECE = st.tuples(st.sampled_from(["decision", "discovery", "log", "closed", "free"]),
                   _TEXT, st.none() | _NOTE, st.none() | _TEXT)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pieces=st.lists(_PIECE, min_size=1, max_size=12))
def test_every_entry_is_in_exactly_one_file_byte_for_byte(
        tmp_path_factory: pytest.TempPathFactory, pieces: list[tuple]) -> None:
    """Entries of every movable kind, with a person's indented note under some and a
    person's paragraph between some, first (the oldest) in a file past the bound: after
    the next ``log``, each entry is in exactly one file, whole, and each paragraph in
    the live file."""
    root = tmp_path_factory.mktemp("roll") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    path = started(run, root)
    text = path.read_text()
    entries: list[str] = []
    free: list[str] = []
    sections = {"decisions": "", "discoveries": "", "log": "", "progress": ""}
    for n, (kind, body, note, rationale) in enumerate(pieces):
        marker = f"P{n:03d}"
        if kind == "free":
            paragraph = f"Free {marker}: {note or 'text'}\n"
            free.append(paragraph)
            sections["decisions"] += paragraph
            continue
        if kind == "log":
            lines = [f"- {stamp(n)} progress: {marker} " + body.replace("\n", " ")]
        else:
            lines = entry_lines(stamp(n), f"{marker} {body}",
                                checkbox=True if kind == "closed" else None,
                                rationale=rationale if kind == "decision" else None)
        if note is not None:
            lines.append(f"  {note} {marker}")
        entry = block(lines)
        entries.append(entry)
        sections[{"decision": "decisions", "discovery": "discoveries", "log": "log",
                  "closed": "progress"}[kind]] += entry
    bulk, _ = filler(100, BOUND + 100_000, "bulk")
    for key, body in sections.items():
        text = insert(text, key, body + (bulk if key == "decisions" else ""))
    path.write_text(text)

    run("log", "--progress", "The write that rolls it over")

    live, history = texts_of(root)
    assert len(history) == 1
    moved = history[0].read_text()
    for entry in entries:
        assert (live.count(entry), moved.count(entry)) in ((1, 0), (0, 1)), entry
    for paragraph in free:
        assert (live.count(paragraph), moved.count(paragraph)) == (1, 0), paragraph
    order = [moved.index(e) for e in entries if e in moved]
    by_section = {}
    for at in order:
        by_section.setdefault(moved.rfind("\n** ", 0, at), []).append(at)
    assert all(ats == sorted(ats) for ats in by_section.values())


def rolled(project: Path, run: Runner) -> tuple[Path, list[str]]:
    """A session rolled over, its entries (a few, with big texts: quick for Emacs)."""
    path = started(run, project)
    text = path.read_text()
    entries = [block(entry_lines(stamp(n), f"big decision {n:03d}\n" + "b" * 100_000,
                                 rationale=f"reason {n:03d}")) for n in range(46)]
    text = insert(text, "decisions", "".join(entries))
    path.write_text(text)
    run("log", "--discovery", "Rolled")
    return path, entries


def test_emacs_parses_both_files_and_follows_the_link(project: Path, run: Runner) -> None:
    path, _ = rolled(project, run)
    history = texts_of(project)[1]
    assert len(history) == 1
    parsed = org_element([path, history[0]])
    for file, result in zip([path, history[0]], parsed, strict=True):
        assert_reader_agrees(file, result)
    live, earlier = parsed
    assert [h["title"] for h in earlier["headlines"]] == \
        ["Earlier entries", "Progress", "Decisions", "Discoveries", "Blockers", "Next steps",
         "Log"]
    assert earlier["headlines"][0]["properties"]["SESSION_TITLE"] == "Long work"
    assert "Earlier entries" in [h["title"] for h in live["headlines"]]
    script = project / "links.el"
    script.write_text(
        "(require 'org)\n(require 'org-element)\n"
        "(dolist (file command-line-args-left)\n"
        "  (with-temp-buffer\n    (insert-file-contents file)\n"
        "    (setq default-directory (file-name-directory file))\n    (org-mode)\n"
        "    (org-element-map (org-element-parse-buffer) 'link\n"
        "      (lambda (link)\n"
        "        (princ (format \"%s %s %s\\n\" (org-element-property :type link)\n"
        "                       (org-element-property :path link)\n"
        "                       (file-exists-p (expand-file-name\n"
        "                                       (org-element-property :path link)))))))))\n"
        "(setq command-line-args-left nil)\n")
    for judge in JUDGES:
        out = judge.run(["-l", str(script), str(path)]).stdout.split()
        assert out == ["file", f"history/session-context/{history[0].name}", "t"], judge


def test_show_all_gives_every_entry_in_order(project: Path, run: Runner) -> None:
    path = started(run, project)
    text = path.read_text()
    old, _ = filler(0, BOUND + 100_000, "old")
    logged = "".join(f"- {stamp(n)} progress: note {n:06d}\n" for n in range(10, 300))
    closed = "".join(block(entry_lines(stamp(n), f"closed {n}", checkbox=True))
                     for n in range(3, 9))
    path.write_text(insert(insert(insert(text, "decisions", old), "log", logged),
                           "progress", closed, first=True))
    whole_before = json.loads(run("show", "--json").stdout)
    run("log", "--discovery", "After")
    assert texts_of(project)[1]
    shown = json.loads(run("show", "--json").stdout)
    assert len(shown["decisions"]) < len(whole_before["decisions"])
    whole = json.loads(run("show", "--all", "--json").stdout)
    for key in ("decisions", "next", "blockers", "key_files", "context"):
        assert whole[key] == whole_before[key], key
    assert [e["text"] for e in whole["progress"]] == \
        sorted([e["text"] for e in whole_before["progress"]],
               key=lambda t: not t.startswith("closed"))  # (by time: the closed are older)
    assert whole["discoveries"] == [*whole_before["discoveries"], shown["discoveries"][-1]]
    assert [e for e in whole["log"] if e["text"] != "After"] == whole_before["log"]
    assert whole["earlier"] == shown["earlier"]
    assert "old decision 000000" in run("show", "--all").stdout
    assert "old decision 000000" not in run("show").stdout


def test_wrap_up_archives_the_earlier_files_and_its_links_work(project: Path,
                                                               run: Runner) -> None:
    rolled(project, run)
    assert len(json.loads(run("status", "--json").stdout)) == 1
    assert [r["kind"] for r in json.loads(run("list", "--json").stdout)] == ["open"]
    resolver = subprocess.run([str(project / ".ai/scripts/session-context-path")],
                              cwd=project, env=clean_env(), capture_output=True, text=True,
                              check=True).stdout.strip()
    assert resolver == str(project / CONTEXT)
    run("wrap-up", "Done")
    archives = json.loads(run("list", "--json").stdout)
    assert [r["kind"] for r in archives] == ["archived"]
    archive = Path(archives[0]["path"])
    folder = archive.with_suffix("")
    moved = sorted(folder.glob("*.org"))
    assert len(moved) == 1 and not list((project / ".ai/history").rglob("*.org"))
    text = archive.read_text()
    link = text[text.index("[[file:") + 7:text.index("][earlier entries]]")]
    assert (archive.parent / link).resolve() == moved[0]
    assert "big decision 000" in moved[0].read_text()
    run("start", "--title", "Next")
    assert sorted(r["kind"] for r in json.loads(run("list", "--json").stdout)) == \
        ["archived", "open"]
    assert len(json.loads(run("status", "--json").stdout)) == 1


def test_an_earlier_file_git_cleans_away_comes_back(project: Path, run: Runner) -> None:
    """As the session file's, a copy of each earlier file is kept per machine: ``git
    clean`` of an uncommitted one loses nothing (``show --all`` reads the copy), and the
    next write puts it back; the archive takes it, and its copy goes."""
    rolled(project, run)
    earlier = texts_of(project)[1][0]
    data = earlier.read_bytes()
    subprocess.run(["git", "clean", "-fdq", ".ai/history"], cwd=project, check=True)
    assert not earlier.exists()
    assert "big decision 000" in run("show", "--all").stdout
    run("log", "--discovery", "Back")
    assert earlier.read_bytes() == data
    run("wrap-up", "Done")
    assert not list((project / ".git/ai-protocols").rglob("*.org"))
    assert not list((project / ".ai/.locks/live/history").rglob("*.org"))


def test_abandon_archives_the_earlier_files_too(project: Path, run: Runner) -> None:
    rolled(project, run)
    run("abandon", "--reason", "Not needed")
    archives = [Path(r["path"]) for r in json.loads(run("list", "--json").stdout)
                if r["kind"] == "archived"]
    assert len(archives) == 1
    moved = list(archives[0].with_suffix("").glob("*.org"))
    assert len(moved) == 1 and not list((project / ".ai/history").rglob("*.org"))
    text = archives[0].read_text()
    assert f"[[file:{archives[0].stem}/{moved[0].name}][earlier entries]]" in text


def test_an_agents_file_rolls_over_into_its_own_folder_and_adoption_keeps_the_links(
        project: Path, run: Runner) -> None:
    agent = "host.proj.claude.1"
    run("start", "--title", "Theirs", agent=agent)
    path = project / ".ai/session-context.d" / f"{agent}.org"
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    run("log", "--discovery", "Rolled", agent=agent)
    folder = project / ".ai/history/session-context.d" / agent
    assert len(list(folder.glob("*.org"))) == 1
    assert len(json.loads(run("status", "--json").stdout)) == 1
    # A run without an id adopts it into .ai/session-context.org, another folder: the
    # files go with it into its history folder (the only one whose files are its:
    # decisions.md, "Issue 16, eighth review (which earlier files are the session's)"),
    # and the links, rewritten, lead to them.
    names = [p.name for p in folder.glob("*.org")]
    run("recover", agent, "--adopt", "--force")
    shown = json.loads(run("show", "--json").stdout)
    assert shown["path"] == str(project / CONTEXT)
    assert [Path(e["path"]) for e in shown["earlier"]] == [project / HISTORY / n for n in names]
    assert not list(folder.glob("*.org"))
    assert f"[[file:history/session-context/{names[0]}]" in (project / CONTEXT).read_text()


def test_a_sigkill_while_rolling_over_loses_and_doubles_nothing(project: Path,
                                                                run: Runner) -> None:
    """The command is killed the moment its earlier file appears (before the live file
    is written, most times), and at other moments: after the next write, every entry
    is in exactly one linked file, and no earlier file is left that no link names."""
    path = started(run, project)
    base = path.read_text()
    old, entries = filler(0, BOUND + 300_000, "old")
    original = insert(base, "decisions", old)
    path.write_text(original)
    count = items(project)
    windows = 0
    for attempt in range(6):
        path.write_text(original)
        as_last_written(project, path)
        for stray in (project / ".ai/history").rglob("*") if \
                (project / ".ai/history").exists() else []:
            if stray.is_file():
                stray.unlink()
        child = subprocess.Popen([str(CLI), "log", "--discovery", f"try {attempt}"],
                                 cwd=project, env=clean_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        if attempt % 2 == 0:  # the moment the earlier file is there
            while child.poll() is None and not (
                    (project / HISTORY).exists() and any((project / HISTORY).glob("*.org"))):
                pass
        else:  # some moment on the way (no time is asserted: any moment must do)
            time.sleep(0.1 * attempt)
        child.send_signal(signal.SIGKILL)
        child.wait()
        live = path.read_text()
        windows += "[[file:" not in live and (project / HISTORY).exists() and \
            any((project / HISTORY).glob("*.org"))  # (killed between the two writes)
        # A person edits the live file before the next write (a paragraph of their own):
        # the next write plans another cut, and the first earlier file, if the kill left
        # one, is redundant: it goes (sixth review).
        path.write_text(path.read_text() + "A person's paragraph. " * 300 + "\n")
        for found in count_everywhere(project, *sample(entries)):  # nothing lost
            assert sum(found) >= 1
        run("log", "--discovery", f"after {attempt}")
        live, history = texts_of(project)
        names = [p.name for p in history]
        assert len(names) == 1 and f"{names[0]}][earlier entries]]" in live
        tried = sum(count_everywhere(project, f"try {attempt}\n")[0])
        assert tried in (0, 1)  # (the killed write was done, or not at all)
        assert items(project) == count + 1 + tried
        assert live.count("A person's paragraph. " * 300) == 1
        for entry, found in zip(sample(entries), count_everywhere(project, *sample(entries)),
                                strict=True):
            assert found in ((1, 0), (0, 1)), (attempt, entry)
        assert not [p for p in (project / HISTORY).iterdir() if p.name.endswith(".tmp")]
    print(f"killed between the two writes {windows} times of 6")


def test_a_merge_where_one_side_rolled_over_keeps_every_entry_once(tmp_path: Path) -> None:
    from test_merge_driver import Clones, git

    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    path = clones.one / CONTEXT
    old, entries = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    count = items(clones.one)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one("log", "--discovery", "One rolls over")
    assert texts_of(clones.one)[1]
    clones.commit(clones.one, "rolled")
    two("log", "--discovery", "Two logs")
    clones.commit(clones.two, "two")
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    pieces = [*sample(entries), "One rolls over", "Two logs"]
    for piece, found in zip(pieces, count_everywhere(clones.one, *pieces), strict=True):
        assert sum(found) == 1, piece
    assert items(clones.one) == count + 2


def test_a_merge_where_both_sides_rolled_over_the_same_file_keeps_every_entry_once(
        tmp_path: Path) -> None:
    """Both clones roll the same file over (each at its next write): the same earlier
    file, by name and bytes, on both sides, and the same cut in the live file; git
    takes the one file, and the driver merges what each side logged after."""
    from test_merge_driver import Clones, git

    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    path = clones.one / CONTEXT
    old, entries = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    count = items(clones.one)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one("log", "--discovery", "One rolls over")
    two("log", "--discovery", "Two rolls over")
    assert [p.name for p in texts_of(clones.one)[1]] == [p.name for p in texts_of(clones.two)[1]]
    clones.commit(clones.one, "one")
    clones.commit(clones.two, "two")
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert len(texts_of(clones.one)[1]) == 1
    pieces = [*sample(entries), "One rolls over", "Two rolls over"]
    for piece, found in zip(pieces, count_everywhere(clones.one, *pieces), strict=True):
        assert sum(found) == 1, piece
    assert items(clones.one) == count + 2


# -- The rule, as docs/decisions.md ("Issue 16, part g") states it, written out plainly
# over a list of lines: the streamed rollover must give these very bytes (sixth review).

def _item_end(lines: list[str], at: int) -> int:
    """Where the item at ``lines[at]`` ends by Org's rule (the Org manual, "Plain
    Lists"): before the first line indented no more than its bullet, or at two blank
    lines; a block opened in it taken whole; trailing blank lines not its own."""
    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" \t"))

    bullet, end, index, blanks = indent(lines[at]), at + 1, at + 1, 0
    while index < len(lines):
        line = lines[index].rstrip("\n")
        if not line.strip():
            blanks += 1
            if blanks == 2:
                break
            index += 1
            continue
        if indent(line) <= bullet:
            break
        blanks = 0
        close = _closed_at(lines, index)
        if close is not None:
            index = close
        index += 1
        end = index
    return end


def _closed_at(lines: list[str], index: int) -> int | None:
    """The line closing the block (``#+begin_NAME``, ``#+begin:``) or drawer (``:NAME:``)
    that ``lines[index]`` opens, as Org 9.5's ``org-element--list-struct`` finds it."""
    import re

    word = lines[index].strip(" \t\n")
    found = re.match(r"#\+begin(:|_\S+)", word, re.I)
    if found:
        end = "#+end" + ("" if found.group(1) == ":" else found.group(1)) + ":" * (
            found.group(1) == ":")
    elif re.fullmatch(r":[\w-]+:[ \t]*", word):
        end = ":end:"
    else:
        return None
    return next((n for n in range(index + 1, len(lines))
                 if lines[n].strip(" \t\n").lower() == end.lower()), None)


def _ties(text: str, radios: list[str] = []) -> bool:  # noqa: B006 (never changed)
    """Whether an entry's text ``text`` holds what ties it to text elsewhere in its file
    (docs/decisions.md, "Issue 16, eighth review (rollover and Org structure)"):
    ``radios`` the texts of the file's radio targets (a use of one, in any case and
    spacing, ties too)."""
    import re

    if any(re.search(r"\s+".join(map(re.escape, r.split())), text, re.IGNORECASE)
           for r in radios if r.split()):
        return True
    links = re.findall(r"\[\[((?:[^\[\]\\]|\\.)+)\](?:\[|\])", text)
    anywhere = ("http", "https", "ftp", "mailto", "news", "doi", "id", "info", "man", "help",
                "irc", "rmail", "gnus", "bbdb", "w3m")
    return bool(
        re.search(r"\[fn:[^:]|\{\{\{|\(ref:", text)
        or re.search(r"(?<!<)<<<?(?:[^<>\n \t]|[^<>\n \t][^<>\n]*[^<>\n \t])>>", text)
        or any(not (link[:1] in "/~" or link.split(":")[0].lower() in anywhere or (
            ":" in link and link.split(":")[0].lower() in ("file", "file+sys", "file+emacs",
                                                           "docview")
            and link.split(":", 1)[1][:1] in ("/", "~")))
               for link in links)
        or re.search(r"(?<![^\W_])(?:file|file\+\w+|attachment|docview):[^\s()<>\[\]/~]",
                     text)
        or re.search(r"(?<![^\W_])call_[^()\s]+(?:\[[^\]\n]*\])?\(", text)
        or any(not (k.upper() in ("CAPTION", "HEADER", "HEADERS", "PLOT")
                    or k.upper().startswith("ATTR_"))
               for k in re.findall(r"(?m)^[ \t]*#\+(\S+?)(?:\[[^\]\n]*\])?:", text)))


def _held_lines(lines: list[str], spans: list[tuple[int, int]]) -> set[int]:
    """The lines of ``lines`` whose entries stay for a container or a named list: the
    lines not in the entries ``spans`` (``(first, end)``) opening a block, drawer or
    footnote definition hold the lines up to its end; an affiliated keyword line right
    above an item, the lines of its list up to the list's end."""
    import re

    inside = {n for a, b in spans for n in range(a, b)}
    starts = {a for a, _ in spans}  # (a set: a scan of the spans per line was quadratic)
    held: set[int] = set()
    affiliated = r"#\+(CAPTION|DATA|HEADERS?|LABEL|NAME|PLOT|RESNAME|RESULTS?|SOURCE|SRCNAME" \
                 r"|TBLNAME|ATTR_\S+?)(?:\[[^\]\n]*\])?:"
    item = r"(?:[-+*]|[0-9]+[.)])(?:[ \t]|$)"
    index = 0
    while index < len(lines):
        if index in inside:
            index += 1
            continue
        line = lines[index]
        close = _closed_at(lines, index)
        if close is None and re.match(r"\[fn:[-_\w]+\]", line):
            close = index + 1
            while close < len(lines) and not re.match(r"\[fn:[-_\w]+\]", lines[close]) \
                    and not (lines[close].strip() == "" and close + 1 < len(lines)
                             and lines[close + 1].strip() == ""):
                close += 1
            close -= 1
        if close is not None:
            held.update(range(index, close + 1))
            index = close + 1
            continue
        if re.match(affiliated, line.lstrip(" \t"), re.I) and index + 1 < len(lines) \
                and re.match(item, lines[index + 1].lstrip(" \t")):
            top = len(lines[index + 1]) - len(lines[index + 1].lstrip(" \t"))
            end = index + 1
            while end < len(lines):
                bare = lines[end].rstrip("\n")
                if re.match(item, bare.lstrip(" \t")) and (end not in inside or
                                                             end in starts):
                    top = min(top, len(bare) - len(bare.lstrip(" \t")))
                if end not in inside and not bare.strip() and end + 1 < len(lines) \
                        and not lines[end + 1].strip():
                    break
                if end not in inside and bare.strip() and not re.match(
                        item, bare.lstrip(" \t")) and len(bare) - len(bare.lstrip(" \t")) <= top:
                    break
                end += 1
            held.update(range(index, end))
        index += 1
    return held


def reference_rollover(text: str) -> tuple[str, bytes, str]:
    """The earlier file's name and bytes and the live file without its new link, as
    the rule makes them from ``text`` (a file past the bound, with "\\n" endings)."""
    import re

    from ai_protocols.org.syntax import format_property, format_timestamp, parse_entries
    from ai_protocols.session.layout import EXPORT_OPTIONS, SECTIONS
    from ai_protocols.session.rollover import CLOSED_ONLY, LEAST, MOVABLE

    radios = re.findall(r"<<<((?:[^<>\n \t]|[^<>\n \t][^<>\n]*[^<>\n \t]))>>", text)
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    heads = [n for n, line in enumerate(lines) if line.startswith("*")
             and line.lstrip("*").startswith(" ")] + [len(lines)]
    session = next(n for n in heads if lines[n].startswith("* "))
    spans = []  # (order, rank, first, end, bytes, time)
    for rank, key in enumerate(MOVABLE):
        head = next(n for n in heads if lines[n].startswith("** ")
                    and lines[n + 2] == f":CUSTOM_ID: {key}\n")
        start, end = head + 4, next(n for n in heads if n > head)
        upto = lines[:end]  # (once: a slice per entry made the rule quadratic)
        reach, seen, found, tops = 0, None, [], []
        for entry in parse_entries(lines, start, end):
            if entry.line >= reach:
                reach = _item_end(upto, entry.line)
                tops.append((entry.line - start, reach - start))
        held = {n + start for n in _held_lines(lines[start:end], tops)}
        reach = 0
        for entry in parse_entries(lines, start, end):
            if entry.line < reach:
                if entry.done is False and found and \
                        found[-1][2] < entry.line < found[-1][3]:
                    found.pop()
                continue
            reach = _item_end(upto, entry.line)
            if entry.time is not None:
                seen = entry.time if seen is None else max(seen, entry.time)
            if entry.line in held or _ties("".join(lines[entry.line:reach]), radios):
                continue
            if key not in CLOSED_ONLY or entry.done is True:
                found.append((seen or datetime(1, 1, 1), rank, entry.line, reach,
                              len("".join(lines[entry.line:reach]).encode()), entry.time))
        spans += found
    assert sum(s[4] for s in spans) >= LEAST
    need, moved, chosen = len(text.encode()) - KEEP, 0, []
    for span in sorted(spans, key=lambda s: s[:3]):
        if moved >= need:
            break
        chosen.append(span)
        moved += span[4]
    times = [s[5] for s in chosen if s[5] is not None]
    first, last = min(times), max(times)
    props = {k: v for k, v in (line.rstrip("\n").split(None, 1) for line in
                               lines[session + 2:lines.index(":END:\n", session)])}
    drawer = [("SESSION_TITLE", props[":SESSION_TITLE:"]), ("AGENT_ID", props.get(":AGENT_ID:")),
              ("SESSION_STARTED", props[":STARTED:"]),
              ("SESSION_ID", props.get(":SESSION_ID:")),
              ("SESSION_OBJECTIVE", props.get(":OBJECTIVE:")),
              ("ENTRIES_FROM", format_timestamp(first)),
              ("ENTRIES_TO", format_timestamp(last)), ("ENTRIES", str(len(chosen)))]
    out = [f"#+TITLE: Earlier entries of Session: {props[':SESSION_TITLE:']}\n",
           f"#+OPTIONS: {EXPORT_OPTIONS}\n", "\n", "* Earlier entries\n", ":PROPERTIES:\n",
           *(format_property(k, v) + "\n" for k, v in drawer if v), ":END:\n"]
    gone = set()
    for rank, key in enumerate(MOVABLE):
        title = dict(SECTIONS)[key]
        out.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {key}\n:END:\n")
        for span in sorted(s for s in chosen if s[1] == rank):
            out.append("".join(lines[span[2]:span[3]]))
            gone.update(range(span[2], span[3]))
    data = "".join(out).encode()
    name = f"{first:%Y-%m-%dT%H-%M}--{last:%Y-%m-%dT%H-%M}-{hashlib.sha256(data).hexdigest()[:8]}"
    return name + ".org", data, "".join(line for n, line in enumerate(lines) if n not in gone)


def _without_write(live: str) -> str:
    """The live file without what the write itself changed: its new link's section,
    the UPDATED lines and the lines of the entry it logged (``ROLLWRITE``)."""
    at = live.index("** Earlier entries\n")
    live = live[:at] + live[live.index("\n** ", at) + 1:]
    return "".join(line for line in live.splitlines(True)
                   if not line.startswith(":UPDATED") and "ROLLWRITE" not in line)


_OPEN = st.tuples(st.just("open"), _TEXT, st.none() | _NOTE, st.none())
_NESTED = st.tuples(st.just("nested"), _TEXT, st.none(), st.none())
# What ties an entry to text that stays (eighth review): a person's line under an entry,
# and a person's line between entries (a container's, a named list's, a footnote's).
_TIE = st.sampled_from(["[fn:1]", "[fn:: whole]", "<<t>>", "<<<r>>>", "[[t]]", "[[#id]]",
                        "[[https://orgmode.org]]", "file:x.txt", "file: no link",
                        "file:/abs", "{{{m}}}", "call_f()", "#+NAME: n", "#+CAPTION: c",
                        ":NOTES:", ":END:", "#+begin_quote", "#+end_quote", "#+BEGIN: x",
                        "#+END:", "(ref:r)"])
_TIED = st.tuples(st.sampled_from(["decision", "closed", "log"]), _TEXT, _TIE, st.none())
_STRUCT = st.tuples(st.just("struct"), st.sampled_from(
    ["#+NAME: n", "#+ATTR_HTML: :x 1", "#+TITLE: t", "[fn:2] a definition", ":NOTES:",
     ":END:", "#+begin_quote", "#+end_quote", "#+BEGIN: x", "#+END:", "", "- a note",
     "  - an indented note", " a line at indent 1"]),
    st.none(), st.none())


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pieces=st.lists(st.tuples(_PIECE | _OPEN | _NESTED | _TIED | _STRUCT,
                                 st.integers(0, 40_000)),
                       min_size=1, max_size=16),
       bulk_at=st.sampled_from(["decisions", "log", "progress"]))
def test_the_streamed_rollover_gives_the_rules_bytes(
        tmp_path_factory: pytest.TempPathFactory, pieces: list[tuple], bulk_at: str) -> None:
    """Entries of every kind at any time among 4 MB of the tool's own (so that the cut
    falls among them), open items, an open item under a closed one, a person's notes
    and paragraphs, notes and lines between entries that tie entries to what stays
    (eighth review): the earlier file (name and bytes) and the live file are those the
    rule, written out plainly over a list of lines (:func:`reference_rollover`), gives."""
    root = tmp_path_factory.mktemp("rule") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    path = started(run, root)
    text = path.read_text()
    sections = {"decisions": "", "discoveries": "", "log": "", "progress": ""}
    for n, ((kind, body, note, rationale), minute) in enumerate(pieces):
        marker = f"P{n:03d}"
        if kind == "free":
            sections["decisions"] += f"Free {marker}: {note or 'text'}\n"
            continue
        if kind == "struct":
            sections["decisions"] += body + "\n"
            continue
        if kind == "log":
            lines = [f"- {stamp(minute)} progress: {marker} " + body.replace("\n", " ")]
        elif kind == "nested":
            lines = [*entry_lines(stamp(minute), f"{marker} holds", checkbox=True),
                     *("  " + line for line in entry_lines(stamp(minute), body, checkbox=False))]
        else:
            lines = entry_lines(stamp(minute), f"{marker} {body}",
                                checkbox=None if kind in ("decision", "discovery")
                                else kind == "closed",
                                rationale=rationale if kind == "decision" else None)
        if note is not None:
            lines.append(f"  {note} {marker}")
        sections[{"decision": "decisions", "discovery": "discoveries", "log": "log",
                  "closed": "progress", "open": "progress", "nested": "progress"}[kind]] \
            += block(lines)
    bulk = "".join(block(entry_lines(stamp(n * 4), f"bulk {n:06d} " + "b" * 150,
                                     checkbox=True if bulk_at == "progress" else None))
                   for n in range((BOUND + 100_000) // 190))
    half = len(bulk) // 2
    half = bulk.index("\n- ", half) + 1
    for key, body in sections.items():
        text = insert(text, key, bulk[:half] + body + bulk[half:] if key == bulk_at else body)
    path.write_text(text)
    name, data, live = reference_rollover(text)

    run("log", "--discovery", "ROLLWRITE")

    history = texts_of(root)[1]
    assert [p.name for p in history] == [name]
    assert history[0].read_bytes() == data
    assert _without_write(path.read_text()) == \
        "".join(line for line in live.splitlines(True) if not line.startswith(":UPDATED"))


def test_show_all_keeps_the_written_order_and_show_gives_moved_items_done_text(
        project: Path, run: Runner) -> None:
    """Closed Progress items move, an older open one stays: ``show --all`` gives them in
    the order they were written (by time), not the moved ones first; and plain ``show``
    gives the Log's ``done`` lines that name a moved item by its time the item's text,
    read from the earlier file (sixth review)."""
    path = started(run, project)
    text = path.read_text()
    old, _ = filler(100, BOUND + 100_000, "old")
    opened = block(entry_lines(stamp(1), "An older open step", checkbox=False))
    closed = "".join(block(entry_lines(stamp(n), f"closed {n}", checkbox=True))
                     for n in range(3, 9))
    done = "".join(f"- {stamp(30_000 + n)} done: Progress item of {stamp(n)[1:-1]}\n"
                   for n in range(3, 9))
    path.write_text(insert(insert(insert(text, "decisions", old), "progress",
                                  opened + closed, first=True), "log", done))
    before = json.loads(run("show", "--json").stdout)
    assert [e["text"] for e in before["log"] if e["kind"] == "done"] == \
        [f"closed {n}" for n in range(3, 9)]

    run("log", "--discovery", "After")

    live, history = texts_of(project)
    moved = history[0].read_text()
    assert "closed 3" in moved and "An older open step" in live and "done: Progress" in live
    whole = json.loads(run("show", "--all", "--json").stdout)
    assert [e["text"] for e in whole["progress"]] == [e["text"] for e in before["progress"]]
    assert [e["text"] for e in whole["progress"]][:2] == ["An older open step", "closed 3"]
    shown = json.loads(run("show", "--json").stdout)
    assert [e["text"] for e in shown["log"] if e["kind"] == "done"] == \
        [f"closed {n}" for n in range(3, 9)]


def _named_as_ours(folder: Path, data: bytes, first: str = "2026-01-01T00-00") -> Path:
    """``data`` written under ``folder`` as a rollover names its earlier file."""
    path = folder / f"{first}--2026-01-09T00-00-{hashlib.sha256(data).hexdigest()[:8]}.org"
    path.write_bytes(data)
    return path


def killed_between_writes(project: Path, run: Runner) -> tuple[Path, str, list[str], Path]:
    """A session past the bound and the state a kill between a rollover's two writes
    leaves: the same rollover, run on a copy of the project, gives the very earlier file
    (its name and bytes), put in the project's history folder linked from nowhere; the
    live file is as it was. Returns the live file, its text, its filler entries and the
    copy's earlier file."""
    path = started(run, project)
    old, entries = filler(0, BOUND + 300_000, "old")
    original = insert(path.read_text(), "decisions", old)
    path.write_text(original)
    copy = project.parent / "copy"
    shutil.copytree(project, copy, symlinks=True)
    Runner(copy)("log", "--discovery", "In the copy")
    (left,) = texts_of(copy)[1]
    (project / HISTORY).mkdir(parents=True)
    shutil.copyfile(left, project / HISTORY / left.name)
    return path, original, entries, left


def test_the_next_rollover_removes_only_provably_redundant_earlier_files(
        project: Path, run: Runner) -> None:
    """What a rollover killed between its two writes leaves, when a person then edits
    the live file: an earlier file no link names, every entry of which is in the live
    file or a linked earlier file. The next write that rolls over removes such a file
    (ours: named by its bytes' hash), and only such: one holding an entry found nowhere
    else stays, and so does one not named by its hash (sixth review)."""
    path, original, _, left = killed_between_writes(project, run)
    killed = project / HISTORY / left.name
    path.write_text(original + "A person's paragraph. " * 300 + "\n")  # (another cut)
    run("log", "--discovery", "Next write")
    live, history = texts_of(project)
    assert not killed.exists() and len(history) == 1 and f"{history[0].name}]" in live
    # Files a later rollover finds: a copy of the linked one with another drawer (every
    # entry elsewhere: goes), one with an entry of its own (stays), one whose name is
    # not its hash (stays).
    linked = history[0].read_bytes()
    redundant = _named_as_ours(project / HISTORY, linked.replace(b":ENTRIES:", b":ENTRIES: 1", 1),
                               "2025-01-01T00-00")
    unique = linked.replace(b":CUSTOM_ID: decisions\n:END:\n", b":CUSTOM_ID: decisions\n:END:\n"
                            + block(entry_lines(stamp(1), "found nowhere else")).encode(), 1)
    unique = _named_as_ours(project / HISTORY, unique, "2025-02-01T00-00")
    not_ours = project / HISTORY / "2025-03-01T00-00--2025-03-01T00-00-00000000.org"
    not_ours.write_bytes(linked.replace(b":ENTRIES:", b":ENTRIES: 2", 1))
    more, _ = filler(20_000, BOUND, "more")
    path.write_text(insert(path.read_text(), "decisions", more))
    run("log", "--discovery", "Rolls over again")
    live, history = texts_of(project)
    assert not redundant.exists() and unique.exists() and not_ours.exists()
    # (eighth review: the one holding an entry found nowhere else is linked again)
    assert len(history) == 4 and live.count("][earlier entries]]") == 3
    assert f"{unique.name}][earlier entries]]" in live and not_ours.name not in live


def test_a_wrap_up_killed_once_the_archive_is_in_place_leaves_no_copies(
        project: Path, run: Runner) -> None:
    """A wrap-up killed after its archive is in place, before it removed the earlier
    files' old names, leaves them under ``.ai/history/`` (hard links to the archive's:
    made here as the kill leaves them, and by real kills at any moment): the next
    ``start`` removes those, and only those (sixth review)."""
    rolled(project, run)
    earlier = texts_of(project)[1][0]
    kept = project / ".git/ai-protocols/.ai/history/session-context" / earlier.name
    assert kept.exists()
    run("wrap-up", "Done")
    archive = Path(json.loads(run("list", "--json").stdout)[0]["path"])
    carried = archive.with_suffix("") / earlier.name
    assert carried.exists() and not earlier.exists()
    earlier.parent.mkdir(parents=True, exist_ok=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    os.link(carried, earlier)
    os.link(carried, kept)
    other = earlier.parent / "2025-01-01T00-00--2025-01-01T00-00-12345678.org"
    other.write_text("Not a copy of the archive's.\n")
    run("start", "--title", "Next")
    assert not earlier.exists() and not kept.exists() and carried.exists() and other.exists()
    other.unlink()
    # Real kills, at the moment the archive appears and at other moments: whatever the
    # moment, after the next start no copy is left beside the archive's, nothing lost.
    for attempt in range(4):
        run("wrap-up", "Done") if json.loads(run("status", "--json").stdout) else None
        rolled(project, run)
        name = texts_of(project)[1][0].name
        before = {p.name for p in (project / ".ai/sessions").glob("*.org")}
        child = subprocess.Popen([str(CLI), "wrap-up", f"Done {attempt}"], cwd=project,
                                 env=clean_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        if attempt % 2 == 0:
            while child.poll() is None and not (
                    {p.name for p in (project / ".ai/sessions").glob("*.org")} - before):
                pass
        else:
            time.sleep(0.05 * attempt)
        child.send_signal(signal.SIGKILL)
        child.wait()
        run("start", "--title", f"After {attempt}")
        made = {p.name for p in (project / ".ai/sessions").glob("*.org")} - before
        archived = [p for p in (project / ".ai/sessions").rglob(name)
                    if p.parent.name + ".org" in made]
        left = list((project / ".ai/history").rglob(name)) \
            if (project / ".ai/history").exists() else []
        assert len(archived) + len(left) >= 1  # (nothing lost)
        if archived:  # (the archive is in place: no copy is left beside it)
            assert not left, attempt


def test_an_earlier_file_a_person_edited_goes_with_the_archive(project: Path,
                                                               run: Runner) -> None:
    """Seen (eighth review): a typo fixed in an earlier-entries file (saved as Emacs
    saves, a new file renamed over it) made wrap-up call it no file of the tool's, leave
    it in .ai/history/ and keep a link that, from the archive, names nothing. An edited
    earlier file (its session drawer still there) goes with the archive, the person's
    edit in it, and the archive's link names it."""
    rolled(project, run)
    (earlier,) = sorted((project / ".ai/history").rglob("*.org"))
    edited = earlier.read_text().replace("big decision 000", "big decision zero", 1)
    fresh = earlier.with_name(".#save")
    fresh.write_text(edited)
    fresh.replace(earlier)
    run("wrap-up", "Done")
    archive = Path(json.loads(run("list", "--json").stdout)[0]["path"])
    (moved,) = sorted(archive.with_suffix("").glob("*.org"))
    assert not list((project / ".ai/history").rglob("*.org"))
    assert moved.read_text() == edited
    text = archive.read_text()
    link = text[text.index("[[file:") + 7:text.index("][earlier entries]]")]
    assert (archive.parent / link).resolve() == moved
