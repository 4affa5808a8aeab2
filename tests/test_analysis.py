import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from spasmqa.analysis import STOP_WORDS, Analyzer


def test_question_terms():
    assert Analyzer()("What causes lower back spasms?") == ["caus", "lower", "back", "spasm"]


def test_content_words_survive_unlike_sklearn_list():
    # scikit-learn's list drops these; they carry meaning in health questions.
    for word in ["back", "last", "move", "fire", "found", "side", "bottom", "top", "full"]:
        assert word in ENGLISH_STOP_WORDS
        assert word not in STOP_WORDS
        assert Analyzer()(word) != []


def test_stop_word_only_text_has_no_terms():
    assert Analyzer()("what is the and of it") == []


def test_possessive_and_apostrophes():
    a = Analyzer()
    assert a("Child's Pose") == a("child pose")
    assert a("doesn’t") == []  # curly apostrophe contraction is a stop word


def test_unicode_and_case_folding():
    a = Analyzer(stem=False)
    assert a("SPASMS Spasms") == ["spasms", "spasms"]
    assert a("ﬁbre") == ["fibre"]  # NFKC folds the ligature


def test_no_stemming_and_no_stop_words():
    assert Analyzer(stop_words=None, stem=False)("The Spasms") == ["the", "spasms"]


def test_custom_stop_words():
    assert Analyzer(stop_words=["spasm"], stem=False)("back spasm") == ["back"]


@pytest.mark.parametrize("bad", ["french", 3])
def test_bad_stop_words(bad):
    with pytest.raises((ValueError, TypeError)):
        Analyzer(stop_words=bad)


def test_bad_min_token_length():
    with pytest.raises(ValueError, match="min_token_length"):
        Analyzer(min_token_length=0)


def test_default_stemmer_merges_snowball_y_trace():
    # Plain Snowball: injury -> injuri but injured -> injur; the default meets them.
    plain = Analyzer(stem="snowball")
    assert plain("injury injured") == ["injuri", "injur"]
    merged = Analyzer()
    assert merged("injury injuries injured injure") == ["injur"] * 4
    assert merged("anatomy anatomical") == ["anatom", "anatom"]
    assert Analyzer(stem="snowball-y")("injury") == merged("injury")
    # Short stems and vowel + i endings are left alone.
    assert merged("taxi ski") == ["taxi", "ski"]


@pytest.mark.parametrize("bad", ["porter", "", 1.5])
def test_bad_stemmer_name(bad):
    with pytest.raises(ValueError, match="stem must be"):
        Analyzer(stem=bad)
