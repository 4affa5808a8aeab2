"""Helpers of the sharded-index tests: build inputs, and the comparison with an unsharded build."""

from __future__ import annotations

import numpy as np

import spasmqa
from spasmqa.answer import normalize_text
from spasmqa.parallel import IndexOptions
from spasmqa.parts import resolve_settings
from spasmqa.passages import SentenceSplitter
from spasmqa.settings import Settings

SENTENCES = ["Heat helps a sore back.", "Ice helps swelling.", "This lasts a day.", "Rest.", "What helps?",
             "Stretch daily, gently.", "Spasms in the lower back hurt.", "A physio can help with spasms.",
             "Drink water and rest.", "Heat or ice?"]


def inputs(corpus: spasmqa.Corpus, **options):
    """(docs, options, settings) for a sharded build, as QA(corpus, settings) resolves them."""
    settings = resolve_settings(Settings.from_options(options), corpus, building=True)
    splitter = SentenceSplitter(punkt=settings.punkt, web_rules=settings.web_rules)
    splitter.fit(d.text for d in corpus.values())
    opts = IndexOptions(unit=settings.unit, title_boost=settings.title_boost, stop_words=settings.stop_words,
                        stem=settings.stem, splitter=splitter, language=settings.language)
    return list(corpus.values()), opts, settings


def random_texts(rng: np.random.Generator, n_docs: int = 30) -> list[str]:
    return [" ".join(rng.choice(SENTENCES, size=int(rng.integers(1, 6)))) + f" Note {int(rng.integers(0, 9))}."
            for _ in range(n_docs)]


def check_same_as_unsharded(sharded, qa: spasmqa.QA) -> None:
    """Global term and unit ids, statistics and (re-weighted) postings equal the unsharded build's."""
    index, table = qa.index_, qa.table_
    assert sharded.shards[0].segment.index.terms_ == index.terms_
    assert sharded.vocabulary == index.vocabulary_
    local = index.local_stats()
    assert sharded.stats.n_units == local.n_units
    np.testing.assert_array_equal(sharded.stats.doc_freq, local.doc_freq)
    assert sharded.stats.total_length == local.total_length
    seen = np.zeros(index.n_units, dtype=bool)
    offset = 0
    for shard in sharded.shards:
        st, si = shard.segment.table, shard.segment.index
        assert shard.doc_offset == offset
        offset += len(st.documents)
        ug = shard.unit_global
        seen[ug] = True
        for u, g in enumerate(ug.tolist()):  # the same passage text under the same global id
            assert normalize_text(st.unit_text(u)) == normalize_text(table.unit_text(g))
        first = table.unit_first_occ[ug]
        np.testing.assert_array_equal(shard.unit_global_fragment, table.occ_fragment[first])
        np.testing.assert_array_equal(shard.unit_global_heading, table.occ_heading[first])
        np.testing.assert_array_equal(si.counts_.toarray(), index.counts_[:, ug].toarray())
        np.testing.assert_allclose(si.postings_.toarray(), index.postings_[:, ug].toarray(), rtol=1e-6, atol=1e-6)
    assert seen.all() and offset == len(qa.corpus)
    assert [d.doc_id for d in sharded.corpus.values()] == list(qa.corpus.documents)
