"""Everything we write parses as intended, with real Emacs as the judge.

The installed command is run, step by step, through a whole session (fresh,
each kind of log entry, text that looks like Org structure, the summary set
and replaced, items ticked, wrapped up and archived), once with
``AI_AGENT_ID`` and once without. After every command the session file is
copied aside; all copies are then parsed by org-element in one Emacs call
(``tests/emacs.py``), and each state is compared with the model below, which
is written from the layout in ``.ai/protocols.org``, not from the code.

What Emacs must see in every state:

- the headline tree exactly: ``Session: <title>`` and its seven sections;
- a real property drawer under every headline (never an ordinary drawer),
  with exactly the expected keys and values, the time properties being
  inactive Org timestamps of the minute their command ran;
- the ``#+TITLE`` and ``#+OPTIONS`` keywords, and no other keyword;
- every timestamp inactive, of the minute its command ran, on an entry;
- every entry an item of its section, with its checkbox (or none), its text
  inline or in an example block whose value, unindented, is the logged text;
  a rationale as a nested item under its decision;
- the summary as a paragraph or an example block in the Summary section;
- every non-blank line accounted for by one of these elements, so that no
  logged text became a table, a rule, a comment or anything else.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pytest

from ai_protocols.liveness.evidence import Owner, process_since_boot
from ai_protocols.liveness.host import process_start

from conftest import Runner
from emacs import JUDGES, lint_export, on_both, org_element

AGENT = "velox.proj.claude.1718400000"
TITLE = "Fix the double sweep"
SESSION = f"Session: {TITLE}"
SECTIONS = (
    ("Summary", "summary"),
    ("Progress", "progress"),
    ("Decisions", "decisions"),
    ("Discoveries", "discoveries"),
    ("Blockers", "blockers"),
    ("Next steps", "next-steps"),
    ("Log", "log"),
)

# A discovery whose lines each look like some Org structure.
STRUCTURE = "\n".join([
    "Found in the sweep:",
    "* not a headline",
    "** nor this",
    "#+TITLE: x",
    ":PROPERTIES:",
    ":CUSTOM_ID: fake",
    ":END:",
    ":LOGBOOK:",
    "| a | b |",
    "|---+---|",
    "-----",
    "#+end_example",
    "#+begin_src sh",
    ",* already escaped",
    "",
    "  * indented star",
    ": fixed width",
    "# a comment",
    "- [ ] not an item",
    "CLOCK: [2026-01-01 Thu 10:00]",
    "SCHEDULED: <2026-01-02 Fri>",
    "\\begin{equation}",
    "[fn:1] not a footnote",
])


@dataclass(frozen=True)
class Want:
    """One entry as the layout says it must be: where, what, which box."""

    section: str
    text: str
    block: bool = False
    checkbox: str | None = None  # org-element's "off" / "on", or None
    rationale: str | None = None
    rationale_block: bool = False


@dataclass(frozen=True)
class Step:
    """One command and what it adds to the file."""

    state: str
    args: tuple[str, ...]
    adds: tuple[Want, ...] = ()
    log: tuple[str, ...] = ()
    done: tuple[str, ...] = ()  # texts of the items it ticks
    summary: tuple[str, bool] | None = None  # (text, as a block)


def _progress(text: str, block: bool = False) -> Want:
    return Want("Progress", text, block, checkbox="off")


def _next(text: str, block: bool = False) -> Want:
    return Want("Next steps", text, block, checkbox="off")


STEPS: tuple[Step, ...] = (
    Step("fresh", ("start", "--title", TITLE), log=("start: session started",)),
    Step("progress", ("log", "--progress", "Reproduce the double sweep"),
         adds=(_progress("Reproduce the double sweep"),)),
    Step("decision", ("log", "--decision", "Use a heap for the queue",
                      "--rationale", "The sorted list costs O(n) per insert"),
         adds=(Want("Decisions", "Use a heap for the queue",
                    rationale="The sorted list costs O(n) per insert"),)),
    Step("discovery", ("log", "--discovery", "The sweep runs on load and again on save"),
         adds=(Want("Discoveries", "The sweep runs on load and again on save"),)),
    Step("blocker", ("log", "--blocker", "CI is down since 09:00"),
         adds=(Want("Blockers", "CI is down since 09:00"),)),
    Step("next", ("log", "--next", "Write a regression test"),
         adds=(_next("Write a regression test"),)),
    Step("structure-inline",
         ("log", "--progress", "* not a headline", "--decision", "#+TITLE: x",
          "--rationale", ":PROPERTIES:", "--discovery", "| a |", "--discovery", "-----",
          "--blocker", ":END:", "--next", "#+begin_example", "--next", "Café naïve ✓ 日本"),
         adds=(_progress("* not a headline"),
               Want("Decisions", "#+TITLE: x", rationale=":PROPERTIES:"),
               Want("Discoveries", "| a |"),
               Want("Discoveries", "-----"),
               Want("Blockers", ":END:"),
               _next("#+begin_example"),
               _next("Café naïve ✓ 日本"))),
    Step("structure-blocks",
         ("log", "--progress", "Step one\n* not a headline",
          "--decision", "Keep two queues\n#+TITLE: x",
          "--rationale", ":PROPERTIES:\n:END:\n| a |\n-----",
          "--discovery", STRUCTURE, "--blocker", "  indented text",
          "--next", "term :: definition"),
         adds=(_progress("Step one\n* not a headline", block=True),
               Want("Decisions", "Keep two queues\n#+TITLE: x", block=True,
                    rationale=":PROPERTIES:\n:END:\n| a |\n-----", rationale_block=True),
               Want("Discoveries", STRUCTURE, block=True),
               Want("Blockers", "  indented text", block=True),
               _next("term :: definition", block=True))),
    Step("summary", ("log", "--summary", "Fixing the double sweep; heap chosen."),
         log=("summary: updated",),
         summary=("Fixing the double sweep; heap chosen.", False)),
    Step("summary-block", ("log", "--summary", "* not a headline\n#+TITLE: x\n| a |\n-----"),
         log=("summary: updated",),
         summary=("* not a headline\n#+TITLE: x\n| a |\n-----", True)),
    Step("done", ("log", "--done", "Reproduce the double sweep", "--done", "regression test",
                  "--done", "Step one"),
         log=("done: Progress item of {Reproduce the double sweep}",
              "done: Next steps item of {Write a regression test}",
              "done: Progress item of {Step one\n* not a headline}"),
         done=("Reproduce the double sweep", "Write a regression test",
               "Step one\n* not a headline")),
    Step("wrapped-up", ("wrap-up", "Fix the double sweep"),
         log=("wrap-up: Fix the double sweep",)),
)

SCENARIOS = {"no-agent": None, "agent": AGENT}
CASES = [(scenario, index) for scenario in SCENARIOS for index in range(len(STEPS))]
TIME_KEYS = ("STARTED", "UPDATED", "ENDED")


# -- the model: what each state must hold --------------------------------------------------


Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Entry:
    want: Want
    window: Window


@dataclass
class Model:
    agent: str | None
    started: Window | None = None
    updated: Window | None = None
    ended: Window | None = None
    status: str = "active"
    description: str | None = None
    summary: tuple[str, bool] | None = None
    entries: list[Entry] = field(default_factory=list)

    def after(self, step: Step, window: Window) -> Model:
        model = replace(self, entries=list(self.entries))
        if step.args[0] == "start":
            model.started = window
        if step.args[0] == "wrap-up":
            model.status, model.ended, model.description = "wrapped-up", window, step.args[1]
        model.updated = window
        for text in step.done:
            [index] = [i for i, e in enumerate(model.entries)
                       if e.want.text == text and e.want.checkbox == "off"]
            entry = model.entries[index]
            model.entries[index] = replace(entry, want=replace(entry.want, checkbox="on"))
        model.entries += [Entry(want, window) for want in step.adds]
        model.entries += [Entry(Want("Log", line), window) for line in step.log]
        if step.summary is not None:
            model.summary = step.summary
        return model

    def properties(self) -> dict[str, str | None]:
        """The session headline's keys in file order (time values checked apart)."""
        keys: dict[str, str | None] = {"SESSION_TITLE": TITLE}
        if self.agent is not None:
            keys["AGENT_ID"] = self.agent
        # The owner is the agent behind the command: here, this test process.
        owner = Owner(socket.gethostname(), os.getpid(), process_start(os.getpid()),
                      process_since_boot(os.getpid())).to_property()
        keys |= {"HOST": socket.gethostname(), "OWNER": owner, "STARTED": None,
                 "SESSION_ID": None,  # (random: issue 14, twelfth round)
                 "UPDATED": None, "UPDATED_AT": None, "STATUS": self.status,
                 "GIT_BRANCH": None}  # (the repository's unborn branch, issue 14)
        if self.ended is not None:
            keys |= {"ENDED": None, "DESCRIPTION": self.description}
        return keys

    def window(self, key: str) -> Window:
        window = {"STARTED": self.started, "UPDATED": self.updated, "ENDED": self.ended}[key]
        assert window is not None
        return window


