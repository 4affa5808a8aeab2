"""Markup to plain text: Markdown, reStructuredText and HTML.

A converter turns a marked-up file into a :class:`Converted`: the *plain
text* (what becomes the document text; every offset in spasmqa indexes into
it), and the structure that markup carried:

* ``title``: the page title (Markdown: the first level-1 heading; rst: the
  first section title, over- and/or underlined; HTML: ``<title>``, else the
  first ``<h1>``);
* ``headings``: ``(offset, level, text)`` for every heading, in text order;
  the heading text is part of the plain text at ``offset``;
* ``code``: code blocks (Markdown fences and indented code, rst ``::``
  literal blocks and ``code-block``/``code``/``sourcecode`` directives, HTML
  ``<pre>``) as :class:`CodeBlock` units. They are *removed* from the plain
  text, so they are never sentence-split or pasted into an answer;
  :func:`spasmqa.load_corpus` makes each one a document of its own with
  ``kind="code"``;
* ``line_map``: anchors ``(offset, line)`` that map plain-text offsets back
  to 1-based lines of the original file (see :meth:`Converted.line_at`).

The plain text is a sequence of blocks (a heading, a paragraph, a list, a
table) separated by exactly one blank line, so paragraph splitting of the
converted text gives one document per block. Lines inside a block are never
blank and carry no leading or trailing white space. List markers (``-``,
``*``, ``1.``) are kept: the sentence splitter treats them as markup; table
cells are separated by `` · ``, which the splitter treats as a separator.
Inline markup (emphasis, links, roles, inline code markers, HTML tags and
entities) is removed and its text kept.

Only the standard library is used (``html.parser`` for HTML). The Markdown
and rst converters are deliberately small, line-based readers of the common
subset of each language; they never raise on any input (a property test
feeds them arbitrary text).

Examples
--------
>>> c = markdown_to_text("# Guide\\n\\nUse *heat*.\\n\\n```sh\\nheat --on\\n```\\n")
>>> c.text
'Guide\\n\\nUse heat.'
>>> c.title, c.headings, c.code[0].text, c.code[0].line
('Guide', ((0, 1, 'Guide'),), 'heat --on', 6)
>>> c.line_at(c.text.index("heat"))
3
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = [
    "CodeBlock",
    "Converted",
    "FORMATS",
    "convert",
    "heading_path",
    "html_to_text",
    "line_at",
    "markdown_to_text",
    "plain_to_text",
    "rst_to_text",
]

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


# -- Markdown ---------------------------------------------------------------

_MD_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_MD_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_MD_RULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_MD_REFDEF = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:\s*\S+.*$")
_MD_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]]+\]:\s*")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")
_MD_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:\s|$)")
_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_FRONT = re.compile(r"^(?:---|\+\+\+)[ \t]*$")

# Inline markup may span the lines of a paragraph, so it is removed from the
# whole paragraph at once; no pattern deletes a line break (see _inline_lines).
_MD_INLINE = [
    (re.compile(r"\[\^[^\]\s]+\]"), ""),                                   # footnote refs [^1]
    (re.compile(r"!\[([^\]]*)\]\([^()\n]*\)"), r"\1"),                   # images -> alt
    (re.compile(r"\[([^\]]+)\]\((?:[^()\n]|\([^)\n]*\))*\)"), r"\1"),     # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]\n]*\]"), r"\1"),                     # [text][ref]
    (re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>"), r"\1"),            # autolinks
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?/?>"), ""),      # inline HTML tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S), r"\2"),         # **strong**
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", re.S), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])", re.S), r"\1"),    # _em_
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S), r"\1"),                 # ~~strike~~
    (re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),                          # \* escapes
]


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


def _md_markup(text: str) -> str:
    return _protected(text, _MD_CODE_SPAN, 2, _MD_INLINE)


def _md_inline(text: str) -> str:
    return html.unescape(_md_markup(text))


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


def _md_table_row(line: str) -> str:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    cells = [_md_inline(c).strip() for c in re.split(r"(?<!\\)\|", s)]
    return " · ".join(c for c in cells if c)


def markdown_to_text(source: str) -> Converted:
    """Convert Markdown to plain text with headings, code blocks and lines.

    Handles ATX (``#``) and setext (``===``/``---``) headings, fenced
    (```` ``` ````/``~~~``) and indented code, block quotes, lists (markers
    kept), pipe tables (cells joined by `` · ``), horizontal rules, link
    reference definitions, HTML comments and inline markup. YAML front
    matter is skipped. The title is the first level-1 heading.

    Examples
    --------
    >>> markdown_to_text("Intro\\n=====\\n\\nSee [docs](http://x).").text
    'Intro\\n\\nSee docs.'
    """
    # HTML comments may span lines: blank them out but keep line numbers.
    source = _MD_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    lines = _source_lines(source)
    b = _Builder()
    i = 0
    n = len(lines)
    if n and _MD_FRONT.match(lines[0]):  # front matter
        for j in range(1, n):
            if lines[j].strip() == lines[0].strip() or lines[j].strip() == "...":
                i = j + 1
                break
    para: list[tuple[str, int]] = []
    table = False
    in_list = False  # the last block was a list: indented text continues it

    def flush() -> None:
        nonlocal table, in_list
        if para:
            in_list = bool(_MD_LIST.match(para[0][0])) or (in_list and para[0][0].startswith(" "))
            b.block([(_md_table_row(t), k) for t, k in para] if table else _inline_lines(para, _md_markup, html.unescape))
        para.clear()
        table = False

    while i < n:
        raw = lines[i]
        lineno = i + 1
        line = raw.expandtabs(4)
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        fence = _MD_FENCE.match(line)
        if fence:
            flush()
            indent, marker, info = len(fence.group(1)), fence.group(2), fence.group(3)
            body: list[str] = []
            j = i + 1
            while j < n:
                s = lines[j].strip()
                if s.startswith(marker[0] * len(marker)) and not s.strip(marker[0]):
                    break
                body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j].lstrip())
                j += 1
            b.add_code(body, i + 2, info or None)
            i = j + 1
            continue
        if not para and line.startswith("    ") and not _MD_LIST.match(line) and not in_list:
            body = []
            j = i
            while j < n and (lines[j].expandtabs(4).startswith("    ") or not lines[j].strip()):
                body.append(lines[j].expandtabs(4)[4:])
                j += 1
            b.add_code(body, lineno, None)
            i = j
            continue
        atx = _MD_ATX.match(line)
        if atx:
            flush()
            in_list = False
            b.block([(_md_inline(atx.group(2) or ""), lineno)], heading=len(atx.group(1)))
            i += 1
            continue
        setext = _MD_SETEXT.match(line)
        if setext and para and not table and len(para) >= 1 and not _MD_LIST.match(para[0][0]):
            level = 1 if setext.group(1)[0] == "=" else 2
            heading_lines = list(para)
            para.clear()
            b.block(_inline_lines(heading_lines, _md_markup, html.unescape), heading=level)
            i += 1
            continue
        if _MD_RULE.match(line) or _MD_REFDEF.match(line):
            flush()
            i += 1
            continue
        footnote = _MD_FOOTNOTE_DEF.match(line)
        if footnote:  # "[^1]: text" is a paragraph of its own
            flush()
            line = line[footnote.end():]
        quote = _MD_QUOTE.match(line)
        if quote:
            line = line[quote.end():]
            while _MD_QUOTE.match(line):
                line = line[_MD_QUOTE.match(line).end():]
            if not line.strip():
                flush()
                i += 1
                continue
        if _MD_TABLE_SEP.match(line) and "|" in line and para and "|" in para[-1][0]:
            table = True  # the header row is already in para
            i += 1
            continue
        if table and "|" not in line:
            flush()
        if "|" in line and para and i + 1 < n and _MD_TABLE_SEP.match(lines[i + 1]) and "|" in lines[i + 1]:
            flush()  # a table's header row starts a block of its own
        para.append((line, lineno))
        i += 1
    flush()
    return b.result()


# -- reStructuredText -------------------------------------------------------

_RST_ADORN = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([A-Za-z][\w:+.-]*)::(?:\s+(.*))?$")
_RST_EXPLICIT = re.compile(r"^(\s*)\.\.(?:\s|$)")
_RST_OPTION = re.compile(r"^\s*:[^:]+:(?:\s.*)?$")
_RST_GRID = re.compile(r"^\s*\+(?:[-=+]+\+)+\s*$")
_RST_SIMPLE_TABLE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_RST_FIELD = re.compile(r"^(\s*):([^:`]+):(?:\s+|$)")
_RST_FOOTNOTE = re.compile(r"^(\s*)\.\.\s+\[([^\]]+)\]\s*(.*)$")
_RST_CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "highlight-block", "literalinclude", "doctest", "testcode"}
_RST_DROPPED_DIRECTIVES = {
    "image", "figure", "toctree", "contents", "include", "raw", "math", "highlight", "index",
    "sectnum", "meta", "csv-table", "list-table", "autosummary", "graphviz", "plot", "only", "ifconfig",
    "testsetup", "testcleanup", "testoutput", "tabularcolumns", "default-role", "role", "currentmodule",
    "module", "automodule", "autoclass", "autofunction", "automethod", "autodata", "autoattribute",
}

