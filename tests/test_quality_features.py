"""Answer-quality features: context, fragments, expansion, intents, answer text."""

import json
import re

import pytest

import spasmqa
from spasmqa import QA
from spasmqa.expansion import IntentTable, SynonymTable, is_question

PLAIN = dict(synonyms=False, intents=False, heading_weight=0.0, heading_penalty=0.0)


def texts(answer):
    return [p.text for p in answer.passages]


def test_defaults_use_shipped_synonyms_only_for_the_default_corpus(qa):
    assert qa.settings.synonyms is True
    other = QA.from_texts(["Back spasms hurt."])
    assert other.settings.synonyms is False


def test_physio_finds_physical_therapy(qa):
    # "physio" never occurs in the corpus; without synonyms only "help" matches.
    plain = texts(QA.from_corpus(**PLAIN).ask("can a physio help", k=1))[0]
    assert "hysical" not in plain
    ans = qa.ask("can a physio help", k=5)
    assert texts(ans)[0] == "Physical therapists recommend this stretch."
    assert not ans.low_confidence  # matched through its synonyms


def test_lay_word_stomach_finds_abdominal(qa):
    assert "Those who have weak abdominal muscles" in texts(qa.ask("can weak stomach muscles cause back spasms", k=3))[0]


@pytest.mark.parametrize("question,expected", [
    ("can a chiro fix back spasms", "chiropractor"), ("do tight abs cause back spasms", "abdominal"),
    ("what meds help back spasms", "medicines"), ("is a hot bath good for a back spasm", "heat"),
])
def test_lay_words(qa, question, expected):
    # Found in a top passage or in the heading it answers.
    top = qa.ask(question, k=2).passages
    assert any(expected in p.text or expected in (p.context.heading or "") for p in top)


def test_synonym_group_counts_its_best_member_once(qa):
    # "cramps" is not in the corpus: it stands for spasm/twinge/contraction.
    # The definition naming "contraction, twinge" must not outscore the
    # passages about water by counting three synonyms of one word.
    ans = qa.ask("does drinking water help with cramps", k=3)
    assert "Keeping the body hydrated is the best way to avoid spasms." in texts(ans)


def test_synonym_phrase_triggers_as_a_whole(qa):
    triggers = qa.expander_._triggers(qa.analyzer_("pain in my lower back"))
    assert ("lower", "back") in triggers
    assert not any(t == ("back",) for t in triggers)


def test_synonym_table_compiles_phrases_with_split_weight():
    table = SynonymTable([["physio", "physical therapy"]]).compile(spasmqa.Analyzer())
    assert table[("physio",)] == [{"physic": 0.5, "therap": 0.5}]
    assert table[("physic", "therap")] == [{"physio": 1.0}]  # a phrase triggers as a whole
    assert ("physic",) not in table


@pytest.mark.parametrize("question,intent", [
    ("what causes lower back spasms", "cause"), ("how long do back spasms last?", "duration"),
    ("how can I prevent back spasms", "prevention"), ("are back spasms dangerous", "severity"),
    ("how do I treat a back spasm at home", "treatment"), ("where is the quadratus lumborum", "location"),
    ("when should I see a doctor about my back", "when"), ("what is a lumbar strain", "definition"),
    ("what are the symptoms of a back spasm", "symptom"),
    ("Dehydration causes muscle spasms.", None),  # a statement, not a question
    # lay phrasings beyond the labelled questions
    ("what's the fastest way to get rid of a back spasm", "treatment"), ("how do I stop a back spasm", "treatment"),
    ("how can I ease lower back spasms", "treatment"), ("what works for muscle spasms", "treatment"),
    ("what brings on back spasms", "cause"), ("how do you get back spasms", "cause"),
    ("when will my back spasm go away", "duration"), ("do back spasms go away on their own", "duration"),
    ("is a back spasm an emergency", "when"), ("how do I keep back spasms from coming back", "prevention"),
    ("should I worry about back spasms", "severity"), ("what does lumbar mean", "definition"),
    ("does heat help with a disease", "treatment"),  # "ease" inside "disease" is not a match; "help" is
])
def test_intents(qa, question, intent):
    assert qa.expander_.intent(question) == intent