@dataclass
class State:
    scenario: str
    step: Step
    model: Model
    copy: Path
    text: str
    values: dict[str, Path]  # time property -> a file holding only its value
    org: dict = field(default_factory=dict)
    value_org: dict[str, dict] = field(default_factory=dict)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _drive(root: Path, copies: Path, scenario: str, agent: str | None) -> Iterator[State]:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    model = Model(agent)
    live: Path | None = None
    for index, step in enumerate(STEPS):
        before = datetime.now()
        result = run(*step.args, agent=agent)
        after = datetime.now()
        model = model.after(step, (_minute(before), after))
        if live is None:
            live = Path(run("path", agent=agent).stdout.strip())
        path = live
        if step.args[0] == "wrap-up":
            path = Path(result.stdout.strip())
            assert path.parent == root / ".ai" / "sessions", result.stdout
            assert not live.exists()
        copy = copies / f"{scenario}-{index:02d}-{step.state}.org"
        shutil.copyfile(path, copy)
        text = copy.read_bytes().decode("utf-8")
        values: dict[str, Path] = {}
        for key in TIME_KEYS:
            found = re.search(rf"^:{key}:[ \t]+(.*)$", text, re.MULTILINE)
            if found:
                values[key] = copy.with_suffix(f".{key}.org")
                values[key].write_text(found.group(1) + "\n", encoding="utf-8")
        yield State(scenario, step, model, copy, text, values)


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], State]:
    """Every state of both scenarios, all parsed by one Emacs call."""
    base = tmp_path_factory.mktemp("emacs-reads").resolve()
    copies = base / "copies"
    copies.mkdir()
    found: dict[tuple[str, int], State] = {}
    for scenario, agent in SCENARIOS.items():
        for index, state in enumerate(_drive(base / scenario, copies, scenario, agent)):
            found[scenario, index] = state
    ordered = list(found.values())
    paths: list[Path] = []
    for state in ordered:
        paths += [state.copy, *state.values.values()]
    parsed = iter(org_element(paths))
    for state in ordered:
        state.org = next(parsed)
        state.value_org = {key: next(parsed) for key in state.values}
    return found


