from pathlib import Path

import pytest
from nltk.stem.snowball import SnowballStemmer

from spasmqa.analysis import STOP_WORDS
from spasmqa.languages import (
    SNOWBALL_LANGUAGES,
    STOP_WORD_LANGUAGES,
    STOP_WORDS_DIR,
    language_name,
    stemmer_name,
    stop_words,
)


def test_snowball_languages_are_those_of_nltk_and_pystemmer():
    Stemmer = pytest.importorskip("Stemmer")
    both = set(SnowballStemmer.languages) & set(Stemmer.algorithms()) - {"porter"}
    assert set(SNOWBALL_LANGUAGES) == both


# One word per language and the stem both libraries give it.
SAMPLES = {
    "english": "running", "german": "Häuser", "french": "continuellement", "spanish": "corriendo",
    "italian": "abbandonata", "dutch": "lichamelijk", "portuguese": "correndo", "danish": "undersøgelse",
    "swedish": "jaktkarlarne", "norwegian": "havnedistrikter", "finnish": "kahvinsa", "hungarian": "babonaságokat",
    "romanian": "abandonate", "russian": "вечерними", "arabic": "المكتبات",
}


@pytest.mark.parametrize("language", SNOWBALL_LANGUAGES)
def test_nltk_snowball_works_for_each_language(language):
    stemmer = SnowballStemmer(stemmer_name(language))
    word = SAMPLES[language]
    stem = stemmer.stem(word.lower())
    assert stem and len(stem) <= len(word)
    Stemmer = pytest.importorskip("Stemmer")
    py_stem = Stemmer.Stemmer(stemmer_name(language)).stemWord(word.lower())
    if language == "dutch":  # Snowball 3 (PyStemmer 3) has a new Dutch algorithm; nltk has the old one
        assert py_stem and stem == Stemmer.Stemmer("dutch_porter").stemWord(word.lower())
    elif language != "arabic":  # nltk's Arabic stemmer is not Snowball's
        assert py_stem == stem


def test_names_and_codes():
    assert language_name("de") == "german" and language_name(" French ") == "french"
    assert stemmer_name("PT") == "portuguese"
    with pytest.raises(ValueError, match="unsupported language 'klingon'.*german"):
        language_name("klingon")
    with pytest.raises(TypeError):
        language_name(None)


def test_english_is_the_analysis_list():
    assert stop_words("english") is STOP_WORDS and stop_words("en") is STOP_WORDS


@pytest.mark.parametrize("language,present,absent", [
    ("german", {"und", "der", "die", "das", "über", "für", "dass", "daß".casefold(), "nicht"}, {"rücken", "schmerz", "weg", "machen"}),
    ("french", {"le", "la", "et", "à", "où", "est", "avec"}, {"dos", "douleur", "été"}),
    ("spanish", {"el", "la", "y", "de", "más", "está"}, {"espalda", "dolor"}),
    ("italian", {"il", "la", "e", "di", "è", "perché"}, {"schiena", "dolore"}),
    ("dutch", {"de", "het", "en", "van", "niet"}, {"rug", "pijn", "wezen"}),
    ("portuguese", {"o", "a", "e", "de", "não", "à"}, {"costas", "dor"}),
])
def test_stop_lists(language, present, absent):
    words = stop_words(language)
    assert isinstance(words, frozenset) and 90 <= len(words) <= 400
    assert present <= words and not (absent & words)
    assert all(w == w.casefold() and w.strip() == w and " " not in w for w in words)


def test_shipped_files_name_their_source():
    files = sorted(p.stem for p in STOP_WORDS_DIR.glob("*.txt"))
    assert set(files) | {"english"} == set(STOP_WORD_LANGUAGES)
    for name in files:
        head = (STOP_WORDS_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines()[:8]
        assert any("Source:" in line for line in head) and any("BSD" in line for line in head)


def test_no_list_for_a_language():
    with pytest.raises(ValueError, match="no stop-word list for 'russian'.*german"):
        stop_words("ru")


def test_stop_lists_are_package_data():
    # In the installed package (CI installs it non-editable), and declared for the build.
    from importlib.resources import files

    shipped = {f.name for f in (files("spasmqa") / "data" / "stopwords").iterdir() if f.name.endswith(".txt")}
    assert {"german.txt", "french.txt"} <= shipped
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"spasmqa.data.stopwords" = ["*.txt"]' in text
