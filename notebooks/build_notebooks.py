"""Write the notebooks' cells (run from the repository root):

    python notebooks/build_notebooks.py && python notebooks/build_notebooks.py --execute

``--execute`` runs them in place so they are committed with real outputs.
Name notebooks (``quickstart.ipynb`` ...) to write or run only those.
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
    new_markdown_cell("""spasmqa is imported from the installed package (`pip install ".[notebooks,bench]"`); nothing is
put on `sys.path`. The benchmark scripts in `benchmarks/` are not part of the package, so the next cell
loads `quality.py` and `speed.py` **by path, relative to this notebook** (`../benchmarks/`): run the
notebook from its place in a checkout, as Jupyter does when you open it there."""),
    new_code_cell("""import importlib.util
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import spasmqa

warnings.filterwarnings("ignore", message="IProgress not found")  # bm25s imports tqdm.auto

BENCHMARKS = Path("..") / "benchmarks"   # relative to this notebook


def load_script(name):
    \"\"\"Import ../benchmarks/<name>.py as a module, without adding the checkout to sys.path.\"\"\"
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


quality, speed = load_script("quality"), load_script("speed")
print("spasmqa", spasmqa.__version__, "· helpers:", *(f"{BENCHMARKS.as_posix()}/{n}.py" for n in ("quality", "speed")))"""),
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
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)  # below the axes, off the bars
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
shown = results[["passages", "library", "build_s", "peak_mb", "p50_ms", "p95_ms", "batch_qps"]].round(3)
shown.assign(peak_mb=shown.peak_mb.round(1), batch_qps=shown.batch_qps.round().astype(int))  # queries/s: whole numbers"""),
    new_code_cell("""fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, group in results.groupby("library"):
    axes[0].loglog(group.passages, group.p50_ms, marker="o", label=name)
    axes[1].loglog(group.passages, group.build_s, marker="o", label=name)
axes[0].set(xlabel="passages", ylabel="median latency per query (ms)", title="Query latency, top 10")
axes[1].set(xlabel="passages", ylabel="index build (s)", title="Index build from tokens")
axes[0].legend()
plt.tight_layout()"""),
]

