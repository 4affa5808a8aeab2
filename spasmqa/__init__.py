"""spasmqa: question answering over text corpora with exact provenance.

>>> import spasmqa
>>> qa = spasmqa.QA.from_corpus()            # the default corpus
>>> answer = qa.ask("what causes lower back spasms", k=5)

See the README for the command line, evaluation and benchmarks, and
docs/architecture.md for how the modules fit together.
"""

from ._version import __version__
from .analysis import STOP_WORDS, Analyzer
from .answer import Answer, Context, Passage, Source, normalize_text, passage_id
from .corpus import Corpus, Document, LoadProblem, load_corpus
from .errors import ClusterError, IndexFormatError, InputError, InputTypeError, MissingExtraError, SpasmqaError
from .index import TermIndex
from .passages import SentenceSplitter
from .qa import QA
from .resources import default_corpus_path
from .settings import Settings
from .shard_read import build_sharded_index

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
    "build_sharded_index",
    "default_corpus_path",
    "Analyzer",
    "STOP_WORDS",
    "SentenceSplitter",
    "TermIndex",
    "normalize_text",
    "passage_id",
    "SpasmqaError",
    "InputError",
    "InputTypeError",
    "IndexFormatError",
    "MissingExtraError",
    "ClusterError",
    "__version__",
]
