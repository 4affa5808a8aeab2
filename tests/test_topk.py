"""Top-k selection (spasmqa.topk) against a full sort under the documented tie rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmqa.topk import top_k


def reference(cols, vals, k):
    """Positive values only, value descending, then column ascending; the first k."""
    pairs = sorted((-v, c) for c, v in zip(cols.tolist(), vals.tolist()) if v > 0)[:k]
    return [c for _, c in pairs], [-v for v, _ in pairs]


@settings(max_examples=300, deadline=None)
@given(vals=st.lists(st.sampled_from([-1.0, 0.0, 0.25, 0.5, 0.5, 1.0, 2.0]) | st.floats(-2, 2), max_size=40),
       k=st.integers(1, 45), seed=st.integers(0, 2**16))
def test_top_k_equals_a_full_sort(vals, k, seed):
    vals = np.asarray(vals, dtype=np.float64)
    cols = np.random.default_rng(seed).permutation(len(vals) * 3)[:len(vals)]
    got_c, got_v = top_k(cols, vals, k)
    want_c, want_v = reference(cols, vals, k)
    assert got_c.tolist() == want_c
    assert got_v.tolist() == want_v
