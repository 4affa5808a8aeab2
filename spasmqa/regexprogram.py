"""The compiler and matcher behind :mod:`spasmqa.saferegex`: a pattern as a program run in linear time."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from re import _constants as C  # type: ignore[attr-defined]  # private sre module, not in typeshed
from re import _parser as P  # type: ignore[attr-defined]  # private sre module, not in typeshed
from typing import Any

from .errors import SpasmqaError

#: Longest match a lookahead's pattern may have (after an optional leading ``.*``).
MAX_LOOKAHEAD_CHARS = 200
#: Largest compiled program (instructions) accepted for one pattern.
MAX_PROGRAM = 20_000
#: Characters whose test result each character class remembers.
_MEMO_LIMIT = 4096
#: Longest accepted pattern source.
MAX_PATTERN_CHARS = 2_000

_CHAR, _SPLIT, _JMP, _ASSERT, _LOOK, _MATCH = range(6)
_ALLOWED_FLAGS = re.IGNORECASE | re.VERBOSE | re.UNICODE
_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
               C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
_AT = {C.AT_BEGINNING: "bos", C.AT_BEGINNING_STRING: "bos", C.AT_END: "eol", C.AT_END_STRING: "eos",
       C.AT_BOUNDARY: "b", C.AT_NON_BOUNDARY: "B"}
_AT_SOURCE = {"bos": r"\A", "eol": "$", "eos": r"\Z", "b": r"\b", "B": r"\B"}


class UnsafePatternError(SpasmqaError, ValueError):
    """A pattern uses a construct that cannot be matched in linear time (or is invalid)."""


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _atom_source(op: Any, av: Any) -> str:
    """Regex source for one single-character item of a parsed pattern."""
    if op is C.LITERAL:
        return _char(av)
    if op is C.NOT_LITERAL:
        return f"[^{_char(av)}]"
    if op is C.ANY:
        return "."
    if op is C.IN:
        parts, neg = [], ""
        for iop, iav in av:
            if iop is C.NEGATE:
                neg = "^"
            elif iop is C.LITERAL:
                parts.append(_char(iav))
            elif iop is C.RANGE:
                parts.append(f"{_char(iav[0])}-{_char(iav[1])}")
            elif iop is C.CATEGORY and iav in _CATEGORIES:
                parts.append(_CATEGORIES[iav])
            else:
                raise UnsafePatternError(f"unsupported character class item {iop}")
        return f"[{neg}{''.join(parts)}]" if parts else ("[^\\s\\S]" if not neg else "[\\s\\S]")
    raise UnsafePatternError(f"unsupported item {op}")


class _Pred:
    """A single-character test answered by :mod:`re` itself, memoised per character."""

    __slots__ = ("memo", "rx")

    def __init__(self, source: str, flags: int):
        self.rx = re.compile(source, flags)
        self.memo: dict[str, bool] = {}

    def __call__(self, ch: str) -> bool:
        r = self.memo.get(ch)
        if r is None:
            r = self.rx.match(ch) is not None
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[ch] = r
        return r


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Look:
    """A lookahead's body, matched anchored at a position (or anywhere to the end of the line)."""

    def __init__(self, prog: _Program, to_eol: bool, negate: bool):
        self.prog, self.to_eol, self.negate = prog, to_eol, negate

    def holds(self, text: str, p: int, cache: dict) -> bool:
        if not self.to_eol:
            found = self.prog.run(text, p, seeds=(p, p), any_match=True, cache=cache) is not None
            return found != self.negate
        nl = cache.get("newlines")
        if nl is None:
            nl = cache["newlines"] = [m.start() for m in re.finditer("\n", text)]
        k = bisect.bisect_left(nl, p)
        eol = nl[k] if k < len(nl) else len(text)
        found_q, none_from = cache.get((id(self), eol), (-1, len(text) + 1))
        if p <= found_q:
            found = True
        elif p >= none_from:
            found = False
        else:
            m = self.prog.run(text, p, seeds=(p, eol), any_match=True, cache=cache)
            found = m is not None
            if m is not None:
                found_q = max(found_q, m[0])
            else:
                none_from = p
            cache[(id(self), eol)] = (found_q, none_from)
        return found != self.negate


