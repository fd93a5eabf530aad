"""We write what Org writes: a person's next save in Emacs rewrites none of our lines.

``scripts/org-relayout.el`` visits a copy of each file in real Emacs and has
Org itself rewrite everything we lay out: every property set again with
``org-entry-put`` and every property drawer re-indented, every checkbox
toggled twice with ``org-toggle-checkbox`` (which rewrites the whole list),
every inactive timestamp changed by 0 days with ``org-timestamp-change``,
then the whole buffer re-indented with ``org-indent-region``; then it saves
with ``require-final-newline`` and ``delete-trailing-whitespace``.
The saved bytes must be ours, for every state a file goes through: fresh,
after each kind of log entry, after ``--done`` and ``--summary``, after
wrap-up (archived), with and without ``AI_AGENT_ID`` and a title.

Org's day names follow ``system-time-locale``; ours are English whatever
the locale, as ``.ai/protocols.org`` says. That is checked with the
command run under German and French locales, built with ``localedef`` into a
temporary ``LOCPATH`` where the system can (else the locale names are passed
anyway: the output must not change either way).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Runner, clean_env
from emacs import JUDGES, Judge

RELAYOUT = REPO_ROOT / "scripts" / "org-relayout.el"
AGENT = "velox.proj.claude.1718400000"
TITLE = "Fix the double sweep"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STAMP = re.compile(r"\[(\d{4})-(\d\d)-(\d\d) (\S+) (\d\d):(\d\d)\]")
STRUCTURE = "\n".join([
    "Found in the sweep:",
    "* not a headline",
    "#+TITLE: x",
    ":PROPERTIES:",
    ":END:",
    "| a | b |",
    "-----",
    "#+end_example",
    ",* already escaped",
    "",
    "  * indented star",
    "- [ ] not an item",
])

STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fresh", ("start", "--title", TITLE)),
    ("progress", ("log", "--progress", "Reproduce the double sweep")),
    ("decision", ("log", "--decision", "Use a heap for the queue",
                  "--rationale", "The sorted list costs O(n) per insert")),
    ("discovery", ("log", "--discovery", "The sweep runs on load and again on save")),
    ("blocker", ("log", "--blocker", "CI is down since 09:00")),
    ("next", ("log", "--next", "Write a regression test")),
    ("several", ("log", "--progress", "Café naïve ✓", "--progress", "| a |",
                 "--discovery", "-----", "--blocker", ":END:", "--next", "* not a headline",
                 "--next", "#+begin_example")),
    ("blocks", ("log", "--progress", "Step one\n* not a headline",
                "--decision", "Keep two queues\n#+TITLE: x",
                "--rationale", ":PROPERTIES:\n:END:\n| a |", "--discovery", STRUCTURE,
                "--blocker", "  indented text", "--next", "term :: definition")),
    ("done", ("log", "--done", "Reproduce the double sweep", "--done", "Step one")),
    ("summary", ("log", "--summary", "Fixing the double sweep; heap chosen.")),
    ("summary-block", ("log", "--summary", "* not a headline\n| a |\n-----")),
    ("done-next", ("log", "--done", "regression test", "--done", "* not a headline")),
    ("wrapped-up", ("wrap-up", "Fix the double sweep")),
)
# (scenario, AI_AGENT_ID, whether start gets --title)
SCENARIOS = (("no-agent", None, True), ("agent-untitled", AGENT, False))
CASES = [(scenario, index) for scenario, _, _ in SCENARIOS for index in range(len(STEPS))]


def _step_args(args: tuple[str, ...], titled: bool) -> tuple[str, ...]:
    return args if titled or args[0] != "start" else ("start",)


def drive(run: Runner, copies: Path, prefix: str, agent: str | None, titled: bool,
          env: dict[str, str] | None = None) -> list[Path]:
    """Run every step in ``run``'s project; copy the file aside after each."""
    live: Path | None = None
    found: list[Path] = []
    for index, (state, args) in enumerate(STEPS):
        result = run(*_step_args(args, titled), agent=agent, env=env)
        if live is None:
            live = Path(run("path", agent=agent).stdout.strip())
        path = Path(result.stdout.strip()) if args[0] == "wrap-up" else live
        copy = copies / f"{prefix}-{index:02d}-{state}.org"
        shutil.copyfile(path, copy)
        found.append(copy)
    return found


