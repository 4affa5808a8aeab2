"""Regular expressions from user tables, matched in time linear in the text.

Python's :mod:`re` backtracks: ``\\bstop .* from`` searched in ``"stop " * n``
takes time quadratic in ``n``, and a pattern such as ``^(\\w+\\s?)+$`` takes
exponential time on a question that almost matches. A question must never
hang, so the patterns of an intents table are parsed with Python's own regex
parser and run here on a Pike virtual machine (Thompson NFA simulation with
thread priorities): time ``O(len(text) * len(pattern))``, whatever the
pattern, and the same leftmost-first matches as :mod:`re` (the same match
start, end and preference between alternatives).

Supported: everything except backreferences and conditionals, lookbehind,
atomic groups and possessive quantifiers, repeating a part that can match
the empty string (``(a?)*``: :mod:`re` has its own rules for empty
iterations), and inline flags other than ``(?i)``/``(?x)``/``(?u)``. Lookahead ``(?=X)`` / ``(?!X)`` is supported when
``X`` can match only a bounded length (at most :data:`MAX_LOOKAHEAD_CHARS`),
or is ``.*`` followed by such a pattern ("not followed on this line by X").
Single characters and character classes are tested by :mod:`re` itself, so
case-insensitive and Unicode matching are exactly Python's.

One difference from :func:`re.finditer`: after an empty match, the next
search starts one character later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]

from .regexprogram import (
    _ALLOWED_FLAGS,
    _AT,
    _AT_SOURCE,
    _MATCH,
    _SPLIT,
    MAX_LOOKAHEAD_CHARS,
    MAX_PATTERN_CHARS,
    UnsafePatternError,
    _atom_source,
    _Program,
)

__all__ = ["MAX_LOOKAHEAD_CHARS", "SafePattern", "UnsafePatternError"]


def _lead_source(items: Sequence[tuple]) -> str:
    """Source of a quantifier-free prefix that every match of ``items`` starts with ("" if none)."""
    out = []
    for op, av in items:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            out.append(_atom_source(op, av))
        elif op is C.AT and av in _AT:
            out.append(_AT_SOURCE[_AT[av]])
        elif op is C.MAX_REPEAT or op is C.MIN_REPEAT:
            lo, _hi, sub = av
            if lo >= 1 and all(o in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN) for o, _ in sub):
                out.extend(_atom_source(o, a) for o, a in sub)
            break
        else:
            break
    return "".join(out)


class SafePattern:
    """An alternation of regular expressions matched in linear time (leftmost-first, like :mod:`re`).

    Parameters
    ----------
    patterns : sequence of str
        The alternatives, in priority order (like ``"(?:p1)|(?:p2)|..."``).
    flags : int, default=re.IGNORECASE
        Only ``re.IGNORECASE``, ``re.VERBOSE`` and ``re.UNICODE``.

    Raises
    ------
    UnsafePatternError
        For an invalid pattern or one using an unsupported construct; the
        message names the pattern and the construct.
    """

    def __init__(self, patterns: Sequence[str] | str, flags: int = re.IGNORECASE):
        if isinstance(patterns, str):
            patterns = [patterns]
        self.patterns = list(patterns)
        self.flags = flags
        if flags & ~_ALLOWED_FLAGS:
            raise UnsafePatternError("only the IGNORECASE, VERBOSE and UNICODE flags are supported")
        prog = _Program(flags)
        jumps: list[int] = []
        leads: list[str] = []
        for k, p in enumerate(self.patterns):
            try:
                if not isinstance(p, str):
                    raise UnsafePatternError(f"pattern {p!r} is not a string")
                if len(p) > MAX_PATTERN_CHARS:
                    raise UnsafePatternError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
                try:
                    parsed = P.parse(p, flags)
                except (re.error, RecursionError, OverflowError) as exc:
                    raise UnsafePatternError(f"not a valid regular expression ({exc})") from None
                if parsed.state.flags & ~_ALLOWED_FLAGS:
                    raise UnsafePatternError("inline flags other than (?i) and (?x) are not supported")
                if parsed.state.flags & re.IGNORECASE & ~flags:
                    raise UnsafePatternError("(?i) is only supported when matching ignores case anyway")
                prog.base = len(prog.code)
                split = prog.emit(_SPLIT, None, None) if k < len(self.patterns) - 1 else None
                prog.compile_seq(list(parsed))
                prog.emit(_MATCH, k)
                if split is not None:
                    prog.code[split] = (_SPLIT, split + 1, len(prog.code))
                leads.append(_lead_source(list(parsed)))
            except UnsafePatternError as exc:
                raise UnsafePatternError(f"pattern {p!r}: {exc}") from None
        del jumps
        self._prog = prog
        #: Number of instructions: matching takes at most about ``size`` steps per character.
        self.size = len(prog.code)
        if leads and all(leads):
            prog.lead = re.compile("|".join(f"(?:{s})" for s in leads), flags & ~re.VERBOSE)

    def search(self, text: str, pos: int = 0) -> SafeMatch | None:
        """The first match at or after ``pos`` (like :meth:`re.Pattern.search`), or None."""
        m = self._prog.run(text, pos)
        return SafeMatch(text, *m) if m else None

    def finditer(self, text: str) -> Iterator[SafeMatch]:
        """Non-overlapping matches, left to right (like :meth:`re.Pattern.finditer`)."""
        pos = 0
        cache: dict = {}
        while pos <= len(text):
            m = self._prog.run(text, pos, cache=cache)
            if m is None:
                return
            yield SafeMatch(text, *m)
            pos = m[1] if m[1] > m[0] else m[1] + 1

    def __repr__(self) -> str:
        return f"SafePattern({self.patterns!r})"


class SafeMatch:
    """A match: ``start()``, ``end()``, ``span()`` and ``group(0)`` like :class:`re.Match`."""

    __slots__ = ("_end", "_start", "string")

    def __init__(self, string: str, start: int, end: int):
        self.string, self._start, self._end = string, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def span(self) -> tuple[int, int]:
        return self._start, self._end

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError("only group 0 is available")
        return self.string[self._start:self._end]

    def __repr__(self) -> str:
        return f"<SafeMatch span={self.span()} match={self.group(0)!r}>"
