import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.corpus import load_corpus
from spasmqa.passages import SentenceSplitter, is_fragment


def texts(text, **kw):
    return [text[s.start:s.end] for s in SentenceSplitter(**kw).split(text)]


def test_bullets_are_separators_not_content():
    assert texts("How will a chiropractor help? · Physical Therapy – corrects imbalances. · Massage helps.") == [
        "How will a chiropractor help?", "Physical Therapy – corrects imbalances.", "Massage helps."]


def test_short_bullet_items_stay_together():
    assert texts("What are spasms? · Skin Redness · Swelling · Weakness. Then more.") == [
        "What are spasms?", "Skin Redness · Swelling · Weakness.", "Then more."]


def test_dash_before_capital_splits_heading():
    spans = SentenceSplitter().split("Sit on an incline — Sitting up straight puts pressure on the back.")
    text = "Sit on an incline — Sitting up straight puts pressure on the back."
    assert [text[s.start:s.end] for s in spans] == ["Sit on an incline", "Sitting up straight puts pressure on the back."]
    assert spans[0].heading


def test_dash_before_lower_case_does_not_split():
    assert texts("Back spasms can occur in any part of the back — lower.") == [
        "Back spasms can occur in any part of the back — lower."]


def test_run_on_heading():
    spans = SentenceSplitter().split("Back spasm causes Some simple things cause spasms.")
    assert spans[0].heading and (spans[0].start, spans[0].end) == (0, 17)


@pytest.mark.parametrize("sentence", ["Compare A with B now.", "We compare A vs. B here.", "Let A be a set.",
                                      "Set The flag to on."])
def test_a_capitalised_word_after_a_verb_is_no_run_on_heading(sentence):
    """A run-on heading's sentence opens with a word and at least two lower-case
    words ("Some simple things"); a lone "A" or "The" before a name does not."""
    assert texts(sentence) == [sentence]


def test_enumerators_are_dropped():
    assert texts("Intro here. 2. Cold Therapy. Ice helps.") == ["Intro here.", "Cold Therapy.", "Ice helps."]


def test_question_heading_flag_and_fragments():
    spans = SentenceSplitter().split("What are back spasms? Stretching prior to any. Low. Drink water daily.")
    assert [s.heading for s in spans] == [True, False, False, False]
    assert [s.fragment for s in spans] == [False, True, True, False]


def test_is_fragment():
    assert is_fragment("Stretching prior to any.")
    assert is_fragment("However, these types of problems are.")
    assert is_fragment("(bed rest for longer than a day can.")
    assert not is_fragment("Keeping the body hydrated is the best way to avoid spasms.")
    # A sentence that refers back and says next to nothing of its own.
    assert is_fragment("This is because the spasm.")
    assert not is_fragment("This muscle runs from the top of the pelvis to the bottom of the ribs.")
    assert not is_fragment("They can last anywhere from a few seconds to several minutes.")


def test_without_web_rules_punkt_only():
    assert texts("A b c. · D e f.", web_rules=False) == ["A b c.", "· D e f."]


def test_trained_punkt_is_deterministic():
    corpus = load_corpus()
    docs = [d.text for d in corpus.values()]
    a = SentenceSplitter(punkt="train").fit(docs)
    b = SentenceSplitter(punkt="train").fit(docs)
    assert [a.split(t) for t in docs] == [b.split(t) for t in docs]


def test_default_corpus_spans_are_exact_and_clean():
    splitter = SentenceSplitter()
    for doc in load_corpus().values():
        for s in splitter.split(doc.text):
            piece = doc.text[s.start:s.end]
            assert piece == piece.strip() and piece
            assert "·" not in piece or piece.count("·") >= 2  # only merged short lists keep bullets


alphabet = st.sampled_from(list(string.ascii_letters + "  ..?!·–—-\n\t,;:()\"'’“”0123456789") + ["é", "ß", "中", "🙂", "\u200f", "\x00", "\r"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=alphabet, max_size=400) | st.text(max_size=300))
def test_spans_reproduce_text_for_any_input(text):
    for web_rules in (True, False):
        spans = SentenceSplitter(web_rules=web_rules).split(text)
        last = 0
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
            assert s.start >= last  # ordered, non-overlapping
            last = s.end
            piece = text[s.start:s.end]
            assert piece.strip() == piece


# -- issue #14, defect 2: complete sentences that end on a pronoun -----------

QUICKSTART = "Night cramps often hit the calf muscles. Stretching the calf before bed can prevent them."


def test_sentence_ending_on_object_pronoun_is_not_a_fragment():
    assert not is_fragment("Stretching the calf before bed can prevent them.")
    assert not is_fragment("You can stretch it.")
    assert not is_fragment("Doctors recommend them.")
    assert not is_fragment("A physiotherapist will show you how to do it!")
    assert not is_fragment("Most people recover without treatment, but a doctor can help you.")