def _ids(case: tuple[str, int]) -> str:
    return f"{case[0]}-{STEPS[case[1]].state}"


@pytest.fixture(params=CASES, ids=_ids)
def state(request: pytest.FixtureRequest, states: dict[tuple[str, int], State]) -> State:
    return states[request.param]


# -- the checks -----------------------------------------------------------------------------


def _within(timestamp: dict, window: Window, what: str) -> None:
    assert timestamp["type"] == "inactive", f"{what}: {timestamp}"
    moment = datetime(timestamp["year"], timestamp["month"], timestamp["day"],
                      timestamp["hour"], timestamp["minute"])
    start, end = window
    assert start <= moment <= end, f"{what}: {timestamp['raw']} not within {window}"


def _unindent(value: str, width: int) -> str:
    """An example block's value without the item's indentation and final newline, and
    without the invisible escapes protocols.org describes (a zero-width space or word
    joiner alone goes; two in a row stand for one)."""
    assert value.endswith("\n"), value
    lines = value[:-1].split("\n")
    for line in lines:
        assert not line or line.startswith(" " * width), f"not indented by {width}: {line!r}"
    return _unescape("\n".join(line[width:] for line in lines))


def _unescape(text: str) -> str:
    return re.sub("(\u200b|\u2060)(\\1)?", lambda m: m.group(2) or "", text)


