import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spasmqa.corpus import Corpus, Document
from spasmqa.filters import MetadataTable, compile_filter

DOCS = [
    Document("a", "x", metadata={"source": "cmake", "year": 2019, "lang": "en", "draft": False, "score": 0.5}),
    Document("b", "x", metadata={"source": "cmake", "year": 2021, "lang": "de", "draft": True}),
    Document("c", "x", metadata={"source": "make", "year": 2020.0, "lang": "fr", "score": None}),
    Document("d", "x"),
]


def ids(mask):
    return [d.doc_id for d, m in zip(DOCS, mask) if m]


def test_mask_is_a_boolean_array_over_documents():
    m = compile_filter({"source": "cmake"}, DOCS)
    assert isinstance(m, np.ndarray) and m.dtype == bool and m.shape == (4,)
    assert ids(m) == ["a", "b"]
    assert ids(compile_filter(None, DOCS)) == ["a", "b", "c", "d"]
    assert ids(compile_filter({}, DOCS)) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("where,expect", [
    ({"source": "cmake", "year": (2020, None)}, ["b"]),
    ({"year": (2020, 2020)}, ["c"]),                 # inclusive, int and float compare as numbers
    ({"year": (None, 2020)}, ["a", "c"]),
    ({"lang": ["en", "de"]}, ["a", "b"]),
    ({"lang": ("d", "e")}, ["b"]),                    # string range
    ({"draft": True}, ["b"]),
    ({"draft": False}, ["a"]),                        # False is not 0, missing is not False
    ({"score": None}, ["b", "c", "d"]),               # None matches null or missing
    ({"year": 2020}, ["c"]),
    ({"source": lambda s: s.endswith("make")}, ["a", "b", "c"]),
    ({"source": "cmake", "lang": ["fr"]}, []),
])
def test_conditions(where, expect):
    assert ids(compile_filter(where, DOCS)) == expect


@pytest.mark.parametrize("where,exc,msg", [
    ({"sorce": "cmake"}, ValueError, r"unknown metadata field 'sorce'.*known fields: draft, lang, score, source, year"),
    ({"year": "2020"}, TypeError, r"'year': value '2020' is a str, but the field holds number"),
    ({"year": ("2019", None)}, TypeError, "is a str, but the field holds number"),
    ({"lang": 3}, TypeError, "the field holds str"),
    ({"draft": 1}, TypeError, "holds bool"),
    ({"year": (2022, 2020)}, ValueError, "empty range"),
    ({"year": (None, None)}, ValueError, "at least one end"),
    ({"year": (1, 2, 3)}, ValueError, "a range is a"),
    ({"lang": []}, ValueError, "empty list"),
    ({"lang": {"en": 1}}, TypeError, "use a list"),
    ({"lang": [object()]}, TypeError, "must be a str, number, bool or None"),
    ({"year": float("nan")}, ValueError, "NaN"),
    ({"source": lambda s: s.nope()}, ValueError, "predicate on 'source' failed"),
    (["source"], TypeError, "mapping"),
])
def test_errors_are_loud(where, exc, msg):
    with pytest.raises(exc, match=msg):
        compile_filter(where, DOCS)


def test_unknown_field_without_metadata():
    with pytest.raises(ValueError, match="no document has metadata"):
        compile_filter({"x": 1}, [Document("a", "b")])


def test_table_reuse_and_mappings():
    table = MetadataTable.from_documents(DOCS)
    assert table.fields == ("draft", "lang", "score", "source", "year") and len(table) == 4
    assert ids(table.mask({"lang": "de"})) == ["b"]
    assert list(compile_filter({"k": 1}, [{"k": 1}, {"k": 2}])) == [True, False]


def test_filter_over_loaded_frame():
    import pandas as pd

    corpus = Corpus.from_frame(pd.DataFrame({"id": ["x", "y"], "text": ["a", "b"], "year": [2019, 2023]}))
    assert list(compile_filter({"year": (2020, None)}, corpus.values())) == [False, True]


@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=30), st.integers(-5, 5),
       st.integers(-5, 5))
def test_range_matches_a_python_oracle(values, lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    rows = [{"v": v} for v in values]
    if all(v is None for v in values):
        with pytest.raises(TypeError):
            compile_filter({"v": (lo, hi)}, rows)
        return
    got = compile_filter({"v": (lo, hi)}, rows)
    assert list(got) == [v is not None and lo <= v <= hi for v in values]
    assert list(compile_filter({"v": [lo, hi]}, rows)) == [v in (lo, hi) for v in values]
