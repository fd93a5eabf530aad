"""A newcomer's first hour (issue 13): start anywhere, every mistake explained, no
data lost to a repeated option, long and piped text, descriptions in any script,
and no silence.

Each test runs the installed console script in a fresh git repository, as a
person would, on both the fast path and the click path where the two differ.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols import InvalidText, LogEntry, Project
from ai_protocols.cli.options import UsageProblem, log_entries, log_known, scan
from ai_protocols.liveness.evidence import Owner, process_since_boot
from ai_protocols.liveness.host import hostname, process_start
from ai_protocols.session.names import MAX_NAME_BYTES, archive_name
from ai_protocols.session.text import slugify

from conftest import CLI, Runner, clean_env

CLICK_PATH = ("import sys; sys.argv[0] = 'ai-protocols'; "
              "from ai_protocols.cli.app import main; main()")
BOTH = ("fast", "click")


def cli(path: str, cwd: Path, *args: str, stdin: str | bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` through the console script (``fast``: its fast path where
    it takes one) or the click CLI alone (``click``)."""
    command = [str(CLI)] if path == "fast" else [sys.executable, "-c", CLICK_PATH]
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run([*command, *args], cwd=cwd, env=clean_env(**(env or {})),
                            input=data if data is not None else b"", capture_output=True,
                            timeout=60)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def shown(root: Path, run: Runner) -> dict:
    return json.loads(run("show", "--json", cwd=root).stdout)


# -- 3. start without init --------------------------------------------------------------------


def test_start_in_a_fresh_repository_sets_the_project_up_and_says_so(repo: Path,
                                                                      run: Runner) -> None:
    result = run("start", "--title", "First")
    assert result.stdout.startswith(f"{repo} had no complete .ai/ yet: set it up as "
                                    "'ai-protocols init' does")
    assert f"created: {repo}/.ai/.gitignore" in result.stdout
    assert result.stdout.rstrip().endswith(f"Started a fresh session: {repo}/.ai/"
                                           "session-context.org")
    # Everything init installs is there, and git sees no lock or record as a new file.
    assert "unchanged" in run("init").stdout and "created" not in run("init").stdout
    untracked = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                               cwd=repo, capture_output=True, text=True, check=True).stdout
    assert ".locks" not in untracked
    assert "?? .ai/session-context.org" in untracked
    # A second start sets nothing up again.
    assert "had no complete .ai/" not in run("start").stdout


def test_start_completes_a_half_made_ai_folder(repo: Path, run: Runner) -> None:
    (repo / ".ai").mkdir()  # made by hand, or left from an older version
    result = run("start")
    assert "had no complete .ai/ yet" in result.stdout
    assert (repo / ".ai" / ".gitignore").is_file()


def test_start_outside_any_project_says_to_run_init(tmp_path: Path) -> None:
    lone = (tmp_path / "lone").resolve()
    lone.mkdir()
    assert subprocess.run(["git", "rev-parse"], cwd=lone, capture_output=True).returncode, \
        "the temporary folder must not be inside a git repository"
    for path in BOTH:
        result = cli(path, lone, "start")
        assert result.returncode == 13
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: no project here: {lone} is not in a git repository and no folder above "
            "it holds .ai/; run 'ai-protocols init' in the project's top folder first (it "
            "sets up .ai/ there), or set AI_PROJECT_ROOT to that folder\n")
        assert list(lone.iterdir()) == []
    # init there makes it a project, and start then works.
    assert cli("fast", lone, "init").returncode == 0
    assert cli("fast", lone, "start").returncode == 0
    # An explicit AI_PROJECT_ROOT is a project, set up as init would.
    other = tmp_path / "other"
    other.mkdir()
    result = cli("fast", lone, "start", env={"AI_PROJECT_ROOT": str(other)})
    assert result.returncode == 0 and (other / ".ai" / ".gitignore").is_file()


# -- 4. repeated options ----------------------------------------------------------------------


@pytest.mark.parametrize("path", BOTH)
def test_each_rationale_goes_with_the_decision_before_it(project: Path, run: Runner,
                                                         path: str) -> None:
    run("start")
    result = cli(path, project, "log", "--decision", "a", "--rationale", "r", "--progress", "p",
                 "--decision=b", "--rationale", "r2", "--discovery", "d1", "--discovery", "d2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("logged progress: p\nlogged decision: a\nlogged decision: b\n"
                             "logged discovery: d1\nlogged discovery: d2\n")
    session = shown(project, run)
    assert [(d["text"], d["rationale"]) for d in session["decisions"]] == [("a", "r"),
                                                                          ("b", "r2")]
    assert [d["text"] for d in session["discoveries"]] == ["d1", "d2"]


