"""Hostile text: passage splitting and question matching stay linear; behaviour on real text is unchanged."""

import json
import re
import time
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.analysis import Analyzer
from spasmqa.corpus import load_corpus
from spasmqa.expansion import Expander, IntentTable
from spasmqa.passages import _WORD, MAX_PASSAGE_CHARS, SentenceSplitter, _dash_cuts, _punkt_blocks_spans
from spasmqa.resources import data_path as default_data_path
from spasmqa.saferegex import SafePattern, UnsafePatternError

DATA = Path(__file__).parent / "data"


def _check_spans(text, spans):
    for s in spans:
        piece = text[s.start:s.end]
        assert piece and piece == piece.strip()
        assert s.end - s.start <= MAX_PASSAGE_CHARS
    assert all(a.end <= b.start for a, b in pairwise(spans))


# ---------------------------------------------------------------- passages

def test_default_corpus_splits_exactly_as_before():
    """Every span and flag of the shipped corpus, in every splitter mode, equals the recorded ones."""
    expected = json.loads((DATA / "back_spasms_spans.json").read_text())
    for split in ("paragraph", "file"):
        corpus = load_corpus(split=split)
        docs = [corpus[doc_id].text for doc_id in corpus]
        for punkt in ("default", "train"):
            for web in (True, False):
                sp = SentenceSplitter(punkt=punkt, web_rules=web).fit(docs)
                got = [[[s.start, s.end, s.heading, s.fragment] for s in sp.split(t)] for t in docs]
                assert got == expected[f"{split}/{punkt}/{web}"], (split, punkt, web)


@pytest.mark.parametrize("web_rules", [True, False])
@pytest.mark.parametrize("text", [
    " " * 2_000_000 + "Back spasms hurt.",
    "Back spasms" + " " * 2_000_000 + "hurt.",
    "Back spasms hurt." + "\t\n " * 700_000,
    "Back spasms" + " " * 2_000_000 + "- Heat helps.",
    "Back spasms ·" + "\u00a0" * 2_000_000 + "· Heat helps.",
    "back spasm" + " " * 2_000_000 + "Some simple things help.",
    "1." + " " * 2_000_000 + "x",
], ids=["leading", "inside", "trailing", "before-dash", "after-bullet", "run-on-heading", "enumerator"])
def test_long_white_space_runs_are_linear(text, web_rules):
    # The quadratic splitter needed 11 s for 40k spaces; 2M would take hours.
    t0 = time.perf_counter()
    spans = SentenceSplitter(web_rules=web_rules).split(text)
    assert time.perf_counter() - t0 < 10
    _check_spans(text, spans)
    words = " ".join(text[s.start:s.end] for s in spans)
    assert "spasm" in words or "x" in words


def test_many_short_pieces_are_linear():
    text = "Hello there " + " - A" * 250_000 + " The end."
    t0 = time.perf_counter()
    spans = SentenceSplitter().split(text)
    assert time.perf_counter() - t0 < 10
    _check_spans(text, spans)


_OLD_DASH = re.compile(r"\s+[-–—]\s+(?=[A-Z])")


@given(st.text(alphabet=" \t\n-–—Aab.·", max_size=40), st.data())
@settings(max_examples=500, deadline=None)
def test_dash_cuts_equal_the_old_regex(text, data):
    s = data.draw(st.integers(0, len(text)))
    e = data.draw(st.integers(s, len(text)))
    assert _dash_cuts(text, s, e) == [m.span() for m in _OLD_DASH.finditer(text, s, e)]