def test_headline_tree(state: State) -> None:
    got = [(h["level"], h["title"], h["path"], h["todo"], h["tags"])
           for h in state.org["headlines"]]
    want = [(1, SESSION, [], None, [])]
    want += [(2, title, [SESSION], None, []) for title, _ in SECTIONS]
    assert got == want


def test_keywords_and_no_ordinary_drawers(state: State) -> None:
    assert state.org["keywords"] == [
        {"key": "TITLE", "value": SESSION, "line": 1},
        {"key": "OPTIONS", "value": "^:{} toc:nil num:nil author:nil", "line": 2}]
    assert state.org["drawers"] == []
    assert state.org["clocks"] == 0
    assert state.org["eol"] == "unix"


def test_property_drawers(state: State) -> None:
    session, *sections = state.org["headlines"]
    for headline in state.org["headlines"]:
        assert headline["property_drawer"] is True, headline["title"]
    want = state.model.properties()
    props = session["properties"]
    assert list(props) == list(want)
    for key, value in want.items():
        if value is not None:
            assert props[key] == value, key
    for headline, (_, custom_id) in zip(sections, SECTIONS, strict=True):
        assert headline["properties"] == {"CUSTOM_ID": custom_id}


def test_time_properties_are_org_timestamps(state: State) -> None:
    props = state.org["headlines"][0]["properties"]
    want = [key for key in TIME_KEYS if key in state.model.properties()]
    assert sorted(state.value_org) == sorted(want)
    for key in want:
        value = props[key]
        parsed = state.value_org[key]
        assert [ts["raw"] for ts in parsed["timestamps"]] == [value], key
        _within(parsed["timestamps"][0], state.model.window(key), key)


def test_every_timestamp_is_an_entry_stamp(state: State) -> None:
    entry_lines = {item["line"] for item in state.org["items"] if item["depth"] == 0}
    stamps = state.org["timestamps"]
    assert len(stamps) == len(state.model.entries)
    for stamp in stamps:
        assert stamp["type"] == "inactive", stamp
        assert stamp["line"] in entry_lines, stamp


def test_entries_are_items_of_their_sections(state: State) -> None:
    org = state.org
    stamps = {ts["line"]: ts for ts in org["timestamps"]}
    blocks = {b["line"]: b for b in org["blocks"]}
    used_blocks: set[int] = set()
    stamped: dict[str, str] = {}  # entry text -> its timestamp as written
    for title, _ in SECTIONS[1:]:
        items = [i for i in org["items"] if i["path"] == [SESSION, title]]
        want = [e for e in state.model.entries if e.want.section == title]
        top = [i for i in items if i["depth"] == 0]
        assert len(top) == len(want), title
        nested = [i for i in items if i["depth"] != 0]
        assert len(nested) == sum(e.want.rationale is not None for e in want), title
        for item, entry in zip(top, want, strict=True):
            what = f"{title}: {entry.want.text!r}"
            assert item["bullet"] == "- " and item["tag"] is None, what
            assert item["checkbox"] == entry.want.checkbox, what
            stamp = stamps[item["line"]]
            _within(stamp, entry.window, what)
            stamped[entry.want.text] = stamp["raw"]
            if title == "Log":  # a done line names its item by section and timestamp
                entry = replace(entry, want=replace(entry.want, text=re.sub(
                    r"\{(.*)\}", lambda m: stamped[m[1]][1:-1], entry.want.text, flags=re.S)))
            if entry.want.block:
                assert item["first_line"] == stamp["raw"], what
                block = blocks[item["line"] + 1]
                assert block["type"] == "example-block" and block["path"] == item["path"]
                assert _unindent(block["value"], 2) == entry.want.text, what
                used_blocks.add(block["line"])
            else:
                assert item["first_line"] == f"{stamp['raw']} {entry.want.text}", what
            if entry.want.rationale is not None:
                # The nested item right under this decision, before the next entry.
                following = [i["line"] for i in top if i["line"] > item["line"]]
                rationale = next(i for i in nested if i["line"] > item["line"])
                assert rationale["line"] < min(following, default=rationale["line"] + 1)
                nested.remove(rationale)
                assert rationale["depth"] == 1 and rationale["checkbox"] is None, what
                if entry.want.rationale_block:
                    assert rationale["first_line"] == "Rationale:", what
                    block = blocks[rationale["line"] + 1]
                    assert _unindent(block["value"], 4) == entry.want.rationale, what
                    used_blocks.add(block["line"])
                else:
                    assert rationale["first_line"] == f"Rationale: {entry.want.rationale}"
    summary_blocks = {b["line"] for b in org["blocks"] if b["path"] == [SESSION, "Summary"]}
    assert used_blocks | summary_blocks == set(blocks), "a block nobody logged"
    assert not [i for i in org["items"] if i["path"][-1:] == ["Summary"]]


