"""``lean.loads``, what the hooks read their payload with, is ``json.loads``: the same
value and the same error for any text or bytes; ``lean.json_encoder``, what ``show
--json`` writes with, is ``json``'s encoder (issue 16, part e: they run ``json``'s own C
scanner and encoder without importing ``json``, which imports ``re``)."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ai_protocols.lean import json_encoder, loads

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() |
    st.text(st.characters(codec="utf-8") | st.sampled_from(['"', "\\", "\x00", "\ud800"])),
    lambda inner: st.lists(inner, max_size=4) |
    st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12)
#: What JSON is made of, and what it may be wrapped in (JSON's white space and others).
PIECES = st.sampled_from([*'{}[],:"\\ \t\n\r0123456789-+.eE', "true", "false", "null",
                          "NaN", "Infinity", "-Infinity", "\\u00e9", "\\ud800", "\ufeff",
                          "\x0b", "\x0c", "\xa0", "\u2028", "\x00", "é", "a"])


def outcome(function: object, text: str | bytes) -> tuple[str, str]:
    """What ``function(text)`` gives, as text that tells every value (NaN included)
    and every error apart."""
    try:
        value = function(text)  # type: ignore[operator]
    except (ValueError, TypeError, RecursionError) as error:
        return type(error).__name__, str(error)
    return "value", (value if isinstance(value, str) else json.dumps(value)) + repr(type(value))


@settings(max_examples=300)
@given(VALUES, st.sampled_from([None, 0, 2]), st.booleans(),
       st.sampled_from(["", " ", "\n", "\t\r\n ", "\x0b", "\ufeff", " x", "]"]),
       st.sampled_from(["", " ", "\r\n", "\ufeff"]))
def test_loads_is_json_loads(value: object, indent: int | None, ascii_: bool,
                             after: str, before: str) -> None:
    text = before + json.dumps(value, indent=indent, ensure_ascii=ascii_) + after
    assert outcome(loads, text) == outcome(json.loads, text)
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32-be"):
        try:
            data = text.encode(encoding, "surrogatepass")
        except UnicodeEncodeError:
            continue
        assert outcome(loads, data) == outcome(json.loads, data)


@settings(max_examples=500)
@given(st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=20))
@example("")
@example("  ")
@example('{"a": 1} {"b": 2}')
@example("[1, 2")
@example('"\x00"')
def test_loads_errs_as_json_loads(text: str) -> None:
    assert outcome(loads, text) == outcome(json.loads, text)
    data = text.encode("utf-8", "surrogatepass")
    assert outcome(loads, data) == outcome(json.loads, data)
    assert outcome(loads, bytearray(data)) == outcome(json.loads, bytearray(data))


@given(st.binary(max_size=12))
@example(b"\x00\x001")
@example(b"1\x00")
@example(b"\xff\xfe1\x00")
@example(b"\xef\xbb\xbf1")
def test_loads_reads_bytes_as_json_loads(data: bytes) -> None:
    assert outcome(loads, data) == outcome(json.loads, data)


def test_loads_refuses_what_is_not_text_as_json_loads() -> None:
    for value in (None, 1, ["[]"]):
        assert outcome(loads, value) == outcome(json.loads, value)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(VALUES | st.sampled_from([float("nan"), float("inf"), -0.0, 10**40, True]),
       st.sampled_from([(", ", ": "), (",", ":"), (",\n      ", ": ")]))
def test_the_encoder_is_jsons(value: object, separators: tuple[str, str]) -> None:
    ours = json_encoder(*separators)
    theirs = json.JSONEncoder(ensure_ascii=False, separators=separators).encode
    assert outcome(ours, value) == outcome(theirs, value)  # type: ignore[arg-type]


def test_the_encoder_refuses_as_json() -> None:
    looped: list[object] = []
    looped.append(looped)
    for value in ({1, 2}, [b"x"], {(1, 2): 3}, looped, {"a": object()}):
        ours, theirs = json_encoder(), json.JSONEncoder(ensure_ascii=False).encode
        assert outcome(ours, value)[0] != "value"  # type: ignore[arg-type]
        assert outcome(ours, value) == outcome(theirs, value)  # type: ignore[arg-type]
