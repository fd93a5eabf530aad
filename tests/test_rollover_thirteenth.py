"""Issue 16, thirteenth round (the items the twelfth left open; docs/decisions.md "Issue
16, thirteenth round (rollover and links)"): where Org sees a link at a move (inline
src blocks, LaTeX fragments and environments, export snippets, macros, targets,
properties, keywords, comment lines, angle links across lines) judged by real Emacs
(Org 9.5 and 9.7), ``#+BIBLIOGRAPHY:`` paths, the merge driver's reading of a
``::search`` link, links into an adopted session's old folder, the kept copy of a
deleted earlier file, ``status --json``'s missing earlier files, and an entry edited
in an older file after a rollover, merged by ``merge-kept``. The installed CLI, real
git, real Emacs."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_rollover_eleventh_c import _link, _session, link_an_uncommitted_earlier_file
from test_rollover_eleventh_d import moved

from ai_protocols.session.merge import merge_session_bytes

from conftest import Runner
from emacs import file_links, in_org_buffers, on_both

#: Each file link Org sees (:func:`emacs.file_links`): ``FILE BEGIN END ABSOLUTE-PATH
#: EXISTS`` (points, 1-based).
_LINK_SPAN = """(princ (format "%s %d %d %s %s\\n" f (org-element-property :begin l)
                             (org-element-property :end l) p
                             (if (file-exists-p p) "t" "nil")))"""

_LINK = ["[[file:../README.md][r]]", "file:../README.md", "<file:local.org>",
         "[[./local.org]]", "[[file:../README.md::*H]]"]
#: The places where link-like text is no link for Org (each ``{}`` takes a link), and
#: a few where it is one.
_CONTEXTS = ["src_sh{cat {}}", "src_sh[:var x=1]{cat {} | wc}", "\\({}\\)", "\\[{}\\]",
             "${}$", "$$ {} $$", "\\ref{{}}", "@@html:<a href='{}'>@@", "{{{m({})}}}",
             "{{{m(a, {}) }}}", "<<x {} y>>", "<http://x.org/ {}>", "=~{}~=",
             "see {} now", "({})", "*{}*", "_{}_", "/{}/", "+{}+", "- /a {} b/"]
#: Whole lines (each ``{}`` a link): keywords, properties, comments, LaTeX
#: environments, angle links across lines.
_LINES = ["#+TITLE: {}", "#+CAPTION: {}", "#+caption[s]: {}", "#+NAME: {}",
          "# {}", "  # {}", ":PROPERTIES:\n:X: {}\n:END:", ":LOGBOOK:\n- n {}\n:END:",
          "\\begin{equation}\n{}\n\\end{equation}", "\\begin{x*} {} \\END{x*}  ",
          "\\begin{eq}\n{}", "<file:../READ\n  ME.md> {}", "<http://x\n {}>",
          "- item {}", "{}"]


def _judged(files: list[Path]) -> list[dict[str, list[tuple[int, int, str, str]]]]:
    """For each judge (Org 9.5, 9.7), in one Emacs run: each file's file links as Org
    parses them, ``(begin, end, path, exists)``."""
    program = file_links(files, _LINK_SPAN)

    def judge_all(judge: object) -> dict[str, list[tuple[int, int, str, str]]]:
        out = judge.run(["--eval", program]).stdout  # type: ignore[attr-defined]
        found: dict[str, list[tuple[int, int, str, str]]] = {str(f): [] for f in files}
        for line in out.splitlines():
            name, begin, end, rest = line.split(" ", 3)
            path, exists = rest.rsplit(" ", 1)
            found[name].append((int(begin), int(end), path, exists))
        return found

    return on_both(judge_all)


def _outside(text: str, links: list[tuple[int, int, str, str]]) -> str:
    """``text`` less the links Org sees in it (each replaced by a mark)."""
    out, at = [], 0
    for begin, end, _, _ in sorted(links):
        out.append(text[at:begin - 1])
        out.append("\0")
        at = end - 1
    out.append(text[at:])
    return "".join(out)


_FILES = st.lists(st.lists(st.tuples(st.sampled_from(_CONTEXTS + _LINES),
                                     st.sampled_from(_LINK), st.sampled_from(["", "  "])),
                           min_size=1, max_size=8), min_size=1, max_size=6)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@example(files=[[(c, link, "") for c in _CONTEXTS + _LINES for link in _LINK[:3]]])
@given(files=_FILES)
def test_a_move_rewrites_no_link_like_text_org_does_not_read_as_a_link(
        tmp_path_factory: object, files: list[list[tuple[str, str, str]]]) -> None:
    """Item 1, one rule of where Org sees a link: generated files holding link-like text
    in inline src blocks, LaTeX fragments and environments, export snippets, macros,
    targets, angle links of other types or across lines, keywords (``#+TITLE:``,
    ``#+CAPTION:``), property and drawer lines and comment lines, beside links Org sees,
    moved from ``.ai/`` to ``.ai/sessions/`` by :func:`move_links`: for Org 9.5 and 9.7,
    every byte outside the links Org sees is the same after the move, and each link
    naming a file after the move names one a link named before."""
    tmp = tmp_path_factory.mktemp("raw")  # type: ignore[attr-defined]
    project = tmp / "p"
    (project / ".ai/sessions").mkdir(parents=True)
    (project / "README.md").write_text("readme\n")
    (project / ".ai/local.org").write_text("* Local\n")
    befores, afters = [], []
    for n, parts in enumerate(files):
        text = "* Session\n" + "".join(
            indent + shape.replace("{}", link) + "\n" + ("\n" if k % 3 == 2 else "")
            for k, (shape, link, indent) in enumerate(parts))
        before, after, _ = moved(project, text, f"r{n}.org")
        befores.append(before)
        afters.append(after)
    for judged in _judged(befores + afters):
        for before, after in zip(befores, afters, strict=True):
            seen, kept = judged[str(before)], judged[str(after)]
            assert _outside(before.read_text(), seen) == _outside(after.read_text(), kept), \
                (before.read_text(), after.read_text())
            assert {link[2] for link in kept if link[3] == "t"} <= \
                {link[2] for link in seen}, (before.read_text(), after.read_text())


def test_the_rule_rewrites_the_links_org_sees_beside_the_raw_text(tmp_path: Path) -> None:
    """Item 1, the other half: on a line holding link-like text in raw objects, the
    links Org sees beside them are still rewritten (Org 9.5 and 9.7 resolve them to the
    same file after the move)."""
    project = tmp_path / "p"
    (project / ".ai/sessions").mkdir(parents=True)
    (project / "README.md").write_text("readme\n")
    text = ("* S\n- src_sh{cat file:../README.md} then [[file:../README.md][r]]\n"
            "- {{{m(file:../README.md)}}} and file:../README.md\n"
            "- \\(x\\) file:../README.md @@html:file:../README.md@@\n")
    before, after, doc = moved(project, text)
    assert doc.text == text.replace("[[file:../README.md]", "[[file:../../README.md]").replace(
        "and file:../", "and file:../../").replace(") file:../", ") file:../../")
    for judged in _judged([before, after]):
        assert [link[2:] for link in judged[str(after)]] == \
            [link[2:] for link in judged[str(before)]] != []


_BIBLIOGRAPHY = """(dolist (b (org-cite-list-bibliography-files))
        (princ (format "%s %s\\n" f (expand-file-name b))))"""


def test_a_move_keeps_the_bibliography_naming_the_same_file(tmp_path: Path) -> None:
    """Item 1, ``#+BIBLIOGRAPHY:`` (decided: a path Org reads from the file's folder,
    ``org-cite-list-bibliography-files``): rewritten at a move as ``#+SETUPFILE:`` is,
    quoted or not; Org 9.5 and 9.7 list the same bibliography files after the move; one
    in a src block keeps its bytes."""
    project = tmp_path / "p"
    (project / ".ai/sessions").mkdir(parents=True)
    (project / "refs.bib").write_text("@book{a, title={A}}\n")
    (project / "my refs.bib").write_text("@book{b, title={B}}\n")
    text = ('#+BIBLIOGRAPHY: ../refs.bib\n#+bibliography: "../my refs.bib"\n* S\n'
            "#+begin_src org\n#+BIBLIOGRAPHY: ../refs.bib\n#+end_src\n")
    before, after, doc = moved(project, text)
    assert doc.text == ('#+BIBLIOGRAPHY: ../../refs.bib\n'
                        '#+bibliography: "../../my refs.bib"\n* S\n'
                        "#+begin_src org\n#+BIBLIOGRAPHY: ../refs.bib\n#+end_src\n")
    program = in_org_buffers([before, after], _BIBLIOGRAPHY, require="oc")
    for out in on_both(lambda judge: judge.run(["--eval", program]).stdout):
        lines = out.splitlines()
        mine = sorted(line.split(" ", 1)[1] for line in lines if line.startswith(str(before)))
        theirs = sorted(line.split(" ", 1)[1] for line in lines
                        if line.startswith(str(after)))
        assert mine == theirs == sorted([str(project / "refs.bib"),
                                         str(project / "my refs.bib")]), out


# -- 2. the merge driver reads a ::search link as Org does ------------------------------


_SEARCHES = st.sampled_from(["", "::*Decisions", "::42", "::my target", "::/re::x/"])


def _searched(n: int, search: str, description: str | None = None) -> str:
    """:func:`test_rollover_eleventh_c._link` ``n`` with ``search`` after its path."""
    line = _link(n, description)
    at = line.index("][")
    return line[:at] + search + line[at:]


@settings(max_examples=40, deadline=None)
@given(base=_SEARCHES, mine=_SEARCHES, rolls=st.booleans(), ours_is_mine=st.booleans(),
       archived=st.booleans())
def test_the_merge_driver_takes_a_search_link_for_the_files_link(
        base: str, mine: str, rolls: bool, ours_is_mine: bool, archived: bool) -> None:
    """Item 2: a link of ``Earlier entries`` with a ``::SEARCH`` option names the file
    before the first ``::`` (Org's reading): a person who adds, changes or removes the
    option on one side while the other rolls over again (or not) gets one line for that
    file, the changed one, never the file linked twice; merged into an archive's place
    (git's ``%P``), the link is written from the archive's folder, its option kept."""
    a = _session([_searched(1, mine)])
    b = _session([_searched(1, base), *([_link(2)] if rolls else [])])
    ours, other = (a, b) if ours_is_mine else (b, a)
    place = ".ai/sessions/2026-01-01T10-00--x.org" if archived else None
    result = merge_session_bytes(_session([_searched(1, base)]), ours, other, place=place)
    assert result is not None and not result.conflicts
    text = result.data.decode()
    name = _link(1).split("/")[2].split("]")[0]
    [line] = [line for line in text.splitlines() if name in line]
    expected = _searched(1, mine)
    if archived:
        expected = expected.replace("[[file:history/", "[[file:../history/")
    assert line == expected, text
    assert text.count("[[file:") == 1 + rolls, text


# -- 5. status --json names a linked earlier file neither here nor kept -------------------


def test_status_json_names_the_linked_earlier_files_neither_here_nor_kept(
        project: Path, run: Runner) -> None:
    """Item 5: a session linking an earlier file of its own that is not here and not
    kept (a clone of one that rolled over, never given the file): ``status --json``
    names it in the row's ``missing_earlier`` (absolute paths, link order); a session
    whose earlier files are all there has ``[]``; once the file is back, ``[]``."""
    from test_rollover import started

    path = started(run, project)
    assert json.loads(run("status", "--json").stdout)[0]["missing_earlier"] == []
    name, _ = link_an_uncommitted_earlier_file(path)
    gone = project / ".ai/history/session-context" / name
    [row] = json.loads(run("status", "--json").stdout)
    assert row["missing_earlier"] == [str(gone)], row
    gone.parent.mkdir(parents=True)
    gone.write_text("* Earlier\n")
    assert json.loads(run("status", "--json").stdout)[0]["missing_earlier"] == []


# -- 6. an entry edited in an older file after a rollover, merged by merge-kept -----------


def test_an_entry_edited_in_the_older_file_after_a_rollover_is_shown_once_after_merge_kept(
        project: Path, run: Runner) -> None:
    """Item 6: a rollover moved the oldest decisions out; ``git checkout`` put the older
    file back and a person edited one of the moved decisions in it. ``merge-kept``
    keeps the edited text in the file and records the moved old text as superseded
    (entry identity across files: the one entry of its timestamp in both), so ``show
    --all`` gives that decision once, as edited, and every other once."""
    from test_rollover import CONTEXT
    from test_rollover_eleventh_c import _rolled, decisions_shown
    from test_rollover_stash import git

    entries = _rolled(project, run)
    path = project / CONTEXT
    git(project, "checkout", "-q", "--", str(CONTEXT))
    text = path.read_text()
    assert text.count("old decision 000000 ") == 1
    path.write_text(text.replace("old decision 000000 ", "old decision 000000 edited ", 1))
    run("merge-kept", str(path))
    assert path.read_text().count("old decision 000000 edited ") == 1
    shown = decisions_shown(run)
    assert [t for t, n in shown.items() if n > 1] == [], "an entry shown twice"
    assert len(shown) == len(entries), (len(shown), len(entries))
    assert [t for t in shown if t.startswith("old decision 000000 ")] == \
        [t for t in shown if t.startswith("old decision 000000 edited ")] != []


# -- 3. links into an adopted session's old folder, found and listed ----------------------


def test_an_adoption_lists_the_links_into_the_old_folder_and_changes_none(
        project: Path, run: Runner) -> None:
    """Item 3: agent ``a``'s session rolled over; agent ``c``'s session file links a's
    earlier file (bracket link) and a's history folder (plain link), and an archive
    links a's earlier file. ``b`` adopts ``a``: the warning names each such line (file
    and line number) and how the first would read naming the new place; those files
    keep every byte (another agent's file, a closed archive)."""
    from test_rollover_own import add_next_step, earlier_files, rolled_as

    rolled_as(project, run, "a", "adopted")
    [earlier] = earlier_files(project)
    for agent in ("d", "c"):
        run("start", "--title", f"{agent} work", agent=agent)
        add_next_step(project / f".ai/session-context.d/{agent}.org",
                      f"- [ ] read [[file:../history/session-context.d/a/{earlier.name}]"
                      f"[a's notes]] and file:../history/session-context.d/a/\n")
    run("wrap-up", "d done", agent="d")
    [archive] = (project / ".ai/sessions").glob("*d-done.org")
    theirs = project / ".ai/session-context.d/c.org"
    before = {p: p.read_bytes() for p in (theirs, archive)}
    run("start", "--title", "b work", agent="b")
    adopted = run("recover", "a", "--adopt", "--force", agent="b")
    said = adopted.stderr.replace("\n", " ")
    assert "2 lines of this project's session files and archives name it" in said, said
    for path in (theirs, archive):
        number = path.read_text().split("\n").index(next(
            line for line in path.read_text().split("\n") if earlier.name in line)) + 1
        assert f"{path} line {number}" in said, said
    assert f"../history/session-context.d/b/{earlier.name}][a's notes]] and " \
           "file:../history/session-context.d/b/" in said, said
    assert {p: p.read_bytes() for p in (theirs, archive)} == before


# -- 4. the kept copy of an earlier file a person deleted with its link -------------------


def test_the_kept_copy_of_an_earlier_file_deleted_with_its_link_goes_at_the_move(
        project: Path, run: Runner) -> None:
    """Item 4: a person deletes an earlier file and its link line. Its kept copy (in the
    git folder) stays while the session is live (a write neither links nor restores it:
    no link names it), and goes at the wrap-up's move; a copy of another session's file
    in the same kept folder stays, and so does one whose file a link still names (put
    back and archived, as before)."""
    from test_rollover_eleventh_b import kept_copies
    from test_rollover_own import earlier_files, rolled_as

    path = rolled_as(project, run, None, "gone")
    [earlier] = earlier_files(project)
    [copy] = kept_copies(project)
    other = copy.parent / "2026-01-01T10-00--2026-01-01T11-39-0badcafe.org"
    other.write_text("* Earlier entries of another session\n:PROPERTIES:\n"
                     ":SESSION_AGENT_ID: someone\n:SESSION_STARTED: [2025-01-01 Wed 10:00]\n"
                     ":END:\n")
    text = path.read_text()
    [line] = [line for line in text.split("\n") if earlier.name in line]
    path.write_text(text.replace(line + "\n", ""))
    earlier.unlink()
    run("log", "--discovery", "after the deletion")
    assert copy.exists() and not earlier.exists()
    run("wrap-up", "gone done")
    assert not copy.exists()
    assert other.exists()


def test_a_kept_copy_a_link_still_names_is_never_dropped_at_the_move(
        project: Path, run: Runner) -> None:
    """Item 4, the other side: the earlier file gone (``git clean``) but its link there:
    the wrap-up puts it back from its kept copy and archives it (the entries kept)."""
    from test_rollover_eleventh_b import kept_copies
    from test_rollover_own import earlier_files, rolled_as

    rolled_as(project, run, None, "kept")
    [earlier] = earlier_files(project)
    assert kept_copies(project)
    earlier.unlink()
    run("wrap-up", "kept done")
    [archived] = (project / ".ai/sessions").glob("*kept-done/*.org")
    assert archived.name == earlier.name
    assert "kept decision 000" in archived.read_text()