def test_summary(state: State) -> None:
    org = state.org
    lines = state.text.split("\n")
    paragraphs = [p for p in org["paragraphs"] if p["path"] == [SESSION, "Summary"]]
    blocks = [b for b in org["blocks"] if b["path"] == [SESSION, "Summary"]]
    if state.model.summary is None:
        assert paragraphs == [] and blocks == []
        return
    text, as_block = state.model.summary
    if as_block:
        assert paragraphs == []
        [block] = blocks
        assert block["type"] == "example-block"
        assert _unescape(block["value"]) == text + "\n"
    else:
        assert blocks == []
        [paragraph] = paragraphs
        assert lines[paragraph["line"] - 1] == text


def test_every_line_is_accounted_for(state: State) -> None:
    """No line is anything but what we meant: so no table, rule, comment, fixed-width
    line, LaTeX environment, footnote or clock came out of a logged text."""
    org = state.org
    lines = state.text.split("\n")
    assert lines[-1] == "", "no final newline"
    covered: set[int] = set()
    covered.update(k["line"] for k in org["keywords"])
    for headline in org["headlines"]:
        covered.add(headline["line"])
        start = headline["line"] + 1
        end = start + len(headline["properties"]) + 1
        assert lines[start - 1] == ":PROPERTIES:" and lines[end - 1] == ":END:"
        covered.update(range(start, end + 1))
    covered.update(p["line"] for p in org["paragraphs"])
    covered.update(i["line"] for i in org["items"])
    for block in org["blocks"]:
        covered.update(range(block["line"], block["line"] + block["value"].count("\n") + 2))
    stray = [(number, line) for number, line in enumerate(lines[:-1], 1)
             if line.strip() and number not in covered]
    assert stray == []


def test_archive_is_the_last_state(states: dict[tuple[str, int], State]) -> None:
    for scenario in SCENARIOS:
        last = states[scenario, len(STEPS) - 1]
        assert last.step.state == "wrapped-up"
        assert last.org["headlines"][0]["properties"]["STATUS"] == "wrapped-up"


def test_org_lint_and_export_find_nothing_in_any_state(
        states: dict[tuple[str, int], State]) -> None:
    """org-lint (Org 9.5 and 9.7) warns about nothing in any file we write, HTML and
    ASCII export finish, and Org finds no live object in them: every file of both
    scenarios, and the protocol that init installs."""
    paths = [state.copy for state in states.values()]
    protocol = Path(__file__).resolve().parent.parent / ".ai" / "protocols.org"
    for judge, results in zip(JUDGES, on_both(lint_export, [*paths, protocol]), strict=True):
        *ours, theirs = results
        for result in ours:
            assert result["lint"] == [], f"{judge}: {result['file']}: {result['lint']}"
            assert result["objects"] == [], f"{judge}: {result['file']}: {result['objects']}"
            assert isinstance(result["html"], int) and isinstance(result["ascii"], int), \
                f"{judge}: {result['file']}: {result['html']} {result['ascii']}"
            assert result["agenda"] == [], f"{judge}: {result['file']}"
        assert theirs["lint"] == [], f"{judge}: .ai/protocols.org: {theirs['lint']}"
        assert isinstance(theirs["html"], int) and isinstance(theirs["ascii"], int), judge
