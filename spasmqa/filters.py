"""Metadata filters: ``where={...}`` compiled into a boolean mask over documents.

A filter is a mapping from a metadata field to a condition; a document
passes when it meets every condition (AND):

=============================  ==================================================
condition                      a document passes when its value ...
=============================  ==================================================
``"cmake"``, ``3``, ``True``   equals it (numbers compare as numbers; a bool only
                               equals a bool; a str only equals a str)
``None``                       is None or the field is missing
``["en", "de"]`` (list/set)    equals one of the items
``(2020, None)`` (2-tuple)     lies in the inclusive range; ``None`` is an open
                               end; numbers with numbers, strings with strings
a callable                     makes ``predicate(value)`` true (documents
                               without the field do not pass)
=============================  ==================================================

Documents without the field never pass (except for ``None``). Errors are
loud, never an empty result: a field no document has is a ``ValueError``
that lists the known fields; a condition whose type the field never holds
(``{"year": "2020"}`` when years are numbers) is a ``TypeError``.

Build a :class:`MetadataTable` once per corpus and call :meth:`~MetadataTable.mask`
per query; :func:`compile_filter` does both at once.

Examples
--------
>>> from spasmqa.corpus import Document
>>> docs = [Document("a", "x", metadata={"source": "cmake", "year": 2019}),
...         Document("b", "y", metadata={"source": "cmake", "year": 2021}),
...         Document("c", "z", metadata={"source": "make"})]
>>> compile_filter({"source": "cmake", "year": (2020, None)}, docs)
array([False,  True, False])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import InputError, InputTypeError

__all__ = ["MetadataTable", "compile_filter"]

_MISSING = object()


def _family(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


class MetadataTable:
    """The metadata of a list of documents, by field, ready for filtering.

    Parameters
    ----------
    metadata : iterable of mappings
        One mapping per document (e.g. ``doc.metadata for doc in docs``), in
        the order of the mask to be produced.

    Examples
    --------
    >>> t = MetadataTable([{"lang": "en"}, {"lang": "de"}, {}])
    >>> t.mask({"lang": ["de", "fr"]}), t.fields
    (array([False,  True, False]), ('lang',))
    """

    def __init__(self, metadata: Iterable[Mapping[str, Any]]) -> None:
        rows = list(metadata)
        self.n = len(rows)
        columns: dict[str, list[Any]] = {}
        for i, row in enumerate(rows):
            for key, value in row.items():
                col = columns.get(key)
                if col is None:
                    col = columns[key] = [_MISSING] * self.n
                col[i] = value
        self._columns = columns
        self._families = {
            key: frozenset(_family(v) for v in col if v is not _MISSING and v is not None)
            for key, col in columns.items()
        }

    @classmethod
    def from_documents(cls, documents: Iterable[Any]) -> MetadataTable:
        """From :class:`spasmqa.Document` objects (their ``metadata``), in order."""
        return cls(doc.metadata for doc in documents)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field at least one document has, sorted."""
        return tuple(sorted(self._columns))

    def __len__(self) -> int:
        return self.n

    def _known(self, name: str) -> list[Any]:
        if not isinstance(name, str):
            raise InputTypeError(f"filter field names must be strings, got {name!r}")
        try:
            return self._columns[name]
        except KeyError:
            known = ", ".join(self.fields) or "none: no document has metadata"
            raise InputError(f"unknown metadata field {name!r} in filter; known fields: {known}") from None

    def _check_type(self, name: str, value: Any, what: str) -> str:
        fam = _family(value)
        if fam not in ("null", "bool", "number", "str"):
            raise InputTypeError(f"filter on {name!r}: {what} must be a str, number, bool or None, "
                                 f"got {type(value).__name__}")
        if isinstance(value, float) and value != value:
            raise InputError(f"filter on {name!r}: {what} is NaN, which equals nothing")
        held = self._families[name]
        if fam != "null" and fam not in held:
            holds = ", ".join(sorted(held)) or "only nulls"
            raise InputTypeError(f"filter on {name!r}: {what} {value!r} is a {fam}, but the field holds {holds}")
        return fam

    def _equal(self, name: str, col: list[Any], value: Any) -> np.ndarray:
        fam = self._check_type(name, value, "value")
        if fam == "null":
            return np.fromiter((v is _MISSING or v is None for v in col), bool, self.n)
        return np.fromiter((v is not _MISSING and _family(v) == fam and v == value for v in col), bool, self.n)

    def _range(self, name: str, col: list[Any], lo: Any, hi: Any) -> np.ndarray:
        if lo is None and hi is None:
            raise InputError(f"filter on {name!r}: a range needs at least one end, got (None, None)")
        fams = {self._check_type(name, end, "range end") for end in (lo, hi) if end is not None}
        if fams - {"number", "str"}:
            raise InputTypeError(f"filter on {name!r}: range ends must be numbers or strings, got ({lo!r}, {hi!r})")
        if len(fams) > 1:
            raise InputTypeError(f"filter on {name!r}: range ends must have the same type, got ({lo!r}, {hi!r})")
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"filter on {name!r}: empty range, {lo!r} > {hi!r}")
        (fam,) = fams
        return np.fromiter(
            (v is not _MISSING and _family(v) == fam and (lo is None or v >= lo) and (hi is None or v <= hi)
             for v in col), bool, self.n)

    def _predicate(self, name: str, col: list[Any], fn: Callable[[Any], Any]) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for i, v in enumerate(col):
            if v is _MISSING:
                continue
            try:
                out[i] = bool(fn(v))
            except Exception as exc:
                raise InputError(f"filter predicate on {name!r} failed for value {v!r}: {exc}") from exc
        return out

    def mask(self, where: Mapping[str, Any] | None) -> np.ndarray:
        """A boolean array, True for documents that meet every condition.

        Parameters
        ----------
        where : mapping or None
            ``{field: condition}`` (see the module docstring); ``None`` or
            ``{}`` selects every document.

        Raises
        ------
        ValueError
            An unknown field (the message lists the known ones), an empty
            list, an empty or open range, a failing predicate.
        TypeError
            ``where`` is not a mapping, or a condition's type does not match
            what the field holds.
        """
        out = np.ones(self.n, dtype=bool)
        if where is None:
            return out
        if not isinstance(where, Mapping):
            raise InputTypeError(f"where must be a mapping of field -> condition, got {type(where).__name__}")
        for name, cond in where.items():
            col = self._known(name)
            if callable(cond) and not isinstance(cond, type):
                m = self._predicate(name, col, cond)
            elif isinstance(cond, tuple):
                if len(cond) != 2:
                    raise InputError(f"filter on {name!r}: a range is a (low, high) pair, got {cond!r}")
                m = self._range(name, col, *cond)
            elif isinstance(cond, (list, set, frozenset)):
                if not cond:
                    raise InputError(f"filter on {name!r}: an empty list matches nothing")
                m = np.zeros(self.n, dtype=bool)
                for item in cond:
                    m |= self._equal(name, col, item)
            elif isinstance(cond, (Sequence, Mapping)) and not isinstance(cond, str):
                raise InputTypeError(f"filter on {name!r}: use a list for membership or a tuple for a range, "
                                f"got {type(cond).__name__}")
            else:
                m = self._equal(name, col, cond)
            out &= m
        return out


def compile_filter(where: Mapping[str, Any] | None, documents: Iterable[Any]) -> np.ndarray:
    """Evaluate ``where`` against the documents' metadata: a boolean mask, one entry per document.

    Parameters
    ----------
    where : mapping or None
        ``{"source": "cmake", "year": (2020, None), "lang": ["en", "de"]}``.
    documents : iterable of Document or of mappings
        Documents (their ``metadata`` is used) or metadata mappings, in the
        order of the mask.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> compile_filter({"year": (None, 2020)}, [{"year": 2019}, {"year": 2021}])
    array([ True, False])
    """
    rows = [d if isinstance(d, Mapping) else d.metadata for d in documents]
    return MetadataTable(rows).mask(where)
