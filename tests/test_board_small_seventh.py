"""The task board's small faults found by its sixth fresh review (issue 15, rev15f).

Every command runs as the installed ``ai-protocols`` in a real git repository, the
PreToolUse hook as a real subprocess given the payload an agent program sends.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from boardkit import BOARD, add, board, edit_hook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


def codex_hook(cwd: Path, patch: str, agent: str) -> subprocess.CompletedProcess[str]:
    return edit_hook(cwd, "apply_patch", {"command": patch}, agent, runtime="codex")


# -- 1. Codex patches, read as Codex's parser reads them ------------------------------------------

#: Unicode's White_Space characters (PropList.txt): what Rust's str::trim removes.
_WHITE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


class _Refused(Exception):
    """Codex's ParseError."""


def _codex_hunks(patch: str) -> list[tuple[str, str, str | None]]:
    """A line-for-line transliteration of Codex's parser (openai/codex,
    codex-rs/apply-patch/src/parser.rs: parse_patch in lenient mode, parse_one_hunk,
    parse_update_file_chunk): its hunks as (kind, path, move path); _Refused where it
    returns an error. Kept apart from the library's reader on purpose."""
    text = patch.strip(_WHITE)
    lines = text.split("\n") if text else []
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]

    def strict(ls: list[str]) -> list[str]:
        if not ls or ls[0].strip(_WHITE) != "*** Begin Patch" or \
                ls[-1].strip(_WHITE) != "*** End Patch":
            raise _Refused
        return ls[1:-1]

    try:
        hunk_lines = strict(lines)
    except _Refused:
        if len(lines) >= 4 and lines[0] in ("<<EOF", "<<'EOF'", '<<"EOF"') and \
                lines[-1].endswith("EOF"):
            hunk_lines = strict(lines[1:-1])
        else:
            raise
    hunks = []
    remaining = hunk_lines
    while remaining:
        first = remaining[0].strip(_WHITE)
        if first.startswith("*** Add File: "):
            n = 1
            for line in remaining[1:]:
                if not line.startswith("+"):
                    break
                n += 1
            hunks.append(("add", first[len("*** Add File: "):], None))
        elif first.startswith("*** Delete File: "):
            n = 1
            hunks.append(("delete", first[len("*** Delete File: "):], None))
        elif first.startswith("*** Update File: "):
            rest, n = remaining[1:], 1
            move = rest[0][len("*** Move to: "):] if rest and \
                rest[0].startswith("*** Move to: ") else None
            if move is not None:
                rest, n = rest[1:], n + 1
            chunks = 0
            while rest:
                if not rest[0].strip(_WHITE):
                    rest, n = rest[1:], n + 1
                    continue
                if rest[0].startswith("*"):
                    break
                # parse_update_file_chunk
                if rest[0] == "@@" or rest[0].startswith("@@ "):
                    start = 1
                elif chunks == 0:
                    start = 0
                else:
                    raise _Refused
                if start >= len(rest):
                    raise _Refused
                parsed = 0
                for line in rest[start:]:
                    if line == "*** End of File":
                        if parsed == 0:
                            raise _Refused
                        parsed += 1
                        break
                    if line == "" or line[0] in " +-":
                        parsed += 1
                        continue
                    if parsed == 0:
                        raise _Refused
                    break
                chunks += 1
                rest, n = rest[parsed + start:], n + parsed + start
            if not chunks:
                raise _Refused
            hunks.append(("update", first[len("*** Update File: "):], move))
        else:
            raise _Refused
        remaining = remaining[n:]
    return hunks


def _codex_writes(patch: str) -> set[str]:
    """The paths Codex writes for ``patch``: none when it refuses it."""
    try:
        hunks = _codex_hunks(patch)
    except _Refused:
        return set()
    return {p for _, path, move in hunks for p in (path, move) if p is not None}


