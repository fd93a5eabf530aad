"""A person's edits survive: every operation on files as people leave them in Emacs.

``tests/corpus/`` holds session-context files as a person left them after
editing in Emacs (``about`` in ``expected.json`` says what each one tries);
``expected.json`` says, written by hand, where each kind of entry must land.
``large.org.in`` is expanded at test time into a file of several megabytes,
and ``unreadable/`` holds files that are not session contexts at all.

For every corpus file and every operation (``start``, each kind of ``log``
entry, all of them in one call, and ``wrap-up``), in-process with a fixed
time:

(a) bytes: the result differs from the original only by the lines the
    operation must add (the entry, its Log line, a missing section's heading
    and drawer, wrap-up's properties) and the lines it must replace (UPDATED,
    STATUS at wrap-up, the ticked item, the old summary). Every other byte
    stays: byte-order mark, CRLF endings, tabs, trailing white space, and a
    missing final newline unless an appended line had to end the last line.
(b) Emacs's parse of the result puts each new entry directly in the section
    (not in a footnote, drawer or sublist) under the expected headline.
(c) Emacs's parse of the result equals its parse of the original plus the
    entry: headlines, properties, drawers, keywords, blocks, clocks,
    timestamps, items and paragraphs (matched by content, not line number).

Emacs starts in half a second and the large file takes a second or two to
parse, so the module runs every operation first and parses all results in a
few batched Emacs calls. The parse is that of ``scripts/org-element-json.el``
plus, through an advice, the element types around each item and paragraph
(``ancestry``): the script's headline paths alone cannot show an entry
swallowed into a footnote definition or a drawer.

A few runs through the installed CLI show that it writes the same bytes, and
that unreadable files give exit code 6 and change nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from ai_protocols import LogEntry, Project
from ai_protocols.errors import UnreadableSession
from ai_protocols.liveness.clock import Moment

import emacs
from conftest import Runner

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text("utf-8"))
FILES = [*sorted(p.stem for p in CORPUS.glob("*.org")), "large"]
UNREADABLE = sorted(p.name for p in (CORPUS / "unreadable").iterdir())

NOW = datetime(2026, 12, 1, 18, 0)
STAMP = "[2026-12-01 Tue 18:00]"  # how protocols.org writes NOW
DESCRIPTION = "Corpus wrap-up"
RATIONALE = "People edit these files in Emacs:\n* a line with a star\n#+end_example stays text"
ENTRIES = {
    "progress": LogEntry("progress", "Ported the reader to the corpus"),
    "decision": LogEntry("decision", "Keep every byte a person typed", rationale=RATIONALE),
    "discovery": LogEntry("discovery", "Emacs drops the byte-order mark when it reads"),
    "blocker": LogEntry("blocker", "The CI image has no Emacs 29"),
    "next": LogEntry("next", "Write the migration notes"),
    "summary": LogEntry("summary", "Corpus run: entries land where people moved their sections"),
}
# In the order the CLI writes them when given all at once.
ALL_KINDS = ("progress", "decision", "discovery", "blocker", "next", "done", "summary")
OPS = ("start", *ALL_KINDS, "all", "wrap-up")

# The section titles and the entry layout as .ai/protocols.org states them.
SECTION_TITLE = {"summary": "Summary", "progress": "Progress", "decisions": "Decisions",
                 "discoveries": "Discoveries", "blockers": "Blockers",
                 "next-steps": "Next steps", "log": "Log"}
SECTION_OF = {"progress": "progress", "decision": "decisions", "discovery": "discoveries",
              "blocker": "blockers", "next": "next-steps", "summary": "summary"}
DECISION_LINES = [
    f"- {STAMP} Keep every byte a person typed",
    "  - Rationale:",
    "    #+begin_example",
    "    People edit these files in Emacs:",
    "    ,* a line with a star",
    "    ,#+end_example stays text",
    "    #+end_example",
]
# Emacs gives an example block's value unescaped, with its indentation.
DECISION_BLOCK = ("    People edit these files in Emacs:\n    * a line with a star\n"
                  "    #+end_example stays text\n")
VOLATILE = ("UPDATED", "STATUS", "ENDED", "DESCRIPTION", "OWNER", "HOST")
IN_SECTION = ("plain-list", "section")  # an entry's ancestors up to its headline
IN_ITEM = ("plain-list", "item", "plain-list", "section")  # a rationale's

# -- the corpus ---------------------------------------------------------------------------


def large_text() -> str:
    """``large.org.in`` with 3 MB of a person's notes and hundreds of entries."""
    template = (CORPUS / "large.org.in").read_text("utf-8")
    progress, log = [], []
    for n in range(250):
        minutes = 10 + 5 * n
        stamp = f"[2026-11-25 Wed {minutes // 60:02d}:{minutes % 60:02d}]"
        progress.append(f"- [X] {stamp} Indexed batch {n + 1} of 251")
        log.append(f"- {stamp} progress: Indexed batch {n + 1} of 251")
        log.append(f"- {stamp} done: Indexed batch {n + 1} of 251")
    sentence = ("The archive index keeps one posting list per term; batch {n} rewrote "
                "{k} of them and the merge step took longer than the read step again. ")
    notes: list[str] = []
    size = 0
    n = 0
    while size < 3_000_000:
        n += 1
        chunk = [f"Batch {n}, what I noticed:"]
        chunk += [sentence.format(n=n, k=k * n % 997) for k in range(200)]
        chunk += ["", f"#+begin_src org -n {n}", "#+TITLE: index notes",
                  ",* a heading inside the block, escaped as Org does", ",#+KEYWORD: too",
                  "#+end_src", ""]
        if n % 10 == 0:
            chunk = [f"*** Notes from batch {n}", *chunk]
        notes += chunk
        size += sum(len(line) + 1 for line in chunk)
    return (template
            .replace("# @PROGRESS@\n", "".join(line + "\n" for line in progress))
            .replace("# @LOG@\n", "".join(line + "\n" for line in log))
            .replace("# @NOTES@\n", "".join(line + "\n" for line in notes)))


