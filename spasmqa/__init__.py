"""spasmqa: question answering over text corpora with exact provenance.

>>> import spasmqa
>>> qa = spasmqa.QA.from_corpus()            # the default corpus
>>> answer = qa.ask("what causes lower back spasms", k=5)

See the README for the command line, evaluation and benchmarks.
"""

from ._version import __version__
from .analysis import STOP_WORDS, Analyzer
from .answer import Answer, Context, Passage, Source, normalize_text, passage_id
from .corpus import Corpus, Document, LoadProblem, default_corpus_path, load_corpus
from .index import TermIndex
from .passages import SentenceSplitter
from .pipeline import QA
from .settings import Settings
from .storage import IndexFormatError

__all__ = [
    "QA",
    "Settings",
    "Answer",
    "Passage",
    "Source",
    "Context",
    "Corpus",
    "Document",
    "LoadProblem",
    "load_corpus",
    "default_corpus_path",
    "Analyzer",
    "STOP_WORDS",
    "SentenceSplitter",
    "TermIndex",
    "normalize_text",
    "passage_id",
    "IndexFormatError",
    "__version__",
]
