"""``ai-protocols resume``: what an agent needs to carry on, in order, within a bound.

The installed command runs as a real subprocess in temporary git repositories
(real commits, a bare upstream, clones); other agents crash as in
tests/test_recovery.py, their owner process gone. The property test builds
random sessions with the library, for speed, and holds the command's output
to its bound and its entries whole.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols import LogEntry, Project
from ai_protocols.cli.options import RESUME_MAX_BYTES, RESUME_MIN_BYTES
from ai_protocols.git.state import GitState
from ai_protocols.liveness.evidence import Liveness
from ai_protocols.org.syntax import Entry
from ai_protocols.session.model import Session
from ai_protocols.session.resume import (
    CUT_MARK,
    DEFAULT_MAX_BYTES,
    MIN_MAX_BYTES,
    ResumeContext,
    dumps,
)

from conftest import CLI, Runner, clean_env

ME = "me.proj.claude.1800000000"
ROLLED_BACK = "it looks rolled back: the work may be in another checkout"
#: What a missing commit adds (issue 14, twelfth round: what to check).
MISSING = (" (check: another clone's commits not fetched here, git fetch then git log --all; "
           "a reset here, git reflog; a rebase or amend elsewhere, git log shows whether its "
           "changes are here)")


def missing_on(branch: str, root: Path, remote: str = "REMOTE") -> str:
    """What a commit missing on another branch adds (issue 14, eighteenth round), the
    session file of ``ME`` in the project ``root`` carried across the switch (nineteenth
    round: that branch is not here to compare)."""
    here = f".ai/session-context.d/{ME}.org"
    return (f" (check: branch {branch} of another clone not pushed or not fetched here: "
            f"push it from that clone (git push {remote} {branch}), then here: git fetch "
            f"{remote} && mv -- {here} {here}.carry && git switch {branch} && mv -- "
            f"{here}.carry {here} (from {root}; the session file goes aside and back: the "
            f"git command alone would take it away, write another version over it or refuse it)"
            "; git log --all shows what this clone has; a branch deleted here, git reflog)")


GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout.strip()


def session_file(root: Path, agent: str | None = None) -> Path:
    if agent is None:
        return root / ".ai/session-context.org"
    return root / ".ai/session-context.d" / f"{agent}.org"


def set_properties(path: Path, **values: str) -> None:
    """Set properties of the session headline, as a hook or a person would write them."""
    text = path.read_text()
    for key, value in values.items():
        line = f":{key}: {value}\n"
        text, found = re.subn(rf"^:{key}:.*\n", line, text, count=1, flags=re.M)
        if not found:
            text = text.replace("\n:END:\n", f"\n{line}:END:\n", 1)
    path.write_text(text)


def resume(run: Runner, *args: str, agent: str | None = ME, cwd: Path | None = None) -> str:
    return run("resume", *args, agent=agent, cwd=cwd).stdout


def resume_json(run: Runner, *args: str, agent: str | None = ME,
                cwd: Path | None = None) -> dict:
    out = run("resume", "--json", *args, agent=agent, cwd=cwd).stdout
    assert out.endswith("}\n") and out.count("\n") == 1  # one line
    return json.loads(out)


def in_order(text: str, *markers: str) -> list[int]:
    places = [text.index(marker) for marker in markers]
    assert places == sorted(places), (markers, places)
    return places


# -- what it holds, and in which order ---------------------------------------------------------


def test_sections_come_in_the_order_an_agent_needs_them(project: Path, run: Runner) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Add .ai")
    dead = "dead.proj.codex.1700000001"
    run("start", agent=dead, as_another_agent=True)
    run("start", "--title", "Fix the sweep", agent=ME)
    run("log", "--summary", "Sweeping in reverse", "--progress", "Reproduce it",
        "--next", "Write the test", "--blocker", "CI is down", "--decision", "Use a heap",
        "--rationale", "Lists are slow", "--discovery", "It sweeps twice", agent=ME)
    # (another commit too: HEAD at exactly the commit recorded holds the work)
    set_properties(session_file(project, ME), GIT_BRANCH="elsewhere", GIT_COMMIT="ab" * 20)
    text = resume(run)
    in_order(text, "Resume: Fix the sweep (agent me.proj.claude.1800000000, active)\n",
             "\nIn progress:\n  - [", "] Reproduce it\n",
             "\nSummary:\n  Sweeping in reverse\n",
             "\nNext steps:\n  - [", "] Write the test\n",
             "\nBlockers:\n  - [", "] CI is down\n",
             "\nDecisions:\n  - [", "] Use a heap\n    rationale: Lists are slow\n",
             "\nDiscoveries:\n  - [", "] It sweeps twice\n",
             "\nSession: last updated ",
             "\nGit:\n  branch ", "Add .ai\n",
             "\nOther agents' sessions to recover:\n  - dead.proj.codex.1700000001: crashed",
             "\nWarning: this session was recorded on branch elsewhere at commit "
             f"{'ab' * 20}, but this checkout is on branch "
             f"{git(project, 'branch', '--show-current')} and does not have that commit"
             f"{missing_on('elsewhere', project)}: {ROLLED_BACK}.\n")
    assert text.endswith(f"{ROLLED_BACK}.\n")
    assert "Left out" not in text  # it all fits
    data = resume_json(run)
    assert data["summary"] == "Sweeping in reverse"
    assert data["in_progress"]["text"] == "Reproduce it"
    assert [[e["text"] for e in data[key]] for key in
            ("next", "blockers", "decisions", "discoveries")] == \
        [["Write the test"], ["CI is down"], ["Use a heap"], ["It sweeps twice"]]
    assert data["decisions"][0]["rationale"] == "Lists are slow"
    assert data["others"][0]["agent_id"] == dead
    assert data["rolled_back"].endswith(ROLLED_BACK)


def test_only_open_items_newest_first(project: Path, run: Runner) -> None:
    run("start", agent=ME)
    for args in (["--progress", "p-old"], ["--progress", "p-new", "--next", "n1"],
                 ["--progress", "p-ticked", "--next", "n2"], ["--next", "n3"],
                 ["--done", "p-ticked", "--done", "n2"],
                 ["--blocker", "b1"], ["--blocker", "b2"],
                 ["--decision", "d1", "--rationale", "r1"],
                 ["--decision", "d2", "--rationale", "r2"],
                 ["--discovery", "f1", "--discovery", "f2"]):
        run("log", *args, agent=ME)
    # A step a person typed at the end of Next steps, with an older time: it is the oldest.
    path = session_file(project, ME)
    text = path.read_text()
    n3 = re.search(r"^- \[ \] \[[^]]*\] n3\n", text, re.M)
    assert n3 is not None
    path.write_text(text[:n3.end()] + "- [ ] [2020-01-01 Wed 10:00] n-ancient\n" +
                    text[n3.end():])
    data = resume_json(run)
    assert data["in_progress"]["text"] == "p-new"  # p-ticked is newer, but done
    assert [e["text"] for e in data["next"]] == ["n3", "n1", "n-ancient"]
    assert all(e["done"] is False for e in data["next"])
    assert [e["text"] for e in data["blockers"]] == ["b2", "b1"]
    assert [(e["text"], e["rationale"]) for e in data["decisions"]] == [("d2", "r2"),
                                                                        ("d1", "r1")]
    assert [e["text"] for e in data["discoveries"]] == ["f2", "f1"]
    out = resume(run)
    for gone in ("p-old", "p-ticked", "n2"):
        assert gone not in out
    in_order(out, "] n3\n", "] n1\n", "[2020-01-01 10:00] n-ancient\n", "] b2\n", "] b1\n",
             "] d2\n", "] d1\n", "] f2\n", "] f1\n")


def test_compactions_and_the_last_update(project: Path, run: Runner) -> None:
    run("start", agent=ME)
    path = session_file(project, ME)
    set_properties(path, UPDATED="[2026-11-21 Sat 10:07]")
    assert "\nSession: last updated 2026-11-21 10:07; no compaction recorded.\n" in resume(run)
    set_properties(path, COMPACTIONS="3", COMPACTED="[2026-11-21 Sat 10:05]",
                   UPDATED="[2026-11-21 Sat 10:07]")
    assert "\nSession: last updated 2026-11-21 10:07; context compacted 3 times, last at " \
        "2026-11-21 10:05.\n" in resume(run)
    data = resume_json(run)
    assert (data["updated"], data["compactions"], data["compacted"]) == \
        ("2026-11-21T10:07", 3, "2026-11-21T10:05")
    set_properties(path, COMPACTIONS="²")  # isdigit() says yes; int() says no
    assert resume_json(run)["compactions"] == 0
    assert json.loads(run("show", "--json", agent=ME).stdout)["compactions"] == 0


# -- the bound -----------------------------------------------------------------------------


def test_the_bound_defaults_to_4096_bytes_and_is_at_least_2560(project: Path,
                                                               run: Runner) -> None:
    run("start", agent=ME)
    run("log", *[arg for n in range(100) for arg in ("--next", f"step {n:03} " + "x" * 60)],
        agent=ME)
    out = run("resume", agent=ME).stdout.encode()
    assert 4096 - 200 < len(out) <= 4096
    assert out.decode().endswith("Left out to fit 4096 bytes, oldest first: "
                                 f"{100 - out.count(b'] step ')} next steps. "
                                 "Read them with: ai-protocols show\n")
    assert b"] step 099 " in out and b"] step 000 " not in out  # the oldest went
    assert len(run("resume", "--max-bytes", "2560", agent=ME).stdout.encode()) <= 2560
    for bad in ("2559", "0", "-1", "many"):
        refused = run("resume", "--max-bytes", bad, agent=ME, check=False)
        assert refused.returncode == 2
        assert "Invalid value for '--max-bytes'" in refused.stderr and refused.stdout == ""
    assert (RESUME_MAX_BYTES, RESUME_MIN_BYTES) == (DEFAULT_MAX_BYTES, MIN_MAX_BYTES) == \
        (4096, 2560)  # the option table's copy of the library's bounds


def test_the_summary_and_the_step_are_cut_never_dropped(project: Path, run: Runner) -> None:
    run("start", agent=ME)
    summary = "\n".join(f"Line {n:03} of a long summary." for n in range(300))
    step = "A step in progress that goes on " + "and on " * 1000
    run("log", "--summary", summary, "--progress", step,
        *[arg for n in range(20) for arg in ("--next", f"Step {n:02} " + "y" * 60)], agent=ME)
    out = run("resume", agent=ME).stdout
    assert len(out.encode()) <= 4096
    kept = re.search(r"\nSummary:\n((?:  Line \d{3} of a long summary\.\n)+)  " +
                     re.escape(CUT_MARK) + "\n", out)
    assert kept is not None and 0 < kept.group(1).count("\n") < 300
    assert "  " + "\n  ".join(summary.split("\n")[:kept.group(1).count("\n")]) in out
    cut = re.search(r"\nIn progress:\n  - \[[^]]*\] (A step in progress[^\n]*)… " +
                    re.escape(CUT_MARK) + "\n", out)
    assert cut is not None and step.startswith(cut.group(1)) and len(cut.group(1)) > 100
    shown = out.count("] Step ")
    assert shown < 20 and out.endswith(
        f"\nLeft out to fit 4096 bytes, oldest first: {20 - shown} next steps. "
        "Read them with: ai-protocols show\n")
    data = resume_json(run)
    assert data["cut"] == {"summary": True, "in_progress": True}
    assert data["summary"].endswith("\n" + CUT_MARK)
    assert summary.startswith(data["summary"][:-len(CUT_MARK)])
    assert data["in_progress"]["text"].endswith("… " + CUT_MARK)
    assert step.startswith(data["in_progress"]["text"][:-len("… " + CUT_MARK)])
    assert data["left_out"]["next"] == 20 - len(data["next"]) > 0


TEXT_CHARS = "abcxyz ABC 019 -*#+:,.\"\\\n\té☕𝄞"
SHORT = st.text(TEXT_CHARS, min_size=1, max_size=120).filter(str.strip)


def repeated(low: int, high: int) -> st.SearchStrategy[str]:
    """A short text said again and again, ``low`` to ``high`` characters long (cheap to
    draw: hypothesis's buffer would not hold thousands of drawn characters)."""
    return st.tuples(SHORT, st.integers(low, high)).map(
        lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1))[:pair[1]]).filter(str.strip)


