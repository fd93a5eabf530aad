"""The task board after its seventh fresh review (issue 15, rev15g): the PreToolUse hook
and a nested repository, ``--checkpoint-ref`` and git-rev-parse(1), the wording of
errors (what to do), and paths compared on case-insensitive or normalizing file systems.

Every command runs as the installed ``ai-protocols`` in real git repositories; a live
lock holder is a command run under the test's own process (``run``); property tests
of the rules that take arbitrary text or paths run in-process.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from boardkit import add, write_hook
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@t")).stdout


# -- 1. a nested (non-submodule) repository inside a locked folder -------------------------------


def test_a_lock_holds_a_nested_repositorys_file_whatever_the_cwd(project: Path, run: Runner,
                                                                 tmp_path: Path) -> None:
    nested = project / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (nested / "x.py").write_text("1\n")
    run("lock", "vendor/", "--reason", "upgrading vendored libs", agent="holder.1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (project, nested, elsewhere):
        refused = write_hook(cwd, nested / "x.py", "other.1")
        assert refused.returncode == 2, (cwd, refused)
        assert "vendor/lib/x.py is inside vendor/, which holder.1 has locked" in refused.stderr
    # From inside the nested repository, the refusal says whose board holds the lock.
    said = write_hook(nested, nested / "x.py", "other.1").stderr
    assert f"the board of the project {project}, around the repository" in said
    # A new file too, in a folder not made yet; the holder itself goes through.
    assert write_hook(nested, nested / "new" / "y.py", "other.1").returncode == 2
    assert write_hook(nested, nested / "x.py", "holder.1").returncode == 0
    # With a board of its own (its own locks count as before), the outer lock still holds.
    run("init", cwd=nested)
    assert write_hook(nested, nested / "x.py", "other.1").returncode == 2
    # A file of the project outside the lock, and the nested repository after the unlock.
    assert write_hook(nested, project / "src.py", "other.1").returncode == 0
    run("unlock", "vendor/", agent="holder.1")
    assert write_hook(nested, nested / "x.py", "other.1").returncode == 0


def test_a_lock_in_a_project_two_repositories_up_counts(project: Path, run: Runner) -> None:
    """Nested twice, the middle one with no board: the outermost project's lock holds."""
    middle = project / "third_party"
    inner = middle / "deep" / "lib"
    inner.mkdir(parents=True)
    git(middle, "init", "-q")
    git(inner, "init", "-q")
    run("lock", "third_party/deep/", "--reason", "r", agent="holder.1")
    for cwd in (project, middle, inner):
        assert write_hook(cwd, inner / "a.py", "other.1").returncode == 2, cwd
    assert write_hook(inner, middle / "b.py", "other.1").returncode == 0


_NAME = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1,
                max_size=8)


@settings(max_examples=40, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=5, unique=True),
       marks=st.lists(st.sampled_from(["", ".git", ".ai", "gitfile"]), min_size=5, max_size=5))
def test_enclosing_projects_are_the_folders_above_holding_ai_or_git(names: list[str],
                                                                    marks: list[str]) -> None:
    from ai_protocols.paths import enclosing_projects

    with tempfile.TemporaryDirectory() as folder:
        base = os.path.realpath(folder)
        path = base
        expected: list[str] = []
        for name, mark in zip(names, marks, strict=False):
            path = os.path.join(path, name)
            os.mkdir(path)
            if mark == "gitfile":
                Path(path, ".git").write_text("gitdir: elsewhere\n")
            elif mark:
                os.mkdir(os.path.join(path, mark))
            if mark:
                expected.insert(0, path)
        inner = os.path.join(path, "project")
        os.mkdir(inner)
        found = enclosing_projects(inner)
        assert [f for f in found if f.startswith(base + os.sep)] == expected


# -- 2. --checkpoint-ref takes every git-rev-parse(1) form ---------------------------------------