@pytest.mark.parametrize(("args", "message"), [
    (["--summary", "a", "--summary", "b"],
     "--summary is given twice ('a', then 'b') and takes one value; give it once"),
    (["--decision", "a", "--decision", "b", "--rationale", "r"],
     "--decision 'a' has no --rationale; a decision needs its reason: add --rationale TEXT "
     "right after it"),
    (["--decision", "a", "--rationale", "r", "--rationale", "r2"],
     "--rationale 'r2' comes after --decision 'a', which already has its rationale ('r'); "
     "put each --rationale right after the --decision it explains"),
    (["--rationale", "r", "--decision", "a"],
     "--rationale 'r' has no --decision before it; put each --rationale right after the "
     "--decision it explains"),
    (["--decision", "d"],
     "--decision 'd' has no --rationale; a decision needs its reason: add --rationale TEXT "
     "right after it"),
    (["--progress", "-", "--next", "-"],
     "--progress and --next would all read standard input ('-'); only one text can come "
     "from it: give the others as @FILE"),
])
@pytest.mark.parametrize("path", BOTH)
def test_what_would_lose_or_mispair_an_entry_is_refused(project: Path, run: Runner, path: str,
                                                        args: list[str], message: str) -> None:
    run("start")
    before = files(project)
    result = cli(path, project, "log", *args)
    assert result.returncode == 2, "the same kind of mistake gets the same exit code"
    assert result.stderr.endswith(f"\nError: {message}\n")
    assert result.stdout == ""
    assert {k: v for k, v in files(project).items() if ".locks" not in k} == \
        {k: v for k, v in before.items() if ".locks" not in k}


ENTRY_OPTIONS = ["--progress", "--discovery", "--blocker", "--next", "--done", "--summary"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("decision"), st.integers(0, 99), st.booleans()),
    st.tuples(st.sampled_from(ENTRY_OPTIONS), st.integers(0, 99), st.booleans())),
    max_size=8))
def test_every_entry_given_is_logged_or_the_call_refused(items: list[tuple[str, int, bool]]
                                                         ) -> None:
    """Whatever the options and their order, each entry given is in the result once,
    each decision with the rationale written after it, or the call is refused."""
    args: list[str] = []
    decisions = []
    for name, number, with_rationale in items:
        if name == "decision":
            args += ["--decision", f"d{number}"]
            if with_rationale:
                args += [f"--rationale=r{number}"]
            decisions.append((f"d{number}", f"r{number}" if with_rationale else None))
        else:
            args += [name, f"{name[2:]}{number}"]
    try:
        read = scan(args, log_known(), strict=True)
        assert read is not None
        drafts = log_entries(read[0])
    except UsageProblem:
        summaries = sum(1 for name, _, _ in items if name == "--summary")
        assert summaries > 1 or not items or any(r is None for _, r in decisions)
        return
    got = [(kind, text.value, rationale.value if rationale else None)
           for kind, text, rationale in drafts]
    assert [(t, r) for k, t, r in got if k == "decision"] == decisions
    assert sorted((k, t) for k, t, _ in got if k != "decision") == sorted(
        (name[2:], f"{name[2:]}{number}") for name, number, _ in items if name != "decision")


# -- 5. long or piped text --------------------------------------------------------------------


@pytest.mark.parametrize("path", BOTH)
def test_a_text_can_come_from_stdin_or_a_file(project: Path, run: Runner, path: str,
                                              tmp_path: Path) -> None:
    run("start")
    notes = tmp_path / "notes.txt"
    notes.write_text("From a file\n* with a star line\n\n")
    result = cli(path, project, "log", "--discovery", "-", "--blocker", f"@{notes}",
                 "--progress=-", "--next=@literal", stdin="From stdin\r\n")
    assert result.returncode == 0, result.stderr
    session = shown(project, run)
    assert session["discoveries"][0]["text"] == "From stdin"
    assert session["blockers"][0]["text"] == "From a file\n* with a star line"
    assert session["progress"][0]["text"] == "-"  # the = form is taken as it is
    assert session["next"][0]["text"] == "@literal"


