"""Issue 16, twenty-sixth round: the exceptions no hot command raises are made on first
use (``ai_protocols.errors_rare``, given from ``ai_protocols.errors``), each still
``ai_protocols.errors``'s in every way a caller can see.

Making an exception class costs about 160,000 instructions (its slots looked up along its
bases); the 18 rare ones were about 3 M of every hot command's start.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

import ai_protocols
from ai_protocols import errors
from ai_protocols.errors_base import AiProtocolsError


def _fresh(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_importing_the_errors_makes_no_rare_class() -> None:
    """``import ai_protocols.errors`` (and the classes every hot command imports) leaves
    ``errors_rare`` unimported; the first rare name asked imports it."""
    said = _fresh("import sys\nfrom ai_protocols.errors import NoSession, UnreadableSession, "
                  "StaleSave, InvalidText\nprint('ai_protocols.errors_rare' in sys.modules)\n"
                  "from ai_protocols.errors import GitFailed\n"
                  "print('ai_protocols.errors_rare' in sys.modules)\n")
    assert said.split() == ["False", "True"]


def test_the_rare_names_are_the_rare_module_s() -> None:
    """``errors.RARE`` names exactly the classes ``errors_rare`` defines (one list each, held
    equal here), each an ``AiProtocolsError`` not defined in ``errors`` itself."""
    from ai_protocols import errors_rare

    defined = {name for name, value in vars(errors_rare).items()
               if isinstance(value, type) and issubclass(value, BaseException) and
               value.__qualname__ == name and name not in ("AiProtocolsError",)}
    assert set(errors.RARE) == set(errors_rare.__all__) == defined
    assert len(errors.RARE) == len(set(errors.RARE))
    assert set(errors.RARE) <= set(errors.__all__)


@pytest.mark.parametrize("name", sorted(errors.RARE))
def test_a_rare_class_is_the_errors_module_s(name: str) -> None:
    """Each rare class is ``ai_protocols.errors.NAME`` and ``ai_protocols.NAME`` (the same
    object), says ``ai_protocols.errors`` as its module, is an ``AiProtocolsError``, and is
    found again by pickle (which looks it up by its module and name)."""
    cls = getattr(errors, name)
    assert cls is getattr(ai_protocols, name)
    assert (cls.__module__, cls.__qualname__) == ("ai_protocols.errors", name)
    assert issubclass(cls, AiProtocolsError) and cls.exit_code >= 1
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_the_star_import_and_an_unknown_name() -> None:
    """``from ai_protocols.errors import *`` gives every name of ``__all__``, the rare ones
    included; a name the module does not have is an ``AttributeError`` (and does not import
    the rare module)."""
    said = _fresh("import sys\nimport ai_protocols.errors as e\n"
                  "try:\n    e.NoSuchError\nexcept AttributeError as x:\n    print(x)\n"
                  "print('ai_protocols.errors_rare' in sys.modules)\n"
                  "ns = {}\nexec('from ai_protocols.errors import *', ns)\n"
                  "print(sorted(set(e.__all__) - set(ns)))\n")
    assert said.splitlines() == ["module 'ai_protocols.errors' has no attribute 'NoSuchError'",
                                 "False", "[]"]
    assert AiProtocolsError is errors.AiProtocolsError and \
        AiProtocolsError.__module__ == "ai_protocols.errors"
