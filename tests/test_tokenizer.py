"""The "technical" tokenizer (issue #14, defect 5): names such as C++, C# and
.NET, and identifiers kept whole as well as by their parts."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.analysis import TOKENIZERS, Analyzer
from spasmqa.errors import InputError
from spasmqa.index import TermIndex

TECH = Analyzer(tokenizer="technical")


def test_tokenizer_names_and_default():
    assert TOKENIZERS == ("words", "technical")
    assert Analyzer().tokenizer == "words"  # what every index was built with before the option
    assert Analyzer().get_params()["tokenizer"] == "words"


@pytest.mark.parametrize("bad", ["", "Technical", "bpe", None, True, 1])
def test_bad_tokenizer(bad):
    with pytest.raises(InputError, match="tokenizer"):
        Analyzer(tokenizer=bad)


def test_old_tokenizer_unchanged():
    words = Analyzer()
    assert words("C++ and C# on .NET") == ["c", "c", "net"]
    assert words("CMAKE_BUILD_TYPE") == ["cmake", "build", "type"]
    assert words("fs.readFile") == ["fs", "readfil"]


def test_language_names_with_symbols():
    assert TECH("C++") == ["c++", "c"]
    assert TECH("C#") == ["c#", "c"]
    assert TECH(".NET") == [".net", "net"]
    assert TECH("Notepad++ and F# and ASP.NET") == ["notepad++", "notepad", "f#", "f", "asp.net", "asp", "net"]
    # "#" after a longer word is not a name ("issue#14"); "C++17" keeps C++.
    assert TECH("issue#14") == ["issu", "14"]
    assert TECH("C++17") == ["c++", "c", "17"]


def test_identifiers_whole_and_by_parts():
    assert TECH("CMAKE_BUILD_TYPE") == ["cmake_build_type", "cmake", "build", "type"]
    assert TECH("add_compile_options") == ["add_compile_options", "add", "compil", "option"]
    assert TECH("fs.readFile") == ["fs.readfile", "fs", "readfil", "read", "file"]
    assert TECH("camelCase") == ["camelcas", "camel", "case"]
    assert TECH("snake_case") == ["snake_case", "snake", "case"]
    assert TECH("os.path.join") == ["os.path.join", "os", "path", "join"]
    assert TECH("HTTPServer") == ["httpserver", "http", "server"]
    assert TECH("Node.js 18.x") == ["node.js", "node", "js", "18.x", "18", "x"]
    assert TECH("version 3.10.2 of Python") == ["version", "3.10.2", "3", "10", "2", "python"]
    # A trailing full stop ends the sentence, not the identifier; possessives go.
    assert TECH("Set CMAKE_BUILD_TYPE's value to os.path.join.") == TECH("set CMAKE_BUILD_TYPE value to os.path.join")


def test_ordinary_words_unchanged():
    # No extra terms for prose: capitalised, upper-case and plural acronyms,
    # contractions, hyphens and initialisms ("e.g.", "U.S.") analyse as before.
    text = ("What causes Lower BACK spasms? Doesn't O'Brien's PDFs and APIs help, e.g. in the U.S. "
            "well-known 2.5 mg")
    words = Analyzer()(text)
    tech = TECH(text)
    assert [t for t in tech if t != "2.5"] == words
    assert "2.5" in tech  # a decimal number is kept whole as well


def test_camel_case_cuts_only_where_words_are_joined():
    assert TECH("getElementById") == ["getelementbyid", "element", "id"]  # "get" and "by" are stop words
    assert TECH("XMLHttpRequest toString") == ["xmlhttprequest", "xml", "http", "request", "tostr", "string"]
    # Mixed case in science and brand names joins no words: one term, as before.
    names = "mRNA siRNA miRNAs microRNAs pH cAMP kappaB GTPase ATPase RNase HbA1c CpG eNOS iPhone ErbB4 IOError"
    assert TECH(names) == Analyzer()(names)


def test_identifier_question_prefers_the_identifier():
    docs = ["Set CMAKE_BUILD_TYPE to Release for an optimised build.",
            "The build type decides how the compiler optimises.",
            "Node.js reads files with fs.readFile."]
    index = TermIndex().fit([TECH(d) for d in docs])
    top = index.search([TECH("CMAKE_BUILD_TYPE"), TECH("build type"), TECH("readFile")], k=3)
    assert int(top[0][0][0]) == 0  # the identifier beats the passage with only its words
    assert set(map(int, top[1][0])) >= {0, 1}  # the words still find the identifier
    assert int(top[2][0][0]) == 2


def test_term_of_agrees_with_highlighting_words():
    # answer.py highlights each WORD_RE word whose term is a question term:
    # every part of an identifier is such a term, so identifiers light up.
    from spasmqa.analysis import WORD_RE

    terms = set(TECH("CMAKE_BUILD_TYPE fs.readFile C++"))
    for word in WORD_RE.findall("CMAKE_BUILD_TYPE fs.readFile C++"):
        assert TECH.term_of(word) in terms


_part = st.from_regex(re.compile(r"[A-Za-z][a-z]{0,6}|[A-Z]{1,4}|[0-9]{1,3}"), fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(_part, min_size=2, max_size=5), st.sampled_from(["_", "."]))
def test_every_part_of_an_identifier_is_among_its_terms(parts, sep):
    ident = sep.join(parts)
    terms = TECH(ident)
    whole_only = sep == "." and all(len(p) == 1 and p.isalpha() for p in parts)  # an initialism ("e.g.")
    if not whole_only:
        assert terms[0] == ident.casefold()
    for part in parts:
        for t in TECH(part):
            assert t in terms, (ident, part, terms)


_techy = st.lists(st.sampled_from(["C", "++", "#", ".", "_", "NET", "readFile", "x", "3", " ", "'", "s", "é", "中",
                                   "\n"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_techy | st.text(max_size=200))
def test_technical_tokens_lose_and_change_no_word(text):
    from spasmqa.analysis import TECHNICAL_RE, WORD_RE

    assert [w for tok in TECHNICAL_RE.findall(text) for w in WORD_RE.findall(tok)] == WORD_RE.findall(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_technical_terms_cover_the_old_terms_of_plain_words(text):
    # Deterministic, and on text without identifier characters the old terms.
    assert TECH(text) == TECH(text)
    if not re.search(r"[_.+#A-Z]", text) and text.isascii():
        assert TECH(text) == Analyzer()(text)


def test_parallel_map_analyses_with_the_tokenizer_it_is_given():
    from spasmqa.build import build_segment
    from spasmqa.corpus import Corpus
    from spasmqa.parallel import IndexOptions, map_partition, reduce_partitions
    from spasmqa.passages import SentenceSplitter

    docs = list(Corpus.from_texts(["Set CMAKE_BUILD_TYPE first. Then C++ builds.", "Use fs.readFile in Node.js."])
                .values())
    splitter = SentenceSplitter()
    options = IndexOptions(unit="passage", title_boost=1, stop_words="auto", stem=True, splitter=splitter,
                           tokenizer="technical")
    parallel = reduce_partitions([map_partition(docs[:1], options), map_partition(docs[1:], options)], docs,
                                 TermIndex())
    serial = build_segment(docs, unit="passage", title_boost=1, splitter=splitter, analyzer=TECH, index=TermIndex())
    assert parallel.index.terms_ == serial.index.terms_
    assert "cmake_build_type" in serial.index.terms_ and "c++" in serial.index.terms_
    assert (parallel.index.counts_ != serial.index.counts_).nnz == 0
    # The default is the old rule, as for every index built before the option.
    assert IndexOptions(unit="passage", title_boost=1, stop_words="auto", stem=True, splitter=splitter).tokenizer \
        == "words"


# -- the option, end to end ----------------------------------------------------

TECH_DOCS = ["Set CMAKE_BUILD_TYPE to Release for an optimised build.",
             "The build type decides how the compiler optimises code.",
             "C++ and C# both run on .NET these days? Not quite: C++ compiles to native code.",
             "Call fs.readFile to read a file in Node.js."]


def test_new_index_gets_and_records_the_technical_tokenizer():
    import spasmqa

    qa = spasmqa.QA.from_texts(TECH_DOCS)
    assert qa.settings.tokenizer == "technical" and qa.analyzer_.tokenizer == "technical"
    assert qa.ask("CMAKE_BUILD_TYPE").passages[0].doc_id == "0"
    assert {p.doc_id for p in qa.ask("build type").passages} >= {"0", "1"}
    assert "c++" in qa.ask("C++ native code").terms
    old = spasmqa.QA.from_texts(TECH_DOCS, tokenizer="words")
    assert old.analyzer_.tokenizer == "words" and "c++" not in old.ask("C++ native code").terms


def test_tokenizer_is_an_index_time_option():
    import spasmqa
    from spasmqa.settings import INDEX_OPTIONS

    assert "tokenizer" in INDEX_OPTIONS
    qa = spasmqa.QA.from_texts(TECH_DOCS)
    with pytest.raises(InputError, match="tokenizer"):
        qa.with_settings(tokenizer="words")
    with pytest.raises(InputError, match="tokenizer"):
        spasmqa.QA.from_texts(TECH_DOCS, tokenizer="bpe")


def test_saved_index_keeps_its_tokenizer(tmp_path):
    import spasmqa

    qa = spasmqa.QA.from_texts(TECH_DOCS)
    qa.save(tmp_path / "i")
    loaded = spasmqa.QA.load(tmp_path / "i")
    assert loaded.settings.tokenizer == "technical" and loaded.analyzer_.tokenizer == "technical"
    assert loaded.ask("CMAKE_BUILD_TYPE").to_dict() == qa.ask("CMAKE_BUILD_TYPE").to_dict()


def test_index_saved_before_the_option_answers_as_before(tmp_path):
    # An index of an earlier version: terms made by the "words" rule, no
    # tokenizer in its settings. It must analyse questions by that rule.
    import json

    from forge import resign

    import spasmqa

    old = spasmqa.QA.from_texts(TECH_DOCS, tokenizer="words")
    old.save(tmp_path / "old")
    manifest = json.loads((tmp_path / "old" / "manifest.json").read_text(encoding="utf-8"))
    del manifest["settings"]["tokenizer"]
    resign(tmp_path / "old", manifest)
    loaded = spasmqa.QA.load(tmp_path / "old")
    assert loaded.settings.tokenizer == "auto" and loaded.analyzer_.tokenizer == "words"
    for q in ("CMAKE_BUILD_TYPE", "C++ native code", "fs.readFile", "build type"):
        assert loaded.ask(q).to_dict() == old.ask(q).to_dict()