@pytest.mark.parametrize("web_rules", [True, False])
def test_over_long_passages_are_cut_into_fragments(web_rules):
    words = [f"w{i}" for i in range(30_000)]
    text = "Intro sentence here. " + " ".join(words) + " and the end. Short one here."
    spans = SentenceSplitter(web_rules=web_rules).split(text)
    _check_spans(text, spans)
    long_pieces = [s for s in spans if text[s.start:s.end].startswith("w") or " w1" in text[s.start:s.end]]
    assert len(long_pieces) > 50 and all(s.fragment and not s.heading for s in long_pieces)
    # cut at white space only: every word survives whole, in order
    joined = " ".join(text[s.start:s.end] for s in spans)
    assert joined.split() == text.split()
    assert text[spans[-1].start:spans[-1].end] == "Short one here."


def test_a_word_longer_than_the_limit_is_cut_at_the_limit():
    text = "Start. " + "a" * (2 * MAX_PASSAGE_CHARS + 5) + " end."
    spans = SentenceSplitter().split(text)
    _check_spans(text, spans)
    assert "".join(text[s.start:s.end] for s in spans[1:]).replace(" ", "") == "a" * (2 * MAX_PASSAGE_CHARS + 5) + "end."
    assert [s.end - s.start for s in spans[1:3]] == [MAX_PASSAGE_CHARS, MAX_PASSAGE_CHARS]


@given(st.lists(st.sampled_from(list(" \t\n.?!·•-–—Aab1()\u00a0") + ["Some ", "This ", "e.g. "]),
                max_size=150).map("".join))
@settings(max_examples=300, deadline=None)
def test_spans_are_exact_for_any_text(text):
    for web in (True, False):
        spans = SentenceSplitter(web_rules=web).split(text)
        _check_spans(text, spans)
        assert all(_WORD.search(text, s.start, s.end) for s in spans)


@pytest.mark.parametrize("punkt", ["default", "train"])
@pytest.mark.parametrize("block", [3_000, 20_000])
def test_punkt_in_blocks_finds_the_same_sentences(punkt, block):
    corpus = load_corpus(split="file")
    text = "\n\n".join(corpus[d].text for d in corpus) * 20  # about 90k characters
    sp = SentenceSplitter(punkt=punkt).fit([text])
    whole = list(sp.tokenizer_.span_tokenize(text))
    assert _punkt_blocks_spans(sp.tokenizer_, text, block) == whole
    assert _punkt_blocks_spans(sp.tokenizer_, text) == whole  # one block


def test_a_sentence_longer_than_a_punkt_block_is_cut_into_fragments():
    text = "Start here. " + "word " * 50_000 + "end. Last one here."
    spans = SentenceSplitter().split(text)
    _check_spans(text, spans)
    assert " ".join(text[s.start:s.end] for s in spans).split() == text.split()
    assert text[spans[-1].start:spans[-1].end] == "Last one here."


def test_megabytes_of_sentences_do_not_trip_nltks_regex_time_limit(monkeypatch):
    redos = pytest.importorskip("nltk.redos")
    monkeypatch.setattr(redos, "DEFAULT_TIMEOUT", 1.0)  # 5 s on an idle machine; less head-room under load
    text = "Back spasms hurt a lot. Heat helps. " * 40_000  # 1.4 MB: Punkt alone needs about 2 s
    spans = SentenceSplitter().split(text)
    assert len(spans) == 80_000
    _check_spans(text, spans)


# ---------------------------------------------------------------- intents


SHIPPED = json.loads(default_data_path("intents.json").read_text())["intents"]


def _expander(table=None):
    return Expander(Analyzer(), synonyms=None, synonym_weight=0.0, intents=table or IntentTable.load(),
                    intent_weight=0.3)


def test_shipped_questions_keep_their_intents_and_matches():
    """Intent and every match span of all evaluation questions equal those of the re-based matcher."""
    expected = json.loads((DATA / "intents_before.json").read_text())
    questions = [json.loads(line)["query"] for f in ("questions.jsonl", "questions_check.jsonl")
                 for line in default_data_path(f).read_text().splitlines() if line.strip()]
    assert set(questions) == set(expected)
    e = _expander()
    for q in questions:
        m = e._intent(q)
        got = [m[0], [list(x.span()) for x in m[1].finditer(q)]] if m else None
        assert got == expected[q], q


