"""The session headline's properties in a merge (issue 14, twenty-first round): a value
both clones changed is never one side's taken in silence.

A person's edit in Emacs writes no ``UPDATED_AT``, so "the side updated last" (the rule
before) always took the tool's side, or, both edited by hand, one of them by a tie of
the files' bytes, and the driver said "clean". The one rule now
(docs/merge-driver.md, "The properties"): a value changed on one side only is taken;
changed on both to different values, both by the tool's own writes: the side updated
last's, the other's text kept whole in the Log; one by a person's hand: the person's,
the tool's kept in the Log; both by hand: a conflict, with git's markers, that every
command refuses until a person settles it; unless a documented precedence (a closed
session stays closed...) decides, and then a person's value that gives way is kept
in the Log.

Real clones of a bare origin, real ``git pull``/``git merge`` running the installed
driver, a person's edits made by real Emacs (``org-set-property``); a property test
(hypothesis) runs the installed ``ai-protocols merge-driver`` on arbitrary values set
by hand and by the tool."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from clonekit import Clones, git, shared_session
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_merge_fourteenth import _late, _section

from ai_protocols.org.syntax import unescape_inline
from ai_protocols.session.layout import read_entries

from conftest import CLI, Runner, as_last_written, clean_env

SESSION = Path(".ai") / "session-context.org"
MARKERS = re.compile(r"^(?:<{7}|={7}|>{7}|\|{7})(?: |$)", re.M)


def emacs_set(clone: Path, key: str, value: str) -> None:
    """A person sets the session headline's property ``key`` to ``value`` in Emacs
    (``org-set-property``) and saves: no write of the tool's."""
    code = ('(progn (goto-char (point-min)) (re-search-forward "^\\\\* Session") '
            '(org-set-property (getenv "KEY") (getenv "VALUE")) (save-buffer))')
    done = subprocess.run(["emacs", "--batch", str(SESSION), "--eval", code], cwd=clone,
                          env=clean_env(KEY=key, VALUE=value), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"^:{key}:[ \t]+{re.escape(value)}$",
                     (clone / SESSION).read_text(), re.M), "Emacs did not set it"


def with_objective(base: Path, objective: str = "base objective") -> Clones:
    """Two clones of one session whose objective is ``objective`` (set by the tool)."""
    def prepare(first: Runner) -> None:
        shared_session(first)
        first("start", "--objective", objective)

    return Clones(base.resolve(), prepare=prepare)


def both_ways(clones: Clones) -> tuple[subprocess.CompletedProcess[str],
                                       subprocess.CompletedProcess[str]]:
    """Each clone committed its side: ``two`` merges ``one``'s (pulled), and ``one`` merges
    ``two``'s, the same two commits the other way round (git runs the driver each
    time, ours being the merging clone's)."""
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    mine = git(clones.two, "rev-parse", "HEAD").stdout.strip()
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    git(clones.one, "fetch", "-q", str(clones.two), mine)
    merged = git(clones.one, "merge", "--no-edit", "FETCH_HEAD", check=False)
    return pulled, merged


def shown(clone: Path) -> dict:
    return json.loads(Runner(clone)("show", "--json").stdout)


def drawer(text: str) -> str:
    return text.split(":PROPERTIES:\n", 1)[1].split("\n:END:\n", 1)[0] + "\n"


def merge_lines(clone: Path) -> list[str]:
    """The texts of the merge's own Log lines (``merge: ...``), as ``show`` reads them."""
    return [entry["text"] for entry in shown(clone)["log"] if entry["kind"] == "merge"]


# -- by hand on both clones: a conflict --------------------------------------------------------