TEXT = st.one_of(SHORT, SHORT, repeated(100, 1500))
HUGE = repeated(2000, 8000)  # more than the summary or step can keep
KINDS = ("progress", "next", "blocker", "decision", "discovery")
LIST_OF = {"next": "next", "blocker": "blockers", "decision": "decisions",
           "discovery": "discoveries"}
T0 = datetime(2026, 11, 21, 10, 0)


@st.composite
def random_sessions(draw: st.DrawFn) -> dict:
    count = draw(st.integers(0, 50))  # (not lists' max_size: its sizes are mostly small)
    entries = draw(st.lists(st.tuples(st.sampled_from(KINDS), TEXT | HUGE, TEXT,
                                      st.booleans(), st.integers(0, 4)),
                            min_size=count, max_size=count))
    return {"entries": [(kind, f"⟪{n}⟫{text}", why, done, minute)
                        for n, (kind, text, why, done, minute) in enumerate(entries)],
            "summary": draw(st.none() | TEXT | HUGE), "others": draw(st.integers(0, 3)),
            "budget": draw(st.integers(MIN_MAX_BYTES, 6000))}


def build(root: Path, spec: dict) -> dict[str, list]:
    """The session ``spec`` describes, written with the library; what resume should
    list, newest first, as ``show --json`` items (the in-progress step under "progress")."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    ai_protocols.init_project(root)
    project = Project(root)
    project.start(title="Random", now=T0)
    expected: dict[str, list] = {"progress": [], "next": [], "blockers": [], "decisions": [],
                                 "discoveries": [], "others": []}
    order = []
    for n, (kind, text, why, done, minute) in enumerate(spec["entries"]):
        now = T0 + timedelta(minutes=minute)
        project.log(LogEntry(kind, text, why if kind == "decision" else None), now=now)
        if done and kind in ("progress", "next"):
            project.log(LogEntry("done", text), now=now)
            continue
        item: dict[str, object] = {"time": now.isoformat(timespec="minutes"), "text": text}
        if kind in ("progress", "next"):
            item["done"] = False
        if kind == "decision":
            item["rationale"] = why
        order.append(((minute, n), LIST_OF.get(kind, "progress"), item))
    for _, key, item in sorted(order, key=lambda found: found[0], reverse=True):
        expected[key].append(item)
    if spec["summary"] is not None:
        project.log(LogEntry("summary", spec["summary"]), now=T0)
    for n in range(spec["others"]):
        other = Project(root, f"other{n}.proj.test.170000000{n}")
        other.start(now=T0 + timedelta(minutes=n))
        other.record_exit("exit status 1", now=T0 + timedelta(minutes=n))
        expected["others"].insert(0, other.agent_id)
    return expected


def check_cut(shown: str, whole: str, cut: bool) -> None:
    """A summary or step that was cut keeps whole first lines, or the start of the first."""
    if not cut:
        assert shown == whole
        return
    assert shown.endswith(CUT_MARK) and shown != whole
    kept = shown[:-len(CUT_MARK)]
    if kept.endswith("\n"):
        assert whole.startswith(kept)
    else:
        assert kept.endswith("… ") and whole.split("\n")[0].startswith(kept[:-2])


def token(item: dict) -> str:
    """The mark each random entry's text starts with: ``⟪N⟫``."""
    return item["text"][:item["text"].index("⟫") + 1]