def test_an_indented_header_in_an_update_hunk_is_context_not_a_file(project: Path,
                                                                    run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    (project / "docs").mkdir()
    run("lock", "src/api/", "--reason", "busy", agent="holder.1")
    patch = ("*** Begin Patch\n*** Update File: docs/patching.md\n@@ Example\n"
             "     *** Update File: src/api/v1.py\n-old line\n+new line\n*** End Patch")
    allowed = codex_hook(project, patch, "bob.1")
    assert allowed.returncode == 0, allowed.stderr
    # The same line, a real header (after an Add hunk, a hunk's first line is trimmed):
    header = ("*** Begin Patch\n*** Add File: notes.txt\n+hi\n     *** Update File: "
              "src/api/v1.py\n@@\n-a\n+b\n*** End Patch")
    refused = codex_hook(project, header, "bob.1")
    assert refused.returncode == 2 and "src/api/v1.py" in refused.stderr, refused


def test_an_indented_move_line_is_no_move(project: Path, run: Runner) -> None:
    """``*** Move to:`` is matched untrimmed: indented, it makes the patch one Codex
    refuses (a line starting with a space is context; the chunk then lacks its @@)."""
    from ai_protocols.board.guard import codex_patch_paths

    patch = "*** Begin Patch\n*** Update File: a.py\n*** Move to: b.py\n@@\n-x\n+y\n*** End Patch"
    assert codex_patch_paths(patch) == ["a.py", "b.py"]
    indented = patch.replace("*** Move to", " *** Move to")
    assert codex_patch_paths(indented) == ["a.py"] == sorted(_codex_writes(indented))


_LINES = st.sampled_from([
    "*** Add File: {p}", "*** Update File: {p}", "*** Delete File: {p}", "*** Move to: {p}",
    "{w}*** Update File: {p}", "{w}*** Add File: {p}{w}", "{w}*** Delete File: {p}",
    "{w}*** Move to: {p}", " *** Update File: {p}", "+{p}", "-{p}", " {p}", "", "@@",
    "@@ {p}", "@@{p}", "*** End of File", "*** End of File{w}", "{w}", "{p}", "*{p}",
    "\t+{p}", "+", "-", " ", "*** End Patch", "*** Begin Patch",
])
_NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
                 min_size=0, max_size=6).map(lambda s: "src/" + s)