@pytest.mark.parametrize("style", ["merge", "diff3"])
def test_an_objective_people_retyped_on_both_clones_is_a_conflict_then_settled(
        tmp_path: Path, style: str) -> None:
    """The reviewer's case: a person on each clone retypes the objective in Emacs. The
    pull stops with a conflict (the driver exits 1, as git's line merge would), both
    texts between git's markers in the drawer (with the base's under diff3, as git's
    own conflicts show it), every command refuses the file (exit 6); settled by hand
    and committed, the tool goes on with the text the person kept."""
    clones = with_objective(tmp_path)
    emacs_set(clones.one, "OBJECTIVE", "person A objective")
    clones.commit(clones.one, "A retypes the objective")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    emacs_set(clones.two, "OBJECTIVE", "person B objective")
    clones.commit(clones.two, "B retypes the objective")
    git(clones.two, "config", "merge.conflictStyle", style)
    pulled = git(clones.two, "pull", "--no-rebase", "--no-edit", "origin", "main",
                 check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout, pulled.stdout
    path = clones.two / SESSION
    text = path.read_text()
    base = "||||||| base\n:OBJECTIVE: base objective\n" if style == "diff3" else ""
    block = (f"<<<<<<< ours\n:OBJECTIVE: person B objective\n{base}=======\n"
             f":OBJECTIVE: person A objective\n>>>>>>> theirs\n")
    assert block in drawer(text), drawer(text)
    assert len(MARKERS.findall(text)) == (4 if base else 3), text  # (nothing else)
    refused = Runner(clones.two)("log", "--progress", "after", check=False)
    assert refused.returncode == 6 and "merge-conflict markers" in refused.stderr
    assert path.read_text() == text  # (refused: nothing changed)
    path.write_text(text.replace(block, ":OBJECTIVE: person A objective\n"))
    git(clones.two, "add", str(SESSION))
    git(clones.two, "commit", "-q", "--no-edit")
    Runner(clones.two)("log", "--progress", "after")
    assert shown(clones.two)["objective"] == "person A objective"


@pytest.mark.parametrize("key", ["SESSION_TITLE", "CATEGORY"])
def test_a_title_or_a_persons_own_key_retyped_on_both_clones_is_a_conflict(
        tmp_path: Path, key: str) -> None:
    """The title and a key the tool never writes, each retyped in Emacs on both clones
    while the agents logged there too (each clone's write is then the later one on one
    side): a conflict holding both texts, whichever clone merges."""
    clones = Clones(tmp_path.resolve())
    for clone, said in ((clones.one, "from A"), (clones.two, "from B")):
        emacs_set(clone, key, f"{key.lower()} {said}")
        Runner(clone)("log", "--progress", f"a step {said}")
        clones.commit(clone, said)
    for done in both_ways(clones):
        assert done.returncode != 0 and "CONFLICT" in done.stdout, done.stdout
    for clone in (clones.one, clones.two):
        text = drawer((clone / SESSION).read_text())
        assert re.search(rf"^<{{7}} ours\n:{key}:[ \t]+{key.lower()} from [AB]\n={{7}}\n"
                         rf":{key}:[ \t]+{key.lower()} from [AB]\n>{{7}} theirs$",
                         text, re.M), text
        assert f"{key.lower()} from A" in text and f"{key.lower()} from B" in text


# -- the tool on one clone, a person on the other ---------------------------------------------


@pytest.mark.parametrize("agent_wrote_there", [False, True])
def test_an_objective_a_person_retyped_stands_over_the_tools_which_the_log_keeps_whole(
        tmp_path: Path, agent_wrote_there: bool) -> None:
    """``start --objective`` on one clone (a text longer than the Log line's preview),
    a person retypes the objective in Emacs on the other (where the agent may have
    logged too: its writes are not the edit's): clean whichever clone merges, the same
    bytes both ways; the person's stands and the tool's is in the Log whole."""
    clones = with_objective(tmp_path)
    tools = "agent objective: " + " ".join(f"part{n}" for n in range(20))
    assert len(tools) > 100
    Runner(clones.one)("start", "--objective", tools)
    clones.commit(clones.one, "the tool's objective")
    emacs_set(clones.two, "OBJECTIVE", "person B objective")
    if agent_wrote_there:
        _late(clones.two, "log", "--progress", "B's agent logs after")
    clones.commit(clones.two, "B retypes the objective")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    merged = (clones.two / SESSION).read_bytes()
    assert merged == (clones.one / SESSION).read_bytes()
    assert not MARKERS.search(merged.decode())
    assert shown(clones.two)["objective"] == "person B objective"
    assert merge_lines(clones.two) == [
        "this OBJECTIVE, from one clone, gave way to the other clone's (the one a person "
        f"edited): {tools}"]


def test_a_short_objective_of_the_tools_gives_way_to_a_persons_kept_by_its_own_line(
        tmp_path: Path) -> None:
    """The reviewer's second case: the tool's objective is whole in its own Log line
    (``objective: X (it was: Y)``), so the merge adds none; the person's stands."""
    clones = with_objective(tmp_path)
    Runner(clones.one)("start", "--objective", "agent A objective")
    clones.commit(clones.one, "the tool's objective")
    emacs_set(clones.two, "OBJECTIVE", "person B objective")
    clones.commit(clones.two, "B retypes the objective")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    assert (clones.two / SESSION).read_bytes() == (clones.one / SESSION).read_bytes()
    seen = shown(clones.two)
    assert seen["objective"] == "person B objective"
    assert {"kind": "objective", "text": "agent A objective (it was: base objective)"} in \
        [{k: e[k] for k in ("kind", "text")} for e in seen["log"]]
    assert merge_lines(clones.two) == []


# -- the tool on both clones -------------------------------------------------------------------


def test_two_objectives_of_the_tools_the_later_stands_and_the_other_is_kept_whole(
        tmp_path: Path) -> None:
    """``start --objective`` on both clones, one two minutes later: the later write's
    stands, with no conflict, the same bytes both ways; the other text, longer than its
    own Log line's preview, is in the Log whole."""
    clones = with_objective(tmp_path)
    earlier = "objective of A " + "a" * 120
    later = "objective of B " + "b" * 120
    Runner(clones.one)("start", "--objective", earlier)
    clones.commit(clones.one, "A's objective")
    _late(clones.two, "start", "--objective", later)
    clones.commit(clones.two, "B's objective")
    for done in both_ways(clones):
        assert done.returncode == 0, done.stdout + done.stderr
    assert (clones.two / SESSION).read_bytes() == (clones.one / SESSION).read_bytes()
    assert shown(clones.one)["objective"] == later
    assert merge_lines(clones.one) == [
        f"this OBJECTIVE, from one clone, gave way to the other clone's (the later one): "
        f"{earlier}"]


# -- the status unit: its precedence, and a person's note -------------------------------------


def test_a_pause_note_retyped_on_both_clones_is_a_conflict(tmp_path: Path) -> None:
    clones = Clones(tmp_path.resolve())
    Runner(clones.one)("pause", "--note", "the base's note")
    clones.commit(clones.one, "paused")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    for clone, said in ((clones.one, "A's own note"), (clones.two, "B's own note")):
        emacs_set(clone, "PAUSE_NOTE", said)
        clones.commit(clone, said)
    for done in both_ways(clones):
        assert done.returncode != 0 and "CONFLICT" in done.stdout, done.stdout
    text = drawer((clones.two / SESSION).read_text())
    assert re.search(r"^<{7} ours\n:PAUSE_NOTE: B's own note\n={7}\n"
                     r":PAUSE_NOTE: A's own note\n>{7} theirs$", text, re.M), text


# (A pause's note a person retyped against the agent's resume on the other clone: the
# resume stands since the twenty-second round, the note kept in the Log;
# tests/test_mergeleft_twentysecond.py.)


@pytest.mark.parametrize("pulls", ["person", "tool"])
def test_a_pause_note_a_person_retyped_gives_way_to_a_wrap_up_and_is_kept_in_the_log(
        tmp_path: Path, pulls: str) -> None:
    """A closed session stays closed (a documented precedence): a person's note typed
    on one clone while the agent wrapped the session up on the other gives way, and
    the merge keeps it in the archive's Log, whichever clone merges."""
    clones = Clones(tmp_path.resolve())
    Runner(clones.one)("pause", "--note", "the base's note")
    clones.commit(clones.one, "paused")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    emacs_set(clones.one, "PAUSE_NOTE", "a person's better note")
    clones.commit(clones.one, "A retypes the note")
    Runner(clones.two)("wrap-up", "done on B")
    clones.commit(clones.two, "B wraps up")
    first, second = (clones.two, clones.one) if pulls == "person" else \
        (clones.one, clones.two)
    git(first, "push", "-q", "origin", "HEAD:main")
    pulled = git(second, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    archives = list((second / ".ai" / "sessions").glob("*.org"))
    assert len(archives) == 1 and not (second / SESSION).exists()
    text = archives[0].read_text()
    assert not MARKERS.search(text)
    assert re.search(r"^:STATUS:[ \t]+wrapped-up$", text, re.M)
    log = [e.text for e in read_entries(_section(text, "Log").splitlines(True))]
    assert "merge: this PAUSE_NOTE, from one clone, gave way to the other clone's (a closed " \
        "session stays closed): a person's better note" in log, log


# -- any value, by hand or by the tool: never lost (property) ----------------------------------


VALUES = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"),
                               blacklist_characters="\u200b\u2060"),
                 min_size=1, max_size=120).map(lambda t: " ".join(t.split())).filter(bool)
