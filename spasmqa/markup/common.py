"""What every converter shares: :class:`Converted`, :class:`CodeBlock`, the block builder, inline helpers."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: File suffix -> format name understood by :func:`convert`.
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".rest": "rst",
    ".html": "html",
    ".htm": "html",
}

Heading = tuple[int, int, str]

# Characters that Python's str.splitlines treats as line breaks; inside a
# line of plain text they become spaces so that lines stay lines.
_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CodeBlock:
    """A code block taken out of the plain text.

    Attributes
    ----------
    text : str
        The code, verbatim (indented code is dedented), without fences.
    line : int
        1-based line of the file where the code's first line is.
    language : str or None
        The fence info string / directive argument (``"python"``), if any.
    offset : int
        Where the block was in the plain text (the offset of the next
        block), so that it can be placed under its heading.
    """

    text: str
    line: int
    language: str | None = None
    offset: int = 0


def line_at(text: str, line_map: Sequence[tuple[int, int]], offset: int) -> int | None:
    """The 1-based file line of ``text[offset]``.

    ``line_map`` holds anchors ``(offset, line)`` sorted by offset: the
    character at an anchor's offset is on that line, and each ``"\\n"``
    after it (before the next anchor) starts the next line.

    Examples
    --------
    >>> line_at("a\\nb\\n\\nc", [(0, 1), (5, 9)], 2), line_at("a\\nb\\n\\nc", [(0, 1), (5, 9)], 5)
    (2, 9)
    """
    if not line_map:
        return None
    offset = max(0, min(offset, len(text)))
    i = bisect.bisect_right(line_map, (offset, float("inf"))) - 1
    if i < 0:
        i = 0
    start, line = line_map[i]
    found = line + text.count("\n", start, max(start, offset))
    if i + 1 < len(line_map):  # a position between blocks is not past the next block's line
        found = min(found, max(line, line_map[i + 1][1]))
    return found


def heading_path(headings: Sequence[Heading], offset: int) -> tuple[str, ...]:
    """The section path in effect at ``offset``: heading texts, outermost first.

    A heading applies from its offset on, until a heading of the same or a
    higher level (smaller number) follows.

    Examples
    --------
    >>> heading_path([(0, 1, "Guide"), (10, 2, "Install"), (30, 2, "Use")], 35)
    ('Guide', 'Use')
    """
    stack: list[tuple[int, str]] = []
    for pos, level, text in headings:
        if pos > offset:
            break
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
    return tuple(t for _, t in stack)


@dataclass(frozen=True)
class Converted:
    """The result of converting a file: plain text plus structure.

    Attributes
    ----------
    text : str
        The plain text; all offsets index into it.
    title : str or None
        The page title.
    headings : tuple of (offset, level, text)
        Every heading, in text order; level 1 is the outermost.
    code : tuple of CodeBlock
        Code blocks, removed from ``text``.
    line_map : tuple of (offset, line)
        Anchors mapping offsets to 1-based file lines (see :func:`line_at`).
    """

    text: str
    title: str | None = None
    headings: tuple[Heading, ...] = ()
    code: tuple[CodeBlock, ...] = ()
    line_map: tuple[tuple[int, int], ...] = ()

    def line_at(self, offset: int) -> int | None:
        """The 1-based line of the original file at plain-text ``offset``."""
        return line_at(self.text, self.line_map, offset)

    def heading_path(self, offset: int) -> tuple[str, ...]:
        """Heading texts in effect at ``offset``, outermost first."""
        return heading_path(self.headings, offset)


class _Builder:
    """Collects blocks of (line text, source line) into plain text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.anchors: list[tuple[int, int]] = []
        self.headings: list[Heading] = []
        self.code: list[CodeBlock] = []
        self.title: str | None = None

    @staticmethod
    def clean(line: str) -> str:
        return _LINE_BREAKS.sub(" ", line).strip()

    def block(self, lines: Sequence[tuple[str, int]], heading: int | None = None) -> None:
        """Add a block; ``lines`` are (text, 1-based source line) pairs."""
        kept = [(c, n) for c, n in ((self.clean(t), n) for t, n in lines) if c]
        if not kept:
            return
        if heading is not None:  # a heading is always one line
            kept = [(_SPACES.sub(" ", " ".join(c for c, _ in kept)), kept[0][1])]
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        if heading is not None:
            self.headings.append((self.pos, heading, kept[0][0]))
        expected = None
        for i, (content, lineno) in enumerate(kept):
            if i:
                self.parts.append("\n")
                self.pos += 1
            if lineno != expected:
                self.anchors.append((self.pos, lineno))
            self.parts.append(content)
            self.pos += len(content)
            expected = lineno + 1

    def add_code(self, lines: Sequence[str], line: int, language: str | None) -> None:
        # Drop blank lines at either end, keep the rest verbatim.
        lines = list(lines)
        while lines and not lines[0].strip():
            lines.pop(0)
            line += 1
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            offset = self.pos + (2 if self.parts else 0)
            self.code.append(CodeBlock("\n".join(lines), line, language or None, offset))

    def result(self, title: str | None = None) -> Converted:
        if title is None:
            title = self.title
        if title is None:
            title = next((t for _, level, t in self.headings if level == 1), None)
        text = "".join(self.parts)
        code = tuple(
            CodeBlock(c.text, c.line, c.language, min(c.offset, len(text))) for c in self.code
        )
        return Converted(text, title or None, tuple(self.headings), code, tuple(self.anchors))


def _source_lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def plain_to_text(source: str) -> Converted:
    """Plain text as it is: no markup, one anchor (offset 0 is line 1)."""
    return Converted(source, line_map=((0, 1),))



_MD_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_RST_LITERAL = re.compile(r"``(.+?)``", re.S)
_SENTINEL = "\ue000"  # a private-use character
_PLACEHOLDER = re.compile(_SENTINEL + r"(\d+)" + _SENTINEL)


def _protected(text: str, code: re.Pattern[str], group: int, patterns) -> str:
    """Apply ``patterns`` outside code spans; code spans lose their markers and keep their content."""
    if _SENTINEL in text:  # cannot protect; convert the spans in place
        text = code.sub(lambda m: m.group(group), text)
        spans: list[str] = []
    else:
        spans = []

        def keep(m: re.Match[str]) -> str:
            spans.append(m.group(group))
            return f"{_SENTINEL}{len(spans) - 1}{_SENTINEL}"

        text = code.sub(keep, text)
    for pattern, repl in patterns:
        text = pattern.sub(repl, text)
    if spans:
        text = _PLACEHOLDER.sub(lambda m: spans[int(m.group(1))], text)
    return text


def _inline_lines(lines: Sequence[tuple[str, int]], fn, post=None) -> list[tuple[str, int]]:
    """Apply an inline converter to a paragraph, keeping its lines and their numbers.

    The paragraph is converted as a whole (so that ``*emphasis*`` may span
    lines); if that changed the number of lines, each line is converted
    on its own instead. ``post`` is then applied to each line.
    """
    texts = [t for t, _ in lines]
    out = fn("\n".join(texts)).split("\n")
    if len(out) != len(texts):
        out = [fn(t) for t in texts]
    if post is not None:
        out = [post(t) for t in out]
    return [(t, n) for t, (_, n) in zip(out, lines)]