@st.composite
def _patches(draw: st.DrawFn) -> str:
    lines = []
    for template in draw(st.lists(_LINES, max_size=12)):
        lines.append(template.format(p=draw(_NAMES),
                                     w=draw(st.text(_WHITE.replace("\n", ""), min_size=1,
                                                    max_size=2))))
    begin = draw(st.sampled_from(["*** Begin Patch", " *** Begin Patch\t", "<<'EOF'\n"
                                  "*** Begin Patch"]))
    end = "*** End Patch\nEOF" if begin.startswith("<<") else \
        draw(st.sampled_from(["*** End Patch", "*** End Patch ", "*** End Patch\n"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join([begin, *lines, end])


@settings(max_examples=1500, deadline=None)
@given(patch=_patches())
def test_the_hook_reads_exactly_the_paths_codex_writes(patch: str) -> None:
    from ai_protocols.board.guard import edited_paths

    expected = {f"/p/{path}" for path in _codex_writes(patch)}
    assert set(edited_paths({"command": patch}, "/p")) == expected


# -- 2. paths holding [ (Next.js's app/[id]/) are literal everywhere -----------------------------


def test_a_bracket_route_folder_is_locked_claimed_and_matched_as_itself(
        project: Path, run: Runner) -> None:
    (project / "app" / "[id]").mkdir(parents=True)
    (project / "app" / "i").mkdir()
    (project / "app" / "[id]" / "page.tsx").write_text("x\n")
    (project / "app" / "i" / "page.tsx").write_text("x\n")
    run("lock", "app/[id]/", "--reason", "route", agent="a.1")
    assert "app/[id]/" in run("locks").stdout
    task = add(run, "Route page", "--working-set", "app/[id]/page.tsx")
    assert "app/[id]/page.tsx" in board(project)
    # The hook: app/[id]/page.tsx is in the lock; app/i/page.tsx (a glob's match) is not.
    inside = edit_hook(project, "Write", {"file_path": str(project / "app/[id]/page.tsx")},
                       "b.1")
    assert inside.returncode == 2 and "app/[id]/page.tsx" in inside.stderr, inside
    glob_match = edit_hook(project, "Write", {"file_path": str(project / "app/i/page.tsx")},
                           "b.1")
    assert glob_match.returncode == 0, glob_match.stderr
    # check: b's change of app/[id]/page.tsx is in a's lock; app/i/ is outside b's task.
    run("unlock", "app/[id]/", "--force", agent="b.1")
    run("task", "claim", task, agent="b.1")
    (project / "app" / "i" / "page.tsx").write_text("y\n")
    (project / "app" / "[id]" / "page.tsx").write_text("y\n")
    report = json.loads(run("check", "--json", agent="b.1", check=False).stdout)
    outside = {f["path"] for f in report["findings"] if f["outside_working_set"]}
    assert outside == {"app/i/page.tsx"}, report


def test_a_glob_that_names_nothing_yet_is_refused_with_advice(project: Path,
                                                              run: Runner) -> None:
    (project / "app" / "[id]").mkdir(parents=True)
    before = (project / BOARD).read_bytes() if (project / BOARD).exists() else None
    for given_path in ("src/*.py", "app/[slug]/", "a?.txt"):
        refused = run("lock", given_path, "--reason", "r", agent="a.1", check=False)
        assert refused.returncode == 4, refused
        assert "reads as a glob" in refused.stderr and "make it first" in refused.stderr
    assert ((project / BOARD).read_bytes() if (project / BOARD).exists() else None) == before
    # inside an existing [id]/, a new file; a [ without ]: no glob meaning
    run("lock", "app/[id]/new.tsx", "notes[draft.txt", "--reason", "r", agent="a.1")
    assert "app/[id]/new.tsx" in run("locks").stdout


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.sampled_from("ab[]*?!-_."), min_size=1, max_size=8))
def test_every_existing_path_is_accepted_literally(tmp_path: Path, name: str) -> None:
    from ai_protocols.board.model import check_given_path, no_glob

    folder = tmp_path / "w"
    folder.mkdir(exist_ok=True)
    if name in (".", ".."):
        return
    (folder / name).write_text("x")
    assert check_given_path(name, str(folder)) == name
    assert no_glob(f"{name}/more", str(folder)) == f"{name}/more"
    (folder / name).unlink()


# -- 3. the advice for --role -- works -----------------------------------------------------------


def test_the_advice_after_a_role_that_looks_like_an_option_works(project: Path,
                                                                   run: Runner) -> None:
    _git(project, "commit", "-q", "--allow-empty", "-m", "i")  # (HEAD names a commit)
    task = add(run, "Done with a ref")
    for args in (["task", "add", "T", "--role", "--"], ["task", "add", "T", "--tag", "-x"],
                 ["task", "done", task, "--checkpoint-ref", "-x"]):
        refused = run(*args, check=False)
        assert refused.returncode == 2, refused
        advice = re.search(r"as in (--\S+ \S+)", refused.stderr)
        assert advice, refused.stderr
        run(*args[:-2], *shlex.split(advice.group(1)))
    said = run("start", "--task", "-x", check=False)
    assert said.returncode == 2 and "'ai-protocols task list' shows them" in said.stderr
    # an option whose value may start with '-': its '=' advice works too
    run("lock", "x", agent="a.1", check=False)
    refused = run("lock", "x", "--reason", "--", agent="a.1", check=False)
    advice = re.search(r"as in (--reason=\S+)", refused.stderr)
    assert advice, refused.stderr
    run("lock", "x", advice.group(1), agent="a.1")


# -- 7. one rule for one-line text: no control, separator or bidi override character -----------

_BAD = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                         *range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@settings(max_examples=300, deadline=None)
@given(head=st.text(max_size=5), bad=st.sampled_from(_BAD), tail=st.text(max_size=5))
def test_no_one_line_text_holds_a_character_that_breaks_or_reorders_a_line(
        head: str, bad: str, tail: str) -> None:
    import pytest

    from ai_protocols.board.model import check_line, check_role, check_tag, check_title
    from ai_protocols.errors import InvalidText
    from ai_protocols.session.text import check_text

    text = f"w{head}{bad}{tail}w"
    for check in (check_title, check_tag, check_role, lambda t: check_line("reason", t),
                  lambda t: check_text("title", t, one_line=True)):
        with pytest.raises(InvalidText) as refused:
            check(text)
        said = str(refused.value)
        assert re.search(r"holds U\+[0-9A-F]{4} ", said) or "NUL" in said or \
            said.endswith("one line without control characters"), said


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=20))
def test_one_line_text_without_them_is_kept(text: str) -> None:
    from ai_protocols.session.text import check_text

    if not text.strip() or any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                               for c in text):
        return
    assert check_text("note", text, one_line=True) == text