def relayout(judge: Judge, paths: list[Path], time_locale: str = "C",
             env: dict[str, str] | None = None) -> list[dict]:
    """Run org-relayout.el over ``paths`` (rewritten in place) in one Emacs."""
    done = judge.run(["-l", str(RELAYOUT), *map(str, paths)],
                     env={"ORG_RELAYOUT_TIME_LOCALE": time_locale, **(env or {})})
    reports = json.loads(done.stdout)
    for report in reports:
        assert "error" not in report, f"Emacs could not re-lay out {report['file']}: {report}"
    return reports


def _git_repo(root: Path) -> Runner:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return Runner(root)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Path]:
    """Every state of every scenario, as the command wrote it."""
    base = tmp_path_factory.mktemp("layout")
    copies = base / "ours"
    copies.mkdir()
    found: dict[tuple[str, int], Path] = {}
    for scenario, agent, titled in SCENARIOS:
        run = _git_repo(base / scenario)
        for index, path in enumerate(drive(run, copies, scenario, agent, titled)):
            found[scenario, index] = path
    return found


@pytest.fixture(scope="module", params=JUDGES, ids=str)
def relaid(request: pytest.FixtureRequest, files: dict[tuple[str, int], Path],
           tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], tuple[Path, dict]]:
    """The same files after Org (each judge's) re-laid them out and Emacs saved them."""
    folder = tmp_path_factory.mktemp("relaid")
    copies = {case: folder / path.name for case, path in files.items()}
    for case, path in files.items():
        shutil.copyfile(path, copies[case])
    reports = relayout(request.param, list(copies.values()))
    return {case: (copies[case], report)
            for case, report in zip(copies, reports, strict=True)}


def _ids(case: tuple[str, int]) -> str:
    return f"{case[0]}-{STEPS[case[1]][0]}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_org_rewrites_nothing_we_wrote(case: tuple[str, int],
                                       files: dict[tuple[str, int], Path],
                                       relaid: dict[tuple[str, int], tuple[Path, dict]]) -> None:
    ours = files[case].read_bytes()
    theirs, report = relaid[case]
    text = ours.decode("utf-8")
    # Org really did the work: every property, drawer, checkbox and timestamp.
    assert report["drawers"] == 8
    assert report["properties"] == len(re.findall(r"^:(?!PROPERTIES:|END:)\S+:", text, re.M))
    assert report["checkboxes"] == len(re.findall(r"^- \[[ X]\] ", text, re.M))
    assert report["timestamps"] == len(STAMP.findall(text))
    assert theirs.read_bytes().decode("utf-8") == text


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_relayout_is_not_a_no_op(judge: Judge, tmp_path: Path) -> None:
    """The judge itself: each of its steps rewrites what Org would lay out otherwise."""
    loose = (
        "* Session\n"
        ":PROPERTIES:\n"
        ":STATUS: active\n"                   # one space: Org aligns values to column 11
        "  :HOST:       vm\n"                 # indented, too many spaces
        ":STARTED:  [2026-11-21 Mon 10:02]\n"  # 2026-11-21 is a Saturday
        ":END:\n"
        "   A note\n"                          # indented: Org indents it to column 0
        "- [X]   [2026-11-21 Sat 10:02] done   \n"  # trailing spaces
        "-  [ ] [2026-11-21 Sat 10:02] open\n"       # two spaces after the bullet
        "- [2026-11-21 Sat 10:02] last"             # no final newline
    )
    laid_out = (
        "* Session\n"
        ":PROPERTIES:\n"
        ":STATUS:   active\n"
        ":HOST:     vm\n"
        ":STARTED:  [2026-11-21 Sat 10:02]\n"
        ":END:\n"
        "A note\n"
        "- [X]   [2026-11-21 Sat 10:02] done\n"
        "- [ ] [2026-11-21 Sat 10:02] open\n"
        "- [2026-11-21 Sat 10:02] last\n"
    )
    path = tmp_path / "loose.org"
    path.write_text(loose, encoding="utf-8")
    [report] = relayout(judge, [path])
    assert report == {"file": str(path), "properties": 3, "drawers": 1, "checkboxes": 2,
                      "timestamps": 4}
    assert path.read_text(encoding="utf-8") == laid_out