def test_checkpoint_ref_takes_every_rev_parse_form(project: Path, run: Runner) -> None:
    git(project, "commit", "-q", "--allow-empty", "-m", "release candidate")
    git(project, "tag", "-a", "-m", "annotated", "v1")
    git(project, "commit", "-q", "--allow-empty", "-m", "later")
    first = git(project, "rev-parse", ":/release candidate").strip()
    head = git(project, "rev-parse", "HEAD").strip()
    branch = git(project, "symbolic-ref", "HEAD").strip()
    for ref, kept in ((":/release candidate", first), ("HEAD@{0}", head),
                      ("v1^{commit}", first), ("v1", f"refs/tags/v1 {first}"),
                      ("HEAD~1", first), ("HEAD", f"{branch} {head}"),
                      (":/^later", head), (head[:12], head)):
        task = add(run, f"T {ref}")
        run("task", "claim", task, agent="c.1")
        done = run("task", "done", task, "--checkpoint-ref", ref, agent="c.1", check=False)
        assert done.returncode == 0, (ref, done.stderr)
        shown = run("task", "show", task).stdout
        assert kept in shown, (ref, shown)
    # What names no commit: refused, nothing changed.
    tree = git(project, "rev-parse", "HEAD^{tree}").strip()
    for ref, words in ((":/no such message", "names no commit"), ("HEAD^{tree}", "no commit"),
                       (tree, "a tree or a blob")):
        task = add(run, f"U {ref}")
        run("task", "claim", task, agent="c.1")
        refused = run("task", "done", task, "--checkpoint-ref", ref, agent="c.1", check=False)
        assert refused.returncode == 4, (ref, refused)
        assert words in refused.stderr, (ref, refused.stderr)
        assert "DONE" not in run("task", "show", task).stdout


# -- 3. errors say what to do ------------------------------------------------------------------


SETTINGS_REFUSED = [
    # (the file, what the refusal asks for, the file put right as it asks)
    ("null", "its top level is null, not an object: make it an object ({} when", "{}"),
    ("[]", "its top level is a list, not an object: make it an object ({} when", "{}"),
    ('{"keep": 1, "hooks": []}', 'its "hooks" is a list, not an object: make it an object',
     '{"keep": 1, "hooks": {}}'),
    ('{"hooks": {"PreToolUse": {}}}',
     'its "hooks" > "PreToolUse" is an object, not a list: make it a list ([] when',
     '{"hooks": {"PreToolUse": []}}'),
    ('{"a": 1, "a": 2}', "keep the one you mean and delete the other", '{"a": 2}'),
    ('{"a": NaN}', "put a number, a string or null in its place", '{"a": null}'),
    ('{"a": 1,}', "correct it there (an empty file counts as {})", '{"a": 1}'),
    ("\ufeff{}", "save it without one", "{}"),
]


