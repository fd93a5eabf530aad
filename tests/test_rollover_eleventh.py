"""Issue 16, eleventh round (the rollover and links; docs/decisions.md "Issue 16,
eleventh round"): a move keeps plain and angle ``file:`` links and ``#+INCLUDE:`` /
``#+SETUPFILE:`` paths naming the same file (Org 9.5, real Emacs); the earlier-entries
count comes from the files, never a link's description; an entry edited, committed and
rolled over while the other clone moved the older text is shown once; a wrap-up-vs-
rollover merge's other earlier file goes beside the archive at the next move; a stray
of the history folder is the session's only by its whole identity. The installed CLI,
real git, real Emacs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_rollover import insert
from test_rollover_own import big_entries, rolled_as

from conftest import Runner


def test_show_json_counts_the_files_entries_not_a_links_edited_number(
        project: Path, run: Runner) -> None:
    """Point 2: a person who edits only the number in an intact link's text changes no
    count: ``show --json``, ``show`` and ``resume --json`` read the file's drawer."""
    path = rolled_as(project, run, None, "counted")
    text = path.read_text()
    [number] = re.findall(r"\]\] from [^,\n]*, (\d+) entries", text)
    path.write_text(re.sub(r"(\]\] from [^,\n]*, )\d+( entries)", r"\g<1>9999\2", text))
    [earlier] = json.loads(run("show", "--json").stdout)["earlier"]
    assert earlier["entries"] == int(number) > 0
    assert "9999" not in run("show").stdout
    assert json.loads(run("resume", "--json").stdout)["earlier"]["entries"] == int(number)


def test_a_stray_of_a_hand_deleted_session_is_not_linked_by_a_new_one_of_its_minute(
        project: Path, run: Runner) -> None:
    """Point 5: agent a's session rolled over; a person deletes its file by hand, and a new
    session of a starts in the same minute (its STARTED set to the old one's: one minute).
    Agent id and start minute alike, the title and objective not: the old earlier file is
    not this session's, so the new session's write does not link it again, nor does
    ``show`` list it as this session's file that no link names (the whole identity)."""
    run("start", "--title", "old work", "--objective", "the old goal", agent="a")
    path = project / ".ai/session-context.d/a.org"
    path.write_text(insert(path.read_text(), "decisions", big_entries("old")))
    run("log", "--discovery", "Rolled", agent="a")
    [old_file] = sorted((project / ".ai/history/session-context.d/a").glob("*--*.org"))
    started = re.search(r"^:STARTED: +(.*)$", path.read_text(), re.MULTILINE)[1]
    path.unlink()
    (project / ".ai/.locks/live/session-context.d/a.org").unlink()  # (its kept copy too)
    run("start", "--title", "new work", "--objective", "a new goal", agent="a")
    text = path.read_text()
    path.write_text(re.sub(r"^(:STARTED: +).*$", lambda m: m[1] + started, text, count=1,
                           flags=re.MULTILINE))
    result = run("log", "--progress", "a step", agent="a")
    assert "linked again" not in result.stderr, result.stderr
    assert old_file.name not in path.read_text()
    assert json.loads(run("show", "--json", agent="a").stdout)["earlier"] == []
    assert old_file.name not in run("show", agent="a").stdout  # (not this session's)
    assert old_file.exists()  # (the old session's entries, found nowhere else, stay)


def judged(path: Path) -> list[str]:
    """What Org 9.5 makes of ``path``'s file links, SETUPFILE and INCLUDE keywords
    (tests/links_resolved.el)."""
    from test_rollover_own import LINKS

    from emacs import JUDGES

    return JUDGES[0].run(["-l", str(LINKS), str(path)]).stdout.split("\n")