@pytest.mark.parametrize("path", BOTH)
def test_the_longest_text_is_reachable_and_one_more_character_is_refused(
        project: Path, run: Runner, path: str, tmp_path: Path) -> None:
    run("start")
    longest = "é" * 999_999 + "x"  # 1,000,000 characters, 1,999,999 bytes
    big = tmp_path / "big.txt"
    big.write_text(longest, encoding="utf-8")
    result = cli(path, project, "log", "--discovery", f"@{big}", "--blocker", "-",
                 stdin=longest)
    assert result.returncode == 0, result.stderr
    session = shown(project, run)
    assert session["discoveries"][0]["text"] == longest
    assert session["blockers"][0]["text"] == longest
    before = files(project)
    result = cli(path, project, "log", "--discovery", "-", stdin=longest + "y")
    assert result.returncode == 4
    assert "it is longer than 1,000,000 characters" in result.stderr
    assert files(project) == before


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--progress", "@no-such-file"], "",
     "Error: --progress '@no-such-file' cannot be used: the file 'no-such-file' cannot be read "
     "(No such file or directory); to give a text that starts with '@', write "
     "--progress=@...\n"),
    (["--progress", "-"], b"\xff\xfe",
     "Error: --progress '-' cannot be used: standard input is not UTF-8 (byte 0)\n"),
    (["--progress", "-"], "",
     "Error: progress '' cannot be used: it is empty; give it some text "
         "(white space alone is none)\n"),
])
@pytest.mark.parametrize("path", BOTH)
def test_text_read_from_elsewhere_gets_the_same_checks(project: Path, run: Runner, path: str,
                                                       args: list[str], stdin: str | bytes,
                                                       message: str) -> None:
    run("start")
    before = files(project)
    result = cli(path, project, "log", *args, stdin=stdin)
    assert (result.returncode, result.stdout, result.stderr) == (4, "", message)
    assert files(project) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                    min_size=1).filter(lambda t: t.rstrip("\r\n").strip()))
def test_a_text_from_a_file_reads_back_as_the_file_holds_it(tmp_path: Path, text: str) -> None:
    root = tmp_path / "p"
    if not root.exists():
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        Runner(root)("start")
    (tmp_path / "t").write_bytes(text.encode("utf-8"))
    Runner(root)("log", "--discovery", f"@{tmp_path / 't'}")
    logged = json.loads(Runner(root)("show", "--json").stdout)["discoveries"][-1]["text"]
    assert logged == text.rstrip("\r\n")


# -- 6. descriptions in any script ------------------------------------------------------------


@pytest.mark.parametrize(("description", "slug"), [
    ("修复错误", "xiu-fu-cuo-wu"),
    ("Привет мир", "privet-mir"),
    ("Fix the bug — ünïcode édition 日本", "fix-the-bug-unicode-edition-ri-ben"),
    ("Ελληνικά και 한국어", "ellinika-kai-han-gug-eo"),
    ("العربية", "l-rbyh"),
])
def test_descriptions_in_any_script_name_their_archive(project: Path, run: Runner,
                                                       description: str, slug: str) -> None:
    run("start")
    archive = Path(run("wrap-up", description).stdout.strip())
    assert archive.name.endswith(f"-{slug}.org")
    assert archive.is_file()
    assert f":DESCRIPTION: {description}" in archive.read_text(encoding="utf-8")


ONE_LINE = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)


@settings(max_examples=500, deadline=None)
@given(ONE_LINE)
def test_a_description_with_a_letter_or_digit_always_names_its_archive(text: str) -> None:
    try:
        slug = slugify(text)
    except InvalidText:
        assert not text.strip() or not any(c.isalnum() for c in text)
        return
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)


@settings(max_examples=300, deadline=None)
@given(ONE_LINE, st.integers(1, 10**7))
def test_archive_names_fit_every_file_system(text: str, number: int) -> None:
    """ASCII only, starting with digits (so never a Windows reserved name), one
    Unicode form, at most 255 bytes, whatever the description and the number."""
    from datetime import datetime

    try:
        slug = slugify(text)
    except InvalidText:
        return
    for agent_id in (None, "é" * 33, "host.proj.claude.1795281811"):  # (33: 198 bytes)
        name = archive_name(datetime(2026, 11, 30, 10, 2), agent_id, slug, number)
        assert name.isascii() and len(name.encode()) <= MAX_NAME_BYTES
        assert re.fullmatch(r"\d{4}-\d\d-\d\d-\d\d-\d\d-[A-Za-z0-9._%-]+\.org", name)
        assert not name.rstrip(".org").endswith((".", " "))


