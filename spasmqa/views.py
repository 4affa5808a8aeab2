"""What every :class:`~spasmqa.QA` shows of its index: sizes, provenance, frames.

A mixin of the front, over either one segment (its parts) or a sharded
index (the front of its shards); kept apart so the front stays a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answer import ContextView, Passage, Source
from .errors import InputError
from .parts import Parts
from .scorer import Scorer
from .shardfront import ShardedParts

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Views"]


class Views:
    """Sizes and provenance views of a QA (see the module docstring)."""

    _parts: Parts
    _shards: ShardedParts | None
    settings: Any
    corpus: Any

    def close(self) -> None:
        """Close the local Dask cluster that ``QA.load(..., workers=N)`` started (nothing otherwise)."""
        owner = None if self._shards is None else self._shards.owner
        if owner is not None:
            owner.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _local(self) -> Parts:
        """The one segment's parts (a sharded index has none)."""
        if self._shards is not None:
            raise InputError("a sharded index has no single table or term index; see qa.shards_")
        return self._parts

    # -- provenance views ---------------------------------------------------
    @property
    def table_(self):
        """The passage table (occurrences, units, provenance)."""
        return self._local().segment.table

    @property
    def index_(self):
        """The term index."""
        return self._local().segment.index

    @property
    def composer_(self) -> Any:
        """Selection and answer composition."""
        return self._local().composer

    @property
    def scorer_(self) -> Scorer:
        return self._local().scorer

    @property
    def n_passages(self) -> int:
        """Number of passage occurrences (before de-duplication)."""
        return self._shards.n_passages if self._shards is not None else self.table_.n_passages

    @property
    def n_units(self) -> int:
        """Number of distinct passages (or documents) indexed."""
        return self._shards.n_units if self._shards is not None else self.table_.n_units

    def sources(self, unit: int) -> tuple[Source, ...]:
        """Every place unit ``unit`` occurs, in corpus order."""
        return self.table_.sources(unit)

    def in_context(self, passage: Passage | Source, sentences: int = 2) -> ContextView:
        """Show a passage (or any source of one) inside its document: up to
        ``sentences`` passages before and after it, the passage highlighted.

        The view displays as HTML in a notebook and as text in a terminal.
        """
        if self._shards is not None:
            return self._shards.in_context(passage, sentences)
        return self.table_.in_context(passage, sentences)

    def passages_frame(self) -> pd.DataFrame:
        """Every passage occurrence: ``id, text, doc_id, start, end, unit, is_heading, is_fragment``."""
        return self.table_.frame()

    def __repr__(self) -> str:
        s = self.settings
        terms = self._shards.n_terms if self._shards is not None else len(self.index_.vocabulary_)
        return (f"<spasmqa.QA: {len(self.corpus)} documents, {self.n_passages} {s.unit}s "
                f"({self.n_units} distinct), {terms} terms, {s.weighting}"
                + (f", {len(self._shards.servers)} shards>" if self._shards is not None else ">"))
