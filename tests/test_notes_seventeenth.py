"""Issue 16, seventeenth round: a brief read (``resume``, ``start``, the SessionStart and
PreCompact hooks) reads only the newest decisions and discoveries, those the resume
context can show, and counts the older ones unread, when a few ``str`` operations show
them all to be items of the tool's own form and older (``layout._brief_notes``); any
other layout is read whole. What the commands print is what the whole read gives,
byte for byte (docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, clean_env

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
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _stamp(minute: int, day_name: str | None = None) -> str:
    """The tool's own timestamp of 2026-11-21 (a Saturday) 00:00 plus ``minute``
    minutes, with the day name given (a person's typo) or the right one."""
    day, rest = divmod(minute, 1440)
    name = day_name or DAYS[(5 + day) % 7]
    return f"[2026-11-{21 + day:02d} {name} {rest // 60:02d}:{rest % 60:02d}]"


#: A line of a Decisions or Discoveries section, from the minute of the item it follows:
#: the tool's own items (in order, out of order, on the same minute, with a wrong day
#: name, an impossible date), a decision's rationale, and what a person or Emacs writes.
LINE = st.one_of(
    st.builds(lambda m: f"- {_stamp(m)} decided {m}", st.integers(0, 4000)),
    st.builds(lambda m: f"- {_stamp(m)} decided {m}", st.integers(0, 4000)),
    st.builds(lambda m, n: f"- {_stamp(m, n)} typo {m}", st.integers(0, 4000),
              st.sampled_from(["Abc", "Mon", "Zzz"])),
    st.sampled_from([
        "  - Rationale: because", "  - Rationale:", "  - Rationale:x", "  more text",
        "- [2026-02-30 Mon 10:00] no such day", "- [2026-11-21 Sat 25:00] no such hour",
        "- [2026-11-22] a date alone", "- [X] [2026-11-23 Mon 09:00] boxed",
        "- [ ] [2026-11-24 Tue 09:00] open", "- [x] lower x", "- plain", "",
        "+ [2026-11-25 Wed 09:00] plus", "  - [2026-11-26 Thu 09:00] nested", "text",
        "#+begin_example", "- [2026-11-27 Fri 09:00] in a block?", "#+end_example",
        "\t- [2026-11-28 Sat 09:00] tabbed", "- [2026-11-21 Sat 10:00]--[2026-11-29 Sun 10:00] r",
        "- [2026-11-21 Sat 10:00]", "  #+begin_example", "  :DRAWER:", "  :END:",
        "- [2026-11-21 Sat 10:00] café ☕", "- [2026-11-21 Sat 10:00]  two spaces",
    ]),
)


def _ordered(count: int, start: int, rationale: bool) -> list[str]:
    """``count`` items of the tool's own form a minute apart from ``start``, each with
    a rationale when ``rationale``."""
    lines = []
    for n in range(count):
        lines.append(f"- {_stamp(start + n)} note {n}")
        if rationale:
            lines.append(f"  - Rationale: because {n}")
    return lines


def _text(decisions: list[str], discoveries: list[str], newline: str = "\n") -> str:
    parts = [HEAD]
    for title, custom, body in (("Progress", "progress", []),
                                ("Decisions", "decisions", decisions),
                                ("Discoveries", "discoveries", discoveries),
                                ("Log", "log", ["- [2026-11-21 Sat 10:00] start: s"])):
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {custom}\n:END:\n")
        parts.extend(line + "\n" for line in body)
    return "".join(parts).replace("\n", newline)


def _agree(path: Path, text: str, notes: int) -> dict[str, int]:
    """The brief read keeping ``notes`` of each kind and the whole read agree on what
    the resume context reads: the first ``notes`` newest first, and how many there
    are; what the brief read holds is the whole read's last entries; read whole again
    it is the whole read. Returns the brief read's ``unread``."""
    from ai_protocols.session.layout import NOTE_KINDS, read_session, whole
    from ai_protocols.session.model import newest_first

    full = read_session(str(path), text)
    brief = read_session(str(path), text, brief=True, notes=notes)
    for kind in NOTE_KINDS:
        every, kept = full.items(kind), brief.items(kind)
        unread = brief.unread.get(kind, 0)
        assert unread + len(kept) == len(every), kind
        assert kept == every[len(every) - len(kept):], kind
        assert newest_first(kept)[:notes] == newest_first(every)[:notes], kind
    assert set(brief.unread) <= set(NOTE_KINDS)
    path.write_text(text, encoding="utf-8", newline="")
    again = whole(brief)
    assert (again.entries, again.log) == (full.entries, full.log)
    return brief.unread


@settings(max_examples=500, deadline=None)
@given(st.integers(1, 4), st.lists(LINE, max_size=30), st.integers(0, 30),
       st.lists(LINE, max_size=4), st.booleans(), st.sampled_from(["\n", "\n", "\r\n"]))
def test_the_brief_read_of_the_notes_agrees_with_the_whole_read(
        tmp_path_factory, notes, person, count, tail, rationale, newline) -> None:  # type: ignore[no-untyped-def]
    """Any lines a person or Emacs wrote, before, among or after the tool's own items
    (a run of them in order, which the brief read passes over when it may)."""
    path = tmp_path_factory.mktemp("notes") / "session.org"
    own = _ordered(count, 600, rationale)
    at = len(own) // 2
    decisions = own[:at] + person + own[at:] + tail
    _agree(path, _text(decisions, own + tail, newline), notes)


def test_the_tool_s_own_items_are_counted_unread(tmp_path: Path) -> None:
    """What the brief read passes over: the older items of the tool's own form, in a
    file of LF or CRLF lines; a newer one among them, or a person's line, and the
    section is read whole."""
    for newline in ("\n", "\r\n"):
        decisions, discoveries = _ordered(50, 0, True), _ordered(50, 100, False)
        unread = _agree(tmp_path / "s.org", _text(decisions, discoveries, newline), 4)
        assert unread == {"decision": 46, "discovery": 46}
    newer = _ordered(50, 0, True)
    newer.insert(10, f"- {_stamp(3000)} newer, among the old")
    person = _ordered(50, 0, True)
    person.insert(11, "  and a person's line")
    for decisions in (newer, person):
        assert _agree(tmp_path / "s.org", _text(decisions, []), 4) == {}
    # the same day as the 4th newest, a later time and another day name: read whole
    typo = _ordered(50, 0, True)
    typo.insert(10, f"- {_stamp(49 + 1, 'Abc')} later, its day name mistyped")
    assert _agree(tmp_path / "s.org", _text(typo, []), 4) == {}
    same = _ordered(50, 0, True)
    same.insert(10, f"- {_stamp(46)} the minute of the 4th newest")
    assert _agree(tmp_path / "s.org", _text(same, []), 4) == {"decision": 47}
    # a section of many windows (layout._NOTES_WINDOW): a newer item or a person's line
    # in a later one than the first is found too
    big = _ordered(6000, 0, True)
    assert _agree(tmp_path / "s.org", _text(big, []), 4) == {"decision": 5996}
    for line in (f"- {_stamp(9000)} newer, far in", "  a person's line, far in"):
        assert _agree(tmp_path / "s.org", _text([*big[:9000], line, *big[9000:]], []), 4) == {}


def test_the_default_keeps_what_the_default_bound_can_show() -> None:
    """``BRIEF_NOTES`` serves the resume context of the default bound; a bigger bound
    asks more than it (and reads the file whole)."""
    from ai_protocols.session.layout import BRIEF_NOTES
    from ai_protocols.session.resume import DEFAULT_MAX_BYTES, notes_to_read

    assert notes_to_read(DEFAULT_MAX_BYTES) <= BRIEF_NOTES < notes_to_read(2 * DEFAULT_MAX_BYTES)


# -- the commands: what they print is what the whole read gives --------------------------------

_FULL = textwrap.dedent("""
    import sys
    from ai_protocols.session.project import Project
    from ai_protocols.session.resume import DEFAULT_MAX_BYTES, dumps, resume_context
    from ai_protocols.cli.output import render_session
    project = Project.discover()
    session = project.read(project.path_text)
    what, bound = sys.argv[1], int(sys.argv[2])
    if what == "resume":
        print(resume_context(project, session, max_bytes=bound).to_text(), end="")
    elif what == "json":
        print(dumps(resume_context(project, session, max_bytes=bound).to_json()))
    else:
        whole = render_session(session)
        if len(whole.encode("utf-8")) <= DEFAULT_MAX_BYTES:
            print(whole)
        else:
            note = "(the whole session: ai-protocols show)"
            print(resume_context(project, session,
                                 max_bytes=DEFAULT_MAX_BYTES - len(note) - 1).to_text() + note)
""")


def _full(repo: Path, agent: str, what: str, bound: int = 4096) -> str:
    return subprocess.run([sys.executable, "-c", _FULL, what, str(bound)], cwd=repo,
                          env=clean_env(AI_AGENT_ID=agent), capture_output=True, text=True,
                          check=True).stdout


def _run(repo: Path, agent: str, *args: str) -> str:
    return subprocess.run([str(CLI), *args], cwd=repo, env=clean_env(AI_AGENT_ID=agent),
                          capture_output=True, text=True, check=True).stdout


def _filled(repo: Path, agent: str, decisions: list[str], discoveries: list[str],
            newline: str = "\n") -> None:
    """The agent's session, started and logged to, its Decisions and Discoveries then
    holding ``decisions`` and ``discoveries`` before what it logged."""
    _run(repo, agent, "start", "--title", "notes")
    _run(repo, agent, "log", "--decision", "kept it", "--rationale", "it works",
         "--discovery", "found", "--progress", "open step")
    path = next((repo / ".ai").glob(f"**/{agent}.org"), repo / ".ai" / "session-context.org")
    text = path.read_text(encoding="utf-8")
    for custom, lines in (("decisions", decisions), ("discoveries", discoveries)):
        marker = f":CUSTOM_ID: {custom}\n:END:\n"
        text = text.replace(marker, marker + "".join(line + "\n" for line in lines), 1)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))


