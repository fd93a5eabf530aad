"""Issue 16, fourteenth round: the commands that read a session for its resume context
(``resume``, ``start``, the SessionStart and PreCompact hooks) read it brief, passing
over the closed items and the Log's ``done:`` lines unparsed, so that their cost does
not grow with the closed history; what they print is what the whole read gives
(``layout.read_session(brief=True)``, docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, as_last_written, clean_env

CORPUS = Path(__file__).parent / "corpus"

#: What the resume context looks for in the Log (resume.py, board/model.py).
LOG_PREFIXES = ("task: ", "fresh: this agent's session before was ", "replaced: ",
                "moved: from ")

HEAD = """#+TITLE: Session

* Session
:PROPERTIES:
:AGENT_ID: vm.p.claude.1
:STATUS:   active
:STARTED:  [2026-11-21 Sat 10:00]
:UPDATED:  [2026-11-21 Sat 11:00]
:END:
** Summary
:PROPERTIES:
:CUSTOM_ID: summary
:END:
Where it stands.
"""
SECTIONS = [("Progress", "progress"), ("Decisions", "decisions"), ("Next steps", "next-steps"),
            ("Key files", "key-files"), ("Log", "log")]

LINES = st.sampled_from([
    "- [X] [2026-11-21 Sat 10:00] did it", "- [X] [2026-11-21 Sat 10:00] did it",
    "- [X] [2026-11-21 Sat 10:01] again", "- [X] [garbage] closed", "- [X] [",
    "- [ ] [2026-11-21 Sat 10:02] to do", "- [-] [2026-11-21 Sat 10:03] doing",
    "- [x] [2026-11-21 Sat 10:04] lower x", "- [2026-11-21 Sat 10:05] decided",
    "- [2026-11-21 Sat 10:06] done: Progress item of [2026-11-21 Sat 10:00]",
    "- [2026-11-21 Sat 10:07] done: did it", "- [bad] done: x", "- [2026-11-21] done: day",
    "- [2026-11-21 Sat 10:08] task: T-1 a task", "- [2026-11-21 Sat 10:09] replaced: x",
    "- [2026-11-21 Sat 10:10] moved: from a",
    "- [2026-11-21 Sat 10:11] fresh: this agent's session before was adopted",
    "- [2026-11-21 Sat 10:12] progress: did it", "- [2026-11-21 Sat 10:13] start: started",
    "  - Rationale: because", "  more text", "", " ", "text", "#+begin_example",
    "#+end_example", "  #+begin_example", "  :LOGBOOK:", "  :END:", ":DRAWER:", ":END:",
    "\\begin{equation}", "\\end{equation}", "[fn:1] note", "| a | b |", "-----", "\f",
    "- [X] [2026-11-21 Sat 10:14] café ☕", "- [X] [2026-11-21 Sat 10:15] a\u200bb",
    "  - [X] [2026-11-21 Sat 10:16] nested", "- plain", "- [2026-11-21 Sat 10:17] x :: y",
    "  - [-] [2026-11-21 Sat 10:18] nested current", "- [ ] [2026-11-21 Sat 10:19] a [-] b",
    "[-] at the start", "- [-] [2026-11-21 Sat 10:20] also doing",
])


def _text(bodies: list[list[str]], newline: str, own: bool) -> str:
    parts = [HEAD]
    for (title, custom), body in zip(SECTIONS, bodies, strict=True):
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {custom}\n:END:\n")
        parts.extend(line + "\n" for line in body)
        if own and title == "Decisions":  # a person's own headline between sections
            parts.append("*** My notes\n- [X] [2026-11-21 Sat 10:00] mine\n")
    return "".join(parts).replace("\n", newline)


def _agree(path: Path, text: str) -> None:
    """The brief read and the whole read of ``text`` agree on all a resume context
    reads, and the brief one read whole again is the whole read."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import BRIEF_KINDS, _is_current, read_session, whole
    from ai_protocols.session.model import SECTION_KINDS

    full = read_session(str(path), text)
    brief = read_session(str(path), text, brief=True)
    doc = OrgFile(text)  # (the step in progress: the rule as it was, line by line)
    assert full.current == next((e for e in reversed(full.progress)
                                 if e.done is False and _is_current(doc, e)), None)
    left = 0
    for kind in SECTION_KINDS:
        every, kept = full.items(kind.kind), brief.items(kind.kind)
        if kind.kind not in BRIEF_KINDS:
            assert kept == every, kind.kind
            continue
        assert [e for e in every if e.done is not True] == \
            [e for e in kept if e.done is not True], kind.kind
        rest = iter(every)  # (the brief list: the whole one less some closed items)
        assert all(any(e == f for f in rest) for e in kept), kind.kind
        left += len(every) - len(kept)
    assert brief.left_out == left
    assert brief.current == full.current
    assert brief.summary == full.summary and brief.earlier == full.earlier
    assert (brief.agent_id, brief.status, brief.started, brief.updated) == \
        (full.agent_id, full.status, full.started, full.updated)
    for prefix in LOG_PREFIXES:
        assert [e for e in brief.log if e.text.startswith(prefix)] == \
            [e for e in full.log if e.text.startswith(prefix)], prefix
    if not brief.left_out and not brief.left_out_log:
        assert brief.log == full.log and brief.entries == full.entries
    path.write_text(text, encoding="utf-8", newline="")
    again = whole(brief)
    assert (again.entries, again.log, again.current) == (full.entries, full.log, full.current)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(LINES, max_size=14), min_size=5, max_size=5),
       st.sampled_from(["\n", "\n", "\r\n"]), st.booleans())