def test_real_fragments_stay_fragments():
    for piece in ("and more.", "Read more", "Stretching prior to any.", "However, these types of problems are.",
                  "(bed rest for longer than a day can.", "Low.", "It.", "Stop it.", "This is because of it.",
                  "Heat pad", "Ice packs, heat wraps and", "Weak or stiff muscles in the back itself."):
        assert is_fragment(piece), piece
    # Without a full stop the pronoun ending proves nothing: a cut-off snippet.
    assert is_fragment("Stretching the calf before bed can prevent them")
    # A title-case line without a verb is a heading, not a sentence.
    spans = SentenceSplitter().split("Back Spasm Causes")
    assert [(s.heading, s.fragment) for s in spans] == [(True, False)]


def test_quickstart_pronoun_sentence_is_cited():
    import spasmqa

    spans = SentenceSplitter().split(QUICKSTART)
    assert [s.fragment for s in spans] == [False, False]
    ans = spasmqa.QA.from_texts([QUICKSTART]).ask("prevent night cramps")
    cited = [p.text for p in ans.passages]
    assert "Stretching the calf before bed can prevent them." in cited
    assert not any(p.is_fragment for p in ans.passages)
    assert "Stretching the calf before bed can prevent them." in ans.text


# -- issue #14, defect 5: abbreviations and version numbers in technical text -


def test_abbreviations_that_never_end_a_sentence_do_not_split():
    assert texts("Use a flag (e.g. -O2) to optimise. Then run it.") == [
        "Use a flag (e.g. -O2) to optimise.", "Then run it."]
    assert texts("Compile it, i.e. run make. Then test.") == ["Compile it, i.e. run make.", "Then test."]
    assert texts("Tabs vs. spaces is an old fight. Tabs vs. Spaces again.") == [
        "Tabs vs. spaces is an old fight.", "Tabs vs. Spaces again."]
    assert texts("Pick a language, e.g. Python or Go. It works.") == [
        "Pick a language, e.g. Python or Go.", "It works."]
    assert texts("See Fig. 3 and the results of Smith et al. in 2020. Done.") == [
        "See Fig. 3 and the results of Smith et al. in 2020.", "Done."]


def test_version_numbers_do_not_split():
    assert texts("Install version 3.10.2 of Python. Then run it.") == [
        "Install version 3.10.2 of Python.", "Then run it."]
    assert texts("We need Node.js 18.x for this. It works.") == ["We need Node.js 18.x for this.", "It works."]
    assert texts("Get v1.2. then restart the server.") == ["Get v1.2. then restart the server."]
    assert texts("Run 3.x. then stop.") == ["Run 3.x. then stop."]
    assert texts("Call fs.readFile. then wait for the callback.") == ["Call fs.readFile. then wait for the callback."]


def test_real_sentence_ends_after_abbreviations_and_versions_stay():
    # Punkt stays the reference: a capital after "etc." or a version ends the sentence.
    assert texts("Fruit, vegetables, etc. The next day was fine.") == [
        "Fruit, vegetables, etc.", "The next day was fine."]
    assert texts("Fruit, vegetables, etc. and more besides.") == ["Fruit, vegetables, etc. and more besides."]
    assert texts("Upgrade to v1.2. Then restart.") == ["Upgrade to v1.2.", "Then restart."]
    assert texts("Requires Node.js 18.x. Install it first.") == ["Requires Node.js 18.x.", "Install it first."]
    # Lower case alone is no evidence in web text ("good stuff. works well.").
    assert texts("Good stuff. works well.") == ["Good stuff.", "works well."]
    # A blank line is a boundary whatever precedes it.
    assert texts("For example, e.g.\n\nNext paragraph here.") == ["For example, e.g.", "Next paragraph here."]
    # Without web rules the passages are Punkt's own sentences.
    assert texts("Use a flag (e.g. -O2) to optimise.", web_rules=False) == ["Use a flag (e.g.", "-O2) to optimise."]


_tech_piece = st.sampled_from(["e.g. ", "(e.g. ", "i.e. ", "vs. ", "etc. ", "v1.2. ", "3.10.2 ", "Node.js ", "18.x. ",
                               "Fig. ", "et al. ", "The ", "then ", "Python ", "it. ", "\n\n", ". ", "x", " "])


@settings(max_examples=200, deadline=None)
@given(st.lists(_tech_piece, max_size=40).map("".join))
def test_spans_stay_exact_with_technical_text(text):
    spans = SentenceSplitter().split(text)
    last = 0
    for s in spans:
        assert 0 <= last <= s.start < s.end <= len(text)
        piece = text[s.start:s.end]
        assert piece == piece.strip()
        last = s.end
    # Sentences are joined across a space, never across a blank line that Punkt cut at.
    punkt_blank = any("\n\n" in text[s.start:s.end] for s in SentenceSplitter(web_rules=False).split(text))
    assert punkt_blank or not any("\n\n" in text[s.start:s.end] for s in spans)
