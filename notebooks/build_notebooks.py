"""Write the notebooks' cells (run from the repository root):

    python notebooks/build_notebooks.py && python notebooks/build_notebooks.py --execute

``--execute`` runs them in place so they are committed with real outputs.
"""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

QUICKSTART = [
    new_markdown_cell("""# spasmqa quickstart

Ask questions of a corpus and get back ranked sentence passages with **provenance**: the document,
the exact character span, and every other place the same text occurs. The default corpus (web snippets
about back and muscle spasms) ships with the library, so this notebook runs without any setup."""),
    new_code_cell("""import spasmqa

qa = spasmqa.QA.from_corpus()   # the shipped corpus; pass paths for your own
qa"""),
    new_markdown_cell("""## Ask a question

An answer shows a short extractive summary with citation markers `[n]`, then the ranked passages with
their score, document, character span and how many places each passage occurs in. The question's
terms are highlighted (after stemming: *spasms* matches *spasm*)."""),
    new_code_cell("""answer = qa.ask("what causes lower back spasms", k=5)
answer"""),
    new_code_cell("""for question in ["how long do back spasms last",
                 "can a physio help with back spasms",
                 "should I use ice or heat on a back spasm"]:
    display(qa.ask(question, k=3))"""),
    new_markdown_cell("""## As a DataFrame

One row per passage; `sources` lists every place the passage occurs."""),
    new_code_cell("""answer.to_frame()"""),
    new_markdown_cell("""## Context: headings and sentences that refer back

Web text answers a question in pieces: a heading asks it and the bullets under it answer it, or a
sentence names a muscle and the next one ("This muscle runs ...") says where it is. Every passage
knows its heading and neighbours (`passage.context`), and scoring uses them: a passage inherits part of
its heading's match, and a sentence that refers back moves towards the score of the one before it."""),
    new_code_cell("""for question in ["what is the QL muscle", "what are the causes of neck spasms"]:
    print(question)
    for p in qa.ask(question, k=3).passages:
        print(f"  {p.rank}. {p.text}")
        print(f"       sentence before: {p.context.before!r}")
        print(f"       heading above:   {p.context.heading!r}")
    print()"""),
    new_markdown_cell("""## Provenance

The corpus repeats some sentences. Exact duplicates come back **once**, with all their places in
`passage.sources`; every span can be checked against the document text."""),
    new_code_cell("""dup = qa.ask("lower back spasms result from inflammation", k=1).passages[0]
print(dup.text)
for source in dup.sources:
    text = qa.corpus[source.doc_id].text[source.start:source.end]
    print(f"  {source.doc_id} [{source.start}:{source.end}]  span reproduces the text: {spasmqa.normalize_text(text) == spasmqa.normalize_text(dup.text)}")"""),
    new_markdown_cell("""To judge a passage, read it where it stands: `qa.in_context` shows the sentences around it, the
passage highlighted."""),
    new_code_cell("""qa.in_context(dup.sources[1], sentences=2)"""),
    new_markdown_cell("""The citation markers of the answer text map to passages, and so to their spans:"""),
    new_code_cell("""import re
print(answer.text, f"(confidence {answer.confidence:.2f})")
for n in sorted({int(m) for m in re.findall(r"\\[(\\d+)\\]", answer.text)}):
    p = answer.passages[n - 1]
    assert qa.corpus[p.doc_id].text[p.start:p.end] == p.text
    print(f"[{n}] -> {p.doc_id} [{p.start}:{p.end}]")"""),
    new_markdown_cell("""## Your own documents

`QA.from_corpus` takes a file, a directory (searched recursively) or a list of them: `.txt` and `.md`
(one document per blank-line separated paragraph by default), `.jsonl` and `.csv` with `id` and `text`
fields. Here is a small directory made on the spot."""),
    new_code_cell("""import json, tempfile
from pathlib import Path

docs = Path(tempfile.mkdtemp()) / "my_docs"
docs.mkdir()
(docs / "cramps.md").write_text(
    "Night cramps often hit the calf muscles. Stretching the calf before bed can prevent them.\\n\\n"
    "Magnesium is sometimes suggested for cramps, but the evidence is mixed.", encoding="utf-8")
with open(docs / "faq.jsonl", "w", encoding="utf-8") as f:
    f.write(json.dumps({"id": "faq-1", "title": "Heat or ice?",
                        "text": "Use ice in the first two days after an injury, then heat."}) + "\\n")

mine = spasmqa.QA.from_corpus(docs)
print(mine, list(mine.corpus))
mine.ask("how do I prevent night cramps", k=2)"""),
    new_markdown_cell("""## Questions the corpus cannot answer

A question that shares no term with the corpus gets an empty answer (no zero-score filler); a question
that matches only weakly is marked as low confidence."""),
    new_code_cell("""display(qa.ask("what is the capital of France"))
display(qa.ask("is quantum computing good for back spasms", k=2))"""),
    new_markdown_cell("""## Save and load

An index is a directory of arrays and JSON (no pickle), with checksums; loading answers exactly as the
saved index did."""),
    new_code_cell("""path = Path(tempfile.mkdtemp()) / "back-index"
qa.save(path)
loaded = spasmqa.QA.load(path)
same = [p.id for p in loaded.ask("what causes lower back spasms")] == [p.id for p in answer]
print(sorted(f.name for f in path.iterdir()), "same answers:", same)"""),
    new_markdown_cell("""From a shell the same is `spasmqa ask "what causes lower back spasms"`, and
`spasmqa index DOCS --out INDEX` then `spasmqa ask --index INDEX "..."`."""),
]