_RST_INLINE = [
    (re.compile(r":[\w:+.-]+:`([^`<]*?)\s*<[^>`\n]*>`"), r"\1"),          # :role:`title <target>`
    (re.compile(r":[\w:+.-]+:`~(?:[^`]*\.)?([^`.]+)`"), r"\1"),            # :role:`~a.b.C` -> C (Sphinx)
    (re.compile(r":[\w:+.-]+:`!?([^`]*)`"), r"\1"),                        # :role:`text`
    (re.compile(r"`([^`<]*?)\s*<[^>`\n]*>`__?"), r"\1"),                  # `text <url>`_
    (re.compile(r"`([^`]+)`(?:__?|:[\w:+.-]+:)?"), r"\1"),                 # `text`_ / `interpreted`
    (re.compile(r"[ \t]?\[(?:\d+|#[\w-]*|\*|[\w-]+)\]_"), ""),             # footnote/citation refs
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S), r"\1"),              # **strong**
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", re.S), r"\1"),  # *emphasis*
    (re.compile(r"\|([^|\s][^|\n]*?)\|(?:__?)?"), r"\1"),                  # |substitution|
    (re.compile(r"(?<![\w`])([A-Za-z0-9]+)__?(?=[\s.,;:!?)\]]|$)"), r"\1"),  # word_ references
    (re.compile(r"\\(.)"), r"\1"),                                         # escapes
]