def text_block(item: dict) -> str:
    """An entry as resume prints it (docs/user-guide.md)."""
    stamp = item["time"].replace("T", " ")
    out = f"  - [{stamp}] " + "\n    ".join(item["text"].split("\n")) + "\n"
    if "rationale" in item:
        out += "    rationale: " + "\n    ".join(item["rationale"].split("\n")) + "\n"
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=random_sessions())
def test_the_bound_holds_and_entries_are_whole(spec: dict) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch).resolve() / "proj"
        root.mkdir()
        expected = build(root, spec)
        budget = spec["budget"]
        run = Runner(root)
        raw = run("resume", "--json", "--max-bytes", str(budget))
        assert len(raw.stdout.encode()) <= budget
        data = json.loads(raw.stdout)
        event(f"JSON: left out {any(data['left_out'].values())}, "
              f"cut {any(data['cut'].values())}")
        for key in ("next", "blockers", "decisions", "discoveries"):
            shown = data[key]  # the newest, whole, and how many older ones were left out
            assert shown == expected[key][:len(shown)]
            assert data["left_out"][key] == len(expected[key]) - len(shown)
        assert [o["agent_id"] for o in data["others"]] == \
            expected["others"][:len(data["others"])]
        assert data["left_out"]["others"] == len(expected["others"]) - len(data["others"])
        if expected["progress"]:
            step = dict(data["in_progress"])
            check_cut(step.pop("text"), expected["progress"][0]["text"],
                      data["cut"]["in_progress"])
            assert step == {k: v for k, v in expected["progress"][0].items() if k != "text"}
        else:
            assert data["in_progress"] is None
        if spec["summary"] is None:
            assert data["summary"] is None
        else:
            check_cut(data["summary"], spec["summary"], data["cut"]["summary"])

        out = run("resume", "--max-bytes", str(budget)).stdout
        assert len(out.encode()) <= budget
        event(f"text: left out {'Left out to fit' in out}, cut {CUT_MARK in out}")
        for key in ("next", "blockers", "decisions", "discoveries"):
            printed = [item for item in expected[key] if token(item) in out]
            assert printed == expected[key][:len(printed)]  # the newest ones
            places = [out.index(text_block(item)) for item in printed]  # each one whole
            assert places == sorted(places)
            assert all(out.count(token(item)) == 1 for item in printed)
            left = len(expected[key]) - len(printed)
            if left:  # said in the last line
                label = {"next": ("next step", "next steps"), "blockers": ("blocker", "blockers"),
                         "decisions": ("decision", "decisions"),
                         "discoveries": ("discovery", "discoveries")}[key][left > 1]
                assert re.search(rf"\nLeft out to fit {budget} bytes, oldest first: "
                                 rf"(.*, )?{left} {label}[,.]", out)
                assert out.index("\nLeft out to fit") == out.rindex("\n", 0, len(out) - 1)
        for item in expected["progress"][1:]:  # only the newest open step is printed
            assert token(item) not in out

        context = Project(root).resume()  # every budget, through the library
        for limit in range(MIN_MAX_BYTES, len(context.to_text().encode()) + 200, 211):
            context.max_bytes = limit
            assert len(context.to_text().encode()) <= limit
            assert len(dumps(context.to_json()).encode()) + 1 <= limit


