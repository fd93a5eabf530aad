"""The rollover keeps together what Org ties together (issue 16, eighth review;
docs/decisions.md "Issue 16, eighth review (rollover and Org structure)").

An entry that would move stays when moving it would split Org structure: a labelled
footnote (its reference or definition stays behind), a link target or a link
resolved within the file, an affiliated keyword's element, a block, drawer or
footnote definition opened between the entries. Self-contained entries (an
anonymous inline footnote, a URL, a caption with its table, a drawer opened in the
item) still move. Real Emacs, Org 9.5 and Org 9.7 (``tests/emacs.py``), judges each
file before and after (``tests/org-ties.el``): every reference resolves in its file,
every footnote definition, drawer, block and named element is found once, whole.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rollover import CONTEXT, block, insert, stamp, started, texts_of

from ai_protocols.org.syntax import entry_lines
from ai_protocols.session.rollover import BOUND

from conftest import Runner
from emacs import JUDGES, on_both

TIES = Path(__file__).resolve().parent / "org-ties.el"


def ties(judge: object, paths: list[Path]) -> list[dict]:
    done = judge.run(["-l", str(TIES), *map(str, paths)])  # type: ignore[attr-defined]
    return json.loads(done.stdout)


def judged(paths: list[Path]) -> list[dict]:
    """What both judges find in ``paths`` (the same for both)."""
    first, second = on_both(ties, paths)
    assert first == second, (JUDGES, first, second)
    return first


def entry(minute: int, text: str, *more: str) -> str:
    """A decision at ``minute`` with ``more`` lines under it, as a person writes one in
    Emacs (the tool would escape the Org syntax in ``text``)."""
    return block([f"- {stamp(minute)} {text}", *more])


#: Entries that must stay (each names itself), as they stand in Decisions, oldest first.
STAY = [
    entry(1, "STAY-fnref uses a footnote [fn:1]"),
    entry(2, "STAY-fninline defines [fn:inl: an inline definition] used below"),
    entry(3, "STAY-target holds <<the target>> a paragraph links"),
    entry(4, "STAY-radio holds <<<radio word>>>"),
    entry(5, "STAY-fuzzy links [[the paragraph]]"),
    entry(6, "STAY-custom links [[#summary]]"),
    entry(7, "STAY-file links [[file:../README.md][the readme]]"),
    entry(8, "STAY-named holds a named table", "  #+NAME: inner-table",
          "  | a | b |"),
    entry(9, "STAY-macro uses {{{version}}}"),
    entry(10, "STAY-coderef", "  #+begin_src sh", "  echo hi  (ref:hi)", "  #+end_src"),
    ":NOTES:\n" + entry(11, "STAY-indrawer is inside a drawer") + ":END:\n",
    "#+begin_quote\n" + entry(12, "STAY-inquote is inside a quote block") +
    "#+end_quote\n",
    "#+NAME: named-list\n" + entry(13, "STAY-namedlist-1 first of a named list") +
    entry(14, "STAY-namedlist-2 second of a named list") + "\n\n",
    "[fn:2] A definition that holds the entries after it.\n" +
    entry(15, "STAY-infootnote is inside footnote 2's definition") + "\n\n",
    entry(16, "STAY-radiouse names the Radio  Word in other case and spacing"),
]
#: Self-contained entries, after those: they move.
MOVE = [
    entry(20, "MOVE-anon has an anonymous footnote [fn:: whole in itself]"),
    entry(21, "MOVE-url links [[https://orgmode.org/worg/org-syntax.html][the syntax]]"),
    entry(22, "MOVE-caption has a table with its caption", "  #+CAPTION: A moved table",
          "  #+ATTR_HTML: :border 1", "  | x | y |"),
    entry(23, "MOVE-drawer opens a drawer", "  :DETAILS:", "closed at column 0",
          "  :END:"),
]
#: A person's paragraph after the entries: it refers to what STAY holds.
PARAGRAPH = ("Refers to [[the target]], [fn:inl], [[named-list]], [[inner-table]], "
             "[[(hi)]] and the radio word; <<the paragraph>>.\n"
             "[fn:1] The first footnote's definition, at the end of Decisions.\n")

#: An inline task (Org's ``org-inlinetask``: 15 stars) with older entries after it: the
#: tool reads its line as a headline, so nothing after it in the section moves.
INLINETASK = ("*************** TODO An inline task\n" + entry(0, "STAY-after-inlinetask") +
              "*************** END\n")


def test_what_org_ties_together_stays_and_self_contained_entries_move(
        project: Path, run: Runner) -> None:
    path = started(run, project)
    text = path.read_text()
    text = "#+MACRO: version 1.0\n" + text
    bulk = "".join(block(entry_lines(stamp(100 + n), f"bulk decision {n:03d}\n" +
                                     "b" * 100_000)) for n in range(46))
    assert len(bulk) > BOUND
    text = insert(text, "decisions", "".join(STAY) + "".join(MOVE) + bulk + PARAGRAPH +
                  INLINETASK)
    path.write_text(text)
    (project / "README.md").write_text("A file the links name.\n")
    (project / "copy").mkdir()
    before = project / "copy/before.org"  # (as deep as the live file: its links hold)
    before.write_text(text)
    assert judged([before])[0]["unresolved"] == []

    run("log", "--discovery", "ROLLWRITE")

    live, history = texts_of(project)
    assert len(history) == 1
    was, now_live, now_moved = judged([before, project / CONTEXT, history[0]])
    assert now_live["unresolved"] == []
    assert now_moved["unresolved"] == []
    after = [tuple(w) for w in now_live["wholes"] + now_moved["wholes"]]
    for whole in was["wholes"]:
        assert after.count(tuple(whole)) == 1, whole
    assert ["table", "A moved table"] in now_moved["captioned"]
    assert sorted(now_live["radios"] + now_moved["radios"]) == sorted(was["radios"])
    assert len(was["radios"]) >= 2  # (the entry's use and the paragraph's)
    moved = history[0].read_text()
    for kept in STAY:
        assert (live.count(kept), moved.count(kept)) == (1, 0), kept
    for gone in MOVE:
        assert (live.count(gone), moved.count(gone)) == (0, 1), gone
    assert PARAGRAPH in live
    assert live.count(INLINETASK) == 1
    assert [w[0] for w in now_live["wholes"]].count("inlinetask") == 1


# -- Any mix of them, with any words, in any order (a property): Emacs judges each file.

_WORDS = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FFF),
                 min_size=1, max_size=12)


def _piece(kind: str, n: int, words: str) -> tuple[str, bool, str, str]:
    """One piece of Decisions: its text, whether it stays, what the person's paragraph
    after the entries says of it, and a footnote definition for the section's end."""
    label = f"k{n}"
    one = entry(n + 1, f"E{n:03d} {words}")
    two = entry(n + 1, f"F{n:03d} {words}")
    pieces = {
        "fnref": (entry(n + 1, f"E{n:03d} {words} [fn:{label}]"), True, "",
                  f"[fn:{label}] {words}\n"),
        "fninline": (entry(n + 1, f"E{n:03d} [fn:{label}: {words}]"), True, f"[fn:{label}]",
                     ""),
        "target": (entry(n + 1, f"E{n:03d} <<{label}>> {words}"), True, f"[[{label}]]", ""),
        "radio": (entry(n + 1, f"E{n:03d} <<<{label}x>>> {words}"), True, f"{label}x", ""),
        "fuzzy": (entry(n + 1, f"E{n:03d} [[the paragraph]] {words}"), True, "", ""),
        "custom": (entry(n + 1, f"E{n:03d} [[#summary][{words}]]"), True, "", ""),
        "named": (entry(n + 1, f"E{n:03d} {words}", f"  #+NAME: {label}", f"  | {words} |"),
                  True, f"[[{label}]]", ""),
        "macro": (entry(n + 1, f"E{n:03d} {{{{{{version}}}}}} {words}"), True, "", ""),
        "drawer": (f":D{label}:\n{one}:END:\n", True, "", ""),
        "quote": (f"#+begin_quote\n{one}#+end_quote\n", True, "", ""),
        "list": (f"#+NAME: {label}\n{one}{two}\n\n", True, f"[[{label}]]", ""),
        "fndef": (f"[fn:{label}] {words}\n{one}\n\n", True, f"[fn:{label}]", ""),
        "anon": (entry(n + 1, f"E{n:03d} [fn:: {words}]"), False, "", ""),
        "url": (entry(n + 1, f"E{n:03d} [[https://orgmode.org][{words}]]"), False, "", ""),
        "caption": (entry(n + 1, f"E{n:03d} {words}", f"  #+CAPTION: {words}",
                          "  #+ATTR_HTML: :border 1", f"  | {words} |"), False, "", ""),
        "inner": (entry(n + 1, f"E{n:03d} {words}", "  :NOTES:", words, "  :END:"), False,
                  "", ""),
        "plain": (one, False, "", ""),
        "cont": (entry(n + 1, f"E{n:03d} {words}", f"    {words}", f" {words}"), False, "", ""),
        "span": (entry(n + 1, f"E{n:03d} {words}", "  #+begin_quote", f"  {words}") + two +
                 "#+end_quote\n", False, "", ""),
        "dspan": (entry(n + 1, f"E{n:03d} {words}", "  :NOTES:") + two + ":END:\n", False,
                  "", ""),
        "dyn": (entry(n + 1, f"E{n:03d} {words}", "  #+BEGIN: columnview") + two + "#+END:\n",
                True, "", ""),  # (a dynamic block is made from its file: it stays)
    }
    return pieces[kind]


