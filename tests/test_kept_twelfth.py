"""``merge-kept`` and the advice after an exit-6 refusal (issue 14, twelfth round).

Seen: (1) the refusal of a write, ``resume`` and ``status`` advised ``cp KEPT FILE``
whenever the kept copy held every *entry* of the file, though a person had ticked a
box, typed a note under an item or set a property in Emacs: pasted, it threw those
edits away. (5) ``merge-kept`` used the committed base only when each side held
every entry of it, so a line a person reworded came out twice, a deleted line came
back, and a reword of an item the tool ticked was not refused; its count took in
the Log's lines. Now one rule: ``cp`` only when the three-way merge is the kept copy
itself; the merge is the driver's, against the committed version the file carries
the write record of. Real git, real Emacs (the person), advice run as pasted.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from gitkit import commit_all, git
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_kept_merge_ninth import _paste

from ai_protocols.session.merge import merge_diverged_bytes

from conftest import Runner, clean_env

SESSION = ".ai/session-context.org"
KEPT = ".ai/.locks/live/session-context.org"


def _emacs(project: Path, code: str) -> None:
    """A person's edit: Emacs opens the session file in Org mode, runs ``code`` from
    the top of the buffer, and saves."""
    done = subprocess.run(["emacs", "--batch", "-Q", SESSION, "--eval",
                           f"(progn (require 'org) (org-mode) (goto-char (point-min)) "
                           f"{code} (save-buffer))"],
                          cwd=project, capture_output=True, text=True, env=clean_env(),
                          timeout=120)
    assert done.returncode == 0, done.stderr


def _restored(project: Path, run: Runner, *kept_args: str) -> None:
    """A session with four Next steps and a summary, committed; one more entry logged
    (only the kept copy holds it: ``kept_args`` add to that write); then the committed
    version put back (``git checkout -- FILE``, an accidental restore)."""
    run("start", "--title", "Fix", "--objective", "fix bug")
    run("log", "--next", "alpha", "--next", "bravo", "--next", "charlie", "--next", "delta",
        "--summary", "first summary")
    commit_all(project, "base")
    run("log", "--progress", "kept-only entry", *kept_args)
    git(project, "checkout", "--", SESSION)


EDITS = {
    "tick": ('(re-search-forward "\\\\[ \\\\] .*bravo") (beginning-of-line) '
             '(org-toggle-checkbox)', "- [X] "),
    "note and summary": ('(re-search-forward "^first summary") (end-of-line) '
                         '(insert "\\nA person\'s summary line.") '
                         '(re-search-forward "bravo") (end-of-line) '
                         '(insert "\\n  - a person\'s note: the fix is in parser.c")',
                         "a person's note: the fix is in parser.c"),
    "property": ('(re-search-forward "^\\\\* Session") (org-set-property "PERSON_PROP" "x")',
                 ":PERSON_PROP: x"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_advice_keeps_a_persons_edits(project: Path, run: Runner, edit: str) -> None:
    """Item 1: after a restore, a person's edit in Emacs (a tick, a note and a summary
    line, a property) that no entry shows: the write's refusal, ``resume`` and
    ``status`` advise ``merge-kept``, never ``cp``; pasted, it keeps the edit and the
    entry only the kept copy held."""
    _restored(project, run)
    code, mark = EDITS[edit]
    _emacs(project, code)
    assert mark in (project / SESSION).read_text()
    before = (project / SESSION).read_bytes()
    refused = run("log", "--progress", "refused", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "merge-kept" in refused.stderr and "cp " not in refused.stderr, refused.stderr
    assert (project / SESSION).read_bytes() == before
    for command in ("resume", "status"):
        said = run(command).stdout
        assert "merge-kept" in said and "cp " not in said, said
    _paste(project, refused.stderr, "ai-protocols merge-kept")
    text = (project / SESSION).read_text()
    assert mark in text and "kept-only entry" in text, text
    if edit == "note and summary":
        assert "A person's summary line." in text
    run("log", "--progress", "after")
    assert mark in (project / SESSION).read_text()


def test_without_edits_the_advice_is_cp(project: Path, run: Runner) -> None:
    """The control: the file as git put it back, untouched: the kept copy loses nothing
    of it, and ``cp`` is advised; pasted, the kept-only entry is back."""
    _restored(project, run)
    refused = run("log", "--progress", "refused", check=False)
    assert refused.returncode == 6 and "(cp " in refused.stderr, refused.stderr
    _paste(project, refused.stderr, "cp ")
    assert "kept-only entry" in (project / SESSION).read_text()


CASES = {
    # a person's edit -> (what the merged file holds, what it must not)
    "reword": ('(re-search-forward "charlie") (replace-match "charlie REWORDED")',
               ["charlie REWORDED"], ["] charlie\n"]),
    "delete": ('(re-search-forward "^.*delta\\n") (replace-match "")', [], ["delta"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_merge_kept_is_three_way(project: Path, run: Runner, case: str) -> None:
    """Item 5: a line a person reworded takes the reworded version (once), a line a
    person deleted stays deleted; the kept-only entry is in; the count says 1 entry
    (the Log's lines are not counted)."""
    _restored(project, run)
    code, have, lack = CASES[case]
    _emacs(project, code)
    done = run("merge-kept")
    assert "1 entry the file lacked" in done.stdout + done.stderr, done.stdout + done.stderr
    text = (project / SESSION).read_text()
    assert "kept-only entry" in text and "1 entry the file lacked" in text, text
    for line in have:
        assert text.count(line) == 1, text
    for line in lack:
        assert line not in text, text


def test_changed_on_both_sides_is_refused(project: Path, run: Runner) -> None:
    """Item 5: an item the tool ticked (``--done``) and a person reworded: refused (exit
    6), nothing written; the advice pasted (the kept-only entry added by hand, then the
    ``cp`` it gives) lets writes go on."""
    _restored(project, run, "--done", "bravo")
    _emacs(project, '(re-search-forward "bravo") (replace-match "bravo REWORDED")')
    before = (project / SESSION).read_bytes(), (project / KEPT).read_bytes()
    refused = run("merge-kept", check=False)
    assert refused.returncode == 6, refused.stderr
    assert ((project / SESSION).read_bytes(), (project / KEPT).read_bytes()) == before
    _emacs(project, '(re-search-forward "^\\\\*\\\\* Progress") (forward-line 4) '
                    '(insert "- [ ] [2026-01-01 Thu 10:00] kept-only entry\\n")')
    _paste(project, refused.stderr, "cp ")
    run("log", "--progress", "after")
    text = (project / SESSION).read_text()
    assert "bravo REWORDED" in text and "kept-only entry" in text and "after" in text


# -- the three-way rule, as a pure function (hypothesis) ----------------------------------

_HEAD = ("#+TITLE: Session: T\n\n* Session: T\n:PROPERTIES:\n:SESSION_TITLE: T\n"
         ":STARTED:  [2026-01-01 Thu 10:00]\n:UPDATED:  [2026-01-01 Thu {u}]\n"
         ":UPDATED_AT: 2026-01-01T{u}:00+00:00 vm boot 1{u2}.00\n:STATUS:   active\n:END:\n"
         "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\n{summary}"
         "** Next steps\n:PROPERTIES:\n:CUSTOM_ID: next-steps\n:END:\n")
_LOG = ("** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n"
        "- [2026-01-01 Thu 10:00] start: session started\n")


def _file(items: list[tuple[str, bool, str, int]], summary: str, at: str) -> bytes:
    """A session file of ``items`` (text, ticked, note, the minute of its stamp: an item
    keeps its own stamp whatever is deleted before it, as in a person's edit)."""
    body = "".join(f"- [{'X' if done else ' '}] [2026-01-01 Thu 10:0{minute % 10}] {text}\n"
                   + (f"  - {note}\n" if note else "")
                   for text, done, note, minute in items)
    head = _HEAD.format(u=at, u2=at.replace(":", ""), summary=summary + "\n" if summary else "")
    return (head + body + _LOG).encode()


_WORDS = st.text("abcdefgh", min_size=1, max_size=6)
_PERSON = st.lists(st.tuples(st.sampled_from(["reword", "delete", "tick", "note", "keep"]),
                             _WORDS), min_size=4, max_size=4)
_TOOL = st.lists(st.sampled_from(["tick", "keep"]), min_size=4, max_size=4)


def _carried(line: str, other: Counter[str], result: Counter[str]) -> bool:
    """Whether the ticked entry ``line`` is in ``result`` as the entry ``other`` (the
    other side) reworded, ticked: a tick and a reword merge into the reworded entry
    ticked, as the driver merges them (docs/decisions.md, "Twenty-eighth round: a tick
    under another clone's reword"; the person's reword here is always words added)."""
    return line.startswith("- [X]") and not other[line.replace("- [X]", "- [ ]", 1)] and \
        any(n and there.startswith(line + " ") for there, n in result.items())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=_PERSON, tool=_TOOL, added=st.lists(_WORDS, max_size=2),
       summary=st.sampled_from(["", "old summary"]))
