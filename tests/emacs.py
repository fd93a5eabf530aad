"""Real Emacs as the judge of Org, in two Org versions: run Emacs Lisp over many files.

The judges are Org 9.5 in Debian's ``emacs-nox`` (Emacs 28, ``emacs`` on PATH)
and Org 9.7 in Emacs 30, which ``scripts/install-org-judges`` unpacks into
``~/.cache/ai-protocols/org-judges/emacs-30``. Every Emacs test runs on both:
:func:`org_element` parses with both and requires the two parses to be equal,
and tests that run Emacs themselves take :data:`JUDGES` as a parameter. A
missing judge is a failure, never a skip.

Emacs takes about half a second to start, so every call handles a batch of
files, and the two judges run at the same time. Each run gets a scratch
``HOME``, so that nothing (org-id's locations file, say) is written into the
real one.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
SCRIPT = SCRIPTS / "org-element-json.el"
LINT_EXPORT = SCRIPTS / "org-lint-export.el"
#: The days the agenda is asked about: those the tests' timestamps name.
DATES = "2026-01-01 2026-01-02 2026-01-03"
BATCH = 200
#: Run before a judge's own arguments: 64 MB of allocation between two garbage
#: collections rather than Emacs's 800 kB. Each collection walks the whole heap, and
#: the parse of a big file is most of it, so the default made a judge's time grow with
#: the square of the file's size (Org 9.5 on a 3 MB file: 2.7 s, 1.5 s with this).
#: When Emacs collects changes nothing a program computes (docs/performance.md, "The
#: test suite's time, sixteenth round").
GC_EVAL = ("--eval", "(setq gc-cons-threshold (* 64 1024 1024))")


def _cache() -> Path:
    """Where scripts/install-org-judges puts Emacs 30 (read at import: the tests'
    autouse fixture removes every AI_* variable)."""
    explicit = os.environ.get("AI_PROTOCOLS_ORG_JUDGES_CACHE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base).expanduser() / "ai-protocols" / "org-judges").resolve()


#: Where scripts/install-org-judges keeps its installs.
CACHE = _cache()
_EMACS30 = CACHE / "emacs-30" / "bin" / "emacs"
_HOME = tempfile.mkdtemp(prefix="emacs-judge-home-")
# One scratch HOME per test process, removed when the process ends (each xdist worker
# imports this module, so without this every run left two behind in /tmp).
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


@dataclass(frozen=True)
class Judge:
    """One Emacs and its Org: ``org`` is the Org version it must have (9.5, 9.7)."""

    org: str

    def __str__(self) -> str:
        return f"org-{self.org}"

    @property
    def emacs(self) -> str:
        if self.org == "9.5":
            found = shutil.which("emacs")
            if found is None:
                raise AssertionError("Emacs is not installed; scripts/test installs emacs-nox")
            return found
        if not os.access(_EMACS30, os.X_OK):
            raise AssertionError(f"Emacs 30 (Org 9.7) is not at {_EMACS30}; "
                                 "run scripts/install-org-judges")
        return str(_EMACS30)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "LC_ALL": "C.UTF-8", "HOME": _HOME, **extra}

    def run(self, args: Sequence[str], *, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``emacs --batch -Q ARGS...`` with this judge, checked to exit 0 (its garbage
        collector given :data:`GC_EVAL`'s room first)."""
        done = subprocess.run([self.emacs, "--batch", "-Q", *GC_EVAL, *args],
                              capture_output=True, text=True, timeout=timeout,
                              env=self.env(**(env or {})))
        assert done.returncode == 0, f"{self}: {done.stderr}"
        return done

    def popen(self, args: Sequence[str], **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen([self.emacs, "--batch", "-Q", *args], text=True,  # type: ignore[call-overload]
                                env=self.env(), **kwargs)


JUDGES = (Judge("9.5"), Judge("9.7"))


def on_both(run: object, *args: object) -> list:
    """``run(judge, *args)`` for every judge at once; the results in judge order."""
    with ThreadPoolExecutor(len(JUDGES)) as pool:
        return list(pool.map(lambda judge: run(judge, *args), JUDGES))  # type: ignore[operator]


def in_org_buffers(files: Sequence[str | os.PathLike[str]], body: str,
                   require: str = "org-element") -> str:
    """An Emacs program (for ``--eval``) that opens each of ``files`` in Org mode, from
    its own folder (``default-directory``), and runs ``body`` there with ``f`` (the
    file) bound; ``require``: the Org library it needs besides ``org``."""
    listed = "(" + " ".join(f'"{f}"' for f in files) + ")"
    return f"""(progn (require 'org) (require '{require})
  (dolist (f '{listed})
    (with-temp-buffer
      (insert-file-contents f)
      (setq default-directory (file-name-directory (expand-file-name f)))
      (org-mode)
      {body})))"""


def file_links(files: Sequence[str | os.PathLike[str]], report: str, more: str = "") -> str:
    """:func:`in_org_buffers` running ``report`` for each file link Org sees
    (``org-element-parse-buffer``'s ``link`` objects whose type begins ``file``), with
    ``l`` (the link) and ``p`` (its path, expanded) bound too; then ``more``."""
    return in_org_buffers(files, f"""(org-element-map (org-element-parse-buffer) 'link
        (lambda (l)
          (when (string-prefix-p "file" (org-element-property :type l))
            (let ((p (expand-file-name (org-element-property :path l))))
              {report}))))
      {more}""")


def run_json(judge: Judge, scripts: Sequence[str | os.PathLike[str]],
             paths: Sequence[str | os.PathLike[str]]) -> list[dict]:
    """Load ``scripts`` (the last prints a JSON array, one object per file) over
    ``paths`` in batches with ``judge``."""
    results: list[dict] = []
    loads = [arg for script in scripts for arg in ("-l", str(script))]
    for start in range(0, len(paths), BATCH):
        chunk = [str(p) for p in paths[start:start + BATCH]]
        results += json.loads(judge.run([*loads, *chunk]).stdout)
    return results


def lint_export(judge: Judge, paths: Sequence[str | os.PathLike[str]],
                **env: str) -> list[dict]:
    """``scripts/org-lint-export.el`` over ``paths``: org-lint's warnings, the HTML and
    ASCII exports, the live objects and the agenda's entries on :data:`DATES`."""
    done = judge.run(["-l", str(LINT_EXPORT), *map(str, paths)],
                     env={"ORG_LINT_EXPORT_DATES": DATES, **env})
    results = json.loads(done.stdout)
    for result in results:
        assert "error" not in result, f"{judge}: Emacs could not read {result['file']}: " \
            f"{result['error']}"
    return results


def parse_each(paths: Sequence[str | os.PathLike[str]],
               scripts: Sequence[str | os.PathLike[str]] = (SCRIPT,)) -> list[list[dict]]:
    """What org-element parses in each file, in order, for each judge (judge by judge)."""
    if not paths:
        return [[] for _ in JUDGES]
    found = on_both(run_json, scripts, paths)
    for results in found:
        for result in results:
            assert "error" not in result, \
                f"Emacs could not read {result['file']}: {result['error']}"
    return found


def parse_all(paths: Sequence[str | os.PathLike[str]],
              scripts: Sequence[str | os.PathLike[str]] = (SCRIPT,)) -> list[dict]:
    """What org-element parses in each file, in order, as both judges see it: the
    two parses must be the same (the first judge's is returned)."""
    first, *others = parse_each(paths, scripts)
    for judge, results in zip(JUDGES[1:], others, strict=True):
        for mine, theirs in zip(first, results, strict=True):
            assert mine == theirs, f"{mine['file']}: {JUDGES[0]} and {judge} differ:\n" \
                f"{_difference(mine, theirs)}"
    return first


def _difference(mine: dict, theirs: dict) -> str:
    lines = []
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            lines.append(f"{key}: {JUDGES[0]} {mine.get(key)!r}\n   {JUDGES[1]} "
                         f"{theirs.get(key)!r}")
    return "\n".join(lines)


def org_element(paths: Sequence[str | os.PathLike[str]]) -> list[dict]:
    """What org-element parses in each file, in order (see the script's header), the
    same for both judges."""
    return parse_all(paths)


def assert_reader_agrees(path: str | os.PathLike[str], parsed: dict) -> None:
    """The library's reading of ``path`` matches org-element's (``parsed``): headlines
    (level, title, TODO keyword, tags), real property drawers and their values, and
    the entries: every item Org reads as a checkbox item or as one beginning with an
    inactive timestamp, with its checkbox and its timestamp's time."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.org.syntax import parse_entries

    doc = OrgFile(Path(path).read_bytes().decode("utf-8"))
    ours = [(h.line + 1, h.level, h.raw_title, h.todo, list(h.tags), h.drawer is not None,
             h.properties) for h in doc.headlines]
    theirs = [(h["line"], h["level"], h["title"], h["todo"], h["tags"],
               bool(h["property_drawer"]),
               {k.upper(): v.strip() for k, v in h["properties"].items()})
              for h in parsed["headlines"]]
    assert ours == theirs, f"{path}: headlines differ"

    found = {}
    bodies = [(h.body_start, h.body_end) for h in doc.headlines]
    first = doc.headlines[0].line if doc.headlines else len(doc.lines)
    for start, end in [(0, first), *bodies]:
        for entry in parse_entries(doc.lines, start, end, doc.newline):
            found[entry.line + 1] = entry
    entries = {i["line"]: i for i in parsed["items"]
               if i["checkbox"] is not None or i["stamp"] is not None}
    assert sorted(found) == sorted(entries), \
        f"{path}: entries at lines {sorted(found)}, Emacs's at {sorted(entries)}"
    for line, item in entries.items():
        entry = found[line]
        expected = {None: None, "on": True, "off": False, "trans": False}[item["checkbox"]]
        assert entry.done == expected, f"{path}:{line}: checkbox {item['checkbox']} read as " \
            f"{entry.done}"
        stamp = item["stamp"]
        assert entry.stamp == (stamp and stamp["raw"]), \
            f"{path}:{line}: timestamp {entry.stamp!r}, Emacs's {stamp}"
        try:
            time = datetime(stamp["year"], stamp["month"], stamp["day"], stamp["hour"] or 0,
                            stamp["minute"] or 0) if stamp else None
        except (TypeError, ValueError):  # an impossible date: no time
            time = None
        assert entry.time == time, f"{path}:{line}: {entry.time} read from {stamp}"
