"""Paths as text: the hot paths build no ``pathlib.Path`` (issue 16, docs/performance.md).

The library keeps paths as ``str`` and gives ``Path`` values only where the public API
returns them (``Project.root``, ``Session.path``, the errors' fields...), made on first
read (:class:`ai_protocols.lean.PathField`). The few rules of ``pathlib`` the text
needs (its spelling of a path, ``relative_to``, ``parent``, ``with_name``) are written
in :mod:`ai_protocols.paths`; here they are held to ``pathlib``'s own answers.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_protocols import Project, session_context_path
from ai_protocols.errors import NoSession, SessionRemoved, StorageError, UnsafePath
from ai_protocols.lean import replace
from ai_protocols.paths import clean_path, join, parent, relative_to, sibling
from ai_protocols.session.model import Session, SessionInfo

#: Text made mostly of what makes paths tricky: slashes, dots, and a few names.
tricky = st.text(alphabet=st.sampled_from(["/", ".", "a", "b", " ", "é", "\\", "~"]),
                 max_size=14)
any_path = st.one_of(tricky, st.text(max_size=20))
name = st.text(min_size=1, max_size=8).filter(lambda n: "/" not in n and n not in (".", ".."))


@given(any_path)
def test_a_path_is_spelled_as_pathlib_spells_it(text: str) -> None:
    assert clean_path(text) == str(PurePosixPath(text))
    assert clean_path(PurePosixPath(text)) == str(PurePosixPath(text))


@given(any_path)
def test_parent_and_with_name_are_pathlibs(text: str) -> None:
    path = clean_path(text)
    assert parent(path) == str(PurePosixPath(path).parent)
    if PurePosixPath(path).name:
        assert sibling(path, "x.org") == str(PurePosixPath(path).with_name("x.org"))


@given(any_path, any_path)
def test_relative_to_is_pathlibs(path_text: str, base_text: str) -> None:
    path, base = clean_path(path_text), clean_path(base_text)
    try:
        want = str(PurePosixPath(path).relative_to(base))
    except ValueError:
        with pytest.raises(ValueError):
            relative_to(path, base)
        return
    assert relative_to(path, base) == want


@given(any_path, st.lists(name, max_size=4))
def test_relative_to_a_folder_above(base_text: str, names: list[str]) -> None:
    """Every path below a folder, the common case (a file under ``.ai/``)."""
    base = clean_path(base_text)
    path = clean_path(os.path.join(base, *names)) if names else base
    assert relative_to(path, base) == str(PurePosixPath(path).relative_to(base))


@given(any_path, st.lists(name, max_size=6))
def test_a_folders_files_sort_as_their_paths_do(folder_text: str, names: list[str]) -> None:
    """``session_files`` sorts the names: the order ``sorted(Path)`` gave."""
    folder = clean_path(folder_text)
    assert [join(folder, n) for n in sorted(set(names))] == \
        [str(p) for p in sorted({PurePosixPath(folder) / n for n in names})]


@given(any_path)
def test_a_project_reads_as_pathlib_made_it(root: str) -> None:
    """``Project(root)``: the same ``root``, ``ai_dir``, ``path`` and folders as when they
    were ``Path`` values, and their text is theirs."""
    for agent in (None, "vm.proj.claude.1700000000"):
        project = Project(root, agent)
        assert project.root == Path(root)
        assert project.ai_dir == Path(root) / ".ai"
        assert project.path == session_context_path(Path(root), agent)
        assert project.sessions_dir == Path(root) / ".ai" / "sessions"
        assert project.context_dir == Path(root) / ".ai" / "session-context.d"
        assert project.path_of(agent) == project.path
        for field in ("root", "ai_dir", "path", "sessions_dir", "context_dir"):
            assert getattr(project, f"{field}_text") == str(getattr(project, field))


def test_the_values_give_paths_and_their_text() -> None:
    session = Session(path="/p/.ai/session-context.org")
    assert session.path == Path("/p/.ai/session-context.org")
    assert isinstance(session.path, Path)
    assert session.path_text == "/p/.ai/session-context.org"
    assert session == Session(path=Path("/p/.ai/session-context.org"))
    assert "PosixPath('/p/.ai/session-context.org')" in repr(session)
    moved = replace(session, path="/p/.ai/sessions/a.org")
    assert moved.path == Path("/p/.ai/sessions/a.org")
    assert moved.path_text == "/p/.ai/sessions/a.org"
    info = SessionInfo("archived", Path("/p/a.org"), None, None, None, None, None, None, None)
    assert info.path_text == "/p/a.org"
    assert SessionInfo.from_json(info.to_json()) == info


def test_the_errors_give_paths_and_pickle_intact() -> None:
    for error in (NoSession("/p/s.org"), SessionRemoved("/p/s.org", "/p/k.org"),
                  StorageError("/p/s.org", OSError(28, "No space left on device")),
                  UnsafePath("/p/s.org", "/p")):
        assert error.path == Path("/p/s.org")
        assert error.path_text == "/p/s.org"
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert (again.path, str(again)) == (error.path, str(error))
    removed = SessionRemoved("/p/s.org", "/p/k.org")
    assert (removed.kept, removed.kept_text) == (Path("/p/k.org"), "/p/k.org")
    assert UnsafePath("/p/s.org", "/p").link == Path("/p")
    assert not hasattr(StorageError.__new__(StorageError), "path")  # unset: no KeyError