# -- 7. messages that mislead -----------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "message"), [
    (["log", "--progress", "--next", "foo"], 2,
     "Error: --progress needs a value, and the next argument, '--next', looks like an option: "
     "give --progress its value, or write a value that starts with '-' in one argument with "
     "'=', as in --progress=--next\n"),
    (["log", "--progress", "Fix", "the", "bug"], 2,
     "Error: unexpected words 'the bug' after --progress Fix: a text of several words goes in "
     "quotes, as in --progress 'Fix the bug'\n"),
    (["wrap-up", "Fix", "the", "bug"], 2,
     "Error: wrap-up takes one DESCRIPTION, and got 3 words: put it in quotes, as in "
     "ai-protocols wrap-up 'Fix the bug'\n"),
    (["wrap-up", "--fix"], 2,
     "Error: No such option '--fix'. A DESCRIPTION that starts with '-' goes after '--', "
     "the options before it: ai-protocols wrap-up -- --fix\n"),
    (["recover", "-a b.17", "--archive"], 2,
     "Error: No such option '-a'. An ID that starts with '-' goes after '--', the options "
     "before it: ai-protocols recover --archive -- '-a b.17'\n"),
    (["start", "--title", "--fix"], 2,
     "Error: --title needs a value, and the next argument, '--fix', looks like an option: "
     "give --title its value, or write a value that starts with '-' in one argument with "
     "'=', as in --title=--fix\n"),
    (["list", "--since", "--json"], 2,
     "Error: --since needs a value, and the next argument, '--json', looks like an option: "
     "give --since its value, or write a value that starts with '-' in one argument with "
     "'=', as in --since=--json\n"),
    (["recover", "nosuch", "--archive"], 3, None),
])
@pytest.mark.parametrize("path", BOTH)
def test_each_mistake_says_what_is_wrong_and_what_to_do(project: Path, run: Runner, path: str,
                                                        args: list[str], code: int,
                                                        message: str | None) -> None:
    run("start")
    before = files(project)
    result = cli(path, project, *args)
    assert result.returncode == code
    assert result.stdout == ""
    if message is None:  # recover nosuch: not "run 'ai-protocols start' first"
        message = (f"Error: no session context at {project}/.ai/session-context.d/nosuch.org; "
                   "'nosuch' names no session to recover here ('ai-protocols status' lists "
                   "the sessions there are)\n")
    assert result.stderr.endswith(message)
    assert {k: v for k, v in files(project).items() if ".locks" not in k} == \
        {k: v for k, v in before.items() if ".locks" not in k}


def test_text_that_looks_like_an_option_is_taken_when_written_so(project: Path,
                                                                 run: Runner) -> None:
    run("start")
    run("log", "--progress=--next", "--next=-x")
    run("wrap-up", "--", "-fix it")
    archived = run("list", "--json").stdout
    assert "-fix it" in archived


def test_an_empty_title_given_is_refused(repo: Path, run: Runner) -> None:
    """(Issue 16, sixth review: it was taken for no title, "(untitled)", silently.)"""
    for empty in ("", "   "):
        result = run("start", "--title", empty, check=False)
        assert result.returncode == 4 and result.stdout == ""
        assert result.stderr.startswith("Error: title") and "it is empty" in result.stderr
        assert not (repo / ".ai").exists()


def test_the_library_names_the_kinds_it_takes(project: Path) -> None:
    p = Project(project)
    p.start()
    with pytest.raises(InvalidText) as raised:
        p.log(LogEntry("bogus", "x"))
    assert str(raised.value) == ("kind 'bogus' cannot be used: use one of progress, decision, "
                                 "discovery, blocker, next, done, summary, current, key-file, "
                                 "context")
    assert raised.value.exit_code == 4


# -- 8. silence and small oddities ------------------------------------------------------------


@pytest.mark.parametrize("path", BOTH)
def test_status_and_list_say_when_there_is_nothing(project: Path, path: str) -> None:
    status = cli(path, project, "status")
    assert (status.returncode, status.stdout) == (
        0, f"No session is under way in {project}: no session-context file (wrapped-up "
           "sessions are in 'ai-protocols list').\n")
    listed = cli(path, project, "list")
    assert (listed.returncode, listed.stdout) == (
        0, f"No sessions in {project}/.ai yet: none has started ('ai-protocols start' "
           "begins one).\n")
    filtered = cli(path, project, "list", "--agent", "x y", "--since", "2d")
    assert filtered.stdout == "No session matches --agent 'x y' --since 2d.\n"
    assert cli(path, project, "status", "--json").stdout == "[]\n"
    assert cli(path, project, "list", "--json").stdout == "[]\n"


