"""The record of other agents' heads in :mod:`marshal`'s form (issue 16, twenty-sixth
round; docs/decisions.md, "Twenty-sixth round: the heads' record in marshal's form"):
what :func:`~ai_protocols.session.heads.encode` writes,
:func:`~ai_protocols.session.heads.decode` reads back, whatever the paths and texts; any
other bytes are no record (never an exception); and ``resume`` and ``start`` beside
more other files than they read, served by the record, import no JSON machinery at all
(``_json``: the record was JSON until this round). What the readers print with and
without the record, byte for byte: ``tests/test_heads_nineteenth.py`` and
``tests/test_others_twentyfourth.py``.
"""

from __future__ import annotations

import marshal
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_path import imported
from test_heads_nineteenth import ME, _many, _record

from ai_protocols.session.heads import MAGIC, decode, encode

from conftest import Runner

#: Any text, lone surrogates included (a path or a property read with
#: ``surrogateescape``).
TEXT = st.text(st.characters(), max_size=30)
ENTRY = st.tuples(st.lists(st.integers(0, 2 ** 64), min_size=5, max_size=5),
                  st.dictionaries(TEXT, TEXT, max_size=6),
                  st.none() | TEXT).map(lambda parts: [*parts[0], parts[1], parts[2]])


@settings(max_examples=200, deadline=None)
@given(kept=st.dictionaries(TEXT, ENTRY, max_size=8))
def test_what_is_encoded_is_decoded(kept: dict[str, list[object]]) -> None:
    """Any heads kept, read back as they were: the same paths, numbers and texts."""
    data = encode(kept)
    assert data.startswith(MAGIC)
    assert decode(data) == kept


@settings(max_examples=300, deadline=None)
@given(tail=st.binary(max_size=200), cut=st.integers(0, 400))
def test_other_bytes_are_no_record(tail: bytes, cut: int) -> None:
    """Bytes of another version, garbage after the first line, a record cut short, a
    value that is not a ``dict``: ``{}`` (no record), never an exception."""
    whole = encode({"/p/x.org": [1, 2, 3, 4, 5, {"STATUS": "active"}, None]})
    for data in (tail, MAGIC + tail):
        assert type(decode(data)) is dict
    for data in (whole[:min(cut, len(whole) - 1)], MAGIC + marshal.dumps([tail]),
                 MAGIC + marshal.dumps(tail), b"ai-protocols other heads 1\n{}"):
        assert decode(data) == {}


def test_a_reader_served_by_the_record_imports_no_json(tmp_path_factory) -> None:
    """``resume`` and ``start`` beside :data:`MANY` other files, with the record a first
    run kept: ``_json`` (and ``json``) not imported; the record was read (the heads'
    module imported, and the record there, of this form)."""
    root = tmp_path_factory.mktemp("heads26").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    _many(run, root, [], [])
    run("resume", agent=ME)
    assert decode(_record(root).read_bytes())  # (kept by the first run)
    for args in (["resume"], ["start"]):
        found = imported(root, *args, AI_AGENT_ID=ME)
        assert "ai_protocols.session.heads" in found, args
        assert found & {"_json", "json"} == set(), args


def test_the_record_is_not_json(tmp_path: Path) -> None:
    """What is written is marshal's form, after the version line: the first reader's
    JSON record (version 1) is another version."""
    data = encode({"/p/x.org": [1, 2, 3, 4, 5, {}, "s"]})
    assert data.split(b"\n", 1)[0] == b"ai-protocols other heads 2 marshal %d" % \
        marshal.version
    assert marshal.loads(data[len(MAGIC):]) == {"/p/x.org": [1, 2, 3, 4, 5, {}, "s"]}
