"""Hostile text: passage splitting and question matching stay linear; behaviour on real text is unchanged."""

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.corpus import load_corpus
from spasmqa.passages import _WORD, MAX_PASSAGE_CHARS, SentenceSplitter, _dash_cuts

DATA = Path(__file__).parent / "data"


def _check_spans(text, spans):
    for s in spans:
        piece = text[s.start:s.end]
        assert piece and piece == piece.strip()
        assert s.end - s.start <= MAX_PASSAGE_CHARS
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


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
