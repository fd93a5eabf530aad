"""Issue 16, twenty-second round: the quick ways the hot readers took this round answer as
the general ones do (docs/performance.md, "Issue 16, twenty-second round").

- ``parse_timestamp`` reads a value that is, whole, one of the tool's own timestamps
  (every ``STARTED`` and ``UPDATED`` the tool writes) by ``own_time`` at once; any other
  value goes the general way. The property: a value of 22 characters reads as the same
  value after another character, which the quick way never takes.
- An entry's leading timestamp (``_stamp_time``) asks ``own_time`` once, not the shape
  and then ``own_time``, which asks it again.
- ``Moment.agrees_with`` compares the minute's fields (two ``datetime.replace`` calls
  were a fifth of judging another agent's session).
- ``paths.present`` asks whether something is at a path without an exception for a
  path with nothing (the tombstones, leases and exit records of other agents' files).
- ``is_own_timestamp`` judges the shape with ``bytes.translate`` of a 256-byte table, not
  ``str.translate`` of a dictionary: the property holds it to the regular expression,
  with digits and letters of other scripts at every place.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ai_protocols.org import syntax
from ai_protocols.paths import present

PROPERTY = settings(max_examples=800, deadline=None)

#: Characters at each place of a stamp: the ones its shape wants and others that look alike.
_DIGITS = st.sampled_from([*"0123456789", "٣", "²", "\uff10", "a", " "])
_LETTERS = st.sampled_from([*"aZxS", "é", "ß", "\u0130", "1", " ", "]"])
_MARKS = {0: "[<", 5: "-/", 8: "-/", 11: " \t", 15: " \t", 18: ":.", 21: "]>"}
_SHAPE = "[0000-00-00 aaa 00:00]"


@st.composite
def _stamps(draw: st.DrawFn) -> str:
    """A text of 22 characters shaped like the tool's own timestamp, each place most often
    what the shape wants (so that real dates, impossible ones and near misses all come)."""
    out = []
    for at, want in enumerate(_SHAPE):
        if at in _MARKS:
            out.append(draw(st.sampled_from(_MARKS[at])) if draw(st.integers(0, 9)) == 0
                       else want)
        elif want == "0":
            out.append(draw(_DIGITS) if draw(st.integers(0, 9)) == 0
                       else str(draw(st.integers(0, 9))))
        else:
            out.append(draw(_LETTERS) if draw(st.integers(0, 9)) == 0
                       else draw(st.sampled_from("MTWFSmtwfsaeonuhr")))
    return "".join(out)


_OWN = re.compile(r"\[[0-9]{4}-[0-9]{2}-[0-9]{2} [A-Za-z]{3} [0-9]{2}:[0-9]{2}\]")


@PROPERTY
@given(_stamps() | st.builds(syntax.format_timestamp,
                             st.datetimes(min_value=datetime(1000, 1, 1))))
@example("[2026-02-30 Mon 10:00]")  # (its shape, no such day)
@example("[2026-12-01 Tue 24:00]")
@example("<2026-12-01 Tue 07:31>")  # (22 characters, a person's active timestamp)
@example("[2026-12-01 Tue 07:31>")
@example("[٢٠٢٦-12-01 Tue 07:31]")
def test_a_whole_own_timestamp_reads_as_the_general_way_reads_it(value: str) -> None:
    assert len(value) == 22
    assert syntax.parse_timestamp(value) == syntax.parse_timestamp(f"x{value}")
    assert syntax.is_own_timestamp(value) == bool(_OWN.fullmatch(value))
    if _OWN.fullmatch(value):
        try:
            want: datetime | None = datetime(int(value[1:5]), int(value[6:8]),
                                             int(value[9:11]), int(value[16:18]),
                                             int(value[19:21]))
        except ValueError:
            want = None
        assert syntax.parse_timestamp(value) == want
        assert syntax._stamp_time(value) == want  # (an entry's time: the same rule)


@PROPERTY
@given(st.text(st.sampled_from([*"[]-: 0123456789aZ", "٣", "é", "\u0130", "\x00"]),
               min_size=20, max_size=24))
def test_is_own_timestamp_is_the_regular_expression(value: str) -> None:
    assert syntax.is_own_timestamp(value) == bool(_OWN.fullmatch(value))


def test_present_answers_as_lexists_and_exists(tmp_path: Path) -> None:
    """``paths.present``, asked by ``access(F_OK)``, gives ``os.path.lexists``'s answer
    (and with ``follow``, ``os.path.exists``'s) for each kind of thing at a path: a file,
    a folder, a link to each, a link to nothing, a link's loop, nothing, a path through a
    file, a NUL. (A tombstone left as a link to nothing is still a tombstone; a lease
    that is one is no lease.)"""
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "to-file").symlink_to("file")
    (tmp_path / "to-folder").symlink_to("folder")
    (tmp_path / "dangling").symlink_to("nothing")
    (tmp_path / "loop").symlink_to("loop")
    names = ["file", "folder", "to-file", "to-folder", "dangling", "loop", "nothing",
             "file/under", "dangling/under", "folder/nothing", "nul\x00name", ""]
    answers = []
    for name in names:
        path = str(tmp_path / name) if name else ""
        answers.append((name, present(path), present(path, follow=True)))
        assert present(path) == os.path.lexists(path), name
        assert present(path, follow=True) == os.path.exists(path), name
    assert ("dangling", True, False) in answers and ("loop", True, False) in answers


def test_a_value_sets_its_path_fields_last() -> None:
    """Every value class with a ``PathField`` (``Session``, ``StatusRow``...) sets it
    after its other fields (``lean.init_source``): the field writes the instance's
    ``__dict__`` itself, and the fields set after that would each grow a dictionary of
    their own. The values made hold every field as given, path fields as text."""
    import dis

    from ai_protocols import lean
    from ai_protocols.session.model import Session

    lean.path_fields(Session, ["path"])  # (the package's classes are made on import)
    import ai_protocols.session.project  # noqa: F401  (StatusRow, StartReport...)

    with_paths = [(cls, names, defaults, frozen) for cls, names, defaults, frozen in lean.RECORDS
                  if cls.__module__.startswith("ai_protocols.") and
                  lean.path_fields(cls, names)]
    assert any(cls is Session for cls, *_ in with_paths)
    for cls, names, defaults, frozen in with_paths:
        last = lean.path_fields(cls, names)
        source = lean.init_source(names, defaults, frozen, last)[0]
        body = source.splitlines()[1:]
        assert [line.split("=")[0].strip().removeprefix("self.") if not frozen else
                line.split("'")[1] for line in body[-len(last):]] == list(last), cls
        # The __init__ each class runs (made at its first value, from the code compiled
        # ahead in ``_inits.py`` or here), not only the source above: its stores, in order.
        init = lean._make_init(cls, names, defaults, frozen)
        stores = [ins.argval for ins in dis.get_instructions(init)
                  if (ins.opname == "STORE_ATTR" or (ins.opname == "LOAD_CONST" and
                      isinstance(ins.argval, str))) and ins.argval in names]
        assert sorted(stores) == sorted(names), (cls, stores)
        assert stores[-len(last):] == list(last), (cls, stores)
    made = Session(path="/p/s.org", agent_id="a", title="t")
    assert list(vars(made))[-1] == "path" and made.path_text == "/p/s.org"
    assert (made.agent_id, made.title, made.entries, made.log) == ("a", "t", {}, [])


@PROPERTY
@given(st.datetimes(timezones=st.timezones() | st.just(timezone.utc)),
       st.none() | st.datetimes() | st.datetimes(timezones=st.just(timezone.utc)),
       st.booleans())
def test_a_record_agrees_with_its_minute_as_before(wall: datetime, updated: datetime | None,
                                                   near: bool) -> None:
    """``Moment.agrees_with`` compares the fields of the minute; the rule is the record's
    local minute equal to ``updated`` to the minute, as ``minute == updated.replace(...)``
    said (an aware ``updated`` never equal to it). ``near``: ``updated`` the record's own
    minute and day, give or take its seconds, so that agreeing values come often."""
    from ai_protocols.liveness.clock import Moment

    if near and updated is not None:
        updated = wall.replace(tzinfo=updated.tzinfo, second=updated.second,
                               microsecond=updated.microsecond)
    moment = Moment(wall)
    want = updated is not None and \
        moment.wall.replace(tzinfo=None, second=0, microsecond=0) == \
        updated.replace(second=0, microsecond=0)
    assert moment.agrees_with(updated) == want
