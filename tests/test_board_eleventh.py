"""The task board after its eleventh round (issue 15): one reading of the board's states
for every command, as Org 9.5 and 9.7 read the file (a ``#+TODO:`` line without ``|``;
one inside a block Org does not parse); messages that say what is wrong and what to do
(a NUL byte, UTF-16, a hand-written lock that is no lock path); one rule for white space
in one-line values and for the paths a task may name; the merge's identity rule for a
task one clone gave an id and edited in one commit.

Every command runs as the installed ``ai-protocols`` in a real git repository; real
Emacs (both Org versions) judges the Org.
"""

from __future__ import annotations

from pathlib import Path

from boardkit import add, board, edit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

AGENT = "el.1796000000"
OTHER = "ev.1796000001"


# -- 1. done states as Org reads them --------------------------------------------------------


def test_claim_reads_a_board_without_its_bar_as_task_list_and_org_do(
        project: Path, run: Runner) -> None:
    """A ``#+TODO:`` line without ``|``: Org's done state is its last word alone, so a
    ``DONE`` task is open to Org and to ``task list``; ``task claim`` reads it so too
    (before, it read the board's own line, which the write adds first, and refused it as
    done). The claim makes it ``DOING``, so the line the write adds does not close it."""
    task = add(run, "Task B")
    edit(project, "#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n",
         "#+TODO: TODO NEXT DOING REVIEW DONE CANCELLED WONTFIX\n")
    edit(project, "* TODO Task B", "* DONE Task B")
    assert "Task B" in run("task", "list", agent=OTHER).stdout  # open, as Org reads it
    claimed = run("task", "claim", task, agent=AGENT, check=False)
    assert claimed.returncode == 0, claimed.stderr
    assert "* DOING Task B" in board(project)
    assert board(project).startswith("#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n")


_BLOCKS = {  # how a #+TODO: line is wrapped, and whether Org 9.5/9.7 read it there
    "bare": ("{}", True),
    "src": ("#+BEGIN_SRC org\n{}\n#+END_SRC", False),
    "example": ("#+begin_example\n{}\n#+end_example", False),
    "export": ("#+BEGIN_EXPORT html\n{}\n#+END_EXPORT", False),
    "comment": ("#+BEGIN_COMMENT\n{}\n#+END_COMMENT", False),
    "verse": ("#+BEGIN_VERSE\n{}\n#+END_VERSE", False),
    "latex": ("\\begin{equation}\n{}\n\\end{equation}", False),
    "quote": ("#+BEGIN_QUOTE\n{}\n#+END_QUOTE", True),
    "center": ("#+BEGIN_CENTER\n{}\n#+END_CENTER", True),
    "special": ("#+BEGIN_NOTES\n{}\n#+END_NOTES", True),
    "unclosed": ("#+BEGIN_SRC org\n{}", True),
    "indented": ("  #+begin_src org\n  {}\n  #+end_src", False),
}
_WORDS = ["TODO", "DOING", "DONE", "CANCELLED", "WAIT", "SHIPPED"]
_LINE = st.tuples(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4, unique=True),
                  st.one_of(st.none(), st.integers(0, 4)), st.sampled_from(sorted(_BLOCKS)))


def _board(lines: list[tuple[list[str], int | None, str]]) -> str:
    parts = []
    for words, bar, block in lines:
        if bar is not None:
            bar = min(bar, len(words))
            words = [*words[:bar], "|", *words[bar:]]
        parts.append(_BLOCKS[block][0].replace("{}", "#+TODO: " + " ".join(words)))
    return "\n".join(parts) + "\n\n" + "".join(
        f"* {w} Task {w}\n:PROPERTIES:\n:ID: t-{w}\n:END:\n" for w in _WORDS)


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(boards=st.lists(st.lists(_LINE, min_size=1, max_size=3), min_size=1, max_size=12))
def test_todo_lines_are_read_where_org_reads_them(boards, tmp_path_factory) -> None:
    """The keywords a board declares (``org-todo-keywords-1``) and its done states
    (``org-done-keywords``) are what Org 9.5 and 9.7 read: a ``#+TODO:`` line inside a
    source, example, export, comment or verse block or a LaTeX environment declares
    nothing; one in a quote, center or special block (or an unclosed block) does."""
    from ai_protocols.board.model import BoardFile, done_states

    from emacs import JUDGES, on_both

    folder = tmp_path_factory.mktemp("blocks")
    mine = {}
    for number, lines in enumerate(boards):
        text = _board(lines)
        (folder / f"b{number}.org").write_text(text, encoding="utf-8")
        doc = BoardFile(text)
        keywords = sorted(doc.declared_keywords) or ["DONE", "TODO"]
        done = sorted(done_states(doc)) if doc.declared_keywords else ["DONE"]
        mine[f"b{number}.org"] = f"{' '.join(keywords)} / {' '.join(done)}"
    code = ("(progn (require 'org) (dolist (f command-line-args-left) (with-temp-buffer "
            "(insert-file-contents f) (org-mode) (princ (format \"%s %s / %s\\n\" "
            "(file-name-nondirectory f) (mapconcat 'identity (sort (delete-dups "
            "(copy-sequence org-todo-keywords-1)) 'string<) \" \") (mapconcat 'identity "
            "(sort (delete-dups (copy-sequence org-done-keywords)) 'string<) \" \")))))"
            " (setq command-line-args-left nil))")
    files = [str(folder / name) for name in sorted(mine)]
    for judge, done in zip(JUDGES, on_both(lambda j: j.run(["--eval", code, *files])),
                           strict=True):
        theirs = dict(row.split(" ", 1) for row in done.stdout.splitlines() if row.strip())
        assert theirs == mine, f"{judge}: {boards}"


