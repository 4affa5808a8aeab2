"""Query expansion from data files: synonym groups and question intents.

Both produce, for each question, extra index terms with fractional weights;
:meth:`spasmqa.TermIndex.query_matrix` adds them to the question's vector.
The tables are JSON files shipped in ``spasmqa/data`` (``synonyms.json``,
``intents.json``); users can pass their own files in the same format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

from .analysis import Analyzer
from .errors import IndexFormatError, InputError
from .resources import data_path
from .safeio import parse_json, read_bytes
from .saferegex import SafePattern, UnsafePatternError

__all__ = ["Expander", "IntentTable", "SynonymTable", "Tables", "is_question", "load_tables"]


_QUESTION = re.compile(
    r"^\s*(?:what|whats|what's|how|why|when|where|which|who|whom|whose|can|could|does|do|did|is|are|was|were|"
    r"should|shall|will|would|may|might|must|has|have|any|tips|ways)\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether ``text`` is phrased as a question (question word first, or "?" last)."""
    return text.rstrip().endswith("?") or _QUESTION.match(text) is not None


#: Largest synonyms or intents table read (bytes).
MAX_TABLE_BYTES = 16 * 1024 * 1024
#: Largest number of synonym groups, of intents, and of patterns per intent in a table.
MAX_TABLE_ITEMS = 100_000
#: Largest total size of an intents table's compiled patterns (the shipped table: about 1,000).
#: Matching a question costs at most about this many steps per character.
MAX_INTENT_PROGRAM = 50_000


def _read_json(path: str | os.PathLike, what: str) -> dict:
    """A table file as a JSON object: bounded size and depth, regular files only, no NaN/Infinity."""
    try:
        data = parse_json(read_bytes(path, max_bytes=MAX_TABLE_BYTES), name=path, max_depth=16)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file does not exist: {path}") from None
    except IndexFormatError as exc:
        raise InputError(f"{path}: not a valid {what} file ({str(exc).removeprefix(f'{path}: ')})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a {what} file holds a JSON object")
    return data


@dataclass
class SynonymTable:
    """Symmetric groups of words and phrases that mean the same thing.

    ``expand(terms)`` maps each analysed question term to the other terms of
    its groups (analysed with the same analyzer), each with weight 1; the
    caller scales them.
    """

    groups: list[list[str]]

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> SynonymTable:
        """Read a table file (bounded size and nesting; regular files only)."""
        data = _read_json(path or data_path("synonyms.json"), "synonyms")
        return cls.from_dict(data, name=path)

    @classmethod
    def from_dict(cls, data: dict, *, name: object = "synonyms table") -> SynonymTable:
        """Validate a parsed table (e.g. from bytes read by the index loader); errors name ``name``."""
        groups = data.get("groups") if isinstance(data, dict) else None
        if isinstance(groups, list) and len(groups) > MAX_TABLE_ITEMS:
            raise InputError(f"{name}: more than {MAX_TABLE_ITEMS} groups")
        if not isinstance(groups, list) or not all(
                isinstance(g, list) and all(isinstance(w, str) for w in g) for g in groups):
            raise InputError(f"{name}: 'groups' must be a list of lists of strings")
        return cls(groups)

    def compile(self, analyzer: Analyzer) -> dict[tuple[str, ...], list[dict[str, float]]]:
        """Trigger (a member's analysed terms) -> the other members, as term weights.

        A member weighs 1 in total: the words of a two-word phrase
        ("physical therapy") get 1/2 each, so a generic word in a phrase
        ("therapy") does not count as much as a synonym. A phrase triggers
        as a whole: "lower back" expands questions that say "lower back",
        not every question that says "back".
        """
        table: dict[tuple[str, ...], list[dict[str, float]]] = {}
        for group in self.groups:
            members = list(dict.fromkeys(tuple(analyzer(phrase)) for phrase in group))
            members = [m for m in members if m]
            for m in members:
                entry = table.setdefault(m, [])
                for other in members:
                    if other != m:
                        weights = {t: 1.0 / len(other) for t in other}
                        if weights not in entry:
                            entry.append(weights)
        return table


@dataclass
class IntentTable:
    """Question types, the patterns that signal them, and answer cue words.

    Patterns are regular expressions matched case-insensitively, but run by
    :class:`~spasmqa.saferegex.SafePattern`: matching takes time linear in
    the question whatever the pattern (no catastrophic backtracking), with
    the same matches as :mod:`re`. Backreferences, lookbehind, atomic groups,
    possessive quantifiers, inline flags other than ``(?i)``/``(?x)``, and
    lookaheads other than a bounded pattern (optionally after ``.*``) are
    refused when the table is loaded, with an error naming the pattern.
    """

    intents: list[dict]

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> IntentTable:
        path = path or data_path("intents.json")
        return cls.from_dict(_read_json(path, "intents"), name=path)

    @classmethod
    def from_dict(cls, data: dict, *, name: object = "intents table") -> IntentTable:
        """Validate a parsed table (e.g. from bytes read by the index loader); errors name ``name``."""
        intents = data.get("intents") if isinstance(data, dict) else None
        if not isinstance(intents, list):
            raise InputError(f"{name}: 'intents' must be a list")
        if len(intents) > MAX_TABLE_ITEMS:
            raise InputError(f"{name}: more than {MAX_TABLE_ITEMS} intents")
        total = 0
        for i, item in enumerate(intents):
            if not (isinstance(item, dict) and isinstance(item.get("type"), str)
                    and isinstance(item.get("patterns"), list) and isinstance(item.get("cues"), list)
                    and all(isinstance(c, str) for c in item["cues"])):
                raise InputError(f"{name}: intents[{i}] needs 'type', 'patterns' and 'cues' (lists of strings)")
            if len(item["patterns"]) > MAX_TABLE_ITEMS:
                raise InputError(f"{name}: intents[{i}] has more than {MAX_TABLE_ITEMS} patterns")
            for p in item["patterns"]:
                try:
                    total += SafePattern([p]).size
                except UnsafePatternError as exc:
                    reason = str(exc).removeprefix(f"pattern {p!r}: ")
                    raise InputError(f"{name}: intents[{i}] pattern {p!r} cannot be used: {reason}") from None
                if total > MAX_INTENT_PROGRAM:
                    raise InputError(f"{name}: the patterns are too many or too large (more than "
                                     f"{MAX_INTENT_PROGRAM} instructions compiled, at intents[{i}])")
        return cls(intents)

    def compile(self, analyzer: Analyzer) -> list[tuple[str, SafePattern, list[str]]]:
        """Per intent: (type, its patterns as one case-insensitive :class:`SafePattern`, analysed cue terms)."""
        return [(item["type"], SafePattern(item["patterns"]),
                 sorted({t for cue in item["cues"] for t in analyzer(cue)})) for item in self.intents]


