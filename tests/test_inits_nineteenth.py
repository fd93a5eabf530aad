"""The value classes' ``__init__`` compiled ahead (``ai_protocols/_inits.py``, issue 16,
nineteenth round): the file is what ``scripts/gen_inits.py`` writes for the package as
it is, and every class's ``__init__`` made from it sets what the one compiled from its
source sets, with the same defaults, factories and frozen fields.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from pathlib import Path

import pytest

import ai_protocols
from ai_protocols import lean

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("gen_inits", ROOT / "scripts" / "gen_inits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _every_record() -> list[tuple[type, list[str], dict[str, object], bool]]:
    for module in pkgutil.walk_packages(ai_protocols.__path__, "ai_protocols."):
        if module.name != "ai_protocols.__main__":
            importlib.import_module(module.name)
    return [made for made in lean.RECORDS  # (the package's, not a test's own)
            if made[0].__module__.startswith("ai_protocols.")]


def test_the_file_is_what_the_script_writes() -> None:
    """Run ``scripts/gen_inits.py`` after changing a value class's fields (each module of
    ``lean.ahead_module``'s rule, twenty-eighth round)."""
    texts = _script().generate()
    assert sorted(path.name for path in texts) == \
        ["_inits.py", "_inits_board.py", "_inits_integrations.py"]
    for path, text in texts.items():
        assert path.read_text(encoding="utf-8") == text, path.name


def _compiled_here(names: list[str], defaults: dict[str, object], frozen: bool,
                   last: tuple[str, ...] = ()):
    source, scope, _ = lean.init_source(names, defaults, frozen, last)
    exec(source, scope)
    return scope["__init__"]


@pytest.mark.parametrize("made", _every_record(), ids=lambda made: made[0].__qualname__)
def test_each_init_sets_what_its_source_sets(made) -> None:
    """Given each required field a value of its own, and each defaulted one first left
    out, then given: the two values hold equal values of the same types (the one given
    to each field, a default, a factory's made anew), and both refuse too many
    arguments or an unknown field alike."""
    from ai_protocols.lean import _make_init

    cls, names, defaults, frozen = made
    ahead = _make_init(cls, names, defaults, frozen)
    last = lean.path_fields(cls, names)
    here = _compiled_here(names, defaults, frozen, last)
    source = lean.init_source(names, defaults, frozen, last)[0]
    assert source in lean._AHEAD[lean.ahead_module(cls.__module__)]  # (ahead, not here)
    assert ahead.__code__.co_code == here.__code__.co_code
    assert ahead.__code__.co_names == here.__code__.co_names
    assert ahead.__code__.co_varnames == here.__code__.co_varnames
    assert ahead.__defaults__ == here.__defaults__
    assert ahead.__qualname__ == f"{cls.__qualname__}.__init__"
    required = [name for name in names if name not in defaults]
    given = {name: f"value of {name}" for name in names}  # (text: a path field takes it)
    for kwargs in ({name: given[name] for name in required}, given):
        one, two = object.__new__(cls), object.__new__(cls)
        ahead(one, **kwargs)
        here(two, **kwargs)
        for name in names:
            first, second = getattr(one, name), getattr(two, name)
            assert type(first) is type(second) and first == second, name
            if name in kwargs:
                assert str(first) == given[name], name
    for call in (lambda init: init(object.__new__(cls), *(object() for _ in
                                                          range(len(names) + 1))),
                 lambda init: init(object.__new__(cls), no_such_field=1)):
        with pytest.raises(TypeError):
            call(ahead)
        with pytest.raises(TypeError):
            call(here)