_KINDS = ("fnref", "fninline", "target", "radio", "fuzzy", "custom", "named", "macro",
          "drawer", "quote", "list", "fndef", "anon", "url", "caption", "inner", "plain",
          "cont", "span", "dspan", "dyn")


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.tuples(st.sampled_from(_KINDS), _WORDS), min_size=1, max_size=12))
def test_any_mix_keeps_every_tie_and_moves_the_rest_property(
        tmp_path_factory: pytest.TempPathFactory, kinds: list[tuple[str, str]]) -> None:
    """Any mix of entries tied to what stays and self-contained ones, with any words, in
    any order before 4 MB of the tool's own: after the rollover, Org (9.5 and 9.7)
    resolves every footnote, link and macro in each file, finds every footnote
    definition, drawer, block and named element once and whole; the tied pieces stay,
    the others move, byte for byte; ``show --all`` gives every decision once, in the
    order written."""
    root = tmp_path_factory.mktemp("ties") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    path = started(run, root)
    made = [_piece(kind, n, words) for n, (kind, words) in enumerate(kinds)]
    paragraph = "Refers to " + " ".join(p[2] for p in made if p[2]) + \
        "; <<the paragraph>>.\n" + "".join(p[3] for p in made)
    bulk = "".join(block(entry_lines(stamp(100 + n), f"bulk decision {n:03d}\n" +
                                     "b" * 100_000)) for n in range(46))
    text = "#+MACRO: version 1.0\n" + insert(path.read_text(), "decisions",
                                              "".join(p[0] for p in made) + bulk + paragraph)
    path.write_text(text)
    (root / "copy").mkdir()
    before = root / "copy/before.org"
    before.write_text(text)
    shown = json.loads(run("show", "--json").stdout)

    run("log", "--discovery", "ROLLWRITE")

    live, history = texts_of(root)
    assert len(history) == 1
    was, now_live, now_moved = judged([before, path, history[0]])
    assert was["unresolved"] == []
    assert now_live["unresolved"] == []
    assert now_moved["unresolved"] == []
    after = [tuple(w) for w in now_live["wholes"] + now_moved["wholes"]]
    for whole in was["wholes"]:
        assert after.count(tuple(whole)) == 1, whole
    moved = history[0].read_text()
    for piece, stays, _, _ in made:
        assert (live.count(piece), moved.count(piece)) == ((1, 0) if stays else (0, 1)), piece
    whole = json.loads(run("show", "--all", "--json").stdout)
    assert whole["decisions"] == shown["decisions"]