class Expander:
    """Extra weighted terms for questions: synonyms and intent cues."""

    def __init__(self, analyzer: Analyzer, *, synonyms: SynonymTable | None, synonym_weight: float,
                 intents: IntentTable | None, intent_weight: float) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms.compile(analyzer) if synonyms else {}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for trigger in sorted(self.synonyms, key=len, reverse=True):
            self._by_first.setdefault(trigger[0], []).append(trigger)
        self.intents = intents.compile(analyzer) if intents else []
        self.synonym_weight = synonym_weight
        self.intent_weight = intent_weight

    def _triggers(self, terms: Sequence[str]) -> list[tuple[str, ...]]:
        """The synonym triggers (single terms and phrases) found in ``terms``."""
        found: dict[tuple[str, ...], None] = {}
        for i, t in enumerate(terms):
            for trigger in self._by_first.get(t, ()):
                if trigger not in found and tuple(terms[i:i + len(trigger)]) == trigger:
                    found[trigger] = None
        return list(found)

    def covered(self, question: str, terms: Sequence[str], seen: Container[str]) -> set[str]:
        """The question terms that a text with terms ``seen`` answers.

        A term is covered when ``seen`` has it, or a synonym of it or of a
        phrase it belongs to ("drink water" by "hydrated"), or, for the words
        that ask the question's type ("how long", "signs"), one of that
        type's cue words ("last", "minutes"). Used for answer confidence.
        """
        covered = {t for t in terms if t in seen}
        for trigger in self._triggers(terms):
            if any(t in seen for member in self.synonyms[trigger] for t in member):
                covered.update(trigger)
        match = self._intent(question)
        if match is not None and any(c in seen for c in match[2]):
            asked = set(terms)
            for m in match[1].finditer(question):
                covered.update(t for t in self.analyzer(m.group(0)) if t in asked)
        return covered

    def _intent(self, question: str) -> tuple[str, SafePattern, list[str]] | None:
        """The first intent whose patterns match, as (type, pattern, cue terms); linear time."""
        if not is_question(question):
            return None
        return next((item for item in self.intents if item[1].search(question)), None)

    def intent(self, question: str) -> str | None:
        """The question's type, or None (also for text that is not a question)."""
        match = self._intent(question)
        return match[0] if match is not None else None

    def extra_terms(self, question: str, terms: Sequence[str], vocabulary: Container[str] | None = None
                    ) -> tuple[list[list[dict[str, float]]], dict[str, float]]:
        """Expansion terms with weights relative to a question term's weight (1).

        Returns ``(synonym_groups, cues)``: per synonym trigger found in the
        question, its other members (each a dict of term weights; a phrase
        has several terms), and the intent cue terms. A trigger
        the corpus never uses ("physio") is replaced by its synonyms at full
        weight; one it does use is only supplemented, at ``synonym_weight``.
        A group stands for one question word: the caller scores a passage by
        the best member it matches, not the sum. Synonyms can make a passage
        match; intent cues only re-rank passages that match already (the
        caller enforces this).
        """
        groups: list[list[dict[str, float]]] = []
        cues_out: dict[str, float] = {}
        own = set(terms)
        if self.synonyms and self.synonym_weight > 0:
            for trigger in self._triggers(terms):
                known = vocabulary is None or all(t in vocabulary for t in trigger)
                scale = self.synonym_weight if known else 1.0
                members = []
                for member in self.synonyms[trigger]:
                    m = {t: scale * w for t, w in member.items()
                         if t not in own and (vocabulary is None or t in vocabulary)}
                    if m and m not in members:
                        members.append(m)
                if members:
                    groups.append(members)
        match = self._intent(question) if self.intent_weight > 0 and own else None
        if match is not None:
            extra = {t for g in groups for m in g for t in m}
            cues_out = {c: self.intent_weight for c in match[2] if c not in own and c not in extra}
        return groups, cues_out


@dataclass(frozen=True)
class Tables:
    """The expansion tables in use (loaded once; a saved index carries copies)."""

    synonyms: SynonymTable | None = None
    intents: IntentTable | None = None


def load_tables(settings: Any, current: Tables | None = None, before: Any = None) -> Tables:
    """The tables the settings name; unchanged ones are kept from ``current``."""
    def table(name: str, cls: Any) -> Any:
        value = getattr(settings, name)
        if current is not None and before is not None and getattr(before, name) == value:
            return getattr(current, name)
        if value is False:
            return None
        return cls.load(None if value is True else value)

    return Tables(synonyms=table("synonyms", SynonymTable), intents=table("intents", IntentTable))