def test_every_budget_byte_by_byte(project: Path, run: Runner) -> None:
    """Each byte of budget from the least up, in the library: the bound holds at the very
    edge, where one more entry would not fit, and little of the budget goes unused."""
    run("start", agent=ME)
    run("log", "--summary", "S" * 300, "--progress", "P" * 200,
        *[arg for n in range(60) for arg in ("--next", f"n{n:02} é" * (n % 7 + 1),
                                              "--discovery", f"f{n:02} ☕" * (n % 5 + 1))],
        agent=ME)
    context = Project(project, ME).resume()
    sizes: dict[str, list[int]] = {"text": [], "json": []}
    for limit in range(MIN_MAX_BYTES, MIN_MAX_BYTES + 1500):
        context.max_bytes = limit
        sizes["text"].append(len(context.to_text().encode()))
        sizes["json"].append(len(dumps(context.to_json()).encode()) + 1)
    for form, found in sizes.items():
        pairs = list(zip(found, range(MIN_MAX_BYTES, MIN_MAX_BYTES + 1500), strict=True))
        assert all(limit - 200 < size <= limit for size, limit in pairs), form
        assert any(size == limit for size, limit in pairs), form  # at the very edge


def test_the_least_bound_holds_the_longest_lines_around_the_lists() -> None:
    """MIN_MAX_BYTES holds everything that is never left out, each at its longest: names
    cut to their limit and made of characters JSON escapes, counts of many digits, the
    warning, a huge summary and step (cut to their mark), and a note on millions of
    entries left out."""
    worst = '"\\' * 300
    when = datetime(2026, 11, 21, 10, 2)
    session = Session(path=Path("/p/x.org"), agent_id="a" * 200, title=worst, status=worst,
                      updated=when, compactions=999_999_999, compacted=when,
                      summary=("s" * 100 + "\n") * 1000, git_branch=worst,
                      git_commit="f" * 64)
    git_state = GitState(branch=worst, commit="c" * 64, short="c" * 64, subject=worst,
                         upstream=worst, ahead=10**9, behind=10**9, changed=10**9,
                         untracked=10**9, first_files=[worst] * 5)
    many = [Entry(when, "e")] * 1_000_000
    context = ResumeContext(
        agent_id="a" * 200, session=session, git=git_state, in_progress=Entry(when, "p" * 10**5),
        next_steps=many, blockers=many, decisions=many, discoveries=many,
        others=[(Session(path=Path("/p/o.org")), Liveness("crashed", "gone"))] * 1_000_000,
        rolled_back=f"this session was recorded on branch {worst[:60]}… at commit "
                    f"{'f' * 64}, but this checkout is on branch {worst[:60]}… and does not "
                    f"have that commit; its last checkpoint ({'f' * 12}) holds 999999999 "
                    "files of uncommitted work that this checkout, with no uncommitted "
                    f"change, does not have: {ROLLED_BACK}; it is not in this clone: git "
                    "fetch origin 'refs/ai-protocols/*:refs/ai-protocols/*', then: "
                    f"ai-protocols checkpoint restore {'f' * 12}",
        max_bytes=MIN_MAX_BYTES)
    text = context.to_text()
    assert CUT_MARK in text and "1000000 sessions of other agents" in text
    assert len(text.encode()) <= MIN_MAX_BYTES
    assert len(dumps(context.to_json()).encode()) + 1 <= MIN_MAX_BYTES


