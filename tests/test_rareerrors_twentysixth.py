"""Issue 16, twenty-sixth round: the exceptions no hot command raises, and those only a
write raises, are made on first use (``ai_protocols.errors_rare`` and ``errors_write``,
given from ``ai_protocols.errors``), each still ``ai_protocols.errors``'s in every way a
caller can see.

Making an exception class costs about 160,000 instructions (its slots looked up along its
bases); the 18 rare ones were about 3 M of every hot command's start, the 7 of the writes
about 1.3 M of every command that only reads.
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
    ``errors_rare`` and ``errors_write`` unimported; the first name of each asked imports
    that one alone."""
    said = _fresh("import sys\nfrom ai_protocols.errors import NoSession, UnreadableSession, "
                  "MergeConflict, InvalidText\n"
                  "print(sorted(m for m in sys.modules if m.startswith('ai_protocols.errors')))"
                  "\nfrom ai_protocols.errors import GitFailed\n"
                  "print('ai_protocols.errors_rare' in sys.modules, "
                  "'ai_protocols.errors_write' in sys.modules)\n"
                  "from ai_protocols.errors import StaleSave\n"
                  "print('ai_protocols.errors_write' in sys.modules)\n")
    assert said.splitlines() == ["['ai_protocols.errors', 'ai_protocols.errors_base']",
                                 "True False", "True"]


@pytest.mark.parametrize(("names", "module"), [(errors.RARE, "errors_rare"),
                                               (errors.WRITES, "errors_write")])
def test_the_lazy_names_are_their_module_s(names: tuple[str, ...], module: str) -> None:
    """``errors.RARE`` and ``errors.WRITES`` name exactly the classes ``errors_rare`` and
    ``errors_write`` define (one list each, held equal here), none both, each in
    ``errors.__all__``."""
    import importlib

    found = importlib.import_module(f"ai_protocols.{module}")
    from ai_protocols import errors_base

    defined = {name for name, value in vars(found).items()
               if isinstance(value, type) and issubclass(value, BaseException) and
               value not in vars(errors_base).values()}
    assert set(names) == set(found.__all__) == defined
    assert len(names) == len(set(names)) and not set(errors.RARE) & set(errors.WRITES)
    assert set(names) <= set(errors.__all__)


@pytest.mark.parametrize("name", sorted(errors.RARE + errors.WRITES))
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