#: How a side changes the key: by hand (a line typed, no write of the tool's), by hand on
#: a clone whose agent also logged, or by the tool (``start --objective``).
HOW = st.sampled_from(["hand", "logged+hand", "tool"])


@pytest.fixture(scope="module")
def one_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    root = (tmp_path_factory.mktemp("props") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q")
    run = Runner(root)
    run("init")
    run("start", "--title", "Shared work", "--objective", "base objective")
    run("log", "--progress", "Base step")
    return root, (root / SESSION).read_bytes()


def _typed(data: bytes, key: str, value: str) -> bytes:
    """``data`` with the drawer's ``key`` line typed as ``:KEY: value`` (added before the
    drawer's end when it has none), as a person types it: raw, no escape."""
    text = data.decode()
    line = f":{key}: {value}\n"
    if re.search(rf"^:{key}:.*\n", text, re.M):
        return re.sub(rf"^:{key}:.*\n", lambda _m: line, text, count=1, flags=re.M).encode()
    return text.replace("\n:END:\n", f"\n{line}:END:\n", 1).encode()


def _side(root: Path, base: bytes, key: str, how: str, value: str) -> bytes:
    path = root / SESSION
    path.write_bytes(base)
    as_last_written(root, path)
    if how == "tool":
        Runner(root)("start", f"--objective={value}")  # (a value may start with "@")
        return path.read_bytes()
    if how == "logged+hand":
        Runner(root)("log", "--progress", "an agent's step")
    return _typed(path.read_bytes(), key, value)


def _driver(root: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[int, bytes]:
    folder = root / ".git" / "props-test"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    done = subprocess.run([str(CLI), "merge-driver", *paths, str(SESSION)], cwd=root,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, (folder / "A").read_bytes()


def _value(data: bytes, key: str) -> str | None:
    found = re.search(rf"^:{key}:(?:[ \t]+(.*?))?[ \t]*$", drawer(data.decode()), re.M)
    return None if found is None else unescape_inline(found.group(1) or "")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(key=st.sampled_from(["OBJECTIVE", "SESSION_TITLE", "CATEGORY"]),
       hows=st.tuples(HOW, HOW), values=st.tuples(VALUES, VALUES))
def test_a_value_both_sides_changed_is_kept_or_left_to_a_person_property(
        one_session: tuple[Path, bytes], key: str, hows: tuple[str, str],
        values: tuple[str, str]) -> None:
    """Any two values of a key, each set by hand (on a clone whose agent wrote or not)
    or by the tool (the objective): the installed driver, either side ours, leaves a
    conflict holding both exactly when both were typed by hand and differ; else it is
    clean, the same bytes either way, the person's value stands over the tool's (both
    the tool's: one of them), and the other value is in the Log, whole."""
    root, base = one_session
    hows = tuple("hand" if how == "tool" and key != "OBJECTIVE" else how for how in hows)
    sides = [_side(root, base, key, how, value)
             for how, value in zip(hows, values, strict=True)]
    set_to = [_value(side, key) for side in sides]  # (as each side holds it)
    assume(_value(base, key) not in set_to)  # (each side changed it)
    status, merged = _driver(root, base, sides[0], sides[1])
    swapped, other = _driver(root, base, sides[1], sides[0])
    assert status == swapped
    by_hand = [how != "tool" for how in hows]
    if set_to[0] == set_to[1]:
        assert status == 0 and _value(merged, key) == set_to[0]
        return
    if all(by_hand):
        assert status == 1
        for data in (merged, other):
            assert all(f":{key}: {value}\n" in data.decode() for value in values)
        return
    assert status == 0 and merged == other
    stands = _value(merged, key)
    if any(by_hand):
        assert stands == set_to[by_hand.index(True)]
    assert stands in set_to
    gone = set_to[1 - set_to.index(stands)]
    log = [e.text for e in read_entries(_section(merged.decode(), "Log").splitlines(True))]
    assert any((text.startswith(f"merge: this {key}, ") and text.endswith(f": {gone}"))
               or text == f"objective: {gone}" or text.startswith(f"objective: {gone} (it was")
               for text in log), (gone, log)