def _rst_inline(text: str) -> str:
    return _protected(text, _RST_LITERAL, 1, _RST_INLINE)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rst_is_adornment(line: str, text: str | None = None) -> bool:
    """A line of one repeated punctuation character (at least 3, or as long as ``text``)."""
    s = line.strip()
    if not _RST_ADORN.match(s):
        return False
    return len(s) >= 3 or (text is not None and len(s) >= len(text.strip()))


def rst_to_text(source: str) -> Converted:
    """Convert reStructuredText to plain text with headings, code blocks and lines.

    Section titles are underlined (optionally also overlined) with a
    punctuation character; levels follow the order in which adornment
    styles first appear, as in docutils; the first section title is the
    page title. Literal blocks (after ``::``) and ``code-block``, ``code``,
    ``sourcecode`` directives become code blocks. Comments, targets,
    substitution definitions, and directives without prose (``image``,
    ``toctree``, ``raw``, ``math``, ...) are dropped; the content of other
    directives (``note``, ``warning``, ``function``, ...) is kept as text,
    with the directive's argument as its first line. Grid and simple table
    borders are dropped; cells are joined by `` · ``.

    Examples
    --------
    >>> c = rst_to_text("=====\\nGuide\\n=====\\n\\nRun this::\\n\\n    heat --on\\n\\nDone.\\n")
    >>> c.text, c.title, c.code[0].text
    ('Guide\\n\\nRun this:\\n\\nDone.', 'Guide', 'heat --on')
    """
    lines = [ln.expandtabs(8) for ln in _source_lines(source)]
    n = len(lines)
    b = _Builder()
    styles: list[tuple[str, bool]] = []
    para: list[tuple[str, int]] = []
    literal_next = False
    i = 0

    def level_of(style: tuple[str, bool]) -> int:
        if style not in styles:
            styles.append(style)
        return styles.index(style) + 1

    def flush() -> None:
        nonlocal literal_next
        if not para:
            return
        out = []
        for k, (t, ln) in enumerate(para):
            s = t.strip()
            if k == len(para) - 1 and s.endswith("::"):
                literal_next = True
                s = s[:-2].rstrip() if s == "::" or s[-3:-2].isspace() else s[:-1]
            if "|" in s and (s.startswith("|") and s.endswith("|")):
                s = " · ".join(c.strip() for c in s.strip("|").split("|") if c.strip())
            elif s.startswith("| "):  # line block
                s = s[2:]
            out.append((s, ln))
        b.block(_inline_lines(out, _rst_inline))
        para.clear()

    def skip_indented(j: int, base: int) -> int:
        """First line after the block indented deeper than ``base`` that starts at j."""
        while j < n and (not lines[j].strip() or _indent(lines[j]) > base):
            j += 1
        return j

    while i < n:
        line = lines[i]
        lineno = i + 1
        s = line.strip()
        if not s:
            flush()
            i += 1
            continue
        # A literal block: the indented block after a paragraph ending in "::".
        if literal_next and not para and _indent(line) > 0:
            literal_next = False
            end = skip_indented(i, 0)
            body = lines[i:end]
            ind = min((_indent(ln) for ln in body if ln.strip()), default=0)
            b.add_code([ln[ind:] for ln in body], lineno, None)
            i = end
            continue
        literal_next = False
        # Section title with overline.
        if (
            not para and _rst_is_adornment(line) and i + 2 < n and lines[i + 1].strip()
            and lines[i + 2].rstrip() == line.rstrip() and not _rst_is_adornment(lines[i + 1])
        ):
            b.block([(_rst_inline(lines[i + 1].strip()), i + 2)], heading=level_of((s[0], True)))
            i += 3
            continue
        # Section title with underline only.
        if (
            not para and i + 1 < n and _indent(line) == 0
            and _rst_is_adornment(lines[i + 1], s) and not _rst_is_adornment(line)
        ):
            b.block([(_rst_inline(s), lineno)], heading=level_of((lines[i + 1].strip()[0], False)))
            i += 2
            continue
        if (not para and _rst_is_adornment(line) and len(s) >= 4) or _RST_GRID.match(line) or _RST_SIMPLE_TABLE.match(line):
            # Transition, grid-table border or simple-table border.
            flush()
            i += 1
            continue
        directive = _RST_DIRECTIVE.match(line)
        if directive and not para:
            base = _indent(line)
            name = directive.group(2).lower().split(":")[-1]
            arg = (directive.group(3) or "").strip()
            j = i + 1
            # options directly below the directive line
            while j < n and lines[j].strip() and _indent(lines[j]) > base and _RST_OPTION.match(lines[j]):
                j += 1
            end = skip_indented(j, base)
            body_lines = lines[j:end]
            if name in _RST_CODE_DIRECTIVES:
                ind = min((_indent(ln) for ln in body_lines if ln.strip()), default=0)
                b.add_code([ln[ind:] for ln in body_lines], j + 1, arg.split()[0] if arg else None)
            elif name not in _RST_DROPPED_DIRECTIVES:
                # Prose directives (note, warning, function, ...): the argument
                # is a line of text and the content is read like the rest of
                # the file, dedented in place so that line numbers stay.
                ind = min((_indent(ln) for ln in body_lines if ln.strip()), default=0)
                for k in range(j, end):
                    lines[k] = lines[k][ind:]
                if arg and j == i + 1:
                    lines[i] = arg  # the argument starts the content's first paragraph
                    continue
                if arg:
                    b.block([(_rst_inline(arg), lineno)])
                i = j
                continue
            i = end
            continue
        if _RST_EXPLICIT.match(line) and not para:
            base = _indent(line)
            foot = _RST_FOOTNOTE.match(line)
            end = skip_indented(i + 1, base)
            if foot and foot.group(3).strip():
                b.block([(_rst_inline(foot.group(3)), lineno)] + [
                    (_rst_inline(lines[k]), k + 1) for k in range(i + 1, end) if lines[k].strip()
                ])
            i = end  # comments, targets, substitution definitions
            continue
        field_match = _RST_FIELD.match(line)
        if field_match and not para:
            s = f"{field_match.group(2).strip()}: {line[field_match.end():].strip()}".strip()
        para.append((s, lineno))
        i += 1
    flush()
    return b.result()