def test_is_question():
    assert is_question("Can ice help?") and is_question("how long do they last")
    assert not is_question("ALDH1 expression is associated with poor prognosis.")


def test_cause_intent_prefers_result_from():
    without = QA.from_corpus(intents=False)
    target = "Lower back spasms often result from inflammation or physical injuries."
    rank = lambda a: texts(a).index(target) if target in texts(a) else 99
    assert rank(QA.from_corpus().ask("what causes lower back spasms", k=10)) < rank(
        without.ask("what causes lower back spasms", k=10))


def test_heading_context_lifts_bullets_under_a_question_heading(qa):
    # The bullet shares no word with "neck" except through its heading.
    ans = qa.ask("what are the causes of neck spasms", k=3)
    assert "Inflammation or any kind of strain or injury to the muscles, tendons or ligaments in the back." in texts(ans)
    plain = QA.from_corpus(**PLAIN).ask("what are the causes of neck spasms", k=3)
    assert "Inflammation or any kind of strain or injury to the muscles, tendons or ligaments in the back." not in texts(plain)


def test_anaphora_context():
    qa = QA.from_texts(["The quadratus lumborum is a deep muscle. This muscle runs from the pelvis to the ribs."],
                       anaphora_weight=0.5, heading_weight=0.0)
    ans = qa.ask("quadratus lumborum", k=2)
    assert "This muscle runs from the pelvis to the ribs." in texts(ans)
    off = QA.from_texts(["The quadratus lumborum is a deep muscle. This muscle runs from the pelvis to the ribs."],
                        anaphora_weight=0.0, heading_weight=0.0)
    assert "This muscle runs from the pelvis to the ribs." not in texts(off.ask("quadratus lumborum", k=2))


def test_passage_context_and_fragment_flags(qa):
    ans = qa.ask("stretching prior to any", k=3)
    frag = next(p for p in ans if p.text == "Stretching prior to any.")
    assert frag.is_fragment
    assert frag.context.before == "Keeping the body hydrated is the best way to avoid spasms."
    assert frag.context.after.startswith("Overusing your back muscles")


def test_fragment_penalty_ranks_complete_sentence_first():
    docs = ["Heat helps spasms in the.", "Heat helps spasms a lot."]
    assert QA.from_texts(docs, fragment_penalty=0.0).ask("heat spasms", k=2)[0].text == docs[0]
    assert QA.from_texts(docs, fragment_penalty=0.5).ask("heat spasms", k=2)[0].text == docs[1]


def test_mmr_diversifies():
    docs = ["Ice helps back spasms.", "Ice really helps back spasms.", "Ice truly helps back spasms.",
            "Heat also helps back spasms."]
    plain = QA.from_texts(docs, near_duplicate=1.01, mmr_lambda=1.0).ask("ice helps back spasms", k=2)
    mmr = QA.from_texts(docs, near_duplicate=1.01, mmr_lambda=0.3).ask("ice helps back spasms", k=2)
    assert "Heat also helps back spasms." not in texts(plain)
    assert "Heat also helps back spasms." in texts(mmr)


def test_answer_text_cites_verifiable_passages(qa):
    ans = qa.ask("how long do back spasms last", k=5)
    assert ans.text and not ans.low_confidence
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", ans.text)]
    assert cited and all(1 <= n <= len(ans) for n in cited)
    for n in cited:
        p = ans.passages[n - 1]
        assert f"{p.text} [{n}]" in ans.text
        assert qa.corpus[p.doc_id].text[p.start:p.end] == p.text
    assert "They can last anywhere from a few seconds to several minutes." in ans.text


def test_confidence(qa):
    assert qa.ask("what is a lumbar strain").confidence == 1.0
    weak = qa.ask("quantum zebra back", k=3)
    assert weak.low_confidence and "[low confidence]" in str(weak)
    none = qa.ask("quantum zebra")
    assert none.confidence == 0.0 and none.text == ""


def test_prf_runs_and_keeps_spans():
    qa = QA.from_corpus(prf=True)
    ans = qa.ask("what causes lower back spasms", k=5)
    assert len(ans) == 5
    for p in ans:
        assert qa.corpus[p.doc_id].text[p.start:p.end] == p.text