def test_a_move_keeps_plain_and_angle_links_and_included_files_naming_the_same_file(
        project: Path, run: Runner) -> None:
    """Point 1: a wrap-up moves the session file into .ai/sessions/: its plain
    (``file:PATH``, with a ``::search``, a ``(...)`` in the name, punctuation after it)
    and angle (``<file:PATH with blanks>``) links and its ``#+INCLUDE:`` (quoted, with a
    ``::location`` and options) and ``#+SETUPFILE:`` paths name the same files for Org
    9.5 after the move as before, only the paths changed; a keyword in a block, an
    absolute path and a plain link to nothing keep their bytes."""
    for name in ("notes.org", "docs/y(1).org", "my notes.org", "setup.org", "in c.org"):
        target = project / name
        target.parent.mkdir(exist_ok=True)
        target.write_text(f"#+TITLE: SETUP {name}\n* Heading\nINCLUDED: {name}\n")
    path = project / ".ai/session-context.org"
    run("start", "--title", "linked work")
    text = path.read_text()
    top = text.index("\n* ")
    path.write_text(text[:top + 1] + "#+SETUPFILE: ../setup.org\n" + text[top + 1:])
    kept = ["- [ ] gone: file:missing.txt, typed as it is\n",
            f"- [ ] absolute: file:{project}/notes.org.\n",
            "#+begin_example\n#+INCLUDE: ../notes.org\n#+end_example\n"]
    path.write_text(insert(path.read_text(), "next-steps",
                           "- [ ] read file:../notes.org::*Heading, (file:../docs/y(1).org) "
                           "and <file:../my notes.org>\n"
                           "#+INCLUDE: \"../in c.org::*Heading\" :minlevel 2\n" +
                           "".join(kept)))
    before = judged(path)
    assert sum(line.startswith("file ") for line in before) == 5, before
    assert {"setup SETUP setup.org", "include in c.org"} <= set(before), before
    run("wrap-up", "linked done")
    [archive] = (project / ".ai/sessions").glob("*linked-done.org")
    after = archive.read_text()
    assert all(line in after for line in kept)
    assert "file:../../notes.org::*Heading, (file:../../docs/y(1).org) and " \
           "<file:../../my notes.org>\n" in after
    assert '#+INCLUDE: "../../in c.org::*Heading" :minlevel 2\n' in after
    assert "#+SETUPFILE: ../../setup.org\n" in after
    resolved = [line for line in judged(archive) if "missing.txt" not in line]
    assert resolved == [line for line in before if "missing.txt" not in line]


_PART = st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                              blacklist_characters="/\0\n\r"), min_size=1, max_size=8)
_PATHS = st.lists(st.one_of(_PART, st.just(".."), st.just("."), st.just("a.org")),
                  min_size=1, max_size=4)
_FOLDERS = dict(old=st.sampled_from(["p/.ai", "p/.ai/session-context.d"]),
                new=st.sampled_from(["p/.ai/sessions/N", "p/.ai", "p/.ai/session-context.d"]))


def _names_the_same(where: str, moved: str, old: str, new: str) -> None:
    assert os.path.normpath(os.path.join("/r", new, moved)) == \
        os.path.normpath(os.path.join("/r", old, where))


@settings(max_examples=300, deadline=None)
@example(parts=[":", "."], form="file:", search="::*Heading", after="", old="p/.ai",
         new="p/.ai/sessions/N")  # (``file:../../:::*Heading``: Org reads ``../../``)
@given(parts=_PATHS, form=st.sampled_from(["file:", "file+sys:", "<file:"]),
       search=st.sampled_from(["", "::*Heading", "::42"]),
       after=st.sampled_from(["", ".", ", and", ")"]), **_FOLDERS)