# -- git ------------------------------------------------------------------------------------


def test_the_git_state_with_an_upstream_changes_and_untracked_files(project: Path,
                                                                    run: Runner,
                                                                    tmp_path: Path) -> None:
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    (project / "tracked.txt").write_text("one\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Base")
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "-q", "--bare", str(upstream))
    git(project, "remote", "add", "origin", str(upstream))
    git(project, "push", "-qu", "origin", "main")
    theirs = tmp_path / "theirs"
    git(tmp_path, "clone", "-q", "-b", "main", str(upstream), str(theirs))
    (theirs / "theirs.txt").write_text("theirs\n")
    git(theirs, "add", "-A")
    git(theirs, "commit", "-qm", "Their commit")
    git(theirs, "push", "-q", "origin", "main")
    for subject in ("Mine one", "Mine two: the last"):
        git(project, "commit", "-q", "--allow-empty", "-m", subject)
    git(project, "fetch", "-q", "origin")
    run("start", agent=ME)
    (project / "tracked.txt").write_text("two\n")  # changed
    (project / "staged.txt").write_text("new\n")
    git(project, "add", "staged.txt")  # changed (staged)
    (project / "notes.txt").write_text("mine\n")  # untracked
    short = git(project, "rev-parse", "--short", "HEAD")
    out = resume(run)
    # The session file is untracked too: it is new since "Base".
    assert (f"\nGit:\n  branch main, last commit {short} Mine two: the last\n"
            "  upstream origin/main: 2 ahead, 1 behind\n"
            "  2 changed, 2 untracked:\n") in out
    files = re.search(r"  2 changed, 2 untracked:\n((?:    .*\n)+)", out)
    assert files is not None
    assert sorted(files.group(1).split()) == sorted(
        [f".ai/session-context.d/{ME}.org", "notes.txt", "staged.txt", "tracked.txt"])
    data = resume_json(run)
    assert data["git"] == {
        "branch": "main", "commit": git(project, "rev-parse", "HEAD"), "short": short,
        "subject": "Mine two: the last", "upstream": "origin/main", "ahead": 2, "behind": 1,
        "changed": 2, "untracked": 2, "first_files": data["git"]["first_files"]}
    assert sorted(data["git"]["first_files"]) == sorted(files.group(1).split())
    for n in range(7):
        (project / f"more-{n}.txt").write_text("x\n")
    out = resume(run)
    assert "  2 changed, 9 untracked:\n" in out and "    and 6 more (git status)\n" in out
    git(project, "checkout", "-q", "--detach")
    assert f"\nGit:\n  detached HEAD, last commit {short} Mine two: the last\n" in resume(run)