# (a deletion before item 3 once shifted the stamps of the items after it, the model's
# doing: the person's side then changed item 3 too, a real conflict)
@example(person=[("reword", "a"), ("delete", "a"), ("keep", "a"), ("keep", "a")],
         tool=["keep", "keep", "keep", "tick"], added=[], summary="")
def test_merged_lines_come_from_a_side(person: list[tuple[str, str]], tool: list[str],
                                       added: list[str], summary: str) -> None:
    """Whenever the merge writes, each line of either side is in the result, or the other
    side changed or deleted it relative to the base (three ways; the drawer's property
    lines, the tool's, aside), and each side's own change is in it."""
    base_items = [(f"item{i}", False, "", i) for i in range(4)]
    base = _file(base_items, summary, "10:00")
    older_items = []
    for (what, word), item in zip(person, base_items, strict=True):
        text, done, note, minute = item
        if what == "delete":
            continue
        older_items.append((f"{text} {word}" if what == "reword" else text,
                            done or what == "tick", word if what == "note" else note, minute))
    older = _file(older_items, summary, "10:00")  # (git put base back; a person edited)
    newer_items = [(text, what == "tick", note, minute) for what, (text, _d, note, minute)
                   in zip(tool, base_items, strict=True)] + \
        [(f"new {w}", False, "", 4 + n) for n, w in enumerate(added)]
    newer = _file(newer_items, summary, "10:05")
    merged = merge_diverged_bytes(older, newer, base)
    mine = {i for i, (what, _w) in enumerate(person) if what != "keep"}
    theirs = {i for i, what in enumerate(tool) if what == "tick"} | ({4} if added else set())
    both = any(abs(i - j) <= 1 for i in mine for j in theirs)
    if merged is None:  # (refused only when both sides changed one item, or neighbours)
        assert both, (older.decode(), newer.decode())
        return
    result = Counter(merged.data.decode().split("\n"))
    lines = {name: Counter(data.decode().split("\n"))
             for name, data in (("base", base), ("older", older), ("newer", newer))}
    prop = re.compile(r"^:[A-Z_]+:")
    for side, other in (("older", "newer"), ("newer", "older")):
        for line in lines[side]:
            if prop.match(line) or result[line]:
                continue
            ticked = line.replace("- [ ]", "- [X]", 1)
            # (or the entry the other side reworded, this side's tick carried into it: a
            # tick and a reword merge into the reworded entry ticked, as the driver merges
            # them; docs/decisions.md, "Twenty-eighth round: a tick under another clone's
            # reword"; the person's reword here is always words added after its words)
            carried = _carried(line, lines[other], result)
            assert result[ticked] or carried or \
                (lines["base"][line] and not lines[other][line]), (line, merged.data.decode())
        # each side's own change (a line not in the base) is in the result
        for line in lines[side]:
            if not prop.match(line) and not lines["base"][line]:
                ticked = line.replace("- [ ]", "- [X]", 1)
                assert result[line] or result[ticked] or \
                    _carried(line, lines[other], result), (line, merged.data.decode())
    for line in lines["base"]:  # a line one side changed or deleted, the other kept, goes
        if not prop.match(line) and lines["newer"][line] and not lines["older"][line]:
            assert not result[line], (line, merged.data.decode())