def test_moved_plain_and_angle_links_name_the_same_file_from_the_new_folder(
        parts: list[str], form: str, search: str, after: str, old: str, new: str) -> None:
    """For any relative path, a plain or angle link :func:`moved_link_line` rewrites
    names from ``new`` what it named from ``old`` (read back by the same reading: the
    extent and the text around it unchanged); one of plain ASCII names is rewritten."""
    from ai_protocols.session.layout import _plain_links, moved_link_line

    rel = "/".join(parts)
    angle = form.startswith("<")
    line = f"- see {form}{rel}{search}{'>' if angle else ''}{after} now"
    moved = moved_link_line(line, old, new)
    if moved == line:
        plain = all(c.isascii() and (c.isalnum() or c in "./_-") for c in rel) and \
            rel[-1].isalnum() and len(rel) > 1 and not rel.startswith("~")  # (Org: 2 or more)
        assert not plain or os.path.normpath(os.path.join(old, rel)) == \
            os.path.normpath(os.path.join(new, rel))
        return
    if angle:
        start, stop = len(f"- see {form}"), len(f"- see {form}{rel}{search}")
    else:
        [(start, stop)] = _plain_links(line, 0, len(line))
    rel_read = line[start:stop]
    stop_moved = len(moved) - (len(line) - stop)
    assert moved[:start] == line[:start] and moved[stop_moved:] == line[stop:]
    target = moved[start:stop_moved]
    if not angle:  # (read back as one link, of that very extent)
        assert _plain_links(moved, 0, len(moved)) == [(start, stop_moved)]
    where, _, found = target.partition("::")
    path, _, option = rel_read.partition("::")
    assert found == option
    _names_the_same(path, where, old, new)


@settings(max_examples=300, deadline=None)
@given(parts=_PATHS, key=st.sampled_from(["#+INCLUDE:", "#+include:", "#+SETUPFILE:"]),
       quoted=st.booleans(), location=st.sampled_from(["", "::*Heading"]),
       rest=st.sampled_from(["", " :minlevel 2", " src python"]), **_FOLDERS)
def test_moved_keyword_line_names_the_same_file_from_the_new_folder(
        parts: list[str], key: str, quoted: bool, location: str, rest: str, old: str,
        new: str) -> None:
    """For any relative path, an ``#+INCLUDE:`` or ``#+SETUPFILE:`` line that
    :func:`moved_keyword_line` rewrites names from ``new`` the file it named from ``old``
    (Org 9.5's reading of each keyword's value), the rest of the line byte for byte."""
    from ai_protocols.session.layout import moved_keyword_line

    rel = "/".join(parts)
    include = key.casefold() == "#+include:"
    if not include:
        location = rest = ""
    if rel.strip() != rel or '"' in rel or (not quoted and any(c.isspace() for c in rel)):
        return  # (not one path as Org reads the value)
    value = f'"{rel}{location}"' if quoted else rel + location
    line = f"  {key} {value}{rest}"
    moved = moved_keyword_line(line, old, new)
    if moved == line:
        assert rel.startswith("~") or os.path.normpath(os.path.join(old, rel)) == \
            os.path.normpath(os.path.join(new, rel)) or (not include and ":" in rel)
        return
    head = f"  {key} "
    assert moved.startswith(head) and moved.endswith(rest)
    token = moved[len(head):len(moved) - len(rest)]
    if quoted:
        assert token.startswith('"') and token.endswith('"')
        token = token[1:-1]
    else:
        assert not any(c.isspace() for c in token)
    assert token.endswith(location)
    _names_the_same(rel, token[:len(token) - len(location)], old, new)


_PLAIN_LINKS = """(progn (require 'org) (require 'org-element)
  (with-temp-buffer (insert-file-contents (car command-line-args-left)) (org-mode)
    (org-element-map (org-element-parse-buffer) 'link
      (lambda (l) (when (eq (org-element-property :format l) 'plain)
        (goto-char (org-element-property :begin l))
        (princ (format "%d %d %s\\n" (line-number-at-pos) (current-column)
                       (org-element-property :raw-link l))))))))"""


