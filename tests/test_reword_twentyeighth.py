"""The one rule of a reword (``model.reworded_among``) and words added to an entry:
``N2`` reworded to ``N2 reworded`` is one entry changed, whatever difflib's ratio of the
two (0.31), while a new entry in other words beside a removed one stays two entries
(docs/decisions.md, "Twenty-eighth round: words added to an entry are a reword")."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ai_protocols.session.model import reworded_among, words_extended

WORD = st.text(alphabet="abcdefgh", min_size=1, max_size=6)
WORDS = st.lists(WORD, min_size=1, max_size=6)


@given(words=WORDS, added=st.lists(WORD, min_size=1, max_size=6), where=st.data())
def test_words_added_anywhere_extend_the_entry(words: list[str], added: list[str],
                                               where: st.DataObject) -> None:
    """Words added anywhere in an entry (before, between, after its words) extend it, on
    either side of the pair; the same words or fewer extend nothing the other way round
    but the pair is still one extension."""
    longer = list(words)
    for word in added:
        longer.insert(where.draw(st.integers(0, len(longer))), word)
    one, other = " ".join(words), " ".join(longer)
    assert words_extended(one, other) and words_extended(other, one)
    assert not words_extended(one, one)
    assert not words_extended("", other)
    # (alone in their minute, the two are one entry reworded, from either side)
    assert reworded_among([one], [other]) == {0: 0}
    assert reworded_among([other], [one]) == {0: 0}


@given(words=WORDS, other=WORDS)
def test_a_word_of_one_missing_from_the_other_is_no_extension(words: list[str],
                                                              other: list[str]) -> None:
    """Two texts each holding a word the other lacks extend neither (they may still be
    alike enough by their ratio)."""
    lacking = [w for w in words if w not in other]
    extra = [w for w in other if w not in words]
    if lacking and extra:
        assert not words_extended(" ".join(words), " ".join(other))


def test_the_extension_that_is_closest_wins_and_a_tie_pairs_nothing() -> None:
    """Of two candidates, the extension is paired before a text that is only alike by
    ratio below the bound; two extensions of one short entry alike in ratio pair
    nothing (which one the person reworded is unknown: both kept)."""
    assert reworded_among(["N2 reworded"], ["N1", "N2"]) == {0: 1}
    assert reworded_among(["fix"], ["fix a", "fix b"]) == {}
    # (unlike words, no word kept: two entries, the DOUBT 2 rule of the twenty-seventh
    # round)
    assert reworded_among(["typed note"], ["N2"]) == {}