def test_the_brief_read_agrees_with_the_whole_read(tmp_path_factory, bodies, newline,
                                                   own) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("brief") / "session.org"
    _agree(path, _text(bodies, newline, own))


def test_the_brief_read_agrees_on_the_corpus(tmp_path: Path) -> None:
    from ai_protocols.errors import UnreadableSession

    read = 0
    for path in sorted(CORPUS.rglob("*.org")):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            _agree(tmp_path / "session.org", text)
        except UnreadableSession:
            continue
        read += 1
    assert read > 5


def test_closed_items_are_passed_over_and_counted() -> None:
    from ai_protocols.session.layout import read_session

    closed = "".join(f"- [X] [2026-10-01 Thu 08:{n % 60:02}] step {n}\n" for n in range(3000))
    text = _text([[], [], [], [], []], "\n", False).replace(
        ":CUSTOM_ID: progress\n:END:\n",
        ":CUSTOM_ID: progress\n:END:\n" + closed + "- [ ] [2026-10-02 Fri 09:00] open\n")
    text += "".join(f"- [2026-10-01 Thu 09:{n % 60:02}] done: step {n}\n" for n in range(500))
    brief = read_session("s.org", text, brief=True)
    assert brief.left_out == 3000 and brief.left_out_log == 500
    assert [e.text for e in brief.progress] == ["open"]
    assert len(read_session("s.org", text).progress) == 3001


# -- the commands: what they print is what the whole read gives -----------------------------

_FULL = textwrap.dedent("""
    import sys
    from ai_protocols.session.project import Project
    from ai_protocols.session.resume import DEFAULT_MAX_BYTES, resume_context
    from ai_protocols.cli.output import render_session
    project = Project.discover()
    session = project.read(project.path_text)
    if sys.argv[1] == "resume":
        print(resume_context(project, session).to_text(), end="")
    else:
        whole = render_session(session)
        if len(whole.encode("utf-8")) <= DEFAULT_MAX_BYTES:
            print(whole)
        else:
            note = "(the whole session: ai-protocols show)"
            print(resume_context(project, session,
                                 max_bytes=DEFAULT_MAX_BYTES - len(note) - 1).to_text() + note)
""")


def _filled(repo: Path, closed: int, *, crlf: bool = False, agent: str = "scan") -> Path:
    env = clean_env(AI_AGENT_ID=agent)
    subprocess.run([str(CLI), "start", "--title", "scan"], cwd=repo, env=env, check=True,
                   capture_output=True)
    for args in (["--progress", "open step"], ["--decision", "kept it", "--rationale", "it works"],
                 ["--key-file", "a.py"], ["--context", "a fact"], ["--next", "then"],
                 ["--current", "the step now"]):
        subprocess.run([str(CLI), "log", *args], cwd=repo, env=env, check=True,
                       capture_output=True)
    path = repo / ".ai" / "session-context.d" / f"{agent}.org"
    if not path.exists():
        path = repo / ".ai" / "session-context.org"
    text = path.read_text(encoding="utf-8")
    marker = ":CUSTOM_ID: progress\n:END:\n"
    items = "".join(f"- [X] [2026-10-01 Thu {8 + n // 60 % 10:02}:{n % 60:02}] step {n}\n"
                    for n in range(closed))
    done = "".join(f"- [2026-10-01 Thu 19:{n % 60:02}] done: step {n}\n"
                   for n in range(closed // 3))
    text = text.replace(marker, marker + items, 1)
    text = text.replace(":CUSTOM_ID: log\n:END:\n", ":CUSTOM_ID: log\n:END:\n" + done, 1)
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    return path


def _full(repo: Path, what: str, agent: str = "scan") -> str:
    return subprocess.run([sys.executable, "-c", _FULL, what], cwd=repo,
                          env=clean_env(AI_AGENT_ID=agent), capture_output=True, text=True,
                          check=True).stdout


def test_resume_and_start_print_what_the_whole_read_gives(repo: Path) -> None:
    for closed, crlf in ((0, False), (40, False), (3000, False), (600, True)):
        agent = f"scan{closed}"
        env = clean_env(AI_AGENT_ID=agent)
        _filled(repo, closed, crlf=crlf, agent=agent)
        resume = subprocess.run([str(CLI), "resume"], cwd=repo, env=env, capture_output=True,
                                text=True, check=True).stdout
        assert resume == _full(repo, "resume", agent), closed
        assert "the step now" in resume
        start = subprocess.run([str(CLI), "start"], cwd=repo, env=env, capture_output=True,
                               text=True, check=True).stdout
        assert start.split("\n", 2)[2] == _full(repo, "start", agent), closed


def test_start_shows_the_whole_session_when_its_few_closed_items_fit(repo: Path) -> None:
    """A brief read that left out a few closed items: ``start`` reads the file whole
    again and shows it whole, closed items too, as it did."""
    env = clean_env(AI_AGENT_ID="scan")
    _filled(repo, 3)
    start = subprocess.run([str(CLI), "start"], cwd=repo, env=env, capture_output=True,
                           text=True, check=True).stdout
    assert "step 2" in start and "(the whole session" not in start
    assert start.split("\n", 2)[2] == _full(repo, "start")


# -- a write past the bound: what may move, bounded without parsing ---------------------------

@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(LINES, max_size=14), min_size=5, max_size=5),
       st.sampled_from(["\n", "\r\n"]), st.integers(min_value=1, max_value=400))