BENCHMARKS = [
    new_markdown_cell("""# spasmqa benchmarks

Quality on the default corpus's labelled questions, and speed at growing corpus sizes next to the
libraries people use instead. Sizes here are small so the notebook runs in about a minute; the README
gives the commands and the measured tables at 10k, 100k and 1M passages and on SciFact."""),
    new_code_cell("""import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")  # bm25s imports tqdm.auto

sys.path.insert(0, str(Path.cwd().parent / "benchmarks"))
import matplotlib.pyplot as plt
import pandas as pd

import quality, speed"""),
    new_markdown_cell("""## Quality: configurations and answer-quality features

Two question sets ship with the library, both graded (2 = answers it, 1 = partly useful) by reading the
corpus: 36 *labelled* questions, on which the defaults were chosen, and 32 *check* questions written
afterwards in other words, to see whether a change generalises. Measures follow trec_eval; answers are
scored after de-duplication. Each row switches one feature against the defaults."""),
    new_code_cell("""rows = quality.run_ablation(log=lambda *a: None)
table = pd.DataFrame(rows).drop(columns="options").set_index("config")
table.round(3)"""),
    new_code_cell("""ax = table[["nDCG@5 labelled", "nDCG@5 check"]].iloc[::-1].plot.barh(figsize=(8, 6), color=["#4c72b0", "#dd8452"])
ax.set_xlabel("nDCG@5"); ax.set_xlim(0, 1); ax.set_title("Answer-quality features, default corpus")
ax.legend(loc="lower right")
plt.tight_layout()"""),
    new_markdown_cell("""## Speed: index build and query latency against corpus size

Synthetic passages with Zipf-distributed words (seeded); every library gets the same token lists, and
each runs in its own process (see `benchmarks/speed.py`)."""),
    new_code_cell("""queries = speed.synthetic_queries(300)
rows = []
for n in [1_000, 3_000, 10_000, 30_000]:
    rows += speed.bench_corpus(f"synthetic {n:,}", speed.synthetic_passages(n), queries,
                               list(speed.LIBRARIES), n_single=100, n_batch=300, log=lambda *a: None)
results = pd.DataFrame(rows)
results[["passages", "library", "build_s", "peak_mb", "p50_ms", "p95_ms", "batch_qps"]].round(3)"""),
    new_code_cell("""fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, group in results.groupby("library"):
    axes[0].loglog(group.passages, group.p50_ms, marker="o", label=name)
    axes[1].loglog(group.passages, group.build_s, marker="o", label=name)
axes[0].set(xlabel="passages", ylabel="median latency per query (ms)", title="Query latency, top 10")
axes[1].set(xlabel="passages", ylabel="index build (s)", title="Index build from tokens")
axes[0].legend()
plt.tight_layout()"""),
]


def write(name, cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"},
                                             "language_info": {"name": "python"}})
    nbformat.write(nb, HERE / name)


def execute(name):
    from nbclient import NotebookClient
    nb = nbformat.read(HERE / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    names = {"quickstart.ipynb": QUICKSTART, "benchmarks.ipynb": BENCHMARKS}
    if "--execute" in sys.argv:
        for name in names:
            execute(name)
    else:
        for name, cells in names.items():
            write(name, cells)