def newline_of(name: str) -> str:
    return "\r\n" if EXPECTED[name]["eol"] == "crlf" else "\n"


def split_lines(text: str) -> list[str]:
    """Lines with their endings; only ``\\n`` ends a line, as in Emacs."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def content(line: str, newline: str) -> str:
    """A line without its ending (the file's newline; ``\\n`` alone in an LF file)."""
    return line[: -len(newline)] if line.endswith(newline) else line


def done_reference(name: str, line: str) -> str:
    """How the Log names the item ``- [ ] [ts] text`` that ``--done`` ticked, as
    protocols.org says: its section (by the title a new file gives it) and its
    timestamp, never its text."""
    title = SECTION_TITLE[EXPECTED[name]["done"].get("section", "progress")]
    stamp = re.match(r"- \[ \] \[([^\]]*)\]", line)
    assert stamp, line
    return f"{title} item of {stamp[1]}"


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_is_laid_out_as_declared(name: str, corpus_bytes: dict[str, bytes]) -> None:
    """Guard against an editor or git normalising the corpus: the bytes are as stated."""
    exp = EXPECTED[name]
    data = corpus_bytes[name]
    assert data.startswith(b"\xef\xbb\xbf") == exp["bom"]
    assert data.endswith(b"\n") == exp["final_newline"]
    endings = data.count(b"\n")
    crlf = data.count(b"\r\n")
    assert {"lf": crlf == 0, "crlf": crlf == endings, "mixed": 0 < crlf < endings}[exp["eol"]]
    lines = [content(line, newline_of(name)) for line in split_lines(data.decode("utf-8"))]
    assert exp["done"]["line"] in lines, "every file has the open item --done ticks"
    assert all(line in lines for line in exp["summary_old"])


def test_every_corpus_file_has_expectations() -> None:
    described = {key for key in EXPECTED if not key.startswith("_")}
    assert described == {*FILES, "unreadable"}
    assert sorted(EXPECTED["unreadable"]["files"]) == UNREADABLE
    assert len(FILES) >= 22


# -- running the operations ---------------------------------------------------------------


@dataclass
class Outcome:
    before: bytes
    after: bytes | None = None
    result: Path | None = None  # the written file (the archive after wrap-up)
    error: BaseException | None = None
    fresh: bool | None = None  # what start reported
    parse_before: dict[emacs.Judge, dict] = field(default_factory=dict)  # by judge
    parse_after: dict[emacs.Judge, dict] = field(default_factory=dict)


def run_op(root: Path, name: str, source: bytes, op: str) -> Outcome:
    """Put ``source`` where the file's agent keeps it and apply ``op`` at ``NOW``."""
    project = Project(root, EXPECTED[name]["agent"])
    project.path.parent.mkdir(parents=True)
    project.path.write_bytes(source)
    outcome = Outcome(before=source)
    done = LogEntry("done", EXPECTED[name]["done"]["query"])
    try:
        if op == "start":
            outcome.fresh = project.start(now=NOW).fresh
            outcome.result = project.path
        elif op == "wrap-up":
            outcome.result = project.wrap_up(DESCRIPTION, now=NOW)
            assert not project.path.exists(), "the session file was not moved"
        else:
            kinds = ALL_KINDS if op == "all" else (op,)
            project.log(*(done if k == "done" else ENTRIES[k] for k in kinds), now=NOW)
            outcome.result = project.path
        outcome.after = outcome.result.read_bytes()
    except Exception as error:  # reported by the case's test
        outcome.error = error
    return outcome


ANCESTRY_EL = r"""
;; Loaded before scripts/org-element-json.el: keep the tree it parses and add,
;; for every item and paragraph, the types of the elements around it up to
;; its headline ("ancestry").
(defvar corpus--tree nil)
(advice-add 'org-element-parse-buffer :filter-return
            (lambda (tree) (setq corpus--tree tree) tree))
(defun corpus--ancestors (element)
  (let (types (parent (org-element-property :parent element)))
    (while (and parent (not (memq (org-element-type parent) '(headline org-data))))
      (push (symbol-name (org-element-type parent)) types)
      (setq parent (org-element-property :parent parent)))
    (vconcat (nreverse types))))
(defun corpus--text (element)
  "A paragraph's text, white space collapsed; a long one only by its length."
  (let* ((begin (org-element-property :contents-begin element))
         (end (org-element-property :contents-end element))
         (text (if (and begin end)
                   (string-trim (replace-regexp-in-string
                                 "[ \t\n\r]+" " " (buffer-substring-no-properties begin end)))
                 "")))
    (if (> (length text) 200) (format "<long:%d>" (length text)) text)))
(advice-add 'oej--parse-buffer :filter-return
            (lambda (result)
              (puthash "ancestry"
                       (vconcat (org-element-map corpus--tree '(item paragraph)
                                  (lambda (e)
                                    (oej--object "type" (symbol-name (org-element-type e))
                                                 "line" (oej--line e)
                                                 "path" (oej--path e)
                                                 "ancestors" (corpus--ancestors e)
                                                 "text" (if (eq (org-element-type e) 'paragraph)
                                                            (corpus--text e)
                                                          "")))))
                       result)
              result))
"""


def flat(text: str) -> str:
    """Text as ``corpus--text`` gives it: white space collapsed."""
    text = re.sub(r"[ \t\n\r]+", " ", text).strip(" ")
    return text if len(text) <= 200 else f"<long:{len(text)}>"


def parse(judge: emacs.Judge, paths: list[Path], workdir: Path) -> list[dict]:
    """``judge``'s parse of each file (tests/emacs.py's script plus ``ancestry``)."""
    advice = workdir / "ancestry.el"
    advice.write_text(ANCESTRY_EL)
    results = emacs.run_json(judge, [advice, emacs.SCRIPT], paths)
    for result in results:
        assert "error" not in result, f"Emacs could not read {result['file']}: {result['error']}"
    return results


@pytest.fixture(scope="module")
def corpus_bytes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    data = {name: (CORPUS / f"{name}.org").read_bytes() for name in FILES if name != "large"}
    data["large"] = large_text().encode("utf-8")
    return data


@pytest.fixture(scope="module")
def outcomes(corpus_bytes: dict[str, bytes],
             tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Every operation on every file, then Emacs's parse of every original and result."""
    base = tmp_path_factory.mktemp("corpus")
    originals = {}
    for name, data in corpus_bytes.items():
        originals[name] = base / "originals" / f"{name}.org"
        originals[name].parent.mkdir(exist_ok=True)
        originals[name].write_bytes(data)
    results: dict[tuple[str, str], Outcome] = {}
    for name in FILES:
        for op in OPS:
            results[name, op] = run_op(base / f"{name}--{op}", name, corpus_bytes[name], op)
    # Emacs's turn: every original and result, spread over two processes by size
    # (Emacs's time goes with it; the large file alone takes seconds), for each judge.
    jobs: list[tuple[Path, str | tuple[str, str]]] = [(originals[n], n) for n in FILES]
    jobs += [(outcome.result, key) for key, outcome in results.items()
             if outcome.result is not None and outcome.after is not None]
    groups: list[list[tuple[Path, str | tuple[str, str]]]] = [[], []]
    sizes = [0, 0]
    for path, key in sorted(jobs, key=lambda job: -job[0].stat().st_size):
        lighter = sizes.index(min(sizes))
        groups[lighter].append((path, key))
        sizes[lighter] += path.stat().st_size + 20_000  # and a little for each file
    tasks = [(judge, group) for judge in emacs.JUDGES for group in groups]
    with ThreadPoolExecutor(len(tasks)) as pool:
        parsed = list(pool.map(lambda task: parse(task[0], [p for p, _ in task[1]], base),
                               tasks))
    before: dict[tuple[str, emacs.Judge], dict] = {}
    for (judge, group), parses in zip(tasks, parsed, strict=True):
        for (_, key), result in zip(group, parses, strict=True):
            if isinstance(key, str):
                before[key, judge] = result
            else:
                results[key].parse_after[judge] = result
    for (name, _), outcome in results.items():
        outcome.parse_before = {judge: before[name, judge] for judge in emacs.JUDGES}
    return results


# -- what each operation must change --------------------------------------------------------


@dataclass
class Plan:
    """What an operation must change, written from protocols.org and expected.json."""

    added: list[str | re.Pattern[str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    new_items: Counter = field(default_factory=Counter)
    new_blocks: Counter = field(default_factory=Counter)
    gone_blocks: Counter = field(default_factory=Counter)
    new_stamps: Counter = field(default_factory=Counter)
    new_paragraphs: Counter = field(default_factory=Counter)
    gone_paragraphs: Counter = field(default_factory=Counter)
    appended: set[str] = field(default_factory=set)  # added lines that may end the file
    created: list[str] = field(default_factory=list)  # section keys to add
    summary: str | None = None
    done_line: str | None = None


def section_path(name: str, key: str) -> tuple[str, ...]:
    exp = EXPECTED[name]
    path = exp["sections"][key]
    return tuple(path) if path is not None else (*exp["session"], SECTION_TITLE[key])


def first_line_matching(text: str, pattern: str) -> str:
    return next(line for line in text.split("\n")
                if re.match(pattern, line, re.IGNORECASE)).rstrip("\r")


def org_unescape(lines: list[str]) -> str:
    return "".join(re.sub(r"^([ \t]*),(,*(?:\*|#\+))", r"\1\2", line) + "\n" for line in lines)


def resumed_because(original: str) -> str:
    """The evidence start gives for a file with no owner or lease: its age."""
    from ai_protocols.liveness.evidence import assess
    from ai_protocols.org.syntax import parse_timestamp

    updated = parse_timestamp(first_line_matching(original, r"[ \t]*:UPDATED:"))
    host = first_line_matching(original, r"[ \t]*:HOST:").split()[1]
    state = assess(Path("/nonexistent"), agent_id=None, status="active", owner=None, exit_=None,
                   exited=None, host=host, updated=updated, now=NOW,
                   stale_after=timedelta(hours=12))
    return f"{state.state}: {state.evidence}"


def plan_for(name: str, op: str, original: str) -> Plan:
    exp = EXPECTED[name]
    plan = Plan()
    touched: list[str] = []

    def item(key: str, first_line: str, checkbox: str | None, depth: int = 0) -> None:
        path = section_path(name, key)
        plan.new_items[path, first_line, checkbox, depth] += 1
        plan.new_paragraphs[path, ("item", *(IN_ITEM if depth else IN_SECTION)),
                            flat(first_line)] += 1
        if first_line.startswith(STAMP):
            plan.new_stamps[STAMP, path] += 1
        touched.append(key)

    def log(text: str) -> None:
        line = f"- {STAMP} {text}"
        plan.added.append(line)
        plan.appended.add(line)
        item("log", f"{STAMP} {text}", None)

    if op == "start":
        # No owner is recorded in these files. One from this host, or not updated
        # for long, is taken over (its owner, and one Log line with the evidence);
        # one from another host may be at work there and is left as it is.
        because = resumed_because(original)
        if because.startswith("unknown: it runs on another host"):
            return plan
        plan.added.append(re.compile(
            r"[ \t]*:OWNER:[ \t]+pid \d+ on \S+, started .* \([0-9.]+ boot [0-9a-f]{8}:\d+\)"))
        plan.removed.append(first_line_matching(original, r"[ \t]*:HOST:"))
        plan.added.append(re.compile(rf"[ \t]*:HOST:[ \t]+{re.escape(socket.gethostname())}"))
        log(f"resumed: the previous session did not wrap up ({because})")
    for kind in (ALL_KINDS if op in ("all",) else (op,)) if op not in ("wrap-up", "start") \
            else ():
        entry = ENTRIES.get(kind)
        if kind in ("progress", "next", "discovery", "blocker"):
            box = kind in ("progress", "next")
            line = f"- {'[ ] ' if box else ''}{STAMP} {entry.text}"
            plan.added.append(line)
            plan.appended.add(line)
            item(SECTION_OF[kind], f"{STAMP} {entry.text}", "off" if box else None)
        elif kind == "decision":
            plan.added += DECISION_LINES
            plan.appended.add(DECISION_LINES[-1])
            item("decisions", f"{STAMP} {entry.text}", None)
            item("decisions", "Rationale:", None, depth=1)
            plan.new_blocks["example-block", None, DECISION_BLOCK,
                            section_path(name, "decisions")] += 1
        elif kind == "done":
            plan.done_line = exp["done"]["line"]
            plan.removed.append(plan.done_line)
            plan.added.append("- [X] " + plan.done_line[len("- [ ] "):])
            log(f"done: {done_reference(name, plan.done_line)}")
        elif kind == "summary":
            plan.summary = entry.text
            path = section_path(name, "summary")
            old = exp["summary_old"]
            plan.removed += old
            plan.added.append(entry.text)
            plan.appended.add(entry.text)
            plan.new_paragraphs[path, ("section",), flat(entry.text)] += 1
            if old and old[0] == "#+begin_example":
                plan.gone_blocks["example-block", None, org_unescape(old[1:-1]), path] += 1
            elif old:
                plan.gone_paragraphs[path, ("section",), flat("\n".join(old))] += 1
            touched.append("summary")
            log("summary: updated")
    if op == "wrap-up":
        plan.removed.append(first_line_matching(original, r"[ \t]*:STATUS:"))
        plan.added += [re.compile(r"[ \t]*:STATUS:[ \t]+wrapped-up"),
                       re.compile(rf"[ \t]*:ENDED:[ \t]+{re.escape(STAMP)}"),
                       re.compile(rf"[ \t]*:DESCRIPTION:[ \t]+{DESCRIPTION}")]
        log(f"wrap-up: {DESCRIPTION}")
    plan.removed.append(first_line_matching(original, r"[ \t]*:UPDATED:"))
    plan.added.append(re.compile(rf"[ \t]*:UPDATED:[ \t]+{re.escape(STAMP)}"))
    for key in dict.fromkeys(touched):
        if exp["sections"][key] is None:
            plan.created.append(key)
            stars = "*" * exp["created"][key]["level"]
            plan.added += [f"{stars} {SECTION_TITLE[key]}", ":PROPERTIES:",
                           re.compile(rf":CUSTOM_ID:[ \t]+{key}"), ":END:"]
            plan.appended.add(":END:")
    return plan


# -- (a) the bytes ----------------------------------------------------------------------------


def check_bytes(name: str, before: bytes, after: bytes, plan: Plan) -> None:
    old_text, new_text = before.decode("utf-8"), after.decode("utf-8")
    newline = newline_of(name)
    assert new_text.startswith("\ufeff") == old_text.startswith("\ufeff"), "byte-order mark"
    # Compare as if both files ended their last line; the final newline is checked after.
    old_lines = split_lines(old_text if old_text.endswith("\n") else old_text + newline)
    new_lines = split_lines(new_text if new_text.endswith("\n") else new_text + newline)
    removed: list[str] = []
    added: list[str] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += old_lines[i1:i2]
            added += new_lines[j1:j2]
    for line in added:
        assert line.endswith(newline), f"a written line does not end in {newline!r}: {line!r}"
    removed_content = Counter(content(line, newline) for line in removed)
    assert removed_content == Counter(plan.removed), "lines changed or deleted that must stay"
    unmatched = [content(line, newline) for line in added]
    for want in plan.added:
        hit = next((line for line in unmatched if (
            want.fullmatch(line) if isinstance(want, re.Pattern) else line == want)), None)
        assert hit is not None, f"expected a written line {want!r}; written: {unmatched}"
        unmatched.remove(hit)
    assert not unmatched, f"lines written that the operation has no business writing: {unmatched}"
    # The final newline: kept when there was one; when there was none, the file may
    # gain one only because a line was appended after the old last line.
    if old_text.endswith("\n"):
        assert new_text.endswith("\n"), "the final newline was lost"
    elif new_text.endswith("\n"):
        last = content(new_lines[-1], newline)
        assert last in plan.appended and last != content(old_lines[-1], newline), \
            "a final newline was added though nothing was appended at the end"
        assert old_lines[-1] in new_lines, "the old last line was not kept"


# -- (b) and (c) Emacs's parse ----------------------------------------------------------------


def outline(parse: dict, session: tuple[str, ...]) -> list[tuple]:
    rows = []
    for h in parse["headlines"]:
        props = h["properties"]
        if (*h["path"], h["title"]) == session:
            props = {k: v for k, v in props.items() if k not in VOLATILE}
        rows.append((h["level"], h["title"], h["todo"], tuple(h["tags"]),
                     bool(h["property_drawer"]), tuple(sorted(props.items())), tuple(h["path"])))
    return rows


def items(parse: dict) -> Counter:
    return Counter((tuple(i["path"]), i["first_line"], i["checkbox"], i["depth"])
                   for i in parse["items"])


def ancestry(parse: dict, kind: str) -> dict[int, tuple[tuple[str, ...], tuple[str, ...], str]]:
    """Items or paragraphs by line: path, the element types around them, text."""
    return {a["line"]: (tuple(a["path"]), tuple(a["ancestors"]), a["text"])
            for a in parse["ancestry"] if a["type"] == kind}


def check_parse(name: str, op: str, outcome: Outcome, plan: Plan,
                judge: emacs.Judge) -> None:
    exp = EXPECTED[name]
    before, after = outcome.parse_before[judge], outcome.parse_after[judge]
    session = tuple(exp["session"])

    # Headlines: the same, in the same order, plus the sections that had to be added.
    old_outline, new_outline = outline(before, session), outline(after, session)
    session_level = next(h["level"] for h in before["headlines"]
                         if (*h["path"], h["title"]) == session)
    assert all(exp["created"][key]["level"] == session_level + 1 for key in plan.created)
    created_rows = {
        (session_level + 1, SECTION_TITLE[key], None, (), True, (("CUSTOM_ID", key),), session)
        for key in plan.created
    }
    positions = [i for i, row in enumerate(new_outline) if row in created_rows]
    assert len(positions) == len(plan.created), \
        f"Emacs does not see the added sections {plan.created} with their property drawers"
    assert [row for i, row in enumerate(new_outline) if i not in positions] == old_outline
    if positions:
        # Together, at the end of the session subtree, before the expected headline.
        assert positions == list(range(positions[0], positions[0] + len(positions)))
        following = new_outline[positions[-1] + 1][1] if positions[-1] + 1 < len(new_outline) \
            else None
        befores = {exp["created"][key]["before"] for key in plan.created}
        assert befores == {following}
        last_path = (*new_outline[positions[0] - 1][6], new_outline[positions[0] - 1][1])
        assert last_path[: len(session)] == session, \
            "the added sections do not follow the session subtree"

    # The session headline's own properties.
    heads = [h for h in after["headlines"] if (*h["path"], h["title"]) == session]
    assert len(heads) == 1 and heads[0]["property_drawer"]
    props = heads[0]["properties"]
    old_props = next(h for h in before["headlines"]
                     if (*h["path"], h["title"]) == session)["properties"]
    assert props["UPDATED"] == STAMP
    if op == "wrap-up":
        assert (props["STATUS"], props["ENDED"], props["DESCRIPTION"]) == \
            ("wrapped-up", STAMP, DESCRIPTION)
    else:
        assert props["STATUS"] == old_props["STATUS"] == "active"
        assert "ENDED" not in props and "DESCRIPTION" not in props

    # Items: the old ones unchanged (one ticked for done), plus the new entries.
    old_items, new_items = items(before), items(after)
    gone = Counter()
    added = Counter(plan.new_items)
    if plan.done_line is not None:
        text = plan.done_line[len("- [ ] "):].rstrip()
        ticked = [key for key in old_items if key[2] == "off" and key[1].rstrip() == text]
        assert len(ticked) == 1, f"Emacs sees no single open item {text!r}"
        gone[ticked[0]] += 1
        added[(*ticked[0][:2], "on", ticked[0][3])] += 1
    assert_changed(old_items, new_items, gone, added, "items")

    # (b) Each new entry sits directly in its section: no footnote, drawer or list around.
    item_lines = ancestry(after, "item")
    fresh = set(plan.new_items)
    for entry in after["items"]:
        key = (tuple(entry["path"]), entry["first_line"], entry["checkbox"], entry["depth"])
        if key in fresh:
            path, ancestors, _ = item_lines[entry["line"]]
            want = IN_ITEM if entry["depth"] else IN_SECTION
            assert ancestors == want, (
                f"Emacs reads the new item {entry['first_line']!r} inside {ancestors}, "
                f"not directly in its section {path}")
    if plan.summary is not None:
        lines = after_lines(outcome.after)
        number = lines.index(plan.summary) + 1
        paragraphs = ancestry(after, "paragraph")
        want = (section_path(name, "summary"), ("section",), flat(plan.summary))
        assert paragraphs.get(number) == want, \
            f"Emacs does not read the summary as a paragraph of its own: {paragraphs.get(number)}"

    # Everything else as before, plus what the entry adds.
    assert [(k["key"], k["value"]) for k in after["keywords"]] == \
        [(k["key"], k["value"]) for k in before["keywords"]]
    assert Counter((d["name"], tuple(d["path"])) for d in after["drawers"]) == \
        Counter((d["name"], tuple(d["path"])) for d in before["drawers"])
    assert after["clocks"] == before["clocks"]
    assert after["eol"] == before["eol"]

    def blocks(parse: dict) -> Counter:
        return Counter((b["type"], b["language"], b["value"], tuple(b["path"]))
                       for b in parse["blocks"])

    assert_changed(blocks(before), blocks(after), plan.gone_blocks, plan.new_blocks, "blocks")

    def stamps(parse: dict) -> Counter:
        return Counter((t["raw"], tuple(t["path"])) for t in parse["timestamps"])

    assert_changed(stamps(before), stamps(after), Counter(), plan.new_stamps, "timestamps")

    def paragraphs(parse: dict) -> Counter:
        return Counter(ancestry(parse, "paragraph").values())

    assert_changed(paragraphs(before), paragraphs(after), plan.gone_paragraphs,
                   plan.new_paragraphs, "paragraphs")


def assert_changed(before: Counter, after: Counter, gone: Counter, new: Counter,
                   what: str) -> None:
    """``after`` is ``before`` without ``gone`` and with ``new``, and nothing else."""
    assert not gone - before, f"{what}: expected to replace {gone - before}, not there before"
    expected = before - gone + new
    assert after == expected, (f"{what}: Emacs sees {after - expected} that should not be "
                               f"there, and misses {expected - after}")


def after_lines(data: bytes | None) -> list[str]:
    """The lines as Emacs numbers them: no byte-order mark, CR of CRLF files dropped."""
    assert data is not None
    text = data.decode("utf-8").lstrip("\ufeff")
    if text.count("\r\n") == text.count("\n"):
        text = text.replace("\r\n", "\n")
    return text.split("\n")


# -- the matrix ---------------------------------------------------------------------------


def cases() -> list[object]:
    return list(_cases())


def _cases() -> Iterator[object]:
    for name in FILES:
        for op in OPS:
            yield pytest.param(name, op, id=f"{name}-{op}")


@pytest.mark.parametrize(("name", "op"), cases())
def test_operation_keeps_a_persons_edits(name: str, op: str,
                                         outcomes: dict[tuple[str, str], Outcome]) -> None:
    outcome = outcomes[name, op]
    if outcome.error is not None:
        raise outcome.error
    assert outcome.after is not None
    if op == "start":
        assert outcome.fresh is False, "start on an existing file must not start afresh"
    plan = plan_for(name, op, outcome.before.decode("utf-8"))
    if not plan.added:
        assert outcome.after == outcome.before, "start changed a file it must leave alone"
        return
    check_bytes(name, outcome.before, outcome.after, plan)
    for judge in emacs.JUDGES:
        check_parse(name, op, outcome, plan, judge)


# -- files that cannot be understood ---------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("filename", UNREADABLE)
def test_unreadable_file_is_refused_and_left_alone(tmp_path: Path, filename: str,
                                                   op: str) -> None:
    source = (CORPUS / "unreadable" / filename).read_bytes()
    project = Project(tmp_path, "devbox.shop.claude.1795281811")
    project.path.parent.mkdir(parents=True)
    project.path.write_bytes(source)
    with pytest.raises(UnreadableSession) as caught:
        if op == "start":
            project.start(now=NOW)
        elif op == "wrap-up":
            project.wrap_up(DESCRIPTION, now=NOW)
        else:
            kinds = ALL_KINDS if op == "all" else (op,)
            done = LogEntry("done", "Replace the deprecated middleware")
            project.log(*(done if k == "done" else ENTRIES[k] for k in kinds), now=NOW)
    assert caught.value.path == project.path
    assert project.path.read_bytes() == source
    assert sorted(p.name for p in project.path.parent.iterdir()) == [project.path.name]
    assert not project.sessions_dir.exists()


# -- the same through the installed CLI --------------------------------------------------------


def cli_project(tmp_path: Path, name: str, source: bytes) -> tuple[Runner, Project, dict]:
    root = (tmp_path / "cli").resolve()
    project = Project(root, EXPECTED[name]["agent"])
    project.path.parent.mkdir(parents=True)
    project.path.write_bytes(source)
    env = {"AI_PROJECT_ROOT": str(root)}
    if EXPECTED[name]["agent"]:
        env["AI_AGENT_ID"] = EXPECTED[name]["agent"]
    return Runner(root), project, env


def stamp_time(data: bytes, key: str) -> datetime:
    match = re.search(rf"^:{key}:[ \t]+\[(\d{{4}}-\d\d-\d\d) \w{{3}} (\d\d:\d\d)\]",
                      data.decode("utf-8"), re.MULTILINE)
    assert match, f"no {key} stamp"
    return datetime.fromisoformat(f"{match[1]} {match[2]}")


def write_moment(data: bytes, key: str) -> datetime | Moment:
    """The moment of the write that stamped ``key``: its UPDATED_AT record when it
    agrees (the CLI measures it), else the stamp, a local time."""
    found = re.search(rb"(?m)^[ \t]*:UPDATED_AT:[ \t]+(.*)$", data)
    stamp = stamp_time(data, key)
    moment = Moment.parse(found[1].decode()) if found else None
    return moment if moment is not None and moment.agrees_with(stamp) else stamp


CLI_CASES = [
    ("11-crlf", ["log", "--progress", ENTRIES["progress"].text,
                 "--blocker", ENTRIES["blocker"].text]),
    ("12-no-final-newline", ["log", "--discovery", ENTRIES["discovery"].text, "--done", "jitter"]),
    ("13-crlf-bom-no-eol", ["log", "--summary", ENTRIES["summary"].text]),
    ("15-mixed-endings", ["log", "--done", "Check the Windows build",
                          "--next", ENTRIES["next"].text]),
    ("14-tabs", ["log", "--decision", ENTRIES["decision"].text, "--rationale", RATIONALE]),
    ("20-nested-session", ["wrap-up", DESCRIPTION]),
    ("10-bom", ["start"]),
]


@pytest.mark.parametrize(("name", "args"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_writes_what_the_library_writes(tmp_path: Path, name: str, args: list[str]) -> None:
    source = (CORPUS / f"{name}.org").read_bytes()
    run, project, env = cli_project(tmp_path, name, source)
    result = run(*args, env=env)
    twin = Project(tmp_path / "twin", EXPECTED[name]["agent"])
    twin.path.parent.mkdir(parents=True)
    twin.path.write_bytes(source)
    if args[0] == "start":
        written = project.path.read_bytes()
        report = twin.start(now=write_moment(written, "UPDATED"))
        if not report.took_over:  # it may be at work on its own host: left alone
            assert "may be in use by another agent" in result.stderr
            assert written == source
            return
        assert result.stderr == ""
        assert "did not wrap up" in result.stdout
        # The owner is the agent behind each call: the CLI's and this process's differ.
        def unowned(data: bytes) -> bytes:
            return re.sub(rb"(?m)^:OWNER:.*$", b":OWNER:", data)
        assert unowned(written) == unowned(twin.path.read_bytes())
        return
    if args[0] == "wrap-up":
        assert result.stderr.startswith("Wrapped up the session and archived it")
        archive = Path(result.stdout.strip())
        written = archive.read_bytes()
        expected = twin.wrap_up(DESCRIPTION, now=write_moment(written, "ENDED"))
        assert archive.relative_to(project.root) == expected.relative_to(twin.root)
        assert written == expected.read_bytes()
        return
    assert result.stderr == ""
    written = project.path.read_bytes()
    options = iter(args[1:])
    entries = []
    for option in options:
        kind = option[2:]
        if kind == "rationale":
            entries[-1] = LogEntry("decision", entries[-1].text, rationale=next(options))
        else:
            entries.append(LogEntry(kind, next(options)))  # type: ignore[arg-type]
    order = {kind: n for n, kind in enumerate(ALL_KINDS)}
    entries.sort(key=lambda e: order[e.kind])
    twin.log(*entries, now=write_moment(written, "UPDATED"))
    assert written == twin.path.read_bytes()


@pytest.mark.parametrize("args", [["start"], ["log", "--progress", "x"], ["wrap-up", "Done"]],
                         ids=["start", "log", "wrap-up"])
@pytest.mark.parametrize("filename", UNREADABLE)
def test_cli_refuses_an_unreadable_file(tmp_path: Path, filename: str, args: list[str]) -> None:
    source = (CORPUS / "unreadable" / filename).read_bytes()
    root = (tmp_path / "cli").resolve()
    path = root / ".ai" / "session-context.org"
    path.parent.mkdir(parents=True)
    path.write_bytes(source)
    result = Runner(root)(*args, check=False, env={"AI_PROJECT_ROOT": str(root)})
    assert result.returncode == 6, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: cannot read session context {path}: ")
    assert "left unchanged" in result.stderr
    assert path.read_bytes() == source
    assert sorted(p.name for p in path.parent.iterdir()) == [".locks", "session-context.org"]


def test_emacs_is_available() -> None:
    for judge in emacs.JUDGES:
        assert shutil.which(judge.emacs), f"{judge} is a judge; scripts/test installs it"


@pytest.mark.parametrize("name", FILES)
def test_an_older_files_log_is_read_once(name: str, corpus_bytes: dict[str, bytes],
                                          tmp_path: Path) -> None:
    """Files written by earlier versions, whose Log repeats every entry, read the same
    as new ones: the chronological view keeps the Log's lines in their order and
    holds each entry once, whether or not the Log repeats it."""
    from ai_protocols import read_session
    from ai_protocols.session.layout import find_section, session_headline
    from ai_protocols.session.model import SECTION_KINDS

    text = corpus_bytes[name].decode("utf-8")
    session = read_session(tmp_path / "x.org", text)
    view = [e.text for e in session.log]
    from ai_protocols.org.file import OrgFile
    from ai_protocols.org.syntax import parse_entries

    doc = OrgFile(text)
    log = find_section(doc, session_headline(doc), "log")  # type: ignore[arg-type]
    logged = [e.text for e in parse_entries(doc.lines, log.body_start, log.body_end,
                                            doc.newline)] if log else []
    positions = [view.index(line) for line in logged]
    assert positions == sorted(positions), "the Log's lines are out of order"
    for kind in SECTION_KINDS:
        events = sum(e.startswith(f"{kind.kind}: ") for e in view)
        assert events == len(session.items(kind.kind)), kind.kind