def test_custom_tables_are_saved_with_the_index(tmp_path):
    syn = tmp_path / "syn.json"
    syn.write_text(json.dumps({"groups": [["zebra", "spasm"]]}))
    qa = QA.from_corpus(synonyms=str(syn))
    assert len(qa.ask("zebra", k=3)) == 3
    qa.save(tmp_path / "idx")
    syn.unlink()  # the index carries its own copy
    loaded = QA.load(tmp_path / "idx")
    assert [p.id for p in loaded.ask("zebra", k=3)] == [p.id for p in qa.ask("zebra", k=3)]


@pytest.mark.parametrize("content,msg", [("{bad", "not a valid synonyms file"), ('{"groups": [1]}', "list of lists"),
                                         ("[]", "JSON object")])
def test_bad_synonym_files(tmp_path, content, msg):
    f = tmp_path / "s.json"
    f.write_text(content)
    with pytest.raises(ValueError, match=msg):
        SynonymTable.load(f)
    with pytest.raises(FileNotFoundError):
        SynonymTable.load(tmp_path / "missing.json")


def test_bad_intent_file(tmp_path):
    f = tmp_path / "i.json"
    f.write_text(json.dumps({"intents": [{"type": "x", "patterns": ["("], "cues": []}]}))
    with pytest.raises(ValueError, match="not a valid regular expression"):
        IntentTable.load(f)


def test_anaphora_context_lifts_the_sentence_that_refers_back(qa):
    # "This muscle runs ..." names neither "QL" nor "quadratus lumborum":
    # it inherits from the sentence before it.
    target = "This muscle runs from the top of the pelvis to the bottom of the ribs."
    assert target in texts(qa.ask("what is the QL muscle", k=3))
    assert target not in texts(QA.from_corpus(anaphora_weight=0.0).ask("what is the QL muscle", k=5))


def test_fragments_inherit_nothing_from_the_sentence_before(qa):
    # "This is because the spasm." refers back but is cut off: no context flow.
    u = qa.passages_frame().set_index("text").loc["This is because the spasm.", "unit"]
    places = qa.scorer_.places
    assert not (places.target == int(u)).any()


@pytest.mark.parametrize("question", [
    "how long does a back spasm go on for",    # "how long" covered by "last", "minutes"
    "does drinking water help with cramps",    # the phrase "drinking water" by "hydrated"
    "how do I stop getting back spasms",       # "stop getting" asks for prevention: "avoid"
])
def test_confidence_counts_intent_cues_and_phrase_synonyms(qa, question):
    assert not qa.ask(question).low_confidence


def test_covered_terms(qa):
    e = qa.expander_
    terms = qa.analyzer_("how long do back spasms last")
    assert e.covered("how long do back spasms last", terms, {"second", "minut"}) == {"long", "last"}
    # A statement has no intent: its words are covered only by themselves.
    assert e.covered("Spasms last long.", qa.analyzer_("Spasms last long."), {"minut"}) == set()
    drink = qa.analyzer_("drinking water")
    assert e.covered("does drinking water help", drink, {"hydrat"}) == set(drink)


def test_anaphora_never_lifts_a_passage_past_its_antecedent():
    # Documents ranked by their best sentence keep their scores (SciFact's
    # passage mode): anaphora moves a sentence towards its antecedent only.
    texts_ = ["Quadratus lumborum is a deep muscle. This muscle runs from the pelvis to the ribs.",
              "Ribs protect the lungs. It is known. They bend when you breathe and the pelvis stays still."]
    questions = ["quadratus lumborum", "ribs pelvis", "what is the quadratus lumborum muscle"]
    with_ = QA.from_texts(texts_, anaphora_weight=0.7, heading_weight=0.0).search(questions, level="document")
    without = QA.from_texts(texts_, anaphora_weight=0.0, heading_weight=0.0).search(questions, level="document")
    assert with_[["qid", "docno"]].equals(without[["qid", "docno"]])
    assert with_.score.to_numpy() == pytest.approx(without.score.to_numpy())
    units = QA.from_texts(texts_, anaphora_weight=0.7, heading_weight=0.0).search(["quadratus lumborum"], level="unit")
    plain = QA.from_texts(texts_, anaphora_weight=0.0, heading_weight=0.0).search(["quadratus lumborum"], level="unit")
    assert len(units) > len(plain)  # "This muscle runs ..." now answers; it did not match at all