_WORDS_IN_PATTERNS = sorted({w for item in SHIPPED for p in item["patterns"] for w in re.findall(r"[a-z]+", p)}
                            | {"what", "is", "are", "the", "a", "back", "spasm", "WHAT", "Stop"})


@given(st.lists(st.sampled_from(_WORDS_IN_PATTERNS + [" ", "  ", "\n", "?", ".", "'", "-", "é", "_"]),
                max_size=25).map(" ".join))
@settings(max_examples=400, deadline=None)
def test_shipped_patterns_match_exactly_like_re(text):
    for item in SHIPPED:
        ref = re.compile("|".join(f"(?:{p})" for p in item["patterns"]), re.IGNORECASE)
        safe = SafePattern(item["patterns"])
        m, r = safe.search(text), ref.search(text)
        assert (m.span() if m else None) == (r.span() if r else None), (item["type"], text)
        assert [x.span() for x in safe.finditer(text)] == [x.span() for x in ref.finditer(text)]


OTHER_PATTERNS = [r"^(\w+\s?)+$", r"a*?b", r"(a|ab)(c|bcd)", r"\Bb+", r"x{2,4}?y", r"[^\W\d]+\d{1,3}",
                  r"(?:ab|a)(?=.*c)", r"a(?!b)", r"\s*$", r"(a+)+b", r"(?i:x)y", r"[a-c-]+?c", r"\d\D\s\S\w\W",
                  r"(?!.*\b(ab|c)\b)a", r"a.*?c", r"(?x) a b # comment"]


@given(st.sampled_from(OTHER_PATTERNS), st.text(alphabet="abcxy 1_\n-é", max_size=14))
@settings(max_examples=600, deadline=None)
def test_other_patterns_match_exactly_like_re(pattern, text):
    safe, ref = SafePattern([pattern]), re.compile(pattern, re.IGNORECASE)
    m, r = safe.search(text), ref.search(text)
    assert (m.span() if m else None) == (r.span() if r else None)
    assert [x.span() for x in safe.finditer(text)] == [x.span() for x in ref.finditer(text) if x.end() > x.start()] \
        or any(x.end() == x.start() for x in ref.finditer(text))


def test_repeated_stop_question_is_linear():
    # The re-based matcher needed 4.3 s for n = 8,000 and grows with n**2 (about 170 s here).
    e = _expander()
    question = "what " + "stop " * 50_000
    t0 = time.perf_counter()
    assert e.intent(question) == "treatment"
    e.covered(question, Analyzer()(question), {"treatment"})
    assert time.perf_counter() - t0 < 30


def test_catastrophic_pattern_in_a_table_is_matched_safely(tmp_path):
    f = tmp_path / "i.json"
    f.write_text(json.dumps({"intents": [{"type": "evil", "patterns": [r"^(\w+\s?)+$"], "cues": ["x"]}]}))
    e = _expander(IntentTable.load(f))
    assert e.intent("what is it") == "evil"
    question = "what " + "ab " * 20_000 + "!"  # backtracking: 2**20000 steps
    t0 = time.perf_counter()
    assert e.intent(question) is None
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("pattern, problem", [
    (r"(a)\1", "backreferences"),
    (r"(?<=a)b", "lookbehind"),
    (r"(?s)a.b", "inline flags"),
    (r"(?m)^a", "inline flags"),
    (r"(?>a+)b", "not supported"),
    (r"(?-i:a)b", "inline flag groups"),
    (r"(?s:.)b", "inline flag groups"),
    (r"a*+b", "not supported"),
    (r"(?!a+)b", "lookahead must match at most"),
    (r"(?=.*a.*b)c", "lookahead must match at most"),
    (r"(?!(?=a)b)", "nested lookahead"),
    (r"(", "not a valid regular expression"),
    ("a" * 3000, "longer than"),
    (r"(?:a{1000}){1000}", "too large"),
])
def test_unsupported_patterns_are_refused_at_load_time(tmp_path, pattern, problem):
    f = tmp_path / "i.json"
    f.write_text(json.dumps({"intents": [{"type": "x", "patterns": ["\\bok", pattern], "cues": []}]}))
    with pytest.raises(ValueError, match=re.escape(f"intents[0] pattern {pattern!r}"[:60])) as info:
        IntentTable.load(f)
    assert problem in str(info.value) and str(f) in str(info.value)
    with pytest.raises(UnsafePatternError, match=problem):
        SafePattern([pattern])