def test_resume_and_start_print_what_the_whole_read_gives(repo: Path) -> None:
    """Hundreds of notes (more than the brief read keeps), in the tool's own form, with
    a person's text among the older ones, a newer one among them, a mistyped day name,
    CRLF lines: ``resume``, ``resume --json``, a bigger ``--max-bytes`` and ``start``
    print what the whole read gives."""
    many = _ordered(600, 0, True)
    person = list(many)
    person.insert(40, "  a person's own words under a decision")
    newer = list(many)
    newer.insert(40, f"- {_stamp(9000)} the newest, written among the old ones")
    typo = list(many)
    typo.insert(40, f"- {_stamp(2 * 600 + 5, 'Abc')} a later time, its day mistyped")
    cases = [("plain", many, _ordered(600, 0, False), "\n"),
             ("person", person, many, "\n"), ("newer", newer, many, "\n"),
             ("typo", typo, many, "\n"), ("crlf", many, many, "\r\n")]
    for agent, decisions, discoveries, newline in cases:
        _filled(repo, agent, decisions, discoveries, newline)
        resume = _run(repo, agent, "resume")
        assert resume == _full(repo, agent, "resume"), agent
        assert "oldest first: " in resume and "kept it" in resume, agent
        if agent in ("newer", "typo"):  # (the newest but the one logged: shown)
            assert ("the newest," if agent == "newer" else "its day mistyped") in resume
        assert _run(repo, agent, "resume", "--json") == _full(repo, agent, "json"), agent
        assert _run(repo, agent, "resume", "--max-bytes", "30000") == \
            _full(repo, agent, "resume", 30000), agent
        start = _run(repo, agent, "start")
        assert start.split("\n", 2)[2] == _full(repo, agent, "start"), agent