def test_a_title_note_and_reason_with_c1_or_a_separator_change_nothing(project: Path,
                                                                        run: Runner) -> None:
    task = add(run, "Real")
    before = (project / BOARD).read_bytes()
    for args in (["task", "add", "a\u0085b"], ["task", "add", "a\u2028b"],
                 ["task", "add", "abc\u202edcb"], ["lock", "x", "--reason", "a\u009bb"],
                 ["task", "handoff", task, "--to", "reviewer", "--note", "a\u2029b"],
                 ["task", "add", "T", "--role", "a\u0080"]):
        refused = run(*args, agent="a.1", check=False)
        assert refused.returncode == 4, (args, refused)
        assert "U+" in refused.stderr
    assert (project / BOARD).read_bytes() == before
    refused = run("start", "--title", "a\u2028b", "--objective", "o", agent="a.1", check=False)
    assert refused.returncode == 4 and "U+2028" in refused.stderr, refused


# -- 8. lock x --reason a b --------------------------------------------------------------------


def test_words_after_a_reason_are_refused_not_locked(project: Path, run: Runner) -> None:
    refused = run("lock", "x", "--reason", "a", "b", agent="a.1", check=False)
    assert refused.returncode == 2, refused
    assert "--reason 'a b'" in refused.stderr
    assert not (project / BOARD).exists() or "b" not in run("locks").stdout.split()
    advised = re.search(r"as in (ai-protocols lock .*)$", refused.stderr.strip())
    assert advised, refused.stderr
    subprocess.run([str(CLI), *shlex.split(advised.group(1))[1:]], cwd=project, check=True,
                   env=clean_env(AI_AGENT_ID="a.1"), capture_output=True)
    assert {"x", "b"} <= set(run("locks").stdout.split())


# -- 4. start/log --task: a closed task is refused -------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env()).stdout


def _ai_files(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in (project / ".ai").rglob("*")
            if p.is_file() and ".locks" not in p.parts}


def test_a_session_is_not_linked_to_a_done_or_other_done_type_task(project: Path,
                                                                   run: Runner) -> None:
    done = add(run, "Finished")
    run("task", "done", done, agent="a.1")
    wontfix = add(run, "Not to be done")
    text = board(project).replace("* TODO Not to be done", "* WONTFIX Not to be done")
    text = text.replace("#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED",
                        "#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED WONTFIX")
    (project / BOARD).write_text(text, encoding="utf-8")
    before = _ai_files(project)
    for task in (done, wontfix):
        refused = run("start", "--title", "t", "--task", task, agent="a.1", check=False)
        assert refused.returncode == 24, refused
        assert "link the session to" in refused.stderr and task in refused.stderr
        assert _ai_files(project) == before  # no session started
    run("start", "--title", "t", agent="a.1")
    before = _ai_files(project)
    for task in (done, wontfix):
        refused = run("log", "--progress", "p", "--task", task, agent="a.1", check=False)
        assert refused.returncode == 24, refused
        assert _ai_files(project) == before  # nothing logged, nothing linked
    # a WONTFIX task (done-type: after '|') is closed for the board too
    assert wontfix not in run("task", "list").stdout
    assert run("task", "claim", wontfix, agent="a.1", check=False).returncode == 24


# -- 5. a linked work tree reads the main work tree's board, and says so --------------------------


