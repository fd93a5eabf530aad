"""The library and the resolver's Python twin stay light: agents import them on
every call, so the heavy dependencies load only where a command needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("click", "filelock", "orgparse", "dateutil")


@pytest.mark.parametrize("module", ["ai_protocols", "ai_protocols.paths"])
def test_importing_loads_no_heavy_dependency(module: str) -> None:
    code = (f"import sys, {module}; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd="/")
    assert result.stdout.strip() == "[]"


def test_the_check_sees_a_heavy_import() -> None:
    """The probe above can fail: importing the CLI does load click."""
    code = "import sys, ai_protocols.cli.app; print('click' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd="/")
    assert result.stdout.strip() == "True"


def test_every_public_name_resolves_lazily() -> None:
    import ai_protocols

    assert set(ai_protocols.__all__) - {"__version__"} == set(ai_protocols._EXPORTS)
    for name in ai_protocols.__all__:
        assert getattr(ai_protocols, name) is not None
    with pytest.raises(AttributeError):
        ai_protocols.no_such_name  # noqa: B018
