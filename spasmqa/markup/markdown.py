"""Markdown to plain text (a line-based reader of the common subset)."""

from __future__ import annotations

import html
import re

from .common import _MD_CODE_SPAN, Converted, _Builder, _inline_lines, _protected, _source_lines

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


def _md_markup(text: str) -> str:
    return _protected(text, _MD_CODE_SPAN, 2, _MD_INLINE)


def _md_inline(text: str) -> str:
    return html.unescape(_md_markup(text))


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
            rows = [(_md_table_row(t), k) for t, k in para] if table else _inline_lines(para, _md_markup, html.unescape)
            b.block(rows)
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
            while (inner := _MD_QUOTE.match(line)) is not None:
                line = line[inner.end():]
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