class _Program:
    """A compiled alternation of patterns (priority in list order) for the Pike VM."""

    def __init__(self, flags: int):
        self.flags = flags
        self.code: list[tuple] = []
        self.preds: dict[str, _Pred] = {}
        self.lead: re.Pattern[str] | None = None  # necessary condition at a match start; None: anywhere
        self.base = 0  # where the pattern being compiled starts (for its size limit)
        self.has_look = False
        self.closures: dict[tuple, tuple[int, ...]] = {}

    # ----------------------------------------------------------- compiling
    def emit(self, *ins: object) -> int:
        self.code.append(ins)
        if len(self.code) - self.base > MAX_PROGRAM:
            raise UnsafePatternError(f"pattern is too large (more than {MAX_PROGRAM} instructions once expanded)")
        return len(self.code) - 1

    def pred(self, op: object, av: object) -> _Pred:
        src = _atom_source(op, av)
        if src not in self.preds:
            self.preds[src] = _Pred(src, self.flags)
        return self.preds[src]

    def compile_seq(self, items: Sequence[tuple], depth: int = 0) -> None:
        for op, av in items:
            self.compile_item(op, av, depth)

    def compile_item(self, op: Any, av: Any, depth: int) -> None:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            self.emit(_CHAR, self.pred(op, av))
        elif op is C.AT:
            if av not in _AT:
                raise UnsafePatternError(f"unsupported anchor {av}")
            self.emit(_ASSERT, _AT[av])
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags & ~(self.flags | re.VERBOSE | re.UNICODE) or del_flags & ~re.VERBOSE:
                raise UnsafePatternError("inline flag groups that change how characters match are not supported")
            self.compile_seq(sub, depth)
        elif op is C.BRANCH:
            alts = av[1]
            jumps = []
            for k, alt in enumerate(alts):
                if k < len(alts) - 1:
                    split = self.emit(_SPLIT, None, None)
                    self.compile_seq(alt, depth)
                    jumps.append(self.emit(_JMP, None))
                    self.code[split] = (_SPLIT, split + 1, len(self.code))
                else:
                    self.compile_seq(alt, depth)
            for j in jumps:
                self.code[j] = (_JMP, len(self.code))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if (hi is C.MAXREPEAT or hi > 1) and sub.getwidth()[0] == 0:
                raise UnsafePatternError("a repeated part that can match the empty string is not supported")
            greedy = op is C.MAX_REPEAT
            for _ in range(lo):
                self.compile_seq(sub, depth)
            if hi is C.MAXREPEAT:
                loop = self.emit(_SPLIT, None, None)
                self.compile_seq(sub, depth)
                self.emit(_JMP, loop)
                out = len(self.code)
                self.code[loop] = (_SPLIT, loop + 1, out) if greedy else (_SPLIT, out, loop + 1)
            else:
                splits = []
                for _ in range(hi - lo):
                    splits.append(self.emit(_SPLIT, None, None))
                    self.compile_seq(sub, depth)
                out = len(self.code)
                for s in splits:
                    self.code[s] = (_SPLIT, s + 1, out) if greedy else (_SPLIT, out, s + 1)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            direction, sub = av
            if direction < 0:
                raise UnsafePatternError("lookbehind is not supported")
            if depth > 0:
                raise UnsafePatternError("nested lookahead is not supported")
            items = list(sub)
            to_eol = (bool(items) and items[0][0] is C.MAX_REPEAT and items[0][1][0] == 0
                      and items[0][1][1] is C.MAXREPEAT and list(items[0][1][2]) == [(C.ANY, None)])
            body = items[1:] if to_eol else items
            width = P.SubPattern(sub.state, body).getwidth()[1] if body else 0
            if width > MAX_LOOKAHEAD_CHARS:
                raise UnsafePatternError(
                    "a lookahead must match at most "
                    f"{MAX_LOOKAHEAD_CHARS} characters, optionally after a leading .*")
            prog = _Program(self.flags)
            prog.compile_seq(body, depth + 1)
            prog.emit(_MATCH, 0)
            self.emit(_LOOK, _Look(prog, to_eol, op is C.ASSERT_NOT))
            self.has_look = True
        elif op in (C.GROUPREF, C.GROUPREF_EXISTS):
            raise UnsafePatternError("backreferences and conditionals are not supported")
        else:
            name = str(op).lower()
            raise UnsafePatternError(f"{name} is not supported (atomic groups, possessive quantifiers, ...)")

    # ----------------------------------------------------------- running
    @staticmethod
    def _context(text: str, i: int) -> tuple[bool, ...]:
        """What the anchors see at position ``i``."""
        n = len(text)
        return (i == 0, i == n, i == n - 1 and text[i] == "\n", i > 0 and _is_word(text[i - 1]),
                i < n and _is_word(text[i]), n > 0)

    def _closure(self, pc: int, context: tuple[bool, ...], text: str, i: int) -> tuple[int, ...]:
        """The character and match instructions reachable from ``pc`` at ``i`` without reading, in priority order.

        Only for programs without lookahead: then this depends on ``pc`` and
        on the anchors' view of position ``i`` (``context``) alone, and is
        memoised on that.
        """
        key = (pc, context)
        found = self.closures.get(key)
        if found is None:
            lst: list = []
            self._add(lst, set(), pc, 0, text, i, {})
            found = tuple(t for t, _ in lst)
            if len(self.closures) < 100_000:
                self.closures[key] = found
        return found

    def _add(self, lst: list, seen: set, pc: int, start: int, text: str, i: int, cache: dict) -> None:
        """Add the thread at ``pc`` and everything reachable without reading a character."""
        code = self.code
        stack = [pc]
        n = len(text)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            ins = code[pc]
            kind = ins[0]
            if kind == _JMP:
                stack.append(ins[1])
            elif kind == _SPLIT:
                stack.append(ins[2])
                stack.append(ins[1])
            elif kind == _ASSERT:
                what = ins[1]
                if what == "b" or what == "B":
                    before = i > 0 and _is_word(text[i - 1])
                    after = i < n and _is_word(text[i])
                    # as in re, \B never matches in an empty string
                    ok = (before != after) if what == "b" else (before == after and n > 0)
                elif what == "bos":
                    ok = i == 0
                elif what == "eos":
                    ok = i == n
                else:
                    ok = i == n or (i == n - 1 and text[i] == "\n")
                if ok:
                    stack.append(pc + 1)
            elif kind == _LOOK:
                if ins[1].holds(text, i, cache):
                    stack.append(pc + 1)
            else:
                lst.append((pc, start))

    def run(self, text: str, pos: int, *, seeds: tuple[int, int] | None = None, any_match: bool = False,
            cache: dict | None = None) -> tuple[int, int] | None:
        """The leftmost-first match ``(start, end)`` at or after ``pos``, or None.

        ``seeds=(a, b)`` restricts match starts to ``a..b``; ``any_match``
        returns the first match found (any start) instead.
        """
        if cache is None:
            cache = {}
        n = len(text)
        code = self.code
        fast = not self.has_look
        lo, hi = seeds if seeds is not None else (pos, n)
        lead = self.lead if seeds is None else None
        nxt = lo
        if lead is not None:
            m = lead.search(text, lo)
            nxt = m.start() if m else n + 1
        clist: list = []
        seen: set = set()
        matched = None
        i = nxt
        while i <= n:
            if matched is None and i == nxt and i <= hi:
                if fast:
                    for t in self._closure(0, self._context(text, i), text, i):
                        if t not in seen:
                            seen.add(t)
                            clist.append((t, i))
                else:
                    self._add(clist, seen, 0, i, text, i, cache)
                if lead is None:
                    nxt = i + 1
                else:
                    m = lead.search(text, i + 1) if i < n else None
                    nxt = m.start() if m else n + 1
            if not clist:
                if matched is not None or nxt > hi or nxt > n:
                    break
                i, seen = nxt, set()
                continue
            nlist: list = []
            nseen: set = set()
            ch = text[i] if i < n else ""
            context = self._context(text, i + 1) if fast and i < n else None
            for pc, start in clist:
                ins = code[pc]
                if ins[0] == _CHAR:
                    if i < n and ins[1](ch):
                        if fast:
                            assert context is not None  # computed above whenever fast and i < n
                            for t in self._closure(pc + 1, context, text, i + 1):
                                if t not in nseen:
                                    nseen.add(t)
                                    nlist.append((t, start))
                        else:
                            self._add(nlist, nseen, pc + 1, start, text, i + 1, cache)
                else:
                    matched = (start, i)
                    if any_match:
                        return matched
                    break
            clist, seen = nlist, nseen
            i += 1
        return matched