def test_the_plain_link_reading_is_emacss_where_it_rewrites(tmp_path: Path) -> None:
    """Each plain link :func:`_plain_links` finds is one Org parses (9.5 and 9.7), at that
    very place, with that very text (it may pass over some Org sees, which then keep
    their bytes): 400 lines of many shapes, one Emacs run per judge."""
    import random

    from ai_protocols.session.layout import _plain_links

    from emacs import on_both

    pick = random.Random(16)
    pieces = ["a", "b.org", "/", "..", ".", "(1)", "(", ")", ",", "-", "_", "é", "€", "中",
              "::", "*H", "~", "$", "'", " ", "[", "]", "<", ">", "=", "file:", "x", "+sys:"]
    lines = []
    for n in range(400):
        before = pick.choice(["", " ", "(", "x", "_", '"', ",", "=", "~", "é", "<", "]"])
        body = "".join(pick.choice(pieces) for _ in range(pick.randint(1, 7)))
        lines.append(f"- {n} {before}file{pick.choice(['', '+sys', '+emacs'])}:{body}")
    sample = tmp_path / "sample.org"
    sample.write_text("* Lines\n" + "\n".join(lines) + "\n")
    judged_by = on_both(lambda judge: set(judge.run(
        ["--eval", _PLAIN_LINKS, str(sample)]).stdout.split("\n")))
    mine = set()
    for number, line in enumerate(lines, start=2):
        for start, stop in _plain_links(line, 0, len(line)):
            begin = line.rfind("file", 0, start)
            mine.add(f"{number} {begin} {line[begin:stop]}")
    assert len(mine) > 30
    for seen in judged_by:
        assert mine <= seen, sorted(mine - seen)[:5]


def test_an_entry_edited_committed_then_rolled_over_while_the_other_moved_it_shows_once(
        tmp_path: Path) -> None:
    """Point 3: clone two edits an old decision (as Emacs saves), commits, writes without
    a rollover, commits again, then rolls over; clone one, from before the edit, moved
    the old text out. After the merge ``show --all`` gives the decision once, as edited;
    every other entry once."""
    from test_merge_driver import Clones, git
    from test_rollover import CONTEXT, filler
    from test_rollover_merge_ninth import _edit_as_emacs_saves

    from ai_protocols.session.rollover import BOUND

    clones = Clones(tmp_path.resolve())
    path = clones.one / CONTEXT
    old, _entries = filler(0, BOUND - 50_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one, two = Runner(clones.one), Runner(clones.two)
    _edit_as_emacs_saves(clones.two / CONTEXT, "old decision 000000 ",
                         "old decision 000000 (edited) ")
    clones.commit(clones.two, "the edit")
    two("log", "--discovery", "Two writes without a rollover")
    clones.commit(clones.two, "a write")
    for name, runner in (("one", one), ("two", two)):  # (each passes the bound; the
        # next write rolls over; each its own text: two clones' entries of one minute and
        # one text are two entries, which the count below would take for one shown twice)
        runner("log", "--decision", f"A big decision of {name} " + "b" * 60_000,
               "--rationale", "big")
    one("log", "--discovery", "One rolls over")
    two("log", "--discovery", "Two rolls over")
    assert "(edited)" not in (clones.two / CONTEXT).read_text()  # (it moved out)
    clones.commit(clones.one, "one")
    clones.commit(clones.two, "two")
    git(clones.one, "push", "-q", "origin", "HEAD:one")
    git(clones.two, "fetch", "-q", "origin")
    git(clones.two, "merge", "--no-edit", "origin/one")
    assert "<<<<<<<" not in (clones.two / CONTEXT).read_text()
    whole = json.loads(two("show", "--all", "--json").stdout)
    decisions = [d["text"] for d in whole["decisions"]]
    firsts = [d for d in decisions if d.startswith("old decision 000000 ")]
    assert len(firsts) == 1 and "(edited)" in firsts[0], firsts
    assert len(decisions) == len(set(decisions))  # (every other entry once)
