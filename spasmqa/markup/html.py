"""HTML to plain text (the standard library's ``html.parser``)."""

from __future__ import annotations

from html.parser import HTMLParser

from .common import _SPACES, CodeBlock, Converted, _Builder

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
_HTML_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "param", "source", "track",
              "wbr"}


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