def test_without_git_and_without_a_session(tmp_path: Path) -> None:
    plain = (tmp_path / "plain").resolve()
    plain.mkdir()
    run = Runner(plain)
    run("init")
    out = resume(run)
    assert out == ("Resume: no session yet for AI_AGENT_ID me.proj.claude.1800000000. "
                   "Start one with: ai-protocols start --title TITLE\n"
                   "\nGit: not a git work tree\n")
    data = resume_json(run)
    assert (data["session"], data["git"], data["summary"], data["others"]) == \
        (False, None, None, [])
    out = resume(run, agent=None)
    assert out.startswith("Resume: no session yet. Start one with: ai-protocols start")


def test_without_the_git_command(project: Path, run: Runner) -> None:
    run("start", agent=ME)
    assert "\nGit:\n  branch " in resume(run)
    alone = run("resume", agent=ME, env={"PATH": str(CLI.parent)})  # no git on the PATH
    assert alone.returncode == 0 and "\nGit: not a git work tree\n" in alone.stdout


def test_a_session_recorded_elsewhere_looks_rolled_back(project: Path, run: Runner,
                                                        tmp_path: Path) -> None:
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Base")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))  # before commit C
    git(project, "checkout", "-qb", "feature")
    git(project, "commit", "-q", "--allow-empty", "-m", "C")
    commit = git(project, "rev-parse", "HEAD")
    run("start", agent=ME)
    assert "Warning" not in resume(run)  # nothing recorded: nothing to compare
    assert resume_json(run)["rolled_back"] is None
    set_properties(session_file(project, ME), GIT_BRANCH="feature", GIT_COMMIT=commit)
    assert "Warning" not in resume(run)  # where it was recorded
    git(project, "checkout", "-q", "main")
    recorded = f"this session was recorded on branch feature at commit {commit}"
    assert resume(run).endswith(f"\nWarning: {recorded}, but this checkout is on branch "
                                "main, behind that commit: the work is on branch feature: "
                                "switch to it (git switch feature).\n")

    shutil.copy(session_file(project, ME), session_file(clone, ME))  # the file, elsewhere
    cloned = Runner(clone)
    assert resume(cloned).endswith(f"\nWarning: {recorded}, but this checkout is on branch "
                                   f"main and does not have that commit"
                                   f"{missing_on('feature', clone, 'origin')}: "
                                   f"{ROLLED_BACK}.\n")
    git(clone, "checkout", "-qb", "feature")
    warning = f"{recorded}, but this checkout does not have that commit{MISSING}: {ROLLED_BACK}"
    assert resume(cloned).endswith(f"\nWarning: {warning}.\n")
    assert resume_json(cloned)["rolled_back"] == warning
    git(clone, "checkout", "-q", "--detach")
    assert "but this checkout is on a detached HEAD and does not have that commit" in \
        resume(cloned)
    git(clone, "checkout", "-q", "feature")
    git(clone, "fetch", "-q", "origin", "feature")
    git(clone, "reset", "-q", "--hard", "FETCH_HEAD")
    assert "Warning" not in resume(cloned)  # now it has the commit, on that branch
    set_properties(session_file(clone, ME), GIT_COMMIT="--all")  # typed by hand: no hash
    assert "at commit --all, but this checkout does not have that commit" in resume(cloned)