# -- 2. messages: what is wrong, where, and what to do ------------------------------------------


def test_a_board_with_a_nul_or_in_utf_16_is_refused_saying_where_and_what_to_do(
        project: Path, run: Runner) -> None:
    """A NUL byte, UTF-16 with its byte-order mark, UTF-16 without one: each refusal
    (exit 6) names the offset and line, and what to do; the board is left as it was."""
    add(run, "Seed")
    good = board(project)
    path = project / ".ai" / "tasks.org"
    cases = [(good.encode() + b"x\x00y\n", f"offset {len(good.encode()) + 1} (line "
              f"{good.count(chr(10)) + 1})", "Delete that byte"),
             (good.encode("utf-16"), "offset 0, line 1", "iconv -f UTF-16 -t UTF-8"),
             (good.encode("utf-16-le"), "offset 1 (line 1)", "iconv -f UTF-16LE -t UTF-8")]
    for data, where, advice in cases:
        path.write_bytes(data)
        refused = run("task", "add", "More", agent=AGENT, check=False)
        assert refused.returncode == 6, refused
        assert where in refused.stderr and advice in refused.stderr, refused.stderr
        assert path.read_bytes() == data


def test_a_lock_written_by_hand_is_named_as_written_never_as_a_link(
        project: Path, run: Runner) -> None:
    """A lock whose PATH a person wrote ``other/../other/``: ``lock`` inside it is
    refused naming the lock as the board writes it (no "symbolic link"), and its holder
    unlocks it as ``other/``; one written as an absolute path is no lock (``locks``
    warns so), so it refuses nothing, for ``lock`` as for ``check``."""
    (project / "other").mkdir()
    run("lock", "other/", "--reason", "mine", agent=AGENT)
    edit(project, ":PATH:     other/\n", ":PATH:     other/../other/\n")
    refused = run("lock", "other/x", "--reason", "r", agent=OTHER, check=False)
    assert refused.returncode == 22, refused
    assert "symbolic link" not in refused.stderr, refused.stderr
    assert "other/x is inside other/" in refused.stderr and \
        "writes that lock's path as other/../other/" in refused.stderr, refused.stderr
    assert "lost" not in refused.stderr, refused.stderr  # the same lock, retyped
    run("unlock", "other/", agent=AGENT)
    assert ":PATH:" not in board(project).split("* Locks", 1)[1]
    text = board(project)
    (project / ".ai" / "tasks.org").write_text(  # a person's lock, by an absolute path
        text + f"** Mine\n:PROPERTIES:\n:PATH:     {project}/other/\n:OWNER:    {AGENT}\n"
               ":END:\n", encoding="utf-8")
    assert "locks nothing" in run("locks", agent=OTHER).stderr
    assert run("lock", "other/x", "--reason", "r", agent=OTHER, check=False).returncode == 0


def test_one_rule_for_white_space_in_one_line_values(project: Path, run: Runner) -> None:
    """A tab in ``--reason`` is refused naming it (U+0009) and what to do; a no-break
    space is kept as typed (before, it was collapsed into a space)."""
    tab = run("lock", "src/", "--reason", "a\tb", agent=AGENT, check=False)
    assert tab.returncode == 4 and "U+0009 (a tab); use a space instead" in tab.stderr, tab
    run("lock", "src/", "--reason", "a\u00a0 b", agent=AGENT)
    assert ":REASON:   a\u00a0 b\n" in board(project)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=12))
def test_a_one_line_value_is_kept_as_typed_or_refused_naming_why(text: str) -> None:
    """Every one-line value of the board (a reason, a note, a checkpoint) is the text as
    typed but for the spaces at its ends, or refused; a control character (a tab among
    them) always refused, naming its code point."""
    import pytest

    from ai_protocols.board.model import check_line
    from ai_protocols.errors import InvalidText

    control = next((ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F), None)
    if control is None and text.strip():
        try:
            assert check_line("reason", text) == text.strip(" ")
        except InvalidText as refused:  # a line separator, a bidirectional override
            assert "U+" in str(refused)
    elif control is not None and control != "\x00" and text.strip():
        with pytest.raises(InvalidText, match=f"U\\+{ord(control):04X}"):
            check_line("reason", text)


