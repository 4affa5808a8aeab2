"""The restructured pipeline answers exactly as the code it replaced.

``tests/data/golden_answers.json`` holds the answers (k=10) and search runs
(k=20, both levels) of spasmqa 0.1.0 for every shipped question, under five
configurations that between them exercise every scoring path (see
``tests/golden.py``). Passages, spans, sources, flags, context and answer text
must be identical; scores and confidence equal to 1e-6.
"""

from __future__ import annotations

import json

import pytest
from golden import CONFIGS, GOLDEN, questions, snapshot

import spasmqa

EXPECTED = json.loads(GOLDEN.read_text(encoding="utf-8"))


def _same(got, want, path="") -> None:
    if isinstance(want, float) or isinstance(got, float):
        assert got == pytest.approx(want, abs=1e-6), path
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{path}[{i}]")
    elif isinstance(want, dict):
        assert set(got) == set(want), path
        for key in want:
            _same(got[key], want[key], f"{path}.{key}")
    else:
        assert got == want, path


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_answers_unchanged(name):
    qa = spasmqa.QA.from_corpus(**CONFIGS[name])
    got = json.loads(json.dumps(snapshot(qa, questions())))
    _same(got, EXPECTED[name], name)