@pytest.mark.parametrize("content, problem", [
    ("[" * 10_000 + "]" * 10_000, "nested"),
    ('{"intents": NaN}', "NaN"),
    ('{"intents": [{"type": "x", "patterns": [], "cues": [1]}]}', "lists of strings"),
])
def test_hostile_table_files(tmp_path, content, problem):
    f = tmp_path / "i.json"
    f.write_text(content)
    with pytest.raises(ValueError, match=problem):
        IntentTable.load(f)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_table_path_to_a_device_is_refused():
    with pytest.raises(ValueError, match="not a regular file"):
        IntentTable.load("/dev/zero")


def test_a_huge_intents_table_is_refused(tmp_path):
    f = tmp_path / "i.json"
    patterns = [r"\b" + "x" * 1000 + str(i) for i in range(100)]
    f.write_text(json.dumps({"intents": [{"type": "x", "patterns": patterns, "cues": []}]}))
    with pytest.raises(ValueError, match="too many or too large"):
        IntentTable.load(f)


def test_character_classes_remember_a_bounded_number_of_characters():
    p = SafePattern([r"[^\W\d]+z"])
    text = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 20_000))  # 20k distinct letters
    assert p.search(text) is None
    assert all(len(pred.memo) <= 4096 for pred in p._prog.preds.values())


_ATOMS = st.sampled_from(["a", "b", ".", "[ab]", "[^a]", r"\w", r"\s", "A", " ", r"\b", r"\B", "^", "$", r"\Z"])


def _regexes():
    return st.recursive(_ATOMS, lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map("".join),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{1,2}", "{2}", "{0,3}", "??", "*?", "+?"])).map(
            lambda t: f"(?:{t[0]}){t[1]}"),
        st.tuples(st.sampled_from(["(?=", "(?!", "(?=.*", "(?!.*"]), _ATOMS, inner).map(
            lambda t: f"{t[0]}{t[1]}){t[2]}"),
    ), max_leaves=8)


@given(_regexes(), st.lists(st.text(alphabet="ab A\n", max_size=8), min_size=1, max_size=4))
@settings(max_examples=500, deadline=None)
def test_random_regexes_match_exactly_like_re(pattern, texts):
    """Differential test of the linear-time matcher against re on random patterns and texts."""
    try:
        safe = SafePattern([pattern])
    except UnsafePatternError as exc:
        assert "empty string" in str(exc) or "lookahead" in str(exc)
        return
    ref = re.compile(pattern, re.IGNORECASE)
    for text in texts:
        m, r = safe.search(text), ref.search(text)
        assert (m.span() if m else None) == (r.span() if r else None), (pattern, text)
        spans = [x.span() for x in ref.finditer(text)]
        if all(a < b for a, b in spans):
            assert [x.span() for x in safe.finditer(text)] == spans, (pattern, text)


def test_repeating_what_can_match_nothing_is_refused():
    for pattern in [r"(a?)*", r"(?:\s*)+x", r"(?:(?=a))*", r"(a|)+"]:
        with pytest.raises(UnsafePatternError, match="empty string"):
            SafePattern([pattern])
    SafePattern([r"(a?)?", r"(?:\s*x)+"])  # an optional part, or a loop that always consumes, is fine