def test_the_bounds_of_what_may_move_hold(bodies, newline, enough) -> None:  # type: ignore[no-untyped-def]
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import session_headline
    from ai_protocols.session.rollover import MOVABLE
    from ai_protocols.session.rollover_plan import (
        _movable,
        least_movable,
        most_movable,
    )

    text = _text(bodies, newline, False).replace("CUSTOM_ID: key-files", "CUSTOM_ID: blockers")
    doc = OrgFile(text)
    headline = session_headline(doc)
    every = {rank: 1 for rank in range(len(MOVABLE))}  # (every section read)
    exact = {rank: s.total for rank, s in _movable(doc, headline, every).items()}
    most = most_movable(OrgFile(text), headline)
    assert all(most.get(rank, 0) >= total for rank, total in exact.items()), (most, exact)
    assert least_movable(OrgFile(text), headline, 10**9) <= sum(exact.values())
    assert least_movable(OrgFile(text), headline, enough) <= sum(exact.values())


def test_the_least_movable_finds_the_closed_items_of_a_rolled_file() -> None:
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import session_headline
    from ai_protocols.session.rollover_plan import least_movable

    closed = "".join(f"- [X] [2026-10-01 Thu 08:{n % 60:02}] step {n}\n" for n in range(2000))
    text = _text([[], [], [], [], []], "\n", False).replace(
        ":CUSTOM_ID: progress\n:END:\n", ":CUSTOM_ID: progress\n:END:\n" + closed +
        "- [ ] [2026-10-02 Fri 09:00] open\n")
    doc = OrgFile(text)
    assert least_movable(doc, session_headline(doc), 10**9) == len(closed)
    assert least_movable(doc, session_headline(doc), 100) >= 100


def test_a_log_into_a_file_held_past_the_bound_still_warns(repo: Path) -> None:
    """Nothing can move (a person's pasted text): the entry is written, with the warning
    naming what holds the file; the rollover cannot be written (``.ai/history`` a
    file): the entry is written, not rolled over, with the warning naming the file."""
    env = clean_env(AI_AGENT_ID="held")
    subprocess.run([str(CLI), "start"], cwd=repo, env=env, check=True, capture_output=True)
    path = repo / ".ai" / "session-context.d" / "held.org"
    if not path.exists():
        path = repo / ".ai" / "session-context.org"
    text = path.read_text(encoding="utf-8")
    at = text.index("** Decisions")
    pasted = "".join(f"log line {n} {'z' * 60}\n" for n in range(60_000))
    path.write_text(f"{text[:at]}My notes:\n#+begin_example\n{pasted}#+end_example\n"
                    f"{text[at:]}", encoding="utf-8")
    done = subprocess.run([str(CLI), "log", "--progress", "one"], cwd=repo, env=env,
                          capture_output=True, text=True, check=True)
    assert "no rollover moves what holds it there (Progress 4.3 MiB)" in done.stderr
    assert "] one\n" in path.read_text(encoding="utf-8")
    closed = "".join(f"- [X] [2026-10-01 Thu {n // 60 % 24:02}:{n % 60:02}] closed item {n}\n"
                     for n in range(100_000))
    path.write_text(f"{text[:at]}{closed}{text[at:]}", encoding="utf-8")
    as_last_written(repo, path)  # (a layout in place of the tool's own, not a stale save)
    (repo / ".ai" / "history").write_text("my notes\n")
    before = path.stat().st_size
    done = subprocess.run([str(CLI), "log", "--progress", "two"], cwd=repo, env=env,
                          capture_output=True, text=True, check=True)
    assert "was not rolled over" in done.stderr and \
        "history is a file where a folder must be" in done.stderr
    assert path.stat().st_size > before and (repo / ".ai" / "history").is_file()