# -- HTML ---------------------------------------------------------------------

_HTML_SKIP = {"script", "style", "noscript", "template", "svg", "math", "object", "iframe", "head", "select"}
_HTML_BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl",
    "table", "blockquote", "figure", "figcaption", "form", "fieldset", "address", "details", "summary",
    "hr", "body", "html", "center", "caption", "thead", "tbody", "tfoot", "menu",
}
_HTML_LINE = {"li", "br", "tr", "dt", "dd", "option"}
_HTML_CELL = {"td", "th"}
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "param", "source", "track", "wbr"}


class _HTMLText(HTMLParser):
    def __init__(self, nlines: int) -> None:
        super().__init__(convert_charrefs=True)
        self.nlines = nlines
        self.b = _Builder()
        self.lines: list[tuple[str, int]] = []   # the block being built
        self.cur: list[str] = []                  # the line being built
        self.cur_line: int | None = None
        self.heading: int | None = None
        self.skip: list[str] = []
        self.in_title = False
        self.title_parts: list[str] = []
        self.pre: list[str] | None = None
        self.pre_line = 1
        self.pre_depth = 0
        self.pre_lang: str | None = None
        self.pre_newline = False
        self.cell = False

    # -- building
    def end_line(self) -> None:
        text = "".join(self.cur)
        if text.strip():
            # min(): a "&#10;" reference is a line break the file does not have
            self.lines.append((_SPACES.sub(" ", text).strip(), min(self.cur_line or 1, self.nlines)))
        self.cur = []
        self.cur_line = None
        self.cell = False

    def end_block(self) -> None:
        self.end_line()
        if self.lines:
            self.b.block(self.lines, heading=self.heading)
        self.lines = []
        self.heading = None  # a heading ends with its block, even if </hN> never comes

    def add_text(self, data: str, lineno: int) -> None:
        # Source line breaks stay line breaks (like in Markdown paragraphs),
        # so that every plain-text line maps to exactly one file line.
        for k, part in enumerate(data.split("\n")):
            if k:
                self.end_line()
            if part.strip():
                if self.cur_line is None:
                    self.cur_line = lineno + k
                self.cur.append(part)
            elif self.cur:
                self.cur.append(part)

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self.skip in ([], ["head"]) and self.pre is None:
            self.in_title = True
            return
        if tag == "body" and "head" in self.skip:  # an unclosed <head>
            self.skip.clear()
        if self.skip:
            if tag == self.skip[-1] and tag not in _HTML_VOID:
                self.skip.append(tag)
            return
        if tag in _HTML_SKIP:
            self.skip.append(tag)
            return
        if self.pre is not None:
            if tag == "pre":
                self.pre_depth += 1
            elif tag == "br":
                self.pre.append("\n")
            return
        if tag == "pre":
            self.end_block()
            self.pre = []
            self.pre_depth = 1
            self.pre_line = self.getpos()[0]
            self.pre_lang = None
            return
        if tag in _HTML_HEADINGS:
            self.end_block()
            self.heading = _HTML_HEADINGS[tag]  # after end_block, which resets it
        elif tag in _HTML_BLOCK:
            self.end_block()
        elif tag in _HTML_LINE:
            self.end_line()
        elif tag in _HTML_CELL:
            if self.cur and "".join(self.cur).strip():
                self.cur.append(" · ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self.add_text(" " + alt + " ", self.getpos()[0])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _HTML_VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title = False
            return
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if self.pre is not None:
            if tag == "pre":
                self.pre_depth -= 1
                if self.pre_depth <= 0:
                    self.finish_pre()
            return
        if tag in _HTML_HEADINGS:
            self.end_block()
            self.heading = None
        elif tag in _HTML_BLOCK:
            self.end_block()
        elif tag in _HTML_LINE:
            self.end_line()

    def finish_pre(self) -> None:
        text = "".join(self.pre or [])
        lines = text.split("\n")
        start = self.pre_line
        if lines and not lines[0].strip():  # <pre>\n starts on the next line
            lines.pop(0)
            start += 1 if self.pre_newline else 0
        self.b.add_code(lines, start, self.pre_lang)
        self.pre = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip:
            return
        if self.pre is not None:
            if not self.pre:
                self.pre_newline = data.startswith("\n")
            self.pre.append(data)
            return
        self.add_text(data, self.getpos()[0])

    def close(self) -> None:
        super().close()
        if self.pre is not None:
            self.finish_pre()
        self.end_block()


def html_to_text(source: str) -> Converted:
    """Convert HTML to plain text with headings, code blocks and lines.

    Uses the standard library's lenient ``html.parser``. The contents of
    ``script``, ``style``, ``head`` (except ``title``) and similar elements
    are dropped; block elements (``p``, ``div``, ``ul``, ``table``, ...)
    end a block; ``li``, ``br``, ``tr``, ``dt``, ``dd`` end a line; table
    cells are joined by `` · ``; ``h1``-``h6`` are headings; ``pre`` is a
    code block (a ``<br>`` inside it is a line break of the code, so lines
    after it are off by one in :meth:`Converted.line_at` terms); ``img``
    contributes its ``alt`` text. White space inside a line is collapsed;
    source line breaks stay line breaks. The title is ``<title>``, else the
    first ``<h1>``.

    Examples
    --------
    >>> c = html_to_text("<title>Guide</title><h1>Heat</h1><p>Use <b>heat</b>.</p><pre>x = 1</pre>")
    >>> c.text, c.title, c.headings, c.code[0].text
    ('Heat\\n\\nUse heat.', 'Guide', ((0, 1, 'Heat'),), 'x = 1')
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    parser = _HTMLText(source.count("\n") + 1)
    try:
        parser.feed(source)
        parser.close()
    except (AssertionError, ValueError, IndexError):  # pragma: no cover - html.parser is lenient
        pass
    title = _SPACES.sub(" ", "".join(parser.title_parts)).strip() or None
    result = parser.b.result(title)
    # <br> inside <pre> adds lines the file does not have: keep lines in range.
    last = source.count("\n") + 1
    if any(c.line > last for c in result.code):
        code = tuple(CodeBlock(c.text, min(c.line, last), c.language, c.offset) for c in result.code)
        result = Converted(result.text, result.title, result.headings, code, result.line_map)
    return result


def convert(source: str, fmt: str) -> Converted:
    """Convert ``source`` written in ``fmt`` ("markdown", "rst", "html" or "plain").

    Examples
    --------
    >>> convert("<p>Hi</p>", "html").text
    'Hi'
    """
    converters = {"markdown": markdown_to_text, "rst": rst_to_text, "html": html_to_text, "plain": plain_to_text}
    try:
        return converters[fmt](source)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(converters)}") from None