def test_every_file_ends_with_a_newline_and_no_trailing_white_space(
        files: dict[tuple[str, int], Path]) -> None:
    for path in files.values():
        text = path.read_bytes().decode("utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), path.name
        assert [line for line in text.split("\n") if line != line.rstrip()] == [], path.name


def _english_day_names(text: str) -> list[str]:
    """Every timestamp's day name, checked against its date; returns the stamps."""
    stamps = []
    for match in STAMP.finditer(text):
        year, month, day, name = int(match[1]), int(match[2]), int(match[3]), match[4]
        assert name == DAYS[date(year, month, day).weekday()], match[0]
        stamps.append(match[0])
    assert stamps
    return stamps


# -- locales ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locales(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``LOCPATH`` holding de_DE.UTF-8 and fr_FR.UTF-8, when ``localedef`` can build them.

    Returns the environment to add ({} when they could not be built: the
    locale names are then unknown to the C library, which is fine for what
    our output must do, but proves less).
    """
    localedef = shutil.which("localedef")
    if localedef is None:
        return {}
    folder = tmp_path_factory.mktemp("locales")
    for name in ("de_DE", "fr_FR"):
        target = folder / f"{name}.UTF-8"
        built = subprocess.run([localedef, "-i", name, "-f", "UTF-8", str(target)],
                               capture_output=True, timeout=120)
        # localedef exits 1 on mere warnings, having written the locale.
        if built.returncode not in (0, 1) or not target.exists():
            return {}
    return {"LOCPATH": str(folder)}


def _locale_active(env: dict[str, str]) -> bool:
    """Whether a process that calls setlocale(LC_ALL, "") in ``env`` names days in German
    or French (so that the locale really is in force)."""
    probe = subprocess.run(
        [sys.executable, "-c",
         "import locale, time; locale.setlocale(locale.LC_ALL, '');"
         "print(time.strftime('%a', time.struct_time((2026, 11, 21, 10, 2, 0, 5, 325, 0))))"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )
    return probe.returncode == 0 and probe.stdout.strip() not in ("", "Sat")


# A command that first puts the environment's locale in force, as a host
# program embedding the library may have done.
LOCALIZED_CLI = (
    "import locale, sys; locale.setlocale(locale.LC_ALL, '');"
    "sys.argv[0] = 'ai-protocols'; from ai_protocols.cli.app import main; main()"
)


class _LocalizedRunner(Runner):
    """Runs the library's command in a Python that called setlocale(LC_ALL, '') first."""

    def __call__(self, *args: str, agent: str | None = None, check: bool = True,
                 cwd: Path | None = None, env: dict[str, str] | None = None,
                 ) -> subprocess.CompletedProcess[str]:
        extra = dict(env or {})
        if agent is not None:
            extra["AI_AGENT_ID"] = agent
        result = subprocess.run([sys.executable, "-c", LOCALIZED_CLI, *args],
                                cwd=cwd or self.cwd, env=clean_env(**extra),
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} exited {result.returncode}\n{result.stderr}")
        return result


@pytest.mark.parametrize("lc", [{"LC_ALL": "de_DE.UTF-8"},
                                {"LC_ALL": "", "LANG": "de_DE.UTF-8", "LC_TIME": "fr_FR.UTF-8"}],
                         ids=["LC_ALL=de_DE", "LC_TIME=fr_FR"])
@pytest.mark.parametrize("localized", [False, True], ids=["cli", "setlocale-first"])
def test_day_names_are_english_whatever_the_locale(
        lc: dict[str, str], localized: bool, locales: dict[str, str], tmp_path: Path) -> None:
    env = {**locales, **lc}
    if localized and locales:
        assert _locale_active(env), "the locale built with localedef is not in force"
    root = tmp_path / "proj"
    run = _git_repo(root)
    if localized:
        run = _LocalizedRunner(root)
    copies = tmp_path / "copies"
    copies.mkdir()
    paths = drive(run, copies, "locale", AGENT, True, env=env)
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        _english_day_names(text)
        assert text.endswith("\n")


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_orgs_own_day_names_follow_the_locale_ours_do_not(
        judge: Judge, files: dict[tuple[str, int], Path], locales: dict[str, str],
        tmp_path: Path) -> None:
    """Org under a German ``system-time-locale`` rewrites our stamps with German day
    names and nothing else; so ours are Org's in the C locale, fixed to English."""
    if not locales or not _locale_active({**locales, "LC_ALL": "de_DE.UTF-8"}):
        pytest.skip("de_DE.UTF-8 could not be built with localedef here")
    ours = files["no-agent", len(STEPS) - 1]
    path = tmp_path / ours.name
    shutil.copyfile(ours, path)
    relayout(judge, [path], time_locale="de_DE.UTF-8", env=locales)
    german = path.read_text(encoding="utf-8")
    text = ours.read_text(encoding="utf-8")
    assert german != text
    german_days = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
    back = STAMP.sub(lambda m: m[0].replace(f" {m[4]} ", f" {DAYS[german_days.index(m[4])]} "),
                     german)
    assert back == text
