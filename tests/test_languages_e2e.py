"""Indexes in German and French, end to end: analysis, answers, spans, save and load."""

from __future__ import annotations

import pytest

import spasmqa

DE = ["Rückenschmerzen entstehen oft durch verspannte Muskeln. Wärme hilft bei Krämpfen im Rücken.",
      "Bei starken Schmerzen sollten Sie einen Arzt aufsuchen. Dehnübungen beugen neuen Krämpfen vor."]
FR = ["Le mal de dos vient souvent des muscles contractés. L'eau chaude soulage les crampes du dos.",
      "Consultez un médecin si la douleur persiste. Les étirements préviennent les nouvelles crampes."]


@pytest.mark.parametrize("language,texts,question,want", [
    ("de", DE, "Was hilft gegen Krämpfe im Rücken?", "Wärme hilft bei Krämpfen im Rücken."),
    ("german", DE, "Wann sollte ich zum Arzt?", "Bei starken Schmerzen sollten Sie einen Arzt aufsuchen."),
    ("fr", FR, "Qu'est-ce qui soulage les crampes ?", "L'eau chaude soulage les crampes du dos."),
    ("french", FR, "Quand consulter un médecin ?", "Consultez un médecin si la douleur persiste."),
])
def test_answers_in_the_corpus_language(tmp_path, language, texts, question, want):
    qa = spasmqa.QA.from_texts(texts, language=language)
    assert qa.settings.punkt == "train" and qa.settings.intents is False and qa.settings.synonyms is False
    answer = qa.ask(question, k=3)
    top = answer.passages[0]
    assert top.text == want
    assert qa.corpus[top.doc_id].text[top.start:top.end] == top.text
    qa.save(tmp_path / "i")
    loaded = spasmqa.QA.load(tmp_path / "i")
    assert loaded.settings.language == qa.settings.language
    assert [p.id for p in loaded.ask(question, k=3)] == [p.id for p in answer]


def test_stop_words_and_stems_follow_the_language():
    de = spasmqa.QA.from_texts(DE, language="de").analyzer_
    assert de("die Krämpfe und der Rücken") == ["krampf", "ruck"]
    fr = spasmqa.QA.from_texts(FR, language="fr").analyzer_
    assert fr("l'eau et les crampes") == ["eau", "cramp"]
    en = spasmqa.QA.from_texts(["x"]).analyzer_
    assert en("die Krämpfe") == ["die", "krämpfe"]  # neither a stop word nor a stem in English


def test_an_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unsupported language 'klingon'"):
        spasmqa.QA.from_texts(["x"], language="klingon")
