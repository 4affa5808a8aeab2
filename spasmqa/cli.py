"""Command line: ``spasmqa ask``, ``spasmqa index``, ``spasmqa eval``.

Errors in what the user gave (bad paths, empty questions, corrupt index
files: :class:`spasmqa.SpasmqaError` and ``OSError``) print one line,
``spasmqa: error: ...``, and exit with status 2. Anything else is a bug and
shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

from ._version import __version__
from .errors import InputError, SpasmqaError

__all__ = ["main"]

_OPTION_HELP = ("Option as NAME=VALUE (any spasmqa.Settings field), e.g. --set weighting=bm25; "
                "with --index, query-time options only")


def _parse_value(v: str) -> object:
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def _options(pairs: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"--set expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = _parse_value(value.strip())
    return out


def _where(pairs: Sequence[str] | None) -> dict[str, Any] | None:
    """``--where`` pairs as a filter: equality, a list for a repeated field, ``LO..HI`` ranges."""
    if not pairs:
        return None
    where: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--where expects FIELD=VALUE or FIELD=LO..HI, got {pair!r}")
        name = name.strip()
        if ".." in value:
            lo, _, hi = value.partition("..")
            cond: Any = (_parse_value(lo.strip()) if lo.strip() else None, _parse_value(hi.strip()) if hi.strip()
                         else None)
        else:
            cond = _parse_value(value.strip())
        if name in where and not isinstance(cond, tuple):
            prev = where[name]
            where[name] = [*(prev if isinstance(prev, list) else [prev]), cond]
        else:
            where[name] = cond
    return where


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spasmqa",
                                     description="Question answering with provenance over text corpora.")
    parser.add_argument("--version", action="version", version=f"spasmqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question")
    ask.add_argument("question", help="the question, in quotes")
    src = ask.add_mutually_exclusive_group()
    src.add_argument("--corpus", nargs="+", metavar="PATH", help="files or directories (default: the shipped corpus)")
    src.add_argument("--index", metavar="PATH", help="a saved index (spasmqa index ... --out PATH)")
    ask.add_argument("--k", "-k", type=_positive_int, default=5, help="number of passages (default 5)")
    ask.add_argument("--workers", type=_positive_int, default=1, help="with --corpus: build with this many processes")
    ask.add_argument("--format", choices=ASK_FORMATS, default=None,
                     help="text (default), json (the whole answer), trec (a TREC run line per passage: "
                          "qid Q0 docno rank score tag) or jsonl (a JSON object per passage)")
    ask.add_argument("--json", action="store_true", help="same as --format json")
    ask.add_argument("--qid", default="1", help="query id for --format trec/jsonl (default 1)")
    ask.add_argument("--tag", default="spasmqa", help="run tag for --format trec (default spasmqa)")
    ask.add_argument("--set", action="append", metavar="NAME=VALUE", help=_OPTION_HELP)
    ask.add_argument("--where", action="append", metavar="FIELD=VALUE",
                     help="only documents whose metadata FIELD equals VALUE (repeat a field for any of several "
                          "values; FIELD=LO..HI for a range, either end open)")
    ask.add_argument("--ext", metavar=".EXT[,.EXT]", help="with --corpus: also read these extensions as plain text")
    ask.add_argument("--explain", action="store_true", help="after the answer, each passage's score broken into "
                                                             "its parts (terms, expansion, context, penalties)")
    ask.add_argument("--strict", action="store_true", help="with --corpus: fail on the first file that cannot "
                                                            "be loaded")

    idx = sub.add_parser("index", help="build an index and save it")
    idx.add_argument("corpus", nargs="*", metavar="PATH", help="files or directories (default: the shipped corpus)")
    idx.add_argument("--out", required=True, metavar="PATH", help="directory to write the index to")
    idx.add_argument("--set", action="append", metavar="NAME=VALUE", help=_OPTION_HELP)
    idx.add_argument("--strict", action="store_true", help="fail on the first file that cannot be loaded")
    idx.add_argument("--ext", metavar=".EXT[,.EXT]", help="also read these extensions as plain text")
    bar = idx.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    idx.add_argument("--overwrite", action="store_true", help="replace an existing index at --out")
    idx.add_argument("--workers", type=_positive_int, default=1,
                     help="processes that split and analyse in parallel (default 1; same index); with --shards "
                          "or --scheduler, Dask worker processes of the local cluster started for the build")
    idx.add_argument("--shards", type=_positive_int, default=None, metavar="M",
                     help="build a sharded index of M shards on Dask (needs spasmqa[distributed]; default with "
                          "--scheduler: --workers)")
    idx.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="build sharded on the Dask cluster at ADDRESS (tcp://host:8786) instead of a local one; "
                          "--out must be a path every worker shares")

    ev = sub.add_parser("eval", help="evaluate retrieval (default: the shipped corpus and its questions)")
    ev.add_argument("--beir", metavar="DIR", help="a BEIR data set directory (corpus.jsonl, queries.jsonl, qrels/)")
    ev.add_argument("--split", default="test", help="qrels split for --beir (default: test)")
    ev.add_argument("--questions", default="labelled", metavar="SET",
                    help="without --beir: a shipped question set, 'labelled' (default) or 'check' (on the shipped "
                         "corpus) or 'techdocs' (on the Python reference corpus shipped for it), or a JSONL file of "
                         "the same format (on --corpus, else the shipped corpus)")
    ev.add_argument("--corpus", nargs="+", metavar="PATH",
                    help="without --beir: the files or directories the questions are judged on "
                         "(default: the question set's own corpus)")
    ev.add_argument("--weighting", choices=["tfidf", "bm25"], default=None)
    ev.add_argument("--unit", choices=["passage", "document"], default=None,
                    help="index whole documents (default for --beir) or sentence passages")
    ev.add_argument("--k", "-k", type=_positive_int, default=1000, help="run depth (default 1000)")
    ev.add_argument("--workers", type=_positive_int, default=1, help="build with this many processes (default 1)")
    ev.add_argument("--index", metavar="PATH", help="with --beir: a saved index of its corpus instead of building one")
    ev.add_argument("--json", action="store_true", help="print JSON")
    ev.add_argument("--run-out", metavar="FILE", help="write the run in TREC format")
    ev.add_argument("--set", action="append", metavar="NAME=VALUE", help=_OPTION_HELP)
    return parser


def _report_problems(corpus) -> None:
    """One line on stderr about skipped or repaired files (nothing if none)."""
    summary = corpus.problem_summary(cli=True)
    if summary:
        print(f"spasmqa: {summary}", file=sys.stderr)


def _cmd_ask(args: argparse.Namespace) -> int:
    from .qa import QA

    options = _options(args.set)
    if args.index:
        qa = QA.load(args.index, **options)
    else:
        qa = QA.from_corpus(args.corpus, workers=args.workers, strict=args.strict, text_extensions=args.ext or (),
                            **options)
        _report_problems(qa.corpus)
    if args.json and args.format not in (None, "json"):
        raise InputError(f"--json is --format json; it cannot be combined with --format {args.format}")
    fmt = "json" if args.json else (args.format or "text")
    answer = qa.ask(args.question, k=args.k, where=_where(args.where))
    print(_format_answer(answer, fmt, qid=args.qid, tag=args.tag, by_document=qa.settings.unit == "document"),
          end="")
    if args.explain:
        explanations = [qa.explain(args.question, p) for p in answer.passages]
        if fmt == "json":
            print(json.dumps([e.as_dict() for e in explanations], ensure_ascii=False, indent=2))
        else:
            print("\n".join(["", "Why these scores:", *(str(e) for e in explanations)]))
    return 0


ASK_FORMATS = ("text", "json", "trec", "jsonl")


def _format_answer(answer, fmt: str, *, qid: str = "1", tag: str = "spasmqa", by_document: bool = False) -> str:
    """An answer as printed by ``spasmqa ask --format FMT`` (ends with a newline unless empty).

    ``trec``: ``qid Q0 docno rank score tag`` per passage; docno is the
    passage id (the docno of passage runs and of the shipped qrels), or the
    doc_id for an index of whole documents. ``jsonl``: one object per passage
    with ``qid`` and ``question`` added.
    """
    if fmt == "text":
        return f"{answer}\n"
    if fmt == "json":
        return json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "trec":
        if any(c.isspace() for c in qid) or not qid:
            raise InputError(f"--qid must be non-empty and contain no white space for a TREC run, got {qid!r}")
        if any(c.isspace() for c in tag) or not tag:
            raise InputError(f"--tag must be non-empty and contain no white space for a TREC run, got {tag!r}")
        lines = []
        for p in answer.passages:
            docno = p.doc_id if by_document else p.id
            if any(c.isspace() for c in docno):
                raise InputError(f"doc_id {docno!r} contains white space and cannot be a TREC docno")
            lines.append(f"{qid} Q0 {docno} {p.rank} {float(p.score):.8g} {tag}\n")
        return "".join(lines)
    if fmt == "jsonl":
        return "".join(json.dumps({"qid": qid, "question": answer.question, **p.to_dict()}, ensure_ascii=False) + "\n"
                       for p in answer.passages)
    raise InputError(f"unknown format {fmt!r}; use one of {', '.join(ASK_FORMATS)}")


def _cmd_index_sharded(args: argparse.Namespace) -> int:
    from .corpus import Corpus
    from .settings import Settings
    from .shard_load import read_top
    from .shard_read import build_paths_sharded

    t0 = time.perf_counter()
    settings = Settings.from_options(_options(args.set))
    out, problems = build_paths_sharded(args.corpus or None, args.out, shards=args.shards or args.workers,
                                        settings=settings, strict=args.strict, text_extensions=args.ext or (),
                                        workers=None if args.scheduler else args.workers, scheduler=args.scheduler,
                                        overwrite=args.overwrite)
    built = time.perf_counter() - t0
    sizes = read_top(out).sizes
    print(f"indexed {sizes['documents']} documents, {sizes['passages']} passages ({sizes['units']} distinct), "
          f"{sizes['terms']} terms in {built:.1f}s; saved {sizes['shards']} shards to {args.out}")
    loaded = Corpus()
    loaded.problems.extend(problems)
    _report_problems(loaded)
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from .qa import QA

    if args.shards is not None or args.scheduler is not None:
        return _cmd_index_sharded(args)
    t0 = time.perf_counter()
    qa = QA.from_corpus(args.corpus or None, strict=args.strict, progress=args.progress, workers=args.workers,
                        text_extensions=args.ext or (),
                        **_options(args.set))
    built = time.perf_counter() - t0
    qa.save(args.out, overwrite=args.overwrite)
    print(f"indexed {len(qa.corpus)} documents, {qa.n_passages} passages ({qa.n_units} distinct), "
          f"{len(qa.index_.vocabulary_)} terms in {built:.1f}s; saved to {args.out}")
    _report_problems(qa.corpus)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_beir, evaluate_default, format_table

    options = _options(args.set)
    if args.weighting:
        options["weighting"] = args.weighting
    if args.unit:
        options["unit"] = args.unit
    if args.beir:
        report = evaluate_beir(args.beir, split=args.split, k=args.k, run_out=args.run_out, workers=args.workers,
                               index=args.index, **options)
    else:
        report = evaluate_default(k=args.k, run_out=args.run_out, questions=args.questions, corpus=args.corpus,
                                  **options)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    commands = {"ask": _cmd_ask, "index": _cmd_index, "eval": _cmd_eval}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # problems are printed by the commands themselves
            return commands[args.command](args)
    except (SpasmqaError, OSError) as exc:
        print(f"spasmqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
