"""The integrations are optional: the core never imports them."""

import subprocess
import sys

CODE = """
import sys
import pandas as pd
import spasmqa
from spasmqa.cli import main
from spasmqa.evaluate import evaluate
qa = spasmqa.QA.from_texts(["Heat relaxes a spasm.", "Ice numbs pain."])
qa.ask("heat spasm"); qa.search(["heat"])
run = pd.DataFrame({"qid": ["1"], "docno": ["0"], "score": [1.0]})
evaluate(run, pd.DataFrame({"qid": ["1"], "docno": ["0"], "label": [1]}), ["nDCG@10", "RR", "AP", "P@5", "R@5"])
main(["ask", "what causes lower back spasms", "--format", "jsonl"])
import spasmqa.shards, spasmqa.shard_load  # the sharded build and loader import Dask only when they run
loaded = sorted(m for m in ("pyterrier", "langchain_core", "ir_measures", "jnius", "dask", "distributed")
                if m in sys.modules)
print("LOADED", loaded)
"""


def test_core_imports_no_integration():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"