def test_a_refused_settings_file_says_what_to_change(project: Path, run: Runner,
                                                    tmp_path: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir()
    env = {"HOME": str(tmp_path / "home"), "CLAUDE_CONFIG_DIR": "", "CODEX_HOME": ""}
    for content, todo, fixed in SETTINGS_REFUSED:
        settings.write_text(content)
        refused = run("hooks", "install", "claude", env=env, check=False)
        assert refused.returncode == 4, refused
        assert todo in refused.stderr, (content, refused.stderr)
        assert "then run the command again ('hooks install' merges the ai-protocols hooks " \
            "into what is there and keeps the rest); it was left unchanged\n" in refused.stderr
        if "shape" in refused.stderr or "make it" in todo:
            assert '{"hooks": {"EVENT": [{"matcher": "...", "hooks": [{"type": "command"' \
                in refused.stderr
        assert settings.read_text() == content
        settings.write_text(fixed)  # as the refusal says: then it goes through
        run("hooks", "install", "claude", env=env)
        assert "ai-protocols hook PreToolUse" in settings.read_text()
        if "keep" in fixed:
            assert '"keep": 1' in settings.read_text()


AGENT_ID_TODO = ("set a fresh id, AI_AGENT_ID=$(ai-protocols agent-id --runtime NAME), or "
                 "unset AI_AGENT_ID inside Claude Code or Codex (their session id then names "
                 "the agent)")


def test_every_agent_id_refusal_says_what_to_do(project: Path, run: Runner) -> None:
    """One message for every reason an id is refused, in every command and in the sh
    resolver: it points to 'ai-protocols agent-id'."""
    task = add(run, "T")
    resolver = project / ".ai" / "scripts" / "session-context-path"
    for agent in ("a/b", "..", "a\tb", "a b", "a:b", "a(b", "x" * 300, "a\u3000b"):
        for args in (("task", "claim", task), ("start",), ("lock", "src/", "--reason", "r"),
                     ("path",)):
            refused = run(*args, agent=agent, check=False)
            assert refused.returncode == 4, (agent, args, refused)
            assert refused.stderr.startswith("Error: AI_AGENT_ID "), refused.stderr
            assert refused.stderr.endswith(f"; {AGENT_ID_TODO}\n"), (agent, refused.stderr)
        sh = subprocess.run([str(resolver)], capture_output=True, text=True,
                            env=clean_env(AI_AGENT_ID=agent), timeout=60)
        assert sh.returncode == 4 and sh.stderr.endswith(f"; {AGENT_ID_TODO}\n"), sh.stderr
    # Not set, for a claim: said once, not twice.
    unset = run("task", "claim", task, env={"AI_AGENT_ID": "", "CLAUDE_CODE_SESSION_ID": "",
                                            "CODEX_THREAD_ID": ""}, check=False)
    assert unset.returncode == 4 and unset.stderr.count("ai-protocols agent-id") == 1, unset


@settings(max_examples=200, deadline=None)
@given(agent=st.text(min_size=0, max_size=40))
def test_every_refused_agent_id_gets_the_one_message(agent: str) -> None:
    from ai_protocols.errors import InvalidAgentId
    from ai_protocols.paths import safe_id

    try:
        safe_id(agent)
    except InvalidAgentId as error:
        assert str(error).endswith(f"; {AGENT_ID_TODO}"), str(error)
        assert str(error).startswith("AI_AGENT_ID ")


EMPTY_ID_COMMANDS = [("task", "claim", "{}"), ("task", "show", "{}"), ("task", "release", "{}"),
                     ("task", "done", "{}"), ("task", "done", "{}", "--checkpoint"),
                     ("task", "handoff", "{}", "--to", "reviewer", "--note", "n"),
                     ("start", "--task", "{}"), ("log", "--task", "{}")]


def test_an_empty_task_id_is_bad_input_like_every_empty_value(project: Path, run: Runner) -> None:
    add(run, "T")
    run("start", agent="c.1", env={})
    board = (project / ".ai" / "tasks.org").read_bytes()
    session = (project / ".ai" / "session-context.d" / "c.1.org").read_bytes()
    for empty in ("", "  ", "\t"):
        for command in EMPTY_ID_COMMANDS:
            args = [a.format(empty) for a in command]
            refused = run(*args, agent="c.1", check=False)
            assert refused.returncode == 4, (args, refused)
            assert refused.stderr.startswith(f"Error: task id {empty!r} cannot be used: it is "
                                             "empty; "), refused.stderr
            assert "'ai-protocols task list' shows the ids" in refused.stderr
    assert (project / ".ai" / "tasks.org").read_bytes() == board
    assert (project / ".ai" / "session-context.d" / "c.1.org").read_bytes() == session


def test_no_task_says_ids_match_by_their_end_and_names_those_starting_so(
        project: Path, run: Runner) -> None:
    first, second = add(run, "A"), add(run, "B")
    missing = run("task", "show", "zzzzzzzz-nothing", check=False)
    assert missing.returncode == 20
    assert "(a task is named by its whole id or by its end, such as its last 8 characters, " \
        "not by its start)" in missing.stderr
    assert "start with it" not in missing.stderr and "starts with it" not in missing.stderr
    start = first[:15]  # the date and time: both ids may start so
    said = run("task", "claim", start, agent="c.1", check=False)
    assert said.returncode == 20, said
    starting = [i for i in (first, second) if i.startswith(start)]
    assert ", ".join(starting) in said.stderr
    assert ("these ids start with it" if len(starting) > 1 else "this id starts with it") \
        in said.stderr
    # The end still names a task, as before.
    assert run("task", "show", first[-8:]).returncode == 0


# -- 4. paths on a file system that folds names (macOS, Windows) ---------------------------------

# Linux's file systems compare names as exact text: the rule that switches folding on,
# ``ROOT/.AI`` being the very file ``ROOT/.ai`` is (paths.folds_names), is what a
# case-insensitive file system gives; here a symbolic link makes it so.


def _fold_like_macos(project: Path) -> None:
    (project / ".AI").symlink_to(".ai")


def test_on_a_folding_file_system_case_and_normalization_do_not_escape_a_lock(
        project: Path, run: Runner) -> None:
    run("lock", "src/api/", "caf\u00e9/", "--reason", "r", agent="holder.1")
    upper, decomposed = project / "SRC" / "API" / "v1.py", project / "cafe\u0301" / "x.py"
    board = project / ".AI" / "TASKS.ORG"
    # Linux: other files, other names (exact text), not inside the locks.
    assert write_hook(project, upper, "other.1").returncode == 0
    assert write_hook(project, decomposed, "other.1").returncode == 0
    _fold_like_macos(project)
    for path in (upper, decomposed, project / "Src" / "Api"):
        refused = write_hook(project, path, "other.1")
        assert refused.returncode == 2, (path, refused)
        assert "holder.1 has locked" in refused.stderr or "locked by holder.1" in refused.stderr
    refused = write_hook(project, board, "other.1")  # the board, named in another case
    assert refused.returncode == 2 and "is the task board" in refused.stderr, refused
    assert write_hook(project, project / "srcx" / "a.py", "other.1").returncode == 0
    # A lock in another case or normalization overlaps the one held.
    taken = run("lock", "SRC/", "--reason", "r", agent="other.1", check=False)
    assert taken.returncode != 0 and "holder.1" in taken.stderr, taken
    taken = run("lock", "cafe\u0301/x.py", "--reason", "r", agent="other.1", check=False)
    assert taken.returncode != 0 and "holder.1" in taken.stderr, taken


_LETTERS = st.text(st.sampled_from("abcxyzABCXYZ019_-\u00e0\u00e9\u00ee\u00f5\u00fc\u00e7"
                                   "\u00f1\u00df\u00ff"), min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(area=st.lists(_LETTERS, min_size=1, max_size=3), rest=st.lists(_LETTERS, max_size=3),
       upper=st.booleans(), form=st.sampled_from(["NFC", "NFD"]))
def test_folded_paths_are_one_path_on_a_folding_file_system(
        area: list[str], rest: list[str], upper: bool, form: str) -> None:
    import unicodedata

    from ai_protocols.board.model import covers_real

    locked = "/".join(area) + "/"
    inside = "/".join(area + rest)
    variant = unicodedata.normalize(form, inside.upper() if upper else inside)
    outside = "/".join([area[0] + "q", *area[1:], *rest])
    with tempfile.TemporaryDirectory() as linux, tempfile.TemporaryDirectory() as macos:
        exact, folding = os.path.realpath(linux), os.path.realpath(macos)
        for root in (exact, folding):
            os.mkdir(os.path.join(root, ".ai"))
        os.symlink(".ai", os.path.join(folding, ".AI"))
        assert covers_real(folding, locked, variant)  # whatever the case or normalization
        assert covers_real(exact, locked, variant) == \
            (variant.startswith(locked) or variant == locked.rstrip("/"))
        assert not covers_real(folding, locked, outside)
        assert not covers_real(exact, locked, outside)


def test_check_says_when_a_changed_nested_repository_is_inside_a_lock(
        project: Path, run: Runner) -> None:
    """check leaves the nested repository's changes out (they are its own): not a finding,
    but said, with the lock, and in --json."""
    import json

    nested = project / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (project / "vendor" / "other").mkdir()
    git(project / "vendor" / "other", "init", "-q")  # nested, unchanged: nothing said
    run("lock", "vendor/", "--reason", "upgrading vendored libs", agent="holder.1")
    quiet = run("check", agent="other.1")
    assert "Note:" not in quiet.stdout
    (nested / "x.py").write_text("1\n")
    said = run("check", agent="other.1")
    assert "Note: vendor/lib/ is a repository of its own, left out here, inside vendor/, " \
        "which holder.1 (live) has locked for: upgrading vendored libs; it has 1 changed " \
        "file (vendor/lib/x.py)." in said.stdout, said.stdout
    data = json.loads(run("check", "--json", agent="other.1").stdout)
    assert data["ok"] and data["changed"] == [] and data["findings"] == []
    assert data["nested_repositories_in_locks"] == [{
        "path": "vendor/lib/", "locked_by": "holder.1", "lock": "vendor/",
        "reason": "upgrading vendored libs", "state": "live", "changed": ["vendor/lib/x.py"]}]
    # The holder's own check, and a lock on a file of the nested repository only.
    assert "Note:" not in run("check", agent="holder.1").stdout
    run("unlock", "vendor/", agent="holder.1")
    run("lock", "vendor/lib/y.py", "--reason", "r", agent="holder.1")
    assert "Note:" not in run("check", agent="other.1").stdout  # x.py is not y.py
    (nested / "y.py").write_text("2\n")
    assert "(vendor/lib/y.py)" in run("check", agent="other.1").stdout


def test_a_path_with_a_link_and_dotdot_is_refused_by_either_reading(project: Path,
                                                                    run: Runner) -> None:
    """Seen (eighth review): ``apilink -> src/api``, a lock on ``db/``; a Write of
    ``apilink/../db/schema.sql`` went through: the hook read it only as the kernel does
    (``src/db/schema.sql``), while a program that normalizes paths as text (Node's
    ``path.resolve``) writes ``db/schema.sql``. Either reading in a lock refuses."""
    (project / "src" / "api").mkdir(parents=True)
    (project / "db").mkdir()
    (project / "apilink").symlink_to("src/api")
    run("lock", "db/", "--reason", "migrating", agent="holder.1")
    tricky = project / "apilink" / ".." / "db" / "schema.sql"
    refused = write_hook(project, tricky, "other.1")
    assert refused.returncode == 2, refused
    assert "db/schema.sql is inside db/, which holder.1 has locked" in refused.stderr
    run("lock", "src/db/", "--reason", "the kernel's reading", agent="holder.2")
    run("unlock", "db/", agent="holder.1")
    assert write_hook(project, tricky, "other.1").returncode == 2  # (through the link)
    run("unlock", "src/db/", agent="holder.2")
    assert write_hook(project, tricky, "other.1").returncode == 0