# -- other agents ---------------------------------------------------------------------------


def test_other_agents_sessions_come_with_the_commands_that_recover_them(project: Path,
                                                                        run: Runner) -> None:
    older, newer = "dead.proj.codex.1700000001", "dead.proj.codex.1700000002"
    wrapped, busy, old = ("wrapped.proj.codex.1700000003", "busy.proj.codex.1700000004",
                          "old.proj.codex.1700000005")
    run("start", agent=older, as_another_agent=True)
    run("log", "--summary", "Half way through the port", agent=older, as_another_agent=True)
    run("start", agent=newer, as_another_agent=True)
    run("start", agent=wrapped, as_another_agent=True)
    run("start", agent=busy)  # its owner, this test, runs: live, not listed
    run("start", agent=old)
    set_properties(session_file(project, older), UPDATED="[2023-01-01 Sun 10:00]")
    set_properties(session_file(project, wrapped), STATUS="wrapped-up",
                   UPDATED="[2024-01-01 Mon 10:00]")
    path = session_file(project, old)  # no owner, not updated for years: abandoned
    path.write_text(re.sub(r"^:OWNER:.*\n", "", path.read_text(), flags=re.M))
    set_properties(path, UPDATED="[2020-01-01 Wed 10:00]")
    run("start", agent=ME)
    data = resume_json(run)
    assert [(o["agent_id"], o["state"]) for o in data["others"]] == [
        (newer, "crashed"), (wrapped, "wrapped-up"), (older, "crashed"), (old, "abandoned")]
    by_id = {o["agent_id"]: o for o in data["others"]}
    assert by_id[older]["summary"] == "Half way through the port"
    assert by_id[older]["evidence"].startswith("its owner, process ")
    assert by_id[older]["path"] == str(session_file(project, older))
    assert by_id[wrapped]["adopt"] is None
    assert by_id[wrapped]["archive"] == f"ai-protocols recover {wrapped} --archive"
    out = resume(run)
    assert (f"\nOther agents' sessions to recover:\n  - {newer}: crashed (its owner, process "
            in out)
    assert (f"  - {older}: crashed (its owner, process ") in out
    assert ("    summary: Half way through the port\n"
            f"    take it over: ai-protocols recover {older} --adopt\n"
            f"    or archive it: ai-protocols recover {older} --archive\n") in out
    assert f"ai-protocols recover {wrapped} --adopt" not in out
    assert f"    or archive it: ai-protocols recover {wrapped} --archive\n" in out
    assert busy not in out and busy not in json.dumps(data)
    # The printed commands work as printed.
    adopt = shlex.split(by_id[older]["adopt"])
    assert adopt[0] == "ai-protocols"
    run(*adopt[1:], agent=ME)
    run(*shlex.split(by_id[wrapped]["archive"])[1:], agent=ME)
    data = resume_json(run)
    assert [o["agent_id"] for o in data["others"]] == [newer, old]
    assert data["summary"] == "Half way through the port"  # now this agent's session


