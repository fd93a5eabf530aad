"""Issue 15, thirteenth round: a task's identity through merges and retyped ids.

Each case merges with real git and the installed merge driver (``init``'s config)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from boardkit import board, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

# -- 1. an id-less task with a property drawer, given an id ----------------------------------

# The forms a task without an id takes: no drawer, an empty :ID:, an :ID: of blanks, a
# drawer without an ID line.
FORMS = ["", ":PROPERTIES:\n:ID:\n:END:\n", ":PROPERTIES:\n:ID:    \n:END:\n",
         ":PROPERTIES:\n:ROLE: r\n:END:\n"]


def _setup(root: Path, text: str) -> tuple[Path, Path, Path]:
    """A project whose board holds ``text`` (committed) and two clones of it, each with
    the board's merge driver in its git configuration."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    run("task", "add", "seed", agent="planner.1")
    with (root / ".ai" / "tasks.org").open("a", encoding="utf-8") as handle:
        handle.write(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    clones = []
    for name in ("a", "b"):
        clone = root.parent / name
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        for key in ("name", "driver"):
            value = git(root, "config", f"merge.ai-protocols.{key}").strip()
            git(clone, "config", f"merge.ai-protocols.{key}", value)
        clones.append(clone.resolve())
    return root, clones[0], clones[1]


def _commit(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", message)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(FORMS),
       scenario=st.sampled_from(["both", "edited", "deleted"]),
       body=st.sampled_from(["a body line", "some text: here", "- [ ] step"]))
def test_an_id_less_task_given_an_id_is_one_task_whatever_its_drawer_held(
        tmp_path_factory: pytest.TempPathFactory, form: str, scenario: str,
        body: str) -> None:
    """The base holds "lonely" without an id (``form``). Clone a gives it an id (a
    command); clone b gives it one too (``both``), gives it one while a person adds a
    line (``edited``), or a person deletes it (``deleted``); b pulls a. One task with
    the smaller id and an "its id was also" note, the added line kept; a deleted one
    goes (before: conflict markers whenever the task had a drawer)."""
    root = tmp_path_factory.mktemp("p") / "proj"
    text = f"* TODO lonely\n{form}{body}\n"
    _, a, b = _setup(root, text)
    Runner(a)("task", "add", "a side", agent="aga.1")
    _commit(a, "a")
    path = b / ".ai" / "tasks.org"
    if scenario == "deleted":
        path.write_text(board(b).replace(text, "", 1), encoding="utf-8")
    Runner(b)("task", "add", "b side", agent="agb.1")
    if scenario == "edited":
        path.write_text(board(b).replace(f"{body}\n", f"{body}\nAnn adds a line.\n", 1),
                        encoding="utf-8")
    _commit(b, "b")
    git(b, "pull", "-q", "--no-rebase", str(a), "HEAD")
    merged = board(b)
    assert "<<<<<<<" not in merged, merged
    heads = re.findall(r"^\* \S+ lonely$", merged, re.M)
    if scenario == "deleted":
        assert heads == [], merged
        return
    assert len(heads) == 1, merged
    ids = re.findall(r"^:ID: +(\S+)$", merged.split("lonely", 1)[1].split("\n* ", 1)[0], re.M)
    assert len(ids) == 1, merged
    if scenario == "edited":
        assert "Ann adds a line." in merged
    if scenario == "both":
        also = re.findall(r"its id was also (\S+)", merged)
        assert len(also) == 1 and also[0] > ids[0], merged


@pytest.mark.parametrize("form", FORMS[1:])
def test_three_clones_giving_an_id_less_task_ids_keep_every_id(
        tmp_path: Path, form: str) -> None:
    """Three clones each give the drawer-holding id-less "lonely" an id; the second and
    the third pull in turn: one task, the smallest id kept, each other id noted ("its id
    was also"), as without a drawer (before: the third's own id was lost, unnoted)."""
    root, a, b = _setup(tmp_path / "proj", f"* TODO lonely\n{form}body\n")
    c = tmp_path / "c"
    subprocess.run(["git", "clone", "-q", str(root), str(c)], check=True)
    for key in ("name", "driver"):
        git(c, "config", f"merge.ai-protocols.{key}",
            git(root, "config", f"merge.ai-protocols.{key}").strip())
    given = []
    for name, clone in (("a", a), ("b", b), ("c", c)):
        Runner(clone)("task", "add", f"{name} side", agent=f"ag{name}.1")
        _commit(clone, name)
        part = board(clone).split("lonely", 1)[1].split("\n* ", 1)[0]
        given.append(re.search(r"^:ID: +(\S+)$", part, re.M).group(1))
    git(b, "pull", "-q", "--no-rebase", str(a), "HEAD")
    git(c, "pull", "-q", "--no-rebase", str(b), "HEAD")
    merged = board(c)
    assert "<<<<<<<" not in merged and len(re.findall(r"lonely$", merged, re.M)) == 1, merged
    part = merged.split("lonely", 1)[1].split("\n* ", 1)[0]
    kept = re.findall(r"^:ID: +(\S+)$", part, re.M)
    assert kept == [min(given)], merged
    assert sorted(re.findall(r"its id was also (\S+)", part)) == sorted(set(given) - set(kept))
