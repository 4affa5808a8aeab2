"""The package's shape: one-way imports, small modules, query-time settings
that change without a rebuild, and errors that say whose mistake they are."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import spasmqa
from spasmqa.cli import main
from spasmqa.errors import InputError, SpasmqaError
from spasmqa.settings import INDEX_OPTIONS, RULES, Settings

PACKAGE = Path(spasmqa.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports (at any level, lazily too)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = name.rsplit(".", node.level if not path.name == "__init__.py" else node.level - 1)[0]
                mod = f"{base}.{node.module}" if node.module else base
                deps.add(mod)
                deps.update(f"{mod}.{a.name}" for a in node.names)
        graph[name] = deps
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def test_no_import_cycles():
    graph = {m: d for m, d in _imports().items() if m != "spasmqa"}  # __init__ re-exports only
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join([*path, m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if d != "spasmqa":
                visit(d, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])


def test_storage_never_imports_the_front():
    assert "spasmqa.qa" not in _imports()["spasmqa.storage"]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 420


def test_every_option_has_a_rule_and_a_phase():
    names = {f for f in Settings.__dataclass_fields__}
    assert names == set(RULES)
    assert INDEX_OPTIONS < names


def _same_answers(a, b, questions):
    for x, y in zip(a.ask_many(questions, k=8), b.ask_many(questions, k=8)):
        assert [(p.id, p.doc_id, p.start, round(p.score, 9)) for p in x.passages] == \
               [(p.id, p.doc_id, p.start, round(p.score, 9)) for p in y.passages]
        assert x.text == y.text and x.confidence == y.confidence


QUESTIONS = ["what causes lower back spasms", "how long do back spasms last", "can a physio help",
             "what is the QL muscle", "is heat good for a sore back"]


@pytest.mark.parametrize("options", [
    {"weighting": "bm25"}, {"weighting": "bm25", "k1": 0.9, "b": 0.4}, {"intents": False},
    {"synonyms": False, "heading_weight": 0.0}, {"anaphora_weight": 0.0, "near_duplicate": 1.0},
    {"sublinear_tf": False, "pivot_slope": 1.0}, {"prf": True, "mmr_lambda": 0.7},
])
def test_query_settings_change_without_rebuild(qa, options):
    changed = qa.with_settings(**options)
    assert changed.index_.counts_ is qa.index_.counts_  # nothing re-analysed
    _same_answers(changed, spasmqa.QA.from_corpus(**options), QUESTIONS)
    _same_answers(qa, spasmqa.QA.from_corpus(), QUESTIONS)  # the original is untouched


@pytest.mark.parametrize("option,value", [("stem", "snowball"), ("unit", "document"), ("web_rules", False)])
def test_index_time_settings_are_refused_by_name(qa, option, value):
    with pytest.raises(InputError, match=option):
        qa.with_settings(**{option: value})


def test_load_with_query_settings(qa, tmp_path):
    qa.save(tmp_path / "idx")
    loaded = spasmqa.QA.load(tmp_path / "idx", intents=False, weighting="bm25")
    _same_answers(loaded, qa.with_settings(intents=False, weighting="bm25"), QUESTIONS)
    with pytest.raises(InputError, match="stem"):
        spasmqa.QA.load(tmp_path / "idx", stem=False)


def test_cli_ask_index_with_query_settings(qa, tmp_path, capsys):
    qa.save(tmp_path / "idx")
    assert main(["ask", "what causes lower back spasms", "--index", str(tmp_path / "idx"),
                 "--set", "intents=false", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = qa.with_settings(intents=False).ask("what causes lower back spasms")
    assert [p["id"] for p in got["passages"]] == [p.id for p in want.passages]
    assert main(["ask", "x", "--index", str(tmp_path / "idx"), "--set", "stem=snowball"]) == 2
    assert "stem is an index-time option" in capsys.readouterr().err


def test_cli_reports_user_errors_but_not_bugs(monkeypatch, capsys):
    assert main(["ask", "what", "--set", "k1=inf"]) == 2
    assert "k1 must be a finite number" in capsys.readouterr().err

    def broken(self, question, k=5, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(spasmqa.QA, "ask", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["ask", "what causes lower back spasms"])


def test_library_errors_keep_builtin_bases():
    with pytest.raises(ValueError):
        spasmqa.QA.from_texts(["a b c"]).ask("  ")
    with pytest.raises(TypeError):
        spasmqa.QA.from_texts(["a b c"]).ask(3)
    with pytest.raises(SpasmqaError):
        Settings(candidates=10**18)


def test_ablation_benchmark_builds_each_index_once(monkeypatch):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "quality.py"
    if not path.exists():
        pytest.skip("needs a source checkout")
    spec = importlib.util.spec_from_file_location("quality_benchmark", path)
    quality = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quality)
    builds = []
    real = spasmqa.QA.from_corpus
    monkeypatch.setattr(spasmqa.QA, "from_corpus", lambda **kw: builds.append(kw) or real(**kw))
    quality.DEFAULT_INDEXES.build = lambda fixed: spasmqa.QA.from_corpus(**fixed)
    techdocs = spasmqa.resources.techdocs_corpus_path()
    quality.TECHDOCS_INDEXES.build = lambda fixed: spasmqa.QA.from_corpus(paths=techdocs, **fixed)
    rows = quality.run_ablation(log=lambda *a: None)
    distinct = {tuple(sorted((k, v) for k, v in o.items() if k in INDEX_OPTIONS)) for _, o in quality.ABLATION}
    # Once per corpus: the default corpus (labelled, check) and the techdocs corpus.
    assert len(builds) == 2 * len(distinct) and len(distinct) < len(quality.ABLATION)
    assert sum(b.get("paths") == techdocs for b in builds) == len(distinct)
    assert rows[0]["nDCG@5 all"] > rows[1]["nDCG@5 all"]  # the defaults beat every feature off


# docs/architecture.md's table, in data-flow order: a module may import only
# modules listed before it (lazy imports included).
LAYERS = ["_version", "errors", "resources", "safeio", "safearrays", "atomicdir", "snapshot",
          "regexprogram", "saferegex", "languages", "settings", "validation", "markup.common", "markup.markdown",
          "markup.rst", "markup.html", "markup", "corpus.problems", "corpus.documents", "corpus.readers", "corpus.collection",
          "corpus.loading", "corpus.pieces", "corpus", "filters", "analysis", "passages", "answer", "expansion", "weighting", "proximity", "counts", "topk", "index", "table", "context", "build", "fields", "parallel", "sparse_scorer",
          "scorer", "compose", "runs", "parts", "storage_checks", "storage", "cluster", "shard_format", "remote", "shard_load", "shards", "shard_read", "explain", "shardserve", "shardfront", "shardcluster", "views", "qa", "evaluate.irm", "evaluate.measures", "evaluate.files",
          "evaluate.reports", "evaluate.tuning", "evaluate", "cli", "__main__", "pyterrier", "langchain"]


def test_imports_follow_the_data_flow():
    graph = _imports()
    order = {f"spasmqa.{m}": i for i, m in enumerate(LAYERS)}
    unlisted = sorted(set(graph) - set(order) - {"spasmqa"})
    assert not unlisted, f"add these modules to LAYERS and docs/architecture.md: {unlisted}"
    for module, deps in graph.items():
        if module == "spasmqa":
            continue
        later = sorted(d for d in deps if d != "spasmqa" and order[d] >= order[module])
        assert not later, f"{module} imports {later}, which come after it in the data flow"


@pytest.mark.parametrize("estimator", [
    spasmqa.Analyzer(stem="snowball", min_token_length=2), spasmqa.SentenceSplitter(punkt="train", web_rules=False),
    spasmqa.TermIndex(weighting="bm25", k1=0.9, b=0.4)])
def test_scikit_learn_parameter_protocol(estimator):
    from sklearn.base import clone

    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert copy.get_params() == estimator.get_params() == estimator.get_params(deep=False)
    name, value = next(iter(estimator.get_params().items()))
    assert copy.set_params(**{name: value}) is copy
    with pytest.raises(InputError, match="unknown parameter"):
        copy.set_params(nonsense=1)


def test_set_params_takes_effect():
    a = spasmqa.Analyzer()
    assert a("injuries added") == ["injur", "add"]
    a.set_params(stem=False)
    assert a("injuries added") == ["injuries", "added"]
    with pytest.raises(InputError):
        a.set_params(stem="porter")