def test_a_task_only_in_a_linked_work_tree_s_own_board_is_explained(project: Path,
                                                                     run: Runner,
                                                                     tmp_path: Path) -> None:
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "init")
    _git(project, "checkout", "-q", "-b", "feature")
    task = add(run, "Only on the branch")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "board")
    _git(project, "checkout", "-q", "-")
    linked = (tmp_path / "linked").resolve()
    _git(project, "worktree", "add", "-q", str(linked), "feature")
    assert task in (linked / BOARD).read_text(encoding="utf-8")
    for args in (["task", "show", task], ["task", "claim", task]):
        refused = run(*args, agent="a.1", cwd=linked, check=False)
        assert refused.returncode == 20, refused
        said = " ".join(refused.stderr.split())
        assert f"{project / BOARD}" in said and "linked git work tree" in said, said
        assert f"{linked / BOARD} is not read" in said and "it is there that task" in said
    other = run("task", "show", "zzzz", cwd=linked, check=False)
    assert other.returncode == 20 and "linked git work tree" in other.stderr
    assert "it is there" not in other.stderr


# -- 6. a board without #+TODO: reads its states as the writer declares them ----------------------


def test_a_hand_written_board_without_a_todo_line_shows_its_doing_tasks(project: Path,
                                                                         run: Runner) -> None:
    (project / "src").mkdir()
    (project / BOARD).write_text(
        "#+TITLE: Our board\n\n* DOING Hand task\n:PROPERTIES:\n:ID: t-hand1\n"
        ":WORKING_SET: src/\n:END:\n* NEXT Another one\n:PROPERTIES:\n:ID: t-hand2\n:END:\n",
        encoding="utf-8")
    listed = {t["id"]: t for t in json.loads(run("task", "list", "--json").stdout)}
    assert listed["t-hand1"]["state"] == "DOING" and listed["t-hand1"]["title"] == "Hand task"
    assert listed["t-hand2"]["state"] == "NEXT"
    shown = json.loads(run("task", "show", "t-hand2", "--json").stdout)
    assert shown["state"] == "NEXT" and shown["title"] == "Another one"
    run("task", "claim", "t-hand2", agent="a.1")
    text = board(project)
    assert "* DOING Another one" in text and "#+TODO: TODO NEXT DOING REVIEW" in text
    assert "* DOING Hand task" in text


# -- 8. locks while the board is gone; done-type states after | ----------------------------------


def test_locks_lists_the_live_locks_kept_while_the_board_is_gone(project: Path,
                                                                 run: Runner) -> None:
    from boardkit import git

    (project / "src").mkdir()
    git(project, "commit", "-q", "--allow-empty", "-m", "i")
    git(project, "branch", "old")  # (a branch from before the board)
    run("lock", "src/", "--reason", "busy", agent="a.1")
    git(project, "add", ".ai")
    git(project, "commit", "-qm", "board")
    git(project, "checkout", "-q", "old")  # git removes the board (a board an rm or git
    assert not (project / BOARD).exists()  # clean removed comes back whole: twentieth round)
    listed = run("locks", agent="b.1")
    assert "No locks." not in listed.stdout
    assert "src/  locked by" in listed.stdout and "not on the board on disk" in listed.stdout
    rows = json.loads(run("locks", "--json", agent="b.1").stdout)
    assert [(r["path"], r["lost"]) for r in rows] == [("src/", True)]
    # and the hook still enforces it, as the listing says
    refused = edit_hook(project, "Write", {"file_path": str(project / "src" / "a.py")}, "b.1")
    assert refused.returncode == 2, refused


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(["WAIT", "HOLD", "WONTFIX", "DUP", "GONE(g)"]),
                      min_size=1, max_size=3, unique=True),
       bar=st.booleans())
def test_every_done_type_state_closes_a_task(words: list[str], bar: bool) -> None:
    from ai_protocols.board.model import BoardFile, read_board

    done = [w.split("(")[0] for w in words]
    line = f"#+TODO: TODO DOING | {' '.join(words)}" if bar else \
        f"#+TODO: TODO DOING {' '.join(words)}"
    text = line + "\n" + "".join(f"* {w} Task {i}\n:PROPERTIES:\n:ID: t-{i}\n:END:\n"
                                 for i, w in enumerate(done))
    tasks = read_board(BoardFile(text))[0]
    closed = {t.state for t in tasks if not t.is_open}
    assert closed == (set(done) if bar else {done[-1]})
