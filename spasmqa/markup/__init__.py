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

from ..errors import InputError
from .common import FORMATS, CodeBlock, Converted, heading_path, line_at, plain_to_text
from .html import html_to_text
from .markdown import markdown_to_text
from .rst import rst_to_text

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
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(converters)}") from None