def test_the_one_agent_file_is_named_by_its_path(project: Path, run: Runner) -> None:
    run("start", as_another_agent=True)  # .ai/session-context.org, without an id
    data = resume_json(run)
    [other] = data["others"]
    assert other["agent_id"] is None
    assert other["archive"] == f"ai-protocols recover {session_file(project)} --archive"
    run(*shlex.split(other["adopt"])[1:], agent=ME)
    assert resume_json(run)["others"] == []


def test_without_a_session_file_it_says_how_to_start(project: Path, run: Runner) -> None:
    run("start", agent="dead.proj.codex.1700000001", as_another_agent=True)
    result = run("resume", agent=ME)
    assert result.returncode == 0 and result.stderr == ""
    in_order(result.stdout,
             f"Resume: no session yet for AI_AGENT_ID {ME}. Start one with: ai-protocols "
             "start --title TITLE\n", "\nGit:\n  branch ", ", no commit yet\n",
             "\nOther agents' sessions to recover:\n  - dead.proj.codex.1700000001: crashed")
    assert "Summary" not in result.stdout and "Session:" not in result.stdout
    data = resume_json(run)
    assert (data["session"], data["agent_id"], data["title"], data["summary"],
            data["in_progress"], data["next"]) == (False, ME, None, None, None, [])
    assert data["git"]["commit"] is None and len(data["others"]) == 1


# -- JSON -----------------------------------------------------------------------------------


def test_the_json_keys_are_stable(project: Path, run: Runner) -> None:
    run("start", agent="dead.proj.codex.1700000001", as_another_agent=True)
    run("start", "--title", "T", agent=ME)
    run("log", "--progress", "p", "--next", "n", "--decision", "d", "--rationale", "r",
        "--discovery", "f", "--blocker", "b", agent=ME)
    data = resume_json(run)
    assert list(data) == ["schema", "session", "agent_id", "title", "status", "summary",
                          "in_progress", "next", "blockers", "decisions", "discoveries",
                          "updated", "compactions", "compacted", "git", "others",
                          "rolled_back", "cut", "left_out", "objective", "paused",
                          "pause_note", "key_files", "context", "tasks", "removed", "earlier",
                          "dropped_by_merge"]
    assert data["schema"] == 1 and data["session"] is True and data["agent_id"] == ME
    assert data["earlier"] is None  # (a file never rolled over: tests/test_rollover.py)
    assert list(data["in_progress"]) == ["time", "text", "done"]
    assert list(data["next"][0]) == ["time", "text", "done"]
    assert list(data["decisions"][0]) == ["time", "text", "rationale"]
    assert list(data["blockers"][0]) == list(data["discoveries"][0]) == ["time", "text"]
    assert list(data["git"]) == ["branch", "commit", "short", "subject", "upstream", "ahead",
                                 "behind", "changed", "untracked", "first_files"]
    assert list(data["others"][0]) == ["agent_id", "path", "state", "evidence", "summary",
                                       "updated", "adopt", "archive", "title", "objective",
                                       "resumed_by"]
    assert list(data["cut"]) == ["summary", "in_progress"]
    assert list(data["left_out"]) == ["next", "blockers", "decisions", "discoveries", "others",
                                      "key_files", "context"]


def test_the_library_gives_what_the_command_prints(project: Path, run: Runner) -> None:
    run("start", "--title", "Same", agent=ME)
    run("log", "--next", "n", "--summary", "s", agent=ME)
    context = Project(project, ME).resume(max_bytes=3000)
    assert context.max_bytes == 3000 and context.session is not None
    assert [e.text for e in context.next_steps] == ["n"]
    assert context.to_text() == run("resume", "--max-bytes", "3000", agent=ME).stdout
    assert dumps(context.to_json()) + "\n" == \
        run("resume", "--json", "--max-bytes", "3000", agent=ME).stdout
    fresh = ai_protocols.resume_context(Project(project, "new.proj.x.1800000001"), None)
    assert fresh.session is None and fresh.max_bytes == 4096
    assert fresh.to_text().startswith("Resume: no session yet")
    assert fresh.git is not None and fresh.git.commit is None  # read: a repository, no commit
    given = ai_protocols.resume_context(Project(project, ME), context.session, git=None)
    assert given.git is None and "\nGit: not a git work tree\n" in given.to_text()


def test_the_command_runs_from_a_sub_folder(project: Path, run: Runner) -> None:
    run("start", "--title", "Deep", agent=ME)
    (project / "sub").mkdir()
    result = subprocess.run([str(CLI), "resume"], cwd=project / "sub",
                            env=clean_env(AI_AGENT_ID=ME), capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("Resume: Deep (")