def test_a_working_set_names_no_path_a_lock_may_not(project: Path, run: Runner) -> None:
    """``task add --working-set .ai/`` (or ``.git/``, or inside them) is refused as
    ``lock`` refuses those paths: one rule for the paths a task or lock names."""
    add(run, "Seed")
    before = board(project)
    for path in (".ai/", ".git/", ".ai/sessions/x.org", "sub/.git/config"):
        refused = run("task", "add", "T", "--working-set", path, agent=AGENT, check=False)
        assert refused.returncode == 4 and "a working set does not name it" in \
            refused.stderr, refused
        assert run("lock", path, "--reason", "r", agent=AGENT, check=False).returncode == 4
    assert board(project) == before


# -- 3. the merge: a clone that gave an id-less task an id and edited it in one commit ------

_BASE = """#+TITLE: Task board
#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
* TODO Seed
:PROPERTIES:
:ID:       2026-seed
:CREATED:  [2026-11-01 Mon 10:00]
:END:
"""


def _with_id(text: str, ident: str, title: str = "Hand task") -> str:
    return text.replace("* TODO Hand task\n",
                        f"* TODO {title}\n:PROPERTIES:\n:ID:       {ident}\n:END:\n")


@settings(max_examples=25, deadline=None)
@given(edit=st.sampled_from(["note", "retitle", "state"]),
       theirs=st.sampled_from(["same", "note", "id"]),
       body=st.sampled_from(["", "Ann wrote this.\n"]))
def test_a_task_given_an_id_and_edited_in_one_commit_merges_as_one(
        edit: str, theirs: str, body: str) -> None:
    """The base's task has no ``:ID:``; one clone's command gives it one and a person
    edits it in the same commit (a note added, retitled, its state changed); the other
    clone leaves it, edits it, or gives it an id of its own: one task, with both sides'
    edits (before: two tasks, the edited one not known as the base's). A task retitled
    with nothing under it is no evidence (``given_and_edited``): not asked here."""
    import re

    from hypothesis import assume

    from ai_protocols.board.merge import merge_board_bytes

    assume(edit != "retitle" or body)  # (retitled, nothing under it: no evidence, two tasks)
    base = _BASE + "* TODO Hand task\n" + body
    title = "Hand task, reworded" if edit == "retitle" else "Hand task"
    a = _with_id(base, "2026-aaaa", title)
    if edit == "note":
        a += "- [2026-11-30 Mon 10:00] Bo's note.\n"
    elif edit == "state":
        a = a.replace("* TODO Hand task", "* NEXT Hand task")
    b = base + "- [2026-11-30 Mon 10:05] Cy's note.\n" if theirs == "note" else \
        _with_id(base, "2026-bbbb") if theirs == "id" else base
    for ours, other in ((a, b), (b, a)):
        done = merge_board_bytes(base.encode(), ours.encode(), other.encode())
        assert done is not None and not done.conflicts, (edit, theirs, done)
        text = done.data.decode()
        assert text.count("* ") == 3 and text.count("Hand task") == 1, text
        assert re.findall(r"^:ID: +(\S+)$", text, re.M) == ["2026-seed", "2026-aaaa"], text
        assert title in text and body in text
        if edit == "note":
            assert "Bo's note." in text
        if theirs == "note":
            assert "Cy's note." in text


@settings(max_examples=200, deadline=None)
@given(title=st.text("abc ", min_size=1, max_size=6),
       lines=st.lists(st.text("xyz:-[] ", min_size=1, max_size=6), max_size=4),
       added=st.lists(st.text("xyz:-[] ", min_size=1, max_size=6), max_size=3),
       at=st.integers(0, 4))
def test_the_given_and_edited_rule_pairs_only_what_a_command_and_an_edit_make(
        title: str, lines: list[str], added: list[str], at: int) -> None:
    """``given_and_edited``: a base task with lines added anywhere (its title kept), or
    retitled (its lines kept), is the same task; a task without one of the base's lines
    under the same title (another task, or one whose text a person also cut) is not,
    and neither is one added by ``task add`` (a ``CREATED`` the base lacks) in place of
    a base task without lines."""
    from ai_protocols.board.merge import given_and_edited

    base = (title.strip(), tuple(t.rstrip() for t in lines if t.strip()))
    mine = list(base[1])
    edited = (base[0], tuple([*mine[:at], *(t.rstrip() for t in added if t.strip()),
                              *mine[at:]]))
    assert given_and_edited(base, edited)
    assert given_and_edited(base, (base[0] + " again", base[1])) == bool(base[1])
    if base[1]:
        assert not given_and_edited(base, (base[0], base[1][1:]))
    if not base[1]:
        assert not given_and_edited(base, (base[0] + "!", (":CREATED:  [2026-11-30]",)))