INTEGRATIONS = [
    new_markdown_cell("""# spasmqa with PyTerrier and LangChain

Both integrations are optional extras: `pip install "spasmqa[pyterrier,langchain]"`. Neither needs Java,
a language model or the network. From PyTerrier, spasmqa uses only the Java-free core package
`pyterrier` (transformers, pipeline operators, `pt.Experiment`); from LangChain only `langchain-core`."""),
    new_code_cell("""import warnings

import pyterrier as pt
from ir_measures import AP, RR, nDCG

import spasmqa
from spasmqa.evaluate import evaluate, load_default_questions
from spasmqa.pyterrier import Retriever

# PyTerrier 1.1 uses a pandas keyword that pandas 3 deprecates; not spasmqa's to fix.
warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop is deprecated")

qa = spasmqa.QA.from_corpus()                      # the shipped corpus, TF-IDF
qa_bm25 = spasmqa.QA.from_corpus(weighting="bm25")
qa, qa_bm25"""),
    new_markdown_cell("""## PyTerrier: spasmqa as a retriever transformer

`Retriever(qa, k, level)` takes a query frame (`qid, query`) and returns PyTerrier's result frame
(`qid, query, docno, score, rank`; ranks count from 0 as everywhere in PyTerrier). At
`level="document"` the docno is the `doc_id`; at `level="passage"` it is the passage id. It composes
with PyTerrier's operators: `%` cuts the ranking, `>>` chains, `+` sums scores."""),
    new_code_cell("""question = "what causes lower back spasms"
documents = Retriever(qa, k=10)                    # level="document": docno is the doc_id
passages = Retriever(qa, k=10, level="passage")    # docno is the passage id
display((documents % 2).search(question))
res = (passages % 3).search(question)
res"""),
    new_markdown_cell("""Passage ids are the ids of `qa.ask`'s passages, so a run leads back to text and provenance:"""),
    new_code_cell("""answer = qa.ask(question, k=3)
by_id = {p.id: p for p in answer.passages}
for docno in res.docno:
    p = by_id[docno]
    print(f"{docno}  {p.doc_id} [{p.start}:{p.end}]  {p.text}")"""),
    new_markdown_cell("""### `pt.Experiment` on the shipped labelled questions

The 36 labelled questions are judged per passage (their qrels use passage ids), so the retrievers run at
passage level. Beside the two spasmqa configurations: a rank cut-off and a CombSUM fusion of both, built
from PyTerrier's own operators. These are rankings of all passages, before spasmqa's de-duplication
of answers (that is what `spasmqa eval` scores), so the numbers differ from the README's answer table."""),
    new_code_cell("""queries, qrels = load_default_questions()
tfidf_p = Retriever(qa, k=100, level="passage")
bm25_p = Retriever(qa_bm25, k=100, level="passage")
table = pt.Experiment([tfidf_p, bm25_p, tfidf_p % 5, (tfidf_p + bm25_p) % 100], queries, qrels,
                      eval_metrics=[nDCG @ 10, RR @ 10, AP], verbose=False,
                      names=["spasmqa TF-IDF", "spasmqa BM25", "TF-IDF % 5", "TF-IDF + BM25 (CombSUM)"])
table.round(3)"""),
    new_markdown_cell("""The same numbers from spasmqa's own evaluation of `qa.search` runs, with the same ir_measures
measure objects (spasmqa computes nDCG, RR and AP itself and agrees with trec_eval):"""),
    new_code_cell("""for name, q in [("spasmqa TF-IDF", qa), ("spasmqa BM25", qa_bm25)]:
    ours = evaluate(q.search(queries, k=100, level="unit"), qrels, [nDCG @ 10, RR @ 10, AP]).iloc[0]
    theirs = table.set_index("name").loc[name]
    print(f"{name:<15}", "  ".join(f"{m} {ours[m]:.4f}" for m in ours.index),
          "· same as pt.Experiment:", all(abs(ours[m] - theirs[m]) < 1e-9 for m in ours.index))
print("Java started:", pt.java.started())"""),
    new_markdown_cell("""### Indexing PyTerrier-style documents

`spasmqa.pyterrier.Indexer` builds a `spasmqa.QA` from an iterable of dicts with `docno` and `text`
(and optional `title`), the shape of PyTerrier's corpus iterators."""),
    new_code_cell("""from spasmqa.pyterrier import Indexer

docs = [
    {"docno": "faq-1", "title": "Heat or ice?", "text": "Use ice in the first two days after an injury, then heat."},
    {"docno": "faq-2", "title": "Night cramps", "text": "Stretching the calf before bed can prevent night cramps."},
    {"docno": "faq-3", "text": "Drink enough water: dehydration makes cramps more likely."},
]
faq = Indexer(weighting="bm25", unit="document").index(docs)
Retriever(faq, k=2).search("how do I stop cramps at night")"""),
    new_markdown_cell("""## LangChain: spasmqa as a retriever

`spasmqa.langchain.Retriever(qa=qa, k=5)` is a langchain-core `BaseRetriever`. Each passage becomes a
`Document` whose `page_content` is the passage and whose `metadata` carries its provenance: `doc_id`,
character span, score, rank, passage id and every place the same text occurs (`sources`)."""),
    new_code_cell("""from langchain_core.runnables import RunnableLambda
from spasmqa.langchain import Retriever as LCRetriever

retriever = LCRetriever(qa=qa, k=3)
docs = retriever.invoke("what causes lower back spasms")
first = docs[0]
print(first.page_content)
{key: first.metadata[key] for key in ["doc_id", "start", "end", "score", "rank", "passage_id", "sources", "heading"]}"""),
    new_markdown_cell("""In a chain, without any model: the retriever feeds a formatting step and a prompt template, which is
what a model would receive, with citations that lead back to exact spans."""),
    new_code_cell("""from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough


def format_docs(docs):
    return "\\n".join(f"[{d.metadata['rank']}] {d.page_content} ({d.metadata['doc_id']} "
                     f"{d.metadata['start']}-{d.metadata['end']})" for d in docs)


prompt = ChatPromptTemplate.from_template("Answer from the context, citing [n].\\n\\nContext:\\n{context}\\n\\nQuestion: {question}")
chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | prompt
print(chain.invoke("how long do back spasms last").to_string())"""),
    new_markdown_cell("""Async works too (`ainvoke`, `abatch`); spasmqa answers in a worker thread so the event loop stays free:"""),
    new_code_cell("""import asyncio

questions = ["can a physio help with back spasms", "should I use ice or heat on a back spasm"]
results = await asyncio.gather(*(retriever.ainvoke(q) for q in questions))
for q, found in zip(questions, results):
    print(q, "->", found[0].page_content)"""),
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
    names = {"quickstart.ipynb": QUICKSTART, "benchmarks.ipynb": BENCHMARKS,
             "pyterrier_and_langchain.ipynb": INTEGRATIONS}
    only = [a for a in sys.argv[1:] if a.endswith(".ipynb")]
    names = {n: c for n, c in names.items() if not only or n in only}
    if "--execute" in sys.argv:
        for name in names:
            execute(name)
    else:
        for name, cells in names.items():
            write(name, cells)
