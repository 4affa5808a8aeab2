"""Where the files shipped inside the package live (one definition)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_path", "default_corpus_path", "techdocs_corpus_path"]

_DATA = Path(__file__).resolve().parent / "data"


def data_path(name: str) -> Path:
    """Path of a file shipped in ``spasmqa/data`` (tables, question sets, corpus)."""
    return _DATA / name


def default_corpus_path() -> Path:
    """Path of the default corpus shipped with spasmqa (web snippets about back spasms)."""
    return data_path("back_spasms.txt")


def techdocs_corpus_path() -> Path:
    """Path of the techdocs corpus: Python reference topics as Markdown files (a directory).

    The corpus of the ``"techdocs"`` question set; see ``spasmqa/data/techdocs/README.md``
    for its source (the Python documentation) and license (PSF License).
    """
    return data_path("techdocs") / "pages"