def test_an_unreadable_file_keeps_the_columns_of_list(project: Path, run: Runner) -> None:
    run("start", agent="a.p.claude.1795281811")
    (project / ".ai" / "session-context.d" / "broken.org").write_text("no headline\n")
    rows = [line for line in run("list").stdout.splitlines() if not line.startswith("    ")]
    assert len(rows) == 2
    columns = [[m.start() for m in re.finditer(r"(?<=  )\S", row)] for row in rows]
    assert columns[0][:3] == columns[1][:3], rows


def test_show_lists_the_sections_in_the_order_of_the_file(project: Path, run: Runner) -> None:
    run("start")
    run("log", "--progress", "p", "--decision", "d", "--rationale", "r", "--discovery", "x",
        "--blocker", "b", "--next", "n", "--summary", "s")
    text = (project / ".ai" / "session-context.org").read_text()
    in_file = [t for t in re.findall(r"^\*\* (.+)$", text, re.M) if t != "Log"]
    out = run("show").stdout
    in_show = [line[:-1] for line in out.splitlines() if re.fullmatch(r"[A-Z][a-z ]+:", line)]
    assert in_show == in_file


def test_wrap_up_says_what_it_did(project: Path, run: Runner) -> None:
    run("start")
    result = run("wrap-up", "Done")
    assert result.stderr == ("Wrapped up the session and archived it; the next 'ai-protocols "
                             "start' begins a fresh one. The archive:\n")
    assert Path(result.stdout.strip()).is_file()  # stdout stays the path, for scripts


def test_the_owner_reads_as_words_and_the_old_form_still_counts(project: Path,
                                                                run: Runner) -> None:
    run("start")
    text = (project / ".ai" / "session-context.org").read_text()
    owner = re.search(r"^:OWNER: +(.*)$", text, re.M).group(1)  # type: ignore[union-attr]
    me = Owner(hostname(), os.getpid(), process_start(os.getpid()),  # the agent behind `run`
               process_since_boot(os.getpid()))
    assert re.fullmatch(rf"pid {me.pid} on {re.escape(me.host)}, started "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d \([0-9.]+ boot [0-9a-f]{8}:\d+\)", owner)
    assert Owner.parse(owner) == me
    assert run("status").stdout.splitlines()[1] == "    this agent started it"
    # A file written before keeps its meaning: the old form names the same owner.
    old = f"{me.host} {me.pid} {me.started or '-'} {me.since_boot}"
    assert Owner.parse(old) == me
    (project / ".ai" / "session-context.org").write_text(text.replace(owner, old))
    assert run("status").stdout.splitlines()[1] == "    this agent started it"
    gone = f"{me.host} 999999999 1.0"
    (project / ".ai" / "session-context.org").write_text(text.replace(owner, gone))
    assert "crashed" in run("status").stdout


def test_the_demo_runs_and_explains_the_resolver_after_wrap_up(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parent.parent / "scripts" / "demo"
    env = clean_env(PATH=f"{CLI.parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", str(demo), str(tmp_path / "demo")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("$ ai-protocols wrap-up", 1)[1]
    assert "$ .ai/scripts/session-context-path" in after
    assert "no file there until the next 'ai-protocols start'" in after


# -- 9. what the guide says of summaries ------------------------------------------------------


@pytest.mark.parametrize(("summary", "block"), [
    ("(paren) text", False), ("2026 plan", False), ("Plain words", False),
    ("- a list", True), ("1. a step", True), ("| a table", True), (": fixed", True),
    ("# comment", True), ("CLOCK: x", True), ("-----", True),
])
def test_a_summary_goes_in_a_block_only_where_org_would_misread_it(project: Path, run: Runner,
                                                                   summary: str,
                                                                   block: bool) -> None:
    """As the user guide says (it used to say: any summary not starting with a letter)."""
    run("start")
    run("log", f"--summary={summary}")
    text = (project / ".ai" / "session-context.org").read_text()
    section = text.split(":CUSTOM_ID: summary\n:END:\n", 1)[1]
    assert section.startswith("#+begin_example\n" if block else f"{summary}\n")
    assert shown(project, run)["summary"] == summary
